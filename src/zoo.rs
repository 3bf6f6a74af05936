//! `faultline zoo`: the bug zoo. For every bug variant of every registered
//! algorithm, a standard sweep of its bug scenario measures how readily the
//! checks catch it, and the first catch is minimised and saved as a small
//! scenario that reproduces it.
//!
//! A bug variant's scenario is the shipped scenario (outside the output
//! folder) whose `[params] bug` names it and whose `expect` is a failure.
//! A bug variant without one is reported, and makes the command fail: every
//! planted bug must be shown caught.

use crate::atomic::{probe, probe_folder, write_file, write_with};
use crate::cli::ZooArgs;
use crate::error::Failure;
use faultline_algorithms::algorithms;
use faultline_algorithms::scenario::replay::replay_text;
use faultline_algorithms::scenario::scenario_files;
use faultline_algorithms::scenario::{Expectation, Scenario};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// One row of the zoo.
#[derive(Clone, Debug)]
pub struct Row {
    /// Algorithm name.
    pub algorithm: String,
    /// Bug variant name.
    pub bug: String,
    /// The scenario swept, if one exists.
    pub scenario: Option<String>,
    /// The check that is expected to catch it.
    pub caught_by: String,
    /// Seeds swept.
    pub seeds: u64,
    /// Seeds whose outcome was the expected failure.
    pub caught: u64,
    /// Median number of seeds until the first catch (see [`median_wait`]).
    pub median_wait: Option<u64>,
    /// Set when the sweep caught nothing but the scenario's own seed (outside
    /// the sweep) does: a bug that needs the interleaving its scenario
    /// writes down, or a rare seed.
    pub own_seed: Option<u64>,
    /// Faults and events of the first catch, before and after minimising.
    pub shrunk: Option<Shrunk>,
}

/// Sizes of a minimised catch.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The seed.
    pub seed: u64,
    /// Faults before.
    pub faults_before: usize,
    /// Faults after.
    pub faults_after: usize,
    /// Events before.
    pub events_before: u64,
    /// Events after.
    pub events_after: u64,
    /// Where the minimised scenario was saved.
    pub file: PathBuf,
    /// Whether shrinking removed or shortened anything.
    pub shrank: bool,
    /// Whether the catch is a written interleaving (faults after exact
    /// events), which shrinking leaves whole.
    pub scripted: bool,
}

/// The median, over every starting seed `s` of the sweep that has a catch at
/// or after it, of the number of seeds run from `s` up to and including the
/// first catch: "how many seeds does a sweep starting anywhere need".
pub fn median_wait(caught: &[bool]) -> Option<u64> {
    let mut waits = Vec::new();
    let mut next: Option<usize> = None;
    for s in (0..caught.len()).rev() {
        if caught[s] {
            next = Some(s);
        }
        if let Some(n) = next {
            waits.push((n - s + 1) as u64);
        }
    }
    if waits.is_empty() {
        return None;
    }
    waits.sort_unstable();
    Some(waits[(waits.len() - 1) / 2])
}

