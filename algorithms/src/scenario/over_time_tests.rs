//! Checks over time, coverage requirements, role-aimed faults and the
//! checker budget: each shown to pass on the shipped scenario and to catch
//! a bug variant or a broken scenario that the older language let pass.

use super::replay::replay_text;
use super::*;
use faultline_sim::{Fault, NodeId};

fn shipped(path: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// `text` with `old` replaced once (which must be there).
fn with(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "{old:?} is not in the scenario");
    text.replacen(old, new, 1)
}

fn run(text: &str) -> RunReport {
    let scenario = Scenario::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}"));
    scenario.run_seed(scenario.seed).unwrap()
}

/// Everything from the first `[[checks.` table on removed: the same
/// scenario in the language before checks over time.
fn without_checks_over_time(text: &str) -> String {
    let start = text.find("\n[[checks.").expect("a check over time") + 1;
    // Leave out the comment lines just above it too.
    let mut lines: Vec<&str> = text[..start].lines().collect();
    while lines
        .last()
        .is_some_and(|l| l.starts_with('#') || l.is_empty())
    {
        lines.pop();
    }
    lines.join("\n") + "\n"
}

fn parse_error(text: &str) -> String {
    Scenario::parse("bad.toml", text).unwrap_err().to_string()
}

#[test]
fn rewritten_raft_scenarios_pass_their_checks_over_time() {
    for path in [
        "raft/initial-election.toml",
        "raft/minority-partition.toml",
        "raft/snapshot-install.toml",
        "raft/old-leader-returns.toml",
        "raft/pre-vote.toml",
        "raft/leader-crash.toml",
    ] {
        let text = shipped(path);
        let report = run(&text);
        assert_eq!(report.outcome(), "pass", "{path}: {:?}", report.failure);
        // Checks read the run and never change it.
        let before = run(&without_checks_over_time(&text));
        assert_eq!(report.fingerprint, before.fingerprint, "{path}");
    }
}

#[test]
fn term_stable_catches_a_returning_server_without_pre_vote() {
    let text = shipped("raft/pre-vote.toml");
    let broken = with(&text, "pre_vote = true", "pre_vote = false");
    // The old language saw nothing wrong: the run is safe and live.
    assert_eq!(run(&without_checks_over_time(&broken)).outcome(), "pass");
    let report = run(&broken);
    assert_eq!(report.outcome(), "term_stable");
    let reason = &report.failure.unwrap().reason;
    assert!(reason.starts_with("term: n0 changed from"), "{reason}");
}

#[test]
fn coverage_catches_a_snapshot_scenario_that_never_installs_one() {
    let text = shipped("raft/snapshot-install.toml");
    let broken = with(
        &text,
        "snapshot_threshold = 30",
        "snapshot_threshold = 100000",
    );
    assert_eq!(run(&without_checks_over_time(&broken)).outcome(), "pass");
    let report = run(&broken);
    assert_eq!(report.outcome(), "did_not_exercise");
    let reason = report.failure.unwrap().reason;
    assert_eq!(
        reason,
        "did not exercise `snapshot_installed`: it happened 0 times between 0s and 6s, expected at least 1"
    );
}

#[test]
fn one_leader_after_heal_catches_a_leader_that_ignores_higher_terms() {
    let text = shipped("raft/old-leader-returns.toml");
    // Without the invariants (election_safety is its usual catch) and the
    // history checks, only the check over time is left to see it.
    let bugged = with(
        &text,
        "[params]\n",
        "[params]\nbug = \"keep_leadership_on_higher_term\"\n",
    );
    let bugged = with(
        &bugged,
        "[checks]\nlinearizability = true\nliveness = \"1.5s\"\n",
        "[checks]\ninvariants = []\n",
    );
    assert_eq!(run(&without_checks_over_time(&bugged)).outcome(), "pass");
    let report = run(&bugged);
    assert_eq!(
        report.outcome(),
        "one_leader_after_heal",
        "{:?}",
        report.failure
    );
}

#[test]
fn minority_checks_fail_when_aimed_at_the_majority() {
    let text = shipped("raft/minority-partition.toml");
    let broken = with(&text, "nodes = [0, 1]\n", "nodes = [2, 3, 4]\n");
    let report = run(&broken);
    assert_eq!(report.outcome(), "minority_commits_nothing");
    let broken = with(&text, "nodes = [2, 3, 4]\ngrows", "nodes = [0, 1]\ngrows");
    let report = run(&broken);
    assert_eq!(report.outcome(), "majority_commits");
    let reason = report.failure.unwrap().reason;
    assert!(
        reason.starts_with(
            "commit_index: expected a value growing within 1s of the window opened at 1.5s"
        ),
        "{reason}"
    );
}

