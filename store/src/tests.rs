//! Tests of opening, read-only use, corrupt reads and `Store::check`, across modules.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableTable, TableDefinition};

use crate::record::{RecordBuilder, encode_record};
use crate::tables::{self, FORMAT_KEY, IMPORTS, META};
use crate::{
    AssociationCounts, EntryTable, ImportEntry, ImportStatus, NotAStoreReason, OpenError, Store, StoreError,
};
use crate::{MergePolicy, Premerge, ReplacedValues, RowValues};

const EMAIL: u16 = 1;

fn entry() -> ImportEntry {
    ImportEntry {
        associations: AssociationCounts::default(),
        id: 0,
        name: "test".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: None,
        files: vec![],
        inputs: vec![],
        objects: vec!["contacts".into()],
        mode: "upsert".into(),
        options: serde_json::Value::Null,
        status: ImportStatus::Running,
        rows: 0,
        rows_failed: 0,
        errors: 0,
        counts: std::collections::BTreeMap::new(),
        elapsed_ms: 0,
        error_file: None,
        rejected_file: None,
        note: None,
        sequences: std::collections::BTreeMap::new(),
        ids_kept: false,
        undone_at: None,
        kind: None,
        undo: None,
    }
}

/// A store with `n` contacts (emails indexed), written by one finished import.
fn build(path: &Path, n: u64) -> Store {
    let store = Store::open(path).unwrap();
    let import = store.start_import(entry()).unwrap();
    let session = store.begin_write().unwrap();
    let mut values = RowValues::default();
    let mut keys = Vec::new();
    for id in 1..=n {
        values.push(EMAIL, &format!("p{id:04}@example.com"));
        values.push(2, &format!("Name {id}"));
        values.end_row();
        keys.push((format!("p{id:04}@example.com"), id));
    }
    {
        let mut records = session.records("contacts").unwrap();
        records.append(import, (1..=n).map(|id| (id, values.row(id as usize - 1)))).unwrap();
        let mut index = session.index("contacts", EMAIL).unwrap();
        index.put_sorted(keys.iter().map(|(k, id)| (k.as_bytes(), *id))).unwrap();
    }
    session.set_next_id("contacts", n + 1).unwrap();
    let mut done = entry();
    done.id = import;
    done.status = ImportStatus::Done;
    session.save_import(&done).unwrap();
    session.commit(true).unwrap();
    store
}

