//! A storage node: serves the keys it is primary for, replicates writes to
//! the preference list, and settles each membership version by fetching
//! the keys it owns from every member of the previous and the new version.

use super::msg::{Entry, KvDurable, KvMsg, KvTimer, Stamp};
use super::node::KvNode;
use super::params::{KvBug, Shared};
use crate::family::kv::{KvInput, KvOutput};
use crate::fixed::Fixed;
use faultline_sim::{Ctx, NodeId, OpId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

type Cx<'a, 'b> = &'a mut Ctx<'b, KvNode>;

/// A write waiting for its replicas.
#[derive(Clone, Debug, Hash)]
struct PendingWrite {
    client: NodeId,
    op: OpId,
    key: String,
    entry: Entry,
    output: KvOutput,
    targets: Vec<NodeId>,
    acked: BTreeSet<NodeId>,
    needed: usize,
    replied: bool,
}

/// A storage node's volatile state.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    shared: Fixed<Shared>,
    id: NodeId,
    /// The membership version this node acts on.
    pub version: u32,
    /// The newest version this node has heard of.
    pub target: u32,
    /// Whether it has heard from every source of `version`.
    pub settled: bool,
    heard: BTreeSet<NodeId>,
    /// The data.
    pub store: BTreeMap<String, Entry>,
    lamport: u64,
    next_write: u64,
    pending: BTreeMap<u64, PendingWrite>,
    next_reply: u64,
    /// Keys this node does not own that it sent, per fetch reply.
    sent_replies: BTreeMap<u64, Vec<(String, Stamp)>>,
    /// Keys this node does not own: the stamp handed off and who confirmed it.
    handed: BTreeMap<String, (Stamp, BTreeSet<NodeId>)>,
    /// Client requests served.
    pub served: u64,
    /// Keys that arrived through fetches that this node did not hold.
    pub keys_received: u64,
}

impl Server {
    /// A server recovering from its durable state.
    pub fn new(shared: Arc<Shared>, id: NodeId, durable: &KvDurable) -> Server {
        Server {
            id,
            version: durable.version,
            target: durable.version,
            settled: !durable.booted,
            heard: BTreeSet::new(),
            store: if shared.params.durable {
                durable.store.clone()
            } else {
                BTreeMap::new()
            },
            lamport: 0,
            next_write: 0,
            pending: BTreeMap::new(),
            next_reply: 0,
            sent_replies: BTreeMap::new(),
            handed: BTreeMap::new(),
            served: 0,
            keys_received: 0,
            shared: shared.into(),
        }
    }

    /// Parameters and membership versions.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Whether this node is still replicating a write of `key`.
    pub fn replicating(&self, key: &str) -> bool {
        self.pending.values().any(|p| p.key == key)
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Whether this node is a member of its version.
    pub fn is_member(&self) -> bool {
        self.shared.topology.is_member(self.version, self.id)
    }

    pub(super) fn start(&mut self, ctx: Cx) {
        let restart = ctx.durable().booted;
        ctx.durable_mut().booted = true;
        self.lamport = self
            .store
            .values()
            .map(|e| e.stamp.counter)
            .max()
            .unwrap_or(0);
        if restart {
            // Whatever this node holds may be stale or gone: settle again.
            self.adopt(ctx, self.version);
            self.advance(ctx);
        }
        let now = Duration::from_nanos(ctx.now().0.max(0) as u64);
        let mine: Vec<(u32, Duration)> = self
            .shared
            .topology
            .versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.change.node() == Some(self.id))
            .map(|(i, v)| (i as u32, v.at))
            .collect();
        for (version, at) in mine {
            if version > self.version {
                ctx.set_timer(at.saturating_sub(now), KvTimer::Change { version });
            }
        }
        ctx.set_timer(self.shared.params.sync_interval, KvTimer::Sync);
    }

    /// Hears of a newer version; moves to it when settled.
    fn learn(&mut self, ctx: Cx, version: u32) {
        if version > self.target {
            self.target = version;
        }
        self.advance(ctx);
    }

    /// Steps one version at a time while settled: a node's data covers
    /// version `v` only once it has heard from every source of `v`, and
    /// only then may it answer fetches for `v + 1`.
    fn advance(&mut self, ctx: Cx) {
        while self.settled && self.version < self.target {
            self.adopt(ctx, self.version + 1);
        }
    }

