//! A string key-value store with get, put, append and compare-and-set,
//! checked one key at a time.

use crate::history::{KvInput, KvOutput};
use crate::model::{Model, Step};

/// A string key-value store.
///
/// Keys are independent, so [`Model::partition_key`] splits the history by
/// key and the state is the value of *one* key. An absent key and the empty
/// string are the same state (`""`), following Jepsen's key-value data: a
/// `get` of an absent key may return `None` or `Some("")`, an `append` to an
/// absent key creates it, and `cas` with `expected: None` succeeds on `""`.
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl Model for KvModel {
    type State = String;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> String {
        String::new()
    }

    fn step(&self, state: &String, input: &KvInput, output: Option<&KvOutput>) -> Step<String> {
        match (input, output) {
            (KvInput::Get { .. }, None) => Step::To(state.clone()),
            (KvInput::Get { .. }, Some(KvOutput::Value(seen))) => {
                if seen.as_deref().unwrap_or("") == state {
                    Step::To(state.clone())
                } else {
                    Step::Reject
                }
            }
            (KvInput::Put { value, .. }, None | Some(KvOutput::Written)) => Step::To(value.clone()),
            (KvInput::Append { value, .. }, None | Some(KvOutput::Written)) => {
                Step::To(format!("{state}{value}"))
            }
            (KvInput::Cas { expected, new, .. }, output) => {
                let matches = expected.as_deref().unwrap_or("") == state;
                match (matches, output) {
                    (true, None | Some(KvOutput::Cas(true))) => Step::To(new.clone()),
                    (false, None | Some(KvOutput::Cas(false))) => Step::To(state.clone()),
                    _ => Step::Reject,
                }
            }
            _ => Step::Reject,
        }
    }

    fn partition_key(&self, input: &KvInput) -> Option<String> {
        Some(input.key().to_string())
    }

    fn describe_operation(&self, input: &KvInput, output: Option<&KvOutput>) -> String {
        let call = match input {
            KvInput::Get { key } => format!("get({key:?})"),
            KvInput::Put { key, value } => format!("put({key:?}, {value:?})"),
            KvInput::Append { key, value } => format!("append({key:?}, {value:?})"),
            KvInput::Cas { key, expected, new } => {
                format!(
                    "cas({key:?}, {:?} -> {new:?})",
                    expected.as_deref().unwrap_or("")
                )
            }
        };
        let result = match output {
            None => "?".to_string(),
            Some(KvOutput::Value(value)) => format!("{:?}", value.as_deref().unwrap_or("")),
            Some(KvOutput::Written) => "ok".to_string(),
            Some(KvOutput::Cas(true)) => "swapped".to_string(),
            Some(KvOutput::Cas(false)) => "unchanged".to_string(),
        };
        format!("{call} -> {result}")
    }

    fn describe_state(&self, state: &String) -> String {
        format!("{state:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get() -> KvInput {
        KvInput::Get { key: "k".into() }
    }

    fn value(seen: Option<&str>) -> KvOutput {
        KvOutput::Value(seen.map(str::to_string))
    }

    #[test]
    fn absent_and_empty_are_the_same_value() {
        let model = KvModel;
        let empty = model.init();
        assert_eq!(
            model.step(&empty, &get(), Some(&value(None))),
            Step::To(String::new())
        );
        assert_eq!(
            model.step(&empty, &get(), Some(&value(Some("")))),
            Step::To(String::new())
        );
        assert_eq!(
            model.step(&"a".into(), &get(), Some(&value(None))),
            Step::Reject
        );
    }

    #[test]
    fn append_concatenates_and_put_replaces() {
        let model = KvModel;
        let append = KvInput::Append {
            key: "k".into(),
            value: "b".into(),
        };
        let put = KvInput::Put {
            key: "k".into(),
            value: "z".into(),
        };
        assert_eq!(
            model.step(&"a".into(), &append, Some(&KvOutput::Written)),
            Step::To("ab".into())
        );
        assert_eq!(model.step(&"a".into(), &put, None), Step::To("z".into()));
    }

    #[test]
    fn cas_checks_the_expected_value() {
        let model = KvModel;
        let cas = KvInput::Cas {
            key: "k".into(),
            expected: None,
            new: "n".into(),
        };
        assert_eq!(
            model.step(&String::new(), &cas, Some(&KvOutput::Cas(true))),
            Step::To("n".into())
        );
        assert_eq!(
            model.step(&"x".into(), &cas, Some(&KvOutput::Cas(true))),
            Step::Reject
        );
        assert_eq!(
            model.step(&"x".into(), &cas, Some(&KvOutput::Cas(false))),
            Step::To("x".into())
        );
        assert_eq!(model.step(&"x".into(), &cas, None), Step::To("x".into()));
    }

    #[test]
    fn history_is_partitioned_by_key() {
        assert_eq!(KvModel.partition_key(&get()), Some("k".to_string()));
    }

    #[test]
    fn descriptions_quote_keys_and_values() {
        let text = KvModel.describe_operation(&get(), Some(&value(Some("x 0 0 y"))));
        assert_eq!(text, r#"get("k") -> "x 0 0 y""#);
    }
}
