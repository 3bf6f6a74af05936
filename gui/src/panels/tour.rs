//! The tour card: the current step of the scenario's guided tour beside the
//! cluster view, with previous / next / replay-this-step, and a way back to
//! the tour after the student scrubbed away or injected a fault.

use crate::command::Command;
use crate::session::Session;
use crate::theme;
use eframe::egui::{self, RichText};
use faultline_algorithms::scenario::tour::Unreached;

/// Draws the card for `session`'s tour.
pub fn ui(ui: &mut egui::Ui, session: &Session, out: &mut Vec<Command>) {
    let steps = &session.scenario.tour.steps;
    let Some(step) = steps.get(session.tour.step) else {
        return;
    };
    let i = session.tour.step;
    let n = steps.len();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Tour · step {} of {n}", i + 1)).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("Close")
                .on_hover_text("Hide the tour (the Tour button brings it back)")
                .clicked()
            {
                out.push(Command::ToggleTour);
            }
        });
    });
    ui.add_space(2.0);
    ui.heading(&step.title);
    let cursor = session.cursor();
    let anchor = session.tour.anchors.get(i);
    match anchor {
        Some(Ok(a)) if *a == cursor => {
            ui.label(
                RichText::new(format!("event {a} · {}", step.anchor.describe()))
                    .small()
                    .weak(),
            );
        }
        Some(Ok(a)) => {
            ui.colored_label(
                theme::ORANGE,
                format!(
                    "You are at event {cursor}; this step is at event {a}. Explore freely, then rejoin."
                ),
            );
        }
        Some(Err(why)) => {
            let why = match why {
                Unreached::NotInRun => "this branch never gets there",
                Unreached::AfterUnreached => "a step before it is not reached",
                Unreached::BeforePrevious { .. } => "it comes before the previous step",
            };
            ui.colored_label(
                theme::ORANGE,
                format!(
                    "Not reached in this branch ({why}): {}.",
                    step.anchor.describe()
                ),
            );
        }
        None => {}
    }
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("tour_text")
        .max_height(ui.available_height() - 70.0)
        .show(ui, |ui| {
            for paragraph in step.text.split("\n\n") {
                ui.label(paragraph.split_whitespace().collect::<Vec<_>>().join(" "));
                ui.add_space(4.0);
            }
        });
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(i > 0, egui::Button::new("◀ Previous"))
            .on_hover_text("The step before, at its place in the run")
            .clicked()
        {
            out.push(Command::TourGo(i - 1));
        }
        if ui
            .add_enabled(i + 1 < n, egui::Button::new("Next ▶"))
            .on_hover_text("The next step, at its place in the run")
            .clicked()
        {
            out.push(Command::TourGo(i + 1));
        }
        if ui
            .add_enabled(
                matches!(anchor, Some(Ok(_))),
                egui::Button::new("↺ Replay this step"),
            )
            .on_hover_text("Play from the previous step to this one again, and stop here")
            .clicked()
        {
            out.push(Command::TourReplay);
        }
        let away = !matches!(anchor, Some(Ok(a)) if *a == cursor);
        if away
            && ui
                .button("Rejoin the tour")
                .on_hover_text("Go to the last step at or before the cursor")
                .clicked()
        {
            out.push(Command::TourRejoin);
        }
    });
}
