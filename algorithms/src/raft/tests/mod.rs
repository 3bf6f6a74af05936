//! Raft keeps its promises under faults, and each planted bug is caught.
//!
//! Sweeps build worlds directly: 5 servers, 3 clients, a random fault
//! schedule drawn from a seeded stream during the first `span`, then every
//! fault healed and every node restarted, and a quiet period in which the
//! cluster must make progress again. A run fails if an invariant fails
//! during it or if the client history is not linearizable after it.

use super::*;
use crate::algorithm::AnyAlgorithm;
use crate::family::{KvWorkload, OpMix};
use faultline_checker::models::KvModel;
use faultline_checker::{Budget, Verdict};
use faultline_sim::rng::SimRng;
use faultline_sim::{Fault, LinkChange, LinkConfig, Outcome, RunStatus, ScheduledFault, SimTime};
use std::time::Duration;

const SERVERS: u32 = 5;
const CLIENTS: u32 = 3;

fn ms(n: u64) -> SimTime {
    SimTime::from_duration(Duration::from_millis(n))
}

fn at(t: u64, fault: Fault) -> ScheduledFault {
    ScheduledFault {
        at: ms(t),
        after_event: None,
        fault,
    }
}

/// What a sweep throws at the cluster.
#[derive(Clone, Copy)]
struct Chaos {
    /// Crashes, each followed by a restart (some quick, some slow).
    crashes: bool,
    /// Partitions of servers and clients into two sides, later healed.
    partitions: bool,
    /// Loss, duplication and reordering on every link.
    unreliable: bool,
    /// Clock drift within ±`drift_ppm` on every server.
    drift_ppm: i64,
    /// Faults happen in the first `span_ms`; the run ends `quiet_ms` later.
    span_ms: u64,
    quiet_ms: u64,
    /// Number of fault episodes.
    episodes: u32,
    /// Instead of random episodes: back-to-back partitions of two random
    /// servers plus client n5 against the rest, `flip_ms` each.
    flip_ms: u64,
}

const CHAOS: Chaos = Chaos {
    crashes: true,
    partitions: true,
    unreliable: false,
    drift_ppm: 0,
    span_ms: 4_000,
    quiet_ms: 2_000,
    episodes: 10,
    flip_ms: 0,
};

fn random_faults(seed: u64, chaos: Chaos) -> Vec<ScheduledFault> {
    let mut rng = SimRng::stream(seed, "raft-test-faults", 0);
    let mut faults = Vec::new();
    if chaos.drift_ppm != 0 {
        for n in 0..SERVERS {
            let ppm = rng.between(0, 2 * chaos.drift_ppm as u64) as i64 - chaos.drift_ppm;
            faults.push(at(
                0,
                Fault::ClockDrift {
                    node: NodeId(n),
                    ppm,
                },
            ));
        }
    }
    if chaos.unreliable {
        faults.push(at(
            0,
            Fault::Link {
                from: None,
                to: None,
                change: LinkChange {
                    loss: Some(0.05),
                    duplicate: Some(0.05),
                    reorder: Some(0.1),
                    ..LinkChange::default()
                },
            },
        ));
    }
    let span = chaos.span_ms;
    if chaos.flip_ms > 0 {
        let mut t = 300;
        while t + chaos.flip_ms <= span {
            let first = rng.below(SERVERS as u64) as u32;
            let second = (first + 1 + rng.below(SERVERS as u64 - 1) as u32) % SERVERS;
            let small = vec![NodeId(first), NodeId(second), NodeId(SERVERS)];
            let big = (0..SERVERS + CLIENTS)
                .map(NodeId)
                .filter(|n| !small.contains(n))
                .collect();
            faults.push(at(t, Fault::Heal));
            faults.push(at(
                t,
                Fault::Partition {
                    groups: vec![small, big],
                },
            ));
            t += chaos.flip_ms;
        }
    }
    for _ in 0..chaos.episodes {
        let t = rng.between(200, span - 100);
        let crash = chaos.crashes && (!chaos.partitions || rng.chance(0.5));
        if crash {
            let node = NodeId(rng.below(SERVERS as u64) as u32);
            faults.push(at(t, Fault::Crash { node }));
            let back = if rng.chance(0.5) {
                rng.between(1, 30)
            } else {
                rng.between(100, 800)
            };
            faults.push(at((t + back).min(span), Fault::Restart { node }));
        } else if chaos.partitions {
            let mut a = Vec::new();
            let mut b = Vec::new();
            for n in 0..SERVERS + CLIENTS {
                if rng.chance(0.5) {
                    a.push(NodeId(n));
                } else {
                    b.push(NodeId(n));
                }
            }
            faults.push(at(t, Fault::Partition { groups: vec![a, b] }));
            faults.push(at((t + rng.between(100, 1_000)).min(span), Fault::Heal));
        }
    }
    faults.push(at(span, Fault::Heal));
    for n in 0..SERVERS {
        faults.push(at(span, Fault::Restart { node: NodeId(n) }));
    }
    faults
}

