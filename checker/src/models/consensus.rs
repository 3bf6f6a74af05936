//! A consensus service: clients propose values and each learns the one
//! value the service decided.

use crate::history::{ConsensusInput, ConsensusOutput};
use crate::model::{Model, Step};

/// A single-decree consensus service, as a sequential object.
///
/// The state is the decided value, if any. The first `propose(v)` to take
/// effect decides `v`; every later one leaves the decision as it is. So an
/// observed answer `decided(d)` is accepted only if `d` is the decision in
/// force, and a history is accepted only if **every decision equals the
/// first one, and that value was proposed** by an operation invoked before
/// any answer that reports it (Lamport's consensus safety: agreement and
/// validity, with real-time order added by linearizability).
///
/// A proposal whose outcome is unknown may have been the one that decided.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsensusModel;

impl Model for ConsensusModel {
    type State = Option<String>;
    type Input = ConsensusInput;
    type Output = ConsensusOutput;

    fn init(&self) -> Option<String> {
        None
    }

    fn step(
        &self,
        state: &Option<String>,
        input: &ConsensusInput,
        output: Option<&ConsensusOutput>,
    ) -> Step<Option<String>> {
        let ConsensusInput::Propose { value } = input;
        let decided = state.as_ref().unwrap_or(value);
        match output {
            Some(ConsensusOutput::Decided(seen)) if seen != decided => Step::Reject,
            _ => Step::To(Some(decided.clone())),
        }
    }

    fn describe_operation(
        &self,
        input: &ConsensusInput,
        output: Option<&ConsensusOutput>,
    ) -> String {
        let ConsensusInput::Propose { value } = input;
        match output {
            Some(ConsensusOutput::Decided(d)) => format!("propose({value:?}) -> {d:?}"),
            None => format!("propose({value:?}) -> ?"),
        }
    }

    fn describe_state(&self, state: &Option<String>) -> String {
        match state {
            Some(v) => format!("decided {v:?}"),
            None => "undecided".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn propose(v: &str) -> ConsensusInput {
        ConsensusInput::Propose { value: v.into() }
    }

    fn decided(v: &str) -> ConsensusOutput {
        ConsensusOutput::Decided(v.into())
    }

    #[test]
    fn the_first_proposal_decides_and_later_ones_learn_it() {
        let m = ConsensusModel;
        let s = m.init();
        assert_eq!(
            m.step(&s, &propose("a"), Some(&decided("a"))),
            Step::To(Some("a".into()))
        );
        // The first to take effect cannot learn another value.
        assert_eq!(m.step(&s, &propose("a"), Some(&decided("b"))), Step::Reject);
        let s = Some("a".to_string());
        assert_eq!(
            m.step(&s, &propose("b"), Some(&decided("a"))),
            Step::To(Some("a".into()))
        );
        assert_eq!(m.step(&s, &propose("b"), Some(&decided("b"))), Step::Reject);
        // Unknown outcome: decides if first, changes nothing otherwise.
        assert_eq!(
            m.step(&m.init(), &propose("c"), None),
            Step::To(Some("c".into()))
        );
        assert_eq!(m.step(&s, &propose("c"), None), Step::To(Some("a".into())));
    }
}
