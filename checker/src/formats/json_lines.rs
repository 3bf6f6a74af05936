//! Faultline's own history format: one serialised
//! [`Operation`] per line, as the simulator records them.
//!
//! ```text
//! {"client":0,"input":{"f":"put","key":"x","value":"1"},"call":100,"outcome":{"ok":"written"},"ret":250}
//! {"client":1,"input":{"f":"get","key":"x"},"call":120,"outcome":{"ok":{"value":"1"}},"ret":300}
//! {"client":2,"input":{"f":"append","key":"x","value":"2"},"call":130,"outcome":"unknown","ret":null}
//! ```
//!
//! Blank lines are skipped. Lines may come in any order. What the other
//! readers refuse is refused here too, with the line:
//!
//! - a return time (`ret`) before the call time, for any outcome;
//! - an `ok` operation without a return time;
//! - two operations of one client that overlap: a client runs one
//!   operation at a time, so each call must come at or after the return of
//!   the client's previous operation. An operation of unknown outcome
//!   without a `ret` (the client timed out or crashed, at a time the file
//!   does not say) does not hold its client: the simulator's clients go on
//!   with a new operation after a timeout.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::{FormatError, excerpt};
use crate::history::{History, Operation, Outcome};
use crate::text::plain_serde_message;

/// Read a JSON-lines history held in `text`; `file` names it in errors.
pub fn read<I: DeserializeOwned, O: DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<History<I, O>, FormatError> {
    let mut history = Vec::new();
    // The line of each operation, by index in `history`.
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line_number = number + 1;
        if line.trim().is_empty() {
            continue;
        }
        let operation: Operation<I, O> =
            serde_json::from_str(line).map_err(|error| FormatError::Syntax {
                file: file.to_path_buf(),
                line: line_number,
                expected: "one operation object per line, \
                       {\"client\", \"input\", \"call\", \"outcome\", \"ret\"}"
                    .to_string(),
                found: format!("{} ({})", excerpt(line), plain_json_error(&error)),
            })?;
        match operation.ret {
            Some(ret) if ret < operation.call => {
                return Err(FormatError::Invalid {
                    file: file.to_path_buf(),
                    line: line_number,
                    problem: format!(
                        "the operation returns at {ret}, before its call at {}",
                        operation.call
                    ),
                });
            }
            None if matches!(operation.outcome, Outcome::Ok(_)) => {
                return Err(FormatError::Invalid {
                    file: file.to_path_buf(),
                    line: line_number,
                    problem: "an \"ok\" operation needs a return time in \"ret\"".to_string(),
                });
            }
            _ => {}
        }
        history.push(operation);
        lines.push(line_number);
    }
    check_clients_are_sequential(file, &history, &lines)?;
    Ok(history)
}

/// serde_json's message in plain words, with the column (the line is the
/// file's line already).
fn plain_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let place = format!(" at line {} column {}", error.line(), error.column());
    let message = message.strip_suffix(&place).unwrap_or(&message);
    format!(
        "{} at column {}",
        plain_serde_message(message, |_| None),
        error.column()
    )
}

