//! The earlier links layouts, read once to convert them to blocks of link lists
//! (`link_lists/<a>/<b>`, [`super::block`]):
//!
//! - First layout: table `links/<a>/<b>` keyed `(record of a, record of b)`,
//!   one entry per link and direction, valued `flags (u8: bit 0 primary) |
//!   source (u8) | import ID (u64 LE, 0 for none) | time (i64 LE, ms) | label
//!   count (u8) | label IDs (u16 LE, ascending) | checksum (u64 LE)`, the
//!   checksum xxh3-64 of the bytes before it seeded with both ends (objects and
//!   IDs, in `(object, ID)` order).
//! - Second layout: table `associations/<a>/<b>` keyed by the record of `a`,
//!   valued with its link list ([`super::list`]) and a checksum (u64 LE, xxh3-64
//!   of the list seeded with `xxh3-64("<a>\0<b>", record ID)`).
//!
//! [`convert`] rewrites every such table as blocks and deletes it, in the
//! transaction that opens the store for writing; a read-only open converts in
//! memory (the file is not changed). A value that fails its checksum stops the
//! conversion with [`StoreError::CorruptLink`]: nothing is converted, nothing is
//! lost.

use redb::{ReadableDatabase, ReadableTable, TableHandle, WriteTransaction};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{LinkOrigin, LinkSource, block, list};
use crate::error::StoreError;
use crate::schema::LabelId;
use crate::tables::{self, TableKind};

const PRIMARY: u8 = 1;
const FIXED: usize = 19;
const CHECKSUM: usize = 8;

/// The checksum seed of the link of `a` and `b`.
fn seed(a: (&str, u64), b: (&str, u64)) -> u64 {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut names = Vec::with_capacity(first.0.len() + second.0.len() + 1);
    names.extend_from_slice(first.0.as_bytes());
    names.push(0);
    names.extend_from_slice(second.0.as_bytes());
    xxh3_64_with_seed(&names, first.1 ^ second.1.rotate_left(32))
}

/// A decoded value: `(primary, labels, origin)`.
type Value = (bool, Vec<LabelId>, LinkOrigin);

fn decode(bytes: &[u8], seed: u64) -> Result<Value, String> {
    let Some((body, sum)) = bytes.split_last_chunk::<CHECKSUM>() else {
        return Err(format!("{} bytes, too short", bytes.len()));
    };
    if xxh3_64_with_seed(body, seed) != u64::from_le_bytes(*sum) {
        return Err("checksum mismatch".into());
    }
    if body.len() < FIXED || body.len() != FIXED + 2 * usize::from(body[FIXED - 1]) || body[0] & !PRIMARY != 0
    {
        return Err("malformed value".into());
    }
    let source = LinkSource::from_code(body[1]).ok_or_else(|| format!("unknown source {}", body[1]))?;
    let import = u64::from_le_bytes(body[2..10].try_into().expect("8 bytes"));
    let time_ms = i64::from_le_bytes(body[10..18].try_into().expect("8 bytes"));
    let labels: Vec<LabelId> =
        body[FIXED..].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    if !labels.is_sorted_by(|x, y| x < y) {
        return Err("labels not ascending".into());
    }
    Ok((
        body[0] & PRIMARY != 0,
        labels,
        LinkOrigin { source, import: (import != 0).then_some(import), time_ms },
    ))
}

/// The legacy tables of a transaction's store: `(a, b, first layout)`.
fn legacy_tables(names: impl Iterator<Item = String>) -> Vec<(String, String, bool)> {
    names
        .filter_map(|name| match tables::table_kind(&name) {
            Some(TableKind::LegacyLinks(a, b)) => Some((a.to_owned(), b.to_owned(), true)),
            Some(TableKind::RecordLists(a, b)) => Some((a.to_owned(), b.to_owned(), false)),
            _ => None,
        })
        .collect()
}

/// Writes record lists, in ascending record order, as blocks into `table`.
struct Blocks<'t, 'txn> {
    table: &'t mut redb::Table<'txn, u64, &'static [u8]>,
    names: Vec<u8>,
    block: Option<u64>,
    /// The current block's lists: offset and range in `lists`.
    members: Vec<(u8, usize, usize)>,
    lists: Vec<u8>,
    bytes: Vec<u8>,
}

impl<'t, 'txn> Blocks<'t, 'txn> {
    fn new(table: &'t mut redb::Table<'txn, u64, &'static [u8]>, a: &str, b: &str) -> Self {
        let names = block::names(a, b);
        Self { table, names, block: None, members: Vec::new(), lists: Vec::new(), bytes: Vec::new() }
    }

    /// Adds record `id`'s list, written by `encode` (not empty).
    fn push(&mut self, id: u64, encode: impl FnOnce(&mut Vec<u8>)) -> Result<(), StoreError> {
        let (b, offset) = block::of(id);
        if self.block.is_some_and(|c| c != b) {
            self.write()?;
        }
        self.block = Some(b);
        let start = self.lists.len();
        encode(&mut self.lists);
        self.members.push((offset, start, self.lists.len()));
        Ok(())
    }

    fn write(&mut self) -> Result<(), StoreError> {
        let Some(b) = self.block.take() else {
            return Ok(());
        };
        self.bytes.clear();
        let lists = &self.lists;
        block::encode(
            self.members.iter().map(|&(o, s, e)| (o, &lists[s..e])),
            block::seed(&self.names, b),
            &mut self.bytes,
        );
        self.table.insert(b, self.bytes.as_slice())?;
        self.members.clear();
        self.lists.clear();
        Ok(())
    }
}

