//! Jepsen's etcd register logs: one event per line,
//! `INFO  jepsen.util - <process> <type> <f> <value>`, fields separated by
//! tabs or spaces.
//!
//! | line | meaning |
//! |---|---|
//! | `:invoke :read nil` | a read begins |
//! | `:ok :read <n or nil>` | it returned `<n>` (`nil`: never written) |
//! | `:invoke :write <n>`, `:ok :write <n>` | a write of `<n>` |
//! | `:invoke :cas [<from> <to>]`, `:ok :cas [..]` | a compare-and-set that swapped |
//! | `:fail :cas [..]` | it completed without swapping (the value did not match) |
//! | `:fail :read`, `:fail :write` | it did not take effect (dropped; a failed read, timed out or not, reveals nothing) |
//! | `:info ...` | outcome unknown: may take effect any time after invocation, or never |
//! | invoke with no completion | outcome unknown, as `:info` |
//!
//! Lines without `jepsen.util - `, and events of non-numeric processes
//! (`:nemesis`), carry no client operation and are skipped. Times are line
//! numbers.

use std::collections::BTreeMap;
use std::path::Path;

use super::{FormatError, excerpt};
use crate::history::{History, Operation, Outcome, RegisterInput, RegisterOutput};

/// The text that marks an event line.
pub const MARKER: &str = "jepsen.util - ";

/// Read a Jepsen etcd log held in `text`; `file` names it in errors.
pub fn read(
    file: &Path,
    text: &str,
) -> Result<History<RegisterInput, RegisterOutput>, FormatError> {
    let mut history: History<RegisterInput, RegisterOutput> = Vec::new();
    // Per process: (index in history, line of the invocation).
    let mut pending: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        let Some(event) = parse_line(file, line_number, line)? else {
            continue;
        };
        let time = line_number as u64;
        if event.kind == Kind::Invoke {
            if let Some(&(_, invoked_at)) = pending.get(&event.process) {
                return Err(FormatError::Invalid {
                    file: file.to_path_buf(),
                    line: line_number,
                    problem: format!(
                        "process {} invokes a new operation while its operation from line {invoked_at} has not completed",
                        event.process
                    ),
                });
            }
            let input = match event.function {
                Function::Read => RegisterInput::Read,
                Function::Write => RegisterInput::Write {
                    value: integer(file, line_number, event.value)?,
                },
                Function::Cas => {
                    let (expected, new) = pair(file, line_number, event.value)?;
                    RegisterInput::Cas { expected, new }
                }
            };
            pending.insert(event.process, (history.len(), line_number));
            history.push(Operation {
                client: event.process,
                input,
                call: time,
                outcome: Outcome::Unknown,
                ret: None,
            });
            continue;
        }
        let Some((index, invoked_at)) = pending.remove(&event.process) else {
            return Err(FormatError::Invalid {
                file: file.to_path_buf(),
                line: line_number,
                problem: format!(
                    "a completion for process {} which has no operation in progress",
                    event.process
                ),
            });
        };
        let operation = &mut history[index];
        let invoked = match operation.input {
            RegisterInput::Read => Function::Read,
            RegisterInput::Write { .. } => Function::Write,
            RegisterInput::Cas { .. } => Function::Cas,
        };
        if invoked != event.function {
            return Err(FormatError::Invalid {
                file: file.to_path_buf(),
                line: line_number,
                problem: format!(
                    "process {} completes a {} but invoked a {} on line {invoked_at}",
                    event.process,
                    event.function.keyword(),
                    invoked.keyword()
                ),
            });
        }
        let outcome = match (event.kind, event.function) {
            (Kind::Info, _) => Outcome::Unknown,
            (Kind::Ok, Function::Read) => Outcome::Ok(RegisterOutput::Value(optional_integer(
                file,
                line_number,
                event.value,
            )?)),
            (Kind::Ok, Function::Write) => Outcome::Ok(RegisterOutput::Written),
            (Kind::Ok, Function::Cas) => Outcome::Ok(RegisterOutput::Cas(true)),
            (Kind::Fail, Function::Cas) => Outcome::Ok(RegisterOutput::Cas(false)),
            (Kind::Fail, Function::Read | Function::Write) => Outcome::Fail,
            (Kind::Invoke, _) => unreachable!("invocations are handled above"),
        };
        operation.ret = match outcome {
            Outcome::Unknown => None,
            _ => Some(time),
        };
        operation.outcome = outcome;
    }
    Ok(history)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Invoke,
    Ok,
    Fail,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    Read,
    Write,
    Cas,
}

impl Function {
    fn keyword(self) -> &'static str {
        match self {
            Function::Read => ":read",
            Function::Write => ":write",
            Function::Cas => ":cas",
        }
    }
}

struct Event<'a> {
    process: u64,
    kind: Kind,
    function: Function,
    value: &'a str,
}

