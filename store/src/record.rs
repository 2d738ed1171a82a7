//! The compact record encoding, and its checksum.
//!
//! A record is stored as
//!
//! ```text
//! u32 checksum (LE) | varint created_by_import | varint updated_by_import | values
//! values = (varint property | varint byte_len | utf-8 bytes)*   (property ascending, no repeats)
//! checksum = low 32 bits of xxh3-64(everything after the checksum, seed = record ID)
//! ```
//!
//! Property numbers are the schema's stable property numbers; values are the
//! normalized text of each value (numbers as decimal text, dates `YYYY-MM-DD`, ...).
//! A property without a value is simply absent. The import IDs make every write
//! attributable to the import that made it.
//!
//! The checksum exists so that a damaged file is reported, never returned as data
//! (SPEC 11): every read decodes through [`RecordView::parse`], which verifies it
//! and then checks the whole structure strictly (canonical varints, properties
//! strictly ascending, lengths inside the record, UTF-8 values, nothing left over).
//! Seeding with the record ID makes a record found under the wrong key fail too.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::values::{MergePolicy, ReplacedValues};

/// Appends `v` as an LEB128 varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a canonical LEB128 varint from the front of `buf`, advancing it. `None`
/// when the bytes run out, the value overflows 64 bits or the encoding is longer
/// than needed (a last byte of zero after the first).
pub fn get_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0u32;
    let mut rest = *buf;
    loop {
        let (&b, tail) = rest.split_first()?;
        rest = tail;
        if shift == 63 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            if b == 0 && shift > 0 {
                return None;
            }
            *buf = rest;
            return Some(v);
        }
        shift += 7;
    }
}

/// Builds the `values` part of a record, one property at a time in ascending order.
#[derive(Debug, Default, Clone)]
pub struct RecordBuilder {
    buf: Vec<u8>,
    last: Option<u16>,
}

impl RecordBuilder {
    /// An empty builder with room for `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        Self { buf: Vec::with_capacity(bytes), last: None }
    }

    /// Starts a new run of ascending properties after the bytes so far (the next
    /// row of a [`crate::RowValues`]).
    pub fn restart_order(&mut self) {
        self.last = None;
    }

    /// Appends a value. Properties must come in strictly ascending order.
    #[inline]
    pub fn push(&mut self, property: u16, value: &str) {
        let value = value.as_bytes();
        debug_assert!(self.last.is_none_or(|l| l < property), "properties out of order");
        self.last = Some(property);
        put_varint(&mut self.buf, u64::from(property));
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(value);
    }

    /// The encoded values so far.
    pub fn values(&self) -> &[u8] {
        &self.buf
    }
}

/// Bytes of the checksum at the front of every record.
pub const CHECKSUM_BYTES: usize = 4;

/// The checksum of a record's bytes after the checksum, bound to its ID.
fn checksum(body: &[u8], id: u64) -> u32 {
    xxh3_64_with_seed(body, id) as u32
}

/// Writes a whole record (checksum, header, values) for record `id` into `out`,
/// replacing its content. `values` is a `values` part built by [`RecordBuilder`].
pub fn encode_record(id: u64, created_by: u64, updated_by: u64, values: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&[0; CHECKSUM_BYTES]);
    put_varint(out, created_by);
    put_varint(out, updated_by);
    out.extend_from_slice(values);
    seal(id, out);
}

/// Writes the checksum of the record in `out` (whose first [`CHECKSUM_BYTES`] are
/// reserved for it).
fn seal(id: u64, out: &mut [u8]) {
    let sum = checksum(&out[CHECKSUM_BYTES..], id);
    out[..CHECKSUM_BYTES].copy_from_slice(&sum.to_le_bytes());
}

/// The `(created_by, updated_by)` header of stored record bytes, read without
/// verifying them (the bytes come from the table being written; `None` if
/// they are too short to hold it).
pub(crate) fn authors(bytes: &[u8]) -> Option<(u64, u64)> {
    let mut rest = bytes.get(CHECKSUM_BYTES..)?;
    Some((get_varint(&mut rest)?, get_varint(&mut rest)?))
}

