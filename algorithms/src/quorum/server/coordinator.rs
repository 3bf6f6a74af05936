//! The coordinator's side of a quorum server (DeCandia et al. 2007,
//! §4.5-4.6): taking a client's request, choosing the replicas (and, with
//! a sloppy quorum, stand-ins for silent ones), gathering `r` replies or
//! `w` acknowledgements, read repair, and the answer to the client.

use super::{ACKED_LOG, CoordOp, Phase, SCtx, Server};
use crate::family::kv::{KvInput, KvOutput};
use crate::hashing::hash::key_hash;
use crate::quorum::msg::{QuorumMsg, QuorumTimer, Reply};
use crate::quorum::observe::{READ_REPAIR, SIBLINGS};
use crate::quorum::params::Conflicts;
use crate::quorum::version::{self, Stamp, Value, Version, Versions};
use faultline_sim::{LocalTime, NodeId};
use std::collections::{BTreeMap, BTreeSet};

impl Server {
    pub(super) fn coordinate(
        &mut self,
        ctx: &mut SCtx<'_>,
        client: NodeId,
        seq: u64,
        input: KvInput,
    ) {
        if matches!(input, KvInput::Cas { .. }) {
            ctx.send(
                client,
                QuorumMsg::ClientReply {
                    seq,
                    reply: Reply::Fail,
                },
            );
            return;
        }
        self.expire_suspicions(ctx);
        // Operation numbers come from the durable counter: a reply to an
        // operation of an earlier life must not count for a new one that
        // reused its number (a late acknowledgement of a write the replica
        // never stored for this operation would count towards w).
        let op = ctx.durable().counter + 1;
        ctx.durable_mut().counter = op;
        let blind = matches!(input, KvInput::Put { .. }) && self.params.conflicts == Conflicts::Lww;
        let mut o = CoordOp {
            client,
            seq,
            input,
            phase: Phase::Reading,
            targets: Vec::new(),
            reads: BTreeMap::new(),
            acks: BTreeSet::new(),
            version: None,
            round: 0,
        };
        if blind {
            let KvInput::Put { value, .. } = &o.input else {
                unreachable!("checked")
            };
            let value = Value::put(value);
            o.version = Some(self.new_version(ctx, value, &[]));
            o.phase = Phase::Writing;
        }
        self.ops.insert(op, o);
        ctx.set_timer(
            self.params.coordinator_timeout,
            QuorumTimer::CoordinatorTimeout { op },
        );
        self.send_phase(ctx, op);
    }

    /// A new version of `value`, written over `read` (what the read phase
    /// merged).
    fn new_version(&mut self, ctx: &mut SCtx<'_>, value: Value, read: &[Version]) -> Version {
        let counter = ctx.durable().counter + 1;
        ctx.durable_mut().counter = counter;
        let stamp = match self.params.conflicts {
            Conflicts::Lww => Stamp::Lww {
                ts: ctx.now().as_nanos(),
                node: self.id,
                seq: counter,
            },
            Conflicts::Vv => Stamp::Dot {
                node: self.id,
                counter,
                context: version::context_of(read),
            },
        };
        Version { stamp, value }
    }

    /// The servers an operation on `key` goes to: its owners, and with
    /// `sloppy` a stand-in for each suspected owner.
    fn pick_targets(&self, key: &str) -> Vec<(NodeId, Option<NodeId>)> {
        let ring_order = self
            .ring
            .preference_list(key_hash(key), self.servers as usize);
        let n = self.params.n as usize;
        let (owners, rest) = ring_order.split_at(n.min(ring_order.len()));
        let mut spare = rest.iter().filter(|s| !self.suspected.contains_key(s));
        owners
            .iter()
            .map(|&owner| {
                if self.params.sloppy && self.suspected.contains_key(&owner) {
                    match spare.next() {
                        Some(&stand_in) => (stand_in, Some(owner)),
                        None => (owner, None),
                    }
                } else {
                    (owner, None)
                }
            })
            .collect()
    }