    /// Acts on `version` from now on and fetches its data.
    fn adopt(&mut self, ctx: Cx, version: u32) {
        self.version = version;
        self.target = self.target.max(version);
        ctx.durable_mut().version = version;
        self.heard.clear();
        self.sent_replies.clear();
        self.handed.clear();
        let topo = &self.shared.topology;
        let sources = topo.sources(version, self.id);
        self.settled = !topo.is_member(version, self.id) || sources.is_empty();
        ctx.note_with(|| format!("adopt version {version} (settled: {})", self.settled));
        if !self.settled {
            for s in sources {
                ctx.send(s, KvMsg::Fetch { version });
            }
        }
    }

    pub(super) fn on_timer(&mut self, ctx: Cx, timer: KvTimer) {
        match timer {
            KvTimer::Change { version } => {
                ctx.note_with(|| format!("announce version {version}"));
                ctx.broadcast(KvMsg::Announce { version });
                self.learn(ctx, version);
            }
            KvTimer::Sync => {
                self.sync(ctx);
                ctx.set_timer(self.shared.params.sync_interval, KvTimer::Sync);
            }
            _ => {}
        }
    }

    /// Periodic work: retry fetches (or, once settled, anti-entropy with the
    /// other members), retry replication, drop handed-off keys.
    fn sync(&mut self, ctx: Cx) {
        let topo = &self.shared.topology;
        let version = self.version;
        if !self.settled {
            for s in topo.sources(version, self.id) {
                if !self.heard.contains(&s) {
                    ctx.send(s, KvMsg::Fetch { version });
                }
            }
        } else if topo.is_member(version, self.id) {
            for &s in topo.members(version) {
                if s != self.id {
                    ctx.send(s, KvMsg::Fetch { version });
                }
            }
        }
        for (&write, p) in &self.pending {
            for &t in &p.targets {
                if !p.acked.contains(&t) {
                    ctx.send(
                        t,
                        KvMsg::Replicate {
                            version,
                            write,
                            key: p.key.clone(),
                            entry: p.entry.clone(),
                        },
                    );
                }
            }
        }
        self.push_unconfirmed(ctx);
        self.drop_handed(ctx);
    }

    /// Pushes keys this node no longer owns to the owners that have not
    /// confirmed their current value: fetches stop once a version settles,
    /// but a late write can still reach an old owner.
    fn push_unconfirmed(&mut self, ctx: Cx) {
        if !self.settled {
            return; // fetches from the new owners are still coming
        }
        let topo = &self.shared.topology;
        let mut by_owner: BTreeMap<NodeId, Vec<(String, Entry)>> = BTreeMap::new();
        for (key, entry) in &self.store {
            let pref = topo.preference_list(self.version, key);
            if pref.contains(&self.id) {
                continue;
            }
            let confirmed = self
                .handed
                .get(key)
                .filter(|(stamp, _)| *stamp == entry.stamp)
                .map(|(_, who)| who);
            for n in pref {
                if !confirmed.is_some_and(|who| who.contains(&n)) {
                    by_owner
                        .entry(n)
                        .or_default()
                        .push((key.clone(), entry.clone()));
                }
            }
        }
        for (owner, entries) in by_owner {
            let reply = self.next_reply;
            self.next_reply += 1;
            let sent: Vec<(String, Stamp)> =
                entries.iter().map(|(k, e)| (k.clone(), e.stamp)).collect();
            ctx.send(
                owner,
                KvMsg::Handoff {
                    version: self.version,
                    reply,
                    entries,
                },
            );
            if self.shared.bug(KvBug::DeleteBeforeConfirm) {
                for (key, _) in &sent {
                    self.remove(ctx, key);
                }
            } else {
                self.sent_replies.insert(reply, sent);
            }
        }
    }

