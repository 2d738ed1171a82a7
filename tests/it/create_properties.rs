//! Custom properties created by an import from its columns: `--map
//! 'HEADER=+object.name:type'` and `--create-properties` (types inferred from the
//! whole column), idempotent re-runs, conflicts as usage errors with nothing written.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{ingest, json as json_of, ok_stdout, stderr, write};

/// The custom properties of `object` in the store: (name, type, label).
fn custom_properties(store: &Path, object: &str) -> Vec<(String, String, String)> {
    let o = json_of(&ingest(store, &["schema", object, "--json"]));
    o["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["custom"] == true)
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_owned();
            (s("name"), s("type"), s("label"))
        })
        .collect()
}

fn property(store: &Path, object: &str, name: &str) -> Value {
    let o = json_of(&ingest(store, &["schema", object, "--json"]));
    o["properties"].as_array().unwrap().iter().find(|p| p["name"] == name).cloned().unwrap_or(Value::Null)
}

fn history_len(store: &Path) -> usize {
    json_of(&ingest(store, &["history", "--json"])).as_array().unwrap().len()
}

#[test]
fn a_plus_map_creates_the_property_and_its_values_land_typed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(dir.path(), "c.csv", "Email,Shoe size\na@x.com,42\nb@x.com,\"41,5\"\nc@x.com,big\n");
    let f = f.to_str().unwrap();
    let args = ["import", f, "--map", "Shoe size=+contacts.shoe_size:number", "--number-locale", "nl"];
    let text = ok_stdout(&ingest(&store, &args));
    assert!(text.contains("created property contacts.shoe_size (number, label 'Shoe size')"), "{text}");
    assert!(text.contains("3 created"), "{text}");
    assert_eq!(
        custom_properties(&store, "contacts"),
        [("shoe_size".to_owned(), "number".to_owned(), "Shoe size".to_owned())]
    );
    let got = json_of(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["shoe_size"], json!(42), "a number, not text: {got}");
    let got = json_of(&ingest(&store, &["get", "contacts", "2", "--json"]));
    assert_eq!(got["properties"]["shoe_size"], json!(41.5), "in the import's number locale: {got}");
    let export = ok_stdout(&ingest(&store, &["export", "contacts", "--format", "csv"]));
    assert!(export.lines().next().unwrap().ends_with(",shoe_size"), "{export}");
    // The log records the created property and the mapping to it.
    let h = json_of(&ingest(&store, &["history", "1", "--json"]));
    assert_eq!(
        h["options"]["created_properties"],
        json!([{"object": "contacts", "name": "shoe_size", "label": "Shoe size", "type": "number"}])
    );
    assert_eq!(h["options"]["mapping"][0]["columns"]["Shoe size"], "contacts.shoe_size");

    // Again, with or without the object: it exists with that type, nothing is created.
    for target in
        ["Shoe size=+contacts.shoe_size:number", "Shoe size=+shoe_size:number", "Shoe size=+shoe_size"]
    {
        let s = json_of(&ingest(&store, &["import", f, "--map", target, "--number-locale", "nl", "--json"]));
        assert_eq!(s["created_properties"], json!([]), "{target}");
        assert_eq!(s["objects"]["contacts"]["unchanged"], 3, "{target}: {s}");
    }
    assert_eq!(custom_properties(&store, "contacts").len(), 1);
    // A plain import now maps the column by the property's label.
    let s = json_of(&ingest(&store, &["import", f, "--number-locale", "nl", "--json"]));
    assert_eq!(s["objects"]["contacts"]["unchanged"], 3, "{s}");
}

/// A contacts file with a number, a date, a yes/no, a 3-value (enumeration) and a
/// free-text column, plus an empty one, over 30 rows.
fn typed_file(dir: &Path) -> PathBuf {
    let mut text = String::from("Email,Shoe Size,Signed up,Newsletter?,Tier,Notes,Nothing yet\n");
    for i in 0..30 {
        let tier = ["Gold", "Silver", "Bronze"][i % 3];
        let yes = if i % 2 == 0 { "yes" } else { "No" };
        let day = i % 28 + 1;
        text.push_str(&format!("p{i}@x.com,{},2024-01-{day:02},{yes},{tier},note {i},\n", 36 + i % 10));
    }
    write(dir, "typed.csv", &text)
}

