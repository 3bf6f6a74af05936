//! A data server: the primary of its epoch or a read replica.
//!
//! Every data server holds a log of writes, each tagged with the epoch of
//! the primary that took it, and the store those writes build. The primary
//! appends and applies a write, then answers the client (at once, or once
//! `sync_replicas` replicas hold it) and ships its log to the replicas
//! every `ship_interval`, without waiting for them. A replica takes a
//! shipment only if its log holds the entry just before it (the same
//! index and epoch), truncating any entries of its own that the primary's
//! log does not have; when it does not hold that entry it asks for the
//! whole log and keeps the longest prefix both agree on. So a primary that
//! was replaced and comes back drops the writes it never shipped: they are
//! the writes lost in the failover, reported as `truncated`.

use super::msg::{AsyncMsg, AsyncTimer, Entry, Pos, Reply};
use super::params::{AsyncBug, AsyncParams};
use super::{AsyncDurable, AsyncNode, observe};
use crate::family::kv::{KvInput, KvOutput};
use crate::fixed::Fixed;
use crate::kvstore::{Applied, Command, KvStore};
use faultline_sim::{Ctx, NodeId};
use std::collections::BTreeMap;
use std::sync::Arc;

type SCtx<'a> = Ctx<'a, AsyncNode>;

/// The monitor is n0.
pub const MONITOR: NodeId = NodeId(0);
/// The first primary.
pub const FIRST_PRIMARY: NodeId = NodeId(1);

/// A client's write waiting for replica acknowledgements.
#[derive(Clone, Debug, Hash)]
struct Waiter {
    client: NodeId,
    seq: u64,
    output: KvOutput,
}

/// A data server.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    params: Fixed<AsyncParams>,
    id: NodeId,
    servers: u32,
    boots: u64,
    epoch: u64,
    primary: Option<NodeId>,
    log: Vec<Entry>,
    store: KvStore,
    /// Per client, its last write's sequence number and log index.
    last_write: BTreeMap<NodeId, (u64, u64)>,
    /// Entries this server has truncated from its log, over its lives.
    lost: u64,
    /// As primary: per replica, the highest index known to match.
    matched: BTreeMap<NodeId, u64>,
    /// As primary: per replica, the next index to ship.
    next: BTreeMap<NodeId, u64>,
    /// As primary: writes waiting for acknowledgements, by index.
    waiters: BTreeMap<u64, Vec<Waiter>>,
    /// Reads answered, and reads sent on for the session token.
    reads: u64,
    redirected_reads: u64,
}

impl Server {
    /// A server from its durable state (first boot: epoch 1, n1 primary).
    pub fn recover(
        params: Arc<AsyncParams>,
        servers: u32,
        id: NodeId,
        durable: &AsyncDurable,
    ) -> Self {
        let (epoch, primary) = if durable.epoch == 0 {
            (1, Some(FIRST_PRIMARY))
        } else {
            (durable.epoch, durable.primary)
        };
        let mut s = Server {
            params: params.into(),
            id,
            servers,
            boots: durable.boots,
            epoch,
            primary,
            log: durable.log.clone(),
            store: KvStore::default(),
            last_write: BTreeMap::new(),
            lost: durable.lost,
            matched: BTreeMap::new(),
            next: BTreeMap::new(),
            waiters: BTreeMap::new(),
            reads: 0,
            redirected_reads: 0,
        };
        s.rebuild();
        s
    }

    /// Starts: timers, and the primary's bookkeeping if it is one.
    pub fn start(&mut self, ctx: &mut SCtx<'_>) {
        let d = ctx.durable_mut();
        d.boots += 1;
        d.epoch = self.epoch;
        d.primary = self.primary;
        self.boots = d.boots;
        if self.is_primary() {
            self.become_primary();
        }
        ctx.set_timer(self.params.heartbeat_interval, AsyncTimer::Heartbeat);
        ctx.set_timer(self.params.ship_interval, AsyncTimer::Ship);
        self.report_status(ctx);
    }

