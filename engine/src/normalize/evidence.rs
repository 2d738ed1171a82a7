//! Column-wide evidence for the date order and the number locale (SPEC 4).
//!
//! When the user gives no `--date-format` (or no `--number-locale`), one value alone
//! may not tell how a file writes its dates (`03/04/2025`: 3 April or March 4?) or its
//! numbers (`1.250`: 1250 or 1.25?), but the whole column usually does. An accumulator
//! per column, [`DateEvidence`] or [`NumberEvidence`], observes every cell, and its
//! [`Verdict`] says which convention to use:
//!
//! - [`Verdict::Use`]: one convention reads every value that any convention reads, and
//!   any other that does reads them the same (ISO dates and `1250` decide nothing;
//!   `25/03/2025` means day first; `12/12/2025` reads the same both ways).
//! - [`Verdict::Ambiguous`]: two conventions read every value, but differently for some
//!   (a column of only `03/04/2025`-like dates, or `1.250`-like numbers). The import must
//!   stop before writing anything and ask for the option ([`date_message`],
//!   [`number_message`]): never a silent guess.
//! - [`Verdict::Conflicting`]: no single convention reads every value (`25/03/2025` and
//!   `03/25/2025` in one column). The caller uses its default, and the values that do
//!   not fit are value errors.
//!
//! Values no convention reads (`someday`) are value errors whatever the choice, and do
//! not take part in it.
//!
//! Observing is cheap (a parse per cell, no allocation but for the few example values
//! kept), so it can run on every cell of a piece in parallel; [`DateEvidence::merge`]
//! is associative, so pieces observed apart and merged in file order give the verdict
//! of one pass over the whole column.

use crate::normalize::values::{self, DateOrder, DateReading, NumberLocale};

/// Longest example value kept, in characters.
const MAX_SAMPLE_CHARS: usize = 100;

/// A value of the column kept as an example for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The cell as observed (cut to 100 characters).
    pub value: String,
    /// Its line in the file, if the caller gave one.
    pub line: Option<u64>,
}

impl Sample {
    fn new(raw: &str, line: Option<u64>) -> Self {
        let value = match raw.char_indices().nth(MAX_SAMPLE_CHARS) {
            Some((end, _)) => [&raw[..end], "…"].concat(),
            None => raw.to_owned(),
        };
        Self { value, line }
    }
}

impl std::fmt::Display for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "'{}' (line {line})", self.value),
            None => write!(f, "'{}'", self.value),
        }
    }
}

/// What a column's values say about a convention `C` ([`DateOrder`] or
/// [`NumberLocale`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict<C> {
    /// Use this convention: it reads every value that any convention reads, and no
    /// other convention that does reads one differently. When nothing decides (ISO
    /// dates only, plain integers only, no readable value), it is the default
    /// ([`DateOrder::Ymd`], [`NumberLocale::En`]).
    Use(C),
    /// Both conventions read every value, but some differently: the import stops and
    /// asks for the option. `examples` are the first one or two such values, in file
    /// order.
    Ambiguous {
        /// The two conventions (day first and month first; `en` and `nl`).
        conventions: [C; 2],
        /// The first one or two values that read differently, in file order.
        examples: Vec<Sample>,
    },
    /// No convention reads every value: the caller uses its default and the values that
    /// do not fit it are value errors.
    Conflicting {
        /// The two conventions.
        conventions: [C; 2],
        /// The first value only the first convention reads and the first value only the
        /// second reads.
        examples: [Sample; 2],
    },
}

impl<C: Copy> Verdict<C> {
    /// True when the import must stop ([`Verdict::Ambiguous`]).
    pub fn stops(&self) -> bool {
        matches!(self, Self::Ambiguous { .. })
    }

    /// The convention to parse the column with: the one to use, or `default` for a
    /// conflicting column (and an ambiguous one, which stops the import anyway).
    pub fn convention(&self, default: C) -> C {
        match self {
            Self::Use(c) => *c,
            Self::Ambiguous { .. } | Self::Conflicting { .. } => default,
        }
    }
}

