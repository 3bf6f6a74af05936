//! `faultline check`: a parallel seed sweep.
//!
//! Seeds run on a rayon pool, one run per task; a run is single-threaded
//! and deterministic, so results do not depend on `--jobs`. Results are
//! gathered by seed, so the report and the summary are in seed order.

use crate::args::{SeedRange, Shard};
use crate::atomic::{write_file, write_with};
use crate::cli::CheckArgs;
use crate::error::Failure;
use crate::run::load;
use faultline_algorithms::scenario::replay::{format_fingerprint, replay_text};
use faultline_algorithms::scenario::{RunReport, Scenario};
use faultline_sim::rng::mix64;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
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
    /// Seeds run (fewer than planned when the sweep stopped at a failure).
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

/// What a set of runs added up to (folded per worker, then merged).
#[derive(Default)]
struct Tally {
    run: u64,
    digest: u64,
    outcomes: BTreeMap<String, u64>,
    failures: Vec<RunReport>,
}

impl Tally {
    fn add(&mut self, report: RunReport, failed: bool) {
        self.run += 1;
        self.digest = self
            .digest
            .wrapping_add(digest_term(report.seed, report.fingerprint));
        *self
            .outcomes
            .entry(report.outcome().to_string())
            .or_default() += 1;
        if failed {
            self.failures.push(report);
        }
    }

    fn merge(mut self, other: Tally) -> Tally {
        self.run += other.run;
        self.digest = self.digest.wrapping_add(other.digest);
        for (k, v) in other.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        self.failures.extend(other.failures);
        self
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
                    eprintln!("checked {n}/{total} seeds, {failed} failed");
                }
            }
        }
    }

    fn say(&self, line: String) {
        match self {
            Progress::Bar(bar) => bar.println(line),
            Progress::Lines { .. } => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// How many failing seeds of one sweep are minimised before being written.
const MINIMIZE_AT_MOST: usize = 5;

pub fn check(args: CheckArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.scenario)?;
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
    let jobs = args
        .jobs
        .map(|j| j as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Failure::Internal(format!("cannot start the worker threads: {e}")))?;
    eprintln!(
        "checking {} ({}) expecting {}: {planned} seeds{} on {jobs} threads",
        scenario.file,
        scenario.name,
        scenario.expect.name(),
        if shard.count > 1 {
            format!(
                " (shard {}/{} of {}..{})",
                shard.index, shard.count, range.start, range.end
            )
        } else {
            format!(" ({}..{})", range.start, range.end)
        },
    );
    let progress = Progress::new(planned);
    let stop = AtomicBool::new(false);
    let failed = AtomicU64::new(0);
    let first_error = Mutex::new(None);
    let started = Instant::now();
    let tally: Tally = pool.install(|| {
        (0..planned)
            .into_par_iter()
            .fold(Tally::default, |mut tally, k| {
                let seed = shard.nth(range, k);
                if stop.load(Ordering::Relaxed) {
                    return tally;
                }
                let report = match scenario.run_seed(seed) {
                    Ok(r) => r,
                    Err(e) => {
                        first_error
                            .lock()
                            .expect("no panics while locked")
                            .get_or_insert(e);
                        stop.store(true, Ordering::Relaxed);
                        return tally;
                    }
                };
                let bad = !report.matches(&scenario.expect);
                if bad {
                    failed.fetch_add(1, Ordering::Relaxed);
                    progress.say(format!(
                        "seed {seed}: {} (expected {}){}",
                        report.outcome(),
                        scenario.expect.name(),
                        report
                            .failure
                            .as_ref()
                            .map_or(String::new(), |f| format!(": {}", f.reason))
                    ));
                    if !args.keep_going {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                progress.tick(failed.load(Ordering::Relaxed));
                tally.add(report, bad);
                tally
            })
            .reduce(Tally::default, Tally::merge)
    });
    progress.finish();
    if let Some(e) = first_error.into_inner().expect("no panics while locked") {
        return Err(e.into());
    }
    let wall = started.elapsed();

    let mut failures = tally.failures;
    failures.sort_by_key(|r| r.seed);
    let mut summary = Summary {
        faultline_summary: 1,
        scenario: scenario.file.clone(),
        name: scenario.name.clone(),
        expect: scenario.expect.name().to_string(),
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
        failures: Vec::new(),
        wall_seconds: wall.as_secs_f64(),
    };
    for (i, report) in failures.iter().enumerate() {
        // Minimise the first few failures (each costs up to --shrink-runs
        // runs); the rest are written as they ran.
        let minimized = if args.no_shrink || i >= MINIMIZE_AT_MOST {
            None
        } else {
            eprintln!("minimising seed {} ...", report.seed);
            scenario.minimize(report, args.shrink_runs as usize)
        };
        let (file, fingerprint) = match &minimized {
            Some(m) => (
                write_replay(&m.scenario, &m.report, &args.out)?,
                m.report.fingerprint,
            ),
            None => (
                write_replay(&scenario, report, &args.out)?,
                report.fingerprint,
            ),
        };
        summary.failures.push(FailedSeed {
            seed: report.seed,
            outcome: report.outcome().to_string(),
            reason: report.failure.as_ref().map(|f| f.reason.clone()),
            fingerprint: format_fingerprint(fingerprint),
            replay_file: Some(file.display().to_string()),
            minimized: minimized.as_ref().map(|m| m.describe()),
        });
    }

    let secs = wall.as_secs_f64().max(1e-9);
    let outcomes: Vec<String> = summary
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
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
        println!("stopped at the first failure; pass --keep-going to run every seed");
    }
    println!("digest {}", summary.digest);
    for f in &summary.failures {
        println!(
            "FAILED seed {}: {} (expected {}){}",
            f.seed,
            f.outcome,
            summary.expect,
            f.reason
                .as_ref()
                .map_or(String::new(), |r| format!(": {r}"))
        );
        if let Some(m) = &f.minimized {
            println!("  minimised: {m}");
        }
        if let Some(file) = &f.replay_file {
            println!("  reproduce: faultline replay {file}");
            println!(
                "         or: faultline run {} --seed {}",
                scenario.file, f.seed
            );
        }
    }
    if let Some(path) = &args.summary_json {
        write_summary(&summary, path)?;
    }
    Ok(summary.failed == 0)
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
