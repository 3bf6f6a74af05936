//! # Scenarios: experiments as files
//!
//! A scenario file (TOML, `scenarios/<algorithm>/*.toml`) describes one
//! experiment: the algorithm and its parameters, the cluster, the network,
//! the clients, a timed fault schedule, a random nemesis, the checks, and
//! the outcome the author expects. The same format, with a `[replay]` table
//! and a concrete fault schedule, saves a failing run for replay. The full
//! reference is `docs/scenarios.md`.
//!
//! This module owns:
//!
//! - parsing and validation ([`Scenario::load`], [`Scenario::parse`]): strict
//!   (unknown fields, wrong types, impossible values are errors) and precise
//!   (every error names the file, line and column, what was found and what
//!   was expected) — [`ScenarioError`];
//! - the nemesis ([`nemesis`]): random faults generated up front from the
//!   seed's `"nemesis"` stream into a concrete schedule;
//! - building a run through the [registry](crate::registry)
//!   ([`Scenario::build`]) and judging it afterwards ([`outcome`]): invariant
//!   violations, linearizability of the client history, liveness after the
//!   last fault, against the expected outcome;
//! - replay files ([`replay`]).
//!
//! Nothing here reads a wall clock or iterates a hash map: a scenario and a
//! seed give one run.

pub mod compare;
mod error;
pub mod explore;
pub mod minimize;
pub mod nemesis;
pub mod outcome;
mod parse;
mod raw;
pub mod replay;
pub mod tour;

pub use error::{Location, ScenarioError, plain_toml_message};
pub use explore::{Counterexample, ExploreOverrides};
pub use minimize::Minimized;
pub use nemesis::{NemesisConfig, NemesisKind};
pub use outcome::{CheckFailure, LinearizabilityReport, LivenessReport, RunReport, op_timings};
pub use parse::{ExploreSpec, MAX_DEPTH};
pub use raw::parse_seed;
pub use replay::ReplayInfo;
pub use tour::{Anchor, Highlight, Tour, TourStep};

use crate::algorithm::AnyAlgorithm;
use faultline_checker::text::decode_utf8;
use faultline_sim::topology::Topology;
use faultline_sim::{
    AdversarySetup, ClientGroup, FaultSchedule, LinkConfig, NodeId, SimHandle, SimTime, TraceMode,
    WorkloadConfig, WorldConfig,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The outcome a scenario's author expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Every check holds.
    Pass,
    /// This check fails: an invariant's name, `linearizability` or `liveness`.
    Failure(String),
    /// Over a sweep, this check fails on at least a share of the seeds
    /// (`faultline check` judges the share); each run passes or fails it.
    Share {
        /// The check's name.
        outcome: String,
        /// The least share of seeds, in hundredths of a percent (5000 is 50%).
        at_least_basis_points: u32,
    },
}

impl Expectation {
    /// `pass` or the check's name, as written in scenario files.
    pub fn name(&self) -> &str {
        match self {
            Expectation::Pass => "pass",
            Expectation::Failure(name) | Expectation::Share { outcome: name, .. } => name,
        }
    }

    /// The expectation in words: `pass`, `convergence`, or
    /// `linearizability on at least 50% of seeds`.
    pub fn describe(&self) -> String {
        match self {
            Expectation::Share {
                outcome,
                at_least_basis_points,
            } => format!(
                "{outcome} on at least {} of seeds",
                format_percent(*at_least_basis_points)
            ),
            other => other.name().to_string(),
        }
    }

    /// Whether `matched` of `run` seeds ending in the named outcome meet a
    /// share expectation (always true for the others, judged per seed).
    pub fn share_met(&self, matched: u64, run: u64) -> bool {
        match self {
            Expectation::Share {
                at_least_basis_points,
                ..
            } => {
                u128::from(matched) * 10_000 >= u128::from(run) * u128::from(*at_least_basis_points)
            }
            _ => true,
        }
    }
}

/// `5000` as `50%`, `1250` as `12.5%`.
pub fn format_percent(basis_points: u32) -> String {
    let whole = basis_points / 100;
    match basis_points % 100 {
        0 => format!("{whole}%"),
        frac if frac % 10 == 0 => format!("{whole}.{}%", frac / 10),
        frac => format!("{whole}.{frac:02}%"),
    }
}

