//! Each bug variant caught: the bug scenario files shipped in
//! `scenarios/raft/` (swept, or at their own seed for the scripted ones),
//! sweeps under this module's own random faults, and the rare variants at
//! known seeds (the scripted plays are in `scripted.rs`).
//! In every sweep the correct protocol must pass the same seeds.

use super::*;
use crate::algorithm::BugVariant;

#[test]
fn vote_without_log_check_is_caught_by_leader_completeness() {
    caught(
        &with_bug(RaftBug::VoteWithoutLogCheck),
        CHAOS,
        10,
        None,
        "leader_completeness",
    );
}

#[test]
fn vote_without_log_check_breaks_state_machine_safety() {
    caught(
        &with_bug(RaftBug::VoteWithoutLogCheck),
        CHAOS,
        10,
        Some("state_machine_safety"),
        "state_machine_safety",
    );
}

#[test]
fn keep_leadership_on_higher_term_is_caught_by_election_safety() {
    caught(
        &with_bug(RaftBug::KeepLeadershipOnHigherTerm),
        CHAOS,
        10,
        None,
        "election_safety",
    );
}

#[test]
fn leader_drops_uncommitted_tail_is_caught_by_leader_append_only() {
    caught(
        &with_bug(RaftBug::LeaderDropsUncommittedTail),
        CHAOS,
        5,
        None,
        "leader_append_only",
    );
}

#[test]
fn skip_prev_term_check_is_caught_by_log_matching() {
    caught(
        &with_bug(RaftBug::SkipPrevTermCheck),
        CHAOS,
        10,
        Some("log_matching"),
        "log_matching",
    );
}

#[test]
fn skip_prev_term_check_breaks_state_machine_safety_first() {
    caught(
        &with_bug(RaftBug::SkipPrevTermCheck),
        CHAOS,
        10,
        None,
        "state_machine_safety",
    );
}

#[test]
fn commit_from_stale_append_is_caught_by_commit_index_monotonic() {
    caught(
        &with_bug(RaftBug::CommitFromStaleAppend),
        CHAOS,
        5,
        None,
        "commit_index_monotonic",
    );
}

#[test]
fn snapshot_without_sessions_is_caught_by_applied_prefix_agreement() {
    let params = RaftParams {
        snapshot_threshold: 20,
        ..with_bug(RaftBug::SnapshotWithoutSessions)
    };
    caught(&params, CRASHY, 5, None, "applied_prefix_agreement");
}

#[test]
fn local_reads_are_caught_by_the_linearizability_checker() {
    let params = RaftParams {
        client_timeout: Duration::from_millis(60),
        ..with_bug(RaftBug::LocalReads)
    };
    caught(&params, FLIPS, 10, None, "linearizability");
}

#[test]
fn no_dedup_is_caught_by_the_linearizability_checker() {
    caught(
        &with_bug(RaftBug::NoDedup),
        CHAOS,
        5,
        None,
        "linearizability",
    );
}

fn forget_vote_params(bug: Option<RaftBug>) -> RaftParams {
    // Narrow timeouts make split votes, hence second requests, common.
    RaftParams {
        election_timeout_max: Duration::from_millis(155),
        bug,
        ..RaftParams::default()
    }
}

/// Double votes need a crash between two vote requests of one term: rare,
/// so the full sweep is release-only; seed 1202 is the first that hits it.
#[test]
fn forget_vote_is_caught_by_election_safety_at_a_known_seed() {
    let err = run(1202, &forget_vote_params(Some(RaftBug::ForgetVote)), CRASHY)
        .err()
        .expect("caught");
    assert_eq!(err.0, "election_safety", "{}", err.1);
    assert!(run(1202, &forget_vote_params(None), CRASHY).is_ok());
}

#[test]
#[ignore = "release-only sweep: cargo test --release -- --ignored"]
fn forget_vote_is_caught_by_election_safety_within_1500_seeds() {
    caught_with(
        &forget_vote_params(Some(RaftBug::ForgetVote)),
        &forget_vote_params(None),
        CRASHY,
        1_500,
        None,
        "election_safety",
    );
}

/// The faithful lease bug needs a leader on a slow clock cut off while
/// fast-clocked followers elect a new one and a read lands in the gap:
/// about one seed in 250 of its scenario, so the sweep is release-only.
#[test]
#[ignore = "release-only sweep: cargo test --release -- --ignored"]
fn lease_ignoring_drift_is_caught_in_a_1500_seed_sweep_of_its_scenario() {
    let buggy = scenario_file("bug-lease-ignores-drift.toml");
    let caught = (0..1_500)
        .filter(|&seed| buggy.run_seed(seed).unwrap().matches(&buggy.expect))
        .count();
    assert!(caught >= 3, "caught at {caught} seeds of 1500");
    let fixed = buggy.without_bug().unwrap();
    for seed in 0..1_500 {
        let report = fixed.run_seed(seed).unwrap();
        assert!(
            report.matches(&fixed.expect),
            "seed {seed}: {:?}",
            report.failure
        );
    }
}

/// Where a bug scenario must show its bug.
#[derive(Clone, Copy, Debug)]
enum Catch {
    /// At one of the first `n` seeds of the sweep (from 0).
    Within(u64),
    /// At the file's own seed: its `[[faults]]` are a scripted interleaving
    /// placed after exact events (`scripted.rs`), which other seeds do not
    /// reproduce, or the bug shows at a rare seed only.
    OwnSeed,
}