fn config(seed: u64, chaos: Chaos) -> WorldConfig {
    WorldConfig {
        seed,
        servers: SERVERS,
        clients: CLIENTS,
        end: ms(chaos.span_ms + chaos.quiet_ms),
        link: LinkConfig::default(),
        faults: random_faults(seed, chaos),
        ..WorldConfig::default()
    }
}

/// What the clients ask: two keys, every kind of operation.
fn workload() -> KvWorkload {
    KvWorkload {
        keys: 2,
        mix: OpMix {
            get: 3,
            put: 1,
            append: 2,
            cas: 1,
        },
        ..KvWorkload::default()
    }
}

/// Runs one seed; `Err` names the check that failed and why.
fn run(seed: u64, params: &RaftParams, chaos: Chaos) -> Result<World<RaftNode>, (String, String)> {
    run_checking(seed, params, chaos, None)
}

/// Runs one seed with only the invariant `only` (all when `None`).
fn run_checking(
    seed: u64,
    params: &RaftParams,
    chaos: Chaos,
    only: Option<&str>,
) -> Result<World<RaftNode>, (String, String)> {
    let all = invariants::boxed();
    let chosen = all
        .into_iter()
        .filter(|i| only.is_none_or(|name| i.name() == name))
        .collect();
    let mut w = world(config(seed, chaos), params.clone(), chosen).with_workload(workload());
    if let RunStatus::Violated(v) = w.run().clone() {
        return Err((v.invariant, v.reason));
    }
    let result = faultline_checker::check(&KvModel, w.history(), Budget::steps(5_000_000));
    match result.verdict {
        Verdict::Linearizable => Ok(w),
        Verdict::NotLinearizable => Err((
            "linearizability".into(),
            result
                .failure
                .map(|f| format!("key {:?}", f.partition))
                .unwrap_or_default(),
        )),
        Verdict::Unknown { reason } => panic!("seed {seed}: checker undecided: {reason}"),
    }
}

fn with_bug(bug: RaftBug) -> RaftParams {
    RaftParams {
        bug: Some(bug),
        ..RaftParams::default()
    }
}

/// Asserts that `buggy` fails `expected` within `seeds` (checking only the
/// invariant `only` when given), and that the correct protocol with the same
/// settings passes the same seeds.
fn caught(buggy: &RaftParams, chaos: Chaos, seeds: u64, only: Option<&str>, expected: &str) {
    let correct = RaftParams {
        bug: None,
        ..buggy.clone()
    };
    caught_with(buggy, &correct, chaos, seeds, only, expected);
}

