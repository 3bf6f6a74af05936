//! How an algorithm declares itself, once: its node type, parameters, bug
//! variants, invariants and operation family ([`Algorithm`]). Everything the
//! tools need follows from that declaration: what `faultline list` shows
//! ([`AlgorithmInfo`]), how a scenario's `[params]` and `[clients]` are read
//! and checked, and how a world is built ([`AnyAlgorithm`], the object-safe
//! form the registry lists).
//!
//! This file knows no algorithm; the list of them is
//! [`registry`](crate::registry), which imports the algorithms, which import
//! this. A new algorithm implements [`Algorithm`] on a unit struct and adds
//! one line to the registry (the tutorial, `docs/tutorial.md`, walks
//! through it).

use crate::family::{Family, FamilyInfo};
use faultline_sim::{
    ConfigError, Factory, Invariant, NodeId, NodeKind, Observable, Process, ReportDoc, SimHandle,
    TimeCheck, World, WorldConfig,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::ops::Range;
use std::sync::Arc;

/// A documented parameter, as `faultline list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// Name in the scenario's table (`[params]`, or `[clients]` for a
    /// family's workload fields).
    pub name: &'static str,
    /// Default value as TOML (or words, when it is computed).
    pub default: String,
    /// What it does.
    pub doc: &'static str,
}

/// The documentation of one field of a [`Settings`] type. The default is
/// read from the type's `Default` unless [`ParamDoc::default_text`] says it
/// in words (for defaults computed from other fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamDoc {
    /// Field name, as written in the scenario.
    pub name: &'static str,
    /// One line.
    pub doc: &'static str,
    /// The default in words, when `Default` cannot show it.
    pub default: Option<&'static str>,
}

impl ParamDoc {
    /// A field whose default is its `Default` value.
    pub const fn new(name: &'static str, doc: &'static str) -> Self {
        ParamDoc {
            name,
            doc,
            default: None,
        }
    }

    /// The same field with its default described in words.
    pub const fn default_text(self, text: &'static str) -> Self {
        ParamDoc {
            default: Some(text),
            ..self
        }
    }
}

/// A documented bug variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugInfo {
    /// Value of the `bug` parameter that switches it on.
    pub name: &'static str,
    /// The realistic mistake it plants.
    pub doc: &'static str,
    /// The check expected to catch it: an invariant, `linearizability`,
    /// `liveness`, or for the kv family one of the weak checks
    /// (`durability`, `sessions`, `stale_reads`). Its bug scenario expects
    /// this outcome.
    pub caught_by: &'static str,
}

/// A documented invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantInfo {
    /// Name, as used in scenario `checks`.
    pub name: String,
    /// What it checks.
    pub doc: String,
}

/// What `faultline list`, the scenario parser, the zoo and the lab know of
/// an algorithm: all of it derived from its [`Algorithm`] declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmInfo {
    /// Name, as used in scenario files.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Parameters (`[params]`).
    pub params: Vec<ParamInfo>,
    /// Bug variants.
    pub bugs: Vec<BugInfo>,
    /// Invariants.
    pub invariants: Vec<InvariantInfo>,
    /// The client operations it serves, and their `[clients]` fields.
    pub family: FamilyInfo,
    /// What its nodes publish for checks over time, role-aimed faults and
    /// the lab (`faultline_sim::observe`).
    pub observables: Vec<Observable>,
    /// The events its nodes report (coverage requirements count them).
    pub reports: Vec<ReportDoc>,
    /// Whether its clients honour a client group's `pin`
    /// ([`Algorithm::CLIENTS_PIN`]).
    pub clients_pin: bool,
    /// The role whose holder serves writes ([`Algorithm::SERVING_ROLE`]).
    pub serving_role: Option<&'static str>,
}

/// A bad parameter: what is wrong and, when known, where in the scenario
/// document (a byte range).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParamError {
    /// What was found and what was expected.
    pub message: String,
    /// Byte range in the scenario text.
    pub span: Option<Range<usize>>,
    /// The key of a `[clients]` field the error is about, so that an error
    /// found in one of several `[[clients]]` groups can be located in it.
    clients_key: Option<String>,
}

impl ParamError {
    /// An error about `[params] key`, located from the key to the end of
    /// its value (or at the `[params]` table when the key is absent).
    pub fn at_key(doc: &str, key: &str, message: impl Into<String>) -> Self {
        ParamError {
            message: message.into(),
            span: key_span(doc, "params", key, SpanOf::Entry),
            clients_key: None,
        }
    }

