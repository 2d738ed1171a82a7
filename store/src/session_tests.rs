//! Unit tests of the read and write sessions ([`crate::session`]): appends, updates
//! by [`MergePolicy`], premerges written with `write_merged`, identifier indexes
//! spliced in with `put_sorted` and removed, checkpoints, commits, rollbacks,
//! reopening, snapshot isolation, read-only stores and the before-images held
//! and written in sorted runs.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use redb::ReadableTable;

use crate::record::RecordView;
use crate::tables;
use crate::{
    MergePolicy, Premerge, ReadSession, ReplacedValues, RowValues, Store, StoreError, UpdateOutcome,
    WriteSession,
};

const OBJECT: &str = "contacts";
/// Property numbers used as plain slots (the store does not type values).
const EMAIL: u16 = 1;
const NAME: u16 = 2;
const CITY: u16 = 10;
const STAGE: u16 = 14;

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    (dir, path)
}

/// One row of `(property, value)` pairs, properties ascending.
fn row(pairs: &[(u16, &str)]) -> RowValues {
    rows(&[pairs])
}

/// Several rows of `(property, value)` pairs.
fn rows(all: &[&[(u16, &str)]]) -> RowValues {
    let mut values = RowValues::default();
    for pairs in all {
        for &(p, v) in *pairs {
            values.push(p, v);
        }
        values.end_row();
    }
    values
}

/// The values of record `id` as stored, or `None` if it does not exist.
fn stored(read: &ReadSession, id: u64) -> Option<Vec<(u16, String)>> {
    read.record(OBJECT, id).unwrap().map(|r| r.view().values().map(|(p, v)| (p, v.to_owned())).collect())
}

/// `(created_by, updated_by)` of record `id`.
fn writers(read: &ReadSession, id: u64) -> (u64, u64) {
    let r = read.record(OBJECT, id).unwrap().unwrap();
    let view = r.view();
    (view.created_by, view.updated_by)
}

fn owned(pairs: &[(u16, &str)]) -> Vec<(u16, String)> {
    pairs.iter().map(|&(p, v)| (p, v.to_owned())).collect()
}

/// Appends `records` (IDs ascending) as import `import` and commits durably.
fn append_all(store: &Store, import: u64, records: &[(u64, &[(u16, &str)])]) {
    let values = rows(&records.iter().map(|r| r.1).collect::<Vec<_>>());
    let session = store.begin_write().unwrap();
    {
        let mut table = session.records(OBJECT).unwrap();
        table.append(import, records.iter().enumerate().map(|(i, r)| (r.0, values.row(i)))).unwrap();
    }
    session.commit(true).unwrap();
}

/// A value an update replaced: `(record, property, the value before)`.
type Replaced = (u64, u16, Option<String>);

/// Runs `updates` through `RecordTable::update` in one session, committed.
fn update_all(
    store: &Store,
    import: u64,
    updates: &[(u64, &[(u16, &str)])],
    policy: &MergePolicy,
) -> (Vec<UpdateOutcome>, Vec<Replaced>) {
    let values = rows(&updates.iter().map(|r| r.1).collect::<Vec<_>>());
    let session = store.begin_write().unwrap();
    let mut outcomes = Vec::new();
    let mut replaced = ReplacedValues::default();
    {
        let mut table = session.records(OBJECT).unwrap();
        table
            .update(
                import,
                updates.iter().enumerate().map(|(i, u)| (u.0, values.row(i))),
                policy,
                &mut outcomes,
                Some(&mut replaced),
            )
            .unwrap();
    }
    session.commit(true).unwrap();
    let replaced = replaced.iter().map(|(r, p, v)| (r, p, v.map(str::to_owned))).collect();
    (outcomes, replaced)
}

/// Every `(key, record ID)` of the email index, in key order.
fn index_entries(read: &ReadSession) -> Vec<(Vec<u8>, u64)> {
    let mut out = Vec::new();
    read.for_each_index_entry(OBJECT, EMAIL, (Bound::Unbounded, Bound::Unbounded), |k, id| {
        out.push((k.to_vec(), id));
    })
    .unwrap();
    out
}

const UPDATED: UpdateOutcome = UpdateOutcome::Updated { held_back: false };
const UNCHANGED: UpdateOutcome = UpdateOutcome::Unchanged { held_back: false };

