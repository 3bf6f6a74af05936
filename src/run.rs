//! `faultline run` and `faultline replay`: one run and its summary.

use crate::cli::{ReplayArgs, RunArgs, SummaryFormat};
use crate::export::write_jsonl;
use faultline_algorithms::limits::KERNEL_CHECKS;
use faultline_algorithms::scenario::outcome::weak_lines;
use faultline_algorithms::scenario::replay::{format_fingerprint, verify};
use faultline_algorithms::scenario::{RunReport, Scenario};
use faultline_sim::time::format_duration;
use faultline_sim::{CausalGraph, SimHandle, SimTime, TraceMode};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};

/// One run, driven to its end or to `until`.
pub struct Outcome {
    pub handle: Box<dyn SimHandle>,
    pub report: RunReport,
    pub wall: Duration,
}

/// Builds and runs `scenario` with `seed`.
pub fn execute(
    scenario: &Scenario,
    seed: u64,
    until: Option<Duration>,
    trace: TraceMode,
) -> anyhow::Result<Outcome> {
    let mut config = scenario.world_config(seed, trace);
    config.snapshot_every = 0;
    let mut handle = scenario.build_with(config)?;
    let started = Instant::now();
    match until {
        Some(t) => {
            handle.run_until_time(SimTime::from_duration(t));
        }
        None => {
            handle.run();
        }
    }
    let report = scenario.evaluate(handle.as_ref(), seed);
    Ok(Outcome {
        handle,
        report,
        wall: started.elapsed(),
    })
}

pub fn load(path: &Path) -> anyhow::Result<Scenario> {
    Ok(Scenario::load(path)?)
}

/// A file with an `[explore]` table is searched, not run with a seed.
pub fn refuse_search(scenario: &Scenario) -> anyhow::Result<()> {
    if scenario.is_search() {
        anyhow::bail!(
            "{}: has an [explore] table, so it is searched, not run with a seed: `faultline explore {}` (or remove the table)",
            scenario.file,
            scenario.file
        );
    }
    Ok(())
}

pub fn run(args: RunArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.scenario)?;
    refuse_search(&scenario)?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let trace = if args.trace.is_some() || args.why {
        TraceMode::Full
    } else {
        TraceMode::Fingerprint
    };
    let outcome = execute(&scenario, seed, args.until, trace)?;
    if let Some(path) = &args.trace {
        write_jsonl(&scenario, &outcome, path)?;
    }
    if let Some(path) = &args.history {
        write_history(&outcome, path)?;
    }
    let matched = matched(&scenario, &outcome.report);
    print_summary(&scenario, &outcome, args.format, matched, None)?;
    if args.why && args.format == SummaryFormat::Text {
        print_why(outcome.handle.as_ref())?;
    }
    if !matched && args.format == SummaryFormat::Text {
        outln!(
            "reproduce   faultline run {} --seed {}",
            scenario.file,
            seed
        );
    }
    Ok(matched)
}

/// How many faults `--why` lists (the latest).
const WHY_FAULTS: usize = 20;

/// `--why`: the violation's faults and chain of messages, from the causal
/// graph of the full trace.
fn print_why(handle: &dyn SimHandle) -> anyhow::Result<()> {
    use faultline_gui::text;
    let records = handle.records();
    let Some(violation) = records.iter().rposition(|r| r.kind.name() == "violation") else {
        outln!("why         no violation in this run");
        return Ok(());
    };
    let graph = CausalGraph::build(records, handle.node_count());
    let Some(step) = graph.step_of(violation) else {
        return Ok(());
    };
    let why = graph.why(step);
    let line = |i: usize| {
        let r = &records[i];
        format!(
            "event {:>7}  {:>9}  {}",
            r.event,
            text::time(r.time),
            text::record(r)
        )
    };
    outln!(
        "why         {} fault(s) in the violation's causal past{}",
        why.faults.len(),
        if why.faults.len() > WHY_FAULTS {
            format!(", the latest {WHY_FAULTS}:")
        } else if why.faults.is_empty() {
            String::new()
        } else {
            ":".into()
        }
    );
    for &i in why.faults.iter().rev().take(WHY_FAULTS) {
        outln!("              {}", line(i));
    }
    outln!("            the chain of latest messages that led to it, newest first:");
    for s in &why.chain {
        outln!("              {}", line(s.record));
        if let Some(send) = s.message_from {
            outln!(
                "                (sent at {})",
                text::time(records[send].time)
            );
        }
    }
    if why.more {
        outln!("              ...");
    }
    Ok(())
}

/// Whether the run gave the expected outcome; a run cut short by `--until`
/// without a failure is not judged.
fn matched(scenario: &Scenario, report: &RunReport) -> bool {
    if !report.complete && report.failure.is_none() {
        return true;
    }
    report.matches(&scenario.expect)
}

