//! The operation families algorithms choose from: what their clients ask,
//! how a workload picks the next request, and the model their histories are
//! checked against.
//!
//! An algorithm names its family once, as its process's
//! [`Process::Family`](faultline_sim::Process::Family); the kernel paces the
//! clients and records the history, the family supplies everything
//! specific ([`OpFamily`]), and this module adds what scenario files need:
//! the family's own `[clients]` fields, read and checked with located
//! errors ([`Family`]).
//!
//! | family | operations | model | `[clients]` fields |
//! |---|---|---|---|
//! | [`kv`] | get, put, append, cas on string keys | [`KvModel`](faultline_checker::models::KvModel), per key | `keys`, `hot`, `mix` |
//! | [`consensus`] | propose(v) -> decided value | [`ConsensusModel`](faultline_checker::models::ConsensusModel) | `values` |
//! | `none` ([`NoOps`]) | none: the algorithm has no clients | | |
//!
//! Every family shares the pacing fields `count`, `rate` and `max_ops`, and
//! `pin` ([`CLIENT_FIELDS`]); `[[clients]]` groups each have all of them.

pub mod consensus;
pub mod kv;

pub use consensus::{ConsensusFamily, ConsensusWorkload};
pub use kv::{KvFamily, KvWorkload, OpMix};

use crate::algorithm::{ParamDoc, ParamError, ParamInfo, Settings, describe_settings};
use faultline_sim::{NoOps, OpFamily, WorldConfig};

/// The `[clients]` fields every family shares: how many clients and how
/// they pace themselves.
pub const CLIENT_FIELDS: &[ParamDoc] = &[
    ParamDoc::new("count", "Number of clients (nodes after the servers).").default_text("0"),
    ParamDoc::new(
        "rate",
        "How often each client issues an operation (\"20/s\"): the mean of its exponential think time is 1/rate.",
    )
    .default_text("\"50/s\""),
    ParamDoc::new(
        "max_ops",
        "Stop issuing after this many operations per client.",
    )
    .default_text("none"),
    ParamDoc::new(
        "pin",
        "Send every operation to this server (2 or \"n2\") or to the live holder of a role (\"leader\"), resolved per operation.",
    )
    .default_text("unpinned"),
];

/// What `faultline list` and error messages say of a family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyInfo {
    /// Name (`kv`).
    pub name: &'static str,
    /// The operations, in a few words.
    pub operations: &'static str,
    /// The family's own `[clients]` fields, beside [`CLIENT_FIELDS`].
    pub fields: Vec<ParamInfo>,
}

impl FamilyInfo {
    /// Whether `[clients]` may hold `field` for this family.
    pub fn has_field(&self, field: &str) -> bool {
        CLIENT_FIELDS.iter().any(|f| f.name == field) || self.fields.iter().any(|f| f.name == field)
    }

    /// Every `[clients]` field of this family, shared ones first.
    pub fn field_names(&self) -> Vec<&'static str> {
        CLIENT_FIELDS
            .iter()
            .map(|f| f.name)
            .chain(self.fields.iter().map(|f| f.name))
            .collect()
    }

    /// Whether the family has client operations at all.
    pub fn has_operations(&self) -> bool {
        self.name != NoOps::NAME
    }
}

/// An operation family as scenario files see it: its `[clients]` fields.
pub trait Family: OpFamily {
    /// Name, operations and `[clients]` fields.
    fn info() -> FamilyInfo;

    /// Reads and checks the family's fields of `[clients]` in the scenario
    /// document `doc`: one workload for a `[clients]` table, one per group
    /// for `[[clients]]` groups (see
    /// [`parse_groups`](crate::algorithm::parse_groups)); errors are located
    /// in it. The shared fields are the scenario parser's.
    fn parse_workloads(doc: &str, config: &WorldConfig) -> Result<Vec<Self::Workload>, ParamError>;

    /// Where the workload's fields and their documentation disagree
    /// (see [`settings_problems`](crate::algorithm::settings_problems)).
    fn declaration_problems() -> Vec<String>;
}

/// [`Family::info`] for a family whose workload is a [`Settings`] type.
pub fn info_of<F>() -> FamilyInfo
where
    F: OpFamily<Workload: Settings>,
{
    FamilyInfo {
        name: F::NAME,
        operations: F::OPERATIONS,
        fields: describe_settings::<F::Workload>(),
    }
}

impl Family for NoOps {
    fn info() -> FamilyInfo {
        FamilyInfo {
            name: NoOps::NAME,
            operations: NoOps::OPERATIONS,
            fields: Vec::new(),
        }
    }

    fn parse_workloads(_doc: &str, _config: &WorldConfig) -> Result<Vec<()>, ParamError> {
        Ok(vec![()])
    }

    fn declaration_problems() -> Vec<String> {
        Vec::new()
    }
}

/// proptest strategies for the `[clients]` fields of the family called
/// `name` (`None` for a family without operations), for property harnesses
/// that vary the workload's shape.
#[cfg(feature = "proptest")]
pub fn workload_shapes(name: &str) -> Option<proptest::strategy::BoxedStrategy<toml::Table>> {
    match name {
        KvFamily::NAME => Some(kv::workload_shapes()),
        ConsensusFamily::NAME => Some(consensus::workload_shapes()),
        _ => None,
    }
}

/// Every family with client operations, for messages that name the family
/// a misplaced `[clients]` field belongs to.
pub fn families() -> Vec<FamilyInfo> {
    vec![KvFamily::info(), ConsensusFamily::info()]
}