#[test]
fn appended_records_survive_a_durable_commit_and_reopening_in_id_order() {
    let (_dir, path) = tmp();
    {
        let store = Store::open(&path).unwrap();
        append_all(
            &store,
            3,
            &[
                (1, &[(EMAIL, "ada@example.com"), (NAME, "Ada")]),
                (2, &[(NAME, "Zoë")]),
                (5, &[]),
                (40, &[(EMAIL, "x@example.com"), (CITY, "Köln")]),
            ],
        );
        let session = store.begin_write().unwrap();
        assert_eq!(session.next_id(OBJECT).unwrap(), 1, "a sequence never written starts at 1");
        session.set_next_id(OBJECT, 41).unwrap();
        session.commit(true).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let read = store.begin_read().unwrap();
    assert_eq!(read.record_count(OBJECT).unwrap(), 4);
    assert_eq!(read.next_id(OBJECT).unwrap(), 41);
    assert_eq!(read.next_id("companies").unwrap(), 1);
    assert_eq!(stored(&read, 1), Some(owned(&[(EMAIL, "ada@example.com"), (NAME, "Ada")])));
    assert_eq!(stored(&read, 2), Some(owned(&[(NAME, "Zoë")])));
    assert_eq!(stored(&read, 5), Some(vec![]), "a record without values is a record");
    assert_eq!(stored(&read, 3), None);
    assert_eq!(writers(&read, 40), (3, 3), "created and last updated by the appending import");
    let mut seen = Vec::new();
    read.for_each_record(OBJECT, |id, view| {
        seen.push((id, view.get(NAME).map(str::to_owned)));
        true
    })
    .unwrap();
    assert_eq!(seen, [(1, Some("Ada".into())), (2, Some("Zoë".into())), (5, None), (40, None)]);
    // The scan stops when asked.
    let mut first = Vec::new();
    read.for_each_record(OBJECT, |id, _| {
        first.push(id);
        id < 2
    })
    .unwrap();
    assert_eq!(first, [1, 2]);
    // A point reader finds them too.
    let reader = read.record_reader(OBJECT).unwrap();
    let probe = row(&[(NAME, "Ada")]);
    let merged =
        reader.premerge(4, &[(1, probe.row(0)), (3, probe.row(0))], &MergePolicy::overwrite()).unwrap();
    assert_eq!(merged.outcomes, [Premerge::Unchanged, Premerge::Missing]);
}

#[test]
fn a_dropped_session_writes_nothing_and_a_checkpoint_keeps_what_came_before_it() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    {
        let session = store.begin_write().unwrap();
        let values = row(&[(EMAIL, "gone@example.com")]);
        session.records(OBJECT).unwrap().append(1, [(1, values.row(0))]).unwrap();
        session.set_next_id(OBJECT, 2).unwrap();
        // Dropped without a commit: rolled back.
    }
    let read = store.begin_read().unwrap();
    assert_eq!(read.record_count(OBJECT).unwrap(), 0);
    assert_eq!(read.next_id(OBJECT).unwrap(), 1);
    drop(read);
    {
        let mut session = store.begin_write().unwrap();
        let values = rows(&[&[(NAME, "kept")], &[(NAME, "lost")]]);
        session.records(OBJECT).unwrap().append(1, [(1, values.row(0))]).unwrap();
        session.checkpoint().unwrap();
        // What the checkpoint committed is visible to a new snapshot at once.
        assert_eq!(store.begin_read().unwrap().record_count(OBJECT).unwrap(), 1);
        session.records(OBJECT).unwrap().append(1, [(2, values.row(1))]).unwrap();
        // The session is dropped after the checkpoint: only the second part goes.
    }
    let read = store.begin_read().unwrap();
    assert_eq!(stored(&read, 1), Some(owned(&[(NAME, "kept")])));
    assert_eq!(stored(&read, 2), None);
}

