//! Inferring the type of a custom property from a whole column (`--create-properties`,
//! `--map 'H=+obj.name'` without a type), and collecting an enumeration's options.
//!
//! [`ColumnStats`] looks at every cell of a column once, in bounded memory: a few
//! flags (could every value so far be a bool, a number, a date, a datetime), the
//! count of non-blank values and the distinct values up to a cap. [`scan`] reads
//! the columns of an input through the import's own decode loop
//! ([`pieces::for_each_body_piece`]: parallel decode, file order), so it sees the
//! rows exactly as the import will, and keeps nothing of a piece but the counts.
//!
//! The rules ([`ColumnStats::infer`]), over the non-blank values (blank as the
//! import sees it: empty, `null`, `[not provided]`; values trimmed), with the
//! import's `--number-locale`, `--date-format` and `--header-lang`:
//! 1. **bool** if every value is a bool (`true/false/yes/no/1/0`, `y/n/t/f` and the
//!    header language's words, as [`values::boolean`] reads them) and at least
//!    one is a word: a column of only `1` and `0` is a number;
//! 2. **number** if every value is a number ([`values::number`]) written without
//!    letters (`EUR 12` and `12 kr` are not inferred) and without a leading zero
//!    (`007`, `01234` are codes: a number would lose the zeros);
//! 3. **date** if every value is a date ([`values::date`]) and nothing else;
//! 4. **datetime** if every value is a date or a datetime ([`values::datetime`]),
//!    with no text but the `T` and `Z` of ISO 8601 and no time the parser would drop;
//! 5. **enumeration** if there are at least [`ENUM_MIN_VALUES`] values and at most
//!    [`ENUM_MAX_DISTINCT`] distinct ones (case-insensitively, none holding `;`):
//!    the options are the distinct values, in the order they first appear;
//! 6. else, and for a column without values, **string**.
//!
//! Emails, domains, phone numbers and URLs are never inferred (they are strings):
//! a wrong guess of those would turn values into row or value errors, and an
//! email or domain property of a custom column is no identifier anyway.

use std::collections::HashSet;
use std::ops::Range;

use arrow_array::Array as _;

use crate::input::decode::{DecodedPiece, Header};
use crate::input::dialect::Prepared;
use crate::input::{pieces, split};
use crate::normalize::values::{self, ValueOptions};
use crate::schema::PropertyType;

/// An inferred enumeration has at most this many distinct values...
pub const ENUM_MAX_DISTINCT: usize = 10;

/// ... among at least this many non-blank values.
pub const ENUM_MIN_VALUES: u64 = 20;

/// An enumeration created from a column (`+obj.name:enumeration`) has at most
/// this many options.
pub const MAX_OPTIONS: usize = 50;

/// Distinct values counted exactly for the error about a column with more than
/// [`MAX_OPTIONS`] of them (beyond this: "more than").
pub const COUNT_CAP: usize = 10_000;

/// How many distinct values a column has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distinct {
    /// Exactly this many.
    Exactly(usize),
    /// More than this many (the count stopped there).
    MoreThan(usize),
}

/// What one pass over a column found (see the module documentation).
#[allow(clippy::struct_excessive_bools)] // one flag per candidate type
#[derive(Debug, Clone)]
pub struct ColumnStats {
    /// Non-blank values.
    pub non_blank: u64,
    bool_ok: bool,
    /// A bool value that is not a number (a word such as `yes`).
    bool_word: bool,
    number_ok: bool,
    date_ok: bool,
    datetime_ok: bool,
    /// Some distinct value holds `;` (it cannot be an option).
    semicolon: bool,
    /// Distinct values as first written, in order of appearance, at most
    /// `MAX_OPTIONS + 1`.
    values: Vec<String>,
    /// Lowercased distinct values, at most `cap`.
    seen: HashSet<String>,
    /// More than `cap` distinct values.
    overflow: bool,
    cap: usize,
    scratch: String,
}

impl Default for ColumnStats {
    fn default() -> Self {
        Self::new(MAX_OPTIONS + 1)
    }
}

impl ColumnStats {
    /// Empty statistics counting up to `cap` distinct values (at least
    /// `MAX_OPTIONS + 1`, enough for every rule; more only for the message about a
    /// column with too many, see [`COUNT_CAP`]).
    pub fn new(cap: usize) -> Self {
        Self {
            non_blank: 0,
            bool_ok: true,
            bool_word: false,
            number_ok: true,
            date_ok: true,
            datetime_ok: true,
            semicolon: false,
            values: Vec::new(),
            seen: HashSet::new(),
            overflow: false,
            cap: cap.max(MAX_OPTIONS + 1),
            scratch: String::new(),
        }
    }

