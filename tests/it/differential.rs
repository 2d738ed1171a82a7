//! Differential tests: the same imports with 1 thread and with many, and with
//! chunk sizes from one byte to the whole file, give byte-identical exports,
//! error files, rejected-rows files and result files (SPEC 3: the outcome does
//! not depend on the thread count).

use std::path::{Path, PathBuf};

use engine::import::{ImportSpec, run};
use engine::progress::Progress;
use store::Store;

/// Everything an import sequence leaves behind, as bytes.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    export: Vec<u8>,
    reports: Vec<Vec<u8>>,
    summaries: Vec<String>,
}

/// The chunk size of the sequential baseline: one chunk.
const BASELINE_CHUNK: usize = usize::MAX / 2;

/// Imports `files` in turn as multi-object files of `objects` (one object: a
/// plain import) and exports every object with its associations.
fn import_objects(
    files: &[PathBuf],
    objects: &[&str],
    maps: &[&str],
    threads: usize,
    chunk: Option<usize>,
    tweak: fn(&mut ImportSpec),
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("s.redb")).unwrap();
    let mut reports = Vec::new();
    let mut summaries = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let report_dir = dir.path().join(format!("r{i}"));
        let results = dir.path().join(format!("results{i}.csv"));
        let mut opts = ImportSpec {
            files: vec![file.clone()],
            objects: objects.iter().map(|o| (*o).to_owned()).collect(),
            maps: maps.iter().map(|m| (*m).to_owned()).collect(),
            skip_unmapped: true,
            threads: Some(threads),
            chunk_bytes: chunk,
            report_dir: Some(report_dir.clone()),
            results: Some(results.clone()),
            ..ImportSpec::default()
        };
        tweak(&mut opts);
        // The sequential baseline runs after its dry run, which must agree with it
        // (every other way must equal the baseline).
        let s = if threads == 1 && chunk == Some(BASELINE_CHUNK) {
            let s;
            (store, s) = crate::support::run_checked(store, &opts);
            s
        } else {
            run(&store, &opts, &Progress::hidden()).unwrap()
        };
        summaries.push(format!("{:?} {} {} {}", s.objects, s.rows, s.rows_failed, s.errors));
        for p in [report_dir.join("errors.csv"), report_dir.join("rejected.csv"), results] {
            reports.push(std::fs::read(p).unwrap());
        }
    }
    Outcome { export: export_jsonl(&store, objects), reports, summaries }
}

/// Every record of `objects`, in turn, as `export --format jsonl` writes them.
fn export_jsonl(store: &Store, objects: &[&str]) -> Vec<u8> {
    let read = store.begin_read().unwrap();
    let schema = read.schema().unwrap();
    let mut export = Vec::new();
    for object in objects {
        engine::export::export(
            &read,
            schema.object(object).unwrap(),
            engine::export::Format::Jsonl,
            &mut export,
        )
        .unwrap();
    }
    export
}

fn check_all_ways(files: &[PathBuf], object: &str, chunks: &[usize]) {
    check_objects_all_ways(files, &[object], &[], chunks);
}

fn check_objects_all_ways(files: &[PathBuf], objects: &[&str], maps: &[&str], chunks: &[usize]) {
    check_spec_all_ways(files, objects, maps, chunks, |_| {});
}

/// As [`check_objects_all_ways`], with options set by `tweak`.
fn check_spec_all_ways(
    files: &[PathBuf],
    objects: &[&str],
    maps: &[&str],
    chunks: &[usize],
    tweak: fn(&mut ImportSpec),
) {
    let baseline = import_objects(files, objects, maps, 1, Some(BASELINE_CHUNK), tweak);
    assert!(!baseline.export.is_empty());
    for &threads in &[1, 2, 4] {
        for &chunk in chunks {
            let got = import_objects(files, objects, maps, threads, Some(chunk), tweak);
            assert!(got == baseline, "threads {threads}, chunk {chunk} differ from the sequential import");
        }
        let got = import_objects(files, objects, maps, threads, None, tweak);
        assert!(got == baseline, "threads {threads}, default chunks differ");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn generated_contacts_and_updates_are_identical_at_every_thread_count_and_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let files = engine::datagen::generate(&["contacts".to_owned()], 2_000, 11, dir.path(), true).unwrap();
    check_all_ways(&files, "contacts", &[1, 37, 256, 4096, 65_536]);
}

#[test]
fn generated_companies_are_identical_at_every_thread_count_and_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let files = engine::datagen::generate(&["companies".to_owned()], 1_500, 5, dir.path(), false).unwrap();
    check_all_ways(&files, "companies", &[1, 100, 8192]);
}

