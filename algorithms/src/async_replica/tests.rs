//! Asynchronous read replicas driven directly and through their shipped
//! scenarios: replicas follow the primary's log; asynchronous replication
//! loses acknowledged writes on failover and semi-synchronous does not;
//! sessions keep read-your-writes; each bug is caught by its check and the
//! correct version passes the same files.

use super::*;
use crate::algorithm::Settings;
use crate::testkit::{assert_bugs_caught, scenario};
use faultline_sim::{RunStatus, World};

fn run(seed: u64, params: AsyncParams) -> World<AsyncNode> {
    crate::testkit::run_kv::<AsyncReplica>(seed, params, 4)
}

fn servers(w: &World<AsyncNode>) -> Vec<&Server> {
    (1..5)
        .filter_map(|i| w.process(NodeId(i)).and_then(|n| n.as_server()))
        .collect()
}

#[test]
fn replicas_hold_prefixes_of_the_primary_log() {
    for seed in 0..3 {
        let w = run(seed, AsyncParams::default());
        assert_eq!(w.status(), &RunStatus::Finished, "seed {seed}");
        let servers = servers(&w);
        let primary = servers[0];
        assert!(primary.is_primary() && primary.epoch() == 1);
        assert!(primary.applied() > 100, "{} entries", primary.applied());
        for r in &servers[1..] {
            assert!(!r.is_primary());
            assert!(r.applied() <= primary.applied());
            assert!(primary.holds(r.last()), "{} at {}", r.id(), r.last());
            // A replica trails by about one shipment, no more.
            assert!(primary.applied() - r.applied() < 20);
        }
    }
}

#[test]
fn the_fence_quorum_intersects_every_acknowledging_set() {
    let q = |k| {
        AsyncParams {
            sync_replicas: k,
            ..AsyncParams::default()
        }
        .fence_quorum(5)
    };
    // Four data servers: a write acknowledged by k replicas is on k + 1.
    assert_eq!(q(0), 1);
    assert_eq!(q(1), 3);
    assert_eq!(q(2), 2);
    assert_eq!(q(3), 1);
    for k in 1..=3u32 {
        assert!(q(k) + (k as usize + 1) > 4, "k = {k}");
    }
}

/// The lesson's central claim: the same primary crash loses acknowledged
/// writes when replication is asynchronous and none when one replica must
/// acknowledge first.
#[test]
fn async_loses_writes_on_failover_and_semi_sync_does_not() {
    let lossy = scenario("async-replica", "primary-crash-async.toml");
    let lost = (0..5)
        .filter(|&seed| lossy.run_seed(seed).unwrap().outcome() == "durability")
        .count();
    assert!(lost >= 4, "only {lost} of 5 seeds lost writes");
    let safe = scenario("async-replica", "primary-crash-semisync.toml");
    for seed in 0..5 {
        let report = safe.run_seed(seed).unwrap();
        assert!(
            report.matches(&safe.expect),
            "seed {seed}: {:?}",
            report.failure
        );
        let weak = report.weak.expect("durability is checked");
        assert!(weak.durability.judged > 50);
        assert!(weak.durability.lost.is_empty());
    }
}

#[test]
fn replica_reads_are_stale_and_sessions_keep_read_your_writes() {
    let stale = scenario("async-replica", "stale-reads.toml");
    let report = stale.run_seed(0).unwrap();
    assert_eq!(report.outcome(), "stale_reads");
    let sessions = scenario("async-replica", "sessions.toml");
    for seed in 0..3 {
        let report = sessions.run_seed(seed).unwrap();
        assert!(
            report.matches(&sessions.expect),
            "seed {seed}: {:?}",
            report.failure
        );
    }
}

#[test]
fn split_brain_heals_and_replicas_converge() {
    let s = scenario("async-replica", "partition.toml");
    for seed in 0..3 {
        let report = s.run_seed(seed).unwrap();
        assert!(
            report.matches(&s.expect),
            "seed {seed}: {:?}",
            report.failure
        );
    }
}

#[test]
fn the_nemesis_sweep_passes() {
    let s = scenario("async-replica", "nemesis.toml");
    for seed in 0..4 {
        let report = s.run_seed(seed).unwrap();
        assert!(
            report.matches(&s.expect),
            "seed {seed}: {:?}",
            report.failure
        );
    }
}

#[test]
fn every_bug_is_caught_by_its_check_and_the_fix_passes() {
    assert_bugs_caught::<AsyncBug>(
        "async-replica",
        &[
            ("bug-ignore-session-token.toml", "sessions", 3),
            ("bug-promote-stale-replica.toml", "durability", 3),
            ("bug-keep-divergent-suffix.toml", "log_matching", 3),
        ],
    );
}

#[test]
fn bad_parameters_are_located() {
    let config = faultline_sim::WorldConfig {
        servers: 4,
        ..faultline_sim::WorldConfig::default()
    };
    let doc = "[params]\nsync_replicas = 3\n";
    let err = crate::algorithm::parse_settings::<AsyncParams>(doc, &config).unwrap_err();
    assert!(err.message.contains("only 2 replicas"), "{}", err.message);
    assert_eq!(&doc[err.span.unwrap()], "sync_replicas = 3");
    let doc = "[params]\nbug = \"ignore_session_token\"\n";
    let err = crate::algorithm::parse_settings::<AsyncParams>(doc, &config).unwrap_err();
    assert!(err.message.contains("sessions = true"), "{}", err.message);
    let doc = "[params]\nheartbeat_interval = \"1s\"\n";
    let err = crate::algorithm::parse_settings::<AsyncParams>(doc, &config).unwrap_err();
    assert!(err.message.contains("failover_timeout"), "{}", err.message);
    assert!(AsyncParams::default().validate("", &config).is_ok());
}
