//! Model-based test of the import history (SPEC 2, 3, 6 and 7): random sequences
//! of multi-object imports (contacts and companies in one file, each row's
//! contact linked with its company; random modes, repeated identifiers, blank
//! cells, non-ASCII values, `--no-overwrite`), undos of any standing import (the
//! newest or an older one, with and without `--force`), reruns, deletes by ID and
//! by import, and undos of deletes. After every step the store must equal a plain
//! model: every record's values and authors, every link with its primary flag and
//! origin, and every log entry's status and kind; an undo must be refused exactly
//! where the model finds a conflict, naming the same records and imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use engine::cli::{DeleteTarget, delete};
use engine::import::{ImportSpec, run};
use engine::plan::Mode;
use engine::progress::Progress;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use store::{ImportStatus, ObjectCounts, Store};

const CONTACTS: &str = "contacts";
const COMPANIES: &str = "companies";

/// Email cells; `EMAIL_KEYS` gives each one's stored form (`None`: invalid).
const EMAILS: [&str; 7] = [
    "",
    "josé.müller@exämple.de",
    "JOSÉ.Müller@xn--exmple-cua.de",
    "ana@acme.com",
    " Ana@ACME.com ",
    "bo@ærø.dk",
    "not-an-email",
];
const EMAIL_KEYS: [Option<&str>; 7] = [
    None,
    Some("josé.müller@exämple.de"),
    Some("josé.müller@exämple.de"),
    Some("ana@acme.com"),
    Some("ana@acme.com"),
    Some("bo@ærø.dk"),
    None,
];
/// First names; `null` is a blank cell.
const FIRST: [&str; 5] = ["", "José", " Ana ", "Bø", "null"];
/// Domain cells and their stored forms.
const DOMAINS: [&str; 6] = ["", "acme.com", "https://www.ACME.com/about", "ærø.dk", "ÆRØ.dk", "not a domain"];
const DOMAIN_KEYS: [Option<&str>; 6] =
    [None, Some("acme.com"), Some("acme.com"), Some("ærø.dk"), Some("ærø.dk"), None];
/// Company names; `[not provided]` is a blank cell.
const NAMES: [&str; 4] = ["", "Acme", "Ærø ApS", "[not provided]"];

fn blank(cell: &str) -> bool {
    let t = cell.trim();
    t.is_empty() || t.eq_ignore_ascii_case("null") || t.eq_ignore_ascii_case("[not provided]")
}

/// One generated row: indexes into the pools above.
#[derive(Debug, Clone)]
struct Row {
    email: usize,
    first: usize,
    domain: usize,
    name: usize,
}

#[derive(Debug, Clone)]
struct Import {
    mode: Mode,
    /// `contacts.firstname`, `companies.name`.
    no_overwrite: Vec<&'static str>,
    threads: usize,
    chunk: usize,
    rows: Vec<Row>,
}

#[derive(Debug, Clone)]
enum Step {
    Import(Import),
    /// Undo the `pick`-th (modulo) entry still standing.
    Undo {
        pick: usize,
        force: bool,
    },
    /// Rerun the `pick`-th (modulo) import.
    Rerun {
        pick: usize,
    },
    /// Delete these record IDs (some may not exist).
    Delete {
        companies: bool,
        ids: Vec<u64>,
    },
    /// Delete the records the `pick`-th (modulo) standing import created.
    DeleteImport {
        pick: usize,
    },
}

fn row() -> impl Strategy<Value = Row> {
    (
        prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 5, 6]),
        0..FIRST.len(),
        prop::sample::select(vec![0usize, 0, 1, 2, 3, 4, 5]),
        0..NAMES.len(),
    )
        .prop_map(|(email, first, domain, name)| Row { email, first, domain, name })
}

