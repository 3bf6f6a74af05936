//! Tests of asynchronous read replicas.

use super::*;
use crate::testkit::scenario;

#[test]
#[ignore]
fn probe() {
    let files = std::env::var("PROBE").unwrap_or_default();
    let seeds: u64 = std::env::var("SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    for f in files.split(',') {
        let s = scenario("async-replica", f);
        let mut bad = 0;
        for seed in 0..seeds {
            let r = s.run_seed(seed).unwrap();
            let ok = r.matches(&s.expect);
            if !ok {
                bad += 1;
            }
            println!("{f} seed {seed}: {} {:?} {} ev {} {:?}", if ok { "ok" } else { "MISMATCH" }, r.failure.as_ref().map(|f| (f.check.clone(), f.reason.chars().take(200).collect::<String>())), r.weak.as_ref().map_or(String::new(), |w| format!("{} / {}", w.durability.summary(), w.sessions.summary(&[faultline_checker::weak::Guarantee::ReadYourWrites]))), r.events, r.stats);
        }
        if let Ok(fixed) = s.without_bug() {
            if s.planted_bug().is_some() {
                for seed in 0..seeds {
                    let r = fixed.run_seed(seed).unwrap();
                    println!("{f} WITHOUT BUG seed {seed}: {:?}", r.failure.as_ref().map(|f| (f.check.clone(), f.reason.chars().take(200).collect::<String>())));
                }
            }
        }
        println!("{f}: {bad} mismatches");
    }
    let _ = AsyncReplica;
}

#[test]
#[ignore]
fn probe_notes() {
    let f = std::env::var("PROBE").unwrap_or_default();
    let s = scenario("async-replica", &f);
    let seed = std::env::var("SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(s.seed);
    let mut handle = s.build(seed, faultline_sim::TraceMode::Full).unwrap();
    handle.run();
    if std::env::var("OPS").is_ok() {
        for i in 0..handle.op_count() {
            println!("{:?} {:?}", handle.op_timing(i), handle.describe_op(i));
        }
    }
    for r in handle.records() {
        if let faultline_sim::RecordKind::Note { node, text } = &r.kind {
            println!("{:?} {node} {text}", r.time);
        }
    }
}
