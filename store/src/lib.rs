//! The redb-backed CRM store: where the import pipeline's commit stage writes.
//!
//! The engine (`engine` crate) turns files into planned writes; this crate owns
//! everything that touches the database file: the table layout ([`tables`]), the
//! schema ([`schema`]: objects, properties with stable IDs, pipelines), the
//! record encoding (private: the engine hands over [`RowValues`] and a
//! [`MergePolicy`], and reads [`RecordView`]s), opening and locking the file
//! ([`Store::open`], [`Store::open_read_only`]), the batched write path used by
//! the single committer thread ([`WriteSession`]), snapshot reads
//! ([`ReadSession`]), the import log ([`ImportEntry`]) with each import's error
//! file ([`WriteSession::error_file`], [`ReadSession::read_error_file`]), the
//! owners records are assigned to ([`Owner`]) and the whole-store
//! verification behind `ingest check` ([`Store::check`]). It knows nothing about
//! CSV or mapping: values arrive normalized, as text per property ID, and are
//! stored with a checksum that every read verifies.
//!
//! ```
//! use store::{RowValues, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(dir.path().join("crm.redb")).unwrap();
//! let email = store.begin_read().unwrap().schema().unwrap().object("contacts").unwrap().property_id("email").unwrap();
//! let mut rows = RowValues::default();
//! rows.push(email, "ada@example.com");
//! rows.end_row();
//! let session = store.begin_write().unwrap();
//! {
//!     let mut records = session.records("contacts").unwrap();
//!     records.append(1, [(1, rows.row(0))]).unwrap();
//! }
//! session.commit(true).unwrap();
//! let read = store.begin_read().unwrap();
//! assert_eq!(read.record_count("contacts").unwrap(), 1);
//! assert_eq!(read.record("contacts", 1).unwrap().unwrap().view().get(email), Some("ada@example.com"));
//! ```

mod check;
mod delete;
mod entry;
mod error;
mod guard;
mod import_errors;
mod imports;
mod links;
#[cfg(test)]
mod links_tests;
mod lists;
mod overlay;
mod owners;
mod record;
mod replay;
pub mod schema;
mod session;
#[cfg(test)]
mod session_tests;
mod store;
pub mod tables;
#[cfg(test)]
mod tests;
mod undo;
mod values;

pub use check::{CheckCounts, CheckReport, MAX_PROBLEMS, Problem};
pub use delete::DeleteReport;
pub use error::{EntryCorruption, EntryTable, ErrorFileCorruption, NotAStoreReason, OpenError, StoreError};
pub use import_errors::{CHUNK_BYTES as ERROR_CHUNK_BYTES, ErrorFileWriter};
pub use imports::{AssociationCounts, ImportEntry, ImportStatus, InputFile, ObjectCounts};
pub use links::{
    ChangeKind, DissociateOutcome, Link, LinkChange, LinkOrigin, LinkOutcome, LinkReader, LinkRequest,
    LinkSource, LinkWriter, RecordRef,
};
pub use lists::ListEntry;
pub use owners::{Owner, OwnerOutcome};
pub use record::{RecordError, RecordView};
pub use replay::{ReplayMemo, ReplayPiece};
pub use session::{
    IndexReader, IndexTable, MergedSlot, Premerge, Premerged, ReadSession, RecordReader, RecordTable,
    SECONDARY, StoredRecord, UpdateOutcome, WriteSession,
};
pub use store::Store;
pub use undo::{SHOWN as UNDO_SHOWN, UndoConflict, UndoCounts, UndoReport};
pub use values::{MergePolicy, ReplacedValues, RowValues, Values};

impl Store {
    /// Verifies the whole store file at `path` without modifying it: redb's
    /// integrity check, every record's checksum and encoding, the schema, the
    /// identifier indexes of its unique properties against the records (both
    /// ways), the sequences, the import log and the owners. Never panics on a
    /// damaged file.
    ///
    /// Fails only when the file cannot be checked at all ([`OpenError`]: missing,
    /// no permission, in use by a writer, not a store); damage is reported as
    /// [`Problem`]s in the report. Holds a shared lock on the file meanwhile, so
    /// no import can run; read-only opens can.
    pub fn check(path: impl AsRef<std::path::Path>) -> Result<CheckReport, OpenError> {
        check::check(path.as_ref())
    }
}
