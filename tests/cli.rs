//! The `faultline` commands on real scenarios, through the built binary.

mod common;

use common::{assert_exit, faultline, faultline_in, field, root, scratch, stderr, stdout};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const BASIC: &str = "scenarios/gossip/basic.toml";
const GOSSIP_ONCE: &str = "scenarios/gossip/bug-gossip-once.toml";

/// A copy of a shipped scenario whose expectation is changed to `expect`,
/// so every seed fails it.
fn with_expectation(dir: &Path, scenario: &str, expect: &str) -> String {
    let text = std::fs::read_to_string(root().join(scenario)).unwrap();
    let has_expect = text.lines().any(|l| l.starts_with("expect = "));
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("expect = ") {
            out.push_str(&format!("expect = \"{expect}\"\n"));
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if !has_expect && line.starts_with("algorithm = ") {
            out.push_str(&format!("expect = \"{expect}\"\n"));
        }
    }
    let name = format!(
        "{expect}-{}",
        Path::new(scenario).file_name().unwrap().to_string_lossy()
    );
    std::fs::write(dir.join(&name), out).unwrap();
    name
}

#[test]
fn run_prints_a_summary_of_the_default_scenario() {
    let out = faultline(&["run", BASIC]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for key in [
        "scenario",
        "setup",
        "time",
        "events",
        "messages",
        "faults",
        "clients",
        "checks",
        "fingerprint",
    ] {
        assert!(field(&text, key).is_some(), "no `{key}` line in\n{text}");
    }
    assert_eq!(
        field(&text, "outcome").unwrap(),
        "pass (expected pass): as expected"
    );
    assert!(text.contains("partition {n0} | {n1,n2}"), "{text}");
    assert!(text.contains("linearizability: linearizable"), "{text}");
}

#[test]
fn run_json_summary_and_seed_override() {
    let out = faultline(&["run", BASIC, "--seed", "42", "--format", "json"]);
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["seed"], 42);
    assert_eq!(v["outcome"], "pass");
    assert_eq!(v["matched"], true);
    assert!(v["fingerprint_hex"].as_str().unwrap().starts_with("0x"));
    assert!(v["stats"]["sent"].as_u64().unwrap() > 0);
    let again = faultline(&["run", BASIC, "--seed", "42", "--format", "json"]);
    let w: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(v["fingerprint"], w["fingerprint"]);
    let other = faultline(&["run", BASIC, "--seed", "43", "--format", "json"]);
    let x: serde_json::Value = serde_json::from_str(&stdout(&other)).unwrap();
    assert_ne!(v["fingerprint"], x["fingerprint"]);
}

#[test]
fn run_until_stops_early_without_judging_the_end() {
    let out = faultline(&["run", BASIC, "--until", "1500ms", "--format", "json"]);
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["complete"], false);
    assert!(v["time"].as_u64().unwrap() <= 1_500_000_000);
}

#[test]
fn run_reports_an_unexpected_outcome_with_exit_1_and_the_command() {
    let dir = scratch("unexpected");
    let file = with_expectation(&dir, GOSSIP_ONCE, "pass");
    let out = faultline_in(&dir, &["run", &file]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert_eq!(
        field(&text, "outcome").unwrap(),
        "convergence (expected pass): UNEXPECTED"
    );
    assert_eq!(
        field(&text, "reproduce").unwrap(),
        format!("faultline run {file} --seed 1")
    );
}

#[test]
fn trace_and_history_files_match_the_run() {
    let dir = scratch("trace");
    let trace = dir.join("trace.jsonl");
    let history = dir.join("history.jsonl");
    let out = faultline(&[
        "run",
        BASIC,
        "--trace",
        trace.to_str().unwrap(),
        "--history",
        history.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let fingerprint = field(&stdout(&out), "fingerprint").unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "header");
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["fingerprint"], fingerprint.as_str());
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "send" && l["payload"].is_object())
    );
    assert!(lines.iter().any(|l| l["type"] == "fault"));
    let out = faultline(&["check-history", history.to_str().unwrap(), "--model", "kv"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("linearizable"), "{}", stdout(&out));
}

