//! Checkers for guarantees weaker than linearizability, on key-value
//! histories: acknowledged writes survive ([`lost_writes`]), session
//! guarantees per client ([`session_violations`], after Terry et al.,
//! "Session Guarantees for Weakly Consistent Replicated Data", PDIS 1994,
//! §3) and how stale reads are ([`stale_reads`]).
//!
//! All three rest on one question about a read: *which writes does the value
//! it returned show, and which does it certainly not show?* A client-side
//! history can answer it because written values are unique (the simulator
//! writes `"<client>.<n>"`, Jepsen `"x <process> <n> y"`) and an `append`
//! concatenates, so a value read is a sequence of written values:
//!
//! - its **base**: the value of the `put` (or successful `cas`) it starts
//!   with, or nothing (the initial, empty state) when it starts with an
//!   appended value or is empty;
//! - then the values of the `append`s applied since, in order.
//!
//! [`Analysis`] splits every value read into such a sequence of the written
//! values of its key (operations with an unknown outcome included, failed ones
//! not). When a value can be split in more than one way (appended values
//! that are not self-delimiting, like `"1.2"` + `"3.4"` = `"1.23.4"`), every
//! split is kept: a write *may be shown* if it is on some split, and is
//! *certainly shown* only when the split is unique.
//!
//! A read R **excludes** a write W when W may not be shown by R and every
//! base R may start from is the initial state or a write that returned before
//! W was invoked. In a linearizable history no read that starts after W
//! returned excludes W: its state is made by the last base before it plus the
//! appends since, and either W is among those appends or the base is W or a
//! write placed after W, which cannot have returned before W was invoked.
//! Each checker reports a situation in which a linearizable history would
//! need such a read, so none of them raises a false alarm on a linearizable
//! history (tested on every linearizable history of the test data); each is
//! far weaker than linearizability, and says something useful about stores
//! that do not promise it.
//!
//! Reads whose value cannot be split into written values at all (garbage,
//! a value never written) are left out of every judgement: the
//! linearizability checker reports those.

mod durability;
mod sessions;
mod staleness;

pub use durability::{DurabilityReport, LostWrite, lost_writes};
pub use sessions::{Guarantee, SessionReport, SessionViolation, session_violations};
pub use staleness::{StaleRead, StalenessReport, format_nanos, stale_reads};

use crate::history::{KvInput, KvOutput, Operation, Outcome};
use std::collections::BTreeMap;

/// A write of the history, as the weak checkers see it.
#[derive(Clone, Debug)]
pub(crate) struct Write {
    /// Index of the operation in the history.
    pub op: usize,
    pub client: u64,
    pub key: String,
    /// Whether it replaces the value (put, successful cas) or appends.
    pub base: bool,
    /// Acknowledged: the client was told it happened.
    pub acked: bool,
    pub call: u64,
    /// Return time, for acknowledged writes.
    pub ret: Option<u64>,
}

/// A read of the history and what its value shows.
#[derive(Clone, Debug)]
pub(crate) struct Read {
    pub op: usize,
    pub client: u64,
    pub key: String,
    pub call: u64,
    pub ret: u64,
    /// Whether the value splits into written values at all.
    pub explained: bool,
    /// Writes (indexes into `Analysis::writes`) on some split, as a bit
    /// set over the writes.
    pub possible_bits: Vec<u64>,
    /// Writes on the only split (empty when there are several).
    pub certain: Vec<usize>,
    /// The bases the value may start from: `None` is the initial state.
    pub bases: Vec<Option<usize>>,
}

/// The three weak checkers' findings on one history.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WeakReport {
    /// Acknowledged writes lost.
    pub durability: DurabilityReport,
    /// Session-guarantee violations.
    pub sessions: SessionReport,
    /// Stale reads.
    pub staleness: StalenessReport,
}

