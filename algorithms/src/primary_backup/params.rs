//! Parameters of primary-backup replication, their validation, and its bug
//! variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::kvclient::ClientTimeouts;
use crate::limits::check_timers;
use faultline_sim::WorldConfig;
use faultline_sim::time::duration_str;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrimaryBackupBug {
    /// The primary answers a client as soon as it has applied the
    /// operation itself, before its backup has it.
    ReplyBeforeBackup,
    /// A new backup counts as in sync at once: the primary skips the state
    /// transfer and acknowledges the view, and the backup takes forwards on
    /// whatever store it holds.
    PromoteWithoutState,
    /// The view service moves on from a view whose primary never
    /// acknowledged it.
    SkipUnackedView,
    /// The view service keeps its view in memory only: after a restart it
    /// numbers views from 1 again.
    VolatileViewService,
    /// The primary answers reads from its own store without forwarding
    /// them, so a replaced primary that has not heard of it yet keeps
    /// answering reads.
    StalePrimaryServesReads,
}

impl BugVariant for PrimaryBackupBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "reply_before_backup",
            doc: "The primary answers a client before its backup has the operation: when the backup takes over, an acknowledged write is gone.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "promote_without_state",
            doc: "A new backup counts as in sync without a state transfer; promoted later, it serves a store that lacks earlier writes.",
            caught_by: "linearizability",
        },
        BugInfo {
            name: "skip_unacked_view",
            doc: "The view service replaces a view whose primary never acknowledged it, promoting a backup that never received the state.",
            caught_by: "acked_before_next",
        },
        BugInfo {
            name: "volatile_view_service",
            doc: "The view service keeps its view in memory only: after a restart it issues view numbers it has issued before.",
            caught_by: "one_view_per_number",
        },
        BugInfo {
            name: "stale_primary_serves_reads",
            doc: "The primary answers reads from its own store without forwarding them: a replaced primary cut off from the view service serves stale values.",
            caught_by: "linearizability",
        },
    ];
}

/// Parameters of primary-backup replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrimaryBackupParams {
    /// How often a replica pings the view service, and how often the view
    /// service looks for dead servers (local clocks).
    #[serde(with = "duration_str")]
    pub ping_interval: Duration,
    /// The view service counts a server dead after this many ping
    /// intervals without a ping from it.
    pub dead_pings: u32,
    /// A primary resends an unacknowledged forward or state transfer after
    /// this long.
    #[serde(with = "duration_str")]
    pub forward_timeout: Duration,
    /// Most client operations in one forwarded batch.
    pub max_batch: u32,
    /// A client retries at another server after this long without a reply.
    #[serde(with = "duration_str")]
    pub client_timeout: Duration,
    /// A client told "not primary" with no hint waits this long.
    #[serde(with = "duration_str")]
    pub client_backoff: Duration,
    /// A client reports an operation as unknown after this long.
    #[serde(with = "duration_str")]
    pub client_give_up: Duration,
    /// A bug variant to plant, or none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bug: Option<PrimaryBackupBug>,
}

impl Default for PrimaryBackupParams {
    fn default() -> Self {
        PrimaryBackupParams {
            ping_interval: Duration::from_millis(50),
            dead_pings: 5,
            forward_timeout: Duration::from_millis(40),
            max_batch: 64,
            client_timeout: Duration::from_millis(300),
            client_backoff: Duration::from_millis(30),
            client_give_up: Duration::from_secs(5),
            bug: None,
        }
    }
}

/// The most ping intervals a server may stay silent before it counts as
/// dead. More than enough for any lesson, and it keeps `dead_pings ×
/// ping_interval` far from overflowing.
pub const MAX_DEAD_PINGS: u32 = 10_000;

impl PrimaryBackupParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: PrimaryBackupBug) -> bool {
        self.bug == Some(bug)
    }

    /// How long a server may stay silent before the view service counts it
    /// dead (validated not to overflow).
    pub fn dead_after(&self) -> Duration {
        self.ping_interval
            .checked_mul(self.dead_pings)
            .unwrap_or(Duration::MAX)
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

impl Settings for PrimaryBackupParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "ping_interval",
            "How often replicas ping the view service and it looks for dead servers (local clocks).",
        ),
        ParamDoc::new(
            "dead_pings",
            "The view service counts a server dead after this many ping intervals without a ping (1 to 10000).",
        ),
        ParamDoc::new(
            "forward_timeout",
            "A primary resends an unacknowledged forward or state transfer after this long.",
        ),
        ParamDoc::new(
            "max_batch",
            "Most client operations a primary forwards in one batch.",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client retries at another server after this long.",
        ),
        ParamDoc::new(
            "client_backoff",
            "Pause before retrying when the server asked knows no primary.",
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
                format!(
                    "primary-backup needs at least 2 servers (n0 is the view service, the others are replicas), found {}",
                    config.servers
                ),
            ));
        }
        check_timers(
            doc,
            &[
                ("ping_interval", self.ping_interval),
                ("forward_timeout", self.forward_timeout),
            ],
        )?;
        if self.dead_pings == 0 || self.dead_pings > MAX_DEAD_PINGS {
            return Err(ParamError::at_key(
                doc,
                "dead_pings",
                format!(
                    "dead_pings is {}, but it must be between 1 and {MAX_DEAD_PINGS}",
                    self.dead_pings
                ),
            ));
        }
        let longest = Duration::from_nanos(i64::MAX as u64);
        if self
            .ping_interval
            .checked_mul(self.dead_pings)
            .is_none_or(|d| d > longest)
        {
            return Err(ParamError::at_key(
                doc,
                "ping_interval",
                "ping_interval × dead_pings is too long: a server's silence must fit in 2^63 ns (about 292 years)",
            ));
        }
        if self.max_batch == 0 {
            return Err(ParamError::at_key(
                doc,
                "max_batch",
                "max_batch must be at least 1",
            ));
        }
        self.client_timeouts().validate(doc)?;
        Ok(())
    }
}
