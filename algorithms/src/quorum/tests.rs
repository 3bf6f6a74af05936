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
            assert_eq!(
                w.status(),
                &RunStatus::Finished,
                "{conflicts:?} seed {seed}"
            );
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

fn scenario(file: &str) -> crate::scenario::Scenario {
    crate::testkit::scenario("quorum", file)
}

/// Each bug scenario of `scenarios/quorum/`, the check that must catch it,
/// and within how many seeds from 0.
const BUG_SCENARIOS: [(&str, &str, u64); 2] = [
    (
        "bug-skip-read-repair-and-anti-entropy.toml",
        "convergence",
        3,
    ),
    (
        "bug-hint-dropped-on-handoff.toml",
        "acked_writes_replicated",
        3,
    ),
];

/// Every bug variant has its scenario; a sweep from seed 0 catches it with
/// the stated check; without the bug the same file passes those seeds and
/// its own.
#[test]
fn every_bug_is_caught_by_its_check_and_the_fix_passes() {
    crate::testkit::assert_bugs_caught::<super::QuorumBug>("quorum", &BUG_SCENARIOS);
}

/// A helper for working on the protocol: runs `QUORUM_FILE` over seeds
/// `0..QUORUM_SEEDS` in this process and prints each seed's outcome.
#[test]
#[ignore]
fn print_outcomes() {
    let file = std::env::var("QUORUM_FILE").unwrap();
    let n: u64 = std::env::var("QUORUM_SEEDS").unwrap().parse().unwrap();
    let s = scenario(&file);
    let mut bad = 0;
    for seed in 0..n {
        let report = s.run_seed(seed).unwrap();
        if !report.matches(&s.expect) {
            bad += 1;
        }
        println!(
            "seed {seed}: {:?}",
            report.failure.map(|f| format!("{}: {}", f.check, f.reason))
        );
    }
    println!("{bad} of {n} not as expected");
    if let Ok(fixed) = s.without_bug() {
        for seed in 0..n.min(5) {
            let report = fixed.run_seed(seed).unwrap();
            println!(
                "without bug, seed {seed}: {:?}",
                report.failure.map(|f| format!("{}: {}", f.check, f.reason))
            );
        }
    }
}

/// The shipped scenarios end as they expect over a few seeds: the passing
/// ones pass, and each teaching failure (lost writes under clock skew with
/// last-writer-wins, stale reads with r + w <= n) shows on every seed.
#[test]
fn the_shipped_scenarios_end_as_expected() {
    for file in [
        "basic.toml",
        "replica-crash.toml",
        "sloppy-partition.toml",
        "sloppy-appends-vv.toml",
        "lww-clock-skew.toml",
        "vv-clock-skew.toml",
        "weak-quorum.toml",
        "nemesis.toml",
    ] {
        let s = scenario(file);
        for seed in (0..3).chain([s.seed]) {
            let report = s.run_seed(seed).unwrap();
            assert!(
                report.matches(&s.expect),
                "{file} seed {seed}: {:?}",
                report.failure
            );
        }
    }
}

/// The guarantee that separates the two conflict modes, on the same
/// workload and clock fault: last-writer-wins loses acknowledged puts to a
/// coordinator whose clock is behind; version vectors lose none.
#[test]
fn clock_skew_loses_writes_under_lww_and_none_under_version_vectors() {
    let lww = scenario("lww-clock-skew.toml");
    let vv = scenario("vv-clock-skew.toml");
    for seed in 0..3 {
        let lost = lww.run_seed(seed).unwrap().failure.expect("a failure");
        assert_eq!(lost.check, "durability", "seed {seed}");
        assert!(vv.run_seed(seed).unwrap().failure.is_none(), "seed {seed}");
    }
}

/// With sloppy quorums, stand-ins store hints during the partition and
/// hand them off after the heal (the file's coverage checks); the same
/// file with a strict quorum stores none.
#[test]
fn sloppy_quorums_store_hints_and_strict_ones_do_not() {
    let s = scenario("sloppy-partition.toml");
    assert!(s.run_seed(s.seed).unwrap().failure.is_none());
    let strict = crate::scenario::Scenario::parse(
        &s.file,
        &s.text.replace("sloppy = true", "sloppy = false"),
    )
    .unwrap();
    let failure = strict.run_seed(s.seed).unwrap().failure.expect("no hints");
    assert_eq!(failure.check, "did_not_exercise", "{}", failure.reason);
    assert!(failure.reason.contains("hint_stored"), "{}", failure.reason);
}

/// A server's view shows its keys with their versions and siblings, in
/// ASCII; under version vectors concurrent puts show as numbered siblings.
#[test]
fn the_view_shows_versions_siblings_and_hints_in_ascii() {
    let params = QuorumParams {
        conflicts: Conflicts::Vv,
        ..QuorumParams::default()
    };
    let w = run(1, params);
    let views: Vec<faultline_sim::NodeView> = (0..5)
        .filter_map(|i| w.process(NodeId(i)))
        .map(faultline_sim::Process::view)
        .collect();
    let text = format!("{views:?}");
    assert!(text.is_ascii(), "{text}");
    assert!(text.contains("store") && text.contains("hints held"));
    assert!(text.contains('{'), "no version vector shown: {text}");
}

/// Appends on both sides of a sloppy partition: version vectors keep them
/// all as siblings; last-writer-wins lets appends that read the same value
/// overwrite each other, and acknowledged appends are lost.
#[test]
fn concurrent_appends_survive_as_siblings_and_not_under_lww() {
    let vv = scenario("sloppy-appends-vv.toml");
    let lww = crate::scenario::Scenario::parse(
        &vv.file,
        &vv.text
            .replace("conflicts = \"vv\"", "conflicts = \"lww\"")
            .replace("[[checks.happens]]\nevent = \"siblings\"\n", ""),
    )
    .unwrap();
    for seed in 0..3 {
        assert!(vv.run_seed(seed).unwrap().failure.is_none(), "seed {seed}");
        let lost = lww.run_seed(seed).unwrap().failure.expect("lost appends");
        assert_eq!(lost.check, "durability", "seed {seed}: {}", lost.reason);
    }
}

/// `acked_writes_replicated` remembers when it looks next, and its
/// `memory()` changes as time goes; `convergence`, judged at the end only,
/// remembers nothing.
#[test]
fn invariant_memory_changes_as_it_learns() {
    let (_, memories) = crate::testkit::run_kv_probed::<Quorum>(1, QuorumParams::default(), 3);
    crate::testkit::assert_memory_learns(&memories, &["acked_writes_replicated"]);
    assert_eq!(memories.lock().unwrap()["convergence"], vec![0]);
}