#[test]
fn a_snapshot_does_not_see_later_commits() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    append_all(&store, 1, &[(1, &[(NAME, "Ada")])]);
    let before = store.begin_read().unwrap();
    append_all(&store, 2, &[(2, &[(NAME, "Bob")])]);
    update_all(&store, 2, &[(1, &[(NAME, "Ada L.")])], &MergePolicy::overwrite());
    assert_eq!(before.record_count(OBJECT).unwrap(), 1);
    assert_eq!(stored(&before, 1), Some(owned(&[(NAME, "Ada")])));
    let after = store.begin_read().unwrap();
    assert_eq!(after.record_count(OBJECT).unwrap(), 2);
    assert_eq!(stored(&after, 1), Some(owned(&[(NAME, "Ada L.")])));
}

#[test]
fn updates_merge_by_policy_and_report_outcomes_and_what_they_replaced() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    append_all(
        &store,
        1,
        &[(1, &[(EMAIL, "a@x.com"), (NAME, "Ada")]), (2, &[(EMAIL, "b@x.com")]), (3, &[(NAME, "Cy")])],
    );
    // Overwrite: a changed value and a new one; an equal row is unchanged.
    let (outcomes, replaced) = update_all(
        &store,
        2,
        &[(1, &[(NAME, "Ada"), (CITY, "Oslo")]), (2, &[(EMAIL, "b@x.com")]), (3, &[(NAME, "Cyd")])],
        &MergePolicy::overwrite(),
    );
    assert_eq!(outcomes, [UPDATED, UNCHANGED, UPDATED]);
    assert_eq!(replaced, [(1, CITY, None), (3, NAME, Some("Cy".into()))]);
    let read = store.begin_read().unwrap();
    assert_eq!(stored(&read, 1), Some(owned(&[(EMAIL, "a@x.com"), (NAME, "Ada"), (CITY, "Oslo")])));
    assert_eq!(writers(&read, 1), (1, 2));
    assert_eq!(writers(&read, 2), (1, 1), "an unchanged record is not written");
    drop(read);
    // Protected: set only where the record has no value yet.
    let (outcomes, replaced) = update_all(
        &store,
        3,
        &[(1, &[(NAME, "Other"), (CITY, "Paris")]), (2, &[(NAME, "Bea")])],
        &MergePolicy::protecting([NAME]),
    );
    assert_eq!(outcomes, [UPDATED, UPDATED]);
    assert_eq!(replaced, [(1, CITY, Some("Oslo".into())), (2, NAME, None)]);
    let read = store.begin_read().unwrap();
    assert_eq!(stored(&read, 1), Some(owned(&[(EMAIL, "a@x.com"), (NAME, "Ada"), (CITY, "Paris")])));
    assert_eq!(stored(&read, 2), Some(owned(&[(EMAIL, "b@x.com"), (NAME, "Bea")])));
    drop(read);
    // Everything protected: only missing values go in.
    let (outcomes, _) = update_all(
        &store,
        4,
        &[(1, &[(EMAIL, "new@x.com"), (NAME, "New")]), (3, &[(EMAIL, "c@x.com")])],
        &MergePolicy::protecting_all(),
    );
    assert_eq!(outcomes, [UNCHANGED, UPDATED]);
    let read = store.begin_read().unwrap();
    assert_eq!(stored(&read, 1).unwrap()[0], (EMAIL, "a@x.com".into()));
    assert_eq!(stored(&read, 3), Some(owned(&[(EMAIL, "c@x.com"), (NAME, "Cyd")])));
    assert!(MergePolicy::protecting_all().protects(999));
    assert!(!MergePolicy::protecting([NAME]).protects(CITY));
}

/// A before-image: `(import, record)` and the record's values.
type Image = ((u64, u64), Vec<(u16, String)>);

/// Every before-image of [`OBJECT`], in key order.
fn images(read: &ReadSession) -> Vec<Image> {
    let name = tables::before_name(OBJECT);
    let Ok(table) = read.txn().open_table(tables::before(&name)) else { return Vec::new() };
    let mut out = Vec::new();
    for item in table.iter().unwrap() {
        let (k, v) = item.unwrap();
        let key = k.value();
        let view = RecordView::parse(v.value(), key.1).unwrap();
        out.push((key, view.values().map(|(p, v)| (p, v.to_owned())).collect()));
    }
    out
}

