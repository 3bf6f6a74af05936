//! The cluster view: nodes on a circle (draggable), coloured by the role of
//! their `NodeView`; messages in flight moving along their links at the
//! fraction of their latency elapsed; recent drops where they happened;
//! crashed nodes greyed; partitions drawn as cuts; clock offsets and drift
//! as badges. Right-click a node to inject a fault.

use crate::command::{Command, Selection};
use crate::panels::faults::{PartitionDraft, node_fault_menu_ui};
use crate::session::{Session, record_target};
use crate::{text, theme};
use eframe::egui::{
    self, Align2, Color32, FontId, Pos2, Rect, Role, Sense, Shape, Stroke, Vec2, WidgetInfo, pos2,
    vec2,
};
use faultline_algorithms::scenario::tour::message_kind;
use faultline_sim::topology::{PlaceKind, Topology};
use faultline_sim::{DropReason, Network, NodeId, NodeKind, RecordKind, SimTime};

/// At most this many recent drops are drawn.
const MAX_DROPS_SHOWN: usize = 400;

/// The sides of the servers' network: servers are on one side when a chain
/// of links open both ways joins them. (Clients are left out: they usually
/// reach every side, which would join them all.)
pub fn server_sides(network: &Network, servers: usize) -> Vec<Vec<NodeId>> {
    let mut links = petgraph::graph::UnGraph::<NodeId, ()>::with_capacity(servers, 0);
    let ids: Vec<_> = (0..servers as u32)
        .map(|i| links.add_node(NodeId(i)))
        .collect();
    for a in 0..servers {
        for b in (a + 1)..servers {
            let (na, nb) = (NodeId(a as u32), NodeId(b as u32));
            if !network.is_cut(na, nb) && !network.is_cut(nb, na) {
                links.add_edge(ids[a], ids[b], ());
            }
        }
    }
    // On an undirected graph the strongly connected components are its
    // connected components.
    let mut groups: Vec<Vec<NodeId>> = petgraph::algo::tarjan_scc(&links)
        .into_iter()
        .map(|c| {
            let mut g: Vec<NodeId> = c.into_iter().map(|n| links[n]).collect();
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}

/// Server positions (in the view's unit square) laid out by region: the
/// regions' centres evenly around `centre` at distance `r * 0.62` (one
/// region: at `centre`), and each region's servers, ordered by rack then
/// id, on a small circle around its centre, so racks sit together. A server
/// the topology does not place (none, once parsed) stays at `centre`.
pub fn region_layout(t: &Topology, servers: usize, centre: Pos2, r: f32) -> Vec<Pos2> {
    let regions: Vec<(usize, Vec<NodeId>)> = t
        .regions()
        .into_iter()
        .map(|g| {
            let mut m: Vec<NodeId> = t
                .members(g)
                .into_iter()
                .filter(|m| m.index() < servers)
                .collect();
            m.sort_by_key(|&n| (t.rack_of(n), n));
            (g, m)
        })
        .filter(|(_, m)| !m.is_empty())
        .collect();
    let k = regions.len();
    // Each region's small circle must leave room between the regions.
    let (ring, small) = if k <= 1 {
        (0.0, r)
    } else {
        let ring = r * 0.62;
        let gap = ring * (std::f32::consts::PI / k as f32).sin();
        (ring, (gap * 0.4).min(r * 0.3))
    };
    let mut out = vec![centre; servers];
    for (j, (_, members)) in regions.iter().enumerate() {
        let a = std::f32::consts::TAU * j as f32 / k.max(1) as f32 - std::f32::consts::FRAC_PI_2;
        let c = centre + vec2(a.cos(), a.sin()) * ring;
        let m = members.len();
        for (i, node) in members.iter().enumerate() {
            out[node.index()] = if m == 1 {
                c
            } else {
                let b = std::f32::consts::TAU * i as f32 / m as f32 - std::f32::consts::FRAC_PI_2;
                c + vec2(b.cos(), b.sin()) * small
            };
        }
    }
    out
}

/// The cluster view's own state: where the nodes are.
#[derive(Debug, Default)]
pub struct ClusterView {
    /// Node positions in a unit square (0..1), by node index.
    positions: Vec<Pos2>,
    /// Set when the user moved a node.
    moved: bool,
    /// The centre of the servers' circle, in the same unit square.
    centre: Pos2,
}

impl ClusterView {
    /// Forgets the layout (a new scenario).
    pub fn reset(&mut self) {
        self.positions.clear();
        self.moved = false;
    }

    /// Where node `index` is, in the view's unit square (after the first
    /// frame laid it out).
    pub fn position(&self, index: usize) -> Option<Pos2> {
        self.positions.get(index).copied()
    }

    /// Puts servers on a circle (with a topology: each region's servers on
    /// a small circle of their own, the regions around the centre) and
    /// clients in a row below it.
    fn layout(&mut self, session: &Session) {
        let n = session.node_count();
        let servers = session.handle.config().servers as usize;
        let clients = n - servers;
        // Without clients the circle takes the whole view.
        let (centre, r) = if clients == 0 {
            (pos2(0.5, 0.5), 0.42)
        } else {
            (pos2(0.5, 0.45), 0.36)
        };
        self.centre = centre;
        let by_region = session
            .scenario
            .topology
            .as_ref()
            .map(|t| region_layout(t, servers, centre, r));
        self.positions = (0..n)
            .map(|i| {
                if i < servers {
                    if let Some(p) = by_region.as_ref().and_then(|p| p.get(i)) {
                        return *p;
                    }
                    let a = std::f32::consts::TAU * i as f32 / servers as f32
                        - std::f32::consts::FRAC_PI_2;
                    centre + vec2(a.cos(), a.sin()) * r
                } else {
                    let k = (i - servers) as f32;
                    let x = if clients == 1 {
                        0.5
                    } else {
                        0.12 + 0.76 * k / (clients - 1) as f32
                    };
                    pos2(x, 0.95)
                }
            })
            .collect();
    }

    /// With a topology, a box around each region's servers (and a thinner
    /// one around each rack's) with its name, under everything else.
    fn regions_ui(
        &self,
        painter: &egui::Painter,
        session: &Session,
        screen: &[Pos2],
        radius: f32,
        weak: Color32,
    ) {
        let Some(t) = session.scenario.topology.as_ref() else {
            return;
        };
        let servers = session.handle.config().servers as usize;
        for (i, place) in t.places.iter().enumerate() {
            let members: Vec<Pos2> = t
                .members(i)
                .into_iter()
                .filter(|m| m.index() < servers && m.index() < screen.len())
                .map(|m| screen[m.index()])
                .collect();
            if members.is_empty() {
                continue;
            }
            let rack = place.kind == PlaceKind::Rack;
            let pad = if rack { radius + 5.0 } else { radius + 14.0 };
            let bounds = Rect::from_points(&members).expand(pad);
            let colour = if rack { weak.gamma_multiply(0.5) } else { weak };
            painter.rect_stroke(
                bounds,
                if rack { 4.0 } else { 8.0 },
                Stroke::new(if rack { 0.8 } else { 1.5 }, colour),
                egui::StrokeKind::Inside,
            );
            let (anchor, align) = if rack {
                (bounds.left_bottom() + vec2(4.0, -2.0), Align2::LEFT_BOTTOM)
            } else {
                (bounds.left_top() + vec2(6.0, 3.0), Align2::LEFT_TOP)
            };
            painter.text(
                anchor,
                align,
                &place.name,
                FontId::proportional(if rack { 10.0 } else { 12.0 }),
                colour,
            );
        }
    }

    /// Draws the view.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        selection: Selection,
        draft: &mut PartitionDraft,
        out: &mut Vec<Command>,
    ) {
        let n = session.node_count();
        if self.positions.len() != n {
            self.layout(session);
        }
        let rect = ui.available_rect_before_wrap();
        let background = ui.allocate_rect(rect, Sense::click());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
        let side = rect.width().min(rect.height()) * 0.92;
        let origin = rect.center() - vec2(side, side) * 0.5;
        let to_screen = |p: Pos2| origin + p.to_vec2() * side;
        let screen: Vec<Pos2> = self.positions.iter().map(|&p| to_screen(p)).collect();
        let servers = session.handle.config().servers as usize;
        let radius =
            (std::f32::consts::PI * 0.72 * side / servers.max(1) as f32 * 0.35).clamp(7.0, 22.0);
        let network = session.handle.network();
        self.regions_ui(
            &painter,
            session,
            &screen,
            radius,
            ui.visuals().weak_text_color(),
        );

        // Partitions: each side a halo, cut links dashed red, and between two
        // sides the fault line itself.
        let groups = server_sides(network, servers);
        if groups.len() > 1 {
            for (g, members) in groups.iter().enumerate() {
                let c = theme::alpha(theme::side(g), 40);
                for m in members {
                    painter.circle_filled(screen[m.index()], radius + 9.0, c);
                }
            }
            if servers <= 24 {
                for a in 0..servers {
                    for b in (a + 1)..servers {
                        let (na, nb) = (NodeId(a as u32), NodeId(b as u32));
                        if network.is_cut(na, nb) || network.is_cut(nb, na) {
                            painter.extend(Shape::dashed_line(
                                &[screen[a], screen[b]],
                                Stroke::new(1.0, theme::alpha(theme::RED, 110)),
                                5.0,
                                5.0,
                            ));
                        }
                    }
                }
            }
            let centroid = |members: &[NodeId]| {
                let sum = members
                    .iter()
                    .fold(Vec2::ZERO, |acc, m| acc + screen[m.index()].to_vec2());
                (sum / members.len().max(1) as f32).to_pos2()
            };
            if groups.len() == 2 {
                let (c0, c1) = (centroid(&groups[0]), centroid(&groups[1]));
                let mid = c0 + (c1 - c0) * 0.5;
                let dir = (c1 - c0).normalized().rot90();
                let span = rect.width() + rect.height();
                painter.extend(Shape::dashed_line(
                    &[mid - dir * span, mid + dir * span],
                    Stroke::new(3.0, theme::RED),
                    12.0,
                    6.0,
                ));
                // The label sits on the line, on its own background.
                let galley = painter.layout_no_wrap(
                    "✂ partition".into(),
                    FontId::proportional(13.0),
                    theme::RED,
                );
                let label = Rect::from_center_size(mid + dir * (side * 0.3), galley.size());
                painter.rect_filled(label.expand(3.0), 3.0, ui.visuals().extreme_bg_color);
                painter.galley(label.min, galley, theme::RED);
            }
        } else if servers <= 24 {
            for a in 0..servers {
                for b in (a + 1)..servers {
                    painter.line_segment(
                        [screen[a], screen[b]],
                        Stroke::new(0.5, ui.visuals().weak_text_color().gamma_multiply(0.35)),
                    );
                }
            }
        }

        // Messages in flight.
        let now = session.display_time;
        let selected_msg = match selection {
            Selection::Message(m) => Some(m),
            _ => None,
        };
        let in_flight = session.handle.in_flight();
        let mut dots = Vec::with_capacity(in_flight.len());
        let dot = if in_flight.len() > 500 { 2.5 } else { 4.0 };
        // Thousands of dots: one mesh of small squares instead of thousands
        // of tessellated circles.
        let many = in_flight.len() > 500;
        let mut mesh = egui::Mesh::default();
        let tour = session.highlight();
        let marked_kind = tour.and_then(|h| h.message.as_deref());
        for m in &in_flight {
            let span = m
                .deliver_at
                .as_nanos()
                .saturating_sub(m.sent_at.as_nanos())
                .max(1);
            let f = (now.as_nanos().saturating_sub(m.sent_at.as_nanos()) as f32 / span as f32)
                .clamp(0.0, 1.0);
            let (a, b) = (screen[m.from.index()], screen[m.to.index()]);
            let offset = (b - a).normalized().rot90() * 3.0;
            let p = a + (b - a) * f + offset;
            dots.push((p, m.msg));
            if let Some(kind) = marked_kind
                && session
                    .handle
                    .describe_message(m.msg)
                    .is_some_and(|d| message_kind(&d) == kind)
            {
                // A tour step's message kind: a ring around the dot.
                painter.circle_stroke(p, dot + 3.5, Stroke::new(2.0, theme::CURSOR));
            }
            if selected_msg == Some(m.msg) {
                painter.line_segment([a, b], Stroke::new(1.0, theme::CURSOR));
                painter.circle(
                    p,
                    dot + 3.0,
                    theme::CURSOR,
                    Stroke::new(2.0, Color32::WHITE),
                );
            } else if many {
                mesh.add_colored_rect(
                    Rect::from_center_size(p, Vec2::splat(dot * 2.0)),
                    theme::palette(m.from.0 as u64),
                );
            } else {
                painter.circle_filled(p, dot, theme::palette(m.from.0 as u64));
            }
        }
        if !mesh.is_empty() {
            painter.add(Shape::mesh(mesh));
        }

        // Recent drops, where they happened.
        let records = session.records();
        let fade = (session.index.max_latency_nanos * 2).max(5_000_000);
        let since = SimTime(now.as_nanos().saturating_sub(fade));
        let mut shown = 0;
        for r in records[..session.first_future_record()].iter().rev() {
            if r.time < since || shown >= MAX_DROPS_SHOWN {
                break;
            }
            if let RecordKind::Drop {
                from,
                to,
                sent_at,
                reason,
                ..
            } = &r.kind
            {
                let (a, b) = (screen[from.index()], screen[to.index()]);
                let f = match reason {
                    DropReason::Loss => 0.5,
                    DropReason::Injected => 0.5,
                    _ if *sent_at == r.time => 0.2,
                    _ => 0.85,
                };
                let p = a + (b - a) * f;
                let age = (now.as_nanos().saturating_sub(r.time.as_nanos())) as f32 / fade as f32;
                let alpha = (255.0 * (1.0 - age).clamp(0.25, 1.0)) as u8;
                let c = theme::alpha(theme::RED, alpha);
                let s = 5.0;
                painter.line_segment([p - vec2(s, s), p + vec2(s, s)], Stroke::new(2.5, c));
                painter.line_segment([p - vec2(s, -s), p + vec2(s, -s)], Stroke::new(2.5, c));
                shown += 1;
            }
        }

        // Nodes.
        let selected_node = match selection {
            Selection::Node(id) => Some(id),
            _ => None,
        };
        let show_summary = n <= 16;
        let mut dragged = None;
        for (i, &p) in screen.iter().enumerate() {
            let id = NodeId(i as u32);
            let info = session.handle.node_info(id);
            let view = session.handle.node_view(id);
            let fill = if info.up {
                theme::role(&view.role)
            } else {
                theme::DOWN
            };
            let node_rect = Rect::from_center_size(p, Vec2::splat(radius * 2.0));
            let response = ui.interact(
                node_rect,
                ui.scope_id().with(("node", i)),
                Sense::click_and_drag(),
            );
            response.widget_info(|| WidgetInfo::labeled(Role::Button, true, format!("node {id}")));
            let hovered = response.hovered();
            let stroke = if selected_node == Some(id) {
                Stroke::new(3.0, Color32::WHITE)
            } else if hovered {
                Stroke::new(2.0, Color32::LIGHT_GRAY)
            } else {
                Stroke::new(1.0, Color32::from_gray(30))
            };
            if info.kind == NodeKind::Client {
                painter.rect(
                    node_rect.shrink(2.0),
                    4.0,
                    fill,
                    stroke,
                    egui::StrokeKind::Outside,
                );
            } else {
                painter.circle(p, radius, fill, stroke);
            }
            if tour.is_some_and(|h| h.nodes.contains(&id)) {
                painter.circle_stroke(p, radius + 6.0, Stroke::new(2.5, theme::CURSOR));
            }
            if !info.up {
                painter.text(
                    p,
                    Align2::CENTER_CENTER,
                    "✖",
                    FontId::proportional(radius),
                    theme::RED,
                );
            }
            // Large nodes carry their name inside; small servers outside the
            // circle, away from their neighbours' names; small clients below.
            let label_pos = if radius >= 12.0 {
                p
            } else if info.kind == NodeKind::Client {
                p + vec2(0.0, radius + 7.0)
            } else {
                let away = p - to_screen(self.centre);
                let outward = if away.length() > 1.0 {
                    away.normalized()
                } else {
                    vec2(0.0, 1.0)
                };
                p + outward * (radius + 9.0)
            };
            painter.text(
                label_pos,
                Align2::CENTER_CENTER,
                id.to_string(),
                FontId::proportional(if radius >= 12.0 { 13.0 } else { 10.0 }),
                if radius >= 12.0 {
                    Color32::BLACK
                } else {
                    Color32::WHITE
                },
            );
            if let Some(s) = draft.side(id) {
                painter.text(
                    p + vec2(-radius, -radius),
                    Align2::CENTER_CENTER,
                    theme::side_name(s),
                    FontId::proportional(12.0),
                    theme::side(s),
                );
            }
            if info.clock_offset_nanos != 0 || info.clock_drift_ppm != 0 {
                let mut badge = String::from("⏱");
                if info.clock_offset_nanos != 0 {
                    badge.push_str(&text::signed(info.clock_offset_nanos));
                }
                if info.clock_drift_ppm != 0 {
                    badge.push_str(&format!(" {:+}ppm", info.clock_drift_ppm));
                }
                let galley =
                    painter.layout_no_wrap(badge, FontId::proportional(11.0), Color32::BLACK);
                let at = p + vec2(radius * 0.7, -radius - 4.0);
                let r =
                    Rect::from_min_size(at - vec2(0.0, galley.size().y), galley.size()).expand(2.0);
                painter.rect_filled(r, 3.0, theme::PURPLE);
                painter.galley(r.min + vec2(2.0, 2.0), galley, Color32::BLACK);
            }
            if show_summary || hovered || selected_node == Some(id) {
                let below = if radius >= 12.0 {
                    radius + 9.0
                } else {
                    radius + 19.0
                };
                painter.text(
                    p + vec2(0.0, below),
                    Align2::CENTER_CENTER,
                    format!("{} · {}", view.role, view.summary),
                    FontId::proportional(11.0),
                    ui.visuals().text_color(),
                );
            }
            if response.dragged() {
                dragged = Some((i, response.drag_delta()));
            }
            if response.clicked() {
                out.push(Command::Select(Selection::Node(id)));
            }
            response.context_menu(|ui| {
                node_fault_menu_ui(ui, session, id, draft, out);
            });
        }
        if let Some((i, delta)) = dragged {
            let p = self.positions[i] + delta / side;
            self.positions[i] = pos2(p.x.clamp(0.0, 1.0), p.y.clamp(0.0, 1.0));
            self.moved = true;
        }

        // A click on the background selects the nearest message, or nothing.
        if background.clicked() {
            let pick = background.interact_pointer_pos().and_then(|pos| {
                dots.iter()
                    .map(|(p, m)| (p.distance(pos), *m))
                    .filter(|(d, _)| *d < 8.0)
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, m)| m)
            });
            out.push(Command::Select(match pick {
                Some(m) => Selection::Message(m),
                None => Selection::None,
            }));
        }

        self.legend_ui(&painter, rect, session, in_flight.len());
        if let Some(i) = session.index.violation
            && record_target(&records[i]) <= session.cursor()
        {
            // A red frame and a corner label: the nodes stay readable.
            painter.rect_stroke(
                rect.shrink(1.5),
                0.0,
                Stroke::new(3.0, theme::RED),
                egui::StrokeKind::Inside,
            );
            painter.text(
                rect.right_top() + vec2(-10.0, 10.0),
                Align2::RIGHT_TOP,
                "INVARIANT VIOLATED — see Checks",
                FontId::proportional(15.0),
                theme::RED,
            );
        }
    }

    fn legend_ui(&self, painter: &egui::Painter, rect: Rect, session: &Session, in_flight: usize) {
        let mut roles: Vec<String> = session
            .nodes()
            .map(|id| session.handle.node_view(id).role)
            .collect();
        roles.sort();
        roles.dedup();
        let mut y = rect.top() + 10.0;
        for role in roles {
            let c = theme::role(&role);
            painter.circle_filled(pos2(rect.left() + 12.0, y), 5.0, c);
            painter.text(
                pos2(rect.left() + 22.0, y),
                Align2::LEFT_CENTER,
                role,
                FontId::proportional(11.0),
                Color32::GRAY,
            );
            y += 15.0;
        }
        painter.text(
            pos2(rect.left() + 8.0, y + 4.0),
            Align2::LEFT_CENTER,
            format!("{in_flight} in flight"),
            FontId::proportional(11.0),
            Color32::GRAY,
        );
        if self.moved {
            painter.text(
                rect.right_bottom() - vec2(8.0, 8.0),
                Align2::RIGHT_BOTTOM,
                "layout moved by hand",
                FontId::proportional(10.0),
                Color32::DARK_GRAY,
            );
        }
    }
}
