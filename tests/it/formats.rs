//! Every input format through the command line (SPEC 9): the same contacts as CSV,
//! XLSX (both date systems), XLS, ODS and Parquet import to byte-identical exports;
//! typed cells keep their type; spreadsheet quirks (formulas, merged cells, empty
//! rows, error cells); sheets by name; files that are something else refused,
//! named. The fixtures are written by `tests/fixtures/make_fixtures.py`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{ingest, ok_stdout};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn import(store: &Path, file: &Path, args: &[&str]) -> Value {
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok_stdout(&ingest(store, &all))).unwrap()
}

fn errors(summary: &Value) -> String {
    std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap()
}

fn export(store: &Path, format: &str) -> String {
    ok_stdout(&ingest(store, &["export", "contacts", "--format", format]))
}

#[test]
fn the_same_contacts_in_every_format_export_byte_identically() {
    let dir = tempfile::tempdir().unwrap();
    let exports: Vec<(String, String)> = [
        "contacts.csv",
        "contacts.xlsx",
        "contacts_1904.xlsx",
        "contacts.xls",
        "contacts.ods",
        "contacts.parquet",
    ]
    .iter()
    .map(|name| {
        let store = dir.path().join(format!("{name}.redb"));
        let summary = import(&store, &fixture(name), &["--header-lang", "nl"]);
        assert_eq!(summary["errors"], 0, "{name}: {}", errors(&summary));
        assert_eq!(summary["objects"]["contacts"]["created"], 3, "{name}");
        ((*name).to_owned(), export(&store, "csv"))
    })
    .collect();
    for (name, csv) in &exports[1..] {
        assert_eq!(csv, &exports[0].1, "{name} against contacts.csv");
    }
    // What they all hold: typed numbers read as plain decimals even in a Dutch import
    // (1234.5 is not 12345), dates from serial numbers in both date systems,
    // datetimes local (UTC here), bools, non-ASCII text, quotes and commas.
    let store = dir.path().join("contacts.xlsx.redb");
    let lines: Vec<Value> =
        export(&store, "jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let p = &lines[0]["properties"];
    assert_eq!(p["email"], "josé.müller@exämple.de");
    assert_eq!(p["annualrevenue"], "1234.5");
    assert_eq!(p["date_of_birth"], "1990-03-04");
    assert_eq!(p["createdate"], "2024-05-07T10:26:00Z");
    assert_eq!(p["hs_email_optout"], true);
    assert_eq!(lines[1]["properties"]["date_of_birth"], "2000-02-29");
    assert_eq!(lines[1]["properties"]["annualrevenue"], "1250");
    assert_eq!(lines[2]["properties"]["lastname"], "Lovelace, \"the first\"");
    assert_eq!(lines[2]["properties"]["annualrevenue"], "0.1");
}

#[test]
fn a_parquet_file_with_typed_columns_imports_to_the_values_of_its_types() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let args = [
        "--map",
        "Number of Employees=+contacts.staff_count:number",
        "--map",
        "Annual Revenue=+contacts.revenue_eur:number",
        "--map",
        "Buying Role=+contacts.buying_role:string",
        "--header-lang",
        "de",
        "--time-zone",
        "Europe/Amsterdam",
    ];
    let summary = import(&store, &fixture("typed.parquet"), &args);
    // Row 3 has no email and Ana's other values make her a new contact.
    assert_eq!(summary["objects"]["contacts"]["created"], 3, "{}", errors(&summary));
    assert_eq!(summary["errors"], 0, "{}", errors(&summary));
    let lines: Vec<Value> =
        export(&store, "jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (a, b, c) = (&lines[0]["properties"], &lines[1]["properties"], &lines[2]["properties"]);
    assert_eq!(a["staff_count"], 1250, "an Int64 is a number, not 1.25 in a German import");
    assert_eq!(a["revenue_eur"], 1234.5, "a decimal is exact");
    assert_eq!(c["revenue_eur"], -0.05);
    assert_eq!(a["date_of_birth"], "1969-12-31");
    assert_eq!(c["date_of_birth"], "2024-02-29");
    // A timestamp without a zone is local (here Amsterdam, UTC+2 in May); one with a
    // zone is the instant it names.
    assert_eq!(a["createdate"], "2024-05-07T08:26:00Z");
    assert_eq!(a["notes_last_updated"], "2024-05-07T08:26:00Z");
    assert_eq!(a["hs_email_optout"], true);
    assert_eq!(c["hs_email_optout"], false);
    assert_eq!(a["firstname"], "Zoë", "dictionary-encoded strings are their values");
    assert_eq!(b["email"], "b@x.com");
    assert!(b.get("staff_count").is_none() && b.get("hs_email_optout").is_none(), "nulls are blank: {b}");
    assert_eq!(a["buying_role"], "DECISION_MAKER;BUDGET_HOLDER", "a list is `;`-joined, as a multi-select");
}

#[test]
fn spreadsheet_quirks_formulas_merged_cells_empty_rows_and_error_cells() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let summary =
        import(&store, &fixture("quirks.xlsx"), &["--map", "Annual Revenue=+contacts.revenue_eur:number"]);
    assert_eq!(summary["objects"]["contacts"]["created"], 5, "{}", errors(&summary));
    // The error cell of row 7 (the empty row 5 counted) is refused by the number property.
    let report = errors(&summary);
    assert!(report.contains("7,Annual Revenue (D),#DIV/0!,COULD_NOT_PARSE_NUMBER"), "{report}");
    let got: Value = serde_json::from_str(&ok_stdout(&ingest(
        &store,
        &["get", "contacts", "--by", "email=grace@example.com", "--json"],
    )))
    .unwrap();
    assert_eq!(got["properties"]["revenue_eur"], 2000.5, "a formula gives its cached value");
    let got: Value = serde_json::from_str(&ok_stdout(&ingest(
        &store,
        &["get", "contacts", "--by", "email=merged@example.com", "--json"],
    )))
    .unwrap();
    assert_eq!(got["properties"]["firstname"], "Merged Name", "a merged area's value is in its first cell");
    assert!(got["properties"].get("lastname").is_none());
}

