//! What the lab and traces show of a single-decree Paxos node: its roles,
//! the acceptor's promise and accepted proposal, the learner's decision,
//! and a proposer's ballot and phase, with a one-row acceptor table (the
//! single slot) in the same shape as Multi-Paxos's log table.

use super::node::{Client, Phase, Server};
use faultline_sim::{NodeView, ViewSection};

/// A server's view. Its role colours it: `proposer` while it runs a
/// ballot, `decided` once it learned, `acceptor` otherwise.
pub fn server_view(s: &Server) -> NodeView {
    let role = if s.decided().is_some() {
        "decided"
    } else if s.phase().ballot().is_some() {
        "proposer"
    } else {
        "acceptor"
    };
    let roles = if s.is_proposer() {
        "proposer, acceptor, learner"
    } else {
        "acceptor, learner"
    };
    let accepted = s
        .accepted()
        .map_or("-".to_string(), |(b, v)| format!("{v:?} in {b}"));
    let summary = match s.decided() {
        Some(v) => format!("decided {v}"),
        None => format!("promised {}", s.promised()),
    };
    let mut view = NodeView::new(role, summary)
        .field("roles", roles)
        .field("promised", s.promised())
        .field("accepted", accepted)
        .field("decided", s.decided().unwrap_or("-"));
    if s.is_proposer() {
        view = view
            .field("phase", s.phase().name())
            .field(
                "ballot",
                s.phase()
                    .ballot()
                    .map_or("-".to_string(), |b| b.to_string()),
            )
            .field("waiting_clients", s.waiting());
        if let Phase::Preparing { promises, .. } = s.phase() {
            view = view.field(
                "promises",
                format!("{} of {} needed", promises.len(), s.quorums().q1),
            );
        }
    }
    let (ballot, value) = match s.accepted() {
        Some((b, v)) => (b.to_string(), v.clone()),
        None => ("-".to_string(), "-".to_string()),
    };
    let status = if s.decided().is_some() {
        "chosen (learned)"
    } else if s.accepted().is_some() {
        "accepted"
    } else {
        "empty"
    };
    view.section(ViewSection::Table {
        title: "acceptor".into(),
        columns: vec![
            "slot".into(),
            "accepted ballot".into(),
            "value".into(),
            "status".into(),
        ],
        rows: vec![vec!["0".into(), ballot, value, status.into()]],
        groups: vec![s.accepted().map_or(0, |(b, _)| b.round)],
    })
}

/// A client's view.
pub fn client_view(c: &Client) -> NodeView {
    let summary = match (&c.pending, &c.learned) {
        (Some(p), _) => format!("proposing {} at {}", p.value, c.server),
        (None, Some(v)) => format!("learned {v}"),
        (None, None) => "idle".to_string(),
    };
    NodeView::new("client", summary)
        .field("server", c.server)
        .field(
            "proposing",
            c.pending
                .as_ref()
                .map_or("-".to_string(), |p| p.value.clone()),
        )
        .field("learned", c.learned.as_deref().unwrap_or("-"))
}