#[test]
fn a_crash_aimed_at_the_leader_hits_the_leader_and_replays_exactly() {
    let aimed = shipped("raft/leader-crash.toml");
    let by_id = with(&aimed, "node = \"leader\"", "node = 3");
    let by_id = with(&by_id, "node = \"crashed\"", "node = 3");
    let by_id = run(&by_id);
    let by_role = run(&aimed);
    // With seed 1, n3 leads at 2s: the same run.
    assert_eq!(by_role.outcome(), "pass", "{:?}", by_role.failure);
    assert_eq!(by_role.fingerprint, by_id.fingerprint);
    assert_eq!(by_role.faults[0].fault.to_string(), "crash n3 (the leader)");
    assert_eq!(
        by_role.faults[1].fault.to_string(),
        "restart n3 (the crashed server)"
    );
    // The replay file names the server, and replays to the same run.
    let scenario = Scenario::parse("aimed.toml", &aimed).unwrap();
    let replay = replay_text(&scenario, &by_role).unwrap();
    assert!(replay.contains("kind = \"crash\"\nnode = 3"), "{replay}");
    let again = Scenario::parse("replay.toml", &replay).unwrap();
    assert_eq!(
        again.run_seed(again.seed).unwrap().fingerprint,
        by_role.fingerprint
    );
    // On other seeds another server may lead; the crash follows it.
    for seed in 2..6 {
        let report = scenario.run_seed(seed).unwrap();
        assert_eq!(
            report.outcome(),
            "pass",
            "seed {seed}: {:?}",
            report.failure
        );
        let chosen: Vec<Option<NodeId>> = report
            .faults
            .iter()
            .map(|f| match &f.fault {
                Fault::Aimed { chosen, .. } => *chosen,
                other => panic!("an aimed fault stays aimed in the schedule: {other}"),
            })
            .collect();
        assert!(chosen[0].is_some(), "seed {seed}: a leader at 2s");
        assert_eq!(
            chosen[0], chosen[1],
            "seed {seed}: the crashed leader restarts"
        );
    }
}

#[test]
fn a_fault_aimed_at_nobody_changes_nothing_and_replays_aimed() {
    // At 0s nobody leads yet.
    let text = r#"
name = "x"
algorithm = "raft"
duration = "2s"

[[faults]]
at = "0s"
kind = "isolate"
node = "leader"
"#;
    let scenario = Scenario::parse("x.toml", text).unwrap();
    let report = scenario.run_seed(1).unwrap();
    assert_eq!(
        report.faults[0].fault.to_string(),
        "isolate aimed at the leader"
    );
    let replay = replay_text(&scenario, &report).unwrap();
    assert!(replay.contains("node = \"leader\""), "{replay}");
    let again = Scenario::parse("replay.toml", &replay).unwrap();
    assert_eq!(again.run_seed(1).unwrap().fingerprint, report.fingerprint);
}

#[test]
fn reconnect_restores_one_server_and_keeps_the_other_cut() {
    let text = r#"
name = "x"
algorithm = "raft"
servers = 5
duration = "4s"

[clients]
count = 1
rate = "20/s"

[[faults]]
at = "1s"
kind = "isolate"
node = 1

[[faults]]
at = "1s"
kind = "isolate"
node = 2

[[faults]]
at = "2s"
kind = "reconnect"
node = 1

# n1 catches up after its reconnect; n2, still cut off, cannot.
[[checks.during]]
name = "n1_catches_up"
from = "reconnect"
observe = "commit_index"
nodes = [0, 1, 3, 4]
all_equal = true
within = "500ms"

[[checks.during]]
name = "n2_stays_behind"
from = "reconnect"
observe = "commit_index"
nodes = [2]
unchanged = true
"#;
    let report = run(text);
    assert_eq!(report.outcome(), "pass", "{:?}", report.failure);
}

#[test]
fn a_small_search_budget_leaves_a_history_undecided() {
    let text = shipped("raft/initial-election.toml");
    let small = with(
        &text,
        "linearizability = true\n",
        "linearizability = true\nlinearizability_steps = 1\n",
    );
    let report = run(&small);
    assert_eq!(report.outcome(), "linearizability");
    let reason = report.failure.unwrap().reason;
    assert!(
        reason.starts_with("linearizability undecided within 1 search steps"),
        "{reason}"
    );
    assert_eq!(run(&text).linearizability.unwrap().verdict, "linearizable");
}

