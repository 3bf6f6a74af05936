//! Kernel benchmark: the "ping storm" workload on the Faultline kernel and,
//! as the floor, on a plain `BinaryHeap` loop with no tracing.
//!
//! Run with `cargo bench --bench kernel` (add `-- --quick` for a smaller run).
//!
//! Workload: 5 nodes; every delivery makes the receiver send one message to
//! a uniformly random other node; latency uniform 1–10 ms; 5 messages in
//! flight at the start; stop after 1,000,000 deliveries. Both loops draw from
//! the same ChaCha8 generator type, so the difference is the kernel's work:
//! handler dispatch through the `Process` trait and effects, per-link network
//! state, trace records and the running fingerprint, snapshots.
//!
//! Peak memory is the process's resident high-water mark (`VmHWM`), reset
//! before each measurement through `/proc/self/clear_refs`.

use faultline_algorithms::pingstorm::{self, PingStormParams};
use faultline_sim::{LatencyDist, LinkConfig, SimRng, SimTime, TraceMode, WorldConfig};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

const NODES: u32 = 5;

fn storm_config(seed: u64, trace: TraceMode, snapshot_every: u64) -> WorldConfig {
    WorldConfig {
        seed,
        servers: NODES,
        clients: 0,
        end: SimTime::MAX,
        link: LinkConfig {
            latency: LatencyDist::Uniform {
                min: Duration::from_millis(1),
                max: Duration::from_millis(10),
            },
            ..LinkConfig::default()
        },
        invariant_stride: 1,
        snapshot_every,
        trace,
        ..WorldConfig::default()
    }
}

/// Runs the storm on the kernel until `deliveries` deliveries; returns the
/// fingerprint (so the work cannot be optimised away).
fn kernel_storm(seed: u64, deliveries: u64, trace: TraceMode, snapshot_every: u64) -> u64 {
    let mut world = pingstorm::world(
        storm_config(seed, trace, snapshot_every),
        &PingStormParams {
            initial: 5,
            bug: None,
        },
    );
    while world.stats().delivered < deliveries && world.step() {}
    assert_eq!(world.stats().delivered, deliveries);
    world.fingerprint()
}

/// The same workload on a bare priority queue: no network model, no trace.
fn plain_storm(seed: u64, deliveries: u64) -> u64 {
    let mut rng = SimRng::stream(seed, "plain", 0);
    let mut queue: BinaryHeap<Reverse<(u64, u64, u32, u64)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let latency = |rng: &mut SimRng| rng.between(1_000_000, 10_000_000);
    let other = |rng: &mut SimRng, me: u32| {
        let to = rng.below(NODES as u64 - 1) as u32;
        if to >= me { to + 1 } else { to }
    };
    for i in 0..5u32 {
        let from = i % NODES;
        let to = other(&mut rng, from);
        queue.push(Reverse((latency(&mut rng), seq, to, 0)));
        seq += 1;
    }
    let mut delivered = 0;
    let mut checksum = 0u64;
    while let Some(Reverse((time, _, node, hops))) = queue.pop() {
        delivered += 1;
        checksum = checksum.wrapping_add(time ^ hops);
        if delivered == deliveries {
            break;
        }
        let to = other(&mut rng, node);
        queue.push(Reverse((time + latency(&mut rng), seq, to, hops + 1)));
        seq += 1;
    }
    checksum
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Measure {
    rate: f64,
    secs: f64,
    peak_mib: f64,
}

fn measure(repeats: usize, mut f: impl FnMut() -> u64, work: u64) -> Measure {
    reset_peak_rss();
    let mut best = f64::INFINITY;
    for _ in 0..repeats {
        let start = Instant::now();
        std::hint::black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
    }
    Measure {
        rate: work as f64 / best,
        secs: best,
        peak_mib: peak_rss_mib(),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--profile-kernel") {
        // Only the kernel loop, for `perf record`.
        std::hint::black_box(kernel_storm(1, 3_000_000, TraceMode::Fingerprint, 10_000));
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let deliveries: u64 = if quick { 100_000 } else { 1_000_000 };
    let repeats = if quick { 1 } else { 3 };
    println!(
        "ping storm: {NODES} nodes, latency uniform 1-10ms, 5 in flight, {deliveries} deliveries (best of {repeats})"
    );

    let plain = measure(repeats, || plain_storm(1, deliveries), deliveries);
    let kernel = measure(
        repeats,
        || kernel_storm(1, deliveries, TraceMode::Fingerprint, 10_000),
        deliveries,
    );
    let bare = measure(
        repeats,
        || kernel_storm(1, deliveries, TraceMode::Fingerprint, 0),
        deliveries,
    );
    let full = measure(
        1,
        || kernel_storm(1, deliveries, TraceMode::Full, 10_000),
        deliveries,
    );

    let row = |name: &str, m: &Measure| {
        println!(
            "  {name:<44} {:>12.0} deliveries/s  {:>7.3}s  peak RSS {:>7.1} MiB  {:>5.2}x plain",
            m.rate,
            m.secs,
            m.peak_mib,
            m.rate / plain.rate
        );
    };
    row("plain BinaryHeap loop (floor)", &plain);
    row("kernel, fingerprint, snapshots every 10k", &kernel);
    row("kernel, fingerprint, no snapshots", &bare);
    row("kernel, full trace kept, snapshots every 10k", &full);
    let simulated = kernel_sim_seconds(deliveries);
    println!(
        "  simulated time per run: {simulated:.1}s -> {:.0}x faster than real time",
        simulated / kernel.secs
    );

    // Seed sweep: 1,000 seeds of a 1,000-delivery storm, one thread.
    let seeds: u64 = if quick { 200 } else { 1_000 };
    let start = Instant::now();
    let mut acc = 0u64;
    for seed in 0..seeds {
        acc ^= kernel_storm(seed, 1_000, TraceMode::Fingerprint, 10_000);
    }
    std::hint::black_box(acc);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "seed sweep: {seeds} seeds x 1,000 deliveries, 1 thread: {:.0} seeds/s ({secs:.3}s)",
        seeds as f64 / secs
    );
}

fn kernel_sim_seconds(deliveries: u64) -> f64 {
    let mut world = pingstorm::world(
        storm_config(1, TraceMode::Fingerprint, 0),
        &PingStormParams {
            initial: 5,
            bug: None,
        },
    );
    while world.stats().delivered < deliveries && world.step() {}
    world.now().as_secs_f64()
}
