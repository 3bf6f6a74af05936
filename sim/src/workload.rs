//! The client workload: closed-loop clients that issue key-value operations
//! at a rate, each client drawing from its own derived stream.
//!
//! A client has at most one operation outstanding (as in Jepsen), so each
//! client's history is sequential. After a completion it thinks for an
//! exponential time with mean `1 / rate`, then issues the next operation.
//! Written values are unique (`"<client>.<n>"`), which makes histories easy
//! to read and to check.

use crate::rng::SimRng;
use faultline_checker::{KvInput, KvOutput};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Relative weights of the operation kinds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpMix {
    /// Weight of `get`.
    pub get: u32,
    /// Weight of `put`.
    pub put: u32,
    /// Weight of `append`.
    pub append: u32,
    /// Weight of `cas`.
    pub cas: u32,
}

impl Default for OpMix {
    fn default() -> Self {
        OpMix {
            get: 50,
            put: 50,
            append: 0,
            cas: 0,
        }
    }
}

impl OpMix {
    fn total(&self) -> u64 {
        self.get as u64 + self.put as u64 + self.append as u64 + self.cas as u64
    }
}

/// How clients behave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadConfig {
    /// Mean think time between a completion and the next invocation.
    #[serde(with = "crate::time::duration_str")]
    pub think_time: Duration,
    /// Number of distinct keys (`k0`, `k1`, ...).
    pub keys: u32,
    /// Percentage (0 to 100) of operations that go to the hot key `k0`;
    /// the rest are spread uniformly over all keys. 0 draws every key
    /// uniformly and consumes no extra randomness.
    pub hot: u8,
    /// Operation mix.
    pub mix: OpMix,
    /// Stop issuing after this many operations per client (`None`: never).
    pub max_ops_per_client: Option<u64>,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            think_time: Duration::from_millis(20),
            keys: 3,
            hot: 0,
            mix: OpMix::default(),
            max_ops_per_client: None,
        }
    }
}

impl WorkloadConfig {
    /// Checks the parameters; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.keys == 0 {
            return Err("keys must be at least 1".into());
        }
        if self.hot > 100 {
            return Err(format!(
                "hot is a percentage: found {}, expected 0 to 100",
                self.hot
            ));
        }
        if self.mix.total() == 0 {
            return Err("the operation mix has no weight: give at least one of get/put/append/cas a weight above 0".into());
        }
        Ok(())
    }
}

/// Per-client generator state (part of the world, so snapshots keep it).
#[derive(Clone, Debug)]
pub(crate) struct ClientLoad {
    pub rng: SimRng,
    pub issued: u64,
    pub outstanding: Option<crate::OpId>,
    /// The last value this client saw per key, used as a `cas` expectation.
    pub seen: BTreeMap<String, Option<String>>,
}

impl ClientLoad {
    pub fn new(seed: u64, client: u32) -> Self {
        ClientLoad {
            rng: SimRng::stream(seed, "workload", client as u64),
            issued: 0,
            outstanding: None,
            seen: BTreeMap::new(),
        }
    }

    /// Think time before the next operation.
    pub fn think(&mut self, cfg: &WorkloadConfig) -> Duration {
        Duration::from_nanos(self.rng.exponential(cfg.think_time.as_nanos() as f64) as u64)
    }

    /// Whether this client may issue another operation.
    pub fn may_issue(&self, cfg: &WorkloadConfig) -> bool {
        self.outstanding.is_none() && cfg.max_ops_per_client.is_none_or(|max| self.issued < max)
    }

    /// The next operation of client `client`.
    pub fn next_input(&mut self, cfg: &WorkloadConfig, client: u32) -> KvInput {
        self.issued += 1;
        let hot = cfg.hot > 0 && self.rng.below(100) < cfg.hot as u64;
        let key = if hot {
            "k0".to_string()
        } else {
            format!("k{}", self.rng.below(cfg.keys as u64))
        };
        let value = format!("{client}.{}", self.issued);
        let mut pick = self.rng.below(cfg.mix.total());
        let mix = &cfg.mix;
        if pick < mix.get as u64 {
            return KvInput::Get { key };
        }
        pick -= mix.get as u64;
        if pick < mix.put as u64 {
            return KvInput::Put { key, value };
        }
        pick -= mix.put as u64;
        if pick < mix.append as u64 {
            return KvInput::Append { key, value };
        }
        let expected = self.seen.get(&key).cloned().flatten();
        KvInput::Cas {
            key,
            expected,
            new: value,
        }
    }

    /// Remembers what a completed operation showed of its key.
    pub fn observe(&mut self, input: &KvInput, output: &KvOutput) {
        match (input, output) {
            (KvInput::Get { key }, KvOutput::Value(v)) => {
                self.seen.insert(key.clone(), v.clone());
            }
            (KvInput::Put { key, value }, _) => {
                self.seen.insert(key.clone(), Some(value.clone()));
            }
            (KvInput::Cas { key, new, .. }, KvOutput::Cas(true)) => {
                self.seen.insert(key.clone(), Some(new.clone()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share_of_k0(hot: u8) -> f64 {
        let cfg = WorkloadConfig {
            keys: 50,
            hot,
            ..WorkloadConfig::default()
        };
        let mut load = ClientLoad::new(7, 0);
        let n = 10_000;
        let hits = (0..n)
            .filter(|_| load.next_input(&cfg, 0).key() == "k0")
            .count();
        hits as f64 / n as f64
    }

    #[test]
    fn hot_share_aims_that_fraction_at_k0() {
        // 80% hot plus 1/50 of the uniform remainder: 0.804.
        let share = share_of_k0(80);
        assert!((share - 0.804).abs() < 0.02, "k0 share {share}");
        // Without a hot key, k0 gets its uniform 1/50.
        let share = share_of_k0(0);
        assert!((share - 0.02).abs() < 0.01, "k0 share {share}");
    }

    #[test]
    fn hot_share_above_100_is_rejected() {
        let cfg = WorkloadConfig {
            hot: 101,
            ..WorkloadConfig::default()
        };
        assert!(cfg.validate().unwrap_err().contains("percentage"));
    }
}
