//! The command line, as clap types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Faultline: a deterministic simulator and teaching lab for distributed systems.
///
/// Exit codes: 0 success (for runs: the expected outcome), 1 a check failed
/// (or a replay did not reproduce), 2 bad input, 3 an output could not be
/// written (or an internal error).
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario once and print a summary.
    Run(RunArgs),
    /// Run a scenario over a range of seeds in parallel (a seed sweep).
    Check(CheckArgs),
    /// Re-run a replay file and verify its fingerprint and outcome.
    Replay(ReplayArgs),
    /// List algorithms (parameters, bug variants, invariants) and scenarios.
    List(ListArgs),
    /// Run a scenario and export its trace (JSON lines or Chrome/Perfetto JSON).
    Export(ExportArgs),
    /// Merge the --summary-json files of the shards of one sweep.
    MergeSummaries(MergeArgs),
    /// Check a history file for linearizability.
    CheckHistory(CheckHistoryArgs),
    /// Sweep every bug variant's scenario, minimise the first catch, and
    /// write the bug zoo table.
    Zoo(ZooArgs),
    /// Run several scenarios on one fault schedule and workload, and compare
    /// them (latency, messages per operation, unavailability after faults).
    Compare(CompareArgs),
    /// Open the lab, the desktop GUI (docs/gui.md).
    Gui(GuiArgs),
    /// Search every order of steps of a small scenario with an `[explore]`
    /// table, for a violation (docs/explore.md).
    Explore(ExploreArgs),
    /// Print a scenario's guided tour: each step's narration and the run's
    /// state there (docs/gui.md "Guided tours").
    Tour(TourArgs),
}

