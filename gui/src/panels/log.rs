//! The event log: every trace record of the known run, filterable by node
//! and kind, searchable; clicking an entry seeks to it. Entries after the
//! cursor (the known future) are dimmed. The filtered list is cached and
//! extended as the trace grows, so a million records stay scrollable.
//! With an event selected, entries in its causal past are tinted blue, in
//! its future pink, and concurrent ones are faded; "Concurrent with
//! selected" lists only those.

use crate::causal::{Causality, Relation};
use crate::command::{Command, Selection};
use crate::session::{Session, record_target};
use crate::{text, theme};
use eframe::egui::{self, Color32, RichText};
use faultline_sim::{NodeId, RecordKind, TraceRecord};
use std::collections::BTreeSet;

/// Every record kind, in filter order.
pub const KINDS: [&str; 10] = [
    "start",
    "send",
    "deliver",
    "drop",
    "timer",
    "fault",
    "invoke",
    "complete",
    "note",
    "violation",
];

const ROW_HEIGHT: f32 = 18.0;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Filter {
    node: Option<NodeId>,
    hidden: BTreeSet<String>,
    search: String,
    /// Only records concurrent with the focus on this record.
    concurrent_with: Option<usize>,
}

/// The event log panel.
#[derive(Debug)]
pub struct EventLog {
    /// Only records concerning this node.
    pub node: Option<NodeId>,
    /// Kinds not shown.
    pub hidden: BTreeSet<String>,
    /// Text every shown record contains (case-insensitive).
    pub search: String,
    /// Keep the cursor's entry in view.
    pub follow: bool,
    /// Only records concurrent with the selected event.
    pub concurrent_only: bool,
    cache: Vec<usize>,
    cached_filter: Option<Filter>,
    scanned: usize,
    last_cursor: Option<u64>,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            node: None,
            hidden: BTreeSet::new(),
            search: String::new(),
            follow: true,
            concurrent_only: false,
            cache: Vec::new(),
            cached_filter: None,
            scanned: 0,
            last_cursor: None,
        }
    }
}

impl EventLog {
    /// Forgets the cache (the trace was replaced or cut).
    pub fn invalidate(&mut self) {
        self.cached_filter = None;
    }

    fn filter(&self, causal: Option<&Causality>) -> Filter {
        Filter {
            node: self.node,
            hidden: self.hidden.clone(),
            search: self.search.to_lowercase(),
            concurrent_with: causal
                .filter(|_| self.concurrent_only)
                .and_then(|c| c.focus.as_ref())
                .map(|f| f.record),
        }
    }

    /// The indices of the records shown, for the current filter (without
    /// the causal filter, which needs the session).
    pub fn shown(&mut self, records: &[TraceRecord]) -> &[usize] {
        self.shown_with(records, None)
    }

    /// The indices of the records of `session` shown, for the current
    /// filter.
    pub fn shown_in(&mut self, session: &Session) -> &[usize] {
        self.shown_with(session.records(), Some(&session.causal))
    }

    fn shown_with(&mut self, records: &[TraceRecord], causal: Option<&Causality>) -> &[usize] {
        let filter = self.filter(causal);
        if self.cached_filter.as_ref() != Some(&filter) || records.len() < self.scanned {
            self.cache.clear();
            self.scanned = 0;
            self.cached_filter = Some(filter.clone());
        }
        for (i, r) in records.iter().enumerate().skip(self.scanned) {
            let concurrent = filter.concurrent_with.is_none()
                || causal.and_then(|c| c.relation(i)) == Some(Relation::Concurrent);
            if concurrent && keep(&filter, r) {
                self.cache.push(i);
            }
        }
        self.scanned = records.len();
        &self.cache
    }

