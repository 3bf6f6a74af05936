//! # faultline-algorithms
//!
//! One module per algorithm, each opening with an essay on its protocol, and
//! the [`registry`] through which the CLI and the GUI find them by name.
//! [`scenario`] reads scenario and replay files and builds runs from them
//! through the registry.
//!
//! Every algorithm declares itself once ([`algorithm::Algorithm`]): its
//! process type, typed parameters with defaults and validation, bug
//! variants (parameters that plant a known, realistic mistake, each caught
//! by one of its checks in a test), invariants, and the operation
//! [`family`] its clients use. `faultline list`, the scenario parser, the
//! zoo, the property harness and the lab all read that declaration.

pub mod algorithm;
pub mod async_replica;
pub mod chain;
pub mod family;
pub mod fixed;
pub mod gossip;
pub mod hashing;
pub mod kvclient;
pub mod kvstore;
pub mod limits;
pub mod paxos;
pub mod pingstorm;
pub mod primary_backup;
pub mod quorum;
pub mod raft;
pub mod registry;
pub mod scenario;
#[cfg(test)]
mod testkit;

pub use algorithm::{Algorithm, AlgorithmInfo, AnyAlgorithm, ParamError};
pub use registry::{algorithms, find};
