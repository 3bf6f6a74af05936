//! The inspector: whatever is selected, at the cursor. For a node, every
//! field of its `NodeView`, with protocol-aware sections drawn as what they
//! are (a table with rows coloured by group — a Raft log by term — or a hash
//! ring); for a message, its route, times and payload; for a record or a
//! client operation, its details, with the selected event's vector clock,
//! the size of its causal past and future, and "Why did this happen?": the
//! faults it depends on and the chain of messages that led to it.

use crate::command::{Command, Selection};
use crate::panels::faults::{PartitionDraft, node_fault_menu_ui};
use crate::session::{Session, record_target};
use crate::{text, theme};
use eframe::egui::{self, Align2, Color32, FontId, RichText, Sense, Stroke, pos2, vec2};
use faultline_sim::{Fault, MsgId, NodeId, RecordKind, ViewSection, Why};

/// How many of the faults a "why" depends on are listed (the latest).
pub const WHY_FAULTS_SHOWN: usize = 12;

/// The inspector panel (stateless: it shows the selection).
#[derive(Debug, Default)]
pub struct Inspector;

impl Inspector {
    /// Draws the panel.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        selection: Selection,
        draft: &mut PartitionDraft,
        out: &mut Vec<Command>,
    ) {
        match selection {
            Selection::None => {
                ui.label("Click a node, a message, an arrow or a log entry to inspect it.");
            }
            Selection::Node(id) => node_ui(ui, session, id, draft, out),
            Selection::Message(m) => message_ui(ui, session, m, out),
            Selection::Record(i) => match session.records().get(i) {
                Some(r) => {
                    ui.label(RichText::new(r.kind.name()).strong());
                    ui.label(text::record(r));
                    ui.label(format!("event {}, t = {}", r.event, text::time(r.time)));
                    if ui.button("Go to this event").clicked() {
                        out.push(Command::Seek(record_target(r)));
                    }
                    if let RecordKind::Send { msg, .. }
                    | RecordKind::Deliver { msg, .. }
                    | RecordKind::Drop { msg, .. } = &r.kind
                        && ui.button("Inspect the message").clicked()
                    {
                        out.push(Command::Select(Selection::Message(*msg)));
                    }
                }
                None => {
                    ui.label("That record is gone (the branch changed).");
                }
            },
            Selection::Operation(i) => {
                match (session.handle.op_timing(i), session.handle.describe_op(i)) {
                    (Some(op), Some(words)) => {
                        ui.label(RichText::new(format!("Operation #{i}")).strong());
                        egui::Grid::new("op").show(ui, |ui| {
                            ui.label("client");
                            ui.label(op.client.to_string());
                            ui.end_row();
                            ui.label("family");
                            ui.label(session.handle.op_family());
                            ui.end_row();
                            ui.label("input");
                            ui.label(&words.input);
                            ui.end_row();
                            ui.label("invoked");
                            ui.label(text::time(op.call));
                            ui.end_row();
                            ui.label("returned");
                            ui.label(op.ret.map_or("—".into(), text::time));
                            ui.end_row();
                            ui.label("outcome");
                            ui.label(&words.outcome);
                            ui.end_row();
                        });
                    }
                    _ => {
                        ui.label("Not invoked yet at the cursor.");
                    }
                }
            }
        }
        if !matches!(selection, Selection::None | Selection::Node(_)) {
            causal_ui(ui, session, out);
        }
    }
}

