//! A chain server: head, middle or tail of the chain (van Renesse &
//! Schneider §2–3), or, with `reads = "craq"`, a CRAQ node that also
//! answers reads (Terrace & Freedman §2).
//!
//! - **Updates** enter at the head, which gives each one the next sequence
//!   number, applies it to its store and sends it to its successor; every
//!   server applies updates in sequence order, keeps what it sent and has
//!   not seen acknowledged (the paper's *Sent* list) and forwards them.
//!   A server applies only the next update it expects: one that arrives
//!   early is dropped and comes again with the predecessor's re-sends.
//! - **Commit.** What the tail applies is committed. The tail acknowledges
//!   it up the chain; each server prunes its Sent list up to the
//!   acknowledgement and passes it on. The head answers the client when
//!   the acknowledgement reaches it: the head is where a retried write
//!   lands, so one place both answers first tries and retries, and an
//!   answer means every server has the write.
//! - **Reads** are answered by the tail from its store. With CRAQ, any
//!   server answers a read of a key it holds no uncommitted write of
//!   (*clean*); for a *dirty* key it asks the tail which version is
//!   committed and answers that version.
//! - **Reconfiguration** comes from the master ([`super::master`]). A
//!   server whose successor changed re-sends its Sent list to the new one
//!   (failure of a middle server); a server left without a successor is
//!   the new tail and takes everything it applied as committed (failure of
//!   the tail); a server left without a predecessor is the new head
//!   (failure of the head). A server added at the tail asks its
//!   predecessor for its whole state and serves once it has it.
//! - **Leases.** A server serves clients only while it holds a lease: the
//!   master answered a ping it sent less than `lease` ago (its monotonic
//!   clock). The master waits out a suspect's lease before replacing it,
//!   so a server cut off from the master stops answering before another
//!   takes its place.
//!
//! Persistence: the store and its sequence number are written through to
//! durable state, so that the last server of a chain whose members all
//! crashed can recover from its disk. A restarted server is otherwise a
//! new server: it joins at the tail.

use super::ChainNode;
use super::msg::{ChainMsg, ChainState, ChainTimer, Config, Reply};
use super::observe::STATE_TRANSFERRED;
use super::params::{ChainBug, ChainParams, ReadMode};
use crate::family::kv::{KvInput, KvOutput};
use crate::fixed::Fixed;
use crate::kvstore::{Applied, Command};
use faultline_sim::{Ctx, LocalTime, NodeId};
use std::collections::BTreeMap;
use std::sync::Arc;

type CCtx<'a> = Ctx<'a, ChainNode>;

/// An update applied and sent down the chain, not yet acknowledged.
#[derive(Clone, Debug, Hash)]
pub struct SentEntry {
    /// The update.
    pub command: Arc<Command>,
    /// The store's digest after applying it.
    pub digest: u64,
}

/// A write the head answers once it is committed.
#[derive(Clone, Debug, Hash)]
struct Waiting {
    client_seq: u64,
    update: u64,
    output: KvOutput,
}

/// A chain server.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    params: Fixed<ChainParams>,
    id: NodeId,
    boots: u64,
    config: Arc<Config>,
    ready: bool,
    state: ChainState,
    committed: u64,
    sent: BTreeMap<u64, SentEntry>,
    /// The store's digest before the first entry of `sent` (after the last
    /// update the successor is known to hold).
    floor_digest: u64,
    /// CRAQ: per dirty key, its versions from the newest committed one on:
    /// (sequence number, value).
    dirty: BTreeMap<String, Vec<(u64, Option<String>)>>,
    lease_until: LocalTime,
    waiting: BTreeMap<NodeId, Waiting>,
    /// CRAQ reads waiting for the tail: query number to (client, seq, key).
    reads: BTreeMap<u64, (NodeId, u64, String)>,
    next_query: u64,
    /// Reads answered from this server's store.
    local_reads: u64,
    /// CRAQ reads of dirty keys for which this server asked the tail.
    tail_queries: u64,
}

impl Server {
    /// A server starting from its durable state: on first boot a member of
    /// the initial chain; after a restart outside the chain until the
    /// master says otherwise.
    pub fn recover(
        params: Arc<ChainParams>,
        servers: u32,
        id: NodeId,
        d: &super::ChainDurable,
    ) -> Self {
        let config = d
            .config
            .clone()
            .unwrap_or_else(|| Arc::new(Config::initial(servers)));
        let first_boot = d.boots == 0;
        let digest = d.state.store.digest();
        Server {
            params: params.into(),
            id,
            boots: d.boots + 1,
            ready: first_boot && config.has(id, 1),
            config,
            state: d.state.clone(),
            committed: 0,
            sent: BTreeMap::new(),
            floor_digest: digest,
            dirty: BTreeMap::new(),
            lease_until: LocalTime(i64::MIN),
            waiting: BTreeMap::new(),
            reads: BTreeMap::new(),
            next_query: 0,
            local_reads: 0,
            tail_queries: 0,
        }
    }

