//! Guided tours: every shipped tour reaches each of its steps; anchors
//! resolve where the run says; bad steps are refused at their place.

use super::tour::{Anchor, Unreached};
use super::*;

fn scenarios_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

const RAFT: &str = r#"
name = "t"
algorithm = "raft"
servers = 3
duration = "3s"
seed = 1

[[faults]]
at = "1s"
kind = "crash"
node = "leader"
"#;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse("tour.toml", text)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn every_shipped_tour_reaches_each_of_its_steps() {
    let mut toured = 0;
    for file in scenario_files(&scenarios_dir()) {
        let s = Scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        if s.tour.steps.is_empty() {
            continue;
        }
        toured += 1;
        let anchors = s.tour_anchors().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(anchors.len(), s.tour.steps.len());
        assert!(
            anchors.windows(2).all(|w| w[0] <= w[1]),
            "{}",
            file.display()
        );
    }
    assert!(toured >= 10, "only {toured} scenarios carry a tour");
}

#[test]
fn conditions_resolve_in_order_and_a_second_one_finds_the_next_occurrence() {
    let text = format!(
        "{RAFT}
[[tour]]
title = \"first leader\"
text = \"x\"
reported = \"leader_elected\"

[[tour]]
title = \"the crash\"
text = \"x\"
fault = \"crash\"

[[tour]]
title = \"second leader\"
text = \"x\"
reported = \"leader_elected\"
"
    );
    let s = parse(&text).unwrap();
    let mut run = s.build(s.seed, faultline_sim::TraceMode::Full).unwrap();
    run.run();
    let anchors = s.tour_anchors().unwrap();
    let elections: Vec<u64> = run
        .reports()
        .iter()
        .filter(|r| r.name == "leader_elected")
        .map(|r| r.event + 1)
        .collect();
    let crash = run
        .records()
        .iter()
        .find(|r| matches!(&r.kind, faultline_sim::RecordKind::Fault { fault, effective: true } if fault.kind_name() == "crash"))
        .map(|r| r.event + 1)
        .unwrap();
    assert_eq!(anchors[0], elections[0]);
    assert_eq!(anchors[1], crash);
    let next = *elections.iter().find(|&&e| e > crash).unwrap();
    assert_eq!(anchors[2], next);
}

#[test]
fn time_event_and_delivery_anchors_land_where_the_trace_says() {
    let text = format!(
        "{RAFT}
[[tour]]
title = \"fifty milliseconds\"
text = \"x\"
at = \"50ms\"

[[tour]]
title = \"a vote request at n0\"
text = \"x\"
delivered = \"RequestVote\"
node = 0

[[tour]]
title = \"event 200\"
text = \"x\"
at_event = 200
"
    );
    let s = parse(&text).unwrap();
    let anchors = s.tour_anchors().unwrap();
    let mut run = s.build(s.seed, faultline_sim::TraceMode::Full).unwrap();
    run.run();
    let records = run.records();
    // After every event at or before 500ms, and not one more.
    let t = faultline_sim::SimTime::from_duration(std::time::Duration::from_millis(50));
    let last = records
        .iter()
        .filter(|r| r.time <= t)
        .map(|r| r.event)
        .max()
        .unwrap();
    assert_eq!(anchors[0], last + 1);
    assert!(records.iter().any(|r| r.event == last + 1 && r.time > t));
    let vote = records
        .iter()
        .find(|r| {
            r.event >= anchors[0]
                && matches!(r.kind, faultline_sim::RecordKind::Deliver { msg, to, .. }
                    if to == faultline_sim::NodeId(0)
                    && run.describe_message(msg).unwrap().starts_with("RequestVote {"))
        })
        .unwrap();
    assert_eq!(anchors[1], vote.event + 1);
    // The first vote request went to another server: `node` skipped it.
    let first = records
        .iter()
        .find(|r| {
            matches!(r.kind, faultline_sim::RecordKind::Deliver { msg, .. }
            if run.describe_message(msg).unwrap().starts_with("RequestVote {"))
        })
        .unwrap();
    assert!(first.event < vote.event);
    assert_eq!(anchors[2], 200);
}

/// The Raft scenario with a tour of `steps`, each `(title, anchor line)`.
fn toured(steps: &[(&str, &str)]) -> String {
    let mut text = RAFT.to_string();
    for (title, anchor) in steps {
        text.push_str(&format!(
            "\n[[tour]]\ntitle = \"{title}\"\ntext = \"x\"\n{anchor}\n"
        ));
    }
    text
}

