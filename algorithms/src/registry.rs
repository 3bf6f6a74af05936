//! The registry: every algorithm the tools can run, with its parameters, bug
//! variants and invariants, and the one entry point that turns a scenario's
//! parameters into a running [`SimHandle`].

use faultline_sim::{SimHandle, WorldConfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::ops::Range;

/// A documented parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// Name in the scenario's `[params]` table.
    pub name: &'static str,
    /// Default value as TOML.
    pub default: String,
    /// What it does.
    pub doc: &'static str,
}

/// A documented bug variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BugInfo {
    /// Value of the `bug` parameter that switches it on.
    pub name: &'static str,
    /// The realistic mistake it plants.
    pub doc: &'static str,
    /// The invariant expected to catch it.
    pub caught_by: &'static str,
}

/// A documented invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvariantInfo {
    /// Name, as used in scenario `checks`.
    pub name: &'static str,
    /// What it checks.
    pub doc: &'static str,
}

/// What `faultline list` shows of an algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmInfo {
    /// Name, as used in scenario files.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Parameters.
    pub params: Vec<ParamInfo>,
    /// Bug variants.
    pub bugs: Vec<BugInfo>,
    /// Invariants.
    pub invariants: Vec<InvariantInfo>,
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
}

impl ParamError {
    /// An error about the parameter `key`, located in `doc` when possible.
    pub fn at_key(doc: &str, key: &str, message: impl Into<String>) -> Self {
        ParamError {
            message: message.into(),
            span: param_span(doc, key),
        }
    }
}

/// An algorithm the tools can run.
pub trait Algorithm: Send + Sync {
    /// Name, parameters, bugs, invariants.
    fn info(&self) -> AlgorithmInfo;
    /// Reads and validates this algorithm's `[params]` from the scenario
    /// document `doc` (TOML text, so errors can point into it) and builds a
    /// world with `config`. `invariants` selects which invariants to check
    /// (`None`: all of them); an unknown name is an error.
    fn build(
        &self,
        doc: &str,
        config: WorldConfig,
        invariants: Option<&[String]>,
    ) -> Result<Box<dyn SimHandle>, ParamError>;
}

/// Every registered algorithm, in a fixed order.
pub fn algorithms() -> Vec<&'static dyn Algorithm> {
    vec![
        &crate::gossip::Gossip,
        &crate::raft::Raft,
        &crate::hashing::ShardedKv,
        &crate::pingstorm::PingStormAlgorithm,
    ]
}

/// The algorithm called `name`.
pub fn find(name: &str) -> Option<&'static dyn Algorithm> {
    algorithms().into_iter().find(|a| a.info().name == name)
}

#[derive(Deserialize)]
struct ParamsDoc<T> {
    params: Option<T>,
}

/// Parses the `[params]` table of a scenario document into `T` (which should
/// deny unknown fields); a missing table gives `T::default()`. Errors carry
/// the location in the document.
pub fn parse_params<T: DeserializeOwned + Default>(doc: &str) -> Result<T, ParamError> {
    match toml::from_str::<ParamsDoc<T>>(doc) {
        Ok(d) => Ok(d.params.unwrap_or_default()),
        Err(e) => Err(ParamError {
            message: e.message().to_string(),
            span: e.span(),
        }),
    }
}

/// The byte range of `params.<key> = value` in a scenario document (from
/// the key to the end of its value), or of the `[params]` table when the
/// key is absent.
pub fn param_span(doc: &str, key: &str) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(doc).ok()?;
    let (params_key, params) = root
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == "params")?;
    let DeValue::Table(table) = params.get_ref() else {
        return Some(params_key.span());
    };
    match table.iter().find(|(k, _)| k.get_ref().as_ref() == key) {
        Some((k, v)) => Some(k.span().start..v.span().end),
        None => Some(params_key.span()),
    }
}

/// Selects invariants by name; an unknown name is an error listing the known ones.
pub fn select_invariants<P: faultline_sim::Process>(
    all: Vec<Box<dyn faultline_sim::Invariant<P>>>,
    wanted: Option<&[String]>,
) -> Result<Vec<Box<dyn faultline_sim::Invariant<P>>>, ParamError> {
    let Some(wanted) = wanted else { return Ok(all) };
    let known: Vec<String> = all.iter().map(|i| i.name().to_string()).collect();
    for name in wanted {
        if !known.contains(name) {
            return Err(ParamError {
                message: format!(
                    "unknown invariant `{name}`; this algorithm has: {}",
                    known.join(", ")
                ),
                span: None,
            });
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

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct P {
        #[serde(default)]
        fanout: u32,
    }

    #[test]
    fn params_errors_point_into_the_document() {
        let doc = "name = \"x\"\n[params]\nfanout = 2\nfanuot = 3\n";
        let err = parse_params::<P>(doc).unwrap_err();
        assert!(
            err.message.contains("unknown field `fanuot`"),
            "{}",
            err.message
        );
        let span = err.span.expect("span");
        assert_eq!(&doc[span.start..span.start + 6], "fanuot");
        assert_eq!(parse_params::<P>("name = \"x\"\n").unwrap(), P::default());
        let at = ParamError::at_key(doc, "fanout", "too big").span.unwrap();
        assert_eq!(&doc[at], "fanout = 2");
    }
}
