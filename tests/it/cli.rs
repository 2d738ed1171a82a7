//! CLI tests: every command, the exit codes, the JSON outputs and the report files.

use std::path::Path;

use serde_json::Value;

use crate::support::{finish_import, ingest, ok_stdout, spawn_paused_import};

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(ok_stdout(out).trim()).expect("JSON on stdout")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn import_prints_the_summary_and_writes_error_and_rejected_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "c.csv",
        "Email,First Name,Lifecycle Stage\n\
         ada@example.com,Ada,Lead\n\
         not-an-email,Bob,Lead\n\
         ADA@example.com ,Ada L.,Prospect\n\
         ,,\n\
         ,Cy,customer\n",
    );
    let results = dir.path().join("results.csv");
    let out =
        ingest(&store, &["import", file.to_str().unwrap(), "--json", "--results", results.to_str().unwrap()]);
    let s = json(&out);
    assert_eq!(s["status"], "done");
    assert_eq!(s["rows"], 4);
    assert_eq!(s["rows_failed"], 1);
    assert_eq!(s["errors"], 2);
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    assert_eq!(s["objects"]["contacts"]["updated"], 1);
    assert_eq!(s["objects"]["contacts"]["failed"], 1);
    assert_eq!(s["associations"]["created"], 0);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert_eq!(
        errors,
        "line,column,value,code,message\n\
         3,Email,not-an-email,INVALID_EMAIL,'not-an-email' is not a valid email address\n\
         4,Lifecycle Stage,Prospect,INVALID_ENUMERATION_OPTION,\"'Prospect' is not an option of lifecyclestage; \
         the options are: subscriber (Subscriber), lead (Lead), marketingqualifiedlead (Marketing Qualified Lead), \
         salesqualifiedlead (Sales Qualified Lead), opportunity (Opportunity), customer (Customer), \
         evangelist (Evangelist), other (Other)\"\n"
    );
    let rejected = std::fs::read_to_string(s["rejected_file"].as_str().unwrap()).unwrap();
    assert_eq!(rejected, "Email,First Name,Lifecycle Stage\nnot-an-email,Bob,Lead\n");
    let results = std::fs::read_to_string(results).unwrap();
    assert_eq!(
        results,
        "line,object,action,record_id,reason\n\
         2,contacts,created,1,\n\
         3,contacts,failed,,INVALID_EMAIL\n\
         4,contacts,updated,1,\n\
         6,contacts,created,2,\n"
    );
    // The record holds the normalized, merged values.
    let got = json(&ingest(&store, &["get", "contacts", "--by", "email= Ada@Example.com", "--json"]));
    assert_eq!(got["id"], 1);
    assert_eq!(got["properties"]["firstname"], "Ada L.");
    assert_eq!(got["properties"]["lifecyclestage"], "lead");
    assert_eq!(got["properties"]["email"], "ada@example.com");
}

#[test]
fn modes_skip_with_their_reasons_and_stats_count_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let a = write(dir.path(), "a.csv", "Email,First Name\na@x.com,A\nb@x.com,B\n");
    json(&ingest(&store, &["import", a.to_str().unwrap(), "--json"]));
    let b = write(dir.path(), "b.csv", "Email,First Name\na@x.com,A2\nc@x.com,C\n,NoKey\n");
    let results = dir.path().join("r.csv");
    let s = json(&ingest(
        &store,
        &[
            "import",
            b.to_str().unwrap(),
            "--mode",
            "update",
            "--json",
            "--results",
            results.to_str().unwrap(),
        ],
    ));
    assert_eq!(s["objects"]["contacts"]["updated"], 1);
    assert_eq!(s["objects"]["contacts"]["skipped"], 1);
    assert_eq!(s["objects"]["contacts"]["failed"], 1);
    let r = std::fs::read_to_string(&results).unwrap();
    assert!(r.contains("3,contacts,skipped,,UPDATE_ONLY_IMPORT"), "{r}");
    assert!(r.contains("4,contacts,failed,,MISSING_IDENTIFIER"), "{r}");
    let s = json(&ingest(
        &store,
        &[
            "import",
            b.to_str().unwrap(),
            "--mode",
            "create",
            "--json",
            "--results",
            results.to_str().unwrap(),
        ],
    ));
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    assert_eq!(s["objects"]["contacts"]["skipped"], 1);
    let r = std::fs::read_to_string(&results).unwrap();
    assert!(r.contains("2,contacts,skipped,,CREATE_ONLY_IMPORT"), "{r}");
    let stats = json(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 4);
    assert_eq!(stats["objects"]["companies"], 0);
    assert_eq!(stats["associations"], 0);
}

