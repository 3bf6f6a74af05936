//! Text helpers for the error messages of every Faultline file reader:
//! history files here, scenario and replay files in faultline-algorithms,
//! summaries in the CLI. They live in this crate because it is the one all
//! the others depend on.
//!
//! - [`decode_utf8`]: a file's bytes as text, or where the first byte that
//!   is not UTF-8 is (line and column), so that a binary or mis-encoded
//!   file gets a located error like any other;
//! - [`shorten_values`]: a message with every quoted value cut to
//!   [`ECHO_LIMIT`] characters, so that a 200 KB value in a file is never
//!   echoed back whole;
//! - [`plain_serde_message`]: serde's type vocabulary (`map`, `sequence`,
//!   `u32`, `struct RawMix`) in the words of the file formats.

use std::fmt;

/// The longest quoted value, in characters, a message echoes whole.
pub const ECHO_LIMIT: usize = 80;

/// The longest message, in characters, after values are shortened.
const MESSAGE_LIMIT: usize = 2_000;

/// Where the first byte that is not UTF-8 is in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters (the valid ones before it, plus one).
    pub column: usize,
    /// The offending byte.
    pub byte: u8,
}

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "found the byte 0x{:02x}, which is not UTF-8 text; expected a text file in UTF-8",
            self.byte
        )
    }
}

/// `bytes` as UTF-8 text, or where it stops being UTF-8.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, NotUtf8> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let end = e.valid_up_to();
            // The prefix is valid by definition; the fallback is never used.
            let valid = std::str::from_utf8(&bytes[..end]).unwrap_or("");
            let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
            Err(NotUtf8 {
                line: valid.matches('\n').count() + 1,
                column: valid[line_start..].chars().count() + 1,
                byte: bytes[end],
            })
        }
    }
}

/// `message` with each value quoted in it (`"..."`, with backslash
/// escapes, or `` `...` ``) longer than [`ECHO_LIMIT`] characters cut to
/// its beginning and an ellipsis. A message still longer than a couple of
/// thousand characters is cut as a whole.
pub fn shorten_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MESSAGE_LIMIT + 8));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let close = closing_quote(inner, quote);
        let value = &inner[..close.unwrap_or(inner.len())];
        match value.char_indices().nth(ECHO_LIMIT) {
            Some((cut, _)) => {
                // Never end on half an escape sequence.
                out.push_str(value[..cut].trim_end_matches('\\'));
                out.push('…');
            }
            None => out.push_str(value),
        }
        match close {
            Some(close) => {
                out.push(quote);
                rest = &inner[close + 1..];
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    match out.char_indices().nth(MESSAGE_LIMIT) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

/// The byte index of the quote closing a value that starts at `text`.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote == '"' => escaped = true,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

/// `message` from serde (`invalid type: map, expected u32`) in plain words
/// (`found a table, expected a whole number from 0 to 4294967295`).
/// Messages it does not recognise are returned as they are.
///
/// Tables and arrays are named as TOML and JSON call them; serde's names of
/// Rust types (`u32`, `struct RawMix`) become what the value must be, using
/// `describe_struct` for structs (`None`: "a table").
pub fn plain_serde_message(
    message: &str,
    describe_struct: impl Fn(&str) -> Option<&'static str>,
) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = split_expected(rest)
        {
            let expected = plain_expected(expected, &describe_struct);
            return format!("found {}, expected {expected}", plain_found(found));
        }
    }
    message.to_string()
}

/// `"integer `3`, expected u32"` as `("integer `3`", "u32")`, splitting at
/// the `, expected ` that follows the value (whose text may hold commas).
fn split_expected(rest: &str) -> Option<(&str, &str)> {
    let first = rest.find(", expected ")?;
    let value_end = match rest[..first].find(['"', '`']) {
        Some(open) => {
            let quote = rest[open..].chars().next()?;
            open + 1 + closing_quote(&rest[open + 1..], quote)? + 1
        }
        None => 0,
    };
    let at = value_end + rest[value_end..].find(", expected ")?;
    Some((&rest[..at], &rest[at + ", expected ".len()..]))
}

/// serde's `Unexpected` in plain words.
fn plain_found(found: &str) -> String {
    let unquote = |s: &str| s.trim_matches('`').to_string();
    if found == "map" {
        "a table".into()
    } else if found == "sequence" {
        "an array".into()
    } else if let Some(n) = found.strip_prefix("integer ") {
        format!("the integer {}", unquote(n))
    } else if let Some(x) = found.strip_prefix("floating point ") {
        format!("the number {}", unquote(x))
    } else if let Some(b) = found.strip_prefix("boolean ") {
        format!("the boolean {}", unquote(b))
    } else if let Some(s) = found.strip_prefix("string ") {
        format!("the string {s}")
    } else if let Some(c) = found.strip_prefix("character ") {
        format!("the character {c}")
    } else if found == "unit value" || found == "Option value" {
        "an empty value".into()
    } else {
        found.into()
    }
}

