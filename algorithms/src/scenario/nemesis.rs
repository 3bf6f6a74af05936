//! The nemesis: random faults, generated up front from the run seed into a
//! concrete fault schedule, so the schedule a run applied is always known
//! (and is what a replay file saves).
//!
//! Draws come from the seed's `"nemesis"` stream
//! (`SimRng::stream(seed, "nemesis", 0)`) and nothing else, so the nemesis
//! never shifts the network's or the nodes' random draws.
//!
//! Generation, one fault at a time: starting at `start`, wait an
//! exponential gap with mean `interval`; if that passes `stop`, finish.
//! Otherwise pick a kind uniformly from `kinds`, its targets uniformly from
//! the servers, and a length uniform in `[min_duration, max_duration]`; apply
//! the fault, and undo it when the length has passed or at `stop`,
//! whichever comes first. The next gap starts from the undo. Faults never
//! overlap, and every fault is undone by `stop`. Times, lengths, offsets
//! and steps are whole milliseconds (when their bounds allow), so generated
//! schedules read well in summaries and replay files.

use faultline_sim::fault::CRASHED;
use faultline_sim::{
    Fault, FaultSchedule, LinkChange, LinkConfig, NodeId, ScheduledFault, SimRng, SimTime,
};
use std::time::Duration;

/// A kind of fault the nemesis can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NemesisKind {
    /// Split the servers into two random non-empty sides; undone by `heal`.
    Partition,
    /// Cut the links from one random non-empty set of servers to the rest,
    /// one way only; undone by `heal`.
    PartitionOneWay,
    /// Cut one random server off; undone by `heal`.
    Isolate,
    /// Crash one random server; undone by `restart`.
    Crash,
    /// Set one server's clock offset, uniform in ±`max_clock_offset`;
    /// undone by setting it back to 0.
    ClockOffset,
    /// Set one server's drift, uniform in ±`max_drift_ppm`; undone by
    /// setting it back to 0.
    ClockDrift,
    /// Jump one server's clock by up to ±`max_clock_step`; not undone (a
    /// step is instantaneous).
    ClockStep,
    /// Make every link lose messages with probability `loss`; undone by
    /// restoring the scenario's `[network]` loss.
    LossyLinks,
    /// Crash whichever server leads when the fault applies (the
    /// algorithm's `leader` role); undone by restarting the crashed server.
    CrashLeader,
    /// Cut off whichever server leads when the fault applies; undone by
    /// `heal`.
    IsolateLeader,
}

impl NemesisKind {
    /// Every kind, in the order documentation lists them.
    pub const ALL: [NemesisKind; 10] = [
        NemesisKind::Partition,
        NemesisKind::PartitionOneWay,
        NemesisKind::Isolate,
        NemesisKind::Crash,
        NemesisKind::ClockOffset,
        NemesisKind::ClockDrift,
        NemesisKind::ClockStep,
        NemesisKind::LossyLinks,
        NemesisKind::CrashLeader,
        NemesisKind::IsolateLeader,
    ];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            NemesisKind::Partition => "partition",
            NemesisKind::PartitionOneWay => "partition_one_way",
            NemesisKind::Isolate => "isolate",
            NemesisKind::Crash => "crash",
            NemesisKind::ClockOffset => "clock_offset",
            NemesisKind::ClockDrift => "clock_drift",
            NemesisKind::ClockStep => "clock_step",
            NemesisKind::LossyLinks => "lossy_links",
            NemesisKind::CrashLeader => "crash_leader",
            NemesisKind::IsolateLeader => "isolate_leader",
        }
    }

    /// Whether the kind aims at the algorithm's `leader` role.
    pub fn aims_at_leader(self) -> bool {
        matches!(self, NemesisKind::CrashLeader | NemesisKind::IsolateLeader)
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<NemesisKind> {
        NemesisKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the kind cuts servers apart (impossible with one server).
    pub fn needs_two_servers(self) -> bool {
        matches!(
            self,
            NemesisKind::Partition
                | NemesisKind::PartitionOneWay
                | NemesisKind::Isolate
                | NemesisKind::IsolateLeader
        )
    }
}

/// The `[nemesis]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct NemesisConfig {
    /// Kinds to draw from.
    pub kinds: Vec<NemesisKind>,
    /// No fault before this.
    pub start: SimTime,
    /// Every fault is undone by this.
    pub stop: SimTime,
    /// Mean quiet gap before each fault.
    pub interval: Duration,
    /// Shortest fault.
    pub min_duration: Duration,
    /// Longest fault.
    pub max_duration: Duration,
    /// Largest clock offset set.
    pub max_clock_offset: Duration,
    /// Largest clock jump.
    pub max_clock_step: Duration,
    /// Largest drift set, in parts per million.
    pub max_drift_ppm: i64,
    /// Loss probability of `lossy_links`.
    pub loss: f64,
    /// Swarm testing: each seed draws its own subset of `kinds` and its own
    /// intensities (see [`NemesisConfig::for_seed`]).
    pub swarm: bool,
    /// Faults may overlap: the next gap starts when a fault starts, not
    /// when it is undone, and each fault takes a server that has none in
    /// progress (see [`NemesisConfig::generate`]).
    pub overlap: bool,
    /// With `overlap`, at most this many servers crashed or isolated at
    /// once.
    pub max_faulty: u32,
}

