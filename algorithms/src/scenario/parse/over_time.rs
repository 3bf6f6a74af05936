//! `[[checks.during]]` and `[[checks.happens]]`: checks over time, read
//! against what the algorithm publishes (its observables and reported
//! events, from its declaration) and against the fault schedule (a window
//! that opens on a kind of fault no fault of the file can be never opens).

use super::faults::{FAULT_KINDS, Nodes};
use super::*;
use crate::scenario::raw::{Dur, RawCount, RawDuring, RawHappens};
use faultline_sim::monitor::{Bound, Closing, Opening, Predicate, Requirement, Source};
use faultline_sim::observe::CLIENT_OPS_OK;
use faultline_sim::time::parse_duration;
use faultline_sim::{ObservableKind, TimeCheck};

/// The outcome of a failed `happens` check that names none.
pub(crate) const DID_NOT_EXERCISE: &str = "did_not_exercise";

/// What a window may refer to: the run's end and the fault kinds that can
/// occur in it.
pub(super) struct Schedule<'a> {
    pub(super) end: SimTime,
    pub(super) faults: &'a [ScheduledFault],
    pub(super) nemesis: Option<&'a NemesisConfig>,
    /// Whether a window on a fault kind no fault can be is an error (files
    /// as authored) or simply never opens (replays, derived schedules).
    pub(super) strict: bool,
}

impl Schedule<'_> {
    /// Whether a fault of `kind` (`"fault"`: any) can apply in a run.
    fn can_apply(&self, kind: &str) -> bool {
        let fixed = self
            .faults
            .iter()
            .any(|f| kind == "fault" || f.fault.kind_name() == kind);
        let drawn = self.nemesis.is_some_and(|n| {
            n.kinds
                .iter()
                .any(|k| kind == "fault" || nemesis_fault_kinds(*k).contains(&kind))
        });
        fixed || drawn
    }
}

/// The `[[faults]]` kinds a nemesis kind applies (the fault and its undo).
fn nemesis_fault_kinds(kind: NemesisKind) -> &'static [&'static str] {
    match kind {
        NemesisKind::Partition => &["partition", "heal"],
        NemesisKind::PartitionOneWay => &["partition_one_way", "heal"],
        NemesisKind::Isolate => &["isolate", "heal"],
        NemesisKind::Crash => &["crash", "restart"],
        NemesisKind::ClockOffset => &["clock_offset"],
        NemesisKind::ClockDrift => &["clock_drift"],
        NemesisKind::ClockStep => &["clock_step"],
        NemesisKind::LossyLinks => &["link"],
        NemesisKind::CrashLeader => &["crash", "restart"],
        NemesisKind::IsolateLeader => &["isolate", "heal"],
    }
}

/// Names that are already outcomes of some other check.
fn reserved(info: &AlgorithmInfo, name: &str) -> Option<&'static str> {
    if name == "pass"
        || name == "linearizability"
        || name == "liveness"
        || super::WEAK_OUTCOMES.contains(&name)
    {
        return Some("an outcome of its own");
    }
    if KERNEL_INVARIANTS.contains(&name) {
        return Some("a check of the kernel");
    }
    if info.invariants.iter().any(|i| i.name == name) {
        return Some("an invariant of this algorithm");
    }
    None
}

fn check_name(
    cx: &Ctx<'_>,
    info: &AlgorithmInfo,
    name: &Spanned<String>,
) -> Result<String, ScenarioError> {
    let text = name.get_ref();
    let well_formed = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(cx.err(
            name.span(),
            format!("found name {text:?}; expected lowercase letters, digits and `_` (it becomes the run's outcome when the check fails)"),
        ));
    }
    if let Some(why) = reserved(info, text) {
        return Err(cx.err(
            name.span(),
            format!("the name `{text}` is already {why}; expected a name of its own"),
        ));
    }
    Ok(text.clone())
}

/// `from`: a time (`"1s"`) or a fault kind (`"heal"`, `"fault"` for any).
fn opening(
    cx: &Ctx<'_>,
    from: Option<&Spanned<String>>,
    schedule: &Schedule<'_>,
) -> Result<Opening, ScenarioError> {
    let Some(from) = from else {
        return Ok(Opening::At(SimTime::ZERO));
    };
    match edge(cx, from, schedule)? {
        Edge::Time(t) => Ok(Opening::At(t)),
        Edge::Fault(kind) => Ok(Opening::Fault(kind)),
    }
}

enum Edge {
    Time(SimTime),
    Fault(String),
}

