//! Unit tests of the links ([`crate::links`]): both directions, labels that are
//! only ever added, the primary company rules, limits, the change history, and
//! `check` finding damaged links.

use std::path::PathBuf;

use redb::ReadableTable;

use crate::schema::AssociationLabel;
use crate::{
    ChangeKind, DissociateOutcome, LinkOrigin, LinkOutcome, LinkRequest, LinkSource, RowValues, Store,
    StoreError,
};

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    (dir, path)
}

fn origin(time_ms: i64) -> LinkOrigin {
    LinkOrigin { source: LinkSource::User, import: None, time_ms }
}

fn plain(time_ms: i64) -> LinkRequest<'static> {
    LinkRequest { labels: &[], primary: false, origin: origin(time_ms) }
}

/// A store with `n` records of each of `objects` (IDs 1..=n).
fn store_with(path: &std::path::Path, objects: &[&str], n: u64) -> Store {
    let store = Store::open(path).unwrap();
    let session = store.begin_write().unwrap();
    for object in objects {
        let mut values = RowValues::default();
        for _ in 0..n {
            values.push(1, "x");
            values.end_row();
        }
        let mut records = session.records(object).unwrap();
        records.append(1, (0..n as usize).map(|i| (i as u64 + 1, values.row(i)))).unwrap();
        drop(records);
        session.set_next_id(object, n + 1).unwrap();
    }
    session.commit(true).unwrap();
    store
}

/// The problems `check` finds in the links tables and logs (the records these
/// tests write name no import, which `check` also reports).
fn link_problems(path: &std::path::Path) -> Vec<String> {
    let report = Store::check(path).unwrap();
    report
        .problems
        .iter()
        .filter(|p| p.table.starts_with("link") || p.table.starts_with("associations"))
        .map(|p| format!("{} {} {}", p.table, p.key, p.problem))
        .collect()
}

fn primary_of(store: &Store, object: &str, id: u64) -> Vec<u64> {
    let read = store.begin_read().unwrap();
    read.links(object, id)
        .unwrap()
        .into_iter()
        .filter(|l| l.object == "companies" && l.primary)
        .map(|l| l.id)
        .collect()
}

#[test]
fn a_link_is_visible_from_both_records_and_counted_once() {
    let (_d, path) = tmp();
    let store = store_with(&path, &["contacts", "companies"], 3);
    let session = store.begin_write().unwrap();
    let mut links = session.links().unwrap();
    let out = links.associate(("contacts", 1), ("companies", 2), &plain(10)).unwrap();
    assert_eq!(out, LinkOutcome::Created { primary: true }, "a contact's first company is its primary");
    let out = links.associate(("contacts", 2), ("contacts", 3), &plain(11)).unwrap();
    assert_eq!(out, LinkOutcome::Created { primary: false }, "same-object links have no primary");
    assert!(matches!(
        links.associate(("contacts", 1), ("contacts", 1), &plain(12)),
        Err(StoreError::Association(_))
    ));
    links.finish().unwrap();
    session.commit(true).unwrap();

    let read = store.begin_read().unwrap();
    let of_company = read.links("companies", 2).unwrap();
    assert_eq!(of_company.len(), 1);
    assert_eq!(
        (of_company[0].object.as_str(), of_company[0].id, of_company[0].primary),
        ("contacts", 1, true)
    );
    assert_eq!(of_company[0].created, origin(10));
    assert_eq!(read.links("contacts", 3).unwrap()[0].id, 2, "a same-object link is seen from its other end");
    assert_eq!(read.link_count().unwrap(), 2);
    drop(read);
    drop(store);
    assert_eq!(link_problems(&path), Vec::<String>::new());
    assert_eq!(Store::check(&path).unwrap().checked.links, 4);
}

