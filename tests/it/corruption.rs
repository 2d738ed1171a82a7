//! Corruption and crashes: a damaged store is reported, never returned as data
//! (SPEC 11), and read-only access never changes the file.
//!
//! The main test flips one byte at a time, at offsets spread over a whole store
//! file, and requires that `check` and a full export never panic and that any
//! change in what the export returns is either an error of the export or a
//! problem found by `check`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use engine::export::{self, Format};
use engine::import::{self, ImportSpec};
use engine::progress::Progress;
use store::{Store, StoreError};

use crate::support::ingest;

/// A store of 300 contacts from one import, 60 of them changed and 20 added by a
/// second one; returns its path (closed).
fn build_store(dir: &Path) -> PathBuf {
    let path = dir.join("s.redb");
    let mut first = String::from("Email,First Name,Last Name,City,Phone\n");
    for i in 0..300 {
        first.push_str(&format!("p{i:04}@example.com,First{i:04},Last{i:04},City{},+31 6 {i:08}\n", i % 17));
    }
    let mut second = String::from("Email,City,Job Title\n");
    for i in (0..300).step_by(5).chain(300..320) {
        second.push_str(&format!("p{i:04}@example.com,Town{},Job{i:04}\n", i % 7));
    }
    // Plain imports (no dry-run check): they only build the store that the tests
    // then damage, and their counts are not what these tests are about.
    let store = Store::open(&path).unwrap();
    for (name, text) in [("first.csv", first), ("second.csv", second)] {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let opts = ImportSpec { files: vec![file], ..ImportSpec::default() };
        import::run(&store, &opts, &Progress::hidden()).unwrap();
    }
    path
}

/// Everything a reader gets out of the store: every object exported, and the log.
fn export_all(path: &Path) -> Result<Vec<u8>, String> {
    export(path, true)
}

/// Every object exported (as JSONL and CSV), and the import log if `with_log`.
fn export(path: &Path, with_log: bool) -> Result<Vec<u8>, String> {
    let store = Store::open_read_only(path).map_err(|e| e.to_string())?;
    let read = store.begin_read().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let schema = read.schema().map_err(|e| e.to_string())?;
    for object in &schema.objects {
        export::export(&read, object, Format::Jsonl, &mut out).map_err(|e| format!("{e:#}"))?;
        export::export(&read, object, Format::Csv, &mut out).map_err(|e| format!("{e:#}"))?;
    }
    if with_log {
        let imports = store.imports().map_err(|e| e.to_string())?;
        serde_json::to_writer(&mut out, &imports).unwrap();
    }
    Ok(out)
}

