//! Fuzz target `readers`: arbitrary bytes given as an input file, whatever they are.
//!
//! The bytes are written to a file and opened as the import opens every input
//! (`Source::open_input`): sniffed by their first bytes, then read as text, or
//! converted through the XLSX, XLS, ODS or Parquet reader into the CSV text the
//! pipeline decodes. Every outcome must be an `Ok` source or an `OpenError`; nothing
//! may panic (the engine catches a reader's panic and names the file damaged, so a
//! panic reaching the fuzzer is a defect of that guard) or hang. A converted source
//! is then decoded once whole and once in small chunks, and the two must agree, as
//! in `split_decode`.
//!
//! Seed it with the fixtures, which are valid files of each format:
//!
//!     mkdir -p corpus/readers && cp ../tests/fixtures/* corpus/readers/
//!     cargo +nightly fuzz run readers corpus/readers
#![no_main]

use std::io::Write;

use engine::input::decode::{self, DecodedPiece};
use engine::input::source::Source;
use engine::input::{dialect, pieces};
use libfuzzer_sys::fuzz_target;

/// Lines, byte ranges and cells of every good row, and lines and codes of every
/// broken one, in file order.
fn decode_all(text: &[u8], delimiter: u8, chunk: usize) -> Option<Vec<String>> {
    let header = decode::header(text, delimiter).ok()?;
    let mut out = Vec::new();
    pieces::for_each_body_piece(text, &header, delimiter, chunk, 3, None, |p| p, |piece: DecodedPiece| {
        let columns = piece.columns();
        for (r, span) in piece.rows.iter().enumerate() {
            let cells: Vec<&str> = columns.iter().map(|c| c.value(r)).collect();
            out.push(format!("{}+{} {}..{} {cells:?}", piece.offset, span.line, span.start, span.end));
        }
        for (bad, span) in piece.broken_records() {
            out.push(format!("{}+{} {}..{} {}", piece.offset, bad.position.line, span.start, span.end, bad.code.as_str()));
        }
        true
    });
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("input");
    std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).expect("the input is written");
    let Ok(source) = Source::open_input(&path, None, Some(dir.path())) else {
        return;
    };
    let prepared = dialect::prepare(source, None, None);
    let (text, delimiter) = (prepared.text(), prepared.dialect.delimiter);
    let whole = decode_all(text, delimiter, usize::MAX);
    assert_eq!(decode_all(text, delimiter, 7), whole, "chunking changes a converted input");
});