/// Raw write access to a closed store's tables, bypassing the store's encoding.
fn raw(path: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

fn records_def() -> TableDefinition<'static, u64, &'static [u8]> {
    TableDefinition::new("records/contacts")
}

fn index_def() -> TableDefinition<'static, &'static [u8], u64> {
    TableDefinition::new("index/contacts/1")
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    (dir, path)
}

/// True when the process ignores file permissions (root): permission tests skip.
fn permissions_ignored(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    std::fs::write(&probe, b"x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let ignored = std::fs::File::open(&probe).is_ok();
    std::fs::remove_file(&probe).unwrap();
    ignored
}

#[test]
fn a_new_store_gets_a_format_version_and_a_lasting_random_identity() {
    let (dir, path) = tmp();
    let id = {
        let store = Store::open(&path).unwrap();
        let id = store.identity();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        id
    };
    assert_eq!(Store::open(&path).unwrap().identity(), id);
    assert_eq!(Store::open_read_only(&path).unwrap().identity(), id);
    let other = Store::open(dir.path().join("t.redb")).unwrap();
    assert_ne!(other.identity(), id);
    let copy = dir.path().join("copy.redb");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(Store::open_read_only(&copy).unwrap().identity(), id, "a copy is the same store");
}

#[test]
fn missing_directories_and_files_are_told_apart_and_nothing_is_created() {
    let (dir, path) = tmp();
    let in_missing = dir.path().join("nope").join("s.redb");
    for r in [Store::open(&in_missing), Store::open_read_only(&in_missing)] {
        let e = r.unwrap_err();
        assert!(matches!(&e, OpenError::MissingDirectory { dir: d, .. } if d.ends_with("nope")), "{e}");
        assert!(e.to_string().contains("directory") && e.to_string().contains("does not exist"), "{e}");
    }
    let e = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(e, OpenError::Missing { .. }), "{e}");
    assert_eq!(e.to_string(), format!("store {} does not exist", path.display()));
    assert!(!path.exists(), "a read-only open created the store");
    let e = Store::check(&path).unwrap_err();
    assert!(matches!(e, OpenError::Missing { .. }), "{e}");
    assert!(!path.exists(), "check created the store");
}

#[test]
fn empty_files_directories_and_other_files_are_not_stores() {
    let (dir, path) = tmp();
    std::fs::write(&path, b"").unwrap();
    for e in [Store::open(&path).unwrap_err(), Store::open_read_only(&path).unwrap_err()] {
        assert!(matches!(&e, OpenError::NotAStore { reason: NotAStoreReason::Empty, .. }), "{e}");
        assert_eq!(e.to_string(), format!("{} is not a store: empty file", path.display()));
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "the empty file was formatted");
    let e = Store::open(dir.path()).unwrap_err();
    assert!(matches!(e, OpenError::NotAStore { reason: NotAStoreReason::Directory, .. }), "{e}");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, this is not a database\n".repeat(200)).unwrap();
    for e in [Store::open(&text).unwrap_err(), Store::open_read_only(&text).unwrap_err()] {
        assert!(matches!(&e, OpenError::NotAStore { reason: NotAStoreReason::NotRedb, .. }), "{e}");
    }
    assert!(matches!(
        Store::check(&text),
        Err(OpenError::NotAStore { reason: NotAStoreReason::NotRedb, .. })
    ));
}

#[test]
fn stores_of_other_formats_and_other_redb_files_are_refused_clearly() {
    let (dir, path) = tmp();
    drop(build(&path, 3));
    raw(&path, |txn| {
        txn.open_table(META).unwrap().insert(FORMAT_KEY, 7).unwrap();
    });
    let e = Store::open(&path).unwrap_err();
    assert!(
        matches!(
            e,
            OpenError::NotAStore {
                reason: NotAStoreReason::FormatVersion { found: 7, supported: tables::FORMAT_VERSION },
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("newer ingest"), "{e}");
    // A damaged identity is not taken for another store's.
    raw(&path, |txn| {
        let mut meta = txn.open_table(META).unwrap();
        meta.insert(FORMAT_KEY, tables::FORMAT_VERSION).unwrap();
        let lo = meta.get("identity/lo").unwrap().unwrap().value();
        meta.insert("identity/lo", lo ^ 4).unwrap();
    });
    let e = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(&e, OpenError::Corrupt { detail, .. } if detail.contains("identity")), "{e}");
    let report = Store::check(&path).unwrap();
    assert!(report.problems.iter().any(|p| p.key == "identity"), "{:?}", report.problems);
    // A store of the format before checksums: `meta` without a version.
    raw(&path, |txn| {
        txn.open_table(META).unwrap().remove(FORMAT_KEY).unwrap();
    });
    let e = Store::open_read_only(&path).unwrap_err();
    assert!(
        matches!(e, OpenError::NotAStore { reason: NotAStoreReason::FormatVersion { found: 1, .. }, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("older ingest"), "{e}");
    let e = Store::check(&path).unwrap_err();
    assert!(
        matches!(e, OpenError::NotAStore { reason: NotAStoreReason::FormatVersion { found: 1, .. }, .. }),
        "{e}"
    );
    // Some other program's redb database.
    let other = dir.path().join("other.redb");
    {
        let db = Database::create(&other).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(TableDefinition::<u64, u64>::new("things")).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    let e = Store::open(&other).unwrap_err();
    assert!(matches!(e, OpenError::NotAStore { reason: NotAStoreReason::NoFormatVersion, .. }), "{e}");
}

#[test]
fn permission_denied_is_reported_for_reads_and_writes() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = tmp();
    if permissions_ignored(dir.path()) {
        eprintln!("skipped: running with permission checks off (root)");
        return;
    }
    drop(build(&path, 2));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, OpenError::PermissionDenied { write: true, .. }), "{e}");
    let e = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(e, OpenError::PermissionDenied { write: false, .. }), "{e}");
    assert_eq!(e.to_string(), format!("no permission to read store {}", path.display()));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, OpenError::PermissionDenied { write: true, .. }), "{e}");
    assert!(e.to_string().contains("read-only commands still work"), "{e}");
    // A new store in a directory without write permission.
    let ro_dir = dir.path().join("ro");
    std::fs::create_dir(&ro_dir).unwrap();
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let e = Store::open(ro_dir.join("s.redb")).unwrap_err();
    assert!(matches!(e, OpenError::PermissionDenied { write: true, .. }), "{e}");
}

