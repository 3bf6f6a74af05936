//! Malformed scenario files: each must be rejected with exit code 2 and an
//! error naming the file, the line and column, what was found and what was
//! expected. The expected text is the whole message, so a change in wording
//! or in the location is a deliberate change to this table.

mod common;

use common::{assert_exit, faultline_in, scratch, stderr};

/// (file stem, file text, expected error after `<stem>.toml:`). In the
/// expected text, `{algorithms}` stands for the registry's names in order,
/// so registering an algorithm does not rewrite this table.
const CASES: &[(&str, &str, &str)] = &[
    (
        "tour_step_on_an_unknown_node",
        r#"name = "x"
algorithm = "raft"
servers = 3
[[tour]]
title = "t"
text = "x"
reported = "leader_elected"
node = 5
"#,
        "8:8: error: found node 5, expected a node of this scenario (0..=2)",
    ),
    (
        "tour_highlights_an_unknown_invariant",
        r#"name = "x"
algorithm = "raft"
[[tour]]
title = "t"
text = "x"
at = "1s"
highlight = { invariant = "safety" }
"#,
        "7:27: error: unknown invariant or check `safety` for raft; expected one of: election_safety, leader_append_only, log_matching, leader_completeness, state_machine_safety, commit_index_monotonic, applied_prefix_agreement, history_well_formed, no_progress, resource_limit",
    ),
    (
        "tour_step_past_the_end",
        r#"name = "x"
algorithm = "raft"
duration = "2s"
[[tour]]
title = "t"
text = "x"
at = "3s"
"#,
        "7:6: error: found 3s, after the end of the run (2s); expected a time within it",
    ),
    (
        "unknown_top_level_field",
        r#"name = "x"
algorithm = "gossip"
colour = "red"
"#,
        "3:1: error: unknown field `colour`, expected one of `name`, `description`, `lesson`, `algorithm`, `servers`, `duration`, `seed`, `expect`, `params`, `network`, `topology`, `clients`, `faults`, `nemesis`, `checks`, `replay`, `explore`, `tour`",
    ),
    (
        "misspelled_section",
        r#"name = "x"
algorithm = "gossip"
[netwrok]
loss = 0.1
"#,
        "3:2: error: unknown field `netwrok`, expected one of `name`, `description`, `lesson`, `algorithm`, `servers`, `duration`, `seed`, `expect`, `params`, `network`, `topology`, `clients`, `faults`, `nemesis`, `checks`, `replay`, `explore`, `tour`",
    ),
    (
        "servers_wrong_type",
        r#"name = "x"
algorithm = "gossip"
servers = "three"
"#,
        "3:11: error: found the string \"three\", expected a whole number like 3",
    ),
    (
        "servers_zero",
        r#"name = "x"
algorithm = "gossip"
servers = 0
"#,
        "3:11: error: found 0 servers, expected at least 1",
    ),
    (
        "servers_negative",
        r#"name = "x"
algorithm = "gossip"
servers = -2
"#,
        "3:11: error: found -2, expected a whole number from 0 to 4294967295",
    ),
    (
        "negative_duration",
        r#"name = "x"
algorithm = "gossip"
duration = "-2s"
"#,
        "3:12: error: found \"-2s\", a negative duration; expected a duration of zero or more",
    ),
    (
        "duration_without_unit",
        r#"name = "x"
algorithm = "gossip"
duration = "10"
"#,
        "3:12: error: found unit \"\" in \"10\", expected a duration like \"150ms\", \"2s\" or \"1.5s\" (units: ns, us, ms, s, m, h)",
    ),
    (
        "duration_as_number",
        r#"name = "x"
algorithm = "gossip"
duration = 10
"#,
        "3:12: error: found the integer 10, expected a duration string like \"150ms\" or \"2s\"",
    ),
    (
        "missing_name",
        r#"algorithm = "gossip"
"#,
        "1:1: error: missing field `name`",
    ),
    (
        "unknown_algorithm",
        r#"name = "x"
algorithm = "raft2"
"#,
        "2:13: error: unknown algorithm `raft2`; expected one of: {algorithms}",
    ),
    (
        "toml_syntax_error",
        r#"name = "x
algorithm = "gossip"
"#,
        "1:10: error: invalid basic string, expected `\"`",
    ),
    (
        "fanout_larger_than_cluster",
        r#"name = "x"
algorithm = "gossip"
servers = 3

[params]
fanout = 5
"#,
        "6:1: error: fanout is 5, but it must be between 1 and the number of other servers (2)",
    ),
    (
        "unknown_param",
        r#"name = "x"
algorithm = "pingstorm"
[params]
inital = 20
"#,
        "4:1: error: unknown field `inital`, expected `initial` or `bug`",
    ),
    (
        "param_wrong_type",
        r#"name = "x"
algorithm = "gossip"
[params]
gossip_interval = 50
"#,
        "4:19: error: found the integer 50, expected a string",
    ),
    (
        "unknown_bug_variant",
        r#"name = "x"
algorithm = "gossip"
[params]
bug = "off_by_one"
"#,
        "4:7: error: unknown variant `off_by_one`, expected `volatile_store` or `gossip_once`",
    ),
    (
        "loss_not_a_probability",
        r#"name = "x"
algorithm = "gossip"
[network]
loss = 1.5
"#,
        "4:8: error: loss must be a probability between 0 and 1, found 1.5",
    ),
    (
        "unknown_latency_distribution",
        r#"name = "x"
algorithm = "gossip"
[network]
latency = { dist = "gaussian", mean = "5ms" }
"#,
        "4:20: error: unknown latency distribution `gaussian`; expected one of: constant (value), uniform (min, max), normal (mean, std_dev, optional min), exponential (mean, optional min), long_tail (min, alpha, max)",
    ),
    (
        "latency_field_of_other_dist",
        r#"name = "x"
algorithm = "gossip"
[network]
latency = { dist = "uniform", min = "1ms", mean = "5ms" }
"#,
        "4:51: error: `mean` does not apply to a uniform latency; it takes: min, max",
    ),
    (
        "latency_missing_field",
        r#"name = "x"
algorithm = "gossip"
[network]
latency = { dist = "uniform", min = "1ms" }
"#,
        "4:11: error: a uniform latency needs `max`; it takes: min, max",
    ),
    (
        "latency_min_above_max",
        r#"name = "x"
algorithm = "gossip"
[network]
latency = { dist = "uniform", min = "9ms", max = "1ms" }
"#,
        "4:11: error: uniform latency has min 9ms above max 1ms",
    ),
    (
        "clients_without_count",
        r#"name = "x"
algorithm = "gossip"
[clients]
rate = "10/s"
"#,
        "3:1: error: missing field `count`",
    ),
    (
        "bad_rate",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 2
rate = "50"
"#,
        "5:8: error: found \"50\", expected a rate like \"50/s\" (operations per ms, s, m or h)",
    ),
    (
        "zero_rate",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 2
rate = "0/s"
"#,
        "5:8: error: found \"0/s\", a rate of zero or less; expected a positive rate like \"50/s\"",
    ),
    (
        "empty_mix",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 2
mix = { get = 0 }
"#,
        "5:7: error: every weight of the operation mix is 0; expected at least one of get, put, append, cas above 0",
    ),
    (
        "hot_share_above_100",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 2
hot = 150
"#,
        "5:7: error: found hot = 150, expected a percentage from 0 to 100",
    ),
    (
        "unknown_client_field",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 2
think = "1s"
"#,
        "5:1: error: unknown field `think`, expected one of `count`, `rate`, `max_ops`, `pin`, `keys`, `first_key`, `hot`, `mix`",
    ),
    (
        "client_field_of_another_family",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 2
values = 3
"#,
        "5:1: error: `values` belongs to the consensus operation family (propose(v), which returns the decided value), but gossip's clients use the kv family (get, put, append and cas on string keys); expected one of `count`, `rate`, `max_ops`, `pin`, `keys`, `first_key`, `hot`, `mix`",
    ),
    (
        "clients_for_an_algorithm_without_operations",
        r#"name = "x"
algorithm = "pingstorm"
[clients]
count = 2
"#,
        "3:1: error: pingstorm has no client operations (its operation family is `none`); expected no [clients] section",
    ),
    (
        "node_out_of_range",
        r#"name = "x"
algorithm = "gossip"
servers = 3

[[faults]]
at = "1s"
kind = "crash"
node = 7
"#,
        "8:8: error: node 7 does not exist: this scenario has servers n0..n2 and no clients",
    ),
    (
        "node_out_of_range_in_group",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "partition"
groups = [[0, 1], [2, 3]]
"#,
        "6:23: error: node 3 does not exist: this scenario has servers n0..n2 and no clients",
    ),
    (
        "node_in_two_groups",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "partition"
groups = [[0, 1], [1, 2]]
"#,
        "6:20: error: node 1 is in two groups; expected each node on one side of the partition",
    ),
    (
        "bad_node_name",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "isolate"
node = "x2"
"#,
        "6:8: error: found \"x2\"; expected a node id like 2 or \"n2\", or a role (this algorithm publishes no roles)",
    ),
    (
        "fault_after_end",
        r#"name = "x"
algorithm = "gossip"
duration = "5s"

[[faults]]
at = "6s"
kind = "heal"
"#,
        "6:6: error: found a fault at 6s, after the end of the run at 5s; expected a time from 0s to 5s",
    ),
    (
        "fault_without_time",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
kind = "heal"
"#,
        "3:1: error: missing field `at`",
    ),
    (
        "unknown_fault_kind",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "meteor"
"#,
        "5:8: error: unknown fault kind `meteor`; expected one of: partition, partition_one_way, isolate, heal, reconnect, crash, restart, clock_offset, clock_drift, clock_step, link, drop_message, cut_region, reconnect_region, isolate_rack, reconnect_rack, crash_rack, restart_rack",
    ),
    (
        "field_of_other_fault_kind",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "heal"
node = 1
"#,
        "6:8: error: `node` does not apply to a `heal` fault; it takes: at, after_event",
    ),
    (
        "fault_missing_node",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "crash"
"#,
        "5:8: error: a `crash` fault needs `node`; it takes: at, after_event, node",
    ),
    (
        "unknown_fault_field",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "crash"
node = 1
when = "now"
"#,
        "7:1: error: unknown field `when`, expected one of `at`, `after_event`, `kind`, `node`, `groups`, `from`, `to`, `offset`, `ppm`, `delta`, `latency`, `loss`, `duplicate`, `reorder`, `message`, `region`, `rack`",
    ),
    (
        "link_fault_changes_nothing",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "link"
from = 0
"#,
        "5:8: error: a `link` fault changes nothing; expected at least one of latency, loss, duplicate, reorder",
    ),
    (
        "drift_out_of_range",
        r#"name = "x"
algorithm = "gossip"
[[faults]]
at = "1s"
kind = "clock_drift"
node = 0
ppm = 900000
"#,
        "7:7: error: found a drift of 900000ppm, expected between -500000 and 500000",
    ),
    (
        "unknown_nemesis_kind",
        r#"name = "x"
algorithm = "gossip"
[nemesis]
kinds = ["partition", "meteor"]
"#,
        "4:23: error: unknown nemesis fault kind `meteor`; expected one of: partition, partition_one_way, isolate, crash, clock_offset, clock_drift, clock_step, lossy_links, crash_leader, isolate_leader",
    ),
    (
        "nemesis_stop_after_end",
        r#"name = "x"
algorithm = "gossip"
duration = "5s"

[nemesis]
kinds = ["crash"]
stop = "9s"
"#,
        "7:8: error: found stop = 9s, after the end of the run at 5s; expected at most 5s",
    ),
    (
        "nemesis_min_above_max",
        r#"name = "x"
algorithm = "gossip"
[nemesis]
kinds = ["crash"]
min_duration = "2s"
max_duration = "1s"
"#,
        "5:16: error: min_duration 2s is above max_duration 1s; expected min_duration <= max_duration",
    ),
    (
        "unknown_invariant",
        r#"name = "x"
algorithm = "gossip"
[checks]
invariants = ["convergence", "safety"]
"#,
        "4:30: error: unknown invariant `safety`; gossip has: acked_values_survive, convergence",
    ),
    (
        "unknown_expected_outcome",
        r#"name = "x"
algorithm = "gossip"
expect = "safety"
"#,
        "3:10: error: unknown outcome `safety`; expected one of: pass, acked_values_survive, convergence, linearizability, liveness, durability, sessions, stale_reads",
    ),
    (
        "expect_unselected_invariant",
        r#"name = "x"
algorithm = "gossip"
expect = "convergence"

[checks]
invariants = ["acked_values_survive"]
"#,
        "3:10: error: invariant `convergence` is not among the invariants selected in [checks]",
    ),
    (
        "linearizability_without_clients",
        r#"name = "x"
algorithm = "gossip"
[checks]
linearizability = true
"#,
        "4:19: error: linearizability checks the clients' history, but this scenario has no clients; expected a [clients] section",
    ),
    (
        "liveness_does_not_fit",
        r#"name = "x"
algorithm = "gossip"
duration = "5s"

[clients]
count = 1

[[faults]]
at = "4s"
kind = "heal"

[checks]
liveness = "2s"
"#,
        "13:12: error: the liveness bound 2s leaves no operation to judge: the last fault can be at 4s and the run ends at 5s; expected a bound of at most 1s (or a longer run)",
    ),
    (
        "negative_seed",
        r#"name = "x"
algorithm = "gossip"
seed = -1
"#,
        "3:8: error: found -1, expected a seed of 0 or more",
    ),
    (
        "params_not_a_table",
        r#"name = "x"
algorithm = "gossip"
params = 3
"#,
        "3:10: error: found the integer 3, expected a table",
    ),
    (
        "bad_replay_fingerprint",
        r#"name = "x"
algorithm = "gossip"
[replay]
fingerprint = "abc"
outcome = "pass"
"#,
        "4:15: error: found \"abc\", expected a fingerprint: 0x and 1 to 16 hexadecimal digits, like \"0x5c1e0d3f9a1b2c4d\"",
    ),
    (
        "signed_replay_fingerprint",
        r#"name = "x"
algorithm = "gossip"
[replay]
fingerprint = "0x+d52362c1496274a"
outcome = "pass"
"#,
        "4:15: error: found \"0x+d52362c1496274a\", expected a fingerprint: 0x and 1 to 16 hexadecimal digits, like \"0x5c1e0d3f9a1b2c4d\"",
    ),
    (
        "empty_replay_fingerprint",
        r#"name = "x"
algorithm = "gossip"
[replay]
fingerprint = "0x"
outcome = "pass"
"#,
        "4:15: error: found \"0x\", expected a fingerprint: 0x and 1 to 16 hexadecimal digits, like \"0x5c1e0d3f9a1b2c4d\"",
    ),
    (
        "long_replay_fingerprint",
        r#"name = "x"
algorithm = "gossip"
[replay]
fingerprint = "0x00d52362c1496274a"
outcome = "pass"
"#,
        "4:15: error: found \"0x00d52362c1496274a\", expected a fingerprint: 0x and 1 to 16 hexadecimal digits, like \"0x5c1e0d3f9a1b2c4d\"",
    ),
    (
        "unknown_replay_outcome",
        r#"name = "x"
algorithm = "gossip"
[replay]
fingerprint = "0xd52362c1496274a"
outcome = "banana"
"#,
        "5:11: error: unknown outcome \"banana\"; a run of gossip ends in one of: pass, acked_values_survive, convergence, history_well_formed, no_progress, resource_limit, linearizability, liveness, durability, sessions, stale_reads",
    ),
    (
        "operation_mix_not_a_table",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 1
mix = 3
"#,
        "5:7: error: found the integer 3, expected an operation mix: a table of weights like { get = 1, put = 3 }",
    ),
    (
        "date_time_as_a_table",
        r#"name = "x"
algorithm = "gossip"
[clients]
count = 1
mix = 1979-05-27T07:32:00Z
"#,
        "5:7: error: found the date-time 1979-05-27T07:32:00Z, which is not allowed here; expected a table with the keys `get`, `put`, `append`, `cas`",
    ),
    (
        "empty_table_for_a_name",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
placement = {}
"#,
        "4:13: error: found an empty table, expected one of this setting's names, as a string",
    ),
    // Limits (docs/scenarios.md, "Limits"): each was a panic, an abort on
    // allocation or a run that never ended.
    (
        "servers_wrap_a_u32",
        r#"name = "x"
algorithm = "gossip"
servers = 4294967295
[clients]
count = 3
mix = { put = 1 }
"#,
        "3:11: error: found 4294967295 servers; expected at most 1000 nodes, servers and clients together (the network keeps state for every pair of nodes)",
    ),
    (
        "five_thousand_servers",
        r#"name = "x"
algorithm = "raft"
servers = 5000
"#,
        "3:11: error: found 5000 servers; expected at most 1000 nodes, servers and clients together (the network keeps state for every pair of nodes)",
    ),
    (
        "a_hundred_thousand_clients",
        r#"name = "x"
algorithm = "raft"
[clients]
count = 100000
"#,
        "4:9: error: found 100000 clients beside 3 servers, 100003 nodes; expected at most 1000 nodes, servers and clients together (the network keeps state for every pair of nodes)",
    ),
    (
        "one_node_too_many",
        r#"name = "x"
algorithm = "raft"
servers = 4
[clients]
count = 997
max_ops = 1
"#,
        "5:9: error: found 997 clients beside 4 servers, 1001 nodes; expected at most 1000 nodes, servers and clients together (the network keeps state for every pair of nodes)",
    ),
    (
        "ring_weight_1e308",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
weights = [1e308]
"#,
        "4:1: error: the rings would hold over 1.8e19 virtual-node points (over 1.8e19 per ring for 3 servers at vnodes = 64, in 1 membership version); expected at most 2000000: lower vnodes or weights",
    ),
    (
        "ring_weight_1e12",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
weights = [1e12]
"#,
        "4:1: error: the rings would hold 64000000000128 virtual-node points (64000000000128 per ring for 3 servers at vnodes = 64, in 1 membership version); expected at most 2000000: lower vnodes or weights",
    ),
    (
        "ring_vnodes_u32_max",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
vnodes = 4294967295
"#,
        "4:1: error: the rings would hold 12884901885 virtual-node points (12884901885 per ring for 3 servers at vnodes = 4294967295, in 1 membership version); expected at most 2000000: lower vnodes or weights",
    ),
    (
        "nemesis_every_nanosecond",
        r#"name = "x"
algorithm = "raft"
[nemesis]
kinds = ["crash"]
interval = "1ns"
min_duration = "0s"
max_duration = "0s"
"#,
        "5:12: error: the nemesis would draw about 10000000000 faults (a mean gap of 1ns over 10s); expected at most 10000 in one run: an interval of at least 1ms (or a shorter window)",
    ),
    (
        "nemesis_swarm_counts_a_quarter_gap",
        r#"name = "x"
algorithm = "raft"
[nemesis]
kinds = ["crash"]
interval = "2ms"
swarm = true
"#,
        "5:12: error: the nemesis would draw about 20000 faults (a mean gap of 2ms over 10s, a quarter of it with swarm); expected at most 10000 in one run: an interval of at least 4ms (or a shorter window)",
    ),
    (
        "raft_nanosecond_timers",
        r#"name = "x"
algorithm = "raft"
[params]
election_timeout_min = "2ns"
election_timeout_max = "3ns"
heartbeat_interval = "1ns"
"#,
        "4:1: error: election_timeout_min is 2ns, but it must be at least 1us (a shorter timer fires millions of times per simulated second)",
    ),
    (
        "multi_paxos_nanosecond_heartbeats",
        r#"name = "x"
algorithm = "multi-paxos"
[params]
heartbeat_interval = "10ns"
"#,
        "4:1: error: heartbeat_interval is 10ns, but it must be at least 1us (a shorter timer fires millions of times per simulated second)",
    ),
    (
        "multi_paxos_client_backoff_zero",
        r#"name = "x"
algorithm = "multi-paxos"
[params]
client_backoff = "0s"
"#,
        "4:1: error: client_backoff must be above zero",
    ),
    (
        "chain_lease_not_above_heartbeat",
        r#"name = "x"
algorithm = "chain"
[params]
lease = "50ms"
"#,
        "4:1: error: lease is 50ms, but it must be above heartbeat_interval (50ms), or healthy servers are suspected or lose their lease between pings",
    ),
    (
        "chain_without_a_chain",
        r#"name = "x"
algorithm = "chain"
servers = 1
"#,
        "3:11: error: chain replication needs at least 2 servers: the master (n0) and a chain of one",
    ),
    (
        "chain_dirty_read_bug_without_craq",
        r#"name = "x"
algorithm = "chain"
[params]
bug = "craq_dirty_read"
"#,
        "4:1: error: the craq_dirty_read bug needs reads = \"craq\"",
    ),
    (
        "chain_unknown_read_mode",
        r#"name = "x"
algorithm = "chain"
[params]
reads = "head"
"#,
        "4:9: error: unknown variant `head`, expected `tail` or `craq`",
    ),
    (
        "async_replica_more_sync_replicas_than_replicas",
        r#"name = "x"
algorithm = "async-replica"
servers = 4
[params]
sync_replicas = 3
"#,
        "5:1: error: sync_replicas is 3, but with 4 servers there are only 2 replicas (n0 is the monitor, one server the primary)",
    ),
    (
        "async_replica_without_a_replica",
        r#"name = "x"
algorithm = "async-replica"
servers = 2
"#,
        "3:11: error: async-replica needs at least 3 servers: the monitor (n0), the primary (n1) and a replica",
    ),
    (
        "async_replica_token_bug_without_sessions",
        r#"name = "x"
algorithm = "async-replica"
[params]
bug = "ignore_session_token"
"#,
        "4:1: error: the ignore_session_token bug needs sessions = true (without sessions there is no token to ignore)",
    ),
    (
        "async_replica_unknown_read_target",
        r#"name = "x"
algorithm = "async-replica"
[params]
reads = "monitor"
"#,
        "4:9: error: unknown variant `monitor`, expected `replica` or `primary`",
    ),
    (
        "quorum_more_replicas_than_servers",
        r#"name = "x"
algorithm = "quorum"
servers = 3
[params]
n = 4
"#,
        "5:1: error: n is 4, but it must be from 1 to the number of servers (3)",
    ),
    (
        "quorum_write_quorum_above_n",
        r#"name = "x"
algorithm = "quorum"
[params]
n = 2
w = 3
"#,
        "5:1: error: w is 3, but it must be from 1 to n (2)",
    ),
    (
        "quorum_hint_bug_on_a_strict_quorum",
        r#"name = "x"
algorithm = "quorum"
[params]
bug = "hint_dropped_on_handoff"
"#,
        "4:1: error: the hint_dropped_on_handoff bug needs sloppy = true (strict quorums keep no hints)",
    ),
    (
        "quorum_unknown_conflict_mode",
        r#"name = "x"
algorithm = "quorum"
[params]
conflicts = "crdt"
"#,
        "4:13: error: unknown variant `crdt`, expected `lww` or `vv`",
    ),
    (
        "quorum_replica_timeout_not_below_coordinator_timeout",
        r#"name = "x"
algorithm = "quorum"
[params]
replica_timeout = "1s"
"#,
        "4:1: error: replica_timeout is 1s, but it must be below coordinator_timeout (400ms), or no replica is ever counted silent in time",
    ),
    (
        "paxos_nanosecond_phase_timeout",
        r#"name = "x"
algorithm = "paxos"
[params]
phase_timeout = "5ns"
"#,
        "4:1: error: phase_timeout is 5ns, but it must be at least 1us (a shorter timer fires millions of times per simulated second)",
    ),
    (
        "ping_storm_of_a_hundred_million",
        r#"name = "x"
algorithm = "pingstorm"
[params]
initial = 100000000
"#,
        "4:1: error: initial is 100000000, but at most 100000 pings may be put in flight (each is an event waiting in the queue)",
    ),
    (
        "clock_step_to_the_end_of_time",
        r#"name = "x"
algorithm = "raft"
[[faults]]
at = "1s"
kind = "clock_step"
node = 0
delta = "9223372036854775807ns"
"#,
        "7:9: error: found delta = 9223372036.854775807s; expected a clock jump between -8760h and 8760h (365 days: further jumps teach nothing more, and could run a clock past the end of its range)",
    ),
    (
        "clock_offset_to_the_end_of_time",
        r#"name = "x"
algorithm = "raft"
[[faults]]
at = "1s"
kind = "clock_offset"
node = 0
offset = "9223372036854775807ns"
"#,
        "7:10: error: found offset = 9223372036.854775807s; expected a clock jump between -8760h and 8760h (365 days: further jumps teach nothing more, and could run a clock past the end of its range)",
    ),
    (
        "nemesis_clock_steps_of_centuries",
        r#"name = "x"
algorithm = "raft"
[nemesis]
kinds = ["clock_step"]
max_clock_step = "2000000h"
"#,
        "5:18: error: found max_clock_step = 2000000h; expected at most 8760h (365 days: further jumps teach nothing more, and could run a clock past the end of its range)",
    ),
    (
        "a_thousand_hours_of_clients",
        r#"name = "x"
algorithm = "raft"
duration = "1000h"
[clients]
count = 2
"#,
        "5:9: error: 2 clients would make about 360000000 operations in 1000h at a mean think time of 20ms; expected at most 1000000 in one run (the history keeps every operation): lower count or rate, set max_ops, or shorten the run",
    ),
    (
        "drift_of_i64_min",
        r#"name = "x"
algorithm = "raft"
[[faults]]
at = "1s"
kind = "clock_drift"
node = 0
ppm = -9223372036854775808
"#,
        "7:7: error: found a drift of -9223372036854775808ppm, expected between -500000 and 500000",
    ),
    (
        "movement_budget_negative",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
movement_budget = -0.5
"#,
        "4:1: error: movement_budget is -0.5, but it must be a fraction of the keys from 0 to 1",
    ),
    (
        "movement_budget_nan",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
movement_budget = nan
"#,
        "4:1: error: movement_budget is NaN, but it must be a fraction of the keys from 0 to 1",
    ),
    (
        "movement_budget_infinite",
        r#"name = "x"
algorithm = "sharded-kv"
[params]
movement_budget = inf
"#,
        "4:1: error: movement_budget is inf, but it must be a fraction of the keys from 0 to 1",
    ),
    (
        "seed_with_a_plus_sign",
        r#"name = "x"
algorithm = "raft"
seed = "+5"
"#,
        "3:8: error: found \"+5\", expected a seed: an integer from 0 to 18446744073709551615 (decimal or 0x hex, no sign or spaces)",
    ),
    (
        "check_over_time_unknown_observable",
        r#"name = "x"
algorithm = "raft"
[[checks.during]]
name = "one_leader"
observe = "leaders"
count = 1
"#,
        "5:11: error: unknown observable `leaders`; raft publishes: leader, follower, term, commit_index, last_index",
    ),
    (
        "check_over_time_window_never_opens",
        r#"name = "x"
algorithm = "raft"
[[checks.during]]
name = "quiet"
observe = "term"
unchanged = true
from = "heal"
"#,
        "7:8: error: no `heal` fault can apply in this scenario (neither [[faults]] nor [nemesis] makes one), so this window never opens or closes there; expected a fault kind the scenario applies, or a time",
    ),
    (
        "coverage_unknown_event",
        r#"name = "x"
algorithm = "raft"
[[checks.happens]]
event = "snapshot"
"#,
        "4:9: error: unknown event `snapshot`; raft reports: leader_elected, snapshot_installed, snapshot_taken, entries_overwritten",
    ),
    (
        "fault_aimed_at_an_unknown_role",
        r#"name = "x"
algorithm = "raft"
[[faults]]
at = "1s"
kind = "crash"
node = "primary"
"#,
        "6:8: error: found \"primary\"; expected a node id like 2 or \"n2\", or a role (this algorithm's roles are: leader, follower)",
    ),
    (
        "overlap_with_a_partition",
        r#"name = "x"
algorithm = "raft"
[nemesis]
kinds = ["crash", "partition"]
overlap = true
"#,
        "4:19: error: `partition` cannot overlap other faults (its undo would undo theirs, or could not tell its server from theirs); with overlap = true expected kinds that draw one server: isolate, crash, clock_offset, clock_drift, clock_step",
    ),
    (
        "share_without_a_percent",
        r#"name = "x"
algorithm = "raft"
expect = { outcome = "election_safety", at_least = "half" }
"#,
        "3:52: error: found \"half\"; expected a share of seeds like \"50%\" or \"12.5%\", above 0% and at most 100%",
    ),
    (
        "topology_server_not_placed",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
nodes = [0, 1]
"#,
        "4:1: error: n2 is not placed; expected every server (n0..n2) in exactly one region or rack",
    ),
    (
        "topology_server_placed_twice",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
nodes = [0, 1]
[[topology.regions]]
name = "eu"
racks = [{ name = "eu-1", nodes = ["n1", 2] }]
"#,
        "9:36: error: n1 is placed twice (it is already in `us`); expected every server in exactly one place",
    ),
    (
        "topology_client_listed_in_a_region",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
nodes = [0, 1, 2, 3]
[clients]
count = 1
"#,
        "6:19: error: n3 is a client; regions and racks list servers (n0..n2), and the clients sit where `[topology] clients` says",
    ),
    (
        "topology_link_to_an_unknown_region",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
nodes = [0, 1, 2]
[[topology.links]]
between = ["us", "mars"]
latency = "10ms"
"#,
        "8:18: error: unknown place `mars`; the regions are: us",
    ),
    (
        "topology_regions_without_a_path",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
nodes = [0]
[[topology.regions]]
name = "eu"
nodes = [1]
[[topology.regions]]
name = "ap"
nodes = [2]
[[topology.links]]
between = ["us", "eu"]
latency = { dist = "uniform", min = "10ms", max = "20ms" }
"#,
        "11:8: error: no path of [[topology.links]] joins region `us` and region `ap`; expected every two regions joined, directly or through others, since their nodes talk",
    ),
    (
        "topology_name_used_twice",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
racks = [{ name = "us", nodes = [0, 1, 2] }]
"#,
        "6:19: error: the name `us` is already a region; expected every region and rack named once",
    ),
    (
        "topology_unknown_field",
        r#"name = "x"
algorithm = "raft"
[topology]
colour = "red"
[[topology.regions]]
name = "us"
nodes = [0, 1, 2]
"#,
        "4:1: error: unknown field `colour`, expected one of `clients`, `regions`, `links`",
    ),
    (
        "cut_region_without_a_topology",
        r#"name = "x"
algorithm = "raft"
[[faults]]
at = "1s"
kind = "cut_region"
region = "eu"
"#,
        "5:8: error: a `cut_region` fault names a region, but this scenario has no [topology]; expected a [topology] table with its regions",
    ),
    (
        "cut_region_naming_a_rack",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
racks = [{ name = "r1", nodes = [0, 1] }, { name = "r2", nodes = [2] }]
[[faults]]
at = "1s"
kind = "cut_region"
region = "r1"
"#,
        "10:10: error: `r1` is a rack; expected a region (the regions are: us)",
    ),
    (
        "isolate_rack_naming_an_unknown_rack",
        r#"name = "x"
algorithm = "raft"
[topology]
[[topology.regions]]
name = "us"
racks = [{ name = "r1", nodes = [0, 1] }, { name = "r2", nodes = [2] }]
[[faults]]
at = "1s"
kind = "isolate_rack"
rack = "r3"
"#,
        "10:8: error: unknown place `r3`; the racks are: r1, r2",
    ),
    (
        "region_field_on_another_fault",
        r#"name = "x"
algorithm = "raft"
[[faults]]
at = "1s"
kind = "crash"
node = 1
region = "us"
"#,
        "7:10: error: `region` does not apply to a `crash` fault; it takes: at, after_event, node",
    ),
    (
        "rack_aware_without_racks",
        r#"name = "x"
algorithm = "sharded-kv"
[topology]
[[topology.regions]]
name = "us"
nodes = [0, 1, 2]
[params]
rack_aware = true
"#,
        "8:1: error: rack_aware = true spreads replicas over racks, but the scenario's [topology] declares no racks; expected [[topology.regions]] with racks = [{ name = ..., nodes = [...] }]",
    ),
];

