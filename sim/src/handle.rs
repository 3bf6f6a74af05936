//! The object-safe handle through which the CLI and the GUI drive a run of
//! any algorithm without naming its types.

use crate::family::OpFamily;
use crate::fault::{Fault, FaultSchedule};
use crate::network::Network;
use crate::observe::{Observable, Report};
use crate::process::{MsgId, NodeId, NodeKind, NodeView, Process};
use crate::time::SimTime;
use crate::trace::TraceRecord;
use crate::world::{ConfigError, InFlight, RunStatus, Stats, World, WorldConfig};
use faultline_checker::{Budget, CheckResult, Outcome};
use serde::{Deserialize, Serialize};

/// What the kernel knows of a node, beside its own view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node.
    pub id: NodeId,
    /// Server or client.
    pub kind: NodeKind,
    /// Whether it is running.
    pub up: bool,
    /// Local minus true time now, in nanoseconds.
    pub clock_offset_nanos: i64,
    /// Clock drift in parts per million.
    pub clock_drift_ppm: i64,
}

/// How a client operation ended, whatever its family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpStatus {
    /// Completed with a result.
    Ok,
    /// Definitely did not take effect.
    Fail,
    /// Still open, or the client never learned (may have taken effect).
    Unknown,
}

impl<O> From<&Outcome<O>> for OpStatus {
    fn from(outcome: &Outcome<O>) -> Self {
        match outcome {
            Outcome::Ok(_) => OpStatus::Ok,
            Outcome::Fail => OpStatus::Fail,
            Outcome::Unknown => OpStatus::Unknown,
        }
    }
}

/// When and how a client operation ran, whatever its family: what liveness
/// checks and the lab's operation bars need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpTiming {
    /// The client that issued it.
    pub client: NodeId,
    /// Invocation time.
    pub call: SimTime,
    /// Return time; `None` while open or when the outcome is unknown.
    pub ret: Option<SimTime>,
    /// How it ended.
    pub status: OpStatus,
}

/// A client operation in words, whatever its family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpText {
    /// The request (`get k0`, `propose 1.3`).
    pub input: String,
    /// The outcome (`ok -> "1.2"`, `fail`, `unknown`).
    pub outcome: String,
}

/// The status of one invariant at the cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantStatus {
    /// Name.
    pub name: String,
    /// What it checks.
    pub description: String,
    /// The failure, if this invariant stopped the run.
    pub violation: Option<String>,
}

/// A run of some algorithm, driven without knowing which.
pub trait SimHandle {
    /// The configuration.
    fn config(&self) -> &WorldConfig;
    /// True time now.
    fn now(&self) -> SimTime;
    /// Events run so far (the cursor).
    fn events(&self) -> u64;
    /// Running, finished or violated.
    fn status(&self) -> &RunStatus;
    /// The running fingerprint.
    fn fingerprint(&self) -> u64;
    /// Counters.
    fn stats(&self) -> &Stats;
    /// Runs one event; false when the run has stopped.
    fn step(&mut self) -> bool;
    /// Runs to the end or a violation.
    fn run(&mut self) -> &RunStatus;
    /// Runs every event up to true time `t`.
    fn run_until_time(&mut self, t: SimTime) -> &RunStatus;
    /// Runs until `events` events have run.
    fn run_until_event(&mut self, events: u64) -> &RunStatus;
    /// Moves the cursor to after `event` events, backwards or forwards.
    fn seek(&mut self, event: u64) -> &RunStatus;
    /// The time of the next event, if any.
    fn next_time(&self) -> Option<SimTime>;
    /// Number of nodes.
    fn node_count(&self) -> usize;
    /// A node's own view.
    fn node_view(&self, id: NodeId) -> NodeView;
    /// What the kernel knows of a node.
    fn node_info(&self, id: NodeId) -> NodeInfo;
    /// The network (links, cuts, reachability).
    fn network(&self) -> &Network;
    /// Messages in flight.
    fn in_flight(&self) -> Vec<InFlight>;
    /// Trace records (full trace mode only), possibly past the cursor.
    fn records(&self) -> &[TraceRecord];
    /// A message's payload, formatted, when the trace keeps payloads.
    fn describe_message(&self, msg: MsgId) -> Option<String>;
    /// A message's payload as JSON, when the trace keeps payloads.
    fn message_json(&self, msg: MsgId) -> Option<serde_json::Value>;
    /// The name of the algorithm's operation family (`kv`, `consensus`).
    fn op_family(&self) -> &'static str;
    /// Client operations invoked so far; operation `i` has id `i`.
    fn op_count(&self) -> usize;
    /// When and how operation `i` ran.
    fn op_timing(&self, i: usize) -> Option<OpTiming>;
    /// Operation `i` in words.
    fn describe_op(&self, i: usize) -> Option<OpText>;
    /// Operation `i` as one JSON line of the history format that
    /// `faultline check-history` reads (`client`, `input`, `call`,
    /// `outcome`, `ret`).
    fn op_json(&self, i: usize) -> Option<serde_json::Value>;
    /// Checks the history so far against the family's sequential model
    /// (operations still open count as unknown).
    fn check_history(&self, budget: Budget) -> CheckResult;
    /// Every invariant's status.
    fn invariant_status(&self) -> Vec<InvariantStatus>;
    /// Applies a fault now and records it in the branch.
    fn inject(&mut self, fault: Fault) -> Result<(), ConfigError>;
    /// The full fault schedule of this branch.
    fn fault_schedule(&self) -> FaultSchedule;
    /// The observables the algorithm publishes ([`crate::observe`]).
    fn observables(&self) -> &'static [Observable];
    /// The value of observable `index` on a node now (`None`: down, or the
    /// node has none).
    fn observe(&self, id: NodeId, index: usize) -> Option<u64>;
    /// The events the nodes reported so far, in order.
    fn reports(&self) -> &[Report];
    /// The steps of an explored path being replayed, in words, in order
    /// (empty for a seeded run).
    fn script_labels(&self) -> Vec<String>;
    /// How many of the path's steps have been taken.
    fn script_position(&self) -> usize;
}

