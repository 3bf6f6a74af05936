//! Checking a history file by name, for the CLI
//! (`faultline check-history FILE --model NAME`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::DeserializeOwned;

use crate::formats::{self, Format, FormatError};
use crate::history::{History, KvInput, KvOutput, RegisterInput, RegisterOutput};
use crate::model::Model;
use crate::models::{CasRegister, ConsensusModel, KvModel, Register};
use crate::result::CheckResult;
use crate::search::{Budget, check};
use crate::text::{NotUtf8, decode_utf8};

/// The models a history file can be checked against, by CLI name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelName {
    /// `register`: [`Register`], read and write.
    Register,
    /// `cas-register`: [`CasRegister`], read, write and cas.
    CasRegister,
    /// `kv`: [`KvModel`], get, put, append and cas per key.
    Kv,
    /// `consensus`: [`ConsensusModel`], propose a value and learn the
    /// decided one.
    Consensus,
}

impl ModelName {
    /// Every model, in the order help texts list them.
    pub const ALL: [ModelName; 4] = [
        ModelName::Register,
        ModelName::CasRegister,
        ModelName::Kv,
        ModelName::Consensus,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            ModelName::Register => "register",
            ModelName::CasRegister => "cas-register",
            ModelName::Kv => "kv",
            ModelName::Consensus => "consensus",
        }
    }

    /// The formats whose operations this model understands.
    fn accepts(self, format: Format) -> bool {
        match self {
            ModelName::Register | ModelName::CasRegister => format != Format::EdnKv,
            ModelName::Kv => format != Format::JepsenEtcd,
            ModelName::Consensus => format == Format::JsonLines,
        }
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelName {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        ModelName::ALL
            .into_iter()
            .find(|model| model.name() == name)
            .ok_or_else(|| Error::UnknownModel {
                name: name.to_string(),
            })
    }
}

/// Why a history file could not be checked. (A history that is not
/// linearizable is not an error: it is a [`Report`].)
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read. The operating system's message is part
    /// of this error's text and deliberately not its `source()`, so that a
    /// chain printer (`{:#}` of anyhow) does not print it twice.
    #[error("{}: cannot read the history file: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{}:{}:{}: {at}", path.display(), at.line, at.column)]
    NotUtf8 { path: PathBuf, at: NotUtf8 },
    /// The file's content does not match its format.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// No model has that name.
    #[error("unknown model `{name}`; the models are register, cas-register, kv and consensus")]
    UnknownModel { name: String },
    /// Neither the content nor the extension says what the file is.
    #[error(
        "{}: cannot tell the history format: expected a Jepsen etcd log (`... jepsen.util - ...` lines), \
         an EDN key-value history (lines starting with `{{:`) or Faultline JSON lines (lines starting with `{{\"`)",
        path.display()
    )]
    UnrecognisedFormat { path: PathBuf },
    /// The history holds operations the chosen model does not know.
    #[error("{}: {problem}", path.display())]
    WrongModel { path: PathBuf, problem: String },
}

/// A checked history file.
#[derive(Clone, Debug)]
pub struct Report {
    /// The file checked.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// The model it was checked against.
    pub model: ModelName,
    /// Operations read (failed ones included).
    pub operations: usize,
    /// The verdict and its evidence.
    pub result: CheckResult,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {}, {} operations, model {}",
            self.path.display(),
            self.format,
            self.operations,
            self.model
        )?;
        write!(f, "{}", self.result)
    }
}

