//! Association columns that find records by a name (SPEC 6): `assoc:companies.name`,
//! `assoc:deals.dealname`, HubSpot's bare `Associated Company` column. A name one
//! record holds links it, none is `ASSOCIATION_RECORD_NOT_FOUND`, several are
//! `AMBIGUOUS_ASSOCIATION_RECORD`; names are compared trimmed, single-spaced and
//! case-insensitively, as a row-by-row import would see them.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// A store with companies 1-5: `Acme`, `Ærø Fisk ApS`, `Nordic Fish` twice, `Beta`.
fn store_with_companies(dir: &Path) -> PathBuf {
    let store = dir.join("crm.redb");
    let companies = write(
        dir,
        "co.csv",
        "domain,name\nacme.com,Acme\nærø.dk,Ærø Fisk ApS\nnordic.no,Nordic Fish\nnordic.se,  nordic   FISH \nbeta.io,Beta\n",
    );
    ok_stdout(&ingest(&store, &["import", companies.to_str().unwrap(), "--object", "companies", "--json"]));
    store
}

fn import(store: &Path, file: &Path, args: &[&str]) -> Value {
    let mut all = vec!["import", file.to_str().unwrap()];
    all.extend_from_slice(args);
    all.push("--json");
    json(&ingest(store, &all))
}

/// The error file's lines after the header, as (line, column, value, code).
fn errors(summary: &Value) -> Vec<(String, String, String, String)> {
    let text = std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[2].to_owned(), r[3].to_owned())
        })
        .collect()
}

fn error_text(summary: &Value) -> String {
    std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap()
}

fn links(store: &Path, object: &str, id: &str) -> Value {
    json(&ingest(store, &["get", object, id, "--json"]))["associations"].clone()
}

fn row(line: &str, column: &str, value: &str, code: &str) -> (String, String, String, String) {
    (line.to_owned(), column.to_owned(), value.to_owned(), code.to_owned())
}

#[test]
fn associated_company_names_link_one_company_and_report_none_or_several() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_companies(dir.path());
    // A bare `Associated Company` holds names (HubSpot's contact export), `;`-separated.
    let file = write(
        dir.path(),
        "c.csv",
        "Email,Associated Company\n\
         ana@x.com,Acme\n\
         bo@x.com,ærø fisk aps\n\
         cy@x.com,  ÆRØ   Fisk  APS ;beta\n\
         dee@x.com,Gamma Ltd\n\
         eve@x.com,Nordic Fish;Acme\n",
    );
    let s = import(&store, &file, &[]);
    assert_eq!(s["objects"]["contacts"]["created"], 5, "{s}");
    assert_eq!(s["rows_failed"], 0, "a name that links nothing never fails the row");
    assert_eq!(s["associations"], json!({"created": 5, "existing": 0}), "{s}");
    assert_eq!(
        errors(&s),
        [
            row("5", "Associated Company", "Gamma Ltd", "ASSOCIATION_RECORD_NOT_FOUND"),
            row("6", "Associated Company", "Nordic Fish", "AMBIGUOUS_ASSOCIATION_RECORD"),
        ]
    );
    let text = error_text(&s);
    assert!(text.contains("no companies record has name 'Gamma Ltd'"), "{text}");
    assert!(
        text.contains("2 companies records have name 'Nordic Fish', so it names none of them")
            && text.contains("such as domain: assoc:companies.domain"),
        "{text}"
    );
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [1], "primary_company": 1}));
    assert_eq!(links(&store, "contacts", "2"), json!({"companies": [2], "primary_company": 2}));
    assert_eq!(links(&store, "contacts", "3"), json!({"companies": [2, 5], "primary_company": 2}));
    assert_eq!(links(&store, "contacts", "4"), json!({}));
    assert_eq!(links(&store, "contacts", "5"), json!({"companies": [1], "primary_company": 1}));
    // `--map` names the column's property explicitly, `Associated Company Name` too.
    let again = write(dir.path(), "d.csv", "Email,Employer,Associated Company Name\nana@x.com,ACME,beta\n");
    let s = import(&store, &again, &["--map", "Employer=assoc:companies.name"]);
    assert_eq!(s["associations"], json!({"created": 1, "existing": 1}), "{s}");
    ok_stdout(&ingest(&store, &["check"]));
}

