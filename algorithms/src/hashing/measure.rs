//! The measurements of the lesson's table: how evenly a placement spreads
//! keys, and how many keys move when one node joins or leaves.
//!
//! Keys are the integers `0..keys` hashed with [`hash_bytes`] of their
//! little-endian bytes; nodes are `n0..n(n-1)`. `cargo bench --bench hashing
//! -- table` prints the table from these functions.

use super::hash::hash_bytes;
use super::placement::{PlacementKind, Placer};
use faultline_sim::NodeId;

/// Load balance of one placement over a key set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadStats {
    /// Keys on the most loaded node divided by the mean.
    pub max_over_mean: f64,
    /// Standard deviation of per-node key counts divided by the mean.
    pub std_dev_over_mean: f64,
}

/// One row of the lesson's table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Placement function.
    pub kind: PlacementKind,
    /// Nodes before the change.
    pub nodes: u32,
    /// Virtual nodes per node (ring only).
    pub vnodes: Option<u32>,
    /// Load balance at `nodes` nodes.
    pub load: LoadStats,
    /// Fraction of keys whose owner changed when node `n<nodes>` joined.
    pub moved_on_join: f64,
    /// Fraction of keys whose owner changed when the last node left.
    pub moved_on_leave: f64,
}

fn members(n: u32) -> Vec<NodeId> {
    (0..n).map(NodeId).collect()
}

fn key(i: u64) -> u64 {
    hash_bytes(&i.to_le_bytes())
}

/// Load statistics of `placer` over `keys` keys.
pub fn load_stats(placer: &Placer, keys: u64) -> LoadStats {
    let members = placer.members();
    let mut counts = vec![0u64; members.iter().map(|n| n.index() + 1).max().unwrap_or(0)];
    for i in 0..keys {
        if let Some(owner) = placer.owner(key(i)) {
            counts[owner.index()] += 1;
        }
    }
    let loads: Vec<f64> = members.iter().map(|n| counts[n.index()] as f64).collect();
    let mean = keys as f64 / loads.len() as f64;
    let max = loads.iter().cloned().fold(0.0, f64::max);
    let variance = loads.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / loads.len() as f64;
    LoadStats {
        max_over_mean: max / mean,
        std_dev_over_mean: variance.sqrt() / mean,
    }
}

/// Fraction of `keys` keys whose owner differs between two placements.
pub fn moved_fraction(before: &Placer, after: &Placer, keys: u64) -> f64 {
    let moved = (0..keys)
        .filter(|&i| {
            let h = key(i);
            before.owner(h) != after.owner(h)
        })
        .count();
    moved as f64 / keys as f64
}

/// Measures one row: `nodes` nodes, a join of node `nodes`, and a leave of
/// node `nodes - 1` (the last one, the only cheap leave for jump hashing).
pub fn measure(kind: PlacementKind, nodes: u32, vnodes: u32, keys: u64) -> Row {
    let base = Placer::new(kind, &members(nodes), vnodes, &[]);
    let grown = Placer::new(kind, &members(nodes + 1), vnodes, &[]);
    let shrunk = Placer::new(kind, &members(nodes - 1), vnodes, &[]);
    Row {
        kind,
        nodes,
        vnodes: (kind == PlacementKind::Ring).then_some(vnodes),
        load: load_stats(&base, keys),
        moved_on_join: moved_fraction(&base, &grown, keys),
        moved_on_leave: moved_fraction(&base, &shrunk, keys),
    }
}

/// Every row of the lesson's table, in order: ring at 1/10/100/1000 virtual
/// nodes, then rendezvous, jump and modulo, for 10 and 100 nodes.
pub fn table(keys: u64) -> Vec<Row> {
    let mut rows = Vec::new();
    for nodes in [10, 100] {
        for vnodes in [1, 10, 100, 1000] {
            rows.push(measure(PlacementKind::Ring, nodes, vnodes, keys));
        }
        for kind in [
            PlacementKind::Rendezvous,
            PlacementKind::Jump,
            PlacementKind::Modulo,
        ] {
            rows.push(measure(kind, nodes, 1, keys));
        }
    }
    rows
}

/// The table as Markdown, as pasted into the lesson.
pub fn markdown(rows: &[Row], keys: u64) -> String {
    let mut out = String::from(
        "| placement | nodes | vnodes | max/mean load | std dev / mean | moved on join (ideal) | moved on leave (ideal) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {:.1}% | {:.2}% ({:.2}%) | {:.2}% ({:.2}%) |\n",
            r.kind.name(),
            r.nodes,
            r.vnodes.map_or("-".to_string(), |v| v.to_string()),
            r.load.max_over_mean,
            r.load.std_dev_over_mean * 100.0,
            r.moved_on_join * 100.0,
            100.0 / (r.nodes + 1) as f64,
            r.moved_on_leave * 100.0,
            100.0 / r.nodes as f64,
        ));
    }
    out.push_str(&format!("\n{keys} keys per measurement.\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_nodes_even_out_the_ring() {
        let one = measure(PlacementKind::Ring, 10, 1, 50_000);
        let many = measure(PlacementKind::Ring, 10, 200, 50_000);
        assert!(one.load.max_over_mean > 1.5, "{one:?}");
        assert!(many.load.max_over_mean < 1.2, "{many:?}");
    }

    #[test]
    fn consistent_schemes_move_about_one_nth_and_modulo_moves_almost_all() {
        for kind in [PlacementKind::Rendezvous, PlacementKind::Jump] {
            let row = measure(kind, 10, 1, 50_000);
            assert!((0.07..0.12).contains(&row.moved_on_join), "{row:?}");
            assert!((0.08..0.13).contains(&row.moved_on_leave), "{row:?}");
        }
        let ring = measure(PlacementKind::Ring, 10, 100, 50_000);
        assert!((0.06..0.13).contains(&ring.moved_on_join), "{ring:?}");
        let modulo = measure(PlacementKind::Modulo, 10, 1, 50_000);
        assert!(modulo.moved_on_join > 0.85, "{modulo:?}");
    }
}