#[test]
fn export_chrome_has_one_named_track_per_node() {
    let dir = scratch("chrome");
    let file = dir.join("trace.json");
    let out = faultline(&[
        "export",
        "scenarios/gossip/crash-restart.toml",
        "--format",
        "chrome",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let names: BTreeSet<String> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap().to_string())
        .collect();
    for want in [
        "n0 server",
        "n1 server",
        "n2 server",
        "n3 client",
        "n5 client",
        "network & faults",
    ] {
        assert!(names.contains(want), "{names:?}");
    }
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "X" && e["name"] == "down" && e["tid"] == 1)
    );
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "X" && e["cat"] == "client")
    );
    assert!(
        events
            .iter()
            .filter(|e| e["ph"] != "M")
            .all(|e| e["ts"].is_f64() && e["pid"] == 1)
    );
    // Every arrival or drop ends a flow that a send on the sender's track
    // started, no later, under the same message id.
    let sends: BTreeMap<u64, &serde_json::Value> = events
        .iter()
        .filter(|e| e["flow_out"] == true)
        .map(|e| (e["bind_id"].as_u64().unwrap(), e))
        .collect();
    let ends: Vec<&serde_json::Value> = events.iter().filter(|e| e["flow_in"] == true).collect();
    assert!(ends.iter().any(|e| e["cat"] == "drop"));
    assert!(ends.len() > 100, "{} flow ends", ends.len());
    for end in ends {
        let send = sends[&end["bind_id"].as_u64().unwrap()];
        assert!(send["ts"].as_f64() <= end["ts"].as_f64());
        assert_eq!(end["ph"], "X");
    }
    let run = faultline(&["run", "scenarios/gossip/crash-restart.toml"]);
    assert_eq!(
        v["otherData"]["fingerprint"].as_str().unwrap(),
        field(&stdout(&run), "fingerprint").unwrap()
    );
}

