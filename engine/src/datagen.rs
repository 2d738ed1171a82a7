//! `ingest gen`: realistic, reproducible CRM test data.
//!
//! Row `i` of a file is a pure function of `(seed, i)`, so files of any size are
//! written in one pass and the update file of the benchmarks can re-create any
//! earlier row. The data has what real exports have: names with non-ASCII
//! letters, about 2% duplicate emails (domains for companies) that differ only in
//! case and surrounding spaces, about 0.5% invalid emails or domains, an invalid
//! lifecycle stage now and then, and blank cells.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Header of generated contact files.
pub const CONTACT_HEADER: [&str; 10] = [
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Job Title",
    "City",
    "Country",
    "Lifecycle Stage",
    "Website URL",
];

/// Header of generated company files.
pub const COMPANY_HEADER: [&str; 8] = [
    "Name",
    "Company Domain Name",
    "Industry",
    "Number of Employees",
    "Annual Revenue",
    "City",
    "Country",
    "Phone Number",
];

const FIRST: &[&str] = &[
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Zoë",
    "José",
    "Søren",
    "Łukasz",
    "Chloé",
    "Björn",
    "Jürgen",
    "Åsa",
    "François",
    "Núria",
    "Małgorzata",
    "Siân",
    "Renée",
    "Ólafur",
    "Ingrid",
    "Mateo",
    "Sofía",
    "Luca",
    "Anaïs",
    "Dvořák",
    "Aiko",
    "Chen",
    "Priya",
    "Omar",
    "Fatima",
    "Hannah",
    "Lars",
    "Mette",
    "Pieter",
    "Sanne",
    "Jörg",
    "Élodie",
    "Iñigo",
    "Ana",
];
const LAST: &[&str] = &[
    "Smith",
    "Jansen",
    "de Vries",
    "Müller",
    "Schröder",
    "Nielsen",
    "Jørgensen",
    "García",
    "Martínez",
    "Dubois",
    "Lefèvre",
    "Kowalski",
    "Nowak",
    "Rossi",
    "Bianchi",
    "O'Brien",
    "Ødegaard",
    "Sánchez",
    "Wójcik",
    "Horváth",
    "Novák",
    "Andersson",
    "Virtanen",
    "Yılmaz",
    "Kim",
    "Tanaka",
    "Patel",
    "Haddad",
    "van den Berg",
    "Fernández",
    "Costa",
];
const WORDS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "stark",
    "wayne",
    "hooli",
    "vandelay",
    "soylent",
    "tyrell",
    "cyberdyne",
    "wonka",
    "gringotts",
    "oceanic",
    "aperture",
    "blueleaf",
    "nordlys",
    "zonnebloem",
    "bergmann",
    "solenne",
];
const TLDS: &[&str] = &["com", "nl", "de", "dk", "fr", "es", "io", "co.uk"];
const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "Account Manager",
    "Sales Director",
    "Marketing Lead",
    "Software Engineer",
    "Office Manager",
    "Head of Operations",
    "Consultant",
    "Product Owner",
];
const CITIES: &[(&str, &str)] = &[
    ("Amsterdam", "Netherlands"),
    ("Utrecht", "Netherlands"),
    ("København", "Denmark"),
    ("Aarhus", "Denmark"),
    ("München", "Germany"),
    ("Köln", "Germany"),
    ("Paris", "France"),
    ("Lyon", "France"),
    ("Madrid", "Spain"),
    ("Málaga", "Spain"),
    ("London", "United Kingdom"),
    ("New York", "United States"),
    ("Zürich", "Switzerland"),
];
const STAGES: &[&str] = &[
    "Lead",
    "lead",
    "Subscriber",
    "Marketing Qualified Lead",
    "salesqualifiedlead",
    "Opportunity",
    "Customer",
    "customer",
];
const INDUSTRIES: &[&str] =
    &["Software", "Retail", "Manufacturing", "Finance", "Healthcare", "Logistics", "Education"];

