//! The registry: every algorithm the tools can run, in a fixed order.
//!
//! This is the only file that names every algorithm. An algorithm declares
//! itself in its own module ([`Algorithm`](crate::algorithm::Algorithm));
//! adding it here is one line.

use crate::algorithm::AnyAlgorithm;

/// Every registered algorithm, in a fixed order.
pub fn algorithms() -> Vec<&'static dyn AnyAlgorithm> {
    vec![
        &crate::gossip::Gossip,
        &crate::raft::Raft,
        &crate::paxos::synod::Paxos,
        &crate::paxos::multi::MultiPaxos,
        &crate::hashing::ShardedKv,
        &crate::pingstorm::PingStormAlgorithm,
        &crate::primary_backup::PrimaryBackup,
        &crate::chain::Chain,
        &crate::async_replica::AsyncReplica,
        &crate::quorum::Quorum,
    ]
}

/// The algorithm called `name`.
pub fn find(name: &str) -> Option<&'static dyn AnyAlgorithm> {
    algorithms().into_iter().find(|a| a.name() == name)
}