#[test]
fn export_jsonl_to_stdout() {
    let out = faultline(&[
        "export",
        "scenarios/pingstorm/storm.toml",
        "--format",
        "jsonl",
        "--seed",
        "3",
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["seed"], 3);
    assert!(text.lines().count() > 100);
}

#[test]
fn list_shows_algorithms_and_scenarios() {
    let out = faultline(&["list"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for want in [
        "gossip —",
        "pingstorm —",
        "volatile_store",
        "caught by acked_values_survive",
        "gossip/basic.toml",
        "Gossip basics [expect pass]",
        "pingstorm/storm.toml",
        "(head is the serving role",
        "Raft: the first election [expect pass] [tour, 5 steps]",
    ] {
        assert!(text.contains(want), "no {want:?} in\n{text}");
    }
}

#[test]
fn check_sweep_passes_and_reports_seeds_per_second() {
    let dir = scratch("sweep-pass");
    let summary = dir.join("summary.json");
    let out = faultline(&[
        "check",
        "scenarios/gossip/bug-volatile-store.toml",
        "--seeds",
        "0..8",
        "--jobs",
        "2",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("8 of 8 seeds run"), "{text}");
    assert!(text.contains("seeds/s"), "{text}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(v["matched"], 8);
    assert_eq!(v["outcomes"]["acked_values_survive"], 8);
    // The thread count changes nothing but the wall time.
    let one = faultline(&[
        "check",
        "scenarios/gossip/bug-volatile-store.toml",
        "--seeds",
        "0..8",
        "--jobs",
        "1",
    ]);
    assert_exit(&one, 0);
    assert_eq!(
        field(&stdout(&one), "digest"),
        Some(v["digest"].as_str().unwrap().to_string())
    );
}

#[test]
fn failing_seeds_are_written_as_replay_files_that_reproduce() {
    let dir = scratch("sweep-fail");
    let file = with_expectation(&dir, GOSSIP_ONCE, "pass");
    let out = faultline_in(
        &dir,
        &[
            "check",
            &file,
            "--seeds",
            "5..8",
            "--keep-going",
            "--no-shrink",
            "--out",
            "failures",
        ],
    );
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("3 of 3 seeds run"), "{text}");
    let stem = file.trim_end_matches(".toml");
    for seed in 5..8 {
        let replay = format!("failures/{stem}-seed-{seed}.toml");
        assert!(
            text.contains(&format!("reproduce: faultline replay {replay}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("or: faultline run {file} --seed {seed}")),
            "{text}"
        );
        // The printed command reproduces the failure and its fingerprint.
        let again = faultline_in(&dir, &["replay", &replay]);
        assert_exit(&again, 0);
        let shown = stdout(&again);
        assert_eq!(
            field(&shown, "outcome").unwrap(),
            "convergence (recorded convergence): same"
        );
        assert_eq!(
            field(&shown, "replay").unwrap(),
            "reproduced: same fingerprint and outcome"
        );
        let direct = faultline_in(&dir, &["run", &file, "--seed", &seed.to_string()]);
        assert_eq!(
            field(&stdout(&direct), "fingerprint"),
            field(&shown, "fingerprint")
        );
    }
    // Without --keep-going the sweep stops early but still writes what failed.
    let out = faultline_in(
        &dir,
        &[
            "check", &file, "--seeds", "0..50", "--jobs", "1", "--out", "stop",
        ],
    );
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("1 of 50 seeds run"),
        "{}",
        stdout(&out)
    );
    assert!(dir.join(format!("stop/{stem}-seed-0.toml")).is_file());
}

#[test]
fn failing_seeds_are_minimised_before_they_are_written() {
    let dir = scratch("sweep-minimise");
    let file = with_expectation(&dir, "scenarios/gossip/bug-volatile-store.toml", "pass");
    let out = faultline_in(
        &dir,
        &["check", &file, "--seeds", "3..4", "--out", "failures"],
    );
    assert_exit(&out, 1);
    let text = stdout(&out);
    // Six crash/restart faults go in; losing a value needs only one crash.
    assert!(text.contains("minimised: faults 6 -> 1, events "), "{text}");
    let stem = file.trim_end_matches(".toml");
    let replay = format!("failures/{stem}-seed-3.toml");
    let saved = std::fs::read_to_string(dir.join(&replay)).unwrap();
    assert_eq!(saved.matches("[[faults]]").count(), 1, "{saved}");
    assert!(saved.contains("kind = \"crash\""), "{saved}");
    assert!(
        saved.contains("max_ops = "),
        "the workload was bounded too: {saved}"
    );
    let again = faultline_in(&dir, &["replay", &replay]);
    assert_exit(&again, 0);
    assert_eq!(
        field(&stdout(&again), "outcome").unwrap(),
        "acked_values_survive (recorded acked_values_survive): same"
    );
    // The summary says how each failure was minimised.
    let out = faultline_in(
        &dir,
        &[
            "check",
            &file,
            "--seeds",
            "3..4",
            "--out",
            "again",
            "--summary-json",
            "s.json",
        ],
    );
    assert_exit(&out, 1);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("s.json")).unwrap()).unwrap();
    let minimized = summary["failures"][0]["minimized"].as_str().unwrap();
    assert!(minimized.starts_with("faults 6 -> 1"), "{minimized}");
}

#[test]
fn a_nemesis_schedule_is_saved_concretely_and_replays() {
    let dir = scratch("nemesis-replay");
    let file = with_expectation(&dir, "scenarios/pingstorm/storm.toml", "liveness");
    // Storm has no clients, so expecting liveness is a scenario error ...
    let out = faultline_in(&dir, &["check", &file, "--seeds", "0..2"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("expect = \"liveness\" needs a `liveness` bound"),
        "{}",
        stderr(&out)
    );
    // ... so expect an invariant the run cannot break instead.
    let text = std::fs::read_to_string(root().join("scenarios/gossip/nemesis.toml"))
        .unwrap()
        .replace("seed = 11", "seed = 11\nexpect = \"convergence\"");
    std::fs::write(dir.join("nemesis.toml"), text).unwrap();
    let out = faultline_in(
        &dir,
        &["check", "nemesis.toml", "--seeds", "4", "--out", "f"],
    );
    assert_exit(&out, 1);
    let replay = std::fs::read_to_string(dir.join("f/nemesis-seed-4.toml")).unwrap();
    assert!(!replay.contains("[nemesis]"), "{replay}");
    // Swarm testing's choice for this seed is recorded.
    assert!(replay.contains("swarm = \"kinds "), "{replay}");
    assert!(replay.matches("[[faults]]").count() >= 4, "{replay}");
    assert!(
        replay.contains("[replay]") && replay.contains("seed = 4"),
        "{replay}"
    );
    let again = faultline_in(&dir, &["replay", "f/nemesis-seed-4.toml"]);
    assert_exit(&again, 0);
}

#[test]
fn a_replay_that_does_not_reproduce_is_an_error() {
    let dir = scratch("replay-mismatch");
    let file = with_expectation(&dir, GOSSIP_ONCE, "pass");
    let out = faultline_in(&dir, &["check", &file, "--seeds", "2", "--out", "f"]);
    assert_exit(&out, 1);
    let path = dir.join(format!("f/{}-seed-2.toml", file.trim_end_matches(".toml")));
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("fingerprint = \"0x").unwrap() + "fingerprint = \"".len();
    let recorded = &text[start..start + 18];
    let tampered = text.replace(recorded, "0x0000000000000001");
    std::fs::write(&path, &tampered).unwrap();
    let out = faultline(&["replay", path.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(&format!(
            "fingerprint mismatch: expected 0x0000000000000001, got {recorded}"
        )),
        "{}",
        stderr(&out)
    );
    std::fs::write(
        &path,
        text.replace("outcome = \"convergence\"", "outcome = \"pass\""),
    )
    .unwrap();
    let out = faultline(&["replay", path.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("outcome mismatch: expected `pass`, got `convergence`"),
        "{}",
        stderr(&out)
    );
    let out = faultline(&["replay", BASIC]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("not a replay file"),
        "{}",
        stderr(&out)
    );
}

fn failed_seeds(summary: &serde_json::Value) -> Vec<u64> {
    summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seed"].as_u64().unwrap())
        .collect()
}

#[test]
fn shards_are_disjoint_cover_the_range_and_merge() {
    let dir = scratch("shards");
    // Every seed fails, so each shard's summary lists exactly its seeds.
    let file = with_expectation(&dir, "scenarios/gossip/bug-volatile-store.toml", "pass");
    let whole = faultline_in(
        &dir,
        &[
            "check",
            &file,
            "--seeds",
            "3..17",
            "--keep-going",
            "--no-shrink",
            "--summary-json",
            "all.json",
        ],
    );
    assert_exit(&whole, 1);
    let mut union = Vec::new();
    let mut files = Vec::new();
    for index in 0..3 {
        let name = format!("shard{index}.json");
        let shard = format!("{index}/3");
        let out = faultline_in(
            &dir,
            &[
                "check",
                &file,
                "--seeds",
                "3..17",
                "--shard",
                &shard,
                "--keep-going",
                "--no-shrink",
                "--summary-json",
                &name,
            ],
        );
        assert_exit(&out, 1);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(&name)).unwrap()).unwrap();
        let seeds = failed_seeds(&v);
        assert!(
            seeds.iter().all(|s| (s - 3) % 3 == index),
            "shard {index}: {seeds:?}"
        );
        assert_eq!(v["planned"].as_u64().unwrap(), seeds.len() as u64);
        union.extend(seeds);
        files.push(name);
    }
    let distinct: BTreeSet<u64> = union.iter().copied().collect();
    assert_eq!(distinct.len(), union.len(), "shards overlap: {union:?}");
    assert_eq!(distinct, (3..17).collect::<BTreeSet<u64>>());

    let mut args = vec!["merge-summaries"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--out", "merged.json"]);
    let merged = faultline_in(&dir, &args);
    assert_exit(&merged, 1);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("merged.json")).unwrap()).unwrap();
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("all.json")).unwrap()).unwrap();
    for key in ["planned", "run", "failed", "digest", "outcomes"] {
        assert_eq!(m[key], a[key], "{key}");
    }
    assert_eq!(failed_seeds(&m), failed_seeds(&a));

    let missing = faultline_in(&dir, &["merge-summaries", "shard0.json", "shard2.json"]);
    assert_exit(&missing, 2);
    assert!(
        stderr(&missing).contains("shards 1/3 are missing"),
        "{}",
        stderr(&missing)
    );
    let twice = faultline_in(
        &dir,
        &[
            "merge-summaries",
            "shard0.json",
            "shard0.json",
            "shard1.json",
        ],
    );
    assert_exit(&twice, 2);
    assert!(
        stderr(&twice).contains("shard 0/3 appears twice"),
        "{}",
        stderr(&twice)
    );
    let mixed = faultline_in(&dir, &["merge-summaries", "shard0.json", "all.json"]);
    assert_exit(&mixed, 2);
    assert!(
        stderr(&mixed).contains("is from another sweep"),
        "{}",
        stderr(&mixed)
    );
}

#[test]
fn check_history_verdicts_and_errors() {
    let dir = scratch("history");
    let ok = "{\"client\":0,\"input\":{\"f\":\"put\",\"key\":\"x\",\"value\":\"1\"},\"call\":0,\"outcome\":{\"ok\":\"written\"},\"ret\":10}\n\
              {\"client\":1,\"input\":{\"f\":\"get\",\"key\":\"x\"},\"call\":20,\"outcome\":{\"ok\":{\"value\":\"1\"}},\"ret\":30}\n";
    let stale = ok.replace("{\"value\":\"1\"}", "{\"value\":null}");
    std::fs::write(dir.join("ok.jsonl"), ok).unwrap();
    std::fs::write(dir.join("stale.jsonl"), stale).unwrap();
    assert_exit(
        &faultline_in(&dir, &["check-history", "ok.jsonl", "--model", "kv"]),
        0,
    );
    let out = faultline_in(&dir, &["check-history", "stale.jsonl", "--model", "kv"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).to_lowercase().contains("not linearizable"),
        "{}",
        stdout(&out)
    );
    let out = faultline_in(&dir, &["check-history", "ok.jsonl", "--model", "queue"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("unknown model `queue`"),
        "{}",
        stderr(&out)
    );
}

/// A consensus history from a Paxos run checks with --model consensus, and
/// a history that contradicts itself does not.
#[test]
fn check_history_with_the_consensus_model_reads_a_paxos_run() {
    let dir = scratch("history-consensus");
    let history = dir.join("paxos.jsonl");
    let out = faultline(&[
        "run",
        "scenarios/paxos/nemesis.toml",
        "--history",
        history.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.contains("\"f\":\"propose\""), "{text}");
    let out = faultline(&[
        "check-history",
        history.to_str().unwrap(),
        "--model",
        "consensus",
    ]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("model consensus"), "{}", stdout(&out));
    // Another client told a different decision: no longer one value.
    let first = text.lines().next().unwrap();
    let forged = first
        .replace("\"client\":", "\"client\":9")
        .replace("\"decided\":\"", "\"decided\":\"forged-");
    let bad = dir.join("forged.jsonl");
    std::fs::write(&bad, format!("{text}{forged}\n")).unwrap();
    let out = faultline(&[
        "check-history",
        bad.to_str().unwrap(),
        "--model",
        "consensus",
    ]);
    assert_exit(&out, 1);
}

/// `compare` runs several algorithms on one schedule and one workload and
/// prints one row each; scenarios that cannot share them are refused.
#[test]
fn compare_runs_scenarios_on_one_schedule() {
    let dir = scratch("compare");
    let md = dir.join("table.md");
    let out = faultline(&[
        "compare",
        "scenarios/raft/leader-crash.toml",
        "scenarios/multi-paxos/stable-leader.toml",
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("faults shared"), "{text}");
    for algorithm in ["raft", "multi-paxos"] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().nth(1) == Some(algorithm)),
            "{text}"
        );
    }
    let table = std::fs::read_to_string(&md).unwrap();
    assert!(table.contains("| scenario | algorithm |"), "{table}");
    assert!(
        table.contains("| lost | stale | sessions | linearizable |"),
        "{table}"
    );
    assert!(table.contains("made with `faultline compare"), "{table}");
    // The JSON form carries the gaps after each fault.
    let out = faultline(&[
        "compare",
        "scenarios/raft/leader-crash.toml",
        "scenarios/multi-paxos/stable-leader.toml",
        "--format",
        "json",
    ]);
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let faults = v["faults"].as_array().unwrap().len();
    assert!(faults > 0);
    for row in v["rows"].as_array().unwrap() {
        assert_eq!(row["unavailable_ms"].as_array().unwrap().len(), faults);
        // Correct consensus-backed stores lose nothing and read fresh.
        assert_eq!(row["writes_lost"], 0, "{row}");
        assert_eq!(row["stale_reads"], 0, "{row}");
        assert_eq!(row["session_violations"], 0, "{row}");
        // Reads are among the ok operations but not among the writes.
        let per_write = row["messages_per_ok_write"].as_f64().unwrap();
        assert!(
            per_write > row["messages_per_ok_op"].as_f64().unwrap(),
            "{row}"
        );
    }
    // Different families, different server counts: refused, exit 2.
    let out = faultline(&[
        "compare",
        "scenarios/raft/nemesis.toml",
        "scenarios/paxos/nemesis.toml",
    ]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("one client workload cannot drive both"),
        "{}",
        stderr(&out)
    );
    let out = faultline(&[
        "compare",
        "scenarios/raft/nemesis.toml",
        "scenarios/gossip/basic.toml",
    ]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("one fault schedule cannot serve both"),
        "{}",
        stderr(&out)
    );
}

/// Bad arguments: exit 2 and a message saying what was expected.
#[test]
fn bad_arguments_are_rejected_with_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["check", BASIC, "--seeds", "5..2"],
            "found 5..2: an empty range (the end is not after the start)",
        ),
        (&["check", BASIC, "--seeds", "5..5"], "an empty range"),
        (&["check", BASIC, "--seeds", "x..9"], "expected a seed"),
        (
            &["check", BASIC, "--seeds", "0..9", "--shard", "3/2"],
            "found 3/2: shard 3 of 2 does not exist",
        ),
        (
            &["check", BASIC, "--seeds", "0..9", "--shard", "two"],
            "expected I/N with 0 <= I < N",
        ),
        (
            &["check", BASIC, "--seeds", "0..2", "--shard", "2/3"],
            "shard 2/3 of seeds 0..2 holds no seed",
        ),
        (
            &["check", BASIC, "--seeds", "0..9", "--jobs", "0"],
            "--jobs",
        ),
        (&["check", BASIC], "--seeds <SEEDS>"),
        (
            &["run", "scenarios/nope.toml"],
            "scenarios/nope.toml: error: cannot read the file",
        ),
        (&["run", BASIC, "--seed=-3"], "expected a seed"),
        (
            &["run", BASIC, "--until", "soon"],
            "expected a duration like",
        ),
        (&["run", BASIC, "--format", "xml"], "invalid value 'xml'"),
        (&["export", BASIC, "--format", "svg"], "invalid value 'svg'"),
        (&["check-history", "nope.jsonl"], "--model <MODEL>"),
        (&["merge-summaries", "nope.json"], "cannot read nope.json"),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
    ];
    for (args, want) in cases {
        let out = faultline(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{}", stderr(&out));
        assert!(
            stderr(&out).contains(want),
            "{args:?}: want {want:?} in\n{}",
            stderr(&out)
        );
    }
}

