//! Decoding a chunk of CSV text into an Arrow record batch.
//!
//! One [`decode`] call parses the complete records of a chunk into one `Utf8`
//! column per header column, a [`RowSpan`] per row (its line and bytes, for error
//! reports and the rejected-rows file), and for every record that is structurally
//! broken its span and an [`Issue`] (a row error without a batch row): wrong
//! number of fields, a quote that never closes, a field over [`MAX_FIELD_BYTES`],
//! invalid UTF-8 or a NUL byte. Broken records never stop decoding; the next
//! record is parsed as usual. Text that a transcoded input could not decode is
//! [`crate::input::dialect::UNDECODABLE`], invalid UTF-8, so its row fails with
//! `INVALID_UTF8` too.
//!
//! UTF-8 is checked in the bytes copied into the columns, after the copy: a mapped
//! input can change between a check of its bytes and their copy.
//!
//! Grammar (RFC 4180, leniently): records end at `\n`, `\r\n` or `\r` outside
//! quotes; a field that starts with `"` is quoted and `""` inside it is a quote;
//! text after a closing quote is kept literally; a quote inside an unquoted field
//! is a literal character. A quote that never closes is reported at the line
//! where it opened, and decoding resumes on the line after that one, so the rest
//! of the file is not swallowed into one field. Rows whose fields are all empty
//! (blank lines) are ignored.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema};

use crate::codes::ErrorCode;
use crate::issue::Issue;

/// Largest field the parser accepts (1 MiB). A longer field fails its row with
/// `COLUMN_TOO_LARGE`; a quoted one that long is treated like an unterminated
/// quote, so parsing resumes on the line after its opening quote.
pub const MAX_FIELD_BYTES: usize = 1 << 20;

/// A record, decoded or broken: where it is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowSpan {
    /// Line breaks before the record, counted from the start of the piece.
    pub line: u32,
    /// First byte of the record, relative to the piece.
    pub start: u32,
    /// One past the record's last byte (its line break included).
    pub end: u32,
}

/// The decoded records of one piece of input.
#[derive(Debug)]
pub struct DecodedPiece {
    /// Byte offset of the piece in the text.
    pub offset: usize,
    /// One `Utf8` column per header column; one row per good record.
    pub batch: RecordBatch,
    /// Position of every batch row.
    pub rows: Vec<RowSpan>,
    /// The issue of every broken record, in input order: a row error with `row:
    /// None`, its line the one the problem is on and its byte the record's start,
    /// both relative to the piece ([`Issue::undecoded`]).
    pub bad: Vec<Issue>,
    /// Where each broken record is (`bad[i]` is the issue of `broken[i]`): its
    /// bytes go to the rejected-rows file as they are.
    pub broken: Vec<RowSpan>,
    /// Bytes of complete records decoded (the piece's length when `clean`).
    pub consumed: usize,
    /// Line breaks inside the consumed bytes.
    pub lines: u32,
    /// False when the piece ended inside a quoted field that may close later:
    /// decoding must go on from `offset + consumed` with more input.
    pub clean: bool,
    /// Good records that a re-run knows change nothing ([`crate::replay`]): each
    /// one's position, record ID and place in the memo. They are not in `rows`
    /// or the columns.
    pub replayed: Vec<(RowSpan, u64, u32)>,
}

impl DecodedPiece {
    /// The batch's columns as string arrays (decode only builds `Utf8` columns).
    pub fn columns(&self) -> Vec<&StringArray> {
        self.batch
            .columns()
            .iter()
            .map(|c| c.as_any().downcast_ref::<StringArray>().expect("decode builds Utf8 columns"))
            .collect()
    }

    /// The piece without its columns (an empty batch), once they have been read:
    /// spans, structural errors and counts stay.
    #[must_use]
    pub fn without_columns(self) -> Self {
        Self { batch: RecordBatch::new_empty(Arc::new(Schema::empty())), ..self }
    }

    /// The broken records, in input order: each one's issue and span.
    pub fn broken_records(&self) -> impl Iterator<Item = (&Issue, RowSpan)> {
        debug_assert_eq!(self.bad.len(), self.broken.len());
        self.bad.iter().zip(self.broken.iter().copied())
    }

    /// A piece with no rows (a placeholder).
    pub fn empty() -> Self {
        Self {
            offset: 0,
            batch: RecordBatch::new_empty(Arc::new(Schema::empty())),
            rows: Vec::new(),
            bad: Vec::new(),
            broken: Vec::new(),
            consumed: 0,
            lines: 0,
            clean: true,
            replayed: Vec::new(),
        }
    }
}

