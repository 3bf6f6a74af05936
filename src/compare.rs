//! `faultline compare`: several systems on one fault schedule and one client
//! workload, measured the same way.

use crate::cli::{CompareArgs, SummaryFormat};
use crate::run::load;
use faultline_algorithms::scenario::compare::{Measured, compare as measure, table};

pub fn compare(args: CompareArgs) -> anyhow::Result<bool> {
    let scenarios = args
        .scenarios
        .iter()
        .map(|p| load(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let seed = args.seed.unwrap_or(scenarios[0].seed);
    let faults = match &args.faults {
        Some(path) => Some(load(path)?.fault_schedule(seed)),
        None => None,
    };
    if let Some(path) = &args.markdown {
        crate::atomic::probe(path)?;
    }
    let rows = measure(&scenarios, seed, faults.clone()).map_err(anyhow::Error::msg)?;
    let schedule = faults.unwrap_or_else(|| scenarios[0].fault_schedule(seed));
    match args.format {
        SummaryFormat::Json => crate::atomic::write_stdout(|out| {
            let doc = serde_json::json!({
                "seed": seed,
                "faults": schedule,
                "rows": rows,
            });
            writeln!(out, "{doc}")?;
            Ok(())
        })?,
        SummaryFormat::Text => crate::atomic::write_stdout(|out| {
            writeln!(
                out,
                "seed {seed}, {} faults shared, network and clients of {}",
                schedule.len(),
                scenarios[0].file
            )?;
            write!(out, "{}", table(&rows, false))?;
            writeln!(
                out,
                "gap: after each fault, the time until an operation invoked after it completed ok"
            )?;
            write!(out, "{}", translations(&rows, false))?;
            Ok(())
        })?,
    }
    if let Some(path) = &args.markdown {
        let command = std::iter::once("faultline".to_string())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!(
            "Seed {seed}; {} faults from {}; made with `{}`.\n\n{}",
            schedule.len(),
            args.faults
                .as_ref()
                .map_or(scenarios[0].file.clone(), |p| p.display().to_string()),
            command,
            table(&rows, true)
        ) + &translations(&rows, true);
        crate::atomic::write_file(path, text.as_bytes())?;
    }
    Ok(true)
}

/// The shared faults each system got in another form (aimed at its own
/// serving role, or at the server the first system's fault hit), one line
/// each; empty when every fault applied as written.
fn translations(rows: &[Measured], markdown: bool) -> String {
    let mut out = String::new();
    for row in rows {
        for t in &row.translated {
            if out.is_empty() {
                out.push_str(if markdown {
                    "\nFaults aimed at roles a system does not publish, as it got them:\n\n"
                } else {
                    "faults aimed at roles a system does not publish, as it got them:\n"
                });
            }
            let bullet = if markdown { "- " } else { "  " };
            out.push_str(&format!("{bullet}{} ({}): {t}\n", row.file, row.algorithm));
        }
    }
    out
}
