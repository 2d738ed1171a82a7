//! Associations made and removed one at a time (SPEC 6, 8): `ingest associate`,
//! `dissociate` and `associations`, labels and limits in the schema, and the links
//! in `get`, `export`, `stats` and `check`.

use std::path::Path;

use serde_json::json;

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// A store with contacts 1-3 and companies 1-3.
fn store_with_records(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("crm.redb");
    let contacts =
        write(dir, "c.csv", "email,firstname\nana@example.com,Ana\nbo@example.com,Bo\nché@exämple.de,Ché\n");
    let companies = write(dir, "co.csv", "domain,name\nacme.com,Acme\nbeta.io,Beta\nærø.dk,Ærø\n");
    ok_stdout(&ingest(&store, &["import", contacts.to_str().unwrap(), "--json"]));
    ok_stdout(&ingest(&store, &["import", companies.to_str().unwrap(), "--object", "companies", "--json"]));
    store
}

fn assoc(store: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["associate"];
    all.extend_from_slice(args);
    all.push("--json");
    json(&ingest(store, &all))
}

fn links(store: &Path, object: &str, id: &str) -> serde_json::Value {
    json(&ingest(store, &["get", object, id, "--json"]))["associations"].clone()
}

#[test]
fn links_are_bidirectional_and_the_first_company_is_primary() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    let first = assoc(&store, &["contacts", "1", "companies", "2"]);
    assert_eq!((first["outcome"].as_str(), first["primary"].as_bool()), (Some("created"), Some(true)));
    let second = assoc(&store, &["companies", "3", "contacts", "1"]);
    assert_eq!(second["primary"], false, "a second company is not primary by itself");
    assoc(&store, &["contacts", "1", "contacts", "2"]);
    assert_eq!(
        links(&store, "contacts", "1"),
        json!({"companies": [2, 3], "contacts": [2], "primary_company": 2})
    );
    assert_eq!(links(&store, "companies", "3"), json!({"contacts": [1]}));
    assert_eq!(
        links(&store, "contacts", "2"),
        json!({"contacts": [1]}),
        "a same-object link is seen from both ends"
    );
    let again = assoc(&store, &["contacts", "1", "companies", "2"]);
    assert_eq!(again["outcome"], "existing");
    assert_eq!(json(&ingest(&store, &["stats", "--json"]))["associations"], 3);

    // --primary moves the primary; the old one stays associated.
    let moved = assoc(&store, &["contacts", "1", "companies", "3", "--primary"]);
    assert_eq!((moved["outcome"].as_str(), moved["primary"].as_bool()), (Some("existing"), Some(true)));
    assert_eq!(links(&store, "contacts", "1")["primary_company"], 3);
    assert_eq!(links(&store, "contacts", "1")["companies"], json!([2, 3]));

    let refused = ingest(&store, &["associate", "contacts", "1", "contacts", "2", "--primary"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let missing = ingest(&store, &["associate", "contacts", "1", "companies", "99"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no companies record 99"), "{}", stderr(&missing));
    let itself = ingest(&store, &["associate", "contacts", "1", "contacts", "1"]);
    assert_eq!(itself.status.code(), Some(1));
    assert!(stderr(&itself).contains("cannot be associated with itself"));
    let check = ingest(&store, &["check"]);
    assert!(ok_stdout(&check).contains("3 associations"), "{}", ok_stdout(&check));
}

#[test]
fn labels_come_from_the_schema_and_are_only_ever_added() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    let unknown = ingest(&store, &["associate", "contacts", "1", "companies", "1", "--label", "Advisor"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("ASSOCIATION_LABEL_NOT_FOUND"), "{}", stderr(&unknown));
    assert_eq!(links(&store, "contacts", "1"), json!({}), "a refused change changes nothing");

    let added = json(&ingest(&store, &["schema", "add-label", "contacts", "companies", "Advisor", "--json"]));
    assert_eq!(
        added,
        json!({"objects": ["companies", "contacts"], "id": 1, "label": "Advisor", "added": true})
    );
    let same = json(&ingest(&store, &["schema", "add-label", "companies", "contacts", "advisor", "--json"]));
    assert_eq!(
        same["added"], false,
        "the pair is one pair in either order; labels compare case-insensitively"
    );
    ok_stdout(&ingest(&store, &["schema", "add-label", "contacts", "companies", "Billing contact"]));

    let made = assoc(&store, &["contacts", "1", "companies", "1", "--label", "ADVISOR"]);
    assert_eq!(made["labels_added"], json!(["Advisor"]));
    let more = assoc(
        &store,
        &["companies", "1", "contacts", "1", "--label", "Billing contact", "--label", "Advisor"],
    );
    assert_eq!(more["labels_added"], json!(["Billing contact"]));
    let none = assoc(&store, &["contacts", "1", "companies", "1"]);
    assert_eq!(none["labels_added"], json!([]), "associating again without labels removes none");
    let shown = json(&ingest(&store, &["associations", "companies", "1", "--json"]));
    assert_eq!(shown["associations"][0]["labels"], json!(["Advisor", "Billing contact"]));
    assert_eq!(shown["associations"][0]["primary"], true);
    assert_eq!(shown["associations"][0]["created"]["source"], "user");
}

#[test]
fn removing_a_primary_company_needs_a_successor_when_several_remain() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    for c in ["1", "2", "3"] {
        assoc(&store, &["contacts", "2", "companies", c]);
    }
    let refused = ingest(&store, &["dissociate", "contacts", "2", "companies", "1"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("--new-primary"), "{}", stderr(&refused));
    let not_one = ingest(&store, &["dissociate", "contacts", "2", "companies", "1", "--new-primary", "9"]);
    assert_eq!(not_one.status.code(), Some(1));
    let done = json(&ingest(
        &store,
        &["dissociate", "companies", "1", "contacts", "2", "--new-primary", "3", "--json"],
    ));
    assert_eq!((done["outcome"].as_str(), done["new_primary"].as_u64()), (Some("removed"), Some(3)));
    // Two left, 3 primary: removing 3 leaves one company, which is primary.
    let done = json(&ingest(&store, &["dissociate", "contacts", "2", "companies", "3", "--json"]));
    assert_eq!(done["new_primary"], 2);
    assert_eq!(links(&store, "contacts", "2"), json!({"companies": [2], "primary_company": 2}));
    let gone = json(&ingest(&store, &["dissociate", "contacts", "2", "companies", "3", "--json"]));
    assert_eq!(gone["outcome"], "not-associated");

    let history =
        json(&ingest(&store, &["associations", "contacts", "2", "--history", "--json"]))["history"].clone();
    let changes: Vec<(String, u64)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["change"].as_str().unwrap().to_owned(), c["id"].as_u64().unwrap()))
        .collect();
    // Newest first: each removal and the primary it moved, and the three creations
    // (a removed primary is not unset first: it is gone).
    let count = |kind: &str| changes.iter().filter(|(k, _)| k == kind).count();
    assert_eq!(
        (count("created"), count("removed"), count("primary-set"), count("primary-unset")),
        (3, 2, 2, 0),
        "{changes:?}"
    );
    assert_eq!(changes[0], ("primary-set".to_owned(), 2), "{changes:?}");
    assert_eq!(changes.last().unwrap(), &("created".to_owned(), 1), "{changes:?}");
    let text = ok_stdout(&ingest(&store, &["associations", "contacts", "2", "--history"]));
    assert!(text.contains("history, newest first:") && text.contains("removed       companies 3"), "{text}");
    ok_stdout(&ingest(&store, &["check"]));
}

#[test]
fn a_pair_limit_refuses_links_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    let set = ok_stdout(&ingest(&store, &["schema", "set-limit", "contacts", "companies", "1"]));
    assert!(set.contains("a contact has at most 1 associated company"), "{set}");
    assoc(&store, &["contacts", "1", "companies", "1"]);
    let over = ingest(&store, &["associate", "companies", "2", "contacts", "1"]);
    assert_eq!(over.status.code(), Some(1));
    assert!(stderr(&over).contains("ASSOCIATION_LIMIT_EXCEEDED"), "{}", stderr(&over));
    assoc(&store, &["contacts", "2", "companies", "1"]); // the limit is per contact, not per company
    ok_stdout(&ingest(&store, &["schema", "set-limit", "contacts", "companies", "none"]));
    assoc(&store, &["companies", "2", "contacts", "1"]);
    let bad = ingest(&store, &["schema", "set-limit", "contacts", "companies", "0"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn export_writes_association_columns_and_jsonl_associations() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    assoc(&store, &["contacts", "1", "companies", "1"]);
    assoc(&store, &["contacts", "1", "companies", "3"]);
    assoc(&store, &["contacts", "3", "contacts", "1"]);
    let csv = ok_stdout(&ingest(&store, &["export", "contacts", "--format", "csv"]));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &header[header.len() - 3..],
        ["Associated Contacts", "Associated Companies", "Primary Company"]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let tail = |r: &Vec<&str>| r[r.len() - 3..].iter().map(|c| (*c).to_owned()).collect::<Vec<String>>();
    assert_eq!(tail(&rows[0]), ["3", "1;3", "1"]);
    assert_eq!(tail(&rows[1]), ["", "", ""]);
    assert_eq!(tail(&rows[2]), ["1", "", ""]);
    let jsonl = ok_stdout(&ingest(&store, &["export", "companies"]));
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["associations"], json!({"contacts": [1]}));
    // A store without links exports as before: no association columns.
    let plain = dir.path().join("plain.redb");
    let c = write(dir.path(), "p.csv", "email\nx@example.com\n");
    ok_stdout(&ingest(&plain, &["import", c.to_str().unwrap()]));
    assert!(!ok_stdout(&ingest(&plain, &["export", "contacts", "--format", "csv"])).contains("Associated"));
}

#[test]
fn a_schema_file_declares_labels_and_limits_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    let file = write(
        dir.path(),
        "schema.toml",
        "[[associations]]\nobjects = [\"contacts\", \"companies\"]\nlabels = [\"Advisor\", \"Decision maker\"]\nlimits = { contacts = 2 }\n\n[[associations]]\nobjects = [\"contacts\", \"contacts\"]\nlabels = [\"Referred by\"]\n",
    );
    let first = json(&ingest(&store, &["schema", "apply", file.to_str().unwrap(), "--json"]));
    assert_eq!(first["changes"].as_array().unwrap().len(), 4, "{first}");
    let again = json(&ingest(&store, &["schema", "apply", file.to_str().unwrap(), "--json"]));
    assert_eq!(again["changes"], json!([]));
    let made = assoc(&store, &["contacts", "1", "contacts", "2", "--label", "referred by"]);
    assert_eq!(made["labels_added"], json!(["Referred by"]));
    let bad = write(
        dir.path(),
        "bad.toml",
        "[[associations]]\nobjects = [\"contacts\", \"companies\"]\nlimits = { deals = 1 }\n",
    );
    let refused = ingest(&store, &["schema", "apply", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("deals, which is not in the pair"), "{}", stderr(&refused));
    let unknown = write(
        dir.path(),
        "u.toml",
        "[[associations]]\nobjects = [\"contacts\", \"companies\"]\nlabel = [\"x\"]\n",
    );
    assert_eq!(ingest(&store, &["schema", "apply", unknown.to_str().unwrap()]).status.code(), Some(1));
}

/// The association counts and per-object counts of an import's JSON summary.
fn counts(summary: &serde_json::Value) -> (u64, u64) {
    let a = &summary["associations"];
    (a["created"].as_u64().unwrap(), a["existing"].as_u64().unwrap())
}

#[test]
fn a_multi_object_file_links_each_rows_records_and_skips_failed_parts() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "m.csv",
        "Email,First Name,Company Name,Company Domain Name,Deal Name,Amount\n\
         josé.müller@exämple.de,José,Ærø ApS,ærø.dk,Big deal,100\n\
         ana@acme.com,Ana,Ærø ApS,ærø.dk,,\n\
         not-an-email,Bad,Acme,acme.com,Lost deal,5\n\
         ,,Acme,acme.com,,\n\
         josé.müller@exämple.de,,Acme,acme.com,,\n",
    );
    let args = [
        "import",
        file.to_str().unwrap(),
        "--object",
        "contacts",
        "--object",
        "companies",
        "--object",
        "deals",
        "--json",
    ];
    let first = json(&ingest(&store, &args));
    // Row 3's contact fails (a row error of contacts): its company and deal go in,
    // linked with each other but not with the failed contact.
    assert_eq!(first["objects"]["contacts"]["failed"], 1, "{first}");
    assert_eq!(first["objects"]["companies"]["created"], 2);
    assert_eq!(first["objects"]["companies"]["unchanged"], 3);
    assert_eq!(first["objects"]["deals"]["created"], 2);
    // Rows: 1 (3 links), 2 (1), 3 (company-deal 1), 4 (none), 5 (1).
    assert_eq!(counts(&first), (6, 0));
    assert_eq!(
        links(&store, "contacts", "1"),
        json!({"companies": [1, 2], "deals": [1], "primary_company": 1})
    );
    assert_eq!(links(&store, "companies", "2"), json!({"contacts": [1], "deals": [2]}));
    assert_eq!(links(&store, "deals", "2"), json!({"companies": [2], "primary_company": 2}));
    let errors = std::fs::read_to_string(first["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("INVALID_EMAIL"), "{errors}");
    // The same file again: the contacts and companies are found, every link exists
    // (deals have no identifier: they are created again, and linked anew).
    let again = json(&ingest(&store, &args));
    assert_eq!(again["objects"]["contacts"]["created"], 0);
    assert_eq!(counts(&again), (3, 3), "{again}");
    ok_stdout(&ingest(&store, &["check"]));
}

#[test]
fn association_and_label_columns_find_records_as_a_row_by_row_import_would() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    ok_stdout(&ingest(&store, &["schema", "add-label", "contacts", "companies", "Decision maker"]));
    let file = write(
        dir.path(),
        "a.csv",
        "Email,Company,Referred by,Role\n\
         zoë@example.com,acme.com,ana@example.com,Decision maker\n\
         li@example.com,beta.io;ærø.dk,new@example.com,decision maker;Boss\n\
         new@example.com,nope.com,li@example.com,\n",
    );
    let summary = json(&ingest(
        &store,
        &[
            "import",
            file.to_str().unwrap(),
            "--map",
            "Company=assoc:companies.domain",
            "--map",
            "Referred by=assoc:contacts.email",
            "--map",
            "Role=label:contacts-companies",
            "--json",
        ],
    ));
    assert_eq!(summary["rows_failed"], 0, "a missing link never fails the row");
    assert_eq!(counts(&summary), (5, 0));
    let errors = std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap();
    let codes: Vec<&str> = errors.lines().skip(1).map(|l| l.split(',').nth(3).unwrap()).collect();
    // Line 3: new@ is created by the next row, after it (column 3), and Boss is no
    // label (column 4); line 4: nope.com is no company.
    assert_eq!(
        codes,
        ["ASSOCIATION_RECORD_NOT_FOUND", "ASSOCIATION_LABEL_NOT_FOUND", "ASSOCIATION_RECORD_NOT_FOUND"],
        "{errors}"
    );
    assert!(errors.contains("no contacts record has email 'new@example.com'"), "{errors}");
    let zoe = json(&ingest(&store, &["get", "contacts", "--by", "email=zoë@example.com", "--json"]));
    assert_eq!(zoe["associations"], json!({"companies": [1], "contacts": [1], "primary_company": 1}));
    let li = json(&ingest(&store, &["associations", "contacts", "5", "--json"]));
    let labels: Vec<(u64, serde_json::Value)> = li["associations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_u64().unwrap(), a["labels"].clone()))
        .collect();
    assert_eq!(labels, [(2, json!(["Decision maker"])), (3, json!(["Decision maker"])), (6, json!([]))]);
    // Record IDs work too, and a bad mapping is refused before anything is read.
    let by_id = write(dir.path(), "i.csv", "Email,Company ID\nana@example.com,3\n");
    let s = json(&ingest(
        &store,
        &["import", by_id.to_str().unwrap(), "--map", "Company ID=assoc:companies.hs_object_id", "--json"],
    ));
    assert_eq!(counts(&s), (1, 0));
    let bad = ingest(
        &store,
        &["import", by_id.to_str().unwrap(), "--map", "Company ID=assoc:companies.numberofemployees"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains(
            "companies.numberofemployees is of type number: companies records are found by a unique property (hs_object_id, domain) or by the value of a single-valued text property"
        ),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn two_files_with_a_common_column_link_in_either_order() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = write(
        dir.path(),
        "contacts.csv",
        "Email,First Name,Company Domain Name\nana@x.com,Ana,acme.com\nbo@x.com,Bo,ÆRØ.dk\ncy@x.com,Cy,nope.com\ndee@x.com,Dee,\n",
    );
    let companies =
        write(dir.path(), "companies.csv", "Company Domain Name,Company Name\nacme.com,Acme\nærø.dk,Ærø\n");
    let (c, co) = (contacts.to_str().unwrap(), companies.to_str().unwrap());
    let mut exports = Vec::new();
    for (name, files, objects) in
        [("a", [c, co], ["contacts", "companies"]), ("b", [co, c], ["companies", "contacts"])]
    {
        let store = dir.path().join(format!("{name}.redb"));
        let mut args = vec!["import", files[0], files[1], "--object", objects[0], "--object", objects[1]];
        args.extend(["--common-column", "Company Domain Name", "--key-of", "companies", "--json"]);
        let s = json(&ingest(&store, &args));
        assert_eq!(counts(&s), (2, 0), "{s}");
        assert_eq!(s["objects"]["contacts"]["created"], 4);
        let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
        assert!(
            errors.contains("contacts.csv,4,Company Domain Name,nope.com,ASSOCIATION_RECORD_NOT_FOUND"),
            "{errors}"
        );
        exports.push(ok_stdout(&ingest(&store, &["export", "contacts"])));
        exports.push(ok_stdout(&ingest(&store, &["export", "companies"])));
        // Again into the same store: every link exists.
        let again = json(&ingest(&store, &args));
        assert_eq!(counts(&again), (0, 2));
    }
    assert_eq!(exports[0], exports[2], "the order of the files does not matter");
    assert_eq!(exports[1], exports[3]);
    assert!(
        exports[0].contains(r#"{"associations":{"companies":[2],"primary_company":2},"id":2"#),
        "{}",
        exports[0]
    );

    // A key created by an earlier import is found too; the column must name a key.
    let store = dir.path().join("a.redb");
    let more = write(dir.path(), "more.csv", "Email,Company Domain Name\neve@x.com,acme.com\n");
    let s = json(&ingest(
        &store,
        &[
            "import",
            more.to_str().unwrap(),
            co,
            "--object",
            "contacts",
            "--object",
            "companies",
            "--common-column",
            "company domain name",
            "--key-of",
            "companies",
            "--json",
        ],
    ));
    assert_eq!(counts(&s), (1, 0));
    let bad = ingest(
        &store,
        &[
            "import",
            c,
            co,
            "--object",
            "contacts",
            "--object",
            "companies",
            "--common-column",
            "Company Name",
            "--key-of",
            "companies",
        ],
    );
    assert_ne!(bad.status.code(), Some(0));
    assert!(stderr(&bad).contains("must name a unique key of companies"), "{}", stderr(&bad));
    let one = ingest(
        &store,
        &[
            "import",
            c,
            "--object",
            "contacts",
            "--common-column",
            "Company Domain Name",
            "--key-of",
            "companies",
        ],
    );
    assert!(stderr(&one).contains("one --object per file"), "{}", stderr(&one));
}

#[test]
fn line_items_need_a_deal_and_link_their_product() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let products = write(dir.path(), "p.csv", "Name,Unit price,SKU\nWidget,9.99,W-1\n");
    json(&ingest(&store, &["import", products.to_str().unwrap(), "--object", "products", "--json"]));
    let file = write(
        dir.path(),
        "li.csv",
        "Deal Name,Line item name,Quantity,Product ID\nBig deal,Widget × 3,3,1\n,Orphan,1,1\nSmall deal,Gadget,2,99\n",
    );
    let s = json(&ingest(
        &store,
        &[
            "import",
            file.to_str().unwrap(),
            "--object",
            "deals",
            "--object",
            "line_items",
            "--map",
            "Line item name=line_items.name",
            "--map",
            "Product ID=line_items.hs_product_id",
            "--map",
            "Quantity=line_items.quantity",
            "--json",
        ],
    ));
    assert_eq!(s["objects"]["line_items"]["created"], 2, "{s}");
    assert_eq!(s["objects"]["line_items"]["failed"], 1);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(
        errors
            .contains("MISSING_REQUIRED_ASSOCIATION,a new line_items record must be associated with a deal"),
        "{errors}"
    );
    assert!(errors.contains("ASSOCIATION_RECORD_NOT_FOUND"), "product 99 does not exist: {errors}");
    assert_eq!(links(&store, "line_items", "1"), json!({"deals": [1], "products": [1]}));
    assert_eq!(links(&store, "line_items", "2"), json!({"deals": [2]}));
    let rejected = std::fs::read_to_string(s["rejected_file"].as_str().unwrap()).unwrap();
    assert!(rejected.contains(",Orphan,1,1"), "{rejected}");
}

#[test]
fn activities_need_a_record_and_join_its_primary_company() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    assoc(&store, &["contacts", "1", "companies", "2"]);
    assoc(&store, &["contacts", "1", "companies", "3"]);
    let file = write(
        dir.path(),
        "n.csv",
        "Email,Note body,Activity date\nana@example.com,Called Ana,2025-01-02T10:00:00Z\n,Nobody's note,2025-01-03T10:00:00Z\n",
    );
    let s = json(&ingest(
        &store,
        &["import", file.to_str().unwrap(), "--object", "contacts", "--object", "notes", "--json"],
    ));
    assert_eq!(
        (s["objects"]["notes"]["created"].as_u64(), s["objects"]["notes"]["failed"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    // The note joins Ana and her primary company only.
    assert_eq!(links(&store, "notes", "1"), json!({"companies": [2], "contacts": [1]}));
    assert_eq!(counts(&s), (2, 0));
    // One object: a note of its own needs no association.
    let alone = write(dir.path(), "alone.csv", "Note body,Activity date\nA thought,2025-01-04T10:00:00Z\n");
    let s = json(&ingest(&store, &["import", alone.to_str().unwrap(), "--object", "notes", "--json"]));
    assert_eq!(s["objects"]["notes"]["created"], 1);
}

#[test]
fn contacts_join_the_company_of_their_email_domain() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let companies = write(dir.path(), "co.csv", "domain,name\nacme.com,Acme Inc\n");
    json(&ingest(&store, &["import", companies.to_str().unwrap(), "--object", "companies", "--json"]));
    let exclude = write(dir.path(), "mine.txt", "# our own mail host\nmail.example.org\n");
    let file = write(
        dir.path(),
        "c.csv",
        "Email,First Name\nana@acme.com,Ana\nbo@gmail.com,Bo\ncy@ærø.dk,Cy\ndee@ÆRØ.dk,Dee\neve@hotmail.co.uk,Eve\nfi@mail.example.org,Fi\n",
    );
    let args = [
        "import",
        file.to_str().unwrap(),
        "--associate-by-domain",
        "--exclude-domains",
        exclude.to_str().unwrap(),
        "--json",
    ];
    let s = json(&ingest(&store, &args));
    assert_eq!(s["objects"]["companies"]["created"], 1, "ærø.dk is created once: {s}");
    assert_eq!(s["created_without_identifier"], 0);
    assert_eq!(counts(&s), (3, 0));
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [1], "primary_company": 1}));
    for free in ["2", "5", "6"] {
        assert_eq!(
            links(&store, "contacts", free),
            json!({}),
            "free-mail and excluded domains make no company"
        );
    }
    let made = json(&ingest(&store, &["get", "companies", "2", "--json"]));
    assert_eq!(made["properties"], json!({"domain": "ærø.dk", "name": "ærø.dk"}));
    assert_eq!(made["associations"], json!({"contacts": [3, 4]}));
    let shown = json(&ingest(&store, &["associations", "contacts", "3", "--json"]));
    assert_eq!(shown["associations"][0]["created"]["source"], "auto-domain");
    // Again: nothing new.
    let again = json(&ingest(&store, &args));
    assert_eq!((again["objects"]["companies"]["created"].as_u64(), counts(&again)), (Some(0), (0, 3)));

    // A multi-object row keeps its own company; a later row's company columns find
    // the company an earlier row's domain made.
    let multi = write(
        dir.path(),
        "m.csv",
        "Email,Company Domain Name,Company Name\nzoë@beta.io,,\nli@beta.io,acme.com,\nmo@x.io,beta.io,Beta GmbH\n",
    );
    let s = json(&ingest(
        &store,
        &[
            "import",
            multi.to_str().unwrap(),
            "--object",
            "contacts",
            "--object",
            "companies",
            "--associate-by-domain",
            "--json",
        ],
    ));
    assert_eq!(s["objects"]["companies"]["created"], 1, "{s}");
    assert_eq!(s["objects"]["companies"]["updated"], 1, "beta.io, made by row 1, gets its name from row 3");
    assert_eq!(links(&store, "contacts", "8"), json!({"companies": [1], "primary_company": 1}));
    let beta = json(&ingest(&store, &["get", "companies", "--by", "domain=beta.io", "--json"]));
    assert_eq!(beta["properties"]["name"], "Beta GmbH");
    assert_eq!(beta["associations"]["contacts"], json!([7, 9]));
    ok_stdout(&ingest(&store, &["check"]));
}

#[test]
fn a_domain_several_companies_share_links_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    ok_stdout(&ingest(
        &store,
        &["schema", "add-property", "companies", "erp_id", "--type", "string", "--unique"],
    ));
    let companies =
        write(dir.path(), "co.csv", "erp_id,domain,name\nE1,acme.com,Acme Nord\nE2,acme.com,Acme Süd\n");
    json(&ingest(
        &store,
        &[
            "import",
            companies.to_str().unwrap(),
            "--object",
            "companies",
            "--id",
            "companies=erp_id",
            "--json",
        ],
    ));
    let file = write(dir.path(), "c.csv", "Email\nana@acme.com\n");
    let s = json(&ingest(&store, &["import", file.to_str().unwrap(), "--associate-by-domain", "--json"]));
    assert_eq!(counts(&s), (0, 0));
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("MULTIPLE_COMPANIES_WITH_THIS_DOMAIN"), "{errors}");
    assert_eq!(s["objects"]["contacts"]["created"], 1, "the contact is imported all the same");
}

