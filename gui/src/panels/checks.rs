//! The checks panel: every invariant's status at the cursor, the run's
//! status, a jump to the violating event, and the linearizability of the
//! client history at the cursor with the operations that could not be
//! placed, and, once the run has ended, the scenario's own verdict (liveness
//! after the last fault, the weak checks the scenario names, the outcome
//! against the expected one). It turns red
//! when anything fails.

use crate::command::{Command, Selection};
use crate::session::Session;
use crate::{text, theme};
use eframe::egui::{self, RichText};
use faultline_algorithms::scenario::RunReport;
use faultline_algorithms::scenario::outcome::weak_lines;
use faultline_checker::{Budget, CheckResult, Verdict};
use faultline_sim::RunStatus;
use faultline_sim::time::format_duration;

/// Search steps the lab allows the linearizability checker per check.
pub const LINEARIZABILITY_STEPS: u64 = 500_000;

/// The checks panel, with the last linearizability result.
#[derive(Debug, Default)]
pub struct ChecksPanel {
    cached: Option<((u64, u64), CheckResult)>,
    /// The scenario's verdict on the ended run, by its fingerprint.
    verdict: Option<(u64, RunReport)>,
}

impl ChecksPanel {
    /// Forgets the cached check.
    pub fn invalidate(&mut self) {
        self.cached = None;
        self.verdict = None;
    }

    /// The scenario's verdict when the run has ended (at the cursor), judged
    /// as `faultline run` judges it.
    fn verdict(&mut self, session: &Session) -> Option<&RunReport> {
        if session.handle.status().is_running() {
            return None;
        }
        let fingerprint = session.handle.fingerprint();
        if self.verdict.as_ref().is_none_or(|(f, _)| *f != fingerprint) {
            let report = session
                .scenario
                .evaluate(session.handle.as_ref(), session.seed);
            self.verdict = Some((fingerprint, report));
        }
        self.verdict.as_ref().map(|(_, r)| r)
    }

    /// Whether anything failed at the cursor (for the panel's header).
    pub fn failing(&self, session: &Session) -> bool {
        matches!(session.handle.status(), RunStatus::Violated(_))
            || self
                .cached
                .as_ref()
                .is_some_and(|(_, r)| r.verdict == Verdict::NotLinearizable)
            || (!session.handle.status().is_running()
                && self
                    .verdict
                    .as_ref()
                    .is_some_and(|(_, r)| r.failure.is_some()))
    }

    /// The linearizability result at the cursor, checking when stale and
    /// `may_check` (not while playing: a check can take a moment).
    fn linearizability(
        &mut self,
        session: &Session,
        may_check: bool,
    ) -> Option<(&CheckResult, bool)> {
        let key = (session.cursor(), session.handle.fingerprint());
        let stale = self.cached.as_ref().is_none_or(|(k, _)| *k != key);
        if stale && may_check {
            let result = session
                .handle
                .check_history(Budget::steps(LINEARIZABILITY_STEPS));
            self.cached = Some((key, result));
        }
        let stale = self.cached.as_ref().is_none_or(|(k, _)| *k != key);
        self.cached.as_ref().map(|(_, r)| (r, stale))
    }

