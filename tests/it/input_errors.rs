//! Inputs that are broken or change while they are read (SPEC 4, 9): undecodable
//! UTF-16 fails its rows with `INVALID_UTF8` instead of importing U+FFFD, every
//! mapped input of a many-file import is guarded against truncation, and text copied
//! from a mapped file that another process rewrites is valid UTF-8 wherever the
//! decoder keeps it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use engine::input::decode;
use engine::input::dialect::{self, Encoding};
use engine::input::source::Source;
use serde_json::Value;

use crate::support::{finish_import, ingest, ok_stdout, spawn_paused_import};

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(ok_stdout(out).trim()).expect("JSON on stdout")
}

/// `parts` as UTF-16LE with a BOM: text, or single code units (unpaired surrogates).
enum Part<'a> {
    Text(&'a str),
    Unit(u16),
}

fn utf16le(parts: &[Part]) -> Vec<u8> {
    let mut units = vec![0xFEFF_u16];
    for part in parts {
        match part {
            Part::Text(t) => units.extend(t.encode_utf16()),
            Part::Unit(u) => units.push(*u),
        }
    }
    units.iter().flat_map(|u| u.to_le_bytes()).collect()
}

fn import(store: &Path, file: &Path) -> Value {
    json(&ingest(store, &["import", file.to_str().unwrap(), "--object", "contacts", "--json"]))
}

/// The error file's rows after its header: (line, column, value, code).
fn errors(summary: &Value) -> Vec<[String; 4]> {
    csv::Reader::from_path(summary["error_file"].as_str().unwrap())
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            [0, 1, 2, 3].map(|i| r[i].to_owned())
        })
        .collect()
}

fn first_name(store: &Path, id: u64) -> Value {
    let got = json(&ingest(store, &["get", "contacts", &id.to_string(), "--json"]));
    got["properties"]["firstname"].clone()
}

#[test]
fn an_unpaired_surrogate_in_utf16_fails_its_row_with_invalid_utf8_and_the_other_rows_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = dir.path().join("utf16.csv");
    let bytes = utf16le(&[
        Part::Text("Email,First Name\nann@example.com,Ann\nbob@example.com,B"),
        Part::Unit(0xD800),
        Part::Text("ob\ncy@example.com,Cy\n"),
        // A replacement character the file really holds is data.
        Part::Text("dee@example.com,D\u{FFFD}e\n\"eve@example.com\",\"E\nv"),
        Part::Unit(0xDC00),
        Part::Text("e\"\nfay@example.com,Fay\n"),
    ]);
    std::fs::write(&file, bytes).unwrap();
    let s = import(&store, &file);
    assert_eq!((s["rows"].as_u64(), s["rows_failed"].as_u64()), (Some(6), Some(2)), "{s}");
    assert_eq!(s["objects"]["contacts"]["created"], 4);
    let got = errors(&s);
    let codes: Vec<[&str; 3]> = got.iter().map(|e| [e[0].as_str(), e[1].as_str(), e[3].as_str()]).collect();
    // The second broken row is a quoted field over two lines: reported where it starts.
    assert_eq!(codes, [["3", "First Name", "INVALID_UTF8"], ["6", "First Name", "INVALID_UTF8"]]);
    assert_eq!(got[0][2], "B\u{FFFD}ob", "the value shows where the text could not be decoded");
    let rejected = std::fs::read(s["rejected_file"].as_str().unwrap()).unwrap();
    let rejected = String::from_utf8_lossy(&rejected);
    assert_eq!(
        rejected,
        "Email,First Name\nbob@example.com,B\u{FFFD}ob\n\"eve@example.com\",\"E\nv\u{FFFD}e\"\n"
    );
    // Record IDs follow the rows imported: Ann, Cy, Dee, Fay.
    assert_eq!(first_name(&store, 3), "D\u{FFFD}e");
    assert_eq!(first_name(&store, 4), "Fay");
}

#[test]
fn an_odd_last_byte_of_utf16_fails_the_last_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = dir.path().join("odd.csv");
    let mut bytes = utf16le(&[Part::Text("Email,First Name\nann@example.com,Ann\nbob@example.com,Bob")]);
    bytes.push(b'!');
    std::fs::write(&file, bytes).unwrap();
    let s = import(&store, &file);
    assert_eq!((s["rows"].as_u64(), s["rows_failed"].as_u64()), (Some(2), Some(1)), "{s}");
    let got = errors(&s);
    assert_eq!(
        [got[0][0].as_str(), got[0][1].as_str(), got[0][3].as_str()],
        ["3", "First Name", "INVALID_UTF8"]
    );
    assert_eq!(first_name(&store, 1), "Ann");
}

