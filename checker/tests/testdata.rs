//! The checker against histories recorded from real systems (Jepsen's etcd
//! tests and a student key-value store, from the Porcupine test data),
//! whose expected answers are listed in the data's README — answers nobody
//! in this project computed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use faultline_checker::{Budget, Verdict, check_history_file};

fn testdata() -> PathBuf {
    let directory = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    assert!(
        directory.join("README.md").is_file(),
        "the linearizability test data is missing: expected {}/README.md",
        directory.display()
    );
    directory.to_path_buf()
}

/// The etcd files the README lists as linearizable, parsed from the line
/// `- linearizable: 002 005 ...`.
fn linearizable_etcd_files(readme: &str) -> BTreeSet<u32> {
    let line = readme
        .lines()
        .find_map(|line| line.trim().strip_prefix("- linearizable:"))
        .expect("the README lists the linearizable etcd files on a `- linearizable:` line");
    let numbers: BTreeSet<u32> = line
        .split_whitespace()
        .map(|number| number.parse().expect("file numbers in the README's list"))
        .collect();
    assert_eq!(
        numbers.len(),
        23,
        "the README lists 23 linearizable etcd files"
    );
    numbers
}

fn verdict(path: &Path, model: &str) -> Verdict {
    let report = check_history_file(path, model, Budget::unlimited())
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    report.result.verdict
}

#[test]
fn etcd_histories_match_the_published_answers() {
    let directory = testdata();
    let readme = std::fs::read_to_string(directory.join("README.md")).unwrap();
    let linearizable = linearizable_etcd_files(&readme);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for number in 0..=102u32 {
        if number == 95 {
            continue; // that cluster never started: no expectation
        }
        let path = directory.join(format!("etcd/etcd_{number:03}.log"));
        let expected = if linearizable.contains(&number) {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        };
        let found = verdict(&path, "cas-register");
        if found != expected {
            wrong.push(format!(
                "etcd_{number:03}: expected {expected:?}, found {found:?}"
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, 102);
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn kv_histories_match_the_published_answers() {
    let directory = testdata();
    for clients in ["01", "10", "50"] {
        for (suffix, expected) in [
            ("ok", Verdict::Linearizable),
            ("bad", Verdict::NotLinearizable),
        ] {
            let path = directory.join(format!("kv/c{clients}-{suffix}.txt"));
            assert_eq!(verdict(&path, "kv"), expected, "{}", path.display());
        }
    }
}

#[test]
fn a_failing_kv_history_names_its_key_and_the_stuck_operations() {
    let path = testdata().join("kv/c01-bad.txt");
    let report = check_history_file(&path, "kv", Budget::unlimited()).unwrap();
    let failure = report.result.failure.as_ref().expect("a failure report");
    assert!(failure.partition.is_some());
    assert!(!failure.unplaced.is_empty());
    // With a single client the history is sequential: exactly one operation
    // is next in line, and it is a get that saw the wrong value.
    assert_eq!(failure.unplaced.len(), 1, "{report}");
    assert!(
        failure.unplaced[0].description.starts_with("get("),
        "{report}"
    );
    let text = report.to_string();
    assert!(text.contains("NOT linearizable"), "{text}");
}

#[test]
fn the_empty_etcd_history_is_trivially_linearizable() {
    let path = testdata().join("etcd/etcd_095.log");
    assert_eq!(verdict(&path, "cas-register"), Verdict::Linearizable);
}

#[test]
fn a_kv_history_cannot_be_checked_as_a_register() {
    let path = testdata().join("kv/c01-ok.txt");
    let error = check_history_file(&path, "cas-register", Budget::unlimited()).unwrap_err();
    assert!(error.to_string().contains("use `kv`"), "{error}");
    let path = testdata().join("etcd/etcd_000.log");
    let error = check_history_file(&path, "register", Budget::unlimited()).unwrap_err();
    assert!(error.to_string().contains("use `cas-register`"), "{error}");
}
