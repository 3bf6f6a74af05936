//! A quorum server: replica of the keys whose preference lists name it,
//! coordinator of any client request sent to it, holder of hints for
//! unreachable owners, and a partner in anti-entropy (DeCandia et al. 2007,
//! §4.5-4.7).
//!
//! **Coordinating** (§4.5). Reads go to the key's first `n` healthy
//! replicas and finish at `r` distinct replies, merged; writes go to the
//! same and finish at `w` distinct durable acknowledgements. A `put` under
//! last-writer-wins is a blind write stamped with the coordinator's clock;
//! every other write (an `append`, a `put` under version vectors) reads a
//! quorum first, so the new version is written over what it read. A `cas`
//! is refused (`Fail`): nothing here could make its comparison and its
//! write atomic.
//!
//! **Sloppy quorum and hinted handoff** (§4.6). A replica silent for
//! `replica_timeout` is suspected; with `sloppy`, the coordinator sends the
//! operation to the next server of the ring that is neither an owner nor
//! suspected, naming the owner it stands in for. That server keeps the
//! write apart, as a hint, counts towards the quorum in the owner's place
//! (acknowledgements are counted per owner: two stand-ins for one owner
//! leave one copy once both have handed off), and offers the hint
//! to the owner every `handoff_interval` until the owner confirms it.
//!
//! **Repair** (§4.7, and Cassandra's read repair). After a read the
//! coordinator sends the merged versions to the owners that answered with
//! less, in the background (the client has its answer first), and every
//! `anti_entropy_interval` each server sends a random peer the digests of
//! the keys they both replicate; they swap the versions that differ. The
//! comparison is flat, one digest per key, where Dynamo walks Merkle trees
//! to send less: the result is the same, the message sizes are not.

use super::msg::{Entries, QuorumMsg, QuorumTimer, Reply};
use super::observe::{ANTI_ENTROPY_REPAIR, HINT_DELIVERED, HINT_STORED};
use super::params::{QuorumBug, QuorumParams};
use super::version::{self, Stamp, Version, Versions};
use super::{QuorumDurable, QuorumNode};
use crate::family::kv::KvInput;
use crate::fixed::Fixed;
use crate::hashing::hash::key_hash;
use crate::hashing::ring::Ring;
use faultline_sim::{Ctx, LocalTime, NodeId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

type SCtx<'a> = Ctx<'a, QuorumNode>;

mod coordinator;

/// Acknowledged writes each coordinator remembers for the
/// `acked_writes_replicated` invariant.
pub const ACKED_LOG: usize = 32;

/// Where an operation's phase stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Gathering `r` replies.
    Reading,
    /// Gathering `w` acknowledgements.
    Writing,
}

/// An operation this server coordinates.
#[derive(Clone, Debug, Hash)]
pub struct CoordOp {
    /// The client.
    pub client: NodeId,
    /// The client's sequence number.
    pub seq: u64,
    /// The request.
    pub input: KvInput,
    /// Reading or writing.
    pub phase: Phase,
    /// Servers asked in this phase, each with the owner it stands in for.
    pub targets: Vec<(NodeId, Option<NodeId>)>,
    /// Replies of the read phase, by server.
    pub reads: BTreeMap<NodeId, Versions>,
    /// The owners whose copies are acknowledged (an owner's own
    /// acknowledgement or a stand-in's for it).
    pub acks: BTreeSet<NodeId>,
    /// The version being written.
    pub version: Option<Version>,
    /// Phases sent so far (the replica checks of earlier ones are stale).
    pub round: u64,
}

