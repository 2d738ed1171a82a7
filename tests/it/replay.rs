//! Re-runs with the replay memo (SPEC 7: the same nightly file twice writes
//! nothing the second time). Every import here runs twice, on two stores: one
//! as users run it, where a re-run skips what the memo knows, and one with
//! `--read-all`, which reads every row. Both must end equal after every step:
//! the export, the summary's counts, the error, rejected-rows and result files.

use std::path::{Path, PathBuf};

use engine::import::{ImportSpec, ImportSummary, run};
use engine::progress::Progress;
use proptest::prelude::*;
use store::Store;

use crate::support::{ingest, json};

/// Email cells: non-ASCII, punycode, case and spaces, invalid.
const EMAILS: [&str; 9] = [
    "josé.müller@exämple.de",
    "JOSÉ.Müller@xn--exmple-cua.de",
    "ana@acme.com",
    " Ana@ACME.com ",
    "bo@ærø.dk",
    "not-an-email",
    "",
    "zoë@ünïcode.org",
    "li.wei@例え.jp",
];
const FIRST: [&str; 5] = ["", "José", "Ana \"the\" Great", "Bø, Jr.", "null"];
const STAGES: [&str; 5] = ["", "lead", "customer", "subscriber", "not a stage"];
const CITIES: [&str; 4] = ["", "Zürich", "Århus\nNord", "São Paulo"];

/// One row: indexes into the pools above, and a number that makes emails distinct.
#[derive(Debug, Clone)]
struct Row {
    email: usize,
    n: u16,
    first: usize,
    stage: usize,
    city: usize,
}

/// Mostly rows of distinct valid emails (a re-run can skip those), with
/// repeated, invalid and blank ones among them.
fn row() -> impl Strategy<Value = Row> {
    let email = prop_oneof![4 => prop::sample::select(vec![0usize, 2, 4, 7, 8]), 1 => 0..EMAILS.len()];
    let n = prop_oneof![4 => 1u16..2000, 1 => 0u16..3];
    (email, n, 0..FIRST.len(), prop_oneof![4 => 0usize..3, 1 => 0..STAGES.len()], 0..CITIES.len())
        .prop_map(|(email, n, first, stage, city)| Row { email, n, first, stage, city })
}

fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

fn email(r: &Row) -> String {
    let e = EMAILS[r.email];
    match e.split_once('@') {
        // Distinct people at the same domain; the case and spaces stay.
        Some((local, domain)) if r.n > 0 => format!("{local}{}@{domain}", r.n),
        _ => e.to_owned(),
    }
}

fn csv(rows: &[Row], crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut out = format!("Email,First Name,Lifecycle Stage,City{end}");
    for r in rows {
        let cells =
            [email(r), FIRST[r.first].to_owned(), STAGES[r.stage].to_owned(), CITIES[r.city].to_owned()];
        out.push_str(&cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push_str(end);
    }
    out
}

/// What one import left: its counts and report files, and the export after it.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    summary: String,
    files: Vec<Option<Vec<u8>>>,
    export: Vec<u8>,
}

fn export(store: &Store) -> Vec<u8> {
    let read = store.begin_read().unwrap();
    let schema = read.schema().unwrap();
    let mut out = Vec::new();
    engine::export::export(
        &read,
        schema.object("contacts").unwrap(),
        engine::export::Format::Jsonl,
        &mut out,
    )
    .unwrap();
    out
}

fn import(store: &Store, opts: &ImportSpec, dir: &Path) -> (Outcome, ImportSummary) {
    let report_dir = dir.join("report");
    let _ = std::fs::remove_dir_all(&report_dir);
    let opts = ImportSpec { report_dir: Some(report_dir.clone()), ..opts.clone() };
    let s = run(store, &opts, &Progress::hidden()).unwrap();
    let summary = format!(
        "{:?} {} {} {} {:?} {:?}",
        s.objects, s.rows, s.rows_failed, s.errors, s.errors_by_code, s.errors_by_column
    );
    let mut paths = vec![report_dir.join("errors.csv"), report_dir.join("rejected.csv")];
    paths.extend(opts.results.clone());
    let files = paths.iter().map(|p| std::fs::read(p).ok()).collect();
    (Outcome { summary, files, export: export(store) }, s)
}

/// Two stores that see the same steps, one of them always with `--read-all`.
struct Pair {
    dir: tempfile::TempDir,
    memo: Store,
    all: Store,
    /// Rows the memo store skipped, over every step.
    unread: u64,
}

