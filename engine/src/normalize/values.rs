//! Parsing and normalizing one cell per property type (SPEC 4).
//!
//! Every function takes the raw cell (already trimmed, never blank) and writes the
//! normalized text into `out`, or returns the error code. Normalized text is what
//! the store holds and `export` writes: numbers as plain decimals, dates
//! `YYYY-MM-DD`, datetimes RFC 3339 UTC, enumerations by internal value, bools
//! `true`/`false`, emails and domains lowercased.

use crate::codes::ErrorCode;
use crate::schema::{EnumOption, PropertyDef, PropertyType};

/// Longest value a property accepts, in characters.
pub const MAX_VALUE_CHARS: usize = 65_536;

/// How numbers are written (`--number-locale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    /// Parses a format such as `DD-MM-YYYY`; the separator does not matter.
    pub fn parse(s: &str) -> Option<Self> {
        let letters: String =
            s.chars().filter(char::is_ascii_alphabetic).collect::<String>().to_ascii_uppercase();
        match letters.as_str() {
            "YYYYMMDD" => Some(Self::Ymd),
            "DDMMYYYY" => Some(Self::Dmy),
            "MMDDYYYY" => Some(Self::Mdy),
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
    /// Extra true/false words of the header language (English always applies).
    pub bool_words: (&'static [&'static str], &'static [&'static str]),
    /// The store's owners, for owner cells (default: none, so every owner cell is
    /// `COULD_NOT_FIND_OWNER`).
    pub owners: std::sync::Arc<crate::normalize::owners::OwnerIndex>,
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
        PropertyType::Number => number(raw, opts.number_locale, out),
        PropertyType::Date => date(raw, opts.date_order, out),
        PropertyType::Datetime => datetime(raw, opts.date_order, out),
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