#[test]
fn unmapped_columns_stop_the_import_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(dir.path(), "c.csv", "Email,Frist Name,Shoe Size\na@x.com,A,42\n");
    let out = ingest(&store, &["import", f.to_str().unwrap(), "--object", "contacts"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'Frist Name'") && err.contains("contacts.firstname"), "{err}");
    assert!(err.contains("'Shoe Size'"), "{err}");
    let history = json(&ingest(&store, &["history", "--json"]));
    assert_eq!(history.as_array().unwrap().len(), 0);
    // --skip-unmapped and --map make it go through.
    let s = json(&ingest(
        &store,
        &["import", f.to_str().unwrap(), "--map", "Frist Name=firstname", "--skip-unmapped", "--json"],
    ));
    assert_eq!(s["objects"]["contacts"]["created"], 1);
}

#[test]
fn exit_codes_usage_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    assert_eq!(ingest(&store, &["import"]).status.code(), Some(2));
    assert_eq!(ingest(&store, &["frobnicate"]).status.code(), Some(2));
    let out = ingest(&store, &["import", dir.path().join("missing.csv").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let bad = ingest(&store, &["import", "x.csv", "--mode", "sideways"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_store_in_use_is_reported_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let held = store::Store::open(&path).unwrap();
    let f = write(dir.path(), "c.csv", "Email\na@x.com\n");
    let out = ingest(&path, &["import", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(held);
    assert!(ingest(&path, &["import", f.to_str().unwrap()]).status.success());
}

#[test]
fn history_export_and_get_show_what_was_imported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(
        dir.path(),
        "co.csv",
        "Company name;Company Domain Name;Number of Employees;Annual Revenue;Is Public\n\
         Acme;https://www.Acme.com/about;1.200;1.234.567,50;ja\n\
         Globex;globex.nl;12;abc;nee\n",
    );
    let s = json(&ingest(
        &store,
        &[
            "import",
            f.to_str().unwrap(),
            "--number-locale",
            "nl",
            "--header-lang",
            "nl",
            "--name",
            "firms",
            "--json",
        ],
    ));
    assert_eq!(s["objects"]["companies"]["created"], 2);
    assert_eq!(s["errors"], 1);
    let h = json(&ingest(&store, &["history", "--json"]));
    assert_eq!(h[0]["name"], "firms");
    assert_eq!(h[0]["status"], "done");
    assert_eq!(h[0]["counts"]["companies"]["created"], 2);
    let one = json(&ingest(&store, &["history", "1", "--json"]));
    assert_eq!(one["options"]["mapping"][0]["columns"]["Company Domain Name"], "companies.domain");
    let out = ingest(&store, &["export", "companies", "--format", "jsonl"]);
    let lines: Vec<Value> = ok_stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["properties"]["domain"], "acme.com");
    assert_eq!(lines[0]["properties"]["numberofemployees"], 1200);
    assert_eq!(lines[0]["properties"]["annualrevenue"], serde_json::json!(1_234_567.5));
    assert_eq!(lines[0]["properties"]["is_public"], true);
    assert!(lines[1]["properties"].get("annualrevenue").is_none());
    let csv = ok_stdout(&ingest(&store, &["export", "companies", "--format", "csv"]));
    assert!(csv.starts_with("hs_object_id,name,domain,"), "{csv}");
    assert!(csv.contains("1,Acme,acme.com,,1200,1234567.5,"), "{csv}");
    let got = json(&ingest(&store, &["get", "companies", "--by", "domain=http://acme.com", "--json"]));
    assert_eq!(got["id"], 1);
    assert_eq!(ingest(&store, &["get", "companies", "9"]).status.code(), Some(1));
}

#[test]
fn inspect_reports_dialect_and_structural_errors() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.csv");
    std::fs::write(&f, b"\xEF\xBB\xBFa;b\r\n1;2\r\n3\r\n\"open;4\r\n5;6\r\n").unwrap();
    let r = json(&ingest(&dir.path().join("unused.redb"), &["inspect", f.to_str().unwrap(), "--json"]));
    assert_eq!(r["encoding"], "utf-8");
    assert_eq!(r["bom"], true);
    assert_eq!(r["delimiter"], ";");
    assert_eq!(r["line_ending"], "crlf");
    assert_eq!(r["header"], serde_json::json!(["a", "b"]));
    assert_eq!(r["rows"], 4);
    let errors: Vec<(u64, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, vec![(3, "INCORRECT_NUMBER_OF_COLUMNS"), (4, "UNTERMINATED_QUOTE")]);
    assert!(!dir.path().join("unused.redb").exists(), "inspect needs no store");
}

#[test]
fn gen_writes_reproducible_files_and_header_languages_map() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    for sub in ["a", "b"] {
        let out = dir.path().join(sub);
        ok_stdout(&ingest(
            &store,
            &["gen", "contacts", "companies", "--rows", "500", "--seed", "9", "--out", out.to_str().unwrap()],
        ));
    }
    let a = std::fs::read(dir.path().join("a/contacts.csv")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b/contacts.csv")).unwrap());
    assert_eq!(String::from_utf8(a).unwrap().lines().count(), 501);
    let nl = write(
        dir.path(),
        "nl.csv",
        "Voornaam,Achternaam,E-mailadres,Woonplaats\nJan,Jansen,jan@x.nl,Utrecht\n",
    );
    let s = json(&ingest(&store, &["import", nl.to_str().unwrap(), "--header-lang", "nl", "--json"]));
    assert_eq!(s["objects"]["contacts"]["created"], 1);
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["lastname"], "Jansen");
    assert_eq!(got["properties"]["city"], "Utrecht");
}

#[test]
fn no_overwrite_keeps_existing_values_and_unchanged_rows_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let a = write(dir.path(), "a.csv", "Email,City,Job Title\na@x.com,Oslo,\n");
    json(&ingest(&store, &["import", a.to_str().unwrap(), "--json"]));
    let b = write(dir.path(), "b.csv", "Email,City,Job Title\na@x.com,Rome,CEO\n");
    let s = json(&ingest(&store, &["import", b.to_str().unwrap(), "--no-overwrite", "city", "--json"]));
    assert_eq!(s["objects"]["contacts"]["updated"], 1);
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["city"], "Oslo");
    assert_eq!(got["properties"]["jobtitle"], "CEO");
    let s = json(&ingest(&store, &["import", b.to_str().unwrap(), "--no-overwrite-all", "--json"]));
    assert_eq!(s["objects"]["contacts"]["unchanged"], 1);
}