#[test]
fn a_read_only_file_opens_read_only_reads_and_refuses_writes() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = tmp();
    drop(build(&path, 5));
    let before = std::fs::read(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    {
        let store = Store::open_read_only(&path).unwrap();
        assert!(store.is_read_only());
        let read = store.begin_read().unwrap();
        assert_eq!(read.record_count("contacts").unwrap(), 5);
        let rec = read.record("contacts", 3).unwrap().unwrap();
        assert_eq!(rec.view().get(EMAIL), Some("p0003@example.com"));
        assert_eq!(read.lookup("contacts", EMAIL, b"p0004@example.com").unwrap(), Some(4));
        assert_eq!(store.imports().unwrap().len(), 1);
        assert!(matches!(store.begin_write(), Err(StoreError::ReadOnly { .. })));
        assert!(matches!(store.start_import(entry()), Err(StoreError::ReadOnly { .. })));
        // Readers share the file.
        let second = Store::open_read_only(&path).unwrap();
        assert_eq!(second.begin_read().unwrap().record_count("contacts").unwrap(), 5);
        let report = Store::check(&path).unwrap();
        assert!(report.is_ok(), "{report:?}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "reading changed the file");
}

#[test]
fn a_store_in_use_is_distinguishable_for_every_kind_of_open() {
    let (_dir, path) = tmp();
    let held = build(&path, 2);
    assert!(matches!(Store::open(&path), Err(OpenError::InUse { .. })));
    assert!(matches!(Store::open_read_only(&path), Err(OpenError::InUse { .. })));
    assert!(matches!(Store::check(&path), Err(OpenError::InUse { .. })));
    drop(held);
    let reader = Store::open_read_only(&path).unwrap();
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, OpenError::InUse { .. }), "{e}");
    assert!(e.to_string().contains("in use"), "{e}");
    // A check is a reader: it runs beside one and keeps writers out meanwhile.
    assert!(Store::check(&path).unwrap().is_ok());
    drop(reader);
    assert!(Store::open(&path).is_ok());
}

#[test]
fn a_store_opens_over_a_given_backend() {
    let (_dir, path) = tmp();
    let store = Store::open_with_backend(&path, redb::backends::InMemoryBackend::new()).unwrap();
    assert_eq!(store.path(), path);
    assert!(!store.is_read_only());
    let id = store.start_import(entry()).unwrap();
    assert_eq!(store.imports().unwrap()[0].id, id);
    drop(store);
    let identity = build(&path, 4).identity();
    let file = std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
    let backend = redb::backends::FileBackend::new(file).unwrap();
    let store = Store::open_with_backend(&path, backend).unwrap();
    assert_eq!(store.begin_read().unwrap().record_count("contacts").unwrap(), 4);
    assert_eq!(store.identity(), identity);
}

