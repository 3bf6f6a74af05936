//! Faultline's own history format: one serialised
//! [`Operation`] per line, as the simulator records them.
//!
//! ```text
//! {"client":0,"input":{"f":"put","key":"x","value":"1"},"call":100,"outcome":{"ok":"written"},"ret":250}
//! {"client":1,"input":{"f":"get","key":"x"},"call":120,"outcome":{"ok":{"value":"1"}},"ret":300}
//! {"client":2,"input":{"f":"append","key":"x","value":"2"},"call":130,"outcome":"unknown","ret":null}
//! ```
//!
//! Blank lines are skipped. A completed (`ok`) operation must have a return
//! time no earlier than its call time.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::{FormatError, excerpt};
use crate::history::{History, Operation, Outcome};

/// Read a JSON-lines history held in `text`; `file` names it in errors.
pub fn read<I: DeserializeOwned, O: DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<History<I, O>, FormatError> {
    let mut history = Vec::new();
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
                found: format!("{} ({error})", excerpt(line)),
            })?;
        if let Outcome::Ok(_) = operation.outcome {
            match operation.ret {
                Some(ret) if ret >= operation.call => {}
                Some(ret) => {
                    return Err(FormatError::Invalid {
                        file: file.to_path_buf(),
                        line: line_number,
                        problem: format!(
                            "the operation returns at {ret}, before its call at {}",
                            operation.call
                        ),
                    });
                }
                None => {
                    return Err(FormatError::Invalid {
                        file: file.to_path_buf(),
                        line: line_number,
                        problem: "an \"ok\" operation needs a return time in \"ret\"".to_string(),
                    });
                }
            }
        }
        history.push(operation);
    }
    Ok(history)
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
}