/// A large contacts file for the tests that change it during an import.
fn big_file(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("Email,First Name,City\n");
    for i in 0..200_000 {
        text.push_str(&format!("person{i}@example.com,Name{i},City{}\n", i % 50));
    }
    write(dir, "big.csv", &text)
}

#[test]
fn a_file_truncated_during_an_import_fails_it_cleanly_instead_of_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = big_file(dir.path());
    let (child, stderr) = spawn_paused_import(&store, &file, 1000, &["--chunk-bytes", "65536"]);
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(100).unwrap();
    let (code, err) = finish_import(child, stderr);
    assert_eq!(code, Some(1), "no signal death; stderr: {err}");
    assert!(err.contains("was truncated or replaced") || err.contains("changed while"), "{err}");
    // Nothing was committed and the import is listed as interrupted.
    let stats = json(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 0);
    let h = json(&ingest(&store, &["history", "--json"]));
    assert_eq!(h[0]["status"], "interrupted");
}

#[test]
fn a_file_rewritten_during_an_import_is_detected_before_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = big_file(dir.path());
    let (child, stderr) = spawn_paused_import(&store, &file, 1000, &["--chunk-bytes", "65536"]);
    // Same size, new content and modification time: no fault, but not the same file.
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[30] = b'X';
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, &bytes).unwrap();
    let (code, err) = finish_import(child, stderr);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("changed while it was being imported"), "{err}");
    let stats = json(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 0);
}

