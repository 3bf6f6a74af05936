//! "Save as scenario": a branch of a run — the scenario, its seed, and every
//! fault the branch applied, interactive injections included with their exact
//! `after_event` placement — written as a self-contained scenario file.
//!
//! The file is the scenario layer's replay format
//! ([`faultline_algorithms::scenario::replay::replay_text`]): the original
//! scenario's text with `seed` set, `[[faults]]` replaced by the branch's
//! schedule, no `[nemesis]` (its faults are in the schedule), and a
//! `[replay]` table holding the fingerprint and outcome of the branch run to
//! its end. `expect` is set to that outcome, so `faultline run` on the file
//! passes and `faultline replay` checks the fingerprint.
//!
//! Files are written with [`AtomicFile`]: to a temporary file in the same
//! folder, then renamed into place, so a crash or a full disk never leaves
//! a half-written file where a good one was expected. The `faultline`
//! command writes every file it writes through it as well.

use faultline_algorithms::scenario::Scenario;
use faultline_algorithms::scenario::replay::{format_fingerprint, replay_text};
use faultline_sim::{FaultSchedule, TraceMode};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file that appears at its path complete or not at all.
///
/// [`AtomicFile::create`] opens a temporary file next to the destination
/// (`.NAME.PID.N.tmp`, in the same folder so that the final rename stays on
/// one file system); [`AtomicFile::commit`] flushes it, syncs it to disk and
/// renames it over the destination. Dropped without a commit (an error
/// while writing, say), the temporary file is removed and the destination
/// is left as it was. Only a process killed mid-write can leave the
/// temporary file behind — never a truncated destination.
///
/// Destinations that are not regular files — devices such as `/dev/null`,
/// pipes, and the already-open descriptors `/dev/stdout`, `/dev/stderr`
/// and `/dev/fd/N` — cannot be replaced by a rename; they are written in
/// place (appending), as any program would.
///
/// Missing folders on the way to the destination are created.
pub struct AtomicFile {
    /// Where the file ends up (a symbolic link's target, not the link).
    target: PathBuf,
    /// The temporary file; `None` when writing in place.
    temp: Option<PathBuf>,
    out: BufWriter<File>,
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl AtomicFile {
    /// Starts writing `path`. Errors are the operating system's; the
    /// caller names the file.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        if writes_in_place(path) {
            let file = OpenOptions::new().append(true).open(path)?;
            return Ok(AtomicFile {
                target: path.to_path_buf(),
                temp: None,
                out: BufWriter::new(file),
            });
        }
        // Replace a link's target and keep the link.
        let target = if path.is_symlink() {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        } else {
            path.to_path_buf()
        };
        let existing = fs::metadata(&target).ok();
        if existing.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "it is a folder; expected a file name",
            ));
        }
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_folder(&folder)?;
        let name = target
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        let (file, temp) = loop {
            let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
            let temp = folder.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => break (file, temp),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        };
        if let Some(meta) = existing {
            // Keep the permissions of the file being replaced.
            let _ = fs::set_permissions(&temp, meta.permissions());
        }
        Ok(AtomicFile {
            target,
            temp: Some(temp),
            out: BufWriter::new(file),
        })
    }

    /// Finishes the file: flush, sync, rename into place.
    pub fn commit(mut self) -> io::Result<()> {
        self.out.flush()?;
        let Some(temp) = self.temp.clone() else {
            return Ok(());
        };
        self.out.get_ref().sync_all()?;
        fs::rename(&temp, &self.target)?;
        self.temp = None;
        // Make the rename itself durable where the platform allows it.
        if let Some(folder) = self.target.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(dir) = File::open(folder)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = fs::remove_file(temp);
        }
    }
}

/// Writes `bytes` to `path` through an [`AtomicFile`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Whether `path` names something a rename cannot replace: a device, a
/// pipe or socket, or a descriptor the process already has open.
fn writes_in_place(path: &Path) -> bool {
    let open_descriptor = ["/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/"]
        .iter()
        .any(|p| path.starts_with(p));
    open_descriptor || fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Creates `folder` and its parents, saying which one is in the way when
/// a file stands where a folder is needed.
fn create_folder(folder: &Path) -> io::Result<()> {
    fs::create_dir_all(folder).map_err(|e| {
        let blocker = folder
            .ancestors()
            .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir());
        match blocker {
            Some(file) => io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is a file, not a folder", file.display()),
            ),
            None => e,
        }
    })
}

/// A branch ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedBranch {
    /// The file's text.
    pub text: String,
    /// The fingerprint of the branch run to its end.
    pub fingerprint: u64,
    /// Its outcome: `pass` or the failed check.
    pub outcome: String,
    /// Whether the liveness check was dropped (its bound no longer fits
    /// after the branch's last fault).
    pub liveness_dropped: bool,
}

