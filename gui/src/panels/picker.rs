//! The scenario picker: every file under the scenarios folder with its name
//! and description, a path field for any other file, the seed, and reload.
//! A bad scenario shows its error (file, line, column) here; the lab keeps
//! running whatever was open before. In a browser it lists the embedded
//! scenarios and the user's files, and offers a file dialog and the editor
//! instead of the path field.

use crate::command::Command;
use crate::theme;
use eframe::egui::{self, RichText};
use faultline_algorithms::scenario::{Scenario, parse_seed, scenario_files};
use std::path::{Path, PathBuf};

/// One file of the scenarios folder.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The file.
    pub path: PathBuf,
    /// Shown name: the path under the folder.
    pub shown: String,
    /// The scenario's title, or the error that keeps it from loading.
    pub title: Result<String, String>,
    /// Its description.
    pub description: String,
    /// Steps of its guided tour (0: none).
    pub tour: usize,
}

/// The folders of the shipped scenarios in the order of the lessons
/// (docs/lessons): Raft, Paxos, replication, consistent hashing, gossip;
/// then the rest, searches, and the bug zoo last.
pub const LESSON_ORDER: [&str; 11] = [
    "raft",
    "paxos",
    "multi-paxos",
    "primary-backup",
    "chain",
    "async-replica",
    "quorum",
    "compare",
    "hashing",
    "gossip",
    "pingstorm",
];

/// Where a file goes in the picker: lessons first in lesson order, toured
/// files first in their folder, bug variants after the lessons' own files;
/// folders the list does not know next, then searches, then the bug zoo.
fn rank(shown: &str, tour: usize) -> (usize, String, u8, String) {
    let path = Path::new(shown);
    let folder = path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let top = folder.split('/').next().unwrap_or("");
    let group = match LESSON_ORDER.iter().position(|f| *f == top) {
        Some(i) => i,
        None if top == "bugs" => LESSON_ORDER.len() + 2,
        None if top == "explore" => LESSON_ORDER.len() + 1,
        None => LESSON_ORDER.len(),
    };
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let within = if tour > 0 {
        0
    } else if file.starts_with("bug-") {
        2
    } else {
        1
    };
    (group, folder, within, file)
}

/// Sorts entries into the picker's order (by `rank`).
pub fn sort_entries(entries: &mut [Entry]) {
    entries.sort_by_cached_key(|e| rank(&e.shown, e.tour));
}

/// The picker panel.
#[derive(Debug, Default)]
pub struct ScenarioPicker {
    /// The folder listed.
    pub dir: PathBuf,
    /// Its scenarios, sorted.
    pub entries: Vec<Entry>,
    /// The path field.
    pub path_text: String,
    /// The seed field (empty: the scenario's own seed).
    pub seed_text: String,
    /// In a browser: the entries are the library's, and files come from
    /// the user's disk through a dialog or from the editor, not a path.
    pub in_browser: bool,
    scanned: bool,
}

impl ScenarioPicker {
    /// A picker over `dir`.
    pub fn new(dir: PathBuf) -> Self {
        ScenarioPicker {
            dir,
            ..ScenarioPicker::default()
        }
    }

