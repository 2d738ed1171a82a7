//! Fault injection at the storage layer, SQLite-style: the store runs on a redb
//! `StorageBackend` that fails its N-th write or sync, for N = 1, 2, ... until an
//! import goes through untouched. After every failure the store must reopen, pass
//! `ingest check`, and hold exactly the state before the import or exactly the
//! state after it, and what the engine says must name which of the two it is.
//!
//! These imports run `import::run` directly, not [`crate::support::run_checked`]:
//! their point is a write that fails part way, and a dry run (whose writes stay in
//! memory, on a copy-on-write view of the file) never reaches the failing backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use engine::import::{self, CommitState, ImportError, ImportSpec};
use engine::progress::Progress;
use redb::StorageBackend;
use redb::backends::FileBackend;
use store::Store;

/// Counts writes and syncs; from the `fail_at`-th on, every one fails.
#[derive(Debug)]
struct Failing {
    inner: FileBackend,
    ops: Arc<AtomicU64>,
    fail_at: u64,
    failed: Arc<AtomicBool>,
}

impl Failing {
    fn tick(&self) -> std::io::Result<()> {
        let n = self.ops.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.fail_at {
            self.failed.store(true, Ordering::SeqCst);
            return Err(std::io::Error::other(format!("injected I/O fault at operation {n}")));
        }
        Ok(())
    }
}

type Range = std::ops::Bound<u64>;

impl StorageBackend for Failing {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        self.tick()?;
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.tick()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        self.tick()?;
        self.inner.write(offset, data)
    }
    fn close(&self) -> Result<(), std::io::Error> {
        self.inner.close()
    }
    fn try_lock_range(&self, start: Range, end: Range) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_range(start, end)
    }
    fn try_lock_shared_range(&self, start: Range, end: Range) -> Result<bool, redb::BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }
    fn lock_range(&self, start: Range, end: Range) -> Result<(), redb::BackendError> {
        self.inner.lock_range(start, end)
    }
    fn lock_shared_range(&self, start: Range, end: Range) -> Result<(), redb::BackendError> {
        self.inner.lock_shared_range(start, end)
    }
    fn unlock_range(&self, start: Range, end: Range) -> Result<(), redb::BackendError> {
        self.inner.unlock_range(start, end)
    }
    fn query_lock_range(&self, start: Range, end: Range) -> Result<bool, redb::BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

fn export(path: &Path) -> Vec<u8> {
    let store = Store::open_read_only(path).expect("the store reopens");
    let read = store.begin_read().unwrap();
    let mut out = Vec::new();
    for object in &read.schema().expect("the schema reads").objects {
        engine::export::export(&read, object, engine::export::Format::Jsonl, &mut out).expect("export");
    }
    out
}

fn assert_check_passes(path: &Path, context: &str) {
    let report = Store::check(path).expect("check runs");
    assert!(report.is_ok(), "{context}: check found {:?}", report.problems);
}

fn options(file: &Path, reports: &Path) -> ImportSpec {
    ImportSpec {
        files: vec![file.to_path_buf()],
        report_dir: Some(reports.to_path_buf()),
        ..Default::default()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Copies the store at `base` to `path` and opens the copy through a backend
/// whose `n`-th write or sync fails (and every one after it); the flag says
/// whether any operation failed.
fn failing_copy(base: &Path, path: &Path, n: u64) -> (Failing, Arc<AtomicBool>) {
    std::fs::copy(base, path).unwrap();
    let failed = Arc::new(AtomicBool::new(false));
    let file_handle = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let backend = Failing {
        inner: FileBackend::new(file_handle).unwrap(),
        ops: Arc::new(AtomicU64::new(0)),
        fail_at: n,
        failed: failed.clone(),
    };
    (backend, failed)
}

/// Runs `file` into a copy of the store at `base` with a fault at every
/// operation N in turn.
fn fail_at_every_operation(base: &Path, file: &Path, work: &Path) {
    let before = export(base);
    // The state after the import, without faults.
    let clean = work.join("clean.redb");
    std::fs::copy(base, &clean).unwrap();
    {
        // The clean import is the reference of the faulty ones; the dry-run check
        // belongs to the model-based and differential tests.
        let store = Store::open(&clean).unwrap();
        import::run(&store, &options(file, &work.join("r-clean")), &Progress::hidden()).unwrap();
    }
    let after = export(&clean);
    assert!(before != after, "the import must change the store");
    let (mut saw_before, mut saw_after, mut saw_commit_failure) = (0, 0, 0);
    for n in 1..5_000u64 {
        let path = work.join(format!("s{n}.redb"));
        let (backend, failed) = failing_copy(base, &path, n);
        let outcome = match Store::open_with_backend(&path, backend) {
            Ok(store) => {
                let r = import::run(&store, &options(file, &work.join(format!("r{n}"))), &Progress::hidden());
                drop(store);
                Some(r)
            }
            Err(_) => None,
        };
        let context = format!("fault at operation {n}");
        let expected_after = match outcome {
            None => false, // the store did not even open: nothing happened
            Some(Ok(_)) => true,
            Some(Err(ImportError::Commit { import_id, source })) => {
                saw_commit_failure += 1;
                let store = Store::open(&path).unwrap_or_else(|e| panic!("{context}: reopen: {e}"));
                let state = import::settle_failed_commit(&store, import_id, &source.to_string())
                    .unwrap_or_else(|e| panic!("{context}: settle: {e}"));
                let message = state.message(import_id);
                match state {
                    CommitState::NotCommitted => assert!(message.contains("was not committed"), "{message}"),
                    CommitState::CommittedNotDurable => {
                        assert!(message.contains("data is in the store"), "{message}");
                    }
                }
                state == CommitState::CommittedNotDurable
            }
            Some(Err(e)) => {
                let message = e.to_string();
                assert!(
                    message.contains("not committed") || message.contains("nothing"),
                    "{context}: {message}"
                );
                false
            }
        };
        // Opening for writing marks a crashed import interrupted: do it before checking.
        drop(Store::open(&path).unwrap_or_else(|e| panic!("{context}: reopen: {e}")));
        assert_check_passes(&path, &context);
        let got = export(&path);
        if expected_after {
            assert!(got == after, "{context}: the engine says the import is in, the store disagrees");
            saw_after += 1;
        } else {
            assert!(got == before, "{context}: the engine says nothing was committed, the store disagrees");
            saw_before += 1;
        }
        if !failed.load(Ordering::SeqCst) {
            eprintln!(
                "{n} operations: {saw_before} runs ended before the import, {saw_after} after, \
                 {saw_commit_failure} failed in the final commit"
            );
            assert!(saw_before > 0 && saw_after > 0);
            return;
        }
        std::fs::remove_file(&path).unwrap();
    }
    panic!("the import never ran without a fault");
}

#[test]
fn a_fault_at_any_write_or_sync_leaves_the_store_before_or_after_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.redb");
    drop(Store::open(&base).unwrap());
    let mut text = String::from("Email,First Name,City\n");
    for i in 0..300 {
        text.push_str(&format!("jos\u{e9}.m\u{fc}ller{i}@ex\u{e4}mple.de,Jos\u{e9}{i},K\u{f8}benhavn\n"));
    }
    let file = write(dir.path(), "new.csv", &text);
    fail_at_every_operation(&base, &file, dir.path());
}

#[test]
fn a_fault_at_any_write_or_sync_leaves_the_store_before_or_after_an_update_import() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.redb");
    let mut text = String::from("Email,First Name\n");
    for i in 0..300 {
        text.push_str(&format!("user{i}@example.com,First{i}\n"));
    }
    let first = write(dir.path(), "first.csv", &text);
    {
        let store = Store::open(&base).unwrap();
        import::run(&store, &options(&first, &dir.path().join("r0")), &Progress::hidden()).unwrap();
    }
    let mut update = String::from("Email,First Name,Last Name\n");
    for i in (0..600).step_by(3) {
        update.push_str(&format!("USER{i}@example.com,First{i},Müller\n"));
    }
    let file = write(dir.path(), "update.csv", &update);
    fail_at_every_operation(&base, &file, dir.path());
}

