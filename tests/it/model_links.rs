//! Model-based test of multi-object imports (SPEC 6): random files of contacts,
//! companies and deals, where contacts repeat across rows and several contacts
//! share a company, imported one after another into one store, are checked
//! against a plain row-by-row model: which records exist, their values, every
//! association, each record's primary company and the summary's counts.

use std::collections::{BTreeMap, BTreeSet};

use engine::import::ImportSpec;
use proptest::prelude::*;
use store::Store;

/// One generated row: indexes into the value pools below (`None`: blank).
#[derive(Debug, Clone)]
struct Row {
    contact: Option<usize>,
    first: usize,
    company: Option<usize>,
    company_name: usize,
    deal: bool,
}

const EMAILS: [&str; 6] =
    ["zoë@exämple.de", "ana@acme.com", "søren@ærø.dk", "ANA@acme.com ", "li.wei@例え.jp", "o'brien@beta.io"];
/// `EMAILS[i]` and `EMAILS[j]` are one contact when their keys are equal.
const EMAIL_KEYS: [usize; 6] = [0, 1, 2, 1, 4, 5];
const FIRST: [&str; 3] = ["Zoë", "Ana", "Søren"];
/// The last one is a company row without a domain: it creates a company each time.
const DOMAINS: [&str; 5] = ["acme.com", "ærø.dk", "https://www.Beta.io/x", "beta.io", ""];
const DOMAIN_KEYS: [usize; 5] = [0, 1, 2, 2, 4];
const COMPANY_NAMES: [&str; 2] = ["Acme Ærø", "Beta GmbH"];

fn row() -> impl Strategy<Value = Row> {
    (
        prop::option::weighted(0.8, 0..EMAILS.len()),
        0..FIRST.len(),
        prop::option::weighted(0.7, 0..DOMAINS.len()),
        0..COMPANY_NAMES.len(),
        prop::bool::weighted(0.4),
    )
        .prop_map(|(contact, first, company, company_name, deal)| Row {
            contact,
            first,
            company,
            company_name,
            deal,
        })
}

fn csv(rows: &[Row], deal_base: usize) -> String {
    let mut out = String::from("Email,First Name,Company Domain Name,Company Name,Deal Name\n");
    for (i, r) in rows.iter().enumerate() {
        let (email, first) = r.contact.map_or(("", ""), |c| (EMAILS[c], FIRST[r.first]));
        let (domain, name) = r.company.map_or(("", ""), |c| (DOMAINS[c], COMPANY_NAMES[r.company_name]));
        let deal = if r.deal { format!("Deal {}", deal_base + i) } else { String::new() };
        out.push_str(&format!("{email},{first},{domain},{name},{deal}\n"));
    }
    out
}

