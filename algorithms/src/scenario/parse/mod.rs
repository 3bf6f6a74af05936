//! From the file as written ([`super::raw`]) to a validated [`Scenario`].
//!
//! Syntax and type errors come from the TOML deserializer with the span of
//! the offending key or value; everything that needs more than one value to
//! judge (a node id against the node count, a fault time against the end,
//! fields that do not belong to a fault's kind) is checked here, against
//! the spans kept by [`toml::Spanned`].

use super::nemesis::{NemesisConfig, NemesisKind};
use super::raw::{
    NodeOrList, NodeRef, RawChecks, RawClientsSection, RawExpect, RawFault, RawLatency, RawNemesis,
    RawNetwork, RawScenario, RawSessions, RawStale,
};
use super::replay::ReplayInfo;
use super::{
    Checks, DEFAULT_DURATION, DEFAULT_SEED, DEFAULT_SERVERS, Expectation, Scenario, ScenarioError,
    StaleBound,
};
use crate::algorithm::AlgorithmInfo;
use crate::family::families;
use crate::limits::{KERNEL_CHECKS, MAX_EXPECTED_OPERATIONS, MAX_LINEARIZABILITY_STEPS, MAX_NODES};
use crate::registry::{algorithms, find};
use crate::scenario::outcome::LINEARIZABILITY_STEPS;
use faultline_checker::weak::Guarantee;
use faultline_sim::clock::MAX_DRIFT_PPM;
use faultline_sim::network::check_probability;
use faultline_sim::time::format_duration;
use faultline_sim::{
    ClientGroup, Fault, LatencyDist, LinkChange, LinkConfig, NodeId, Pin, ScheduledFault, SimTime,
    TraceMode, WorkloadConfig,
};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

mod explore;
mod faults;
mod over_time;
mod setup;
mod topology;
mod tour;

pub use explore::{ExploreSpec, MAX_DEPTH};
use faults::{Nodes, fault, nemesis};
use setup::{client_section, network};

/// Names the kernel itself may report as a violated invariant.
pub(crate) const KERNEL_INVARIANTS: [&str; 3] = KERNEL_CHECKS;

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.text, Some(span), message)
    }
}

