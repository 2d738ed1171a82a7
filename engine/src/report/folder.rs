//! The report folder `<store>.imports/<import id>/`, tied to its store.
//!
//! Import IDs start at 1 in every new store, so the folder of a store that was
//! deleted and created again would be overwritten by the new store's imports. The
//! folder therefore holds a `.store-id` file with the identity of the store it
//! belongs to. A folder of another store (or of none) is moved aside to
//! `<store>.imports.stale-<n>` with a warning on stderr, never overwritten.
//!
//! Nothing inside the folder is reached through a symlink: an import folder that is
//! a symlink (or any non-directory) is moved aside too, and the report files are
//! written with [`crate::report::output::AtomicFile`], which never follows one.

use std::io;
use std::path::{Path, PathBuf};

const IDENTITY_FILE: &str = ".store-id";

/// The report root of `store`: `<store>.imports`.
pub fn root(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".imports");
    PathBuf::from(p)
}

/// The folder of one import.
pub fn import_folder(store: &Path, import_id: u64) -> PathBuf {
    root(store).join(import_id.to_string())
}

/// Moves `path` aside to the first free `<path>.stale-<n>`; returns where it went.
fn move_aside(path: &Path) -> io::Result<PathBuf> {
    for n in 1u32.. {
        let mut aside = path.as_os_str().to_owned();
        aside.push(format!(".stale-{n}"));
        let aside = PathBuf::from(aside);
        if std::fs::symlink_metadata(&aside).is_err() {
            std::fs::rename(path, &aside)?;
            return Ok(aside);
        }
    }
    unreachable!("some suffix is free")
}

/// Makes the report root belong to the store with `identity`, moving a folder of
/// another store aside.
fn claim_root(root: &Path, identity: &str) -> io::Result<()> {
    let marker = root.join(IDENTITY_FILE);
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {
            let owner = std::fs::read_to_string(&marker).ok();
            let empty = std::fs::read_dir(root)?.next().is_none();
            match owner {
                Some(o) if o.trim() == identity => return Ok(()),
                None if empty => {}
                other => {
                    let aside = move_aside(root)?;
                    let whose = if other.is_some() { "another store" } else { "no known store" };
                    eprintln!(
                        "warning: {} holds the reports of {whose} (a store deleted and created again?); \
                         it was moved to {} and a new folder started",
                        root.display(),
                        aside.display()
                    );
                    std::fs::create_dir(root)?;
                }
            }
        }
        Ok(_) => {
            let aside = move_aside(root)?;
            eprintln!("warning: {} is not a folder; it was moved to {}", root.display(), aside.display());
            std::fs::create_dir(root)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir_all(root)?,
        Err(e) => return Err(e),
    }
    let mut f = crate::report::output::AtomicFile::create(&marker)?;
    io::Write::write_all(&mut f, identity.as_bytes())?;
    f.commit()
}

/// Creates the empty folder of import `import_id` of the store at `store` with
/// `identity`, and returns it.
pub fn prepare(store: &Path, identity: &str, import_id: u64) -> io::Result<PathBuf> {
    let root = root(store);
    claim_root(&root, identity)?;
    let folder = root.join(import_id.to_string());
    if std::fs::symlink_metadata(&folder).is_ok() {
        // Left by an import of this store that never got its ID recorded, or planted.
        let aside = move_aside(&folder)?;
        eprintln!("warning: {} already existed; it was moved to {}", folder.display(), aside.display());
    }
    std::fs::create_dir(&folder)?;
    Ok(folder)
}

/// Removes the folder of an import that failed: its files were never complete.
pub fn remove(folder: &Path) {
    if std::fs::symlink_metadata(folder).is_ok_and(|m| m.is_dir()) {
        let _ = std::fs::remove_dir_all(folder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_of_another_store_is_moved_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.redb");
        let first = prepare(&store, "aaaa", 1).unwrap();
        std::fs::write(first.join("errors.csv"), b"old store's errors").unwrap();
        // Same store: the folder is kept.
        let second = prepare(&store, "aaaa", 2).unwrap();
        assert!(first.join("errors.csv").exists() && second.is_dir());
        // A new store with the same path: the old folder goes aside, whole.
        let again = prepare(&store, "bbbb", 1).unwrap();
        assert_eq!(std::fs::read_dir(&again).unwrap().count(), 0);
        let aside = dir.path().join("s.redb.imports.stale-1");
        assert_eq!(std::fs::read(aside.join("1/errors.csv")).unwrap(), b"old store's errors");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_import_folder_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.redb");
        prepare(&store, "aaaa", 1).unwrap();
        let victim = dir.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        std::os::unix::fs::symlink(&victim, root(&store).join("2")).unwrap();
        let folder = prepare(&store, "aaaa", 2).unwrap();
        assert!(!std::fs::symlink_metadata(&folder).unwrap().file_type().is_symlink());
        assert!(root(&store).join("2.stale-1").exists());
    }
}