/// An import's before-images are held and written in sorted runs (past the
/// held limit, runs that interleave with the ones written before): each
/// record changed gets exactly one, its state before the import, whatever
/// order the pieces came in; a dropped session writes none.
#[test]
fn before_images_are_one_per_record_changed_whatever_the_order_of_the_pieces() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    let names: Vec<String> = (0..400).map(|i| format!("jösé-{i:03}-{}", "ü".repeat(i % 7))).collect();
    let values: Vec<Vec<(u16, &str)>> = names.iter().map(|n| vec![(NAME, n.as_str())]).collect();
    let records: Vec<(u64, &[(u16, &str)])> =
        values.iter().enumerate().map(|(i, v)| (i as u64 + 1, v.as_slice())).collect();
    append_all(&store, 1, &records);
    // Import 2 changes every third record, in pieces of 16 records taken in a
    // scrambled order, each piece sorted (as the commit stage gives them), and
    // some records twice.
    let mut ids: Vec<u64> = (1..=400).filter(|i| i % 3 == 0).collect();
    ids.sort_by_key(|&i| (i * 7919) % 401);
    ids.extend([3, 300, 399]);
    let new = |id: u64| format!("ærø-{id}");
    let session = store.begin_write().unwrap();
    for piece in ids.chunks(16) {
        let mut piece = piece.to_vec();
        piece.sort_unstable();
        let texts: Vec<String> = piece.iter().map(|&id| new(id)).collect();
        let pairs: Vec<[(u16, &str); 1]> = texts.iter().map(|t| [(NAME, t.as_str())]).collect();
        let values = rows(&pairs.iter().map(|p| &p[..]).collect::<Vec<_>>());
        let mut table = session.records(OBJECT).unwrap();
        let mut outcomes = Vec::new();
        table
            .update(
                2,
                piece.iter().enumerate().map(|(i, &id)| (id, values.row(i))),
                &MergePolicy::overwrite(),
                &mut outcomes,
                None,
            )
            .unwrap();
    }
    session.commit(true).unwrap();
    let read = store.begin_read().unwrap();
    let mut expected: Vec<Image> = (1..=400u64)
        .filter(|i| i % 3 == 0)
        .map(|i| ((2, i), vec![(NAME, names[i as usize - 1].clone())]))
        .collect();
    expected.sort();
    assert_eq!(images(&read), expected);
    assert_eq!(stored(&read, 300), Some(vec![(NAME, new(300))]));
    // A session dropped without its commit leaves no image.
    let session = store.begin_write().unwrap();
    {
        let values = rows(&[&[(NAME, "x")]]);
        let mut table = session.records(OBJECT).unwrap();
        table.update(3, [(1, values.row(0))], &MergePolicy::overwrite(), &mut Vec::new(), None).unwrap();
    }
    drop(session);
    assert_eq!(images(&store.begin_read().unwrap()), expected);
}

#[test]
fn consecutive_updates_of_one_record_equal_writing_after_each() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    append_all(&store, 1, &[(1, &[(NAME, "a")]), (2, &[(NAME, "b")])]);
    let updates: &[(u64, &[(u16, &str)])] = &[
        (1, &[(NAME, "a2")]),
        (1, &[(NAME, "a2")]),
        (1, &[(CITY, "x")]),
        (1, &[(NAME, "a3"), (CITY, "x")]),
        (2, &[(NAME, "b")]),
        (2, &[(NAME, "b")]),
    ];
    let (outcomes, replaced) = update_all(&store, 2, updates, &MergePolicy::overwrite());
    assert_eq!(outcomes, [UPDATED, UNCHANGED, UPDATED, UPDATED, UNCHANGED, UNCHANGED]);
    assert_eq!(
        replaced,
        [(1, NAME, Some("a".into())), (1, CITY, None), (1, NAME, Some("a2".into()))],
        "each update's before-image is the record as the previous update left it"
    );
    let batched = store.begin_read().unwrap();
    let batched = (stored(&batched, 1), stored(&batched, 2), writers(&batched, 1), writers(&batched, 2));
    // The same updates one session each.
    let (_dir2, path2) = tmp();
    let one_by_one = Store::open(&path2).unwrap();
    append_all(&one_by_one, 1, &[(1, &[(NAME, "a")]), (2, &[(NAME, "b")])]);
    let mut outcomes_each = Vec::new();
    for u in updates {
        outcomes_each.extend(update_all(&one_by_one, 2, &[*u], &MergePolicy::overwrite()).0);
    }
    assert_eq!(outcomes_each, outcomes);
    let read = one_by_one.begin_read().unwrap();
    assert_eq!((stored(&read, 1), stored(&read, 2), writers(&read, 1), writers(&read, 2)), batched);
    assert_eq!(batched.3, (1, 1), "a run of unchanged updates writes nothing");
}

