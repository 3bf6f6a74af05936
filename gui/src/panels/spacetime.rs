//! The space-time diagram: one lane per node and client, time running to
//! the right. Messages are arrows from send to delivery; drops end in a red
//! cross; crashes, restarts, partitions and clock faults are marked on the
//! lanes (a crashed node's lane is greyed until it restarts); client
//! operations are bars from invocation to completion. Scroll to zoom, drag
//! to pan, click an arrow, a mark or a bar to inspect it. The cursor line
//! follows the transport; the known future is drawn faint. When an event
//! is selected, its causal past is drawn in blue, its causal future in pink
//! and everything concurrent with it fades.

use crate::causal::Relation;
use crate::command::{Command, Selection};
use crate::session::{Session, record_target};
use crate::{text, theme};
use eframe::egui::{
    self, Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Shape, Stroke, pos2, vec2,
};
use faultline_algorithms::scenario::tour::message_kind;
use faultline_sim::{Fault, MsgId, NodeId, OpStatus, RecordKind, SimTime};

/// Lane label gutter width.
const GUTTER: f32 = 46.0;
/// Time axis height.
const AXIS: f32 = 16.0;
/// Above this many records in the window, arrows are sampled: past a few
/// thousand arrows the diagram is a blur anyway, and each costs
/// tessellation and, on a software rasteriser, most of the frame.
const MAX_RECORDS_DRAWN: usize = 3_000;
/// Arrowheads only when this few records are in the window.
const MAX_RECORDS_WITH_HEADS: usize = 2_000;

/// The diagram's view: which stretch of time it shows.
#[derive(Debug)]
pub struct SpaceTimeView {
    /// Left edge, in nanoseconds.
    pub start: f64,
    /// Width of the window, in nanoseconds.
    pub span: f64,
    /// Keep the cursor in view.
    pub follow: bool,
    /// The plot area and lane height of the last frame drawn.
    drawn: Option<(Rect, f32)>,
}

impl Default for SpaceTimeView {
    fn default() -> Self {
        SpaceTimeView {
            start: 0.0,
            span: 300e6,
            follow: true,
            drawn: None,
        }
    }
}

/// What the pointer is closest to.
struct Hit {
    distance: f32,
    selection: Selection,
    tip: String,
}

impl SpaceTimeView {
    /// Back to the default window (a new scenario).
    pub fn reset(&mut self, session: &Session) {
        *self = SpaceTimeView::default();
        self.span = self.span.min(session.end().as_nanos() as f64).max(1e6);
    }

