//! Unique identifiers through the command line (SPEC 2): secondary emails, a custom
//! unique property as the identifier (`--id OBJ=PROP`), every unique property kept
//! unique whatever the identifier, and companies' `domain` freed by a custom one.

use std::path::Path;

use serde_json::Value;

use crate::support::{ingest, ok_stdout, write};

fn import(store: &Path, file: &Path, args: &[&str]) -> Value {
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok_stdout(&ingest(store, &all))).unwrap()
}

/// `id -> properties` of every record of `object`.
fn export(store: &Path, object: &str) -> Vec<(u64, Value)> {
    ok_stdout(&ingest(store, &["export", object]))
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_u64().unwrap(), v["properties"].clone())
        })
        .collect()
}

fn counts(summary: &Value, object: &str) -> (u64, u64, u64, u64) {
    let c = &summary["objects"][object];
    let n = |k: &str| c[k].as_u64().unwrap();
    (n("created"), n("updated"), n("unchanged"), n("failed"))
}

fn errors(summary: &Value) -> String {
    std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap()
}

fn check_ok(store: &Path) {
    let out = ingest(store, &["check"]);
    assert!(out.status.success(), "check: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_secondary_email_matches_its_contact_and_leaves_the_primary_email() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let first = write(
        dir.path(),
        "a.csv",
        "Email,First Name,Additional email addresses\n\
         josé.müller@exämple.de,José,JM@Work.example; jose@home.example\n\
         bob@x.com,Bob,\n",
    );
    assert_eq!(counts(&import(&store, &first, &[]), "contacts"), (2, 0, 0, 0));
    // Matched by a secondary email (any case): the primary stays.
    let second = write(dir.path(), "b.csv", "Email,Last Name\njm@work.EXAMPLE,Müller\n");
    assert_eq!(counts(&import(&store, &second, &[]), "contacts"), (0, 1, 0, 0));
    let records = export(&store, "contacts");
    assert_eq!(records[0].1["email"], "josé.müller@exämple.de");
    assert_eq!(records[0].1["lastname"], "Müller");
    assert_eq!(records[0].1["hs_additional_emails"], "jm@work.example;jose@home.example");
    // The same again changes nothing.
    assert_eq!(counts(&import(&store, &second, &[]), "contacts"), (0, 0, 1, 0));
    // `get --by email` finds a contact by a secondary email too.
    let got: Value = serde_json::from_str(&ok_stdout(&ingest(
        &store,
        &["get", "contacts", "--by", "email=jose@home.example", "--json"],
    )))
    .unwrap();
    assert_eq!(got["id"], 1);
    check_ok(&store);
}

#[test]
fn a_record_id_row_makes_the_file_email_primary_and_keeps_the_old_one_as_secondary() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let first = write(
        dir.path(),
        "a.csv",
        "Email,Additional email addresses\nada@x.com,ada2@x.com;ada3@x.com\nbob@x.com,\n",
    );
    import(&store, &first, &[]);
    // Row 1: a secondary email of the same record becomes primary. Row 2: another
    // contact's secondary email is refused (unique across primary and secondary).
    let second = write(dir.path(), "b.csv", "Record ID,Email\n1,ada2@x.com\n2,ada3@x.com\n");
    let summary = import(&store, &second, &[]);
    assert_eq!(counts(&summary, "contacts"), (0, 1, 0, 1));
    let report = errors(&summary);
    assert!(
        report.contains("3,Email,ada3@x.com,DUPLICATE_UNIQUE_PROPERTY_VALUE,email 'ada3@x.com' already belongs to contacts record 1"),
        "{report}"
    );
    let records = export(&store, "contacts");
    assert_eq!(records[0].1["email"], "ada2@x.com");
    assert_eq!(records[0].1["hs_additional_emails"], "ada3@x.com;ada@x.com");
    assert_eq!(records[1].1["email"], "bob@x.com");
    // The old primary still finds the contact.
    let third = write(dir.path(), "c.csv", "Email,City\nada@x.com,Oslo\n");
    assert_eq!(counts(&import(&store, &third, &[]), "contacts"), (0, 1, 0, 0));
    assert_eq!(export(&store, "contacts")[0].1["city"], "Oslo");
    // A new contact cannot take an email held as a secondary one.
    let fourth =
        write(dir.path(), "d.csv", "Email,First Name,Additional email addresses\nnew@x.com,N,ada@x.com\n");
    let summary = import(&store, &fourth, &[]);
    assert_eq!(counts(&summary, "contacts"), (0, 0, 0, 1));
    assert!(
        errors(&summary).contains("Additional email addresses,ada@x.com,DUPLICATE_UNIQUE_PROPERTY_VALUE")
    );
    check_ok(&store);
}

#[test]
fn a_new_list_of_secondary_emails_replaces_the_old_one_in_the_index_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let first = write(dir.path(), "a.csv", "Email,Additional email addresses\nada@x.com,old@x.com\n");
    import(&store, &first, &[]);
    let second = write(dir.path(), "b.csv", "Email,Additional email addresses\nada@x.com,new@x.com\n");
    assert_eq!(counts(&import(&store, &second, &[]), "contacts"), (0, 1, 0, 0));
    assert_eq!(export(&store, "contacts")[0].1["hs_additional_emails"], "new@x.com");
    // The old secondary email is free again: it creates a contact of its own.
    let third = write(dir.path(), "c.csv", "Email\nold@x.com\nnew@x.com\n");
    assert_eq!(counts(&import(&store, &third, &[]), "contacts"), (1, 0, 1, 0));
    check_ok(&store);
}

