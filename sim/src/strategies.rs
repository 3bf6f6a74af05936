//! proptest strategies for fault schedules and client pacing, usable with any
//! algorithm (enable the `proptest` feature).
//!
//! Schedules are vectors, so proptest's shrinking removes faults and moves
//! toward simpler ones (earlier in each enum, smaller numbers): a failing
//! property ends with a short schedule. [`healed`] appends the quiet tail
//! (heal every cut, restart every node, reset clocks) that liveness checks
//! need: safety under faults first, then progress after healing.

use crate::fault::{Fault, FaultSchedule, ScheduledFault};
use crate::network::{LatencyDist, LinkChange};
use crate::process::NodeId;
use crate::time::SimTime;
use crate::workload::WorkloadConfig;
use proptest::prelude::*;
use std::time::Duration;

/// Which fault kinds a strategy may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultKinds {
    /// Symmetric and one-way partitions, isolation, heal.
    pub network: bool,
    /// Crash and restart.
    pub crashes: bool,
    /// Clock drift (rates within ±[`MAX_GENERATED_DRIFT_PPM`]): clocks run
    /// fast or slow, but never jump.
    pub clock_drift: bool,
    /// Clock offsets and steps: a node's clock jumps. Separate from drift
    /// because some protocols (leases) are safe under bounded drift only.
    pub clock_jumps: bool,
    /// Link loss, duplication and latency changes.
    pub links: bool,
}

impl FaultKinds {
    /// Every kind.
    pub const ALL: FaultKinds = FaultKinds {
        network: true,
        crashes: true,
        clock_drift: true,
        clock_jumps: true,
        links: true,
    };
}

/// The largest clock drift generated, in ppm either way (20%).
pub const MAX_GENERATED_DRIFT_PPM: i64 = 200_000;

fn node(servers: u32) -> impl Strategy<Value = NodeId> {
    (0..servers).prop_map(NodeId)
}

/// A split of the servers into two non-empty sides.
fn split(servers: u32) -> impl Strategy<Value = Vec<Vec<NodeId>>> {
    // Bit i set: server i is on side B. Exclude all-A and all-B.
    (1..(1u64 << servers) - 1).prop_map(move |mask| {
        let (a, b): (Vec<NodeId>, Vec<NodeId>) = (0..servers)
            .map(NodeId)
            .partition(|n| mask & (1 << n.0) == 0);
        vec![a, b]
    })
}

/// One fault among `servers` servers (ids `0..servers`), of the allowed kinds.
pub fn fault(servers: u32, kinds: FaultKinds) -> BoxedStrategy<Fault> {
    assert!(
        (2..=63).contains(&servers),
        "fault strategies need 2..=63 servers"
    );
    let mut options: Vec<BoxedStrategy<Fault>> = Vec::new();
    if kinds.network {
        options.push(Just(Fault::Heal).boxed());
        options.push(
            split(servers)
                .prop_map(|groups| Fault::Partition { groups })
                .boxed(),
        );
        options.push(
            node(servers)
                .prop_map(|node| Fault::Isolate { node })
                .boxed(),
        );
        options.push(
            (split(servers))
                .prop_map(|g| Fault::PartitionOneWay {
                    from: g[0].clone(),
                    to: g[1].clone(),
                })
                .boxed(),
        );
    }
    if kinds.crashes {
        options.push(node(servers).prop_map(|node| Fault::Crash { node }).boxed());
        options.push(
            node(servers)
                .prop_map(|node| Fault::Restart { node })
                .boxed(),
        );
    }
    // Offset, drift, step: the order of the options is part of what a
    // deterministic runner generates, so it stays fixed.
    if kinds.clock_jumps {
        options.push(
            (node(servers), -500i64..500)
                .prop_map(|(node, ms)| Fault::ClockOffset {
                    node,
                    offset: ms * 1_000_000,
                })
                .boxed(),
        );
    }
    if kinds.clock_drift {
        options.push(
            (
                node(servers),
                -MAX_GENERATED_DRIFT_PPM..MAX_GENERATED_DRIFT_PPM,
            )
                .prop_map(|(node, ppm)| Fault::ClockDrift { node, ppm })
                .boxed(),
        );
    }
    if kinds.clock_jumps {
        options.push(
            (node(servers), -500i64..500)
                .prop_map(|(node, ms)| Fault::ClockStep {
                    node,
                    delta: ms * 1_000_000,
                })
                .boxed(),
        );
    }
    if kinds.links {
        options.push(
            (proptest::option::of(node(servers)), 0.0..0.5f64)
                .prop_map(|(from, loss)| Fault::Link {
                    from,
                    to: None,
                    change: LinkChange {
                        loss: Some(loss),
                        ..LinkChange::default()
                    },
                })
                .boxed(),
        );
        options.push(
            (proptest::option::of(node(servers)), 1u64..50)
                .prop_map(|(to, ms)| Fault::Link {
                    from: None,
                    to,
                    change: LinkChange {
                        latency: Some(LatencyDist::Uniform {
                            min: Duration::from_millis(1),
                            max: Duration::from_millis(ms.max(1)),
                        }),
                        ..LinkChange::default()
                    },
                })
                .boxed(),
        );
    }
    assert!(
        !options.is_empty(),
        "at least one fault kind must be allowed"
    );
    proptest::strategy::Union::new(options).boxed()
}