/// The selected event's place in the causal order: its vector clock, how
/// much happened before and after it, and why it happened.
fn causal_ui(ui: &mut egui::Ui, session: &Session, out: &mut Vec<Command>) {
    let Some(focus) = &session.causal.focus else {
        return;
    };
    ui.separator();
    ui.label(RichText::new("Causality").strong());
    let clock: Vec<String> = focus
        .clock
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{}={c}", NodeId(i as u32)))
        .collect();
    ui.add(
        egui::Label::new(RichText::new(format!("vector clock: {}", clock.join(" "))).monospace())
            .wrap(),
    )
    .on_hover_text("Per node, how many of its steps happened before this event (its own included)");
    let steps = session.causal.graph().map_or(0, |g| g.len());
    let past = focus.past.len() - 1;
    let future = focus.future.len() - 1;
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(theme::PAST, format!("past: {past} steps"));
        ui.colored_label(theme::FUTURE, format!("future: {future} steps"));
        ui.label(format!(
            "concurrent: {} steps",
            steps.saturating_sub(past + future + 1)
        ));
    });
    match &focus.why {
        None => {
            if ui
                .button("Explain this event")
                .on_hover_text(
                    "Why did this happen? The faults this event depends on and the messages that led to it",
                )
                .clicked()
            {
                out.push(Command::Why(focus.record));
            }
        }
        Some(why) => why_ui(ui, session, why, out),
    }
}

/// The answer to "why did this happen?": faults in the causal past, then
/// the chain of latest messages, each a link that seeks to it.
fn why_ui(ui: &mut egui::Ui, session: &Session, why: &Why, out: &mut Vec<Command>) {
    let records = session.records();
    let seek_link = |ui: &mut egui::Ui, i: usize, line: String, out: &mut Vec<Command>| {
        if let Some(r) = records.get(i)
            && ui
                .link(RichText::new(line).monospace())
                .on_hover_text(format!("Go to event {}", r.event))
                .clicked()
        {
            out.push(Command::Seek(record_target(r)));
        }
    };
    ui.label(RichText::new("Why did this happen?").strong());
    if why.faults.is_empty() {
        ui.label("No fault is in its causal past.");
    } else {
        ui.label(format!("It depends on {} fault(s):", why.faults.len()));
        for &i in why.faults.iter().rev().take(WHY_FAULTS_SHOWN) {
            if let Some(r) = records.get(i) {
                seek_link(
                    ui,
                    i,
                    format!("{}  {}", text::time(r.time), text::record(r)),
                    out,
                );
            }
        }
        if why.faults.len() > WHY_FAULTS_SHOWN {
            ui.label(
                RichText::new(format!(
                    "… and {} earlier",
                    why.faults.len() - WHY_FAULTS_SHOWN
                ))
                .weak(),
            );
        }
    }
    ui.label("The chain of latest messages that led to it, newest first:");
    for step in &why.chain {
        let Some(r) = records.get(step.record) else {
            continue;
        };
        seek_link(
            ui,
            step.record,
            format!("{}  {}", text::time(r.time), text::record(r)),
            out,
        );
        if let Some(send) = step.message_from.and_then(|i| records.get(i)) {
            ui.label(
                RichText::new(format!(
                    "   the message was sent at {}",
                    text::time(send.time)
                ))
                .small()
                .weak(),
            );
        }
    }
    if why.more {
        ui.label(RichText::new("… the chain goes on: select its last step and ask again").weak());
    }
}

