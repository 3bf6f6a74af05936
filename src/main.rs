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

mod args;
mod atomic;
mod check;
mod cli;
mod compare;
mod error;
mod export;
mod history;
mod list;
mod merge;
mod run;
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
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(error::CHECK_FAILED),
        Err(e) => {
            match e.downcast_ref::<ScenarioError>() {
                Some(s) => eprintln!("{s}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(error::exit_code(&e))
        }
    }
}
