//! Parsing and normalizing one cell per property type (SPEC 4).
//!
//! Every function takes the raw cell (already trimmed, never blank) and writes the
//! normalized text into `out`, or returns the error code. Normalized text is what
//! the store holds and `export` writes: numbers as plain decimals, dates
//! `YYYY-MM-DD`, datetimes RFC 3339 in UTC to the second (`YYYY-MM-DDTHH:MM:SSZ`),
//! enumerations by internal value, bools `true`/`false`, emails and domains lowercased.
//!
//! # Dates and datetimes
//!
//! A date cell is a calendar date, optionally followed by a time of day and an offset:
//!
//! - the date: year first (`2024-05-07`, also with `/` or `.`; always accepted, whatever
//!   the [`DateOrder`]), or day and month in the import's [`DateOrder`] followed by the
//!   year (`07-05-2024`, `07.05.2024`, `5/7/24`); the same separator twice. A two-digit
//!   year is pivoted as spreadsheets do: `00`-`29` are 2000-2029, `30`-`99` 1930-1999.
//! - the time, after `T` or spaces (or `, `): `H:MM`, `HH:MM:SS`, optionally with a
//!   fraction of a second (dropped: the store keeps whole seconds) and `AM`/`PM`.
//! - the offset: `Z`, `+HH:MM`, `+HHMM`, `+HH`, `UTC` or `GMT`. A datetime with an
//!   offset is that instant; one without is a local time in
//!   [`ValueOptions::time_zone`]. A local time that does not exist there (the hour the
//!   clocks skip in spring) is `COULD_NOT_PARSE_DATE`; one that exists twice (the hour
//!   repeated in autumn) is the earlier of the two instants. A date without a time in a
//!   datetime property is the first instant of that day in the time zone (midnight,
//!   or when the clocks jump over midnight, the moment they land).
//! - or a time since the Unix epoch, as `HubSpot` exports and its API write it:
//!   11 to 13 digits are milliseconds (`1715077560000`), 10 digits are seconds
//!   (`1715077560`). Both cover 2001-09-09 to 2286-11-20, so a ten-digit value is
//!   never a plausible number of milliseconds (it would fall in the first four months of
//!   1970); other runs of digits (`20240507`) are not dates.
//!
//! A date property given a datetime takes its date as written (the time and offset are
//! checked, then dropped); given an epoch time, it takes the UTC date (`HubSpot` stores
//! date properties as midnight UTC).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike};
use chrono_tz::Tz;

use crate::codes::ErrorCode;
use crate::schema::{EnumOption, PropertyDef, PropertyType};

/// Longest value a property accepts, in characters.
pub const MAX_VALUE_CHARS: usize = 65_536;

/// How numbers are written (`--number-locale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NumberLocale {
    /// `1,234.56`
    #[default]
    En,
    /// `1.234,56` (nl, de, da, es, ...)
    Comma,
}

impl NumberLocale {
    /// Parses a locale name: `en` or one of the comma-decimal locales.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "us" | "gb" | "uk" => Some(Self::En),
            "nl" | "de" | "da" | "es" | "fr" | "it" | "pt" => Some(Self::Comma),
            _ => None,
        }
    }
}

/// The order of day, month and year in `--date-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DateOrder {
    /// `YYYY-MM-DD` (ISO only).
    #[default]
    Ymd,
    /// `DD-MM-YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`.
    Dmy,
    /// `MM/DD/YYYY`, `MM-DD-YYYY`.
    Mdy,
}

impl DateOrder {
    /// Parses a format such as `DD-MM-YYYY`: the separators and how many times each
    /// letter is written do not matter (`M/D/YY` is `MM/DD/YYYY`), and a time may follow
    /// (`DD.MM.YYYY HH:MM`).
    pub fn parse(s: &str) -> Option<Self> {
        let mut letters = String::new();
        for c in s.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_uppercase()) {
            if !letters.ends_with(c) {
                letters.push(c);
            }
        }
        let date = letters.strip_suffix("HMS").or_else(|| letters.strip_suffix("HM")).unwrap_or(&letters);
        match date {
            "YMD" => Some(Self::Ymd),
            "DMY" => Some(Self::Dmy),
            "MDY" => Some(Self::Mdy),
            _ => None,
        }
    }
}

/// Options that change how values parse.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// Number locale.
    pub number_locale: NumberLocale,
    /// Date order.
    pub date_order: DateOrder,
    /// The time zone of datetimes written without an offset (`--time-zone`; UTC by
    /// default).
    pub time_zone: Tz,
    /// Extra true/false words of the header language (English always applies).
    pub bool_words: (&'static [&'static str], &'static [&'static str]),
    /// The store's owners, for owner cells (default: none, so every owner cell is
    /// `COULD_NOT_FIND_OWNER`).
    pub owners: std::sync::Arc<crate::normalize::owners::OwnerIndex>,
}

/// Parses a time zone name for `--time-zone`: an IANA name (`Europe/Amsterdam`,
/// `America/New_York`; exact case first, then any case) or `UTC`.
pub fn time_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if ["utc", "z", "gmt"].iter().any(|u| name.eq_ignore_ascii_case(u)) {
        return Some(Tz::UTC);
    }
    name.parse::<Tz>()
        .ok()
        .or_else(|| chrono_tz::TZ_VARIANTS.iter().copied().find(|tz| tz.name().eq_ignore_ascii_case(name)))
}

/// The true and false words of a header language.
pub fn bool_words(lang: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match lang {
        "nl" => (&["ja", "waar", "j"], &["nee", "onwaar", "n"]),
        "da" => (&["ja", "sand", "j"], &["nej", "falsk", "n"]),
        "de" => (&["ja", "wahr", "j"], &["nein", "falsch", "n"]),
        "fr" => (&["oui", "vrai", "o"], &["non", "faux", "n"]),
        "es" => (&["sí", "si", "verdadero", "s"], &["no", "falso", "n"]),
        _ => (&[], &[]),
    }
}

/// Normalizes `raw` (trimmed, not blank) as a value of property `prop`: by its
/// type, and for a property with [`PropertyDef::multiple`] values each of the
/// `;`-separated values (blank ones dropped, repeats kept once, joined by `;`).
pub fn normalize(
    prop: &PropertyDef,
    raw: &str,
    opts: &ValueOptions,
    out: &mut String,
) -> Result<(), ErrorCode> {
    out.clear();
    if raw.len() > MAX_VALUE_CHARS && raw.chars().count() > MAX_VALUE_CHARS {
        return Err(ErrorCode::ColumnTooLarge);
    }
    if prop.multiple {
        let mut one = String::new();
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            one.clear();
            normalize_one(prop, part, opts, &mut one)?;
            if seen.iter().any(|&(s, e)| out[s..e] == *one) {
                continue;
            }
            if !out.is_empty() {
                out.push(';');
            }
            seen.push((out.len(), out.len() + one.len()));
            out.push_str(&one);
        }
        return Ok(());
    }
    normalize_one(prop, raw, opts, out)
}

/// One value of `prop`, by its type.
fn normalize_one(
    prop: &PropertyDef,
    raw: &str,
    opts: &ValueOptions,
    out: &mut String,
) -> Result<(), ErrorCode> {
    match prop.ty {
        PropertyType::String | PropertyType::Phone | PropertyType::Url => {
            out.push_str(raw);
            Ok(())
        }
        PropertyType::Email => email(raw, out),
        PropertyType::Domain => domain(raw, out),
        PropertyType::Number if prop.integer => integer(raw, opts.number_locale, out),
        PropertyType::Number => number(raw, opts.number_locale, out),
        PropertyType::Date => date(raw, opts.date_order, out),
        PropertyType::Datetime => datetime(raw, opts.date_order, opts.time_zone, out),
        PropertyType::Bool => boolean(raw, opts, out),
        PropertyType::Enumeration => enumeration(raw, &prop.options, out),
        PropertyType::Owner => opts.owners.normalize(raw, out),
        PropertyType::RecordId => record_id(raw).map(|id| {
            use std::fmt::Write;
            write!(out, "{id}").expect("writing to a String");
        }),
    }
}

/// Parses a record ID: a positive integer.
pub fn record_id(raw: &str) -> Result<u64, ErrorCode> {
    match raw.parse::<u64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ErrorCode::InvalidRecordId),
    }
}

/// The characters besides letters and digits that an unquoted local part may hold
/// (RFC 5322 `atext`), besides the dots between its atoms.
const LOCAL_PART_SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";

