//! `faultline check-history`: the linearizability checker on a history file.
//!
//! The search is bounded by default, with the same deterministic step
//! budget as a scenario's linearizability check
//! ([`LINEARIZABILITY_STEPS`](faultline_algorithms::scenario::outcome::LINEARIZABILITY_STEPS)):
//! a history too hard for it is reported undecided (exit 1) instead of
//! searching without end. `--max-steps` changes the budget, `--time-limit`
//! adds a wall-clock limit.

use crate::cli::CheckHistoryArgs;
use faultline_checker::{Budget, Verdict, check_history_file};

pub fn check_history(args: CheckHistoryArgs) -> anyhow::Result<bool> {
    let mut budget = Budget::steps(args.max_steps);
    if let Some(limit) = args.time_limit {
        budget = budget.with_time(limit);
    }
    let report = check_history_file(&args.file, &args.model, budget)?;
    outln!("{report}");
    Ok(match &report.result.verdict {
        Verdict::Linearizable => true,
        Verdict::NotLinearizable => false,
        Verdict::Unknown { reason } => {
            errln!("undecided: {reason}; raise --max-steps or --time-limit");
            false
        }
    })
}
