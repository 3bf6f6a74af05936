//! Scenario errors that point into the file: `file:line:column: error: ...`.
//!
//! Messages are for people: values echoed from the file are shortened
//! ([`shorten_values`]), and the TOML deserializer's serde wording
//! (`expected struct OpMix`, `$__toml_private_datetime`, `wanted exactly
//! 1 element`) is rewritten into what the setting takes
//! ([`plain_toml_message`]).

use faultline_checker::text::{plain_serde_message, shorten_values};
use std::fmt;
use std::ops::Range;

/// A place in a scenario file, 1-based, columns counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` in `text` (clamped to the text).
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        Location { line, column }
    }
}

/// Something wrong with a scenario or replay file: what was found and what
/// was expected, and where when it can be told.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file as the user named it.
    pub file: String,
    /// Where in it, when known.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
}

impl ScenarioError {
    /// An error at byte range `span` of `text` (or about the whole file).
    pub fn at(
        file: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        Self::located(
            file,
            span.map(|s| Location::of_offset(text, s.start)),
            message,
        )
    }

    /// An error the TOML deserializer reported at `span` of `text`, in
    /// plain words ([`plain_toml_message`]).
    pub fn from_toml(file: &str, text: &str, span: Option<Range<usize>>, message: &str) -> Self {
        let message = plain_toml_message(text, span.clone(), message);
        Self::at(file, text, span, message)
    }

    /// An error at `location` (or about the whole file).
    pub fn located(file: &str, location: Option<Location>, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            location,
            message: shorten_values(&message.into()),
        }
    }

    /// An error about the file as a whole (cannot be read, say).
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        Self::located(file, None, message)
    }
}

/// What serde's name of a scenario-file structure stands for in the file.
fn describe_struct(name: &str) -> Option<&'static str> {
    Some(match name {
        "RawNetwork" => "a [network] table",
        "RawClients" => "a [clients] table",
        "RawMix" | "OpMix" => "an operation mix: a table of weights like { get = 1, put = 3 }",
        "RawFault" => "a fault: a table like { at = \"2s\", kind = \"crash\", node = 1 }",
        "RawNemesis" => "a [nemesis] table",
        "RawChecks" => "a [checks] table",
        "RawReplay" => "a [replay] table",
        "RawLatencyTable" => {
            "a latency table like { dist = \"uniform\", min = \"1ms\", max = \"5ms\" }"
        }
        _ => return None,
    })
}

/// What the choices of an enumerated setting (`placement = "ring"`) must be.
const A_NAME: &str = "one of this setting's names, as a string";

/// A message of the TOML deserializer about the value at `span` of `text`,
/// in plain words:
///
/// - serde's type words become the file's (`map` is a table, `sequence` an
///   array, `u32` a whole number from 0 to 4294967295, `struct RawMix` an
///   operation mix...: see [`plain_serde_message`]);
/// - a date-time, which reaches serde as a table holding the private key
///   `$__toml_private_datetime`, is called a date-time;
/// - `wanted exactly 1 element` and `wanted string or table`, said of a
///   setting that takes one of a list of names, say so.
///
/// Other messages are returned as they are.
pub fn plain_toml_message(text: &str, span: Option<Range<usize>>, message: &str) -> String {
    let message = message.trim_end();
    let value = span
        .and_then(|s| text.get(s))
        .map(str::trim)
        .unwrap_or_default();
    let date_time = looks_like_date_time(value).then_some(value);
    let found_date_time = || match date_time {
        Some(v) => format!("found the date-time {v}, which is not allowed here"),
        None => "found a date-time, which is not allowed here".to_string(),
    };
    if let Some(keys) = message
        .strip_prefix("unknown field `$__toml_private_datetime`, expected ")
        .map(|k| k.strip_prefix("one of ").unwrap_or(k))
    {
        return format!(
            "{}; expected a table with the keys {keys}",
            found_date_time()
        );
    }
    match message {
        "wanted exactly 1 element, found 0 elements" => {
            return format!("found an empty table, expected {A_NAME}");
        }
        "wanted exactly 1 element, more than 1 element" => {
            return format!("found a table with more than one key, expected {A_NAME}");
        }
        "wanted string or table" => {
            let found = match value.chars().next() {
                _ if date_time.is_some() => {
                    return format!("{}; expected {A_NAME}", found_date_time());
                }
                Some('[') => "an array".to_string(),
                Some('t' | 'f') if value == "true" || value == "false" => {
                    format!("the boolean {value}")
                }
                Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => {
                    format!("the number {value}")
                }
                _ => "something else".to_string(),
            };
            return format!("found {found}, expected {A_NAME}");
        }
        _ => {}
    }
    let plain = plain_serde_message(message, describe_struct);
    match (date_time, plain.strip_prefix("found a table, ")) {
        (Some(_), Some(rest)) => format!("{}; {rest}", found_date_time()),
        _ => plain,
    }
}

