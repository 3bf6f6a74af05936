//! What Raft servers and clients say to each other (Figure 2 of the paper,
//! plus InstallSnapshot from Figure 13 and the client protocol of §8), and
//! the timers they set.

use crate::family::kv::KvInput;
pub use crate::kvclient::ClientReply;
pub use crate::kvstore::Command;
use crate::kvstore::KvStore;
use serde::Serialize;
use std::sync::Arc;

/// A log position (1-based; 0 means "before the first entry").
pub type Index = u64;
/// An election term.
pub type Term = u64;

/// One log entry.
///
/// The command is shared: an entry is copied into the durable log, into
/// every AppendEntries that carries it and into every follower's log, and
/// sharing makes each copy a reference count instead of fresh strings.
/// Equality, hashing and serialisation see the command itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: Term,
    /// What the state machine does with it.
    pub command: Arc<Command>,
}

impl Entry {
    /// An entry of `term` holding `command`.
    pub fn new(term: Term, command: Command) -> Self {
        Entry {
            term,
            command: Arc::new(command),
        }
    }
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut entry = serializer.serialize_struct("Entry", 2)?;
        entry.serialize_field("term", &self.term)?;
        entry.serialize_field("command", &*self.command)?;
        entry.end()
    }
}

/// A snapshot of the state machine (§7): the state after applying every
/// entry up to `last_index`, and the position it replaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Snapshot {
    /// The last entry the snapshot covers.
    pub last_index: Index,
    /// Its term.
    pub last_term: Term,
    /// The log digest at `last_index` (see [`super::log::RaftLog`]); checking
    /// metadata, carried so a receiver's log digests continue the sender's.
    pub chain: u64,
    /// The state machine, including the client sessions.
    pub state: KvStore,
}

/// Messages.
#[derive(Clone, Debug, Hash, Serialize)]
pub enum RaftMsg {
    /// Candidate to server: vote for me (§5.2), or, with `pre_vote`, would
    /// you vote for me if I started an election (thesis §9.6)?
    RequestVote {
        /// The candidate's term (for a pre-vote: the term it would use).
        term: Term,
        /// Index of the candidate's last log entry.
        last_log_index: Index,
        /// Term of the candidate's last log entry.
        last_log_term: Term,
        /// A pre-vote changes no state at the receiver.
        pre_vote: bool,
    },
    /// Server to candidate.
    RequestVoteReply {
        /// The voter's term (for a granted pre-vote: the asked term).
        term: Term,
        /// Whether the vote is granted.
        granted: bool,
        /// Answer to a pre-vote.
        pre_vote: bool,
    },
    /// Leader to follower: replicate entries, or just assert leadership (§5.3).
    AppendEntries {
        /// Leader's term.
        term: Term,
        /// Index of the entry preceding `entries`.
        prev_log_index: Index,
        /// Its term.
        prev_log_term: Term,
        /// Entries to store (empty for a heartbeat).
        entries: Vec<Entry>,
        /// Leader's commit index.
        leader_commit: Index,
        /// Heartbeat round, echoed in the reply; confirms leadership for
        /// ReadIndex and leases.
        round: u64,
    },
    /// Follower to leader.
    AppendEntriesReply {
        /// Follower's term.
        term: Term,
        /// Whether the follower's log matched at `prev_log_index`.
        success: bool,
        /// On success, the last index known to match the leader's log.
        match_index: Index,
        /// On failure, where the leader should look next (fast back-up).
        conflict: Option<Conflict>,
        /// The round of the request.
        round: u64,
    },
    /// Leader to a follower that needs entries the leader has compacted (§7).
    InstallSnapshot {
        /// Leader's term.
        term: Term,
        /// The snapshot.
        snapshot: Box<Snapshot>,
        /// Heartbeat round.
        round: u64,
    },
    /// Follower to leader.
    InstallSnapshotReply {
        /// Follower's term.
        term: Term,
        /// The snapshot's last index: the follower now matches up to it.
        last_index: Index,
        /// The round of the request.
        round: u64,
    },
    /// Client to server.
    ClientRequest {
        /// The client's sequence number (retries reuse it).
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

/// Where a follower's log diverges, so the leader can skip a whole term of
/// entries per round trip instead of one entry (§5.3, last paragraphs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Conflict {
    /// The term of the follower's entry at `prev_log_index`, if it has one.
    pub term: Option<Term>,
    /// The first index of that term in the follower's log, or the
    /// follower's last index + 1 when its log is too short.
    pub index: Index,
}

/// Timers.
#[derive(Clone, Debug, Hash)]
pub enum RaftTimer {
    /// A follower or candidate checks whether its election deadline passed.
    Election,
    /// A leader's heartbeat; carries the term so a timer from an earlier
    /// leadership is ignored.
    Heartbeat {
        /// The term the leader set it in.
        term: Term,
    },
    /// A client's wait for a reply ran out (or a back-off ended).
    ClientRetry {
        /// The operation's sequence number.
        seq: u64,
        /// Which attempt set it; later attempts make it stale.
        attempt: u64,
    },
}
