//! `faultline merge-summaries`: one report from the shards of a sweep.
//!
//! The shards must come from the same scenario, seed range, expectation
//! and shard count, and every shard index from 0 to N-1 must appear
//! exactly once. Counts and outcome tallies add up; the digest is the
//! wrapping sum of the shards' digests (equal to an unsharded sweep's).

use crate::check::{ShardSpan, Summary, write_summary};
use crate::cli::MergeArgs;
use anyhow::{Context, anyhow, bail};
use faultline_algorithms::scenario::replay::{format_fingerprint, parse_fingerprint};
use faultline_checker::text::{decode_utf8, plain_serde_message, shorten_values};
use std::path::Path;

/// Reads the summary at `path`; errors name the file and, for its
/// content, the line and column.
fn read_summary(path: &Path) -> anyhow::Result<Summary> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = decode_utf8(&bytes)
        .map_err(|at| anyhow!("{}:{}:{}: {at}", path.display(), at.line, at.column))?;
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let place = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&place).unwrap_or(&message);
        anyhow!(
            "{}:{}:{}: not a summary written by `faultline check --summary-json`: {}",
            path.display(),
            e.line(),
            e.column(),
            shorten_values(&plain_serde_message(message, |_| None))
        )
    })
}

pub fn merge(args: MergeArgs) -> anyhow::Result<bool> {
    let mut parts: Vec<Summary> = Vec::new();
    for path in &args.summaries {
        parts.push(read_summary(path)?);
    }
    let first = parts[0].clone();
    for (s, path) in parts.iter().zip(&args.summaries) {
        if (&s.scenario, s.seeds, s.shard.count, &s.expect)
            != (
                &first.scenario,
                first.seeds,
                first.shard.count,
                &first.expect,
            )
        {
            bail!(
                "{} is from another sweep: {} seeds {}..{} in {} shards, expected {} seeds {}..{} in {} shards",
                path.display(),
                s.scenario,
                s.seeds.start,
                s.seeds.end,
                s.shard.count,
                first.scenario,
                first.seeds.start,
                first.seeds.end,
                first.shard.count
            );
        }
    }
    let count = first.shard.count;
    let mut seen = vec![false; count as usize];
    for (s, path) in parts.iter().zip(&args.summaries) {
        let slot = &mut seen[s.shard.index as usize];
        if *slot {
            bail!(
                "{}: shard {}/{count} appears twice",
                path.display(),
                s.shard.index
            );
        }
        *slot = true;
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !seen[*i as usize])
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "shards {} are missing; expected all {count} shards of the sweep",
            missing.join(", ")
        );
    }
    let mut merged = Summary {
        shard: ShardSpan { index: 0, count: 1 },
        planned: 0,
        run: 0,
        matched: 0,
        failed: 0,
        outcomes: Default::default(),
        digest: String::new(),
        failures: Vec::new(),
        wall_seconds: 0.0,
        ..first.clone()
    };
    let mut digest = 0u64;
    for (s, path) in parts.iter().zip(&args.summaries) {
        merged.planned += s.planned;
        merged.run += s.run;
        merged.matched += s.matched;
        merged.failed += s.failed;
        merged.wall_seconds = merged.wall_seconds.max(s.wall_seconds);
        for (k, v) in &s.outcomes {
            *merged.outcomes.entry(k.clone()).or_default() += v;
        }
        merged.failures.extend(s.failures.iter().cloned());
        digest = digest.wrapping_add(parse_fingerprint(&s.digest).with_context(|| {
            shorten_values(&format!(
                "{}: found the digest {:?}, expected 0x and 1 to 16 hexadecimal digits",
                path.display(),
                s.digest
            ))
        })?);
    }
    merged.failures.sort_by_key(|f| f.seed);
    merged.digest = format_fingerprint(digest);
    // Files first: a closed standard output must not lose the summary.
    if let Some(path) = &args.out {
        write_summary(&merged, path)?;
    }
    let outcomes: Vec<String> = merged
        .outcomes
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    outln!(
        "{}: {} shards, {} of {} seeds run: {} as expected, {} failed [{}]",
        merged.scenario,
        count,
        merged.run,
        merged.planned,
        merged.matched,
        merged.failed,
        outcomes.join(", ")
    );
    outln!("digest {}", merged.digest);
    if merged.run < merged.planned {
        outln!("incomplete: some shards stopped at their first failure");
    }
    for f in &merged.failures {
        outln!(
            "FAILED seed {}: {}{}",
            f.seed,
            f.outcome,
            f.replay_file
                .as_ref()
                .map_or(String::new(), |p| format!(" (replay file {p})"))
        );
    }
    Ok(merged.failed == 0 && merged.run == merged.planned)
}