#[derive(Debug, Args)]
pub struct TourArgs {
    /// The scenario file (it must have `[[tour]]` steps).
    pub scenario: PathBuf,
    /// The seed (default: the scenario's `seed`, the one the tour is
    /// written for).
    #[arg(long, value_parser = crate::args::parse_seed_arg)]
    pub seed: Option<u64>,
    /// Instead of the tour, list what a tour step can be anchored at in
    /// this run: reported events, faults, the first delivery of each
    /// message kind, a violation (for writing a tour; the file needs no
    /// tour then).
    #[arg(long)]
    pub anchors: bool,
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// The scenario file (it must have an `[explore]` table).
    pub scenario: PathBuf,
    /// The search order (default: the file's `strategy`, else bfs).
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// Steps on a path (default: the file's `max_depth`, else 30).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(faultline_algorithms::scenario::MAX_DEPTH)))]
    pub max_depth: Option<u32>,
    /// Stop, not exhaustive, after this many distinct states (default: the
    /// file's `max_states`, else 1,000,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_states: Option<u64>,
    /// Random walks to take (random strategy; default: the file's `walks`,
    /// else 10,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub walks: Option<u64>,
    /// Threads (default: the number of CPUs). The result does not depend
    /// on it; depth-first search uses one.
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Where to write the replay file of a violation (default:
    /// `faultline-failures/NAME-explored.toml`, NAME the scenario file's).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

/// Search orders of `faultline explore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// Breadth-first: a shortest path to a violation.
    Bfs,
    /// Depth-first with the depth bound, one thread, little memory.
    Dfs,
    /// Random walks to the depth bound, for spaces too big to exhaust.
    Random,
    /// Random walks in which each walk weights the sources of steps (links,
    /// nodes' timers, faults) its own way: reaches deeper interleavings.
    Swarm,
    /// Breadth-first, keeping only states that bring some pair of nodes
    /// into local states never seen together: deep paths, not exhaustive.
    Novelty,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The scenarios to compare (the first one's faults, network and
    /// clients are shared by all).
    #[arg(required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
    /// The seed (default: the first scenario's `seed`).
    #[arg(long, value_parser = crate::args::parse_seed_arg)]
    pub seed: Option<u64>,
    /// Take the fault schedule from this scenario or replay file instead of
    /// the first scenario (its faults for the seed, nemesis included).
    #[arg(long)]
    pub faults: Option<PathBuf>,
    /// Also write the table as Markdown to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

#[derive(Debug, Args)]
pub struct GuiArgs {
    /// The scenario (or replay) file (default: the last one opened, else
    /// scenarios/gossip/basic.toml).
    pub scenario: Option<PathBuf>,
    /// The seed (default: the scenario's `seed`).
    #[arg(long, value_parser = crate::args::parse_seed_arg)]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ZooArgs {
    /// Seeds per bug variant (a sweep of 0..N).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// Parallel runs (default: the number of CPUs).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// The folder of scenarios to search for bug scenarios.
    #[arg(long, default_value = "scenarios")]
    pub dir: PathBuf,
    /// Where the minimised bug scenarios are written.
    #[arg(long, default_value = "scenarios/bugs")]
    pub save: PathBuf,
    /// Also write the table, with an explanation, as Markdown to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Trial runs allowed for minimising each catch.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub shrink_runs: u64,
}

/// Output format of summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// Aligned text for people.
    Text,
    /// One JSON object for scripts.
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario (or replay) file.
    pub scenario: PathBuf,
    /// The seed (default: the scenario's `seed`).
    #[arg(long, value_parser = crate::args::parse_seed_arg)]
    pub seed: Option<u64>,
    /// Stop at this simulated time (e.g. "2s"); end-of-run checks are skipped.
    #[arg(long, value_parser = crate::args::parse_duration_arg)]
    pub until: Option<std::time::Duration>,
    /// Write the full trace as JSON lines to this file.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Write the client history as JSON lines (for `faultline check-history`).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
    /// After a violation, print why it happened: the faults in its causal
    /// past and the chain of latest messages that led to it (text format).
    #[arg(long)]
    pub why: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Seeds to run: `A..B` (A included, B not), `A..=B`, or one seed `N`.
    #[arg(long, value_parser = crate::args::parse_seed_range)]
    pub seeds: crate::args::SeedRange,
    /// Parallel runs (default: the number of CPUs).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Run only shard I of N (0-based): the seeds A+I, A+I+N, A+I+2N, ...
    #[arg(long, value_parser = crate::args::parse_shard)]
    pub shard: Option<crate::args::Shard>,
    /// Go on after a seed fails its expected outcome (default: stop at the
    /// lowest failing seed; the seeds before it are all run, those after it
    /// not counted, whatever --jobs is).
    #[arg(long)]
    pub keep_going: bool,
    /// Directory for the replay files of failing seeds.
    #[arg(long, default_value = "faultline-failures")]
    pub out: PathBuf,
    /// Write a machine-readable summary (mergeable across shards) here.
    #[arg(long)]
    pub summary_json: Option<PathBuf>,
    /// Write failing seeds as they ran, without minimising them first.
    #[arg(long)]
    pub no_shrink: bool,
    /// Trial runs allowed for minimising each failing seed.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub shrink_runs: u64,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A replay file written by `faultline check`.
    pub file: PathBuf,
    /// Also write the full trace as JSON lines to this file.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The folder of scenarios to walk.
    #[arg(long, default_value = "scenarios")]
    pub dir: PathBuf,
}

/// Trace export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per trace record.
    Jsonl,
    /// Chrome trace event format (opens in Perfetto and chrome://tracing).
    Chrome,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The scenario (or replay) file to run.
    pub scenario: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The seed (default: the scenario's `seed`).
    #[arg(long, value_parser = crate::args::parse_seed_arg)]
    pub seed: Option<u64>,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The summaries, one per shard.
    #[arg(required = true)]
    pub summaries: Vec<PathBuf>,
    /// Write the merged summary here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckHistoryArgs {
    /// The history: Faultline JSON lines, a Jepsen etcd log or an EDN key-value history.
    pub file: PathBuf,
    /// The model: register, cas-register, kv or consensus.
    #[arg(long)]
    pub model: String,
    /// Give up (verdict undecided) after this many search steps; the
    /// default is the budget of the scenarios' linearizability check.
    #[arg(long, default_value_t = faultline_algorithms::scenario::outcome::LINEARIZABILITY_STEPS)]
    pub max_steps: u64,
    /// Also give up (verdict undecided) after this much wall time, e.g. "30s".
    #[arg(long, value_parser = crate::args::parse_duration_arg)]
    pub time_limit: Option<std::time::Duration>,
    /// The checks to run, comma-separated: linearizability (the default),
    /// and for --model kv also durability, sessions, stale-reads.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "linearizability"
    )]
    pub check: Vec<HistoryCheck>,
}

/// A check `faultline check-history` can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum HistoryCheck {
    /// Linearizability against the model.
    Linearizability,
    /// No acknowledged write lost (kv).
    Durability,
    /// The four session guarantees (kv).
    Sessions,
    /// No stale read (kv); prints the staleness measured.
    StaleReads,
}
