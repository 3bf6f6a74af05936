//! The scenario file as written: serde structures that deny unknown fields
//! and keep the span of every value a later check may complain about.
//!
//! Values that need parsing (durations, rates, node ids, seeds) have their
//! own types whose `Deserialize` reports what was found and what was
//! expected; the TOML deserializer attaches the value's span to such errors.

use faultline_sim::time::{parse_duration, parse_signed_duration};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::time::Duration;
use toml::Spanned;

/// A whole scenario (or replay) file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub lesson: Option<String>,
    pub algorithm: Spanned<String>,
    #[serde(default)]
    pub servers: Option<Spanned<Count>>,
    #[serde(default)]
    pub duration: Option<Spanned<Dur>>,
    #[serde(default)]
    pub seed: Option<Spanned<Seed>>,
    #[serde(default)]
    pub expect: Option<Spanned<RawExpect>>,
    /// Read by the algorithm itself from the document text; here only its
    /// being a table is checked.
    #[serde(default)]
    #[allow(dead_code)]
    pub params: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub network: Option<RawNetwork>,
    #[serde(default)]
    pub topology: Option<Spanned<RawTopology>>,
    #[serde(default)]
    pub clients: Option<Spanned<RawClientsSection>>,
    #[serde(default)]
    pub faults: Vec<Spanned<RawFault>>,
    #[serde(default)]
    pub nemesis: Option<Spanned<RawNemesis>>,
    #[serde(default)]
    pub checks: Option<RawChecks>,
    #[serde(default)]
    pub replay: Option<Spanned<RawReplay>>,
    #[serde(default)]
    pub explore: Option<Spanned<RawExplore>>,
    #[serde(default)]
    pub tour: Vec<Spanned<RawTourStep>>,
}

/// One `[[tour]]` step: where it is anchored, what it says, what it
/// highlights.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTourStep {
    pub title: Spanned<String>,
    pub text: Spanned<String>,
    #[serde(default)]
    pub at_event: Option<Spanned<u64>>,
    #[serde(default)]
    pub at: Option<Spanned<Dur>>,
    #[serde(default)]
    pub reported: Option<Spanned<String>>,
    #[serde(default)]
    pub fails: Option<Spanned<String>>,
    #[serde(default)]
    pub delivered: Option<Spanned<String>>,
    #[serde(default)]
    pub fault: Option<Spanned<String>>,
    #[serde(default)]
    pub node: Option<Spanned<NodeRef>>,
    #[serde(default)]
    pub highlight: Option<Spanned<RawHighlight>>,
    #[serde(default)]
    pub pause: Option<bool>,
}

/// What a tour step draws as highlighted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHighlight {
    #[serde(default)]
    pub nodes: Option<Spanned<Vec<Spanned<NodeRef>>>>,
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    #[serde(default)]
    pub entry: Option<Spanned<u64>>,
    #[serde(default)]
    pub invariant: Option<Spanned<String>>,
}

/// `[explore]`: how `faultline explore` searches, and the adversary's
/// budgets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExplore {
    #[serde(default)]
    pub strategy: Option<Spanned<String>>,
    #[serde(default)]
    pub max_depth: Option<Spanned<u32>>,
    #[serde(default)]
    pub max_states: Option<Spanned<u64>>,
    #[serde(default)]
    pub walks: Option<Spanned<u64>>,
    #[serde(default)]
    pub operations: Option<Spanned<u32>>,
    #[serde(default)]
    pub crashes: Option<u32>,
    #[serde(default)]
    pub restarts: Option<u32>,
    #[serde(default)]
    pub partitions: Option<u32>,
    #[serde(default)]
    pub drops: Option<u32>,
    #[serde(default)]
    pub duplicates: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNetwork {
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
    #[serde(default)]
    pub reorder: Option<Spanned<f64>>,
}