/// An undo under a fault at every write or sync N = 1, 2, ...: the store reopens,
/// passes `check`, and holds the state before the undo or after it (after only if
/// the undo may have committed: never when it failed before its commit).
#[test]
fn a_fault_at_any_write_or_sync_leaves_the_store_before_or_after_an_undo() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.redb");
    let mut first = String::from("Email,First Name\n");
    for i in 0..200 {
        first.push_str(&format!("user{i}@exämple.de,Første{i}\n"));
    }
    let mut second = String::from("Email,First Name,Last Name\n");
    for i in (0..400).step_by(2) {
        second.push_str(&format!("user{i}@exämple.de,Zoë{i},Müller\n"));
    }
    let (first, second) = (write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second));
    let undo_id = {
        let store = Store::open(&base).unwrap();
        import::run(&store, &options(&first, &dir.path().join("r0")), &Progress::hidden()).unwrap();
        import::run(&store, &options(&second, &dir.path().join("r1")), &Progress::hidden()).unwrap().import_id
    };
    let before = export(&base);
    let clean = dir.path().join("clean.redb");
    std::fs::copy(&base, &clean).unwrap();
    {
        let store = Store::open(&clean).unwrap();
        let session = store.begin_write().unwrap();
        assert!(session.undo(undo_id, false, 0, "2026-01-01T00:00:00.000Z").unwrap().undone);
        session.commit(true).unwrap();
    }
    let after = export(&clean);
    assert!(before != after, "the undo must change the store");
    let (mut saw_before, mut saw_after) = (0, 0);
    for n in 1..5_000u64 {
        let path = dir.path().join(format!("u{n}.redb"));
        let (backend, failed) = failing_copy(&base, &path, n);
        // `Err(true)`: failed in the commit (the undo may be in); `Err(false)`: before it.
        let outcome: Result<(), bool> = match Store::open_with_backend(&path, backend) {
            Ok(store) => match store.begin_write() {
                Ok(session) => match session.undo(undo_id, false, 0, "2026-01-01T00:00:00.000Z") {
                    Ok(report) => {
                        assert!(report.undone);
                        session.commit(true).map_err(|_| true)
                    }
                    Err(_) => Err(false),
                },
                Err(_) => Err(false),
            },
            Err(_) => Err(false),
        };
        let context = format!("fault at operation {n}");
        drop(Store::open(&path).unwrap_or_else(|e| panic!("{context}: reopen: {e}")));
        assert_check_passes(&path, &context);
        let got = export(&path);
        match outcome {
            Ok(()) => assert!(got == after, "{context}: the undo succeeded, the store disagrees"),
            Err(false) => assert!(got == before, "{context}: the undo failed, yet the store changed"),
            Err(true) => assert!(got == before || got == after, "{context}: neither before nor after"),
        }
        if got == before {
            saw_before += 1;
        } else {
            saw_after += 1;
        }
        if !failed.load(Ordering::SeqCst) {
            assert!(saw_before > 0 && saw_after > 0);
            return;
        }
        std::fs::remove_file(&path).unwrap();
    }
    panic!("the undo never ran without a fault");
}
