//! A copy-on-write view of a store file: reads come from the file, writes stay in
//! memory.
//!
//! redb's integrity check (`Database::check_integrity`) and its crash recovery
//! both write to the file they check. `ingest check` and read-only commands must
//! never modify the store (it may be on read-only media, or the user may want it
//! left exactly as it is), so they open a `Database` over this backend: redb
//! sees a writable file, every byte it writes is kept in a sparse in-memory copy
//! of the blocks it touched, and the file is only ever read.
//!
//! Locking: the overlay takes one shared lock over the whole file, which excludes
//! a writer (an import holds exclusive locks) but not other readers, exactly
//! like a read-only open. Any narrower lock redb asks for is reported as
//! unsupported, which makes redb fall back to that whole-file lock.

use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Bound;
use std::sync::Mutex;

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// Size of the blocks copied into memory on first write.
const BLOCK: u64 = 4096;

/// Reads from a file, keeps writes in memory (see the module docs).
#[derive(Debug)]
pub(crate) struct CowOverlay {
    base: FileBackend,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Logical length.
    len: u64,
    /// Bytes of the file below this offset that are still visible (shrinking the
    /// logical length hides the rest, even if it grows again).
    base_len: u64,
    /// Blocks written, by block number.
    blocks: BTreeMap<u64, Box<[u8]>>,
}

impl CowOverlay {
    /// An overlay of `file` (opened for reading).
    pub(crate) fn new(file: File) -> std::io::Result<Self> {
        let len = file.metadata()?.len();
        let base = FileBackend::new(file).map_err(std::io::Error::other)?;
        Ok(Self { base, state: Mutex::new(State { len, base_len: len, blocks: BTreeMap::new() }) })
    }

    fn whole(start: Bound<u64>, end: Bound<u64>) -> bool {
        matches!(start, Bound::Unbounded | Bound::Included(0)) && end == Bound::Unbounded
    }
}

impl State {
    /// Fills `out` with the bytes at `offset` that are not in a written block.
    fn read_base(&self, base: &FileBackend, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        let end = offset + out.len() as u64;
        let from_file = end.min(self.base_len).saturating_sub(offset) as usize;
        if from_file > 0 {
            base.read(offset, &mut out[..from_file])?;
        }
        out[from_file..].fill(0);
        Ok(())
    }

    /// The block `n`, copied into memory if it was not yet.
    fn block_mut(&mut self, base: &FileBackend, n: u64) -> Result<&mut [u8], std::io::Error> {
        if !self.blocks.contains_key(&n) {
            let mut block = vec![0u8; BLOCK as usize].into_boxed_slice();
            self.read_base(base, n * BLOCK, &mut block)?;
            self.blocks.insert(n, block);
        }
        Ok(self.blocks.get_mut(&n).expect("inserted"))
    }
}

impl StorageBackend for CowOverlay {
    fn len(&self) -> Result<u64, std::io::Error> {
        Ok(self.state.lock().expect("overlay lock").len)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        let state = self.state.lock().expect("overlay lock");
        let end = offset + out.len() as u64;
        if end > state.len {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "read past the end"));
        }
        let mut pos = offset;
        while pos < end {
            let n = pos / BLOCK;
            let in_block = (pos % BLOCK) as usize;
            let take = ((BLOCK as usize) - in_block).min((end - pos) as usize);
            let dst = &mut out[(pos - offset) as usize..(pos - offset) as usize + take];
            match state.blocks.get(&n) {
                Some(block) => dst.copy_from_slice(&block[in_block..in_block + take]),
                None => state.read_base(&self.base, pos, dst)?,
            }
            pos += take as u64;
        }
        Ok(())
    }

    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        let mut state = self.state.lock().expect("overlay lock");
        if len < state.len {
            // Bytes past the new end must read as zero if the length grows again.
            state.base_len = state.base_len.min(len);
            let first_gone = len.div_ceil(BLOCK);
            state.blocks.split_off(&first_gone);
            if !len.is_multiple_of(BLOCK)
                && let Some(block) = state.blocks.get_mut(&(len / BLOCK))
            {
                block[(len % BLOCK) as usize..].fill(0);
            }
        }
        state.len = len;
        Ok(())
    }

    fn sync_data(&self) -> Result<(), std::io::Error> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        let mut state = self.state.lock().expect("overlay lock");
        let end = offset + data.len() as u64;
        if end > state.len {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "write past the end"));
        }
        let mut pos = offset;
        while pos < end {
            let n = pos / BLOCK;
            let in_block = (pos % BLOCK) as usize;
            let take = ((BLOCK as usize) - in_block).min((end - pos) as usize);
            let block = state.block_mut(&self.base, n)?;
            block[in_block..in_block + take]
                .copy_from_slice(&data[(pos - offset) as usize..(pos - offset) as usize + take]);
            pos += take as u64;
        }
        Ok(())
    }

    fn close(&self) -> Result<(), std::io::Error> {
        self.base.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        if Self::whole(start, end) {
            // redb asks for the exclusive lock of a writer; the file is only read.
            self.base.try_lock_shared_range(start, end)
        } else {
            Err(BackendError::Unsupported)
        }
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        if Self::whole(start, end) {
            self.base.try_lock_shared_range(start, end)
        } else {
            Err(BackendError::Unsupported)
        }
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        if Self::whole(start, end) {
            self.base.unlock_range(start, end)
        } else {
            Err(BackendError::Unsupported)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_stay_in_memory_and_reads_see_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let original: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &original).unwrap();
        let o = CowOverlay::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(o.len().unwrap(), 10_000);
        o.write(4090, &[1; 20]).unwrap();
        let mut buf = vec![0; 30];
        o.read(4085, &mut buf).unwrap();
        assert_eq!(&buf[..5], &original[4085..4090]);
        assert_eq!(&buf[5..25], &[1; 20]);
        assert_eq!(&buf[25..], &original[4110..4115]);
        // Shrink then grow: the cut-off bytes read as zero, in written and unwritten blocks.
        o.set_len(4095).unwrap();
        o.set_len(12_000).unwrap();
        let mut tail = vec![9; 12_000 - 4095];
        o.read(4095, &mut tail).unwrap();
        assert!(tail.iter().all(|&b| b == 0));
        let mut head = vec![0; 4095];
        o.read(0, &mut head).unwrap();
        assert_eq!(&head[..4090], &original[..4090]);
        assert!(o.read(11_999, &mut [0; 2]).is_err());
        o.close().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), original, "the file is unchanged");
    }
}
