//! Causal highlighting: the happens-before graph of the session's trace
//! ([`faultline_sim::causality`]) and what it says about the selected event.
//!
//! Nothing is built until something is selected: the graph is made from the
//! records on the first selection, then extended as the trace grows (a
//! cut trace, after an injected fault, is read again). The selected event's
//! past is found once by a search; its future is extended step by step as
//! records arrive, since a new step is in the future exactly when one of the
//! steps before it is. Steps never change their relation to the selected
//! one once known.

use crate::command::Selection;
use crate::session::TraceIndex;
use faultline_sim::{CausalGraph, RecordKind, StepId, StepSet, TraceRecord, Why};

/// How a record stands to the selected event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// It is part of the selected step.
    Same,
    /// It happened before.
    Past,
    /// It happened after.
    Future,
    /// Neither: concurrent.
    Concurrent,
}

/// The selected event, with its causal past and future.
#[derive(Clone, Debug)]
pub struct Focus {
    /// The record selected (or standing for the selection: a message's
    /// delivery or drop, an operation's completion).
    pub record: usize,
    /// Its step.
    pub step: StepId,
    /// Steps before it, and itself.
    pub past: StepSet,
    /// Steps after it, and itself.
    pub future: StepSet,
    /// Its vector clock, by node.
    pub clock: Vec<u32>,
    /// Why it happened, once asked.
    pub why: Option<Why>,
    /// Steps of the graph the future has been extended over.
    known: usize,
}

/// The graph and the focus, kept with the session.
#[derive(Clone, Debug, Default)]
pub struct Causality {
    graph: Option<CausalGraph>,
    /// The selected event, when one is.
    pub focus: Option<Focus>,
}

impl Causality {
    /// The graph, when something has been selected since the trace began.
    pub fn graph(&self) -> Option<&CausalGraph> {
        self.graph.as_ref()
    }

    /// How a record stands to the focus (`None` without a focus, or for a
    /// record the graph has not read).
    pub fn relation(&self, record: usize) -> Option<Relation> {
        let focus = self.focus.as_ref()?;
        let step = self.graph.as_ref()?.step_of(record)?;
        Some(if step == focus.step {
            Relation::Same
        } else if focus.past.contains(step) {
            Relation::Past
        } else if focus.future.contains(step) {
            Relation::Future
        } else {
            Relation::Concurrent
        })
    }

    /// Brings the graph up to date with `records` (only when something is
    /// selected: otherwise nothing is built).
    pub fn sync(&mut self, records: &[TraceRecord], nodes: usize) {
        if self.focus.is_none() {
            return;
        }
        let rebuilt = self.update_graph(records, nodes);
        let Some(focus) = self.focus.as_mut() else {
            return;
        };
        if rebuilt {
            let record = focus.record;
            let why = focus.why.is_some();
            self.focus = None;
            if record < records.len() {
                self.focus_on(Some(record), why, records, nodes);
            }
            return;
        }
        let graph = self.graph.as_ref().expect("updated");
        for i in focus.known..graph.len() {
            let s = StepId(i as u32);
            if graph.preceding(s).any(|(p, _)| focus.future.contains(p)) {
                focus.future.insert(s);
            }
        }
        focus.known = graph.len();
    }

    /// Extends the graph, or builds it again when the trace was cut.
    /// Returns whether it was built again.
    fn update_graph(&mut self, records: &[TraceRecord], nodes: usize) -> bool {
        match self.graph.as_mut() {
            Some(g) if g.nodes() == nodes && g.continues(records) => {
                g.extend(records);
                false
            }
            _ => {
                let had = self.graph.is_some();
                self.graph = Some(CausalGraph::build(records, nodes));
                had
            }
        }
    }

    /// Focuses on a record (or on nothing), with its "why" when asked.
    pub fn focus_on(
        &mut self,
        record: Option<usize>,
        why: bool,
        records: &[TraceRecord],
        nodes: usize,
    ) {
        let Some(record) = record.filter(|&r| r < records.len()) else {
            self.focus = None;
            return;
        };
        if let Some(f) = self.focus.as_mut()
            && f.record == record
        {
            if why && f.why.is_none() {
                f.why = self.graph.as_ref().map(|g| g.why(f.step));
            }
            return;
        }
        self.update_graph(records, nodes);
        let graph = self.graph.as_ref().expect("built");
        let Some(step) = graph.step_of(record) else {
            self.focus = None;
            return;
        };
        let past = graph.past(step);
        let clock = graph.clock_of(&past);
        self.focus = Some(Focus {
            record,
            step,
            future: graph.future(step),
            clock,
            past,
            why: why.then(|| graph.why(step)),
            known: graph.len(),
        });
    }

    /// Forgets the graph (a new trace).
    pub fn reset(&mut self) {
        *self = Causality::default();
    }
}

/// The record that stands for a selection in causal questions: the record
/// itself, a message's delivery or drop (its send while in flight), an
/// operation's completion (its invocation while open). Nodes have none.
pub fn selection_record(
    selection: Selection,
    records: &[TraceRecord],
    index: &TraceIndex,
) -> Option<usize> {
    match selection {
        Selection::None | Selection::Node(_) => None,
        Selection::Record(i) => Some(i),
        Selection::Message(m) => index
            .messages
            .get(m.0 as usize)
            .and_then(|e| e.end.or(e.send)),
        Selection::Operation(op) => {
            let mut invoked = None;
            for (i, r) in records.iter().enumerate() {
                match r.kind {
                    RecordKind::Complete { op: o, .. } if o.0 as usize == op => return Some(i),
                    RecordKind::Invoke { op: o, .. } if o.0 as usize == op => invoked = Some(i),
                    _ => {}
                }
            }
            invoked
        }
    }
}