#[test]
fn an_update_of_a_missing_record_is_an_error_and_commits_nothing() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    append_all(&store, 1, &[(1, &[(NAME, "a")])]);
    let values = rows(&[&[(NAME, "changed")], &[(NAME, "nobody")]]);
    let session = store.begin_write().unwrap();
    let mut outcomes = Vec::new();
    let e = session
        .records(OBJECT)
        .unwrap()
        .update(2, [(1, values.row(0)), (7, values.row(1))], &MergePolicy::overwrite(), &mut outcomes, None)
        .unwrap_err();
    assert!(matches!(&e, StoreError::MissingRecord { object, id: 7 } if object == OBJECT), "{e}");
    assert_eq!(outcomes, [UPDATED], "the update before it was applied");
    drop(session);
    assert_eq!(stored(&store.begin_read().unwrap(), 1), Some(owned(&[(NAME, "a")])));
}

#[test]
fn forward_only_values_are_held_back_in_updates_and_premerges() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    append_all(&store, 1, &[(1, &[(STAGE, "customer")]), (2, &[(STAGE, "lead")]), (3, &[(NAME, "n")])]);
    let order = ["subscriber", "lead", "customer", "evangelist"].map(str::to_owned).to_vec();
    let policy = MergePolicy::overwrite().moving_forward_only(STAGE, order);
    assert!(policy.is_backward(STAGE, b"customer", b"lead"));
    assert!(!policy.is_backward(STAGE, b"lead", b"customer"));
    assert!(!policy.is_backward(STAGE, b"customer", b"other"), "values outside the order move freely");
    assert!(!policy.is_backward(NAME, b"customer", b"lead"));
    // Premerges against the snapshot first: the same verdicts, nothing written.
    let changes = rows(&[&[(NAME, "x"), (STAGE, "lead")], &[(STAGE, "lead")], &[(STAGE, "lead")]]);
    let read = store.begin_read().unwrap();
    let items = [(1, changes.row(0)), (1, changes.row(1)), (2, changes.row(2))];
    let merged = read.record_reader(OBJECT).unwrap().premerge(2, &items, &policy).unwrap();
    assert!(matches!(merged.outcomes[..], [Premerge::Changed(_), Premerge::Unchanged, Premerge::Unchanged]));
    assert_eq!(merged.held_back, [0, 1], "items 0 and 1 would move record 1 back");
    drop(read);
    let (outcomes, replaced) = update_all(
        &store,
        2,
        &[(1, &[(NAME, "x"), (STAGE, "lead")]), (2, &[(STAGE, "evangelist")]), (3, &[(STAGE, "lead")])],
        &policy,
    );
    assert_eq!(
        outcomes,
        [UpdateOutcome::Updated { held_back: true }, UPDATED, UPDATED],
        "record 1's name changed, its stage was held back"
    );
    assert!(outcomes[0].held_back() && !outcomes[1].held_back());
    assert_eq!(replaced, [(1, NAME, None), (2, STAGE, Some("lead".into())), (3, STAGE, None)]);
    let read = store.begin_read().unwrap();
    assert_eq!(stored(&read, 1), Some(owned(&[(NAME, "x"), (STAGE, "customer")])));
    assert_eq!(stored(&read, 2), Some(owned(&[(STAGE, "evangelist")])));
    drop(read);
    let (outcomes, _) = update_all(&store, 3, &[(1, &[(STAGE, "subscriber")])], &policy);
    assert_eq!(outcomes, [UpdateOutcome::Unchanged { held_back: true }]);
}

