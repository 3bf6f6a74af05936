//! Parameters of quorum replication, their validation, and its bug
//! variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::kvclient::ClientTimeouts;
use crate::limits::check_timers;
use faultline_sim::WorldConfig;
use faultline_sim::time::{duration_str, format_duration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How replicas order the versions of a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conflicts {
    /// Last writer wins: each version carries the coordinator's local clock
    /// reading; the highest timestamp replaces the others (Cassandra).
    #[default]
    Lww,
    /// Dotted version vectors: concurrent versions are kept as siblings
    /// and merged when read (Dynamo §4.4).
    Vv,
}

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuorumBug {
    /// Coordinators never repair the replicas a read found behind, and
    /// servers never run anti-entropy: a replica that missed a write keeps
    /// missing it.
    SkipReadRepairAndAntiEntropy,
    /// A hint holder deletes a hint as soon as it sends it to the owner,
    /// before the owner confirmed it stored the write.
    HintDroppedOnHandoff,
}

impl BugVariant for QuorumBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "skip_read_repair_and_anti_entropy",
            doc: "Reads never repair stale replicas and servers never compare their stores: a replica that missed a write while it was down never gets it, and the replicas of a key disagree for ever.",
            caught_by: "convergence",
        },
        BugInfo {
            name: "hint_dropped_on_handoff",
            doc: "A hint holder deletes a hint when it sends it to the owner, not when the owner confirms: a handoff lost on the way (the owner is still cut off) leaves an acknowledged write on fewer than W servers.",
            caught_by: "acked_writes_replicated",
        },
    ];
}

/// Parameters of quorum replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuorumParams {
    /// Replicas of each key: the first `n` distinct servers clockwise from
    /// the key on the ring.
    pub n: u32,
    /// Replies a read waits for.
    pub r: u32,
    /// Acknowledgements a write waits for.
    pub w: u32,
    /// Sloppy quorum: a replica that does not answer is replaced by the
    /// next server of the ring, which keeps the write as a hint.
    pub sloppy: bool,
    /// Coordinators send the newest version to the replicas a read found
    /// behind.
    pub read_repair: bool,
    /// `lww` or `vv`.
    pub conflicts: Conflicts,
    /// Points per server on the ring.
    pub vnodes: u32,
    /// How often a server compares its store with another replica's
    /// (zero: never).
    #[serde(with = "duration_str")]
    pub anti_entropy_interval: Duration,
    /// How often a server offers the hints it holds to their owners.
    #[serde(with = "duration_str")]
    pub handoff_interval: Duration,
    /// A coordinator gives up on a replica that has not answered after this
    /// long (and, with `sloppy`, asks the next server instead).
    #[serde(with = "duration_str")]
    pub replica_timeout: Duration,
    /// A coordinator answers "unavailable" when it has not gathered its
    /// quorum after this long.
    #[serde(with = "duration_str")]
    pub coordinator_timeout: Duration,
    /// A client retries at another coordinator after this long.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client told "unavailable" waits this long before the next try.
    #[serde(with = "duration_str")]
    pub client_backoff: Duration,
    /// A client reports an operation as unknown after this long.
    #[serde(with = "duration_str")]
    pub client_give_up: Duration,
    /// The `convergence` check judges keys with no write invoked in this
    /// last part of the run.
    #[serde(with = "duration_str")]
    pub settle_time: Duration,
    /// A bug variant to plant, or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<QuorumBug>,
}

impl Default for QuorumParams {
    fn default() -> Self {
        QuorumParams {
            n: 3,
            r: 2,
            w: 2,
            sloppy: false,
            read_repair: true,
            conflicts: Conflicts::Lww,
            vnodes: 8,
            anti_entropy_interval: Duration::from_millis(200),
            handoff_interval: Duration::from_millis(200),
            replica_timeout: Duration::from_millis(100),
            coordinator_timeout: Duration::from_millis(400),
            client_timeout: Duration::from_millis(600),
            client_backoff: Duration::from_millis(50),
            client_give_up: Duration::from_secs(3),
            settle_time: Duration::from_secs(5),
            bug: None,
        }
    }
}