    fn send_phase(&mut self, ctx: &mut SCtx<'_>, op: u64) {
        let Some(o) = self.ops.get(&op) else { return };
        let key = o.input.key().to_string();
        let targets = self.pick_targets(&key);
        let msg_of = |o: &CoordOp, hint: Option<NodeId>| match o.phase {
            Phase::Reading => QuorumMsg::Read {
                op,
                key: key.clone(),
            },
            Phase::Writing => QuorumMsg::Write {
                op,
                key: key.clone(),
                version: o.version.clone().expect("a write phase has its version"),
                hint,
            },
        };
        let msgs: Vec<(NodeId, QuorumMsg)> = targets
            .iter()
            .map(|&(t, hint)| (t, msg_of(o, hint)))
            .collect();
        let o = self.ops.get_mut(&op).expect("checked");
        o.targets = targets;
        o.round += 1;
        let round = o.round;
        ctx.set_timer(
            self.params.replica_timeout,
            QuorumTimer::ReplicaCheck { op, round },
        );
        for (to, msg) in msgs {
            self.deliver_local_or_send(ctx, to, msg);
        }
    }

    /// Sends `msg` to `to`; a message to itself is handled at once.
    pub(super) fn deliver_local_or_send(&mut self, ctx: &mut SCtx<'_>, to: NodeId, msg: QuorumMsg) {
        if to == self.id {
            self.on_message(ctx, to, msg);
        } else {
            ctx.send(to, msg);
        }
    }

    pub(super) fn replica_check(&mut self, ctx: &mut SCtx<'_>, op: u64, round: u64) {
        self.expire_suspicions(ctx);
        let Some(o) = self.ops.get(&op) else { return };
        if o.round != round {
            return;
        }
        let answered = |&(t, hint): &(NodeId, Option<NodeId>)| match o.phase {
            Phase::Reading => o.reads.contains_key(&t),
            Phase::Writing => o.acks.contains(&hint.unwrap_or(t)),
        };
        let silent: Vec<(NodeId, Option<NodeId>)> = o
            .targets
            .iter()
            .filter(|target| !answered(target))
            .copied()
            .collect();
        if silent.is_empty() {
            return;
        }
        let until = LocalTime(
            ctx.monotonic_now()
                .as_nanos()
                .saturating_add(10 * self.params.replica_timeout.as_nanos() as i64),
        );
        for (t, _) in &silent {
            self.suspected.insert(*t, until);
        }
        if self.params.sloppy {
            let key = o.input.key().to_string();
            let ring_order = self
                .ring
                .preference_list(key_hash(&key), self.servers as usize);
            let used: BTreeSet<NodeId> = o.targets.iter().map(|(t, _)| *t).collect();
            let mut spare = ring_order[self.params.n as usize..]
                .iter()
                .filter(|s| !self.suspected.contains_key(s) && !used.contains(s))
                .copied();
            let mut added = Vec::new();
            for (t, hint) in silent {
                let owner = hint.unwrap_or(t);
                if let Some(stand_in) = spare.next() {
                    added.push((stand_in, Some(owner)));
                }
            }
            let o = self.ops.get_mut(&op).expect("checked");
            o.targets.extend(added.iter().copied());
            let msgs: Vec<(NodeId, QuorumMsg)> = added
                .iter()
                .map(|&(t, hint)| {
                    let msg = match o.phase {
                        Phase::Reading => QuorumMsg::Read {
                            op,
                            key: key.clone(),
                        },
                        Phase::Writing => QuorumMsg::Write {
                            op,
                            key: key.clone(),
                            version: o.version.clone().expect("a write phase has its version"),
                            hint,
                        },
                    };
                    (t, msg)
                })
                .collect();
            for (to, msg) in msgs {
                self.deliver_local_or_send(ctx, to, msg);
            }
        }
        ctx.set_timer(
            self.params.replica_timeout,
            QuorumTimer::ReplicaCheck { op, round },
        );
    }

