//! The scenario editor: the open scenario's text in a code field, checked
//! as it is typed with the reader `faultline run` uses, so an error reads
//! exactly as the command line prints it (`file:line:column: error: ...`)
//! and its line is marked in the text. Paste a whole file in (Clear first)
//! to bring a scenario into a browser that has no file system; open the text
//! to run it, or download it.

use crate::command::Command;
use crate::theme;
use eframe::egui::{self, RichText, text::LayoutJob};
use faultline_algorithms::scenario::Scenario;
use std::path::{Path, PathBuf};

/// The name given to text pasted with nothing open.
pub const PASTED_NAME: &str = "pasted.toml";

/// What the reader says of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It reads: the scenario's title.
    Valid(String),
    /// It does not: the message as the command line prints it, and the
    /// line it points at (1-based), if any.
    Invalid {
        /// `file:line:column: error: ...`.
        message: String,
        /// The line to mark.
        line: Option<usize>,
    },
}

/// The editor window.
#[derive(Debug, Default)]
pub struct EditorPanel {
    /// Whether the window is shown.
    pub open: bool,
    /// The file name: in messages, for downloads, and in the picker.
    pub name: String,
    /// The text being edited.
    pub text: String,
    /// The reader's verdict on (name, text), when they last changed.
    checked: Option<((String, String), Verdict)>,
}

impl EditorPanel {
    /// Shows `text` of the file `path` (a scenario just opened).
    pub fn load(&mut self, path: &Path, text: &str) {
        self.name = path.display().to_string();
        self.text = text.to_string();
    }

    /// The reader's verdict on the text, read again only after a change.
    pub fn verdict(&mut self) -> &Verdict {
        let key = (self.name.clone(), self.text.clone());
        if self.checked.as_ref().is_none_or(|(k, _)| *k != key) {
            let verdict = match Scenario::parse(&self.file_name(), &self.text) {
                Ok(s) => Verdict::Valid(s.name),
                Err(e) => Verdict::Invalid {
                    message: e.to_string(),
                    line: e.location.map(|l| l.line),
                },
            };
            self.checked = Some((key, verdict));
        }
        &self.checked.as_ref().expect("just checked").1
    }

    /// The name used for the text (a default when the field is empty).
    pub fn file_name(&self) -> String {
        let name = self.name.trim();
        if name.is_empty() {
            PASTED_NAME.to_string()
        } else {
            name.to_string()
        }
    }

    /// Draws the window. `current` is the open scenario (for Revert);
    /// `seed` the seed the text is opened with.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        current: Option<(&Path, &str)>,
        seed: Option<u64>,
        out: &mut Vec<Command>,
    ) {
        let mut open = self.open;
        egui::Window::new("Scenario editor")
            .open(&mut open)
            .default_size([560.0, 620.0])
            .vscroll(false)
            .show(ctx, |ui| self.contents_ui(ui, current, seed, out));
        self.open = open;
    }

    fn contents_ui(
        &mut self,
        ui: &mut egui::Ui,
        current: Option<(&Path, &str)>,
        seed: Option<u64>,
        out: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            let label = ui.label("File name");
            ui.add(egui::TextEdit::singleline(&mut self.name).hint_text(PASTED_NAME))
                .labelled_by(label.id);
        });
        let verdict = self.verdict().clone();
        self.buttons_ui(ui, &verdict, current, seed, out);
        verdict_ui(ui, &verdict);
        ui.separator();
        let error_line = match &verdict {
            Verdict::Invalid { line, .. } => *line,
            Verdict::Valid(_) => None,
        };
        let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap_width: f32| {
            let mut job = highlighted(buf.as_str(), error_line, ui.visuals().text_color());
            job.wrap.max_width = wrap_width;
            ui.fonts_mut(|f| f.layout_job(job))
        };
        let label = ui.label(RichText::new("Scenario text").small().weak());
        egui::ScrollArea::both().show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut self.text)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(30)
                    .hint_text("Paste a scenario file here")
                    .layouter(&mut layouter),
            )
            .labelled_by(label.id)
        });
    }

    fn buttons_ui(
        &mut self,
        ui: &mut egui::Ui,
        verdict: &Verdict,
        current: Option<(&Path, &str)>,
        seed: Option<u64>,
        out: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            let valid = matches!(verdict, Verdict::Valid(_));
            if ui
                .add_enabled(valid, egui::Button::new("▶ Open this text"))
                .on_hover_text("Run this text as the open scenario, with the picker's seed")
                .clicked()
            {
                out.push(Command::OpenText {
                    path: PathBuf::from(self.file_name()),
                    text: self.text.clone(),
                    seed,
                });
            }
            if ui
                .add_enabled(current.is_some(), egui::Button::new("Revert"))
                .on_hover_text("Back to the open scenario's text")
                .clicked()
                && let Some((path, text)) = current
            {
                self.load(path, text);
            }
            if ui
                .button("Clear")
                .on_hover_text("Empty the field, to paste a file in")
                .clicked()
            {
                self.text.clear();
                self.name = PASTED_NAME.to_string();
            }
            if ui
                .button("⬇ Download")
                .on_hover_text("Save this text as a file")
                .clicked()
            {
                out.push(Command::Download {
                    name: download_name(&self.file_name()),
                    text: self.text.clone(),
                });
            }
        });
    }
}

