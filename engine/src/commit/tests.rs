//! Unit tests of the commit stage: [`write_piece`] and [`write_index`] against a
//! real store, fed with pieces that went through the stages before it (decode,
//! transform, plan) in memory, without the binary or the import driver.

use std::sync::Arc;

use store::{AssociationCounts, ImportEntry, ImportStatus, MergePolicy, ReadSession, Store, UpdateOutcome};

use super::{CommitConfig, write_index, write_piece};
use crate::input::{decode, split};
use crate::mapping::vocabulary::Vocabulary;
use crate::mapping::{self, MappingRequest};
use crate::normalize::transform::{self, ColumnConventions, ObjectSettings, TransformConfig, UniqueSlot};
use crate::normalize::values::ValueOptions;
use crate::plan::{Action, IndexDelta, Mode, ObjectPlanner, Planned, Planner};
use crate::resolve::KeyIndex;
use crate::schema::Object;

/// A whole file planned against a store: its pieces, the identifier index delta
/// and the next record ID, ready for the writer.
struct Plan {
    pieces: Vec<Planned>,
    delta: Vec<IndexDelta>,
    next_id: u64,
    cfg: CommitConfig,
}

/// An import log entry of `object` with this ID and status.
fn entry(id: u64, object: &str, status: ImportStatus) -> ImportEntry {
    ImportEntry {
        id,
        associations: AssociationCounts::default(),
        name: "unit".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: None,
        files: vec![],
        inputs: vec![],
        objects: vec![object.into()],
        mode: "upsert".into(),
        options: serde_json::Value::Null,
        status,
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

/// Logs a running import and returns its ID.
fn start_import(store: &Store, object: &str) -> u64 {
    store.start_import(entry(0, object, ImportStatus::Running)).unwrap()
}

fn object(store: &Store, name: &str) -> Object {
    Arc::new(store.begin_read().unwrap().schema().unwrap().object(name).unwrap().clone())
}

/// Decodes, transforms and plans `csv` (a header and rows) for `object` in pieces
/// of about `chunk` bytes, as import `import_id`, against the store's current
/// contents.
fn plan(
    store: &Store,
    object_name: &str,
    csv: &str,
    mode: Mode,
    policy: &MergePolicy,
    chunk: usize,
    import_id: u64,
) -> Plan {
    let read = store.begin_read().unwrap();
    let schema = read.schema().unwrap();
    let vocabulary = Vocabulary::new(&schema);
    let objects = [object_name.to_owned()];
    let text = csv.as_bytes();
    let header = decode::header(text, b',').unwrap();
    let mapping = mapping::map(
        &header.names,
        &MappingRequest { objects: &objects, ..MappingRequest::new(&vocabulary) },
    )
    .unwrap();
    let object = mapping.objects[0].clone();
    let identifier = object.identifier_id();
    let mapped = mapping.properties_of(0);
    let settings = ObjectSettings {
        object: object.clone(),
        identifier,
        policy: policy.clone(),
        forward_only: None,
        slots: UniqueSlot::of(&object, identifier, &mapped),
    };
    let cfg = TransformConfig::new(
        &mapping,
        std::slice::from_ref(&settings),
        ValueOptions::default(),
        &ColumnConventions::default(),
        import_id,
    );
    let keys = vec![
        settings.slots.iter().map(|s| KeyIndex::load(&read, object_name, s.property).unwrap()).collect(),
    ];
    let next_id = read.next_id(object_name).unwrap();
    let mut planner = Planner::new(vec![ObjectPlanner::new(&settings, mode, &read, next_id)]);
    let body = header.len..text.len();
    let mut line = u64::from(header.lines) + 1;
    let mut pieces = Vec::new();
    for r in split::split(&text[body.clone()], chunk) {
        let range = r.start + body.start..r.end + body.start;
        let at_end = range.end == text.len();
        let decoded = decode::decode(text, range, &header.names, b',', at_end);
        let transformed = transform::transform(decoded, &cfg, &keys, &read);
        assert!(transformed.store_error.is_none());
        let lines = u64::from(transformed.piece.lines);
        pieces.push(planner.plan(transformed, 0, line).unwrap());
        line += lines;
    }
    let next_id = planner.next_ids()[0];
    let delta = planner.finish().pop().unwrap();
    Plan {
        pieces,
        delta,
        next_id,
        cfg: CommitConfig { object, slots: settings.slots.clone(), import_id, policy: policy.clone() },
    }
}

/// What the writer thread does with a plan: every piece, then the index and the
/// sequence, one durable commit. Returns each piece's outcomes.
fn commit(store: &Store, plan: &Plan) -> Vec<Vec<UpdateOutcome>> {
    let session = store.begin_write().unwrap();
    let cfgs = std::slice::from_ref(&plan.cfg);
    let mut outcomes = vec![Vec::new()];
    let mut all = Vec::new();
    for piece in &plan.pieces {
        write_piece(&session, cfgs, piece, &mut outcomes).unwrap();
        let updates = piece.actions[0].iter().filter(|a| matches!(a, Action::Update(_))).count();
        assert_eq!(outcomes[0].len(), updates, "one outcome per Update action of the piece");
        all.push(outcomes[0].clone());
    }
    write_index(&session, &plan.cfg, &plan.delta).unwrap();
    session.set_next_id(&plan.cfg.object.name, plan.next_id).unwrap();
    session.save_import(&entry(plan.cfg.import_id, &plan.cfg.object.name, ImportStatus::Done)).unwrap();
    session.commit(true).unwrap();
    all
}

/// Plans and commits `csv` as a new logged import; returns the import ID, the
/// plan's actions (all pieces, in row order) and the outcomes.
fn import(
    store: &Store,
    object: &str,
    csv: &str,
    policy: &MergePolicy,
    chunk: usize,
) -> (u64, Vec<Action>, Vec<UpdateOutcome>) {
    let id = start_import(store, object);
    let plan = plan(store, object, csv, Mode::Upsert, policy, chunk, id);
    let actions = plan.pieces.iter().flat_map(|p| p.actions[0].iter().copied()).collect();
    let outcomes = commit(store, &plan).concat();
    (id, actions, outcomes)
}

/// Every record of `object`: `(ID, created_by, updated_by, [(property name, value)])`.
type Dump = Vec<(u64, u64, u64, Vec<(String, String)>)>;

fn dump(read: &ReadSession, object: &Object) -> Dump {
    let mut out = Vec::new();
    read.for_each_record(&object.name, |id, view| {
        let values = view
            .values()
            .map(|(p, v)| (crate::schema::property(object, p).name.clone(), v.to_owned()))
            .collect();
        out.push((id, view.created_by, view.updated_by, values));
        true
    })
    .unwrap();
    out
}

/// `(name, value)` pairs of one record.
fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|&(p, v)| (p.to_owned(), v.to_owned())).collect()
}