#[test]
fn premerged_records_are_written_as_merged_and_read_back_after_reopening() {
    let (_dir, path) = tmp();
    let records: Vec<(u64, Vec<(u16, String)>)> =
        (1..=30).map(|id| (id, owned(&[(EMAIL, &format!("p{id}@x.com")), (NAME, "same")]))).collect();
    {
        let store = Store::open(&path).unwrap();
        let pairs: Vec<Vec<(u16, &str)>> =
            records.iter().map(|(_, r)| r.iter().map(|(p, v)| (*p, v.as_str())).collect()).collect();
        let input: Vec<(u64, &[(u16, &str)])> =
            records.iter().zip(&pairs).map(|((id, _), p)| (*id, p.as_slice())).collect();
        append_all(&store, 1, &input);
        // Dense IDs (one range scan) and sparse ones (point reads), repeats allowed:
        // each item merges into the snapshot's record, not into the item before it.
        let changes = rows(&[&[(NAME, "same")], &[(NAME, "new")], &[(CITY, "Oslo")], &[(NAME, "x")]]);
        let read = store.begin_read().unwrap();
        let reader = read.record_reader(OBJECT).unwrap();
        let policy = MergePolicy::overwrite();
        let dense = [(2, changes.row(0)), (3, changes.row(1)), (3, changes.row(2)), (4, changes.row(3))];
        let sparse = [(1, changes.row(1)), (29, changes.row(2)), (999, changes.row(3))];
        let d = reader.premerge(2, &dense, &policy).unwrap();
        let s = reader.premerge(2, &sparse, &policy).unwrap();
        let slot = |p: Premerge| match p {
            Premerge::Changed(slot) => slot,
            other => panic!("expected a change, got {other:?}"),
        };
        assert_eq!(d.outcomes[0], Premerge::Unchanged);
        assert_eq!(s.outcomes[2], Premerge::Missing);
        assert!(d.held_back.is_empty() && s.held_back.is_empty());
        let empty = reader.premerge(2, &[], &policy).unwrap();
        assert!(empty.outcomes.is_empty());
        assert!(
            crate::RecordReader::empty()
                .premerge(2, &dense, &policy)
                .unwrap()
                .outcomes
                .iter()
                .all(|o| *o == Premerge::Missing)
        );
        drop(read);
        let session = store.begin_write().unwrap();
        {
            let mut table = session.records(OBJECT).unwrap();
            // Record 3 gets its second premerge (the city), record 4 its name.
            table.write_merged(2, &d, [(3, slot(d.outcomes[2])), (4, slot(d.outcomes[3]))]).unwrap();
            table.write_merged(2, &s, [(1, slot(s.outcomes[0])), (29, slot(s.outcomes[1]))]).unwrap();
        }
        session.commit(true).unwrap();
    }
    let store = Store::open_read_only(&path).unwrap();
    let read = store.begin_read().unwrap();
    let name = |id| read.record(OBJECT, id).unwrap().unwrap().view().get(NAME).map(str::to_owned);
    assert_eq!(name(1).as_deref(), Some("new"));
    assert_eq!(name(3).as_deref(), Some("same"), "the city premerge did not see the name premerge");
    assert_eq!(stored(&read, 3).unwrap()[2], (CITY, "Oslo".into()));
    assert_eq!(name(4).as_deref(), Some("x"));
    assert_eq!(stored(&read, 29).unwrap().last(), Some(&(CITY, "Oslo".into())));
    assert_eq!(writers(&read, 29), (1, 2), "a premerge records the import that merged it");
    assert_eq!(writers(&read, 2), (1, 1));
    assert_eq!(read.record_count(OBJECT).unwrap(), 30);
}

/// Subsets of `keys` chosen by the bits of `mask`, ascending.
fn subset<'k>(keys: &[&'k [u8]], mask: u32) -> Vec<&'k [u8]> {
    keys.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, k)| *k).collect()
}