fn edge(
    cx: &Ctx<'_>,
    value: &Spanned<String>,
    schedule: &Schedule<'_>,
) -> Result<Edge, ScenarioError> {
    let text = value.get_ref().as_str();
    let kinds: Vec<&str> = FAULT_KINDS.iter().map(|(k, _)| *k).collect();
    if text == "fault" || kinds.contains(&text) {
        if schedule.strict && !schedule.can_apply(text) {
            let what = if text == "fault" {
                "no fault".to_string()
            } else {
                format!("no `{text}` fault")
            };
            return Err(cx.err(
                value.span(),
                format!("{what} can apply in this scenario (neither [[faults]] nor [nemesis] makes one), so this window never opens or closes there; expected a fault kind the scenario applies, or a time"),
            ));
        }
        return Ok(Edge::Fault(text.to_string()));
    }
    match parse_duration(text) {
        Ok(d) => {
            let t = SimTime::from_duration(d);
            if t > schedule.end {
                return Err(cx.err(
                    value.span(),
                    format!("found {text}, after the end of the run at {}; expected a time within the run", schedule.end),
                ));
            }
            Ok(Edge::Time(t))
        }
        Err(_) => Err(cx.err(
            value.span(),
            format!(
                "found {text:?}; expected a time like \"1s\", a fault kind ({}) or \"fault\" for any fault",
                kinds.join(", ")
            ),
        )),
    }
}

/// `to` or `for` (not both); neither: the end of the run.
fn closing(
    cx: &Ctx<'_>,
    from: &Opening,
    to: Option<&Spanned<String>>,
    length: Option<&Spanned<Dur>>,
    schedule: &Schedule<'_>,
) -> Result<Closing, ScenarioError> {
    match (to, length) {
        (Some(_), Some(l)) => Err(cx.err(
            l.span(),
            "found both `to` and `for`; expected one way to end the window",
        )),
        (None, Some(l)) if l.get_ref().0.is_zero() => Err(cx.err(
            l.span(),
            "found a window of 0s; expected a length above zero",
        )),
        (None, Some(l)) => Ok(Closing::After(l.get_ref().0)),
        (None, None) => Ok(Closing::End),
        (Some(to), None) => match edge(cx, to, schedule)? {
            Edge::Fault(kind) => Ok(Closing::Fault(kind)),
            Edge::Time(t) => match from {
                Opening::At(start) if t <= *start => Err(cx.err(
                    to.span(),
                    format!("the window ends at {t}, not after it opens at {start}; expected `to` later than `from`"),
                )),
                _ => Ok(Closing::At(t)),
            },
        },
    }
}

fn observable(
    cx: &Ctx<'_>,
    info: &AlgorithmInfo,
    name: &Spanned<String>,
    clients: u32,
) -> Result<(Source, ObservableKind), ScenarioError> {
    let text = name.get_ref();
    if let Some(i) = info.observables.iter().position(|o| o.name == text) {
        return Ok((Source::Node(i), info.observables[i].kind));
    }
    if text == CLIENT_OPS_OK.name {
        if clients == 0 {
            return Err(cx.err(
                name.span(),
                "client_ops_ok counts client operations, but this scenario has no clients; expected a [clients] section",
            ));
        }
        return Ok((Source::ClientOpsOk, ObservableKind::Number));
    }
    let mut known: Vec<&str> = info.observables.iter().map(|o| o.name).collect();
    if clients > 0 {
        known.push(CLIENT_OPS_OK.name);
    }
    let known = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    Err(cx.err(
        name.span(),
        format!(
            "unknown observable `{text}`; {} publishes: {known}",
            info.name
        ),
    ))
}

/// The one predicate of an entry.
fn predicate(cx: &Ctx<'_>, d: &Spanned<RawDuring>) -> Result<Predicate, ScenarioError> {
    let r = d.get_ref();
    let mut found: Vec<(Range<usize>, Predicate)> = Vec::new();
    if let Some(c) = &r.count {
        let bound = match c.get_ref() {
            RawCount::Exactly(n) => Bound::Exactly(*n),
            RawCount::Table(t) => match (t.at_most, t.at_least) {
                (Some(n), None) => Bound::AtMost(n),
                (None, Some(n)) => Bound::AtLeast(n),
                _ => {
                    return Err(cx.err(
                        c.span(),
                        "expected exactly one of `at_most` and `at_least` in the count table",
                    ));
                }
            },
        };
        found.push((c.span(), Predicate::Count(bound)));
    }
    if let Some(v) = &r.at_most {
        found.push((v.span(), Predicate::Every(Bound::AtMost(*v.get_ref()))));
    }
    if let Some(v) = &r.at_least {
        found.push((v.span(), Predicate::Every(Bound::AtLeast(*v.get_ref()))));
    }
    for (flag, p) in [
        (&r.all_equal, Predicate::AllEqual),
        (&r.unchanged, Predicate::Unchanged),
        (&r.grows, Predicate::Grows),
    ] {
        if let Some(f) = flag {
            if !*f.get_ref() {
                return Err(cx.err(
                    f.span(),
                    "found false; expected true (leave the field out for no such predicate)",
                ));
            }
            found.push((f.span(), p));
        }
    }
    found.sort_by_key(|(span, _)| span.start);
    match found.len() {
        0 => Err(cx.err(
            d.span(),
            "this check has no predicate; expected one of `count`, `at_most`, `at_least`, `all_equal`, `unchanged`, `grows`",
        )),
        1 => Ok(found[0].1),
        _ => Err(cx.err(
            found[1].0.clone(),
            "a second predicate; expected exactly one per check (write two checks)",
        )),
    }
}