#[test]
fn an_import_past_a_pair_limit_reports_each_refused_link() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_records(dir.path());
    ok_stdout(&ingest(&store, &["schema", "set-limit", "contacts", "companies", "1"]));
    let file = write(
        dir.path(),
        "c.csv",
        "Email,Companies\nana@example.com,acme.com;beta.io\nbo@example.com,beta.io\n",
    );
    let s = json(&ingest(
        &store,
        &["import", file.to_str().unwrap(), "--map", "Companies=assoc:companies.domain", "--json"],
    ));
    assert_eq!(counts(&s), (2, 0), "{s}");
    assert_eq!(s["rows_failed"], 0);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(
        errors.contains("2,,companies 2,ASSOCIATION_LIMIT_EXCEEDED,\"contacts 1 already has 1 associated companies records"),
        "{errors}"
    );
    assert_eq!(errors.lines().count(), 2, "one refused link: {errors}");
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [1], "primary_company": 1}));
}

#[test]
fn an_excel_made_dutch_multi_object_file_links_its_rows() {
    // As Excel saves "CSV (puntkomma)" on a Dutch system: BOM, semicolons, CRLF,
    // quoted fields, Dutch headers and a decimal comma.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let text = "\u{feff}E-mailadres;Voornaam;Bedrijfsnaam;Bedrijfsdomeinnaam;Dealnaam;Bedrag\r\n\
                josé.müller@exämple.de;José;\"Müller & Zn; B.V.\";exämple.de;Verlenging 2025;\"1.250,50\"\r\n\
                ærø@ærø.dk;Ærø;Ærø ApS;ærø.dk;;\r\n\
                Søren@ÆRØ.dk;Søren;Ærø ApS;ærø.dk;Nieuw;99\r\n";
    let path = dir.path().join("export.csv");
    std::fs::write(&path, text).unwrap();
    let s = json(&ingest(
        &store,
        &[
            "import",
            path.to_str().unwrap(),
            "--object",
            "contacts",
            "--object",
            "companies",
            "--object",
            "deals",
            "--header-lang",
            "nl",
            "--json",
        ],
    ));
    assert_eq!(s["rows_failed"], 0, "{s}");
    assert_eq!(s["objects"]["companies"]["created"], 2);
    assert_eq!(s["objects"]["deals"]["created"], 2);
    assert_eq!(counts(&s), (7, 0));
    let company = json(&ingest(&store, &["get", "companies", "--by", "domain=ærø.dk", "--json"]));
    assert_eq!(company["properties"]["name"], "Ærø ApS");
    assert_eq!(company["associations"]["contacts"], json!([2, 3]));
    let deal = json(&ingest(&store, &["get", "deals", "1", "--json"]));
    assert_eq!(deal["properties"]["amount"], 1250.5);
    assert_eq!(deal["associations"], json!({"companies": [1], "contacts": [1], "primary_company": 1}));
    let first = json(&ingest(&store, &["get", "companies", "1", "--json"]));
    assert_eq!(first["properties"]["name"], "Müller & Zn; B.V.");
}

