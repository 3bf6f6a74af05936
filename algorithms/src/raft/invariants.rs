//! The safety properties of Raft, one type each: the five of Figure 3 of the
//! paper, plus two that follow from them and catch mistakes the five would
//! only see later.
//!
//! Every invariant is checked after every event, so each remembers what it
//! saw and looks only at what changed: new log entries (the log counts its
//! truncations, so "only appended" is cheap to tell), a moved commit or
//! applied index. Whole prefixes of logs are compared through the running
//! digests the log keeps per index ([`super::log`]).

use super::RaftNode;
use super::log::entry_digest;
use super::msg::{Index, Term};
use super::node::{Role, Server};
use faultline_sim::{Invariant, NodeId, WorldRef};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry as MapEntry;

/// Names and descriptions, in checking order, for `faultline list`.
pub const INVARIANTS: [(&str, &str); 7] = [
    (
        "election_safety",
        "At most one leader is elected in a given term (Figure 3, Election Safety; §5.2).",
    ),
    (
        "leader_append_only",
        "A leader never overwrites or deletes entries in its log; it only appends (Figure 3, Leader Append-Only; §5.3).",
    ),
    (
        "log_matching",
        "If two logs contain an entry with the same index and term, they are identical in all entries up to that index (Figure 3, Log Matching; §5.3).",
    ),
    (
        "leader_completeness",
        "An entry committed in a term is in the log of every leader of a higher term (Figure 3, Leader Completeness; §5.4).",
    ),
    (
        "state_machine_safety",
        "No two servers apply different entries at the same index (Figure 3, State Machine Safety; §5.4.3).",
    ),
    (
        "commit_index_monotonic",
        "A server's commit index never decreases while it is up (commitIndex \"increases monotonically\", Figure 2).",
    ),
    (
        "applied_prefix_agreement",
        "Servers that have applied the same number of entries have identical state machines, client sessions included (§5.4.3, §8).",
    ),
];

/// All invariants, boxed for the kernel, in [`INVARIANTS`] order.
pub fn boxed() -> Vec<Box<dyn Invariant<RaftNode>>> {
    vec![
        Box::new(ElectionSafety::default()),
        Box::new(LeaderAppendOnly::default()),
        Box::new(LogMatching::default()),
        Box::new(LeaderCompleteness::default()),
        Box::new(StateMachineSafety::default()),
        Box::new(CommitIndexMonotonic::default()),
        Box::new(AppliedPrefixAgreement::default()),
    ]
}

macro_rules! named {
    ($ty:ident, $i:expr) => {
        impl Invariant<RaftNode> for $ty {
            fn name(&self) -> &str {
                INVARIANTS[$i].0
            }
            fn description(&self) -> &str {
                INVARIANTS[$i].1
            }
            fn check(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
                self.check_world(world)
            }
            fn clone_box(&self) -> Box<dyn Invariant<RaftNode>> {
                Box::new(self.clone())
            }
        }
    };
}

/// The live servers with their state.
fn servers<'a>(world: &WorldRef<'a, RaftNode>) -> impl Iterator<Item = (NodeId, &'a Server)> + 'a {
    world
        .live_servers()
        .filter_map(|(id, n)| n.as_server().map(|s| (id, s)))
}

/// Grows a per-node table to cover every server.
fn sized<T: Clone + Default>(v: &mut Vec<T>, world: &WorldRef<'_, RaftNode>) {
    let n = world.servers().count();
    if v.len() < n {
        v.resize(n, T::default());
    }
}

/// Election Safety: remembers the leader of every term.
#[derive(Clone, Default)]
struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}
named!(ElectionSafety, 0);

impl ElectionSafety {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        for (id, s) in servers(world) {
            if s.role() != Role::Leader {
                continue;
            }
            let term = s.current_term();
            match self.leaders.entry(term) {
                MapEntry::Vacant(v) => {
                    v.insert(id);
                }
                MapEntry::Occupied(o) if *o.get() != id => {
                    return Err(format!(
                        "{} and {id} were both elected leader of term {term}",
                        o.get()
                    ));
                }
                MapEntry::Occupied(_) => {}
            }
        }
        Ok(())
    }
}

