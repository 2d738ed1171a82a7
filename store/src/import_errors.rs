//! The error file of every import, kept in the store (SPEC 7: `ingest errors ID`
//! writes it again, also after the import's report folder was deleted).
//!
//! Table `import_errors`, keyed by `(import ID, chunk number)` (`u64`, `u32`;
//! chunks numbered from 0, contiguous): the file's bytes, as the import wrote
//! them, cut into chunks of at most [`CHUNK_BYTES`] (1 MiB), so that a huge
//! error file never needs one huge value. A chunk is stored as
//!
//! ```text
//! u64 checksum (LE) | u8 flags | bytes
//! ```
//!
//! where bit 0 of `flags` marks the last chunk (the other bits are 0) and the
//! checksum is xxh3-64 of `flags | bytes` seeded with [`seed`] of the key, so
//! that a damaged chunk, or a chunk under another key, fails it. Every chunk
//! but the last is full; the last may be shorter (or empty, for an empty file).
//!
//! The import writes its chunks in its own write transaction
//! ([`WriteSession::error_file`]), so a crash leaves the import and its error
//! file both or neither. Reading ([`ReadSession::read_error_file`]) verifies the
//! whole file before handing out its first byte; `check` verifies every chunk
//! ([`verify`]). An undo keeps the error file (the history stays
//! inspectable); deleting records does not touch it.

use redb::{ReadableTable, Table, TableDefinition, TableError};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::error::{ErrorFileCorruption, StoreError};
use crate::guard::{callback, guard};
use crate::session::{ReadSession, WriteSession};

/// The error files' chunks.
pub(crate) const IMPORT_ERRORS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("import_errors");

/// The largest chunk of an error file, in bytes.
pub const CHUNK_BYTES: usize = 1 << 20;

/// Bytes before a chunk's data: its checksum and flags.
const HEADER_BYTES: usize = 9;

/// The flag of the last chunk.
const LAST: u8 = 1;

/// The checksum seed of chunk `chunk` of import `import`'s error file.
fn seed(import: u64, chunk: u32) -> u64 {
    let mut key = [0; 12];
    key[..8].copy_from_slice(&import.to_le_bytes());
    key[8..].copy_from_slice(&chunk.to_le_bytes());
    xxh3_64(&key)
}

/// The stored form of a chunk.
fn encode(import: u64, chunk: u32, bytes: &[u8], last: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + bytes.len());
    out.extend_from_slice(&[0; 8]);
    out.push(if last { LAST } else { 0 });
    out.extend_from_slice(bytes);
    let sum = xxh3_64_with_seed(&out[8..], seed(import, chunk));
    out[..8].copy_from_slice(&sum.to_le_bytes());
    out
}

/// Verifies the chunk stored under `(import, chunk)`: its bytes and whether it
/// is the last.
fn decode(import: u64, chunk: u32, stored: &[u8]) -> Result<(&[u8], bool), ErrorFileCorruption> {
    if stored.len() < HEADER_BYTES {
        return Err(ErrorFileCorruption::TooShort { len: stored.len() });
    }
    let (sum, rest) = stored.split_at(8);
    let stored_sum = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
    let computed = xxh3_64_with_seed(rest, seed(import, chunk));
    if stored_sum != computed {
        return Err(ErrorFileCorruption::Checksum { stored: stored_sum, computed });
    }
    let (flags, bytes) = (rest[0], &rest[1..]);
    if flags & !LAST != 0 {
        return Err(ErrorFileCorruption::Flags { flags });
    }
    if bytes.len() > CHUNK_BYTES {
        return Err(ErrorFileCorruption::TooLong { len: bytes.len(), max: CHUNK_BYTES });
    }
    let last = flags & LAST != 0;
    if !last && bytes.len() != CHUNK_BYTES {
        return Err(ErrorFileCorruption::Short { len: bytes.len(), expected: CHUNK_BYTES });
    }
    Ok((bytes, last))
}

/// The chunks of one import's error file as they are met in key order: numbered
/// from 0 without a gap, one last chunk, none after it.
#[derive(Debug, Default)]
struct Sequence {
    /// The chunk number expected next.
    next: u32,
    /// The last chunk was seen.
    ended: bool,
}

impl Sequence {
    /// Takes chunk `chunk` (already decoded), the last one if `last`.
    fn take(&mut self, chunk: u32, last: bool) -> Result<(), ErrorFileCorruption> {
        if self.ended {
            return Err(ErrorFileCorruption::AfterLast);
        }
        if chunk != self.next {
            return Err(ErrorFileCorruption::Missing { expected: self.next });
        }
        self.next += 1;
        self.ended = last;
        Ok(())
    }

    /// The end of the chunks: the last one must have been seen.
    fn end(&self) -> Result<(), ErrorFileCorruption> {
        if self.ended { Ok(()) } else { Err(ErrorFileCorruption::NoLastChunk) }
    }
}

/// An import's error file being written into the store, in chunks
/// ([`WriteSession::error_file`]); [`ErrorFileWriter::finish`] writes the last.
pub struct ErrorFileWriter<'s> {
    table: Table<'s, (u64, u32), &'static [u8]>,
    import: u64,
    /// The number of the chunk being filled.
    chunk: u32,
    /// Its bytes so far (written when full and more bytes come, or at the end).
    buffer: Vec<u8>,
    /// Bytes taken.
    len: u64,
}