/// `[topology]`: regions (optionally split into racks), the links between
/// regions, and where the clients sit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTopology {
    #[serde(default)]
    pub clients: Option<Spanned<String>>,
    pub regions: Spanned<Vec<Spanned<RawRegion>>>,
    #[serde(default)]
    pub links: Vec<Spanned<RawRegionLink>>,
}

/// `[[topology.regions]]`: a region's name, its servers or its racks, and
/// the settings of the links inside it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegion {
    pub name: Spanned<String>,
    #[serde(default)]
    pub nodes: Option<Spanned<Vec<Spanned<NodeRef>>>>,
    #[serde(default)]
    pub racks: Option<Spanned<Vec<Spanned<RawRack>>>>,
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
    #[serde(default)]
    pub reorder: Option<Spanned<f64>>,
}

/// A rack in a region's `racks` list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRack {
    pub name: Spanned<String>,
    pub nodes: Spanned<Vec<Spanned<NodeRef>>>,
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
    #[serde(default)]
    pub reorder: Option<Spanned<f64>>,
}

/// `[[topology.links]]`: a link between two regions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegionLink {
    pub between: Spanned<Vec<Spanned<String>>>,
    pub latency: Spanned<RawLatency>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
    #[serde(default)]
    pub reorder: Option<Spanned<f64>>,
}

