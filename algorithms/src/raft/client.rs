//! A Raft client (§8): finds the leader, retries with the same sequence
//! number until it hears back, and gives up with an unknown outcome.
//!
//! A client never reports `Fail`: a request that timed out may still be in
//! some log and take effect later, and a "not leader" answer from one server
//! says nothing about an earlier attempt sent elsewhere.

use super::RaftNode;
use super::msg::{ClientReply, RaftMsg, RaftTimer};
use super::params::RaftParams;
use crate::family::kv::KvInput;
use faultline_sim::{Ctx, LocalTime, NodeId, OpId, Outcome};
use std::sync::Arc;

/// The operation a client is working on.
#[derive(Clone, Debug)]
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
}

/// A client's state.
#[derive(Clone, Debug)]
pub struct Client {
    params: Arc<RaftParams>,
    /// The server the client believes leads.
    pub leader_guess: NodeId,
    /// The open operation.
    pub pending: Option<PendingOp>,
    /// Operations completed ok.
    pub completed: u64,
    /// Operations given up on.
    pub unknown: u64,
}

impl Client {
    /// A client; its first guess at the leader spreads clients over servers.
    pub fn new(params: Arc<RaftParams>, id: NodeId, servers: u32) -> Self {
        Client {
            params,
            leader_guess: NodeId(id.0 % servers.max(1)),
            pending: None,
            completed: 0,
            unknown: 0,
        }
    }

    pub(super) fn on_request(&mut self, ctx: &mut Ctx<'_, RaftNode>, op: OpId, input: KvInput) {
        // The sequence number is durable: after a restart the client must not
        // reuse one, or the servers would answer with an old result.
        let seq = ctx.durable().client_seq + 1;
        ctx.durable_mut().client_seq = seq;
        self.pending = Some(PendingOp {
            op,
            seq,
            input,
            started: ctx.now(),
            attempt: 0,
        });
        self.attempt(ctx);
    }

    fn attempt(&mut self, ctx: &mut Ctx<'_, RaftNode>) {
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        p.attempt += 1;
        ctx.send(
            self.leader_guess,
            RaftMsg::ClientRequest {
                seq: p.seq,
                input: p.input.clone(),
            },
        );
        let timer = RaftTimer::ClientRetry {
            seq: p.seq,
            attempt: p.attempt,
        };
        ctx.set_timer(self.params.client_timeout, timer);
    }

    fn next_server(&mut self, ctx: &Ctx<'_, RaftNode>) {
        self.leader_guess = NodeId((self.leader_guess.0 + 1) % ctx.server_count() as u32);
    }

    pub(super) fn on_message(&mut self, ctx: &mut Ctx<'_, RaftNode>, from: NodeId, msg: RaftMsg) {
        let RaftMsg::ClientReply { seq, reply } = msg else {
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
                let timer = RaftTimer::ClientRetry {
                    seq,
                    attempt: p.attempt,
                };
                match leader {
                    Some(l) if l != from && l != self.leader_guess => {
                        self.leader_guess = l;
                        self.attempt(ctx);
                    }
                    // No leader known: pause, then try the next server.
                    _ => {
                        ctx.set_timer(self.params.client_backoff, timer);
                    }
                }
            }
        }
    }

    pub(super) fn on_timer(&mut self, ctx: &mut Ctx<'_, RaftNode>, timer: RaftTimer) {
        let RaftTimer::ClientRetry { seq, attempt } = timer else {
            return;
        };
        let Some(p) = self.pending.as_ref() else {
            return;
        };
        if p.seq != seq || p.attempt != attempt {
            return;
        }
        if ctx.now().saturating_since(p.started) >= self.params.client_give_up {
            let op = p.op;
            self.pending = None;
            self.unknown += 1;
            ctx.complete(op, Outcome::Unknown);
            return;
        }
        // A timeout or the end of a back-off: try the next server.
        self.next_server(ctx);
        self.attempt(ctx);
    }
}