#[test]
fn malformed_input_is_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    // Quoted newlines, CRLF, a stray quote in an unquoted field, wrong field counts,
    // a NUL byte, invalid UTF-8, a quote that never closes, duplicates by case.
    let mut text = String::from("Email,First Name,City\r\n");
    for i in 0..300 {
        match i % 23 {
            0 => text.push_str(&format!("\"multi{i}@x.com\",\"line\r\nbreak\",Oslo\r\n")),
            5 => text.push_str(&format!("odd{i}@x.com,O\"Brien,Bergen\r\n")),
            7 => text.push_str("too,many,fields,here\r\n"),
            11 => text.push_str(&format!("nul{i}@x.com,A\0B,Paris\r\n")),
            13 => text.push_str(&format!("DUP{}@X.COM , Again,Rome\r\n", i - 6)),
            17 => text.push_str(&format!("q{i}@x.com,\"quoted, comma\",\"\"\"Lisbon\"\"\"\r\n")),
            _ => text.push_str(&format!("dup{i}@x.com,Name{i},City{}\r\n", i % 7)),
        }
    }
    text.push_str("late@x.com,\"never closes,Oslo\r\nafter@x.com,After,Turku\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"bad@x.com,\xff\xfe,Kyiv\r\nlast@x.com,Last,Riga");
    let p = dir.path().join("messy.csv");
    std::fs::write(&p, bytes).unwrap();
    check_all_ways(&[p], "contacts", &[1, 2, 3, 5, 8, 13, 64, 500]);
    let q = write(dir.path(), "few.csv", "Email\na@b.co\n");
    check_all_ways(&[q], "contacts", &[1, 4]);
}

#[test]
fn heavily_repeated_identifiers_are_identical_at_every_chunk_size() {
    // A few records updated over and over within one piece and across pieces:
    // created by the first file and then rewritten, or stored and then rewritten by
    // the second; values that change, repeat (unchanged), are invalid or blank.
    let dir = tempfile::tempdir().unwrap();
    let cities = ["Oslo", "Oslo", "Bergen", "", "Oslo"];
    let mut first = String::from("Email,First Name,City,Phone Number,Email Opt Out\n");
    for i in 0..1_500 {
        let optout = ["yes", "no", "", "maybe"][i % 4];
        first.push_str(&format!(
            "user{}@x.com,Name{},{},+47 {},{optout}\n",
            i % 9,
            i % 4,
            cities[i % cities.len()],
            i % 3
        ));
    }
    let mut second = String::from("Email,First Name,City\n");
    for i in 0..1_500 {
        second.push_str(&format!("USER{}@x.com,Other{},{}\n", i % 13, i % 2, cities[(i / 7) % cities.len()]));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    check_all_ways(&files, "contacts", &[1, 13, 100, 4096]);
}

#[test]
fn deals_with_pipelines_stages_and_record_ids_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let stages = ["Closed Won", "qualifiedtobuy", "", "New", "Contract Sent", "closedlost"];
    let mut first = String::from("Deal Name,Amount,Deal Stage,Pipeline,Close Date\n");
    for i in 0..900 {
        let pipeline = ["", "Sales Pipeline", "default", "Renewals"][i % 4];
        first.push_str(&format!(
            "Müller deal {},{}.{:02},{},{pipeline},2025-0{}-1{}T10:00:00+02:00\n",
            i % 50,
            i * 7,
            i % 100,
            stages[i % stages.len()],
            1 + i % 9,
            i % 10
        ));
    }
    // The second file updates deals by record ID (some that do not exist).
    let mut second = String::from("Record ID,Deal Stage,Amount\n");
    for i in 0..600 {
        second.push_str(&format!("{},{},{}\n", 1 + (i * 13) % 950, stages[(i / 3) % stages.len()], i));
    }
    let files = [write(dir.path(), "deals.csv", &first), write(dir.path(), "update.csv", &second)];
    check_all_ways(&files, "deals", &[1, 17, 300, 4096]);
}