/// How one value fits the conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// No convention reads it.
    Unreadable,
    /// Every convention reads it, the same (ISO dates, `1250`).
    Every,
    /// The two conventions that tell values apart read it, the same (`12/12/2025`; for
    /// dates, the year-first order does not read it).
    BothSame,
    /// Both read it, differently (`03/04/2025`, `1.250`).
    BothDiffer,
    /// Only the first reads it (`25/03/2025` day first, `1,250.5` in `en`).
    OnlyFirst,
    /// Only the second reads it (`03/25/2025` month first, `12,5` in `nl`).
    OnlySecond,
}

const FITS: usize = 6;

/// Counts of each [`Fit`] and the first value of each, plus the second ambiguous one.
#[derive(Debug, Clone, Default)]
struct Tally {
    counts: [u64; FITS],
    first: [Option<Sample>; FITS],
    second_ambiguous: Option<Sample>,
}

impl Tally {
    fn add(&mut self, fit: Fit, raw: &str, line: Option<u64>) {
        let k = fit as usize;
        self.counts[k] += 1;
        if self.first[k].is_none() {
            self.first[k] = Some(Sample::new(raw, line));
        } else if fit == Fit::BothDiffer && self.second_ambiguous.is_none() {
            self.second_ambiguous = Some(Sample::new(raw, line));
        }
    }

    /// Appends the values of `later` (file order): the first two ambiguous values of
    /// the two together are the first two of `self`, then of `later`.
    fn merge(&mut self, mut later: Self) {
        let d = Fit::BothDiffer as usize;
        if self.first[d].is_some() {
            if self.second_ambiguous.is_none() {
                self.second_ambiguous = later.first[d].take();
            }
        } else {
            self.second_ambiguous = later.second_ambiguous.take();
        }
        for k in 0..FITS {
            self.counts[k] += later.counts[k];
            if self.first[k].is_none() {
                self.first[k] = later.first[k].take();
            }
        }
    }

    fn shift_lines(&mut self, by: u64) {
        for sample in self.first.iter_mut().chain([&mut self.second_ambiguous]).flatten() {
            if let Some(line) = &mut sample.line {
                *line += by;
            }
        }
    }

    fn has(&self, fit: Fit) -> bool {
        self.counts[fit as usize] > 0
    }

    fn sample(&self, fit: Fit) -> Sample {
        self.first[fit as usize].clone().expect("a counted fit keeps its first value")
    }

    /// Whether the first and second conventions read every readable value.
    fn fits_first_and_second(&self) -> (bool, bool) {
        (!self.has(Fit::OnlySecond), !self.has(Fit::OnlyFirst))
    }

    /// The verdict between the first and second conventions; `default` is a
    /// convention that reads every value alike, if there is one (for dates, the
    /// year-first order when every value is ISO), and wins.
    fn verdict<C: Copy>(&self, first: C, second: C, default: Option<C>) -> Verdict<C> {
        let (fits_first, fits_second) = self.fits_first_and_second();
        let conventions = [first, second];
        if let Some(default) = default {
            return Verdict::Use(default);
        }
        match (fits_first, fits_second) {
            (false, false) => Verdict::Conflicting {
                conventions,
                examples: [self.sample(Fit::OnlyFirst), self.sample(Fit::OnlySecond)],
            },
            (true, true) if self.has(Fit::BothDiffer) => Verdict::Ambiguous {
                conventions,
                examples: self.first[Fit::BothDiffer as usize]
                    .iter()
                    .chain(&self.second_ambiguous)
                    .cloned()
                    .collect(),
            },
            (true, _) => Verdict::Use(first),
            (false, true) => Verdict::Use(second),
        }
    }
}

/// The evidence of one date or datetime column for its [`DateOrder`] (module docs).
///
/// ```
/// use engine::normalize::evidence::{DateEvidence, Verdict};
/// use engine::normalize::values::DateOrder;
///
/// let mut first_piece = DateEvidence::default();
/// first_piece.observe("03/04/2025");
/// let mut second_piece = DateEvidence::default();
/// second_piece.observe("25/03/2025");
/// first_piece.merge(second_piece);
/// assert_eq!(first_piece.verdict(), Verdict::Use(DateOrder::Dmy));
/// ```
#[derive(Debug, Clone, Default)]
pub struct DateEvidence {
    tally: Tally,
}