#[test]
fn create_properties_types_each_column_by_its_values_and_a_rerun_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = typed_file(dir.path());
    let f = f.to_str().unwrap();
    let s = json_of(&ingest(&store, &["import", f, "--create-properties", "--json"]));
    let want = [
        ("shoe_size", "Shoe Size", "number"),
        ("signed_up", "Signed up", "date"),
        ("newsletter", "Newsletter?", "bool"),
        ("tier", "Tier", "enumeration"),
        ("notes", "Notes", "string"),
        ("nothing_yet", "Nothing yet", "string"),
    ];
    let listed: Vec<Value> = want
        .iter()
        .map(|(name, label, ty)| json!({"object": "contacts", "name": name, "label": label, "type": ty}))
        .collect();
    assert_eq!(s["created_properties"], Value::Array(listed.clone()), "{s}");
    assert_eq!(s["objects"]["contacts"]["created"], 30, "{s}");
    assert_eq!((s["errors"].as_u64(), s["skipped_columns"].clone()), (Some(0), json!([])), "{s}");
    let stored: Vec<(String, String, String)> = custom_properties(&store, "contacts");
    assert_eq!(
        stored,
        want.iter().map(|(n, l, t)| ((*n).to_owned(), (*t).to_owned(), (*l).to_owned())).collect::<Vec<_>>()
    );
    assert_eq!(
        property(&store, "contacts", "tier")["options"],
        json!([
            {"value": "Gold", "label": "Gold"},
            {"value": "Silver", "label": "Silver"},
            {"value": "Bronze", "label": "Bronze"}
        ])
    );
    let got = json_of(&ingest(&store, &["get", "contacts", "2", "--json"]));
    let p = &got["properties"];
    assert_eq!(
        (&p["shoe_size"], &p["signed_up"], &p["newsletter"], &p["tier"], &p["notes"]),
        (&json!(37), &json!("2024-01-02"), &json!(false), &json!("Silver"), &json!("note 1")),
        "{got}"
    );
    assert!(p.get("nothing_yet").is_none(), "{got}");
    let h = json_of(&ingest(&store, &["history", "1", "--json"]));
    assert_eq!(h["options"]["created_properties"], Value::Array(listed));
    assert_eq!(h["options"]["spec"]["create_properties"], true);

    // The same import again: every column maps to its property now.
    let s = json_of(&ingest(&store, &["import", f, "--create-properties", "--json"]));
    assert_eq!(s["created_properties"], json!([]), "{s}");
    assert_eq!(s["objects"]["contacts"]["unchanged"], 30, "{s}");
    assert_eq!((s["objects"]["contacts"]["created"].as_u64(), s["errors"].as_u64()), (Some(0), Some(0)));
    assert_eq!(custom_properties(&store, "contacts").len(), 6);
    // Changed values update the same records.
    let changed =
        write(dir.path(), "changed.csv", "Email,Tier,Shoe Size\np0@x.com,Silver,47\np1@x.com,Silver,37\n");
    let s = json_of(&ingest(&store, &["import", changed.to_str().unwrap(), "--create-properties", "--json"]));
    assert_eq!(
        (s["objects"]["contacts"]["updated"].as_u64(), s["objects"]["contacts"]["unchanged"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(json_of(&ingest(&store, &["get", "contacts", "1", "--json"]))["properties"]["shoe_size"], 47);

    // The text summary lists what it created, one line per property.
    let other = dir.path().join("other.redb");
    let text = ok_stdout(&ingest(&other, &["import", f, "--create-properties"]));
    for line in [
        "created property contacts.shoe_size (number, label 'Shoe Size')",
        "created property contacts.newsletter (bool, label 'Newsletter?')",
        "created property contacts.tier (enumeration, label 'Tier')",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
}

#[test]
fn created_names_are_unique_and_the_same_column_of_two_files_is_one_property() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    ok_stdout(&ingest(&store, &["schema", "add-property", "contacts", "score", "--type", "string"]));
    let a = write(dir.path(), "a.csv", "Email,Score!,2nd Phone,HS Rating\na@x.com,5,+31 6 1,10\n");
    let b = write(dir.path(), "b.csv", "2nd phone,Email\n+31 6 2,b@x.com\n");
    let s = json_of(&ingest(
        &store,
        &["import", a.to_str().unwrap(), b.to_str().unwrap(), "--create-properties", "--json"],
    ));
    let names: Vec<(&str, &str)> = s["created_properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    // `score` exists (a column named `Score!` would map to it: the column was mapped);
    // names never start with a digit or hs_.
    assert_eq!(names, [("x_2nd_phone", "string"), ("x_hs_rating", "number")], "{s}");
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    let got = json_of(&ingest(&store, &["get", "contacts", "2", "--json"]));
    assert_eq!(got["properties"]["x_2nd_phone"], "+31 6 2", "the second file's column maps to it too");
    assert_eq!(json_of(&ingest(&store, &["get", "contacts", "1", "--json"]))["properties"]["score"], "5");

    // Files of two objects fail the import before anything is created.
    let firms = write(
        dir.path(),
        "firms.csv",
        "Company name,Company Domain Name,Rating
Acme,acme.com,5
",
    );
    let out =
        ingest(&store, &["import", a.to_str().unwrap(), firms.to_str().unwrap(), "--create-properties"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("must hold the same object"), "{}", stderr(&out));
    assert!(custom_properties(&store, "companies").is_empty());
}

#[test]
fn conflicts_and_bad_enumerations_are_usage_errors_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(dir.path(), "c.csv", "Email,Shoe size\na@x.com,42\n");
    let f = f.to_str().unwrap();
    ok_stdout(&ingest(&store, &["import", f, "--map", "Shoe size=+contacts.shoe_size:number"]));
    let before = json_of(&ingest(&store, &["schema", "--json"]));
    for (target, message) in [
        ("Shoe size=+contacts.shoe_size:date", "contacts.shoe_size exists already as a number property"),
        ("Shoe size=+contacts.email:number", "contacts.email exists already as an email property"),
        ("Shoe size=+contacts.size:money", "unknown property type 'money'"),
        ("Shoe size=+contacts.Shoe:number", "must be lowercase letters"),
        ("Shoe size=+deals.shoe:number", "object 'deals' is not one of this import's objects"),
    ] {
        let out = ingest(&store, &["import", f, "--map", target]);
        assert_eq!(out.status.code(), Some(2), "{target}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{target}: {}", stderr(&out));
    }
    // Two columns of one file asking for the same property.
    let two = write(dir.path(), "two.csv", "Email,Hat size,hat-size,Width\na@x.com,42,43,9\n");
    let two = two.to_str().unwrap();
    for (args, message) in [
        (&["--create-properties"][..], "columns 'Hat size' and 'hat-size' of"),
        (&["--map", "Hat size=+w:number", "--map", "Width=+w", "--skip-unmapped"], "both create contacts.w"),
    ] {
        let out = ingest(&store, &[&["import", two][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    // An enumeration takes at most 50 options from a column.
    let mut text = String::from("Email,Code\n");
    for i in 0..60 {
        text.push_str(&format!("p{i}@x.com,C{i}\n"));
    }
    let codes = write(dir.path(), "codes.csv", &text);
    let out = ingest(&store, &["import", codes.to_str().unwrap(), "--map", "Code=+code:enumeration"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("column 'Code' has 60 distinct values"), "{}", stderr(&out));
    assert_eq!(json_of(&ingest(&store, &["schema", "--json"])), before, "no property was created");
    assert_eq!(history_len(&store), 1, "and no import was logged");
    let stats = json_of(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 1);
    // With at most 50 it works: the options are the distinct values (case-insensitively),
    // as first written, in the order they appear.
    let few = write(dir.path(), "few.csv", "Email,Code\nq@x.com,B\nr@x.com,a\ns@x.com,A\n");
    let s =
        json_of(&ingest(&store, &["import", few.to_str().unwrap(), "--map", "Code=+code:enum", "--json"]));
    assert_eq!(s["created_properties"][0]["type"], "enumeration");
    assert_eq!(
        property(&store, "contacts", "code")["options"],
        json!([{"value": "B", "label": "B"}, {"value": "a", "label": "a"}])
    );
    assert_eq!(s["errors"], 0, "{s}");
}

#[test]
fn a_failed_import_keeps_the_properties_it_created_and_a_rerun_reuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    // A value under a trailing column without a name fails the import while its rows are read.
    let bad = write(dir.path(), "bad.csv", "Email,Shoe size,\na@x.com,42,\nb@x.com,43,oops\n");
    let out = ingest(&store, &["import", bad.to_str().unwrap(), "--create-properties"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(custom_properties(&store, "contacts").len(), 1, "the property stays");
    assert_eq!(json_of(&ingest(&store, &["stats", "--json"]))["objects"]["contacts"], 0, "no record");
    let good = write(dir.path(), "good.csv", "Email,Shoe size\na@x.com,42\nb@x.com,43\n");
    let s = json_of(&ingest(&store, &["import", good.to_str().unwrap(), "--create-properties", "--json"]));
    assert_eq!(s["created_properties"], json!([]));
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    assert_eq!(json_of(&ingest(&store, &["get", "contacts", "2", "--json"]))["properties"]["shoe_size"], 43);
}
