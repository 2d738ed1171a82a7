//! Inputs that are not text: what a file is, and spreadsheets and Parquet files
//! turned into the CSV text the pipeline reads.
//!
//! [`sniff`] tells a file's format by its first bytes, not its name: a ZIP holding a
//! workbook is XLSX or ODS, an OLE compound file XLS (or a workbook encrypted with a
//! password), `PAR1` Parquet; gzip, PDF, images and other binary formats are named
//! in a clear refusal instead of a flood of row errors.
//!
//! [`spool`] streams a sheet or a Parquet file into a temporary CSV file, one line
//! per sheet row (empty rows are empty lines, so that a CSV line is the row number
//! the spreadsheet shows, unless a cell holds a line break; then [`LineMap`] keeps
//! the row numbers), each cell as [`crate::input::cells::render`] writes it. The
//! pipeline then maps that file like any CSV, in parallel, with the same positions,
//! error files and rejected-rows files (a rejected row is its cells as CSV). The
//! cells that were numbers in the file are kept aside ([`TypedNumbers`]) so that
//! the transform reads them as plain decimals, never through a `1.234,5` locale.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::input::cells::{Cell, Rendered, render};
use crate::input::sheet::{self, SheetError, WorkbookKind};

/// What a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text (CSV, or anything else read as text).
    Text,
    /// A workbook.
    Workbook(WorkbookKind),
    /// Apache Parquet.
    Parquet,
}

