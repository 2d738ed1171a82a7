//! The typed description of an import (SPEC 7, 8): what to import and how.
//!
//! One [`ImportSpec`] is built from the command line (clap value enums, not
//! strings), or read from a job file, and is stored whole in the import's log
//! entry, so that a later `rerun` reads it back and `history ID --spec` prints
//! it. The stages derive their own settings from it once, at the start of an
//! import (`import::Settings`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::input::dialect::Encoding;
use crate::mapping::MappingRequest;
use crate::mapping::vocabulary::Vocabulary;
use crate::normalize::values::{DateOrder, NumberLocale, ValueOptions};
use crate::plan::Mode;

/// Everything an import takes.
#[allow(clippy::struct_excessive_bools)] // one per command-line flag, as a job file writes them
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSpec {
    /// A name for the import (default: the file names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Input files (`-` is standard input).
    pub files: Vec<PathBuf>,
    /// `--object` (inferred from the headers when empty).
    pub objects: Vec<String>,
    /// `--mode`.
    pub mode: Mode,
    /// `--map HEADER=TARGET`, in order.
    #[serde(rename = "map")]
    pub maps: Vec<String>,
    /// `--skip-unmapped`.
    pub skip_unmapped: bool,
    /// `--create-properties`: every column that would be unmapped becomes a custom
    /// property of the import's object (`crate::column_properties`).
    pub create_properties: bool,
    /// `--id OBJ=PROP`.
    pub ids: Vec<IdChoice>,
    /// `--header-lang` (default English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_lang: Option<Language>,
    /// `--date-format` (default: ISO only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_format: Option<DateFormat>,
    /// `--number-locale` (default: `en`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_locale: Option<NumberFormat>,
    /// `--time-zone ZONE` (IANA name) for datetimes without an offset (default UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZone>,
    /// `--no-overwrite PROP,...`.
    pub no_overwrite: Vec<String>,
    /// `--no-overwrite-all`.
    pub no_overwrite_all: bool,
    /// `--allow-lifecycle-backward`: a lifecycle stage may move backward.
    pub allow_lifecycle_backward: bool,
    /// `--delimiter` (default: detected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<Delimiter>,
    /// `--encoding` (default: detected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<InputEncoding>,
    /// `--sheet NAME`: the sheet of a workbook input (default: its first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// `--results PATH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<PathBuf>,
    /// `--common-column HEADER`: two or more files, one object each, linked by the
    /// key of the `--key-of` object (`crate::common_column`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_column: Option<String>,
    /// `--key-of OBJ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_of: Option<String>,
    /// `--associate-by-domain`: each contact is associated with (and where missing
    /// creates) the company of its email's domain (`crate::plan::domains`).
    pub associate_by_domain: bool,
    /// `--replace-primary`: the first company a row links with a contact, deal or
    /// ticket becomes its primary company, replacing the one it had (which stays
    /// associated).
    pub replace_primary: bool,
    /// `--create-with-ids`: a row whose record ID does not exist creates the
    /// record with that ID (upsert and create modes); the record sequence moves
    /// past the largest.
    pub create_with_ids: bool,
    /// `--read-all`: every row is read and matched, also those the replay memo
    /// knows to change nothing ([`crate::replay`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_all: bool,
    /// `--create-list NAME`: a static list of the records of the import's object
    /// (contacts where it has them) that it created, updated or matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_list: Option<String>,
    /// `--exclude-domains FILE`: domains that never make a company, beyond the
    /// shipped free-mail list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_domains: Option<PathBuf>,
    /// Where the error and rejected-rows files go (default: the store's reports
    /// folder). Tests and benchmarks only; not part of a job.
    #[serde(skip)]
    pub report_dir: Option<PathBuf>,
    /// Chunk size override in bytes (tests, benchmarks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_bytes: Option<usize>,
    /// Worker threads (default: rayon's, which honours `RAYON_NUM_THREADS`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
}

