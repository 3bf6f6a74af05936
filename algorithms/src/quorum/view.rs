//! What the lab and traces show of a quorum server: per key its owners,
//! its versions (timestamp or dotted version vector) and value, siblings
//! marked; the hints it holds and for whom; whom it suspects. ASCII only
//! (the lab's font has no arrow glyphs).

use super::server::Server;
use faultline_sim::{NodeView, ViewSection};

/// Rows shown at most per table.
const ROWS: usize = 50;

fn list(nodes: impl Iterator<Item = faultline_sim::NodeId>) -> String {
    let v: Vec<String> = nodes.map(|n| n.to_string()).collect();
    if v.is_empty() {
        "-".to_string()
    } else {
        v.join(", ")
    }
}

/// A server's view.
pub fn server_view(s: &Server) -> NodeView {
    let siblings = s.store().values().filter(|v| v.len() > 1).count();
    let mut view = NodeView::new(
        "replica",
        format!(
            "{} keys - {} with siblings - {} hints - coordinating {}",
            s.store().len(),
            siblings,
            s.hints().len(),
            s.ops().len()
        ),
    )
    .field("keys", s.store().len())
    .field("keys_with_siblings", siblings)
    .field("hints", s.hints().len())
    .field("suspected", list(s.suspected()))
    .field("coordinating", s.ops().len())
    .field("read_repairs", s.read_repairs)
    .field("hints_delivered", s.hints_delivered)
    .field("reads_with_siblings", s.sibling_reads)
    .field("anti_entropy_repairs", s.anti_entropy_repairs);
    let mut rows = Vec::new();
    for (key, versions) in s.store().iter().take(ROWS) {
        let owners = list(s.owners(key).into_iter());
        for (i, v) in versions.iter().enumerate() {
            let sibling = if versions.len() > 1 {
                format!("{} of {}", i + 1, versions.len())
            } else {
                "-".to_string()
            };
            rows.push(vec![
                key.clone(),
                owners.clone(),
                v.stamp.describe(),
                sibling,
                v.value.text(),
            ]);
        }
    }
    view = view.section(ViewSection::Table {
        title: "store".into(),
        columns: vec![
            "key".into(),
            "owners".into(),
            "version".into(),
            "sibling".into(),
            "value".into(),
        ],
        rows,
        groups: Vec::new(),
    });
    let rows = s
        .hints()
        .iter()
        .take(ROWS)
        .map(|((owner, key), versions)| {
            let stamps: Vec<String> = versions.iter().map(|v| v.stamp.describe()).collect();
            vec![owner.to_string(), key.clone(), stamps.join(" | ")]
        })
        .collect();
    view.section(ViewSection::Table {
        title: "hints held (for owner)".into(),
        columns: vec!["owner".into(), "key".into(), "versions".into()],
        rows,
        groups: Vec::new(),
    })
}