#[test]
fn corrupt_records_and_import_entries_are_errors_on_every_read_path() {
    let (_dir, path) = tmp();
    drop(build(&path, 10));
    raw(&path, |txn| {
        let mut t = txn.open_table(records_def()).unwrap();
        let mut bytes = t.get(4).unwrap().unwrap().value().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20; // one letter of the name
        t.insert(4, bytes.as_slice()).unwrap();
        // Record 7's bytes, moved under ID 8: valid for 7, not for 8.
        let seven = t.get(7).unwrap().unwrap().value().to_vec();
        t.insert(8, seven.as_slice()).unwrap();
        let mut imports = txn.open_table(IMPORTS).unwrap();
        let mut e = imports.get(1).unwrap().unwrap().value().to_vec();
        let n = e.len();
        e[n - 3] ^= 1;
        imports.insert(1, e.as_slice()).unwrap();
    });
    let store = Store::open_read_only(&path).unwrap();
    let read = store.begin_read().unwrap();
    let is_corrupt =
        |r: &StoreError, want: u64| matches!(r, StoreError::CorruptRecord { id, .. } if *id == want);
    let e = read.record("contacts", 4).unwrap_err();
    assert!(is_corrupt(&e, 4), "{e}");
    assert!(e.to_string().starts_with("record 4 of contacts is corrupt: checksum mismatch"), "{e}");
    assert!(is_corrupt(&read.record("contacts", 8).unwrap_err(), 8));
    assert!(read.record("contacts", 3).unwrap().is_some());
    let mut seen = Vec::new();
    let e = read
        .for_each_record("contacts", |id, _| {
            seen.push(id);
            true
        })
        .unwrap_err();
    assert!(is_corrupt(&e, 4), "{e}");
    assert_eq!(seen, [1, 2, 3], "records before the corrupt one, then the error");
    let reader = read.record_reader("contacts").unwrap();
    let mut changes = RowValues::default();
    changes.push(3, "x");
    changes.end_row();
    let items = |ids: &[u64]| ids.iter().map(|&id| (id, changes.row(0))).collect::<Vec<_>>();
    let policy = MergePolicy::overwrite();
    let merged = reader.premerge(2, &items(&[1, 2, 3, 999]), &policy).unwrap();
    assert!(matches!(
        merged.outcomes[..],
        [Premerge::Changed(_), Premerge::Changed(_), Premerge::Changed(_), Premerge::Missing]
    ));
    assert!(is_corrupt(&reader.premerge(2, &items(&[2, 8]), &policy).unwrap_err(), 8));
    assert!(is_corrupt(&reader.premerge(2, &items(&[4, 1000]), &policy).unwrap_err(), 4));
    let e = store.imports().unwrap_err();
    assert!(matches!(e, StoreError::CorruptEntry { table: EntryTable::Imports, id: 1, .. }), "{e}");
    assert!(e.is_corruption());
    drop((reader, read, store));
    // The import log is read when opening for writing too: refused, not misread.
    let e = Store::open(&path).unwrap_err();
    assert!(matches!(e, OpenError::Store { .. }), "{e}");
    assert!(e.to_string().contains("import entry 1 is corrupt: checksum mismatch"), "{e}");
    raw(&path, |txn| {
        let mut imports = txn.open_table(IMPORTS).unwrap();
        let mut done = entry();
        done.id = 1;
        done.status = ImportStatus::Done;
        imports.insert(1, done.encode().as_slice()).unwrap();
    });
    // The write path's merge verifies too.
    let store = Store::open(&path).unwrap();
    let session = store.begin_write().unwrap();
    let mut outcomes = Vec::new();
    let mut replaced = ReplacedValues::default();
    let mut records = session.records("contacts").unwrap();
    let e = records.update(2, [(8, changes.row(0))], &policy, &mut outcomes, None).unwrap_err();
    assert!(is_corrupt(&e, 8), "{e}");
    records.update(2, [(3, changes.row(0))], &policy, &mut outcomes, Some(&mut replaced)).unwrap();
    assert_eq!(outcomes, [crate::UpdateOutcome::Updated { held_back: false }]);
    assert_eq!(replaced.iter().collect::<Vec<_>>(), [(3, 3, None)]);
}

