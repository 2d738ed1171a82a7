//! Every file the engine writes goes through here (SPEC 11: "no file the engine
//! writes can be the store or one of the command's inputs").
//!
//! [`Protected`] is the set of files a command must never write: the store, its
//! lock file and every input. [`Protected::check`] compares an output path with
//! each of them by device and inode (after resolving symlinks and hard links) and
//! by canonical path, before anything is opened for writing, so that `--results
//! crm.redb` stops with a usage error instead of destroying the store.
//!
//! [`AtomicFile`] writes an output to a temporary file in the destination's
//! folder and renames it into place only when [`AtomicFile::commit`] is called:
//! a command that fails halfway never leaves half a file where a good one was.
//! The temporary file is created exclusively and never through a symlink, and
//! `rename` replaces a symlink at the destination instead of following it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output path that would overwrite a file the command must not write.
#[derive(Debug, thiserror::Error)]
#[error("refusing to write {path}: it is {what} {other}; choose another output path (nothing was written)")]
pub struct Clobber {
    /// The output path given.
    pub path: PathBuf,
    /// What the protected file is ("the store", "the input file", ...).
    pub what: &'static str,
    /// The protected file.
    pub other: PathBuf,
}

#[derive(Debug)]
struct Entry {
    path: PathBuf,
    canonical: Option<PathBuf>,
    file_id: Option<(u64, u64)>,
    what: &'static str,
}

/// The files a command must not write.
#[derive(Debug, Default)]
pub struct Protected {
    entries: Vec<Entry>,
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)] // None on other platforms
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The canonical form of `path` even when its last component does not exist yet:
/// the canonical parent joined with the file name.
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(c) = std::fs::canonicalize(path) {
        return Some(c);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

impl Protected {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store file and its lock file.
    pub fn with_store(store: &Path) -> Self {
        let mut p = Self::new();
        p.add(store, "the store");
        p.add(&crate::holder::lock_path(store), "the store's lock file");
        p
    }

    /// Protects `path`, described as `what` in the refusal message. `-`
    /// (standard input or output) is ignored.
    pub fn add(&mut self, path: &Path, what: &'static str) {
        if path.as_os_str() == "-" {
            return;
        }
        let file_id = std::fs::metadata(path).ok().as_ref().and_then(file_id);
        self.entries.push(Entry { path: path.to_path_buf(), canonical: canonical(path), file_id, what });
    }

    /// Fails if writing `out` would write one of the protected files.
    pub fn check(&self, out: &Path) -> Result<(), Clobber> {
        let out_id = std::fs::metadata(out).ok().as_ref().and_then(file_id);
        let out_canonical = canonical(out);
        for e in &self.entries {
            let same_file = out_id.is_some() && out_id == e.file_id;
            let same_path = out_canonical.is_some() && out_canonical == e.canonical;
            if same_file || same_path {
                return Err(Clobber { path: out.to_path_buf(), what: e.what, other: e.path.clone() });
            }
        }
        Ok(())
    }
}

/// An output file written under a temporary name and renamed into place on
/// [`AtomicFile::commit`]; dropped without a commit, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
}

/// Opens a new file for writing (and reading back): exclusively (never an
/// existing file) and never through a symlink.
fn create_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

impl AtomicFile {
    /// Starts writing `dest`: creates a temporary file next to it.
    pub fn create(dest: &Path) -> io::Result<Self> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a file path", dest.display()))
        })?;
        let pid = std::process::id();
        for attempt in 0u32..100 {
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".tmp-{pid}-{attempt}"));
            let tmp = dir.join(tmp_name);
            match create_new(&tmp) {
                Ok(f) => {
                    return Ok(Self {
                        dest: dest.to_path_buf(),
                        tmp,
                        file: Some(BufWriter::with_capacity(1 << 16, f)),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("cannot create a temporary file next to {}", dest.display()),
        ))
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// The bytes written so far, read back from the temporary file (to copy them
    /// elsewhere before the commit; the store keeps the error file). Everything
    /// written must be flushed first. The reader reads from the file's start at its
    /// own positions, so it neither moves nor sees the writer's position.
    pub fn read_back(&self) -> io::Result<ReadBack> {
        let file = self.file.as_ref().expect("an uncommitted AtomicFile holds its file");
        if !file.buffer().is_empty() {
            return Err(io::Error::other("an atomic file is read back only when flushed"));
        }
        Ok(ReadBack { file: file.get_ref().try_clone()?, pos: 0 })
    }

    fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("an uncommitted AtomicFile holds its file")
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("an uncommitted AtomicFile holds its file");
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_data()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

/// What an [`AtomicFile`] holds so far, from its start ([`AtomicFile::read_back`]).
#[derive(Debug)]
pub struct ReadBack {
    file: File,
    pos: u64,
}

impl io::Read for ReadBack {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Neutralizes a value for a file meant to be opened in a spreadsheet (OWASP's
/// advice against CSV formula injection): a value starting with `=`, `+`, `-`, `@`,
/// tab or carriage return is prefixed with `'`, so that the spreadsheet shows it
/// as text instead of evaluating it.
pub fn excel_safe(value: &str) -> std::borrow::Cow<'_, str> {
    match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clobbering_is_found_through_symlinks_hard_links_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("crm.redb");
        std::fs::write(&store, b"store").unwrap();
        let p = Protected::with_store(&store);
        assert!(p.check(&store).is_err());
        assert!(p.check(&dir.path().join("./crm.redb")).is_err());
        assert!(p.check(&dir.path().join("other.csv")).is_ok());
        #[cfg(unix)]
        {
            let link = dir.path().join("link.csv");
            std::os::unix::fs::symlink(&store, &link).unwrap();
            assert!(p.check(&link).is_err());
            let hard = dir.path().join("hard.csv");
            std::fs::hard_link(&store, &hard).unwrap();
            assert!(p.check(&hard).is_err());
        }
        // The lock file, even before it exists.
        assert!(p.check(&dir.path().join("crm.redb.lock")).is_err());
    }

    #[test]
    fn an_atomic_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.csv");
        std::fs::write(&dest, b"good old content").unwrap();
        {
            let mut f = AtomicFile::create(&dest).unwrap();
            f.write_all(b"half a fi").unwrap();
            // Dropped: a failed command.
        }
        assert_eq!(std::fs::read(&dest).unwrap(), b"good old content");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"new").unwrap();
        assert!(f.read_back().is_err(), "not flushed");
        f.flush().unwrap();
        let mut back = Vec::new();
        io::Read::read_to_end(&mut f.read_back().unwrap(), &mut back).unwrap();
        assert_eq!(back, b"new");
        f.write_all(b" and more").unwrap(); // at the writer's own position
        f.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new and more");
    }

    #[cfg(unix)]
    #[test]
    fn an_atomic_file_replaces_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"keep me").unwrap();
        let dest = dir.path().join("errors.csv");
        std::os::unix::fs::symlink(&victim, &dest).unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"report").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(std::fs::read(&dest).unwrap(), b"report");
        assert!(!std::fs::symlink_metadata(&dest).unwrap().file_type().is_symlink());
    }

    #[test]
    fn formula_prefixes_are_neutralized() {
        for v in ["=1+2", "+1", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(excel_safe(v), format!("'{v}"));
        }
        for v in ["ada@example.com", "", "1-2", "'quoted"] {
            assert_eq!(excel_safe(v), v);
        }
    }
}
