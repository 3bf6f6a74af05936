//! Guided tours: an ordered narration of a run, written in the scenario
//! file as `[[tour]]` steps.
//!
//! Each step is anchored at a point of the run — an event count, a
//! simulated time, or the first time after the previous step that a
//! condition holds (a node reports an event, a message of some kind is
//! delivered, a fault applies, a check fails) — and carries a title, a
//! text and what to highlight. The anchors are resolved against a real run
//! ([`Tour::resolve`]), never stored as numbers the author computed, so a
//! change to an algorithm that moves its events moves the tour with it, and
//! a step that is no longer reached is an error ([`Scenario::tour_anchors`])
//! that the test suite reports for every shipped tour.
//!
//! The lab resolves the same steps against the branch on screen (a branch
//! made mid-tour keeps its tour; a step the branch never reaches is shown
//! as such) and `faultline tour` prints them in a terminal.

use super::{Scenario, ScenarioError};
use faultline_sim::{NodeId, RecordKind, RunStatus, SimHandle, SimTime};
use std::ops::Range;

/// A scenario's tour: its steps in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tour {
    /// The steps, in the order they are told.
    pub steps: Vec<TourStep>,
}

/// One step of a tour.
#[derive(Clone, Debug, PartialEq)]
pub struct TourStep {
    /// A few words (the card's heading).
    pub title: String,
    /// The narration: what to look at, why it happens, what to try.
    pub text: String,
    /// Where in the run it is told.
    pub anchor: Anchor,
    /// What the lab draws as highlighted while the step is current.
    pub highlight: Highlight,
    /// Whether playback stops when it reaches the step (default true).
    pub pause: bool,
    /// The step's `[[tour]]` table in the file (byte range), for errors.
    pub span: Range<usize>,
}

/// Where a step is anchored. The cursor of a step is a number of events
/// run: the lab seeks there, `faultline tour` runs to there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// After this many events (`at_event = 120`).
    Event(u64),
    /// After every event at or before this simulated time (`at = "1.5s"`).
    Time(SimTime),
    /// Just after a node reports this event (`reported = "leader_elected"`),
    /// optionally only that node.
    Reported {
        /// The reported event's name.
        name: String,
        /// Only this node's report counts.
        node: Option<NodeId>,
    },
    /// Just after a message whose kind (the name its payload starts with,
    /// such as `AppendEntries`) is delivered, optionally only to `node`.
    Delivered {
        /// The message kind.
        kind: String,
        /// Only a delivery to this node counts.
        node: Option<NodeId>,
    },
    /// Just after a fault of this kind (`crash`, `partition`...) applies
    /// and changes something, optionally only one aimed at `node`.
    Fault {
        /// The fault kind, as scenario files name it.
        kind: String,
        /// Only a fault naming this node counts.
        node: Option<NodeId>,
    },
    /// When this invariant or check fails (the run stops there).
    Fails(String),
}

impl Anchor {
    /// The anchor in the words of the file (`reported = "leader_elected"`).
    pub fn describe(&self) -> String {
        let on = |node: &Option<NodeId>| node.map(|n| format!(" on {n}")).unwrap_or_default();
        match self {
            Anchor::Event(e) => format!("after event {e}"),
            Anchor::Time(t) => format!("at {t}"),
            Anchor::Reported { name, node } => format!("when `{name}` is reported{}", on(node)),
            Anchor::Delivered { kind, node } => {
                format!(
                    "when `{kind}` is delivered{}",
                    node.map(|n| format!(" to {n}")).unwrap_or_default()
                )
            }
            Anchor::Fault { kind, node } => format!("when a `{kind}` fault applies{}", on(node)),
            Anchor::Fails(name) => format!("when `{name}` fails"),
        }
    }

    /// Whether the step waits for something to happen (rather than a
    /// number of events or a time).
    pub fn is_condition(&self) -> bool {
        !matches!(self, Anchor::Event(_) | Anchor::Time(_))
    }
}

/// What a step highlights. Empty highlights nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Highlight {
    /// Nodes drawn with a ring in the cluster view and the space-time
    /// diagram.
    pub nodes: Vec<NodeId>,
    /// A message kind: its messages in flight and its arrows stand out.
    pub message: Option<String>,
    /// A log entry: the row whose first cell is this number, in the
    /// inspector's tables (a Raft log's index).
    pub entry: Option<u64>,
    /// An invariant or check, marked in the checks panel.
    pub invariant: Option<String>,
}

impl Highlight {
    /// Whether it highlights nothing.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.message.is_none()
            && self.entry.is_none()
            && self.invariant.is_none()
    }
}

/// Why a step has no place in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreached {
    /// The run (as far as it is known) never gets there.
    NotInRun,
    /// A step before it is not reached.
    AfterUnreached,
    /// It resolves before the step ahead of it (`at` and `at_event`
    /// anchors can): steps must be in run order.
    BeforePrevious {
        /// Its own cursor.
        cursor: u64,
        /// The previous step's.
        previous: u64,
    },
}

/// The kind of a message, from its payload as formatted: the name it
/// starts with (`AppendEntries { term: 2, .. }` is an `AppendEntries`).
pub fn message_kind(described: &str) -> &str {
    let end = described
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(described.len());
    &described[..end]
}

