//! `faultline zoo`: every bug variant of every algorithm is caught, and its
//! minimised catch is saved as a scenario that replays.

mod common;

use common::{assert_exit, faultline, scratch, stdout};

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
