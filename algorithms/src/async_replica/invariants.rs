//! The safety of the replicated log, judged on the live data servers.
//!
//! `log_matching`: two logs that hold an entry of the same epoch at the
//! same index hold the same entries up to it (the Log Matching property
//! of Raft, Ongaro & Ousterhout 2014 §5.3, which the shipping protocol
//! here keeps the same way: a replica takes entries only after the one it
//! already shares with the primary). Each server hashes its own log as it
//! grows (`Entry::chain`), so the check compares, for every pair of live
//! data servers, the entry at the shorter log's end: same epoch there,
//! same hash. A session token (a log position) names a whole prefix only
//! because of this property.

use super::AsyncNode;
use faultline_sim::{Invariant, WorldRef, invariant_fn};

/// Names and descriptions, in checking order.
pub const INVARIANTS: [(&str, &str); 1] = [(
    "log_matching",
    "Two data servers' logs that hold an entry of the same epoch at the same index agree on every entry up to it (Raft §5.3's Log Matching).",
)];

/// Every invariant, in [`INVARIANTS`] order.
pub fn boxed() -> Vec<Box<dyn Invariant<AsyncNode>>> {
    vec![invariant_fn(INVARIANTS[0].0, INVARIANTS[0].1, log_matching)]
}

fn log_matching(world: &WorldRef<'_, AsyncNode>) -> Result<(), String> {
    let servers: Vec<_> = world
        .live_servers()
        .filter_map(|(_, n)| n.as_server())
        .collect();
    for (i, a) in servers.iter().enumerate() {
        for b in &servers[i + 1..] {
            let at = a.log().len().min(b.log().len());
            if at == 0 {
                continue;
            }
            let (ea, eb) = (&a.log()[at - 1], &b.log()[at - 1]);
            if ea.epoch == eb.epoch && ea.chain != eb.chain {
                return Err(format!(
                    "{} and {} both hold an entry of epoch {} at index {at}, but their logs up to it differ",
                    a.id(),
                    b.id(),
                    ea.epoch
                ));
            }
        }
    }
    Ok(())
}
