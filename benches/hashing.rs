//! Consistent-hashing numbers for `docs/lessons/consistent-hashing.md`.
//!
//! ```sh
//! cargo bench --bench hashing             # both parts
//! cargo bench --bench hashing -- table    # the load / movement table only
//! cargo bench --bench hashing -- lookups  # placement lookups per second only
//! ```
//!
//! The table is deterministic (fixed hash, fixed keys) and prints as
//! Markdown, ready to paste into the lesson. Lookups per second are wall
//! clock measurements of `Placer::owner` on precomputed key hashes at 100
//! nodes (the ring with 100 virtual nodes each), best of five rounds.

use faultline_algorithms::hashing::hash::hash_bytes;
use faultline_algorithms::hashing::measure;
use faultline_algorithms::hashing::{PlacementKind, Placer};
use faultline_sim::NodeId;
use std::hint::black_box;
use std::time::Instant;

const TABLE_KEYS: u64 = 1_000_000;

fn table() {
    let started = Instant::now();
    let rows = measure::table(TABLE_KEYS);
    println!("{}", measure::markdown(&rows, TABLE_KEYS));
    eprintln!(
        "(table computed in {:.1}s)",
        started.elapsed().as_secs_f64()
    );
}

fn lookups() {
    let members: Vec<NodeId> = (0..100).map(NodeId).collect();
    let keys: Vec<u64> = (0..1_000_000u64)
        .map(|i| hash_bytes(&i.to_le_bytes()))
        .collect();
    println!("| placement (100 nodes) | lookups/s | ns/lookup |");
    println!("|---|---:|---:|");
    for (kind, label) in [
        (
            PlacementKind::Ring,
            "ring, 100 vnodes (binary search over 10,000 points)",
        ),
        (PlacementKind::Rendezvous, "rendezvous (100 scores per key)"),
        (PlacementKind::Jump, "jump"),
        (PlacementKind::Modulo, "modulo"),
    ] {
        let placer = Placer::new(kind, &members, 100, &[]);
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let started = Instant::now();
            let mut sum = 0u64;
            for &k in &keys {
                sum = sum.wrapping_add(placer.owner(black_box(k)).map_or(0, |n| n.0 as u64));
            }
            black_box(sum);
            best = best.min(started.elapsed().as_secs_f64());
        }
        let per_second = keys.len() as f64 / best;
        println!(
            "| {label} | {:.1} M | {:.1} |",
            per_second / 1e6,
            1e9 / per_second
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; anything else selects a part.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = args.is_empty();
    if all || args.iter().any(|a| a == "table") {
        table();
    }
    if all || args.iter().any(|a| a == "lookups") {
        lookups();
    }
}
