//! Checks every Jepsen etcd history in the shared test data and reports the
//! total time, the slowest file and how many files got each verdict; then
//! the key-value histories, with the weak checkers' time and findings.
//!
//! Run with `cargo bench -p faultline-checker --bench etcd`. Targets: all
//! 102 files in under 10 s, none over 2 s (release build).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use faultline_checker::weak::check_weak;
use faultline_checker::{Budget, Verdict, check_history_file, read_kv_history_file};

fn main() {
    let directory = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    let mut slowest = (String::new(), Duration::ZERO);
    let mut total = Duration::ZERO;
    let mut files = 0;
    for number in 0..=102 {
        if number == 95 {
            continue; // the cluster never started: an empty log
        }
        let name = format!("etcd_{number:03}.log");
        let path = directory.join("etcd").join(&name);
        let started = Instant::now();
        let report = check_history_file(&path, "cas-register", Budget::unlimited())
            .unwrap_or_else(|error| panic!("{error}"));
        let elapsed = started.elapsed();
        total += elapsed;
        files += 1;
        if elapsed > slowest.1 {
            slowest = (name, elapsed);
        }
        let verdict = match report.result.verdict {
            Verdict::Linearizable => "linearizable".to_string(),
            Verdict::NotLinearizable => "not linearizable".to_string(),
            Verdict::Unknown { .. } => "unknown".to_string(),
        };
        *verdicts.entry(verdict).or_default() += 1;
    }
    println!(
        "etcd: {files} histories checked in {:.3} s (read + check)",
        total.as_secs_f64()
    );
    println!(
        "slowest: {} in {:.3} ms",
        slowest.0,
        slowest.1.as_secs_f64() * 1e3
    );
    for (verdict, count) in &verdicts {
        println!("  {verdict}: {count}");
    }
    for name in [
        "c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad",
    ] {
        let path = directory.join("kv").join(format!("{name}.txt"));
        let started = Instant::now();
        let report = check_history_file(&path, "kv", Budget::unlimited())
            .unwrap_or_else(|error| panic!("{error}"));
        println!(
            "kv {name}: {:?} in {:.3} ms",
            report.result.verdict,
            started.elapsed().as_secs_f64() * 1e3
        );
        let history = read_kv_history_file(&path).unwrap_or_else(|error| panic!("{error}"));
        let started = Instant::now();
        let weak = check_weak(&history);
        println!(
            "   weak checks on {} operations: {:.3} ms ({} lost, {} session violations, {} stale reads)",
            history.len(),
            started.elapsed().as_secs_f64() * 1e3,
            weak.durability.lost.len(),
            weak.sessions.violations.len(),
            weak.staleness.stale.len()
        );
    }
}