/// What Leader Append-Only saw of a server last time.
#[derive(Clone, Copy, Default)]
struct SeenLog {
    term: Term,
    leader: bool,
    truncations: u64,
    last_index: Index,
}

/// Leader Append-Only: a server that is leader of term T now must not have
/// deleted entries since it was last seen in term T (as candidate or
/// leader), nor shortened its log while leader.
#[derive(Clone, Default)]
struct LeaderAppendOnly {
    seen: Vec<Option<SeenLog>>,
}
named!(LeaderAppendOnly, 1);

impl LeaderAppendOnly {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        sized(&mut self.seen, world);
        for (id, s) in servers(world) {
            let now = SeenLog {
                term: s.current_term(),
                leader: s.role() == Role::Leader,
                truncations: s.log().truncations(),
                last_index: s.log().last_index(),
            };
            if let Some(prev) = self.seen[id.index()]
                && now.leader
                && prev.term == now.term
            {
                if prev.truncations != now.truncations {
                    return Err(format!(
                        "{id}, leader of term {}, deleted entries from its own log (its log ended at {} when last seen in this term)",
                        now.term, prev.last_index
                    ));
                }
                if prev.leader && now.last_index < prev.last_index {
                    return Err(format!(
                        "{id}, leader of term {}, shortened its log from {} to {}",
                        now.term, prev.last_index, now.last_index
                    ));
                }
            }
            self.seen[id.index()] = Some(now);
        }
        Ok(())
    }
}

/// How far Log Matching has checked a server's log.
#[derive(Clone, Copy, Default)]
struct Checked {
    truncations: u64,
    base: Index,
    upto: Index,
}

/// Log Matching: every (index, term) seen in any log maps to one prefix
/// digest; a second digest means two logs share an entry but differ before it.
#[derive(Clone, Default)]
struct LogMatching {
    digests: BTreeMap<(Index, Term), (u64, NodeId)>,
    checked: Vec<Checked>,
}
named!(LogMatching, 2);

impl LogMatching {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        sized(&mut self.checked, world);
        for (id, s) in servers(world) {
            let log = s.log();
            let c = self.checked[id.index()];
            let rescan = log.truncations() != c.truncations || log.base_index() < c.base;
            let start = if rescan || log.base_index() > c.upto {
                log.base_index()
            } else {
                c.upto + 1
            };
            for index in start.max(1)..=log.last_index() {
                let (Some(term), Some(digest)) = (log.term_at(index), log.chain_at(index)) else {
                    continue;
                };
                match self.digests.entry((index, term)) {
                    MapEntry::Vacant(v) => {
                        v.insert((digest, id));
                    }
                    MapEntry::Occupied(o) if o.get().0 != digest => {
                        return Err(format!(
                            "{id} and {} both hold an entry of term {term} at index {index}, but their logs differ before it",
                            o.get().1
                        ));
                    }
                    MapEntry::Occupied(_) => {}
                }
            }
            self.checked[id.index()] = Checked {
                truncations: log.truncations(),
                base: log.base_index(),
                upto: log.last_index(),
            };
        }
        Ok(())
    }
}

/// Leader Completeness: records the committed prefix (as digests) and the
/// term in which each part was first seen committed; every leader of a later
/// term must hold it.
#[derive(Clone, Default)]
struct LeaderCompleteness {
    /// Per index (from 1): the entry's term and prefix digest, 0 if unknown
    /// (a server jumped over it by installing a snapshot).
    committed: Vec<(Term, u64)>,
    /// The highest index seen committed while the observing server was in
    /// each term.
    by_term: BTreeMap<Term, Index>,
}
named!(LeaderCompleteness, 3);