/// Whether `local` is a dot-atom local part (RFC 5322, with RFC 6531's letters and
/// digits of any script): atoms of letters, digits and [`LOCAL_PART_SPECIALS`],
/// separated by single dots, none first or last. Quoted local parts are refused.
fn local_part_ok(local: &str) -> bool {
    // A dot before the first character refuses a leading dot as a doubled one.
    let mut previous = '.';
    for c in local.chars() {
        let ok = if c == '.' {
            previous != '.'
        } else {
            c.is_alphanumeric()
                || (c.is_ascii() && LOCAL_PART_SPECIALS.contains(&(c as u8)))
                // A combining mark on a letter (`i̇` from lowercasing `İ`).
                || (previous != '.' && unicode_normalization::char::is_combining_mark(c))
        };
        if !ok {
            return false;
        }
        previous = c;
    }
    previous != '.'
}

/// [`local_part_ok`] on ASCII bytes (the common case).
fn ascii_local_part_ok(local: &[u8]) -> bool {
    let mut previous = b'.';
    for &b in local {
        let ok = if b == b'.' {
            previous != b'.'
        } else {
            b.is_ascii_alphanumeric() || LOCAL_PART_SPECIALS.contains(&b)
        };
        if !ok {
            return false;
        }
        previous = b;
    }
    previous != b'.'
}