/// Most columns a file may have (16,384, as in a spreadsheet): a header with more
/// fails the import (`TOO_MANY_COLUMNS`) as soon as its 16,385th column starts,
/// without reading the rest of the line. Header names obey [`MAX_FIELD_BYTES`]
/// like every field, so a header is parsed reading at most about
/// `MAX_COLUMNS * MAX_FIELD_BYTES` bytes, and a header over either limit fails
/// after reading little more than the limit.
pub const MAX_COLUMNS: usize = 16_384;

/// The header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Column names, trimmed.
    pub names: Vec<String>,
    /// Bytes the header takes, line break included.
    pub len: usize,
    /// Line breaks in the header (1 unless a name holds a newline).
    pub lines: u32,
}

/// Why the header cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The input has no header row.
    #[error("the file is empty: there is no header row")]
    Empty,
    /// The header row is broken or over a limit.
    #[error("the header (line {line}) {message}")]
    Broken {
        /// Line (1-based) the problem is on: where the header, or the broken name, starts.
        line: u64,
        /// Byte offset of the header record in the text.
        byte: u64,
        /// The column (0-based) it concerns, where one does.
        column: Option<u32>,
        /// Error code.
        code: ErrorCode,
        /// Explanation (follows "the header (line N)").
        message: String,
    },
}

impl HeaderError {
    /// The line (1-based) the error is reported on.
    pub fn line(&self) -> u64 {
        match self {
            Self::Empty => 1,
            Self::Broken { line, .. } => *line,
        }
    }

    /// The error code (`EMPTY_FILE` for an empty input).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::EmptyFile,
            Self::Broken { code, .. } => *code,
        }
    }

    /// The code as reported by `inspect`.
    pub fn code_str(&self) -> &'static str {
        self.code().as_str()
    }

    /// The error as an issue of the undecodable header record, its position
    /// absolute (the header is the input's first record), its message the
    /// error's text.
    pub fn issue(&self) -> Issue {
        let (byte, column) = match self {
            Self::Empty => (0, None),
            Self::Broken { byte, column, .. } => (*byte, *column),
        };
        Issue::undecoded(self.line(), byte, column).row_error(self.code(), String::new(), self.to_string())
    }
}

/// Parses the header: the first record that is not an empty line.
///
/// A record holding only delimiters (`,,,`) is a header without names, an error;
/// a header over [`MAX_COLUMNS`] columns or with a name over [`MAX_FIELD_BYTES`]
/// fails without the rest of the line being read.
pub fn header(text: &[u8], delimiter: u8) -> Result<Header, HeaderError> {
    scan_header(text, delimiter).map_err(|(e, _)| e)
}

/// `Some(n)` when the header breaks a size limit ([`MAX_COLUMNS`], or a name over
/// [`MAX_FIELD_BYTES`]): the input fails whatever else it holds, and `n` bytes
/// were read to find out.
pub fn header_over_limits(text: &[u8], delimiter: u8) -> Option<usize> {
    match scan_header(text, delimiter) {
        Err((
            HeaderError::Broken { code: ErrorCode::TooManyColumns | ErrorCode::ColumnTooLarge, .. },
            read,
        )) => Some(read),
        _ => None,
    }
}