impl Default for NemesisConfig {
    fn default() -> Self {
        NemesisConfig {
            kinds: Vec::new(),
            start: SimTime::ZERO,
            stop: SimTime::MAX,
            interval: Duration::from_secs(1),
            min_duration: Duration::from_millis(100),
            max_duration: Duration::from_secs(1),
            max_clock_offset: Duration::from_millis(100),
            max_clock_step: Duration::from_millis(500),
            max_drift_ppm: 1000,
            loss: 0.5,
            swarm: false,
            overlap: false,
            max_faulty: 1,
        }
    }
}

const MS: u64 = 1_000_000;

/// Uniform in `[-max, max]` nanoseconds, in whole milliseconds when `max`
/// is at least one.
fn signed_uniform(rng: &mut SimRng, max: u64) -> i64 {
    let (max, unit) = if max >= MS { (max / MS, MS) } else { (max, 1) };
    let max = max.min(i64::MAX as u64 / 2);
    let x = rng.between(0, max * 2);
    (x as i64 - max as i64) * unit as i64
}

/// `d` rounded down to whole milliseconds, kept within `[lo, hi]`.
fn whole_ms(d: Duration, lo: Duration, hi: Duration) -> Duration {
    let ms = Duration::from_millis(d.as_millis() as u64);
    ms.clamp(lo, hi)
}

/// The scale factors swarm testing draws intensities from.
const SWARM_SCALES: [(u64, u64); 5] = [(1, 4), (1, 2), (1, 1), (2, 1), (4, 1)];

fn scale(d: Duration, (num, den): (u64, u64)) -> Duration {
    Duration::from_nanos((d.as_nanos() as u64).saturating_mul(num) / den)
}

impl NemesisConfig {
    /// The configuration a run with `seed` actually uses. Without swarm
    /// testing it is this one. With it (as in FoundationDB's and
    /// TigerBeetle's simulators), the seed's `"nemesis"` stream number 1
    /// draws a non-empty subset of `kinds` (each kept with probability 1/2)
    /// and scales the gap between faults and their lengths by one of
    /// 1/4, 1/2, 1, 2 or 4 each, so that some seeds hammer one fault kind
    /// and others mix rare ones: bugs that need one fault without the
    /// interference of the others become likely.
    pub fn for_seed(&self, seed: u64) -> NemesisConfig {
        if !self.swarm {
            return self.clone();
        }
        let mut rng = SimRng::stream(seed, "nemesis", 1);
        let mut kinds: Vec<NemesisKind> = self
            .kinds
            .iter()
            .copied()
            .filter(|_| rng.chance(0.5))
            .collect();
        if kinds.is_empty() {
            kinds.push(*rng.choose(&self.kinds));
        }
        let gap = *rng.choose(&SWARM_SCALES);
        let length = *rng.choose(&SWARM_SCALES);
        let mut chosen = NemesisConfig {
            kinds,
            interval: scale(self.interval, gap),
            min_duration: scale(self.min_duration, length),
            max_duration: scale(self.max_duration, length),
            swarm: false,
            ..self.clone()
        };
        chosen.interval = chosen.interval.max(Duration::from_millis(1));
        chosen
    }

