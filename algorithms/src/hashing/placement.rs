//! The four placement functions behind one type: ring consistent hashing,
//! rendezvous (highest random weight) hashing, jump consistent hashing, and
//! modulo hashing as the counter-example.
//!
//! Each is a pure function of (membership, key hash); [`Placer`] is built
//! once per membership and then answers owner and preference-list queries.

use super::hash::{hash_pair, mix64};
use super::ring::Ring;
use faultline_sim::NodeId;
use serde::{Deserialize, Serialize};

/// Which placement function to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacementKind {
    /// A hash ring with virtual nodes.
    Ring,
    /// Rendezvous / highest random weight.
    Rendezvous,
    /// Lamping & Veach's jump consistent hash over the sorted members.
    Jump,
    /// `hash % n` over the sorted members: the counter-example.
    Modulo,
}

impl PlacementKind {
    /// Every kind, in table order.
    pub const ALL: [PlacementKind; 4] = [
        PlacementKind::Ring,
        PlacementKind::Rendezvous,
        PlacementKind::Jump,
        PlacementKind::Modulo,
    ];

    /// The name used in parameters and tables.
    pub fn name(self) -> &'static str {
        match self {
            PlacementKind::Ring => "ring",
            PlacementKind::Rendezvous => "rendezvous",
            PlacementKind::Jump => "jump",
            PlacementKind::Modulo => "modulo",
        }
    }
}

/// A placement function bound to one membership.
#[derive(Clone, Debug, PartialEq, Hash)]
pub enum Placer {
    /// Ring consistent hashing.
    Ring(Ring),
    /// Rendezvous hashing: members with their salts.
    Rendezvous(Vec<(NodeId, u64)>),
    /// Jump hash: bucket `i` is the `i`-th member in id order.
    Jump(Vec<NodeId>),
    /// Modulo hashing: bucket `hash % n` is the `i`-th member in id order.
    Modulo(Vec<NodeId>),
}

impl Placer {
    /// Builds the placement of `members` (any order; duplicates ignored).
    /// `vnodes` and `weights` apply to the ring only; a missing weight is 1.
    pub fn new(kind: PlacementKind, members: &[NodeId], vnodes: u32, weights: &[f64]) -> Placer {
        let mut sorted = members.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        match kind {
            PlacementKind::Ring => {
                let weighted: Vec<(NodeId, f64)> = sorted
                    .iter()
                    .map(|&n| (n, weights.get(n.index()).copied().unwrap_or(1.0)))
                    .collect();
                Placer::Ring(Ring::weighted(&weighted, vnodes))
            }
            PlacementKind::Rendezvous => Placer::Rendezvous(
                sorted
                    .iter()
                    .map(|&n| (n, hash_pair(n.0 as u64, 0)))
                    .collect(),
            ),
            PlacementKind::Jump => Placer::Jump(sorted),
            PlacementKind::Modulo => Placer::Modulo(sorted),
        }
    }

    /// The members, sorted by id.
    pub fn members(&self) -> Vec<NodeId> {
        match self {
            Placer::Ring(ring) => ring.members().to_vec(),
            Placer::Rendezvous(salted) => salted.iter().map(|&(n, _)| n).collect(),
            Placer::Jump(m) | Placer::Modulo(m) => m.clone(),
        }
    }

    /// The node owning a key hash (`None` with no members).
    #[inline]
    pub fn owner(&self, hash: u64) -> Option<NodeId> {
        match self {
            Placer::Ring(ring) => ring.owner(hash),
            Placer::Rendezvous(salted) => salted
                .iter()
                .map(|&(n, salt)| (rendezvous_score(hash, salt), n))
                .max()
                .map(|(_, n)| n),
            Placer::Jump(m) => (!m.is_empty()).then(|| m[jump_hash(hash, m.len() as u32) as usize]),
            Placer::Modulo(m) => (!m.is_empty()).then(|| m[(hash % m.len() as u64) as usize]),
        }
    }

