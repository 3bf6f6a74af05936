//! A replica: primary, backup or idle, as the latest view it knows says
//! (MIT 6.824, spring 2013, lab 2 part B: the primary/backup key/value
//! service).
//!
//! - **Views.** Every `ping_interval` the replica pings the view service
//!   with the view it acknowledges, and adopts any newer view in the answer.
//!   It also adopts a newer view carried by a forward, a state transfer or
//!   a rejection: views only come from the view service, so a message's
//!   view is as good as the service's word.
//! - **The primary** queues client operations and forwards them to the
//!   backup in batches, one batch at a time. It applies a batch to its own
//!   store first (durably), forwards it, and answers the clients only when
//!   the backup acknowledges it (reads included: a primary that has been
//!   replaced cannot answer anything, since its old backup refuses its
//!   forwards once it knows the newer view). With no backup in its view it
//!   answers at once.
//! - **State transfer.** A primary whose view has a backup that does not
//!   hold its state yet sends the whole store, client sessions included,
//!   and forwards nothing until the backup installs it. Only then does it
//!   acknowledge the view to the view service, which moves on from a view
//!   only once it is acknowledged: a promoted backup always holds the
//!   state.
//! - **The backup** applies a forward only from its view's primary, only
//!   in its view, only when it holds the state for that view, and only in
//!   version order (a batch it applied already is acknowledged again, a gap
//!   asks for the state). A message from an older view is refused with the
//!   newer view.
//! - **At most once.** Client commands carry the client's sequence number;
//!   the store ([`crate::kvstore`]) keeps each client's last one and its
//!   output, so a retried operation takes effect once, and the sessions
//!   travel with every state transfer.
//!
//! Persistence: the view, the store and its version, and the view whose
//! state a backup holds are written through to durable state, so a
//! restarted replica has what it acknowledged. A restarted primary sends
//! its backup its state again before it forwards anything.

use super::msg::{Cmd, PbMsg, PbTimer, View};
use super::params::{PrimaryBackupBug, PrimaryBackupParams};
use super::{PbCtx, VIEW_SERVICE, observe};
use crate::family::kv::{KvInput, KvOutput};
use crate::fixed::Fixed;
use crate::kvclient::ClientReply;
use crate::kvstore::{Applied, Command, KvStore};
use faultline_sim::{LocalTime, NodeId};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

/// A batch the primary applied and forwarded, waiting for the backup.
#[derive(Clone, Debug, Hash)]
pub struct Batch {
    /// The store version it applies to.
    pub version: u64,
    /// Its commands.
    pub ops: Vec<Cmd>,
    /// The answers owed: client, sequence number, output.
    pub replies: Vec<(NodeId, u64, KvOutput)>,
}

/// Where a primary stands with its backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackupStatus {
    /// This replica is not a primary.
    NotPrimary,
    /// The view has no backup: the primary serves alone.
    NoBackup,
    /// The backup does not hold the state yet: a transfer is under way.
    Transferring,
    /// The backup holds the state: batches are forwarded.
    InSync,
}

impl BackupStatus {
    /// A word for views.
    pub fn name(self) -> &'static str {
        match self {
            BackupStatus::NotPrimary => "-",
            BackupStatus::NoBackup => "no backup",
            BackupStatus::Transferring => "transferring state",
            BackupStatus::InSync => "in sync",
        }
    }
}

/// A replica.
#[derive(Clone, Debug, Hash)]
pub struct Replica {
    params: Fixed<PrimaryBackupParams>,
    id: NodeId,
    // --- durable (mirrored)
    view: View,
    acked: u64,
    store: KvStore,
    version: u64,
    synced_view: u64,
    // --- primary, in memory
    status: BackupStatus,
    queue: VecDeque<Cmd>,
    in_flight: Option<Batch>,
    /// Client operations queued or in flight: (client, seq).
    waiting: BTreeSet<(NodeId, u64)>,
    /// When the transfer or batch in flight was last sent.
    last_sent: LocalTime,
}

impl Replica {
    /// A replica recovering from durable state.
    pub fn recover(params: Arc<PrimaryBackupParams>, id: NodeId, d: &super::PbDurable) -> Self {
        Replica {
            params: params.into(),
            id,
            view: d.view,
            acked: d.acked,
            store: d.store.clone(),
            version: d.version,
            synced_view: d.synced_view,
            status: BackupStatus::NotPrimary,
            queue: VecDeque::new(),
            in_flight: None,
            waiting: BTreeSet::new(),
            last_sent: LocalTime(0),
        }
    }

    // ----- Accessors (views, observables, invariants) -----

