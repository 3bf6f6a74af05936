//! Integration tests of the kernel's mechanisms, driven through a small test
//! process: a ticker that counts its timer ticks in memory, persists every
//! tenth, and pings a random peer on each tick.

use faultline_sim::*;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug, Hash)]
struct Ticker {
    ticks: u64,
    pings: u64,
    restored_from: u64,
}

#[derive(Clone, Debug, Hash)]
enum TickTimer {
    Tick,
}

impl Process for Ticker {
    type Msg = u64;
    type Timer = TickTimer;
    type Durable = u64;
    type Family = faultline_sim::NoOps;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(Duration::from_millis(10), TickTimer::Tick);
    }

    fn on_message(&mut self, _ctx: &mut Ctx<'_, Self>, _from: NodeId, _msg: u64) {
        self.pings += 1;
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, _timer: TickTimer) {
        self.ticks += 1;
        if self.ticks % 10 == 0 {
            *ctx.durable_mut() = self.ticks;
        }
        let peers: Vec<NodeId> = ctx.peers().collect();
        if !peers.is_empty() {
            let to = *ctx.rng().choose(&peers);
            ctx.send(to, self.ticks);
        }
        ctx.set_timer(Duration::from_millis(10), TickTimer::Tick);
    }

    fn view(&self) -> NodeView {
        NodeView::new("ticker", format!("{} ticks", self.ticks)).field("ticks", self.ticks)
    }
}

fn factory() -> Factory<Ticker> {
    Arc::new(|_, _, durable: &u64| Ticker {
        ticks: *durable,
        pings: 0,
        restored_from: *durable,
    })
}

fn ms(n: u64) -> SimTime {
    SimTime::from_duration(Duration::from_millis(n))
}

fn config(seed: u64, faults: FaultSchedule) -> WorldConfig {
    WorldConfig {
        seed,
        servers: 3,
        end: ms(1_000),
        faults,
        trace: TraceMode::Full,
        snapshot_every: 100,
        ..WorldConfig::default()
    }
}

fn at(t: u64, fault: Fault) -> ScheduledFault {
    ScheduledFault {
        at: ms(t),
        after_event: None,
        fault,
    }
}

fn run(config: WorldConfig) -> World<Ticker> {
    let mut world = World::new(config, factory(), vec![]).expect("valid config");
    world.run();
    world
}

fn timer_records(world: &World<Ticker>, node: NodeId, from: SimTime, to: SimTime) -> usize {
    world
        .records()
        .iter()
        .filter(|r| r.time > from && r.time < to)
        .filter(|r| matches!(r.kind, RecordKind::Timer { node: n, .. } if n == node))
        .count()
}

#[test]
fn crash_drops_timers_and_volatile_state() {
    let n1 = NodeId(1);
    let mut world = World::new(
        config(
            1,
            vec![
                at(255, Fault::Crash { node: n1 }),
                at(400, Fault::Restart { node: n1 }),
            ],
        ),
        factory(),
        vec![],
    )
    .unwrap();
    world.run_until_time(ms(300));
    assert!(
        world.process(n1).is_none(),
        "a crashed node has no live state"
    );
    assert_eq!(*world.durable(n1), 20, "durable state outlives the crash");
    assert_eq!(world.view(n1).role, "down");
    world.run();
    assert_eq!(
        timer_records(&world, n1, ms(255), ms(400)),
        0,
        "no timer of a crashed node fires"
    );
    let restarted = world.process(n1).expect("restarted");
    assert_eq!(
        restarted.restored_from, 20,
        "restart rebuilds from the last persisted value"
    );
    // The node ran 25 ticks before the crash, lost 5 unpersisted ones, and
    // ticked again from 20 after the restart (60 more by 1s).
    assert_eq!(restarted.ticks, 20 + 60);
}

#[test]
fn messages_to_a_down_node_are_dropped_and_traced() {
    let n2 = NodeId(2);
    let world = run(config(2, vec![at(100, Fault::Crash { node: n2 })]));
    let drops: Vec<_> = world
        .records()
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::Drop { to, reason: DropReason::NodeDown, .. } if to == n2))
        .collect();
    assert!(
        !drops.is_empty(),
        "pings to the crashed node are dropped with reason `node down`"
    );
    assert!(drops.iter().all(|r| r.time >= ms(100)));
    assert_eq!(world.stats().dropped_node_down as usize, drops.len());
    assert!(world.process(n2).is_none());
}

