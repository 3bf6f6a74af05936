//! What Raft publishes for checks over time, role-aimed faults and the
//! lab's inspector: a server's role, term and indexes (Figure 2's state),
//! and the events a course wants a scenario to exercise.

use super::node::{Role, Server};
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::role(
        "leader",
        "The server believes it leads (its term; 0 otherwise). A deposed leader cut off from the others still believes it.",
    ),
    Observable::role("follower", "The server is a follower (1; 0 otherwise)."),
    Observable::number("term", "The server's current term (§5.1)."),
    Observable::number(
        "commit_index",
        "The highest log index the server knows committed (§5.3).",
    ),
    Observable::number(
        "last_index",
        "The index of the last entry of the server's log.",
    ),
];

/// A server became leader of its term (§5.2).
pub const LEADER_ELECTED: &str = "leader_elected";
/// A follower replaced its state with a snapshot sent by the leader (§7).
pub const SNAPSHOT_INSTALLED: &str = "snapshot_installed";
/// A server compacted its log into a snapshot (§7).
pub const SNAPSHOT_TAKEN: &str = "snapshot_taken";
/// A follower deleted conflicting entries of its log to take the leader's
/// (§5.3): the tail of a deposed leader was overwritten.
pub const ENTRIES_OVERWRITTEN: &str = "entries_overwritten";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[
    ReportDoc::new(LEADER_ELECTED, "A server became leader of its term (§5.2)."),
    ReportDoc::new(
        SNAPSHOT_INSTALLED,
        "A follower installed a snapshot sent by the leader (§7).",
    ),
    ReportDoc::new(
        SNAPSHOT_TAKEN,
        "A server compacted its log into a snapshot (§7).",
    ),
    ReportDoc::new(
        ENTRIES_OVERWRITTEN,
        "A server deleted conflicting log entries to take the leader's (§5.3).",
    ),
];

/// The value of observable `index` (its place in [`OBSERVABLES`]) on a
/// server. Checks over time call this after every event, so it matches on
/// the index rather than the name.
pub fn observe(server: &Server, index: usize) -> Option<u64> {
    let value = match index {
        0 => match server.role() {
            Role::Leader => server.current_term(),
            _ => 0,
        },
        1 => u64::from(server.role() == Role::Follower),
        2 => server.current_term(),
        3 => server.commit_index(),
        4 => server.log().last_index(),
        _ => return None,
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
            ["leader", "follower", "term", "commit_index", "last_index"]
        );
    }
}
