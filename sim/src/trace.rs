//! The trace: every event of a run as a compact record, and the running
//! 64-bit fingerprint over them.
//!
//! The fingerprint is always computed (it is how determinism is checked);
//! records are stored only when a consumer asked for them
//! ([`TraceMode::Full`]). Message payloads are hashed into the fingerprint at
//! send time and kept, in full mode, beside the records for display and
//! export — they are never formatted unless someone asks.

use crate::fault::Fault;
use crate::hash::StableHasher;
use crate::network::DropReason;
use crate::process::{MsgId, NodeId, OpId, TimerId};
use crate::rng::mix64;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::hash::Hasher;

/// Whether records are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceMode {
    /// Fingerprint only: the fast mode for sweeps and benchmarks.
    #[default]
    Fingerprint,
    /// Keep every record and message payload (GUI, export).
    Full,
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceRecord {
    /// Index of the event it belongs to (one event may yield several records:
    /// a delivery and the sends its handler made, say).
    pub event: u64,
    /// True time.
    pub time: SimTime,
    /// What.
    #[serde(flatten)]
    pub kind: RecordKind,
}

/// The kinds of records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecordKind {
    /// A node started (first boot).
    Start {
        /// The node.
        node: NodeId,
    },
    /// A message was sent; `deliver_at` is `None` when it was dropped at once.
    Send {
        /// Message id.
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// Scheduled arrival.
        deliver_at: Option<SimTime>,
        /// Set on the second copy of a duplicated message.
        duplicate_of: Option<MsgId>,
    },
    /// A message arrived and was handled.
    Deliver {
        /// Message id.
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Receiver.
        to: NodeId,
        /// When it was sent.
        sent_at: SimTime,
    },
    /// A message was not delivered.
    Drop {
        /// Message id.
        msg: MsgId,
        /// Sender.
        from: NodeId,
        /// Intended receiver.
        to: NodeId,
        /// When it was sent.
        sent_at: SimTime,
        /// Why.
        reason: DropReason,
    },
    /// A timer fired.
    Timer {
        /// Owner.
        node: NodeId,
        /// Which timer.
        timer: TimerId,
    },
    /// A fault was applied; `effective` is false when it changed nothing
    /// (restarting a node that is up, say).
    Fault {
        /// What.
        fault: Box<Fault>,
        /// Whether it changed anything.
        effective: bool,
    },
    /// A client operation was invoked (see the history for its input).
    Invoke {
        /// The client.
        client: NodeId,
        /// The operation (its index in the history).
        op: OpId,
    },
    /// A client operation completed (see the history for its outcome).
    Complete {
        /// The client.
        client: NodeId,
        /// The operation.
        op: OpId,
    },
    /// A node annotated the trace (not part of the fingerprint).
    Note {
        /// The node.
        node: NodeId,
        /// The text.
        text: String,
    },
    /// An invariant failed; the run stops here.
    Violation {
        /// Invariant name.
        invariant: String,
        /// What was wrong.
        reason: String,
    },
}

impl RecordKind {
    /// A short kind name for filters.
    pub fn name(&self) -> &'static str {
        match self {
            RecordKind::Start { .. } => "start",
            RecordKind::Send { .. } => "send",
            RecordKind::Deliver { .. } => "deliver",
            RecordKind::Drop { .. } => "drop",
            RecordKind::Timer { .. } => "timer",
            RecordKind::Fault { .. } => "fault",
            RecordKind::Invoke { .. } => "invoke",
            RecordKind::Complete { .. } => "complete",
            RecordKind::Note { .. } => "note",
            RecordKind::Violation { .. } => "violation",
        }
    }

    /// The nodes this record concerns, for filters and lanes.
    pub fn nodes(&self) -> (Option<NodeId>, Option<NodeId>) {
        match self {
            RecordKind::Start { node }
            | RecordKind::Timer { node, .. }
            | RecordKind::Note { node, .. } => (Some(*node), None),
            RecordKind::Send { from, to, .. }
            | RecordKind::Deliver { from, to, .. }
            | RecordKind::Drop { from, to, .. } => (Some(*from), Some(*to)),
            RecordKind::Invoke { client, .. } | RecordKind::Complete { client, .. } => {
                (Some(*client), None)
            }
            RecordKind::Fault { fault, .. } => {
                let nodes = fault.nodes();
                (nodes.first().copied(), nodes.get(1).copied())
            }
            RecordKind::Violation { .. } => (None, None),
        }
    }
}

/// Folds one record into a fingerprint. `extra` carries what the record does
/// not hold itself (the payload hash of a send, the operation of an invoke).
#[inline]
pub(crate) fn fold(
    fingerprint: u64,
    event: u64,
    time: SimTime,
    kind: &RecordKind,
    extra: u64,
) -> u64 {
    let mut h = StableHasher::with_state(event);
    h.write_u64(time.0);
    match kind {
        RecordKind::Start { node } => {
            h.write_u8(0);
            h.write_u32(node.0);
        }
        RecordKind::Send {
            msg,
            from,
            to,
            deliver_at,
            duplicate_of,
        } => {
            h.write_u8(1);
            h.write_u64(msg.0);
            h.write_u32(from.0);
            h.write_u32(to.0);
            h.write_u64(deliver_at.map_or(u64::MAX, |t| t.0));
            h.write_u64(duplicate_of.map_or(u64::MAX, |m| m.0));
        }
        RecordKind::Deliver {
            msg,
            from,
            to,
            sent_at,
        } => {
            h.write_u8(2);
            h.write_u64(msg.0);
            h.write_u32(from.0);
            h.write_u32(to.0);
            h.write_u64(sent_at.0);
        }
        RecordKind::Drop {
            msg,
            from,
            to,
            sent_at,
            reason,
        } => {
            h.write_u8(3);
            h.write_u64(msg.0);
            h.write_u32(from.0);
            h.write_u32(to.0);
            h.write_u64(sent_at.0);
            h.write_u8(*reason as u8);
        }
        RecordKind::Timer { node, timer } => {
            h.write_u8(4);
            h.write_u32(node.0);
            h.write_u64(timer.0);
        }
        RecordKind::Fault { effective, .. } => {
            h.write_u8(5);
            h.write_u8(*effective as u8);
        }
        RecordKind::Invoke { client, op } => {
            h.write_u8(6);
            h.write_u32(client.0);
            h.write_u64(op.0);
        }
        RecordKind::Complete { client, op } => {
            h.write_u8(7);
            h.write_u32(client.0);
            h.write_u64(op.0);
        }
        RecordKind::Note { .. } => return fingerprint,
        RecordKind::Violation { .. } => h.write_u8(9),
    }
    h.write_u64(extra);
    mix64(fingerprint.rotate_left(17) ^ h.finish())
}
