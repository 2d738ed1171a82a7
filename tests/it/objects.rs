//! Every object of the model imports by its own rules (SPEC 1, 3): deals with
//! pipelines and stages, activities that are created but never updated, the
//! required properties per object.

use std::path::Path;

use serde_json::Value;

use crate::support::{ingest, ok_stdout, write};

fn import(store: &Path, file: &Path, args: &[&str]) -> Value {
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok_stdout(&ingest(store, &all))).unwrap()
}

fn export(store: &Path, object: &str) -> Vec<Value> {
    ok_stdout(&ingest(store, &["export", object])).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn errors(summary: &Value) -> String {
    std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap()
}

#[test]
fn deals_get_the_default_pipeline_and_stages_are_checked_against_their_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = write(
        dir.path(),
        "deals.csv",
        "Deal Name,Amount,Deal Stage,Pipeline\n\
         Big one,1000,Closed Won,\n\
         No stage,500,,\n\
         Wrong stage,10,New,Sales Pipeline\n\
         Wrong pipeline,10,closedwon,Renewals\n\
         ,20,closedwon,default\n",
    );
    let s = import(&store, &file, &["--object", "deals"]);
    assert_eq!(s["objects"]["deals"]["created"], 4, "{s}");
    assert_eq!(s["objects"]["deals"]["failed"], 1, "the deal without a name: {s}");
    let deals = export(&store, "deals");
    let stage = |i: usize| deals[i]["properties"]["dealstage"].as_str().unwrap().to_owned();
    let pipeline = |i: usize| deals[i]["properties"]["pipeline"].as_str().unwrap().to_owned();
    assert_eq!((pipeline(0), stage(0)), ("default".into(), "closedwon".into()), "label to internal value");
    assert_eq!((pipeline(1), stage(1)), ("default".into(), "appointmentscheduled".into()), "defaults");
    assert_eq!(stage(2), "appointmentscheduled", "a stage of another pipeline is a value error");
    let errors = errors(&s);
    assert!(
        errors.contains(
            "4,Deal Stage,New,INVALID_ENUMERATION_OPTION,\"'New' is not a stage of pipeline 'Sales Pipeline'"
        ),
        "{errors}"
    );
    assert!(errors.contains("5,Pipeline,Renewals,INVALID_ENUMERATION_OPTION"), "{errors}");
    assert!(
        errors.contains("6,,,MISSING_REQUIRED_PROPERTY,a new deals record needs one of dealname"),
        "{errors}"
    );
}

#[test]
fn activities_are_created_never_updated_and_notes_need_a_timestamp_and_a_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let notes = write(
        dir.path(),
        "notes.csv",
        "Note body,Activity date\nCalled them,2025-01-02T10:00:00Z\nNo timestamp,\n,2025-01-03T10:00:00Z\n",
    );
    let s = import(&store, &notes, &["--object", "notes"]);
    assert_eq!(s["objects"]["notes"]["created"], 1, "{s}");
    assert_eq!(s["objects"]["notes"]["failed"], 2, "{s}");
    assert!(
        errors(&s)
            .contains("MISSING_REQUIRED_PROPERTY,a new notes record needs hs_timestamp and hs_note_body")
    );
    // A row that matches an existing activity is skipped, the note stays as it was.
    let again =
        write(dir.path(), "again.csv", "Record ID,Note body,Activity date\n1,Changed,2025-01-02T10:00:00Z\n");
    let results = dir.path().join("results.csv");
    let s = import(&store, &again, &["--object", "notes", "--results", results.to_str().unwrap()]);
    assert_eq!(s["objects"]["notes"]["skipped"], 1, "{s}");
    assert!(std::fs::read_to_string(&results).unwrap().contains("2,notes,skipped,,ACTIVITY_NOT_UPDATABLE"));
    assert_eq!(export(&store, "notes")[0]["properties"]["hs_note_body"], "Called them");
    // Calls can be updated.
    let calls = write(dir.path(), "calls.csv", "Call title,Activity date\nIntro,2025-01-02T10:00:00Z\n");
    import(&store, &calls, &["--object", "calls"]);
    let update = write(dir.path(), "calls2.csv", "Record ID,Call title\n1,Intro call\n");
    let s = import(&store, &update, &["--object", "calls"]);
    assert_eq!(s["objects"]["calls"]["updated"], 1, "{s}");
    assert_eq!(export(&store, "calls")[0]["properties"]["hs_call_title"], "Intro call");
}