    pub(super) fn on_read_reply(
        &mut self,
        ctx: &mut SCtx<'_>,
        op: u64,
        from: NodeId,
        versions: Versions,
    ) {
        let r = self.params.r as usize;
        let Some(o) = self.ops.get_mut(&op) else {
            return;
        };
        if o.phase != Phase::Reading || !o.targets.iter().any(|(t, _)| *t == from) {
            return;
        }
        o.reads.insert(from, versions);
        if o.reads.len() < r {
            return;
        }
        let mut o = self.ops.remove(&op).expect("checked");
        let mut merged = Versions::new();
        for v in o.reads.values() {
            version::merge(&mut merged, v, self.params.conflicts);
        }
        if merged.len() > 1 {
            self.sibling_reads += 1;
            ctx.report(SIBLINGS);
            ctx.note_with(|| format!("{} siblings of {}", merged.len(), o.input.key()));
        }
        if self.params.repairs_reads() {
            let mut repaired = false;
            for (node, held) in &o.reads {
                let owner = o.targets.iter().any(|(t, h)| t == node && h.is_none());
                let behind = merged.iter().any(|m| !version::holds(held, &m.stamp));
                if owner && behind {
                    repaired = true;
                    let msg = QuorumMsg::Repair {
                        key: o.input.key().to_string(),
                        versions: merged.clone(),
                    };
                    self.deliver_local_or_send(ctx, *node, msg);
                }
            }
            if repaired {
                self.read_repairs += 1;
                ctx.report(READ_REPAIR);
            }
        }
        let key = o.input.key().to_string();
        if self.params.conflicts == Conflicts::Vv
            && !matches!(o.input, KvInput::Get { .. })
            && let Some(own) = ctx.durable().own.get(&key)
        {
            // Write over this coordinator's own last write of the key too,
            // seen or not by the read quorum (a sloppy one may miss it):
            // a context that counts up to this coordinator's new dot must
            // really include every earlier dot of it, or it would claim
            // to replace a write it never merged.
            version::merge(
                &mut merged,
                std::slice::from_ref(own),
                self.params.conflicts,
            );
        }
        let current = version::resolve(&merged);
        let value = match &o.input {
            KvInput::Get { .. } => {
                ctx.send(
                    o.client,
                    QuorumMsg::ClientReply {
                        seq: o.seq,
                        reply: Reply::Ok(KvOutput::Value(current.map(|v| v.text()))),
                    },
                );
                return;
            }
            KvInput::Put { value, .. } => Value::put(value),
            KvInput::Append { value, .. } => current.unwrap_or_default().appended(value),
            KvInput::Cas { .. } => return,
        };
        let version = self.new_version(ctx, value, &merged);
        if self.params.conflicts == Conflicts::Vv {
            ctx.durable_mut().own.insert(key, version.clone());
        }
        o.version = Some(version);
        o.phase = Phase::Writing;
        self.ops.insert(op, o);
        self.send_phase(ctx, op);
    }

    pub(super) fn on_write_ack(&mut self, ctx: &mut SCtx<'_>, op: u64, from: NodeId) {
        let w = self.params.w as usize;
        let Some(o) = self.ops.get_mut(&op) else {
            return;
        };
        if o.phase != Phase::Writing {
            return;
        }
        // An acknowledgement counts for the owner whose copy it is: two
        // stand-ins for the same owner hand their hints to the same disk,
        // so together they are one copy, not two.
        let Some(slot) = o
            .targets
            .iter()
            .find(|(t, _)| *t == from)
            .map(|&(t, hint)| hint.unwrap_or(t))
        else {
            return;
        };
        o.acks.insert(slot);
        if o.acks.len() < w {
            return;
        }
        let o = self.ops.remove(&op).expect("checked");
        let version = o.version.expect("a write phase has its version");
        self.acked
            .push_back((o.input.key().to_string(), version.stamp.clone()));
        if self.acked.len() > ACKED_LOG {
            self.acked.pop_front();
        }
        ctx.send(
            o.client,
            QuorumMsg::ClientReply {
                seq: o.seq,
                reply: Reply::Ok(KvOutput::Written),
            },
        );
    }
}
