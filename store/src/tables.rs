//! The table layout: every key the store writes, in one place.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `&str` name (`format`, `identity/hi`, `identity/lo`, `identity/sum`, `seq/<object>`, `seq/imports`, `seq/owners`) | `u64` |
//! | `records/<object>` | `u64` record ID (ascending = creation order) | checksummed record bytes ([`crate::record`]) |
//! | `index/<object>/<property ID>` | normalized identifier bytes | `u64` record ID |
//! | `imports` | `u64` import ID | checksum + JSON [`crate::ImportEntry`] |
//! | `schema` | object name | checksum + JSON [`crate::schema::ObjectDef`] |
//! | `owners` | `u64` owner ID | checksum + JSON [`crate::Owner`] |
//! | `link_lists/<a>/<b>` | `u64` block: record of `a` / 64 | the link lists of 64 neighbouring records with records of `b`, one checksum ([`crate::links`]) |
//! | `link_log/<object>` | `(u64, u64)`: record ID, change sequence | checksum + JSON of a change ([`crate::LinkChange`]) |
//! | `lists` | `u64` list ID | checksum + JSON [`crate::ListEntry`] |
//! | `list_members` | `(u64, u64)`: list ID, record ID | nothing |
//! | `before/<object>` | `(u64, u64)`: import ID, record ID | the record's bytes before that import first changed it |
//! | `replay` | object name | `u64 checksum, bytes`: the [`crate::ReplayMemo`] of the object's last import that left one |
//! | `import_errors` | `(u64, u32)`: import ID, chunk number | `u64 checksum, u8 flags (last chunk), bytes`: at most 1 MiB of the import's error file ([`crate::import_errors`]) |
//!
//! Record tables are keyed by integers assigned in ascending order so that the
//! records an import creates are appended at the end of the B-tree.

use redb::TableDefinition;

/// Sequences and small counters.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// The import log.
pub const IMPORTS: TableDefinition<u64, &[u8]> = TableDefinition::new("imports");
/// The schema: one entry per object.
pub const SCHEMA: TableDefinition<&str, &[u8]> = TableDefinition::new("schema");
/// The owners (users records are assigned to).
pub const OWNERS: TableDefinition<u64, &[u8]> = TableDefinition::new("owners");

/// Name of the records table of `object`.
pub fn records_name(object: &str) -> String {
    format!("records/{object}")
}

/// Name of the identifier index of `object` on the property with ID `property`.
pub fn index_name(object: &str, property: u16) -> String {
    format!("index/{object}/{property}")
}

/// Name of the ID sequence of `object` in [`META`].
pub fn sequence_key(object: &str) -> String {
    format!("seq/{object}")
}

/// Name of the table of links from records of `from` to records of `to`.
pub fn links_name(from: &str, to: &str) -> String {
    format!("link_lists/{from}/{to}")
}

/// Name of a table of the second links layout (one key per record), converted
/// when the store is opened ([`crate::links`]).
pub fn record_lists_name(from: &str, to: &str) -> String {
    format!("associations/{from}/{to}")
}

/// Name of a table of the first links layout (one key per link and direction),
/// converted when the store is opened ([`crate::links`]).
pub fn legacy_links_name(from: &str, to: &str) -> String {
    format!("links/{from}/{to}")
}

/// Name of the before-images of `object`'s records: each record an import
/// changed, as it was stored before that import first changed it (`undo`).
pub fn before_name(object: &str) -> String {
    format!("before/{object}")
}

/// Name of the association change log of the records of `object`.
pub fn link_log_name(object: &str) -> String {
    format!("link_log/{object}")
}

/// The replay memos: per object, the pieces of its last import that a re-run of
/// the same input leaves as they are ([`crate::ReplayMemo`]).
pub const REPLAY: TableDefinition<&str, &[u8]> = TableDefinition::new("replay");

/// Key of the association-change sequence in [`META`].
pub const LINK_LOG_SEQUENCE: &str = "seq/link_log";

/// Key of the import-ID sequence in [`META`].
pub const IMPORT_SEQUENCE: &str = "seq/imports";

/// Key of the owner-ID sequence in [`META`].
pub const OWNER_SEQUENCE: &str = "seq/owners";

/// Key of the store format version in [`META`], written when the store is created.
pub const FORMAT_KEY: &str = "format";

/// Keys of the store identity in [`META`]: a random 128-bit ID (high and low
/// halves) and its checksum ([`identity_sum`]), so that a damaged identity is not
/// mistaken for another store's.
pub const IDENTITY_KEYS: [&str; 3] = ["identity/hi", "identity/lo", "identity/sum"];

/// The checksum stored with the identity.
pub(crate) fn identity_sum(identity: u128) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(&identity.to_le_bytes(), FORMAT_VERSION)
}