/// Runs the branch (`scenario` with `seed` and the fault `schedule`) to its
/// end and returns the scenario text that reproduces it.
///
/// A liveness bound that no longer fits after the branch's last fault (the
/// scenario format rejects it) is dropped from the saved file's `[checks]`,
/// and the outcome recorded is the one without it.
pub fn branch_text(
    scenario: &Scenario,
    seed: u64,
    schedule: FaultSchedule,
) -> Result<SavedBranch, String> {
    match branch_text_as_is(scenario, seed, schedule.clone()) {
        Err(e) if e.contains("liveness") && scenario.checks.liveness.is_some() => {
            let mut table: toml::Table = scenario.text.parse().map_err(|e: toml::de::Error| {
                format!("cannot re-read the scenario: {}", e.message())
            })?;
            if let Some(checks) = table.get_mut("checks").and_then(|c| c.as_table_mut()) {
                checks.remove("liveness");
            }
            let mut without = scenario.clone();
            without.text = toml::to_string(&table).map_err(|e| e.to_string())?;
            without.checks.liveness = None;
            let mut saved = branch_text_as_is(&without, seed, schedule)?;
            saved.liveness_dropped = true;
            Ok(saved)
        }
        other => other,
    }
}

fn branch_text_as_is(
    scenario: &Scenario,
    seed: u64,
    schedule: FaultSchedule,
) -> Result<SavedBranch, String> {
    let mut config = scenario.world_config(seed, TraceMode::Fingerprint);
    config.faults = schedule;
    config.snapshot_every = 0;
    let mut handle = scenario.build_with(config).map_err(|e| e.to_string())?;
    handle.run();
    let report = scenario.evaluate(handle.as_ref(), seed);
    let replay = replay_text(scenario, &report)?;
    let mut table: toml::Table = replay
        .parse()
        .map_err(|e: toml::de::Error| format!("cannot re-read the branch: {}", e.message()))?;
    let injected = report
        .faults
        .iter()
        .filter(|f| f.after_event.is_some())
        .count();
    if !scenario.name.ends_with("(branch)") {
        table.insert(
            "name".into(),
            toml::Value::String(format!("{} (branch)", scenario.name)),
        );
    }
    let original_expect = table.get("expect").cloned();
    table.insert(
        "expect".into(),
        toml::Value::String(report.outcome().to_string()),
    );
    let header = format!(
        "# Faultline scenario saved from the lab: {} with seed {seed} and {injected} \
         injected fault(s).\n# Replay it exactly (fingerprint {}) with:\n#   faultline replay <this file>\n\n",
        scenario.file,
        format_fingerprint(report.fingerprint)
    );
    let render = |table: &toml::Table| -> Result<String, String> {
        let body = toml::to_string(table).map_err(|e| format!("cannot write the branch: {e}"))?;
        Ok(format!("{header}{body}"))
    };
    let mut text = render(&table)?;
    if Scenario::parse("saved branch", &text).is_err() {
        // An outcome the file format cannot name as `expect` (a kernel
        // check, say): keep the original expectation; the fingerprint in
        // `[replay]` still pins the run.
        match original_expect {
            Some(e) => table.insert("expect".into(), e),
            None => table.remove("expect"),
        };
        text = render(&table)?;
        Scenario::parse("saved branch", &text).map_err(|e| e.to_string())?;
    }
    Ok(SavedBranch {
        text,
        fingerprint: report.fingerprint,
        outcome: report.outcome().to_string(),
        liveness_dropped: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_committed_file_appears_whole_and_nothing_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/er/out.toml");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"name = \"x\"\n").unwrap();
        assert!(!path.exists(), "nothing at the final path before commit");
        file.commit().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "name = \"x\"\n");
        assert_eq!(names(path.parent().unwrap()), ["out.toml"]);
    }

    #[test]
    fn a_write_that_fails_leaves_the_old_file_and_no_partial_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        fs::write(&path, "old and complete").unwrap();
        {
            let mut file = AtomicFile::create(&path).unwrap();
            file.write_all(b"{\"half\": ").unwrap();
            file.flush().unwrap();
            // The writer fails here (an error returned with `?`): the file
            // is dropped without commit.
        }
        assert_eq!(fs::read_to_string(&path).unwrap(), "old and complete");
        assert_eq!(names(dir.path()), ["summary.json"]);
        // The same with no earlier file: nothing appears at all.
        let fresh = dir.path().join("fresh.json");
        drop(AtomicFile::create(&fresh).unwrap());
        assert!(!fresh.exists());
        assert_eq!(names(dir.path()), ["summary.json"]);
    }

    #[test]
    fn a_file_in_the_way_of_the_folder_or_a_folder_as_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("plain");
        fs::write(&blocker, "x").unwrap();
        let error = AtomicFile::create(&blocker.join("sub/out.json"))
            .err()
            .unwrap();
        assert_eq!(error.kind(), io::ErrorKind::NotADirectory);
        assert!(
            error.to_string().contains("is a file, not a folder"),
            "{error}"
        );
        let error = AtomicFile::create(dir.path()).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory);
        assert_eq!(names(dir.path()), ["plain"]);
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_in_place_and_links_keep_pointing_at_the_file() {
        write_atomic(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(Path::new("/dev/null").exists());
        if Path::new("/dev/full").exists() {
            let error = write_atomic(Path::new("/dev/full"), b"x").unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        }
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.toml");
        let link = dir.path().join("link.toml");
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(link.is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
    }
}
