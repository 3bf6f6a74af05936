//! `faultline explore` from the outside: every shipped file in
//! `scenarios/explore/` gives its expected outcome (the bug variants'
//! violations found, the correct configurations explored without one), on
//! one thread and on two with identical counts and paths; every
//! counterexample's replay file reproduces its violation through `faultline
//! replay`; and bad `[explore]` tables are refused at their line.

mod common;

use common::{assert_exit, faultline, root, scratch, stderr, stdout};
use faultline_algorithms::scenario::{Scenario, scenario_files};
use std::path::Path;

fn explore(file: &str, threads: &str, out: &Path) -> (serde_json::Value, Option<i32>) {
    let o = faultline(&[
        "explore",
        file,
        "-j",
        threads,
        "--format",
        "json",
        "--out",
        &out.display().to_string(),
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{file}: {e}\n{}", stderr(&o)));
    (v, o.status.code())
}

/// The fields that must not depend on the thread count.
fn deterministic(v: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "states": v["states"],
        "transitions": v["transitions"],
        "depth": v["depth"],
        "verdict": v["verdict"],
        "fingerprint": v["fingerprint"],
    })
}

#[test]
fn every_shipped_search_gives_its_expected_outcome_on_any_thread_count() {
    let dir = root().join("scenarios/explore");
    let searches: Vec<String> = scenario_files(&dir)
        .into_iter()
        .filter(|p| {
            Scenario::load(p)
                .unwrap_or_else(|e| panic!("{e}"))
                .is_search()
        })
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(searches.len() >= 2, "{searches:?}");
    let out = scratch("explore-shipped");
    let mut found = 0;
    let mut clean = 0;
    for (i, file) in searches.iter().enumerate() {
        let replay = out.join(format!("{i}.toml"));
        let (one, code) = explore(file, "1", &replay);
        assert_eq!(one["matched"], true, "{file}: {}", one["summary"]);
        assert_eq!(code, Some(0), "{file}");
        let (two, _) = explore(file, "2", &replay);
        assert_eq!(
            deterministic(&one),
            deterministic(&two),
            "{file}: one thread and two disagree"
        );
        if one["verdict"]["verdict"] == "violation" {
            found += 1;
            // The counterexample replays to the same violation.
            let r = faultline(&["replay", &replay.display().to_string()]);
            assert_exit(&r, 0);
            let text = std::fs::read_to_string(&replay).unwrap();
            let scenario = Scenario::parse("replay", &text).unwrap();
            let info = scenario.replay.expect("a replay file");
            assert_eq!(
                info.outcome, one["verdict"]["violation"]["invariant"],
                "{file}"
            );
            assert_eq!(
                info.steps.as_ref().map(Vec::len),
                one["steps"].as_array().map(Vec::len),
                "{file}"
            );
        } else {
            clean += 1;
        }
    }
    assert!(found >= 1 && clean >= 1, "{found} found, {clean} clean");
}

#[test]
fn the_forgotten_vote_is_found_without_a_script_and_not_without_the_bug() {
    let out = scratch("explore-forget-vote");
    let (bug, code) = explore(
        "scenarios/explore/raft-forget-vote.toml",
        "2",
        &out.join("path.toml"),
    );
    assert_eq!(code, Some(0));
    assert_eq!(bug["verdict"]["violation"]["invariant"], "election_safety");
    let steps: Vec<&str> = bug["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps.contains(&"crash n1") && steps.contains(&"restart n1"),
        "{steps:?}"
    );
    // Shortest: breadth-first, so nothing shorter exists within the budgets.
    assert_eq!(steps.len(), 8, "{steps:?}");
    let (ok, code) = explore(
        "scenarios/explore/raft-forget-vote-ok.toml",
        "2",
        &out.join("none.toml"),
    );
    assert_eq!(code, Some(0));
    assert_eq!(ok["verdict"]["verdict"], "clean", "{}", ok["summary"]);
    // To the same depth as the bug's path: the bound is stated, not hit early.
    assert_eq!(ok["depth"], 8);
    assert!(
        !out.join("none.toml").exists(),
        "no violation, no replay file"
    );
}