impl ImportSpec {
    /// Reads a job file (`--spec job.toml`): every key is an option of `ingest
    /// import` (`files`, `objects`, `mode`, `map`, `date_format`, ...); an unknown
    /// key is an error. Relative paths in it are relative to the job file's folder.
    pub fn from_job_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut spec: Self = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or_else(|| std::path::Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() && p.as_os_str() != "-" {
                *p = base.join(&*p);
            }
        };
        spec.files.iter_mut().for_each(rebase);
        spec.results.iter_mut().for_each(rebase);
        spec.exclude_domains.iter_mut().for_each(rebase);
        Ok(spec)
    }

    /// The spec as a job file (`ingest history ID --spec`).
    pub fn to_job_file(&self) -> String {
        toml::to_string(self).expect("an import spec always serializes")
    }

    /// Makes every path absolute (against the current folder), as the import log
    /// keeps them.
    pub fn absolutize(&mut self) {
        let abs = |p: &mut PathBuf| {
            if p.is_relative()
                && p.as_os_str() != "-"
                && let Ok(a) = std::path::absolute(&*p)
            {
                *p = a;
            }
        };
        self.files.iter_mut().for_each(abs);
        self.results.iter_mut().for_each(abs);
        self.exclude_domains.iter_mut().for_each(abs);
    }

    /// A spec importing `files` with every default.
    pub fn of_files(files: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        Self { files: files.into_iter().map(Into::into).collect(), ..Self::default() }
    }

    /// The worker pool of `--threads N` (`None`: rayon's global pool).
    pub fn thread_pool(&self) -> Result<Option<rayon::ThreadPool>, String> {
        self.threads
            .map(|n| rayon::ThreadPoolBuilder::new().num_threads(n).build().map_err(|e| e.to_string()))
            .transpose()
    }

    /// The header language's code (`en` by default).
    pub fn lang(&self) -> &'static str {
        self.header_lang.unwrap_or_default().code()
    }

    /// The mapping request of this import's options over `vocabulary`.
    pub fn mapping_request<'a>(&'a self, vocabulary: &'a Vocabulary) -> MappingRequest<'a> {
        MappingRequest {
            vocabulary,
            objects: &self.objects,
            maps: &self.maps,
            skip_unmapped: self.skip_unmapped,
            lang: self.lang(),
            create_unmapped: self.create_properties,
        }
    }

    /// The value options of this import's `--number-locale` (without it, the header
    /// language's convention, SPEC 4), `--date-format`, `--time-zone` and
    /// `--header-lang` (yes/no words), without owners.
    pub fn value_options(&self) -> ValueOptions {
        let lang = self.lang();
        ValueOptions {
            number_locale: self.number_locale.map_or_else(
                || if lang == "en" { NumberLocale::En } else { NumberLocale::Comma },
                NumberFormat::locale,
            ),
            date_order: self.date_format.map_or_else(DateOrder::default, DateFormat::order),
            time_zone: self.time_zone.map_or(chrono_tz::Tz::UTC, |t| t.0),
            bool_words: crate::normalize::values::bool_words(lang),
            ..ValueOptions::default()
        }
    }
}

/// `--id OBJ=PROP`: the unique property an object's rows are matched by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdChoice {
    /// The object.
    pub object: String,
    /// The property.
    pub property: String,
}

impl std::str::FromStr for IdChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('=') {
            Some((o, p)) if !o.trim().is_empty() && !p.trim().is_empty() => {
                Ok(Self { object: o.trim().to_owned(), property: p.trim().to_owned() })
            }
            _ => Err(format!("'{s}': expected OBJ=PROP, e.g. contacts=email")),
        }
    }
}

impl TryFrom<String> for IdChoice {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<IdChoice> for String {
    fn from(c: IdChoice) -> Self {
        format!("{}={}", c.object, c.property)
    }
}

/// `--delimiter`: one byte, or `tab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Delimiter(pub u8);

impl std::str::FromStr for Delimiter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "\\t" | "tab" | "\t" => Ok(Self(b'\t')),
            s if s.len() == 1 => Ok(Self(s.as_bytes()[0])),
            s => Err(format!("must be one character (or tab), got '{s}'")),
        }
    }
}

impl TryFrom<String> for Delimiter {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Delimiter> for String {
    fn from(d: Delimiter) -> Self {
        if d.0 == b'\t' { "tab".to_owned() } else { char::from(d.0).to_string() }
    }
}

/// `--time-zone`: an IANA time zone (`Europe/Amsterdam`, `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(pub chrono_tz::Tz);

impl std::str::FromStr for TimeZone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        crate::normalize::values::time_zone(s).map(Self).ok_or_else(|| {
            format!("'{s}' is not an IANA time zone (e.g. Europe/Amsterdam, America/New_York, UTC)")
        })
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<TimeZone> for String {
    fn from(t: TimeZone) -> Self {
        t.0.name().to_owned()
    }
}

/// `--header-lang`: the language of the headers (and of yes/no words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Dutch.
    Nl,
    /// Danish.
    Da,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Language {
    /// The language code (`nl`).
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nl => "nl",
            Self::Da => "da",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
        }
    }
}

