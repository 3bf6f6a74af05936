//! Versions of a key and how replicas reconcile them: last writer wins by
//! timestamp, or version vectors with siblings (DeCandia et al. 2007,
//! §4.4). Each version carries its own event, a dot (coordinator,
//! counter), apart from the vector of what it was written over, as in
//! Preguiça et al., "Dotted Version Vectors" (2010): a replica drops a
//! version only when another one's vector has seen its dot.
//!
//! A vector entry `n1: 9` claims every write `n1` made of the key up to
//! its ninth. That holds only if each write of a coordinator is written
//! over its previous one of the same key, which a read quorum may miss
//! (a sloppy one above all): so the coordinator also merges its own last
//! version of the key into what it read ([`super::QuorumDurable::own`]).
//! Without that, a later vector would "replace" a write nobody merged,
//! and the write would vanish from every replica.
//!
//! A stored value is a sequence of parts: an optional base (the value of a
//! `put`) and the values appended after it. Keeping the parts apart lets a
//! coordinator make an `append` idempotent (a retried append whose value is
//! already there adds nothing) and lets siblings be merged part by part.

use super::params::Conflicts;
use crate::hashing::hash::mix64;
use faultline_sim::NodeId;
use serde::Serialize;
use std::collections::BTreeMap;

/// A value as its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct Value {
    /// Whether the first part is a put's value (else the key was absent and
    /// every part is appended).
    pub based: bool,
    /// The parts, in order.
    pub parts: Vec<String>,
}

impl Value {
    /// The value a client reads: the parts concatenated.
    pub fn text(&self) -> String {
        self.parts.concat()
    }

    /// The value after `put value`.
    pub fn put(value: &str) -> Value {
        Value {
            based: true,
            parts: vec![value.to_string()],
        }
    }

    /// This value with `value` appended, unless it is already there (the
    /// client's retry of an append that took effect).
    pub fn appended(&self, value: &str) -> Value {
        let mut next = self.clone();
        if !next.parts.iter().any(|p| p == value) {
            next.parts.push(value.to_string());
        }
        next
    }

    fn appends(&self) -> &[String] {
        if self.based {
            &self.parts[1..]
        } else {
            &self.parts
        }
    }
}

/// A version vector: per coordinator, the number of its writes covered.
pub type Clock = BTreeMap<NodeId, u64>;

/// What orders a version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Stamp {
    /// Last writer wins: the coordinator's local clock when it took the
    /// write (nanoseconds), its id and its write counter (ties).
    Lww {
        /// The coordinator's `ctx.now()`.
        ts: i64,
        /// The coordinator.
        node: NodeId,
        /// The coordinator's write counter.
        seq: u64,
    },
    /// A dotted version vector: the write's own event (`node`, `counter`)
    /// and the versions it was written over (`context`).
    Dot {
        /// The coordinator.
        node: NodeId,
        /// Its write counter.
        counter: u64,
        /// The clock of what the coordinator read before writing.
        context: Clock,
    },
}

impl Stamp {
    /// Short ASCII text for views: `t=1.250000s@n1#3` or `n1:3 {n0:2,n1:2}`.
    pub fn describe(&self) -> String {
        match self {
            Stamp::Lww { ts, node, seq } => {
                format!("t={:.6}s@{node}#{seq}", *ts as f64 / 1e9)
            }
            Stamp::Dot {
                node,
                counter,
                context,
            } => {
                let ctx: Vec<String> = context.iter().map(|(n, c)| format!("{n}:{c}")).collect();
                format!("{node}:{counter} {{{}}}", ctx.join(","))
            }
        }
    }

    /// Whether a replica holding `self` needs nothing of `other`: the same
    /// version or one that replaces it.
    pub fn covers(&self, other: &Stamp) -> bool {
        match (self, other) {
            (Stamp::Lww { .. }, Stamp::Lww { .. }) => lww_key(self) >= lww_key(other),
            (
                Stamp::Dot {
                    node,
                    counter,
                    context,
                },
                Stamp::Dot {
                    node: on,
                    counter: oc,
                    ..
                },
            ) => (node == on && counter == oc) || context.get(on).is_some_and(|c| c >= oc),
            _ => false,
        }
    }
}

fn lww_key(s: &Stamp) -> (i64, NodeId, u64) {
    match s {
        Stamp::Lww { ts, node, seq } => (*ts, *node, *seq),
        Stamp::Dot { .. } => (i64::MIN, NodeId(0), 0),
    }
}

/// One version of a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub struct Version {
    /// Its order.
    pub stamp: Stamp,
    /// Its value.
    pub value: Value,
}

/// The versions a replica keeps of a key: one under last-writer-wins,
/// the concurrent siblings under version vectors. Kept sorted.
pub type Versions = Vec<Version>;