#[test]
fn put_sorted_splices_any_sorted_keys_into_any_index_as_a_map_insert_would() {
    // Keys that share prefixes, an empty key, and keys longer than 8 bytes.
    let keys: [&[u8]; 6] = [b"", b"a", b"a@x.com", b"a@x.com.au", b"b", b"zzzzzzzzzz"];
    let (_dir, path) = tmp();
    let store = Store::open_with_backend(&path, redb::backends::InMemoryBackend::new()).unwrap();
    for existing in 0u32..64 {
        for inserted in 0u32..64 {
            let old = subset(&keys, existing);
            let new = subset(&keys, inserted);
            let mut model: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            let session = store.begin_write().unwrap();
            {
                let mut index = session.index(OBJECT, EMAIL).unwrap();
                index.put_sorted(old.iter().enumerate().map(|(i, k)| (*k, 100 + i as u64))).unwrap();
                index.put_sorted(new.iter().enumerate().map(|(i, k)| (*k, 200 + i as u64))).unwrap();
            }
            session.commit(false).unwrap();
            for (i, k) in old.iter().enumerate() {
                model.insert(k.to_vec(), 100 + i as u64);
            }
            for (i, k) in new.iter().enumerate() {
                model.insert(k.to_vec(), 200 + i as u64);
            }
            let read = store.begin_read().unwrap();
            let got = index_entries(&read);
            let want: Vec<(Vec<u8>, u64)> = model.into_iter().collect();
            assert_eq!(got, want, "existing {old:?}, inserted {new:?}");
            assert_eq!(read.index_len(OBJECT, EMAIL).unwrap(), want.len() as u64);
            drop(read);
            let session = store.begin_write().unwrap();
            session.index(OBJECT, EMAIL).unwrap().remove(keys.iter().copied()).unwrap();
            session.commit(false).unwrap();
            assert_eq!(store.begin_read().unwrap().index_len(OBJECT, EMAIL).unwrap(), 0);
        }
    }
}

#[test]
fn index_entries_are_looked_up_ranged_removed_and_kept_across_reopening() {
    let (_dir, path) = tmp();
    {
        let store = Store::open(&path).unwrap();
        let session = store.begin_write().unwrap();
        {
            let mut index = session.index(OBJECT, EMAIL).unwrap();
            index
                .put_sorted([
                    (b"ada@x.com".as_slice(), 1),
                    (b"bob@x.com".as_slice(), 2),
                    ("josé@müller.de".as_bytes(), 3),
                ])
                .unwrap();
            // Removing a key that is not there is not an error.
            index.remove([b"bob@x.com".as_slice(), b"nobody@x.com".as_slice()]).unwrap();
            index.put_sorted([(b"cy@x.com".as_slice(), 4)]).unwrap();
        }
        // Another property's index is another table.
        session.index(OBJECT, NAME).unwrap().put_sorted([(b"Ada".as_slice(), 1)]).unwrap();
        session.commit(true).unwrap();
    }
    let store = Store::open_read_only(&path).unwrap();
    let read = store.begin_read().unwrap();
    assert_eq!(read.lookup(OBJECT, EMAIL, b"ada@x.com").unwrap(), Some(1));
    assert_eq!(read.lookup(OBJECT, EMAIL, b"bob@x.com").unwrap(), None);
    assert_eq!(read.lookup(OBJECT, EMAIL, "josé@müller.de".as_bytes()).unwrap(), Some(3));
    assert_eq!(read.lookup(OBJECT, EMAIL, b"Ada").unwrap(), None);
    assert_eq!(read.lookup(OBJECT, NAME, b"Ada").unwrap(), Some(1));
    assert_eq!(read.index_len(OBJECT, EMAIL).unwrap(), 3);
    let mut ranged = Vec::new();
    read.for_each_index_entry(
        OBJECT,
        EMAIL,
        (Bound::Included(b"b".as_slice()), Bound::Excluded("josé".as_bytes())),
        |k, id| ranged.push((String::from_utf8(k.to_vec()).unwrap(), id)),
    )
    .unwrap();
    assert_eq!(ranged, [("cy@x.com".to_owned(), 4)]);
    // Missing tables read as empty.
    assert_eq!(read.lookup("companies", 2, b"acme.com").unwrap(), None);
    assert_eq!(read.index_len("companies", 2).unwrap(), 0);
    let mut none = 0;
    read.for_each_index_entry("companies", 2, (Bound::Unbounded, Bound::Unbounded), |_, _| none += 1)
        .unwrap();
    assert_eq!(none, 0);
}

#[test]
fn deleting_an_index_says_whether_it_existed() {
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    let session = store.begin_write().unwrap();
    session.index(OBJECT, EMAIL).unwrap().put_sorted([(b"a@x.com".as_slice(), 1)]).unwrap();
    assert!(session.delete_index(OBJECT, EMAIL).unwrap());
    assert!(!session.delete_index(OBJECT, EMAIL).unwrap());
    session.commit(true).unwrap();
    assert_eq!(store.begin_read().unwrap().index_len(OBJECT, EMAIL).unwrap(), 0);
}

