//! The simulated network: directed links, each with a latency
//! distribution, loss, duplication and reordering, and a cut flag for
//! partitions.
//!
//! Links are directed, so a one-way partition is one flag. Every pair of
//! nodes (clients included) has a link both ways; settings are stored once
//! for all links plus an override per link that differs ([`Network`]). Delivery is FIFO per link
//! unless the link's `reorder` draw lets a message overtake the ones ahead of
//! it. Partitions accumulate until healed; nodes that a partition does not
//! name keep their links.

use crate::NodeId;
use crate::rng::SimRng;
use crate::time::{SimTime, duration_str};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeFiltered;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// How long a message takes on a link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum LatencyDist {
    /// Always the same.
    Constant {
        /// The latency.
        #[serde(with = "duration_str")]
        value: Duration,
    },
    /// Uniform in `[min, max]`.
    Uniform {
        /// Smallest latency.
        #[serde(with = "duration_str")]
        min: Duration,
        /// Largest latency.
        #[serde(with = "duration_str")]
        max: Duration,
    },
    /// Normal, truncated below at `min`.
    Normal {
        /// Mean latency.
        #[serde(with = "duration_str")]
        mean: Duration,
        /// Standard deviation.
        #[serde(with = "duration_str")]
        std_dev: Duration,
        /// Floor (draws below are raised to it).
        #[serde(with = "duration_str", default)]
        min: Duration,
    },
    /// `min` plus an exponential with mean `mean`.
    Exponential {
        /// Mean of the exponential part.
        #[serde(with = "duration_str")]
        mean: Duration,
        /// Fixed part added to every draw.
        #[serde(with = "duration_str", default)]
        min: Duration,
    },
    /// Pareto with scale `min` and shape `alpha`, capped at `max`: mostly near
    /// `min`, occasionally very slow.
    LongTail {
        /// Scale: the smallest latency.
        #[serde(with = "duration_str")]
        min: Duration,
        /// Shape: smaller is heavier (1.1 to 3 are typical).
        alpha: f64,
        /// Cap on a draw.
        #[serde(with = "duration_str")]
        max: Duration,
    },
    /// The sum of one draw from each part: the latency of a path over
    /// several edges of a [topology](crate::topology), each drawn anew for
    /// every message.
    Sum {
        /// One distribution per edge, in path order.
        parts: Vec<LatencyDist>,
    },
}

impl Default for LatencyDist {
    fn default() -> Self {
        LatencyDist::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(5),
        }
    }
}

