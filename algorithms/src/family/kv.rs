//! The `kv` family: a string key-value store with get, put, append and
//! compare-and-set, checked per key by the linearizability checker's
//! [`KvModel`].
//!
//! Each client picks a key (uniformly over `keys` keys from `first_key`, or the hot key, the first, for
//! a `hot` percentage of operations), then an operation by the weights of
//! `mix`. Written values are unique (`"<client>.<n>"`), which makes
//! histories easy to read and to check; a `cas` expects the last value its
//! client saw of the key.

use super::{Family, FamilyInfo, info_of};
use crate::algorithm::{ParamDoc, ParamError, Settings, parse_groups, settings_problems};
use faultline_checker::models::KvModel;
pub use faultline_checker::{KvInput, KvOutput};
use faultline_sim::{NodeId, OpFamily, SimRng, WorldConfig};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The key-value family.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvFamily;

/// Relative weights of the operation kinds. A weight left out of a
/// scenario's `mix` is 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpMix {
    /// Weight of `get`.
    #[serde(default)]
    pub get: u32,
    /// Weight of `put`.
    #[serde(default)]
    pub put: u32,
    /// Weight of `append`.
    #[serde(default)]
    pub append: u32,
    /// Weight of `cas`.
    #[serde(default)]
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

/// What key-value clients ask for: the `kv` fields of `[clients]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KvWorkload {
    /// Number of distinct keys (`k<first_key>` onwards).
    pub keys: u32,
    /// The first key's number: keys are `k<first_key>` to
    /// `k<first_key + keys - 1>`, so client groups can work on key ranges
    /// of their own (or shared ones).
    pub first_key: u32,
    /// Percentage (0 to 100) of operations that go to the hot key (`k<first_key>`);
    /// the rest are spread uniformly over all keys. 0 draws every key
    /// uniformly and consumes no extra randomness.
    #[serde(deserialize_with = "percentage")]
    pub hot: u8,
    /// Operation mix.
    pub mix: OpMix,
}

impl Default for KvWorkload {
    fn default() -> Self {
        KvWorkload {
            keys: 3,
            first_key: 0,
            hot: 0,
            mix: OpMix::default(),
        }
    }
}

fn percentage<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let value = i64::deserialize(d)?;
    u8::try_from(value)
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| {
            de::Error::custom(format!(
                "found hot = {value}, expected a percentage from 0 to 100"
            ))
        })
}

impl Settings for KvWorkload {
    const TABLE: &'static str = "clients";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "keys",
            "Number of distinct keys, k<first_key> to k<first_key + keys - 1>.",
        ),
        ParamDoc::new(
            "first_key",
            "Number of the first key (a client group's own key range starts here).",
        ),
        ParamDoc::new(
            "hot",
            "Percentage of operations aimed at the hot key, the first one (0: uniform).",
        ),
        ParamDoc::new(
            "mix",
            "Weights of get, put, append and cas: { get = 1, put = 1 }; left-out weights are 0.",
        ),
    ];

    fn validate(&self, doc: &str, _config: &WorldConfig) -> Result<(), ParamError> {
        if self.keys == 0 {
            return Err(ParamError::at_value(
                doc,
                "clients",
                "keys",
                "found 0 keys, expected at least 1",
            ));
        }
        if u64::from(self.first_key) + u64::from(self.keys) > u64::from(u32::MAX) {
            return Err(ParamError::at_value(
                doc,
                "clients",
                "first_key",
                format!(
                    "keys k{} to k{} go past k{}; expected first_key + keys at most {}",
                    self.first_key,
                    u64::from(self.first_key) + u64::from(self.keys) - 1,
                    u32::MAX - 1,
                    u32::MAX
                ),
            ));
        }
        if self.mix.total() == 0 {
            return Err(ParamError::at_value(
                doc,
                "clients",
                "mix",
                "every weight of the operation mix is 0; expected at least one of get, put, append, cas above 0",
            ));
        }
        Ok(())
    }
}

/// What a key-value client remembers: the last value it saw per key, the
/// expectation of its next `cas` on that key.
pub type KvMemory = BTreeMap<String, Option<String>>;

impl OpFamily for KvFamily {
    const NAME: &'static str = "kv";
    const OPERATIONS: &'static str = "get, put, append and cas on string keys";
    type Input = KvInput;
    type Output = KvOutput;
    type Workload = KvWorkload;
    type Memory = KvMemory;
    type Model = KvModel;

