//! The plan stage without the binary: CSV text decoded, mapped and transformed
//! against a real temporary store, then planned; the actions, issues, rewrites
//! and index deltas checked directly.

use store::{SECONDARY, Store};

use super::*;
use crate::codes::ErrorCode;
use crate::input::decode;
use crate::mapping::{self, vocabulary::Vocabulary};
use crate::normalize::transform::{self, ColumnConventions, TransformConfig, UniqueSlot};
use crate::normalize::values::ValueOptions;
use crate::resolve::KeyIndex;
use crate::spec::{IdChoice, ImportSpec};

/// Plans `csv` (header and rows, one piece) as an import of `object` in `mode`
/// into `store`, matching by `id` (`None`: the object's default identifier).
fn plan(
    store: &Store,
    object: &str,
    csv: &str,
    mode: Mode,
    id: Option<&str>,
) -> (Planned, Vec<Vec<IndexDelta>>) {
    let read = store.begin_read().unwrap();
    let schema = read.schema().unwrap();
    let vocabulary = Vocabulary::new(&schema);
    let spec = ImportSpec {
        objects: vec![object.to_owned()],
        ids: id.map(|p| vec![format!("{object}={p}").parse::<IdChoice>().unwrap()]).unwrap_or_default(),
        ..ImportSpec::default()
    };
    let text = csv.as_bytes();
    let header = decode::header(text, b',').unwrap();
    let mapping = mapping::map(&header.names, &spec.mapping_request(&vocabulary)).unwrap();
    let def = mapping.objects[0].clone();
    let identifier = match id {
        Some(p) => def.property_id(p),
        None => def.identifier_id(),
    };
    let mapped = mapping.properties_of(0);
    let settings = ObjectSettings {
        object: def.clone(),
        identifier,
        policy: store::MergePolicy::overwrite(),
        forward_only: None,
        slots: UniqueSlot::of(&def, identifier, &mapped),
    };
    let keys: Vec<Vec<KeyIndex>> =
        vec![settings.slots.iter().map(|s| KeyIndex::load(&read, object, s.property).unwrap()).collect()];
    let cfg = TransformConfig::new(
        &mapping,
        std::slice::from_ref(&settings),
        ValueOptions::default(),
        &ColumnConventions::default(),
        1,
    );
    let piece = decode::decode(text, header.len..text.len(), &header.names, b',', true);
    let rows = transform::transform(piece, &cfg, &keys, &read);
    assert!(rows.store_error.is_none());
    let next_id = read.next_id(object).unwrap();
    let mut planner = Planner::new(vec![ObjectPlanner::new(&settings, mode, &read, next_id)]);
    let planned = planner.plan(rows, 0, u64::from(header.lines) + 1).unwrap();
    let deltas = planner.finish();
    (planned, deltas)
}

/// Imports `csv` through the whole pipeline, so that later plans see a store
/// holding its records.
fn import(store: &Store, dir: &std::path::Path, object: &str, csv: &str, extra: &[&str]) {
    let file = dir.join(format!("in{}.csv", store.begin_read().unwrap().imports().unwrap().len()));
    std::fs::write(&file, csv).unwrap();
    let mut spec = ImportSpec {
        files: vec![file],
        objects: vec![object.to_owned()],
        report_dir: Some(dir.join("reports")),
        ..ImportSpec::default()
    };
    if let [id] = extra {
        spec.ids = vec![format!("{object}={id}").parse().unwrap()];
    }
    crate::import::run(store, &spec, &crate::progress::Progress::hidden()).unwrap();
}

fn delta(deltas: &[IndexDelta]) -> Vec<(String, u64)> {
    deltas[0].iter().map(|(k, id)| (String::from_utf8(k.to_vec()).unwrap(), id)).collect()
}

#[test]
fn rows_create_in_file_order_and_later_rows_update_what_earlier_ones_created() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let (planned, deltas) = plan(
        &store,
        "contacts",
        "Email,First Name\nb@x.com,B\na@x.com,A\nB@X.com,Bee\n,Nobody\n",
        Mode::Upsert,
        None,
    );
    assert_eq!(
        planned.actions[0],
        vec![Action::Create(1), Action::Create(2), Action::Update(1), Action::Create(3)]
    );
    assert!(planned.issues.is_empty());
    // The index delta is sorted by key and gives each email its creator.
    assert_eq!(delta(&deltas[0]), vec![("a@x.com".to_owned(), 2), ("b@x.com".to_owned(), 1)]);
}

/// A row repeating the values its record was created with in this import is
/// planned unchanged (no merge at commit); after another row changed the record,
/// the same values are an update again.
#[test]
fn a_row_repeating_its_records_creation_is_planned_unchanged_until_another_row_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let csv = "Email,First Name\n\
               josé.müller@exämple.de,José\n\
               JOSÉ.MÜLLER@EXÄMPLE.DE,José\n\
               josé.müller@exämple.de,Josef\n\
               josé.müller@exämple.de,José\n\
               ærø@ærø.dk,Ærø\n\
               ærø@ærø.dk,Ærø\n";
    let (planned, _) = plan(&store, "contacts", csv, Mode::Upsert, None);
    assert_eq!(
        planned.actions[0],
        vec![
            Action::Create(1),
            Action::Unchanged(1),
            Action::Update(1),
            Action::Update(1),
            Action::Create(2),
            Action::Unchanged(2),
        ]
    );
}