    // ---- accessors (views, observables, invariants) ----

    /// This server.
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// Times it has started.
    pub fn boots(&self) -> u64 {
        self.boots
    }
    /// The epoch it holds.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    /// The primary it believes in.
    pub fn primary(&self) -> Option<NodeId> {
        self.primary
    }
    /// Whether it acts as the primary of its epoch.
    pub fn is_primary(&self) -> bool {
        self.primary == Some(self.id)
    }
    /// Its log.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }
    /// Entries applied to its store (its log's length: replicas apply
    /// what they take at once).
    pub fn applied(&self) -> u64 {
        self.log.len() as u64
    }
    /// The store.
    pub fn store(&self) -> &KvStore {
        &self.store
    }
    /// Entries truncated from its log so far.
    pub fn lost(&self) -> u64 {
        self.lost
    }
    /// As primary: per replica, the highest index known to match.
    pub fn matched(&self) -> &BTreeMap<NodeId, u64> {
        &self.matched
    }
    /// As primary: the highest index held by `sync_replicas` replicas (all
    /// of it when fully asynchronous).
    pub fn synced(&self) -> u64 {
        let k = self.params.sync_replicas as usize;
        if k == 0 {
            return self.applied();
        }
        let mut m: Vec<u64> = self.matched.values().copied().collect();
        m.sort_unstable_by(|a, b| b.cmp(a));
        m.get(k - 1).copied().unwrap_or(0).min(self.applied())
    }
    /// As primary: how far the furthest-behind replica is (entries).
    pub fn lag(&self) -> u64 {
        if !self.is_primary() {
            return 0;
        }
        self.matched
            .values()
            .map(|m| self.applied().saturating_sub(*m))
            .max()
            .unwrap_or(0)
    }
    /// As primary: writes waiting for acknowledgements.
    pub fn waiting(&self) -> usize {
        self.waiters.values().map(Vec::len).sum()
    }
    /// Reads answered here, and reads sent on to the primary.
    pub fn read_counts(&self) -> (u64, u64) {
        (self.reads, self.redirected_reads)
    }

    /// Its last log position.
    pub fn last(&self) -> Pos {
        self.pos_at(self.applied())
    }

    fn pos_at(&self, index: u64) -> Pos {
        match index {
            0 => Pos::default(),
            i => Pos {
                epoch: self.log[(i - 1) as usize].epoch,
                index: i,
            },
        }
    }

    /// Whether its log holds the entry at `pos`.
    pub fn holds(&self, pos: Pos) -> bool {
        pos.index == 0 || (pos.index <= self.applied() && self.pos_at(pos.index) == pos)
    }

    fn data_servers(&self) -> impl Iterator<Item = NodeId> + use<> {
        (1..self.servers).map(NodeId)
    }

    // ---- the log ----

    fn chain_after(&self, len: usize, epoch: u64, command: &Command) -> u64 {
        let prev = if len == 0 { 0 } else { self.log[len - 1].chain };
        faultline_sim::hash::stable_hash(&(prev, epoch, command))
    }

    /// Appends an entry (its chain recomputed over this log) and applies it.
    fn append(&mut self, ctx: &mut SCtx<'_>, epoch: u64, command: Arc<Command>) -> Applied {
        let chain = self.chain_after(self.log.len(), epoch, &command);
        let entry = Entry {
            epoch,
            command,
            chain,
        };
        ctx.durable_mut().log.push(entry.clone());
        self.log.push(entry);
        let index = self.applied();
        self.apply_at(index)
    }

    fn apply_at(&mut self, index: u64) -> Applied {
        let command = self.log[(index - 1) as usize].command.clone();
        let applied = self.store.apply(&command, &index, true);
        if let Command::Client { client, seq, .. } = &*command
            && matches!(applied, Applied::Output { .. })
        {
            self.last_write.insert(*client, (*seq, index));
        }
        applied
    }