#[test]
fn check_passes_a_sound_store_and_leaves_the_file_unchanged() {
    let (_dir, path) = tmp();
    drop(build(&path, 50));
    let before = std::fs::read(&path).unwrap();
    let report = Store::check(&path).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(report.redb_integrity);
    assert_eq!(report.format_version, Some(tables::FORMAT_VERSION));
    assert_eq!(report.identity, Some(Store::open_read_only(&path).unwrap().identity()));
    assert_eq!(report.checked.records, 50);
    assert_eq!(report.checked.index_entries, 50);
    assert_eq!(report.checked.imports, 1);
    assert_eq!(report.checked.tables, 5);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problems"], serde_json::json!([]));
    assert_eq!(json["checked"]["records"], 50);
}

#[test]
fn check_finds_every_kind_of_logical_damage() {
    let (_dir, path) = tmp();
    drop(build(&path, 20));
    raw(&path, |txn| {
        let mut records = txn.open_table(records_def()).unwrap();
        // 3: bad checksum.
        let mut bytes = records.get(3).unwrap().unwrap().value().to_vec();
        bytes[0] ^= 1;
        records.insert(3, bytes.as_slice()).unwrap();
        // 5: written by an import that is not in the log.
        let mut rec = RecordBuilder::default();
        rec.push(EMAIL, "p0005@example.com");
        let mut out = Vec::new();
        encode_record(5, 9, 9, rec.values(), &mut out);
        records.insert(5, out.as_slice()).unwrap();
        // 6: an email that is not indexed.
        let mut rec = RecordBuilder::default();
        rec.push(EMAIL, "new6@example.com");
        encode_record(6, 1, 1, rec.values(), &mut out);
        records.insert(6, out.as_slice()).unwrap();
        drop(records);
        let mut index = txn.open_table(index_def()).unwrap();
        // Points to a record that does not exist.
        index.insert(b"ghost@example.com".as_slice(), 999).unwrap();
        // Points to a record holding another email (and 8's own email is then
        // indexed as 9's).
        index.insert(b"p0008@example.com".as_slice(), 9).unwrap();
        drop(index);
        let mut meta = txn.open_table(META).unwrap();
        meta.insert(tables::sequence_key("contacts").as_str(), 20).unwrap();
        meta.insert("surprise", 1).unwrap();
        drop(meta);
        txn.open_table(TableDefinition::<u64, u64>::new("stray")).unwrap().insert(1, 1).unwrap();
        let mut imports = txn.open_table(IMPORTS).unwrap();
        imports.insert(2, b"{\"id\":2}".as_slice()).unwrap();
    });
    let before = std::fs::read(&path).unwrap();
    let report = Store::check(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before, "check changed the file");
    let found: Vec<String> =
        report.problems.iter().map(|p| format!("{} [{}] {}", p.table, p.key, p.problem)).collect();
    let has = |table: &str, key: &str, text: &str| {
        assert!(
            report.problems.iter().any(|p| p.table == table && p.key == key && p.problem.contains(text)),
            "no problem {table} [{key}] ~ {text:?} in:\n{}",
            found.join("\n")
        );
    };
    has("records/contacts", "3", "checksum mismatch");
    has("records/contacts", "5", "created by import 9, which is not in the import log");
    has("records/contacts", "5", "updated by import 9, which is not in the import log");
    has("records/contacts", "6", "its email 'new6@example.com' is not in index/contacts/1");
    has("records/contacts", "8", "is indexed as record 9's");
    has("index/contacts/1", "ghost@example.com", "points to record 999, which does not exist");
    has("index/contacts/1", "p0008@example.com", "points to record 9, whose email is 'p0009@example.com'");
    has("index/contacts/1", "p0006@example.com", "points to record 6, whose email is 'new6@example.com'");
    has("meta", "seq/contacts", "not above the highest record ID 20");
    has("meta", "seq/imports", "not above the highest import ID 2");
    has("meta", "surprise", "a key the store never writes");
    has("stray", "", "a table the store never writes");
    has("imports", "2", "corrupt");
    assert_eq!(report.problems.len(), 13, "{}", found.join("\n"));
    assert!(!report.is_ok());
}

