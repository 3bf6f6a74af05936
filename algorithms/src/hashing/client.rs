//! A client: routes each operation to the primary of its key by its own
//! view of the membership, refreshes that view when a server says it is
//! stale, waits on `Retry`, and fails over along the preference list when a
//! node does not answer.

use super::msg::{KvMsg, KvTimer, Stamp};
use super::node::KvNode;
use super::params::{KvBug, Shared};
use crate::family::kv::{KvInput, KvOutput};
use crate::fixed::Fixed;
use faultline_sim::{Ctx, NodeId, OpId, Outcome, TimerId};
use std::sync::Arc;

type Cx<'a, 'b> = &'a mut Ctx<'b, KvNode>;

#[derive(Clone, Debug, Hash)]
struct Pending {
    op: OpId,
    input: KvInput,
    /// Position in the preference list (0: the primary).
    attempt: usize,
    sends: u32,
    timer: TimerId,
}

/// A client's volatile state.
#[derive(Clone, Debug, Hash)]
pub struct Client {
    shared: Fixed<Shared>,
    /// The membership version this client routes with.
    pub version: u32,
    pending: Option<Pending>,
    /// Writes acknowledged to this client, with the stamp they were stored
    /// with (read by the `acked_writes_survive` invariant).
    pub acked: Vec<(String, Stamp)>,
    /// Operations that completed ok.
    pub completed: u64,
}

impl Client {
    /// A new client at version 0.
    pub fn new(shared: Arc<Shared>) -> Client {
        Client {
            shared: shared.into(),
            version: 0,
            pending: None,
            acked: Vec::new(),
            completed: 0,
        }
    }

    pub(super) fn request(&mut self, ctx: Cx, op: OpId, input: KvInput) {
        self.pending = Some(Pending {
            op,
            input,
            attempt: 0,
            sends: 0,
            timer: TimerId(u64::MAX),
        });
        self.send(ctx);
    }

    fn send(&mut self, ctx: Cx) {
        let max = self.shared.params.max_attempts;
        let Some(p) = self.pending.as_mut() else {
            return;
        };
        let pref = self
            .shared
            .topology
            .preference_list(self.version, p.input.key());
        if p.sends >= max || pref.is_empty() {
            self.give_up(ctx);
            return;
        }
        let target = pref[p.attempt % pref.len()];
        p.sends += 1;
        ctx.send(
            target,
            KvMsg::Request {
                op: p.op,
                input: p.input.clone(),
                version: self.version,
                failover: p.attempt > 0,
            },
        );
        p.timer = ctx.set_timer(
            self.shared.params.client_timeout,
            KvTimer::Timeout {
                op: p.op,
                sends: p.sends,
            },
        );
    }

    /// A read that never got an answer had no effect (fail); a write might
    /// have (unknown).
    fn give_up(&mut self, ctx: Cx) {
        let Some(p) = self.pending.take() else { return };
        let outcome = match p.input {
            KvInput::Get { .. } => Outcome::Fail,
            _ => Outcome::Unknown,
        };
        ctx.complete(p.op, outcome);
    }

    fn current(&self, op: OpId) -> bool {
        self.pending.as_ref().is_some_and(|p| p.op == op)
    }

    pub(super) fn on_message(&mut self, ctx: Cx, _from: NodeId, msg: KvMsg) {
        match msg {
            KvMsg::Reply { op, output, stamp } if self.current(op) => {
                let p = self.pending.take().expect("current");
                ctx.cancel_timer(p.timer);
                if let (Some(stamp), KvOutput::Written | KvOutput::Cas(true)) = (stamp, &output) {
                    self.acked.push((p.input.key().to_string(), stamp));
                }
                self.completed += 1;
                ctx.complete(op, Outcome::Ok(output));
            }
            KvMsg::Retry { op } if self.current(op) => {
                let p = self.pending.as_mut().expect("current");
                ctx.cancel_timer(p.timer);
                p.timer = ctx.set_timer(
                    self.shared.params.retry_backoff,
                    KvTimer::Backoff { op, sends: p.sends },
                );
            }
            KvMsg::WrongVersion { op, version } if self.current(op) => {
                let stale_ring = self.shared.bug(KvBug::StaleRing);
                let p = self.pending.as_mut().expect("current");
                ctx.cancel_timer(p.timer);
                if version > self.version && !stale_ring {
                    ctx.note_with(|| format!("ring refreshed to version {version}"));
                    self.version = version;
                    p.attempt = 0;
                } else {
                    p.attempt += 1;
                }
                self.send(ctx);
            }
            _ => {}
        }
    }

    pub(super) fn on_timer(&mut self, ctx: Cx, timer: KvTimer) {
        match timer {
            KvTimer::Timeout { op, sends } => {
                if let Some(p) = self.pending.as_mut()
                    && p.op == op
                    && p.sends == sends
                {
                    p.attempt += 1;
                    self.send(ctx);
                }
            }
            KvTimer::Backoff { op, sends }
                if self
                    .pending
                    .as_ref()
                    .is_some_and(|p| p.op == op && p.sends == sends) =>
            {
                self.send(ctx);
            }
            _ => {}
        }
    }
}