fn registered() -> String {
    let names: Vec<&str> = faultline_algorithms::registry::algorithms()
        .iter()
        .map(|a| a.name())
        .collect();
    names.join(", ")
}

#[test]
fn malformed_scenarios_are_rejected_with_their_location() {
    assert!(CASES.len() >= 20);
    let dir = scratch("malformed");
    let mut wrong = Vec::new();
    for (stem, text, expected) in CASES {
        let file = format!("{stem}.toml");
        std::fs::write(dir.join(&file), text).unwrap();
        let out = faultline_in(&dir, &["run", &file]);
        let got = stderr(&out);
        let want = format!("{file}:{}", expected.replace("{algorithms}", &registered()));
        if out.status.code() != Some(2) || got.trim_end() != want {
            wrong.push(format!(
                "{stem}: exit {:?}\n  want: {want}\n  got:  {}",
                out.status.code(),
                got.trim_end()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cases differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_command_that_reads_a_scenario_reports_the_same_error() {
    let dir = scratch("malformed-commands");
    std::fs::write(
        dir.join("bad.toml"),
        "name = \"x\"\nalgorithm = \"gossip\"\nservers = 0\n",
    )
    .unwrap();
    let want = "bad.toml:3:11: error: found 0 servers, expected at least 1";
    for args in [
        vec!["run", "bad.toml"],
        vec!["check", "bad.toml", "--seeds", "0..3"],
        vec!["replay", "bad.toml"],
        vec!["export", "bad.toml", "--format", "jsonl"],
        vec!["gui", "bad.toml"],
    ] {
        let out = faultline_in(&dir, &args);
        assert_exit(&out, 2);
        assert_eq!(stderr(&out).trim_end(), want, "{args:?}");
    }
}

#[test]
fn a_scenario_that_is_not_utf8_is_located_at_the_first_bad_byte() {
    let dir = scratch("malformed-utf8");
    std::fs::write(
        dir.join("bad.toml"),
        b"name = \"x\"\nalgorithm = \"go\xffssip\"\n",
    )
    .unwrap();
    let want = "bad.toml:2:16: error: found the byte 0xff, which is not UTF-8 text; expected a text file in UTF-8";
    for args in [
        vec!["run", "bad.toml"],
        vec!["check", "bad.toml", "--seeds", "0..3"],
        vec!["replay", "bad.toml"],
        vec!["export", "bad.toml", "--format", "jsonl"],
    ] {
        let out = faultline_in(&dir, &args);
        assert_exit(&out, 2);
        assert_eq!(stderr(&out).trim_end(), want, "{args:?}");
    }
}

#[test]
fn a_huge_value_is_not_echoed_whole() {
    let dir = scratch("malformed-huge");
    let huge = "q".repeat(200_000);
    for (name, text) in [
        (
            "algorithm.toml",
            format!("name = \"x\"\nalgorithm = \"{huge}\"\n"),
        ),
        (
            "duration.toml",
            format!("name = \"x\"\nalgorithm = \"gossip\"\nduration = \"{huge}\"\n"),
        ),
        (
            "field.toml",
            format!("name = \"x\"\nalgorithm = \"gossip\"\n{huge} = 1\n"),
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let out = faultline_in(&dir, &["run", name]);
        assert_exit(&out, 2);
        let shown = stderr(&out);
        assert!(
            shown.len() < 1_000,
            "{name}: {} bytes of stderr",
            shown.len()
        );
        assert!(
            shown.contains(&format!("{}…", "q".repeat(80))),
            "{name}: {shown}"
        );
    }
}
