//! Per-node local clocks: true time seen through an offset, a drift rate and
//! step jumps, all changeable mid-run.
//!
//! A clock is kept as an anchor pair (true instant, local reading) plus a
//! drift in parts per million; every change re-anchors at the current true
//! instant, so the reading is continuous across a drift change and jumps by
//! exactly the step on a step. All arithmetic is integer (i128), so clocks
//! convert identically on every machine.

use crate::time::{LocalTime, SimTime};
use serde::{Deserialize, Serialize};

/// The largest drift a clock may be given, in parts per million either way.
/// Beyond it a clock would run backwards or absurdly fast.
pub const MAX_DRIFT_PPM: i64 = 500_000;

const MILLION: i128 = 1_000_000;

/// A node's local clock.
///
/// ```
/// use faultline_sim::{LocalClock, LocalTime, SimTime};
/// let mut clock = LocalClock::default();
/// clock.set_drift(SimTime(0), 1_000); // runs 0.1% fast
/// assert_eq!(clock.read(SimTime(1_000_000_000)), LocalTime(1_001_000_000));
/// clock.step(SimTime(1_000_000_000), -1_000_000);
/// assert_eq!(clock.read(SimTime(1_000_000_000)), LocalTime(1_000_000_000));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LocalClock {
    anchor_true: u64,
    anchor_local: i64,
    drift_ppm: i64,
    /// The monotonic reading at `anchor_true` (see [`LocalClock::monotonic`]).
    #[serde(default)]
    anchor_mono: i64,
}

impl LocalClock {
    /// The local reading at true instant `t` (which must not precede the
    /// last change; the kernel only moves forward between changes).
    #[inline]
    pub fn read(&self, t: SimTime) -> LocalTime {
        self.advance(self.anchor_local, t)
    }

