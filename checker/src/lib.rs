//! # Faultline's linearizability checker
//!
//! A simulation run ends with a *history*: every client operation, when it
//! was invoked, when it returned and what it returned — or that the client
//! never heard back. This crate answers one question about such a history:
//! could a single, correct copy of the object, applying one operation at a
//! time, have produced it, with each operation taking effect at some instant
//! between its invocation and its return? If so the history is
//! *linearizable*; if not, the crate says where the search got stuck and
//! which operations could not come next, which is usually enough to see the
//! bug (a stale read, a lost write, a cas that should have failed).
//!
//! The crate owns:
//!
//! - the history vocabulary ([`Operation`], [`Outcome`], [`History`]) that
//!   the simulator's clients record into, and the operation types of the
//!   shipped objects ([`KvInput`]/[`KvOutput`], [`RegisterInput`]/
//!   [`RegisterOutput`], [`ConsensusInput`]/[`ConsensusOutput`]);
//! - the [`Model`] trait, through which any algorithm module states its
//!   sequential specification in a few lines, and the shipped
//!   [`models`]: [`Register`](models::Register),
//!   [`CasRegister`](models::CasRegister), [`KvModel`](models::KvModel) and
//!   [`ConsensusModel`](models::ConsensusModel);
//! - the search, [`check`]: Wing & Gong's backtracking with Lowe's
//!   memoisation (the approach of the Porcupine checker), split into
//!   independent partitions (per key) where the model allows, bounded by a
//!   [`Budget`] so that a hard history yields an honest
//!   [`Verdict::Unknown`] instead of a guess;
//! - readers for history files ([`formats`]: Jepsen etcd logs, Jepsen EDN
//!   key-value histories, Faultline's own JSON lines) and
//!   [`check_history_file`] for the CLI;
//! - checkers for guarantees weaker than linearizability on key-value
//!   histories ([`weak`]): acknowledged writes survive, session guarantees,
//!   stale-read measurement;
//! - the [`text`] helpers every Faultline file reader's messages use
//!   (located UTF-8 errors, shortened values, serde's words made plain).
//!
//! It runs *after* a simulation, never inside one, so it may read the wall
//! clock (for a time budget and statistics) where the platform has one (not
//! in a browser: see `clock.rs`); everything else about a result is
//! deterministic. `docs/checkers.md` explains the method for students.

mod clock;
mod file;
pub mod formats;
mod history;
mod model;
pub mod models;
mod result;
mod search;
pub mod text;

pub use file::{Error, ModelName, Report, check_history_file, read_kv_history_file};
pub use history::{
    ConsensusInput, ConsensusOutput, History, KvInput, KvOutput, Operation, Outcome, RegisterInput,
    RegisterOutput,
};
pub use model::{Model, Step};
pub use result::{CheckResult, Failure, OperationSummary, Stats, Verdict};
pub use search::{Budget, check};
pub mod weak;