impl Pair {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let memo = Store::open(dir.path().join("memo.redb")).unwrap();
        let all = Store::open(dir.path().join("all.redb")).unwrap();
        Self { dir, memo, all, unread: 0 }
    }

    fn import(&mut self, text: &str, tweak: impl Fn(&mut ImportSpec)) -> Result<(), TestCaseError> {
        let file = self.dir.path().join("contacts.csv");
        std::fs::write(&file, text).unwrap();
        let mut opts =
            ImportSpec { files: vec![file], objects: vec!["contacts".into()], ..ImportSpec::default() };
        tweak(&mut opts);
        let (memo_dir, all_dir) = (self.dir.path().join("m"), self.dir.path().join("a"));
        let with = |d: &PathBuf, o: &ImportSpec| ImportSpec {
            results: o.results.as_ref().map(|_| d.join("results.csv")),
            ..o.clone()
        };
        let (got, s) = import(&self.memo, &with(&memo_dir, &opts), &memo_dir);
        let read_all = ImportSpec { read_all: true, ..with(&all_dir, &opts) };
        let (want, all) = import(&self.all, &read_all, &all_dir);
        prop_assert_eq!(all.unchanged_unread, 0);
        prop_assert_eq!(&got.summary, &want.summary);
        prop_assert!(got.files == want.files, "the report files differ");
        prop_assert!(got.export == want.export, "the stores differ");
        self.unread += s.unchanged_unread;
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Change {
    /// Replace row `at` (modulo) by another.
    Set(usize, Row),
    Insert(usize, Row),
    Remove(usize),
    /// Repeat row `at` at the end (a record twice in the file).
    Repeat(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<usize>(), row()).prop_map(|(i, r)| Change::Set(i, r)),
        (any::<usize>(), row()).prop_map(|(i, r)| Change::Insert(i, r)),
        any::<usize>().prop_map(Change::Remove),
        any::<usize>().prop_map(Change::Repeat),
    ]
}

