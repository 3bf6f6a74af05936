//! Faults as data: one enum of every fault action and a timed schedule of
//! them. Schedules are generated (nemesis), written (scenarios), recorded
//! (interactive injection), shrunk and replayed — all as plain values.

use crate::NodeId;
use crate::network::LinkChange;
use crate::time::{SimTime, format_nanos, signed_duration_str, simtime_str};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One fault action, applied by the kernel at a moment of true time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Cut every link between nodes of different groups, both ways.
    Partition {
        /// The sides of the cut. Nodes in no group keep their links.
        groups: Vec<Vec<NodeId>>,
    },
    /// Cut the links from every node of `from` to every node of `to` only.
    PartitionOneWay {
        /// Senders whose messages are lost.
        from: Vec<NodeId>,
        /// Receivers that stop hearing them.
        to: Vec<NodeId>,
    },
    /// Cut every link to and from one node.
    Isolate {
        /// The node.
        node: NodeId,
    },
    /// Restore every cut link.
    Heal,
    /// Restore every cut link to and from one node; other cuts stay.
    Reconnect {
        /// The node.
        node: NodeId,
    },
    /// Stop a node: its volatile state and timers are lost, messages to it
    /// are dropped until it restarts.
    Crash {
        /// The node.
        node: NodeId,
    },
    /// Start a crashed node again from its durable state.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// Set a clock's offset from true time.
    ClockOffset {
        /// The node.
        node: NodeId,
        /// Local minus true time, e.g. `"-50ms"`.
        #[serde(with = "signed_duration_str")]
        offset: i64,
    },
    /// Set a clock's drift rate.
    ClockDrift {
        /// The node.
        node: NodeId,
        /// Parts per million fast (positive) or slow (negative).
        ppm: i64,
    },
    /// Jump a clock forwards or backwards.
    ClockStep {
        /// The node.
        node: NodeId,
        /// The jump, e.g. `"2s"` or `"-500ms"`.
        #[serde(with = "signed_duration_str")]
        delta: i64,
    },
    /// Change link settings; a missing end means every node.
    Link {
        /// Sending end, or every node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<NodeId>,
        /// Receiving end, or every node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<NodeId>,
        /// What changes.
        #[serde(flatten)]
        change: LinkChange,
    },
    /// Drop one message that is in flight.
    DropMessage {
        /// The message id from the trace.
        message: u64,
    },
    /// A fault aimed at whichever server holds a role when it applies
    /// (`crash` of `"leader"`): `action` names a placeholder node, replaced
    /// by the holder of `role` ([`crate::observe`]) at that moment. With
    /// no holder, the fault changes nothing. The kernel's own role
    /// [`CRASHED`] (the down server with the lowest id) aims a `restart`.
    Aimed {
        /// The role, an observable of kind role (`"leader"`).
        role: String,
        /// The server chosen when it applied (`None` before, or when no
        /// server held the role).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chosen: Option<NodeId>,
        /// What to do to it.
        action: Box<Fault>,
    },
}

impl Fault {
    /// The nodes this fault names, for validation.
    pub fn nodes(&self) -> Vec<NodeId> {
        match self {
            Fault::Partition { groups } => groups.iter().flatten().copied().collect(),
            Fault::PartitionOneWay { from, to } => from.iter().chain(to).copied().collect(),
            Fault::Isolate { node }
            | Fault::Reconnect { node }
            | Fault::Crash { node }
            | Fault::Restart { node }
            | Fault::ClockOffset { node, .. }
            | Fault::ClockDrift { node, .. }
            | Fault::ClockStep { node, .. } => vec![*node],
            Fault::Link { from, to, .. } => from.iter().chain(to).copied().collect(),
            Fault::Heal | Fault::DropMessage { .. } => Vec::new(),
            // The placeholder is not a target; the chosen node is.
            Fault::Aimed { chosen, .. } => chosen.iter().copied().collect(),
        }
    }

    /// The one node whose own state the fault changes (crash, restart, its
    /// clock), or `None` for a network fault, which changes no node's state
    /// (an aimed fault counts as a network fault here: its node is chosen
    /// when it applies).
    pub fn node_state(&self) -> Option<NodeId> {
        match self {
            Fault::Crash { node }
            | Fault::Restart { node }
            | Fault::ClockOffset { node, .. }
            | Fault::ClockDrift { node, .. }
            | Fault::ClockStep { node, .. } => Some(*node),
            _ => None,
        }
    }

    /// A short name of the kind, as used in scenario files.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Fault::Partition { .. } => "partition",
            Fault::PartitionOneWay { .. } => "partition_one_way",
            Fault::Isolate { .. } => "isolate",
            Fault::Heal => "heal",
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::ClockOffset { .. } => "clock_offset",
            Fault::ClockDrift { .. } => "clock_drift",
            Fault::ClockStep { .. } => "clock_step",
            Fault::Link { .. } => "link",
            Fault::DropMessage { .. } => "drop_message",
            Fault::Reconnect { .. } => "reconnect",
            Fault::Aimed { action, .. } => action.kind_name(),
        }
    }

    /// This fault aimed at `node` instead (for the kinds that take one
    /// node: isolate, reconnect, crash, restart and the clock faults).
    pub fn with_node(&self, node: NodeId) -> Option<Fault> {
        let mut f = self.clone();
        match &mut f {
            Fault::Isolate { node: n }
            | Fault::Reconnect { node: n }
            | Fault::Crash { node: n }
            | Fault::Restart { node: n }
            | Fault::ClockOffset { node: n, .. }
            | Fault::ClockDrift { node: n, .. }
            | Fault::ClockStep { node: n, .. } => *n = node,
            _ => return None,
        }
        Some(f)
    }
}