#[test]
fn labels_are_added_never_removed() {
    let (_d, path) = tmp();
    let store = store_with(&path, &["contacts", "companies"], 2);
    let session = store.begin_write().unwrap();
    let mut schema = session.schema().unwrap();
    let companies = schema.objects.iter_mut().find(|o| o.name == "companies").unwrap();
    let t = companies.association_mut("contacts");
    t.labels = vec![
        AssociationLabel { id: 1, name: "Advisor".into() },
        AssociationLabel { id: 2, name: "Billing".into() },
    ];
    session.save_object(companies).unwrap();
    let mut links = session.links().unwrap();
    let with = |labels: &'static [u16], t| LinkRequest { labels, primary: false, origin: origin(t) };
    links.associate(("companies", 1), ("contacts", 1), &with(&[2], 1)).unwrap();
    let again = links.associate(("contacts", 1), ("companies", 1), &with(&[1, 2], 2)).unwrap();
    assert_eq!(again, LinkOutcome::Existing { labels_added: vec![1], primary_set: false });
    let none = links.associate(("contacts", 1), ("companies", 1), &with(&[], 3)).unwrap();
    assert_eq!(none, LinkOutcome::Existing { labels_added: vec![], primary_set: false });
    links.finish().unwrap();
    session.commit(true).unwrap();
    let read = store.begin_read().unwrap();
    assert_eq!(read.links("contacts", 1).unwrap()[0].labels, vec![1, 2]);
    let history = read.link_history("contacts", 1).unwrap();
    let kinds: Vec<_> = history.iter().map(|c| (c.kind, c.origin.time_ms, c.labels.clone())).collect();
    assert_eq!(kinds, vec![(ChangeKind::LabelsAdded, 2, vec![1]), (ChangeKind::Created, 1, vec![1, 2])]);
    drop(read);
    drop(store);
    assert_eq!(link_problems(&path), Vec::<String>::new());
}

#[test]
fn a_record_has_one_primary_company_and_removing_it_needs_a_successor() {
    let (_d, path) = tmp();
    let store = store_with(&path, &["deals", "companies"], 4);
    let session = store.begin_write().unwrap();
    let mut links = session.links().unwrap();
    for c in 1..=3 {
        links.associate(("deals", 1), ("companies", c), &plain(c.cast_signed())).unwrap();
    }
    let make = LinkRequest { labels: &[], primary: true, origin: origin(10) };
    assert_eq!(
        links.associate(("companies", 4), ("deals", 1), &make).unwrap(),
        LinkOutcome::Created { primary: true },
        "--primary replaces the primary; the old one stays linked"
    );
    assert_eq!(
        links.associate(("deals", 1), ("companies", 2), &make).unwrap(),
        LinkOutcome::Existing { labels_added: vec![], primary_set: true }
    );
    links.finish().unwrap();
    session.commit(true).unwrap();
    assert_eq!(primary_of(&store, "deals", 1), vec![2]);

    let session = store.begin_write().unwrap();
    let mut links = session.links().unwrap();
    let refused = links.dissociate(("deals", 1), ("companies", 2), None, origin(20)).unwrap_err();
    assert!(refused.to_string().contains("--new-primary"), "{refused}");
    assert!(links.dissociate(("deals", 1), ("companies", 2), Some(9), origin(20)).is_err());
    assert_eq!(
        links.dissociate(("deals", 1), ("companies", 2), Some(3), origin(20)).unwrap(),
        DissociateOutcome::Removed { new_primary: Some(3) }
    );
    // Removing a company that is not primary changes no primary.
    assert_eq!(
        links.dissociate(("deals", 1), ("companies", 1), None, origin(21)).unwrap(),
        DissociateOutcome::Removed { new_primary: None }
    );
    // Two companies left (3 primary, 4): removing 3 makes 4 primary, the only one.
    assert_eq!(
        links.dissociate(("companies", 3), ("deals", 1), None, origin(22)).unwrap(),
        DissociateOutcome::Removed { new_primary: Some(4) }
    );
    assert_eq!(
        links.dissociate(("deals", 1), ("companies", 3), None, origin(23)).unwrap(),
        DissociateOutcome::NotLinked
    );
    links.finish().unwrap();
    session.commit(true).unwrap();
    assert_eq!(primary_of(&store, "deals", 1), vec![4]);
    let read = store.begin_read().unwrap();
    let history = read.link_history("deals", 1).unwrap();
    let removed: Vec<(u64, i64)> = history
        .iter()
        .filter(|c| c.kind == ChangeKind::Removed)
        .map(|c| (c.id, c.created.unwrap().time_ms))
        .collect();
    assert_eq!(removed, vec![(3, 3), (1, 1), (2, 2)], "newest first, each with when it was made");
    assert!(history.windows(2).all(|w| w[0].origin.time_ms >= w[1].origin.time_ms));
    drop(read);
    drop(store);
    assert_eq!(link_problems(&path), Vec::<String>::new());
}

