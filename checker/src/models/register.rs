//! Single integer registers: [`Register`] (read and write) and
//! [`CasRegister`] (read, write and compare-and-set).
//!
//! The state is `Option<i64>`: `None` until the first write, which is what a
//! Jepsen `:read nil` observes.

use crate::history::{RegisterInput, RegisterOutput};
use crate::model::{Model, Step};

/// A read/write register. A `cas` operation is not part of this object and
/// is always rejected; use [`CasRegister`] for histories that contain them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

/// A read/write/compare-and-set register, as tested by Jepsen against etcd.
#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegister;

impl Model for Register {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Step<Option<i64>> {
        match input {
            RegisterInput::Cas { .. } => Step::Reject,
            _ => register_step(state, input, output),
        }
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        describe(input, output)
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        show(*state)
    }
}

impl Model for CasRegister {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Step<Option<i64>> {
        register_step(state, input, output)
    }

    fn describe_operation(&self, input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
        describe(input, output)
    }

    fn describe_state(&self, state: &Option<i64>) -> String {
        show(*state)
    }
}

/// The register semantics shared by both models. An output of the wrong
/// kind for the input (a read answered with `Written`) is rejected.
fn register_step(
    state: &Option<i64>,
    input: &RegisterInput,
    output: Option<&RegisterOutput>,
) -> Step<Option<i64>> {
    match (input, output) {
        (RegisterInput::Read, None) => Step::To(*state),
        (RegisterInput::Read, Some(RegisterOutput::Value(seen))) if seen == state => {
            Step::To(*state)
        }
        (RegisterInput::Write { value }, None | Some(RegisterOutput::Written)) => {
            Step::To(Some(*value))
        }
        (RegisterInput::Cas { expected, new }, None) => {
            if *state == Some(*expected) {
                Step::To(Some(*new))
            } else {
                Step::To(*state)
            }
        }
        (RegisterInput::Cas { expected, new }, Some(RegisterOutput::Cas(swapped))) => {
            match (*state == Some(*expected), swapped) {
                (true, true) => Step::To(Some(*new)),
                (false, false) => Step::To(*state),
                _ => Step::Reject,
            }
        }
        _ => Step::Reject,
    }
}

fn show(value: Option<i64>) -> String {
    match value {
        Some(value) => value.to_string(),
        None => "nil".to_string(),
    }
}

fn describe(input: &RegisterInput, output: Option<&RegisterOutput>) -> String {
    let call = match input {
        RegisterInput::Read => "read()".to_string(),
        RegisterInput::Write { value } => format!("write({value})"),
        RegisterInput::Cas { expected, new } => format!("cas({expected} -> {new})"),
    };
    let result = match output {
        None => "?".to_string(),
        Some(RegisterOutput::Value(value)) => show(*value),
        Some(RegisterOutput::Written) => "ok".to_string(),
        Some(RegisterOutput::Cas(true)) => "swapped".to_string(),
        Some(RegisterOutput::Cas(false)) => "unchanged".to_string(),
    };
    format!("{call} -> {result}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: Option<i64>) -> Option<RegisterOutput> {
        Some(RegisterOutput::Value(value))
    }

    #[test]
    fn read_must_return_the_current_value() {
        let model = Register;
        assert_eq!(
            model.step(&Some(3), &RegisterInput::Read, read(Some(3)).as_ref()),
            Step::To(Some(3))
        );
        assert_eq!(
            model.step(&Some(3), &RegisterInput::Read, read(Some(4)).as_ref()),
            Step::Reject
        );
        assert_eq!(
            model.step(&None, &RegisterInput::Read, read(None).as_ref()),
            Step::To(None)
        );
        assert_eq!(
            model.step(&None, &RegisterInput::Read, read(Some(0)).as_ref()),
            Step::Reject
        );
    }

    #[test]
    fn write_replaces_the_value_whether_or_not_it_returned() {
        let model = Register;
        let write = RegisterInput::Write { value: 7 };
        assert_eq!(
            model.step(&Some(3), &write, Some(&RegisterOutput::Written)),
            Step::To(Some(7))
        );
        assert_eq!(model.step(&None, &write, None), Step::To(Some(7)));
    }

    #[test]
    fn plain_register_rejects_cas() {
        let cas = RegisterInput::Cas {
            expected: 1,
            new: 2,
        };
        assert_eq!(
            Register.step(&Some(1), &cas, Some(&RegisterOutput::Cas(true))),
            Step::Reject
        );
    }

    #[test]
    fn cas_swaps_only_on_a_match_and_reports_it() {
        let model = CasRegister;
        let cas = RegisterInput::Cas {
            expected: 1,
            new: 2,
        };
        let swapped = Some(&RegisterOutput::Cas(true));
        let unchanged = Some(&RegisterOutput::Cas(false));
        assert_eq!(model.step(&Some(1), &cas, swapped), Step::To(Some(2)));
        assert_eq!(model.step(&Some(5), &cas, swapped), Step::Reject);
        assert_eq!(model.step(&Some(5), &cas, unchanged), Step::To(Some(5)));
        assert_eq!(model.step(&Some(1), &cas, unchanged), Step::Reject);
        assert_eq!(model.step(&None, &cas, unchanged), Step::To(None));
    }

    #[test]
    fn unknown_cas_takes_effect_as_the_state_dictates() {
        let model = CasRegister;
        let cas = RegisterInput::Cas {
            expected: 1,
            new: 2,
        };
        assert_eq!(model.step(&Some(1), &cas, None), Step::To(Some(2)));
        assert_eq!(model.step(&Some(9), &cas, None), Step::To(Some(9)));
    }

    #[test]
    fn mismatched_output_kind_is_rejected() {
        let model = CasRegister;
        assert_eq!(
            model.step(&None, &RegisterInput::Read, Some(&RegisterOutput::Written)),
            Step::Reject
        );
    }

    #[test]
    fn descriptions_read_like_calls() {
        let model = CasRegister;
        assert_eq!(
            model.describe_operation(&RegisterInput::Read, read(None).as_ref()),
            "read() -> nil"
        );
        assert_eq!(
            model.describe_operation(
                &RegisterInput::Cas {
                    expected: 1,
                    new: 2
                },
                Some(&RegisterOutput::Cas(false))
            ),
            "cas(1 -> 2) -> unchanged"
        );
        assert_eq!(
            model.describe_operation(&RegisterInput::Write { value: 4 }, None),
            "write(4) -> ?"
        );
        assert_eq!(model.describe_state(&Some(4)), "4");
    }
}
