//! `faultline check`: a parallel seed sweep.
//!
//! `--jobs` threads take the seeds in increasing order, one run at a time;
//! a run is single-threaded and deterministic. Runs are counted in seed
//! order ([`Sweep`]), so the result — runs, outcomes, digest, failures,
//! which failures are minimised — does not depend on `--jobs`, also when
//! the sweep stops at its first failure. Each failure is minimised and its
//! replay file written as soon as it is counted, not at the end.

use crate::args::{SeedRange, Shard};
use crate::atomic::{probe, probe_folder, write_file, write_with};
use crate::cli::CheckArgs;
use crate::error::Failure;
use crate::run::load;
use faultline_algorithms::scenario::replay::{format_fingerprint, replay_text};
use faultline_algorithms::scenario::{Expectation, RunReport, Scenario, format_percent};
use faultline_sim::rng::mix64;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// The `--summary-json` file of one sweep (or one shard of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Format version.
    pub faultline_summary: u32,
    /// The scenario file, as given.
    pub scenario: String,
    /// Its name.
    pub name: String,
    /// The expected outcome.
    pub expect: String,
    /// The whole sweep's seeds, `start` included, `end` excluded.
    pub seeds: SeedSpan,
    /// Which shard this is (`index` 0, `count` 1 for an unsharded sweep).
    pub shard: ShardSpan,
    /// Seeds in this shard.
    pub planned: u64,
    /// Seeds counted: all of them, or (when the sweep stopped at its first
    /// failing seed) the seeds up to and including that one.
    pub run: u64,
    /// Seeds whose outcome was the expected one.
    pub matched: u64,
    /// Seeds whose outcome was not.
    pub failed: u64,
    /// How many runs ended with each outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// A digest of every run's (seed, fingerprint): the wrapping sum of
    /// `mix64(seed ^ mix64(fingerprint))`, so shards add up.
    pub digest: String,
    /// Failing seeds, in seed order.
    pub failures: Vec<FailedSeed>,
    /// Wall time of the sweep in seconds (the one nondeterministic field).
    pub wall_seconds: f64,
}

/// A seed range in a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSpan {
    pub start: u64,
    pub end: u64,
}

/// A shard in a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardSpan {
    pub index: u64,
    pub count: u64,
}

/// One seed that did not give the expected outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedSeed {
    pub seed: u64,
    pub outcome: String,
    pub reason: Option<String>,
    pub fingerprint: String,
    pub replay_file: Option<String>,
    /// How the failing run was minimised before it was written, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimized: Option<String>,
}

/// What the counted runs add up to.
#[derive(Default)]
struct Tally {
    run: u64,
    digest: u64,
    outcomes: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, report: &RunReport) {
        self.run += 1;
        self.digest = self
            .digest
            .wrapping_add(digest_term(report.seed, report.fingerprint));
        *self
            .outcomes
            .entry(report.outcome().to_string())
            .or_default() += 1;
    }
}

/// One seed's contribution to the digest.
pub fn digest_term(seed: u64, fingerprint: u64) -> u64 {
    mix64(seed ^ mix64(fingerprint))
}

enum Progress {
    Bar(ProgressBar),
    Lines {
        total: u64,
        step: u64,
        done: AtomicU64,
    },
}