#[test]
fn a_replacement_character_in_a_utf8_file_is_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let file = dir.path().join("utf8.csv");
    std::fs::write(&file, "Email,First Name\nann@example.com,A\u{FFFD}n\u{e9}\n").unwrap();
    let s = import(&store, &file);
    assert_eq!((s["rows"].as_u64(), s["rows_failed"].as_u64()), (Some(1), Some(0)), "{s}");
    assert_eq!(first_name(&store, 1), "A\u{FFFD}n\u{e9}");
}

/// `count` contacts files in `dir`; the last one is large enough to read after a
/// truncation (pages past the new end), the others hold one row.
fn files(dir: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|f| {
            let mut text = String::from("Email,First Name\n");
            let rows = if f + 1 == count { 20_000 } else { 1 };
            for i in 0..rows {
                text.push_str(&format!("p{f}x{i}@example.com,Name{i}\n"));
            }
            let path = dir.join(format!("in{f}.csv"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn every_input_of_a_many_file_import_is_guarded_against_truncation() {
    // 3 files, and more files than the guard had slots for (16).
    for count in [3, 40] {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.redb");
        let inputs = files(dir.path(), count);
        // The one truncated is the last input mapped.
        let last = inputs.last().unwrap();
        let mut args: Vec<&str> = inputs[1..].iter().map(|p| p.to_str().unwrap()).collect();
        args.extend(["--chunk-bytes", "65536"]);
        let (child, stderr) = spawn_paused_import(&store, &inputs[0], 1000, &args);
        std::fs::OpenOptions::new().write(true).open(last).unwrap().set_len(100).unwrap();
        let (code, err) = finish_import(child, stderr);
        assert_eq!(code, Some(1), "{count} files: no signal death; stderr: {err}");
        let message = format!("input file {} was truncated or replaced", last.display());
        assert_eq!(err.matches(&message).count(), 1, "{count} files: {err}");
        let h = json(&ingest(&store, &["history", "--json"]));
        assert_eq!(h[0]["status"], "interrupted", "{count} files");
        let stats = json(&ingest(&store, &["stats", "--json"]));
        assert_eq!(stats["objects"]["contacts"], 0, "{count} files");
    }
}

/// Every value of every column of `piece` is UTF-8 on its own.
fn columns_are_utf8(piece: &decode::DecodedPiece) -> bool {
    piece.columns().iter().all(|c| {
        let values = c.values();
        std::str::from_utf8(values).is_ok()
            && c.value_offsets().iter().all(|&o| {
                let o = usize::try_from(o).expect("offsets are positive");
                o == values.len() || (values[o] & 0xC0) != 0x80
            })
    })
}

/// Stops the writer of the test below when its decoding ends, by a failed assertion too.
struct Stop<'a>(&'a AtomicBool);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn text_copied_from_a_mapped_file_that_another_process_rewrites_is_always_valid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("changing.csv");
    let mut text = String::from("email,name\n");
    for i in 0..20_000 {
        text.push_str(&format!("p{i}@example.com,J\u{e9}r\u{f4}me\n"));
    }
    std::fs::write(&file, &text).unwrap();
    // The second byte of the last row's `é`: flipping it to `A` makes the row invalid.
    let at = text.len() - "r\u{f4}me\n".len() - 1;
    assert_eq!(text.as_bytes()[at], 0xA9);
    let prepared = dialect::prepare(Source::open(&file).unwrap(), Some(b','), Some(Encoding::Utf8));
    let header = decode::header(prepared.text(), b',').unwrap();
    let body = header.len..prepared.text().len();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = Stop(&stop);
        s.spawn(|| {
            use std::os::unix::fs::FileExt;
            let writer = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
            while !stop.load(Ordering::Relaxed) {
                writer.write_all_at(b"A", at as u64).unwrap();
                writer.write_all_at(&[0xA9], at as u64).unwrap();
            }
        });
        let until = Instant::now() + Duration::from_secs(3);
        let mut decodes = 0;
        while Instant::now() < until || decodes < 20 {
            let piece = decode::decode(prepared.text(), body.clone(), &header.names, b',', true);
            decodes += 1;
            assert!(columns_are_utf8(&piece), "decode {decodes}: a column holds text that is not UTF-8");
            assert_eq!(piece.rows.len() + piece.bad.len(), 20_000, "decode {decodes}");
            assert!(piece.bad.iter().all(|b| b.code.as_str() == "INVALID_UTF8" && b.position.line == 19_999));
        }
    });
}
