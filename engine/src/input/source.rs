//! The first stage: getting an input's bytes into memory.
//!
//! Regular files are memory-mapped through [`Source::open`], the only place the
//! engine maps a file. Standard input, pipes and anything else that cannot be
//! mapped are read into private memory.
//!
//! A mapped file that another process truncates while the import reads it would
//! raise SIGBUS and kill the process. The engine installs a SIGBUS handler that
//! recognises faults inside a mapped input (every one, however many are mapped),
//! prints which file changed and exits with status 1: the import's data is never committed (the final durable commit
//! had not happened), so the import is left `interrupted` and the store intact.
//! A file rewritten in place without shrinking does not fault; the import checks
//! the file's size and modification time again before it commits and fails if
//! either changed. See ARCHITECTURE.md, "Sources".
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use memmap2::Mmap;

use crate::input::convert::{self, ConvertError, Format, Spooled};

/// The bytes of one input.
#[derive(Debug)]
pub struct Source {
    data: Data,
    path: PathBuf,
    stamp: Option<(u64, Option<SystemTime>)>,
    /// For a spreadsheet or Parquet file: its CSV conversion, which `data` maps
    /// (dropped after the map).
    converted: Option<Box<Spooled>>,
}

/// Why an input cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file cannot be read.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// It is not a format the engine reads, or its conversion failed.
    #[error(transparent)]
    Convert(#[from] ConvertError),
}

#[derive(Debug)]
enum Data {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Source {
    /// Opens `path` (`-` is standard input): maps a non-empty regular file, reads
    /// anything else.
    pub fn open(path: &Path) -> io::Result<Self> {
        if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            io::stdin().lock().read_to_end(&mut buf)?;
            return Ok(Self::from_bytes(buf, path));
        }
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 {
            let mut buf = Vec::new();
            file.read_to_end(&mut buf)?;
            return Ok(Self::from_bytes(buf, path));
        }
        // SAFETY: the map is read-only and private to this process. Another process
        // may still truncate the file while it is mapped; reading a page past the new
        // end raises SIGBUS, which `guard` turns into a clear error exit instead of a
        // crash (see the module docs). Content changes without truncation cannot
        // cause undefined behaviour for `&[u8]` reads of plain bytes: the parser
        // treats the bytes as untrusted input, validates text in the copies it keeps
        // (never in the map before copying: a byte can change between two reads),
        // and the change is detected before commit by `unchanged_on_disk`.
        let map = unsafe { Mmap::map(&file)? };
        #[cfg(unix)]
        {
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        guard::register(map.as_ptr() as usize, map.len(), path);
        Ok(Self {
            data: Data::Mapped(map),
            path: path.to_path_buf(),
            stamp: Some((meta.len(), meta.modified().ok())),
            converted: None,
        })
    }