    /// `r` distinct nodes responsible for a key, the owner first (fewer
    /// when there are fewer members). Ring: the next distinct nodes
    /// clockwise. Rendezvous: the `r` highest scores. Jump and modulo: the
    /// owner's bucket and the buckets after it, wrapping.
    pub fn preference_list(&self, hash: u64, r: usize) -> Vec<NodeId> {
        match self {
            Placer::Ring(ring) => ring.preference_list(hash, r),
            Placer::Rendezvous(salted) => {
                let mut scored: Vec<(u64, NodeId)> = salted
                    .iter()
                    .map(|&(n, salt)| (rendezvous_score(hash, salt), n))
                    .collect();
                scored.sort_unstable_by(|a, b| b.cmp(a));
                scored.into_iter().take(r).map(|(_, n)| n).collect()
            }
            Placer::Jump(m) | Placer::Modulo(m) => {
                if m.is_empty() {
                    return Vec::new();
                }
                let n = m.len();
                let first = match self {
                    Placer::Jump(_) => jump_hash(hash, n as u32) as usize,
                    _ => (hash % n as u64) as usize,
                };
                (0..r.min(n)).map(|i| m[(first + i) % n]).collect()
            }
        }
    }

    /// Where a node sits, as fractions of the ring in `[0, 1)`, for the GUI:
    /// its virtual nodes on a ring; its bucket's slice start for jump and
    /// modulo; nothing for rendezvous, which has no positions.
    pub fn positions_of(&self, node: NodeId) -> Vec<f64> {
        match self {
            Placer::Ring(ring) => ring.positions_of(node),
            Placer::Rendezvous(_) => Vec::new(),
            Placer::Jump(m) | Placer::Modulo(m) => m
                .iter()
                .position(|&n| n == node)
                .map(|i| vec![i as f64 / m.len() as f64])
                .unwrap_or_default(),
        }
    }
}

/// A node's rendezvous score for a key: a hash of the pair, highest wins.
#[inline]
fn rendezvous_score(hash: u64, salt: u64) -> u64 {
    mix64(hash ^ salt)
}

/// Jump consistent hash (Lamping & Veach 2014): the bucket in `0..buckets`
/// of a key.
///
/// The key seeds a 64-bit linear congruential generator; the walk jumps
/// from bucket `b` to the next bucket at which the key would move if the
/// cluster grew that far, and stops past `buckets`. Going from `n` to
/// `n + 1` buckets therefore moves exactly the keys whose walk lands on `n`,
/// an expected `1/(n+1)` of them. The paper computes the jump with a
/// floating-point division; this version uses exact integer arithmetic
/// (`(b + 1) * 2^31 / (r + 1)` in 128 bits), so results cannot depend on
/// the platform's floating point.
#[inline]
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    assert!(buckets > 0, "jump hash needs at least one bucket");
    let mut bucket: u64 = 0;
    let mut next: u64 = 0;
    while next < buckets as u64 {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        let r = (key >> 33) + 1;
        next = (((bucket + 1) as u128) << 31).div_euclid(r as u128) as u64;
    }
    bucket as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::hash::hash_bytes;

    #[test]
    fn jump_hash_moves_keys_only_to_the_new_bucket() {
        for i in 0..10_000u64 {
            let h = hash_bytes(&i.to_le_bytes());
            for n in 1..20 {
                let before = jump_hash(h, n);
                let after = jump_hash(h, n + 1);
                assert!(
                    after == before || after == n,
                    "key {i}: {before} -> {after}"
                );
            }
        }
    }

    #[test]
    fn jump_hash_spreads_keys_evenly() {
        let mut counts = [0u32; 10];
        for i in 0..100_000u64 {
            counts[jump_hash(hash_bytes(&i.to_le_bytes()), 10) as usize] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn every_kind_lists_distinct_nodes_owner_first() {
        let members: Vec<NodeId> = (0..5).map(NodeId).collect();
        for kind in PlacementKind::ALL {
            let placer = Placer::new(kind, &members, 16, &[]);
            for i in 0..200u64 {
                let h = hash_bytes(&i.to_le_bytes());
                let list = placer.preference_list(h, 3);
                assert_eq!(list.len(), 3, "{kind:?}");
                assert_eq!(Some(list[0]), placer.owner(h), "{kind:?}");
                let mut unique = list.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), 3, "{kind:?}");
            }
        }
    }
}
