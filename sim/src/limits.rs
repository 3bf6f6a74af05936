//! The kernel's bounds: how large a run may be, and when a run that makes
//! no progress or outgrows its memory is stopped.
//!
//! Each is documented with its reason in `docs/scenarios.md` ("Limits"),
//! where the scenario parser refuses files that break the load-time ones
//! with a located error. The run-time ones stop a run with a kernel
//! violation instead of letting it spin or exhaust memory:
//!
//! - [`NO_PROGRESS`]: more than [`MAX_EVENTS_PER_INSTANT`] events in a row
//!   at one instant of simulated time (a zero-time loop: messages with zero
//!   latency bouncing forever, a timer that re-arms itself at once);
//! - [`RESOURCE_LIMIT`]: more than [`MAX_PENDING_EVENTS`] events waiting in
//!   the queue, or more than [`MAX_OPERATIONS`] client operations in the
//!   history.
//!
//! Both carry the seed, the event index and the time like any violation,
//! and can be named as an expected outcome.

/// Most nodes (servers and clients together) in one run. The network keeps
/// two words of state per ordered pair of nodes (the FIFO clamp and the
/// cut flag), so it is quadratic in the node count: about 9 MB at this
/// bound.
pub const MAX_NODES: u32 = 1_000;

/// Most events in a row at one instant of simulated time before a run is
/// stopped with [`NO_PROGRESS`]. A million is far above what any protocol
/// step needs (every pair of the largest cluster exchanging a message at
/// once is about that many), and a debug build reaches it in about a
/// second.
pub const MAX_EVENTS_PER_INSTANT: u64 = 1_000_000;

/// Most events waiting in the queue (messages in flight, timers, client
/// requests) before a run is stopped with [`RESOURCE_LIMIT`]: a run that
/// sends faster than its links deliver grows without end otherwise.
pub const MAX_PENDING_EVENTS: usize = 1_000_000;

/// Most client operations in one run's history before it is stopped with
/// [`RESOURCE_LIMIT`]. The history is kept whole (linearizability,
/// liveness and several invariants read it), at roughly 200 bytes per
/// operation; the scenario parser refuses files that expect more than
/// half of this.
pub const MAX_OPERATIONS: usize = 2_000_000;

/// The largest clock offset or step one fault may set, either way: 365
/// days. Larger jumps teach nothing more, and many of them would carry a
/// clock past the end of its signed 64-bit nanosecond range (292 years).
pub const MAX_CLOCK_JUMP_NANOS: i64 = 365 * 24 * 3600 * 1_000_000_000;

/// The name of the violation of a run that stopped making progress.
pub const NO_PROGRESS: &str = "no_progress";

/// The name of the violation of a run that outgrew its memory bounds.
pub const RESOURCE_LIMIT: &str = "resource_limit";

/// The checks the kernel itself may report as violated, whatever the
/// algorithm: a well-formed history, progress, bounded resources.
pub const KERNEL_CHECKS: [&str; 3] = ["history_well_formed", NO_PROGRESS, RESOURCE_LIMIT];
