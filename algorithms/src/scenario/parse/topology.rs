//! `[topology]`: regions, racks and links between regions, checked against
//! the node count and compiled to per-pair link settings; and the faults
//! that name a region or a rack, translated into the kernel's partition and
//! reconnect faults.

use super::setup::{latency, probability};
use super::*;
use crate::scenario::raw::{RawRegionLink, RawTopology};
use faultline_sim::topology::{Place, PlaceKind, RegionLink, Topology};
use std::collections::BTreeMap;

/// The fault kinds that name a place, with the field that names it.
pub(crate) const PLACE_FAULT_KINDS: [(&str, &str); 6] = [
    ("cut_region", "region"),
    ("reconnect_region", "region"),
    ("isolate_rack", "rack"),
    ("reconnect_rack", "rack"),
    ("crash_rack", "rack"),
    ("restart_rack", "rack"),
];

/// A place's link settings: what is written, the rest from `[network]`.
fn settings(
    cx: &Ctx<'_>,
    base: &LinkConfig,
    lat: Option<&Spanned<RawLatency>>,
    loss: &Option<Spanned<f64>>,
    duplicate: &Option<Spanned<f64>>,
    reorder: &Option<Spanned<f64>>,
) -> Result<LinkConfig, ScenarioError> {
    let prob = |name, p: &Option<Spanned<f64>>, default: f64| match p {
        Some(p) => probability(cx, name, p),
        None => Ok(default),
    };
    Ok(LinkConfig {
        latency: match lat {
            Some(l) => latency(cx, l)?,
            None => base.latency.clone(),
        },
        loss: prob("loss", loss, base.loss)?,
        duplicate: prob("duplicate", duplicate, base.duplicate)?,
        reorder: prob("reorder", reorder, base.reorder)?,
    })
}

