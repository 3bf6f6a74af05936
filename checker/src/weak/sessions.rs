//! Session guarantees (Terry et al., PDIS 1994, §3), judged from the client
//! side: each client's operations form its session.

use super::{Analysis, Read};
use crate::history::{KvInput, KvOutput, Operation};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One of the four session guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guarantee {
    /// A read sees the session's earlier writes.
    ReadYourWrites,
    /// A read sees what the session's earlier reads saw.
    MonotonicReads,
    /// A session's writes are seen in the order it made them.
    MonotonicWrites,
    /// A session's write is seen only together with what the session had
    /// read before making it.
    WritesFollowReads,
}

impl Guarantee {
    /// All four, in the paper's order.
    pub const ALL: [Guarantee; 4] = [
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::WritesFollowReads,
        Guarantee::MonotonicWrites,
    ];

    /// The name scenario files and reports use (`read-your-writes`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Guarantee::ReadYourWrites => "read-your-writes",
            Guarantee::MonotonicReads => "monotonic-reads",
            Guarantee::MonotonicWrites => "monotonic-writes",
            Guarantee::WritesFollowReads => "writes-follow-reads",
        }
    }

    /// The guarantee named `name`.
    pub fn from_name(name: &str) -> Option<Guarantee> {
        Guarantee::ALL.into_iter().find(|g| g.name() == name)
    }
}

impl fmt::Display for Guarantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A read that breaks a session guarantee. Operations are history indexes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionViolation {
    /// Which guarantee.
    pub guarantee: Guarantee,
    /// The session (client) whose guarantee it is.
    pub client: u64,
    /// The key.
    pub key: String,
    /// The read whose value breaks it.
    pub read: usize,
    /// The write the read should show and excludes.
    pub missing: usize,
    /// Why it should show it: for read-your-writes the missing write itself;
    /// for monotonic reads the session's earlier read that showed it; for
    /// monotonic writes and writes-follow-reads the session's write that the
    /// read shows.
    pub because: usize,
}

impl SessionViolation {
    /// In words, with `describe` naming an operation.
    pub fn describe(&self, describe: impl Fn(usize) -> String) -> String {
        match self.guarantee {
            Guarantee::ReadYourWrites => format!(
                "{}: client {}'s read #{} {} misses its own earlier write #{} {}",
                self.guarantee,
                self.client,
                self.read,
                describe(self.read),
                self.missing,
                describe(self.missing)
            ),
            Guarantee::MonotonicReads => format!(
                "{}: client {}'s read #{} {} misses write #{} {} that its earlier read #{} showed",
                self.guarantee,
                self.client,
                self.read,
                describe(self.read),
                self.missing,
                describe(self.missing),
                self.because
            ),
            Guarantee::MonotonicWrites => format!(
                "{}: read #{} {} shows client {}'s write #{} but not its earlier write #{} {}",
                self.guarantee,
                self.read,
                describe(self.read),
                self.client,
                self.because,
                self.missing,
                describe(self.missing)
            ),
            Guarantee::WritesFollowReads => format!(
                "{}: read #{} {} shows client {}'s write #{} but not write #{} {} that the client had read before making it",
                self.guarantee,
                self.read,
                describe(self.read),
                self.client,
                self.because,
                self.missing,
                describe(self.missing)
            ),
        }
    }
}

/// What [`session_violations`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// Reads judged (completed, with a value that splits into written
    /// values).
    pub reads: usize,
    /// Violations, at most one per read and guarantee, ordered by read.
    pub violations: Vec<SessionViolation>,
}

impl SessionReport {
    /// Violations of `guarantee`.
    pub fn count(&self, guarantee: Guarantee) -> usize {
        self.violations
            .iter()
            .filter(|v| v.guarantee == guarantee)
            .count()
    }

    /// One line: the count per guarantee among `checked`.
    pub fn summary(&self, checked: &[Guarantee]) -> String {
        let parts: Vec<String> = checked
            .iter()
            .map(|&g| format!("{g} {}", self.count(g)))
            .collect();
        format!("violations over {} reads: {}", self.reads, parts.join(", "))
    }
}

