//! A Raft client (§8): the shared leader-following key-value client
//! ([`crate::kvclient`]), speaking Raft's messages and timers.
//!
//! It finds the leader, retries with the same sequence number until it
//! hears back, and gives up with an unknown outcome; it never reports a
//! failure.

use super::RaftNode;
use super::msg::{RaftMsg, RaftTimer};
use super::params::RaftParams;
use crate::family::kv::KvInput;
use crate::kvclient::{ClientReply, ClientTimeouts, KvClient, LeaderService};

/// A Raft client.
pub type Client = KvClient;

/// The client's patience, from Raft's parameters.
pub fn timeouts(params: &RaftParams) -> ClientTimeouts {
    ClientTimeouts {
        timeout: params.client_timeout,
        backoff: params.client_backoff,
        give_up: params.client_give_up,
    }
}

impl LeaderService for RaftNode {
    fn request(seq: u64, input: KvInput) -> RaftMsg {
        RaftMsg::ClientRequest { seq, input }
    }

    fn reply(msg: RaftMsg) -> Option<(u64, ClientReply)> {
        match msg {
            RaftMsg::ClientReply { seq, reply } => Some((seq, reply)),
            _ => None,
        }
    }

    fn retry_timer(seq: u64, attempt: u64) -> RaftTimer {
        RaftTimer::ClientRetry { seq, attempt }
    }

    fn as_retry(timer: &RaftTimer) -> Option<(u64, u64)> {
        match timer {
            RaftTimer::ClientRetry { seq, attempt } => Some((*seq, *attempt)),
            _ => None,
        }
    }

    fn session_seq(durable: &mut super::RaftDurable) -> &mut u64 {
        &mut durable.client_seq
    }
}