#[test]
fn a_pair_limit_refuses_links_past_it_on_either_side() {
    let (_d, path) = tmp();
    let store = store_with(&path, &["contacts", "companies"], 3);
    let session = store.begin_write().unwrap();
    let mut schema = session.schema().unwrap();
    let companies = schema.objects.iter_mut().find(|o| o.name == "companies").unwrap();
    companies.association_mut("contacts").limits.insert("contacts".into(), 1);
    session.save_object(companies).unwrap();
    let mut links = session.links().unwrap();
    links.associate(("contacts", 1), ("companies", 1), &plain(1)).unwrap();
    assert_eq!(
        links.associate(("companies", 2), ("contacts", 1), &plain(2)).unwrap(),
        LinkOutcome::LimitExceeded { object: "contacts".into(), id: 1, limit: 1 }
    );
    assert_eq!(
        links.associate(("contacts", 2), ("companies", 1), &plain(3)).unwrap(),
        LinkOutcome::Created { primary: true }
    );
    links.finish().unwrap();
    session.commit(true).unwrap();
    assert_eq!(store.begin_read().unwrap().link_count().unwrap(), 2);
}

#[test]
fn check_finds_a_link_without_its_mirror_and_a_damaged_value() {
    let (_d, path) = tmp();
    let store = store_with(&path, &["contacts", "companies"], 70);
    let session = store.begin_write().unwrap();
    let mut links = session.links().unwrap();
    links.associate(("contacts", 1), ("companies", 1), &plain(1)).unwrap();
    links.associate(("contacts", 2), ("companies", 2), &plain(1)).unwrap();
    // Records 64 to 127 are in the tables' second block.
    links.associate(("contacts", 65), ("companies", 65), &plain(1)).unwrap();
    links.finish().unwrap();
    {
        let txn = session.txn();
        let mut back = txn.open_table(crate::tables::links("link_lists/companies/contacts")).unwrap();
        assert!(back.remove(1).unwrap().is_some(), "company 65's block");
        let mut forth = txn.open_table(crate::tables::links("link_lists/contacts/companies")).unwrap();
        let mut bytes = forth.get(0).unwrap().unwrap().value().to_vec();
        bytes[1] ^= 1;
        forth.insert(0, bytes.as_slice()).unwrap();
    }
    session.commit(true).unwrap();
    drop(store);
    let problems = link_problems(&path);
    assert!(
        problems.iter().any(|p| p.contains("link_lists/contacts/companies (65, 65) no identical link")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("link_lists/contacts/companies block 0 corrupt")
            && p.ends_with("checksum mismatch")),
        "{problems:?}"
    );
    let read = Store::open_read_only(&path).unwrap();
    let e = read.begin_read().unwrap().links("contacts", 2).unwrap_err();
    assert!(e.is_corruption(), "{e}");
    assert!(read.begin_read().unwrap().links("companies", 65).unwrap().is_empty());
}

/// A fresh record far past the others is kept apart from the vector of fresh
/// lists until the vector grows over it; then its list moves in, unchanged.
#[test]
fn a_fresh_list_far_past_the_others_moves_in_when_reached() {
    for spill in [usize::MAX, 0] {
        let (_d, path) = tmp();
        let store = store_with(&path, &["contacts", "companies"], 2);
        let session = store.begin_write().unwrap();
        let mut values = RowValues::default();
        for _ in 3..=6000 {
            values.push(1, "x");
            values.end_row();
        }
        session
            .records("contacts")
            .unwrap()
            .append(1, (0..5998).map(|i| (i as u64 + 3, values.row(i))))
            .unwrap();
        session.set_next_id("contacts", 6001).unwrap();
        let mut links = session.links().unwrap();
        links.spill_at(spill);
        let created = |primary| LinkOutcome::Created { primary };
        assert_eq!(links.associate(("contacts", 6000), ("companies", 2), &plain(1)).unwrap(), created(true));
        for id in 3..6000 {
            assert_eq!(
                links.associate(("contacts", id), ("companies", 1), &plain(2)).unwrap(),
                created(true)
            );
        }
        links.flush().unwrap();
        assert_eq!(
            links.associate(("contacts", 6000), ("companies", 2), &plain(3)).unwrap(),
            LinkOutcome::Existing { labels_added: vec![], primary_set: false },
            "spill {spill}"
        );
        assert_eq!(links.primary_company(("contacts", 6000)).unwrap(), Some(2));
        links.finish().unwrap();
        session.commit(true).unwrap();
        let read = store.begin_read().unwrap();
        let ids: Vec<u64> = read.links("contacts", 6000).unwrap().into_iter().map(|l| l.id).collect();
        assert_eq!(ids, vec![2]);
        assert_eq!(read.links("companies", 1).unwrap().len(), 5997);
        assert_eq!(read.link_count().unwrap(), 5998);
        drop(read);
        drop(store);
        let problems: Vec<String> = link_problems(&path);
        assert_eq!(problems, Vec::<String>::new());
    }
}

