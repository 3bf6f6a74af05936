//! The session: one opened scenario and its run, with everything the views
//! derive from the trace. All of the run's state lives here, apart from
//! drawing; the app changes it only by applying commands.
//!
//! The run keeps full traces and snapshots every [`SNAPSHOT_EVERY`] events,
//! so seeking anywhere is restoring a snapshot and re-running at most that
//! many events. After opening (and after each injected fault) the session
//! runs ahead up to [`LOOKAHEAD_EVENTS`] and comes back, so the timeline and
//! the space-time diagram show the known future of the branch.

use crate::causal::{Causality, selection_record};
use crate::command::{NextKind, Selection};
use crate::save::{SavedBranch, branch_text};
use faultline_algorithms::scenario::Scenario;
use faultline_algorithms::scenario::tour::{Highlight, Tour, Unreached};
use faultline_sim::{
    Fault, MsgId, NodeId, RecordKind, RunStatus, SimHandle, SimTime, TraceMode, TraceRecord,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
// The standard library's `Instant` on the desktop; the browser's clock
// (`performance.now`) on the web, where `std::time::Instant::now` panics.
use web_time::Instant;

/// Snapshot stride of lab runs: a seek re-runs at most this many events.
pub const SNAPSHOT_EVERY: u64 = 1_000;
/// How far the session runs ahead to know the future of the branch.
pub const LOOKAHEAD_EVENTS: u64 = 300_000;
/// Wall-time cap on running ahead.
pub const LOOKAHEAD_WALL: Duration = Duration::from_millis(600);
/// Wall time playback may spend per frame before it lags behind.
pub const FRAME_BUDGET: Duration = Duration::from_millis(12);
/// How many events "step to next" runs at most looking for one.
pub const NEXT_SEARCH_EVENTS: u64 = 2_000_000;

/// Playback speed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Speed {
    /// log10 of simulated seconds per wall second (-3: 1 ms/s).
    pub log10: f64,
    /// As fast as possible (the frame budget decides).
    pub max: bool,
}

impl Default for Speed {
    fn default() -> Self {
        Speed {
            log10: -1.3,
            max: false,
        }
    }
}

impl Speed {
    /// Slowest: 100 µs of simulated time per second.
    pub const MIN_LOG10: f64 = -4.0;
    /// Fastest finite rate: 100 s per second.
    pub const MAX_LOG10: f64 = 2.0;

    /// Simulated seconds per wall second.
    pub fn rate(self) -> f64 {
        10f64.powf(self.log10)
    }

    /// A label like `20ms/s` or `max`.
    pub fn label(self) -> String {
        if self.max {
            return "max".into();
        }
        let r = self.rate();
        if r >= 1.0 {
            format!("{r:.1}s/s")
        } else if r >= 1e-3 {
            format!("{:.1}ms/s", r * 1e3)
        } else {
            format!("{:.0}µs/s", r * 1e6)
        }
    }
}

/// Where a message's records are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgRecords {
    /// The send record.
    pub send: Option<usize>,
    /// The delivery or drop record.
    pub end: Option<usize>,
}

/// Indexes over the trace records, kept in step with them.
#[derive(Clone, Debug, Default)]
pub struct TraceIndex {
    seen: usize,
    /// Records of each message, by message id.
    pub messages: Vec<MsgRecords>,
    /// Per node, the intervals it was down: (crash time, restart time).
    pub down: Vec<Vec<(SimTime, Option<SimTime>)>>,
    /// Record indices of applied faults.
    pub faults: Vec<usize>,
    /// Record index of the violation, if the known run has one.
    pub violation: Option<usize>,
    /// The longest latency seen, in nanoseconds (for drawing windows).
    pub max_latency_nanos: u64,
}

impl TraceIndex {
    /// Forgets everything (the records were cut).
    pub fn reset(&mut self) {
        *self = TraceIndex::default();
    }