/// Turns a store built by this version into what format 2 wrote: no `schema`
/// table, index tables named by property name, format 2.
fn downgrade_to_format_2(path: &Path) {
    raw(path, |txn| {
        txn.delete_table(tables::SCHEMA).unwrap();
        txn.rename_table(index_def(), TableDefinition::<&[u8], u64>::new("index/contacts/email")).unwrap();
        txn.open_table(META).unwrap().insert(FORMAT_KEY, tables::UPGRADABLE_FORMAT).unwrap();
    });
}

#[test]
fn a_format_2_store_is_upgraded_in_memory_when_read_and_in_the_file_when_opened_for_writing() {
    let (_dir, path) = tmp();
    drop(build(&path, 20));
    downgrade_to_format_2(&path);
    let before = std::fs::read(&path).unwrap();
    {
        let store = Store::open_read_only(&path).unwrap();
        let read = store.begin_read().unwrap();
        assert_eq!(read.lookup("contacts", EMAIL, b"p0004@example.com").unwrap(), Some(4));
        assert_eq!(read.schema().unwrap(), *crate::schema::standard());
    }
    assert!(std::fs::read(&path).unwrap() == before, "a read-only open changed the file");
    {
        let store = Store::open(&path).unwrap();
        let read = store.begin_read().unwrap();
        assert_eq!(read.lookup("contacts", EMAIL, b"p0007@example.com").unwrap(), Some(7));
        assert_eq!(read.schema().unwrap(), *crate::schema::standard());
    }
    let report = Store::check(&path).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.format_version, Some(tables::FORMAT_VERSION));
    assert_eq!(report.checked.index_entries, 20);
}

#[test]
fn the_schema_is_stored_checked_and_keeps_custom_properties_across_opens() {
    use crate::schema::{FIRST_CUSTOM_PROPERTY, PropertyDef, PropertyType};
    let (_dir, path) = tmp();
    drop(build(&path, 3));
    let contacts = {
        let store = Store::open(&path).unwrap();
        let session = store.begin_write().unwrap();
        let mut contacts = session.schema().unwrap().object("contacts").unwrap().clone();
        contacts.properties.push(PropertyDef {
            id: FIRST_CUSTOM_PROPERTY,
            name: "loyalty_tier".into(),
            label: "Loyalty tier".into(),
            ty: PropertyType::String,
            options: vec![],
            multiple: false,
            integer: false,
            unique: false,
            custom: true,
            secondary_of: None,
            shared: false,
            headers: std::collections::BTreeMap::new(),
        });
        session.save_object(&contacts).unwrap();
        // A property cannot change its type under the same ID.
        let mut changed = contacts.clone();
        changed.properties[2].ty = PropertyType::Number;
        assert!(matches!(session.save_object(&changed), Err(StoreError::Schema(_))));
        // A property goes only as a tombstone, and a tombstone stays.
        let mut dropped = contacts.clone();
        dropped.properties.pop();
        assert!(matches!(session.save_object(&dropped), Err(StoreError::Schema(_))));
        dropped.deleted_properties.push(FIRST_CUSTOM_PROPERTY);
        session.save_object(&dropped).unwrap();
        assert!(matches!(session.save_object(&contacts), Err(StoreError::Schema(_))), "ID reused");
        session.commit(true).unwrap();
        dropped
    };
    let store = Store::open(&path).unwrap();
    let schema = store.begin_read().unwrap().schema().unwrap();
    let stored = schema.object("contacts").unwrap();
    assert_eq!(stored, &contacts, "the tombstone survives reopening (and the standard refresh)");
    assert_eq!(stored.property(FIRST_CUSTOM_PROPERTY), None);
    assert_eq!(stored.next_custom_id(), FIRST_CUSTOM_PROPERTY + 1);
    assert_eq!(stored.property_named("email").unwrap().id, EMAIL);
    drop(store);
    // A damaged schema entry is a problem for `check` and an error for reads.
    raw(&path, |txn| {
        let mut t = txn.open_table(tables::SCHEMA).unwrap();
        let mut bytes = t.get("companies").unwrap().unwrap().value().to_vec();
        let n = bytes.len();
        bytes[n - 2] ^= 0x20;
        t.insert("companies", bytes.as_slice()).unwrap();
    });
    let report = Store::check(&path).unwrap();
    assert!(
        report.problems.iter().any(|p| p.table == "schema" && p.key == "companies"),
        "{:?}",
        report.problems
    );
    let read = Store::open_read_only(&path).unwrap();
    assert!(matches!(read.begin_read().unwrap().schema(), Err(StoreError::CorruptSchema { .. })));
}

