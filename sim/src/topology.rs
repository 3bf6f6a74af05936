//! A network described as places instead of one flat set of links:
//! regions, optionally split into racks, and declared links between
//! regions, each with its own [`LinkConfig`].
//!
//! A [`Topology`] is compiled once, before a run, into per-pair link
//! settings ([`Topology::links`]) that the kernel's [`Network`] holds as
//! overrides, so a run over a topology costs a lookup per message and the
//! kernel knows nothing of regions:
//!
//! - two nodes in one rack (or one region without racks) use the place's
//!   `inside` settings;
//! - two nodes in different racks of one region use the region's `inside`
//!   settings;
//! - two nodes in different regions use the route between the regions:
//!   a declared link between the two regions if there is one (it wins even
//!   when a detour would be faster on average), otherwise the path over
//!   declared links with the smallest sum of mean latencies
//!   ([`LatencyDist::mean_nanos`]), chosen once here. A message over a path
//!   of several links draws each link's latency and adds them
//!   ([`LatencyDist::Sum`]); its loss, duplication and reordering chances
//!   are those of "at least one link does it": `1 - Π(1 - p)`.
//!
//! The time spent inside the regions at either end is not added to a path
//! between regions: a link's latency is meant as the whole trip.
//!
//! [`Network`]: crate::network::Network

use crate::NodeId;
use crate::network::{LatencyDist, LinkConfig};
use petgraph::graph::{NodeIndex, UnGraph};
use std::collections::BTreeMap;

/// Whether a place is a region or a rack inside one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceKind {
    /// A region (a datacenter): the unit that links join.
    Region,
    /// A rack inside a region.
    Rack,
}

/// A region or a rack.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    /// Its name, unique among all places.
    pub name: String,
    /// Region or rack.
    pub kind: PlaceKind,
    /// Index (in [`Topology::places`]) of the region it is, or is in.
    pub region: usize,
    /// Settings of a link between two nodes of this place (for a region
    /// with racks: between two nodes in different racks of it).
    pub inside: LinkConfig,
}

/// A declared link between two regions.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionLink {
    /// The two regions' indices in [`Topology::places`].
    pub between: (usize, usize),
    /// Its settings (both ways).
    pub link: LinkConfig,
}

/// Regions, racks, the links between regions, and where every node sits.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Topology {
    /// Regions and racks; a rack comes after its region.
    pub places: Vec<Place>,
    /// Declared links between regions, at most one per pair.
    pub links: Vec<RegionLink>,
    /// For every node (servers, then clients), the index of its innermost
    /// place: its rack, or its region when the region has no racks.
    pub placement: Vec<usize>,
}

/// Two regions with no path of links between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoRoute {
    /// The first region's name.
    pub from: String,
    /// The second region's name.
    pub to: String,
}

