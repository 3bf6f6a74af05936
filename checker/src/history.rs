//! What a history is: client operations with their invocation and return
//! times and what the client learned about their outcome, plus the
//! operation vocabularies of the shipped models (registers and a
//! string key-value store).

use serde::{Deserialize, Serialize};

/// One client operation as a client saw it: when it was invoked, when (if
/// ever) it returned, and with what result.
///
/// Times are integer nanoseconds of simulated true time. Histories read from
/// files without timestamps use line numbers instead; only the order of the
/// times matters to the checker.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Operation<I, O> {
    /// The client (Jepsen's process) that issued the operation.
    pub client: u64,
    /// What the client asked for.
    pub input: I,
    /// Invocation time.
    pub call: u64,
    /// What the client learned about the operation.
    pub outcome: Outcome<O>,
    /// Return time; `None` when the client never heard back.
    ///
    /// The checker ignores `ret` for [`Outcome::Unknown`] operations: such an
    /// operation may take effect arbitrarily late.
    pub ret: Option<u64>,
}

/// What a client learned about an operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome<O> {
    /// The operation completed with this output; it took effect exactly once
    /// between its invocation and its return.
    Ok(O),
    /// The client knows the operation did *not* take effect (a definite
    /// rejection). The checker drops these operations.
    Fail,
    /// The operation may have taken effect at any time after its invocation,
    /// or never (Jepsen's `:info`, a timeout, or no completion at all).
    Unknown,
}

impl<O> Outcome<O> {
    /// The output, when the operation completed.
    pub fn output(&self) -> Option<&O> {
        match self {
            Outcome::Ok(output) => Some(output),
            Outcome::Fail | Outcome::Unknown => None,
        }
    }
}

/// A history: operations in any order (the checker sorts by time).
///
/// Indices into this vector are how results name operations.
pub type History<I, O> = Vec<Operation<I, O>>;

/// A client request to a string key-value store.
///
/// Absent keys and the empty string are the same thing to
/// [`KvModel`](crate::models::KvModel): a `get` of a key that was never
/// written may return `None` or `Some("")`, and a `cas` expecting `None`
/// succeeds on a key that is absent or holds `""`. Jepsen's key-value data
/// follows the same convention.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum KvInput {
    /// Read the value of `key`.
    Get { key: String },
    /// Replace the value of `key`.
    Put { key: String, value: String },
    /// Concatenate `value` to the end of the value of `key`.
    Append { key: String, value: String },
    /// Replace the value of `key` with `new` if it currently equals
    /// `expected` (`None`: absent or empty).
    Cas {
        key: String,
        expected: Option<String>,
        new: String,
    },
}

impl KvInput {
    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            KvInput::Get { key }
            | KvInput::Put { key, .. }
            | KvInput::Append { key, .. }
            | KvInput::Cas { key, .. } => key,
        }
    }
}

/// The reply of a string key-value store.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvOutput {
    /// Result of a `get`: the value, `None` (or `Some("")`) when absent.
    Value(Option<String>),
    /// A `put` or `append` was applied.
    Written,
    /// Result of a `cas`: whether it swapped.
    Cas(bool),
}

/// A client request to a consensus service: propose a value, learn the
/// decided one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum ConsensusInput {
    /// Propose `value`; the reply is the value the service decided, which
    /// may be another client's.
    Propose { value: String },
}

/// The reply of a consensus service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsensusOutput {
    /// The decided value.
    Decided(String),
}

/// A client request to a single integer register (Jepsen's etcd tests).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum RegisterInput {
    /// Read the register.
    Read,
    /// Overwrite the register.
    Write { value: i64 },
    /// Set the register to `new` if it currently holds `expected`.
    Cas { expected: i64, new: i64 },
}

/// The reply of a single integer register.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterOutput {
    /// Result of a read: `None` when the register was never written.
    Value(Option<i64>),
    /// A write was applied.
    Written,
    /// Result of a cas: whether it swapped.
    Cas(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_operation_json_is_readable_and_round_trips() {
        let operation = Operation {
            client: 3,
            input: KvInput::Put {
                key: "x".into(),
                value: "1".into(),
            },
            call: 10,
            outcome: Outcome::Ok(KvOutput::Written),
            ret: Some(20),
        };
        let json = serde_json::to_string(&operation).unwrap();
        assert_eq!(
            json,
            r#"{"client":3,"input":{"f":"put","key":"x","value":"1"},"call":10,"outcome":{"ok":"written"},"ret":20}"#
        );
        let back: Operation<KvInput, KvOutput> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, operation);
    }

    #[test]
    fn get_output_and_unknown_outcome_serialise_plainly() {
        let operation: Operation<KvInput, KvOutput> = Operation {
            client: 0,
            input: KvInput::Get { key: "k".into() },
            call: 1,
            outcome: Outcome::Unknown,
            ret: None,
        };
        let json = serde_json::to_string(&operation).unwrap();
        assert!(json.contains(r#""outcome":"unknown""#), "{json}");
        let value = serde_json::to_string(&Outcome::Ok(KvOutput::Value(None))).unwrap();
        assert_eq!(value, r#"{"ok":{"value":null}}"#);
    }
}