/// Lowercases and checks an email: `local@domain`, where the local part is made of
/// letters and digits of any script and `._%+'-` (RFC 6531/6532 local parts) and the
/// domain is a valid domain of at least two labels, internationalized ones included.
/// The normal form is lowercase with the domain in its Unicode form ([`domain`]):
/// `José@MÜLLER.de` and `josé@xn--mller-kva.de` are both `josé@müller.de`.
pub fn email(raw: &str, out: &mut String) -> Result<(), ErrorCode> {
    let bytes = raw.as_bytes();
    let Some(at) = memchr::memchr(b'@', bytes) else {
        return Err(ErrorCode::InvalidEmail);
    };
    let (local, domain_part) = (&raw[..at], &raw[at + 1..]);
    if raw.is_ascii() && !has_ace_label(domain_part) {
        // The common case: checks and lowercasing on bytes.
        let local_ok =
            !local.is_empty() && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._%+'-".contains(&b));
        let mut labels = 0;
        let domain_ok = !domain_part.is_empty()
            && domain_part.split('.').all(|label| {
                labels += 1;
                !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !(local_ok && domain_ok && labels >= 2) {
            return Err(ErrorCode::InvalidEmail);
        }
        out.push_str(raw);
        out.make_ascii_lowercase();
        return Ok(());
    }
    let local_ok = !local.is_empty() && local.chars().all(|c| c.is_alphanumeric() || "._%+'-".contains(c));
    if !local_ok || domain_part.contains(['/', ':', '?', '#', '@']) {
        return Err(ErrorCode::InvalidEmail);
    }
    out.extend(local.chars().flat_map(char::to_lowercase));
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
    if ok && labels >= 2 { Ok(()) } else { Err(ErrorCode::InvalidDomain) }
}

/// Parses a number written in `locale`; currency symbols and spaces are ignored.
/// Writes the canonical decimal: no grouping, no leading zeros, no trailing
/// fractional zeros (`1.234,50` in `nl` -> `1234.5`).
pub fn number(raw: &str, locale: NumberLocale, out: &mut String) -> Result<(), ErrorCode> {
    let (group, decimal) = match locale {
        NumberLocale::En => (',', '.'),
        NumberLocale::Comma => ('.', ','),
    };
    let mut negative = false;
    let mut int = String::new();
    let mut frac = String::new();
    let mut seen_decimal = false;
    let mut seen_digit = false;
    let mut groups: Vec<usize> = Vec::new();
    let mut group_len = 0usize;
    let mut suffix = false;
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
    if !seen_digit || (seen_decimal && frac.is_empty() && int.is_empty()) {
        return Err(ErrorCode::CouldNotParseNumber);
    }
    // Grouping must look like grouping: 1-3 digits first, then groups of exactly 3.
    if !groups.is_empty() {
        // A separator right before a suffix ("12 kr") is not grouping.
        if group_len > 0 {
            groups.push(group_len);
        }
        let ok = groups.len() == 1 || ((1..=3).contains(&groups[0]) && groups[1..].iter().all(|&g| g == 3));
        if !ok {
            return Err(ErrorCode::CouldNotParseNumber);
        }
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    if negative && !(int.is_empty() && frac.is_empty()) {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Ok(())
}

fn ymd(y: i32, m: u32, d: u32, out: &mut String) -> Result<(), ErrorCode> {
    use std::fmt::Write;
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).ok_or(ErrorCode::CouldNotParseDate)?;
    write!(out, "{}", date.format("%Y-%m-%d")).expect("writing to a String");
    Ok(())
}

/// Splits `a?b?c` on any one of `-`, `/`, `.` into three numbers.
fn three_numbers(s: &str) -> Option<(&str, &str, &str)> {
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = s.split(sep);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || [a, b, c].iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    Some((a, b, c))
}

/// Parses a date in `order`; ISO 8601 (`YYYY-MM-DD`, with or without a time) is
/// always accepted.
pub fn date(raw: &str, order: DateOrder, out: &mut String) -> Result<(), ErrorCode> {
    let date_part = raw.split(['T', ' ']).next().unwrap_or(raw);
    let (a, b, c) = three_numbers(date_part).ok_or(ErrorCode::CouldNotParseDate)?;
    let num = |s: &str| s.parse::<u32>().map_err(|_| ErrorCode::CouldNotParseDate);
    if a.len() == 4 {
        // ISO order, whatever the format.
        return ymd(num(a)?.cast_signed(), num(b)?, num(c)?, out);
    }
    if c.len() != 4 || raw.len() != date_part.len() {
        return Err(ErrorCode::CouldNotParseDate);
    }
    let year = num(c)?.cast_signed();
    match order {
        DateOrder::Dmy => ymd(year, num(b)?, num(a)?, out),
        DateOrder::Mdy => ymd(year, num(a)?, num(b)?, out),
        DateOrder::Ymd => Err(ErrorCode::CouldNotParseDate),
    }
}

/// Parses a datetime: RFC 3339 / ISO 8601 (a missing offset means UTC), a date
/// (midnight UTC), or milliseconds since the epoch (13 digits, `HubSpot`'s form).
pub fn datetime(raw: &str, order: DateOrder, out: &mut String) -> Result<(), ErrorCode> {
    use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
    let parsed: Option<DateTime<Utc>> = if raw.len() >= 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.parse::<i64>().ok().and_then(DateTime::from_timestamp_millis)
    } else if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        Some(dt.with_timezone(&Utc))
    } else {
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
            .map(|n| n.and_utc())
    };
    if let Some(dt) = parsed {
        out.push_str(&dt.to_rfc3339_opts(SecondsFormat::Secs, true));
        return Ok(());
    }
    date(raw, order, out)?;
    out.push_str("T00:00:00Z");
    Ok(())
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
        let f = |r: &str, o: &mut String| datetime(r, DateOrder::Ymd, o);
        assert_eq!(run(f, "2024-01-31T10:00:00+02:00").unwrap(), "2024-01-31T08:00:00Z");
        assert_eq!(run(f, "2024-01-31 10:00").unwrap(), "2024-01-31T10:00:00Z");
        assert_eq!(run(f, "2024-01-31").unwrap(), "2024-01-31T00:00:00Z");
        assert_eq!(run(f, "1706695200000").unwrap(), "2024-01-31T10:00:00Z");
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
