//! What an error means for the exit code.
//!
//! Every command returns `anyhow::Result<bool>`: `Ok(true)` exits 0,
//! `Ok(false)` (a check failed) exits 1. An error is bad input (exit 2)
//! unless it is, or wraps, a [`Failure`]: an output that could not be
//! written, or Faultline itself failing (exit 3). Bad input is the user's
//! to fix (a scenario, an argument, the content of a history, trace or
//! replay file, a file that cannot be read); a failure is the machine's or
//! ours.

use std::fmt;
use std::io;
use std::path::Path;

/// Exit code of a check that failed.
pub const CHECK_FAILED: u8 = 1;
/// Exit code of bad input.
pub const BAD_INPUT: u8 = 2;
/// Exit code of an output that could not be written, or an internal error.
pub const FAILURE: u8 = 3;

/// An error that is not about the input.
#[derive(Debug)]
pub enum Failure {
    /// Writing an output (a file, or standard output) failed.
    Write {
        /// The file as the user named it, or "standard output".
        target: String,
        /// What the operating system said (printed once, as the cause).
        source: io::Error,
    },
    /// Something that should not fail did.
    Internal(String),
}

impl Failure {
    /// Writing the file at `path` failed.
    pub fn write(path: &Path, source: io::Error) -> Failure {
        Failure::Write {
            target: path.display().to_string(),
            source,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The OS message is the error's source: `{:#}` prints it after
            // a colon, so it is not repeated here.
            Failure::Write { target, .. } => write!(f, "cannot write {target}"),
            Failure::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Write { source, .. } => Some(source),
            Failure::Internal(_) => None,
        }
    }
}

/// How [`Failure::Write`] names standard output.
pub const STDOUT: &str = "standard output";

/// Writes to standard output; a failure (a closed pipe, a full disk) is a
/// [`Failure::Write`] of standard output.
pub fn print_stdout(args: fmt::Arguments<'_>) -> Result<(), Failure> {
    use std::io::Write;
    io::stdout()
        .lock()
        .write_fmt(args)
        .map_err(|source| Failure::Write {
            target: STDOUT.into(),
            source,
        })
}

/// Writes to standard error, ignoring failure: there is nowhere left to
/// report it.
pub fn print_stderr(args: fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = io::stderr().lock().write_fmt(args);
}

/// Whether `error` is standard output closed by its reader (a broken
/// pipe), which ends a command quietly.
pub fn is_closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<Failure>(),
            Some(Failure::Write { target, source })
                if target == STDOUT && source.kind() == io::ErrorKind::BrokenPipe
        )
    })
}

/// The exit code of a command that returned `error`.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|cause| cause.is::<Failure>()) {
        FAILURE
    } else {
        BAD_INPUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn failures_exit_3_wherever_they_are_in_the_chain_and_the_rest_2() {
        let full = || io::Error::from_raw_os_error(28);
        let write: anyhow::Error = Failure::write(Path::new("out.json"), full()).into();
        assert_eq!(exit_code(&write), FAILURE);
        // The file and the OS message each appear once.
        assert_eq!(
            format!("{write:#}"),
            format!("cannot write out.json: {}", full())
        );
        let wrapped = Err::<(), _>(write)
            .context("saving the summary")
            .unwrap_err();
        assert_eq!(exit_code(&wrapped), FAILURE);
        assert_eq!(exit_code(&anyhow::anyhow!("bad seed")), BAD_INPUT);
        let internal: anyhow::Error = Failure::Internal("no threads".into()).into();
        assert_eq!(exit_code(&internal), FAILURE);
    }
}
