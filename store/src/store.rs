//! Opening the store file (read-write, read-only, over a given backend), its
//! format version and identity, and the import log's life cycle.
//!
//! Opening is where most user-visible failures happen (wrong path, no
//! permission, read-only media, not a store, in use, damaged), so each is told
//! apart here as an [`OpenError`] variant naming the file and the cause once.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use redb::{
    Builder, Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase, ReadableTable, StorageError,
};

use crate::error::{NotAStoreReason, OpenError, StoreError};
use crate::guard::{catch_any, guard};
use crate::imports::{ImportEntry, ImportStatus};
use crate::overlay::CowOverlay;
use crate::session::{ReadSession, WriteSession};
use crate::tables::{self, FORMAT_KEY, FORMAT_VERSION, IDENTITY_KEYS, IMPORT_SEQUENCE, IMPORTS, META};

/// Page cache given to redb. The write path keeps a transaction's dirty pages in
/// it, so it bounds memory. 512 MiB holds the pages a 1M-row import touches.
const CACHE_BYTES: usize = 512 << 20;

/// `EROFS` on Linux: a write open on a read-only file system.
const EROFS: i32 = 30;

/// The database behind a [`Store`].
enum Db {
    /// Opened for writing (or over an in-memory overlay, see [`Store::read_only`]).
    Write(Database),
    /// Opened read-only.
    Read(ReadOnlyDatabase),
}

/// An open store file. Only one process can hold it open for writing at a time;
/// any number can hold it open read-only while none writes.
pub struct Store {
    db: Db,
    path: PathBuf,
    identity: u128,
    read_only: bool,
    /// Opened with [`Store::open_dry_run`].
    dry_run: bool,
}

/// How an open asked for the file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

