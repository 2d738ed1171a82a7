//! Every property type through the command line (SPEC 4, 8): valid, invalid and
//! boundary values, in each header language and number convention, date order and
//! time zone; what the store keeps is read back with `ingest get`/`ingest export`,
//! and every error is checked in the import's `errors.csv` (line, column, value,
//! code).

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{ingest, ok_stdout, stderr};

/// An import's summary and its error file, parsed.
struct Imported {
    summary: Value,
    /// `(line, column, value, code)` of every line of `errors.csv`, in file order.
    errors: Vec<(u64, String, String, String)>,
}

impl Imported {
    /// The `(line, column, code)` of every error.
    fn codes(&self) -> Vec<(u64, &str, &str)> {
        self.errors.iter().map(|e| (e.0, e.1.as_str(), e.3.as_str())).collect()
    }

    fn count(&self, object: &str, what: &str) -> u64 {
        self.summary["objects"][object][what].as_u64().unwrap_or(0)
    }
}

/// `ingest import FILE --json ARGS...` of `text` written to `dir/name`.
fn import(store: &Path, dir: &Path, name: &str, text: &str, args: &[&str]) -> Imported {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let summary: Value = serde_json::from_str(ok_stdout(&ingest(store, &all)).trim()).unwrap();
    let mut reader = csv::Reader::from_path(summary["error_file"].as_str().unwrap()).unwrap();
    assert_eq!(reader.headers().unwrap(), vec!["line", "column", "value", "code", "message"]);
    let errors = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[1].to_owned(), r[2].to_owned(), r[3].to_owned())
        })
        .collect();
    Imported { summary, errors }
}