/// `authored`: the file as a person wrote it, where a window anchored on a
/// fault kind that cannot apply is a mistake; replay files and schedules
/// the tools derived hold whatever faults a run applied, so there it is not.
pub(crate) fn parse(file: &str, text: &str, authored: bool) -> Result<Scenario, ScenarioError> {
    let cx = Ctx { file, text };
    let raw: RawScenario = toml::from_str(text)
        .map_err(|e| ScenarioError::from_toml(file, text, e.span(), e.message()))?;

    let Some(algorithm) = find(raw.algorithm.get_ref()) else {
        let known: Vec<&str> = algorithms().iter().map(|a| a.name()).collect();
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
    let roles: Vec<&'static str> = info
        .observables
        .iter()
        .filter(|o| o.kind == faultline_sim::ObservableKind::Role)
        .map(|o| o.name)
        .collect();
    let setup = match &raw.clients {
        Some(c) => Some(client_section(&cx, c, &info, servers, &roles)?),
        None => None,
    };
    let clients = setup.as_ref().map_or(0, |s| s.total);
    node_count(&cx, &raw, servers, clients, setup.as_ref())?;
    if let Some(setup) = &setup {
        expected_operations(&cx, setup, duration)?;
    }
    let (workload, groups) = match setup {
        Some(s) => (s.workload, s.groups),
        None => (WorkloadConfig::default(), Vec::new()),
    };
    let nodes = Nodes {
        servers,
        clients,
        roles,
    };

    let topology = match &raw.topology {
        Some(t) => Some(topology::topology(&cx, t, &link, servers, clients)?),
        None => None,
    };
    let link_overrides = match &topology {
        // Pairs with the `[network]` settings need no override.
        Some(t) => t
            .links()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, cfg)| *cfg != link)
            .collect(),
        None => Default::default(),
    };

    let mut faults = Vec::with_capacity(raw.faults.len());
    for f in &raw.faults {
        match topology::place_fault(&cx, f, topology.as_ref(), servers, end)? {
            Some(list) => faults.extend(list),
            None => faults.push(fault(&cx, f, &nodes, end)?),
        }
    }

    let nemesis = match &raw.nemesis {
        Some(n) => Some(nemesis(&cx, n, &nodes, end)?),
        None => None,
    };

    let schedule = over_time::Schedule {
        end,
        faults: &faults,
        nemesis: nemesis.as_ref(),
        strict: authored && raw.replay.is_none(),
    };
    let explore = explore::explore(&cx, &raw, clients)?;
    let checks = checks(&cx, &raw, &info, &nodes, &schedule)?;
    let expect = expectation(&cx, &raw, &info, &checks)?;
    let tour = tour::tour(&cx, &raw, &info, &nodes, end, &checks.over_time_names())?;
    let replay = match &raw.replay {
        Some(r) => Some(ReplayInfo::from_raw(
            cx.file,
            text,
            r,
            &info,
            &checks.over_time_names(),
        )?),
        None => None,
    };
    if let (Some(r), None) = (&raw.replay, &explore)
        && let Some(steps) = &r.get_ref().steps
    {
        return Err(cx.err(
            steps.span(),
            "replay steps are an explored path; expected an [explore] table with the budgets they were found under",
        ));
    }
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
        topology,
        link_overrides,
        workload,
        groups,
        faults,
        nemesis,
        checks,
        expect,
        replay,
        explore,
        tour,
    };
    // The algorithm validates its own parameters when it builds a world;
    // building one now makes a bad parameter a load-time error.
    scenario.build(scenario.seed, TraceMode::Fingerprint)?;
    Ok(scenario)
}

/// Servers and clients together must not pass [`MAX_NODES`]; the error
/// points at whichever count goes over it.
fn node_count(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    servers: u32,
    clients: u32,
    setup: Option<&setup::ClientSetup>,
) -> Result<(), ScenarioError> {
    let total = u64::from(servers) + u64::from(clients);
    if total <= u64::from(MAX_NODES) {
        return Ok(());
    }
    let why = format!(
        "expected at most {MAX_NODES} nodes, servers and clients together (the network keeps state for every pair of nodes)"
    );
    // The count of the largest group is what to lower.
    let clients_span = setup.and_then(|s| {
        s.groups
            .iter()
            .map(|g| g.count)
            .zip(&s.spans)
            .max_by_key(|(count, _)| *count)
            .map(|(_, spans)| spans.count.clone())
            .or_else(|| s.spans.first().map(|spans| spans.count.clone()))
    });
    if let Some(s) = &raw.servers
        && (servers > MAX_NODES || clients_span.is_none())
    {
        return Err(cx.err(s.span(), format!("found {servers} servers; {why}")));
    }
    // Without `servers` the count is the default, far below the bound, so
    // the clients are what goes over it.
    let span = clients_span.unwrap_or(0..0);
    Err(cx.err(
        span,
        format!("found {clients} clients beside {servers} servers, {total} nodes; {why}"),
    ))
}

