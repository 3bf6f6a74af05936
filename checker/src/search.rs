//! The linearizability search: Wing & Gong's backtracking over a history's
//! call and return entries, with Lowe's memoisation of
//! (linearized set, model state) pairs, run once per partition.
//!
//! The history becomes a doubly linked list of entries sorted by time. The
//! search walks the list from its head. At a call entry it tries to
//! *linearize* that operation now: if the model accepts it from the current
//! state and the resulting (linearized set, state) pair is new, the
//! operation's call and return entries are *lifted* out of the list, the
//! choice is pushed on a stack, and the walk restarts from the head. At a
//! return entry, the operation it belongs to should already have taken
//! effect and has not: the last choice is undone (*unlifted*) and the walk
//! continues after it. The history is linearizable when every completed
//! operation has been lifted, and not when the stack is empty at a return.
//!
//! Decisions documented here because results depend on them:
//!
//! - **Ties.** Entries are sorted by time; at equal times calls come before
//!   returns, so an operation returning at `t` and one invoked at `t` count
//!   as concurrent (intervals are closed). Remaining ties keep history
//!   order. Closed intervals never report a violation that hinges on two
//!   events at the same instant.
//! - **Unknown outcomes** have no return entry (it would be at +infinity).
//!   The search succeeds once every *completed* operation is linearized;
//!   unknown ones left over are deemed never to have taken effect. An
//!   unknown operation whose effect would leave the state unchanged is
//!   never lifted: skipping it loses no linearization, and it keeps the
//!   search from exploring pointless variants.
//! - **Failed** operations are dropped before the search.
//! - **Completed operations without a return time** are treated as
//!   returning at +infinity, and a return time before the call time as the
//!   call time.
//! - **Partitions** are searched round-robin in key order, each for a
//!   slice of steps that doubles every round, until one fails or all pass.
//!   A hard partition thus cannot hide an easy violation in another, and
//!   the schedule, hence the partition reported, is the same on every run.
//! - **Budget.** The step budget is shared by all partitions, so a result
//!   limited only by steps is deterministic.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Duration;

use crate::clock::Stopwatch;
use crate::history::{Operation, Outcome};
use crate::model::{Model, Step};
use crate::result::{CheckResult, Failure, OperationSummary, Stats, Verdict};

/// How much work a check may do before answering [`Verdict::Unknown`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// Maximum number of search steps over all partitions. Results limited
    /// only by steps are deterministic.
    pub max_steps: Option<u64>,
    /// Maximum wall-clock time, measured from the start of the check.
    /// Allowed because checks run after a simulation, never inside one; a
    /// result cut short by time may differ between machines. Not enforced
    /// on `wasm32-unknown-unknown`, which has no clock (see `clock.rs`).
    pub time_limit: Option<Duration>,
}

impl Budget {
    /// No limit at all: the check always decides (possibly slowly).
    pub fn unlimited() -> Self {
        Budget::default()
    }

    /// At most `max_steps` search steps.
    pub fn steps(max_steps: u64) -> Self {
        Budget {
            max_steps: Some(max_steps),
            time_limit: None,
        }
    }

    /// At most `limit` of wall-clock time.
    pub fn time(limit: Duration) -> Self {
        Budget {
            max_steps: None,
            time_limit: Some(limit),
        }
    }

    /// This budget, also limited to `max_steps` steps.
    pub fn with_steps(self, max_steps: u64) -> Self {
        Budget {
            max_steps: Some(max_steps),
            ..self
        }
    }

    /// This budget, also limited to `limit` of wall-clock time.
    pub fn with_time(self, limit: Duration) -> Self {
        Budget {
            time_limit: Some(limit),
            ..self
        }
    }
}

