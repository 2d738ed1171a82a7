//! Fuzz target `split_decode`: the differential property of the decoding stages.
//!
//! Arbitrary bytes go through `dialect::prepare` and `decode::header`; the body is
//! then decoded as the pipeline does it (`split` into chunks, `decode` in parallel,
//! stitched by `pieces::for_each_body_piece`) once as a single chunk and once with small
//! chunks. Chunking must never change the result: the same good rows (lines, bytes,
//! cells), the same bad rows (lines, bytes, codes, columns) and the same line count.
//! Nothing may panic or hang. `tests/it/corpora.rs` runs the same property on
//! random inputs without a fuzzer.
#![no_main]

use std::ops::Range;
use std::path::Path;

use engine::input::decode::{self, DecodedPiece, Header};
use engine::input::source::Source;
use engine::input::{dialect, pieces};
use libfuzzer_sys::fuzz_target;

/// A good row: 1-based line, bytes in the text, cells.
type Row = (u64, Range<usize>, Vec<String>);
/// A bad row: 1-based line, bytes in the text, error code, column.
type Bad = (u64, Range<usize>, &'static str, Option<u32>);

/// What decoding a body yields, with positions made absolute.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    /// Good rows in file order.
    rows: Vec<Row>,
    /// Broken records in file order.
    bad: Vec<Bad>,
    /// Line breaks in the whole text.
    lines: u64,
}

/// Decodes the body of `text` in chunks of about `chunk` bytes, the way `inspect`
/// and `import` do, and checks that the pieces tile the body.
fn decode_all(text: &[u8], header: &Header, delimiter: u8, chunk: usize) -> Decoded {
    let start = header.len;
    let mut out = Decoded { rows: Vec::new(), bad: Vec::new(), lines: u64::from(header.lines) };
    let mut cursor = start;
    pieces::for_each_body_piece(text, header, delimiter, chunk, 3, None, |p| p, |piece| {
        assert_eq!(piece.offset, cursor, "a piece does not start where the last ended");
        cursor = piece.offset + piece.consumed;
        absorb(&piece, &mut out);
        true
    });
    assert_eq!(cursor, text.len(), "the pieces do not cover the body");
    out
}

/// Appends a piece's rows and bad rows to `out`, with absolute lines and bytes.
fn absorb(piece: &DecodedPiece, out: &mut Decoded) {
    let before = out.lines;
    let at = |start: u32, end: u32| piece.offset + start as usize..piece.offset + end as usize;
    let columns = piece.columns();
    for (r, span) in piece.rows.iter().enumerate() {
        let cells = columns.iter().map(|c| c.value(r).to_owned()).collect();
        out.rows.push((before + 1 + u64::from(span.line), at(span.start, span.end), cells));
    }
    for (b, span) in piece.broken_records() {
        let line = before + 1 + b.position.line;
        out.bad.push((line, at(span.start, span.end), b.code.as_str(), b.position.column));
    }
    out.lines += u64::from(piece.lines);
}

fuzz_target!(|data: &[u8]| {
    let source = Source::from_bytes(data.to_vec(), Path::new("fuzz.csv"));
    let prepared = dialect::prepare(source, None, None);
    let (text, delimiter) = (prepared.text(), prepared.dialect.delimiter);
    let Ok(header) = decode::header(text, delimiter) else {
        return;
    };
    let whole = decode_all(text, &header, delimiter, usize::MAX);
    for chunk in [1, 7] {
        assert_eq!(
            decode_all(text, &header, delimiter, chunk),
            whole,
            "chunks of {chunk} bytes change the result"
        );
    }
});
