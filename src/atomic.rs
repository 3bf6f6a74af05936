//! Every file the CLI writes goes through here: atomically (a temporary
//! file in the same folder, renamed into place when complete — see
//! [`AtomicFile`]), and with errors that name the file once and give the
//! operating system's message once ([`Failure::Write`], exit code 3).

use crate::error::Failure;
use faultline_gui::save::AtomicFile;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes the file at `path` with `fill`, atomically. An I/O error, however
/// `fill` passed it on (through serde, `anyhow`, or not at all), is
/// reported as "cannot write `path`"; any other error from `fill` is an
/// internal one. On error nothing appears at `path`: what was there stays.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file = AtomicFile::create(path).map_err(|e| Failure::write(path, e))?;
    let mut out = Recording::new(file);
    let result = fill(&mut out).and_then(|()| Ok(out.flush()?));
    match (result, out.error) {
        (_, Some(e)) => Err(Failure::write(path, e).into()),
        (Ok(()), None) => Ok(out.inner.commit().map_err(|e| Failure::write(path, e))?),
        (Err(e), None) => {
            Err(Failure::Internal(format!("while writing {}: {e:#}", path.display())).into())
        }
    }
}

/// Writes `bytes` to the file at `path`, atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_with(path, |out| Ok(out.write_all(bytes)?))
}

/// Writes to standard output with `fill`; an I/O error is reported as
/// "cannot write standard output".
pub fn write_stdout(fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let mut out = Recording::new(io::BufWriter::new(io::stdout().lock()));
    let result = fill(&mut out).and_then(|()| Ok(out.flush()?));
    match out.error {
        Some(e) => Err(Failure::Write {
            target: crate::error::STDOUT.into(),
            source: e,
        }
        .into()),
        None => result,
    }
}

/// Checks that the file at `path` can be written, before the work that
/// produces it: its folder is created and a temporary file is made there
/// and removed. Nothing appears at `path`.
pub fn probe(path: &Path) -> Result<(), Failure> {
    AtomicFile::create(path)
        .map(drop)
        .map_err(|e| Failure::write(path, e))
}

/// Checks that files can be written in the folder `dir` (creating it).
/// The folders this created are removed again, if still empty, when the
/// returned value is dropped: a run that wrote nothing there leaves
/// nothing behind.
pub fn probe_folder(dir: &Path) -> Result<CreatedFolders, Failure> {
    let created = CreatedFolders(
        dir.ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect(),
    );
    AtomicFile::create(&dir.join("probe"))
        .map(drop)
        .map_err(|e| Failure::write(dir, e))?;
    Ok(created)
}

/// Folders created by [`probe_folder`], deepest first.
#[must_use = "dropping it at once removes the folders it created"]
pub struct CreatedFolders(Vec<PathBuf>);

impl Drop for CreatedFolders {
    fn drop(&mut self) {
        for dir in &self.0 {
            // Fails, as it should, on a folder that is no longer empty.
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// A writer that remembers its first I/O error.
struct Recording<W> {
    inner: W,
    error: Option<io::Error>,
}

impl<W: Write> Recording<W> {
    fn new(inner: W) -> Self {
        Recording { inner, error: None }
    }

    fn keep<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && self.error.is_none()
        {
            // `io::Error` is not `Clone`; an equal one is kept.
            self.error = Some(match e.raw_os_error() {
                Some(code) => io::Error::from_raw_os_error(code),
                None => io::Error::new(e.kind(), e.to_string()),
            });
        }
        result
    }
}

impl<W: Write> Write for Recording<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.keep(result)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let result = self.inner.write_all(buf);
        self.keep(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.keep(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{FAILURE, exit_code};

    #[test]
    fn an_error_inside_the_writer_names_the_file_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("faultline-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("out.json");
        write_file(&path, b"first").unwrap();
        // A serialiser that fails half-way, after writing some of its output.
        let error = write_with(&path, |out| {
            out.write_all(b"{\"partial\": ")?;
            anyhow::bail!("the serialiser gave up")
        })
        .unwrap_err();
        assert_eq!(exit_code(&error), FAILURE);
        let text = format!("{error:#}");
        assert!(text.contains("out.json"), "{text}");
        assert!(text.contains("the serialiser gave up"), "{text}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
