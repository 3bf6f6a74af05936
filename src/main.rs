//! `faultline`: run scenarios, sweep seeds, replay failures, export traces.
//!
//! Every command returns whether its checks held, or an error. Exit codes
//! (docs/cli.md):
//!
//! - 0: success;
//! - 1: a check failed (an unexpected outcome, a failing seed, a replay
//!   that did not reproduce, a history that is not linearizable);
//! - 2: bad input: a scenario, history, trace, summary or replay file that
//!   cannot be read or says something wrong, a bad argument (clap's own
//!   usage errors exit with 2 as well);
//! - 3: an output could not be written (the file is named), or an internal
//!   error ([`error::Failure`]).
//!
//! Every file is written atomically, through [`atomic`].

/// `println!` that returns a failure to write standard output (a closed
/// pipe, a full disk) as an error, exit 3, instead of panicking.
macro_rules! outln {
    () => {
        $crate::error::print_stdout(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::error::print_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` like [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::error::print_stdout(format_args!($($arg)*))?
    };
}

/// `eprintln!` that ignores a standard error that cannot be written: a
/// message that cannot be shown is no reason to stop.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::error::print_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod args;
mod atomic;
mod check;
mod cli;
mod compare;
mod error;
mod explore;
mod export;
mod history;
mod list;
mod merge;
mod run;
mod tour;
mod zoo;

use clap::Parser;
use cli::{Cli, Command};
use faultline_algorithms::scenario::ScenarioError;
use std::process::ExitCode;

/// Opens the lab. A scenario named on the command line is bad input like
/// any other argument: it is checked before a window is asked for, so a
/// typo is reported as such even where there is no display.
fn gui(a: cli::GuiArgs) -> anyhow::Result<bool> {
    if let Some(path) = &a.scenario {
        faultline_algorithms::scenario::Scenario::load(path)?;
    }
    faultline_gui::run(faultline_gui::LaunchOptions {
        scenario: a.scenario,
        seed: a.seed,
        scenarios_dir: None,
    })
    .map(|()| true)
    .map_err(anyhow::Error::msg)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::check(a),
        Command::Replay(a) => run::replay(a),
        Command::List(a) => list::list(a),
        Command::Export(a) => export::export(a),
        Command::MergeSummaries(a) => merge::merge(a),
        Command::CheckHistory(a) => history::check_history(a),
        Command::Zoo(a) => zoo::zoo(a),
        Command::Compare(a) => compare::compare(a),
        Command::Gui(a) => gui(a),
        Command::Explore(a) => explore::explore(a),
        Command::Tour(a) => tour::tour(a),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(error::CHECK_FAILED),
        // Standard output closed early (`faultline list | head -3`): the
        // reader has what it wanted; stop quietly, with the I/O exit code.
        Err(e) if error::is_closed_stdout(&e) => ExitCode::from(error::FAILURE),
        Err(e) => {
            match e.downcast_ref::<ScenarioError>() {
                Some(s) => errln!("{s}"),
                None => errln!("error: {e:#}"),
            }
            ExitCode::from(error::exit_code(&e))
        }
    }
}
