//! The redb-backed CRM store: where the import pipeline's commit stage writes.
//!
//! The engine (`engine` crate) turns files into planned writes; this crate owns
//! everything that touches the database file: the table layout ([`tables`]), the
//! compact record encoding ([`record`]), opening and locking the file
//! ([`Store::open`]), the batched write path used by the single committer thread
//! ([`WriteSession`]), snapshot reads ([`ReadSession`]) and the import log
//! ([`ImportEntry`]). It knows nothing about CSV, mapping or property types:
//! records are lists of `(property number, normalized text)` pairs.
//!
//! ```
//! use store::{Store, record::RecordBuilder};
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(dir.path().join("crm.redb")).unwrap();
//! let session = store.begin_write().unwrap();
//! let mut rec = RecordBuilder::default();
//! rec.push(0, "ada@example.com");
//! {
//!     let mut records = session.records("contacts").unwrap();
//!     records.append(1, [(1, rec.values())]).unwrap();
//! }
//! session.commit(true).unwrap();
//! let read = store.begin_read().unwrap();
//! assert_eq!(read.record_count("contacts").unwrap(), 1);
//! ```

mod error;
mod imports;
pub mod record;
mod session;
mod store;
pub mod tables;

pub use error::{OpenError, StoreError};
pub use imports::{ImportEntry, ImportStatus, ObjectCounts};
pub use session::{IndexTable, ReadSession, RecordReader, RecordTable, UpdateOutcome, WriteSession};
pub use store::Store;
