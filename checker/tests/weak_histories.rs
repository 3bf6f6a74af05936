//! The weak checkers (`faultline_checker::weak`) on hand-written histories
//! that must pass and must fail (`tests/histories/weak/`), on the
//! linearizable key-value histories of the shared test data (none may raise
//! an alarm: every weak guarantee is implied by linearizability) and on the
//! non-linearizable ones (what they catch).

use faultline_checker::weak::{Guarantee, WeakReport, check_weak};
use faultline_checker::{Budget, Verdict, check_history_file, read_kv_history_file};
use std::path::Path;

fn report(path: &Path) -> WeakReport {
    let history = read_kv_history_file(path).unwrap_or_else(|e| panic!("{e}"));
    check_weak(&history)
}

fn clean(report: &WeakReport) -> bool {
    report.durability.lost.is_empty()
        && report.sessions.violations.is_empty()
        && report.staleness.stale.is_empty()
}

#[test]
fn hand_written_histories_get_the_answer_in_their_name() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories/weak");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the histories folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut failing: Vec<String> = Vec::new();
    let mut passing = 0;
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let found = report(file);
        let verdict = check_history_file(file, "kv", Budget::unlimited())
            .unwrap()
            .result
            .verdict;
        if name.starts_with("pass-") {
            passing += 1;
            assert!(clean(&found), "{name}: {found:#?}");
            assert_eq!(verdict, Verdict::Linearizable, "{name}");
            continue;
        }
        let check = name.strip_prefix("fail-").expect("pass-* or fail-*");
        assert_eq!(verdict, Verdict::NotLinearizable, "{name}");
        let caught = if check.starts_with("durability") {
            !found.durability.lost.is_empty()
        } else if check.starts_with("stale-reads") {
            !found.staleness.stale.is_empty()
        } else {
            let guarantee = Guarantee::ALL
                .into_iter()
                .find(|g| check.starts_with(g.name()))
                .unwrap_or_else(|| panic!("{name}: which check?"));
            found.sessions.count(guarantee) > 0
        };
        assert!(caught, "{name}: not caught: {found:#?}");
        failing.push(check.to_string());
    }
    assert!(passing >= 4, "{passing} passing histories");
    for needed in [
        "durability",
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
        "stale-reads",
    ] {
        assert!(
            failing.iter().any(|f| f.starts_with(needed)),
            "no failing history for {needed}"
        );
    }
}

#[test]
fn a_monotonic_read_violation_names_client_and_operations() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/histories/weak/fail-monotonic-reads.jsonl");
    let found = report(&file);
    let v = &found.sessions.violations[0];
    assert_eq!(
        (v.guarantee, v.client, v.read, v.missing, v.because),
        (Guarantee::MonotonicReads, 0, 2, 0, 1)
    );
    let text = v.describe(|i| format!("<op {i}>"));
    assert_eq!(
        text,
        "monotonic-reads: client 0's read #2 <op 2> misses write #0 <op 0> that its earlier read #1 showed"
    );
}

#[test]
fn linearizable_jepsen_histories_raise_no_alarm() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kv");
    for name in ["c01-ok", "c10-ok", "c50-ok"] {
        let found = report(&dir.join(format!("{name}.txt")));
        assert!(clean(&found), "{name}: {found:#?}");
        assert!(found.staleness.reads > 0, "{name}: no reads judged");
    }
}

#[test]
fn non_linearizable_jepsen_histories_show_stale_reads() {
    // The `-bad` histories are linearizability violations by stale reads
    // (see `docs/checkers.md`): the staleness measurement sees them.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kv");
    for name in ["c01-bad", "c10-bad", "c50-bad"] {
        let found = report(&dir.join(format!("{name}.txt")));
        assert!(!found.staleness.stale.is_empty(), "{name}: {found:#?}");
    }
}
