//! Associations: links between two records, in both directions, with labels, a
//! primary flag, and the history of their changes (SPEC 1 and 6).
//!
//! ## Layout
//!
//! Table `link_lists/<a>/<b>` holds the links of records of object `a` with
//! records of object `b`: one *link list* per record ([`list`]: the other
//! records' IDs ascending, each with its primary flag, labels and origin), kept
//! in *blocks* of 64 neighbouring records' lists under the key `record ID / 64`
//! ([`block`], with one checksum). Every link is in the lists of both its
//! records, in the same transaction: `x`'s list in `link_lists/a/b` names `y`,
//! and `y`'s list in `link_lists/b/a` names `x` with the same flags, labels and
//! origin (for two records of one object, both lists are in `link_lists/a/a`).
//! So both directions are always visible together, and a record's links with one
//! object are one read. The records an import creates have ascending IDs, so
//! their blocks append at the end of each table, and an import writes each table
//! once, in key order, one B-tree insert per 64 records (see `store/DESIGN.md`).
//!
//! The two earlier layouts (`links/<a>/<b>`, one key per link and direction;
//! `associations/<a>/<b>`, one key per record) are converted to this one when a
//! store is opened ([`legacy`]).
//!
//! ## History
//!
//! A link's value records its creation (source, import, time), so the links an
//! import creates need no second write. Every other change (a link removed,
//! labels added, a primary flag moved) is a [`LinkChange`] in table
//! `link_log/<object>` of both records, keyed by `(record ID, sequence)` from the
//! sequence `seq/link_log` in `meta`, stored as the import log stores its entries
//! (checksummed JSON, `entry.rs`). A removed link's change keeps when and by what
//! it had been created. A record's history is its links' creations and its log,
//! newest first ([`ReadSession::link_history`]).
//!
//! ## Rules
//!
//! A record is never linked with itself. Labels are the IDs of the pair's
//! [`AssociationType`](crate::schema::AssociationType); adding labels never removes
//! one. A record of [`PRIMARY_COMPANY_OBJECTS`](crate::schema::PRIMARY_COMPANY_OBJECTS)
//! has at most one primary company: the first company linked with it, or the one
//! a link asks to be primary ([`LinkRequest::primary`]); a record with exactly one
//! company always has it as primary. A pair's limit
//! ([`Schema::association_limit`](crate::schema::Schema::association_limit)) refuses a
//! link past it ([`LinkOutcome::LimitExceeded`]).

use ahash::AHashMap;
use redb::{ReadOnlyTable, ReadableTable, TableError, TableHandle};
use serde::{Deserialize, Serialize};

use crate::entry;

pub(crate) mod block;
pub(crate) mod legacy;
pub(crate) mod list;
mod writer;

use crate::error::{EntryTable, StoreError};
use crate::guard::guard;
use crate::schema::{LabelId, Schema, primary_side};
use crate::session::ReadSession;
use crate::tables::{self, TableKind};
pub(crate) use legacy::{convert as convert_legacy, has_legacy};
pub use writer::LinkWriter;

/// What made or removed a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkSource {
    /// An import ([`LinkOrigin::import`] names it).
    Import,
    /// `--associate-by-domain` during an import.
    AutoDomain,
    /// `ingest associate` / `dissociate`.
    User,
    /// `ingest migrate`.
    Migration,
    /// An undo.
    Undo,
    /// The deletion of one of its records.
    RecordDeleted,
    /// A program using the library.
    Api,
}

impl LinkSource {
    /// The name used in output (`import`, `auto-domain`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::Import => "import",
            Self::AutoDomain => "auto-domain",
            Self::User => "user",
            Self::Migration => "migration",
            Self::Undo => "undo",
            Self::RecordDeleted => "record-deleted",
            Self::Api => "api",
        }
    }

    fn code(self) -> u8 {
        match self {
            Self::Import => 1,
            Self::AutoDomain => 2,
            Self::User => 3,
            Self::Migration => 4,
            Self::Undo => 5,
            Self::RecordDeleted => 6,
            Self::Api => 7,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::Import,
            2 => Self::AutoDomain,
            3 => Self::User,
            4 => Self::Migration,
            5 => Self::Undo,
            6 => Self::RecordDeleted,
            7 => Self::Api,
            _ => return None,
        })
    }
}

