//! The run's setting: the network section (probabilities, latency
//! distributions) and the clients section (count, rate, and which fields
//! the algorithm's operation family allows).

use super::*;

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

pub(super) fn client_section(
    cx: &Ctx<'_>,
    c: &Spanned<RawClients>,
    info: &AlgorithmInfo,
) -> Result<(u32, WorkloadConfig), ScenarioError> {
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
    let c = c.get_ref();
    let d = WorkloadConfig::default();
    let workload = WorkloadConfig {
        think_time: c.rate.as_ref().map_or(d.think_time, |r| r.get_ref().0),
        max_ops_per_client: c.max_ops,
    };
    Ok((c.count.get_ref().0, workload))
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
    let DeValue::Table(fields) = clients.get_ref() else {
        return Ok(());
    };
    let family = &info.family;
    for (key, _) in fields.iter() {
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
