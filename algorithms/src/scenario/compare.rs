//! Comparing systems on one fault schedule: every scenario runs with the
//! same seed, the same network, the same client workload and the same
//! concrete faults (the first scenario's), and each run is measured the
//! same way (`faultline compare`).
//!
//! Sharing a schedule needs the same servers: faults name nodes by id, so
//! every scenario must have as many servers as the one the schedule comes
//! from, and the same operation family (the workload is the first
//! scenario's `[clients]` section).
//!
//! A fault aimed at a role ("crash the leader") is kept for every system
//! that publishes the role. For one that does not, it is *translated*: a
//! fault aimed at the first system's serving role
//! ([`Algorithm::SERVING_ROLE`](crate::Algorithm::SERVING_ROLE): Raft's
//! leader) is aimed at this system's serving role (a primary, a chain's
//! head), so "kill the server that takes the writes" means the same to
//! every system; any other (and any fault at a system with no serving
//! role, a leaderless store) hits the server the first system's run chose.
//! Every translation is listed with the rows ([`Measured::translated`]).

use super::outcome::kv_history;
use super::{RunReport, Scenario, op_timings};
use crate::AlgorithmInfo;
use faultline_checker::weak::check_weak;
use faultline_checker::{KvInput, Outcome};
use faultline_sim::fault::CRASHED;
use faultline_sim::{Fault, FaultSchedule, OpStatus, TraceMode};
use serde::Serialize;

/// How one system fared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measured {
    /// The scenario file.
    pub file: String,
    /// Its algorithm.
    pub algorithm: String,
    /// `pass` or the first failed check.
    pub outcome: String,
    /// The linearizability verdict, when checked.
    pub linearizability: Option<String>,
    /// Acknowledged writes lost (`faultline_checker::weak`; kv family only).
    pub writes_lost: Option<usize>,
    /// Stale reads (kv family only).
    pub stale_reads: Option<usize>,
    /// Session-guarantee violations, all four guarantees (kv family only).
    pub session_violations: Option<usize>,
    /// Operations invoked.
    pub ops: usize,
    /// Operations that completed ok.
    pub ops_ok: usize,
    /// Operations whose outcome stayed unknown.
    pub ops_unknown: usize,
    /// Median latency of ok operations, in milliseconds.
    pub latency_p50_ms: f64,
    /// 99th percentile latency of ok operations, in milliseconds.
    pub latency_p99_ms: f64,
    /// Messages sent per ok operation.
    pub messages_per_ok_op: f64,
    /// Messages sent per acknowledged write (kv family: put, append and
    /// cas that completed ok; other families: per ok operation).
    pub messages_per_ok_write: f64,
    /// After each fault, the time until an operation invoked after it
    /// completed ok, in milliseconds (to the end of the run if none did).
    pub unavailable_ms: Vec<f64>,
    /// The run's fingerprint.
    pub fingerprint: u64,
    /// How the shared faults aimed at roles this system does not publish
    /// were translated for it (`crash aimed at the leader -> aimed at the
    /// head`), in schedule order; empty when none needed it.
    pub translated: Vec<String>,
}

impl Measured {
    /// The longest wait for a successful operation after a fault.
    pub fn worst_unavailable_ms(&self) -> f64 {
        self.unavailable_ms.iter().copied().fold(0.0, f64::max)
    }

    /// The mean wait for a successful operation after a fault.
    pub fn mean_unavailable_ms(&self) -> f64 {
        if self.unavailable_ms.is_empty() {
            0.0
        } else {
            self.unavailable_ms.iter().sum::<f64>() / self.unavailable_ms.len() as f64
        }
    }
}