    pub(super) fn on_message(&mut self, ctx: Cx, from: NodeId, msg: KvMsg) {
        match msg {
            KvMsg::Request {
                op,
                input,
                version,
                failover,
            } => self.request(ctx, from, op, input, version, failover),
            KvMsg::Announce { version } | KvMsg::NotReady { version } => self.learn(ctx, version),
            KvMsg::Replicate {
                version,
                write,
                key,
                entry,
            } => {
                self.merge(ctx, key, entry);
                ctx.send(from, KvMsg::ReplicateAck { write });
                self.learn(ctx, version);
            }
            KvMsg::ReplicateAck { write } => {
                if let Some(p) = self.pending.get_mut(&write) {
                    p.acked.insert(from);
                }
                self.check_quorum(ctx, write);
            }
            KvMsg::Fetch { version } => self.fetch(ctx, from, version),
            KvMsg::FetchReply {
                version,
                reply,
                entries,
            } => self.fetch_reply(ctx, from, version, reply, entries),
            KvMsg::Handoff {
                version,
                reply,
                entries,
            } => {
                if version == self.version {
                    for (key, entry) in entries {
                        self.merge(ctx, key, entry);
                    }
                    ctx.send(from, KvMsg::Stored { version, reply });
                }
                self.learn(ctx, version);
            }
            KvMsg::Stored { version, reply } => {
                if version == self.version
                    && let Some(sent) = self.sent_replies.remove(&reply)
                {
                    for (key, stamp) in sent {
                        if self.store.get(&key).is_some_and(|e| e.stamp == stamp) {
                            let (handed_stamp, who) = self
                                .handed
                                .entry(key)
                                .or_insert_with(|| (stamp, BTreeSet::new()));
                            if *handed_stamp != stamp {
                                *handed_stamp = stamp;
                                who.clear();
                            }
                            who.insert(from);
                        }
                    }
                    self.drop_handed(ctx);
                }
            }
            KvMsg::Behind { version } => {
                if version > self.version {
                    // Everyone at `version` has settled `version - 1`, which
                    // needed this node if it held anything: jumping is safe.
                    self.adopt(ctx, version);
                }
                self.advance(ctx);
            }
            other => ctx.note_with(|| format!("ignored unexpected {other:?} from {from}")),
        }
    }

    fn request(
        &mut self,
        ctx: Cx,
        client: NodeId,
        op: OpId,
        input: KvInput,
        version: u32,
        failover: bool,
    ) {
        if version > self.version {
            self.learn(ctx, version);
            ctx.send(client, KvMsg::Retry { op });
            return;
        }
        let stale_ring = self.shared.bug(KvBug::StaleRing);
        if version < self.version && !stale_ring {
            ctx.send(
                client,
                KvMsg::WrongVersion {
                    op,
                    version: self.version,
                },
            );
            return;
        }
        // Correct: `version == self.version`. With the stale-ring bug the
        // request's (possibly old) version decides ownership.
        let pref = self.shared.topology.preference_list(version, input.key());
        let mine = if failover {
            pref.contains(&self.id)
        } else {
            pref.first() == Some(&self.id)
        };
        if !mine {
            ctx.send(
                client,
                KvMsg::WrongVersion {
                    op,
                    version: self.version,
                },
            );
            return;
        }
        if !self.settled {
            ctx.send(client, KvMsg::Retry { op });
            return;
        }
        self.served += 1;
        self.coordinate(ctx, client, op, input, pref);
    }

    /// Runs an operation as its coordinator: reads answer from the local
    /// copy; writes get a new stamp and go to every replica, answered after
    /// W of them (this node included) stored it.
    fn coordinate(&mut self, ctx: Cx, client: NodeId, op: OpId, input: KvInput, pref: Vec<NodeId>) {
        let current = self.store.get(input.key()).cloned();
        let current = current.as_ref();
        let (key, value, output) = match input {
            KvInput::Get { .. } => {
                let value = current.map(|e| e.value.clone());
                ctx.send(
                    client,
                    KvMsg::Reply {
                        op,
                        output: KvOutput::Value(value),
                        stamp: None,
                    },
                );
                return;
            }
            KvInput::Put { key, value } => (key, value, KvOutput::Written),
            KvInput::Append { key, value } => {
                let old = current.map_or("", |e| e.value.as_str());
                (key, format!("{old}{value}"), KvOutput::Written)
            }
            KvInput::Cas { key, expected, new } => {
                let now = current.map_or("", |e| e.value.as_str());
                if expected.as_deref().unwrap_or("") != now {
                    ctx.send(
                        client,
                        KvMsg::Reply {
                            op,
                            output: KvOutput::Cas(false),
                            stamp: None,
                        },
                    );
                    return;
                }
                (key, new, KvOutput::Cas(true))
            }
        };
        self.lamport = self.lamport.max(current.map_or(0, |e| e.stamp.counter)) + 1;
        let entry = Entry {
            value,
            stamp: Stamp {
                counter: self.lamport,
                node: self.id.0,
            },
        };
        self.merge(ctx, key.clone(), entry.clone());
        let write = self.next_write;
        self.next_write += 1;
        let targets: Vec<NodeId> = pref.iter().copied().filter(|&n| n != self.id).collect();
        for &t in &targets {
            ctx.send(
                t,
                KvMsg::Replicate {
                    version: self.version,
                    write,
                    key: key.clone(),
                    entry: entry.clone(),
                },
            );
        }
        let needed = (self.shared.params.write_quorum as usize)
            .min(pref.len())
            .max(1);
        self.pending.insert(
            write,
            PendingWrite {
                client,
                op,
                key,
                entry,
                output,
                targets,
                acked: BTreeSet::from([self.id]),
                needed,
                replied: false,
            },
        );
        self.check_quorum(ctx, write);
    }