    /// What swarm testing chose for `seed`, for reports and replay files.
    pub fn describe_swarm(&self, seed: u64) -> Option<String> {
        if !self.swarm {
            return None;
        }
        let c = self.for_seed(seed);
        let kinds: Vec<&str> = c.kinds.iter().map(|k| k.name()).collect();
        Some(format!(
            "kinds {}; interval {}; durations {}..{}",
            kinds.join(", "),
            faultline_sim::time::format_duration(c.interval),
            faultline_sim::time::format_duration(c.min_duration),
            faultline_sim::time::format_duration(c.max_duration)
        ))
    }

    /// The faults of a run with `seed`, in time order.
    ///
    /// With `overlap`, a fault does not wait for the previous one's undo:
    /// the gap before the next is drawn from this one's start. Each fault
    /// takes a server drawn among those with no fault of the nemesis in
    /// progress; a crash or an isolation is skipped (its draws made, so the
    /// stream stays aligned) when `max_faulty` servers are already crashed
    /// or isolated, and an isolation is undone by `reconnect`, which leaves
    /// the other isolations in place. Only the kinds that aim at one server
    /// may overlap (the parser refuses the others).
    pub fn generate(&self, seed: u64, servers: u32, base: &LinkConfig) -> FaultSchedule {
        if self.swarm {
            return self.for_seed(seed).generate(seed, servers, base);
        }
        if self.overlap {
            return self.generate_overlapping(seed, servers, base);
        }
        let mut rng = SimRng::stream(seed, "nemesis", 0);
        let mut out = Vec::new();
        if self.kinds.is_empty() {
            return out;
        }
        let mut t = self.start;
        // A bound by construction; the parser keeps files far below it.
        for _ in 0..crate::limits::MAX_NEMESIS_DRAWN {
            t = SimTime(t.0.saturating_add(self.draw_gap(&mut rng)));
            if t >= self.stop {
                break;
            }
            let kind = *rng.choose(&self.kinds);
            let length = self.draw_length(&mut rng);
            let undo_at = (t + length).min(self.stop);
            let (fault, undo) = self.draw(kind, &mut rng, servers, base);
            out.push(ScheduledFault {
                at: t,
                after_event: None,
                fault,
            });
            if let Some(undo) = undo {
                out.push(ScheduledFault {
                    at: undo_at,
                    after_event: None,
                    fault: undo,
                });
                t = undo_at;
            }
        }
        out
    }

    /// The gap before the next fault: exponential around `interval`, in
    /// whole milliseconds when the interval is at least one, never zero.
    fn draw_gap(&self, rng: &mut SimRng) -> u64 {
        let gap = rng.exponential(self.interval.as_nanos() as f64) as u64;
        if self.interval.as_nanos() >= MS as u128 {
            (gap / MS).max(1) * MS
        } else {
            gap.max(1)
        }
    }

    /// How long a fault lasts before its undo.
    fn draw_length(&self, rng: &mut SimRng) -> Duration {
        whole_ms(
            rng.duration_between(self.min_duration, self.max_duration),
            self.min_duration,
            self.max_duration,
        )
    }

    fn generate_overlapping(&self, seed: u64, servers: u32, base: &LinkConfig) -> FaultSchedule {
        let mut rng = SimRng::stream(seed, "nemesis", 0);
        let mut out: FaultSchedule = Vec::new();
        if self.kinds.is_empty() {
            return out;
        }
        // Per server: when the fault in progress on it is undone, and
        // whether that fault takes it down (crash) or cuts it off (isolate).
        let mut busy: Vec<(SimTime, bool)> = vec![(SimTime::ZERO, false); servers as usize];
        let mut t = self.start;
        for _ in 0..crate::limits::MAX_NEMESIS_DRAWN {
            t = SimTime(t.0.saturating_add(self.draw_gap(&mut rng)));
            if t >= self.stop {
                break;
            }
            let kind = *rng.choose(&self.kinds);
            let length = self.draw_length(&mut rng);
            let undo_at = (t + length).min(self.stop);
            let free: Vec<NodeId> = (0..servers)
                .map(NodeId)
                .filter(|n| busy[n.index()].0 <= t)
                .collect();
            let pick = rng.below(servers as u64) as usize;
            let (fault, undo) = self.draw(kind, &mut rng, servers, base);
            let Some(&node) = free.get(pick % free.len().max(1)) else {
                continue;
            };
            let faulty = busy
                .iter()
                .filter(|(until, down)| *down && *until > t)
                .count();
            let takes_down = matches!(kind, NemesisKind::Crash | NemesisKind::Isolate);
            if takes_down && faulty as u32 >= self.max_faulty {
                continue;
            }
            let (Some(fault), undo) = (fault.with_node(node), undo) else {
                continue;
            };
            let undo = match (kind, undo) {
                (NemesisKind::Isolate, _) => Some(Fault::Reconnect { node }),
                (NemesisKind::Crash, _) => Some(Fault::Restart { node }),
                (_, Some(u)) => u.with_node(node),
                (_, None) => None,
            };
            busy[node.index()] = (if undo.is_some() { undo_at } else { t }, takes_down);
            out.push(ScheduledFault {
                at: t,
                after_event: None,
                fault,
            });
            if let Some(undo) = undo {
                out.push(ScheduledFault {
                    at: undo_at,
                    after_event: None,
                    fault: undo,
                });
            }
        }
        // Stable: an undo and a fault at the same instant keep the undo first.
        out.sort_by_key(|f| f.at);
        out
    }

