//! Messages and timers of single-decree Paxos.

use crate::paxos::ballot::Ballot;
use serde::Serialize;

/// A value and the ballot it was accepted in.
pub type Accepted = (Ballot, String);

/// What Paxos nodes say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SynodMsg {
    /// Client to server: please get `value` decided (or tell me what was).
    Propose {
        /// The client's value.
        value: String,
    },
    /// Server to client: this value is decided.
    Decided {
        /// The decided value.
        value: String,
    },
    /// Server to client: I do not propose; ask another server.
    NotProposer,
    /// Phase 1a, proposer to acceptors.
    Prepare {
        /// The proposer's ballot.
        ballot: Ballot,
    },
    /// Phase 1b, acceptor to proposer: a promise not to accept anything
    /// below `ballot`, with the highest-ballot proposal this acceptor has
    /// accepted, if any.
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// What the acceptor accepted last.
        accepted: Option<Accepted>,
    },
    /// Phase 2a, proposer to acceptors.
    Accept {
        /// The ballot.
        ballot: Ballot,
        /// The value.
        value: String,
    },
    /// Phase 2b, acceptor to every learner (the proposer included).
    AcceptedMsg {
        /// The ballot.
        ballot: Ballot,
        /// The value accepted.
        value: String,
    },
    /// An acceptor refuses `ballot`: it has promised `promised`, so the
    /// proposer can jump above it.
    Nack {
        /// The ballot refused.
        ballot: Ballot,
        /// The acceptor's promise.
        promised: Ballot,
    },
}

/// Paxos timers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SynodTimer {
    /// A proposer's phase of `ballot` has had its time.
    PhaseTimeout {
        /// The ballot.
        ballot: Ballot,
    },
    /// A proposer's backoff is over: try a new ballot.
    Retry,
    /// A client's attempt got no answer in time.
    ClientRetry {
        /// Which attempt.
        attempt: u64,
    },
}
