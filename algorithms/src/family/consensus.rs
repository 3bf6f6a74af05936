//! The `consensus` family: clients propose values and each learns the
//! value the service decided, checked against the checker's
//! [`ConsensusModel`]: every decision equals the first, and that value was
//! proposed.
//!
//! By default every proposal is a fresh value (`"<client>.<n>"`), so a
//! decided value names the operation that proposed it and a value nobody
//! proposed cannot hide. `values = N` draws proposals from `v0 .. v(N-1)`
//! instead, so that clients often propose the same value.

use super::{Family, FamilyInfo, info_of};
use crate::algorithm::{ParamDoc, ParamError, Settings, parse_groups, settings_problems};
use faultline_checker::models::ConsensusModel;
pub use faultline_checker::{ConsensusInput, ConsensusOutput};
use faultline_sim::{NodeId, OpFamily, SimRng, WorldConfig};
use serde::{Deserialize, Serialize};

/// The consensus family.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsensusFamily;

/// What consensus clients propose: the `consensus` fields of `[clients]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsensusWorkload {
    /// Draw proposals from this many values (`v0`, `v1`, ...) instead of a
    /// fresh value per proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<u32>,
}

impl Settings for ConsensusWorkload {
    const TABLE: &'static str = "clients";
    const DOCS: &'static [ParamDoc] = &[ParamDoc::new(
        "values",
        "Propose values drawn from v0 .. v(values-1) instead of a fresh value each time.",
    )
    .default_text("a fresh value per proposal")];

    fn validate(&self, doc: &str, _config: &WorldConfig) -> Result<(), ParamError> {
        if self.values == Some(0) {
            return Err(ParamError::at_value(
                doc,
                "clients",
                "values",
                "found 0 values, expected at least 1",
            ));
        }
        Ok(())
    }
}

impl OpFamily for ConsensusFamily {
    const NAME: &'static str = "consensus";
    const OPERATIONS: &'static str = "propose(v), which returns the decided value";
    type Input = ConsensusInput;
    type Output = ConsensusOutput;
    type Workload = ConsensusWorkload;
    type Memory = ();
    type Model = ConsensusModel;

    fn next_input(
        cfg: &ConsensusWorkload,
        _memory: &mut (),
        rng: &mut SimRng,
        client: NodeId,
        issued: u64,
    ) -> ConsensusInput {
        let value = match cfg.values {
            Some(n) => format!("v{}", rng.below(n as u64)),
            None => format!("{}.{issued}", client.0),
        };
        ConsensusInput::Propose { value }
    }

    fn describe_input(input: &ConsensusInput) -> String {
        let ConsensusInput::Propose { value } = input;
        format!("propose {value}")
    }

    fn describe_output(output: &ConsensusOutput) -> String {
        let ConsensusOutput::Decided(value) = output;
        format!("decided {value}")
    }
}

impl Family for ConsensusFamily {
    fn info() -> FamilyInfo {
        info_of::<ConsensusFamily>()
    }

    fn parse_workloads(
        doc: &str,
        config: &WorldConfig,
    ) -> Result<Vec<ConsensusWorkload>, ParamError> {
        parse_groups(doc, config)
    }

    fn declaration_problems() -> Vec<String> {
        settings_problems::<ConsensusWorkload>()
    }
}