impl Tour {
    /// Resolves every step against what `run` knows: its trace records
    /// (full trace mode, possibly past the cursor), its reports and its
    /// status. Each step's cursor is a number of events run. Conditions are
    /// looked for from the previous step's cursor on, so two steps on
    /// `reported = "leader_elected"` are the first election and the next.
    pub fn resolve(&self, run: &dyn SimHandle) -> Vec<Result<u64, Unreached>> {
        let records = run.records();
        let known = records.last().map_or(0, |r| r.event + 1);
        let mut out: Vec<Result<u64, Unreached>> = Vec::with_capacity(self.steps.len());
        let mut previous = 0u64;
        for step in &self.steps {
            if out.last().is_some_and(|r| r.is_err()) {
                out.push(Err(Unreached::AfterUnreached));
                continue;
            }
            let found = match &step.anchor {
                Anchor::Event(e) => (*e <= known).then_some(*e),
                Anchor::Time(t) => {
                    // Records are in event order, and events in time order.
                    let before = records.partition_point(|r| r.time <= *t);
                    if before == records.len() && !run_reaches(run, *t) {
                        None
                    } else {
                        Some(before.checked_sub(1).map_or(0, |i| records[i].event + 1))
                    }
                }
                Anchor::Reported { name, node } => run
                    .reports()
                    .iter()
                    .find(|r| {
                        r.event >= previous && r.name == name && node.is_none_or(|n| r.node == n)
                    })
                    .map(|r| r.event + 1),
                Anchor::Delivered { kind, node } => {
                    let from = records.partition_point(|r| r.event < previous);
                    records[from..].iter().find_map(|r| match r.kind {
                        RecordKind::Deliver { msg, to, .. }
                            if node.is_none_or(|n| to == n)
                                && run
                                    .describe_message(msg)
                                    .is_some_and(|d| message_kind(&d) == kind) =>
                        {
                            Some(r.event + 1)
                        }
                        _ => None,
                    })
                }
                Anchor::Fault { kind, node } => {
                    let from = records.partition_point(|r| r.event < previous);
                    records[from..].iter().find_map(|r| match &r.kind {
                        RecordKind::Fault { fault, effective }
                            if *effective
                                && fault.kind_name() == kind
                                && node.is_none_or(|n| fault.nodes().contains(&n)) =>
                        {
                            Some(r.event + 1)
                        }
                        _ => None,
                    })
                }
                Anchor::Fails(name) => match run.status() {
                    RunStatus::Violated(v) if &v.invariant == name && v.event >= previous => {
                        Some(v.event)
                    }
                    _ => None,
                },
            };
            out.push(match found {
                None => Err(Unreached::NotInRun),
                Some(c) if c < previous => Err(Unreached::BeforePrevious {
                    cursor: c,
                    previous,
                }),
                Some(c) => {
                    previous = c;
                    Ok(c)
                }
            });
        }
        out
    }

    /// The step to rejoin from `cursor`: the last step at or before it
    /// (the first step when the cursor is before them all), among the
    /// resolved ones.
    pub fn nearest(anchors: &[Result<u64, Unreached>], cursor: u64) -> Option<usize> {
        let mut best = None;
        for (i, a) in anchors.iter().enumerate() {
            match a {
                Ok(c) if *c <= cursor => best = Some(i),
                Ok(_) if best.is_none() => return Some(i),
                _ => {}
            }
        }
        best
    }
}

/// Whether the run has gone on to time `t` (it is finished, or its next
/// event is later).
fn run_reaches(run: &dyn SimHandle, t: SimTime) -> bool {
    !run.status().is_running() || run.next_time().is_none_or(|n| n > t) || run.now() >= t
}

impl Scenario {
    /// Runs the scenario at its own seed with full traces and resolves its
    /// tour: one cursor per step, or an error at the first step that is not
    /// reached (naming its line and what it waited for), so a change that
    /// moves events breaks a shipped tour loudly.
    pub fn tour_anchors(&self) -> Result<Vec<u64>, ScenarioError> {
        let mut run = self.build(self.seed, faultline_sim::TraceMode::Full)?;
        run.run();
        let resolved = self.tour.resolve(run.as_ref());
        let mut cursors = Vec::with_capacity(resolved.len());
        for (i, (r, step)) in resolved.into_iter().zip(&self.tour.steps).enumerate() {
            match r {
                Ok(c) => cursors.push(c),
                Err(why) => {
                    let message = match why {
                        Unreached::BeforePrevious { cursor, previous } => format!(
                            "tour step {} (\"{}\") is anchored {}, which is event {cursor}, before the previous step's event {previous}; expected steps in the order of the run",
                            i + 1,
                            step.title,
                            step.anchor.describe()
                        ),
                        _ => format!(
                            "tour step {} (\"{}\") is never reached: the run (seed {}, {} events, {}) has nothing {}{}; expected an anchor the run reaches",
                            i + 1,
                            step.title,
                            self.seed,
                            run.events(),
                            run.now(),
                            step.anchor.describe(),
                            if i > 0 && step.anchor.is_condition() {
                                " after the previous step"
                            } else {
                                ""
                            }
                        ),
                    };
                    return Err(ScenarioError::at(
                        &self.file,
                        &self.text,
                        Some(step.span.clone()),
                        message,
                    ));
                }
            }
        }
        Ok(cursors)
    }
}