/// The shipped bug scenarios, the check each must trip, and where.
const BUG_SCENARIOS: [(&str, &str, Catch); 13] = [
    (
        "bug-vote-without-log-check.toml",
        "leader_completeness",
        Catch::Within(2),
    ),
    (
        "bug-keep-leadership-on-higher-term.toml",
        "election_safety",
        Catch::Within(1),
    ),
    (
        "bug-leader-drops-uncommitted-tail.toml",
        "leader_append_only",
        Catch::Within(2),
    ),
    (
        "bug-skip-prev-term-check.toml",
        "log_matching",
        Catch::Within(2),
    ),
    (
        "bug-commit-from-stale-append.toml",
        "commit_index_monotonic",
        Catch::Within(3),
    ),
    (
        "bug-snapshot-without-sessions.toml",
        "applied_prefix_agreement",
        Catch::Within(1),
    ),
    ("bug-local-reads.toml", "linearizability", Catch::Within(3)),
    ("bug-no-dedup.toml", "linearizability", Catch::Within(1)),
    (
        "bug-apply-before-commit.toml",
        "state_machine_safety",
        Catch::Within(1),
    ),
    (
        "bug-commit-previous-term-by-count.toml",
        "leader_completeness",
        Catch::OwnSeed,
    ),
    ("bug-forget-vote.toml", "election_safety", Catch::OwnSeed),
    (
        "bug-lease-ignores-drift.toml",
        "linearizability",
        Catch::OwnSeed,
    ),
    (
        "bug-lease-on-wall-clock.toml",
        "linearizability",
        Catch::OwnSeed,
    ),
];

/// Seeds per bug scenario sweep (debug builds run this in a few seconds).
const SCENARIO_SWEEP: u64 = 10;

fn scenario_file(name: &str) -> crate::scenario::Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/raft")
        .join(name);
    crate::scenario::Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every bug variant `RaftBug::ALL` lists (hence `faultline list` and the
/// zoo) has a scenario: a sweep file must catch its bug within the stated
/// number of seeds from 0, a scripted file at its own seed; and the same
/// file without the bug passes every seed of the sweep and its own seed.
#[test]
fn every_listed_bug_has_a_scenario_that_catches_it_and_the_fix_passes_the_sweep() {
    let listed: Vec<&str> = RaftBug::ALL.iter().map(|b| b.name).collect();
    assert_eq!(listed.len(), BUG_SCENARIOS.len());
    for (file, check, catch) in BUG_SCENARIOS {
        let buggy = scenario_file(file);
        assert_eq!(buggy.expect.name(), check, "{file}");
        let bug = file
            .trim_start_matches("bug-")
            .trim_end_matches(".toml")
            .replace('-', "_");
        assert!(listed.contains(&bug.as_str()), "{file} plants {bug}");
        let info = RaftBug::ALL.iter().find(|b| b.name == bug).unwrap();
        assert_eq!(info.caught_by, check, "{file}");
        match catch {
            Catch::Within(within) => {
                let first = (0..SCENARIO_SWEEP)
                    .find(|&seed| buggy.run_seed(seed).unwrap().matches(&buggy.expect));
                assert!(
                    first.is_some_and(|s| s < within),
                    "{file}: first caught at seed {first:?}, expected within {within} seeds"
                );
            }
            Catch::OwnSeed => {
                let report = buggy.run_seed(buggy.seed).unwrap();
                assert!(
                    report.matches(&buggy.expect),
                    "{file} at its seed {}: {:?}",
                    buggy.seed,
                    report.failure
                );
            }
        }
        let fixed = buggy.without_bug().unwrap();
        for seed in (0..SCENARIO_SWEEP).chain([buggy.seed]) {
            let report = fixed.run_seed(seed).unwrap();
            assert!(
                report.matches(&fixed.expect),
                "{file} without its bug, seed {seed}: {:?}",
                report.failure
            );
        }
    }
}

/// `RaftBug::ALL` names every variant, by its name in scenario files.
#[test]
fn every_bug_variant_is_listed() {
    let every = [
        RaftBug::VoteWithoutLogCheck,
        RaftBug::CommitPreviousTermByCount,
        RaftBug::ForgetVote,
        RaftBug::KeepLeadershipOnHigherTerm,
        RaftBug::LeaderDropsUncommittedTail,
        RaftBug::SkipPrevTermCheck,
        RaftBug::CommitFromStaleAppend,
        RaftBug::SnapshotWithoutSessions,
        RaftBug::LocalReads,
        RaftBug::NoDedup,
        RaftBug::LeaseIgnoresDrift,
        RaftBug::ApplyBeforeCommit,
        RaftBug::LeaseOnWallClock,
    ];
    // A new variant fails to compile here until it is added above.
    for bug in every {
        match bug {
            RaftBug::VoteWithoutLogCheck
            | RaftBug::CommitPreviousTermByCount
            | RaftBug::ForgetVote
            | RaftBug::KeepLeadershipOnHigherTerm
            | RaftBug::LeaderDropsUncommittedTail
            | RaftBug::SkipPrevTermCheck
            | RaftBug::CommitFromStaleAppend
            | RaftBug::SnapshotWithoutSessions
            | RaftBug::LocalReads
            | RaftBug::NoDedup
            | RaftBug::LeaseIgnoresDrift
            | RaftBug::ApplyBeforeCommit
            | RaftBug::LeaseOnWallClock => {}
        }
    }
    let mut listed: Vec<String> = RaftBug::ALL.iter().map(|b| b.name.to_string()).collect();
    let mut names: Vec<String> = every
        .iter()
        .map(|b| {
            serde_json::to_value(b)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    listed.sort();
    names.sort();
    assert_eq!(listed, names);
}