#[test]
fn a_column_decided_late_in_the_file_is_identical_at_every_chunk_size() {
    // Dates that fit both orders until the last rows, where 25/03 decides day first:
    // the import reads the file again, whatever the chunks. Numbers in the Dutch
    // convention decided by 2.500,75; IDN domains; whole numbers with fractions.
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        String::from("Company Domain Name,Name,Annual Revenue,Number of Employees,Close Date,Is Public\n");
    for i in 0..800 {
        let domain = ["ærø{i}.dk", "MÜLLER{i}.de", "xn--mller-kva{i}.de", "acme{i}.com"][i % 4]
            .replace("{i}", &(i % 300).to_string());
        let revenue = if i % 5 == 0 { "1.250".to_owned() } else { format!("{}", i * 3) };
        let employees = ["12", "1.5", "", "1.250"][i % 4];
        text.push_str(&format!(
            "{domain},Firma {i},{revenue},{employees},0{}/0{}/2025,{}\n",
            1 + i % 9,
            1 + i % 8,
            ["ja", "nee", "yes", ""][i % 4]
        ));
    }
    text.push_str("late.dk,Late,\"2.500,75\",3,25/03/2025,ja\n");
    let file = write(dir.path(), "companies.csv", &text);
    check_all_ways(&[file], "companies", &[1, 29, 512, 8192]);
}

#[test]
fn activities_created_then_matched_by_record_id_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = String::from("Note body,Activity date\n");
    for i in 0..700 {
        let ts =
            if i % 11 == 0 { String::new() } else { format!("2025-01-{:02}T0{}:00:00Z", 1 + i % 28, i % 10) };
        first.push_str(&format!("Called {i} about the offer,{ts}\n"));
    }
    let mut second = String::from("Record ID,Note body,Activity date\n");
    for i in 0..400 {
        let id = if i % 3 == 0 { String::new() } else { (1 + (i * 7) % 800).to_string() };
        second.push_str(&format!("{id},Again {i},2025-02-01T10:00:00Z\n"));
    }
    let files = [write(dir.path(), "notes.csv", &first), write(dir.path(), "again.csv", &second)];
    check_all_ways(&files, "notes", &[1, 23, 700, 65_536]);
}

#[test]
fn secondary_emails_and_record_id_moves_are_identical_at_every_chunk_size() {
    // Contacts that gain secondary emails, are matched by them, and whose primary
    // email moves through record-ID rows (the old one becoming secondary), with
    // conflicts across pieces: the index overlay and the rewrites must follow
    // file order at every piece boundary.
    let dir = tempfile::tempdir().unwrap();
    let mut first = String::from("Email,First Name,Additional email addresses\n");
    for i in 0..600 {
        let extra = match i % 5 {
            0 => format!("alt{}@x.com", i % 17),
            1 => format!("ALT{}@x.com;øre{}@ærø.dk", i % 11, i % 7),
            _ => String::new(),
        };
        first.push_str(&format!("user{}@x.com,Name{},{extra}\n", i % 23, i % 3));
    }
    let mut second = String::from("Record ID,Email,City\n");
    for i in 0..600 {
        let id = if i % 3 == 0 { ((i % 20) + 1).to_string() } else { String::new() };
        let email = match i % 4 {
            0 => format!("alt{}@x.com", i % 17),
            1 => format!("øre{}@ærø.dk", i % 7),
            2 => format!("user{}@x.com", i % 29),
            _ => String::new(),
        };
        second.push_str(&format!("{id},{email},City{}\n", i % 5));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    check_all_ways(&files, "contacts", &[1, 29, 500, 4096]);
}

#[test]
fn spreadsheets_and_parquet_files_are_identical_at_every_thread_count_and_chunk_size() {
    // Converted inputs go through the same pieces: their typed numbers (kept by byte
    // offset) and row numbers must not depend on where the pieces are cut.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let files: Vec<PathBuf> = [
        "contacts.xlsx",
        "quirks.xlsx",
        "contacts.ods",
        "contacts.xls",
        "typed.parquet",
        "contacts_1904.xlsx",
    ]
    .iter()
    .map(|f| fixtures.join(f))
    .collect();
    check_all_ways(&files, "contacts", &[1, 7, 64, 4096]);
}