impl LeaderCompleteness {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        for (_, s) in servers(world) {
            let commit = s.commit_index();
            let upto = self.committed.len() as Index;
            if commit > upto {
                let log = s.log();
                for index in upto + 1..=commit {
                    let term = log.term_at(index).unwrap_or(0);
                    let digest = log.chain_at(index).unwrap_or(0);
                    self.committed.push((term, digest));
                }
                let e = self.by_term.entry(s.current_term()).or_default();
                *e = (*e).max(commit);
            }
        }
        for (id, s) in servers(world) {
            if s.role() != Role::Leader {
                continue;
            }
            let term = s.current_term();
            let Some(must) = self.by_term.range(..term).map(|(_, &i)| i).max() else {
                continue;
            };
            let log = s.log();
            if log.last_index() < must {
                let (t, _) = self.committed[must as usize - 1];
                return Err(format!(
                    "{id}, leader of term {term}, lacks committed entry {must} (term {t}): its log ends at {}",
                    log.last_index()
                ));
            }
            // Compare prefixes at the highest index where both digests are known.
            let mut at = must.max(log.base_index());
            while at > 0 {
                let known = self.committed.get(at as usize - 1).map_or(0, |c| c.1);
                if let (true, Some(digest)) = (known != 0, log.chain_at(at)) {
                    if digest != known {
                        let (t, _) = self.committed[at as usize - 1];
                        return Err(format!(
                            "{id}, leader of term {term}, does not hold the committed entries up to index {at} (term {t}, committed before term {term})"
                        ));
                    }
                    break;
                }
                if at <= log.base_index() {
                    break;
                }
                at -= 1;
            }
        }
        Ok(())
    }
}

/// State Machine Safety: the digest of the entry each server applied at
/// each index must agree. Entries a server applied and compacted within one
/// event are skipped (the next ones are still compared).
#[derive(Clone, Default)]
struct StateMachineSafety {
    applied: Vec<(u64, NodeId)>,
    upto: Vec<Index>,
}
named!(StateMachineSafety, 4);

impl StateMachineSafety {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        sized(&mut self.upto, world);
        for (id, s) in servers(world) {
            let applied = s.last_applied();
            let from = self.upto[id.index()].min(applied);
            for index in from + 1..=applied {
                let Some(entry) = s.log().entry(index) else {
                    continue;
                };
                let digest = entry_digest(entry);
                let i = index as usize - 1;
                if self.applied.len() <= i {
                    self.applied.resize(i + 1, (0, id));
                }
                let (known, by) = self.applied[i];
                if known == 0 {
                    self.applied[i] = (digest, id);
                } else if known != digest {
                    return Err(format!(
                        "{id} applied `{}` (term {}) at index {index}, but {by} applied a different entry there",
                        entry.command, entry.term
                    ));
                }
            }
            self.upto[id.index()] = applied;
        }
        Ok(())
    }
}

/// Commit index monotonic: per server and boot.
#[derive(Clone, Default)]
struct CommitIndexMonotonic {
    seen: Vec<(u64, Index)>,
}
named!(CommitIndexMonotonic, 5);

impl CommitIndexMonotonic {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        sized(&mut self.seen, world);
        for (id, s) in servers(world) {
            let boots = world.durable(id).boots;
            let commit = s.commit_index();
            let (b, prev) = self.seen[id.index()];
            if b == boots && commit < prev {
                return Err(format!(
                    "{id}'s commit index went back from {prev} to {commit}"
                ));
            }
            self.seen[id.index()] = (boots, commit);
        }
        Ok(())
    }
}

/// Applied prefix agreement: the state machine digest at each applied index.
#[derive(Clone, Default)]
struct AppliedPrefixAgreement {
    digests: Vec<(u64, NodeId)>,
}
named!(AppliedPrefixAgreement, 6);

impl AppliedPrefixAgreement {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        for (id, s) in servers(world) {
            let applied = s.last_applied();
            if applied == 0 {
                continue;
            }
            let i = applied as usize - 1;
            if self.digests.len() <= i {
                self.digests.resize(i + 1, (0, id));
            }
            let digest = s.kv().digest() | 1;
            let (known, by) = self.digests[i];
            if known == 0 {
                self.digests[i] = (digest, id);
            } else if known != digest {
                return Err(format!(
                    "{id} and {by} have both applied {applied} entries but their state machines differ"
                ));
            }
        }
        Ok(())
    }
}