/// The `q`-quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs every scenario with `seed` on `faults` (the first scenario's
/// schedule for that seed when `None`), with the first scenario's network
/// and clients.
pub fn compare(
    scenarios: &[Scenario],
    seed: u64,
    faults: Option<FaultSchedule>,
) -> Result<Vec<Measured>, String> {
    let first = scenarios
        .first()
        .ok_or("nothing to compare: expected at least one scenario")?;
    let faults = faults.unwrap_or_else(|| first.fault_schedule(seed));
    let first_table = first
        .text
        .parse::<toml::Table>()
        .map_err(|e| format!("{}: {}", first.file, e.message()))?;
    let section = |name: &str| first_table.get(name).cloned();
    let (clients, network) = (section("clients"), section("network"));
    let first_info = first.algorithm.info();
    let family = first_info.family.name;
    let mut out = Vec::new();
    // The first system's schedule as it applied, naming the server each
    // aimed fault hit; known once the first scenario has run.
    let mut applied: Option<FaultSchedule> = None;
    for s in scenarios {
        if s.servers != first.servers {
            return Err(format!(
                "{} has {} servers and {} has {}: one fault schedule cannot serve both, as faults name servers by id; \
                 expected the same number of servers in every scenario",
                first.file, first.servers, s.file, s.servers
            ));
        }
        let their_family = s.algorithm.info().family.name;
        if their_family != family {
            return Err(format!(
                "{} serves {family} operations and {} serves {their_family}: one client workload cannot drive both; \
                 expected scenarios of one operation family",
                first.file, s.file
            ));
        }
        let info = s.algorithm.info();
        let (theirs, translated) = match &applied {
            Some(applied) => translate(&faults, applied, &first_info, &info),
            None => (faults.clone(), Vec::new()),
        };
        let shared = s
            .with_run(&theirs, first.duration, None)
            .and_then(|r| r.with_section("clients", clients.as_ref()))
            .and_then(|r| r.with_section("network", network.as_ref()))
            .map_err(|e| format!("{}: cannot run it on the shared schedule: {e}", s.file))?;
        let mut config = shared.world_config(seed, TraceMode::Fingerprint);
        config.snapshot_every = 0;
        let mut handle = shared.build_with(config).map_err(|e| e.to_string())?;
        handle.run();
        if applied.is_none() {
            applied = Some(handle.fault_schedule());
        }
        let report: RunReport = shared.evaluate(handle.as_ref(), seed);
        // The key-value history, read once: the weak checks (unless the
        // scenario's own checks ran them) and the count of writes.
        let history = kv_history(handle.as_ref());
        let weak = match (&report.weak, &history) {
            (Some(w), _) => Some(w.clone()),
            (None, Some(h)) => Some(check_weak(h)),
            (None, None) => None,
        };
        let timings = op_timings(handle.as_ref());
        let mut latencies: Vec<f64> = timings
            .iter()
            .filter(|t| t.status == OpStatus::Ok)
            .filter_map(|t| {
                t.ret
                    .map(|r| (r.as_nanos() - t.call.as_nanos()) as f64 / 1e6)
            })
            .collect();
        latencies.sort_by(f64::total_cmp);
        let end = shared.end();
        let unavailable_ms = faults
            .iter()
            .map(|f| {
                let t = f.at;
                let recovered = timings
                    .iter()
                    .filter(|o| o.status == OpStatus::Ok && o.call >= t)
                    .filter_map(|o| o.ret)
                    .min()
                    .unwrap_or(end.max(t));
                recovered.saturating_since(t).as_secs_f64() * 1e3
            })
            .collect();
        let ops_ok = latencies.len();
        let writes_ok = match &history {
            Some(history) => history
                .iter()
                .filter(|o| matches!(o.outcome, Outcome::Ok(_)))
                .filter(|o| !matches!(o.input, KvInput::Get { .. }))
                .count(),
            None => ops_ok,
        };
        out.push(Measured {
            file: s.file.clone(),
            algorithm: s.algorithm_name().to_string(),
            outcome: report.outcome().to_string(),
            linearizability: report.linearizability.as_ref().map(|l| l.verdict.clone()),
            writes_lost: weak.as_ref().map(|w| w.durability.lost.len()),
            stale_reads: weak.as_ref().map(|w| w.staleness.stale.len()),
            session_violations: weak.as_ref().map(|w| w.sessions.violations.len()),
            ops: timings.len(),
            ops_ok,
            ops_unknown: timings
                .iter()
                .filter(|t| t.status == OpStatus::Unknown)
                .count(),
            latency_p50_ms: quantile(&latencies, 0.5),
            latency_p99_ms: quantile(&latencies, 0.99),
            messages_per_ok_op: report.stats.sent as f64 / ops_ok.max(1) as f64,
            messages_per_ok_write: report.stats.sent as f64 / writes_ok.max(1) as f64,
            unavailable_ms,
            fingerprint: report.fingerprint,
            translated,
        });
    }
    Ok(out)
}