impl ErrorFileWriter<'_> {
    /// Appends `bytes` to the error file.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<(), StoreError> {
        self.len += bytes.len() as u64;
        while !bytes.is_empty() {
            if self.buffer.len() == CHUNK_BYTES {
                // More bytes follow: the full chunk is not the last.
                let stored = encode(self.import, self.chunk, &self.buffer, false);
                guard(|| Ok(self.table.insert((self.import, self.chunk), stored.as_slice()).map(drop)?))?;
                self.chunk += 1;
                self.buffer.clear();
            }
            let take = bytes.len().min(CHUNK_BYTES - self.buffer.len());
            self.buffer.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        Ok(())
    }

    /// Writes the last chunk; returns the file's size in bytes.
    pub fn finish(mut self) -> Result<u64, StoreError> {
        let stored = encode(self.import, self.chunk, &self.buffer, true);
        guard(|| Ok(self.table.insert((self.import, self.chunk), stored.as_slice()).map(drop)?))?;
        Ok(self.len)
    }
}

impl WriteSession<'_> {
    /// Starts keeping import `import`'s error file in the store, in this
    /// transaction (replacing any kept before): push its bytes, then
    /// [`ErrorFileWriter::finish`]. Dropped unfinished, it leaves a file without
    /// its last chunk, which `check` reports: finish it or roll back.
    pub fn error_file(&self, import: u64) -> Result<ErrorFileWriter<'_>, StoreError> {
        guard(|| {
            let mut table = self.txn().open_table(IMPORT_ERRORS)?;
            table.retain_in((import, 0)..=(import, u32::MAX), |_, _| false)?;
            Ok(ErrorFileWriter { table, import, chunk: 0, buffer: Vec::with_capacity(CHUNK_BYTES), len: 0 })
        })
    }
}

impl ReadSession {
    /// Hands import `import`'s error file to `f`, chunk by chunk, in order, exactly
    /// as the import wrote it; returns its size in bytes, or `None` if the store
    /// keeps no error file for that import (an unknown import, one that did not
    /// finish, one made before error files were kept).
    ///
    /// The whole file is verified before `f` sees its first byte (checksums,
    /// contiguous chunks, one last chunk): a damaged file is
    /// [`StoreError::CorruptErrorFile`] and `f` is not called. Its chunks are read
    /// twice for that, at most 1 MiB in memory at a time. An error of `f` stops
    /// the reading and is returned.
    pub fn read_error_file<E: From<StoreError>>(
        &self,
        import: u64,
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Option<u64>, E> {
        let Some(len) = self.error_file_chunks(import, &mut |_| true)? else {
            return Ok(None);
        };
        let mut failed = None;
        self.error_file_chunks(import, &mut |bytes| match callback(|| f(bytes)) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(Some(len)),
        }
    }

    /// Reads import `import`'s chunks in order, verified, handing each to `f`
    /// until it returns false; the file's size, `None` without chunks.
    fn error_file_chunks(
        &self,
        import: u64,
        f: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<Option<u64>, StoreError> {
        guard(|| {
            let table = match self.txn().open_table(IMPORT_ERRORS) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let mut sequence = Sequence::default();
            let mut len = 0;
            let corrupt = |chunk, reason| StoreError::CorruptErrorFile { import, chunk, reason };
            for item in table.range((import, 0)..=(import, u32::MAX))? {
                let (k, v) = item?;
                let chunk = k.value().1;
                let (bytes, last) = decode(import, chunk, v.value()).map_err(|r| corrupt(chunk, r))?;
                sequence.take(chunk, last).map_err(|r| corrupt(chunk, r))?;
                len += bytes.len() as u64;
                if !f(bytes) {
                    return Ok(Some(len));
                }
            }
            if sequence.next == 0 {
                return Ok(None);
            }
            sequence.end().map_err(|r| corrupt(sequence.next, r))?;
            Ok(Some(len))
        })
    }
}

/// Verifies every chunk of `table` (`check`): calls `problem` with the key
/// (`import/chunk`) and what is wrong, and `import` with each import ID that has
/// chunks. Returns the number of chunks.
pub(crate) fn verify(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    import: &mut dyn FnMut(u64),
    problem: &mut dyn FnMut(String, String),
) -> Result<u64, StoreError> {
    /// One import's chunks so far; `damaged` when one failed to decode (its
    /// sequence is then unknown, so a missing last chunk is not reported again).
    struct File {
        id: u64,
        sequence: Sequence,
        damaged: bool,
    }
    fn end(file: Option<File>, problem: &mut dyn FnMut(String, String)) {
        if let Some(File { id, sequence, damaged: false }) = file
            && let Err(reason) = sequence.end()
        {
            problem(format!("{id}/{}", sequence.next), reason.to_string());
        }
    }
    let mut count = 0;
    let mut current: Option<File> = None;
    for item in table.iter()? {
        let (k, v) = item?;
        let (id, chunk) = k.value();
        count += 1;
        if current.as_ref().is_none_or(|f| f.id != id) {
            end(current.take(), problem);
            import(id);
            current = Some(File { id, sequence: Sequence::default(), damaged: false });
        }
        let file = current.as_mut().expect("set above");
        match decode(id, chunk, v.value()) {
            Ok((_, last)) => {
                if let Err(reason) = file.sequence.take(chunk, last) {
                    problem(format!("{id}/{chunk}"), reason.to_string());
                    // Go on from this chunk, so that one gap is reported once.
                    file.sequence.next = chunk.saturating_add(1);
                    file.sequence.ended |= last;
                }
            }
            Err(reason) => {
                problem(format!("{id}/{chunk}"), format!("corrupt: {reason}"));
                file.sequence.next = chunk.saturating_add(1);
                file.damaged = true;
            }
        }
    }
    end(current, problem);
    Ok(count)
}
