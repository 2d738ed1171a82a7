//! `ingest export OBJ --format parquet` (SPEC 8): every property type read back with
//! the parquet crate's Arrow reader (schema, nullability, every value), the
//! associations against the JSONL export's, an object without records, an object
//! of several row groups, and a number no double holds.

use std::fs::File;
use std::path::Path;
use std::process::Output;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// `ingest export OBJ --format parquet --out PATH`.
fn export(store: &Path, object: &str, out: &Path) -> Output {
    ingest(store, &["export", object, "--format", "parquet", "--out", out.to_str().unwrap()])
}

/// A Parquet file read back: its record batches and the rows of each row group.
fn read(path: &Path) -> (Vec<RecordBatch>, Vec<i64>) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let groups = reader
        .metadata()
        .row_groups()
        .iter()
        .map(parquet::file::metadata::RowGroupMetaData::num_rows)
        .collect();
    let batches = reader.with_batch_size(1 << 20).build().unwrap().map(Result::unwrap).collect();
    (batches, groups)
}

/// The one batch of a small file.
fn one_batch(path: &Path) -> RecordBatch {
    let (mut batches, groups) = read(path);
    assert_eq!((batches.len(), groups.len()), (1, 1));
    batches.pop().unwrap()
}

/// The objects of the store's schema, in order: (name, label).
fn schema_objects(store: &Path) -> Vec<(String, String)> {
    let objects = json(&ingest(store, &["schema", "--json"]));
    let text = |o: &Value, f: &str| o[f].as_str().unwrap().to_owned();
    objects.as_array().unwrap().iter().map(|o| (text(o, "name"), text(o, "label"))).collect()
}

/// The column type the README's table gives each property of `ingest schema OBJ --json`,
/// then the association columns: one per object of the schema, and `Primary Company`.
fn expected_fields(store: &Path, object: &str) -> Vec<Field> {
    let schema = json(&ingest(store, &["schema", object, "--json"]));
    let element = Field::new("element", DataType::Utf8, false);
    let flag = |p: &Value, f: &str| p.get(f).and_then(Value::as_bool).unwrap_or(false);
    let links = DataType::List(Field::new("element", DataType::Int64, false).into());
    let associations = schema_objects(store)
        .into_iter()
        .map(|(_, label)| Field::new(format!("Associated {label}"), links.clone(), false))
        .chain(
            ["contacts", "deals", "tickets"]
                .contains(&object)
                .then(|| Field::new("Primary Company", DataType::Int64, true)),
        );
    schema["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap();
            let ty = match p["type"].as_str().unwrap() {
                _ if flag(p, "multiple") => DataType::List(element.clone().into()),
                "record_id" => return Field::new(name, DataType::Int64, false),
                "number" if flag(p, "integer") => DataType::Int64,
                "number" => DataType::Float64,
                "bool" => DataType::Boolean,
                "date" => DataType::Date32,
                "datetime" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                _ => DataType::Utf8,
            };
            Field::new(name, ty, true)
        })
        .chain(associations)
        .collect()
}

fn column(batch: &RecordBatch, name: &str) -> ArrayRef {
    batch.column_by_name(name).unwrap_or_else(|| panic!("no column {name}")).clone()
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    column(batch, name).as_string::<i32>().iter().map(|s| s.map(str::to_owned)).collect()
}

fn ints(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    column(batch, name).as_primitive::<Int64Type>().iter().collect()
}

fn floats(batch: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    column(batch, name).as_primitive::<Float64Type>().iter().collect()
}

fn bools(batch: &RecordBatch, name: &str) -> Vec<Option<bool>> {
    column(batch, name).as_boolean().iter().collect()
}

fn days(batch: &RecordBatch, name: &str) -> Vec<Option<i32>> {
    column(batch, name).as_primitive::<Date32Type>().iter().collect()
}

fn micros(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    column(batch, name).as_primitive::<TimestampMicrosecondType>().iter().collect()
}

fn lists(batch: &RecordBatch, name: &str) -> Vec<Option<Vec<String>>> {
    column(batch, name)
        .as_list::<i32>()
        .iter()
        .map(|l| l.map(|items| items.as_string::<i32>().iter().map(|s| s.unwrap().to_owned()).collect()))
        .collect()
}

fn items(values: &[&str]) -> Vec<String> {
    values.iter().map(|&s| s.to_owned()).collect()
}

fn owned(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|s| s.map(str::to_owned)).collect()
}

/// Every property column not named in `checked` holds only nulls, and every
/// association column nothing (empty lists, no primary company).
fn the_rest_is_null(batch: &RecordBatch, checked: &[&str]) {
    for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
        let name = field.name().as_str();
        if name.starts_with("Associated ") {
            let lists = array.as_list::<i32>();
            assert!((0..lists.len()).all(|r| lists.value(r).is_empty()), "{name} holds links");
            assert_eq!(array.null_count(), 0, "{name} is never null");
        } else if !checked.contains(&name) {
            assert_eq!(array.null_count(), batch.num_rows(), "{name} holds values");
        }
    }
}