#[test]
fn multi_object_files_with_shared_companies_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = String::from("Email,First Name,Company Name,Company Domain Name,Deal Name,Amount\n");
    let domains = ["acme.com", "ærø.dk", "exämple.de", "beta.io", ""];
    for i in 0..400 {
        let email = if i % 7 == 0 { String::new() } else { format!("josé.{}@exämple.de", i % 90) };
        let domain = domains[i % domains.len()];
        let company = if domain.is_empty() { String::new() } else { format!("Firma {}", i % 5) };
        let deal = if i % 3 == 0 { format!("Deal {i}") } else { String::new() };
        let amount = if deal.is_empty() { String::new() } else { format!("{}", i * 10) };
        let bad = if i % 41 == 0 { "not-an-email" } else { "" };
        first.push_str(&format!("{email}{bad},Name {i},{company},{domain},{deal},{amount}\n"));
    }
    let mut second = String::from("Email,Company Domain Name,Company Name\n");
    for i in (0..120).rev() {
        second.push_str(&format!("josé.{}@exämple.de,{},Other {i}\n", i % 60, domains[(i + 1) % 4]));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    check_objects_all_ways(&files, &["contacts", "companies", "deals"], &[], &[1, 37, 500, 4096]);
}

#[test]
fn association_columns_naming_earlier_and_later_rows_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut companies = String::from("Company Domain Name,Company Name\n");
    for i in 0..30 {
        companies.push_str(&format!("firma{i}.de,Firma {i}\n"));
    }
    // Each contact refers to one created 5 rows before and one created 5 rows
    // after it (not found: it does not exist yet when the row is applied).
    let mut contacts = String::from("Email,Referred by,Companies,Role\n");
    for i in 0..300 {
        let before = if i >= 5 { format!("zoë.{}@exämple.de", i - 5) } else { String::new() };
        contacts.push_str(&format!(
            "zoë.{i}@exämple.de,{before};zoë.{}@exämple.de,firma{}.de;firma{}.de;nope.de,{}\n",
            i + 5,
            i % 30,
            (i * 7) % 30,
            if i % 4 == 0 { "Owner" } else { "" }
        ));
    }
    let files = [write(dir.path(), "co.csv", &companies), write(dir.path(), "c.csv", &contacts)];
    let maps = [
        "Referred by=assoc:contacts.email",
        "Companies=assoc:companies.domain",
        "Role=label:contacts-companies",
    ];
    let run_all = |threads: usize, chunk: Option<usize>| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.redb")).unwrap();
        let session = store.begin_write().unwrap();
        let mut schema = session.schema().unwrap();
        let def = schema.objects.iter_mut().find(|o| o.name == "companies").unwrap();
        def.association_mut("contacts")
            .labels
            .push(store::schema::AssociationLabel { id: 1, name: "Owner".into() });
        session.save_object(def).unwrap();
        session.commit(true).unwrap();
        let mut summaries = Vec::new();
        for (i, (file, objects, maps)) in
            [(&files[0], "companies", &[][..]), (&files[1], "contacts", &maps[..])].into_iter().enumerate()
        {
            let report_dir = dir.path().join(format!("r{i}"));
            let opts = ImportSpec {
                files: vec![file.clone()],
                objects: vec![objects.to_owned()],
                maps: maps.iter().map(|m| (*m).to_owned()).collect(),
                threads: Some(threads),
                chunk_bytes: chunk,
                report_dir: Some(report_dir.clone()),
                ..ImportSpec::default()
            };
            let s = run(&store, &opts, &Progress::hidden()).unwrap();
            summaries.push(format!("{:?} {:?} {}", s.objects, s.associations, s.errors));
            summaries.push(std::fs::read_to_string(report_dir.join("errors.csv")).unwrap());
        }
        (export_jsonl(&store, &["contacts", "companies"]), summaries)
    };
    let baseline = run_all(1, Some(usize::MAX / 2));
    assert!(baseline.1[3].contains("ASSOCIATION_RECORD_NOT_FOUND"), "{}", baseline.1[3]);
    for threads in [1, 2, 4] {
        for chunk in [Some(1), Some(29), Some(700), Some(4096), None] {
            assert!(run_all(threads, chunk) == baseline, "threads {threads}, chunk {chunk:?} differ");
        }
    }
}

