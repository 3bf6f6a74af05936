//! What the GUI and traces show of a Raft node: role (for colour), term,
//! vote, commit and applied index, the log as a table (index, term,
//! command, applied / committed / uncommitted) whose rows are grouped by
//! term so a log table can be coloured by it, and on a leader its
//! replication progress per follower (next and match index).

use super::node::{Role, Server};
use faultline_sim::{NodeId, NodeView, ViewSection};

/// Log rows shown at most (the newest ones).
const LOG_ROWS: usize = 200;

fn opt(n: Option<NodeId>) -> String {
    n.map_or("-".to_string(), |n| n.to_string())
}

/// A server's view.
pub fn server_view(s: &Server) -> NodeView {
    let log = s.log();
    let mut view = NodeView::new(
        s.role().name(),
        // The role is the view's own; the lab prints it before this line.
        format!("term {} · commit {}", s.current_term(), s.commit_index()),
    )
    .field("role", s.role().name())
    .field("term", s.current_term())
    .field("voted_for", opt(s.voted_for()))
    .field("leader", opt(s.leader()))
    .field("commit_index", s.commit_index())
    .field("last_applied", s.last_applied())
    .field("last_log_index", log.last_index())
    .field("last_log_term", log.last_term())
    .field("snapshot_index", log.base_index())
    .field("keys", s.kv().data().len());
    if s.role() == Role::PreCandidate {
        view = view.field("pre_vote", "collecting pre-votes");
    }
    if let Some(until) = s.lease_until() {
        view = view.field("lease_until", until);
    }
    let shown = log.iter().len().min(LOG_ROWS);
    let mut rows = Vec::with_capacity(shown + 1);
    let mut groups = Vec::with_capacity(shown + 1);
    if log.base_index() > 0 {
        rows.push(vec![
            format!("..{}", log.base_index()),
            log.base_term().to_string(),
            "snapshot".to_string(),
            "applied".to_string(),
        ]);
        groups.push(log.base_term());
    }
    for (index, entry) in log.iter().skip(log.iter().len() - shown) {
        let status = if index <= s.last_applied() {
            "applied"
        } else if index <= s.commit_index() {
            "committed"
        } else {
            "uncommitted"
        };
        rows.push(vec![
            index.to_string(),
            entry.term.to_string(),
            entry.command.to_string(),
            status.to_string(),
        ]);
        groups.push(entry.term);
    }
    view = view.section(ViewSection::Table {
        title: "log".into(),
        columns: vec![
            "index".into(),
            "term".into(),
            "command".into(),
            "status".into(),
        ],
        rows,
        groups,
    });
    if s.role() == Role::Leader {
        let rows = s
            .progress()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    NodeId(i as u32).to_string(),
                    p.next_index.to_string(),
                    p.match_index.to_string(),
                    p.acked_round.to_string(),
                ]
            })
            .collect();
        view = view.section(ViewSection::Table {
            title: "replication".into(),
            columns: vec![
                "server".into(),
                "next_index".into(),
                "match_index".into(),
                "acked_round".into(),
            ],
            rows,
            groups: Vec::new(),
        });
    }
    view
}
