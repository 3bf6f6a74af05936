//! What Multi-Paxos publishes for checks over time, role-aimed faults and
//! the lab: the distinguished leader, the ballot each server promised, and
//! how far its log of decided slots reaches (Paxos Made Moderately Complex
//! §3–4).

use super::server::{Role, Server};
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::role(
        "leader",
        "The server leads a ballot (its round; 0 otherwise). A deposed leader cut off from the others still believes it.",
    ),
    Observable::role("follower", "The server follows a leader (1; 0 otherwise)."),
    Observable::number(
        "promised_round",
        "The round of the highest ballot the server promised.",
    ),
    Observable::number(
        "decided_prefix",
        "Every slot up to this one is decided on the server.",
    ),
    Observable::number("applied", "The last slot applied to the server's store."),
];

/// A server won phase 1 and leads its ballot.
pub const LEADER_ELECTED: &str = "leader_elected";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[ReportDoc::new(
    LEADER_ELECTED,
    "A server won phase 1 for its ballot and became the distinguished leader.",
)];

/// The value of observable `index` on a server.
pub fn observe(server: &Server, index: usize) -> Option<u64> {
    let value = match OBSERVABLES.get(index)?.name {
        "leader" => match server.role() {
            Role::Leader { ballot } => ballot.round.max(1),
            _ => 0,
        },
        "follower" => u64::from(matches!(server.role(), Role::Follower)),
        "promised_round" => server.promised().round,
        "decided_prefix" => server.contiguous(),
        "applied" => server.applied(),
        _ => return None,
    };
    Some(value)
}