    /// Adds one raw cell (trimmed here; blank cells count for nothing).
    pub fn add(&mut self, raw: &str, opts: &ValueOptions) {
        let cell = raw.trim();
        if crate::normalize::transform::is_blank(cell) {
            return;
        }
        self.non_blank += 1;
        let out = &mut self.scratch;
        let number = (self.number_ok || self.bool_ok) && is_number(cell, opts, out);
        self.number_ok &= number;
        if self.bool_ok {
            out.clear();
            if values::boolean(cell, opts, out).is_ok() {
                self.bool_word |= !number;
            } else {
                self.bool_ok = false;
            }
        }
        self.date_ok = self.date_ok && is_date(cell, opts, out);
        self.datetime_ok = self.datetime_ok && is_datetime(cell, opts, out);
        self.see(cell);
    }

    /// Records `value` as a distinct value if it is new.
    fn see(&mut self, value: &str) {
        if self.overflow {
            return;
        }
        let key = value.to_lowercase();
        if self.seen.contains(&key) {
            return;
        }
        if self.seen.len() == self.cap {
            self.overflow = true;
            return;
        }
        self.seen.insert(key);
        self.semicolon |= value.contains(';');
        if self.values.len() <= MAX_OPTIONS {
            self.values.push(value.to_owned());
        }
    }

    /// Adds what `other` saw after what `self` saw (file order: the distinct
    /// values keep the order they first appear in).
    pub fn merge(&mut self, other: Self) {
        self.non_blank += other.non_blank;
        self.bool_ok &= other.bool_ok;
        self.bool_word |= other.bool_word;
        self.number_ok &= other.number_ok;
        self.date_ok &= other.date_ok;
        self.datetime_ok &= other.datetime_ok;
        self.overflow |= other.overflow;
        if self.overflow {
            return;
        }
        // `other.values` holds its first distinct values in order; the rest are
        // only in `other.seen` (then there are more than MAX_OPTIONS anyway).
        let rest: Vec<String> = other.seen.into_iter().collect();
        for v in other.values {
            self.see(&v);
        }
        for key in rest {
            self.see(&key);
        }
    }

    /// How many distinct values (case-insensitively) the column has.
    pub fn distinct(&self) -> Distinct {
        if self.overflow { Distinct::MoreThan(self.cap) } else { Distinct::Exactly(self.seen.len()) }
    }

    /// The distinct values as first written, in order of appearance (the first
    /// `MAX_OPTIONS + 1` of them).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The type of the column (see the module documentation for the rules).
    pub fn infer(&self) -> PropertyType {
        if self.non_blank == 0 {
            PropertyType::String
        } else if self.bool_ok && self.bool_word {
            PropertyType::Bool
        } else if self.number_ok {
            PropertyType::Number
        } else if self.date_ok {
            PropertyType::Date
        } else if self.datetime_ok {
            PropertyType::Datetime
        } else if self.enumerable() {
            PropertyType::Enumeration
        } else {
            PropertyType::String
        }
    }

    /// Few distinct values among many: an enumeration.
    fn enumerable(&self) -> bool {
        self.non_blank >= ENUM_MIN_VALUES
            && !self.semicolon
            && matches!(self.distinct(), Distinct::Exactly(n) if n <= ENUM_MAX_DISTINCT)
    }
}

/// A number without letters or a leading zero that the import parses as one.
fn is_number(cell: &str, opts: &ValueOptions, out: &mut String) -> bool {
    let leading_zero = cell.find(|c: char| c.is_ascii_digit()).is_some_and(|i| {
        cell[i..].starts_with('0') && cell[i + 1..].starts_with(|c: char| c.is_ascii_digit())
    });
    out.clear();
    !leading_zero
        && !cell.chars().any(char::is_alphabetic)
        && values::number(cell, opts.number_locale, out).is_ok()
}

/// A date and nothing else.
fn is_date(cell: &str, opts: &ValueOptions, out: &mut String) -> bool {
    out.clear();
    !cell.contains(char::is_whitespace)
        && !cell.chars().any(char::is_alphabetic)
        && values::date(cell, opts.date_order, out).is_ok()
}

