//! Judging a run: the kernel's invariants (checked during the run), then,
//! after it, linearizability of the client history and liveness after the
//! last fault; and comparing the result with the expected outcome.
//!
//! **Order.** A run's outcome is its first failure in this order: an
//! invariant violation (the run stopped there), linearizability,
//! durability, sessions, stale_reads, liveness. No failure is `pass`.
//!
//! **Weak checks** (kv family only; [`faultline_checker::weak`]):
//! `durability` fails when an acknowledged write is lost, `sessions` when a
//! read breaks one of the selected session guarantees, `stale_reads` when a
//! read is more versions behind (or older) than its bounds allow. They run
//! on the history of a finished or stopped run alike.
//!
//! **Linearizability.** The history is checked against the sequential model
//! of the algorithm's operation family (`SimHandle::check_history`: the
//! key-value model for `kv`, the consensus model for `consensus`) under a
//! step budget of [`LINEARIZABILITY_STEPS`], so the answer does not depend
//! on the machine.
//! A history the search cannot decide within the budget counts as a
//! `linearizability` failure whose reason says it was undecided.
//!
//! **Liveness**, with bound `B`: let `q` be the time of the last fault of
//! the applied schedule (0 without faults). Every client operation invoked
//! at or after `q`, early enough that `call + B` is not after the end of the
//! run, must complete with a definite outcome (ok or fail) by `call + B`;
//! and at least one operation invoked at or after `q` must complete ok.
//! Operations invoked before `q` are not judged (they may have met the
//! fault), nor are those invoked within `B` of the end.

use super::StaleBound;
use super::{Expectation, Scenario};
use faultline_checker::weak::{WeakReport, check_weak, format_nanos};
use faultline_checker::{Budget, CheckResult, History, KvInput, KvOutput, Verdict};
use faultline_sim::time::format_duration;
use faultline_sim::{FaultSchedule, OpStatus, OpTiming, RunStatus, SimHandle, SimTime, Stats};
use serde::Serialize;
use std::time::Duration;

/// The linearizability search's step budget per run.
pub const LINEARIZABILITY_STEPS: u64 = 2_000_000;

/// A failed check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckFailure {
    /// The invariant's name, `linearizability` or `liveness`.
    pub check: String,
    /// What went wrong.
    pub reason: String,
    /// Events run when it was seen (invariants only).
    pub event: Option<u64>,
    /// Simulated time when it was seen (invariants only).
    pub time: Option<SimTime>,
}

/// What the linearizability check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinearizabilityReport {
    /// `linearizable`, `not linearizable` or `undecided`.
    pub verdict: String,
    /// Operations checked.
    pub operations: usize,
    /// Search steps taken.
    pub steps: u64,
}

/// What the liveness check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LivenessReport {
    /// The time of the last fault (`q`).
    pub quiet_from: SimTime,
    /// Operations judged.
    pub judged: usize,
    /// Of those, completed in time.
    pub completed: usize,
    /// The slowest completion among them, in nanoseconds.
    pub slowest_nanos: u64,
}

/// Everything known about one finished (or stopped) run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The fingerprint.
    pub fingerprint: u64,
    /// Events run.
    pub events: u64,
    /// Simulated time reached.
    pub time: SimTime,
    /// Whether the run reached its end (or stopped on a violation) rather
    /// than being cut short by `--until`.
    pub complete: bool,
    /// Counters.
    pub stats: Stats,
    /// The first failed check, if any.
    pub failure: Option<CheckFailure>,
    /// Linearizability, when checked.
    pub linearizability: Option<LinearizabilityReport>,
    /// Liveness, when checked.
    pub liveness: Option<LivenessReport>,
    /// The weak checkers' findings, when any of them is checked (all three
    /// are measured then; only the selected ones can fail the run).
    pub weak: Option<WeakReport>,
    /// The fault schedule the run applied.
    pub faults: FaultSchedule,
}

impl RunReport {
    /// `pass` or the name of the failed check.
    pub fn outcome(&self) -> &str {
        self.failure.as_ref().map_or("pass", |f| f.check.as_str())
    }