fn import() -> impl Strategy<Value = Import> {
    (
        prop::sample::select(vec![Mode::Upsert, Mode::Upsert, Mode::Create, Mode::Update]),
        prop::sample::subsequence(vec!["contacts.firstname", "companies.name"], 0..=2),
        1usize..=2,
        prop::sample::select(vec![16usize, 1 << 20]),
        prop::collection::vec(row(), 1..10),
    )
        .prop_map(|(mode, no_overwrite, threads, chunk, rows)| Import {
            mode,
            no_overwrite,
            threads,
            chunk,
            rows,
        })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => import().prop_map(Step::Import),
        3 => (any::<usize>(), prop::bool::weighted(0.4)).prop_map(|(pick, force)| Step::Undo { pick, force }),
        1 => any::<usize>().prop_map(|pick| Step::Rerun { pick }),
        1 => (any::<bool>(), prop::collection::vec(1u64..8, 1..3))
            .prop_map(|(companies, ids)| Step::Delete { companies, ids }),
        1 => any::<usize>().prop_map(|pick| Step::DeleteImport { pick }),
    ]
}

/// A record: its values by property name, and its authors.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    props: BTreeMap<String, String>,
    created_by: u64,
    updated_by: u64,
}

/// A link of a contact and a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    primary: bool,
    /// The import that made it.
    created_by: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Removed: the link's creator and primary flag.
    Removed(u64, bool),
    Created,
    PrimarySet,
    PrimaryUnset,
}

/// What a change of the link log is by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Undo,
    RecordDeleted,
}

/// One change of the link log.
#[derive(Debug, Clone)]
struct Change {
    seq: u64,
    /// (contact, company).
    pair: (u64, u64),
    kind: Kind,
    import: u64,
    source: Source,
}

