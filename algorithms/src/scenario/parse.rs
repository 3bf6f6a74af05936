//! From the file as written ([`super::raw`]) to a validated [`Scenario`].
//!
//! Syntax and type errors come from the TOML deserializer with the span of
//! the offending key or value; everything that needs more than one value to
//! judge (a node id against the node count, a fault time against the end,
//! fields that do not belong to a fault's kind) is checked here, against
//! the spans kept by [`toml::Spanned`].

use super::nemesis::{NemesisConfig, NemesisKind};
use super::raw::{
    NodeOrList, NodeRef, RawClients, RawFault, RawLatency, RawNemesis, RawNetwork, RawScenario,
};
use super::replay::ReplayInfo;
use super::{
    Checks, DEFAULT_DURATION, DEFAULT_SEED, DEFAULT_SERVERS, Expectation, Scenario, ScenarioError,
};
use crate::registry::{AlgorithmInfo, algorithms, find};
use faultline_sim::clock::MAX_DRIFT_PPM;
use faultline_sim::network::check_probability;
use faultline_sim::time::format_duration;
use faultline_sim::{
    Fault, LatencyDist, LinkChange, LinkConfig, NodeId, OpMix, ScheduledFault, SimTime, TraceMode,
    WorkloadConfig,
};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

/// Names the kernel itself may report as a violated invariant.
const KERNEL_INVARIANTS: [&str; 1] = ["history_well_formed"];

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.text, Some(span), message)
    }
}

pub(crate) fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let cx = Ctx { file, text };
    let raw: RawScenario = toml::from_str(text)
        .map_err(|e| ScenarioError::at(file, text, e.span(), e.message().trim_end().to_string()))?;

    let Some(algorithm) = find(raw.algorithm.get_ref()) else {
        let known: Vec<&str> = algorithms().iter().map(|a| a.info().name).collect();
        return Err(cx.err(
            raw.algorithm.span(),
            format!(
                "unknown algorithm `{}`; expected one of: {}",
                raw.algorithm.get_ref(),
                known.join(", ")
            ),
        ));
    };
    let info = algorithm.info();

    let servers = match &raw.servers {
        Some(s) if s.get_ref().0 == 0 => {
            return Err(cx.err(s.span(), "found 0 servers, expected at least 1"));
        }
        Some(s) => s.get_ref().0,
        None => DEFAULT_SERVERS,
    };
    let duration = match &raw.duration {
        Some(d) if d.get_ref().0.is_zero() => {
            return Err(cx.err(
                d.span(),
                "found a duration of 0s, expected a run longer than zero",
            ));
        }
        Some(d) => d.get_ref().0,
        None => DEFAULT_DURATION,
    };
    let end = SimTime::from_duration(duration);
    let seed = raw.seed.as_ref().map_or(DEFAULT_SEED, |s| s.get_ref().0);
    let link = match &raw.network {
        Some(net) => network(&cx, net)?,
        None => LinkConfig::default(),
    };
    let (clients, workload) = match &raw.clients {
        Some(c) => client_section(&cx, c)?,
        None => (0, WorkloadConfig::default()),
    };
    let nodes = Nodes { servers, clients };

    let mut faults = Vec::with_capacity(raw.faults.len());
    for f in &raw.faults {
        faults.push(fault(&cx, f, &nodes, end)?);
    }

    let nemesis = match &raw.nemesis {
        Some(n) => Some(nemesis(&cx, n, servers, end)?),
        None => None,
    };

    let checks = checks(&cx, &raw, &info, clients, &faults, nemesis.as_ref(), end)?;
    let expect = expectation(&cx, &raw, &info, &checks)?;
    let replay = match &raw.replay {
        Some(r) => Some(ReplayInfo::from_raw(cx.file, text, r)?),
        None => None,
    };
    if replay.is_some() && nemesis.is_some() {
        let span = raw.nemesis.as_ref().map(|n| n.span()).unwrap_or(0..0);
        return Err(cx.err(
            span,
            "a replay file holds the concrete fault schedule in [[faults]]; expected no [nemesis] table",
        ));
    }

    let scenario = Scenario {
        file: file.to_string(),
        text: text.to_string(),
        name: raw.name.into_inner(),
        description: raw.description.unwrap_or_default(),
        lesson: raw.lesson,
        algorithm,
        servers,
        clients,
        duration,
        seed,
        link,
        workload,
        faults,
        nemesis,
        checks,
        expect,
        replay,
    };
    // The algorithm validates its own parameters when it builds a world;
    // building one now makes a bad parameter a load-time error.
    scenario.build(scenario.seed, TraceMode::Fingerprint)?;
    Ok(scenario)
}

