//! Parameters of asynchronous read replicas, their validation, and the bug
//! variants.

use crate::algorithm::{BugInfo, BugVariant, ParamDoc, ParamError, Settings};
use crate::kvclient::ClientTimeouts;
use crate::limits::check_timers;
use faultline_sim::WorldConfig;
use faultline_sim::time::{duration_str, format_duration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where clients send their reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadFrom {
    /// A read replica picked at random (not the primary the client knows).
    #[default]
    Replica,
    /// The primary, like the writes.
    Primary,
}

/// A planted mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsyncBug {
    /// A replica answers a read whatever the client's session token says.
    IgnoreSessionToken,
    /// The monitor promotes the fenced server with the lowest id instead
    /// of the one whose log is furthest ahead.
    PromoteStaleReplica,
    /// A replica that holds entries the primary does not keeps them and
    /// appends the primary's entries after its own.
    KeepDivergentSuffix,
}

impl BugVariant for AsyncBug {
    const ALL: &'static [BugInfo] = &[
        BugInfo {
            name: "ignore_session_token",
            doc: "A replica answers a read without checking the client's session token: with sessions = true a client can still miss its own acknowledged write.",
            caught_by: "sessions",
        },
        BugInfo {
            name: "promote_stale_replica",
            doc: "On failover the monitor promotes the lowest-numbered fenced server instead of the one with the longest log: a write acknowledged by one replica (sync_replicas = 1) is lost.",
            caught_by: "durability",
        },
        BugInfo {
            name: "keep_divergent_suffix",
            doc: "A replica holding entries the new primary lacks (an old primary's unshipped writes) keeps them and appends the primary's entries after them, instead of truncating: logs stop matching and replicas never converge.",
            caught_by: "log_matching",
        },
    ];
}

/// Parameters of asynchronous read replicas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AsyncParams {
    /// `replica` or `primary`.
    pub reads: ReadFrom,
    /// Whether clients carry a session token that servers honour.
    pub sessions: bool,
    /// Replica acknowledgements the primary waits for before it answers a
    /// write (0: fully asynchronous).
    pub sync_replicas: u32,
    /// How often the primary ships its log to each replica.
    #[serde(with = "duration_str")]
    pub ship_interval: Duration,
    /// Most log entries in one shipment.
    pub ship_batch: u32,
    /// How often a server reports to the monitor.
    #[serde(with = "duration_str")]
    pub heartbeat_interval: Duration,
    /// The monitor starts a failover after the primary has been silent
    /// this long.
    #[serde(with = "duration_str")]
    pub failover_timeout: Duration,
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
    pub bug: Option<AsyncBug>,
}

impl Default for AsyncParams {
    fn default() -> Self {
        AsyncParams {
            reads: ReadFrom::Replica,
            sessions: false,
            sync_replicas: 0,
            ship_interval: Duration::from_millis(20),
            ship_batch: 256,
            heartbeat_interval: Duration::from_millis(50),
            failover_timeout: Duration::from_millis(300),
            client_timeout: Duration::from_millis(300),
            client_backoff: Duration::from_millis(30),
            client_give_up: Duration::from_secs(3),
            bug: None,
        }
    }
}

/// The most entries one shipment may carry.
pub const MAX_SHIP_BATCH: u32 = 100_000;

impl AsyncParams {
    /// Whether `bug` is planted.
    #[inline]
    pub fn has(&self, bug: AsyncBug) -> bool {
        self.bug == Some(bug)
    }

    /// The clients' patience.
    pub fn client_timeouts(&self) -> ClientTimeouts {
        ClientTimeouts {
            timeout: self.client_timeout,
            backoff: self.client_backoff,
            give_up: self.client_give_up,
        }
    }

    /// How many fenced servers the monitor waits for before it promotes
    /// one, with `servers` servers (the monitor and the data servers): with
    /// `k = sync_replicas` acknowledgements every acknowledged write is on
    /// `k + 1` of the `D` data servers, so any `D - k` of them include one
    /// that has it. Fully asynchronous (`k = 0`) promises nothing and waits
    /// for one.
    pub fn fence_quorum(&self, servers: u32) -> usize {
        let data = servers.saturating_sub(1) as usize;
        let k = self.sync_replicas as usize;
        if k == 0 {
            1
        } else {
            data.saturating_sub(k).max(1)
        }
    }
}

impl Settings for AsyncParams {
    const TABLE: &'static str = "params";
    const DOCS: &'static [ParamDoc] = &[
        ParamDoc::new(
            "reads",
            "Where clients read: \"replica\" (a random read replica, possibly behind the primary) or \"primary\".",
        ),
        ParamDoc::new(
            "sessions",
            "Clients carry a session token (the log position they last wrote or read); a server that has not applied it redirects the read to the primary: read-your-writes, and monotonic reads between failovers.",
        ),
        ParamDoc::new(
            "sync_replicas",
            "Replica acknowledgements the primary waits for before answering a write (0: fully asynchronous; k: semi-synchronous); at most the number of replicas (servers - 2).",
        ),
        ParamDoc::new(
            "ship_interval",
            "How often the primary ships new log entries to each replica: the replication lag's floor.",
        ),
        ParamDoc::new(
            "ship_batch",
            "Most log entries in one shipment (1 to 100000).",
        ),
        ParamDoc::new(
            "heartbeat_interval",
            "How often every server reports its epoch and log position to the monitor (n0).",
        ),
        ParamDoc::new(
            "failover_timeout",
            "The monitor fences the replicas and promotes one after the primary has been silent this long (above heartbeat_interval).",
        ),
        ParamDoc::new(
            "client_timeout",
            "A client retries (writes at the next server, reads at another replica) after this long.",
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
        if config.servers < 3 {
            return Err(ParamError::at_servers(
                doc,
                "async-replica needs at least 3 servers: the monitor (n0), the primary (n1) and a replica",
            ));
        }
        check_timers(
            doc,
            &[
                ("ship_interval", self.ship_interval),
                ("heartbeat_interval", self.heartbeat_interval),
                ("failover_timeout", self.failover_timeout),
            ],
        )?;
        if self.failover_timeout <= self.heartbeat_interval {
            return Err(ParamError::at_key(
                doc,
                "failover_timeout",
                format!(
                    "failover_timeout is {}, but it must be above heartbeat_interval ({}), or a healthy primary is replaced between two reports",
                    format_duration(self.failover_timeout),
                    format_duration(self.heartbeat_interval)
                ),
            ));
        }
        let replicas = config.servers - 2;
        if self.sync_replicas > replicas {
            return Err(ParamError::at_key(
                doc,
                "sync_replicas",
                format!(
                    "sync_replicas is {}, but with {} servers there are only {replicas} replicas (n0 is the monitor, one server the primary)",
                    self.sync_replicas, config.servers
                ),
            ));
        }
        if self.ship_batch == 0 || self.ship_batch > MAX_SHIP_BATCH {
            return Err(ParamError::at_key(
                doc,
                "ship_batch",
                format!(
                    "ship_batch is {}, but it must be from 1 to {MAX_SHIP_BATCH}",
                    self.ship_batch
                ),
            ));
        }
        if self.has(AsyncBug::IgnoreSessionToken) && !self.sessions {
            return Err(ParamError::at_key(
                doc,
                "bug",
                "the ignore_session_token bug needs sessions = true (without sessions there is no token to ignore)",
            ));
        }
        self.client_timeouts().validate(doc)?;
        Ok(())
    }
}
