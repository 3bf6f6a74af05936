//! The client: writes go to the primary (learned from redirects), reads to
//! a random read replica or to the primary (`reads`), or every attempt to
//! the pinned server ([`Ctx::pin`]), which answers or redirects (then the
//! client backs off and asks it again). With `sessions = true` the client
//! carries a session token, the log position of its last write or read
//! (Terry et al. 1994's session guarantees, with the write's log position
//! as the version vector: Kleppmann, DDIA ch. 5, "Reading Your Own
//! Writes"): a server that has not applied it sends the read to the
//! primary. It keeps the shared client's discipline
//! ([`crate::kvclient`]): a durable sequence number per operation, retries
//! with the same number, an unknown outcome after `client_give_up`; a read
//! whose session the primary no longer holds fails.

use super::AsyncNode;
use super::msg::{AsyncMsg, AsyncTimer, Pos, Reply};
use super::params::ReadFrom;
use super::server::FIRST_PRIMARY;
use crate::family::kv::KvInput;
use crate::kvclient::{ClientTimeouts, PendingOp};
use faultline_sim::{Ctx, NodeId, NodeView, OpId, Outcome};

type CCtx<'a> = Ctx<'a, AsyncNode>;

/// A client's state.
#[derive(Clone, Debug, Hash)]
pub struct AsyncClient {
    timeouts: ClientTimeouts,
    reads: ReadFrom,
    sessions: bool,
    servers: u32,
    /// The server it believes is the primary.
    pub primary_guess: NodeId,
    /// Its session token: the last position it wrote or read.
    pub token: Pos,
    /// The open operation.
    pub pending: Option<PendingOp>,
    /// Whether the open read was sent on to the primary.
    to_primary: bool,
    /// Operations completed ok.
    pub completed: u64,
    /// Reads failed because the session was lost.
    pub sessions_lost: u64,
    /// Operations given up on.
    pub unknown: u64,
}

impl AsyncClient {
    /// A client that knows the first primary.
    pub fn new(timeouts: ClientTimeouts, reads: ReadFrom, sessions: bool, servers: u32) -> Self {
        AsyncClient {
            timeouts,
            reads,
            sessions,
            servers,
            primary_guess: FIRST_PRIMARY,
            token: Pos::default(),
            pending: None,
            to_primary: false,
            completed: 0,
            sessions_lost: 0,
            unknown: 0,
        }
    }

    /// What the lab shows of a client.
    pub fn view(&self) -> NodeView {
        let pending = self.pending.as_ref().map_or("-".to_string(), |p| {
            let pinned = p.pin.map_or(String::new(), |n| format!(" pinned to {n}"));
            format!("#{} {:?} (try {}){pinned}", p.seq, p.input, p.attempt)
        });
        NodeView::new(
            "client",
            format!("{} ok · {} unknown", self.completed, self.unknown),
        )
        .field("primary_guess", self.primary_guess)
        .field(
            "session_token",
            if self.sessions {
                self.token.to_string()
            } else {
                "off".to_string()
            },
        )
        .field("pending", pending)
        .field("completed", self.completed)
        .field("sessions_lost", self.sessions_lost)
        .field("unknown", self.unknown)
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
        self.to_primary = false;
        self.attempt(ctx);
    }

    fn target(&self, ctx: &mut CCtx<'_>, input: &KvInput) -> NodeId {
        let is_read = matches!(input, KvInput::Get { .. });
        if !is_read || self.to_primary || self.reads == ReadFrom::Primary {
            return self.primary_guess;
        }
        // A data server other than the primary it knows (n1.. are data
        // servers); with a single data server besides, that one.
        let data = u64::from(self.servers - 1);
        let others: Vec<NodeId> = (1..=data)
            .map(|n| NodeId(n as u32))
            .filter(|&n| n != self.primary_guess)
            .collect();
        if others.is_empty() {
            return self.primary_guess;
        }
        others[ctx.rng().below(others.len() as u64) as usize]
    }

    fn attempt(&mut self, ctx: &mut CCtx<'_>) {
        let Some((input, pin)) = self.pending.as_ref().map(|p| (p.input.clone(), p.pin)) else {
            return;
        };
        let to = match pin {
            Some(server) => server,
            None => self.target(ctx, &input),
        };
        let token = self.sessions.then_some(self.token);
        // A pinned read is served where it is pinned, like a replica read.
        let replica_read = matches!(input, KvInput::Get { .. })
            && (pin.is_some() || (self.reads == ReadFrom::Replica && !self.to_primary));
        let p = self.pending.as_mut().expect("checked");
        p.attempt += 1;
        let (seq, attempt) = (p.seq, p.attempt);
        ctx.send(
            to,
            AsyncMsg::Request {
                seq,
                input,
                token,
                replica_read,
            },
        );
        ctx.set_timer(
            self.timeouts.timeout,
            AsyncTimer::ClientRetry { seq, attempt },
        );
    }

    fn back_off(&mut self, ctx: &mut CCtx<'_>) {
        let p = self.pending.as_mut().expect("checked");
        p.attempt += 1;
        let (seq, attempt) = (p.seq, p.attempt);
        ctx.set_timer(
            self.timeouts.backoff,
            AsyncTimer::ClientRetry { seq, attempt },
        );
    }

    fn next_primary_guess(&mut self) {
        let data = self.servers - 1;
        self.primary_guess = NodeId(self.primary_guess.0 % data + 1);
    }

    /// Handles a message from a server.
    pub fn on_message(&mut self, ctx: &mut CCtx<'_>, msg: AsyncMsg) {
        let AsyncMsg::Response { seq, reply } = msg else {
            return;
        };
        let Some(p) = self.pending.as_ref() else {
            return;
        };
        if p.seq != seq {
            return;
        }
        let pinned = p.pin.is_some();
        match reply {
            Reply::Ok { output, pos } => {
                let op = p.op;
                self.pending = None;
                self.completed += 1;
                self.token = pos;
                ctx.complete(op, Outcome::Ok(output));
            }
            Reply::SessionLost { pos } => {
                let op = p.op;
                self.pending = None;
                self.sessions_lost += 1;
                self.token = pos;
                ctx.complete(op, Outcome::Fail);
            }
            Reply::NotPrimary { primary } | Reply::Behind { primary } => {
                let is_read = matches!(p.input, KvInput::Get { .. });
                match primary {
                    Some(l)
                        if !pinned
                            && (l != self.primary_guess || (is_read && !self.to_primary)) =>
                    {
                        self.primary_guess = l;
                        self.to_primary = is_read;
                        self.attempt(ctx);
                    }
                    // Nothing new (or pinned): pause, then try again.
                    _ => self.back_off(ctx),
                }
            }
        }
    }

    /// Handles a timer.
    pub fn on_timer(&mut self, ctx: &mut CCtx<'_>, timer: AsyncTimer) {
        let AsyncTimer::ClientRetry { seq, attempt } = timer else {
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
        let is_read = matches!(p.input, KvInput::Get { .. });
        let at_primary = !is_read || self.to_primary || self.reads == ReadFrom::Primary;
        if p.pin.is_none() && at_primary {
            // No answer, or a pause after a redirect that said nothing
            // new: try the next server as the primary.
            self.next_primary_guess();
        }
        self.attempt(ctx);
    }
}
