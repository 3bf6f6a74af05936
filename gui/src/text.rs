//! Human text for records, times and operations, shared by the panels.

use faultline_sim::time::format_nanos;
use faultline_sim::{RecordKind, SimHandle, SimTime, TraceRecord};

/// A time as the lab shows it: seconds with millisecond precision.
pub fn time(t: SimTime) -> String {
    format!("{:.3}s", t.as_secs_f64())
}

/// A duration, short: `850µs`, `8.483ms`, `1.250s`.
pub fn duration(nanos: u64) -> String {
    if nanos < 1_000_000 {
        format!("{:.0}µs", nanos as f64 / 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.3}ms", nanos as f64 / 1e6)
    } else {
        format!("{:.3}s", nanos as f64 / 1e9)
    }
}

/// A signed duration in nanoseconds, short (`+50ms`, `-1.5s`).
pub fn signed(nanos: i64) -> String {
    let s = format_nanos(nanos as i128);
    if nanos > 0 { format!("+{s}") } else { s }
}

/// One line describing a record.
pub fn record(r: &TraceRecord) -> String {
    match &r.kind {
        RecordKind::Start { node } => format!("{node} starts"),
        RecordKind::Send {
            msg,
            from,
            to,
            deliver_at,
            duplicate_of,
        } => {
            let dup = duplicate_of.map_or(String::new(), |d| format!(" (duplicate of #{})", d.0));
            match deliver_at {
                Some(at) => format!(
                    "{from} -> {to} sends #{}{dup}, arrives {}",
                    msg.0,
                    time(*at)
                ),
                None => format!("{from} -> {to} sends #{}{dup}, lost at once", msg.0),
            }
        }
        RecordKind::Deliver {
            msg,
            from,
            to,
            sent_at,
        } => format!(
            "{to} receives #{} from {from} (sent {}, took {})",
            msg.0,
            time(*sent_at),
            duration(r.time.as_nanos().saturating_sub(sent_at.as_nanos()))
        ),
        RecordKind::Drop {
            msg,
            from,
            to,
            reason,
            ..
        } => format!("#{} {from} -> {to} dropped: {reason}", msg.0),
        RecordKind::Timer { node, timer } => format!("{node} timer #{} fires", timer.0),
        RecordKind::Fault { fault, effective } => {
            if *effective {
                format!("fault: {fault}")
            } else {
                format!("fault: {fault} (no effect)")
            }
        }
        RecordKind::Invoke { client, op } => format!("{client} invokes op #{}", op.0),
        RecordKind::Complete { client, op } => format!("{client} completes op #{}", op.0),
        RecordKind::Note { node, text } => format!("{node}: {text}"),
        RecordKind::Violation { invariant, reason } => {
            format!("VIOLATION of {invariant}: {reason}")
        }
    }
}

/// A whole operation on one line, whatever its family.
pub fn operation(handle: &dyn SimHandle, i: usize) -> String {
    let (Some(op), Some(words)) = (handle.op_timing(i), handle.describe_op(i)) else {
        return format!("operation #{i}: not invoked yet");
    };
    let ret = op.ret.map_or("…".to_string(), time);
    format!(
        "client {}: {} [{} – {}] {}",
        op.client,
        words.input,
        time(op.call),
        ret,
        words.outcome
    )
}

/// A file path as the lab shows it: relative to the working directory when
/// it lies under it (`/repo/gui/../scenarios/x.toml` from `/repo/gui` is
/// `../scenarios/x.toml`), so the text is short, the same on every machine,
/// and can be pasted into a shell started there.
pub fn path(p: &std::path::Path) -> String {
    if p.is_absolute()
        && let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = p.strip_prefix(&cwd)
    {
        return rel.display().to_string();
    }
    p.display().to_string()
}