/// Why stored bytes are not a valid record. Offsets count from the record's first
/// byte (the checksum).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Shorter than the checksum.
    #[error("{len} bytes, shorter than the checksum")]
    TooShort {
        /// Length of the stored bytes.
        len: usize,
    },
    /// The checksum does not match the bytes and the record ID: the bytes changed,
    /// or the record is stored under another ID.
    #[error("checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum {
        /// Checksum in the file.
        stored: u32,
        /// Checksum of the bytes under this ID.
        computed: u32,
    },
    /// A varint that overflows, is not canonical, or runs past the end.
    #[error("bad varint at byte {offset}")]
    BadVarint {
        /// Where it starts.
        offset: usize,
    },
    /// A property number above `u16::MAX`.
    #[error("property number {property} at byte {offset} is out of range")]
    PropertyOutOfRange {
        /// Where it starts.
        offset: usize,
        /// The number read.
        property: u64,
    },
    /// Properties must be strictly ascending.
    #[error("property {property} at byte {offset} does not come after property {previous}")]
    PropertyOrder {
        /// Where it starts.
        offset: usize,
        /// The property read.
        property: u16,
        /// The property before it.
        previous: u16,
    },
    /// A value longer than what is left of the record.
    #[error("value of property {property} at byte {offset} is {len} bytes, past the end of the record")]
    LengthPastEnd {
        /// Where the value starts.
        offset: usize,
        /// Its property.
        property: u16,
        /// The length read.
        len: u64,
    },
    /// A value that is not UTF-8.
    #[error("value of property {property} at byte {offset} is not UTF-8")]
    InvalidUtf8 {
        /// Where the value starts.
        offset: usize,
        /// Its property.
        property: u16,
    },
}

/// A decoded, verified view of a stored record.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// The record's ID (the key it is stored under).
    pub id: u64,
    /// The import that created the record (0: not created by an import).
    pub created_by: u64,
    /// The import that last changed the record.
    pub updated_by: u64,
    values: &'a [u8],
}

/// Reads a varint at `pos` of `bytes` (offsets reported from `base`).
fn varint_at(bytes: &[u8], pos: &mut usize, base: usize) -> Result<u64, RecordError> {
    let mut rest = &bytes[*pos..];
    let before = rest.len();
    let v = get_varint(&mut rest).ok_or(RecordError::BadVarint { offset: base + *pos })?;
    *pos += before - rest.len();
    Ok(v)
}

/// Checks a `values` part strictly (UTF-8 too when `text`); `base` is its offset
/// in the record.
fn validate_values(values: &[u8], base: usize, text: bool) -> Result<(), RecordError> {
    let mut pos = 0;
    let mut previous: Option<u16> = None;
    while pos < values.len() {
        let at = pos;
        let property = varint_at(values, &mut pos, base)?;
        let property = u16::try_from(property)
            .map_err(|_| RecordError::PropertyOutOfRange { offset: base + at, property })?;
        if let Some(previous) = previous.filter(|&p| p >= property) {
            return Err(RecordError::PropertyOrder { offset: base + at, property, previous });
        }
        previous = Some(property);
        let len = varint_at(values, &mut pos, base)?;
        let left = values.len() - pos;
        if len > left as u64 {
            return Err(RecordError::LengthPastEnd { offset: base + pos, property, len });
        }
        let value = &values[pos..pos + len as usize];
        if text && std::str::from_utf8(value).is_err() {
            return Err(RecordError::InvalidUtf8 { offset: base + pos, property });
        }
        pos += len as usize;
    }
    Ok(())
}