/// The IDs of list column `name`, per row.
fn id_lists(batch: &RecordBatch, name: &str) -> Vec<Vec<i64>> {
    let c = column(batch, name);
    let lists = c.as_list::<i32>();
    (0..lists.len()).map(|r| lists.value(r).as_primitive::<Int64Type>().values().to_vec()).collect()
}

#[test]
fn every_property_type_is_a_typed_column_with_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    ok_stdout(&ingest(
        &store,
        &[
            "schema",
            "add-property",
            "contacts",
            "interests",
            "--type",
            "enumeration",
            "--options",
            "vip:VIP,b2b:B2B,ærø:Ærø",
            "--multiple",
        ],
    ));
    let contacts = write(
        dir.path(),
        "contacts.csv",
        "Email,First Name,Last Name,Phone Number,Website URL,Lifecycle Stage,Date of birth,\
         Unsubscribed from all email,Create Date,Number of Sales Activities,Total Revenue,\
         Additional email addresses,Interests\n\
         José@MÜLLER.de,José,Müller,+45 12 34 56 78,https://ærø.dk/,Lead,1985-03-14,yes,\
         2024-05-07T10:26:00Z,12,\"1,234.50\",alt@ærø.dk;second@example.com,VIP;Ærø\n\
         ida@xn--r-3fa9c.dk,Ida,Ærø,,,customer,1969-12-31,no,2024-01-01 00:00,9007199254740993,0.1,,b2b\n\
         blank@example.com,,,,,,,,,,,,\n\
         big@example.com,,,,,,,,,-5,9007199254740992,,\n",
    );
    let deals = write(
        dir.path(),
        "deals.csv",
        "Deal Name,Amount,Close Date,Deal Type\n\
         Ærø ferry,1234.5,2024-06-30T12:00:00+02:00,newbusiness\n\
         Zero,0,,\n\
         Unpriced,,,\n\
         Big,\"123,456,789,012.34\",1970-01-01,existingbusiness\n",
    );
    for file in [&contacts, &deals] {
        let summary = json(&ingest(&store, &["import", file.to_str().unwrap(), "--json"]));
        assert_eq!(
            (summary["rows_failed"].as_u64(), summary["errors"].as_u64()),
            (Some(0), Some(0)),
            "{summary}"
        );
    }

    let out = dir.path().join("contacts.parquet");
    ok_stdout(&export(&store, "contacts", &out));
    let b = one_batch(&out);
    let fields: Vec<Field> = b.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    assert_eq!(fields, expected_fields(&store, "contacts"));
    assert_eq!(fields[0], Field::new("hs_object_id", DataType::Int64, false));
    assert_eq!(b.num_rows(), 4);
    assert_eq!(ints(&b, "hs_object_id"), [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(
        strings(&b, "email"),
        owned(&[
            Some("josé@müller.de"),
            Some("ida@ærø.dk"),
            Some("blank@example.com"),
            Some("big@example.com")
        ])
    );
    assert_eq!(strings(&b, "firstname"), owned(&[Some("José"), Some("Ida"), None, None]));
    assert_eq!(strings(&b, "lastname"), owned(&[Some("Müller"), Some("Ærø"), None, None]));
    assert_eq!(strings(&b, "phone"), owned(&[Some("+45 12 34 56 78"), None, None, None]));
    assert_eq!(strings(&b, "website"), owned(&[Some("https://ærø.dk/"), None, None, None]));
    assert_eq!(strings(&b, "lifecyclestage"), owned(&[Some("lead"), Some("customer"), None, None]));
    assert_eq!(days(&b, "date_of_birth"), [Some(5_551), Some(-1), None, None]);
    assert_eq!(bools(&b, "hs_email_optout"), [Some(true), Some(false), None, None]);
    assert_eq!(
        micros(&b, "createdate"),
        [Some(1_715_077_560_000_000), Some(1_704_067_200_000_000), None, None]
    );
    assert_eq!(ints(&b, "num_notes"), [Some(12), Some(9_007_199_254_740_993), None, Some(-5)]);
    assert_eq!(floats(&b, "total_revenue"), [Some(1234.5), Some(0.1), None, Some(9_007_199_254_740_992.0)]);
    assert_eq!(
        lists(&b, "hs_additional_emails"),
        [Some(items(&["alt@ærø.dk", "second@example.com"])), None, None, None]
    );
    assert_eq!(lists(&b, "interests"), [Some(items(&["vip", "ærø"])), Some(items(&["b2b"])), None, None]);
    the_rest_is_null(
        &b,
        &[
            "hs_object_id",
            "email",
            "firstname",
            "lastname",
            "phone",
            "website",
            "lifecyclestage",
            "date_of_birth",
            "hs_email_optout",
            "createdate",
            "num_notes",
            "total_revenue",
            "hs_additional_emails",
            "interests",
        ],
    );
    // Standard output, when it is not a terminal, gets the same bytes.
    let piped = ingest(&store, &["export", "contacts", "--format", "parquet"]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(piped.stdout, std::fs::read(&out).unwrap());

    let out = dir.path().join("deals.parquet");
    ok_stdout(&export(&store, "deals", &out));
    let b = one_batch(&out);
    let fields: Vec<Field> = b.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    assert_eq!(fields, expected_fields(&store, "deals"));
    assert_eq!(ints(&b, "hs_object_id"), [Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(
        strings(&b, "dealname"),
        owned(&[Some("Ærø ferry"), Some("Zero"), Some("Unpriced"), Some("Big")])
    );
    assert_eq!(floats(&b, "amount"), [Some(1234.5), Some(0.0), None, Some(123_456_789_012.34)]);
    assert_eq!(micros(&b, "closedate"), [Some(1_719_741_600_000_000), None, None, Some(0)]);
    assert_eq!(strings(&b, "dealtype"), owned(&[Some("newbusiness"), None, None, Some("existingbusiness")]));
    // A new deal is placed in the default pipeline's first stage.
    assert_eq!(strings(&b, "pipeline"), owned(&[Some("default"); 4]));
    assert_eq!(strings(&b, "dealstage"), owned(&[Some("appointmentscheduled"); 4]));
    the_rest_is_null(
        &b,
        &["hs_object_id", "dealname", "amount", "closedate", "dealtype", "pipeline", "dealstage"],
    );
}

#[test]
fn associations_are_id_lists_per_object_and_the_primary_company_as_in_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = write(
        dir.path(),
        "multi.csv",
        "Email,First Name,Company Name,Company Domain Name,Deal Name
         josé@exämple.de,José,Exämple GmbH,exämple.de,Renewal
         josé@exämple.de,José,Ærø Fisk ApS,ærø.dk,
         li@acme.com,Li,,,
         åsa@ærø.dk,Åsa,Ærø Fisk ApS,ærø.dk,Upsell
",
    );
    let objects = ["--object", "contacts", "--object", "companies", "--object", "deals"];
    let mut args = vec!["import", file.to_str().unwrap()];
    args.extend(objects);
    ok_stdout(&ingest(&store, &args));
    // A same-object link, and a second company made primary.
    ok_stdout(&ingest(&store, &["associate", "contacts", "3", "contacts", "1"]));
    ok_stdout(&ingest(&store, &["associate", "contacts", "1", "companies", "2", "--primary"]));
    let labels = schema_objects(&store);
    for object in ["contacts", "companies", "deals", "tickets"] {
        let out = dir.path().join(format!("{object}.parquet"));
        ok_stdout(&export(&store, object, &out));
        let jsonl = ok_stdout(&ingest(&store, &["export", object]));
        let records: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let (batches, _) = read(&out);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, records.len(), "{object}");
        let Some(b) = batches.first() else {
            continue; // no tickets: no batch
        };
        let fields: Vec<Field> = b.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        assert_eq!(fields, expected_fields(&store, object), "{object}");
        for (name, label) in &labels {
            let got = id_lists(b, &format!("Associated {label}"));
            let want: Vec<Vec<i64>> = records
                .iter()
                .map(|r| {
                    r["associations"][name]
                        .as_array()
                        .map(|ids| ids.iter().map(|i| i.as_i64().unwrap()).collect())
                        .unwrap_or_default()
                })
                .collect();
            assert_eq!(got, want, "{object}: Associated {label}");
        }
        if object == "companies" {
            assert!(b.column_by_name("Primary Company").is_none());
        } else {
            let want: Vec<Option<i64>> =
                records.iter().map(|r| r["associations"]["primary_company"].as_i64()).collect();
            assert_eq!(ints(b, "Primary Company"), want, "{object}");
        }
    }
    // As seen from the contacts, spelled out.
    let b = one_batch(&dir.path().join("contacts.parquet"));
    assert_eq!(id_lists(&b, "Associated Companies"), [vec![1, 2], vec![], vec![2]]);
    assert_eq!(id_lists(&b, "Associated Contacts"), [vec![3], vec![], vec![1]]);
    assert_eq!(id_lists(&b, "Associated Deals"), [vec![1], vec![], vec![2]]);
    assert_eq!(ints(&b, "Primary Company"), [Some(2), None, Some(2)]);
    assert!(id_lists(&b, "Associated Tickets").iter().all(Vec::is_empty));

    // The file imports into its store as it is: every record found by its ID,
    // unchanged, every link existing (`Associated <Objects>` and `Primary Company`
    // are association columns by record ID).
    let before = ok_stdout(&ingest(&store, &["export", "contacts"]));
    let out =
        json(&ingest(&store, &["import", dir.path().join("contacts.parquet").to_str().unwrap(), "--json"]));
    assert_eq!(out["errors"], 0, "{out}");
    assert_eq!(out["objects"]["contacts"]["unchanged"], 3, "{out}");
    assert_eq!(out["associations"]["created"], 0, "{out}");
    assert_eq!(ok_stdout(&ingest(&store, &["export", "contacts"])), before);
}

#[test]
fn an_object_without_records_is_a_file_with_the_schema_and_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    ok_stdout(&ingest(&store, &["schema", "add-property", "companies", "tier", "--type", "string"]));
    let out = dir.path().join("companies.parquet");
    ok_stdout(&export(&store, "companies", &out));
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&out).unwrap()).unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
    let fields: Vec<Field> = reader.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    assert_eq!(fields, expected_fields(&store, "companies"));
    let properties =
        json(&ingest(&store, &["schema", "companies", "--json"]))["properties"].as_array().unwrap().len();
    assert_eq!(fields[properties - 1], Field::new("tier", DataType::Utf8, true));
    assert_eq!(reader.build().unwrap().map(|b| b.unwrap().num_rows()).sum::<usize>(), 0);
}

