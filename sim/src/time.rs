//! Virtual time: true simulated instants, node-local clock readings, and the
//! human duration strings (`"150ms"`) used by scenario and replay files.
//!
//! Nothing here reads a wall clock. [`SimTime`] is the simulator's true time
//! in integer nanoseconds since the start of a run; durations are plain
//! [`std::time::Duration`] values.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// An instant of true simulated time, in nanoseconds since the run started.
///
/// ```
/// use faultline_sim::SimTime;
/// use std::time::Duration;
/// let t = SimTime::ZERO + Duration::from_millis(150);
/// assert_eq!(t.as_nanos(), 150_000_000);
/// assert_eq!(t.to_string(), "150ms");
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The largest representable instant; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `nanos` nanoseconds after the start.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }

    /// The instant `d` after the start (saturating).
    pub fn from_duration(d: Duration) -> Self {
        SimTime(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since the start as a duration.
    pub const fn as_duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// Seconds since the start, for display and rates only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + d`, saturating at [`SimTime::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        SimTime(self.0.saturating_add(add))
    }

    /// The duration from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<Duration> for SimTime {
    type Output = SimTime;
    fn add(self, d: Duration) -> SimTime {
        self.saturating_add(d)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_nanos(self.0 as i128))
    }
}

/// A reading of a node's local clock, in signed nanoseconds.
///
/// Local clocks may be offset before the start of true time (a negative
/// offset), so readings are signed. Nodes compare readings of their own clock
/// only; comparing readings of different nodes is exactly the mistake that
/// clock-skew scenarios teach.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct LocalTime(pub i64);

impl LocalTime {
    /// Nanoseconds of this reading.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// The duration from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: LocalTime) -> Duration {
        Duration::from_nanos(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

impl std::ops::Add<Duration> for LocalTime {
    type Output = LocalTime;
    fn add(self, d: Duration) -> LocalTime {
        LocalTime(
            self.0
                .saturating_add(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
        )
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_nanos(self.0 as i128))
    }
}

const UNITS: [(&str, u64); 6] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

/// Formats signed nanoseconds exactly, so that [`parse_signed_duration`]
/// reads the same value back: in hours or minutes when they divide it
/// (`"2h"`, `"3m"`), else in the largest of seconds, milliseconds and
/// microseconds that the value reaches, with as many decimals as it needs
/// (`"150ms"`, `"-5s"`, `"1.5ms"`, `"909.973198ms"`), else in nanoseconds.
pub fn format_nanos(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let abs = nanos.unsigned_abs();
    for (unit, size) in &UNITS[..2] {
        let size = *size as u128;
        if abs % size == 0 {
            return format!("{sign}{}{unit}", abs / size);
        }
    }
    for (unit, size) in &UNITS[2..] {
        let size = *size as u128;
        if abs >= size {
            let (whole, rest) = (abs / size, abs % size);
            if rest == 0 {
                return format!("{sign}{whole}{unit}");
            }
            let digits = size.ilog10() as usize;
            let frac = format!("{rest:0digits$}");
            return format!("{sign}{whole}.{}{unit}", frac.trim_end_matches('0'));
        }
    }
    unreachable!("every value is at least 1ns")
}

/// Formats a duration exactly; see [`format_nanos`].
pub fn format_duration(d: Duration) -> String {
    format_nanos(d.as_nanos() as i128)
}

/// Parses a human duration such as `"150ms"`, `"2s"`, `"1.5s"`, `"10us"`,
/// `"250ns"`, `"2m"` or `"1h"` into nanoseconds, allowing a leading `-`.
///
/// The error says what was found and what was expected.
pub fn parse_signed_duration(text: &str) -> Result<i64, String> {
    let s = text.trim();
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let split = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, unit) = body.split_at(split);
    let expected =
        "expected a duration like \"150ms\", \"2s\" or \"1.5s\" (units: ns, us, ms, s, m, h)";
    if number.is_empty() {
        return Err(format!("found {text:?}, {expected}"));
    }
    let Some(&(_, size)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("found unit {unit:?} in {text:?}, {expected}"));
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && frac.is_empty() || frac.contains('.') {
        return Err(format!("found {text:?}, {expected}"));
    }
    let overflow = || format!("found {text:?}, which is too large (the limit is about 292 years)");
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| overflow())?
    };
    let mut nanos = whole.checked_mul(size as u128).ok_or_else(overflow)?;
    let mut scale = size as u128;
    for digit in frac.chars() {
        scale /= 10;
        let d = digit.to_digit(10).expect("checked digits") as u128;
        if scale == 0 {
            if d != 0 {
                return Err(format!(
                    "found {text:?}, which is finer than one nanosecond"
                ));
            }
            continue;
        }
        nanos += d * scale;
    }
    let nanos = i64::try_from(nanos).map_err(|_| overflow())?;
    Ok(if negative { -nanos } else { nanos })
}