#[test]
fn the_shipped_path_replays_and_a_search_file_is_not_run_with_a_seed() {
    let r = faultline(&["replay", "scenarios/explore/raft-forget-vote-path.toml"]);
    assert_exit(&r, 0);
    let run = faultline(&["run", "scenarios/explore/raft-forget-vote.toml"]);
    assert_exit(&run, 2);
    assert!(
        stderr(&run).contains("faultline explore scenarios/explore/raft-forget-vote.toml"),
        "{}",
        stderr(&run)
    );
    let not = faultline(&["explore", "scenarios/raft/leader-crash.toml"]);
    assert_exit(&not, 2);
    assert!(
        stderr(&not).contains("no [explore] table"),
        "{}",
        stderr(&not)
    );
}

#[test]
fn a_search_that_misses_its_expectation_exits_one() {
    // The correct Raft, expected to fail: the search finds nothing.
    let dir = scratch("explore-wrong-expect");
    let file = dir.join("wrong.toml");
    std::fs::write(
        &file,
        "name = \"x\"\nalgorithm = \"raft\"\nservers = 3\nexpect = \"election_safety\"\n\n[explore]\nmax_depth = 4\n",
    )
    .unwrap();
    let o = faultline(&["explore", &file.display().to_string()]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("NOT matched"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("not exhaustive beyond it"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_explore_tables_are_refused_at_their_line() {
    let dir = scratch("explore-bad");
    let cases: &[(&str, &str, &str)] = &[
        (
            "[explore]\nstrategy = \"sideways\"\n",
            ":7:",
            "expected \"bfs\", \"dfs\", \"random\", \"swarm\" or \"novelty\"",
        ),
        ("[explore]\nmax_depth = 0\n", ":7:", "expected 1 to"),
        (
            "[explore]\nwalks = 10\n",
            ":7:",
            "read only by strategy = \"random\"",
        ),
        (
            "[explore]\ncrashes = \"one\"\n",
            ":7:",
            "expected a whole number",
        ),
        ("[explore]\ndepth = 3\n", ":7:", "unknown field `depth`"),
        (
            "[explore]\n\n[[faults]]\nat = \"1s\"\nkind = \"heal\"\n",
            ":8:",
            "no [[faults]]",
        ),
        (
            "[explore]\n\n[network]\nloss = 0.1\n",
            ":6:",
            "no [network] table",
        ),
        (
            "[explore]\n\n[checks]\nliveness = \"1s\"\n",
            ":9:",
            "exploration checks safety only",
        ),
        (
            "[explore]\noperations = 2\n",
            ":7:",
            "operations need clients",
        ),
        (
            "[replay]\nfingerprint = \"0x1\"\noutcome = \"pass\"\nsteps = [{ step = \"heal\" }]\n",
            ":9:",
            "expected an [explore] table",
        ),
        (
            "[explore]\n\n[replay]\nfingerprint = \"0x1\"\noutcome = \"pass\"\nsteps = [{ step = \"fly\" }]\n",
            ":11:",
            "unknown variant `fly`",
        ),
    ];
    for (i, (tail, line, message)) in cases.iter().enumerate() {
        let file = dir.join(format!("bad{i}.toml"));
        let text = format!("name = \"bad\"\nalgorithm = \"raft\"\nservers = 3\n\n\n{tail}");
        std::fs::write(&file, &text).unwrap();
        let o = faultline(&["explore", &file.display().to_string()]);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("bad{i}.toml{line}")) && err.contains(message),
            "case {i} ({tail:?}): expected {line} and {message:?}, got: {err}"
        );
    }
}

#[test]
fn a_replayed_step_that_cannot_be_taken_is_reported() {
    let text = std::fs::read_to_string(root().join("scenarios/explore/raft-forget-vote-path.toml"))
        .unwrap()
        .replace(
            "{ step = \"crash\", node = 1 }",
            "{ step = \"crash\", node = 7 }",
        );
    let dir = scratch("explore-bad-step");
    let file = dir.join("bad-step.toml");
    std::fs::write(&file, text).unwrap();
    let o = faultline(&["replay", &file.display().to_string()]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains("step 5 of the replay (crash n7) cannot be taken: n7 is not a server"),
        "{out}{}",
        stderr(&o)
    );
}
