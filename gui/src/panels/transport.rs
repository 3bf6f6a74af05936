//! The transport: play / pause, step, step to the next message or fault,
//! speed, and the timeline, which seeks to any event of the known run.

use crate::command::{Command, NextKind};
use crate::session::{Session, Speed, record_target};
use crate::{text, theme};
use eframe::egui::{self, Color32, RichText, Sense, Stroke, pos2, vec2};
use faultline_sim::RunStatus;

/// The transport bar.
#[derive(Debug, Default)]
pub struct TransportBar {
    /// The "go to event" field.
    pub goto: u64,
}

impl TransportBar {
    /// Draws the bar.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        playing: bool,
        speed: Speed,
        out: &mut Vec<Command>,
    ) {
        let cursor = session.cursor();
        let running = session.handle.status().is_running();
        ui.horizontal(|ui| {
            if ui
                .button("⏮ Start")
                .on_hover_text("Go to the start of the run (Home)")
                .clicked()
            {
                out.push(Command::Seek(0));
            }
            if ui
                .add_enabled(cursor > 0, egui::Button::new("◀ Back"))
                .on_hover_text("Step back one event (<-)")
                .clicked()
            {
                out.push(Command::StepBack);
            }
            let play = if playing { "⏸ Pause" } else { "▶ Play" };
            if ui
                .add_enabled(
                    running || playing,
                    egui::Button::new(play).min_size(vec2(72.0, 0.0)),
                )
                .on_hover_text("Play or pause (Space)")
                .clicked()
            {
                out.push(if playing {
                    Command::Pause
                } else {
                    Command::Play
                });
            }
            if ui
                .add_enabled(running, egui::Button::new("Step ▶"))
                .on_hover_text("Run one event (->)")
                .clicked()
            {
                out.push(Command::StepEvent);
            }
            if ui
                .add_enabled(running, egui::Button::new("Next message"))
                .on_hover_text("Run until the next message is delivered or dropped (M)")
                .clicked()
            {
                out.push(Command::StepToNext(NextKind::Message));
            }
            if ui
                .add_enabled(running, egui::Button::new("Next fault"))
                .on_hover_text("Run until the next fault is applied (F)")
                .clicked()
            {
                out.push(Command::StepToNext(NextKind::Fault));
            }
            if ui
                .button("End ⏭")
                .on_hover_text("Go to the end of the known run (End)")
                .clicked()
            {
                out.push(Command::SeekEnd);
            }
            ui.separator();
            let label = ui.label("Speed");
            let mut log10 = speed.log10;
            let slider = ui
                .add_enabled(
                    !speed.max,
                    egui::Slider::new(&mut log10, Speed::MIN_LOG10..=Speed::MAX_LOG10)
                        .show_value(false),
                )
                .labelled_by(label.id)
                .on_hover_text("Simulated time per second of wall time (+ / -)");
            ui.label(RichText::new(speed.label()).monospace())
                .on_hover_text("simulated time per wall-clock second");
            if slider.changed() {
                out.push(Command::SetSpeed { log10, max: false });
            }
            let mut max = speed.max;
            if ui
                .checkbox(&mut max, "Max")
                .on_hover_text("As fast as possible")
                .changed()
            {
                out.push(Command::SetSpeed {
                    log10: speed.log10,
                    max,
                });
            }
            ui.separator();
            let label = ui.label("Go to event");
            let field = ui
                .add(egui::DragValue::new(&mut self.goto).range(0..=u64::MAX))
                .labelled_by(label.id);
            if field.lost_focus() || (field.changed() && !field.has_focus()) {
                out.push(Command::Seek(self.goto));
            }
            if !field.has_focus() && !field.dragged() {
                self.goto = cursor;
            }
        });
        self.timeline_ui(ui, session, out);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!(
                    "event {cursor} / {}   t = {} / {}",
                    session.horizon,
                    text::time(session.display_time),
                    text::time(session.end())
                ))
                .monospace(),
            );
            ui.separator();
            match session.handle.status() {
                RunStatus::Running => ui.label("running"),
                RunStatus::Finished => ui.colored_label(theme::GREEN, "finished: every check held"),
                RunStatus::Violated(v) => ui.colored_label(
                    theme::RED,
                    RichText::new(format!(
                        "stopped: {} violated at event {}",
                        v.invariant, v.event
                    ))
                    .strong(),
                ),
            };
            ui.separator();
            ui.label(
                RichText::new(format!(
                    "fingerprint {:#018x}",
                    session.handle.fingerprint()
                ))
                .monospace()
                .weak(),
            );
        });
    }

    /// The timeline strip: the known run as a bar, faults and the violation
    /// marked, the cursor as a handle. Click or drag to seek.
    fn timeline_ui(&mut self, ui: &mut egui::Ui, session: &Session, out: &mut Vec<Command>) {
        let width = ui.available_width();
        let (rect, response) = ui.allocate_exact_size(vec2(width, 22.0), Sense::click_and_drag());
        let horizon = session.horizon.max(session.cursor()).max(1);
        let cursor_now = session.cursor();
        response.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(egui::Role::Slider, true, "Timeline");
            info.value = Some(cursor_now as f64);
            info
        });
        let response = response.on_hover_text("Timeline: click or drag to seek to any event");
        let x_of = |e: u64| rect.left() + rect.width() * (e as f32 / horizon as f32);
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 3.0, visuals.extreme_bg_color);
        let cursor = session.cursor();
        let done = egui::Rect::from_min_max(rect.min, pos2(x_of(cursor), rect.max.y));
        painter.rect_filled(done, 3.0, theme::alpha(visuals.selection.bg_fill, 140));
        let records = session.records();
        for &i in &session.index.faults {
            let r = &records[i];
            let x = x_of(record_target(r));
            painter.vline(
                x,
                rect.y_range().shrink(3.0),
                Stroke::new(2.0, theme::ORANGE),
            );
        }
        if let Some(i) = session.index.violation {
            let x = x_of(record_target(&records[i]));
            painter.vline(x, rect.y_range(), Stroke::new(3.0, theme::RED));
        }
        let x = x_of(cursor);
        painter.vline(x, rect.y_range(), Stroke::new(2.0, theme::CURSOR));
        painter.circle_filled(pos2(x, rect.center().y), 5.0, theme::CURSOR);
        if let Some(pos) = response.interact_pointer_pos()
            && (response.clicked() || response.dragged())
        {
            let f = ((pos.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
            let target = (f as f64 * horizon as f64).round() as u64;
            if target != cursor {
                out.push(Command::Seek(target));
            }
        }
        if let Some(pos) = response.hover_pos() {
            let f = ((pos.x - rect.left()) / rect.width()).clamp(0.0, 1.0);
            let e = (f as f64 * horizon as f64).round() as u64;
            let near = records.partition_point(|r| r.event < e);
            let t = records.get(near).map_or(session.end(), |r| r.time);
            painter.text(
                pos2(pos.x + 6.0, rect.top() + 2.0),
                egui::Align2::LEFT_TOP,
                format!("event {e}  {}", text::time(t)),
                egui::FontId::monospace(11.0),
                Color32::WHITE,
            );
        }
    }
}
