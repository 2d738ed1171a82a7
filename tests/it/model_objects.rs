//! A model-based test over several objects (SPEC 2-4): random sequences of small
//! imports of contacts, companies, deals, tickets, notes and a custom object, with
//! custom properties added by `ingest schema add-property`, in random modes, with
//! and without record IDs, repeated identifiers, blank cells, placeholders, invalid
//! values and `--no-overwrite`, run through the binary and through a plain
//! row-by-row model of the SPEC (one `BTreeMap` per object). After every import the
//! summary's counts, the error file's `(line, column, code)` and `ingest export OBJ
//! --format jsonl` must equal the model's.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::support::{ingest, ok_stdout};

/// How a column's cells are read (SPEC 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    RecordId,
    Email,
    Domain,
    Text,
    Number,
    Integer,
    Bool,
    /// An enumeration: `(written lowercase, internal value)` pairs.
    Enum(&'static [(&'static str, &'static str)]),
    Datetime,
}

/// One column of an object's files: its header (the property's internal name), its
/// kind and the cells a row may hold.
#[derive(Debug)]
struct Column {
    property: &'static str,
    kind: Kind,
    pool: &'static [&'static str],
}

/// What the model knows about an object.
#[derive(Debug)]
struct ObjectSpec {
    name: &'static str,
    columns: &'static [Column],
    /// The unique identifier's column (contacts' email, companies' domain).
    identifier: Option<usize>,
    /// Creating needs one of these / all of these (SPEC 3).
    required_any: &'static [&'static str],
    required_all: &'static [&'static str],
    /// Created, never updated (SPEC 3: activities).
    create_only: bool,
    /// Values a new record gets when its row has none (the default pipeline).
    defaults: &'static [(&'static str, &'static str)],
}

// Pools repeat cells to weight them: half the rows carry no record ID.
const RECORD_IDS: &[&str] = &["", "", "", "", "", "", "", "1", "1", "2", "2", "3", "5", "x"];
const NAMES: &[&str] = &["", "Ana", " Ana ", "Zoë", "Søren", "null"];
const NUMBERS: &[&str] = &["", "", "12", "7.5", "-3", "abc"];
const TIERS: &[(&str, &str)] = &[("gold", "gold"), ("silver", "silver")];
const PRIORITIES: &[(&str, &str)] = &[("low", "LOW"), ("high", "HIGH"), ("urgent", "URGENT")];

