//! Property tests of the placement functions: purity, minimal movement on
//! joins and leaves, and distinct preference lists.

use super::placement::{PlacementKind, Placer};
use faultline_sim::NodeId;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn membership() -> impl Strategy<Value = Vec<NodeId>> {
    proptest::collection::btree_set(0u32..64, 1..16)
        .prop_map(|s| s.into_iter().map(NodeId).collect())
}

fn kind() -> impl Strategy<Value = PlacementKind> {
    prop_oneof![
        Just(PlacementKind::Ring),
        Just(PlacementKind::Rendezvous),
        Just(PlacementKind::Jump),
        Just(PlacementKind::Modulo),
    ]
}

/// The placements with minimal movement for a join or leave of any node.
fn minimal() -> impl Strategy<Value = PlacementKind> {
    prop_oneof![Just(PlacementKind::Ring), Just(PlacementKind::Rendezvous)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn placement_is_a_pure_function_of_membership_and_key(
        kind in kind(), members in membership(), vnodes in 1u32..50,
        keys in proptest::collection::vec(any::<u64>(), 1..50), r in 1usize..5,
    ) {
        let a = Placer::new(kind, &members, vnodes, &[]);
        let mut reversed = members.clone();
        reversed.reverse();
        let b = Placer::new(kind, &reversed, vnodes, &[]);
        for k in keys {
            prop_assert_eq!(a.owner(k), b.owner(k));
            prop_assert_eq!(a.preference_list(k, r), b.preference_list(k, r));
        }
    }

    #[test]
    fn a_join_moves_keys_only_to_the_new_node(
        kind in minimal(), members in membership(), new in 0u32..80, vnodes in 1u32..50,
        keys in proptest::collection::vec(any::<u64>(), 1..200),
    ) {
        let new = NodeId(new);
        prop_assume!(!members.contains(&new));
        let before = Placer::new(kind, &members, vnodes, &[]);
        let mut grown = members.clone();
        grown.push(new);
        let after = Placer::new(kind, &grown, vnodes, &[]);
        for k in keys {
            let (b, a) = (before.owner(k), after.owner(k));
            prop_assert!(a == b || a == Some(new), "{:?} -> {:?}", b, a);
        }
    }

    #[test]
    fn a_leave_moves_only_the_leavers_keys(
        kind in minimal(), members in membership(), pick in any::<prop::sample::Index>(),
        vnodes in 1u32..50, keys in proptest::collection::vec(any::<u64>(), 1..200),
    ) {
        prop_assume!(members.len() > 1);
        let gone = members[pick.index(members.len())];
        let before = Placer::new(kind, &members, vnodes, &[]);
        let shrunk: Vec<NodeId> = members.iter().copied().filter(|&n| n != gone).collect();
        let after = Placer::new(kind, &shrunk, vnodes, &[]);
        for k in keys {
            let (b, a) = (before.owner(k), after.owner(k));
            prop_assert!(a == b || b == Some(gone), "{:?} -> {:?}", b, a);
        }
    }

    #[test]
    fn jump_hash_is_minimal_for_joins_and_leaves_at_the_end(
        members in membership(), keys in proptest::collection::vec(any::<u64>(), 1..200),
    ) {
        let last = *members.last().expect("non-empty");
        let new = NodeId(last.0 + 1);
        let before = Placer::new(PlacementKind::Jump, &members, 1, &[]);
        let mut grown = members.clone();
        grown.push(new);
        let after = Placer::new(PlacementKind::Jump, &grown, 1, &[]);
        for &k in &keys {
            let (b, a) = (before.owner(k), after.owner(k));
            prop_assert!(a == b || a == Some(new));
        }
        // Leaving is the same step backwards: `after` -> `before`.
        for k in keys {
            let (b, a) = (after.owner(k), before.owner(k));
            prop_assert!(a == b || b == Some(new));
        }
    }

    #[test]
    fn preference_lists_have_r_distinct_nodes_when_r_exist(
        kind in kind(), members in membership(), r in 1usize..6, vnodes in 1u32..20,
        weights in proptest::collection::vec(0.1f64..4.0, 0..64),
        keys in proptest::collection::vec(any::<u64>(), 1..50),
    ) {
        let placer = Placer::new(kind, &members, vnodes, &weights);
        for k in keys {
            let list = placer.preference_list(k, r);
            prop_assert_eq!(list.len(), r.min(members.len()));
            let distinct: BTreeSet<NodeId> = list.iter().copied().collect();
            prop_assert_eq!(distinct.len(), list.len());
            prop_assert!(list.iter().all(|n| members.contains(n)));
            prop_assert_eq!(list.first().copied(), placer.owner(k));
        }
    }
}