impl Topology {
    /// Index of the place called `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.places.iter().position(|p| p.name == name)
    }

    /// The region `node` sits in (an index in [`Topology::places`]).
    pub fn region_of(&self, node: NodeId) -> Option<usize> {
        self.placement
            .get(node.index())
            .map(|&p| self.places[p].region)
    }

    /// The rack `node` sits in, if its region has racks.
    pub fn rack_of(&self, node: NodeId) -> Option<usize> {
        let p = *self.placement.get(node.index())?;
        (self.places[p].kind == PlaceKind::Rack).then_some(p)
    }

    /// Whether `node` sits in `place` (its rack, or its region).
    pub fn contains(&self, place: usize, node: NodeId) -> bool {
        match self.placement.get(node.index()) {
            Some(&p) => p == place || self.places[p].region == place,
            None => false,
        }
    }

    /// The nodes in `place`, by id.
    pub fn members(&self, place: usize) -> Vec<NodeId> {
        (0..self.placement.len())
            .map(|i| NodeId(i as u32))
            .filter(|&n| self.contains(place, n))
            .collect()
    }

    /// The two sides of cutting `place` off: its nodes, then every other
    /// node (the groups of a partition fault).
    pub fn cut_groups(&self, place: usize) -> Vec<Vec<NodeId>> {
        let (inside, outside) = (0..self.placement.len())
            .map(|i| NodeId(i as u32))
            .partition(|&n| self.contains(place, n));
        vec![inside, outside]
    }

    /// The regions, in declaration order, as indices in [`Topology::places`].
    pub fn regions(&self) -> Vec<usize> {
        (0..self.places.len())
            .filter(|&i| self.places[i].kind == PlaceKind::Region)
            .collect()
    }

    /// The route from region `a` to region `b` as indices in
    /// [`Topology::links`], in path order: a declared link between the two
    /// if any, otherwise the path with the smallest sum of mean latencies
    /// over the graph of regions and links. `None` when no path joins them;
    /// an empty route when `a == b`.
    pub fn route(&self, a: usize, b: usize) -> Option<Vec<usize>> {
        if a == b {
            return Some(Vec::new());
        }
        if let Some(direct) = self.direct(a, b) {
            return Some(vec![direct]);
        }
        let mut graph: UnGraph<usize, usize> = UnGraph::default();
        let index: BTreeMap<usize, NodeIndex> = self
            .regions()
            .into_iter()
            .map(|r| (r, graph.add_node(r)))
            .collect();
        for (i, l) in self.links.iter().enumerate() {
            graph.add_edge(index[&l.between.0], index[&l.between.1], i);
        }
        let (_, path) = petgraph::algo::astar(
            &graph,
            index[&a],
            |n| n == index[&b],
            |e| self.links[*e.weight()].link.latency.mean_nanos(),
            |_| 0,
        )?;
        Some(
            path.windows(2)
                .map(|w| {
                    let (x, y) = (graph[w[0]], graph[w[1]]);
                    // Several links may join x and y only through the
                    // route's choice of the cheapest one; take it.
                    self.cheapest(x, y)
                })
                .collect(),
        )
    }

    /// The declared link between regions `a` and `b`, if any.
    fn direct(&self, a: usize, b: usize) -> Option<usize> {
        self.links
            .iter()
            .position(|l| l.between == (a, b) || l.between == (b, a))
    }

    fn cheapest(&self, a: usize, b: usize) -> usize {
        (0..self.links.len())
            .filter(|&i| {
                let l = self.links[i].between;
                l == (a, b) || l == (b, a)
            })
            .min_by_key(|&i| (self.links[i].link.latency.mean_nanos(), i))
            .expect("a route only uses declared links")
    }

    /// The settings of a message's trip over the links of `route`.
    pub fn path_config(&self, route: &[usize]) -> LinkConfig {
        if let [one] = route {
            return self.links[*one].link.clone();
        }
        let any = |f: fn(&LinkConfig) -> f64| {
            1.0 - route
                .iter()
                .map(|&i| 1.0 - f(&self.links[i].link))
                .product::<f64>()
        };
        LinkConfig {
            latency: LatencyDist::Sum {
                parts: route
                    .iter()
                    .map(|&i| self.links[i].link.latency.clone())
                    .collect(),
            },
            loss: any(|c| c.loss),
            duplicate: any(|c| c.duplicate),
            reorder: any(|c| c.reorder),
        }
    }

    /// The settings of the link `from -> to`.
    pub fn link_between(&self, from: NodeId, to: NodeId) -> Result<LinkConfig, NoRoute> {
        let (pa, pb) = (self.placement[from.index()], self.placement[to.index()]);
        if pa == pb {
            return Ok(self.places[pa].inside.clone());
        }
        let (ra, rb) = (self.places[pa].region, self.places[pb].region);
        if ra == rb {
            return Ok(self.places[ra].inside.clone());
        }
        match self.route(ra, rb) {
            Some(route) => Ok(self.path_config(&route)),
            None => Err(NoRoute {
                from: self.places[ra].name.clone(),
                to: self.places[rb].name.clone(),
            }),
        }
    }

    /// Every ordered pair of distinct nodes with its link settings, or the
    /// first two regions (in declaration order) that no path joins.
    pub fn links(&self) -> Result<BTreeMap<(NodeId, NodeId), LinkConfig>, NoRoute> {
        let regions = self.regions();
        for (i, &a) in regions.iter().enumerate() {
            for &b in &regions[i + 1..] {
                if self.route(a, b).is_none() {
                    return Err(NoRoute {
                        from: self.places[a].name.clone(),
                        to: self.places[b].name.clone(),
                    });
                }
            }
        }
        let n = self.placement.len();
        let mut out = BTreeMap::new();
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    let (a, b) = (NodeId(a as u32), NodeId(b as u32));
                    out.insert((a, b), self.link_between(a, b)?);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Network;
    use std::time::Duration;

    fn ms(v: u64) -> LinkConfig {
        LinkConfig {
            latency: LatencyDist::Constant {
                value: Duration::from_millis(v),
            },
            ..LinkConfig::default()
        }
    }

    fn region(name: &str, at: usize, inside: u64) -> Place {
        Place {
            name: name.into(),
            kind: PlaceKind::Region,
            region: at,
            inside: ms(inside),
        }
    }

    /// Three regions in a line a - b - c (nodes 0, 1, 2 and 3: node 3 is in
    /// a rack of c), and optionally a direct a - c link.
    fn line(direct: Option<u64>) -> Topology {
        let mut t = Topology {
            places: vec![
                region("a", 0, 1),
                region("b", 1, 1),
                region("c", 2, 2),
                Place {
                    name: "c-r1".into(),
                    kind: PlaceKind::Rack,
                    region: 2,
                    inside: ms(0),
                },
            ],
            links: vec![
                RegionLink {
                    between: (0, 1),
                    link: ms(10),
                },
                RegionLink {
                    between: (1, 2),
                    link: ms(20),
                },
            ],
            placement: vec![0, 1, 2, 3],
        };
        if let Some(v) = direct {
            t.links.push(RegionLink {
                between: (2, 0),
                link: ms(v),
            });
        }
        t
    }

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn a_two_hop_path_sums_its_links() {
        let t = line(None);
        let cfg = t.link_between(n(0), n(2)).unwrap();
        assert_eq!(cfg.latency.mean_nanos(), 30_000_000);
        let mut rng = crate::rng::SimRng::from_u64(5);
        assert_eq!(cfg.latency.sample(&mut rng), Duration::from_millis(30));
        // Both ways (the parts in path order), and one hop is the link itself.
        let back = t.link_between(n(2), n(0)).unwrap();
        assert_eq!(back.latency.mean_nanos(), 30_000_000);
        let LatencyDist::Sum { parts } = back.latency else {
            panic!("a two-hop path is a sum")
        };
        assert_eq!(parts, vec![ms(20).latency, ms(10).latency]);
        assert_eq!(t.link_between(n(0), n(1)).unwrap(), ms(10));
    }

    #[test]
    fn a_declared_direct_link_wins_even_when_slower() {
        let t = line(Some(45));
        assert_eq!(t.link_between(n(0), n(2)).unwrap(), ms(45));
        assert_eq!(t.link_between(n(3), n(0)).unwrap(), ms(45));
        // b to c keeps its own link; a to b too.
        assert_eq!(t.link_between(n(1), n(2)).unwrap(), ms(20));
    }

    #[test]
    fn the_path_with_the_smallest_mean_is_chosen() {
        // a - b - c at 10 + 20, and a - d - c at 5 + 5: the second wins.
        let mut t = line(None);
        t.places.push(region("d", 4, 1));
        t.links.push(RegionLink {
            between: (0, 4),
            link: ms(5),
        });
        t.links.push(RegionLink {
            between: (4, 2),
            link: ms(5),
        });
        assert_eq!(t.route(0, 2), Some(vec![2, 3]));
        assert_eq!(
            t.link_between(n(0), n(2)).unwrap().latency.mean_nanos(),
            10_000_000
        );
    }

    #[test]
    fn inside_a_rack_and_a_region_use_the_place_settings() {
        let mut t = line(None);
        t.placement = vec![2, 3, 3, 0];
        assert_eq!(t.link_between(n(1), n(2)).unwrap(), ms(0), "same rack");
        assert_eq!(
            t.link_between(n(0), n(1)).unwrap(),
            ms(2),
            "rack and region"
        );
    }

    #[test]
    fn path_chances_combine_as_any_link() {
        let mut t = line(None);
        t.links[0].link.loss = 0.5;
        t.links[1].link.loss = 0.5;
        assert_eq!(t.link_between(n(0), n(2)).unwrap().loss, 0.75);
    }

    #[test]
    fn regions_without_a_path_are_named() {
        let mut t = line(None);
        t.links.remove(1);
        assert_eq!(
            t.links().unwrap_err(),
            NoRoute {
                from: "a".into(),
                to: "c".into()
            }
        );
    }

    #[test]
    fn cutting_a_region_drops_exactly_its_links_to_the_rest() {
        // Region c holds nodes 2 and 3 (3 in its rack); a and b hold 0, 1;
        // node 4 is a client sitting in a.
        let mut t = line(None);
        t.placement.push(0);
        let c = t.find("c").unwrap();
        let groups = t.cut_groups(c);
        assert_eq!(groups, vec![vec![n(2), n(3)], vec![n(0), n(1), n(4)]]);
        let mut net = Network::with_links(5, &LinkConfig::default(), &t.links().unwrap());
        net.partition(&groups);
        for a in 0..5u32 {
            for b in 0..5u32 {
                if a == b {
                    continue;
                }
                let crosses = t.contains(c, n(a)) != t.contains(c, n(b));
                assert_eq!(net.is_cut(n(a), n(b)), crosses, "n{a} -> n{b}");
            }
        }
        // A rack: its one node against all the others.
        let rack = t.find("c-r1").unwrap();
        assert_eq!(
            t.cut_groups(rack),
            vec![vec![n(3)], vec![n(0), n(1), n(2), n(4)]]
        );
    }

    #[test]
    fn compiled_links_reach_the_network() {
        let t = line(None);
        let base = LinkConfig::default();
        let net = Network::with_links(4, &base, &t.links().unwrap());
        assert_eq!(net.link_config(n(0), n(1)), &ms(10));
        assert_eq!(net.link_config(n(2), n(3)), &ms(2));
        assert_eq!(net.link_config(n(1), n(1)), &base);
    }
}
