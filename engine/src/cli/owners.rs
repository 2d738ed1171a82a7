//! `ingest owners`: the owners records are assigned to (`hubspot_owner_id`).
//!
//! `ingest owners` lists them; `ingest owners add EMAIL [--name "First Last"]` adds one
//! and prints its owner ID; `ingest owners import FILE` adds those of a CSV file
//! (columns for the email and the name, or the first and last name, in English, Dutch,
//! German, French, Spanish or Danish). Emails are validated and normalized as import
//! cells are ([`crate::normalize::values::email`]); an email already there is the same
//! owner, whose empty names are filled in (a stored name is never replaced).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use store::OwnerOutcome;

use crate::input::dialect;
use crate::input::source::Source;
use crate::normalize::values;

use super::{Context, Usage, open_read, open_store, print_json};

/// List the owners records are assigned to, or add them.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Print the owners as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Add an owner and print its owner ID (an email already there is that owner:
    /// its empty names are filled in, none is replaced).
    Add {
        /// The owner's email.
        email: String,
        /// The owner's name, "First Last" (split at the first space).
        #[arg(long)]
        name: Option<String>,
    },
    /// Add the owners of a CSV file: a column for the email and one for the name, or
    /// for the first and the last name (headers in en, nl, de, fr, es, da). Rows
    /// without a valid email are reported and left out.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Print the counts and rejected rows as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        None => list(ctx, args.json),
        Some(Sub::Add { email, name }) => add(ctx, &email, name.as_deref()),
        Some(Sub::Import { file, json }) => import(ctx, &file, json),
    }
}

/// An owner as `ingest owners --json` lists it.
#[derive(Serialize)]
struct Listed<'a> {
    id: u64,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    name: String,
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let store = open_read(&ctx.store, ctx.wait)?;
    let owners = store.begin_read()?.owners()?;
    if json {
        let listed: Vec<Listed<'_>> = owners
            .iter()
            .map(|o| Listed {
                id: o.id,
                email: &o.email,
                first_name: &o.first_name,
                last_name: &o.last_name,
                name: o.full_name(),
            })
            .collect();
        return print_json(&listed);
    }
    if owners.is_empty() {
        println!(
            "no owners; add them with `ingest owners add EMAIL --name \"First Last\"` or `ingest owners import FILE`"
        );
        return Ok(());
    }
    let width = owners.iter().map(|o| o.email.chars().count()).max().unwrap_or(0).max(5);
    println!("{:>6}  {:<width$}  name", "id", "email");
    for o in &owners {
        println!("{:>6}  {:<width$}  {}", o.id, o.email, o.full_name());
    }
    Ok(())
}

/// Splits "First Last" at the first run of whitespace: `("First", "Last")`; a
/// single word is a first name.
fn split_name(name: &str) -> (&str, &str) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((first, last)) => (first, last.trim()),
        None => (name, ""),
    }
}

fn normalized_email(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("no email".to_owned());
    }
    let mut email = String::new();
    values::email(raw, &mut email).map_err(|_| format!("'{raw}' is not a valid email address"))?;
    Ok(email)
}

fn add(ctx: &Context, email: &str, name: Option<&str>) -> anyhow::Result<()> {
    let email = normalized_email(email).map_err(Usage)?;
    let (first, last) = split_name(name.unwrap_or(""));
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = crate::holder::Holder::write(store.path(), "owners add");
    let session = store.begin_write()?;
    let (owner, outcome) =
        session.add_owners([(email.as_str(), first, last)])?.pop().expect("one in, one out");
    session.commit(true)?;
    match outcome {
        OwnerOutcome::Created => {}
        OwnerOutcome::Updated => {
            eprintln!("{} was already owner {}; its name is now filled in", owner.email, owner.id);
        }
        OwnerOutcome::Unchanged => eprintln!("{} is already owner {}", owner.email, owner.id),
    }
    println!("{}", owner.id);
    Ok(())
}

/// What a column of an owners file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Email,
    First,
    Last,
    Full,
    /// `nombre` (es): the first name next to a last-name column, else the full name.
    FirstOrFull,
    /// `nom` (fr): the last name next to a first-name column, else the full name.
    LastOrFull,
}

