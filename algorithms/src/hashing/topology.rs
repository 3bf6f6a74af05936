//! Membership over time: the initial members and the scheduled joins and
//! leaves, numbered as versions, each with its placement built once.
//!
//! Version 0 is the initial membership; version `i` is the membership after
//! the `i`-th change in time order. The schedule is part of the parameters,
//! so every node can compute the placement of any version — what a node
//! does *not* know is which version is current: it learns that from
//! messages (see the module essay), which is where stale routing comes from.

use super::hash::key_hash;
use super::placement::{PlacementKind, Placer};
use super::ring::Ring;
use faultline_sim::NodeId;
use std::time::Duration;

/// What a version changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// The initial membership.
    Initial,
    /// A node joined.
    Join(NodeId),
    /// A node left.
    Leave(NodeId),
}

impl Change {
    /// The node that joined or left.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Change::Initial => None,
            Change::Join(n) | Change::Leave(n) => Some(n),
        }
    }
}

/// One membership version.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct Version {
    /// When the change is announced (local time of the node that changes).
    pub at: Duration,
    /// What changed.
    pub change: Change,
    /// Members, sorted.
    pub members: Vec<NodeId>,
    /// The placement of this membership.
    pub placer: Placer,
}

/// Every membership version of a run.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct Topology {
    /// Versions in order; index = version number.
    pub versions: Vec<Version>,
    /// Replicas per key (R).
    pub replicas: usize,
    /// With `rack_aware = true`: each server's rack (an index; `None` for
    /// a server in no rack), so that a preference list spreads over racks.
    /// Empty: racks play no part.
    pub racks: Vec<Option<u32>>,
}

/// The first `r` of `order` taking at most one member per rack while
/// racks last, then the skipped members in order (a member in no rack
/// counts as a rack of its own).
pub fn spread_over_racks(order: &[NodeId], racks: &[Option<u32>], r: usize) -> Vec<NodeId> {
    let rack = |n: NodeId| racks.get(n.index()).copied().flatten();
    let mut taken: Vec<NodeId> = Vec::with_capacity(r);
    let mut skipped: Vec<NodeId> = Vec::new();
    for &n in order {
        if taken.len() == r {
            break;
        }
        match rack(n) {
            Some(k) if taken.iter().any(|&t| rack(t) == Some(k)) => skipped.push(n),
            _ => taken.push(n),
        }
    }
    let missing = r.saturating_sub(taken.len());
    taken.extend(skipped.into_iter().take(missing));
    taken
}

impl Topology {
    /// Builds the versions from the initial members and the changes; an
    /// impossible change (joining a member, leaving a non-member, leaving
    /// the last member) is an error naming it.
    pub fn new(
        kind: PlacementKind,
        vnodes: u32,
        weights: &[f64],
        replicas: usize,
        initial: &[NodeId],
        changes: &[(Duration, Change)],
    ) -> Result<Topology, String> {
        let mut members = initial.to_vec();
        let mut versions = vec![Version {
            at: Duration::ZERO,
            change: Change::Initial,
            members: members.clone(),
            placer: Placer::new(kind, &members, vnodes, weights),
        }];
        let mut changes = changes.to_vec();
        changes.sort_by_key(|(at, _)| *at); // stable: ties keep list order
        for (at, change) in changes {
            match change {
                Change::Join(n) if members.contains(&n) => {
                    return Err(format!("{n} cannot join at {at:?}: it is already a member"));
                }
                Change::Join(n) => members.push(n),
                Change::Leave(n) if !members.contains(&n) => {
                    return Err(format!("{n} cannot leave at {at:?}: it is not a member"));
                }
                Change::Leave(_) if members.len() == 1 => {
                    return Err(format!("the last member cannot leave (at {at:?})"));
                }
                Change::Leave(n) => members.retain(|&m| m != n),
                Change::Initial => unreachable!("only the first version is initial"),
            }
            members.sort_unstable();
            versions.push(Version {
                at,
                change,
                members: members.clone(),
                placer: Placer::new(kind, &members, vnodes, weights),
            });
        }
        Ok(Topology {
            versions,
            replicas,
            racks: Vec::new(),
        })
    }

