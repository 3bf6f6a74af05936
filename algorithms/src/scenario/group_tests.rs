//! Client groups (`[[clients]]`): ids in order, each group's own pacing,
//! mix and key range, pins to a server or a role, and the errors a bad
//! group gets.

use super::*;
use faultline_sim::{NodeId, OpStatus, Pin, RecordKind};

fn scenario(text: &str) -> Scenario {
    Scenario::parse("groups.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn error(text: &str) -> String {
    Scenario::parse("groups.toml", text)
        .expect_err("the file must be refused")
        .to_string()
}

const TWO_GROUPS: &str = r#"
name = "two groups"
algorithm = "raft"
servers = 3
duration = "6s"
seed = 4

[[clients]]
count = 2
rate = "100/s"
keys = 2

[[clients]]
count = 1
rate = "2/s"
keys = 2
first_key = 10
mix = { put = 1 }
"#;

/// Each client's operations, as (input text, status).
fn ops_by_client(h: &dyn faultline_sim::SimHandle) -> BTreeMap<u32, Vec<(String, OpStatus)>> {
    let mut out: BTreeMap<u32, Vec<(String, OpStatus)>> = BTreeMap::new();
    for i in 0..h.op_count() {
        let timing = h.op_timing(i).expect("op");
        let text = h.describe_op(i).expect("op");
        out.entry(timing.client.0)
            .or_default()
            .push((text.input, timing.status));
    }
    out
}

use std::collections::BTreeMap;

#[test]
fn groups_take_client_ids_in_order_with_their_own_pacing_mix_and_keys() {
    let s = scenario(TWO_GROUPS);
    assert_eq!(s.clients, 3);
    assert_eq!(s.groups.len(), 2);
    assert_eq!((s.groups[0].count, s.groups[1].count), (2, 1));
    let mut h = s.build(s.seed, TraceMode::Fingerprint).unwrap();
    h.run();
    let ops = ops_by_client(h.as_ref());
    // Clients n3 and n4 are the first group, n5 the second.
    for client in [3, 4] {
        assert!(
            ops[&client]
                .iter()
                .all(|(op, _)| op.contains(" k0") || op.contains(" k1")),
            "{:?}",
            ops[&client]
        );
    }
    assert!(
        ops[&5]
            .iter()
            .all(|(op, _)| op.starts_with("put k10") || op.starts_with("put k11")),
        "{:?}",
        ops[&5]
    );
    // 100/s against 2/s: the fast clients make many times more requests.
    let fast = ops[&3].len().min(ops[&4].len());
    assert!(fast > 10 * ops[&5].len(), "{fast} vs {}", ops[&5].len());
    // The same file gives the same run.
    let mut again = s.build(s.seed, TraceMode::Fingerprint).unwrap();
    again.run();
    assert_eq!(h.fingerprint(), again.fingerprint());
}

/// The server each client request of `clients` was first sent to, with
/// the event that sent it, stepping the run to its end; `check` sees the
/// world right after each such event.
fn first_sends(
    h: &mut dyn faultline_sim::SimHandle,
    clients: &[u32],
    mut check: impl FnMut(&dyn faultline_sim::SimHandle, NodeId),
) -> usize {
    let mut seen = 0;
    let mut sends = 0;
    while h.step() {
        let records = h.records();
        let fresh = &records[seen..];
        seen = records.len();
        let invoked: Vec<(u64, NodeId)> = fresh
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Invoke { client, .. } if clients.contains(&client.0) => {
                    Some((r.event, client))
                }
                _ => None,
            })
            .collect();
        let targets: Vec<NodeId> = fresh
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Send { from, to, .. }
                    if invoked.iter().any(|(e, c)| *e == r.event && *c == from) =>
                {
                    Some(to)
                }
                _ => None,
            })
            .collect();
        for to in targets {
            sends += 1;
            check(&*h, to);
        }
    }
    sends
}

#[test]
fn a_group_pinned_to_a_server_sends_there_and_gets_no_answer_when_it_is_cut_off() {
    let text = r#"
name = "pinned to n2"
algorithm = "raft"
servers = 3
duration = "8s"
seed = 2

[params]
client_give_up = "1s"

[[clients]]
count = 2
rate = "20/s"

[[clients]]
count = 2
rate = "20/s"
pin = "n2"
mix = { put = 1 }

[[faults]]
at = "3s"
kind = "isolate"
node = 2
"#;
    let s = scenario(text);
    assert_eq!(s.groups[1].pin, Some(Pin::Node(NodeId(2))));
    let mut h = s.build(s.seed, TraceMode::Full).unwrap();
    let sends = first_sends(h.as_mut(), &[5, 6], |_, to| assert_eq!(to, NodeId(2)));
    // n2 may be a follower, which answers "not the leader" until the
    // client gives up: a few operations, each sent to n2.
    assert!(sends >= 8, "{sends} pinned requests");
    // Every retry goes to n2 as well: no message from n5 or n6 to anyone else.
    for r in h.records() {
        if let RecordKind::Send { from, to, .. } = r.kind
            && (from.0 == 5 || from.0 == 6)
        {
            assert_eq!(to, NodeId(2), "{r:?}");
        }
    }
    // Cut off from the majority, n2 commits nothing: no put of the pinned
    // clients invoked after the cut succeeds, while the others' do.
    let cut = SimTime::from_duration(Duration::from_millis(3100));
    let ok_after = |clients: [u32; 2]| {
        (0..h.op_count())
            .filter_map(|i| h.op_timing(i))
            .filter(|t| clients.contains(&t.client.0) && t.call > cut)
            .filter(|t| t.status == OpStatus::Ok)
            .count()
    };
    assert_eq!(ok_after([5, 6]), 0);
    assert!(ok_after([3, 4]) > 20, "{}", ok_after([3, 4]));
}