    /// Draws the panel.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        selection: Selection,
        out: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Event log").strong());
            let label = ui.label("Search");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("text in the entry")
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
            egui::ComboBox::from_label("Node")
                .selected_text(self.node.map_or("all".to_string(), |n| n.to_string()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.node, None, "all");
                    for id in session.nodes() {
                        ui.selectable_value(&mut self.node, Some(id), id.to_string());
                    }
                });
            ui.menu_button("Kinds", |ui| {
                for kind in KINDS {
                    let mut shown = !self.hidden.contains(kind);
                    if ui.checkbox(&mut shown, kind).changed() {
                        if shown {
                            self.hidden.remove(kind);
                        } else {
                            self.hidden.insert(kind.to_string());
                        }
                    }
                }
            });
            ui.checkbox(&mut self.follow, "Follow cursor");
            ui.add_enabled(
                session.causal.focus.is_some(),
                egui::Checkbox::new(&mut self.concurrent_only, "Concurrent with selected"),
            )
            .on_hover_text("Only events that neither happened before nor after the selected one")
            .on_disabled_hover_text("Select an event first (click an entry or an arrow)");
        });
        let records = session.records();
        let cursor = session.cursor();
        let first_future = session.first_future_record();
        let follow = self.follow && self.last_cursor != Some(cursor);
        self.last_cursor = Some(cursor);
        let shown = self.shown_in(session);
        let count = shown.len();
        let cursor_row = shown.partition_point(|&i| i < first_future);
        let selected = match selection {
            Selection::Record(i) => Some(i),
            _ => None,
        };
        ui.label(
            RichText::new(format!("{count} of {} records", records.len()))
                .small()
                .weak(),
        );
        let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
        if follow {
            let visible = ui.available_height();
            let y = (cursor_row as f32 * (ROW_HEIGHT + ui.spacing().item_spacing.y)
                - visible * 0.6)
                .max(0.0);
            area = area.vertical_scroll_offset(y);
        }
        let shown = &self.cache;
        area.show_rows(ui, ROW_HEIGHT, count, |ui, range| {
            for row in range {
                let i = shown[row];
                let r = &records[i];
                let future = i >= first_future;
                let line = format!(
                    "{:>8}  {:>9}  {:<9} {}",
                    r.event,
                    text::time(r.time),
                    r.kind.name(),
                    text::record(r)
                );
                let mut rich = RichText::new(line).monospace().color(kind_color(&r.kind));
                if future {
                    rich = rich.weak();
                }
                match session.causal.relation(i) {
                    Some(Relation::Past) => {
                        rich = rich.background_color(theme::alpha(theme::PAST, 45));
                    }
                    Some(Relation::Future) => {
                        rich = rich.background_color(theme::alpha(theme::FUTURE, 45));
                    }
                    Some(Relation::Same) => {
                        rich = rich.background_color(theme::alpha(theme::CURSOR, 30));
                    }
                    Some(Relation::Concurrent) => rich = rich.weak(),
                    None => {}
                }
                if row + 1 == cursor_row {
                    rich = rich.background_color(theme::alpha(theme::CURSOR, 40));
                }
                let response = ui.add(
                    egui::Button::selectable(selected == Some(i), rich)
                        .truncate()
                        .min_size(egui::vec2(ui.available_width(), ROW_HEIGHT - 2.0)),
                );
                if response.clicked() {
                    out.push(Command::Seek(record_target(r)));
                    out.push(Command::Select(Selection::Record(i)));
                }
            }
        });
    }
}

fn keep(filter: &Filter, r: &TraceRecord) -> bool {
    if filter.hidden.contains(r.kind.name()) {
        return false;
    }
    if let Some(node) = filter.node {
        let (a, b) = r.kind.nodes();
        if a != Some(node) && b != Some(node) {
            return false;
        }
    }
    filter.search.is_empty() || text::record(r).to_lowercase().contains(&filter.search)
}

fn kind_color(kind: &RecordKind) -> Color32 {
    match kind {
        RecordKind::Drop { .. } | RecordKind::Violation { .. } => theme::RED,
        RecordKind::Fault { .. } => theme::ORANGE,
        RecordKind::Invoke { .. } | RecordKind::Complete { .. } => theme::GREEN,
        RecordKind::Note { .. } => theme::PURPLE,
        RecordKind::Timer { .. } => Color32::GRAY,
        _ => Color32::from_gray(210),
    }
}
