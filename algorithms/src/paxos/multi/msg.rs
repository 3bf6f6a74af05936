//! Messages and timers of Multi-Paxos.

use crate::family::kv::KvInput;
use crate::kvclient::ClientReply;
use crate::kvstore::{Command, KvStore};
use std::sync::Arc;

/// A command, shared between the log, the messages and durable state.
pub type Cmd = Arc<Command>;
use crate::paxos::ballot::Ballot;
use serde::Serialize;

/// A log position (1-based; 0 means "before the first slot").
pub type Slot = u64;

/// The applied state up to a slot, replacing the log before it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MultiSnapshot {
    /// The last slot it includes.
    pub slot: Slot,
    /// The state machine after that slot.
    pub state: KvStore,
}

/// What Multi-Paxos nodes say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum MultiMsg {
    /// Phase 1a for every slot from `from_slot` on, at once.
    Prepare {
        /// The would-be leader's ballot.
        ballot: Ballot,
        /// The first slot it has not seen decided.
        from_slot: Slot,
    },
    /// Phase 1b: the acceptor's promise, with what it accepted from
    /// `from_slot` on, and its snapshot when the leader is behind it.
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// Accepted proposals: (slot, ballot, command).
        accepted: Vec<(Slot, Ballot, Cmd)>,
        /// The acceptor's snapshot, when `from_slot` is at or below it.
        snapshot: Option<MultiSnapshot>,
    },
    /// An acceptor refuses `ballot`: it promised `promised`.
    Nack {
        /// The ballot refused.
        ballot: Ballot,
        /// The acceptor's promise.
        promised: Ballot,
    },
    /// Phase 2a for one slot, with how far the leader has decided: every
    /// slot up to `decided` is chosen, and a replica that accepted a slot
    /// there in this same ballot holds the chosen command (the leader
    /// proposes one command per slot per ballot).
    Accept {
        /// The leader's ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The command.
        command: Cmd,
        /// The end of the leader's contiguous decided prefix.
        decided: Slot,
    },
    /// Phase 2b: accepted, to the leader.
    Accepted {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
    },
    /// The leader is alive, and has decided every slot up to `decided`.
    Heartbeat {
        /// Its ballot.
        ballot: Ballot,
        /// The end of its contiguous decided prefix.
        decided: Slot,
    },
    /// A replica that missed decisions asks for them.
    CatchUp {
        /// The first slot it lacks.
        from_slot: Slot,
    },
    /// Decisions for a replica that was behind, or a snapshot when they are
    /// compacted.
    Decisions {
        /// Chosen commands, in slot order.
        entries: Vec<(Slot, Cmd)>,
        /// A snapshot to install first.
        snapshot: Option<MultiSnapshot>,
    },
    /// Client to server.
    ClientRequest {
        /// The client's sequence number.
        seq: u64,
        /// The operation.
        input: KvInput,
    },
    /// Server to client.
    ClientReply {
        /// The sequence number answered.
        seq: u64,
        /// The answer.
        reply: ClientReply,
    },
}

/// Timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MultiTimer {
    /// A follower checks whether the leader has been silent too long.
    Election,
    /// A leader's heartbeat, for the ballot it set it in.
    Heartbeat {
        /// The ballot.
        ballot: Ballot,
    },
    /// A client's wait ran out.
    ClientRetry {
        /// The operation's sequence number.
        seq: u64,
        /// The attempt that set it.
        attempt: u64,
    },
}
