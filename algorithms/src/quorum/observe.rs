//! What quorum replication publishes for checks over time and the lab: a
//! digest of each server's store (for convergence checks when every server
//! replicates every key, `n` = servers), its size, the hints it holds, the
//! most siblings of any key; and the events of repair and handoff
//! (DeCandia et al. 2007, §4.4-4.7).

use super::QuorumNode;
use super::version;
use faultline_sim::{Observable, ReportDoc};

/// Observables, in the order [`observe`] reads them.
pub const OBSERVABLES: &[Observable] = &[
    Observable::number(
        "digest",
        "A fingerprint of the server's store (hints left out): equal stores, equal digests. Servers agree on it only when each replicates every key (n = servers).",
    ),
    Observable::number("keys", "Keys in the server's store."),
    Observable::number(
        "hints",
        "Hinted keys the server holds for owners it stood in for (sloppy quorum).",
    ),
    Observable::number(
        "siblings",
        "The most versions of one key the server keeps (above 1: concurrent writes kept as siblings, conflicts = \"vv\").",
    ),
    Observable::number(
        "suspected",
        "Servers this server, as a coordinator, counts silent.",
    ),
];

/// A coordinator sent the merged versions to replicas a read found behind.
pub const READ_REPAIR: &str = "read_repair";
/// A server stored a write as a hint for an owner.
pub const HINT_STORED: &str = "hint_stored";
/// An owner confirmed a handed-off hint; the holder dropped it.
pub const HINT_DELIVERED: &str = "hint_delivered";
/// A read found concurrent siblings.
pub const SIBLINGS: &str = "siblings";
/// Anti-entropy changed a key on a server.
pub const ANTI_ENTROPY_REPAIR: &str = "anti_entropy_repair";

/// Reported events.
pub const REPORTS: &[ReportDoc] = &[
    ReportDoc::new(
        READ_REPAIR,
        "A coordinator sent a read's merged versions to the owners that answered with older ones (§4.7, read repair).",
    ),
    ReportDoc::new(
        HINT_STORED,
        "A server stood in for an unreachable owner and stored a write as a hint (§4.6, sloppy quorum).",
    ),
    ReportDoc::new(
        HINT_DELIVERED,
        "An owner confirmed a handed-off hint and its holder dropped it (§4.6, hinted handoff).",
    ),
    ReportDoc::new(
        SIBLINGS,
        "A read found concurrent versions of a key and merged them (§4.4; conflicts = \"vv\").",
    ),
    ReportDoc::new(
        ANTI_ENTROPY_REPAIR,
        "Anti-entropy brought a key on a server up to date from another replica (§4.7).",
    ),
];

/// The value of observable `index` on a server (`None` on clients).
pub fn observe(node: &QuorumNode, index: usize) -> Option<u64> {
    let QuorumNode::Server(s) = node else {
        return None;
    };
    Some(match index {
        0 => store_digest(s.store()),
        1 => s.store().len() as u64,
        2 => s.hints().len() as u64,
        3 => s.store().values().map(Vec::len).max().unwrap_or(0) as u64,
        4 => s.suspected().count() as u64,
        _ => return None,
    })
}

/// A fingerprint of a whole store: keys and their versions.
pub fn store_digest(store: &std::collections::BTreeMap<String, version::Versions>) -> u64 {
    store
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .fold(0xcbf2_9ce4_8422_2325, |acc, (k, v)| {
            crate::hashing::hash::mix64(acc ^ faultline_sim::hash::stable_hash(k))
                ^ version::digest(v)
        })
}

#[cfg(test)]
mod tests {
    use super::OBSERVABLES;

    #[test]
    fn indexes_follow_the_declaration() {
        let names: Vec<&str> = OBSERVABLES.iter().map(|o| o.name).collect();
        assert_eq!(names, ["digest", "keys", "hints", "siblings", "suspected"]);
    }
}
