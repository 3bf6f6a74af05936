//! # Paxos
//!
//! Two algorithms share this folder: single-decree Paxos
//! ([`synod`], registry name `paxos`), which agrees on one value, and
//! Multi-Paxos ([`multi`], registry name `multi-paxos`), which agrees on a log of
//! commands behind a stable leader and runs the same key-value store as
//! Raft. Both use [`ballot`]s unique to their proposer and
//! [`quorum`] sizes that may be majorities or flexible (Flexible Paxos).
//!
//! The texts followed: Lamport, "Paxos Made Simple" (2001), for the roles,
//! the two phases and learning; van Renesse & Altinbuken, "Paxos Made
//! Moderately Complex" (2015), for Multi-Paxos's leader, scouts and
//! commanders; Howard, Malkhi & Spiegelman, "Flexible Paxos: Quorum
//! intersection revisited" (2016), for quorums. Each module cites the
//! sections it implements.

pub mod ballot;
pub mod multi;
pub mod quorum;
pub mod synod;