/// Why a file is not read at all.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// A binary format the engine does not read.
    #[error("the file looks like {0}, not CSV, a spreadsheet or Parquet: {1}")]
    NotReadable(&'static str, &'static str),
    /// A workbook that cannot be read.
    #[error(transparent)]
    Sheet(#[from] SheetError),
    /// A Parquet file that cannot be read.
    #[error(transparent)]
    Parquet(#[from] crate::input::parquet::ParquetError),
    /// The reader of the file failed on its contents (it panicked).
    #[error("the {0} file is damaged: its reader could not make sense of it")]
    Damaged(&'static str),
    /// The temporary CSV file cannot be written.
    #[error("the converted copy cannot be written in {dir}: {source}")]
    Spool {
        /// The temporary directory.
        dir: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The format of a file starting with `head` (its first few kilobytes).
pub fn sniff(head: &[u8]) -> Result<Format, ConvertError> {
    use ConvertError::NotReadable;
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") {
        // An OOXML package names its parts in the local headers; ODF starts with its
        // uncompressed `mimetype` entry.
        if contains(head, b"mimetype") && contains(head, b"opendocument.spreadsheet") {
            return Ok(Format::Workbook(WorkbookKind::Ods));
        }
        if contains(head, b"[Content_Types].xml") || contains(head, b"xl/") || contains(head, b"_rels/") {
            return Ok(Format::Workbook(WorkbookKind::Xlsx));
        }
        if contains(head, b"word/") {
            return Err(NotReadable("a Word document (DOCX)", "save the table as CSV or XLSX"));
        }
        return Err(NotReadable("a ZIP archive", "extract the CSV or spreadsheet from it first"));
    }
    if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // An encrypted OOXML workbook is an OLE file holding an `EncryptedPackage`
        // stream (its directory entry names are UTF-16).
        if contains(head, &utf16(b"EncryptedPackage")) {
            return Err(ConvertError::Sheet(SheetError::Protected));
        }
        return Ok(Format::Workbook(WorkbookKind::Xls));
    }
    if starts(b"PAR1") {
        return Ok(Format::Parquet);
    }
    let refusals: [(&[u8], &str, &str); 8] = [
        (&[0x1F, 0x8B], "a gzip-compressed file", "decompress it first (gunzip)"),
        (b"BZh", "a bzip2-compressed file", "decompress it first (bunzip2)"),
        (&[0xFD, b'7', b'z', b'X', b'Z', 0], "an xz-compressed file", "decompress it first (unxz)"),
        (&[0x28, 0xB5, 0x2F, 0xFD], "a zstd-compressed file", "decompress it first (unzstd)"),
        (b"%PDF", "a PDF document", "export the table as CSV or XLSX"),
        (b"\x89PNG", "a PNG image", "give the data file itself"),
        (&[0xFF, 0xD8, 0xFF], "a JPEG image", "give the data file itself"),
        (b"SQLite format 3\0", "an SQLite database", "export the table as CSV first"),
    ];
    for (magic, what, hint) in refusals {
        if starts(magic) {
            return Err(NotReadable(what, hint));
        }
    }
    Ok(Format::Text)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

fn utf16(ascii: &[u8]) -> Vec<u8> {
    ascii.iter().flat_map(|&b| [b, 0]).collect()
}

/// The cells of a converted file that were numbers in it: read as plain decimals.
#[derive(Debug, Default)]
pub struct TypedNumbers {
    /// Byte offset in the converted text where each record starts, ascending.
    starts: Vec<u64>,
    /// Per column: bit `r` set when record `r`'s cell is a number; empty when the
    /// column holds none.
    columns: Vec<Vec<u64>>,
}

impl TypedNumbers {
    /// The record starting at byte `offset` of the converted text.
    pub fn record_at(&self, offset: u64) -> Option<usize> {
        self.starts.binary_search(&offset).ok()
    }

    /// Whether record `record`'s cell in `column` is a number of the file.
    pub fn is_number(&self, record: usize, column: usize) -> bool {
        self.columns
            .get(column)
            .and_then(|bits| bits.get(record / 64))
            .is_some_and(|w| w >> (record % 64) & 1 == 1)
    }

    /// Whether no cell is a number of the file.
    pub fn is_empty(&self) -> bool {
        self.columns.iter().all(Vec::is_empty)
    }

    fn mark(&mut self, record: usize, column: usize) {
        if self.columns.len() <= column {
            self.columns.resize(column + 1, Vec::new());
        }
        let bits = &mut self.columns[column];
        if bits.len() <= record / 64 {
            bits.resize(record / 64 + 1, 0);
        }
        bits[record / 64] |= 1 << (record % 64);
    }
}

/// How a converted file's positions are shown: the row numbers its lines stand
/// for, when they differ (a Parquet file counts rows without a header; a cell with
/// a line break shifts the lines after it), and whether columns have letters.
#[derive(Debug, Default, Clone)]
pub struct LineMap {
    /// A spreadsheet: a column is shown with its letter too (`Email (B)`).
    pub letters: bool,
    /// `(first line of a record, its row)`, ascending, for records whose row is not
    /// their line plus `shift`.
    records: Vec<(u64, u64)>,
    /// Row = line + shift for records before the first entry of `records`.
    shift: i64,
}

impl LineMap {
    /// The row number of the record starting on `line` (or of the line itself).
    pub fn row(&self, line: u64) -> u64 {
        match self.records.binary_search_by_key(&line, |r| r.0) {
            Ok(i) => self.records[i].1,
            Err(0) => line.saturating_add_signed(self.shift),
            Err(i) => self.records[i - 1].1 + (line - self.records[i - 1].0),
        }
    }
}

/// A spreadsheet or Parquet file converted to CSV text.
#[derive(Debug)]
pub struct Spooled {
    /// The CSV text, in a temporary file (removed when dropped).
    pub file: tempfile::NamedTempFile,
    /// Cells that were numbers.
    pub numbers: std::sync::Arc<TypedNumbers>,
    /// Row numbers of the lines.
    pub lines: LineMap,
    /// What was read: `XLSX sheet 'Contacts'`, `Parquet`.
    pub what: String,
}

/// Writes rows as CSV lines, keeping the typed numbers and the line numbers.
struct Writer {
    out: BufWriter<std::fs::File>,
    written: u64,
    line: u64,
    records: u64,
    header: bool,
    /// The header's width: shorter rows are padded with empty cells (a sheet row
    /// ends at its last value).
    width: usize,
    numbers: TypedNumbers,
    lines: LineMap,
    text: String,
}

impl Writer {
    fn new(file: std::fs::File) -> Self {
        Self {
            out: BufWriter::with_capacity(1 << 20, file),
            written: 0,
            line: 0,
            records: 0,
            header: true,
            width: 0,
            numbers: TypedNumbers::default(),
            lines: LineMap::default(),
            text: String::new(),
        }
    }

    /// Writes row `row` (its number as the file counts them).
    fn row(&mut self, row: u64, cells: &[Cell<'_>], shift: i64) -> std::io::Result<()> {
        // A row without a value is a blank row (empty text included): not written.
        if cells.iter().all(|c| matches!(c, Cell::Empty | Cell::Text("") | Cell::Error(""))) {
            return Ok(());
        }
        // Empty lines up to the row's own, so that lines are row numbers.
        let target = row.saturating_add_signed(-shift).max(self.line + 1);
        while self.line + 1 < target {
            self.out.write_all(b"\n")?;
            self.written += 1;
            self.line += 1;
        }
        self.line += 1;
        // Once a line break has shifted the lines, every later record is listed.
        if self.line.saturating_add_signed(shift) != row || !self.lines.records.is_empty() {
            self.lines.records.push((self.line, row));
        }
        let record = if self.header { None } else { Some(self.records as usize) };
        if !self.header {
            self.numbers.starts.push(self.written);
            self.records += 1;
        }
        if self.header {
            self.width = cells.len();
        }
        self.header = false;
        for (c, cell) in cells.iter().enumerate() {
            if c > 0 {
                self.out.write_all(b",")?;
                self.written += 1;
            }
            self.text.clear();
            let rendered = render(*cell, &mut self.text);
            if rendered == Rendered::Number
                && let Some(r) = record
            {
                self.numbers.mark(r, c);
            }
            self.written += write_field(&mut self.out, &self.text)?;
            self.line += line_breaks(self.text.as_bytes());
        }
        for _ in cells.len()..self.width {
            self.out.write_all(b",")?;
            self.written += 1;
        }
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }
}

/// Line breaks in `text` as the decoder counts them: `\n`, `\r\n` and a lone `\r`.
fn line_breaks(text: &[u8]) -> u64 {
    let crs_before_lf = text.windows(2).filter(|w| w == b"\r\n").count();
    (memchr::memchr_iter(b'\n', text).count() + memchr::memchr_iter(b'\r', text).count() - crs_before_lf)
        as u64
}

/// Writes one CSV field, quoted when it must be; returns the bytes written.
fn write_field(out: &mut impl Write, text: &str) -> std::io::Result<u64> {
    if !text.contains([',', '"', '\n', '\r']) {
        out.write_all(text.as_bytes())?;
        return Ok(text.len() as u64);
    }
    let mut n = 2;
    out.write_all(b"\"")?;
    for part in text.split_inclusive('"') {
        out.write_all(part.as_bytes())?;
        n += part.len() as u64;
        if part.ends_with('"') {
            out.write_all(b"\"")?;
            n += 1;
        }
    }
    out.write_all(b"\"")?;
    Ok(n)
}

/// Runs a reader of a damaged file: a panic inside calamine or the parquet crate
/// (which a crafted file might cause) is the file's error, not the engine's crash.
fn unpanicked<T>(
    kind: &'static str,
    read: impl FnOnce() -> Result<T, ConvertError>,
) -> Result<T, ConvertError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err(ConvertError::Damaged(kind)))
}

/// Whether a row was written (else the error is kept in `failure` and reading stops).
fn kept(written: std::io::Result<()>, failure: &mut Option<std::io::Error>) -> bool {
    written.map_err(|e| *failure = Some(e)).is_ok()
}

/// Converts the spreadsheet or Parquet file at `path` (of `format`, not text) to a
/// temporary CSV file in `dir` (default: the system's temporary directory); `sheet`
/// names the sheet of a workbook (default: the first).
pub fn spool(
    path: &Path,
    format: Format,
    sheet: Option<&str>,
    dir: Option<&Path>,
) -> Result<Spooled, ConvertError> {
    let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let spool_error = |source: std::io::Error| ConvertError::Spool { dir: dir.display().to_string(), source };
    let file =
        tempfile::Builder::new().prefix(".ingest-").suffix(".csv").tempfile_in(&dir).map_err(spool_error)?;
    let mut w = Writer::new(file.reopen().map_err(spool_error)?);
    let mut failure: Option<std::io::Error> = None;
    let what = match format {
        Format::Text => unreachable!("text is read as it is"),
        Format::Workbook(kind) => {
            let name = unpanicked(kind.name(), || {
                sheet::read(path, kind, sheet, |row, cells| {
                    kept(w.row(u64::from(row), cells, 0), &mut failure)
                })
                .map_err(ConvertError::from)
            })?;
            w.lines.letters = true;
            format!("{} sheet '{name}'", kind.name())
        }
        Format::Parquet => {
            // The header is line 1; row N of the file is line N + 1.
            w.lines.shift = -1;
            unpanicked("Parquet", || {
                crate::input::parquet::read(path, |row, cells| {
                    kept(if row == 0 { w.row(1, cells, 0) } else { w.row(row, cells, -1) }, &mut failure)
                })
                .map_err(ConvertError::from)
            })?;
            "Parquet".to_owned()
        }
    };
    if let Some(e) = failure {
        return Err(spool_error(e));
    }
    w.out.flush().map_err(spool_error)?;
    if w.numbers.is_empty() {
        // No number cell: the record offsets (8 bytes a row) are not needed.
        w.numbers = TypedNumbers::default();
    }
    Ok(Spooled { file, numbers: std::sync::Arc::new(w.numbers), lines: w.lines, what })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(sniff(b"Email,Name\na@x.com,A\n").unwrap(), Format::Text);
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml...xl/workbook.xml").unwrap(),
            Format::Workbook(WorkbookKind::Xlsx)
        );
        assert_eq!(
            sniff(b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.spreadsheet").unwrap(),
            Format::Workbook(WorkbookKind::Ods)
        );
        assert_eq!(sniff(b"PAR1....").unwrap(), Format::Parquet);
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        assert_eq!(sniff(&ole).unwrap(), Format::Workbook(WorkbookKind::Xls));
        ole.extend(utf16(b"EncryptedPackage"));
        assert!(matches!(sniff(&ole), Err(ConvertError::Sheet(SheetError::Protected))));
        let e = sniff(&[0x1F, 0x8B, 8, 0]).unwrap_err().to_string();
        assert_eq!(
            e,
            "the file looks like a gzip-compressed file, not CSV, a spreadsheet or Parquet: decompress it first (gunzip)"
        );
        assert!(sniff(b"PK\x03\x04 plain.csv").unwrap_err().to_string().contains("a ZIP archive"));
        assert!(sniff(b"%PDF-1.7").unwrap_err().to_string().contains("a PDF document"));
    }

    #[test]
    fn rows_become_csv_lines_numbered_as_the_sheet_numbers_them() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut w = Writer::new(file.reopen().unwrap());
        w.row(2, &[Cell::Text("Email"), Cell::Text("Amount")], 0).unwrap();
        w.row(3, &[Cell::Text("a@x.com"), Cell::Float(1234.5)], 0).unwrap();
        w.row(5, &[Cell::Text("line\nbreak, \"quoted\""), Cell::Text("1.250")], 0).unwrap();
        w.row(6, &[Cell::Empty, Cell::Int(7)], 0).unwrap();
        w.out.flush().unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(text, "\nEmail,Amount\na@x.com,1234.5\n\n\"line\nbreak, \"\"quoted\"\"\",1.250\n,7\n");
        w.row(8, &[Cell::Text("short")], 0).unwrap();
        w.out.flush().unwrap();
        assert!(
            std::fs::read_to_string(file.path()).unwrap().ends_with(",7\nshort,\n"),
            "padded to the header"
        );
        // Records start where the text says, and only the file's numbers are marked.
        let text = std::fs::read_to_string(file.path()).unwrap();
        let starts = ["a@x.com", "\"line", ",7", "short"].map(|s| text.find(s).unwrap() as u64);
        assert_eq!(w.numbers.starts, starts);
        assert!(w.numbers.is_number(0, 1) && !w.numbers.is_number(1, 1) && w.numbers.is_number(2, 1));
        assert!(!w.numbers.is_number(0, 0));
        // The line break shifts the lines after it: row 6 is on line 7.
        assert_eq!((w.lines.row(3), w.lines.row(5), w.lines.row(7)), (3, 5, 6));
    }

    /// Excel's largest sheet (1,048,576 rows, the header included) streams through
    /// the converter with every row numbered as the sheet numbers it, without the
    /// sheet being held in memory (the reader is calamine's cell stream).
    #[test]
    fn a_sheet_with_a_million_rows_converts_row_by_row() {
        const ROWS: u32 = 1_048_576;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory().unwrap();
        sheet.write_string(0, 0, "Email").unwrap();
        sheet.write_string(0, 1, "Score").unwrap();
        for r in 1..ROWS {
            sheet.write_string(r, 0, format!("p{r}@exämple.de")).unwrap();
            sheet.write_number(r, 1, f64::from(r % 1000)).unwrap();
        }
        book.save(&path).unwrap();
        let spooled = spool(&path, Format::Workbook(WorkbookKind::Xlsx), None, Some(dir.path())).unwrap();
        let text = std::fs::read(spooled.file.path()).unwrap();
        let lines = memchr::memchr_iter(b'\n', &text).count();
        assert_eq!(lines, ROWS as usize, "one line per sheet row");
        assert!(text.starts_with(b"Email,Score\np1@ex\xc3\xa4mple.de,1\n"));
        assert!(text.ends_with(format!("p{}@exämple.de,575\n", ROWS - 1).as_bytes()));
        assert_eq!(spooled.lines.row(u64::from(ROWS)), u64::from(ROWS), "the last row keeps its number");
        let last =
            spooled.numbers.record_at((text.len() - "p1048575@exämple.de,575\n".len()) as u64).unwrap();
        assert_eq!(last, ROWS as usize - 2, "records count from the first data row");
        assert!(spooled.numbers.is_number(last, 1) && !spooled.numbers.is_number(last, 0));
    }

    /// An owned cell, for the generator.
    #[derive(Debug, Clone)]
    enum Owned {
        Empty,
        Text(String),
        Int(i64),
        Float(f64),
        Bool(bool),
        Date(i32, u32, u32),
    }

    impl Owned {
        fn cell(&self) -> Cell<'_> {
            match self {
                Self::Empty => Cell::Empty,
                Self::Text(s) => Cell::Text(s),
                Self::Int(i) => Cell::Int(*i),
                Self::Float(f) => Cell::Float(*f),
                Self::Bool(b) => Cell::Bool(*b),
                Self::Date(y, m, d) => Cell::Date { year: *y, month: *m, day: *d },
            }
        }
    }

    fn owned() -> impl proptest::strategy::Strategy<Value = Owned> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Owned::Empty),
            "[a-zA-Zéøß ,;\"\n\r'0-9.-]{0,12}".prop_map(Owned::Text),
            any::<i64>().prop_map(Owned::Int),
            (-1e12f64..1e12).prop_map(Owned::Float),
            any::<bool>().prop_map(Owned::Bool),
            (1900i32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Owned::Date(y, m, d)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

        /// Whatever the cells (quotes, commas, line breaks, non-ASCII text, numbers),
        /// the spool decodes back to each cell's text, numbers are marked where they
        /// are, and every record's line maps to its row number.
        #[test]
        fn any_cells_spool_to_csv_that_decodes_back_to_their_text(
            rows in proptest::collection::vec(
                (1u64..4, proptest::collection::vec(owned(), 1..5)),
                1..30,
            ),
        ) {
            let file = tempfile::NamedTempFile::new().unwrap();
            let mut w = Writer::new(file.reopen().unwrap());
            let names = ["a", "b", "c", "d"];
            w.row(1, &names.map(Cell::Text), 0).unwrap();
            let mut row = 1;
            let mut expected: Vec<(u64, Vec<String>, Vec<bool>)> = Vec::new();
            for (gap, cells) in &rows {
                row += gap;
                let cells: Vec<Cell<'_>> = cells.iter().map(Owned::cell).collect();
                w.row(row, &cells, 0).unwrap();
                let mut texts = vec![String::new(); names.len()];
                let mut numbers = vec![false; names.len()];
                for (c, cell) in cells.iter().enumerate() {
                    numbers[c] = render(*cell, &mut texts[c]) == Rendered::Number;
                }
                // A row of empty texts is a blank row: not written, or ignored.
                if texts.iter().any(|t| !t.is_empty()) {
                    expected.push((row, texts, numbers));
                }
            }
            w.out.flush().unwrap();
            let text = std::fs::read(file.path()).unwrap();
            let header = crate::input::decode::header(&text, b',').unwrap();
            let piece = crate::input::decode::decode(&text, header.len..text.len(), &header.names, b',', true);
            proptest::prop_assert!(piece.bad.is_empty(), "{:?}", piece.bad);
            let columns = piece.columns();
            proptest::prop_assert_eq!(piece.rows.len(), expected.len());
            // The header is row 1, on line 1: the body starts on line 2.
            let first_line = u64::from(header.lines) + 1;
            for (r, (row, texts, numbers)) in expected.iter().enumerate() {
                for (c, want) in texts.iter().enumerate() {
                    proptest::prop_assert_eq!(columns[c].value(r), want.as_str());
                    let record = w.numbers.record_at((piece.offset + piece.rows[r].start as usize) as u64);
                    proptest::prop_assert_eq!(record, Some(r));
                    proptest::prop_assert_eq!(w.numbers.is_number(r, c), numbers[c]);
                }
                let line = first_line + u64::from(piece.rows[r].line);
                proptest::prop_assert_eq!(w.lines.row(line), *row);
            }
        }
    }
}