/// Verifies the checksum and the structure of the bytes stored under `id`;
/// the values' UTF-8 too when `text`. Returns the header and the values part.
fn decode(bytes: &[u8], id: u64, text: bool) -> Result<(u64, u64, usize, &[u8]), RecordError> {
    let Some((sum, body)) = bytes.split_first_chunk::<CHECKSUM_BYTES>() else {
        return Err(RecordError::TooShort { len: bytes.len() });
    };
    let stored = u32::from_le_bytes(*sum);
    let computed = checksum(body, id);
    if stored != computed {
        return Err(RecordError::Checksum { stored, computed });
    }
    let mut pos = 0;
    let created_by = varint_at(body, &mut pos, CHECKSUM_BYTES)?;
    let updated_by = varint_at(body, &mut pos, CHECKSUM_BYTES)?;
    let values = &body[pos..];
    validate_values(values, CHECKSUM_BYTES + pos, text)?;
    Ok((created_by, updated_by, CHECKSUM_BYTES + pos, values))
}

/// A stored record whose checksum and structure are verified, its values read as
/// bytes: what the merge of an update needs ([`merge_into`]). A merge compares and
/// copies values without reading them as text, so their UTF-8 is checked where
/// they are read as text ([`RecordView`]) and by `ingest check`, not on this hot
/// path; a merged record gets a new checksum.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// The record's ID (the key it is stored under).
    pub id: u64,
    /// The import that created the record (0: not created by an import).
    pub created_by: u64,
    values: &'a [u8],
}

impl<'a> RawRecord<'a> {
    /// Verifies the checksum and structure of the bytes stored under `id`.
    pub fn parse(bytes: &'a [u8], id: u64) -> Result<Self, RecordError> {
        let (created_by, _, _, values) = decode(bytes, id, false)?;
        Ok(Self { id, created_by, values })
    }
}

impl<'a> RecordView<'a> {
    /// Verifies and decodes the bytes stored under record ID `id`: checksum,
    /// structure and UTF-8 of every value.
    pub fn parse(bytes: &'a [u8], id: u64) -> Result<Self, RecordError> {
        let (created_by, updated_by, _, values) = decode(bytes, id, true)?;
        Ok(Self { id, created_by, updated_by, values })
    }

    /// A view of a `values` part built by [`RecordBuilder`] (no header, not
    /// stored): the values of one row before it is written.
    pub(crate) fn of_values(values: &'a [u8]) -> Self {
        debug_assert!(validate_values(values, 0, true).is_ok(), "built by RecordBuilder");
        Self { id: 0, created_by: 0, updated_by: 0, values }
    }

    /// The values in ascending property order.
    pub fn values(&self) -> impl Iterator<Item = (u16, &'a str)> + use<'a> {
        RawValues { buf: self.values }
            .map(|(p, v)| (p, std::str::from_utf8(v).expect("values are checked by RecordView::parse")))
    }

    /// The value of one property.
    pub fn get(&self, property: u16) -> Option<&'a str> {
        self.values().find(|&(p, _)| p == property).map(|(_, v)| v)
    }
}

/// The `(property, bytes)` pairs of a `values` part that is known to be well formed
/// (checked by [`RecordView::parse`] or built by [`RecordBuilder`]).
struct RawValues<'a> {
    buf: &'a [u8],
}

impl<'a> Iterator for RawValues<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let prop = get_varint(&mut self.buf).expect("well-formed values");
        let len = get_varint(&mut self.buf).expect("well-formed values") as usize;
        let (value, rest) = self.buf.split_at(len);
        self.buf = rest;
        Some((prop as u16, value))
    }
}

