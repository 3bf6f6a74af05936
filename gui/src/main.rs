//! `faultline-lab [SCENARIO] [--seed N]`: the lab on its own (the CLI's
//! `faultline gui` does the same). Built for `wasm32`, the same binary is
//! the lab in a browser page (`scripts/web-build.sh`, `docs/web.md`).

#[cfg(not(target_arch = "wasm32"))]
use faultline_gui::LaunchOptions;
#[cfg(not(target_arch = "wasm32"))]
use std::path::PathBuf;
#[cfg(not(target_arch = "wasm32"))]
use std::process::ExitCode;

/// In a browser: start the lab in the page's canvas (the page calls this
/// when the module loads).
#[cfg(target_arch = "wasm32")]
fn main() {
    faultline_gui::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    let mut options = LaunchOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => match args
                .next()
                .map(|s| faultline_algorithms::scenario::parse_seed(&s))
            {
                Some(Ok(seed)) => options.seed = Some(seed),
                _ => return usage("--seed needs a number"),
            },
            "--scenarios" => match args.next() {
                Some(dir) => options.scenarios_dir = Some(PathBuf::from(dir)),
                None => return usage("--scenarios needs a folder"),
            },
            "-h" | "--help" => {
                println!("usage: faultline-lab [SCENARIO] [--seed N] [--scenarios DIR]");
                return ExitCode::SUCCESS;
            }
            other if !other.starts_with('-') && options.scenario.is_none() => {
                options.scenario = Some(PathBuf::from(other));
            }
            other => return usage(&format!("unexpected argument `{other}`")),
        }
    }
    match faultline_gui::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn usage(problem: &str) -> ExitCode {
    eprintln!("error: {problem}\nusage: faultline-lab [SCENARIO] [--seed N] [--scenarios DIR]");
    ExitCode::from(2)
}