    /// Whether the outcome is the one expected. A run cut short matches
    /// only an expected failure that already happened.
    pub fn matches(&self, expect: &Expectation) -> bool {
        match (expect, &self.failure) {
            (Expectation::Pass, None) => self.complete,
            (Expectation::Failure(name), Some(f)) => *name == f.check,
            // A share is judged over a sweep; each run may pass or fail it.
            (Expectation::Share { .. }, None) => self.complete,
            (Expectation::Share { outcome, .. }, Some(f)) => *outcome == f.check,
            _ => false,
        }
    }
}

impl Scenario {
    /// Judges a run of this scenario that has been driven to its end (or as
    /// far as wanted: `complete` false skips the end-of-run checks).
    pub fn evaluate(&self, handle: &dyn SimHandle, seed: u64) -> RunReport {
        let status = handle.status().clone();
        let complete = !status.is_running();
        let faults = handle.fault_schedule();
        let mut failure = match &status {
            RunStatus::Violated(v) => Some(CheckFailure {
                check: v.invariant.clone(),
                reason: v.reason.clone(),
                event: Some(v.event),
                time: Some(v.time),
            }),
            _ => None,
        };
        let linearizability = self.checks.linearizability.then(|| {
            let (report, problem) =
                check_linearizability(handle, self.checks.linearizability_steps);
            if failure.is_none()
                && let Some(reason) = problem
            {
                failure = Some(CheckFailure {
                    check: "linearizability".into(),
                    reason,
                    event: None,
                    time: None,
                });
            }
            report
        });
        let weak = self.checks.weak().then(|| weak_report(handle)).flatten();
        if let Some(w) = &weak
            && failure.is_none()
        {
            failure = weak_failure(
                w,
                self.checks.durability,
                &self.checks.sessions,
                self.checks.stale_reads,
                handle,
            );
        }
        let liveness = match self.checks.liveness {
            Some(bound) if complete && matches!(status, RunStatus::Finished) => {
                let quiet = faults.iter().map(|f| f.at).max().unwrap_or(SimTime::ZERO);
                let timings = op_timings(handle);
                let (report, problem) = check_liveness(&timings, quiet, self.end(), bound);
                if failure.is_none()
                    && let Some(reason) = problem
                {
                    failure = Some(CheckFailure {
                        check: "liveness".into(),
                        reason,
                        event: None,
                        time: None,
                    });
                }
                Some(report)
            }
            _ => None,
        };
        RunReport {
            seed,
            fingerprint: handle.fingerprint(),
            events: handle.events(),
            time: handle.now(),
            complete,
            stats: handle.stats().clone(),
            failure,
            linearizability,
            liveness,
            weak,
            faults,
        }
    }

    /// Builds, runs to the end and judges a run with `seed` (fingerprint
    /// trace mode, no snapshots: the fast path of seed sweeps).
    pub fn run_seed(&self, seed: u64) -> Result<RunReport, super::ScenarioError> {
        let mut config = self.world_config(seed, faultline_sim::TraceMode::Fingerprint);
        config.snapshot_every = 0;
        let mut handle = self.build_with(config)?;
        handle.run();
        Ok(self.evaluate(handle.as_ref(), seed))
    }
}

/// Every client operation's timing, in invocation order.
pub fn op_timings(handle: &dyn SimHandle) -> Vec<OpTiming> {
    (0..handle.op_count())
        .filter_map(|i| handle.op_timing(i))
        .collect()
}

/// A kv-family run's history (`None` for other families).
pub fn kv_history(handle: &dyn SimHandle) -> Option<History<KvInput, KvOutput>> {
    if handle.op_family() != "kv" {
        return None;
    }
    (0..handle.op_count())
        .map(|i| {
            handle
                .op_json(i)
                .and_then(|j| serde_json::from_value(j).ok())
        })
        .collect()
}

/// The weak checkers on a kv-family run's history.
pub fn weak_report(handle: &dyn SimHandle) -> Option<WeakReport> {
    kv_history(handle).map(|h| check_weak(&h))
}

/// One weak check's result as `faultline run` and the lab print it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeakLine {
    /// `durability`, `sessions` or `stale_reads`.
    pub check: &'static str,
    /// Whether the check holds.
    pub ok: bool,
    /// `durability: 0 of 812 judged acknowledged writes lost (...)`.
    pub text: String,
}