    /// Indexes records not seen yet.
    pub fn sync(&mut self, records: &[TraceRecord], nodes: usize) {
        if records.len() < self.seen {
            self.reset();
        }
        self.down.resize(nodes, Vec::new());
        for (i, r) in records.iter().enumerate().skip(self.seen) {
            match &r.kind {
                RecordKind::Send { msg, .. } => self.message(*msg).send = Some(i),
                RecordKind::Deliver { msg, sent_at, .. }
                | RecordKind::Drop { msg, sent_at, .. } => {
                    self.message(*msg).end = Some(i);
                    self.max_latency_nanos = self
                        .max_latency_nanos
                        .max(r.time.as_nanos().saturating_sub(sent_at.as_nanos()));
                }
                RecordKind::Fault { fault, effective } => {
                    self.faults.push(i);
                    if *effective {
                        match fault.as_ref() {
                            Fault::Crash { node } => {
                                if let Some(d) = self.down.get_mut(node.index()) {
                                    d.push((r.time, None));
                                }
                            }
                            Fault::Restart { node } => {
                                if let Some(last) =
                                    self.down.get_mut(node.index()).and_then(|d| d.last_mut())
                                    && last.1.is_none()
                                {
                                    last.1 = Some(r.time);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                RecordKind::Violation { .. } => self.violation = Some(i),
                _ => {}
            }
        }
        self.seen = records.len();
    }

    fn message(&mut self, msg: MsgId) -> &mut MsgRecords {
        let i = msg.0 as usize;
        if self.messages.len() <= i {
            self.messages.resize(i + 1, MsgRecords::default());
        }
        &mut self.messages[i]
    }
}

/// The cursor position that shows a record as having happened.
pub fn record_target(r: &TraceRecord) -> u64 {
    match r.kind {
        // A violation is recorded after its event has run.
        RecordKind::Violation { .. } => r.event,
        _ => r.event + 1,
    }
}

/// One opened scenario and its run.
pub struct Session {
    /// The scenario.
    pub scenario: Scenario,
    /// The file it came from.
    pub path: PathBuf,
    /// The run's seed.
    pub seed: u64,
    /// The run.
    pub handle: Box<dyn SimHandle>,
    /// The time the views show: between events while playing.
    pub display_time: SimTime,
    /// Events of the branch known so far (run at least once).
    pub horizon: u64,
    /// Indexes over the records.
    pub index: TraceIndex,
    /// The steps of an explored path, in words, when the file replays one
    /// (`faultline explore`'s counterexamples); empty otherwise.
    pub steps: Vec<String>,
    /// The tour being played, when the scenario has one.
    pub tour: TourState,
    /// The causal graph and the selected event's past and future (built
    /// only once something is selected).
    pub causal: Causality,
}

/// A guided tour in the lab: which step the card shows, and where each
/// step is in this branch (resolved again when the branch changes, so a
/// branch made mid-tour keeps its tour).
#[derive(Clone, Debug, Default)]
pub struct TourState {
    /// The card is shown and the step's highlights drawn.
    pub on: bool,
    /// The step the card shows.
    pub step: usize,
    /// Each step's cursor in this branch, or why it has none.
    pub anchors: Vec<Result<u64, Unreached>>,
    /// A step being replayed: playback stops there even if it does not
    /// pause by itself.
    pub replaying: Option<usize>,
    /// Records known when the anchors were last resolved.
    resolved_at: usize,
}

impl TourState {
    /// Where step `i` is in this branch, when it is reached.
    pub fn anchor(&self, i: usize) -> Option<u64> {
        self.anchors.get(i).and_then(|a| a.as_ref().ok().copied())
    }
}

impl Session {
    /// Loads a scenario file and starts a run with `seed` (or the file's).
    pub fn open(path: &Path, seed: Option<u64>) -> Result<Session, String> {
        let scenario = Scenario::load(path).map_err(|e| e.to_string())?;
        Session::from_scenario(scenario, path.to_path_buf(), seed)
    }

    /// Reads scenario text that is not on disk (embedded, opened in a
    /// browser, pasted) and starts a run; `path` names it in messages, as a
    /// file's path would.
    pub fn open_text(path: &Path, text: &str, seed: Option<u64>) -> Result<Session, String> {
        let file = path.display().to_string();
        let scenario = Scenario::from_bytes(&file, text.as_bytes()).map_err(|e| e.to_string())?;
        Session::from_scenario(scenario, path.to_path_buf(), seed)
    }

    /// Starts a run of a parsed scenario.
    pub fn from_scenario(
        scenario: Scenario,
        path: PathBuf,
        seed: Option<u64>,
    ) -> Result<Session, String> {
        if scenario.is_search() {
            return Err(format!(
                "{}: has an [explore] table, so it is searched, not run: `faultline explore {}` finds a path and writes it as a replay file, which the lab opens",
                scenario.file, scenario.file
            ));
        }
        let seed = seed.unwrap_or(scenario.seed);
        let mut config = scenario.world_config(seed, TraceMode::Full);
        config.snapshot_every = SNAPSHOT_EVERY;
        let handle = scenario.build_with(config).map_err(|e| e.to_string())?;
        let steps = handle.script_labels();
        let mut session = Session {
            scenario,
            path,
            seed,
            handle,
            display_time: SimTime::ZERO,
            horizon: 0,
            index: TraceIndex::default(),
            steps,
            tour: TourState::default(),
            causal: Causality::default(),
        };
        session.tour.on = !session.scenario.tour.steps.is_empty();
        session.look_ahead();
        Ok(session)
    }

    /// The event after which step `i` (from 0) of an explored path has
    /// been taken: the nodes' starts come first, one event each.
    pub fn step_event(&self, i: usize) -> u64 {
        self.handle.node_count() as u64 + i as u64 + 1
    }

    /// The cursor: events run so far.
    pub fn cursor(&self) -> u64 {
        self.handle.events()
    }

    /// The records.
    pub fn records(&self) -> &[TraceRecord] {
        self.handle.records()
    }

    /// The index of the first record at or after the cursor.
    pub fn first_future_record(&self) -> usize {
        let cursor = self.cursor();
        self.records()
            .partition_point(|r| record_target(r) <= cursor)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.handle.node_count()
    }

    /// Every node id.
    pub fn nodes(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.node_count() as u32).map(NodeId)
    }

    /// The end of the run.
    pub fn end(&self) -> SimTime {
        self.handle.config().end
    }

    /// The cursor of the known violation: the current one, or one recorded in
    /// the known future.
    pub fn violation_event(&self) -> Option<u64> {
        match self.handle.status() {
            RunStatus::Violated(v) => Some(v.event),
            _ => self
                .index
                .violation
                .map(|i| record_target(&self.records()[i])),
        }
    }

    /// Runs ahead to learn the branch's future, then comes back.
    pub fn look_ahead(&mut self) {
        let at = self.cursor();
        let started = Instant::now();
        let goal = at + LOOKAHEAD_EVENTS;
        while self.handle.status().is_running()
            && self.cursor() < goal
            && started.elapsed() < LOOKAHEAD_WALL
        {
            let chunk = (self.cursor() + 2_000).min(goal);
            self.handle.run_until_event(chunk);
        }
        self.horizon = self.horizon.max(self.cursor());
        self.resolve_tour();
        self.handle.seek(at);
        self.after_move();
    }

    /// Resolves the tour's steps against the branch, with the handle at the
    /// furthest point known (its reports and status are those of that
    /// point).
    fn resolve_tour(&mut self) {
        if self.scenario.tour.steps.is_empty() {
            return;
        }
        self.tour.anchors = self.scenario.tour.resolve(self.handle.as_ref());
        self.tour.resolved_at = self.handle.records().len();
    }

    /// The tour of the scenario.
    pub fn tour_steps(&self) -> &Tour {
        &self.scenario.tour
    }

    /// What the current tour step highlights, while the tour is on.
    pub fn highlight(&self) -> Option<&Highlight> {
        if !self.tour.on {
            return None;
        }
        self.scenario
            .tour
            .steps
            .get(self.tour.step)
            .map(|s| &s.highlight)
    }

    /// After playback or stepping moved from `before` to the cursor: the
    /// first step anchored in between becomes current; when it pauses (or
    /// is being replayed) the cursor goes back to exactly its anchor.
    /// Returns whether playback must stop.
    pub fn tour_crossed(&mut self, before: u64) -> bool {
        if !self.tour.on {
            return false;
        }
        let now = self.cursor();
        let mut stop = None;
        for (i, step) in self.scenario.tour.steps.iter().enumerate() {
            let Some(a) = self.tour.anchor(i) else {
                continue;
            };
            if a > before && a <= now {
                self.tour.step = i;
                if step.pause || self.tour.replaying == Some(i) {
                    stop = Some(a);
                    break;
                }
            }
        }
        match stop {
            Some(a) => {
                self.tour.replaying = None;
                if a != now {
                    self.seek(a);
                }
                true
            }
            None => false,
        }
    }

    fn after_move(&mut self) {
        self.horizon = self.horizon.max(self.cursor());
        // Playing past what the look-ahead knew: the frontier may hold steps
        // it did not reach.
        if self.cursor() == self.horizon
            && self.tour.anchors.iter().any(|a| a.is_err())
            && (self.handle.records().len() > self.tour.resolved_at + 5_000
                || (!self.handle.status().is_running()
                    && self.handle.records().len() != self.tour.resolved_at))
        {
            self.resolve_tour();
        }
        self.display_time = self.handle.now();
        let nodes = self.node_count();
        self.index.sync(self.handle.records(), nodes);
        self.causal.sync(self.handle.records(), nodes);
    }

    /// Focuses causal highlighting on what `selection` stands for (nothing
    /// for a node), with the "why" chain when `why`.
    pub fn focus(&mut self, selection: Selection, why: bool) {
        let records = self.handle.records();
        let record = selection_record(selection, records, &self.index);
        let nodes = self.node_count();
        self.causal.focus_on(record, why, records, nodes);
    }

    /// Moves the cursor to after `event` events.
    pub fn seek(&mut self, event: u64) {
        self.handle.seek(event);
        self.after_move();
    }

    /// Moves to the end of the known run; a run known to finish there is
    /// shown finished.
    pub fn seek_end(&mut self) {
        self.handle.seek(self.horizon);
        if self.handle.status().is_running() && self.handle.next_time().is_none() {
            self.handle.step();
        }
        self.after_move();
    }

    /// Runs the branch to its end (or its violation), whatever the known
    /// horizon: the run `faultline run` makes, with the same fingerprint.
    pub fn run_to_end(&mut self) {
        self.handle.run();
        self.after_move();
    }

    /// Runs one event.
    pub fn step(&mut self) {
        self.handle.step();
        self.after_move();
    }

    /// Goes back one event.
    pub fn step_back(&mut self) {
        let c = self.cursor();
        if c > 0 {
            self.seek(c - 1);
        }
    }

    /// Runs until an event of `kind` has run (from the known future when it
    /// holds one).
    pub fn step_to_next(&mut self, kind: NextKind) {
        let matches = |r: &TraceRecord| match kind {
            NextKind::Message => {
                matches!(r.kind, RecordKind::Deliver { .. } | RecordKind::Drop { .. })
            }
            NextKind::Fault => matches!(r.kind, RecordKind::Fault { .. }),
        };
        let from = self.first_future_record();
        if let Some(r) = self.records()[from..].iter().find(|r| matches(r)) {
            let target = record_target(r);
            self.seek(target);
            return;
        }
        let start = self.cursor();
        while self.handle.status().is_running() && self.cursor() < start + NEXT_SEARCH_EVENTS {
            let before = self.records().len();
            if !self.handle.step() {
                break;
            }
            if self.records()[before..].iter().any(matches) {
                break;
            }
        }
        self.after_move();
    }

    /// Advances playback by `wall_seconds` at `speed`, within the frame
    /// budget. Returns false when the run cannot go on.
    pub fn tick(&mut self, wall_seconds: f64, speed: Speed) -> bool {
        let started = Instant::now();
        if !self.handle.status().is_running() {
            self.display_time = self.handle.now();
            return false;
        }
        let target = if speed.max {
            SimTime::MAX
        } else {
            let advance = (wall_seconds.clamp(0.0, 0.25) * speed.rate() * 1e9) as u64;
            SimTime(self.display_time.as_nanos().saturating_add(advance.max(1)))
        };
        let mut lagging = false;
        let mut n = 0u32;
        loop {
            match self.handle.next_time() {
                Some(t) if t <= target => {
                    self.handle.step();
                }
                Some(_) => break,
                None => {
                    // Nothing left before the end: let the run finish.
                    if self.handle.status().is_running() && target >= self.end() {
                        self.handle.step();
                    }
                    break;
                }
            }
            n += 1;
            if n.is_multiple_of(64) && started.elapsed() > FRAME_BUDGET {
                lagging = true;
                break;
            }
        }
        let running = self.handle.status().is_running();
        self.after_move();
        if running && !lagging && !speed.max {
            self.display_time = target.min(self.end()).max(self.handle.now());
        }
        running
    }

    /// Applies a fault now; the known future is recomputed from here.
    pub fn inject(&mut self, fault: Fault) -> Result<(), String> {
        let at = self.cursor();
        self.handle.inject(fault).map_err(|e| e.to_string())?;
        self.index.reset();
        // The trace after the cursor was replaced: read it again, keeping
        // the focus on the same record when it is still there.
        let focus = self
            .causal
            .focus
            .as_ref()
            .map(|f| (f.record, f.why.is_some()));
        self.causal.reset();
        self.horizon = self.cursor();
        let injected_through = self.cursor();
        self.look_ahead();
        // Show the injected fault as having happened.
        if self.cursor() != injected_through {
            self.seek(injected_through.max(at));
        }
        if let Some((record, why)) = focus {
            let nodes = self.node_count();
            self.causal
                .focus_on(Some(record), why, self.handle.records(), nodes);
        }
        Ok(())
    }

    /// The branch as scenario text (runs it to the end on the side).
    pub fn branch(&self) -> Result<SavedBranch, String> {
        branch_text(&self.scenario, self.seed, self.handle.fault_schedule())
    }

    /// Writes the branch to `path` (atomically: a failed save leaves what
    /// was there before).
    pub fn save_branch(&self, path: &Path) -> Result<SavedBranch, String> {
        let saved = self.branch()?;
        crate::save::write_atomic(path, saved.text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn gossip() -> Session {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/gossip/basic.toml");
        Session::open(&path, None).expect("the default scenario opens")
    }

    #[test]
    fn opening_runs_ahead_and_comes_back_to_the_start() {
        let s = gossip();
        assert_eq!(s.cursor(), 0);
        assert!(s.horizon > 1_000, "horizon {}", s.horizon);
        assert!(
            !s.index.faults.is_empty(),
            "the partition is in the known future"
        );
    }

    #[test]
    fn seeking_back_and_forth_gives_the_same_fingerprint() {
        let mut s = gossip();
        s.seek(900);
        let fp = s.handle.fingerprint();
        s.seek(100);
        s.seek(900);
        assert_eq!(s.handle.fingerprint(), fp);
        s.step_back();
        assert_eq!(s.cursor(), 899);
    }

    #[test]
    fn step_to_next_fault_lands_after_the_partition() {
        let mut s = gossip();
        s.step_to_next(NextKind::Fault);
        let last = s.records()[..s.first_future_record()]
            .last()
            .expect("a record");
        assert!(matches!(last.kind, RecordKind::Fault { .. }), "{last:?}");
        assert_eq!(
            s.handle.now(),
            SimTime::from_duration(Duration::from_secs(2))
        );
    }

    #[test]
    fn playing_advances_display_time_by_speed() {
        let mut s = gossip();
        let speed = Speed {
            log10: -2.0,
            max: false,
        };
        assert!(s.tick(0.2, speed));
        assert_eq!(s.display_time, SimTime(2_000_000));
        assert!(s.handle.now() <= s.display_time);
    }

    #[test]
    fn the_focus_outlives_an_injected_crash_and_has_it_in_its_future() {
        let mut s = gossip();
        s.seek(500);
        assert!(
            s.causal.graph().is_none(),
            "nothing is built before a selection"
        );
        let record = s.records()[..s.first_future_record()]
            .iter()
            .rposition(|r| matches!(r.kind, RecordKind::Timer { node, .. } if node == NodeId(1)))
            .expect("a timer of n1");
        s.focus(Selection::Record(record), false);
        s.inject(Fault::Crash { node: NodeId(1) }).unwrap();
        let crash = s
            .records()
            .iter()
            .rposition(|r| {
                matches!(&r.kind, RecordKind::Fault { fault, .. }
                    if **fault == Fault::Crash { node: NodeId(1) })
            })
            .expect("the crash is recorded");
        assert_eq!(s.causal.focus.as_ref().unwrap().record, record);
        assert_eq!(
            s.causal.relation(crash),
            Some(crate::causal::Relation::Future)
        );
        let graph = s.causal.graph().unwrap();
        assert_eq!(graph.records_seen(), s.records().len());
        s.focus(Selection::None, false);
        assert!(s.causal.focus.is_none());
    }

    #[test]
    fn an_injected_crash_is_kept_in_the_branch() {
        let mut s = gossip();
        s.seek(500);
        s.inject(Fault::Crash { node: NodeId(1) }).unwrap();
        assert_eq!(s.cursor(), 501);
        assert!(!s.handle.node_info(NodeId(1)).up);
        let schedule = s.handle.fault_schedule();
        assert!(schedule.iter().any(|f| f.after_event == Some(500)));
        assert_eq!(s.index.down[1].len(), 1);
    }
}