impl QuorumParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: QuorumBug) -> bool {
        self.bug == Some(bug)
    }

    /// Whether reads repair the replicas they found behind.
    pub fn repairs_reads(&self) -> bool {
        self.read_repair && !self.has(QuorumBug::SkipReadRepairAndAntiEntropy)
    }

    /// Whether servers run anti-entropy.
    pub fn runs_anti_entropy(&self) -> bool {
        !self.anti_entropy_interval.is_zero() && !self.has(QuorumBug::SkipReadRepairAndAntiEntropy)
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

impl Settings for QuorumParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "n",
            "Replicas per key: the first n distinct servers clockwise from the key's hash (its preference list); 1 to the server count.",
        ),
        ParamDoc::new("r", "Replies a read waits for; 1 to n."),
        ParamDoc::new("w", "Durable acknowledgements a write waits for; 1 to n."),
        ParamDoc::new(
            "sloppy",
            "Sloppy quorum: a replica that does not answer within replica_timeout is replaced by the next server of the ring, which keeps the write as a hint for it (hinted handoff).",
        ),
        ParamDoc::new(
            "read_repair",
            "After a read, the coordinator sends the merged newest versions to the replicas that answered with older ones (in the background: the client is answered first).",
        ),
        ParamDoc::new(
            "conflicts",
            "\"lww\" (last writer wins by the coordinator's local clock) or \"vv\" (dotted version vectors; concurrent writes are kept as siblings and merged on read).",
        ),
        ParamDoc::new("vnodes", "Points per server on the ring; at least 1."),
        ParamDoc::new(
            "anti_entropy_interval",
            "How often a server compares per-key digests with a random replica of its keys and exchanges the versions that differ (\"0s\": never).",
        ),
        ParamDoc::new(
            "handoff_interval",
            "How often a server offers the hints it holds to their owners.",
        ),
        ParamDoc::new(
            "replica_timeout",
            "A coordinator counts a replica silent after this long (with sloppy, it asks the next server of the ring instead); below coordinator_timeout.",
        ),
        ParamDoc::new(
            "coordinator_timeout",
            "A coordinator that has not gathered r replies or w acknowledgements after this long answers the client \"unavailable\".",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client retries at another coordinator after this long without an answer.",
        ),
        ParamDoc::new(
            "client_backoff",
            "A client told \"unavailable\" waits this long before it tries another coordinator.",
        ),
        ParamDoc::new(
            "client_give_up",
            "A client reports an operation as unknown after this long.",
        ),
        ParamDoc::new(
            "settle_time",
            "The convergence check judges, at the end of the run, only keys with no write invoked in this last stretch of it.",
        ),
        ParamDoc::new(
            "bug",
            "A bug variant to plant (see below; docs/lessons/replication.md explains each).",
        )
        .default_text("none"),
    ];

    fn validate(&self, doc: &str, config: &WorldConfig) -> Result<(), ParamError> {
        if self.n == 0 || self.n > config.servers {
            return Err(ParamError::at_key(
                doc,
                "n",
                format!(
                    "n is {}, but it must be from 1 to the number of servers ({})",
                    self.n, config.servers
                ),
            ));
        }
        for (key, value) in [("r", self.r), ("w", self.w)] {
            if value == 0 || value > self.n {
                return Err(ParamError::at_key(
                    doc,
                    key,
                    format!("{key} is {value}, but it must be from 1 to n ({})", self.n),
                ));
            }
        }
        if self.vnodes == 0 || self.vnodes > 1024 {
            return Err(ParamError::at_key(
                doc,
                "vnodes",
                format!("vnodes is {}, but it must be from 1 to 1024", self.vnodes),
            ));
        }
        let mut timers = vec![
            ("handoff_interval", self.handoff_interval),
            ("replica_timeout", self.replica_timeout),
            ("coordinator_timeout", self.coordinator_timeout),
        ];
        if !self.anti_entropy_interval.is_zero() {
            timers.push(("anti_entropy_interval", self.anti_entropy_interval));
        }
        check_timers(doc, &timers)?;
        if self.replica_timeout >= self.coordinator_timeout {
            return Err(ParamError::at_key(
                doc,
                "replica_timeout",
                format!(
                    "replica_timeout is {}, but it must be below coordinator_timeout ({}), or no replica is ever counted silent in time",
                    format_duration(self.replica_timeout),
                    format_duration(self.coordinator_timeout)
                ),
            ));
        }
        if self.coordinator_timeout >= self.client_timeout {
            return Err(ParamError::at_key(
                doc,
                "coordinator_timeout",
                format!(
                    "coordinator_timeout is {}, but it must be below client_timeout ({}), or clients retry before the coordinator can answer",
                    format_duration(self.coordinator_timeout),
                    format_duration(self.client_timeout)
                ),
            ));
        }
        if self.settle_time < self.client_give_up {
            return Err(ParamError::at_key(
                doc,
                "settle_time",
                format!(
                    "settle_time is {}, but it must be at least client_give_up ({}): a client may retry a write until it gives up",
                    format_duration(self.settle_time),
                    format_duration(self.client_give_up)
                ),
            ));
        }
        if self.has(QuorumBug::HintDroppedOnHandoff) && !self.sloppy {
            return Err(ParamError::at_key(
                doc,
                "bug",
                "the hint_dropped_on_handoff bug needs sloppy = true (strict quorums keep no hints)",
            ));
        }
        self.client_timeouts().validate(doc)?;
        Ok(())
    }
}
