//! Gossip servers and clients.

use super::{GossipBug, GossipParams};
use crate::family::kv::{KvInput, KvOutput};
use crate::fixed::Fixed;
use faultline_sim::{Ctx, NodeId, NodeView, OpId, Outcome, Process, TimerId};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Messages.
#[derive(Clone, Debug, Hash, Serialize)]
pub enum GossipMsg {
    /// Client to server: add a value (retries reuse the operation id).
    Add {
        /// The client's operation.
        op: OpId,
        /// The value.
        value: String,
    },
    /// Server to client: the value is stored.
    AddOk {
        /// The operation acknowledged.
        op: OpId,
    },
    /// Server to server: values the sender holds.
    Push {
        /// The values.
        values: Vec<String>,
    },
}

/// Timers.
#[derive(Clone, Debug, Hash)]
pub enum GossipTimer {
    /// Time for a server's anti-entropy push.
    Gossip,
    /// A client's wait for an acknowledgement ran out.
    Retry {
        /// The operation.
        op: OpId,
    },
}

/// A node: a server holding the set, or a client adding to it.
#[derive(Clone, Debug, Hash)]
pub enum GossipNode {
    /// A server.
    Server(Server),
    /// A client.
    Client(Client),
}

/// A server's volatile state.
#[derive(Clone, Debug, Hash)]
pub struct Server {
    params: Fixed<GossipParams>,
    /// The values this server holds in memory.
    pub values: BTreeSet<String>,
}

/// A client's volatile state.
#[derive(Clone, Debug, Hash)]
pub struct Client {
    params: Fixed<GossipParams>,
    id: NodeId,
    pending: Option<(OpId, String, TimerId)>,
    attempts: u64,
    /// The server of the pending add, when the client's group is pinned.
    pin: Option<NodeId>,
    /// Adds acknowledged to this client.
    pub acked: u64,
}

impl GossipNode {
    /// A server recovering from its durable set.
    pub fn server(params: Arc<GossipParams>, durable: &BTreeSet<String>) -> Self {
        GossipNode::Server(Server {
            params: params.into(),
            values: durable.clone(),
        })
    }

    /// A client.
    pub fn client(params: Arc<GossipParams>, id: NodeId) -> Self {
        GossipNode::Client(Client {
            params: params.into(),
            id,
            pending: None,
            attempts: 0,
            pin: None,
            acked: 0,
        })
    }

    /// The server state, if this is a server.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            GossipNode::Server(s) => Some(s),
            GossipNode::Client(_) => None,
        }
    }
}

impl Server {
    fn store(&mut self, ctx: &mut Ctx<'_, GossipNode>, value: &str) -> bool {
        if self.values.contains(value) {
            return false;
        }
        self.values.insert(value.to_string());
        if self.params.bug != Some(GossipBug::VolatileStore) {
            ctx.durable_mut().insert(value.to_string());
        }
        true
    }

    fn push(&mut self, ctx: &mut Ctx<'_, GossipNode>) {
        let peers: Vec<NodeId> = ctx.peers().collect();
        if peers.is_empty() || self.values.is_empty() {
            return;
        }
        let values: Vec<String> = self.values.iter().cloned().collect();
        let mut chosen = BTreeSet::new();
        while chosen.len() < (self.params.fanout as usize).min(peers.len()) {
            chosen.insert(*ctx.rng().choose(&peers));
        }
        for peer in chosen {
            ctx.send(
                peer,
                GossipMsg::Push {
                    values: values.clone(),
                },
            );
        }
    }
}

impl Client {
    fn attempt(&mut self, ctx: &mut Ctx<'_, GossipNode>) {
        let Some((op, value, _)) = self.pending.clone() else {
            return;
        };
        let servers = ctx.server_count() as u64;
        // Start at a server picked by client id, then rotate on retries
        // (a pinned client stays with its server).
        let rotated = NodeId(((self.id.0 as u64 + self.attempts) % servers) as u32);
        let target = self.pin.unwrap_or(rotated);
        self.attempts += 1;
        ctx.send(
            target,
            GossipMsg::Add {
                op,
                value: value.clone(),
            },
        );
        let timer = ctx.set_timer(self.params.client_timeout, GossipTimer::Retry { op });
        self.pending = Some((op, value, timer));
    }
}

