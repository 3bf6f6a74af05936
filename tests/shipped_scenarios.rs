//! Every scenario shipped in `scenarios/` (walked, so new algorithms'
//! scenarios are included automatically) is run twice, in separate
//! processes: both runs must give the same fingerprint, and the outcome the
//! scenario declares. When the fingerprints differ, both are run again with
//! full traces and the report names the first event where they diverge.
//! (Files with an `[explore]` table are searched, not run: tests/explore.rs.)

mod common;

use common::{faultline, root, stderr, stdout};
use faultline_algorithms::scenario::{Scenario, scenario_files};

fn run(scenario: &str) -> serde_json::Value {
    let out = faultline(&["run", scenario, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{scenario}: {e}\n{}", stderr(&out)));
    let code = out.status.code();
    assert_eq!(
        code == Some(0),
        v["matched"] == true,
        "{scenario}: exit {code:?}"
    );
    v
}

/// Where two JSON-lines traces first differ.
#[derive(Debug, PartialEq)]
struct Divergence {
    line: usize,
    event: Option<u64>,
    left: String,
    right: String,
}

fn first_divergence(left: &str, right: &str) -> Option<Divergence> {
    let (mut a, mut b) = (left.lines(), right.lines());
    let mut line = 0;
    loop {
        line += 1;
        match (a.next(), b.next()) {
            (None, None) => return None,
            (x, y) if x == y => continue,
            (x, y) => {
                let event = x
                    .or(y)
                    .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .and_then(|v| v["event"].as_u64());
                return Some(Divergence {
                    line,
                    event,
                    left: x.unwrap_or("<end of trace>").to_string(),
                    right: y.unwrap_or("<end of trace>").to_string(),
                });
            }
        }
    }
}

/// Runs a scenario twice more with full traces and describes where they
/// part.
fn locate_divergence(name: &str) -> String {
    let dir = common::scratch(&format!("diverge-{}", name.replace('/', "-")));
    let traces: Vec<String> = (0..2)
        .map(|i| {
            let file = dir.join(format!("trace{i}.jsonl"));
            faultline(&["run", name, "--trace", file.to_str().unwrap()]);
            std::fs::read_to_string(&file).unwrap_or_default()
        })
        .collect();
    match first_divergence(&traces[0], &traces[1]) {
        Some(d) => format!(
            "the traces first diverge at line {} (event {}):\n  {}\n  {}",
            d.line,
            d.event.map_or("?".into(), |e| e.to_string()),
            d.left,
            d.right
        ),
        None => "two more runs with traces agreed, so the divergence is intermittent".to_string(),
    }
}

#[test]
fn divergence_is_located_at_the_first_differing_event() {
    let a = "{\"event\":0,\"type\":\"start\"}\n{\"event\":1,\"type\":\"deliver\",\"msg\":3}\n{\"event\":2}\n";
    let b = "{\"event\":0,\"type\":\"start\"}\n{\"event\":1,\"type\":\"deliver\",\"msg\":4}\n{\"event\":2}\n";
    let d = first_divergence(a, b).unwrap();
    assert_eq!((d.line, d.event), (2, Some(1)));
    assert!(d.left.contains("\"msg\":3") && d.right.contains("\"msg\":4"));
    assert_eq!(first_divergence(a, a), None);
    let shorter = first_divergence(a, "{\"event\":0,\"type\":\"start\"}\n").unwrap();
    assert_eq!(
        (shorter.line, shorter.right.as_str()),
        (2, "<end of trace>")
    );
    // The real traces of two runs agree record for record.
    assert_eq!(
        locate_divergence("scenarios/gossip/basic.toml"),
        "two more runs with traces agreed, so the divergence is intermittent"
    );
}

#[test]
fn shipped_scenarios_are_deterministic_and_give_their_expected_outcome() {
    // Files searched by `faultline explore` are tested in tests/explore.rs.
    let files: Vec<_> = scenario_files(&root().join("scenarios"))
        .into_iter()
        .filter(|p| !Scenario::load(p).is_ok_and(|s| s.is_search()))
        .collect();
    assert!(files.len() >= 6, "{files:?}");
    // Runs in parallel across scenarios; each scenario's two runs are
    // separate processes.
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .iter()
            .map(|path| {
                scope.spawn(move || {
                    let name = path
                        .strip_prefix(root())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    let (a, b) = (run(&name), run(&name));
                    let mut problems = Vec::new();
                    if a["fingerprint"] != b["fingerprint"] {
                        problems.push(format!(
                            "{name}: fingerprints differ between two runs: {} and {}; {}",
                            a["fingerprint_hex"],
                            b["fingerprint_hex"],
                            locate_divergence(&name)
                        ));
                    }
                    if a["matched"] != true {
                        problems.push(format!(
                            "{name}: outcome {} but the scenario expects {}",
                            a["outcome"], a["expected"]
                        ));
                    }
                    problems
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
