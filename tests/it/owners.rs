//! Owners: `ingest owners` (add, import, list) and owner cells in imports, matched by
//! owner ID, email or full name and stored as the owner ID.

use std::path::Path;

use serde_json::Value;

use crate::support::{ingest, ok_stdout};

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(ok_stdout(out).trim()).expect("JSON on stdout")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn owners_are_added_once_per_email_imported_from_csv_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    assert_eq!(
        ok_stdout(&ingest(&store, &["owners", "add", "ADA@Example.com", "--name", "Ada Lovelace"])),
        "1\n"
    );
    // The same email (any case) is the same owner; its names are not replaced.
    let again = ingest(&store, &["owners", "add", "ada@example.COM", "--name", "Augusta King"]);
    assert_eq!(ok_stdout(&again), "1\n");
    assert!(String::from_utf8_lossy(&again.stderr).contains("ada@example.com is already owner 1"));
    let bad = ingest(&store, &["owners", "add", "not-an-email"]);
    assert_eq!(bad.status.code(), Some(2), "a bad email is a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'not-an-email' is not a valid email address"));
    assert_eq!(
        json(&ingest(&store, &["owners", "--json"])),
        serde_json::json!([{"id": 1, "email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace"}])
    );
    // Dutch headers, semicolons; a bad row is reported with its line, the others added.
    let file = write(
        dir.path(),
        "owners.csv",
        "E-mail;Voornaam;Achternaam;Team\n\
         grace@example.com;Grace;Hopper;A\n\
         not-an-email;Bad;Row;A\n\
         Linus@Example.com;Linus;Torvalds;B\n\
         ada@example.com;Augusta;King;B\n\
         ;No;Email;C\n",
    );
    let counts = json(&ingest(&store, &["owners", "import", &file, "--json"]));
    assert_eq!(
        counts,
        serde_json::json!({
            "added": 2, "updated": 0, "unchanged": 1,
            "rejected": [
                {"line": 3, "reason": "'not-an-email' is not a valid email address"},
                {"line": 6, "reason": "no email"}
            ],
            "ignored_columns": ["Team"]
        })
    );
    let text = write(dir.path(), "more.csv", "Name,Email\nSam Lee,sam@example.com\nMargaret Hamilton,bad@\n");
    let out = ok_stdout(&ingest(&store, &["owners", "import", &text]));
    assert!(
        out.starts_with(
            "1 owner(s) added, 0 updated (names filled in), 0 already there; 1 row(s) rejected\n"
        ),
        "{out}"
    );
    assert!(out.contains("  line 3: 'bad@' is not a valid email address"), "{out}");
    let listed = json(&ingest(&store, &["owners", "--json"]));
    let rows: Vec<(u64, &str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_u64().unwrap(), o["email"].as_str().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            (1, "ada@example.com", "Ada Lovelace"),
            (2, "grace@example.com", "Grace Hopper"),
            (3, "linus@example.com", "Linus Torvalds"),
            (4, "sam@example.com", "Sam Lee")
        ]
    );
    let table = ok_stdout(&ingest(&store, &["owners"]));
    assert!(
        table.lines().any(|l| l.split_whitespace().eq(["2", "grace@example.com", "Grace", "Hopper"])),
        "{table}"
    );
    let check = json(&ingest(&store, &["check", "--json"]));
    assert_eq!(check["problems"], serde_json::json!([]));
    assert_eq!(check["checked"]["owners"], 4);
}

#[test]
fn owner_columns_match_by_email_full_name_or_id_and_unknown_owners_are_value_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let owners = write(
        dir.path(),
        "owners.csv",
        "Email,First Name,Last Name\n\
         ada@example.com,Ada,Lovelace\n\
         grace@example.com,Grace,Hopper\n\
         linus@example.com,Linus,Torvalds\n\
         sam1@example.com,Sam,Lee\n\
         sam2@example.com,SAM,lee\n",
    );
    assert_eq!(json(&ingest(&store, &["owners", "import", &owners, "--json"]))["added"], 5);
    let contacts = write(
        dir.path(),
        "contacts.csv",
        "Email,First Name,Contact owner\n\
         c1@x.com,C1,GRACE@Example.com\n\
         c2@x.com,C2,  linus   TORVALDS \n\
         c3@x.com,C3,1\n\
         c4@x.com,C4,Nobody Known\n\
         c5@x.com,C5,Sam Lee\n\
         c6@x.com,C6,99\n",
    );
    let s = json(&ingest(&store, &["import", &contacts, "--json"]));
    assert_eq!(s["status"], "done");
    assert_eq!(
        s["objects"]["contacts"]["created"], 6,
        "owner errors are value errors: the rows are imported"
    );
    assert_eq!(s["rows_failed"], 0);
    assert_eq!(s["errors"], 3);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert_eq!(
        errors,
        "line,column,value,code,message\n\
         5,Contact owner,Nobody Known,COULD_NOT_FIND_OWNER,\"'Nobody Known' is not an owner (hubspot_owner_id): \
         give an owner ID, email or full name as `ingest owners` lists them\"\n\
         6,Contact owner,Sam Lee,AMBIGUOUS_OWNER,'Sam Lee' matches more than one owner (hubspot_owner_id); \
         give the owner's email or ID\n\
         7,Contact owner,99,COULD_NOT_FIND_OWNER,\"'99' is not an owner (hubspot_owner_id): \
         give an owner ID, email or full name as `ingest owners` lists them\"\n"
    );
    let owner_of = |id: &str| {
        let got = json(&ingest(&store, &["get", "contacts", id, "--json"]));
        assert_eq!(got["properties"]["email"], format!("c{id}@x.com"));
        got["properties"]["hubspot_owner_id"].as_str().map(str::to_owned)
    };
    assert_eq!(owner_of("1").as_deref(), Some("2"), "by email");
    assert_eq!(owner_of("2").as_deref(), Some("3"), "by full name");
    assert_eq!(owner_of("3").as_deref(), Some("1"), "by owner ID");
    for id in ["4", "5", "6"] {
        assert_eq!(owner_of(id), None, "contact {id} has no owner");
    }
    // The export holds the owner IDs too.
    let out = dir.path().join("contacts.jsonl");
    ok_stdout(&ingest(&store, &["export", "contacts", "--out", out.to_str().unwrap()]));
    let exported = std::fs::read_to_string(&out).unwrap();
    assert!(exported.lines().next().unwrap().contains(r#""hubspot_owner_id":"2""#), "{exported}");
    let check = ingest(&store, &["check"]);
    assert!(ok_stdout(&check).trim_end().ends_with("ok"));
}

#[test]
fn an_owner_column_in_a_store_without_owners_says_how_to_add_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let deals = write(dir.path(), "deals.csv", "Deal Name,Deal owner\nBig one,Ada Lovelace\n");
    let s = json(&ingest(&store, &["import", &deals, "--object", "deals", "--json"]));
    assert_eq!(s["objects"]["deals"]["created"], 1);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(
        errors.contains(
            "COULD_NOT_FIND_OWNER,'Ada Lovelace' is not an owner (hubspot_owner_id): the store has no owners; \
             add them with `ingest owners add EMAIL` or `ingest owners import FILE`"
        ),
        "{errors}"
    );
    assert_eq!(
        ok_stdout(&ingest(&store, &["owners"])).lines().next().unwrap_or("").split(';').next(),
        Some("no owners")
    );
}
