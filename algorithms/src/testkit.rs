//! Test helpers shared by the algorithms' tests: loading shipped scenarios
//! and holding each bug variant to its scenario.

use crate::algorithm::{Algorithm, BugVariant, world};
use crate::family::{KvFamily, KvWorkload, OpMix};
use crate::scenario::Scenario;
use faultline_sim::{Process, SimTime, World, WorldConfig};
use std::path::Path;
use std::time::Duration;

/// A run of a key-value algorithm `A` with `params` to its end: five
/// servers, three clients on two keys with every operation kind (reads
/// weighted most), every invariant checked, no faults.
pub fn run_kv<A>(seed: u64, params: A::Params, seconds: u64) -> World<A::Node>
where
    A: Algorithm<Node: Process<Family = KvFamily>>,
{
    let cfg = WorldConfig {
        seed,
        servers: 5,
        clients: 3,
        end: SimTime::from_duration(Duration::from_secs(seconds)),
        ..WorldConfig::default()
    };
    let shared = A::prepare(params, "", &cfg).unwrap_or_else(|e| panic!("{e}"));
    let invariants = A::invariants(&shared);
    let workload = KvWorkload {
        keys: 2,
        mix: OpMix {
            get: 3,
            put: 1,
            append: 2,
            cas: 1,
        },
        ..KvWorkload::default()
    };
    let mut w = world::<A>(cfg, shared, invariants)
        .unwrap()
        .with_workload(workload);
    w.run();
    w
}

/// The shipped scenario `scenarios/<folder>/<file>`.
pub fn scenario(folder: &str, file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(folder)
        .join(file);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Every bug variant of `B` has a scenario in `folder` (one per row of
/// `table`: file, the check that catches it, within how many seeds from
/// 0); its `expect` and the bug's `caught_by` name that check; a sweep
/// catches it within the stated seeds; and the same file without the bug
/// passes those seeds and its own.
pub fn assert_bugs_caught<B: BugVariant>(folder: &str, table: &[(&str, &str, u64)]) {
    assert_eq!(B::ALL.len(), table.len(), "one row per bug variant");
    for &(file, check, within) in table {
        let buggy = scenario(folder, file);
        assert_eq!(buggy.expect.name(), check, "{file}");
        let bug = buggy.planted_bug().expect("plants a bug");
        let info = B::ALL
            .iter()
            .find(|b| b.name == bug)
            .unwrap_or_else(|| panic!("{file} plants {bug}, which is not listed"));
        assert_eq!(info.caught_by, check, "{file}");
        let first = (0..within).find(|&seed| buggy.run_seed(seed).unwrap().matches(&buggy.expect));
        assert!(first.is_some(), "{file}: not caught within {within} seeds");
        let fixed = buggy.without_bug().unwrap();
        for seed in (0..within).chain([buggy.seed]) {
            let report = fixed.run_seed(seed).unwrap();
            assert!(
                report.matches(&fixed.expect),
                "{file} without its bug, seed {seed}: {:?}",
                report.failure
            );
        }
    }
}