#[test]
fn a_rejected_row_of_a_parquet_file_is_its_cells_as_csv_at_its_row_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    // Update mode on an empty store: rows with an email are skipped, row 3 (no email)
    // fails with MISSING_IDENTIFIER.
    let summary = import(&store, &fixture("typed.parquet"), &["--mode", "update", "--map", "Buying Role=-"]);
    assert_eq!(summary["objects"]["contacts"]["skipped"], 2);
    assert_eq!(summary["objects"]["contacts"]["failed"], 1);
    let report = errors(&summary);
    assert!(report.starts_with("line,column,value,code,message\n3,Email,,MISSING_IDENTIFIER"), "{report}");
    let rejected = std::fs::read_to_string(summary["rejected_file"].as_str().unwrap()).unwrap();
    assert_eq!(
        rejected,
        "Email,First Name,Number of Employees,Annual Revenue,Date of birth,Create Date,Last Activity Date,\
         Email Opt Out,Buying Role\n,Ana,7,-0.05,2024-02-29,,,false,\n"
    );
}

#[test]
fn a_sheet_is_chosen_by_name_and_a_missing_one_lists_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let summary =
        import(&store, &fixture("contacts.xlsx"), &["--sheet", "Companies", "--object", "companies"]);
    assert_eq!(summary["objects"]["companies"]["created"], 1);
    let out = ingest(&store, &["import", fixture("contacts.ods").to_str().unwrap(), "--sheet", "Deals"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the workbook has no sheet 'Deals'; its sheets: Contacts"), "{stderr}");
}

#[test]
fn protected_corrupt_and_compressed_files_are_refused_clearly_with_nothing_created() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let gz = dir.path().join("contacts.csv.gz");
    std::fs::write(&gz, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
    let pdf = dir.path().join("contacts.csv");
    std::fs::write(&pdf, b"%PDF-1.7\n...").unwrap();
    for (file, says) in [
        (fixture("protected.xlsx"), "the workbook is protected with a password"),
        (fixture("corrupt.xlsx"), "the XLSX workbook cannot be read"),
        (
            gz,
            "the file looks like a gzip-compressed file, not CSV, a spreadsheet or Parquet: decompress it first",
        ),
        (pdf, "the file looks like a PDF document"),
    ] {
        for command in ["import", "inspect"] {
            let out = ingest(&store, &[command, file.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(1), "{command} {}", file.display());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(says), "{command} {}: {stderr}", file.display());
        }
    }
    assert!(!store.exists() || ok_stdout(&ingest(&store, &["history", "--json"])).trim() == "[]");
}

#[test]
fn inspect_reads_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    for (name, format) in [
        ("contacts.xlsx", Some("XLSX sheet 'Contacts'")),
        ("contacts.xls", Some("XLS sheet 'Contacts'")),
        ("contacts.ods", Some("ODS sheet 'Contacts'")),
        ("contacts.parquet", Some("Parquet")),
        ("contacts.csv", None),
    ] {
        let report: Value = serde_json::from_str(&ok_stdout(&ingest(
            &store,
            &["inspect", fixture(name).to_str().unwrap(), "--json"],
        )))
        .unwrap();
        assert_eq!(report["format"].as_str(), format, "{name}");
        assert_eq!(report["rows"], 3, "{name}");
        assert_eq!(report["header"][0], "Email", "{name}");
        assert_eq!(report["object"], "contacts", "{name}");
        assert_eq!(report["errors"].as_array().map(Vec::len), Some(0), "{name}");
    }
}

