//! The master (server n0): it detects failed servers and reconfigures the
//! chain (van Renesse & Schneider §3). The paper replicates the master
//! with Paxos; here it is one server with its configuration on disk, and
//! while it is down nothing is reconfigured and leases run out.
//!
//! - **Failure detection.** Every server pings the master each
//!   `heartbeat_interval`; a member silent for `failure_timeout` (the
//!   master's clock) is suspected, and so is one that pings from a new
//!   life (it restarted and lost its Sent list).
//! - **Fencing.** The master answers each ping from a member of its
//!   current configuration with a lease, and stops answering a suspect.
//!   It replaces suspects only once every lease it gave them has run out,
//!   measured with the drift bound (`ChainParams::lease_guard`), so the
//!   old head or tail is silent before a new one serves. A master that
//!   restarts waits one guard before its first change.
//! - **Removal.** The new chain is the old one without the suspects, in
//!   order: a new head is the old head's successor, a new tail the old
//!   tail's predecessor, and a server whose successor failed has a new
//!   one. If no member that holds the state would remain, the master keeps
//!   the last one (the closest to the tail): it holds every committed
//!   update, on disk if it crashed, and the chain waits for it.
//! - **Joining.** A server outside the chain (new, restarted, or removed
//!   while alive) pings to join; when no member is suspected and no
//!   earlier joiner is still waiting for its state, the master adds it at
//!   the tail. The old tail sends it its state.