/// Header spellings, normalized ([`store::schema::normalize_header`]).
const HEADERS: &[(Column, &[&str])] = &[
    (
        Column::Email,
        &[
            "email",
            "emailaddress",
            "mail",
            "owneremail",
            "useremail",
            "workemail",
            "emailadres",
            "mailadres",
            "emailadresse",
            "mailadresse",
            "courriel",
            "adresseemail",
            "adressemail",
            "adressecourriel",
            "adresseelectronique",
            "adresseélectronique",
            "correo",
            "correoelectronico",
            "correoelectrónico",
            "direcciondecorreo",
            "direccióndecorreo",
            "direcciondecorreoelectronico",
            "direccióndecorreoelectrónico",
        ],
    ),
    (
        Column::First,
        &[
            "firstname",
            "first",
            "givenname",
            "forename",
            "fname",
            "voornaam",
            "roepnaam",
            "vorname",
            "rufname",
            "prénom",
            "prenom",
            "fornavn",
            "nombredepila",
            "primernombre",
        ],
    ),
    (
        Column::Last,
        &[
            "lastname",
            "last",
            "surname",
            "familyname",
            "lname",
            "achternaam",
            "familienaam",
            "nachname",
            "familienname",
            "zuname",
            "nomdefamille",
            "efternavn",
            "apellido",
            "apellidos",
        ],
    ),
    (
        Column::Full,
        &[
            "name",
            "fullname",
            "ownername",
            "username",
            "displayname",
            "naam",
            "volledigenaam",
            "vollständigername",
            "vollername",
            "nomcomplet",
            "nombrecompleto",
            "navn",
            "fuldtnavn",
            "fuldenavn",
        ],
    ),
    (Column::FirstOrFull, &["nombre"]),
    (Column::LastOrFull, &["nom"]),
];

fn column_of(header: &str) -> Option<Column> {
    let h = store::schema::normalize_header(header);
    HEADERS.iter().find(|(_, names)| names.contains(&h.as_str())).map(|(c, _)| *c)
}

/// Where the fields of an owners file are: column indexes.
#[derive(Debug, Default, PartialEq, Eq)]
struct Layout {
    email: usize,
    first: Option<usize>,
    last: Option<usize>,
    full: Option<usize>,
    /// Columns holding none of these.
    ignored: Vec<String>,
}

fn layout(headers: &csv::StringRecord) -> anyhow::Result<Layout> {
    let columns: Vec<Option<Column>> = headers.iter().map(column_of).collect();
    let has = |c: Column| columns.contains(&Some(c));
    let (has_first, has_last) = (has(Column::First), has(Column::Last));
    let mut found: [Option<usize>; 4] = [None; 4];
    let mut ignored = Vec::new();
    for (i, (header, column)) in headers.iter().zip(&columns).enumerate() {
        let slot = match column {
            None => {
                ignored.push(header.to_owned());
                continue;
            }
            Some(Column::Email) => 0,
            Some(Column::First) => 1,
            Some(Column::FirstOrFull) if has_last => 1,
            Some(Column::Last) => 2,
            Some(Column::LastOrFull) if has_first => 2,
            Some(Column::Full | Column::FirstOrFull | Column::LastOrFull) => 3,
        };
        if let Some(other) = found[slot] {
            let what = ["the email", "the first name", "the last name", "the name"][slot];
            anyhow::bail!("columns '{}' and '{header}' both hold {what}; keep one", &headers[other]);
        }
        found[slot] = Some(i);
    }
    let Some(email) = found[0] else {
        anyhow::bail!(
            "no email column (headers: {}); name it Email (or E-mail, E-mailadres, Courriel, Correo, ...)",
            headers.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", ")
        );
    };
    Ok(Layout { email, first: found[1], last: found[2], full: found[3], ignored })
}

/// A row left out of `owners import`.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct Rejected {
    line: u64,
    reason: String,
}

/// What `owners import` did.
#[derive(Debug, Default, Serialize)]
struct ImportCounts {
    added: u64,
    updated: u64,
    unchanged: u64,
    rejected: Vec<Rejected>,
    ignored_columns: Vec<String>,
}

/// An owner read from a file.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    line: u64,
    email: String,
    first: String,
    last: String,
}

/// The owners of `text` (a CSV file with a header), and the rows left out.
fn read_owners(text: &[u8], delimiter: u8) -> anyhow::Result<(Layout, Vec<Row>, Vec<Rejected>)> {
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text);
    let headers = reader.headers().context("cannot read the header")?.clone();
    let layout = layout(&headers)?;
    let mut owners = Vec::new();
    let mut rejected = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                if let csv::ErrorKind::Utf8 { .. } = e.kind() {
                    rejected.push(Rejected { line, reason: "the row is not valid text (UTF-8)".into() });
                    continue;
                }
                return Err(e).context(format!("line {line}"));
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map_or("", str::trim);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let email = match normalized_email(cell(Some(layout.email))) {
            Ok(email) => email,
            Err(reason) => {
                rejected.push(Rejected { line, reason });
                continue;
            }
        };
        let (mut first, mut last) = (cell(layout.first), cell(layout.last));
        if first.is_empty() && last.is_empty() {
            (first, last) = split_name(cell(layout.full));
        }
        owners.push(Row { line, email, first: first.to_owned(), last: last.to_owned() });
    }
    Ok((layout, owners, rejected))
}