/// Parses a non-negative human duration; see [`parse_signed_duration`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let nanos = parse_signed_duration(text)?;
    if nanos < 0 {
        return Err(format!(
            "found {text:?}, a negative duration; expected a duration of zero or more"
        ));
    }
    Ok(Duration::from_nanos(nanos as u64))
}

/// Serde adapter: a [`Duration`] as a human string (`"150ms"`).
pub mod duration_str {
    use super::*;
    use serde::{Deserializer, Serializer};

    /// Writes the duration exactly, in the largest unit that divides it.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    /// Reads a duration string such as `"150ms"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter: an optional [`Duration`] as a human string, absent for
/// `None` (use with `#[serde(default)]`).
pub mod option_duration_str {
    use super::*;
    use serde::{Deserializer, Serializer};

    /// Writes the duration exactly, or nothing.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&format_duration(*d)),
            None => s.serialize_none(),
        }
    }

    /// Reads a duration string such as `"150ms"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// Serde adapter: signed nanoseconds as a human string (`"-5ms"`).
pub mod signed_duration_str {
    use super::*;
    use serde::{Deserializer, Serializer};

    /// Writes the value exactly, in the largest unit that divides it.
    pub fn serialize<S: Serializer>(nanos: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_nanos(*nanos as i128))
    }

    /// Reads a signed duration string such as `"-5ms"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = String::deserialize(d)?;
        parse_signed_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter: a [`SimTime`] as a human string measured from the start.
pub mod simtime_str {
    use super::*;
    use serde::{Deserializer, Serializer};

    /// Writes the instant as its distance from the start (`"1500ms"`).
    pub fn serialize<S: Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_nanos(t.0 as i128))
    }

    /// Reads an instant written as a duration from the start.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SimTime, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text)
            .map(SimTime::from_duration)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_human_durations() {
        assert_eq!(parse_duration("150ms"), Ok(Duration::from_millis(150)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 10us "), Ok(Duration::from_micros(10)));
        assert_eq!(parse_signed_duration("-5ms"), Ok(-5_000_000));
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_nanos(-5_000_000), "-5ms");
        assert_eq!(format_nanos(0), "0s");
        assert_eq!(format_nanos(1_000_001), "1.000001ms");
        assert_eq!(format_nanos(909_973_198), "909.973198ms");
        assert_eq!(format_nanos(90_000_000_000), "90s");
        assert_eq!(format_nanos(120_000_000_000), "2m");
        assert_eq!(format_nanos(750), "750ns");
        assert_eq!(format_nanos(-1_500), "-1.5us");
    }

    #[test]
    fn rejects_bad_durations_with_what_was_expected() {
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(parse_duration("10 parsecs").unwrap_err().contains("unit"));
        assert!(
            parse_duration("ms")
                .unwrap_err()
                .contains("expected a duration")
        );
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("0.5ns").unwrap_err().contains("finer"));
        assert!(
            parse_duration("99999999999h")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn formatting_round_trips() {
        for nanos in [1, 999, 1_000, 1_500_000, 3_600_000_000_000, 7_000_000_123] {
            let text = format_nanos(nanos);
            assert_eq!(parse_signed_duration(&text), Ok(nanos as i64), "{text}");
        }
    }
}
