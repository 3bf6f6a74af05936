//! Argument values clap cannot parse by itself: seeds, seed ranges, shards
//! and durations. Each error says what was found and what was expected.

use faultline_algorithms::scenario::parse_seed;
use std::time::Duration;

/// A range of seeds, `start` included, `end` excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    /// First seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

/// A slice of a seed range: shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// From 0.
    pub index: u64,
    /// At least 1.
    pub count: u64,
}

impl Shard {
    /// The whole range as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// The `k`-th seed of `range` in this shard (`k < self.len(range)`).
    /// Shard `index` of `count` holds the seeds `start + index`,
    /// `start + index + count`, `start + index + 2 count`, ... below `end`.
    pub fn nth(self, range: SeedRange, k: u64) -> u64 {
        range.start + self.index + k * self.count
    }

    /// How many seeds of `range` are in this shard.
    pub fn len(self, range: SeedRange) -> u64 {
        let total = range.end - range.start;
        if self.index >= total {
            0
        } else {
            (total - self.index).div_ceil(self.count)
        }
    }
}

pub fn parse_seed_arg(text: &str) -> Result<u64, String> {
    parse_seed(text)
}

pub fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    faultline_sim::time::parse_duration(text)
}

pub fn parse_seed_range(text: &str) -> Result<SeedRange, String> {
    let expected = "expected A..B (A included, B excluded), A..=B, or a single seed N";
    let (start, end) = if let Some((a, b)) = text.split_once("..=") {
        let (a, b) = (
            parse_seed(a).map_err(|e| format!("{e}; {expected}"))?,
            parse_seed(b).map_err(|e| format!("{e}; {expected}"))?,
        );
        if b < a {
            return Err(format!(
                "found {text}: the last seed is before the first; {expected}"
            ));
        }
        let end = b
            .checked_add(1)
            .ok_or_else(|| format!("found {text}: the range passes the largest seed; use A..B"))?;
        (a, end)
    } else if let Some((a, b)) = text.split_once("..") {
        let (a, b) = (
            parse_seed(a).map_err(|e| format!("{e}; {expected}"))?,
            parse_seed(b).map_err(|e| format!("{e}; {expected}"))?,
        );
        if b <= a {
            return Err(format!(
                "found {text}: an empty range (the end is not after the start); {expected}"
            ));
        }
        (a, b)
    } else {
        let n = parse_seed(text).map_err(|e| format!("{e}; {expected}"))?;
        (
            n,
            n.checked_add(1)
                .ok_or_else(|| format!("found {text}: too large for a range"))?,
        )
    };
    Ok(SeedRange { start, end })
}

pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let expected = "expected I/N with 0 <= I < N, e.g. 0/4 (shards count from 0)";
    let Some((i, n)) = text.split_once('/') else {
        return Err(format!("found {text:?}, {expected}"));
    };
    let (Ok(index), Ok(count)) = (i.trim().parse::<u64>(), n.trim().parse::<u64>()) else {
        return Err(format!("found {text:?}, {expected}"));
    };
    if count == 0 || index >= count {
        return Err(format!(
            "found {text}: shard {index} of {count} does not exist; {expected}"
        ));
    }
    Ok(Shard { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_and_their_errors() {
        assert_eq!(parse_seed_range("3..7"), Ok(SeedRange { start: 3, end: 7 }));
        assert_eq!(
            parse_seed_range("3..=7"),
            Ok(SeedRange { start: 3, end: 8 })
        );
        assert_eq!(parse_seed_range("9"), Ok(SeedRange { start: 9, end: 10 }));
        assert!(
            parse_seed_range("5..2")
                .unwrap_err()
                .contains("empty range")
        );
        assert!(
            parse_seed_range("5..5")
                .unwrap_err()
                .contains("empty range")
        );
        assert!(parse_seed_range("a..2").is_err());
    }

    #[test]
    fn shards_partition_the_range() {
        let range = SeedRange { start: 10, end: 33 };
        for count in 1..8 {
            let mut all: Vec<u64> = Vec::new();
            for index in 0..count {
                let shard = Shard { index, count };
                let seeds: Vec<u64> = (0..shard.len(range)).map(|k| shard.nth(range, k)).collect();
                assert!(seeds.iter().all(|s| (s - range.start) % count == index));
                all.extend(seeds);
            }
            all.sort();
            assert_eq!(all, (10..33).collect::<Vec<_>>());
        }
        assert_eq!(
            Shard { index: 5, count: 8 }.len(SeedRange { start: 0, end: 3 }),
            0
        );
        assert!(parse_shard("3/2").is_err());
        assert!(parse_shard("0/0").is_err());
        assert_eq!(parse_shard("1/4"), Ok(Shard { index: 1, count: 4 }));
    }
}
