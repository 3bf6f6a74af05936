//! Minimising a failing run of a scenario: the smallest fault schedule, run
//! length and client workload that still fail the same check.
//!
//! The search itself is [`faultline_sim::shrink`], which knows nothing of
//! scenarios; this module gives it a way to re-run a candidate (rewrite the
//! scenario's text with the candidate's faults, duration and operation
//! count, parse it back, run it) and to tell "still fails the same way"
//! (same check name) from "passes or fails differently". Re-parsing the
//! rewritten text means the minimised scenario is a valid file by
//! construction: what is saved is what was run.
//!
//! **A catch must be the bug's.** For a file that plants a bug, a candidate
//! counts as failing only if the same candidate *without the bug* passes:
//! otherwise shrinking could keep a run that fails for another reason (a
//! run cut so short that rebalancing cannot settle, say), and the saved
//! "catch" would fail with the bug switched off too. Both halves are
//! checked again on the final result, in every build.

use super::{RunReport, Scenario, ScenarioError};
use faultline_sim::shrink::{Candidate, Trial, shrink};
use faultline_sim::time::format_duration;
use faultline_sim::{FaultSchedule, SimTime};
use std::time::Duration;

/// A minimised failing run.
#[derive(Clone, Debug)]
pub struct Minimized {
    /// The scenario rewritten with the minimal faults, duration and
    /// workload (no nemesis: its faults are written out).
    pub scenario: Scenario,
    /// The run of that scenario with the original seed.
    pub report: RunReport,
    /// Faults in the original failing run.
    pub original_faults: usize,
    /// Events of the original failing run.
    pub original_events: u64,
    /// Trial runs spent (each trial of a planted bug is two runs: with and
    /// without the bug).
    pub runs: usize,
    /// Whether the run budget ran out first.
    pub budget_exhausted: bool,
    /// Whether the minimised run is smaller than the original: fewer faults
    /// or fewer events (a run cut after its violation is not smaller).
    pub shrank: bool,
    /// Whether the original schedule places faults after exact events (a
    /// written interleaving, which shrinking must leave whole).
    pub scripted: bool,
}

impl Minimized {
    /// One line for reports: "faults 12 -> 2, events 4311 -> 87 (41 runs)",
    /// or why nothing shrank.
    pub fn describe(&self) -> String {
        if !self.shrank {
            return format!(
                "{}, {} faults and {} events ({} runs)",
                if self.scripted {
                    "scripted, not shrunk"
                } else {
                    "not shrunk"
                },
                self.report.faults.len(),
                self.report.events,
                self.runs
            );
        }
        format!(
            "faults {} -> {}, events {} -> {} ({} runs{})",
            self.original_faults,
            self.report.faults.len(),
            self.original_events,
            self.report.events,
            self.runs,
            if self.budget_exhausted {
                ", budget exhausted"
            } else {
                ""
            }
        )
    }
}

impl Scenario {
    /// The bug variant this file plants (`[params] bug`), if any.
    pub fn planted_bug(&self) -> Option<String> {
        let table: toml::Table = self.text.parse().ok()?;
        table
            .get("params")?
            .get("bug")?
            .as_str()
            .map(str::to_string)
    }

    /// This scenario with its planted bug removed and `pass` expected: the
    /// correct algorithm in the same setting, as the property harness and
    /// the bug sweeps compare it.
    pub fn without_bug(&self) -> Result<Scenario, String> {
        let mut table: toml::Table = self.text.parse().map_err(|e: toml::de::Error| {
            format!("cannot re-read the scenario: {}", e.message())
        })?;
        if let Some(toml::Value::Table(params)) = table.get_mut("params") {
            params.remove("bug");
        }
        table.insert("expect".into(), toml::Value::String("pass".into()));
        let text =
            toml::to_string(&table).map_err(|e| format!("cannot write the scenario: {e}"))?;
        Scenario::parse_derived(&self.file, &text).map_err(|e: ScenarioError| e.to_string())
    }

