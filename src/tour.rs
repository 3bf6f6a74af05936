//! `faultline tour`: a scenario's guided tour in the terminal, each step's
//! narration followed by the run's state at that point (who holds which
//! role, each server's own summary, what the network and the clients are
//! doing), for students without a display.

use crate::cli::TourArgs;
use crate::run::{load, refuse_search};
use faultline_algorithms::scenario::Scenario;
use faultline_algorithms::scenario::tour::{Tour, Unreached, message_kind};
use faultline_sim::{NodeId, ObservableKind, RecordKind, RunStatus, SimHandle, TraceMode};
use std::fmt::Write as _;

/// Width narration is wrapped to.
const WIDTH: usize = 78;

pub fn tour(args: TourArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.scenario)?;
    refuse_search(&scenario)?;
    if args.anchors {
        return anchors(&scenario, args.seed.unwrap_or(scenario.seed));
    }
    if scenario.tour.steps.is_empty() {
        anyhow::bail!(
            "{}: has no [[tour]] steps; expected a scenario with a tour (`faultline list` marks them, docs/scenarios.md says how to write one)",
            scenario.file
        );
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    // At the seed the tour is written for, a step the run does not reach
    // is a mistake in the file: an error at the step's line. At another
    // seed the run may simply go elsewhere: the step is shown as not
    // reached.
    let anchors = if seed == scenario.seed {
        scenario.tour_anchors()?.into_iter().map(Ok).collect()
    } else {
        resolve(&scenario, seed)?
    };
    let mut run = scenario.build(seed, TraceMode::Full)?;
    let mut out = String::new();
    let total = scenario.tour.steps.len();
    let _ = writeln!(
        out,
        "{} — a tour in {total} steps (seed {seed})",
        scenario.name
    );
    if let Some(lesson) = &scenario.lesson {
        let _ = writeln!(out, "lesson: {lesson}");
    }
    let mut all_reached = true;
    for (i, (step, anchor)) in scenario.tour.steps.iter().zip(&anchors).enumerate() {
        let _ = writeln!(out);
        let _ = writeln!(out, "── step {}/{total}: {}", i + 1, step.title);
        match anchor {
            Ok(cursor) => {
                run.run_until_event(*cursor);
                let _ = writeln!(
                    out,
                    "   {} · event {} · {}",
                    run.now(),
                    run.events(),
                    step.anchor.describe()
                );
            }
            Err(why) => {
                all_reached = false;
                let _ = writeln!(
                    out,
                    "   not reached in this run ({}): {}",
                    match why {
                        Unreached::NotInRun => "it never happens".to_string(),
                        Unreached::AfterUnreached => "a step before it is not reached".into(),
                        Unreached::BeforePrevious { cursor, previous } => format!(
                            "it is at event {cursor}, before the previous step's {previous}"
                        ),
                    },
                    step.anchor.describe()
                );
            }
        }
        let _ = writeln!(out);
        for line in wrap(&step.text, WIDTH - 3) {
            if line.is_empty() {
                let _ = writeln!(out);
            } else {
                let _ = writeln!(out, "   {line}");
            }
        }
        if anchor.is_ok() {
            let _ = writeln!(out);
            state(
                &mut out,
                run.as_ref(),
                &scenario,
                step_nodes(&scenario.tour, i),
            );
        }
    }
    crate::error::print_stdout(format_args!("{out}"))?;
    if !all_reached {
        outln!();
        outln!(
            "some steps are not reached with seed {seed}; the tour is written for seed {}",
            scenario.seed
        );
    }
    Ok(all_reached)
}

