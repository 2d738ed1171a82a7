//! `ingest undo` (SPEC 7): the records an import created deleted, the values it
//! changed restored, its links and link changes taken back, conflicts with later
//! imports refused unless `--force`, and `--dry-run` writing nothing.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// Every record of every object the tests write, as `export --format jsonl`
/// prints them (associations included).
fn snapshot(store: &Path) -> String {
    let mut out = String::new();
    for object in ["contacts", "companies", "deals"] {
        out.push_str(&ok_stdout(&ingest(store, &["export", object, "--format", "jsonl"])));
    }
    out
}

fn import(store: &Path, file: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    json(&ingest(store, &all))
}

fn undo(store: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["undo"];
    all.extend_from_slice(args);
    ingest(store, &all)
}

fn check_ok(store: &Path) {
    let out = ingest(store, &["check"]);
    assert!(out.status.success(), "check failed: {}", String::from_utf8_lossy(&out.stdout));
}

fn found(store: &Path, object: &str, by: &str) -> Option<u64> {
    let out = ingest(store, &["get", object, "--by", by, "--json"]);
    out.status.success().then(|| json(&out)["id"].as_u64().unwrap())
}

/// A store with three contacts (non-ASCII names, emails and domains) and two
/// companies: the state every test undoes back to.
fn base(dir: &Path) -> PathBuf {
    let store = dir.join("crm.redb");
    let contacts = write(
        dir,
        "base.csv",
        "Email,First Name,Last Name\nana@example.com,Ana,Åberg\njosé.müller@exämple.de,José,Müller\nbo@ærø.dk,Bo,Ærø\n",
    );
    import(&store, &contacts, &[]);
    let companies = write(dir, "co.csv", "Company Domain Name,Company Name\nærø.dk,Ærø ApS\nacme.com,Acme\n");
    import(&store, &companies, &["--object", "companies"]);
    store
}

#[test]
fn undo_deletes_what_the_import_created_and_restores_what_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let before = snapshot(&store);
    // Updates two contacts (one of them changes its email), creates a contact and a
    // company, and links every row's contact with its company.
    let file = write(
        dir.path(),
        "multi.csv",
        "Email,First Name,Company Domain Name,Company Name\n\
         ana@example.com,Anna,acme.com,Acme Corp\n\
         new@exämple.de,Nü,exämple.de,Exämple GmbH\n\
         bo@ærø.dk,Bø,ærø.dk,\n",
    );
    let summary = import(&store, &file, &["--object", "contacts", "--object", "companies"]);
    assert_eq!(summary["associations"]["created"], 3);
    let id = summary["import_id"].as_u64().unwrap().to_string();
    assert_ne!(snapshot(&store), before);

    let out = undo(&store, &[&id, "--json"]);
    let report = json(&out)["report"].clone();
    assert_eq!(report["undone"], true);
    assert_eq!(report["counts"]["deleted"], json!({"contacts": 1, "companies": 1}));
    assert_eq!(report["counts"]["restored"], json!({"contacts": 2, "companies": 1}));
    assert_eq!(report["counts"]["links_removed"], 3);
    assert_eq!(snapshot(&store), before, "the store is as it was before the import");
    check_ok(&store);
    assert_eq!(
        found(&store, "contacts", "email=new@exämple.de"),
        None,
        "the created contact's email is gone"
    );
    assert_eq!(found(&store, "companies", "domain=exämple.de"), None);
    assert_eq!(found(&store, "contacts", "email=josé.müller@exämple.de"), Some(2));
    let history = json(&ingest(&store, &["history", &id, "--json"]));
    assert_eq!(history["status"], "undone");
    assert!(history["undone_at"].is_string());

    let again = undo(&store, &[&id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("undone already"), "{}", stderr(&again));
}

#[test]
fn a_changed_email_points_to_its_record_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let before = snapshot(&store);
    // Record 2 changes its email (the old one stays as a secondary email), and a
    // new contact is created.
    let file = write(dir.path(), "ids.csv", "Record ID,Email\n2,jose@exämple.de\n,zoë@ærø.dk\n");
    let summary = import(&store, &file, &[]);
    assert_eq!(summary["objects"]["contacts"]["created"], 1, "{summary}");
    assert_eq!(found(&store, "contacts", "email=jose@exämple.de"), Some(2));
    ok_stdout(&undo(&store, &[&summary["import_id"].to_string()]));
    assert_eq!(snapshot(&store), before);
    assert_eq!(found(&store, "contacts", "email=josé.müller@exämple.de"), Some(2));
    assert_eq!(found(&store, "contacts", "email=jose@exämple.de"), None);
    assert_eq!(found(&store, "contacts", "email=zoë@ærø.dk"), None);
    check_ok(&store);
}

