//! Scenario errors that point into the file: `file:line:column: error: ...`.

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
        ScenarioError {
            file: file.to_string(),
            location: span.map(|s| Location::of_offset(text, s.start)),
            message: message.into(),
        }
    }

    /// An error about the file as a whole (cannot be read, say).
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_string(),
            location: None,
            message: message.into(),
        }
    }
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
}
