//! What is fixed for a run (`WorldConfig`), how it can be wrong, and what a
//! run reports: its status, a violation and its counters.

use super::*;

/// Everything fixed for one run.
#[derive(Clone, Debug)]
pub struct WorldConfig {
    /// The run seed; every random stream derives from it.
    pub seed: u64,
    /// Number of server nodes (ids `0..servers`).
    pub servers: u32,
    /// Number of client nodes (ids after the servers).
    pub clients: u32,
    /// The run stops at this true time.
    pub end: SimTime,
    /// Settings of every link at the start.
    pub link: LinkConfig,
    /// Links whose settings at the start differ from `link`, by
    /// `(from, to)`: a [topology](crate::topology)'s compiled links. Empty
    /// for a flat network.
    pub link_overrides: BTreeMap<(NodeId, NodeId), LinkConfig>,
    /// Client pacing when there are no `groups`.
    pub workload: WorkloadConfig,
    /// Client groups in id order, each with its own pacing and pin; their
    /// counts add up to `clients`. Empty: every client is in one unpinned
    /// group paced by `workload`.
    pub groups: Vec<ClientGroup>,
    /// Faults to apply, in any order (applied in time order, ties in list order).
    pub faults: FaultSchedule,
    /// Check invariants after every `invariant_stride` events (0: only at the end).
    pub invariant_stride: u64,
    /// Snapshot the world every this many events (0: never; seeking back
    /// then re-runs from the start).
    pub snapshot_every: u64,
    /// Whether to keep trace records.
    pub trace: TraceMode,
    /// Stop the run with `no_progress` after more than this many events in
    /// a row at one instant (see [`crate::limits`]).
    pub max_events_per_instant: u64,
    /// Stop the run with `resource_limit` when more events than this are
    /// waiting in the queue.
    pub max_pending_events: usize,
    /// Stop the run with `resource_limit` when the history holds more
    /// client operations than this.
    pub max_operations: usize,
    /// An adversary chooses the steps instead of the seeded network and
    /// clocks ([`World::with_adversary`]); `None` for a seeded run.
    pub adversary: Option<AdversarySetup>,
}

/// What a world under an adversary is given: its budgets, and the steps to
/// take for a replay (empty for a search).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdversarySetup {
    /// Budgets of operations and faults on one path.
    pub budgets: Budgets,
    /// The steps [`World::step`] takes, in order.
    pub script: Vec<Choice>,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 0,
            servers: 3,
            clients: 0,
            end: SimTime::from_duration(Duration::from_secs(10)),
            link: LinkConfig::default(),
            link_overrides: BTreeMap::new(),
            workload: WorkloadConfig::default(),
            groups: Vec::new(),
            faults: Vec::new(),
            invariant_stride: 1,
            snapshot_every: 10_000,
            trace: TraceMode::Fingerprint,
            max_events_per_instant: crate::limits::MAX_EVENTS_PER_INSTANT,
            max_pending_events: crate::limits::MAX_PENDING_EVENTS,
            max_operations: crate::limits::MAX_OPERATIONS,
            adversary: None,
        }
    }
}

/// Something wrong with a world's configuration or an injected fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A fault names a node that does not exist.
    #[error("fault `{fault}` names node {node}, but the run has nodes n0..n{last}")]
    NodeOutOfRange {
        /// The fault.
        fault: String,
        /// The bad id.
        node: NodeId,
        /// The last valid id.
        last: u32,
    },
    /// A fault is scheduled after the end of the run.
    #[error("fault `{fault}` is at {at}, after the end of the run at {end}")]
    AfterEnd {
        /// The fault.
        fault: String,
        /// Its time.
        at: SimTime,
        /// The end.
        end: SimTime,
    },
    /// Some other setting is impossible.
    #[error("{0}")]
    Invalid(String),
}

/// Why a run stopped, or that it has not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// More events to run.
    Running,
    /// Reached the end time with every check holding.
    Finished,
    /// An invariant failed.
    Violated(Violation),
}

impl RunStatus {
    /// Whether the run can go on.
    pub fn is_running(&self) -> bool {
        matches!(self, RunStatus::Running)
    }
}

/// An invariant failure: where, when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Invariant name.
    pub invariant: String,
    /// What was wrong.
    pub reason: String,
    /// The number of events run when it was seen.
    pub event: u64,
    /// True time.
    pub time: SimTime,
    /// The run seed.
    pub seed: u64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant `{}` violated at event {} (t={}, seed {}): {}",
            self.invariant, self.event, self.time, self.seed, self.reason
        )
    }
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Events processed.
    pub events: u64,
    /// Messages sent (duplicates counted once more each).
    pub sent: u64,
    /// Messages delivered to a handler.
    pub delivered: u64,
    /// Messages dropped because of a partition.
    pub dropped_partition: u64,
    /// Messages lost by a lossy link.
    pub dropped_loss: u64,
    /// Messages addressed to a node that was down.
    pub dropped_node_down: u64,
    /// Messages dropped by an injected fault.
    pub dropped_injected: u64,
    /// Extra copies made by duplication.
    pub duplicated: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Faults applied (including ones that changed nothing).
    pub faults: u64,
    /// Client operations invoked.
    pub ops_invoked: u64,
    /// Client operations completed ok.
    pub ops_ok: u64,
    /// Client operations that definitely failed.
    pub ops_failed: u64,
    /// Client operations completed with unknown outcome.
    pub ops_unknown: u64,
}

impl WorldConfig {
    /// Servers and clients together, or `None` when the sum does not fit.
    pub fn node_count(&self) -> Option<u32> {
        self.servers.checked_add(self.clients)
    }
}

impl Stats {
    /// All dropped messages.
    pub fn dropped(&self) -> u64 {
        self.dropped_partition + self.dropped_loss + self.dropped_node_down + self.dropped_injected
    }
}
