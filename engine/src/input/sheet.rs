//! Spreadsheets (XLSX, XLS, ODS) as rows of typed cells, through calamine.
//!
//! [`read`] calls back once per row of one sheet (the first unless named), in
//! order, with the sheet's row number (1-based, as the spreadsheet shows it) and
//! one [`Cell`] per column from column A. An XLSX sheet is streamed cell by cell
//! (calamine's cell reader), so memory holds one row, not the sheet; XLS and ODS
//! sheets are read whole by calamine (their formats are not streamable there).
//!
//! Values are the cells' cached values (a formula gives what it last computed);
//! a merged area holds its value in its first cell. Date cells are converted from
//! their serial numbers in the workbook's date system (1900, with its leap-year
//! bug: serial 60 is the 29 February 1900 that never was, which no date property
//! takes, or 1904).

use std::path::Path;

use calamine::{Data, DataRef, ExcelDateTime, Reader};

use crate::input::cells::Cell;

/// The spreadsheet formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkbookKind {
    /// Office Open XML (`.xlsx`, `.xlsm`).
    Xlsx,
    /// Excel 97-2003 (`.xls`).
    Xls,
    /// `OpenDocument` (`.ods`).
    Ods,
}

impl WorkbookKind {
    /// The format's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Xlsx => "XLSX",
            Self::Xls => "XLS",
            Self::Ods => "ODS",
        }
    }
}

/// Why a sheet cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// The workbook does not open (corrupt, truncated, not what it looks like).
    #[error("the {kind} workbook cannot be read: {message}")]
    Open {
        /// The format.
        kind: &'static str,
        /// calamine's explanation.
        message: String,
    },
    /// The workbook is encrypted with a password.
    #[error(
        "the workbook is protected with a password: save it without one (File > Info > Protect Workbook in Excel) and import it again"
    )]
    Protected,
    /// `--sheet NAME` names no sheet.
    #[error("the workbook has no sheet '{name}'; its sheets: {}", .sheets.join(", "))]
    NoSheet {
        /// The name asked for.
        name: String,
        /// The sheets it has.
        sheets: Vec<String>,
    },
    /// The workbook has no sheet at all.
    #[error("the workbook has no sheet")]
    Empty,
    /// A sheet's data cannot be read.
    #[error("sheet '{sheet}' cannot be read: {message}")]
    Read {
        /// The sheet.
        sheet: String,
        /// calamine's explanation.
        message: String,
    },
}

/// The sheets of a workbook, in order.
pub fn sheet_names(path: &Path, kind: WorkbookKind) -> Result<Vec<String>, SheetError> {
    let open = |e: String| SheetError::Open { kind: kind.name(), message: e };
    Ok(match kind {
        WorkbookKind::Xlsx => calamine::open_workbook::<calamine::Xlsx<_>, _>(path)
            .map_err(|e| open(e.to_string()))?
            .sheet_names(),
        WorkbookKind::Xls => calamine::open_workbook::<calamine::Xls<_>, _>(path)
            .map_err(|e| open(e.to_string()))?
            .sheet_names(),
        WorkbookKind::Ods => calamine::open_workbook::<calamine::Ods<_>, _>(path)
            .map_err(|e| open(e.to_string()))?
            .sheet_names(),
    })
}

/// The sheet to read: `wanted`, or the first one.
fn choose(names: Vec<String>, wanted: Option<&str>) -> Result<String, SheetError> {
    match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(w)))
            .cloned()
            .ok_or_else(|| SheetError::NoSheet { name: w.to_owned(), sheets: names.clone() }),
        None => names.into_iter().next().ok_or(SheetError::Empty),
    }
}