#[derive(Debug, Clone)]
struct Entry {
    delete: bool,
    done: bool,
    objects: Vec<&'static str>,
    /// Per object: the IDs it took from the sequence.
    range: BTreeMap<&'static str, (u64, u64)>,
    /// Before-images: (object, record) -> the record before the entry changed it.
    images: BTreeMap<(&'static str, u64), Rec>,
    /// For imports: what to run again.
    import: Option<Import>,
}

/// What an undo did: undone, refused over these conflicts, or an error.
#[derive(Debug, PartialEq, Eq)]
enum UndoOutcome {
    Undone,
    Refused(BTreeSet<(String, String)>),
    Error,
}

/// The store as the SPEC says it is.
#[derive(Debug, Clone, Default)]
struct Model {
    records: BTreeMap<(&'static str, u64), Rec>,
    next: BTreeMap<&'static str, u64>,
    links: BTreeMap<(u64, u64), Link>,
    log: Vec<Change>,
    entries: BTreeMap<u64, Entry>,
}

type Counts = (BTreeMap<&'static str, ObjectCounts>, [u64; 2]);

impl Model {
    fn next_entry(&self) -> u64 {
        self.entries.keys().next_back().map_or(1, |k| k + 1)
    }

    fn next_id(&self, object: &'static str) -> u64 {
        self.next.get(object).copied().unwrap_or(1)
    }

    fn find(&self, object: &'static str, property: &str, value: &str) -> Option<u64> {
        self.records
            .iter()
            .find(|((o, _), r)| *o == object && r.props.get(property).map(String::as_str) == Some(value))
            .map(|((_, id), _)| *id)
    }

    fn log(&mut self, pair: (u64, u64), kind: Kind, import: u64, source: Source) {
        let seq = self.log.len() as u64;
        self.log.push(Change { seq, pair, kind, import, source });
    }

    fn has_primary(&self, contact: u64) -> bool {
        self.links.iter().any(|((c, _), l)| *c == contact && l.primary)
    }

    /// Writes `props` into a record as import `import` does: the first write keeps
    /// the before-image.
    fn write(
        &mut self,
        import: u64,
        key: (&'static str, u64),
        set: &[(&str, String)],
        protect: &[&str],
    ) -> bool {
        let rec = self.records.get(&key).unwrap().clone();
        let mut next = rec.clone();
        for (p, v) in set {
            if protect.contains(p) && next.props.contains_key(*p) {
                continue;
            }
            next.props.insert((*p).to_owned(), v.clone());
        }
        if next.props == rec.props {
            return false;
        }
        if rec.created_by != import && rec.updated_by != import {
            self.entries.get_mut(&import).unwrap().images.entry(key).or_insert(rec);
        }
        next.updated_by = import;
        self.records.insert(key, next);
        true
    }

    /// One object's part of a row: matched, created or neither (skipped, failed,
    /// absent).
    #[allow(clippy::too_many_arguments)]
    fn part(
        &mut self,
        import: u64,
        imp: &Import,
        object: &'static str,
        identifier: (&str, Option<&str>, bool),
        other: (&str, Option<String>),
        counts: &mut ObjectCounts,
    ) -> Option<u64> {
        let (id_prop, key, id_blank) = identifier;
        let (other_prop, other_value) = other;
        if id_blank && other_value.is_none() {
            return None; // absent
        }
        if !id_blank && key.is_none() {
            counts.failed += 1; // invalid identifier
            return None;
        }
        let target = key.and_then(|k| self.find(object, id_prop, k));
        match (target, imp.mode) {
            (Some(_), Mode::Create) => {
                counts.skipped += 1;
                None
            }
            (Some(t), _) => {
                let protect: Vec<&str> =
                    imp.no_overwrite.iter().filter_map(|p| p.strip_prefix(&format!("{object}."))).collect();
                let set: Vec<(&str, String)> = other_value.into_iter().map(|v| (other_prop, v)).collect();
                if self.write(import, (object, t), &set, &protect) {
                    counts.updated += 1;
                } else {
                    counts.unchanged += 1;
                }
                Some(t)
            }
            (None, Mode::Update) => {
                if key.is_none() {
                    counts.failed += 1; // no identifier at all
                } else {
                    counts.skipped += 1;
                }
                None
            }
            (None, _) => {
                let id = self.next_id(object);
                self.next.insert(object, id + 1);
                let mut props = BTreeMap::new();
                if let Some(k) = key {
                    props.insert(id_prop.to_owned(), k.to_owned());
                }
                if let Some(v) = other_value {
                    props.insert(other_prop.to_owned(), v);
                }
                self.records.insert((object, id), Rec { props, created_by: import, updated_by: import });
                counts.created += 1;
                Some(id)
            }
        }
    }

    /// Applies an import row by row, as entry `next_entry()`.
    fn import(&mut self, imp: &Import) -> (u64, Counts) {
        let import = self.next_entry();
        let range_start = [CONTACTS, COMPANIES].map(|o| self.next_id(o));
        self.entries.insert(
            import,
            Entry {
                delete: false,
                done: true,
                objects: vec![CONTACTS, COMPANIES],
                range: BTreeMap::new(),
                images: BTreeMap::new(),
                import: Some(imp.clone()),
            },
        );
        let mut counts: Counts = Default::default();
        for r in &imp.rows {
            let first = (!blank(FIRST[r.first])).then(|| FIRST[r.first].trim().to_owned());
            let name = (!blank(NAMES[r.name])).then(|| NAMES[r.name].trim().to_owned());
            let contact = self.part(
                import,
                imp,
                CONTACTS,
                ("email", EMAIL_KEYS[r.email], blank(EMAILS[r.email])),
                ("firstname", first),
                counts.0.entry(CONTACTS).or_default(),
            );
            let company = self.part(
                import,
                imp,
                COMPANIES,
                ("domain", DOMAIN_KEYS[r.domain], blank(DOMAINS[r.domain])),
                ("name", name),
                counts.0.entry(COMPANIES).or_default(),
            );
            if let (Some(c), Some(k)) = (contact, company) {
                if self.links.contains_key(&(c, k)) {
                    counts.1[1] += 1;
                } else {
                    let primary = !self.has_primary(c);
                    self.links.insert((c, k), Link { primary, created_by: import });
                    counts.1[0] += 1;
                }
            }
        }
        let range = [CONTACTS, COMPANIES]
            .into_iter()
            .zip(range_start)
            .map(|(o, from)| (o, (from, self.next_id(o))))
            .collect();
        self.entries.get_mut(&import).unwrap().range = range;
        (import, counts)
    }

    /// A contact left with companies and none of them primary gets the one with the
    /// lowest ID as its primary company (SPEC 6: one primary), logged as `import`'s.
    fn settle_primaries(&mut self, contacts: &BTreeSet<u64>, import: u64, source: Source) {
        for &c in contacts {
            if self.has_primary(c) {
                continue;
            }
            let first = self.links.keys().find(|(x, _)| *x == c).copied();
            if let Some(pair) = first {
                self.links.get_mut(&pair).unwrap().primary = true;
                self.log(pair, Kind::PrimarySet, import, source);
                tally(format!("primary settled by {source:?}"));
            }
        }
    }

    /// `delete OBJ IDS...` (one object) or `delete --import` (each of its objects,
    /// in order); returns the deletion's ID.
    fn delete(&mut self, targets: &[(&'static str, Vec<u64>)]) -> u64 {
        let d = self.next_entry();
        let entry = Entry {
            delete: true,
            done: true,
            objects: targets.iter().map(|t| t.0).collect(),
            range: targets.iter().map(|t| (t.0, (self.next_id(t.0), self.next_id(t.0)))).collect(),
            images: BTreeMap::new(),
            import: None,
        };
        self.entries.insert(d, entry);
        for (object, ids) in targets {
            let object = *object;
            let mut gone = BTreeSet::new();
            for &id in ids {
                if let Some(rec) = self.records.remove(&(object, id)) {
                    self.entries.get_mut(&d).unwrap().images.insert((object, id), rec);
                    gone.insert(id);
                }
            }
            let mut lost = BTreeSet::new();
            for &id in &gone {
                let pairs: Vec<(u64, u64)> = self
                    .links
                    .keys()
                    .filter(|(c, k)| if object == CONTACTS { *c == id } else { *k == id })
                    .copied()
                    .collect();
                for p in pairs {
                    let l = self.links.remove(&p).unwrap();
                    self.log(p, Kind::Removed(l.created_by, l.primary), d, Source::RecordDeleted);
                    if object == COMPANIES {
                        lost.insert(p.0);
                    }
                }
            }
            self.settle_primaries(&lost, d, Source::RecordDeleted);
        }
        d
    }

    /// The entries standing after `import`.
    fn later(&self, import: u64) -> BTreeSet<u64> {
        self.entries.range(import + 1..).filter(|(_, e)| e.done).map(|(id, _)| *id).collect()
    }

    /// `undo ID [--force]`, as SPEC 7 and `store/src/undo.rs` say.
    fn undo(&mut self, import: u64, force: bool) -> UndoOutcome {
        let entry = self.entries[&import].clone();
        let later = self.later(import);
        let mut conflicts: BTreeSet<(String, String)> = BTreeSet::new();
        let by_import = |u: u64| if u == 0 { "another change".to_owned() } else { format!("import {u}") };
        // Records: (object, id, base, conflict).
        let mut plans: Vec<(&'static str, u64, Option<Rec>, bool)> = Vec::new();
        let mut deleted: BTreeSet<(&'static str, u64)> = BTreeSet::new();
        for &object in &entry.objects {
            let (from, to) = entry.range.get(object).copied().unwrap_or((0, 0));
            let mut mine: Vec<(&'static str, u64, Option<Rec>, bool)> = Vec::new();
            for ((o, id), r) in &self.records {
                if *o == object && r.created_by == import && (from..to).contains(id) {
                    let conflict = r.updated_by != import;
                    if conflict {
                        conflicts.insert((format!("{object} {id}"), by_import(r.updated_by)));
                    }
                    mine.push((object, *id, None, conflict));
                }
            }
            for ((o, id), base) in &entry.images {
                if *o != object {
                    continue;
                }
                let conflict = match self.records.get(&(object, *id)) {
                    None if entry.delete => false,
                    None => {
                        conflicts.insert((
                            format!("{object} {id}"),
                            "a later change (the record is gone)".to_owned(),
                        ));
                        true
                    }
                    Some(r) if r.updated_by != import => {
                        conflicts.insert((format!("{object} {id}"), by_import(r.updated_by)));
                        true
                    }
                    Some(_) => false,
                };
                // An image a forced undo left of a record that, with that undone
                // import taken back, did not exist yet.
                let absent =
                    base.props.is_empty() && self.entries.get(&base.created_by).is_some_and(|e| !e.done);
                if absent {
                    tally(format!("image of a record not there yet, conflict: {conflict}"));
                }
                mine.push((object, *id, (!absent).then(|| base.clone()), conflict));
            }
            mine.sort_by_key(|p| p.1);
            for p in &mine {
                if p.2.is_none() && (!p.3 || force) {
                    deleted.insert((object, p.1));
                }
            }
            plans.extend(mine);
        }
        let pair_text = |(c, k): (u64, u64)| format!("companies {k} - contacts {c}");
        let mine = |l: &Change| l.import == import && l.source != Source::Undo;
        let later_than = |l: &Change| l.import > import && later.contains(&l.import);
        let by_change = |l: &Change| {
            if l.source == Source::Undo {
                format!("the undo of import {}", l.import)
            } else {
                format!("import {}", l.import)
            }
        };
        let is_deleted =
            |(c, k): (u64, u64)| deleted.contains(&(CONTACTS, c)) || deleted.contains(&(COMPANIES, k));
        let mut removals: Vec<((u64, u64), Source)> = Vec::new();
        for (&p, l) in &self.links {
            if l.created_by == import {
                let changed = self.log.iter().find(|c| c.pair == p && !mine(c) && later_than(c));
                if let Some(c) = changed {
                    conflicts.insert((pair_text(p), by_change(c)));
                    if force && !is_deleted(p) {
                        continue; // kept
                    }
                }
                removals.push((p, Source::Undo));
            } else if is_deleted(p) {
                conflicts.insert((pair_text(p), format!("import {}", l.created_by)));
                removals.push((p, Source::RecordDeleted));
            }
        }
        let mut reversals: Vec<Change> = Vec::new();
        for l in self.log.iter().filter(|l| mine(l)) {
            let after = self
                .log
                .iter()
                .find(|a| a.pair == l.pair && a.seq > l.seq && !mine(a) && a.source != Source::Undo);
            if let Some(a) = after {
                conflicts.insert((pair_text(l.pair), by_change(a)));
                continue;
            }
            reversals.push(l.clone());
        }
        if !conflicts.is_empty() && !force {
            return UndoOutcome::Refused(conflicts);
        }
        if !conflicts.is_empty() {
            tally(format!("forced past {} conflicts", conflicts.len().min(3)));
        }
        // A unique value given back must be free.
        let touched: BTreeSet<(&str, u64)> = plans.iter().map(|p| (p.0, p.1)).collect();
        for (object, id, base, conflict) in &plans {
            let (Some(base), false) = (base, conflict) else { continue };
            let property = if *object == CONTACTS { "email" } else { "domain" };
            if let Some(v) = base.props.get(property)
                && let Some(holder) = self.find(object, property, v)
                && holder != *id
                && !touched.contains(&(*object, holder))
            {
                return UndoOutcome::Error;
            }
        }
        for (object, id, base, conflict) in plans {
            let key = (object, id);
            let after = match (conflict, self.records.get(&key)) {
                (false, _) => base,
                (true, None) => continue,
                (true, Some(current)) => {
                    let chain: Vec<(u64, Rec)> = later
                        .iter()
                        .filter_map(|j| self.entries[j].images.get(&key).map(|r| (*j, r.clone())))
                        .collect();
                    let mut states: Vec<&Rec> = chain.iter().map(|(_, r)| r).collect();
                    states.push(current);
                    // changed_by[k]: what changed between states[0] and states[k].
                    let mut changed: BTreeSet<String> = BTreeSet::new();
                    let mut changed_by = vec![changed.clone()];
                    for w in states.windows(2) {
                        for p in w[0].props.keys().chain(w[1].props.keys()) {
                            if w[0].props.get(p) != w[1].props.get(p) {
                                changed.insert(p.clone());
                            }
                        }
                        changed_by.push(changed.clone());
                    }
                    // A state with the undone import taken back: base values for
                    // what did not change since, and whether anything did.
                    let take = |state: &Rec, changed: &BTreeSet<String>| {
                        let all: BTreeSet<&String> =
                            state.props.keys().chain(base.iter().flat_map(|b| b.props.keys())).collect();
                        let mut props = BTreeMap::new();
                        let mut kept = false;
                        for p in all {
                            let v = if changed.contains(p) {
                                kept = true;
                                state.props.get(p)
                            } else {
                                base.as_ref().and_then(|b| b.props.get(p))
                            };
                            if let Some(v) = v {
                                props.insert(p.clone(), v.clone());
                            }
                        }
                        (props, kept)
                    };
                    // The later imports' before-images: the state before each with
                    // this import taken back.
                    let mut images = Vec::new();
                    for ((j, state), changed) in chain.iter().zip(&changed_by) {
                        let (props, kept) = take(state, changed);
                        let (created_by, updated_by) = match (&base, kept) {
                            (Some(b), false) => (b.created_by, b.updated_by),
                            (Some(b), true) => (b.created_by, state.updated_by),
                            (None, false) => (state.created_by, import),
                            (None, true) => (state.created_by, state.updated_by),
                        };
                        images.push((*j, Rec { props, created_by, updated_by }));
                    }
                    let (props, _) = take(current, &changed);
                    let after = if base.is_none() && props.is_empty() {
                        None
                    } else {
                        Some(Rec {
                            props,
                            created_by: base.as_ref().map_or(current.created_by, |b| b.created_by),
                            updated_by: current.updated_by,
                        })
                    };
                    if !images.is_empty() {
                        tally(format!("forced: {} later images rewritten", images.len().min(3)));
                    }
                    for (j, image) in images {
                        self.entries.get_mut(&j).unwrap().images.insert(key, image);
                    }
                    after
                }
            };
            match after {
                Some(r) => {
                    self.records.insert(key, r);
                }
                None => {
                    self.records.remove(&key);
                }
            }
        }
        // Links: changes taken back newest first, then removals.
        let mut touched_contacts = BTreeSet::new();
        reversals.sort_by_key(|l| std::cmp::Reverse(l.seq));
        for l in reversals {
            touched_contacts.insert(l.pair.0);
            match l.kind {
                Kind::Removed(created_by, primary) => {
                    let ends = [(CONTACTS, l.pair.0), (COMPANIES, l.pair.1)];
                    if !ends.iter().all(|e| self.records.contains_key(e)) {
                        tally("restore left out: a record is gone".into());
                    } else if !self.links.contains_key(&l.pair) {
                        if primary && self.has_primary(l.pair.0) {
                            tally("restored without its primary flag".into());
                        }
                        let primary = primary && !self.has_primary(l.pair.0);
                        self.links.insert(l.pair, Link { primary, created_by });
                        self.log(l.pair, Kind::Created, import, Source::Undo);
                    }
                }
                Kind::PrimarySet => {
                    if let Some(link) = self.links.get_mut(&l.pair) {
                        link.primary = false;
                        self.log(l.pair, Kind::PrimaryUnset, import, Source::Undo);
                    }
                }
                Kind::PrimaryUnset => {
                    if let Some(link) = self.links.get_mut(&l.pair) {
                        link.primary = true;
                        self.log(l.pair, Kind::PrimarySet, import, Source::Undo);
                    }
                }
                Kind::Created => {}
            }
        }
        for (p, source) in removals {
            if let Some(l) = self.links.remove(&p) {
                touched_contacts.insert(p.0);
                self.log(p, Kind::Removed(l.created_by, l.primary), import, source);
            }
        }
        touched_contacts.retain(|c| self.records.contains_key(&(CONTACTS, *c)));
        self.settle_primaries(&touched_contacts, import, Source::Undo);
        self.entries.get_mut(&import).unwrap().done = false;
        UndoOutcome::Undone
    }
}

/// The store read back in the model's shape: records, links, the log entries
/// (ID -> (done, delete)).
type Observed = (BTreeMap<(&'static str, u64), Rec>, BTreeMap<(u64, u64), Link>, BTreeMap<u64, (bool, bool)>);

fn observe(store: &Store) -> Result<Observed, TestCaseError> {
    let read = store.begin_read().unwrap();
    let schema = read.schema().unwrap();
    let mut records = BTreeMap::new();
    let mut links = BTreeMap::new();
    for object in [CONTACTS, COMPANIES] {
        let def = schema.object(object).unwrap().clone();
        // Values from the export, authors from the records.
        let mut export = Vec::new();
        engine::export::export(&read, &def, engine::export::Format::Jsonl, &mut export).unwrap();
        let mut authors = BTreeMap::new();
        read.for_each_record(object, |id, view| {
            authors.insert(id, (view.created_by, view.updated_by));
            true
        })
        .unwrap();
        for line in String::from_utf8(export).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = v["id"].as_u64().unwrap();
            let props = v["properties"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            let (created_by, updated_by) = authors[&id];
            records.insert((object, id), Rec { props, created_by, updated_by });
            // The export's associations agree with the links.
            let stored = read.links(object, id).unwrap();
            let other = if object == CONTACTS { COMPANIES } else { CONTACTS };
            let ids: Vec<u64> = stored.iter().filter(|l| l.object == other).map(|l| l.id).collect();
            let exported: Vec<u64> = v["associations"][other]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_u64().unwrap()).collect())
                .unwrap_or_default();
            prop_assert_eq!(&exported, &ids, "{} {}'s exported associations", object, id);
            if object == CONTACTS {
                let primary = stored.iter().find(|l| l.primary).map(|l| l.id);
                prop_assert_eq!(v["associations"]["primary_company"].as_u64(), primary, "contact {}", id);
                for l in stored {
                    let link = Link { primary: l.primary, created_by: l.created.import.unwrap_or(0) };
                    links.insert((id, l.id), link);
                }
            }
        }
    }
    let history = store
        .imports()
        .unwrap()
        .into_iter()
        .map(|e| (e.id, (e.status == ImportStatus::Done, e.kind.as_deref() == Some("delete"))))
        .collect();
    Ok((records, links, history))
}

fn compare(store: &Store, model: &Model, what: &str) -> Result<(), TestCaseError> {
    let (records, links, history) = observe(store)?;
    prop_assert_eq!(&records, &model.records, "records after {}", what);
    prop_assert_eq!(&links, &model.links, "links after {}", what);
    let expected: BTreeMap<u64, (bool, bool)> =
        model.entries.iter().map(|(id, e)| (*id, (e.done, e.delete))).collect();
    prop_assert_eq!(&history, &expected, "history after {}", what);
    Ok(())
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from("Email,First Name,Company Domain Name,Company Name\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{}\n",
            EMAILS[r.email], FIRST[r.first], DOMAINS[r.domain], NAMES[r.name]
        ));
    }
    out
}

fn run_spec(store: &Store, spec: &ImportSpec, counts: &Counts) -> Result<u64, TestCaseError> {
    let summary = run(store, spec, &Progress::hidden()).unwrap();
    for object in [CONTACTS, COMPANIES] {
        prop_assert_eq!(
            summary.objects.get(object).copied().unwrap_or_default(),
            counts.0.get(object).copied().unwrap_or_default(),
            "{} counts of import {}",
            object,
            summary.import_id
        );
    }
    prop_assert_eq!([summary.associations.created, summary.associations.existing], counts.1);
    Ok(summary.import_id)
}

/// What the cases did (`MODEL_STATS=1` prints it): to see that undos are refused,
/// forced and fail as often as the test means them to.
static TALLY: std::sync::Mutex<BTreeMap<String, u64>> = std::sync::Mutex::new(BTreeMap::new());

fn tally(what: String) {
    *TALLY.lock().unwrap().entry(what).or_default() += 1;
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn undo(store: &Store, id: u64, force: bool) -> UndoOutcome {
    let session = store.begin_write().unwrap();
    match session.undo(id, force, now_ms(), "2026-01-01T00:00:00.000Z") {
        Ok(report) if report.undone => {
            session.commit(true).unwrap();
            UndoOutcome::Undone
        }
        Ok(report) => UndoOutcome::Refused(report.conflicts.into_iter().map(|c| (c.what, c.by)).collect()),
        Err(store::StoreError::Undo(_)) => UndoOutcome::Error,
        Err(e) => panic!("undo {id}: {e}"),
    }
}

fn run_steps(dir: &Path, steps: &[Step]) -> Result<(), TestCaseError> {
    let store = Store::open(dir.join("s.redb")).unwrap();
    let mut model = Model::default();
    for (i, step) in steps.iter().enumerate() {
        let what = format!("step {i} ({step:?})");
        match step {
            Step::Import(imp) => {
                let file = dir.join(format!("f{i}.csv"));
                std::fs::write(&file, csv(&imp.rows)).unwrap();
                let spec = ImportSpec {
                    files: vec![file],
                    objects: vec![CONTACTS.into(), COMPANIES.into()],
                    mode: imp.mode,
                    no_overwrite: imp.no_overwrite.iter().map(|s| (*s).to_owned()).collect(),
                    threads: Some(imp.threads),
                    chunk_bytes: Some(imp.chunk),
                    ..ImportSpec::default()
                };
                let (id, counts) = model.import(imp);
                prop_assert_eq!(run_spec(&store, &spec, &counts)?, id, "{}", what);
            }
            Step::Rerun { pick } => {
                let imports: Vec<u64> =
                    model.entries.iter().filter(|(_, e)| !e.delete).map(|(id, _)| *id).collect();
                if imports.is_empty() {
                    continue;
                }
                let of = imports[pick % imports.len()];
                let entry = store.imports().unwrap().into_iter().find(|e| e.id == of).unwrap();
                let spec: ImportSpec = serde_json::from_value(entry.options["spec"].clone()).unwrap();
                let imp = model.entries[&of].import.clone().unwrap();
                let (id, counts) = model.import(&imp);
                prop_assert_eq!(run_spec(&store, &spec, &counts)?, id, "{}", what);
            }
            Step::Undo { pick, force } => {
                let standing: Vec<u64> =
                    model.entries.iter().filter(|(_, e)| e.done).map(|(id, _)| *id).collect();
                if standing.is_empty() {
                    continue;
                }
                let id = standing[pick % standing.len()];
                let before = model.clone();
                let expected = model.undo(id, *force);
                let got = undo(&store, id, *force);
                let newest = standing.last() == Some(&id);
                let kind = if model.entries[&id].delete { "delete" } else { "import" };
                let outcome = match &got {
                    UndoOutcome::Undone => "undone",
                    UndoOutcome::Refused(_) => "refused",
                    UndoOutcome::Error => "error",
                };
                tally(format!("undo {kind} newest={newest} force={force} {outcome}"));
                if let (UndoOutcome::Refused(all), UndoOutcome::Refused(shown)) = (&expected, &got) {
                    prop_assert!(
                        shown.is_subset(all),
                        "undo {}: conflicts {:?}, the model's {:?}",
                        id,
                        shown,
                        all
                    );
                    prop_assert_eq!(shown.len(), all.len().min(store::UNDO_SHOWN), "undo {}", id);
                } else {
                    prop_assert_eq!(&got, &expected, "undo {} (force: {})", id, force);
                }
                if expected != UndoOutcome::Undone {
                    model = before;
                }
            }
            Step::Delete { companies, ids } => {
                let object = if *companies { COMPANIES } else { CONTACTS };
                let d = model.delete(&[(object, ids.clone())]);
                let got = delete(&store, &DeleteTarget::Records { object: object.into(), ids: ids.clone() })
                    .unwrap();
                prop_assert_eq!(got.delete_id, d, "{}", what);
            }
            Step::DeleteImport { pick } => {
                let imports: Vec<u64> =
                    model.entries.iter().filter(|(_, e)| !e.delete && e.done).map(|(id, _)| *id).collect();
                if imports.is_empty() {
                    continue;
                }
                let of = imports[pick % imports.len()];
                // The records it created (and not deleted since), per object.
                let targets: Vec<(&'static str, Vec<u64>)> = [CONTACTS, COMPANIES]
                    .into_iter()
                    .map(|object| {
                        let ids = model
                            .records
                            .iter()
                            .filter(|((o, _), r)| *o == object && r.created_by == of)
                            .map(|((_, id), _)| *id)
                            .collect();
                        (object, ids)
                    })
                    .collect();
                let d = model.delete(&targets);
                let got = delete(&store, &DeleteTarget::Import(of)).unwrap();
                prop_assert_eq!(got.delete_id, d, "{}", what);
            }
        }
        compare(&store, &model, &what)?;
    }
    drop(store);
    if std::env::var_os("MODEL_STATS").is_some() {
        eprintln!("{:?}", TALLY.lock().unwrap());
    }
    let report = Store::check(dir.join("s.redb")).unwrap();
    prop_assert!(report.is_ok(), "check: {:?}", report.problems);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn imports_undos_reruns_and_deletes_match_the_model(steps in prop::collection::vec(step(), 2..14)) {
        // In memory where the system has it: every step commits durably.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
        run_steps(dir.path(), &steps)?;
    }
}
