//! `faultline explore`: exhaustive exploration of a scenario with an
//! `[explore]` table (docs/explore.md).
//!
//! The search runs on `--threads` threads; its counts and counterexample do
//! not depend on how many. A violation's path is replayed through the
//! usual run machinery and written as a replay file, which `faultline
//! replay` re-runs and the lab steps through.

use crate::atomic::write_file;
use crate::cli::{ExploreArgs, StrategyArg, SummaryFormat};
use crate::error::Failure;
use crate::run::load;
use faultline_algorithms::scenario::replay::format_fingerprint;
use faultline_algorithms::scenario::{Counterexample, ExploreOverrides, Scenario};
use faultline_sim::explore::{Parallel, Progress, Report, Strategy, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Runs tasks on a fixed number of threads, each taking the next task.
pub struct Threads(pub usize);

impl Parallel for Threads {
    fn threads(&self) -> usize {
        self.0
    }

    fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync)) {
        if self.0 <= 1 || tasks <= 1 {
            (0..tasks).for_each(task);
            return;
        }
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.0.min(tasks) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= tasks {
                            break;
                        }
                        task(i);
                    }
                });
            }
        });
    }
}

/// Shows how far the search has come: a bar-less spinner on a terminal,
/// a line every few seconds otherwise.
struct Meter {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
}

impl Meter {
    fn new(quiet: bool) -> Meter {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Meter {
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn update(&mut self, p: &Progress, quiet: bool) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let line = format!(
            "{} states ({:.0}/s), {} transitions, depth {}, queue {}, visited set {}",
            p.states,
            p.states as f64 / secs,
            p.transitions,
            p.depth,
            p.queue,
            bytes(p.visited_bytes)
        );
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None if !quiet && self.last_line.elapsed() >= Duration::from_secs(5) => {
                self.last_line = Instant::now();
                eprintln!("explored {line}");
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30))
    } else if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The peak resident memory of this process, where the system says it
/// (Linux's `VmHWM`).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn strategy(arg: StrategyArg) -> Strategy {
    match arg {
        StrategyArg::Bfs => Strategy::Bfs,
        StrategyArg::Dfs => Strategy::Dfs,
        StrategyArg::Random => Strategy::Random,
        StrategyArg::Swarm => Strategy::Swarm,
        StrategyArg::Novelty => Strategy::Novelty,
    }
}

/// Where the counterexample's replay file goes.
fn replay_path(args: &ExploreArgs, scenario: &Scenario) -> PathBuf {
    if let Some(p) = &args.out {
        return p.clone();
    }
    let stem = Path::new(&scenario.file)
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("faultline-failures").join(format!("{stem}-explored.toml"))
}

pub fn explore(args: ExploreArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.scenario)?;
    let Some(spec) = scenario.explore else {
        anyhow::bail!(
            "{}: no [explore] table; add one to search this scenario (docs/explore.md), or run it with `faultline run`",
            scenario.file
        );
    };
    if !scenario.is_search() {
        anyhow::bail!(
            "{}: a replay of an explored path; re-run it with `faultline replay {}`",
            scenario.file,
            scenario.file
        );
    }
    if args.walks.is_some() && !args.strategy.map(strategy).unwrap_or(spec.strategy).walks() {
        anyhow::bail!(
            "--walks is read only by the random and swarm strategies; add --strategy random or swarm"
        );
    }
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    );
    let overrides = ExploreOverrides {
        strategy: args.strategy.map(strategy),
        max_depth: args.max_depth,
        max_states: args.max_states,
        walks: args.walks,
    };
    let out = replay_path(&args, &scenario);
    let quiet = args.format == SummaryFormat::Json;
    let mut meter = Meter::new(quiet);
    let started = Instant::now();
    let report = scenario.explore(overrides, &Threads(threads), &mut |p| {
        meter.update(p, quiet)
    })?;
    let wall = started.elapsed();
    meter.finish();
    let matched = scenario.explore_matches(&report);
    let counterexample = match &report.verdict {
        Verdict::Violation { path, .. } => {
            let c = scenario.counterexample(path)?;
            if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Failure::write(dir, e))?;
            }
            write_file(&out, c.replay.as_bytes())?;
            Some(c)
        }
        _ => None,
    };
    let summary = Summary {
        scenario: &scenario,
        report: &report,
        counterexample: counterexample.as_ref(),
        replay: counterexample.as_ref().map(|_| out.as_path()),
        threads,
        wall,
        matched,
    };
    match args.format {
        SummaryFormat::Text => summary.text()?,
        SummaryFormat::Json => {
            let json = serde_json::to_string_pretty(&summary.json())
                .map_err(|e| Failure::Internal(e.to_string()))?;
            outln!("{json}");
        }
    }
    Ok(matched)
}

