//! Per-stage time accounting, printed to stderr when `INGEST_TIMINGS=1`.
//!
//! Each stage adds the nanoseconds it spent (summed over threads, so parallel
//! stages can exceed the wall time). Used to tell which stage limits an import.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The stages that are timed.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// Splitting the input into chunks.
    Split,
    /// Parsing chunks into Arrow batches.
    Decode,
    /// Mapping, validating and normalizing, with snapshot lookups.
    Transform,
    /// File-order planning.
    Plan,
    /// Time the planner waited for room in the writer's queue.
    QueueWait,
    /// Writing records (appends and updates).
    Records,
    /// Writing the identifier index.
    Index,
    /// Writing reports.
    Report,
    /// The final durable commit.
    Commit,
    /// Loading the identifier snapshot.
    LoadIndex,
    /// Writing the links of multi-object rows.
    Links,
    /// Writing the link lists kept in memory, at the end of an import.
    LinkLists,
}

const NAMES: [&str; 12] = [
    "split",
    "decode",
    "transform",
    "plan",
    "queue-wait",
    "records",
    "index",
    "report",
    "commit",
    "load-index",
    "links",
    "link-lists",
];
static NANOS: [AtomicU64; 12] = [const { AtomicU64::new(0) }; 12];

/// Runs `f`, adding its duration to `stage`.
pub fn timed<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    NANOS[stage as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
    out
}

/// Adds the time since `start` to `stage`.
pub fn add(stage: Stage, start: Instant) {
    NANOS[stage as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

/// Prints and resets the totals if `INGEST_TIMINGS` is set.
pub fn report() {
    if std::env::var_os("INGEST_TIMINGS").is_none() {
        return;
    }
    let parts: Vec<String> = NAMES
        .iter()
        .zip(&NANOS)
        .map(|(n, t)| format!("{n} {:.3}s", t.swap(0, Ordering::Relaxed) as f64 / 1e9))
        .collect();
    eprintln!("timings: {}", parts.join(", "));
}
