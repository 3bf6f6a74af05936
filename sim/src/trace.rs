//! The trace: every event of a run as a compact record, and the running
//! 64-bit fingerprint over them.
//!
//! The fingerprint is always computed (it is how determinism is checked);
//! records are stored only when a consumer asked for them
//! ([`TraceMode::Full`]). Message payloads are hashed into the fingerprint at
//! send time and kept, in full mode, beside the records for display and
//! export — they are never formatted unless someone asks.

use crate::fault::Fault;
use crate::network::DropReason;
use crate::process::{MsgId, NodeId, OpId, TimerId};
use crate::rng::mix64;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};

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

const K: u64 = 0x517c_c1b7_2722_0a95;
const LANES: [u64; 6] = [
    0x9e37_79b9_7f4a_7c15,
    0xc2b2_ae3d_27d4_eb4f,
    0x1656_67b1_9e37_79f9,
    0x27d4_eb2f_1656_67c5,
    0x85eb_ca77_c2b2_ae63,
    0xff51_afd7_ed55_8ccd,
];

/// Compresses a record's fields into one word. The multiplies are
/// independent, so they run in parallel; only the final [`add`] is chained.
#[inline(always)]
fn combine<const N: usize>(words: [u64; N]) -> u64 {
    let mut r = 0;
    let mut i = 0;
    while i < N {
        r ^= (words[i] ^ (i as u64))
            .wrapping_mul(LANES[i])
            .rotate_left(7 * i as u32 + 1);
        i += 1;
    }
    r
}

/// One step of the fingerprint: a bijection of the state for a given word,
/// so two runs that differ once keep different fingerprints unless a later
/// difference cancels it exactly.
#[inline(always)]
fn add(state: u64, word: u64) -> u64 {
    (state.rotate_left(5) ^ word).wrapping_mul(K)
}

#[inline(always)]
fn pair(a: NodeId, b: NodeId) -> u64 {
    ((a.0 as u64) << 32) | b.0 as u64
}

/// Folds one record into the running fingerprint state. `extra` carries what
/// the record does not hold itself (the payload hash of a send, the input of
/// an invoke). Notes are left out: they exist only when someone reads them.
/// The event index is implied by the order of records and not folded.
#[inline(always)]
pub(crate) fn fold(state: u64, event: u64, time: SimTime, kind: &RecordKind, extra: u64) -> u64 {
    let _ = event;
    let word = match kind {
        RecordKind::Start { node } => combine([0, time.0, node.0 as u64, extra]),
        RecordKind::Send {
            msg,
            from,
            to,
            deliver_at,
            duplicate_of,
        } => combine([
            1 ^ (deliver_at.map_or(u64::MAX, |t| t.0) << 4),
            time.0,
            msg.0,
            pair(*from, *to),
            duplicate_of.map_or(u64::MAX, |m| m.0),
            extra,
        ]),
        RecordKind::Deliver {
            msg,
            from,
            to,
            sent_at,
        } => combine([2 ^ (sent_at.0 << 4), time.0, msg.0, pair(*from, *to), extra]),
        RecordKind::Drop {
            msg,
            from,
            to,
            sent_at,
            reason,
        } => combine([
            3 ^ (sent_at.0 << 4),
            time.0,
            msg.0,
            pair(*from, *to),
            *reason as u64,
            extra,
        ]),
        RecordKind::Timer { node, timer } => combine([4, time.0, node.0 as u64, timer.0, extra]),
        RecordKind::Fault { effective, .. } => combine([5, time.0, *effective as u64, extra]),
        RecordKind::Invoke { client, op } => combine([6, time.0, client.0 as u64, op.0, extra]),
        RecordKind::Complete { client, op } => combine([7, time.0, client.0 as u64, op.0, extra]),
        RecordKind::Note { .. } => return state,
        RecordKind::Violation { .. } => combine([9, time.0, extra]),
    };
    add(state, word)
}

/// The published fingerprint of a running state.
#[inline]
pub(crate) fn finish(state: u64) -> u64 {
    mix64(state)
}
