//! The view service: one server (n0) that decides, view after view, which
//! replica is primary and which is backup (MIT 6.824, spring 2013, lab 2
//! part A: the viewservice).
//!
//! Replicas ping it every `ping_interval`; it answers with its current
//! view. A replica not heard from for `dead_pings` intervals counts as
//! dead. The service changes the view only when the view's primary has
//! acknowledged it (pinged with its number): otherwise a primary that
//! never learned it was primary, and so never passed its state on, could
//! be replaced by a backup that has nothing. Then:
//!
//! - the primary is dead: the backup, if alive, becomes primary and an idle
//!   replica (alive, in no role) becomes backup; with no live backup the
//!   service waits (no replica is known to hold the state);
//! - the backup is dead: a new view with an idle replica as backup, or none;
//! - no backup and an idle replica: it becomes the backup.
//!
//! The view and whether it was acknowledged are durable, so a restarted
//! view service goes on numbering where it stopped; on restart it gives
//! every replica a full `dead_pings` before counting it dead.

use super::msg::{PbMsg, PbTimer, View};
use super::params::{PrimaryBackupBug, PrimaryBackupParams};
use super::{PbCtx, observe};
use crate::fixed::Fixed;
use crate::kvclient::ClientReply;
use faultline_sim::{LocalTime, NodeId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The view service's state.
#[derive(Clone, Debug, Hash)]
pub struct ViewService {
    params: Fixed<PrimaryBackupParams>,
    /// The current view (mirrors the durable copy).
    view: View,
    /// Whether its primary acknowledged it.
    acked: bool,
    /// When each replica last pinged (local clock).
    last_ping: BTreeMap<NodeId, LocalTime>,
    /// When this incarnation started: replicas not heard from since count
    /// as having pinged then.
    started: LocalTime,
    /// Views issued since this start.
    views_issued: u64,
}

impl ViewService {
    /// A view service recovering `view` and its acknowledgement from
    /// durable state.
    pub fn recover(params: Arc<PrimaryBackupParams>, view: View, acked: bool) -> Self {
        ViewService {
            params: params.into(),
            view,
            acked,
            last_ping: BTreeMap::new(),
            started: LocalTime(0),
            views_issued: 0,
        }
    }

    /// The current view.
    pub fn view(&self) -> View {
        self.view
    }

    /// Whether the current view's primary acknowledged it.
    pub fn acked(&self) -> bool {
        self.acked
    }

    /// When each replica last pinged (local clock).
    pub fn last_ping(&self) -> &BTreeMap<NodeId, LocalTime> {
        &self.last_ping
    }

    pub(super) fn start(&mut self, ctx: &mut PbCtx<'_>) {
        ctx.durable_mut().boots += 1;
        self.started = ctx.now();
        ctx.set_timer(self.params.ping_interval, PbTimer::Tick);
    }

    fn persist(&self, ctx: &mut PbCtx<'_>) {
        if !self.params.has(PrimaryBackupBug::VolatileViewService) {
            let d = ctx.durable_mut();
            d.vs_view = self.view;
            d.vs_acked = self.acked;
        }
    }

    pub(super) fn on_message(&mut self, ctx: &mut PbCtx<'_>, from: NodeId, msg: PbMsg) {
        match msg {
            PbMsg::Ping { acked } => self.on_ping(ctx, from, acked),
            PbMsg::ClientRequest { seq, .. } => {
                // The view service knows who is primary: point the client there.
                ctx.send(
                    from,
                    PbMsg::ClientReply {
                        seq,
                        reply: ClientReply::NotLeader {
                            leader: self.view.primary,
                        },
                    },
                );
            }
            _ => {}
        }
    }

    fn on_ping(&mut self, ctx: &mut PbCtx<'_>, from: NodeId, acked: u64) {
        if from.0 as usize >= ctx.server_count() || from == ctx.id() {
            return;
        }
        self.last_ping.insert(from, ctx.now());
        if self.view.num == 0 {
            // The first replica heard from is the first primary.
            self.new_view(ctx, Some(from), None);
        } else if self.view.is_primary(from) && acked == self.view.num && !self.acked {
            self.acked = true;
            self.persist(ctx);
            ctx.report(observe::VIEW_ACKNOWLEDGED);
            ctx.note_with(|| format!("{from} acknowledged view {acked}"));
        }
        let view = self.view;
        ctx.send(from, PbMsg::ViewIs { view });
    }

    pub(super) fn on_timer(&mut self, ctx: &mut PbCtx<'_>, timer: PbTimer) {
        if timer == PbTimer::Tick {
            self.tick(ctx);
            ctx.set_timer(self.params.ping_interval, PbTimer::Tick);
        }
    }

    fn dead(&self, now: LocalTime, id: NodeId) -> bool {
        let last = self.last_ping.get(&id).copied().unwrap_or(self.started);
        now.saturating_since(last) >= self.params.dead_after()
    }

    /// The live replica in no role with the lowest id, other than `not`.
    fn idle(&self, now: LocalTime, not: &[Option<NodeId>]) -> Option<NodeId> {
        self.last_ping
            .keys()
            .copied()
            .find(|&id| !not.contains(&Some(id)) && !self.dead(now, id))
    }

    fn tick(&mut self, ctx: &mut PbCtx<'_>) {
        if self.view.num == 0 {
            return;
        }
        if !self.acked && !self.params.has(PrimaryBackupBug::SkipUnackedView) {
            return; // The primary has not taken up this view yet: wait for it.
        }
        let now = ctx.now();
        let View {
            primary, backup, ..
        } = self.view;
        let Some(p) = primary else { return };
        let roles = [primary, backup];
        if self.dead(now, p) {
            match backup {
                Some(b) if !self.dead(now, b) => {
                    let idle = self.idle(now, &roles);
                    self.new_view(ctx, Some(b), idle);
                }
                // No live replica is known to hold the state: wait.
                _ => {}
            }
        } else if let Some(b) = backup {
            if self.dead(now, b) {
                let idle = self.idle(now, &roles);
                self.new_view(ctx, Some(p), idle);
            }
        } else if let Some(i) = self.idle(now, &roles) {
            self.new_view(ctx, Some(p), Some(i));
        }
    }

    fn new_view(&mut self, ctx: &mut PbCtx<'_>, primary: Option<NodeId>, backup: Option<NodeId>) {
        self.view = View {
            num: self.view.num + 1,
            primary,
            backup,
        };
        self.acked = false;
        self.views_issued += 1;
        self.persist(ctx);
        ctx.report(observe::VIEW_CHANGED);
        let view = self.view;
        ctx.note_with(|| format!("issues {view}"));
    }
}