/// The header, or its error and the bytes read to find it.
fn scan_header(text: &[u8], delimiter: u8) -> Result<Header, (HeaderError, usize)> {
    let mut parser = Parser::for_header(delimiter);
    let mut pos = 0;
    let mut lines = 0u32;
    while pos < text.len() {
        let line = u64::from(lines) + 1;
        let byte = pos as u64;
        let broken = |at: u32, column: Option<usize>, code: ErrorCode, message: String| HeaderError::Broken {
            line: line + u64::from(at),
            byte,
            column: column.map(|c| c as u32),
            code,
            message,
        };
        match parser.record(text, pos) {
            Record::Done { next, breaks } => {
                if parser.count == 1 && parser.blank {
                    // An empty line before the header.
                    pos = next;
                    lines += breaks;
                    continue;
                }
                let mut names = Vec::with_capacity(parser.fields.len());
                for f in 0..parser.fields.len() {
                    let raw = parser.field(text, f);
                    let fail = |code: ErrorCode, what: String| {
                        (broken(0, Some(f), code, format!("is broken: column {} {what}", f + 1)), next)
                    };
                    if raw.len() > MAX_FIELD_BYTES {
                        return Err(fail(
                            ErrorCode::ColumnTooLarge,
                            format!("is longer than {MAX_FIELD_BYTES} bytes, the limit for a column name"),
                        ));
                    }
                    // Checked in a copy: the input may change under a second read.
                    let raw = raw.to_vec();
                    if raw.contains(&0) {
                        return Err(fail(ErrorCode::NulByte, "holds a NUL byte".into()));
                    }
                    let Ok(name) = String::from_utf8(raw) else {
                        return Err(fail(ErrorCode::InvalidUtf8, "is not valid UTF-8".into()));
                    };
                    let name = name.trim();
                    // Lenient: `a, "b"` quotes a name after a space.
                    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                        Some(inner) => inner.replace("\"\"", "\""),
                        None => name.to_owned(),
                    };
                    names.push(name);
                }
                if names.iter().all(String::is_empty) {
                    let which = match names.len() {
                        1 => "column 1 is blank".to_owned(),
                        n => format!("columns 1-{n} are blank"),
                    };
                    return Err((
                        broken(0, None, ErrorCode::BlankHeader, format!("has no column names: {which}")),
                        next,
                    ));
                }
                return Ok(Header { names, len: next, lines: lines + breaks });
            }
            Record::Unterminated { open_breaks, resume, .. } => {
                let column = parser.count - 1;
                let message = format!("is broken: a quote opening in column {} never closes", column + 1);
                return Err((
                    broken(open_breaks, Some(column), ErrorCode::UnterminatedQuote, message),
                    resume,
                ));
            }
            Record::TooLarge { open_breaks, resume, .. } => {
                let column = parser.count - 1;
                let message = format!(
                    "is broken: column {} is longer than {MAX_FIELD_BYTES} bytes, the limit for a column name",
                    column + 1
                );
                return Err((broken(open_breaks, Some(column), ErrorCode::ColumnTooLarge, message), resume));
            }
            Record::OverLimit { stop, breaks, limit: Limit::Columns } => {
                let message = format!("has more than {MAX_COLUMNS} columns, the most a file may have");
                return Err((broken(breaks, Some(MAX_COLUMNS), ErrorCode::TooManyColumns, message), stop));
            }
            Record::OverLimit { stop, breaks, limit: Limit::FieldBytes } => {
                let column = parser.count - 1;
                let message = format!(
                    "is broken: column {} is longer than {MAX_FIELD_BYTES} bytes, the limit for a column name",
                    column + 1
                );
                return Err((broken(breaks, Some(column), ErrorCode::ColumnTooLarge, message), stop));
            }
        }
    }
    Err((HeaderError::Empty, text.len()))
}

