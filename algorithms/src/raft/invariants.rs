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
use std::collections::btree_map::Entry as MapEntry;
use std::collections::{BTreeMap, VecDeque};

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
            fn memory(&self) -> u64 {
                // Every field the invariant keeps (its derived `Hash`).
                faultline_sim::hash::stable_hash(self)
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

/// The lowest log base of every server, up or down (from its durable
/// state): no server holds an entry below it, and none ever will again, as
/// a log's base only moves forward (a restart recovers the durable one).
/// What the invariants remember per log index below it is never consulted
/// again and is dropped, so their memory follows the uncompacted logs
/// instead of growing with every entry of a long run.
fn compacted_floor(world: &WorldRef<'_, RaftNode>) -> Index {
    world
        .servers()
        .map(|id| {
            let durable = world.durable(id).log.base_index();
            match world.node(id).and_then(RaftNode::as_server) {
                Some(s) => durable.min(s.log().base_index()),
                None => durable,
            }
        })
        .min()
        .unwrap_or(0)
}

/// How often an invariant looks for a new [`compacted_floor`]: every this
/// many checks. A floor found late is still a floor (bases only move
/// forward), so forgetting can wait; looking at every event cost a tenth
/// of a Raft run's time.
const FORGET_EVERY: u32 = 256;

/// The countdown to the next look at the floor.
#[derive(Clone, Default)]
struct Forget {
    countdown: u32,
}

/// Left out of an invariant's [`Invariant::memory`]: the countdown only
/// decides when records below the floor are dropped, and those are never
/// consulted again, so two invariants that differ only in it give the same
/// verdict on every future state. Hashing it would make every event count
/// (mod [`FORGET_EVERY`]) a different state to exhaustive exploration.
impl std::hash::Hash for Forget {
    fn hash<H: std::hash::Hasher>(&self, _state: &mut H) {}
}

impl Forget {
    /// The floor, when it is time to look at it again.
    fn floor(&mut self, world: &WorldRef<'_, RaftNode>) -> Option<Index> {
        if self.countdown > 0 {
            self.countdown -= 1;
            return None;
        }
        self.countdown = FORGET_EVERY - 1;
        Some(compacted_floor(world))
    }
}

/// Values per log index (from 1), of which those below a floor can be
/// dropped: a vector that starts at `first`.
#[derive(Clone, Hash)]
struct ByIndex<T> {
    /// The index of `items[0]`.
    first: Index,
    items: VecDeque<T>,
}

impl<T> Default for ByIndex<T> {
    fn default() -> Self {
        ByIndex {
            first: 1,
            items: VecDeque::new(),
        }
    }
}

impl<T: Clone> ByIndex<T> {
    /// The last index held (`first - 1` when none is).
    fn last(&self) -> Index {
        self.first + self.items.len() as Index - 1
    }

    fn get(&self, index: Index) -> Option<&T> {
        let i = index.checked_sub(self.first)?;
        self.items.get(usize::try_from(i).ok()?)
    }

    /// The value at `index`, after filling up to it with `fill`; `None`
    /// for an index already dropped.
    fn get_mut_or(&mut self, index: Index, fill: T) -> Option<&mut T> {
        let i = usize::try_from(index.checked_sub(self.first)?).ok()?;
        if self.items.len() <= i {
            self.items.resize(i + 1, fill);
        }
        self.items.get_mut(i)
    }

    fn push(&mut self, value: T) {
        self.items.push_back(value);
    }

    /// Drops every index below `floor`.
    fn drop_below(&mut self, floor: Index) {
        while self.first < floor && !self.items.is_empty() {
            self.items.pop_front();
            self.first += 1;
        }
        if self.items.is_empty() {
            self.first = self.first.max(floor);
        }
    }
}

/// Grows a per-node table to cover every server.
fn sized<T: Clone + Default>(v: &mut Vec<T>, world: &WorldRef<'_, RaftNode>) {
    let n = world.servers().count();
    if v.len() < n {
        v.resize(n, T::default());
    }
}

/// Election Safety: remembers the leader of every term.
#[derive(Clone, Default, Hash)]
struct ElectionSafety {
    leaders: BTreeMap<Term, NodeId>,
}
// memory(): the leader of every term seen.
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
#[derive(Clone, Copy, Default, Hash)]
struct SeenLog {
    term: Term,
    leader: bool,
    truncations: u64,
    last_index: Index,
}

/// Leader Append-Only: a server that is leader of term T now must not have
/// deleted entries since it was last seen in term T (as candidate or
/// leader), nor shortened its log while leader.
#[derive(Clone, Default, Hash)]
struct LeaderAppendOnly {
    seen: Vec<Option<SeenLog>>,
}
// memory(): each server's term, role, truncation count and log end at the last check.
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
#[derive(Clone, Copy, Default, Hash)]
struct Checked {
    truncations: u64,
    base: Index,
    upto: Index,
}

/// Log Matching: every (index, term) seen in any log maps to one prefix
/// digest; a second digest means two logs share an entry but differ before it.
#[derive(Clone, Default, Hash)]
struct LogMatching {
    digests: BTreeMap<(Index, Term), (u64, NodeId)>,
    checked: Vec<Checked>,
    /// Digests below this index were dropped ([`compacted_floor`]).
    dropped_below: Index,
    forget: Forget,
}
// memory(): the prefix digest of every (index, term) seen, how far each
// log was scanned, the drop floor.
named!(LogMatching, 2);

impl LogMatching {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        sized(&mut self.checked, world);
        if let Some(floor) = self.forget.floor(world)
            && floor > self.dropped_below
        {
            // Keys from (floor, any term) on: the base entry itself stays.
            self.digests = self.digests.split_off(&(floor, 0));
            self.dropped_below = floor;
        }
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
#[derive(Clone, Default, Hash)]
struct LeaderCompleteness {
    /// Per index (from 1): the entry's term and prefix digest, 0 if unknown
    /// (a server jumped over it by installing a snapshot).
    committed: ByIndex<(Term, u64)>,
    /// The highest index seen committed while the observing server was in
    /// each term.
    by_term: BTreeMap<Term, Index>,
    forget: Forget,
}
// memory(): the committed prefix's digests and the highest commit index seen in each term.
named!(LeaderCompleteness, 3);

impl LeaderCompleteness {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        // Every leader holds its log from its base on, at or above the floor.
        if let Some(floor) = self.forget.floor(world) {
            self.committed.drop_below(floor);
        }
        for (_, s) in servers(world) {
            let commit = s.commit_index();
            let upto = self.committed.last();
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
                let (t, _) = self.committed.get(must).copied().unwrap_or_default();
                return Err(format!(
                    "{id}, leader of term {term}, lacks committed entry {must} (term {t}): its log ends at {}",
                    log.last_index()
                ));
            }
            // Compare prefixes at the highest index where both digests are known.
            let mut at = must.max(log.base_index());
            while at > 0 {
                let known = self.committed.get(at).map_or(0, |c| c.1);
                if let (true, Some(digest)) = (known != 0, log.chain_at(at)) {
                    if digest != known {
                        let (t, _) = self.committed.get(at).copied().unwrap_or_default();
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
#[derive(Clone, Default, Hash)]
struct StateMachineSafety {
    applied: ByIndex<(u64, NodeId)>,
    upto: Vec<Index>,
    forget: Forget,
}
// memory(): the digest of the entry applied at each index and each server's applied index.
named!(StateMachineSafety, 4);

impl StateMachineSafety {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        sized(&mut self.upto, world);
        // Entries are compared from a server's base on, at or above the floor.
        if let Some(floor) = self.forget.floor(world) {
            self.applied.drop_below(floor);
        }
        for (id, s) in servers(world) {
            let applied = s.last_applied();
            let from = self.upto[id.index()].min(applied);
            for index in from + 1..=applied {
                let Some(entry) = s.log().entry(index) else {
                    continue;
                };
                let digest = entry_digest(entry);
                let Some(seen) = self.applied.get_mut_or(index, (0, id)) else {
                    continue;
                };
                let (known, by) = *seen;
                if known == 0 {
                    *seen = (digest, id);
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
#[derive(Clone, Default, Hash)]
struct CommitIndexMonotonic {
    seen: Vec<(u64, Index)>,
}
// memory(): each server's boot count and commit index at the last check.
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
#[derive(Clone, Default, Hash)]
struct AppliedPrefixAgreement {
    digests: ByIndex<(u64, NodeId)>,
    forget: Forget,
}
// memory(): the state machine digest at each applied index.
named!(AppliedPrefixAgreement, 6);

impl AppliedPrefixAgreement {
    fn check_world(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
        // A server's applied index is never below its base, nor the floor.
        if let Some(floor) = self.forget.floor(world) {
            self.digests.drop_below(floor);
        }
        for (id, s) in servers(world) {
            let applied = s.last_applied();
            if applied == 0 {
                continue;
            }
            let digest = s.kv().digest() | 1;
            let Some(seen) = self.digests.get_mut_or(applied, (0, id)) else {
                continue;
            };
            let (known, by) = *seen;
            if known == 0 {
                *seen = (digest, id);
            } else if known != digest {
                // The digest may be one this server itself recorded before
                // it restarted and applied the same index again.
                return Err(if by == id {
                    format!(
                        "{id} has applied {applied} entries twice (before and after a restart) with different state machines"
                    )
                } else {
                    format!(
                        "{id} and {by} have both applied {applied} entries but their state machines differ"
                    )
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::KvWorkload;
    use crate::raft::{RaftParams, world};
    use faultline_sim::{Invariant, SimTime, WorldConfig};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// The largest number of per-index records each invariant held.
    #[derive(Clone, Default)]
    struct Sizes {
        log_matching: usize,
        leader_completeness: usize,
        state_machine_safety: usize,
        applied_prefix_agreement: usize,
    }

    /// Runs the four invariants that remember log indexes, recording how
    /// much they hold after every event.
    #[derive(Clone)]
    struct Probe {
        log_matching: LogMatching,
        leader_completeness: LeaderCompleteness,
        state_machine_safety: StateMachineSafety,
        applied_prefix_agreement: AppliedPrefixAgreement,
        sizes: Arc<Mutex<Sizes>>,
    }

    impl Invariant<RaftNode> for Probe {
        fn name(&self) -> &str {
            "probe"
        }
        fn description(&self) -> &str {
            "the memory of the indexed invariants"
        }
        fn check(&mut self, world: &WorldRef<'_, RaftNode>) -> Result<(), String> {
            self.log_matching.check_world(world)?;
            self.leader_completeness.check_world(world)?;
            self.state_machine_safety.check_world(world)?;
            self.applied_prefix_agreement.check_world(world)?;
            let mut s = self.sizes.lock().unwrap();
            s.log_matching = s.log_matching.max(self.log_matching.digests.len());
            s.leader_completeness = s
                .leader_completeness
                .max(self.leader_completeness.committed.items.len());
            s.state_machine_safety = s
                .state_machine_safety
                .max(self.state_machine_safety.applied.items.len());
            s.applied_prefix_agreement = s
                .applied_prefix_agreement
                .max(self.applied_prefix_agreement.digests.items.len());
            Ok(())
        }
        fn clone_box(&self) -> Box<dyn Invariant<RaftNode>> {
            Box::new(self.clone())
        }
    }

    #[test]
    fn memory_of_log_indexes_follows_the_uncompacted_logs() {
        let sizes = Arc::new(Mutex::new(Sizes::default()));
        let probe = Probe {
            log_matching: LogMatching::default(),
            leader_completeness: LeaderCompleteness::default(),
            state_machine_safety: StateMachineSafety::default(),
            applied_prefix_agreement: AppliedPrefixAgreement::default(),
            sizes: sizes.clone(),
        };
        let params = RaftParams {
            snapshot_threshold: 50,
            ..RaftParams::default()
        };
        let config = WorldConfig {
            seed: 3,
            servers: 3,
            clients: 2,
            end: SimTime::from_duration(Duration::from_secs(60)),
            snapshot_every: 0,
            ..WorldConfig::default()
        };
        let mut w =
            world(config, params, vec![Box::new(probe)]).with_workload(KvWorkload::default());
        assert_eq!(w.run(), &faultline_sim::RunStatus::Finished);
        let last = w
            .process(faultline_sim::NodeId(0))
            .and_then(RaftNode::as_server)
            .map(|s| s.log().last_index())
            .unwrap();
        assert!(last > 1_500, "a long log: {last} entries");
        let s = sizes.lock().unwrap().clone();
        // Before, each held one record per entry of the whole run.
        for (name, held) in [
            ("log_matching", s.log_matching),
            ("leader_completeness", s.leader_completeness),
            ("state_machine_safety", s.state_machine_safety),
            ("applied_prefix_agreement", s.applied_prefix_agreement),
        ] {
            assert!(held < 500, "{name} held {held} records for a log of {last}");
        }
    }

    #[test]
    fn values_by_index_drop_below_a_floor() {
        let mut v: ByIndex<u32> = ByIndex::default();
        assert_eq!(v.last(), 0);
        v.push(10);
        v.push(20);
        *v.get_mut_or(5, 0).unwrap() = 50;
        assert_eq!(
            (v.get(1), v.get(2), v.get(4), v.get(5)),
            (Some(&10), Some(&20), Some(&0), Some(&50))
        );
        v.drop_below(3);
        assert_eq!((v.get(2), v.get(3), v.last()), (None, Some(&0), 5));
        assert!(
            v.get_mut_or(1, 0).is_none(),
            "a dropped index stays dropped"
        );
        v.drop_below(9);
        assert_eq!((v.last(), v.get(9)), (8, None));
        v.push(90);
        assert_eq!(v.get(9), Some(&90));
    }
}