/// A server's state.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    id: NodeId,
    params: Fixed<QuorumParams>,
    ring: Fixed<Ring>,
    servers: u32,
    /// The keys it owns, with their versions (on disk too).
    store: BTreeMap<String, Versions>,
    /// Hints it holds: (owner, key) to versions (on disk too).
    hints: BTreeMap<(NodeId, String), Versions>,
    /// Operations it coordinates.
    ops: BTreeMap<u64, CoordOp>,
    /// Servers that did not answer in time, until they are heard from or
    /// the suspicion expires (its monotonic clock).
    suspected: BTreeMap<NodeId, LocalTime>,
    /// The last writes it acknowledged, newest last: the
    /// `acked_writes_replicated` invariant checks they stay on `w` disks.
    acked: VecDeque<(String, Stamp)>,
    /// Read repairs sent.
    pub read_repairs: u64,
    /// Hints handed off and confirmed.
    pub hints_delivered: u64,
    /// Reads that found siblings.
    pub sibling_reads: u64,
    /// Keys anti-entropy changed here.
    pub anti_entropy_repairs: u64,
}

impl Server {
    /// A server rebuilt from its disk.
    pub fn recover(
        params: Arc<QuorumParams>,
        ring: Arc<Ring>,
        servers: u32,
        id: NodeId,
        durable: &QuorumDurable,
    ) -> Self {
        Server {
            id,
            params: params.into(),
            ring: ring.into(),
            servers,
            store: durable.store.clone(),
            hints: durable.hints.clone(),
            ops: BTreeMap::new(),
            suspected: BTreeMap::new(),
            acked: VecDeque::new(),
            read_repairs: 0,
            hints_delivered: 0,
            sibling_reads: 0,
            anti_entropy_repairs: 0,
        }
    }

    /// This server.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The parameters.
    pub fn params(&self) -> &QuorumParams {
        &self.params
    }

    /// Its store.
    pub fn store(&self) -> &BTreeMap<String, Versions> {
        &self.store
    }

    /// The hints it holds.
    pub fn hints(&self) -> &BTreeMap<(NodeId, String), Versions> {
        &self.hints
    }

    /// The servers it suspects.
    pub fn suspected(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.suspected.keys().copied()
    }

    /// Forgets suspicions older than ten replica timeouts: a server that
    /// is no longer asked would otherwise never be heard from again.
    fn expire_suspicions(&mut self, ctx: &SCtx<'_>) {
        let now = ctx.monotonic_now();
        self.suspected.retain(|_, until| *until > now);
    }

    /// Operations it is coordinating.
    pub fn ops(&self) -> &BTreeMap<u64, CoordOp> {
        &self.ops
    }

    /// The writes it acknowledged lately.
    pub fn acked(&self) -> &VecDeque<(String, Stamp)> {
        &self.acked
    }

    /// The key's owners: its preference list.
    pub fn owners(&self, key: &str) -> Vec<NodeId> {
        owners(&self.ring, key, self.params.n)
    }

    /// Starts the periodic work.
    pub fn start(&mut self, ctx: &mut SCtx<'_>) {
        if self.params.runs_anti_entropy() {
            let first = self.jitter(ctx, self.params.anti_entropy_interval);
            ctx.set_timer(first, QuorumTimer::AntiEntropy);
        }
        let first = self.jitter(ctx, self.params.handoff_interval);
        ctx.set_timer(first, QuorumTimer::Handoff);
    }

    fn jitter(&self, ctx: &mut SCtx<'_>, period: std::time::Duration) -> std::time::Duration {
        let nanos = period.as_nanos() as u64;
        std::time::Duration::from_nanos(nanos / 2 + ctx.rng().below(nanos.max(1)))
    }

    // ---- replica side -------------------------------------------------

    fn persist_key(&self, ctx: &mut SCtx<'_>, key: &str) {
        let d = ctx.durable_mut();
        match self.store.get(key) {
            Some(v) => {
                d.store.insert(key.to_string(), v.clone());
            }
            None => {
                d.store.remove(key);
            }
        }
    }

    fn persist_hint(&self, ctx: &mut SCtx<'_>, slot: &(NodeId, String)) {
        let d = ctx.durable_mut();
        match self.hints.get(slot) {
            Some(v) => {
                d.hints.insert(slot.clone(), v.clone());
            }
            None => {
                d.hints.remove(slot);
            }
        }
    }