#[test]
fn domain_requests_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Email,Company Domain Name,Company Name\n");
    let hosts = ["acme.com", "ærø.dk", "gmail.com", "exämple.de", "beta.io"];
    for i in 0..300 {
        let host = hosts[(i * 7) % hosts.len()];
        // Every fifth row names a company of its own, some of them a domain an
        // earlier or later row's email asks for.
        let (domain, name) = if i % 5 == 0 {
            (hosts[(i / 5) % hosts.len()], format!("Firma {i}"))
        } else {
            ("", String::new())
        };
        text.push_str(&format!("p{}@{host},{domain},{name}\n", i % 120));
    }
    let file = write(dir.path(), "c.csv", &text);
    let run_all = |threads: usize, chunk: Option<usize>| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.redb")).unwrap();
        let opts = ImportSpec {
            files: vec![file.clone()],
            objects: vec!["contacts".into(), "companies".into()],
            associate_by_domain: true,
            threads: Some(threads),
            chunk_bytes: chunk,
            report_dir: Some(dir.path().join("r")),
            ..ImportSpec::default()
        };
        let s = run(&store, &opts, &Progress::hidden()).unwrap();
        (
            export_jsonl(&store, &["contacts", "companies"]),
            format!("{:?} {:?} {}", s.objects, s.associations, s.errors),
        )
    };
    let baseline = run_all(1, Some(usize::MAX / 2));
    assert!(baseline.1.contains("created: "), "{}", baseline.1);
    for threads in [1, 2, 4] {
        for chunk in [Some(1), Some(33), Some(900), None] {
            assert!(run_all(threads, chunk) == baseline, "threads {threads}, chunk {chunk:?} differ");
        }
    }
}

#[test]
fn hubspot_sections_with_record_ids_and_associated_columns_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = String::from(
        "Record ID - Contact,Email,First Name,Create Date,Record ID - Company,Company name,Company Domain Name,Create Date,Record ID - Deal,Deal Name,Associated Contact Email\n",
    );
    let domains = ["acme.com", "ærø.dk", "exämple.de", ""];
    for i in 0..300 {
        let domain = domains[i % domains.len()];
        let company = if domain.is_empty() { String::new() } else { format!("Firma {}", i % 3) };
        let deal = if i % 2 == 0 { format!("Deal {i}") } else { String::new() };
        // A deal also names an earlier row's contact, or a later one's (not found yet).
        let other =
            if deal.is_empty() { String::new() } else { format!("søren.{}@exämple.de", (i * 7) % 300) };
        let date = if i % 5 == 0 { "" } else { "2024-03-0{}" };
        let date = date.replace("{}", &((i % 9) + 1).to_string());
        first.push_str(&format!(
            ",søren.{}@exämple.de,Søren {i},{date},,{company},{domain},2020-01-01,,{deal},{other}\n",
            i % 150
        ));
    }
    // The same records by record ID (some missing), changed.
    let mut second = String::from("Record ID - Contact,First Name,Record ID - Company,Company name\n");
    for i in (1..200).rev() {
        let company = if i % 4 == 0 { String::new() } else { (i % 5).to_string() };
        second.push_str(&format!("{},Ærwin {i},{company},Name {i}\n", i % 170));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    check_objects_all_ways(&files, &["contacts", "companies", "deals"], &[], &[1, 53, 700, 4096]);
}