/// The name of a column in a decoded batch: the header name, cut to 64 bytes, so
/// that every piece's schema stays small whatever the header's names (nothing reads
/// a batch's columns by name).
fn field_name(name: &str) -> &str {
    let mut end = name.len().min(64);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Decodes the complete records of `text[range]` into `columns` columns named
/// `names` (see [`field_name`]). `at_end` says that the range ends at the end of
/// the input, where an open quote is unterminated rather than continued.
///
/// Text is validated where it is kept: in the columns built from the copied
/// bytes, never in the input before copying. A mapped input can change between two
/// reads of the same byte (another process writes the file), so bytes validated in
/// the input are not known to be valid once copied.
pub fn decode(
    text: &[u8],
    range: Range<usize>,
    names: &[String],
    delimiter: u8,
    at_end: bool,
) -> DecodedPiece {
    decode_known(text, range, names, delimiter, at_end, None::<&mut fn(&[u8]) -> Option<(u64, u32)>>)
}

/// [`decode`], leaving out of the columns every good record that `known` knows
/// (see [`DecodedPiece::replayed`]): what a re-run knows of a record from its
/// bytes, the record it imports unchanged if it is one of the replay memo's
/// ([`crate::replay`]).
pub fn decode_known<F: FnMut(&[u8]) -> Option<(u64, u32)>>(
    text: &[u8],
    range: Range<usize>,
    names: &[String],
    delimiter: u8,
    at_end: bool,
    known: Option<&mut F>,
) -> DecodedPiece {
    // Almost every piece is valid UTF-8 without NULs: its rows are copied unchecked
    // and the columns validated once. Otherwise the piece is decoded again,
    // checking every row's copy, so that the broken rows fail on their own.
    let mut known = known;
    decode_piece(text, range.clone(), names, delimiter, (at_end, known.as_deref_mut()), false).unwrap_or_else(
        || decode_piece(text, range, names, delimiter, (at_end, known), true).expect("rows are checked"),
    )
}

/// [`decode`], checking the copy of every row for NUL bytes and invalid UTF-8 if
/// `check_rows`; otherwise `None` if a column holds either.
fn decode_piece<F: FnMut(&[u8]) -> Option<(u64, u32)>>(
    text: &[u8],
    range: Range<usize>,
    names: &[String],
    delimiter: u8,
    (at_end, mut known): (bool, Option<&mut F>),
    check_rows: bool,
) -> Option<DecodedPiece> {
    let piece = &text[range.clone()];
    let columns = names.len();
    // A record with more fields than that is broken anyway: the rest are counted, not kept.
    let mut parser = Parser::new(delimiter, columns + 1);
    let mut values: Vec<Vec<u8>> = vec![Vec::with_capacity(piece.len() / columns.max(1)); columns];
    let mut offsets: Vec<Vec<i32>> = vec![vec![0i32]; columns];
    let mut rows = Vec::new();
    let mut replayed = Vec::new();
    let mut bad = Broken::default();
    let (mut pos, mut line) = (0usize, 0u32);
    let mut clean = true;
    while pos < piece.len() {
        let start = pos;
        let span = |end: usize, line: u32| RowSpan { line, start: start as u32, end: end as u32 };
        match parser.record(piece, pos) {
            Record::Done { next, breaks } => {
                pos = next;
                let row = span(next, line);
                line += breaks;
                if parser.all_empty() {
                    continue;
                }
                if parser.count != columns {
                    let message = format!("expected {columns} fields, found {}", parser.count);
                    bad.push(
                        row,
                        row.line,
                        None,
                        ErrorCode::IncorrectNumberOfColumns,
                        String::new(),
                        message,
                    );
                    continue;
                }
                if let Some(oversize) = (0..columns).find(|&f| parser.field(piece, f).len() > MAX_FIELD_BYTES)
                {
                    let message = format!("field is longer than {MAX_FIELD_BYTES} bytes");
                    let column = Some(oversize as u32);
                    bad.push(row, row.line, column, ErrorCode::ColumnTooLarge, String::new(), message);
                    continue;
                }
                if let Some((id, at)) = known.as_mut().and_then(|k| k(&piece[start..next])) {
                    replayed.push((row, id, at));
                    continue;
                }
                if check_rows {
                    for (f, column) in values.iter_mut().enumerate() {
                        column.extend_from_slice(parser.field(piece, f));
                    }
                    if let Some((column, code, value, message)) = row_problem(&mut values, &offsets) {
                        bad.push(row, row.line, Some(column), code, value, message.into());
                        continue;
                    }
                    for (column, offsets) in values.iter().zip(&mut offsets) {
                        offsets.push(i32::try_from(column.len()).expect("pieces are far below 2 GiB"));
                    }
                } else {
                    for f in 0..columns {
                        let v = parser.field(piece, f);
                        values[f].extend_from_slice(v);
                        offsets[f].push(i32::try_from(values[f].len()).expect("pieces are far below 2 GiB"));
                    }
                }
                rows.push(row);
            }
            Record::Unterminated { open_breaks, resume, resume_breaks } if at_end => {
                bad.push(
                    span(resume, line),
                    line + open_breaks,
                    Some((parser.count - 1) as u32),
                    ErrorCode::UnterminatedQuote,
                    String::new(),
                    "a quoted field opens on this line and never closes; parsing resumed on the next line"
                        .into(),
                );
                pos = resume;
                line += resume_breaks;
            }
            Record::Unterminated { .. } => {
                clean = false;
                break;
            }
            Record::OverLimit { .. } => unreachable!("only a header parser stops at a limit"),
            Record::TooLarge { open_breaks, resume, resume_breaks } => {
                bad.push(
                    span(resume, line),
                    line + open_breaks,
                    Some((parser.count - 1) as u32),
                    ErrorCode::ColumnTooLarge,
                    String::new(),
                    format!(
                        "a quoted field opening on this line runs over {MAX_FIELD_BYTES} bytes; parsing resumed on the next line"
                    ),
                );
                pos = resume;
                line += resume_breaks;
            }
        }
    }
    let schema = Arc::new(Schema::new(
        names.iter().map(|n| Field::new(field_name(n), DataType::Utf8, false)).collect::<Vec<_>>(),
    ));
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns);
    for (v, o) in values.into_iter().zip(offsets) {
        if memchr::memchr(0, &v).is_some() {
            debug_assert!(!check_rows, "rows with NUL bytes were left out");
            return None;
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(o));
        arrays.push(Arc::new(utf8_column(offsets, v)?));
    }
    let batch = RecordBatch::try_new_with_options(
        schema,
        arrays,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows.len())),
    )
    .expect("columns have equal lengths");
    let Broken { issues: bad, spans: broken } = bad;
    Some(DecodedPiece {
        offset: range.start,
        batch,
        rows,
        bad,
        broken,
        consumed: pos,
        lines: line,
        clean,
        replayed,
    })
}

/// The broken records of a piece being decoded: their issues and spans.
#[derive(Default)]
struct Broken {
    issues: Vec<Issue>,
    spans: Vec<RowSpan>,
}