/// `--date-format`: the order of day, month and year (ISO 8601 is always accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum DateFormat {
    /// ISO 8601 only.
    #[value(name = "YYYY-MM-DD", alias = "YYYY/MM/DD")]
    #[serde(rename = "YYYY-MM-DD")]
    Iso,
    /// Day first.
    #[value(name = "DD-MM-YYYY", alias = "DD/MM/YYYY", alias = "DD.MM.YYYY")]
    #[serde(rename = "DD-MM-YYYY", alias = "DD/MM/YYYY", alias = "DD.MM.YYYY")]
    DayFirst,
    /// Month first.
    #[value(name = "MM/DD/YYYY", alias = "MM-DD-YYYY", alias = "MM.DD.YYYY")]
    #[serde(rename = "MM/DD/YYYY", alias = "MM-DD-YYYY")]
    MonthFirst,
}

impl DateFormat {
    /// The date order the value parser takes.
    pub fn order(self) -> DateOrder {
        match self {
            Self::Iso => DateOrder::Ymd,
            Self::DayFirst => DateOrder::Dmy,
            Self::MonthFirst => DateOrder::Mdy,
        }
    }
}

/// `--number-locale`: how the file writes numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum NumberFormat {
    /// `1,234.56`.
    #[value(alias = "us", alias = "gb")]
    En,
    /// `1.234,56`.
    Nl,
    /// `1.234,56`.
    De,
    /// `1.234,56`.
    Da,
    /// `1 234,56` / `1.234,56`.
    Fr,
    /// `1.234,56`.
    Es,
}

impl NumberFormat {
    /// The number convention the value parser takes.
    pub fn locale(self) -> NumberLocale {
        match self {
            Self::En => NumberLocale::En,
            _ => NumberLocale::Comma,
        }
    }
}

/// `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum InputEncoding {
    /// UTF-8, with or without BOM.
    #[value(name = "utf-8", alias = "utf8")]
    #[serde(rename = "utf-8")]
    Utf8,
    /// UTF-16 little endian.
    #[value(name = "utf-16le", alias = "utf16le", alias = "utf-16")]
    #[serde(rename = "utf-16le")]
    Utf16Le,
    /// UTF-16 big endian.
    #[value(name = "utf-16be", alias = "utf16be")]
    #[serde(rename = "utf-16be")]
    Utf16Be,
    /// Windows-1252 (a superset of printable Latin-1).
    #[value(
        name = "windows-1252",
        alias = "cp1252",
        alias = "latin-1",
        alias = "latin1",
        alias = "iso-8859-1"
    )]
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl InputEncoding {
    /// The decoder's encoding.
    pub fn encoding(self) -> Encoding {
        match self {
            Self::Utf8 => Encoding::Utf8,
            Self::Utf16Le => Encoding::Utf16Le,
            Self::Utf16Be => Encoding::Utf16Be,
            Self::Windows1252 => Encoding::Windows1252,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_round_trips_through_json_and_refuses_unknown_keys() {
        let spec = ImportSpec {
            name: Some("nightly".into()),
            files: vec!["a.csv".into()],
            objects: vec!["contacts".into()],
            mode: Mode::Update,
            maps: vec!["Mail=contacts.email".into()],
            ids: vec!["contacts=email".parse().unwrap()],
            header_lang: Some(Language::Nl),
            date_format: Some(DateFormat::DayFirst),
            number_locale: Some(NumberFormat::De),
            delimiter: Some("tab".parse().unwrap()),
            encoding: Some(InputEncoding::Windows1252),
            time_zone: Some("Europe/Amsterdam".parse().unwrap()),
            ..ImportSpec::default()
        };
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["date_format"], "DD-MM-YYYY");
        assert_eq!(json["ids"][0], "contacts=email");
        assert_eq!(json["delimiter"], "tab");
        assert_eq!(json["mode"], "update");
        assert_eq!(json["time_zone"], "Europe/Amsterdam");
        assert!("Mars/Olympus".parse::<TimeZone>().is_err());
        let back: ImportSpec = serde_json::from_value(json).unwrap();
        assert_eq!(back, spec);
        assert!(serde_json::from_str::<ImportSpec>(r#"{"files": [], "colour": "red"}"#).is_err());
        assert!("contacts".parse::<IdChoice>().is_err());
        assert!("ab".parse::<Delimiter>().is_err());
    }
}
