//! Exhaustive exploration: every order of the steps an adversary may take
//! in a small world, up to a depth, with each state checked by the
//! invariants and states seen before skipped.
//!
//! The world is put under an adversary ([`World::with_adversary`]): the
//! search asks it for the enabled steps ([`World::choices`]), takes each
//! from a copy ([`World::apply`]) and tells states apart by
//! [`World::state_hash`]. Five strategies:
//!
//! - **breadth-first** visits states in order of depth, so the first
//!   violation found has a shortest path. Each depth's states are expanded
//!   in fixed-size chunks, on as many threads as the caller's [`Parallel`]
//!   gives, and the chunks' results are merged in chunk order: the counts
//!   and the counterexample do not depend on the thread count.
//! - **depth-first** keeps one path (a stack of states) and so needs memory
//!   only for the fingerprints of the states it has seen; it runs on one
//!   thread, since its order is what makes it depth-first.
//! - **random walks** take random enabled steps to the depth bound, walk
//!   after walk (each walk seeded by its index), for worlds too big to
//!   exhaust; batches of walks run in parallel and are merged in order.
//! - **swarm walks** are random walks in which each walk weights the
//!   sources of steps (a link's deliveries, a node's timers, a fault on a
//!   node) its own way, so that lopsided interleavings, one link starved
//!   while the rest run, are common ([`World::choice_sources`]).
//! - **novelty search** is breadth-first search that expands a state only
//!   if it brings some pair of nodes into local states never seen together
//!   ([`World::node_hashes`]): deep paths in few states, never exhaustive.
//!
//! Visited states are kept as 64-bit fingerprints only. The search stops at
//! the first violation (an invariant, or the `history` check the caller
//! gives, run after every step that completes an operation), when the
//! state or depth bound is reached, or when nothing is left to explore.
//!
//! Threads are the caller's: this crate stays free of them so that it
//! builds for the browser ([`Sequential`] runs everything in turn).

use crate::process::{OpOf, Process};
use crate::rng::SimRng;
use crate::world::{Choice, RunStatus, Violation, World, WorldState};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

/// How the search orders the states it visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Breadth-first: the first violation found has a shortest path.
    Bfs,
    /// Depth-first with a depth bound, on one thread.
    Dfs,
    /// Random walks to the depth bound.
    Random,
    /// Random walks to the depth bound, each with its own weights: every
    /// source of steps (a link's deliveries, a node's timers, a kind of
    /// fault on a node) gets a weight drawn for the walk, so that one walk
    /// starves a link or a node's timers while another hurries them.
    Swarm,
    /// Breadth-first, keeping a state only if it is new in what its nodes
    /// hold: some pair of nodes is in a pair of local states (process and
    /// durable state) never seen together before. Not exhaustive: it
    /// reaches deep paths in few states by skipping states that only
    /// reorder what is already known.
    Novelty,
}

impl Strategy {
    /// The name in `[explore]` tables and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Bfs => "bfs",
            Strategy::Dfs => "dfs",
            Strategy::Random => "random",
            Strategy::Swarm => "swarm",
            Strategy::Novelty => "novelty",
        }
    }

    /// Every strategy, in the order the docs list them.
    pub const ALL: [Strategy; 5] = [
        Strategy::Bfs,
        Strategy::Dfs,
        Strategy::Random,
        Strategy::Swarm,
        Strategy::Novelty,
    ];

    /// The strategy of a name in `[explore]` tables, if there is one.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the strategy takes walks (and reads a walk count).
    pub fn walks(self) -> bool {
        matches!(self, Strategy::Random | Strategy::Swarm)
    }
}

/// What bounds a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Steps on a path (after the nodes' starts).
    pub max_depth: u32,
    /// Distinct states; the search stops, not exhaustive, when it has
    /// seen this many.
    pub max_states: u64,
    /// Random walks to take (random strategy only).
    pub walks: u64,
    /// Seed of the random walks.
    pub seed: u64,
}

/// Runs tasks, perhaps in parallel. Results must not depend on how.
pub trait Parallel: Sync {
    /// How many tasks may run at once.
    fn threads(&self) -> usize;
    /// Runs `task(i)` for every `i` in `0..tasks`, returning when all have,
    /// with at most [`Parallel::threads`] tasks running at once.
    fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync));
}

