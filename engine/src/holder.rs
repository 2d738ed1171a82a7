//! Who holds the store: the lock file `<store>.lock` and waiting for a busy store.
//!
//! redb locks the store file itself, so a second process cannot open a store that
//! an import is writing. That lock says nothing about who holds it, so a command
//! that writes the store also writes `<store>.lock` (its process ID, the command
//! and, once it has one, the import ID) and removes it when it ends. A command that
//! finds the store busy reads it to say which import holds the store, and with
//! `--wait SECONDS` retries until the store is free or the time is up.
//!
//! The lock file is advice, never the lock: a stale one (left by a killed process)
//! is only read when redb reports the store busy, and its process is checked to be
//! alive before it is named.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use store::OpenError;

use crate::report::output::AtomicFile;

/// The lock file of `store`: `<store>.lock`.
pub fn lock_path(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// What the lock file says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HolderInfo {
    /// Process ID of the holder.
    pub pid: u32,
    /// The command it runs (`import`, `demo`, ...).
    pub command: String,
    /// The import it runs, once it has one.
    pub import_id: Option<u64>,
    /// When it opened the store, RFC 3339.
    pub since: String,
}

impl std::fmt::Display for HolderInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.import_id {
            Some(id) => {
                write!(f, "import {id} (`ingest {}`, pid {}, since {})", self.command, self.pid, self.since)
            }
            None => write!(f, "`ingest {}` (pid {}, since {})", self.command, self.pid, self.since),
        }
    }
}

/// The lock file of a command that holds the store for writing; removed on drop.
#[derive(Debug)]
pub struct Holder {
    path: PathBuf,
    info: HolderInfo,
}

impl Holder {
    /// Writes the lock file of `store` for `command`. Failing to write it is not an
    /// error (the store's own lock is what protects it): the holder is then silent.
    pub fn write(store: &Path, command: &str) -> Self {
        let info = HolderInfo {
            pid: std::process::id(),
            command: command.to_owned(),
            import_id: None,
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let holder = Self { path: lock_path(store), info };
        holder.save();
        holder
    }

    /// Names the import this command now runs.
    pub fn set_import(&mut self, import_id: u64) {
        self.info.import_id = Some(import_id);
        self.save();
    }

    fn save(&self) {
        let Ok(mut f) = AtomicFile::create(&self.path) else { return };
        if serde_json::to_writer(&mut f, &self.info).is_ok() {
            let _ = f.commit();
        }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Only our own lock file: another process may have taken the store since.
        if read(&self.path).is_some_and(|i| i.pid == self.info.pid) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn read(path: &Path) -> Option<HolderInfo> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new("/proc").join(pid.to_string()).exists() } else { true }
}

/// The live holder of `store`, if its lock file names one.
pub fn current(store: &Path) -> Option<HolderInfo> {
    read(&lock_path(store)).filter(|i| alive(i.pid) && i.pid != std::process::id())
}

/// The store is busy and stayed busy for as long as the command was told to wait.
#[derive(Debug, thiserror::Error)]
#[error("store {path} is in use: {}; {}", holder_text(.holder.as_ref()), advice(*.waited))]
pub struct Busy {
    /// The store.
    pub path: PathBuf,
    /// Who holds it, if known.
    pub holder: Option<HolderInfo>,
    /// How long the command waited (`--wait`).
    pub waited: Option<Duration>,
}

fn holder_text(h: Option<&HolderInfo>) -> String {
    match h {
        Some(h) => format!("{h} holds it"),
        None => "another process (an import or a read-only command) holds it".to_owned(),
    }
}

fn advice(waited: Option<Duration>) -> String {
    match waited {
        Some(d) => format!("still in use after waiting {} s", d.as_secs()),
        None => "wait for it to finish, or pass --wait SECONDS".to_owned(),
    }
}

/// Runs `open` on the store at `path` (an open, or anything that opens it, such as
/// `ingest check`), retrying while another process holds it for up to `wait` (no
/// retry without it); a store still busy is [`Busy`]. Other errors return at once.
pub fn open_waiting<T>(
    path: &Path,
    wait: Option<Duration>,
    open: impl Fn(&Path) -> Result<T, OpenError>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    loop {
        match open(path) {
            Err(OpenError::InUse { .. }) => {
                if let Some(w) = wait
                    && start.elapsed() < w
                {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                return Err(Busy { path: path.to_path_buf(), holder: current(path), waited: wait }.into());
            }
            r => return Ok(r?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_names_the_import_and_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.redb");
        let mut h = Holder::write(&store, "import");
        h.set_import(7);
        let info = read(&lock_path(&store)).unwrap();
        assert_eq!((info.pid, info.import_id), (std::process::id(), Some(7)));
        assert_eq!(info.to_string().split(" (").next(), Some("import 7"));
        drop(h);
        assert!(!lock_path(&store).exists());
    }
}