    /// `base` (a reading at `anchor_true`) advanced to true instant `t` at
    /// the drifting rate: the wall and the monotonic clock differ only in
    /// their base.
    #[inline]
    fn advance(&self, base: i64, t: SimTime) -> LocalTime {
        assert!(t.0 >= self.anchor_true, "clock read before its anchor");
        if self.drift_ppm == 0 {
            // The common case, without 128-bit division.
            let elapsed = i64::try_from(t.0 - self.anchor_true).unwrap_or(i64::MAX);
            return LocalTime(base.saturating_add(elapsed));
        }
        let elapsed = (t.0 - self.anchor_true) as i128;
        let local = base as i128 + elapsed * (MILLION + self.drift_ppm as i128) / MILLION;
        LocalTime(local.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// The earliest true instant, not before `now`, at which this clock reads
    /// at least `deadline`.
    ///
    /// The end of local time (`i64::MAX`, where a deadline too far ahead
    /// saturates) is never reached: [`SimTime::MAX`]. Without this a clock
    /// stepped to the end of its range would fire every timer set on it at
    /// once, again and again, and simulated time would stop.
    #[inline]
    pub fn true_time_of(&self, deadline: LocalTime, now: SimTime) -> SimTime {
        if deadline.0 == i64::MAX {
            return SimTime::MAX;
        }
        if self.read(now) >= deadline {
            return now;
        }
        if self.drift_ppm == 0 {
            let need = deadline.0.saturating_sub(self.anchor_local).max(0) as u64;
            return SimTime(self.anchor_true.saturating_add(need)).max(now);
        }
        let need = deadline.0 as i128 - self.anchor_local as i128;
        let rate = MILLION + self.drift_ppm as i128;
        // Smallest elapsed e with e * rate / MILLION >= need (floor division).
        let elapsed = (need * MILLION + rate - 1) / rate;
        let t = self.anchor_true as i128 + elapsed;
        let t = SimTime(t.clamp(0, u64::MAX as i128) as u64);
        // Past the end of time the deadline cannot be met; otherwise it is.
        assert!(t.0 == u64::MAX || self.read(t) >= deadline);
        t.max(now)
    }

    /// The clock's current offset from true time (local minus true), in ns.
    pub fn offset_nanos(&self, now: SimTime) -> i64 {
        self.read(now).0.saturating_sub(now.0 as i64)
    }

    /// The drift in parts per million.
    pub fn drift_ppm(&self) -> i64 {
        self.drift_ppm
    }

    /// The node's monotonic clock at true instant `t`: it runs at the same
    /// drifting rate as the wall clock [`LocalClock::read`], but offsets and
    /// steps never move it, so it never goes backwards. It reads 0 at true
    /// time 0; readings of different nodes are not comparable, only
    /// durations measured on one node are (what a lease needs).
    ///
    /// ```
    /// use faultline_sim::{LocalClock, LocalTime, SimTime};
    /// let mut clock = LocalClock::default();
    /// clock.step(SimTime(1_000), -500);           // the wall clock steps back
    /// assert_eq!(clock.read(SimTime(2_000)), LocalTime(1_500));
    /// assert_eq!(clock.monotonic(SimTime(2_000)), LocalTime(2_000));
    /// ```
    #[inline]
    pub fn monotonic(&self, t: SimTime) -> LocalTime {
        self.advance(self.anchor_mono, t)
    }

    fn reanchor(&mut self, now: SimTime) {
        self.anchor_mono = self.monotonic(now).0;
        self.anchor_local = self.read(now).0;
        self.anchor_true = now.0;
    }

    /// Sets the offset (local minus true) to `offset_nanos` from `now` on.
    pub fn set_offset(&mut self, now: SimTime, offset_nanos: i64) {
        self.reanchor(now);
        self.anchor_local = (now.0 as i64).saturating_add(offset_nanos);
    }

    /// Sets the drift rate from `now` on; the reading stays continuous.
    /// Values are clamped to ±[`MAX_DRIFT_PPM`].
    pub fn set_drift(&mut self, now: SimTime, ppm: i64) {
        self.reanchor(now);
        self.drift_ppm = ppm.clamp(-MAX_DRIFT_PPM, MAX_DRIFT_PPM);
    }

    /// Jumps the reading by `delta_nanos` (forwards or backwards) at `now`.
    pub fn step(&mut self, now: SimTime, delta_nanos: i64) {
        self.reanchor(now);
        self.anchor_local = self.anchor_local.saturating_add(delta_nanos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_clock_drifts_but_never_steps() {
        let mut c = LocalClock::default();
        c.set_drift(SimTime(0), 100_000); // 10% fast
        assert_eq!(c.monotonic(SimTime(1_000)), LocalTime(1_100));
        c.step(SimTime(1_000), -10_000);
        c.set_offset(SimTime(2_000), 5_000_000);
        assert_eq!(c.monotonic(SimTime(2_000)), LocalTime(2_200));
        c.set_drift(SimTime(2_000), 0);
        assert_eq!(c.monotonic(SimTime(3_000)), LocalTime(3_200));
        // The wall clock took the step and the offset.
        assert_eq!(c.read(SimTime(3_000)), LocalTime(3_000 + 5_000_000));
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn offset_shifts_the_reading() {
        let mut c = LocalClock::default();
        c.set_offset(SimTime(10 * MS), -(5 * MS as i64));
        assert_eq!(c.read(SimTime(10 * MS)), LocalTime(5 * MS as i64));
        assert_eq!(c.read(SimTime(20 * MS)), LocalTime(15 * MS as i64));
        assert_eq!(c.offset_nanos(SimTime(20 * MS)), -(5 * MS as i64));
    }

    #[test]
    fn drift_accumulates_and_converts_back() {
        let mut c = LocalClock::default();
        c.set_drift(SimTime(0), -100_000); // 10% slow
        assert_eq!(c.read(SimTime(1_000 * MS)), LocalTime(900 * MS as i64));
        // A 90ms local timer set at true 0 fires at true 100ms.
        assert_eq!(
            c.true_time_of(LocalTime(90 * MS as i64), SimTime(0)),
            SimTime(100 * MS)
        );
        // Changing drift keeps the reading continuous.
        c.set_drift(SimTime(1_000 * MS), 0);
        assert_eq!(c.read(SimTime(1_000 * MS)), LocalTime(900 * MS as i64));
        assert_eq!(c.read(SimTime(1_010 * MS)), LocalTime(910 * MS as i64));
    }

    #[test]
    fn conversion_is_exact_at_nanosecond_level() {
        let mut c = LocalClock::default();
        c.set_drift(SimTime(0), 333);
        for deadline in [1i64, 999, 1_000_333, 123_456_789] {
            let t = c.true_time_of(LocalTime(deadline), SimTime(0));
            assert!(c.read(t) >= LocalTime(deadline));
            assert!(c.read(SimTime(t.0 - 1)) < LocalTime(deadline), "{deadline}");
        }
    }

    #[test]
    fn steps_jump_both_ways() {
        let mut c = LocalClock::default();
        c.step(SimTime(MS), 3 * MS as i64);
        assert_eq!(c.read(SimTime(2 * MS)), LocalTime(5 * MS as i64));
        c.step(SimTime(2 * MS), -(10 * MS as i64));
        assert_eq!(c.read(SimTime(2 * MS)), LocalTime(-(5 * MS as i64)));
        // A deadline already passed fires now.
        assert_eq!(
            c.true_time_of(LocalTime(-(6 * MS as i64)), SimTime(2 * MS)),
            SimTime(2 * MS)
        );
        // A deadline in the future after a backward step waits the extra time.
        assert_eq!(
            c.true_time_of(LocalTime(0), SimTime(2 * MS)),
            SimTime(7 * MS)
        );
    }

    #[test]
    fn the_end_of_local_time_is_never_reached() {
        // A clock stepped as far forwards as it goes reads i64::MAX; a timer
        // set on it saturates there too, and must not fire at once (it
        // would re-arm and fire again forever at the same instant).
        let mut c = LocalClock::default();
        c.step(SimTime(MS), i64::MAX);
        assert_eq!(c.read(SimTime(MS)), LocalTime(i64::MAX));
        let deadline = c.read(SimTime(MS)) + std::time::Duration::from_millis(50);
        assert_eq!(deadline, LocalTime(i64::MAX));
        assert_eq!(c.true_time_of(deadline, SimTime(MS)), SimTime::MAX);
        // Deadlines set before the jump are now in the past: they fire once.
        assert_eq!(
            c.true_time_of(LocalTime(5 * MS as i64), SimTime(MS)),
            SimTime(MS)
        );
    }
}
