//! The sequential specification a history is checked against.
//!
//! A [`Model`] says what a single, non-concurrent copy of the object would
//! do: from a state, an operation with an observed output either is
//! possible (leading to one or more next states) or is not. The checker does
//! the rest: it searches for an order of the concurrent operations that
//! respects real time and that the model accepts step by step.

use std::fmt::Debug;
use std::hash::Hash;

/// Where a model can go from a state when applying one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<S> {
    /// The operation, with the observed output, is impossible in this state.
    Reject,
    /// The operation is possible and leads to this state.
    To(S),
    /// The operation is possible and may lead to any of these states (a
    /// nondeterministic object). The checker tries them in order. An empty
    /// list is the same as [`Step::Reject`].
    OneOf(Vec<S>),
}

/// A sequential specification of an object.
///
/// Implement `init` and `step`; the rest has sensible defaults. A register
/// fits in a dozen lines:
///
/// ```
/// use faultline_checker::{Model, Step};
///
/// /// A register of small integers that only supports read and write.
/// struct Cell;
///
/// #[derive(Clone, Debug)]
/// enum CellOp { Read, Write(u8) }
///
/// impl Model for Cell {
///     type State = u8;
///     type Input = CellOp;
///     type Output = u8; // the value read; ignored for writes
///
///     fn init(&self) -> u8 { 0 }
///
///     fn step(&self, state: &u8, input: &CellOp, output: Option<&u8>) -> Step<u8> {
///         match (input, output) {
///             (CellOp::Read, Some(seen)) if seen != state => Step::Reject,
///             (CellOp::Read, _) => Step::To(*state),
///             (CellOp::Write(value), _) => Step::To(*value),
///         }
///     }
/// }
/// ```
pub trait Model {
    /// The object's state. Equal states must behave the same from then on:
    /// the checker caches (linearised operations, state) pairs it has already
    /// explored and skips them.
    type State: Clone + Eq + Hash + Debug;
    /// An operation as the client asked for it.
    type Input: Clone + Debug;
    /// What the object answered.
    type Output: Clone + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Apply `input` to `state`. `output` is what the client observed, or
    /// `None` when the outcome is unknown: then the step must describe the
    /// effect the operation has if it took effect at all (the checker
    /// handles "never took effect" by itself).
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Step<Self::State>;

    /// The independent part of the object `input` touches, such as its key.
    ///
    /// Operations with different partition keys never constrain each other,
    /// so the checker splits the history by this key and checks each part
    /// alone, starting from [`Model::init`] — far cheaper than one search
    /// over everything. `None` (the default) puts every operation in a
    /// single partition.
    fn partition_key(&self, input: &Self::Input) -> Option<String> {
        let _ = input;
        None
    }

    /// A short human description of an operation, e.g. `write(3)` or
    /// `get("x") -> "1"`. `output` is `None` for unknown outcomes.
    fn describe_operation(&self, input: &Self::Input, output: Option<&Self::Output>) -> String {
        match output {
            Some(output) => format!("{input:?} -> {output:?}"),
            None => format!("{input:?} -> ?"),
        }
    }

    /// A short human description of a state.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }
}
