//! `faultline check-history`: the linearizability checker on a history file.
//!
//! The search is bounded by default, with the same deterministic step
//! budget as a scenario's linearizability check
//! ([`LINEARIZABILITY_STEPS`](faultline_algorithms::scenario::outcome::LINEARIZABILITY_STEPS)):
//! a history too hard for it is reported undecided (exit 1) instead of
//! searching without end. `--max-steps` changes the budget, `--time-limit`
//! adds a wall-clock limit.

//!
//! `--check` adds (or selects instead) the weak checkers of
//! `faultline_checker::weak` on a key-value history: `durability`,
//! `sessions` and `stale-reads`. The command passes (exit 0) when every
//! selected check does.

use crate::cli::{CheckHistoryArgs, HistoryCheck};
use faultline_checker::models::KvModel;
use faultline_checker::weak::{Guarantee, check_weak};
use faultline_checker::{Budget, Model, Verdict, check_history_file, read_kv_history_file};

/// How many violations of each weak check are listed.
const SHOWN: usize = 5;

pub fn check_history(args: CheckHistoryArgs) -> anyhow::Result<bool> {
    let weak: Vec<HistoryCheck> = args
        .check
        .iter()
        .copied()
        .filter(|c| *c != HistoryCheck::Linearizability)
        .collect();
    if !weak.is_empty() && args.model != "kv" {
        anyhow::bail!(
            "--check durability, sessions and stale-reads judge key-value histories; expected --model kv, found --model {}",
            args.model
        );
    }
    let mut passed = true;
    if args.check.contains(&HistoryCheck::Linearizability) {
        let mut budget = Budget::steps(args.max_steps);
        if let Some(limit) = args.time_limit {
            budget = budget.with_time(limit);
        }
        let report = check_history_file(&args.file, &args.model, budget)?;
        outln!("{report}");
        passed &= match &report.result.verdict {
            Verdict::Linearizable => true,
            Verdict::NotLinearizable => false,
            Verdict::Unknown { reason } => {
                errln!("undecided: {reason}; raise --max-steps or --time-limit");
                false
            }
        };
    }
    if weak.is_empty() {
        return Ok(passed);
    }
    let history = read_kv_history_file(&args.file)?;
    let report = check_weak(&history);
    let describe = |i: usize| {
        history.get(i).map_or(String::new(), |o| {
            format!(
                "(client {}, [{}, {}]: {})",
                o.client,
                o.call,
                o.ret.map_or("-".to_string(), |r| r.to_string()),
                KvModel.describe_operation(&o.input, o.outcome.output())
            )
        })
    };
    for check in weak {
        match check {
            HistoryCheck::Linearizability => {}
            HistoryCheck::Durability => {
                let d = &report.durability;
                outln!("durability: {}", d.summary());
                for l in d.lost.iter().take(SHOWN) {
                    outln!(
                        "  lost: write #{} {} is missing from the last read #{} {}",
                        l.write,
                        describe(l.write),
                        l.read,
                        describe(l.read)
                    );
                }
                more(d.lost.len())?;
                passed &= d.lost.is_empty();
            }
            HistoryCheck::Sessions => {
                let s = &report.sessions;
                outln!("sessions: {}", s.summary(&Guarantee::ALL));
                for v in s.violations.iter().take(SHOWN) {
                    outln!("  {}", v.describe(describe));
                }
                more(s.violations.len())?;
                passed &= s.violations.is_empty();
            }
            HistoryCheck::StaleReads => {
                let s = &report.staleness;
                outln!("stale reads: {}", s.summary());
                for r in s.stale.iter().take(SHOWN) {
                    outln!(
                        "  read #{} {} is {} version(s) behind, since write #{} {}",
                        r.read,
                        describe(r.read),
                        r.versions,
                        r.newer,
                        describe(r.newer)
                    );
                }
                more(s.stale.len())?;
                passed &= s.stale.is_empty();
            }
        }
    }
    Ok(passed)
}

fn more(total: usize) -> anyhow::Result<()> {
    if total > SHOWN {
        outln!("  ... and {} more", total - SHOWN);
    }
    Ok(())
}