const OBJECTS: &[ObjectSpec] = &[
    ObjectSpec {
        name: "contacts",
        columns: &[
            Column { property: "hs_object_id", kind: Kind::RecordId, pool: RECORD_IDS },
            Column {
                property: "email",
                kind: Kind::Email,
                pool: &[
                    "",
                    "",
                    "a@x.com",
                    " A@X.com ",
                    "b@x.com",
                    "JOSÉ@MÜLLER.de",
                    "josé@xn--mller-kva.de",
                    "c@y.org",
                    "not-an-email",
                ],
            },
            Column { property: "firstname", kind: Kind::Text, pool: NAMES },
            Column { property: "city", kind: Kind::Text, pool: &["", "", "Oslo", "Köln", "[not provided]"] },
            Column {
                property: "tier",
                kind: Kind::Enum(TIERS),
                pool: &["", "", "gold", "GOLD", "Silver", "bronze"],
            },
            Column { property: "score", kind: Kind::Number, pool: NUMBERS },
        ],
        identifier: Some(1),
        required_any: &["email", "firstname"],
        required_all: &[],
        create_only: false,
        defaults: &[],
    },
    ObjectSpec {
        name: "companies",
        columns: &[
            Column { property: "hs_object_id", kind: Kind::RecordId, pool: RECORD_IDS },
            Column {
                property: "domain",
                kind: Kind::Domain,
                pool: &[
                    "",
                    "",
                    "acme.com",
                    "https://www.ACME.com/about",
                    "müller.de",
                    "xn--mller-kva.de",
                    "beta.io",
                    "not a domain",
                ],
            },
            Column { property: "name", kind: Kind::Text, pool: &["", "Acme", "Beta BV", "Müller GmbH"] },
            Column {
                property: "numberofemployees",
                kind: Kind::Integer,
                pool: &["", "", "12", "12.0", "1.5", "250"],
            },
            Column { property: "vip", kind: Kind::Bool, pool: &["", "", "yes", "no", "true", "0", "maybe"] },
        ],
        identifier: Some(1),
        required_any: &["name", "domain"],
        required_all: &[],
        create_only: false,
        defaults: &[],
    },
    ObjectSpec {
        name: "deals",
        columns: &[
            Column { property: "hs_object_id", kind: Kind::RecordId, pool: RECORD_IDS },
            Column {
                property: "dealname",
                kind: Kind::Text,
                pool: &["", "Big one", "Renewal", "Renewal", "Pilot"],
            },
            Column { property: "amount", kind: Kind::Number, pool: NUMBERS },
            Column { property: "region", kind: Kind::Text, pool: &["", "", "EMEA", "APAC"] },
        ],
        identifier: None,
        required_any: &[],
        required_all: &["dealname"],
        create_only: false,
        defaults: &[("pipeline", "default"), ("dealstage", "appointmentscheduled")],
    },
    ObjectSpec {
        name: "tickets",
        columns: &[
            Column { property: "hs_object_id", kind: Kind::RecordId, pool: RECORD_IDS },
            Column {
                property: "subject",
                kind: Kind::Text,
                pool: &["", "Printer broken", "Printer broken", "Login fails"],
            },
            Column {
                property: "hs_ticket_priority",
                kind: Kind::Enum(PRIORITIES),
                pool: &["", "", "low", "High", "URGENT", "asap"],
            },
        ],
        identifier: None,
        required_any: &[],
        required_all: &["subject"],
        create_only: false,
        defaults: &[("hs_pipeline", "0"), ("hs_pipeline_stage", "1")],
    },
    ObjectSpec {
        name: "notes",
        columns: &[
            Column { property: "hs_object_id", kind: Kind::RecordId, pool: RECORD_IDS },
            Column {
                property: "hs_note_body",
                kind: Kind::Text,
                pool: &["", "Called them", "Called them", "Sent the offer"],
            },
            Column {
                property: "hs_timestamp",
                kind: Kind::Datetime,
                pool: &[
                    "",
                    "2025-01-02T10:00:00Z",
                    "2025-01-02 10:00",
                    "1735812000000",
                    "2025-03-04",
                    "yesterday",
                ],
            },
        ],
        identifier: None,
        required_any: &[],
        required_all: &["hs_timestamp", "hs_note_body"],
        create_only: true,
        defaults: &[],
    },
    ObjectSpec {
        name: "pets",
        columns: &[
            Column { property: "hs_object_id", kind: Kind::RecordId, pool: RECORD_IDS },
            Column { property: "name", kind: Kind::Text, pool: &["", "Rex", "Tom", "Tom", " Rex "] },
            Column { property: "age", kind: Kind::Number, pool: NUMBERS },
            Column { property: "color", kind: Kind::Text, pool: &["", "brown", "black"] },
        ],
        identifier: None,
        required_any: &[],
        required_all: &["name"],
        create_only: false,
        defaults: &[],
    },
];

/// The schema every case starts from: custom properties on standard objects and a
/// custom object with a property added after it.
const SCHEMA: &[&[&str]] = &[
    &["add-property", "contacts", "tier", "--type", "enumeration", "--options", "gold:Gold,silver:Silver"],
    &["add-property", "contacts", "score", "--type", "number"],
    &["add-property", "companies", "vip", "--type", "bool"],
    &["add-property", "deals", "region", "--type", "string"],
    &[
        "add-object",
        "pets",
        "--label",
        "Pets",
        "--singular",
        "Pet",
        "--primary-property",
        "name",
        "--property",
        "age:number",
        "--required",
        "name",
    ],
    &["add-property", "pets", "color", "--type", "string"],
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Upsert,
    Create,
    Update,
}