/// The store file passes `ingest check` (records against indexes, sequences, log).
fn assert_checks(store: Store) {
    let path = store.path().to_path_buf();
    drop(store);
    let report = Store::check(&path).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

const BIG: usize = 1 << 20;

#[test]
fn creates_are_appended_in_id_order_with_their_values_and_pipeline_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let csv = "Deal Name,Amount,Pipeline,Deal Stage\n\
               Big,\"1,000\",,\n\
               Small,10,default,\n\
               Won,5,,Closed Won\n\
               ,7,,\n\
               Last,,Sales Pipeline,contractsent\n";
    let (import_id, actions, outcomes) = import(&store, "deals", csv, &MergePolicy::overwrite(), 16);
    assert_eq!(
        actions,
        [Action::Create(1), Action::Create(2), Action::Create(3), Action::Fail, Action::Create(4)]
    );
    assert!(outcomes.is_empty());
    let deals = object(&store, "deals");
    let read = store.begin_read().unwrap();
    let stage = "appointmentscheduled";
    assert_eq!(
        dump(&read, &deals),
        [
            (
                1,
                import_id,
                import_id,
                values(&[
                    ("dealname", "Big"),
                    ("amount", "1000"),
                    ("dealstage", stage),
                    ("pipeline", "default")
                ])
            ),
            (
                2,
                import_id,
                import_id,
                values(&[
                    ("dealname", "Small"),
                    ("amount", "10"),
                    ("dealstage", stage),
                    ("pipeline", "default")
                ])
            ),
            (
                3,
                import_id,
                import_id,
                values(&[
                    ("dealname", "Won"),
                    ("amount", "5"),
                    ("dealstage", "closedwon"),
                    ("pipeline", "default")
                ])
            ),
            (
                4,
                import_id,
                import_id,
                values(&[("dealname", "Last"), ("dealstage", "contractsent"), ("pipeline", "default")])
            ),
        ]
    );
    assert_eq!(read.next_id("deals").unwrap(), 5);
    drop(read);
    assert_checks(store);
}