#[test]
fn a_company_an_earlier_row_creates_or_renames_is_found_by_later_rows_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_companies(dir.path());
    let file = write(
        dir.path(),
        "m.csv",
        "Email,Company Domain Name,Company Name,Employer\n\
         a@x.com,,,Gamma Ltd\n\
         b@x.com,,,Acme Group\n\
         c@x.com,gamma.io,Gamma  Ltd,\n\
         d@x.com,acme.com,Acme Group,\n\
         e@x.com,,,gamma ltd\n\
         f@x.com,,,acme group\n\
         g@x.com,,,Acme\n\
         h@x.com,nordic.se,Nordic Fish AB,\n\
         i@x.com,,,Nordic Fish\n",
    );
    let s = import(
        &store,
        &file,
        &["--object", "contacts", "--object", "companies", "--map", "Employer=assoc:companies.name"],
    );
    assert_eq!(s["objects"]["companies"]["created"], 1, "{s}");
    assert_eq!(s["objects"]["companies"]["updated"], 2, "{s}");
    // Lines 2 and 3 come before the rows that create Gamma and rename Acme; line 8
    // names Acme's old name; line 10 finds the one Nordic Fish left after the rename.
    assert_eq!(
        errors(&s),
        [
            row("2", "Employer", "Gamma Ltd", "ASSOCIATION_RECORD_NOT_FOUND"),
            row("3", "Employer", "Acme Group", "ASSOCIATION_RECORD_NOT_FOUND"),
            row("8", "Employer", "Acme", "ASSOCIATION_RECORD_NOT_FOUND"),
        ],
        "{}",
        error_text(&s)
    );
    let gamma = json(&ingest(&store, &["get", "companies", "--by", "domain=gamma.io", "--json"]));
    assert_eq!(gamma["id"], 6);
    assert_eq!(gamma["associations"], json!({"contacts": [3, 5]}));
    assert_eq!(links(&store, "companies", "1"), json!({"contacts": [4, 6]}));
    assert_eq!(links(&store, "contacts", "9"), json!({"companies": [3], "primary_company": 3}));

    // --no-overwrite name: a company that has a name keeps it, so the new name
    // finds nothing; a company without one takes it.
    let store2 = dir.path().join("protected.redb");
    let companies = write(dir.path(), "co2.csv", "domain,name\nacme.com,Acme\nbeta.io,\n");
    ok_stdout(&ingest(&store2, &["import", companies.to_str().unwrap(), "--object", "companies"]));
    let file = write(
        dir.path(),
        "p.csv",
        "Email,Company Domain Name,Company Name,Employer\n\
         a@x.com,acme.com,Acme Group,\n\
         b@x.com,beta.io,Beta,\n\
         c@x.com,,,Acme Group;Acme;Beta\n",
    );
    let s = import(
        &store2,
        &file,
        &[
            "--object",
            "contacts",
            "--object",
            "companies",
            "--map",
            "Employer=assoc:companies.name",
            "--no-overwrite",
            "companies.name",
        ],
    );
    assert_eq!(errors(&s), [row("4", "Employer", "Acme Group", "ASSOCIATION_RECORD_NOT_FOUND")]);
    assert_eq!(links(&store2, "contacts", "3"), json!({"companies": [1, 2], "primary_company": 1}));
}

#[test]
fn non_ascii_names_match_in_any_case_and_spacing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_companies(dir.path());
    // Decomposed é (e + U+0301) and a no-break space match the stored form too.
    let extra = write(dir.path(), "e.csv", "domain,name\nelan.fr,Élan Société\n");
    ok_stdout(&ingest(&store, &["import", extra.to_str().unwrap(), "--object", "companies"]));
    let file = write(
        dir.path(),
        "c.csv",
        "Email,Associated Company\nsøren@ærø.dk,ærø fisk aps\nzoë@exämple.de,ÆRØ\u{a0}FISK APS\njosé@elan.fr,e\u{301}lan socie\u{301}te\u{301}\n",
    );
    let s = import(&store, &file, &[]);
    assert_eq!(s["errors"], 0, "{}", error_text(&s));
    assert_eq!(links(&store, "companies", "2"), json!({"contacts": [1, 2]}));
    assert_eq!(links(&store, "companies", "6"), json!({"contacts": [3]}));
}

#[test]
fn deals_are_found_by_their_name_and_an_unusable_property_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let deals = write(dir.path(), "d.csv", "Deal Name,Amount\nRenewal 2025,10\nUpsell,20\nUpsell,30\n");
    ok_stdout(&ingest(&store, &["import", deals.to_str().unwrap(), "--object", "deals"]));
    let file = write(dir.path(), "c.csv", "Email,Deal\nana@x.com,renewal 2025\nbo@x.com,UPSELL\n");
    let s = import(&store, &file, &["--map", "Deal=assoc:deals.dealname"]);
    assert_eq!(s["associations"]["created"], 1, "{s}");
    assert_eq!(errors(&s), [row("3", "Deal", "UPSELL", "AMBIGUOUS_ASSOCIATION_RECORD")]);
    assert!(
        error_text(&s).contains("2 deals records have dealname 'UPSELL'")
            && error_text(&s).contains("such as hs_object_id: assoc:deals.hs_object_id"),
        "{}",
        error_text(&s)
    );
    assert_eq!(links(&store, "deals", "1"), json!({"contacts": [1]}));
    let refused = ingest(&store, &["import", file.to_str().unwrap(), "--map", "Deal=assoc:deals.amount"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("deals.amount is of type number"), "{}", stderr(&refused));
}

#[test]
fn names_an_earlier_file_of_the_same_import_creates_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_companies(dir.path());
    let contacts = write(
        dir.path(),
        "contacts.csv",
        "Email,Company Domain Name,Associated Company\nana@x.com,,Gamma Ltd\nbo@x.com,delta.io,Acme Group\n",
    );
    let companies = write(
        dir.path(),
        "companies.csv",
        "Company Domain Name,Company Name\ngamma.io,Gamma Ltd\nacme.com,Acme Group\ndelta.io,Delta\n",
    );
    // The key's file (companies) is imported first, whichever order the files come in.
    let s = json(&ingest(
        &store,
        &[
            "import",
            contacts.to_str().unwrap(),
            companies.to_str().unwrap(),
            "--object",
            "contacts",
            "--object",
            "companies",
            "--common-column",
            "Company Domain Name",
            "--key-of",
            "companies",
            "--json",
        ],
    ));
    assert_eq!(s["errors"], 0, "{}", error_text(&s));
    assert_eq!(links(&store, "contacts", "1"), json!({"companies": [6], "primary_company": 6}));
    assert_eq!(links(&store, "contacts", "2")["companies"], json!([1, 7]));
}
