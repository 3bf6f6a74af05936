//! Parameters of chain replication, their validation, and its bug variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::kvclient::ClientTimeouts;
use crate::limits::check_timers;
use faultline_sim::WorldConfig;
use faultline_sim::time::{duration_str, format_duration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where clients read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// Every read goes to the tail (van Renesse & Schneider §2).
    #[default]
    Tail,
    /// Reads go to any server of the chain; a server with an uncommitted
    /// write to the key asks the tail which version is committed (Terrace &
    /// Freedman, CRAQ §2).
    Craq,
}

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChainBug {
    /// The head answers a write as soon as it has applied it, before the
    /// tail has it.
    HeadAcksEarly,
    /// After a middle server is removed, its predecessor forgets the
    /// updates it had sent but not yet seen acknowledged, instead of
    /// sending them to its new successor.
    ForgetSentOnMiddleFailure,
    /// A CRAQ server with an uncommitted write to the key answers a read
    /// with its newest version without asking the tail.
    CraqDirtyRead,
    /// A server applies an update that arrives ahead of the one it expects,
    /// skipping the missing one (it trusts links to be FIFO and lossless).
    AcceptUpdateGaps,
    /// A server serves clients whether or not it holds a lease from the
    /// master.
    IgnoreLease,
}

impl BugVariant for ChainBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "head_acks_early",
            doc: "The head answers a write once it has applied it, before the tail has it: a read at the tail can miss an acknowledged write.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "forget_sent_on_middle_failure",
            doc: "After a middle server is removed, its predecessor drops its Sent list instead of re-sending it to the new successor: updates in flight to the failed server never reach the rest of the chain.",
            caught_by: "inprocess_requests",
        },
        BugInfo {
            name: "craq_dirty_read",
            doc: "A CRAQ server answers a read of a dirty key with its newest, uncommitted version instead of asking the tail.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "accept_update_gaps",
            doc: "A server applies an update that arrives ahead of the next one it expects, skipping the missing one (it trusts the network to be FIFO).",
            caught_by: "update_propagation",
        },
        BugInfo {
            name: "ignore_lease",
            doc: "A server serves clients without a lease from the master: a tail cut off from the others and replaced keeps answering reads with old values.",
            caught_by: "linearizability",
        },
    ];
}

/// Parameters of chain replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainParams {
    /// `tail` or `craq`.
    pub reads: ReadMode,
    /// How often a server pings the master, and re-sends unacknowledged
    /// updates and acknowledgements.
    #[serde(with = "duration_str")]
    pub heartbeat_interval: Duration,
    /// The master suspects a server it has not heard from for this long.
    #[serde(with = "duration_str")]
    pub failure_timeout: Duration,
    /// How long a server may serve clients after asking the master (its
    /// monotonic clock).
    #[serde(with = "duration_str")]
    pub lease: Duration,
    /// The largest clock drift the leases must tolerate, in parts per
    /// million.
    pub max_drift_ppm: u32,
    /// Most updates re-sent at each heartbeat.
    pub max_resend: u32,
    /// A client retries after this long without a reply.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client told to go elsewhere with nothing new waits this long.
    #[serde(with = "duration_str")]
    pub client_backoff: Duration,
    /// A client reports an operation as unknown after this long.
    #[serde(with = "duration_str")]
    pub client_give_up: Duration,
    /// A bug variant to plant, or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<ChainBug>,
}

impl Default for ChainParams {
    fn default() -> Self {
        ChainParams {
            reads: ReadMode::Tail,
            heartbeat_interval: Duration::from_millis(50),
            failure_timeout: Duration::from_millis(300),
            lease: Duration::from_millis(200),
            max_drift_ppm: 200_000,
            max_resend: 64,
            client_timeout: Duration::from_millis(400),
            client_backoff: Duration::from_millis(30),
            client_give_up: Duration::from_secs(5),
            bug: None,
        }
    }
}

/// The most drift the leases can be made to tolerate.
pub const MAX_DRIFT_PPM: u32 = 500_000;

impl ChainParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: ChainBug) -> bool {
        self.bug == Some(bug)
    }

    /// How long the master, on its own clock, must wait after granting a
    /// lease before it may assume the server stopped serving: the lease
    /// measured by the slowest clock the drift bound allows, read by the
    /// fastest, plus one heartbeat of slack.
    pub fn lease_guard(&self) -> Duration {
        let d = u128::from(self.max_drift_ppm);
        let nanos = self.lease.as_nanos() * (1_000_000 + d) / (1_000_000 - d);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)) + self.heartbeat_interval
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

impl Settings for ChainParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "reads",
            "Where clients read: \"tail\" (the paper's linearizable reads) or \"craq\" (any server; dirty keys ask the tail for the committed version).",
        ),
        ParamDoc::new(
            "heartbeat_interval",
            "How often a server pings the master and re-sends what is unacknowledged; below lease and failure_timeout.",
        ),
        ParamDoc::new(
            "failure_timeout",
            "The master suspects a server it has not heard from for this long (its local clock).",
        ),
        ParamDoc::new(
            "lease",
            "A server serves clients only this long after a ping the master answered (monotonic clock); the master waits it out before replacing a suspect.",
        ),
        ParamDoc::new(
            "max_drift_ppm",
            "The clock drift (parts per million) the leases tolerate; at most 500000.",
        ),
        ParamDoc::new(
            "max_resend",
            "Most unacknowledged updates re-sent to a successor at each heartbeat.",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client retries (and asks the master for the chain) after this long.",
        ),
        ParamDoc::new(
            "client_backoff",
            "Pause before retrying when a server redirects with nothing new.",
        ),
        ParamDoc::new(
            "client_give_up",
            "A client reports an operation as unknown after this long.",
        ),
        ParamDoc::new(
            "bug",
            "A bug variant to plant (see below; docs/lessons/replication.md explains each).",
        )
        .default_text("none"),
    ];

    fn validate(&self, doc: &str, config: &WorldConfig) -> Result<(), ParamError> {
        if config.servers < 2 {
            return Err(ParamError::at_servers(
                doc,
                "chain replication needs at least 2 servers: the master (n0) and a chain of one",
            ));
        }
        check_timers(
            doc,
            &[
                ("heartbeat_interval", self.heartbeat_interval),
                ("failure_timeout", self.failure_timeout),
                ("lease", self.lease),
            ],
        )?;
        for (key, value) in [
            ("failure_timeout", self.failure_timeout),
            ("lease", self.lease),
        ] {
            if value <= self.heartbeat_interval {
                return Err(ParamError::at_key(
                    doc,
                    key,
                    format!(
                        "{key} is {}, but it must be above heartbeat_interval ({}), or healthy servers are suspected or lose their lease between pings",
                        format_duration(value),
                        format_duration(self.heartbeat_interval)
                    ),
                ));
            }
        }
        if self.max_drift_ppm > MAX_DRIFT_PPM {
            return Err(ParamError::at_key(
                doc,
                "max_drift_ppm",
                format!(
                    "max_drift_ppm is {}, but it must be at most {MAX_DRIFT_PPM}",
                    self.max_drift_ppm
                ),
            ));
        }
        if self.max_resend == 0 {
            return Err(ParamError::at_key(
                doc,
                "max_resend",
                "max_resend must be at least 1",
            ));
        }
        if self.has(ChainBug::CraqDirtyRead) && self.reads != ReadMode::Craq {
            return Err(ParamError::at_key(
                doc,
                "bug",
                "the craq_dirty_read bug needs reads = \"craq\"",
            ));
        }
        self.client_timeouts().validate(doc)?;
        Ok(())
    }
}