/// Runs every task in turn on the calling thread.
pub struct Sequential;

impl Parallel for Sequential {
    fn threads(&self) -> usize {
        1
    }
    fn run(&self, tasks: usize, task: &(dyn Fn(usize) + Sync)) {
        (0..tasks).for_each(task);
    }
}

/// How far a search has come; handed to the progress callback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Distinct states seen (the initial state included).
    pub states: u64,
    /// Steps taken, counting those that led to a state seen before.
    pub transitions: u64,
    /// The deepest path so far.
    pub depth: u32,
    /// States waiting to be expanded (breadth-first: the next depth;
    /// depth-first: the stack; random and swarm: walks left).
    pub queue: u64,
    /// Bytes held by the set of visited fingerprints.
    pub visited_bytes: u64,
}

/// Why a search stopped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// A violation was found; the path leads to it.
    Violation {
        /// The steps from the start, in order.
        path: Vec<Choice>,
        /// What failed.
        violation: Violation,
    },
    /// Every state reachable within the depth bound was visited, and none
    /// violates anything. `exhaustive` is true when no path was cut short
    /// by the depth bound either.
    Clean {
        /// Whether the search reached every reachable state.
        exhaustive: bool,
    },
    /// A bound stopped the search before it was done: not exhaustive.
    Bounded {
        /// Which bound (`"max_states"`, `"walks"`).
        bound: &'static str,
    },
}

/// The result of a search.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The strategy used.
    pub strategy: Strategy,
    /// Counts at the end.
    pub progress: Progress,
    /// How it ended.
    pub verdict: Verdict,
}

/// A check of the history, run after each step that completed an
/// operation: `Err((check name, reason))` is a violation.
pub type HistoryCheck<'a, P> = &'a (dyn Fn(&[OpOf<P>]) -> Result<(), (String, String)> + Sync);

/// Fingerprints are already mixed: the set hashes them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Visited = HashSet<u64, BuildHasherDefault<Identity>>;

fn visited_bytes(v: &Visited) -> u64 {
    // hashbrown: the key and one control byte per bucket.
    (v.capacity() as u64) * 9
}

/// States expanded per task in breadth-first search: fixed, so the merge
/// order (and every count) is the same whatever the thread count.
const CHUNK: usize = 32;
/// Walks per batch in random search.
const BATCH: usize = 64;

/// A successor found by a worker.
struct Found {
    fp: u64,
    parent: u32,
    choice: u64,
    violation: Option<Box<Violation>>,
    /// Novelty search: the pairs of local states the state holds.
    pairs: Vec<u64>,
}

/// Every pair of nodes with their local states, hashed: what a novelty
/// search asks to be new.
fn local_pairs(nodes: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(nodes.len() * nodes.len().saturating_sub(1) / 2);
    for (i, a) in nodes.iter().enumerate() {
        for (j, b) in nodes.iter().enumerate().skip(i + 1) {
            out.push(crate::rng::mix64(
                a ^ crate::rng::mix64(b ^ crate::rng::mix64((i as u64) << 32 | j as u64)),
            ));
        }
    }
    out
}

/// A step in 8 bytes, for the paths breadth-first search keeps: the kind
/// in the top 4 bits, then a message id, a timer id (which holds its node),
/// a node, or a partition's first side as a mask of servers.
fn pack(choice: &Choice) -> u64 {
    let (kind, payload) = match choice {
        Choice::Deliver { msg } => (0, msg.0),
        Choice::Timer { timer, .. } => (1, timer.0),
        Choice::Request { client } => (2, u64::from(client.0)),
        Choice::Drop { msg } => (3, msg.0),
        Choice::Duplicate { msg } => (4, msg.0),
        Choice::Crash { node } => (5, u64::from(node.0)),
        Choice::Restart { node } => (6, u64::from(node.0)),
        Choice::Partition { groups } => (
            7,
            groups
                .first()
                .map_or(0, |g| g.iter().fold(0u64, |m, n| m | 1 << n.0)),
        ),
        Choice::Heal => (8, 0),
    };
    debug_assert!(payload < 1 << 60, "{choice:?} packs in 60 bits");
    (kind << 60) | payload
}