fn import(ctx: &Context, file: &Path, json: bool) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let prepared = dialect::prepare(Source::from_bytes(bytes, file), None, None);
    let (layout, owners, rejected) = read_owners(prepared.text(), prepared.dialect.delimiter)
        .with_context(|| format!("{} is not an owners file", file.display()))?;
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = crate::holder::Holder::write(store.path(), "owners import");
    let session = store.begin_write()?;
    let added =
        session.add_owners(owners.iter().map(|r| (r.email.as_str(), r.first.as_str(), r.last.as_str())))?;
    session.commit(true)?;
    let mut counts = ImportCounts { rejected, ignored_columns: layout.ignored, ..ImportCounts::default() };
    for (_, outcome) in &added {
        match outcome {
            OwnerOutcome::Created => counts.added += 1,
            OwnerOutcome::Updated => counts.updated += 1,
            OwnerOutcome::Unchanged => counts.unchanged += 1,
        }
    }
    if json {
        return print_json(&counts);
    }
    println!(
        "{} owner(s) added, {} updated (names filled in), {} already there; {} row(s) rejected",
        counts.added,
        counts.updated,
        counts.unchanged,
        counts.rejected.len()
    );
    for r in &counts.rejected {
        println!("  line {}: {}", r.line, r.reason);
    }
    if !counts.ignored_columns.is_empty() {
        println!("ignored columns: {}", counts.ignored_columns.join(", "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    #[test]
    fn headers_are_matched_case_insensitively_in_every_language() {
        let l = layout(&record(&["E-mail", "First Name", "LAST NAME", "Team"])).unwrap();
        assert_eq!((l.email, l.first, l.last, l.full), (0, Some(1), Some(2), None));
        assert_eq!(l.ignored, ["Team"]);
        let l = layout(&record(&["Naam", "E-mailadres"])).unwrap();
        assert_eq!((l.email, l.full), (1, Some(0)));
        let l = layout(&record(&["Voornaam", "Achternaam", "Email"])).unwrap();
        assert_eq!((l.email, l.first, l.last), (2, Some(0), Some(1)));
        let l = layout(&record(&["Vorname", "Nachname", "E-Mail-Adresse"])).unwrap();
        assert_eq!((l.email, l.first, l.last), (2, Some(0), Some(1)));
        let l = layout(&record(&["Fornavn", "Efternavn", "Mail"])).unwrap();
        assert_eq!((l.email, l.first, l.last), (2, Some(0), Some(1)));
        // "Nom" is the last name next to "Prénom", the full name alone; "Nombre" likewise.
        let l = layout(&record(&["Prénom", "Nom", "Courriel"])).unwrap();
        assert_eq!((l.first, l.last, l.full), (Some(0), Some(1), None));
        let l = layout(&record(&["Nom", "Courriel"])).unwrap();
        assert_eq!((l.first, l.last, l.full), (None, None, Some(0)));
        let l = layout(&record(&["Nombre", "Apellidos", "Correo electrónico"])).unwrap();
        assert_eq!((l.email, l.first, l.last), (2, Some(0), Some(1)));
        let l = layout(&record(&["Nombre", "Correo"])).unwrap();
        assert_eq!(l.full, Some(0));
        let e = layout(&record(&["Name", "Phone"])).unwrap_err().to_string();
        assert!(e.starts_with("no email column (headers: 'Name', 'Phone')"), "{e}");
        let e = layout(&record(&["Email", "E-mail"])).unwrap_err().to_string();
        assert_eq!(e, "columns 'Email' and 'E-mail' both hold the email; keep one");
    }

    #[test]
    fn rows_without_a_valid_email_are_rejected_with_their_line() {
        let text = "Name;Email\nAda Lovelace;ADA@example.com\nBob;not-an-email\n;\nNo Mail;\n\"Cy  van der Berg\";cy@example.com\nDee\n";
        let (layout, owners, rejected) = read_owners(text.as_bytes(), b';').unwrap();
        assert_eq!(layout.full, Some(0));
        assert_eq!(
            owners,
            [
                Row {
                    line: 2,
                    email: "ada@example.com".into(),
                    first: "Ada".into(),
                    last: "Lovelace".into()
                },
                Row {
                    line: 6,
                    email: "cy@example.com".into(),
                    first: "Cy".into(),
                    last: "van der Berg".into()
                }
            ]
        );
        assert_eq!(
            rejected,
            [
                Rejected { line: 3, reason: "'not-an-email' is not a valid email address".into() },
                Rejected { line: 5, reason: "no email".into() },
                Rejected { line: 7, reason: "no email".into() },
            ]
        );
    }

    #[test]
    fn names_split_at_the_first_space() {
        assert_eq!(split_name("  Jan van der Berg "), ("Jan", "van der Berg"));
        assert_eq!(split_name("Ada"), ("Ada", ""));
        assert_eq!(split_name(""), ("", ""));
    }
}