#[test]
fn undoing_several_imports_newest_first_restores_the_oldest_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let before = snapshot(&store);
    let one = write(
        dir.path(),
        "one.csv",
        "Email,First Name,City\nana@example.com,Anne,Malmö\nnew@ærø.dk,Nina,Aarhus\n",
    );
    let two = write(
        dir.path(),
        "two.csv",
        "Email,First Name,City\nana@example.com,Anja,\nnew@ærø.dk,,Odense\nthird@acme.com,Tre,\n",
    );
    let i1 = import(&store, &one, &[])["import_id"].to_string();
    let after_one = snapshot(&store);
    let i2 = import(&store, &two, &[])["import_id"].to_string();
    ok_stdout(&undo(&store, &[&i2]));
    assert_eq!(snapshot(&store), after_one);
    ok_stdout(&undo(&store, &[&i1]));
    assert_eq!(snapshot(&store), before);
    check_ok(&store);
}

#[test]
fn a_later_change_refuses_the_undo_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let first = write(
        dir.path(),
        "first.csv",
        "Email,First Name,Last Name\nana@example.com,Anna,Åberg-Lind\nbo@ærø.dk,Bø,\n",
    );
    let second = write(dir.path(), "second.csv", "Email,Last Name\nana@example.com,Lind\n");
    let i1 = import(&store, &first, &[])["import_id"].to_string();
    import(&store, &second, &[]);
    let later = snapshot(&store);

    let refused = undo(&store, &[&i1]);
    assert_eq!(refused.status.code(), Some(1));
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(text.contains("contacts 1: changed since by import 4"), "{text}");
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(snapshot(&store), later, "a refused undo changes nothing");

    let forced = json(&undo(&store, &[&i1, "--force", "--json"]))["report"].clone();
    assert_eq!(forced["undone"], true);
    assert_eq!(forced["counts"]["kept"], 1);
    let ana = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(ana["properties"]["firstname"], "Ana", "restored: no later import changed it");
    assert_eq!(ana["properties"]["lastname"], "Lind", "kept: the later import set it");
    let bo = json(&ingest(&store, &["get", "contacts", "3", "--json"]));
    assert_eq!(bo["properties"]["firstname"], "Bo", "a record no later import touched is restored");
    check_ok(&store);
}

/// After a forced undo, undoing the later import gives back the state before
/// it with the first import taken back: the store as it was before both,
/// also for a record the undone import created.
#[test]
fn undoing_a_later_import_after_a_forced_undo_does_not_bring_the_undone_values_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let before = snapshot(&store);
    let first = write(
        dir.path(),
        "first.csv",
        "Email,First Name,Last Name\nana@example.com,Anna,Åberg-Lind\nzoë@ünïcode.org,Zoë,Ünal\n",
    );
    let second =
        write(dir.path(), "second.csv", "Email,Last Name\nana@example.com,Lind\nzoë@ünïcode.org,Ünal-Öz\n");
    let i1 = import(&store, &first, &[])["import_id"].to_string();
    let i2 = import(&store, &second, &[])["import_id"].to_string();
    assert!(undo(&store, &[&i1, "--force"]).status.success());
    let ana = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(
        (&ana["properties"]["firstname"], &ana["properties"]["lastname"]),
        (&json!("Ana"), &json!("Lind"))
    );
    let zoe = json(&ingest(&store, &["get", "contacts", "4", "--json"]));
    assert_eq!(zoe["properties"]["firstname"], serde_json::Value::Null, "{zoe}");
    assert_eq!(zoe["properties"]["lastname"], "Ünal-Öz", "kept: the later import set it");
    check_ok(&store);
    // Undoing the later import: its own change goes, the first import's stays
    // undone, and the record the first import created goes with it.
    let second_undo = json(&undo(&store, &[&i2, "--json"]))["report"].clone();
    assert_eq!(second_undo["undone"], true, "{second_undo}");
    assert_eq!(second_undo["counts"]["deleted"]["contacts"], 1, "{second_undo}");
    let ana = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(
        (&ana["properties"]["firstname"], &ana["properties"]["lastname"]),
        (&json!("Ana"), &json!("Åberg"))
    );
    assert!(!ingest(&store, &["get", "contacts", "4"]).status.success(), "Zoë's record is gone");
    check_ok(&store);
    assert_eq!(snapshot(&store), before, "both undone: the store as before the first");
}

