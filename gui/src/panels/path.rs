//! The path panel: when the opened file replays a path `faultline
//! explore` found, every step of it in order, each labelled with the choice
//! the adversary made (the message delivered, the timer fired, the fault);
//! the steps taken so far are marked, and clicking a step moves the cursor
//! to just after it.

use crate::command::Command;
use crate::session::Session;
use crate::theme;
use eframe::egui::{self, RichText};

/// Draws the path's steps; nothing when the run is not a replayed path.
pub fn ui(ui: &mut egui::Ui, session: &Session, out: &mut Vec<Command>) {
    let taken = session.handle.script_position();
    ui.label(format!(
        "{} of {} steps taken. Each step is one choice of the adversary; click one to go just after it.",
        taken.min(session.steps.len()),
        session.steps.len()
    ));
    for (i, label) in session.steps.iter().enumerate() {
        let text = format!("{:>3}. {label}", i + 1);
        let rich = if i + 1 == taken {
            RichText::new(text)
                .monospace()
                .strong()
                .color(theme::CURSOR)
        } else if i < taken {
            RichText::new(text).monospace()
        } else {
            RichText::new(text).monospace().weak()
        };
        if ui
            .add(egui::Label::new(rich).sense(egui::Sense::click()))
            .on_hover_text("go to just after this step")
            .clicked()
        {
            out.push(Command::Seek(session.step_event(i)));
        }
    }
}