/// A date or a datetime: no letters but ISO 8601's `T` and `Z`, and no time that
/// the parser would drop (it reads `2024-01-31 10` as the date alone).
fn is_datetime(cell: &str, opts: &ValueOptions, out: &mut String) -> bool {
    if cell.chars().any(|c| c.is_alphabetic() && !matches!(c, 'T' | 't' | 'Z' | 'z')) {
        return false;
    }
    out.clear();
    if values::datetime(cell, opts.date_order, opts.time_zone, out).is_err() {
        return false;
    }
    let Some(time_at) = cell.find(['T', 't', ' ']) else {
        return true; // a date, or epoch milliseconds
    };
    let midnight = out.ends_with("T00:00:00Z");
    !midnight
        || !cell[time_at..].bytes().any(|b| matches!(b, b'1'..=b'9'))
        || chrono::DateTime::parse_from_rfc3339(cell).is_ok()
}

/// The statistics of some columns of one piece, and where the piece ended.
struct ScanPiece {
    stats: Vec<ColumnStats>,
    end: usize,
    clean: bool,
}

impl pieces::PieceEnd for ScanPiece {
    fn end(&self) -> usize {
        self.end
    }
    fn clean(&self) -> bool {
        self.clean
    }
}

/// Reads `columns` of every row of `prepared` (after `header`) and returns their
/// statistics, each started from the given empty [`ColumnStats`] (which sets its
/// cap): in parallel pieces like the import, merged in file order, releasing the
/// pages read. `None` if `go_on` said stop (a signal) between two pieces.
pub fn scan(
    prepared: &Prepared,
    header: &Header,
    columns: &[(usize, ColumnStats)],
    opts: &ValueOptions,
    chunk_bytes: Option<usize>,
    pool: Option<&rayon::ThreadPool>,
    go_on: impl Fn() -> bool,
) -> Option<Vec<ColumnStats>> {
    let text = prepared.text();
    let threads = pool.map_or_else(rayon::current_num_threads, rayon::ThreadPool::current_num_threads);
    let chunk = chunk_bytes.unwrap_or_else(|| split::chunk_size(text.len() - header.len, threads));
    let then = |piece: DecodedPiece| {
        let arrays = piece.columns();
        let stats = columns
            .iter()
            .map(|(column, empty)| {
                let mut s = empty.clone();
                let array = arrays[*column];
                for r in 0..array.len() {
                    s.add(array.value(r), opts);
                }
                s
            })
            .collect();
        ScanPiece { stats, end: pieces::PieceEnd::end(&piece), clean: piece.clean }
    };
    let mut total: Vec<ColumnStats> = columns.iter().map(|(_, empty)| empty.clone()).collect();
    let mut resume = header.len;
    let finished = pieces::for_each_body_piece(
        text,
        header,
        prepared.dialect.delimiter,
        chunk,
        threads,
        pool,
        then,
        |p: ScanPiece| {
            for (t, s) in total.iter_mut().zip(p.stats) {
                t.merge(s);
            }
            release(prepared, resume..p.end);
            resume = p.end;
            go_on()
        },
    );
    finished.then_some(total)
}

