//! `faultline check-history`: the linearizability checker on a history file.

use crate::cli::CheckHistoryArgs;
use faultline_checker::{Budget, Verdict, check_history_file};

pub fn check_history(args: CheckHistoryArgs) -> anyhow::Result<bool> {
    let mut budget = Budget::unlimited();
    if let Some(steps) = args.max_steps {
        budget = budget.with_steps(steps);
    }
    if let Some(limit) = args.time_limit {
        budget = budget.with_time(limit);
    }
    let report = check_history_file(&args.file, &args.model, budget)?;
    println!("{report}");
    Ok(match &report.result.verdict {
        Verdict::Linearizable => true,
        Verdict::NotLinearizable => false,
        Verdict::Unknown { reason } => {
            eprintln!("undecided: {reason}; raise --max-steps or --time-limit");
            false
        }
    })
}
