//! The value normalizers ([`engine::normalize::values`]) and the whole transform stage.
//!
//! - `normalize/*`: each normalizer over a realistic mix of cells, trimmed and
//!   non-blank as the transform stage passes them: the generated contacts' emails
//!   (with the generator's ~2% case/space variants and ~0.5% invalid ones), company
//!   domains mixed with website URLs, employee counts and revenues written the
//!   English (`1,234,567.50`) and the Dutch (`1.234.567,50`) way with currency
//!   marks, dates in ISO and day-first forms with a few invalid ones, and
//!   lifecycle stages (an enumeration matched by value or label). Throughput is
//!   cells per second.
//! - `transform/*`: [`engine::normalize::transform::transform`] on the decoded pieces of the
//!   ~20 MB contacts file, on one thread, against an empty store and against the
//!   200k-contact store of the resolve benches, which holds every contact of the
//!   file (so every identifier lookup hits).
//!   Throughput is rows and bytes per second.

use std::hint::black_box;

use bench::{COMPANY_ROWS, FILE_ROWS, Input, STORE_ROWS, clone_piece, companies_csv, contacts_csv};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use engine::codes::ErrorCode;
use engine::normalize::values::{self, DateOrder, NumberLocale, ValueOptions};
use engine::resolve::KeyIndex;
use store::Store;

/// Most cells of one kind normalized per iteration.
const MAX_CELLS: usize = 50_000;

/// Takes up to [`MAX_CELLS`] cells, alternating between `a` and `b`.
fn interleave(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out.truncate(MAX_CELLS);
    out
}

/// Numbers in English notation (`,` groups, `.` decimals), with decimals and
/// currency marks on some of them.
fn english_numbers(companies: &Input) -> Vec<String> {
    let plain = interleave(companies.column("Number of Employees"), companies.column("Annual Revenue"));
    plain
        .into_iter()
        .enumerate()
        .map(|(i, v)| match i % 4 {
            0 => v,
            1 => format!("{v}.50"),
            2 => format!("$ {v}"),
            _ => format!("{v} USD"),
        })
        .collect()
}

/// The same numbers in Dutch notation (`.` groups, `,` decimals).
fn dutch_numbers(english: &[String]) -> Vec<String> {
    english
        .iter()
        .map(|v| {
            v.chars()
                .map(|c| match c {
                    ',' => '.',
                    '.' => ',',
                    c => c,
                })
                .collect::<String>()
                .replace('$', "€")
                .replace("USD", "EUR")
        })
        .collect()
}

/// Dates in ISO and day-first forms; about 2% do not parse.
fn dates(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let year = 1950 + (i * 13) % 70;
            let month = 1 + (i * 5) % 12;
            let day = 1 + (i * 7) % 28;
            match i % 50 {
                0 => format!("{day:02}-13-{year}"),
                49 => "unknown".to_owned(),
                form => match form % 5 {
                    0 => format!("{year}-{month:02}-{day:02}"),
                    1 => format!("{year}-{month:02}-{day:02} 09:30:00"),
                    2 => format!("{day:02}-{month:02}-{year}"),
                    3 => format!("{day:02}/{month:02}/{year}"),
                    _ => format!("{day}.{month}.{year}"),
                },
            }
        })
        .collect()
}

/// Normalizes every cell into one reused buffer; returns how many were valid.
fn normalize_all(cells: &[String], f: impl Fn(&str, &mut String) -> Result<(), ErrorCode>) -> usize {
    let mut out = String::with_capacity(128);
    let mut valid = 0;
    for cell in cells {
        out.clear();
        valid += usize::from(f(black_box(cell), &mut out).is_ok());
        black_box(&out);
    }
    valid
}

fn normalizers(c: &mut Criterion) {
    let contacts = Input::open(&contacts_csv(FILE_ROWS));
    let companies = Input::open(&companies_csv(COMPANY_ROWS));
    let mut emails = contacts.column("Email");
    emails.truncate(MAX_CELLS);
    let domains = interleave(companies.column("Company Domain Name"), contacts.column("Website URL"));
    let en = english_numbers(&companies);
    let nl = dutch_numbers(&en);
    let dates = dates(MAX_CELLS);
    let mut stages = contacts.column("Lifecycle Stage");
    stages.truncate(MAX_CELLS);
    let contacts_object = bench::contacts();
    let stage = contacts_object.property_named("lifecyclestage").expect("schema");
    let opts = ValueOptions::default();

    let mut group = c.benchmark_group("normalize");
    let mut bench = |name: &str, cells: &[String], f: &dyn Fn(&str, &mut String) -> Result<(), ErrorCode>| {
        group.throughput(Throughput::Elements(cells.len() as u64));
        group.bench_function(name, |b| b.iter(|| normalize_all(cells, f)));
    };
    bench("email", &emails, &values::email);
    bench("domain", &domains, &values::domain);
    bench("number_en", &en, &|s, out| values::number(s, NumberLocale::En, out));
    bench("number_nl", &nl, &|s, out| values::number(s, NumberLocale::Comma, out));
    bench("date_dmy", &dates, &|s, out| values::date(s, DateOrder::Dmy, out));
    bench("enumeration", &stages, &|s, out| values::normalize(stage, s, &opts, out));
    group.finish();
}

fn transform(c: &mut Criterion) {
    let input = Input::open(&contacts_csv(FILE_ROWS));
    let cfg = input.transform_config();
    let chunk = engine::input::split::chunk_size(input.body().len(), 2);
    let pieces = input.decode_pieces(chunk);
    let rows: usize = pieces.iter().map(|p| p.batch.num_rows()).sum();

    let (_empty_dir, empty) = bench::fresh_store();
    // Holds every contact of the file (and more): every identifier lookup hits.
    let populated = Store::open(bench::contacts_store(STORE_ROWS)).expect("bench store");
    let identifier = bench::contacts_identifier();

    let mut group = c.benchmark_group("transform");
    group.throughput(Throughput::ElementsAndBytes { elements: rows as u64, bytes: input.body_len() });
    group.sample_size(10);
    for (name, store) in [("empty_store", &empty), ("populated_store", &populated)] {
        let read = store.begin_read().expect("read session");
        let keys = vec![KeyIndex::load(&read, "contacts", identifier).expect("key index")];
        group.bench_function(name, |b| {
            b.iter_batched(
                || pieces.iter().map(clone_piece).collect::<Vec<_>>(),
                |pieces| {
                    pieces
                        .into_iter()
                        .map(|p| {
                            engine::normalize::transform::transform(
                                p,
                                &cfg,
                                std::slice::from_ref(&keys),
                                &read,
                            )
                        })
                        .collect::<Vec<_>>()
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, normalizers, transform);
criterion_main!(benches);
