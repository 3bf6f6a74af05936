//! `[topology]` as a scenario writes it: placement, the links it compiles
//! to, and the faults naming a region or a rack.

use super::*;
use faultline_sim::{Fault, LatencyDist, NodeId};

const THREE_REGIONS: &str = r#"
name = "three regions"
algorithm = "raft"
servers = 5
duration = "3s"

[network]
loss = 0.01

[topology]
clients = "eu"

[[topology.regions]]
name = "us"
nodes = [0, 1]
latency = "1ms"

[[topology.regions]]
name = "eu"
racks = [
  { name = "eu-1", nodes = [2], latency = "0.1ms" },
  { name = "eu-2", nodes = ["n3"] },
]
latency = "2ms"

[[topology.regions]]
name = "ap"
nodes = [4]

[[topology.links]]
between = ["us", "eu"]
latency = "30ms"

[[topology.links]]
between = ["ap", "us"]
latency = { dist = "uniform", min = "40ms", max = "60ms" }
loss = 0.1

[clients]
count = 1

[[faults]]
at = "1s"
kind = "cut_region"
region = "eu"

[[faults]]
at = "1.5s"
kind = "reconnect_region"
region = "eu"

[[faults]]
at = "2s"
kind = "isolate_rack"
rack = "eu-2"

[[faults]]
at = "2.5s"
kind = "crash_rack"
rack = "eu-1"
"#;

fn n(i: u32) -> NodeId {
    NodeId(i)
}

fn constant(ms: u64) -> LatencyDist {
    LatencyDist::Constant {
        value: Duration::from_millis(ms),
    }
}

#[test]
fn place_faults_become_kernel_faults_over_the_place_nodes() {
    let s = Scenario::parse("t.toml", THREE_REGIONS).unwrap();
    let faults: Vec<(SimTime, &Fault)> = s.faults.iter().map(|f| (f.at, &f.fault)).collect();
    let at = |ms| SimTime::from_duration(Duration::from_millis(ms));
    assert_eq!(
        faults,
        vec![
            // eu holds n2, n3 and the client n5; the rest is n0, n1, n4.
            (
                at(1000),
                &Fault::Partition {
                    groups: vec![vec![n(2), n(3), n(5)], vec![n(0), n(1), n(4)]]
                }
            ),
            (at(1500), &Fault::Reconnect { node: n(2) }),
            (at(1500), &Fault::Reconnect { node: n(3) }),
            (at(1500), &Fault::Reconnect { node: n(5) }),
            (
                at(2000),
                &Fault::Partition {
                    groups: vec![vec![n(3)], vec![n(0), n(1), n(2), n(4), n(5)]]
                }
            ),
            (at(2500), &Fault::Crash { node: n(2) }),
        ]
    );
}

#[test]
fn the_world_gets_each_pair_its_place_or_path_settings() {
    let s = Scenario::parse("t.toml", THREE_REGIONS).unwrap();
    let h = s.build(1, faultline_sim::TraceMode::Fingerprint).unwrap();
    let net = h.network();
    // Inside a region, inside a rack (which inherits the [network] loss).
    assert_eq!(net.link_config(n(0), n(1)).latency, constant(1));
    assert_eq!(
        net.link_config(n(2), n(5)).latency,
        constant(2),
        "rack to region"
    );
    assert_eq!(
        net.link_config(n(3), n(2)).latency,
        constant(2),
        "two racks"
    );
    assert_eq!(net.link_config(n(3), n(3)).loss, 0.01);
    // A declared link, both ways.
    assert_eq!(net.link_config(n(0), n(2)).latency, constant(30));
    assert_eq!(net.link_config(n(5), n(1)).latency, constant(30));
    // eu to ap goes through us: both links drawn and added; a loss on
    // either loses the message.
    let path = net.link_config(n(2), n(4));
    assert_eq!(
        path.latency,
        LatencyDist::Sum {
            parts: vec![
                constant(30),
                LatencyDist::Uniform {
                    min: Duration::from_millis(40),
                    max: Duration::from_millis(60)
                }
            ]
        }
    );
    assert!(
        (path.loss - (1.0 - 0.99 * 0.9)).abs() < 1e-12,
        "{}",
        path.loss
    );
}

#[test]
fn a_scenario_without_topology_has_no_link_of_its_own() {
    let text = THREE_REGIONS
        .split("[topology]")
        .next()
        .unwrap()
        .to_string()
        + "[clients]\ncount = 1\n";
    let s = Scenario::parse("t.toml", &text).unwrap();
    assert!(s.topology.is_none());
    assert!(s.link_overrides.is_empty());
    let h = s.build(1, faultline_sim::TraceMode::Fingerprint).unwrap();
    assert_eq!(h.network().overridden_links(), 0);
}

#[test]
fn clients_sit_in_the_first_region_unless_told() {
    let text = THREE_REGIONS.replace("clients = \"eu\"\n", "");
    let s = Scenario::parse("t.toml", &text).unwrap();
    let t = s.topology.as_ref().unwrap();
    assert_eq!(t.region_of(n(5)), t.find("us"));
    assert!(matches!(
        &s.faults[0].fault,
        Fault::Partition { groups } if groups[0] == vec![n(2), n(3)]
    ));
}

#[test]
fn a_cut_region_cuts_exactly_its_links_to_the_rest_both_ways() {
    let s = Scenario::parse("t.toml", THREE_REGIONS).unwrap();
    let mut h = s.build(1, faultline_sim::TraceMode::Fingerprint).unwrap();
    h.run_until_time(SimTime::from_duration(Duration::from_millis(1200)));
    let t = s.topology.as_ref().unwrap();
    let eu = t.find("eu").unwrap();
    let total = h.node_count() as u32;
    let mut cut = 0;
    for a in 0..total {
        for b in 0..total {
            if a == b {
                continue;
            }
            let crosses = t.contains(eu, n(a)) != t.contains(eu, n(b));
            assert_eq!(h.network().is_cut(n(a), n(b)), crosses, "n{a} -> n{b}");
            cut += usize::from(crosses);
        }
    }
    // eu holds 3 nodes (n2, n3, the client n5), the rest 3: 9 pairs, 2 ways.
    assert_eq!(cut, 18);
    // The reconnect at 1.5s restores them all.
    h.run_until_time(SimTime::from_duration(Duration::from_millis(1700)));
    assert!(!h.network().any_cut());
}