#[test]
fn every_command_has_help() {
    for cmd in [
        "run",
        "check",
        "replay",
        "list",
        "export",
        "merge-summaries",
        "check-history",
        "compare",
    ] {
        let out = faultline(&[cmd, "--help"]);
        assert_exit(&out, 0);
        assert!(stdout(&out).contains("Usage: faultline"), "{cmd}");
    }
    let out = faultline(&["--help"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("Exit codes"), "{}", stdout(&out));
}

/// A share expectation is judged over the sweep: met, exit 0; not met,
/// exit 1, though no single seed failed.
#[test]
fn check_judges_a_share_of_seeds() {
    let dir = scratch("share");
    let text = std::fs::read_to_string("scenarios/raft/old-leader-returns.toml").unwrap();
    // Written for seed 1: on most seeds n3 does not lead and nothing is
    // overwritten.
    for (share, code, verdict) in [("50%", 0, "as expected"), ("95%", 1, "FAILED")] {
        let probe = text.replace(
            "expect = \"pass\"",
            &format!("expect = {{ outcome = \"did_not_exercise\", at_least = \"{share}\" }}"),
        );
        let file = dir.join(format!("probe-{code}.toml"));
        std::fs::write(&file, probe).unwrap();
        let out = faultline(&[
            "check",
            file.to_str().unwrap(),
            "--seeds",
            "0..40",
            "--keep-going",
            "--no-shrink",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_exit(&out, code);
        let text = stdout(&out);
        assert!(text.contains("40 as expected, 0 failed"), "{text}");
        let line = text.lines().find(|l| l.starts_with("share")).unwrap_or("");
        assert!(
            line.starts_with("share       did_not_exercise on ")
                && line.ends_with(&format!("expected at least {share}: {verdict}")),
            "{text}"
        );
    }
}

/// The replication lesson's table is what `faultline compare` prints for
/// `scenarios/compare/kill-one-server/` today: every row of a fresh run is
/// in the lesson, and the lesson has no other row. A change to an
/// algorithm that moves the numbers makes the lesson regenerate its table.
#[test]
fn the_replication_lessons_table_is_the_compare_output() {
    let dir = scratch("kill-one-server");
    let md = dir.join("table.md");
    let mut files: Vec<String> =
        std::fs::read_dir(root().join("scenarios/compare/kill-one-server"))
            .unwrap()
            .map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                format!("scenarios/compare/kill-one-server/{name}")
            })
            .collect();
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    let mut args = vec!["compare"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--markdown", md.to_str().unwrap()]);
    let out = faultline(&args);
    assert_exit(&out, 0);
    let rows = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("| scenarios/compare/kill-one-server/"))
            .map(str::to_string)
            .collect()
    };
    let fresh = rows(&std::fs::read_to_string(&md).unwrap());
    assert_eq!(fresh.len(), files.len());
    let lesson = std::fs::read_to_string(root().join("docs/lessons/replication.md")).unwrap();
    assert_eq!(
        rows(&lesson),
        fresh,
        "regenerate the table in docs/lessons/replication.md with the command above it"
    );
}