#[test]
fn an_import_replaces_a_primary_company_only_with_replace_primary() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let objects = ["--object", "contacts", "--object", "companies", "--json"];
    let import = |name: &str, text: &str, extra: &[&str]| {
        let file = write(dir.path(), name, text);
        let mut args = vec!["import", file.to_str().unwrap()];
        args.extend_from_slice(&objects);
        args.extend_from_slice(extra);
        json(&ingest(&store, &args))
    };
    import("a.csv", "Email,Company Domain Name\nzoë@ærø.dk,ærø.dk\n", &[]);
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [1], "primary_company": 1}));
    // A second company: associated, not primary.
    import("b.csv", "Email,Company Domain Name\nzoë@ærø.dk,exämple.de\n", &[]);
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [1, 2], "primary_company": 1}));
    // --replace-primary: the row's (first) company becomes primary, also an existing link.
    let out = import(
        "c.csv",
        "Email,Company Domain Name,Associated Company Domain\nzoë@ærø.dk,exämple.de,acme.com\n",
        &["--replace-primary", "--skip-unmapped"],
    );
    assert_eq!(out["objects"]["contacts"]["unchanged"], 1, "{out}");
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [1, 2], "primary_company": 2}));
    let history = json(&ingest(&store, &["associations", "contacts", "1", "--history", "--json"]));
    let kinds: Vec<&str> =
        history["history"].as_array().unwrap().iter().filter_map(|c| c["change"].as_str()).collect();
    assert!(kinds.contains(&"primary-set") && kinds.contains(&"primary-unset"), "{history}");
    let check = ingest(&store, &["check"]);
    assert!(ok_stdout(&check).contains("ok"), "{}", ok_stdout(&check));
}
