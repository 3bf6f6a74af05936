//! `faultline list`: what can be run.

use crate::cli::ListArgs;
use anyhow::Context;
use faultline_algorithms::algorithm::{ParamInfo, describe_settings_docs};
use faultline_algorithms::algorithms;
use faultline_algorithms::family::CLIENT_FIELDS;
use faultline_algorithms::scenario::{Scenario, scenario_files};
use faultline_sim::ObservableKind;

/// Prints documented fields as aligned columns: name, default, doc.
fn fields_table(fields: &[ParamInfo]) -> anyhow::Result<()> {
    let name_width = fields.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let default_width = fields.iter().map(|p| p.default.len()).max().unwrap_or(0);
    for p in fields {
        outln!(
            "      {:<name_width$} default {:<default_width$} {}",
            p.name,
            p.default,
            p.doc
        );
    }
    Ok(())
}

pub fn list(args: ListArgs) -> anyhow::Result<bool> {
    // A folder that is not there is a mistake, not an empty list.
    std::fs::read_dir(&args.dir)
        .with_context(|| format!("cannot list the scenarios in {}", args.dir.display()))?;
    outln!("Algorithms");
    for a in algorithms() {
        let info = a.info();
        outln!();
        outln!("  {} — {}", info.name, info.summary);
        if !info.params.is_empty() {
            outln!("    parameters ([params]):");
            fields_table(&info.params)?;
        }
        let family = &info.family;
        if family.has_operations() {
            outln!(
                "    clients ([clients] or [[clients]] groups): the {} family, {}",
                family.name,
                family.operations
            );
            let mut fields = describe_settings_docs(CLIENT_FIELDS);
            // An algorithm whose clients route by themselves takes no pin.
            fields.retain(|f| info.clients_pin || f.name != "pin");
            fields.extend(family.fields.iter().cloned());
            fields_table(&fields)?;
        } else {
            outln!("    clients: none ({})", family.operations);
        }
        if !info.bugs.is_empty() {
            outln!("    bug variants (params.bug):");
            // Columns as wide as this algorithm's longest name and check.
            let name_width = info.bugs.iter().map(|b| b.name.len()).max().unwrap_or(0);
            let check_width = info
                .bugs
                .iter()
                .map(|b| b.caught_by.len())
                .max()
                .unwrap_or(0);
            for b in &info.bugs {
                outln!(
                    "      {:<name_width$} caught by {:<check_width$} {}",
                    b.name,
                    b.caught_by,
                    b.doc
                );
            }
        }
        if info.invariants.is_empty() {
            outln!("    invariants: none");
        } else {
            outln!("    invariants:");
            let name_width = info
                .invariants
                .iter()
                .map(|i| i.name.len())
                .max()
                .unwrap_or(0);
            for i in &info.invariants {
                outln!("      {:<name_width$} {}", i.name, i.doc);
            }
        }
        if !info.observables.is_empty() {
            outln!("    observables (checks over time; roles can be aimed at by faults):");
            let name_width = info
                .observables
                .iter()
                .map(|o| o.name.len())
                .max()
                .unwrap_or(0);
            for o in &info.observables {
                let kind = match o.kind {
                    ObservableKind::Role => "role",
                    ObservableKind::Number => "number",
                };
                outln!("      {:<name_width$} {kind:<6} {}", o.name, o.doc);
            }
            if let Some(role) = info.serving_role {
                outln!(
                    "      ({role} is the serving role: `faultline compare` aims other systems' \"crash the leader\" faults at it)"
                );
            }
        }
        if !info.reports.is_empty() {
            outln!("    reported events (coverage requirements count them):");
            let name_width = info.reports.iter().map(|e| e.name.len()).max().unwrap_or(0);
            for e in &info.reports {
                outln!("      {:<name_width$} {}", e.name, e.doc);
            }
        }
    }
    outln!();
    outln!("Scenarios (in {})", args.dir.display());
    let files = scenario_files(&args.dir);
    if files.is_empty() {
        outln!("  none found");
    }
    let mut all_valid = true;
    for path in files {
        let shown = path
            .strip_prefix(&args.dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        match Scenario::load(&path) {
            Ok(s) => {
                let tour = match s.tour.steps.len() {
                    0 => String::new(),
                    n => format!(" [tour, {n} steps]"),
                };
                outln!(
                    "  {shown:<36} {} [expect {}]{tour}",
                    s.name,
                    s.expect.name()
                );
                if !s.description.is_empty() {
                    outln!("  {:<36} {}", "", first_sentence(&s.description));
                }
            }
            Err(e) => {
                all_valid = false;
                outln!("  {shown:<36} INVALID: {e}");
            }
        }
    }
    if !all_valid {
        errln!("error: some scenarios are invalid (see above)");
    }
    Ok(all_valid)
}

fn first_sentence(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.find(". ") {
        Some(i) => line[..=i].to_string(),
        None => line,
    }
}
