//! The algorithm API: the [`Process`] trait every node implements, and the
//! [`Ctx`] through which a handler acts on the world.
//!
//! Handlers receive an input (start, message, timer, client request) and a
//! context, and return by emitting effects into the context: sends, timers,
//! history records, trace notes. They never do I/O and never see true time;
//! the kernel applies the effects after the handler returns.

use crate::family::OpFamily;
use crate::observe::{Observable, ReportDoc};
use crate::rng::SimRng;
use crate::time::LocalTime;
use faultline_checker::{Operation, Outcome};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Debug};
use std::hash::Hash;
use std::time::Duration;

/// A node of the simulation: servers first (`0..servers`), then clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The id as an index into per-node vectors.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// Whether a node is a server of the protocol or a simulated client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A server of the protocol.
    Server,
    /// A client issuing workload operations.
    Client,
}

/// A timer, unique within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimerId(pub u64);

/// A client operation, unique within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub u64);

/// A message, unique within a run (a duplicate gets its own id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MsgId(pub u64);

/// A request of `P`'s operation family.
pub type OpInput<P> = <<P as Process>::Family as OpFamily>::Input;
/// A successful result of `P`'s operation family.
pub type OpOutput<P> = <<P as Process>::Family as OpFamily>::Output;
/// One client operation of `P`'s history.
pub type OpOf<P> = Operation<OpInput<P>, OpOutput<P>>;

/// A node of a distributed algorithm.
///
/// One type plays every role of a protocol (an enum of server and client is
/// usual). `Durable` is what survives a crash: the kernel keeps it per node,
/// handlers change it through [`Ctx::durable_mut`], and a restart rebuilds the
/// process from it with the factory given to the world. Everything else in
/// `Self` is volatile and lost on a crash. `Family` is the kind of client
/// operation the algorithm serves ([`crate::family`]): its requests reach
/// clients through [`Process::on_request`].
///
/// `Hash` (of the process and of its durable state) is what exhaustive
/// exploration ([`crate::explore`]) tells states apart by: hash every field
/// that can change what the node does next, and derive it where you can.
/// `Send` lets the search spread states over threads.
pub trait Process: Clone + Debug + Hash + Send + 'static {
    /// Messages between nodes. `Hash` feeds the run fingerprint.
    type Msg: Clone + Debug + Hash + Serialize + Send + 'static;
    /// Timer payloads.
    type Timer: Clone + Debug + Hash + Send + 'static;
    /// State that survives crashes.
    type Durable: Clone + Debug + Default + Hash + Send + 'static;
    /// The client operations this algorithm serves
    /// ([`NoOps`](crate::family::NoOps) when it has no clients).
    type Family: OpFamily;

    /// Called when the node starts, first boot and every restart.
    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>);
    /// Called when a message arrives.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Self::Msg);
    /// Called when a timer set by this node fires.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Self::Timer);
    /// Called on a client when the workload issues an operation. The kernel
    /// has already recorded the invocation; the client must eventually call
    /// [`Ctx::complete`] (an operation left open ends with unknown outcome).
    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: OpInput<Self>) {
        let _ = input;
        ctx.complete(op, Outcome::Fail);
    }
    /// What the GUI, the CLI and traces show of this node.
    fn view(&self) -> NodeView;

    /// The observables this process publishes ([`crate::observe`]): checks
    /// over time read them, faults aim at its roles, the lab shows them.
    const OBSERVABLES: &'static [Observable] = &[];
    /// The events this process may report with [`Ctx::report`].
    const REPORTS: &'static [ReportDoc] = &[];

    /// The value of observable `index` (into [`Process::OBSERVABLES`]) on
    /// this node, or `None` when the node has none (a client). Called only
    /// when a check or a role-aimed fault asks, so it may take a moment.
    fn observe(&self, index: usize) -> Option<u64> {
        let _ = index;
        None
    }
}

/// One thing a handler asked for; applied by the kernel in order.
#[derive(Clone, Debug)]
pub(crate) enum Effect<P: Process> {
    Send(NodeId, P::Msg),
    SetTimer(TimerId, Duration, P::Timer),
    CancelTimer(TimerId),
    // Boxed: rare, and large enough to double the size of every effect.
    Invoke(OpId, Box<OpInput<P>>),
    Complete(OpId, Box<Outcome<OpOutput<P>>>),
    Note(String),
    Report(&'static str),
}

/// The handler's window on the world.
pub struct Ctx<'a, P: Process> {
    pub(crate) id: NodeId,
    pub(crate) now: LocalTime,
    pub(crate) monotonic: LocalTime,
    pub(crate) servers: u32,
    pub(crate) nodes: u32,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) durable: &'a mut P::Durable,
    pub(crate) effects: &'a mut std::collections::VecDeque<Effect<P>>,
    pub(crate) next_timer: &'a mut u64,
    pub(crate) next_op: &'a mut u64,
    pub(crate) tracing: bool,
    pub(crate) pin: Option<NodeId>,
}

