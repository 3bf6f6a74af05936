//! The consensus model on the hand-written histories of
//! `tests/histories/consensus/`: every `pass-*` file is linearizable, every
//! `fail-*` file is not.

use faultline_checker::{Budget, Verdict, check_history_file};
use std::path::Path;

#[test]
fn hand_written_consensus_histories_get_the_answer_in_their_name() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories/consensus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the histories folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let (mut passing, mut failing) = (0, 0);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let report = check_history_file(file, "consensus", Budget::unlimited())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = if name.starts_with("pass-") {
            passing += 1;
            Verdict::Linearizable
        } else {
            assert!(
                name.starts_with("fail-"),
                "{name}: name it pass-* or fail-*"
            );
            failing += 1;
            Verdict::NotLinearizable
        };
        assert_eq!(report.result.verdict, expected, "{name}:\n{report}");
    }
    assert!(
        passing >= 4 && failing >= 5,
        "{passing} passing, {failing} failing"
    );
}

#[test]
fn a_consensus_failure_names_the_operations_that_do_not_fit() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/histories/consensus/fail-two-decisions.jsonl");
    let report = check_history_file(&file, "consensus", Budget::unlimited()).unwrap();
    let failure = report.result.failure.expect("a failure report");
    assert_eq!(failure.state_after_prefix, "decided \"a\"");
    assert_eq!(failure.unplaced[0].description, "propose(\"b\") -> \"b\"");
}

#[test]
fn consensus_histories_are_read_from_json_lines_only() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kv/c01-ok.txt");
    let error = check_history_file(&file, "consensus", Budget::unlimited())
        .expect_err("an EDN key-value history is not a consensus history");
    assert!(error.to_string().contains("model `consensus`"), "{error}");
}