    // ----- Accessors (views, observables, invariants) -----

    /// The configuration this server holds.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// This server.
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// Its boot count.
    pub fn boots(&self) -> u64 {
        self.boots
    }
    /// Whether it is a member of its configuration, in this life.
    pub fn is_member(&self) -> bool {
        self.config.has(self.id, self.boots)
    }
    /// Whether it is a member holding the state its membership needs.
    pub fn is_ready(&self) -> bool {
        self.ready && self.is_member()
    }
    /// Whether it is the head of its configuration (and ready).
    pub fn is_head(&self) -> bool {
        self.is_ready() && self.config.head() == Some(self.id)
    }
    /// Whether it is the tail of its configuration (and ready).
    pub fn is_tail(&self) -> bool {
        self.is_ready() && self.config.tail() == Some(self.id)
    }
    /// The replicated state.
    pub fn state(&self) -> &ChainState {
        &self.state
    }
    /// The last update applied.
    pub fn applied(&self) -> u64 {
        self.state.applied
    }
    /// The last update known committed.
    pub fn committed(&self) -> u64 {
        self.committed
    }
    /// The Sent list.
    pub fn sent(&self) -> &BTreeMap<u64, SentEntry> {
        &self.sent
    }
    /// The last update the successor is taken to hold: everything after it
    /// is in the Sent list.
    pub fn floor(&self) -> u64 {
        self.sent
            .keys()
            .next()
            .map_or(self.state.applied, |first| first - 1)
    }
    /// The store's digest after update `seq`, if this server still knows it
    /// (`seq` between [`Server::floor`] and the last applied).
    pub fn digest_at(&self, seq: u64) -> Option<u64> {
        if seq == self.state.applied {
            Some(self.state.store.digest())
        } else if seq == self.floor() {
            Some(self.floor_digest)
        } else {
            self.sent.get(&seq).map(|e| e.digest)
        }
    }
    /// Keys with uncommitted writes here (CRAQ).
    pub fn dirty_keys(&self) -> usize {
        self.dirty.len()
    }
    /// Whether its lease runs at monotonic time `now`.
    pub fn lease_valid(&self, now: LocalTime) -> bool {
        now < self.lease_until
    }
    /// Reads answered from this server's store (since it started).
    pub fn local_reads(&self) -> u64 {
        self.local_reads
    }
    /// CRAQ reads of a dirty key for which it asked the tail.
    pub fn tail_queries(&self) -> u64 {
        self.tail_queries
    }
    /// Writes the head will answer when they commit.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn pred(&self) -> Option<NodeId> {
        self.config.pred(self.id)
    }

    fn succ(&self) -> Option<NodeId> {
        self.config.succ(self.id)
    }

    fn serving(&self, ctx: &CCtx<'_>) -> bool {
        self.is_ready()
            && (ctx.monotonic_now() < self.lease_until || self.params.has(ChainBug::IgnoreLease))
    }

    // ----- Timers -----

    pub(super) fn start(&mut self, ctx: &mut CCtx<'_>) {
        ctx.durable_mut().boots = self.boots;
        if ctx.durable().config.is_none() {
            ctx.durable_mut().config = Some(self.config.clone());
        }
        self.tick(ctx);
    }

    pub(super) fn on_timer(&mut self, ctx: &mut CCtx<'_>, timer: ChainTimer) {
        if timer == ChainTimer::Tick {
            self.tick(ctx);
        }
    }

    fn tick(&mut self, ctx: &mut CCtx<'_>) {
        let version = self.config.version;
        ctx.send(
            super::MASTER,
            ChainMsg::Ping {
                version,
                boots: self.boots,
                ready: self.is_ready(),
                sent_at: ctx.monotonic_now().as_nanos(),
            },
        );
        if self.is_ready() {
            if let Some(succ) = self.succ() {
                self.resend(ctx, succ);
            }
            if let Some(pred) = self.pred() {
                let seq = self.committed;
                ctx.send(pred, ChainMsg::Ack { version, seq });
            }
        } else if self.is_member()
            && self.config.joining == Some(self.id)
            && let Some(pred) = self.pred()
        {
            ctx.send(pred, ChainMsg::NeedState { version });
        }
        ctx.set_timer(self.params.heartbeat_interval, ChainTimer::Tick);
    }

    fn resend(&self, ctx: &mut CCtx<'_>, succ: NodeId) {
        let version = self.config.version;
        for (&seq, e) in self.sent.iter().take(self.params.max_resend as usize) {
            ctx.send(
                succ,
                ChainMsg::Update {
                    version,
                    seq,
                    command: e.command.clone(),
                },
            );
        }
    }

    // ----- Messages -----

    pub(super) fn on_message(&mut self, ctx: &mut CCtx<'_>, from: NodeId, msg: ChainMsg) {
        match msg {
            ChainMsg::Lease {
                version,
                boots,
                sent_at,
            } => {
                if version == self.config.version && boots == self.boots {
                    let until = LocalTime(sent_at) + self.params.lease;
                    self.lease_until = self.lease_until.max(until);
                }
            }
            ChainMsg::NewConfig { config } => self.adopt(ctx, config),
            ChainMsg::Update {
                version,
                seq,
                command,
            } => self.on_update(ctx, from, version, seq, command),
            ChainMsg::Ack { version, seq } => {
                if self.is_ready() && version == self.config.version && self.succ() == Some(from) {
                    self.commit(ctx, seq);
                }
            }
            ChainMsg::NeedState { version } => {
                if self.is_ready()
                    && version == self.config.version
                    && self.succ() == Some(from)
                    && self.config.joining == Some(from)
                {
                    ctx.send(
                        from,
                        ChainMsg::Transfer {
                            version,
                            state: Arc::new(self.state.clone()),
                        },
                    );
                }
            }
            ChainMsg::Transfer { version, state } => self.on_transfer(ctx, from, version, &state),
            ChainMsg::VersionQuery { qid, key } => {
                if self.serving(ctx) && self.is_tail() {
                    let seq = self.state.last_write.get(&key).copied().unwrap_or(0);
                    ctx.send(from, ChainMsg::VersionReply { qid, seq });
                }
            }
            ChainMsg::VersionReply { qid, seq } => self.on_version(ctx, qid, seq),
            ChainMsg::ClientRequest { seq, input } => self.on_client(ctx, from, seq, input),
            ChainMsg::Ping { .. }
            | ChainMsg::ConfigQuery
            | ChainMsg::ConfigInfo { .. }
            | ChainMsg::ClientReply { .. } => {}
        }
    }

    /// Takes a newer configuration from the master.
    fn adopt(&mut self, ctx: &mut CCtx<'_>, config: Arc<Config>) {
        if config.version <= self.config.version {
            return;
        }
        let was_ready = self.is_ready();
        let old = std::mem::replace(&mut self.config, config.clone());
        ctx.durable_mut().config = Some(config.clone());
        self.reads.clear();
        ctx.note_with(|| format!("adopts {}", config.describe()));
        if !self.is_member() {
            // Out of the chain (the master suspected it, or it restarted):
            // it will ask to join again.
            self.ready = false;
            self.sent.clear();
            self.waiting.clear();
            self.dirty.clear();
            self.committed = 0;
            return;
        }
        // A server added at the tail by this configuration (not one it
        // already joined in) starts over, even if it was a member before:
        // it may have missed the configuration that removed it.
        let new_joiner = config.joining == Some(self.id)
            && !(old.joining == Some(self.id) && old.joining_since == config.joining_since);
        if !was_ready || new_joiner {
            if config.joining == Some(self.id) {
                // Joins at the tail: waits for its predecessor's state.
                self.ready = false;
                self.sent.clear();
                self.waiting.clear();
                self.dirty.clear();
            } else {
                // The master keeps this server as the only member after
                // every other failed: it recovers from its disk, and as the
                // tail, everything it holds is committed.
                self.ready = true;
                self.sent.clear();
                self.dirty.clear();
                self.committed = self.state.applied;
                self.floor_digest = self.state.store.digest();
            }
            return;
        }
        let (old_succ, new_succ) = (old.succ(self.id), self.succ());
        if old_succ != new_succ {
            match new_succ {
                // The tail failed: this server is the tail now, and all it
                // applied is committed.
                None => {
                    let applied = self.state.applied;
                    self.commit(ctx, applied);
                }
                Some(succ) => {
                    let middle_failed = old_succ.is_some() && config.joining != Some(succ);
                    if middle_failed && self.params.has(ChainBug::ForgetSentOnMiddleFailure) {
                        self.sent.clear();
                        self.floor_digest = self.state.store.digest();
                    } else {
                        // A middle server failed: the new successor gets
                        // what the failed one may not have passed on.
                        self.resend(ctx, succ);
                    }
                }
            }
        }
        if config.head() != Some(self.id) {
            // Clients retry at the new head.
            self.waiting.clear();
        }
        if old.pred(self.id) != self.pred()
            && let Some(pred) = self.pred()
        {
            let seq = self.committed;
            ctx.send(
                pred,
                ChainMsg::Ack {
                    version: config.version,
                    seq,
                },
            );
        }
    }

    fn on_update(
        &mut self,
        ctx: &mut CCtx<'_>,
        from: NodeId,
        version: u64,
        seq: u64,
        command: Arc<Command>,
    ) {
        if !self.is_ready() || version != self.config.version || self.pred() != Some(from) {
            return;
        }
        let next = self.state.applied + 1;
        if seq < next || (seq > next && !self.params.has(ChainBug::AcceptUpdateGaps)) {
            return;
        }
        self.apply(ctx, seq, &command);
    }

    /// Applies update `seq` here and on disk, records it, and passes it on
    /// (or, at the tail, commits it). Returns its output.
    fn apply(&mut self, ctx: &mut CCtx<'_>, seq: u64, command: &Arc<Command>) -> Option<KvOutput> {
        let before = self.state.store.digest();
        let craq = self.params.reads == ReadMode::Craq && self.succ().is_some();
        let mut key_before = None;
        if let Command::Client { input, .. } = &**command
            && craq
        {
            key_before = Some(value_of(self.state.store.read(input.key())));
        }
        let applied = self.state.store.apply(command, &seq, true);
        self.state.applied = seq;
        let d = ctx.durable_mut();
        d.state.store.apply(command, &seq, true);
        d.state.applied = seq;
        if let Command::Client { client, input, .. } = &**command {
            let key = input.key().to_string();
            let previous = self.state.last_write.insert(key.clone(), seq).unwrap_or(0);
            self.state.last_update.insert(*client, seq);
            let d = ctx.durable_mut();
            d.state.last_write.insert(key.clone(), seq);
            d.state.last_update.insert(*client, seq);
            if let Some(old) = key_before {
                let now = value_of(self.state.store.read(&key));
                self.dirty
                    .entry(key)
                    .or_insert_with(|| vec![(previous, old)])
                    .push((seq, now));
            }
        }
        match self.succ() {
            Some(succ) => {
                if self.sent.is_empty() {
                    self.floor_digest = before;
                }
                self.sent.insert(
                    seq,
                    SentEntry {
                        command: command.clone(),
                        digest: self.state.store.digest(),
                    },
                );
                ctx.send(
                    succ,
                    ChainMsg::Update {
                        version: self.config.version,
                        seq,
                        command: command.clone(),
                    },
                );
            }
            None => self.commit(ctx, seq),
        }
        match applied {
            Applied::Output { output, .. } => Some(output),
            _ => None,
        }
    }

    /// Every update up to `seq` is at the tail: prune the Sent list and the
    /// dirty versions, answer the clients waiting for them, tell the
    /// predecessor.
    fn commit(&mut self, ctx: &mut CCtx<'_>, seq: u64) {
        let seq = seq.min(self.state.applied);
        if seq <= self.committed {
            return;
        }
        self.committed = seq;
        let rest = self.sent.split_off(&(seq + 1));
        let pruned = std::mem::replace(&mut self.sent, rest);
        if let Some((_, last)) = pruned.last_key_value() {
            self.floor_digest = last.digest;
        }
        self.dirty.retain(|_, versions| {
            let keep_from = versions.iter().rposition(|(s, _)| *s <= seq).unwrap_or(0);
            versions.drain(..keep_from);
            versions.len() > 1
        });
        let done: Vec<NodeId> = self
            .waiting
            .iter()
            .filter(|(_, w)| w.update <= seq)
            .map(|(c, _)| *c)
            .collect();
        for client in done {
            let w = self.waiting.remove(&client).expect("listed");
            ctx.send(
                client,
                ChainMsg::ClientReply {
                    seq: w.client_seq,
                    reply: Reply::Ok(w.output),
                },
            );
        }
        if let Some(pred) = self.pred() {
            let version = self.config.version;
            ctx.send(pred, ChainMsg::Ack { version, seq });
        }
    }

    fn on_transfer(&mut self, ctx: &mut CCtx<'_>, from: NodeId, version: u64, state: &ChainState) {
        if self.ready
            || !self.is_member()
            || self.config.joining != Some(self.id)
            || version != self.config.version
            || self.pred() != Some(from)
        {
            return;
        }
        self.state = state.clone();
        ctx.durable_mut().state = state.clone();
        self.sent.clear();
        self.dirty.clear();
        self.ready = true;
        // The joining server is the tail: all it holds is committed.
        self.committed = state.applied;
        self.floor_digest = state.store.digest();
        ctx.report(STATE_TRANSFERRED);
        ctx.note_with(|| format!("installs {from}'s state up to update {}", state.applied));
        ctx.send(
            from,
            ChainMsg::Ack {
                version,
                seq: state.applied,
            },
        );
    }

    // ----- Clients -----

    fn retry(&self, ctx: &mut CCtx<'_>, client: NodeId, seq: u64) {
        ctx.send(
            client,
            ChainMsg::ClientReply {
                seq,
                reply: Reply::Retry {
                    version: self.config.version,
                    chain: self.config.nodes(),
                },
            },
        );
    }

    fn answer(ctx: &mut CCtx<'_>, client: NodeId, seq: u64, output: KvOutput) {
        ctx.send(
            client,
            ChainMsg::ClientReply {
                seq,
                reply: Reply::Ok(output),
            },
        );
    }

    fn on_client(&mut self, ctx: &mut CCtx<'_>, client: NodeId, seq: u64, input: KvInput) {
        if !self.serving(ctx) {
            return self.retry(ctx, client, seq);
        }
        if let KvInput::Get { key } = &input {
            return self.on_read(ctx, client, seq, key);
        }
        if !self.is_head() {
            return self.retry(ctx, client, seq);
        }
        if let Some(s) = self.state.store.session(client) {
            if s.seq == seq {
                // A retry of a write this chain has: answer it once it is
                // committed.
                let output = s.output.clone();
                let update = self.state.last_update.get(&client).copied().unwrap_or(0);
                if update <= self.committed {
                    Self::answer(ctx, client, seq, output);
                } else {
                    self.waiting.insert(
                        client,
                        Waiting {
                            client_seq: seq,
                            update,
                            output,
                        },
                    );
                }
                return;
            }
            if s.seq > seq {
                return;
            }
        }
        let update = self.state.applied + 1;
        let command = Arc::new(Command::Client { client, seq, input });
        let Some(output) = self.apply(ctx, update, &command) else {
            return;
        };
        if update <= self.committed || self.params.has(ChainBug::HeadAcksEarly) {
            Self::answer(ctx, client, seq, output);
        } else {
            self.waiting.insert(
                client,
                Waiting {
                    client_seq: seq,
                    update,
                    output,
                },
            );
        }
    }

    fn on_read(&mut self, ctx: &mut CCtx<'_>, client: NodeId, seq: u64, key: &str) {
        let local = match self.params.reads {
            ReadMode::Tail => {
                if !self.is_tail() {
                    return self.retry(ctx, client, seq);
                }
                true
            }
            ReadMode::Craq => {
                self.is_tail()
                    || !self.dirty.contains_key(key)
                    || self.params.has(ChainBug::CraqDirtyRead)
            }
        };
        if local {
            self.local_reads += 1;
            let output = self.state.store.read(key);
            return Self::answer(ctx, client, seq, output);
        }
        let Some(tail) = self.config.tail() else {
            return self.retry(ctx, client, seq);
        };
        self.next_query += 1;
        self.tail_queries += 1;
        let qid = self.next_query;
        self.reads.insert(qid, (client, seq, key.to_string()));
        ctx.send(
            tail,
            ChainMsg::VersionQuery {
                qid,
                key: key.to_string(),
            },
        );
    }

    /// The tail says update `seq` is the last committed write of the key:
    /// answer that version.
    fn on_version(&mut self, ctx: &mut CCtx<'_>, qid: u64, seq: u64) {
        let Some((client, client_seq, key)) = self.reads.remove(&qid) else {
            return;
        };
        // Still serving: no configuration that could reuse `seq` for
        // another update has been made since the tail answered.
        if !self.serving(ctx) {
            return self.retry(ctx, client, client_seq);
        }
        let value = match self.dirty.get(&key) {
            Some(versions) => versions
                .iter()
                .find(|(s, _)| *s == seq)
                .map(|(_, v)| v.clone()),
            None => (self.state.last_write.get(&key).copied().unwrap_or(0) == seq)
                .then(|| value_of(self.state.store.read(&key))),
        };
        match value {
            Some(v) => Self::answer(ctx, client, client_seq, KvOutput::Value(v)),
            None => self.retry(ctx, client, client_seq),
        }
    }
}

fn value_of(output: KvOutput) -> Option<String> {
    match output {
        KvOutput::Value(v) => v,
        _ => None,
    }
}
