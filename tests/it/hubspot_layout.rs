//! HubSpot's export layout (SPEC 6): object sections that start with `Record ID -
//! <Object>`, header names repeated across sections, `Associated <Object> ...`
//! columns as association columns, and `export --with` writing the same layout
//! so that importing it into its store changes nothing.

use serde_json::json;

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// A HubSpot-style export of contacts with their company: two sections, `Create
/// Date` in both, non-ASCII names, emails and domains.
const EXPORT: &str = "\
Record ID - Contact,First Name,Last Name,Email,Create Date,Record ID - Company,Company name,Company Domain Name,Create Date
,José,Müller,josé.müller@exämple.de,2024-01-05,,Ærø Shipping,ærø.dk,2023-03-01
,Åsa,Ødegård,åsa@ærø.dk,2024-02-05,,Ærø Shipping,ærø.dk,2023-03-01
,Li,Smith,li@acme.com,,,,,
";

fn import_json(store: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    all.push("--json");
    json(&ingest(store, &all))
}

#[test]
fn an_export_with_sections_imports_as_a_multi_object_file_without_a_map() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "hubspot.csv", EXPORT);
    let out = import_json(&store, &[file.to_str().unwrap()]);
    assert_eq!(out["objects"]["contacts"]["created"], 3, "{out}");
    assert_eq!(out["objects"]["companies"]["created"], 1, "{out}");
    assert_eq!(out["objects"]["companies"]["unchanged"], 1, "the second row finds the company by domain");
    assert_eq!(out["associations"], json!({"created": 2, "existing": 0}));
    let company = json(&ingest(&store, &["get", "companies", "1", "--json"]));
    assert_eq!(company["properties"]["domain"], "ærø.dk");
    assert_eq!(company["properties"]["createdate"], "2023-03-01T00:00:00Z", "its section's Create Date");
    let contact = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(contact["properties"]["createdate"], "2024-01-05T00:00:00Z");
    assert_eq!(contact["associations"], json!({"companies": [1], "primary_company": 1}));

    // The record ID columns: a second import of the file with IDs updates them.
    let with_ids = write(
        dir.path(),
        "ids.csv",
        "Record ID - Contact,First Name,Record ID - Company,Company name\n2,Åse,1,Ærø Shipping A/S\n",
    );
    let out = import_json(&store, &[with_ids.to_str().unwrap()]);
    assert_eq!(out["objects"]["contacts"]["updated"], 1, "{out}");
    assert_eq!(out["objects"]["companies"]["updated"], 1, "{out}");
    assert_eq!(out["associations"]["existing"], 1);
    let contact = json(&ingest(&store, &["get", "contacts", "2", "--json"]));
    assert_eq!(contact["properties"]["firstname"], "Åse");

    // A name repeated within one section is still refused.
    let repeated = write(dir.path(), "rep.csv", "Record ID - Contact,Email,Email\n,a@b.com,c@d.com\n");
    let refused = ingest(&store, &["import", repeated.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("appear more than once"), "{}", stderr(&refused));

    // --object names the sections to import: the others are skipped.
    let only = import_json(&store, &[file.to_str().unwrap(), "--object", "contacts"]);
    let contacts = &only["objects"]["contacts"];
    assert_eq!(
        (contacts["unchanged"].as_u64(), contacts["updated"].as_u64()),
        (Some(2), Some(1)),
        "Åse is Åsa again: {only}"
    );
    assert!(only["objects"].get("companies").is_none(), "{only}");
}

#[test]
fn associated_columns_link_to_existing_records_by_their_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let companies = write(dir.path(), "co.csv", "domain,name\nærø.dk,Ærø\nacme.com,Acme\n");
    import_json(&store, &[companies.to_str().unwrap(), "--object", "companies"]);
    let deals = write(dir.path(), "d.csv", "Deal Name,Amount\nBig,10\n");
    import_json(&store, &[deals.to_str().unwrap(), "--object", "deals"]);
    let contacts = write(
        dir.path(),
        "c.csv",
        "Email,Associated Company Domain,Associated Deal IDs\n\
         ana@ærø.dk,ærø.dk;acme.com,1\n\
         bo@acme.com,nowhere.org,\n",
    );
    let out = import_json(&store, &[contacts.to_str().unwrap()]);
    assert_eq!(out["objects"]["contacts"]["created"], 2, "{out}");
    assert_eq!(out["associations"]["created"], 3, "{out}");
    assert_eq!(out["errors"], 1, "nowhere.org names no company: {out}");
    let ana = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(ana["associations"], json!({"companies": [1, 2], "deals": [1], "primary_company": 1}));
    let errors = std::fs::read_to_string(out["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("ASSOCIATION_RECORD_NOT_FOUND") && errors.contains("nowhere.org"), "{errors}");
}

#[test]
fn export_with_associated_records_reimports_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "multi.csv",
        "Email,First Name,Company Name,Company Domain Name,Deal Name,Amount\n\
         josé@exämple.de,José,Exämple,exämple.de,Renewal,100\n\
         josé@exämple.de,José,Ærø,ærø.dk,,\n\
         li@acme.com,Li,,,,\n\
         åsa@ærø.dk,Åsa,Ærø,ærø.dk,Upsell,=1+2\n",
    );
    import_json(
        &store,
        &[file.to_str().unwrap(), "--object", "contacts", "--object", "companies", "--object", "deals"],
    );
    let exported = dir.path().join("with.csv");
    ok_stdout(&ingest(
        &store,
        &[
            "export",
            "contacts",
            "--with",
            "companies,deals",
            "--format",
            "csv",
            "--out",
            exported.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&exported).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("Record ID - Contact,email,"), "{header}");
    assert!(
        header.contains(",Record ID - Company,name,domain,") && header.contains(",Record ID - Deal,"),
        "{header}"
    );
    // José: two companies and one deal (3 rows); Li: none (1 row); Åsa: one of each (2 rows).
    assert_eq!(text.lines().count(), 1 + 3 + 1 + 2, "{text}");
    let before = ok_stdout(&ingest(&store, &["export", "contacts", "--format", "csv"]));
    let links_before = json(&ingest(&store, &["stats", "--json"]))["associations"].clone();
    let out = import_json(&store, &[exported.to_str().unwrap()]);
    for object in ["contacts", "companies", "deals"] {
        let counts = &out["objects"][object];
        assert_eq!(
            (counts["created"].as_u64(), counts["updated"].as_u64(), counts["failed"].as_u64()),
            (Some(0), Some(0), Some(0)),
            "{object}: {out}"
        );
    }
    assert_eq!(out["associations"]["created"], 0, "{out}");
    assert_eq!(out["errors"], 0, "{out}");
    assert_eq!(ok_stdout(&ingest(&store, &["export", "contacts", "--format", "csv"])), before);
    assert_eq!(json(&ingest(&store, &["stats", "--json"]))["associations"], links_before);

    let refused = ingest(&store, &["export", "contacts", "--with", "companies"]);
    assert_eq!(refused.status.code(), Some(2), "jsonl has its associations already: {}", stderr(&refused));
}

