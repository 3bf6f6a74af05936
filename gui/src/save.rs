//! "Save as scenario": a branch of a run — the scenario, its seed, and every
//! fault the branch applied, interactive injections included with their exact
//! `after_event` placement — written as a self-contained scenario file.
//!
//! The file is the scenario layer's replay format
//! ([`faultline_algorithms::scenario::replay::replay_text`]): the original
//! scenario's text with `seed` set, `[[faults]]` replaced by the branch's
//! schedule, no `[nemesis]` (its faults are in the schedule), and a
//! `[replay]` table holding the fingerprint and outcome of the branch run to
//! its end. `expect` is set to that outcome, so `faultline run` on the file
//! passes and `faultline replay` checks the fingerprint.

use faultline_algorithms::scenario::Scenario;
use faultline_algorithms::scenario::replay::{format_fingerprint, replay_text};
use faultline_sim::{FaultSchedule, TraceMode};

/// A branch ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedBranch {
    /// The file's text.
    pub text: String,
    /// The fingerprint of the branch run to its end.
    pub fingerprint: u64,
    /// Its outcome: `pass` or the failed check.
    pub outcome: String,
    /// Whether the liveness check was dropped (its bound no longer fits
    /// after the branch's last fault).
    pub liveness_dropped: bool,
}

/// Runs the branch (`scenario` with `seed` and the fault `schedule`) to its
/// end and returns the scenario text that reproduces it.
///
/// A liveness bound that no longer fits after the branch's last fault (the
/// scenario format rejects it) is dropped from the saved file's `[checks]`,
/// and the outcome recorded is the one without it.
pub fn branch_text(
    scenario: &Scenario,
    seed: u64,
    schedule: FaultSchedule,
) -> Result<SavedBranch, String> {
    match branch_text_as_is(scenario, seed, schedule.clone()) {
        Err(e) if e.contains("liveness") && scenario.checks.liveness.is_some() => {
            let mut table: toml::Table = scenario.text.parse().map_err(|e: toml::de::Error| {
                format!("cannot re-read the scenario: {}", e.message())
            })?;
            if let Some(checks) = table.get_mut("checks").and_then(|c| c.as_table_mut()) {
                checks.remove("liveness");
            }
            let mut without = scenario.clone();
            without.text = toml::to_string(&table).map_err(|e| e.to_string())?;
            without.checks.liveness = None;
            let mut saved = branch_text_as_is(&without, seed, schedule)?;
            saved.liveness_dropped = true;
            Ok(saved)
        }
        other => other,
    }
}

fn branch_text_as_is(
    scenario: &Scenario,
    seed: u64,
    schedule: FaultSchedule,
) -> Result<SavedBranch, String> {
    let mut config = scenario.world_config(seed, TraceMode::Fingerprint);
    config.faults = schedule;
    config.snapshot_every = 0;
    let mut handle = scenario.build_with(config).map_err(|e| e.to_string())?;
    handle.run();
    let report = scenario.evaluate(handle.as_ref(), seed);
    let replay = replay_text(scenario, &report)?;
    let mut table: toml::Table = replay
        .parse()
        .map_err(|e: toml::de::Error| format!("cannot re-read the branch: {}", e.message()))?;
    let injected = report
        .faults
        .iter()
        .filter(|f| f.after_event.is_some())
        .count();
    if !scenario.name.ends_with("(branch)") {
        table.insert(
            "name".into(),
            toml::Value::String(format!("{} (branch)", scenario.name)),
        );
    }
    let original_expect = table.get("expect").cloned();
    table.insert(
        "expect".into(),
        toml::Value::String(report.outcome().to_string()),
    );
    let header = format!(
        "# Faultline scenario saved from the lab: {} with seed {seed} and {injected} \
         injected fault(s).\n# Replay it exactly (fingerprint {}) with:\n#   faultline replay <this file>\n\n",
        scenario.file,
        format_fingerprint(report.fingerprint)
    );
    let render = |table: &toml::Table| -> Result<String, String> {
        let body = toml::to_string(table).map_err(|e| format!("cannot write the branch: {e}"))?;
        Ok(format!("{header}{body}"))
    };
    let mut text = render(&table)?;
    if Scenario::parse("saved branch", &text).is_err() {
        // An outcome the file format cannot name as `expect` (a kernel
        // check, say): keep the original expectation; the fingerprint in
        // `[replay]` still pins the run.
        match original_expect {
            Some(e) => table.insert("expect".into(), e),
            None => table.remove("expect"),
        };
        text = render(&table)?;
        Scenario::parse("saved branch", &text).map_err(|e| e.to_string())?;
    }
    Ok(SavedBranch {
        text,
        fingerprint: report.fingerprint,
        outcome: report.outcome().to_string(),
        liveness_dropped: false,
    })
}
