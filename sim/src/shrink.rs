//! Shrinking a failing run to a small story: delta debugging over the fault
//! schedule, then the run length, then the workload.
//!
//! A failing seed with forty faults is a puzzle; the same failure with two
//! faults is a lesson. Given a failing [`Candidate`] and a function that
//! re-runs a candidate and says whether it still fails *the same way*, the
//! shrinker removes faults with Zeller's ddmin (chunks of halving size, then
//! single faults), cuts the run off right after the failure, lowers the
//! number of client operations, and finally simplifies the remaining faults
//! one by one (smaller partitions, smaller clock jumps). Every accepted step
//! was verified by a run, so the result fails by construction.
//!
//! The shrinker knows nothing of algorithms: the caller's `fails` closure
//! builds and runs a world. Faults placed with `after_event` are converted to
//! plain timed faults first, since removing an earlier fault shifts event
//! indices; the caller's first check confirms the failure survives that.

use crate::fault::{Fault, FaultSchedule, ScheduledFault};
use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// What the shrinker may change about a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The faults applied.
    pub faults: FaultSchedule,
    /// When the run ends.
    pub end: SimTime,
    /// Client operations per client (`None`: unbounded).
    pub max_ops_per_client: Option<u64>,
}

/// How shrinking went.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrunk {
    /// The smallest failing candidate found.
    pub candidate: Candidate,
    /// Runs spent.
    pub runs: usize,
    /// Whether the run budget ran out before a fixpoint.
    pub budget_exhausted: bool,
}

/// The outcome of one trial run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trial {
    /// Still fails the same way; `at` is when the failure was seen.
    Fails {
        /// True time of the failure.
        at: SimTime,
    },
    /// Passes, or fails differently.
    Passes,
}

struct Budget<F> {
    fails: F,
    runs: usize,
    max_runs: usize,
}

impl<F: FnMut(&Candidate) -> Trial> Budget<F> {
    fn try_run(&mut self, c: &Candidate) -> Option<Trial> {
        if self.runs >= self.max_runs {
            return None;
        }
        self.runs += 1;
        Some((self.fails)(c))
    }
}

/// Shrinks `initial`, which must fail, with at most `max_runs` trial runs.
///
/// ```
/// use faultline_sim::shrink::{shrink, Candidate, Trial};
/// use faultline_sim::{Fault, NodeId, ScheduledFault, SimTime};
/// let crash = |n, t| ScheduledFault { at: SimTime(t), after_event: None, fault: Fault::Crash { node: NodeId(n) } };
/// let initial = Candidate {
///     faults: (0..8).map(|i| crash(i % 3, i as u64 * 10)).collect(),
///     end: SimTime(1_000),
///     max_ops_per_client: None,
/// };
/// // The "bug": the run fails once n2 has crashed (at the time of that crash).
/// let result = shrink(initial, 200, |c| match c.faults.iter().find(|f| f.fault == Fault::Crash { node: NodeId(2) }) {
///     Some(f) if f.at <= c.end => Trial::Fails { at: f.at },
///     _ => Trial::Passes,
/// });
/// assert_eq!(result.candidate.faults.len(), 1);
/// assert_eq!(result.candidate.end, result.candidate.faults[0].at, "the run ends at the failure");
/// ```
pub fn shrink(
    initial: Candidate,
    max_runs: usize,
    fails: impl FnMut(&Candidate) -> Trial,
) -> Shrunk {
    let mut budget = Budget {
        fails,
        runs: 0,
        max_runs,
    };
    let mut best = initial.clone();
    // Exact placements do not survive removing faults; try without them.
    if best.faults.iter().any(|f| f.after_event.is_some()) {
        let mut timed = best.clone();
        for f in &mut timed.faults {
            f.after_event = None;
        }
        if let Some(Trial::Fails { .. }) = budget.try_run(&timed) {
            best = timed;
        } else {
            // Shrinking would change what the faults mean; give back the original.
            return Shrunk {
                candidate: initial,
                runs: budget.runs,
                budget_exhausted: budget.runs >= max_runs,
            };
        }
    }
    let mut exhausted = false;
    loop {
        let before = best.clone();
        exhausted |= !ddmin_faults(&mut best, &mut budget);
        exhausted |= !cut_run(&mut best, &mut budget);
        exhausted |= !fewer_ops(&mut best, &mut budget);
        exhausted |= !simplify_faults(&mut best, &mut budget);
        if best == before || exhausted {
            break;
        }
    }
    Shrunk {
        candidate: best,
        runs: budget.runs,
        budget_exhausted: exhausted,
    }
}

