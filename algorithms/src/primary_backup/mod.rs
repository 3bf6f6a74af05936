//! # Primary-backup replication with a view service
//!
//! Registry name `primary-backup`. The design of MIT 6.824's lab 2 (spring
//! 2013; part A, the viewservice, and part B, the primary/backup key/value
//! service), also the first lab of DSLabs: a key-value store kept on two
//! replicas, a primary that serves clients and a backup that follows it,
//! chosen by a **view service** that is itself a server (n0), so it can
//! crash and be cut off like any other.
//!
//! - **Views** ([`viewservice`]). Replicas (n1 and up) ping the view
//!   service; it numbers views (number, primary, backup), promotes the
//!   backup when the primary stops pinging, and makes an idle replica the
//!   new backup. It never moves past a view its primary has not
//!   acknowledged: a primary that never learned it was primary has not
//!   passed its state on, and skipping it would promote a backup with
//!   nothing.
//! - **Replication** ([`replica`]). The primary forwards every client
//!   operation, reads included, to the backup in batches and answers only
//!   once the backup has it. A backup refuses forwards from anyone who is
//!   not the primary of its view, so a replaced primary cut off from the
//!   view service can neither write nor read: its old backup, now primary,
//!   refuses it. A new backup gets the whole store and the client sessions
//!   (the dedup table) before it counts as in sync, and only then does the
//!   primary acknowledge the view.
//! - **Clients** ([`crate::kvclient`]) send to the server they believe is
//!   primary; others (the view service too) answer "not primary", naming
//!   the primary they know; a client retries with the same sequence
//!   number, and the store ([`crate::kvstore`]) applies each operation at
//!   most once.
//!
//! **What it guarantees.** The history is linearizable whatever the view
//! service does, and progress needs it: while the view service is down or
//! cut off, the current primary and backup go on serving, but a failure of
//! either is not repaired, and the service blocks (never diverges) until
//! the view service is back. A primary that fails before acknowledging its
//! view blocks the service until it returns: no one else is known to hold
//! the state. Unlike the lab, replicas keep their store on disk (durable
//! state), so a restarted replica returns with what it acknowledged and a
//! restart is a pause, not a loss; the view service's view is durable too.
//!
//! Observables and reported events: [`observe`]. Invariants:
//! [`invariants`]. Five bug variants ([`PrimaryBackupBug`]) plant classic
//! mistakes; `docs/lessons/replication.md` explains them.

pub mod invariants;
pub mod msg;
pub mod observe;
pub mod params;
pub mod replica;
pub mod view;
pub mod viewservice;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::KvFamily;
use crate::family::kv::KvInput;
use crate::kvclient::{ClientReply, KvClient, LeaderService};
use crate::kvstore::KvStore;
use faultline_sim::{Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, WorldConfig};
pub use msg::{PbMsg, PbTimer, View};
pub use params::{PrimaryBackupBug, PrimaryBackupParams};
use replica::Replica;
use std::collections::BTreeSet;
use std::sync::Arc;
use viewservice::ViewService;

/// The view service's node.
pub const VIEW_SERVICE: NodeId = NodeId(0);

type PbCtx<'a> = Ctx<'a, PbNode>;

/// What survives a crash: the view service's view; a replica's view, its
/// acknowledgement, store and version; for a client, its session's
/// sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PbDurable {
    /// The view service's current view.
    pub vs_view: View,
    /// Whether its primary acknowledged it.
    pub vs_acked: bool,
    /// A replica's latest view.
    pub view: View,
    /// The highest view the replica acknowledged.
    pub acked: u64,
    /// Views the replica acknowledged as their primary (what the
    /// `acked_before_next` invariant reads).
    pub acked_as_primary: BTreeSet<u64>,
    /// The replica's store.
    pub store: KvStore,
    /// Batches applied to it.
    pub version: u64,
    /// The view whose primary's state the replica holds as backup.
    pub synced_view: u64,
    /// Times this node has started.
    pub boots: u64,
    /// A client's last sequence number.
    pub client_seq: u64,
}

/// A primary-backup node: the view service, a replica or a client.
#[derive(Clone, Debug, Hash)]
pub enum PbNode {
    /// The view service (n0).
    ViewService(ViewService),
    /// A replica (n1 and up).
    Replica(Box<Replica>),
    /// A client.
    Client(KvClient),
}

impl PbNode {
    /// The replica state, if this is a replica.
    pub fn as_replica(&self) -> Option<&Replica> {
        match self {
            PbNode::Replica(r) => Some(r),
            _ => None,
        }
    }