    /// Draws the toolbar and the diagram.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        selection: Selection,
        out: &mut Vec<Command>,
    ) {
        let end = session.end().as_nanos() as f64;
        ui.horizontal(|ui| {
            ui.label(RichText::new("Space-time").strong());
            ui.checkbox(&mut self.follow, "Follow cursor");
            if ui.button("Fit run").clicked() {
                self.start = 0.0;
                self.span = end.max(1.0);
                self.follow = false;
            }
            if ui.button("Zoom in").clicked() {
                self.zoom(0.5, self.start + self.span / 2.0);
            }
            if ui.button("Zoom out").clicked() {
                self.zoom(2.0, self.start + self.span / 2.0);
            }
            ui.label(
                RichText::new(format!(
                    "{} – {}",
                    text::time(SimTime(self.start.max(0.0) as u64)),
                    text::time(SimTime((self.start + self.span).max(0.0) as u64))
                ))
                .monospace()
                .weak(),
            );
            if let Some(focus) = &session.causal.focus {
                ui.separator();
                ui.colored_label(theme::PAST, format!("past ({})", focus.past.len() - 1))
                    .on_hover_text("Steps that happened before the selected event");
                ui.colored_label(
                    theme::FUTURE,
                    format!("future ({})", focus.future.len() - 1),
                )
                .on_hover_text("Steps that happened after the selected event");
                ui.label(RichText::new("faded: concurrent").weak());
            }
        });
        let rect = ui.available_rect_before_wrap();
        if rect.width() < GUTTER + 20.0 || rect.height() < AXIS + 10.0 {
            return;
        }
        let response = ui.allocate_rect(rect, Sense::click_and_drag());
        let plot = Rect::from_min_max(pos2(rect.left() + GUTTER, rect.top() + AXIS), rect.max);
        let now = session.display_time.as_nanos() as f64;

        // Navigation.
        if response.dragged() {
            self.start -= response.drag_delta().x as f64 / plot.width() as f64 * self.span;
            self.follow = false;
        }
        if response.hovered() {
            let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta()));
            let factor = (-(scroll.y as f64) * 0.004).exp() / zoom as f64;
            if (factor - 1.0).abs() > 1e-6
                && let Some(p) = response.hover_pos()
            {
                let at = self.start
                    + (p.x - plot.left()).max(0.0) as f64 / plot.width() as f64 * self.span;
                self.zoom(factor, at);
            }
        }
        if self.follow && (now < self.start || now > self.start + self.span * 0.9) {
            self.start = now - self.span * 0.7;
        }
        self.span = self.span.clamp(1e3, end.max(1e3) * 1.2);

        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
        let x_of =
            |t: f64| plot.left() + ((t - self.start) / self.span * plot.width() as f64) as f32;
        let n = session.node_count();
        let lane_h = ((plot.height() - 4.0) / n.max(1) as f32).clamp(4.0, 34.0);
        let y_of = |node: NodeId| plot.top() + (node.index() as f32 + 0.5) * lane_h;
        self.drawn = Some((plot, lane_h));
        let faint = visuals.weak_text_color().gamma_multiply(0.5);

        self.axis_ui(&painter, rect, plot, &x_of);

        // Lanes, with their down intervals.
        let servers = session.handle.config().servers as usize;
        let selected_node = match selection {
            Selection::Node(id) => Some(id),
            _ => None,
        };
        for id in session.nodes() {
            let y = y_of(id);
            let color = if id.index() >= servers {
                theme::role("client")
            } else {
                faint
            };
            painter.hline(
                plot.x_range(),
                y,
                Stroke::new(1.0, theme::alpha(color, 120)),
            );
            let label_color = if selected_node == Some(id) {
                theme::CURSOR
            } else {
                visuals.text_color()
            };
            if lane_h >= 9.0 || id.index().is_multiple_of(5) {
                painter.text(
                    pos2(rect.left() + 6.0, y),
                    Align2::LEFT_CENTER,
                    id.to_string(),
                    FontId::monospace(lane_h.clamp(8.0, 12.0)),
                    label_color,
                );
            }
            for &(from, to) in session.index.down.get(id.index()).map_or(&[][..], |v| v) {
                let x0 = x_of(from.as_nanos() as f64).max(plot.left());
                let x1 = x_of(to.map_or(end, |t| t.as_nanos() as f64)).min(plot.right());
                if x1 > x0 {
                    painter.rect_filled(
                        Rect::from_min_max(pos2(x0, y - lane_h * 0.3), pos2(x1, y + lane_h * 0.3)),
                        0.0,
                        theme::alpha(theme::DOWN, 160),
                    );
                }
            }
        }

        let pointer = response.hover_pos().filter(|p| plot.contains(*p));
        let mut best: Option<Hit> = None;
        let mut consider = |distance: f32, selection: Selection, tip: &dyn Fn() -> String| {
            if distance < 6.0 && best.as_ref().is_none_or(|b| distance < b.distance) {
                best = Some(Hit {
                    distance,
                    selection,
                    tip: tip(),
                });
            }
        };

        // Client operations, from the history at the cursor.
        for i in 0..session.handle.op_count() {
            let Some(op) = session.handle.op_timing(i) else {
                continue;
            };
            let call = op.call.as_nanos() as f64;
            let ret = op.ret.map_or(now, |r| r.as_nanos() as f64);
            if ret < self.start || call > self.start + self.span {
                continue;
            }
            let y = y_of(op.client);
            let color = match op.status {
                OpStatus::Ok => theme::GREEN,
                OpStatus::Fail => theme::RED,
                OpStatus::Unknown => Color32::GRAY,
            };
            let bar = Rect::from_min_max(
                pos2(x_of(call), y - lane_h * 0.42),
                pos2(x_of(ret).max(x_of(call) + 2.0), y - lane_h * 0.12),
            );
            let selected = selection == Selection::Operation(i);
            painter.rect_filled(
                bar,
                2.0,
                theme::alpha(color, if selected { 230 } else { 120 }),
            );
            if bar.width() > 50.0 && lane_h >= 16.0 {
                painter.text(
                    bar.left_center() + vec2(3.0, 0.0),
                    Align2::LEFT_CENTER,
                    session
                        .handle
                        .describe_op(i)
                        .map_or_else(String::new, |words| words.input),
                    FontId::proportional(9.0),
                    Color32::BLACK,
                );
            }
            if let Some(p) = pointer
                && bar.expand(1.0).contains(p)
            {
                consider(2.0, Selection::Operation(i), &|| {
                    text::operation(session.handle.as_ref(), i)
                });
            }
        }

        // Records in the window (and deliveries whose send is in it).
        let records = session.records();
        let margin = session.index.max_latency_nanos as f64;
        let lo = records.partition_point(|r| (r.time.as_nanos() as f64) < self.start - margin);
        let hi = records.partition_point(|r| (r.time.as_nanos() as f64) <= self.start + self.span);
        let stride = (hi - lo).div_ceil(MAX_RECORDS_DRAWN).max(1);
        let heads = hi - lo <= MAX_RECORDS_WITH_HEADS;
        let cursor = session.cursor();
        let selected_msg = match selection {
            Selection::Message(m) => Some(m),
            _ => None,
        };
        let marks_all = |fault: &Fault| fault.nodes().is_empty();
        // Without arrowheads, arrows are plain one-pixel quads in one mesh:
        // no anti-aliasing feather, a third of the vertices and fragments.
        let mut lines = egui::Mesh::default();
        let tint = |index: usize, color: Color32| -> Color32 {
            match session.causal.relation(index) {
                None => color,
                Some(Relation::Same) => theme::CURSOR,
                Some(Relation::Past) => theme::PAST,
                Some(Relation::Future) => theme::FUTURE,
                Some(Relation::Concurrent) => theme::alpha(color, 30),
            }
        };
        // A tour step's message kind: its arrows drawn bold.
        let tour_kind = session.highlight().and_then(|h| h.message.as_deref());
        let toured = |msg: MsgId| {
            tour_kind.is_some_and(|kind| {
                session
                    .handle
                    .describe_message(msg)
                    .is_some_and(|d| message_kind(&d) == kind)
            })
        };
        for (k, r) in records[lo..hi].iter().enumerate() {
            let index = lo + k;
            let future = record_target(r) > cursor;
            let t = r.time.as_nanos() as f64;
            match &r.kind {
                RecordKind::Deliver {
                    msg,
                    from,
                    to,
                    sent_at,
                } => {
                    if stride > 1 && k % stride != 0 && selected_msg != Some(*msg) {
                        continue;
                    }
                    let a = pos2(x_of(sent_at.as_nanos() as f64), y_of(*from));
                    let b = pos2(x_of(t), y_of(*to));
                    let selected = selected_msg == Some(*msg);
                    let base = theme::palette(from.0 as u64);
                    let color = if selected {
                        theme::CURSOR
                    } else if future {
                        theme::alpha(tint(index, base), 50)
                    } else {
                        theme::alpha(tint(index, base), 200)
                    };
                    let marked = !selected && toured(*msg);
                    let stroke = Stroke::new(
                        if selected {
                            2.5
                        } else if marked {
                            2.0
                        } else {
                            1.0
                        },
                        color,
                    );
                    if heads || selected || marked {
                        arrow(&painter, a, b, stroke);
                    } else {
                        thin_line(&mut lines, a, b, color);
                    }
                    if let Some(p) = pointer {
                        consider(segment_distance(p, a, b), Selection::Message(*msg), &|| {
                            text::record(r)
                        });
                    }
                }
                RecordKind::Drop {
                    msg,
                    from,
                    to,
                    sent_at,
                    ..
                } => {
                    let a = pos2(x_of(sent_at.as_nanos() as f64), y_of(*from));
                    let at_send = *sent_at == r.time;
                    let y = if at_send {
                        (y_of(*from) + y_of(*to)) / 2.0
                    } else {
                        y_of(*to)
                    };
                    let b = pos2(x_of(t).max(a.x + if at_send { 8.0 } else { 0.0 }), y);
                    let c = theme::alpha(tint(index, theme::RED), if future { 80 } else { 230 });
                    painter.extend(Shape::dashed_line(&[a, b], Stroke::new(1.0, c), 4.0, 3.0));
                    cross(&painter, b, 4.0, Stroke::new(2.0, c));
                    if let Some(p) = pointer {
                        consider(
                            segment_distance(p, a, b).min(p.distance(b)),
                            Selection::Message(*msg),
                            &|| text::record(r),
                        );
                    }
                }
                RecordKind::Fault { fault, effective } => {
                    let c = tint(index, fault_color(fault));
                    let c = if future || !effective {
                        theme::alpha(c, 90)
                    } else {
                        c
                    };
                    let x = x_of(t);
                    if marks_all(fault) {
                        painter.extend(Shape::dashed_line(
                            &[pos2(x, plot.top()), pos2(x, plot.bottom())],
                            Stroke::new(1.5, c),
                            6.0,
                            4.0,
                        ));
                        painter.text(
                            pos2(x + 3.0, plot.top() + 2.0),
                            Align2::LEFT_TOP,
                            fault.kind_name(),
                            FontId::proportional(10.0),
                            c,
                        );
                        if let Some(p) = pointer
                            && (p.x - x).abs() < 5.0
                        {
                            consider((p.x - x).abs(), Selection::Record(index), &|| {
                                text::record(r)
                            });
                        }
                    } else {
                        for node in fault.nodes() {
                            let p0 = pos2(x, y_of(node));
                            painter.vline(
                                x,
                                (p0.y - lane_h * 0.45)..=(p0.y + lane_h * 0.45),
                                Stroke::new(3.0, c),
                            );
                            painter.text(
                                p0 + vec2(3.0, -lane_h * 0.2),
                                Align2::LEFT_BOTTOM,
                                fault_glyph(fault),
                                FontId::proportional(11.0),
                                c,
                            );
                            if let Some(p) = pointer {
                                consider(p.distance(p0), Selection::Record(index), &|| {
                                    text::record(r)
                                });
                            }
                        }
                    }
                }
                RecordKind::Violation { .. } => {
                    let x = x_of(t);
                    let c = tint(index, theme::RED);
                    painter.vline(x, plot.y_range(), Stroke::new(2.5, c));
                    painter.text(
                        pos2(x + 4.0, plot.bottom() - 4.0),
                        Align2::LEFT_BOTTOM,
                        "violation",
                        FontId::proportional(12.0),
                        c,
                    );
                    if let Some(p) = pointer
                        && (p.x - x).abs() < 5.0
                    {
                        consider((p.x - x).abs(), Selection::Record(index), &|| {
                            text::record(r)
                        });
                    }
                }
                RecordKind::Timer { node, .. } if stride == 1 && lane_h >= 14.0 => {
                    let at = pos2(x_of(t), y_of(*node));
                    let (radius, color) = match session.causal.relation(index) {
                        None => (1.5, faint),
                        Some(Relation::Concurrent) => (1.5, theme::alpha(faint, 40)),
                        Some(_) => (2.5, tint(index, faint)),
                    };
                    painter.circle_filled(at, radius, color);
                    if let Some(p) = pointer {
                        consider(p.distance(at) + 1.0, Selection::Record(index), &|| {
                            text::record(r)
                        });
                    }
                }
                _ => {}
            }
        }
        if !lines.is_empty() {
            painter.add(Shape::mesh(lines));
        }
        if stride > 1 {
            painter.text(
                plot.right_top() + vec2(-6.0, 2.0),
                Align2::RIGHT_TOP,
                format!("showing 1 in {stride} messages: zoom in for all"),
                FontId::proportional(10.0),
                Color32::GRAY,
            );
        }

        // The cursor.
        let x = x_of(now);
        if plot.x_range().contains(x) {
            painter.vline(x, rect.y_range(), Stroke::new(1.5, theme::CURSOR));
        }

        // Selection and tooltips.
        let clicked = response.clicked();
        if let Some(hit) = best {
            if clicked {
                out.push(Command::Select(hit.selection));
            } else {
                response.clone().on_hover_text_at_pointer(hit.tip);
            }
        } else if clicked {
            let on_lane = response
                .interact_pointer_pos()
                .filter(|p| p.x < plot.left())
                .map(|p| ((p.y - plot.top()) / lane_h).floor() as i64)
                .filter(|&i| i >= 0 && (i as usize) < n);
            out.push(Command::Select(match on_lane {
                Some(i) => Selection::Node(NodeId(i as u32)),
                None => Selection::None,
            }));
        }
    }

    /// Where time `nanos` on `node`'s lane was in the last frame drawn
    /// (for tests and scripted clicks).
    pub fn point(&self, nanos: f64, node: NodeId) -> Option<Pos2> {
        let (plot, lane_h) = self.drawn?;
        Some(pos2(
            plot.left() + ((nanos - self.start) / self.span * plot.width() as f64) as f32,
            plot.top() + (node.index() as f32 + 0.5) * lane_h,
        ))
    }

    fn zoom(&mut self, factor: f64, at: f64) {
        let f = (at - self.start) / self.span;
        self.span *= factor;
        self.start = at - f * self.span;
    }

    fn axis_ui(&self, painter: &egui::Painter, rect: Rect, plot: Rect, x_of: &dyn Fn(f64) -> f32) {
        let step = nice_step(self.span / 8.0);
        let first = (self.start / step).ceil() * step;
        let mut t = first.max(0.0);
        while t <= self.start + self.span {
            let x = x_of(t);
            painter.vline(x, plot.y_range(), Stroke::new(0.5, Color32::from_gray(45)));
            painter.text(
                pos2(x + 2.0, rect.top() + 1.0),
                Align2::LEFT_TOP,
                format_tick(t),
                FontId::monospace(10.0),
                Color32::GRAY,
            );
            t += step;
        }
    }
}