/// `ingest export OBJ` (JSON lines), one value per record, in ID order.
fn export(store: &Path, object: &str) -> Vec<Value> {
    ok_stdout(&ingest(store, &["export", object, "--format", "jsonl"]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The properties of each record of `object`, in ID order.
fn properties(store: &Path, object: &str) -> Vec<Value> {
    export(store, object).into_iter().map(|r| r["properties"].clone()).collect()
}

/// `ingest get OBJ ID --json`'s properties.
fn get(store: &Path, object: &str, id: u64) -> Value {
    let out = ok_stdout(&ingest(store, &["get", object, &id.to_string(), "--json"]));
    serde_json::from_str::<Value>(&out).unwrap()["properties"].clone()
}

/// The value of `property` in each record, `Null` where it has none.
fn column(records: &[Value], property: &str) -> Vec<Value> {
    records.iter().map(|r| r.get(property).cloned().unwrap_or(Value::Null)).collect()
}

/// Cells and what each one stores (`None`: a value error).
type Expected<'a> = &'a [(&'a str, Option<&'a str>)];

/// A language's header of a bool column, its true and false words, and a word of
/// another language.
type BoolWords<'a> = (&'a str, &'a str, &'a [&'a str], &'a [&'a str], &'a str);

fn store_in(dir: &Path) -> std::path::PathBuf {
    dir.join("s.redb")
}

#[test]
fn strings_phones_and_urls_are_kept_as_written_only_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Email,First Name,Phone Number,Website URL,Job Title\n\
                a@x.com,  Zoë  ,\" +31 (0)20 123 4567 \",HTTPS://Example.COM/Path?q=1,\"Head of \"\"R&D\"\", Europe\"\n\
                b@x.com,\u{a0}Ana\u{a0},x,not a url,=SUM(A1)\n\
                c@x.com,[not provided],null,NULL,-5\n";
    let r = import(&store, dir.path(), "c.csv", text, &[]);
    assert_eq!(r.errors, [], "phones and URLs are not validated");
    let records = properties(&store, "contacts");
    assert_eq!(column(&records, "firstname"), [json!("Zoë"), json!("Ana"), Value::Null]);
    assert_eq!(column(&records, "phone"), [json!("+31 (0)20 123 4567"), json!("x"), Value::Null]);
    assert_eq!(
        column(&records, "website"),
        [json!("HTTPS://Example.COM/Path?q=1"), json!("not a url"), Value::Null],
        "a URL is stored as written"
    );
    assert_eq!(
        column(&records, "jobtitle"),
        [json!("Head of \"R&D\", Europe"), json!("=SUM(A1)"), json!("-5")]
    );
}

#[test]
fn a_value_of_65536_characters_goes_in_and_one_more_is_column_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    // Characters, not bytes: 65,536 two-byte characters are 131,072 bytes.
    let fits = "é".repeat(65_536);
    let over = "x".repeat(65_537);
    let long_email = format!("{}@x.com", "a".repeat(65_531)); // 65,537 characters
    let text = format!(
        "Email,First Name,City\na@x.com,{fits},Oslo\nb@x.com,{over},Oslo\n{long_email},E,Oslo\nd@x.com,{over}é,Paris\n"
    );
    let r = import(&store, dir.path(), "big.csv", &text, &[]);
    assert_eq!(
        r.codes(),
        [
            (3, "First Name", "COLUMN_TOO_LARGE"),
            (4, "Email", "COLUMN_TOO_LARGE"),
            (5, "First Name", "COLUMN_TOO_LARGE")
        ]
    );
    // A value error: the row goes in without the value; the identifier's is a row error.
    assert_eq!((r.count("contacts", "created"), r.count("contacts", "failed")), (3, 1));
    assert_eq!(r.summary["rows_failed"], 1);
    let records = properties(&store, "contacts");
    assert_eq!(records[0]["firstname"].as_str().unwrap().chars().count(), 65_536);
    assert_eq!(records[0]["firstname"].as_str().unwrap(), fits);
    assert_eq!(records[1], json!({"email": "b@x.com", "city": "Oslo"}));
    assert_eq!(records[2], json!({"email": "d@x.com", "city": "Paris"}));
}

#[test]
fn numbers_are_read_in_the_number_locale_and_stored_as_plain_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    // (--number-locale, values written in it, what they are)
    let cases: [(&str, &[(&str, Value)]); 6] = [
        (
            "en",
            &[
                ("1,250.5", json!(1250.5)),
                ("$1,234,567.89", json!(1_234_567.89)),
                ("-0012.500", json!(-12.5)),
                (".5", json!(0.5)),
                ("+3", json!(3)),
                ("1'234.5", json!(1234.5)),
                ("12 USD", json!(12)),
                ("-0", json!(0)),
            ],
        ),
        (
            "nl",
            &[("1.250,5", json!(1250.5)), ("€ 1.234.567,89", json!(1_234_567.89)), ("-12,50", json!(-12.5))],
        ),
        ("de", &[("1.250,5", json!(1250.5)), ("12,5 EUR", json!(12.5)), ("1 000 000", json!(1_000_000))]),
        ("da", &[("1.250,5", json!(1250.5)), ("kr 12,50", json!(12.5)), ("0,75", json!(0.75))]),
        ("fr", &[("1 250,5", json!(1250.5)), ("1\u{202f}234,5 €", json!(1234.5)), (",5", json!(0.5))]),
        ("es", &[("1.250,5", json!(1250.5)), ("2.000", json!(2000)), ("3,25", json!(3.25))]),
    ];
    let mut id = 0;
    for (locale, values) in cases {
        let mut text = String::from("Company Domain Name,Annual Revenue\n");
        for (i, (raw, _)) in values.iter().enumerate() {
            text.push_str(&format!("{locale}{i}.com,\"{raw}\"\n"));
        }
        let r = import(&store, dir.path(), &format!("{locale}.csv"), &text, &["--number-locale", locale]);
        assert_eq!(r.errors, [], "{locale}");
        for (raw, want) in values {
            id += 1;
            let got = get(&store, "companies", id);
            assert_eq!(got["annualrevenue"], *want, "{raw} in {locale}");
            assert!(got["annualrevenue"].is_number(), "numbers are exported as JSON numbers");
        }
    }
    // The CSV export writes the plain decimal.
    let csv = ok_stdout(&ingest(&store, &["export", "companies", "--format", "csv"]));
    assert!(csv.lines().any(|l| l.contains("en1.com") && l.contains(",1234567.89,")), "{csv}");
    // What does not read in the locale in force is a value error.
    let text = "Company Domain Name,Annual Revenue\n\
                a.nl,\"1,250.5\"\n\
                b.nl,1.2.3\n\
                c.nl,12a3\n\
                d.nl,\"1.25,5\"\n\
                e.nl,abc\n\
                f.nl,--1\n\
                g.nl,\"1,2,3\"\n";
    let r = import(&store, dir.path(), "bad.csv", text, &["--number-locale", "nl"]);
    let lines: Vec<(u64, &str, &str)> =
        (2..=8).map(|l| (l, "Annual Revenue", "COULD_NOT_PARSE_NUMBER")).collect();
    assert_eq!(r.codes(), lines);
    assert_eq!(r.count("companies", "created"), 7, "value errors do not fail their rows");
    assert!(properties(&store, "companies")[id as usize..].iter().all(|c| c.get("annualrevenue").is_none()));
    // An unknown locale is a usage error.
    let file = dir.path().join("bad.csv");
    let out = ingest(&store, &["import", file.to_str().unwrap(), "--number-locale", "xx"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn integer_properties_take_whole_numbers_in_any_locale_and_refuse_fractions() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let en = "Company Domain Name,Number of Employees\n\
              a.com,12.0\n\
              b.com,-5\n\
              c.com,0\n\
              d.com,007\n\
              e.com,\"1,000,000\"\n\
              f.com,0.001\n\
              g.com,12.5\n";
    let r = import(&store, dir.path(), "en.csv", en, &["--number-locale", "en"]);
    assert_eq!(
        r.codes(),
        [
            (7, "Number of Employees", "COULD_NOT_PARSE_NUMBER"),
            (8, "Number of Employees", "COULD_NOT_PARSE_NUMBER")
        ]
    );
    let nl = "Bedrijfsdomeinnaam,Aantal werknemers\nh.nl,\"12,00\"\ni.nl,1.250\nj.nl,\"1,5\"\n";
    let r = import(&store, dir.path(), "nl.csv", nl, &["--number-locale", "nl", "--header-lang", "nl"]);
    assert_eq!(r.codes(), [(4, "Aantal werknemers", "COULD_NOT_PARSE_NUMBER")]);
    let records = properties(&store, "companies");
    assert_eq!(
        column(&records, "numberofemployees"),
        [
            json!(12),
            json!(-5),
            json!(0),
            json!(7),
            json!(1_000_000),
            Value::Null,
            Value::Null,
            json!(12),
            json!(1250),
            Value::Null
        ]
    );
    // Export writes whole numbers without a fraction.
    let csv = ok_stdout(&ingest(&store, &["export", "companies", "--format", "csv"]));
    assert!(csv.lines().any(|l| l.contains("a.com") && l.contains(",12,")), "{csv}");
}

#[test]
fn without_number_locale_the_header_language_decides_a_column_that_mixes_conventions() {
    // Each header language's spellings; a column with a comma-decimal and a
    // point-decimal value keeps the header language's convention (en: 1,250.5; the
    // others 1.250,5) and the other value is a value error. Unambiguous columns decide
    // for themselves whatever the language.
    let langs = [
        ("en", "Company Domain Name,Annual Revenue,Number of Employees", true),
        ("nl", "Bedrijfsdomeinnaam,Jaaromzet,Aantal werknemers", false),
        ("de", "Domäne,Jahresumsatz,Anzahl Mitarbeiter", false),
        ("da", "Domæne,Omsætning,Antal medarbejdere", false),
        ("fr", "Domaine,Chiffre d'affaires,Nombre d'employés", false),
        ("es", "Dominio,Ingresos anuales,Número de empleados", false),
    ];
    for (lang, header, english) in langs {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let revenue = header.split(',').nth(1).unwrap();
        let text = format!("{header}\na.com,\"1.250,5\",\"1.000.000\"\nb.com,\"1,250.5\",12\nc.com,12,3\n");
        let r = import(&store, dir.path(), "c.csv", &text, &["--header-lang", lang]);
        let (good, bad_line) = if english { (1, 2) } else { (0, 3) };
        assert_eq!(r.codes(), [(bad_line, revenue, "COULD_NOT_PARSE_NUMBER")], "{lang}");
        let records = properties(&store, "companies");
        assert_eq!(records.len(), 3, "{lang}");
        assert_eq!(records[good]["annualrevenue"], json!(1250.5), "{lang}");
        assert_eq!(records[2]["annualrevenue"], json!(12), "{lang}");
        // 1.000.000 only reads with point grouping: that column is comma-decimal.
        assert_eq!(column(&records, "numberofemployees"), [json!(1_000_000), json!(12), json!(3)], "{lang}");
    }
}

#[test]
fn dates_read_in_the_date_format_iso_always_and_leap_days_only_in_leap_years() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    // (--date-format, header language, header, rows: (raw, stored date or None))
    let cases: [(&str, &str, &str, Expected<'_>); 6] = [
        (
            "MM/DD/YYYY",
            "en",
            "Email,Date of birth",
            &[
                ("02/29/2024", Some("2024-02-29")),
                ("2/29/2023", None),
                ("12/31/1999", Some("1999-12-31")),
                ("13/01/2024", None),
                ("2/29/00", Some("2000-02-29")),
                ("1/2/30", Some("1930-01-02")),
                ("2024-02-29", Some("2024-02-29")),
                ("5/7/24 10:26", Some("2024-05-07")),
            ],
        ),
        (
            "DD-MM-YYYY",
            "nl",
            "E-mailadres,Geboortedatum",
            &[
                ("29-02-2024", Some("2024-02-29")),
                ("29-02-2023", None),
                ("31-04-2024", None),
                ("29.02.2000", Some("2000-02-29")),
                ("29-02-1900", None),
                ("2024-12-31T23:30:00-05:00", Some("2024-12-31")),
            ],
        ),
        (
            "DD.MM.YYYY",
            "de",
            "E-Mail,Geburtsdatum",
            &[("29.02.2024", Some("2024-02-29")), ("1.3.2024", Some("2024-03-01")), ("32.01.2024", None)],
        ),
        (
            "DD-MM-YYYY",
            "da",
            "E-mail,Fødselsdato",
            &[("29-02-2024", Some("2024-02-29")), ("00-01-2024", None), ("2024/02/29", Some("2024-02-29"))],
        ),
        (
            "DD/MM/YYYY",
            "fr",
            "Courriel,Date de naissance",
            &[("29/02/2024", Some("2024-02-29")), ("29/02/2023", None), ("2024.02.29", Some("2024-02-29"))],
        ),
        (
            "YYYY-MM-DD",
            "es",
            "Correo electrónico,Fecha de nacimiento",
            &[
                ("2024-02-29", Some("2024-02-29")),
                ("29/02/2024", None),
                ("2023-02-29", None),
                ("1715040000000", Some("2024-05-07")),
            ],
        ),
    ];
    let mut id = 0;
    for (format, lang, header, rows) in cases {
        let mut text = format!("{header}\n");
        for (i, (raw, _)) in rows.iter().enumerate() {
            text.push_str(&format!("{lang}{i}@x.com,{raw}\n"));
        }
        let r = import(
            &store,
            dir.path(),
            &format!("{lang}.csv"),
            &text,
            &["--date-format", format, "--header-lang", lang],
        );
        let date_column = header.split(',').nth(1).unwrap();
        let want_errors: Vec<(u64, &str, &str)> = rows
            .iter()
            .enumerate()
            .filter(|(_, (_, want))| want.is_none())
            .map(|(i, _)| (i as u64 + 2, date_column, "COULD_NOT_PARSE_DATE"))
            .collect();
        assert_eq!(r.codes(), want_errors, "{format} ({lang})");
        assert_eq!(
            r.count("contacts", "created"),
            rows.len() as u64,
            "{format}: value errors keep their rows"
        );
        for (raw, want) in rows {
            id += 1;
            let got = get(&store, "contacts", id);
            assert_eq!(got.get("date_of_birth").and_then(Value::as_str), *want, "{raw} in {format} ({lang})");
        }
    }
    // An unknown format is a usage error.
    let file = dir.path().join("en.csv");
    let out = ingest(&store, &["import", file.to_str().unwrap(), "--date-format", "YYYY/DD"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn datetimes_are_stored_in_utc_across_time_zones_dst_edges_offsets_and_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    // New York: clocks jump 02:00 -> 03:00 on 2024-03-10 and fall back 02:00 -> 01:00
    // on 2024-11-03 (01:00-02:00 happens twice: the earlier, EDT, is taken).
    let new_york: Expected<'_> = &[
        ("2024-03-10 01:59:59", Some("2024-03-10T06:59:59Z")),
        ("2024-03-10 02:30", None),
        ("2024-03-10 03:00", Some("2024-03-10T07:00:00Z")),
        ("2024-11-03 01:30", Some("2024-11-03T05:30:00Z")),
        ("2024-11-03T01:30:00-05:00", Some("2024-11-03T06:30:00Z")),
        ("2024-11-03 02:00", Some("2024-11-03T07:00:00Z")),
        ("2024-07-01", Some("2024-07-01T04:00:00Z")),
        ("2024-01-01", Some("2024-01-01T05:00:00Z")),
        ("5/7/24 10:26", Some("2024-05-07T14:26:00Z")),
        ("3/10/24 2:30 AM", None),
        ("11/3/24 1:30 AM", Some("2024-11-03T05:30:00Z")),
        ("12/31/24 11:59 PM", Some("2025-01-01T04:59:00Z")),
        ("1710052200", Some("2024-03-10T06:30:00Z")),
        ("1710052200000", Some("2024-03-10T06:30:00Z")),
        ("2024-02-29T23:30:00-01:00", Some("2024-03-01T00:30:00Z")),
        ("2023-02-29 10:00", None),
        ("2024-05-07T10:26:00.999Z", Some("2024-05-07T10:26:00Z")),
        ("2024-05-07 10:26 UTC", Some("2024-05-07T10:26:00Z")),
        ("2024-05-07 24:00", None),
        ("171505756", None),
    ];
    let amsterdam: Expected<'_> = &[
        ("27-10-2024 02:30", Some("2024-10-27T00:30:00Z")),
        ("27-10-2024 03:00", Some("2024-10-27T02:00:00Z")),
        ("31-03-2024 03:00", Some("2024-03-31T01:00:00Z")),
        ("07.05.2024 10:26", Some("2024-05-07T08:26:00Z")),
        ("29-02-2024", Some("2024-02-28T23:00:00Z")),
        ("1715077560000", Some("2024-05-07T10:26:00Z")),
    ];
    let utc: Expected<'_> = &[
        ("2024-03-31 02:30", Some("2024-03-31T02:30:00Z")),
        ("2024-05-07T10:26:00+02:00", Some("2024-05-07T08:26:00Z")),
        ("2024-05-07T10:26-0330", Some("2024-05-07T13:56:00Z")),
        ("9999-12-31 23:59:59", Some("9999-12-31T23:59:59Z")),
    ];
    let runs: [(&str, &[&str], Expected<'_>); 3] = [
        ("ny", &["--time-zone", "America/New_York", "--date-format", "MM/DD/YYYY"], new_york),
        ("ams", &["--time-zone", "Europe/Amsterdam", "--date-format", "DD-MM-YYYY"], amsterdam),
        ("utc", &[], utc),
    ];
    let mut id = 0;
    for (name, args, rows) in runs {
        let mut text = String::from("Email,Create Date\n");
        for (i, (raw, _)) in rows.iter().enumerate() {
            text.push_str(&format!("{name}{i}@x.com,{raw}\n"));
        }
        let r = import(&store, dir.path(), &format!("{name}.csv"), &text, args);
        let want_errors: Vec<(u64, &str, &str)> = rows
            .iter()
            .enumerate()
            .filter(|(_, (_, want))| want.is_none())
            .map(|(i, _)| (i as u64 + 2, "Create Date", "COULD_NOT_PARSE_DATE"))
            .collect();
        assert_eq!(r.codes(), want_errors, "{name}");
        for (raw, want) in rows {
            id += 1;
            let got = get(&store, "contacts", id);
            assert_eq!(got.get("createdate").and_then(Value::as_str), *want, "{raw} ({name})");
        }
    }
}

#[test]
fn enumerations_match_values_and_labels_in_any_case_single_and_multi_select() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Ticket name,Category,Priority,Source\n\
                A,Billing issue;PRODUCT_ISSUE,high,chat\n\
                B,billing issue; Billing Issue ;;,URGENT,Phone\n\
                C,Billing issue;Nope,Hoch,x\n\
                D,,Medium,\n\
                E,FEATURE REQUEST,low,EMAIL\n";
    let r = import(&store, dir.path(), "t.csv", text, &["--object", "tickets"]);
    assert_eq!(
        r.codes(),
        [
            (4, "Category", "INVALID_ENUMERATION_OPTION"),
            (4, "Priority", "INVALID_ENUMERATION_OPTION"),
            (4, "Source", "INVALID_ENUMERATION_OPTION")
        ]
    );
    assert_eq!(r.errors[0].2, "Billing issue;Nope", "the whole multi-select value is refused");
    let tickets = properties(&store, "tickets");
    assert_eq!(
        column(&tickets, "hs_ticket_category"),
        [
            json!("BILLING_ISSUE;PRODUCT_ISSUE"),
            json!("BILLING_ISSUE"),
            Value::Null,
            Value::Null,
            json!("FEATURE_REQUEST")
        ],
        "by internal value, each once, in the order written"
    );
    assert_eq!(
        column(&tickets, "hs_ticket_priority"),
        [json!("HIGH"), json!("URGENT"), Value::Null, json!("MEDIUM"), json!("LOW")]
    );
    assert_eq!(
        column(&tickets, "source_type"),
        [json!("CHAT"), json!("PHONE"), Value::Null, Value::Null, json!("EMAIL")]
    );
    // A Dutch file: the header in Dutch, the options as defined.
    let r = import(
        &store,
        dir.path(),
        "nl.csv",
        "Ticketnaam,Prioriteit\nF,Hoog\nG,high\n",
        &["--object", "tickets", "--header-lang", "nl"],
    );
    assert_eq!(r.codes(), [(2, "Prioriteit", "INVALID_ENUMERATION_OPTION")]);
    assert_eq!(get(&store, "tickets", 7)["hs_ticket_priority"], "HIGH");
    // Custom options: non-ASCII labels fold case. Options that would make a cell
    // ambiguous (one option's value is another's label) are refused when defined,
    // so AMBIGUOUS_ENUMERATION_OPTION never reaches an import of a custom property.
    let out = ingest(
        &store,
        &["schema", "add-property", "contacts", "mood", "--type", "enumeration", "--options", "a:Ärger,b:A"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("options 'a' and 'b' would match the same cells"), "{}", stderr(&out));
    ok_stdout(&ingest(
        &store,
        &[
            "schema",
            "add-property",
            "contacts",
            "mood",
            "--type",
            "enumeration",
            "--options",
            "a:Ärger,b:Bof,oe:Œuvre",
        ],
    ));
    ok_stdout(&ingest(
        &store,
        &[
            "schema",
            "add-property",
            "contacts",
            "tags",
            "--type",
            "enumeration",
            "--options",
            "x:Ex,y:Why",
            "--multiple",
        ],
    ));
    let text = "Email,mood,tags\n\
                a@x.com,ÄRGER,why;EX;x\n\
                b@x.com,œuvre,y\n\
                c@x.com,B,\n\
                d@x.com,ärg,why;zed\n";
    let r = import(&store, dir.path(), "custom.csv", text, &[]);
    assert_eq!(
        r.codes(),
        [(5, "mood", "INVALID_ENUMERATION_OPTION"), (5, "tags", "INVALID_ENUMERATION_OPTION")]
    );
    let contacts = properties(&store, "contacts");
    assert_eq!(column(&contacts, "mood"), [json!("a"), json!("oe"), json!("b"), Value::Null]);
    assert_eq!(column(&contacts, "tags"), [json!("y;x"), json!("y"), Value::Null, Value::Null]);
}

#[test]
fn booleans_read_english_words_and_the_header_languages() {
    // (language, header of companies' is_public, true words, false words, a word of
    // another language)
    let langs: [BoolWords<'_>; 6] = [
        ("en", "Is Public", &["true", "Yes", "1", "y", "T"], &["false", "NO", "0", "n", "f"], "ja"),
        ("nl", "Beursgenoteerd", &["ja", "WAAR", "j", "yes"], &["nee", "onwaar", "N", "false"], "oui"),
        ("da", "Børsnoteret", &["ja", "sand", "J"], &["nej", "falsk", "no"], "nein"),
        ("de", "Börsennotiert", &["ja", "wahr", "TRUE"], &["nein", "falsch", "0"], "oui"),
        ("fr", "Cotée en bourse", &["oui", "vrai", "o"], &["non", "faux", "n"], "ja"),
        ("es", "Cotiza en bolsa", &["sí", "SÍ", "si", "verdadero", "s"], &["no", "falso", "F"], "oui"),
    ];
    for (lang, header, yes, no, foreign) in langs {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        let domain = if lang == "en" { "Company Domain Name" } else { "Domain" };
        let mut text = format!("{domain},{header}\n");
        let words: Vec<(&str, Value)> = yes
            .iter()
            .map(|w| (*w, json!(true)))
            .chain(no.iter().map(|w| (*w, json!(false))))
            .chain([(foreign, Value::Null), ("maybe", Value::Null)])
            .collect();
        for (i, (word, _)) in words.iter().enumerate() {
            text.push_str(&format!("c{i}.com,{word}\n"));
        }
        let r = import(&store, dir.path(), "b.csv", &text, &["--header-lang", lang]);
        let n = words.len() as u64;
        assert_eq!(r.codes(), [(n, header, "INVALID_BOOLEAN"), (n + 1, header, "INVALID_BOOLEAN")], "{lang}");
        let got = column(&properties(&store, "companies"), "is_public");
        let want: Vec<Value> = words.iter().map(|w| w.1.clone()).collect();
        assert_eq!(got, want, "{lang}");
    }
}

#[test]
fn internationalized_emails_are_one_identifier_and_invalid_ones_fail_their_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Email,First Name\n\
                josé.müller@exämple.de,A\n\
                JOSÉ.MÜLLER@EXÄMPLE.DE,B\n\
                josé.müller@xn--exmple-cua.de,C\n\
                søren@ærø.dk,D\n\
                SØREN@XN--R-3FA9C.DK,E\n\
                δοκιμή@παράδειγμα.δοκιμή,F\n\
                o'brien+tag@x.com,G\n\
                a!b#c$d&e*f=g?h^i`j{k|l}m~n/o@x.com,H\n\
                .dot@x.com,I\n\
                two..dots@x.com,J\n\
                a@-x.com,K\n\
                josé@müller,L\n\
                \"\"\"quoted\"\"@x.com\",M\n\
                a@b@x.com,N\n\
                @x.com,O\n";
    let r = import(&store, dir.path(), "e.csv", text, &[]);
    let invalid: Vec<(u64, &str, &str)> = (10..=16).map(|l| (l, "Email", "INVALID_EMAIL")).collect();
    assert_eq!(r.codes(), invalid);
    assert_eq!(
        (r.count("contacts", "created"), r.count("contacts", "updated"), r.count("contacts", "failed")),
        (5, 3, 7)
    );
    let contacts = properties(&store, "contacts");
    assert_eq!(
        column(&contacts, "email"),
        [
            json!("josé.müller@exämple.de"),
            json!("søren@ærø.dk"),
            json!("δοκιμή@παράδειγμα.δοκιμή"),
            json!("o'brien+tag@x.com"),
            json!("a!b#c$d&e*f=g?h^i`j{k|l}m~n/o@x.com")
        ]
    );
    assert_eq!(column(&contacts, "firstname"), [json!("C"), json!("E"), json!("F"), json!("G"), json!("H")]);
    // `get --by` normalizes the same way.
    let by = ok_stdout(&ingest(
        &store,
        &["get", "contacts", "--by", "email=JOSÉ.MÜLLER@xn--exmple-cua.de", "--json"],
    ));
    assert_eq!(serde_json::from_str::<Value>(&by).unwrap()["id"], 1);
    // In a property that is not the identifier, an invalid email is a value error.
    ok_stdout(&ingest(&store, &["schema", "add-property", "contacts", "assistant", "--type", "email"]));
    let r = import(
        &store,
        dir.path(),
        "f.csv",
        "Email,assistant\nz@x.com,ASSISTANT@Exämple.DE\ny@x.com,not-an-email\n",
        &[],
    );
    assert_eq!(r.codes(), [(3, "assistant", "INVALID_EMAIL")]);
    assert_eq!(r.count("contacts", "created"), 2);
    let contacts = properties(&store, "contacts");
    assert_eq!(column(&contacts[5..], "assistant"), [json!("assistant@exämple.de"), Value::Null]);
}

#[test]
fn internationalized_domains_are_one_company_in_their_unicode_form() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Company name,Company Domain Name\n\
                A,MÜLLER.de\n\
                B,xn--mller-kva.de\n\
                C,https://www.müller.de:8443/kontakt?x=1\n\
                D,mu\u{308}ller.de\n\
                E,WWW.XN--MLLER-KVA.DE.\n\
                F,ærø.dk\n\
                G,XN--R-3FA9C.DK\n\
                H,müller\n\
                I,-müller.de\n\
                J,müller-.de\n\
                K,xn--zz.de\n\
                L,a..b.com\n\
                M,http://\n";
    let r = import(&store, dir.path(), "co.csv", text, &[]);
    let invalid: Vec<(u64, &str, &str)> =
        (9..=14).map(|l| (l, "Company Domain Name", "INVALID_DOMAIN")).collect();
    assert_eq!(r.codes(), invalid);
    assert_eq!(
        (r.count("companies", "created"), r.count("companies", "updated"), r.count("companies", "failed")),
        (2, 5, 6)
    );
    let companies = properties(&store, "companies");
    assert_eq!(
        companies,
        [json!({"name": "E", "domain": "müller.de"}), json!({"name": "G", "domain": "ærø.dk"})]
    );
    for spelling in ["müller.de", "MÜLLER.DE", "xn--mller-kva.de", "https://www.Müller.de/"] {
        let by = ok_stdout(&ingest(
            &store,
            &["get", "companies", "--by", &format!("domain={spelling}"), "--json"],
        ));
        assert_eq!(serde_json::from_str::<Value>(&by).unwrap()["id"], 1, "{spelling}");
    }
    // A domain property that is not the identifier: the same normal form, and an
    // invalid value is a value error.
    ok_stdout(&ingest(&store, &["schema", "add-property", "companies", "parent_domain", "--type", "domain"]));
    let r = import(
        &store,
        dir.path(),
        "p.csv",
        "Company Domain Name,parent_domain\nbeta.io,HTTPS://WWW.XN--MLLER-KVA.DE/\ngamma.io,not a domain\n",
        &[],
    );
    assert_eq!(r.codes(), [(3, "parent_domain", "INVALID_DOMAIN")]);
    let companies = properties(&store, "companies");
    assert_eq!(column(&companies[2..], "parent_domain"), [json!("müller.de"), Value::Null]);
}

/// SPEC 2 and RFC 6532: an address written in decomposed Unicode (NFD, as macOS and
/// some exports write it) is the same address as its composed form (NFC).
#[test]

fn an_email_in_decomposed_unicode_is_the_same_contact() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Email,First Name\njosé.müller@exämple.de,A\njose\u{301}.mu\u{308}ller@exa\u{308}mple.de,B\n";
    let r = import(&store, dir.path(), "nfd.csv", text, &[]);
    assert_eq!(r.codes(), []);
    assert_eq!(
        properties(&store, "contacts"),
        [json!({"email": "josé.müller@exämple.de", "firstname": "B"})]
    );
}