#[test]
fn a_group_pinned_to_the_leader_follows_it_through_a_crash() {
    let text = r#"
name = "pinned to the leader"
algorithm = "raft"
servers = 5
duration = "8s"
seed = 3

[[clients]]
count = 2
rate = "20/s"
pin = "leader"

[[faults]]
at = "3s"
kind = "crash"
node = "leader"
"#;
    let s = scenario(text);
    let mut h = s.build(s.seed, TraceMode::Full).unwrap();
    let leader = h
        .observables()
        .iter()
        .position(|o| o.name == "leader")
        .expect("raft publishes leader");
    let mut targets = std::collections::BTreeSet::new();
    let sends = first_sends(h.as_mut(), &[5, 6], |h, to| {
        targets.insert(to);
        let leaders: Vec<u32> = (0..5)
            .filter(|&i| h.observe(NodeId(i), leader).unwrap_or(0) > 0)
            .collect();
        // With a leader known to the kernel, the request goes to it (the
        // highest term's, if two believe they lead).
        if !leaders.is_empty() {
            assert!(leaders.contains(&to.0), "sent to {to}, leaders {leaders:?}");
        }
    });
    assert!(sends > 50, "{sends}");
    let ok = (0..h.op_count())
        .filter(|&i| h.op_timing(i).is_some_and(|t| t.status == OpStatus::Ok))
        .count();
    assert!(ok > 50, "{ok} of {} operations ok", h.op_count());
    // The crash moved the leader, and the group moved with it.
    assert!(targets.len() >= 2, "{targets:?}");
}

#[test]
fn one_clients_table_may_be_pinned_too() {
    let text = TWO_GROUPS.replace(
        "[[clients]]\ncount = 2\nrate = \"100/s\"\nkeys = 2\n\n[[clients]]\ncount = 1\nrate = \"2/s\"\nkeys = 2\nfirst_key = 10\nmix = { put = 1 }\n",
        "[clients]\ncount = 2\npin = 1\n",
    );
    let s = scenario(&text);
    assert_eq!(s.clients, 2);
    assert_eq!(s.groups.len(), 1);
    assert_eq!(s.groups[0].pin, Some(Pin::Node(NodeId(1))));
    // Without a pin, one table needs no groups: the run is as it always was.
    let plain = scenario(&text.replace("pin = 1\n", ""));
    assert!(plain.groups.is_empty());
}

const BASE: &str = r#"
name = "bad group"
algorithm = "raft"
servers = 3
"#;

#[test]
fn a_bad_group_is_refused_with_its_place() {
    let e = error(&format!("{BASE}\n[[clients]]\ncount = 1\npin = 7\n"));
    assert!(
        e.contains("groups.toml:8:7") && e.contains("pin = n7, which is not a server"),
        "{e}"
    );
    assert!(
        e.contains("n0..n2") && e.contains("leader, follower"),
        "{e}"
    );

    let e = error(&format!("{BASE}\n[[clients]]\ncount = 1\npin = \"boss\"\n"));
    assert!(
        e.contains("groups.toml:8:7") && e.contains("pin = \"boss\""),
        "{e}"
    );

    let e = error(&format!(
        "{BASE}\n[[clients]]\ncount = 1\n\n[[clients]]\ncount = 0\n"
    ));
    assert!(
        e.contains("groups.toml:10:9") && e.contains("client group 2"),
        "{e}"
    );

    // A family field in the second group is located in it.
    let e = error(&format!(
        "{BASE}\n[[clients]]\ncount = 1\nkeys = 2\n\n[[clients]]\ncount = 1\nkeys = 0\n"
    ));
    assert!(
        e.contains("groups.toml:12:8") && e.contains("client group 2: found 0 keys"),
        "{e}"
    );
    let e = error(&format!(
        "{BASE}\n[[clients]]\ncount = 1\n\n[[clients]]\ncount = 1\nvaluez = 2\n"
    ));
    assert!(
        e.contains("groups.toml:11:1") && e.contains("unknown field `valuez`"),
        "{e}"
    );
    let e = error(&format!(
        "{BASE}\n[[clients]]\ncount = 1\n\n[[clients]]\ncount = 1\nvalues = 2\n"
    ));
    assert!(
        e.contains("belongs to the consensus operation family"),
        "{e}"
    );

    let e = error(&format!("{BASE}\nclients = []\n"));
    assert!(e.contains("empty list of client groups"), "{e}");

    // Clients that route keys themselves cannot be pinned.
    let e = error(
        "name = \"x\"\nalgorithm = \"sharded-kv\"\nservers = 3\n\n[[clients]]\ncount = 1\npin = 0\n",
    );
    assert!(
        e.contains("groups.toml:7:7") && e.contains("cannot be pinned"),
        "{e}"
    );

    // The operation bound adds the groups up and names the greediest.
    let e = error(&format!(
        "{BASE}duration = \"1h\"\n\n[[clients]]\ncount = 1\n\n[[clients]]\ncount = 500\nrate = \"1000/s\"\n"
    ));
    assert!(
        e.contains("groups.toml:12:8") && e.contains("client group 2 asks for the most"),
        "{e}"
    );
}