/// Check `history` for linearizability against `model`.
///
/// Operation indices in the result are indices into `history`.
///
/// ```
/// use faultline_checker::{check, Budget, Operation, Outcome, RegisterInput, RegisterOutput};
/// use faultline_checker::models::Register;
///
/// // Client 1 writes 1 during [0, 10]; client 2 then reads the initial nil.
/// let history = vec![
///     Operation { client: 1, input: RegisterInput::Write { value: 1 }, call: 0,
///                 outcome: Outcome::Ok(RegisterOutput::Written), ret: Some(10) },
///     Operation { client: 2, input: RegisterInput::Read, call: 20,
///                 outcome: Outcome::Ok(RegisterOutput::Value(None)), ret: Some(30) },
/// ];
/// let result = check(&Register, &history, Budget::unlimited());
/// assert!(!result.is_linearizable());
/// assert_eq!(result.failure.unwrap().unplaced_indices(), vec![1]);
/// ```
pub fn check<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    budget: Budget,
) -> CheckResult {
    let stopwatch = Stopwatch::start();
    let mut partitions: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (index, operation) in history.iter().enumerate() {
        if !matches!(operation.outcome, Outcome::Fail) {
            partitions
                .entry(model.partition_key(&operation.input))
                .or_default()
                .push(index);
        }
    }
    let mut meter = Meter {
        steps: 0,
        max_steps: budget.max_steps,
        time_limit: budget.time_limit,
        stopwatch,
    };
    let mut searches: Vec<PartitionSearch<'_, M>> = partitions
        .values()
        .map(|members| PartitionSearch::new(model, history, members))
        .collect();
    let keys: Vec<&Option<String>> = partitions.keys().collect();
    // Partitions are searched round-robin in key order, each for a slice of
    // steps that doubles every round: one hard partition cannot hide an
    // easy violation in another, and the schedule is the same on every run.
    let mut undecided: Vec<usize> = (0..searches.len()).collect();
    let mut slice_steps = 1024u64;
    let mut verdict = Verdict::Linearizable;
    let mut failure = None;
    'rounds: while !undecided.is_empty() {
        let mut still_undecided = Vec::new();
        for (position, &partition) in undecided.iter().enumerate() {
            match searches[partition].run(model, &mut meter, slice_steps) {
                Progress::Paused => still_undecided.push(partition),
                Progress::Linearizable => {}
                Progress::NotLinearizable => {
                    let key = keys[partition].clone();
                    failure = Some(searches[partition].explain(model, key));
                    verdict = Verdict::NotLinearizable;
                    break 'rounds;
                }
                Progress::OutOfBudget(why) => {
                    let place = match keys[partition] {
                        Some(key) => format!(" while searching partition {key:?}"),
                        None => String::new(),
                    };
                    let open = still_undecided.len() + undecided.len() - position;
                    verdict = Verdict::Unknown {
                        reason: format!(
                            "{why}{place} ({open} of {} partitions undecided)",
                            keys.len()
                        ),
                    };
                    break 'rounds;
                }
            }
        }
        undecided = still_undecided;
        slice_steps = slice_steps.saturating_mul(2);
    }
    CheckResult {
        verdict,
        failure,
        stats: Stats {
            partitions: partitions.len(),
            operations: partitions.values().map(Vec::len).sum(),
            steps: meter.steps,
            cache_entries: searches.iter().map(|search| search.cache_entries).sum(),
            elapsed: stopwatch.elapsed(),
        },
    }
}

/// Counts steps against the budget.
struct Meter {
    steps: u64,
    max_steps: Option<u64>,
    time_limit: Option<Duration>,
    stopwatch: Stopwatch,
}

impl Meter {
    /// Count one step; `Err` with the reason when the budget is spent.
    fn tick(&mut self) -> Result<(), String> {
        if let Some(max_steps) = self.max_steps {
            if self.steps >= max_steps {
                return Err(format!("step budget of {max_steps} exhausted"));
            }
        }
        self.steps += 1;
        // Reading the clock costs more than a step; look every 1024 steps.
        if let Some(limit) = self.time_limit {
            if self.steps % 1024 == 1 && self.stopwatch.elapsed() >= limit {
                return Err(format!("time budget exhausted after {} steps", self.steps));
            }
        }
        Ok(())
    }
}

/// Where the search of one partition stands after a slice of steps.
enum Progress {
    Paused,
    Linearizable,
    NotLinearizable,
    OutOfBudget(String),
}

const NIL: usize = usize::MAX;
const HEAD: usize = 0;

/// The time-ordered entries of one partition as a doubly linked list that
/// supports removing an operation and putting it back in LIFO order.
struct Entries {
    /// Per list node: the member it belongs to. Node 0 is the head sentinel.
    member: Vec<usize>,
    is_call: Vec<bool>,
    next: Vec<usize>,
    prev: Vec<usize>,
    /// Per member: its return node, if it has one.
    return_node: Vec<Option<usize>>,
}

/// Sort key of one entry: time, then calls before returns, then member.
type EntryKey = (u64, bool, usize);

/// The entries of a partition in time order, as (time, is_return, member).
fn sorted_entries<I, O>(history: &[Operation<I, O>], members: &[usize]) -> Vec<EntryKey> {
    let mut entries = Vec::with_capacity(members.len() * 2);
    for (member, &index) in members.iter().enumerate() {
        let operation = &history[index];
        entries.push((operation.call, false, member));
        if let Outcome::Ok(_) = operation.outcome {
            let ret = operation.ret.unwrap_or(u64::MAX).max(operation.call);
            entries.push((ret, true, member));
        }
    }
    entries.sort_unstable();
    entries
}