/// Reads `[topology]`; `base` is the `[network]` settings, which places
/// inherit what they do not set.
pub(super) fn topology(
    cx: &Ctx<'_>,
    raw: &Spanned<RawTopology>,
    base: &LinkConfig,
    servers: u32,
    clients: u32,
) -> Result<Topology, ScenarioError> {
    let t = raw.get_ref();
    let mut places: Vec<Place> = Vec::new();
    let mut spans: Vec<Range<usize>> = Vec::new();
    let total = (servers + clients) as usize;
    // The innermost place of each server, and where it was written.
    let mut placed: Vec<Option<(usize, Range<usize>)>> = vec![None; servers as usize];
    let name = |places: &Vec<Place>, n: &Spanned<String>| -> Result<String, ScenarioError> {
        let s = n.get_ref().trim();
        if s.is_empty() {
            return Err(cx.err(
                n.span(),
                "found an empty name; expected a region or rack name",
            ));
        }
        if let Some(p) = places.iter().find(|p| p.name == s) {
            let what = match p.kind {
                PlaceKind::Region => "region",
                PlaceKind::Rack => "rack",
            };
            return Err(cx.err(
                n.span(),
                format!(
                    "the name `{s}` is already a {what}; expected every region and rack named once"
                ),
            ));
        }
        Ok(s.to_string())
    };
    let mut place_nodes = |place: usize,
                           places: &Vec<Place>,
                           list: &[Spanned<crate::scenario::raw::NodeRef>]|
     -> Result<(), ScenarioError> {
        for n in list {
            let id = n.get_ref().0;
            if id >= servers + clients {
                return Err(cx.err(
                    n.span(),
                    format!(
                        "node {id} does not exist: this scenario has servers n0..n{}",
                        servers - 1
                    ),
                ));
            }
            if id >= servers {
                return Err(cx.err(
                    n.span(),
                    format!(
                        "n{id} is a client; regions and racks list servers (n0..n{}), and the clients sit where `[topology] clients` says",
                        servers - 1
                    ),
                ));
            }
            if let Some((first, _)) = &placed[id as usize] {
                return Err(cx.err(
                    n.span(),
                    format!(
                        "n{id} is placed twice (it is already in `{}`); expected every server in exactly one place",
                        places[*first].name
                    ),
                ));
            }
            placed[id as usize] = Some((place, n.span()));
        }
        Ok(())
    };
    if t.regions.get_ref().is_empty() {
        return Err(cx.err(
            t.regions.span(),
            "found no regions; expected at least one [[topology.regions]] table",
        ));
    }
    for r in t.regions.get_ref() {
        let region = r.get_ref();
        let index = places.len();
        let region_name = name(&places, &region.name)?;
        places.push(Place {
            name: region_name,
            kind: PlaceKind::Region,
            region: index,
            inside: settings(
                cx,
                base,
                region.latency.as_ref(),
                &region.loss,
                &region.duplicate,
                &region.reorder,
            )?,
        });
        spans.push(region.name.span());
        match (&region.nodes, &region.racks) {
            (Some(nodes), None) => place_nodes(index, &places, nodes.get_ref())?,
            (None, Some(racks)) => {
                for rack in racks.get_ref() {
                    let k = rack.get_ref();
                    let at = places.len();
                    let rack_name = name(&places, &k.name)?;
                    // A rack inherits what it does not set from its region.
                    let inherited = places[index].inside.clone();
                    places.push(Place {
                        name: rack_name,
                        kind: PlaceKind::Rack,
                        region: index,
                        inside: settings(
                            cx,
                            &inherited,
                            k.latency.as_ref(),
                            &k.loss,
                            &k.duplicate,
                            &k.reorder,
                        )?,
                    });
                    spans.push(k.name.span());
                    place_nodes(at, &places, k.nodes.get_ref())?;
                }
            }
            (Some(nodes), Some(_)) => {
                return Err(cx.err(
                    nodes.span(),
                    "a region lists either its servers (`nodes`) or its racks (`racks`), not both",
                ));
            }
            (None, None) => {
                return Err(cx.err(
                    r.span(),
                    format!(
                        "region `{}` places no servers; expected `nodes = [...]` or `racks = [...]`",
                        places[index].name
                    ),
                ));
            }
        }
    }
    let missing: Vec<String> = placed
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_none())
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !missing.is_empty() {
        return Err(cx.err(
            t.regions.span(),
            format!(
                "{} not placed; expected every server (n0..n{}) in exactly one region or rack",
                if missing.len() == 1 {
                    format!("{} is", missing[0])
                } else {
                    format!("{} are", missing.join(", "))
                },
                servers - 1
            ),
        ));
    }
    let clients_at = match &t.clients {
        Some(c) => find_place(cx, &places, c, None)?,
        None => 0,
    };
    let mut placement: Vec<usize> = placed.into_iter().flatten().map(|(p, _)| p).collect();
    placement.resize(total, clients_at);

    let mut links: Vec<RegionLink> = Vec::new();
    let mut declared: BTreeMap<(usize, usize), Range<usize>> = BTreeMap::new();
    for l in &t.links {
        let link = region_link(cx, &places, base, l)?;
        let (a, b) = link.between;
        let key = (a.min(b), a.max(b));
        if declared.contains_key(&key) {
            return Err(cx.err(
                l.get_ref().between.span(),
                format!(
                    "the link between `{}` and `{}` is declared twice; expected one link per pair of regions",
                    places[a].name, places[b].name
                ),
            ));
        }
        declared.insert(key, l.span());
        links.push(link);
    }
    let topology = Topology {
        places,
        links,
        placement,
    };
    if let Err(e) = topology.links() {
        let at = topology
            .find(&e.to)
            .map_or(raw.span(), |i| spans[i].clone());
        return Err(cx.err(
            at,
            format!(
                "no path of [[topology.links]] joins region `{}` and region `{}`; expected every two regions joined, directly or through others, since their nodes talk",
                e.from, e.to
            ),
        ));
    }
    Ok(topology)
}

