//! The compact record encoding.
//!
//! A record is stored as
//!
//! ```text
//! varint created_by_import | varint updated_by_import | values
//! values = (varint property | varint byte_len | utf-8 bytes)*   (property ascending, no repeats)
//! ```
//!
//! Property numbers are the schema's stable property numbers; values are the
//! normalized text of each value (numbers as decimal text, dates `YYYY-MM-DD`, ...).
//! A property without a value is simply absent. The import IDs make every write
//! attributable to the import that made it.

/// Appends `v` as an LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads an LEB128 varint from the front of `buf`, advancing it.
pub fn get_varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        let (&b, rest) = buf.split_first()?;
        *buf = rest;
        if shift >= 64 {
            return None;
        }
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
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
    /// Appends a value. Properties must come in strictly ascending order.
    pub fn push(&mut self, property: u16, value: &str) {
        self.push_bytes(property, value.as_bytes());
    }

    fn push_bytes(&mut self, property: u16, value: &[u8]) {
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

    /// Forgets every value, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.last = None;
    }

    /// True when no value was pushed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Writes a whole record (header + values) into `out`, replacing its content.
pub fn encode_record(created_by: u64, updated_by: u64, values: &[u8], out: &mut Vec<u8>) {
    out.clear();
    put_varint(out, created_by);
    put_varint(out, updated_by);
    out.extend_from_slice(values);
}

/// A decoded view of a stored record.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a> {
    /// The import that created the record (0: not created by an import).
    pub created_by: u64,
    /// The import that last changed the record.
    pub updated_by: u64,
    values: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Parses a stored record; `None` if the bytes are not a record.
    pub fn parse(mut bytes: &'a [u8]) -> Option<Self> {
        let created_by = get_varint(&mut bytes)?;
        let updated_by = get_varint(&mut bytes)?;
        let view = Self { created_by, updated_by, values: bytes };
        // Check the structure once; text is checked where it is read as text.
        for item in (RawValues { buf: bytes }) {
            item?;
        }
        Some(view)
    }

    /// The encoded values.
    pub fn values_bytes(&self) -> &'a [u8] {
        self.values
    }

    /// The values in ascending property order.
    pub fn values(&self) -> impl Iterator<Item = (u16, &'a str)> + 'a {
        iter_values(self.values)
    }

    /// The value of one property.
    pub fn get(&self, property: u16) -> Option<&'a str> {
        self.values().find(|&(p, _)| p == property).map(|(_, v)| v)
    }
}

/// Iterates over an encoded `values` part as text; stops at corrupt bytes.
pub fn iter_values(values: &[u8]) -> impl Iterator<Item = (u16, &str)> {
    RawValues { buf: values }
        .map_while(Option::from)
        .map_while(|(p, v)| std::str::from_utf8(v).ok().map(|v| (p, v)))
}

/// The `(property, bytes)` pairs of a `values` part; yields `None` once on corrupt
/// structure.
struct RawValues<'a> {
    buf: &'a [u8],
}

impl<'a> Iterator for RawValues<'a> {
    type Item = Option<(u16, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let item = self.decode_one();
        if item.is_none() {
            self.buf = &[];
        }
        Some(item)
    }
}

impl<'a> RawValues<'a> {
    fn decode_one(&mut self) -> Option<(u16, &'a [u8])> {
        let prop = u16::try_from(get_varint(&mut self.buf)?).ok()?;
        let len = usize::try_from(get_varint(&mut self.buf)?).ok()?;
        if len > self.buf.len() {
            return None;
        }
        let (value, rest) = self.buf.split_at(len);
        self.buf = rest;
        Some((prop, value))
    }
}

/// Merges `changes` (a `values` part) into the stored record `existing`.
///
/// A property in `changes` replaces the stored value, unless `protect(property)` is
/// true and the record already has a value for it (SPEC 3, "don't overwrite").
/// Returns `None` when the merge changes nothing (the row is `unchanged`), else the
/// new record bytes with `updated_by = import_id` written to `out`.
pub fn merge_into(
    existing: &RecordView<'_>,
    changes: &[u8],
    protect: &dyn Fn(u16) -> bool,
    import_id: u64,
    out: &mut Vec<u8>,
) -> Option<()> {
    // Bytes, not text: a merge only compares and copies.
    let mut old = RawValues { buf: existing.values }.map_while(Option::from).peekable();
    let mut new = RawValues { buf: changes }.map_while(Option::from).peekable();
    let mut values = RecordBuilder::default();
    let mut changed = false;
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (None, None) => break,
            (Some((op, ov)), None) => {
                values.push_bytes(op, ov);
                old.next();
            }
            (None, Some((np, nv))) => {
                values.push_bytes(np, nv);
                changed = true;
                new.next();
            }
            (Some((op, ov)), Some((np, nv))) => match op.cmp(&np) {
                std::cmp::Ordering::Less => {
                    values.push_bytes(op, ov);
                    old.next();
                }
                std::cmp::Ordering::Greater => {
                    values.push_bytes(np, nv);
                    changed = true;
                    new.next();
                }
                std::cmp::Ordering::Equal => {
                    let keep_old = ov == nv || (protect(op) && !ov.is_empty());
                    values.push_bytes(op, if keep_old { ov } else { nv });
                    changed |= !keep_old;
                    old.next();
                    new.next();
                }
            },
        }
    }
    if !changed {
        return None;
    }
    encode_record(existing.created_by, import_id, values.values(), out);
    Some(())
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
    fn record_round_trips() {
        let mut rec = Vec::new();
        encode_record(3, 4, &values(&[(0, "a@b.co"), (5, "Zoë")]), &mut rec);
        let view = RecordView::parse(&rec).unwrap();
        assert_eq!((view.created_by, view.updated_by), (3, 4));
        assert_eq!(view.values().collect::<Vec<_>>(), vec![(0, "a@b.co"), (5, "Zoë")]);
        assert_eq!(view.get(5), Some("Zoë"));
        assert_eq!(view.get(1), None);
    }

    #[test]
    fn corrupt_bytes_are_rejected() {
        assert!(RecordView::parse(&[1, 1, 0, 9, b'a']).is_none());
        // Structure is checked by parse; text where it is read as text.
        let view = RecordView::parse(&[1, 1, 0, 1, 0xff]).unwrap();
        assert_eq!(view.values().count(), 0);
    }

    #[test]
    fn merge_sets_adds_protects_and_detects_unchanged() {
        let mut rec = Vec::new();
        encode_record(1, 1, &values(&[(0, "a"), (2, "x")]), &mut rec);
        let view = RecordView::parse(&rec).unwrap();
        let mut out = Vec::new();
        // Same values: unchanged.
        assert!(merge_into(&view, &values(&[(0, "a")]), &|_| false, 2, &mut out).is_none());
        // New property and a changed one.
        merge_into(&view, &values(&[(1, "n"), (2, "y")]), &|_| false, 2, &mut out).unwrap();
        let merged = RecordView::parse(&out).unwrap();
        assert_eq!(merged.values().collect::<Vec<_>>(), vec![(0, "a"), (1, "n"), (2, "y")]);
        assert_eq!((merged.created_by, merged.updated_by), (1, 2));
        // Protected property with a value keeps it; protected without a value is set.
        assert!(merge_into(&view, &values(&[(2, "y")]), &|p| p == 2, 2, &mut out).is_none());
        merge_into(&view, &values(&[(3, "z")]), &|_| true, 2, &mut out).unwrap();
        assert_eq!(RecordView::parse(&out).unwrap().get(3), Some("z"));
    }
}
