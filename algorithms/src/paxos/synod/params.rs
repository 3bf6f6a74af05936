//! Parameters of single-decree Paxos, their validation, and its bug
//! variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::limits::{check_give_up, check_timers};
use crate::paxos::quorum::Quorums;
use faultline_sim::time::{duration_str, format_duration};
use faultline_sim::{NodeId, WorldConfig};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaxosBug {
    /// An acceptor keeps its promise and its accepted proposal in memory
    /// only: after a restart it promises and accepts as if new.
    ForgetPromise,
    /// An acceptor persists the ballot it accepted but not the value: after
    /// a restart it reports the ballot with an empty value.
    PersistBallotOnly,
    /// A proposer proposes its own client's value in phase 2 even when a
    /// promise carried an accepted value (§2.2's rule P2c ignored).
    IgnorePromisedValue,
    /// Ballots are round numbers only, without the proposer's id, so two
    /// proposers can run the same ballot.
    SharedBallots,
    /// An acceptor compares an accept request with the ballot it last
    /// *accepted* instead of the one it *promised*.
    AcceptBelowPromise,
    /// A learner counts `accepted` messages for a value across different
    /// ballots, as if they were one vote.
    LearnAcrossBallots,
    /// Quorum sizes off by one: a "majority" of `n / 2` (two of four
    /// acceptors), a size derived from the other as `n - q` instead of
    /// `n - q + 1`, and explicit sizes with `q1 + q2 <= n` let through. A
    /// phase-1 quorum may then miss the phase-2 quorum that chose a value.
    NonIntersectingQuorums,
}

impl BugVariant for PaxosBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "forget_promise",
            doc: "Acceptors keep promised and accepted in memory only: a restarted acceptor promises a lower ballot again.",
            caught_by: "promise_monotonic",
        },
        BugInfo {
            name: "persist_ballot_only",
            doc: "Acceptors persist the accepted ballot but not its value: after a restart they report an empty value, which can be chosen.",
            caught_by: "validity",
        },
        BugInfo {
            name: "ignore_promised_value",
            doc: "A proposer proposes its own value even when a promise carried an accepted one (Paxos Made Simple §2.2, P2c).",
            caught_by: "agreement",
        },
        BugInfo {
            name: "shared_ballots",
            doc: "Ballots are bare round numbers: two proposers can run the same ballot with different values.",
            caught_by: "agreement",
        },
        BugInfo {
            name: "accept_below_promise",
            doc: "An acceptor checks accept requests against its accepted ballot, not its promise.",
            caught_by: "accept_within_promise",
        },
        BugInfo {
            name: "learn_across_ballots",
            doc: "A learner counts accepted messages for a value across different ballots.",
            caught_by: "learners_agree",
        },
        BugInfo {
            name: "non_intersecting_quorums",
            doc: "Quorum sizes off by one (a majority of n / 2, a derived q1 of n - q2, q1 + q2 <= n allowed): quorums need not intersect, so two values can be chosen (Flexible Paxos §3).",
            caught_by: "agreement",
        },
    ];
}

/// Parameters of single-decree Paxos.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaxosParams {
    /// Servers that act as proposers (`None`: every server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposers: Option<Vec<u32>>,
    /// Phase-1 quorum size (`None`: a majority, or `servers - q2 + 1` when
    /// only `q2` is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q1: Option<u32>,
    /// Phase-2 quorum size (`None`: a majority, or `servers - q1 + 1` when
    /// only `q1` is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q2: Option<u32>,
    /// Wait a random time before retrying a preempted ballot.
    pub backoff: bool,
    /// Least retry wait.
    #[serde(with = "duration_str")]
    pub backoff_min: Duration,
    /// Most retry wait.
    #[serde(with = "duration_str")]
    pub backoff_max: Duration,
    /// A proposer gives up on a phase that has not reached its quorum
    /// after this long and retries with a higher ballot.
    #[serde(with = "duration_str")]
    pub phase_timeout: Duration,
    /// A client asks another server after this long without an answer.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client reports its proposal as unknown after this long.
    #[serde(with = "duration_str")]
    pub client_give_up: Duration,
    /// A bug variant to plant, or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<PaxosBug>,
}