fn probability(cx: &Ctx<'_>, name: &str, p: &Spanned<f64>) -> Result<f64, ScenarioError> {
    check_probability(name, *p.get_ref()).map_err(|e| cx.err(p.span(), e))?;
    Ok(*p.get_ref())
}

fn network(cx: &Ctx<'_>, net: &RawNetwork) -> Result<LinkConfig, ScenarioError> {
    let d = LinkConfig::default();
    let prob = |name, p: &Option<Spanned<f64>>, default| match p {
        Some(p) => probability(cx, name, p),
        None => Ok(default),
    };
    Ok(LinkConfig {
        latency: match &net.latency {
            Some(l) => latency(cx, l)?,
            None => d.latency,
        },
        loss: prob("loss", &net.loss, d.loss)?,
        duplicate: prob("duplicate", &net.duplicate, d.duplicate)?,
        reorder: prob("reorder", &net.reorder, d.reorder)?,
    })
}

const DISTS: &str = "constant (value), uniform (min, max), normal (mean, std_dev, optional min), \
                     exponential (mean, optional min), long_tail (min, alpha, max)";

fn latency(cx: &Ctx<'_>, l: &Spanned<RawLatency>) -> Result<LatencyDist, ScenarioError> {
    let t = match l.get_ref() {
        RawLatency::Constant(d) => return Ok(LatencyDist::Constant { value: d.0 }),
        RawLatency::Table(t) => t,
    };
    let dist = t.dist.get_ref().as_str();
    let allowed: &[&str] = match dist {
        "constant" => &["value"],
        "uniform" => &["min", "max"],
        "normal" => &["mean", "std_dev", "min"],
        "exponential" => &["mean", "min"],
        "long_tail" => &["min", "alpha", "max"],
        other => {
            return Err(cx.err(
                t.dist.span(),
                format!("unknown latency distribution `{other}`; expected one of: {DISTS}"),
            ));
        }
    };
    let present = [
        ("value", t.value.as_ref().map(|v| v.span())),
        ("min", t.min.as_ref().map(|v| v.span())),
        ("max", t.max.as_ref().map(|v| v.span())),
        ("mean", t.mean.as_ref().map(|v| v.span())),
        ("std_dev", t.std_dev.as_ref().map(|v| v.span())),
        ("alpha", t.alpha.as_ref().map(|v| v.span())),
    ];
    for (name, span) in present {
        if let Some(span) = span
            && !allowed.contains(&name)
        {
            return Err(cx.err(
                span,
                format!(
                    "`{name}` does not apply to a {dist} latency; it takes: {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    let need = |name: &str, v: &Option<Spanned<super::raw::Dur>>| {
        v.as_ref().map(|v| v.get_ref().0).ok_or_else(|| {
            cx.err(
                l.span(),
                format!(
                    "a {dist} latency needs `{name}`; it takes: {}",
                    allowed.join(", ")
                ),
            )
        })
    };
    let opt =
        |v: &Option<Spanned<super::raw::Dur>>| v.as_ref().map_or(Duration::ZERO, |v| v.get_ref().0);
    let dist = match dist {
        "constant" => LatencyDist::Constant {
            value: need("value", &t.value)?,
        },
        "uniform" => LatencyDist::Uniform {
            min: need("min", &t.min)?,
            max: need("max", &t.max)?,
        },
        "normal" => LatencyDist::Normal {
            mean: need("mean", &t.mean)?,
            std_dev: need("std_dev", &t.std_dev)?,
            min: opt(&t.min),
        },
        "exponential" => LatencyDist::Exponential {
            mean: need("mean", &t.mean)?,
            min: opt(&t.min),
        },
        _ => LatencyDist::LongTail {
            min: need("min", &t.min)?,
            alpha: *t
                .alpha
                .as_ref()
                .ok_or_else(|| {
                    cx.err(
                        l.span(),
                        "a long_tail latency needs `alpha`; it takes: min, alpha, max",
                    )
                })?
                .get_ref(),
            max: need("max", &t.max)?,
        },
    };
    dist.validate().map_err(|e| cx.err(l.span(), e))?;
    Ok(dist)
}

fn client_section(
    cx: &Ctx<'_>,
    c: &Spanned<RawClients>,
) -> Result<(u32, WorkloadConfig), ScenarioError> {
    let c = c.get_ref();
    let d = WorkloadConfig::default();
    let keys = match &c.keys {
        Some(k) if k.get_ref().0 == 0 => {
            return Err(cx.err(k.span(), "found 0 keys, expected at least 1"));
        }
        Some(k) => k.get_ref().0,
        None => d.keys,
    };
    let hot = match &c.hot {
        Some(h) => match u8::try_from(*h.get_ref()) {
            Ok(pct) if pct <= 100 => pct,
            _ => {
                return Err(cx.err(
                    h.span(),
                    format!(
                        "found hot = {}, expected a percentage from 0 to 100",
                        h.get_ref()
                    ),
                ));
            }
        },
        None => d.hot,
    };
    let mix = match &c.mix {
        Some(m) => {
            let r = m.get_ref();
            let mix = OpMix {
                get: r.get,
                put: r.put,
                append: r.append,
                cas: r.cas,
            };
            if [mix.get, mix.put, mix.append, mix.cas]
                .iter()
                .all(|w| *w == 0)
            {
                return Err(cx.err(
                    m.span(),
                    "every weight of the operation mix is 0; expected at least one of get, put, append, cas above 0",
                ));
            }
            mix
        }
        None => d.mix,
    };
    let workload = WorkloadConfig {
        think_time: c.rate.as_ref().map_or(d.think_time, |r| r.get_ref().0),
        keys,
        hot,
        mix,
        max_ops_per_client: c.max_ops,
    };
    Ok((c.count.get_ref().0, workload))
}

struct Nodes {
    servers: u32,
    clients: u32,
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
pub(crate) const FAULT_KINDS: [(&str, &[&str]); 11] = [
    ("partition", &["groups"]),
    ("partition_one_way", &["from", "to"]),
    ("isolate", &["node"]),
    ("heal", &[]),
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

fn fault(
    cx: &Ctx<'_>,
    f: &Spanned<RawFault>,
    nodes: &Nodes,
    end: SimTime,
) -> Result<ScheduledFault, ScenarioError> {
    let r = f.get_ref();
    let kind = r.kind.get_ref().as_str();
    let Some(&(_, allowed)) = FAULT_KINDS.iter().find(|(k, _)| *k == kind) else {
        let names: Vec<&str> = FAULT_KINDS.iter().map(|(k, _)| *k).collect();
        return Err(cx.err(
            r.kind.span(),
            format!(
                "unknown fault kind `{kind}`; expected one of: {}",
                names.join(", ")
            ),
        ));
    };
    let present = [
        ("node", r.node.as_ref().map(|v| v.span())),
        ("groups", r.groups.as_ref().map(|v| v.span())),
        ("from", r.from.as_ref().map(|v| v.span())),
        ("to", r.to.as_ref().map(|v| v.span())),
        ("offset", r.offset.as_ref().map(|v| v.span())),
        ("ppm", r.ppm.as_ref().map(|v| v.span())),
        ("delta", r.delta.as_ref().map(|v| v.span())),
        ("latency", r.latency.as_ref().map(|v| v.span())),
        ("loss", r.loss.as_ref().map(|v| v.span())),
        ("duplicate", r.duplicate.as_ref().map(|v| v.span())),
        ("reorder", r.reorder.as_ref().map(|v| v.span())),
        ("message", r.message.as_ref().map(|v| v.span())),
    ];
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
    let node = || -> Result<NodeId, ScenarioError> {
        let n = r.node.as_ref().ok_or_else(|| missing("node"))?;
        nodes.check(cx, *n.get_ref(), n.span())
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
        "heal" => Fault::Heal,
        "crash" => Fault::Crash { node: node()? },
        "restart" => Fault::Restart { node: node()? },
        "clock_offset" => Fault::ClockOffset {
            node: node()?,
            offset: r
                .offset
                .as_ref()
                .ok_or_else(|| missing("offset"))?
                .get_ref()
                .0,
        },
        "clock_drift" => {
            let ppm = r.ppm.as_ref().ok_or_else(|| missing("ppm"))?;
            if ppm.get_ref().abs() > MAX_DRIFT_PPM {
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
            delta: r
                .delta
                .as_ref()
                .ok_or_else(|| missing("delta"))?
                .get_ref()
                .0,
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
    let at = SimTime::from_duration(r.at.get_ref().0);
    if at > end {
        return Err(cx.err(
            r.at.span(),
            format!(
                "found a fault at {at}, after the end of the run at {end}; expected a time from 0s to {end}"
            ),
        ));
    }
    Ok(ScheduledFault {
        at,
        after_event: r.after_event.as_ref().map(|a| *a.get_ref()),
        fault,
    })
}

fn nemesis(
    cx: &Ctx<'_>,
    n: &Spanned<RawNemesis>,
    servers: u32,
    end: SimTime,
) -> Result<NemesisConfig, ScenarioError> {
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
    let dur = |v: &Option<Spanned<super::raw::Dur>>, default: Duration| {
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
    Ok(NemesisConfig {
        kinds,
        start,
        stop,
        interval,
        min_duration,
        max_duration,
        max_clock_offset: dur(&r.max_clock_offset, d.max_clock_offset),
        max_clock_step: dur(&r.max_clock_step, d.max_clock_step),
        max_drift_ppm,
        loss,
        swarm: r.swarm.unwrap_or(false),
    })
}

#[allow(clippy::too_many_arguments)]
fn checks(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    info: &AlgorithmInfo,
    clients: u32,
    faults: &[ScheduledFault],
    nemesis: Option<&NemesisConfig>,
    end: SimTime,
) -> Result<Checks, ScenarioError> {
    let Some(c) = &raw.checks else {
        return Ok(Checks {
            invariants: None,
            stride: 1,
            linearizability: false,
            liveness: None,
        });
    };
    let invariants = match &c.invariants {
        Some(list) => {
            let mut names = Vec::new();
            for name in list {
                if !info.invariants.iter().any(|i| i.name == name.get_ref()) {
                    let known: Vec<&str> = info.invariants.iter().map(|i| i.name).collect();
                    let known = if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    };
                    return Err(cx.err(
                        name.span(),
                        format!(
                            "unknown invariant `{}`; {} has: {known}",
                            name.get_ref(),
                            info.name
                        ),
                    ));
                }
                if !names.contains(name.get_ref()) {
                    names.push(name.get_ref().clone());
                }
            }
            Some(names)
        }
        None => None,
    };
    let linearizability = c.linearizability.as_ref().is_some_and(|l| *l.get_ref());
    if let Some(l) = &c.linearizability
        && *l.get_ref()
        && clients == 0
    {
        return Err(cx.err(
            l.span(),
            "linearizability checks the clients' history, but this scenario has no clients; expected a [clients] section",
        ));
    }
    let liveness = match &c.liveness {
        Some(l) => {
            let bound = l.get_ref().0;
            if bound.is_zero() {
                return Err(cx.err(
                    l.span(),
                    "found a liveness bound of 0s, expected a bound above zero",
                ));
            }
            if clients == 0 {
                return Err(cx.err(
                    l.span(),
                    "liveness is judged from client operations, but this scenario has no clients; expected a [clients] section",
                ));
            }
            let last_fixed = faults.iter().map(|f| f.at).max().unwrap_or(SimTime::ZERO);
            let last = nemesis.map_or(last_fixed, |n| last_fixed.max(n.stop));
            if last + bound > end {
                return Err(cx.err(
                    l.span(),
                    format!(
                        "the liveness bound {} does not fit: the last fault can be at {last} and the run ends at {end}; \
                         expected a bound of at most {} (or a longer run)",
                        format_duration(bound),
                        format_duration(end.saturating_since(last))
                    ),
                ));
            }
            Some(bound)
        }
        None => None,
    };
    Ok(Checks {
        invariants,
        stride: c.stride.unwrap_or(1),
        linearizability,
        liveness,
    })
}

fn expectation(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    info: &AlgorithmInfo,
    checks: &Checks,
) -> Result<Expectation, ScenarioError> {
    let Some(e) = &raw.expect else {
        return Ok(Expectation::Pass);
    };
    let name = e.get_ref().as_str();
    if name == "pass" {
        return Ok(Expectation::Pass);
    }
    let known_invariant = info.invariants.iter().any(|i| i.name == name);
    let checked = match &checks.invariants {
        Some(list) => list.iter().any(|n| n == name),
        None => known_invariant,
    };
    let ok = checked
        || KERNEL_INVARIANTS.contains(&name)
        || (name == "linearizability" && checks.linearizability)
        || (name == "liveness" && checks.liveness.is_some());
    if ok {
        return Ok(Expectation::Failure(name.to_string()));
    }
    let why = if known_invariant {
        format!("invariant `{name}` is not among the invariants selected in [checks]")
    } else if name == "linearizability" {
        "expect = \"linearizability\" needs `linearizability = true` in [checks]".to_string()
    } else if name == "liveness" {
        "expect = \"liveness\" needs a `liveness` bound in [checks]".to_string()
    } else {
        let mut names: Vec<&str> = vec!["pass"];
        names.extend(info.invariants.iter().map(|i| i.name));
        names.extend(["linearizability", "liveness"]);
        format!(
            "unknown outcome `{name}`; expected one of: {}",
            names.join(", ")
        )
    };
    Err(cx.err(e.span(), why))
}