/// Lowercases and checks an email: `local@domain`, where the local part is a
/// dot-atom of letters and digits of any script and RFC 5322's other `atext`
/// characters ([`LOCAL_PART_SPECIALS`]; RFC 6531/6532 local parts, [`local_part_ok`]) and the domain is a valid domain of
/// at least two labels ([`domain`]'s rules), internationalized ones included.
/// The normal form is lowercase with the domain in its Unicode form ([`domain`]):
/// `José@MÜLLER.de` and `josé@xn--mller-kva.de` are both `josé@müller.de`.
pub fn email(raw: &str, out: &mut String) -> Result<(), ErrorCode> {
    use unicode_normalization::UnicodeNormalization as _;
    let bytes = raw.as_bytes();
    let Some(at) = memchr::memchr(b'@', bytes) else {
        return Err(ErrorCode::InvalidEmail);
    };
    let (local, domain_part) = (&raw[..at], &raw[at + 1..]);
    if raw.is_ascii() && !has_ace_label(domain_part) {
        // The common case: checks and lowercasing on bytes.
        let local_ok = ascii_local_part_ok(local.as_bytes());
        let mut labels = 0;
        let domain_ok = !domain_part.is_empty()
            && domain_part.split('.').all(|label| {
                labels += 1;
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !(local_ok && domain_ok && labels >= 2) {
            return Err(ErrorCode::InvalidEmail);
        }
        out.push_str(raw);
        out.make_ascii_lowercase();
        return Ok(());
    }
    // One normal form: NFC of the lowercase text (an NFD `é` is the NFC one). Text
    // that is already NFC, as almost all is, is lowercased in place without a copy.
    let start = out.len();
    if unicode_normalization::is_nfc_quick(local.chars()) == unicode_normalization::IsNormalized::Yes {
        out.extend(local.chars().flat_map(char::to_lowercase));
    } else {
        out.extend(local.nfc().flat_map(char::to_lowercase));
    }
    if unicode_normalization::is_nfc_quick(out[start..].chars()) != unicode_normalization::IsNormalized::Yes {
        let composed: String = out[start..].nfc().collect();
        out.truncate(start);
        out.push_str(&composed);
    }
    if !local_part_ok(&out[start..]) || domain_part.contains(['/', ':', '?', '#', '@']) {
        out.truncate(start);
        return Err(ErrorCode::InvalidEmail);
    }
    out.push('@');
    host(domain_part, out).map_err(|_| ErrorCode::InvalidEmail)
}

/// True if a label of `domain` is an IDNA A-label (`xn--...`).
fn has_ace_label(domain: &str) -> bool {
    domain.split('.').any(|l| l.len() >= 4 && l[..4].eq_ignore_ascii_case("xn--"))
}

/// Normalizes a domain: lowercase; scheme, user, `www.`, port, path, query and
/// trailing dot removed; then at least two labels of letters, digits and `-`.
///
/// Internationalized domains are stored in one normal form, their Unicode form
/// after UTS #46 mapping (lowercase, NFC): `MÜLLER.de`, `müller.de` and
/// `xn--mller-kva.de` are all `müller.de`.
pub fn domain(raw: &str, out: &mut String) -> Result<(), ErrorCode> {
    let mut s = raw;
    if let Some(i) = s.find("://") {
        s = &s[i + 3..];
    }
    if let Some(i) = s.find(['/', '?', '#']) {
        s = &s[..i];
    }
    if let Some(i) = s.rfind('@') {
        s = &s[i + 1..];
    }
    if let Some(i) = s.find(':') {
        s = &s[..i];
    }
    let s = s.trim_end_matches('.');
    let s = match s.get(..4) {
        Some(w) if w.eq_ignore_ascii_case("www.") && s.len() > 4 => &s[4..],
        _ => s,
    };
    host(s, out)
}

/// Appends the normal form of the host name `s` (no scheme, port or path): lowercase
/// ASCII, or the Unicode form after UTS #46 mapping for internationalized names;
/// then checks for at least two labels of letters, digits and inner `-`.
fn host(s: &str, out: &mut String) -> Result<(), ErrorCode> {
    if s.is_ascii() && !has_ace_label(s) {
        return host_uncached(s, out);
    }
    international_host(s, out)
}

/// Internationalized host names remembered per thread ([`international_host`]).
const HOST_CACHE: usize = 64;

/// One remembered host name: as written, and its normal form or error.
type CachedHost = Option<(Box<str>, Result<Box<str>, ErrorCode>)>;

thread_local! {
    static HOSTS: std::cell::RefCell<Vec<CachedHost>> = std::cell::RefCell::new(vec![None; HOST_CACHE]);
}

/// [`host`] for a name that UTS #46 must map (about a microsecond each). A file
/// holds few distinct domains and repeats them on many rows (`exämple.de` on
/// every contact of that company), so the last ones seen are remembered, each in
/// a slot chosen by its hash: the same name always gets the same answer.
fn international_host(s: &str, out: &mut String) -> Result<(), ErrorCode> {
    let slot = (ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one(s) % HOST_CACHE as u64) as usize;
    HOSTS.with_borrow_mut(|hosts| {
        if let Some((raw, result)) = &hosts[slot]
            && **raw == *s
        {
            return result.as_ref().map(|normal| out.push_str(normal)).map_err(|&e| e);
        }
        let start = out.len();
        let result = host_uncached(s, out);
        hosts[slot] = Some((s.into(), result.map(|()| out[start..].into())));
        result
    })
}

/// [`host`] computed: `out` is left as it was on error.
fn host_uncached(s: &str, out: &mut String) -> Result<(), ErrorCode> {
    let start = out.len();
    if s.is_ascii() && !has_ace_label(s) {
        out.push_str(s);
        out[start..].make_ascii_lowercase();
    } else {
        let (unicode, result) = idna::domain_to_unicode(s);
        if result.is_err() {
            return Err(ErrorCode::InvalidDomain);
        }
        out.push_str(&unicode);
    }
    let mut labels = 0;
    let ok = out.len() > start
        && out[start..].split('.').all(|label| {
            labels += 1;
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if ok && labels >= 2 {
        Ok(())
    } else {
        out.truncate(start);
        Err(ErrorCode::InvalidDomain)
    }
}

/// Parses a number written in `locale`; currency symbols and spaces are ignored.
/// Writes the canonical decimal: no grouping, no leading zeros, no trailing
/// fractional zeros (`1.234,50` in `nl` -> `1234.5`). Appends to `out`, which is left
/// as it was on error.
pub fn number(raw: &str, locale: NumberLocale, out: &mut String) -> Result<(), ErrorCode> {
    let start = out.len();
    let result = number_digits(raw, locale, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Parses a whole number written in `locale` ([`number`]): `1.250` in `nl` and `1,250`
/// in `en` are `1250`, and a whole value written with a zero fraction (`12.0`, `12,00`
/// in `nl`) is accepted as `12`; any other fraction (`1.5`) is
/// `COULD_NOT_PARSE_NUMBER`, never rounded.
pub fn integer(raw: &str, locale: NumberLocale, out: &mut String) -> Result<(), ErrorCode> {
    let start = out.len();
    number(raw, locale, out)?;
    if out[start..].contains('.') {
        out.truncate(start);
        return Err(ErrorCode::CouldNotParseNumber);
    }
    Ok(())
}

/// [`number`], writing the digits to `out` as it reads them (no allocation).
fn number_digits(raw: &str, locale: NumberLocale, out: &mut String) -> Result<(), ErrorCode> {
    let (group, decimal) = match locale {
        NumberLocale::En => (',', '.'),
        NumberLocale::Comma => ('.', ','),
    };
    let start = out.len();
    let mut negative = false;
    let mut seen_decimal = false;
    let mut seen_digit = false;
    let mut suffix = false;
    // Digits written: of the integer part (leading zeros skipped), of the fraction.
    let mut int_written = 0usize;
    let mut frac_started = false;
    // Grouping: digits since the last separator, how many groups ended at a separator,
    // the first one's length, and whether all later ones had three digits.
    let mut group_len = 0usize;
    let mut groups = 0usize;
    let mut first_group = 0usize;
    let mut later_groups_of_three = true;
    for c in raw.chars() {
        match c {
            '0'..='9' if suffix => return Err(ErrorCode::CouldNotParseNumber),
            '0'..='9' => {
                seen_digit = true;
                if seen_decimal {
                    if !frac_started {
                        if int_written == 0 {
                            out.push('0');
                        }
                        out.push('.');
                        frac_started = true;
                    }
                    out.push(c);
                } else {
                    if c != '0' || int_written > 0 {
                        out.push(c);
                        int_written += 1;
                    }
                    group_len += 1;
                }
            }
            '-' | '\u{2212}' if !seen_digit && !negative => negative = true,
            '+' if !seen_digit => {}
            c if c == decimal && !seen_decimal => seen_decimal = true,
            c if (c == group || c == '\'' || c == '\u{a0}' || c == '\u{202f}' || c == ' ')
                && !seen_decimal
                && seen_digit =>
            {
                if groups == 0 {
                    first_group = group_len;
                } else {
                    later_groups_of_three &= group_len == 3;
                }
                groups += 1;
                group_len = 0;
            }
            ' ' | '\u{a0}' | '\u{202f}' | '$' | '€' | '£' | '¥' | '₹' | '%' => {}
            c if c.is_alphabetic() && !seen_digit && !seen_decimal => {} // "EUR 12", "kr 10"
            c if c.is_alphabetic() && (seen_digit || seen_decimal) => {
                // trailing currency code such as "12 kr" or "10 EUR": accept letters only.
                if !c.is_ascii_alphabetic() {
                    return Err(ErrorCode::CouldNotParseNumber);
                }
                suffix = true;
            }
            _ => return Err(ErrorCode::CouldNotParseNumber),
        }
    }
    if !seen_digit {
        return Err(ErrorCode::CouldNotParseNumber);
    }
    // Grouping must look like grouping: 1-3 digits first, then groups of exactly 3.
    // A separator right before a suffix ("12 kr") is not grouping.
    if groups > 0 {
        if group_len > 0 {
            later_groups_of_three &= group_len == 3;
            groups += 1;
        }
        if groups > 1 && !((1..=3).contains(&first_group) && later_groups_of_three) {
            return Err(ErrorCode::CouldNotParseNumber);
        }
    }
    if frac_started {
        let kept = out.trim_end_matches('0').len();
        out.truncate(kept);
        if out.ends_with('.') {
            out.pop();
        }
    }
    if out.len() == start {
        out.push('0');
    } else if negative && &out[start..] != "0" {
        out.insert(start, '-');
    }
    Ok(())
}

/// A date or datetime cell taken apart, before the date order is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    date: DatePart,
    /// The time of day, if one was given.
    time: Option<Clock>,
    /// Seconds east of UTC, if an offset was given (only with a time).
    offset: Option<i32>,
}

/// A time of day: seconds since midnight and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    seconds: u32,
    nanos: u32,
}

/// The date of a [`Cell`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DatePart {
    /// Year first: the same in every order.
    Iso { year: i32, month: u32, day: u32 },
    /// Day and month in the order the format decides, then the year (a two-digit year
    /// already pivoted).
    Numeric { first: u32, second: u32, year: i32 },
    /// Milliseconds since the Unix epoch.
    Epoch(i64),
}

/// Reads the ASCII digits at `*i`: their value (wrapping; callers check the count
/// first) and how many there were.
fn digits(b: &[u8], i: &mut usize) -> (u32, usize) {
    let start = *i;
    let mut value = 0u32;
    while let Some(&c) = b.get(*i)
        && c.is_ascii_digit()
    {
        value = value.wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
        *i += 1;
    }
    (value, *i - start)
}

/// Skips spaces at `*i`; returns how many there were.
fn spaces(b: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while b.get(*i) == Some(&b' ') {
        *i += 1;
    }
    *i - start
}

/// A two-digit year as spreadsheets read it: `00`-`29` are 2000-2029, `30`-`99`
/// 1930-1999.
fn pivot(yy: u32) -> i32 {
    (if yy < 30 { 2000 + yy } else { 1900 + yy }).cast_signed()
}

/// Takes a date or datetime cell apart (see the module docs for the forms); `None`
/// when it is none of them. The calendar date is not checked here.
fn parse_cell(raw: &str) -> Option<Cell> {
    let b = raw.as_bytes();
    let mut i = 0;
    let (first, first_len) = digits(b, &mut i);
    if i == b.len() {
        if first_len == 8 {
            // ISO 8601's basic format: `20240507`.
            return Some(Cell { date: basic_date(first), time: None, offset: None });
        }
        let n: i64 = raw.parse().ok()?;
        let millis = match first_len {
            10 => n * 1000,
            11..=13 => n,
            _ => return None,
        };
        return Some(Cell { date: DatePart::Epoch(millis), time: None, offset: None });
    }
    if first_len == 8 && matches!(b[i], b'T' | b't') {
        return parse_basic(first, &b[i + 1..]);
    }
    let sep = b[i];
    if !(1..=4).contains(&first_len) || !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    i += 1;
    let (second, second_len) = digits(b, &mut i);
    if !(1..=2).contains(&second_len) || b.get(i) != Some(&sep) {
        return None;
    }
    i += 1;
    let (third, third_len) = digits(b, &mut i);
    let date = if first_len == 4 && (1..=2).contains(&third_len) {
        DatePart::Iso { year: first.cast_signed(), month: second, day: third }
    } else if first_len <= 2 && third_len == 4 {
        DatePart::Numeric { first, second, year: third.cast_signed() }
    } else if first_len <= 2 && third_len == 2 {
        DatePart::Numeric { first, second, year: pivot(third) }
    } else {
        return None;
    };
    let (time, offset) = parse_time(&b[i..])?;
    Some(Cell { date, time, offset })
}

/// The date of ISO 8601's basic format, `YYYYMMDD`.
fn basic_date(n: u32) -> DatePart {
    DatePart::Iso { year: (n / 10_000).cast_signed(), month: n / 100 % 100, day: n % 100 }
}

/// ISO 8601's basic format with a time, `YYYYMMDDTHHMM[SS[.fff]][offset]`; `time` is
/// what follows the `T`.
fn parse_basic(date: u32, time: &[u8]) -> Option<Cell> {
    let mut i = 0;
    let (clock, len) = digits(time, &mut i);
    let (hour, minute, second) = match len {
        4 => (clock / 100, clock % 100, 0),
        6 => (clock / 10_000, clock / 100 % 100, clock % 100),
        _ => return None,
    };
    let mut nanos = 0;
    if len == 6 && matches!(time.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        while let Some(&c) = time.get(i)
            && c.is_ascii_digit()
        {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        nanos *= 10u32.pow(9 - (i - start).min(9) as u32);
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = if i == time.len() { None } else { Some(parse_offset(&time[i..])?) };
    Some(Cell {
        date: basic_date(date),
        time: Some(Clock { seconds: hour * 3600 + minute * 60 + second, nanos }),
        offset,
    })
}

/// Reads what follows the date: nothing, or a time of day and an optional offset.
fn parse_time(b: &[u8]) -> Option<(Option<Clock>, Option<i32>)> {
    let mut i = 0;
    match b.first() {
        None => return Some((None, None)),
        Some(b'T' | b't') => i = 1,
        Some(b',') => {
            i = 1;
            if spaces(b, &mut i) == 0 {
                return None;
            }
        }
        Some(b' ') => {
            spaces(b, &mut i);
        }
        Some(_) => return None,
    }
    let (hour, hour_len) = digits(b, &mut i);
    if !(1..=2).contains(&hour_len) || b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let (minute, minute_len) = digits(b, &mut i);
    if minute_len != 2 {
        return None;
    }
    let (mut second, mut nanos) = (0, 0);
    if b.get(i) == Some(&b':') {
        i += 1;
        let len;
        (second, len) = digits(b, &mut i);
        if len != 2 {
            return None;
        }
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while let Some(&c) = b.get(i)
                && c.is_ascii_digit()
            {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(c - b'0');
                }
                i += 1;
            }
            let len = i - start;
            if len == 0 {
                return None;
            }
            nanos *= 10u32.pow(9 - len.min(9) as u32);
        }
    }
    spaces(b, &mut i);
    let mut hour24 = hour;
    if let (Some(&half), Some(&m)) = (b.get(i), b.get(i + 1))
        && matches!(half | 0x20, b'a' | b'p')
        && m | 0x20 == b'm'
    {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour24 = hour % 12 + if half | 0x20 == b'p' { 12 } else { 0 };
        i += 2;
        spaces(b, &mut i);
    }
    if hour24 > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = if i == b.len() { None } else { Some(parse_offset(&b[i..])?) };
    Some((Some(Clock { seconds: hour24 * 3600 + minute * 60 + second, nanos }), offset))
}

/// Reads the offset that ends the cell, in seconds east of UTC.
fn parse_offset(b: &[u8]) -> Option<i32> {
    const MINUS: &[u8] = "\u{2212}".as_bytes();
    let (sign, rest) = match b {
        [b'Z' | b'z'] => return Some(0),
        _ if b.eq_ignore_ascii_case(b"UTC") || b.eq_ignore_ascii_case(b"GMT") => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ if b.starts_with(MINUS) => (-1, &b[MINUS.len()..]),
        _ => return None,
    };
    let mut i = 0;
    let (n, len) = digits(rest, &mut i);
    let (hours, mut minutes) = match len {
        2 => (n, 0),
        4 => (n / 100, n % 100),
        _ => return None,
    };
    if len == 2 && rest.get(i) == Some(&b':') {
        i += 1;
        let len;
        (minutes, len) = digits(rest, &mut i);
        if len != 2 {
            return None;
        }
    }
    if i != rest.len() || hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60).cast_signed())
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// The calendar date of `part` in `order`, if it is a real date.
fn calendar_date(part: DatePart, order: DateOrder) -> Option<(i32, u32, u32)> {
    let (year, month, day) = match part {
        DatePart::Iso { year, month, day } => (year, month, day),
        DatePart::Numeric { first, second, year } => match order {
            DateOrder::Dmy => (year, second, first),
            DateOrder::Mdy => (year, first, second),
            DateOrder::Ymd => return None,
        },
        DatePart::Epoch(millis) => {
            let t = DateTime::from_timestamp_millis(millis)?;
            return Some((t.year(), t.month(), t.day()));
        }
    };
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some((year, month, day))
}

/// Appends `value` as `width` decimal digits, zero-padded (`value` has no more).
fn push_padded(out: &mut String, value: u32, width: u32) {
    for p in (0..width).rev() {
        out.push(char::from(b'0' + (value / 10u32.pow(p) % 10) as u8));
    }
}

fn push_date(out: &mut String, year: i32, month: u32, day: u32) {
    push_padded(out, year.cast_unsigned(), 4);
    out.push('-');
    push_padded(out, month, 2);
    out.push('-');
    push_padded(out, day, 2);
}

/// How one cell reads as a date in each [`DateOrder`], for the column-wide evidence
/// ([`crate::normalize::evidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateReading {
    /// No order reads it.
    Unreadable,
    /// Every order reads it, the same (year first, or an epoch time).
    Every,
    /// Only day-first and/or month-first orders read it; `same` when both do and give
    /// the same date (`12/12/2025`).
    Orders { dmy: bool, mdy: bool, same: bool },
}

/// How `raw` reads in each date order: exactly as [`date`] reads it.
pub(crate) fn date_reading(raw: &str) -> DateReading {
    let Some(cell) = parse_cell(raw) else {
        return DateReading::Unreadable;
    };
    match cell.date {
        DatePart::Numeric { first, second, .. } => {
            let dmy = calendar_date(cell.date, DateOrder::Dmy).is_some();
            let mdy = calendar_date(cell.date, DateOrder::Mdy).is_some();
            if dmy || mdy {
                DateReading::Orders { dmy, mdy, same: dmy && mdy && first == second }
            } else {
                DateReading::Unreadable
            }
        }
        part => {
            if calendar_date(part, DateOrder::Ymd).is_some() {
                DateReading::Every
            } else {
                DateReading::Unreadable
            }
        }
    }
}

/// Parses a date in `order`; year-first dates (`YYYY-MM-DD`) are always accepted. A
/// datetime gives its date as written; an epoch time its UTC date (module docs).
pub fn date(raw: &str, order: DateOrder, out: &mut String) -> Result<(), ErrorCode> {
    let cell = parse_cell(raw).ok_or(ErrorCode::CouldNotParseDate)?;
    let (year, month, day) = calendar_date(cell.date, order).ok_or(ErrorCode::CouldNotParseDate)?;
    push_date(out, year, month, day);
    Ok(())
}

/// Parses a datetime and writes it in UTC, `YYYY-MM-DDTHH:MM:SSZ`: a date in `order`
/// (year first always accepted) with an optional time and offset, or an epoch time;
/// without an offset, the time is local in `time_zone` (module docs: a skipped local
/// time fails, a repeated one is the earlier instant, a date alone is the start of
/// its day).
pub fn datetime(raw: &str, order: DateOrder, time_zone: Tz, out: &mut String) -> Result<(), ErrorCode> {
    let utc = instant(raw, order, time_zone).ok_or(ErrorCode::CouldNotParseDate)?;
    if !(0..=9999).contains(&utc.year()) {
        return Err(ErrorCode::CouldNotParseDate);
    }
    push_date(out, utc.year(), utc.month(), utc.day());
    out.push('T');
    push_padded(out, utc.hour(), 2);
    out.push(':');
    push_padded(out, utc.minute(), 2);
    out.push(':');
    push_padded(out, utc.second(), 2);
    out.push('Z');
    Ok(())
}

/// Why a cell is not a date or datetime, for its error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// Not written as a date in the order in force (nor year first).
    Unreadable,
    /// Written as a date, but of a day no calendar has (`29-02-2023`).
    NoSuchDay,
    /// A local time that `--time-zone` skips (the clocks jump over it).
    SkippedTime,
}

