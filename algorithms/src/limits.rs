//! The bounds a scenario file must keep, in one place: the kernel's
//! ([`faultline_sim::limits`], re-exported here) and those of the scenario
//! format and the algorithms. The parser and each algorithm's parameter
//! validation refuse a file that breaks one with a located error naming
//! the bound and its reason; `docs/scenarios.md` ("Limits") lists them.
//!
//! A bound is decided when the file is loaded, from the file alone, so
//! `faultline list`, `check` and the lab refuse the same files, before any
//! run. The kernel's run-time guards (`no_progress`, `resource_limit`) are
//! the backstop for what no load-time check can see.

use crate::algorithm::ParamError;
use std::time::Duration;

pub use faultline_sim::limits::{
    KERNEL_CHECKS, MAX_CLOCK_JUMP_NANOS, MAX_EVENTS_PER_INSTANT, MAX_NODES, MAX_OPERATIONS,
    MAX_PENDING_EVENTS, NO_PROGRESS, RESOURCE_LIMIT,
};

/// The most client operations a file may expect one run to make:
/// `count × duration × rate` (or `count × max_ops` when that is smaller).
/// Half the kernel's [`MAX_OPERATIONS`], so that a run's random think
/// times never reach the kernel's bound.
pub const MAX_EXPECTED_OPERATIONS: u64 = (MAX_OPERATIONS / 2) as u64;

/// The most faults a `[nemesis]` may expect to draw in one run: the length
/// of its window divided by its mean gap `interval` (a quarter of it with
/// swarm testing, which may shrink the gap fourfold). Each fault is a few
/// entries of the schedule, generated before the run.
pub const MAX_NEMESIS_FAULTS: u64 = 10_000;

/// The nemesis stops drawing after this many faults, whatever its seed: a
/// bound on the schedule's memory by construction. Twice
/// [`MAX_NEMESIS_FAULTS`], so a file the parser accepts does not meet it.
pub const MAX_NEMESIS_DRAWN: usize = 2 * MAX_NEMESIS_FAULTS as usize;

/// The shortest protocol timer or period an algorithm parameter may set
/// (election timeouts, heartbeats, gossip and sync intervals, client
/// timeouts and back-offs). Shorter timers fire millions of times per
/// simulated second per node and fill the event queue with messages
/// faster than links deliver them.
pub const MIN_TIMER: Duration = Duration::from_micros(1);

/// Checks a protocol timer parameter against [`MIN_TIMER`]: `Err` holds
/// the message, naming the parameter.
pub fn check_timer(name: &str, value: Duration) -> Result<(), String> {
    if value < MIN_TIMER {
        return Err(format!(
            "{name} is {}, but it must be at least {} (a shorter timer fires millions of times per simulated second)",
            faultline_sim::time::format_duration(value),
            faultline_sim::time::format_duration(MIN_TIMER)
        ));
    }
    Ok(())
}

/// Checks the timers `timers` (key and value) of the scenario `doc`: each
/// above zero and at least [`MIN_TIMER`].
pub fn check_timers(doc: &str, timers: &[(&str, Duration)]) -> Result<(), ParamError> {
    for &(key, value) in timers {
        if value.is_zero() {
            return Err(ParamError::at_key(
                doc,
                key,
                format!("{key} must be above zero"),
            ));
        }
        check_timer(key, value).map_err(|e| ParamError::at_key(doc, key, e))?;
    }
    Ok(())
}

/// Checks that a client's `client_give_up` is not shorter than its
/// `client_timeout`: a client must get to retry at least once.
pub fn check_give_up(doc: &str, timeout: Duration, give_up: Duration) -> Result<(), ParamError> {
    if give_up < timeout {
        return Err(ParamError::at_key(
            doc,
            "client_give_up",
            "client_give_up must be at least client_timeout",
        ));
    }
    Ok(())
}

/// Checks a leader-based protocol's failure detector, as the parameters
/// `election_timeout_min`, `election_timeout_max` and `heartbeat_interval`
/// of the scenario `doc`: timeouts above zero and in order, and heartbeats
/// below the shortest timeout, or followers time out while the leader is
/// healthy. Raft and Multi-Paxos share it.
pub fn check_election_timers(
    doc: &str,
    election_timeout_min: Duration,
    election_timeout_max: Duration,
    heartbeat_interval: Duration,
) -> Result<(), ParamError> {
    use faultline_sim::time::format_duration;
    let err = |key: &str, msg: String| Err(ParamError::at_key(doc, key, msg));
    if election_timeout_min.is_zero() {
        return err(
            "election_timeout_min",
            "election_timeout_min must be above zero".into(),
        );
    }
    if election_timeout_max < election_timeout_min {
        return err(
            "election_timeout_max",
            format!(
                "election_timeout_max ({}) is below election_timeout_min ({})",
                format_duration(election_timeout_max),
                format_duration(election_timeout_min)
            ),
        );
    }
    if heartbeat_interval.is_zero() || heartbeat_interval >= election_timeout_min {
        return err(
            "heartbeat_interval",
            format!(
                "heartbeat_interval is {}, but it must be above zero and below election_timeout_min ({}), or followers time out while the leader is healthy",
                format_duration(heartbeat_interval),
                format_duration(election_timeout_min)
            ),
        );
    }
    for (key, value) in [
        ("election_timeout_min", election_timeout_min),
        ("heartbeat_interval", heartbeat_interval),
    ] {
        check_timer(key, value).map_err(|e| ParamError::at_key(doc, key, e))?;
    }
    Ok(())
}

/// The most virtual-node points the rings of one `sharded-kv` run may hold
/// in all: `round(vnodes × weight)` (at least 1) summed over the servers,
/// times the number of membership versions (1 + joins + leaves). Each
/// point is 16 bytes, so 32 MB at the bound.
pub const MAX_RING_POINTS: u64 = 2_000_000;

/// The most pings a `pingstorm` may put in flight at the start
/// (`initial`). Each is an event waiting in the queue, and restarts add
/// their share again; the kernel stops a run at
/// [`MAX_PENDING_EVENTS`] waiting events.
pub const MAX_PINGS: u32 = 100_000;

/// The largest linearizability search budget a scenario may set
/// (`[checks] linearizability_steps`). A step takes a few microseconds, so
/// one run's check stays within minutes; the budget, not time, decides
/// "undecided", so the verdict is the same on every machine.
pub const MAX_LINEARIZABILITY_STEPS: u64 = 200_000_000;