/// An email's stored normal form must read back as the same email: `İ` lowercases
/// to `i` + U+0307, which the import then refuses, so the export does not re-import.
#[test]

fn a_stored_email_always_imports_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    import(&store, dir.path(), "a.csv", "Email,First Name\nİsmail@firma.com.tr,A\n", &[]);
    let stored = properties(&store, "contacts")[0]["email"].as_str().unwrap().to_owned();
    let r = import(&store, dir.path(), "b.csv", &format!("Email,First Name\n{stored},B\n"), &[]);
    assert_eq!(r.codes(), []);
    assert_eq!(r.count("contacts", "updated"), 1);
}

/// SPEC 8: numbers are exported as JSON numbers, and the store keeps them exactly;
/// the export must not round them through a 64-bit float.
#[test]

fn numbers_are_exported_exactly_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Company Domain Name,Annual Revenue,Number of Employees\n\
                a.com,123456789012345678901234,99999999999999999999\n\
                b.com,1234567.891234567891,1\n";
    import(&store, dir.path(), "n.csv", text, &["--number-locale", "en"]);
    let lines = ok_stdout(&ingest(&store, &["export", "companies", "--format", "jsonl"]));
    assert!(lines.contains("\"annualrevenue\":123456789012345678901234"), "{lines}");
    assert!(lines.contains("\"numberofemployees\":99999999999999999999"), "{lines}");
    assert!(lines.contains("\"annualrevenue\":1234567.891234567891"), "{lines}");
}

