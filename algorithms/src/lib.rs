//! # faultline-algorithms
//!
//! One module per algorithm, each opening with an essay on its protocol, and
//! the [`registry`] through which the CLI and the GUI find them by name.
//! [`scenario`] reads scenario and replay files and builds runs from them
//! through the registry.
//!
//! Every algorithm provides: its process type(s), typed parameters with
//! defaults and validation, invariants, a `NodeView`, and bug variants —
//! parameters that plant a known, realistic mistake, each caught by one of
//! its invariants in a test.

pub mod gossip;
pub mod hashing;
pub mod pingstorm;
pub mod raft;
pub mod registry;
pub mod scenario;

pub use registry::{Algorithm, AlgorithmInfo, ParamError, algorithms, find};
