//! The lab in a browser: what it has there and the desktop has not.
//!
//! A browser gives the lab no file system, so scenarios come from a
//! [`Library`] (every shipped scenario, embedded, and the files the user
//! brings: opened from their disk, pasted or edited in the
//! [`EditorPanel`]); a saved branch becomes a download; and the address
//! carries the scenario, seed and event ([`Link`]), so a link lands on one
//! moment of one run.
//!
//! Everything here is plain Rust over the [`LabApp`] and is tested on the
//! desktop like the rest of the lab; only `runner.rs`, the page glue (the
//! canvas, the address bar, file pickers, downloads, the page's status
//! line), is compiled for `wasm32` alone. With [`LabApp::web`] unset — the
//! desktop lab — none of this is shown or used.

mod apply;
pub mod editor;
pub mod library;
pub mod link;
#[cfg(target_arch = "wasm32")]
mod runner;

pub use editor::EditorPanel;
pub use library::Library;
pub use link::Link;
#[cfg(target_arch = "wasm32")]
pub use runner::start;

use crate::app::{LabApp, Notice};
use crate::command::Command;
use faultline_algorithms::scenario::replay::format_fingerprint;
use faultline_sim::RunStatus;
use std::path::PathBuf;

/// A file the page should hand to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The file's name.
    pub name: String,
    /// Its contents.
    pub text: String,
}

/// What the lab keeps only in a browser.
#[derive(Debug, Default)]
pub struct WebState {
    /// The scenario files the lab can open.
    pub library: Library,
    /// The scenario editor.
    pub editor: EditorPanel,
    /// Files waiting to be handed to the user (the page takes them).
    pub downloads: Vec<Download>,
    /// The user asked to open a file from their disk (the page asks them).
    pub pick_file: bool,
    /// Where the cluster view was drawn in the last frame, in points: the
    /// browser test looks at those pixels.
    pub cluster_rect: Option<eframe::egui::Rect>,
}

/// The address of what the lab shows: the scenario and seed, and the event
/// when paused (while playing, the event moves on every frame and the
/// address would churn).
pub fn current_link(lab: &LabApp) -> Link {
    let Some(session) = lab.session.as_ref() else {
        return Link::default();
    };
    let linkable = lab
        .web
        .as_ref()
        .is_some_and(|w| w.library.is_shipped_as_is(&session.path));
    let name = library::link_name(&session.path).filter(|_| linkable);
    Link {
        file: match name {
            Some(_) => None,
            None => Some(session.path.display().to_string()),
        },
        scenario: name,
        seed: Some(session.seed),
        event: (!lab.playing && session.cursor() > 0).then(|| session.cursor()),
        ..Link::default()
    }
}

/// Opens what `link` names: the scenario with its seed, then the event
/// (or the end of the run, or playback). Problems become the lab's open
/// error, as a bad file does.
pub fn follow(lab: &mut LabApp, link: &Link) {
    let path = match (&link.scenario, &link.file) {
        (Some(name), _) => match library::path_of_link_name(name) {
            Some(path) => path,
            None => {
                lab.open_error = Some(format!(
                    "This address names the scenario `{name}`, which this page does not ship. \
                     Pick one on the left, or open a file from your disk."
                ));
                lab.settings.show_picker = true;
                return;
            }
        },
        (None, Some(file)) => {
            let known = lab
                .web
                .as_ref()
                .is_some_and(|w| w.library.get(&PathBuf::from(file)).is_some());
            if !known {
                lab.open_error = Some(format!(
                    "This address names `{file}`, a file opened from someone's disk or edited \
                     in their browser: a link cannot carry it. Ask for the file, then open it \
                     with \"Open a file…\"."
                ));
                lab.settings.show_picker = true;
                return;
            }
            PathBuf::from(file)
        }
        (None, None) => return,
    };
    lab.open(&path, link.seed);
    if lab.open_error.is_some() {
        return;
    }
    if let Some(event) = link.event {
        lab.push(Command::Seek(event));
    }
    if link.run_to_end {
        lab.push(Command::RunToEnd);
    }
    if link.play {
        lab.push(Command::Play);
    }
}

/// One line per fact of the lab's state, `key=value`, for the page's
/// status element (which the browser test reads): the scenario, its link
/// name, the seed, the cursor, the run's state and fingerprint, the last
/// error.
pub fn status(lab: &LabApp) -> String {
    let mut lines = Vec::new();
    if let Some(s) = &lab.session {
        lines.push(format!("scenario={}", s.path.display()));
        if let Some(name) = library::link_name(&s.path) {
            lines.push(format!("link={name}"));
        }
        lines.push(format!("seed={}", s.seed));
        lines.push(format!("event={}", s.cursor()));
        let state = match s.handle.status() {
            RunStatus::Running => "running".to_string(),
            RunStatus::Finished => "finished".to_string(),
            RunStatus::Violated(v) => format!("violated {}", v.invariant),
        };
        lines.push(format!("state={state}"));
        lines.push(format!(
            "fingerprint={}",
            format_fingerprint(s.handle.fingerprint())
        ));
    }
    if let Some(rect) = lab.web.as_ref().and_then(|w| w.cluster_rect) {
        lines.push(format!(
            "cluster={:.0},{:.0},{:.0},{:.0}",
            rect.min.x,
            rect.min.y,
            rect.width(),
            rect.height()
        ));
    }
    if let Some(e) = &lab.open_error {
        lines.push(format!("error={}", e.replace('\n', " ")));
    }
    if let Some(Notice { text, error: true }) = &lab.notice {
        lines.push(format!("notice={}", text.replace('\n', " ")));
    }
    lines.join("\n")
}

/// The page's title: the scenario and seed.
pub fn title(lab: &LabApp) -> String {
    match &lab.session {
        Some(s) => format!("{} (seed {}) · Faultline lab", s.scenario.name, s.seed),
        None => "Faultline lab".to_string(),
    }
}

#[cfg(test)]
mod tests;