    /// An error about `key` of the top-level `table`, located at its value
    /// (or at the table when the key is absent).
    pub fn at_value(doc: &str, table: &str, key: &str, message: impl Into<String>) -> Self {
        ParamError {
            message: message.into(),
            span: key_span(doc, table, key, SpanOf::Value),
            clients_key: (table == "clients").then(|| key.to_string()),
        }
    }

    /// An error at a byte range of the document (`None`: nowhere).
    pub fn located(span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        ParamError {
            message: message.into(),
            span,
            clients_key: None,
        }
    }

    /// An error about the scenario's top-level `servers` count (an
    /// algorithm that needs more servers than the file has), located at its
    /// value, or unlocated when the file leaves the count to its default.
    pub fn at_servers(doc: &str, message: impl Into<String>) -> Self {
        use toml::de::DeTable;
        let span = DeTable::parse(doc).ok().and_then(|root| {
            root.get_ref()
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == "servers")
                .map(|(_, v)| v.span())
        });
        ParamError::located(span, message)
    }

    /// An error with no place in the document.
    pub fn unlocated(message: impl Into<String>) -> Self {
        ParamError {
            message: message.into(),
            span: None,
            clients_key: None,
        }
    }
}

impl From<ConfigError> for ParamError {
    fn from(e: ConfigError) -> Self {
        ParamError::unlocated(e.to_string())
    }
}

/// Settings read from one table of a scenario: an algorithm's parameters
/// (`[params]`) or an operation family's workload fields (`[clients]`).
///
/// Declare the fields once, as a serde struct with `#[serde(default)]`;
/// [`Settings::DOCS`] says what each does (a test checks that the two
/// agree), and defaults are read from `Default`.
pub trait Settings:
    Serialize + DeserializeOwned + Default + Clone + Debug + Send + Sync + 'static
{
    /// The scenario table the fields live in: `params` or `clients`.
    const TABLE: &'static str;
    /// Every field, in the order `faultline list` shows them.
    const DOCS: &'static [ParamDoc];

    /// Checks values against each other and the run. Locate errors with
    /// [`ParamError::at_key`] or [`ParamError::at_value`].
    fn validate(&self, doc: &str, config: &WorldConfig) -> Result<(), ParamError> {
        let _ = (doc, config);
        Ok(())
    }
}

#[derive(Deserialize)]
struct ParamsDoc<T> {
    params: Option<T>,
}

#[derive(Deserialize)]
struct ClientsDoc<T> {
    clients: Option<T>,
}

/// Reads `S` from its table of the scenario document `doc` (a missing table
/// gives `S::default()`), then validates it. Errors carry their location.
pub fn parse_settings<S: Settings>(doc: &str, config: &WorldConfig) -> Result<S, ParamError> {
    let located = |e: toml::de::Error| ParamError {
        message: e.message().trim_end().to_string(),
        span: e.span(),
        clients_key: None,
    };
    let settings = match S::TABLE {
        "params" => toml::from_str::<ParamsDoc<S>>(doc)
            .map_err(located)?
            .params
            .unwrap_or_default(),
        "clients" => toml::from_str::<ClientsDoc<S>>(doc)
            .map_err(located)?
            .clients
            .unwrap_or_default(),
        other => unreachable!("settings live in [params] or [clients], not [{other}]"),
    };
    settings.validate(doc, config)?;
    Ok(settings)
}

/// `[clients]` as one table (one group) or as an array of tables
/// (`[[clients]]`, one group each).
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a [clients] table or [[clients]] groups")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<Self::Value, M::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(OneOrMany::One)
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                seq: S,
            ) -> Result<Self::Value, S::Error> {
                Vec::<T>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMany::Many)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct GroupsDoc<T> {
    clients: Option<OneOrMany<T>>,
}

