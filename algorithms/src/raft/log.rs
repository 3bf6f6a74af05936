//! The replicated log, with a compacted prefix (§5.3, §7).
//!
//! Entries before `base_index` have been replaced by a snapshot; the log
//! remembers the index and term of the last compacted entry so the
//! consistency check of AppendEntries still works right after it.
//!
//! Besides the entries, the log keeps a running digest per position: the
//! digest at index `i` hashes every entry up to `i`. The protocol never reads
//! it; the invariants do, to compare whole prefixes of two logs in O(1) (Log
//! Matching, Leader Completeness). The log also counts truncations, so an
//! invariant can tell "entries were only appended since I last looked" from
//! "something was deleted" without rescanning.

use super::msg::{Entry, Index, Term};
use faultline_sim::hash::StableHasher;
use std::hash::{Hash, Hasher};

/// A Raft log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RaftLog {
    base_index: Index,
    base_term: Term,
    base_chain: u64,
    entries: Vec<Entry>,
    chains: Vec<u64>,
    truncations: u64,
}

/// The digest of a prefix ending with `entry`, given the digest before it.
pub fn chain_digest(prev: u64, entry: &Entry) -> u64 {
    let mut h = StableHasher::with_state(prev);
    entry.hash(&mut h);
    h.finish() | 1
}

/// The digest of one entry alone (State Machine Safety compares these).
pub fn entry_digest(entry: &Entry) -> u64 {
    chain_digest(0, entry)
}

impl RaftLog {
    /// The last compacted index (0: nothing compacted).
    #[inline]
    pub fn base_index(&self) -> Index {
        self.base_index
    }

    /// The term of the last compacted entry.
    #[inline]
    pub fn base_term(&self) -> Term {
        self.base_term
    }

    /// The index of the last entry (the base when the log is empty).
    #[inline]
    pub fn last_index(&self) -> Index {
        self.base_index + self.entries.len() as Index
    }

    /// The term of the last entry.
    #[inline]
    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(self.base_term, |e| e.term)
    }

    /// How many times entries were deleted from the end (or the whole log
    /// replaced by a snapshot).
    #[inline]
    pub fn truncations(&self) -> u64 {
        self.truncations
    }

    /// The term at `index`: known for the base and every entry after it.
    #[inline]
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// The entry at `index`, if it is in the (uncompacted) log.
    #[inline]
    pub fn entry(&self, index: Index) -> Option<&Entry> {
        if index <= self.base_index {
            return None;
        }
        self.entries.get((index - self.base_index - 1) as usize)
    }

    /// The prefix digest at `index`, known for the base and every entry.
    #[inline]
    pub fn chain_at(&self, index: Index) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_chain);
        }
        if index < self.base_index {
            return None;
        }
        self.chains
            .get((index - self.base_index - 1) as usize)
            .copied()
    }

    /// Up to `max` entries starting at `from` (which must be after the base).
    pub fn entries_from(&self, from: Index, max: usize) -> Vec<Entry> {
        assert!(from > self.base_index);
        let start = (from - self.base_index - 1) as usize;
        let start = start.min(self.entries.len());
        let end = (start + max).min(self.entries.len());
        self.entries[start..end].to_vec()
    }

    /// The entries after the base, with their indexes.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Index, &Entry)> + ExactSizeIterator {
        let base = self.base_index;
        self.entries
            .iter()
            .enumerate()
            .map(move |(i, e)| (base + 1 + i as Index, e))
    }

    /// Appends one entry.
    pub fn append(&mut self, entry: Entry) {
        let prev = self.chains.last().copied().unwrap_or(self.base_chain);
        self.chains.push(chain_digest(prev, &entry));
        self.entries.push(entry);
    }

    /// Appends one entry whose prefix digest is already known: `chain` must
    /// be what [`RaftLog::append`] would compute (a server mirrors its log
    /// into durable state this way without hashing every entry twice).
    pub fn append_with_chain(&mut self, entry: Entry, chain: u64) {
        assert_eq!(
            chain,
            chain_digest(
                self.chains.last().copied().unwrap_or(self.base_chain),
                &entry
            )
        );
        self.chains.push(chain);
        self.entries.push(entry);
    }

    /// Deletes the entry at `from` and every entry after it.
    pub fn truncate_from(&mut self, from: Index) {
        assert!(from > self.base_index, "cannot truncate compacted entries");
        let keep = (from.saturating_sub(self.base_index + 1)) as usize;
        if keep < self.entries.len() {
            self.entries.truncate(keep);
            self.chains.truncate(keep);
            self.truncations += 1;
        }
    }

    /// Discards entries up to and including `index` (which must be in the
    /// log), after they were captured in a snapshot.
    pub fn compact_to(&mut self, index: Index) {
        if index <= self.base_index {
            return;
        }
        let term = self
            .term_at(index)
            .expect("compacting to an index in the log");
        let chain = self.chain_at(index).expect("same");
        let drop = (index - self.base_index) as usize;
        self.entries.drain(..drop);
        self.chains.drain(..drop);
        self.base_index = index;
        self.base_term = term;
        self.base_chain = chain;
    }

    /// Replaces the log by a snapshot's position, keeping the entries after
    /// it when the log already holds the snapshot's last entry (§7: "if
    /// existing log entry has same index and term as snapshot's last
    /// included entry, retain log entries following it").
    pub fn install_snapshot(&mut self, index: Index, term: Term, chain: u64) {
        if index > self.base_index && self.term_at(index) == Some(term) {
            self.compact_to(index);
            return;
        }
        if !self.entries.is_empty() {
            self.truncations += 1;
        }
        self.entries.clear();
        self.chains.clear();
        self.base_index = index;
        self.base_term = term;
        self.base_chain = chain;
    }

    /// The first index of the run of entries with `term` that contains
    /// `index` (for the fast back-up of a conflicting follower).
    pub fn first_index_of_term_run(&self, index: Index) -> Index {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut i = index;
        while i > self.base_index + 1 && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// The last index holding an entry of `term`, if the log has one.
    pub fn last_index_of_term(&self, term: Term) -> Option<Index> {
        self.iter()
            .rev()
            .take_while(|(_, e)| e.term >= term)
            .find(|(_, e)| e.term == term)
            .map(|(i, _)| i)
            .or_else(|| (self.base_term == term && self.base_index > 0).then_some(self.base_index))
    }

    /// Whether a log ending at (`last_term`, `last_index`) is at least as
    /// up-to-date as this one (§5.4.1).
    pub fn is_behind_or_equal(&self, last_term: Term, last_index: Index) -> bool {
        last_term > self.last_term()
            || (last_term == self.last_term() && last_index >= self.last_index())
    }
}

