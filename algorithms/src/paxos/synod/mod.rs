//! # Single-decree Paxos (the Synod protocol)
//!
//! Registry name `paxos`. A cluster must agree on one value although
//! proposers compete, messages are lost and servers crash. Lamport's
//! protocol ("Paxos Made Simple", 2001) splits the work into three roles;
//! here every server is an **acceptor** and a **learner**, and the servers
//! listed in `proposers` (all, by default) are **proposers** too.
//!
//! **Phase 1 (§2.2, prepare and promise).** A proposer with a client's value
//! picks a ballot higher than any it has seen, unique to it because it
//! carries its id ([`ballot`](crate::paxos::ballot)), and sends
//! `Prepare(b)` to the acceptors. An acceptor that has promised nothing
//! higher promises `b`, that is, never to accept a lower ballot, and
//! answers with the highest-ballot proposal it has accepted, if any.
//! Otherwise it refuses with a `Nack` that carries its promise, so the
//! proposer can jump ahead.
//!
//! **Phase 2 (§2.2, accept and accepted).** With promises from a phase-1
//! quorum, the proposer must propose the value of the highest-ballot
//! proposal among them (rule P2c), or its own when none carries one. An
//! acceptor accepts `(b, v)` unless it has promised a higher ballot, and
//! tells every learner.
//!
//! **Learning (§2.3).** A learner that hears `accepted` for one ballot from
//! a phase-2 quorum knows its value is chosen. Proposers answer their
//! waiting clients then; clients keep asking (at another proposer, after
//! a timeout) until they hear the decision.
//!
//! **Why it is safe.** Any two quorums meet (majorities, or flexible
//! quorums with `q1 + q2 > n`: [`quorum`](crate::paxos::quorum)), so a
//! proposer's phase-1 quorum contains an acceptor of any quorum that chose
//! a value, and P2c makes it propose that value again. **Why it may not
//! finish.** Two proposers can preempt each other forever (§2.4); a random
//! backoff before each retry (`backoff`, drawn from the node's stream)
//! makes one of them win in practice.
//!
//! **Persistence.** An acceptor writes its promise and accepted proposal to
//! durable state before answering, a proposer its highest round, a learner
//! its decision: a restart recovers them ([`PaxosDurable`]).
//!
//! Clients use the `consensus` operation family: `propose(v)` returns the
//! decided value, checked by the checker's consensus model. The invariants
//! ([`invariants`]) judge the acceptors' state directly; the bug variants
//! ([`PaxosBug`]) plant seven classic mistakes, each with a scenario in
//! `scenarios/paxos/`. `docs/lessons/paxos.md` is the lesson.

pub mod invariants;
pub mod msg;
pub mod node;
pub mod observe;
pub mod params;
pub mod view;

use crate::algorithm::{Algorithm, ParamError};
use crate::family::ConsensusFamily;
use crate::family::consensus::ConsensusInput;
use crate::paxos::ballot::Ballot;
use crate::paxos::quorum::Quorums;
use faultline_sim::{Ctx, Invariant, NodeId, NodeKind, NodeView, OpId, Process, WorldConfig};
pub use msg::{SynodMsg, SynodTimer};
use node::{Client, Server};
pub use params::{PaxosBug, PaxosParams};
use std::sync::Arc;

/// What survives a crash: the acceptor's promise and accepted proposal, the
/// proposer's highest round, the learner's decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PaxosDurable {
    /// The highest ballot promised.
    pub promised: Ballot,
    /// The proposal accepted last.
    pub accepted: Option<msg::Accepted>,
    /// The highest round this proposer used.
    pub round: u64,
    /// The decided value, once learned.
    pub decided: Option<String>,
    /// Times this node has started.
    pub boots: u64,
}

/// A Paxos node: a server or a client.
#[derive(Clone, Debug, Hash)]
pub enum PaxosNode {
    /// A server (acceptor, learner, maybe proposer).
    Server(Box<Server>),
    /// A client.
    Client(Client),
}

impl PaxosNode {
    /// The server state, if this is a server.
    pub fn as_server(&self) -> Option<&Server> {
        match self {
            PaxosNode::Server(s) => Some(s),
            PaxosNode::Client(_) => None,
        }
    }
}

impl Process for PaxosNode {
    type Msg = SynodMsg;
    type Timer = SynodTimer;
    type Durable = PaxosDurable;
    type Family = ConsensusFamily;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let PaxosNode::Server(s) = self {
            s.start(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: SynodMsg) {
        match self {
            PaxosNode::Server(s) => s.on_message(ctx, from, msg),
            PaxosNode::Client(c) => c.on_message(ctx, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: SynodTimer) {
        match self {
            PaxosNode::Server(s) => s.on_timer(ctx, timer),
            PaxosNode::Client(c) => c.on_timer(ctx, timer),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, op: OpId, input: ConsensusInput) {
        match self {
            PaxosNode::Client(c) => c.on_request(ctx, op, input),
            PaxosNode::Server(_) => ctx.complete(op, faultline_sim::Outcome::Fail),
        }
    }

    fn view(&self) -> NodeView {
        match self {
            PaxosNode::Server(s) => view::server_view(s),
            PaxosNode::Client(c) => view::client_view(c),
        }
    }
    const OBSERVABLES: &'static [faultline_sim::Observable] = observe::OBSERVABLES;
    const REPORTS: &'static [faultline_sim::ReportDoc] = observe::REPORTS;

    fn observe(&self, index: usize) -> Option<u64> {
        match self {
            PaxosNode::Server(s) => observe::observe(s, index),
            PaxosNode::Client(_) => None,
        }
    }
}

/// What every node shares: the parameters, the quorums, the server count.
#[derive(Clone, Debug)]
pub struct PaxosShared {
    /// The parameters.
    pub params: Arc<PaxosParams>,
    /// Quorum sizes.
    pub quorums: Quorums,
    /// Number of servers.
    pub servers: u32,
}

/// The registry entry.
pub struct Paxos;

impl Algorithm for Paxos {
    const NAME: &'static str = "paxos";
    const SUMMARY: &'static str = "Single-decree Paxos (the Synod protocol): proposers, acceptors and learners agree on one value; clients propose and learn it.";
    type Node = PaxosNode;
    type Params = PaxosParams;
    type Bug = PaxosBug;
    type Shared = PaxosShared;

    fn prepare(
        params: PaxosParams,
        _doc: &str,
        config: &WorldConfig,
    ) -> Result<PaxosShared, ParamError> {
        Ok(PaxosShared {
            quorums: params.quorums(config.servers),
            params: Arc::new(params),
            servers: config.servers,
        })
    }

    fn invariants(shared: &PaxosShared) -> Vec<Box<dyn Invariant<PaxosNode>>> {
        invariants::boxed(shared.quorums.q2)
    }

    fn node(shared: &PaxosShared, id: NodeId, kind: NodeKind, durable: &PaxosDurable) -> PaxosNode {
        match kind {
            NodeKind::Server => PaxosNode::Server(Box::new(Server::recover(
                shared.params.clone(),
                shared.quorums,
                id,
                durable,
            ))),
            NodeKind::Client => {
                PaxosNode::Client(Client::new(shared.params.clone(), id, shared.servers))
            }
        }
    }
}

#[cfg(test)]
mod tests;
