//! Colours: one place decides what a role, a term or a side looks like.

use eframe::egui::Color32;

/// Background of a violated check.
pub const VIOLATION_BG: Color32 = Color32::from_rgb(90, 20, 24);
/// Red for violations, drops and cuts.
pub const RED: Color32 = Color32::from_rgb(230, 70, 70);
/// Green for passing checks and restarts.
pub const GREEN: Color32 = Color32::from_rgb(90, 200, 110);
/// Orange for faults.
pub const ORANGE: Color32 = Color32::from_rgb(240, 160, 60);
/// Purple for clock faults.
pub const PURPLE: Color32 = Color32::from_rgb(180, 130, 240);
/// Grey for crashed nodes.
pub const DOWN: Color32 = Color32::from_rgb(85, 85, 85);
/// The time cursor.
pub const CURSOR: Color32 = Color32::from_rgb(255, 230, 120);
/// The causal past of the selected event.
pub const PAST: Color32 = Color32::from_rgb(80, 170, 255);
/// The causal future of the selected event.
pub const FUTURE: Color32 = Color32::from_rgb(245, 110, 190);

const PALETTE: [Color32; 10] = [
    Color32::from_rgb(86, 156, 214),
    Color32::from_rgb(224, 160, 70),
    Color32::from_rgb(120, 190, 120),
    Color32::from_rgb(200, 110, 180),
    Color32::from_rgb(100, 200, 200),
    Color32::from_rgb(220, 120, 100),
    Color32::from_rgb(160, 160, 230),
    Color32::from_rgb(200, 200, 110),
    Color32::from_rgb(150, 120, 90),
    Color32::from_rgb(130, 210, 160),
];

/// A stable colour for any key (a term, a group, a message kind).
pub fn palette(key: u64) -> Color32 {
    PALETTE[(key % PALETTE.len() as u64) as usize]
}

/// The colour of a node's role. Well-known roles of the classic protocols
/// get fixed colours; any other role gets a stable one from its name.
pub fn role(role: &str) -> Color32 {
    match role {
        "leader" | "primary" | "coordinator" | "proposer" => Color32::from_rgb(240, 190, 60),
        "candidate" => Color32::from_rgb(240, 120, 60),
        "follower" | "backup" | "acceptor" | "replica" | "server" => {
            Color32::from_rgb(86, 156, 214)
        }
        "client" => Color32::from_rgb(200, 195, 165),
        "learner" | "observer" => Color32::from_rgb(100, 200, 200),
        "down" | "crashed" => DOWN,
        other => {
            let h = other.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            });
            palette(h)
        }
    }
}

/// A row colour for a table group (a Raft log entry's term), muted enough
/// to read text on.
pub fn group_row(group: u64) -> Color32 {
    let c = palette(group);
    Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 60)
}

/// The colour of partition side `side` (0 = A).
pub fn side(side: usize) -> Color32 {
    [
        Color32::from_rgb(90, 170, 250),
        Color32::from_rgb(250, 150, 80),
        Color32::from_rgb(150, 220, 120),
        Color32::from_rgb(220, 120, 220),
    ][side % 4]
}

/// `A`, `B`, `C`, `D`.
pub fn side_name(side: usize) -> &'static str {
    ["A", "B", "C", "D"][side % 4]
}

/// Makes a colour translucent.
pub fn alpha(c: Color32, a: u8) -> Color32 {
    Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), a)
}