/// One end of a link.
type End = (&'static str, u64);
/// Links, each once, the first end smaller.
type Links = BTreeSet<(End, End)>;
/// Per object: record ID -> the value the test follows.
type Records = BTreeMap<&'static str, BTreeMap<u64, String>>;

/// The store as a row-by-row import would leave it.
#[derive(Debug, Default, PartialEq, Eq)]
struct Model {
    /// Per object: record ID -> the value the test follows (first name, company
    /// name, deal name).
    records: Records,
    /// Links, each once: ((object, ID), (object, ID)) with the first end smaller.
    links: Links,
    /// Primary company per contact or deal.
    primary: BTreeMap<End, u64>,
    #[allow(clippy::struct_field_names)]
    contacts_by_key: BTreeMap<usize, u64>,
    companies_by_key: BTreeMap<usize, u64>,
}

/// Counts of one import: per object `[created, updated, unchanged]`, and links
/// `[created, existing]`.
type Counts = (BTreeMap<&'static str, [u64; 3]>, [u64; 2]);

impl Model {
    fn next_id(&self, object: &'static str) -> u64 {
        self.records.get(object).map_or(0, |r| r.keys().next_back().copied().unwrap_or(0)) + 1
    }

    /// Matches or creates a record, returning its ID and counting it.
    fn put(&mut self, object: &'static str, key: Option<usize>, value: &str, counts: &mut Counts) -> u64 {
        let existing = key.and_then(|k| match object {
            "contacts" => self.contacts_by_key.get(&k).copied(),
            "companies" => self.companies_by_key.get(&k).copied(),
            _ => None,
        });
        let c = counts.0.entry(object).or_default();
        if let Some(id) = existing {
            let stored = self.records.get_mut(object).unwrap().get_mut(&id).unwrap();
            if stored == value {
                c[2] += 1;
            } else {
                value.clone_into(stored);
                c[1] += 1;
            }
            return id;
        }
        let id = self.next_id(object);
        self.records.entry(object).or_default().insert(id, value.to_owned());
        c[0] += 1;
        match (object, key) {
            ("contacts", Some(k)) => {
                self.contacts_by_key.insert(k, id);
            }
            ("companies", Some(k)) => {
                self.companies_by_key.insert(k, id);
            }
            _ => {}
        }
        id
    }

    fn link(&mut self, a: (&'static str, u64), b: (&'static str, u64), counts: &mut Counts) {
        let key = if a <= b { (a, b) } else { (b, a) };
        if self.links.insert(key) {
            counts.1[0] += 1;
            let (record, company) = if b.0 == "companies" { (a, b) } else { (b, a) };
            if company.0 == "companies" && record.0 != "companies" {
                self.primary.entry(record).or_insert(company.1);
            }
        } else {
            counts.1[1] += 1;
        }
    }

    fn import(&mut self, rows: &[Row], deal_base: usize) -> Counts {
        let mut counts = Counts::default();
        for (i, r) in rows.iter().enumerate() {
            let mut ends = Vec::new();
            if let Some(c) = r.contact {
                ends.push((
                    "contacts",
                    self.put("contacts", Some(EMAIL_KEYS[c]), FIRST[r.first], &mut counts),
                ));
            }
            if let Some(c) = r.company {
                let key = (!DOMAINS[c].is_empty()).then_some(DOMAIN_KEYS[c]);
                ends.push((
                    "companies",
                    self.put("companies", key, COMPANY_NAMES[r.company_name], &mut counts),
                ));
            }
            if r.deal {
                ends.push((
                    "deals",
                    self.put("deals", None, &format!("Deal {}", deal_base + i), &mut counts),
                ));
            }
            for x in 0..ends.len() {
                for y in x + 1..ends.len() {
                    self.link(ends[x], ends[y], &mut counts);
                }
            }
        }
        counts
    }
}

/// The store read back into the model's shape.
fn observed(store: &Store) -> (Records, Links, BTreeMap<End, u64>) {
    let read = store.begin_read().unwrap();
    let schema = read.schema().unwrap();
    let mut records = BTreeMap::new();
    let mut links = BTreeSet::new();
    let mut primary = BTreeMap::new();
    for (object, property) in [("contacts", "firstname"), ("companies", "name"), ("deals", "dealname")] {
        let def = schema.object(object).unwrap();
        let p = def.property_id(property).unwrap();
        let mut ids = Vec::new();
        read.for_each_record(object, |id, view| {
            ids.push((id, view.get(p).unwrap_or("").to_owned()));
            true
        })
        .unwrap();
        for (id, value) in ids {
            for l in read.links(object, id).unwrap() {
                let other: &'static str = match l.object.as_str() {
                    "contacts" => "contacts",
                    "companies" => "companies",
                    "deals" => "deals",
                    o => panic!("a link with {o}"),
                };
                let (a, b) = ((object, id), (other, l.id));
                links.insert(if a <= b { (a, b) } else { (b, a) });
                if l.primary && other == "companies" {
                    assert!(
                        primary.insert((object, id), l.id).is_none(),
                        "{object} {id} has two primary companies"
                    );
                }
            }
            records.entry(object).or_insert_with(BTreeMap::new).insert(id, value);
        }
    }
    (records, links, primary)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn multi_object_imports_match_a_row_by_row_model(
        files in prop::collection::vec(prop::collection::vec(row(), 1..30), 1..4),
        threads in 1usize..4,
        chunk in prop::sample::select(vec![1usize, 40, 1 << 20]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.redb")).unwrap();
        let mut model = Model::default();
        let mut deal_base = 0;
        for (i, rows) in files.iter().enumerate() {
            let path = dir.path().join(format!("f{i}.csv"));
            std::fs::write(&path, csv(rows, deal_base)).unwrap();
            let spec = ImportSpec {
                files: vec![path],
                objects: vec!["contacts".into(), "companies".into(), "deals".into()],
                threads: Some(threads),
                chunk_bytes: Some(chunk),
                report_dir: Some(dir.path().join(format!("r{i}"))),
                ..ImportSpec::default()
            };
            // After its dry run, which must agree with it.
            let summary;
            (store, summary) = crate::support::run_checked(store, &spec);
            let (objects, links) = model.import(rows, deal_base);
            deal_base += rows.len();
            prop_assert_eq!(summary.rows_failed, 0);
            prop_assert_eq!([summary.associations.created, summary.associations.existing], links);
            for (object, [created, updated, unchanged]) in objects {
                let got = &summary.objects[object];
                prop_assert_eq!((got.created, got.updated, got.unchanged), (created, updated, unchanged), "{}", object);
            }
        }
        let (records, links, primary) = observed(&store);
        prop_assert_eq!(&records, &model.records);
        prop_assert_eq!(&links, &model.links);
        prop_assert_eq!(&primary, &model.primary);
        // Every record with companies has exactly one primary.
        for ((a, b), ..) in links.iter().map(|l| (l, ())) {
            for end in [a, b] {
                if end.0 != "companies" && links.iter().any(|(x, y)| (x == end && y.0 == "companies") || (y == end && x.0 == "companies")) {
                    prop_assert!(primary.contains_key(end), "{:?} has companies but no primary", end);
                }
            }
        }
    }
}