/// Which checks a run gets beside the kernel's invariants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checks {
    /// Invariants to check (`None`: all of the algorithm's).
    pub invariants: Option<Vec<String>>,
    /// Check invariants after every `stride` events.
    pub stride: u64,
    /// Check the client history for linearizability against the model of
    /// the algorithm's operation family.
    pub linearizability: bool,
    /// The liveness bound: after the last fault, every client operation
    /// invoked completes within it, and at least one completes ok.
    pub liveness: Option<Duration>,
    /// The linearizability search's step budget.
    pub linearizability_steps: u64,
    /// Check that no acknowledged write is lost (`durability = true`;
    /// kv-family algorithms only).
    pub durability: bool,
    /// The session guarantees to check (`sessions`); empty: none.
    pub sessions: Vec<faultline_checker::weak::Guarantee>,
    /// Check for stale reads beyond these bounds (`stale_reads`).
    pub stale_reads: Option<StaleBound>,
    /// Checks over time and coverage requirements (`[[checks.during]]`,
    /// `[[checks.happens]]`), in file order.
    pub over_time: Vec<faultline_sim::TimeCheck>,
}

/// The bounds of the `stale_reads` check: a read more than `max_versions`
/// versions behind, or (when set) older than `max_age`, fails it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StaleBound {
    /// Versions a read may be behind.
    pub max_versions: u64,
    /// How long a value read may have been out of date.
    pub max_age: Option<Duration>,
}

impl Checks {
    /// Whether any of the weak checks (durability, sessions, stale reads)
    /// is asked for.
    pub fn weak(&self) -> bool {
        self.durability || !self.sessions.is_empty() || self.stale_reads.is_some()
    }

    /// The outcome names the checks over time can give a run.
    pub fn over_time_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for c in &self.over_time {
            if !names.contains(&c.name.as_str()) {
                names.push(&c.name);
            }
        }
        names
    }
}

/// A validated scenario.
#[derive(Clone)]
pub struct Scenario {
    /// The file as the user named it (used in messages).
    pub file: String,
    /// The file's text (algorithms read `[params]` from it).
    pub text: String,
    /// Title.
    pub name: String,
    /// What the experiment shows.
    pub description: String,
    /// A lesson to read with it, if any.
    pub lesson: Option<String>,
    /// The algorithm's registry entry.
    pub algorithm: &'static dyn AnyAlgorithm,
    /// Number of servers.
    pub servers: u32,
    /// Number of clients.
    pub clients: u32,
    /// How long a run lasts (simulated).
    pub duration: Duration,
    /// The seed used when none is given.
    pub seed: u64,
    /// Settings of every link at the start.
    pub link: LinkConfig,
    /// The `[topology]`, if the file describes the network as regions and
    /// racks.
    pub topology: Option<Topology>,
    /// The topology's links as per-pair settings (empty without one).
    pub link_overrides: BTreeMap<(NodeId, NodeId), LinkConfig>,
    /// Client pacing (what clients ask for is read from `[clients]` by the
    /// algorithm's operation family when a run is built); with
    /// `[[clients]]` groups, the first group's.
    pub workload: WorkloadConfig,
    /// The `[[clients]]` groups, each with its count, pacing and pin (empty
    /// for a single unpinned `[clients]` table: `clients` and `workload`
    /// say everything).
    pub groups: Vec<ClientGroup>,
    /// The timed faults written in the file.
    pub faults: FaultSchedule,
    /// The random nemesis, if any.
    pub nemesis: Option<NemesisConfig>,
    /// Checks.
    pub checks: Checks,
    /// The expected outcome.
    pub expect: Expectation,
    /// Set when this file is a replay file.
    pub replay: Option<ReplayInfo>,
    /// The search and budgets of `faultline explore`, when the file has
    /// an `[explore]` table.
    pub explore: Option<ExploreSpec>,
    /// The guided tour (`[[tour]]` steps; empty when the file has none).
    pub tour: Tour,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("file", &self.file)
            .field("name", &self.name)
            .field("algorithm", &self.algorithm.name())
            .field("servers", &self.servers)
            .field("clients", &self.clients)
            .field("duration", &self.duration)
            .field("seed", &self.seed)
            .field("faults", &self.faults.len())
            .field("expect", &self.expect)
            .finish_non_exhaustive()
    }
}

