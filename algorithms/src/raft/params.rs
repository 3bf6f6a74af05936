//! Raft's parameters, their defaults and validation, and the bug variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::limits::check_election_timers;
use faultline_sim::WorldConfig;
use faultline_sim::time::duration_str;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the leader answers `get`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// Append the read to the log like a write and answer when it is
    /// applied (§8: simplest, costs a log entry and a replication round).
    Log,
    /// ReadIndex (thesis §6.4): note the commit index, confirm leadership
    /// with one heartbeat round, answer once that index is applied.
    ReadIndex,
    /// Leader lease (thesis §6.4.1): answer from local state while a lease
    /// confirmed by a majority is running; safe only while clock drift stays
    /// within `lease_drift_bound_ppm`. Falls back to ReadIndex otherwise.
    Lease,
}

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RaftBug {
    /// Grant votes without the "candidate's log is at least as up-to-date"
    /// check of §5.4.1.
    VoteWithoutLogCheck,
    /// Advance the commit index by counting replicas for entries of earlier
    /// terms too (the Figure 8 mistake, §5.4.2).
    CommitPreviousTermByCount,
    /// Keep `votedFor` in memory only: after a restart the server can vote
    /// twice in one term.
    ForgetVote,
    /// A leader that sees a higher term (in a reply, or in a new leader's
    /// AppendEntries) adopts the term but keeps acting as leader.
    KeepLeadershipOnHigherTerm,
    /// A new leader deletes the uncommitted tail of its log ("the old
    /// leader's uncommitted entries are garbage") before appending its no-op.
    LeaderDropsUncommittedTail,
    /// A follower appends entries without checking the term at
    /// `prevLogIndex`, only that the index exists.
    SkipPrevTermCheck,
    /// A follower sets its commit index from every AppendEntries, so a
    /// delayed one moves it backwards.
    CommitFromStaleAppend,
    /// Snapshots hold the key-value data but not the client sessions, so a
    /// server restored from one applies retried commands twice.
    SnapshotWithoutSessions,
    /// The leader answers reads from its own state with no ReadIndex round
    /// and no lease: a deposed leader serves stale values.
    LocalReads,
    /// No duplicate suppression: a retried command that reached the log
    /// twice takes effect twice.
    NoDedup,
    /// Lease reads counted from when the acknowledgements arrived, for a
    /// full election timeout, with no allowance for clock drift.
    LeaseIgnoresDrift,
    /// The leader applies each entry to its state machine, and answers its
    /// client, as soon as it appends it, before a majority stores it (§5.3:
    /// only committed entries may be applied).
    ApplyBeforeCommit,
    /// Leases and the "heard from a leader recently" vote check measured on
    /// the wall clock, which steps, instead of the monotonic clock, which
    /// only drifts: a leader whose clock steps back keeps its lease too long.
    LeaseOnWallClock,
}

impl BugVariant for RaftBug {
    /// Every bug variant, documented, with the check that catches each:
    /// every one has a `scenarios/raft/bug-*.toml` that shows it caught.
    ///
    /// Most are found by random fault schedules within a few seeds. Three
    /// need an interleaving that random schedules almost never produce:
    /// `commit_previous_term_by_count` (the paper's Figure 8) and
    /// `forget_vote` (a vote forgotten by a restart in the middle of an
    /// election) have scenario files that write the interleaving down as
    /// faults placed after exact events, recorded from the scripts that
    /// play them; `lease_ignores_drift` has a nemesis scenario whose `seed`
    /// is one at which the bug shows (about one seed in 250).
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "vote_without_log_check",
            doc: "Grant votes without checking that the candidate's log is at least as up-to-date (§5.4.1).",
            caught_by: "leader_completeness",
        },
        BugInfo {
            name: "keep_leadership_on_higher_term",
            doc: "A leader that sees a higher term adopts it but stays leader.",
            caught_by: "election_safety",
        },
        BugInfo {
            name: "leader_drops_uncommitted_tail",
            doc: "A new leader deletes the uncommitted entries at the end of its log.",
            caught_by: "leader_append_only",
        },
        BugInfo {
            name: "skip_prev_term_check",
            doc: "A follower appends without checking the term of the entry at prevLogIndex.",
            caught_by: "log_matching",
        },
        BugInfo {
            name: "commit_from_stale_append",
            doc: "A follower takes its commit index from every AppendEntries, so a delayed one lowers it.",
            caught_by: "commit_index_monotonic",
        },
        BugInfo {
            name: "snapshot_without_sessions",
            doc: "Snapshots omit the client sessions, so a restored server applies retried commands twice.",
            caught_by: "applied_prefix_agreement",
        },
        BugInfo {
            name: "local_reads",
            doc: "The leader answers reads from local state without confirming it is still leader.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "no_dedup",
            doc: "No duplicate suppression: a retried command in the log twice takes effect twice.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "commit_previous_term_by_count",
            doc: "Commit entries of earlier terms by counting replicas (the Figure 8 mistake, §5.4.2).",
            caught_by: "leader_completeness",
        },
        BugInfo {
            name: "forget_vote",
            doc: "Keep votedFor in memory only: a restarted server votes twice in one term.",
            caught_by: "election_safety",
        },
        BugInfo {
            name: "lease_ignores_drift",
            doc: "Size the read lease as a full election timeout on the leader's clock, with no margin for clock drift.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "apply_before_commit",
            doc: "The leader applies entries (and answers clients) as soon as it appends them, before a majority stores them (§5.3).",
            caught_by: "state_machine_safety",
        },
        BugInfo {
            name: "lease_on_wall_clock",
            doc: "Measure leases on the wall clock, which steps, not the monotonic one: a leader whose clock steps back serves reads after its lease ended.",
            caught_by: "linearizability",
        },
    ];
}