fn apply(rows: &mut Vec<Row>, c: &Change) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match c {
        Change::Set(i, r) if !rows.is_empty() => {
            let i = at(*i, rows.len());
            rows[i] = r.clone();
        }
        Change::Insert(i, r) => {
            let i = at(*i, rows.len() + 1);
            rows.insert(i, r.clone());
        }
        Change::Remove(i) if !rows.is_empty() => {
            let i = at(*i, rows.len());
            rows.remove(i);
        }
        Change::Repeat(i) if !rows.is_empty() => {
            let r = rows[at(*i, rows.len())].clone();
            rows.push(r);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Nightly runs of a file that changes a little between runs: the memo store
    /// equals the store that reads every row, at any chunk size and thread count,
    /// with and without a result file and an upsert or update-only mode.
    #[test]
    fn reruns_with_the_memo_equal_reading_every_row(
        rows in prop::collection::vec(row(), 1..60),
        nights in prop::collection::vec(
            (prop::collection::vec(change(), 0..4), 1usize..4, prop::sample::select(vec![64usize, 300, 1000, 1 << 20]),
             any::<bool>(), any::<bool>(), any::<bool>()),
            1..5,
        ),
    ) {
        let mut pair = Pair::new();
        let mut rows = rows;
        pair.import(&csv(&rows, false), |_| {})?;
        for (changes, threads, chunk, results, update, crlf) in nights {
            for c in &changes {
                apply(&mut rows, c);
            }
            let text = csv(&rows, crlf);
            let tweak = |o: &mut ImportSpec| {
                o.threads = Some(threads);
                o.chunk_bytes = Some(chunk);
                if results {
                    o.results = Some(PathBuf::from("results.csv"));
                }
                if update {
                    o.mode = engine::plan::Mode::Update;
                }
            };
            // Twice: the second run of a night is the unchanged re-run.
            pair.import(&text, tweak)?;
            pair.import(&text, tweak)?;
        }
        if std::env::var_os("REPLAY_TEST_COUNTS").is_some() {
            eprintln!("{} rows, {} read from the memo", rows.len(), pair.unread);
        }
    }
}

/// A clean file, imported again unchanged: every row is known (the decoder
/// skips whole pieces), and the re-run writes nothing the import log does not need.
#[test]
fn an_unchanged_file_is_known_row_for_row_and_whole_pieces() {
    let rows: Vec<Row> = (0..300)
        .map(|i| Row {
            email: [0, 2, 4, 7, 8][i % 5],
            n: (i / 5) as u16 + 1,
            first: i % 4,
            stage: i % 3,
            city: i % 4,
        })
        .collect();
    for chunk in [200, 1 << 20] {
        let mut pair = Pair::new();
        let text = csv(&rows, true);
        pair.import(&text, |o| o.chunk_bytes = Some(chunk)).unwrap();
        assert_eq!(pair.unread, 0);
        pair.import(&text, |o| o.chunk_bytes = Some(chunk)).unwrap();
        assert_eq!(pair.unread, 300, "chunk {chunk}");
        // The third run knows as much.
        pair.import(&text, |o| o.chunk_bytes = Some(chunk)).unwrap();
        assert_eq!(pair.unread, 600, "chunk {chunk}");
    }
}

/// Whatever changes the records, their identifiers or the object's definition
/// between two runs makes the memo go: undo, delete, a schema change, another
/// import of the object; a change of the options makes another memo.
#[test]
fn every_other_write_to_the_object_makes_the_memo_go() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = dir.path().join("contacts.csv");
    let other = dir.path().join("other.csv");
    std::fs::write(&file, "Email,First Name\nana@acme.com,Ana\nbo@ærø.dk,Bø\njosé@exämple.de,José\n")
        .unwrap();
    std::fs::write(&other, "Email,First Name\nana@acme.com,Anna\n").unwrap();
    let imp = |args: &[&str]| {
        let mut all = vec!["import", file.to_str().unwrap(), "--json"];
        all.extend_from_slice(args);
        json(&ingest(&store, &all))
    };
    let unread = |v: &serde_json::Value| v["unchanged_unread"].as_u64().unwrap();
    let memos = || json(&ingest(&store, &["check", "--json"]))["checked"]["replay_memos"].as_u64().unwrap();
    assert_eq!(unread(&imp(&[])), 0);
    assert_eq!(memos(), 1);
    assert_eq!(unread(&imp(&[])), 3);
    // Another file of the same columns: its rows are not the memo's.
    let v = json(&ingest(&store, &["import", other.to_str().unwrap(), "--json"]));
    assert_eq!((unread(&v), v["objects"]["contacts"]["updated"].as_u64()), (0, Some(1)));
    // Its memo replaced the first: Ana's row changes her back.
    let v = imp(&[]);
    assert_eq!((unread(&v), v["objects"]["contacts"]["updated"].as_u64()), (0, Some(1)));
    assert_eq!(unread(&imp(&[])), 3);
    // An undo writes the records: no memo, every row read.
    let last = json(&ingest(&store, &["history", "--json"]))[0]["id"].as_u64().unwrap();
    assert!(ingest(&store, &["undo", &last.to_string()]).status.success());
    assert_eq!(memos(), 0);
    assert_eq!(unread(&imp(&[])), 0);
    assert_eq!(unread(&imp(&[])), 3);
    // A deleted record.
    assert!(ingest(&store, &["delete", "contacts", "1"]).status.success());
    let v = imp(&[]);
    assert_eq!((unread(&v), v["objects"]["contacts"]["created"].as_u64()), (0, Some(1)));
    assert_eq!(unread(&imp(&[])), 3);
    // A new property of the object.
    assert!(
        ingest(&store, &["schema", "add-property", "contacts", "shoe_size", "--type", "number"])
            .status
            .success()
    );
    assert_eq!(unread(&imp(&[])), 0);
    // Other options: another memo, then that one is used.
    assert_eq!(unread(&imp(&["--no-overwrite", "firstname"])), 0);
    assert_eq!(unread(&imp(&["--no-overwrite", "firstname"])), 3);
    assert_eq!(unread(&imp(&[])), 0);
    // `--read-all` reads every row and leaves the memo for the next run.
    assert_eq!(unread(&imp(&["--read-all"])), 0);
    assert_eq!(unread(&imp(&[])), 3);
    let report = json(&ingest(&store, &["check", "--json"]));
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
}

/// A file as Excel saves it (byte-order mark, `;`, CRLF, a quoted `;` and line
/// break, non-ASCII emails and domains): the second run knows every row and
/// leaves the store as reading every row does.
#[test]
fn an_excel_made_file_is_known_on_its_second_run() {
    let text = "\u{feff}Email;First Name;City\r\n\
                josé.müller@exämple.de;José;\"Köln; Süd\"\r\n\
                bo@ærø.dk;Bø;\"Århus\r\nNord\"\r\n\
                zoë@ünïcode.org;Zoë;Zürich\r\n";
    let mut pair = Pair::new();
    pair.import(text, |_| {}).unwrap();
    pair.import(text, |_| {}).unwrap();
    assert_eq!(pair.unread, 3);
}
