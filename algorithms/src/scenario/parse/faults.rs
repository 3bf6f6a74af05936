//! Faults as written: node references checked against the node count,
//! each fault's fields checked against its kind, and the nemesis section.

use super::setup::{latency, probability};
use super::*;
use crate::limits::{MAX_CLOCK_JUMP_NANOS, MAX_NEMESIS_FAULTS};
use crate::scenario::raw::{SignedDur, Target};
use faultline_sim::fault::CRASHED;
use faultline_sim::time::format_nanos;

pub(super) struct Nodes {
    pub(super) servers: u32,
    pub(super) clients: u32,
    /// The roles the algorithm publishes, which a fault's `node` may name.
    pub(super) roles: Vec<&'static str>,
}

impl Nodes {
    fn describe(&self) -> String {
        let last_server = self.servers - 1;
        match self.clients {
            0 => format!("this scenario has servers n0..n{last_server} and no clients"),
            c => format!(
                "this scenario has servers n0..n{last_server} and clients n{}..n{}",
                self.servers,
                self.servers + c - 1
            ),
        }
    }

    fn check(
        &self,
        cx: &Ctx<'_>,
        node: NodeRef,
        span: Range<usize>,
    ) -> Result<NodeId, ScenarioError> {
        if node.0 >= self.servers + self.clients {
            return Err(cx.err(
                span,
                format!("node {} does not exist: {}", node.0, self.describe()),
            ));
        }
        Ok(NodeId(node.0))
    }

    fn list(&self, cx: &Ctx<'_>, v: &Spanned<NodeOrList>) -> Result<Vec<NodeId>, ScenarioError> {
        match v.get_ref() {
            NodeOrList::One(n) => Ok(vec![self.check(cx, *n, v.span())?]),
            NodeOrList::Many(ns) => {
                if ns.is_empty() {
                    return Err(cx.err(v.span(), "found an empty list, expected at least one node"));
                }
                ns.iter()
                    .map(|n| self.check(cx, *n.get_ref(), n.span()))
                    .collect()
            }
        }
    }

    fn one(&self, cx: &Ctx<'_>, v: &Spanned<NodeOrList>) -> Result<NodeId, ScenarioError> {
        match v.get_ref() {
            NodeOrList::One(n) => self.check(cx, *n, v.span()),
            NodeOrList::Many(_) => Err(cx.err(
                v.span(),
                "found a list, expected one node id (leave the field out to mean every node)",
            )),
        }
    }
}

/// The fields each fault kind takes, beside `at`, `after_event` and `kind`.
pub(crate) const FAULT_KINDS: [(&str, &[&str]); 12] = [
    ("partition", &["groups"]),
    ("partition_one_way", &["from", "to"]),
    ("isolate", &["node"]),
    ("heal", &[]),
    ("reconnect", &["node"]),
    ("crash", &["node"]),
    ("restart", &["node"]),
    ("clock_offset", &["node", "offset"]),
    ("clock_drift", &["node", "ppm"]),
    ("clock_step", &["node", "delta"]),
    (
        "link",
        &["from", "to", "latency", "loss", "duplicate", "reorder"],
    ),
    ("drop_message", &["message"]),
];

