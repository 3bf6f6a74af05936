//! Exhaustive exploration of a scenario with an `[explore]` table: the
//! search ([`faultline_sim::explore`]) through the algorithm's registry
//! entry, whether its result is the one the file expects, and a replay file
//! for the path to a violation.

use super::replay::replay_text;
use super::{Expectation, RunReport, Scenario, ScenarioError};
use crate::algorithm::ExploreJob;
use faultline_sim::explore::{Limits, Parallel, Progress, Report, Strategy, Verdict};
use faultline_sim::{Choice, TraceMode};

/// What the command line may change of a file's `[explore]` table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExploreOverrides {
    /// Another search order.
    pub strategy: Option<Strategy>,
    /// Another depth bound.
    pub max_depth: Option<u32>,
    /// Another state bound.
    pub max_states: Option<u64>,
    /// Another number of random walks.
    pub walks: Option<u64>,
}

/// The path to a violation, replayed through the usual run machinery.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The steps, in order.
    pub path: Vec<Choice>,
    /// Each step in words, as it was taken.
    pub labels: Vec<String>,
    /// The replayed run: its fingerprint and the check that failed.
    pub run: RunReport,
    /// The text of a replay file that reproduces it.
    pub replay: String,
}

impl Scenario {
    /// Searches this scenario's world (it must have an `[explore]` table).
    pub fn explore(
        &self,
        overrides: ExploreOverrides,
        par: &dyn Parallel,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Report, ScenarioError> {
        let Some(spec) = self.explore else {
            return Err(ScenarioError::whole(
                &self.file,
                "no [explore] table: add one to search this scenario (docs/explore.md), or run it with `faultline run`",
            ));
        };
        let config = self.world_config(self.seed, TraceMode::Fingerprint);
        let job = ExploreJob {
            strategy: overrides.strategy.unwrap_or(spec.strategy),
            limits: Limits {
                max_depth: overrides.max_depth.unwrap_or(spec.max_depth),
                max_states: overrides.max_states.unwrap_or(spec.max_states),
                walks: overrides.walks.unwrap_or(spec.walks),
                seed: self.seed,
            },
            linearizability: self
                .checks
                .linearizability
                .then_some(self.checks.linearizability_steps),
            par,
            progress,
        };
        self.algorithm
            .explore(&self.text, config, self.checks.invariants.as_deref(), job)
            .map_err(|e| ScenarioError::from_toml(&self.file, &self.text, e.span, &e.message))
    }

    /// Whether a search's verdict is what the file expects: a violation of
    /// the expected check, or none at all for `expect = "pass"` (also when
    /// a bound stopped the search; the summary says it was not exhaustive).
    pub fn explore_matches(&self, report: &Report) -> bool {
        match (&self.expect, &report.verdict) {
            (Expectation::Failure(name), Verdict::Violation { violation, .. }) => {
                *name == violation.invariant
            }
            (Expectation::Pass, Verdict::Clean { .. } | Verdict::Bounded { .. }) => true,
            _ => false,
        }
    }

    /// Replays `path` (a search's counterexample) and writes the replay
    /// file's text: the scenario with `[replay]` holding the steps, the
    /// fingerprint and the outcome.
    pub fn counterexample(&self, path: &[Choice]) -> Result<Counterexample, ScenarioError> {
        let mut config = self.world_config(self.seed, TraceMode::Fingerprint);
        config.snapshot_every = 0;
        if let Some(a) = config.adversary.as_mut() {
            a.script = path.to_vec();
        }
        let mut handle = self.build_with(config)?;
        let labels = handle.script_labels();
        handle.run();
        let run = self.evaluate(handle.as_ref(), self.seed);
        let base = replay_text(self, &run).map_err(|e| ScenarioError::whole(&self.file, e))?;
        let replay =
            with_steps(&base, path, &labels).map_err(|e| ScenarioError::whole(&self.file, e))?;
        // The file must read back to the same steps.
        let back = Scenario::parse_derived(&self.file, &replay)?;
        if back.replay.as_ref().and_then(|r| r.steps.as_deref()) != Some(path) {
            return Err(ScenarioError::whole(
                &self.file,
                "the replay file written for the counterexample does not read back to its steps",
            ));
        }
        Ok(Counterexample {
            path: path.to_vec(),
            labels,
            run,
            replay,
        })
    }
}

/// Adds the steps to the `[replay]` table of a replay file's text (which
/// `replay_text` ends with that table), one per line with its label as a
/// comment, and says in the header how to step through it.
fn with_steps(base: &str, path: &[Choice], labels: &[String]) -> Result<String, String> {
    let last_table = base
        .lines()
        .rfind(|l| l.starts_with('['))
        .unwrap_or_default();
    if last_table.trim() != "[replay]" {
        return Err("the replay table is not the last table of the file".into());
    }
    let mut out = String::from(
        "# Faultline replay file of a path `faultline explore` found: the adversary's steps in\n\
         # order, each with what it did. Step through it with `faultline gui <this file>`;\n\
         # `faultline replay <this file>` re-runs it and checks fingerprint and outcome.\n",
    );
    let body = base
        .split_once("\n\n")
        .map_or(base, |(_, rest)| rest)
        .trim_end();
    out.push_str(body);
    out.push_str("\nsteps = [\n");
    for (i, step) in path.iter().enumerate() {
        let value =
            toml::Value::try_from(step).map_err(|e| format!("cannot write step {i}: {e}"))?;
        let inline = match value {
            toml::Value::Table(t) => {
                let fields: Vec<String> = t
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", inline_value(v)))
                    .collect();
                format!("{{ {} }}", fields.join(", "))
            }
            other => return Err(format!("step {i} is not a table: {other}")),
        };
        let label = labels.get(i).map_or(String::new(), |l| {
            let one_line: String = l.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
            format!("  # {}: {one_line}", i + 1)
        });
        out.push_str(&format!("    {inline},{label}\n"));
    }
    out.push_str("]\n");
    Ok(out)
}

fn inline_value(v: &toml::Value) -> String {
    match v {
        toml::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(inline_value).collect();
            format!("[{}]", inner.join(", "))
        }
        other => other.to_string(),
    }
}