#[test]
fn tickets_get_their_default_pipeline_and_first_stage() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let csv = "Ticket name,Ticket status\nPrinter,\nScreen,Waiting on us\n";
    let (id, actions, _) = import(&store, "tickets", csv, &MergePolicy::overwrite(), BIG);
    assert_eq!(actions, [Action::Create(1), Action::Create(2)]);
    let tickets = object(&store, "tickets");
    let read = store.begin_read().unwrap();
    assert_eq!(
        dump(&read, &tickets),
        [
            (1, id, id, values(&[("subject", "Printer"), ("hs_pipeline", "0"), ("hs_pipeline_stage", "1")])),
            (2, id, id, values(&[("subject", "Screen"), ("hs_pipeline", "0"), ("hs_pipeline_stage", "3")])),
        ]
    );
}

#[test]
fn updates_are_written_merged_once_settled_and_their_outcomes_come_back_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let policy = MergePolicy::overwrite();
    let (first, _, _) =
        import(&store, "contacts", "Email,First Name\na@x.com,A\nb@x.com,B\nc@x.com,C\n", &policy, BIG);
    // Rows 1, 2, 4 and 8 premerge against the snapshot (written merged, or nothing:
    // row 2 leaves record 1 as it is, so row 8's premerge still holds); the rows
    // after a record's first change merge at commit, in file order, and so do rows
    // of a record this import created.
    let csv = "Email,First Name\n\
               c@x.com,C2\n\
               a@x.com,A\n\
               c@x.com,C3\n\
               b@x.com,B2\n\
               c@x.com,C3\n\
               new@x.com,N\n\
               new@x.com,N2\n\
               a@x.com,A2\n\
               b@x.com,B2\n";
    let (second, actions, outcomes) = import(&store, "contacts", csv, &policy, BIG);
    assert!(
        matches!(
            actions[..],
            [
                Action::Write(3, _),
                Action::Unchanged(1),
                Action::Update(3),
                Action::Write(2, _),
                Action::Update(3),
                Action::Create(4),
                Action::Update(4),
                Action::Write(1, _),
                Action::Update(2),
            ]
        ),
        "{actions:?}"
    );
    // One outcome per Update, in row order (they are applied in ID order).
    assert_eq!(
        outcomes,
        [
            UpdateOutcome::Updated { held_back: false },
            UpdateOutcome::Unchanged { held_back: false },
            UpdateOutcome::Updated { held_back: false },
            UpdateOutcome::Unchanged { held_back: false },
        ]
    );
    let contacts = object(&store, "contacts");
    let read = store.begin_read().unwrap();
    let rec = |email: &str, first_name: &str| values(&[("email", email), ("firstname", first_name)]);
    assert_eq!(
        dump(&read, &contacts),
        [
            (1, first, second, rec("a@x.com", "A2")),
            (2, first, second, rec("b@x.com", "B2")),
            (3, first, second, rec("c@x.com", "C3")),
            (4, second, second, rec("new@x.com", "N2")),
        ]
    );
    drop(read);
    assert_checks(store);
}

