//! Operation families: what a simulated client asks of a service, what it
//! gets back, how a workload chooses the next request, and the sequential
//! model its history is judged against.
//!
//! The kernel knows no family. It paces clients (think time, one operation
//! outstanding, an optional cap), records every invocation and completion
//! in a history of the family's own types, and hands that history to the
//! family's [`Model`] when a tool asks. A key-value
//! store, a consensus service (`propose(v)` returns the decided value), and
//! later queues or locks are each one implementation of [`OpFamily`],
//! chosen by the algorithm through [`Process::Family`](crate::Process::Family).
//!
//! The families themselves live with the algorithms
//! (`faultline_algorithms::family`); the kernel ships only [`NoOps`], for
//! algorithms without clients.

use crate::process::NodeId;
use crate::rng::SimRng;
use faultline_checker::{Model, Step};
use serde::Serialize;
use std::fmt::Debug;
use std::hash::Hash;

/// A kind of client operation: its vocabulary, its workload and its model.
///
/// The kernel calls [`OpFamily::next_input`] each time a client's think
/// time runs out, with the client's own random stream, and
/// [`OpFamily::observe`] with every successful result, so a generator may
/// remember what its client saw (a key-value workload uses the last value
/// it read as the expectation of its next compare-and-set).
///
/// Everything here must be deterministic: draw only from `rng`, and keep
/// memory in ordered collections. The implementing type is a marker (a unit
/// struct); the data are in the associated types.
pub trait OpFamily: Clone + Copy + Debug + Default + 'static {
    /// The family's name, as `faultline list` and reports show it (`kv`).
    const NAME: &'static str;
    /// One line: the operations, for `faultline list` (`get, put, append, cas`).
    const OPERATIONS: &'static str;
    /// A request. `Hash` feeds the run fingerprint; `Serialize` gives the
    /// JSON that exports and `faultline check-history` read.
    type Input: Clone + Debug + Hash + Serialize + Send + 'static;
    /// A successful result. Its `Debug` form feeds the run fingerprint.
    type Output: Clone + Debug + Hash + Serialize + Send + 'static;
    /// The workload's family-specific settings (a key-value workload's key
    /// count and mix), read from the scenario's `[clients]` table.
    type Workload: Clone + Debug + Default + Send + Sync + 'static;
    /// What one client's generator remembers between operations.
    type Memory: Clone + Debug + Default + Hash + Send + 'static;
    /// The sequential specification histories are checked against.
    type Model: Model<Input = Self::Input, Output = Self::Output> + Default;

    /// The next request of `client`, its `issued`-th (counting from 1).
    fn next_input(
        workload: &Self::Workload,
        memory: &mut Self::Memory,
        rng: &mut SimRng,
        client: NodeId,
        issued: u64,
    ) -> Self::Input;

    /// Called with every successful completion of this client.
    fn observe(memory: &mut Self::Memory, input: &Self::Input, output: &Self::Output) {
        let _ = (memory, input, output);
    }

    /// A request in a few words, for the lab's operation bars (`get k0`).
    fn describe_input(input: &Self::Input) -> String;

    /// A result in a few words (`"1.2"`, `swapped`).
    fn describe_output(output: &Self::Output) -> String;
}

/// The family of algorithms without clients: one request, `noop`, which
/// always succeeds and constrains nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOps;

impl Model for NoOps {
    type State = ();
    type Input = ();
    type Output = ();

    fn init(&self) {}

    fn step(&self, _state: &(), _input: &(), _output: Option<&()>) -> Step<()> {
        Step::To(())
    }
}

impl OpFamily for NoOps {
    const NAME: &'static str = "none";
    const OPERATIONS: &'static str = "no client operations";
    type Input = ();
    type Output = ();
    type Workload = ();
    type Memory = ();
    type Model = NoOps;

    fn next_input(_: &(), _: &mut (), _: &mut SimRng, _: NodeId, _: u64) {}

    fn describe_input(_: &()) -> String {
        "noop".into()
    }

    fn describe_output(_: &()) -> String {
        "ok".into()
    }
}
