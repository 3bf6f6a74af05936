//! Checks over time: a predicate over an observable, or a count of reported
//! events, required over a window of the run ([`TimeCheck`]).
//!
//! A window opens at a time or each time a fault of a kind applies, and
//! closes at a time, at the next fault of a kind, after a length, or at the
//! end. The kernel evaluates every open window after every event (whatever
//! the invariant stride), on the state that event left; a window that opens
//! at a time is first evaluated on the state just before the first event at
//! or after that time, which is the state at that instant. Monitors exist
//! only when a scenario asks for a check over time, so a run without one
//! pays nothing.
//!
//! The vocabulary is small on purpose (see `docs/scenarios.md`):
//! `count` (how many nodes hold a role), `at_most` / `at_least` (every
//! node's value), `all_equal`, `unchanged` (since the window opened),
//! `grows` (above its value when the window opened), each either always
//! (at every evaluation in the window) or eventually (`within` a bound of
//! the opening); and `happens`: a reported event at least N times in the
//! window.

use crate::observe::Report;
use crate::process::{NodeId, Process};
use crate::time::SimTime;
use crate::world::{NodeSlot, Stats};
use std::time::Duration;

/// Where a window starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Once, at this time.
    At(SimTime),
    /// Each time a fault of this kind applies and changes something
    /// (`"heal"`, `"crash"`; `"fault"` for any kind). A fault that changes
    /// nothing (healing an uncut network) opens nothing.
    Fault(String),
}

/// Where a window ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Closing {
    /// At the end of the run.
    End,
    /// At this time (the state at that instant is outside).
    At(SimTime),
    /// At the next fault of this kind after the opening (`"fault"`: any).
    Fault(String),
    /// This long after the opening.
    After(Duration),
}

/// A bound on a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// Exactly this.
    Exactly(u64),
    /// This or less.
    AtMost(u64),
    /// This or more.
    AtLeast(u64),
}

impl Bound {
    fn holds(self, n: u64) -> bool {
        match self {
            Bound::Exactly(b) => n == b,
            Bound::AtMost(b) => n <= b,
            Bound::AtLeast(b) => n >= b,
        }
    }

    fn describe(self) -> String {
        match self {
            Bound::Exactly(b) => format!("exactly {b}"),
            Bound::AtMost(b) => format!("at most {b}"),
            Bound::AtLeast(b) => format!("at least {b}"),
        }
    }
}

/// What must hold of an observable's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predicate {
    /// The number of nodes whose value is above zero (the holders of a role).
    Count(Bound),
    /// Every node's value.
    Every(Bound),
    /// All nodes' values are equal.
    AllEqual,
    /// No node's value differs from its value when the window opened (a node
    /// down then is compared with its first value seen).
    Unchanged,
    /// Some node's value is above its value when the window opened.
    Grows,
}

/// Which observable a check reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An observable of the process, by index into `P::OBSERVABLES`.
    Node(usize),
    /// The kernel's [`crate::observe::CLIENT_OPS_OK`].
    ClientOpsOk,
}

/// What a check requires of a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// A predicate over an observable.
    Holds {
        /// The observable.
        source: Source,
        /// Its name, for messages.
        observable: String,
        /// Only these nodes (`None`: every live server).
        nodes: Option<Vec<NodeId>>,
        /// The predicate.
        predicate: Predicate,
        /// `None`: at every evaluation in the window; `Some(b)`: at some
        /// evaluation no later than `b` after the opening.
        within: Option<Duration>,
    },
    /// A reported event happens at least this many times in the window.
    Happens {
        /// The event's name.
        event: String,
        /// How many times at least.
        at_least: u64,
    },
}

/// One check over time, with its window: plain data, as read from a
/// scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeCheck {
    /// Its name: the outcome of a run where it fails.
    pub name: String,
    /// Where each window starts.
    pub from: Opening,
    /// Where each window ends.
    pub to: Closing,
    /// What must hold.
    pub requirement: Requirement,
}

/// One value of an observable: the node, or `None` for a run-wide value.
type Sample = Vec<(Option<NodeId>, u64)>;

#[derive(Clone, Debug)]
struct Window {
    opened: SimTime,
    baseline: Sample,
    /// A `within` requirement has held at some evaluation.
    held: bool,
    /// Reports made before the opening.
    reports_before: usize,
}