impl Store {
    /// Opens the store at `path` for reading and writing, creating it if the file
    /// does not exist (imports use this).
    ///
    /// An existing empty file is refused ([`NotAStoreReason::Empty`]) rather than
    /// formatted. A store another process holds open fails with
    /// [`OpenError::InUse`]. Imports left `running` by a process that died are
    /// marked `interrupted` here: a live import would hold the file lock, so none
    /// can be running now.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let exists = preflight(&path, Access::Write)?;
        let opened =
            open_guarded(&path, Access::Write, || Builder::new().set_cache_size(CACHE_BYTES).create(&path));
        let db = match opened {
            Ok(db) => db,
            Err(e) => {
                // Leave no empty file behind (it would be refused as "not a store" next
                // time), unless another process created it meanwhile and holds it.
                let empty = std::fs::metadata(&path).is_ok_and(|m| m.len() == 0);
                if !exists && empty && !matches!(e, OpenError::InUse { .. }) {
                    let _ = std::fs::remove_file(&path);
                }
                return Err(e);
            }
        };
        Self::finish_open(Db::Write(db), path, false)
    }

    /// Opens the store at `path` for reading and writing through `backend` (for
    /// fault injection); `path` is what [`Store::path`] reports and where the
    /// import reports go. An empty backend is formatted as a new store.
    pub fn open_with_backend(
        path: impl AsRef<Path>,
        backend: impl redb::StorageBackend,
    ) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let db = open_guarded(&path, Access::Write, || {
            Builder::new().set_cache_size(CACHE_BYTES).create_with_backend(backend)
        })?;
        Self::finish_open(Db::Write(db), path, false)
    }

    /// Opens the existing store at `path` for reading only. Never creates or
    /// modifies anything, works without write permission and on read-only media;
    /// a missing file fails with [`OpenError::Missing`].
    ///
    /// A store left open by a process that died needs crash recovery, which redb
    /// only does by writing; such a store is recovered in memory
    /// (copy-on-write overlay) and the file is left as it is. Its interrupted
    /// imports show as `interrupted` ([`Store::imports`]) and are marked so in the
    /// file at the next read-write open.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        preflight(&path, Access::Read)?;
        let opened = catch_any(|| Builder::new().set_cache_size(CACHE_BYTES).open_read_only(&path));
        match opened {
            Ok(Ok(db)) if needs_upgrade(&db) => {
                // An older format is upgraded in memory: the file stays as it is.
                drop(db);
                let db = open_overlay(&path, CACHE_BYTES)?;
                Self::finish_open(Db::Write(db), path, true)
            }
            Ok(Ok(db)) => Self::finish_open(Db::Read(db), path, true),
            Ok(Err(DatabaseError::RepairAborted)) => {
                let db = open_overlay(&path, CACHE_BYTES)?;
                Self::finish_open(Db::Write(db), path, true)
            }
            Ok(Err(e)) => Err(classify(&path, e, Access::Read)),
            Err(message) => Err(panicked(&path, &message)),
        }
    }

    /// Opens the existing store at `path` for a dry run: it reads and writes as
    /// [`Store::open`] does, but every write stays in memory (copy-on-write
    /// overlay) and the file is never modified. Like a read-only open, it shares
    /// the file with readers and excludes a writer. Where there is no store yet,
    /// a new one is made in memory (no file is created).
    pub fn open_dry_run(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            let db = open_guarded(&path, Access::Write, || {
                Builder::new()
                    .set_cache_size(CACHE_BYTES)
                    .create_with_backend(redb::backends::InMemoryBackend::new())
            })?;
            return Self::finish_open(Db::Write(db), path, false).map(Self::into_dry_run);
        }
        preflight(&path, Access::Read)?;
        let db = open_overlay(&path, CACHE_BYTES)?;
        Self::finish_open(Db::Write(db), path, false).map(Self::into_dry_run)
    }

    fn into_dry_run(self) -> Self {
        Self { dry_run: true, ..self }
    }

    fn finish_open(db: Db, path: PathBuf, read_only: bool) -> Result<Self, OpenError> {
        let mut store = Self { db, path, identity: 0, read_only, dry_run: false };
        store.identity = store.init_or_validate()?;
        if !read_only {
            store
                .mark_interrupted()
                .map_err(|error| OpenError::Store { path: store.path.clone(), error: Box::new(error) })?;
        }
        Ok(store)
    }

    /// Reads the format version and identity, or writes them into a new store.
    fn init_or_validate(&self) -> Result<u128, OpenError> {
        let path = &self.path;
        let store_error = |error: StoreError| match error {
            StoreError::Panicked { message } => {
                OpenError::Corrupt { path: path.clone(), detail: format!("redb panicked: {message}") }
            }
            StoreError::Redb(redb::Error::Corrupted(detail)) => {
                OpenError::Corrupt { path: path.clone(), detail }
            }
            error => OpenError::Store { path: path.clone(), error: Box::new(error) },
        };
        let read = self.begin_read().map_err(store_error)?;
        let found = guard(|| read_meta(read.txn())).map_err(store_error)?;
        drop(read);
        let not_a_store = |reason| OpenError::NotAStore { path: path.clone(), reason };
        match found {
            Meta::Format(FORMAT_VERSION, Some(Ok(identity))) => {
                if !self.read_only {
                    self.write_guarded(|txn| {
                        let links = crate::links::convert_legacy(txn)?;
                        Ok(crate::schema::stored::sync_standard(txn)? | links)
                    })
                    .map_err(store_error)?;
                } else if matches!(self.db, Db::Write(_)) {
                    // A read-only open on an overlay: convert in memory.
                    self.write_guarded(crate::links::convert_legacy).map_err(store_error)?;
                }
                Ok(identity)
            }
            Meta::Format(tables::UPGRADABLE_FORMAT, Some(Ok(identity)))
                if matches!(self.db, Db::Write(_)) =>
            {
                self.write_guarded(|txn| {
                    crate::schema::stored::upgrade_from_2(txn)?;
                    crate::links::convert_legacy(txn)?;
                    crate::schema::stored::sync_standard(txn)?;
                    txn.open_table(META)?.insert(FORMAT_KEY, FORMAT_VERSION)?;
                    Ok(true)
                })
                .map_err(store_error)?;
                Ok(identity)
            }
            Meta::Format(FORMAT_VERSION, Some(Err(()))) => Err(OpenError::Corrupt {
                path: path.clone(),
                detail: "its identity does not match its checksum".into(),
            }),
            Meta::Format(FORMAT_VERSION, None) => {
                Err(OpenError::Corrupt { path: path.clone(), detail: "its identity is missing".into() })
            }
            Meta::Format(found, _) => {
                Err(not_a_store(NotAStoreReason::FormatVersion { found, supported: FORMAT_VERSION }))
            }
            Meta::NoFormat => Err(not_a_store(NotAStoreReason::NoFormatVersion)),
            Meta::Uninitialized if self.read_only => Err(not_a_store(NotAStoreReason::NoFormatVersion)),
            Meta::Uninitialized => self.initialize().map_err(store_error),
        }
    }

    /// Writes the format version and a new random identity.
    fn initialize(&self) -> Result<u128, StoreError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| {
            StoreError::Redb(redb::Error::Io(std::io::Error::other(format!("no random identity: {e}"))))
        })?;
        let identity = u128::from_le_bytes(bytes);
        let Db::Write(db) = &self.db else {
            return Err(StoreError::ReadOnly { path: self.path.clone() });
        };
        guard(|| {
            let txn = db.begin_write()?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert(FORMAT_KEY, FORMAT_VERSION)?;
                meta.insert(IDENTITY_KEYS[0], (identity >> 64) as u64)?;
                meta.insert(IDENTITY_KEYS[1], identity as u64)?;
                meta.insert(IDENTITY_KEYS[2], tables::identity_sum(identity))?;
            }
            crate::schema::stored::sync_standard(&txn)?;
            txn.commit()?;
            Ok(identity)
        })
    }

    /// Runs `f` in a write transaction of its own, committed when it returns true
    /// (a change), dropped otherwise. On a read-only open over an overlay the
    /// commit stays in memory.
    fn write_guarded(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let Db::Write(db) = &self.db else {
            return Err(StoreError::ReadOnly { path: self.path.clone() });
        };
        guard(|| {
            let txn = db.begin_write()?;
            if f(&txn)? {
                txn.commit()?;
            }
            Ok(())
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The store's identity: a random 128-bit ID chosen when it was created, as 32
    /// hex digits. Copies of the file share it; a new store at the same path has
    /// another.
    pub fn identity(&self) -> String {
        format!("{:032x}", self.identity)
    }

    /// True when opened with [`Store::open_read_only`]: writes fail with
    /// [`StoreError::ReadOnly`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// True when opened with [`Store::open_dry_run`]: what is written stays in
    /// memory, so nothing about it belongs in the file's folder either (no lock file).
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// Starts the single write session.
    pub fn begin_write(&self) -> Result<WriteSession<'_>, StoreError> {
        match &self.db {
            Db::Write(db) if !self.read_only => WriteSession::begin(db),
            _ => Err(StoreError::ReadOnly { path: self.path.clone() }),
        }
    }

    /// Starts a snapshot read.
    pub fn begin_read(&self) -> Result<ReadSession, StoreError> {
        match &self.db {
            Db::Write(db) => ReadSession::begin(db),
            Db::Read(db) => ReadSession::begin(db),
        }
    }

    /// Records the start of an import durably and returns its ID. A crash from here
    /// on leaves the entry `running`, shown as `interrupted` at the next open.
    pub fn start_import(&self, mut entry: ImportEntry) -> Result<u64, StoreError> {
        let Db::Write(db) = &self.db else {
            return Err(StoreError::ReadOnly { path: self.path.clone() });
        };
        if self.read_only {
            return Err(StoreError::ReadOnly { path: self.path.clone() });
        }
        guard(|| {
            let txn = db.begin_write()?;
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
        })
    }

    /// Every import in the log, oldest first.
    ///
    /// Opened read-only, an import still logged as `running` is shown as
    /// `interrupted` (without writing): a live import would hold the store, and the
    /// read-only open would have failed.
    pub fn imports(&self) -> Result<Vec<ImportEntry>, StoreError> {
        let mut imports = self.begin_read()?.imports()?;
        if self.read_only {
            for e in &mut imports {
                if e.status == ImportStatus::Running {
                    e.status = ImportStatus::Interrupted;
                }
            }
        }
        Ok(imports)
    }

    fn mark_interrupted(&self) -> Result<(), StoreError> {
        let stale: Vec<ImportEntry> =
            self.imports()?.into_iter().filter(|e| e.status == ImportStatus::Running).collect();
        if stale.is_empty() {
            return Ok(());
        }
        let Db::Write(db) = &self.db else {
            return Ok(());
        };
        guard(|| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(IMPORTS)?;
                for mut entry in stale {
                    entry.status = ImportStatus::Interrupted;
                    table.insert(entry.id, entry.encode().as_slice())?;
                }
            }
            txn.commit()?;
            Ok(())
        })
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// True when a database opened read-only holds a store of the format this build
/// upgrades, or links of their first layout (converted in memory, for a read-only open).
fn needs_upgrade(db: &redb::ReadOnlyDatabase) -> bool {
    let read = catch_any(|| db.begin_read().ok().and_then(|txn| read_meta(&txn).ok()));
    matches!(read, Ok(Some(Meta::Format(tables::UPGRADABLE_FORMAT, _))))
        || catch_any(|| crate::links::has_legacy(db)).unwrap_or(false)
}

/// Reads what the `meta` table says about the store's format and identity.
pub(crate) fn read_meta(txn: &redb::ReadTransaction) -> Result<Meta, StoreError> {
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            let empty = txn.list_tables()?.next().is_none();
            return Ok(if empty { Meta::Uninitialized } else { Meta::NoFormat });
        }
        Err(e) => return Err(e.into()),
    };
    let Some(format) = meta.get(FORMAT_KEY)?.map(|v| v.value()) else {
        // Format 1 wrote `meta` (sequences) without a version.
        return Ok(Meta::Format(1, None));
    };
    let mut parts = [None; 3];
    for (part, key) in parts.iter_mut().zip(IDENTITY_KEYS) {
        *part = meta.get(key)?.map(|v| v.value());
    }
    Ok(Meta::Format(format, tables::identity_from(parts)))
}