#[test]
fn partitions_drop_with_reason_and_heal() {
    let faults = vec![
        at(
            100,
            Fault::PartitionOneWay {
                from: vec![NodeId(0)],
                to: vec![NodeId(1), NodeId(2)],
            },
        ),
        at(300, Fault::Heal),
    ];
    let world = run(config(3, faults));
    let cut: Vec<_> = world
        .records()
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RecordKind::Drop {
                    reason: DropReason::Partition,
                    ..
                }
            )
        })
        .collect();
    assert!(!cut.is_empty());
    for r in &cut {
        let RecordKind::Drop { from, .. } = r.kind else {
            unreachable!()
        };
        assert_eq!(from, NodeId(0), "only n0's outgoing links were cut");
        assert!(r.time >= ms(100) && r.time <= ms(300));
    }
    let delivered_to_0 = world.records().iter().any(|r| {
        matches!(r.kind, RecordKind::Deliver { to, .. } if to == NodeId(0))
            && r.time > ms(110)
            && r.time < ms(290)
    });
    assert!(
        delivered_to_0,
        "the other direction keeps working during a one-way cut"
    );
}

#[test]
fn duplication_delivers_a_second_copy() {
    let mut cfg = config(4, vec![]);
    cfg.link.duplicate = 1.0;
    let world = run(cfg);
    let stats = world.stats();
    assert!(stats.duplicated > 0);
    assert_eq!(
        stats.sent,
        2 * stats.duplicated,
        "every message was duplicated once"
    );
    let copies = world
        .records()
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RecordKind::Send {
                    duplicate_of: Some(_),
                    ..
                }
            )
        })
        .count() as u64;
    assert_eq!(copies, stats.duplicated);
}

#[test]
fn timers_follow_the_local_clock() {
    let n0 = NodeId(0);
    // n0's clock runs 50% fast from 0 and steps forward 100ms at 500ms: its
    // 10ms (local) ticks come every ~6.7ms of true time, and the step fires
    // the pending tick at once.
    let faults = vec![
        at(
            0,
            Fault::ClockDrift {
                node: n0,
                ppm: 500_000,
            },
        ),
        at(
            500,
            Fault::ClockStep {
                node: n0,
                delta: 100_000_000,
            },
        ),
    ];
    let world = run(config(5, faults));
    let fast = timer_records(&world, n0, ms(0), ms(300));
    let normal = timer_records(&world, NodeId(1), ms(0), ms(300));
    assert_eq!(normal, 29, "n1 ticks every 10ms of true time");
    assert!(
        (43..=45).contains(&fast),
        "n0 ticks every 10ms of a 1.5x clock: {fast}"
    );
    let at_step: Vec<_> = world
        .records()
        .iter()
        .filter(|r| {
            r.time == ms(500) && matches!(r.kind, RecordKind::Timer { node, .. } if node == n0)
        })
        .collect();
    assert_eq!(
        at_step.len(),
        1,
        "the forward step makes the pending tick due immediately"
    );
    let info = SimHandle::node_info(&world, n0);
    assert_eq!(info.clock_drift_ppm, 500_000);
    assert_eq!(
        info.clock_offset_nanos,
        500_000_000 + 100_000_000,
        "offset after 1s at +50% plus the step"
    );
}

#[test]
fn same_seed_same_fingerprint_different_seed_different() {
    let faults = || {
        vec![
            at(200, Fault::Crash { node: NodeId(0) }),
            at(600, Fault::Restart { node: NodeId(0) }),
        ]
    };
    let a = run(config(11, faults()));
    let b = run(config(11, faults()));
    let c = run(config(12, faults()));
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.records(), b.records());
    assert_ne!(a.fingerprint(), c.fingerprint());
    // The fingerprint does not depend on whether records are kept.
    let mut quiet = config(11, faults());
    quiet.trace = TraceMode::Fingerprint;
    assert_eq!(run(quiet).fingerprint(), a.fingerprint());
}

