//! The client of chain replication. It learns the chain from the master
//! and from the servers' redirects, sends writes to the head and reads to
//! the tail (with CRAQ, to any server of the chain), and keeps the shared
//! client's discipline ([`crate::kvclient`]): one durable sequence number
//! per operation, retries with the same number after `client_timeout`,
//! and an unknown outcome after `client_give_up`. It never reports `Fail`:
//! a write that timed out may be in the chain and commit later. A client
//! of a pinned group ([`Ctx::pin`]) sends every attempt to its server, which
//! answers or redirects (then the client backs off and asks it again): with
//! `reads = "craq"`, readers pinned to a middle server read there.

use super::ChainNode;
use super::msg::{ChainMsg, ChainTimer, Config, Reply};
use super::params::ReadMode;
use crate::family::kv::KvInput;
use crate::kvclient::{ClientTimeouts, PendingOp};
use faultline_sim::{Ctx, NodeId, NodeView, OpId, Outcome};

type CCtx<'a> = Ctx<'a, ChainNode>;

/// A client's state.
#[derive(Clone, Debug, Hash)]
pub struct ChainClient {
    timeouts: ClientTimeouts,
    reads: ReadMode,
    /// The newest configuration it knows: version and chain.
    pub version: u64,
    /// The chain, head first.
    pub chain: Vec<NodeId>,
    /// The open operation.
    pub pending: Option<PendingOp>,
    /// Operations completed ok.
    pub completed: u64,
    /// Operations given up on.
    pub unknown: u64,
}

impl ChainClient {
    /// A client that knows the initial chain.
    pub fn new(timeouts: ClientTimeouts, reads: ReadMode, servers: u32) -> Self {
        let initial = Config::initial(servers);
        ChainClient {
            timeouts,
            reads,
            version: initial.version,
            chain: initial.nodes(),
            pending: None,
            completed: 0,
            unknown: 0,
        }
    }

    /// What the lab shows of a client.
    pub fn view(&self) -> NodeView {
        let pending = self.pending.as_ref().map_or("-".to_string(), |p| {
            format!("#{} {:?} (try {})", p.seq, p.input, p.attempt)
        });
        let chain: Vec<String> = self.chain.iter().map(|n| n.to_string()).collect();
        NodeView::new(
            "client",
            format!("{} ok · {} unknown", self.completed, self.unknown),
        )
        .field(
            "chain",
            format!("v{} [{}]", self.version, chain.join(" -> ")),
        )
        .field("pending", pending)
        .field("completed", self.completed)
        .field("unknown", self.unknown)
    }

    fn learn(&mut self, version: u64, chain: Vec<NodeId>) -> bool {
        if version > self.version {
            self.version = version;
            self.chain = chain;
            true
        } else {
            false
        }
    }

    /// Starts operation `op`.
    pub fn on_request(&mut self, ctx: &mut CCtx<'_>, op: OpId, input: KvInput) {
        // Durable, so that a restarted client never reuses a number.
        let seq = ctx.durable().client_seq + 1;
        ctx.durable_mut().client_seq = seq;
        self.pending = Some(PendingOp {
            op,
            seq,
            input,
            started: ctx.now(),
            attempt: 0,
            pin: ctx.pin(),
        });
        self.attempt(ctx);
    }

    fn target(&self, ctx: &mut CCtx<'_>, input: &KvInput) -> NodeId {
        let (Some(&head), Some(&tail)) = (self.chain.first(), self.chain.last()) else {
            return super::MASTER;
        };
        match (input, self.reads) {
            (KvInput::Get { .. }, ReadMode::Tail) => tail,
            (KvInput::Get { .. }, ReadMode::Craq) => {
                let i = ctx.rng().below(self.chain.len() as u64) as usize;
                self.chain[i]
            }
            _ => head,
        }
    }

    fn attempt(&mut self, ctx: &mut CCtx<'_>) {
        let Some((input, pin)) = self.pending.as_ref().map(|p| (p.input.clone(), p.pin)) else {
            return;
        };
        let to = match pin {
            Some(server) => server,
            None => self.target(ctx, &input),
        };
        let p = self.pending.as_mut().expect("checked");
        p.attempt += 1;
        let (seq, attempt) = (p.seq, p.attempt);
        ctx.send(to, ChainMsg::ClientRequest { seq, input });
        ctx.set_timer(
            self.timeouts.timeout,
            ChainTimer::ClientRetry { seq, attempt },
        );
    }

    /// Handles a message from a server.
    pub fn on_message(&mut self, ctx: &mut CCtx<'_>, msg: ChainMsg) {
        match msg {
            ChainMsg::ConfigInfo { version, chain } => {
                self.learn(version, chain);
            }
            ChainMsg::ClientReply { seq, reply } => {
                let Some(p) = self.pending.as_mut() else {
                    return;
                };
                if p.seq != seq {
                    return;
                }
                match reply {
                    Reply::Ok(output) => {
                        let op = p.op;
                        self.pending = None;
                        self.completed += 1;
                        ctx.complete(op, Outcome::Ok(output));
                    }
                    Reply::Retry { version, chain } => {
                        if self.learn(version, chain) {
                            self.attempt(ctx);
                        } else {
                            // Nothing new: ask the master, pause, retry.
                            let p = self.pending.as_mut().expect("checked");
                            p.attempt += 1;
                            let attempt = p.attempt;
                            ctx.send(super::MASTER, ChainMsg::ConfigQuery);
                            ctx.set_timer(
                                self.timeouts.backoff,
                                ChainTimer::ClientRetry { seq, attempt },
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut CCtx<'_>, timer: ChainTimer) {
        let ChainTimer::ClientRetry { seq, attempt } = timer else {
            return;
        };
        let Some(p) = self.pending.as_ref() else {
            return;
        };
        if p.seq != seq || p.attempt != attempt {
            return;
        }
        if ctx.now().saturating_since(p.started) >= self.timeouts.give_up {
            let op = p.op;
            self.pending = None;
            self.unknown += 1;
            ctx.complete(op, Outcome::Unknown);
            return;
        }
        ctx.send(super::MASTER, ChainMsg::ConfigQuery);
        self.attempt(ctx);
    }
}
