//! Opening the store file and the import log's life cycle.

use std::path::{Path, PathBuf};

use redb::{Database, DatabaseError, ReadableTable};

use crate::error::{OpenError, StoreError};
use crate::imports::{ImportEntry, ImportStatus};
use crate::session::{ReadSession, WriteSession};
use crate::tables::{IMPORT_SEQUENCE, IMPORTS, META};

/// Page cache given to redb. The write path keeps a transaction's dirty pages in
/// it, so it bounds memory. 512 MiB holds the pages a 1M-row import touches.
const CACHE_BYTES: usize = 512 << 20;

/// An open store file. Only one process can hold it open at a time.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Opens the store at `path`, creating it if missing.
    ///
    /// A store another process holds open fails with [`OpenError::InUse`]. Imports
    /// left `running` by a process that died are marked `interrupted` here: a live
    /// import would hold the file lock, so none can be running now.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let db =
            Database::builder().set_cache_size(CACHE_BYTES).create(&path).map_err(|source| match source {
                DatabaseError::DatabaseAlreadyOpen => OpenError::InUse { path: path.clone() },
                source => OpenError::Invalid { path: path.clone(), source },
            })?;
        let store = Self { db, path };
        store
            .mark_interrupted()
            .map_err(|source| OpenError::Store { path: store.path.clone(), source: Box::new(source) })?;
        Ok(store)
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store's identity (placeholder until the store records one).
    pub fn identity(&self) -> String {
        self.path.display().to_string()
    }

    /// Starts the single write session.
    pub fn begin_write(&self) -> Result<WriteSession<'_>, StoreError> {
        WriteSession::begin(&self.db)
    }

    /// Starts a snapshot read.
    pub fn begin_read(&self) -> Result<ReadSession, StoreError> {
        ReadSession::begin(&self.db)
    }

    /// Records the start of an import durably and returns its ID. A crash from here
    /// on leaves the entry `running`, shown as `interrupted` at the next open.
    pub fn start_import(&self, mut entry: ImportEntry) -> Result<u64, StoreError> {
        let txn = self.db.begin_write()?;
        let id;
        {
            let mut meta = txn.open_table(META)?;
            id = meta.get(IMPORT_SEQUENCE)?.map_or(1, |v| v.value());
            meta.insert(IMPORT_SEQUENCE, id + 1)?;
            entry.id = id;
            entry.status = ImportStatus::Running;
            txn.open_table(IMPORTS)?.insert(id, entry.encode().as_slice())?;
        }
        txn.commit()?;
        Ok(id)
    }

    /// Every import in the log, oldest first.
    pub fn imports(&self) -> Result<Vec<ImportEntry>, StoreError> {
        self.begin_read()?.imports()
    }

    fn mark_interrupted(&self) -> Result<(), StoreError> {
        let stale: Vec<ImportEntry> =
            self.imports()?.into_iter().filter(|e| e.status == ImportStatus::Running).collect();
        if stale.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(IMPORTS)?;
            for mut entry in stale {
                entry.status = ImportStatus::Interrupted;
                table.insert(entry.id, entry.encode().as_slice())?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}