/// Releases the pages of `range` of the text (see `Source::release`).
fn release(prepared: &Prepared, range: Range<usize>) {
    prepared.source.release(prepared.start + range.start..prepared.start + range.end);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::values::{DateOrder, NumberLocale, bool_words};

    fn stats_with(opts: &ValueOptions, cells: &[&str]) -> ColumnStats {
        let mut s = ColumnStats::default();
        for c in cells {
            s.add(c, opts);
        }
        s
    }

    fn infer(cells: &[&str]) -> PropertyType {
        stats_with(&ValueOptions::default(), cells).infer()
    }

    /// `value` repeated `n` times.
    fn many<'a>(values: &[&'a str], n: usize) -> Vec<&'a str> {
        values.iter().copied().cycle().take(n).collect()
    }

    #[test]
    fn each_type() {
        assert_eq!(infer(&["yes", "no", "", "Yes"]), PropertyType::Bool);
        assert_eq!(infer(&["true", "FALSE", "1", "0"]), PropertyType::Bool, "1/0 with words is a bool");
        assert_eq!(infer(&["1", "0", "1", "0"]), PropertyType::Number, "1/0 alone is a number");
        assert_eq!(infer(&["42", "-1.5", "1,234.5", " 7 ", "$ 10"]), PropertyType::Number);
        assert_eq!(infer(&["2024-01-31", "2023-02-28"]), PropertyType::Date);
        assert_eq!(infer(&["2024-01-31T10:00:00Z", "2024-01-31 10:00"]), PropertyType::Datetime);
        assert_eq!(
            infer(&["2024-01-31", "2024-02-01T10:00:00+02:00"]),
            PropertyType::Datetime,
            "dates and datetimes"
        );
        assert_eq!(infer(&["2024-01-31T10:00:00+10:00"]), PropertyType::Datetime, "midnight in UTC");
        assert_eq!(infer(&["2024-01-31T00:00:00Z"]), PropertyType::Datetime);
        assert_eq!(infer(&["hello", "world"]), PropertyType::String);
        assert_eq!(infer(&[]), PropertyType::String, "an empty column");
        assert_eq!(infer(&["", "null", "[not provided]", "  "]), PropertyType::String, "only blanks");
        assert_eq!(
            infer(&["ada@example.com", "bob@example.com"]),
            PropertyType::String,
            "emails are not inferred"
        );
    }

    #[test]
    fn values_that_parse_loosely_are_not_inferred_as_numbers_or_dates() {
        for column in
            [&["A1", "B2"][..], &["EUR 12", "12"], &["12 kr"], &["007", "12"], &["01234"], &["Room 12"]]
        {
            assert_eq!(infer(column), PropertyType::String, "{column:?}");
        }
        assert_eq!(infer(&["0", "0.5", "10"]), PropertyType::Number, "a zero is no leading zero");
        assert_eq!(infer(&["2024-01-31 called back"]), PropertyType::String);
        assert_eq!(infer(&["2024-01-31 10"]), PropertyType::String, "the parser would drop the hour");
        assert_eq!(infer(&["2024-13-01"]), PropertyType::String);
    }

    #[test]
    fn mixed_columns_fall_to_the_type_every_value_fits() {
        assert_eq!(infer(&["yes", "no", "maybe"]), PropertyType::String);
        assert_eq!(infer(&["1", "2", "yes"]), PropertyType::String, "a number and a bool word");
        assert_eq!(infer(&["12", "2024-01-31"]), PropertyType::String);
        assert_eq!(infer(&["12", "", "null", "13"]), PropertyType::Number, "blanks do not count");
        assert_eq!(infer(&["2024-01-31", "soon"]), PropertyType::String);
    }

    #[test]
    fn locales_and_languages() {
        let nl = ValueOptions {
            number_locale: NumberLocale::Comma,
            date_order: DateOrder::Dmy,
            bool_words: bool_words("nl"),
            ..ValueOptions::default()
        };
        assert_eq!(stats_with(&nl, &["1.234,5", "12,50"]).infer(), PropertyType::Number);
        assert_eq!(infer(&["1.234,5", "12,50"]), PropertyType::String, "not numbers in en");
        assert_eq!(stats_with(&nl, &["31-01-2024", "01.02.2024"]).infer(), PropertyType::Date);
        assert_eq!(infer(&["31-01-2024"]), PropertyType::String, "ISO only by default");
        let mdy = ValueOptions { date_order: DateOrder::Mdy, ..ValueOptions::default() };
        assert_eq!(stats_with(&mdy, &["01/31/2024"]).infer(), PropertyType::Date);
        assert_eq!(stats_with(&nl, &["ja", "nee", "Ja"]).infer(), PropertyType::Bool);
        assert_eq!(infer(&["ja", "nee"]), PropertyType::String, "Dutch words need --header-lang nl");
    }

    #[test]
    fn enumeration_thresholds() {
        let three = many(&["Gold", "Silver", "bronze"], 30);
        let s = stats_with(&ValueOptions::default(), &three);
        assert_eq!(s.infer(), PropertyType::Enumeration);
        assert_eq!(s.values(), ["Gold", "Silver", "bronze"]);
        assert_eq!(s.distinct(), Distinct::Exactly(3));
        // Case-insensitively distinct: the first spelling stays.
        let mut cased = many(&["Gold", "Silver"], 20);
        cased.push("GOLD");
        let s = stats_with(&ValueOptions::default(), &cased);
        assert_eq!(
            (s.infer(), s.values()),
            (PropertyType::Enumeration, &["Gold".to_owned(), "Silver".to_owned()][..])
        );
        // 19 values are too few, 20 enough.
        assert_eq!(infer(&many(&["a", "b"], 19)), PropertyType::String);
        assert_eq!(infer(&many(&["a", "b"], 20)), PropertyType::Enumeration);
        // Blanks do not count towards the 20.
        let mut blanks = many(&["a", "b"], 19);
        blanks.extend(["", "null"]);
        assert_eq!(infer(&blanks), PropertyType::String);
        // 10 distinct values are an enumeration, 11 are not.
        let ten: Vec<String> = (0..10).map(|i| format!("v{i}")).collect();
        let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
        assert_eq!(infer(&many(&ten, 40)), PropertyType::Enumeration);
        let eleven: Vec<String> = (0..11).map(|i| format!("v{i}")).collect();
        let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
        assert_eq!(infer(&many(&eleven, 40)), PropertyType::String);
        // A value with ';' cannot be an option.
        assert_eq!(infer(&many(&["a;b", "c"], 30)), PropertyType::String);
        // Numbers, bools and dates win over an enumeration.
        assert_eq!(infer(&many(&["1", "2", "3"], 30)), PropertyType::Number);
        assert_eq!(infer(&many(&["yes", "no"], 30)), PropertyType::Bool);
    }

    #[test]
    fn distinct_values_are_counted_up_to_the_cap_and_merge_in_order() {
        let opts = ValueOptions::default();
        let cells: Vec<String> = (0..200).map(|i| format!("v{i}")).collect();
        let mut s = ColumnStats::new(COUNT_CAP);
        for c in &cells {
            s.add(c, &opts);
        }
        assert_eq!(s.distinct(), Distinct::Exactly(200));
        assert_eq!(s.values().len(), MAX_OPTIONS + 1, "only the first ones are kept as written");
        let mut small = ColumnStats::new(0);
        for c in &cells {
            small.add(c, &opts);
        }
        assert_eq!(small.distinct(), Distinct::MoreThan(MAX_OPTIONS + 1));

        // Merging pieces equals one pass.
        let whole = stats_with(&opts, &["b", "a", "B", "c", "a", "d"]);
        let mut first = stats_with(&opts, &["b", "a"]);
        first.merge(stats_with(&opts, &["B", "c"]));
        first.merge(stats_with(&opts, &["a", "d"]));
        assert_eq!(first.values(), whole.values());
        assert_eq!(first.values(), ["b", "a", "c", "d"]);
        assert_eq!((first.distinct(), first.non_blank, first.infer()), (whole.distinct(), 6, whole.infer()));
        let mut numbers = stats_with(&opts, &["1", "0"]);
        numbers.merge(stats_with(&opts, &["yes"]));
        assert_eq!(numbers.infer(), PropertyType::Bool);
        let mut mixed = stats_with(&opts, &["1"]);
        mixed.merge(stats_with(&opts, &["x"]));
        assert_eq!(mixed.infer(), PropertyType::String);
    }

    #[test]
    fn a_scan_reads_every_row_whatever_the_chunks() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.csv");
        let mut text = String::from("Email,Size,Note,Tier\n");
        for i in 0..500 {
            let note = if i % 7 == 0 { "\"multi\nline, quoted\"".to_owned() } else { format!("n{i}") };
            writeln!(text, "p{i}@x.com,{},{note},{}", i % 40, ["Gold", "Silver"][i % 2]).unwrap();
        }
        std::fs::write(&path, &text).unwrap();
        let source = crate::input::source::Source::open(&path).unwrap();
        let prepared = crate::input::dialect::prepare(source, None, None);
        let header = crate::input::decode::header(prepared.text(), b',').unwrap();
        let columns = [(1, ColumnStats::default()), (2, ColumnStats::default()), (3, ColumnStats::default())];
        for chunk in [Some(1), Some(64), Some(4096), None] {
            let s =
                scan(&prepared, &header, &columns, &ValueOptions::default(), chunk, None, || true).unwrap();
            assert_eq!(s.iter().map(|s| s.non_blank).collect::<Vec<_>>(), [500, 500, 500], "{chunk:?}");
            assert_eq!(
                [s[0].infer(), s[1].infer(), s[2].infer()],
                [PropertyType::Number, PropertyType::String, PropertyType::Enumeration]
            );
            assert_eq!(s[2].values(), ["Gold", "Silver"]);
        }
        assert!(
            scan(&prepared, &header, &columns, &ValueOptions::default(), Some(64), None, || false).is_none()
        );
    }
}
