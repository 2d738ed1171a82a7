//! The import log: one entry per import, listed by `ingest history`.
//!
//! An entry is stored as `u64 checksum (LE) | JSON`, the checksum being xxh3-64 of
//! the JSON seeded with the import ID (`entry.rs`, as for owners), so that a damaged
//! entry (or one under the wrong key) is an error
//! ([`crate::StoreError::CorruptEntry`] of [`crate::EntryTable::Imports`]), never a
//! silently different count.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::entry;
use crate::error::EntryCorruption;

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ImportStatus {
    /// Started and not finished; seen from another process only after a crash.
    Running,
    /// Finished; its rows are committed.
    Done,
    /// Did not finish (crash, kill, I/O error): none of its rows are committed.
    Interrupted,
    /// Reversed by `undo`.
    Undone,
}

/// Row counts of one object in one import (SPEC 8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectCounts {
    /// Rows that created a record.
    pub created: u64,
    /// Rows that changed an existing record.
    pub updated: u64,
    /// Rows that matched a record and changed nothing.
    pub unchanged: u64,
    /// Rows skipped by the mode.
    pub skipped: u64,
    /// Rows with a row error.
    pub failed: u64,
}

/// How many links an import made and found (SPEC 8 `associations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociationCounts {
    /// Links created.
    pub created: u64,
    /// Links already there.
    pub existing: u64,
}

impl AssociationCounts {
    fn is_zero(&self) -> bool {
        self.created == 0 && self.existing == 0
    }
}

/// An input file of an import as it was when the import read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The path as given (`-` is standard input).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Content hash: `xxh3-128:` and 32 hex digits (what `xxhsum -H2` prints).
    pub hash: String,
}

/// One import in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportEntry {
    /// Import ID, assigned by the store.
    pub id: u64,
    /// User-given or derived name.
    pub name: String,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// End time, RFC 3339 UTC.
    pub finished_at: Option<String>,
    /// The input files.
    pub files: Vec<String>,
    /// The input files' sizes and content hashes, in the order of `files`
    /// (empty for entries that read no file, and for logs written before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputFile>,
    /// The objects imported.
    pub objects: Vec<String>,
    /// `upsert`, `create` or `update`.
    pub mode: String,
    /// The mapping and options, as given to the engine.
    pub options: serde_json::Value,
    /// Where the import stands.
    pub status: ImportStatus,
    /// Data rows read.
    pub rows: u64,
    /// Rows with a row error.
    pub rows_failed: u64,
    /// Errors reported (row and value errors).
    pub errors: u64,
    /// Counts per object.
    pub counts: BTreeMap<String, ObjectCounts>,
    /// Association counts.
    #[serde(default, skip_serializing_if = "AssociationCounts::is_zero")]
    pub associations: AssociationCounts,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// The error file written, if any.
    pub error_file: Option<String>,
    /// The rejected-rows file written, if any.
    pub rejected_file: Option<String>,
    /// What went wrong at the end, if something did (a failed durable commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Per object, the record IDs the import took from the object's sequence:
    /// `[first, past the last]` (the records it created lie there, unless it
    /// kept IDs the rows gave: [`ImportEntry::ids_kept`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sequences: BTreeMap<String, [u64; 2]>,
    /// Whether rows could create records with their own IDs (`--create-with-ids`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ids_kept: bool,
    /// When the import was undone, RFC 3339 UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_at: Option<String>,
    /// What the entry is when it is not an import: `delete` (`ingest delete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What its undo did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<crate::undo::UndoCounts>,
}

impl ImportEntry {
    /// The stored form of the entry, under key `self.id`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        entry::encode(self.id, self)
    }

    /// Verifies and decodes the entry stored under key `id` (whether it names
    /// that ID is `check`'s to report).
    pub(crate) fn decode(id: u64, bytes: &[u8]) -> Result<Self, EntryCorruption> {
        entry::decode(id, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64) -> ImportEntry {
        ImportEntry {
            id,
            associations: AssociationCounts::default(),
            name: "contacts.csv".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            finished_at: None,
            files: vec!["contacts.csv".into()],
            inputs: vec![InputFile {
                path: "contacts.csv".into(),
                size: 12,
                hash: "xxh3-128:00112233445566778899aabbccddeeff".into(),
            }],
            objects: vec!["contacts".into()],
            mode: "upsert".into(),
            options: serde_json::Value::Null,
            status: ImportStatus::Done,
            rows: 1234,
            rows_failed: 5,
            errors: 6,
            counts: BTreeMap::new(),
            elapsed_ms: 7,
            error_file: None,
            rejected_file: None,
            note: None,
            sequences: BTreeMap::new(),
            ids_kept: false,
            undone_at: None,
            kind: None,
            undo: None,
        }
    }

    #[test]
    fn entries_round_trip_and_every_flipped_bit_is_detected() {
        let e = entry(3);
        let bytes = e.encode();
        assert_eq!(ImportEntry::decode(3, &bytes).unwrap(), e);
        assert!(matches!(ImportEntry::decode(4, &bytes), Err(EntryCorruption::Checksum { .. })));
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                assert!(ImportEntry::decode(3, &bad).is_err(), "byte {i} bit {bit}");
            }
        }
        assert!(matches!(ImportEntry::decode(3, &bytes[..5]), Err(EntryCorruption::TooShort { len: 5 })));
        // Plain JSON, as stored before checksums, is rejected.
        let json = serde_json::to_vec(&e).unwrap();
        assert!(ImportEntry::decode(3, &json).is_err());
    }
}