/// Why `raw` fails [`date`] or [`datetime`] (with `time_zone` for a datetime).
pub fn date_problem(raw: &str, order: DateOrder, time_zone: Option<Tz>) -> DateProblem {
    let Some(cell) = parse_cell(raw) else {
        return DateProblem::Unreadable;
    };
    let readable = match cell.date {
        DatePart::Numeric { .. } => order != DateOrder::Ymd,
        _ => true,
    };
    if !readable {
        return DateProblem::Unreadable;
    }
    if calendar_date(cell.date, order).is_none() {
        // The fields are a month and a day in this order, but that month has no such day.
        let (month, day) = match cell.date {
            DatePart::Iso { month, day, .. } => (month, day),
            DatePart::Numeric { first, second, .. } if order == DateOrder::Dmy => (second, first),
            DatePart::Numeric { first, second, .. } => (first, second),
            DatePart::Epoch(_) => return DateProblem::Unreadable,
        };
        return if (1..=12).contains(&month) && (1..=31).contains(&day) {
            DateProblem::NoSuchDay
        } else {
            DateProblem::Unreadable
        };
    }
    match time_zone {
        Some(zone) if cell.offset.is_none() && instant(raw, order, zone).is_none() => {
            DateProblem::SkippedTime
        }
        _ => DateProblem::Unreadable,
    }
}

/// The UTC instant of a datetime cell.
fn instant(raw: &str, order: DateOrder, time_zone: Tz) -> Option<NaiveDateTime> {
    let cell = parse_cell(raw)?;
    if let DatePart::Epoch(millis) = cell.date {
        return DateTime::from_timestamp_millis(millis).map(|t| t.naive_utc());
    }
    let (year, month, day) = calendar_date(cell.date, order)?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let Some(Clock { seconds, nanos }) = cell.time else {
        return start_of_day(time_zone, date);
    };
    let local = date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(seconds, nanos)?);
    match cell.offset {
        Some(offset) => local.checked_sub_signed(TimeDelta::seconds(offset.into())),
        None => utc_of_local(time_zone, local),
    }
}

