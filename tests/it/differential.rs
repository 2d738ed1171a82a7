//! Differential tests: the same imports with 1 thread and with many, and with
//! chunk sizes from one byte to the whole file, give byte-identical exports,
//! error files, rejected-rows files and result files (SPEC 3: the outcome does
//! not depend on the thread count).

use std::path::{Path, PathBuf};

use engine::import::{ImportSpec, run};
use engine::progress::Progress;
use store::Store;

/// Everything an import sequence leaves behind, as bytes.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    export: Vec<u8>,
    reports: Vec<Vec<u8>>,
    summaries: Vec<String>,
}

fn import_all(files: &[PathBuf], object: &str, threads: usize, chunk: Option<usize>) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.redb")).unwrap();
    let mut reports = Vec::new();
    let mut summaries = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let report_dir = dir.path().join(format!("r{i}"));
        let results = dir.path().join(format!("results{i}.csv"));
        let opts = ImportSpec {
            files: vec![file.clone()],
            objects: vec![object.to_owned()],
            skip_unmapped: true,
            threads: Some(threads),
            chunk_bytes: chunk,
            report_dir: Some(report_dir.clone()),
            results: Some(results.clone()),
            ..ImportSpec::default()
        };
        let s = run(&store, &opts, &Progress::hidden()).unwrap();
        summaries.push(format!("{:?} {} {} {}", s.objects, s.rows, s.rows_failed, s.errors));
        for p in [report_dir.join("errors.csv"), report_dir.join("rejected.csv"), results] {
            reports.push(std::fs::read(p).unwrap());
        }
    }
    let mut export = Vec::new();
    let read = store.begin_read().unwrap();
    engine::export::export(
        &read,
        read.schema().unwrap().object(object).unwrap(),
        engine::export::Format::Jsonl,
        &mut export,
    )
    .unwrap();
    Outcome { export, reports, summaries }
}

fn check_all_ways(files: &[PathBuf], object: &str, chunks: &[usize]) {
    let baseline = import_all(files, object, 1, Some(usize::MAX / 2));
    assert!(!baseline.export.is_empty());
    for &threads in &[1, 2, 4] {
        for &chunk in chunks {
            let got = import_all(files, object, threads, Some(chunk));
            assert!(got == baseline, "threads {threads}, chunk {chunk} differ from the sequential import");
        }
        let got = import_all(files, object, threads, None);
        assert!(got == baseline, "threads {threads}, default chunks differ");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn generated_contacts_and_updates_are_identical_at_every_thread_count_and_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let files = engine::datagen::generate(&["contacts".to_owned()], 2_000, 11, dir.path(), true).unwrap();
    check_all_ways(&files, "contacts", &[1, 37, 256, 4096, 65_536]);
}

#[test]
fn generated_companies_are_identical_at_every_thread_count_and_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let files = engine::datagen::generate(&["companies".to_owned()], 1_500, 5, dir.path(), false).unwrap();
    check_all_ways(&files, "companies", &[1, 100, 8192]);
}

#[test]
fn malformed_input_is_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    // Quoted newlines, CRLF, a stray quote in an unquoted field, wrong field counts,
    // a NUL byte, invalid UTF-8, a quote that never closes, duplicates by case.
    let mut text = String::from("Email,First Name,City\r\n");
    for i in 0..300 {
        match i % 23 {
            0 => text.push_str(&format!("\"multi{i}@x.com\",\"line\r\nbreak\",Oslo\r\n")),
            5 => text.push_str(&format!("odd{i}@x.com,O\"Brien,Bergen\r\n")),
            7 => text.push_str("too,many,fields,here\r\n"),
            11 => text.push_str(&format!("nul{i}@x.com,A\0B,Paris\r\n")),
            13 => text.push_str(&format!("DUP{}@X.COM , Again,Rome\r\n", i - 6)),
            17 => text.push_str(&format!("q{i}@x.com,\"quoted, comma\",\"\"\"Lisbon\"\"\"\r\n")),
            _ => text.push_str(&format!("dup{i}@x.com,Name{i},City{}\r\n", i % 7)),
        }
    }
    text.push_str("late@x.com,\"never closes,Oslo\r\nafter@x.com,After,Turku\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"bad@x.com,\xff\xfe,Kyiv\r\nlast@x.com,Last,Riga");
    let p = dir.path().join("messy.csv");
    std::fs::write(&p, bytes).unwrap();
    check_all_ways(&[p], "contacts", &[1, 2, 3, 5, 8, 13, 64, 500]);
    let q = write(dir.path(), "few.csv", "Email\na@b.co\n");
    check_all_ways(&[q], "contacts", &[1, 4]);
}

#[test]
fn heavily_repeated_identifiers_are_identical_at_every_chunk_size() {
    // A few records updated over and over within one piece and across pieces:
    // created by the first file and then rewritten, or stored and then rewritten by
    // the second; values that change, repeat (unchanged), are invalid or blank.
    let dir = tempfile::tempdir().unwrap();
    let cities = ["Oslo", "Oslo", "Bergen", "", "Oslo"];
    let mut first = String::from("Email,First Name,City,Phone Number,Email Opt Out\n");
    for i in 0..1_500 {
        let optout = ["yes", "no", "", "maybe"][i % 4];
        first.push_str(&format!(
            "user{}@x.com,Name{},{},+47 {},{optout}\n",
            i % 9,
            i % 4,
            cities[i % cities.len()],
            i % 3
        ));
    }
    let mut second = String::from("Email,First Name,City\n");
    for i in 0..1_500 {
        second.push_str(&format!("USER{}@x.com,Other{},{}\n", i % 13, i % 2, cities[(i / 7) % cities.len()]));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    check_all_ways(&files, "contacts", &[1, 13, 100, 4096]);
}
