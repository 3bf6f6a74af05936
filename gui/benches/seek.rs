//! Seeking in a long run, through the kernel handle the lab uses.
//!
//! Builds a ping storm of 50 nodes with 5,000 messages in flight, runs it
//! for 1,000,000 events, then seeks to pseudo-random events, backwards and
//! forwards, and reports the time per seek. The lab's promise: any event of
//! a million-event run in under 200 ms.
//!
//! `cargo bench -p faultline-gui --bench seek [-- EVENTS [SEEKS]]`

use faultline_algorithms::pingstorm::{PingStormParams, world};
use faultline_sim::{SimHandle, SimTime, TraceMode, WorldConfig};
use std::time::{Duration, Instant};

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let events = args.first().copied().unwrap_or(1_000_000);
    let seeks = args.get(1).copied().unwrap_or(200) as usize;
    println!("ping storm: 50 nodes, 5000 messages in flight, {events} events, {seeks} seeks");
    println!(
        "{:<12} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "trace", "snapshot", "run", "mean", "p50", "p99", "max"
    );
    for (trace, snapshot_every) in [
        (TraceMode::Full, 1_000),
        (TraceMode::Full, 10_000),
        (TraceMode::Fingerprint, 10_000),
    ] {
        let config = WorldConfig {
            seed: 1,
            servers: 50,
            end: SimTime::from_duration(Duration::from_secs(100_000)),
            trace,
            snapshot_every,
            ..WorldConfig::default()
        };
        let mut handle: Box<dyn SimHandle> = Box::new(world(
            config,
            &PingStormParams {
                initial: 5_000,
                bug: None,
            },
        ));
        let started = Instant::now();
        // Fingerprints at a few checkpoints of the straight run, to check
        // that seeking lands on exactly the same states.
        let checkpoints: Vec<u64> = (1..=4).map(|k| events * k / 5).collect();
        let mut expected = Vec::new();
        for &c in &checkpoints {
            handle.run_until_event(c);
            expected.push(handle.fingerprint());
        }
        handle.run_until_event(events);
        let run = started.elapsed();
        assert_eq!(handle.events(), events, "the storm ran {events} events");
        assert!(
            handle.in_flight().len() >= 4_900,
            "messages in flight: {}",
            handle.in_flight().len()
        );

        let mut rng = 42;
        let mut times: Vec<Duration> = Vec::with_capacity(seeks);
        for _ in 0..seeks {
            let target = splitmix(&mut rng) % (events + 1);
            let t = Instant::now();
            handle.seek(target);
            times.push(t.elapsed());
            assert_eq!(handle.events(), target);
        }
        for (&c, &fp) in checkpoints.iter().zip(&expected) {
            handle.seek(c);
            assert_eq!(handle.fingerprint(), fp, "seek to {c} reproduces the run");
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
        let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
        println!(
            "{:<12} {:>9} {:>9.2}s {:>8.2}ms {:>8.2}ms {:>8.2}ms {:>8.2}ms",
            format!("{trace:?}"),
            snapshot_every,
            run.as_secs_f64(),
            mean.as_secs_f64() * 1e3,
            pct(0.5).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
        );
    }
}