fn caught_with(
    buggy: &RaftParams,
    correct: &RaftParams,
    chaos: Chaos,
    seeds: u64,
    only: Option<&str>,
    expected: &str,
) {
    let bug = buggy.bug;
    let (seed, check, reason) = (0..seeds)
        .find_map(|seed| {
            run_checking(seed, buggy, chaos, only)
                .err()
                .map(|(c, r)| (seed, c, r))
        })
        .unwrap_or_else(|| panic!("{bug:?} not caught within {seeds} seeds"));
    assert_eq!(check, expected, "{bug:?} at seed {seed}: {reason}");
    for s in 0..=seed {
        if let Err((c, r)) = run(s, correct, chaos) {
            panic!("correct Raft failed {c} on seed {s}: {r}");
        }
    }
}

#[test]
fn a_quiet_cluster_elects_one_leader_and_serves_clients() {
    let chaos = Chaos {
        episodes: 0,
        ..CHAOS
    };
    let w = run(1, &RaftParams::default(), chaos).expect("passes");
    assert!(w.stats().ops_ok > 300, "{:?}", w.stats());
    let leaders = (0..SERVERS)
        .filter(|&i| w.view(NodeId(i)).role == "leader")
        .count();
    assert_eq!(leaders, 1);
}

#[test]
fn correct_raft_passes_crashes_and_partitions() {
    for seed in 0..20 {
        if let Err((c, r)) = run(seed, &RaftParams::default(), CHAOS) {
            panic!("seed {seed}: {c}: {r}");
        }
    }
}

#[test]
fn correct_raft_passes_an_unreliable_network_in_every_read_mode() {
    let chaos = Chaos {
        unreliable: true,
        drift_ppm: 20_000,
        ..CHAOS
    };
    for read_mode in [ReadMode::Log, ReadMode::ReadIndex, ReadMode::Lease] {
        for pre_vote in [false, true] {
            let params = RaftParams {
                read_mode,
                pre_vote,
                snapshot_threshold: 50,
                ..RaftParams::default()
            };
            for seed in 0..6 {
                if let Err((c, r)) = run(seed, &params, chaos) {
                    panic!("{read_mode:?} pre_vote={pre_vote} seed {seed}: {c}: {r}");
                }
            }
        }
    }
}

/// After every fault is healed at the end of the span, a leader emerges
/// and every operation invoked from one second later completes ok within a
/// second.
#[test]
fn after_faults_stop_a_leader_emerges_and_clients_make_progress() {
    let chaos = Chaos {
        quiet_ms: 3_000,
        ..CHAOS
    };
    for seed in 0..10 {
        let w = run(seed, &RaftParams::default(), chaos).expect("safe");
        let leaders = (0..SERVERS)
            .filter(|&i| w.view(NodeId(i)).role == "leader")
            .count();
        assert_eq!(leaders, 1, "seed {seed}: one leader at the end");
        let from = ms(chaos.span_ms + 1_000).0;
        let until = ms(chaos.span_ms + chaos.quiet_ms - 1_000).0;
        let judged: Vec<_> = w
            .history()
            .iter()
            .filter(|op| op.call >= from && op.call <= until)
            .collect();
        assert!(judged.len() > 20, "seed {seed}: {} ops", judged.len());
        for op in judged {
            let ok = matches!(op.outcome, Outcome::Ok(_))
                && op.ret.is_some_and(|r| r - op.call <= 1_000_000_000);
            assert!(ok, "seed {seed}: {op:?} did not complete within 1s");
        }
    }
}

/// Back-to-back partitions putting two servers and client n5 on one side.
const FLIPS: Chaos = Chaos {
    crashes: false,
    partitions: false,
    flip_ms: 600,
    ..CHAOS
};

/// Crashes only, many of them.
const CRASHY: Chaos = Chaos {
    partitions: false,
    episodes: 40,
    ..CHAOS
};

#[test]
fn runs_are_deterministic() {
    let a = run(7, &RaftParams::default(), CHAOS).expect("passes");
    let b = run(7, &RaftParams::default(), CHAOS).expect("passes");
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.stats(), b.stats());
}

