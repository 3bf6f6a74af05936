//! The generic property harness: every algorithm, under schedules that
//! proptest generates.
//!
//! The harness needs no knowledge of any algorithm. Each bug scenario in
//! `scenarios/` (an `expect` naming a check, a `[params] bug`) defines a
//! setting in which a planted bug shows; the same scenario without the bug
//! is the correct algorithm in the same setting. Their own faults are
//! replaced by generated ones:
//!
//! - the correct algorithm keeps every check (its invariants,
//!   linearizability, liveness) under any schedule followed by a quiet,
//!   healed tail — safety under faults, then progress after healing — and
//!   any client workload shape (the rate, and the fields of the algorithm's
//!   operation family: keys and operation mix for key-value stores);
//! - the bug variant is found by proptest, searching generated schedules
//!   and subsets of the scenario's own schedule at its seed, and proptest's
//!   shrinking brings the schedule down to a few faults; the shrunk
//!   counterexample is written as a replay file and `faultline replay`
//!   reproduces it exactly.
//!
//! Runs are deterministic: the scenario's seed and proptest's deterministic
//! runner, so a failure here is a failure everywhere.

mod common;

use common::{assert_exit, faultline, scratch, stdout};
use faultline_algorithms::family::workload_shapes;
use faultline_algorithms::scenario::replay::replay_text;
use faultline_algorithms::scenario::{Expectation, NemesisKind, Scenario, scenario_files};
use faultline_sim::strategies::{self, FaultKinds};
use faultline_sim::{FaultSchedule, SimTime, WorkloadConfig};
use proptest::prelude::{Just, Strategy};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::time::Duration;

/// A short schedule: what shrinking must reach for a bug to count as found.
const SHORT: usize = 4;

fn bug_scenarios() -> Vec<Scenario> {
    let root = common::root().join("scenarios");
    // The zoo's saved catches are replays, not settings.
    let out: Vec<Scenario> = scenario_files(&root)
        .into_iter()
        .filter(|path| !path.starts_with(root.join("bugs")))
        .map(|path| Scenario::load(&path).unwrap())
        .filter(|s| {
            s.replay.is_none()
                && s.explore.is_none()
                && matches!(s.expect, Expectation::Failure(_))
                && s.planted_bug().is_some()
        })
        .collect();
    assert!(!out.is_empty(), "no bug scenarios found");
    out
}

/// The fault kinds a scenario is about: its nemesis's, or every kind.
/// Clock drift and clock jumps are separate kinds, so a scenario about
/// leases under bounded drift gets drift (up to
/// [`strategies::MAX_GENERATED_DRIFT_PPM`]) and no jumps.
fn kinds(s: &Scenario) -> FaultKinds {
    let Some(n) = &s.nemesis else {
        return FaultKinds::ALL;
    };
    let has = |k: &[NemesisKind]| n.kinds.iter().any(|x| k.contains(x));
    FaultKinds {
        network: has(&[
            NemesisKind::Partition,
            NemesisKind::PartitionOneWay,
            NemesisKind::Isolate,
        ]),
        crashes: has(&[NemesisKind::Crash]),
        clock_drift: has(&[NemesisKind::ClockDrift]),
        clock_jumps: has(&[NemesisKind::ClockOffset, NemesisKind::ClockStep]),
        links: has(&[NemesisKind::LossyLinks]),
    }
}

fn at_fraction(d: Duration, num: u32, den: u32) -> SimTime {
    // Whole milliseconds, so schedules print and parse exactly.
    SimTime::from_duration(Duration::from_millis((d * num / den).as_millis() as u64))
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases,
            max_shrink_iters: 400,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    )
}

fn millis(schedule: FaultSchedule) -> FaultSchedule {
    schedule
        .into_iter()
        .map(|mut f| {
            f.at = SimTime::from_duration(Duration::from_millis(
                f.at.as_duration().as_millis() as u64
            ));
            f
        })
        .collect()
}

/// The scenario with another client workload shape: another rate, and
/// other values of its operation family's `[clients]` fields.
fn with_workload(s: &Scenario, pacing: &WorkloadConfig, fields: &toml::Table) -> Scenario {
    let mut table: toml::Table = s.text.parse().unwrap();
    if let Some(toml::Value::Table(clients)) = table.get_mut("clients") {
        let per_minute = (60_000 / pacing.think_time.as_millis().max(1)).max(1);
        clients.insert(
            "rate".into(),
            toml::Value::String(format!("{per_minute}/min")),
        );
        for (name, value) in fields {
            clients.insert(name.clone(), value.clone());
        }
    }
    Scenario::parse(&s.file, &toml::to_string(&table).unwrap()).unwrap()
}

