//! Rare interleavings, played step by step: the paper's Figure 8, and a
//! double vote after a restart.
//!
//! Random faults almost never produce these (see the lesson), so these
//! tests drive them: they run the world event by event, wait for each
//! situation, and cut the network or crash a server the moment it arises
//! ([`World::inject`]). Each script runs with a planted bug, which an
//! invariant must catch, and without it, which must pass the same script.
//!
//! **Figure 8 (§5.4.2).** With `commit_previous_term_by_count` the leader
//! of step (c) commits an entry of an earlier term by counting replicas,
//! and the leader of step (d) lacks it: `leader_completeness` fails. The
//! correct protocol never counted that entry as committed. Servers get the
//! figure's roles as they emerge (no ids are fixed in advance): `first`
//! leads at the start, `x` is the leader of (a) whose entry reaches only
//! `y`, `v` the leader of (b) whose entry reaches nobody, `q` (one of `x`,
//! `y`) the leader of (c), and `v` wins (d).
//!
//! **Double vote.** With `forget_vote`, a server that voted and restarted
//! votes again in the same term, and two leaders are elected in it:
//! `election_safety` fails.

use super::*;
use faultline_sim::{Fault, RunStatus, SimTime};
use std::time::Duration;

const SERVERS: u32 = 5;

fn server(w: &World<RaftNode>, id: NodeId) -> Option<&node::Server> {
    w.process(id).and_then(RaftNode::as_server)
}

/// The leader with the highest term, if any live server leads.
fn leader(w: &World<RaftNode>) -> Option<(NodeId, Term)> {
    (0..SERVERS)
        .map(NodeId)
        .filter_map(|id| server(w, id).map(|s| (id, s)))
        .filter(|(_, s)| s.role() == node::Role::Leader)
        .map(|(id, s)| (id, s.current_term()))
        .max_by_key(|&(_, term)| term)
}

/// Steps until `until` holds; panics if the run stops first.
fn step_until(w: &mut World<RaftNode>, what: &str, until: impl Fn(&World<RaftNode>) -> bool) {
    while !until(w) {
        assert!(
            w.step(),
            "the run stopped waiting for {what}: {:?}",
            w.status()
        );
    }
}

/// Steps until a leader of a term above `above` emerges among `among`.
fn new_leader(w: &mut World<RaftNode>, above: Term, among: &[NodeId]) -> (NodeId, Term) {
    step_until(w, "a new leader", |w| {
        leader(w).is_some_and(|(id, t)| t > above && among.contains(&id))
    });
    leader(w).expect("just found")
}

fn inject(w: &mut World<RaftNode>, fault: Fault) {
    w.inject(fault).expect("a valid fault");
}

