//! Fault injection by direct manipulation: the node menu (crash, restart,
//! isolate, clocks, partition sides), drawing a partition by putting nodes
//! on sides, healing, dropping a chosen message in flight, and the branch's
//! fault schedule with "Save as scenario". Every action becomes
//! `Command::Inject`, which the kernel records at the current event.

use crate::command::{Command, Selection};
use crate::session::Session;
use crate::{text, theme};
use eframe::egui::{self, RichText};
use faultline_sim::{Fault, NodeId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest clock jump the kernel takes, in milliseconds (365 days).
const MAX_JUMP_MS: i64 = faultline_sim::limits::MAX_CLOCK_JUMP_NANOS / 1_000_000;

/// A partition being drawn: which side each chosen node is on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionDraft {
    sides: BTreeMap<NodeId, usize>,
}

impl PartitionDraft {
    /// The side of a node, if it is in the draft.
    pub fn side(&self, node: NodeId) -> Option<usize> {
        self.sides.get(&node).copied()
    }

    /// Puts a node on a side, or takes it out (`None`).
    pub fn set(&mut self, node: NodeId, side: Option<usize>) {
        match side {
            Some(s) => self.sides.insert(node, s),
            None => self.sides.remove(&node),
        };
    }

    /// Empties the draft.
    pub fn clear(&mut self) {
        self.sides.clear();
    }

    /// The groups of the draft, by side, when it cuts anything (two
    /// non-empty sides at least).
    pub fn groups(&self) -> Option<Vec<Vec<NodeId>>> {
        let mut by_side: BTreeMap<usize, Vec<NodeId>> = BTreeMap::new();
        for (&node, &side) in &self.sides {
            by_side.entry(side).or_default().push(node);
        }
        (by_side.len() >= 2).then(|| by_side.into_values().collect())
    }
}

/// The node context menu (also used by the inspector's buttons).
pub fn node_fault_menu_ui(
    ui: &mut egui::Ui,
    session: &Session,
    node: NodeId,
    draft: &mut PartitionDraft,
    out: &mut Vec<Command>,
) {
    let info = session.handle.node_info(node);
    ui.label(RichText::new(format!("{node}")).strong());
    if info.up {
        if ui.button("Crash").clicked() {
            out.push(Command::Inject(Fault::Crash { node }));
            ui.close();
        }
    } else if ui.button("Restart").clicked() {
        out.push(Command::Inject(Fault::Restart { node }));
        ui.close();
    }
    if ui.button("Isolate").clicked() {
        out.push(Command::Inject(Fault::Isolate { node }));
        ui.close();
    }
    if ui.button("Heal all partitions").clicked() {
        out.push(Command::Inject(Fault::Heal));
        ui.close();
    }
    ui.menu_button("Clock", |ui| {
        for (label, fault) in clock_faults(node, info.clock_drift_ppm) {
            if ui.button(label).clicked() {
                out.push(Command::Inject(fault));
                ui.close();
            }
        }
    });
    ui.menu_button("Partition side", |ui| {
        for s in 0..3 {
            let label = format!("Side {}", theme::side_name(s));
            if ui
                .selectable_label(draft.side(node) == Some(s), label)
                .clicked()
            {
                draft.set(node, Some(s));
                ui.close();
            }
        }
        if ui.button("No side").clicked() {
            draft.set(node, None);
            ui.close();
        }
    });
    if let Some(groups) = draft.groups()
        && ui.button("Cut the drawn partition").clicked()
    {
        out.push(Command::Inject(Fault::Partition { groups }));
        draft.clear();
        ui.close();
    }
    if ui.button("Inspect").clicked() {
        out.push(Command::Select(Selection::Node(node)));
        ui.close();
    }
}

fn clock_faults(node: NodeId, drift_ppm: i64) -> Vec<(&'static str, Fault)> {
    const MS: i64 = 1_000_000;
    vec![
        (
            "Step +100ms",
            Fault::ClockStep {
                node,
                delta: 100 * MS,
            },
        ),
        (
            "Step -100ms",
            Fault::ClockStep {
                node,
                delta: -100 * MS,
            },
        ),
        (
            "Step +1s",
            Fault::ClockStep {
                node,
                delta: 1_000 * MS,
            },
        ),
        (
            "Offset +50ms",
            Fault::ClockOffset {
                node,
                offset: 50 * MS,
            },
        ),
        ("Offset 0", Fault::ClockOffset { node, offset: 0 }),
        (
            "Drift +1000ppm",
            Fault::ClockDrift {
                node,
                ppm: drift_ppm + 1_000,
            },
        ),
        ("Drift 0", Fault::ClockDrift { node, ppm: 0 }),
    ]
}

/// The faults panel.
#[derive(Debug, Default)]
pub struct FaultsPanel {
    /// The save path field.
    pub save_path: String,
    /// Cut one way only (side A to side B).
    pub one_way: bool,
    /// Clock step in milliseconds for the clock row.
    pub clock_ms: i64,
    /// The node of the clock row.
    pub clock_node: u32,
}