    fn next_input(
        cfg: &KvWorkload,
        seen: &mut KvMemory,
        rng: &mut SimRng,
        client: NodeId,
        issued: u64,
    ) -> KvInput {
        let hot = cfg.hot > 0 && rng.below(100) < cfg.hot as u64;
        let key = if hot {
            format!("k{}", cfg.first_key)
        } else {
            format!("k{}", u64::from(cfg.first_key) + rng.below(cfg.keys as u64))
        };
        let value = format!("{}.{issued}", client.0);
        let mut pick = rng.below(cfg.mix.total());
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
        let expected = seen.get(&key).cloned().flatten();
        KvInput::Cas {
            key,
            expected,
            new: value,
        }
    }

    fn observe(seen: &mut KvMemory, input: &KvInput, output: &KvOutput) {
        match (input, output) {
            (KvInput::Get { key }, KvOutput::Value(v)) => {
                seen.insert(key.clone(), v.clone());
            }
            (KvInput::Put { key, value }, _) => {
                seen.insert(key.clone(), Some(value.clone()));
            }
            (KvInput::Cas { key, new, .. }, KvOutput::Cas(true)) => {
                seen.insert(key.clone(), Some(new.clone()));
            }
            _ => {}
        }
    }

    fn describe_input(input: &KvInput) -> String {
        match input {
            KvInput::Get { key } => format!("get {key}"),
            KvInput::Put { key, value } => format!("put {key}={value}"),
            KvInput::Append { key, value } => format!("append {key}+={value}"),
            KvInput::Cas { key, expected, new } => {
                format!("cas {key} {}->{new}", expected.as_deref().unwrap_or("none"))
            }
        }
    }

    fn describe_output(output: &KvOutput) -> String {
        match output {
            KvOutput::Value(Some(v)) => format!("{v:?}"),
            KvOutput::Value(None) => "absent".into(),
            KvOutput::Written => "written".into(),
            KvOutput::Cas(true) => "swapped".into(),
            KvOutput::Cas(false) => "unchanged".into(),
        }
    }
}

impl Family for KvFamily {
    fn info() -> FamilyInfo {
        info_of::<KvFamily>()
    }

    fn parse_workloads(doc: &str, config: &WorldConfig) -> Result<Vec<KvWorkload>, ParamError> {
        parse_groups(doc, config)
    }

    fn declaration_problems() -> Vec<String> {
        settings_problems::<KvWorkload>()
    }
}

/// proptest strategies for key-value workload shapes, as `[clients]` fields.
#[cfg(feature = "proptest")]
pub fn workload_shapes() -> proptest::strategy::BoxedStrategy<toml::Table> {
    use proptest::prelude::*;
    (
        1u32..6,
        prop_oneof![Just(0u8), 0u8..=100],
        (0u32..4, 0u32..4, 0u32..3, 0u32..3),
    )
        .prop_map(|(keys, hot, (get, put, append, cas))| {
            let mut mix = toml::Table::new();
            for (name, weight) in [
                ("get", get + 1),
                ("put", put + 1),
                ("append", append),
                ("cas", cas),
            ] {
                mix.insert(name.into(), toml::Value::Integer(weight.into()));
            }
            let mut fields = toml::Table::new();
            fields.insert("keys".into(), toml::Value::Integer(keys.into()));
            fields.insert("hot".into(), toml::Value::Integer(hot.into()));
            fields.insert("mix".into(), toml::Value::Table(mix));
            fields
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share_of_k0(hot: u8) -> f64 {
        let cfg = KvWorkload {
            keys: 50,
            hot,
            ..KvWorkload::default()
        };
        let mut rng = SimRng::stream(7, "workload", 0);
        let mut seen = KvMemory::new();
        let n = 10_000;
        let hits = (1..=n)
            .filter(|&i| {
                KvFamily::next_input(&cfg, &mut seen, &mut rng, NodeId(0), i).key() == "k0"
            })
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
    fn bad_kv_fields_are_refused_where_they_are() {
        let config = WorldConfig::default();
        let doc = "[clients]\ncount = 1\nhot = 150\n";
        let e = KvFamily::parse_workloads(doc, &config).unwrap_err();
        assert_eq!(
            e.message,
            "found hot = 150, expected a percentage from 0 to 100"
        );
        assert_eq!(&doc[e.span.unwrap()], "150");
        let doc = "[clients]\ncount = 1\nmix = { get = 0 }\n";
        let e = KvFamily::parse_workloads(doc, &config).unwrap_err();
        assert!(e.message.starts_with("every weight"), "{}", e.message);
        assert_eq!(&doc[e.span.unwrap()], "{ get = 0 }");
        let doc = "[clients]\ncount = 1\nmix = { put = 1 }\n";
        let w = KvFamily::parse_workloads(doc, &config).unwrap().remove(0);
        assert_eq!(
            (w.mix.get, w.mix.put, w.keys),
            (0, 1, KvWorkload::default().keys)
        );
    }
}
