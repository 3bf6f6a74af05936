//! Replay files: a failing (or surprising) run saved so that anyone can
//! reproduce it exactly.
//!
//! A replay file is a scenario file (so `faultline run` and the GUI open it
//! like any other) that is self-contained:
//!
//! - the original scenario's text, as TOML, with `seed` set to the run's seed;
//! - `[[faults]]` replaced by the fault schedule the run actually applied
//!   (the file's faults and the nemesis's, concrete), and no `[nemesis]`;
//! - a `[replay]` table with the expected fingerprint and outcome:
//!
//! ```toml
//! [replay]
//! source = "scenarios/gossip/bug-gossip-once.toml"
//! fingerprint = "0x5c1e0d3f9a1b2c4d"
//! outcome = "convergence"
//! reason = "n2 never received acknowledged value \"3.1\" (0 of 4 acknowledged values)"
//! event = 812
//! time = "3s"
//! ```
//!
//! `faultline replay FILE` runs it and fails unless both the fingerprint and
//! the outcome match.
//!
//! The `[replay]` table is checked when the file is read: the fingerprint
//! is `0x` and 1 to 16 hexadecimal digits, nothing else; the outcome is
//! `pass` or a check the scenario can report (one of its algorithm's
//! invariants, the kernel's checks (`history_well_formed`, `no_progress`,
//! `resource_limit`), `linearizability`, `liveness`).

use super::parse::KERNEL_INVARIANTS;
use super::raw::RawReplay;
use super::{RunReport, Scenario, ScenarioError};
use crate::algorithm::AlgorithmInfo;
use faultline_sim::{Fault, ScheduledFault};
use toml::Spanned;

/// The `[replay]` table of a replay file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayInfo {
    /// The scenario the run came from.
    pub source: Option<String>,
    /// The fingerprint the run must reproduce.
    pub fingerprint: u64,
    /// `pass` or the check that failed.
    pub outcome: String,
    /// Why it failed, for the reader.
    pub reason: Option<String>,
    /// Events run when the failure was seen.
    pub event: Option<u64>,
    /// Simulated time of the failure.
    pub time: Option<String>,
    /// What swarm testing chose for this seed, if the nemesis used it.
    pub swarm: Option<String>,
    /// The adversary's steps, for a path `faultline explore` found (the
    /// file then has an `[explore]` table with the budgets).
    pub steps: Option<Vec<faultline_sim::Choice>>,
}

/// Formats a fingerprint as written in replay files and summaries.
pub fn format_fingerprint(fingerprint: u64) -> String {
    format!("{fingerprint:#018x}")
}

/// Reads a fingerprint as written by [`format_fingerprint`]: `0x` and 1 to
/// 16 hexadecimal digits. (`u64::from_str_radix` alone would also take a
/// sign, `0x+5c1e...`.)
pub fn parse_fingerprint(text: &str) -> Option<u64> {
    let hex = text.strip_prefix("0x")?;
    let digits = (1..=16).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    digits.then(|| u64::from_str_radix(hex, 16).ok()).flatten()
}