/// SPEC 4: "ISO 8601 always accepted". `20240507` and `20240507T102600Z` are ISO
/// 8601's basic format of the same date and instant as `2024-05-07` and
/// `2024-05-07T10:26:00Z`.
#[test]

fn iso_8601_basic_dates_and_datetimes_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let text = "Email,Date of birth,Create Date\na@x.com,20240507,20240507T102600Z\n";
    let r = import(&store, dir.path(), "iso.csv", text, &[]);
    assert_eq!(r.codes(), []);
    let got = get(&store, "contacts", 1);
    assert_eq!(
        (&got["date_of_birth"], &got["createdate"]),
        (&json!("2024-05-07"), &json!("2024-05-07T10:26:00Z"))
    );
}

/// A local time that the time zone skips is written in the right format: the error
/// must say that the time does not exist there, not send the user to --date-format.
#[test]

fn a_time_skipped_by_dst_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let file = dir.path().join("dst.csv");
    std::fs::write(&file, "Email,Create Date\na@x.com,2024-03-31 02:30\n").unwrap();
    let out =
        ingest(&store, &["import", file.to_str().unwrap(), "--time-zone", "Europe/Amsterdam", "--json"]);
    let summary: Value = serde_json::from_str(ok_stdout(&out).trim()).unwrap();
    let errors = std::fs::read_to_string(summary["error_file"].as_str().unwrap()).unwrap();
    assert!(errors.contains("COULD_NOT_PARSE_DATE"), "{errors}");
    assert!(errors.contains("Europe/Amsterdam") && !errors.contains("--date-format"), "{errors}");
}