    /// Opens any input: text as [`Source::open`] does; a spreadsheet (its sheet
    /// `sheet`, default the first) or a Parquet file converted to CSV text in a
    /// temporary file in `spool_dir` (default: the system's temporary directory,
    /// [`crate::input::convert`]); a binary file of another kind refused, named.
    pub fn open_input(path: &Path, sheet: Option<&str>, spool_dir: Option<&Path>) -> Result<Self, OpenError> {
        let format = if path.as_os_str() == "-" {
            Format::Text
        } else {
            let mut head = vec![0u8; 64 << 10];
            let mut file = File::open(path)?;
            let mut n = 0;
            while n < head.len() {
                match file.read(&mut head[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            convert::sniff(&head[..n])?
        };
        if format == Format::Text {
            let source = Self::open(path)?;
            if path.as_os_str() == "-" {
                convert::sniff(&source.bytes()[..source.bytes().len().min(64 << 10)])?;
            }
            return Ok(source);
        }
        let stamp = std::fs::metadata(path).map(|m| (m.len(), m.modified().ok()))?;
        let spooled = convert::spool(path, format, sheet, spool_dir)?;
        let mut source = Self::open(spooled.file.path())?;
        source.path = path.to_path_buf();
        source.stamp = Some(stamp);
        source.converted = Some(Box::new(spooled));
        Ok(source)
    }

    /// For a converted spreadsheet or Parquet file: what was read, the cells that
    /// were numbers and the row numbers of its lines.
    pub fn converted(&self) -> Option<&Spooled> {
        self.converted.as_deref()
    }

    /// Wraps bytes already in memory (tests, transcoded input).
    pub fn from_bytes(bytes: Vec<u8>, path: &Path) -> Self {
        Self { data: Data::Owned(bytes), path: path.to_path_buf(), stamp: None, converted: None }
    }

    /// The input's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }

    /// True if the input is a file on disk that can be read again by its path (a
    /// mapped file, or the original of a converted one); false for bytes read into
    /// memory (standard input, a pipe, an empty file).
    pub fn on_disk(&self) -> bool {
        self.stamp.is_some()
    }

    /// Where the bytes came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if a mapped file still has the size and modification time it had when
    /// it was opened (always true for bytes read into memory).
    pub fn unchanged_on_disk(&self) -> bool {
        let Some((len, modified)) = self.stamp else {
            return true;
        };
        match std::fs::metadata(&self.path) {
            Ok(m) => m.len() == len && m.modified().ok() == modified,
            Err(_) => false,
        }
    }

    /// Tells the kernel that `range` of a mapped file will not be read again soon,
    /// so its pages leave this process's resident memory (they are re-read from the
    /// file if touched). Keeps memory flat on inputs larger than RAM.
    pub fn release(&self, range: std::ops::Range<usize>) {
        if let Data::Mapped(m) = &self.data {
            const PAGE: usize = 4096;
            let start = range.start.next_multiple_of(PAGE);
            let end = range.end / PAGE * PAGE;
            if end > start {
                // SAFETY: DONTNEED on a read-only file mapping only drops clean page
                // cache references; later reads fault the pages back in from the file.
                let _ = unsafe {
                    m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
                };
            }
        }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if let Data::Mapped(m) = &self.data {
            guard::unregister(m.as_ptr() as usize);
        }
    }
}

/// The SIGBUS guard: a registry of mapped ranges and a handler that reports a
/// fault inside one of them.
///
/// The registry has room for every input, whatever their number: slots come in
/// blocks chained by atomic pointers, a new block is allocated (outside the
/// handler) when all are taken, and blocks are never freed, so that the handler can
/// walk them without taking a lock or allocating.
mod guard {
    use super::{Mutex, Path};
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

    /// Slots per block.
    const SLOTS: usize = 16;

    /// One mapped range and the message printed for a fault inside it. A free slot
    /// has `start == 0`.
    struct Slot {
        start: AtomicUsize,
        len: AtomicUsize,
        message_ptr: AtomicUsize,
        message_len: AtomicUsize,
    }

    struct Block {
        slots: [Slot; SLOTS],
        next: AtomicPtr<Block>,
    }

    impl Slot {
        const fn free() -> Self {
            Self {
                start: AtomicUsize::new(0),
                len: AtomicUsize::new(0),
                message_ptr: AtomicUsize::new(0),
                message_len: AtomicUsize::new(0),
            }
        }
    }

    impl Block {
        const fn new() -> Self {
            Self { slots: [const { Slot::free() }; SLOTS], next: AtomicPtr::new(std::ptr::null_mut()) }
        }

        /// This block and the ones chained after it.
        fn chain(&'static self) -> impl Iterator<Item = &'static Block> {
            std::iter::successors(Some(self), |b| {
                // SAFETY: `next` is null or a block leaked by `register`, never freed.
                unsafe { b.next.load(Ordering::Acquire).as_ref() }
            })
        }
    }

    /// The first block; further ones are chained from it.
    static FIRST: Block = Block::new();
    /// The messages of the registered slots, owned here and prepared outside the
    /// handler; the lock also serialises `register` and `unregister`.
    static MESSAGES: Mutex<Vec<(usize, Vec<u8>)>> = Mutex::new(Vec::new());
    /// Set by the first fault reported, so that the message is printed once when
    /// several threads fault at the same time.
    static REPORTED: AtomicBool = AtomicBool::new(false);
    static INSTALL: Once = Once::new();

    pub(super) fn register(start: usize, len: usize, path: &Path) {
        INSTALL.call_once(install);
        let message = format!(
            "error: input file {} was truncated or replaced while it was being imported; \
             the import was stopped and nothing of it was committed\n",
            path.display()
        )
        .into_bytes();
        let mut messages = MESSAGES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut block = &FIRST;
        let slot = loop {
            if let Some(free) = block.slots.iter().find(|s| s.start.load(Ordering::Acquire) == 0) {
                break free;
            }
            block = block.chain().nth(1).unwrap_or_else(|| {
                // All slots are taken: chain one more block (under the lock, so only
                // one thread does).
                let new: &'static Block = Box::leak(Box::new(Block::new()));
                block.next.store(std::ptr::from_ref(new).cast_mut(), Ordering::Release);
                new
            });
        };
        slot.message_ptr.store(message.as_ptr() as usize, Ordering::Release);
        slot.message_len.store(message.len(), Ordering::Release);
        slot.len.store(len, Ordering::Release);
        // Last: a slot with a start is complete for the handler.
        slot.start.store(start, Ordering::Release);
        // The message's bytes stay where they are when the vector grows.
        messages.push((start, message));
    }

    pub(super) fn unregister(start: usize) {
        let mut messages = MESSAGES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for slot in FIRST.chain().flat_map(|b| b.slots.iter()) {
            if slot.start.load(Ordering::Acquire) == start {
                slot.start.store(0, Ordering::Release);
                slot.len.store(0, Ordering::Release);
                slot.message_ptr.store(0, Ordering::Release);
                slot.message_len.store(0, Ordering::Release);
            }
        }
        messages.retain(|(s, _)| *s != start);
    }

    /// The starts of the ranges registered now (tests).
    #[cfg(test)]
    pub(super) fn registered() -> Vec<usize> {
        FIRST
            .chain()
            .flat_map(|b| b.slots.iter())
            .map(|s| s.start.load(Ordering::Acquire))
            .filter(|&s| s != 0)
            .collect()
    }

    #[cfg(unix)]
    fn install() {
        // SAFETY: installs a handler with SA_SIGINFO; `sigaction` is given a zeroed,
        // fully initialised struct.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&raw mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &raw const action, std::ptr::null_mut());
        }
    }

    #[cfg(not(unix))]
    fn install() {}

    #[cfg(unix)]
    extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
        // SAFETY: only async-signal-safe calls (write, _exit, pause, signal, raise)
        // and atomic loads happen here (walking the chain of blocks is atomic loads
        // of pointers to blocks that are never freed); `info` is provided by the kernel.
        unsafe {
            let addr = (*info).si_addr() as usize;
            for slot in FIRST.chain().flat_map(|b| b.slots.iter()) {
                let start = slot.start.load(Ordering::Acquire);
                let len = slot.len.load(Ordering::Acquire);
                if start != 0 && addr >= start && addr < start + len {
                    if REPORTED.swap(true, Ordering::AcqRel) {
                        // Another thread is printing the message and exiting.
                        loop {
                            libc::pause();
                        }
                    }
                    let ptr = slot.message_ptr.load(Ordering::Acquire) as *const libc::c_void;
                    let n = slot.message_len.load(Ordering::Acquire);
                    if !ptr.is_null() {
                        libc::write(2, ptr, n);
                    }
                    libc::_exit(1);
                }
            }
            // Not ours: fall back to the default action.
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_input_is_guarded_whatever_their_number() {
        let dir = tempfile::tempdir().unwrap();
        // More than a block of slots, mapped at the same time.
        let sources: Vec<Source> = (0..50)
            .map(|i| {
                let path = dir.path().join(format!("{i}.csv"));
                std::fs::write(&path, format!("email\nperson{i}@example.com\n")).unwrap();
                Source::open(&path).unwrap()
            })
            .collect();
        let starts: Vec<usize> = sources.iter().map(|s| s.bytes().as_ptr() as usize).collect();
        let registered = guard::registered();
        for (i, start) in starts.iter().enumerate() {
            assert!(registered.contains(start), "input {i} of 50 is not guarded");
        }
        drop(sources);
        let registered = guard::registered();
        assert!(starts.iter().all(|s| !registered.contains(s)), "dropped inputs stay registered");
    }
}