/// serde's `expected` in plain words.
fn plain_expected(
    expected: &str,
    describe_struct: impl Fn(&str) -> Option<&'static str>,
) -> String {
    let whole = |max: u64| format!("a whole number from 0 to {max}");
    match expected {
        "u8" => whole(u8::MAX.into()),
        "u16" => whole(u16::MAX.into()),
        "u32" => whole(u32::MAX.into()),
        "u64" | "usize" => whole(u64::MAX),
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a map" => "a table".into(),
        "a sequence" => "an array".into(),
        "a boolean" | "bool" => "true or false".into(),
        _ => {
            if let Some(name) = expected.strip_prefix("struct ") {
                describe_struct(name).unwrap_or("a table").into()
            } else if expected.starts_with("enum ") {
                "one of the names this setting takes, as a string".into()
            } else {
                expected.into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bad_byte_is_located_in_lines_and_characters() {
        assert_eq!(decode_utf8(b"fine\n"), Ok("fine\n"));
        assert_eq!(
            decode_utf8(b"a = 1\nb\xc3\xa9 = \xff\n"),
            Err(NotUtf8 {
                line: 2,
                column: 6,
                byte: 0xff
            })
        );
        assert_eq!(
            decode_utf8(b"\xfe").unwrap_err().to_string(),
            "found the byte 0xfe, which is not UTF-8 text; expected a text file in UTF-8"
        );
        // A multi-byte character cut short counts from its first byte.
        let e = decode_utf8(b"xy\xe2\x82").unwrap_err();
        assert_eq!((e.line, e.column, e.byte), (1, 3, 0xe2));
    }

    #[test]
    fn long_quoted_values_are_cut_and_short_ones_kept() {
        let long = "x".repeat(200_000);
        let message = format!("found {long:?}, expected a duration like \"150ms\"");
        let short = shorten_values(&message);
        assert_eq!(
            short,
            format!(
                "found \"{}…\", expected a duration like \"150ms\"",
                "x".repeat(ECHO_LIMIT)
            )
        );
        let message = format!("unknown algorithm `{long}`; expected one of: gossip, raft");
        assert_eq!(
            shorten_values(&message),
            format!(
                "unknown algorithm `{}…`; expected one of: gossip, raft",
                "x".repeat(ECHO_LIMIT)
            )
        );
        // Escaped quotes stay inside their value; an unclosed value is cut.
        let message = r#"found "a \"b\" c", expected `d`"#;
        assert_eq!(shorten_values(message), message);
        let open = format!("found \"{long}");
        assert_eq!(shorten_values(&open).chars().count(), 7 + ECHO_LIMIT + 1);
        // A long message without quotes is cut as a whole.
        assert!(shorten_values(&long).chars().count() <= MESSAGE_LIMIT + 1);
    }

    #[test]
    fn serde_words_become_plain_words() {
        let none = |_: &str| None;
        let cases = [
            (
                "invalid type: map, expected a string",
                "found a table, expected a string",
            ),
            (
                "invalid type: sequence, expected a node id like 2 or \"n2\"",
                "found an array, expected a node id like 2 or \"n2\"",
            ),
            (
                "invalid type: integer `3`, expected a map",
                "found the integer 3, expected a table",
            ),
            (
                "invalid value: integer `-1`, expected u32",
                "found the integer -1, expected a whole number from 0 to 4294967295",
            ),
            (
                "invalid type: string \"a, expected b\", expected u64",
                "found the string \"a, expected b\", expected a whole number from 0 to 18446744073709551615",
            ),
            (
                "invalid type: floating point `1.5`, expected i64",
                "found the number 1.5, expected an integer",
            ),
            (
                "invalid type: boolean `true`, expected struct MembershipChange",
                "found the boolean true, expected a table",
            ),
            (
                "invalid type: map, expected a duration string like \"150ms\" or \"2s\"",
                "found a table, expected a duration string like \"150ms\" or \"2s\"",
            ),
            ("missing field `name`", "missing field `name`"),
            (
                "unknown variant `x`, expected `a` or `b`",
                "unknown variant `x`, expected `a` or `b`",
            ),
        ];
        for (serde, plain) in cases {
            assert_eq!(plain_serde_message(serde, none), plain, "{serde}");
        }
        assert_eq!(
            plain_serde_message(
                "invalid type: integer `3`, expected struct RawMix",
                |name| { (name == "RawMix").then_some("an operation mix") }
            ),
            "found the integer 3, expected an operation mix"
        );
    }
}