/// A schedule of up to `max_faults` faults at times in `[0, until)`, sorted
/// by time.
pub fn schedule(
    servers: u32,
    until: SimTime,
    max_faults: usize,
    kinds: FaultKinds,
) -> BoxedStrategy<FaultSchedule> {
    let times = 0..until.0.max(1);
    proptest::collection::vec((times, fault(servers, kinds)), 0..=max_faults)
        .prop_map(|mut faults| {
            faults.sort_by_key(|(t, _)| *t);
            faults
                .into_iter()
                .map(|(t, fault)| ScheduledFault {
                    at: SimTime(t),
                    after_event: None,
                    fault,
                })
                .collect()
        })
        .boxed()
}

/// The quiet tail at `at`: heal every cut, restart every server, set every
/// clock back to true time with no drift, and restore links to `link`.
pub fn healed(
    mut schedule: FaultSchedule,
    servers: u32,
    at: SimTime,
    link: &crate::LinkConfig,
) -> FaultSchedule {
    let mut tail = vec![Fault::Heal];
    tail.push(Fault::Link {
        from: None,
        to: None,
        change: LinkChange {
            latency: Some(link.latency.clone()),
            loss: Some(link.loss),
            duplicate: Some(link.duplicate),
            reorder: Some(link.reorder),
        },
    });
    for n in 0..servers {
        tail.push(Fault::Restart { node: NodeId(n) });
        tail.push(Fault::ClockDrift {
            node: NodeId(n),
            ppm: 0,
        });
        tail.push(Fault::ClockOffset {
            node: NodeId(n),
            offset: 0,
        });
    }
    schedule.extend(tail.into_iter().map(|fault| ScheduledFault {
        at,
        after_event: None,
        fault,
    }));
    schedule
}

/// Client pacing: a mean think time from 1 to 99 ms. What clients ask for
/// is their operation family's, and so are its strategies.
pub fn pacing() -> BoxedStrategy<WorkloadConfig> {
    (1u64..100)
        .prop_map(|think_ms| WorkloadConfig {
            think_time: Duration::from_millis(think_ms),
            max_ops_per_client: None,
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::TestRunner;

    proptest! {
        #[test]
        fn schedules_are_sorted_and_name_real_servers(s in schedule(5, SimTime(1_000_000_000), 12, FaultKinds::ALL)) {
            prop_assert!(s.windows(2).all(|w| w[0].at <= w[1].at));
            for f in &s {
                prop_assert!(f.fault.nodes().iter().all(|n| n.0 < 5));
                prop_assert!(crate::world::validate_fault(&f.fault, 5).is_ok(), "{}", f.fault);
                if let Fault::Partition { groups } = &f.fault {
                    prop_assert!(groups.iter().all(|g| !g.is_empty()));
                }
            }
        }
    }

    #[test]
    fn kinds_restrict_what_is_generated() {
        let mut runner = TestRunner::deterministic();
        let only_crashes = FaultKinds {
            network: false,
            crashes: true,
            clock_drift: false,
            clock_jumps: false,
            links: false,
        };
        for _ in 0..200 {
            let f = fault(3, only_crashes)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            assert!(
                matches!(f, Fault::Crash { .. } | Fault::Restart { .. }),
                "{f}"
            );
        }
    }

    #[test]
    fn drift_without_jumps_never_steps_a_clock() {
        let mut runner = TestRunner::deterministic();
        let drift_only = FaultKinds {
            network: false,
            crashes: false,
            clock_drift: true,
            clock_jumps: false,
            links: false,
        };
        for _ in 0..200 {
            let f = fault(3, drift_only)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            let Fault::ClockDrift { ppm, .. } = f else {
                panic!("{f}");
            };
            assert!(ppm.abs() <= MAX_GENERATED_DRIFT_PPM);
        }
    }

    #[test]
    fn healed_tail_restarts_and_heals_at_the_given_time() {
        let tail = healed(Vec::new(), 3, SimTime(9), &crate::LinkConfig::default());
        assert!(tail.iter().all(|f| f.at == SimTime(9)));
        assert_eq!(
            tail.iter()
                .filter(|f| matches!(f.fault, Fault::Restart { .. }))
                .count(),
            3
        );
        assert_eq!(tail[0].fault, Fault::Heal);
    }
}