fn node_ui(
    ui: &mut egui::Ui,
    session: &Session,
    id: NodeId,
    draft: &mut PartitionDraft,
    out: &mut Vec<Command>,
) {
    if id.index() >= session.node_count() {
        return;
    }
    let view = session.handle.node_view(id);
    let info = session.handle.node_info(id);
    ui.horizontal(|ui| {
        let (r, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
        let fill = if info.up {
            theme::role(&view.role)
        } else {
            theme::DOWN
        };
        ui.painter().circle_filled(r.center(), 6.0, fill);
        ui.label(
            RichText::new(format!("{id} — {}", view.role))
                .strong()
                .size(15.0),
        );
    });
    ui.label(&view.summary);
    egui::Grid::new("node_info").striped(true).show(ui, |ui| {
        ui.label("kind");
        ui.label(format!("{:?}", info.kind).to_lowercase());
        ui.end_row();
        ui.label("state");
        if info.up {
            ui.colored_label(theme::GREEN, "up");
        } else {
            ui.colored_label(theme::RED, "crashed");
        }
        ui.end_row();
        ui.label("clock offset");
        ui.label(text::signed(info.clock_offset_nanos));
        ui.end_row();
        ui.label("clock drift");
        ui.label(format!("{} ppm", info.clock_drift_ppm));
        ui.end_row();
    });
    for (name, value) in &view.fields {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(name).weak());
            ui.label(RichText::new(value).monospace());
        });
    }
    observables_ui(ui, session, id);
    for section in &view.sections {
        ui.separator();
        match section {
            ViewSection::Table {
                title,
                columns,
                rows,
                groups,
            } => table_ui(
                ui,
                title,
                columns,
                rows,
                groups,
                session.highlight().and_then(|h| h.entry),
            ),
            ViewSection::Ring { title, positions } => ring_ui(ui, session, id, title, positions),
        }
    }
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        if info.up {
            if ui.button("Crash node").clicked() {
                out.push(Command::Inject(Fault::Crash { node: id }));
            }
        } else if ui.button("Restart node").clicked() {
            out.push(Command::Inject(Fault::Restart { node: id }));
        }
        if ui.button("Isolate node").clicked() {
            out.push(Command::Inject(Fault::Isolate { node: id }));
        }
        ui.menu_button("More faults…", |ui| {
            node_fault_menu_ui(ui, session, id, draft, out)
        });
    });
}

/// What the algorithm publishes about this node, as checks over time and
/// role-aimed faults read it (nothing for a client or a crashed server).
fn observables_ui(ui: &mut egui::Ui, session: &Session, id: NodeId) {
    let values: Vec<(&str, u64)> = session
        .handle
        .observables()
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((o.name, session.handle.observe(id, i)?)))
        .collect();
    if values.is_empty() {
        return;
    }
    ui.collapsing("observables", |ui| {
        for (name, value) in values {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(name).weak());
                ui.label(RichText::new(value.to_string()).monospace());
            });
        }
    });
}

/// A table whose rows are tinted by their group (a log by term).
fn table_ui(
    ui: &mut egui::Ui,
    title: &str,
    columns: &[String],
    rows: &[Vec<String>],
    groups: &[u64],
    marked: Option<u64>,
) {
    ui.label(RichText::new(title).strong());
    let font = FontId::monospace(12.0);
    let char_w = ui.fonts_mut(|f| f.glyph_width(&font, '0'));
    let widths: Vec<f32> = (0..columns.len())
        .map(|c| {
            let longest = rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .chain(std::iter::once(columns[c].chars().count()))
                .max()
                .unwrap_or(1)
                .min(40);
            longest as f32 * char_w + 12.0
        })
        .collect();
    let total: f32 = widths.iter().sum();
    let row_h = 17.0;
    let text_color = ui.visuals().text_color();
    let draw_row = |ui: &mut egui::Ui, cells: &[String], bg: Option<Color32>, header: bool| {
        let (rect, response) =
            ui.allocate_exact_size(vec2(total.max(ui.available_width()), row_h), Sense::hover());
        // A tour step's entry: the row whose first cell is its number.
        let tour = !header
            && marked.is_some_and(|m| cells.first().is_some_and(|c| c.trim() == m.to_string()));
        // The cells are painted; tell screen readers (and tests) the row.
        response.widget_info(|| {
            let mut label = cells.join(" | ");
            if tour {
                label.push_str(" (tour)");
            }
            egui::WidgetInfo::labeled(egui::Role::Row, true, label)
        });
        let painter = ui.painter();
        if let Some(bg) = bg {
            painter.rect_filled(rect, 0.0, bg);
        }
        if tour {
            painter.rect_stroke(
                rect.shrink(1.0),
                2.0,
                Stroke::new(2.0, theme::CURSOR),
                egui::StrokeKind::Inside,
            );
        }
        let mut x = rect.left() + 4.0;
        for (c, w) in widths.iter().enumerate() {
            let s = cells.get(c).map_or("", |s| s.as_str());
            let s: String = s.chars().take(40).collect();
            painter.text(
                pos2(x, rect.center().y),
                Align2::LEFT_CENTER,
                s,
                font.clone(),
                if header { Color32::GRAY } else { text_color },
            );
            x += w;
        }
    };
    egui::ScrollArea::both()
        .id_salt(("table", title))
        .max_height(260.0)
        .show(ui, |ui| {
            ui.spacing_mut().item_spacing.y = 0.0;
            draw_row(ui, columns, None, true);
            for (i, row) in rows.iter().enumerate() {
                let bg = groups.get(i).map(|&g| theme::group_row(g));
                draw_row(ui, row, bg, false);
            }
        });
    if !groups.is_empty() {
        group_legend_ui(ui, columns, rows, groups);
    }
}

