//! Errors of the store: one for opening, one for everything after.
//!
//! Every message names the store file (or the record) and its cause exactly once:
//! causes are part of the message and are not also exposed as `source()`, so that
//! printing the error chain (`anyhow`'s `{:#}`) does not repeat them.

use std::path::PathBuf;

use crate::record::RecordError;

/// Opening the store file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The directory that should hold the store does not exist.
    #[error("cannot open store {path}: directory {dir} does not exist")]
    MissingDirectory {
        /// The store file.
        path: PathBuf,
        /// The directory that is missing.
        dir: PathBuf,
    },
    /// The store file does not exist (read-only opens never create one).
    #[error("store {path} does not exist")]
    Missing {
        /// The store file.
        path: PathBuf,
    },
    /// The operating system refused access to the file or its directory.
    #[error("{}", permission_message(path, *write))]
    PermissionDenied {
        /// The store file.
        path: PathBuf,
        /// True when the open asked for write access.
        write: bool,
    },
    /// The store is on a read-only file system and was opened for writing.
    #[error(
        "store {path} is on a read-only file system and cannot be written; read-only commands still work"
    )]
    ReadOnlyFileSystem {
        /// The store file.
        path: PathBuf,
    },
    /// The file is not a store this version of ingest can open.
    #[error("{path} is not a store: {reason}")]
    NotAStore {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: NotAStoreReason,
    },
    /// Another process holds the store open (an import or any other command).
    #[error("store {path} is in use by another process; wait for it to finish and try again")]
    InUse {
        /// The store file.
        path: PathBuf,
    },
    /// The file is a store but its structure is damaged.
    #[error("store {path} is corrupt: {detail}")]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// Any other I/O failure while opening.
    #[error("cannot open store {path}: {error}")]
    Io {
        /// The store file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The store opened but could not be read or brought up to date.
    #[error("could not read store {path}: {error}")]
    Store {
        /// The store file.
        path: PathBuf,
        /// What went wrong.
        error: Box<StoreError>,
    },
}

fn permission_message(path: &std::path::Path, write: bool) -> String {
    if write {
        let readable = std::fs::File::open(path).is_ok();
        if readable {
            format!("no permission to write store {}; read-only commands still work", path.display())
        } else {
            format!("no permission to open store {} for writing", path.display())
        }
    } else {
        format!("no permission to read store {}", path.display())
    }
}

/// Why a file is not a store (see [`OpenError::NotAStore`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotAStoreReason {
    /// The file has no bytes (redb would silently format it).
    #[error("empty file")]
    Empty,
    /// The path names a directory.
    #[error("it is a directory")]
    Directory,
    /// The file does not start with redb's magic number.
    #[error("not a redb database file")]
    NotRedb,
    /// A redb file format this redb cannot read.
    #[error("redb file format {0} needs an upgrade this version cannot do")]
    RedbFormat(u8),
    /// A redb database without ingest's format version.
    #[error("a database without an ingest store format version")]
    NoFormatVersion,
    /// A store of another format version.
    #[error("{}", format_message(*found, *supported))]
    FormatVersion {
        /// The version in the file (1: written before versions were recorded).
        found: u64,
        /// The version this build reads and writes.
        supported: u64,
    },
}

fn format_message(found: u64, supported: u64) -> String {
    if found < supported {
        format!(
            "it has store format {found}, written by an older ingest; this version reads format {supported} (import the data into a new store)"
        )
    } else {
        format!(
            "it has store format {found}, written by a newer ingest; this version reads format {supported}"
        )
    }
}

/// A read or write on an open store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// redb reported an error (I/O, corruption, a closed transaction).
    #[error("store error: {0}")]
    Redb(redb::Error),
    /// A stored record failed its checksum or could not be decoded.
    #[error("record {id} of {object} is corrupt: {reason}")]
    CorruptRecord {
        /// Object of the record.
        object: String,
        /// Record ID.
        id: u64,
        /// What is wrong with its bytes.
        reason: RecordError,
    },
    /// An update named a record that is not in the store.
    #[error("record {id} of {object} does not exist")]
    MissingRecord {
        /// Object of the record.
        object: String,
        /// Record ID.
        id: u64,
    },
    /// A creation named a record that is already in the store.
    #[error("record {id} of {object} exists already and cannot be created")]
    RecordExists {
        /// Object of the record.
        object: String,
        /// Record ID.
        id: u64,
    },
    /// A stored import entry or owner failed its checksum or could not be decoded
    /// (`import entry 3 is corrupt: ...`, `owner 2 is corrupt: ...`).
    #[error("{} {id} is corrupt: {reason}", table.entry_name())]
    CorruptEntry {
        /// The table it is stored in.
        table: EntryTable,
        /// Its ID (the key it is stored under).
        id: u64,
        /// What is wrong with it.
        reason: EntryCorruption,
    },
    /// An owner the store refuses (one without an email).
    #[error("{0}")]
    Owner(String),
    /// A stored link failed its checksum or could not be decoded.
    #[error("{link} is corrupt: {reason}")]
    CorruptLink {
        /// The link (`link contacts/1 - companies/2`).
        link: String,
        /// What is wrong with its bytes.
        reason: String,
    },
    /// An association change the rules refuse (a record with itself, a primary
    /// company removed without saying which becomes primary).
    #[error("{0}")]
    Association(String),
    /// An undo that cannot run (unknown import, already undone, conflicts).
    #[error("{0}")]
    Undo(String),
    /// A list that cannot be made (its name is taken).
    #[error("{0}")]
    List(String),
    /// A stored schema entry failed its checksum, does not decode or breaks the
    /// schema's rules.
    #[error("the schema of {object} is corrupt: {reason}")]
    CorruptSchema {
        /// Object name (the key it is stored under).
        object: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A schema change that the schema's rules refuse (a name in use, an unknown
    /// object or property, ...).
    #[error("{0}")]
    Schema(String),
    /// redb panicked while reading the file: its pages are damaged.
    #[error("the store is corrupt: redb panicked: {message}")]
    Panicked {
        /// The panic's message.
        message: String,
    },
    /// A stored error file of an import (`import_errors`) failed a chunk's
    /// checksum or is not a whole sequence of chunks.
    #[error("the error file of import {import} is corrupt at chunk {chunk}: {reason}")]
    CorruptErrorFile {
        /// The import.
        import: u64,
        /// The chunk where the damage was found (for a missing last chunk: where
        /// it should be).
        chunk: u32,
        /// What is wrong.
        reason: ErrorFileCorruption,
    },
    /// A stored replay memo ([`crate::ReplayMemo`]) failed its checksum or
    /// could not be decoded.
    #[error("the replay memo of {object} is corrupt: {reason}")]
    CorruptReplay {
        /// The object whose memo it is.
        object: String,
        /// What is wrong with its bytes.
        reason: String,
    },
    /// A write on a store opened read-only.
    #[error("store {path} is open read-only")]
    ReadOnly {
        /// The store file.
        path: PathBuf,
    },
}

