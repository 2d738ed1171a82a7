//! Job files, reruns, the history list and dry runs (SPEC 5, 7): `import --spec
//! job.toml`, `history ID --spec`, `rerun ID [FILE...]`, `import --dry-run`.

use std::path::Path;

use serde_json::json;

use crate::support::{ingest, json, ok_stdout, stderr, write};

fn import(store: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    all.push("--json");
    json(&ingest(store, &all))
}

const CONTACTS: &str = "E-mailadres,Voornaam,Geboortedatum,Bedrag\n\
    josé.müller@exämple.de,José,31-12-1990,\"1.234,50\"\n\
    ærwin@ærø.dk,Ærwin,01-02-1985,\"12,00\"\n";

#[test]
fn a_job_file_describes_the_whole_import_and_the_command_line_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    ok_stdout(&ingest(&store, &["schema", "add-property", "contacts", "bedrag", "--type", "number"]));
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    write(dir.path(), "nl.csv", CONTACTS);
    // Paths in a job file are relative to its folder.
    let job = write(
        &jobs,
        "nightly.toml",
        "name = \"nightly\"\nfiles = [\"../nl.csv\"]\nobjects = [\"contacts\"]\nheader_lang = \"nl\"\n\
         date_format = \"DD-MM-YYYY\"\nmap = [\"Bedrag=contacts.bedrag\", \"Geboortedatum=contacts.date_of_birth\"]\n",
    );
    let s = import(&store, &["--spec", job.to_str().unwrap()]);
    assert_eq!(s["objects"]["contacts"]["created"], 2, "{s}");
    let one = json(&ingest(&store, &["get", "contacts", "--by", "email=josé.müller@exämple.de", "--json"]));
    assert_eq!(one["properties"]["bedrag"], 1234.5);
    assert_eq!(one["properties"]["date_of_birth"], "1990-12-31");
    let entry = json(&ingest(&store, &["history", &s["import_id"].to_string(), "--json"]));
    assert_eq!(entry["name"], "nightly");

    // The command line overrides the job file: another name, update mode.
    let s = import(&store, &["--spec", job.to_str().unwrap(), "--name", "by hand", "--mode", "update"]);
    assert_eq!(s["objects"]["contacts"]["unchanged"], 2, "{s}");
    let entry = json(&ingest(&store, &["history", &s["import_id"].to_string(), "--json"]));
    assert_eq!((entry["name"].as_str(), entry["mode"].as_str()), (Some("by hand"), Some("update")));

    let bad = write(&jobs, "bad.toml", "files = [\"../nl.csv\"]\ndate_fromat = \"DD-MM-YYYY\"\n");
    let out = ingest(&store, &["import", "--spec", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "an unknown key is a usage error");
    assert!(stderr(&out).contains("date_fromat"), "{}", stderr(&out));
}