/// The outcomes a run of `info`'s algorithm can have, as replay files and
/// `expect` name them.
fn possible_outcomes<'a>(info: &'a AlgorithmInfo, over_time: &[&'a str]) -> Vec<&'a str> {
    let mut names = vec!["pass"];
    names.extend(info.invariants.iter().map(|i| i.name.as_str()));
    names.extend(KERNEL_INVARIANTS);
    names.extend(["linearizability", "liveness"]);
    names.extend(super::parse::WEAK_OUTCOMES);
    names.extend(over_time);
    names
}

impl ReplayInfo {
    pub(crate) fn from_raw(
        file: &str,
        text: &str,
        raw: &Spanned<RawReplay>,
        info: &AlgorithmInfo,
        over_time: &[&str],
    ) -> Result<Self, ScenarioError> {
        let r = raw.get_ref();
        let fp = r.fingerprint.get_ref();
        let fingerprint = parse_fingerprint(fp).ok_or_else(|| {
            ScenarioError::at(
                file,
                text,
                Some(r.fingerprint.span()),
                format!(
                    "found {fp:?}, expected a fingerprint: 0x and 1 to 16 hexadecimal digits, like \"0x5c1e0d3f9a1b2c4d\""
                ),
            )
        })?;
        let outcome = r.outcome.get_ref();
        let possible = possible_outcomes(info, over_time);
        if !possible.contains(&outcome.as_str()) {
            return Err(ScenarioError::at(
                file,
                text,
                Some(r.outcome.span()),
                format!(
                    "unknown outcome {outcome:?}; a run of {} ends in one of: {}",
                    info.name,
                    possible.join(", ")
                ),
            ));
        }
        Ok(ReplayInfo {
            source: r.source.clone(),
            fingerprint,
            outcome: outcome.clone(),
            reason: r.reason.clone(),
            event: r.event,
            time: r.time.clone(),
            swarm: r.swarm.clone(),
            steps: r.steps.as_ref().map(|s| s.get_ref().clone()),
        })
    }
}

/// The text of a replay file for `report`, a run of `scenario`.
pub fn replay_text(scenario: &Scenario, report: &RunReport) -> Result<String, String> {
    let mut table: toml::Table = scenario
        .text
        .parse()
        .map_err(|e: toml::de::Error| format!("cannot re-read the scenario: {}", e.message()))?;
    let seed = match i64::try_from(report.seed) {
        Ok(s) => toml::Value::Integer(s),
        Err(_) => toml::Value::String(report.seed.to_string()),
    };
    table.insert("seed".into(), seed);
    table.remove("nemesis");
    table.remove("faults");
    table.remove("replay");
    if !report.faults.is_empty() {
        table.insert("faults".into(), faults_value(&report.faults)?);
    }
    let mut replay = toml::Table::new();
    let source = scenario
        .replay
        .as_ref()
        .and_then(|r| r.source.clone())
        .unwrap_or_else(|| scenario.file.clone());
    replay.insert("source".into(), toml::Value::String(source));
    replay.insert(
        "fingerprint".into(),
        toml::Value::String(format_fingerprint(report.fingerprint)),
    );
    replay.insert(
        "outcome".into(),
        toml::Value::String(report.outcome().to_string()),
    );
    if let Some(f) = &report.failure {
        replay.insert("reason".into(), toml::Value::String(f.reason.clone()));
        if let Some(event) = f.event.and_then(|e| i64::try_from(e).ok()) {
            replay.insert("event".into(), toml::Value::Integer(event));
        }
        if let Some(time) = f.time {
            replay.insert("time".into(), toml::Value::String(time.to_string()));
        }
    }
    if let Some(swarm) = scenario
        .nemesis
        .as_ref()
        .and_then(|n| n.describe_swarm(report.seed))
    {
        replay.insert("swarm".into(), toml::Value::String(swarm));
    }
    table.insert("replay".into(), toml::Value::Table(replay));
    let body = toml::to_string(&table).map_err(|e| format!("cannot write the replay file: {e}"))?;
    Ok(format!(
        "# Faultline replay file: the scenario, its seed, the fault schedule the run applied,\n\
         # and the fingerprint and outcome it must reproduce. Reproduce with:\n\
         #   faultline replay <this file>\n\n{body}"
    ))
}

/// A fault schedule as the `[[faults]]` array of a scenario file.
pub(crate) fn faults_value(faults: &[ScheduledFault]) -> Result<toml::Value, String> {
    let entries = faults
        .iter()
        .map(fault_value)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(toml::Value::Array(entries))
}

/// One applied fault as a `[[faults]]` entry. A fault aimed at a role is
/// written with the server it hit, so the replay applies exactly that
/// fault; when no server held the role it is written aimed again (the
/// same run finds no holder again).
fn fault_value(f: &ScheduledFault) -> Result<toml::Value, String> {
    let cannot = |e: toml::ser::Error| format!("cannot write the fault schedule: {e}");
    let Fault::Aimed {
        role,
        chosen,
        action,
    } = &f.fault
    else {
        return toml::Value::try_from(f).map_err(cannot);
    };
    let concrete = chosen.and_then(|n| action.with_node(n));
    let fault = concrete.clone().unwrap_or_else(|| (**action).clone());
    let mut value = toml::Value::try_from(ScheduledFault { fault, ..f.clone() }).map_err(cannot)?;
    if concrete.is_none()
        && let Some(table) = value.as_table_mut()
    {
        table.insert("node".into(), toml::Value::String(role.clone()));
    }
    Ok(value)
}

/// Why a replay did not reproduce its run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayMismatch {
    /// The file has no `[replay]` table.
    #[error("{0}: error: not a replay file (no [replay] table); use `faultline run` for scenarios")]
    NotReplay(String),
    /// Different fingerprint: the code or the environment changed the run.
    #[error(
        "fingerprint mismatch: expected {expected}, got {got} — the run differs from the recorded one \
         (the code changed since the file was written, or determinism is broken)"
    )]
    Fingerprint {
        /// Recorded.
        expected: String,
        /// Reproduced.
        got: String,
    },
    /// Same fingerprint, different outcome: the checks changed.
    #[error("outcome mismatch: expected `{expected}`, got `{got}`")]
    Outcome {
        /// Recorded.
        expected: String,
        /// Reproduced.
        got: String,
    },
}

/// Compares a re-run with the replay file's record.
pub fn verify(scenario: &Scenario, report: &RunReport) -> Result<(), ReplayMismatch> {
    let Some(info) = &scenario.replay else {
        return Err(ReplayMismatch::NotReplay(scenario.file.clone()));
    };
    if info.fingerprint != report.fingerprint {
        return Err(ReplayMismatch::Fingerprint {
            expected: format_fingerprint(info.fingerprint),
            got: format_fingerprint(report.fingerprint),
        });
    }
    if info.outcome != report.outcome() {
        return Err(ReplayMismatch::Outcome {
            expected: info.outcome.clone(),
            got: report.outcome().to_string(),
        });
    }
    Ok(())
}
