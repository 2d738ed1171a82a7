//! Associations: links between two records, in both directions, with labels, a
//! primary flag, and the history of their changes (SPEC 1 and 6).
//!
//! ## Layout
//!
//! Table `links/<a>/<b>` holds the links from records of object `a` to records of
//! object `b`, keyed by `(record of a, record of b)`. Every link is written twice
//! with the same value: under `(x, y)` in `links/a/b` and under `(y, x)` in
//! `links/b/a` (for two records of one object, both keys in `links/a/a`), in the
//! same transaction, so both directions are always visible together, and a
//! record's links with one object are one range scan `(x, 0)..=(x, MAX)`. Keys
//! sort by the first record ID: the links of records an import creates arrive
//! in ascending ID order and append at the end of the tree, and the commit stage
//! writes an import's links sorted by key, one run per table and direction (see
//! `store/DESIGN.md`).
//!
//! A link's value is `flags (u8: bit 0 primary) | source (u8) | import ID (u64 LE,
//! 0 for none) | time (i64 LE, ms since the Unix epoch) | label count (u8) | label
//! IDs (u16 LE each, ascending) | checksum (u64 LE)`, the checksum being xxh3-64 of
//! the bytes before it seeded with both ends of the link (objects and record IDs,
//! in either order): a damaged value, or one moved under another key, fails it.
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

use redb::{ReadOnlyTable, ReadableTable, TableError, TableHandle};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::entry;

mod writer;

use crate::error::{EntryTable, StoreError};
use crate::guard::guard;
use crate::schema::{LabelId, Schema, primary_side};
use crate::session::ReadSession;
use crate::tables::{self, TableKind};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

const PRIMARY: u8 = 1;
const FIXED: usize = 19;
const CHECKSUM: usize = 8;

/// The stored value of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkValue {
    primary: bool,
    labels: Vec<LabelId>,
    created: LinkOrigin,
}

/// The ends of a link in checksum order: `(first, second)` with `first <= second`
/// as `(object, ID)`.
fn ordered<'r>(a: RecordRef<'r>, b: RecordRef<'r>) -> (RecordRef<'r>, RecordRef<'r>) {
    if a <= b { (a, b) } else { (b, a) }
}

/// The object names of a link's ends as the checksum hashes them: `first \0 second`.
fn seed_names(first: &str, second: &str) -> Vec<u8> {
    let mut names = Vec::with_capacity(first.len() + second.len() + 1);
    names.extend_from_slice(first.as_bytes());
    names.push(0);
    names.extend_from_slice(second.as_bytes());
    names
}

/// The checksum seed of a link, from [`seed_names`] of its ends in [`ordered`]
/// order and their record IDs in the same order.
fn seed_with(names: &[u8], ids: (u64, u64)) -> u64 {
    xxh3_64_with_seed(names, ids.0 ^ ids.1.rotate_left(32))
}

fn seed(a: RecordRef<'_>, b: RecordRef<'_>) -> u64 {
    let (first, second) = ordered(a, b);
    seed_with(&seed_names(first.0, second.0), (first.1, second.1))
}

impl LinkValue {
    /// Appends the value's bytes, checksummed with `seed` (see [`seed`]), to `out`.
    fn encode_into(&self, seed: u64, out: &mut Vec<u8>) {
        let start = out.len();
        out.push(if self.primary { PRIMARY } else { 0 });
        out.push(self.created.source.code());
        out.extend_from_slice(&self.created.import.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&self.created.time_ms.to_le_bytes());
        out.push(u8::try_from(self.labels.len()).expect("at most 255 labels on a link"));
        for l in &self.labels {
            out.extend_from_slice(&l.to_le_bytes());
        }
        let sum = xxh3_64_with_seed(&out[start..], seed);
        out.extend_from_slice(&sum.to_le_bytes());
    }

    fn decode(bytes: &[u8], a: RecordRef<'_>, b: RecordRef<'_>) -> Result<Self, String> {
        Self::decode_seeded(bytes, seed(a, b))
    }