/// The step [`pack`] packed, in a world of `servers` servers.
fn unpack(packed: u64, servers: u32) -> Choice {
    use crate::process::{MsgId, NodeId, TimerId};
    let payload = packed & ((1 << 60) - 1);
    let node = NodeId(payload as u32);
    match packed >> 60 {
        0 => Choice::Deliver {
            msg: MsgId(payload),
        },
        1 => Choice::Timer {
            node: NodeId((payload >> crate::world::TIMER_BITS) as u32),
            timer: TimerId(payload),
        },
        2 => Choice::Request { client: node },
        3 => Choice::Drop {
            msg: MsgId(payload),
        },
        4 => Choice::Duplicate {
            msg: MsgId(payload),
        },
        5 => Choice::Crash { node },
        6 => Choice::Restart { node },
        7 => {
            let (a, b) = (0..servers)
                .map(NodeId)
                .partition(|n| payload & (1 << n.0) != 0);
            Choice::Partition { groups: vec![a, b] }
        }
        _ => Choice::Heal,
    }
}

/// The paths of a breadth-first search as a tree: for every state seen,
/// its parent (an index into the level above) and the step from it.
#[derive(Default)]
struct Tree {
    levels: Vec<Vec<(u32, u64)>>,
}

impl Tree {
    /// The packed steps from the root to state `index` of `level`.
    fn path(&self, level: usize, mut index: u32) -> Vec<u64> {
        let mut out = Vec::with_capacity(level);
        for l in (0..level).rev() {
            let (parent, step) = self.levels[l][index as usize];
            out.push(step);
            index = parent;
        }
        out.reverse();
        out
    }

    fn bytes(&self) -> u64 {
        self.levels
            .iter()
            .map(|l| (l.capacity() * std::mem::size_of::<(u32, u64)>()) as u64)
            .sum()
    }
}

/// Searches every order of the adversary's steps from `root`'s state.
/// `root` must be under an adversary ([`World::with_adversary`]); the
/// search starts after its nodes' starts. `progress` is called now and
/// then.
pub fn search<P: Process>(
    root: &World<P>,
    strategy: Strategy,
    limits: Limits,
    history: HistoryCheck<'_, P>,
    par: &dyn Parallel,
    progress: &mut dyn FnMut(&Progress),
) -> Report {
    let mut root = root.fork();
    root.start();
    let mut searcher = Searcher {
        root: &root,
        limits,
        history,
        visited: Visited::default(),
        progress: Progress::default(),
        tree: Tree::default(),
    };
    let verdict = if let Some(v) = searcher.initial_violation() {
        v
    } else {
        match strategy {
            Strategy::Bfs => searcher.bfs(par, progress, false),
            Strategy::Novelty => searcher.bfs(par, progress, true),
            Strategy::Dfs => searcher.dfs(progress),
            Strategy::Random => searcher.random(par, progress, false),
            Strategy::Swarm => searcher.random(par, progress, true),
        }
    };
    if strategy != Strategy::Dfs {
        searcher.progress.visited_bytes = visited_bytes(&searcher.visited) + searcher.tree.bytes();
    }
    progress(&searcher.progress);
    Report {
        strategy,
        progress: searcher.progress,
        verdict,
    }
}

/// A swarm walk's weight for the steps of one source: 2^k for k drawn
/// uniformly from 0..=SWARM_LEVELS by hashing the walk's key with the
/// source's, so a source keeps its weight for the whole walk.
fn swarm_weight(walk_key: u64, source: u64) -> u64 {
    let k = crate::rng::mix64(walk_key ^ crate::rng::mix64(source)) % (SWARM_LEVELS + 1);
    1 << k
}

/// Weights of a swarm walk span 1 to 2^SWARM_LEVELS.
const SWARM_LEVELS: u64 = 8;