#[test]
fn records_created_with_their_own_ids_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    // Record IDs out of order, repeated, next to rows without one, companies
    // referring to contacts created by their record ID, and emails that clash.
    let mut first = String::from(
        "Record ID - Contact,Email,First Name,Record ID - Company,Company Domain Name,Associated Contact IDs\n",
    );
    for i in 0..300u64 {
        let id = if i % 4 == 3 { String::new() } else { ((i * 37) % 211 + 1).to_string() };
        let email = if i % 5 == 0 { String::new() } else { format!("zoë.{}@ærø.dk", i % 120) };
        let company = if i % 3 == 0 { ((i * 11) % 50 + 1).to_string() } else { String::new() };
        let domain = if i % 3 == 0 { format!("firma{}.dk", i % 40) } else { String::new() };
        let other = if i % 6 == 0 { ((i * 5) % 211 + 1).to_string() } else { String::new() };
        first.push_str(&format!("{id},{email},Zoë {i},{company},{domain},{other}\n"));
    }
    let mut second = String::from("Email,First Name\n");
    for i in 0..100 {
        second.push_str(&format!("åsa.{i}@exämple.de,Åsa\n"));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    check_spec_all_ways(&files, &["contacts", "companies"], &[], &[1, 61, 900, 4096], |spec| {
        spec.create_with_ids = true;
    });
}

#[test]
fn association_columns_by_company_name_are_identical_at_every_chunk_size() {
    let dir = tempfile::tempdir().unwrap();
    // Rows create companies and rename them (names repeat across domains, so some
    // are ambiguous for a while), and name companies by name in other cases and
    // spacings: created or renamed by earlier rows, by later ones, or by none.
    let mut first = String::from("Email,Company Domain Name,Company Name,Employer\n");
    for i in 0..300 {
        let (domain, name) = if i % 3 == 0 {
            (format!("firma{}.de", i % 40), format!("Firma {}", (i * 11) % 25))
        } else {
            (String::new(), String::new())
        };
        let employer = match i % 4 {
            0 => format!("FIRMA  {}", (i * 7) % 30),
            1 => format!("firma {};Ærø {}", (i * 3) % 30, i % 7),
            2 => String::new(),
            _ => format!(" Firma {} ", (i + 40) % 25),
        };
        first.push_str(&format!("zoë.{}@exämple.de,{domain},{name},{employer}\n", i % 120));
    }
    let mut second = String::from("Email,Company Name,Company Domain Name,Employer\n");
    for i in (0..150).rev() {
        let (name, domain) = if i % 5 == 0 {
            (format!("ærø {}", i % 7), format!("ærø{}.dk", i % 9))
        } else {
            Default::default()
        };
        second.push_str(&format!("søren.{i}@ærø.dk,{name},{domain},ÆRØ {};Firma {}\n", i % 7, i % 25));
    }
    let files = [write(dir.path(), "first.csv", &first), write(dir.path(), "second.csv", &second)];
    let objects = ["contacts", "companies"];
    let maps = ["Employer=assoc:companies.name"];
    let baseline = import_objects(&files, &objects, &maps, 1, None, |_| {});
    let errors = String::from_utf8_lossy(&baseline.reports[0]).into_owned()
        + &String::from_utf8_lossy(&baseline.reports[3]);
    for code in ["ASSOCIATION_RECORD_NOT_FOUND", "AMBIGUOUS_ASSOCIATION_RECORD"] {
        assert!(errors.contains(code), "{code}: {errors}");
    }
    assert!(
        String::from_utf8_lossy(&baseline.export).contains(r#""associations":{"companies":"#),
        "some names link"
    );
    check_objects_all_ways(&files, &objects, &maps, &[1, 41, 600, 4096]);
}
