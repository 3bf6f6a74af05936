//! The sharded store keeps its promises through joins, leaves, crashes and
//! message loss, and each planted bug (and R = 1) is caught by the check
//! meant for it within a stated number of seeds.

use super::*;
use crate::algorithm::AnyAlgorithm;
use crate::family::{KvWorkload, OpMix};
use faultline_checker::models::KvModel;
use faultline_checker::{Budget, check};
use faultline_sim::{
    Fault, LinkConfig, NodeId, RunStatus, ScheduledFault, SimTime, WorkloadConfig,
};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at(n: u64, fault: Fault) -> ScheduledFault {
    ScheduledFault {
        at: SimTime::from_duration(ms(n)),
        after_event: None,
        fault,
    }
}

fn change(node: u32, at_ms: u64) -> MembershipChange {
    MembershipChange {
        node,
        at: ms(at_ms),
    }
}

/// One experiment: parameters, cluster, faults, loss.
struct Setup {
    params: ShardedKvParams,
    servers: u32,
    clients: u32,
    keys: u32,
    faults: Vec<ScheduledFault>,
    loss: f64,
    end_ms: u64,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            params: ShardedKvParams::default(),
            servers: 5,
            clients: 3,
            keys: 12,
            faults: Vec::new(),
            loss: 0.0,
            end_ms: 4_000,
        }
    }
}

impl Setup {
    fn world(&self, seed: u64) -> World<KvNode> {
        let config = WorldConfig {
            seed,
            servers: self.servers,
            clients: self.clients,
            end: SimTime::from_duration(ms(self.end_ms)),
            link: LinkConfig {
                loss: self.loss,
                ..LinkConfig::default()
            },
            workload: WorkloadConfig {
                think_time: ms(10),
                ..WorkloadConfig::default()
            },
            faults: self.faults.clone(),
            ..WorldConfig::default()
        };
        let shared = shared("", self.params.clone(), self.servers).expect("valid params");
        let workload = KvWorkload {
            keys: self.keys,
            mix: OpMix {
                get: 4,
                put: 3,
                append: 2,
                cas: 1,
            },
            ..KvWorkload::default()
        };
        world(config, shared.clone(), invariants::boxed(shared)).with_workload(workload)
    }

    /// The run's outcome: an invariant violation, else `linearizability`
    /// when `linearizable` is asked for and the history is not, else pass.
    fn outcome(&self, seed: u64, linearizable: bool) -> String {
        let mut world = self.world(seed);
        match world.run().clone() {
            RunStatus::Violated(v) => v.invariant,
            RunStatus::Running => unreachable!("run() runs to the end"),
            RunStatus::Finished => {
                if linearizable {
                    let result = check(&KvModel, world.history(), Budget::steps(2_000_000));
                    if !result.is_linearizable() {
                        return "linearizability".into();
                    }
                }
                assert!(
                    world.stats().ops_ok > 50,
                    "seed {seed}: too little progress {:?}",
                    world.stats()
                );
                "pass".into()
            }
        }
    }

    fn first_failure(&self, seeds: u64, linearizable: bool) -> Option<(u64, String)> {
        (0..seeds).find_map(|seed| {
            let outcome = self.outcome(seed, linearizable);
            (outcome != "pass").then_some((seed, outcome))
        })
    }
}

/// Scale out from 3 to 6 servers, then one leaves; no crashes, no loss.
fn scale_out() -> Setup {
    Setup {
        servers: 6,
        params: ShardedKvParams {
            initial_nodes: Some(3),
            joins: vec![change(3, 800), change(4, 1_300), change(5, 1_800)],
            leaves: vec![change(1, 2_300)],
            ..ShardedKvParams::default()
        },
        ..Setup::default()
    }
}

#[test]
fn scale_out_and_leave_keep_every_promise_and_each_key_linearizable() {
    let setup = scale_out();
    for seed in 0..8 {
        assert_eq!(setup.outcome(seed, true), "pass", "seed {seed}");
    }
}

#[test]
fn rebalancing_moves_data_to_the_new_nodes_and_off_the_leaver() {
    let mut world = scale_out().world(3);
    assert_eq!(world.run(), &RunStatus::Finished);
    let leaver = world
        .process(NodeId(1))
        .and_then(KvNode::as_server)
        .unwrap();
    assert!(
        leaver.store.is_empty(),
        "n1 left but holds {:?}",
        leaver.store.keys()
    );
    assert_eq!(leaver.version, 4);
    for n in 3..6 {
        let s = world
            .process(NodeId(n))
            .and_then(KvNode::as_server)
            .unwrap();
        assert!(
            s.keys_received > 0 && !s.store.is_empty(),
            "n{n} received nothing"
        );
    }
}

#[test]
fn runs_are_deterministic() {
    let setup = scale_out();
    let fingerprint = |seed| {
        let mut w = setup.world(seed);
        w.run();
        w.fingerprint()
    };
    assert_eq!(fingerprint(5), fingerprint(5));
    assert_ne!(fingerprint(5), fingerprint(6));
}

/// Crash one machine (losing its disk) under 5% message loss, restart it
/// empty; also a join while it is down.
fn crash_one(replicas: u32, write_quorum: u32) -> Setup {
    Setup {
        loss: 0.05,
        params: ShardedKvParams {
            replicas,
            write_quorum,
            ..ShardedKvParams::default()
        },
        faults: vec![
            at(1_000, Fault::Crash { node: NodeId(2) }),
            at(2_000, Fault::Restart { node: NodeId(2) }),
        ],
        ..Setup::default()
    }
}