    fn draw(
        &self,
        kind: NemesisKind,
        rng: &mut SimRng,
        servers: u32,
        base: &LinkConfig,
    ) -> (Fault, Option<Fault>) {
        let server = |rng: &mut SimRng| NodeId(rng.below(servers as u64) as u32);
        match kind {
            NemesisKind::Partition | NemesisKind::PartitionOneWay => {
                // A random order of the servers, cut at a random point: both
                // sides non-empty.
                let mut order: Vec<NodeId> = (0..servers).map(NodeId).collect();
                for i in (1..order.len()).rev() {
                    let j = rng.below(i as u64 + 1) as usize;
                    order.swap(i, j);
                }
                let cut = 1 + rng.below(servers as u64 - 1) as usize;
                let (mut a, mut b) = (order[..cut].to_vec(), order[cut..].to_vec());
                a.sort();
                b.sort();
                let fault = if kind == NemesisKind::Partition {
                    Fault::Partition { groups: vec![a, b] }
                } else {
                    Fault::PartitionOneWay { from: a, to: b }
                };
                (fault, Some(Fault::Heal))
            }
            NemesisKind::Isolate => (Fault::Isolate { node: server(rng) }, Some(Fault::Heal)),
            // Resolved when they apply; they draw nothing, so adding them to
            // `kinds` shifts no other kind's draws.
            NemesisKind::CrashLeader => (
                aimed(LEADER, Fault::Crash { node: NodeId(0) }),
                Some(aimed(CRASHED, Fault::Restart { node: NodeId(0) })),
            ),
            NemesisKind::IsolateLeader => (
                aimed(LEADER, Fault::Isolate { node: NodeId(0) }),
                Some(Fault::Heal),
            ),
            NemesisKind::Crash => {
                let node = server(rng);
                (Fault::Crash { node }, Some(Fault::Restart { node }))
            }
            NemesisKind::ClockOffset => {
                let node = server(rng);
                let offset = signed_uniform(rng, self.max_clock_offset.as_nanos() as u64);
                (
                    Fault::ClockOffset { node, offset },
                    Some(Fault::ClockOffset { node, offset: 0 }),
                )
            }
            NemesisKind::ClockDrift => {
                let node = server(rng);
                let ppm = {
                    let max = self.max_drift_ppm.unsigned_abs();
                    rng.between(0, max * 2) as i64 - max as i64
                };
                (
                    Fault::ClockDrift { node, ppm },
                    Some(Fault::ClockDrift { node, ppm: 0 }),
                )
            }
            NemesisKind::ClockStep => {
                let node = server(rng);
                let delta = signed_uniform(rng, self.max_clock_step.as_nanos() as u64);
                (Fault::ClockStep { node, delta }, None)
            }
            NemesisKind::LossyLinks => {
                let lossy = LinkChange {
                    loss: Some(self.loss),
                    ..LinkChange::default()
                };
                let restore = LinkChange {
                    loss: Some(base.loss),
                    ..LinkChange::default()
                };
                (
                    Fault::Link {
                        from: None,
                        to: None,
                        change: lossy,
                    },
                    Some(Fault::Link {
                        from: None,
                        to: None,
                        change: restore,
                    }),
                )
            }
        }
    }
}

/// The role the leader-aimed kinds name.
pub const LEADER: &str = "leader";