/// The identity stored as `[hi, lo, sum]` (any of them missing: `None`);
/// `Some(Err(()))` when the checksum does not match.
pub(crate) fn identity_from(parts: [Option<u64>; 3]) -> Option<Result<u128, ()>> {
    let [Some(hi), Some(lo), Some(sum)] = parts else {
        return None;
    };
    let identity = (u128::from(hi) << 64) | u128::from(lo);
    Some(if identity_sum(identity) == sum { Ok(identity) } else { Err(()) })
}

/// The store format this build reads and writes. Format 1 (no `format` key) had no
/// checksums; format 2 had no `schema` table and named index tables by property
/// name (`index/contacts/email`): it is upgraded when opened
/// ([`crate::schema`]).
pub const FORMAT_VERSION: u64 = 3;

/// The format upgraded to [`FORMAT_VERSION`] when opened.
pub const UPGRADABLE_FORMAT: u64 = 2;

/// What a table name says the table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind<'a> {
    /// [`META`].
    Meta,
    /// [`IMPORTS`].
    Imports,
    /// [`SCHEMA`].
    Schema,
    /// [`OWNERS`].
    Owners,
    /// The records of an object.
    Records(&'a str),
    /// The identifier index of an object on a property (by ID).
    Index(&'a str, u16),
    /// The links from records of one object to records of another.
    Links(&'a str, &'a str),
    /// The same in the first layout, converted at open ([`legacy_links_name`]).
    LegacyLinks(&'a str, &'a str),
    /// The same in the second layout, converted at open ([`record_lists_name`]).
    RecordLists(&'a str, &'a str),
    /// The association change log of an object's records.
    LinkLog(&'a str),
    /// The before-images of an object's records ([`before_name`]).
    Before(&'a str),
    /// The static lists.
    Lists,
    /// Their members.
    ListMembers,
    /// The imports' error files, in chunks.
    ImportErrors,
    /// [`REPLAY`].
    Replay,
}

/// A links layout's [`TableKind`] of `(from, to)`.
type LinksKind<'n> = fn(&'n str, &'n str) -> TableKind<'n>;

/// Parses a table name written by [`records_name`] or [`index_name`] (or a fixed
/// table's name); `None` for a name the store never writes.
pub fn table_kind<'n>(name: &'n str) -> Option<TableKind<'n>> {
    match name {
        "meta" => return Some(TableKind::Meta),
        "imports" => return Some(TableKind::Imports),
        "replay" => return Some(TableKind::Replay),
        "schema" => return Some(TableKind::Schema),
        "owners" => return Some(TableKind::Owners),
        "lists" => return Some(TableKind::Lists),
        "list_members" => return Some(TableKind::ListMembers),
        "import_errors" => return Some(TableKind::ImportErrors),
        _ => {}
    }
    if let Some(object) = name.strip_prefix("records/") {
        return (!object.is_empty() && !object.contains('/')).then_some(TableKind::Records(object));
    }
    let layouts: [(&str, LinksKind<'n>); 3] = [
        ("link_lists/", TableKind::Links),
        ("links/", TableKind::LegacyLinks),
        ("associations/", TableKind::RecordLists),
    ];
    for (prefix, kind) in layouts {
        if let Some(pair) = name.strip_prefix(prefix) {
            let (from, to) = pair.split_once('/')?;
            let plain = |o: &str| !o.is_empty() && !o.contains('/');
            return (plain(from) && plain(to)).then(|| kind(from, to));
        }
    }
    if let Some(object) = name.strip_prefix("before/") {
        return (!object.is_empty() && !object.contains('/')).then_some(TableKind::Before(object));
    }
    if let Some(object) = name.strip_prefix("link_log/") {
        return (!object.is_empty() && !object.contains('/')).then_some(TableKind::LinkLog(object));
    }
    let (object, property) = name.strip_prefix("index/")?.split_once('/')?;
    let canonical = property.parse::<u16>().ok().filter(|id| id.to_string() == property)?;
    (!object.is_empty()).then_some(TableKind::Index(object, canonical))
}

pub(crate) fn records(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

pub(crate) fn links(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

pub(crate) fn legacy_links(name: &str) -> TableDefinition<'_, (u64, u64), &'static [u8]> {
    TableDefinition::new(name)
}

pub(crate) fn link_log(name: &str) -> TableDefinition<'_, (u64, u64), &'static [u8]> {
    TableDefinition::new(name)
}

pub(crate) fn before(name: &str) -> TableDefinition<'_, (u64, u64), &'static [u8]> {
    TableDefinition::new(name)
}

pub(crate) fn index(name: &str) -> TableDefinition<'_, &'static [u8], u64> {
    TableDefinition::new(name)
}
