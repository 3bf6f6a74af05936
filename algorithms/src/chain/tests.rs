//! Chain replication driven directly: writes flow down the chain, every
//! server holds the same store, the history is linearizable; each bug is
//! caught by its check and the correct version passes the same files.

use super::*;
use crate::algorithm::world;
use crate::family::{KvWorkload, OpMix};
use faultline_sim::{RunStatus, SimHandle, SimTime, World, WorldConfig};
use std::time::Duration;

fn run(seed: u64, params: ChainParams) -> World<ChainNode> {
    let cfg = WorldConfig {
        seed,
        servers: 5,
        clients: 3,
        end: SimTime::from_duration(Duration::from_secs(5)),
        ..WorldConfig::default()
    };
    let shared = Chain::prepare(params, "", &cfg).unwrap();
    let invariants = Chain::invariants(&shared);
    let workload = KvWorkload {
        keys: 2,
        mix: OpMix {
            get: 3,
            put: 1,
            append: 2,
            cas: 1,
        },
        ..KvWorkload::default()
    };
    let mut w = world::<Chain>(cfg, shared, invariants)
        .unwrap()
        .with_workload(workload);
    w.run();
    w
}

fn servers(w: &World<ChainNode>) -> Vec<&Server> {
    (1..5)
        .filter_map(|i| w.process(NodeId(i)).and_then(|n| n.as_server()))
        .collect()
}

#[test]
fn writes_reach_every_server_and_the_history_is_linearizable() {
    for reads in [ReadMode::Tail, ReadMode::Craq] {
        for seed in 0..3 {
            let params = ChainParams {
                reads,
                ..ChainParams::default()
            };
            let w = run(seed, params);
            assert_eq!(w.status(), &RunStatus::Finished, "seed {seed}");
            let servers = servers(&w);
            assert_eq!(servers.len(), 4);
            assert!(servers[0].is_head() && servers[3].is_tail());
            let applied = servers.iter().map(|s| s.committed()).min().unwrap();
            assert!(applied > 100, "seed {seed}: {applied} updates committed");
            let handle: &dyn SimHandle = &w;
            let result = handle.check_history(faultline_checker::Budget::unlimited());
            assert_eq!(
                result.verdict,
                faultline_checker::Verdict::Linearizable,
                "{reads:?} seed {seed}"
            );
        }
    }
}
