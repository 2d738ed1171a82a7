//! The stored form of one record's links with the records of one other object: a
//! *link list*, kept with the lists of the records next to it in a block
//! ([`super::block`], which holds the checksum).
//!
//! ```text
//! count             varint, at least 1
//! count × entry     other record's ID: varint, the first one plain, then the
//!                   difference to the previous one (at least 1: IDs ascend)
//!                   flags: u8, bit 0 primary, bit 1 labels follow, bit 2 an
//!                   origin follows (always on the first entry; otherwise the
//!                   entry was made as the one before it)
//!                   [origin: source u8, import ID varint (0: none), time in ms
//!                   since the Unix epoch, zigzag varint]
//!                   [labels: count u8 (at least 1), label IDs u16 LE, ascending]
//! ```
//!
//! Most links of a record were made by one import, so their origin is written
//! once: a contact's list of one company is about 10 bytes, a company's list of
//! a thousand contacts of one import about 3 bytes a contact.

use super::{LinkOrigin, LinkSource};
use crate::record::{get_varint, put_varint};
use crate::schema::LabelId;

const PRIMARY: u8 = 1;
const LABELS: u8 = 2;
const ORIGIN: u8 = 4;

/// One link of a record's list, as decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The other record.
    pub id: u64,
    /// The primary company link (either end).
    pub primary: bool,
    /// Label IDs, ascending.
    pub labels: Vec<LabelId>,
    /// When and by what it was made.
    pub created: LinkOrigin,
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)).cast_unsigned()
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1).cast_signed() ^ -(v & 1).cast_signed()
}

/// Appends the encoding of `entries` (at least one, IDs strictly ascending) to
/// `out`. `get(i)` gives entry `i` as `(ID, primary, labels, origin)`.
pub(crate) fn encode<'a>(
    count: usize,
    mut get: impl FnMut(usize) -> (u64, bool, &'a [LabelId], LinkOrigin),
    out: &mut Vec<u8>,
) {
    debug_assert!(count > 0, "an empty list is no value");
    put_varint(out, count as u64);
    let mut previous: Option<(u64, LinkOrigin)> = None;
    for i in 0..count {
        let (id, primary, labels, origin) = get(i);
        let new_origin = previous.is_none_or(|(_, o)| o != origin);
        let mut flags = if primary { PRIMARY } else { 0 };
        if !labels.is_empty() {
            flags |= LABELS;
        }
        if new_origin {
            flags |= ORIGIN;
        }
        put_varint(out, previous.map_or(id, |(p, _)| id - p));
        out.push(flags);
        if new_origin {
            out.push(origin.source.code());
            put_varint(out, origin.import.unwrap_or(0));
            put_varint(out, zigzag(origin.time_ms));
        }
        if !labels.is_empty() {
            out.push(u8::try_from(labels.len()).expect("at most 255 labels on a link"));
            for l in labels {
                out.extend_from_slice(&l.to_le_bytes());
            }
        }
        previous = Some((id, origin));
    }
}