/// Runs all three checkers, splitting the values read once.
pub fn check_weak(history: &[Operation<KvInput, KvOutput>]) -> WeakReport {
    let analysis = Analysis::new(history);
    WeakReport {
        durability: durability::lost_writes_in(&analysis),
        sessions: sessions::session_violations_in(&analysis),
        staleness: staleness::stale_reads_in(&analysis),
    }
}

/// The writes and reads of a key-value history, each read split into the
/// written values it shows.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub(crate) writes: Vec<Write>,
    pub(crate) reads: Vec<Read>,
}

impl Analysis {
    /// Splits every read of `history` into the written values it shows.
    /// Cost: linear in the total length of the values read, times the
    /// length of the longest written value.
    pub fn new(history: &[Operation<KvInput, KvOutput>]) -> Analysis {
        let mut writes = Vec::new();
        for (op, o) in history.iter().enumerate() {
            let acked = matches!(o.outcome, Outcome::Ok(_));
            let base = match (&o.input, &o.outcome) {
                (_, Outcome::Fail) => continue,
                (KvInput::Put { .. }, _) => true,
                (KvInput::Append { .. }, _) => false,
                (KvInput::Cas { .. }, Outcome::Ok(KvOutput::Cas(true)) | Outcome::Unknown) => true,
                _ => continue,
            };
            writes.push(Write {
                op,
                client: o.client,
                key: o.input.key().to_string(),
                base,
                acked,
                call: o.call,
                ret: if acked { o.ret } else { None },
            });
        }
        // Per key: the written values in a trie, with their writers.
        let mut tries: BTreeMap<&str, Trie> = BTreeMap::new();
        for (w, write) in writes.iter().enumerate() {
            let value = match &history[write.op].input {
                KvInput::Put { value, .. } | KvInput::Append { value, .. } => value,
                KvInput::Cas { new, .. } => new,
                KvInput::Get { .. } => continue,
            };
            tries
                .entry(history[write.op].input.key())
                .or_insert_with(Trie::new)
                .insert(value.as_bytes(), w, write.base);
        }
        let empty = Trie::new();
        let mut reads = Vec::new();
        for (op, o) in history.iter().enumerate() {
            let (KvInput::Get { key }, Outcome::Ok(KvOutput::Value(value)), Some(ret)) =
                (&o.input, &o.outcome, o.ret)
            else {
                continue;
            };
            let trie = tries.get(key.as_str()).unwrap_or(&empty);
            let split = split(value.as_deref().unwrap_or("").as_bytes(), trie);
            let mut possible_bits = vec![0u64; writes.len().div_ceil(64)];
            for &w in &split.possible {
                possible_bits[w / 64] |= 1 << (w % 64);
            }
            reads.push(Read {
                possible_bits,
                op,
                client: o.client,
                key: key.clone(),
                call: o.call,
                ret,
                explained: split.explained,
                certain: split.certain,
                bases: split.bases,
            });
        }
        Analysis { writes, reads }
    }

    /// Whether write `b` returned before write `w` was invoked.
    pub(crate) fn before(&self, b: usize, w: usize) -> bool {
        let (b, w) = (&self.writes[b], &self.writes[w]);
        b.acked && b.ret.is_some_and(|r| r < w.call)
    }

    /// Whether read `r` excludes write `w` (see the module documentation).
    pub(crate) fn excludes(&self, r: &Read, w: usize) -> bool {
        r.explained
            && r.possible_bits[w / 64] & (1 << (w % 64)) == 0
            && r.bases
                .iter()
                .all(|b| b.is_none_or(|b| b != w && self.before(b, w)))
    }

    /// Operation index of write `w`.
    pub(crate) fn op(&self, w: usize) -> usize {
        self.writes[w].op
    }
}

struct Split {
    explained: bool,
    possible: Vec<usize>,
    certain: Vec<usize>,
    bases: Vec<Option<usize>>,
}

/// The written values of one key, as a trie over their bytes; each node
/// lists the writes whose value ends there, as a base or as an append.
struct Trie {
    /// Children of each node: (byte, node), few per node.
    children: Vec<Vec<(u8, u32)>>,
    /// Writers of the value ending at each node: (write, is a base).
    writers: Vec<Vec<(usize, bool)>>,
    /// Bases whose value is empty.
    empty_bases: Vec<usize>,
}