impl LatencyDist {
    /// One latency draw.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> Duration {
        Duration::from_nanos(self.sample_nanos(rng))
    }

    /// One latency draw in nanoseconds (the kernel's hot path).
    #[inline]
    pub fn sample_nanos(&self, rng: &mut SimRng) -> u64 {
        #[inline(always)]
        fn ns(d: Duration) -> u64 {
            d.as_secs()
                .wrapping_mul(1_000_000_000)
                .wrapping_add(d.subsec_nanos() as u64)
        }
        match self {
            LatencyDist::Constant { value } => ns(*value),
            LatencyDist::Uniform { min, max } => {
                let (lo, hi) = (ns(*min), ns(*max));
                rng.between(lo.min(hi), hi.max(lo))
            }
            other => ns(other.sample_slow(rng)),
        }
    }

    fn sample_slow(&self, rng: &mut SimRng) -> Duration {
        match *self {
            LatencyDist::Constant { value } => value,
            LatencyDist::Uniform { min, max } => rng.duration_between(min, max),
            LatencyDist::Normal { mean, std_dev, min } => {
                let x = mean.as_nanos() as f64 + rng.standard_normal() * std_dev.as_nanos() as f64;
                Duration::from_nanos(x.max(min.as_nanos() as f64) as u64)
            }
            LatencyDist::Exponential { mean, min } => {
                min + Duration::from_nanos(rng.exponential(mean.as_nanos() as f64) as u64)
            }
            LatencyDist::LongTail { min, alpha, max } => {
                let x = rng.pareto(min.as_nanos() as f64, alpha);
                Duration::from_nanos(x.min(max.as_nanos() as f64) as u64)
            }
            LatencyDist::Sum { ref parts } => parts.iter().fold(Duration::ZERO, |total, p| {
                total.saturating_add(p.sample(rng))
            }),
        }
    }

    /// The distribution's mean in nanoseconds, rounded down: what a
    /// [topology](crate::topology) compares to choose a path. A normal's
    /// floor and a long tail's cap are left out unless the cap is below the
    /// uncapped mean (or the mean is infinite, `alpha <= 1`), when it is the
    /// cap.
    pub fn mean_nanos(&self) -> u64 {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        match self {
            LatencyDist::Constant { value } => ns(*value),
            LatencyDist::Uniform { min, max } => ns(*min) / 2 + ns(*max) / 2,
            LatencyDist::Normal { mean, .. } => ns(*mean),
            LatencyDist::Exponential { mean, min } => ns(*mean).saturating_add(ns(*min)),
            LatencyDist::LongTail { min, alpha, max } => {
                if *alpha <= 1.0 {
                    return ns(*max);
                }
                let mean = *alpha * ns(*min) as f64 / (*alpha - 1.0);
                (mean.min(ns(*max) as f64)) as u64
            }
            LatencyDist::Sum { parts } => parts
                .iter()
                .fold(0u64, |total, p| total.saturating_add(p.mean_nanos())),
        }
    }

    /// Checks the parameters; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            LatencyDist::Uniform { min, max } if min > max => {
                Err(format!("uniform latency has min {min:?} above max {max:?}"))
            }
            LatencyDist::LongTail { alpha, .. } if !(alpha > 0.0 && alpha.is_finite()) => Err(
                format!("long_tail alpha must be a positive number, found {alpha}"),
            ),
            LatencyDist::LongTail { min, max, .. } if min > max => Err(format!(
                "long_tail latency has min {min:?} above max {max:?}"
            )),
            LatencyDist::LongTail { min, .. } if min.is_zero() => {
                Err("long_tail min must be above zero (it is the Pareto scale)".to_string())
            }
            LatencyDist::Sum { ref parts } => parts.iter().try_for_each(LatencyDist::validate),
            _ => Ok(()),
        }
    }
}

/// The settings of one directed link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkConfig {
    /// Latency distribution.
    pub latency: LatencyDist,
    /// Probability that a message is lost.
    pub loss: f64,
    /// Probability that a message is delivered twice.
    pub duplicate: f64,
    /// Probability that a message may overtake earlier ones on the link.
    pub reorder: f64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: LatencyDist::default(),
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
        }
    }
}

impl LinkConfig {
    /// Checks the parameters; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        self.latency.validate()?;
        for (name, p) in [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            check_probability(name, p)?;
        }
        Ok(())
    }
}

/// Checks that `p` is a probability.
pub fn check_probability(name: &str, p: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(format!(
            "{name} must be a probability between 0 and 1, found {p}"
        ))
    }
}

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// The link was cut by a partition, at send or while in flight.
    Partition,
    /// The link lost it (random loss).
    Loss,
    /// The receiver was down when it arrived.
    NodeDown,
    /// A fault dropped this very message.
    Injected,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Partition => "partition",
            DropReason::Loss => "loss",
            DropReason::NodeDown => "node down",
            DropReason::Injected => "injected drop",
        })
    }
}

/// What the network decided for one send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    /// Dropped at once.
    Dropped(DropReason),
    /// Arrives at the first time, and a duplicate at the second if any.
    Deliver(SimTime, Option<SimTime>),
}

