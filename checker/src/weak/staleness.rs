//! How stale reads are: in versions and in time.

use super::{Analysis, percentile};
use crate::history::{KvInput, KvOutput, Operation};
use serde::Serialize;
use std::collections::BTreeMap;

/// A read that returned an old value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaleRead {
    /// The read (index in the history).
    pub read: usize,
    /// Its client.
    pub client: u64,
    /// Its key.
    pub key: String,
    /// Acknowledged writes of the key, returned before the read was invoked,
    /// that are certainly newer than the value it returned.
    pub versions: u64,
    /// Nanoseconds (history time units) from the return of the first such
    /// write to the read's invocation.
    pub age: u64,
    /// The first such write (index in the history).
    pub newer: usize,
}

/// What [`stale_reads`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StalenessReport {
    /// Reads judged (completed, with a value that splits into written
    /// values).
    pub reads: usize,
    /// The stale ones, in history order.
    pub stale: Vec<StaleRead>,
    /// Largest staleness in versions (0 without stale reads).
    pub max_versions: u64,
    /// 99th percentile (nearest rank) of the staleness in versions over
    /// all judged reads, fresh ones counting 0.
    pub p99_versions: u64,
    /// Largest staleness in time.
    pub max_age: u64,
    /// 99th percentile of the staleness in time over all judged reads.
    pub p99_age: u64,
}

impl StalenessReport {
    /// One line: `3 of 950 reads stale; versions max 2, p99 0; ...`.
    pub fn summary(&self) -> String {
        format!(
            "{} of {} reads stale; versions behind: max {}, p99 {}; age: max {}, p99 {}",
            self.stale.len(),
            self.reads,
            self.max_versions,
            self.p99_versions,
            format_nanos(self.max_age),
            format_nanos(self.p99_age)
        )
    }

    /// Stale reads beyond the bounds: more than `max_versions` versions
    /// behind, or (when given) older than `max_age`.
    pub fn beyond(&self, max_versions: u64, max_age: Option<u64>) -> Vec<&StaleRead> {
        self.stale
            .iter()
            .filter(|s| s.versions > max_versions || max_age.is_some_and(|m| s.age > m))
            .collect()
    }
}

/// Nanoseconds for people: `850ns`, `1.5ms`, `2.25s`.
pub fn format_nanos(nanos: u64) -> String {
    if nanos == 0 {
        "0".into()
    } else if nanos < 1_000 {
        format!("{nanos}ns")
    } else if nanos < 1_000_000 {
        format!("{:.1}µs", nanos as f64 / 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.1}ms", nanos as f64 / 1e6)
    } else {
        format!("{:.2}s", nanos as f64 / 1e9)
    }
}

/// Measures every read's staleness.
///
/// A read of key k is **stale by n versions** when n acknowledged writes of
/// k returned before it was invoked and it excludes each of them (see
/// [`weak`](super)): each is certainly newer than the state it shows. Its
/// **age** is the time from the return of the earliest of them to the read's
/// invocation: how long the value read had been out of date at least. In a
/// linearizable history no read is stale. The counts are lower bounds: a
/// `put` whose order against the value's writer is unknown is not counted.
pub fn stale_reads(history: &[Operation<KvInput, KvOutput>]) -> StalenessReport {
    stale_reads_in(&Analysis::new(history))
}

pub(crate) fn stale_reads_in(a: &Analysis) -> StalenessReport {
    // Per key: acknowledged writes by return time.
    let mut by_key: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for (w, write) in a.writes.iter().enumerate() {
        if let (true, Some(ret)) = (write.acked, write.ret) {
            by_key.entry(write.key.as_str()).or_default().push((ret, w));
        }
    }
    for writes in by_key.values_mut() {
        writes.sort_unstable();
    }
    let mut report = StalenessReport::default();
    let mut versions = Vec::new();
    let mut ages = Vec::new();
    for read in &a.reads {
        if !read.explained {
            continue;
        }
        report.reads += 1;
        let writes = by_key.get(read.key.as_str()).map_or(&[][..], Vec::as_slice);
        let done = writes.partition_point(|&(ret, _)| ret < read.call);
        let mut count = 0u64;
        let mut first: Option<(u64, usize)> = None;
        for &(ret, w) in &writes[..done] {
            if a.excludes(read, w) {
                count += 1;
                if first.is_none() {
                    first = Some((ret, w));
                }
            }
        }
        let age = first.map_or(0, |(ret, _)| read.call - ret);
        versions.push(count);
        ages.push(age);
        if let Some((_, w)) = first {
            report.stale.push(StaleRead {
                read: read.op,
                client: read.client,
                key: read.key.clone(),
                versions: count,
                age,
                newer: a.op(w),
            });
        }
    }
    versions.sort_unstable();
    ages.sort_unstable();
    report.max_versions = versions.last().copied().unwrap_or(0);
    report.max_age = ages.last().copied().unwrap_or(0);
    report.p99_versions = percentile(&versions, 99);
    report.p99_age = percentile(&ages, 99);
    report
}

#[cfg(test)]
mod tests {
    use super::super::tests::history;
    use super::*;

    #[test]
    fn fresh_reads_are_not_stale() {
        let h = history(&[
            (0, "put k 0.1", 1, 2),
            (1, "get k 0.1", 3, 4),
            (0, "put k 0.2", 5, 9),
            (1, "get k 0.1", 6, 7),
        ]);
        let report = stale_reads(&h);
        assert_eq!(report.reads, 2);
        assert!(report.stale.is_empty(), "{report:?}");
    }

    #[test]
    fn a_stale_read_counts_versions_and_age() {
        let h = history(&[
            (0, "put k 0.1", 10, 20),
            (0, "put k 0.2", 30, 40),
            (0, "put k 0.3", 50, 60),
            (1, "get k 0.1", 100, 110),
            (1, "get k 0.3", 120, 130),
        ]);
        let report = stale_reads(&h);
        assert_eq!(report.stale.len(), 1);
        let s = &report.stale[0];
        assert_eq!((s.read, s.versions, s.age, s.newer), (3, 2, 60, 1));
        assert_eq!((report.max_versions, report.max_age), (2, 60));
        assert_eq!(report.beyond(1, None).len(), 1);
        assert_eq!(report.beyond(2, None).len(), 0);
        assert_eq!(report.beyond(2, Some(59)).len(), 1);
    }

    #[test]
    fn a_read_of_nothing_after_appends_is_stale() {
        let h = history(&[
            (0, "append k 0.1", 1, 2),
            (0, "append k 0.2", 3, 4),
            (1, "get k 0.1", 5, 6),
            (1, "get k", 7, 8),
        ]);
        let report = stale_reads(&h);
        let found: Vec<(usize, u64)> = report.stale.iter().map(|s| (s.read, s.versions)).collect();
        assert_eq!(found, vec![(2, 1), (3, 2)]);
    }
}
