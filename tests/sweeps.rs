//! `faultline check` sweeps: the result does not depend on the thread
//! count, failures are saved as they are found, and outputs are checked
//! before the first seed.

mod common;

use common::{assert_exit, faultline_in, root, scratch, stderr, stdout};
use std::path::Path;
use std::time::{Duration, Instant};

/// A copy of a shipped bug scenario that expects `pass`: the seeds that
/// catch its bug fail the sweep, the others pass.
fn expecting_pass(dir: &Path, scenario: &str) -> String {
    let text = std::fs::read_to_string(root().join(scenario)).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("expect = ") {
                "expect = \"pass\"\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let name = format!(
        "pass-{}",
        Path::new(scenario).file_name().unwrap().to_string_lossy()
    );
    std::fs::write(dir.join(&name), text).unwrap();
    name
}

fn summary(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

fn failed_seeds(summary: &serde_json::Value) -> Vec<u64> {
    summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seed"].as_u64().unwrap())
        .collect()
}

/// Everything in a summary that must not depend on `--jobs`: all but the
/// wall time and the folder of the replay files.
fn result(summary: &serde_json::Value) -> serde_json::Value {
    let mut v = summary.clone();
    v.as_object_mut().unwrap().remove("wall_seconds");
    for f in v["failures"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("replay_file");
    }
    v
}

#[test]
fn the_result_of_a_sweep_does_not_depend_on_the_thread_count() {
    let dir = scratch("sweep-jobs");
    // Forgetting votes is caught by a few seeds only; expecting `pass`
    // makes those the failures, scattered over the range.
    let file = expecting_pass(&dir, "scenarios/raft/bug-forget-vote.toml");
    let sweep = |jobs: &str, keep_going: bool| {
        let name = format!("{}-{jobs}", if keep_going { "all" } else { "first" });
        let json = format!("{name}.json");
        let mut args = vec!["check", &file, "--seeds", "2..100", "--jobs", jobs];
        args.extend([
            "--shrink-runs",
            "20",
            "--out",
            &name,
            "--summary-json",
            &json,
        ]);
        if keep_going {
            args.push("--keep-going");
        }
        let out = faultline_in(&dir, &args);
        assert_exit(&out, 1);
        let replay_files = std::fs::read_dir(dir.join(&name)).unwrap().count();
        (summary(&dir, &json), replay_files)
    };

    let (all, files) = sweep("1", true);
    let failing = failed_seeds(&all);
    assert!(
        failing.len() >= 2 && failing[0] > 2,
        "the test needs several failures after the first seed: {failing:?}"
    );
    assert_eq!(files, failing.len());
    assert_eq!(
        result(&sweep("3", true).0),
        result(&all),
        "--keep-going with --jobs 1 and --jobs 3"
    );

    // Without --keep-going: every seed before the first failure, that one,
    // and nothing else, whatever the thread count.
    let (first, files) = sweep("1", false);
    assert_eq!(failed_seeds(&first), [failing[0]]);
    assert_eq!(files, 1);
    assert_eq!(first["run"].as_u64().unwrap(), failing[0] - 2 + 1);
    assert_eq!(first["outcomes"]["pass"].as_u64().unwrap(), failing[0] - 2);
    for jobs in ["2", "3"] {
        let (other, files) = sweep(jobs, false);
        assert_eq!(result(&other), result(&first), "--jobs 1 and --jobs {jobs}");
        // Failures after the first are not counted, nor saved, even when a
        // thread ran them.
        assert_eq!(files, 1);
    }
}

/// A sweep killed half-way keeps the replay files of the failures found
/// so far, each complete.
#[cfg(unix)]
#[test]
fn replay_files_are_written_as_failures_are_found() {
    let dir = scratch("sweep-streamed");
    let file = expecting_pass(&dir, "scenarios/gossip/bug-gossip-once.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["check", &file, "--seeds", "0..1000000", "--keep-going"])
        .args(["--jobs", "2", "--shrink-runs", "20", "--out", "found"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let found = dir.join("found");
    let started = Instant::now();
    let replays = |found: &Path| -> Vec<String> {
        std::fs::read_dir(found)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".toml"))
                    .collect()
            })
            .unwrap_or_default()
    };
    while replays(&found).len() < 7 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL: no chance to finish anything
    child.wait().unwrap();
    let names = replays(&found);
    assert!(
        names.len() >= 7,
        "after {:?} only {names:?} were written",
        started.elapsed()
    );
    // Minimised and written-as-ran failures alike replay, and each file is
    // complete.
    for name in names {
        let out = faultline_in(&dir, &["replay", &format!("found/{name}")]);
        assert_exit(&out, 0);
    }
}

#[test]
fn unwritable_outputs_are_refused_before_the_first_seed() {
    let dir = scratch("sweep-unwritable");
    std::fs::write(dir.join("plain"), "a file").unwrap();
    let basic = root().join("scenarios/gossip/basic.toml");
    let basic = basic.to_str().unwrap();
    for (option, value, named) in [
        ("--out", "plain/failures", "plain/failures"),
        ("--summary-json", "plain/s.json", "plain/s.json"),
    ] {
        let out = faultline_in(&dir, &["check", basic, "--seeds", "0..50", option, value]);
        assert_exit(&out, 3);
        assert_eq!(
            stderr(&out),
            format!("error: cannot write {named}: plain is a file, not a folder\n")
        );
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
    // A writable folder is created for the check and, when nothing failed,
    // not left behind.
    let out = faultline_in(
        &dir,
        &["check", basic, "--seeds", "0..2", "--out", "new/failures"],
    );
    assert_exit(&out, 0);
    assert!(!dir.join("new").exists());
}