/// Parameters of Raft.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftParams {
    /// Lower end of the randomised election timeout.
    #[serde(with = "duration_str")]
    pub election_timeout_min: Duration,
    /// Upper end of the randomised election timeout.
    #[serde(with = "duration_str")]
    pub election_timeout_max: Duration,
    /// How often a leader sends AppendEntries when it has nothing new.
    #[serde(with = "duration_str")]
    pub heartbeat_interval: Duration,
    /// Most entries in one AppendEntries.
    pub max_entries_per_append: u32,
    /// Take a snapshot when this many applied entries are in the log (0: never).
    pub snapshot_threshold: u64,
    /// How reads are served.
    pub read_mode: ReadMode,
    /// Run a pre-vote round before an election (thesis §9.6), so a server
    /// that was cut off does not depose a working leader when it returns.
    pub pre_vote: bool,
    /// The clock drift the lease assumes at most (parts per million).
    pub lease_drift_bound_ppm: u64,
    /// A client retries at another server after this long without a reply.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client told "not leader" with no hint waits this long before trying
    /// the next server.
    #[serde(with = "duration_str")]
    pub client_backoff: Duration,
    /// A client gives up on an operation after this long and reports its
    /// outcome as unknown.
    #[serde(with = "duration_str")]
    pub client_give_up: Duration,
    /// A bug variant to plant, or none.
    pub bug: Option<RaftBug>,
}

impl Default for RaftParams {
    fn default() -> Self {
        RaftParams {
            election_timeout_min: Duration::from_millis(150),
            election_timeout_max: Duration::from_millis(300),
            heartbeat_interval: Duration::from_millis(50),
            max_entries_per_append: 64,
            snapshot_threshold: 500,
            read_mode: ReadMode::ReadIndex,
            pre_vote: false,
            lease_drift_bound_ppm: 50_000,
            client_timeout: Duration::from_millis(400),
            client_backoff: Duration::from_millis(30),
            client_give_up: Duration::from_secs(5),
            bug: None,
        }
    }
}

impl RaftParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: RaftBug) -> bool {
        self.bug == Some(bug)
    }

    /// How long a lease lasts on the leader's clock after the heartbeat
    /// round that confirmed it was sent. Followers do not vote for a new
    /// leader within `election_timeout_min` of hearing from this one on
    /// their clocks; with relative drift at most ρ on every clock, a lease of
    /// `election_timeout_min · (1 − ρ) / (1 + ρ)` ends first in true time.
    pub fn lease_duration(&self) -> Duration {
        if self.has(RaftBug::LeaseIgnoresDrift) {
            return self.election_timeout_min;
        }
        let rho = self.lease_drift_bound_ppm as f64 / 1e6;
        self.election_timeout_min.mul_f64((1.0 - rho) / (1.0 + rho))
    }
}

impl Settings for RaftParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "election_timeout_min",
            "Lower end of the randomised election timeout (§5.2).",
        ),
        ParamDoc::new(
            "election_timeout_max",
            "Upper end of the randomised election timeout.",
        ),
        ParamDoc::new(
            "heartbeat_interval",
            "Leader's AppendEntries period when idle; below election_timeout_min.",
        ),
        ParamDoc::new(
            "max_entries_per_append",
            "Batch size: most entries per AppendEntries.",
        ),
        ParamDoc::new(
            "snapshot_threshold",
            "Compact the log when this many applied entries are in it (0: never).",
        ),
        ParamDoc::new(
            "read_mode",
            "How reads are served: \"log\", \"read_index\" or \"lease\".",
        ),
        ParamDoc::new(
            "pre_vote",
            "Run a pre-vote round before incrementing the term (thesis §9.6).",
        ),
        ParamDoc::new(
            "lease_drift_bound_ppm",
            "Clock drift the lease tolerates; leases are unsafe beyond it.",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client retries at another server after this long without a reply.",
        ),
        ParamDoc::new(
            "client_backoff",
            "Pause before retrying when no server knows the leader.",
        ),
        ParamDoc::new(
            "client_give_up",
            "A client reports an operation as unknown after this long.",
        ),
        ParamDoc::new(
            "bug",
            "A bug variant to plant (see below; docs/lessons/raft.md explains each).",
        )
        .default_text("none"),
    ];

    fn validate(&self, doc: &str, _config: &WorldConfig) -> Result<(), ParamError> {
        let err = |key: &str, msg: String| Err(ParamError::at_key(doc, key, msg));
        check_election_timers(
            doc,
            self.election_timeout_min,
            self.election_timeout_max,
            self.heartbeat_interval,
        )?;
        if self.max_entries_per_append == 0 {
            return err(
                "max_entries_per_append",
                "max_entries_per_append must be at least 1".into(),
            );
        }
        if self.lease_drift_bound_ppm >= 1_000_000 {
            return err(
                "lease_drift_bound_ppm",
                format!(
                    "lease_drift_bound_ppm is {}, but it must be below 1000000 (100%)",
                    self.lease_drift_bound_ppm
                ),
            );
        }
        super::client::timeouts(self).validate(doc)?;
        Ok(())
    }
}