#[test]
fn params_are_validated_with_their_location() {
    let doc = "[params]\nheartbeat_interval = \"200ms\"\n";
    let err = Raft.build(doc, WorldConfig::default(), None).err().unwrap();
    assert!(
        err.message.contains("below election_timeout_min"),
        "{}",
        err.message
    );
    assert_eq!(&doc[err.span.unwrap()], "heartbeat_interval = \"200ms\"");
    let err = Raft
        .build(
            "[params]\nread_mode = \"fast\"\n",
            WorldConfig::default(),
            None,
        )
        .err()
        .unwrap();
    assert!(
        err.message.contains("unknown variant `fast`"),
        "{}",
        err.message
    );
    let err = Raft
        .build(
            "[params]\nelection_timeout_max = \"100ms\"\n",
            WorldConfig::default(),
            None,
        )
        .err()
        .unwrap();
    assert!(
        err.message.contains("below election_timeout_min"),
        "{}",
        err.message
    );
    assert!(Raft.build("", WorldConfig::default(), None).is_ok());
}

#[test]
fn the_view_shows_role_term_log_and_progress() {
    let w = run(
        1,
        &RaftParams::default(),
        Chaos {
            episodes: 0,
            ..CHAOS
        },
    )
    .expect("passes");
    let leader = (0..SERVERS)
        .map(|i| w.view(NodeId(i)))
        .find(|v| v.role == "leader")
        .expect("a leader");
    assert!(leader.get("term").is_some() && leader.get("commit_index").is_some());
    let tables: Vec<&str> = leader
        .sections
        .iter()
        .map(|s| match s {
            faultline_sim::ViewSection::Table {
                title,
                rows,
                groups,
                ..
            } => {
                assert!(groups.is_empty() || rows.len() == groups.len());
                title.as_str()
            }
            _ => "",
        })
        .collect();
    assert_eq!(tables, ["log", "replication"]);
    let faultline_sim::ViewSection::Table {
        columns,
        rows,
        groups,
        ..
    } = &leader.sections[0]
    else {
        panic!("the log is a table");
    };
    assert_eq!(columns, &["index", "term", "command", "status"]);
    assert!(!rows.is_empty());
    for (row, group) in rows.iter().zip(groups) {
        assert_eq!(row[1], group.to_string(), "rows are grouped by term");
    }
    assert_eq!(
        rows.last().unwrap()[3],
        "applied",
        "a quiet leader applied all"
    );
    let faultline_sim::ViewSection::Table { rows, .. } = &leader.sections[1] else {
        panic!("the replication progress is a table");
    };
    assert_eq!(rows.len(), SERVERS as usize);
    assert_eq!(w.view(NodeId(SERVERS)).role, "client");
}

mod bugs;

/// Exhaustive exploration tells states apart by each invariant's memory:
/// every Raft invariant remembers something, and its `memory()` changes as
/// it learns (a leader elected, entries committed and applied).
#[test]
fn every_invariant_memory_changes_as_it_learns() {
    let (w, memories) = crate::testkit::run_kv_probed::<Raft>(1, RaftParams::default(), 3);
    assert!(w.history().len() > 10, "the run served clients");
    let names = super::invariants::INVARIANTS.map(|(name, _)| name);
    crate::testkit::assert_memory_learns(&memories, &names);
}

