//! Fuzzing the scenario loader: seeded mutations of every shipped scenario
//! must each be loaded or refused with a located error
//! (`file:line:column`), without a panic, within a time bound and a memory
//! bound. A mutant that loads is also run for a few thousand events.
//!
//! Mutations: lines deleted, duplicated, swapped, or borrowed from another
//! scenario; numbers and durations replaced by boundary values; values
//! replaced by values of other kinds; lines that reach the limits
//! (`docs/scenarios.md`, "Limits"); the file cut short; invalid UTF-8
//! bytes. Every mutant is a function of its scenario and its number, and a
//! failure prints both with the mutant's text.
//!
//! The normal run tries [`MUTANTS_PER_FILE`] mutants of each file. Longer
//! campaigns (docs/testing.md):
//!
//! ```sh
//! FAULTLINE_FUZZ_MUTANTS=2000 FAULTLINE_FUZZ_SEED=7 \
//!   cargo test --release --test scenario_fuzz -- --ignored --nocapture
//! ```

use faultline_algorithms::scenario::{Scenario, scenario_files};
use faultline_sim::{SimRng, TraceMode};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// Mutants of each shipped scenario in the normal test run.
const MUTANTS_PER_FILE: u64 = 50;
/// Events a mutant that loads is run for.
const RUN_EVENTS: u64 = 2_000;
/// The most wall time one mutant may take (load and run), in a debug build
/// on a loaded machine.
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// The most memory one mutant may hold at once.
const MEMORY_LIMIT: usize = 256 << 20;
/// Beyond this the allocator refuses, so a runaway allocation ends the
/// test at once, naming the mutant, instead of exhausting the machine.
const HARD_LIMIT: usize = 1 << 30;

// ----- Memory accounting: per thread, since each mutant runs on one ------

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// The mutant this thread runs (file index << 32 | number), for the
    /// message when an allocation is refused.
    static MUTANT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// The shipped scenarios, by index, for that message.
static FILES: OnceLock<Vec<String>> = OnceLock::new();

struct Counting;

fn grow(size: usize) -> bool {
    LIVE.with(|live| {
        let now = live.get().saturating_add(size);
        if now > HARD_LIMIT {
            let id = MUTANT.with(Cell::get);
            let file = FILES
                .get()
                .and_then(|f| f.get((id >> 32) as usize))
                .map_or("?", String::as_str);
            // Formatting integers and a &str into stderr allocates nothing.
            let _ = writeln!(
                std::io::stderr(),
                "scenario_fuzz: refused an allocation of {size} bytes ({now} live) in mutant {} of {file}",
                id & 0xffff_ffff,
            );
            return false;
        }
        live.set(now);
        PEAK.with(|p| p.set(p.get().max(now)));
        true
    })
}

