//! The import log: one entry per import, listed by `ingest history`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// The error file written, if any.
    pub error_file: Option<String>,
    /// The rejected-rows file written, if any.
    pub rejected_file: Option<String>,
    /// What went wrong at the end, if something did (a failed durable commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ImportEntry {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("import entries always serialize")
    }
}
