//! The `[explore]` table: the search `faultline explore` runs and the
//! adversary's budgets, checked against the rest of the file (an explored
//! file has no timed faults, nemesis, network settings or checks over
//! time: the adversary decides all of that).

use super::Ctx;
use crate::scenario::ScenarioError;
use crate::scenario::raw::{RawExplore, RawScenario};
use faultline_sim::Budgets;
use faultline_sim::explore::Strategy;
use toml::Spanned;

/// The deepest path a search may be asked to take.
pub const MAX_DEPTH: u32 = 10_000;
/// The most client operations an explored file may budget.
pub const MAX_OPERATIONS: u32 = 64;

/// A validated `[explore]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExploreSpec {
    /// Breadth-first (default), depth-first or random walks.
    pub strategy: Strategy,
    /// Steps on a path after the nodes' starts (default 30).
    pub max_depth: u32,
    /// Distinct states before the search stops, not exhaustive (default
    /// 1,000,000).
    pub max_states: u64,
    /// Random walks (strategies `random` and `swarm` only; default 10,000).
    pub walks: u64,
    /// What the adversary may do on one path.
    pub budgets: Budgets,
}

/// Default depth bound.
pub const DEFAULT_DEPTH: u32 = 30;
/// Default state bound.
pub const DEFAULT_STATES: u64 = 1_000_000;
/// Default number of random walks.
pub const DEFAULT_WALKS: u64 = 10_000;

pub(super) fn explore(
    cx: &Ctx<'_>,
    raw: &RawScenario,
    clients: u32,
) -> Result<Option<ExploreSpec>, ScenarioError> {
    let Some(table) = &raw.explore else {
        return Ok(None);
    };
    let span = table.span();
    let e: &RawExplore = table.get_ref();
    let refuse = |what: &str, why: &str| {
        Err(cx.err(
            span.clone(),
            format!("an explored file has no {what}: {why}; remove it, or remove [explore] for a seeded run"),
        ))
    };
    if let Some(f) = raw.faults.first() {
        return Err(cx.err(
            f.span(),
            "an explored file has no [[faults]]: the adversary chooses crashes, restarts, partitions, drops and duplicates within the budgets of [explore]",
        ));
    }
    if let Some(n) = &raw.nemesis {
        return Err(cx.err(
            n.span(),
            "an explored file has no [nemesis]: the adversary chooses the faults within the budgets of [explore]",
        ));
    }
    if raw.network.is_some() {
        return refuse(
            "[network] table",
            "the adversary delivers messages in any order and loses or duplicates them within its budgets, so latency, loss and duplication settings do not apply",
        );
    }
    if let Some(c) = &raw.checks {
        if let Some(l) = &c.liveness {
            return Err(cx.err(
                l.span(),
                "exploration checks safety only: an adversary can always delay a step forever, so `liveness` does not apply to [explore]",
            ));
        }
        if let Some(d) = c.during.first() {
            return Err(cx.err(d.span(), "checks over time do not apply to [explore]: time under an adversary moves only when a timer fires"));
        }
        if let Some(h) = c.happens.first() {
            return Err(cx.err(h.span(), "coverage requirements do not apply to [explore]: a search covers every order of steps instead"));
        }
        let weak = [
            c.durability.as_ref().map(|d| d.span()),
            c.sessions.as_ref().map(|s| s.span()),
            c.stale_reads.as_ref().map(|s| s.span()),
        ];
        if let Some(w) = weak.into_iter().flatten().next() {
            return Err(cx.err(
                w,
                "the weak history checks do not run during exploration; [explore] checks the invariants and, when asked, linearizability",
            ));
        }
    }
    let strategy = match &e.strategy {
        None => Strategy::Bfs,
        Some(s) => Strategy::from_name(s.get_ref()).ok_or_else(|| {
            let names: Vec<String> = Strategy::ALL
                .iter()
                .map(|s| format!("{:?}", s.name()))
                .collect();
            let (last, rest) = names.split_last().expect("there are strategies");
            cx.err(
                s.span(),
                format!(
                    "unknown strategy {:?}; expected {} or {last}",
                    s.get_ref(),
                    rest.join(", ")
                ),
            )
        })?,
    };
    let positive = |v: &Option<Spanned<u64>>, key: &str, default: u64, max: u64| match v {
        None => Ok(default),
        Some(v) if *v.get_ref() == 0 || *v.get_ref() > max => Err(cx.err(
            v.span(),
            format!("found {key} = {}, expected 1 to {max}", v.get_ref()),
        )),
        Some(v) => Ok(*v.get_ref()),
    };
    let depth = e
        .max_depth
        .as_ref()
        .map(|d| Spanned::new(d.span(), u64::from(*d.get_ref())));
    let max_depth = positive(&depth, "max_depth", DEFAULT_DEPTH.into(), MAX_DEPTH.into())? as u32;
    let max_states = positive(&e.max_states, "max_states", DEFAULT_STATES, u64::MAX)?;
    if let Some(w) = &e.walks
        && !strategy.walks()
    {
        return Err(cx.err(
            w.span(),
            "`walks` is read only by strategy = \"random\" or \"swarm\"; remove it or set the strategy",
        ));
    }
    let walks = positive(&e.walks, "walks", DEFAULT_WALKS, u64::MAX)?;
    let operations = match &e.operations {
        None => clients,
        Some(o) if *o.get_ref() > MAX_OPERATIONS => {
            return Err(cx.err(
                o.span(),
                format!(
                    "found operations = {}, expected at most {MAX_OPERATIONS}: each operation multiplies the states to explore",
                    o.get_ref()
                ),
            ));
        }
        Some(o) if *o.get_ref() > 0 && clients == 0 => {
            return Err(cx.err(
                o.span(),
                "operations need clients; add a [clients] table or set operations = 0",
            ));
        }
        Some(o) => *o.get_ref(),
    };
    Ok(Some(ExploreSpec {
        strategy,
        max_depth,
        max_states,
        walks,
        budgets: Budgets {
            operations,
            crashes: e.crashes.unwrap_or(0),
            restarts: e.restarts.unwrap_or(0),
            partitions: e.partitions.unwrap_or(0),
            drops: e.drops.unwrap_or(0),
            duplicates: e.duplicates.unwrap_or(0),
        },
    }))
}