fn shrink(size: usize) {
    LIVE.with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters only decide whether to forward an allocation at all.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !grow(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        let out = unsafe { System.realloc(ptr, layout, new_size) };
        if !out.is_null() && new_size < layout.size() {
            shrink(layout.size() - new_size);
        }
        out
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ----- Mutations -----------------------------------------------------------

/// Numbers at the edges of every type a scenario uses.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "999",
    "1000",
    "1001",
    "65535",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "1e308",
    "-1e308",
    "1e12",
    "0.5",
    "-0.5",
    "1.0000001",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "-0.0",
    "0x7fffffff",
    "1_000_000",
];

/// Durations at the edges: zero, one nanosecond, the limits, past them.
const DURATIONS: &[&str] = &[
    "0s",
    "0ns",
    "1ns",
    "999ns",
    "1us",
    "1ms",
    "8760h",
    "8761h",
    "2000000h",
    "9223372036854775807ns",
    "-9223372036854775808ns",
    "18446744073709551615ns",
    "-1ms",
    "1.5",
    "",
    "1e3s",
    "+5s",
    "0.0000000001s",
    "1000h",
];

/// Values of every other kind.
const VALUES: &[&str] = &[
    "\"x\"",
    "\"\"",
    "[]",
    "[[]]",
    "[1, \"a\"]",
    "{}",
    "{ a = 1 }",
    "true",
    "1.5",
    "-7",
    "1979-05-27T07:32:00Z",
    "1979-05-27",
    "07:32:00",
    "[[0, 1], [0]]",
    "\"n4294967295\"",
    "'''\nmulti\n'''",
];

/// Lines that reach for the limits and the corners of the format.
const LINES: &[&str] = &[
    "servers = 1000",
    "servers = 1001",
    "servers = 4294967295",
    "[clients]\ncount = 997",
    "[clients]\ncount = 3\nrate = \"1000000/s\"",
    "[network]\nlatency = \"0s\"",
    "[network]\nlatency = { dist = \"long_tail\", min = \"1ns\", alpha = 1e-300, max = \"2000000h\" }",
    "[nemesis]\nkinds = [\"clock_step\", \"clock_offset\", \"clock_drift\"]\ninterval = \"1ms\"\nmin_duration = \"0s\"\nmax_duration = \"0s\"\nmax_clock_step = \"8760h\"\nmax_clock_offset = \"8760h\"",
    "[nemesis]\nkinds = [\"crash\"]\ninterval = \"1ns\"",
    "[nemesis]\nkinds = [\"lossy_links\"]\nswarm = true\ninterval = \"1ms\"",
    "[[faults]]\nat = \"0s\"\nkind = \"clock_step\"\nnode = 0\ndelta = \"8760h\"",
    "[[faults]]\nat = \"0s\"\nkind = \"clock_drift\"\nnode = 0\nppm = -9223372036854775808",
    "[[faults]]\nat = \"0s\"\nkind = \"clock_offset\"\nnode = 0\noffset = \"-8760h\"",
    "[[faults]]\nat = \"0s\"\nkind = \"link\"\nlatency = \"0s\"",
    "[[faults]]\nat = \"0s\"\nkind = \"drop_message\"\nmessage = 18446744073709551615",
    "[[faults]]\nat = \"0s\"\nafter_event = 18446744073709551615\nkind = \"heal\"",
    "[[faults]]\nat = \"0s\"\nkind = \"cut_region\"\nregion = \"a\"",
    "[[faults]]\nat = \"0s\"\nkind = \"crash_rack\"\nrack = \"\"",
    "[topology]\n[[topology.regions]]\nname = \"a\"\nnodes = [\"n4294967295\", 0, 0]",
    "[topology]\nclients = \"a\"\n[[topology.regions]]\nname = \"a\"\nracks = [{ name = \"a\", nodes = [0] }]\n[[topology.links]]\nbetween = [\"a\", \"a\", \"a\"]\nlatency = { dist = \"long_tail\", min = \"1ns\", alpha = 1e-300, max = \"2000000h\" }",
    "[topology]\n[[topology.regions]]\nname = \"a\"\nnodes = []\n[[topology.regions]]\nname = \"b\"\nnodes = []\n[[topology.links]]\nbetween = [\"b\", \"a\"]\nlatency = { dist = \"long_tail\", min = \"1ns\", alpha = 1.0000001, max = \"2000000h\" }",
    "[params]\nvnodes = 4294967295",
    "[params]\nweights = [1e308]",
    "[params]\ninitial = 100000",
    "[params]\nheartbeat_interval = \"1us\"\nelection_timeout_min = \"2us\"",
    "[params]\nmovement_budget = nan",
    "[checks]\nstride = 0",
    "[checks]\nliveness = \"1ns\"",
    "seed = \"+5\"",
    "seed = \"0xffffffffffffffff\"",
    "duration = \"1000h\"",
    "duration = \"1ns\"",
    "expect = \"no_progress\"",
    "expect = \"resource_limit\"",
    "[replay]\nfingerprint = \"0x1\"\noutcome = \"pass\"",
];

/// Byte sequences that are not UTF-8 text, or are awkward text.
const BYTES: &[&[u8]] = &[
    b"\xff",
    b"\x80",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\x00",
    b"\r",
    b"\xef\xbb\xbf",
    "\u{202e}".as_bytes(),
    "é".as_bytes(),
];

fn pick<'a, T>(rng: &mut SimRng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

/// Byte ranges of number tokens (an optional sign, digits, a fraction, an
/// exponent) that are not part of a word.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            || ((b[i] == b'-' || b[i] == b'+') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        let after_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if starts && !after_word {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || matches!(b[i], b'.' | b'e' | b'_')) {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the insides of quoted strings that read as durations.
fn durations(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('"') {
        let start = rest + open + 1;
        let Some(len) = text[start..].find('"') else {
            break;
        };
        let inner = &text[start..start + len];
        let looks = inner
            .trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_digit())
            && ["ns", "us", "ms", "s", "m", "h"]
                .iter()
                .any(|u| inner.ends_with(u));
        if looks {
            out.push((start, start + len));
        }
        rest = start + len + 1;
    }
    out
}