fn rng(seed: u64, i: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

fn pick<'a>(r: &mut SmallRng, list: &[&'a str]) -> &'a str {
    list[r.random_range(0..list.len())]
}

fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let m = match c {
                'á' | 'à' | 'ä' | 'â' | 'å' | 'Å' | 'Á' => 'a',
                'é' | 'è' | 'ë' | 'ê' | 'É' => 'e',
                'í' | 'ï' | 'ı' | 'İ' => 'i',
                'ó' | 'ö' | 'ô' | 'ø' | 'Ø' | 'Ó' | 'ő' => 'o',
                'ú' | 'ü' | 'û' => 'u',
                'ñ' => 'n',
                'ç' => 'c',
                'ł' | 'Ł' => 'l',
                'ř' => 'r',
                c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
                _ => return None,
            };
            Some(m)
        })
        .collect()
}

/// What kind of row `i` is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Duplicate,
    Invalid,
}

fn kind(r: &mut SmallRng, i: u64) -> Kind {
    let x: u32 = r.random_range(0..1000);
    if x < 5 {
        Kind::Invalid
    } else if x < 25 && i > 100 {
        Kind::Duplicate
    } else {
        Kind::Normal
    }
}

/// The email that row `i` owns: unique per `i`.
fn base_email(seed: u64, i: u64) -> String {
    let mut r = rng(seed, i);
    let _ = kind(&mut r, i);
    let first = pick(&mut r, FIRST);
    let last = pick(&mut r, LAST);
    let word = pick(&mut r, WORDS);
    let tld = pick(&mut r, TLDS);
    format!("{}.{}{i}@{word}{}.{tld}", ascii_fold(first), ascii_fold(last), i % 997)
}

/// Writes the `(i)`th contact row into `row` (10 cells).
#[allow(clippy::many_single_char_names)]
fn contact(seed: u64, i: u64, row: &mut Vec<String>) {
    row.clear();
    let mut r = rng(seed, i);
    let k = kind(&mut r, i);
    let first = pick(&mut r, FIRST);
    let last = pick(&mut r, LAST);
    let word = pick(&mut r, WORDS);
    let tld = pick(&mut r, TLDS);
    let email = match k {
        Kind::Normal => format!("{}.{}{i}@{word}{}.{tld}", ascii_fold(first), ascii_fold(last), i % 997),
        Kind::Duplicate => {
            let j = i - 1 - r.random_range(0..100);
            let e = base_email(seed, j);
            match r.random_range(0..3) {
                0 => e.to_uppercase(),
                1 => format!("  {e} "),
                _ => {
                    let mut c = e.chars();
                    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
                }
            }
        }
        Kind::Invalid => match r.random_range(0..3) {
            0 => format!("{}.{}@", ascii_fold(first), ascii_fold(last)),
            1 => "not-an-email".to_owned(),
            _ => format!("{} {}@{word}.{tld}", ascii_fold(first), ascii_fold(last)),
        },
    };
    let blank = |r: &mut SmallRng, pct: u32| r.random_range(0..100) < pct;
    let phone = if blank(&mut r, 10) {
        String::new()
    } else {
        format!("+31 6 {:04} {:04}", r.random_range(0..10_000), r.random_range(0..10_000))
    };
    let company = format!(
        "{}{} {}",
        word[..1].to_uppercase(),
        &word[1..],
        if r.random_bool(0.5) { "B.V." } else { "Inc." }
    );
    let title = if blank(&mut r, 15) { "" } else { pick(&mut r, TITLES) };
    let (city, country) = CITIES[r.random_range(0..CITIES.len())];
    let stage = match r.random_range(0..100) {
        0 => "Prospect",
        1..=20 => "",
        _ => pick(&mut r, STAGES),
    };
    let website =
        if blank(&mut r, 60) { String::new() } else { format!("https://www.{word}{}.{tld}/", i % 997) };
    row.extend([
        first.to_owned(),
        last.to_owned(),
        email,
        phone,
        company,
        title.to_owned(),
        city.to_owned(),
        country.to_owned(),
        stage.to_owned(),
        website,
    ]);
}