/// A line for each weak check the scenario's `[checks]` names, in the order
/// durability, sessions, stale reads.
pub fn weak_lines(w: &WeakReport, checks: &super::Checks, handle: &dyn SimHandle) -> Vec<WeakLine> {
    let mut out = Vec::new();
    if checks.durability {
        out.push(WeakLine {
            check: "durability",
            ok: weak_failure(w, true, &[], None, handle).is_none(),
            text: format!("durability: {}", w.durability.summary()),
        });
    }
    if !checks.sessions.is_empty() {
        out.push(WeakLine {
            check: "sessions",
            ok: weak_failure(w, false, &checks.sessions, None, handle).is_none(),
            text: format!("sessions: {}", w.sessions.summary(&checks.sessions)),
        });
    }
    if let Some(bound) = checks.stale_reads {
        let limit = match bound.max_age {
            Some(age) => format!(
                "at most {} version(s), {} behind",
                bound.max_versions,
                format_duration(age)
            ),
            None => format!("at most {} version(s) behind", bound.max_versions),
        };
        out.push(WeakLine {
            check: "stale_reads",
            ok: weak_failure(w, false, &[], Some(bound), handle).is_none(),
            text: format!("stale reads ({limit}): {}", w.staleness.summary()),
        });
    }
    out
}

/// The first failure among the selected weak checks, in the order
/// durability, sessions, stale reads.
pub fn weak_failure(
    w: &WeakReport,
    durability: bool,
    sessions: &[faultline_checker::weak::Guarantee],
    stale: Option<StaleBound>,
    handle: &dyn SimHandle,
) -> Option<CheckFailure> {
    let describe = |i: usize| {
        handle
            .describe_op(i)
            .map_or(String::new(), |t| format!("({} {})", t.input, t.outcome))
    };
    let fail = |check: &str, reason: String| CheckFailure {
        check: check.into(),
        reason,
        event: None,
        time: None,
    };
    if durability && let Some(l) = w.durability.lost.first() {
        return Some(fail(
            "durability",
            format!(
                "{} acknowledged write(s) lost; first: client {}'s write #{} {} is missing from the last read #{} {} of {}",
                w.durability.lost.len(),
                l.client,
                l.write,
                describe(l.write),
                l.read,
                describe(l.read),
                l.key
            ),
        ));
    }
    let broken: Vec<_> = w
        .sessions
        .violations
        .iter()
        .filter(|v| sessions.contains(&v.guarantee))
        .collect();
    if let Some(v) = broken.first() {
        return Some(fail(
            "sessions",
            format!(
                "{} session-guarantee violation(s); first: {}",
                broken.len(),
                v.describe(describe)
            ),
        ));
    }
    if let Some(bound) = stale {
        let max_age = bound
            .max_age
            .map(|a| u64::try_from(a.as_nanos()).unwrap_or(u64::MAX));
        let beyond = w.staleness.beyond(bound.max_versions, max_age);
        if let Some(s) = beyond.first() {
            return Some(fail(
                "stale_reads",
                format!(
                    "{} read(s) staler than allowed (at most {} version(s) behind{}); first: client {}'s read #{} {} is {} version(s) behind, out of date for {} since write #{} {} returned",
                    beyond.len(),
                    bound.max_versions,
                    bound
                        .max_age
                        .map_or(String::new(), |a| format!(", {}", format_duration(a))),
                    s.client,
                    s.read,
                    describe(s.read),
                    s.versions,
                    format_nanos(s.age),
                    s.newer,
                    describe(s.newer)
                ),
            ));
        }
    }
    None
}

/// Checks a run's history against its operation family's model.
/// The search is bounded by `steps` (the scenario's
/// `linearizability_steps`, [`LINEARIZABILITY_STEPS`] by default).
pub fn check_linearizability(
    handle: &dyn SimHandle,
    steps: u64,
) -> (LinearizabilityReport, Option<String>) {
    let result = handle.check_history(Budget::steps(steps));
    linearizability_report(&result, steps)
}