pub fn zoo(args: ZooArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    let out_dir = args.save.clone();
    // Find out now, not after minutes of sweeping, if results cannot be
    // saved.
    let _created = probe_folder(&out_dir)?;
    if let Some(path) = &args.markdown {
        probe(path)?;
    }
    let mut scenarios = Vec::new();
    for path in scenario_files(&args.dir) {
        if path.starts_with(&out_dir) {
            continue;
        }
        let s = Scenario::load(&path)?;
        // Seeded settings only: a file with [explore] is searched, not swept.
        if s.replay.is_none() && s.explore.is_none() && !matches!(s.expect, Expectation::Pass) {
            scenarios.push(s);
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, |j| j as usize))
        .build()
        .map_err(|e| Failure::Internal(format!("cannot start the worker threads: {e}")))?;
    let mut rows = Vec::new();
    for algorithm in algorithms() {
        let info = algorithm.info();
        for bug in &info.bugs {
            let scenario = scenarios.iter().find(|s| {
                s.algorithm_name() == info.name && s.planted_bug().as_deref() == Some(bug.name)
            });
            let Some(scenario) = scenario else {
                errln!("{} / {}: no bug scenario found", info.name, bug.name);
                rows.push(Row {
                    algorithm: info.name.into(),
                    bug: bug.name.into(),
                    scenario: None,
                    caught_by: bug.caught_by.into(),
                    seeds: 0,
                    caught: 0,
                    median_wait: None,
                    own_seed: None,
                    shrunk: None,
                });
                continue;
            };
            errln!(
                "{} / {}: sweeping {} over {} seeds",
                info.name,
                bug.name,
                scenario.file,
                args.seeds
            );
            let reports: Vec<_> = pool.install(|| {
                (0..args.seeds)
                    .into_par_iter()
                    .map(|seed| scenario.run_seed(seed))
                    .collect::<Result<Vec<_>, _>>()
            })?;
            let caught: Vec<bool> = reports
                .iter()
                .map(|r| r.matches(&scenario.expect))
                .collect();
            // A sweep that misses the bug still shows it at the scenario's own
            // seed, when that lies outside the sweep and catches it there.
            let own = if caught.contains(&true) || scenario.seed < args.seeds {
                None
            } else {
                Some(scenario.run_seed(scenario.seed)?).filter(|r| r.matches(&scenario.expect))
            };
            // The first catch that is the bug's: the same run without the
            // bug must pass, before and after shrinking.
            let catches = reports
                .iter()
                .filter(|r| r.matches(&scenario.expect))
                .chain(own.as_ref());
            let mut minimised = None;
            for report in catches {
                match scenario.minimize_catch(report, args.shrink_runs as usize) {
                    Ok(m) => {
                        minimised = Some((report.seed, m));
                        break;
                    }
                    Err(why) => errln!("{} / {}: {why}", info.name, bug.name),
                }
            }
            let shrunk = match minimised {
                Some((seed, m)) => {
                    let file =
                        out_dir.join(format!("{}-{}.toml", info.name, bug.name.replace('_', "-")));
                    let text = replay_text(&m.scenario, &m.report).map_err(Failure::Internal)?;
                    let text = retitle(
                        &text,
                        &format!("Bug zoo: {} / {} (minimised)", info.name, bug.name),
                        &format!(
                            "{} The smallest run found that shows it: {}",
                            bug.doc,
                            m.report.failure.as_ref().map_or("", |f| f.reason.as_str())
                        ),
                    )?;
                    let text = format!(
                        "# Bug zoo: `{}` of {}, minimised from seed {} of {} ({}).\n# Regenerate with `faultline zoo`.\n{text}",
                        bug.name,
                        info.name,
                        seed,
                        scenario.file,
                        m.describe()
                    );
                    write_file(&file, text.as_bytes())?;
                    Some(Shrunk {
                        seed,
                        faults_before: m.original_faults,
                        faults_after: m.report.faults.len(),
                        events_before: m.original_events,
                        events_after: m.report.events,
                        file,
                        shrank: m.shrank,
                        scripted: m.scripted,
                    })
                }
                None => None,
            };
            rows.push(Row {
                algorithm: info.name.into(),
                bug: bug.name.into(),
                scenario: Some(scenario.file.clone()),
                caught_by: scenario.expect.name().to_string(),
                seeds: args.seeds,
                caught: caught.iter().filter(|c| **c).count() as u64,
                median_wait: median_wait(&caught),
                own_seed: own.as_ref().map(|r| r.seed),
                shrunk,
            });
        }
    }
    let table = markdown(&rows, args.seeds);
    if let Some(path) = &args.markdown {
        write_with(path, |w| {
            Ok(write!(
                w,
                "# The bug zoo\n\n\
             Every bug variant of every algorithm, caught. Generated by\n\
             `cargo run --release -- zoo --seeds {} --markdown {}` ({:.0}s on this\n\
             project's 2-core machine); rerun it after changing an algorithm.\n\n\
             For each variant, the scenario that plants it is swept over seeds\n\
             `0..{}` (its own faults and nemesis). **Caught** is the share of seeds whose\n\
             outcome is the expected failure; a bug that needs the exact\n\
             interleaving its scenario writes down (or a rare seed) is caught by\n\
             no seed of the sweep, and then its scenario's own seed is run. **Median wait** is the median, over\n\
             every starting seed that has a catch at or after it, of the number of\n\
             seeds a sweep from there runs up to and including its first catch.\n\
             **Shrunk** is the first catch minimised by `faultline check`'s shrinker\n\
             (faults and events before -> after; a written interleaving is kept whole:\n\
             \"scripted, not shrunk\"). A catch counts only if the same run without\n\
             the bug passes, before shrinking and after every step of it. The\n\
             minimised run is saved in `scenarios/bugs/` and replays with\n\
             `faultline replay`; with its `bug` line removed it passes.\n\n{table}",
                args.seeds,
                path.display(),
                started.elapsed().as_secs_f64(),
                args.seeds,
            )?)
        })?;
        errln!("wrote {}", path.display());
    }
    // After the file: a closed standard output must not lose it.
    out!("{table}");
    // Every bug must be caught, and one of its catches must be its own
    // (minimised, and passing without the bug).
    Ok(rows
        .iter()
        .all(|r| (r.caught > 0 || r.own_seed.is_some()) && r.shrunk.is_some()))
}

