//! The weak checks (`durability`, `sessions`, `stale_reads`) in scenarios:
//! parsing, outcomes, planted bugs they catch and correct runs they pass.

use super::outcome::RunReport;
use super::{Scenario, StaleBound};
use faultline_checker::weak::Guarantee;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// `text` with `lines` added to its `[checks]` table (made if missing).
fn with_checks(text: &str, lines: &str) -> String {
    let lines: String = lines
        .lines()
        .filter(|l| {
            let key = l.split(' ').next().unwrap_or("");
            !text.lines().any(|t| t.starts_with(&format!("{key} ")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let lines = lines.trim_end();
    match text.find("\n[checks]\n") {
        Some(at) => {
            let end = at + "\n[checks]\n".len();
            format!("{}{lines}\n{}", &text[..end], &text[end..])
        }
        None => format!("{text}\n[checks]\n{lines}\n"),
    }
}

fn run_file(path: &str, lines: &str) -> RunReport {
    run_file_seed(path, lines, None)
}

fn run_file_seed(path: &str, lines: &str, seed: Option<u64>) -> RunReport {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let text = with_checks(&text, lines);
    let scenario = Scenario::parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
    scenario.run_seed(seed.unwrap_or(scenario.seed)).unwrap()
}

fn parse_error(text: &str) -> String {
    Scenario::parse("bad.toml", text).unwrap_err().to_string()
}

const KV: &str = "name = \"t\"\nalgorithm = \"raft\"\nservers = 3\nduration = \"1s\"\n\n[clients]\ncount = 2\n\n[checks]\n";

#[test]
fn weak_check_keys_are_read_and_checked_where_they_are() {
    let ok = Scenario::parse(
        "ok.toml",
        &format!("{KV}durability = true\nsessions = [\"monotonic-reads\", \"read-your-writes\", \"monotonic-reads\"]\nstale_reads = {{ max_versions = 2, max_age = \"50ms\" }}\n"),
    )
    .unwrap();
    assert!(ok.checks.durability);
    assert_eq!(
        ok.checks.sessions,
        vec![Guarantee::MonotonicReads, Guarantee::ReadYourWrites]
    );
    assert_eq!(
        ok.checks.stale_reads,
        Some(StaleBound {
            max_versions: 2,
            max_age: Some(std::time::Duration::from_millis(50))
        })
    );
    let all = Scenario::parse(
        "ok.toml",
        &format!("{KV}sessions = true\nstale_reads = true\n"),
    )
    .unwrap();
    assert_eq!(all.checks.sessions, Guarantee::ALL.to_vec());
    assert_eq!(all.checks.stale_reads, Some(StaleBound::default()));
    let off = Scenario::parse(
        "ok.toml",
        &format!("{KV}durability = false\nsessions = false\nstale_reads = false\n"),
    )
    .unwrap();
    assert!(!off.checks.weak());

    let cases: &[(&str, &str)] = &[
        (
            "sessions = [\"causal\"]\n",
            "bad.toml:10:13: error: unknown session guarantee `causal`; expected one of: read-your-writes, monotonic-reads, writes-follow-reads, monotonic-writes",
        ),
        (
            "sessions = []\n",
            "bad.toml:10:12: error: an empty list of session guarantees; expected some of read-your-writes, monotonic-reads, writes-follow-reads, monotonic-writes (or `sessions = true` for all)",
        ),
        (
            "sessions = 3\n",
            "bad.toml:10:12: error: found the integer 3, expected true, false, or a list of guarantees like [\"read-your-writes\", \"monotonic-reads\"]",
        ),
        (
            "stale_reads = { max_version = 1 }\n",
            "bad.toml:10:17: error: unknown field `max_version`, expected `max_versions` or `max_age`",
        ),
        (
            "stale_reads = { max_age = \"0s\" }\n",
            "bad.toml:10:27: error: found a max_age of 0s; expected a duration above zero (leave it out to bound versions only)",
        ),
        (
            "stale_reads = { max_age = \"soon\" }\n",
            "bad.toml:10:27: error: ",
        ),
        (
            "durability = \"yes\"\n",
            "bad.toml:10:14: error: found the string \"yes\", expected true or false",
        ),
    ];
    let mut wrong = Vec::new();
    for (checks, expected) in cases {
        let got = parse_error(&format!("{KV}{checks}"));
        if !got.starts_with(expected) {
            wrong.push(format!("{checks}\n  got:  {got}\n  want: {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn weak_checks_need_kv_clients_and_name_their_outcomes() {
    let paxos = "name = \"t\"\nalgorithm = \"paxos\"\nservers = 3\n\n[clients]\ncount = 2\n\n[checks]\ndurability = true\n";
    let got = parse_error(paxos);
    assert!(
        got.starts_with("bad.toml:9:14: error: durability judges key-value histories, but paxos's clients use the `consensus` family"),
        "{got}"
    );
    let no_clients =
        "name = \"t\"\nalgorithm = \"raft\"\nservers = 3\n\n[checks]\nstale_reads = true\n";
    assert_eq!(
        parse_error(no_clients),
        "bad.toml:6:15: error: stale_reads checks the clients' history, but this scenario has no clients; expected a [clients] section"
    );
    let expect = format!("{KV}linearizability = true\n")
        .replace("name = \"t\"\n", "name = \"t\"\nexpect = \"sessions\"\n");
    let got = parse_error(&expect);
    assert!(
        got.ends_with("error: expect = \"sessions\" needs `sessions` in [checks]"),
        "{got}"
    );
    let named = format!(
        "{KV}[[checks.during]]\nname = \"durability\"\nobserve = \"term\"\nunchanged = true\n"
    );
    let got = parse_error(&named);
    assert!(
        got.contains("the name `durability` is already an outcome of its own"),
        "{got}"
    );
}

#[test]
fn lost_appends_fail_durability_and_every_session_guarantee() {
    let r = run_file("scenarios/hashing/weak-lost-appends.toml", "");
    assert_eq!(r.outcome(), "durability");
    let reason = &r.failure.as_ref().unwrap().reason;
    assert!(reason.contains("is missing from the last read"), "{reason}");
    let w = r.weak.as_ref().unwrap();
    assert!(!w.durability.lost.is_empty());
    for g in Guarantee::ALL {
        assert!(w.sessions.count(g) > 0, "{g}: {:?}", w.sessions);
    }
    assert!(w.staleness.max_versions > 0);
    // Without the bug, with the same workload and schedule: nothing lost.
    let text = std::fs::read_to_string(root().join("scenarios/hashing/weak-lost-appends.toml"))
        .unwrap()
        .replace("bug = \"delete_before_confirm\"\n", "")
        .replace("expect = \"durability\"", "expect = \"pass\"");
    let fixed = Scenario::parse("fixed.toml", &text).unwrap();
    let r = fixed.run_seed(fixed.seed).unwrap();
    assert_eq!(r.outcome(), "pass", "{:?}", r.failure);
}

#[test]
fn a_reset_key_fails_the_selected_session_guarantees() {
    let r = run_file("scenarios/hashing/weak-sessions.toml", "");
    assert_eq!(r.outcome(), "sessions");
    let reason = &r.failure.as_ref().unwrap().reason;
    assert!(
        reason.contains("read-your-writes: client") || reason.contains("monotonic-reads: client"),
        "{reason}"
    );
}

#[test]
fn a_deposed_leaders_reads_are_stale_but_keep_sessions() {
    let r = run_file("scenarios/raft/weak-stale-reads.toml", "");
    assert_eq!(r.outcome(), "stale_reads");
    let w = r.weak.as_ref().unwrap();
    assert!(w.sessions.violations.is_empty());
    assert!(w.staleness.stale.len() > 10, "{}", w.staleness.summary());
    assert!(w.staleness.max_versions >= 3, "{}", w.staleness.summary());
    // Bounds loose enough for this run let it pass.
    let loose = run_file_with_text("scenarios/raft/weak-stale-reads.toml", |t| {
        t.replace("{ max_versions = 0 }", "{ max_versions = 6 }")
            .replace("expect = \"stale_reads\"", "expect = \"pass\"")
    });
    assert_eq!(loose.outcome(), "pass", "{:?}", loose.failure);
    let tight_age = run_file_with_text("scenarios/raft/weak-stale-reads.toml", |t| {
        t.replace(
            "{ max_versions = 0 }",
            "{ max_versions = 6, max_age = \"100ms\" }",
        )
    });
    assert_eq!(tight_age.outcome(), "stale_reads");
}

/// Correct runs of every reading kv algorithm pass all three checks.
#[test]
fn correct_runs_pass_the_weak_checks() {
    for path in [
        "scenarios/raft/nemesis.toml",
        "scenarios/multi-paxos/nemesis.toml",
        "scenarios/hashing/crash-r3.toml",
    ] {
        let r = run_file(
            path,
            "durability = true\nsessions = true\nstale_reads = true",
        );
        assert_eq!(r.outcome(), "pass", "{path}: {:?}", r.failure);
        let w = r.weak.as_ref().unwrap();
        assert!(
            w.durability.judged > 50,
            "{path}: {}",
            w.durability.summary()
        );
        assert!(w.staleness.reads > 50, "{path}: {}", w.staleness.summary());
    }
    let fixed = run_file_with_text("scenarios/raft/weak-stale-reads.toml", |t| {
        t.replace("bug = \"local_reads\"\n", "")
            .replace("expect = \"stale_reads\"", "expect = \"pass\"")
    });
    assert_eq!(fixed.outcome(), "pass", "{:?}", fixed.failure);
}

fn run_file_with_text(path: &str, edit: impl Fn(&str) -> String) -> RunReport {
    let text = edit(&std::fs::read_to_string(root().join(path)).unwrap());
    let scenario = Scenario::parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
    scenario.run_seed(scenario.seed).unwrap()
}

#[test]
fn compare_counts_lost_writes_stale_reads_and_session_violations() {
    let path = "scenarios/hashing/weak-lost-appends.toml";
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let buggy = Scenario::parse(path, &text).unwrap();
    let fixed = Scenario::parse(
        "fixed.toml",
        &text
            .replace("bug = \"delete_before_confirm\"\n", "")
            .replace("expect = \"durability\"", "expect = \"pass\""),
    )
    .unwrap();
    let rows = super::compare::compare(&[buggy, fixed], 2, None).unwrap();
    assert!(rows[0].writes_lost.unwrap() > 0, "{:?}", rows[0]);
    assert!(rows[0].stale_reads.unwrap() > 0, "{:?}", rows[0]);
    assert!(rows[0].session_violations.unwrap() > 0, "{:?}", rows[0]);
    assert_eq!(
        (
            rows[1].writes_lost,
            rows[1].stale_reads,
            rows[1].session_violations
        ),
        (Some(0), Some(0), Some(0)),
        "{:?}",
        rows[1]
    );
    let table = super::compare::table(&rows, false);
    assert!(
        table
            .lines()
            .next()
            .unwrap()
            .ends_with("lost  stale  sessions  linearizable"),
        "{table}"
    );
}

/// Convergence after faults, from the servers' side: gossip's `digest`
/// observable and a check over time with `all_equal` (docs/checkers.md).
#[test]
fn replicas_converge_after_the_heal_and_gossip_once_does_not() {
    let r = run_file("scenarios/gossip/converge-after-heal.toml", "");
    assert_eq!(r.outcome(), "pass", "{:?}", r.failure);
    let buggy = run_file_with_text("scenarios/gossip/converge-after-heal.toml", |t| {
        t.replace(
            "client_timeout = \"200ms\"\n",
            "client_timeout = \"200ms\"\nbug = \"gossip_once\"\n",
        )
    });
    assert_eq!(buggy.outcome(), "replicas_converge", "{:?}", buggy.failure);
}

/// The cost of the weak checkers on large histories, against the
/// linearizability checker's: 5 servers, 3 clients, 60 s under a random
/// nemesis (the setting of `benches/raft.rs`). Run with
/// `cargo test --release -p faultline-algorithms --lib weak_tests::cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn cost_on_large_histories() {
    use std::time::Instant;
    for (algorithm, mix) in [
        ("raft", "{ get = 3, put = 1, append = 2, cas = 1 }"),
        ("multi-paxos", "{ get = 3, put = 1, append = 2, cas = 1 }"),
        ("raft", "{ get = 1, append = 1 }"),
    ] {
        let text = format!(
            "name = \"cost\"\nalgorithm = \"{algorithm}\"\nservers = 5\nduration = \"60s\"\n\n\
             [clients]\ncount = 3\nrate = \"50/s\"\nkeys = 3\nmix = {mix}\n\n\
             [nemesis]\nkinds = [\"crash\", \"isolate\", \"partition\", \"partition_one_way\", \"clock_drift\"]\n\
             start = \"500ms\"\nstop = \"55s\"\ninterval = \"1s\"\nmin_duration = \"50ms\"\nmax_duration = \"1.5s\"\nmax_drift_ppm = 20000\n"
        );
        let scenario = Scenario::parse("cost.toml", &text).unwrap();
        for seed in 0..3 {
            let mut config = scenario.world_config(seed, faultline_sim::TraceMode::Fingerprint);
            config.snapshot_every = 0;
            let mut handle = scenario.build_with(config).unwrap();
            handle.run();
            let started = Instant::now();
            let lin = handle.check_history(faultline_checker::Budget::steps(20_000_000));
            let lin_s = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let history = super::outcome::kv_history(handle.as_ref()).unwrap();
            let convert_s = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let analysis = faultline_checker::weak::Analysis::new(&history);
            let split_s = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let weak = faultline_checker::weak::check_weak(&history);
            let weak_s = started.elapsed().as_secs_f64();
            drop(analysis);
            let time = |f: &dyn Fn()| {
                let started = Instant::now();
                f();
                started.elapsed().as_secs_f64() * 1e3
            };
            let each = (
                time(&|| drop(faultline_checker::weak::lost_writes(&history))),
                time(&|| drop(faultline_checker::weak::session_violations(&history))),
                time(&|| drop(faultline_checker::weak::stale_reads(&history))),
            );
            let longest = history
                .iter()
                .filter_map(|o| match o.outcome.output() {
                    Some(faultline_checker::KvOutput::Value(Some(v))) => Some(v.len()),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            println!(
                "{algorithm} {mix} seed {seed}: {} ops, longest value {longest} B; linearizability {:?} {:.1} ms; history from JSON {:.1} ms; splitting values {:.1} ms; all three weak checks {:.1} ms ({} lost, {} session violations, {} stale); alone, splitting included: durability {:.1} ms, sessions {:.1} ms, stale reads {:.1} ms",
                history.len(),
                lin.verdict,
                lin_s * 1e3,
                convert_s * 1e3,
                split_s * 1e3,
                weak_s * 1e3,
                weak.durability.lost.len(),
                weak.sessions.violations.len(),
                weak.staleness.stale.len(),
                each.0,
                each.1,
                each.2
            );
        }
    }
}
