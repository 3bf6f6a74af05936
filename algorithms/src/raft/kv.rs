//! Raft's state machine: the key-value store with client sessions that Raft
//! and Multi-Paxos share ([`crate::kvstore`]).

pub use crate::kvstore::{Applied, KvStore, Session};
