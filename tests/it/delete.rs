//! Static lists (`--create-list`, `lists`, `list`) and deleting records (`delete
//! OBJ ID...`, `delete --import ID`), each deletion logged and undone by `undo`
//! (SPEC 7).

use std::path::Path;

use serde_json::json;

use crate::support::{ingest, json, ok_stdout, stderr, write};

fn snapshot(store: &Path) -> String {
    let mut out = String::new();
    for object in ["contacts", "companies"] {
        out.push_str(&ok_stdout(&ingest(store, &["export", object, "--format", "jsonl"])));
    }
    out
}

fn check_ok(store: &Path) {
    let out = ingest(store, &["check"]);
    assert!(out.status.success(), "check failed: {}", String::from_utf8_lossy(&out.stdout));
}

const MULTI: &str = "Email,First Name,Company Domain Name,Company Name\n\
    ana@example.com,Ana,acme.com,Acme\n\
    bo@ærø.dk,Bo,acme.com,Acme\n\
    zoë@exämple.de,Zoë,ærø.dk,Ærø ApS\n";

#[test]
fn a_list_holds_the_contacts_an_import_created_updated_or_matched() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let first = write(
        dir.path(),
        "first.csv",
        "Email,First Name\nana@example.com,Ana\nbo@ærø.dk,Bo\nzoë@exämple.de,Zoë\n",
    );
    ok_stdout(&ingest(&store, &["import", first.to_str().unwrap()]));
    // A file of emails: one new, one existing (matched only), one invalid.
    let webinar = write(dir.path(), "webinar.csv", "Email\nzoë@exämple.de\nnew@ærø.dk\nnot-an-email\n");
    let s = json(&ingest(
        &store,
        &["import", webinar.to_str().unwrap(), "--create-list", "Webinar 2026", "--json"],
    ));
    assert_eq!(s["list"]["size"], 2, "{s}");
    let lists = json(&ingest(&store, &["lists", "--json"]));
    assert_eq!(lists[0]["name"], "Webinar 2026");
    assert_eq!(lists[0]["object"], "contacts");
    let members = ok_stdout(&ingest(&store, &["list", "Webinar 2026"]));
    let emails: Vec<String> = members
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["properties"]["email"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(emails, ["zoë@exämple.de", "new@ærø.dk"]);
    let csv = ok_stdout(&ingest(&store, &["list", "Webinar 2026", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 3, "a header and two records: {csv}");
    // A name is taken once.
    let again = ingest(&store, &["import", webinar.to_str().unwrap(), "--create-list", "Webinar 2026"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));
    // Undoing the import removes its list.
    ok_stdout(&ingest(&store, &["undo", &s["import_id"].to_string()]));
    assert_eq!(json(&ingest(&store, &["lists", "--json"])), json!([]));
    let missing = ingest(&store, &["list", "Webinar 2026"]);
    assert_eq!(missing.status.code(), Some(1));
    check_ok(&store);
}

#[test]
fn deleting_records_removes_them_with_their_links_and_undo_puts_everything_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "multi.csv", MULTI);
    ok_stdout(&ingest(
        &store,
        &[
            "import",
            file.to_str().unwrap(),
            "--object",
            "contacts",
            "--object",
            "companies",
            "--create-list",
            "all",
        ],
    ));
    let before = snapshot(&store);
    let links_before = ok_stdout(&ingest(&store, &["associations", "contacts", "1", "--json"]));

    // Company 1 (Acme) is the primary company of contacts 1 and 2.
    let out = json(&ingest(&store, &["delete", "companies", "1", "77", "--json"]));
    let r = &out["objects"]["companies"];
    assert_eq!((r["deleted"].as_u64(), r["links_removed"].as_u64()), (Some(1), Some(2)), "{out}");
    assert_eq!(r["missing"], json!([77]));
    let gone = ingest(&store, &["get", "companies", "--by", "domain=acme.com"]);
    assert!(!gone.status.success(), "the domain is no longer found");
    assert_eq!(json(&ingest(&store, &["get", "contacts", "1", "--json"]))["associations"], json!({}));
    check_ok(&store);

    let delete_id = out["delete_id"].to_string();
    let history = json(&ingest(&store, &["history", &delete_id, "--json"]));
    assert_eq!(history["kind"], "delete");
    ok_stdout(&ingest(&store, &["undo", &delete_id]));
    assert_eq!(snapshot(&store), before, "records, identifiers and links as before");
    assert_eq!(
        ok_stdout(&ingest(&store, &["associations", "contacts", "1", "--json"])),
        links_before,
        "primary flag too"
    );
    assert_eq!(json(&ingest(&store, &["get", "companies", "--by", "domain=acme.com", "--json"]))["id"], 1);
    check_ok(&store);
}