/// Records created in the writer's own transaction ("fresh": at or past the
/// sequence when it opened, also one far past it) are answered from memory; the
/// answers must equal the table's, across flushes, removals and primary moves.
#[test]
fn fresh_records_of_the_writers_transaction_follow_the_same_rules() {
    // Lists kept in memory to the end, and written out at every flush.
    fresh_records_with_spill(usize::MAX);
    fresh_records_with_spill(0);
}

fn fresh_records_with_spill(spill: usize) {
    let (_d, path) = tmp();
    let store = store_with(&path, &["contacts", "companies"], 2);
    let session = store.begin_write().unwrap();
    let mut links = session.links().unwrap();
    links.spill_at(spill);
    // New records 3, 4 and 1_000_000 of both objects, made after the writer opened.
    for object in ["contacts", "companies"] {
        let mut values = RowValues::default();
        for _ in 0..3 {
            values.push(1, "x");
            values.end_row();
        }
        let ids = [3, 4, 1_000_000];
        session.records(object).unwrap().append(1, (0..3).map(|i| (ids[i], values.row(i)))).unwrap();
        session.set_next_id(object, 1_000_001).unwrap();
    }
    let created = |primary| LinkOutcome::Created { primary };
    let existing = LinkOutcome::Existing { labels_added: vec![], primary_set: false };
    assert_eq!(links.associate(("contacts", 3), ("companies", 1), &plain(1)).unwrap(), created(true));
    assert_eq!(links.associate(("companies", 1), ("contacts", 3), &plain(2)).unwrap(), existing);
    links.flush().unwrap();
    assert_eq!(
        links.associate(("contacts", 3), ("companies", 1), &plain(3)).unwrap(),
        existing,
        "after a flush"
    );
    assert_eq!(links.associate(("contacts", 3), ("companies", 4), &plain(4)).unwrap(), created(false));
    assert_eq!(links.primary_company(("contacts", 3)).unwrap(), Some(1));
    // A fresh ID far past the others, and an old contact with a fresh company.
    assert_eq!(links.associate(("contacts", 1_000_000), ("companies", 3), &plain(5)).unwrap(), created(true));
    assert_eq!(links.associate(("contacts", 1), ("companies", 1_000_000), &plain(6)).unwrap(), created(true));
    assert_eq!(links.associate(("contacts", 1), ("companies", 2), &plain(7)).unwrap(), created(false));
    // Removing the primary of a record with one other company promotes it.
    let out = links.dissociate(("contacts", 3), ("companies", 1), None, origin(8)).unwrap();
    assert_eq!(out, DissociateOutcome::Removed { new_primary: Some(4) });
    assert_eq!(links.primary_company(("contacts", 3)).unwrap(), Some(4));
    assert_eq!(
        links.associate(("contacts", 3), ("companies", 1), &plain(9)).unwrap(),
        created(false),
        "made again"
    );
    let out = links.dissociate(("contacts", 1_000_000), ("companies", 3), None, origin(10)).unwrap();
    assert_eq!(out, DissociateOutcome::Removed { new_primary: None });
    assert_eq!(links.primary_company(("contacts", 1_000_000)).unwrap(), None);
    assert_eq!(
        links.associate(("contacts", 1_000_000), ("contacts", 4), &plain(11)).unwrap(),
        created(false)
    );
    assert_eq!(links.associate(("contacts", 4), ("contacts", 1_000_000), &plain(12)).unwrap(), existing);
    links.finish().unwrap();
    session.commit(true).unwrap();
    assert_eq!(primary_of(&store, "contacts", 3), vec![4]);
    assert_eq!(primary_of(&store, "contacts", 1), vec![1_000_000]);
    assert!(primary_of(&store, "contacts", 1_000_000).is_empty());
    let read = store.begin_read().unwrap();
    let ids = |object, id| {
        read.links(object, id).unwrap().into_iter().map(|l| (l.object, l.id)).collect::<Vec<_>>()
    };
    assert_eq!(ids("contacts", 3), vec![("companies".to_owned(), 1), ("companies".to_owned(), 4)]);
    assert_eq!(ids("companies", 1), vec![("contacts".to_owned(), 3)]);
    assert_eq!(ids("contacts", 1_000_000), vec![("contacts".to_owned(), 4)]);
    assert_eq!(ids("contacts", 4), vec![("contacts".to_owned(), 1_000_000)]);
    drop(read);
    drop(store);
    assert_eq!(link_problems(&path), Vec::<String>::new());
}