/// Lists the moments of a run a step can be anchored at, in run order.
fn anchors(scenario: &Scenario, seed: u64) -> anyhow::Result<bool> {
    let mut run = scenario.build(seed, TraceMode::Full)?;
    run.run();
    let mut lines: Vec<(u64, String)> = Vec::new();
    for r in run.reports() {
        lines.push((
            r.event + 1,
            format!("{} reported = \"{}\", node = {}", r.time, r.name, r.node.0),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in run.records() {
        match &r.kind {
            RecordKind::Fault {
                fault,
                effective: true,
            } => lines.push((
                r.event + 1,
                format!("{} fault = \"{}\"  ({fault})", r.time, fault.kind_name()),
            )),
            RecordKind::Deliver { msg, to, .. } => {
                if let Some(d) = run.describe_message(*msg) {
                    let kind = message_kind(&d).to_string();
                    if seen.insert(kind.clone()) {
                        lines.push((
                            r.event + 1,
                            format!("{} delivered = \"{kind}\"  (first one, to {to})", r.time),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if let RunStatus::Violated(v) = run.status() {
        lines.push((v.event, format!("{} fails = \"{}\"", v.time, v.invariant)));
    }
    lines.sort_by_key(|(e, _)| *e);
    outln!(
        "{} (seed {seed}): {} events, {}; anchors a tour step can use (event = the step's cursor):",
        scenario.file,
        run.events(),
        run.now()
    );
    for (e, line) in lines {
        outln!("  event {e:>7}  {line}");
    }
    Ok(true)
}

/// The steps' cursors on a run of `seed` with full traces.
fn resolve(scenario: &Scenario, seed: u64) -> anyhow::Result<Vec<Result<u64, Unreached>>> {
    let mut run = scenario.build(seed, TraceMode::Full)?;
    run.run();
    Ok(scenario.tour.resolve(run.as_ref()))
}

fn step_nodes(tour: &Tour, i: usize) -> &[NodeId] {
    &tour.steps[i].highlight.nodes
}

/// The run's state now, in a few lines.
fn state(out: &mut String, run: &dyn SimHandle, scenario: &Scenario, marked: &[NodeId]) {
    let servers = scenario.servers as usize;
    let observables = run.observables();
    let mut roles = Vec::new();
    for (k, o) in observables.iter().enumerate() {
        if o.kind != ObservableKind::Role {
            continue;
        }
        let holders: Vec<String> = (0..servers)
            .filter_map(|n| {
                let v = run.observe(NodeId(n as u32), k)?;
                (v > 0).then(|| format!("n{n}"))
            })
            .collect();
        if !holders.is_empty() {
            roles.push(format!("{}: {}", o.name, holders.join(" ")));
        }
    }
    if !roles.is_empty() {
        let _ = writeln!(out, "   roles    {}", roles.join(" · "));
    }
    for n in 0..servers {
        let id = NodeId(n as u32);
        let mark = if marked.contains(&id) { "▸" } else { " " };
        if !run.node_info(id).up {
            let _ = writeln!(out, "  {mark}{id:<4}     down");
            continue;
        }
        let view = run.node_view(id);
        let _ = writeln!(
            out,
            "  {mark}{id:<4}     {:<10} {}",
            view.role, view.summary
        );
    }
    let network = run.network();
    if network.any_cut() {
        let sides: Vec<String> = network
            .connected_groups()
            .into_iter()
            .map(|g| {
                let names: Vec<String> = g
                    .iter()
                    .filter(|n| (n.0 as usize) < servers)
                    .map(|n| n.to_string())
                    .collect();
                names.join(" ")
            })
            .filter(|s| !s.is_empty())
            .collect();
        let _ = writeln!(out, "   network  cut: {}", sides.join(" | "));
    }
    let in_flight = run.in_flight().len();
    let ops = run.op_count();
    if scenario.clients > 0 {
        let _ = writeln!(
            out,
            "   clients  {ops} operations invoked · {in_flight} messages in flight"
        );
    } else {
        let _ = writeln!(out, "   network  {in_flight} messages in flight");
    }
    if let RunStatus::Violated(v) = run.status() {
        let _ = writeln!(out, "   VIOLATED {}: {}", v.invariant, v.reason);
    }
}

/// Words of `text` in lines of at most `width` characters; a blank line in
/// the text starts a new paragraph.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for (p, paragraph) in text.split("\n\n").enumerate() {
        if p > 0 {
            lines.push(String::new());
        }
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_keeps_lines_within_the_width_and_paragraphs_apart() {
        let lines = wrap("one two three four five\n\nsix", 9);
        assert_eq!(lines, vec!["one two", "three", "four five", "", "six"]);
        assert!(wrap("", 10).is_empty());
    }
}