/// Writes the `(i)`th company row into `row` (8 cells).
fn company(seed: u64, i: u64, row: &mut Vec<String>) {
    row.clear();
    let mut r = rng(seed ^ 0xC0, i);
    let k = kind(&mut r, i);
    let word = pick(&mut r, WORDS);
    let tld = pick(&mut r, TLDS);
    let name = format!("{}{} {i}", word[..1].to_uppercase(), &word[1..]);
    let domain = match k {
        Kind::Normal => format!("{word}{i}.{tld}"),
        Kind::Duplicate => {
            let j = i - 1 - r.random_range(0..100);
            let mut rj = rng(seed ^ 0xC0, j);
            let _ = kind(&mut rj, j);
            let (wj, tj) = (pick(&mut rj, WORDS), pick(&mut rj, TLDS));
            format!("https://www.{}{j}.{tj}/about", wj.to_uppercase())
        }
        Kind::Invalid => "not a domain".to_owned(),
    };
    let employees = r.random_range(1..20_000u32);
    let revenue = u64::from(employees) * r.random_range(50_000..250_000u64);
    let (city, country) = CITIES[r.random_range(0..CITIES.len())];
    row.extend([
        name,
        domain,
        pick(&mut r, INDUSTRIES).to_owned(),
        employees.to_string(),
        group_thousands(revenue),
        city.to_owned(),
        country.to_owned(),
        format!("+45 {:08}", r.random_range(0..100_000_000u32)),
    ]);
}

fn group_thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn write_rows(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = u64>,
    mut fill: impl FnMut(u64, &mut Vec<String>),
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, File::create(path)?));
    w.write_record(header)?;
    let mut row = Vec::with_capacity(header.len());
    for i in rows {
        fill(i, &mut row);
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `rows` rows of each object into `out`: `contacts.csv`, `companies.csv`.
/// With `update_file`, also `contacts_update.csv`: `rows` rows of which 40% repeat
/// existing contacts (half unchanged, half with new phone, title and city) and
/// 60% are new contacts.
pub fn generate(
    objects: &[String],
    rows: u64,
    seed: u64,
    out: &Path,
    update_file: bool,
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for object in objects {
        match object.as_str() {
            "contacts" => {
                let path = out.join("contacts.csv");
                write_rows(&path, &CONTACT_HEADER, 0..rows, |i, row| contact(seed, i, row))?;
                written.push(path);
                if update_file {
                    let path = out.join("contacts_update.csv");
                    write_rows(&path, &CONTACT_HEADER, 0..rows, |j, row| {
                        let mut r = rng(seed ^ 0x000B_DA7E, j);
                        let x: u32 = r.random_range(0..100);
                        if x < 40 {
                            contact(seed, r.random_range(0..rows.max(1)), row);
                            if x >= 20 {
                                row[3] = format!("+31 20 {:07}", r.random_range(0..10_000_000));
                                pick(&mut r, TITLES).clone_into(&mut row[5]);
                                let (city, country) = CITIES[r.random_range(0..CITIES.len())];
                                (row[6], row[7]) = (city.to_owned(), country.to_owned());
                            }
                        } else {
                            contact(seed, rows + j, row);
                        }
                    })?;
                    written.push(path);
                }
            }
            "companies" => {
                let path = out.join("companies.csv");
                write_rows(&path, &COMPANY_HEADER, 0..rows, |i, row| company(seed, i, row))?;
                written.push(path);
            }
            other => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("gen: unknown or unsupported object '{other}' (contacts, companies)"),
                ));
            }
        }
    }
    let _ = std::io::stdout().flush();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_a_function_of_seed_and_index() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        contact(7, 1234, &mut a);
        contact(7, 1234, &mut b);
        assert_eq!(a, b);
        contact(8, 1234, &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(999), "999");
    }
}