/// The operations the clients are expected to make must fit
/// [`MAX_EXPECTED_OPERATIONS`]: each client makes at most `max_ops`, and
/// about `duration × rate` (it thinks `1 / rate` on average between
/// operations, and waits for each answer besides).
fn expected_operations(
    cx: &Ctx<'_>,
    setup: &setup::ClientSetup,
    duration: Duration,
) -> Result<(), ScenarioError> {
    let single = [ClientGroup {
        count: setup.total,
        pacing: setup.workload.clone(),
        pin: None,
    }];
    let groups = if setup.groups.is_empty() {
        &single[..]
    } else {
        &setup.groups[..]
    };
    let expected_of = |g: &ClientGroup| {
        let think = g.pacing.think_time.as_nanos().max(1);
        let by_rate = duration.as_nanos() / think;
        let per_client = match g.pacing.max_ops_per_client {
            Some(max) => by_rate.min(u128::from(max)),
            None => by_rate,
        };
        per_client.saturating_mul(u128::from(g.count))
    };
    let expected: u128 = groups.iter().map(expected_of).sum();
    if expected <= u128::from(MAX_EXPECTED_OPERATIONS) {
        return Ok(());
    }
    // Point at the group that asks for the most.
    let (i, g) = groups
        .iter()
        .enumerate()
        .max_by_key(|(_, g)| expected_of(g))
        .expect("at least one group");
    let spans = setup.spans[i].clone();
    let span = spans.rate.unwrap_or(spans.count);
    let which = if groups.len() > 1 {
        format!(" (client group {} asks for the most)", i + 1)
    } else {
        String::new()
    };
    Err(cx.err(
        span,
        format!(
            "{} clients would make about {expected} operations in {}{which} at a mean think time of {}; \
             expected at most {MAX_EXPECTED_OPERATIONS} in one run (the history keeps every operation): \
             lower count or rate, set max_ops, or shorten the run",
            setup.total,
            format_duration(duration),
            format_duration(g.pacing.think_time)
        ),
    ))
}