/// Checks the four session guarantees of every client, adapted to what a
/// client-side history shows (every violation is also a linearizability
/// violation; see `docs/checkers.md`):
///
/// - **read-your-writes**: a read excludes an acknowledged write its own
///   client made (and saw return) before invoking it;
/// - **monotonic reads**: a read excludes a write that an earlier read of
///   the same client, returned before it was invoked, showed for certain;
/// - **monotonic writes**: a read (by anyone) shows a write W2 of client c
///   for certain and excludes an acknowledged write W1 of c to the same key
///   that returned before W2 was invoked;
/// - **writes-follow-reads**: a read (by anyone) shows a write W2 of client c
///   for certain and excludes a write that c had seen for certain in a read
///   of the same key returned before W2 was invoked.
///
/// "Excludes" and "shows for certain" are defined in [`weak`](super). The
/// paper's definitions speak of the writes a *server* holds, across keys; a
/// client history only shows, per key, the writes a value still carries, so
/// a `put` overwritten by a later one is never missed and orders between
/// keys are not judged.
pub fn session_violations(history: &[Operation<KvInput, KvOutput>]) -> SessionReport {
    session_violations_in(&Analysis::new(history))
}

/// A write a client had seen: the write and the read that showed it.
#[derive(Clone, Copy)]
struct Seen {
    write: usize,
    read_op: usize,
    known_at: u64,
}

pub(crate) fn session_violations_in(a: &Analysis) -> SessionReport {
    let mut report = SessionReport::default();
    // Per (client, key): writes seen for certain, in the order learnt.
    let mut seen: BTreeMap<(u64, &str), Vec<Seen>> = BTreeMap::new();
    // The same, as a set: each write is kept once, with the first read that
    // showed it.
    let mut known: BTreeMap<(u64, &str), BTreeSet<usize>> = BTreeMap::new();
    // Per write: how many entries its client's `seen` of its key had when
    // it was invoked (its reads-before).
    let mut seen_before_write: Vec<usize> = vec![0; a.writes.len()];
    // Per (client, key): the client's writes in invocation order.
    let mut own: BTreeMap<(u64, &str), Vec<usize>> = BTreeMap::new();
    // Walk operations in history order per client: merge reads and writes
    // by invocation time (ties: history order).
    let mut events: Vec<(u64, usize, Option<usize>, Option<usize>)> = Vec::new();
    for (w, write) in a.writes.iter().enumerate() {
        events.push((write.call, write.op, Some(w), None));
    }
    for (r, read) in a.reads.iter().enumerate() {
        if read.explained {
            events.push((read.call, read.op, None, Some(r)));
        }
    }
    events.sort_unstable();
    let mut per_read: Vec<Vec<SessionViolation>> = vec![Vec::new(); a.reads.len()];
    for &(_, _, write, read) in &events {
        if let Some(w) = write {
            let write = &a.writes[w];
            let key = (write.client, write.key.as_str());
            seen_before_write[w] = seen.get(&key).map_or(0, Vec::len);
            own.entry(key).or_default().push(w);
            continue;
        }
        let r = read.expect("a read event");
        let read = &a.reads[r];
        let key = (read.client, read.key.as_str());
        // Read your writes.
        if let Some(&w) = own.get(&key).into_iter().flatten().find(|&&w| {
            a.writes[w].acked
                && a.writes[w].ret.is_some_and(|t| t < read.call)
                && a.excludes(read, w)
        }) {
            per_read[r].push(violation(a, Guarantee::ReadYourWrites, read, w, a.op(w)));
        }
        // Monotonic reads.
        let earlier = seen.entry(key).or_default();
        if let Some(s) = earlier
            .iter()
            .find(|s| s.known_at < read.call && a.excludes(read, s.write))
        {
            per_read[r].push(violation(
                a,
                Guarantee::MonotonicReads,
                read,
                s.write,
                s.read_op,
            ));
        }
        let known = known.entry(key).or_default();
        for &w in &read.certain {
            if known.insert(w) {
                earlier.push(Seen {
                    write: w,
                    read_op: read.op,
                    known_at: read.ret,
                });
            }
        }
    }
    // Monotonic writes and writes follow reads: for each read and each
    // client, the latest write of that client the read shows for certain.
    for (r, read) in a.reads.iter().enumerate() {
        if !read.explained {
            continue;
        }
        let mut latest: BTreeMap<u64, usize> = BTreeMap::new();
        for &w in &read.certain {
            let entry = latest.entry(a.writes[w].client).or_insert(w);
            if a.writes[w].call > a.writes[*entry].call {
                *entry = w;
            }
        }
        for (&client, &w2) in &latest {
            let key = (client, read.key.as_str());
            let call = a.writes[w2].call;
            if let Some(&w1) = own.get(&key).into_iter().flatten().find(|&&w1| {
                w1 != w2
                    && a.writes[w1].acked
                    && a.writes[w1].ret.is_some_and(|t| t < call)
                    && a.excludes(read, w1)
            }) {
                per_read[r].push(SessionViolation {
                    guarantee: Guarantee::MonotonicWrites,
                    client,
                    key: read.key.clone(),
                    read: read.op,
                    missing: a.op(w1),
                    because: a.op(w2),
                });
            }
            let before = &seen.get(&key).map_or(&[][..], Vec::as_slice)[..seen_before_write[w2]];
            if let Some(s) = before
                .iter()
                .find(|s| s.known_at < call && a.excludes(read, s.write))
            {
                per_read[r].push(SessionViolation {
                    guarantee: Guarantee::WritesFollowReads,
                    client,
                    key: read.key.clone(),
                    read: read.op,
                    missing: a.op(s.write),
                    because: a.op(w2),
                });
            }
        }
    }
    report.reads = a.reads.iter().filter(|r| r.explained).count();
    let mut all: Vec<SessionViolation> = per_read.into_iter().flatten().collect();
    all.sort_by_key(|v| (v.read, v.guarantee, v.client));
    report.violations = all;
    report
}