/// Merges `changes` (a `values` part built by [`RecordBuilder`]) into the stored
/// record `existing`.
///
/// A property in `changes` replaces the stored value, unless `protect(property)` is
/// true and the record already has a value for it (SPEC 3, "don't overwrite"); an
/// empty value in `changes` removes the property (blank cells never make one).
/// Returns whether the merge changed anything (else the row is `unchanged`; when
/// it did, `out` holds the new record bytes: same ID, `updated_by = import_id`, a
/// new checksum) and whether a value was held back because it would move a
/// forward-only property backward ([`MergePolicy::moving_forward_only`]).
pub fn merge_into(
    existing: &RawRecord<'_>,
    changes: &[u8],
    policy: &MergePolicy,
    import_id: u64,
    out: &mut Vec<u8>,
    replaced: Option<&mut ReplacedValues>,
) -> MergeOutcome {
    debug_assert!(validate_values(changes, 0, true).is_ok(), "changes must be built by RecordBuilder");
    // A re-import mostly changes nothing: that is found by comparing alone.
    if let Some(held_back) = unchanged_by(existing, changes, policy) {
        return MergeOutcome { changed: false, held_back };
    }
    merge_built(existing, changes, policy, import_id, out, replaced)
}

/// [`merge_into`], building the merged record whatever the outcome.
fn merge_built(
    existing: &RawRecord<'_>,
    changes: &[u8],
    policy: &MergePolicy,
    import_id: u64,
    out: &mut Vec<u8>,
    mut replaced: Option<&mut ReplacedValues>,
) -> MergeOutcome {
    // Bytes, not text: a merge only compares and copies.
    let mut old = RawValues { buf: existing.values }.peekable();
    let mut new = RawValues { buf: changes }.peekable();
    out.clear();
    out.extend_from_slice(&[0; CHECKSUM_BYTES]);
    put_varint(out, existing.created_by);
    put_varint(out, import_id);
    let mut changed = false;
    let mut held_back = false;
    let push = |out: &mut Vec<u8>, property: u16, value: &[u8]| {
        put_varint(out, u64::from(property));
        put_varint(out, value.len() as u64);
        out.extend_from_slice(value);
    };
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (None, None) => break,
            (Some((op, ov)), None) => {
                push(out, op, ov);
                old.next();
            }
            (None, Some((np, nv))) => {
                if !nv.is_empty() {
                    push(out, np, nv);
                    changed = true;
                    if let Some(r) = replaced.as_deref_mut() {
                        r.push(existing.id, np, None);
                    }
                }
                new.next();
            }
            (Some((op, ov)), Some((np, nv))) => match op.cmp(&np) {
                std::cmp::Ordering::Less => {
                    push(out, op, ov);
                    old.next();
                }
                std::cmp::Ordering::Greater => {
                    if !nv.is_empty() {
                        push(out, np, nv);
                        changed = true;
                        if let Some(r) = replaced.as_deref_mut() {
                            r.push(existing.id, np, None);
                        }
                    }
                    new.next();
                }
                std::cmp::Ordering::Equal if nv.is_empty() && !policy.protects(op) => {
                    // An empty value removes the property (only the planner makes
                    // one: a contact's last secondary email became its primary).
                    changed = true;
                    if let Some(r) = replaced.as_deref_mut() {
                        r.push(existing.id, op, Some(ov));
                    }
                    old.next();
                    new.next();
                }
                std::cmp::Ordering::Equal => {
                    let backward = ov != nv && policy.is_backward(op, ov, nv);
                    held_back |= backward;
                    let keep_old = ov == nv || backward || (policy.protects(op) && !ov.is_empty());
                    push(out, op, if keep_old { ov } else { nv });
                    changed |= !keep_old;
                    if !keep_old && let Some(r) = replaced.as_deref_mut() {
                        r.push(existing.id, op, Some(ov));
                    }
                    old.next();
                    new.next();
                }
            },
        }
    }
    if changed {
        seal(existing.id, out);
    }
    MergeOutcome { changed, held_back }
}

