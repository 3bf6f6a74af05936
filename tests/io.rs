//! Output files: every file is written atomically, and an output that
//! cannot be written is exit code 3 with the file named once and the
//! operating system's message once.

mod common;

use common::{assert_exit, faultline, faultline_in, root, scratch, stderr, stdout};
use std::path::Path;
use std::process::{Command, Stdio};

const BASIC: &str = "scenarios/gossip/basic.toml";

fn os_message(code: i32) -> String {
    std::io::Error::from_raw_os_error(code).to_string()
}

#[test]
fn a_full_disk_is_exit_3_naming_the_file_once() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = os_message(28);
    let out = faultline(&["run", BASIC, "--history", "/dev/full"]);
    assert_exit(&out, 3);
    assert_eq!(
        stderr(&out),
        format!("error: cannot write /dev/full: {full}\n")
    );
    let out = faultline(&["run", BASIC, "--trace", "/dev/full"]);
    assert_exit(&out, 3);
    assert_eq!(
        stderr(&out),
        format!("error: cannot write /dev/full: {full}\n")
    );
    let out = faultline(&["export", BASIC, "--format", "chrome", "--out", "/dev/full"]);
    assert_exit(&out, 3);
    assert_eq!(
        stderr(&out),
        format!("error: cannot write /dev/full: {full}\n")
    );
    // Standard output on a full disk is named as such.
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["export", BASIC, "--format", "jsonl"])
        .current_dir(root())
        .stdout(Stdio::from(std::fs::File::create("/dev/full").unwrap()))
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_eq!(
        stderr(&out),
        format!("error: cannot write standard output: {full}\n")
    );
    let out = faultline(&[
        "check",
        BASIC,
        "--seeds",
        "0..2",
        "--summary-json",
        "/dev/full",
    ]);
    assert_exit(&out, 3);
    assert!(
        stderr(&out).ends_with(&format!("error: cannot write /dev/full: {full}\n")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_file_where_a_folder_should_be_is_exit_3_naming_both() {
    let dir = scratch("io-not-a-folder");
    std::fs::write(dir.join("plain"), "a file").unwrap();
    let basic = root().join(BASIC);
    let basic = basic.to_str().unwrap();
    let want = "error: cannot write plain/t.jsonl: plain is a file, not a folder\n";
    let out = faultline_in(&dir, &["run", basic, "--trace", "plain/t.jsonl"]);
    assert_exit(&out, 3);
    assert_eq!(stderr(&out), want);
    let out = faultline_in(&dir, &["run", basic, "--history", "plain/t.jsonl"]);
    assert_exit(&out, 3);
    assert_eq!(stderr(&out), want);
    let out = faultline_in(
        &dir,
        &[
            "check",
            basic,
            "--seeds",
            "0..2",
            "--summary-json",
            "s.json",
        ],
    );
    assert_exit(&out, 0);
    let out = faultline_in(
        &dir,
        &["merge-summaries", "s.json", "--out", "plain/m.json"],
    );
    assert_exit(&out, 3);
    assert_eq!(
        stderr(&out),
        "error: cannot write plain/m.json: plain is a file, not a folder\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("plain")).unwrap(),
        "a file"
    );
}

/// A write cut short (here by a file size limit, as a full disk would)
/// leaves the file that was there whole, and no partial file at all.
#[cfg(unix)]
#[test]
fn a_write_cut_short_leaves_the_old_file_whole() {
    let dir = scratch("io-cut-short");
    std::fs::write(dir.join("trace.json"), "the old trace\n").unwrap();
    let basic = root().join(BASIC);
    // `ulimit -f 8`: files may grow to 8 blocks; ignoring SIGXFSZ turns the
    // write past it into an error (EFBIG) instead of a kill.
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 8; trap '' XFSZ; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_faultline"))
        .args(["export", basic.to_str().unwrap(), "--format", "chrome"])
        .args(["--out", "trace.json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_eq!(
        stderr(&out),
        format!("error: cannot write trace.json: {}\n", os_message(27))
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("trace.json")).unwrap(),
        "the old trace\n"
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["trace.json"], "no temporary file is left behind");
    assert!(stdout(&out).is_empty());
}

#[test]
fn an_unreadable_input_gives_the_os_message_once_and_exit_2() {
    let out = faultline(&["check-history", "nope.jsonl", "--model", "kv"]);
    assert_exit(&out, 2);
    assert_eq!(
        stderr(&out),
        format!(
            "error: nope.jsonl: cannot read the history file: {}\n",
            os_message(2)
        )
    );
}