fn violation(
    a: &Analysis,
    guarantee: Guarantee,
    read: &Read,
    missing: usize,
    because: usize,
) -> SessionViolation {
    SessionViolation {
        guarantee,
        client: read.client,
        key: read.key.clone(),
        read: read.op,
        missing: a.op(missing),
        because,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::history;
    use super::*;

    fn found(h: &[(u64, &str, u64, u64)]) -> Vec<(Guarantee, u64, usize, usize, usize)> {
        session_violations(&history(h))
            .violations
            .iter()
            .map(|v| (v.guarantee, v.client, v.read, v.missing, v.because))
            .collect()
    }

    #[test]
    fn reading_your_own_write_is_fine_and_missing_it_is_not() {
        assert!(found(&[(0, "put k 0.1", 1, 2), (0, "get k 0.1", 3, 4)]).is_empty());
        assert_eq!(
            found(&[(0, "put k 0.1", 1, 2), (0, "get k", 3, 4)]),
            vec![(Guarantee::ReadYourWrites, 0, 1, 0, 0)]
        );
        // Another client's read may miss it (that is a stale read, not a
        // session violation).
        assert!(found(&[(0, "put k 0.1", 1, 2), (1, "get k", 3, 4)]).is_empty());
    }

    #[test]
    fn reads_must_not_go_back() {
        let h = [
            (1, "append k 1.1", 1, 2),
            (0, "get k 1.1", 3, 4),
            (0, "get k", 5, 6),
        ];
        assert_eq!(found(&h), vec![(Guarantee::MonotonicReads, 0, 2, 0, 1)]);
        // Going forward is fine; so is another client seeing less.
        let h = [
            (1, "append k 1.1", 1, 2),
            (0, "get k 1.1", 3, 4),
            (1, "append k 1.2", 5, 6),
            (0, "get k 1.11.2", 7, 8),
            (2, "get k", 9, 10),
        ];
        assert!(found(&h).is_empty());
    }

    #[test]
    fn a_session_writes_are_seen_in_order() {
        let h = [
            (0, "append k 0.1", 1, 2),
            (0, "append k 0.2", 3, 4),
            (1, "get k 0.2", 5, 6),
        ];
        assert_eq!(found(&h), vec![(Guarantee::MonotonicWrites, 0, 2, 0, 1)]);
        let h = [
            (0, "append k 0.1", 1, 2),
            (0, "append k 0.2", 3, 4),
            (1, "get k 0.10.2", 5, 6),
        ];
        assert!(found(&h).is_empty());
    }

    #[test]
    fn a_write_carries_what_its_session_read() {
        let h = [
            (1, "append k 1.1", 1, 2),
            (0, "get k 1.1", 3, 4),
            (0, "append k 0.1", 5, 6),
            (2, "get k 0.1", 7, 8),
        ];
        assert_eq!(found(&h), vec![(Guarantee::WritesFollowReads, 0, 3, 0, 2)]);
        let h = [
            (1, "append k 1.1", 1, 2),
            (0, "get k 1.1", 3, 4),
            (0, "append k 0.1", 5, 6),
            (2, "get k 1.10.1", 7, 8),
        ];
        assert!(found(&h).is_empty());
    }

    #[test]
    fn guarantee_names_round_trip() {
        for g in Guarantee::ALL {
            assert_eq!(Guarantee::from_name(g.name()), Some(g));
        }
        assert_eq!(Guarantee::from_name("causal"), None);
    }
}