/// The links both conversion tests write, in their layout, and expect after.
fn expect_converted(store: &Store) {
    let read = store.begin_read().unwrap();
    let of = |object, id| {
        read.links(object, id)
            .unwrap()
            .into_iter()
            .map(|l| (l.object, l.id, l.primary, l.labels, l.created.time_ms))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of("contacts", 1),
        vec![
            ("companies".to_owned(), 2, true, vec![], 5),
            ("companies".to_owned(), 3, false, vec![1], 5),
            ("contacts".to_owned(), 3, false, vec![], 5),
        ]
    );
    assert_eq!(
        of("companies", 2),
        vec![("contacts".to_owned(), 1, true, vec![], 5), ("contacts".to_owned(), 2, true, vec![], 6)]
    );
    assert_eq!(of("contacts", 3), vec![("contacts".to_owned(), 1, false, vec![], 5)]);
    assert_eq!(read.link_count().unwrap(), 4);
}

/// Opens the store at `path` (written in an earlier layout, whose tables start
/// with `prefix`) read-only, then read-write: both read the converted links, the
/// first changes nothing, the second leaves no table of the old layout.
fn converted_at_open(path: &std::path::Path, prefix: &str) {
    let before = std::fs::read(path).unwrap();
    expect_converted(&Store::open_read_only(path).unwrap());
    assert_eq!(std::fs::read(path).unwrap(), before, "a read-only open changes nothing");
    expect_converted(&Store::open(path).unwrap());
    let tables: Vec<String> = {
        let store = Store::open_read_only(path).unwrap();
        let read = store.begin_read().unwrap();
        read.txn().list_tables().unwrap().map(|t| redb::TableHandle::name(&t).to_owned()).collect()
    };
    assert!(!tables.iter().any(|t| t.starts_with(prefix)), "{tables:?}");
    assert!(tables.iter().any(|t| t.starts_with("link_lists/")), "{tables:?}");
    assert_eq!(link_problems(path), Vec::<String>::new());
}

/// A store with 3 contacts and companies and the pair's label 1 ("Advisor").
fn store_for_conversion(path: &std::path::Path) -> Store {
    let store = store_with(path, &["contacts", "companies"], 3);
    let session = store.begin_write().unwrap();
    let mut schema = session.schema().unwrap();
    let companies = schema.objects.iter_mut().find(|o| o.name == "companies").unwrap();
    companies.association_mut("contacts").labels = vec![AssociationLabel { id: 1, name: "Advisor".into() }];
    session.save_object(companies).unwrap();
    session.commit(true).unwrap();
    store
}

/// A store written by the first layout (`links/<a>/<b>`, a key per link and
/// direction) is converted when opened: in memory for a read-only open, in the
/// file for a read-write one; the links read the same and `check` is clean.
#[test]
fn links_of_the_first_layout_are_converted_at_open() {
    let (_d, path) = tmp();
    let store = store_for_conversion(&path);
    let session = store.begin_write().unwrap();
    {
        let txn = session.txn();
        let o = origin(5);
        crate::links::legacy::write_legacy(txn, ("contacts", 1), ("companies", 2), true, &[], o);
        crate::links::legacy::write_legacy(txn, ("contacts", 1), ("companies", 3), false, &[1], o);
        crate::links::legacy::write_legacy(txn, ("contacts", 2), ("companies", 2), true, &[], origin(6));
        crate::links::legacy::write_legacy(txn, ("contacts", 1), ("contacts", 3), false, &[], o);
    }
    session.commit(true).unwrap();
    drop(store);
    converted_at_open(&path, "links/");
}

/// The same for the second layout (`associations/<a>/<b>`, a list per record).
#[test]
fn links_of_the_second_layout_are_converted_at_open() {
    let (_d, path) = tmp();
    let store = store_for_conversion(&path);
    let session = store.begin_write().unwrap();
    {
        use crate::links::legacy::write_record_list as list;
        let txn = session.txn();
        let (o, o6) = (origin(5), origin(6));
        list(txn, ("contacts", 1), "companies", &[(2, true, &[], o), (3, false, &[1], o)]);
        list(txn, ("contacts", 2), "companies", &[(2, true, &[], o6)]);
        list(txn, ("companies", 2), "contacts", &[(1, true, &[], o), (2, true, &[], o6)]);
        list(txn, ("companies", 3), "contacts", &[(1, false, &[1], o)]);
        list(txn, ("contacts", 1), "contacts", &[(3, false, &[], o)]);
        list(txn, ("contacts", 3), "contacts", &[(1, false, &[], o)]);
    }
    session.commit(true).unwrap();
    drop(store);
    converted_at_open(&path, "associations/");
}