/// What the `meta` table says.
pub(crate) enum Meta {
    /// No table at all: a file redb formatted whose initialization never committed.
    Uninitialized,
    /// Tables but no `meta`: some other redb database.
    NoFormat,
    /// A format version, and the identity if present (`Err` if damaged).
    Format(u64, Option<Result<u128, ()>>),
}

/// Checks what can be checked before redb touches the file: an existing empty
/// file or directory is not a store, a missing file is an error for a read and a
/// new store for a write (if its directory exists). Returns whether it exists.
pub(crate) fn preflight_read(path: &Path) -> Result<(), OpenError> {
    preflight(path, Access::Read).map(|_| ())
}

fn preflight(path: &Path, access: Access) -> Result<bool, OpenError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            Err(OpenError::NotAStore { path: path.to_path_buf(), reason: NotAStoreReason::Directory })
        }
        Ok(m) if m.len() == 0 => {
            Err(OpenError::NotAStore { path: path.to_path_buf(), reason: NotAStoreReason::Empty })
        }
        Ok(_) => Ok(true),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !std::fs::metadata(&dir).is_ok_and(|d| d.is_dir()) {
                return Err(OpenError::MissingDirectory { path: path.to_path_buf(), dir });
            }
            match access {
                Access::Write => Ok(false),
                Access::Read => Err(OpenError::Missing { path: path.to_path_buf() }),
            }
        }
        Err(e) => Err(classify_io(path, e, access)),
    }
}