impl<P: Process> Ctx<'_, P> {
    /// This node.
    #[inline]
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// In a client's [`Process::on_request`]: the server the operation must
    /// go to, when the scenario pins the client's group (`pin` in
    /// `[[clients]]`; a role is resolved to its holder as the operation is
    /// invoked). `None` everywhere else, and for unpinned clients. A client
    /// that honours it sends every attempt of the operation to that server
    /// and follows no redirect.
    #[inline]
    pub fn pin(&self) -> Option<NodeId> {
        self.pin
    }

    /// This node's local clock reading (not true time).
    #[inline]
    pub fn now(&self) -> LocalTime {
        self.now
    }

    /// The server nodes, in id order.
    pub fn servers(&self) -> impl Iterator<Item = NodeId> + use<P> {
        (0..self.servers).map(NodeId)
    }

    /// The server nodes other than this one.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + use<P> {
        let me = self.id;
        (0..self.servers).map(NodeId).filter(move |&n| n != me)
    }

    /// Number of servers.
    #[inline]
    pub fn server_count(&self) -> usize {
        self.servers as usize
    }

    /// Number of nodes, servers and clients.
    #[inline]
    pub fn node_count(&self) -> usize {
        self.nodes as usize
    }

    /// Sends `msg` to `to` through the network.
    #[inline]
    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        assert!(to.0 < self.nodes, "send to {to}, which does not exist");
        self.effects.push_back(Effect::Send(to, msg));
    }

    /// Sends `msg` to every other server.
    pub fn broadcast(&mut self, msg: P::Msg) {
        for peer in self.peers() {
            self.effects.push_back(Effect::Send(peer, msg.clone()));
        }
    }

    /// Sets a timer that fires when this node's local clock has advanced by
    /// `after` (clock drift and steps move it in true time).
    #[inline]
    pub fn set_timer(&mut self, after: Duration, timer: P::Timer) -> TimerId {
        let id = TimerId(*self.next_timer);
        *self.next_timer += 1;
        self.effects.push_back(Effect::SetTimer(id, after, timer));
        id
    }

    /// Cancels a timer; cancelling one that already fired does nothing.
    #[inline]
    pub fn cancel_timer(&mut self, id: TimerId) {
        self.effects.push_back(Effect::CancelTimer(id));
    }

    /// This node's monotonic clock ([`crate::LocalClock::monotonic`]): it
    /// drifts like [`Ctx::now`] but clock offsets and steps never move it,
    /// so a duration measured on it (a lease) cannot be stretched by a
    /// clock that jumps back. Timers are still set on [`Ctx::now`]'s clock.
    #[inline]
    pub fn monotonic_now(&self) -> LocalTime {
        self.monotonic
    }

    /// This node's random stream, derived from the run seed.
    #[inline]
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    /// The node's durable state as of now.
    #[inline]
    pub fn durable(&self) -> &P::Durable {
        self.durable
    }

    /// Writes to durable state; what is written here survives a crash.
    #[inline]
    pub fn durable_mut(&mut self) -> &mut P::Durable {
        self.durable
    }

    /// Records the invocation of a client operation that this node starts by
    /// itself (workload-driven clients get theirs from [`Process::on_request`]).
    pub fn invoke(&mut self, input: OpInput<P>) -> OpId {
        let op = OpId(*self.next_op);
        *self.next_op += 1;
        self.effects.push_back(Effect::Invoke(op, Box::new(input)));
        op
    }

    /// Records the outcome of a client operation of this node.
    pub fn complete(&mut self, op: OpId, outcome: Outcome<OpOutput<P>>) {
        self.effects
            .push_back(Effect::Complete(op, Box::new(outcome)));
    }

    /// Whether a trace consumer wants notes; use [`Ctx::note_with`] to skip
    /// formatting when not.
    #[inline]
    pub fn tracing(&self) -> bool {
        self.tracing
    }

    /// Reports that an event of one of the kinds in [`Process::REPORTS`]
    /// happened on this node (a leader was elected, a snapshot installed).
    /// Coverage requirements count these; they are not part of the
    /// fingerprint. Reporting a kind that is not declared is a bug in the
    /// algorithm, and the kernel stops on it.
    pub fn report(&mut self, event: &'static str) {
        self.effects.push_back(Effect::Report(event));
    }

    /// Annotates the trace (notes are not part of the fingerprint).
    pub fn note(&mut self, text: impl Into<String>) {
        if self.tracing {
            self.effects.push_back(Effect::Note(text.into()));
        }
    }

    /// Annotates the trace, formatting only when someone will read it.
    pub fn note_with(&mut self, text: impl FnOnce() -> String) {
        if self.tracing {
            self.effects.push_back(Effect::Note(text()));
        }
    }
}

/// What a node shows of itself: a role for colouring, a one-line summary,
/// named fields, and optional protocol-aware sections (tables, rings).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    /// Role, such as `"leader"`, `"follower"`, `"client"` (colours the node).
    pub role: String,
    /// One short line shown under the node.
    pub summary: String,
    /// Named values, in display order.
    pub fields: Vec<(String, String)>,
    /// Protocol-aware sections for richer inspectors.
    pub sections: Vec<ViewSection>,
}

impl NodeView {
    /// A view with a role and summary.
    pub fn new(role: impl Into<String>, summary: impl Into<String>) -> Self {
        NodeView {
            role: role.into(),
            summary: summary.into(),
            ..NodeView::default()
        }
    }

    /// Adds a named field.
    pub fn field(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.fields.push((name.into(), value.to_string()));
        self
    }

    /// Adds a section.
    pub fn section(mut self, section: ViewSection) -> Self {
        self.sections.push(section);
        self
    }

    /// The value of a field by name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A protocol-aware part of a node view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "section", rename_all = "snake_case")]
pub enum ViewSection {
    /// A table (a Raft log, per-follower indexes...). `group` per row lets the
    /// GUI colour rows (by term, say).
    Table {
        /// Title.
        title: String,
        /// Column names.
        columns: Vec<String>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
        /// A colouring key per row (same length as rows, or empty).
        groups: Vec<u64>,
    },
    /// Positions on a hash ring, as fractions of the ring in `[0, 1)`.
    Ring {
        /// Title.
        title: String,
        /// This node's positions.
        positions: Vec<f64>,
    },
}