#[test]
fn damaged_workbooks_and_parquet_files_never_crash_the_engine() {
    // Bytes of valid files flipped here and there: every run ends with exit 0 or 1
    // and a message, never a crash (a panic exits 101, a signal has no code).
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    for name in ["contacts.xlsx", "contacts.ods", "contacts.xls", "contacts.parquet"] {
        let original = std::fs::read(fixture(name)).unwrap();
        for i in 0..24usize {
            let mut bytes = original.clone();
            // A deterministic spread of positions past the magic bytes, and values.
            let at = 8 + (i * 7919 + i * i * 104_729) % (bytes.len() - 8);
            for k in 0..=(i % 3) {
                let p = (at + k * 61) % bytes.len();
                bytes[p] ^= [0xFF, 0x01, 0x80, 0x55][(i + k) % 4];
            }
            let file = dir.path().join(format!("{i}-{name}"));
            std::fs::write(&file, &bytes).unwrap();
            for command in ["inspect", "import"] {
                let out = ingest(
                    &store,
                    &[command, file.to_str().unwrap(), "--skip-unmapped"]
                        [..if command == "import" { 3 } else { 2 }],
                );
                let code = out.status.code();
                assert!(
                    matches!(code, Some(0 | 1)),
                    "{command} {name} flipped at {at}: {code:?} {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

#[test]
fn an_export_to_parquet_imports_into_a_new_store_as_the_same_records() {
    // Round trip: CSV -> store -> Parquet -> a new store: the same records (the
    // record IDs are the new store's, in the same order, so the ID column is skipped).
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.redb");
    let csv = dir.path().join("typed.csv");
    std::fs::write(
        &csv,
        "Email,First Name,Annual Revenue,Date of birth,Create Date,Email Opt Out,Number of Employees\n\
         josé.müller@exämple.de,José,1234.5,1990-03-04,2024-05-07T10:26:00+02:00,yes,1250\n\
         ærø@ærø.dk,Søren,0.1,2000-02-29,,no,\n\
         ada@example.com,\"Ada, \"\"the first\"\"\",,,2024-12-31 23:59:59,,7\n",
    )
    .unwrap();
    let args = [
        "--map",
        "Annual Revenue=+contacts.revenue_eur:number",
        "--map",
        "Number of Employees=+contacts.staff_count:number",
    ];
    assert_eq!(import(&first, &csv, &args)["errors"], 0);
    let parquet = dir.path().join("contacts.parquet");
    ok_stdout(&ingest(
        &first,
        &["export", "contacts", "--format", "parquet", "--out", parquet.to_str().unwrap()],
    ));
    let second = dir.path().join("b.redb");
    for p in ["revenue_eur", "staff_count"] {
        ok_stdout(&ingest(&second, &["schema", "add-property", "contacts", p, "--type", "number"]));
    }
    let summary = import(&second, &parquet, &["--map", "hs_object_id=-"]);
    assert_eq!(summary["errors"], 0, "{}", errors(&summary));
    assert_eq!(export(&second, "jsonl"), export(&first, "jsonl"));
}

#[test]
fn the_spool_of_a_converted_input_lives_next_to_the_store_until_the_import_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let spools = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".ingest-"))
            .collect()
    };
    // Paused after its inputs are converted and mapped: the spool is beside the store.
    let (child, stderr) = crate::support::spawn_paused_import(&store, &fixture("contacts.xlsx"), 300, &[]);
    assert_eq!(spools().len(), 1, "one spool next to the store while the import runs");
    let (code, err) = crate::support::finish_import(child, stderr);
    assert_eq!(code, Some(0), "{err}");
    assert!(spools().is_empty(), "the spool is removed when the import ends: {:?}", spools());
    // A failed conversion leaves nothing either.
    let out = ingest(&store, &["import", fixture("protected.xlsx").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(spools().is_empty(), "{:?}", spools());
}