/// The links between every pair of nodes, kept so that their cost is the
/// state that differs between pairs:
///
/// - **settings** (latency, loss, duplication, reordering): one
///   [`LinkConfig`] shared by every link, plus an override for each link a
///   `link` fault set apart. Most runs have no override at all.
/// - **the FIFO clamp**: the latest delivery time scheduled on each
///   directed link, one word per ordered pair, so that a message does not
///   overtake the ones ahead of it.
/// - **cuts**: one flag per ordered pair, with a count of the cut links so
///   that the common uncut case needs no lookup.
///
/// The two per-pair tables are what makes the network quadratic in the
/// node count: 9 bytes per ordered pair, about 9 MB at
/// [`MAX_NODES`](crate::limits::MAX_NODES).
#[derive(Clone, Debug)]
pub struct Network {
    nodes: usize,
    /// The settings of every link without an override.
    base: LinkConfig,
    /// Links whose settings differ from `base`, by (from, to).
    overrides: BTreeMap<(NodeId, NodeId), LinkConfig>,
    /// The latest delivery time scheduled on `a -> b`, at `a * n + b`.
    last_delivery: Vec<SimTime>,
    /// Whether `a -> b` is cut, at `a * n + b`.
    cut: Vec<bool>,
    /// Number of cut links, so the common uncut case needs no lookup.
    cut_links: usize,
}

impl Network {
    /// A full mesh of `nodes` nodes, every link with `config`.
    pub fn full_mesh(nodes: usize, config: &LinkConfig) -> Self {
        let pairs = nodes.checked_mul(nodes).expect("a bounded node count");
        Network {
            nodes,
            base: config.clone(),
            overrides: BTreeMap::new(),
            last_delivery: vec![SimTime::ZERO; pairs],
            cut: vec![false; pairs],
            cut_links: 0,
        }
    }

    /// A full mesh of `nodes` nodes, every link with `config` except the
    /// ones in `links`, which have settings of their own (a
    /// [topology](crate::topology)'s links). An override equal to `config`
    /// is left out, like the ones [`Network::change_links`] sets back.
    pub fn with_links(
        nodes: usize,
        config: &LinkConfig,
        links: &BTreeMap<(NodeId, NodeId), LinkConfig>,
    ) -> Self {
        let mut net = Network::full_mesh(nodes, config);
        net.overrides = links
            .iter()
            .filter(|((a, b), cfg)| a.index() < nodes && b.index() < nodes && *cfg != config)
            .map(|(k, cfg)| (*k, cfg.clone()))
            .collect();
        net
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes == 0
    }

    #[inline]
    fn pair(&self, from: NodeId, to: NodeId) -> usize {
        from.index() * self.nodes + to.index()
    }

    /// The settings of the link `from -> to`.
    #[inline]
    pub fn link_config(&self, from: NodeId, to: NodeId) -> &LinkConfig {
        if self.overrides.is_empty() {
            return &self.base;
        }
        self.overrides.get(&(from, to)).unwrap_or(&self.base)
    }

    /// The settings shared by every link without an override of its own.
    pub fn base_config(&self) -> &LinkConfig {
        &self.base
    }

    /// How many links have settings of their own.
    pub fn overridden_links(&self) -> usize {
        self.overrides.len()
    }

    /// Which links are cut, one flag per ordered pair `from * n + to`.
    pub fn cuts(&self) -> &[bool] {
        &self.cut
    }