    /// Draws the panel.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        playing: bool,
        out: &mut Vec<Command>,
    ) {
        let failing = self.failing(session);
        let frame = if failing {
            egui::Frame::new()
                .fill(theme::VIOLATION_BG)
                .inner_margin(6.0)
                .corner_radius(4.0)
        } else {
            egui::Frame::new().inner_margin(2.0)
        };
        frame.show(ui, |ui| {
            match session.handle.status() {
                RunStatus::Violated(v) => {
                    ui.label(
                        RichText::new("✖ INVARIANT VIOLATED")
                            .strong()
                            .color(theme::RED)
                            .size(16.0),
                    );
                    ui.label(format!(
                        "{} at event {} (t = {}, seed {}): the run stopped here.",
                        v.invariant,
                        v.event,
                        text::time(v.time),
                        v.seed
                    ));
                    ui.label(
                        RichText::new(format!(
                            "faultline run {} --seed {}",
                            text::path(&session.path),
                            session.seed
                        ))
                        .monospace()
                        .small(),
                    );
                }
                RunStatus::Finished => {
                    ui.colored_label(theme::GREEN, "✔ run finished, every invariant held");
                }
                RunStatus::Running => {
                    ui.label("Invariants hold so far.");
                }
            }
            if let Some(event) = session.violation_event() {
                let here = session.cursor() == event;
                if ui
                    .add_enabled(!here, egui::Button::new("Jump to violation"))
                    .on_hover_text(format!(
                        "Seek to event {event}, where the invariant failed (V)"
                    ))
                    .clicked()
                {
                    out.push(Command::JumpToViolation);
                }
                if let Some(i) = session.index.violation
                    && ui
                        .button("Why did this happen?")
                        .on_hover_text(
                            "Select the violation and list the faults and messages it depends on (in the inspector)",
                        )
                        .clicked()
                {
                    out.push(Command::Seek(event));
                    out.push(Command::Why(i));
                }
            }
            egui::Grid::new("invariants").striped(true).show(ui, |ui| {
                for inv in session.handle.invariant_status() {
                    match &inv.violation {
                        Some(_) => ui.colored_label(theme::RED, "✖"),
                        None => ui.colored_label(theme::GREEN, "✔"),
                    };
                    let marked = session.highlight().and_then(|h| h.invariant.as_deref())
                        == Some(inv.name.as_str());
                    let name = RichText::new(&inv.name).monospace();
                    if marked {
                        // A tour step points at it.
                        ui.label(name.color(theme::CURSOR).strong())
                            .on_hover_text(&inv.description);
                    } else {
                        ui.label(name).on_hover_text(&inv.description);
                    }
                    ui.end_row();
                    if let Some(reason) = &inv.violation {
                        ui.label("");
                        ui.add(egui::Label::new(RichText::new(reason).color(theme::RED)).wrap());
                        ui.end_row();
                    }
                }
            });
            if let Some(report) = self.verdict(session).cloned() {
                ui.separator();
                verdict_ui(ui, session, &report);
            }
            let ops = session.handle.op_count();
            if !session.scenario.checks.linearizability {
                ui.label(RichText::new("Linearizability: not checked by this scenario.").weak());
                return;
            }
            if ops == 0 {
                ui.label(RichText::new("No client operations yet.").weak());
                return;
            }
            ui.separator();
            let Some((result, stale)) = self.linearizability(session, !playing) else {
                ui.label(format!(
                    "Linearizability: {ops} operations, checked when paused."
                ));
                return;
            };
            let stale_note = if stale {
                " (at an earlier cursor; pause to update)"
            } else {
                ""
            };
            match &result.verdict {
                Verdict::Linearizable => {
                    ui.colored_label(
                        theme::GREEN,
                        format!("✔ linearizable: {ops} operations{stale_note}"),
                    );
                }
                Verdict::Unknown { reason } => {
                    ui.colored_label(
                        theme::ORANGE,
                        format!(
                            "? undecided within {LINEARIZABILITY_STEPS} steps: {reason}{stale_note}"
                        ),
                    );
                }
                Verdict::NotLinearizable => {
                    ui.label(
                        RichText::new(format!("✖ NOT linearizable{stale_note}"))
                            .strong()
                            .color(theme::RED),
                    );
                    if let Some(f) = &result.failure {
                        if let Some(key) = &f.partition {
                            ui.label(format!(
                                "on key {key}, after {} operations placed",
                                f.prefix.len()
                            ));
                        }
                        ui.label("Could not be placed:");
                        for op in &f.unplaced {
                            let line =
                                format!("#{} client n{}: {}", op.index, op.client, op.description);
                            if ui.link(RichText::new(line).monospace()).clicked() {
                                out.push(Command::Select(Selection::Operation(op.index)));
                            }
                        }
                        ui.label(
                            RichText::new(format!(
                                "state after the prefix: {}",
                                f.state_after_prefix
                            ))
                            .small(),
                        );
                    }
                }
            }
        });
    }
}

/// The end-of-run verdict: liveness after the last fault and the outcome
/// against the scenario's expectation.
fn verdict_ui(ui: &mut egui::Ui, session: &Session, report: &RunReport) {
    if let (Some(bound), Some(l)) = (session.scenario.checks.liveness, &report.liveness) {
        let ok = l.completed == l.judged && l.judged > 0;
        let line = format!(
            "{} liveness within {} after {}: {}/{} operations completed in time",
            if ok { "✔" } else { "✖" },
            format_duration(bound),
            text::time(l.quiet_from),
            l.completed,
            l.judged
        );
        ui.colored_label(if ok { theme::GREEN } else { theme::RED }, line);
    }
    if let Some(w) = &report.weak {
        for line in weak_lines(w, &session.scenario.checks, session.handle.as_ref()) {
            let (mark, color) = if line.ok {
                ("✔", theme::GREEN)
            } else {
                ("✖", theme::RED)
            };
            ui.add(
                egui::Label::new(RichText::new(format!("{mark} {}", line.text)).color(color))
                    .wrap(),
            );
        }
    }
    let expected = session.scenario.expect.name();
    let outcome = report.outcome();
    let line = format!("outcome {outcome} (expected {expected})");
    if outcome == expected {
        ui.colored_label(theme::GREEN, format!("✔ {line}"));
    } else {
        ui.colored_label(theme::RED, format!("✖ {line}"));
    }
    if let Some(f) = &report.failure {
        ui.add(egui::Label::new(RichText::new(&f.reason).color(theme::RED).small()).wrap());
    }
}
