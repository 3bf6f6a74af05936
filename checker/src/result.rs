//! What a check reports: a verdict, and for a violation the evidence a
//! student needs to see *why* — the deepest linearizable prefix the search
//! reached and the operations that could not come next.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// The answer to "is this history linearizable?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Some order of the operations respects real time and the model.
    Linearizable,
    /// No such order exists.
    NotLinearizable,
    /// The budget ran out before the search could decide. This is never a
    /// guess: rerun with a larger budget to get an answer.
    Unknown { reason: String },
}

/// One operation as results show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OperationSummary {
    /// Index into the checked history.
    pub index: usize,
    /// The client that issued it.
    pub client: u64,
    /// The model's description, e.g. `read() -> 3`.
    pub description: String,
    /// Invocation time.
    pub call: u64,
    /// Return time; `None` when it may take effect arbitrarily late.
    pub ret: Option<u64>,
}

/// Why a history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The partition (for [`KvModel`](crate::models::KvModel), the key) whose
    /// sub-history failed; `None` for an unpartitioned model.
    pub partition: Option<String>,
    /// Number of operations checked in that partition (failed operations
    /// excluded).
    pub partition_operations: usize,
    /// The longest linearizable prefix the search found, in linearization
    /// order: the deepest point it reached.
    pub prefix: Vec<OperationSummary>,
    /// The model state after that prefix.
    pub state_after_prefix: String,
    /// The operations that were next in line at that point — invoked before
    /// any pending operation returned, and known to have completed — none of
    /// which the model accepts there.
    pub unplaced: Vec<OperationSummary>,
}

impl Failure {
    /// Indices (into the history) of the prefix, in linearization order.
    pub fn prefix_indices(&self) -> Vec<usize> {
        self.prefix
            .iter()
            .map(|operation| operation.index)
            .collect()
    }

    /// Indices (into the history) of the operations that could not be placed.
    pub fn unplaced_indices(&self) -> Vec<usize> {
        self.unplaced
            .iter()
            .map(|operation| operation.index)
            .collect()
    }
}

/// How much work a check did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Number of partitions (sub-histories) in the history.
    pub partitions: usize,
    /// Number of operations checked (failed operations excluded).
    pub operations: usize,
    /// Search steps over all partitions checked.
    pub steps: u64,
    /// (linearized set, state) pairs remembered over all partitions checked.
    pub cache_entries: u64,
    /// Wall-clock time spent. The only nondeterministic field of a result;
    /// zero on `wasm32-unknown-unknown`, which has no clock.
    pub elapsed: Duration,
}

/// The outcome of [`check`](crate::check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// The answer.
    pub verdict: Verdict,
    /// Evidence, when the verdict is [`Verdict::NotLinearizable`].
    pub failure: Option<Failure>,
    /// Work done.
    pub stats: Stats,
}

impl CheckResult {
    /// True when the verdict is [`Verdict::Linearizable`].
    pub fn is_linearizable(&self) -> bool {
        self.verdict == Verdict::Linearizable
    }
}

/// How many prefix operations the terminal display shows (the last ones:
/// they are the context of the failure).
const PREFIX_SHOWN: usize = 10;

impl fmt::Display for OperationSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = match self.ret {
            Some(ret) => format!("[{}, {}]", self.call, ret),
            None => format!("[{}, ...)", self.call),
        };
        write!(
            f,
            "#{:<5} client {:<4} {:<24} {}",
            self.index, self.client, window, self.description
        )
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} operation{} in {} partition{}; {} search steps, {} cached states, {:.3} ms",
            self.operations,
            plural(self.operations),
            self.partitions,
            plural(self.partitions),
            self.steps,
            self.cache_entries,
            self.elapsed.as_secs_f64() * 1e3,
        )
    }
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.verdict {
            Verdict::Linearizable => writeln!(f, "linearizable")?,
            Verdict::Unknown { reason } => writeln!(f, "unknown (not decided): {reason}")?,
            Verdict::NotLinearizable => writeln!(f, "NOT linearizable")?,
        }
        if let Some(failure) = &self.failure {
            write!(f, "{failure}")?;
        }
        writeln!(f, "  {}", self.stats)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(partition) = &self.partition {
            writeln!(
                f,
                "  partition:  {partition:?} ({} operations)",
                self.partition_operations
            )?;
        }
        writeln!(
            f,
            "  the search linearized at most {} of {} operations; the longest prefix found{}:",
            self.prefix.len(),
            self.partition_operations,
            if self.prefix.len() > PREFIX_SHOWN {
                format!(" (last {PREFIX_SHOWN} shown)")
            } else {
                String::new()
            }
        )?;
        if self.prefix.is_empty() {
            writeln!(f, "    (empty: not even the first operation can be placed)")?;
        }
        let skipped = self.prefix.len().saturating_sub(PREFIX_SHOWN);
        for (position, operation) in self.prefix.iter().enumerate().skip(skipped) {
            writeln!(f, "    {:>4}. {operation}", position + 1)?;
        }
        writeln!(f, "  state after the prefix: {}", self.state_after_prefix)?;
        writeln!(f, "  none of these operations can be linearized next:")?;
        for operation in &self.unplaced {
            writeln!(f, "          {operation}")?;
        }
        Ok(())
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