impl DateEvidence {
    /// Observes one cell (trimmed and not blank, as passed to
    /// [`values::normalize`]).
    pub fn observe(&mut self, raw: &str) {
        self.add(raw, None);
    }

    /// Observes one cell on line `line` (kept with the examples). A piece may pass
    /// lines relative to its start and [`shift_lines`](Self::shift_lines) them later.
    pub fn observe_line(&mut self, raw: &str, line: u64) {
        self.add(raw, Some(line));
    }

    fn add(&mut self, raw: &str, line: Option<u64>) {
        if raw.is_empty() {
            return;
        }
        let fit = match values::date_reading(raw) {
            DateReading::Unreadable | DateReading::Orders { dmy: false, mdy: false, .. } => Fit::Unreadable,
            DateReading::Every => Fit::Every,
            DateReading::Orders { dmy: true, mdy: true, same: true } => Fit::BothSame,
            DateReading::Orders { dmy: true, mdy: true, same: false } => Fit::BothDiffer,
            DateReading::Orders { dmy: true, mdy: false, .. } => Fit::OnlyFirst,
            DateReading::Orders { dmy: false, mdy: true, .. } => Fit::OnlySecond,
        };
        self.tally.add(fit, raw, line);
    }

    /// Adds the observations of `later`, the cells that follow this accumulator's in
    /// the file. Associative: pieces can be merged in any grouping, in file order.
    pub fn merge(&mut self, later: Self) {
        self.tally.merge(later.tally);
    }

    /// Adds `by` to the line of every example kept (a piece's first line, when its
    /// cells were observed with lines relative to the piece).
    pub fn shift_lines(&mut self, by: u64) {
        self.tally.shift_lines(by);
    }

    /// Whether `order` reads every value that some order reads.
    pub fn fits(&self, order: DateOrder) -> bool {
        let (dmy, mdy) = self.tally.fits_first_and_second();
        match order {
            DateOrder::Ymd => ![Fit::BothSame, Fit::BothDiffer, Fit::OnlyFirst, Fit::OnlySecond]
                .iter()
                .any(|&f| self.tally.has(f)),
            DateOrder::Dmy => dmy,
            DateOrder::Mdy => mdy,
        }
    }

    /// Cells observed, and of those, how many no order reads.
    pub fn counts(&self) -> (u64, u64) {
        (self.tally.counts.iter().sum(), self.tally.counts[Fit::Unreadable as usize])
    }

    /// Which order to parse the column with (module docs): the year-first default
    /// when it reads every value, else day first or month first (day first when both
    /// read every value the same, as `12/12/2025`).
    pub fn verdict(&self) -> Verdict<DateOrder> {
        let default = self.fits(DateOrder::Ymd).then_some(DateOrder::Ymd);
        self.tally.verdict(DateOrder::Dmy, DateOrder::Mdy, default)
    }
}

/// The evidence of one number column for its [`NumberLocale`] (module docs).
///
/// For an integer property ([`NumberEvidence::integer`]), a reading with a fraction
/// does not fit: `1.250` employees can only be `nl`'s 1250.
///
/// ```
/// use engine::normalize::evidence::{NumberEvidence, Verdict};
/// use engine::normalize::values::NumberLocale;
///
/// let mut column = NumberEvidence::default();
/// column.observe("1.250");
/// assert!(column.verdict().stops());
/// column.observe("12,5");
/// assert_eq!(column.verdict(), Verdict::Use(NumberLocale::Comma));
/// ```
#[derive(Debug, Clone, Default)]
pub struct NumberEvidence {
    tally: Tally,
    integer: bool,
    /// Scratch buffers for the two readings of a cell.
    en: String,
    comma: String,
}

impl NumberEvidence {
    /// Evidence for a column of a decimal property ([`values::number`]).
    pub fn decimal() -> Self {
        Self::default()
    }

    /// Evidence for a column of an integer property ([`values::integer`]).
    pub fn integer() -> Self {
        Self { integer: true, ..Self::default() }
    }

    /// Observes one cell (trimmed and not blank, as passed to
    /// [`values::normalize`]).
    pub fn observe(&mut self, raw: &str) {
        self.add(raw, None);
    }

    /// Observes one cell on line `line` (see [`DateEvidence::observe_line`]).
    pub fn observe_line(&mut self, raw: &str, line: u64) {
        self.add(raw, Some(line));
    }