    /// This scenario with another fault schedule, duration and per-client
    /// operation bound (`max_ops` caps every client group's own bound;
    /// `None` leaves them), and no nemesis, as a parsed file. A liveness bound
    /// that no longer fits the shorter run is dropped: a run cut short at a
    /// violation is never judged for liveness.
    pub fn with_run(
        &self,
        faults: &FaultSchedule,
        duration: Duration,
        max_ops: Option<u64>,
    ) -> Result<Scenario, String> {
        let mut table: toml::Table = self.text.parse().map_err(|e: toml::de::Error| {
            format!("cannot re-read the scenario: {}", e.message())
        })?;
        table.remove("nemesis");
        table.remove("replay");
        table.remove("faults");
        if !faults.is_empty() {
            table.insert("faults".into(), super::replay::faults_value(faults)?);
        }
        table.insert(
            "duration".into(),
            toml::Value::String(format_duration(duration)),
        );
        if let Some(max) = max_ops {
            let cap = |group: &mut toml::Table| {
                let own = group.get("max_ops").and_then(|v| v.as_integer());
                let max = max.min(i64::MAX as u64) as i64;
                let capped = own.map_or(max, |own| own.min(max));
                group.insert("max_ops".into(), toml::Value::Integer(capped));
            };
            match table.get_mut("clients") {
                Some(toml::Value::Table(clients)) => cap(clients),
                Some(toml::Value::Array(groups)) => groups
                    .iter_mut()
                    .filter_map(|g| g.as_table_mut())
                    .for_each(cap),
                _ => {}
            }
        }
        if duration < self.duration
            && let Some(toml::Value::Table(checks)) = table.get_mut("checks")
        {
            checks.remove("liveness");
        }
        let text =
            toml::to_string(&table).map_err(|e| format!("cannot write the scenario: {e}"))?;
        Scenario::parse_derived(&self.file, &text).map_err(|e: ScenarioError| e.to_string())
    }

    /// The most operations any client makes (`None`: some client has no
    /// bound).
    pub fn max_ops_per_client(&self) -> Option<u64> {
        if self.groups.is_empty() {
            return self.workload.max_ops_per_client;
        }
        self.groups
            .iter()
            .map(|g| g.pacing.max_ops_per_client)
            .try_fold(0, |most, max| max.map(|m| most.max(m)))
    }

    /// This scenario with another top-level section (`[clients]` or
    /// `[[clients]]` groups, `[network]`; `None` removes it), as a parsed
    /// file.
    pub fn with_section(
        &self,
        name: &str,
        section: Option<&toml::Value>,
    ) -> Result<Scenario, String> {
        let mut table: toml::Table = self.text.parse().map_err(|e: toml::de::Error| {
            format!("cannot re-read the scenario: {}", e.message())
        })?;
        match section {
            None => {
                table.remove(name);
            }
            Some(value) => {
                table.insert(name.into(), value.clone());
            }
        }
        let text =
            toml::to_string(&table).map_err(|e| format!("cannot write the scenario: {e}"))?;
        Scenario::parse_derived(&self.file, &text).map_err(|e: ScenarioError| e.to_string())
    }

    /// Minimises `failing`, a run of this scenario whose outcome was a
    /// failure, within `max_runs` trial runs. `None` when the run did not
    /// fail, or is not its planted bug's catch ([`Scenario::minimize_catch`]
    /// says why).
    pub fn minimize(&self, failing: &RunReport, max_runs: usize) -> Option<Minimized> {
        self.minimize_catch(failing, max_runs).ok()
    }