impl Progress {
    fn new(total: u64) -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} seeds ({per_sec}, eta {eta}) {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                total,
                step: (total / 10).max(1),
                done: AtomicU64::new(0),
            }
        }
    }

    fn tick(&self, failed: u64) {
        match self {
            Progress::Bar(bar) => {
                bar.inc(1);
                if failed > 0 {
                    bar.set_message(format!("{failed} failed"));
                }
            }
            Progress::Lines { total, step, done } => {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % step == 0 || n == *total {
                    errln!("checked {n}/{total} seeds, {failed} failed");
                }
            }
        }
    }

    fn say(&self, line: String) {
        match self {
            Progress::Bar(bar) => bar.println(line),
            Progress::Lines { .. } => errln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// How many failing seeds of one sweep are minimised before being written
/// (the first ones, in seed order).
const MINIMIZE_AT_MOST: usize = 5;

/// A sweep in progress, shared by its worker threads.
///
/// Workers take the shard's seeds in increasing order (`next`). A finished
/// run is *counted* only once every seed before it is counted, so the
/// tally, the failures and which of them are minimised are those of a
/// sequential sweep, whatever the thread count. Without `--keep-going`
/// counting ends at the first failure: the runs after it that other
/// threads had started are not counted.
struct Sweep<'a> {
    scenario: &'a Scenario,
    args: &'a CheckArgs,
    shard: Shard,
    range: SeedRange,
    planned: u64,
    /// The next seed (index into the shard) to take.
    next: AtomicU64,
    /// Take no more seeds.
    stop: AtomicBool,
    /// Failing runs seen (counted or not), for the progress display.
    seen_failing: AtomicU64,
    progress: Progress,
    state: Mutex<Counted>,
}

/// The runs counted so far.
#[derive(Default)]
struct Counted {
    /// Runs of seeds `0..next` (indices in the shard) are counted.
    next: u64,
    /// Finished runs waiting for an earlier seed to finish.
    waiting: BTreeMap<u64, RunReport>,
    /// Set (without `--keep-going`) when a failure is counted: the sweep
    /// ends there.
    ended: bool,
    tally: Tally,
    /// Failures counted; the first [`MINIMIZE_AT_MOST`] are minimised.
    failing: usize,
    /// Failures saved, in the order they were saved.
    saved: Vec<FailedSeed>,
    /// The first error (a run that could not be built, a write that failed).
    error: Option<anyhow::Error>,
}

impl Sweep<'_> {
    /// One worker: take seeds until there are none or the sweep stops.
    fn work(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if k >= self.planned {
                break;
            }
            let report = match self.scenario.run_seed(self.shard.nth(self.range, k)) {
                Ok(r) => r,
                Err(e) => return self.fail(e.into()),
            };
            if !report.matches(&self.scenario.expect) {
                self.seen_failing.fetch_add(1, Ordering::Relaxed);
                if !self.args.keep_going {
                    // Every earlier seed is already taken (they are taken in
                    // order), so the runs that decide the result are running.
                    self.stop.store(true, Ordering::Relaxed);
                }
            }
            self.progress
                .tick(self.seen_failing.load(Ordering::Relaxed));
            for (rank, failure) in self.count(k, report) {
                if let Err(e) = self.save(rank, &failure) {
                    return self.fail(e);
                }
            }
        }
    }

    /// Records the run of seed index `k` and counts every run that is now
    /// preceded only by counted ones; returns the failures among them with
    /// their rank, to be saved.
    fn count(&self, k: u64, report: RunReport) -> Vec<(usize, RunReport)> {
        let mut counted = self.state.lock().expect("no panics while locked");
        let c = &mut *counted;
        c.waiting.insert(k, report);
        let mut failures = Vec::new();
        while !c.ended {
            let Some(report) = c.waiting.remove(&c.next) else {
                break;
            };
            c.next += 1;
            c.tally.add(&report);
            if !report.matches(&self.scenario.expect) {
                failures.push((c.failing, report));
                c.failing += 1;
                c.ended = !self.args.keep_going;
            }
        }
        if c.ended {
            c.waiting.clear();
        }
        failures
    }

    /// Minimises (the first few) and writes the replay file of a counted
    /// failure, at once: a sweep killed later keeps it.
    fn save(&self, rank: usize, report: &RunReport) -> anyhow::Result<()> {
        let scenario = self.scenario;
        self.progress.say(format!(
            "seed {}: {} (expected {}){}",
            report.seed,
            report.outcome(),
            scenario.expect.name(),
            report
                .failure
                .as_ref()
                .map_or(String::new(), |f| format!(": {}", f.reason))
        ));
        let minimized = if self.args.no_shrink || rank >= MINIMIZE_AT_MOST {
            None
        } else {
            self.progress
                .say(format!("  minimising seed {} ...", report.seed));
            scenario.minimize(report, self.args.shrink_runs as usize)
        };
        let (file, fingerprint) = match &minimized {
            Some(m) => (
                write_replay(&m.scenario, &m.report, &self.args.out)?,
                m.report.fingerprint,
            ),
            None => (
                write_replay(scenario, report, &self.args.out)?,
                report.fingerprint,
            ),
        };
        self.progress.say(format!("  saved {}", file.display()));
        let saved = FailedSeed {
            seed: report.seed,
            outcome: report.outcome().to_string(),
            reason: report.failure.as_ref().map(|f| f.reason.clone()),
            fingerprint: format_fingerprint(fingerprint),
            replay_file: Some(file.display().to_string()),
            minimized: minimized.as_ref().map(|m| m.describe()),
        };
        self.state
            .lock()
            .expect("no panics while locked")
            .saved
            .push(saved);
        Ok(())
    }

    /// Stops the sweep with `error` (the first one wins).
    fn fail(&self, error: anyhow::Error) {
        self.stop.store(true, Ordering::Relaxed);
        self.state
            .lock()
            .expect("no panics while locked")
            .error
            .get_or_insert(error);
    }
}