pub(super) fn fault(
    cx: &Ctx<'_>,
    f: &Spanned<RawFault>,
    nodes: &Nodes,
    end: SimTime,
) -> Result<ScheduledFault, ScenarioError> {
    let r = f.get_ref();
    let kind = r.kind.get_ref().as_str();
    let Some(&(_, allowed)) = FAULT_KINDS.iter().find(|(k, _)| *k == kind) else {
        let names: Vec<&str> = FAULT_KINDS
            .iter()
            .map(|(k, _)| *k)
            .chain(super::topology::PLACE_FAULT_KINDS.iter().map(|(k, _)| *k))
            .collect();
        return Err(cx.err(
            r.kind.span(),
            format!(
                "unknown fault kind `{kind}`; expected one of: {}",
                names.join(", ")
            ),
        ));
    };
    let present = r.fields();
    let takes = || {
        let mut all = vec!["at", "after_event"];
        all.extend_from_slice(allowed);
        all.join(", ")
    };
    for (name, span) in &present {
        if let Some(span) = span
            && !allowed.contains(name)
        {
            return Err(cx.err(
                span.clone(),
                format!(
                    "`{name}` does not apply to a `{kind}` fault; it takes: {}",
                    takes()
                ),
            ));
        }
    }
    let missing = |name: &str| {
        cx.err(
            r.kind.span(),
            format!("a `{kind}` fault needs `{name}`; it takes: {}", takes()),
        )
    };
    // A role stands for its holder when the fault applies: the action is
    // built on a placeholder node and wrapped below.
    let mut aimed_at: Option<String> = None;
    let mut node = || -> Result<NodeId, ScenarioError> {
        let n = r.node.as_ref().ok_or_else(|| missing("node"))?;
        match n.get_ref() {
            Target::Node(id) => nodes.check(cx, *id, n.span()),
            Target::Role(role) if kind == "restart" && role == CRASHED => {
                aimed_at = Some(role.clone());
                Ok(NodeId(0))
            }
            Target::Role(role) if kind == "restart" => Err(cx.err(
                n.span(),
                format!("found the role {role:?}; a `restart` takes a node id, or \"{CRASHED}\" for the crashed server with the lowest id (a crashed server holds no role)"),
            )),
            Target::Role(role) if role == CRASHED => Err(cx.err(
                n.span(),
                format!("\"{CRASHED}\" names a down server, which only a `restart` can aim at; expected a node id or a role"),
            )),
            Target::Role(role) if nodes.roles.contains(&role.as_str()) => {
                aimed_at = Some(role.clone());
                Ok(NodeId(0))
            }
            Target::Role(role) => {
                let known = if nodes.roles.is_empty() {
                    "this algorithm publishes no roles".to_string()
                } else {
                    format!("this algorithm's roles are: {}", nodes.roles.join(", "))
                };
                Err(cx.err(
                    n.span(),
                    format!("found {role:?}; expected a node id like 2 or \"n2\", or a role ({known})"),
                ))
            }
        }
    };
    let fault = match kind {
        "partition" => {
            let groups = r.groups.as_ref().ok_or_else(|| missing("groups"))?;
            let mut out: Vec<Vec<NodeId>> = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            for g in groups.get_ref() {
                let mut side = Vec::new();
                for n in g {
                    let id = nodes.check(cx, *n.get_ref(), n.span())?;
                    if !seen.insert(id) {
                        return Err(cx.err(
                            n.span(),
                            format!("node {} is in two groups; expected each node on one side of the partition", id.0),
                        ));
                    }
                    side.push(id);
                }
                out.push(side);
            }
            if out.iter().filter(|g| !g.is_empty()).count() < 2 {
                return Err(cx.err(
                    groups.span(),
                    "a partition needs at least two non-empty groups, like [[0, 1], [2]]",
                ));
            }
            Fault::Partition { groups: out }
        }
        "partition_one_way" => Fault::PartitionOneWay {
            from: nodes.list(cx, r.from.as_ref().ok_or_else(|| missing("from"))?)?,
            to: nodes.list(cx, r.to.as_ref().ok_or_else(|| missing("to"))?)?,
        },
        "isolate" => Fault::Isolate { node: node()? },
        "reconnect" => Fault::Reconnect { node: node()? },
        "heal" => Fault::Heal,
        "crash" => Fault::Crash { node: node()? },
        "restart" => Fault::Restart { node: node()? },
        "clock_offset" => Fault::ClockOffset {
            node: node()?,
            offset: clock_jump(
                cx,
                "offset",
                r.offset.as_ref().ok_or_else(|| missing("offset"))?,
            )?,
        },
        "clock_drift" => {
            let ppm = r.ppm.as_ref().ok_or_else(|| missing("ppm"))?;
            if ppm.get_ref().unsigned_abs() > MAX_DRIFT_PPM.unsigned_abs() {
                return Err(cx.err(
                    ppm.span(),
                    format!(
                        "found a drift of {}ppm, expected between -{MAX_DRIFT_PPM} and {MAX_DRIFT_PPM}",
                        ppm.get_ref()
                    ),
                ));
            }
            Fault::ClockDrift {
                node: node()?,
                ppm: *ppm.get_ref(),
            }
        }
        "clock_step" => Fault::ClockStep {
            node: node()?,
            delta: clock_jump(
                cx,
                "delta",
                r.delta.as_ref().ok_or_else(|| missing("delta"))?,
            )?,
        },
        "link" => {
            let prob = |name, p: &Option<Spanned<f64>>| -> Result<Option<f64>, ScenarioError> {
                p.as_ref().map(|p| probability(cx, name, p)).transpose()
            };
            let change = LinkChange {
                latency: r.latency.as_ref().map(|l| latency(cx, l)).transpose()?,
                loss: prob("loss", &r.loss)?,
                duplicate: prob("duplicate", &r.duplicate)?,
                reorder: prob("reorder", &r.reorder)?,
            };
            if change == LinkChange::default() {
                return Err(cx.err(
                    r.kind.span(),
                    "a `link` fault changes nothing; expected at least one of latency, loss, duplicate, reorder",
                ));
            }
            Fault::Link {
                from: r.from.as_ref().map(|v| nodes.one(cx, v)).transpose()?,
                to: r.to.as_ref().map(|v| nodes.one(cx, v)).transpose()?,
                change,
            }
        }
        _ => Fault::DropMessage {
            message: *r
                .message
                .as_ref()
                .ok_or_else(|| missing("message"))?
                .get_ref(),
        },
    };
    let fault = match aimed_at {
        Some(role) => Fault::Aimed {
            role,
            chosen: None,
            action: Box::new(fault),
        },
        None => fault,
    };
    let at = fault_time(cx, r, end)?;
    Ok(ScheduledFault {
        at,
        after_event: r.after_event.as_ref().map(|a| *a.get_ref()),
        fault,
    })
}