/// `Some(held_back)` when merging `changes` into `existing` would change nothing
/// ([`merge_into`]'s rules, without building the merged record).
fn unchanged_by(existing: &RawRecord<'_>, changes: &[u8], policy: &MergePolicy) -> Option<bool> {
    let mut old = RawValues { buf: existing.values };
    let mut held_back = false;
    let mut current = old.next();
    for (np, nv) in (RawValues { buf: changes }) {
        while current.is_some_and(|(op, _)| op < np) {
            current = old.next();
        }
        match current {
            Some((op, ov)) if op == np => {
                if nv.is_empty() {
                    if !policy.protects(op) {
                        return None;
                    }
                } else if ov != nv {
                    let backward = policy.is_backward(op, ov, nv);
                    if !(backward || (policy.protects(op) && !ov.is_empty())) {
                        return None;
                    }
                    held_back |= backward;
                }
                current = old.next();
            }
            _ if !nv.is_empty() => return None,
            _ => {}
        }
    }
    Some(held_back)
}

/// What [`merge_into`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeOutcome {
    /// A value changed: the merged record was written.
    pub changed: bool,
    /// A value was held back (a forward-only property would have moved backward).
    pub held_back: bool,
}

/// True when `bytes` are a valid record for `id` (used by debug assertions of
/// writes of whole records).
pub fn is_valid(bytes: &[u8], id: u64) -> bool {
    RecordView::parse(bytes, id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(u16, &str)]) -> Vec<u8> {
        let mut b = RecordBuilder::default();
        for &(p, v) in pairs {
            b.push(p, v);
        }
        b.values().to_vec()
    }

    /// A record for `id` whose body (after the checksum) is `body`, with a valid checksum.
    fn sealed(id: u64, body: &[u8]) -> Vec<u8> {
        let mut rec = vec![0; CHECKSUM_BYTES];
        rec.extend_from_slice(body);
        seal(id, &mut rec);
        rec
    }

    #[test]
    fn varints_round_trip() {
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            let mut s = buf.as_slice();
            assert_eq!(get_varint(&mut s), Some(v));
            assert!(s.is_empty());
        }
    }

    #[test]
    fn varints_must_be_canonical_and_fit() {
        // Overlong zero, overlong one, 11 bytes, a 10th byte above 1, cut short.
        let bad: [&[u8]; 5] = [
            &[0x80, 0x00],
            &[0x81, 0x00],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            &[0x80],
        ];
        for b in bad {
            let mut s = b;
            assert_eq!(get_varint(&mut s), None, "{b:?}");
            assert_eq!(s, b, "a failed read does not advance");
        }
    }

    #[test]
    fn record_round_trips() {
        let mut rec = Vec::new();
        encode_record(9, 3, 4, &values(&[(0, "a@b.co"), (5, "Zoë")]), &mut rec);
        let view = RecordView::parse(&rec, 9).unwrap();
        assert_eq!((view.id, view.created_by, view.updated_by), (9, 3, 4));
        assert_eq!(view.values().collect::<Vec<_>>(), vec![(0, "a@b.co"), (5, "Zoë")]);
        assert_eq!(view.get(5), Some("Zoë"));
        assert_eq!(view.get(1), None);
        encode_record(1, 0, 0, &[], &mut rec);
        assert_eq!(RecordView::parse(&rec, 1).unwrap().values().count(), 0);
    }

    #[test]
    fn the_checksum_binds_the_bytes_and_the_id() {
        let mut rec = Vec::new();
        encode_record(7, 1, 1, &values(&[(1, "ada@example.com"), (2, "Ada")]), &mut rec);
        assert!(RecordView::parse(&rec, 7).is_ok());
        // The same bytes under another ID.
        for other in [0, 6, 8, 7 + (1 << 32), u64::MAX] {
            assert!(
                matches!(RecordView::parse(&rec, other), Err(RecordError::Checksum { .. })),
                "id {other}"
            );
        }
        // Every single bit flip anywhere.
        for i in 0..rec.len() {
            for bit in 0..8 {
                let mut bad = rec.clone();
                bad[i] ^= 1 << bit;
                assert!(RecordView::parse(&bad, 7).is_err(), "byte {i} bit {bit}");
            }
        }
        // Cut short, extended, emptied.
        for end in 0..rec.len() {
            assert!(RecordView::parse(&rec[..end], 7).is_err(), "cut at {end}");
        }
        let mut long = rec.clone();
        long.push(0);
        assert!(matches!(RecordView::parse(&long, 7), Err(RecordError::Checksum { .. })));
        assert_eq!(RecordView::parse(&[1, 2], 7).unwrap_err(), RecordError::TooShort { len: 2 });
    }

    #[test]
    fn every_inconsistent_encoding_is_rejected_even_with_a_valid_checksum() {
        let cases: Vec<(&str, Vec<u8>, RecordError)> = vec![
            ("no header", vec![], RecordError::BadVarint { offset: 4 }),
            ("header cut", vec![1], RecordError::BadVarint { offset: 5 }),
            ("overlong header varint", vec![0x81, 0x00, 1], RecordError::BadVarint { offset: 4 }),
            ("trailing byte", vec![1, 1, 0, 1, b'a', 7], RecordError::BadVarint { offset: 10 }),
            ("trailing continuation byte", vec![1, 1, 0x80], RecordError::BadVarint { offset: 6 }),
            (
                "length past the end",
                vec![1, 1, 0, 9, b'a'],
                RecordError::LengthPastEnd { offset: 8, property: 0, len: 9 },
            ),
            (
                "huge length",
                vec![1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f],
                RecordError::LengthPastEnd { offset: 12, property: 0, len: u64::from(u32::MAX) },
            ),
            (
                "repeated property",
                vec![1, 1, 2, 1, b'a', 2, 1, b'b'],
                RecordError::PropertyOrder { offset: 9, property: 2, previous: 2 },
            ),
            (
                "descending properties",
                vec![1, 1, 3, 0, 2, 0],
                RecordError::PropertyOrder { offset: 8, property: 2, previous: 3 },
            ),
            (
                "property out of range",
                vec![1, 1, 0x80, 0x80, 0x04, 0],
                RecordError::PropertyOutOfRange { offset: 6, property: 65536 },
            ),
            ("invalid utf-8", vec![1, 1, 0, 1, 0xff], RecordError::InvalidUtf8 { offset: 8, property: 0 }),
            ("truncated utf-8", vec![1, 1, 0, 1, 0xc3], RecordError::InvalidUtf8 { offset: 8, property: 0 }),
        ];
        for (name, body, want) in cases {
            let rec = sealed(5, &body);
            assert_eq!(RecordView::parse(&rec, 5).unwrap_err(), want, "{name}");
        }
        // The merge path checks everything but the text (it only copies bytes).
        let rec = sealed(5, &[1, 1, 0, 1, 0xff]);
        assert!(RawRecord::parse(&rec, 5).is_ok());
        assert_eq!(
            RawRecord::parse(&sealed(5, &[1, 1, 3, 0, 2, 0]), 5).unwrap_err(),
            RecordError::PropertyOrder { offset: 8, property: 2, previous: 3 }
        );
        assert!(matches!(RawRecord::parse(&rec, 6), Err(RecordError::Checksum { .. })));
        // The same structures are fine when consistent.
        assert!(RecordView::parse(&sealed(5, &[1, 1, 2, 1, b'a', 3, 0]), 5).is_ok());
    }

    #[test]
    fn the_unchanged_check_agrees_with_the_full_merge() {
        // Every combination of stored and changed values over three properties,
        // under each policy: `unchanged_by` says unchanged exactly when the merge
        // built in full changes nothing, with the same held-back flag.
        let options: [Option<&str>; 5] = [None, Some(""), Some("lead"), Some("customer"), Some("x")];
        let order = || vec!["lead".to_owned(), "x".to_owned(), "customer".to_owned()];
        let policies = [
            MergePolicy::overwrite(),
            MergePolicy::protecting([1]),
            MergePolicy::protecting_all(),
            MergePolicy::overwrite().moving_forward_only(2, order()),
            MergePolicy::protecting([2]).moving_forward_only(2, order()),
        ];
        let mut out = Vec::new();
        let mut checked = 0;
        for stored in 0..125usize {
            let old: Vec<(u16, &str)> = (0..3u16)
                .filter_map(|p| {
                    options[stored / 5usize.pow(u32::from(p)) % 5].filter(|v| !v.is_empty()).map(|v| (p, v))
                })
                .collect();
            let mut rec = Vec::new();
            encode_record(9, 1, 1, &values(&old), &mut rec);
            let view = RawRecord::parse(&rec, 9).unwrap();
            for change in 0..125usize {
                let new: Vec<(u16, &str)> = (0..3u16)
                    .filter_map(|p| options[change / 5usize.pow(u32::from(p)) % 5].map(|v| (p, v)))
                    .collect();
                let changes = values(&new);
                for policy in &policies {
                    let full = merge_built(&view, &changes, policy, 2, &mut out, None);
                    let quick = unchanged_by(&view, &changes, policy);
                    assert_eq!(
                        quick,
                        (!full.changed).then_some(full.held_back),
                        "{old:?} {new:?} {policy:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 125 * 125 * 5);
    }

    #[test]
    fn merge_sets_adds_protects_and_detects_unchanged() {
        let mut rec = Vec::new();
        encode_record(4, 1, 1, &values(&[(0, "a"), (2, "x")]), &mut rec);
        let view = RawRecord::parse(&rec, 4).unwrap();
        let mut out = Vec::new();
        let overwrite = MergePolicy::overwrite();
        let mut replaced = ReplacedValues::default();
        // Same values: unchanged, nothing replaced.
        assert!(
            !merge_into(&view, &values(&[(0, "a")]), &overwrite, 2, &mut out, Some(&mut replaced)).changed
        );
        assert!(replaced.is_empty());
        // New property and a changed one; what they replaced is reported.
        assert!(
            merge_into(&view, &values(&[(1, "n"), (2, "y")]), &overwrite, 2, &mut out, Some(&mut replaced))
                .changed
        );
        let merged = RecordView::parse(&out, 4).unwrap();
        assert_eq!(merged.values().collect::<Vec<_>>(), vec![(0, "a"), (1, "n"), (2, "y")]);
        assert_eq!((merged.created_by, merged.updated_by), (1, 2));
        assert_eq!(replaced.iter().collect::<Vec<_>>(), vec![(4, 1, None), (4, 2, Some("x"))]);
        assert!(RecordView::parse(&out, 5).is_err(), "the merged record is bound to its ID");
        // Protected property with a value keeps it; protected without a value is set.
        let protect_2 = MergePolicy::protecting([2]);
        assert!(!merge_into(&view, &values(&[(2, "y")]), &protect_2, 2, &mut out, None).changed);
        assert!(
            merge_into(&view, &values(&[(3, "z")]), &MergePolicy::protecting_all(), 2, &mut out, None)
                .changed
        );
        assert_eq!(RecordView::parse(&out, 4).unwrap().get(3), Some("z"));
        // A forward-only property: later values replace, earlier ones are held back,
        // values outside the order move freely.
        let order = || vec!["lead".to_owned(), "x".to_owned(), "customer".to_owned()];
        let forward = MergePolicy::overwrite().moving_forward_only(2, order());
        let held = merge_into(&view, &values(&[(1, "n"), (2, "lead")]), &forward, 2, &mut out, None);
        assert_eq!(held, MergeOutcome { changed: true, held_back: true });
        assert_eq!(RecordView::parse(&out, 4).unwrap().get(2), Some("x"), "x stays: lead is earlier");
        let ahead = merge_into(&view, &values(&[(2, "customer")]), &forward, 2, &mut out, None);
        assert_eq!(ahead, MergeOutcome { changed: true, held_back: false });
        let other = merge_into(&view, &values(&[(2, "other")]), &forward, 2, &mut out, None);
        assert_eq!(other, MergeOutcome { changed: true, held_back: false });
    }
}