    /// Re-places every version with the ring of the `tokens_by_rank` bug
    /// (virtual nodes keyed by a node's rank among the members).
    pub fn place_by_rank(&mut self, vnodes: u32, weights: &[f64]) {
        for version in &mut self.versions {
            let weighted: Vec<(NodeId, f64)> = version
                .members
                .iter()
                .map(|&n| (n, weights.get(n.index()).copied().unwrap_or(1.0)))
                .collect();
            version.placer = Placer::Ring(Ring::weighted_by_rank(&weighted, vnodes));
        }
    }

    /// The newest version number.
    pub fn latest(&self) -> u32 {
        (self.versions.len() - 1) as u32
    }

    /// Members of version `v`.
    pub fn members(&self, v: u32) -> &[NodeId] {
        &self.versions[v as usize].members
    }

    /// Whether `node` is a member of version `v`.
    pub fn is_member(&self, v: u32, node: NodeId) -> bool {
        self.members(v).binary_search(&node).is_ok()
    }

    /// The nodes a node must hear from to settle at version `v`: members of
    /// `v - 1` and of `v`, except itself.
    pub fn sources(&self, v: u32, me: NodeId) -> Vec<NodeId> {
        let mut all = self.members(v).to_vec();
        if v > 0 {
            all.extend_from_slice(self.members(v - 1));
        }
        all.sort_unstable();
        all.dedup();
        all.retain(|&n| n != me);
        all
    }

    /// The preference list of `key` at version `v`: R distinct members, the
    /// primary first. Rack-aware (`racks` set): the placement's whole order
    /// of members is walked and a member is taken only if no member taken
    /// so far shares its rack; when the racks run out before R members,
    /// the skipped members fill the list in the placement's order. The
    /// primary is the same either way.
    pub fn preference_list(&self, v: u32, key: &str) -> Vec<NodeId> {
        let placer = &self.versions[v as usize].placer;
        if self.racks.is_empty() {
            return placer.preference_list(key_hash(key), self.replicas);
        }
        let all = placer.preference_list(key_hash(key), self.versions[v as usize].members.len());
        spread_over_racks(&all, &self.racks, self.replicas)
    }

    /// The placement of version `v`.
    pub fn placer(&self, v: u32) -> &Placer {
        &self.versions[v as usize].placer
    }
}

#[cfg(test)]
mod rack_tests {
    use super::*;

    fn n(i: u32) -> NodeId {
        NodeId(i)
    }

    #[test]
    fn spreading_takes_one_member_per_rack_then_fills_in_order() {
        // Racks: 0 and 1 share rack 0, 2 and 3 rack 1, 4 is in none.
        let racks = [Some(0), Some(0), Some(1), Some(1), None];
        let order = [n(0), n(1), n(3), n(2), n(4)];
        assert_eq!(spread_over_racks(&order, &racks, 2), vec![n(0), n(3)]);
        assert_eq!(spread_over_racks(&order, &racks, 3), vec![n(0), n(3), n(4)]);
        // Four replicas, three racks (4 counts alone): the first skipped fills.
        assert_eq!(
            spread_over_racks(&order, &racks, 4),
            vec![n(0), n(3), n(4), n(1)]
        );
    }

    #[test]
    fn rack_aware_lists_never_share_a_rack_when_racks_suffice() {
        let members: Vec<NodeId> = (0..6).map(n).collect();
        let mut t = Topology::new(PlacementKind::Ring, 16, &[], 2, &members, &[]).unwrap();
        let keys: Vec<String> = (0..200).map(|k| format!("k{k}")).collect();
        let racks = vec![Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)];
        let same_rack = |t: &Topology| {
            keys.iter()
                .filter(|k| {
                    let l = t.preference_list(0, k);
                    racks[l[0].index()] == racks[l[1].index()]
                })
                .count()
        };
        // Without racks some keys land both replicas in one rack...
        assert!(same_rack(&t) > 0);
        let primaries: Vec<NodeId> = keys.iter().map(|k| t.preference_list(0, k)[0]).collect();
        t.racks = racks.clone();
        // ...with them none does, and every key keeps its primary.
        assert_eq!(same_rack(&t), 0);
        for (k, p) in keys.iter().zip(&primaries) {
            assert_eq!(t.preference_list(0, k)[0], *p);
        }
    }
}