/// Three imports that change the same records (and records the first one
/// created), undone in every order, with `--force` where a later one stands:
/// the store ends as it was before the first.
#[test]
fn undoing_overlapping_imports_in_any_order_gives_the_store_before_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "a.csv",
            "Email,First Name,Last Name\nana@example.com,Anna,\nzoë@ünïcode.org,Zoë,Ünal\nli@ærø.dk,Li,Wu\n",
        ),
        (
            "b.csv",
            "Email,First Name\nzoë@ünïcode.org,Zoe\nana@example.com,Annie\njosé.müller@exämple.de,Jose\n",
        ),
        (
            "c.csv",
            "Email,Last Name,City\nzoë@ünïcode.org,Ünal-Öz,Köln\nli@ærø.dk,Wü,\nana@example.com,Å,Malmö\n",
        ),
    ];
    let files: Vec<PathBuf> = files.iter().map(|(name, text)| write(dir.path(), name, text)).collect();
    for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        let run = tempfile::tempdir().unwrap();
        let store = base(run.path());
        let before = snapshot(&store);
        let ids: Vec<String> =
            files.iter().map(|f| import(&store, f, &[])["import_id"].to_string()).collect();
        for &i in &order {
            let out = undo(&store, &[&ids[i], "--force"]);
            assert!(out.status.success(), "order {order:?}, undo {}: {}", ids[i], stderr(&out));
        }
        check_ok(&store);
        assert_eq!(snapshot(&store), before, "undone in the order {order:?}");
    }
}

#[test]
fn a_dry_run_prints_the_undo_and_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let file = write(dir.path(), "more.csv", "Email,First Name\nana@example.com,Anna\nzoë@exämple.de,Zoë\n");
    let id = import(&store, &file, &[])["import_id"].to_string();
    let bytes = std::fs::read(&store).unwrap();
    let out = undo(&store, &[&id, "--dry-run", "--json"]);
    let v = json(&out);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["report"]["counts"]["deleted"], json!({"contacts": 1}));
    assert_eq!(v["report"]["counts"]["restored"], json!({"contacts": 1}));
    assert!(std::fs::read(&store).unwrap() == bytes, "the store file is not modified");
    assert_eq!(json(&ingest(&store, &["history", &id, "--json"]))["status"], "done");
}

#[test]
fn undo_takes_back_a_moved_primary_company_and_added_labels() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    ok_stdout(&ingest(&store, &["schema", "add-label", "contacts", "companies", "Advisor"]));
    let first = write(dir.path(), "first.csv", "Email,Company Domain Name\nana@example.com,ærø.dk\n");
    import(&store, &first, &["--object", "contacts", "--object", "companies"]);
    let before = snapshot(&store);
    let links_before = ok_stdout(&ingest(&store, &["associations", "contacts", "1", "--json"]));
    let second = write(
        dir.path(),
        "second.csv",
        "Email,Company Domain Name,Labels\nana@example.com,ærø.dk,Advisor\nana@example.com,acme.com,\n",
    );
    let summary = import(
        &store,
        &second,
        &[
            "--object",
            "contacts",
            "--object",
            "companies",
            "--replace-primary",
            "--map",
            "Labels=label:contacts-companies",
        ],
    );
    let id = summary["import_id"].to_string();
    let now = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_ne!(now["associations"]["primary_company"], 1, "{now}");
    let report = json(&undo(&store, &[&id, "--json"]))["report"].clone();
    assert_eq!(report["counts"]["links_removed"], 1, "{report}");
    assert_eq!(snapshot(&store), before, "primary company as before");
    assert_eq!(
        ok_stdout(&ingest(&store, &["associations", "contacts", "1", "--json"])),
        links_before,
        "labels and primary flags as before"
    );
    let history = json(&ingest(&store, &["associations", "contacts", "1", "--history", "--json"]));
    let sources: Vec<&str> =
        history["history"].as_array().unwrap().iter().filter_map(|c| c["source"].as_str()).collect();
    assert!(sources.contains(&"undo"), "{history}");
    check_ok(&store);
}