/// Takes the Figure 8 path by adversary steps (docs/explore.md): deliveries
/// named by their label and timers fired until the node stands for
/// election. Returns the steps taken and the violation, if any.
fn figure8_by_hand(bug: bool) -> (Vec<String>, Option<faultline_sim::Violation>) {
    use faultline_sim::{Choice, NodeId, RunStatus, TraceMode};
    let text = format!(
        "name = \"f8\"\nalgorithm = \"raft\"\nservers = 3\n\
         [params]\nmax_entries_per_append = 1\n{}\n[explore]\n",
        if bug {
            "bug = \"commit_previous_term_by_count\""
        } else {
            ""
        }
    );
    let s = crate::scenario::Scenario::parse("f8.toml", &text).unwrap();
    let config = s.world_config(s.seed, TraceMode::Fingerprint);
    let mut w = crate::algorithm::scenario_world::<Raft>(&text, config, None).unwrap();
    w.start();
    let plan: &[&str] = &[
        // n0 wins term 1 with n1's vote; its no-op stays with it.
        "T0",
        "n0 -> n1 RequestVote {",
        "n1 -> n0 RequestVoteReply",
        // n2 learns term 1, wins term 2 with n1's vote; its no-op stays too.
        "n0 -> n2 RequestVote {",
        "T2",
        "n2 -> n1 RequestVote {",
        "n1 -> n2 RequestVoteReply",
        // n0 hears term 2 in a reply (a leader ignores vote requests) ...
        "n0 -> n2 AppendEntries { term: 1",
        "n2 -> n0 AppendEntriesReply { term: 2",
        // ... and wins term 3 with n1's vote, then backs n1 up to index 1:
        // with the bug its term-1 entry counts as committed on two servers.
        "T0",
        "n0 -> n1 RequestVote { term: 3",
        "n1 -> n0 RequestVoteReply { term: 3",
        "n0 -> n1 AppendEntries { term: 3",
        "n1 -> n0 AppendEntriesReply { term: 3",
        "n0 -> n1 AppendEntries { term: 3",
        "n1 -> n0 AppendEntriesReply { term: 3",
        // n2 hears term 3 and wins term 4 with n1's vote (its last term, 2,
        // beats n1's 1), lacking the entry committed at index 1.
        "n2 -> n0 AppendEntries { term: 2",
        "n0 -> n2 AppendEntriesReply { term: 3",
        "T2",
        "n2 -> n1 RequestVote { term: 4",
        "n1 -> n2 RequestVoteReply { term: 4",
    ];
    let mut taken = Vec::new();
    for want in plan {
        if let Some(n) = want.strip_prefix('T') {
            let node = NodeId(n.parse().unwrap());
            // A node's timers fire in deadline order: stale ones first.
            loop {
                assert!(taken.len() < 60, "{node} never stood: {taken:#?}");
                let c = w
                    .choices()
                    .into_iter()
                    .find(|c| matches!(c, Choice::Timer { node: x, .. } if *x == node))
                    .unwrap_or_else(|| panic!("no timer of {node}: {taken:#?}"));
                taken.push(w.describe_choice(&c));
                w.apply(&c).unwrap();
                let stood = w.choices().iter().any(|c| {
                    w.describe_choice(c)
                        .contains(&format!("{node} -> n1 RequestVote"))
                });
                if stood {
                    break;
                }
            }
        } else {
            let choices = w.choices();
            let labels: Vec<String> = choices.iter().map(|c| w.describe_choice(c)).collect();
            let i = labels
                .iter()
                .position(|l| l.starts_with("deliver") && l.contains(want))
                .unwrap_or_else(|| panic!("no {want:?} in {labels:#?}\nafter {taken:#?}"));
            taken.push(labels[i].clone());
            w.apply(&choices[i]).unwrap();
        }
        if let RunStatus::Violated(v) = w.status() {
            return (taken, Some(v.clone()));
        }
    }
    (taken, None)
}

/// Figure 8 is reachable by an adversary's deliveries and timers alone,
/// with no fault: the path docs/explore.md describes, which the searches
/// have not yet found by themselves. The same steps with the correct
/// commit rule break nothing.
#[test]
fn figure8_is_reachable_by_deliveries_and_timers_alone() {
    let (path, violation) = figure8_by_hand(true);
    let v = violation.unwrap_or_else(|| panic!("no violation after {path:#?}"));
    assert_eq!(v.invariant, "leader_completeness", "{}", v.reason);
    assert_eq!(path.len(), 24, "{path:#?}");
    let (path, violation) = figure8_by_hand(false);
    assert_eq!(violation, None, "{path:#?}");
    assert_eq!(path.len(), 24, "{path:#?}");
}
