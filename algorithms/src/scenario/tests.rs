//! Scenario parsing, schedules and replay files, without the CLI.

use super::replay::replay_text;
use super::*;
use faultline_sim::{Fault, LatencyDist, LinkChange, NodeId};

const EVERY_FAULT: &str = r#"
name = "every fault"
algorithm = "gossip"
servers = 3
duration = "10s"
seed = 5

[clients]
count = 1
rate = "10/s"
mix = { put = 1 }

[[faults]]
at = "1s"
kind = "partition"
groups = [["n0"], [1, 2]]

[[faults]]
at = "1.5s"
kind = "partition_one_way"
from = 0
to = [1, 2]

[[faults]]
at = "2s"
kind = "isolate"
node = 2

[[faults]]
at = "2.5s"
kind = "heal"

[[faults]]
at = "3s"
kind = "crash"
node = 1

[[faults]]
at = "3.5s"
kind = "restart"
node = 1

[[faults]]
at = "4s"
kind = "clock_offset"
node = 0
offset = "-50ms"

[[faults]]
at = "4s"
kind = "clock_drift"
node = 0
ppm = -200

[[faults]]
at = "4.5s"
kind = "clock_step"
node = 2
delta = "1s"

[[faults]]
at = "5s"
kind = "link"
to = 1
latency = "20ms"
loss = 0.5

[[faults]]
at = "5s"
after_event = 900
kind = "drop_message"
message = 3

[nemesis]
kinds = ["crash", "clock_step"]
start = "6s"
stop = "9s"
"#;

#[test]
fn every_fault_kind_parses_to_its_kernel_fault() {
    let s = Scenario::parse("every.toml", EVERY_FAULT).unwrap();
    let faults: Vec<&Fault> = s.faults.iter().map(|f| &f.fault).collect();
    let n = NodeId;
    assert_eq!(
        faults,
        vec![
            &Fault::Partition {
                groups: vec![vec![n(0)], vec![n(1), n(2)]]
            },
            &Fault::PartitionOneWay {
                from: vec![n(0)],
                to: vec![n(1), n(2)]
            },
            &Fault::Isolate { node: n(2) },
            &Fault::Heal,
            &Fault::Crash { node: n(1) },
            &Fault::Restart { node: n(1) },
            &Fault::ClockOffset {
                node: n(0),
                offset: -50_000_000
            },
            &Fault::ClockDrift {
                node: n(0),
                ppm: -200
            },
            &Fault::ClockStep {
                node: n(2),
                delta: 1_000_000_000
            },
            &Fault::Link {
                from: None,
                to: Some(n(1)),
                change: LinkChange {
                    latency: Some(LatencyDist::Constant {
                        value: Duration::from_millis(20)
                    }),
                    loss: Some(0.5),
                    ..LinkChange::default()
                },
            },
            &Fault::DropMessage { message: 3 },
        ]
    );
    assert_eq!(s.faults[10].after_event, Some(900));
    assert_eq!(s.workload.think_time, Duration::from_millis(100));
}

#[test]
fn the_schedule_merges_file_and_nemesis_faults_in_time_order() {
    let s = Scenario::parse("every.toml", EVERY_FAULT).unwrap();
    let a = s.fault_schedule(5);
    assert_eq!(a, s.fault_schedule(5));
    assert!(a.len() > s.faults.len(), "the nemesis added faults");
    assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
    let nemesis: Vec<_> = a
        .iter()
        .filter(|f| f.at >= SimTime::from_duration(Duration::from_secs(6)))
        .collect();
    assert!(
        nemesis
            .iter()
            .all(|f| f.at <= SimTime::from_duration(Duration::from_secs(9)))
    );
}

