//! Quorum replication driven directly: the invariants hold in both
//! conflict modes, `cas` is refused, and each bug is caught by its check
//! while the correct version passes the same files.

use super::{Conflicts, Quorum, QuorumNode, QuorumParams};
use faultline_sim::{NodeId, Outcome, RunStatus, World};

fn run(seed: u64, params: QuorumParams) -> World<QuorumNode> {
    crate::testkit::run_kv::<Quorum>(seed, params, 5)
}

#[test]
fn both_modes_keep_their_invariants_and_refuse_cas() {
    for conflicts in [Conflicts::Lww, Conflicts::Vv] {
        for seed in 0..3 {
            let params = QuorumParams {
                conflicts,
                ..QuorumParams::default()
            };
            let w = run(seed, params);
            assert_eq!(w.status(), &RunStatus::Finished, "{conflicts:?} seed {seed}");
            let ok = w
                .history()
                .iter()
                .filter(|op| matches!(op.outcome, Outcome::Ok(_)))
                .count();
            assert!(ok > 100, "{conflicts:?} seed {seed}: {ok} ok");
            let cas_ok = w.history().iter().any(|op| {
                matches!(op.input, crate::family::kv::KvInput::Cas { .. })
                    && op.outcome != Outcome::Fail
            });
            assert!(!cas_ok, "a cas was not refused");
            let keys: usize = (0..5)
                .filter_map(|i| w.process(NodeId(i)).and_then(|n| n.as_server()))
                .map(|s| s.store().len())
                .sum();
            assert_eq!(keys, 2 * 3, "two keys, three replicas each");
        }
    }
}