#[test]
fn seek_then_continue_equals_a_straight_run() {
    let faults = vec![
        at(300, Fault::Isolate { node: NodeId(2) }),
        at(700, Fault::Heal),
    ];
    let straight = run(config(21, faults.clone()));
    let total = straight.events();
    let mut fingerprints = Vec::new();
    let mut stepper = World::new(config(21, faults.clone()), factory(), vec![]).unwrap();
    fingerprints.push(stepper.fingerprint());
    while stepper.step() {
        fingerprints.push(stepper.fingerprint());
    }
    assert_eq!(stepper.fingerprint(), straight.fingerprint());

    let mut world = World::new(config(21, faults), factory(), vec![]).unwrap();
    world.run();
    let mut rng = SimRng::from_u64(99);
    for _ in 0..25 {
        let target = rng.below(total + 1);
        world.seek(target);
        assert_eq!(world.events(), target);
        assert_eq!(
            world.fingerprint(),
            fingerprints[target as usize],
            "fingerprint after seeking to {target}"
        );
    }
    world.seek(total / 3);
    world.run();
    assert_eq!(
        world.fingerprint(),
        straight.fingerprint(),
        "continuing after a seek"
    );
    assert_eq!(
        world.records(),
        straight.records(),
        "the trace is the straight run's trace"
    );
}

#[test]
fn an_injected_branch_replays_from_its_fault_schedule() {
    let mut world = World::new(config(31, vec![]), factory(), vec![]).unwrap();
    world.run_until_time(ms(250));
    world.inject(Fault::Crash { node: NodeId(1) }).unwrap();
    world.run_until_time(ms(500));
    world
        .inject(Fault::Partition {
            groups: vec![vec![NodeId(0)], vec![NodeId(2)]],
        })
        .unwrap();
    // Seeking back before the injections and forward again keeps the branch.
    world.seek(10);
    world.run();
    let schedule = world.fault_schedule();
    assert_eq!(schedule.len(), 2);
    assert!(schedule.iter().all(|f| f.after_event.is_some()));

    let replay = run(config(31, schedule));
    assert_eq!(replay.fingerprint(), world.fingerprint());
    let plain = run(config(31, vec![]));
    assert_ne!(
        plain.fingerprint(),
        world.fingerprint(),
        "the injections changed the run"
    );
    // Injecting out of range is refused, not a panic.
    assert!(matches!(
        world.inject(Fault::Crash { node: NodeId(9) }),
        Err(ConfigError::NodeOutOfRange { .. })
    ));
}

#[test]
fn a_failing_invariant_stops_the_run_with_event_and_seed() {
    let limit =
        invariant_fn::<Ticker>(
            "ticks_below_fifty",
            "No node ticks fifty times.",
            |w| match w.live_servers().find(|(_, p)| p.ticks >= 50) {
                Some((id, p)) => Err(format!("{id} ticked {} times", p.ticks)),
                None => Ok(()),
            },
        );
    let mut world = World::new(config(41, vec![]), factory(), vec![limit]).unwrap();
    let status = world.run().clone();
    let RunStatus::Violated(v) = status else {
        panic!("expected a violation, got {status:?}")
    };
    assert_eq!(v.invariant, "ticks_below_fifty");
    assert_eq!(v.seed, 41);
    assert_eq!(v.time, ms(500), "the fiftieth tick is at 500ms");
    assert_eq!(v.event, world.events());
    assert!(v.reason.contains("ticked 50 times"));
    assert!(!world.step(), "a violated run does not go on");
    assert!(v.to_string().contains("seed 41"));
}

#[test]
fn invariant_stride_checks_less_often() {
    let counting = invariant_fn::<Ticker>(
        "never_three_pings",
        "Fails once any node has 3 pings.",
        |w| {
            if w.live_servers().any(|(_, p)| p.pings >= 3) {
                Err("3 pings".into())
            } else {
                Ok(())
            }
        },
    );
    let mut every = config(51, vec![]);
    every.invariant_stride = 1;
    let mut sparse = every.clone();
    sparse.invariant_stride = 50;
    let mut a = World::new(every, factory(), vec![counting.clone()]).unwrap();
    let mut b = World::new(sparse, factory(), vec![counting]).unwrap();
    let (RunStatus::Violated(va), RunStatus::Violated(vb)) = (a.run().clone(), b.run().clone())
    else {
        panic!("both must fail")
    };
    assert!(va.event < vb.event);
    assert_eq!(vb.event % 50, 0);
}