fn checks(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    info: &AlgorithmInfo,
    nodes: &Nodes,
    schedule: &over_time::Schedule<'_>,
) -> Result<Checks, ScenarioError> {
    let (clients, faults, nemesis, end) = (
        nodes.clients,
        schedule.faults,
        schedule.nemesis,
        schedule.end,
    );
    let Some(c) = &raw.checks else {
        return Ok(Checks {
            invariants: None,
            stride: 1,
            linearizability: false,
            liveness: None,
            linearizability_steps: LINEARIZABILITY_STEPS,
            durability: false,
            sessions: Vec::new(),
            stale_reads: None,
            over_time: Vec::new(),
        });
    };
    let invariants = match &c.invariants {
        Some(list) => {
            let mut names = Vec::new();
            for name in list {
                if !info.invariants.iter().any(|i| &i.name == name.get_ref()) {
                    let known: Vec<&str> =
                        info.invariants.iter().map(|i| i.name.as_str()).collect();
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
            // An operation is judged when it was invoked after the last
            // fault and its bound ends by the end of the run; a bound past
            // the end could judge nothing.
            if last + bound > end {
                return Err(cx.err(
                    l.span(),
                    format!(
                        "the liveness bound {} leaves no operation to judge: the last fault can be at {last} and the run ends at {end}; \
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
    let linearizability_steps = match &c.linearizability_steps {
        Some(s) if !linearizability => {
            return Err(cx.err(
                s.span(),
                "a search budget without the search; expected `linearizability = true` beside it",
            ));
        }
        Some(s) if *s.get_ref() == 0 || *s.get_ref() > MAX_LINEARIZABILITY_STEPS => {
            return Err(cx.err(
                s.span(),
                format!(
                    "found {} search steps; expected 1 to {MAX_LINEARIZABILITY_STEPS} (a step is a few microseconds: the bound keeps one run's check within minutes)",
                    s.get_ref()
                ),
            ));
        }
        Some(s) => *s.get_ref(),
        None => LINEARIZABILITY_STEPS,
    };
    let (durability, sessions, stale_reads) = weak_checks(cx, c, info, clients)?;
    let mut over_time: Vec<faultline_sim::TimeCheck> = Vec::new();
    for d in &c.during {
        let check = over_time::during(cx, d, info, nodes, schedule)?;
        let taken = check.name == over_time::DID_NOT_EXERCISE
            || over_time.iter().any(|c| c.name == check.name);
        if taken {
            let span = d.get_ref().name.span();
            return Err(cx.err(
                span,
                format!("another check is already named `{}`; expected a name of its own (it becomes the run's outcome)", check.name),
            ));
        }
        over_time.push(check);
    }
    for h in &c.happens {
        let check = over_time::happens(cx, h, info, schedule)?;
        let clash = over_time.iter().any(|c| {
            c.name == check.name
                && matches!(
                    c.requirement,
                    faultline_sim::monitor::Requirement::Holds { .. }
                )
        });
        if clash {
            let span = h.get_ref().name.as_ref().map_or(h.span(), |n| n.span());
            return Err(cx.err(
                span,
                format!(
                    "a [[checks.during]] is already named `{}`; expected a name of its own",
                    check.name
                ),
            ));
        }
        over_time.push(check);
    }
    Ok(Checks {
        invariants,
        stride: c.stride.unwrap_or(1),
        linearizability,
        liveness,
        linearizability_steps,
        durability,
        sessions,
        stale_reads,
        over_time,
    })
}

/// The outcomes of the weak checks, named like their `[checks]` keys.
pub(crate) const WEAK_OUTCOMES: [&str; 3] = ["durability", "sessions", "stale_reads"];

/// `durability`, `sessions` and `stale_reads`: the checkers of
/// [`faultline_checker::weak`], for key-value histories only.
fn weak_checks(
    cx: &Ctx<'_>,
    c: &RawChecks,
    info: &AlgorithmInfo,
    clients: u32,
) -> Result<(bool, Vec<Guarantee>, Option<StaleBound>), ScenarioError> {
    let applies = |key: &str, span: Range<usize>| -> Result<(), ScenarioError> {
        if info.family.name != "kv" {
            return Err(cx.err(
                span,
                format!(
                    "{key} judges key-value histories, but {}'s clients use the `{}` family; expected an algorithm of the kv family",
                    info.name, info.family.name
                ),
            ));
        }
        if clients == 0 {
            return Err(cx.err(
                span,
                format!("{key} checks the clients' history, but this scenario has no clients; expected a [clients] section"),
            ));
        }
        Ok(())
    };
    let durability = match &c.durability {
        Some(d) if *d.get_ref() => {
            applies("durability", d.span())?;
            true
        }
        _ => false,
    };
    let sessions = match &c.sessions {
        None => Vec::new(),
        Some(s) => {
            let list = match s.get_ref() {
                RawSessions::All(false) => Vec::new(),
                RawSessions::All(true) => Guarantee::ALL.to_vec(),
                RawSessions::Some(names) => {
                    if names.is_empty() {
                        return Err(cx.err(
                            s.span(),
                            "an empty list of session guarantees; expected some of read-your-writes, monotonic-reads, writes-follow-reads, monotonic-writes (or `sessions = true` for all)",
                        ));
                    }
                    let mut list = Vec::new();
                    for name in names {
                        let g = Guarantee::from_name(name.get_ref()).ok_or_else(|| {
                            cx.err(
                                name.span(),
                                format!(
                                    "unknown session guarantee `{}`; expected one of: read-your-writes, monotonic-reads, writes-follow-reads, monotonic-writes",
                                    name.get_ref()
                                ),
                            )
                        })?;
                        if !list.contains(&g) {
                            list.push(g);
                        }
                    }
                    list
                }
            };
            if !list.is_empty() {
                applies("sessions", s.span())?;
            }
            list
        }
    };
    let stale_reads = match &c.stale_reads {
        None => None,
        Some(s) => {
            let bound = match s.get_ref() {
                RawStale::Flag(false) => None,
                RawStale::Flag(true) => Some(StaleBound::default()),
                RawStale::Bounds(b) => Some(StaleBound {
                    max_versions: b.max_versions.as_ref().map_or(0, |m| *m.get_ref()),
                    max_age: match &b.max_age {
                        Some(age) if age.get_ref().0.is_zero() => {
                            return Err(cx.err(
                                age.span(),
                                "found a max_age of 0s; expected a duration above zero (leave it out to bound versions only)",
                            ));
                        }
                        Some(age) => Some(age.get_ref().0),
                        None => None,
                    },
                }),
            };
            if bound.is_some() {
                applies("stale_reads", s.span())?;
            }
            bound
        }
    };
    Ok((durability, sessions, stale_reads))
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
    match e.get_ref() {
        RawExpect::Outcome(name) => expected_outcome(cx, e.span(), name, info, checks),
        RawExpect::Share(share) => {
            let name = share.outcome.get_ref();
            if name == "pass" {
                return Err(cx.err(
                    share.outcome.span(),
                    "a share names a check that fails on some seeds; expected a check's name, not \"pass\"",
                ));
            }
            let Expectation::Failure(outcome) =
                expected_outcome(cx, share.outcome.span(), name, info, checks)?
            else {
                unreachable!("a name other than pass is a failure");
            };
            let at_least_basis_points = parse_percent(share.at_least.get_ref()).ok_or_else(|| {
                cx.err(
                    share.at_least.span(),
                    format!(
                        "found {:?}; expected a share of seeds like \"50%\" or \"12.5%\", above 0% and at most 100%",
                        share.at_least.get_ref()
                    ),
                )
            })?;
            Ok(Expectation::Share {
                outcome,
                at_least_basis_points,
            })
        }
    }
}

/// `"50%"` as 5000 hundredths of a percent; at most two decimals, above 0
/// and at most 100.
fn parse_percent(text: &str) -> Option<u32> {
    let number = text.strip_suffix('%')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, frac) = match number.split_once('.') {
        Some((whole, frac)) if digits(frac) => (whole, frac),
        Some(_) => return None,
        None => (number, ""),
    };
    if !digits(whole) || frac.len() > 2 || whole.len() > 3 {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    let points = whole * 100 + frac;
    (points > 0 && points <= 10_000).then_some(points)
}

fn expected_outcome(
    cx: &Ctx<'_>,
    span: Range<usize>,
    name: &str,
    info: &AlgorithmInfo,
    checks: &Checks,
) -> Result<Expectation, ScenarioError> {
    if name == "pass" {
        return Ok(Expectation::Pass);
    }
    let known_invariant = info.invariants.iter().any(|i| i.name == name);
    let checked = match &checks.invariants {
        Some(list) => list.iter().any(|n| n == name),
        None => known_invariant,
    };
    let ok = checked
        || checks.over_time_names().contains(&name)
        || KERNEL_INVARIANTS.contains(&name)
        || (name == "linearizability" && checks.linearizability)
        || (name == "liveness" && checks.liveness.is_some())
        || (name == "durability" && checks.durability)
        || (name == "sessions" && !checks.sessions.is_empty())
        || (name == "stale_reads" && checks.stale_reads.is_some());
    if ok {
        return Ok(Expectation::Failure(name.to_string()));
    }
    let why = if known_invariant {
        format!("invariant `{name}` is not among the invariants selected in [checks]")
    } else if name == "linearizability" {
        "expect = \"linearizability\" needs `linearizability = true` in [checks]".to_string()
    } else if name == "liveness" {
        "expect = \"liveness\" needs a `liveness` bound in [checks]".to_string()
    } else if WEAK_OUTCOMES.contains(&name) {
        format!("expect = \"{name}\" needs `{name}` in [checks]")
    } else {
        let mut names: Vec<&str> = vec!["pass"];
        names.extend(info.invariants.iter().map(|i| i.name.as_str()));
        names.extend(["linearizability", "liveness"]);
        names.extend(WEAK_OUTCOMES);
        names.extend(checks.over_time_names());
        format!(
            "unknown outcome `{name}`; expected one of: {}",
            names.join(", ")
        )
    };
    Err(cx.err(span, why))
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn percents_read_to_hundredths() {
        assert_eq!(parse_percent("50%"), Some(5000));
        assert_eq!(parse_percent("12.5%"), Some(1250));
        assert_eq!(parse_percent("0.25%"), Some(25));
        assert_eq!(parse_percent("100%"), Some(10_000));
        for bad in [
            "0%", "101%", "50", "-5%", "5.%", "1.234%", "%", "1e2%", " 5%",
        ] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }
}