/// Refuses two operations of one client that overlap in time. Each
/// client's operations are taken in call order (an operation without a
/// return first among equal calls, since it does not hold the client); each
/// must be called no earlier than the previous one returned.
fn check_clients_are_sequential<I, O>(
    file: &Path,
    history: &[Operation<I, O>],
    lines: &[usize],
) -> Result<(), FormatError> {
    let mut by_client: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (index, operation) in history.iter().enumerate() {
        by_client.entry(operation.client).or_default().push(index);
    }
    for (client, mut indices) in by_client {
        indices.sort_by_key(|&i| (history[i].call, history[i].ret, lines[i]));
        for pair in indices.windows(2) {
            let (before, after) = (&history[pair[0]], &history[pair[1]]);
            if let Some(ret) = before.ret
                && after.call < ret
            {
                return Err(FormatError::Invalid {
                    file: file.to_path_buf(),
                    line: lines[pair[1]],
                    problem: format!(
                        "client {client} calls an operation at {} while its operation on line {} \
                         (called at {}, returning at {ret}) is in progress; expected one operation \
                         at a time per client",
                        after.call, lines[pair[0]], before.call
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{KvInput, KvOutput};

    fn parse(text: &str) -> Result<History<KvInput, KvOutput>, FormatError> {
        read(Path::new("run.jsonl"), text)
    }

    #[test]
    fn reads_the_documented_example() {
        let text = r#"{"client":0,"input":{"f":"put","key":"x","value":"1"},"call":100,"outcome":{"ok":"written"},"ret":250}

{"client":1,"input":{"f":"get","key":"x"},"call":120,"outcome":{"ok":{"value":"1"}},"ret":300}
{"client":2,"input":{"f":"append","key":"x","value":"2"},"call":130,"outcome":"unknown","ret":null}
"#;
        let history = parse(text).unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(
            history[1].outcome,
            Outcome::Ok(KvOutput::Value(Some("1".into())))
        );
        assert_eq!(history[2].outcome, Outcome::Unknown);
    }

    #[test]
    fn rejects_an_unknown_function_with_file_and_line() {
        let text = "{\"client\":0,\"input\":{\"f\":\"put\",\"key\":\"x\",\"value\":\"1\"},\"call\":1,\"outcome\":\"fail\",\"ret\":2}\n\
                    {\"client\":0,\"input\":{\"f\":\"delete\",\"key\":\"x\"},\"call\":1,\"outcome\":\"fail\",\"ret\":2}\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.starts_with("run.jsonl:2: expected one operation object per line"),
            "{error}"
        );
        assert!(error.contains("unknown variant `delete`"), "{error}");
    }

    #[test]
    fn rejects_truncated_json_and_impossible_times() {
        let error = parse("{\"client\":0,\"input\"\n").unwrap_err().to_string();
        assert!(
            error.starts_with("run.jsonl:1: expected one operation object"),
            "{error}"
        );
        let text = "{\"client\":0,\"input\":{\"f\":\"get\",\"key\":\"x\"},\"call\":9,\"outcome\":{\"ok\":{\"value\":null}},\"ret\":3}\n";
        let error = parse(text).unwrap_err().to_string();
        assert_eq!(
            error,
            "run.jsonl:1: the operation returns at 3, before its call at 9"
        );
        let text = "{\"client\":0,\"input\":{\"f\":\"get\",\"key\":\"x\"},\"call\":9,\"outcome\":{\"ok\":{\"value\":null}},\"ret\":null}\n";
        assert!(
            parse(text)
                .unwrap_err()
                .to_string()
                .contains("needs a return time")
        );
    }

    /// One line: a put by `client` over `[call, ret]` with `outcome`.
    fn put(client: u64, call: u64, outcome: &str, ret: Option<u64>) -> String {
        let ret = ret.map_or("null".to_string(), |r| r.to_string());
        format!(
            "{{\"client\":{client},\"input\":{{\"f\":\"put\",\"key\":\"x\",\"value\":\"1\"}},\"call\":{call},\"outcome\":{outcome},\"ret\":{ret}}}\n"
        )
    }

    const OK: &str = "{\"ok\":\"written\"}";

    #[test]
    fn refuses_a_return_before_the_call_whatever_the_outcome() {
        for outcome in [OK, "\"fail\"", "\"unknown\""] {
            let text = put(0, 0, OK, Some(1)) + &put(1, 9, outcome, Some(3));
            assert_eq!(
                parse(&text).unwrap_err().to_string(),
                "run.jsonl:2: the operation returns at 3, before its call at 9",
                "{outcome}"
            );
        }
    }

    #[test]
    fn refuses_overlapping_operations_of_one_client() {
        let text = put(0, 0, OK, Some(10)) + &put(1, 2, OK, Some(4)) + &put(0, 5, OK, Some(15));
        assert_eq!(
            parse(&text).unwrap_err().to_string(),
            "run.jsonl:3: client 0 calls an operation at 5 while its operation on line 1 \
             (called at 0, returning at 10) is in progress; expected one operation at a time per client"
        );
        // Lines need not be in time order: the later call is the one at fault.
        let text = put(0, 5, OK, Some(15)) + "\n" + &put(0, 0, "\"fail\"", Some(10));
        let error = parse(&text).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "run.jsonl:1: client 0 calls an operation at 5 while its operation on line 3"
            ),
            "{error}"
        );
        // A client that gave up waiting at a known time holds the client
        // until then.
        let text = put(0, 0, "\"unknown\"", Some(10)) + &put(0, 5, OK, Some(15));
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .starts_with("run.jsonl:2: client 0")
        );
        // Two operations of one client at the same instant overlap.
        let text = put(3, 7, OK, Some(9)) + &put(3, 7, OK, Some(9));
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .starts_with("run.jsonl:2: client 3")
        );
    }

    #[test]
    fn accepts_what_a_sequential_client_can_do() {
        // Back to back at the same instant, other clients overlapping, and
        // a new operation after one that never returned (a timeout).
        let text = put(0, 0, OK, Some(10))
            + &put(0, 10, OK, Some(20))
            + &put(1, 5, OK, Some(25))
            + &put(0, 20, "\"unknown\"", None)
            + &put(0, 30, OK, Some(40))
            + &put(0, 40, "\"fail\"", Some(40))
            + &put(0, 40, OK, Some(41));
        assert_eq!(parse(&text).unwrap().len(), 7);
    }
}