#[test]
fn bad_configurations_are_refused() {
    let err = World::new(
        config(1, vec![at(10, Fault::Crash { node: NodeId(3) })]),
        factory(),
        vec![],
    )
    .err()
    .expect("node out of range");
    assert_eq!(
        err.to_string(),
        "fault `crash n3` names node n3, but the run has nodes n0..n2"
    );
    let err = World::new(config(1, vec![at(2_000, Fault::Heal)]), factory(), vec![])
        .err()
        .unwrap();
    assert!(matches!(err, ConfigError::AfterEnd { .. }), "{err}");
    let mut cfg = config(1, vec![]);
    cfg.link.loss = 2.0;
    assert!(
        World::new(cfg, factory(), vec![])
            .err()
            .unwrap()
            .to_string()
            .contains("loss")
    );
}

/// The causal graph of a real run with loss, duplicates, a partition and a
/// crash agrees with itself: every delivery follows its send, every
/// step's vector clock from the one-pass table equals the one found by
/// searching its past, happens-before never runs backwards in time, and a
/// dropped message is in the past of nothing but its drop.
#[test]
fn the_causal_graph_of_a_faulty_run_is_consistent() {
    let mut c = config(
        11,
        vec![
            at(
                200,
                Fault::Partition {
                    groups: vec![vec![NodeId(0)], vec![NodeId(1), NodeId(2)]],
                },
            ),
            at(400, Fault::Crash { node: NodeId(2) }),
            at(500, Fault::Heal),
            at(600, Fault::Restart { node: NodeId(2) }),
        ],
    );
    c.end = ms(800);
    c.link.loss = 0.05;
    c.link.duplicate = 0.05;
    let world = run(c);
    let records = world.records();
    let graph = CausalGraph::build(records, 3);
    let clocks = VectorClocks::new(&graph);
    let step = |r: usize| graph.step_of(r).expect("every record has a step");
    let mut deliveries = 0;
    let mut drops = 0;
    let mut duplicates = 0;
    for (i, r) in records.iter().enumerate() {
        match &r.kind {
            RecordKind::Deliver { msg, .. } => {
                let send = graph.send_record(*msg).expect("the send was read");
                assert!(graph.happens_before(step(send), step(i)));
                assert!(clocks.happens_before(&graph, step(send), step(i)));
                deliveries += 1;
            }
            RecordKind::Drop { msg, .. } => {
                let send = step(graph.send_record(*msg).unwrap());
                assert_eq!(graph.future(step(i)).len(), 1, "a drop precedes nothing");
                assert!(graph.happens_before(send, step(i)));
                drops += 1;
            }
            RecordKind::Send {
                duplicate_of: Some(_),
                ..
            } => duplicates += 1,
            _ => {}
        }
    }
    assert!(
        deliveries > 100 && drops > 5 && duplicates > 5,
        "{deliveries} {drops} {duplicates}"
    );
    let n = graph.len() as u32;
    for s in 0..n {
        let s = StepId(s);
        assert_eq!(graph.clock(s), clocks.get(s), "step {s:?}");
    }
    // Pairs spread over the run (all pairs would be slow in a debug build).
    for a in (0..n).step_by(37) {
        for b in (0..n).step_by(41) {
            let (a, b) = (StepId(a), StepId(b));
            let hb = graph.happens_before(a, b);
            assert_eq!(hb, clocks.happens_before(&graph, a, b), "{a:?} {b:?}");
            if hb {
                assert!(graph.step(a).time <= graph.step(b).time);
            }
        }
    }
    // Steps of n0 after the partition know it; the crash of n2 is in the
    // past of its restart.
    let faults: Vec<usize> = graph.fault_records().collect();
    assert_eq!(faults.len(), 4);
    let restart = step(faults[3]);
    let why = graph.why(restart);
    assert!(why.faults.contains(&faults[1]), "{why:?}");
}
