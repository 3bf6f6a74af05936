//! The sequential models shipped with the checker: [`Register`] (read and
//! write), [`CasRegister`] (read, write, compare-and-set; Jepsen's etcd
//! histories), [`KvModel`] (a string key-value store, partitioned per key)
//! and [`ConsensusModel`] (propose a value, learn the decided one).

mod consensus;
mod kv;
mod register;

pub use consensus::ConsensusModel;
pub use kv::KvModel;
pub use register::{CasRegister, Register};