pub fn check(args: CheckArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.scenario)?;
    crate::run::refuse_search(&scenario)?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    let range = args.seeds;
    let planned = shard.len(range);
    if planned == 0 {
        anyhow::bail!(
            "shard {}/{} of seeds {}..{} holds no seed; expected fewer shards than seeds",
            shard.index,
            shard.count,
            range.start,
            range.end
        );
    }
    // Where the results go must be writable before the first seed runs:
    // a sweep is not thrown away because its results cannot be saved.
    let _created = probe_folder(&args.out)?;
    if let Some(path) = &args.summary_json {
        probe(path)?;
    }
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    errln!(
        "checking {} ({}) expecting {}: {planned} seeds{} on {jobs} threads",
        scenario.file,
        scenario.name,
        scenario.expect.describe(),
        if shard.count > 1 {
            format!(
                " (shard {}/{} of {}..{})",
                shard.index, shard.count, range.start, range.end
            )
        } else {
            format!(" ({}..{})", range.start, range.end)
        },
    );
    let sweep = Sweep {
        scenario: &scenario,
        args: &args,
        shard,
        range,
        planned,
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        seen_failing: AtomicU64::new(0),
        progress: Progress::new(planned),
        state: Mutex::new(Counted::default()),
    };
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(usize::try_from(planned).unwrap_or(usize::MAX)) {
            s.spawn(|| sweep.work());
        }
    });
    sweep.progress.finish();
    let wall = started.elapsed();
    let counted = sweep.state.into_inner().expect("no panics while locked");
    if let Some(e) = counted.error {
        return Err(e);
    }

    let mut failures = counted.saved;
    failures.sort_by_key(|f| f.seed);
    let tally = counted.tally;
    let summary = Summary {
        faultline_summary: 1,
        scenario: scenario.file.clone(),
        name: scenario.name.clone(),
        expect: scenario.expect.describe(),
        seeds: range.into(),
        shard: ShardSpan {
            index: shard.index,
            count: shard.count,
        },
        planned,
        run: tally.run,
        matched: tally.run - failures.len() as u64,
        failed: failures.len() as u64,
        outcomes: tally.outcomes,
        digest: format_fingerprint(tally.digest),
        failures,
        wall_seconds: wall.as_secs_f64(),
    };
    // Files first: a closed standard output must not lose the summary.
    if let Some(path) = &args.summary_json {
        write_summary(&summary, path)?;
    }
    let secs = wall.as_secs_f64().max(1e-9);
    let outcomes: Vec<String> = summary
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    outln!(
        "{} of {} seeds run in {:.2}s ({:.1} seeds/s on {jobs} threads): {} as expected, {} failed [{}]",
        summary.run,
        summary.planned,
        secs,
        summary.run as f64 / secs,
        summary.matched,
        summary.failed,
        outcomes.join(", ")
    );
    if summary.run < summary.planned {
        outln!("stopped at the first failure; pass --keep-going to run every seed");
    }
    outln!("digest {}", summary.digest);
    for f in &summary.failures {
        outln!(
            "FAILED seed {}: {} (expected {}){}",
            f.seed,
            f.outcome,
            summary.expect,
            f.reason
                .as_ref()
                .map_or(String::new(), |r| format!(": {r}"))
        );
        if let Some(m) = &f.minimized {
            outln!("  minimised: {m}");
        }
        if let Some(file) = &f.replay_file {
            outln!("  reproduce: faultline replay {file}");
            outln!(
                "         or: faultline run {} --seed {}",
                scenario.file,
                f.seed
            );
        }
    }
    let share_met = match &scenario.expect {
        Expectation::Share {
            outcome,
            at_least_basis_points,
        } => {
            let hits = summary.outcomes.get(outcome).copied().unwrap_or(0);
            let met = scenario.expect.share_met(hits, summary.run);
            outln!(
                "share       {outcome} on {hits} of {} seeds ({:.1}%), expected at least {}: {}",
                summary.run,
                hits as f64 * 100.0 / summary.run.max(1) as f64,
                format_percent(*at_least_basis_points),
                if met { "as expected" } else { "FAILED" }
            );
            met
        }
        _ => true,
    };
    Ok(summary.failed == 0 && share_met)
}

fn write_replay(scenario: &Scenario, report: &RunReport, dir: &Path) -> anyhow::Result<PathBuf> {
    let stem = Path::new(&scenario.file)
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    let path = dir.join(format!("{stem}-seed-{}.toml", report.seed));
    let text = replay_text(scenario, report).map_err(Failure::Internal)?;
    write_file(&path, text.as_bytes())?;
    Ok(path)
}

pub fn write_summary(summary: &Summary, path: &Path) -> anyhow::Result<()> {
    write_with(path, |out| {
        serde_json::to_writer_pretty(&mut *out, summary)?;
        writeln!(out)?;
        Ok(())
    })
}

impl From<SeedRange> for SeedSpan {
    fn from(r: SeedRange) -> Self {
        SeedSpan {
            start: r.start,
            end: r.end,
        }
    }
}