use super::ChainNode;
use super::msg::{ChainMsg, ChainTimer, Config, Member};
use super::observe::CHAIN_RECONFIGURED;
use super::params::ChainParams;
use crate::fixed::Fixed;
use faultline_sim::{Ctx, LocalTime, NodeId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

type CCtx<'a> = Ctx<'a, ChainNode>;

/// The master.
#[derive(Clone, Debug, Hash)]
pub struct Master {
    params: Fixed<ChainParams>,
    config: Arc<Config>,
    /// When each member last pinged (monotonic clock).
    last_heard: BTreeMap<NodeId, LocalTime>,
    /// Until when each server may still believe it holds a lease.
    granted_until: BTreeMap<NodeId, LocalTime>,
    suspected: BTreeSet<NodeId>,
    /// Whether the joining server (if any) reported its state installed.
    joiner_ready: bool,
    /// No change before this (after a restart, leases given before the
    /// crash may still run).
    fence_until: LocalTime,
    /// Servers asking to join: their life and when they last asked.
    want_join: BTreeMap<NodeId, (u64, LocalTime)>,
}

impl Master {
    /// The master, from its durable configuration.
    pub fn recover(params: Arc<ChainParams>, servers: u32, d: &super::ChainDurable) -> Self {
        let config = d
            .config
            .clone()
            .unwrap_or_else(|| Arc::new(Config::initial(servers)));
        Master {
            params: params.into(),
            joiner_ready: config.joining.is_none(),
            config,
            last_heard: BTreeMap::new(),
            granted_until: BTreeMap::new(),
            suspected: BTreeSet::new(),
            fence_until: LocalTime(i64::MIN),
            want_join: BTreeMap::new(),
        }
    }

    /// The current configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// Members suspected of having failed.
    pub fn suspected(&self) -> &BTreeSet<NodeId> {
        &self.suspected
    }
    /// Servers asking to join.
    pub fn want_join(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.want_join.keys().copied()
    }

    pub(super) fn start(&mut self, ctx: &mut CCtx<'_>) {
        let now = ctx.monotonic_now();
        let first_boot = ctx.durable().config.is_none();
        ctx.durable_mut().boots += 1;
        if first_boot {
            ctx.durable_mut().config = Some(self.config.clone());
        } else {
            // Leases given before the crash may still run.
            self.fence_until = now + self.params.lease_guard();
            let config = self.config.clone();
            for peer in ctx.peers() {
                ctx.send(
                    peer,
                    ChainMsg::NewConfig {
                        config: config.clone(),
                    },
                );
            }
        }
        for m in &self.config.chain {
            self.last_heard.insert(m.node, now);
        }
        ctx.set_timer(self.params.heartbeat_interval, ChainTimer::MasterTick);
    }

    pub(super) fn on_timer(&mut self, ctx: &mut CCtx<'_>, timer: ChainTimer) {
        if timer != ChainTimer::MasterTick {
            return;
        }
        let now = ctx.monotonic_now();
        for m in &self.config.chain {
            let heard = self.last_heard.get(&m.node).copied().unwrap_or(now);
            if now.saturating_since(heard) > self.params.failure_timeout
                && self.suspected.insert(m.node)
            {
                ctx.note_with(|| format!("suspects {}", m.node));
            }
        }
        if !self.suspected.is_empty() {
            self.try_remove(ctx, now);
        } else if self.joiner_ready {
            self.try_add(ctx, now);
        }
        ctx.set_timer(self.params.heartbeat_interval, ChainTimer::MasterTick);
    }

    /// Whether `m` holds the state its membership needs, as far as the
    /// master knows.
    fn holds_state(&self, m: &Member) -> bool {
        self.config.joining != Some(m.node) || self.joiner_ready
    }

    fn try_remove(&mut self, ctx: &mut CCtx<'_>, now: LocalTime) {
        if now < self.fence_until {
            return;
        }
        let fenced = self
            .suspected
            .iter()
            .all(|n| self.granted_until.get(n).is_none_or(|&until| until <= now));
        if !fenced {
            return;
        }
        let mut chain: Vec<Member> = self
            .config
            .chain
            .iter()
            .filter(|m| !self.suspected.contains(&m.node))
            .copied()
            .collect();
        if !chain.iter().any(|m| self.holds_state(m)) {
            // Keep the member closest to the tail that holds the state.
            let Some(last) = self
                .config
                .chain
                .iter()
                .rev()
                .find(|m| self.holds_state(m))
                .copied()
            else {
                return;
            };
            chain = vec![last];
        }
        if chain == self.config.chain {
            return;
        }
        let joining = self
            .config
            .joining
            .filter(|j| chain.iter().any(|m| m.node == *j));
        self.publish(ctx, chain, joining);
    }

    fn try_add(&mut self, ctx: &mut CCtx<'_>, now: LocalTime) {
        let recent = self.params.failure_timeout;
        let candidate = self
            .want_join
            .iter()
            .find(|(n, (_, asked))| {
                now.saturating_since(*asked) <= recent && self.config.position(**n).is_none()
            })
            .map(|(n, (boots, _))| (*n, *boots));
        let Some((node, boots)) = candidate else {
            return;
        };
        self.want_join.remove(&node);
        let mut chain = self.config.chain.clone();
        chain.push(Member { node, boots });
        self.last_heard.insert(node, now);
        self.publish(ctx, chain, Some(node));
    }

    fn publish(&mut self, ctx: &mut CCtx<'_>, chain: Vec<Member>, joining: Option<NodeId>) {
        let version = self.config.version + 1;
        let same_joiner = joining.is_some() && joining == self.config.joining;
        let joining_since = match joining {
            Some(_) if same_joiner => self.config.joining_since,
            Some(_) => version,
            None => 0,
        };
        let config = Arc::new(Config {
            version,
            chain,
            joining,
            joining_since,
        });
        ctx.note_with(|| format!("reconfigures: {}", config.describe()));
        // A joiner that stays keeps what the master knows of it.
        self.joiner_ready = joining.is_none() || (same_joiner && self.joiner_ready);
        self.suspected.retain(|n| config.position(*n).is_some());
        ctx.durable_mut().config = Some(config.clone());
        self.config = config.clone();
        ctx.report(CHAIN_RECONFIGURED);
        for peer in ctx.peers() {
            ctx.send(
                peer,
                ChainMsg::NewConfig {
                    config: config.clone(),
                },
            );
        }
    }

    pub(super) fn on_message(&mut self, ctx: &mut CCtx<'_>, from: NodeId, msg: ChainMsg) {
        match msg {
            ChainMsg::Ping {
                version,
                boots,
                ready,
                sent_at,
            } => self.on_ping(ctx, from, version, boots, ready, sent_at),
            ChainMsg::ConfigQuery => {
                ctx.send(
                    from,
                    ChainMsg::ConfigInfo {
                        version: self.config.version,
                        chain: self.config.nodes(),
                    },
                );
            }
            ChainMsg::ClientRequest { seq, .. } => {
                ctx.send(
                    from,
                    ChainMsg::ClientReply {
                        seq,
                        reply: super::msg::Reply::Retry {
                            version: self.config.version,
                            chain: self.config.nodes(),
                        },
                    },
                );
            }
            _ => {}
        }
    }

    fn on_ping(
        &mut self,
        ctx: &mut CCtx<'_>,
        from: NodeId,
        version: u64,
        boots: u64,
        ready: bool,
        sent_at: i64,
    ) {
        let now = ctx.monotonic_now();
        let member = self.config.chain.iter().find(|m| m.node == from).copied();
        match member {
            Some(m) if m.boots == boots => {
                self.last_heard.insert(from, now);
                if self.suspected.remove(&from) {
                    ctx.note_with(|| format!("hears from {from} again"));
                }
                if version < self.config.version {
                    let config = self.config.clone();
                    ctx.send(from, ChainMsg::NewConfig { config });
                    return;
                }
                if self.config.joining == Some(from) && ready {
                    self.joiner_ready = true;
                }
                self.granted_until
                    .insert(from, now + self.params.lease_guard());
                ctx.send(
                    from,
                    ChainMsg::Lease {
                        version,
                        boots,
                        sent_at,
                    },
                );
            }
            Some(m) if boots > m.boots => {
                // The member restarted: its old life is over.
                let others = self
                    .config
                    .chain
                    .iter()
                    .any(|o| o.node != from && self.holds_state(o));
                if others {
                    if self.suspected.insert(from) {
                        ctx.note_with(|| format!("{from} restarted: removes it"));
                    }
                } else if self.holds_state(&m) {
                    // The only member with the state: it recovers from
                    // its disk and the chain restarts with it alone.
                    self.publish(ctx, vec![Member { node: from, boots }], None);
                }
            }
            Some(_) => {}
            None => {
                if version < self.config.version {
                    let config = self.config.clone();
                    ctx.send(from, ChainMsg::NewConfig { config });
                }
                self.want_join.insert(from, (boots, now));
            }
        }
    }
}