#[test]
fn tour_prints_each_step_with_the_state_of_the_run_there() {
    let out = faultline(&["tour", "scenarios/raft/initial-election.toml"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("a tour in 5 steps (seed 1)"), "{text}");
    for title in [
        "step 1/5: Five followers, no leader",
        "step 3/5: Three votes: a leader",
        "step 5/5: Clients find the leader",
    ] {
        assert!(text.contains(title), "no {title:?} in\n{text}");
    }
    // Step 3 is anchored at the first election: exactly one leader there,
    // in term 1, and the step before has none.
    let step = |n: usize| {
        let start = text.find(&format!("step {n}/5")).unwrap();
        let end = text[start + 1..]
            .find("── step")
            .map_or(text.len(), |e| start + 1 + e);
        text[start..end].to_string()
    };
    assert!(step(3).contains("roles    leader: n"), "{}", step(3));
    assert!(step(3).contains("leader     term 1"), "{}", step(3));
    assert!(!step(1).contains("leader:"), "{}", step(1));
    // Text is wrapped to the terminal width.
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");

    // Another seed: the same steps, reached or reported as not reached.
    let out = faultline(&[
        "tour",
        "scenarios/raft/initial-election.toml",
        "--seed",
        "7",
    ]);
    assert!(stdout(&out).contains("(seed 7)"));

    // The anchors a tour can use.
    let out = faultline(&["tour", "--anchors", "scenarios/raft/leader-crash.toml"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for line in [
        "reported = \"leader_elected\", node = 3",
        "fault = \"crash\"  (crash n3)",
        "delivered = \"AppendEntries\"",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }
}

#[test]
fn tour_refuses_a_file_without_a_tour_or_with_a_broken_step() {
    let out = faultline(&["tour", BASIC]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("has no [[tour]] steps"),
        "{}",
        stderr(&out)
    );
    let dir = scratch("tour");
    let text = std::fs::read_to_string(root().join("scenarios/raft/initial-election.toml"))
        .unwrap()
        .replace(
            "reported = \"leader_elected\"",
            "reported = \"leader_elected\"\nnode = 9",
        );
    std::fs::write(dir.join("bad.toml"), text).unwrap();
    let out = faultline_in(&dir, &["tour", "bad.toml"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("bad.toml:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("found node 9"), "{}", stderr(&out));
    // A step the run never reaches: at the file's seed a mistake in the
    // file (exit 2, the step's line); at another seed a run that went
    // elsewhere (exit 1, the step shown as not reached).
    let text = std::fs::read_to_string(root().join("scenarios/raft/initial-election.toml"))
        .unwrap()
        .replace(
            "delivered = \"ClientReply\"",
            "delivered = \"InstallSnapshot\"",
        );
    let line = text
        .lines()
        .position(|l| l.contains("InstallSnapshot"))
        .unwrap();
    std::fs::write(dir.join("unreached.toml"), text).unwrap();
    let out = faultline_in(&dir, &["tour", "unreached.toml"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    // The error points at the step's table, a line above its anchor.
    assert!(
        err.contains(&format!(
            "unreached.toml:{}:1: error: tour step 5",
            line - 1
        )),
        "{err}"
    );
    assert!(err.contains("when `InstallSnapshot` is delivered"), "{err}");
    let out = faultline_in(&dir, &["tour", "unreached.toml", "--seed", "2"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("not reached in this run"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn run_why_explains_a_violation_by_its_crash() {
    let out = faultline(&["run", "scenarios/bugs/gossip-volatile-store.toml", "--why"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("why         1 fault(s) in the violation's causal past:"),
        "{text}"
    );
    let after = &text[text.find("why ").unwrap()..];
    assert!(after.contains("fault: crash n0"), "{after}");
    assert!(
        after.contains("VIOLATION of acked_values_survive"),
        "{after}"
    );
    // Without a violation it says so.
    let out = faultline(&["run", BASIC, "--why"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("why         no violation in this run"));
}
