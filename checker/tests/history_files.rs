//! `check_history_file` on files written by the test: format detection,
//! the JSON-lines format for both model families, and error messages.

use std::path::PathBuf;

use faultline_checker::formats::Format;
use faultline_checker::{
    Budget, KvInput, KvOutput, ModelName, Operation, Outcome, Verdict, check_history_file,
};

/// A file in a fresh temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let directory =
            std::env::temp_dir().join(format!("faultline-checker-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join(name);
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn kv_json_lines(stale: bool) -> String {
    let history: Vec<Operation<KvInput, KvOutput>> = vec![
        Operation {
            client: 0,
            input: KvInput::Put {
                key: "x".into(),
                value: "1".into(),
            },
            call: 100,
            outcome: Outcome::Ok(KvOutput::Written),
            ret: Some(200),
        },
        Operation {
            client: 1,
            input: KvInput::Get { key: "x".into() },
            call: 300,
            outcome: Outcome::Ok(KvOutput::Value(if stale { None } else { Some("1".into()) })),
            ret: Some(400),
        },
    ];
    history
        .iter()
        .map(|operation| serde_json::to_string(operation).unwrap() + "\n")
        .collect()
}

#[test]
fn json_lines_kv_history_is_checked() {
    let good = TempFile::new("good.jsonl", &kv_json_lines(false));
    let report = check_history_file(&good.0, "kv", Budget::unlimited()).unwrap();
    assert_eq!(
        (report.format, report.model, report.operations),
        (Format::JsonLines, ModelName::Kv, 2)
    );
    assert_eq!(report.result.verdict, Verdict::Linearizable);

    let bad = TempFile::new("bad.jsonl", &kv_json_lines(true));
    let report = check_history_file(&bad.0, "kv", Budget::unlimited()).unwrap();
    assert_eq!(report.result.verdict, Verdict::NotLinearizable);
    let text = report.to_string();
    assert!(
        text.contains("Faultline JSON-lines history, 2 operations, model kv"),
        "{text}"
    );
    assert!(text.contains(r#"get("x") -> """#), "{text}");
}

#[test]
fn json_lines_register_history_is_checked() {
    let text = r#"{"client":0,"input":{"f":"write","value":3},"call":0,"outcome":{"ok":"written"},"ret":10}
{"client":1,"input":{"f":"cas","expected":3,"new":4},"call":20,"outcome":{"ok":{"cas":true}},"ret":30}
{"client":2,"input":{"f":"read"},"call":40,"outcome":{"ok":{"value":3}},"ret":50}
"#;
    let file = TempFile::new("register.jsonl", text);
    let report = check_history_file(&file.0, "cas-register", Budget::unlimited()).unwrap();
    assert_eq!(report.result.verdict, Verdict::NotLinearizable);
    let failure = report.result.failure.unwrap();
    assert_eq!(failure.unplaced_indices(), vec![2]);
    assert_eq!(failure.state_after_prefix, "4");
}

#[test]
fn malformed_json_lines_name_file_and_line() {
    let mut text = kv_json_lines(false);
    text.push_str("{\"client\":0,\"input\":{\"f\":\"get\"},\"call\":1,\"outcome\":\"unknown\",\"ret\":null}\n");
    let file = TempFile::new("broken.jsonl", &text);
    let error = check_history_file(&file.0, "kv", Budget::unlimited())
        .unwrap_err()
        .to_string();
    let expected_start = format!(
        "{}:3: expected one operation object per line",
        file.0.display()
    );
    assert!(error.starts_with(&expected_start), "{error}");
    assert!(error.contains("missing field `key`"), "{error}");
}

#[test]
fn unrecognised_content_is_an_error_not_a_verdict() {
    let file = TempFile::new("notes.txt", "these are not operations\n");
    let error = check_history_file(&file.0, "kv", Budget::unlimited())
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot tell the history format"), "{error}");
    let error = check_history_file(&file.0, "stack", Budget::unlimited())
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("unknown model `stack`"), "{error}");
}
