//! The kernel's bounds (`faultline_sim::limits`): runs that stop making
//! progress or outgrow their memory end with a kernel violation carrying
//! the seed, the event and the time; configurations past the node bound or
//! with absurd clock values are refused, never a panic.

use faultline_sim::limits::{MAX_NODES, NO_PROGRESS, RESOURCE_LIMIT};
use faultline_sim::*;
use std::sync::Arc;
use std::time::Duration;

/// What a test node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Plan {
    /// Server 0 sends one message; every receiver answers it at once.
    Echo,
    /// Every node re-arms a zero-length timer forever.
    ZeroTimer,
    /// Every millisecond, every node sends ten messages that take an hour.
    Flood,
}

#[derive(Clone, Debug, Hash)]
struct Node {
    plan: Plan,
}

impl Process for Node {
    type Msg = u64;
    type Timer = ();
    type Durable = ();
    type Family = NoOps;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self.plan {
            Plan::Echo if ctx.id() == NodeId(0) => ctx.send(NodeId(1), 0),
            Plan::Echo => {}
            Plan::ZeroTimer => {
                ctx.set_timer(Duration::ZERO, ());
            }
            Plan::Flood => {
                ctx.set_timer(Duration::from_millis(1), ());
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, hops: u64) {
        if self.plan == Plan::Echo {
            ctx.send(from, hops + 1);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: ()) {
        match self.plan {
            Plan::ZeroTimer => {
                ctx.set_timer(Duration::ZERO, ());
            }
            Plan::Flood => {
                for _ in 0..10 {
                    ctx.send(NodeId(0), 0);
                }
                ctx.set_timer(Duration::from_millis(1), ());
            }
            Plan::Echo => {}
        }
    }

    fn view(&self) -> NodeView {
        NodeView::new("test", "")
    }
}

fn world(plan: Plan, config: WorldConfig) -> Result<World<Node>, ConfigError> {
    let factory: Factory<Node> = Arc::new(move |_, _, _| Node { plan });
    World::new(config, factory, vec![])
}

fn config(seed: u64, latency: Duration) -> WorldConfig {
    WorldConfig {
        seed,
        servers: 2,
        end: SimTime::from_duration(Duration::from_secs(10)),
        link: LinkConfig {
            latency: LatencyDist::Constant { value: latency },
            ..LinkConfig::default()
        },
        snapshot_every: 0,
        max_events_per_instant: 1_000,
        ..WorldConfig::default()
    }
}

fn violation(world: &World<Node>) -> Violation {
    match world.status() {
        RunStatus::Violated(v) => v.clone(),
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn messages_with_zero_latency_answered_forever_stop_with_no_progress() {
    let mut w = world(Plan::Echo, config(7, Duration::ZERO)).unwrap();
    // The issue's `--until 0s`: running to an instant must return.
    w.run_until_time(SimTime::ZERO);
    let v = violation(&w);
    assert_eq!(v.invariant, NO_PROGRESS);
    assert_eq!((v.seed, v.time, v.event), (7, SimTime::ZERO, 1_001));
    assert!(v.reason.contains("1001 events in a row at 0s"), "{v}");
    assert!(!w.step(), "a stopped run stays stopped");
    // The same exchange with a latency makes progress and is not stopped.
    let mut w = world(Plan::Echo, config(7, Duration::from_millis(1))).unwrap();
    assert_eq!(w.run(), &RunStatus::Finished);
    assert!(w.events() > 1_000);
}

#[test]
fn a_timer_rearmed_at_once_forever_stops_with_no_progress() {
    let mut w = world(Plan::ZeroTimer, config(3, Duration::from_millis(1))).unwrap();
    w.run();
    let v = violation(&w);
    assert_eq!(v.invariant, NO_PROGRESS);
    assert_eq!(v.time, SimTime::ZERO);
}

#[test]
fn the_progress_guard_counts_again_at_every_instant_and_survives_seeking() {
    // Exactly the limit at one instant is allowed.
    let mut c = config(1, Duration::from_millis(1));
    c.max_events_per_instant = 2;
    // Two starts at time 0, then one event per instant.
    let mut w = world(Plan::Echo, c.clone()).unwrap();
    assert_eq!(w.run(), &RunStatus::Finished);
    c.max_events_per_instant = 1;
    let mut w = world(Plan::Echo, c.clone()).unwrap();
    w.run();
    assert_eq!(violation(&w).event, 2, "the second start at time 0");
    // A violation found again after seeking back is the same one.
    c.snapshot_every = 1;
    let mut w = world(Plan::Echo, c).unwrap();
    w.run();
    let first = violation(&w);
    w.seek(0);
    w.run();
    assert_eq!(violation(&w), first);
}

#[test]
fn a_queue_that_grows_without_end_stops_with_resource_limit() {
    let mut c = config(5, Duration::from_secs(3600));
    c.max_pending_events = 10_000;
    let mut w = world(Plan::Flood, c).unwrap();
    w.run();
    let v = violation(&w);
    assert_eq!(v.invariant, RESOURCE_LIMIT);
    assert_eq!(v.seed, 5);
    assert!(v.reason.contains("events are waiting"), "{v}");
    assert!(v.time > SimTime::ZERO && v.time < SimTime::from_duration(Duration::from_secs(1)));
}

#[test]
fn node_counts_past_the_bound_are_refused_not_wrapped() {
    for (servers, clients) in [
        (u32::MAX, 3),
        (MAX_NODES + 1, 0),
        (MAX_NODES, 1),
        (3, u32::MAX),
    ] {
        let c = WorldConfig {
            servers,
            clients,
            ..config(1, Duration::ZERO)
        };
        let err = world(Plan::Echo, c).err().expect("too many nodes");
        assert!(
            err.to_string().contains("more than 1000 nodes"),
            "{servers}+{clients}: {err}"
        );
    }
    let c = WorldConfig {
        servers: MAX_NODES,
        ..config(1, Duration::from_millis(1))
    };
    let mut w = world(Plan::Echo, c).unwrap();
    w.run_until_event(5_000);
    assert_eq!(w.node_count(), MAX_NODES as usize);
}

#[test]
fn absurd_clock_faults_are_refused_without_overflow() {
    let mut w = world(Plan::Echo, config(1, Duration::from_millis(1))).unwrap();
    let n0 = NodeId(0);
    for fault in [
        Fault::ClockDrift {
            node: n0,
            ppm: i64::MIN,
        },
        Fault::ClockStep {
            node: n0,
            delta: i64::MAX,
        },
        Fault::ClockOffset {
            node: n0,
            offset: i64::MIN,
        },
    ] {
        let err = w.inject(fault.clone()).expect_err("refused");
        assert!(matches!(err, ConfigError::Invalid(_)), "{fault}: {err}");
    }
    let year = faultline_sim::limits::MAX_CLOCK_JUMP_NANOS;
    w.inject(Fault::ClockStep {
        node: n0,
        delta: year,
    })
    .expect("a step of exactly the bound is allowed");
}

#[test]
fn clock_steps_that_add_up_past_the_end_of_local_time_do_not_stop_time() {
    // 300 steps of a year each take node 0's clock past its 292 years:
    // it saturates, and its timers must not fire at once forever.
    let year = faultline_sim::limits::MAX_CLOCK_JUMP_NANOS;
    let mut c = config(9, Duration::from_millis(1));
    c.faults = (0..300)
        .map(|_| ScheduledFault {
            at: SimTime::from_duration(Duration::from_secs(1)),
            after_event: None,
            fault: Fault::ClockStep {
                node: NodeId(0),
                delta: year,
            },
        })
        .collect();
    let factory: Factory<Node> = Arc::new(|_, _, _| Node { plan: Plan::Flood });
    c.link.latency = LatencyDist::Constant {
        value: Duration::from_millis(1),
    };
    let mut w = World::new(c, factory, vec![]).unwrap();
    assert_eq!(w.run(), &RunStatus::Finished);
    assert_eq!(w.clock(NodeId(0)).read(w.now()), LocalTime(i64::MAX));
}