fn replace(text: &str, (start, end): (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// One mutant of `text`; `others` are the other scenarios, for borrowed lines.
fn mutate(text: &str, others: &[String], rng: &mut SimRng) -> Vec<u8> {
    let mut text = text.to_string();
    let edits = 1 + rng.below(3);
    for _ in 0..edits {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len() as u64;
        match rng.below(9) {
            0 => {
                lines.remove(rng.below(n) as usize);
            }
            1 => {
                let i = rng.below(n) as usize;
                lines.insert(i, lines[i].clone());
            }
            2 => {
                let (i, j) = (rng.below(n) as usize, rng.below(n) as usize);
                lines.swap(i, j);
            }
            3 => {
                let found = numbers(&text);
                if !found.is_empty() {
                    let at = *pick(rng, &found);
                    let with: &&str = pick(rng, NUMBERS);
                    text = replace(&text, at, with);
                    continue;
                }
            }
            4 => {
                let found = durations(&text);
                if !found.is_empty() {
                    let at = *pick(rng, &found);
                    let with: &&str = pick(rng, DURATIONS);
                    text = replace(&text, at, with);
                    continue;
                }
            }
            5 => {
                let i = rng.below(n) as usize;
                if let Some(eq) = lines[i].find(" = ") {
                    lines[i] = format!("{} = {}", &lines[i][..eq], pick(rng, VALUES));
                }
            }
            6 => {
                let other = pick(rng, others);
                let borrowed: Vec<&str> = other.lines().collect();
                if !borrowed.is_empty() {
                    let line = pick(rng, &borrowed).to_string();
                    lines.insert(rng.below(n + 1) as usize, line);
                }
            }
            7 => {
                // At the end (a new table) or anywhere (into the current one).
                let line = pick(rng, LINES).to_string();
                let at = if rng.chance(0.5) { n } else { rng.below(n + 1) };
                lines.insert(at as usize, line);
            }
            _ => {
                let i = rng.below(n) as usize;
                let cut = rng.below(lines[i].len() as u64 + 1) as usize;
                let mut cut = cut;
                while !lines[i].is_char_boundary(cut) {
                    cut -= 1;
                }
                lines[i].truncate(cut);
            }
        }
        text = lines.join("\n") + "\n";
    }
    let mut bytes = text.into_bytes();
    if rng.chance(0.1) {
        let at = rng.below(bytes.len() as u64 + 1) as usize;
        bytes.truncate(at);
    }
    if rng.chance(0.1) {
        let at = rng.below(bytes.len() as u64 + 1) as usize;
        let insert = *pick(rng, BYTES);
        bytes.splice(at..at, insert.iter().copied());
    }
    bytes
}

// ----- Running mutants -------------------------------------------------------

/// What became of one mutant.
#[derive(Debug)]
enum Verdict {
    Loaded,
    Refused,
    /// Refused without a `file:line:column` location.
    Unlocated(String),
    Panicked(String),
}

/// Loads the mutant and, if it loads, runs it for [`RUN_EVENTS`] events.
fn judge(bytes: &[u8]) -> Verdict {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        match Scenario::from_bytes("mutant.toml", bytes) {
            Ok(scenario) => {
                let mut config = scenario.world_config(scenario.seed, TraceMode::Fingerprint);
                config.snapshot_every = 0;
                match scenario.build_with(config) {
                    Ok(mut handle) => {
                        handle.run_until_event(RUN_EVENTS);
                        Verdict::Loaded
                    }
                    Err(e) => Verdict::Unlocated(format!("loaded, then refused to build: {e}")),
                }
            }
            Err(e) if e.location.is_some() => {
                let shown = e.to_string();
                if shown.starts_with("mutant.toml:") {
                    Verdict::Refused
                } else {
                    Verdict::Unlocated(shown)
                }
            }
            Err(e) => Verdict::Unlocated(e.to_string()),
        }
    }));
    outcome.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".to_string());
        Verdict::Panicked(what)
    })
}

