//! The run's setting: the network section (probabilities, latency
//! distributions) and the clients section (count, rate, and which fields
//! the algorithm's operation family allows).

use super::*;
use crate::scenario::raw::Target;

pub(super) fn probability(
    cx: &Ctx<'_>,
    name: &str,
    p: &Spanned<f64>,
) -> Result<f64, ScenarioError> {
    check_probability(name, *p.get_ref()).map_err(|e| cx.err(p.span(), e))?;
    Ok(*p.get_ref())
}

pub(super) fn network(cx: &Ctx<'_>, net: &RawNetwork) -> Result<LinkConfig, ScenarioError> {
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

pub(super) const DISTS: &str = "constant (value), uniform (min, max), normal (mean, std_dev, optional min), \
                     exponential (mean, optional min), long_tail (min, alpha, max)";

pub(super) fn latency(cx: &Ctx<'_>, l: &Spanned<RawLatency>) -> Result<LatencyDist, ScenarioError> {
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
    let need = |name: &str, v: &Option<Spanned<crate::scenario::raw::Dur>>| {
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
    let opt = |v: &Option<Spanned<crate::scenario::raw::Dur>>| {
        v.as_ref().map_or(Duration::ZERO, |v| v.get_ref().0)
    };
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

/// The clients as the parser found them: how many in all, the pacing of the
/// first (or only) group, and the groups the kernel needs to know of (none
/// for a single unpinned `[clients]` table, which keeps such runs exactly as
/// they were before groups existed).
pub(super) struct ClientSetup {
    pub(super) total: u32,
    pub(super) workload: WorkloadConfig,
    pub(super) groups: Vec<ClientGroup>,
    /// Where each group's count and rate are written.
    pub(super) spans: Vec<GroupSpans>,
}

/// Where a group's `count` and `rate` are, for errors about its size.
#[derive(Clone)]
pub(super) struct GroupSpans {
    pub(super) count: Range<usize>,
    pub(super) rate: Option<Range<usize>>,
}

pub(super) fn client_section(
    cx: &Ctx<'_>,
    c: &Spanned<RawClientsSection>,
    info: &AlgorithmInfo,
    servers: u32,
    roles: &[&'static str],
) -> Result<ClientSetup, ScenarioError> {
    let family = &info.family;
    if !family.has_operations() {
        return Err(cx.err(
            c.span(),
            format!(
                "{} has no client operations (its operation family is `{}`); expected no [clients] section",
                info.name, family.name
            ),
        ));
    }
    check_client_fields(cx, info)?;
    let several = matches!(c.get_ref(), RawClientsSection::Groups(_));
    let raw_groups = c.get_ref().groups(c.span());
    if raw_groups.is_empty() {
        return Err(cx.err(
            c.span(),
            "found an empty list of client groups; expected at least one [[clients]] table",
        ));
    }
    let d = WorkloadConfig::default();
    let mut groups = Vec::with_capacity(raw_groups.len());
    let mut spans = Vec::with_capacity(raw_groups.len());
    let mut total: u64 = 0;
    for (i, (_, g)) in raw_groups.into_iter().enumerate() {
        let count = g.count.get_ref().0;
        if several && count == 0 {
            return Err(cx.err(
                g.count.span(),
                format!(
                    "client group {}: found count = 0; expected at least 1 client (leave the group out instead)",
                    i + 1
                ),
            ));
        }
        let pin = match &g.pin {
            Some(p) => Some(pin(cx, p, servers, info, roles)?),
            None => None,
        };
        total += u64::from(count);
        groups.push(ClientGroup {
            count,
            pacing: WorkloadConfig {
                think_time: g.rate.as_ref().map_or(d.think_time, |r| r.get_ref().0),
                max_ops_per_client: g.max_ops,
            },
            pin,
        });
        spans.push(GroupSpans {
            count: g.count.span(),
            rate: g.rate.as_ref().map(|r| r.span()),
        });
    }
    let workload = groups[0].pacing.clone();
    if !several && groups[0].pin.is_none() {
        groups.clear();
    }
    Ok(ClientSetup {
        total: u32::try_from(total).unwrap_or(u32::MAX),
        workload,
        groups,
        spans,
    })
}

/// A group's `pin`: a server, or a role the algorithm publishes.
fn pin(
    cx: &Ctx<'_>,
    p: &Spanned<Target>,
    servers: u32,
    info: &AlgorithmInfo,
    roles: &[&'static str],
) -> Result<Pin, ScenarioError> {
    if !info.clients_pin {
        return Err(cx.err(
            p.span(),
            format!(
                "{}'s clients choose their servers themselves and cannot be pinned; expected no `pin`",
                info.name
            ),
        ));
    }
    let servers_are = format!("n0..n{}", servers - 1);
    let roles_are = if roles.is_empty() {
        format!("{} publishes no roles", info.name)
    } else {
        format!("{} publishes the roles {}", info.name, roles.join(", "))
    };
    match p.get_ref() {
        Target::Node(n) if n.0 < servers => Ok(Pin::Node(NodeId(n.0))),
        Target::Node(n) => Err(cx.err(
            p.span(),
            format!(
                "found pin = n{}, which is not a server; expected a server ({servers_are}) or a role ({roles_are})",
                n.0
            ),
        )),
        Target::Role(r) if roles.contains(&r.as_str()) => Ok(Pin::Role(r.clone())),
        Target::Role(r) => Err(cx.err(
            p.span(),
            format!("found pin = \"{r}\"; expected a server ({servers_are}) or a role ({roles_are})"),
        )),
    }
}

/// Refuses a `[clients]` field that is neither shared by every family nor
/// one of the algorithm's family, naming the family it belongs to if any.
fn check_client_fields(cx: &Ctx<'_>, info: &AlgorithmInfo) -> Result<(), ScenarioError> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(cx.text) else {
        return Ok(());
    };
    let Some((_, clients)) = root
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "clients")
    else {
        return Ok(());
    };
    let tables: Vec<&toml::de::DeTable<'_>> = match clients.get_ref() {
        DeValue::Table(fields) => vec![fields],
        DeValue::Array(groups) => groups
            .iter()
            .filter_map(|g| match g.get_ref() {
                DeValue::Table(fields) => Some(fields),
                _ => None,
            })
            .collect(),
        _ => return Ok(()),
    };
    let family = &info.family;
    for (key, _) in tables.iter().flat_map(|t| t.iter()) {
        let name = key.get_ref().as_ref();
        if family.has_field(name) {
            continue;
        }
        let expected: Vec<String> = family
            .field_names()
            .iter()
            .map(|f| format!("`{f}`"))
            .collect();
        let owner = families()
            .into_iter()
            .find(|f| f.fields.iter().any(|p| p.name == name));
        let message = match owner {
            Some(owner) => format!(
                "`{name}` belongs to the {} operation family ({}), but {}'s clients use the {} family ({}); expected one of {}",
                owner.name,
                owner.operations,
                info.name,
                family.name,
                family.operations,
                expected.join(", ")
            ),
            None => format!(
                "unknown field `{name}`, expected one of {}",
                expected.join(", ")
            ),
        };
        return Err(cx.err(key.span(), message));
    }
    Ok(())
}