/// Reads sheet `wanted` (or the first) of the workbook at `path`, calling `row`
/// with each row's number (1-based) and cells (one per column from A; rows with
/// no cell at all are not given); `row` returns false to stop. Returns the
/// sheet's name.
pub fn read(
    path: &Path,
    kind: WorkbookKind,
    wanted: Option<&str>,
    mut row: impl FnMut(u32, &[Cell<'_>]) -> bool,
) -> Result<String, SheetError> {
    let open = |e: String| SheetError::Open { kind: kind.name(), message: e };
    let mut scratch = String::new();
    match kind {
        WorkbookKind::Xlsx => {
            let mut book: calamine::Xlsx<_> =
                calamine::open_workbook(path).map_err(|e: calamine::XlsxError| open(e.to_string()))?;
            let name = choose(book.sheet_names(), wanted)?;
            let failed =
                |e: calamine::XlsxError| SheetError::Read { sheet: name.clone(), message: e.to_string() };
            let mut reader = book.worksheet_cells_reader(&name).map_err(failed)?;
            let mut current: Option<u32> = None;
            let mut values: Vec<(u32, DataRef<'_>)> = Vec::new();
            loop {
                let next = reader.next_cell().map_err(failed)?;
                let pos = next.as_ref().map(calamine::Cell::get_position);
                if let Some(r) = current
                    && pos.map(|p| p.0) != current
                {
                    if !emit(r, &values, &mut scratch, &mut row) {
                        break;
                    }
                    values.clear();
                }
                let Some(cell) = next else { break };
                let (r, c) = cell.get_position();
                current = Some(r);
                values.push((c, cell.get_value().clone()));
            }
            Ok(name)
        }
        WorkbookKind::Xls => read_whole::<calamine::Xls<_>>(path, kind, wanted, &mut scratch, &mut row),
        WorkbookKind::Ods => read_whole::<calamine::Ods<_>>(path, kind, wanted, &mut scratch, &mut row),
    }
}

/// A sheet of a format calamine reads whole (XLS, ODS).
fn read_whole<R: Reader<std::io::BufReader<std::fs::File>>>(
    path: &Path,
    kind: WorkbookKind,
    wanted: Option<&str>,
    scratch: &mut String,
    row: &mut impl FnMut(u32, &[Cell<'_>]) -> bool,
) -> Result<String, SheetError>
where
    R::Error: std::fmt::Display,
{
    let mut book: R = calamine::open_workbook(path)
        .map_err(|e: R::Error| SheetError::Open { kind: kind.name(), message: e.to_string() })?;
    let name = choose(book.sheet_names(), wanted)?;
    let range = book
        .worksheet_range(&name)
        .map_err(|e| SheetError::Read { sheet: name.clone(), message: e.to_string() })?;
    read_range(&range, scratch, row);
    Ok(name)
}

/// One streamed XLSX row: `(column, value)` in column order.
fn emit(
    r: u32,
    values: &[(u32, DataRef<'_>)],
    scratch: &mut String,
    row: &mut impl FnMut(u32, &[Cell<'_>]) -> bool,
) -> bool {
    let width = values.last().map_or(0, |(c, _)| *c as usize + 1);
    // Error and duration texts live in `scratch`, one after the other.
    scratch.clear();
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(values.len());
    for (_, v) in values {
        let start = scratch.len();
        match v {
            DataRef::Error(e) => scratch.push_str(&e.to_string()),
            DataRef::DateTime(d) if d.is_duration() => duration_text(d, scratch),
            _ => {}
        }
        spans.push((start, scratch.len()));
    }
    let mut cells = vec![Cell::Empty; width];
    for ((c, v), &(s, e)) in values.iter().zip(&spans) {
        cells[*c as usize] = match v {
            DataRef::Int(i) => Cell::Int(*i),
            DataRef::Float(f) => Cell::Float(*f),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s),
            DataRef::SharedString(s) => Cell::Text(s),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(d) if d.is_duration() => Cell::Text(&scratch[s..e]),
            DataRef::DateTime(d) => date_cell(d),
            DataRef::Error(_) => Cell::Error(&scratch[s..e]),
            DataRef::Empty => Cell::Empty,
        };
    }
    row(r + 1, &cells)
}

/// Every row of a range read whole (XLS, ODS).
fn read_range(
    range: &calamine::Range<Data>,
    scratch: &mut String,
    row: &mut impl FnMut(u32, &[Cell<'_>]) -> bool,
) {
    let Some((top, left)) = range.start() else {
        return;
    };
    for (i, values) in range.rows().enumerate() {
        scratch.clear();
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(values.len());
        for v in values {
            let start = scratch.len();
            match v {
                Data::Error(e) => scratch.push_str(&e.to_string()),
                Data::DateTime(d) if d.is_duration() => duration_text(d, scratch),
                _ => {}
            }
            spans.push((start, scratch.len()));
        }
        let mut cells = vec![Cell::Empty; left as usize];
        for (v, &(s, e)) in values.iter().zip(&spans) {
            cells.push(match v {
                Data::Int(i) => Cell::Int(*i),
                Data::Float(f) => Cell::Float(*f),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
                Data::Bool(b) => Cell::Bool(*b),
                Data::DateTime(d) if d.is_duration() => Cell::Text(&scratch[s..e]),
                Data::DateTime(d) => date_cell(d),
                Data::Error(_) => Cell::Error(&scratch[s..e]),
                Data::Empty => Cell::Empty,
            });
        }
        while cells.last() == Some(&Cell::Empty) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        if !row(top + i as u32 + 1, &cells) {
            return;
        }
    }
}

/// A date cell: a date when it has no time of day, else a local datetime. A
/// serial that names no real day (60 in the 1900 system) stays text that no date
/// property takes.
fn date_cell(d: &ExcelDateTime) -> Cell<'static> {
    let (year, month, day, h, m, s, ms) = d.to_ymd_hms_milli();
    let (year, month, day) = (i32::from(year), u32::from(month), u32::from(day));
    if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return Cell::Error("an invalid date (serial 60 of the 1900 date system: 29 February 1900)");
    }
    let millis = ((u32::from(h) * 60 + u32::from(m)) * 60 + u32::from(s)) * 1000 + u32::from(ms);
    if millis == 0 { Cell::Date { year, month, day } } else { Cell::DateTime { year, month, day, millis } }
}

/// A duration cell (`[h]:mm:ss`) as `H:MM:SS`.
fn duration_text(d: &ExcelDateTime, out: &mut String) {
    use std::fmt::Write as _;
    let total = (d.as_f64() * 86_400.0).round() as i64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    write!(out, "{h}:{m:02}:{s:02}").expect("writing to a String");
}

#[cfg(test)]
mod tests {
    use calamine::ExcelDateTimeType;

    use super::*;

    #[test]
    fn serial_dates_convert_in_both_date_systems_with_the_1900_leap_year_bug() {
        let date =
            |v: f64, is_1904: bool| date_cell(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904));
        assert_eq!(date(45_419.0, false), Cell::Date { year: 2024, month: 5, day: 7 });
        assert_eq!(date(43_957.0, true), Cell::Date { year: 2024, month: 5, day: 7 });
        assert_eq!(date(61.0, false), Cell::Date { year: 1900, month: 3, day: 1 });
        assert_eq!(date(59.0, false), Cell::Date { year: 1900, month: 2, day: 28 });
        assert!(matches!(date(60.0, false), Cell::Error(_)), "29 February 1900 never was");
        assert_eq!(
            date(45_419.5, false),
            Cell::DateTime { year: 2024, month: 5, day: 7, millis: 12 * 3_600_000 }
        );
    }

    #[test]
    fn the_first_sheet_is_the_default_and_a_missing_one_lists_the_others() {
        let names = vec!["Contacts".to_owned(), "Companies".to_owned()];
        assert_eq!(choose(names.clone(), None).unwrap(), "Contacts");
        assert_eq!(choose(names.clone(), Some("companies")).unwrap(), "Companies");
        let e = choose(names, Some("Deals")).unwrap_err();
        assert_eq!(e.to_string(), "the workbook has no sheet 'Deals'; its sheets: Contacts, Companies");
        assert_eq!(choose(Vec::new(), None).unwrap_err(), SheetError::Empty);
    }

    /// A cell written by `rust_xlsxwriter`, and the text it must read back as.
    #[derive(Debug, Clone)]
    enum Written {
        Text(String),
        Number(f64),
        Bool(bool),
        DateTime(u16, u8, u8, u16, u8, u8),
    }

    fn written() -> impl proptest::strategy::Strategy<Value = Written> {
        use proptest::prelude::*;
        prop_oneof![
            "[a-zA-Z0-9éøßÆ ,;\"'.-]{1,12}".prop_map(Written::Text),
            (-1e9f64..1e9).prop_map(Written::Number),
            any::<i32>().prop_map(|i| Written::Number(f64::from(i))),
            any::<bool>().prop_map(Written::Bool),
            (1901u16..2099, 1u8..=12, 1u8..=28, 0u16..24, 0u8..60, 0u8..60)
                .prop_map(|(y, mo, d, h, mi, s)| Written::DateTime(y, mo, d, h, mi, s)),
        ]
    }

    /// The text a written cell reads back as ([`crate::input::cells::render`]).
    fn expected(written: &Written) -> String {
        let mut out = String::new();
        let cell = match written {
            Written::Text(text) => Cell::Text(text),
            Written::Number(number) => Cell::Float(*number),
            Written::Bool(bool) => Cell::Bool(*bool),
            Written::DateTime(year, month, day, hour, minute, second) => {
                let millis = ((u32::from(*hour) * 60 + u32::from(*minute)) * 60 + u32::from(*second)) * 1000;
                let (year, month, day) = (i32::from(*year), u32::from(*month), u32::from(*day));
                if millis == 0 {
                    Cell::Date { year, month, day }
                } else {
                    Cell::DateTime { year, month, day, millis }
                }
            }
        };
        crate::input::cells::render(cell, &mut out);
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

        /// Random cells written into an XLSX file by another library read back through
        /// calamine's streaming reader as their own text, at their own row numbers.
        #[test]
        fn random_cells_of_a_workbook_read_back_as_their_text(
            rows in proptest::collection::vec(
                (0u32..3, proptest::collection::vec(proptest::option::of(written()), 1..5)),
                1..12,
            ),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("random.xlsx");
            let mut book = rust_xlsxwriter::Workbook::new();
            let stamp = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
            let sheet = book.add_worksheet();
            let mut want: Vec<(u32, Vec<String>)> = Vec::new();
            let mut r = 0u32;
            for (gap, cells) in &rows {
                r += gap;
                let mut texts = Vec::new();
                for (c, cell) in cells.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        None => {}
                        Some(Written::Text(s)) => { sheet.write_string(r, c, s).unwrap(); }
                        Some(Written::Number(f)) => { sheet.write_number(r, c, *f).unwrap(); }
                        Some(Written::Bool(b)) => { sheet.write_boolean(r, c, *b).unwrap(); }
                        Some(Written::DateTime(y, mo, d, h, mi, s)) => {
                            let t = rust_xlsxwriter::ExcelDateTime::from_ymd(*y, *mo, *d)
                                .unwrap()
                                .and_hms(*h, *mi, *s)
                                .unwrap();
                            sheet.write_datetime_with_format(r, c, &t, &stamp).unwrap();
                        }
                    }
                    texts.push(cell.as_ref().map(expected).unwrap_or_default());
                }
                while texts.last().is_some_and(String::is_empty) {
                    texts.pop();
                }
                if !texts.is_empty() {
                    want.push((r + 1, texts));
                }
                r += 1;
            }
            book.save(&path).unwrap();
            let mut got: Vec<(u32, Vec<String>)> = Vec::new();
            read(&path, WorkbookKind::Xlsx, None, |row, cells| {
                let mut texts: Vec<String> = cells
                    .iter()
                    .map(|c| {
                        let mut s = String::new();
                        crate::input::cells::render(*c, &mut s);
                        s
                    })
                    .collect();
                while texts.last().is_some_and(String::is_empty) {
                    texts.pop();
                }
                if !texts.is_empty() {
                    got.push((row, texts));
                }
                true
            })
            .unwrap();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
