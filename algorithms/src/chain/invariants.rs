//! The safety of chain replication between neighbours, judged from the
//! state of every pair of adjacent servers that hold the same
//! configuration (van Renesse & Schneider §3, the Update Propagation
//! Invariant and the Inprocess Requests Invariant).
//!
//! Write `Hist_i` for the updates server `i` has applied, in order, and
//! `Sent_i` for those it sent on and has not seen acknowledged. For a
//! server `i` and its successor `j`:
//!
//! - `update_propagation`: `Hist_j` is a prefix of `Hist_i`. Checked as:
//!   `j` has applied no more than `i`, and when `i` still knows its
//!   store's digest at `j`'s last update, the two digests are equal.
//! - `inprocess_requests`: `Hist_i` is `Hist_j` followed by part of
//!   `Sent_i` (the paper has equality once messages are delivered; in
//!   flight, `j` may also hold some of `Sent_i`). Checked as: every update
//!   `i` applied before its Sent list is at `j`.
//!
//! Servers restarting, joining or outside the chain hold no history the
//! chain relies on, and are skipped; so are pairs holding different
//! configurations (the next configuration's messages are still on their
//! way).

use super::ChainNode;
use super::server::Server;
use faultline_sim::{Invariant, NodeId, WorldRef, invariant_fn};

/// Names and descriptions, in checking order.
pub const INVARIANTS: [(&str, &str); 2] = [
    (
        "update_propagation",
        "Each server's applied updates are a prefix of its predecessor's (van Renesse & Schneider §3, Update Propagation Invariant).",
    ),
    (
        "inprocess_requests",
        "Every update a server applied before the first one in its Sent list is at its successor: its history is the successor's plus part of Sent (§3, Inprocess Requests Invariant).",
    ),
];

/// Every invariant, in [`INVARIANTS`] order.
pub fn boxed() -> Vec<Box<dyn Invariant<ChainNode>>> {
    vec![
        invariant_fn(INVARIANTS[0].0, INVARIANTS[0].1, update_propagation),
        invariant_fn(INVARIANTS[1].0, INVARIANTS[1].1, inprocess_requests),
    ]
}

/// Each ready chain server paired with its ready predecessor of the same
/// configuration: (predecessor, successor).
fn pairs<'a>(world: &WorldRef<'a, ChainNode>) -> Vec<(&'a Server, &'a Server)> {
    let mut ready: Vec<Option<&'a Server>> = Vec::new();
    for (id, node) in world.live_servers() {
        if let ChainNode::Server(s) = node
            && s.is_ready()
        {
            if ready.len() <= id.index() {
                ready.resize(id.index() + 1, None);
            }
            ready[id.index()] = Some(s);
        }
    }
    let get = |id: NodeId| ready.get(id.index()).copied().flatten();
    let mut out = Vec::new();
    for s in ready.iter().flatten() {
        let Some(pred) = s.config().pred(s.id()).and_then(get) else {
            continue;
        };
        if pred.config().version == s.config().version {
            out.push((pred, *s));
        }
    }
    out
}

fn update_propagation(world: &WorldRef<'_, ChainNode>) -> Result<(), String> {
    for (p, s) in pairs(world) {
        if s.applied() > p.applied() {
            return Err(format!(
                "{} applied update {}, but its predecessor {} only up to {}",
                s.id(),
                s.applied(),
                p.id(),
                p.applied()
            ));
        }
        if let Some(expected) = p.digest_at(s.applied())
            && expected != s.state().store.digest()
        {
            return Err(format!(
                "{} and its predecessor {} differ after update {}: {}'s history is not a prefix of {}'s",
                s.id(),
                p.id(),
                s.applied(),
                s.id(),
                p.id()
            ));
        }
    }
    Ok(())
}

fn inprocess_requests(world: &WorldRef<'_, ChainNode>) -> Result<(), String> {
    for (p, s) in pairs(world) {
        if s.applied() < p.floor() {
            return Err(format!(
                "{} applied up to update {} and holds only later ones in its Sent list, but its successor {} has only up to {}: updates {}..={} are lost between them",
                p.id(),
                p.applied(),
                s.id(),
                s.applied(),
                s.applied() + 1,
                p.floor()
            ));
        }
    }
    Ok(())
}