#[test]
fn internationalized_emails_and_domains_match_in_one_normal_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let contacts = write(
        dir.path(),
        "c.csv",
        "Email,First Name,City\n\
         josé.müller@exämple.de,José,München\n\
         JOSÉ.MÜLLER@xn--exmple-cua.de,José M.,\n\
         ærø@ærø.dk,Søren,Ærøskøbing\n",
    );
    let s = json(&ingest(&store, &["import", contacts.to_str().unwrap(), "--json"]));
    assert_eq!(s["objects"]["contacts"]["created"], 2, "{s}");
    assert_eq!(s["objects"]["contacts"]["updated"], 1, "{s}");
    assert_eq!(s["rows_failed"], 0);
    let got = json(&ingest(&store, &["get", "contacts", "--by", "email=José.Müller@EXÄMPLE.de", "--json"]));
    assert_eq!(got["properties"]["email"], "josé.müller@exämple.de");
    assert_eq!(got["properties"]["firstname"], "José M.");
    assert_eq!(got["properties"]["city"], "München");
    let companies = write(
        dir.path(),
        "co.csv",
        "Company Name,Company Domain Name\nÆrø Rederi,https://www.ærø.dk/om\nÆrø Rederi A/S,XN--R-3FA9C.DK\n",
    );
    let s = json(&ingest(&store, &["import", companies.to_str().unwrap(), "--json"]));
    assert_eq!(s["objects"]["companies"]["created"], 1, "{s}");
    assert_eq!(s["objects"]["companies"]["updated"], 1, "{s}");
    let got = json(&ingest(&store, &["get", "companies", "--by", "domain=ÆRØ.dk", "--json"]));
    assert_eq!(got["properties"]["domain"], "ærø.dk");
    assert_eq!(got["properties"]["name"], "Ærø Rederi A/S");
}

#[test]
fn the_demo_prints_commands_that_work_as_printed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a store.redb");
    let out = std::process::Command::new(crate::support::ingest_bin())
        .current_dir(dir.path())
        .arg("--store")
        .arg(&store)
        .args(["demo", "--rows", "2000"])
        .output()
        .unwrap();
    let text = ok_stdout(&out);
    let commands: Vec<&str> =
        text.lines().skip_while(|l| *l != "try:").skip(1).map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(commands.len(), 4, "{text}");
    for command in commands {
        let run = std::process::Command::new("sh").args(["-c", command]).current_dir("/").output().unwrap();
        assert!(run.status.success(), "{command}: {}", String::from_utf8_lossy(&run.stderr));
        assert!(!run.stdout.is_empty(), "{command} printed nothing");
    }
}

#[test]
fn planner_row_errors_name_their_column() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let first = write(dir.path(), "a.csv", "Email\na@x.com\nb@x.com\n");
    json(&ingest(&store, &["import", first.to_str().unwrap(), "--json"]));
    let f = write(dir.path(), "b.csv", "Record ID,Email,First Name\n99,c@x.com,C\n1,b@x.com,A\n,,Nobody\n");
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--mode", "update", "--json"]));
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    let lines: Vec<&str> = errors.lines().collect();
    assert!(lines[1].starts_with("2,Record ID,99,INVALID_RECORD_ID,"), "{errors}");
    assert!(lines[2].starts_with("3,Email,b@x.com,DUPLICATE_UNIQUE_PROPERTY_VALUE,"), "{errors}");
    assert!(lines[3].starts_with("4,Email,,MISSING_IDENTIFIER,"), "{errors}");
}

#[test]
fn repeated_headers_stop_the_import_until_every_occurrence_is_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    // HubSpot exports repeat headers for the associated company.
    let f = write(
        dir.path(),
        "c.csv",
        "Email,Phone Number,Country/Region,Phone Number,country/region\na@x.com,111,NL,222,DE\n",
    );
    let f = f.to_str().unwrap();
    let out = ingest(&store, &["import", f]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'Phone Number' in columns 2, 4"), "{err}");
    assert!(err.contains("'Country/Region' in columns 3, 5"), "{err}");
    assert!(err.contains("NAME#2="), "{err}");
    // Mapping only the first occurrence is not enough; --skip-unmapped does not pick either.
    for extra in [&["--map", "Phone Number=phone"][..], &["--skip-unmapped"]] {
        let out = ingest(&store, &[&["import", f][..], extra].concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
    }
    assert_eq!(json(&ingest(&store, &["history", "--json"])).as_array().unwrap().len(), 0);
    let bad = ingest(&store, &["import", f, "--map", "Phone Number#3=phone"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no column named 'Phone Number#3'"));
    let s = json(&ingest(
        &store,
        &[
            "import",
            f,
            "--map",
            "Phone Number=phone",
            "--map",
            "Phone Number#2=mobilephone",
            "--map",
            "Country/Region#1=country",
            "--map",
            "Country/Region#2=-",
            "--json",
        ],
    ));
    assert_eq!(s["objects"]["contacts"]["created"], 1);
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["phone"], "111");
    assert_eq!(got["properties"]["mobilephone"], "222");
    assert_eq!(got["properties"]["country"], "NL");
}

#[test]
fn a_date_error_names_the_format_in_force_and_suggests_date_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    // A date no order reads: the error names the format in force (ISO, the default).
    let bad = write(dir.path(), "bad.csv", "Email,Date of Birth\nb@x.com,32/01/1990\n");
    let s = json(&ingest(&store, &["import", bad.to_str().unwrap(), "--json"]));
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("YYYY-MM-DD (ISO 8601)") && errors.contains("--date-format"), "{errors}");
    // 31/01/1990 only reads day first: without --date-format the column decides.
    let f = write(dir.path(), "c.csv", "Email,Date of Birth\na@x.com,31/01/1990\n");
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--json"]));
    assert_eq!(s["errors"], 0, "{s}");
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--date-format", "MM/DD/YYYY", "--json"]));
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("MM/DD/YYYY (or ISO 8601)"), "{errors}");
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--date-format", "DD/MM/YYYY", "--json"]));
    assert_eq!(s["errors"], 0);
}