/// Plays Figure 8 and returns the world after the leader of step (d) is
/// elected (or the run stopped on a violation).
fn play(seed: u64, bug: Option<RaftBug>) -> World<RaftNode> {
    let config = WorldConfig {
        seed,
        servers: SERVERS,
        clients: 0,
        end: SimTime::from_duration(Duration::from_secs(30)),
        ..WorldConfig::default()
    };
    let params = RaftParams {
        // One entry per AppendEntries: an old entry and the new leader's
        // no-op travel in separate messages, as in the figure.
        max_entries_per_append: 1,
        bug,
        ..RaftParams::default()
    };
    let mut w = world(config, params, invariants::boxed());
    let all: Vec<NodeId> = (0..SERVERS).map(NodeId).collect();

    // A first leader, its no-op committed everywhere.
    let (first, t0) = new_leader(&mut w, 0, &all);
    step_until(&mut w, "the first no-op applied everywhere", |w| {
        all.iter()
            .all(|&id| server(w, id).is_some_and(|s| s.last_applied() >= 1))
    });

    // (a) `first` crashes; `x` wins the next term, and its entry at index 2
    // (its no-op) reaches only `y`: the network is cut right after `x` is
    // elected, so the copies for the others are dropped in flight.
    inject(&mut w, Fault::Crash { node: first });
    let others: Vec<NodeId> = all.iter().copied().filter(|&n| n != first).collect();
    let (x, tx) = new_leader(&mut w, t0, &others);
    let y = *others.iter().find(|&&n| n != x).expect("four others");
    let rest: Vec<NodeId> = all.iter().copied().filter(|&n| n != x && n != y).collect();
    inject(
        &mut w,
        Fault::Partition {
            groups: vec![vec![x, y], rest.clone()],
        },
    );
    step_until(&mut w, "y to store x's entry", |w| {
        server(w, y).is_some_and(|s| s.log().term_at(2) == Some(tx))
    });

    // (b) `x` crashes and `first` comes back: `first` and the two others
    // elect `v`, whose own entry at index 2 reaches nobody.
    inject(&mut w, Fault::Crash { node: x });
    inject(&mut w, Fault::Restart { node: first });
    let (v, tv) = new_leader(&mut w, tx, &rest);
    inject(&mut w, Fault::Isolate { node: v });
    let voters: Vec<NodeId> = rest.iter().copied().filter(|&n| n != v).collect();

    // (c) `x` comes back and the cut between the groups heals (v stays cut
    // off). `x` or `y` wins, since only they hold an entry of term `tx`,
    // and copies that entry to the voters of (b): it is on a majority.
    inject(&mut w, Fault::Restart { node: x });
    inject(&mut w, Fault::Heal);
    inject(&mut w, Fault::Isolate { node: v });
    let (q, tq) = new_leader(&mut w, tv, &[x, y]);
    step_until(&mut w, "the entry of term tx on a majority", |w| {
        server(w, q)
            .is_some_and(|s| s.progress().iter().filter(|p| p.match_index >= 2).count() >= 3)
    });
    let committed = server(&w, q).expect("q is up").commit_index();
    if bug.is_none() {
        assert!(
            committed < 2,
            "index 2 is of term {tx}, not {tq}: not yet committed"
        );
    }

    // (d) `q` and the other holder are cut off before `q`'s own entry
    // follows; `v` returns, and its entry of term `tv` > `tx` makes its log
    // the most up-to-date among the voters: it wins and overwrites index 2.
    let other_holder = if q == x { y } else { x };
    inject(&mut w, Fault::Heal);
    inject(&mut w, Fault::Isolate { node: q });
    inject(&mut w, Fault::Isolate { node: other_holder });
    let mut electorate = voters;
    electorate.push(v);
    if w.status().is_running() {
        step_until(&mut w, "the leader of (d)", |w| {
            !w.status().is_running()
                || leader(w).is_some_and(|(id, t)| t > tq && electorate.contains(&id))
        });
    }
    w
}

/// The scripts pick their cast as the run goes, so they work at any seed;
/// each test plays them at these.
const SEEDS: std::ops::Range<u64> = 1..6;

#[test]
fn figure_8_loses_a_committed_entry_when_old_terms_commit_by_counting() {
    for seed in SEEDS {
        let w = play(seed, Some(RaftBug::CommitPreviousTermByCount));
        let RunStatus::Violated(v) = w.status() else {
            panic!("seed {seed}: expected a violation, got {:?}", w.status());
        };
        assert_eq!(v.invariant, "leader_completeness", "{}", v.reason);
        assert!(
            v.reason
                .contains("does not hold the committed entries up to index 2"),
            "{}",
            v.reason
        );
    }
}

#[test]
fn figure_8_is_harmless_with_the_correct_commit_rule() {
    for seed in SEEDS {
        let mut w = play(seed, None);
        assert!(w.status().is_running(), "seed {seed}: {:?}", w.status());
        // Everything heals; the cluster carries on with every invariant intact.
        inject(&mut w, Fault::Heal);
        assert_eq!(w.run(), &RunStatus::Finished);
        let leaders = (0..SERVERS)
            .filter(|&i| w.view(NodeId(i)).role == "leader")
            .count();
        assert_eq!(leaders, 1);
        // Index 2 was never committed before (d); now one entry holds it everywhere.
        let at_2: Vec<Option<Term>> = (0..SERVERS)
            .filter_map(|i| server(&w, NodeId(i)))
            .map(|s| s.log().term_at(2))
            .collect();
        assert!(
            at_2.windows(2).all(|p| p[0] == p[1]),
            "seed {seed}: {at_2:?}"
        );
    }
}

