//! Model-based tests: random sequences of small imports (random modes,
//! duplicates, blanks, invalid values, record IDs, don't-overwrite, secondary
//! emails) are checked against a plain one-row-at-a-time model of SPEC 2 and 3.

use std::collections::BTreeMap;

use engine::import::ImportSpec;
use engine::plan::Mode;
use proptest::prelude::*;
use store::{ObjectCounts, Store};

/// One generated row: each cell is raw text as written in the file.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    email: String,
    first: String,
    city: String,
    optout: String,
    /// `hs_additional_emails`.
    extra: String,
}

#[derive(Debug, Clone)]
struct Import {
    mode: Mode,
    no_overwrite: Vec<&'static str>,
    threads: usize,
    rows: Vec<Row>,
}

fn row() -> impl Strategy<Value = Row> {
    let email = prop::sample::select(vec![
        "",
        "",
        "a@x.com",
        " A@X.com ",
        "b@x.com",
        "B@x.COM",
        "c@y.org",
        "d@y.org",
        "not-an-email",
        "e@",
    ]);
    let id = prop::sample::select(vec!["", "", "", "", "", "1", "2", "3", "9", "x"]);
    let first = prop::sample::select(vec!["", "Zoë", "Ana", "Søren", " Ana "]);
    let city = prop::sample::select(vec!["", "", "Oslo", "Köln", "Paris"]);
    let optout = prop::sample::select(vec!["", "", "yes", "no", "maybe"]);
    let extra = prop::sample::select(vec![
        "",
        "",
        "",
        "",
        "b@x.com",
        "A@x.com; c@y.org",
        "e@y.org;e@y.org",
        "c@y.org;bad@",
    ]);
    (id, email, first, city, optout, extra).prop_map(|(id, email, first, city, optout, extra)| Row {
        id: id.into(),
        email: email.into(),
        first: first.into(),
        city: city.into(),
        optout: optout.into(),
        extra: extra.into(),
    })
}

fn import() -> impl Strategy<Value = Import> {
    let mode = prop::sample::select(vec![Mode::Upsert, Mode::Upsert, Mode::Create, Mode::Update]);
    let no_overwrite =
        prop::sample::subsequence(vec!["email", "firstname", "city", "hs_additional_emails"], 0..=2);
    (mode, no_overwrite, 1usize..=3, prop::collection::vec(row(), 0..12))
        .prop_map(|(mode, no_overwrite, threads, rows)| Import { mode, no_overwrite, threads, rows })
}

/// The model: records by ID, each a map of property -> value, plus the email index.
#[derive(Debug, Default, Clone)]
struct Model {
    records: BTreeMap<u64, BTreeMap<&'static str, String>>,
    next_id: u64,
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty())
        && !e.contains(' ')
}

/// A record's secondary emails.
fn list_of(record: &BTreeMap<&'static str, String>) -> Vec<String> {
    record.get("hs_additional_emails").map(|l| l.split(';').map(str::to_owned).collect()).unwrap_or_default()
}

impl Model {
    /// The record holding `email`, and whether as a secondary email.
    fn owner(&self, email: &str) -> Option<(u64, bool)> {
        self.records.iter().find_map(|(id, r)| {
            if r.get("email").map(String::as_str) == Some(email) {
                Some((*id, false))
            } else {
                list_of(r).iter().any(|e| e == email).then_some((*id, true))
            }
        })
    }