    /// Rebuilds the store from the log.
    fn rebuild(&mut self) {
        self.store = KvStore::default();
        self.last_write.clear();
        for i in 1..=self.applied() {
            self.apply_at(i);
        }
    }

    /// Drops the entries after `len`: writes lost.
    fn truncate(&mut self, ctx: &mut SCtx<'_>, len: u64) {
        let gone = self.applied().saturating_sub(len);
        if gone == 0 {
            return;
        }
        self.log.truncate(len as usize);
        let d = ctx.durable_mut();
        d.log.truncate(len as usize);
        d.lost += gone;
        self.lost += gone;
        self.rebuild();
        ctx.report(observe::TRUNCATED);
        let id = self.id;
        ctx.note_with(|| format!("{id} truncated {gone} entries after index {len}"));
    }

    // ---- epochs ----

    /// Takes `epoch` and `primary` if newer; steps down or up as needed.
    fn adopt(&mut self, ctx: &mut SCtx<'_>, epoch: u64, primary: Option<NodeId>) {
        let was_primary = self.is_primary();
        if epoch > self.epoch {
            self.epoch = epoch;
            self.primary = primary;
        } else if epoch == self.epoch && self.primary.is_none() && primary.is_some() {
            self.primary = primary;
        } else {
            return;
        }
        let d = ctx.durable_mut();
        d.epoch = self.epoch;
        d.primary = self.primary;
        if was_primary && !self.is_primary() {
            // Clients waiting here retry elsewhere.
            self.waiters.clear();
            self.matched.clear();
            self.next.clear();
        }
        if !was_primary && self.is_primary() {
            self.become_primary();
            let (id, e) = (self.id, self.epoch);
            ctx.note_with(|| format!("{id} is the primary of epoch {e}"));
        }
    }

    fn become_primary(&mut self) {
        let next = self.applied() + 1;
        self.matched = self
            .data_servers()
            .filter(|&r| r != self.id)
            .map(|r| (r, 0))
            .collect();
        self.next = self
            .data_servers()
            .filter(|&r| r != self.id)
            .map(|r| (r, next))
            .collect();
        self.waiters.clear();
    }

    fn report_status(&self, ctx: &mut SCtx<'_>) {
        ctx.send(
            MONITOR,
            AsyncMsg::Status {
                epoch: self.epoch,
                last: self.last(),
            },
        );
    }

