//! The gossip promises hold under faults, and each planted bug is caught by
//! the invariant meant for it.

use super::*;
use crate::algorithm::AnyAlgorithm;
use crate::family::{KvWorkload, OpMix};
use faultline_sim::rng::SimRng;
use faultline_sim::{
    Fault, LinkConfig, NodeId, RunStatus, ScheduledFault, SimTime, WorkloadConfig,
};

const SERVERS: u32 = 4;

fn ms(n: u64) -> SimTime {
    SimTime::from_duration(Duration::from_millis(n))
}

/// Random crashes (each followed by a restart) and partitions in the first
/// 1.5 s, healed by 2 s; the run ends at 3 s so gossip can settle.
fn random_faults(seed: u64) -> Vec<ScheduledFault> {
    let mut rng = SimRng::stream(seed, "test-faults", 0);
    let mut faults = Vec::new();
    for _ in 0..6 {
        let at = rng.between(50, 1_500);
        let node = NodeId(rng.below(SERVERS as u64) as u32);
        let fault = if rng.chance(0.5) {
            Fault::Crash { node }
        } else {
            Fault::Isolate { node }
        };
        faults.push(ScheduledFault {
            at: ms(at),
            after_event: None,
            fault,
        });
        let back = if rng.chance(0.5) {
            Fault::Restart { node }
        } else {
            Fault::Heal
        };
        faults.push(ScheduledFault {
            at: ms(at + rng.between(5, 300)),
            after_event: None,
            fault: back,
        });
    }
    faults.push(ScheduledFault {
        at: ms(2_000),
        after_event: None,
        fault: Fault::Heal,
    });
    for n in 0..SERVERS {
        faults.push(ScheduledFault {
            at: ms(2_000),
            after_event: None,
            fault: Fault::Restart { node: NodeId(n) },
        });
    }
    faults
}

fn run(seed: u64, bug: Option<GossipBug>, loss: f64) -> RunStatus {
    let config = WorldConfig {
        seed,
        servers: SERVERS,
        clients: 2,
        end: ms(3_000),
        link: LinkConfig {
            loss,
            ..LinkConfig::default()
        },
        workload: WorkloadConfig {
            max_ops_per_client: Some(60),
            ..WorkloadConfig::default()
        },
        faults: random_faults(seed),
        ..WorldConfig::default()
    };
    let params = GossipParams {
        bug,
        ..GossipParams::default()
    };
    let settle = params.settle_time();
    let adds_only = KvWorkload {
        mix: OpMix {
            get: 0,
            put: 1,
            append: 0,
            cas: 0,
        },
        ..KvWorkload::default()
    };
    let mut world = world(config, params, invariants::boxed(settle)).with_workload(adds_only);
    world.run().clone()
}

fn first_failure(bug: Option<GossipBug>, loss: f64, seeds: u64) -> Option<(u64, String)> {
    (0..seeds).find_map(|seed| match run(seed, bug, loss) {
        RunStatus::Violated(v) => Some((seed, v.invariant)),
        _ => None,
    })
}

#[test]
fn correct_gossip_keeps_both_promises_under_crashes_partitions_and_loss() {
    for seed in 0..20 {
        assert_eq!(run(seed, None, 0.2), RunStatus::Finished, "seed {seed}");
    }
}

#[test]
fn volatile_store_is_caught_by_acked_values_survive() {
    let (seed, invariant) =
        first_failure(Some(GossipBug::VolatileStore), 0.0, 20).expect("caught within 20 seeds");
    assert_eq!(invariant, "acked_values_survive", "seed {seed}");
}

#[test]
fn gossip_once_is_caught_by_convergence() {
    let (seed, invariant) =
        first_failure(Some(GossipBug::GossipOnce), 0.2, 20).expect("caught within 20 seeds");
    assert_eq!(invariant, "convergence", "seed {seed}");
}

#[test]
fn params_are_validated_with_their_location() {
    let doc = "[params]\nfanout = 9\n";
    let err = Gossip
        .build(
            doc,
            WorldConfig {
                servers: 3,
                ..WorldConfig::default()
            },
            None,
        )
        .err()
        .unwrap();
    assert!(err.message.contains("fanout is 9"), "{}", err.message);
    assert_eq!(&doc[err.span.unwrap()], "fanout = 9");
    let err = Gossip
        .build("[params]\nbug = \"typo\"\n", WorldConfig::default(), None)
        .err()
        .unwrap();
    assert!(
        err.message.contains("unknown variant `typo`"),
        "{}",
        err.message
    );
    let wanted = vec!["no_such".to_string()];
    let err = Gossip
        .build("", WorldConfig::default(), Some(&wanted))
        .err()
        .unwrap();
    assert!(
        err.message.contains("acked_values_survive, convergence"),
        "{}",
        err.message
    );
}

/// `acked_values_survive` remembers how far the history is settled, and
/// its `memory()` changes as writes reach a disk; `convergence`, judged at
/// the end only, remembers nothing.
#[test]
fn invariant_memory_changes_as_it_learns() {
    let (_, memories) = crate::testkit::run_kv_probed::<Gossip>(1, GossipParams::default(), 3);
    crate::testkit::assert_memory_learns(&memories, &["acked_values_survive"]);
    assert_eq!(memories.lock().unwrap()["convergence"], vec![0]);
}