/// The colours of a table's row groups. When one column holds exactly the
/// group of each row (a log's `term`), the legend is named after it.
fn group_legend_ui(ui: &mut egui::Ui, columns: &[String], rows: &[Vec<String>], groups: &[u64]) {
    let named_by = (0..columns.len()).find(|&c| {
        rows.len() == groups.len()
            && rows
                .iter()
                .zip(groups)
                .all(|(r, g)| r.get(c).is_some_and(|v| v.trim() == g.to_string()))
    });
    let name = named_by.map_or("group", |c| columns[c].as_str());
    let mut distinct: Vec<u64> = groups.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("rows by").small().weak());
        for g in distinct.iter().take(12) {
            let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
            ui.painter().rect_filled(r, 2.0, theme::palette(*g));
            ui.label(RichText::new(format!("{name} {g}")).small());
        }
        if distinct.len() > 12 {
            ui.label(RichText::new(format!("+{} more", distinct.len() - 12)).small());
        }
    });
}

/// A hash ring: every node's positions on it, this node's larger.
fn ring_ui(ui: &mut egui::Ui, session: &Session, me: NodeId, title: &str, positions: &[f64]) {
    ui.label(RichText::new(title).strong());
    let size = ui.available_width().clamp(120.0, 260.0);
    let (rect, _) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    let painter = ui.painter_at(rect);
    let c = rect.center();
    let r = size * 0.4;
    painter.circle_stroke(c, r, Stroke::new(2.0, Color32::GRAY));
    let at = |f: f64| {
        let a = std::f32::consts::TAU * f as f32 - std::f32::consts::FRAC_PI_2;
        c + vec2(a.cos(), a.sin()) * r
    };
    for id in session.nodes() {
        if id == me {
            continue;
        }
        for s in session.handle.node_view(id).sections {
            if let ViewSection::Ring {
                title: t,
                positions,
            } = s
                && t == title
            {
                for p in positions {
                    painter.circle_filled(at(p), 3.0, theme::palette(id.0 as u64));
                }
            }
        }
    }
    for &p in positions {
        painter.circle(
            at(p),
            6.0,
            theme::palette(me.0 as u64),
            Stroke::new(2.0, Color32::WHITE),
        );
    }
    painter.text(
        c,
        Align2::CENTER_CENTER,
        me.to_string(),
        FontId::proportional(14.0),
        Color32::WHITE,
    );
    ui.label(
        RichText::new(format!(
            "{} positions of {me} (large); other nodes small",
            positions.len()
        ))
        .small()
        .weak(),
    );
}