fn verdict_ui(ui: &mut egui::Ui, verdict: &Verdict) {
    match verdict {
        Verdict::Valid(title) => {
            ui.colored_label(theme::GREEN, format!("✔ reads as \"{title}\""));
        }
        Verdict::Invalid { message, .. } => {
            ui.label(RichText::new(message).monospace().color(theme::RED));
        }
    }
}

/// The text laid out in monospace with `error_line` (1-based) marked.
fn highlighted(text: &str, error_line: Option<usize>, color: egui::Color32) -> LayoutJob {
    let mut job = LayoutJob::default();
    let plain = egui::TextFormat {
        font_id: egui::FontId::monospace(13.0),
        color,
        ..Default::default()
    };
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let mut format = plain.clone();
        if error_line == Some(i + 1) {
            format.background = theme::VIOLATION_BG;
            format.underline = egui::Stroke::new(1.0, theme::RED);
        }
        job.append(line, 0.0, format);
    }
    job
}

/// The last part of a path, as a browser download's name.
pub fn download_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| PASTED_NAME.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reads_as_the_command_line_prints_it_and_marks_its_line() {
        let mut editor = EditorPanel::default();
        editor.load(
            Path::new("scenarios/gossip/basic.toml"),
            "name = \"x\"\nalgorithm = \"gossip\"\nservers = \"three\"\n",
        );
        let cli = Scenario::parse("scenarios/gossip/basic.toml", &editor.text)
            .unwrap_err()
            .to_string();
        match editor.verdict() {
            Verdict::Invalid { message, line } => {
                assert_eq!(*message, cli);
                assert!(
                    message.starts_with("scenarios/gossip/basic.toml:3:"),
                    "{message}"
                );
                assert_eq!(*line, Some(3));
            }
            other => panic!("expected an error, got {other:?}"),
        }
        let job = highlighted(&editor.text, Some(3), egui::Color32::WHITE);
        let marked: Vec<&str> = job
            .sections
            .iter()
            .filter(|s| s.format.background == theme::VIOLATION_BG)
            .map(|s| &job.text[s.byte_range.start.0..s.byte_range.end.0])
            .collect();
        assert_eq!(marked, ["servers = \"three\"\n"]);
    }

    #[test]
    fn a_valid_text_gives_its_title_and_pasted_text_has_a_name() {
        let shipped = crate::web::library::shipped_text(Path::new("scenarios/gossip/basic.toml"));
        let mut editor = EditorPanel {
            text: shipped.unwrap().to_string(),
            ..EditorPanel::default()
        };
        assert_eq!(editor.verdict(), &Verdict::Valid("Gossip basics".into()));
        assert_eq!(editor.file_name(), PASTED_NAME);
        assert_eq!(download_name("scenarios/raft/x.toml"), "x.toml");
        assert_eq!(download_name(""), PASTED_NAME);
    }
}