#[test]
fn modes_skip_and_fail_as_spec_3_says() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    import(&store, dir.path(), "contacts", "Email\nold@x.com\n", &[]);
    let csv = "Email,First Name\nold@x.com,O\nnew@x.com,N\n,Nobody\n";
    let (create, _) = plan(&store, "contacts", csv, Mode::Create, None);
    assert_eq!(
        create.actions[0],
        vec![Action::Skip(SkipReason::CreateOnlyImport), Action::Create(2), Action::Create(3)]
    );
    let (update, _) = plan(&store, "contacts", csv, Mode::Update, None);
    assert!(matches!(update.actions[0][0], Action::Write(1, _)), "{:?}", update.actions[0]);
    assert_eq!(update.actions[0][1..], [Action::Skip(SkipReason::UpdateOnlyImport), Action::Fail]);
    assert_eq!(update.issues.len(), 1);
    assert_eq!(update.issues[0].code, ErrorCode::MissingIdentifier);
    assert_eq!(update.issues[0].position.line, 4);
    // The same row again is unchanged, recognized by the premerge without a write.
    let (again, _) = plan(&store, "contacts", "Email\nold@x.com\n", Mode::Upsert, None);
    assert_eq!(again.actions[0], vec![Action::Unchanged(1)]);
}

#[test]
fn an_unknown_record_id_fails_its_row_with_the_column_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let (planned, deltas) =
        plan(&store, "contacts", "Email,Record ID\na@x.com,77\nb@x.com,\n", Mode::Upsert, None);
    assert_eq!(planned.actions[0], vec![Action::Fail, Action::Create(1)]);
    let issue = &planned.issues[0];
    assert_eq!(
        (issue.code, issue.position.line, issue.position.column),
        (ErrorCode::InvalidRecordId, 2, Some(1))
    );
    assert_eq!(delta(&deltas[0]), vec![("b@x.com".to_owned(), 1)]);
}

#[test]
fn a_row_matched_by_a_secondary_email_is_rewritten_to_keep_the_primary_email() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    import(&store, dir.path(), "contacts", "Email,Additional email addresses\nada@x.com,alt@x.com\n", &[]);
    let (planned, deltas) = plan(&store, "contacts", "Email,City\nalt@x.com,Oslo\n", Mode::Upsert, None);
    assert_eq!(planned.actions[0], vec![Action::Update(1)]);
    let read = store.begin_read().unwrap();
    let contacts = read.schema().unwrap().object("contacts").unwrap().clone();
    let email = contacts.property_id("email").unwrap();
    let city = contacts.property_id("city").unwrap();
    let values = planned.values(0, 0);
    assert_eq!(values.get(email), Some("ada@x.com"), "the primary email is kept");
    assert_eq!(values.get(city), Some("Oslo"));
    assert!(deltas[0][0].is_empty(), "no index change");
    // A record-ID row promotes the secondary email; the old primary becomes secondary.
    let (planned, deltas) = plan(&store, "contacts", "Record ID,Email\n1,alt@x.com\n", Mode::Upsert, None);
    assert_eq!(planned.actions[0], vec![Action::Update(1)]);
    let extra = contacts.property_id("hs_additional_emails").unwrap();
    assert_eq!(planned.values(0, 0).get(extra), Some("ada@x.com"));
    assert_eq!(delta(&deltas[0]), vec![("ada@x.com".to_owned(), 1 | SECONDARY), ("alt@x.com".to_owned(), 1)]);
}

#[test]
fn a_value_another_record_holds_in_any_unique_index_refuses_the_row_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let session = store.begin_write().unwrap();
    let mut contacts = session.schema().unwrap().object("contacts").unwrap().clone();
    let id = contacts.next_custom_id();
    let mut member = contacts.property_named("firstname").unwrap().clone();
    member.id = id;
    member.name = "member_no".into();
    member.label = "Member No".into();
    member.unique = true;
    member.custom = true;
    member.headers = [("en".to_owned(), vec!["member_no".to_owned(), "member no".to_owned()])].into();
    contacts.properties.push(member);
    session.save_object(&contacts).unwrap();
    session.commit(true).unwrap();
    import(&store, dir.path(), "contacts", "Email,member_no\nada@x.com,M1\n", &[]);
    // By member number: M2 would take ada's email; M1 matches ada.
    let (planned, deltas) = plan(
        &store,
        "contacts",
        "member_no,Email\nM2,ada@x.com\nM1,ada@x.com\nM3,new@x.com\n",
        Mode::Upsert,
        Some("member_no"),
    );
    assert_eq!(planned.actions[0][0], Action::Fail);
    assert!(matches!(planned.actions[0][1], Action::Unchanged(1)), "{:?}", planned.actions[0]);
    assert_eq!(planned.actions[0][2], Action::Create(2));
    assert_eq!(planned.issues[0].code, ErrorCode::DuplicateUniquePropertyValue);
    assert_eq!(planned.issues[0].position.column, Some(1));
    // Slot 0 is the member number's index, slot 1 the email's: the refused row left no trace.
    assert_eq!(delta(&deltas[0]), vec![("M3".to_owned(), 2)]);
    assert_eq!(delta(&deltas[0][1..]), vec![("new@x.com".to_owned(), 2)]);
}
