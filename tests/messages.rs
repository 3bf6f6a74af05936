//! Error messages about input files other than scenarios: each names the
//! file and the place in it, in plain words, without echoing huge values.

mod common;

use common::{assert_exit, faultline, faultline_in, scratch, stderr};

#[test]
fn list_of_a_missing_folder_is_bad_input() {
    let out = faultline(&["list", "--dir", "/nonexistent/scenarios"]);
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot list the scenarios in /nonexistent/scenarios: {}\n",
            std::io::Error::from_raw_os_error(2)
        )
    );
}

#[test]
fn a_history_that_is_not_utf8_is_located() {
    let dir = scratch("messages-history-utf8");
    std::fs::write(
        dir.join("h.jsonl"),
        b"{\"client\":0,\"input\":{\"f\":\"get\",\"key\":\"x\"},\"call\":0,\"outcome\":\"fail\",\"ret\":1}\n{\"cl\xc3\xa9\xfe",
    )
    .unwrap();
    let out = faultline_in(&dir, &["check-history", "h.jsonl", "--model", "kv"]);
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out),
        "error: h.jsonl:2:6: found the byte 0xfe, which is not UTF-8 text; expected a text file in UTF-8\n"
    );
}

#[test]
fn a_huge_value_in_a_history_is_not_echoed_whole() {
    let dir = scratch("messages-history-huge");
    let huge = "z".repeat(200_000);
    std::fs::write(
        dir.join("h.jsonl"),
        format!(
            "{{\"client\":0,\"input\":{{\"f\":\"{huge}\",\"key\":\"x\"}},\"call\":0,\"outcome\":\"fail\",\"ret\":1}}\n"
        ),
    )
    .unwrap();
    let out = faultline_in(&dir, &["check-history", "h.jsonl", "--model", "kv"]);
    assert_exit(&out, 2);
    let shown = stderr(&out);
    assert!(shown.len() < 1_000, "{} bytes of stderr", shown.len());
    assert!(
        shown.starts_with("error: h.jsonl:1: expected one operation object"),
        "{shown}"
    );
    assert!(shown.contains("unknown variant `zzz"), "{shown}");
}

#[test]
fn a_bad_summary_is_located_in_plain_words() {
    let dir = scratch("messages-summary");
    std::fs::write(
        dir.join("binary.json"),
        b"{\n  \"faultline_summary\": \xff\n",
    )
    .unwrap();
    let out = faultline_in(&dir, &["merge-summaries", "binary.json"]);
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out),
        "error: binary.json:2:24: found the byte 0xff, which is not UTF-8 text; expected a text file in UTF-8\n"
    );
    std::fs::write(
        dir.join("typed.json"),
        "{\n  \"faultline_summary\": \"one\"\n}\n",
    )
    .unwrap();
    let out = faultline_in(&dir, &["merge-summaries", "typed.json"]);
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out),
        "error: typed.json:2:28: not a summary written by `faultline check --summary-json`: \
         found the string \"one\", expected a whole number from 0 to 4294967295\n"
    );
}