impl FaultsPanel {
    /// Draws the panel.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        selection: Selection,
        draft: &mut PartitionDraft,
        out: &mut Vec<Command>,
    ) {
        if self.save_path.is_empty() {
            self.save_path = default_save_path(session);
        }
        ui.label(RichText::new("Draw a partition").strong())
            .on_hover_text("Put nodes on sides, then cut. Right-click a node in the cluster view for the same.");
        egui::Grid::new("partition_draft")
            .striped(true)
            .show(ui, |ui| {
                for id in session.nodes() {
                    ui.label(id.to_string());
                    for s in 0..3 {
                        let on = draft.side(id) == Some(s);
                        let label = RichText::new(theme::side_name(s)).color(theme::side(s));
                        let r = ui
                            .selectable_label(on, label)
                            .on_hover_text(format!("put {id} on side {}", theme::side_name(s)));
                        if r.clicked() {
                            draft.set(id, if on { None } else { Some(s) });
                        }
                    }
                    ui.end_row();
                }
            });
        ui.horizontal(|ui| {
            let groups = draft.groups();
            ui.checkbox(&mut self.one_way, "One way (A -> B)");
            if ui
                .add_enabled(groups.is_some(), egui::Button::new("✂ Cut"))
                .on_hover_text("Partition the network along the drawn sides")
                .clicked()
                && let Some(groups) = groups
            {
                let fault = if self.one_way && groups.len() >= 2 {
                    Fault::PartitionOneWay {
                        from: groups[0].clone(),
                        to: groups[1].clone(),
                    }
                } else {
                    Fault::Partition { groups }
                };
                out.push(Command::Inject(fault));
                draft.clear();
            }
            if ui
                .button("Heal")
                .on_hover_text("Restore every cut link (H)")
                .clicked()
            {
                out.push(Command::Inject(Fault::Heal));
            }
            if ui.button("Clear sides").clicked() {
                draft.clear();
            }
        });
        ui.separator();
        ui.label(RichText::new("Clocks").strong());
        ui.horizontal(|ui| {
            let label = ui.label("Node");
            let last = session.node_count().saturating_sub(1) as u32;
            ui.add(
                egui::DragValue::new(&mut self.clock_node)
                    .range(0..=last)
                    .prefix("n"),
            )
            .labelled_by(label.id);
            let label = ui.label("by");
            ui.add(
                egui::DragValue::new(&mut self.clock_ms)
                    .range(-MAX_JUMP_MS..=MAX_JUMP_MS)
                    .suffix("ms")
                    .speed(5.0),
            )
            .labelled_by(label.id);
            let node = NodeId(self.clock_node.min(last));
            let nanos = self.clock_ms.saturating_mul(1_000_000);
            if ui.button("Step").on_hover_text("Jump the clock").clicked() {
                out.push(Command::Inject(Fault::ClockStep { node, delta: nanos }));
            }
            if ui
                .button("Skew")
                .on_hover_text("Set the clock's offset from true time")
                .clicked()
            {
                out.push(Command::Inject(Fault::ClockOffset {
                    node,
                    offset: nanos,
                }));
            }
        });
        ui.separator();
        let in_flight = session.handle.in_flight();
        ui.label(RichText::new(format!("Messages in flight ({})", in_flight.len())).strong());
        let selected = match selection {
            Selection::Message(m) => Some(m),
            _ => None,
        };
        egui::ScrollArea::vertical()
            .id_salt("in_flight")
            .max_height(140.0)
            .show_rows(ui, 20.0, in_flight.len(), |ui, range| {
                for m in &in_flight[range] {
                    ui.horizontal(|ui| {
                        if ui
                            .small_button("Drop")
                            .on_hover_text(format!("drop message #{}", m.msg.0))
                            .clicked()
                        {
                            out.push(Command::Inject(Fault::DropMessage { message: m.msg.0 }));
                        }
                        let label = format!(
                            "#{} {} -> {} arrives {}",
                            m.msg.0,
                            m.from,
                            m.to,
                            text::time(m.deliver_at)
                        );
                        if ui
                            .selectable_label(selected == Some(m.msg), label)
                            .clicked()
                        {
                            out.push(Command::Select(Selection::Message(m.msg)));
                        }
                    });
                }
            });
        ui.separator();
        let schedule = session.handle.fault_schedule();
        ui.label(
            RichText::new(format!(
                "Fault schedule of this branch ({})",
                schedule.len()
            ))
            .strong(),
        );
        for f in &schedule {
            let line = match f.after_event {
                Some(e) => format!("after event {e} ({}): {}", text::time(f.at), f.fault),
                None => format!("at {}: {}", text::time(f.at), f.fault),
            };
            let text = RichText::new(line).monospace().small();
            ui.label(if f.after_event.is_some() {
                text.color(theme::ORANGE)
            } else {
                text
            });
        }
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Save to");
            // The button first, from the right, so the field takes exactly
            // what is left: a field sized from a guess of the button's width
            // would widen the panel a little on every frame.
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button("💾 Save as scenario")
                    .on_hover_text(
                        "Write the branch as a scenario file that replays to the same \
                         fingerprint (Ctrl+S)",
                    )
                    .clicked()
                {
                    out.push(Command::SaveBranch(PathBuf::from(self.save_path.trim())));
                }
                let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
                ui.add_sized(size, egui::TextEdit::singleline(&mut self.save_path))
                    .labelled_by(label.id);
            });
        });
    }
}

/// `faultline-branches/<scenario>-branch.toml` under the working directory,
/// beside `faultline-failures/`: never inside `scenarios/`, where a saved
/// branch would join the shipped scenarios that the test suite runs.
pub fn default_save_path(session: &Session) -> String {
    let stem = session
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "scenario".into());
    let stem = stem.trim_end_matches("-branch");
    text::path(&Path::new("faultline-branches").join(format!("{stem}-branch.toml")))
}
