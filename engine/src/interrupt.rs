//! SIGINT, SIGTERM and SIGHUP during an import.
//!
//! An import's rows are written into one redb transaction that is committed at the
//! end, so stopping before that commit loses nothing but the import itself. The
//! first signal only raises a flag: the pipeline checks it between pieces, stops,
//! rolls the transaction back and the command exits with 128 + the signal number
//! (130, 143, 129) after one line on stderr. The final commit is not interrupted:
//! a signal that arrives while it runs is noted and the import completes. A second
//! signal exits at once, whatever is running: the store is crash-safe, so it is
//! then as before the import or, if the commit had begun, possibly as after it.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

static PENDING: AtomicI32 = AtomicI32::new(0);
static COMMITTING: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// The exit status of a process stopped by `signal`: 128 + its number.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(1)
}

/// The signal's name.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Starts listening for SIGINT, SIGTERM and SIGHUP (once per process).
pub fn install() {
    INSTALL.call_once(|| {
        // Without the listener the signals keep their default action (the process
        // dies; the store is crash-safe): nothing to report.
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            let _ = std::thread::Builder::new().name("signals".into()).spawn(move || {
                for sig in signals.forever() {
                    if PENDING.swap(sig, Ordering::SeqCst) != 0 {
                        second(sig);
                    }
                    if !COMMITTING.load(Ordering::SeqCst) {
                        eprintln!(
                            "{}: stopping after the rows in flight; nothing will be committed \
                             (interrupt again to exit at once)",
                            name(sig)
                        );
                    }
                }
            });
        }
    });
}

fn second(sig: i32) -> ! {
    let message = if COMMITTING.load(Ordering::SeqCst) {
        "interrupted again during the final commit: exiting now; the store holds the import \
         either completely or not at all (see `ingest history`)"
    } else {
        "interrupted again: exiting now; nothing was committed, the store is as before"
    };
    eprintln!("{message}");
    std::process::exit(i32::from(exit_code(sig)));
}

/// The first signal received, if any, unless the final commit has begun.
pub fn pending() -> Option<i32> {
    if COMMITTING.load(Ordering::SeqCst) {
        return None;
    }
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Marks the start of the final commit: from here the import completes, and
/// [`pending`] reports nothing.
pub fn begin_commit() {
    COMMITTING.store(true, Ordering::SeqCst);
}

/// Marks the end of the final commit.
pub fn end_commit() {
    COMMITTING.store(false, Ordering::SeqCst);
}

/// A signal received during the final commit (which was completed).
pub fn received_during_commit() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}
