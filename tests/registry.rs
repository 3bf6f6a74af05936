//! Every registered algorithm's declaration, held against itself and
//! against the shipped scenarios: a bug variant nobody can watch being
//! caught, or an invariant no planted bug ever trips, is a claim without
//! evidence.

mod common;

use faultline_algorithms::algorithms;
use faultline_algorithms::scenario::{Expectation, Scenario, scenario_files};

/// The shipped scenarios that plant a bug and expect a failure: the
/// settings in which each bug is shown caught. The zoo's minimised
/// catches (`scenarios/bugs/`) are replays of these, not settings.
fn bug_scenarios() -> Vec<Scenario> {
    let root = common::root().join("scenarios");
    scenario_files(&root)
        .into_iter()
        .filter(|path| !path.starts_with(root.join("bugs")))
        .map(|path| Scenario::load(&path).unwrap_or_else(|e| panic!("{e}")))
        .filter(|s| {
            s.replay.is_none()
                && s.explore.is_none()
                && matches!(s.expect, Expectation::Failure(_))
                && s.planted_bug().is_some()
        })
        .collect()
}

#[test]
fn every_declaration_is_consistent_with_itself() {
    for algorithm in algorithms() {
        let problems = algorithm.declaration_problems();
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            algorithm.name(),
            problems.join("\n")
        );
    }
}

/// Bug variants with no scenario that plants them and expects their catch.
fn bugs_without_scenarios(scenarios: &[Scenario]) -> Vec<String> {
    let mut missing = Vec::new();
    for algorithm in algorithms() {
        let info = algorithm.info();
        for bug in &info.bugs {
            let found = scenarios.iter().any(|s| {
                s.algorithm_name() == info.name
                    && s.planted_bug().as_deref() == Some(bug.name)
                    && s.expect.name() == bug.caught_by
            });
            if !found {
                missing.push(format!(
                    "{} / {}: no scenario plants it and expects `{}`",
                    info.name, bug.name, bug.caught_by
                ));
            }
        }
    }
    missing
}

/// Invariants that no bug scenario expects to fail.
fn invariants_never_caught(scenarios: &[Scenario]) -> Vec<String> {
    let mut untested = Vec::new();
    for algorithm in algorithms() {
        let info = algorithm.info();
        for invariant in &info.invariants {
            let caught = scenarios
                .iter()
                .any(|s| s.algorithm_name() == info.name && s.expect.name() == invariant.name);
            if !caught {
                untested.push(format!(
                    "{} / {}: no bug scenario expects it",
                    info.name, invariant.name
                ));
            }
        }
    }
    untested
}

#[test]
fn every_bug_variant_has_a_scenario_expecting_the_check_that_catches_it() {
    let missing = bugs_without_scenarios(&bug_scenarios());
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_invariant_is_the_expected_catch_of_some_bug_scenario() {
    let untested = invariants_never_caught(&bug_scenarios());
    assert!(untested.is_empty(), "{}", untested.join("\n"));
}

/// The two checks above can fail: without the scenarios of one bug, that
/// bug is reported, and so is an invariant only that bug trips.
#[test]
fn a_missing_bug_scenario_is_reported() {
    let all = bug_scenarios();
    let fewer: Vec<Scenario> = all
        .iter()
        .filter(|s| s.planted_bug().as_deref() != Some("tokens_by_rank"))
        .cloned()
        .collect();
    assert!(fewer.len() < all.len());
    let missing = bugs_without_scenarios(&fewer);
    assert_eq!(
        missing,
        ["sharded-kv / tokens_by_rank: no scenario plants it and expects `movement_budget`"]
    );
    assert_eq!(
        invariants_never_caught(&fewer),
        ["sharded-kv / movement_budget: no bug scenario expects it"]
    );
}
