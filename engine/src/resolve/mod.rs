//! Identifier resolution: hash tables of normalized identifiers -> record IDs.
//!
//! [`KeyTable`] is the building block: an open-addressing table whose keys live
//! back to back in one arena, with the hash computed once per row by the
//! transform stage ([`hash_key`]) and passed in, so lookups and inserts allocate
//! nothing. [`KeyIndex`] is the store's identifier index as it was when the
//! import started, loaded into shards of such tables from disjoint key ranges in
//! parallel; many transform threads read it at once. The plan stage keeps the
//! import's own changes in a separate [`KeyTable`] (the overlay).

use std::ops::Bound;
use std::sync::LazyLock;

use hashbrown::HashTable;
use rayon::prelude::*;
use store::{ReadSession, StoreError};

/// Number of shards of a [`KeyIndex`]: a power of two.
const SHARDS: usize = 64;

static HASHER: LazyLock<ahash::RandomState> =
    LazyLock::new(|| ahash::RandomState::with_seeds(0x5eed, 0x00c0_ffee, 0xfeed, 0xbeef));

/// The hash of a normalized identifier, shared by every table.
pub fn hash_key(key: &[u8]) -> u64 {
    HASHER.hash_one(key)
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    offset: usize,
    len: u32,
    id: u64,
}

/// A map from identifier bytes to record ID, keys stored in one arena.
#[derive(Default)]
pub struct KeyTable {
    table: HashTable<Slot>,
    arena: Vec<u8>,
}

impl std::fmt::Debug for KeyTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyTable").field("len", &self.table.len()).finish_non_exhaustive()
    }
}

impl KeyTable {
    fn key(&self, s: &Slot) -> &[u8] {
        &self.arena[s.offset..s.offset + s.len as usize]
    }

    /// The ID stored for `key` (whose hash is `hash`).
    pub fn get(&self, hash: u64, key: &[u8]) -> Option<u64> {
        self.table.find(hash, |s| s.hash == hash && self.key(s) == key).map(|s| s.id)
    }