#[test]
fn a_large_object_is_written_in_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let data = dir.path().join("data");
    ok_stdout(&ingest(
        &store,
        &["gen", "contacts", "--rows", "150000", "--seed", "1", "--out", data.to_str().unwrap()],
    ));
    let csv = data.join("contacts.csv");
    ok_stdout(&ingest(&store, &["import", csv.to_str().unwrap(), "--json"]));
    let records = json(&ingest(&store, &["stats", "--json"]))["objects"]["contacts"].as_u64().unwrap();
    assert!(records > 2 * 65_536, "{records} records");
    let out = dir.path().join("contacts.parquet");
    ok_stdout(&export(&store, "contacts", &out));
    let (batches, groups) = read(&out);
    // Row groups of 65,536 rows; the last holds the rest.
    let (last, full) = groups.split_last().unwrap();
    assert!(full.len() >= 2 && full.iter().all(|&n| n == 65_536), "{groups:?}");
    assert_eq!(groups.iter().sum::<i64>().cast_unsigned(), records);
    assert!((1..=65_536).contains(last), "{groups:?}");
    let ids: Vec<i64> = batches.iter().flat_map(|b| ints(b, "hs_object_id")).map(Option::unwrap).collect();
    assert_eq!(ids.len().try_into(), Ok(records));
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "IDs ascend");
    // A few records in different row groups, as `get` shows them.
    let row_of = |id: i64| ids.binary_search(&id).unwrap();
    let value = |name: &str, row: usize| -> Option<String> {
        let mut row = row;
        for b in &batches {
            if row < b.num_rows() {
                return strings(b, name)[row].clone();
            }
            row -= b.num_rows();
        }
        unreachable!("row {row} is past the end")
    };
    for id in [ids[0], ids[65_536], ids[ids.len() - 1]] {
        let got = json(&ingest(&store, &["get", "contacts", &id.to_string(), "--json"]));
        for name in ["email", "firstname", "lastname", "city"] {
            assert_eq!(
                value(name, row_of(id)).as_deref(),
                got["properties"][name].as_str(),
                "record {id}, {name}"
            );
        }
    }
}

#[test]
fn a_number_no_double_holds_fails_the_export_and_changes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let deals = write(dir.path(), "deals.csv", "Deal Name,Amount\nFine,10.5\nHuge,12345678901234567\n");
    ok_stdout(&ingest(&store, &["import", deals.to_str().unwrap()]));
    let out = dir.path().join("deals.parquet");
    std::fs::write(&out, "an earlier export").unwrap();
    let failed = export(&store, "deals", &out);
    assert_eq!(failed.status.code(), Some(1));
    let message = stderr(&failed);
    assert!(
        message.contains("cannot export deals record 2 as Parquet: amount holds \"12345678901234567\""),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "an earlier export", "the file is left as it was");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(
        !names.iter().any(|n| n.to_string_lossy().contains(".tmp-")),
        "no temporary file is left: {names:?}"
    );
    // CSV writes it as stored; --excel-safe is for CSV only.
    let csv = ok_stdout(&ingest(&store, &["export", "deals", "--format", "csv"]));
    assert!(csv.contains("12345678901234567"), "{csv}");
    let usage =
        ingest(&store, &["export", "deals", "--format", "parquet", "--excel-safe", "--out", "x.parquet"]);
    assert_eq!(usage.status.code(), Some(2));
}