/// Whether `value` is written like a TOML date, time or date-time
/// (`1979-05-27`, `07:32:00`, `1979-05-27T07:32:00Z`).
fn looks_like_date_time(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    (digits(0..4) && b.get(4) == Some(&b'-')) || (digits(0..2) && b.get(2) == Some(&b':'))
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(Location { line, column }) => {
                write!(f, "{}:{line}:{column}: error: {}", self.file, self.message)
            }
            None => write!(f, "{}: error: {}", self.file, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            Location::of_offset(text, 6),
            Location { line: 2, column: 1 }
        );
        // The `=` after a two-byte character is the fourth character.
        let eq = text.rfind('=').unwrap();
        assert_eq!(
            Location::of_offset(text, eq),
            Location { line: 2, column: 4 }
        );
        assert_eq!(Location::of_offset(text, 999).line, 3);
    }

    #[test]
    fn display_names_file_line_and_column() {
        let e = ScenarioError::at("s.toml", "x\ny = 3", Some(2..3), "bad");
        assert_eq!(e.to_string(), "s.toml:2:1: error: bad");
        assert_eq!(
            ScenarioError::whole("s.toml", "gone").to_string(),
            "s.toml: error: gone"
        );
    }

    /// A minimal scenario with `line` added at the top level or in `[section]`.
    fn with(section: &str, line: &str) -> String {
        let base = "name = \"x\"\nalgorithm = \"gossip\"\n";
        match section {
            "" => format!("{base}{line}\n"),
            "[clients]" => format!("{base}[clients]\ncount = 1\n{line}\n"),
            "[[faults]]" => format!("{base}[[faults]]\nat = \"1s\"\nkind = \"crash\"\n{line}\n"),
            "[network]" => format!("{base}[network]\n{line}\n"),
            "sharded-kv" => {
                format!("name = \"x\"\nalgorithm = \"sharded-kv\"\n[params]\n{line}\n")
            }
            _ => unreachable!("{section}"),
        }
    }

    /// serde's words, as the TOML deserializer and the algorithms'
    /// parameter parsers report them, become what the setting takes.
    #[test]
    fn toml_errors_are_in_plain_words() {
        let long = "y".repeat(200_000);
        let cases: Vec<(&str, String, String)> = vec![
            (
                "[clients]",
                "mix = 3".into(),
                "found the integer 3, expected an operation mix: a table of weights like { get = 1, put = 3 }".into(),
            ),
            (
                "[clients]",
                "mix = 1979-05-27".into(),
                "found the date-time 1979-05-27, which is not allowed here; expected a table with the keys `get`, `put`, `append`, `cas`".into(),
            ),
            (
                "[network]",
                "latency = 1979-05-27T07:32:00Z".into(),
                "found the date-time 1979-05-27T07:32:00Z, which is not allowed here; expected a table with the keys `dist`, `value`, `min`, `max`, `mean`, `std_dev`, `alpha`".into(),
            ),
            (
                "",
                "lesson = 1979-05-27".into(),
                "found the date-time 1979-05-27, which is not allowed here; expected a string".into(),
            ),
            (
                "",
                "servers = 07:32:00".into(),
                "found the date-time 07:32:00, which is not allowed here; expected a whole number like 3".into(),
            ),
            (
                "",
                "clients = 5".into(),
                "found the integer 5, expected a [clients] table or [[clients]] groups".into(),
            ),
            (
                "",
                "params = 3".into(),
                "found the integer 3, expected a table".into(),
            ),
            (
                "[[faults]]",
                "node = {}".into(),
                "found a table, expected a node id like 2 or \"n2\", or a role like \"leader\"".into(),
            ),
            (
                "[[faults]]",
                "groups = [[0], 7]".into(),
                "found the integer 7, expected an array".into(),
            ),
            (
                "[clients]",
                "max_ops = -1".into(),
                "found the integer -1, expected a whole number from 0 to 18446744073709551615".into(),
            ),
            (
                "sharded-kv",
                "placement = {}".into(),
                "found an empty table, expected one of this setting's names, as a string".into(),
            ),
            (
                "sharded-kv",
                "placement = { ring = 1, jump = 2 }".into(),
                "found a table with more than one key, expected one of this setting's names, as a string".into(),
            ),
            (
                "sharded-kv",
                "placement = 3".into(),
                "found the number 3, expected one of this setting's names, as a string".into(),
            ),
            (
                "sharded-kv",
                "placement = 1979-05-27".into(),
                "found the date-time 1979-05-27, which is not allowed here; expected one of this setting's names, as a string".into(),
            ),
            (
                "",
                format!("duration = \"{long}\""),
                format!(
                    "found \"{}…\", expected a duration like \"150ms\", \"2s\" or \"1.5s\" (units: ns, us, ms, s, m, h)",
                    "y".repeat(80)
                ),
            ),
        ];
        let mut wrong = Vec::new();
        for (section, line, want) in &cases {
            let text = with(section, line);
            let got = match crate::scenario::Scenario::parse("s.toml", &text) {
                Ok(_) => "no error".to_string(),
                Err(e) => e.message,
            };
            if &got != want {
                wrong.push(format!(
                    "{section} {:.60}\n  want: {want}\n  got:  {got:.300}",
                    line
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn other_messages_are_kept() {
        for message in [
            "missing field `name`",
            "unknown field `colour`, expected one of `name`, `description`",
            "invalid basic string, expected `\"`",
        ] {
            assert_eq!(plain_toml_message("", None, message), message);
        }
    }
}