    /// Applies one import row by row; returns the counts and the number of errors.
    fn apply(&mut self, imp: &Import) -> (ObjectCounts, u64) {
        let mut c = ObjectCounts::default();
        let mut errors = 0;
        for r in &imp.rows {
            let email = r.email.trim().to_lowercase();
            let first = r.first.trim().to_owned();
            let city = r.city.trim().to_owned();
            let cells =
                [r.id.trim(), email.as_str(), first.as_str(), city.as_str(), r.optout.trim(), r.extra.trim()];
            if cells.iter().all(|c| c.is_empty()) {
                continue; // blank rows are ignored
            }
            let id = r.id.trim();
            let id: Option<u64> = if id.is_empty() {
                None
            } else {
                match id.parse::<u64>() {
                    Ok(v) if v > 0 => Some(v),
                    _ => {
                        c.failed += 1;
                        errors += 1 + u64::from(!email.is_empty() && !valid_email(&email));
                        continue;
                    }
                }
            };
            if !email.is_empty() && !valid_email(&email) {
                c.failed += 1;
                errors += 1;
                continue;
            }
            let optout = match r.optout.trim() {
                "" => None,
                "yes" => Some(Some("true")),
                "no" => Some(Some("false")),
                _ => Some(None), // value error: row imported without it
            };
            let mut values: Vec<(&'static str, String)> = Vec::new();
            if !email.is_empty() {
                values.push(("email", email.clone()));
            }
            if !first.is_empty() {
                values.push(("firstname", first.clone()));
            }
            if !city.is_empty() {
                values.push(("city", city.clone()));
            }
            if let Some(Some(v)) = optout {
                values.push(("hs_email_optout", v.to_owned()));
            }
            // Secondary emails: one invalid value fails the cell (a value error).
            let mut extra: Option<Vec<String>> = None;
            let mut extra_error = false;
            if !r.extra.trim().is_empty() {
                let mut list: Vec<String> = Vec::new();
                for e in r.extra.split(';').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()) {
                    if !valid_email(&e) {
                        extra_error = true;
                    } else if !list.contains(&e) {
                        list.push(e);
                    }
                }
                if !extra_error {
                    extra = Some(list);
                }
            }
            let value_errors = u64::from(matches!(optout, Some(None))) + u64::from(extra_error);
            let mut via_secondary = false;
            let target = match id {
                Some(id) if self.records.contains_key(&id) => Some(id),
                Some(_) => {
                    c.failed += 1;
                    errors += 1;
                    continue;
                }
                None if !email.is_empty() => self.owner(&email).map(|(t, secondary)| {
                    via_secondary = secondary;
                    t
                }),
                None => None,
            };
            let protect = |p: &str| imp.no_overwrite.contains(&p);
            match (target, imp.mode) {
                (Some(_), Mode::Create) => c.skipped += 1,
                (Some(t), _) => {
                    // The record's emails after the row (SPEC 2): a row matched by a
                    // secondary email keeps the primary; a new primary moves the old one
                    // to the secondary emails; every email belongs to one contact.
                    let rec = &self.records[&t];
                    let (primary, list) = (rec.get("email").cloned(), list_of(rec));
                    let mut next_primary = primary.clone();
                    let kept = via_secondary || (protect("email") && primary.is_some());
                    if !email.is_empty() && !kept {
                        next_primary = Some(email.clone());
                    }
                    let mut next_list = list.clone();
                    if let Some(l) = &extra
                        && (!protect("hs_additional_emails") || list.is_empty())
                    {
                        next_list.clone_from(l);
                    }
                    if let Some(old) = &primary
                        && next_primary.as_ref() != Some(old)
                        && !next_list.contains(old)
                    {
                        next_list.push(old.clone());
                    }
                    next_list.retain(|e| Some(e) != next_primary.as_ref());
                    let held = |e: &String| primary.as_ref() == Some(e) || list.contains(e);
                    let taken = next_primary
                        .iter()
                        .chain(&next_list)
                        .any(|e| !held(e) && self.owner(e).is_some_and(|(o, _)| o != t));
                    if taken {
                        c.failed += 1;
                        errors += 1;
                        continue;
                    }
                    let rec = self.records.get_mut(&t).unwrap();
                    let before = rec.clone();
                    for (p, v) in values {
                        if p == "email" || (protect(p) && rec.contains_key(p)) {
                            continue;
                        }
                        rec.insert(p, v);
                    }
                    if let Some(p) = next_primary {
                        rec.insert("email", p);
                    }
                    if next_list.is_empty() {
                        rec.remove("hs_additional_emails");
                    } else {
                        rec.insert("hs_additional_emails", next_list.join(";"));
                    }
                    if *rec == before {
                        c.unchanged += 1;
                    } else {
                        c.updated += 1;
                    }
                    errors += value_errors;
                }
                (None, Mode::Update) => {
                    if id.is_none() && email.is_empty() {
                        c.failed += 1;
                        errors += 1;
                    } else {
                        c.skipped += 1;
                    }
                }
                (None, _) => {
                    if email.is_empty() && first.is_empty() {
                        c.failed += 1;
                        errors += 1;
                        continue;
                    }
                    let mut list = extra.clone().unwrap_or_default();
                    list.retain(|e| *e != email);
                    if list.iter().any(|e| self.owner(e).is_some()) {
                        c.failed += 1;
                        errors += 1;
                        continue;
                    }
                    let mut values: BTreeMap<&'static str, String> = values.into_iter().collect();
                    if !list.is_empty() {
                        values.insert("hs_additional_emails", list.join(";"));
                    }
                    self.next_id += 1;
                    self.records.insert(self.next_id, values);
                    c.created += 1;
                    errors += value_errors;
                }
            }
        }
        (c, errors)
    }