const BASE: &str = r#"name = "x"
algorithm = "raft"
duration = "5s"

[clients]
count = 1

[[faults]]
at = "1s"
kind = "crash"
node = 0

[checks]
"#;

#[test]
fn malformed_checks_over_time_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"leaders\"\ncount = 1\n",
            "bad.toml:16:11: error: unknown observable `leaders`; raft publishes: leader, follower, term, commit_index, last_index, client_ops_ok",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\n",
            "bad.toml:14:1: error: this check has no predicate; expected one of `count`, `at_most`, `at_least`, `all_equal`, `unchanged`, `grows`",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\nunchanged = true\nall_equal = true\n",
            "bad.toml:18:13: error: a second predicate; expected exactly one per check (write two checks)",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\ngrows = true\n",
            "bad.toml:14:1: error: `grows` needs a bound: expected `within = \"...\"` (the value must grow within it after the window opens)",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\nunchanged = true\nfrom = \"heal\"\n",
            "bad.toml:18:8: error: no `heal` fault can apply in this scenario (neither [[faults]] nor [nemesis] makes one), so this window never opens or closes there; expected a fault kind the scenario applies, or a time",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\nunchanged = true\nfrom = \"2s\"\nto = \"1s\"\n",
            "bad.toml:19:6: error: the window ends at 1s, not after it opens at 2s; expected `to` later than `from`",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\nunchanged = true\nfrom = \"soon\"\n",
            "bad.toml:18:8: error: found \"soon\"; expected a time like \"1s\", a fault kind (partition, partition_one_way, isolate, heal, reconnect, crash, restart, clock_offset, clock_drift, clock_step, link, drop_message) or \"fault\" for any fault",
        ),
        (
            "[[checks.during]]\nname = \"election_safety\"\nobserve = \"term\"\nunchanged = true\n",
            "bad.toml:15:8: error: the name `election_safety` is already an invariant of this algorithm; expected a name of its own",
        ),
        (
            "[[checks.during]]\nname = \"a\"\nobserve = \"term\"\nunchanged = true\nnodes = [3]\n",
            "bad.toml:18:10: error: node 3 is not a server (servers are n0..n2); observables are read on servers",
        ),
        (
            "[[checks.happens]]\nevent = \"snapshot_sent\"\n",
            "bad.toml:15:9: error: unknown event `snapshot_sent`; raft reports: leader_elected, snapshot_installed, snapshot_taken, entries_overwritten",
        ),
        (
            "[[checks.happens]]\nevent = \"leader_elected\"\nat_least = 0\n",
            "bad.toml:16:12: error: found 0, which any run meets; expected at least 1",
        ),
        (
            "linearizability_steps = 10\n",
            "bad.toml:14:25: error: a search budget without the search; expected `linearizability = true` beside it",
        ),
    ];
    let mut wrong = Vec::new();
    for (checks, expected) in cases {
        let got = parse_error(&format!("{BASE}{checks}"));
        if got != *expected {
            wrong.push(format!("{checks}\n  got:  {got}\n  want: {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn malformed_role_faults_are_located() {
    let base = "name = \"x\"\nalgorithm = \"raft\"\n\n[[faults]]\nat = \"1s\"\n";
    let cases: &[(&str, &str)] = &[
        (
            "kind = \"crash\"\nnode = \"boss\"\n",
            "bad.toml:7:8: error: found \"boss\"; expected a node id like 2 or \"n2\", or a role (this algorithm's roles are: leader, follower)",
        ),
        (
            "kind = \"restart\"\nnode = \"leader\"\n",
            "bad.toml:7:8: error: found the role \"leader\"; a `restart` takes a node id, or \"crashed\" for the crashed server with the lowest id (a crashed server holds no role)",
        ),
        (
            "kind = \"isolate\"\nnode = \"crashed\"\n",
            "bad.toml:7:8: error: \"crashed\" names a down server, which only a `restart` can aim at; expected a node id or a role",
        ),
    ];
    for (fault, expected) in cases {
        let text = format!("{base}{fault}");
        assert_eq!(&parse_error(&text), expected, "{fault}");
    }
    let gossip = "name = \"x\"\nalgorithm = \"gossip\"\n\n[[faults]]\nat = \"1s\"\nkind = \"crash\"\nnode = \"leader\"\n";
    assert_eq!(
        parse_error(gossip),
        "bad.toml:7:8: error: found \"leader\"; expected a node id like 2 or \"n2\", or a role (this algorithm publishes no roles)"
    );
}

#[test]
fn a_share_expectation_accepts_either_outcome_per_run_and_judges_the_sweep() {
    let text = shipped("raft/pre-vote.toml");
    let probe = with(&text, "pre_vote = true", "pre_vote = false");
    let probe = with(
        &probe,
        "expect = \"pass\"",
        "expect = { outcome = \"term_stable\", at_least = \"75%\" }",
    );
    let scenario = Scenario::parse("probe.toml", &probe).unwrap();
    let mut hits = 0;
    for seed in 1..9 {
        let report = scenario.run_seed(seed).unwrap();
        assert!(
            report.matches(&scenario.expect),
            "seed {seed}: {}",
            report.outcome()
        );
        hits += u64::from(report.outcome() == "term_stable");
    }
    assert!(scenario.expect.share_met(hits, 8), "{hits} of 8");
    assert!(!scenario.expect.share_met(5, 8));
    assert_eq!(
        scenario.expect.describe(),
        "term_stable on at least 75% of seeds"
    );
    let bad = with(&probe, "\"75%\"", "\"75\"");
    assert!(
        parse_error(&bad).contains("expected a share of seeds like \"50%\""),
        "{}",
        parse_error(&bad)
    );
}

#[test]
fn the_nemesis_can_aim_at_the_leader() {
    let text = r#"
name = "x"
algorithm = "raft"
servers = 5
duration = "10s"

[clients]
count = 2
rate = "20/s"

[nemesis]
kinds = ["crash_leader", "isolate_leader"]
start = "1s"
stop = "8s"
interval = "800ms"
min_duration = "300ms"
max_duration = "800ms"

[checks]
linearizability = true
liveness = "1s"

[[checks.happens]]
event = "leader_elected"
from = "crash"
for = "1s"
"#;
    let scenario = Scenario::parse("x.toml", text).unwrap();
    for seed in 0..5 {
        let report = scenario.run_seed(seed).unwrap();
        assert_eq!(
            report.outcome(),
            "pass",
            "seed {seed}: {:?}",
            report.failure
        );
        let mut crashed = None;
        for f in &report.faults {
            match &f.fault {
                Fault::Aimed {
                    role,
                    chosen,
                    action,
                } if role == "leader" => {
                    assert!(chosen.is_some(), "seed {seed}: a leader at {}", f.at);
                    if matches!(**action, Fault::Crash { .. }) {
                        crashed = *chosen;
                    }
                }
                Fault::Aimed { chosen, .. } => {
                    assert_eq!(*chosen, crashed, "seed {seed}: the crashed leader restarts");
                }
                Fault::Heal => {}
                other => panic!("unexpected {other}"),
            }
        }
    }
    let gossip = "name = \"x\"\nalgorithm = \"gossip\"\n[nemesis]\nkinds = [\"crash_leader\"]\n";
    assert_eq!(
        parse_error(gossip),
        "bad.toml:4:10: error: nemesis kind `crash_leader` aims at the leader, but this algorithm publishes no `leader` role; expected a kind that draws its server"
    );
}

#[test]
fn a_failing_check_over_time_shrinks_and_replays() {
    // Without pre-vote the isolated follower's term moves: the sweep's
    // shrinker drops the heal that a window is anchored on, and the
    // shrunk file must still load and fail the same way.
    let text = shipped("raft/pre-vote.toml");
    let broken = with(&text, "pre_vote = true", "pre_vote = false");
    let broken = with(
        &broken,
        "[[checks.during]]\nname = \"term_stable\"",
        "[[checks.during]]\nname = \"leader_after_heal\"\nfrom = \"heal\"\nobserve = \"leader\"\ncount = 1\nwithin = \"1s\"\n\n[[checks.during]]\nname = \"term_stable\"",
    );
    let scenario = Scenario::parse("broken.toml", &broken).unwrap();
    let failing = scenario.run_seed(1).unwrap();
    assert_eq!(failing.outcome(), "term_stable");
    let m = scenario.minimize(&failing, 100).expect("it shrinks");
    assert_eq!(m.report.outcome(), "term_stable");
    assert!(
        m.report.faults.iter().all(|f| f.fault != Fault::Heal),
        "the heal is not needed: {:?}",
        m.report.faults
    );
    let replay = replay_text(&m.scenario, &m.report).unwrap();
    let again = Scenario::parse("replay.toml", &replay).unwrap();
    let report = again.run_seed(again.seed).unwrap();
    assert_eq!(report.fingerprint, m.report.fingerprint);
    assert_eq!(report.outcome(), "term_stable");
}
