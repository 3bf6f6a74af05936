//! The client of a leader-based, replicated key-value service (Raft §8,
//! Multi-Paxos): it numbers its operations, sends each to the server it
//! believes leads, follows "not leader" hints, retries with the same
//! sequence number until it hears back, and gives up with an unknown
//! outcome.
//!
//! A client never reports `Fail`: a request that timed out may still be in
//! some log and take effect later, and a "not leader" answer from one server
//! says nothing about an earlier attempt sent elsewhere.
//!
//! A client of a pinned group ([`Ctx::pin`]) sends every attempt of an
//! operation to its pinned server and follows no hint: a "not leader"
//! answer means a back-off and another try at the same server, until it
//! answers or the client gives up.
//!
//! The protocol's messages and timers are its own; [`LeaderService`] says
//! how to make and read the few that concern clients.

use crate::algorithm::ParamError;
use crate::family::KvFamily;
use crate::family::kv::{KvInput, KvOutput};
use crate::limits::{check_give_up, check_timers};
use faultline_sim::{Ctx, LocalTime, NodeId, NodeView, OpId, Outcome, Process};
use serde::Serialize;
use std::time::Duration;

/// A server's answer to a client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ClientReply {
    /// Done, with this output.
    Ok(KvOutput),
    /// Ask someone else (the leader, if known). The operation was not
    /// taken in by this server.
    NotLeader {
        /// The leader this server believes in.
        leader: Option<NodeId>,
    },
}

/// How a protocol carries the client's requests, replies and retry timer.
pub trait LeaderService: Process<Family = KvFamily> {
    /// A request of the client's operation `seq`.
    fn request(seq: u64, input: KvInput) -> Self::Msg;
    /// The reply a message carries, if it is one.
    fn reply(msg: Self::Msg) -> Option<(u64, ClientReply)>;
    /// The client's retry timer for `seq`'s attempt `attempt`.
    fn retry_timer(seq: u64, attempt: u64) -> Self::Timer;
    /// The (seq, attempt) of a retry timer, if it is one.
    fn as_retry(timer: &Self::Timer) -> Option<(u64, u64)>;
    /// The client's durable sequence counter.
    fn session_seq(durable: &mut Self::Durable) -> &mut u64;
}

/// A client's patience.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientTimeouts {
    /// Retry at another server after this long without a reply.
    pub timeout: Duration,
    /// Pause before the next server when nobody knows the leader.
    pub backoff: Duration,
    /// Report the operation as unknown after this long.
    pub give_up: Duration,
}

impl ClientTimeouts {
    /// Checks the timeouts as the parameters `client_timeout`,
    /// `client_backoff` and `client_give_up` of the scenario `doc`.
    pub fn validate(&self, doc: &str) -> Result<(), ParamError> {
        check_timers(
            doc,
            &[
                ("client_timeout", self.timeout),
                ("client_backoff", self.backoff),
            ],
        )?;
        check_give_up(doc, self.timeout, self.give_up)
    }
}

/// The operation a client is working on.
#[derive(Clone, Debug, Hash)]
pub struct PendingOp {
    /// The kernel's operation id.
    pub op: OpId,
    /// Its sequence number in this client's session.
    pub seq: u64,
    /// The operation.
    pub input: KvInput,
    /// When the client started it (local clock).
    pub started: LocalTime,
    /// Attempts so far.
    pub attempt: u64,
    /// The server every attempt goes to, when the client's group is pinned.
    pub pin: Option<NodeId>,
}

/// A client's state.
#[derive(Clone, Debug, Hash)]
pub struct KvClient {
    timeouts: ClientTimeouts,
    /// The server the client believes leads.
    pub leader_guess: NodeId,
    /// The open operation.
    pub pending: Option<PendingOp>,
    /// Operations completed ok.
    pub completed: u64,
    /// Operations given up on.
    pub unknown: u64,
}