#[derive(Debug, Clone)]
enum NoOverwrite {
    None,
    Some(Vec<&'static str>),
    All,
}

/// One import: an object, a mode, don't-overwrite, threads and the rows' cells.
#[derive(Debug, Clone)]
struct Import {
    object: usize,
    mode: Mode,
    no_overwrite: NoOverwrite,
    threads: usize,
    rows: Vec<Vec<&'static str>>,
}

/// An import of one of `objects`.
fn import_strategy(objects: Vec<usize>) -> impl Strategy<Value = Import> {
    prop::sample::select(objects).prop_flat_map(|object| {
        let spec = &OBJECTS[object];
        let row: Vec<_> = spec.columns.iter().map(|c| prop::sample::select(c.pool)).collect();
        let properties: Vec<&'static str> = spec.columns[1..].iter().map(|c| c.property).collect();
        let no_overwrite = prop_oneof![
            3 => Just(NoOverwrite::None),
            2 => prop::sample::subsequence(properties, 1..=2).prop_map(NoOverwrite::Some),
            1 => Just(NoOverwrite::All),
        ];
        let mode = prop_oneof![2 => Just(Mode::Upsert), 1 => Just(Mode::Create), 1 => Just(Mode::Update)];
        (mode, no_overwrite, 1usize..=2, prop::collection::vec(row, 0..12)).prop_map(
            move |(mode, no_overwrite, threads, rows)| Import { object, mode, no_overwrite, threads, rows },
        )
    })
}

/// A cell normalized for its kind: `Ok(None)` blank, `Ok(Some(v))` the stored
/// value, `Err(code)` the error.
fn normalize(kind: Kind, raw: &str) -> Result<Option<String>, &'static str> {
    let cell = raw.trim();
    let placeholder = cell.eq_ignore_ascii_case("null") || cell.eq_ignore_ascii_case("[not provided]");
    if cell.is_empty() || (placeholder && kind != Kind::RecordId) {
        return Ok(None);
    }
    let lower = cell.to_lowercase();
    let value = match kind {
        Kind::RecordId => match cell.parse::<u64>() {
            Ok(id) if id > 0 => id.to_string(),
            _ => return Err("INVALID_RECORD_ID"),
        },
        Kind::Email => match lower.as_str() {
            "not-an-email" => return Err("INVALID_EMAIL"),
            "josé@xn--mller-kva.de" => "josé@müller.de".to_owned(),
            _ => lower,
        },
        Kind::Domain => match lower.as_str() {
            "not a domain" => return Err("INVALID_DOMAIN"),
            "https://www.acme.com/about" => "acme.com".to_owned(),
            "xn--mller-kva.de" => "müller.de".to_owned(),
            _ => lower,
        },
        Kind::Text => cell.to_owned(),
        Kind::Number => match cell {
            "abc" => return Err("COULD_NOT_PARSE_NUMBER"),
            _ => cell.to_owned(),
        },
        Kind::Integer => match cell {
            "1.5" => return Err("COULD_NOT_PARSE_NUMBER"),
            "12.0" => "12".to_owned(),
            _ => cell.to_owned(),
        },
        Kind::Bool => match lower.as_str() {
            "yes" | "true" => "true".to_owned(),
            "no" | "0" => "false".to_owned(),
            _ => return Err("INVALID_BOOLEAN"),
        },
        Kind::Enum(options) => match options.iter().find(|(written, _)| *written == lower) {
            Some((_, value)) => (*value).to_owned(),
            None => return Err("INVALID_ENUMERATION_OPTION"),
        },
        Kind::Datetime => match cell {
            "2025-01-02T10:00:00Z" | "2025-01-02 10:00" | "1735812000000" => {
                "2025-01-02T10:00:00Z".to_owned()
            }
            "2025-03-04" => "2025-03-04T00:00:00Z".to_owned(),
            _ => return Err("COULD_NOT_PARSE_DATE"),
        },
    };
    Ok(Some(value))
}