#[cfg(test)]
mod tests {
    use super::super::msg::Command;
    use super::*;

    fn e(term: Term) -> Entry {
        Entry::new(term, Command::Noop)
    }

    #[test]
    fn append_truncate_compact_and_snapshot() {
        let mut log = RaftLog::default();
        for t in [1, 1, 2, 3, 3] {
            log.append(e(t));
        }
        assert_eq!((log.last_index(), log.last_term()), (5, 3));
        assert_eq!(log.first_index_of_term_run(5), 4);
        assert_eq!(log.last_index_of_term(1), Some(2));
        assert_eq!(log.last_index_of_term(4), None);
        let chain4 = log.chain_at(4).unwrap();
        log.truncate_from(5);
        assert_eq!((log.last_index(), log.truncations()), (4, 1));
        log.compact_to(2);
        assert_eq!((log.base_index(), log.base_term()), (2, 1));
        assert_eq!(log.term_at(2), Some(1));
        assert_eq!(log.entry(2), None);
        assert_eq!(log.chain_at(4), Some(chain4));
        assert_eq!(log.entries_from(3, 10).len(), 2);
        // A snapshot that matches an entry keeps the suffix.
        log.install_snapshot(3, 2, log.chain_at(3).unwrap());
        assert_eq!(
            (log.base_index(), log.last_index(), log.truncations()),
            (3, 4, 1)
        );
        // One that does not replaces everything.
        log.install_snapshot(9, 5, 77);
        assert_eq!(
            (log.base_index(), log.last_index(), log.truncations()),
            (9, 9, 2)
        );
        assert!(log.is_behind_or_equal(5, 9));
        assert!(!log.is_behind_or_equal(4, 20));
    }

    #[test]
    fn equal_prefixes_have_equal_digests() {
        let mut a = RaftLog::default();
        let mut b = RaftLog::default();
        for t in [1, 2, 2] {
            a.append(e(t));
            b.append(e(t));
        }
        assert_eq!(a.chain_at(3), b.chain_at(3));
        b.truncate_from(2);
        b.append(e(3));
        b.append(e(2));
        assert_eq!(b.term_at(3), Some(2));
        assert_ne!(a.chain_at(3), b.chain_at(3));
    }
}