/// One mutant to try: which file, which number, its bytes.
struct Job {
    file: usize,
    number: u64,
    bytes: Vec<u8>,
}

/// The job a worker is on, and since when: the watchdog reads it.
type Running = Option<(usize, Instant)>;

struct Report {
    mutants: usize,
    loaded: usize,
    refused: usize,
    failures: Vec<String>,
    slowest: Duration,
    peak: usize,
    wall: Duration,
}

fn describe(files: &[PathBuf], job: &Job, what: &str) -> String {
    format!(
        "{} mutant {}: {what}\n--- mutant text ---\n{}\n-------------------",
        files[job.file].display(),
        job.number,
        String::from_utf8_lossy(&job.bytes)
    )
}

/// Tries `per_file` mutants of every shipped scenario, numbered from
/// `first`, on every core, with a watchdog for the time bound.
fn campaign(first: u64, per_file: u64) -> Report {
    let files = scenario_files(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios"));
    assert!(files.len() >= 10, "the shipped scenarios are found");
    let _ = FILES.set(files.iter().map(|f| f.display().to_string()).collect());
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("a shipped scenario reads"))
        .collect();
    let mut jobs = Vec::new();
    for (file, text) in texts.iter().enumerate() {
        for number in first..first + per_file {
            let mut rng = SimRng::stream(number, "scenario-fuzz", file as u64);
            let bytes = mutate(text, &texts, &mut rng);
            jobs.push(Job {
                file,
                number,
                bytes,
            });
        }
    }
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let running: Arc<Mutex<Vec<Running>>> = Arc::new(Mutex::new(vec![None; threads]));
    let (tx, rx) = mpsc::channel::<(usize, Verdict, Duration, usize)>();
    let started = Instant::now();
    for worker in 0..threads {
        let (jobs, next, running, tx) = (jobs.clone(), next.clone(), running.clone(), tx.clone());
        std::thread::spawn(move || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                running.lock().unwrap()[worker] = Some((i, Instant::now()));
                MUTANT.with(|m| m.set(((job.file as u64) << 32) | job.number));
                let base = LIVE.with(Cell::get);
                PEAK.with(|p| p.set(base));
                let t = Instant::now();
                let verdict = judge(&job.bytes);
                let took = t.elapsed();
                let peak = PEAK.with(Cell::get).saturating_sub(base);
                running.lock().unwrap()[worker] = None;
                if tx.send((i, verdict, took, peak)).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut report = Report {
        mutants: jobs.len(),
        loaded: 0,
        refused: 0,
        failures: Vec::new(),
        slowest: Duration::ZERO,
        peak: 0,
        wall: Duration::ZERO,
    };
    let mut done = 0;
    while done < jobs.len() {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok((i, verdict, took, peak)) => {
                done += 1;
                report.slowest = report.slowest.max(took);
                report.peak = report.peak.max(peak);
                let job = &jobs[i];
                match verdict {
                    Verdict::Loaded => report.loaded += 1,
                    Verdict::Refused => report.refused += 1,
                    Verdict::Unlocated(e) => report.failures.push(describe(
                        &files,
                        job,
                        &format!("refused without a location: {e}"),
                    )),
                    Verdict::Panicked(e) => {
                        report
                            .failures
                            .push(describe(&files, job, &format!("panicked: {e}")))
                    }
                }
                if took > TIME_LIMIT {
                    report.failures.push(describe(
                        &files,
                        job,
                        &format!("took {took:?}, more than {TIME_LIMIT:?}"),
                    ));
                }
                if peak > MEMORY_LIMIT {
                    report.failures.push(describe(
                        &files,
                        job,
                        &format!("held {peak} bytes at once, more than {MEMORY_LIMIT}"),
                    ));
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                for (i, since) in running.lock().unwrap().iter().flatten() {
                    if since.elapsed() > TIME_LIMIT {
                        // The worker may never return: fail now, naming it.
                        panic!(
                            "{}",
                            describe(
                                &files,
                                &jobs[*i],
                                &format!("still running after {TIME_LIMIT:?}")
                            )
                        );
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    report.wall = started.elapsed();
    report
}

fn check(report: Report) {
    eprintln!(
        "scenario_fuzz: {} mutants in {:.1?} ({} loaded and run, {} refused with a location); \
         slowest {:.1?}, largest {} KiB",
        report.mutants,
        report.wall,
        report.loaded,
        report.refused,
        report.slowest,
        report.peak >> 10
    );
    assert!(
        report.failures.is_empty(),
        "{} of {} mutants failed:\n\n{}",
        report.failures.len(),
        report.mutants,
        report.failures.join("\n\n")
    );
    // Both sides of the loader are exercised.
    assert!(report.loaded > report.mutants / 20, "too few mutants load");
    assert!(
        report.refused > report.mutants / 5,
        "too few mutants are refused"
    );
}

#[test]
fn every_mutant_of_every_shipped_scenario_loads_or_is_refused_with_a_location() {
    check(campaign(0, MUTANTS_PER_FILE));
}

/// The long campaign: `FAULTLINE_FUZZ_MUTANTS` mutants per file (default
/// 1000) numbered from `FAULTLINE_FUZZ_SEED` × that (default 1, so it
/// starts after the normal run's).
#[test]
#[ignore = "a long fuzzing campaign; see docs/testing.md"]
fn fuzz_campaign() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse::<u64>().expect("a whole number"))
            .unwrap_or(default)
    };
    let per_file = var("FAULTLINE_FUZZ_MUTANTS", 1_000);
    let seed = var("FAULTLINE_FUZZ_SEED", 1);
    check(campaign(
        seed.saturating_mul(per_file).max(MUTANTS_PER_FILE),
        per_file,
    ));
}

#[test]
fn mutants_are_a_function_of_their_file_and_number() {
    let texts = vec!["a = 1\nb = \"2s\"\n".to_string(), "c = [3]\n".to_string()];
    for number in 0..50 {
        let mut a = SimRng::stream(number, "scenario-fuzz", 0);
        let mut b = SimRng::stream(number, "scenario-fuzz", 0);
        assert_eq!(
            mutate(&texts[0], &texts, &mut a),
            mutate(&texts[0], &texts, &mut b)
        );
    }
    assert_eq!(numbers("x = -12.5e3, y2 = 7"), vec![(4, 11), (18, 19)]);
    assert_eq!(durations("a = \"150ms\" b = \"x\""), vec![(5, 10)]);
}