impl<P: Process> SimHandle for World<P> {
    fn config(&self) -> &WorldConfig {
        World::config(self)
    }
    fn now(&self) -> SimTime {
        World::now(self)
    }
    fn events(&self) -> u64 {
        World::events(self)
    }
    fn status(&self) -> &RunStatus {
        World::status(self)
    }
    fn fingerprint(&self) -> u64 {
        World::fingerprint(self)
    }
    fn stats(&self) -> &Stats {
        World::stats(self)
    }
    fn step(&mut self) -> bool {
        World::step(self)
    }
    fn run(&mut self) -> &RunStatus {
        World::run(self)
    }
    fn run_until_time(&mut self, t: SimTime) -> &RunStatus {
        World::run_until_time(self, t)
    }
    fn run_until_event(&mut self, events: u64) -> &RunStatus {
        World::run_until_event(self, events)
    }
    fn seek(&mut self, event: u64) -> &RunStatus {
        World::seek(self, event)
    }
    fn next_time(&self) -> Option<SimTime> {
        World::next_time(self)
    }
    fn node_count(&self) -> usize {
        World::node_count(self)
    }
    fn node_view(&self, id: NodeId) -> NodeView {
        World::view(self, id)
    }
    fn node_info(&self, id: NodeId) -> NodeInfo {
        let clock = self.clock(id);
        NodeInfo {
            id,
            kind: self.kind(id),
            up: self.process(id).is_some(),
            clock_offset_nanos: clock.offset_nanos(self.now()),
            clock_drift_ppm: clock.drift_ppm(),
        }
    }
    fn network(&self) -> &Network {
        World::network(self)
    }
    fn in_flight(&self) -> Vec<InFlight> {
        World::in_flight(self)
    }
    fn records(&self) -> &[TraceRecord] {
        World::records(self)
    }
    fn describe_message(&self, msg: MsgId) -> Option<String> {
        self.payload(msg).map(|m| format!("{m:?}"))
    }
    fn message_json(&self, msg: MsgId) -> Option<serde_json::Value> {
        self.payload(msg).and_then(|m| serde_json::to_value(m).ok())
    }
    fn op_family(&self) -> &'static str {
        P::Family::NAME
    }
    fn op_count(&self) -> usize {
        self.history().len()
    }
    fn op_timing(&self, i: usize) -> Option<OpTiming> {
        let op = self.history().get(i)?;
        Some(OpTiming {
            client: NodeId(op.client as u32),
            call: SimTime(op.call),
            ret: op.ret.map(SimTime),
            status: OpStatus::from(&op.outcome),
        })
    }
    fn describe_op(&self, i: usize) -> Option<OpText> {
        let op = self.history().get(i)?;
        Some(OpText {
            input: P::Family::describe_input(&op.input),
            outcome: match &op.outcome {
                Outcome::Ok(output) => format!("ok -> {}", P::Family::describe_output(output)),
                Outcome::Fail => "fail".into(),
                Outcome::Unknown => "unknown".into(),
            },
        })
    }
    fn op_json(&self, i: usize) -> Option<serde_json::Value> {
        serde_json::to_value(self.history().get(i)?).ok()
    }
    fn check_history(&self, budget: Budget) -> CheckResult {
        let model = <P::Family as OpFamily>::Model::default();
        faultline_checker::check(&model, self.history(), budget)
    }
    fn invariant_status(&self) -> Vec<InvariantStatus> {
        let violated = match self.status() {
            RunStatus::Violated(v) => Some(v),
            _ => None,
        };
        self.invariants()
            .map(|inv| InvariantStatus {
                name: inv.name().to_string(),
                description: inv.description().to_string(),
                violation: violated
                    .filter(|v| v.invariant == inv.name())
                    .map(|v| v.reason.clone()),
            })
            .collect()
    }
    fn inject(&mut self, fault: Fault) -> Result<(), ConfigError> {
        World::inject(self, fault)
    }
    fn fault_schedule(&self) -> FaultSchedule {
        World::fault_schedule(self)
    }
    fn observables(&self) -> &'static [Observable] {
        P::OBSERVABLES
    }
    fn observe(&self, id: NodeId, index: usize) -> Option<u64> {
        self.process(id)?.observe(index)
    }
    fn reports(&self) -> &[Report] {
        World::reports(self)
    }
    fn script_labels(&self) -> Vec<String> {
        World::script_labels(self)
    }
    fn script_position(&self) -> usize {
        World::script_position(self)
    }
}