#[test]
fn unknown_and_unfinished_imports_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let out = undo(&store, &["99"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no import 99"), "{}", stderr(&out));
    let missing = undo(&dir.path().join("none.redb"), &["1"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(!dir.path().join("none.redb").exists(), "undo never creates a store");
}

/// A file as Excel saves "CSV UTF-8" in a German locale: a byte order mark, CRLF
/// line ends, `;` between fields, quoted fields holding the delimiter, a quote
/// and a line break, and non-ASCII names, emails and domains. Its import updates
/// and creates; the undo gives back the export from before, byte for byte.
#[test]
fn undo_of_an_excel_made_csv_restores_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let store = base(dir.path());
    let before = snapshot(&store);
    let text = "\u{feff}Email;First Name;Last Name;City\r\n\
                josé.müller@exämple.de;José;\"Müller; Sohn\";München\r\n\
                bo@ærø.dk;Bo;\"Ærø \"\"Øen\"\"\";\"Ærøskøbing\r\nHavn\"\r\n\
                zoë@ærø.dk;Zoë;Ørsted;Marstal\r\n";
    let file = dir.path().join("excel.csv");
    std::fs::write(&file, text).unwrap();
    let summary = import(&store, &file, &[]);
    assert_eq!(summary["objects"]["contacts"]["created"], 1, "{summary}");
    assert_eq!(summary["objects"]["contacts"]["updated"], 2, "{summary}");
    let after = snapshot(&store);
    assert!(after.contains("Müller; Sohn") && after.contains("Ærø \\\"Øen\\\""), "{after}");
    let id = summary["import_id"].as_u64().unwrap().to_string();
    ok_stdout(&undo(&store, &[&id]));
    assert_eq!(snapshot(&store), before);
    assert_eq!(found(&store, "contacts", "email=zoë@ærø.dk"), None);
    check_ok(&store);
}

/// A refused undo names every later import that conflicts, lists the first 20
/// conflicting records and counts the rest.
#[test]
fn a_refusal_names_every_conflicting_import_and_counts_past_the_first_twenty() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let rows = |from: usize, to: usize, name: &str| {
        let mut text = String::from("Email,First Name\n");
        for i in from..to {
            text.push_str(&format!("zoë{i}@ærø.dk,{name}{i}\n"));
        }
        text
    };
    let first = write(dir.path(), "first.csv", &rows(0, 30, "Første"));
    let id = import(&store, &first, &[])["import_id"].to_string();
    import(&store, &write(dir.path(), "a.csv", &rows(0, 25, "Anden")), &[]);
    import(&store, &write(dir.path(), "b.csv", &rows(25, 30, "Tredje")), &[]);
    let later = snapshot(&store);
    let refused = undo(&store, &[&id]);
    assert_eq!(refused.status.code(), Some(1));
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(text.contains("30 conflict(s) with later changes, by import 2, import 3:"), "{text}");
    assert_eq!(text.matches(": changed since by import").count(), 20, "{text}");
    assert!(text.contains("... and 10 more"), "{text}");
    let out = undo(&store, &[&id, "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["report"]["conflicting"], json!(["import 2", "import 3"]));
    assert_eq!(report["report"]["conflict_count"], 30);
    assert_eq!(snapshot(&store), later);
}

#[test]
fn undoing_the_import_that_made_a_primary_company_link_leaves_the_contact_a_primary() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let multi = ["--object", "contacts", "--object", "companies"];
    let contact = write(dir.path(), "c.csv", "Email,First Name\njosé.müller@exämple.de,José\n");
    import(&store, &contact, &[]);
    let acme = write(dir.path(), "acme.csv", "Email,Company Domain Name\njosé.müller@exämple.de,acme.com\n");
    let first = import(&store, &acme, &multi);
    let more = write(
        dir.path(),
        "more.csv",
        "Email,Company Domain Name\njosé.müller@exämple.de,ærø.dk\njosé.müller@exämple.de,beta.io\n",
    );
    import(&store, &more, &multi);
    let links =
        |store: &Path| json(&ingest(store, &["get", "contacts", "1", "--json"]))["associations"].clone();
    assert_eq!(links(&store), json!({"companies": [1, 2, 3], "primary_company": 1}));
    // The undo removes the primary link; of the two companies left, the one with
    // the lowest ID becomes primary (it used to leave the contact without one).
    let out = undo(&store, &[&first["import_id"].to_string()]);
    ok_stdout(&out);
    assert_eq!(links(&store), json!({"companies": [2, 3], "primary_company": 2}));
    check_ok(&store);
}