    fn read(&self, raw: &str, locale: NumberLocale, out: &mut String) -> bool {
        out.clear();
        if self.integer { values::integer(raw, locale, out) } else { values::number(raw, locale, out) }
            .is_ok()
    }

    fn add(&mut self, raw: &str, line: Option<u64>) {
        if raw.is_empty() {
            return;
        }
        let (mut en, mut comma) = (std::mem::take(&mut self.en), std::mem::take(&mut self.comma));
        let fit = if memchr::memchr2(b'.', b',', raw.as_bytes()).is_none() {
            // Without `.` or `,` both locales read a cell alike.
            if self.read(raw, NumberLocale::En, &mut en) { Fit::Every } else { Fit::Unreadable }
        } else {
            match (self.read(raw, NumberLocale::En, &mut en), self.read(raw, NumberLocale::Comma, &mut comma))
            {
                (true, true) if en == comma => Fit::Every,
                (true, true) => Fit::BothDiffer,
                (true, false) => Fit::OnlyFirst,
                (false, true) => Fit::OnlySecond,
                (false, false) => Fit::Unreadable,
            }
        };
        (self.en, self.comma) = (en, comma);
        self.tally.add(fit, raw, line);
    }

    /// Adds the observations of `later` (see [`DateEvidence::merge`]).
    pub fn merge(&mut self, later: Self) {
        debug_assert_eq!(self.integer, later.integer, "evidence of one column");
        self.tally.merge(later.tally);
    }

    /// Adds `by` to the line of every example kept (see [`DateEvidence::shift_lines`]).
    pub fn shift_lines(&mut self, by: u64) {
        self.tally.shift_lines(by);
    }

    /// Whether `locale` reads every value that some locale reads.
    pub fn fits(&self, locale: NumberLocale) -> bool {
        let (en, comma) = self.tally.fits_first_and_second();
        match locale {
            NumberLocale::En => en,
            NumberLocale::Comma => comma,
        }
    }

    /// Cells observed, and of those, how many no locale reads.
    pub fn counts(&self) -> (u64, u64) {
        (self.tally.counts.iter().sum(), self.tally.counts[Fit::Unreadable as usize])
    }

    /// Which locale to parse the column with (module docs): `en` when it reads every
    /// value (and `nl` reads none differently), else `nl`.
    pub fn verdict(&self) -> Verdict<NumberLocale> {
        self.tally.verdict(NumberLocale::En, NumberLocale::Comma, None)
    }
}

/// A date format to suggest for `order`, with the separator `sample` uses.
fn format_like(order: DateOrder, sample: &str) -> String {
    let sep = sample.chars().find(|c| matches!(c, '-' | '/' | '.')).unwrap_or('-');
    let parts: [&str; 3] = match order {
        DateOrder::Ymd => ["YYYY", "MM", "DD"],
        DateOrder::Dmy => ["DD", "MM", "YYYY"],
        DateOrder::Mdy => ["MM", "DD", "YYYY"],
    };
    parts.join(&sep.to_string())
}

fn order_name(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Ymd => "year first",
        DateOrder::Dmy => "day first",
        DateOrder::Mdy => "month first",
    }
}

fn locale_name(locale: NumberLocale) -> &'static str {
    match locale {
        NumberLocale::En => "en",
        NumberLocale::Comma => "nl",
    }
}

/// "`a` and `b`" or "`a`".
fn listed(examples: &[Sample]) -> String {
    let shown: Vec<String> = examples.iter().map(Sample::to_string).collect();
    shown.join(" and ")
}