/// 1, 2 or 5 times a power of ten, close to `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.max(1.0).log10().floor());
    let m = raw / p;
    p * if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    }
}

fn format_tick(nanos: f64) -> String {
    if nanos >= 1e9 {
        format!("{:.3}s", nanos / 1e9)
    } else if nanos >= 1e6 {
        format!("{:.1}ms", nanos / 1e6)
    } else {
        format!("{:.0}µs", nanos / 1e3)
    }
}

fn fault_color(fault: &Fault) -> Color32 {
    match fault {
        Fault::Crash { .. } | Fault::DropMessage { .. } => theme::RED,
        Fault::Restart { .. } | Fault::Heal => theme::GREEN,
        Fault::ClockOffset { .. } | Fault::ClockDrift { .. } | Fault::ClockStep { .. } => {
            theme::PURPLE
        }
        _ => theme::ORANGE,
    }
}

fn fault_glyph(fault: &Fault) -> &'static str {
    match fault {
        Fault::Crash { .. } => "crash",
        Fault::Restart { .. } => "restart",
        Fault::Isolate { .. } => "isolate",
        Fault::Partition { .. } | Fault::PartitionOneWay { .. } => "cut",
        Fault::ClockOffset { .. } | Fault::ClockDrift { .. } | Fault::ClockStep { .. } => "clock",
        Fault::Link { .. } => "link",
        Fault::Reconnect { .. } => "reconnect",
        Fault::Aimed { action, .. } => fault_glyph(action),
        Fault::Heal | Fault::DropMessage { .. } => "",
    }
}