/// The error `tour_anchors` gives for `text`.
fn unreached(text: &str) -> String {
    parse(text).unwrap().tour_anchors().unwrap_err().to_string()
}

#[test]
fn a_step_the_run_never_reaches_is_an_error_at_its_line() {
    // Past the end of the run.
    let e = unreached(&toured(&[("far away", "at_event = 99999999")]));
    assert!(e.starts_with("tour.toml:13:"), "{e}");
    assert!(
        e.contains("never reached") && e.contains("after event 99999999"),
        "{e}"
    );
    // A condition that does not happen after the step before it: only one
    // crash in the run.
    let e = unreached(&toured(&[
        ("a", "fault = \"crash\""),
        ("b", "fault = \"crash\""),
    ]));
    assert!(e.starts_with("tour.toml:18:"), "{e}");
    assert!(
        e.contains("tour step 2") && e.contains("after the previous step"),
        "{e}"
    );
    // A time anchor before the step ahead of it.
    let text = toured(&[("a", "fault = \"crash\""), ("b", "at = \"100ms\"")]);
    let e = unreached(&text);
    assert!(e.contains("before the previous step"), "{e}");
    let s = parse(&text).unwrap();
    let mut run = s.build(s.seed, faultline_sim::TraceMode::Full).unwrap();
    run.run();
    assert!(matches!(
        s.tour.resolve(run.as_ref())[1],
        Err(Unreached::BeforePrevious { .. })
    ));
}

#[test]
fn a_fails_anchor_lands_on_the_violation() {
    let file = scenarios_dir().join("bugs/raft-forget-vote.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let text = format!(
        "{text}
[[tour]]
title = \"two leaders\"
text = \"x\"
fails = \"election_safety\"
"
    );
    let s = parse(&text).unwrap();
    assert_eq!(
        s.tour.steps[0].anchor,
        Anchor::Fails("election_safety".into())
    );
    let mut run = s.build(s.seed, faultline_sim::TraceMode::Full).unwrap();
    run.run();
    let faultline_sim::RunStatus::Violated(v) = run.status() else {
        panic!("the bug file violates");
    };
    assert_eq!(s.tour_anchors().unwrap(), vec![v.event]);
}

#[test]
fn bad_tour_steps_are_refused_at_their_place() {
    let step = |body: &str| format!("{RAFT}\n[[tour]]\ntitle = \"t\"\ntext = \"x\"\n{body}\n");
    // The step's table starts at line 13; its first field after title and
    // text is at line 16.
    for (body, line, expected) in [
        ("", 13, "needs an anchor"),
        ("at = \"1s\"\nat_event = 3", 17, "one anchor"),
        (
            "reported = \"elected\"",
            16,
            "unknown reported event `elected`",
        ),
        (
            "fails = \"safety\"",
            16,
            "unknown invariant or check `safety`",
        ),
        ("fault = \"explode\"", 16, "unknown fault kind `explode`"),
        (
            "delivered = \"Append Entries\"",
            16,
            "expected a message kind",
        ),
        ("at = \"4s\"", 16, "after the end of the run"),
        (
            "reported = \"leader_elected\"\nnode = 7",
            17,
            "found node 7",
        ),
        ("at = \"1s\"\nnode = 1", 17, "narrows a reported"),
        (
            "at = \"1s\"\nhighlight = { nodes = [5] }",
            17,
            "found node 5",
        ),
        (
            "at = \"1s\"\nhighlight = { invariant = \"nope\" }",
            17,
            "unknown invariant",
        ),
        (
            "at = \"1s\"\nhighlight = { colour = \"red\" }",
            17,
            "colour",
        ),
        ("at = \"1s\"\nwhen = \"now\"", 17, "when"),
    ] {
        let e = error(&step(body));
        assert!(
            e.starts_with(&format!("tour.toml:{line}:")) && e.contains(expected),
            "{body:?}: {e}"
        );
    }
    let e = error(&format!(
        "{RAFT}\n[[tour]]\ntitle = \"t\"\ntext = \" \"\nat = \"1s\"\n"
    ));
    assert!(
        e.starts_with("tour.toml:15:") && e.contains("empty text"),
        "{e}"
    );
}