/// The error file of `build`'s import (ID 1): `len` bytes, not a multiple of the
/// chunk size, kept in a transaction of its own.
fn keep_error_file(store: &Store, len: usize) -> Vec<u8> {
    let bytes: Vec<u8> =
        "line,column,value,code,message\n7,E-mail,josé.müller@exämple,INVALID_EMAIL,ærø.dk\n"
            .bytes()
            .cycle()
            .take(len)
            .collect();
    let session = store.begin_write().unwrap();
    let mut file = session.error_file(1).unwrap();
    // Pushed in uneven pieces: the chunks do not follow the pushes.
    for piece in bytes.chunks(777_777) {
        file.push(piece).unwrap();
    }
    assert_eq!(file.finish().unwrap(), len as u64);
    session.commit(true).unwrap();
    bytes
}

fn read_error_file(store: &Store, import: u64) -> Result<Option<Vec<u8>>, StoreError> {
    let mut out = Vec::new();
    let len = store.begin_read().unwrap().read_error_file(import, |b| {
        out.extend_from_slice(b);
        Ok::<_, StoreError>(())
    })?;
    Ok(len.map(|len| {
        assert_eq!(len, out.len() as u64);
        out
    }))
}

const ERRORS_DEF: TableDefinition<'static, (u64, u32), &'static [u8]> = TableDefinition::new("import_errors");