    /// Decodes a value checksummed with `seed` (see [`seed`]).
    fn decode_seeded(bytes: &[u8], seed: u64) -> Result<Self, String> {
        let Some((body, sum)) = bytes.split_last_chunk::<CHECKSUM>() else {
            return Err(format!("{} bytes, too short", bytes.len()));
        };
        if xxh3_64_with_seed(body, seed) != u64::from_le_bytes(*sum) {
            return Err("checksum mismatch".into());
        }
        if body.len() < FIXED
            || body.len() != FIXED + 2 * usize::from(body[FIXED - 1])
            || body[0] & !PRIMARY != 0
        {
            return Err("malformed value".into());
        }
        let source = LinkSource::from_code(body[1]).ok_or_else(|| format!("unknown source {}", body[1]))?;
        let import = u64::from_le_bytes(body[2..10].try_into().expect("8 bytes"));
        let time_ms = i64::from_le_bytes(body[10..18].try_into().expect("8 bytes"));
        let labels: Vec<LabelId> =
            body[FIXED..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        if !labels.is_sorted_by(|x, y| x < y) {
            return Err("labels not ascending".into());
        }
        Ok(Self {
            primary: body[0] & PRIMARY != 0,
            labels,
            created: LinkOrigin { source, import: (import != 0).then_some(import), time_ms },
        })
    }

    fn link(self, object: &str, id: u64) -> Link {
        Link {
            object: object.to_owned(),
            id,
            labels: self.labels,
            primary: self.primary,
            created: self.created,
        }
    }
}

fn corrupt_link(a: RecordRef<'_>, b: RecordRef<'_>) -> impl FnOnce(String) -> StoreError {
    let what = format!("link {}/{} - {}/{}", a.0, a.1, b.0, b.1);
    move |reason| StoreError::CorruptLink { link: what, reason }
}

type LinkTableR = ReadOnlyTable<(u64, u64), &'static [u8]>;

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
                tables.push((to, table));
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
                        // A removed link's creation is part of its history too.
                        if let Some(created) = change.created {
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
        use redb::ReadableTableMetadata;
        guard(|| {
            let mut entries = 0;
            for t in self.txn().list_tables()? {
                if let Some(TableKind::Links(..)) = tables::table_kind(t.name()) {
                    entries += self.txn().open_table(tables::links(t.name()))?.len()?;
                }
            }
            Ok(entries / 2)
        })
    }
}

/// Reads the links of one object's records ([`ReadSession::link_reader`]).
pub struct LinkReader {
    object: String,
    tables: Vec<(String, LinkTableR)>,
}

impl LinkReader {
    /// The objects this object's records have links with, by name.
    pub fn objects(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|(o, _)| o.as_str())
    }

    /// Record `id`'s links: by the other object's name, then ID.
    pub fn links(&self, id: u64) -> Result<Vec<Link>, StoreError> {
        guard(|| {
            let mut out = Vec::new();
            for (to, table) in &self.tables {
                for item in table.range((id, 0)..=(id, u64::MAX))? {
                    let (k, v) = item?;
                    let y = k.value().1;
                    let (x, other) = ((self.object.as_str(), id), (to.as_str(), y));
                    let value = LinkValue::decode(v.value(), x, other).map_err(corrupt_link(x, other))?;
                    out.push(value.link(to, y));
                }
            }
            Ok(out)
        })
    }
}

/// Verifies table `links/<from>/<to>` for `ingest check`, reporting each problem
/// as `(key, problem)`: every value decodes and passes its checksum, its mirror
/// holds the same bytes, both records exist, its labels are labels of the pair, a
/// primary flag is only on a record's company link, and a record of a
/// primary-company object with companies has exactly one primary. Returns the
/// number of entries.
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
    let mirror = match txn.open_table(tables::links(&mirror_name)) {
        Ok(t) => Some(t),
        Err(TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(e.into()),
    };
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
    // The record whose companies are being counted: (id, companies, primaries).
    let mut group: Option<(u64, u32, u32)> = None;
    let close = |group: Option<(u64, u32, u32)>, problem: &mut dyn FnMut(String, String)| {
        if let Some((id, companies, primaries)) = group
            && primaries != 1
        {
            problem(
                id.to_string(),
                format!("{from} {id} has {companies} companies and {primaries} primary companies, not one"),
            );
        }
    };
    let mut entries = 0;
    for item in table.iter()? {
        let (key_guard, value_guard) = item?;
        entries += 1;
        let (x, y) = key_guard.value();
        let bytes = value_guard.value();
        let key = format!("({x}, {y})");
        let value = match LinkValue::decode(bytes, (from, x), (to, y)) {
            Ok(value) => value,
            Err(reason) => {
                problem(key, format!("corrupt: {reason}"));
                continue;
            }
        };
        if x == y && from == to {
            problem(key.clone(), "a record linked with itself".into());
        }
        let mirrored = match &mirror {
            Some(m) => m.get((y, x))?.is_some_and(|w| w.value() == bytes),
            None => false,
        };
        if !mirrored {
            problem(key.clone(), format!("no identical link ({y}, {x}) in {mirror_name}"));
        }
        if !exists(&from_records, x)? {
            problem(key.clone(), format!("{from} {x} does not exist"));
        }
        if !exists(&to_records, y)? {
            problem(key.clone(), format!("{to} {y} does not exist"));
        }
        if let Some(l) = value.labels.iter().find(|&&l| pair.and_then(|t| t.label(l)).is_none()) {
            problem(key.clone(), format!("label {l} is not a label of {from}-{to}"));
        }
        if value.primary && !can_be_primary {
            problem(key.clone(), format!("marked primary, but {from}-{to} links have no primary"));
        }
        if primary_here {
            match &mut group {
                Some((id, companies, primaries)) if *id == x => {
                    *companies += 1;
                    *primaries += u32::from(value.primary);
                }
                _ => {
                    close(group.take(), problem);
                    group = Some((x, 1, u32::from(value.primary)));
                }
            }
        }
    }
    close(group, problem);
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