    /// The latest view this replica knows.
    pub fn view(&self) -> View {
        self.view
    }
    /// The highest view it acknowledged.
    pub fn acked(&self) -> u64 {
        self.acked
    }
    /// Whether it believes it is primary.
    pub fn is_primary(&self) -> bool {
        self.view.is_primary(self.id)
    }
    /// Whether it believes it is backup.
    pub fn is_backup(&self) -> bool {
        self.view.is_backup(self.id)
    }
    /// A word for its role.
    pub fn role(&self) -> &'static str {
        if self.is_primary() {
            "primary"
        } else if self.is_backup() {
            "backup"
        } else {
            "idle"
        }
    }
    /// Its store.
    pub fn store(&self) -> &KvStore {
        &self.store
    }
    /// Batches applied to its store (its version).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// The view whose primary's state this replica holds as backup.
    pub fn synced_view(&self) -> u64 {
        self.synced_view
    }
    /// A primary's standing with its backup.
    pub fn status(&self) -> BackupStatus {
        self.status
    }
    /// Client operations queued at a primary.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
    /// The batch in flight to the backup.
    pub fn in_flight(&self) -> Option<&Batch> {
        self.in_flight.as_ref()
    }

    // ----- Start, timers -----

    pub(super) fn start(&mut self, ctx: &mut PbCtx<'_>) {
        ctx.durable_mut().boots += 1;
        self.ping(ctx);
        ctx.set_timer(self.params.ping_interval, PbTimer::Ping);
        ctx.set_timer(self.params.forward_timeout, PbTimer::Resend);
        if self.is_primary() {
            // Whatever the backup holds, it gets this primary's state again.
            self.take_up_primary(ctx);
        }
    }

    fn ping(&self, ctx: &mut PbCtx<'_>) {
        ctx.send(VIEW_SERVICE, PbMsg::Ping { acked: self.acked });
    }

    pub(super) fn on_timer(&mut self, ctx: &mut PbCtx<'_>, timer: PbTimer) {
        match timer {
            PbTimer::Ping => {
                self.ping(ctx);
                ctx.set_timer(self.params.ping_interval, PbTimer::Ping);
            }
            PbTimer::Resend => {
                if ctx.now().saturating_since(self.last_sent) >= self.params.forward_timeout {
                    match self.status {
                        BackupStatus::Transferring => self.send_transfer(ctx),
                        BackupStatus::InSync if self.in_flight.is_some() => self.send_batch(ctx),
                        _ => {}
                    }
                }
                ctx.set_timer(self.params.forward_timeout, PbTimer::Resend);
            }
            PbTimer::Tick | PbTimer::ClientRetry { .. } => {}
        }
    }

    // ----- Messages -----

    pub(super) fn on_message(&mut self, ctx: &mut PbCtx<'_>, from: NodeId, msg: PbMsg) {
        match msg {
            PbMsg::ViewIs { view } => self.adopt(ctx, view),
            PbMsg::Reject { view } => self.adopt(ctx, view),
            PbMsg::Forward { view, version, ops } => self.on_forward(ctx, from, view, version, ops),
            PbMsg::ForwardOk { view, version } => self.on_forward_ok(ctx, view, version),
            PbMsg::Transfer {
                view,
                version,
                store,
            } => self.on_transfer(ctx, from, view, version, store),
            PbMsg::TransferOk { view, version } => self.on_transfer_ok(ctx, view, version),
            PbMsg::NeedState { view } => {
                if self.is_primary() && view == self.view.num && self.view.backup.is_some() {
                    ctx.note_with(|| format!("the backup of view {view} lacks the state"));
                    self.status = BackupStatus::Transferring;
                    self.send_transfer(ctx);
                }
            }
            PbMsg::ClientRequest { seq, input } => self.on_client(ctx, from, seq, input),
            PbMsg::Ping { .. } | PbMsg::ClientReply { .. } => {}
        }
    }

    // ----- Views -----

    fn persist_view(&self, ctx: &mut PbCtx<'_>) {
        let d = ctx.durable_mut();
        d.view = self.view;
        d.acked = self.acked;
    }

    fn acknowledge(&mut self, ctx: &mut PbCtx<'_>) {
        if self.acked == self.view.num {
            return;
        }
        self.acked = self.view.num;
        if self.is_primary() {
            ctx.durable_mut().acked_as_primary.insert(self.view.num);
            let num = self.view.num;
            ctx.note_with(|| format!("acknowledges view {num} as primary"));
            // Tell the view service now rather than at the next ping.
            self.ping(ctx);
        }
        self.persist_view(ctx);
    }

    /// Takes a newer view.
    fn adopt(&mut self, ctx: &mut PbCtx<'_>, view: View) {
        if view.num <= self.view.num {
            return;
        }
        let was_backup = self.is_backup();
        let was_primary = self.is_primary();
        self.view = view;
        self.persist_view(ctx);
        ctx.note_with(|| format!("learns {view}"));
        if self.is_primary() {
            if was_backup {
                ctx.report(observe::PROMOTED);
            }
            self.take_up_primary(ctx);
        } else {
            if was_primary {
                self.step_down(ctx);
            }
            self.acknowledge(ctx);
        }
    }

    /// Becomes primary of `self.view`: brings its backup up to date first.
    fn take_up_primary(&mut self, ctx: &mut PbCtx<'_>) {
        if self.view.backup.is_none() {
            self.status = BackupStatus::NoBackup;
            self.acknowledge(ctx);
            // Alone now: a batch in flight to a former backup is answered.
            if let Some(batch) = self.in_flight.take() {
                self.answer(ctx, batch);
            }
            self.pump(ctx);
        } else if self.params.has(PrimaryBackupBug::PromoteWithoutState) {
            // The bug: the new backup is taken to be in sync already.
            self.status = BackupStatus::InSync;
            self.acknowledge(ctx);
            if self.in_flight.is_some() {
                self.send_batch(ctx);
            }
            self.pump(ctx);
        } else {
            self.status = BackupStatus::Transferring;
            self.send_transfer(ctx);
        }
    }

    /// No longer primary: the operations it holds are not taken in; their
    /// clients are sent to the new primary.
    fn step_down(&mut self, ctx: &mut PbCtx<'_>) {
        self.status = BackupStatus::NotPrimary;
        let leader = self.view.primary.filter(|&p| p != self.id);
        self.in_flight = None;
        self.queue.clear();
        for (client, seq) in std::mem::take(&mut self.waiting) {
            ctx.send(
                client,
                PbMsg::ClientReply {
                    seq,
                    reply: ClientReply::NotLeader { leader },
                },
            );
        }
    }

    // ----- Primary -----

    fn on_client(&mut self, ctx: &mut PbCtx<'_>, client: NodeId, seq: u64, input: KvInput) {
        if !self.is_primary() {
            let leader = self.view.primary.filter(|&p| p != self.id);
            ctx.send(
                client,
                PbMsg::ClientReply {
                    seq,
                    reply: ClientReply::NotLeader { leader },
                },
            );
            return;
        }
        if let KvInput::Get { key } = &input
            && self.params.has(PrimaryBackupBug::StalePrimaryServesReads)
        {
            // The bug: a read needs no backup, surely.
            let output = self.store.read(key);
            ctx.send(
                client,
                PbMsg::ClientReply {
                    seq,
                    reply: ClientReply::Ok(output),
                },
            );
            return;
        }
        if self.store.session(client).is_some_and(|s| s.seq > seq) {
            return; // An old retry: the client has moved on.
        }
        if !self.waiting.insert((client, seq)) {
            return; // Queued or in flight already; the answer will come.
        }
        // A retry of an operation already applied goes through a batch too:
        // the store answers it from the session, and the answer leaves only
        // once the backup holds it.
        self.queue
            .push_back(Arc::new(Command::Client { client, seq, input }));
        self.pump(ctx);
    }

    /// Applies and forwards the next batch, if the backup is ready for one.
    fn pump(&mut self, ctx: &mut PbCtx<'_>) {
        if !self.is_primary() || self.in_flight.is_some() || self.queue.is_empty() {
            return;
        }
        if !matches!(self.status, BackupStatus::NoBackup | BackupStatus::InSync) {
            return;
        }
        let n = self.queue.len().min(self.params.max_batch as usize);
        let ops: Vec<Cmd> = self.queue.drain(..n).collect();
        let version = self.version;
        let mut replies = Vec::with_capacity(ops.len());
        for (i, command) in ops.iter().enumerate() {
            if let Applied::Output {
                client,
                seq,
                output,
            } = self.store.apply(command, &(version, i), true)
            {
                replies.push((client, seq, output));
            }
        }
        self.version += 1;
        self.persist_store(ctx);
        let batch = Batch {
            version,
            ops,
            replies,
        };
        if self.status == BackupStatus::NoBackup {
            self.answer(ctx, batch);
            self.pump(ctx);
            return;
        }
        if self.params.has(PrimaryBackupBug::ReplyBeforeBackup) {
            for (client, seq, output) in &batch.replies {
                ctx.send(
                    *client,
                    PbMsg::ClientReply {
                        seq: *seq,
                        reply: ClientReply::Ok(output.clone()),
                    },
                );
            }
        }
        self.in_flight = Some(batch);
        self.send_batch(ctx);
    }

    fn send_batch(&mut self, ctx: &mut PbCtx<'_>) {
        let (Some(batch), Some(backup)) = (&self.in_flight, self.view.backup) else {
            return;
        };
        ctx.send(
            backup,
            PbMsg::Forward {
                view: self.view,
                version: batch.version,
                ops: batch.ops.clone(),
            },
        );
        self.last_sent = ctx.now();
    }

    fn send_transfer(&mut self, ctx: &mut PbCtx<'_>) {
        let Some(backup) = self.view.backup else {
            return;
        };
        ctx.send(
            backup,
            PbMsg::Transfer {
                view: self.view,
                version: self.version,
                store: Arc::new(self.store.clone()),
            },
        );
        self.last_sent = ctx.now();
    }

    /// Sends a batch's answers to its clients (again, for the
    /// `reply_before_backup` bug, which answered them early).
    fn answer(&mut self, ctx: &mut PbCtx<'_>, batch: Batch) {
        for (client, seq, output) in batch.replies {
            ctx.send(
                client,
                PbMsg::ClientReply {
                    seq,
                    reply: ClientReply::Ok(output),
                },
            );
        }
        // Stale duplicates in the batch had no answer; drop their marks too.
        for command in &batch.ops {
            if let Command::Client { client, seq, .. } = command.as_ref() {
                self.waiting.remove(&(*client, *seq));
            }
        }
    }

    fn on_forward_ok(&mut self, ctx: &mut PbCtx<'_>, view: u64, version: u64) {
        if !self.is_primary() || view != self.view.num || self.status != BackupStatus::InSync {
            return;
        }
        if self.in_flight.as_ref().is_none_or(|b| b.version != version) {
            return;
        }
        let batch = self.in_flight.take().expect("checked");
        self.answer(ctx, batch);
        self.pump(ctx);
    }

    fn on_transfer_ok(&mut self, ctx: &mut PbCtx<'_>, view: u64, version: u64) {
        if !self.is_primary()
            || view != self.view.num
            || self.status != BackupStatus::Transferring
            || version != self.version
        {
            return;
        }
        self.status = BackupStatus::InSync;
        ctx.note_with(|| format!("backup holds the state at version {version}"));
        self.acknowledge(ctx);
        // The batch in flight is in the state the backup installed.
        if let Some(batch) = self.in_flight.take() {
            self.answer(ctx, batch);
        }
        self.pump(ctx);
    }

    // ----- Backup -----

    fn persist_store(&self, ctx: &mut PbCtx<'_>) {
        let d = ctx.durable_mut();
        d.store = self.store.clone();
        d.version = self.version;
        d.synced_view = self.synced_view;
    }

    /// Checks a primary's message for view `view`: refuses an older view,
    /// adopts a newer one. Whether this replica is `view`'s backup and
    /// `from` its primary.
    fn accept_primary_message(&mut self, ctx: &mut PbCtx<'_>, from: NodeId, view: View) -> bool {
        if view.num < self.view.num {
            let newer = self.view;
            ctx.note_with(|| {
                format!(
                    "refuses {from}'s message of view {}: it knows view {}",
                    view.num, newer.num
                )
            });
            ctx.send(from, PbMsg::Reject { view: newer });
            return false;
        }
        self.adopt(ctx, view);
        self.view.is_primary(from) && self.is_backup()
    }

    fn on_forward(
        &mut self,
        ctx: &mut PbCtx<'_>,
        from: NodeId,
        view: View,
        version: u64,
        ops: Vec<Cmd>,
    ) {
        if !self.accept_primary_message(ctx, from, view) {
            return;
        }
        let num = self.view.num;
        if self.synced_view != num {
            if self.params.has(PrimaryBackupBug::PromoteWithoutState) {
                // The bug: whatever this store holds is taken as the primary's.
                self.synced_view = num;
                self.version = version;
            } else {
                ctx.send(from, PbMsg::NeedState { view: num });
                return;
            }
        }
        if version > self.version {
            ctx.send(from, PbMsg::NeedState { view: num });
            return;
        }
        if version == self.version {
            for (i, command) in ops.iter().enumerate() {
                self.store.apply(command, &(version, i), true);
            }
            self.version += 1;
            self.persist_store(ctx);
        }
        ctx.send(from, PbMsg::ForwardOk { view: num, version });
    }

    fn on_transfer(
        &mut self,
        ctx: &mut PbCtx<'_>,
        from: NodeId,
        view: View,
        version: u64,
        store: Arc<KvStore>,
    ) {
        if !self.accept_primary_message(ctx, from, view) {
            return;
        }
        let num = self.view.num;
        if self.synced_view == num && version < self.version {
            return; // A stale copy: this backup is further along.
        }
        self.store = (*store).clone();
        self.version = version;
        self.synced_view = num;
        self.persist_store(ctx);
        ctx.report(observe::STATE_TRANSFERRED);
        ctx.note_with(|| {
            format!("installs the primary's state at version {version} for view {num}")
        });
        ctx.send(from, PbMsg::TransferOk { view: num, version });
    }
}