impl KvClient {
    /// A client; its first guess at the leader spreads clients over servers.
    pub fn new(timeouts: ClientTimeouts, id: NodeId, servers: u32) -> Self {
        KvClient {
            timeouts,
            leader_guess: NodeId(id.0 % servers.max(1)),
            pending: None,
            completed: 0,
            unknown: 0,
        }
    }

    /// What the lab shows of a client: its leader guess, its open
    /// operation and its tallies.
    pub fn view(&self) -> NodeView {
        let pending = self.pending.as_ref().map_or("-".to_string(), |p| {
            let pinned = p.pin.map_or(String::new(), |n| format!(" pinned to {n}"));
            format!("#{} {:?} (try {}){pinned}", p.seq, p.input, p.attempt)
        });
        NodeView::new(
            "client",
            format!("{} ok · {} unknown", self.completed, self.unknown),
        )
        .field("leader_guess", self.leader_guess)
        .field("pending", pending)
        .field("completed", self.completed)
        .field("unknown", self.unknown)
    }

    /// Starts operation `op`.
    pub fn on_request<P: LeaderService>(&mut self, ctx: &mut Ctx<'_, P>, op: OpId, input: KvInput) {
        // The sequence number is durable: after a restart the client must not
        // reuse one, or the servers would answer with an old result.
        let seq = *P::session_seq(ctx.durable_mut()) + 1;
        *P::session_seq(ctx.durable_mut()) = seq;
        self.pending = Some(PendingOp {
            op,
            seq,
            input,
            started: ctx.now(),
            attempt: 0,
            pin: ctx.pin(),
        });
        self.attempt(ctx);
    }

    fn attempt<P: LeaderService>(&mut self, ctx: &mut Ctx<'_, P>) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        p.attempt += 1;
        let to = p.pin.unwrap_or(self.leader_guess);
        ctx.send(to, P::request(p.seq, p.input.clone()));
        ctx.set_timer(self.timeouts.timeout, P::retry_timer(p.seq, p.attempt));
    }

    fn next_server<P: LeaderService>(&mut self, ctx: &Ctx<'_, P>) {
        self.leader_guess = NodeId((self.leader_guess.0 + 1) % ctx.server_count() as u32);
    }

    /// Handles a message from server `from`.
    pub fn on_message<P: LeaderService>(
        &mut self,
        ctx: &mut Ctx<'_, P>,
        from: NodeId,
        msg: P::Msg,
    ) {
        let Some((seq, reply)) = P::reply(msg) else {
            return;
        };
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        if p.seq != seq {
            return;
        }
        match reply {
            ClientReply::Ok(output) => {
                let op = p.op;
                self.pending = None;
                self.completed += 1;
                self.leader_guess = from;
                ctx.complete(op, Outcome::Ok(output));
            }
            ClientReply::NotLeader { leader } => {
                // Bump the attempt so the running timeout goes stale.
                p.attempt += 1;
                let timer = P::retry_timer(seq, p.attempt);
                match leader {
                    Some(l) if p.pin.is_none() && l != from && l != self.leader_guess => {
                        self.leader_guess = l;
                        self.attempt(ctx);
                    }
                    // No leader known: pause, then try the next server.
                    _ => {
                        ctx.set_timer(self.timeouts.backoff, timer);
                    }
                }
            }
        }
    }

    /// Handles a timer.
    pub fn on_timer<P: LeaderService>(&mut self, ctx: &mut Ctx<'_, P>, timer: P::Timer) {
        let Some((seq, attempt)) = P::as_retry(&timer) else {
            return;
        };
        let Some(p) = self.pending.as_ref() else {
            return;
        };
        if p.seq != seq || p.attempt != attempt {
            return;
        }
        if ctx.now().saturating_since(p.started) >= self.timeouts.give_up {
            let op = p.op;
            self.pending = None;
            self.unknown += 1;
            ctx.complete(op, Outcome::Unknown);
            return;
        }
        // A timeout or the end of a back-off: try the next server (a pinned
        // client tries its server again).
        if p.pin.is_none() {
            self.next_server(ctx);
        }
        self.attempt(ctx);
    }
}
