//! `faultline check-history` on hand-written history files.

mod common;

use common::{assert_exit, scratch, stderr, stdout};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `faultline` in `dir`, killing it after `limit`.
fn faultline_within(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("faultline {args:?} ran past {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Two thousand puts that may all have happened at any time, then reads
/// that pin them down one by one: the search explodes.
fn explosive_history() -> String {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(
            "{{\"client\":{i},\"input\":{{\"f\":\"put\",\"key\":\"x\",\"value\":\"{i}\"}},\"call\":0,\"outcome\":\"unknown\",\"ret\":null}}\n"
        ));
    }
    for j in 0..30 {
        text.push_str(&format!(
            "{{\"client\":{},\"input\":{{\"f\":\"get\",\"key\":\"x\"}},\"call\":{},\"outcome\":{{\"ok\":{{\"value\":\"{}\"}}}},\"ret\":{}}}\n",
            3000 + j,
            10 + 2 * j,
            1999 - 7 * j,
            11 + 2 * j
        ));
    }
    text
}

#[test]
fn check_history_has_the_scenarios_step_budget_by_default() {
    let dir = scratch("history-budget");
    std::fs::write(dir.join("hard.jsonl"), explosive_history()).unwrap();
    // Without a budget this ran past 60 s and 1.8 GB; with the default one
    // it ends undecided, deterministically, in a few seconds.
    let out = faultline_within(
        &dir,
        &["check-history", "hard.jsonl", "--model", "kv"],
        Duration::from_secs(120),
    );
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("step budget of 2000000 exhausted"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).starts_with("undecided: "), "{}", stderr(&out));
    // --max-steps sets another budget.
    let out = faultline_within(
        &dir,
        &[
            "check-history",
            "hard.jsonl",
            "--model",
            "kv",
            "--max-steps",
            "1000",
        ],
        Duration::from_secs(60),
    );
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("step budget of 1000 exhausted"),
        "{}",
        stdout(&out)
    );
}