#[test]
fn correct_algorithms_keep_every_check_under_generated_schedules() {
    for bugged in bug_scenarios() {
        let s = bugged.without_bug().unwrap();
        let heal_at = at_fraction(s.duration, 1, 2);
        let schedules =
            strategies::schedule(s.servers, at_fraction(s.duration, 2, 5), 6, kinds(&s));
        let family = s.algorithm.info().family.name;
        let shapes = workload_shapes(family).unwrap_or_else(|| Just(toml::Table::new()).boxed());
        let strategy = (schedules, strategies::pacing(), shapes);
        let result = runner(10).run(&strategy, |(schedule, pacing, fields)| {
            let schedule = strategies::healed(millis(schedule), s.servers, heal_at, &s.link);
            let shaped = with_workload(&s, &pacing, &fields);
            let run = shaped
                .with_run(&schedule, s.duration, s.max_ops_per_client())
                .map_err(|e| TestCaseError::fail(format!("cannot build the run: {e}")))?;
            let report = run
                .run_seed(s.seed)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            match &report.failure {
                None => Ok(()),
                Some(f) => Err(TestCaseError::fail(format!("{}: {}", f.check, f.reason))),
            }
        });
        if let Err(e) = result {
            panic!("{} without its bug failed: {e}", s.file);
        }
    }
}

#[test]
fn each_bug_is_found_shrunk_to_a_short_schedule_and_replayed() {
    let dir = scratch("properties");
    let mut found = Vec::new();
    for s in bug_scenarios() {
        let expected = s.expect.name().to_string();
        // A catch is the bug's: the expected check fails with the bug, and
        // the same run without it passes, so shrinking can never keep a
        // schedule that fails for another reason.
        let catches = |schedule: &FaultSchedule| -> Result<bool, TestCaseError> {
            let run = s
                .with_run(schedule, s.duration, s.max_ops_per_client())
                .map_err(|e| TestCaseError::reject(format!("not a valid run: {e}")))?;
            let report = run
                .run_seed(s.seed)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if report.failure.is_none_or(|f| f.check != expected) {
                return Ok(false);
            }
            let fixed = run
                .without_bug()
                .map_err(TestCaseError::fail)?
                .run_seed(s.seed)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            Ok(fixed.failure.is_none())
        };
        let property = |schedule: FaultSchedule| match catches(&schedule)? {
            true => Err(TestCaseError::fail("caught")),
            false => Ok(()),
        };

        // First, schedules generated from the scenario's fault kinds; the
        // shrunk one must be short.
        let generated =
            strategies::schedule(s.servers, at_fraction(s.duration, 4, 5), 8, kinds(&s))
                .prop_map(millis);
        if let Err(TestError::Fail(_, minimal)) = runner(64).run(&generated, property) {
            assert!(
                minimal.len() <= SHORT,
                "{}: shrunk to {} faults: {minimal:?}",
                s.file,
                minimal.len()
            );
            found.push((s, minimal));
            continue;
        }

        // Some bugs need an interleaving that random faults almost never
        // produce (the paper's Figure 8, a vote forgotten across a restart
        // in the middle of an election); their scenarios write it down.
        // proptest then searches subsets of the scenario's own schedule at
        // its seed, and shrinking must leave only faults that matter:
        // without any one of them the bug no longer shows.
        let own = s.fault_schedule(s.seed);
        let subsets = proptest::sample::subsequence(own.clone(), 0..=own.len());
        let minimal = match runner(64).run(&subsets, property) {
            Err(TestError::Fail(_, minimal)) => minimal,
            other => panic!(
                "{}: the harness did not find the bug in generated schedules nor in \
                 subsets of the scenario's own {} faults: {other:?}",
                s.file,
                own.len()
            ),
        };
        for i in 0..minimal.len() {
            let mut fewer = minimal.clone();
            fewer.remove(i);
            assert!(
                !catches(&fewer).unwrap(),
                "{}: the shrunk schedule still fails without fault {i}: {minimal:?}",
                s.file
            );
        }
        found.push((s, minimal));
    }
    for (s, minimal) in found {
        let expected = s.expect.name().to_string();
        // The shrunk counterexample, as a replay file, reproduces exactly.
        let run = s
            .with_run(&minimal, s.duration, s.max_ops_per_client())
            .unwrap();
        let report = run.run_seed(s.seed).unwrap();
        assert_eq!(
            report.failure.as_ref().map(|f| f.check.as_str()),
            Some(expected.as_str())
        );
        let file = dir.join(format!(
            "{}.toml",
            s.name.replace(|c: char| !c.is_alphanumeric(), "-")
        ));
        std::fs::write(&file, replay_text(&run, &report).unwrap()).unwrap();
        let replay = faultline(&["replay", file.to_str().unwrap()]);
        assert_exit(&replay, 0);
        assert!(stdout(&replay).contains("reproduced: same fingerprint and outcome"));
        // And the saved file, with its bug switched off, passes.
        let saved = Scenario::load(&file).unwrap();
        let fixed = saved.without_bug().unwrap().run_seed(saved.seed).unwrap();
        assert!(
            fixed.failure.is_none(),
            "{} without its bug: {:?}",
            file.display(),
            fixed.failure
        );
    }
}