    fn export(&self) -> String {
        let mut out = String::new();
        for (id, props) in &self.records {
            let props: serde_json::Map<String, serde_json::Value> = props
                .iter()
                .map(|(k, v)| {
                    let v = if *k == "hs_email_optout" {
                        serde_json::Value::Bool(v == "true")
                    } else {
                        v.clone().into()
                    };
                    ((*k).to_owned(), v)
                })
                .collect();
            let line =
                serde_json::json!({"id": id, "object": "contacts", "properties": props, "associations": {}});
            out.push_str(&serde_json::to_string(&line).unwrap());
            out.push('\n');
        }
        out
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// Runs import `i` of a sequence on `store`, with its files in `dir`; with
/// `dry_run_first`, after its dry run, which must agree with it
/// ([`crate::support::run_checked`]). Returns the store and the import's summary.
fn run_import(
    store: Store,
    dir: &std::path::Path,
    i: usize,
    imp: &Import,
    dry_run_first: bool,
) -> (Store, engine::import::ImportSummary) {
    let mut text = String::from("hs_object_id,email,firstname,city,hs_email_optout,hs_additional_emails\n");
    for r in &imp.rows {
        let cells = [&r.id, &r.email, &r.first, &r.city, &r.optout, &r.extra].map(|c| csv_cell(c));
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let file = dir.join(format!("in{i}.csv"));
    std::fs::write(&file, text).unwrap();
    let opts = ImportSpec {
        files: vec![file],
        objects: vec!["contacts".into()],
        mode: imp.mode,
        no_overwrite: imp.no_overwrite.iter().map(|s| (*s).to_owned()).collect(),
        threads: Some(imp.threads),
        chunk_bytes: Some(16),
        report_dir: Some(dir.join(format!("r{i}"))),
        ..ImportSpec::default()
    };
    if dry_run_first {
        crate::support::run_checked(store, &opts)
    } else {
        let summary = engine::import::run(&store, &opts, &engine::progress::Progress::hidden()).unwrap();
        (store, summary)
    }
}

fn export_of(store: &Store) -> String {
    let mut export = Vec::new();
    let read = store.begin_read().unwrap();
    let contacts = read.schema().unwrap().object("contacts").unwrap().clone();
    engine::export::export(&read, &contacts, engine::export::Format::Jsonl, &mut export).unwrap();
    String::from_utf8(export).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn imports_equal_the_row_by_row_model(imports in prop::collection::vec(import(), 1..5)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.redb")).unwrap();
        let mut model = Model::default();
        for (i, imp) in imports.iter().enumerate() {
            let summary;
            (store, summary) = run_import(store, dir.path(), i, imp, true);
            let (counts, errors) = model.apply(imp);
            prop_assert_eq!(summary.objects.get("contacts").copied().unwrap_or_default(), counts, "import {}", i);
            prop_assert_eq!(summary.errors, errors, "errors of import {}", i);
        }
        prop_assert_eq!(export_of(&store), model.export());
    }

    /// After each import, undo up to two of the newest imports still standing: the
    /// store must be the model's state before them (record IDs are not reused:
    /// the model keeps its sequence), and later imports still follow the model.
    #[test]
    fn undoing_the_newest_imports_gives_back_the_state_before_them(
        steps in prop::collection::vec((import(), 0..3usize), 1..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.redb")).unwrap();
        let mut model = Model::default();
        let mut standing: Vec<(u64, Model)> = Vec::new();
        for (i, (imp, undos)) in steps.iter().enumerate() {
            let before = model.clone();
            // The dry run is checked on every import of the test above; here only
            // where the store has undone imports (what this test adds), to keep
            // its time down.
            let after_undo = i > 0 && steps[i - 1].1 > 0;
            let summary;
            (store, summary) = run_import(store, dir.path(), i, imp, after_undo);
            let (counts, _) = model.apply(imp);
            prop_assert_eq!(summary.objects.get("contacts").copied().unwrap_or_default(), counts, "import {}", i);
            standing.push((summary.import_id, before));
            for _ in 0..*undos {
                let Some((id, before)) = standing.pop() else { break };
                let session = store.begin_write().unwrap();
                let report = session.undo(id, false, 0, "2026-01-01T00:00:00.000Z").unwrap();
                prop_assert!(report.undone, "import {} refused: {:?}", id, report.conflicts);
                session.commit(true).unwrap();
                let next_id = model.next_id;
                model = before;
                model.next_id = next_id;
                prop_assert_eq!(export_of(&store), model.export(), "after undoing import {}", id);
            }
        }
        prop_assert_eq!(export_of(&store), model.export());
        drop(store);
        let report = Store::check(dir.path().join("s.redb"));
        prop_assert!(report.as_ref().is_ok_and(store::CheckReport::is_ok), "{:?}", report.map(|r| r.problems));
    }
}
