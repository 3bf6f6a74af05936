//! Acknowledged writes survive: no write the client was told succeeded is
//! missing from the last look anyone had at its key.

use super::Analysis;
use crate::history::{KvInput, KvOutput, Operation};
use serde::Serialize;
use std::collections::BTreeMap;

/// An acknowledged write that the last reads of its key exclude.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LostWrite {
    /// The write (index in the history).
    pub write: usize,
    /// The client that wrote it.
    pub client: u64,
    /// Its key.
    pub key: String,
    /// The last read of the key (index in the history): invoked after the
    /// write returned, it shows a state without it.
    pub read: usize,
}

/// What [`lost_writes`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DurabilityReport {
    /// Acknowledged writes in the history.
    pub acknowledged: usize,
    /// Of those, judged: some read of the key was invoked after the write
    /// returned.
    pub judged: usize,
    /// The lost ones, in history order.
    pub lost: Vec<LostWrite>,
}

impl DurabilityReport {
    /// One line: `0 of 812 judged acknowledged writes lost`.
    pub fn summary(&self) -> String {
        format!(
            "{} of {} judged acknowledged writes lost ({} acknowledged)",
            self.lost.len(),
            self.judged,
            self.acknowledged
        )
    }
}

/// Finds the acknowledged writes that did not survive.
///
/// For each key, the **last reads** are the reads of the key (completed,
/// with a value that splits into written values) with the latest invocation
/// time. They judge every acknowledged write of the key that returned before
/// they were invoked: such a write is **lost** when every last read
/// excludes it (see [`weak`](super)): for a `put`, the value read is the
/// initial state or comes from a write that returned before the put was
/// invoked; for an `append`, in addition, the appended value is missing.
/// Writes that returned after the last reads began are not judged: nothing
/// looked after them.
///
/// A linearizable history never has a lost write (the last read starts after
/// the write returned). A stale read at the very end of a history reports a
/// write as lost although a later read would have shown it: the check sees
/// only what the clients saw, so let the clients read for a while after the
/// faults stop.
pub fn lost_writes(history: &[Operation<KvInput, KvOutput>]) -> DurabilityReport {
    lost_writes_in(&Analysis::new(history))
}

pub(crate) fn lost_writes_in(a: &Analysis) -> DurabilityReport {
    let mut last: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (r, read) in a.reads.iter().enumerate() {
        if !read.explained {
            continue;
        }
        let entry = last.entry(read.key.as_str()).or_default();
        match entry.first().map(|&l| a.reads[l].call) {
            Some(call) if call > read.call => {}
            Some(call) if call == read.call => entry.push(r),
            _ => *entry = vec![r],
        }
    }
    let mut report = DurabilityReport::default();
    for (w, write) in a.writes.iter().enumerate() {
        if !write.acked {
            continue;
        }
        report.acknowledged += 1;
        let Some(ret) = write.ret else { continue };
        let Some(reads) = last.get(write.key.as_str()) else {
            continue;
        };
        if a.reads[reads[0]].call <= ret {
            continue;
        }
        report.judged += 1;
        if reads.iter().all(|&r| a.excludes(&a.reads[r], w)) {
            report.lost.push(LostWrite {
                write: write.op,
                client: write.client,
                key: write.key.clone(),
                read: a.reads[reads[0]].op,
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::super::tests::history;
    use super::*;

    #[test]
    fn a_put_overwritten_later_is_not_lost() {
        let h = history(&[
            (0, "put k 0.1", 1, 2),
            (1, "put k 1.1", 3, 4),
            (2, "get k 1.1", 5, 6),
        ]);
        let report = lost_writes(&h);
        assert_eq!((report.acknowledged, report.judged), (2, 2));
        assert!(report.lost.is_empty());
    }

    #[test]
    fn a_put_missing_from_the_last_read_is_lost() {
        let h = history(&[
            (0, "put k 0.1", 1, 2),
            (1, "put k 1.1", 3, 4),
            (2, "get k 0.1", 5, 6),
            (2, "get k", 7, 8),
        ]);
        let report = lost_writes(&h);
        let lost: Vec<usize> = report.lost.iter().map(|l| l.write).collect();
        assert_eq!(lost, vec![0, 1]);
        assert_eq!(report.lost[1].read, 3);
    }

    #[test]
    fn a_concurrent_put_may_have_overwritten() {
        // 1.1 was invoked before 0.1 returned: it may come after it.
        let h = history(&[
            (0, "put k 0.1", 1, 4),
            (1, "put k 1.1", 3, 5),
            (2, "get k 1.1", 6, 7),
        ]);
        assert!(lost_writes(&h).lost.is_empty());
    }

    #[test]
    fn an_append_missing_from_the_last_read_is_lost() {
        let h = history(&[
            (0, "append k 0.1", 1, 2),
            (1, "append k 1.1", 3, 4),
            (0, "append k 0.2", 5, 6),
            (2, "get k 0.10.2", 7, 8),
        ]);
        let report = lost_writes(&h);
        assert_eq!(report.lost.len(), 1);
        assert_eq!(report.lost[0].write, 1);
        // A later put explains the missing appends.
        let h = history(&[
            (0, "append k 0.1", 1, 2),
            (1, "put k 1.1", 3, 4),
            (2, "get k 1.1", 7, 8),
        ]);
        assert!(lost_writes(&h).lost.is_empty());
    }

    #[test]
    fn writes_after_the_last_read_began_are_not_judged() {
        let h = history(&[
            (2, "get k", 1, 10),
            (0, "put k 0.1", 2, 3),
            (1, "put k 1.1", 0, 0),
        ]);
        let report = lost_writes(&h);
        assert_eq!((report.acknowledged, report.judged), (1, 0));
    }
}