/// When and by what a change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LinkOrigin {
    /// What made it.
    pub source: LinkSource,
    /// The import (or migration, undo) it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
}

/// One end of a link: an object and a record ID.
pub type RecordRef<'a> = (&'a str, u64);

/// A record's link with another record, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The other record's object.
    pub object: String,
    /// The other record's ID.
    pub id: u64,
    /// Label IDs of the pair's association type, ascending.
    pub labels: Vec<LabelId>,
    /// Whether this is the record's primary company link (either end).
    pub primary: bool,
    /// When and by what the link was made.
    pub created: LinkOrigin,
}

/// What a [`LinkChange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// The link was made (only in [`ReadSession::link_history`], from the link's value).
    Created,
    /// The link was removed.
    Removed,
    /// Labels were added to the link.
    LabelsAdded,
    /// The link became the primary company link.
    PrimarySet,
    /// The link stopped being the primary company link.
    PrimaryUnset,
    /// Labels were taken off the link (by an undo; an import only adds labels).
    LabelsRemoved,
}

impl ChangeKind {
    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Removed => "removed",
            Self::LabelsAdded => "labels-added",
            Self::PrimarySet => "primary-set",
            Self::PrimaryUnset => "primary-unset",
            Self::LabelsRemoved => "labels-removed",
        }
    }
}

/// One change of a record's links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkChange {
    /// Order of the change among all changes (0 for a creation read from a link).
    pub seq: u64,
    /// The other record's object.
    pub object: String,
    /// The other record's ID.
    pub id: u64,
    /// What changed.
    pub kind: ChangeKind,
    /// The labels added, or the removed link's labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LabelId>,
    /// When and by what.
    pub origin: LinkOrigin,
    /// For a removal: when and by what the link had been made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<LinkOrigin>,
    /// For a removal: whether the link was the primary company link (so that the
    /// undo of a record's deletion puts it back as it was).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub primary: bool,
}

/// What a link is asked to be ([`LinkWriter::associate`]).
#[derive(Debug, Clone)]
pub struct LinkRequest<'a> {
    /// Labels to add (IDs of the pair's association type).
    pub labels: &'a [LabelId],
    /// Make it the record's primary company link, replacing the current primary
    /// (which stays linked). Without it a new link is primary only when the record
    /// had no company.
    pub primary: bool,
    /// When and by what.
    pub origin: LinkOrigin,
}

/// What [`LinkWriter::associate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// A new link; `primary` when it became the record's primary company link.
    Created {
        /// Became primary.
        primary: bool,
    },
    /// The records were linked already.
    Existing {
        /// Labels that were not there and now are.
        labels_added: Vec<LabelId>,
        /// It became the primary company link.
        primary_set: bool,
    },
    /// The pair's limit refuses another link of `object`'s record `id`.
    LimitExceeded {
        /// The object whose record is at its limit.
        object: String,
        /// The record.
        id: u64,
        /// The limit.
        limit: u32,
    },
}

/// What [`LinkWriter::dissociate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DissociateOutcome {
    /// The link is gone; `new_primary` is the company that became primary instead.
    Removed {
        /// The record's new primary company.
        new_primary: Option<u64>,
    },
    /// The records were not linked.
    NotLinked,
}

/// A link's value in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkValue {
    primary: bool,
    labels: Vec<LabelId>,
    created: LinkOrigin,
}

/// The error of a damaged list: record `x`'s links with object `to`.
fn corrupt_list(x: RecordRef<'_>, to: &str) -> impl FnOnce(String) -> StoreError {
    let what = format!("links of {} {} with {to}", x.0, x.1);
    move |reason| StoreError::CorruptLink { link: what, reason }
}