    /// Whether `from -> to` is cut.
    #[inline]
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut[self.pair(from, to)]
    }

    /// Decides the fate of one message sent at `now`. Draws from `rng` only
    /// for the features the link has switched on.
    #[inline]
    pub fn transmit(
        &mut self,
        from: NodeId,
        to: NodeId,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Transit {
        let pair = self.pair(from, to);
        if self.cut[pair] && from != to {
            return Transit::Dropped(DropReason::Partition);
        }
        let cfg = if self.overrides.is_empty() {
            &self.base
        } else {
            self.overrides.get(&(from, to)).unwrap_or(&self.base)
        };
        if rng.chance(cfg.loss) {
            return Transit::Dropped(DropReason::Loss);
        }
        let overtakes = rng.chance(cfg.reorder);
        let last = &mut self.last_delivery[pair];
        let mut at = SimTime(now.0.saturating_add(cfg.latency.sample_nanos(rng)));
        if !overtakes {
            at = at.max(*last);
        }
        let duplicate = if rng.chance(cfg.duplicate) {
            Some(SimTime(now.0.saturating_add(cfg.latency.sample_nanos(rng))).max(at))
        } else {
            None
        };
        *last = (*last).max(at).max(duplicate.unwrap_or(at));
        Transit::Deliver(at, duplicate)
    }

    /// Cuts every link between nodes of different groups, both ways.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        for (i, ga) in groups.iter().enumerate() {
            for (j, gb) in groups.iter().enumerate() {
                if i != j {
                    for &a in ga {
                        for &b in gb {
                            self.cut(a, b);
                        }
                    }
                }
            }
        }
    }

    /// Cuts the links from every node of `from` to every node of `to`.
    pub fn partition_one_way(&mut self, from: &[NodeId], to: &[NodeId]) {
        for &a in from {
            for &b in to {
                if a != b {
                    self.cut(a, b);
                }
            }
        }
    }

    /// Cuts every link to and from `node`.
    pub fn isolate(&mut self, node: NodeId) {
        for i in 0..self.nodes {
            let other = NodeId(i as u32);
            if other != node {
                self.cut(node, other);
                self.cut(other, node);
            }
        }
    }

    /// Restores every cut link to and from `node`, leaving other cuts as
    /// they are. Returns whether any link was cut.
    pub fn reconnect(&mut self, node: NodeId) -> bool {
        let mut any = false;
        for i in 0..self.nodes {
            let other = NodeId(i as u32);
            for pair in [self.pair(node, other), self.pair(other, node)] {
                if self.cut[pair] {
                    self.cut[pair] = false;
                    self.cut_links -= 1;
                    any = true;
                }
            }
        }
        any
    }

    /// Restores every cut link.
    pub fn heal(&mut self) {
        if self.cut_links > 0 {
            self.cut.fill(false);
        }
        self.cut_links = 0;
    }

    /// Applies `change` to the links `from -> to` (`None` means every node).
    pub fn change_links(&mut self, from: Option<NodeId>, to: Option<NodeId>, change: &LinkChange) {
        if from.is_none() && to.is_none() {
            // Every link: the shared settings and every override change
            // alike, and overrides that now equal the shared settings go.
            change.apply(&mut self.base);
            for cfg in self.overrides.values_mut() {
                change.apply(cfg);
            }
            let base = &self.base;
            self.overrides.retain(|_, cfg| cfg != base);
            return;
        }
        let pick = |n: Option<NodeId>, all: usize| -> Vec<NodeId> {
            match n {
                Some(n) => vec![n],
                None => (0..all).map(|i| NodeId(i as u32)).collect(),
            }
        };
        for a in pick(from, self.nodes) {
            for b in pick(to, self.nodes) {
                let mut cfg = self.link_config(a, b).clone();
                change.apply(&mut cfg);
                if cfg == self.base {
                    self.overrides.remove(&(a, b));
                } else {
                    self.overrides.insert((a, b), cfg);
                }
            }
        }
    }

    /// The links as a petgraph graph (node weights are the ids, edge
    /// weights whether the link is cut): built on demand, for reachability
    /// questions and layout.
    pub fn graph(&self) -> DiGraph<NodeId, bool> {
        let mut graph = DiGraph::with_capacity(self.nodes, self.nodes * self.nodes);
        for i in 0..self.nodes {
            graph.add_node(NodeId(i as u32));
        }
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                let cut = self.cut[a * self.nodes + b];
                graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), cut);
            }
        }
        graph
    }

    /// The nodes `from` can reach over uncut links (itself included), sorted.
    pub fn reachable_from(&self, from: NodeId) -> Vec<NodeId> {
        let graph = self.graph();
        let open = EdgeFiltered::from_fn(&graph, |e| !*e.weight());
        let mut dfs = petgraph::visit::Dfs::new(&open, NodeIndex::new(from.index()));
        let mut out = Vec::new();
        while let Some(n) = dfs.next(&open) {
            out.push(graph[n]);
        }
        out.sort();
        out
    }

    /// Groups of nodes that can all reach each other (strongly connected
    /// components over uncut links), each sorted, ordered by smallest member.
    pub fn connected_groups(&self) -> Vec<Vec<NodeId>> {
        let graph = self.graph();
        let open = EdgeFiltered::from_fn(&graph, |e| !*e.weight());
        let mut groups: Vec<Vec<NodeId>> = petgraph::algo::kosaraju_scc(&open)
            .into_iter()
            .map(|c| {
                let mut g: Vec<NodeId> = c.into_iter().map(|n| graph[n]).collect();
                g.sort();
                g
            })
            .collect();
        groups.sort();
        groups
    }

    /// Whether any link is cut.
    #[inline]
    pub fn any_cut(&self) -> bool {
        self.cut_links > 0
    }

    fn cut(&mut self, from: NodeId, to: NodeId) {
        let pair = self.pair(from, to);
        if !self.cut[pair] {
            self.cut[pair] = true;
            self.cut_links += 1;
        }
    }
}