/// A check's running state, kept in the world (and in its snapshots).
#[derive(Clone, Debug)]
pub(crate) struct Monitor {
    check: TimeCheck,
    open: Vec<Window>,
    /// A window opening at a time has opened.
    opened_once: bool,
    /// The values after the previous event.
    last: Sample,
    /// A buffer for the next sample.
    spare: Sample,
}

/// What the kernel gives a monitor after an event.
pub(crate) struct Moment<'a, P: Process> {
    pub now: SimTime,
    pub slots: &'a [NodeSlot<P>],
    pub servers: u32,
    pub stats: &'a Stats,
    pub reports: &'a [Report],
    /// The index of the event just run.
    pub event: u64,
    /// The one node the event may have changed, when known.
    pub touched: Option<NodeId>,
    /// The kind of the fault this event applied, when it changed something.
    pub fault: Option<&'static str>,
}

impl Monitor {
    pub(crate) fn new(check: TimeCheck) -> Self {
        Monitor {
            check,
            open: Vec::new(),
            opened_once: false,
            last: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Reads the state before the first event.
    pub(crate) fn start<P: Process>(&mut self, m: &Moment<'_, P>) {
        self.last = self.sample(m);
    }

    fn sample<P: Process>(&self, m: &Moment<'_, P>) -> Sample {
        let mut out = Vec::new();
        self.sample_into(m, &mut out);
        out
    }

    fn sample_into<P: Process>(&self, m: &Moment<'_, P>, out: &mut Sample) {
        out.clear();
        let Requirement::Holds { source, nodes, .. } = &self.check.requirement else {
            return;
        };
        match source {
            Source::ClientOpsOk => out.push((None, m.stats.ops_ok)),
            Source::Node(index) => {
                let wanted = |id: NodeId| nodes.as_ref().is_none_or(|list| list.contains(&id));
                out.extend(
                    (0..m.servers)
                        .map(NodeId)
                        .filter(|&id| wanted(id))
                        .filter_map(|id| {
                            let p = m.slots[id.index()].process.as_ref()?;
                            p.observe(*index).map(|v| (Some(id), v))
                        }),
                );
            }
        }
    }

    /// Whether the event just run may have changed what this check reads:
    /// an event on a client changes no server (but may complete an
    /// operation).
    fn may_have_changed<P: Process>(&self, m: &Moment<'_, P>) -> bool {
        match &self.check.requirement {
            Requirement::Holds {
                source: Source::Node(_),
                ..
            } => m.touched.is_none_or(|n| n.0 < m.servers),
            Requirement::Holds { .. } => true,
            Requirement::Happens { .. } => false,
        }
    }

    /// Evaluates after an event; `Err` is the reason the check failed.
    pub(crate) fn after_event<P: Process>(&mut self, m: &Moment<'_, P>) -> Result<(), String> {
        // Two buffers, swapped: no allocation per event once they have grown.
        let mut current = std::mem::take(&mut self.spare);
        if self.may_have_changed(m) {
            self.sample_into(m, &mut current);
        } else {
            current.clone_from(&self.last);
        }
        // Windows already judged on these very values need no new verdict
        // (most events change no observed value: a heartbeat moves no term).
        let same = current == self.last;
        let result = self.advance(m, &current, same);
        self.spare = std::mem::replace(&mut self.last, current);
        result
    }

    fn advance<P: Process>(
        &mut self,
        m: &Moment<'_, P>,
        current: &Sample,
        same: bool,
    ) -> Result<(), String> {
        // Close first: the state a closing event leaves is outside.
        let mut i = 0;
        while i < self.open.len() {
            let w = &self.open[i];
            let closes = match &self.check.to {
                Closing::End => false,
                Closing::At(t) => m.now >= *t,
                Closing::Fault(kind) => fault_matches(kind, m.fault),
                Closing::After(d) => m.now >= w.opened + *d,
            };
            if closes {
                let w = self.open.remove(i);
                self.close(&w, m.reports, m.event, m.now)?;
            } else {
                i += 1;
            }
        }
        if let Requirement::Holds {
            within: Some(bound),
            ..
        } = &self.check.requirement
        {
            for w in &self.open {
                if !w.held && m.now > w.opened + *bound {
                    return Err(self.never_held(w, *bound));
                }
            }
        }
        let judged = if same { self.open.len() } else { 0 };
        match &self.check.from {
            Opening::At(t) if !self.opened_once && m.now >= *t => {
                self.opened_once = true;
                // The state at `t` is the one before this event.
                let before = self.last.clone();
                self.open_window(*t, before.clone(), m.reports, true);
                let last = self.open.len() - 1;
                self.evaluate(last, &before, m.now)?;
            }
            Opening::Fault(kind) if fault_matches(kind, m.fault) => {
                self.open_window(m.now, current.clone(), m.reports, false);
            }
            _ => {}
        }
        for i in judged..self.open.len() {
            self.evaluate(i, current, m.now)?;
        }
        Ok(())
    }

    fn open_window(
        &mut self,
        opened: SimTime,
        baseline: Sample,
        reports: &[Report],
        at_time: bool,
    ) {
        // Reports of the event that opened a window by a fault belong to
        // the window; a window opening at a time counts from that time.
        let reports_before = if at_time {
            reports.partition_point(|r| r.time < opened)
        } else {
            reports.len()
        };
        self.open.push(Window {
            opened,
            baseline,
            held: false,
            reports_before,
        });
    }

    fn evaluate(&mut self, i: usize, sample: &Sample, now: SimTime) -> Result<(), String> {
        let Requirement::Holds {
            observable,
            predicate,
            within,
            ..
        } = &self.check.requirement
        else {
            return Ok(());
        };
        let w = &mut self.open[i];
        if within.is_some() && w.held {
            return Ok(());
        }
        let verdict = judge(*predicate, sample, &mut w.baseline);
        match (verdict, within) {
            (Ok(()), Some(_)) => {
                w.held = true;
                Ok(())
            }
            (Ok(()), None) | (Err(_), Some(_)) => Ok(()),
            (Err(why), None) => Err(format!(
                "{observable}: {why} at {now}, in the window opened at {}",
                w.opened
            )),
        }
    }

    fn never_held(&self, w: &Window, bound: Duration) -> String {
        let Requirement::Holds {
            observable,
            predicate,
            ..
        } = &self.check.requirement
        else {
            unreachable!("only predicates have a bound")
        };
        format!(
            "{observable}: expected {} within {} of the window opened at {}, and it never held",
            describe(*predicate),
            crate::time::format_duration(bound),
            w.opened
        )
    }

    /// Judges a window that closes at event `event` (whose own reports are
    /// outside it), at time `now`.
    fn close(
        &self,
        w: &Window,
        reports: &[Report],
        event: u64,
        now: SimTime,
    ) -> Result<(), String> {
        match &self.check.requirement {
            Requirement::Holds {
                within: Some(bound),
                ..
            } if !w.held => Err(self.never_held(w, *bound)),
            Requirement::Happens {
                event: name,
                at_least,
            } => {
                let n = reports[w.reports_before..]
                    .iter()
                    .filter(|r| r.name == name.as_str() && r.event < event)
                    .count() as u64;
                if n >= *at_least {
                    Ok(())
                } else {
                    Err(did_not_exercise(name, *at_least, n, w.opened, now))
                }
            }
            _ => Ok(()),
        }
    }

    /// Judges the windows still open when the run reaches `end`. A window
    /// that was due to close by then (no event came after its closing time)
    /// is judged as closed there; an eventual requirement whose bound
    /// reaches past the end of a window still open is not judged (the run
    /// was too short to tell).
    pub(crate) fn at_end(&mut self, reports: &[Report], end: SimTime) -> Result<(), String> {
        for w in &self.open {
            let due = match &self.check.to {
                Closing::At(t) => Some(*t),
                Closing::After(d) => Some(w.opened + *d),
                Closing::End | Closing::Fault(_) => None,
            }
            .filter(|t| *t <= end);
            let until = due.unwrap_or(end);
            match &self.check.requirement {
                Requirement::Holds {
                    within: Some(bound),
                    ..
                } => {
                    if !w.held && (due.is_some() || w.opened + *bound <= end) {
                        return Err(self.never_held(w, *bound));
                    }
                }
                Requirement::Happens { event, at_least } => {
                    let n = reports[w.reports_before..]
                        .iter()
                        .filter(|r| r.name == event.as_str() && (due.is_none() || r.time < until))
                        .count() as u64;
                    if n < *at_least {
                        return Err(did_not_exercise(event, *at_least, n, w.opened, until));
                    }
                }
                Requirement::Holds { .. } => {}
            }
        }
        if let (Opening::At(t), false) = (&self.check.from, self.opened_once)
            && let Requirement::Happens { event, at_least } = &self.check.requirement
        {
            // The window never opened: nothing happened in it.
            return Err(did_not_exercise(event, *at_least, 0, *t, end));
        }
        Ok(())
    }

    /// The check's name.
    pub(crate) fn name(&self) -> &str {
        &self.check.name
    }
}

fn did_not_exercise(event: &str, at_least: u64, n: u64, from: SimTime, to: SimTime) -> String {
    format!(
        "did not exercise `{event}`: it happened {n} time{} between {from} and {to}, expected at least {at_least}",
        if n == 1 { "" } else { "s" }
    )
}

fn fault_matches(kind: &str, applied: Option<&'static str>) -> bool {
    applied.is_some_and(|a| kind == "fault" || kind == a)
}

fn describe(predicate: Predicate) -> String {
    match predicate {
        Predicate::Count(b) => format!("{} node(s) holding it", b.describe()),
        Predicate::Every(b) => format!("every value {}", b.describe()),
        Predicate::AllEqual => "all values equal".into(),
        Predicate::Unchanged => "no value changing".into(),
        Predicate::Grows => "a value growing".into(),
    }
}

fn show(sample: &Sample) -> String {
    let parts: Vec<String> = sample
        .iter()
        .map(|(node, v)| match node {
            Some(id) => format!("{id}={v}"),
            None => v.to_string(),
        })
        .collect();
    if parts.is_empty() {
        "no live node".into()
    } else {
        parts.join(", ")
    }
}

/// Whether `predicate` holds of `sample`; the baseline learns nodes seen for
/// the first time.
fn judge(predicate: Predicate, sample: &Sample, baseline: &mut Sample) -> Result<(), String> {
    let base_of = |baseline: &mut Sample, node: Option<NodeId>, v: u64| -> u64 {
        match baseline.iter().find(|(n, _)| *n == node) {
            Some((_, b)) => *b,
            None => {
                baseline.push((node, v));
                v
            }
        }
    };
    match predicate {
        Predicate::Count(b) => {
            let n = sample.iter().filter(|(_, v)| *v > 0).count() as u64;
            if b.holds(n) {
                Ok(())
            } else {
                Err(format!(
                    "{n} node(s) hold it ({}), expected {}",
                    show(sample),
                    b.describe()
                ))
            }
        }
        Predicate::Every(b) => match sample.iter().find(|(_, v)| !b.holds(*v)) {
            None => Ok(()),
            Some(_) => Err(format!(
                "values {}, expected each {}",
                show(sample),
                b.describe()
            )),
        },
        Predicate::AllEqual => {
            if sample.windows(2).all(|w| w[0].1 == w[1].1) {
                Ok(())
            } else {
                Err(format!(
                    "values {} differ, expected all equal",
                    show(sample)
                ))
            }
        }
        Predicate::Unchanged => {
            for &(node, v) in sample {
                let base = base_of(baseline, node, v);
                if v != base {
                    let who = node.map_or("the value".to_string(), |n| n.to_string());
                    return Err(format!(
                        "{who} changed from {base} to {v}, expected no change"
                    ));
                }
            }
            Ok(())
        }
        Predicate::Grows => {
            let mut grew = false;
            for &(node, v) in sample {
                grew |= v > base_of(baseline, node, v);
            }
            if grew {
                Ok(())
            } else {
                Err(format!("values {} have not grown", show(sample)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_judge_samples() {
        let s = |v: &[u64]| -> Sample {
            v.iter()
                .enumerate()
                .map(|(i, &x)| (Some(NodeId(i as u32)), x))
                .collect()
        };
        let mut base = Vec::new();
        assert!(
            judge(
                Predicate::Count(Bound::Exactly(1)),
                &s(&[0, 3, 0]),
                &mut base
            )
            .is_ok()
        );
        assert!(
            judge(
                Predicate::Count(Bound::Exactly(1)),
                &s(&[2, 3, 0]),
                &mut base
            )
            .is_err()
        );
        assert!(judge(Predicate::Every(Bound::AtMost(3)), &s(&[2, 3]), &mut base).is_ok());
        assert!(judge(Predicate::AllEqual, &s(&[2, 3]), &mut base).is_err());
        let mut base = s(&[5, 5]);
        assert!(judge(Predicate::Unchanged, &s(&[5, 5, 1]), &mut base).is_ok());
        assert_eq!(base.len(), 3, "a node seen late joins the baseline");
        let err = judge(Predicate::Unchanged, &s(&[5, 6, 1]), &mut base).unwrap_err();
        assert!(err.contains("n1 changed from 5 to 6"), "{err}");
        assert!(judge(Predicate::Grows, &s(&[5, 6, 1]), &mut base).is_ok());
        assert!(judge(Predicate::Grows, &s(&[5, 5, 1]), &mut base).is_err());
    }
}
