//! Trace export: JSON lines (every record, with message payloads and client
//! operations) and the Chrome trace event format (one track per node, for
//! Perfetto or chrome://tracing). Both run a scenario with the full trace.

use crate::atomic::{write_stdout, write_with};
use crate::cli::{ExportArgs, ExportFormat};
use crate::run::{Outcome, execute, load};
use faultline_algorithms::scenario::Scenario;
use faultline_algorithms::scenario::replay::format_fingerprint;
use faultline_sim::{Fault, NodeId, NodeKind, RecordKind, SimTime, TraceMode};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

pub fn export(args: ExportArgs) -> anyhow::Result<bool> {
    let scenario = load(&args.scenario)?;
    crate::run::refuse_search(&scenario)?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let outcome = execute(&scenario, seed, None, TraceMode::Full)?;
    let fill = |out: &mut dyn Write| match args.format {
        ExportFormat::Jsonl => jsonl(&scenario, &outcome, out),
        ExportFormat::Chrome => chrome(&scenario, &outcome, out),
    };
    match &args.out {
        Some(path) => write_with(path, fill)?,
        None => write_stdout(fill)?,
    }
    if let Some(path) = &args.out {
        errln!(
            "wrote {} records of seed {seed} to {} (outcome {}, fingerprint {})",
            outcome.handle.records().len(),
            path.display(),
            outcome.report.outcome(),
            format_fingerprint(outcome.report.fingerprint)
        );
    }
    Ok(true)
}

/// Writes the trace of a run as JSON lines to `path`.
pub fn write_jsonl(scenario: &Scenario, outcome: &Outcome, path: &Path) -> anyhow::Result<()> {
    write_with(path, |out| jsonl(scenario, outcome, out))
}

/// JSON lines: a `header` line, one line per trace record (sends carry the
/// message `payload`, invokes the operation's `input`, completes its
/// `outcome`), and a `summary` line.
pub fn jsonl(scenario: &Scenario, outcome: &Outcome, out: &mut dyn Write) -> anyhow::Result<()> {
    let h = outcome.handle.as_ref();
    let r = &outcome.report;
    let header = json!({
        "type": "header",
        "scenario": scenario.file,
        "name": scenario.name,
        "algorithm": scenario.algorithm_name(),
        "seed": r.seed,
        "servers": scenario.servers,
        "clients": scenario.clients,
        "end": scenario.end(),
        "time_unit": "ns",
        "operations": h.op_family(),
    });
    writeln!(out, "{header}")?;
    // One field of an operation's JSON (`input`, `outcome`), whatever its family.
    let op_field = |op: faultline_sim::OpId, field: &str| {
        h.op_json(op.0 as usize)
            .and_then(|mut o| o.get_mut(field).map(Value::take))
    };
    for record in h.records() {
        let mut value = serde_json::to_value(record)?;
        let extra = match &record.kind {
            RecordKind::Send { msg, .. } => h.message_json(*msg).map(|p| ("payload", p)),
            RecordKind::Invoke { op, .. } => op_field(*op, "input").map(|v| ("input", v)),
            RecordKind::Complete { op, .. } => op_field(*op, "outcome").map(|v| ("outcome", v)),
            _ => None,
        };
        if let (Some((key, extra)), Value::Object(map)) = (extra, &mut value) {
            map.insert(key.to_string(), extra);
        }
        writeln!(out, "{value}")?;
    }
    let summary = json!({
        "type": "summary",
        "events": r.events,
        "fingerprint": format_fingerprint(r.fingerprint),
        "outcome": r.outcome(),
        "failure": r.failure,
    });
    writeln!(out, "{summary}")?;
    Ok(())
}

fn us(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1000.0
}