pub fn replay(args: ReplayArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.file)?;
    if scenario.replay.is_none() {
        anyhow::bail!(
            "{}: not a replay file (it has no [replay] table); run scenarios with `faultline run`",
            scenario.file
        );
    }
    let trace = if args.trace.is_some() {
        TraceMode::Full
    } else {
        TraceMode::Fingerprint
    };
    let outcome = execute(&scenario, scenario.seed, None, trace)?;
    if let Some(path) = &args.trace {
        write_jsonl(&scenario, &outcome, path)?;
    }
    let verdict = verify(&scenario, &outcome.report);
    print_summary(
        &scenario,
        &outcome,
        args.format,
        verdict.is_ok(),
        Some(&verdict),
    )?;
    if let Err(mismatch) = &verdict {
        errln!(
            "error: {}: the replay did not reproduce: {mismatch}",
            scenario.file
        );
    }
    Ok(verdict.is_ok())
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    scenario: &'a str,
    name: &'a str,
    algorithm: &'a str,
    servers: u32,
    clients: u32,
    seed: u64,
    fingerprint_hex: String,
    outcome: &'a str,
    expected: &'a str,
    matched: bool,
    reproduced: Option<bool>,
    wall_seconds: f64,
    #[serde(flatten)]
    report: &'a RunReport,
}

fn print_summary(
    scenario: &Scenario,
    outcome: &Outcome,
    format: SummaryFormat,
    matched: bool,
    replay: Option<&Result<(), faultline_algorithms::scenario::replay::ReplayMismatch>>,
) -> anyhow::Result<()> {
    let r = &outcome.report;
    if format == SummaryFormat::Json {
        let summary = JsonSummary {
            scenario: &scenario.file,
            name: &scenario.name,
            algorithm: scenario.algorithm_name(),
            servers: scenario.servers,
            clients: scenario.clients,
            seed: r.seed,
            fingerprint_hex: format_fingerprint(r.fingerprint),
            outcome: r.outcome(),
            expected: match (replay, &scenario.replay) {
                (Some(_), Some(info)) => &info.outcome,
                _ => scenario.expect.name(),
            },
            matched,
            reproduced: replay.map(|v| v.is_ok()),
            wall_seconds: outcome.wall.as_secs_f64(),
            report: r,
        };
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary).expect("summaries serialize")
        );
        return Ok(());
    }
    let s = &r.stats;
    let wall = outcome.wall.as_secs_f64().max(1e-9);
    outln!("scenario    {} ({})", scenario.name, scenario.file);
    outln!(
        "setup       {}, {} servers, {} clients{}, seed {}",
        scenario.algorithm_name(),
        scenario.servers,
        scenario.clients,
        describe_groups(scenario),
        r.seed
    );
    let until = if r.complete {
        ""
    } else {
        " (stopped by --until)"
    };
    outln!(
        "time        {} simulated{until} in {} wall ({:.0}x real time)",
        r.time,
        human_wall(outcome.wall),
        r.time.as_secs_f64() / wall
    );
    outln!(
        "events      {} ({:.0} events/s)",
        r.events,
        r.events as f64 / wall
    );
    outln!(
        "messages    {} sent, {} delivered, {} dropped ({} partition, {} loss, {} node down, {} injected), {} duplicated",
        s.sent,
        s.delivered,
        s.dropped(),
        s.dropped_partition,
        s.dropped_loss,
        s.dropped_node_down,
        s.dropped_injected,
        s.duplicated
    );
    outln!(
        "faults      {} applied of {} scheduled",
        s.faults,
        r.faults.len()
    );
    const SHOWN: usize = 8;
    for f in r.faults.iter().take(SHOWN) {
        outln!("              at {:>8}  {}", f.at.to_string(), f.fault);
    }
    if r.faults.len() > SHOWN {
        outln!("              ... and {} more", r.faults.len() - SHOWN);
    }
    outln!(
        "clients     {} operations: {} ok, {} failed, {} unknown",
        s.ops_invoked,
        s.ops_ok,
        s.ops_failed,
        s.ops_unknown
    );
    let invariants = scenario.checks.invariants.clone().unwrap_or_else(|| {
        scenario
            .algorithm
            .info()
            .invariants
            .iter()
            .map(|i| i.name.to_string())
            .collect()
    });
    let violated = r.failure.as_ref().filter(|f| f.event.is_some());
    let over_time = scenario.checks.over_time_names();
    let over_time_failed = violated.filter(|f| over_time.contains(&f.check.as_str()));
    let inv_state = match violated {
        Some(f) if over_time_failed.is_some() => format!(
            "held until the check over time `{}` stopped the run at event {}",
            f.check,
            f.event.unwrap_or(0)
        ),
        // The kernel's own checks are not the algorithm's invariants.
        Some(f) if KERNEL_CHECKS.contains(&f.check.as_str()) => format!(
            "held until the kernel's `{}` check stopped the run at event {}",
            f.check,
            f.event.unwrap_or(0)
        ),
        Some(f) => format!("`{}` violated at event {}", f.check, f.event.unwrap_or(0)),
        None if r.complete => "hold".to_string(),
        None => "hold so far".to_string(),
    };
    if invariants.is_empty() {
        outln!("checks      no invariants");
    } else {
        outln!(
            "checks      invariants {}: {inv_state}",
            invariants.join(", ")
        );
    }
    if !over_time.is_empty() {
        let state = match (over_time_failed, violated) {
            (Some(f), _) => format!(
                "`{}` failed at event {} (t={})",
                f.check,
                f.event.unwrap_or(0),
                f.time.map_or(String::new(), |t| t.to_string())
            ),
            (None, Some(_)) => "not judged past the violation".to_string(),
            (None, None) if r.complete => "hold".to_string(),
            (None, None) => "hold so far".to_string(),
        };
        outln!("            over time {}: {state}", over_time.join(", "));
    }
    if let Some(l) = &r.linearizability {
        outln!(
            "            linearizability: {} ({} operations)",
            l.verdict,
            l.operations
        );
    }
    if let Some(w) = &r.weak {
        for line in weak_lines(w, &scenario.checks, outcome.handle.as_ref()) {
            outln!("            {}", line.text);
        }
    }
    if let Some(bound) = scenario.checks.liveness {
        match &r.liveness {
            Some(l) => outln!(
                "            liveness within {} after {}: {}/{} judged operations completed in time, slowest {}",
                format_duration(bound),
                l.quiet_from,
                l.completed,
                l.judged,
                approx(Duration::from_nanos(l.slowest_nanos))
            ),
            None => outln!("            liveness: not judged (the run did not finish)"),
        }
    }
    if let Some(f) = &r.failure {
        let when = match (f.event, f.time) {
            (Some(e), Some(t)) => format!(" at event {e} (t={t})"),
            _ => String::new(),
        };
        outln!("failure     {}{when}: {}", f.check, f.reason);
    }
    outln!("fingerprint {}", format_fingerprint(r.fingerprint));
    match (replay, &scenario.replay) {
        (Some(_), Some(info)) => {
            let mark = if info.outcome == r.outcome() {
                "same"
            } else {
                "DIFFERENT"
            };
            outln!(
                "outcome     {} (recorded {}): {mark}",
                r.outcome(),
                info.outcome
            );
        }
        _ => {
            let mark = if matched { "as expected" } else { "UNEXPECTED" };
            outln!(
                "outcome     {} (expected {}): {mark}",
                r.outcome(),
                scenario.expect.describe()
            );
        }
    }
    if let Some(verdict) = replay {
        match verdict {
            Ok(()) => outln!("replay      reproduced: same fingerprint and outcome"),
            Err(e) => outln!("replay      NOT reproduced: {e}"),
        }
    }
    Ok(())
}

