//! What asynchronous read replicas publish for checks over time,
//! role-aimed faults (`node = "primary"`, `node = "replica"`) and the lab:
//! roles and epochs, how far each log reaches, the primary's replication
//! lag, a digest of each store (equal logs, equal digests) and the
//! entries each server lost to truncation.

use super::AsyncNode;
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::role(
        "primary",
        "The data server acts as primary of the epoch it holds (the epoch; 0 otherwise). A replaced primary cut off from the monitor still does.",
    ),
    Observable::role(
        "replica",
        "The data server is a read replica in the epoch it holds (the epoch; 0 otherwise).",
    ),
    Observable::role("monitor", "The server is the monitor, n0 (1)."),
    Observable::number(
        "epoch",
        "The epoch the server holds (the monitor: the last one it issued).",
    ),
    Observable::number(
        "applied",
        "Log entries the data server holds and has applied (0 on the monitor).",
    ),
    Observable::number(
        "lag",
        "On the primary: entries the furthest-behind replica has not acknowledged (0 elsewhere).",
    ),
    Observable::number(
        "digest",
        "A hash of the data server's store (equal logs, equal digests); none on the monitor.",
    ),
    Observable::number(
        "lost",
        "Log entries the data server has truncated so far: writes of an old primary that the new one never had.",
    ),
];

/// The monitor promoted a new primary.
pub const FAILOVER: &str = "failover";
/// A data server truncated entries from its log.
pub const TRUNCATED: &str = "truncated";
/// A replica installed the primary's whole log.
pub const RESYNCED: &str = "resynced";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[
    ReportDoc::new(
        FAILOVER,
        "The monitor fenced the data servers and promoted the one with the furthest log.",
    ),
    ReportDoc::new(
        TRUNCATED,
        "A data server dropped log entries the primary does not have (writes lost in a failover; the trace note says how many).",
    ),
    ReportDoc::new(
        RESYNCED,
        "A replica whose log had diverged received the primary's whole log and kept the common prefix.",
    ),
];

/// The value of observable `index` on a server (`None` on clients).
pub fn observe(node: &AsyncNode, index: usize) -> Option<u64> {
    match node {
        AsyncNode::Client(_) => None,
        AsyncNode::Monitor(m) => match index {
            2 => Some(1),
            3 => Some(m.epoch()),
            0 | 1 | 4 | 5 | 7 => Some(0),
            _ => None,
        },
        AsyncNode::Server(s) => {
            let role = |held: bool| if held { s.epoch() } else { 0 };
            Some(match index {
                0 => role(s.is_primary()),
                1 => role(!s.is_primary()),
                2 => 0,
                3 => s.epoch(),
                4 => s.applied(),
                5 => s.lag(),
                6 => s.store().digest(),
                7 => s.lost(),
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
                "primary", "replica", "monitor", "epoch", "applied", "lag", "digest", "lost"
            ]
        );
    }
}