struct Searcher<'a, P: Process> {
    root: &'a World<P>,
    limits: Limits,
    history: HistoryCheck<'a, P>,
    visited: Visited,
    progress: Progress,
    /// Breadth-first search's tree of paths.
    tree: Tree,
}

/// Takes `choice` in `shell` from `state` (changed in place): the new
/// state's fingerprint and the violation it shows, if any.
fn step<P: Process>(
    shell: &mut World<P>,
    state: &mut WorldState<P>,
    choice: &Choice,
    history: HistoryCheck<'_, P>,
) -> (u64, Option<Violation>) {
    shell.on_state(state, |w| {
        let done = |w: &World<P>| {
            let s = w.stats();
            s.ops_ok + s.ops_failed + s.ops_unknown
        };
        let before = done(w);
        w.apply(choice)
            .expect("the search takes only enabled steps");
        let violation = match w.status() {
            RunStatus::Violated(v) => Some(v.clone()),
            _ if done(w) != before => match history(w.history()) {
                Ok(()) => None,
                Err((check, reason)) => Some(Violation {
                    invariant: check,
                    reason,
                    event: w.stats().events,
                    time: w.now(),
                    seed: w.config().seed,
                }),
            },
            _ => None,
        };
        (w.state_hash(), violation)
    })
}