/// Runs a redb open, turning its errors and panics into [`OpenError`]s.
fn open_guarded<T>(
    path: &Path,
    access: Access,
    open: impl FnOnce() -> Result<T, DatabaseError>,
) -> Result<T, OpenError> {
    match catch_any(open) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(classify(path, e, access)),
        Err(message) => Err(panicked(path, &message)),
    }
}

fn panicked(path: &Path, message: &str) -> OpenError {
    OpenError::Corrupt { path: path.to_path_buf(), detail: format!("redb panicked: {message}") }
}

/// Opens `path` as a writable `Database` whose writes stay in memory (see
/// [`crate::overlay`]).
pub(crate) fn open_overlay(path: &Path, cache: usize) -> Result<Database, OpenError> {
    let file = std::fs::File::open(path).map_err(|e| classify_io(path, e, Access::Read))?;
    let overlay = CowOverlay::new(file).map_err(|e| classify_io(path, e, Access::Read))?;
    open_guarded(path, Access::Read, || Builder::new().set_cache_size(cache).create_with_backend(overlay))
}

fn classify(path: &Path, e: DatabaseError, access: Access) -> OpenError {
    let path_buf = path.to_path_buf();
    match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            OpenError::InUse { path: path_buf }
        }
        DatabaseError::UpgradeRequired(v) => {
            OpenError::NotAStore { path: path_buf, reason: NotAStoreReason::RedbFormat(v) }
        }
        DatabaseError::RepairAborted => OpenError::Corrupt {
            path: path_buf,
            detail: "it was not closed cleanly and its crash recovery was aborted".into(),
        },
        DatabaseError::Storage(StorageError::Io(io)) => classify_io(path, io, access),
        DatabaseError::Storage(StorageError::Corrupted(detail)) => {
            OpenError::Corrupt { path: path_buf, detail }
        }
        other => OpenError::Corrupt { path: path_buf, detail: other.to_string() },
    }
}