#[test]
fn the_summary_names_skipped_columns_rows_without_identifier_and_only_real_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(dir.path(), "c.csv", "Email,First Name,Shoe Size,Notes\na@x.com,A,42,x\n,Nobody,41,y\n");
    let args = ["import", f.to_str().unwrap(), "--map", "Notes=-", "--skip-unmapped"];
    let text = ok_stdout(&ingest(&store, &args));
    assert!(text.contains("skipped columns: 'Shoe Size', 'Notes'"), "{text}");
    assert!(text.contains("1 rows created a record without an identifier"), "{text}");
    assert!(!text.contains("rejected:") && !text.contains("errors:"), "{text}");
    let s = json(&ingest(&store, &[&args[..], &["--json"]].concat()));
    assert_eq!(s["skipped_columns"], serde_json::json!(["Shoe Size", "Notes"]));
    assert_eq!(s["created_without_identifier"], 1);
    assert_eq!(s["objects"]["contacts"]["created"], 1, "the row without identifier is created again");
    let bad = write(dir.path(), "d.csv", "Email,Date of Birth\nnot-an-email,1990-01-01\nb@x.com,someday\n");
    let text = ok_stdout(&ingest(&store, &["import", bad.to_str().unwrap()]));
    assert!(text.contains("errors:") && text.contains("rejected:"), "{text}");
}

#[test]
fn record_ids_from_another_system_are_explained_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(dir.path(), "c.csv", "Record ID,Email\n9001,a@x.com\n9002,b@x.com\n");
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--json"]));
    assert_eq!(s["rows_failed"], 2);
    let advice = s["record_id_advice"].as_str().unwrap();
    assert!(advice.contains("none of the 2 record IDs in column 'Record ID'"), "{advice}");
    let text = ok_stdout(&ingest(&store, &["import", f.to_str().unwrap()]));
    assert_eq!(text.matches("probably come from another system").count(), 1, "{text}");
    // Following the advice imports the rows by email.
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--map", "Record ID=-", "--json"]));
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    // Once some IDs exist, failures are ordinary row errors, without the advice.
    let g = write(dir.path(), "d.csv", "Record ID,Email\n1,a@x.com\n9003,c@x.com\n");
    let s = json(&ingest(&store, &["import", g.to_str().unwrap(), "--json"]));
    assert_eq!(s["rows_failed"], 1);
    assert!(s.get("record_id_advice").is_none(), "{s}");
}

#[test]
fn inspect_shows_the_object_and_mapping_an_import_would_choose() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "c.csv", "Company Name,Company Domain Name,Shoe Size\nAcme,acme.com,42\n");
    let r = json(&ingest(&dir.path().join("unused.redb"), &["inspect", f.to_str().unwrap(), "--json"]));
    assert_eq!(r["object"], "companies");
    assert_eq!(r["mapping"][0]["target"], "companies.name");
    assert_eq!(r["mapping"][1]["target"], "companies.domain");
    assert_eq!(r["mapping"][2]["target"], "");
    assert!(r["mapping_error"].as_str().unwrap().contains("'Shoe Size'"), "{r}");
    assert!(!dir.path().join("unused.redb").exists(), "inspect needs no store");
    let text = ok_stdout(&ingest(&dir.path().join("unused.redb"), &["inspect", f.to_str().unwrap()]));
    assert!(text.contains("object:      companies") && text.contains("-> companies.domain"), "{text}");
}

