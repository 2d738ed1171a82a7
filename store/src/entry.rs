//! Checksummed JSON entries, as the import log and the owners store them.
//!
//! An entry is stored under its ID as `u64 checksum (LE) | JSON`, the checksum
//! being xxh3-64 of the JSON seeded with the ID: a damaged entry, or one moved
//! under another key, fails its checksum and is an [`EntryCorruption`], never
//! silently different data.

use serde::Serialize;
use serde::de::DeserializeOwned;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{EntryCorruption, EntryTable, StoreError};

const CHECKSUM_BYTES: usize = 8;

/// The stored form of `entry`, under key `id`.
pub(crate) fn encode(id: u64, entry: &impl Serialize) -> Vec<u8> {
    let mut out = vec![0; CHECKSUM_BYTES];
    serde_json::to_writer(&mut out, entry).expect("entries always serialize");
    let sum = xxh3_64_with_seed(&out[CHECKSUM_BYTES..], id);
    out[..CHECKSUM_BYTES].copy_from_slice(&sum.to_le_bytes());
    out
}

/// Verifies and decodes the entry stored under key `id`.
pub(crate) fn decode<T: DeserializeOwned>(id: u64, bytes: &[u8]) -> Result<T, EntryCorruption> {
    let Some((sum, json)) = bytes.split_first_chunk::<CHECKSUM_BYTES>() else {
        return Err(EntryCorruption::TooShort { len: bytes.len() });
    };
    let stored = u64::from_le_bytes(*sum);
    let computed = xxh3_64_with_seed(json, id);
    if stored != computed {
        return Err(EntryCorruption::Checksum { stored, computed });
    }
    serde_json::from_slice(json).map_err(EntryCorruption::Json)
}

/// The store error of entry `id` of `table` being corrupt, for `map_err`.
pub(crate) fn corrupt(table: EntryTable, id: u64) -> impl FnOnce(EntryCorruption) -> StoreError {
    move |reason| StoreError::CorruptEntry { table, id, reason }
}
