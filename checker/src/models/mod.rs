//! The sequential models shipped with the checker: [`Register`] (read and
//! write), [`CasRegister`] (read, write, compare-and-set; Jepsen's etcd
//! histories) and [`KvModel`] (a string key-value store, partitioned per key).

mod kv;
mod register;

pub use kv::KvModel;
pub use register::{CasRegister, Register};