fn list(nodes: &[NodeId]) -> String {
    let names: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    format!("{{{}}}", names.join(","))
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Partition { groups } => {
                let sides: Vec<String> = groups.iter().map(|g| list(g)).collect();
                write!(f, "partition {}", sides.join(" | "))
            }
            Fault::PartitionOneWay { from, to } => {
                write!(f, "one-way cut {} -> {}", list(from), list(to))
            }
            Fault::Isolate { node } => write!(f, "isolate {node}"),
            Fault::Heal => write!(f, "heal"),
            Fault::Crash { node } => write!(f, "crash {node}"),
            Fault::Restart { node } => write!(f, "restart {node}"),
            Fault::ClockOffset { node, offset } => {
                write!(f, "clock offset {node} {}", format_nanos(*offset as i128))
            }
            Fault::ClockDrift { node, ppm } => write!(f, "clock drift {node} {ppm}ppm"),
            Fault::ClockStep { node, delta } => {
                write!(f, "clock step {node} {}", format_nanos(*delta as i128))
            }
            Fault::Link { from, to, change } => {
                let end = |n: &Option<NodeId>| n.map_or("*".to_string(), |n| n.to_string());
                write!(f, "link {} -> {}", end(from), end(to))?;
                if let Some(l) = &change.latency {
                    write!(f, " latency={l:?}")?;
                }
                for (name, p) in [
                    ("loss", change.loss),
                    ("duplicate", change.duplicate),
                    ("reorder", change.reorder),
                ] {
                    if let Some(p) = p {
                        write!(f, " {name}={p}")?;
                    }
                }
                Ok(())
            }
            Fault::DropMessage { message } => write!(f, "drop message #{message}"),
            Fault::Reconnect { node } => write!(f, "reconnect {node}"),
            Fault::Aimed {
                role,
                chosen,
                action,
            } => match chosen.and_then(|n| action.with_node(n)) {
                Some(concrete) if role == CRASHED => write!(f, "{concrete} (the crashed server)"),
                Some(concrete) => write!(f, "{concrete} (the {role})"),
                None => write!(f, "{} aimed at the {role}", action.kind_name()),
            },
        }
    }
}

/// The role a `restart` can aim at: the crashed server with the lowest id
/// when it applies (a crashed server holds no role of its algorithm).
pub const CRASHED: &str = "crashed";

/// A fault at a moment of a run.
///
/// `after_event`, when set, places the fault exactly: it is applied right
/// after that many events have run (this is how an interactive injection is
/// recorded, so a saved branch replays to the same fingerprint). Otherwise the
/// fault is an event of its own at `at`, ordered before other events at the
/// same instant that were scheduled later.
///
/// Serde's `flatten` cannot reject unknown fields, so strict parsing of
/// scenario files happens in the scenario layer, not here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledFault {
    /// When, as a duration from the start (`"1500ms"`).
    #[serde(with = "simtime_str")]
    pub at: SimTime,
    /// Exact placement after this many events (see above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_event: Option<u64>,
    /// What.
    #[serde(flatten)]
    pub fault: Fault,
}

impl fmt::Display for ScheduledFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.at, self.fault)
    }
}

/// A timed list of faults.
pub type FaultSchedule = Vec<ScheduledFault>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_round_trip_through_json() {
        let schedule = vec![
            ScheduledFault {
                at: SimTime(1_500_000_000),
                after_event: None,
                fault: Fault::Crash { node: NodeId(2) },
            },
            ScheduledFault {
                at: SimTime(2_000_000),
                after_event: Some(17),
                fault: Fault::ClockStep {
                    node: NodeId(0),
                    delta: -5_000_000,
                },
            },
            ScheduledFault {
                at: SimTime(0),
                after_event: None,
                fault: Fault::Link {
                    from: Some(NodeId(1)),
                    to: None,
                    change: LinkChange {
                        loss: Some(0.5),
                        ..LinkChange::default()
                    },
                },
            },
        ];
        let text = serde_json::to_string(&schedule).unwrap();
        assert!(text.contains("\"at\":\"1.5s\""), "{text}");
        assert!(text.contains("\"delta\":\"-5ms\""), "{text}");
        let back: FaultSchedule = serde_json::from_str(&text).unwrap();
        assert_eq!(back, schedule);
    }

    #[test]
    fn display_reads_like_a_script() {
        let f = Fault::Partition {
            groups: vec![vec![NodeId(0), NodeId(1)], vec![NodeId(2)]],
        };
        assert_eq!(f.to_string(), "partition {n0,n1} | {n2}");
    }
}