#[test]
fn every_object_of_the_model_imports_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let files = [
        ("tickets", "Ticket name,Ticket status,Pipeline\nPrinter broken,Waiting on us,Support Pipeline\n"),
        ("products", "Name,Unit price,SKU\nWidget,9.99,W-1\n"),
        ("deals", "Deal name\nBig one\n"),
        // A line item must be associated with a deal (here by an association column).
        ("line_items", "Name,Quantity,Unit price,Deal\nWidget,3,9.99,1\n"),
        ("tasks", "Task Title,Due date\nCall back,2025-01-02T10:00:00Z\n"),
        ("meetings", "Meeting name,Activity date\nKick-off,2025-01-02T10:00:00Z\n"),
        ("emails", "Email subject,Activity date\nHello,2025-01-02T10:00:00Z\n"),
    ];
    for (object, text) in files {
        let file = write(dir.path(), &format!("{object}.csv"), text);
        let mut args = vec!["--object", object];
        if object == "line_items" {
            args.extend(["--map", "Deal=assoc:deals.hs_object_id"]);
        }
        let s = import(&store, &file, &args);
        assert_eq!(s["objects"][object]["created"], 1, "{object}: {s}");
        assert_eq!(s["errors"], 0, "{object}: {}", errors(&s));
        assert_eq!(export(&store, object).len(), 1, "{object}");
    }
    let tickets = export(&store, "tickets");
    assert_eq!(tickets[0]["properties"]["hs_pipeline_stage"], "3", "{tickets:?}");
}

#[test]
fn the_lifecycle_stage_only_moves_forward_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let first = write(
        dir.path(),
        "first.csv",
        "Email,Lifecycle Stage\na@x.com,Customer\nb@x.com,Lead\nc@x.com,Other\n",
    );
    import(&store, &first, &[]);
    // a: customer -> lead is backward (held back, a warning); b: lead -> customer is
    // forward; c: other -> subscriber moves freely; in one file, a repeated row of b
    // going back to lead is held back too (the commit-time merge).
    let second = write(
        dir.path(),
        "second.csv",
        "Email,Lifecycle Stage,City\na@x.com,Lead,Oslo\nb@x.com,Customer,\nc@x.com,Subscriber,\nb@x.com,Lead,\n",
    );
    let s = import(&store, &second, &[]);
    let stage = |id: u64| {
        let out = ok_stdout(&ingest(&store, &["get", "contacts", &id.to_string(), "--json"]));
        serde_json::from_str::<Value>(&out).unwrap()["properties"]["lifecyclestage"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!((stage(1), stage(2), stage(3)), ("customer".into(), "customer".into(), "subscriber".into()));
    let errors = errors(&s);
    assert!(errors.contains("2,Lifecycle Stage,lead,LIFECYCLE_STAGE_BACKWARD"), "{errors}");
    assert!(errors.contains("5,Lifecycle Stage,lead,LIFECYCLE_STAGE_BACKWARD"), "{errors}");
    assert_eq!(s["objects"]["contacts"]["updated"], 3, "a's city still changed: {s}");
    assert_eq!(s["objects"]["contacts"]["unchanged"], 1, "{s}");
    // Allowed, it moves back.
    let back = write(dir.path(), "back.csv", "Email,Lifecycle Stage\na@x.com,Lead\n");
    let s = import(&store, &back, &["--allow-lifecycle-backward"]);
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(stage(1), "lead");
}

#[test]
fn a_hubspot_contacts_export_saved_by_excel_imports_without_dropping_columns() {
    // What a user brings: HubSpot's export columns (owner, create date in its own
    // format, lead status by label, `[not provided]`), saved by Excel with a BOM,
    // CRLF line ends and semicolons, non-ASCII names, emails and domains.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    ok_stdout(&ingest(&store, &["owners", "add", "anne@example.com", "--name", "Anne de Vries"]));
    let text = "\u{feff}First Name;Last Name;Email;Contact owner;Create Date;Lead Status;Lifecycle Stage;Phone Number;Website URL\r\n\
                José;Müller;JOSÉ.MÜLLER@exämple.de;Anne de Vries;5/7/24 10:26;In Progress;Lead;+49 30 1234567;https://exämple.de\r\n\
                Søren;Ærø;søren@ærø.dk;anne@example.com;12/31/23 23:59;[not provided];Customer;[not provided];\r\n";
    let file = write(dir.path(), "hubspot-export.csv", text);
    let s = import(&store, &file, &["--date-format", "MM/DD/YYYY", "--time-zone", "Europe/Berlin"]);
    assert_eq!(s["objects"]["contacts"]["created"], 2, "{s}");
    assert_eq!(s["errors"], 0, "{}", errors(&s));
    assert_eq!(s["skipped_columns"], serde_json::json!([]), "no column dropped: {s}");
    let contacts = export(&store, "contacts");
    let jose = &contacts[0]["properties"];
    assert_eq!(jose["email"], "josé.müller@exämple.de");
    assert_eq!(jose["hubspot_owner_id"], "1");
    assert_eq!(jose["createdate"], "2024-05-07T08:26:00Z", "Berlin is UTC+2 in May");
    assert_eq!(jose["hs_lead_status"], "IN_PROGRESS");
    let soren = &contacts[1]["properties"];
    assert_eq!(soren["email"], "søren@ærø.dk");
    assert_eq!(soren["createdate"], "2023-12-31T22:59:00Z");
    assert!(soren.get("hs_lead_status").is_none() && soren.get("phone").is_none(), "[not provided] is blank");
}