fn arrow(painter: &egui::Painter, a: Pos2, b: Pos2, stroke: Stroke) {
    painter.line_segment([a, b], stroke);
    let d = b - a;
    if d.length() > 8.0 {
        let dir = d.normalized();
        let back = b - dir * 6.0;
        let side = dir.rot90() * 3.0;
        painter.add(Shape::convex_polygon(
            vec![b, back + side, back - side],
            stroke.color,
            Stroke::NONE,
        ));
    }
}

/// A one-pixel line from `a` to `b` as two triangles of `mesh`.
fn thin_line(mesh: &mut egui::Mesh, a: Pos2, b: Pos2, color: Color32) {
    let d = b - a;
    let length = d.length();
    if length < 0.01 {
        return;
    }
    let half = d.rot90() / length * 0.5;
    let i = mesh.vertices.len() as u32;
    for p in [a + half, a - half, b - half, b + half] {
        mesh.colored_vertex(p, color);
    }
    mesh.add_triangle(i, i + 1, i + 2);
    mesh.add_triangle(i, i + 2, i + 3);
}

fn cross(painter: &egui::Painter, p: Pos2, s: f32, stroke: Stroke) {
    painter.line_segment([p - vec2(s, s), p + vec2(s, s)], stroke);
    painter.line_segment([p - vec2(s, -s), p + vec2(s, -s)], stroke);
}

fn segment_distance(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len2 = ab.length_sq();
    if len2 < 1e-6 {
        return p.distance(a);
    }
    let t = ((p - a).dot(ab) / len2).clamp(0.0, 1.0);
    p.distance(a + ab * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_five() {
        assert_eq!(nice_step(0.9e6), 1e6);
        assert_eq!(nice_step(2.4e6), 2e6);
        assert_eq!(nice_step(4.0e6), 5e6);
    }

    #[test]
    fn segment_distance_measures_to_the_nearest_point() {
        let d = segment_distance(pos2(5.0, 3.0), pos2(0.0, 0.0), pos2(10.0, 0.0));
        assert!((d - 3.0).abs() < 1e-5);
        let d = segment_distance(pos2(-4.0, 3.0), pos2(0.0, 0.0), pos2(10.0, 0.0));
        assert!((d - 5.0).abs() < 1e-5);
    }
}