    /// Minimises `failing` as [`Scenario::minimize`] does, or says why it
    /// cannot: the run did not fail, or (for a file that plants a bug) the
    /// same run without the bug fails too, so the failure is not the bug's.
    pub fn minimize_catch(
        &self,
        failing: &RunReport,
        max_runs: usize,
    ) -> Result<Minimized, String> {
        let Some(failure) = &failing.failure else {
            return Err(format!("seed {} passed: nothing to minimise", failing.seed));
        };
        let check = failure.check.clone();
        let seed = failing.seed;
        let planted = self.planted_bug();
        let initial = Candidate {
            faults: failing.faults.clone(),
            end: self.end(),
            max_ops_per_client: self.max_ops_per_client(),
        };
        // Why a candidate is not a catch of this bug, or when it fails.
        let judge = |c: &Candidate| -> Result<SimTime, String> {
            let s = self.with_run(&c.faults, c.end.as_duration(), c.max_ops_per_client)?;
            let report = s.run_seed(seed).map_err(|e| e.to_string())?;
            let at = match &report.failure {
                Some(f) if f.check == check => f.time.unwrap_or(c.end).min(c.end),
                Some(f) => return Err(format!("it fails `{}` instead: {}", f.check, f.reason)),
                None => return Err(format!("it no longer fails `{check}`")),
            };
            if planted.is_some() {
                let fixed = s.without_bug()?.run_seed(seed).map_err(|e| e.to_string())?;
                if let Some(f) = &fixed.failure {
                    return Err(format!(
                        "without the bug it fails `{}` too: {}",
                        f.check, f.reason
                    ));
                }
            }
            Ok(at)
        };
        if let (Some(bug), Err(why)) = (&planted, judge(&initial)) {
            return Err(format!(
                "seed {seed} of {} is not a catch of `{bug}`: {why}",
                self.file
            ));
        }
        let trial = |c: &Candidate| match judge(c) {
            Ok(at) => Trial::Fails { at },
            Err(_) => Trial::Passes,
        };
        let shrunk = shrink(initial.clone(), max_runs, trial);
        let mut trials = shrunk.runs + 1 + usize::from(planted.is_some());
        let build = |c: &Candidate| -> Result<(Scenario, RunReport), String> {
            judge(c).map_err(|why| {
                format!(
                    "the minimised run of seed {seed} of {} is not a catch: {why}",
                    self.file
                )
            })?;
            let scenario = self.with_run(&c.faults, c.end.as_duration(), c.max_ops_per_client)?;
            let report = scenario.run_seed(seed).map_err(|e| e.to_string())?;
            Ok((scenario, report))
        };
        let (mut scenario, mut report) = build(&shrunk.candidate)?;
        let smaller = |r: &RunReport| {
            r.faults.len() < failing.faults.len()
                || (r.faults.len() == failing.faults.len() && r.events < failing.events)
        };
        let shrank = smaller(&report);
        if !shrank && shrunk.candidate != initial {
            // Nothing smaller was found: keep the original run rather than a
            // rearranged one of the same size or larger.
            (scenario, report) = build(&initial)?;
            trials += 1;
        }
        // Trials: the shrinker's, the final judgements, and for a planted
        // bug the first one; each is two runs with a bug; plus the reports.
        let runs = trials * if planted.is_some() { 2 } else { 1 } + 1;
        Ok(Minimized {
            scenario,
            report,
            original_faults: failing.faults.len(),
            original_events: failing.events,
            runs,
            budget_exhausted: shrunk.budget_exhausted,
            shrank,
            scripted: failing.faults.iter().any(|f| f.after_event.is_some()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn load(name: &str) -> Scenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios")
            .join(name);
        Scenario::load(&path).expect("shipped scenario")
    }

    #[test]
    fn a_planted_bug_shrinks_to_a_short_story_that_still_fails() {
        let scenario = load("gossip/bug-volatile-store.toml");
        let failing = (0..20)
            .map(|seed| scenario.run_seed(seed).unwrap())
            .find(|r| r.failure.is_some())
            .expect("the bug is caught within 20 seeds");
        let m = scenario
            .minimize(&failing, 300)
            .expect("a failing run minimises");
        let f = m.report.failure.as_ref().expect("still fails");
        assert_eq!(f.check, "acked_values_survive");
        assert!(m.report.faults.len() <= failing.faults.len());
        assert!(
            m.report
                .faults
                .iter()
                .filter(|f| matches!(f.fault, faultline_sim::Fault::Crash { .. }))
                .count()
                >= 1,
            "losing an acknowledged value takes a crash: {:?}",
            m.report.faults
        );
        assert!(m.report.faults.len() <= 2, "{}", m.describe());
        assert!(m.report.events < failing.events, "{}", m.describe());
        // What is saved is what was run: the text parses to the same run.
        let again = Scenario::parse("again.toml", &m.scenario.text)
            .unwrap()
            .run_seed(failing.seed)
            .unwrap();
        assert_eq!(again.fingerprint, m.report.fingerprint);
        assert!(m.scenario.nemesis.is_none());
    }

    #[test]
    fn a_failure_that_happens_without_the_bug_too_is_not_the_bugs_catch() {
        // One replica and a lost machine lose data whatever the bug: the
        // planted bug is along for the ride, and minimising must say so
        // rather than save a catch that is not the bug's.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/hashing/crash-r1.toml");
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("[params]\n", "[params]\nbug = \"delete_before_confirm\"\n");
        let scenario = Scenario::parse("crash-r1-with-bug.toml", &text).unwrap();
        let failing = scenario.run_seed(scenario.seed).unwrap();
        assert_eq!(failing.outcome(), "acked_writes_survive");
        let why = scenario.minimize_catch(&failing, 50).unwrap_err();
        assert!(
            why.contains("is not a catch of `delete_before_confirm`")
                && why.contains("without the bug it fails `acked_writes_survive`"),
            "{why}"
        );
        assert!(scenario.minimize(&failing, 50).is_none());
    }

    #[test]
    fn a_passing_run_is_not_minimised() {
        let scenario = load("gossip/basic.toml");
        let report = scenario.run_seed(1).unwrap();
        assert!(report.failure.is_none());
        assert!(scenario.minimize(&report, 10).is_none());
    }
}
