//! A *block*: the link lists ([`super::list`]) of up to [`BLOCK`] neighbouring
//! records with the records of one other object, the value of key `record ID /
//! BLOCK` in table `link_lists/<a>/<b>`.
//!
//! ```text
//! count             varint, at least 1: the lists in the block
//! count × list      record's offset in the block: u8, below BLOCK, ascending
//!                   length of the list: varint, at least 1
//!                   the list
//! checksum          u64 LE: xxh3-64 of the bytes before it, seeded with
//!                   `xxh3-64("<a>\0<b>", block number)`
//! ```
//!
//! One key holds many records' lists, so a bulk load writes a table with one
//! B-tree insert per [`BLOCK`] records, not one per record: the lists of a first
//! import's records are most of its writes. The checksum seed names the table's
//! objects and the block, so a block under another key fails it.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::record::{get_varint, put_varint};

/// Records per block.
pub(crate) const BLOCK: u64 = 64;

const CHECKSUM: usize = 8;

/// The block of record `id` and its offset in it.
pub(crate) fn of(id: u64) -> (u64, u8) {
    (id / BLOCK, (id % BLOCK) as u8)
}

/// The record at `offset` of block `block`.
pub(crate) fn record(block: u64, offset: u8) -> u64 {
    block * BLOCK + u64::from(offset)
}

/// The last record of block `block`.
pub(crate) fn last_record(block: u64) -> u64 {
    block * BLOCK + (BLOCK - 1)
}

/// The objects of a table as the checksum seed hashes them: `from \0 to`.
pub(crate) fn names(from: &str, to: &str) -> Vec<u8> {
    let mut names = Vec::with_capacity(from.len() + to.len() + 1);
    names.extend_from_slice(from.as_bytes());
    names.push(0);
    names.extend_from_slice(to.as_bytes());
    names
}

/// The checksum seed of block `block` of the table of [`names`] `names`.
pub(crate) fn seed(names: &[u8], block: u64) -> u64 {
    xxh3_64_with_seed(names, block)
}

/// Appends a block of `lists` (`(offset, encoded list)`, offsets ascending, at
/// least one, none empty) to `out`.
pub(crate) fn encode<'a>(lists: impl ExactSizeIterator<Item = (u8, &'a [u8])>, seed: u64, out: &mut Vec<u8>) {
    debug_assert!(lists.len() > 0, "an empty block is no value");
    let start = out.len();
    put_varint(out, lists.len() as u64);
    for (offset, list) in lists {
        debug_assert!(!list.is_empty() && u64::from(offset) < BLOCK);
        out.push(offset);
        put_varint(out, list.len() as u64);
        out.extend_from_slice(list);
    }
    let sum = xxh3_64_with_seed(&out[start..], seed);
    out.extend_from_slice(&sum.to_le_bytes());
}

/// The lists of a block checksummed with `seed`, as `(offset, encoded list)` in
/// offset order; strict: the checksum, canonical varints, offsets ascending
/// and below [`BLOCK`], no empty list, nothing left over. The lists themselves
/// are decoded by [`super::list::decode`].
pub(crate) fn decode(bytes: &[u8], seed: u64) -> Result<Vec<(u8, &[u8])>, String> {
    let Some((body, sum)) = bytes.split_last_chunk::<CHECKSUM>() else {
        return Err(format!("{} bytes, too short", bytes.len()));
    };
    if xxh3_64_with_seed(body, seed) != u64::from_le_bytes(*sum) {
        return Err("checksum mismatch".into());
    }
    let malformed = |what: &str| format!("malformed block: {what}");
    let mut rest = body;
    let count = get_varint(&mut rest).ok_or_else(|| malformed("count"))?;
    if count == 0 || count > BLOCK {
        return Err(malformed("count"));
    }
    let mut out: Vec<(u8, &[u8])> = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (&offset, tail) = rest.split_first().ok_or_else(|| malformed("offset"))?;
        rest = tail;
        if u64::from(offset) >= BLOCK || out.last().is_some_and(|&(o, _)| o >= offset) {
            return Err(malformed("offsets not ascending"));
        }
        let len = get_varint(&mut rest).ok_or_else(|| malformed("length"))?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l > 0 && l <= rest.len())
            .ok_or_else(|| malformed("length"))?;
        let (list, tail) = rest.split_at(len);
        out.push((offset, list));
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(malformed("bytes after the last list"));
    }
    Ok(out)
}

/// The number of links in a block's lists, read without checking it (counts).
pub(crate) fn count(bytes: &[u8]) -> u64 {
    let mut rest = bytes;
    let Some(lists) = get_varint(&mut rest) else {
        return 0;
    };
    let mut links = 0;
    for _ in 0..lists {
        let Some((_, tail)) = rest.split_first() else {
            return links;
        };
        rest = tail;
        let Some(len) =
            get_varint(&mut rest).and_then(|l| usize::try_from(l).ok()).filter(|&l| l <= rest.len())
        else {
            return links;
        };
        let mut list = &rest[..len];
        links += get_varint(&mut list).unwrap_or(0);
        rest = &rest[len..];
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(lists: &[(u8, &[u8])], seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode(lists.iter().copied(), seed, &mut out);
        out
    }

    #[test]
    fn blocks_round_trip_and_count() {
        let names = names("contacts", "companies");
        let s = seed(&names, 7);
        // Two lists: of 1 and of 3 links (their first varint is the count).
        let lists: Vec<(u8, &[u8])> = vec![(0, &[1, 9, 9]), (63, &[3, 1, 2, 3, 4])];
        let bytes = block(&lists, s);
        assert_eq!(decode(&bytes, s).unwrap(), lists);
        assert_eq!(count(&bytes), 4);
        assert_eq!(of(130), (2, 2));
        assert_eq!(record(2, 2), 130);
        assert_eq!(last_record(2), 191);
    }

    #[test]
    fn a_block_under_another_key_or_damaged_fails() {
        let names = names("contacts", "companies");
        let lists: Vec<(u8, &[u8])> = vec![(1, &[1, 5, 7]), (2, &[1, 6, 7])];
        let bytes = block(&lists, seed(&names, 7));
        assert!(decode(&bytes, seed(&names, 8)).is_err(), "another block");
        assert!(decode(&bytes, seed(b"companies\0contacts", 7)).is_err(), "another table");
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(decode(&bad, seed(&names, 7)).is_err(), "byte {i} flipped");
        }
        assert!(decode(&bytes[..bytes.len() - 1], seed(&names, 7)).is_err());
        // Well checksummed but malformed: offsets out of order, or past the block.
        let s = seed(&names, 7);
        let reordered = block(&[(2, &[1, 6, 7]), (1, &[1, 5, 7])], s);
        assert!(decode(&reordered, s).is_err());
        let mut past = Vec::new();
        put_varint(&mut past, 1);
        past.extend_from_slice(&[64, 1, 1]);
        let sum = xxh3_64_with_seed(&past, s);
        past.extend_from_slice(&sum.to_le_bytes());
        assert!(decode(&past, s).is_err());
    }
}
