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

/// `--check` runs the weak checkers on a key-value history, beside or
/// instead of linearizability; each names what it found.
#[test]
fn check_history_runs_the_weak_checkers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let weak = root.join("checker/tests/histories/weak");
    let run = |file: &str, checks: &str| {
        let path = weak.join(file);
        faultline_within(
            root,
            &[
                "check-history",
                path.to_str().unwrap(),
                "--model",
                "kv",
                "--check",
                checks,
            ],
            Duration::from_secs(60),
        )
    };
    let out = run(
        "pass-appends-in-order.jsonl",
        "linearizability,durability,sessions,stale-reads",
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("linearizable"), "{text}");
    assert!(
        text.contains("durability: 0 of 2 judged acknowledged writes lost"),
        "{text}"
    );
    assert!(text.contains("sessions: violations over"), "{text}");
    assert!(text.contains("stale reads: 0 of"), "{text}");
    let out = run("fail-monotonic-reads.jsonl", "sessions");
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("monotonic-reads: client 0's read #2 (client 0, [50, 60]: get(\"x\") -> \"\") misses write #0"),
        "{text}"
    );
    assert!(!text.contains("linearizable"), "{text}");
    let out = run("fail-durability-put-vanishes.jsonl", "durability");
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("  lost: write #0"),
        "{}",
        stdout(&out)
    );
    let out = run("fail-stale-reads.jsonl", "stale-reads");
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("1 version(s) behind, since write #1"),
        "{}",
        stdout(&out)
    );
    // The weak checkers need a key-value history.
    let path = weak.join("pass-appends-in-order.jsonl");
    let out = faultline_within(
        root,
        &[
            "check-history",
            path.to_str().unwrap(),
            "--model",
            "register",
            "--check",
            "durability",
        ],
        Duration::from_secs(60),
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("expected --model kv"),
        "{}",
        stderr(&out)
    );
}