/// The `forget_vote` bug, played: a server votes, crashes and restarts
/// within one election, then votes again in the same term. (Random
/// schedules hit this about once in a thousand crash-heavy runs.)
fn double_vote(seed: u64, bug: Option<RaftBug>) -> World<RaftNode> {
    let config = WorldConfig {
        seed,
        servers: SERVERS,
        clients: 0,
        end: SimTime::from_duration(Duration::from_secs(30)),
        ..WorldConfig::default()
    };
    let params = RaftParams {
        bug,
        ..RaftParams::default()
    };
    let mut w = world(config, params, invariants::boxed());
    let all: Vec<NodeId> = (0..SERVERS).map(NodeId).collect();
    let (first, t0) = new_leader(&mut w, 0, &all);
    step_until(&mut w, "the first no-op applied everywhere", |w| {
        all.iter()
            .all(|&id| server(w, id).is_some_and(|s| s.last_applied() >= 1))
    });

    // The leader crashes; the moment the first candidate `a` asks for votes
    // in term t0 + 1, the network is cut so that only `x` and `s` hear it,
    // and `a` wins with them.
    inject(&mut w, Fault::Crash { node: first });
    let candidate = |w: &World<RaftNode>, id: NodeId, term: Term| {
        server(w, id).is_some_and(|s| s.role() == node::Role::Candidate && s.current_term() == term)
    };
    let others: Vec<NodeId> = all.iter().copied().filter(|&n| n != first).collect();
    step_until(&mut w, "a candidate", |w| {
        others.iter().any(|&id| candidate(w, id, t0 + 1))
    });
    let a = *others
        .iter()
        .find(|&&id| candidate(&w, id, t0 + 1))
        .expect("just found");
    let rest: Vec<NodeId> = others.iter().copied().filter(|&n| n != a).collect();
    let (s, x, b) = (rest[0], rest[1], rest[2]);
    inject(
        &mut w,
        Fault::Partition {
            groups: vec![vec![a, x, s], vec![b, first]],
        },
    );
    // `s` votes for `a` and crashes before `a`'s first entry reaches it
    // (its vote reaches `a`, and `a` wins).
    let term = t0 + 1;
    step_until(&mut w, "s's vote for a", |w| {
        server(w, s).is_some_and(|s| s.voted_for() == Some(a))
    });
    inject(&mut w, Fault::Crash { node: s });
    let (a_won, a_term) = new_leader(&mut w, t0, &[a]);
    assert_eq!((a_won, a_term), (a, term));

    // On the other side `b` times out into the same term; the old leader
    // restarts there and votes for it.
    step_until(&mut w, "a second candidate", |w| candidate(w, b, term));
    inject(&mut w, Fault::Restart { node: first });
    step_until(&mut w, "the old leader's vote for b", |w| {
        server(w, first).is_some_and(|s| s.current_term() == term && s.voted_for() == Some(b))
    });
    assert!(candidate(&w, b, term), "b is still asking in term {term}");

    // `s` restarts on `b`'s side, and `b` asks it again.
    inject(&mut w, Fault::Restart { node: s });
    inject(&mut w, Fault::Heal);
    inject(
        &mut w,
        Fault::Partition {
            groups: vec![vec![a, x], vec![b, first, s]],
        },
    );
    let until = w.now() + Duration::from_millis(400);
    w.run_until_time(until);
    w
}

#[test]
fn forgetting_the_vote_lets_a_restarted_server_elect_two_leaders() {
    for seed in SEEDS {
        let w = double_vote(seed, Some(RaftBug::ForgetVote));
        let RunStatus::Violated(v) = w.status() else {
            panic!("seed {seed}: expected a violation, got {:?}", w.status());
        };
        assert_eq!(v.invariant, "election_safety", "{}", v.reason);
    }
}

#[test]
fn a_persisted_vote_survives_the_same_script() {
    for seed in SEEDS {
        let mut w = double_vote(seed, None);
        assert!(w.status().is_running(), "seed {seed}: {:?}", w.status());
        inject(&mut w, Fault::Heal);
        assert_eq!(w.run(), &RunStatus::Finished, "seed {seed}");
    }
}