fn build_read_only_store(path: &Path) {
    let store = Store::open(path).unwrap();
    append_all(&store, 1, &[(1, &[(EMAIL, "a@x.com")]), (2, &[(EMAIL, "b@x.com")])]);
    let session = store.begin_write().unwrap();
    session
        .index(OBJECT, EMAIL)
        .unwrap()
        .put_sorted([(b"a@x.com".as_slice(), 1), (b"b@x.com".as_slice(), 2)])
        .unwrap();
    session.set_next_id(OBJECT, 3).unwrap();
    session.commit(true).unwrap();
}

#[test]
fn a_read_only_store_reads_everything_and_opens_no_write_session() {
    let (_dir, path) = tmp();
    build_read_only_store(&path);
    let before = std::fs::read(&path).unwrap();
    {
        let store = Store::open_read_only(&path).unwrap();
        assert!(matches!(store.begin_write(), Err(StoreError::ReadOnly { .. })));
        let read = store.begin_read().unwrap();
        assert_eq!(read.record_count(OBJECT).unwrap(), 2);
        assert_eq!(read.next_id(OBJECT).unwrap(), 3);
        assert_eq!(read.lookup(OBJECT, EMAIL, b"b@x.com").unwrap(), Some(2));
        assert_eq!(stored(&read, 1), Some(owned(&[(EMAIL, "a@x.com")])));
        // Objects never written read as empty, without creating their tables.
        assert_eq!(read.record_count("pets").unwrap(), 0);
        assert!(read.record("pets", 1).unwrap().is_none());
        let mut calls = 0;
        read.for_each_record("pets", |_, _| {
            calls += 1;
            true
        })
        .unwrap();
        assert_eq!(calls, 0);
        let changes = row(&[(NAME, "x")]);
        let merged = read
            .record_reader("pets")
            .unwrap()
            .premerge(9, &[(1, changes.row(0))], &MergePolicy::overwrite())
            .unwrap();
        assert_eq!(merged.outcomes, [Premerge::Missing]);
        // Two read-only opens share the file.
        let second = Store::open_read_only(&path).unwrap();
        assert_eq!(second.begin_read().unwrap().record_count(OBJECT).unwrap(), 2);
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "reading changed the file");
}

/// A write session can be handed to another thread's scope: its tables are filled
/// from scoped threads inside the one transaction (as the commit stage does).
#[test]
fn tables_of_one_session_are_filled_from_scoped_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let (_dir, path) = tmp();
    let store = Store::open(&path).unwrap();
    let session: WriteSession<'_> = store.begin_write().unwrap();
    let values = rows(&[&[(NAME, "one")], &[(NAME, "two")]]);
    let mut records = session.records(OBJECT).unwrap();
    let mut index = session.index(OBJECT, EMAIL).unwrap();
    assert_send(&records);
    assert_send(&index);
    std::thread::scope(|s| {
        s.spawn(|| records.append(1, [(1, values.row(0)), (2, values.row(1))]).unwrap());
        s.spawn(|| index.put_sorted([(b"one@x.com".as_slice(), 1)]).unwrap());
    });
    drop((records, index));
    session.commit(true).unwrap();
    let read = store.begin_read().unwrap();
    assert_eq!(read.record_count(OBJECT).unwrap(), 2);
    assert_eq!(read.lookup(OBJECT, EMAIL, b"one@x.com").unwrap(), Some(1));
}

#[test]
fn row_values_hold_rows_back_to_back() {
    let values = rows(&[&[(EMAIL, "a@x.com"), (NAME, "Ada")], &[], &[(CITY, "Köln")]]);
    assert_eq!(values.len(), 3);
    assert!(!values.is_empty());
    assert!(RowValues::default().is_empty());
    assert_eq!(values.row(0).iter().collect::<Vec<_>>(), [(EMAIL, "a@x.com"), (NAME, "Ada")]);
    assert!(values.row(1).is_empty());
    assert_eq!(values.row(2).get(CITY), Some("Köln"));
    assert_eq!(values.row(2).get(NAME), None);
    let with_capacity = RowValues::with_capacity(1024, 8);
    assert!(with_capacity.is_empty());
}