/// Reads a family's workload fields `S` from `[clients]`: one value for a
/// `[clients]` table (or none: `S::default()`), one per group for
/// `[[clients]]` groups. Each is validated; an error in a group is located
/// in that group.
pub fn parse_groups<S: Settings>(doc: &str, config: &WorldConfig) -> Result<Vec<S>, ParamError> {
    let parsed = toml::from_str::<GroupsDoc<S>>(doc).map_err(|e| ParamError {
        message: e.message().trim_end().to_string(),
        span: e.span(),
        clients_key: None,
    })?;
    match parsed.clients {
        None => Ok(vec![parse_settings(doc, config)?]),
        Some(OneOrMany::One(_)) => Ok(vec![parse_settings(doc, config)?]),
        Some(OneOrMany::Many(groups)) => {
            for (i, g) in groups.iter().enumerate() {
                g.validate(doc, config).map_err(|mut e| {
                    if let Some(key) = &e.clients_key {
                        e.span = group_key_span(doc, i, key).or(e.span);
                        e.message = format!("client group {}: {}", i + 1, e.message);
                    }
                    e
                })?;
            }
            Ok(groups)
        }
    }
}

/// The byte range of `key`'s value in the `index`th `[[clients]]` group, or
/// of the group when the key is absent.
pub fn group_key_span(doc: &str, index: usize, key: &str) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(doc).ok()?;
    let (_, value) = root
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "clients")?;
    let DeValue::Array(groups) = value.get_ref() else {
        return None;
    };
    let group = groups.get(index)?;
    let DeValue::Table(entries) = group.get_ref() else {
        return Some(group.span());
    };
    match entries.iter().find(|(k, _)| k.get_ref().as_ref() == key) {
        Some((_, v)) => Some(v.span()),
        None => Some(group.span()),
    }
}

/// Parses the `[params]` table of a scenario document into `T` (which
/// should deny unknown fields); a missing table gives `T::default()`.
/// Errors carry the location in the document. Unlike [`parse_settings`]
/// this does not validate.
pub fn parse_params<T: DeserializeOwned + Default>(doc: &str) -> Result<T, ParamError> {
    toml::from_str::<ParamsDoc<T>>(doc)
        .map(|d| d.params.unwrap_or_default())
        .map_err(|e| ParamError {
            message: e.message().trim_end().to_string(),
            span: e.span(),
            clients_key: None,
        })
}

/// The documentation of `S`'s fields, defaults included.
pub fn describe_settings<S: Settings>() -> Vec<ParamInfo> {
    let defaults = toml::Table::try_from(S::default()).unwrap_or_default();
    S::DOCS
        .iter()
        .map(|d| ParamInfo {
            name: d.name,
            default: match (d.default, defaults.get(d.name)) {
                (Some(words), _) => words.to_string(),
                (None, Some(value)) => value.to_string(),
                (None, None) => "none".to_string(),
            },
            doc: d.doc,
        })
        .collect()
}

/// Documentation written only in words (no `Default` to read), as for the
/// `[clients]` fields every family shares.
pub fn describe_settings_docs(docs: &[ParamDoc]) -> Vec<ParamInfo> {
    docs.iter()
        .map(|d| ParamInfo {
            name: d.name,
            default: d.default.unwrap_or("none").to_string(),
            doc: d.doc,
        })
        .collect()
}

/// An algorithm's bug variants: an enum whose serde names are the values of
/// `[params] bug`.
pub trait BugVariant: Copy + Debug + Serialize + DeserializeOwned + 'static {
    /// Every variant, documented, with the check that catches it.
    const ALL: &'static [BugInfo];
}

/// The bug variants of an algorithm that plants none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoBug {}

impl BugVariant for NoBug {
    const ALL: &'static [BugInfo] = &[];
}

/// The durable state of `A`'s nodes.
pub type DurableOf<A> = <<A as Algorithm>::Node as Process>::Durable;