/// Removes faults: chunks of halving size, then single ones (ddmin).
/// Chunks are tried from the end of the schedule backwards, so the faults
/// that survive are the earliest ones that still fail, and the story ends as
/// early as it can. Returns false if the budget ran out.
fn ddmin_faults<F: FnMut(&Candidate) -> Trial>(
    best: &mut Candidate,
    budget: &mut Budget<F>,
) -> bool {
    let mut chunks = 2usize;
    while !best.faults.is_empty() {
        let n = best.faults.len();
        let size = n.div_ceil(chunks.min(n));
        let mut removed_any = false;
        let mut end = best.faults.len();
        while end > 0 {
            let start = end.saturating_sub(size);
            let mut trial = best.clone();
            trial.faults.drain(start..end);
            match budget.try_run(&trial) {
                None => return false,
                Some(Trial::Fails { .. }) => {
                    *best = trial;
                    removed_any = true;
                }
                Some(Trial::Passes) => {}
            }
            end = start.min(best.faults.len());
        }
        if removed_any {
            chunks = 2.max(chunks - 1);
        } else if size == 1 {
            break;
        } else {
            chunks = (chunks * 2).min(best.faults.len().max(1));
        }
    }
    true
}

/// Ends the run right after the failure, dropping faults after that point.
fn cut_run<F: FnMut(&Candidate) -> Trial>(best: &mut Candidate, budget: &mut Budget<F>) -> bool {
    let Some(Trial::Fails { at }) = budget.try_run(best) else {
        return budget.runs < budget.max_runs;
    };
    if at >= best.end {
        return true;
    }
    let mut trial = best.clone();
    trial.end = at;
    trial.faults.retain(|f| f.at <= at);
    match budget.try_run(&trial) {
        None => false,
        Some(Trial::Fails { .. }) => {
            *best = trial;
            true
        }
        Some(Trial::Passes) => true,
    }
}

/// Lowers the client operation count by bisection.
fn fewer_ops<F: FnMut(&Candidate) -> Trial>(best: &mut Candidate, budget: &mut Budget<F>) -> bool {
    // Without a bound, first try a generous one, then bisect below it.
    let mut hi = match best.max_ops_per_client {
        Some(n) => n,
        None => {
            let mut trial = best.clone();
            trial.max_ops_per_client = Some(1_000);
            match budget.try_run(&trial) {
                None => return false,
                Some(Trial::Fails { .. }) => *best = trial,
                Some(Trial::Passes) => return true,
            }
            1_000
        }
    };
    let mut lo = 0;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mut trial = best.clone();
        trial.max_ops_per_client = Some(mid);
        match budget.try_run(&trial) {
            None => return false,
            Some(Trial::Fails { .. }) => {
                *best = trial;
                hi = mid;
            }
            Some(Trial::Passes) => lo = mid + 1,
        }
    }
    true
}

/// Tries a simpler version of each fault: partitions with fewer nodes,
/// clock changes of half the size, earlier times are left alone.
fn simplify_faults<F: FnMut(&Candidate) -> Trial>(
    best: &mut Candidate,
    budget: &mut Budget<F>,
) -> bool {
    let mut i = 0;
    while i < best.faults.len() {
        for simpler in simpler_versions(&best.faults[i]) {
            let mut trial = best.clone();
            trial.faults[i] = simpler;
            match budget.try_run(&trial) {
                None => return false,
                Some(Trial::Fails { .. }) => {
                    *best = trial;
                    break;
                }
                Some(Trial::Passes) => {}
            }
        }
        i += 1;
    }
    true
}