/// A fault entry's `at`, within the run.
pub(super) fn fault_time(
    cx: &Ctx<'_>,
    r: &RawFault,
    end: SimTime,
) -> Result<SimTime, ScenarioError> {
    let at = SimTime::from_duration(r.at.get_ref().0);
    if at > end {
        return Err(cx.err(
            r.at.span(),
            format!(
                "found a fault at {at}, after the end of the run at {end}; expected a time from 0s to {end}"
            ),
        ));
    }
    Ok(at)
}

/// A clock offset or step, within ±[`MAX_CLOCK_JUMP_NANOS`].
fn clock_jump(cx: &Ctx<'_>, name: &str, v: &Spanned<SignedDur>) -> Result<i64, ScenarioError> {
    let nanos = v.get_ref().0;
    if nanos.unsigned_abs() > MAX_CLOCK_JUMP_NANOS.unsigned_abs() {
        return Err(cx.err(
            v.span(),
            format!(
                "found {name} = {}; expected a clock jump between -{max} and {max} (365 days: \
                 further jumps teach nothing more, and could run a clock past the end of its range)",
                format_nanos(i128::from(nanos)),
                max = format_nanos(i128::from(MAX_CLOCK_JUMP_NANOS))
            ),
        ));
    }
    Ok(nanos)
}

