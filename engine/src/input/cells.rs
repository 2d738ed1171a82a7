//! Typed cells of spreadsheets and Parquet files, as the text the pipeline reads.
//!
//! A CSV field is text; a spreadsheet or Parquet cell may be a number, a bool, a
//! date or a datetime. Every cell becomes text in the one form the value
//! normalizers read whatever the import's options ([`render`]): numbers as plain
//! decimals (`1234.5`, never grouped or in exponent form), bools `true`/`false`,
//! dates `YYYY-MM-DD`, datetimes `YYYY-MM-DDTHH:MM:SS[.mmm]` (local, read in
//! `--time-zone`) or with `Z` for an instant (a Parquet timestamp with a zone).
//! A number cell is marked [`Rendered::Number`], so that its text is read as a plain
//! decimal even when the column's text cells are in a `1.234,5` convention: a
//! number typed by the sheet is never re-read through a locale.

use std::fmt::Write as _;

/// A cell before it becomes text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// No value.
    Empty,
    /// Text, as written.
    Text(&'a str),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// An exact decimal number, as plain decimal text (`-1234.50`).
    Decimal(&'a str),
    /// A bool.
    Bool(bool),
    /// A calendar date.
    Date {
        /// Year.
        year: i32,
        /// Month, 1-12.
        month: u32,
        /// Day, 1-31.
        day: u32,
    },
    /// A local date and time (no zone: read in `--time-zone`).
    DateTime {
        /// The date.
        year: i32,
        /// Month, 1-12.
        month: u32,
        /// Day, 1-31.
        day: u32,
        /// Milliseconds since midnight.
        millis: u32,
    },
    /// An instant, milliseconds since the Unix epoch (UTC).
    Instant(i64),
    /// An error value of the sheet (`#N/A`, `#DIV/0!`): kept as its text, so that a
    /// property that needs a number or a date reports it.
    Error(&'a str),
}

/// What a cell's text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendered {
    /// No text (an empty cell).
    Empty,
    /// Text to read by the import's conventions.
    Text,
    /// A number typed by the file: a plain decimal, read as such in every locale.
    Number,
    /// A bool, date or datetime typed by the file, in a form every convention reads.
    Typed,
}

/// Appends the text of `cell` to `out`.
pub fn render(cell: Cell<'_>, out: &mut String) -> Rendered {
    match cell {
        Cell::Empty => Rendered::Empty,
        Cell::Text(s) | Cell::Error(s) => {
            out.push_str(s);
            if s.is_empty() { Rendered::Empty } else { Rendered::Text }
        }
        Cell::Decimal(s) => {
            out.push_str(s);
            Rendered::Number
        }
        Cell::Int(i) => {
            write!(out, "{i}").expect("writing to a String");
            Rendered::Number
        }
        Cell::Float(f) => {
            if !f.is_finite() {
                // NaN and infinities are no number a property holds.
                write!(out, "{f}").expect("writing to a String");
                return Rendered::Text;
            }
            // Rust prints the shortest decimal that reads back as the same f64, and
            // never in exponent form; a whole value is written as an integer.
            if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                write!(out, "{}", f as i64).expect("writing to a String");
            } else {
                write!(out, "{f}").expect("writing to a String");
            }
            Rendered::Number
        }
        Cell::Bool(b) => {
            out.push_str(if b { "true" } else { "false" });
            Rendered::Typed
        }
        Cell::Date { year, month, day } => {
            write!(out, "{year:04}-{month:02}-{day:02}").expect("writing to a String");
            Rendered::Typed
        }
        Cell::DateTime { year, month, day, millis } => {
            let (h, m, s, ms) = (millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000);
            write!(out, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}").expect("writing to a String");
            if ms != 0 {
                write!(out, ".{ms:03}").expect("writing to a String");
            }
            Rendered::Typed
        }
        Cell::Instant(ms) => {
            let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
                write!(out, "{ms}").expect("writing to a String");
                return Rendered::Text;
            };
            let format = if ms % 1000 == 0 { "%Y-%m-%dT%H:%M:%SZ" } else { "%Y-%m-%dT%H:%M:%S%.3fZ" };
            write!(out, "{}", t.format(format)).expect("writing to a String");
            Rendered::Typed
        }
    }
}

/// The spreadsheet name of column `c` (0-based): `A`, ..., `Z`, `AA`, ...
pub fn column_letters(c: u32) -> String {
    let mut n = c + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(cell: Cell<'_>) -> (String, Rendered) {
        let mut s = String::new();
        let r = render(cell, &mut s);
        (s, r)
    }

    #[test]
    fn cells_render_in_the_one_form_every_convention_reads() {
        assert_eq!(text(Cell::Int(-1250)), ("-1250".into(), Rendered::Number));
        assert_eq!(text(Cell::Float(1250.0)), ("1250".into(), Rendered::Number));
        assert_eq!(text(Cell::Float(1234.5)), ("1234.5".into(), Rendered::Number));
        assert_eq!(text(Cell::Float(0.1)), ("0.1".into(), Rendered::Number));
        assert_eq!(text(Cell::Float(1e21)), ("1000000000000000000000".into(), Rendered::Number));
        assert_eq!(text(Cell::Float(1.5e-7)), ("0.00000015".into(), Rendered::Number));
        assert_eq!(text(Cell::Float(f64::NAN)).1, Rendered::Text);
        assert_eq!(text(Cell::Bool(true)), ("true".into(), Rendered::Typed));
        assert_eq!(text(Cell::Date { year: 2024, month: 2, day: 29 }).0, "2024-02-29");
        assert_eq!(
            text(Cell::DateTime { year: 2024, month: 5, day: 7, millis: 10 * 3_600_000 + 26 * 60_000 }).0,
            "2024-05-07T10:26:00"
        );
        assert_eq!(
            text(Cell::DateTime { year: 2024, month: 5, day: 7, millis: 1_234 }).0,
            "2024-05-07T00:00:01.234"
        );
        assert_eq!(text(Cell::Instant(1_714_991_160_000)).0, "2024-05-06T10:26:00Z");
        assert_eq!(text(Cell::Text("José")), ("José".into(), Rendered::Text));
        assert_eq!(text(Cell::Empty), (String::new(), Rendered::Empty));
        assert_eq!(text(Cell::Error("#N/A")), ("#N/A".into(), Rendered::Text));
    }

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