/// A latency distribution: `{ dist = "uniform", min = "1ms", max = "5ms" }`,
/// or a plain duration string for a constant latency.
#[derive(Debug)]
pub(crate) enum RawLatency {
    Constant(Dur),
    Table(Box<RawLatencyTable>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLatencyTable {
    pub dist: Spanned<String>,
    #[serde(default)]
    pub value: Option<Spanned<Dur>>,
    #[serde(default)]
    pub min: Option<Spanned<Dur>>,
    #[serde(default)]
    pub max: Option<Spanned<Dur>>,
    #[serde(default)]
    pub mean: Option<Spanned<Dur>>,
    #[serde(default)]
    pub std_dev: Option<Spanned<Dur>>,
    #[serde(default)]
    pub alpha: Option<Spanned<f64>>,
}

impl<'de> Deserialize<'de> for RawLatency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawLatency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a latency: a duration like \"5ms\" or a table like { dist = \"uniform\", min = \"1ms\", max = \"5ms\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawLatency, E> {
                parse_duration(v)
                    .map(|d| RawLatency::Constant(Dur(d)))
                    .map_err(E::custom)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawLatency, A::Error> {
                RawLatencyTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| RawLatency::Table(Box::new(t)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `[clients]` fields every operation family shares. The family's own
/// fields (a key-value workload's `keys`, `hot`, `mix`) are read by the
/// family when a run is built; unknown fields are refused by the parser,
/// which knows the algorithm's family.
#[derive(Debug, Deserialize)]
pub(crate) struct RawClients {
    pub count: Spanned<Count>,
    #[serde(default)]
    pub rate: Option<Spanned<Rate>>,
    #[serde(default)]
    pub max_ops: Option<u64>,
    #[serde(default)]
    pub pin: Option<Spanned<Target>>,
}

/// `[clients]`: one table (one group), or `[[clients]]` groups.
#[derive(Debug)]
pub(crate) enum RawClientsSection {
    One(RawClients),
    Groups(Vec<Spanned<RawClients>>),
}

impl RawClientsSection {
    /// Every group with its span (`whole`: the span of the section, for
    /// the single table).
    pub fn groups(
        &self,
        whole: std::ops::Range<usize>,
    ) -> Vec<(std::ops::Range<usize>, &RawClients)> {
        match self {
            RawClientsSection::One(c) => vec![(whole, c)],
            RawClientsSection::Groups(g) => g.iter().map(|c| (c.span(), c.get_ref())).collect(),
        }
    }
}

impl<'de> Deserialize<'de> for RawClientsSection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawClientsSection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [clients] table or [[clients]] groups")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                RawClients::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawClientsSection::One)
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
                Vec::<Spanned<RawClients>>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(RawClientsSection::Groups)
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[[faults]]` entry. Every field of every kind is listed; the
/// conversion rejects fields that do not belong to the entry's kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFault {
    pub at: Spanned<Dur>,
    #[serde(default)]
    pub after_event: Option<Spanned<u64>>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub node: Option<Spanned<Target>>,
    #[serde(default)]
    pub groups: Option<Spanned<Vec<Vec<Spanned<NodeRef>>>>>,
    #[serde(default)]
    pub from: Option<Spanned<NodeOrList>>,
    #[serde(default)]
    pub to: Option<Spanned<NodeOrList>>,
    #[serde(default)]
    pub offset: Option<Spanned<SignedDur>>,
    #[serde(default)]
    pub ppm: Option<Spanned<i64>>,
    #[serde(default)]
    pub delta: Option<Spanned<SignedDur>>,
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub duplicate: Option<Spanned<f64>>,
    #[serde(default)]
    pub reorder: Option<Spanned<f64>>,
    #[serde(default)]
    pub message: Option<Spanned<u64>>,
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    pub rack: Option<Spanned<String>>,
}

impl RawFault {
    /// Every field after `at`, `after_event` and `kind`, with its span when
    /// the entry has it: what a kind checks against the fields it takes.
    pub fn fields(&self) -> [(&'static str, Option<std::ops::Range<usize>>); 14] {
        [
            ("node", self.node.as_ref().map(|v| v.span())),
            ("groups", self.groups.as_ref().map(|v| v.span())),
            ("from", self.from.as_ref().map(|v| v.span())),
            ("to", self.to.as_ref().map(|v| v.span())),
            ("offset", self.offset.as_ref().map(|v| v.span())),
            ("ppm", self.ppm.as_ref().map(|v| v.span())),
            ("delta", self.delta.as_ref().map(|v| v.span())),
            ("latency", self.latency.as_ref().map(|v| v.span())),
            ("loss", self.loss.as_ref().map(|v| v.span())),
            ("duplicate", self.duplicate.as_ref().map(|v| v.span())),
            ("reorder", self.reorder.as_ref().map(|v| v.span())),
            ("message", self.message.as_ref().map(|v| v.span())),
            ("region", self.region.as_ref().map(|v| v.span())),
            ("rack", self.rack.as_ref().map(|v| v.span())),
        ]
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNemesis {
    pub kinds: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub start: Option<Spanned<Dur>>,
    #[serde(default)]
    pub stop: Option<Spanned<Dur>>,
    #[serde(default)]
    pub interval: Option<Spanned<Dur>>,
    #[serde(default)]
    pub min_duration: Option<Spanned<Dur>>,
    #[serde(default)]
    pub max_duration: Option<Spanned<Dur>>,
    #[serde(default)]
    pub max_clock_offset: Option<Spanned<Dur>>,
    #[serde(default)]
    pub max_clock_step: Option<Spanned<Dur>>,
    #[serde(default)]
    pub max_drift_ppm: Option<Spanned<Count>>,
    #[serde(default)]
    pub loss: Option<Spanned<f64>>,
    #[serde(default)]
    pub swarm: Option<bool>,
    #[serde(default)]
    pub overlap: Option<Spanned<bool>>,
    #[serde(default)]
    pub max_faulty: Option<Spanned<Count>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChecks {
    #[serde(default)]
    pub invariants: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub stride: Option<u64>,
    #[serde(default)]
    pub linearizability: Option<Spanned<bool>>,
    #[serde(default)]
    pub liveness: Option<Spanned<Dur>>,
    #[serde(default)]
    pub linearizability_steps: Option<Spanned<u64>>,
    #[serde(default)]
    pub durability: Option<Spanned<bool>>,
    #[serde(default)]
    pub sessions: Option<Spanned<RawSessions>>,
    #[serde(default)]
    pub stale_reads: Option<Spanned<RawStale>>,
    #[serde(default)]
    pub during: Vec<Spanned<RawDuring>>,
    #[serde(default)]
    pub happens: Vec<Spanned<RawHappens>>,
}

/// `sessions = true`, or a list of guarantees:
/// `sessions = ["read-your-writes", "monotonic-reads"]`.
#[derive(Debug)]
pub(crate) enum RawSessions {
    All(bool),
    Some(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawSessions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSessions;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "true, false, or a list of guarantees like [\"read-your-writes\", \"monotonic-reads\"]",
                )
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawSessions, E> {
                Ok(RawSessions::All(v))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawSessions, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<Spanned<String>>()? {
                    names.push(name);
                }
                Ok(RawSessions::Some(names))
            }
        }
        d.deserialize_any(V)
    }
}

/// `stale_reads = true` (no stale read at all), or bounds:
/// `stale_reads = { max_versions = 1, max_age = "200ms" }`.
#[derive(Debug)]
pub(crate) enum RawStale {
    Flag(bool),
    Bounds(RawStaleBounds),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStaleBounds {
    #[serde(default)]
    pub max_versions: Option<Spanned<u64>>,
    #[serde(default)]
    pub max_age: Option<Spanned<Dur>>,
}

impl<'de> Deserialize<'de> for RawStale {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStale;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false, or bounds like { max_versions = 1, max_age = \"200ms\" }")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawStale, E> {
                Ok(RawStale::Flag(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawStale, A::Error> {
                RawStaleBounds::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawStale::Bounds)
            }
        }
        d.deserialize_any(V)
    }
}

/// `expect = "pass"`, or `expect = { outcome = "linearizability",
/// at_least = "50%" }` for a sweep.
#[derive(Debug)]
pub(crate) enum RawExpect {
    Outcome(String),
    Share(RawShare),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShare {
    pub outcome: Spanned<String>,
    pub at_least: Spanned<String>,
}

impl<'de> Deserialize<'de> for RawExpect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawExpect;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an outcome like \"pass\", or a table like { outcome = \"linearizability\", at_least = \"50%\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawExpect, E> {
                Ok(RawExpect::Outcome(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawExpect, A::Error> {
                RawShare::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawExpect::Share)
            }
        }
        d.deserialize_any(V)
    }
}

/// One `[[checks.during]]` entry: a window and a predicate over an
/// observable. Exactly one predicate field is set; the conversion says so.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDuring {
    pub name: Spanned<String>,
    pub observe: Spanned<String>,
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    pub length: Option<Spanned<Dur>>,
    #[serde(default)]
    pub nodes: Option<Spanned<Vec<Spanned<NodeRef>>>>,
    #[serde(default)]
    pub count: Option<Spanned<RawCount>>,
    #[serde(default)]
    pub at_most: Option<Spanned<u64>>,
    #[serde(default)]
    pub at_least: Option<Spanned<u64>>,
    #[serde(default)]
    pub all_equal: Option<Spanned<bool>>,
    #[serde(default)]
    pub unchanged: Option<Spanned<bool>>,
    #[serde(default)]
    pub grows: Option<Spanned<bool>>,
    #[serde(default)]
    pub within: Option<Spanned<Dur>>,
}

/// One `[[checks.happens]]` entry: a reported event that must occur.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHappens {
    pub event: Spanned<String>,
    #[serde(default)]
    pub at_least: Option<Spanned<u64>>,
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    pub length: Option<Spanned<Dur>>,
}

/// `count = 1`, or `count = { at_most = 1 }` / `{ at_least = 2 }`.
#[derive(Debug)]
pub(crate) enum RawCount {
    Exactly(u64),
    Table(RawCountTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCountTable {
    #[serde(default)]
    pub at_most: Option<u64>,
    #[serde(default)]
    pub at_least: Option<u64>,
}

impl<'de> Deserialize<'de> for RawCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of nodes like 1, or a table like { at_most = 1 } or { at_least = 2 }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawCount, E> {
                u64::try_from(v)
                    .map(RawCount::Exactly)
                    .map_err(|_| E::custom(format!("found {v}; expected a count of 0 or more")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawCount, E> {
                Ok(RawCount::Exactly(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<RawCount, A::Error> {
                RawCountTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawCount::Table)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReplay {
    #[serde(default)]
    pub source: Option<String>,
    pub fingerprint: Spanned<String>,
    pub outcome: Spanned<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub event: Option<u64>,
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub swarm: Option<String>,
    #[serde(default)]
    pub steps: Option<Spanned<Vec<faultline_sim::Choice>>>,
}

/// A non-negative human duration (`"150ms"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string like \"150ms\" or \"2s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map(Dur).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A signed human duration (`"-50ms"`), in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SignedDur(pub i64);

impl<'de> Deserialize<'de> for SignedDur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SignedDur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string like \"-50ms\" or \"2s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SignedDur, E> {
                parse_signed_duration(v).map(SignedDur).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A rate per client such as `"50/s"`, kept as the mean think time it gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rate(pub Duration);

/// Parses `"<count>/<unit>"` (units `ms`, `s`, `m` or `min`, `h`) into the
/// mean time between operations.
pub(crate) fn parse_rate(text: &str) -> Result<Duration, String> {
    let expected = "expected a rate like \"50/s\" (operations per ms, s, m or h)";
    let Some((count, unit)) = text.trim().split_once('/') else {
        return Err(format!("found {text:?}, {expected}"));
    };
    let per: Duration = match unit.trim() {
        "ms" => Duration::from_millis(1),
        "s" => Duration::from_secs(1),
        "m" | "min" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        other => return Err(format!("found unit {other:?} in {text:?}, {expected}")),
    };
    let count: f64 = count
        .trim()
        .parse()
        .map_err(|_| format!("found {text:?}, {expected}"))?;
    if !(count > 0.0 && count.is_finite()) {
        return Err(format!(
            "found {text:?}, a rate of zero or less; expected a positive rate like \"50/s\""
        ));
    }
    let nanos = (per.as_nanos() as f64 / count).round();
    if nanos < 1.0 {
        return Err(format!(
            "found {text:?}, more than one operation per nanosecond; expected a slower rate"
        ));
    }
    Ok(Duration::from_nanos(nanos as u64))
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rate string like \"50/s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
                parse_rate(v).map(Rate).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// The `node` of a fault: a node id, or a role the algorithm publishes
/// (`"leader"`), resolved when the fault applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Node(NodeRef),
    Role(String),
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Target;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node id like 2 or \"n2\", or a role like \"leader\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Target, E> {
                node_from_i64(v).map(Target::Node)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Target, E> {
                node_from_i64(i64::try_from(v).unwrap_or(-1)).map(Target::Node)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Target, E> {
                let digits = v.strip_prefix('n').unwrap_or(v);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    node_from_str(v).map(Target::Node)
                } else {
                    Ok(Target::Role(v.to_string()))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A node id: an integer (`2`) or a name as shown in traces (`"n2"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeRef(pub u32);

fn node_from_str<E: de::Error>(v: &str) -> Result<NodeRef, E> {
    v.strip_prefix('n')
        .unwrap_or(v)
        .parse::<u32>()
        .map(NodeRef)
        .map_err(|_| E::custom(format!("found {v:?}, expected a node id like 2 or \"n2\"")))
}

fn node_from_i64<E: de::Error>(v: i64) -> Result<NodeRef, E> {
    u32::try_from(v).map(NodeRef).map_err(|_| {
        E::custom(format!(
            "found {v}, expected a node id like 2 or \"n2\" (0 or more)"
        ))
    })
}

impl<'de> Deserialize<'de> for NodeRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NodeRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node id like 2 or \"n2\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeRef, E> {
                node_from_i64(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeRef, E> {
                node_from_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeRef, E> {
                node_from_str(v)
            }
        }
        d.deserialize_any(V)
    }
}

/// One node or a list of them (`from = 0` or `from = [0, 1]`).
#[derive(Debug)]
pub(crate) enum NodeOrList {
    One(NodeRef),
    Many(Vec<Spanned<NodeRef>>),
}

impl<'de> Deserialize<'de> for NodeOrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NodeOrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a node id like 2 or \"n2\", or a list of them")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NodeOrList, E> {
                node_from_i64(v).map(NodeOrList::One)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NodeOrList, E> {
                node_from_i64(i64::try_from(v).unwrap_or(-1)).map(NodeOrList::One)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NodeOrList, E> {
                node_from_str(v).map(NodeOrList::One)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<NodeOrList, A::Error> {
                let mut nodes = Vec::new();
                while let Some(n) = seq.next_element::<Spanned<NodeRef>>()? {
                    nodes.push(n);
                }
                Ok(NodeOrList::Many(nodes))
            }
        }
        d.deserialize_any(V)
    }
}

/// A whole number from 0 to `u32::MAX` (a count of servers, clients, keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Count(pub u32);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number like 3")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u32::try_from(v).map(Count).map_err(|_| {
                    E::custom(format!(
                        "found {v}, expected a whole number from 0 to {}",
                        u32::MAX
                    ))
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(V)
    }
}

/// A run seed: an integer, or a string for seeds above `i64::MAX`
/// (`"18446744073709551615"` or `"0xffffffffffffffff"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seed(pub u64);

/// Parses a seed written in decimal or as `0x` hexadecimal: digits (and
/// `_` between them) and nothing else, so no sign and no spaces, as for a
/// replay file's fingerprint.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let refuse = || {
        format!(
            "found {text:?}, expected a seed: an integer from 0 to 18446744073709551615 (decimal or 0x hex, no sign or spaces)"
        )
    };
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (text, 10),
    };
    // `from_str_radix` itself takes a leading `+`: only digits pass here.
    let well_formed = digits.starts_with(|c: char| c.is_digit(radix))
        && digits.ends_with(|c: char| c.is_digit(radix))
        && digits.chars().all(|c| c == '_' || c.is_digit(radix));
    if !well_formed {
        return Err(refuse());
    }
    u64::from_str_radix(&digits.replace('_', ""), radix).map_err(|_| refuse())
}

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Seed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a seed: an integer of 0 or more")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seed, E> {
                u64::try_from(v)
                    .map(Seed)
                    .map_err(|_| E::custom(format!("found {v}, expected a seed of 0 or more")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seed, E> {
                Ok(Seed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Seed, E> {
                parse_seed(v).map(Seed).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_become_think_times() {
        assert_eq!(parse_rate("50/s"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_rate("2/ms"), Ok(Duration::from_micros(500)));
        assert_eq!(parse_rate("0.5/s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_rate("60/min"), Ok(Duration::from_secs(1)));
        assert!(parse_rate("50").unwrap_err().contains("expected a rate"));
        assert!(parse_rate("0/s").unwrap_err().contains("zero or less"));
        assert!(parse_rate("5/week").unwrap_err().contains("unit"));
    }

    #[test]
    fn seeds_read_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("0xff"), Ok(255));
        assert_eq!(parse_seed("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_seed("1_000"), Ok(1000));
        assert_eq!(parse_seed("0XFF"), Ok(255));
        assert!(parse_seed("-1").is_err());
        // A sign or spaces are refused, as in a replay file's fingerprint
        // (`from_str_radix` alone would take a `+`).
        for bad in [
            "+5",
            "0x+5",
            " 5",
            "5 ",
            "",
            "0x",
            "_5",
            "5_",
            "0x_f",
            "18446744073709551616",
            "5s",
        ] {
            let err = parse_seed(bad).unwrap_err();
            assert!(err.contains("no sign or spaces"), "{bad:?}: {err}");
        }
    }
}