/// Whether `held` needs nothing of `stamp`.
pub fn holds(held: &[Version], stamp: &Stamp) -> bool {
    held.iter().any(|v| v.stamp.covers(stamp))
}

/// Merges `incoming` into `held`; returns whether `held` changed.
pub fn merge(held: &mut Versions, incoming: &[Version], mode: Conflicts) -> bool {
    let before = held.clone();
    match mode {
        Conflicts::Lww => {
            for v in incoming {
                let newer = held
                    .first()
                    .is_none_or(|h| lww_key(&v.stamp) > lww_key(&h.stamp));
                if newer {
                    *held = vec![v.clone()];
                }
            }
        }
        Conflicts::Vv => {
            let mut all: Versions = held.iter().chain(incoming).cloned().collect();
            all.sort();
            all.dedup_by(|a, b| a.stamp == b.stamp);
            let keep: Versions = all
                .iter()
                .filter(|v| {
                    !all.iter()
                        .any(|o| o.stamp != v.stamp && o.stamp.covers(&v.stamp))
                })
                .cloned()
                .collect();
            *held = keep;
        }
    }
    *held != before
}

/// The clock a write made after reading `versions` is written over: every
/// sibling's context and dot.
pub fn context_of(versions: &[Version]) -> Clock {
    let mut clock = Clock::new();
    for v in versions {
        if let Stamp::Dot {
            node,
            counter,
            context,
        } = &v.stamp
        {
            for (n, c) in context.iter().chain([(node, counter)]) {
                let e = clock.entry(*n).or_default();
                *e = (*e).max(*c);
            }
        }
    }
    clock
}

/// The single value a client reads from `versions`. One version: its
/// value. Siblings: the base of the sibling with the highest dot (one of
/// concurrent puts wins, deterministically), then its appended parts, then
/// every other sibling's appended parts not yet there, siblings in stamp
/// order. Concurrent appends are therefore all kept.
pub fn resolve(versions: &[Version]) -> Option<Value> {
    let winner = versions.iter().max_by(|a, b| dot_key(a).cmp(&dot_key(b)))?;
    let mut value = winner.value.clone();
    for v in versions {
        for part in v.value.appends() {
            value = value.appended(part);
        }
    }
    Some(value)
}

fn dot_key(v: &Version) -> (u64, NodeId, i64) {
    match &v.stamp {
        Stamp::Dot { node, counter, .. } => (*counter, *node, 0),
        Stamp::Lww { ts, node, seq } => (*seq, *node, *ts),
    }
}

/// A fingerprint of a key's versions (equal versions, equal digests).
pub fn digest(versions: &[Version]) -> u64 {
    mix64(faultline_sim::hash::stable_hash(versions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(node: u32, counter: u64, ctx: &[(u32, u64)], value: &str) -> Version {
        Version {
            stamp: Stamp::Dot {
                node: NodeId(node),
                counter,
                context: ctx.iter().map(|&(n, c)| (NodeId(n), c)).collect(),
            },
            value: Value::put(value),
        }
    }

    #[test]
    fn concurrent_writes_through_one_coordinator_stay_siblings() {
        let mut held = vec![dot(1, 1, &[], "a")];
        merge(&mut held, &[dot(1, 2, &[], "b")], Conflicts::Vv);
        assert_eq!(held.len(), 2, "{held:?}");
        // A write over both replaces both.
        merge(&mut held, &[dot(2, 1, &[(1, 2)], "c")], Conflicts::Vv);
        assert_eq!(held, vec![dot(2, 1, &[(1, 2)], "c")]);
        // An old version arriving late changes nothing.
        assert!(!merge(&mut held, &[dot(1, 1, &[], "a")], Conflicts::Vv));
    }

    #[test]
    fn lww_keeps_the_highest_timestamp() {
        let v = |ts: i64, node: u32, value: &str| Version {
            stamp: Stamp::Lww {
                ts,
                node: NodeId(node),
                seq: 1,
            },
            value: Value::put(value),
        };
        let mut held = vec![v(10, 1, "new")];
        assert!(!merge(&mut held, &[v(5, 2, "old")], Conflicts::Lww));
        assert!(merge(&mut held, &[v(10, 2, "tie")], Conflicts::Lww));
        assert_eq!(held[0].value.text(), "tie");
    }

    #[test]
    fn siblings_resolve_to_one_base_and_every_append() {
        let mut a = dot(1, 1, &[], "x");
        a.value = a.value.appended("a1");
        let mut b = dot(2, 1, &[], "y");
        b.value = b.value.appended("b1");
        let value = resolve(&[a, b]).unwrap();
        assert_eq!(value.text(), "yb1a1");
        assert_eq!(value.appended("a1").text(), "yb1a1");
    }
}
