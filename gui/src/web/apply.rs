//! How the lab applies the commands that only make sense in a browser:
//! opening scenario text, handing files to the user, saving a branch as a
//! download. The desktop lab answers them with a notice.

use super::{Download, editor::download_name};
use crate::app::{LabApp, Notice};
use crate::session::Session;
use std::path::{Path, PathBuf};

impl LabApp {
    /// Opens scenario text that is no file on disk, keeping it in the
    /// browser's library under `path` (so that Reload finds it). Text that
    /// does not read opens in the editor with its error marked.
    pub fn open_text(&mut self, path: PathBuf, text: String, seed: Option<u64>) {
        let opened = Session::open_text(&path, &text, seed);
        let failed = opened.is_err();
        self.opened(&path, opened);
        let Some(web) = self.web.as_mut() else {
            return;
        };
        if failed {
            web.editor.load(&path, &text);
            web.editor.open = true;
        } else {
            web.library.insert(path, text);
            let files = web.library.files();
            self.picker.list(&files);
        }
    }

    /// Hands `text` to the user as the file `name`.
    pub(crate) fn download(&mut self, name: String, text: String) {
        match self.web.as_mut() {
            Some(web) => {
                self.notice = Some(Notice {
                    text: format!("Downloaded {name}."),
                    error: false,
                });
                web.downloads.push(Download { name, text });
            }
            None => self.not_in_browser("Downloading"),
        }
    }

    /// Saves the branch as a download named after `path`'s last part: the
    /// same replay file the desktop writes.
    pub(crate) fn download_branch(&mut self, path: &Path) {
        let Some(session) = self.session.as_ref() else {
            return;
        };
        let name = download_name(&path.display().to_string());
        self.notice = Some(match session.branch() {
            Ok(saved) => {
                if let Some(web) = self.web.as_mut() {
                    web.downloads.push(Download {
                        name: name.clone(),
                        text: saved.text,
                    });
                }
                Notice {
                    text: format!(
                        "Downloaded {name} (fingerprint {:#018x}, outcome {}). Replay it on the \
                         desktop: faultline replay {name}",
                        saved.fingerprint, saved.outcome
                    ),
                    error: false,
                }
            }
            Err(e) => Notice {
                text: format!("Cannot save the branch: {e}"),
                error: true,
            },
        });
    }

    /// Says that `what` needs the browser.
    pub(crate) fn not_in_browser(&mut self, what: &str) {
        self.notice = Some(Notice {
            text: format!("{what} is for the lab in a browser."),
            error: true,
        });
    }
}
