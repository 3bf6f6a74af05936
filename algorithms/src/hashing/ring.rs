//! Ring consistent hashing with virtual nodes and weights (Karger et al.
//! 1997; the virtual-node refinement as used by Dynamo 2007).
//!
//! Every node places `round(vnodes * weight)` points on a 64-bit circle at
//! [`hash_pair`]`(node, i)`. A key belongs to the first point at or after
//! its hash, wrapping around; its preference list is the first `r`
//! *distinct* nodes met walking clockwise from there, so replicas never
//! share a physical node. Points are kept sorted by `(position, node)`, so
//! ties (astronomically rare) still resolve the same way everywhere.

use super::hash::{hash_pair, ring_fraction};
use faultline_sim::NodeId;

/// A hash ring: sorted virtual-node points of a set of nodes.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct Ring {
    /// `(position, node)`, sorted.
    points: Vec<(u64, NodeId)>,
    /// Members, sorted, without duplicates.
    members: Vec<NodeId>,
}

impl Ring {
    /// A ring of `members`, each with `vnodes` points (at least one).
    pub fn new(members: &[NodeId], vnodes: u32) -> Ring {
        let weighted: Vec<(NodeId, f64)> = members.iter().map(|&n| (n, 1.0)).collect();
        Ring::weighted(&weighted, vnodes)
    }

    /// A ring where node `n` with weight `w` gets `round(vnodes * w)` points
    /// (at least one), so its expected share of keys is proportional to `w`.
    pub fn weighted(members: &[(NodeId, f64)], vnodes: u32) -> Ring {
        Ring::placed_by(members, vnodes, |_, node| node.0 as u64)
    }

    /// The ring of the `tokens_by_rank` bug: a node's points hash its rank
    /// among `members` (sorted by id) instead of its id, so a join or leave
    /// below it renumbers it and moves all of its points.
    pub fn weighted_by_rank(members: &[(NodeId, f64)], vnodes: u32) -> Ring {
        let mut sorted = members.to_vec();
        sorted.sort_by_key(|&(node, _)| node);
        Ring::placed_by(&sorted, vnodes, |rank, _| rank as u64)
    }

    /// Points of `members` at `hash_pair(seed(rank, node), i)`.
    fn placed_by(
        members: &[(NodeId, f64)],
        vnodes: u32,
        seed: impl Fn(usize, NodeId) -> u64,
    ) -> Ring {
        let mut points = Vec::new();
        let mut ids: Vec<NodeId> = Vec::with_capacity(members.len());
        for (rank, &(node, weight)) in members.iter().enumerate() {
            let count = ((vnodes as f64 * weight).round() as u64).max(1);
            let seed = seed(rank, node);
            points.extend((0..count).map(|i| (hash_pair(seed, i), node)));
            ids.push(node);
        }
        points.sort_unstable();
        ids.sort_unstable();
        ids.dedup();
        Ring {
            points,
            members: ids,
        }
    }

    /// The members, sorted.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }

    /// Number of virtual-node points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the ring has no points (no members).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Index of the first point at or after `hash`, wrapping (binary search).
    #[inline]
    fn successor(&self, hash: u64) -> usize {
        let i = self.points.partition_point(|&(pos, _)| pos < hash);
        if i == self.points.len() { 0 } else { i }
    }

    /// The node owning a key hash.
    #[inline]
    pub fn owner(&self, hash: u64) -> Option<NodeId> {
        if self.points.is_empty() {
            return None;
        }
        Some(self.points[self.successor(hash)].1)
    }

    /// The first `r` distinct nodes clockwise from `hash` (fewer when the
    /// ring has fewer members).
    pub fn preference_list(&self, hash: u64, r: usize) -> Vec<NodeId> {
        let want = r.min(self.members.len());
        let mut list = Vec::with_capacity(want);
        if want == 0 {
            return list;
        }
        let start = self.successor(hash);
        for step in 0..self.points.len() {
            let node = self.points[(start + step) % self.points.len()].1;
            if !list.contains(&node) {
                list.push(node);
                if list.len() == want {
                    break;
                }
            }
        }
        list
    }

    /// The positions of one node's points as fractions of the ring.
    pub fn positions_of(&self, node: NodeId) -> Vec<f64> {
        self.points
            .iter()
            .filter(|&&(_, n)| n == node)
            .map(|&(pos, _)| ring_fraction(pos))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: u32) -> Vec<NodeId> {
        (0..n).map(NodeId).collect()
    }

    /// Fraction of 10,000 key hashes whose owner differs between two rings.
    fn moved(a: &Ring, b: &Ring) -> f64 {
        let n = 10_000u64;
        let moved = (0..n)
            .map(|k| crate::hashing::hash::hash_pair(k, 7))
            .filter(|&h| a.owner(h) != b.owner(h))
            .count();
        moved as f64 / n as f64
    }

    #[test]
    fn tokens_keyed_by_rank_move_most_keys_when_a_low_node_leaves() {
        let weighted =
            |ids: &[u32]| -> Vec<(NodeId, f64)> { ids.iter().map(|&i| (NodeId(i), 1.0)).collect() };
        let (all, without_n1) = (weighted(&[0, 1, 2, 3, 4]), weighted(&[0, 2, 3, 4]));
        let by_id = moved(&Ring::weighted(&all, 64), &Ring::weighted(&without_n1, 64));
        let by_rank = moved(
            &Ring::weighted_by_rank(&all, 64),
            &Ring::weighted_by_rank(&without_n1, 64),
        );
        // Keyed by id, only n1's fifth moves; keyed by rank, n2..n4 each
        // take over the points of the node below them.
        assert!((by_id - 0.2).abs() < 0.05, "by id: {by_id}");
        assert!(by_rank > 0.6, "by rank: {by_rank}");
    }

    #[test]
    fn owner_is_the_first_point_at_or_after_the_hash() {
        let ring = Ring::new(&nodes(3), 4);
        let (pos, node) = ring.points[5];
        assert_eq!(ring.owner(pos), Some(node));
        assert_eq!(ring.owner(pos - 1), Some(node));
        let (last, _) = *ring.points.last().unwrap();
        assert_eq!(ring.owner(last.wrapping_add(1)), Some(ring.points[0].1));
    }

    #[test]
    fn weights_scale_the_number_of_points() {
        let ring = Ring::weighted(&[(NodeId(0), 1.0), (NodeId(1), 2.5)], 10);
        assert_eq!(ring.positions_of(NodeId(0)).len(), 10);
        assert_eq!(ring.positions_of(NodeId(1)).len(), 25);
        assert_eq!(ring.members(), &[NodeId(0), NodeId(1)]);
    }

    #[test]
    fn preference_lists_are_capped_by_membership() {
        let ring = Ring::new(&nodes(2), 8);
        assert_eq!(ring.preference_list(42, 3).len(), 2);
        assert!(Ring::new(&[], 8).preference_list(1, 3).is_empty());
    }
}