/// The shared schedule for a system described by `info`: faults aimed at
/// roles it does not publish translated as the module documentation says,
/// with a line for each translation. `applied` is the first system's run
/// of `faults` (each aimed fault naming the server it hit).
fn translate(
    faults: &FaultSchedule,
    applied: &FaultSchedule,
    first: &AlgorithmInfo,
    info: &AlgorithmInfo,
) -> (FaultSchedule, Vec<String>) {
    let publishes = |role: &str| {
        role == CRASHED
            || info
                .observables
                .iter()
                .any(|o| o.kind == faultline_sim::ObservableKind::Role && o.name == role)
    };
    let mut used = vec![false; applied.len()];
    let mut out = FaultSchedule::new();
    let mut notes = Vec::new();
    for f in faults {
        let Fault::Aimed { role, action, .. } = &f.fault else {
            out.push(f.clone());
            continue;
        };
        if publishes(role) {
            out.push(f.clone());
            continue;
        }
        let was = format!("{} at {}", f.fault, f.at);
        if let (Some(ours), Some(theirs)) = (first.serving_role, info.serving_role)
            && ours == role
        {
            let mut g = f.clone();
            g.fault = Fault::Aimed {
                role: theirs.to_string(),
                chosen: None,
                action: action.clone(),
            };
            notes.push(format!(
                "{was} -> aimed at the {theirs} (the role that serves writes)"
            ));
            out.push(g);
            continue;
        }
        // The server the first system's fault hit, matched as the kernel
        // names it: same time, role and action, in order.
        let hit = applied.iter().enumerate().position(|(i, a)| {
            !used[i]
                && a.at == f.at
                && matches!(&a.fault, Fault::Aimed { role: r, action: act, .. } if r == role && act == action)
        });
        let chosen = hit.and_then(|i| {
            used[i] = true;
            match &applied[i].fault {
                Fault::Aimed { chosen, .. } => *chosen,
                _ => None,
            }
        });
        match chosen.and_then(|n| action.with_node(n)) {
            Some(concrete) => {
                notes.push(format!(
                    "{was} -> {concrete} (the server it hit in {})",
                    first.name
                ));
                let mut g = f.clone();
                g.fault = concrete;
                out.push(g);
            }
            None => notes.push(format!(
                "{was} -> left out ({} had no {role} then, so it changed nothing there)",
                first.name
            )),
        }
    }
    (out, notes)
}

