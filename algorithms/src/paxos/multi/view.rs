//! What the lab and traces show of a Multi-Paxos node: role, ballot and
//! leader, how far it has decided and applied, and the log as a table of
//! slots (accepted ballot, command, status) coloured by ballot, plus a
//! leader's proposals in flight.

use super::server::{Role, Server};
use faultline_sim::{NodeView, ViewSection};
use std::collections::BTreeSet;

/// Log rows shown at most (the newest slots).
const LOG_ROWS: usize = 200;

/// A server's view.
pub fn server_view(s: &Server) -> NodeView {
    let ballot = match s.role() {
        Role::Candidate { ballot, .. } | Role::Leader { ballot } => ballot.to_string(),
        Role::Follower => "-".to_string(),
    };
    let mut view = NodeView::new(
        s.role().name(),
        format!("promised {} · decided {}", s.promised(), s.contiguous()),
    )
    .field("role", s.role().name())
    .field("ballot", ballot)
    .field("promised", s.promised())
    .field(
        "leader",
        s.leader().map_or("-".to_string(), |l| l.to_string()),
    )
    .field("decided_up_to", s.contiguous())
    .field("applied", s.applied())
    .field("snapshot_slot", s.snapshot_slot())
    .field("keys", s.kv().data().len());
    if let Role::Candidate { promises, .. } = s.role() {
        view = view.field(
            "promises",
            format!("{} of {} needed", promises.len(), s.quorums().q1),
        );
    }
    let slots: BTreeSet<u64> = s
        .accepted()
        .keys()
        .chain(s.decided().keys())
        .copied()
        .collect();
    let shown: Vec<u64> = slots.iter().rev().take(LOG_ROWS).rev().copied().collect();
    let mut rows = Vec::with_capacity(shown.len() + 1);
    let mut groups = Vec::with_capacity(shown.len() + 1);
    if s.snapshot_slot() > 0 {
        rows.push(vec![
            format!("..{}", s.snapshot_slot()),
            "-".into(),
            "snapshot".into(),
            "applied".into(),
        ]);
        groups.push(0);
    }
    for slot in shown {
        let accepted = s.accepted().get(&slot);
        let decided = s.decided().get(&slot);
        let command = decided.or(accepted.map(|(_, c)| c));
        let status = if slot <= s.applied() && decided.is_some() {
            "applied"
        } else if decided.is_some() {
            "decided"
        } else {
            "accepted"
        };
        rows.push(vec![
            slot.to_string(),
            accepted.map_or("-".to_string(), |(b, _)| b.to_string()),
            command.map_or("-".to_string(), |c| c.to_string()),
            status.to_string(),
        ]);
        groups.push(accepted.map_or(0, |(b, _)| b.round));
    }
    view = view.section(ViewSection::Table {
        title: "log".into(),
        columns: vec![
            "slot".into(),
            "accepted ballot".into(),
            "command".into(),
            "status".into(),
        ],
        rows,
        groups,
    });
    if let Role::Leader { .. } = s.role() {
        let q2 = s.quorums().q2;
        let rows = s
            .proposals()
            .iter()
            .map(|(slot, p)| {
                vec![
                    slot.to_string(),
                    p.command.to_string(),
                    format!("{} of {q2}", p.acks.len()),
                ]
            })
            .collect();
        view = view.section(ViewSection::Table {
            title: "proposals".into(),
            columns: vec!["slot".into(), "command".into(), "accepted by".into()],
            rows,
            groups: Vec::new(),
        });
    }
    view
}