/// An algorithm, declared once.
///
/// ```ignore
/// pub struct Gossip;
///
/// impl Algorithm for Gossip {
///     const NAME: &'static str = "gossip";
///     const SUMMARY: &'static str = "Gossip broadcast of a grow-only set.";
///     type Node = GossipNode;          // its Process; Node::Family is its operations
///     type Params = GossipParams;      // `[params]`, a Settings type
///     type Bug = GossipBug;            // its bug variants
///     type Shared = Arc<GossipParams>; // what every node and invariant shares
///
///     fn prepare(params: GossipParams, _doc: &str, _config: &WorldConfig)
///         -> Result<Arc<GossipParams>, ParamError> { Ok(Arc::new(params)) }
///     fn invariants(shared: &Arc<GossipParams>) -> Vec<Box<dyn Invariant<GossipNode>>> { ... }
///     fn node(shared: &Arc<GossipParams>, id: NodeId, kind: NodeKind, durable: &BTreeSet<String>)
///         -> GossipNode { ... }
/// }
/// ```
pub trait Algorithm: Send + Sync + 'static {
    /// Name in scenario files (`algorithm = "raft"`).
    const NAME: &'static str;
    /// One line for `faultline list`.
    const SUMMARY: &'static str;
    /// The process every node runs; its `Family` is the algorithm's
    /// operation family.
    type Node: Process<Family: Family>;
    /// The `[params]` table.
    type Params: Settings;
    /// The bug variants.
    type Bug: BugVariant;
    /// What nodes and invariants share, made from valid parameters (often
    /// just `Arc<Params>`).
    type Shared: Clone + Send + Sync + 'static;
    /// Whether the clients send an operation to the server
    /// [`Ctx::pin`](faultline_sim::Ctx::pin) names when their group is
    /// pinned (`pin` in `[[clients]]`). An algorithm whose clients cannot
    /// (they route each key to its own replicas, say) says `false`, and a
    /// scenario that pins its clients is refused at load.
    const CLIENTS_PIN: bool = true;
    /// The role whose holder serves the clients' writes, if one server
    /// does (Raft's `"leader"`, a `"primary"`, a chain's `"head"`).
    /// `faultline compare` aims a shared fault at this role when the first
    /// scenario aimed it at its own serving role; a leaderless store says
    /// `None` and gets the server the first scenario's fault hit.
    const SERVING_ROLE: Option<&'static str> = None;

    /// Turns validated parameters into what nodes share, checking what
    /// needs the run (the server count, say). Errors are located in `doc`.
    fn prepare(
        params: Self::Params,
        doc: &str,
        config: &WorldConfig,
    ) -> Result<Self::Shared, ParamError>;

    /// Every invariant, in the order reports list them.
    fn invariants(shared: &Self::Shared) -> Vec<Box<dyn Invariant<Self::Node>>>;

    /// Builds a node from its durable state: at first boot (from
    /// `Durable::default()`) and after every restart.
    fn node(
        shared: &Self::Shared,
        id: NodeId,
        kind: NodeKind,
        durable: &DurableOf<Self>,
    ) -> Self::Node;
}

/// Builds a world of `A` from shared state and chosen invariants.
pub fn world<A: Algorithm>(
    config: WorldConfig,
    shared: A::Shared,
    invariants: Vec<Box<dyn Invariant<A::Node>>>,
) -> Result<World<A::Node>, ConfigError> {
    let factory: Factory<A::Node> =
        Arc::new(move |id, kind, durable| A::node(&shared, id, kind, durable));
    World::new(config, factory, invariants)
}

/// Builds a world of `A` from a scenario document: its `[params]` and its
/// family's `[clients]` fields read and checked, the invariants chosen.
pub(crate) fn scenario_world<A: Algorithm>(
    doc: &str,
    config: WorldConfig,
    invariants: Option<&[String]>,
) -> Result<World<A::Node>, ParamError> {
    let params: A::Params = parse_settings(doc, &config)?;
    let workloads = <<A::Node as Process>::Family as Family>::parse_workloads(doc, &config)?;
    let shared = A::prepare(params, doc, &config)?;
    let chosen = select_invariants(A::invariants(&shared), invariants)?;
    Ok(world::<A>(config, shared, chosen)?.with_workloads(workloads)?)
}

/// An algorithm as the tools see it, whatever its types: the registry
/// lists these. Every [`Algorithm`] is one.
pub trait AnyAlgorithm: Send + Sync {
    /// Name, as in scenario files (cheaper than [`AnyAlgorithm::info`]).
    fn name(&self) -> &'static str;
    /// Name, parameters, bugs, invariants, operation family.
    fn info(&self) -> AlgorithmInfo;
    /// Reads and validates this algorithm's `[params]` and its family's
    /// `[clients]` fields from the scenario document `doc` (TOML text, so
    /// errors can point into it) and builds a world with `config`.
    /// `invariants` selects which invariants to check (`None`: all of
    /// them); an unknown name is an error.
    fn build(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
    ) -> Result<Box<dyn SimHandle>, ParamError> {
        self.build_checked(doc, config, invariants, &[])
    }
    /// [`AnyAlgorithm::build`] with checks over time, whose observables
    /// and events the scenario parser has already resolved against
    /// [`AlgorithmInfo::observables`] and [`AlgorithmInfo::reports`].
    fn build_checked(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
        time_checks: &[TimeCheck],
    ) -> Result<Box<dyn SimHandle>, ParamError>;
    /// What is inconsistent in the declaration itself (empty when nothing):
    /// a parameter field without documentation or documentation without a
    /// field, a bug name that is not a variant, a bug caught by a check the
    /// algorithm does not have.
    fn declaration_problems(&self) -> Vec<String>;
    /// Builds a world as [`AnyAlgorithm::build`] does (`config` must have
    /// an adversary) and searches it ([`faultline_sim::explore::search`]).
    fn explore(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
        job: ExploreJob<'_>,
    ) -> Result<faultline_sim::explore::Report, ParamError>;
}