    /// The view service's state, if this is it.
    pub fn as_view_service(&self) -> Option<&ViewService> {
        match self {
            PbNode::ViewService(v) => Some(v),
            _ => None,
        }
    }

    /// The latest view this server knows (the view service: its own).
    pub fn known_view(&self) -> Option<View> {
        match self {
            PbNode::ViewService(v) => Some(v.view()),
            PbNode::Replica(r) => Some(r.view()),
            PbNode::Client(_) => None,
        }
    }
}

impl Process for PbNode {
    type Msg = PbMsg;
    type Timer = PbTimer;
    type Durable = PbDurable;
    type Family = KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self {
            PbNode::ViewService(v) => v.start(ctx),
            PbNode::Replica(r) => r.start(ctx),
            PbNode::Client(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: PbMsg) {
        match self {
            PbNode::ViewService(v) => v.on_message(ctx, from, msg),
            PbNode::Replica(r) => r.on_message(ctx, from, msg),
            PbNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: PbTimer) {
        match self {
            PbNode::ViewService(v) => v.on_timer(ctx, timer),
            PbNode::Replica(r) => r.on_timer(ctx, timer),
            PbNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            PbNode::Client(c) => c.on_request(ctx, op, input),
            _ => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            PbNode::ViewService(v) => view::view_service_view(v),
            PbNode::Replica(r) => view::replica_view(r),
            PbNode::Client(c) => c.view(),
        }
    }

    const OBSERVABLES: &'static [faultline_sim::Observable] = observe::OBSERVABLES;
    const REPORTS: &'static [faultline_sim::ReportDoc] = observe::REPORTS;

    fn observe(&self, index: usize) -> Option<u64> {
        observe::observe(self, index)
    }
}

impl LeaderService for PbNode {
    fn request(seq: u64, input: KvInput) -> PbMsg {
        PbMsg::ClientRequest { seq, input }
    }

    fn reply(msg: PbMsg) -> Option<(u64, ClientReply)> {
        match msg {
            PbMsg::ClientReply { seq, reply } => Some((seq, reply)),
            _ => None,
        }
    }

    fn retry_timer(seq: u64, attempt: u64) -> PbTimer {
        PbTimer::ClientRetry { seq, attempt }
    }

    fn as_retry(timer: &PbTimer) -> Option<(u64, u64)> {
        match timer {
            PbTimer::ClientRetry { seq, attempt } => Some((*seq, *attempt)),
            _ => None,
        }
    }

    fn session_seq(durable: &mut PbDurable) -> &mut u64 {
        &mut durable.client_seq
    }
}

/// What every node shares.
#[derive(Clone, Debug)]
pub struct PbShared {
    /// The parameters.
    pub params: Arc<PrimaryBackupParams>,
    /// Number of servers (the view service included).
    pub servers: u32,
}

/// The registry entry.
pub struct PrimaryBackup;

impl Algorithm for PrimaryBackup {
    const NAME: &'static str = "primary-backup";
    const SERVING_ROLE: Option<&'static str> = Some("primary");
    const SUMMARY: &'static str = "Primary-backup replication with a view service (MIT 6.824 lab 2): views acknowledged before they change, state transfer to new backups, every operation forwarded, a linearizable key-value service.";
    type Node = PbNode;
    type Params = PrimaryBackupParams;
    type Bug = PrimaryBackupBug;
    type Shared = PbShared;

    fn prepare(
        params: PrimaryBackupParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<PbShared, ParamError> {
        Ok(PbShared {
            params: Arc::new(params),
            servers: config.servers,
        })
    }

    fn invariants(_shared: &PbShared) -> Vec<Box<dyn Invariant<PbNode>>> {
        invariants::boxed()
    }

    fn node(shared: &PbShared, id: NodeId, kind: NodeKind, durable: &PbDurable) -> PbNode {
        match kind {
            NodeKind::Server if id == VIEW_SERVICE => PbNode::ViewService(ViewService::recover(
                shared.params.clone(),
                durable.vs_view,
                durable.vs_acked,
            )),
            NodeKind::Server => PbNode::Replica(Box::new(Replica::recover(
                shared.params.clone(),
                id,
                durable,
            ))),
            NodeKind::Client => PbNode::Client(KvClient::new(
                shared.params.client_timeouts(),
                id,
                shared.servers,
            )),
        }
    }
}

#[cfg(test)]
mod tests;