fn message_ui(ui: &mut egui::Ui, session: &Session, msg: MsgId, out: &mut Vec<Command>) {
    ui.label(
        RichText::new(format!("Message #{}", msg.0))
            .strong()
            .size(15.0),
    );
    let records = session.records();
    let entry = session
        .index
        .messages
        .get(msg.0 as usize)
        .copied()
        .unwrap_or_default();
    let send = entry.send.map(|i| &records[i]);
    let end = entry.end.map(|i| &records[i]);
    let in_flight = session
        .handle
        .in_flight()
        .into_iter()
        .find(|m| m.msg == msg);
    egui::Grid::new("msg").striped(true).show(ui, |ui| {
        if let Some(RecordKind::Send {
            from,
            to,
            deliver_at,
            duplicate_of,
            ..
        }) = send.map(|r| &r.kind)
        {
            ui.label("route");
            ui.label(format!("{from} -> {to}"));
            ui.end_row();
            ui.label("sent");
            ui.label(format!(
                "{} (event {})",
                text::time(send.unwrap().time),
                send.unwrap().event
            ));
            ui.end_row();
            ui.label("due");
            ui.label(deliver_at.map_or("lost at once".into(), text::time));
            ui.end_row();
            if let Some(d) = duplicate_of {
                ui.label("duplicate of");
                ui.label(format!("#{}", d.0));
                ui.end_row();
            }
        }
        ui.label("fate");
        match end.map(|r| (&r.kind, r)) {
            Some((RecordKind::Deliver { sent_at, .. }, r)) => {
                let future = record_target(r) > session.cursor();
                ui.label(format!(
                    "delivered at {} after {}{}",
                    text::time(r.time),
                    text::duration(r.time.as_nanos().saturating_sub(sent_at.as_nanos())),
                    if future { " (in the known future)" } else { "" }
                ));
            }
            Some((RecordKind::Drop { reason, .. }, r)) => {
                ui.colored_label(
                    theme::RED,
                    format!("dropped at {}: {reason}", text::time(r.time)),
                );
            }
            _ if in_flight.is_some() => {
                ui.label("in flight");
            }
            _ => {
                ui.label("unknown yet");
            }
        }
        ui.end_row();
    });
    if in_flight.is_some()
        && ui
            .button("Drop this message")
            .on_hover_text("Inject a drop of this in-flight message (Del)")
            .clicked()
    {
        out.push(Command::Inject(Fault::DropMessage { message: msg.0 }));
    }
    if let Some(r) = end
        && ui.button("Go to its fate").clicked()
    {
        out.push(Command::Seek(record_target(r)));
    }
    ui.separator();
    ui.label(RichText::new("Payload").strong());
    match session.handle.message_json(msg) {
        Some(json) => {
            let pretty = serde_json::to_string_pretty(&json).unwrap_or_default();
            ui.add(egui::Label::new(RichText::new(pretty).monospace()).wrap());
        }
        None => match session.handle.describe_message(msg) {
            Some(d) => {
                ui.add(egui::Label::new(RichText::new(d).monospace()).wrap());
            }
            None => {
                ui.label("not kept");
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// A Raft node's log as its `NodeView` would carry it: one row per
    /// entry, grouped by term.
    fn raft_log() -> (Vec<String>, Vec<Vec<String>>, Vec<u64>) {
        let entries = [(1, 1, "put x=1"), (2, 1, "put y=2"), (3, 3, "cas x 1->4")];
        let columns = ["index", "term", "command"].map(String::from).to_vec();
        let rows = entries
            .iter()
            .map(|(i, t, c)| vec![i.to_string(), t.to_string(), c.to_string()])
            .collect();
        let groups = entries.iter().map(|(_, t, _)| *t).collect();
        (columns, rows, groups)
    }

    #[test]
    fn a_log_table_shows_every_entry_and_names_its_groups_after_the_term_column() {
        let (columns, rows, groups) = raft_log();
        let mut h = Harness::new_ui(|ui| table_ui(ui, "log", &columns, &rows, &groups, None));
        h.run();
        h.get_by_label("index | term | command");
        h.get_by_label("3 | 3 | cas x 1->4");
        h.get_by_label("term 1");
        h.get_by_label("term 3");
    }

    #[test]
    fn a_table_whose_groups_are_no_column_calls_them_groups() {
        let columns = vec!["follower".to_string(), "match".into(), "next".into()];
        let rows = vec![vec!["n1".to_string(), "7".into(), "8".into()]];
        let groups = vec![2];
        let mut h = Harness::new_ui(|ui| table_ui(ui, "followers", &columns, &rows, &groups, None));
        h.run();
        h.get_by_label("n1 | 7 | 8");
        h.get_by_label("group 2");
    }
}