/// The comparison as a table, aligned text or Markdown.
pub fn table(rows: &[Measured], markdown: bool) -> String {
    let header = [
        "scenario",
        "algorithm",
        "outcome",
        "ops ok",
        "unknown",
        "p50 ms",
        "p99 ms",
        "msgs/op",
        "msgs/write",
        "worst gap ms",
        "mean gap ms",
        "lost",
        "stale",
        "sessions",
        "linearizable",
    ];
    let count = |n: Option<usize>| n.map_or("-".to_string(), |n| n.to_string());
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.file.clone(),
                r.algorithm.clone(),
                r.outcome.clone(),
                format!("{}/{}", r.ops_ok, r.ops),
                r.ops_unknown.to_string(),
                format!("{:.1}", r.latency_p50_ms),
                format!("{:.1}", r.latency_p99_ms),
                format!("{:.1}", r.messages_per_ok_op),
                format!("{:.1}", r.messages_per_ok_write),
                format!("{:.0}", r.worst_unavailable_ms()),
                format!("{:.0}", r.mean_unavailable_ms()),
                count(r.writes_lost),
                count(r.stale_reads),
                count(r.session_violations),
                match r.linearizability.as_deref() {
                    Some("linearizable") => "yes".to_string(),
                    Some("not linearizable") => "no".to_string(),
                    Some(other) => other.to_string(),
                    None => "-".to_string(),
                },
            ]
        })
        .collect();
    if markdown {
        let mut out = format!("| {} |\n", header.join(" | "));
        out.push_str(&format!(
            "|{}\n",
            header
                .iter()
                .enumerate()
                .map(|(i, _)| if i < 3 { "---|" } else { "---:|" })
                .collect::<String>()
        ));
        for row in cells {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        return out;
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cols: Vec<&str>| -> String {
        cols.iter()
            .enumerate()
            .map(|(i, c)| {
                if i < 3 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(algorithm: &str, servers: u32) -> Scenario {
        let text = format!(
            r#"
name = "compare {algorithm}"
algorithm = "{algorithm}"
servers = {servers}
duration = "4s"
seed = 3

[clients]
count = 2
rate = "20/s"

[[faults]]
at = "1s"
kind = "crash"
node = "leader"

[[faults]]
at = "2s"
kind = "isolate"
node = "follower"

[[faults]]
at = "3s"
kind = "restart"
node = "crashed"
"#
        );
        let text = if algorithm == "raft" {
            text
        } else {
            // Only the first scenario's faults count; the others have none.
            text.split("[[faults]]").next().unwrap().to_string()
        };
        Scenario::parse(&format!("{algorithm}.toml"), &text).unwrap()
    }

    fn crashed(row_faults: &FaultSchedule) -> Vec<String> {
        row_faults.iter().map(|f| f.fault.to_string()).collect()
    }

    /// The leader's crash is aimed at the primary of primary-backup; the
    /// follower's isolation, which has no counterpart, hits the server it
    /// hit in Raft; a leaderless store gets both at Raft's servers; the
    /// kernel's `crashed` role is kept.
    #[test]
    fn aimed_faults_are_translated_per_system() {
        let raft = scenario("raft", 5);
        let faults = raft.fault_schedule(3);
        let rows = compare(
            &[raft, scenario("primary-backup", 5), scenario("gossip", 5)],
            3,
            None,
        )
        .unwrap();
        assert!(rows[0].translated.is_empty(), "{:?}", rows[0].translated);
        let pb = &rows[1].translated;
        assert_eq!(pb.len(), 2, "{pb:?}");
        assert!(pb[0].contains("-> aimed at the primary"), "{pb:?}");
        assert!(pb[1].contains("(the server it hit in raft)"), "{pb:?}");
        let gossip = &rows[2].translated;
        assert_eq!(gossip.len(), 2, "{gossip:?}");
        for t in gossip {
            assert!(t.contains("(the server it hit in raft)"), "{gossip:?}");
        }
        // The translation itself, checked against Raft's own run.
        let first = scenario("raft", 5);
        let mut handle = first.build(3, TraceMode::Fingerprint).unwrap();
        handle.run();
        let applied = handle.fault_schedule();
        let (gossip_faults, _) = translate(
            &faults,
            &applied,
            &first.algorithm.info(),
            &scenario("gossip", 5).algorithm.info(),
        );
        assert_eq!(crashed(&gossip_faults).len(), 3);
        for ((ours, theirs), written) in gossip_faults.iter().zip(&applied).zip(&faults) {
            match &theirs.fault {
                Fault::Aimed {
                    role,
                    chosen: Some(n),
                    action,
                } if role != CRASHED => {
                    assert_eq!(Some(ours.fault.clone()), action.with_node(*n));
                }
                _ => assert_eq!(ours.fault, written.fault),
            }
        }
    }
}