type ListTableR = ReadOnlyTable<u64, &'static [u8]>;

/// Decodes record `x`'s list of links with `to` (its block checked).
fn read_list(bytes: &[u8], x: RecordRef<'_>, to: &str, out: &mut Vec<Link>) -> Result<(), StoreError> {
    list::decode(bytes, |e| {
        out.push(Link {
            object: to.to_owned(),
            id: e.id,
            labels: e.labels,
            primary: e.primary,
            created: e.created,
        });
    })
    .map_err(corrupt_list(x, to))
}

/// Calls `each` with every entry of record `id`'s stored list in `table` (of
/// [`block::names`] `names`), if it has one.
pub(crate) fn stored_list(
    table: &impl ReadableTable<u64, &'static [u8]>,
    names: &[u8],
    id: u64,
    mut each: impl FnMut(list::Entry),
) -> Result<(), String> {
    let (b, offset) = block::of(id);
    let Some(bytes) = table.get(b).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let lists = block::decode(bytes.value(), block::seed(names, b))?;
    if let Ok(i) = lists.binary_search_by_key(&offset, |l| l.0) {
        list::decode(lists[i].1, &mut each)?;
    }
    Ok(())
}

impl ReadSession {
    /// The objects `object`'s records have link tables with.
    fn linked_objects(&self, object: &str) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for t in self.txn().list_tables()? {
            if let Some(TableKind::Links(from, to)) = tables::table_kind(t.name())
                && from == object
            {
                out.push(to.to_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Every link of record `id` of `object`: by the other object's name, then ID.
    pub fn links(&self, object: &str, id: u64) -> Result<Vec<Link>, StoreError> {
        self.link_reader(object)?.links(id)
    }

    /// Opens the links of `object`'s records for many reads (export).
    pub fn link_reader(&self, object: &str) -> Result<LinkReader, StoreError> {
        guard(|| {
            let mut tables = Vec::new();
            for to in self.linked_objects(object)? {
                let name = tables::links_name(object, &to);
                let table = self.txn().open_table(tables::links(&name))?;
                let names = block::names(object, &to);
                tables.push((to, names, table));
            }
            Ok(LinkReader { object: object.to_owned(), tables })
        })
    }

    /// Record `id`'s association history, newest first: the creation of every
    /// current link and every logged change.
    pub fn link_history(&self, object: &str, id: u64) -> Result<Vec<LinkChange>, StoreError> {
        let links = self.links(object, id)?;
        guard(|| {
            let mut out: Vec<LinkChange> = links
                .into_iter()
                .map(|l| LinkChange {
                    seq: 0,
                    object: l.object,
                    id: l.id,
                    kind: ChangeKind::Created,
                    labels: l.labels,
                    origin: l.created,
                    created: None,
                    primary: l.primary,
                })
                .collect();
            let name = tables::link_log_name(object);
            match self.txn().open_table(tables::link_log(&name)) {
                Ok(table) => {
                    for item in table.range((id, 0)..=(id, u64::MAX))? {
                        let (k, v) = item?;
                        let seq = k.value().1;
                        let change: LinkChange = entry::decode(seq, v.value())
                            .map_err(entry::corrupt(EntryTable::LinkLog, seq))?;
                        // A removed link's creation is part of its history too (once:
                        // a link removed and put back keeps its creation).
                        let known = |c: &LinkOrigin| {
                            out.iter().any(|o: &LinkChange| {
                                o.kind == ChangeKind::Created
                                    && o.origin == *c
                                    && o.object == change.object
                                    && o.id == change.id
                            })
                        };
                        if let Some(created) = change.created.filter(|c| !known(c)) {
                            out.push(LinkChange {
                                seq: 0,
                                kind: ChangeKind::Created,
                                created: None,
                                origin: created,
                                ..change.clone()
                            });
                        }
                        out.push(change);
                    }
                }
                Err(TableError::TableDoesNotExist(_)) => {}
                Err(e) => return Err(e.into()),
            }
            // Newest first; at one time, later changes (higher sequence) first, and
            // a creation before anything else of its moment.
            out.sort_by(|x, y| {
                (y.origin.time_ms, y.seq, y.kind != ChangeKind::Created).cmp(&(
                    x.origin.time_ms,
                    x.seq,
                    x.kind != ChangeKind::Created,
                ))
            });
            Ok(out)
        })
    }

    /// The number of links (each counted once, not once per direction).
    pub fn link_count(&self) -> Result<u64, StoreError> {
        guard(|| {
            let mut entries = 0;
            for t in self.txn().list_tables()? {
                if let Some(TableKind::Links(..)) = tables::table_kind(t.name()) {
                    for item in self.txn().open_table(tables::links(t.name()))?.iter()? {
                        entries += block::count(item?.1.value());
                    }
                }
            }
            Ok(entries / 2)
        })
    }
}

/// Reads the links of one object's records ([`ReadSession::link_reader`]).
pub struct LinkReader {
    object: String,
    /// Per other object: its name, the table's [`block::names`], the table.
    tables: Vec<(String, Vec<u8>, ListTableR)>,
}

impl LinkReader {
    /// The objects this object's records have links with, by name.
    pub fn objects(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|(o, ..)| o.as_str())
    }

    /// Record `id`'s links: by the other object's name, then ID.
    pub fn links(&self, id: u64) -> Result<Vec<Link>, StoreError> {
        guard(|| {
            let mut out = Vec::new();
            for (to, names, table) in &self.tables {
                stored_list(table, names, id, |e| {
                    out.push(Link {
                        object: to.clone(),
                        id: e.id,
                        labels: e.labels,
                        primary: e.primary,
                        created: e.created,
                    });
                })
                .map_err(corrupt_list((&self.object, id), to))?;
            }
            Ok(out)
        })
    }
}

/// Verifies table `link_lists/<from>/<to>` for `ingest check`, reporting each
/// problem as `(key, problem)`: every list decodes and passes its checksum, each
/// of its links is in the other record's list with the same flags, labels and
/// origin, both records exist, its labels are labels of the pair, a primary flag
/// is only on a record's company link, and a record of a primary-company object
/// with companies has exactly one primary. Returns the number of links in the
/// table's lists.
pub(crate) fn verify_table(
    txn: &redb::ReadTransaction,
    schema: &Schema,
    from: &str,
    to: &str,
    problem: &mut impl FnMut(String, String),
) -> Result<u64, StoreError> {
    let name = tables::links_name(from, to);
    let table = txn.open_table(tables::links(&name))?;
    let mirror_name = tables::links_name(to, from);
    // The mirror's links as `(its record, ours) -> (primary, labels, origin)`, read once.
    let mut mirror: AHashMap<(u64, u64), (bool, Vec<LabelId>, LinkOrigin)> = AHashMap::new();
    match txn.open_table(tables::links(&mirror_name)) {
        Ok(mirror_table) => {
            let names = block::names(to, from);
            for item in mirror_table.iter()? {
                let (key, value) = item?;
                let b = key.value();
                // A damaged mirror block is reported when its own table is verified.
                let Ok(lists) = block::decode(value.value(), block::seed(&names, b)) else {
                    continue;
                };
                for (offset, bytes) in lists {
                    let y = block::record(b, offset);
                    let mut links = Vec::new();
                    if read_list(bytes, (to, y), from, &mut links).is_ok() {
                        mirror
                            .extend(links.into_iter().map(|l| ((y, l.id), (l.primary, l.labels, l.created))));
                    }
                }
            }
        }
        Err(TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let open_records = |object: &str| -> Result<Option<ReadOnlyTable<u64, &'static [u8]>>, StoreError> {
        let name = tables::records_name(object);
        match txn.open_table(tables::records(&name)) {
            Ok(t) => Ok(Some(t)),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    };
    let (from_records, to_records) = (open_records(from)?, open_records(to)?);
    let exists = |t: &Option<ReadOnlyTable<u64, &'static [u8]>>, id: u64| -> Result<bool, StoreError> {
        Ok(match t {
            Some(t) => t.get(id)?.is_some(),
            None => false,
        })
    };
    let pair = schema.association(from, to);
    let primary_here = primary_side(from, to) == Some(true);
    let can_be_primary = primary_side(from, to).is_some();
    let names = block::names(from, to);
    let mut entries = 0;
    for item in table.iter()? {
        let (key_guard, value_guard) = item?;
        let b = key_guard.value();
        let lists = match block::decode(value_guard.value(), block::seed(&names, b)) {
            Ok(lists) => lists,
            Err(reason) => {
                let (first, last) = (block::record(b, 0), block::last_record(b));
                problem(
                    format!("block {b}"),
                    format!("corrupt (the lists of records {first} to {last}): {reason}"),
                );
                continue;
            }
        };
        for (offset, bytes) in lists {
            let x = block::record(b, offset);
            let mut links = Vec::new();
            if let Err(e) = read_list(bytes, (from, x), to, &mut links) {
                let reason = match e {
                    StoreError::CorruptLink { reason, .. } => reason,
                    other => other.to_string(),
                };
                problem(x.to_string(), format!("corrupt: {reason}"));
                continue;
            }
            entries += links.len() as u64;
            if !exists(&from_records, x)? {
                problem(x.to_string(), format!("{from} {x} does not exist"));
            }
            for link in &links {
                let y = link.id;
                let key = format!("({x}, {y})");
                if x == y && from == to {
                    problem(key.clone(), "a record linked with itself".into());
                }
                let mirrored = mirror
                    .get(&(y, x))
                    .is_some_and(|m| m.0 == link.primary && m.1 == link.labels && m.2 == link.created);
                if !mirrored {
                    problem(key.clone(), format!("no identical link ({y}, {x}) in {mirror_name}"));
                }
                if !exists(&to_records, y)? {
                    problem(key.clone(), format!("{to} {y} does not exist"));
                }
                if let Some(l) = link.labels.iter().find(|&&l| pair.and_then(|t| t.label(l)).is_none()) {
                    problem(key.clone(), format!("label {l} is not a label of {from}-{to}"));
                }
                if link.primary && !can_be_primary {
                    problem(key, format!("marked primary, but {from}-{to} links have no primary"));
                }
            }
            let primaries = links.iter().filter(|l| l.primary).count();
            if primary_here && primaries != 1 {
                problem(
                    x.to_string(),
                    format!(
                        "{from} {x} has {} companies and {primaries} primary companies, not one",
                        links.len()
                    ),
                );
            }
        }
    }
    Ok(entries)
}

/// Verifies the association change log of `object` for `ingest check`: every
/// change decodes and passes its checksum under its sequence, which is below
/// `next_seq`. Returns the highest sequence.
pub(crate) fn verify_log(
    txn: &redb::ReadTransaction,
    object: &str,
    next_seq: u64,
    problem: &mut impl FnMut(String, String),
) -> Result<u64, StoreError> {
    let name = tables::link_log_name(object);
    let table = txn.open_table(tables::link_log(&name))?;
    let mut max = 0;
    for item in table.iter()? {
        let (k, v) = item?;
        let (id, seq) = k.value();
        max = max.max(seq);
        let key = format!("({id}, {seq})");
        if let Err(reason) = entry::decode::<LinkChange>(seq, v.value()) {
            problem(key.clone(), format!("corrupt: {reason}"));
        }
        if seq >= next_seq {
            problem(key, format!("sequence {seq} is not below seq/link_log ({next_seq})"));
        }
    }
    Ok(max)
}