/// The UTC instant of a local time in `time_zone`: `None` if the zone skips that time,
/// the earlier instant if it repeats it.
fn utc_of_local(time_zone: Tz, local: NaiveDateTime) -> Option<NaiveDateTime> {
    if time_zone == Tz::UTC {
        return Some(local);
    }
    time_zone.from_local_datetime(&local).earliest().map(|t| t.naive_utc())
}

/// The first instant of `date` in `time_zone`: its midnight, or when the clocks jump
/// over midnight, the instant they land (found by bisection over whole seconds:
/// transitions fall on whole seconds). `None` for a day the zone skips entirely.
fn start_of_day(time_zone: Tz, date: NaiveDate) -> Option<NaiveDateTime> {
    let midnight = date.and_time(NaiveTime::MIN);
    if let Some(t) = utc_of_local(time_zone, midnight) {
        return Some(t);
    }
    let local_date = |t: NaiveDateTime| time_zone.from_utc_datetime(&t).date_naive();
    // Offsets are under a day either way: `lo` is still on an earlier day, `hi` is not.
    let (mut lo, mut hi) = (midnight - TimeDelta::days(2), midnight + TimeDelta::days(2));
    while (hi - lo).num_seconds() > 1 {
        let mid = lo + TimeDelta::seconds((hi - lo).num_seconds() / 2);
        if local_date(mid) >= date {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (local_date(hi) == date).then_some(hi)
}

/// Parses a boolean: `true/false/yes/no/1/0` and the header language's words.
pub fn boolean(raw: &str, opts: &ValueOptions, out: &mut String) -> Result<(), ErrorCode> {
    let lower = raw.to_lowercase();
    let (t, f) = opts.bool_words;
    let value = if ["true", "yes", "y", "1", "t"].contains(&lower.as_str()) || t.contains(&lower.as_str()) {
        "true"
    } else if ["false", "no", "n", "0", "f"].contains(&lower.as_str()) || f.contains(&lower.as_str()) {
        "false"
    } else {
        return Err(ErrorCode::InvalidBoolean);
    };
    out.push_str(value);
    Ok(())
}

/// Matches an enumeration option by internal value or label, case-insensitively.
/// A value that is one option's value and another option's label is ambiguous.
pub fn enumeration(raw: &str, options: &[EnumOption], out: &mut String) -> Result<(), ErrorCode> {
    // Case-insensitive without allocating for ASCII input (the common case).
    let lowered;
    let eq: &dyn Fn(&str) -> bool = if raw.is_ascii() {
        &|s: &str| s.eq_ignore_ascii_case(raw)
    } else {
        lowered = raw.to_lowercase();
        &|s: &str| s.to_lowercase() == lowered
    };
    let by_value = options.iter().find(|o| eq(&o.value));
    let by_label = options.iter().find(|o| eq(&o.label));
    let chosen = match (by_value, by_label) {
        (Some(v), Some(l)) if v.value != l.value => {
            return Err(ErrorCode::AmbiguousEnumerationOption);
        }
        (Some(o), _) | (None, Some(o)) => o,
        (None, None) => return Err(ErrorCode::InvalidEnumerationOption),
    };
    out.push_str(&chosen.value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn option(value: &str, label: &str) -> EnumOption {
        EnumOption { value: value.into(), label: label.into() }
    }

    fn contacts_property(name: &str) -> PropertyDef {
        store::schema::standard().object("contacts").unwrap().property_named(name).unwrap().clone()
    }

    fn run(f: impl Fn(&str, &mut String) -> Result<(), ErrorCode>, raw: &str) -> Result<String, ErrorCode> {
        let mut out = String::new();
        f(raw, &mut out).map(|()| out)
    }

    #[test]
    fn emails() {
        assert_eq!(run(email, "Ada.Lovelace@Example.COM").unwrap(), "ada.lovelace@example.com");
        for bad in ["jane.doe@", "not-an-email", "a b@x.com", "@x.com", "a@b", "a@b..com", "a@@b.com"] {
            assert_eq!(run(email, bad), Err(ErrorCode::InvalidEmail), "{bad}");
        }
        // Internationalized local parts and domains (RFC 6531/6532, IDNA), one normal form.
        for (raw, want) in [
            ("josé.müller@exämple.de", "josé.müller@exämple.de"),
            ("JOSÉ.Müller@EXÄMPLE.de", "josé.müller@exämple.de"),
            ("jose@xn--mller-kva.de", "jose@müller.de"),
            ("ærø@ærø.dk", "ærø@ærø.dk"),
            ("δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@παράδειγμα.δοκιμή"),
            ("user@XN--MLLER-KVA.DE", "user@müller.de"),
        ] {
            assert_eq!(run(email, raw).unwrap(), want, "{raw}");
        }
        for bad in ["josé@müller", "jo sé@müller.de", "josé@http://müller.de", "a@xn--zz.de", "ü@www"]
        {
            assert_eq!(run(email, bad), Err(ErrorCode::InvalidEmail), "{bad}");
        }
        // RFC 5322 dot-atoms: every `atext` character, single dots between atoms.
        for ok in
            ["o'brien@x.com", "a+tag@x.com", "john_doe@x.com", "x!#$%&*/=?^`{|}~-y@x.com", "a.b.c@x.com"]
        {
            assert_eq!(run(email, ok).unwrap(), ok, "{ok}");
        }
        assert_eq!(run(email, "Zoë!ÅSA@ærø.dk").unwrap(), "zoë!åsa@ærø.dk");
        for bad in [
            ".a@x.com",
            "a.@x.com",
            "a..b@x.com",
            ".josé@müller.de",
            "jo..sé@müller.de",
            "josé.@müller.de",
            "\"q x\"@x.com",
            "a(b)@x.com",
            "a,b@x.com",
            "a;b@x.com",
            "a<b>@x.com",
            "a[b]@x.com",
            "a\\b@x.com",
            "a:b@x.com",
            // The domain's labels follow `domain`'s rules on both paths.
            "a@-x.com",
            "a@x-.com",
            "a@x.-com",
            "a@x.com-",
            "josé@-müller.de",
        ] {
            assert_eq!(run(email, bad), Err(ErrorCode::InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for (raw, want) in [
            ("https://www.Acme.com/about", "acme.com"),
            ("acme.com.", "acme.com"),
            ("http://shop.acme.co.uk:8080/x?y", "shop.acme.co.uk"),
            ("WWW.acme.io", "acme.io"),
            ("münchen.de", "münchen.de"),
            ("MÜLLER.de", "müller.de"),
            ("xn--mller-kva.de", "müller.de"),
            ("https://www.XN--MLLER-KVA.de/kontakt", "müller.de"),
            ("ærø.dk", "ærø.dk"),
        ] {
            assert_eq!(run(domain, raw).unwrap(), want);
        }
        for bad in ["not a domain", "acme", "-acme.com", "http://", "a..b"] {
            assert_eq!(run(domain, bad), Err(ErrorCode::InvalidDomain), "{bad}");
        }
    }

    #[test]
    fn remembered_host_names_give_the_answer_computed_first() {
        // More distinct names than the cache holds, each asked for three times, in
        // an order that makes names share and evict slots.
        let names: Vec<String> = (0..200)
            .map(|i| match i % 4 {
                0 => format!("fírma{i}.dk"),
                1 => format!("XN--MLLER-KVA{i}.de"),
                2 => format!("bad_{i}.ærø"),
                _ => format!("société{i}"),
            })
            .collect();
        for round in 0..3 {
            for (i, name) in names.iter().enumerate().rev().skip(round) {
                let mut cached = format!("x{i}@");
                let mut computed = cached.clone();
                let got = host(name, &mut cached);
                let want = host_uncached(name, &mut computed);
                assert_eq!((got, &cached), (want, &computed), "{name}");
            }
        }
    }

    #[test]
    fn numbers_in_both_locales() {
        let en = |r: &str, o: &mut String| number(r, NumberLocale::En, o);
        let nl = |r: &str, o: &mut String| number(r, NumberLocale::Comma, o);
        assert_eq!(run(en, "1,234.56").unwrap(), "1234.56");
        assert_eq!(run(en, "$ 1,000").unwrap(), "1000");
        assert_eq!(run(en, "-0012.500").unwrap(), "-12.5");
        assert_eq!(run(en, "-0").unwrap(), "0");
        assert_eq!(run(en, ".5").unwrap(), "0.5");
        assert_eq!(run(nl, "1.234,56").unwrap(), "1234.56");
        assert_eq!(run(nl, "€ 12,50").unwrap(), "12.5");
        assert_eq!(run(nl, "1 234,5 kr").unwrap(), "1234.5");
        assert_eq!(run(en, "12 kr").unwrap(), "12");
        for bad in ["", "abc", "1,23.4", "1.2.3", "--1", "12a3"] {
            assert_eq!(run(en, bad), Err(ErrorCode::CouldNotParseNumber), "{bad}");
        }
    }

    #[test]
    fn dates_by_format_and_iso_always() {
        let dmy = |r: &str, o: &mut String| date(r, DateOrder::Dmy, o);
        let mdy = |r: &str, o: &mut String| date(r, DateOrder::Mdy, o);
        let iso = |r: &str, o: &mut String| date(r, DateOrder::Ymd, o);
        assert_eq!(run(dmy, "31-01-2024").unwrap(), "2024-01-31");
        assert_eq!(run(dmy, "31.01.2024").unwrap(), "2024-01-31");
        assert_eq!(run(mdy, "01/31/2024").unwrap(), "2024-01-31");
        assert_eq!(run(dmy, "2024-01-31").unwrap(), "2024-01-31");
        assert_eq!(run(iso, "2024-01-31T10:00:00Z").unwrap(), "2024-01-31");
        assert_eq!(run(iso, "31-01-2024"), Err(ErrorCode::CouldNotParseDate));
        assert_eq!(run(mdy, "31/01/2024"), Err(ErrorCode::CouldNotParseDate));
        assert_eq!(run(iso, "2023-02-29"), Err(ErrorCode::CouldNotParseDate));
    }

    #[test]
    fn datetimes_in_utc() {
        let f = |r: &str, o: &mut String| datetime(r, DateOrder::Ymd, Tz::UTC, o);
        assert_eq!(run(f, "2024-01-31T10:00:00+02:00").unwrap(), "2024-01-31T08:00:00Z");
        assert_eq!(run(f, "2024-01-31 10:00").unwrap(), "2024-01-31T10:00:00Z");
        assert_eq!(run(f, "2024-01-31").unwrap(), "2024-01-31T00:00:00Z");
        assert_eq!(run(f, "1706695200000").unwrap(), "2024-01-31T10:00:00Z");
    }

    fn utc(raw: &str, order: DateOrder, tz: &str) -> Result<String, ErrorCode> {
        let tz = time_zone(tz).expect("a known zone");
        run(|r, o| datetime(r, order, tz, o), raw)
    }

    #[test]
    fn datetimes_with_offsets_are_that_instant_in_any_zone() {
        for tz in ["UTC", "Europe/Amsterdam", "America/New_York"] {
            assert_eq!(utc("2024-05-07T10:26:00+02:00", DateOrder::Ymd, tz).unwrap(), "2024-05-07T08:26:00Z");
            assert_eq!(utc("2024-05-07T10:26:00Z", DateOrder::Ymd, tz).unwrap(), "2024-05-07T10:26:00Z");
            assert_eq!(utc("2024-05-07 10:26:00 -0500", DateOrder::Ymd, tz).unwrap(), "2024-05-07T15:26:00Z");
            assert_eq!(utc("2024-05-07T10:26-03", DateOrder::Ymd, tz).unwrap(), "2024-05-07T13:26:00Z");
            assert_eq!(utc("2024-05-07 10:26 UTC", DateOrder::Ymd, tz).unwrap(), "2024-05-07T10:26:00Z");
            assert_eq!(
                utc("2024-05-07T00:30:00.999+01:00", DateOrder::Ymd, tz).unwrap(),
                "2024-05-06T23:30:00Z"
            );
            // Epoch times are instants too: milliseconds (13 digits, HubSpot) and seconds (10).
            assert_eq!(utc("1715077560000", DateOrder::Ymd, tz).unwrap(), "2024-05-07T10:26:00Z");
            assert_eq!(utc("1715077560", DateOrder::Ymd, tz).unwrap(), "2024-05-07T10:26:00Z");
        }
        assert_eq!(utc("99999999999", DateOrder::Ymd, "UTC").unwrap(), "1973-03-03T09:46:39Z");
        // ISO 8601's basic format is a date and an instant; shorter or longer digit runs are no epoch.
        assert_eq!(utc("20240507", DateOrder::Ymd, "UTC").unwrap(), "2024-05-07T00:00:00Z");
        assert_eq!(utc("20240507T102600+0200", DateOrder::Ymd, "UTC").unwrap(), "2024-05-07T08:26:00Z");
        assert_eq!(utc("20240507T1026Z", DateOrder::Ymd, "UTC").unwrap(), "2024-05-07T10:26:00Z");
        for bad in [
            "20241307",
            "20240507T2500",
            "171507756",
            "17150775600000",
            "2024-05-07T10:26:00+24:00",
            "2024-05-07Z",
        ] {
            assert_eq!(utc(bad, DateOrder::Ymd, "UTC"), Err(ErrorCode::CouldNotParseDate), "{bad}");
        }
    }

    #[test]
    fn datetimes_without_an_offset_are_local_in_the_time_zone() {
        let ams = |raw: &str| utc(raw, DateOrder::Ymd, "Europe/Amsterdam");
        assert_eq!(ams("2024-05-07T10:26:00").unwrap(), "2024-05-07T08:26:00Z"); // CEST, +02:00
        assert_eq!(ams("2024-01-07 10:26").unwrap(), "2024-01-07T09:26:00Z"); // CET, +01:00
        // 2024-03-31 02:00-03:00 does not exist in Amsterdam (the clocks jump to 03:00).
        assert_eq!(ams("2024-03-31 02:30"), Err(ErrorCode::CouldNotParseDate));
        assert_eq!(ams("2024-03-31 01:59:59").unwrap(), "2024-03-31T00:59:59Z");
        assert_eq!(ams("2024-03-31 03:00").unwrap(), "2024-03-31T01:00:00Z");
        // 2024-10-27 02:00-03:00 happens twice: the earlier instant (still +02:00) is taken.
        assert_eq!(ams("2024-10-27 02:30").unwrap(), "2024-10-27T00:30:00Z");
        assert_eq!(ams("2024-10-27 03:00").unwrap(), "2024-10-27T02:00:00Z");
        // A date alone is the start of its day there.
        assert_eq!(ams("2024-05-07").unwrap(), "2024-05-06T22:00:00Z");
        assert_eq!(utc("2024-05-07", DateOrder::Ymd, "America/New_York").unwrap(), "2024-05-07T04:00:00Z");
        assert_eq!(utc("2024-05-07", DateOrder::Ymd, "UTC").unwrap(), "2024-05-07T00:00:00Z");
        // In Santiago the clocks jump from 00:00 to 01:00 (-04:00 to -03:00) on 2024-09-08:
        // that day starts at 01:00 local; 00:30 does not exist.
        let scl = |raw: &str| utc(raw, DateOrder::Ymd, "America/Santiago");
        assert_eq!(scl("2024-09-08").unwrap(), "2024-09-08T04:00:00Z");
        assert_eq!(scl("2024-09-08 00:30"), Err(ErrorCode::CouldNotParseDate));
        assert_eq!(scl("2024-09-07").unwrap(), "2024-09-07T04:00:00Z");
        // Samoa skipped 2011-12-30 altogether.
        assert_eq!(utc("2011-12-30", DateOrder::Ymd, "Pacific/Apia"), Err(ErrorCode::CouldNotParseDate));
        assert_eq!(utc("2011-12-31", DateOrder::Ymd, "Pacific/Apia").unwrap(), "2011-12-30T10:00:00Z");
        // The option reaches `normalize`.
        let opts =
            ValueOptions { time_zone: time_zone("Europe/Amsterdam").unwrap(), ..ValueOptions::default() };
        let mut out = String::new();
        normalize(&contacts_property("createdate"), "2024-05-07 10:26", &opts, &mut out).unwrap();
        assert_eq!(out, "2024-05-07T08:26:00Z");
    }

    #[test]
    fn hubspot_export_datetimes_read_back() {
        let mdy = |raw: &str| utc(raw, DateOrder::Mdy, "UTC");
        let dmy = |raw: &str| utc(raw, DateOrder::Dmy, "UTC");
        assert_eq!(mdy("5/7/24 10:26").unwrap(), "2024-05-07T10:26:00Z");
        assert_eq!(mdy("05/07/2024 10:26:59").unwrap(), "2024-05-07T10:26:59Z");
        assert_eq!(mdy("5/7/2024, 10:26 PM").unwrap(), "2024-05-07T22:26:00Z");
        assert_eq!(mdy("5/7/24 12:05 am").unwrap(), "2024-05-07T00:05:00Z");
        assert_eq!(mdy("5/7/24 12:05 PM").unwrap(), "2024-05-07T12:05:00Z");
        assert_eq!(dmy("07-05-2024 10:26").unwrap(), "2024-05-07T10:26:00Z");
        assert_eq!(dmy("07-05-2024 10:26:05").unwrap(), "2024-05-07T10:26:05Z");
        assert_eq!(dmy("7.5.2024 10:26").unwrap(), "2024-05-07T10:26:00Z");
        assert_eq!(dmy("07.05.2024T10:26:00+02:00").unwrap(), "2024-05-07T08:26:00Z");
        assert_eq!(
            utc("07.05.2024 10:26", DateOrder::Dmy, "Europe/Amsterdam").unwrap(),
            "2024-05-07T08:26:00Z"
        );
        for bad in [
            "5/7/24 13:05 PM",
            "5/7/24 0:05 AM",
            "5/7/24 10:6",
            "5/7/24 24:00",
            "5/7/24 10:26:61",
            "5/7/24 10:26 x",
        ] {
            assert_eq!(mdy(bad), Err(ErrorCode::CouldNotParseDate), "{bad}");
        }
        assert_eq!(utc("5/7/24 10:26", DateOrder::Ymd, "UTC"), Err(ErrorCode::CouldNotParseDate));
    }

    #[test]
    fn date_properties_take_the_date_of_a_datetime_and_pivot_two_digit_years() {
        let d = |raw: &str, order| run(|r, o| date(r, order, o), raw);
        assert_eq!(d("5/7/24 10:26", DateOrder::Mdy).unwrap(), "2024-05-07");
        assert_eq!(d("07-05-2024 10:26:00", DateOrder::Dmy).unwrap(), "2024-05-07");
        assert_eq!(d("07.05.2024 10:26", DateOrder::Dmy).unwrap(), "2024-05-07");
        // The date as written, whatever the offset.
        assert_eq!(d("2024-05-07T23:30:00-05:00", DateOrder::Ymd).unwrap(), "2024-05-07");
        // Epoch times: the UTC date (HubSpot stores dates as midnight UTC).
        assert_eq!(d("1715040000000", DateOrder::Ymd).unwrap(), "2024-05-07");
        // Two-digit years pivot like spreadsheets: 00-29 are 20xx, 30-99 19xx.
        assert_eq!(d("1/2/00", DateOrder::Mdy).unwrap(), "2000-01-02");
        assert_eq!(d("1/2/29", DateOrder::Mdy).unwrap(), "2029-01-02");
        assert_eq!(d("1/2/30", DateOrder::Mdy).unwrap(), "1930-01-02");
        assert_eq!(d("31-12-99", DateOrder::Dmy).unwrap(), "1999-12-31");
        assert_eq!(d("29.02.24", DateOrder::Dmy).unwrap(), "2024-02-29");
        assert_eq!(d("29.02.23", DateOrder::Dmy), Err(ErrorCode::CouldNotParseDate));
        for bad in [
            "2024-05-07 garbage",
            "2024-05-07T",
            "1/2/030",
            "1/2/2024/3",
            "1-2/2024",
            "001/02/2024",
            "2024-05-07 10",
        ] {
            assert_eq!(d(bad, DateOrder::Mdy), Err(ErrorCode::CouldNotParseDate), "{bad}");
        }
    }

    #[test]
    fn date_formats_parse_with_or_without_a_time() {
        for (f, want) in [
            ("YYYY-MM-DD", DateOrder::Ymd),
            ("dd.mm.yyyy", DateOrder::Dmy),
            ("MM/DD/YYYY", DateOrder::Mdy),
            ("M/D/YY", DateOrder::Mdy),
            ("DD-MM-YYYY HH:MM", DateOrder::Dmy),
            ("DD-MM-YYYY HH:MM:SS", DateOrder::Dmy),
        ] {
            assert_eq!(DateOrder::parse(f), Some(want), "{f}");
        }
        for bad in ["YYYY/DD", "DD-YYYY-MM", "HH:MM", ""] {
            assert_eq!(DateOrder::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_zones_by_iana_name() {
        assert_eq!(time_zone("Europe/Amsterdam"), Some(Tz::Europe__Amsterdam));
        assert_eq!(time_zone("europe/amsterdam"), Some(Tz::Europe__Amsterdam));
        assert_eq!(time_zone("America/New_York"), Some(Tz::America__New_York));
        assert_eq!(time_zone("UTC"), Some(Tz::UTC));
        assert_eq!(time_zone("utc"), Some(Tz::UTC));
        assert_eq!(time_zone("Mars/Olympus_Mons"), None);
        assert_eq!(time_zone("+02:00"), None);
        assert_eq!(ValueOptions::default().time_zone, Tz::UTC);
    }

    #[test]
    fn integers_reject_fractions_but_not_grouping() {
        let int = |raw: &str, locale| run(|r, o| integer(r, locale, o), raw);
        assert_eq!(int("1.250", NumberLocale::Comma).unwrap(), "1250");
        assert_eq!(int("1,250", NumberLocale::En).unwrap(), "1250");
        assert_eq!(int("1.234.567", NumberLocale::Comma).unwrap(), "1234567");
        assert_eq!(int("12.0", NumberLocale::En).unwrap(), "12");
        assert_eq!(int("12,00", NumberLocale::Comma).unwrap(), "12");
        assert_eq!(int("-0.0", NumberLocale::En).unwrap(), "0");
        assert_eq!(int("$ 1,000 USD", NumberLocale::En).unwrap(), "1000");
        for (bad, locale) in [
            ("1.5", NumberLocale::En),
            ("1,5", NumberLocale::Comma),
            // A Dutch 1.250 read as English is 1.25 employees: refused, never stored.
            ("1.250", NumberLocale::En),
            ("0.001", NumberLocale::En),
            ("abc", NumberLocale::En),
        ] {
            assert_eq!(int(bad, locale), Err(ErrorCode::CouldNotParseNumber), "{bad}");
        }
        // `out` is left as it was on error.
        let mut out = String::from("kept");
        assert!(integer("1.5", NumberLocale::En, &mut out).is_err());
        assert!(number("1.2.3", NumberLocale::En, &mut out).is_err());
        assert_eq!(out, "kept");
    }

    /// `number` as it was before it stopped allocating: the oracle of its rewrite.
    fn reference_number(raw: &str, locale: NumberLocale) -> Result<String, ErrorCode> {
        let (group, decimal) = match locale {
            NumberLocale::En => (',', '.'),
            NumberLocale::Comma => ('.', ','),
        };
        let (mut negative, mut int, mut frac) = (false, String::new(), String::new());
        let (mut seen_decimal, mut seen_digit, mut suffix) = (false, false, false);
        let mut groups: Vec<usize> = Vec::new();
        let mut group_len = 0usize;
        for c in raw.chars() {
            match c {
                '0'..='9' if suffix => return Err(ErrorCode::CouldNotParseNumber),
                '0'..='9' => {
                    seen_digit = true;
                    if seen_decimal {
                        frac.push(c);
                    } else {
                        int.push(c);
                        group_len += 1;
                    }
                }
                '-' | '\u{2212}' if !seen_digit && !negative => negative = true,
                '+' if !seen_digit => {}
                c if c == decimal && !seen_decimal => seen_decimal = true,
                c if (c == group || c == '\'' || c == '\u{a0}' || c == '\u{202f}' || c == ' ')
                    && !seen_decimal
                    && seen_digit =>
                {
                    groups.push(group_len);
                    group_len = 0;
                }
                ' ' | '\u{a0}' | '\u{202f}' | '$' | '€' | '£' | '¥' | '₹' | '%' => {}
                c if c.is_alphabetic() && !seen_digit && !seen_decimal => {}
                c if c.is_alphabetic() && (seen_digit || seen_decimal) => {
                    if !c.is_ascii_alphabetic() {
                        return Err(ErrorCode::CouldNotParseNumber);
                    }
                    suffix = true;
                }
                _ => return Err(ErrorCode::CouldNotParseNumber),
            }
        }
        if !seen_digit || (seen_decimal && frac.is_empty() && int.is_empty()) {
            return Err(ErrorCode::CouldNotParseNumber);
        }
        if !groups.is_empty() {
            if group_len > 0 {
                groups.push(group_len);
            }
            let ok =
                groups.len() == 1 || ((1..=3).contains(&groups[0]) && groups[1..].iter().all(|&g| g == 3));
            if !ok {
                return Err(ErrorCode::CouldNotParseNumber);
            }
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let mut out = String::new();
        if negative && !(int.is_empty() && frac.is_empty()) {
            out.push('-');
        }
        out.push_str(if int.is_empty() { "0" } else { int });
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        Ok(out)
    }

    fn any_locale() -> impl Strategy<Value = NumberLocale> {
        prop_oneof![Just(NumberLocale::En), Just(NumberLocale::Comma)]
    }

    fn any_order() -> impl Strategy<Value = DateOrder> {
        prop_oneof![Just(DateOrder::Ymd), Just(DateOrder::Dmy), Just(DateOrder::Mdy)]
    }

    const ZONES: &[&str] = &[
        "UTC",
        "Europe/Amsterdam",
        "America/New_York",
        "America/Santiago",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn number_reads_as_it_always_did(
            raw in "[0-9.,' +$€kr\u{a0}\u{2212}-]{0,12}|[0-9]{1,3}([.,][0-9]{1,4}){0,3}",
            locale in any_locale(),
        ) {
            let mut out = String::from("<");
            let got = number(&raw, locale, &mut out).map(|()| out[1..].to_owned());
            prop_assert_eq!(got, reference_number(&raw, locale));
        }

        #[test]
        fn integer_is_number_without_a_fraction(raw in "-?[0-9]{1,4}([.,][0-9]{1,3}){0,2}", locale in any_locale()) {
            let (mut n, mut i) = (String::new(), String::new());
            let number_ok = number(&raw, locale, &mut n).is_ok();
            let integer_ok = integer(&raw, locale, &mut i).is_ok();
            prop_assert_eq!(integer_ok, number_ok && !n.contains('.'));
            if integer_ok {
                prop_assert_eq!(i, n);
            }
        }

        #[test]
        fn dates_in_every_written_form_read_back(
            y in 1i32..=9999, m in 1u32..=12, d in 1u32..=31,
            order in prop_oneof![Just(DateOrder::Dmy), Just(DateOrder::Mdy)],
            sep in prop_oneof![Just('-'), Just('/'), Just('.')],
            two_digit_year in any::<bool>(), pad in any::<bool>(),
        ) {
            prop_assume!(d <= days_in_month(y, m));
            let year = if two_digit_year { format!("{:02}", y % 100) } else { format!("{y:04}") };
            let (a, b) = if order == DateOrder::Dmy { (d, m) } else { (m, d) };
            let written = if pad { format!("{a:02}{sep}{b:02}{sep}{year}") } else { format!("{a}{sep}{b}{sep}{year}") };
            let want_year = if two_digit_year { pivot(y.cast_unsigned() % 100) } else { y };
            let want = format!("{want_year:04}-{m:02}-{d:02}");
            prop_assert_eq!(run(|r, o| date(r, order, o), &written), Ok(want.clone()));
            prop_assert_eq!(run(|r, o| date(r, DateOrder::Ymd, o), &want), Ok(want.clone()));
            prop_assert_eq!(run(|r, o| datetime(r, order, Tz::UTC, o), &written), Ok(format!("{want}T00:00:00Z")));
        }

        #[test]
        fn datetimes_with_offsets_agree_with_chrono(
            secs in -2_208_988_800i64..=253_402_300_799, // 1900-01-01 to 9999-12-31
            offset_minutes in -(23 * 60 + 59)..=(23i32 * 60 + 59),
            nanos in 0u32..1_000_000_000,
            zone in prop::sample::select(ZONES),
        ) {
            let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let t = DateTime::from_timestamp(secs, nanos).unwrap().with_timezone(&offset);
            let written = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
            let want = DateTime::parse_from_rfc3339(&written).unwrap().with_timezone(&chrono::Utc);
            let got = utc(&written, DateOrder::Ymd, zone);
            if (0..=9999).contains(&want.year()) {
                prop_assert_eq!(got, Ok(want.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)), "{}", written);
            } else {
                prop_assert_eq!(got, Err(ErrorCode::CouldNotParseDate));
            }
        }

        #[test]
        fn local_datetimes_are_that_local_time_in_the_zone(
            secs in 0i64..=4_102_444_800, // 1970 to 2100
            zone in prop::sample::select(ZONES),
        ) {
            let tz = time_zone(zone).unwrap();
            let local = DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let written = local.format("%Y-%m-%d %H:%M:%S").to_string();
            match utc(&written, DateOrder::Ymd, zone) {
                Ok(got) => {
                    let instant = DateTime::parse_from_rfc3339(&got).unwrap().naive_utc();
                    // The round trip gives the local time back ...
                    prop_assert_eq!(tz.from_utc_datetime(&instant).naive_local(), local);
                    // ... and no earlier instant shows that local time (the earlier of two).
                    for back in [30, 60, 90, 120] {
                        let before = instant - TimeDelta::minutes(back);
                        prop_assert_ne!(tz.from_utc_datetime(&before).naive_local(), local);
                    }
                }
                Err(code) => {
                    prop_assert_eq!(code, ErrorCode::CouldNotParseDate);
                    // Only a time the zone skips fails.
                    prop_assert!(tz.from_local_datetime(&local).earliest().is_none(), "{}", written);
                }
            }
        }

        #[test]
        fn epoch_times_are_milliseconds_or_seconds(millis in 10_000_000_000i64..=9_999_999_999_999) {
            let want = DateTime::from_timestamp_millis(millis).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            prop_assert_eq!(utc(&millis.to_string(), DateOrder::Ymd, "Europe/Amsterdam"), Ok(want));
            let secs = millis / 1000;
            if secs >= 1_000_000_000 {
                let want = DateTime::from_timestamp(secs, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                prop_assert_eq!(utc(&secs.to_string(), DateOrder::Ymd, "UTC"), Ok(want));
            }
        }

        #[test]
        fn date_reading_is_what_date_reads(raw in "[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}( [0-9]{1,2}:[0-9]{2})?|[0-9]{8,14}") {
            let reads = |order| run(|r, o| date(r, order, o), &raw).ok();
            let (ymd, dmy, mdy) = (reads(DateOrder::Ymd), reads(DateOrder::Dmy), reads(DateOrder::Mdy));
            let want = match (&ymd, &dmy, &mdy) {
                (None, None, None) => DateReading::Unreadable,
                (Some(_), _, _) => {
                    prop_assert!(dmy == ymd && mdy == ymd);
                    DateReading::Every
                }
                (None, _, _) => DateReading::Orders { dmy: dmy.is_some(), mdy: mdy.is_some(), same: dmy.is_some() && dmy == mdy },
            };
            prop_assert_eq!(date_reading(&raw), want);
        }

        #[test]
        fn dates_never_panic(raw in "\\PC{0,30}", order in any_order(), zone in prop::sample::select(ZONES)) {
            let _ = utc(&raw, order, zone);
            let _ = run(|r, o| date(r, order, o), &raw);
            let _ = date_reading(&raw);
        }
    }

    #[test]
    fn booleans_with_language_words() {
        let opts = ValueOptions { bool_words: bool_words("nl"), ..ValueOptions::default() };
        let f = |r: &str, o: &mut String| boolean(r, &opts, o);
        assert_eq!(run(f, "Yes").unwrap(), "true");
        assert_eq!(run(f, "nee").unwrap(), "false");
        assert_eq!(run(f, "maybe"), Err(ErrorCode::InvalidBoolean));
    }

    #[test]
    fn enumerations_by_value_or_label() {
        let tricky = [option("a", "Bee"), option("bee", "Other")];
        let stages = contacts_property("lifecyclestage").options;
        let f = |r: &str, o: &mut String| enumeration(r, &stages, o);
        assert_eq!(run(f, "Marketing Qualified Lead").unwrap(), "marketingqualifiedlead");
        assert_eq!(run(f, "CUSTOMER").unwrap(), "customer");
        assert_eq!(run(f, "Prospect"), Err(ErrorCode::InvalidEnumerationOption));
        let g = |r: &str, o: &mut String| enumeration(r, &tricky, o);
        assert_eq!(run(g, "bee"), Err(ErrorCode::AmbiguousEnumerationOption));
    }

    #[test]
    fn oversized_values_fail() {
        let big = "x".repeat(MAX_VALUE_CHARS + 1);
        let mut out = String::new();
        assert_eq!(
            normalize(&contacts_property("firstname"), &big, &ValueOptions::default(), &mut out),
            Err(ErrorCode::ColumnTooLarge)
        );
    }
}