/// Parse one line; `None` for lines that carry no client operation.
fn parse_line<'a>(
    file: &Path,
    line: usize,
    text: &'a str,
) -> Result<Option<Event<'a>>, FormatError> {
    let Some(start) = text.find(MARKER) else {
        return Ok(None);
    };
    let rest = &text[start + MARKER.len()..];
    let syntax = |expected: &str, found: &str| FormatError::Syntax {
        file: file.to_path_buf(),
        line,
        expected: expected.to_string(),
        found: excerpt(found),
    };
    let mut fields = rest.split_whitespace();
    let process = fields.next().unwrap_or("");
    if process.starts_with(':') {
        return Ok(None);
    }
    let process: u64 = process.parse().map_err(|_| {
        syntax(
            "a process number (or :nemesis) after `jepsen.util - `",
            process,
        )
    })?;
    let kind = match fields.next().unwrap_or("") {
        ":invoke" => Kind::Invoke,
        ":ok" => Kind::Ok,
        ":fail" => Kind::Fail,
        ":info" => Kind::Info,
        other => {
            return Err(syntax(
                ":invoke, :ok, :fail or :info after the process",
                other,
            ));
        }
    };
    let function = match fields.next().unwrap_or("") {
        ":read" => Function::Read,
        ":write" => Function::Write,
        ":cas" => Function::Cas,
        other => return Err(syntax(":read, :write or :cas after the event type", other)),
    };
    // The value is the rest of the line (a cas pair contains a space).
    let value = match fields.next() {
        Some(first) => {
            let offset = first.as_ptr() as usize - rest.as_ptr() as usize;
            rest[offset..].trim()
        }
        None => "",
    };
    Ok(Some(Event {
        process,
        kind,
        function,
        value,
    }))
}

fn integer(file: &Path, line: usize, value: &str) -> Result<i64, FormatError> {
    value.parse().map_err(|_| FormatError::Syntax {
        file: file.to_path_buf(),
        line,
        expected: "an integer value".to_string(),
        found: excerpt(value),
    })
}

fn optional_integer(file: &Path, line: usize, value: &str) -> Result<Option<i64>, FormatError> {
    if value == "nil" {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| FormatError::Syntax {
        file: file.to_path_buf(),
        line,
        expected: "an integer or nil as the value read".to_string(),
        found: excerpt(value),
    })
}

fn pair(file: &Path, line: usize, value: &str) -> Result<(i64, i64), FormatError> {
    let parsed = value
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .and_then(|inner| {
            let mut numbers = inner.split_whitespace().map(str::parse::<i64>);
            match (numbers.next(), numbers.next(), numbers.next()) {
                (Some(Ok(from)), Some(Ok(to)), None) => Some((from, to)),
                _ => None,
            }
        });
    parsed.ok_or_else(|| FormatError::Syntax {
        file: file.to_path_buf(),
        line,
        expected: "a cas pair `[<from> <to>]` of integers".to_string(),
        found: excerpt(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<History<RegisterInput, RegisterOutput>, FormatError> {
        read(Path::new("test.log"), text)
    }

    #[test]
    fn reads_every_kind_of_event() {
        let text = "\
INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:invoke\t:cas\t[3 0]
INFO  jepsen.util - 0\t:ok\t:read\t3
INFO  jepsen.util - 1\t:fail\t:cas\t[3 0]
INFO  jepsen.core - nemesis starting
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - 2\t:invoke\t:write\t4
INFO  jepsen.util - 2\t:info\t:write\t:timed-out
INFO  jepsen.util - 3   :invoke   :read   nil
INFO  jepsen.util - 3   :fail   :read   :timed-out
INFO  jepsen.util - 4\t:invoke\t:write\t1
";
        let history = parse(text).unwrap();
        assert_eq!(history.len(), 5);
        assert_eq!(
            history[0].outcome,
            Outcome::Ok(RegisterOutput::Value(Some(3)))
        );
        assert_eq!((history[0].call, history[0].ret), (1, Some(3)));
        assert_eq!(
            history[1].input,
            RegisterInput::Cas {
                expected: 3,
                new: 0
            }
        );
        assert_eq!(history[1].outcome, Outcome::Ok(RegisterOutput::Cas(false)));
        assert_eq!(
            (history[2].outcome.clone(), history[2].ret),
            (Outcome::Unknown, None)
        );
        assert_eq!(history[3].outcome, Outcome::Fail);
        assert_eq!(
            (history[4].outcome.clone(), history[4].ret),
            (Outcome::Unknown, None)
        );
    }

    #[test]
    fn rejects_a_bad_event_type_with_file_and_line() {
        let text =
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:done\t:read\t1\n";
        let error = parse(text).unwrap_err().to_string();
        assert_eq!(
            error,
            "test.log:2: expected :invoke, :ok, :fail or :info after the process, found `:done`"
        );
    }

    #[test]
    fn rejects_a_malformed_cas_pair() {
        let error = parse("INFO  jepsen.util - 0\t:invoke\t:cas\t[3]\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("test.log:1: expected a cas pair"),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_completion_without_invocation() {
        let error = parse("INFO  jepsen.util - 7\t:ok\t:write\t1\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("test.log:1: a completion for process 7"),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_completion_of_another_function() {
        let text =
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:write\t1\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "test.log:2: process 0 completes a :write but invoked a :read on line 1"
            ),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_non_numeric_read_result_and_process() {
        let text = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\tseven\n";
        assert!(
            parse(text)
                .unwrap_err()
                .to_string()
                .starts_with("test.log:2: expected an integer or nil")
        );
        let error = parse("INFO  jepsen.util - x\t:invoke\t:read\tnil\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("test.log:1: expected a process number"),
            "{error}"
        );
    }

    #[test]
    fn rejects_a_second_invocation_by_a_busy_process() {
        let text = "INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.contains("test.log:2: process 0 invokes a new operation"),
            "{error}"
        );
    }
}