pub(super) fn nemesis(
    cx: &Ctx<'_>,
    n: &Spanned<RawNemesis>,
    nodes: &Nodes,
    end: SimTime,
) -> Result<NemesisConfig, ScenarioError> {
    let servers = nodes.servers;
    let r = n.get_ref();
    let d = NemesisConfig::default();
    let mut kinds = Vec::new();
    for k in r.kinds.get_ref() {
        let kind = NemesisKind::from_name(k.get_ref()).ok_or_else(|| {
            cx.err(
                k.span(),
                format!(
                    "unknown nemesis fault kind `{}`; expected one of: {}",
                    k.get_ref(),
                    NemesisKind::ALL.map(|k| k.name()).join(", ")
                ),
            )
        })?;
        if kind.needs_two_servers() && servers < 2 {
            return Err(cx.err(
                k.span(),
                format!(
                    "nemesis kind `{}` needs at least 2 servers, found {servers}",
                    kind.name()
                ),
            ));
        }
        if kind.aims_at_leader() && !nodes.roles.contains(&crate::scenario::nemesis::LEADER) {
            return Err(cx.err(
                k.span(),
                format!(
                    "nemesis kind `{}` aims at the leader, but this algorithm publishes no `leader` role; expected a kind that draws its server",
                    kind.name()
                ),
            ));
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(cx.err(
            r.kinds.span(),
            format!(
                "found no fault kinds; expected at least one of: {}",
                NemesisKind::ALL.map(|k| k.name()).join(", ")
            ),
        ));
    }
    let dur = |v: &Option<Spanned<crate::scenario::raw::Dur>>, default: Duration| {
        v.as_ref().map_or(default, |v| v.get_ref().0)
    };
    let start = SimTime::from_duration(dur(&r.start, Duration::ZERO));
    let stop = match &r.stop {
        Some(s) => SimTime::from_duration(s.get_ref().0),
        None => end,
    };
    if let Some(s) = &r.stop
        && stop > end
    {
        return Err(cx.err(
            s.span(),
            format!(
                "found stop = {stop}, after the end of the run at {end}; expected at most {end}"
            ),
        ));
    }
    if start >= stop {
        let span = r.start.as_ref().map_or(n.span(), |s| s.span());
        return Err(cx.err(
            span,
            format!(
                "the nemesis starts at {start} but stops at {stop}; expected start before stop"
            ),
        ));
    }
    let interval = dur(&r.interval, d.interval);
    if interval.is_zero()
        && let Some(i) = &r.interval
    {
        return Err(cx.err(
            i.span(),
            "found an interval of 0s, expected a mean gap above zero",
        ));
    }
    let swarm = r.swarm.unwrap_or(false);
    // Swarm testing may divide the gap by 4 (`SWARM_SCALES`).
    let shrink: u128 = if swarm { 4 } else { 1 };
    let window = u128::from(stop.0 - start.0);
    let expected = window * shrink / interval.as_nanos();
    if expected > u128::from(MAX_NEMESIS_FAULTS) {
        let span = r.interval.as_ref().map_or(n.span(), |i| i.span());
        let least = (window * shrink).div_ceil(u128::from(MAX_NEMESIS_FAULTS));
        let least = Duration::from_nanos(u64::try_from(least).unwrap_or(u64::MAX));
        return Err(cx.err(
            span,
            format!(
                "the nemesis would draw about {expected} faults (a mean gap of {} over {}{}); \
                 expected at most {MAX_NEMESIS_FAULTS} in one run: an interval of at least {} (or a shorter window)",
                format_duration(interval),
                format_duration(Duration::from_nanos(stop.0 - start.0)),
                if swarm { ", a quarter of it with swarm" } else { "" },
                format_duration(least)
            ),
        ));
    }
    let min_duration = dur(&r.min_duration, d.min_duration);
    let max_duration = dur(&r.max_duration, d.max_duration);
    if min_duration > max_duration {
        let span = r
            .min_duration
            .as_ref()
            .or(r.max_duration.as_ref())
            .map_or(n.span(), |s| s.span());
        return Err(cx.err(
            span,
            format!(
                "min_duration {} is above max_duration {}; expected min_duration <= max_duration",
                format_duration(min_duration),
                format_duration(max_duration)
            ),
        ));
    }
    let max_drift_ppm = match &r.max_drift_ppm {
        Some(p) if i64::from(p.get_ref().0) > MAX_DRIFT_PPM => {
            return Err(cx.err(
                p.span(),
                format!(
                    "found {}ppm, expected at most {MAX_DRIFT_PPM}",
                    p.get_ref().0
                ),
            ));
        }
        Some(p) => i64::from(p.get_ref().0),
        None => d.max_drift_ppm,
    };
    let loss = match &r.loss {
        Some(p) => probability(cx, "loss", p)?,
        None => d.loss,
    };
    let max_clock_offset = nemesis_jump(cx, "max_clock_offset", &r.max_clock_offset)?;
    let max_clock_step = nemesis_jump(cx, "max_clock_step", &r.max_clock_step)?;
    let overlap = r.overlap.as_ref().is_some_and(|o| *o.get_ref());
    if overlap {
        let lone = [
            NemesisKind::Partition,
            NemesisKind::PartitionOneWay,
            NemesisKind::LossyLinks,
            NemesisKind::CrashLeader,
            NemesisKind::IsolateLeader,
        ];
        if let Some(k) = r
            .kinds
            .get_ref()
            .iter()
            .find(|k| NemesisKind::from_name(k.get_ref()).is_some_and(|k| lone.contains(&k)))
        {
            return Err(cx.err(
                k.span(),
                format!(
                    "`{}` cannot overlap other faults (its undo would undo theirs, or could not tell its server from theirs); with overlap = true expected kinds that draw one server: isolate, crash, clock_offset, clock_drift, clock_step",
                    k.get_ref()
                ),
            ));
        }
    }
    let max_faulty = match &r.max_faulty {
        Some(m) if !overlap => {
            return Err(cx.err(
                m.span(),
                "max_faulty caps overlapping faults; expected `overlap = true` beside it",
            ));
        }
        Some(m) if m.get_ref().0 == 0 || m.get_ref().0 >= servers => {
            return Err(cx.err(
                m.span(),
                format!(
                    "found max_faulty = {}; expected 1 to {} (fewer than the {servers} servers)",
                    m.get_ref().0,
                    servers.saturating_sub(1)
                ),
            ));
        }
        Some(m) => m.get_ref().0,
        // A minority: the cluster keeps a working majority.
        None => (servers.saturating_sub(1) / 2).max(1),
    };
    Ok(NemesisConfig {
        kinds,
        start,
        stop,
        interval,
        min_duration,
        max_duration,
        max_clock_offset: max_clock_offset.unwrap_or(d.max_clock_offset),
        max_clock_step: max_clock_step.unwrap_or(d.max_clock_step),
        max_drift_ppm,
        loss,
        swarm,
        overlap,
        max_faulty,
    })
}

/// A nemesis bound on clock jumps, within [`MAX_CLOCK_JUMP_NANOS`].
fn nemesis_jump(
    cx: &Ctx<'_>,
    name: &str,
    v: &Option<Spanned<crate::scenario::raw::Dur>>,
) -> Result<Option<Duration>, ScenarioError> {
    let Some(v) = v else { return Ok(None) };
    let d = v.get_ref().0;
    let max = Duration::from_nanos(MAX_CLOCK_JUMP_NANOS.unsigned_abs());
    if d > max {
        return Err(cx.err(
            v.span(),
            format!(
                "found {name} = {}; expected at most {} (365 days: further jumps teach nothing more, \
                 and could run a clock past the end of its range)",
                format_duration(d),
                format_duration(max)
            ),
        ));
    }
    Ok(Some(d))
}