impl Entries {
    fn new(sorted: &[EntryKey], member_count: usize) -> Self {
        let nodes = sorted.len() + 1;
        let mut entries = Entries {
            member: vec![NIL; nodes],
            is_call: vec![false; nodes],
            next: (1..=nodes)
                .map(|n| if n == nodes { NIL } else { n })
                .collect(),
            prev: (0..nodes).map(|n| n.wrapping_sub(1)).collect(),
            return_node: vec![None; member_count],
        };
        for (position, &(_, is_return, member)) in sorted.iter().enumerate() {
            let node = position + 1;
            entries.member[node] = member;
            entries.is_call[node] = !is_return;
            if is_return {
                entries.return_node[member] = Some(node);
            }
        }
        entries
    }

    fn unlink(&mut self, node: usize) {
        let (prev, next) = (self.prev[node], self.next[node]);
        self.next[prev] = next;
        if next != NIL {
            self.prev[next] = prev;
        }
    }

    fn relink(&mut self, node: usize) {
        let (prev, next) = (self.prev[node], self.next[node]);
        self.next[prev] = node;
        if next != NIL {
            self.prev[next] = node;
        }
    }

    /// Remove a member's call node and its return node.
    fn lift(&mut self, call_node: usize) {
        self.unlink(call_node);
        if let Some(return_node) = self.return_node[self.member[call_node]] {
            self.unlink(return_node);
        }
    }

    /// Undo the most recent [`Entries::lift`] of `call_node`.
    fn unlift(&mut self, call_node: usize) {
        if let Some(return_node) = self.return_node[self.member[call_node]] {
            self.relink(return_node);
        }
        self.relink(call_node);
    }
}

/// One linearization choice on the backtracking stack.
struct Frame<S> {
    call_node: usize,
    state_before: S,
    /// States the model also allowed, still to try (reversed).
    alternatives: Vec<S>,
}

/// The resumable search of one partition.
struct PartitionSearch<'a, M: Model> {
    history: &'a [Operation<M::Input, M::Output>],
    /// History indices of the partition's operations; the search calls
    /// them *members* and numbers them by position in this list.
    members: &'a [usize],
    entries: Entries,
    /// Bitset of linearized members.
    linearized: Vec<u64>,
    /// Lowe's memo: (linearized set, state) pairs already explored.
    cache: HashSet<(Vec<u64>, M::State), BuildHasherDefault<FoldHasher>>,
    cache_entries: u64,
    completed: usize,
    completed_linearized: usize,
    state: M::State,
    stack: Vec<Frame<M::State>>,
    /// The deepest point reached: linearized members in order, and the state.
    deepest: (Vec<usize>, M::State),
    /// The list node the walk is at.
    node: usize,
}

impl<'a, M: Model> PartitionSearch<'a, M> {
    fn new(model: &M, history: &'a [Operation<M::Input, M::Output>], members: &'a [usize]) -> Self {
        let sorted = sorted_entries(history, members);
        let entries = Entries::new(&sorted, members.len());
        let node = entries.next[HEAD];
        let completed = members
            .iter()
            .filter(|&&index| is_completed(&history[index]))
            .count();
        PartitionSearch {
            history,
            members,
            entries,
            linearized: vec![0; members.len().div_ceil(64)],
            cache: HashSet::default(),
            cache_entries: 0,
            completed,
            completed_linearized: 0,
            state: model.init(),
            stack: Vec::new(),
            deepest: (Vec::new(), model.init()),
            node,
        }
    }