#[test]
fn outcomes_follow_the_rows_not_the_id_order_they_are_applied_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let policy = MergePolicy::overwrite();
    import(&store, "contacts", "Email,First Name\na@x.com,A\nb@x.com,B\nc@x.com,C\n", &policy, BIG);
    // The first three rows touch every record; the last three merge at commit, in
    // the order 3, 1, 2 of the file but applied as 1, 2, 3.
    let csv = "Email,First Name\nc@x.com,C2\na@x.com,A2\nb@x.com,B2\nc@x.com,C2\na@x.com,A3\nb@x.com,B2\n";
    let (_, actions, outcomes) = import(&store, "contacts", csv, &policy, BIG);
    assert!(matches!(actions[3..], [Action::Update(3), Action::Update(1), Action::Update(2)]), "{actions:?}");
    assert_eq!(
        outcomes,
        [
            UpdateOutcome::Unchanged { held_back: false },
            UpdateOutcome::Updated { held_back: false },
            UpdateOutcome::Unchanged { held_back: false },
        ]
    );
}

#[test]
fn several_pieces_write_exactly_what_one_piece_writes() {
    let first = "Email,First Name,City\na@x.com,A,Oslo\nb@x.com,B,\nc@x.com,C,Paris\n";
    let second = "hs_object_id,Email,First Name,City\n\
                  ,c@x.com,C2,\n\
                  1,a2@x.com,,Bergen\n\
                  ,d@x.com,D,\n\
                  ,a@x.com,A-again,\n\
                  4,,D2,\n\
                  ,c@x.com,C2,Rome\n\
                  9,x@x.com,,\n\
                  ,d@x.com,,\n";
    let run = |chunk: usize| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.redb")).unwrap();
        let policy = MergePolicy::overwrite();
        import(&store, "contacts", first, &policy, chunk);
        let (_, actions, outcomes) = import(&store, "contacts", second, &policy, chunk);
        let contacts = object(&store, "contacts");
        let read = store.begin_read().unwrap();
        let email = contacts.property_id("email").unwrap();
        let mut index = Vec::new();
        read.for_each_index_entry(
            "contacts",
            email,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            |k, id| {
                index.push((String::from_utf8(k.to_vec()).unwrap(), id));
            },
        )
        .unwrap();
        let records = dump(&read, &contacts);
        drop(read);
        assert_checks(store);
        // Premerges depend on the pieces only through which record a row finds first.
        let kinds: Vec<String> =
            actions.iter().map(|a| format!("{a:?}").split('(').next().unwrap().to_owned()).collect();
        (kinds, outcomes, records, index)
    };
    let whole = run(BIG);
    assert_eq!(whole.3.len(), 5, "a, a2, b, c, d: {:?}", whole.3);
    for chunk in [1, 20, 45] {
        assert_eq!(run(chunk), whole, "pieces of {chunk} bytes");
    }
}

