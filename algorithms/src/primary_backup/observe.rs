//! What primary-backup publishes for checks over time, role-aimed faults
//! (`node = "primary"`, `node = "backup"`) and the lab: each server's view
//! and role, and the events of the view service's lifecycle (MIT 6.824
//! lab 2, parts A and B).

use super::PbNode;
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::role(
        "primary",
        "The replica believes it is primary of the latest view it knows (that view's number; 0 otherwise). A replaced primary cut off from the others still believes it.",
    ),
    Observable::role(
        "backup",
        "The replica believes it is backup of the latest view it knows (that view's number; 0 otherwise).",
    ),
    Observable::role("view_service", "The server is the view service (n0: 1)."),
    Observable::number(
        "view",
        "The latest view number the server knows (the view service: the view it issued last).",
    ),
    Observable::number(
        "version",
        "Batches of client operations applied to the replica's store (0 on the view service).",
    ),
    Observable::number(
        "keys",
        "Keys in the replica's store (0 on the view service).",
    ),
];

/// The view service issued a new view.
pub const VIEW_CHANGED: &str = "view_changed";
/// The view service saw the current view's primary acknowledge it.
pub const VIEW_ACKNOWLEDGED: &str = "view_acknowledged";
/// A backup installed the primary's whole state.
pub const STATE_TRANSFERRED: &str = "state_transferred";
/// A backup learned it is the primary of a newer view.
pub const PROMOTED: &str = "promoted";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[
    ReportDoc::new(
        VIEW_CHANGED,
        "The view service issued a new view (a new primary, a new backup, or the first view).",
    ),
    ReportDoc::new(
        VIEW_ACKNOWLEDGED,
        "The view service heard the current view's primary acknowledge it.",
    ),
    ReportDoc::new(
        STATE_TRANSFERRED,
        "A backup installed the primary's whole store and client sessions.",
    ),
    ReportDoc::new(
        PROMOTED,
        "A backup learned it is the primary of a newer view.",
    ),
];

/// The value of observable `index` (its place in [`OBSERVABLES`]) on a
/// node; `None` on clients.
pub fn observe(node: &PbNode, index: usize) -> Option<u64> {
    let value = match node {
        PbNode::Client(_) => return None,
        PbNode::ViewService(v) => match index {
            0 | 1 | 4 | 5 => 0,
            2 => 1,
            3 => v.view().num,
            _ => return None,
        },
        PbNode::Replica(r) => match index {
            0 => {
                if r.is_primary() {
                    r.view().num
                } else {
                    0
                }
            }
            1 => {
                if r.is_backup() {
                    r.view().num
                } else {
                    0
                }
            }
            2 => 0,
            3 => r.view().num,
            4 => r.version(),
            5 => r.store().data().len() as u64,
            _ => return None,
        },
    };
    Some(value)
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
                "primary",
                "backup",
                "view_service",
                "view",
                "version",
                "keys"
            ]
        );
    }
}