/// A duration rounded for reading (`219.0ms`).
pub fn approx(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns}ns")
    } else if ns < 1e6 {
        format!("{:.1}us", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1}ms", ns / 1e6)
    } else {
        format!("{:.3}s", ns / 1e9)
    }
}

fn human_wall(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.2}ms", d.as_secs_f64() * 1e3)
    } else if d < Duration::from_secs(10) {
        format!("{:.0}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Writes the client history, one operation per line, in the format
/// `faultline check-history` reads.
fn write_history(outcome: &Outcome, path: &Path) -> anyhow::Result<()> {
    crate::atomic::write_with(path, |out| {
        for i in 0..outcome.handle.op_count() {
            if let Some(op) = outcome.handle.op_json(i) {
                serde_json::to_writer(&mut *out, &op)?;
                writeln!(out)?;
            }
        }
        Ok(())
    })
}

/// The client groups in words, when there is more than one or a pin:
/// ` (n3..n4; n5 pinned to the leader)`.
fn describe_groups(scenario: &Scenario) -> String {
    if scenario.groups.is_empty() {
        return String::new();
    }
    let mut first = scenario.servers;
    let parts: Vec<String> = scenario
        .groups
        .iter()
        .map(|g| {
            let ids = match g.count {
                1 => format!("n{first}"),
                n => format!("n{first}..n{}", first + n - 1),
            };
            first += g.count;
            match &g.pin {
                Some(pin) => format!("{ids} pinned to {pin}"),
                None => ids,
            }
        })
        .collect();
    format!(" ({})", parts.join("; "))
}
