//! `faultline zoo`: every bug variant of every algorithm is caught, and its
//! minimised catch is saved as a scenario that replays.

mod common;

use common::{assert_exit, faultline, scratch, stdout};
use faultline_algorithms::scenario::replay::verify;
use faultline_algorithms::scenario::{Scenario, scenario_files};

#[test]
fn every_bug_variant_is_caught_and_its_minimised_catch_replays() {
    let dir = scratch("zoo");
    let save = dir.join("bugs");
    let markdown = dir.join("zoo.md");
    let out = faultline(&[
        "zoo",
        "--seeds",
        "4",
        "--save",
        save.to_str().unwrap(),
        "--markdown",
        markdown.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let table = std::fs::read_to_string(&markdown).unwrap();
    let text = stdout(&out);
    let list = stdout(&faultline(&["list"]));
    // Every bug variant `faultline list` shows has a row with a catch.
    let bugs: Vec<&str> = list
        .lines()
        .skip_while(|l| !l.contains("bug variants"))
        .filter(|l| l.contains("caught by"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(!bugs.is_empty(), "{list}");
    for bug in &bugs {
        let row = table
            .lines()
            .find(|l| l.contains(&format!("| `{bug}` |")))
            .unwrap_or_else(|| panic!("no zoo row for {bug}:\n{table}"));
        // Caught in the sweep, or (a written interleaving, a rare seed) at
        // the scenario's own seed.
        assert!(
            !row.contains("no scenario") && (!row.contains("| 0/4 |") || row.contains("own seed")),
            "{row}"
        );
        assert!(text.contains(row), "the table is printed too");
    }
    let saved: Vec<_> = std::fs::read_dir(&save)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(saved.len(), bugs.len(), "{saved:?}");
    for file in saved {
        let again = faultline(&["replay", file.to_str().unwrap()]);
        assert_exit(&again, 0);
    }
}

/// Every shipped minimised catch (`scenarios/bugs/`) is its bug's: it
/// reproduces its recorded violation exactly, and the same file with the
/// bug switched off passes. A minimised run that failed for another reason
/// (cut too short to settle, say) would fail the second half.
#[test]
fn every_shipped_catch_reproduces_and_passes_without_its_bug() {
    let files = scenario_files(&common::root().join("scenarios/bugs"));
    assert!(files.len() >= 15, "{} files", files.len());
    for file in files {
        let s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let bug = s
            .planted_bug()
            .unwrap_or_else(|| panic!("{}: plants no bug", file.display()));
        let report = s.run_seed(s.seed).unwrap();
        verify(&s, &report).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(report.outcome(), s.expect.name(), "{}", file.display());
        let fixed = s.without_bug().unwrap().run_seed(s.seed).unwrap();
        assert!(
            fixed.failure.is_none() && fixed.complete,
            "{} without `{bug}` must pass: {:?}",
            file.display(),
            fixed.failure
        );
    }
}

#[test]
fn unwritable_outputs_are_refused_before_the_first_sweep() {
    let dir = scratch("zoo-unwritable");
    std::fs::write(dir.join("plain"), "a file").unwrap();
    for (option, value) in [
        ("--save", "plain/bugs".to_string()),
        ("--markdown", "plain/zoo.md".to_string()),
    ] {
        let value = dir.join(value);
        let out = faultline(&["zoo", "--seeds", "1", option, value.to_str().unwrap()]);
        assert_exit(&out, 3);
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        let shown = common::stderr(&out);
        assert!(
            shown.starts_with(&format!("error: cannot write {}: ", value.display()))
                && shown.contains("is a file, not a folder")
                && !shown.contains("sweeping"),
            "{shown}"
        );
    }
}