impl Broken {
    /// Records that the record at `span` is broken: `code` at the piece-relative
    /// `line` (the line the problem is on) and `column`.
    fn push(
        &mut self,
        span: RowSpan,
        line: u32,
        column: Option<u32>,
        code: ErrorCode,
        value: String,
        message: String,
    ) {
        let at = Issue::undecoded(u64::from(line), u64::from(span.start), column);
        self.issues.push(at.row_error(code, value, message));
        self.spans.push(span);
    }
}

/// Builds a column from the bytes copied into it, validating them: `None` if they
/// are not UTF-8 or a value does not start on a character boundary.
///
/// The checks are those of Arrow's `StringArray::try_new`, with SIMD validation and
/// without the boundary checks for an ASCII column: faster than the input's check
/// before the copy was, and done on bytes that nothing else can change.
#[allow(unsafe_code)]
fn utf8_column(offsets: OffsetBuffer<i32>, values: Vec<u8>) -> Option<StringArray> {
    if simdutf8::basic::from_utf8(&values).is_err() {
        return None;
    }
    let starts_a_character =
        |o: &i32| usize::try_from(*o).is_ok_and(|o| values.get(o).is_none_or(|&b| b & 0xC0 != 0x80));
    if !values.is_ascii() && !offsets.iter().all(starts_a_character) {
        return None;
    }
    debug_assert_eq!(usize::try_from(offsets.last()).ok(), Some(values.len()));
    // SAFETY: `values` is owned (copied out of the input, which may change, and
    // checked here, after the copy): it is valid UTF-8 and every offset is at a
    // character boundary, so every value is valid UTF-8. Offsets start at 0, never
    // decrease and end at `values.len()` (they are the lengths as values were appended).
    Some(unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(values), None) })
}

/// Finds a NUL byte or invalid UTF-8 in the row just appended to `values` (each
/// column's value starts at the last of its `offsets`), and takes the row out of
/// `values` again if it has one: its column, code, value (shortened) and message.
fn row_problem(
    values: &mut [Vec<u8>],
    offsets: &[Vec<i32>],
) -> Option<(u32, ErrorCode, String, &'static str)> {
    let start =
        |f: usize| offsets[f].last().map_or(0, |&o| usize::try_from(o).expect("offsets are positive"));
    let (f, code, message) = (0..values.len()).find_map(|f| {
        let v = &values[f][start(f)..];
        if memchr::memchr(0, v).is_some() {
            Some((f, ErrorCode::NulByte, "the field holds a NUL byte"))
        } else if simdutf8::basic::from_utf8(v).is_err() {
            Some((f, ErrorCode::InvalidUtf8, "the field is not valid UTF-8"))
        } else {
            None
        }
    })?;
    let v = &values[f][start(f)..];
    let value = String::from_utf8_lossy(&v[..v.len().min(200)]).replace('\0', "\\0");
    for (f, column) in values.iter_mut().enumerate() {
        column.truncate(start(f));
    }
    Some((f as u32, code, value, message))
}

/// How parsing one record ended.
enum Record {
    /// A complete record; `next` is where the next one starts.
    Done { next: usize, breaks: u32 },
    /// The input ended inside a quoted field that opened `open_breaks` line breaks
    /// into the record; `resume` is the start of the line after that one.
    Unterminated { open_breaks: u32, resume: usize, resume_breaks: u32 },
    /// A quoted field ran over [`MAX_FIELD_BYTES`]; resume as for `Unterminated`.
    TooLarge { open_breaks: u32, resume: usize, resume_breaks: u32 },
    /// Header parsing only: the record breaks a limit; parsing stopped at `stop`,
    /// `breaks` line breaks into the record (where the offending field starts).
    OverLimit { stop: usize, breaks: u32, limit: Limit },
}

/// The limit a header broke.
enum Limit {
    /// More than [`MAX_COLUMNS`] fields.
    Columns,
    /// A field over [`MAX_FIELD_BYTES`].
    FieldBytes,
}

/// Where a field's bytes are: in the input, or unescaped into the scratch buffer.
#[derive(Clone, Copy)]
struct FieldRef {
    start: u32,
    end: u32,
    scratch: bool,
}

struct Parser {
    delimiter: u8,
    /// The first `keep` fields of the current record.
    fields: Vec<FieldRef>,
    /// Fields of the current record, kept or not.
    count: usize,
    /// Every field of the current record is empty.
    blank: bool,
    /// Most fields kept per record: a record with more is broken anyway, and
    /// keeping them all would let memory grow with the length of a line.
    keep: usize,
    /// Header mode: stop at [`MAX_COLUMNS`] fields and at a field over
    /// [`MAX_FIELD_BYTES`] instead of reading on to the end of the record.
    header: bool,
    scratch: Vec<u8>,
}

fn count_breaks(bytes: &[u8]) -> u32 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n')).count();
    (lf + lone_cr) as u32
}