/// The report and the failure reason (if any) of a linearizability check.
pub fn linearizability_report(
    result: &CheckResult,
    steps: u64,
) -> (LinearizabilityReport, Option<String>) {
    let report = LinearizabilityReport {
        verdict: match result.verdict {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not linearizable",
            Verdict::Unknown { .. } => "undecided",
        }
        .to_string(),
        operations: result.stats.operations,
        steps: result.stats.steps,
    };
    let problem = match &result.verdict {
        Verdict::Linearizable => None,
        Verdict::NotLinearizable => Some(match &result.failure {
            Some(f) => {
                let unplaced: Vec<String> =
                    f.unplaced.iter().map(|o| o.description.clone()).collect();
                format!(
                    "the client history is not linearizable{}: after {} operations no order fits {}",
                    f.partition
                        .as_ref()
                        .map_or(String::new(), |k| format!(" on key {k}")),
                    f.prefix.len(),
                    unplaced.join(", ")
                )
            }
            None => "the client history is not linearizable".to_string(),
        }),
        Verdict::Unknown { reason } => Some(format!(
            "linearizability undecided within {steps} search steps: {reason}"
        )),
    };
    (report, problem)
}

/// The liveness check defined in the module documentation.
pub fn check_liveness(
    history: &[OpTiming],
    quiet: SimTime,
    end: SimTime,
    bound: Duration,
) -> (LivenessReport, Option<String>) {
    let bound_nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
    let mut report = LivenessReport {
        quiet_from: quiet,
        judged: 0,
        completed: 0,
        slowest_nanos: 0,
    };
    let mut problem = None;
    let mut any_ok = false;
    for (index, op) in history.iter().enumerate() {
        let call = op.call.as_nanos();
        if call < quiet.as_nanos() {
            continue;
        }
        any_ok |= op.status == OpStatus::Ok;
        if call.saturating_add(bound_nanos) > end.as_nanos() {
            continue;
        }
        report.judged += 1;
        let done = match (op.status, op.ret) {
            (OpStatus::Ok | OpStatus::Fail, Some(ret)) => Some(ret.as_nanos().saturating_sub(call)),
            _ => None,
        };
        match done {
            Some(took) if took <= bound_nanos => {
                report.completed += 1;
                report.slowest_nanos = report.slowest_nanos.max(took);
            }
            _ if problem.is_none() => {
                let how = match done {
                    Some(took) => format!("took {}", format_duration(Duration::from_nanos(took))),
                    None => "never completed".to_string(),
                };
                problem = Some(format!(
                    "operation #{index} of client {} invoked at {} (after the last fault at {quiet}) {how}; expected completion within {}",
                    op.client,
                    op.call,
                    format_duration(bound)
                ));
            }
            _ => {}
        }
    }
    if problem.is_none() && !any_ok {
        problem = Some(format!(
            "no client operation invoked after the last fault at {quiet} completed ok before the end at {end}"
        ));
    }
    (report, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(call: u64, ret: Option<u64>, ok: bool) -> OpTiming {
        OpTiming {
            client: faultline_sim::NodeId(3),
            call: SimTime(call),
            ret: ret.map(SimTime),
            status: if ok { OpStatus::Ok } else { OpStatus::Unknown },
        }
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn liveness_judges_only_operations_after_the_last_fault() {
        let bound = Duration::from_millis(100);
        let end = SimTime(1000 * MS);
        // Before the fault: never completed, but not judged.
        let h = vec![op(10 * MS, None, false), op(600 * MS, Some(650 * MS), true)];
        let (r, p) = check_liveness(&h, SimTime(500 * MS), end, bound);
        assert_eq!(p, None);
        assert_eq!((r.judged, r.completed, r.slowest_nanos), (1, 1, 50 * MS));
        // Too slow after the fault.
        let h = vec![op(600 * MS, Some(800 * MS), true)];
        let (_, p) = check_liveness(&h, SimTime(500 * MS), end, bound);
        assert!(p.unwrap().contains("took 200ms"));
        // Invoked within the bound of the end: not judged, but nothing ok.
        let h = vec![op(950 * MS, None, false)];
        let (r, p) = check_liveness(&h, SimTime(500 * MS), end, bound);
        assert_eq!(r.judged, 0);
        assert!(p.unwrap().contains("no client operation"));
    }
}