/// The Chrome trace event format: process 1 is the run; thread `i` is node
/// `i` (servers, then clients) and one more thread, `network`, holds faults.
/// Client operations and the time a node is down are `X` (complete) events.
/// Sends, deliveries and drops are zero-length `X` slices tied by a flow
/// (`bind_id` = message id, `flow_out` at the send, `flow_in` where it
/// arrived or was dropped), so the viewer draws each message as an arrow
/// between the two nodes' tracks. Everything else is an `i` (instant)
/// event. Times are microseconds.
pub fn chrome(scenario: &Scenario, outcome: &Outcome, out: &mut dyn Write) -> anyhow::Result<()> {
    let h = outcome.handle.as_ref();
    let nodes = h.node_count() as u32;
    let network_tid = nodes;
    let end = outcome.report.time;
    let mut events: Vec<Value> = Vec::new();
    events.push(json!({"ph": "M", "pid": 1, "name": "process_name",
        "args": {"name": format!("{} (seed {})", scenario.name, outcome.report.seed)}}));
    for i in 0..nodes {
        let kind = match h.node_info(NodeId(i)).kind {
            NodeKind::Server => "server",
            NodeKind::Client => "client",
        };
        events.push(json!({"ph": "M", "pid": 1, "tid": i, "name": "thread_name",
            "args": {"name": format!("n{i} {kind}")}}));
        events.push(
            json!({"ph": "M", "pid": 1, "tid": i, "name": "thread_sort_index",
            "args": {"sort_index": i}}),
        );
    }
    events.push(
        json!({"ph": "M", "pid": 1, "tid": network_tid, "name": "thread_name",
        "args": {"name": "network & faults"}}),
    );
    events.push(
        json!({"ph": "M", "pid": 1, "tid": network_tid, "name": "thread_sort_index",
        "args": {"sort_index": nodes}}),
    );

    let instant = |tid: u32, t: SimTime, name: String, cat: &str, args: Value| json!({"ph": "i", "s": "t", "pid": 1, "tid": tid, "ts": us(t), "name": name, "cat": cat, "args": args});
    let complete = |tid: u32, from: SimTime, to: SimTime, name: String, cat: &str, args: Value| {
        json!({"ph": "X", "pid": 1, "tid": tid, "ts": us(from), "dur": us(to) - us(from),
               "name": name, "cat": cat, "args": args})
    };
    // A zero-length slice at one end of a message's flow arrow.
    let message_end =
        |tid: u32, t: SimTime, name: String, cat: &str, msg: u64, out: bool, args: Value| {
            let mut e = json!({"ph": "X", "pid": 1, "tid": tid, "ts": us(t), "dur": 0.0,
            "name": name, "cat": cat, "bind_id": msg, "args": args});
            e[if out { "flow_out" } else { "flow_in" }] = Value::Bool(true);
            e
        };
    let mut down_since: Vec<Option<SimTime>> = vec![None; nodes as usize];
    for record in h.records() {
        let t = record.time;
        match &record.kind {
            RecordKind::Start { node } => {
                events.push(instant(node.0, t, "start".into(), "node", json!({})));
            }
            RecordKind::Send {
                msg,
                from,
                to,
                deliver_at,
                duplicate_of,
            } => {
                let payload = h.describe_message(*msg).unwrap_or_default();
                events.push(message_end(
                    from.0,
                    t,
                    format!("send → {to}"),
                    "message",
                    msg.0,
                    true,
                    json!({
                    "msg": msg.0, "to": to.to_string(), "deliver_at_us": deliver_at.map(us),
                    "duplicate_of": duplicate_of.map(|m| m.0), "payload": payload}),
                ));
            }
            RecordKind::Deliver {
                msg,
                from,
                to,
                sent_at,
            } => {
                let payload = h.describe_message(*msg).unwrap_or_default();
                events.push(message_end(
                    to.0,
                    t,
                    format!("recv ← {from}"),
                    "message",
                    msg.0,
                    false,
                    json!({
                    "msg": msg.0, "from": from.to_string(), "sent_at_us": us(*sent_at),
                    "latency_us": us(t) - us(*sent_at), "payload": payload}),
                ));
            }
            RecordKind::Drop {
                msg,
                from,
                to,
                reason,
                ..
            } => {
                events.push(message_end(
                    to.0,
                    t,
                    format!("drop {from} → {to} ({reason})"),
                    "drop",
                    msg.0,
                    false,
                    json!({"msg": msg.0}),
                ));
            }
            RecordKind::Timer { node, timer } => {
                events.push(instant(
                    node.0,
                    t,
                    "timer".into(),
                    "timer",
                    json!({"timer": timer.0}),
                ));
            }
            RecordKind::Fault { fault, effective } => {
                events.push(
                    json!({"ph": "i", "s": "g", "pid": 1, "tid": network_tid, "ts": us(t),
                    "name": fault.to_string(), "cat": "fault", "args": {"effective": effective}}),
                );
                match fault.as_ref() {
                    Fault::Crash { node } if *effective => down_since[node.index()] = Some(t),
                    Fault::Restart { node } if *effective => {
                        if let Some(since) = down_since[node.index()].take() {
                            events.push(complete(
                                node.0,
                                since,
                                t,
                                "down".into(),
                                "fault",
                                json!({}),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            RecordKind::Invoke { .. } | RecordKind::Complete { .. } => {}
            RecordKind::Note { node, text } => {
                events.push(instant(node.0, t, text.clone(), "note", json!({})));
            }
            RecordKind::Violation { invariant, reason } => {
                events.push(json!({"ph": "i", "s": "g", "pid": 1, "tid": network_tid, "ts": us(t),
                    "name": format!("VIOLATION {invariant}"), "cat": "violation", "args": {"reason": reason}}));
            }
        }
    }
    for (i, since) in down_since.iter().enumerate() {
        if let Some(since) = since {
            events.push(complete(
                i as u32,
                *since,
                end,
                "down".into(),
                "fault",
                json!({}),
            ));
        }
    }
    // A client has one operation at a time, so its slices never overlap.
    for index in 0..h.op_count() {
        let (Some(op), Some(words), Some(mut json)) =
            (h.op_timing(index), h.describe_op(index), h.op_json(index))
        else {
            continue;
        };
        let ret = op.ret.unwrap_or(end).max(op.call);
        let input = json.get_mut("input").map_or(Value::Null, Value::take);
        let outcome = json.get_mut("outcome").map_or(Value::Null, Value::take);
        events.push(complete(
            op.client.0,
            op.call,
            ret,
            words.input,
            "client",
            json!({ "op": index, "input": input, "outcome": outcome }),
        ));
    }
    let doc = json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "scenario": scenario.file,
            "seed": outcome.report.seed,
            "fingerprint": format_fingerprint(outcome.report.fingerprint),
            "outcome": outcome.report.outcome(),
        },
    });
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