/// What [`AnyAlgorithm::explore`] is asked to do.
pub struct ExploreJob<'a> {
    /// The search order.
    pub strategy: faultline_sim::explore::Strategy,
    /// Depth, state and walk bounds.
    pub limits: faultline_sim::explore::Limits,
    /// Check the history for linearizability after every step that
    /// completes an operation, with this step budget; `None`: do not.
    pub linearizability: Option<u64>,
    /// Where the search's tasks run.
    pub par: &'a dyn faultline_sim::explore::Parallel,
    /// Called now and then with the search's counts.
    pub progress: &'a mut dyn FnMut(&faultline_sim::explore::Progress),
}

impl<A: Algorithm> AnyAlgorithm for A {
    fn name(&self) -> &'static str {
        A::NAME
    }

    fn info(&self) -> AlgorithmInfo {
        let invariants = match A::prepare(A::Params::default(), "", &WorldConfig::default()) {
            Ok(shared) => A::invariants(&shared)
                .iter()
                .map(|i| InvariantInfo {
                    name: i.name().to_string(),
                    doc: i.description().to_string(),
                })
                .collect(),
            Err(e) => panic!(
                "{}: the default parameters must be valid for three servers: {e}",
                A::NAME
            ),
        };
        AlgorithmInfo {
            name: A::NAME,
            summary: A::SUMMARY,
            params: describe_settings::<A::Params>(),
            bugs: A::Bug::ALL.to_vec(),
            invariants,
            family: <<A::Node as Process>::Family as Family>::info(),
            observables: <A::Node as Process>::OBSERVABLES.to_vec(),
            reports: <A::Node as Process>::REPORTS.to_vec(),
            clients_pin: A::CLIENTS_PIN,
            serving_role: A::SERVING_ROLE,
        }
    }

    fn build_checked(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
        time_checks: &[TimeCheck],
    ) -> Result<Box<dyn SimHandle>, ParamError> {
        let mut world = scenario_world::<A>(doc, config, invariants)?;
        if !time_checks.is_empty() {
            world = world.with_time_checks(time_checks.to_vec());
        }
        Ok(Box::new(world))
    }

    fn explore(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
        job: ExploreJob<'_>,
    ) -> Result<faultline_sim::explore::Report, ParamError> {
        if config.adversary.is_none() {
            return Err(ParamError::unlocated(
                "an explored world needs an adversary: an [explore] table",
            ));
        }
        let world = scenario_world::<A>(doc, config, invariants)?;
        let steps = job.linearizability;
        let history = move |h: &[faultline_sim::OpOf<A::Node>]| -> Result<(), (String, String)> {
            let Some(steps) = steps else {
                return Ok(());
            };
            let model =
                <<<A::Node as Process>::Family as faultline_sim::OpFamily>::Model>::default();
            let result =
                faultline_checker::check(&model, h, faultline_checker::Budget::steps(steps));
            match crate::scenario::outcome::linearizability_report(&result, steps).1 {
                None => Ok(()),
                Some(reason) => Err(("linearizability".to_string(), reason)),
            }
        };
        Ok(faultline_sim::explore::search(
            &world,
            job.strategy,
            job.limits,
            &history,
            job.par,
            job.progress,
        ))
    }

    fn declaration_problems(&self) -> Vec<String> {
        let mut problems = settings_problems::<A::Params>();
        let info = self.info();
        for bug in A::Bug::ALL {
            if toml::Value::String(bug.name.into())
                .try_into::<A::Bug>()
                .is_err()
            {
                problems.push(format!(
                    "bug `{}` is not a variant of the bug enum",
                    bug.name
                ));
            }
            let checks = info.invariants.iter().map(|i| i.name.as_str());
            // The weak checks read a key-value history: only the kv family's
            // bugs may name them.
            let weak: &[&str] = if info.family.name == "kv" {
                &["durability", "sessions", "stale_reads"]
            } else {
                &[]
            };
            if !checks
                .chain(["linearizability", "liveness"])
                .chain(weak.iter().copied())
                .any(|c| c == bug.caught_by)
            {
                problems.push(format!(
                    "bug `{}` is caught by `{}`, which is not a check of {}",
                    bug.name,
                    bug.caught_by,
                    A::NAME
                ));
            }
        }
        if let Some(role) = A::SERVING_ROLE
            && !info
                .observables
                .iter()
                .any(|o| o.name == role && o.kind == faultline_sim::ObservableKind::Role)
        {
            problems.push(format!(
                "the serving role `{role}` is not a role {} publishes",
                A::NAME
            ));
        }
        problems.extend(<<A::Node as Process>::Family as Family>::declaration_problems());
        problems
    }
}