fn simpler_versions(f: &ScheduledFault) -> Vec<ScheduledFault> {
    let with = |fault: Fault| ScheduledFault {
        at: f.at,
        after_event: f.after_event,
        fault,
    };
    match &f.fault {
        Fault::Partition { groups } => {
            let mut out = Vec::new();
            for (g, group) in groups.iter().enumerate() {
                if group.len() > 1 {
                    for skip in 0..group.len() {
                        let mut smaller = groups.clone();
                        smaller[g].remove(skip);
                        out.push(with(Fault::Partition { groups: smaller }));
                    }
                }
            }
            out
        }
        Fault::PartitionOneWay { from, to } => {
            let mut out = Vec::new();
            if from.len() > 1 {
                out.push(with(Fault::PartitionOneWay {
                    from: from[..1].to_vec(),
                    to: to.clone(),
                }));
            }
            if to.len() > 1 {
                out.push(with(Fault::PartitionOneWay {
                    from: from.clone(),
                    to: to[..1].to_vec(),
                }));
            }
            out
        }
        Fault::ClockOffset { node, offset } if offset.abs() > 1_000_000 => {
            vec![with(Fault::ClockOffset {
                node: *node,
                offset: offset / 2,
            })]
        }
        Fault::ClockStep { node, delta } if delta.abs() > 1_000_000 => {
            vec![with(Fault::ClockStep {
                node: *node,
                delta: delta / 2,
            })]
        }
        Fault::ClockDrift { node, ppm } if ppm.abs() > 1_000 => {
            vec![with(Fault::ClockDrift {
                node: *node,
                ppm: ppm / 2,
            })]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeId;

    fn fault(t: u64, fault: Fault) -> ScheduledFault {
        ScheduledFault {
            at: SimTime(t),
            after_event: None,
            fault,
        }
    }

    /// A run "fails" when n0 and n1 are partitioned apart and n2 has crashed.
    fn needs_two(c: &Candidate) -> Trial {
        let split = c.faults.iter().find(|f| match &f.fault {
            Fault::Partition { groups } => {
                let side = |n| groups.iter().position(|g| g.contains(&NodeId(n)));
                matches!((side(0), side(1)), (Some(a), Some(b)) if a != b)
            }
            _ => false,
        });
        let crash = c
            .faults
            .iter()
            .find(|f| f.fault == Fault::Crash { node: NodeId(2) });
        match (split, crash) {
            (Some(s), Some(k)) if s.at.max(k.at) <= c.end => Trial::Fails { at: s.at.max(k.at) },
            _ => Trial::Passes,
        }
    }

    #[test]
    fn ddmin_keeps_exactly_the_needed_faults_and_simplifies_them() {
        let mut faults = Vec::new();
        for i in 0..30u64 {
            faults.push(fault(
                i * 10,
                Fault::Crash {
                    node: NodeId((i % 2) as u32),
                },
            ));
        }
        faults.insert(
            7,
            fault(
                75,
                Fault::Partition {
                    groups: vec![vec![NodeId(0), NodeId(3)], vec![NodeId(1), NodeId(4)]],
                },
            ),
        );
        faults.insert(20, fault(195, Fault::Crash { node: NodeId(2) }));
        let initial = Candidate {
            faults,
            end: SimTime(10_000),
            max_ops_per_client: Some(50),
        };
        assert!(matches!(needs_two(&initial), Trial::Fails { .. }));
        let result = shrink(initial, 500, needs_two);
        assert!(!result.budget_exhausted);
        let c = result.candidate;
        assert_eq!(c.faults.len(), 2, "{:?}", c.faults);
        assert_eq!(c.end, SimTime(195), "the run ends at the failure");
        assert_eq!(
            c.max_ops_per_client,
            Some(0),
            "this failure needs no client operations"
        );
        assert_eq!(
            c.faults[0].fault,
            Fault::Partition {
                groups: vec![vec![NodeId(0)], vec![NodeId(1)]]
            },
            "the partition was reduced to the two nodes that matter"
        );
        assert!(matches!(needs_two(&c), Trial::Fails { .. }));
    }

    #[test]
    fn the_budget_is_respected_and_reported() {
        let faults = (0..64)
            .map(|i| fault(i, Fault::Crash { node: NodeId(2) }))
            .collect();
        let initial = Candidate {
            faults,
            end: SimTime(1_000),
            max_ops_per_client: None,
        };
        let result = shrink(initial, 3, |_| Trial::Fails { at: SimTime(500) });
        assert_eq!(result.runs, 3);
        assert!(result.budget_exhausted);
    }

    #[test]
    fn exact_placements_are_kept_when_the_failure_depends_on_them() {
        let mut exact = fault(10, Fault::Crash { node: NodeId(2) });
        exact.after_event = Some(4);
        let initial = Candidate {
            faults: vec![exact],
            end: SimTime(100),
            max_ops_per_client: None,
        };
        let result = shrink(initial.clone(), 50, |c| {
            if c.faults.iter().any(|f| f.after_event == Some(4)) {
                Trial::Fails { at: SimTime(10) }
            } else {
                Trial::Passes
            }
        });
        assert_eq!(result.candidate, initial);
    }
}
