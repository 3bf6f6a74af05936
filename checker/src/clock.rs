//! The wall clock the search reads, where the platform has one: for a
//! [`Budget`](crate::Budget)'s time limit and [`Stats::elapsed`](crate::Stats::elapsed).
//!
//! On `wasm32-unknown-unknown` (the lab in a browser) the standard library
//! has no clock: `Instant::now` panics there. The portable core reads none
//! on that target, so a time limit is not enforced and `elapsed` stays
//! zero; step budgets, the deterministic kind, work the same everywhere.

use std::time::Duration;

/// Time since the start of a check, or nothing where there is no clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopwatch {
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    started: std::time::Instant,
}

impl Stopwatch {
    /// Starts measuring now.
    pub(crate) fn start() -> Self {
        Stopwatch {
            #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
            started: std::time::Instant::now(),
        }
    }

    /// Wall time since [`Stopwatch::start`]; zero without a clock.
    pub(crate) fn elapsed(&self) -> Duration {
        #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
        {
            self.started.elapsed()
        }
        #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
        {
            Duration::ZERO
        }
    }
}