impl Trie {
    fn new() -> Trie {
        Trie {
            children: vec![Vec::new()],
            writers: vec![Vec::new()],
            empty_bases: Vec::new(),
        }
    }

    fn insert(&mut self, value: &[u8], write: usize, base: bool) {
        if value.is_empty() {
            if base {
                self.empty_bases.push(write);
            }
            return;
        }
        let mut node = 0usize;
        for &byte in value {
            node = match self.children[node].iter().find(|(b, _)| *b == byte) {
                Some(&(_, next)) => next as usize,
                None => {
                    let next = self.children.len();
                    self.children.push(Vec::new());
                    self.writers.push(Vec::new());
                    self.children[node].push((byte, next as u32));
                    next
                }
            };
        }
        self.writers[node].push((write, base));
    }
}

/// An edge of a split: the written value `value[from..to]`, whose writers
/// are `trie.writers[node]`.
#[derive(Clone, Copy)]
struct Edge {
    from: usize,
    to: usize,
    node: usize,
}

/// Splits `value` into a base (or none) followed by appended values, every
/// way it can be done. Positions reachable from the start and from which the
/// end is reachable bound the edges that lie on some split.
fn split(value: &[u8], trie: &Trie) -> Split {
    let n = value.len();
    // A base may only start the value; appends may be anywhere. Edges come
    // out ordered by `from`.
    let usable = |edge: &Edge| {
        trie.writers[edge.node]
            .iter()
            .any(|&(_, base)| !base || edge.from == 0)
    };
    let mut edges: Vec<Edge> = Vec::new();
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    for from in 0..n {
        if !reach[from] {
            continue;
        }
        let mut node = 0usize;
        for (offset, &byte) in value[from..].iter().enumerate() {
            match trie.children[node].iter().find(|(b, _)| *b == byte) {
                Some(&(_, next)) => node = next as usize,
                None => break,
            }
            let edge = Edge {
                from,
                to: from + offset + 1,
                node,
            };
            if !trie.writers[node].is_empty() && usable(&edge) {
                reach[edge.to] = true;
                edges.push(edge);
            }
        }
    }
    // Splits from each position to the end, saturating at 2.
    let writers_at = |edge: &Edge| {
        trie.writers[edge.node]
            .iter()
            .filter(|&&(_, base)| !base || edge.from == 0)
            .count()
    };
    let mut paths = vec![0u8; n + 1];
    paths[n] = 1;
    for edge in edges.iter().rev() {
        let count = paths[edge.to].saturating_mul(writers_at(edge).min(2) as u8);
        paths[edge.from] = paths[edge.from].saturating_add(count).min(2);
    }
    if paths[0] == 0 {
        return Split {
            explained: false,
            possible: Vec::new(),
            certain: Vec::new(),
            bases: Vec::new(),
        };
    }
    let mut possible = Vec::new();
    let mut bases = Vec::new();
    let mut starts_bare = n == 0;
    for edge in &edges {
        if paths[edge.to] == 0 {
            continue;
        }
        for &(w, base) in &trie.writers[edge.node] {
            if base && edge.from != 0 {
                continue;
            }
            possible.push(w);
            if edge.from == 0 {
                if base {
                    bases.push(Some(w));
                } else {
                    starts_bare = true;
                }
            }
        }
    }
    if starts_bare {
        bases.push(None);
        bases.extend(trie.empty_bases.iter().map(|&w| Some(w)));
        possible.extend_from_slice(&trie.empty_bases);
    }
    possible.sort_unstable();
    possible.dedup();
    let mut certain = Vec::new();
    if paths[0] == 1 && trie.empty_bases.is_empty() {
        let mut at = 0;
        let mut next = edges.iter().peekable();
        while at < n {
            let edge = next
                .by_ref()
                .find(|e| e.from == at && paths[e.to] > 0)
                .expect("a unique split continues");
            let &(w, _) = trie.writers[edge.node]
                .iter()
                .find(|&&(_, base)| !base || edge.from == 0)
                .expect("an edge has a writer");
            certain.push(w);
            at = edge.to;
        }
        certain.sort_unstable();
        certain.dedup();
    }
    Split {
        explained: true,
        possible,
        certain,
        bases,
    }
}

