//! Readers for history files.
//!
//! | format | recognised by | operations | times |
//! |---|---|---|---|
//! | [Jepsen etcd log](jepsen) | a line containing `jepsen.util - ` (extension `.log` when empty) | [`RegisterInput`](crate::RegisterInput) | line numbers |
//! | [Jepsen EDN key-value](edn) | first line starts with `{:` (`.edn`, `.txt` when empty) | [`KvInput`](crate::KvInput) | line numbers |
//! | [Faultline JSON lines](json_lines) | first line starts with `{"` (`.jsonl`, `.json` when empty) | any serde model | as recorded |
//!
//! Files with no timestamps use the line number of each invocation and
//! completion as its time: the order of lines is the real-time order the
//! recorder observed, which is all linearizability needs.
//!
//! Readers never panic on bad input; they return a [`FormatError`] naming
//! the file, the line and what was expected there.

pub mod edn;
pub mod jepsen;
pub mod json_lines;

use crate::text::shorten_values;
use std::fmt;
use std::path::{Path, PathBuf};

/// A history file that does not say what its format promises. Values
/// quoted in the message are shortened
/// ([`shorten_values`]) when it is displayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A line is not shaped as the format requires.
    #[error("{}:{line}: expected {expected}, found {}", file.display(), shorten_values(found))]
    Syntax {
        file: PathBuf,
        line: usize,
        expected: String,
        found: String,
    },
    /// A well-formed line that makes no sense where it is (a completion with
    /// no pending invocation, a second invocation by a busy client...).
    #[error("{}:{line}: {}", file.display(), shorten_values(problem))]
    Invalid {
        file: PathBuf,
        line: usize,
        problem: String,
    },
}

/// The history file formats this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Jepsen's etcd register test log.
    JepsenEtcd,
    /// Jepsen's EDN key-value history, one map per line.
    EdnKv,
    /// Faultline's JSON lines: one serialised [`Operation`](crate::Operation) per line.
    JsonLines,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::JepsenEtcd => "Jepsen etcd log",
            Format::EdnKv => "Jepsen EDN key-value history",
            Format::JsonLines => "Faultline JSON-lines history",
        })
    }
}

/// Guess the format of `text` (read from `file`): by content first, by
/// extension when the file has no content to go by. `None` when neither
/// says.
pub fn detect(file: &Path, text: &str) -> Option<Format> {
    let first = text.lines().map(str::trim).find(|line| !line.is_empty());
    if let Some(first) = first {
        if let Some(rest) = first.strip_prefix('{') {
            match rest.trim_start().chars().next() {
                Some('"') | Some('}') => return Some(Format::JsonLines),
                Some(':') => return Some(Format::EdnKv),
                _ => {}
            }
        }
        if text.lines().any(|line| line.contains(jepsen::MARKER)) {
            return Some(Format::JepsenEtcd);
        }
        return None;
    }
    match file.extension().and_then(|extension| extension.to_str()) {
        Some("log") => Some(Format::JepsenEtcd),
        Some("edn" | "txt") => Some(Format::EdnKv),
        Some("jsonl" | "json") => Some(Format::JsonLines),
        _ => None,
    }
}

/// Shorten a line for an error message.
pub(crate) fn excerpt(text: &str) -> String {
    const LIMIT: usize = 60;
    let text = text.trim();
    if text.is_empty() {
        return "an empty line".to_string();
    }
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("`{}...`", &text[..cut]),
        None => format!("`{text}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content_before_extension() {
        let path = Path::new("history.txt");
        assert_eq!(
            detect(path, "{:process 0, :type :invoke}\n"),
            Some(Format::EdnKv)
        );
        assert_eq!(detect(path, "\n{\"client\": 0}\n"), Some(Format::JsonLines));
        assert_eq!(
            detect(path, "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"),
            Some(Format::JepsenEtcd)
        );
        assert_eq!(detect(path, "hello\n"), None);
    }

    #[test]
    fn empty_files_fall_back_to_the_extension() {
        assert_eq!(
            detect(Path::new("etcd_095.log"), ""),
            Some(Format::JepsenEtcd)
        );
        assert_eq!(
            detect(Path::new("run.jsonl"), "\n"),
            Some(Format::JsonLines)
        );
        assert_eq!(detect(Path::new("mystery"), ""), None);
    }
}
