//! `[[tour]]`: the steps of a guided tour, checked against the algorithm's
//! declaration (reported events, invariants), the node count and the run's
//! length. Whether a step is reached is known only by running
//! ([`crate::scenario::Scenario::tour_anchors`]).

use super::{Ctx, KERNEL_INVARIANTS, Nodes};
use crate::algorithm::AlgorithmInfo;
use crate::scenario::ScenarioError;
use crate::scenario::raw::{NodeRef, RawScenario, RawTourStep};
use crate::scenario::tour::{Anchor, Highlight, Tour, TourStep};
use faultline_sim::{NodeId, SimTime};
use toml::Spanned;

/// Fault kinds a `fault` anchor may name.
const FAULT_KINDS: [&str; 12] = [
    "partition",
    "partition_one_way",
    "isolate",
    "heal",
    "reconnect",
    "crash",
    "restart",
    "clock_offset",
    "clock_drift",
    "clock_step",
    "link",
    "drop_message",
];

/// The longest tour text, in bytes (a card, not a chapter).
pub const MAX_TOUR_TEXT: usize = 2_000;

pub(super) fn tour(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    info: &AlgorithmInfo,
    nodes: &Nodes,
    end: SimTime,
    checks: &[&str],
) -> Result<Tour, ScenarioError> {
    let mut steps = Vec::with_capacity(raw.tour.len());
    for s in &raw.tour {
        steps.push(step(cx, s, info, nodes, end, checks)?);
    }
    Ok(Tour { steps })
}

fn step(
    cx: &Ctx<'_>,
    s: &Spanned<RawTourStep>,
    info: &AlgorithmInfo,
    nodes: &Nodes,
    end: SimTime,
    checks: &[&str],
) -> Result<TourStep, ScenarioError> {
    let r = s.get_ref();
    let span = s.span();
    for text in [&r.title, &r.text] {
        if text.get_ref().trim().is_empty() {
            return Err(cx.err(text.span(), "found an empty text, expected a few words"));
        }
    }
    if r.text.get_ref().len() > MAX_TOUR_TEXT {
        return Err(cx.err(
            r.text.span(),
            format!(
                "found a text of {} bytes, expected at most {MAX_TOUR_TEXT} (a tour step is a card; split it into steps)",
                r.text.get_ref().len()
            ),
        ));
    }
    let node = |n: &Spanned<NodeRef>| -> Result<NodeId, ScenarioError> {
        let id = n.get_ref().0;
        let total = nodes.servers + nodes.clients;
        if id >= total {
            return Err(cx.err(
                n.span(),
                format!(
                    "found node {id}, expected a node of this scenario (0..={})",
                    total - 1
                ),
            ));
        }
        Ok(NodeId(id))
    };
    let mut anchors = Vec::new();
    if let Some(e) = &r.at_event {
        anchors.push((e.span(), Anchor::Event(*e.get_ref())));
    }
    if let Some(t) = &r.at {
        let time = SimTime::from_duration(t.get_ref().0);
        if time > end {
            return Err(cx.err(
                t.span(),
                format!(
                    "found {time}, after the end of the run ({end}); expected a time within it"
                ),
            ));
        }
        anchors.push((t.span(), Anchor::Time(time)));
    }
    let on = match &r.node {
        Some(n) => Some(node(n)?),
        None => None,
    };
    if let Some(name) = &r.reported {
        let known: Vec<&str> = info.reports.iter().map(|d| d.name).collect();
        if !known.contains(&name.get_ref().as_str()) {
            return Err(cx.err(
                name.span(),
                format!(
                    "unknown reported event `{}` for {}; expected one of: {}",
                    name.get_ref(),
                    info.name,
                    if known.is_empty() {
                        "(it reports none)".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        anchors.push((
            name.span(),
            Anchor::Reported {
                name: name.get_ref().clone(),
                node: on,
            },
        ));
    }
    if let Some(kind) = &r.delivered {
        let k = kind.get_ref();
        if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(cx.err(
                kind.span(),
                format!(
                    "found {k:?}, expected a message kind: the name a message starts with in the trace, like \"AppendEntries\""
                ),
            ));
        }
        anchors.push((
            kind.span(),
            Anchor::Delivered {
                kind: k.clone(),
                node: on,
            },
        ));
    }
    if let Some(kind) = &r.fault {
        if !FAULT_KINDS.contains(&kind.get_ref().as_str()) {
            return Err(cx.err(
                kind.span(),
                format!(
                    "unknown fault kind `{}`; expected one of: {}",
                    kind.get_ref(),
                    FAULT_KINDS.join(", ")
                ),
            ));
        }
        anchors.push((
            kind.span(),
            Anchor::Fault {
                kind: kind.get_ref().clone(),
                node: on,
            },
        ));
    }
    if let Some(name) = &r.fails {
        invariant_name(cx, name, info, checks)?;
        anchors.push((name.span(), Anchor::Fails(name.get_ref().clone())));
    }
    anchors.sort_by_key(|(span, _)| span.start);
    let anchor = match anchors.len() {
        1 => anchors.pop().map(|(_, a)| a),
        0 => None,
        _ => {
            return Err(cx.err(
                anchors[1].0.clone(),
                "a tour step has one anchor; expected only one of at_event, at, reported, delivered, fault, fails",
            ));
        }
    };
    let Some(anchor) = anchor else {
        return Err(cx.err(
            span,
            "a tour step needs an anchor; expected one of at_event, at, reported, delivered, fault, fails",
        ));
    };
    if let Some(n) = &r.node
        && !matches!(
            anchor,
            Anchor::Reported { .. } | Anchor::Delivered { .. } | Anchor::Fault { .. }
        )
    {
        return Err(cx.err(
            n.span(),
            "`node` narrows a reported, delivered or fault anchor; expected no `node` here (highlight nodes with highlight.nodes)",
        ));
    }
    let mut highlight = Highlight::default();
    if let Some(h) = &r.highlight {
        let h = h.get_ref();
        if let Some(list) = &h.nodes {
            for n in list.get_ref() {
                highlight.nodes.push(node(n)?);
            }
        }
        highlight.message = h.message.as_ref().map(|m| m.get_ref().clone());
        highlight.entry = h.entry.as_ref().map(|e| *e.get_ref());
        if let Some(name) = &h.invariant {
            invariant_name(cx, name, info, checks)?;
            highlight.invariant = Some(name.get_ref().clone());
        }
    }
    Ok(TourStep {
        title: r.title.get_ref().trim().to_string(),
        text: r.text.get_ref().trim().to_string(),
        anchor,
        highlight,
        pause: r.pause.unwrap_or(true),
        span,
    })
}

/// An invariant of the algorithm, a kernel check or a check over time of
/// this file.
fn invariant_name(
    cx: &Ctx<'_>,
    name: &Spanned<String>,
    info: &AlgorithmInfo,
    checks: &[&str],
) -> Result<(), ScenarioError> {
    let n = name.get_ref().as_str();
    let known: Vec<&str> = info
        .invariants
        .iter()
        .map(|i| i.name.as_str())
        .chain(KERNEL_INVARIANTS)
        .chain(checks.iter().copied())
        .collect();
    if known.contains(&n) {
        return Ok(());
    }
    Err(cx.err(
        name.span(),
        format!(
            "unknown invariant or check `{n}` for {}; expected one of: {}",
            info.name,
            known.join(", ")
        ),
    ))
}