/// The `p`-th percentile (nearest rank) of `sorted`, 0 when empty.
pub(crate) fn percentile(sorted: &[u64], p: u64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() as u64 * p).div_ceil(100).max(1) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::history::History;

    /// A compact history builder: `(client, "put k v" | "append k v" |
    /// "get k v" | "get k" (absent), call, ret)`; `ret` 0 is unknown.
    pub(crate) fn history(ops: &[(u64, &str, u64, u64)]) -> History<KvInput, KvOutput> {
        ops.iter()
            .map(|&(client, text, call, ret)| {
                let words: Vec<&str> = text.split(' ').collect();
                let key = words[1].to_string();
                let value = words.get(2).map(|v| v.to_string());
                let (input, output) = match words[0] {
                    "put" => (
                        KvInput::Put {
                            key,
                            value: value.unwrap(),
                        },
                        KvOutput::Written,
                    ),
                    "append" => (
                        KvInput::Append {
                            key,
                            value: value.unwrap(),
                        },
                        KvOutput::Written,
                    ),
                    "get" => (KvInput::Get { key }, KvOutput::Value(value)),
                    other => panic!("unknown operation {other}"),
                };
                Operation {
                    client,
                    input,
                    call,
                    outcome: if ret == 0 {
                        Outcome::Unknown
                    } else {
                        Outcome::Ok(output)
                    },
                    ret: (ret != 0).then_some(ret),
                }
            })
            .collect()
    }

    #[test]
    fn a_value_splits_into_its_base_and_appends() {
        let h = history(&[
            (0, "put k 0.1", 1, 2),
            (0, "append k 0.2", 3, 4),
            (1, "append k 1.1", 3, 0),
            (1, "get k 0.10.2", 5, 6),
            (1, "get k 1.1", 7, 8),
            (1, "get k zz", 9, 10),
            (1, "get k", 11, 12),
        ]);
        let a = Analysis::new(&h);
        let r = &a.reads;
        assert_eq!(
            (r[0].certain.clone(), r[0].bases.clone()),
            (vec![0, 1], vec![Some(0)])
        );
        assert_eq!(
            (r[1].certain.clone(), r[1].bases.clone()),
            (vec![2], vec![None])
        );
        assert!(!r[2].explained);
        assert_eq!(r[3].bases, vec![None]);
        assert!(a.excludes(&r[3], 0) && a.excludes(&r[1], 0));
        // The put returned before the append: a read of the base alone
        // excludes it, one of the base and the append does not.
        assert!(!a.excludes(&r[0], 1));
    }

    #[test]
    fn ambiguous_splits_show_nothing_for_certain() {
        // "1.23.4" is "1.2" + "3.4" or "1.23" + ".4"; here both exist.
        let h = history(&[
            (1, "append k 1.2", 1, 2),
            (1, "append k 3.4", 3, 4),
            (1, "append k 1.23", 1, 0),
            (1, "append k .4", 1, 0),
            (0, "get k 1.23.4", 5, 6),
        ]);
        let a = Analysis::new(&h);
        // Every write may be shown (none is excluded), none for certain.
        assert!((0..4).all(|w| !a.excludes(&a.reads[0], w)));
        assert!(a.reads[0].certain.is_empty());
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values: Vec<u64> = (1..=200).collect();
        assert_eq!(percentile(&values, 99), 198);
        assert_eq!(percentile(&values, 100), 200);
        assert_eq!(percentile(&[], 99), 0);
        assert_eq!(percentile(&[5], 99), 5);
    }
}