    /// Merges versions of `key` into the store (and the disk); whether it
    /// changed.
    fn absorb(&mut self, ctx: &mut SCtx<'_>, key: &str, incoming: &[Version]) -> bool {
        let held = self.store.entry(key.to_string()).or_default();
        let changed = version::merge(held, incoming, self.params.conflicts);
        if changed {
            self.persist_key(ctx, key);
        }
        changed
    }

    /// What this server answers a read of `key` with: its versions and
    /// those it holds as hints.
    fn local_versions(&self, key: &str) -> Versions {
        let mut out = self.store.get(key).cloned().unwrap_or_default();
        for ((_, k), v) in &self.hints {
            if k == key {
                version::merge(&mut out, v, self.params.conflicts);
            }
        }
        out
    }

    fn store_write(
        &mut self,
        ctx: &mut SCtx<'_>,
        key: &str,
        version: &Version,
        hint: Option<NodeId>,
    ) {
        match hint {
            Some(owner) if owner != self.id => {
                let slot = (owner, key.to_string());
                let held = self.hints.entry(slot.clone()).or_default();
                version::merge(held, std::slice::from_ref(version), self.params.conflicts);
                self.persist_hint(ctx, &slot);
                ctx.report(HINT_STORED);
            }
            _ => {
                self.absorb(ctx, key, std::slice::from_ref(version));
            }
        }
    }

    /// Handles a message.
    pub fn on_message(&mut self, ctx: &mut SCtx<'_>, from: NodeId, msg: QuorumMsg) {
        if from.0 < self.servers {
            self.suspected.remove(&from);
        }
        match msg {
            QuorumMsg::ClientRequest { seq, input } => self.coordinate(ctx, from, seq, input),
            QuorumMsg::Read { op, key } => {
                let versions = self.local_versions(&key);
                self.deliver_local_or_send(ctx, from, QuorumMsg::ReadReply { op, versions });
            }
            QuorumMsg::ReadReply { op, versions } => self.on_read_reply(ctx, op, from, versions),
            QuorumMsg::Write {
                op,
                key,
                version,
                hint,
            } => {
                self.store_write(ctx, &key, &version, hint);
                self.deliver_local_or_send(ctx, from, QuorumMsg::WriteAck { op });
            }
            QuorumMsg::WriteAck { op } => self.on_write_ack(ctx, op, from),
            QuorumMsg::Repair { key, versions } => {
                self.absorb(ctx, &key, &versions);
            }
            QuorumMsg::Handoff { entries } => {
                for (key, versions) in &entries {
                    self.absorb(ctx, key, versions);
                }
                ctx.send(from, QuorumMsg::HandoffAck { entries });
            }
            QuorumMsg::HandoffAck { entries } => {
                for (key, versions) in entries {
                    let slot = (from, key);
                    let delivered = self.hints.get(&slot).is_some_and(|held| {
                        held.iter().all(|h| version::holds(&versions, &h.stamp))
                    });
                    if delivered {
                        self.hints.remove(&slot);
                        self.persist_hint(ctx, &slot);
                        self.hints_delivered += 1;
                        ctx.report(HINT_DELIVERED);
                    }
                }
            }
            QuorumMsg::SyncDigest { digests } => self.on_sync_digest(ctx, from, digests),
            QuorumMsg::SyncReply { entries, want } => {
                self.absorb_sync(ctx, &entries);
                let entries: Entries = want
                    .into_iter()
                    .filter_map(|k| self.store.get(&k).map(|v| (k, v.clone())))
                    .collect();
                if !entries.is_empty() {
                    ctx.send(from, QuorumMsg::SyncPush { entries });
                }
            }
            QuorumMsg::SyncPush { entries } => self.absorb_sync(ctx, &entries),
            QuorumMsg::ClientReply { .. } => {}
        }
    }