/// Where the fields of `S` and their documentation disagree.
pub fn settings_problems<S: Settings>() -> Vec<String> {
    let mut problems = Vec::new();
    let table = S::TABLE;
    let defaults = match toml::Table::try_from(S::default()) {
        Ok(t) => t,
        Err(e) => return vec![format!("[{table}] defaults do not serialise: {e}")],
    };
    for key in defaults.keys() {
        if !S::DOCS.iter().any(|d| d.name == key) {
            problems.push(format!("[{table}] field `{key}` has no documentation"));
        }
    }
    for d in S::DOCS {
        let present = defaults.contains_key(d.name);
        // A field with a default must take it back; an optional field left
        // out of the defaults must refuse a nonsense value for its type
        // (an unknown name is refused as unknown, or silently ignored).
        let value = defaults
            .get(d.name)
            .map_or("[[]]".to_string(), ToString::to_string);
        let doc = format!("[{table}]\n{} = {value}\n", d.name);
        let parsed = match table {
            "params" => toml::from_str::<ParamsDoc<S>>(&doc).map(|_| ()),
            _ => toml::from_str::<ClientsDoc<S>>(&doc).map(|_| ()),
        };
        let problem = match (&parsed, present) {
            (Err(e), _) if e.message().contains("unknown field") => Some("is not a field"),
            (Ok(()), false) => Some("is not a field"),
            (Err(_), true) => Some("does not take its own default"),
            _ => None,
        };
        if let Some(problem) = problem {
            let why = parsed
                .err()
                .map_or(String::new(), |e| format!(": {}", e.message().trim_end()));
            problems.push(format!(
                "[{table}] documents `{}`, which {problem}{why}",
                d.name
            ));
        }
    }
    problems
}

/// Which part of a `key = value` entry a location covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SpanOf {
    /// From the key to the end of the value.
    Entry,
    /// The value alone.
    Value,
}

/// The byte range of `table.key` in a scenario document, or of the table
/// when the key is absent (`None` when the table is absent too).
fn key_span(doc: &str, table: &str, key: &str, of: SpanOf) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(doc).ok()?;
    let (table_key, value) = root
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == table)?;
    let DeValue::Table(entries) = value.get_ref() else {
        return Some(table_key.span());
    };
    match entries.iter().find(|(k, _)| k.get_ref().as_ref() == key) {
        Some((k, v)) => Some(match of {
            SpanOf::Entry => k.span().start..v.span().end,
            SpanOf::Value => v.span(),
        }),
        None => Some(table_key.span()),
    }
}

/// The byte range of `params.<key> = value` in a scenario document (from
/// the key to the end of its value), or of the `[params]` table when the
/// key is absent.
pub fn param_span(doc: &str, key: &str) -> Option<Range<usize>> {
    key_span(doc, "params", key, SpanOf::Entry)
}