#[test]
fn a_replay_file_round_trips_the_applied_schedule() {
    let s = Scenario::parse("every.toml", EVERY_FAULT).unwrap();
    let report = s.run_seed(77).unwrap();
    let text = replay_text(&s, &report).unwrap();
    let replay = Scenario::parse("replay.toml", &text).unwrap();
    assert_eq!(replay.seed, 77);
    assert!(replay.nemesis.is_none());
    assert_eq!(replay.faults, report.faults);
    let info = replay.replay.clone().unwrap();
    assert_eq!(info.fingerprint, report.fingerprint);
    assert_eq!(info.outcome, report.outcome());
    assert_eq!(info.source.as_deref(), Some("every.toml"));
    let again = replay.run_seed(replay.seed).unwrap();
    assert_eq!(again.fingerprint, report.fingerprint);
    assert!(replay::verify(&replay, &again).is_ok());
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let s = Scenario::parse("min.toml", "name = \"m\"\nalgorithm = \"pingstorm\"\n").unwrap();
    assert_eq!(
        (s.servers, s.clients, s.duration, s.seed),
        (3, 0, DEFAULT_DURATION, DEFAULT_SEED)
    );
    assert_eq!(s.expect, Expectation::Pass);
    assert_eq!(
        s.checks,
        Checks {
            invariants: None,
            stride: 1,
            linearizability: false,
            liveness: None,
            linearizability_steps: outcome::LINEARIZABILITY_STEPS,
            durability: false,
            sessions: Vec::new(),
            stale_reads: None,
            over_time: Vec::new(),
        }
    );
}

/// A ping storm whose pings take no time: simulated time never moves.
const ZERO_LATENCY_STORM: &str = r#"
name = "zero latency"
algorithm = "pingstorm"
servers = 3
duration = "1s"
expect = "no_progress"

[network]
latency = "0s"
"#;

#[test]
fn a_run_that_stops_time_fails_no_progress_and_may_be_expected_to() {
    let s = Scenario::parse("zero.toml", ZERO_LATENCY_STORM).unwrap();
    let report = s.run_seed(4).unwrap();
    assert_eq!(report.outcome(), crate::limits::NO_PROGRESS);
    assert!(report.matches(&s.expect));
    let failure = report.failure.expect("a failure");
    assert_eq!(failure.time, Some(faultline_sim::SimTime::ZERO));
    assert_eq!(
        failure.event,
        Some(crate::limits::MAX_EVENTS_PER_INSTANT + 1)
    );
    // Expected `pass`, the same run is a failed check.
    let text = ZERO_LATENCY_STORM.replace("expect = \"no_progress\"", "");
    let s = Scenario::parse("zero.toml", &text).unwrap();
    assert!(!s.run_seed(4).unwrap().matches(&s.expect));
}

#[test]
fn a_history_past_its_bound_fails_resource_limit() {
    let s = Scenario::parse(
        "ops.toml",
        "name = \"x\"\nalgorithm = \"raft\"\nduration = \"5s\"\n[clients]\ncount = 2\n",
    )
    .unwrap();
    let mut config = s.world_config(1, TraceMode::Fingerprint);
    config.max_operations = 100;
    let mut handle = s.build_with(config).unwrap();
    handle.run();
    let report = s.evaluate(handle.as_ref(), 1);
    assert_eq!(report.outcome(), crate::limits::RESOURCE_LIMIT);
    let failure = report.failure.unwrap();
    assert!(
        failure
            .reason
            .contains("the history holds 101 client operations"),
        "{}",
        failure.reason
    );
}

#[test]
fn the_nemesis_stops_drawing_at_its_bound_whatever_the_configuration() {
    // Built directly: the parser would refuse this configuration.
    let nemesis = NemesisConfig {
        kinds: vec![NemesisKind::Crash],
        start: faultline_sim::SimTime::ZERO,
        stop: faultline_sim::SimTime::from_duration(Duration::from_secs(3600)),
        interval: Duration::from_nanos(1),
        min_duration: Duration::ZERO,
        max_duration: Duration::ZERO,
        ..NemesisConfig::default()
    };
    let faults = nemesis.generate(1, 3, &LinkConfig::default());
    // A crash and its restart per draw.
    assert_eq!(faults.len(), 2 * crate::limits::MAX_NEMESIS_DRAWN);
}