impl StoreError {
    /// True when the error means the file's content is damaged (as opposed to an
    /// I/O failure or a misuse).
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Self::CorruptRecord { .. }
                | Self::CorruptEntry { .. }
                | Self::CorruptLink { .. }
                | Self::CorruptSchema { .. }
                | Self::CorruptErrorFile { .. }
                | Self::CorruptReplay { .. }
                | Self::Panicked { .. }
                | Self::Redb(redb::Error::Corrupted(_))
        )
    }
}

/// A table of checksummed JSON entries keyed by ID (see `entry.rs`): where a
/// [`StoreError::CorruptEntry`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryTable {
    /// The import log, table `imports` ([`crate::ImportEntry`]).
    Imports,
    /// The owners, table `owners` ([`crate::Owner`]).
    Owners,
    /// An association change log, table `link_log/<object>` ([`crate::LinkChange`]).
    LinkLog,
    /// The static lists, table `lists` ([`crate::ListEntry`]).
    Lists,
}

impl EntryTable {
    /// What one of its entries is called in messages (`import entry`, `owner`).
    pub fn entry_name(self) -> &'static str {
        match self {
            Self::Imports => "import entry",
            Self::Owners => "owner",
            Self::LinkLog => "association change",
            Self::Lists => "list",
        }
    }
}

/// What is wrong with a stored entry of an [`EntryTable`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EntryCorruption {
    /// Shorter than its checksum.
    #[error("{len} bytes, shorter than its checksum")]
    TooShort {
        /// Length of the stored value.
        len: usize,
    },
    /// The checksum does not match the bytes and the ID they are stored under.
    #[error("checksum mismatch (stored {stored:016x}, computed {computed:016x})")]
    Checksum {
        /// Checksum in the file.
        stored: u64,
        /// Checksum of the bytes.
        computed: u64,
    },
    /// The checksum matches but the JSON does not decode.
    #[error("{0}")]
    Json(serde_json::Error),
    /// The entry names another ID than the key it is stored under (owners check
    /// this on every read).
    #[error("the entry says its ID is {found}")]
    WrongId {
        /// The ID in the entry.
        found: u64,
    },
}

/// What is wrong with a stored error file (see [`StoreError::CorruptErrorFile`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorFileCorruption {
    /// Shorter than a chunk's checksum and flags.
    #[error("{len} bytes, shorter than its checksum and flags")]
    TooShort {
        /// Length of the stored value.
        len: usize,
    },
    /// The checksum does not match the bytes and the key they are stored under.
    #[error("checksum mismatch (stored {stored:016x}, computed {computed:016x})")]
    Checksum {
        /// Checksum in the file.
        stored: u64,
        /// Checksum of the bytes.
        computed: u64,
    },
    /// Flags the store never writes.
    #[error("unknown flags {flags:#04x}")]
    Flags {
        /// The flags byte.
        flags: u8,
    },
    /// More bytes than a chunk holds.
    #[error("{len} bytes, more than a chunk holds ({max})")]
    TooLong {
        /// Bytes of the chunk.
        len: usize,
        /// The most a chunk holds.
        max: usize,
    },
    /// A chunk that is not the last and not full.
    #[error("{len} bytes in a chunk that is not the last; every chunk but the last holds {expected}")]
    Short {
        /// Bytes of the chunk.
        len: usize,
        /// What every chunk but the last holds.
        expected: usize,
    },
    /// Chunks are numbered from 0 without gaps; this one came where `expected`
    /// should have.
    #[error("chunk {expected} is missing")]
    Missing {
        /// The chunk number that should have come.
        expected: u32,
    },
    /// A chunk after the last one.
    #[error("a chunk after the last one")]
    AfterLast,
    /// The chunks end without a last chunk.
    #[error("the last chunk is missing")]
    NoLastChunk,
}

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        StoreError::Redb(e)
    }
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
