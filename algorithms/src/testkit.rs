//! Test helpers shared by the algorithms' tests: loading shipped scenarios
//! and holding each bug variant to its scenario.

use crate::algorithm::{Algorithm, BugVariant, world};
use crate::family::{KvFamily, KvWorkload, OpMix};
use crate::scenario::Scenario;
use faultline_sim::{Invariant, Process, SimTime, World, WorldConfig, WorldRef};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A run of a key-value algorithm `A` with `params` to its end: five
/// servers, three clients on two keys with every operation kind (reads
/// weighted most), every invariant checked, no faults.
pub fn run_kv<A>(seed: u64, params: A::Params, seconds: u64) -> World<A::Node>
where
    A: Algorithm<Node: Process<Family = KvFamily>>,
{
    run_kv_with::<A>(seed, params, seconds, |invariants| invariants)
}

/// [`run_kv`] with every invariant wrapped in a [`probe_memory`]: the run,
/// and what each invariant remembered along it.
pub fn run_kv_probed<A>(seed: u64, params: A::Params, seconds: u64) -> (World<A::Node>, Memories)
where
    A: Algorithm<Node: Process<Family = KvFamily>>,
{
    let memories = Memories::default();
    let log = memories.clone();
    let w = run_kv_with::<A>(seed, params, seconds, move |invariants| {
        probe_memory(invariants, &log)
    });
    (w, memories)
}

fn run_kv_with<A>(
    seed: u64,
    params: A::Params,
    seconds: u64,
    wrap: impl FnOnce(Vec<Box<dyn Invariant<A::Node>>>) -> Vec<Box<dyn Invariant<A::Node>>>,
) -> World<A::Node>
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
    let invariants = wrap(A::invariants(&shared));
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

/// What each invariant of a run remembered: per invariant name, the values
/// its [`Invariant::memory`] took, in order, from before the first check
/// (consecutive repeats merged).
pub type Memories = Arc<Mutex<BTreeMap<String, Vec<u64>>>>;

/// Wraps each invariant so that its memory is recorded into `log` after
/// every check, and checks that a copy of it remembers the same.
pub fn probe_memory<P: Process>(
    invariants: Vec<Box<dyn Invariant<P>>>,
    log: &Memories,
) -> Vec<Box<dyn Invariant<P>>> {
    invariants
        .into_iter()
        .map(|inner| {
            log.lock()
                .unwrap()
                .insert(inner.name().to_string(), vec![inner.memory()]);
            Box::new(MemoryProbe {
                inner,
                log: log.clone(),
            }) as Box<dyn Invariant<P>>
        })
        .collect()
}

struct MemoryProbe<P: Process> {
    inner: Box<dyn Invariant<P>>,
    log: Memories,
}

impl<P: Process> Invariant<P> for MemoryProbe<P> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn description(&self) -> &str {
        self.inner.description()
    }
    fn check(&mut self, world: &WorldRef<'_, P>) -> Result<(), String> {
        let verdict = self.inner.check(world);
        let memory = self.inner.memory();
        assert_eq!(
            self.inner.clone_box().memory(),
            memory,
            "{}: a copy remembers the same",
            self.inner.name()
        );
        let mut log = self.log.lock().unwrap();
        let seen = log.entry(self.inner.name().to_string()).or_default();
        if seen.last() != Some(&memory) {
            seen.push(memory);
        }
        verdict
    }
    fn at_end(&mut self, world: &WorldRef<'_, P>) -> Result<(), String> {
        self.inner.at_end(world)
    }
    fn clone_box(&self) -> Box<dyn Invariant<P>> {
        Box::new(MemoryProbe {
            inner: self.inner.clone_box(),
            log: self.log.clone(),
        })
    }
    fn memory(&self) -> u64 {
        self.inner.memory()
    }
}

/// Each of `names` remembered something new during the run: its memory
/// took more than one value.
pub fn assert_memory_learns(memories: &Memories, names: &[&str]) {
    let log = memories.lock().unwrap();
    for name in names {
        let seen = log
            .get(*name)
            .unwrap_or_else(|| panic!("no invariant {name}"));
        assert!(
            seen.len() > 1,
            "{name}: memory() never changed ({seen:?}), though the invariant learns as the run goes"
        );
    }
}