/// The start of the line after the line holding `at`, and the breaks skipped.
fn next_line(data: &[u8], at: usize) -> usize {
    match memchr::memchr2(b'\n', b'\r', &data[at..]) {
        None => data.len(),
        Some(off) => {
            let i = at + off;
            if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 }
        }
    }
}

impl Parser {
    fn new(delimiter: u8, keep: usize) -> Self {
        Self {
            delimiter,
            fields: Vec::with_capacity(keep.min(32)),
            count: 0,
            blank: true,
            keep,
            header: false,
            scratch: Vec::new(),
        }
    }

    fn for_header(delimiter: u8) -> Self {
        Self { header: true, ..Self::new(delimiter, MAX_COLUMNS) }
    }

    fn field<'a>(&'a self, data: &'a [u8], f: usize) -> &'a [u8] {
        let r = self.fields[f];
        if r.scratch {
            &self.scratch[r.start as usize..r.end as usize]
        } else {
            &data[r.start as usize..r.end as usize]
        }
    }

    fn all_empty(&self) -> bool {
        self.blank
    }

    /// Where the scan of a field starting at `from` may stop: the end of the data,
    /// or in header mode the first byte past the longest field allowed.
    fn scan_end(&self, data: &[u8], from: usize) -> usize {
        if self.header { data.len().min(from.saturating_add(MAX_FIELD_BYTES + 1)) } else { data.len() }
    }

    /// Parses one record starting at `pos`.
    fn record(&mut self, data: &[u8], pos: usize) -> Record {
        self.fields.clear();
        self.scratch.clear();
        self.count = 0;
        self.blank = true;
        let d = self.delimiter;
        let mut i = pos;
        let mut breaks = 0u32;
        loop {
            let keep = self.count < self.keep;
            self.count += 1;
            if data.get(i) == Some(&b'"') {
                let open = i;
                let open_breaks = breaks;
                // A closing quote past this closes a field over the limit.
                let window = self.scan_end(data, open);
                i += 1;
                let mut seg = i;
                let mut escaped = false;
                let scratch_start = self.scratch.len();
                loop {
                    let Some(off) = memchr::memchr(b'"', &data[i.min(window)..window]) else {
                        // Longer than the limit whether or not it closes later: the
                        // same answer a parse of the whole input gives.
                        let too_large = data.len() - open > MAX_FIELD_BYTES;
                        if self.header && too_large {
                            return Record::OverLimit {
                                stop: window,
                                breaks: open_breaks,
                                limit: Limit::FieldBytes,
                            };
                        }
                        return Self::resume_after(data, pos, open, open_breaks, too_large);
                    };
                    let q = i + off;
                    if q - open > MAX_FIELD_BYTES {
                        return Self::resume_after(data, pos, open, open_breaks, true);
                    }
                    breaks += count_breaks(&data[i..q]);
                    if data.get(q + 1) == Some(&b'"') {
                        if keep {
                            self.scratch.extend_from_slice(&data[seg..=q]);
                        }
                        escaped = true;
                        i = q + 2;
                        seg = i;
                    } else {
                        i = q + 1;
                        // Text after the closing quote, up to the delimiter, is kept.
                        let limit = self.scan_end(data, i);
                        let tail_end =
                            memchr::memchr3(d, b'\n', b'\r', &data[i..limit]).map_or(limit, |o| i + o);
                        if tail_end < data.len() && tail_end == limit {
                            return Record::OverLimit {
                                stop: limit,
                                breaks: open_breaks,
                                limit: Limit::FieldBytes,
                            };
                        }
                        self.blank &= !escaped && q == seg && tail_end == i;
                        if keep && (escaped || tail_end > i) {
                            self.scratch.extend_from_slice(&data[seg..q]);
                            self.scratch.extend_from_slice(&data[i..tail_end]);
                            self.fields.push(FieldRef {
                                start: scratch_start as u32,
                                end: self.scratch.len() as u32,
                                scratch: true,
                            });
                        } else if keep {
                            self.fields.push(FieldRef { start: seg as u32, end: q as u32, scratch: false });
                        }
                        i = tail_end;
                        break;
                    }
                }
            } else {
                let limit = self.scan_end(data, i);
                let end = memchr::memchr3(d, b'\n', b'\r', &data[i..limit]).map_or(limit, |o| i + o);
                if end < data.len() && end == limit {
                    return Record::OverLimit { stop: limit, breaks, limit: Limit::FieldBytes };
                }
                self.blank &= end == i;
                if keep {
                    self.fields.push(FieldRef { start: i as u32, end: end as u32, scratch: false });
                }
                i = end;
            }
            match data.get(i) {
                None => {
                    return Record::Done { next: data.len(), breaks };
                }
                Some(&b) if b == d => {
                    if self.header && self.count == MAX_COLUMNS {
                        // Another column starts: one more than a file may have.
                        return Record::OverLimit { stop: i + 1, breaks, limit: Limit::Columns };
                    }
                    i += 1;
                }
                Some(b'\r') => {
                    let next = if data.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                    return Record::Done { next, breaks: breaks + 1 };
                }
                Some(_) => {
                    return Record::Done { next: i + 1, breaks: breaks + 1 };
                }
            }
        }
    }

