//! `ingest check`: verifies a whole store file without modifying it (SPEC 11).
//!
//! The store promises that corruption is reported, never returned as data. Reads
//! verify what they touch; this module verifies everything, so that damage is
//! found before a command meets it:
//!
//! * redb's own integrity check (page checksums, tree structure, allocator), run
//!   on a copy-on-write overlay of the file ([`crate::overlay`]) because redb's
//!   check repairs and commits; the overlay holds a shared lock on the file, so no
//!   writer runs meanwhile, and the file is only read (read-only media work);
//! * every record of every records table decodes and matches its checksum;
//! * every identifier index entry points to an existing record holding that
//!   value (as its primary value, or among its secondary values where the entry is
//!   marked [`crate::SECONDARY`]), and every record's identifier values are in
//!   their index, pointing back (for a shared property such as companies' `domain`
//!   after an import by a custom identifier: to the lowest-ID record holding it);
//! * the ID sequences are above every ID, the import log decodes and passes its
//!   checksums under the right keys, and every record's `created_by`/`updated_by`
//!   names a finished import in the log (or 0);
//! * every owner decodes and passes its checksum under the right key, has an email
//!   and shares it with no other owner, and `seq/owners` is above every owner ID.
//!
//! * every chunk of the imports' error files passes its checksum, each file's
//!   chunks are numbered from 0 without a gap and end with exactly one last
//!   chunk, and each file belongs to a finished import in the log;
//!
//! * every schema entry decodes and passes its checksum; the unique properties it
//!   declares name the identifier indexes verified above (the object's default
//!   identifier always, another unique property where its index exists).
//!
//! A redb panic on a damaged page is a problem ("redb panicked"), never a crash.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::path::Path;

use redb::{ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable, TableError};
use serde::Serialize;

use crate::error::{NotAStoreReason, OpenError, StoreError};
use crate::guard::{catch_any, guard};
use crate::imports::{ImportEntry, ImportStatus};
use crate::owners::Owner;
use crate::record::RecordView;
use crate::store::{Meta, open_overlay, preflight_read, read_meta};
use crate::tables::{
    self, FORMAT_KEY, FORMAT_VERSION, IDENTITY_KEYS, IMPORT_SEQUENCE, IMPORTS, META, OWNER_SEQUENCE, OWNERS,
    TableKind,
};

/// At most this many problems are listed; the rest are counted.
pub const MAX_PROBLEMS: usize = 1000;

/// Page cache of the check's database (it reads the file once, mostly).
const CHECK_CACHE_BYTES: usize = 64 << 20;

/// A unique identifier property the check verifies against its index.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdentifierSpec {
    /// Object name (`contacts`).
    object: String,
    /// Property name (`email`), for messages.
    property: String,
    /// Property ID, as stored in records and in the index's table name.
    number: u16,
    /// The object's default identifier: its index must hold every value.
    always: bool,
    /// The property holding the record's secondary values, indexed with it.
    secondary: Option<u16>,
    /// Several records may share a value; the index names the lowest ID.
    shared: bool,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The table (`records/contacts`, `index/contacts/email`, `meta`, `imports`, `owners`), or
    /// `(file)` for the file as a whole.
    pub table: String,
    /// The key, as text (record ID, identifier, meta key, import ID, owner ID); empty when the
    /// problem is not about one key.
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

/// How much was checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckCounts {
    /// Tables found.
    pub tables: u64,
    /// Records decoded.
    pub records: u64,
    /// Identifier index entries followed.
    pub index_entries: u64,
    /// Import log entries decoded.
    pub imports: u64,
    /// Owners decoded.
    pub owners: u64,
    /// Entries of the `meta` table.
    pub meta_entries: u64,
    /// Link entries verified (each link is two, one per direction).
    pub links: u64,
    /// Chunks of the imports' error files verified.
    pub error_chunks: u64,
    /// Replay memos verified.
    pub replay_memos: u64,
}

/// The result of [`crate::Store::check`].
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The store file.
    pub path: String,
    /// The store identity, if it could be read.
    pub identity: Option<String>,
    /// The store format version, if it could be read.
    pub format_version: Option<u64>,
    /// Whether redb's integrity check passed.
    pub redb_integrity: bool,
    /// What was checked.
    pub checked: CheckCounts,
    /// The problems found (at most [`MAX_PROBLEMS`]), in the order found.
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub problems_omitted: u64,
}