#[test]
fn history_prints_a_past_import_as_a_job_file_and_rerun_repeats_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "nl.csv", CONTACTS);
    let s = import(
        &store,
        &[
            file.to_str().unwrap(),
            "--header-lang",
            "nl",
            "--date-format",
            "DD-MM-YYYY",
            "--map",
            "Bedrag=-",
            "--map",
            "Geboortedatum=contacts.date_of_birth",
        ],
    );
    let id = s["import_id"].to_string();
    let toml = ok_stdout(&ingest(&store, &["history", &id, "--spec"]));
    assert!(toml.contains("header_lang = \"nl\""), "{toml}");
    assert!(toml.contains("Bedrag=-"), "{toml}");
    // The job file runs as printed, from another folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let job = write(elsewhere.path(), "job.toml", &toml);
    let again = import(&store, &["--spec", job.to_str().unwrap()]);
    assert_eq!(again["objects"]["contacts"]["unchanged"], 2, "{again}");

    // rerun: the same spec, on the same file or on a new one.
    let rerun = json(&ingest(&store, &["rerun", &id, "--json"]));
    assert_eq!(rerun["objects"]["contacts"]["unchanged"], 2, "{rerun}");
    let newer = write(
        dir.path(),
        "newer.csv",
        "E-mailadres,Voornaam,Geboortedatum,Bedrag\nzoë@exämple.de,Zoë,05-06-2001,1\n",
    );
    let rerun = json(&ingest(&store, &["rerun", &id, newer.to_str().unwrap(), "--json"]));
    assert_eq!(rerun["objects"]["contacts"]["created"], 1, "{rerun}");
    let zoe = json(&ingest(&store, &["get", "contacts", "--by", "email=zoë@exämple.de", "--json"]));
    assert_eq!(zoe["properties"]["date_of_birth"], "2001-06-05", "the day-first date format was repeated");

    // The list is newest first, with counts.
    let list = json(&ingest(&store, &["history", "--json"]));
    let ids: Vec<u64> = list.as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    let text = ok_stdout(&ingest(&store, &["history"]));
    assert!(text.lines().next().unwrap().contains("created"), "{text}");
    let missing = ingest(&store, &["rerun", "99"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn a_dry_run_counts_what_the_import_then_does_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let first = write(dir.path(), "first.csv", "Email,First Name\nana@example.com,Ana\nbo@ærø.dk,Bo\n");
    // A dry run on a store that does not exist creates nothing.
    let preview = json(&ingest(&store, &["import", first.to_str().unwrap(), "--dry-run", "--json"]));
    assert_eq!(preview["objects"]["contacts"]["created"], 2);
    assert!(!store.exists(), "no store is created");
    import(&store, &[first.to_str().unwrap()]);

    let second = write(
        dir.path(),
        "second.csv",
        "Email,First Name,Phone Number\nana@example.com,Anna,+45 28594445\nbo@ærø.dk,Bo,\n\
         not-an-email,Cé,\nzoë@exämple.de,Zoë,12ab\n",
    );
    let bytes = std::fs::read(&store).unwrap();
    let dry = json(&ingest(&store, &["import", second.to_str().unwrap(), "--dry-run", "--json"]));
    assert!(std::fs::read(&store).unwrap() == bytes, "the store file is not modified");
    assert_eq!(json(&ingest(&store, &["history", "--json"])).as_array().unwrap().len(), 1, "nor its log");
    assert_eq!(dry["dry_run"], true);
    let columns: Vec<(&str, &str)> = dry["mapping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["column"].as_str().unwrap(), m["target"].as_str().unwrap()))
        .collect();
    assert!(columns.contains(&("Phone Number", "contacts.phone")), "{columns:?}");
    let preview = dry["preview"].as_array().unwrap();
    assert_eq!(preview.len(), 3, "the first three rows");
    assert_eq!(preview[0]["action"], "updated");
    assert_eq!(preview[0]["properties"]["firstname"], "Anna");
    assert_eq!(preview[1]["action"], "unchanged");
    assert_eq!(dry["errors"]["by_column"]["Email"], 1, "{dry}");
    assert!(dry["errors"]["by_code"]["INVALID_EMAIL"].as_u64() == Some(1), "{dry}");

    // The real import that follows counts the same.
    let real = import(&store, &[second.to_str().unwrap()]);
    assert_eq!(real["objects"], dry["objects"]);
    assert_eq!(json!(real["rows_failed"]), dry["rows_failed"]);
    assert_eq!(json!(real["errors"]), dry["errors"]["total"]);
}

/// `history ID` prints what an import read (each file's size and content hash)
/// and did (counts per object, associations, the mapping as applied, its undo);
/// the same file read twice has the same hash, a changed one another.
#[test]
fn history_of_one_import_names_its_files_counts_and_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let text = "Email,First Name,Company Domain Name\njosé.müller@exämple.de,José,ærø.dk\nbad,Bo,acme.com\n";
    let file = write(dir.path(), "multi.csv", text);
    let args = [file.to_str().unwrap(), "--object", "contacts", "--object", "companies"];
    import(&store, &args);
    import(&store, &args);
    std::fs::write(&file, format!("{text}zoë@ærø.dk,Zoë,ærø.dk\n")).unwrap();
    import(&store, &args);
    let inputs = |id: &str| json(&ingest(&store, &["history", id, "--json"]))["inputs"][0].clone();
    let (one, two, three) = (inputs("1"), inputs("2"), inputs("3"));
    assert_eq!(one["size"], text.len());
    assert!(one["hash"].as_str().unwrap().starts_with("xxh3-128:"), "{one}");
    assert_eq!(one["hash"], two["hash"]);
    assert_ne!(one["hash"], three["hash"]);
    assert!(one["path"].as_str().unwrap().ends_with("multi.csv"));

    ok_stdout(&ingest(&store, &["undo", "3"]));
    let shown = ok_stdout(&ingest(&store, &["history", "3"]));
    for line in [
        "import 3: multi.csv",
        "status     undone",
        &format!(
            "({} bytes, {})",
            text.len() + "zoë@ærø.dk,Zoë,ærø.dk\n".len(),
            three["hash"].as_str().unwrap()
        ),
        "rows       3 read, 1 failed, 1 errors",
        "associations 1 created, 1 existing",
        "undo       deleted [1 contacts], restored [], 1 links removed",
        "Company Domain Name -> companies.domain",
        "First Name -> contacts.firstname",
    ] {
        assert!(shown.contains(line), "missing {line:?} in:\n{shown}");
    }
    // The mapping in header order, with what chose each target.
    let at = |line: &str| shown.find(line).unwrap_or_else(|| panic!("missing {line:?} in:\n{shown}"));
    assert!(at("Email -> contacts.email (header)") < at("First Name -> contacts.firstname (header)"));
    assert!(at("First Name -> contacts.firstname") < at("Company Domain Name -> companies.domain"));
    let counts = shown.lines().find(|l| l.trim_start().starts_with("contacts ")).unwrap();
    assert_eq!(counts.split_whitespace().collect::<Vec<_>>(), ["contacts", "1", "0", "1", "0", "1"]);
}

#[test]
fn a_dry_run_shows_the_mapping_in_the_header_order_and_a_rerun_can_be_a_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "people.csv",
        "Last Name,Email,First Name,Shoe size\nMüller,ana@example.com,Ana,38\nSmith,bo@example.com,Bo,41\n",
    );
    let path = file.to_str().unwrap();
    let dry = json(&ingest(&store, &["import", path, "--map", "Shoe size=-", "--dry-run", "--json"]));
    let mapping: Vec<[&str; 3]> = dry["mapping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| ["column", "target", "matched"].map(|k| m[k].as_str().unwrap()))
        .collect();
    assert_eq!(
        mapping,
        [
            ["Last Name", "contacts.lastname", "header"],
            ["Email", "contacts.email", "header"],
            ["First Name", "contacts.firstname", "header"],
            ["Shoe size", "-", "--map"],
        ]
    );
    let text = ok_stdout(&ingest(&store, &["import", path, "--map", "Shoe size=-", "--dry-run"]));
    let shown: Vec<&str> =
        text.lines().skip_while(|l| *l != "mapping:").skip(1).take_while(|l| l.starts_with("  ")).collect();
    assert_eq!(
        shown,
        [
            "  Last Name -> contacts.lastname (header)",
            "  Email -> contacts.email (header)",
            "  First Name -> contacts.firstname (header)",
            "  Shoe size -> - (--map)",
        ],
        "{text}"
    );
    let id = import(&store, &[path, "--map", "Shoe size=-"])["import_id"].to_string();

    // `rerun --dry-run`: what the rerun would do, on the import's own file or a new one.
    let bytes = std::fs::read(&store).unwrap();
    let again = json(&ingest(&store, &["rerun", &id, "--dry-run", "--json"]));
    assert_eq!(again["dry_run"], true);
    assert_eq!(again["objects"]["contacts"]["unchanged"], 2, "{again}");
    let newer = write(
        dir.path(),
        "newer.csv",
        "Last Name,Email,First Name,Shoe size\nMüller,ana@example.com,Anna,39\nJones,cy@example.com,Cy,44\n",
    );
    let dry = json(&ingest(&store, &["rerun", &id, newer.to_str().unwrap(), "--dry-run", "--json"]));
    let contacts = &dry["objects"]["contacts"];
    assert_eq!((contacts["created"].as_u64(), contacts["updated"].as_u64()), (Some(1), Some(1)), "{dry}");
    assert_eq!(dry["mapping"][3]["matched"], "--map", "the rerun's own --map");
    let text = ok_stdout(&ingest(&store, &["rerun", &id, newer.to_str().unwrap(), "--dry-run"]));
    assert!(text.contains("contacts: 1 created, 1 updated, 0 unchanged"), "{text}");
    assert!(std::fs::read(&store).unwrap() == bytes, "the store file is not modified");
    assert_eq!(json(&ingest(&store, &["history", "--json"])).as_array().unwrap().len(), 1, "nor its log");

    // The rerun itself then does what its dry run said.
    let real = json(&ingest(&store, &["rerun", &id, newer.to_str().unwrap(), "--json"]));
    assert_eq!(real["objects"], dry["objects"]);
    let anna = json(&ingest(&store, &["get", "contacts", "--by", "email=ana@example.com", "--json"]));
    assert_eq!(anna["properties"]["firstname"], "Anna");
}

/// A dry run of several files names each file's mapping and the file of each
/// previewed row.
#[test]
fn a_dry_run_of_several_files_names_the_file_of_each_mapping_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let one = write(dir.path(), "one.csv", "Email,First Name\nana@example.com,Ana\n");
    let two = write(dir.path(), "two.csv", "Email,City\nbo@ærø.dk,Ærøskøbing\n");
    let out =
        ok_stdout(&ingest(&store, &["import", one.to_str().unwrap(), two.to_str().unwrap(), "--dry-run"]));
    for line in [
        format!("mapping of {}:", one.display()),
        format!("mapping of {}:\n  Email -> contacts.email (header)\n  City -> contacts.city", two.display()),
        format!("{} line 2: contacts created #2: city=Ærøskøbing, email=bo@ærø.dk", two.display()),
    ] {
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
    assert!(!store.exists(), "a dry run creates no store");
}