#[test]
fn an_error_file_is_kept_in_chunks_read_back_whole_and_checked() {
    let (_dir, path) = tmp();
    let store = build(&path, 3);
    let len = 2 * crate::ERROR_CHUNK_BYTES + 12_345;
    let bytes = keep_error_file(&store, len);
    assert_eq!(read_error_file(&store, 1).unwrap().as_deref(), Some(bytes.as_slice()));
    assert_eq!(read_error_file(&store, 2).unwrap(), None, "no error file for another import");
    // Rewriting replaces it; an empty file is one empty last chunk.
    let session = store.begin_write().unwrap();
    assert_eq!(session.error_file(1).unwrap().finish().unwrap(), 0);
    drop(session); // rolled back
    assert_eq!(read_error_file(&store, 1).unwrap().as_deref(), Some(bytes.as_slice()));
    drop(store);
    let report = Store::check(&path).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.checked.error_chunks, 3);

    // Damage: a flipped byte in chunk 1, and chunks of an import not in the log.
    raw(&path, |txn| {
        let mut t = txn.open_table(ERRORS_DEF).unwrap();
        let mut chunk = t.get((1, 1)).unwrap().unwrap().value().to_vec();
        chunk[100] ^= 0x20;
        t.insert((1, 1), chunk.as_slice()).unwrap();
        let last = t.get((1, 2)).unwrap().unwrap().value().to_vec();
        t.insert((9, 0), last.as_slice()).unwrap();
    });
    let report = Store::check(&path).unwrap();
    let found: Vec<String> =
        report.problems.iter().map(|p| format!("{} [{}] {}", p.table, p.key, p.problem)).collect();
    assert!(
        found.iter().any(|p| p.starts_with("import_errors [1/1] corrupt: checksum mismatch")),
        "{found:?}"
    );
    // Chunk 2 of import 1 stored as chunk 0 of import 9: its checksum names its key.
    assert!(
        found.iter().any(|p| p.starts_with("import_errors [9/0] corrupt: checksum mismatch")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("[9] an error file of import 9, which is not in the import log"))
    );
    assert_eq!(found.len(), 3, "{found:?}");
    let store = Store::open_read_only(&path).unwrap();
    let err = read_error_file(&store, 1).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::CorruptErrorFile {
                import: 1,
                chunk: 1,
                reason: crate::ErrorFileCorruption::Checksum { .. }
            }
        ),
        "{err}"
    );
    assert!(err.is_corruption());
    let mut called = false;
    let r = store.begin_read().unwrap().read_error_file(1, |_| {
        called = true;
        Ok::<_, StoreError>(())
    });
    assert!(r.is_err());
    assert!(!called, "nothing of a damaged file is handed out");
}

#[test]
fn check_finds_missing_and_stray_chunks_of_an_error_file() {
    let (_dir, path) = tmp();
    let store = build(&path, 3);
    let len = 3 * crate::ERROR_CHUNK_BYTES + 1;
    keep_error_file(&store, len);
    drop(store);
    let chunk = |txn: &redb::WriteTransaction, n: u32| {
        txn.open_table(ERRORS_DEF).unwrap().get((1, n)).unwrap().unwrap().value().to_vec()
    };
    // A gap: chunk 1 removed.
    raw(&path, |txn| drop(txn.open_table(ERRORS_DEF).unwrap().remove((1, 1)).unwrap()));
    let report = Store::check(&path).unwrap();
    let found: Vec<String> = report.problems.iter().map(|p| format!("[{}] {}", p.key, p.problem)).collect();
    assert_eq!(found, ["[1/2] chunk 1 is missing"]);
    let store = Store::open_read_only(&path).unwrap();
    assert!(matches!(
        read_error_file(&store, 1),
        Err(StoreError::CorruptErrorFile {
            import: 1,
            chunk: 2,
            reason: crate::ErrorFileCorruption::Missing { expected: 1 }
        })
    ));
    drop(store);
    // No last chunk: the last one (3) removed, the gap filled back with chunk 2's
    // bytes under key 1 (a checksum mismatch).
    raw(&path, |txn| {
        let two = chunk(txn, 2);
        let mut t = txn.open_table(ERRORS_DEF).unwrap();
        t.remove((1, 3)).unwrap();
        t.insert((1, 1), two.as_slice()).unwrap();
    });
    let report = Store::check(&path).unwrap();
    let found: Vec<String> = report.problems.iter().map(|p| format!("[{}] {}", p.key, p.problem)).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("[1/1] corrupt: checksum mismatch"), "{found:?}");
    // Every chunk sound, the last one missing.
    raw(&path, |txn| drop(txn.open_table(ERRORS_DEF).unwrap().remove((1, 1)).unwrap()));
    raw(&path, |txn| drop(txn.open_table(ERRORS_DEF).unwrap().remove((1, 2)).unwrap()));
    let report = Store::check(&path).unwrap();
    let found: Vec<String> = report.problems.iter().map(|p| format!("[{}] {}", p.key, p.problem)).collect();
    assert_eq!(found, ["[1/1] the last chunk is missing"]);
}
