//! The monitor (n0): it hears every data server's reports, and when the
//! primary falls silent for `failover_timeout` it runs a failover:
//!
//! 1. it takes a new epoch (durable) and sends `Fence` to the data
//!    servers; a fenced server takes no more entries from older epochs and
//!    answers with its last log position;
//! 2. once `fence_quorum` servers have answered (every acknowledged write
//!    is on `sync_replicas + 1` data servers, so any `D - sync_replicas` of
//!    the `D` data servers include one that holds it), at its next tick, it
//!    promotes the one with the furthest log (highest epoch of the last
//!    entry, then longest log, then lowest id) and tells everyone.
//!
//! Fully asynchronous replication (`sync_replicas = 0`) promises nothing:
//! the monitor promotes the best of whoever answered first. "Promote the
//! replica furthest ahead" is the usual failover rule for MySQL and
//! PostgreSQL replicas; fencing first (a new epoch the old primary's
//! entries cannot enter) is what makes the furthest one found final.

use super::msg::{AsyncMsg, AsyncTimer, Pos};
use super::params::{AsyncBug, AsyncParams};
use super::server::FIRST_PRIMARY;
use super::{AsyncDurable, AsyncNode, observe};
use crate::fixed::Fixed;
use faultline_sim::{Ctx, LocalTime, NodeId};
use std::collections::BTreeMap;
use std::sync::Arc;

type MCtx<'a> = Ctx<'a, AsyncNode>;

/// A failover in progress.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fencing {
    /// The new epoch.
    pub epoch: u64,
    /// The servers that answered, with their last positions.
    pub answers: BTreeMap<NodeId, Pos>,
}

/// The monitor's state.
#[derive(Clone, Debug, Hash)]
pub struct Monitor {
    params: Fixed<AsyncParams>,
    servers: u32,
    epoch: u64,
    primary: Option<NodeId>,
    fencing: Option<Fencing>,
    started: LocalTime,
    last_heard: BTreeMap<NodeId, LocalTime>,
    positions: BTreeMap<NodeId, (u64, Pos)>,
    failovers: u64,
}

impl Monitor {
    /// The monitor from its durable state.
    pub fn recover(params: Arc<AsyncParams>, servers: u32, durable: &AsyncDurable) -> Self {
        let (epoch, primary) = if durable.epoch == 0 {
            (1, Some(FIRST_PRIMARY))
        } else {
            (durable.epoch, durable.primary)
        };
        Monitor {
            params: params.into(),
            servers,
            epoch,
            primary,
            fencing: None,
            started: LocalTime::default(),
            last_heard: BTreeMap::new(),
            positions: BTreeMap::new(),
            failovers: 0,
        }
    }

    /// The epoch it issued last.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    /// The primary of that epoch, once chosen.
    pub fn primary(&self) -> Option<NodeId> {
        self.primary
    }
    /// The failover in progress.
    pub fn fencing(&self) -> Option<&Fencing> {
        self.fencing.as_ref()
    }
    /// The last report of each data server: its epoch and position.
    pub fn positions(&self) -> &BTreeMap<NodeId, (u64, Pos)> {
        &self.positions
    }
    /// Failovers this life.
    pub fn failovers(&self) -> u64 {
        self.failovers
    }

    fn persist(&self, ctx: &mut MCtx<'_>) {
        let d = ctx.durable_mut();
        d.epoch = self.epoch;
        d.primary = self.primary;
    }

    /// Starts ticking. A failover cut short by a crash starts over with a
    /// new epoch.
    pub fn start(&mut self, ctx: &mut MCtx<'_>) {
        ctx.durable_mut().boots += 1;
        self.started = ctx.monotonic_now();
        if self.primary.is_none() {
            self.begin_fence(ctx);
        }
        self.persist(ctx);
        ctx.set_timer(self.params.heartbeat_interval, AsyncTimer::Monitor);
    }

    fn begin_fence(&mut self, ctx: &mut MCtx<'_>) {
        self.epoch += 1;
        self.primary = None;
        self.persist(ctx);
        self.fencing = Some(Fencing {
            epoch: self.epoch,
            answers: BTreeMap::new(),
        });
        let epoch = self.epoch;
        ctx.note_with(|| format!("monitor fences epoch {epoch}"));
        for s in 1..self.servers {
            ctx.send(NodeId(s), AsyncMsg::Fence { epoch });
        }
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut MCtx<'_>, timer: AsyncTimer) {
        if timer != AsyncTimer::Monitor {
            return;
        }
        ctx.set_timer(self.params.heartbeat_interval, AsyncTimer::Monitor);
        if let Some(f) = &self.fencing {
            if f.answers.len() >= self.params.fence_quorum(self.servers) {
                self.promote(ctx);
            } else {
                let epoch = f.epoch;
                let missing: Vec<NodeId> = (1..self.servers)
                    .map(NodeId)
                    .filter(|s| !f.answers.contains_key(s))
                    .collect();
                for s in missing {
                    ctx.send(s, AsyncMsg::Fence { epoch });
                }
            }
            return;
        }
        let Some(p) = self.primary else { return };
        let heard = self.last_heard.get(&p).copied().unwrap_or(self.started);
        if ctx.monotonic_now().saturating_since(heard) >= self.params.failover_timeout {
            self.begin_fence(ctx);
        }
    }

    fn promote(&mut self, ctx: &mut MCtx<'_>) {
        let Some(f) = self.fencing.take() else { return };
        let chosen = if self.params.has(AsyncBug::PromoteStaleReplica) {
            f.answers.keys().next().copied()
        } else {
            // Furthest log first; among equals the lowest id.
            f.answers
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(id, _)| *id)
        };
        let Some(chosen) = chosen else { return };
        self.primary = Some(chosen);
        self.failovers += 1;
        self.persist(ctx);
        self.last_heard.insert(chosen, ctx.monotonic_now());
        ctx.report(observe::FAILOVER);
        let (epoch, answers) = (self.epoch, f.answers.clone());
        ctx.note_with(|| {
            let a: Vec<String> = answers.iter().map(|(n, p)| format!("{n} at {p}")).collect();
            format!(
                "monitor promotes {chosen} for epoch {epoch} ({})",
                a.join(", ")
            )
        });
        for s in 1..self.servers {
            ctx.send(
                NodeId(s),
                AsyncMsg::Info {
                    epoch,
                    primary: Some(chosen),
                },
            );
        }
    }

    /// Handles a message.
    pub fn on_message(&mut self, ctx: &mut MCtx<'_>, from: NodeId, msg: AsyncMsg) {
        match msg {
            AsyncMsg::Status { epoch, last } => {
                self.positions.insert(from, (epoch, last));
                // Only a report in the current epoch shows the primary alive.
                if epoch == self.epoch {
                    self.last_heard.insert(from, ctx.monotonic_now());
                }
                match &self.fencing {
                    Some(f) if !f.answers.contains_key(&from) => {
                        ctx.send(from, AsyncMsg::Fence { epoch: f.epoch });
                    }
                    _ => {
                        if epoch != self.epoch || self.primary.is_some() {
                            ctx.send(
                                from,
                                AsyncMsg::Info {
                                    epoch: self.epoch,
                                    primary: self.primary,
                                },
                            );
                        }
                    }
                }
            }
            AsyncMsg::Fenced { epoch, last } => {
                if let Some(f) = &mut self.fencing
                    && f.epoch == epoch
                {
                    f.answers.insert(from, last);
                }
            }
            _ => {}
        }
    }
}