#[test]
fn with_three_replicas_a_lost_machine_loses_no_acknowledged_write() {
    let setup = crash_one(3, 2);
    for seed in 0..8 {
        assert_eq!(setup.outcome(seed, false), "pass", "seed {seed}");
    }
}

#[test]
fn with_one_replica_a_lost_machine_loses_acknowledged_writes() {
    let (seed, outcome) = crash_one(1, 1)
        .first_failure(3, false)
        .expect("caught within 3 seeds");
    assert_eq!(outcome, "acked_writes_survive", "seed {seed}");
}

#[test]
fn stale_ring_leaves_keys_off_their_preference_list_and_breaks_linearizability() {
    let mut setup = scale_out();
    setup.params.bug = Some(KvBug::StaleRing);
    let (seed, outcome) = setup
        .first_failure(3, false)
        .expect("caught within 3 seeds");
    assert_eq!(outcome, "keys_on_preference_list", "seed {seed}");
    // The same run's history shows the clients' view of the damage.
    let mut world = setup.world(seed);
    world.run();
    let result = check(&KvModel, world.history(), Budget::steps(2_000_000));
    assert!(
        !result.is_linearizable(),
        "seed {seed}: {:?}",
        result.verdict
    );
}

/// Joins and a leave under 20% message loss.
fn lossy_rebalance() -> Setup {
    Setup {
        loss: 0.2,
        end_ms: 6_000,
        ..scale_out()
    }
}

/// The same with one replica per key, where a handoff is the only copy.
fn lossy_rebalance_one_replica() -> Setup {
    let mut setup = lossy_rebalance();
    setup.params.replicas = 1;
    setup.params.write_quorum = 1;
    setup
}

#[test]
fn rebalancing_under_heavy_loss_loses_nothing() {
    for setup in [lossy_rebalance(), lossy_rebalance_one_replica()] {
        for seed in 0..8 {
            assert_eq!(setup.outcome(seed, false), "pass", "seed {seed}");
        }
    }
}

#[test]
fn delete_before_confirm_is_caught_by_acked_writes_survive() {
    // With R = 3 the other old replicas usually still hold a key; with one
    // replica the handoff is the only copy.
    let mut setup = lossy_rebalance_one_replica();
    setup.params.bug = Some(KvBug::DeleteBeforeConfirm);
    let (seed, outcome) = setup
        .first_failure(8, false)
        .expect("caught within 8 seeds");
    assert_eq!(outcome, "acked_writes_survive", "seed {seed}");
}

#[test]
fn modulo_placement_breaks_the_movement_budget_and_the_ring_keeps_it() {
    let mut setup = Setup {
        keys: 200,
        params: ShardedKvParams {
            initial_nodes: Some(4),
            joins: vec![change(4, 1_000)],
            movement_budget: Some(0.4),
            ..ShardedKvParams::default()
        },
        ..Setup::default()
    };
    assert_eq!(setup.outcome(1, false), "pass");
    setup.params.placement = PlacementKind::Modulo;
    assert_eq!(setup.outcome(1, false), "movement_budget");
}

#[test]
fn params_are_validated_with_their_location() {
    let config = WorldConfig {
        servers: 3,
        ..WorldConfig::default()
    };
    let doc = "[params]\nreplicas = 2\nwrite_quorum = 3\n";
    let err = ShardedKv.build(doc, config.clone(), None).err().unwrap();
    assert!(err.message.contains("write_quorum is 3"), "{}", err.message);
    assert_eq!(&doc[err.span.unwrap()], "write_quorum = 3");
    let doc = "[params]\njoins = [{ node = 1, at = \"1s\" }]\n";
    let err = ShardedKv.build(doc, config.clone(), None).err().unwrap();
    assert!(err.message.contains("already a member"), "{}", err.message);
    let doc = "[params]\nplacement = \"maglev\"\n";
    let err = ShardedKv.build(doc, config, None).err().unwrap();
    assert!(
        err.message.contains("unknown variant `maglev`"),
        "{}",
        err.message
    );
}

/// A wider sweep of the correct configurations, including a crash during
/// rebalancing under loss (`cargo test -p faultline-algorithms hashing --
/// --ignored`; about a minute in debug builds).
#[test]
#[ignore]
fn wide_sweep_of_correct_configurations() {
    let mut crash_during_join = lossy_rebalance();
    crash_during_join.loss = 0.05;
    crash_during_join.faults = vec![
        at(1_200, Fault::Crash { node: NodeId(0) }),
        at(2_500, Fault::Restart { node: NodeId(0) }),
    ];
    let setups = [
        ("scale_out", scale_out(), true),
        ("lossy", lossy_rebalance(), false),
        ("lossy_r1", lossy_rebalance_one_replica(), false),
        ("crash_one", crash_one(3, 2), false),
        ("crash_during_join", crash_during_join, false),
    ];
    for (name, setup, linearizable) in setups {
        for seed in 0..50 {
            assert_eq!(
                setup.outcome(seed, linearizable),
                "pass",
                "{name} seed {seed}"
            );
        }
    }
}

/// `acked_writes_survive` remembers every acknowledged stamp, and its
/// `memory()` changes as clients are acknowledged; the end-state checks
/// remember nothing.
#[test]
fn invariant_memory_changes_as_it_learns() {
    let (_, memories) =
        crate::testkit::run_kv_probed::<ShardedKv>(1, ShardedKvParams::default(), 3);
    crate::testkit::assert_memory_learns(&memories, &["acked_writes_survive"]);
    let log = memories.lock().unwrap();
    assert_eq!(log["keys_on_preference_list"], vec![0]);
    assert_eq!(log["movement_budget"], vec![0]);
}
