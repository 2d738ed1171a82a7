//! Identifier resolution: the in-memory, sharded hash index of the store's
//! identifiers as they were when the import started.
//!
//! [`KeyIndex::load`] reads an identifier index of the store (normalized value ->
//! record ID) into shards of `ahash` maps, reading disjoint key ranges in parallel.
//! The transform stage looks every row's identifier up here from many threads at
//! once; the plan stage layers the import's own changes on top (an overlay), so
//! the snapshot itself is never written during an import.

use std::collections::HashMap;
use std::ops::Bound;

use rayon::prelude::*;
use store::{ReadSession, StoreError};

/// Number of shards: a power of two, enough for parallel building.
const SHARDS: usize = 64;

type Map = HashMap<Box<[u8]>, u64, ahash::RandomState>;

/// A read-only map from normalized identifier to record ID.
pub struct KeyIndex {
    hasher: ahash::RandomState,
    shards: Vec<Map>,
    len: usize,
}

impl std::fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyIndex")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl KeyIndex {
    /// An empty index.
    pub fn empty() -> Self {
        let hasher = ahash::RandomState::with_seeds(1, 2, 3, 4);
        let shards = (0..SHARDS)
            .map(|_| Map::with_hasher(hasher.clone()))
            .collect();
        Self {
            hasher,
            shards,
            len: 0,
        }
    }

    /// Loads the store's index of `object` on `property`.
    ///
    /// The key space is cut at byte values into ranges read in parallel; each range
    /// fills its own partial shards, which are merged shard by shard in parallel.
    pub fn load(read: &ReadSession, object: &str, property: &str) -> Result<Self, StoreError> {
        let mut index = Self::empty();
        if read.index_len(object, property)? == 0 {
            return Ok(index);
        }
        let cuts: Vec<Vec<u8>> = [b'0', b'a', b'e', b'i', b'm', b'q', b'u']
            .iter()
            .map(|&b| vec![b])
            .collect();
        let ranges: Vec<(Bound<&[u8]>, Bound<&[u8]>)> = (0..=cuts.len())
            .map(|i| {
                let lo = if i == 0 {
                    Bound::Unbounded
                } else {
                    Bound::Included(cuts[i - 1].as_slice())
                };
                let hi = if i == cuts.len() {
                    Bound::Unbounded
                } else {
                    Bound::Excluded(cuts[i].as_slice())
                };
                (lo, hi)
            })
            .collect();
        let hasher = index.hasher.clone();
        let partials: Vec<Vec<Vec<(Box<[u8]>, u64)>>> = ranges
            .into_par_iter()
            .map(|range| {
                let mut parts: Vec<Vec<(Box<[u8]>, u64)>> = vec![Vec::new(); SHARDS];
                read.for_each_index_entry(object, property, range, |k, id| {
                    parts[shard_of(&hasher, k)].push((k.into(), id));
                })?;
                Ok(parts)
            })
            .collect::<Result<_, StoreError>>()?;
        // Transpose [range][shard] into [shard][range], moving the vectors.
        let mut by_shard: Vec<Vec<Vec<(Box<[u8]>, u64)>>> =
            (0..SHARDS).map(|_| Vec::new()).collect();
        for parts in partials {
            for (s, part) in parts.into_iter().enumerate() {
                by_shard[s].push(part);
            }
        }
        index
            .shards
            .par_iter_mut()
            .zip(by_shard)
            .for_each(|(shard, parts)| {
                shard.reserve(parts.iter().map(Vec::len).sum());
                for part in parts {
                    shard.extend(part);
                }
            });
        index.len = index.shards.iter().map(HashMap::len).sum();
        Ok(index)
    }

    /// The record ID owning `key`, if any.
    pub fn get(&self, key: &[u8]) -> Option<u64> {
        self.shards[shard_of(&self.hasher, key)].get(key).copied()
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

fn shard_of(hasher: &ahash::RandomState, key: &[u8]) -> usize {
    (hasher.hash_one(key) as usize) & (SHARDS - 1)
}
