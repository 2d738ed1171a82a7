//! The table layout: every key the store writes, in one place.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `&str` name (`seq/<object>`, `seq/imports`) | `u64` next value |
//! | `records/<object>` | `u64` record ID (ascending = creation order) | record bytes ([`crate::record`]) |
//! | `index/<object>/<property>` | normalized identifier bytes | `u64` record ID |
//! | `imports` | `u64` import ID | JSON [`crate::ImportEntry`] |
//!
//! Record tables are keyed by integers assigned in ascending order so that the
//! records an import creates are appended at the end of the B-tree.

use redb::TableDefinition;

/// Sequences and small counters.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// The import log.
pub const IMPORTS: TableDefinition<u64, &[u8]> = TableDefinition::new("imports");

/// Name of the records table of `object`.
pub fn records_name(object: &str) -> String {
    format!("records/{object}")
}

/// Name of the identifier index of `object` on `property`.
pub fn index_name(object: &str, property: &str) -> String {
    format!("index/{object}/{property}")
}

/// Name of the ID sequence of `object` in [`META`].
pub fn sequence_key(object: &str) -> String {
    format!("seq/{object}")
}

/// Key of the import-ID sequence in [`META`].
pub const IMPORT_SEQUENCE: &str = "seq/imports";

pub(crate) fn records(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

pub(crate) fn index(name: &str) -> TableDefinition<'_, &'static [u8], u64> {
    TableDefinition::new(name)
}