/// The default number of servers.
pub const DEFAULT_SERVERS: u32 = 3;
/// The default run length.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);
/// The default seed.
pub const DEFAULT_SEED: u64 = 1;

impl Scenario {
    /// Reads and validates a scenario or replay file. The error names the
    /// file as given.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| ScenarioError::whole(&file, format!("cannot read the file: {e}")))?;
        Scenario::from_bytes(&file, &bytes)
    }

    /// Validates a scenario file's bytes, which must be UTF-8 text (an
    /// error is located at the first bad byte); `file` is the name used in
    /// errors.
    pub fn from_bytes(file: &str, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        let text = decode_utf8(bytes).map_err(|at| {
            let location = Location {
                line: at.line,
                column: at.column,
            };
            ScenarioError::located(file, Some(location), at.to_string())
        })?;
        Scenario::parse(file, text)
    }

    /// Validates scenario text; `file` is the name used in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        parse::parse(file, text, true)
    }

    /// Parses a scenario the tools derived from another (a shrunk or
    /// shortened schedule): as [`Scenario::parse`], except that a window
    /// of a check over time may name a fault kind the schedule no longer
    /// has (shrinking removes faults; such a window never opens).
    pub(crate) fn parse_derived(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        parse::parse(file, text, false)
    }

    /// The algorithm's registry name.
    pub fn algorithm_name(&self) -> &'static str {
        self.algorithm.name()
    }

    /// The run's end as an instant.
    pub fn end(&self) -> SimTime {
        SimTime::from_duration(self.duration)
    }

    /// The fault schedule of a run with `seed`: the file's faults and the
    /// nemesis's, in time order (ties: the file's first, then in list order).
    pub fn fault_schedule(&self, seed: u64) -> FaultSchedule {
        let mut all = self.faults.clone();
        if let Some(nemesis) = &self.nemesis {
            all.extend(nemesis.generate(seed, self.servers, &self.link));
        }
        all.sort_by_key(|f| f.at);
        all
    }

    /// The kernel configuration of a run with `seed`.
    pub fn world_config(&self, seed: u64, trace: TraceMode) -> WorldConfig {
        WorldConfig {
            seed,
            servers: self.servers,
            clients: self.clients,
            end: self.end(),
            link: self.link.clone(),
            link_overrides: self.link_overrides.clone(),
            workload: self.workload.clone(),
            groups: self.groups.clone(),
            faults: self.fault_schedule(seed),
            invariant_stride: self.checks.stride,
            trace,
            adversary: self.explore.map(|e| AdversarySetup {
                budgets: e.budgets,
                script: self
                    .replay
                    .as_ref()
                    .and_then(|r| r.steps.clone())
                    .unwrap_or_default(),
            }),
            ..WorldConfig::default()
        }
    }

    /// Whether this file is searched by `faultline explore` (it has an
    /// `[explore]` table) rather than run: a replay of a path the search
    /// found is run like any replay.
    pub fn is_search(&self) -> bool {
        self.explore.is_some() && self.replay.as_ref().is_none_or(|r| r.steps.is_none())
    }

    /// Builds a run with `config` (normally from [`Scenario::world_config`])
    /// through the algorithm's registry entry.
    pub fn build_with(&self, config: WorldConfig) -> Result<Box<dyn SimHandle>, ScenarioError> {
        self.algorithm
            .build_checked(
                &self.text,
                config,
                self.checks.invariants.as_deref(),
                &self.checks.over_time,
            )
            .map_err(|e| ScenarioError::from_toml(&self.file, &self.text, e.span, &e.message))
    }

    /// Builds a run with `seed`.
    pub fn build(&self, seed: u64, trace: TraceMode) -> Result<Box<dyn SimHandle>, ScenarioError> {
        self.build_with(self.world_config(seed, trace))
    }
}

/// Every `.toml` file under `dir` and its subfolders, sorted: the scenario
/// and replay files that `faultline list`, the zoo and the lab's picker
/// show. An unreadable folder is skipped.
pub fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod group_tests;
#[cfg(test)]
mod over_time_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod topology_tests;
#[cfg(test)]
mod tour_tests;
#[cfg(test)]
mod weak_tests;