impl Process for GossipNode {
    type Msg = GossipMsg;
    type Timer = GossipTimer;
    type Durable = BTreeSet<String>;
    type Family = crate::family::KvFamily;
    const OBSERVABLES: &'static [faultline_sim::Observable] = &[
        faultline_sim::Observable::number("values", "Values the server holds in memory."),
        faultline_sim::Observable::number(
            "digest",
            "A 64-bit digest (FNV-1a) of the set of values the server holds: two servers with the same values have the same digest.",
        ),
    ];

    fn observe(&self, index: usize) -> Option<u64> {
        let GossipNode::Server(s) = self else {
            return None;
        };
        match index {
            0 => Some(s.values.len() as u64),
            1 => Some(digest(&s.values)),
            _ => None,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let GossipNode::Server(s) = self
            && s.params.bug != Some(GossipBug::GossipOnce)
        {
            ctx.set_timer(s.params.gossip_interval, GossipTimer::Gossip);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: GossipMsg) {
        match (self, msg) {
            (GossipNode::Server(s), GossipMsg::Add { op, value }) => {
                let new = s.store(ctx, &value);
                ctx.send(from, GossipMsg::AddOk { op });
                if new && s.params.bug == Some(GossipBug::GossipOnce) {
                    ctx.broadcast(GossipMsg::Push {
                        values: vec![value],
                    });
                }
            }
            (GossipNode::Server(s), GossipMsg::Push { values }) => {
                let mut fresh = Vec::new();
                for v in values {
                    if s.store(ctx, &v) {
                        fresh.push(v);
                    }
                }
                ctx.note_with(|| format!("learned {} new values from {from}", fresh.len()));
            }
            (GossipNode::Client(c), GossipMsg::AddOk { op }) => {
                if let Some((pending, _, timer)) = c.pending.clone()
                    && pending == op
                {
                    ctx.cancel_timer(timer);
                    c.pending = None;
                    c.acked += 1;
                    ctx.complete(op, Outcome::Ok(KvOutput::Written));
                }
            }
            (_, other) => ctx.note(format!("ignored unexpected {other:?} from {from}")),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: GossipTimer) {
        match (self, timer) {
            (GossipNode::Server(s), GossipTimer::Gossip) => {
                s.push(ctx);
                ctx.set_timer(s.params.gossip_interval, GossipTimer::Gossip);
            }
            (GossipNode::Client(c), GossipTimer::Retry { op })
                if c.pending.as_ref().is_some_and(|(p, _, _)| *p == op) =>
            {
                c.attempt(ctx)
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match (self, input) {
            (GossipNode::Client(c), KvInput::Put { value, .. } | KvInput::Append { value, .. }) => {
                c.pending = Some((op, value, TimerId(u64::MAX)));
                c.attempts = 0;
                c.pin = ctx.pin();
                c.attempt(ctx);
            }
            // Gossip has no reads or compare-and-set: refuse them outright.
            (_, _) => ctx.complete(op, Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            GossipNode::Server(s) => {
                let mut recent: Vec<&String> = s.values.iter().rev().take(5).collect();
                recent.reverse();
                NodeView::new("server", format!("{} values", s.values.len()))
                    .field("values", s.values.len())
                    .field("sample", format!("{recent:?}"))
            }
            GossipNode::Client(c) => NodeView::new("client", format!("{} acked", c.acked))
                .field("acked", c.acked)
                .field(
                    "pending",
                    c.pending
                        .as_ref()
                        .map_or("-".to_string(), |(op, v, _)| format!("#{} {v}", op.0)),
                ),
        }
    }
}

/// FNV-1a over the values in order, each followed by a 0 byte: a
/// deterministic fingerprint of the set (a `BTreeSet` iterates sorted).
pub fn digest(values: &BTreeSet<String>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for value in values {
        for byte in value.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