fn aimed(role: &str, action: Fault) -> Fault {
    Fault::Aimed {
        role: role.to_string(),
        chosen: None,
        action: Box::new(action),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kinds: Vec<NemesisKind>) -> NemesisConfig {
        NemesisConfig {
            kinds,
            start: SimTime::from_duration(Duration::from_secs(1)),
            stop: SimTime::from_duration(Duration::from_secs(20)),
            ..NemesisConfig::default()
        }
    }

    #[test]
    fn same_seed_same_schedule_and_faults_stay_in_the_window() {
        let c = config(NemesisKind::ALL.to_vec());
        let a = c.generate(7, 3, &LinkConfig::default());
        assert_eq!(a, c.generate(7, 3, &LinkConfig::default()));
        assert_ne!(a, c.generate(8, 3, &LinkConfig::default()));
        assert!(a.len() > 4, "{a:?}");
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(a.iter().all(|f| f.at >= c.start && f.at <= c.stop));
        for f in &a {
            for n in f.fault.nodes() {
                assert!(n.0 < 3, "{f}");
            }
        }
    }

    #[test]
    fn swarm_testing_draws_a_subset_and_intensities_per_seed() {
        let mut c = config(NemesisKind::ALL.to_vec());
        c.swarm = true;
        let mut subsets = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let chosen = c.for_seed(seed);
            assert!(!chosen.kinds.is_empty());
            assert!(chosen.kinds.iter().all(|k| c.kinds.contains(k)));
            assert_eq!(
                chosen,
                c.for_seed(seed),
                "the choice is a function of the seed"
            );
            let faults = c.generate(seed, 3, &LinkConfig::default());
            assert_eq!(faults, chosen.generate(seed, 3, &LinkConfig::default()));
            subsets.insert(chosen.kinds.clone());
            assert!(c.describe_swarm(seed).unwrap().starts_with("kinds "));
        }
        assert!(
            subsets.len() > 10,
            "seeds should explore many subsets: {}",
            subsets.len()
        );
        assert!(
            subsets.iter().any(|s| s.len() == 1),
            "some seeds use a single kind"
        );
        c.swarm = false;
        assert_eq!(c.for_seed(3), c);
        assert_eq!(c.describe_swarm(3), None);
    }

    #[test]
    fn every_fault_is_undone_by_stop() {
        let c = config(vec![NemesisKind::Crash, NemesisKind::Partition]);
        let faults = c.generate(3, 5, &LinkConfig::default());
        let mut down = std::collections::BTreeSet::new();
        let mut cut = false;
        for f in &faults {
            match &f.fault {
                Fault::Crash { node } => assert!(down.insert(*node)),
                Fault::Restart { node } => assert!(down.remove(node)),
                Fault::Partition { groups } => {
                    assert!(groups.iter().all(|g| !g.is_empty()));
                    cut = true;
                }
                Fault::Heal => cut = false,
                other => panic!("unexpected {other}"),
            }
        }
        assert!(down.is_empty() && !cut);
    }

    #[test]
    fn overlapping_faults_overlap_within_the_cap() {
        let mut c = config(vec![NemesisKind::Crash, NemesisKind::Isolate]);
        c.interval = Duration::from_millis(200);
        c.overlap = true;
        c.max_faulty = 2;
        let mut most = 0;
        for seed in 0..20 {
            let faults = c.generate(seed, 5, &LinkConfig::default());
            assert!(faults.windows(2).all(|w| w[0].at <= w[1].at));
            let mut faulty = std::collections::BTreeSet::new();
            for f in &faults {
                match &f.fault {
                    Fault::Crash { node } | Fault::Isolate { node } => {
                        assert!(
                            faulty.insert(*node),
                            "seed {seed}: {node} hit twice at once"
                        );
                    }
                    Fault::Restart { node } | Fault::Reconnect { node } => {
                        assert!(faulty.remove(node));
                    }
                    other => panic!("unexpected {other}"),
                }
                assert!(
                    faulty.len() <= 2,
                    "seed {seed}: {} faulty at {}",
                    faulty.len(),
                    f.at
                );
                most = most.max(faulty.len());
            }
            assert!(faulty.is_empty(), "seed {seed}: every fault undone by stop");
        }
        assert_eq!(most, 2, "faults do overlap, up to the cap");
        // Without overlap the schedule is the one the nemesis always drew.
        c.overlap = false;
        let plain = c.generate(3, 5, &LinkConfig::default());
        assert!(
            plain
                .iter()
                .all(|f| !matches!(f.fault, Fault::Reconnect { .. }))
        );
    }
}