/// The counts of one import of one object.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    created: u64,
    updated: u64,
    unchanged: u64,
    skipped: u64,
    failed: u64,
}

/// An error as the error file reports it: `(line, column header, code)`.
type Reported = (u64, String, String);

/// The store as the model sees it: per object, records by ID, each a map of
/// property -> stored value; and each object's next ID.
#[derive(Debug, Default)]
struct Model {
    records: BTreeMap<&'static str, BTreeMap<u64, BTreeMap<&'static str, String>>>,
    next_id: BTreeMap<&'static str, u64>,
}

impl Model {
    /// Applies one import row by row (SPEC 3: the outcome of applying its rows one
    /// by one, in file order); returns its counts and errors.
    fn apply(&mut self, imp: &Import) -> (Counts, Vec<Reported>) {
        let spec = &OBJECTS[imp.object];
        let records = self.records.entry(spec.name).or_default();
        let next_id = self.next_id.entry(spec.name).or_insert(1);
        let protects = |p: &str| match &imp.no_overwrite {
            NoOverwrite::None => false,
            NoOverwrite::Some(list) => list.contains(&p),
            NoOverwrite::All => true,
        };
        let mut counts = Counts::default();
        let mut errors: Vec<Reported> = Vec::new();
        for (r, cells) in imp.rows.iter().enumerate() {
            let line = r as u64 + 2;
            if cells.iter().all(|c| c.is_empty()) {
                continue; // a blank row is not a row
            }
            let fail = |counts: &mut Counts, errors: &mut Vec<Reported>, found: Vec<(&str, &str)>| {
                counts.failed += 1;
                errors.extend(found.into_iter().map(|(c, code)| (line, c.to_owned(), code.to_owned())));
            };
            // Transform: every cell by its kind; an invalid record ID or identifier
            // is a row error, any other invalid value a value error.
            let mut record_id = None;
            let mut key: Option<String> = None;
            let mut values: Vec<(&'static str, String)> = Vec::new();
            let mut row_errors = Vec::new();
            let mut value_errors = Vec::new();
            for (c, (column, raw)) in spec.columns.iter().zip(cells).enumerate() {
                match normalize(column.kind, raw) {
                    Ok(None) => {}
                    Ok(Some(v)) if column.kind == Kind::RecordId => {
                        record_id = Some(v.parse::<u64>().unwrap());
                    }
                    Ok(Some(v)) => {
                        if Some(c) == spec.identifier {
                            key = Some(v.clone());
                        }
                        values.push((column.property, v));
                    }
                    Err(code) if column.kind == Kind::RecordId || Some(c) == spec.identifier => {
                        row_errors.push((column.property, code));
                    }
                    Err(code) => value_errors.push((column.property, code)),
                }
            }
            if !row_errors.is_empty() {
                fail(&mut counts, &mut errors, row_errors);
                continue;
            }
            let identifier = spec.identifier.map(|c| spec.columns[c].property);
            // Contacts' secondary emails share the email's uniqueness (SPEC 2).
            let secondary = spec.name == "contacts";
            let list_of = |rec: &BTreeMap<&str, String>| -> Vec<String> {
                rec.get("hs_additional_emails")
                    .map(|l| l.split(';').map(str::to_owned).collect())
                    .unwrap_or_default()
            };
            let holder = |records: &BTreeMap<u64, BTreeMap<&str, String>>, key: &str| {
                records.iter().find_map(|(id, rec)| {
                    if rec.get(identifier.unwrap()).map(String::as_str) == Some(key) {
                        Some((*id, false))
                    } else {
                        (secondary && list_of(rec).iter().any(|e| e == key)).then_some((*id, true))
                    }
                })
            };
            let owner = |records: &BTreeMap<u64, BTreeMap<&str, String>>, key: &str| {
                holder(records, key).map(|h| h.0)
            };
            let via_secondary =
                record_id.is_none() && key.as_deref().and_then(|k| holder(records, k)).is_some_and(|h| h.1);
            // Plan: the record ID first, then the identifier.
            let target = match (record_id, &key) {
                (Some(id), _) if records.contains_key(&id) => Some(id),
                (Some(_), _) => {
                    fail(&mut counts, &mut errors, vec![("hs_object_id", "INVALID_RECORD_ID")]);
                    continue;
                }
                (None, Some(key)) => owner(records, key),
                (None, None) => None,
            };
            let identifier_column = identifier.unwrap_or("");
            match (target, imp.mode) {
                (Some(_), Mode::Create) => counts.skipped += 1,
                (Some(_), _) if spec.create_only => counts.skipped += 1,
                (Some(id), _) => {
                    if let (Some(_), Some(key), Some(identifier)) = (record_id, &key, identifier) {
                        let holder = owner(records, key);
                        let keeps_its_own = protects(identifier) && records[&id].contains_key(identifier);
                        if holder.is_some_and(|h| h != id) && !keeps_its_own {
                            fail(
                                &mut counts,
                                &mut errors,
                                vec![(identifier_column, "DUPLICATE_UNIQUE_PROPERTY_VALUE")],
                            );
                            continue;
                        }
                    }
                    let record = records.get_mut(&id).unwrap();
                    let old_email = if secondary { record.get("email").cloned() } else { None };
                    let mut changed = false;
                    for (p, v) in values {
                        if protects(p) && record.contains_key(p) {
                            continue;
                        }
                        // Matched by a secondary email: the primary stays.
                        if via_secondary && Some(p) == identifier {
                            continue;
                        }
                        if record.get(p) != Some(&v) {
                            record.insert(p, v);
                            changed = true;
                        }
                    }
                    // A new primary email: the old one becomes a secondary email.
                    if let Some(old) = old_email
                        && record.get("email") != Some(&old)
                    {
                        let new = record.get("email").cloned();
                        let mut list = list_of(record);
                        if !list.contains(&old) {
                            list.push(old);
                        }
                        list.retain(|e| Some(e) != new.as_ref());
                        record.insert("hs_additional_emails", list.join(";"));
                    }
                    if changed {
                        counts.updated += 1;
                    } else {
                        counts.unchanged += 1;
                    }
                    errors.extend(
                        value_errors.iter().map(|(c, code)| (line, (*c).to_owned(), (*code).to_owned())),
                    );
                }
                (None, Mode::Update) if record_id.is_none() && key.is_none() => {
                    fail(&mut counts, &mut errors, vec![(identifier_column, "MISSING_IDENTIFIER")]);
                }
                (None, Mode::Update) => counts.skipped += 1,
                (None, _) => {
                    let has = |p: &str| values.iter().any(|(q, _)| *q == p);
                    let creatable = (spec.required_any.is_empty()
                        || spec.required_any.iter().any(|p| has(p)))
                        && spec.required_all.iter().all(|p| has(p));
                    if !creatable {
                        fail(&mut counts, &mut errors, vec![("", "MISSING_REQUIRED_PROPERTY")]);
                        continue;
                    }
                    let mut record: BTreeMap<&'static str, String> = values.into_iter().collect();
                    for (p, v) in spec.defaults {
                        record.entry(p).or_insert_with(|| (*v).to_owned());
                    }
                    records.insert(*next_id, record);
                    *next_id += 1;
                    counts.created += 1;
                    errors.extend(
                        value_errors.iter().map(|(c, code)| (line, (*c).to_owned(), (*code).to_owned())),
                    );
                }
            }
        }
        (counts, errors)
    }

    /// What `ingest export OBJ --format jsonl` prints for the object.
    fn export(&self, spec: &ObjectSpec) -> Vec<Value> {
        let kind = |p: &str| spec.columns.iter().find(|c| c.property == p).map(|c| c.kind);
        self.records
            .get(spec.name)
            .into_iter()
            .flatten()
            .map(|(id, record)| {
                let properties: serde_json::Map<String, Value> = record
                    .iter()
                    .map(|(p, v)| {
                        let value = match kind(p) {
                            Some(Kind::Number | Kind::Integer) => Value::Number(v.parse().unwrap()),
                            Some(Kind::Bool) => Value::Bool(v == "true"),
                            _ => Value::String(v.clone()),
                        };
                        ((*p).to_owned(), value)
                    })
                    .collect();
                json!({"id": id, "object": spec.name, "properties": properties, "associations": {}})
            })
            .collect()
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// Runs one import through the binary: its counts and its error file.
fn run_import(
    store: &Path,
    dir: &Path,
    n: usize,
    imp: &Import,
) -> Result<(Counts, Vec<Reported>), TestCaseError> {
    let spec = &OBJECTS[imp.object];
    let mut text = spec.columns.iter().map(|c| c.property).collect::<Vec<_>>().join(",");
    text.push('\n');
    for row in &imp.rows {
        text.push_str(&row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        text.push('\n');
    }
    let file = dir.join(format!("in{n}.csv"));
    std::fs::write(&file, text).unwrap();
    let mode = match imp.mode {
        Mode::Upsert => "upsert",
        Mode::Create => "create",
        Mode::Update => "update",
    };
    let threads = imp.threads.to_string();
    let mut args = vec![
        "import",
        file.to_str().unwrap(),
        "--object",
        spec.name,
        "--mode",
        mode,
        "--threads",
        &threads,
        "--json",
    ];
    let list;
    match &imp.no_overwrite {
        NoOverwrite::None => {}
        NoOverwrite::Some(props) => {
            list = props.join(",");
            args.extend(["--no-overwrite", list.as_str()]);
        }
        NoOverwrite::All => args.push("--no-overwrite-all"),
    }
    let out = ingest(store, &args);
    prop_assert!(out.status.success(), "import {n} failed: {}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let object = &summary["objects"][spec.name];
    let count = |what: &str| object[what].as_u64().unwrap_or(0);
    let counts = Counts {
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        skipped: count("skipped"),
        failed: count("failed"),
    };
    let mut reader = csv::Reader::from_path(summary["error_file"].as_str().unwrap()).unwrap();
    let errors = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[1].to_owned(), r[3].to_owned())
        })
        .collect();
    Ok((counts, errors))
}

fn export(store: &Path, object: &str) -> Vec<Value> {
    ok_stdout(&ingest(store, &["export", object, "--format", "jsonl"]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn imports_of_several_objects_equal_the_row_by_row_model() {
    // The schema is set up once; every case starts from a copy of that store.
    let template = tempfile::tempdir().unwrap();
    let template_store = template.path().join("s.redb");
    for command in SCHEMA {
        let mut args = vec!["schema"];
        args.extend_from_slice(command);
        ok_stdout(&ingest(&template_store, &args));
    }
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    // Each case imports two of the objects (so that later imports meet the records
    // of earlier ones), every object in some case.
    let strategy = prop::sample::subsequence((0..OBJECTS.len()).collect::<Vec<_>>(), 2)
        .prop_flat_map(|objects| prop::collection::vec(import_strategy(objects), 2..=6));
    runner
        .run(&strategy, |imports| {
            let dir = tempfile::tempdir().unwrap();
            let store = dir.path().join("s.redb");
            std::fs::copy(&template_store, &store).unwrap();
            let mut model = Model::default();
            for (n, imp) in imports.iter().enumerate() {
                let spec = &OBJECTS[imp.object];
                let (counts, mut errors) = run_import(&store, dir.path(), n, imp)?;
                let (want_counts, mut want_errors) = model.apply(imp);
                prop_assert_eq!(counts, want_counts, "counts of import {} ({})", n, spec.name);
                errors.sort();
                want_errors.sort();
                prop_assert_eq!(errors, want_errors, "errors of import {} ({})", n, spec.name);
                prop_assert_eq!(
                    export(&store, spec.name),
                    model.export(spec),
                    "{} after import {}",
                    spec.name,
                    n
                );
            }
            Ok(())
        })
        .unwrap();
}