/// Replaces the `name` and `description` of a scenario text, keeping its
/// leading comment.
fn retitle(text: &str, name: &str, description: &str) -> Result<String, Failure> {
    let comment: String = text
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let mut table: toml::Table = text
        .parse()
        .map_err(|e| Failure::Internal(format!("cannot re-read a replay file: {e}")))?;
    table.insert("name".into(), toml::Value::String(name.into()));
    table.insert(
        "description".into(),
        toml::Value::String(description.into()),
    );
    let body = toml::to_string(&table)
        .map_err(|e| Failure::Internal(format!("cannot write a replay file: {e}")))?;
    Ok(format!("{comment}{body}"))
}

fn markdown(rows: &[Row], seeds: u64) -> String {
    let mut out = String::from(
        "| algorithm | bug | caught by | caught | median wait | shrunk faults | shrunk events | swept | minimised catch |\n\
         |---|---|---|---:|---:|---:|---:|---|---|\n",
    );
    for r in rows {
        let caught = match (r.seeds, r.own_seed) {
            (0, _) => "no scenario".to_string(),
            (_, Some(own)) => format!("{}/{seeds}, at its own seed {own}", r.caught),
            _ => format!("{}/{seeds}", r.caught),
        };
        let wait = r.median_wait.map_or("-".to_string(), |w| w.to_string());
        let (faults, events, file) = match &r.shrunk {
            Some(s) if !s.shrank => (
                format!(
                    "{}, {} faults",
                    if s.scripted {
                        "scripted, not shrunk"
                    } else {
                        "not shrunk"
                    },
                    s.faults_after
                ),
                format!("{}", s.events_after),
                format!("`{}` (seed {})", s.file.display(), s.seed),
            ),
            Some(s) => (
                format!("{} -> {}", s.faults_before, s.faults_after),
                format!("{} -> {}", s.events_before, s.events_after),
                format!("`{}` (seed {})", s.file.display(), s.seed),
            ),
            None => (
                "-".into(),
                "-".into(),
                "no catch passes without the bug".into(),
            ),
        };
        let swept = r
            .scenario
            .as_ref()
            .map_or("-".to_string(), |f| format!("`{f}`"));
        out.push_str(&format!(
            "| {} | `{}` | `{}` | {caught} | {wait} | {faults} | {events} | {swept} | {file} |\n",
            r.algorithm, r.bug, r.caught_by
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_wait_counts_seeds_up_to_the_next_catch() {
        assert_eq!(median_wait(&[false, false, false]), None);
        assert_eq!(median_wait(&[true, true, true]), Some(1));
        // Waits from seeds 0..4: 4, 3, 2, 1 (seed 4 has no later catch).
        assert_eq!(median_wait(&[false, false, false, true, false]), Some(2));
        // Waits: 2, 1, 2, 1 -> sorted 1, 1, 2, 2 -> lower median 1.
        assert_eq!(median_wait(&[false, true, false, true]), Some(1));
    }
}