/// The place `name` names; `kind`: the kind it must be, if any.
fn find_place(
    cx: &Ctx<'_>,
    places: &[Place],
    name: &Spanned<String>,
    kind: Option<PlaceKind>,
) -> Result<usize, ScenarioError> {
    let s = name.get_ref().as_str();
    let list = |k: PlaceKind| -> String {
        let names: Vec<&str> = places
            .iter()
            .filter(|p| p.kind == k)
            .map(|p| p.name.as_str())
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    let known = match kind {
        Some(PlaceKind::Region) => format!("the regions are: {}", list(PlaceKind::Region)),
        Some(PlaceKind::Rack) => format!("the racks are: {}", list(PlaceKind::Rack)),
        None => format!(
            "the regions are: {}; the racks: {}",
            list(PlaceKind::Region),
            list(PlaceKind::Rack)
        ),
    };
    match places.iter().position(|p| p.name == s) {
        Some(i) if kind.is_none_or(|k| k == places[i].kind) => Ok(i),
        Some(i) => {
            let (is, want) = match places[i].kind {
                PlaceKind::Region => ("a region", "a rack"),
                PlaceKind::Rack => ("a rack", "a region"),
            };
            Err(cx.err(
                name.span(),
                format!("`{s}` is {is}; expected {want} ({known})"),
            ))
        }
        None => Err(cx.err(name.span(), format!("unknown place `{s}`; {known}"))),
    }
}

fn region_link(
    cx: &Ctx<'_>,
    places: &[Place],
    base: &LinkConfig,
    l: &Spanned<RawRegionLink>,
) -> Result<RegionLink, ScenarioError> {
    let r = l.get_ref();
    let between = r.between.get_ref();
    if between.len() != 2 {
        return Err(cx.err(
            r.between.span(),
            format!(
                "found {} names; expected two regions, like between = [\"us\", \"eu\"]",
                between.len()
            ),
        ));
    }
    let a = find_place(cx, places, &between[0], Some(PlaceKind::Region))?;
    let b = find_place(cx, places, &between[1], Some(PlaceKind::Region))?;
    if a == b {
        return Err(cx.err(
            r.between.span(),
            format!(
                "a link joins two different regions; the links inside `{}` are set by its own latency, loss, duplicate and reorder",
                places[a].name
            ),
        ));
    }
    let link = settings(
        cx,
        base,
        Some(&r.latency),
        &r.loss,
        &r.duplicate,
        &r.reorder,
    )?;
    Ok(RegionLink {
        between: (a, b),
        link,
    })
}

/// A fault naming a region or a rack, as kernel faults: `cut_region` and
/// `isolate_rack` are a partition of the place's nodes against every other
/// node; `reconnect_region` and `reconnect_rack` a `reconnect` of each of
/// the place's nodes, in id order; `crash_rack` and `restart_rack` a
/// `crash` or `restart` of each of the rack's servers, in id order. `None`
/// when `f` is another kind.
pub(super) fn place_fault(
    cx: &Ctx<'_>,
    f: &Spanned<RawFault>,
    topology: Option<&Topology>,
    servers: u32,
    end: SimTime,
) -> Result<Option<Vec<ScheduledFault>>, ScenarioError> {
    let r = f.get_ref();
    let kind = r.kind.get_ref().as_str();
    let Some(&(_, field)) = PLACE_FAULT_KINDS.iter().find(|(k, _)| *k == kind) else {
        return Ok(None);
    };
    let takes = format!("it takes: at, after_event, {field}");
    let present = r.fields();
    for (name, span) in present {
        if let Some(span) = span
            && name != field
        {
            return Err(cx.err(
                span,
                format!("`{name}` does not apply to a `{kind}` fault; {takes}"),
            ));
        }
    }
    let Some(topology) = topology else {
        return Err(cx.err(
            r.kind.span(),
            format!("a `{kind}` fault names a {field}, but this scenario has no [topology]; expected a [topology] table with its regions"),
        ));
    };
    let named = match field {
        "region" => r.region.as_ref(),
        _ => r.rack.as_ref(),
    };
    let Some(named) = named else {
        return Err(cx.err(
            r.kind.span(),
            format!("a `{kind}` fault needs `{field}`; {takes}"),
        ));
    };
    let want = if field == "region" {
        PlaceKind::Region
    } else {
        PlaceKind::Rack
    };
    let place = find_place(cx, &topology.places, named, Some(want))?;
    let at = super::faults::fault_time(cx, r, end)?;
    let after_event = r.after_event.as_ref().map(|a| *a.get_ref());
    let scheduled = |fault| ScheduledFault {
        at,
        after_event,
        fault,
    };
    let groups = topology.cut_groups(place);
    // One kernel fault per node of the place; a rack's clients, if
    // `clients` puts them there, are neither crashed nor restarted.
    type PerNode = fn(NodeId) -> Fault;
    let (each, only_servers): (Option<PerNode>, bool) = match kind {
        "reconnect_region" | "reconnect_rack" => (Some(|node| Fault::Reconnect { node }), false),
        "crash_rack" => (Some(|node| Fault::Crash { node }), true),
        "restart_rack" => (Some(|node| Fault::Restart { node }), true),
        _ => (None, false),
    };
    if let Some(each) = each {
        let list: Vec<ScheduledFault> = groups[0]
            .iter()
            .filter(|n| !only_servers || n.0 < servers)
            .map(|&n| scheduled(each(n)))
            .collect();
        if list.is_empty() {
            return Err(cx.err(
                named.span(),
                format!(
                    "`{}` holds no {}; expected a place with some",
                    named.get_ref(),
                    if only_servers { "server" } else { "node" }
                ),
            ));
        }
        return Ok(Some(list));
    }
    if groups.iter().any(|g| g.is_empty()) {
        return Err(cx.err(
            named.span(),
            format!(
                "cutting `{}` off separates nothing: {}; expected a place with nodes, and nodes outside it",
                named.get_ref(),
                if groups[0].is_empty() {
                    "it holds no node"
                } else {
                    "every node is in it"
                }
            ),
        ));
    }
    Ok(Some(vec![scheduled(Fault::Partition { groups })]))
}