/// A change to link settings; `None` fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkChange {
    /// New latency distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyDist>,
    /// New loss probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// New duplication probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
    /// New reordering probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder: Option<f64>,
}

impl LinkChange {
    /// Applies the change to one link's settings.
    pub fn apply(&self, cfg: &mut LinkConfig) {
        if let Some(latency) = &self.latency {
            cfg.latency = latency.clone();
        }
        if let Some(p) = self.loss {
            cfg.loss = p;
        }
        if let Some(p) = self.duplicate {
            cfg.duplicate = p;
        }
        if let Some(p) = self.reorder {
            cfg.reorder = p;
        }
    }

    /// Checks the parameters; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(l) = &self.latency {
            l.validate()?;
        }
        for (name, p) in [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if let Some(p) = p {
                check_probability(name, p)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn one_way_partition_cuts_one_direction_only() {
        let mut net = Network::full_mesh(3, &LinkConfig::default());
        let mut rng = SimRng::from_u64(1);
        net.partition_one_way(&[n(0)], &[n(1)]);
        assert_eq!(
            net.transmit(n(0), n(1), SimTime(0), &mut rng),
            Transit::Dropped(DropReason::Partition)
        );
        assert!(matches!(
            net.transmit(n(1), n(0), SimTime(0), &mut rng),
            Transit::Deliver(..)
        ));
        assert!(matches!(
            net.transmit(n(0), n(2), SimTime(0), &mut rng),
            Transit::Deliver(..)
        ));
        assert_eq!(
            net.reachable_from(n(0)),
            vec![n(0), n(2), n(1)]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(net.connected_groups(), vec![vec![n(0), n(1), n(2)]]);
        net.isolate(n(2));
        assert_eq!(
            net.connected_groups(),
            vec![vec![n(0)], vec![n(1)], vec![n(2)]]
        );
        net.heal();
        assert!(!net.any_cut());
    }

    #[test]
    fn symmetric_partition_splits_groups() {
        let mut net = Network::full_mesh(5, &LinkConfig::default());
        net.partition(&[vec![n(0), n(1)], vec![n(2), n(3), n(4)]]);
        assert_eq!(
            net.connected_groups(),
            vec![vec![n(0), n(1)], vec![n(2), n(3), n(4)]]
        );
        assert_eq!(net.reachable_from(n(3)), vec![n(2), n(3), n(4)]);
    }

    #[test]
    fn duplication_delivers_twice_and_loss_drops() {
        let cfg = LinkConfig {
            duplicate: 1.0,
            ..LinkConfig::default()
        };
        let mut net = Network::full_mesh(2, &cfg);
        let mut rng = SimRng::from_u64(2);
        match net.transmit(n(0), n(1), SimTime(0), &mut rng) {
            Transit::Deliver(a, Some(b)) => assert!(b >= a),
            other => panic!("expected a duplicate, got {other:?}"),
        }
        net.change_links(
            None,
            None,
            &LinkChange {
                loss: Some(1.0),
                ..LinkChange::default()
            },
        );
        assert_eq!(
            net.transmit(n(0), n(1), SimTime(0), &mut rng),
            Transit::Dropped(DropReason::Loss)
        );
    }

    #[test]
    fn links_are_fifo_unless_reordering() {
        let cfg = LinkConfig {
            latency: LatencyDist::Uniform {
                min: Duration::from_millis(1),
                max: Duration::from_millis(50),
            },
            ..LinkConfig::default()
        };
        let mut net = Network::full_mesh(2, &cfg);
        let mut rng = SimRng::from_u64(3);
        let mut last = SimTime::ZERO;
        for i in 0..200 {
            let Transit::Deliver(at, _) = net.transmit(n(0), n(1), SimTime(i * 100_000), &mut rng)
            else {
                panic!()
            };
            assert!(at >= last, "FIFO violated at send {i}");
            last = at;
        }
        net.change_links(
            None,
            None,
            &LinkChange {
                reorder: Some(1.0),
                ..LinkChange::default()
            },
        );
        let mut overtaken = false;
        let mut last = SimTime::ZERO;
        for i in 0..200 {
            let Transit::Deliver(at, _) = net.transmit(n(0), n(1), SimTime(i * 100_000), &mut rng)
            else {
                panic!()
            };
            overtaken |= at < last;
            last = last.max(at);
        }
        assert!(overtaken, "reordering never let a message overtake");
    }

    #[test]
    fn only_links_set_apart_keep_settings_of_their_own() {
        let lossy = |p| LinkChange {
            loss: Some(p),
            ..LinkChange::default()
        };
        let mut net = Network::full_mesh(4, &LinkConfig::default());
        assert_eq!(net.overridden_links(), 0);
        // One row: four links of their own (n1 -> every node).
        net.change_links(Some(n(1)), None, &lossy(0.5));
        assert_eq!(net.overridden_links(), 4);
        assert_eq!(net.link_config(n(1), n(2)).loss, 0.5);
        assert_eq!(net.link_config(n(2), n(1)).loss, 0.0);
        // Every link: the shared settings change, and so do the overrides.
        net.change_links(None, None, &lossy(0.25));
        assert_eq!(net.link_config(n(2), n(1)).loss, 0.25);
        assert_eq!(net.link_config(n(1), n(2)).loss, 0.25);
        assert_eq!(net.overridden_links(), 0, "overrides equal to the base go");
        // A link set back to the shared settings is no longer apart.
        net.change_links(Some(n(0)), Some(n(3)), &lossy(1.0));
        assert_eq!(net.overridden_links(), 1);
        net.change_links(Some(n(0)), Some(n(3)), &lossy(0.25));
        assert_eq!(net.overridden_links(), 0);
        assert_eq!(net.base_config().loss, 0.25);
    }

    #[test]
    fn latency_validation_explains() {
        let bad = LatencyDist::Uniform {
            min: Duration::from_millis(5),
            max: Duration::from_millis(1),
        };
        assert!(bad.validate().unwrap_err().contains("min"));
        let cfg = LinkConfig {
            loss: 1.5,
            ..LinkConfig::default()
        };
        assert!(
            cfg.validate()
                .unwrap_err()
                .contains("loss must be a probability")
        );
    }
}