/// The offsets to damage: spread evenly over the whole file (with a deterministic
/// jitter so they do not all fall on the same offset within a page), plus some
/// inside the stored records and index keys.
fn offsets(bytes: &[u8]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    let spread = 200;
    for i in 0..spread {
        let base = i * bytes.len() / spread;
        let jitter = (i * 2_654_435_761) % 997;
        out.push((base + jitter).min(bytes.len() - 1));
    }
    let needle = b"@example.com";
    let hits: Vec<usize> =
        bytes.windows(needle.len()).enumerate().filter(|(_, w)| w == needle).map(|(i, _)| i).collect();
    for k in 0..60 {
        let hit = hits[k * hits.len() / 60];
        // Into the email itself, just before it (lengths, property numbers, other values).
        out.push(hit - 1 - k % 6);
        if k % 2 == 0 {
            out.push(hit.saturating_sub(20 + k % 13));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn every_flipped_byte_is_detected_or_harmless_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_store(dir.path());
    let original = std::fs::read(&path).unwrap();
    let baseline = export_all(&path).unwrap();
    let clean = Store::check(&path).unwrap();
    assert!(clean.is_ok(), "{:?}", clean.problems);
    assert_eq!(clean.checked.records, 320);
    assert_eq!(clean.checked.index_entries, 320);
    assert_eq!(std::fs::read(&path).unwrap(), original, "check or export changed the file");

    let copy = dir.path().join("damaged.redb");
    let mut tally = Tally::default();
    let mut panics = Vec::new();
    let mut silent = Vec::new();
    let offsets = offsets(&original);
    assert!(offsets.len() >= 150, "{} offsets", offsets.len());
    for &offset in &offsets {
        let mut bytes = original.clone();
        bytes[offset] ^= 0x55;
        std::fs::write(&copy, &bytes).unwrap();
        let check = catch_unwind(AssertUnwindSafe(|| Store::check(&copy)));
        let exported = catch_unwind(AssertUnwindSafe(|| export_all(&copy)));
        let (Ok(check), Ok(exported)) = (check, exported) else {
            panics.push(offset);
            continue;
        };
        let check_found = match &check {
            Ok(report) => !report.is_ok(),
            Err(_) => true,
        };
        match &exported {
            Err(e) if e.contains("checksum mismatch") => tally.checksum += 1,
            Err(_) => tally.read_error += 1,
            Ok(out) if *out != baseline && check_found => tally.changed_found_by_check += 1,
            Ok(out) if *out != baseline => silent.push(offset),
            Ok(_) if check_found => tally.unchanged_found_by_check += 1,
            Ok(_) => tally.harmless += 1,
        }
        if exported.is_err() && !check_found {
            tally.read_only += 1;
        }
        assert_eq!(std::fs::read(&copy).unwrap(), bytes, "offset {offset}: reading changed the file");
    }
    eprintln!("{} offsets over a {}-byte store: {tally:?}", offsets.len(), original.len());
    assert!(panics.is_empty(), "panicked at offsets {panics:?}");
    assert!(silent.is_empty(), "silently changed data at offsets {silent:?}");
    // Stronger (SPEC 11, "never returned as data"): a read itself fails rather than
    // return changed data; without record checksums about 50 of these offsets return
    // changed records that only `check` (redb's page checksums) notices. A flipped
    // child pointer that lands on a stale copy of a page could legitimately end up
    // here (check reports it); these offsets of this store hit none.
    assert_eq!(tally.changed_found_by_check, 0, "reads returned changed data: {tally:?}");
    assert!(tally.checksum > 0 && tally.unchanged_found_by_check > 0);
}

/// What the damaged copies did.
#[derive(Debug, Default)]
#[allow(dead_code)] // read through Debug
struct Tally {
    /// The export failed: a record's or import entry's checksum.
    checksum: usize,
    /// The export failed otherwise (redb found damage, or panicked and was caught).
    read_error: usize,
    /// Of the export failures, those check did not report.
    read_only: usize,
    /// The export returned different data and check reported a problem.
    changed_found_by_check: usize,
    /// The export returned the same data and check reported a problem.
    unchanged_found_by_check: usize,
    /// Same data, no problem (the byte was in unused space).
    harmless: usize,
}

/// Flips one byte in every stored copy of `text` in the file at `path`.
fn damage_text(path: &Path, text: &str) -> usize {
    let mut bytes = std::fs::read(path).unwrap();
    let needle = text.as_bytes();
    let hits: Vec<usize> =
        bytes.windows(needle.len()).enumerate().filter(|(_, w)| *w == needle).map(|(i, _)| i).collect();
    for &h in &hits {
        bytes[h + needle.len() - 1] ^= 0x01;
    }
    std::fs::write(path, bytes).unwrap();
    hits.len()
}

#[test]
fn a_corrupt_record_stops_get_export_and_an_import_that_meets_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_store(dir.path());
    let before = export_all(&path).unwrap();
    assert!(damage_text(&path, "Last0042") > 0);
    // Record 43 (line 44 of the first file) is now corrupt.
    let out = ingest(&path, &["get", "contacts", "43"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 43 of contacts is corrupt: checksum mismatch"), "{err}");
    assert_eq!(err.matches("checksum mismatch").count(), 1, "the cause is printed once: {err}");
    assert!(ingest(&path, &["get", "contacts", "42"]).status.success());
    let out = ingest(&path, &["export", "contacts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("record 43 of contacts is corrupt"));
    // An import that updates the corrupt record stops; nothing of it is committed.
    let file = dir.path().join("third.csv");
    std::fs::write(&file, "Email,City\np0001@example.com,Utrecht\np0042@example.com,Delft\n").unwrap();
    let out = ingest(&path, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("record 43 of contacts is corrupt") && err.contains("nothing of it was committed"),
        "{err}"
    );
    let report = Store::check(&path).unwrap();
    // redb's page checksums fail too; the record is named.
    assert!(!report.redb_integrity);
    let records: Vec<_> = report.problems.iter().filter(|p| p.table != "(file)").collect();
    assert_eq!(records.len(), 1, "{:?}", report.problems);
    assert_eq!((records[0].table.as_str(), records[0].key.as_str()), ("records/contacts", "43"));
    let store = Store::open_read_only(&path).unwrap();
    let read = store.begin_read().unwrap();
    let r1 = read.record("contacts", 1).unwrap().unwrap();
    assert_ne!(
        r1.view().get(store::schema::standard().object("contacts").unwrap().property_id("city").unwrap()),
        Some("Utrecht")
    );
    assert!(matches!(read.record("contacts", 43), Err(StoreError::CorruptRecord { id: 43, .. })));
    drop((read, store));
    assert_ne!(export_all(&path).ok(), Some(before));
}

#[test]
fn a_store_left_by_a_killed_import_is_readable_read_only_without_changing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_store(dir.path());
    let before = export(&path, false).unwrap();
    let mut text = String::from("Email,City\n");
    for i in 0..50_000 {
        text.push_str(&format!("q{i}@example.com,Zwolle\n"));
    }
    let file = dir.path().join("big.csv");
    std::fs::write(&file, text).unwrap();
    let (mut child, _stderr) = crate::support::spawn_paused_import(&path, &file, 5000, &[]);
    child.kill().unwrap();
    child.wait().unwrap();
    let crashed = std::fs::read(&path).unwrap();
    // Read-only: recovered in memory, the file untouched, the import shown as
    // `interrupted` (it is still `running` in the file).
    let store = Store::open_read_only(&path).unwrap();
    let imports = store.imports().unwrap();
    assert_eq!(imports.len(), 3);
    assert_eq!(imports[2].status, store::ImportStatus::Interrupted);
    assert_eq!(store.begin_read().unwrap().record_count("contacts").unwrap(), 320);
    drop(store);
    let report = Store::check(&path).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(export(&path, false).unwrap(), before, "the records differ after the crash");
    assert_eq!(std::fs::read(&path).unwrap(), crashed, "a read-only open or check wrote to the file");
    // A read-write open recovers the file and marks the import interrupted.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.imports().unwrap()[2].status, store::ImportStatus::Interrupted);
    drop(store);
    assert!(Store::check(&path).unwrap().is_ok());
    assert_eq!(export(&path, false).unwrap(), before);
}

#[test]
fn the_binary_reports_a_damaged_store_with_exit_1_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_store(dir.path());
    let original = std::fs::read(&path).unwrap();
    let copy = dir.path().join("damaged.redb");
    let offsets = offsets(&original);
    let mut exit_1 = 0;
    // Every fourth offset: each costs two runs of the binary.
    for &offset in offsets.iter().step_by(4) {
        let mut bytes = original.clone();
        bytes[offset] ^= 0x55;
        std::fs::write(&copy, &bytes).unwrap();
        for args in [&["check"][..], &["export", "contacts"], &["get", "contacts", "7"]] {
            let out = crate::support::ingest(&copy, args);
            let code = out.status.code();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(matches!(code, Some(0 | 1)), "offset {offset}, {args:?}: exit {code:?}: {err}");
            assert!(
                !err.contains("internal error") && !err.contains("RUST_BACKTRACE"),
                "offset {offset}: {err}"
            );
            if code == Some(1) {
                exit_1 += 1;
                assert!(err.lines().count() <= 2 || args[0] == "check", "offset {offset}: {err}");
            }
        }
        assert!(std::fs::read(&copy).unwrap() == bytes, "offset {offset}: a read-only command wrote");
    }
    assert!(exit_1 > 0);
}
