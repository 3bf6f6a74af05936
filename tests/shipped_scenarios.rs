//! Every scenario shipped in `scenarios/` (walked, so new algorithms'
//! scenarios are included automatically) is run twice, in separate
//! processes: both runs must give the same fingerprint, and the outcome the
//! scenario declares.

mod common;

use common::{faultline, root, stderr, stdout};
use std::path::{Path, PathBuf};

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            scenario_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

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

#[test]
fn shipped_scenarios_are_deterministic_and_give_their_expected_outcome() {
    let mut files = Vec::new();
    scenario_files(&root().join("scenarios"), &mut files);
    files.sort();
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
                            "{name}: fingerprints differ between two runs: {} and {}",
                            a["fingerprint_hex"], b["fingerprint_hex"]
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