    /// Lists the folder again.
    pub fn rescan(&mut self) {
        self.entries = scenario_files(&self.dir)
            .into_iter()
            .map(|path| {
                let shown = path
                    .strip_prefix(&self.dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                let (title, description, tour) = match Scenario::load(&path) {
                    Ok(s) => (Ok(s.name), s.description, s.tour.steps.len()),
                    Err(e) => (Err(e.to_string()), String::new(), 0),
                };
                Entry {
                    path,
                    shown,
                    title,
                    description,
                    tour,
                }
            })
            .collect();
        sort_entries(&mut self.entries);
        self.scanned = true;
    }

    /// Lists files given with their text (a browser's library) instead of
    /// a folder: shipped ones under their folder, the user's under "your
    /// files".
    pub fn list(&mut self, files: &[(PathBuf, &str)]) {
        self.entries = files
            .iter()
            .map(|(path, text)| {
                let shown = match path.strip_prefix(&self.dir) {
                    Ok(inner) => inner.display().to_string(),
                    Err(_) => format!("your files/{}", path.display()),
                };
                let (title, description, tour) =
                    match Scenario::parse(&path.display().to_string(), text) {
                        Ok(s) => (Ok(s.name), s.description, s.tour.steps.len()),
                        Err(e) => (Err(e.to_string()), String::new(), 0),
                    };
                Entry {
                    path: path.clone(),
                    shown,
                    title,
                    description,
                    tour,
                }
            })
            .collect();
        sort_entries(&mut self.entries);
        self.scanned = true;
    }

    /// The seed field's value: `Ok(None)` when empty.
    pub fn seed(&self) -> Result<Option<u64>, String> {
        let t = self.seed_text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        parse_seed(t).map(Some)
    }

    /// Draws the panel. `current` is the open file; `error` the last
    /// failure to open one.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        current: Option<&Path>,
        error: Option<&str>,
        out: &mut Vec<Command>,
    ) {
        if !self.scanned {
            self.rescan();
        }
        ui.heading("Scenarios");
        if let Some(error) = error {
            egui::Frame::new()
                .fill(theme::VIOLATION_BG)
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.label(
                        RichText::new("Cannot open the scenario")
                            .strong()
                            .color(theme::RED),
                    );
                    ui.label(RichText::new(error).monospace());
                });
        }
        let seed = self.seed();
        ui.horizontal(|ui| {
            let label = ui.label("Seed");
            ui.add(
                egui::TextEdit::singleline(&mut self.seed_text)
                    .hint_text("scenario's")
                    .desired_width(90.0),
            )
            .labelled_by(label.id);
            if ui
                .add_enabled(
                    current.is_some() && seed.is_ok(),
                    egui::Button::new("Reload"),
                )
                .on_hover_text("Open the scenario again from disk with this seed (Ctrl+R)")
                .clicked()
            {
                out.push(Command::Reload {
                    seed: seed.clone().unwrap_or(None),
                });
            }
        });
        if let Err(e) = &seed {
            ui.colored_label(theme::RED, e);
        }
        if self.in_browser {
            self.browser_files_ui(ui, out);
        } else {
            self.disk_files_ui(ui, &seed, out);
        }
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            if self.entries.is_empty() {
                ui.label("No scenario files found.");
            }
            let mut folder = String::new();
            for entry in &self.entries {
                let this_folder = Path::new(&entry.shown)
                    .parent()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                if this_folder != folder {
                    folder = this_folder;
                    ui.add_space(4.0);
                    let heading = match folder.as_str() {
                        "bugs" => "bugs — the bug zoo (minimised catches)".to_string(),
                        "explore" => "explore — searches (faultline explore)".to_string(),
                        f => f.to_string(),
                    };
                    ui.label(RichText::new(heading).strong());
                }
                let selected = current.is_some_and(|c| same_file(c, &entry.path));
                let title = match &entry.title {
                    Ok(t) => t.clone(),
                    Err(_) => "invalid scenario".to_string(),
                };
                let file = Path::new(&entry.shown)
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default();
                let text = if entry.tour > 0 {
                    RichText::new(format!("▶ {title}\n{file} · tour, {} steps", entry.tour))
                } else {
                    RichText::new(format!("{title}\n{file}"))
                };
                let text = if entry.title.is_err() {
                    text.color(theme::RED)
                } else {
                    text
                };
                let response = ui.selectable_label(selected, text);
                let response = match &entry.title {
                    Ok(_) if !entry.description.is_empty() => {
                        response.on_hover_text(entry.description.clone())
                    }
                    Err(e) => response.on_hover_text(e.clone()),
                    _ => response,
                };
                if response.clicked() {
                    self.path_text = entry.path.display().to_string();
                    out.push(Command::Open {
                        path: entry.path.clone(),
                        seed: seed.clone().unwrap_or(None),
                    });
                }
            }
        });
    }

    /// The path field and the folder's rescan: files on disk.
    fn disk_files_ui(
        &mut self,
        ui: &mut egui::Ui,
        seed: &Result<Option<u64>, String>,
        out: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            let label = ui.label("File");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.path_text)
                        .hint_text("path/to/scenario.toml")
                        .desired_width(ui.available_width() - 60.0),
                )
                .labelled_by(label.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Open").clicked() || enter) && !self.path_text.trim().is_empty() {
                out.push(Command::Open {
                    path: PathBuf::from(self.path_text.trim()),
                    seed: seed.clone().unwrap_or(None),
                });
            }
        });
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("in {}", self.dir.display()))
                    .small()
                    .weak(),
            );
            if ui.small_button("Rescan").clicked() {
                self.rescan();
            }
        });
    }

    /// A dialog for a file from the user's disk, and the editor to paste
    /// one into: a browser has no paths to type.
    fn browser_files_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if ui
                .button("Open a file…")
                .on_hover_text("A scenario file from your disk (or drop one on the page)")
                .clicked()
            {
                out.push(Command::PickFile);
            }
            if ui
                .button("Paste or edit…")
                .on_hover_text("The scenario editor: edit the open scenario, or paste one in")
                .clicked()
            {
                out.push(Command::ToggleEditor);
            }
        });
        ui.label(
            RichText::new(format!("{} scenarios in this page", self.entries.len()))
                .small()
                .weak(),
        );
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