#[test]
fn the_index_gets_new_keys_loses_moved_ones_and_is_left_alone_without_slots() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let policy = MergePolicy::overwrite();
    import(&store, "companies", "Company Domain Name\na.com\nb.com\n", &policy, BIG);
    // Record 1 moves to a2.com (freeing a.com), then record 2 takes a.com (freeing
    // b.com), and a new company takes b.com. (A contact's old email would stay its
    // secondary email instead: see the plan stage's tests.)
    let csv = "hs_object_id,Company Domain Name\n1,a2.com\n2,a.com\n,b.com\n";
    let id = start_import(&store, "companies");
    let planned = plan(&store, "companies", csv, Mode::Upsert, &policy, BIG, id);
    let delta: Vec<(String, u64)> =
        planned.delta[0].iter().map(|(k, v)| (String::from_utf8(k.to_vec()).unwrap(), v)).collect();
    assert_eq!(delta, [("a.com".into(), 2), ("a2.com".into(), 1), ("b.com".into(), 3)]);
    // Written for an import that keeps no index, the delta changes nothing.
    let domain = planned.cfg.slots[0].property;
    let session = store.begin_write().unwrap();
    let no_slots = CommitConfig {
        object: planned.cfg.object.clone(),
        slots: Vec::new(),
        import_id: id,
        policy: policy.clone(),
    };
    write_index(&session, &no_slots, &planned.delta).unwrap();
    write_index(&session, &planned.cfg, &[IndexDelta::default()]).unwrap();
    session.commit(true).unwrap();
    let read = store.begin_read().unwrap();
    assert_eq!(read.lookup("companies", domain, b"a2.com").unwrap(), None);
    assert_eq!(read.lookup("companies", domain, b"a.com").unwrap(), Some(1));
    drop(read);
    commit(&store, &planned);
    let read = store.begin_read().unwrap();
    assert_eq!(read.lookup("companies", domain, b"a2.com").unwrap(), Some(1));
    assert_eq!(read.lookup("companies", domain, b"a.com").unwrap(), Some(2));
    assert_eq!(read.lookup("companies", domain, b"b.com").unwrap(), Some(3));
    assert_eq!(read.index_len("companies", domain).unwrap(), 3);
    drop(read);
    // A key freed and not taken again is removed (an entry with ID 0).
    let csv = "hs_object_id,Company Domain Name\n3,c.com\n";
    let id = start_import(&store, "companies");
    let planned = plan(&store, "companies", csv, Mode::Upsert, &policy, BIG, id);
    let delta: Vec<(Vec<u8>, u64)> = planned.delta[0].iter().map(|(k, v)| (k.to_vec(), v)).collect();
    assert_eq!(delta, [(b"b.com".to_vec(), 0), (b"c.com".to_vec(), 3)]);
    commit(&store, &planned);
    let read = store.begin_read().unwrap();
    assert_eq!(read.lookup("companies", domain, b"b.com").unwrap(), None);
    assert_eq!(read.lookup("companies", domain, b"c.com").unwrap(), Some(3));
    assert_eq!(read.index_len("companies", domain).unwrap(), 3);
    drop(read);
    assert_checks(store);
}

#[test]
fn the_merge_policy_protects_values_and_holds_stages_back_at_commit_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let contacts = object(&store, "contacts");
    let (firstname, stage) =
        (contacts.property_id("firstname").unwrap(), contacts.property_id("lifecyclestage").unwrap());
    let order = ["subscriber", "lead", "customer", "evangelist"].map(str::to_owned).to_vec();
    let policy = MergePolicy::protecting([firstname]).moving_forward_only(stage, order);
    import(
        &store,
        "contacts",
        "Email,First Name,Lifecycle Stage\na@x.com,Ada,customer\nb@x.com,,lead\n",
        &policy,
        BIG,
    );
    // Row 1 premerges (the name is protected, the stage held back); rows 2 and 3
    // merge at commit by the same policy; b@ has no name yet, so it gets one.
    let csv = "Email,First Name,Lifecycle Stage,City\n\
               a@x.com,Other,lead,Oslo\n\
               a@x.com,Another,evangelist,\n\
               a@x.com,,subscriber,\n\
               b@x.com,Bob,,\n";
    let (_, actions, outcomes) = import(&store, "contacts", csv, &policy, BIG);
    assert!(
        matches!(
            actions[..],
            [Action::Write(1, _), Action::Update(1), Action::Update(1), Action::Write(2, _)]
        ),
        "{actions:?}"
    );
    assert_eq!(
        outcomes,
        [UpdateOutcome::Updated { held_back: false }, UpdateOutcome::Unchanged { held_back: true }]
    );
    let read = store.begin_read().unwrap();
    let records = dump(&read, &contacts);
    assert_eq!(
        records[0].3,
        values(&[
            ("email", "a@x.com"),
            ("firstname", "Ada"),
            ("city", "Oslo"),
            ("lifecyclestage", "evangelist")
        ])
    );
    assert_eq!(
        records[1].3,
        values(&[("email", "b@x.com"), ("firstname", "Bob"), ("lifecyclestage", "lead")])
    );
}