/// The message for the user about date column `column`'s verdict, `None` for
/// [`Verdict::Use`]. For [`Verdict::Ambiguous`] it is the reason the import stops
/// (naming the column, one or two example values and their two readings, and the
/// `--date-format` to give); for [`Verdict::Conflicting`] a warning that the column
/// mixes orders, so that the values that do not fit the format in force are errors.
pub fn date_message(column: &str, verdict: &Verdict<DateOrder>) -> Option<String> {
    let reading = |s: &Sample, order: DateOrder| {
        let mut out = String::new();
        values::date(&s.value, order, &mut out).map(|()| out).unwrap_or_default()
    };
    match verdict {
        Verdict::Use(_) => None,
        Verdict::Ambiguous { conventions: [a, b], examples } => {
            let first = examples.first()?;
            let (verb, what) = if examples.len() > 1 { ("read", "dates") } else { ("reads", "date") };
            Some(format!(
                "column '{column}': {} {verb} as a different {what} {} and {} ({} is {} {} and {} {}), \
                 and no value of the column tells which order the file uses; \
                 give it with --date-format {} or --date-format {}",
                listed(examples),
                order_name(*a),
                order_name(*b),
                first,
                reading(first, *a),
                order_name(*a),
                reading(first, *b),
                order_name(*b),
                format_like(*a, &first.value),
                format_like(*b, &first.value),
            ))
        }
        Verdict::Conflicting { conventions: [a, b], examples: [x, y] } => Some(format!(
            "column '{column}' mixes date orders: {x} reads only {} and {y} only {}; \
             the values that do not fit the date format in force are errors \
             (give it with --date-format, e.g. --date-format {})",
            order_name(*a),
            order_name(*b),
            format_like(*a, &x.value),
        )),
    }
}