    // ---- events ----

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut SCtx<'_>, timer: AsyncTimer) {
        match timer {
            AsyncTimer::Heartbeat => {
                self.report_status(ctx);
                ctx.set_timer(self.params.heartbeat_interval, AsyncTimer::Heartbeat);
            }
            AsyncTimer::Ship => {
                if self.is_primary() {
                    self.ship(ctx);
                }
                ctx.set_timer(self.params.ship_interval, AsyncTimer::Ship);
            }
            _ => {}
        }
    }

    fn ship(&mut self, ctx: &mut SCtx<'_>) {
        let len = self.applied();
        let batch = u64::from(self.params.ship_batch);
        for (&r, &next) in &self.next {
            let from = next.clamp(1, len + 1);
            let upto = len.min(from - 1 + batch);
            let entries = self.log[(from - 1) as usize..upto as usize].to_vec();
            ctx.send(
                r,
                AsyncMsg::Ship {
                    epoch: self.epoch,
                    prev: self.pos_at(from - 1),
                    entries,
                    end: len,
                },
            );
        }
    }

    /// Handles a message.
    pub fn on_message(&mut self, ctx: &mut SCtx<'_>, from: NodeId, msg: AsyncMsg) {
        match msg {
            AsyncMsg::Info { epoch, primary } => self.adopt(ctx, epoch, primary),
            AsyncMsg::Fence { epoch } => {
                if epoch >= self.epoch {
                    self.adopt(ctx, epoch, None);
                    ctx.send(
                        MONITOR,
                        AsyncMsg::Fenced {
                            epoch,
                            last: self.last(),
                        },
                    );
                }
            }
            AsyncMsg::StaleEpoch { epoch, primary } => self.adopt(ctx, epoch, primary),
            AsyncMsg::Ship {
                epoch,
                prev,
                entries,
                end,
            } => self.on_ship(ctx, from, epoch, prev, entries, end),
            AsyncMsg::Sync { epoch, log } => self.on_sync(ctx, from, epoch, &log),
            AsyncMsg::Ack { epoch, matched } => {
                if epoch == self.epoch && self.is_primary() {
                    let m = self.matched.entry(from).or_insert(0);
                    *m = (*m).max(matched.min(self.log.len() as u64));
                    let m = *m;
                    let n = self.next.entry(from).or_insert(1);
                    *n = (*n).max(m + 1);
                    self.release(ctx);
                }
            }
            AsyncMsg::Mismatch { epoch } => {
                if epoch == self.epoch && self.is_primary() {
                    ctx.send(
                        from,
                        AsyncMsg::Sync {
                            epoch,
                            log: Arc::new(self.log.clone()),
                        },
                    );
                }
            }
            AsyncMsg::Request {
                seq,
                input,
                token,
                replica_read,
            } => self.on_request(ctx, from, seq, input, token, replica_read),
            AsyncMsg::Status { .. } | AsyncMsg::Fenced { .. } | AsyncMsg::Response { .. } => {}
        }
    }

    /// Checks a shipment's or sync's epoch: false when it is stale (the
    /// sender is told).
    fn accept_epoch(&mut self, ctx: &mut SCtx<'_>, from: NodeId, epoch: u64) -> bool {
        if epoch < self.epoch || (epoch == self.epoch && self.is_primary()) {
            ctx.send(
                from,
                AsyncMsg::StaleEpoch {
                    epoch: self.epoch,
                    primary: self.primary,
                },
            );
            return false;
        }
        self.adopt(ctx, epoch, Some(from));
        self.primary == Some(from)
    }

    fn on_ship(
        &mut self,
        ctx: &mut SCtx<'_>,
        from: NodeId,
        epoch: u64,
        prev: Pos,
        entries: Vec<Entry>,
        end: u64,
    ) {
        if !self.accept_epoch(ctx, from, epoch) {
            return;
        }
        let trusting = self.params.has(AsyncBug::KeepDivergentSuffix);
        if !trusting && !self.holds(prev) {
            ctx.send(from, AsyncMsg::Mismatch { epoch });
            return;
        }
        let n = entries.len() as u64;
        for (j, e) in entries.into_iter().enumerate() {
            let index = prev.index + 1 + j as u64;
            if index <= self.applied() {
                if trusting || self.pos_at(index).epoch == e.epoch {
                    continue;
                }
                self.truncate(ctx, index - 1);
            }
            if index == self.applied() + 1 {
                self.append(ctx, e.epoch, e.command);
            }
        }
        let matched = if trusting {
            self.applied().min(end)
        } else {
            // Entries of older epochs past the primary's end are not in its
            // log and never will be.
            if prev.index + n == end
                && let Some(cut) =
                    (end + 1..=self.applied()).find(|&i| self.pos_at(i).epoch != epoch)
            {
                self.truncate(ctx, cut - 1);
            }
            prev.index + n
        };
        ctx.send(from, AsyncMsg::Ack { epoch, matched });
    }

    fn on_sync(&mut self, ctx: &mut SCtx<'_>, from: NodeId, epoch: u64, log: &[Entry]) {
        if !self.accept_epoch(ctx, from, epoch) {
            return;
        }
        let theirs = log.len() as u64;
        let mine = self.applied();
        let keep = if self.params.has(AsyncBug::KeepDivergentSuffix) {
            // Trusts its own log to be a prefix of the primary's.
            mine
        } else {
            let both = mine.min(theirs);
            let common = (1..=both)
                .find(|&i| self.pos_at(i).epoch != log[(i - 1) as usize].epoch)
                .map_or(both, |i| i - 1);
            if common < both || mine <= theirs {
                common
            } else {
                // Longer than the primary's log: only this epoch's entries
                // past its end can be newer entries of it.
                (theirs + 1..=mine)
                    .find(|&i| self.pos_at(i).epoch != epoch)
                    .map_or(mine, |i| i - 1)
            }
        };
        self.truncate(ctx, keep);
        for e in &log[(keep.min(theirs)) as usize..] {
            self.append(ctx, e.epoch, e.command.clone());
        }
        ctx.report(observe::RESYNCED);
        ctx.send(
            from,
            AsyncMsg::Ack {
                epoch,
                matched: theirs.min(self.applied()),
            },
        );
    }

    /// Answers the writes the replicas' acknowledgements now cover.
    fn release(&mut self, ctx: &mut SCtx<'_>) {
        let synced = self.synced();
        let done: Vec<u64> = self.waiters.range(..=synced).map(|(i, _)| *i).collect();
        for index in done {
            let pos = self.pos_at(index);
            for w in self.waiters.remove(&index).unwrap_or_default() {
                ctx.send(
                    w.client,
                    AsyncMsg::Response {
                        seq: w.seq,
                        reply: Reply::Ok {
                            output: w.output,
                            pos,
                        },
                    },
                );
            }
        }
    }

    fn on_request(
        &mut self,
        ctx: &mut SCtx<'_>,
        client: NodeId,
        seq: u64,
        input: KvInput,
        token: Option<Pos>,
        replica_read: bool,
    ) {
        let reply = |reply| AsyncMsg::Response { seq, reply };
        if let KvInput::Get { key } = &input
            && (replica_read || self.is_primary())
        {
            let token = token.unwrap_or_default();
            let ignore = self.params.has(AsyncBug::IgnoreSessionToken) && !self.is_primary();
            if !ignore && !self.holds(token) {
                let lost = self.is_primary() && token.epoch < self.epoch;
                let r = if lost {
                    Reply::SessionLost { pos: self.last() }
                } else {
                    self.redirected_reads += 1;
                    Reply::Behind {
                        primary: self.primary,
                    }
                };
                ctx.send(client, reply(r));
                return;
            }
            self.reads += 1;
            let output = self.store.read(key);
            ctx.send(
                client,
                reply(Reply::Ok {
                    output,
                    pos: self.last(),
                }),
            );
            return;
        }
        if !self.is_primary() {
            ctx.send(
                client,
                reply(Reply::NotPrimary {
                    primary: self.primary,
                }),
            );
            return;
        }
        // A retry of a write already in the log: answer it once synced.
        if let Some(session) = self.store.session(client) {
            if session.seq > seq {
                return;
            }
            if session.seq == seq {
                let output = session.output.clone();
                let index = self.last_write.get(&client).map_or(0, |&(_, i)| i);
                self.wait_or_answer(ctx, client, seq, output, index);
                return;
            }
        }
        let command = Arc::new(Command::Client { client, seq, input });
        let epoch = self.epoch;
        if let Applied::Output { output, .. } = self.append(ctx, epoch, command) {
            let index = self.applied();
            self.wait_or_answer(ctx, client, seq, output, index);
        }
    }

    fn wait_or_answer(
        &mut self,
        ctx: &mut SCtx<'_>,
        client: NodeId,
        seq: u64,
        output: KvOutput,
        index: u64,
    ) {
        if index <= self.synced() {
            let pos = self.pos_at(index);
            ctx.send(
                client,
                AsyncMsg::Response {
                    seq,
                    reply: Reply::Ok { output, pos },
                },
            );
        } else {
            let list = self.waiters.entry(index).or_default();
            if !list.iter().any(|w| w.client == client && w.seq == seq) {
                list.push(Waiter {
                    client,
                    seq,
                    output,
                });
            }
        }
    }
}