/// Read the history in `path` and check it against the model named `model`
/// (`register`, `cas-register`, `kv` or `consensus`).
///
/// The format is recognised by content (see [`formats::detect`]), by the
/// extension for an empty file. Jepsen etcd logs go with the register
/// models, EDN key-value histories with `kv`; JSON lines are read with the
/// chosen model's operation types.
pub fn check_history_file(path: &Path, model: &str, budget: Budget) -> Result<Report, Error> {
    let model: ModelName = model.parse()?;
    let bytes = std::fs::read(path).map_err(|error| Error::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let text = decode_utf8(&bytes).map_err(|at| Error::NotUtf8 {
        path: path.to_path_buf(),
        at,
    })?;
    let format = formats::detect(path, text).ok_or_else(|| Error::UnrecognisedFormat {
        path: path.to_path_buf(),
    })?;
    if !model.accepts(format) {
        let suggestion = match format {
            Format::EdnKv => "kv",
            Format::JepsenEtcd => "cas-register",
            Format::JsonLines => "kv",
        };
        return Err(Error::WrongModel {
            path: path.to_path_buf(),
            problem: format!(
                "a {format} cannot be checked with model `{model}`; use `{suggestion}`"
            ),
        });
    }
    let (operations, result) = match model {
        ModelName::Register | ModelName::CasRegister => {
            let history = read_register_history(path, text, format)?;
            if model == ModelName::Register {
                reject_cas(path, &history)?;
                (history.len(), check(&Register, &history, budget))
            } else {
                (history.len(), check(&CasRegister, &history, budget))
            }
        }
        ModelName::Kv => {
            let history: History<KvInput, KvOutput> = match format {
                Format::EdnKv => formats::edn::read(path, text)?,
                _ => read_json::<KvModel>(path, text)?,
            };
            (history.len(), check(&KvModel, &history, budget))
        }
        ModelName::Consensus => {
            let history = read_json::<ConsensusModel>(path, text)?;
            (history.len(), check(&ConsensusModel, &history, budget))
        }
    };
    Ok(Report {
        path: path.to_path_buf(),
        format,
        model,
        operations,
        result,
    })
}

/// Reads the key-value history in `path` (an EDN key-value history or
/// Faultline JSON lines), for the checkers of [`weak`](crate::weak).
pub fn read_kv_history_file(path: &Path) -> Result<History<KvInput, KvOutput>, Error> {
    let bytes = std::fs::read(path).map_err(|error| Error::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let text = decode_utf8(&bytes).map_err(|at| Error::NotUtf8 {
        path: path.to_path_buf(),
        at,
    })?;
    let format = formats::detect(path, text).ok_or_else(|| Error::UnrecognisedFormat {
        path: path.to_path_buf(),
    })?;
    match format {
        Format::EdnKv => Ok(formats::edn::read(path, text)?),
        Format::JsonLines => Ok(read_json::<KvModel>(path, text)?),
        Format::JepsenEtcd => Err(Error::WrongModel {
            path: path.to_path_buf(),
            problem: format!("a {format} holds register operations, not key-value ones"),
        }),
    }
}

fn read_register_history(
    path: &Path,
    text: &str,
    format: Format,
) -> Result<History<RegisterInput, RegisterOutput>, FormatError> {
    match format {
        Format::JepsenEtcd => formats::jepsen::read(path, text),
        _ => read_json::<CasRegister>(path, text),
    }
}

fn read_json<M: Model>(path: &Path, text: &str) -> Result<History<M::Input, M::Output>, FormatError>
where
    M::Input: DeserializeOwned,
    M::Output: DeserializeOwned,
{
    formats::json_lines::read(path, text)
}

/// A read/write register cannot judge a cas; say so rather than report
/// every cas as a violation.
fn reject_cas(path: &Path, history: &History<RegisterInput, RegisterOutput>) -> Result<(), Error> {
    match history
        .iter()
        .position(|operation| matches!(operation.input, RegisterInput::Cas { .. }))
    {
        Some(index) => Err(Error::WrongModel {
            path: path.to_path_buf(),
            problem: format!(
                "operation #{index} (client {}, invoked at {}) is a cas, which model `register` does not have; use `cas-register`",
                history[index].client, history[index].call
            ),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_round_trip_and_unknown_names_are_errors() {
        for model in ModelName::ALL {
            assert_eq!(model.name().parse::<ModelName>().unwrap(), model);
        }
        let error = "queue".parse::<ModelName>().unwrap_err().to_string();
        assert_eq!(
            error,
            "unknown model `queue`; the models are register, cas-register, kv and consensus"
        );
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let error = check_history_file(Path::new("/nonexistent/h.log"), "kv", Budget::unlimited())
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/h.log: cannot read"),
            "{error}"
        );
        // The OS message is in the text, so it must not also be the source
        // that chain printers append.
        assert!(std::error::Error::source(&error).is_none());
    }
}