pub(super) fn during(
    cx: &Ctx<'_>,
    d: &Spanned<RawDuring>,
    info: &AlgorithmInfo,
    nodes: &Nodes,
    schedule: &Schedule<'_>,
) -> Result<TimeCheck, ScenarioError> {
    let r = d.get_ref();
    let name = check_name(cx, info, &r.name)?;
    let (source, _kind) = observable(cx, info, &r.observe, nodes.clients)?;
    let predicate = predicate(cx, d)?;
    let from = opening(cx, r.from.as_ref(), schedule)?;
    let to = closing(cx, &from, r.to.as_ref(), r.length.as_ref(), schedule)?;
    let within = match &r.within {
        Some(w) if w.get_ref().0.is_zero() => {
            return Err(cx.err(w.span(), "found a bound of 0s; expected a bound above zero"));
        }
        Some(w) if predicate == Predicate::Unchanged => {
            return Err(cx.err(
                w.span(),
                "`unchanged` holds over the whole window; expected no `within` with it",
            ));
        }
        Some(w) => Some(w.get_ref().0),
        None if predicate == Predicate::Grows => {
            return Err(cx.err(
                d.span(),
                "`grows` needs a bound: expected `within = \"...\"` (the value must grow within it after the window opens)",
            ));
        }
        None => None,
    };
    let chosen = match &r.nodes {
        None => None,
        Some(list) => {
            if source == Source::ClientOpsOk {
                return Err(cx.err(
                    list.span(),
                    "client_ops_ok is one value for the whole run; expected no `nodes`",
                ));
            }
            if list.get_ref().is_empty() {
                return Err(cx.err(
                    list.span(),
                    "found an empty list; expected at least one server",
                ));
            }
            let mut ids: Vec<NodeId> = Vec::new();
            for n in list.get_ref() {
                let id = n.get_ref().0;
                if id >= nodes.servers {
                    return Err(cx.err(
                        n.span(),
                        format!(
                            "node {id} is not a server (servers are n0..n{}); observables are read on servers",
                            nodes.servers - 1
                        ),
                    ));
                }
                if ids.contains(&NodeId(id)) {
                    return Err(cx.err(n.span(), format!("n{id} is listed twice")));
                }
                ids.push(NodeId(id));
            }
            Some(ids)
        }
    };
    Ok(TimeCheck {
        name,
        from,
        to,
        requirement: Requirement::Holds {
            source,
            observable: r.observe.get_ref().clone(),
            nodes: chosen,
            predicate,
            within,
        },
    })
}

pub(super) fn happens(
    cx: &Ctx<'_>,
    h: &Spanned<RawHappens>,
    info: &AlgorithmInfo,
    schedule: &Schedule<'_>,
) -> Result<TimeCheck, ScenarioError> {
    let r = h.get_ref();
    let event = r.event.get_ref();
    if !info.reports.iter().any(|e| e.name == event) {
        let known: Vec<&str> = info.reports.iter().map(|e| e.name).collect();
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        };
        return Err(cx.err(
            r.event.span(),
            format!("unknown event `{event}`; {} reports: {known}", info.name),
        ));
    }
    let at_least = match &r.at_least {
        Some(n) if *n.get_ref() == 0 => {
            return Err(cx.err(
                n.span(),
                "found 0, which any run meets; expected at least 1",
            ));
        }
        Some(n) => *n.get_ref(),
        None => 1,
    };
    let name = match &r.name {
        Some(n) => check_name(cx, info, n)?,
        None => DID_NOT_EXERCISE.to_string(),
    };
    let from = opening(cx, r.from.as_ref(), schedule)?;
    let to = closing(cx, &from, r.to.as_ref(), r.length.as_ref(), schedule)?;
    Ok(TimeCheck {
        name,
        from,
        to,
        requirement: Requirement::Happens {
            event: event.clone(),
            at_least,
        },
    })
}