    fn resume_after(data: &[u8], pos: usize, open: usize, open_breaks: u32, too_large: bool) -> Record {
        let resume = next_line(data, open);
        let resume_breaks = count_breaks(&data[pos..resume]);
        if too_large {
            Record::TooLarge { open_breaks, resume, resume_breaks }
        } else {
            Record::Unterminated { open_breaks, resume, resume_breaks }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    fn cells(p: &DecodedPiece) -> Vec<Vec<String>> {
        (0..p.batch.num_rows())
            .map(|r| {
                (0..p.batch.num_columns())
                    .map(|c| {
                        p.batch.column(c).as_any().downcast_ref::<StringArray>().unwrap().value(r).to_owned()
                    })
                    .collect()
            })
            .collect()
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn quoted_fields_escapes_and_newlines() {
        let t = b"a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",x,y\n";
        let p = decode(t, 0..t.len(), &names(3), b',', true);
        assert_eq!(cells(&p), vec![vec!["a", "b,c", "say \"hi\""], vec!["multi\nline", "x", "y"]]);
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(p.lines, 3);
        assert!(p.clean && p.bad.is_empty());
    }

    #[test]
    fn wrong_field_counts_and_blank_lines() {
        let t = b"1,2\n\n1,2,3\n,\n4,5";
        let p = decode(t, 0..t.len(), &names(2), b',', true);
        assert_eq!(cells(&p), vec![vec!["1", "2"], vec!["4", "5"]]);
        assert_eq!(p.bad.len(), 1);
        assert_eq!((p.bad[0].code, p.bad[0].position.line), (ErrorCode::IncorrectNumberOfColumns, 2));
        assert_eq!((p.bad[0].position.byte, p.broken[0]), (5, RowSpan { line: 2, start: 5, end: 11 }));
    }

    #[test]
    fn unterminated_quote_is_reported_where_it_opens_and_parsing_goes_on() {
        let t = b"1,2\n3,\"oops\n5,6\n7,8\n";
        let p = decode(t, 0..t.len(), &names(2), b',', true);
        assert_eq!(p.bad.len(), 1);
        assert_eq!((p.bad[0].code, p.bad[0].position.line), (ErrorCode::UnterminatedQuote, 1));
        assert_eq!(cells(&p), vec![vec!["1", "2"], vec!["5", "6"], vec!["7", "8"]]);
        assert_eq!(p.rows[1].line, 2);
        // The issue is the row error of a record without a batch row, at the record's
        // start; the record's span runs to the line after the quote opens.
        let (issue, span) = p.broken_records().next().unwrap();
        assert_eq!(
            (issue.row, issue.row_error, issue.position.byte, issue.position.column),
            (None, true, 4, Some(1))
        );
        assert_eq!(span, RowSpan { line: 1, start: 4, end: 12 });
        // Not at the end: the piece stops before the open record.
        let p = decode(t, 0..t.len(), &names(2), b',', false);
        assert!(!p.clean);
        assert_eq!(p.consumed, 4);
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_fail_their_row() {
        let t = b"a,b\nc\0,d\ne,\xff\n";
        let p = decode(t, 0..t.len(), &names(2), b',', true);
        assert_eq!(cells(&p), vec![vec!["a", "b"]]);
        let codes: Vec<_> = p.bad.iter().map(|b| (b.code, b.position.column, b.position.line)).collect();
        assert_eq!(codes, vec![(ErrorCode::NulByte, Some(0), 1), (ErrorCode::InvalidUtf8, Some(1), 2)]);
    }

    #[test]
    fn values_are_validated_one_by_one_not_only_as_a_column() {
        // Column 0 holds `\xC3` then `\xA9`: together `é`, each alone not UTF-8.
        let t = b"\xC3,x\n\xA9,y\nok,z\n";
        let p = decode(t, 0..t.len(), &names(2), b',', true);
        assert_eq!(cells(&p), vec![vec!["ok", "z"]]);
        let codes: Vec<_> = p.bad.iter().map(|b| (b.code, b.position.column, b.position.line)).collect();
        assert_eq!(codes, vec![(ErrorCode::InvalidUtf8, Some(0), 0), (ErrorCode::InvalidUtf8, Some(0), 1)]);
        // A replacement character written in the text is data.
        let t = "a,\u{FFFD}\n".as_bytes();
        let p = decode(t, 0..t.len(), &names(2), b',', true);
        assert_eq!((cells(&p), p.bad.len()), (vec![vec!["a".to_owned(), "\u{FFFD}".to_owned()]], 0));
    }

    #[test]
    fn cr_only_line_endings() {
        let t = b"1,2\r3,4\r";
        let p = decode(t, 0..t.len(), &names(2), b',', true);
        assert_eq!(cells(&p), vec![vec!["1", "2"], vec!["3", "4"]]);
    }

    #[test]
    fn header_skips_blank_lines_and_trims() {
        let h = header(b"\n  Email , \"First Name\"\r\nx,y", b',').unwrap();
        assert_eq!(h.names, vec!["Email", "First Name"]);
        assert_eq!(h.lines, 2);
        assert_eq!(header(b"", b','), Err(HeaderError::Empty));
    }

    fn code(e: &HeaderError) -> (u64, Option<u32>, ErrorCode) {
        match e {
            HeaderError::Broken { line, column, code, .. } => (*line, *column, *code),
            HeaderError::Empty => panic!("not a broken header"),
        }
    }

    #[test]
    fn a_header_over_the_limits_is_rejected_after_reading_little_past_them() {
        // 100,000 columns: parsing stops where the 16,385th starts.
        let cols: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
        let line = format!("{}\n", cols.join(","));
        let e = header(line.as_bytes(), b',').unwrap_err();
        assert_eq!(code(&e), (1, Some(MAX_COLUMNS as u32), ErrorCode::TooManyColumns));
        assert!(e.to_string().contains("more than 16384 columns"), "{e}");
        let at_limit = cols[..MAX_COLUMNS].join(",").len() + 1;
        assert_eq!(header_over_limits(line.as_bytes(), b','), Some(at_limit));
        // A name of 8 MiB, unquoted or quoted: parsing reads one byte past the limit.
        let long = "n".repeat(8 << 20);
        for (text, from) in [(format!("a,{long}\n"), 2), (format!("a,\"{long}\"\n"), 2)] {
            let e = header(text.as_bytes(), b',').unwrap_err();
            assert_eq!(code(&e), (1, Some(1), ErrorCode::ColumnTooLarge));
            let read = header_over_limits(text.as_bytes(), b',').unwrap();
            assert_eq!(read, from + MAX_FIELD_BYTES + 1);
        }
        // After a name holding a newline, the line is the one the long name opens on.
        let text = format!("\n\"two\nlines\",\"{long}\"\n");
        assert_eq!(
            code(&header(text.as_bytes(), b',').unwrap_err()),
            (3, Some(1), ErrorCode::ColumnTooLarge)
        );
        // Exactly at the limits: a header.
        let text = format!("{},{}\n", cols[..MAX_COLUMNS - 1].join(","), "n".repeat(MAX_FIELD_BYTES));
        let h = header(text.as_bytes(), b',').unwrap();
        assert_eq!(h.names.len(), MAX_COLUMNS);
        assert_eq!(header_over_limits(text.as_bytes(), b','), None);
    }

    #[test]
    fn a_header_of_delimiters_has_no_names_but_empty_lines_are_skipped() {
        let e = header(b"\r\n\r\n,,,,,\r\na,b,c,d,e,f\r\n", b',').unwrap_err();
        assert_eq!(code(&e), (3, None, ErrorCode::BlankHeader));
        assert_eq!(e.to_string(), "the header (line 3) has no column names: columns 1-6 are blank");
        let e = header(b"  \nx\n", b',').unwrap_err();
        assert_eq!(e.to_string(), "the header (line 1) has no column names: column 1 is blank");
        // `""` alone on a line is an empty line; some blank names make a header.
        let h = header(b"\"\"\nEmail,,Name,\n", b',').unwrap();
        assert_eq!(h.names, vec!["Email", "", "Name", ""]);
        assert_eq!(h.lines, 2);
    }

    #[test]
    fn a_data_record_keeps_at_most_one_field_more_than_the_header() {
        let wide = format!("{}\n", vec!["x"; 10_000].join(","));
        let mut parser = Parser::new(b',', 3);
        assert!(matches!(parser.record(wide.as_bytes(), 0), Record::Done { .. }));
        assert_eq!((parser.count, parser.fields.len()), (10_000, 3));
        let text = format!("1,2\n{wide},,,,,,,,\n3,4\n");
        let p = decode(text.as_bytes(), 0..text.len(), &names(2), b',', true);
        assert_eq!(cells(&p), vec![vec!["1", "2"], vec!["3", "4"]]);
        assert_eq!(p.bad.len(), 1);
        assert_eq!(p.bad[0].message, "expected 2 fields, found 10000");
    }
}