    fn check_quorum(&mut self, ctx: Cx, write: u64) {
        let Some(p) = self.pending.get_mut(&write) else {
            return;
        };
        if !p.replied && p.acked.len() >= p.needed {
            p.replied = true;
            ctx.send(
                p.client,
                KvMsg::Reply {
                    op: p.op,
                    output: p.output.clone(),
                    stamp: Some(p.entry.stamp),
                },
            );
        }
        if p.replied && p.targets.iter().all(|t| p.acked.contains(t)) {
            self.pending.remove(&write);
        }
    }

    /// Keeps the entry with the higher stamp.
    fn merge(&mut self, ctx: Cx, key: String, entry: Entry) -> bool {
        self.lamport = self.lamport.max(entry.stamp.counter);
        if self.store.get(&key).is_some_and(|e| e.stamp >= entry.stamp) {
            return false;
        }
        if self.shared.params.durable {
            ctx.durable_mut().store.insert(key.clone(), entry.clone());
        }
        self.store.insert(key, entry);
        true
    }

    fn remove(&mut self, ctx: Cx, key: &str) {
        self.store.remove(key);
        self.handed.remove(key);
        if self.shared.params.durable {
            ctx.durable_mut().store.remove(key);
        }
    }

    fn fetch(&mut self, ctx: Cx, from: NodeId, version: u32) {
        if version > self.version {
            self.learn(ctx, version);
        }
        if version < self.version {
            ctx.send(
                from,
                KvMsg::Behind {
                    version: self.version,
                },
            );
            return;
        }
        if version > self.version {
            ctx.send(
                from,
                KvMsg::NotReady {
                    version: self.version,
                },
            );
            return;
        }
        let topo = &self.shared.topology;
        let mut entries = Vec::new();
        let mut not_mine = Vec::new();
        for (key, entry) in &self.store {
            let pref = topo.preference_list(version, key);
            if pref.contains(&from) {
                entries.push((key.clone(), entry.clone()));
                if !pref.contains(&self.id) {
                    not_mine.push((key.clone(), entry.stamp));
                }
            }
        }
        let reply = self.next_reply;
        self.next_reply += 1;
        ctx.send(
            from,
            KvMsg::FetchReply {
                version,
                reply,
                entries,
            },
        );
        if self.shared.bug(KvBug::DeleteBeforeConfirm) {
            for (key, _) in &not_mine {
                self.remove(ctx, key);
            }
        } else if !not_mine.is_empty() {
            self.sent_replies.insert(reply, not_mine);
        }
    }

    fn fetch_reply(
        &mut self,
        ctx: Cx,
        from: NodeId,
        version: u32,
        reply: u64,
        entries: Vec<(String, Entry)>,
    ) {
        if version != self.version {
            return;
        }
        for (key, entry) in entries {
            let new = !self.store.contains_key(&key);
            if self.merge(ctx, key, entry) && new {
                self.keys_received += 1;
            }
        }
        ctx.send(from, KvMsg::Stored { version, reply });
        self.heard.insert(from);
        if !self.settled {
            let sources = self.shared.topology.sources(version, self.id);
            if sources.iter().all(|s| self.heard.contains(s)) {
                self.settled = true;
                ctx.note_with(|| format!("settled at version {version}"));
                self.advance(ctx);
            }
        }
    }

    /// Drops keys this node does not own once every owner confirmed the
    /// current value.
    fn drop_handed(&mut self, ctx: Cx) {
        let topo = &self.shared.topology;
        let done: Vec<String> = self
            .handed
            .iter()
            .filter(|(key, (stamp, who))| {
                let pref = topo.preference_list(self.version, key);
                self.store.get(*key).is_some_and(|e| e.stamp == *stamp)
                    && !pref.contains(&self.id)
                    && pref.iter().all(|n| who.contains(n))
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in done {
            ctx.note_with(|| format!("handed off {key}"));
            self.remove(ctx, &key);
        }
    }
}