    fn operation(&self, member: usize) -> &'a Operation<M::Input, M::Output> {
        &self.history[self.members[member]]
    }

    /// Search for at most `slice_steps` steps.
    fn run(&mut self, model: &M, meter: &mut Meter, slice_steps: u64) -> Progress {
        let progress = self.walk(model, meter, slice_steps);
        self.cache_entries = self.cache_entries.max(self.cache.len() as u64);
        if !matches!(progress, Progress::Paused | Progress::OutOfBudget(_)) {
            // Decided: the memo is no longer needed.
            self.cache = HashSet::default();
        }
        progress
    }

    fn walk(&mut self, model: &M, meter: &mut Meter, slice_steps: u64) -> Progress {
        for _ in 0..slice_steps {
            if self.completed_linearized == self.completed {
                return Progress::Linearizable;
            }
            if let Err(why) = meter.tick() {
                return Progress::OutOfBudget(why);
            }
            let node = self.node;
            debug_assert!(
                node != NIL,
                "a completed operation's return entry is still listed"
            );
            if node != NIL && self.entries.is_call[node] {
                let member = self.entries.member[node];
                let operation = self.operation(member);
                let candidates =
                    match model.step(&self.state, &operation.input, operation.outcome.output()) {
                        Step::Reject => Vec::new(),
                        Step::To(next) => vec![next],
                        Step::OneOf(nexts) => nexts,
                    };
                if self.linearize(node, candidates) {
                    if self.stack.len() > self.deepest.0.len() {
                        let prefix = self
                            .stack
                            .iter()
                            .map(|frame| self.entries.member[frame.call_node]);
                        self.deepest = (prefix.collect(), self.state.clone());
                    }
                } else {
                    self.node = self.entries.next[node];
                }
                continue;
            }
            // A return entry: its operation had to be linearized by now.
            let Some(frame) = self.stack.pop() else {
                return Progress::NotLinearizable;
            };
            let member = self.entries.member[frame.call_node];
            self.entries.unlift(frame.call_node);
            self.linearized[member / 64] &= !(1u64 << (member % 64));
            self.completed_linearized -= usize::from(is_completed(self.operation(member)));
            self.state = frame.state_before;
            let mut alternatives = frame.alternatives;
            alternatives.reverse();
            if !self.linearize(frame.call_node, alternatives) {
                self.node = self.entries.next[frame.call_node];
            }
        }
        Progress::Paused
    }

    /// Linearize the member of `call_node` now, moving to the first of
    /// `candidates` whose (linearized set, state) pair is unexplored. On
    /// success the choice is pushed and the walk restarts from the head.
    fn linearize(&mut self, call_node: usize, mut candidates: Vec<M::State>) -> bool {
        let member = self.entries.member[call_node];
        let unknown = matches!(self.operation(member).outcome, Outcome::Unknown);
        let (word, bit) = (member / 64, 1u64 << (member % 64));
        candidates.reverse();
        while let Some(candidate) = candidates.pop() {
            // An unknown operation that changes nothing may as well never
            // have happened; lifting it would only multiply the search.
            if unknown && candidate == self.state {
                continue;
            }
            self.linearized[word] |= bit;
            if !self
                .cache
                .insert((self.linearized.clone(), candidate.clone()))
            {
                self.linearized[word] &= !bit;
                continue;
            }
            let state_before = std::mem::replace(&mut self.state, candidate);
            self.stack.push(Frame {
                call_node,
                state_before,
                alternatives: candidates,
            });
            self.entries.lift(call_node);
            self.completed_linearized += usize::from(is_completed(self.operation(member)));
            self.node = self.entries.next[HEAD];
            return true;
        }
        false
    }

    /// Build the failure report from the deepest point of the search: the
    /// operations next in line there are the completed ones invoked before
    /// the earliest return among completed operations not yet linearized.
    fn explain(&self, model: &M, partition: Option<String>) -> Failure {
        let summary = |member: usize| {
            let index = self.members[member];
            let operation = &self.history[index];
            OperationSummary {
                index,
                client: operation.client,
                description: model.describe_operation(&operation.input, operation.outcome.output()),
                call: operation.call,
                ret: if is_completed(operation) {
                    operation.ret
                } else {
                    None
                },
            }
        };
        let (prefix, state) = &self.deepest;
        let mut placed = vec![false; self.members.len()];
        for &member in prefix {
            placed[member] = true;
        }
        let mut unplaced = Vec::new();
        for (_, is_return, member) in sorted_entries(self.history, self.members) {
            if placed[member] {
                continue;
            }
            if is_return {
                break;
            }
            if is_completed(self.operation(member)) {
                unplaced.push(summary(member));
            }
        }
        Failure {
            partition,
            partition_operations: self.members.len(),
            prefix: prefix.iter().map(|&member| summary(member)).collect(),
            state_after_prefix: model.describe_state(state),
            unplaced,
        }
    }
}

fn is_completed<I, O>(operation: &Operation<I, O>) -> bool {
    matches!(operation.outcome, Outcome::Ok(_))
}

/// A fixed-key multiply-and-rotate hasher (the rustc / FxHash scheme): fast
/// for the small keys of the cache, and the same on every run.
#[derive(Default)]
struct FoldHasher {
    hash: u64,
}

impl FoldHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(
                chunk.try_into().expect("chunks of eight bytes"),
            ));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn write_usize(&mut self, word: usize) {
        self.add(word as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
