//! What single-decree Paxos publishes for checks over time and the lab:
//! whether a server has learned the decision, the ballot it promised.

use super::node::Server;
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::number(
        "decided",
        "1 once the server has learned the decided value (Paxos Made Simple §2.3), 0 before.",
    ),
    Observable::number(
        "promised_round",
        "The round of the highest ballot the acceptor promised (§2.2).",
    ),
];

/// A server learned the decided value.
pub const VALUE_LEARNED: &str = "value_learned";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[ReportDoc::new(
    VALUE_LEARNED,
    "A server learned the decided value from a quorum of acceptances (§2.3).",
)];

/// The value of observable `index` on a server.
pub fn observe(server: &Server, index: usize) -> Option<u64> {
    match OBSERVABLES.get(index)?.name {
        "decided" => Some(u64::from(server.decided().is_some())),
        "promised_round" => Some(server.promised().round),
        _ => None,
    }
}