/// proptest strategies for consensus workload shapes, as `[clients]` fields.
#[cfg(feature = "proptest")]
pub fn workload_shapes() -> proptest::strategy::BoxedStrategy<toml::Table> {
    use proptest::prelude::*;
    prop_oneof![Just(None), (1u32..4).prop_map(Some)]
        .prop_map(|values| {
            let mut fields = toml::Table::new();
            if let Some(n) = values {
                fields.insert("values".into(), toml::Value::Integer(n.into()));
            }
            fields
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_are_fresh_unless_values_are_drawn_from_a_set() {
        let mut rng = SimRng::stream(1, "workload", 0);
        let fresh = ConsensusWorkload::default();
        let p = ConsensusFamily::next_input(&fresh, &mut (), &mut rng, NodeId(4), 2);
        assert_eq!(
            p,
            ConsensusInput::Propose {
                value: "4.2".into()
            }
        );
        let few = ConsensusWorkload { values: Some(2) };
        for i in 1..20 {
            let ConsensusInput::Propose { value } =
                ConsensusFamily::next_input(&few, &mut (), &mut rng, NodeId(4), i);
            assert!(value == "v0" || value == "v1", "{value}");
        }
    }

    /// A toy consensus service, to drive the family through the kernel:
    /// each server decides the first proposal it hears. With `central`,
    /// every client asks `n0`, so there is one decision; without, clients
    /// ask different servers (the planted mistake: no agreement at all).
    #[derive(Clone, Debug, Hash)]
    enum Toy {
        Server {
            decided: Option<String>,
        },
        Client {
            central: bool,
            pending: Option<faultline_sim::OpId>,
        },
    }

    #[derive(Clone, Debug, Hash, Serialize)]
    enum ToyMsg {
        Propose(String),
        Decided(String),
    }

    impl faultline_sim::Process for Toy {
        type Msg = ToyMsg;
        type Timer = ();
        type Durable = ();
        type Family = ConsensusFamily;

        fn on_start(&mut self, _ctx: &mut faultline_sim::Ctx<'_, Self>) {}

        fn on_message(
            &mut self,
            ctx: &mut faultline_sim::Ctx<'_, Self>,
            from: NodeId,
            msg: ToyMsg,
        ) {
            match (self, msg) {
                (Toy::Server { decided }, ToyMsg::Propose(v)) => {
                    let d = decided.get_or_insert(v).clone();
                    ctx.send(from, ToyMsg::Decided(d));
                }
                (Toy::Server { .. }, ToyMsg::Decided(_)) => {}
                (Toy::Client { pending, .. }, ToyMsg::Decided(d)) => {
                    if let Some(op) = pending.take() {
                        ctx.complete(op, faultline_sim::Outcome::Ok(ConsensusOutput::Decided(d)));
                    }
                }
                (Toy::Client { .. }, ToyMsg::Propose(_)) => {}
            }
        }

        fn on_timer(&mut self, _ctx: &mut faultline_sim::Ctx<'_, Self>, _timer: ()) {}

        fn on_request(
            &mut self,
            ctx: &mut faultline_sim::Ctx<'_, Self>,
            op: faultline_sim::OpId,
            input: ConsensusInput,
        ) {
            let Toy::Client { central, pending } = self else {
                return;
            };
            *pending = Some(op);
            let ConsensusInput::Propose { value } = input;
            let server = match central {
                true => NodeId(0),
                false => NodeId(ctx.id().0 % ctx.server_count() as u32),
            };
            ctx.send(server, ToyMsg::Propose(value));
        }

        fn view(&self) -> faultline_sim::NodeView {
            faultline_sim::NodeView::new("toy", "")
        }
    }

    fn toy_history_verdict(central: bool) -> (usize, faultline_checker::Verdict) {
        use faultline_sim::{Factory, NodeKind, SimHandle, SimTime, World, WorldConfig};
        use std::sync::Arc;
        let config = WorldConfig {
            servers: 3,
            clients: 3,
            end: SimTime::from_duration(std::time::Duration::from_secs(1)),
            ..WorldConfig::default()
        };
        let factory: Factory<Toy> = Arc::new(move |_, kind, _| match kind {
            NodeKind::Server => Toy::Server { decided: None },
            NodeKind::Client => Toy::Client {
                central,
                pending: None,
            },
        });
        let mut world = World::new(config, factory, Vec::new()).unwrap();
        world.run();
        let handle: &dyn SimHandle = &world;
        let result = handle.check_history(faultline_checker::Budget::unlimited());
        (handle.op_count(), result.verdict)
    }

    #[test]
    fn a_consensus_service_is_driven_and_judged_through_the_kernel() {
        let (ops, verdict) = toy_history_verdict(true);
        assert!(ops > 50, "{ops} operations");
        assert_eq!(verdict, faultline_checker::Verdict::Linearizable);
        // Each server deciding alone: clients of different servers learn
        // different decisions, and the consensus model says so.
        let (_, verdict) = toy_history_verdict(false);
        assert_eq!(verdict, faultline_checker::Verdict::NotLinearizable);
    }

    #[test]
    fn zero_values_are_refused_at_the_value() {
        let doc = "[clients]\ncount = 2\nvalues = 0\n";
        let e = ConsensusFamily::parse_workloads(doc, &WorldConfig::default()).unwrap_err();
        assert_eq!(&doc[e.span.unwrap()], "0");
    }
}