#[test]
fn create_with_ids_keeps_the_files_record_ids_and_moves_the_sequence_past_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "ids.csv",
        "Record ID,Email,First Name\n900,søren@ærø.dk,Søren\n500,zoë@exämple.de,Zoë\n900,,Søren B\n,li@acme.com,Li\n7,søren@ærø.dk,Other\n",
    );
    let plain = ingest(&store, &["import", file.to_str().unwrap(), "--json"]);
    let plain = json(&plain);
    assert_eq!(
        plain["objects"]["contacts"]["failed"], 4,
        "without the option an unknown ID is refused: {plain}"
    );
    let update_only = import_json(&store, &[file.to_str().unwrap(), "--create-with-ids", "--mode", "update"]);
    assert_eq!(
        update_only["objects"]["contacts"]["created"], 0,
        "update mode creates nothing: {update_only}"
    );

    let out = import_json(&store, &[file.to_str().unwrap(), "--create-with-ids"]);
    let counts = &out["objects"]["contacts"];
    assert_eq!(
        (
            counts["created"].as_u64(),
            counts["updated"].as_u64(),
            counts["unchanged"].as_u64(),
            counts["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1), Some(1)),
        "900 and 500 created, 900 again updated, li (created by the first import) unchanged: {out}"
    );
    let errors = std::fs::read_to_string(out["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("DUPLICATE_UNIQUE_PROPERTY_VALUE"), "ID 7 with søren's email: {errors}");
    let get = |id: &str| json(&ingest(&store, &["get", "contacts", id, "--json"]));
    assert_eq!(get("900")["properties"]["firstname"], "Søren B");
    assert_eq!(get("500")["properties"]["email"], "zoë@exämple.de");
    // The sequence moved past 900.
    let next = write(dir.path(), "next.csv", "Email\nnew@acme.com\n");
    import_json(&store, &[next.to_str().unwrap()]);
    assert_eq!(get("901")["properties"]["email"], "new@acme.com");
    assert!(ok_stdout(&ingest(&store, &["check"])).contains("ok"));
}

#[test]
fn a_contact_export_with_associated_company_names_reimports_into_its_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(
        dir.path(),
        "multi.csv",
        "Email,First Name,Company Name,Company Domain Name,Deal Name\n\
         josé@exämple.de,José,Exämple GmbH,exämple.de,Renewal\n\
         josé@exämple.de,José,Ærø Fisk ApS,ærø.dk,\n\
         li@acme.com,Li,,,\n\
         åsa@ærø.dk,Åsa,Ærø Fisk ApS,ærø.dk,Upsell\n",
    );
    import_json(
        &store,
        &[file.to_str().unwrap(), "--object", "contacts", "--object", "companies", "--object", "deals"],
    );
    let links_before = json(&ingest(&store, &["stats", "--json"]))["associations"].clone();
    let before = ok_stdout(&ingest(&store, &["export", "contacts"]));
    // As HubSpot exports contacts with their associations: the companies by name
    // (`;` between several, in HubSpot's capitals or not), the deals by ID.
    let export = write(
        dir.path(),
        "hubspot-contacts.csv",
        "Record ID - Contact,First Name,Email,Associated Company,Associated Deal\n\
         1,José,josé@exämple.de,Exämple GmbH;Ærø Fisk ApS,1\n\
         2,Li,li@acme.com,,\n\
         3,Åsa,åsa@ærø.dk,ÆRØ FISK APS,2\n",
    );
    let out = import_json(&store, &[export.to_str().unwrap()]);
    assert_eq!(out["errors"], 0, "{out}");
    assert_eq!(out["objects"]["contacts"]["unchanged"], 3, "{out}");
    assert_eq!(out["associations"], json!({"created": 0, "existing": 5}), "{out}");
    assert_eq!(ok_stdout(&ingest(&store, &["export", "contacts"])), before);
    assert_eq!(json(&ingest(&store, &["stats", "--json"]))["associations"], links_before);
}
