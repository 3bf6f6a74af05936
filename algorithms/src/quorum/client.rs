//! The client of quorum replication. Any server coordinates (DeCandia et
//! al. 2007, §4.5: a request may go to any node, which forwards nothing
//! and coordinates itself), so a client picks a server at random for each
//! attempt (through the run's seeded rng) and keeps the shared client's
//! discipline ([`crate::kvclient`]): one durable sequence number per
//! operation, a retry at another server after `client_timeout` or after
//! an "unavailable" answer and a back-off, and an unknown outcome after
//! `client_give_up`. A coordinator that refuses (a `cas`) makes the
//! operation fail. A client of a pinned group ([`Ctx::pin`]) sends every
//! attempt to its server, the coordinator it is pinned to.

use super::QuorumNode;
use super::msg::{QuorumMsg, QuorumTimer, Reply};
use crate::family::kv::KvInput;
use crate::kvclient::{ClientTimeouts, PendingOp};
use faultline_sim::{Ctx, NodeId, NodeView, OpId, Outcome};

type CCtx<'a> = Ctx<'a, QuorumNode>;

/// A client's state.
#[derive(Clone, Debug, Hash)]
pub struct QuorumClient {
    timeouts: ClientTimeouts,
    servers: u32,
    /// The coordinator of the current attempt.
    pub coordinator: Option<NodeId>,
    /// The open operation.
    pub pending: Option<PendingOp>,
    /// Operations completed ok.
    pub completed: u64,
    /// Operations refused.
    pub failed: u64,
    /// Operations given up on.
    pub unknown: u64,
}

impl QuorumClient {
    /// A client of `servers` servers.
    pub fn new(timeouts: ClientTimeouts, servers: u32) -> Self {
        QuorumClient {
            timeouts,
            servers,
            coordinator: None,
            pending: None,
            completed: 0,
            failed: 0,
            unknown: 0,
        }
    }

    /// What the lab shows of a client.
    pub fn view(&self) -> NodeView {
        let pending = self.pending.as_ref().map_or("-".to_string(), |p| {
            let pinned = p.pin.map_or(String::new(), |n| format!(" pinned to {n}"));
            format!("#{} {:?} (try {}){pinned}", p.seq, p.input, p.attempt)
        });
        NodeView::new(
            "client",
            format!(
                "{} ok - {} failed - {} unknown",
                self.completed, self.failed, self.unknown
            ),
        )
        .field(
            "coordinator",
            self.coordinator.map_or("-".to_string(), |n| n.to_string()),
        )
        .field("pending", pending)
        .field("completed", self.completed)
        .field("failed", self.failed)
        .field("unknown", self.unknown)
    }

    /// Starts operation `op`.
    pub fn on_request(&mut self, ctx: &mut CCtx<'_>, op: OpId, input: KvInput) {
        let seq = ctx.durable().client_seq + 1;
        ctx.durable_mut().client_seq = seq;
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

    fn attempt(&mut self, ctx: &mut CCtx<'_>) {
        let Some((input, pin)) = self.pending.as_ref().map(|p| (p.input.clone(), p.pin)) else {
            return;
        };
        let to = match pin {
            Some(server) => server,
            None => NodeId(ctx.rng().below(u64::from(self.servers.max(1))) as u32),
        };
        self.coordinator = Some(to);
        let p = self.pending.as_mut().expect("checked");
        p.attempt += 1;
        let (seq, attempt) = (p.seq, p.attempt);
        ctx.send(to, QuorumMsg::ClientRequest { seq, input });
        ctx.set_timer(
            self.timeouts.timeout,
            QuorumTimer::ClientRetry { seq, attempt },
        );
    }

    /// Handles a message from a coordinator.
    pub fn on_message(&mut self, ctx: &mut CCtx<'_>, msg: QuorumMsg) {
        let QuorumMsg::ClientReply { seq, reply } = msg else {
            return;
        };
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        if p.seq != seq {
            return;
        }
        let op = p.op;
        match reply {
            Reply::Ok(output) => {
                self.pending = None;
                self.completed += 1;
                ctx.complete(op, Outcome::Ok(output));
            }
            Reply::Fail => {
                self.pending = None;
                self.failed += 1;
                ctx.complete(op, Outcome::Fail);
            }
            Reply::Unavailable => {
                // Stale the running timeout; back off, then try again.
                p.attempt += 1;
                let attempt = p.attempt;
                ctx.set_timer(
                    self.timeouts.backoff,
                    QuorumTimer::ClientRetry { seq, attempt },
                );
            }
        }
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut CCtx<'_>, timer: QuorumTimer) {
        let QuorumTimer::ClientRetry { seq, attempt } = timer else {
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
        self.attempt(ctx);
    }
}