#[test]
fn deleting_the_records_an_import_created_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let first = write(dir.path(), "first.csv", "Email,First Name\nana@example.com,Ana\n");
    ok_stdout(&ingest(&store, &["import", first.to_str().unwrap()]));
    let file = write(dir.path(), "multi.csv", MULTI);
    let s = json(&ingest(
        &store,
        &["import", file.to_str().unwrap(), "--object", "contacts", "--object", "companies", "--json"],
    ));
    let before = snapshot(&store);
    let out = json(&ingest(&store, &["delete", "--import", &s["import_id"].to_string(), "--json"]));
    assert_eq!(out["objects"]["contacts"]["deleted"], 2, "ana was only updated: {out}");
    assert_eq!(out["objects"]["companies"]["deleted"], 2);
    let stats = json(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 1);
    assert_eq!(stats["associations"], 0, "ana's link went with her company");
    check_ok(&store);
    ok_stdout(&ingest(&store, &["undo", &out["delete_id"].to_string()]));
    assert_eq!(snapshot(&store), before);
    check_ok(&store);
    let usage = ingest(&store, &["delete"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn an_undo_never_gives_two_records_one_email() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "one.csv", "Email,First Name\njosé.müller@exämple.de,José\n");
    ok_stdout(&ingest(&store, &["import", file.to_str().unwrap()]));
    let out = json(&ingest(&store, &["delete", "contacts", "1", "--json"]));
    // The email is free again, and a new contact takes it.
    ok_stdout(&ingest(&store, &["import", file.to_str().unwrap()]));
    let before = snapshot(&store);
    let refused = ingest(&store, &["undo", &out["delete_id"].to_string(), "--force"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("contacts 2 holds now"), "{}", stderr(&refused));
    assert_eq!(snapshot(&store), before);
    check_ok(&store);
}

/// Contact 1's companies and primary company, as `get` shows them.
fn companies_of_contact_1(store: &Path) -> serde_json::Value {
    json(&ingest(store, &["get", "contacts", "1", "--json"]))["associations"].clone()
}

#[test]
fn deleting_a_primary_company_gives_the_contact_another_one_and_undo_gives_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "three.csv",
        "Email,First Name,Company Domain Name,Company Name\n\
         josé.müller@exämple.de,José,acme.com,Acme\n\
         josé.müller@exämple.de,José,ærø.dk,Ærø ApS\n\
         josé.müller@exämple.de,José,beta.io,Beta\n",
    );
    ok_stdout(&ingest(
        &store,
        &["import", file.to_str().unwrap(), "--object", "contacts", "--object", "companies"],
    ));
    assert_eq!(companies_of_contact_1(&store), json!({"companies": [1, 2, 3], "primary_company": 1}));
    // Two companies are left: the one with the lowest ID becomes primary (a
    // contact with companies has one primary; this used to leave none).
    let out = json(&ingest(&store, &["delete", "companies", "1", "--json"]));
    assert_eq!(companies_of_contact_1(&store), json!({"companies": [2, 3], "primary_company": 2}));
    check_ok(&store);
    ok_stdout(&ingest(&store, &["undo", &out["delete_id"].to_string()]));
    assert_eq!(companies_of_contact_1(&store), json!({"companies": [1, 2, 3], "primary_company": 1}));
    check_ok(&store);
}

#[test]
fn undoing_a_deletion_never_gives_a_contact_a_second_primary_company() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let multi = ["--object", "contacts", "--object", "companies"];
    let acme = write(dir.path(), "acme.csv", "Email,Company Domain Name\nbo@ærø.dk,acme.com\n");
    ok_stdout(&ingest(&store, &[&["import", acme.to_str().unwrap()][..], &multi].concat()));
    let out = json(&ingest(&store, &["delete", "companies", "1", "--json"]));
    // Since the deletion, the contact has another company, its primary one.
    let aero = write(dir.path(), "aero.csv", "Email,Company Domain Name\nbo@ærø.dk,ærø.dk\n");
    ok_stdout(&ingest(&store, &[&["import", aero.to_str().unwrap()][..], &multi].concat()));
    assert_eq!(companies_of_contact_1(&store), json!({"companies": [2], "primary_company": 2}));
    ok_stdout(&ingest(&store, &["undo", &out["delete_id"].to_string()]));
    assert_eq!(
        companies_of_contact_1(&store),
        json!({"companies": [1, 2], "primary_company": 2}),
        "the link comes back, the primary company stays"
    );
    check_ok(&store);
}

#[test]
fn undoing_a_deletion_leaves_out_a_link_whose_other_record_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "one.csv", "Email,First Name,Company Domain Name\nbo@ærø.dk,Bø,ærø.dk\n");
    let s = json(&ingest(
        &store,
        &["import", file.to_str().unwrap(), "--object", "contacts", "--object", "companies", "--json"],
    ));
    let out = json(&ingest(&store, &["delete", "contacts", "1", "--json"]));
    // Undoing the import deletes the company it created (the contact is gone).
    ok_stdout(&ingest(&store, &["undo", &s["import_id"].to_string()]));
    assert_eq!(json(&ingest(&store, &["stats", "--json"]))["objects"]["companies"], 0);
    // The contact comes back; its link with the company cannot (it used to, to a
    // record that does not exist).
    ok_stdout(&ingest(&store, &["undo", &out["delete_id"].to_string()]));
    assert_eq!(companies_of_contact_1(&store), json!({}));
    check_ok(&store);
}
