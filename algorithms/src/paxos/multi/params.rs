//! Parameters of Multi-Paxos, their validation, and its bug variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::kvclient::ClientTimeouts;
use crate::limits::check_election_timers;
use crate::paxos::quorum::Quorums;
use faultline_sim::WorldConfig;
use faultline_sim::time::duration_str;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiPaxosBug {
    /// A new leader runs phase 1 but re-proposes only the slots in its own
    /// acceptor's log, and takes the slots after its own last one as free:
    /// it skips phase 1's answer for slots it did not own.
    SkipPhase1ForNewSlots,
    /// Acceptors keep promised and accepted in memory only.
    ForgetPromise,
    /// An acceptor checks an accept request against the ballot it accepted
    /// in that slot instead of the ballot it promised.
    AcceptBelowPromise,
    /// Quorum sizes off by one (a majority of `n / 2`).
    NonIntersectingQuorums,
    /// A replica takes an accept request (phase 2a) as the decision and
    /// applies it, before any quorum accepted it.
    ApplyOnAccept,
    /// A replica applies each decision as it arrives instead of in slot
    /// order.
    ApplyOutOfOrder,
}

impl BugVariant for MultiPaxosBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "skip_phase1_for_new_slots",
            doc: "A new leader re-proposes only the slots its own log holds and treats later slots as free, ignoring what the promises carried there.",
            caught_by: "agreement",
        },
        BugInfo {
            name: "forget_promise",
            doc: "Acceptors keep promised and accepted in memory only: a restarted acceptor promises a lower ballot again.",
            caught_by: "promise_monotonic",
        },
        BugInfo {
            name: "accept_below_promise",
            doc: "An acceptor checks accept requests against the ballot it accepted in the slot, not its promise.",
            caught_by: "accept_within_promise",
        },
        BugInfo {
            name: "non_intersecting_quorums",
            doc: "Quorum sizes off by one (a majority of n / 2): a new leader's phase-1 quorum can miss a chosen command.",
            caught_by: "agreement",
        },
        BugInfo {
            name: "apply_on_accept",
            doc: "A replica applies an accept request as if it were the decision, before a quorum accepted it.",
            caught_by: "replicas_agree",
        },
        BugInfo {
            name: "apply_out_of_order",
            doc: "A replica applies decisions as they arrive rather than in slot order.",
            caught_by: "applied_prefix_agreement",
        },
    ];
}

/// Parameters of Multi-Paxos.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MultiPaxosParams {
    /// Phase-1 quorum size (`None`: a majority, or `servers - q2 + 1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q1: Option<u32>,
    /// Phase-2 quorum size (`None`: a majority, or `servers - q1 + 1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q2: Option<u32>,
    /// A follower that hears nothing from a leader for a random time in
    /// `election_timeout_min..election_timeout_max` (its local clock) runs
    /// phase 1.
    #[serde(with = "duration_str")]
    pub election_timeout_min: Duration,
    /// Upper end of the election timeout.
    #[serde(with = "duration_str")]
    pub election_timeout_max: Duration,
    /// How often a leader tells everyone it is alive (and how far it has
    /// decided), and resends accept requests not yet acknowledged.
    #[serde(with = "duration_str")]
    pub heartbeat_interval: Duration,
    /// Take a snapshot when this many applied slots are in the log (0: never).
    pub snapshot_threshold: u64,
    /// Most decisions in one catch-up message.
    pub max_catch_up: u32,
    /// A client retries at another server after this long without a reply.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client told "not leader" with no hint waits this long.
    #[serde(with = "duration_str")]
    pub client_backoff: Duration,
    /// A client reports an operation as unknown after this long.
    #[serde(with = "duration_str")]
    pub client_give_up: Duration,
    /// A bug variant to plant, or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<MultiPaxosBug>,
}

impl Default for MultiPaxosParams {
    fn default() -> Self {
        MultiPaxosParams {
            q1: None,
            q2: None,
            election_timeout_min: Duration::from_millis(150),
            election_timeout_max: Duration::from_millis(300),
            heartbeat_interval: Duration::from_millis(50),
            snapshot_threshold: 500,
            max_catch_up: 64,
            client_timeout: Duration::from_millis(400),
            client_backoff: Duration::from_millis(30),
            client_give_up: Duration::from_secs(5),
            bug: None,
        }
    }
}

impl MultiPaxosParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: MultiPaxosBug) -> bool {
        self.bug == Some(bug)
    }

    /// The quorums for `servers` acceptors (the parameters were validated).
    pub fn quorums(&self, servers: u32) -> Quorums {
        Quorums::resolve(
            "",
            self.q1,
            self.q2,
            servers as usize,
            self.has(MultiPaxosBug::NonIntersectingQuorums),
        )
        .expect("validated")
    }

    /// The clients' patience.
    pub fn client_timeouts(&self) -> ClientTimeouts {
        ClientTimeouts {
            timeout: self.client_timeout,
            backoff: self.client_backoff,
            give_up: self.client_give_up,
        }
    }
}

impl Settings for MultiPaxosParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new("q1", "Phase-1 quorum: promises a new leader needs.")
            .default_text("a majority, or servers - q2 + 1 when only q2 is given"),
        ParamDoc::new(
            "q2",
            "Phase-2 quorum: acceptances that choose a command in a slot; q1 + q2 > servers.",
        )
        .default_text("a majority, or servers - q1 + 1 when only q1 is given"),
        ParamDoc::new(
            "election_timeout_min",
            "Least silence from the leader (local clock) before a server runs phase 1.",
        ),
        ParamDoc::new(
            "election_timeout_max",
            "Most silence before a server runs phase 1.",
        ),
        ParamDoc::new(
            "heartbeat_interval",
            "Leader's heartbeat and resend period; below election_timeout_min.",
        ),
        ParamDoc::new(
            "snapshot_threshold",
            "Compact the log when this many applied slots are in it (0: never).",
        ),
        ParamDoc::new(
            "max_catch_up",
            "Most decisions sent in one catch-up message.",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client retries at another server after this long.",
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
            "A bug variant to plant (see below; docs/lessons/paxos.md explains each).",
        )
        .default_text("none"),
    ];

    fn validate(&self, doc: &str, config: &WorldConfig) -> Result<(), ParamError> {
        Quorums::resolve(
            doc,
            self.q1,
            self.q2,
            config.servers as usize,
            self.has(MultiPaxosBug::NonIntersectingQuorums),
        )?;
        check_election_timers(
            doc,
            self.election_timeout_min,
            self.election_timeout_max,
            self.heartbeat_interval,
        )?;
        if self.max_catch_up == 0 {
            return Err(ParamError::at_key(
                doc,
                "max_catch_up",
                "max_catch_up must be at least 1",
            ));
        }
        self.client_timeouts().validate(doc)?;
        Ok(())
    }
}
