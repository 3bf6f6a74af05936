//! What chain replication publishes for checks over time, role-aimed
//! faults and the lab: each server's place in the chain it believes in,
//! the configuration number, and how far it has applied, committed and
//! sent (van Renesse & Schneider §2–3).

use super::ChainNode;
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::role(
        "head",
        "The server is the head of the chain it holds (the configuration's version; 0 otherwise). A removed head that has not heard still believes it.",
    ),
    Observable::role(
        "tail",
        "The server is the tail of the chain it holds (the configuration's version; 0 otherwise).",
    ),
    Observable::role(
        "middle",
        "The server is in the chain it holds, neither head nor tail (the version; 0 otherwise).",
    ),
    Observable::role("master", "The server is the master, n0 (1)."),
    Observable::number(
        "config",
        "The version of the chain configuration the server holds (the master's: the current one).",
    ),
    Observable::number("applied", "The last update the server applied."),
    Observable::number(
        "committed",
        "The last update the server knows is at the tail.",
    ),
    Observable::number(
        "sent",
        "Updates the server sent down the chain and has not seen acknowledged (its Sent list).",
    ),
];

/// The master published a new configuration.
pub const CHAIN_RECONFIGURED: &str = "chain_reconfigured";
/// A server added at the tail installed its predecessor's state.
pub const STATE_TRANSFERRED: &str = "state_transferred";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[
    ReportDoc::new(
        CHAIN_RECONFIGURED,
        "The master published a new chain: servers removed after a failure, or one added at the tail (§3).",
    ),
    ReportDoc::new(
        STATE_TRANSFERRED,
        "A server added at the tail installed its predecessor's state and became the tail (§3).",
    ),
];

/// The value of observable `index` on a server (`None` on clients).
pub fn observe(node: &ChainNode, index: usize) -> Option<u64> {
    match node {
        ChainNode::Client(_) => None,
        ChainNode::Master(m) => Some(match index {
            3 => 1,
            4 => m.config().version,
            0..=2 | 5..=7 => 0,
            _ => return None,
        }),
        ChainNode::Server(s) => {
            let version = s.config().version;
            let role = |held: bool| if held { version } else { 0 };
            Some(match index {
                0 => role(s.is_head()),
                1 => role(s.is_tail()),
                2 => role(s.is_ready() && !s.is_head() && !s.is_tail()),
                3 => 0,
                4 => version,
                5 => s.applied(),
                6 => s.committed(),
                7 => s.sent().len() as u64,
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OBSERVABLES;

    #[test]
    fn indexes_follow_the_declaration() {
        let names: Vec<&str> = OBSERVABLES.iter().map(|o| o.name).collect();
        assert_eq!(
            names,
            [
                "head",
                "tail",
                "middle",
                "master",
                "config",
                "applied",
                "committed",
                "sent"
            ]
        );
    }
}