    /// Sets the ID of `key`, inserting it if new.
    pub fn set(&mut self, hash: u64, key: &[u8], id: u64) {
        let arena = &mut self.arena;
        match self.table.entry(
            hash,
            |s| s.hash == hash && &arena[s.offset..s.offset + s.len as usize] == key,
            |s| s.hash,
        ) {
            hashbrown::hash_table::Entry::Occupied(mut e) => e.get_mut().id = id,
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(Slot { hash, offset: arena.len(), len: key.len() as u32, id });
                arena.extend_from_slice(key);
            }
        }
    }

    /// Makes room for `n` more keys of `bytes` bytes in all.
    pub fn reserve(&mut self, n: usize, bytes: usize) {
        self.table.reserve(n, |s| s.hash);
        self.arena.reserve(bytes);
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Every `(key, id)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.table.iter().map(|s| (self.key(s), s.id))
    }

    /// Takes the table apart: the key arena and `(key offset, key length, id)` of
    /// every key, freeing the hash table itself.
    pub fn into_parts(self) -> (Vec<u8>, Vec<(usize, u32, u64)>) {
        let spans = self.table.iter().map(|s| (s.offset, s.len, s.id)).collect();
        (self.arena, spans)
    }
}

/// A range of keys read by one loader thread.
type KeyRange<'a> = (Bound<&'a [u8]>, Bound<&'a [u8]>);
/// Per shard: `(hash, id, key offset, key len)`, plus the range's key bytes.
type Part = (Vec<Vec<(u64, u64, usize, u32)>>, Vec<u8>);

/// The store's identifier index at import start, read-only and sharded; or, for
/// an import that looks up few keys (a re-run, [`crate::replay`]), the index
/// as stored, read key by key.
pub struct KeyIndex {
    shards: Vec<KeyTable>,
    len: usize,
    stored: Option<store::IndexReader>,
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIndex").field("len", &self.len).finish_non_exhaustive()
    }
}

fn shard_of(hash: u64) -> usize {
    // Middle bits: hashbrown uses the low bits for the position and the top 7 for
    // its control bytes.
    ((hash >> 32) as usize) & (SHARDS - 1)
}

impl KeyIndex {
    /// An empty index.
    pub fn empty() -> Self {
        Self { shards: (0..SHARDS).map(|_| KeyTable::default()).collect(), len: 0, stored: None }
    }

    /// The store's index of `object` on `property`, read where a key is looked up.
    pub fn stored(read: &ReadSession, object: &str, property: u16) -> Result<Self, StoreError> {
        Ok(Self { stored: Some(read.index_reader(object, property)?), ..Self::empty() })
    }

    /// Loads the store's index of `object` on `property`.
    ///
    /// The key space is cut at byte values into ranges read in parallel; each range
    /// sorts its entries into per-shard lists, which are then built into the shard
    /// tables in parallel.
    pub fn load(read: &ReadSession, object: &str, property: u16) -> Result<Self, StoreError> {
        let mut index = Self::empty();
        if read.index_len(object, property)? == 0 {
            return Ok(index);
        }
        let cuts: Vec<[u8; 1]> = [b'0', b'a', b'e', b'i', b'm', b'q', b'u'].iter().map(|&b| [b]).collect();
        let ranges: Vec<KeyRange<'_>> = (0..=cuts.len())
            .map(|i| {
                let lo = if i == 0 { Bound::Unbounded } else { Bound::Included(&cuts[i - 1][..]) };
                let hi = if i == cuts.len() { Bound::Unbounded } else { Bound::Excluded(&cuts[i][..]) };
                (lo, hi)
            })
            .collect();
        let parts: Vec<Part> = ranges
            .into_par_iter()
            .map(|range| {
                let mut lists: Vec<Vec<(u64, u64, usize, u32)>> = vec![Vec::new(); SHARDS];
                let mut bytes = Vec::new();
                read.for_each_index_entry(object, property, range, |k, id| {
                    let hash = hash_key(k);
                    lists[shard_of(hash)].push((hash, id, bytes.len(), k.len() as u32));
                    bytes.extend_from_slice(k);
                })?;
                Ok((lists, bytes))
            })
            .collect::<Result<_, StoreError>>()?;
        index.shards.par_iter_mut().enumerate().for_each(|(s, shard)| {
            let n = parts.iter().map(|p| p.0[s].len()).sum();
            let bytes = parts.iter().map(|p| p.0[s].iter().map(|e| e.3 as usize).sum::<usize>()).sum();
            shard.reserve(n, bytes);
            for (lists, arena) in &parts {
                for &(hash, id, off, len) in &lists[s] {
                    shard.set(hash, &arena[off..off + len as usize], id);
                }
            }
        });
        index.len = index.shards.iter().map(KeyTable::len).sum();
        Ok(index)
    }

    /// The record ID owning `key` (hash `hash`), if any.
    pub fn get(&self, hash: u64, key: &[u8]) -> Result<Option<u64>, StoreError> {
        if let Some(stored) = &self.stored {
            return stored.get(key);
        }
        if self.len == 0 {
            return Ok(None);
        }
        Ok(self.shards[shard_of(hash)].get(hash, key))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the index holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_table_sets_and_overwrites() {
        let mut t = KeyTable::default();
        for i in 0..1000u64 {
            let k = format!("k{i}@x.com");
            t.set(hash_key(k.as_bytes()), k.as_bytes(), i);
        }
        t.set(hash_key(b"k7@x.com"), b"k7@x.com", 70);
        assert_eq!(t.len(), 1000);
        assert_eq!(t.get(hash_key(b"k7@x.com"), b"k7@x.com"), Some(70));
        assert_eq!(t.get(hash_key(b"k8@x.com"), b"k8@x.com"), Some(8));
        assert_eq!(t.get(hash_key(b"nope"), b"nope"), None);
    }
}