/// The message for the user about number column `column`'s verdict, `None` for
/// [`Verdict::Use`]. For [`Verdict::Ambiguous`] it is the reason the import stops
/// (naming the column, one or two example values and their readings in `en` and `nl`,
/// and the `--number-locale` to give); for [`Verdict::Conflicting`] a warning that the
/// column mixes conventions.
pub fn number_message(column: &str, verdict: &Verdict<NumberLocale>) -> Option<String> {
    let reading = |s: &Sample, locale: NumberLocale| {
        let mut out = String::new();
        values::number(&s.value, locale, &mut out).map(|()| out).unwrap_or_default()
    };
    match verdict {
        Verdict::Use(_) => None,
        Verdict::Ambiguous { conventions: [a, b], examples } => {
            let first = examples.first()?;
            let verb = if examples.len() > 1 { "read" } else { "reads" };
            Some(format!(
                "column '{column}': {} {verb} as different numbers in {} and {} ({} is {} in {} and {} in {}), \
                 and no value of the column tells which the file uses; \
                 give it with --number-locale {} or --number-locale {}",
                listed(examples),
                locale_name(*a),
                locale_name(*b),
                first,
                reading(first, *a),
                locale_name(*a),
                reading(first, *b),
                locale_name(*b),
                locale_name(*a),
                locale_name(*b),
            ))
        }
        Verdict::Conflicting { conventions: [a, b], examples: [x, y] } => Some(format!(
            "column '{column}' mixes number conventions: {x} reads only in {} and {y} only in {}; \
             the values that do not fit the number locale in force are errors \
             (give it with --number-locale)",
            locale_name(*a),
            locale_name(*b),
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn dates(cells: &[&str]) -> DateEvidence {
        let mut e = DateEvidence::default();
        for (i, cell) in cells.iter().enumerate() {
            e.observe_line(cell, i as u64 + 2);
        }
        e
    }

    fn numbers(mut e: NumberEvidence, cells: &[&str]) -> NumberEvidence {
        for (i, cell) in cells.iter().enumerate() {
            e.observe_line(cell, i as u64 + 2);
        }
        e
    }

    fn at(value: &str, line: u64) -> Sample {
        Sample { value: value.to_owned(), line: Some(line) }
    }

    #[test]
    fn a_column_that_fits_one_date_order_uses_it() {
        use DateOrder::{Dmy, Mdy, Ymd};
        for (cells, want) in [
            (&["2025-03-04", "2025-12-31T10:00:00Z", "1715077560000"][..], Ymd),
            (&[][..], Ymd),
            (&["someday", "31/31/2025"][..], Ymd),
            (&["25/03/2025"][..], Dmy),
            (&["03/04/2025", "2025-01-01", "25/03/2025", "01/02/2025"][..], Dmy),
            (&["03/25/2025", "03/04/2025"][..], Mdy),
            (&["5/7/24 10:26", "5/13/24 09:00 PM"][..], Mdy),
            // Reads the same both ways: not ambiguous in effect.
            (&["12/12/2025", "01/01/2024", "2025-06-01"][..], Dmy),
            // A value no order reads takes no part.
            (&["03/25/2025", "unknown", "99/99/2025"][..], Mdy),
        ] {
            let e = dates(cells);
            assert_eq!(e.verdict(), Verdict::Use(want), "{cells:?}");
            assert!(!e.verdict().stops());
            assert_eq!(date_message("Close Date", &e.verdict()), None);
        }
        let e = dates(&["03/25/2025", "unknown", "2025-01-01"]);
        assert_eq!(e.counts(), (3, 1));
        assert!(e.fits(Mdy) && !e.fits(Dmy) && !e.fits(Ymd));
    }

    #[test]
    fn a_column_of_dates_that_read_both_ways_stops_with_two_examples() {
        let e = dates(&["2025-01-01", "03/04/2025", "12/12/2025", "05/06/2025", "07/08/2025"]);
        let verdict = e.verdict();
        assert!(verdict.stops());
        assert_eq!(
            verdict,
            Verdict::Ambiguous {
                conventions: [DateOrder::Dmy, DateOrder::Mdy],
                examples: vec![at("03/04/2025", 3), at("05/06/2025", 5)],
            }
        );
        let message = date_message("Close Date", &verdict).unwrap();
        for part in [
            "Close Date",
            "'03/04/2025' (line 3)",
            "'05/06/2025' (line 5)",
            "2025-04-03 day first",
            "2025-03-04 month first",
            "--date-format DD/MM/YYYY",
            "--date-format MM/DD/YYYY",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        assert_eq!(verdict.convention(DateOrder::Ymd), DateOrder::Ymd);
        // One example when only one value is ambiguous; the separator of the file.
        let e = dates(&["03.04.2025 10:00"]);
        let message = date_message("d", &e.verdict()).unwrap();
        assert!(
            message.contains("--date-format DD.MM.YYYY") && message.contains("reads as a different date"),
            "{message}"
        );
    }

    #[test]
    fn a_column_that_mixes_date_orders_conflicts() {
        let e = dates(&["2025-01-01", "25/03/2025", "03/04/2025", "03/25/2025", "26/03/2025"]);
        let verdict = e.verdict();
        assert_eq!(
            verdict,
            Verdict::Conflicting {
                conventions: [DateOrder::Dmy, DateOrder::Mdy],
                examples: [at("25/03/2025", 3), at("03/25/2025", 5)],
            }
        );
        assert!(!verdict.stops());
        assert_eq!(verdict.convention(DateOrder::Ymd), DateOrder::Ymd);
        let message = date_message("Close Date", &verdict).unwrap();
        assert!(
            message.contains("'25/03/2025' (line 3)") && message.contains("'03/25/2025' (line 5)"),
            "{message}"
        );
    }

    #[test]
    fn number_columns_decide_between_en_and_nl() {
        use NumberLocale::{Comma, En};
        for (cells, want) in [
            (&["1250", "-3", "€ 12"][..], En),
            (&[][..], En),
            (&["1.250", "1.250,5"][..], Comma),
            (&["1,250", "12,5"][..], Comma),
            (&["1.250", "1,250.5"][..], En),
            (&["1,250", "0.5"][..], En),
            (&["1.250.000", "7"][..], Comma),
            (&["0,000", "n/a"][..], En),
        ] {
            let e = numbers(NumberEvidence::decimal(), cells);
            assert_eq!(e.verdict(), Verdict::Use(want), "{cells:?}");
            assert_eq!(number_message("Revenue", &e.verdict()), None);
        }
        let e = numbers(NumberEvidence::decimal(), &["1.250", "300", "2.500", "1.000"]);
        let verdict = e.verdict();
        assert_eq!(
            verdict,
            Verdict::Ambiguous { conventions: [En, Comma], examples: vec![at("1.250", 2), at("2.500", 4)] }
        );
        let message = number_message("Number of Employees", &verdict).unwrap();
        for part in [
            "Number of Employees",
            "'1.250' (line 2)",
            "'2.500' (line 4)",
            "1.25 in en",
            "1250 in nl",
            "--number-locale en",
            "--number-locale nl",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        assert!(numbers(NumberEvidence::decimal(), &["1,250"]).verdict().stops());
        let e = numbers(NumberEvidence::decimal(), &["1,250.5", "12,5"]);
        assert_eq!(
            e.verdict(),
            Verdict::Conflicting { conventions: [En, Comma], examples: [at("1,250.5", 2), at("12,5", 3)] }
        );
        assert!(number_message("x", &e.verdict()).unwrap().contains("mixes"));
    }

    #[test]
    fn integer_columns_read_a_fraction_as_a_misfit() {
        use NumberLocale::{Comma, En};
        // 1.25 employees is no reading: a Dutch 1.250 is 1250.
        assert_eq!(numbers(NumberEvidence::integer(), &["1.250", "3"]).verdict(), Verdict::Use(Comma));
        assert_eq!(numbers(NumberEvidence::integer(), &["1,250"]).verdict(), Verdict::Use(En));
        // 1.000 is 1 or 1000: both whole.
        assert!(numbers(NumberEvidence::integer(), &["1.000"]).verdict().stops());
        assert!(numbers(NumberEvidence::decimal(), &["1.250", "3"]).verdict().stops());
    }

    #[test]
    fn examples_are_cut_and_lines_shift() {
        let long = format!("{}/04/2025", "0".repeat(200));
        let mut e = DateEvidence::default();
        e.observe(&long);
        e.observe_line("03/04/2025", 7);
        e.shift_lines(100);
        let (_, unreadable) = e.counts();
        assert_eq!(unreadable, 1);
        assert_eq!(e.tally.first[Fit::Unreadable as usize].as_ref().unwrap().value.chars().count(), 101);
        assert_eq!(e.tally.first[Fit::Unreadable as usize].as_ref().unwrap().line, None);
        let Verdict::Ambiguous { examples, .. } = e.verdict() else { panic!("ambiguous") };
        assert_eq!(examples, vec![at("03/04/2025", 107)]);
    }

    /// Cells a date column may hold: ISO, both orders, ambiguous, same both ways, junk.
    fn date_cell() -> impl Strategy<Value = String> {
        prop_oneof![
            (1u32..=31, 1u32..=12, 1990u32..2030).prop_map(|(d, m, y)| format!("{d:02}/{m:02}/{y}")),
            (1u32..=12, 1u32..=12, 0u32..100).prop_map(|(a, b, y)| format!("{a}.{b}.{y:02} 10:26")),
            (1u32..=12, 1u32..=31, 1990u32..2030).prop_map(|(m, d, y)| format!("{m}/{d}/{y}")),
            (1990u32..2030, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
            Just("someday".to_owned()),
        ]
    }

    fn number_cell() -> impl Strategy<Value = String> {
        "[0-9]{1,4}([.,][0-9]{1,3}){0,2}|[a-z]{1,3}"
    }

    /// The verdict from its definition, by normalizing every cell in every convention.
    fn date_oracle(cells: &[String]) -> Verdict<DateOrder> {
        use DateOrder::{Dmy, Mdy, Ymd};
        let read = |c: &str, order| {
            let mut out = String::new();
            values::date(c, order, &mut out).ok().map(|()| out)
        };
        let readable: Vec<&String> =
            cells.iter().filter(|c| [Ymd, Dmy, Mdy].iter().any(|&o| read(c, o).is_some())).collect();
        let fits = |o| readable.iter().all(|c| read(c, o).is_some());
        let line = |c: &&String| cells.iter().position(|x| x == *c).unwrap() as u64 + 2;
        let first_only = |o, other| {
            readable.iter().find(|c| read(c, o).is_some() && read(c, other).is_none()).map(|c| at(c, line(c)))
        };
        if fits(Ymd) {
            Verdict::Use(Ymd)
        } else if !fits(Dmy) && !fits(Mdy) {
            Verdict::Conflicting {
                conventions: [Dmy, Mdy],
                examples: [first_only(Dmy, Mdy).unwrap(), first_only(Mdy, Dmy).unwrap()],
            }
        } else if fits(Dmy) && fits(Mdy) && readable.iter().any(|c| read(c, Dmy) != read(c, Mdy)) {
            let mut examples = Vec::new();
            for (i, c) in cells.iter().enumerate() {
                if read(c, Dmy).is_some() && read(c, Mdy).is_some() && read(c, Dmy) != read(c, Mdy) {
                    examples.push(at(c, i as u64 + 2));
                }
            }
            examples.truncate(2);
            Verdict::Ambiguous { conventions: [Dmy, Mdy], examples }
        } else {
            Verdict::Use(if fits(Dmy) { Dmy } else { Mdy })
        }
    }

    fn number_oracle(cells: &[String]) -> Option<NumberLocale> {
        use NumberLocale::{Comma, En};
        let read = |c: &str, l| {
            let mut out = String::new();
            values::number(c, l, &mut out).ok().map(|()| out)
        };
        let readable: Vec<&String> =
            cells.iter().filter(|c| read(c, En).is_some() || read(c, Comma).is_some()).collect();
        let fits = |l| readable.iter().all(|c| read(c, l).is_some());
        match (fits(En), fits(Comma)) {
            (true, true) if readable.iter().any(|c| read(c, En) != read(c, Comma)) => None,
            (true, _) => Some(En),
            (false, true) => Some(Comma),
            (false, false) => None,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn date_verdicts_follow_their_definition(cells in prop::collection::vec(date_cell(), 0..12)) {
            let cells: Vec<String> = {
                // Distinct cells, so that the oracle can find a cell's line by value.
                let mut seen = std::collections::HashSet::new();
                cells.into_iter().filter(|c| seen.insert(c.clone())).collect()
            };
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            prop_assert_eq!(dates(&refs).verdict(), date_oracle(&cells));
        }

        #[test]
        fn number_verdicts_follow_their_definition(cells in prop::collection::vec(number_cell(), 0..8)) {
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            let got = match numbers(NumberEvidence::decimal(), &refs).verdict() {
                Verdict::Use(l) => Some(l),
                _ => None,
            };
            prop_assert_eq!(got, number_oracle(&cells));
        }

        /// Pieces observed apart, with lines relative to each piece, shifted and merged
        /// in file order in any grouping, give the verdict of one pass.
        #[test]
        fn pieces_merge_to_the_whole_column(
            dates_cells in prop::collection::vec(date_cell(), 0..24),
            number_cells in prop::collection::vec(number_cell(), 0..24),
            cuts in prop::collection::vec(0usize..24, 0..5),
        ) {
            fn pieces<E: Clone>(
                cells: &[String],
                cuts: &[usize],
                new: impl Fn() -> E,
                observe: impl Fn(&mut E, &str, u64),
                shift: impl Fn(&mut E, u64),
                merge: impl Fn(&mut E, E),
            ) -> (E, E, E) {
                let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(cells.len())).collect();
                bounds.extend([0, cells.len()]);
                bounds.sort_unstable();
                let mut parts = Vec::new();
                for w in bounds.windows(2) {
                    let mut e = new();
                    for (i, c) in cells[w[0]..w[1]].iter().enumerate() {
                        observe(&mut e, c, i as u64);
                    }
                    shift(&mut e, w[0] as u64 + 2);
                    parts.push(e);
                }
                let mut whole = new();
                for (i, c) in cells.iter().enumerate() {
                    observe(&mut whole, c, i as u64 + 2);
                }
                // Left to right, and right to left ((a (b c)) ...).
                let mut left = new();
                for p in parts.clone() {
                    merge(&mut left, p);
                }
                let mut right = new();
                for p in parts.into_iter().rev() {
                    let mut acc = p;
                    merge(&mut acc, right);
                    right = acc;
                }
                (whole, left, right)
            }
            let (whole, left, right) = pieces(
                &dates_cells, &cuts, DateEvidence::default,
                DateEvidence::observe_line, DateEvidence::shift_lines, DateEvidence::merge,
            );
            prop_assert_eq!(left.verdict(), whole.verdict());
            prop_assert_eq!(right.verdict(), whole.verdict());
            prop_assert_eq!(left.counts(), whole.counts());
            let (whole, left, right) = pieces(
                &number_cells, &cuts, NumberEvidence::integer,
                NumberEvidence::observe_line, NumberEvidence::shift_lines, NumberEvidence::merge,
            );
            prop_assert_eq!(left.verdict(), whole.verdict());
            prop_assert_eq!(right.verdict(), whole.verdict());
            prop_assert_eq!(right.counts(), whole.counts());
        }
    }
}