impl<P: Process> Searcher<'_, P> {
    fn initial_violation(&mut self) -> Option<Verdict> {
        self.visited.insert(self.root.state_hash());
        self.progress.states = 1;
        match self.root.status() {
            RunStatus::Violated(v) => Some(Verdict::Violation {
                path: Vec::new(),
                violation: v.clone(),
            }),
            _ => None,
        }
    }

    fn full(&self) -> bool {
        self.progress.states >= self.limits.max_states
    }

    fn bfs(
        &mut self,
        par: &dyn Parallel,
        progress: &mut dyn FnMut(&Progress),
        novelty: bool,
    ) -> Verdict {
        // Novelty search: the pairs of nodes' local states seen so far.
        let mut seen_pairs: HashSet<u64, BuildHasherDefault<Identity>> = HashSet::default();
        // States are not kept: a state is rebuilt by taking its path's
        // steps from the root when it is expanded. A state is kilobytes
        // (every node's process, durable state, random streams, the
        // in-flight messages); its place in the tree of paths is 16 bytes.
        let servers = self.root.config().servers;
        let tree = &mut self.tree;
        tree.levels.clear();
        // The states of the current depth, as indexes into its tree level
        // (the root: a level of its own with no steps).
        let mut frontier: Vec<u32> = vec![0];
        let mut depth = 0u32;
        let mut cut_short = false;
        let shells: Mutex<Vec<World<P>>> =
            Mutex::new((0..par.threads()).map(|_| self.root.fork()).collect());
        while !frontier.is_empty() {
            if depth >= self.limits.max_depth {
                cut_short = true;
                break;
            }
            self.progress.queue = frontier.len() as u64;
            self.progress.visited_bytes = visited_bytes(&self.visited) + tree.bytes();
            progress(&self.progress);
            let tasks = frontier.len().div_ceil(CHUNK);
            let results: Vec<Mutex<(Vec<Found>, u64)>> =
                (0..tasks).map(|_| Mutex::new((Vec::new(), 0))).collect();
            let visited = &self.visited;
            let history = self.history;
            let (tree_ref, frontier_ref) = (&*tree, &frontier);
            par.run(tasks, &|i| {
                let mut shell = shells
                    .lock()
                    .expect("no worker panicked")
                    .pop()
                    .expect("at most one task per thread at once");
                let mut found = Vec::new();
                let mut transitions = 0;
                let end = ((i + 1) * CHUNK).min(frontier_ref.len());
                // Siblings sit side by side in a level: their common parent
                // is rebuilt once and each takes its own last step from it.
                let mut cached: Option<(u32, WorldState<P>)> = None;
                for &index in &frontier_ref[i * CHUNK..end] {
                    // A shell's own state stays the root's: steps run on copies.
                    let mut parent = if depth == 0 {
                        shell.save()
                    } else {
                        let (up, last) = tree_ref.levels[depth as usize - 1][index as usize];
                        if cached.as_ref().is_none_or(|(c, _)| *c != up) {
                            let mut s = shell.save();
                            for packed in tree_ref.path(depth as usize - 1, up) {
                                step(&mut shell, &mut s, &unpack(packed, servers), history);
                            }
                            cached = Some((up, s));
                        }
                        let mut s = cached.as_ref().expect("just cached").1.clone();
                        step(&mut shell, &mut s, &unpack(last, servers), history);
                        s
                    };
                    let choices = shell.on_state(&mut parent, |w| w.choices());
                    for choice in choices {
                        let mut state = parent.clone();
                        let (fp, violation) = step(&mut shell, &mut state, &choice, history);
                        transitions += 1;
                        if violation.is_none() && visited.contains(&fp) {
                            continue;
                        }
                        let pairs = if novelty {
                            shell.on_state(&mut state, |w| local_pairs(&w.node_hashes()))
                        } else {
                            Vec::new()
                        };
                        found.push(Found {
                            fp,
                            parent: index,
                            choice: pack(&choice),
                            violation: violation.map(Box::new),
                            pairs,
                        });
                    }
                }
                *results[i].lock().expect("no worker panicked") = (found, transitions);
                shells.lock().expect("no worker panicked").push(shell);
            });
            let mut level: Vec<(u32, u64)> = Vec::new();
            for r in results {
                let (found, transitions) = r.into_inner().expect("no worker panicked");
                self.progress.transitions += transitions;
                for f in found {
                    if let Some(violation) = f.violation {
                        self.progress.depth = depth + 1;
                        let mut path = tree.path(depth as usize, f.parent);
                        path.push(f.choice);
                        return Verdict::Violation {
                            path: path.into_iter().map(|p| unpack(p, servers)).collect(),
                            violation: *violation,
                        };
                    }
                    if !self.visited.insert(f.fp) {
                        continue;
                    }
                    if novelty {
                        let mut new = false;
                        for &p in &f.pairs {
                            new |= seen_pairs.insert(p);
                        }
                        if !new {
                            continue;
                        }
                    }
                    self.progress.states += 1;
                    self.progress.depth = depth + 1;
                    level.push((f.parent, f.choice));
                    if self.progress.states >= self.limits.max_states {
                        return Verdict::Bounded {
                            bound: "max_states",
                        };
                    }
                }
            }
            frontier = (0..level.len() as u32).collect();
            tree.levels.push(level);
            depth += 1;
        }
        Verdict::Clean {
            // Novelty search skips states it has not seen.
            exhaustive: !cut_short && !novelty,
        }
    }

    fn dfs(&mut self, progress: &mut dyn FnMut(&Progress)) -> Verdict {
        // The shallowest depth each state was seen at: a state first met
        // deep, near the bound, is expanded again when met higher up, or
        // the bound would hide what lies below it.
        let mut depth_of: HashMap<u64, u32, BuildHasherDefault<Identity>> = HashMap::default();
        depth_of.insert(self.root.state_hash(), 0);
        let mut shell = self.root.fork();
        // Each level: the state, its choices, the next choice to take.
        let mut stack: Vec<(WorldState<P>, Vec<Choice>, usize)> = Vec::new();
        let root = self.root.save();
        let choices = self.root.choices();
        stack.push((root, choices, 0));
        let mut cut_short = false;
        let mut last_report = 0;
        let verdict = loop {
            let Some((state, choices, next)) = stack.last_mut() else {
                break Verdict::Clean {
                    exhaustive: !cut_short,
                };
            };
            if *next >= choices.len() {
                stack.pop();
                continue;
            }
            let choice = choices[*next].clone();
            *next += 1;
            let mut child = state.clone();
            let (fp, violation) = step(&mut shell, &mut child, &choice, self.history);
            self.progress.transitions += 1;
            let depth = stack.len() as u32;
            if let Some(violation) = violation {
                self.progress.depth = self.progress.depth.max(depth);
                let path = stack.iter().map(|(_, c, n)| c[n - 1].clone()).collect();
                break Verdict::Violation { path, violation };
            }
            match depth_of.get_mut(&fp) {
                Some(d) if *d <= depth => continue,
                Some(d) => *d = depth,
                None => {
                    depth_of.insert(fp, depth);
                    self.progress.states += 1;
                }
            }
            self.progress.depth = self.progress.depth.max(depth);
            if self.full() {
                break Verdict::Bounded {
                    bound: "max_states",
                };
            }
            if self.progress.states - last_report >= 20_000 {
                last_report = self.progress.states;
                self.progress.queue = stack.len() as u64;
                self.progress.visited_bytes = (depth_of.capacity() as u64) * 13;
                progress(&self.progress);
            }
            if depth >= self.limits.max_depth {
                cut_short = true;
                continue;
            }
            let choices = shell.on_state(&mut child, |w| w.choices());
            stack.push((child, choices, 0));
        };
        self.progress.visited_bytes = (depth_of.capacity() as u64) * 13;
        verdict
    }

    fn random(
        &mut self,
        par: &dyn Parallel,
        progress: &mut dyn FnMut(&Progress),
        swarm: bool,
    ) -> Verdict {
        let shells: Mutex<Vec<World<P>>> =
            Mutex::new((0..par.threads()).map(|_| self.root.fork()).collect());
        let mut walk = 0u64;
        while walk < self.limits.walks {
            let batch = (self.limits.walks - walk).min(BATCH as u64) as usize;
            self.progress.queue = self.limits.walks - walk;
            self.progress.visited_bytes = visited_bytes(&self.visited);
            progress(&self.progress);
            type Walk = (Vec<u64>, Option<(Vec<Choice>, Violation)>);
            let results: Vec<Mutex<Walk>> =
                (0..batch).map(|_| Mutex::new((Vec::new(), None))).collect();
            let history = self.history;
            let limits = self.limits;
            par.run(batch, &|i| {
                let mut shell = shells
                    .lock()
                    .expect("no worker panicked")
                    .pop()
                    .unwrap_or_else(|| unreachable!("one shell per thread"));
                let mut rng = SimRng::stream(limits.seed, "walk", walk + i as u64);
                // Swarm weights come from a stream of their own: a random
                // walk's steps are the same with or without them.
                let weights_key = SimRng::stream(limits.seed, "swarm", walk + i as u64).next_u64();
                // A shell's own state stays the root's: steps run on copies.
                let mut state = shell.save();
                let mut fps = Vec::new();
                let mut path = Vec::new();
                let mut failed = None;
                for _ in 0..limits.max_depth {
                    let choices = shell.on_state(&mut state, |w| w.choices());
                    if choices.is_empty() {
                        break;
                    }
                    let pick = if swarm {
                        let sources = shell.on_state(&mut state, |w| w.choice_sources(&choices));
                        let weights: Vec<u64> = sources
                            .iter()
                            .map(|&k| swarm_weight(weights_key, k))
                            .collect();
                        let mut r = rng.below(weights.iter().sum());
                        weights
                            .iter()
                            .position(|&w| {
                                let here = r < w;
                                r = r.saturating_sub(w);
                                here
                            })
                            .unwrap_or(0)
                    } else {
                        rng.below(choices.len() as u64) as usize
                    };
                    let choice = choices[pick].clone();
                    let (fp, violation) = step(&mut shell, &mut state, &choice, history);
                    path.push(choice);
                    fps.push(fp);
                    if let Some(v) = violation {
                        failed = Some((path, v));
                        break;
                    }
                }
                *results[i].lock().expect("no worker panicked") = (fps, failed);
                shells.lock().expect("no worker panicked").push(shell);
            });
            for r in results {
                let (fps, failed) = r.into_inner().expect("no worker panicked");
                self.progress.transitions += fps.len() as u64;
                self.progress.depth = self.progress.depth.max(fps.len() as u32);
                for fp in fps {
                    if self.visited.insert(fp) {
                        self.progress.states += 1;
                    }
                }
                if let Some((path, violation)) = failed {
                    return Verdict::Violation { path, violation };
                }
                if self.full() {
                    return Verdict::Bounded {
                        bound: "max_states",
                    };
                }
            }
            walk += batch as u64;
        }
        Verdict::Bounded { bound: "walks" }
    }
}
