//! Jepsen's key-value histories in EDN: one map per line, such as
//! `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`.
//!
//! Required keys: `:process` (integer), `:type` (`:invoke`, `:ok`, `:fail`,
//! `:info`), `:f` (`:get`, `:put`, `:append`), `:key` (string or integer)
//! and, for put and append invocations and get completions, `:value`
//! (string; `nil` on a get completion means absent, the same as `""`).
//! Other keys are ignored. `:fail` means the operation did not happen;
//! `:info` and a missing completion mean its outcome is unknown. Times are
//! line numbers.
//!
//! Only the small part of EDN these files use is understood: maps of
//! keywords to keywords, strings, integers, booleans and `nil`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{FormatError, excerpt};
use crate::history::{History, KvInput, KvOutput, Operation, Outcome};

/// Read an EDN key-value history held in `text`; `file` names it in errors.
pub fn read(file: &Path, text: &str) -> Result<History<KvInput, KvOutput>, FormatError> {
    let mut history: History<KvInput, KvOutput> = Vec::new();
    // Per process: (index in history, line of the invocation).
    let mut pending: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        if line.trim().is_empty() {
            continue;
        }
        let map = parse_map(line).map_err(|(expected, found)| FormatError::Syntax {
            file: file.to_path_buf(),
            line: line_number,
            expected,
            found,
        })?;
        let fields = Fields {
            file,
            line: line_number,
            map,
        };
        let process = fields.integer("process")?;
        let kind = fields.keyword("type", &["invoke", "ok", "fail", "info"])?;
        let function = fields.keyword("f", &["get", "put", "append"])?;
        let key = fields.key()?;
        let time = line_number as u64;
        let invalid = |problem: String| FormatError::Invalid {
            file: file.to_path_buf(),
            line: line_number,
            problem,
        };
        if kind == "invoke" {
            if let Some(&(_, invoked_at)) = pending.get(&process) {
                return Err(invalid(format!(
                    "process {process} invokes a new operation while its operation from line {invoked_at} has not completed"
                )));
            }
            let input = match function {
                "get" => KvInput::Get { key },
                "put" => KvInput::Put {
                    key,
                    value: fields.string("value")?,
                },
                _ => KvInput::Append {
                    key,
                    value: fields.string("value")?,
                },
            };
            pending.insert(process, (history.len(), line_number));
            history.push(Operation {
                client: process,
                input,
                call: time,
                outcome: Outcome::Unknown,
                ret: None,
            });
            continue;
        }
        let Some((index, invoked_at)) = pending.remove(&process) else {
            return Err(invalid(format!(
                "a completion for process {process} which has no operation in progress"
            )));
        };
        let operation = &mut history[index];
        let (invoked, invoked_key) = match &operation.input {
            KvInput::Get { key } => ("get", key),
            KvInput::Put { key, .. } => ("put", key),
            KvInput::Append { key, .. } => ("append", key),
            KvInput::Cas { key, .. } => ("cas", key),
        };
        if invoked != function || *invoked_key != key {
            return Err(invalid(format!(
                "process {process} completes :{function} of key {key:?} but invoked :{invoked} of key {invoked_key:?} on line {invoked_at}"
            )));
        }
        let outcome = match (kind, function) {
            ("ok", "get") => Outcome::Ok(KvOutput::Value(fields.optional_string("value")?)),
            ("ok", _) => Outcome::Ok(KvOutput::Written),
            ("fail", _) => Outcome::Fail,
            _ => Outcome::Unknown,
        };
        operation.ret = if outcome == Outcome::Unknown {
            None
        } else {
            Some(time)
        };
        operation.outcome = outcome;
    }
    Ok(history)
}

/// An EDN value as these files use them.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Keyword(String),
    Text(String),
    Integer(i64),
    Boolean(bool),
    Nil,
}

impl Value {
    fn kind(&self) -> String {
        match self {
            Value::Keyword(keyword) => format!("keyword :{keyword}"),
            Value::Text(text) => format!("string {text:?}"),
            Value::Integer(integer) => format!("integer {integer}"),
            Value::Boolean(boolean) => format!("boolean {boolean}"),
            Value::Nil => "nil".to_string(),
        }
    }
}

/// Typed access to one line's map, with errors that name the line.
struct Fields<'a> {
    file: &'a Path,
    line: usize,
    map: BTreeMap<String, Value>,
}

