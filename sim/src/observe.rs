//! What an algorithm publishes about its nodes, for tools that must not
//! know the algorithm: named **observables** (a value per node, read from
//! its live state: a Raft server's term, whether it leads) and named
//! **reported events** (a node says that something happened: a leader was
//! elected, a snapshot installed).
//!
//! One mechanism serves every reader: checks over time and coverage
//! requirements ([`crate::monitor`]), faults aimed at a role (a fault
//! whose node is `"leader"` goes to the node holding the role when it
//! applies), and the lab's inspector. A process declares what it publishes
//! in [`Process::OBSERVABLES`](crate::Process::OBSERVABLES) and
//! [`Process::REPORTS`](crate::Process::REPORTS), answers
//! [`Process::observe`](crate::Process::observe), and reports with
//! [`Ctx::report`](crate::Ctx::report).
//!
//! Nothing here enters the fingerprint: observing is reading, and a report
//! is a remark about a step the trace already holds. So publishing more, or
//! checking more, never changes a run.

use crate::process::NodeId;
use crate::time::SimTime;
use serde::Serialize;

/// How the values of an observable read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservableKind {
    /// A role: zero on the nodes that do not hold it, above zero on those
    /// that do. The value ranks holders (a Raft leader's term): a fault
    /// aimed at the role goes to the highest, the lowest id on a tie.
    Role,
    /// A number per node (a term, a commit index).
    Number,
}

/// One documented observable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Observable {
    /// Name, as scenario files write it (`"term"`).
    pub name: &'static str,
    /// Role or number.
    pub kind: ObservableKind,
    /// One line for `faultline list` and the scenario reference.
    pub doc: &'static str,
}

impl Observable {
    /// A per-node number.
    pub const fn number(name: &'static str, doc: &'static str) -> Self {
        Observable {
            name,
            kind: ObservableKind::Number,
            doc,
        }
    }

    /// A role.
    pub const fn role(name: &'static str, doc: &'static str) -> Self {
        Observable {
            name,
            kind: ObservableKind::Role,
            doc,
        }
    }
}

/// One documented kind of event a node may report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReportDoc {
    /// Name, as scenario files write it (`"snapshot_installed"`).
    pub name: &'static str,
    /// One line.
    pub doc: &'static str,
}

impl ReportDoc {
    /// A documented event.
    pub const fn new(name: &'static str, doc: &'static str) -> Self {
        ReportDoc { name, doc }
    }
}

/// An event a node reported during a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Events run before the one that reported it (its index).
    pub event: u64,
    /// True time.
    pub time: SimTime,
    /// The reporting node.
    pub node: NodeId,
    /// Which event, one of the process's [`ReportDoc`] names.
    pub name: &'static str,
}

/// The kernel's own observable, for every algorithm with clients: client
/// operations completed ok so far (one value for the whole run, not per
/// node). "It grows within 1s after each heal" is liveness per window.
pub const CLIENT_OPS_OK: Observable = Observable::number(
    "client_ops_ok",
    "Client operations completed ok so far (one value for the whole run).",
);
