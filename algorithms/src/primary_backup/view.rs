//! What the lab and traces show of a primary-backup server: the view it
//! knows and its role in it, its store's size and version, and on a
//! primary where its backup stands (transferring state, in sync) and the
//! batch in flight; on the view service, its view, whether it was
//! acknowledged, and when each replica last pinged.

use super::replica::Replica;
use super::viewservice::ViewService;
use faultline_sim::{NodeId, NodeView, ViewSection};

fn opt(n: Option<NodeId>) -> String {
    n.map_or("-".to_string(), |n| n.to_string())
}

/// A replica's view.
pub fn replica_view(r: &Replica) -> NodeView {
    let v = r.view();
    let mut view = NodeView::new(
        r.role(),
        format!(
            "view {} · {} keys · version {}",
            v.num,
            r.store().data().len(),
            r.version()
        ),
    )
    .field("role", r.role())
    .field("view", v.num)
    .field("primary", opt(v.primary))
    .field("backup", opt(v.backup))
    .field("acknowledged", r.acked())
    .field("keys", r.store().data().len())
    .field("version", r.version());
    if r.is_primary() {
        view = view
            .field("backup_status", r.status().name())
            .field("queued", r.queued())
            .field(
                "in_flight",
                r.in_flight().map_or("-".to_string(), |b| {
                    format!("batch at version {} ({} ops)", b.version, b.ops.len())
                }),
            );
    }
    if r.is_backup() {
        let synced = if r.synced_view() == v.num {
            "holds the primary's state"
        } else {
            "waiting for the state"
        };
        view = view.field("backup_status", synced);
    }
    let rows = r
        .store()
        .data()
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    view.section(ViewSection::Table {
        title: "store".into(),
        columns: vec!["key".into(), "value".into()],
        rows,
        groups: Vec::new(),
    })
}

/// The view service's view.
pub fn view_service_view(v: &ViewService) -> NodeView {
    let current = v.view();
    let rows = v
        .last_ping()
        .iter()
        .map(|(id, at)| vec![id.to_string(), at.to_string()])
        .collect();
    NodeView::new(
        "view service",
        format!(
            "view {} · {}",
            current.num,
            if v.acked() {
                "acknowledged"
            } else {
                "not acknowledged"
            }
        ),
    )
    .field("view", current.num)
    .field("primary", opt(current.primary))
    .field("backup", opt(current.backup))
    .field("acknowledged", v.acked())
    .section(ViewSection::Table {
        title: "last ping (local clock)".into(),
        columns: vec!["replica".into(), "at".into()],
        rows,
        groups: Vec::new(),
    })
}
