//! Property types through the command line (SPEC 4): time zones, epoch times,
//! `HubSpot`'s export formats, whole numbers.

use std::path::Path;

use serde_json::Value;

use crate::support::{ingest, ok_stdout};

fn import(store: &Path, dir: &Path, name: &str, text: &str, args: &[&str]) -> Value {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok_stdout(&ingest(store, &all))).unwrap()
}

fn record(store: &Path, object: &str, id: u64) -> Value {
    let out = ok_stdout(&ingest(store, &["get", object, &id.to_string(), "--json"]));
    serde_json::from_str::<Value>(&out).unwrap()["properties"].clone()
}

#[test]
fn datetimes_are_stored_in_utc_from_offsets_zones_epochs_and_hubspot_exports() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let text = "Email,Create Date\n\
                a@example.com,2024-05-07 10:26\n\
                b@example.com,2024-05-07T10:26:00+02:00\n\
                c@example.com,1715077560000\n\
                d@example.com,5/7/24 10:26\n\
                e@example.com,2024-03-31 02:30\n";
    let s = import(
        &store,
        dir.path(),
        "c.csv",
        text,
        &["--time-zone", "Europe/Amsterdam", "--date-format", "MM/DD/YYYY"],
    );
    assert_eq!(s["objects"]["contacts"]["created"], 5, "{s}");
    assert_eq!(record(&store, "contacts", 1)["createdate"], "2024-05-07T08:26:00Z", "local time in the zone");
    assert_eq!(record(&store, "contacts", 2)["createdate"], "2024-05-07T08:26:00Z", "the offset wins");
    assert_eq!(record(&store, "contacts", 3)["createdate"], "2024-05-07T10:26:00Z", "epoch milliseconds");
    assert_eq!(
        record(&store, "contacts", 4)["createdate"],
        "2024-05-07T08:26:00Z",
        "HubSpot's export format"
    );
    // 02:30 does not exist in Amsterdam on 2024-03-31 (clocks jump to 03:00).
    assert!(record(&store, "contacts", 5).get("createdate").is_none());
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("6,Create Date,2024-03-31 02:30,COULD_NOT_PARSE_DATE"), "{errors}");
    // An unknown zone is a usage error.
    let out = ingest(
        &store,
        &["import", dir.path().join("c.csv").to_str().unwrap(), "--time-zone", "Mars/Olympus"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn whole_number_properties_refuse_fractions_and_read_the_locale() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let s = import(
        &store,
        dir.path(),
        "en.csv",
        "Company Domain Name,Number of Employees\na.com,1.5\nb.com,\"1,250\"\n",
        &[],
    );
    assert_eq!(s["objects"]["companies"]["created"], 2, "{s}");
    assert!(record(&store, "companies", 1).get("numberofemployees").is_none(), "1.5 employees is refused");
    assert_eq!(record(&store, "companies", 2)["numberofemployees"], 1250);
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("2,Number of Employees,1.5,COULD_NOT_PARSE_NUMBER"), "{errors}");
    // A Dutch file with 1.250 employees never stores 1.25.
    import(
        &store,
        dir.path(),
        "nl.csv",
        "Bedrijfsdomeinnaam,Aantal werknemers\nc.com,1.250\n",
        &["--number-locale", "nl", "--header-lang", "nl"],
    );
    assert_eq!(record(&store, "companies", 3)["numberofemployees"], 1250);
}

#[test]
fn a_whole_column_decides_its_date_order_and_number_locale_and_an_ambiguous_one_stops() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    // Day first: 25/03 tells; the other dates follow it.
    let s = import(
        &store,
        dir.path(),
        "dmy.csv",
        "Email,Date of birth\na@x.com,03/04/1990\nb@x.com,25/03/1991\n",
        &[],
    );
    assert_eq!(s["errors"], 0, "{s}");
    assert_eq!(record(&store, "contacts", 1)["date_of_birth"], "1990-04-03");
    assert_eq!(record(&store, "contacts", 2)["date_of_birth"], "1991-03-25");
    // Only values that fit both orders: the import stops and asks, nothing is written.
    let file = dir.path().join("ambiguous.csv");
    std::fs::write(&file, "Email,Date of birth\nc@x.com,03/04/1990\nd@x.com,05/06/1991\n").unwrap();
    let out = ingest(&store, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("column 'Date of birth'") && err.contains("'03/04/1990' (line 2)"), "{err}");
    assert!(err.contains("--date-format DD/MM/YYYY or --date-format MM/DD/YYYY"), "{err}");
    assert!(ingest(&store, &["get", "contacts", "3"]).status.code() == Some(1), "nothing was written");
    // Given the order, the same file imports.
    let out = ingest(&store, &["import", file.to_str().unwrap(), "--date-format", "DD/MM/YYYY"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(record(&store, "contacts", 3)["date_of_birth"], "1990-04-03");
    // Numbers: 1.250 alone is 1250 or 1.25; a value that tells decides the column.
    let file = dir.path().join("revenue.csv");
    std::fs::write(&file, "Company Domain Name,Annual Revenue\na.com,1.250\n").unwrap();
    let out = ingest(&store, &["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--number-locale"));
    import(
        &store,
        dir.path(),
        "revenue2.csv",
        "Company Domain Name,Annual Revenue\na.com,1.250\nb.com,\"2.500,75\"\n",
        &[],
    );
    assert_eq!(record(&store, "companies", 1)["annualrevenue"], 1250);
    assert_eq!(record(&store, "companies", 2)["annualrevenue"], 2500.75);
}
