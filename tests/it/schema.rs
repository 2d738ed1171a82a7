//! `ingest schema`: showing the schema, adding custom properties and objects,
//! applying schema files (idempotent, conflicts), deleting custom properties.

use std::path::Path;

use serde_json::Value;

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// The exit code of `ingest ARGS`, with its stderr.
fn fails(store: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = ingest(store, args);
    (out.status.code(), stderr(&out))
}

fn property<'v>(object: &'v Value, name: &str) -> &'v Value {
    object["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {object}"))
}

fn object<'v>(schema: &'v Value, name: &str) -> &'v Value {
    schema
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no object {name}"))
}

#[test]
fn schema_add_property_and_add_object_are_stored_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let out = ingest(
        &store,
        &[
            "schema",
            "add-property",
            "contacts",
            "loyalty_tier",
            "--type",
            "enumeration",
            "--options",
            "gold:Gold,silver:Silver",
        ],
    );
    assert!(ok_stdout(&out).contains("loyalty_tier (enumeration, ID 1000"), "{}", ok_stdout(&out));
    let p = json(&ingest(
        &store,
        &["schema", "add-property", "contacts", "member_code", "--type", "string", "--unique", "--json"],
    ));
    assert_eq!(p["id"], 1001);
    assert_eq!(p["unique"], true);
    ok_stdout(&ingest(
        &store,
        &[
            "schema",
            "add-object",
            "pets",
            "--label",
            "Pets",
            "--singular",
            "Pet",
            "--primary-property",
            "name",
            "--property",
            "species:string",
            "--property",
            "born:date",
            "--required",
            "name,species",
        ],
    ));

    // Every command reopens the store: what it shows is what the store file holds.
    let schema = json(&ingest(&store, &["schema", "--json"]));
    let contacts = object(&schema, "contacts");
    let tier = property(contacts, "loyalty_tier");
    assert_eq!(tier["id"], 1000);
    assert_eq!(tier["type"], "enumeration");
    assert_eq!(tier["custom"], true);
    assert_eq!(tier["label"], "Loyalty Tier");
    assert_eq!(
        tier["options"],
        serde_json::json!([{"value": "gold", "label": "Gold"}, {"value": "silver", "label": "Silver"}])
    );
    assert_eq!(property(contacts, "member_code")["unique"], true);
    assert!(tier.get("headers").is_none(), "no header spellings without --headers");
    assert_eq!(property(contacts, "email")["id"], 1, "standard IDs stay");
    let pets = object(&schema, "pets");
    assert_eq!(pets["kind"], "custom");
    assert_eq!(pets["singular"], "Pet");
    assert_eq!(pets["required_all"], serde_json::json!(["name", "species"]));
    let props: Vec<(u64, &str, &str)> = pets["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_u64().unwrap(), p["name"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        props,
        [
            (0, "hs_object_id", "record_id"),
            (1, "name", "string"),
            (2, "species", "string"),
            (3, "born", "date")
        ]
    );

    let with = json(&ingest(&store, &["schema", "contacts", "--json", "--headers"]));
    assert_eq!(property(&with, "loyalty_tier")["headers"]["en"], serde_json::json!(["loyaltytier"]));

    // Text: the objects with their record counts, one object's properties and options.
    let list = ok_stdout(&ingest(&store, &["schema"]));
    assert!(
        list.lines().any(|l| l.starts_with("pets") && l.contains("custom") && l.contains("name and species")),
        "{list}"
    );
    let text = ok_stdout(&ingest(&store, &["schema", "contacts"]));
    assert!(
        text.lines().any(|l| l.contains("1000") && l.contains("loyalty_tier") && l.contains("custom")),
        "{text}"
    );
    assert!(text.contains("options: gold (Gold), silver (Silver)"), "{text}");
    let deals = ok_stdout(&ingest(&store, &["schema", "deals"]));
    assert!(deals.contains("default  Sales Pipeline") && deals.contains("closedwon"), "{deals}");

    // Usage errors exit with 2, conflicts with the store with 1.
    let add = |obj: &str, name: &str, extra: &[&str]| {
        let mut args = vec!["schema", "add-property", obj, name];
        args.extend_from_slice(extra);
        fails(&store, &args)
    };
    let (code, err) = add("robots", "x", &["--type", "string"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown object 'robots'"), "{err}");
    assert_eq!(add("contacts", "x", &["--type", "money"]).0, Some(2));
    assert_eq!(add("contacts", "Shoe Size", &["--type", "number"]).0, Some(2));
    assert_eq!(
        add("contacts", "tier2", &["--type", "enumeration"]).0,
        Some(2),
        "an enumeration needs options"
    );
    assert_eq!(add("contacts", "n", &["--type", "number", "--options", "a,b"]).0, Some(2));
    let (code, err) = add("contacts", "loyalty_tier", &["--type", "string"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("contacts.loyalty_tier already exists"), "{err}");
    assert_eq!(fails(&store, &["schema", "robots"]).0, Some(2));
    let (code, err) =
        fails(&store, &["schema", "add-object", "pets", "--label", "Pets", "--primary-property", "name"]);
    assert_eq!(code, Some(1), "{err}");
    let (code, err) = fails(
        &store,
        &[
            "schema",
            "add-object",
            "robots",
            "--label",
            "Robots",
            "--primary-property",
            "name",
            "--required",
            "serial",
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("serial"), "{err}");
    assert!(
        json(&ingest(&store, &["schema", "--json"]))
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["name"] != "robots")
    );
}

#[test]
fn schema_read_commands_never_create_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("missing.redb");
    assert_eq!(fails(&store, &["schema"]).0, Some(1));
    assert!(!store.exists());
}

const SCHEMA_FILE: &str = r#"
[[objects.contacts.properties]]
name = "loyalty_tier"
label = "Loyalty Tier"
type = "enumeration"
options = ["gold:Gold", "silver:Silver", { value = "bronze", label = "Bronze" }]

[[objects.companies.properties]]
name = "vat_number"
label = "VAT Number"
type = "string"
unique = true

[objects.pets]
label = "Pets"
singular = "Pet"
primary_property = "name"
required = ["name"]

[[objects.pets.properties]]
name = "species"
type = "enumeration"
options = ["Cat", "Dog"]

[[objects.deals.pipelines]]
id = "partners"
label = "Partner Pipeline"
stages = [{ id = "new", label = "New" }, { id = "signed", label = "Signed", closed = true }]
"#;

#[test]
fn schema_apply_twice_changes_nothing_and_a_conflicting_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "schema.toml", SCHEMA_FILE);
    let file = file.to_str().unwrap();

    let dry = ok_stdout(&ingest(&store, &["schema", "apply", file, "--dry-run"]));
    assert!(dry.contains("nothing written"), "{dry}");
    assert!(
        json(&ingest(&store, &["schema", "--json"])).as_array().unwrap().iter().all(|o| o["name"] != "pets")
    );

    let first = ok_stdout(&ingest(&store, &["schema", "apply", file]));
    assert!(first.contains("contacts: added property loyalty_tier (enumeration, ID 1000)"), "{first}");
    assert!(first.contains("pets: created custom object"), "{first}");
    assert!(first.contains("deals: added pipeline partners"), "{first}");
    let before = ok_stdout(&ingest(&store, &["schema", "--json", "--headers"]));

    let second = ok_stdout(&ingest(&store, &["schema", "apply", file]));
    assert_eq!(second, "no changes\n");
    assert_eq!(
        ok_stdout(&ingest(&store, &["schema", "--json", "--headers"])),
        before,
        "the schema is identical"
    );
    // The same declarations in JSON, recognized by the content.
    let same = write(
        dir.path(),
        "schema.conf",
        r#"{"objects": {"contacts": {"properties": [{"name": "loyalty_tier", "type": "enumeration",
            "options": ["gold:Gold", "silver:Silver", "bronze:Bronze"]}]}}}"#,
    );
    let s = json(&ingest(&store, &["schema", "apply", same.to_str().unwrap(), "--json"]));
    assert_eq!(s["changes"], serde_json::json!([]));

    let schema: Value = serde_json::from_str(&before).unwrap();
    let tier = property(object(&schema, "contacts"), "loyalty_tier");
    assert_eq!(tier["custom"], true);
    assert_eq!(tier["options"][2], serde_json::json!({"value": "bronze", "label": "Bronze"}));
    assert_eq!(property(object(&schema, "companies"), "vat_number")["unique"], true);
    let pets = object(&schema, "pets");
    assert_eq!(pets["kind"], "custom");
    assert_eq!(property(pets, "species")["id"], 2);
    let partners = object(&schema, "deals")["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "partners")
        .cloned();
    assert_eq!(partners.unwrap()["stages"][1]["closed"], true);

    // A property of another type under the same name: exit 1, naming it; nothing written.
    let bad = write(
        dir.path(),
        "bad.toml",
        "[[objects.companies.properties]]\nname = \"tax_region\"\ntype = \"string\"\n\n\
         [[objects.contacts.properties]]\nname = \"shoe_size\"\ntype = \"number\"\n\n\
         [[objects.contacts.properties]]\nname = \"loyalty_tier\"\ntype = \"number\"\n",
    );
    let (code, err) = fails(&store, &["schema", "apply", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "contacts.loyalty_tier is an enumeration property in the store; the file declares it number"
        ),
        "{err}"
    );
    assert_eq!(ok_stdout(&ingest(&store, &["schema", "--json", "--headers"])), before, "all or nothing");
    // Unknown keys are errors too.
    let unknown = write(
        dir.path(),
        "unknown.toml",
        "[[objects.contacts.properties]]\nname = \"x\"\ntype = \"string\"\ncolour = \"red\"\n",
    );
    let (code, err) = fails(&store, &["schema", "apply", unknown.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("unknown field `colour`"), "{err}");
}

#[test]
fn schema_delete_property_refuses_while_records_hold_values_and_an_import_fills_a_custom_property() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    ok_stdout(&ingest(
        &store,
        &[
            "schema",
            "add-property",
            "contacts",
            "loyalty_tier",
            "--type",
            "enumeration",
            "--options",
            "gold:Gold,silver:Silver",
        ],
    ));
    // A column named like the custom property's label maps to it.
    let csv = write(dir.path(), "c.csv", "Email,Loyalty Tier\nada@example.com,Silver\nbob@example.com,\n");
    let s = json(&ingest(&store, &["import", csv.to_str().unwrap(), "--json"]));
    assert_eq!(s["objects"]["contacts"]["created"], 2);
    assert_eq!(s["errors"], 0);
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert_eq!(got["properties"]["loyalty_tier"], "silver");

    let (code, err) = fails(&store, &["schema", "delete-property", "contacts", "loyalty_tier"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("1 record of contacts holds a value for loyalty_tier") && err.contains("--force"),
        "{err}"
    );
    let schema = json(&ingest(&store, &["schema", "contacts", "--json"]));
    assert_eq!(property(&schema, "loyalty_tier")["id"], 1000, "still there");
    let (code, err) = fails(&store, &["schema", "delete-property", "contacts", "email"]);
    assert_eq!(code, Some(2), "a standard property: {err}");

    let d = json(&ingest(
        &store,
        &["schema", "delete-property", "contacts", "loyalty_tier", "--force", "--json"],
    ));
    assert_eq!(d["id"], 1000);
    assert_eq!(d["records_with_values"], 1);
    let schema = json(&ingest(&store, &["schema", "contacts", "--json"]));
    assert_eq!(schema["deleted_properties"], serde_json::json!([1000]));
    assert!(schema["properties"].as_array().unwrap().iter().all(|p| p["name"] != "loyalty_tier"));
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert!(got["properties"].get("loyalty_tier").is_none(), "{got}");
    // The ID is never reused, and the store is sound.
    let again = json(&ingest(
        &store,
        &["schema", "add-property", "contacts", "loyalty_tier", "--type", "string", "--json"],
    ));
    assert_eq!(again["id"], 1001);
    let got = json(&ingest(&store, &["get", "contacts", "1", "--json"]));
    assert!(
        got["properties"].get("loyalty_tier").is_none(),
        "the old value is not the new property's: {got}"
    );
    ok_stdout(&ingest(&store, &["check"]));
    // A custom property no record uses goes without --force.
    ok_stdout(&ingest(&store, &["schema", "delete-property", "contacts", "loyalty_tier"]));
}