struct Summary<'a> {
    scenario: &'a Scenario,
    report: &'a Report,
    counterexample: Option<&'a Counterexample>,
    replay: Option<&'a Path>,
    threads: usize,
    wall: Duration,
    matched: bool,
}

impl Summary<'_> {
    fn verdict_line(&self) -> String {
        let p = &self.report.progress;
        match &self.report.verdict {
            Verdict::Violation { path, violation } => format!(
                "violation of {} after {} steps: {}",
                violation.invariant,
                path.len(),
                violation.reason
            ),
            Verdict::Clean { exhaustive: true } => {
                "no violation in any reachable state (exhaustive)".to_string()
            }
            Verdict::Clean { exhaustive: false } => format!(
                "no violation within the depth bound ({} steps): not exhaustive beyond it",
                p.depth
            ),
            Verdict::Bounded { bound } => {
                format!("no violation, but stopped at the {bound} bound: not exhaustive")
            }
        }
    }

    fn text(&self) -> anyhow::Result<()> {
        let s = self.scenario;
        let spec = s.explore.expect("an explored scenario");
        let p = &self.report.progress;
        let b = spec.budgets;
        outln!(
            "scenario    {} ({}, {} servers, {} clients)",
            s.file,
            s.algorithm_name(),
            s.servers,
            s.clients
        );
        outln!(
            "search      {} on {} thread{}",
            self.report.strategy.name(),
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        );
        outln!(
            "budgets     operations {}, crashes {}, restarts {}, partitions {}, drops {}, duplicates {}",
            b.operations,
            b.crashes,
            b.restarts,
            b.partitions,
            b.drops,
            b.duplicates
        );
        let secs = self.wall.as_secs_f64();
        outln!(
            "states      {} unique, {} transitions, deepest path {}",
            p.states,
            p.transitions,
            p.depth
        );
        outln!(
            "time        {:.2} s, {:.0} states/s",
            secs,
            p.states as f64 / secs.max(1e-9)
        );
        match peak_rss() {
            Some(rss) => outln!(
                "memory      visited set {} ({:.1} bytes/state), peak resident {}",
                bytes(p.visited_bytes),
                p.visited_bytes as f64 / p.states.max(1) as f64,
                bytes(rss)
            ),
            None => outln!("memory      visited set {}", bytes(p.visited_bytes)),
        }
        outln!("verdict     {}", self.verdict_line());
        if let Some(c) = self.counterexample {
            outln!("path");
            for (i, label) in c.labels.iter().enumerate() {
                outln!("  {:>3}. {label}", i + 1);
            }
            outln!(
                "replayed    fingerprint {}, outcome {}",
                format_fingerprint(c.run.fingerprint),
                c.run.outcome()
            );
            if let Some(path) = self.replay {
                outln!("replay file {}", path.display());
                outln!("step through it   faultline gui {}", path.display());
            }
        }
        outln!(
            "expected    {}: {}",
            s.expect.name(),
            if self.matched {
                "matched"
            } else {
                "NOT matched"
            }
        );
        Ok(())
    }

    fn json(&self) -> serde_json::Value {
        let p = &self.report.progress;
        let secs = self.wall.as_secs_f64();
        serde_json::json!({
            "scenario": self.scenario.file,
            "strategy": self.report.strategy.name(),
            "threads": self.threads,
            "budgets": self.scenario.explore.map(|e| e.budgets),
            "states": p.states,
            "transitions": p.transitions,
            "depth": p.depth,
            "visited_bytes": p.visited_bytes,
            "peak_rss_bytes": peak_rss(),
            "wall_seconds": secs,
            "states_per_second": p.states as f64 / secs.max(1e-9),
            "verdict": self.report.verdict,
            "summary": self.verdict_line(),
            "steps": self.counterexample.map(|c| c.labels.clone()),
            "fingerprint": self.counterexample.map(|c| format_fingerprint(c.run.fingerprint)),
            "replay": self.replay.map(|p| p.display().to_string()),
            "expected": self.scenario.expect.name(),
            "matched": self.matched,
        })
    }
}