fn classify_io(path: &Path, e: std::io::Error, access: Access) -> OpenError {
    let path_buf = path.to_path_buf();
    let write = access == Access::Write;
    if e.raw_os_error() == Some(EROFS) || e.kind() == ErrorKind::ReadOnlyFilesystem {
        return OpenError::ReadOnlyFileSystem { path: path_buf };
    }
    match e.kind() {
        ErrorKind::PermissionDenied => OpenError::PermissionDenied { path: path_buf, write },
        ErrorKind::NotFound => OpenError::Missing { path: path_buf },
        ErrorKind::InvalidData => OpenError::NotAStore { path: path_buf, reason: NotAStoreReason::NotRedb },
        ErrorKind::UnexpectedEof => {
            OpenError::Corrupt { path: path_buf, detail: "the file is shorter than its header says".into() }
        }
        _ => OpenError::Io { path: path_buf, error: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_classified() {
        let p = Path::new("/x/s.redb");
        let io = std::io::Error::from_raw_os_error;
        assert!(matches!(classify_io(p, io(EROFS), Access::Write), OpenError::ReadOnlyFileSystem { .. }));
        assert!(matches!(
            classify_io(p, io(13), Access::Write),
            OpenError::PermissionDenied { write: true, .. }
        ));
        assert!(matches!(
            classify_io(p, io(1), Access::Read),
            OpenError::PermissionDenied { write: false, .. }
        ));
        assert!(matches!(classify_io(p, io(2), Access::Read), OpenError::Missing { .. }));
        assert!(matches!(classify_io(p, io(5), Access::Read), OpenError::Io { .. }));
        assert!(matches!(
            classify(p, DatabaseError::DatabaseAlreadyOpen, Access::Read),
            OpenError::InUse { .. }
        ));
        let msg = classify_io(p, io(EROFS), Access::Write).to_string();
        assert_eq!(
            msg,
            "store /x/s.redb is on a read-only file system and cannot be written; read-only commands still work"
        );
        let msg = classify_io(p, io(5), Access::Read).to_string();
        assert_eq!(msg.matches("Input/output error").count(), 1, "{msg}");
    }
}
