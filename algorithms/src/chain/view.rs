//! What the lab and traces show of a chain node: the chain it holds and
//! its place in it, how far it has applied and committed, its Sent list
//! and store; for the master, the configuration, suspects and joiners.

use super::master::Master;
use super::server::Server;
use faultline_sim::{NodeView, ViewSection};

/// Sent-list rows shown at most (the oldest).
const SENT_ROWS: usize = 50;

fn chain_table(config: &super::msg::Config) -> ViewSection {
    let n = config.chain.len();
    let rows = config
        .chain
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match (i, config.joining == Some(m.node)) {
                (_, true) => "tail (joining)",
                (0, _) if n == 1 => "head and tail",
                (0, _) => "head",
                (i, _) if i + 1 == n => "tail",
                _ => "middle",
            };
            vec![
                i.to_string(),
                m.node.to_string(),
                m.boots.to_string(),
                role.to_string(),
            ]
        })
        .collect();
    ViewSection::Table {
        title: format!("chain v{}", config.version),
        columns: vec![
            "position".into(),
            "server".into(),
            "life".into(),
            "role".into(),
        ],
        rows,
        groups: Vec::new(),
    }
}

/// A chain server's view.
pub fn server_view(s: &Server) -> NodeView {
    let config = s.config();
    let role = if !s.is_member() {
        "outside"
    } else if !s.is_ready() {
        "joining"
    } else if s.is_head() && s.is_tail() {
        "head+tail"
    } else if s.is_head() {
        "head"
    } else if s.is_tail() {
        "tail"
    } else {
        "middle"
    };
    let position = config.position(s.id()).map_or("-".to_string(), |p| {
        format!("{} of {}", p + 1, config.chain.len())
    });
    let mut view = NodeView::new(
        role,
        format!(
            "{} · applied {} · committed {} · sent {}",
            config.describe(),
            s.applied(),
            s.committed(),
            s.sent().len()
        ),
    )
    .field("role", role)
    .field("chain", config.describe())
    .field("position", position)
    .field("life", s.boots())
    .field("applied", s.applied())
    .field("committed", s.committed())
    .field("sent", s.sent().len())
    .field("keys", s.state().store.data().len())
    .field("dirty_keys", s.dirty_keys())
    .field("waiting_clients", s.waiting())
    .field("reads_answered_here", s.local_reads())
    .field("reads_asking_the_tail", s.tail_queries())
    .section(chain_table(config));
    let rows = s
        .sent()
        .iter()
        .take(SENT_ROWS)
        .map(|(seq, e)| vec![seq.to_string(), e.command.to_string()])
        .collect();
    view = view.section(ViewSection::Table {
        title: "sent (unacknowledged)".into(),
        columns: vec!["update".into(), "command".into()],
        rows,
        groups: Vec::new(),
    });
    view
}

/// The master's view.
pub fn master_view(m: &Master) -> NodeView {
    let config = m.config();
    let list = |it: &mut dyn Iterator<Item = faultline_sim::NodeId>| {
        let v: Vec<String> = it.map(|n| n.to_string()).collect();
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    NodeView::new("master", config.describe())
        .field("chain", config.describe())
        .field("suspected", list(&mut m.suspected().iter().copied()))
        .field("want_to_join", list(&mut m.want_join()))
        .section(chain_table(config))
}