impl Default for PaxosParams {
    fn default() -> Self {
        PaxosParams {
            proposers: None,
            q1: None,
            q2: None,
            backoff: true,
            backoff_min: Duration::from_millis(5),
            backoff_max: Duration::from_millis(60),
            phase_timeout: Duration::from_millis(100),
            client_timeout: Duration::from_millis(300),
            client_give_up: Duration::from_secs(5),
            bug: None,
        }
    }
}

impl PaxosParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: PaxosBug) -> bool {
        self.bug == Some(bug)
    }

    /// Whether server `id` proposes.
    pub fn proposes(&self, id: NodeId) -> bool {
        self.proposers
            .as_ref()
            .is_none_or(|list| list.contains(&id.0))
    }

    /// The quorums for `servers` acceptors (the parameters were validated).
    pub fn quorums(&self, servers: u32) -> Quorums {
        Quorums::resolve(
            "",
            self.q1,
            self.q2,
            servers as usize,
            self.has(PaxosBug::NonIntersectingQuorums),
        )
        .expect("validated")
    }
}

impl Settings for PaxosParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new("proposers", "Servers that act as proposers, e.g. [0, 1].")
            .default_text("every server"),
        ParamDoc::new("q1", "Phase-1 quorum: promises needed before phase 2.")
            .default_text("a majority, or servers - q2 + 1 when only q2 is given"),
        ParamDoc::new(
            "q2",
            "Phase-2 quorum: acceptances that choose a value; q1 + q2 > servers.",
        )
        .default_text("a majority, or servers - q1 + 1 when only q1 is given"),
        ParamDoc::new(
            "backoff",
            "Wait a random time (backoff_min..backoff_max, from the node's stream) before retrying a preempted ballot.",
        ),
        ParamDoc::new("backoff_min", "Least wait before a retry."),
        ParamDoc::new("backoff_max", "Most wait before a retry."),
        ParamDoc::new(
            "phase_timeout",
            "A phase that has not reached its quorum after this long is retried with a higher ballot.",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client asks another server after this long.",
        ),
        ParamDoc::new(
            "client_give_up",
            "A client reports its proposal as unknown after this long.",
        ),
        ParamDoc::new(
            "bug",
            "A bug variant to plant (see below; docs/lessons/paxos.md explains each).",
        )
        .default_text("none"),
    ];

    fn validate(&self, doc: &str, config: &WorldConfig) -> Result<(), ParamError> {
        let servers = config.servers;
        if let Some(list) = &self.proposers {
            if list.is_empty() {
                return Err(ParamError::at_key(
                    doc,
                    "proposers",
                    "proposers is empty: expected at least one server, or no proposers line for every server",
                ));
            }
            if let Some(bad) = list.iter().find(|&&p| p >= servers) {
                return Err(ParamError::at_key(
                    doc,
                    "proposers",
                    format!(
                        "proposer {bad} is not a server: this scenario has servers 0..{}",
                        servers.saturating_sub(1)
                    ),
                ));
            }
        }
        Quorums::resolve(
            doc,
            self.q1,
            self.q2,
            servers as usize,
            self.has(PaxosBug::NonIntersectingQuorums),
        )?;
        if self.backoff_max < self.backoff_min {
            return Err(ParamError::at_key(
                doc,
                "backoff_max",
                format!(
                    "backoff_max ({}) is below backoff_min ({})",
                    format_duration(self.backoff_max),
                    format_duration(self.backoff_min)
                ),
            ));
        }
        check_timers(
            doc,
            &[
                ("phase_timeout", self.phase_timeout),
                ("client_timeout", self.client_timeout),
            ],
        )?;
        check_give_up(doc, self.client_timeout, self.client_give_up)
    }
}
