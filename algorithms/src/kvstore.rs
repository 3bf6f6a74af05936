//! The replicated state machine of Raft and Multi-Paxos: a string
//! key-value store with client sessions for duplicate suppression (Raft
//! §8; Raft thesis §6.3; Paxos Made Moderately Complex §3's replicas
//! apply the same way).
//!
//! A client numbers its operations; the store remembers, per client, the
//! highest sequence number applied and its output. A command that arrives
//! again (a client retried after a lost reply or a leader change, and both
//! copies reached the log) is not applied twice: the second copy returns the
//! remembered output. Sessions are part of the state, so they are in
//! snapshots too.
//!
//! The store also keeps a digest of everything it has applied, including
//! whether each command took effect; two replicas that applied the same
//! prefix of the log must have equal digests (`applied_prefix_agreement`).

use crate::family::kv::{KvInput, KvOutput};
use faultline_sim::NodeId;
use faultline_sim::hash::StableHasher;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A state-machine command.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Command {
    /// Appended by every new leader (§8): committing it commits everything
    /// before it and tells the leader its commit index is current.
    Noop,
    /// A client operation, identified by client and sequence number so the
    /// state machine can apply it at most once.
    Client {
        /// The client node.
        client: NodeId,
        /// The client's sequence number for this operation.
        seq: u64,
        /// The operation.
        input: KvInput,
    },
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Noop => f.write_str("no-op"),
            Command::Client { client, seq, input } => {
                write!(f, "{client}#{seq} ")?;
                match input {
                    KvInput::Get { key } => write!(f, "get {key}"),
                    KvInput::Put { key, value } => write!(f, "put {key}={value}"),
                    KvInput::Append { key, value } => write!(f, "append {key}+={value}"),
                    KvInput::Cas { key, expected, new } => write!(
                        f,
                        "cas {key}: {} -> {new}",
                        expected.as_deref().unwrap_or("∅")
                    ),
                }
            }
        }
    }
}

/// The last operation applied for one client.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Session {
    /// Its sequence number.
    pub seq: u64,
    /// Its output, returned again to a retry.
    pub output: KvOutput,
}

/// The key-value state machine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct KvStore {
    data: BTreeMap<String, String>,
    sessions: BTreeMap<NodeId, Session>,
    digest: u64,
    /// XOR of a hash per session, kept up to date on every change.
    sessions_digest: u64,
}

/// What applying one entry did.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Applied {
    /// A no-op.
    Noop,
    /// A client command and its output (the remembered output for a
    /// duplicate of the client's latest command).
    Output {
        /// The client.
        client: NodeId,
        /// Its sequence number.
        seq: u64,
        /// The output.
        output: KvOutput,
    },
    /// A stale duplicate of an older command: nothing to reply.
    Stale,
}

impl KvStore {
    /// Applies a command. `provenance` (a Raft log entry, a Paxos slot)
    /// is folded into the digest with it, so replicas that applied the same
    /// commands from different places differ. With `dedup` off (a bug
    /// variant), duplicates are executed again.
    pub fn apply(&mut self, command: &Command, provenance: &impl Hash, dedup: bool) -> Applied {
        let entry = provenance;
        let result = match command {
            Command::Noop => Applied::Noop,
            Command::Client { client, seq, input } => match self.sessions.get(client) {
                Some(s) if dedup && s.seq == *seq => Applied::Output {
                    client: *client,
                    seq: *seq,
                    output: s.output.clone(),
                },
                Some(s) if dedup && s.seq > *seq => Applied::Stale,
                _ => {
                    let output = self.execute(input);
                    let session = Session {
                        seq: *seq,
                        output: output.clone(),
                    };
                    self.sessions_digest ^= session_digest(*client, &session);
                    if let Some(old) = self.sessions.insert(*client, session) {
                        self.sessions_digest ^= session_digest(*client, &old);
                    }
                    self.mix(entry, &output);
                    return Applied::Output {
                        client: *client,
                        seq: *seq,
                        output,
                    };
                }
            },
        };
        // Skipped commands change the digest differently from executed ones.
        self.mix(entry, &());
        result
    }

    fn mix(&mut self, entry: &impl Hash, effect: &impl Hash) {
        let mut h = StableHasher::with_state(self.digest);
        entry.hash(&mut h);
        effect.hash(&mut h);
        self.digest = h.finish();
    }

    fn execute(&mut self, input: &KvInput) -> KvOutput {
        match input {
            KvInput::Get { key } => self.read(key),
            KvInput::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                KvOutput::Written
            }
            KvInput::Append { key, value } => {
                self.data.entry(key.clone()).or_default().push_str(value);
                KvOutput::Written
            }
            KvInput::Cas { key, expected, new } => {
                // Absent and empty are the same value, as in the checker's model.
                let current = self.data.get(key).map_or("", String::as_str);
                let swap = current == expected.as_deref().unwrap_or("");
                if swap {
                    self.data.insert(key.clone(), new.clone());
                }
                KvOutput::Cas(swap)
            }
        }
    }

    /// The value of `key` now.
    pub fn read(&self, key: &str) -> KvOutput {
        KvOutput::Value(self.data.get(key).cloned())
    }

    /// The session of `client`, if it has one.
    pub fn session(&self, client: NodeId) -> Option<&Session> {
        self.sessions.get(&client)
    }

    /// The digest of everything applied and of the client sessions.
    pub fn digest(&self) -> u64 {
        self.digest ^ self.sessions_digest.rotate_left(1)
    }

    /// The keys and values.
    pub fn data(&self) -> &BTreeMap<String, String> {
        &self.data
    }

    /// This state with the sessions forgotten (only the
    /// `snapshot_without_sessions` bug does this).
    pub fn without_sessions(&self) -> KvStore {
        KvStore {
            data: self.data.clone(),
            sessions: BTreeMap::new(),
            digest: self.digest,
            sessions_digest: 0,
        }
    }
}

fn session_digest(client: NodeId, session: &Session) -> u64 {
    faultline_sim::hash::stable_hash(&(client, session))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::msg::Entry;

    fn cmd(seq: u64, input: KvInput) -> Entry {
        Entry::new(
            1,
            Command::Client {
                client: NodeId(5),
                seq,
                input,
            },
        )
    }

    #[test]
    fn duplicates_take_effect_once() {
        let mut kv = KvStore::default();
        let append = cmd(
            1,
            KvInput::Append {
                key: "k".into(),
                value: "a".into(),
            },
        );
        kv.apply(&append.command, &append, true);
        let again = kv.apply(&append.command, &append, true);
        assert!(matches!(
            again,
            Applied::Output {
                output: KvOutput::Written,
                ..
            }
        ));
        assert_eq!(kv.read("k"), KvOutput::Value(Some("a".into())));
        let cas = cmd(
            2,
            KvInput::Cas {
                key: "k".into(),
                expected: Some("a".into()),
                new: "b".into(),
            },
        );
        assert!(matches!(
            kv.apply(&cas.command, &cas, true),
            Applied::Output {
                output: KvOutput::Cas(true),
                ..
            }
        ));
        assert_eq!(kv.apply(&append.command, &append, true), Applied::Stale);
        assert_eq!(kv.read("k"), KvOutput::Value(Some("b".into())));
        // Without dedup the old append runs again.
        let mut careless = kv.clone();
        careless.apply(&append.command, &append, false);
        assert_eq!(careless.read("k"), KvOutput::Value(Some("ba".into())));
        assert_ne!(careless.digest(), kv.digest());
        // Forgetting the sessions changes the digest too.
        assert_ne!(kv.without_sessions().digest(), kv.digest());
    }
}