impl CheckReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.problems_omitted == 0
    }

    fn problem(&mut self, table: &str, key: impl Display, problem: impl Into<String>) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                table: table.to_owned(),
                key: key.to_string(),
                problem: problem.into(),
            });
        } else {
            self.problems_omitted += 1;
        }
    }
}

/// Text of an identifier key for reports.
fn key_text(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// Checks the store file at `path` (see the module docs). Fails only when the file
/// cannot be checked at all (missing, no permission, in use by a writer, not a
/// store or a store of another format); damage of any kind is a problem in the
/// report.
pub(crate) fn check(path: &Path) -> Result<CheckReport, OpenError> {
    preflight_read(path)?;
    let mut report = CheckReport {
        path: path.display().to_string(),
        identity: None,
        format_version: None,
        redb_integrity: false,
        checked: CheckCounts::default(),
        problems: Vec::new(),
        problems_omitted: 0,
    };
    let mut db = match open_overlay(path, CHECK_CACHE_BYTES) {
        Ok(db) => db,
        Err(OpenError::Corrupt { detail, .. }) => {
            report.problem("(file)", "", format!("the store is corrupt: {detail}"));
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    match catch_any(|| db.check_integrity()) {
        Ok(Ok(true)) => report.redb_integrity = true,
        Ok(Ok(false)) => report.problem(
            "(file)",
            "",
            "redb's integrity check failed: pages are damaged (a repair was tried on a copy in memory; the file is unchanged)",
        ),
        Ok(Err(e)) => report.problem("(file)", "", format!("redb's integrity check failed: {e}")),
        Err(message) => report.problem("(file)", "", format!("the store is corrupt: redb panicked: {message}")),
    }
    let txn = match guard(|| Ok(db.begin_read()?)) {
        Ok(txn) => txn,
        Err(e) => {
            report.problem("(file)", "", format!("cannot read the store: {e}"));
            return Ok(report);
        }
    };
    // A store of another format is not checked record by record: every record
    // would fail. (A damaged format value ends here too, as an error.)
    let not_a_store = |reason| OpenError::NotAStore { path: path.to_path_buf(), reason };
    match guard(|| read_meta(&txn)) {
        Ok(Meta::Format(FORMAT_VERSION, _)) => {}
        Ok(Meta::Format(found, _)) => {
            return Err(not_a_store(NotAStoreReason::FormatVersion { found, supported: FORMAT_VERSION }));
        }
        Ok(Meta::NoFormat | Meta::Uninitialized) => {
            return Err(not_a_store(NotAStoreReason::NoFormatVersion));
        }
        Err(e) => report.problem("meta", "", format!("cannot be read: {e}")),
    }
    let mut checker = Checker { txn: &txn, report, identifiers: Vec::new(), import_status: HashMap::new() };
    checker.run();
    Ok(checker.report)
}

struct Checker<'a> {
    txn: &'a ReadTransaction,
    report: CheckReport,
    identifiers: Vec<IdentifierSpec>,
    /// Import IDs in the log: `Some(status)`, or `None` when the entry is corrupt.
    import_status: HashMap<u64, Option<ImportStatus>>,
}

fn open_optional<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: redb::TableDefinition<'_, K, V>,
) -> Result<Option<ReadOnlyTable<K, V>>, StoreError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl Checker<'_> {
    fn run(&mut self) {
        let names = match guard(|| {
            Ok(self.txn.list_tables()?.map(|h| redb::TableHandle::name(&h).to_owned()).collect::<Vec<_>>())
        }) {
            Ok(names) => names,
            Err(e) => {
                self.report.problem("(file)", "", format!("cannot list the tables: {e}"));
                return;
            }
        };
        self.report.checked.tables = names.len() as u64;
        let mut records = Vec::new();
        let mut indexes = Vec::new();
        let mut links = Vec::new();
        let mut logs = Vec::new();
        let mut befores = Vec::new();
        let mut error_files = false;
        let mut replay = false;
        for name in &names {
            match tables::table_kind(name) {
                Some(
                    TableKind::Meta
                    | TableKind::Imports
                    | TableKind::Schema
                    | TableKind::Owners
                    | TableKind::ListMembers,
                ) => {}
                Some(TableKind::Records(object)) => records.push(object.to_owned()),
                Some(TableKind::Index(object, property)) => indexes.push((object.to_owned(), property)),
                Some(TableKind::Links(from, to)) => links.push((from.to_owned(), to.to_owned())),
                Some(TableKind::LinkLog(object)) => logs.push(object.to_owned()),
                Some(TableKind::Before(object)) => befores.push(object.to_owned()),
                Some(TableKind::Lists) => {
                    self.guarded("lists", Self::lists);
                }
                Some(TableKind::ImportErrors) => error_files = true,
                Some(TableKind::Replay) => replay = true,
                Some(TableKind::LegacyLinks(..)) => {
                    self.report.problem(name, "", "a links table of the first layout, not converted");
                }
                Some(TableKind::RecordLists(..)) => {
                    self.report.problem(name, "", "a links table of the second layout, not converted");
                }
                None => self.report.problem(name, "", "a table the store never writes"),
            }
        }
        self.guarded("schema", |c| c.schema(&indexes));
        let meta = self.guarded("meta", Self::meta).unwrap_or_default();
        let max_import = self.guarded("imports", Self::imports).unwrap_or(0);
        if max_import > 0 {
            self.sequence_above(&meta, IMPORT_SEQUENCE, max_import, "import");
        }
        let max_owner = self.guarded("owners", Self::owners).unwrap_or(0);
        if max_owner > 0 {
            self.sequence_above(&meta, OWNER_SEQUENCE, max_owner, "owner");
        }
        for object in &records {
            let table = tables::records_name(object);
            if let Some(max_id) = self.guarded(&table, |c| c.records(object))
                && max_id > 0
            {
                self.sequence_above(&meta, &tables::sequence_key(object), max_id, "record");
            }
        }
        for (object, property) in &indexes {
            let table = tables::index_name(object, *property);
            self.guarded(&table, |c| c.index(object, *property));
        }
        self.links(&links, &logs, &meta);
        for object in &befores {
            let table = tables::before_name(object);
            self.guarded(&table, |c| c.before_images(object));
        }
        if replay {
            self.guarded("replay", Self::replay_memos);
        }
        if error_files {
            self.guarded("import_errors", Self::error_files);
        }
    }

    /// Checks the imports' error files ([`crate::import_errors`]).
    fn error_files(&mut self) -> Result<(), StoreError> {
        let Some(table) = open_optional(self.txn, crate::import_errors::IMPORT_ERRORS)? else {
            return Ok(());
        };
        let mut imports = Vec::new();
        let mut found = Vec::new();
        self.report.checked.error_chunks =
            crate::import_errors::verify(&table, &mut |id| imports.push(id), &mut |k, p| found.push((k, p)))?;
        for (key, problem) in found {
            self.report.problem("import_errors", key, problem);
        }
        for id in imports {
            match self.import_status.get(&id) {
                None => self.report.problem(
                    "import_errors",
                    id,
                    format!("an error file of import {id}, which is not in the import log"),
                ),
                Some(Some(ImportStatus::Running | ImportStatus::Interrupted)) => self.report.problem(
                    "import_errors",
                    id,
                    format!("an error file of import {id}, which did not finish"),
                ),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Checks the replay memos: each decodes, under an object of the schema.
    fn replay_memos(&mut self) -> Result<(), StoreError> {
        let schema = crate::schema::stored::read(self.txn)?;
        let objects: Vec<String> = schema.names().map(str::to_owned).collect();
        let Some(table) = open_optional(self.txn, crate::tables::REPLAY)? else {
            return Ok(());
        };
        let (count, found) = crate::replay::verify(&table)?;
        self.report.checked.replay_memos = count;
        for (object, problem) in found {
            self.report.problem("replay", object, problem);
        }
        for item in guard(|| Ok(table.iter()?))? {
            let object = guard(|| Ok(item?.0.value().to_owned()))?;
            if !objects.contains(&object) {
                self.report.problem("replay", &object, "a memo of an object that is not in the schema");
            }
        }
        Ok(())
    }

    /// Checks the list entries: each decodes under its ID.
    fn lists(&mut self) -> Result<(), StoreError> {
        let Some(table) = open_optional(self.txn, crate::lists::LISTS)? else {
            return Ok(());
        };
        for item in table.iter()? {
            let (k, v) = item?;
            if let Err(reason) = crate::entry::decode::<crate::ListEntry>(k.value(), v.value()) {
                self.report.problem("lists", k.value(), format!("corrupt: {reason}"));
            }
        }
        Ok(())
    }

    /// Checks the before-images of `object`: each a valid record under its
    /// record ID, kept for an import in the log.
    fn before_images(&mut self, object: &str) -> Result<(), StoreError> {
        let name = tables::before_name(object);
        let Some(table) = open_optional(self.txn, tables::before(&name))? else {
            return Ok(());
        };
        for item in table.iter()? {
            let (k, v) = item?;
            let (import, id) = k.value();
            if let Err(reason) = RecordView::parse(v.value(), id) {
                self.report.problem(&name, format!("{import}/{id}"), format!("corrupt: {reason}"));
            }
            if !self.import_status.contains_key(&import) {
                self.report.problem(
                    &name,
                    format!("{import}/{id}"),
                    format!("kept for import {import}, which is not in the import log"),
                );
            }
        }
        Ok(())
    }

    /// Checks the links tables and the association change logs ([`crate::links`]).
    fn links(&mut self, links: &[(String, String)], logs: &[String], meta: &BTreeMap<String, u64>) {
        if links.is_empty() && logs.is_empty() {
            return;
        }
        let Some(schema) = self.guarded("schema", |c| crate::schema::stored::read(c.txn)) else {
            return;
        };
        for (from, to) in links {
            let table = tables::links_name(from, to);
            let mut found = Vec::new();
            if let Some(n) = self.guarded(&table, |c| {
                crate::links::verify_table(c.txn, &schema, from, to, &mut |k, p| found.push((k, p)))
            }) {
                self.report.checked.links += n;
            }
            for (key, problem) in found {
                self.report.problem(&table, key, problem);
            }
        }
        let next_seq = meta.get(tables::LINK_LOG_SEQUENCE).copied().unwrap_or(1);
        let mut max_seq = 0;
        for object in logs {
            let table = tables::link_log_name(object);
            let mut found = Vec::new();
            if let Some(max) = self.guarded(&table, |c| {
                crate::links::verify_log(c.txn, object, next_seq, &mut |k, p| found.push((k, p)))
            }) {
                max_seq = max_seq.max(max);
            }
            for (key, problem) in found {
                self.report.problem(&table, key, problem);
            }
        }
        if max_seq > 0 && !meta.contains_key(tables::LINK_LOG_SEQUENCE) {
            self.report.problem(
                "meta",
                tables::LINK_LOG_SEQUENCE,
                "missing, though association changes exist",
            );
        }
    }

    /// Checks the schema entries and collects the identifiers to verify: each
    /// object's default identifier, and the unique properties that have an index.
    fn schema(&mut self, indexes: &[(String, u16)]) -> Result<(), StoreError> {
        let Some(table) = open_optional(self.txn, tables::SCHEMA)? else {
            self.report.problem("schema", "", "missing");
            return Ok(());
        };
        for item in table.iter()? {
            let (k, v) = item?;
            let name = k.value();
            match crate::schema::stored::decode(name, v.value()) {
                Ok(object) => {
                    let default = object.identifier_id();
                    for p in object.properties.iter().filter(|p| p.unique) {
                        let always = default == Some(p.id);
                        if always || indexes.iter().any(|(o, id)| o == name && *id == p.id) {
                            self.identifiers.push(IdentifierSpec {
                                object: name.to_owned(),
                                property: p.name.clone(),
                                number: p.id,
                                always,
                                secondary: object
                                    .properties
                                    .iter()
                                    .find(|s| s.secondary_of.as_deref() == Some(p.name.as_str()))
                                    .map(|s| s.id),
                                shared: p.shared,
                            });
                        }
                    }
                }
                Err(reason) => self.report.problem("schema", name, format!("corrupt: {reason}")),
            }
        }
        for (object, id) in indexes {
            if !self.identifiers.iter().any(|s| s.object == *object && s.number == *id) {
                self.report.problem(
                    &tables::index_name(object, *id),
                    "",
                    "an index of a property the schema does not declare unique",
                );
            }
        }
        Ok(())
    }

    /// Runs one table's check; an error or a redb panic stops that table only.
    fn guarded<T>(&mut self, table: &str, f: impl FnOnce(&mut Self) -> Result<T, StoreError>) -> Option<T> {
        match guard(|| f(self)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.report.problem(table, "", format!("cannot be read: {e}"));
                None
            }
        }
    }

    fn sequence_above(&mut self, meta: &BTreeMap<String, u64>, key: &str, max: u64, what: &str) {
        match meta.get(key) {
            None => self.report.problem("meta", key, format!("missing, though {what} IDs up to {max} exist")),
            Some(&next) if next <= max => self.report.problem(
                "meta",
                key,
                format!("next {what} ID is {next}, not above the highest {what} ID {max}"),
            ),
            Some(_) => {}
        }
    }

    fn meta(&mut self) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut out = BTreeMap::new();
        let Some(table) = open_optional(self.txn, META)? else {
            self.report.problem("meta", "", "the meta table is missing");
            return Ok(out);
        };
        for item in table.iter()? {
            let (k, v) = item?;
            self.report.checked.meta_entries += 1;
            out.insert(k.value().to_owned(), v.value());
        }
        match out.get(FORMAT_KEY) {
            None => self.report.problem("meta", FORMAT_KEY, "the store format version is missing"),
            Some(&v) => {
                self.report.format_version = Some(v);
                if v != FORMAT_VERSION {
                    self.report.problem(
                        "meta",
                        FORMAT_KEY,
                        format!("store format {v}; this version reads format {FORMAT_VERSION}"),
                    );
                }
            }
        }
        let damage = match tables::identity_from(IDENTITY_KEYS.map(|k| out.get(k).copied())) {
            Some(Ok(identity)) => {
                self.report.identity = Some(format!("{identity:032x}"));
                None
            }
            Some(Err(())) => Some("the store identity does not match its checksum"),
            None => Some("the store identity is missing"),
        };
        if let Some(damage) = damage {
            self.report.problem("meta", "identity", damage);
        }
        for key in out.keys() {
            let known = key == FORMAT_KEY
                || IDENTITY_KEYS.contains(&key.as_str())
                || key.strip_prefix("seq/").is_some_and(|o| !o.is_empty());
            if !known {
                self.report.problem("meta", key, "a key the store never writes");
            }
        }
        Ok(out)
    }

    /// Checks the import log; returns the highest import ID.
    fn imports(&mut self) -> Result<u64, StoreError> {
        let Some(table) = open_optional(self.txn, IMPORTS)? else {
            return Ok(0);
        };
        let mut max = 0;
        for item in table.iter()? {
            let (k, v) = item?;
            let id = k.value();
            max = max.max(id);
            self.report.checked.imports += 1;
            match ImportEntry::decode(id, v.value()) {
                Ok(entry) => {
                    if entry.id != id {
                        self.report.problem(
                            "imports",
                            id,
                            format!("the entry says it is import {}", entry.id),
                        );
                    }
                    self.import_status.insert(id, Some(entry.status));
                }
                Err(reason) => {
                    self.report.problem("imports", id, format!("the entry is corrupt: {reason}"));
                    self.import_status.insert(id, None);
                }
            }
        }
        Ok(max)
    }

    /// Checks the owners: each decodes under its key, has an email and shares it
    /// with no other owner. Returns the highest owner ID.
    fn owners(&mut self) -> Result<u64, StoreError> {
        let Some(table) = open_optional(self.txn, OWNERS)? else {
            return Ok(0);
        };
        let mut max = 0;
        let mut emails: HashMap<String, u64> = HashMap::new();
        for item in table.iter()? {
            let (k, v) = item?;
            let id = k.value();
            max = max.max(id);
            self.report.checked.owners += 1;
            match Owner::decode(id, v.value()) {
                Ok(owner) if owner.email.is_empty() => self.report.problem("owners", id, "has no email"),
                Ok(owner) => {
                    if let Some(first) = emails.get(&owner.email) {
                        self.report.problem(
                            "owners",
                            id,
                            format!("its email '{}' is also owner {first}'s", owner.email),
                        );
                    } else {
                        emails.insert(owner.email, id);
                    }
                }
                Err(reason) => self.report.problem("owners", id, format!("corrupt: {reason}")),
            }
        }
        Ok(max)
    }

    fn specs(&self, object: &str) -> Vec<IdentifierSpec> {
        self.identifiers.iter().filter(|s| s.object == object).cloned().collect()
    }

    /// Checks every record of `object`; returns the highest record ID.
    fn records(&mut self, object: &str) -> Result<u64, StoreError> {
        let table_name = tables::records_name(object);
        let Some(table) = open_optional(self.txn, tables::records(&table_name))? else {
            return Ok(0);
        };
        let specs = self.specs(object);
        let index_names: Vec<String> = specs.iter().map(|s| tables::index_name(object, s.number)).collect();
        let mut indexes = Vec::new();
        for name in &index_names {
            indexes.push(open_optional(self.txn, tables::index(name))?);
        }
        let mut max = 0;
        for item in table.iter()? {
            let (k, v) = item?;
            let id = k.value();
            max = max.max(id);
            self.report.checked.records += 1;
            let view = match RecordView::parse(v.value(), id) {
                Ok(view) => view,
                Err(reason) => {
                    self.report.problem(&table_name, id, format!("corrupt: {reason}"));
                    continue;
                }
            };
            for (what, import) in [("created", view.created_by), ("updated", view.updated_by)] {
                if import == 0 {
                    continue;
                }
                match self.import_status.get(&import) {
                    None => self.report.problem(
                        &table_name,
                        id,
                        format!("{what} by import {import}, which is not in the import log"),
                    ),
                    Some(Some(ImportStatus::Running | ImportStatus::Interrupted)) => self.report.problem(
                        &table_name,
                        id,
                        format!("{what} by import {import}, which did not finish"),
                    ),
                    Some(_) => {}
                }
            }
            for ((spec, index_name), index) in specs.iter().zip(&index_names).zip(&indexes) {
                let primary = view.get(spec.number);
                let secondary = spec.secondary.and_then(|p| view.get(p)).unwrap_or("");
                let values = primary.map(|v| (v, false)).into_iter().chain(
                    secondary.split(';').filter(|v| !v.is_empty() && Some(*v) != primary).map(|v| (v, true)),
                );
                for (value, is_secondary) in values {
                    let entry = match index {
                        Some(index) => index.get(value.as_bytes())?.map(|g| g.value()),
                        None if !spec.always => continue,
                        None => None,
                    };
                    let what = if is_secondary { "secondary value" } else { spec.property.as_str() };
                    let Some(entry) = entry else {
                        self.report.problem(
                            &table_name,
                            id,
                            format!("its {what} '{value}' is not in {index_name}"),
                        );
                        continue;
                    };
                    let owner = entry & !crate::SECONDARY;
                    let marked = entry & crate::SECONDARY != 0;
                    if owner == id && marked != is_secondary {
                        self.report.problem(
                            &table_name,
                            id,
                            format!(
                                "its {what} '{value}' is indexed as a {} value",
                                if marked { "secondary" } else { "primary" }
                            ),
                        );
                    } else if owner != id && !(spec.shared && owner < id) {
                        self.report.problem(
                            &table_name,
                            id,
                            format!("its {what} '{value}' is indexed as record {owner}'s"),
                        );
                    }
                }
            }
        }
        Ok(max)
    }

    /// Checks that every entry of an index points to a record holding its key.
    fn index(&mut self, object: &str, property_id: u16) -> Result<(), StoreError> {
        let table_name = tables::index_name(object, property_id);
        let Some(table) = open_optional(self.txn, tables::index(&table_name))? else {
            return Ok(());
        };
        let records_name = tables::records_name(object);
        let records = open_optional(self.txn, tables::records(&records_name))?;
        let spec = self.identifiers.iter().find(|s| s.object == object && s.number == property_id);
        let number = spec.map(|s| s.number);
        let secondary = spec.and_then(|s| s.secondary);
        let property = spec.map_or_else(|| property_id.to_string(), |s| s.property.clone());
        for item in table.iter()? {
            let (k, v) = item?;
            let key = k.value();
            let id = v.value() & !crate::SECONDARY;
            let marked = v.value() & crate::SECONDARY != 0;
            self.report.checked.index_entries += 1;
            let stored = match &records {
                Some(records) => records.get(id)?,
                None => None,
            };
            let Some(stored) = stored else {
                self.report.problem(
                    &table_name,
                    key_text(key),
                    format!("points to record {id}, which does not exist"),
                );
                continue;
            };
            let Some(number) = number else {
                continue;
            };
            // A corrupt record is reported by the records check.
            let Ok(view) = RecordView::parse(stored.value(), id) else {
                continue;
            };
            if marked {
                let held = secondary.and_then(|p| view.get(p)).unwrap_or("");
                if !held.split(';').any(|v| v.as_bytes() == key) {
                    self.report.problem(
                        &table_name,
                        key_text(key),
                        format!("points to record {id} as a secondary value it does not hold"),
                    );
                }
                continue;
            }
            match view.get(number) {
                Some(value) if value.as_bytes() == key => {}
                Some(value) => self.report.problem(
                    &table_name,
                    key_text(key),
                    format!("points to record {id}, whose {property} is '{value}'"),
                ),
                None => self.report.problem(
                    &table_name,
                    key_text(key),
                    format!("points to record {id}, which has no {property}"),
                ),
            }
        }
        Ok(())
    }
}