#[test]
fn a_custom_unique_property_is_the_identifier_and_email_stays_unique() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    ok_stdout(&ingest(
        &store,
        &["schema", "add-property", "contacts", "member_no", "--type", "string", "--unique"],
    ));
    let first = write(
        dir.path(),
        "a.csv",
        "Member No,Email,First Name\nM1,ada@x.com,Ada\nM2,bob@x.com,Bob\nM1,ada@x.com,Ada L.\n",
    );
    let args = ["--id", "contacts=member_no", "--map", "Member No=member_no"];
    assert_eq!(counts(&import(&store, &first, &args), "contacts"), (2, 1, 0, 0));
    // Matched by member number; an email another contact holds is refused.
    let second = write(dir.path(), "b.csv", "Member No,Email\nM2,ada@x.com\nM3,new@x.com\nM1,ada@x.com\n");
    let summary = import(&store, &second, &args);
    assert_eq!(counts(&summary, "contacts"), (1, 0, 1, 1));
    let report = errors(&summary);
    assert!(report.contains("2,Email,ada@x.com,DUPLICATE_UNIQUE_PROPERTY_VALUE"), "{report}");
    // Matching by email still works, and the member numbers are unique too.
    let third = write(dir.path(), "c.csv", "Email,Member No\nnew@x.com,M1\nbob@x.com,M2\n");
    let summary = import(&store, &third, &["--map", "Member No=member_no"]);
    assert_eq!(counts(&summary, "contacts"), (0, 0, 1, 1));
    assert!(
        errors(&summary).contains(
            "M1,DUPLICATE_UNIQUE_PROPERTY_VALUE,member_no 'M1' already belongs to contacts record 1"
        )
    );
    let got: Value = serde_json::from_str(&ok_stdout(&ingest(
        &store,
        &["get", "contacts", "--by", "member_no=M3", "--json"],
    )))
    .unwrap();
    assert_eq!(got["properties"]["email"], "new@x.com");
    check_ok(&store);
}

#[test]
fn a_custom_identifier_frees_the_company_domain_from_uniqueness() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    ok_stdout(&ingest(
        &store,
        &["schema", "add-property", "companies", "erp_id", "--type", "string", "--unique"],
    ));
    let file = write(
        dir.path(),
        "a.csv",
        "ERP ID,Company Domain Name,Name\nE1,acme.com,Acme EU\nE2,https://www.ACME.com/us,Acme US\nE1,acme.com,Acme Europe\n",
    );
    let args = ["--id", "companies=erp_id", "--map", "ERP ID=erp_id"];
    assert_eq!(counts(&import(&store, &file, &args), "companies"), (2, 1, 0, 0));
    let records = export(&store, "companies");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].1["domain"], "acme.com");
    assert_eq!(records[1].1["domain"], "acme.com");
    check_ok(&store);
    // A later import by domain matches the first company holding it.
    let by_domain = write(dir.path(), "b.csv", "Company Domain Name,Phone Number\nacme.com,123\n");
    assert_eq!(counts(&import(&store, &by_domain, &[]), "companies"), (0, 1, 0, 0));
    assert_eq!(export(&store, "companies")[0].1["phone"], "123");
    check_ok(&store);
    // The custom identifier itself stays unique.
    let moved = write(dir.path(), "c.csv", "Record ID,ERP ID\n1,E2\n");
    let summary = import(&store, &moved, &["--map", "ERP ID=erp_id"]);
    assert_eq!(counts(&summary, "companies"), (0, 0, 0, 1));
    assert!(errors(&summary).contains("DUPLICATE_UNIQUE_PROPERTY_VALUE"));
    check_ok(&store);
}

#[test]
fn an_id_naming_a_property_that_is_not_unique_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = write(dir.path(), "a.csv", "Email\nada@x.com\n");
    let out = ingest(&store, &["import", file.to_str().unwrap(), "--id", "contacts=firstname"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "--id contacts=firstname: firstname is not a unique property of contacts (unique: email"
        ),
        "{stderr}"
    );
}

/// A row with the values of the row that created its record in this import is
/// unchanged (planned so without reading the record); once another row changed
/// the record, the same values are an update again, and outcomes and values are
/// those of applying the rows one by one, with 1 thread or several.
#[test]
fn a_row_repeating_the_row_that_created_its_record_is_unchanged_until_another_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "repeat.csv",
        "Email,First Name,City\n\
         josé.müller@exämple.de,José,Köln\n\
         JOSÉ.MÜLLER@EXÄMPLE.DE,José,Köln\n\
         josé.müller@exämple.de,Josef,Köln\n\
         josé.müller@exämple.de,José,Köln\n\
         josé.müller@exämple.de,José,Köln\n\
         ærø@ærø.dk,Ærø,\n\
         ærø@ærø.dk,Ærø,\n",
    );
    for threads in ["1", "3"] {
        let store = dir.path().join(format!("s{threads}.redb"));
        let summary = import(&store, &file, &["--threads", threads, "--chunk-bytes", "40"]);
        assert_eq!(counts(&summary, "contacts"), (2, 2, 3, 0), "{threads} threads");
        let records = export(&store, "contacts");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].1["firstname"], "José");
        assert_eq!(records[0].1["city"], "Köln");
        assert_eq!(records[1].1["firstname"], "Ærø");
        check_ok(&store);
    }
}