/// Decodes a list (its block's checksum already checked), calling `each` for
/// every entry in ID order; strict: canonical varints, IDs ascending, known
/// flags and sources, labels ascending, nothing left over.
pub(crate) fn decode(bytes: &[u8], mut each: impl FnMut(Entry)) -> Result<(), String> {
    let malformed = |what: &str| format!("malformed list: {what}");
    let mut rest = bytes;
    let count = get_varint(&mut rest).ok_or_else(|| malformed("count"))?;
    if count == 0 {
        return Err(malformed("no entries"));
    }
    let mut previous: Option<(u64, LinkOrigin)> = None;
    for _ in 0..count {
        let delta = get_varint(&mut rest).ok_or_else(|| malformed("ID"))?;
        let id = match previous {
            None if delta == 0 => return Err(malformed("record ID 0")),
            None => delta,
            Some(_) if delta == 0 => return Err(malformed("IDs not ascending")),
            Some((p, _)) => p.checked_add(delta).ok_or_else(|| malformed("ID overflow"))?,
        };
        let (&flags, tail) = rest.split_first().ok_or_else(|| malformed("flags"))?;
        rest = tail;
        if flags & !(PRIMARY | LABELS | ORIGIN) != 0 {
            return Err(malformed("unknown flags"));
        }
        let created = if flags & ORIGIN != 0 {
            let (&code, tail) = rest.split_first().ok_or_else(|| malformed("source"))?;
            rest = tail;
            let source = LinkSource::from_code(code).ok_or_else(|| format!("unknown source {code}"))?;
            let import = get_varint(&mut rest).ok_or_else(|| malformed("import"))?;
            let time_ms = unzigzag(get_varint(&mut rest).ok_or_else(|| malformed("time"))?);
            let origin = LinkOrigin { source, import: (import != 0).then_some(import), time_ms };
            if previous.is_some_and(|(_, o)| o == origin) {
                return Err(malformed("origin repeated"));
            }
            origin
        } else {
            previous.ok_or_else(|| malformed("first entry without origin"))?.1
        };
        let mut labels = Vec::new();
        if flags & LABELS != 0 {
            let (&n, tail) = rest.split_first().ok_or_else(|| malformed("labels"))?;
            let size = 2 * usize::from(n);
            if n == 0 || tail.len() < size {
                return Err(malformed("labels"));
            }
            labels = tail[..size].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            rest = &tail[size..];
            if !labels.is_sorted_by(|x, y| x < y) {
                return Err("labels not ascending".into());
            }
        }
        each(Entry { id, primary: flags & PRIMARY != 0, labels, created });
        previous = Some((id, created));
    }
    if !rest.is_empty() {
        return Err(malformed("bytes after the last entry"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(import: u64, time_ms: i64) -> LinkOrigin {
        LinkOrigin { source: LinkSource::Import, import: Some(import), time_ms }
    }

    fn encoded(entries: &[Entry]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            entries.len(),
            |i| (entries[i].id, entries[i].primary, &entries[i].labels, entries[i].created),
            &mut out,
        );
        out
    }

    fn decoded(bytes: &[u8]) -> Result<Vec<Entry>, String> {
        let mut out = Vec::new();
        decode(bytes, |e| out.push(e))?;
        Ok(out)
    }

    #[test]
    fn lists_round_trip_and_share_origins() {
        let entries = vec![
            Entry { id: 3, primary: true, labels: vec![], created: origin(1, 1_700_000_000_000) },
            Entry { id: 9, primary: false, labels: vec![1, 4], created: origin(1, 1_700_000_000_000) },
            Entry {
                id: u64::MAX,
                primary: false,
                labels: vec![],
                created: LinkOrigin { source: LinkSource::User, import: None, time_ms: -5 },
            },
        ];
        let bytes = encoded(&entries);
        assert_eq!(decoded(&bytes).unwrap(), entries);
        // One import's links cost a few bytes each.
        let many: Vec<Entry> = (1..=1000)
            .map(|i| Entry {
                id: i * 2,
                primary: false,
                labels: vec![],
                created: origin(5, 1_700_000_000_000),
            })
            .collect();
        assert!(encoded(&many).len() < 2 * 1000 + 40);
    }

    #[test]
    fn malformed_lists_fail() {
        let o = origin(1, 5);
        let two = vec![
            Entry { id: 3, primary: false, labels: vec![], created: o },
            Entry { id: 4, primary: false, labels: vec![2], created: o },
        ];
        let bytes = encoded(&two);
        assert!(decoded(&bytes[..bytes.len() - 1]).is_err(), "cut short");
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decoded(&longer).is_err(), "bytes after the last entry");
        assert!(decoded(&[0]).is_err(), "no entries");
        // The second entry's ID delta 0: IDs not ascending.
        let mut same = bytes.clone();
        let second = 1 + 1 + 1 + 1 + 1 + 1;
        assert_eq!(same[second], 1, "the second entry's delta");
        same[second] = 0;
        assert!(decoded(&same).is_err(), "IDs not ascending");
    }

    #[test]
    fn zigzag_round_trips() {
        for v in [0, 1, -1, i64::MAX, i64::MIN, 1_700_000_000_000] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
    }
}