    fn absorb_sync(&mut self, ctx: &mut SCtx<'_>, entries: &Entries) {
        for (key, versions) in entries {
            // Only keys this server owns enter its store.
            if self.owners(key).contains(&self.id) && self.absorb(ctx, key, versions) {
                self.anti_entropy_repairs += 1;
                ctx.report(ANTI_ENTROPY_REPAIR);
            }
        }
    }

    fn on_sync_digest(&mut self, ctx: &mut SCtx<'_>, from: NodeId, digests: Vec<(String, u64)>) {
        let mut entries = Entries::new();
        let mut want = Vec::new();
        let listed: BTreeSet<&str> = digests.iter().map(|(k, _)| k.as_str()).collect();
        for (key, digest) in &digests {
            match self.store.get(key) {
                None => want.push(key.clone()),
                Some(mine) if version::digest(mine) != *digest => {
                    entries.push((key.clone(), mine.clone()));
                    want.push(key.clone());
                }
                Some(_) => {}
            }
        }
        for (key, mine) in &self.store {
            if !listed.contains(key.as_str()) && self.owners(key).contains(&from) {
                entries.push((key.clone(), mine.clone()));
            }
        }
        if !entries.is_empty() || !want.is_empty() {
            ctx.send(from, QuorumMsg::SyncReply { entries, want });
        }
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut SCtx<'_>, timer: QuorumTimer) {
        match timer {
            QuorumTimer::AntiEntropy => {
                self.anti_entropy(ctx);
                ctx.set_timer(self.params.anti_entropy_interval, QuorumTimer::AntiEntropy);
            }
            QuorumTimer::Handoff => {
                self.hand_off(ctx);
                ctx.set_timer(self.params.handoff_interval, QuorumTimer::Handoff);
            }
            QuorumTimer::ReplicaCheck { op, round } => self.replica_check(ctx, op, round),
            QuorumTimer::CoordinatorTimeout { op } => {
                if let Some(o) = self.ops.remove(&op) {
                    ctx.note_with(|| format!("op {op} ({:?}) unavailable", o.input));
                    ctx.send(
                        o.client,
                        QuorumMsg::ClientReply {
                            seq: o.seq,
                            reply: Reply::Unavailable,
                        },
                    );
                }
            }
            QuorumTimer::ClientRetry { .. } => {}
        }
    }

    fn anti_entropy(&mut self, ctx: &mut SCtx<'_>) {
        if self.servers < 2 {
            return;
        }
        let pick = ctx.rng().below(u64::from(self.servers) - 1) as u32;
        let peer = NodeId(if pick >= self.id.0 { pick + 1 } else { pick });
        let digests: Vec<(String, u64)> = self
            .store
            .iter()
            .filter(|(k, _)| self.owners(k).contains(&peer))
            .map(|(k, v)| (k.clone(), version::digest(v)))
            .collect();
        ctx.send(peer, QuorumMsg::SyncDigest { digests });
    }

    fn hand_off(&mut self, ctx: &mut SCtx<'_>) {
        let mut by_owner: BTreeMap<NodeId, Entries> = BTreeMap::new();
        for ((owner, key), versions) in &self.hints {
            by_owner
                .entry(*owner)
                .or_default()
                .push((key.clone(), versions.clone()));
        }
        for (owner, entries) in by_owner {
            if self.params.has(QuorumBug::HintDroppedOnHandoff) {
                // The bug: forget the hints once sent, confirmed or not.
                for (key, _) in &entries {
                    let slot = (owner, key.clone());
                    self.hints.remove(&slot);
                    self.persist_hint(ctx, &slot);
                }
            }
            ctx.send(owner, QuorumMsg::Handoff { entries });
        }
    }
}

/// The first `n` distinct servers clockwise from `key`'s hash.
pub fn owners(ring: &Ring, key: &str, n: u32) -> Vec<NodeId> {
    ring.preference_list(key_hash(key), n as usize)
}
