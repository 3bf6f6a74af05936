//! What the lab and traces show of a node: a data server's role, epoch,
//! log and, on the primary, each replica's acknowledged position and lag;
//! the monitor's epoch, primary, failover in progress and the last report
//! of each server. No arrows (the lab's font has none).

use super::monitor::Monitor;
use super::server::Server;
use faultline_sim::{NodeId, NodeView, ViewSection};

/// Log rows shown at most (the newest).
const LOG_ROWS: usize = 30;

fn opt(n: Option<NodeId>) -> String {
    n.map_or("-".to_string(), |n| n.to_string())
}

/// A data server's view.
pub fn server_view(s: &Server) -> NodeView {
    let role = if s.is_primary() { "primary" } else { "replica" };
    let summary = if s.is_primary() {
        format!(
            "epoch {} · applied {} · synced {} · max lag {}",
            s.epoch(),
            s.applied(),
            s.synced(),
            s.lag()
        )
    } else {
        format!(
            "epoch {} · applied {} · primary {}",
            s.epoch(),
            s.applied(),
            opt(s.primary())
        )
    };
    let (reads, redirected) = s.read_counts();
    let mut view = NodeView::new(role, summary)
        .field("role", role)
        .field("epoch", s.epoch())
        .field("primary", opt(s.primary()))
        .field("life", s.boots())
        .field("applied", s.applied())
        .field("last", s.last().to_string())
        .field("digest", format!("{:016x}", s.store().digest()))
        .field("keys", s.store().data().len())
        .field("lost_entries", s.lost())
        .field("reads_answered", reads)
        .field("reads_sent_to_primary", redirected);
    if s.is_primary() {
        view = view
            .field("synced", s.synced())
            .field("writes_waiting", s.waiting());
        let rows = s
            .matched()
            .iter()
            .map(|(r, m)| {
                vec![
                    r.to_string(),
                    m.to_string(),
                    s.applied().saturating_sub(*m).to_string(),
                ]
            })
            .collect();
        view = view.section(ViewSection::Table {
            title: "replication lag".into(),
            columns: vec!["replica".into(), "acknowledged".into(), "lag".into()],
            rows,
            groups: Vec::new(),
        });
    }
    let log = s.log();
    let start = log.len().saturating_sub(LOG_ROWS);
    let rows = log[start..]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                (start + i + 1).to_string(),
                e.epoch.to_string(),
                e.command.to_string(),
            ]
        })
        .collect();
    view.section(ViewSection::Table {
        title: format!("log (last {LOG_ROWS})"),
        columns: vec!["index".into(), "epoch".into(), "write".into()],
        rows,
        groups: Vec::new(),
    })
}

/// The monitor's view.
pub fn monitor_view(m: &Monitor) -> NodeView {
    let fencing = m.fencing().map_or("-".to_string(), |f| {
        let a: Vec<String> = f
            .answers
            .iter()
            .map(|(n, p)| format!("{n} at {p}"))
            .collect();
        format!("epoch {}: {}", f.epoch, a.join(", "))
    });
    let rows = m
        .positions()
        .iter()
        .map(|(n, (e, p))| vec![n.to_string(), e.to_string(), p.to_string()])
        .collect();
    NodeView::new(
        "monitor",
        format!("epoch {} · primary {}", m.epoch(), opt(m.primary())),
    )
    .field("epoch", m.epoch())
    .field("primary", opt(m.primary()))
    .field("fencing", fencing)
    .field("failovers", m.failovers())
    .section(ViewSection::Table {
        title: "last reports".into(),
        columns: vec!["server".into(), "epoch".into(), "last entry".into()],
        rows,
        groups: Vec::new(),
    })
}