/// Whether the store of `db` has tables of the first layout.
pub(crate) fn has_legacy(db: &impl ReadableDatabase) -> bool {
    db.begin_read()
        .ok()
        .and_then(|txn| {
            txn.list_tables().ok().map(|t| !legacy_tables(t.map(|h| h.name().to_owned())).is_empty())
        })
        .unwrap_or(false)
}

/// Converts every table of the earlier layouts (see the module docs); returns
/// whether there was any.
pub(crate) fn convert(txn: &WriteTransaction) -> Result<bool, StoreError> {
    let found = legacy_tables(txn.list_tables()?.map(|h| h.name().to_owned()));
    for (a, b, first) in &found {
        let mut new = txn.open_table(tables::links(&tables::links_name(a, b)))?;
        let mut blocks = Blocks::new(&mut new, a, b);
        if *first {
            let old_name = tables::legacy_links_name(a, b);
            {
                let old = txn.open_table(tables::legacy_links(&old_name))?;
                let mut group: Vec<(u64, Value)> = Vec::new();
                let mut current = None;
                let mut flush = |x: u64, group: &mut Vec<(u64, Value)>| {
                    let r = blocks.push(x, |out| {
                        list::encode(
                            group.len(),
                            |i| {
                                let (id, (primary, labels, origin)) = &group[i];
                                (*id, *primary, labels.as_slice(), *origin)
                            },
                            out,
                        );
                    });
                    group.clear();
                    r
                };
                for item in old.iter()? {
                    let (k, v) = item?;
                    let (x, y) = k.value();
                    let value = decode(v.value(), seed((a, x), (b, y))).map_err(|reason| {
                        StoreError::CorruptLink { link: format!("link {a}/{x} - {b}/{y}"), reason }
                    })?;
                    if let Some(c) = current.filter(|&c| c != x) {
                        flush(c, &mut group)?;
                    }
                    current = Some(x);
                    group.push((y, value));
                }
                if let Some(x) = current {
                    flush(x, &mut group)?;
                }
            }
            blocks.write()?;
            drop(blocks);
            drop(new);
            txn.delete_table(tables::legacy_links(&old_name))?;
        } else {
            let old_name = tables::record_lists_name(a, b);
            {
                let old = txn.open_table(tables::links(&old_name))?;
                let names = block::names(a, b);
                for item in old.iter()? {
                    let (k, v) = item?;
                    let x = k.value();
                    let list = record_list(v.value(), xxh3_64_with_seed(&names, x)).map_err(|reason| {
                        StoreError::CorruptLink { link: format!("links of {a} {x} with {b}"), reason }
                    })?;
                    blocks.push(x, |out| out.extend_from_slice(list))?;
                }
            }
            blocks.write()?;
            drop(blocks);
            drop(new);
            txn.delete_table(tables::links(&old_name))?;
        }
    }
    Ok(!found.is_empty())
}

/// The list of a value of the second layout, its checksum (seeded with `seed`)
/// and encoding checked.
fn record_list(bytes: &[u8], seed: u64) -> Result<&[u8], String> {
    let Some((body, sum)) = bytes.split_last_chunk::<CHECKSUM>() else {
        return Err(format!("{} bytes, too short", bytes.len()));
    };
    if xxh3_64_with_seed(body, seed) != u64::from_le_bytes(*sum) {
        return Err("checksum mismatch".into());
    }
    list::decode(body, |_| {})?;
    Ok(body)
}

/// Writes a link in the first layout, for tests of the conversion.
#[cfg(test)]
pub(crate) fn write_legacy(
    txn: &WriteTransaction,
    a: (&str, u64),
    b: (&str, u64),
    primary: bool,
    labels: &[LabelId],
    origin: LinkOrigin,
) {
    let mut body = vec![u8::from(primary), origin.source.code()];
    body.extend_from_slice(&origin.import.unwrap_or(0).to_le_bytes());
    body.extend_from_slice(&origin.time_ms.to_le_bytes());
    body.push(u8::try_from(labels.len()).unwrap());
    for l in labels {
        body.extend_from_slice(&l.to_le_bytes());
    }
    let sum = xxh3_64_with_seed(&body, seed(a, b));
    body.extend_from_slice(&sum.to_le_bytes());
    for (x, y) in [(a, b), (b, a)] {
        let name = tables::legacy_links_name(x.0, y.0);
        txn.open_table(tables::legacy_links(&name)).unwrap().insert((x.1, y.1), body.as_slice()).unwrap();
    }
}

/// Writes record `x`'s list in the second layout (`(other ID, primary, labels,
/// origin)`, IDs ascending), for tests of the conversion.
#[cfg(test)]
pub(crate) fn write_record_list(
    txn: &WriteTransaction,
    x: (&str, u64),
    to: &str,
    entries: &[(u64, bool, &[LabelId], LinkOrigin)],
) {
    let mut bytes = Vec::new();
    list::encode(entries.len(), |i| entries[i], &mut bytes);
    let sum = xxh3_64_with_seed(&bytes, xxh3_64_with_seed(&block::names(x.0, to), x.1));
    bytes.extend_from_slice(&sum.to_le_bytes());
    let name = tables::record_lists_name(x.0, to);
    txn.open_table(tables::links(&name)).unwrap().insert(x.1, bytes.as_slice()).unwrap();
}
