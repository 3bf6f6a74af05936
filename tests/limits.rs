//! The defects of the hardening issue, through the command line: files
//! past the limits are listed with their error instead of killing
//! `faultline list`; a run that stops time returns, even with `--until`;
//! a standard output closed early ends every command quietly with exit 3.
//! (The load-time refusals themselves are rows of the table in
//! `tests/scenario_errors.rs`.)

mod common;

use common::{assert_exit, faultline_in, root, scratch, stderr, stdout};
use std::io::Read;
use std::process::{Command, Stdio};

/// The files of the issue that panicked or aborted while loading.
const DEADLY: &[(&str, &str)] = &[
    (
        "u32-servers.toml",
        "name = \"x\"\nalgorithm = \"gossip\"\nservers = 4294967295\n[clients]\ncount = 3\nmix = { put = 1 }\n",
    ),
    (
        "ring-1e308.toml",
        "name = \"x\"\nalgorithm = \"sharded-kv\"\n[params]\nweights = [1e308]\n",
    ),
    (
        "ring-1e12.toml",
        "name = \"x\"\nalgorithm = \"sharded-kv\"\n[params]\nweights = [1e12]\n",
    ),
    (
        "vnodes.toml",
        "name = \"x\"\nalgorithm = \"sharded-kv\"\n[params]\nvnodes = 4294967295\n",
    ),
    (
        "servers.toml",
        "name = \"x\"\nalgorithm = \"raft\"\nservers = 100000\n",
    ),
    (
        "nemesis.toml",
        "name = \"x\"\nalgorithm = \"raft\"\n[nemesis]\nkinds = [\"crash\"]\ninterval = \"1ns\"\nmin_duration = \"0s\"\nmax_duration = \"0s\"\n",
    ),
    (
        "storm.toml",
        "name = \"x\"\nalgorithm = \"pingstorm\"\n[params]\ninitial = 100000000\n",
    ),
];

#[test]
fn list_shows_files_past_the_limits_with_their_error() {
    let dir = scratch("limits-list");
    for (name, text) in DEADLY {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::copy(
        root().join("scenarios/gossip/basic.toml"),
        dir.join("basic.toml"),
    )
    .unwrap();
    let out = faultline_in(&dir, &["list", "--dir", "."]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("Gossip basics [expect pass]"), "{text}");
    for (name, _) in DEADLY {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} is not listed:\n{text}"));
        // `INVALID: ./file:LINE:COLUMN: error: ...`
        let prefix = format!("INVALID: ./{name}:");
        let rest = &line[line.find(&prefix).unwrap_or_else(|| panic!("{line}")) + prefix.len()..];
        let mut parts = rest.splitn(3, ':');
        let (l, c) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok(),
            "not located: {line}"
        );
        assert!(parts.next().unwrap().starts_with(" error: "), "{line}");
    }
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn a_run_that_stops_time_returns_even_with_until() {
    let dir = scratch("limits-until");
    std::fs::write(
        dir.join("zero.toml"),
        "name = \"x\"\nalgorithm = \"pingstorm\"\n[network]\nlatency = \"0s\"\n",
    )
    .unwrap();
    for extra in [&["--until", "0s"][..], &[]] {
        let mut args = vec!["run", "zero.toml"];
        args.extend_from_slice(extra);
        let out = faultline_in(&dir, &args);
        assert_exit(&out, 1);
        let text = stdout(&out);
        assert!(
            text.contains(
                "failure     no_progress at event 1000001 (t=0s): 1000001 events in a row at 0s"
            ),
            "{text}"
        );
        assert!(
            text.contains("outcome     no_progress (expected pass): UNEXPECTED"),
            "{text}"
        );
        assert!(
            text.contains("held until the kernel's `no_progress` check stopped the run"),
            "{text}"
        );
    }
}

/// Runs `faultline args` with standard output closed before it writes:
/// it must end quietly (no panic, no message) with exit code 3.
fn with_stdout_closed(args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the faultline binary runs");
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    assert_eq!(status.code(), Some(3), "{args:?}: {err}");
}

#[test]
fn a_closed_standard_output_ends_every_command_quietly() {
    let dir = scratch("limits-pipe");
    let history = dir.join("h.jsonl");
    let failures = dir.join("failures");
    let out = faultline_in(
        &root(),
        &[
            "run",
            "scenarios/gossip/basic.toml",
            "--history",
            history.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    for args in [
        &["list"][..],
        &["run", "scenarios/gossip/basic.toml"],
        &["run", "scenarios/gossip/basic.toml", "--format", "json"],
        &["replay", "scenarios/bugs/gossip-gossip-once.toml"],
        &["export", "scenarios/gossip/basic.toml", "--format", "jsonl"],
        &[
            "export",
            "scenarios/gossip/basic.toml",
            "--format",
            "chrome",
        ],
        &[
            "check",
            "scenarios/gossip/basic.toml",
            "--seeds",
            "0..2",
            "--out",
            failures.to_str().unwrap(),
        ],
        &["check-history", history.to_str().unwrap(), "--model", "kv"],
    ] {
        with_stdout_closed(args);
    }
}

#[test]
fn a_seed_with_a_sign_is_refused_on_the_command_line_too() {
    let out = faultline_in(
        &root(),
        &["run", "scenarios/gossip/basic.toml", "--seed", "+5"],
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("no sign or spaces"),
        "{}",
        stderr(&out)
    );
}
