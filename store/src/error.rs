//! Errors of the store: one for opening, one for everything after.

use std::path::PathBuf;

/// Opening the store file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Another process holds the store open (an import or any other command).
    #[error("store {path} is in use by another process; wait for it to finish and try again")]
    InUse {
        /// The store file.
        path: PathBuf,
    },
    /// The file exists but is not a redb store this version can read.
    #[error("{path} is not a store this version of ingest can open: {source}")]
    Invalid {
        /// The store file.
        path: PathBuf,
        /// What redb reported.
        source: redb::DatabaseError,
    },
    /// The store opened but could not be read or brought up to date.
    #[error("could not read store {path}: {source}")]
    Store {
        /// The store file.
        path: PathBuf,
        /// What went wrong.
        source: Box<StoreError>,
    },
}

/// A read or write on an open store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// redb reported an error (I/O, corruption, a closed transaction).
    #[error("store error: {0}")]
    Redb(#[from] redb::Error),
    /// A stored record could not be decoded.
    #[error("record {id} of {object} is corrupt")]
    CorruptRecord {
        /// Object of the record.
        object: String,
        /// Record ID.
        id: u64,
    },
    /// An update named a record that is not in the store.
    #[error("record {id} of {object} does not exist")]
    MissingRecord {
        /// Object of the record.
        object: String,
        /// Record ID.
        id: u64,
    },
    /// A stored import entry could not be decoded.
    #[error("import entry {id} is corrupt: {source}")]
    CorruptImport {
        /// Import ID.
        id: u64,
        /// The JSON error.
        source: serde_json::Error,
    },
}

macro_rules! redb_into_store_error {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Redb(e.into())
            }
        }
    )*};
}
redb_into_store_error!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
    redb::CursorError
);
