//! The process type of the sharded store: a storage node or a client.

use super::client::Client;
use super::msg::{KvDurable, KvMsg, KvTimer};
use super::params::Shared;
use super::server::Server;
use crate::family::kv::KvInput;
use faultline_sim::{Ctx, NodeId, NodeView, OpId, Outcome, Process, ViewSection};
use std::sync::Arc;

/// A node of the sharded store.
#[derive(Clone, Debug, Hash)]
pub enum KvNode {
    /// A storage node.
    Server(Server),
    /// A client.
    Client(Client),
}

impl KvNode {
    /// A storage node from its durable state.
    pub fn server(shared: Arc<Shared>, id: NodeId, durable: &KvDurable) -> KvNode {
        KvNode::Server(Server::new(shared, id, durable))
    }

    /// A client.
    pub fn client(shared: Arc<Shared>) -> KvNode {
        KvNode::Client(Client::new(shared))
    }

    /// The server state, if this is a server.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            KvNode::Server(s) => Some(s),
            KvNode::Client(_) => None,
        }
    }

    /// The client state, if this is a client.
    pub fn as_client(&self) -> Option<&Client> {
        match self {
            KvNode::Client(c) => Some(c),
            KvNode::Server(_) => None,
        }
    }
}

impl Process for KvNode {
    type Msg = KvMsg;
    type Timer = KvTimer;
    type Durable = KvDurable;
    type Family = crate::family::KvFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let KvNode::Server(s) = self {
            s.start(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: KvMsg) {
        match self {
            KvNode::Server(s) => s.on_message(ctx, from, msg),
            KvNode::Client(c) => c.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: KvTimer) {
        match self {
            KvNode::Server(s) => s.on_timer(ctx, timer),
            KvNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: KvInput) {
        match self {
            KvNode::Client(c) => c.request(ctx, op, input),
            KvNode::Server(_) => ctx.complete(op, Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            KvNode::Server(s) => server_view(s),
            KvNode::Client(c) => {
                NodeView::new("client", format!("v{} · {} ok", c.version, c.completed))
                    .field("ring version", c.version)
                    .field("completed", c.completed)
                    .field("acked writes", c.acked.len())
            }
        }
    }
}

/// Role, ring positions and key count for the GUI's ring drawing.
fn server_view(s: &Server) -> NodeView {
    let role = match (s.is_member(), s.settled) {
        (false, _) if s.store.is_empty() => "standby",
        (false, _) => "leaving",
        (true, false) => "migrating",
        (true, true) => "member",
    };
    let shared = s.shared();
    let positions = shared.topology.placer(s.version).positions_of(s.id());
    let rows: Vec<Vec<String>> = s
        .store
        .iter()
        .take(32)
        .map(|(k, e)| vec![k.clone(), e.value.clone(), e.stamp.to_string()])
        .collect();
    let groups = s
        .store
        .values()
        .take(32)
        .map(|e| e.stamp.node as u64)
        .collect();
    NodeView::new(role, format!("v{} · {} keys", s.version, s.store.len()))
        .field("version", s.version)
        .field("target version", s.target)
        .field("settled", s.settled)
        .field("keys", s.store.len())
        .field("served", s.served)
        .field("keys received", s.keys_received)
        .field("placement", shared.params.placement.name())
        .section(ViewSection::Ring {
            title: format!(
                "{} positions at version {}",
                shared.params.placement.name(),
                s.version
            ),
            positions,
        })
        .section(ViewSection::Table {
            title: "keys".into(),
            columns: vec!["key".into(), "value".into(), "stamp".into()],
            rows,
            groups,
        })
}