impl Fields<'_> {
    fn error(&self, expected: String, found: String) -> FormatError {
        FormatError::Syntax {
            file: self.file.to_path_buf(),
            line: self.line,
            expected,
            found,
        }
    }

    fn get(&self, name: &str, expected: &str) -> Result<&Value, FormatError> {
        self.map.get(name).ok_or_else(|| {
            self.error(
                format!(":{name} with {expected}"),
                format!("no :{name} in the map"),
            )
        })
    }

    fn integer(&self, name: &str) -> Result<u64, FormatError> {
        match self.get(name, "a non-negative integer")? {
            Value::Integer(integer) if *integer >= 0 => Ok(*integer as u64),
            other => Err(self.error(
                format!(":{name} to be a non-negative integer"),
                other.kind(),
            )),
        }
    }

    fn keyword<'k>(&self, name: &str, allowed: &[&'k str]) -> Result<&'k str, FormatError> {
        let list = allowed
            .iter()
            .map(|keyword| format!(":{keyword}"))
            .collect::<Vec<_>>()
            .join(", ");
        let found = self.get(name, &format!("one of {list}"))?;
        if let Value::Keyword(keyword) = found {
            if let Some(allowed) = allowed.iter().find(|allowed| **allowed == keyword) {
                return Ok(allowed);
            }
        }
        Err(self.error(format!(":{name} to be one of {list}"), found.kind()))
    }

    fn key(&self) -> Result<String, FormatError> {
        match self.get("key", "a string or an integer")? {
            Value::Text(text) => Ok(text.clone()),
            Value::Integer(integer) => Ok(integer.to_string()),
            other => Err(self.error(
                ":key to be a string or an integer".to_string(),
                other.kind(),
            )),
        }
    }

    fn string(&self, name: &str) -> Result<String, FormatError> {
        match self.get(name, "a string")? {
            Value::Text(text) => Ok(text.clone()),
            other => Err(self.error(format!(":{name} to be a string"), other.kind())),
        }
    }

    fn optional_string(&self, name: &str) -> Result<Option<String>, FormatError> {
        match self.get(name, "a string or nil")? {
            Value::Text(text) => Ok(Some(text.clone())),
            Value::Nil => Ok(None),
            other => Err(self.error(format!(":{name} to be a string or nil"), other.kind())),
        }
    }
}

/// Parse `{:k v, :k v}`; on error, (what was expected, what was found).
fn parse_map(line: &str) -> Result<BTreeMap<String, Value>, (String, String)> {
    let mut cursor = Cursor {
        text: line,
        position: 0,
    };
    cursor.skip_blank();
    if !cursor.eat('{') {
        return Err(("an EDN map `{:key value, ...}`".to_string(), excerpt(line)));
    }
    let mut map = BTreeMap::new();
    loop {
        cursor.skip_blank();
        if cursor.eat('}') {
            break;
        }
        let key = match cursor.value()? {
            Value::Keyword(keyword) => keyword,
            other => {
                return Err((
                    format!("a keyword as map key at column {}", cursor.column()),
                    other.kind(),
                ));
            }
        };
        cursor.skip_blank();
        let value = cursor.value()?;
        map.insert(key, value);
    }
    cursor.skip_blank();
    if cursor.position != line.len() {
        return Err((
            "the end of the line after the map".to_string(),
            excerpt(&line[cursor.position..]),
        ));
    }
    Ok(map)
}

struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl Cursor<'_> {
    fn column(&self) -> usize {
        self.text[..self.position].chars().count() + 1
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn eat(&mut self, wanted: char) -> bool {
        if self.peek() == Some(wanted) {
            self.position += wanted.len_utf8();
            true
        } else {
            false
        }
    }

    /// Whitespace and commas separate EDN elements.
    fn skip_blank(&mut self) {
        while let Some(next) = self.peek() {
            if next.is_whitespace() || next == ',' {
                self.position += next.len_utf8();
            } else {
                break;
            }
        }
    }

    /// A bare token: everything up to a separator or brace.
    fn token(&mut self) -> &str {
        let start = self.position;
        while let Some(next) = self.peek() {
            if next.is_whitespace() || matches!(next, ',' | '{' | '}' | '"') {
                break;
            }
            self.position += next.len_utf8();
        }
        &self.text[start..self.position]
    }

    fn value(&mut self) -> Result<Value, (String, String)> {
        let column = self.column();
        let expected = || format!("a keyword, string, integer, boolean or nil at column {column}");
        match self.peek() {
            None => Err((
                format!("{} or `}}`", expected()),
                "the end of the line".to_string(),
            )),
            Some('"') => {
                self.position += 1;
                self.string(column)
            }
            Some(':') => {
                self.position += 1;
                let name = self.token();
                if name.is_empty() {
                    return Err((
                        format!("a keyword name at column {}", column + 1),
                        excerpt(&self.text[self.position..]),
                    ));
                }
                Ok(Value::Keyword(name.to_string()))
            }
            Some(_) => {
                let token = self.token().to_string();
                match token.as_str() {
                    "nil" => Ok(Value::Nil),
                    "true" => Ok(Value::Boolean(true)),
                    "false" => Ok(Value::Boolean(false)),
                    _ => token.parse().map(Value::Integer).map_err(|_| {
                        let found = if token.is_empty() {
                            excerpt(&self.text[self.position..])
                        } else {
                            excerpt(&token)
                        };
                        (expected(), found)
                    }),
                }
            }
        }
    }

    /// The rest of a string literal whose opening quote was consumed.
    fn string(&mut self, column: usize) -> Result<Value, (String, String)> {
        let mut text = String::new();
        while let Some(next) = self.peek() {
            self.position += next.len_utf8();
            match next {
                '"' => return Ok(Value::Text(text)),
                '\\' => {
                    let escaped = self.peek().ok_or_else(|| {
                        (
                            "an escaped character after `\\`".to_string(),
                            "the end of the line".to_string(),
                        )
                    })?;
                    self.position += escaped.len_utf8();
                    text.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                }
                other => text.push(other),
            }
        }
        Err((
            format!("a closing `\"` for the string opened at column {column}"),
            "the end of the line".to_string(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<History<KvInput, KvOutput>, FormatError> {
        read(Path::new("kv.txt"), text)
    }

    #[test]
    fn reads_invocations_and_completions() {
        let text = r#"{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "0", :value nil}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "0", :value ""}
{:process 2, :type :invoke, :f :put, :key "1", :value "a \"b\""}
"#;
        let history = parse(text).unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(
            history[0].input,
            KvInput::Append {
                key: "0".into(),
                value: "x 0 0 y".into()
            }
        );
        assert_eq!((history[0].call, history[0].ret), (1, Some(3)));
        assert_eq!(
            history[1].outcome,
            Outcome::Ok(KvOutput::Value(Some(String::new())))
        );
        assert_eq!(
            history[2].input,
            KvInput::Put {
                key: "1".into(),
                value: "a \"b\"".into()
            }
        );
        assert_eq!(history[2].outcome, Outcome::Unknown);
    }

    #[test]
    fn rejects_a_line_that_is_not_a_map() {
        let error = parse("(:process 0)\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "kv.txt:1: expected an EDN map `{:key value, ...}`, found `(:process 0)`"
        );
    }

    #[test]
    fn rejects_an_unterminated_string() {
        let text = "{:process 0, :type :invoke, :f :get, :key \"0}\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.starts_with("kv.txt:1: expected a closing `\"`"),
            "{error}"
        );
    }

    #[test]
    fn rejects_an_unknown_function_and_a_missing_field() {
        let text = "{:process 0, :type :invoke, :f :delete, :key \"0\"}\n";
        let error = parse(text).unwrap_err().to_string();
        assert_eq!(
            error,
            "kv.txt:1: expected :f to be one of :get, :put, :append, found keyword :delete"
        );
        let text = "\n{:type :invoke, :f :get, :key \"0\"}\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(error.starts_with("kv.txt:2: expected :process"), "{error}");
    }

    #[test]
    fn rejects_a_put_without_value_and_a_mismatched_completion() {
        let error =
            parse("{:process 0, :type :invoke, :f :put, :key \"0\", :value nil}\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("kv.txt:1: expected :value to be a string, found nil"),
            "{error}"
        );
        let text = "{:process 0, :type :invoke, :f :get, :key \"0\"}\n{:process 0, :type :ok, :f :get, :key \"1\", :value \"\"}\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.starts_with("kv.txt:2: process 0 completes :get of key \"1\""),
            "{error}"
        );
    }

    #[test]
    fn rejects_trailing_garbage() {
        let error = parse("{:process 0} extra\n").unwrap_err().to_string();
        assert_eq!(
            error,
            "kv.txt:1: expected the end of the line after the map, found `extra`"
        );
    }
}