#[test]
fn trailing_unnamed_columns_are_ignored_while_they_hold_no_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    // As Excel saves a sheet whose formatting ran past the data.
    let f = write(dir.path(), "c.csv", "Email,First Name,,\r\na@x.com,A,,\r\nb@x.com,B,,\r\n");
    let s = json(&ingest(&store, &["import", f.to_str().unwrap(), "--json"]));
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    assert_eq!(s["skipped_columns"], serde_json::json!([]));
    // A value under a column without a name: an unmapped column, nothing committed.
    let g = write(dir.path(), "d.csv", "Email,First Name,,\na@x.com,A2,,\nc@x.com,C,,oops\n");
    let out = ingest(&store, &["import", g.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("column 4 has no name in the header but holds values (the first on line 3)"),
        "{err}"
    );
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["firstname"], "A", "nothing of the failed import was committed");
    // A blank name between named columns is an unmapped column as before.
    let h = write(dir.path(), "e.csv", "Email,,First Name\na@x.com,,A\n");
    let out = ingest(&store, &["import", h.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("column 2 has no name"));
    let s = json(&ingest(&store, &["import", g.to_str().unwrap(), "--skip-unmapped", "--json"]));
    assert_eq!(s["objects"]["contacts"]["created"], 1);
}

#[test]
fn unknown_option_values_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let f = write(dir.path(), "c.csv", "Email\na@x.com\n");
    let f = f.to_str().unwrap();
    for args in [
        &["import", f, "--date-format", "YYYY/DD"][..],
        &["import", f, "--number-locale", "xx"],
        &["import", f, "--header-lang", "tlh"],
        &["import", f, "--object", "unicorns"],
        &["import", f, "--id", "contacts"],
        &["get", "unicorns", "1"],
        &["export", "unicorns"],
        &["get", "contacts"],
    ] {
        let out = ingest(&store, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(!store.exists() || json(&ingest(&store, &["history", "--json"])).as_array().unwrap().is_empty());
}

#[test]
fn an_import_of_several_files_reports_each_file_and_rejects_into_one_file_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let a = write(dir.path(), "a.csv", "Email,First Name\na@x.com,A\nbad-a,X\n");
    let b = write(dir.path(), "b list.csv", "First Name,Email\nB,b@x.com\nY,bad-b\n");
    let results = dir.path().join("results.csv");
    let s = json(&ingest(
        &store,
        &[
            "import",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
            "--json",
        ],
    ));
    assert_eq!(s["rows_failed"], 2);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines[0], "file,line,column,value,code,message");
    assert!(lines[1].starts_with(&format!("{},3,Email,bad-a,INVALID_EMAIL", a.display())), "{errors}");
    assert!(lines[2].starts_with(&format!("{},3,Email,bad-b,INVALID_EMAIL", b.display())), "{errors}");
    let results = std::fs::read_to_string(&results).unwrap();
    assert!(results.starts_with("file,line,object,action,record_id,reason\n"), "{results}");
    assert!(results.contains(&format!("{},2,contacts,created,2,", b.display())), "{results}");
    let files: Vec<String> =
        s["rejected_files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect();
    assert_eq!(files.len(), 2);
    assert!(
        files[0].ends_with("rejected-1-a.csv") && files[1].ends_with("rejected-2-b_list.csv"),
        "{files:?}"
    );
    assert_eq!(std::fs::read_to_string(&files[0]).unwrap(), "Email,First Name\nbad-a,X\n");
    assert_eq!(std::fs::read_to_string(&files[1]).unwrap(), "First Name,Email\nY,bad-b\n");
    // Each rejected file re-imports on its own, with its own column order.
    for f in &files {
        let again = json(&ingest(&store, &["import", f, "--json"]));
        assert_eq!(again["rows_failed"], 1, "{f}");
        assert_eq!(again["rejected_files"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn hubspot_placeholders_for_no_value_are_blank_cells() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let a = write(dir.path(), "a.csv", "Email,First Name,Phone Number\na@x.com,Ada,+31 6 1234\n");
    json(&ingest(&store, &["import", a.to_str().unwrap(), "--json"]));
    // A HubSpot export of the same contact: placeholders change nothing.
    let b =
        write(dir.path(), "b.csv", "Email,First Name,Phone Number\na@x.com,[not provided],null\nNULL,Bob,\n");
    let s = json(&ingest(&store, &["import", b.to_str().unwrap(), "--json"]));
    assert_eq!(s["objects"]["contacts"]["unchanged"], 1, "{s}");
    assert_eq!(s["objects"]["contacts"]["created"], 1, "{s}");
    assert_eq!(s["errors"], 0, "a null email is no email, not an invalid one: {s}");
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["firstname"], "Ada");
    assert_eq!(got["properties"]["phone"], "+31 6 1234");
}