/// Selects invariants by name; an unknown name is an error listing the known ones.
pub fn select_invariants<P: Process>(
    all: Vec<Box<dyn Invariant<P>>>,
    wanted: Option<&[String]>,
) -> Result<Vec<Box<dyn Invariant<P>>>, ParamError> {
    let Some(wanted) = wanted else { return Ok(all) };
    let known: Vec<String> = all.iter().map(|i| i.name().to_string()).collect();
    for name in wanted {
        if !known.contains(name) {
            return Err(ParamError::unlocated(format!(
                "unknown invariant `{name}`; this algorithm has: {}",
                known.join(", ")
            )));
        }
    }
    Ok(all
        .into_iter()
        .filter(|i| wanted.iter().any(|w| w == i.name()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct P {
        fanout: u32,
        label: Option<String>,
    }

    impl Settings for P {
        const TABLE: &'static str = "params";
        const DOCS: &'static [ParamDoc] = &[
            ParamDoc::new("fanout", "Peers per push."),
            ParamDoc::new("label", "A name.").default_text("the node's id"),
        ];
        fn validate(&self, doc: &str, _config: &WorldConfig) -> Result<(), ParamError> {
            if self.fanout > 10 {
                return Err(ParamError::at_key(doc, "fanout", "too big"));
            }
            Ok(())
        }
    }

    #[test]
    fn params_errors_point_into_the_document() {
        let config = WorldConfig::default();
        let doc = "name = \"x\"\n[params]\nfanout = 2\nfanuot = 3\n";
        let err = parse_settings::<P>(doc, &config).unwrap_err();
        assert!(
            err.message.contains("unknown field `fanuot`"),
            "{}",
            err.message
        );
        let span = err.span.expect("span");
        assert_eq!(&doc[span.start..span.start + 6], "fanuot");
        assert_eq!(
            parse_settings::<P>("name = \"x\"\n", &config).unwrap(),
            P::default()
        );
        let doc = "[params]\nfanout = 20\n";
        let err = parse_settings::<P>(doc, &config).unwrap_err();
        assert_eq!(&doc[err.span.unwrap()], "fanout = 20");
        let at = ParamError::at_value(doc, "params", "fanout", "x")
            .span
            .unwrap();
        assert_eq!(&doc[at], "20");
    }

    #[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Undocumented {
        fanout: u32,
        secret: u32,
    }

    impl Settings for Undocumented {
        const TABLE: &'static str = "params";
        const DOCS: &'static [ParamDoc] = &[
            ParamDoc::new("fanout", "Peers per push."),
            ParamDoc::new("fanuot", "A typo."),
        ];
    }

    #[test]
    fn documentation_and_fields_must_agree() {
        assert!(
            settings_problems::<P>().is_empty(),
            "{:?}",
            settings_problems::<P>()
        );
        let problems = settings_problems::<Undocumented>();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], "[params] field `secret` has no documentation");
        assert!(
            problems[1].starts_with("[params] documents `fanuot`, which is not a field"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn described_defaults_come_from_default_or_words() {
        let info = describe_settings::<P>();
        assert_eq!(info[0].name, "fanout");
        assert_eq!(info[0].default, "0");
        assert_eq!(info[1].default, "the node's id");
    }
}

#[cfg(test)]
mod serving_role_tests {
    use super::*;
    use crate::gossip::{Gossip, GossipBug, GossipNode, GossipParams};
    use std::collections::BTreeSet;

    /// Gossip, declaring a serving role its nodes do not publish.
    struct Misdeclared;

    impl Algorithm for Misdeclared {
        const NAME: &'static str = "misdeclared";
        const SUMMARY: &'static str = "Gossip with a serving role it does not publish.";
        const SERVING_ROLE: Option<&'static str> = Some("leader");
        type Node = GossipNode;
        type Params = GossipParams;
        type Bug = GossipBug;
        type Shared = <Gossip as Algorithm>::Shared;

        fn prepare(
            params: GossipParams,
            doc: &str,
            config: &WorldConfig,
        ) -> Result<Self::Shared, ParamError> {
            Gossip::prepare(params, doc, config)
        }

        fn invariants(shared: &Self::Shared) -> Vec<Box<dyn Invariant<GossipNode>>> {
            Gossip::invariants(shared)
        }

        fn node(
            shared: &Self::Shared,
            id: NodeId,
            kind: NodeKind,
            durable: &BTreeSet<String>,
        ) -> GossipNode {
            Gossip::node(shared, id, kind, durable)
        }
    }

    #[test]
    fn a_serving_role_must_be_a_published_role() {
        assert!(Gossip.declaration_problems().is_empty());
        let problems = Misdeclared.declaration_problems();
        assert_eq!(
            problems,
            vec!["the serving role `leader` is not a role misdeclared publishes".to_string()]
        );
    }
}
