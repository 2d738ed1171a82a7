//! What the engine hands the store and gets back: property values of rows, the
//! merge policy of an import, and the values an update replaced.
//!
//! The engine never sees the record encoding ([`crate::record`] is private): it
//! pushes `(property ID, normalized text)` pairs into [`RowValues`], reads stored
//! records through [`crate::RecordView`], and describes how an update merges with
//! a [`MergePolicy`]. A merge reports what it replaced into [`ReplacedValues`]
//! when asked (the before-images that undo restores).

use crate::record::{RecordBuilder, RecordView};
use crate::schema::PropertyId;

/// The values of many rows, back to back, each row's properties in ascending
/// order, blank values absent.
#[derive(Debug, Default, Clone)]
pub struct RowValues {
    builder: RecordBuilder,
    /// End of each finished row in the builder's bytes.
    ends: Vec<u32>,
}

impl RowValues {
    /// Room for `rows` rows of about `bytes` bytes in all.
    pub fn with_capacity(bytes: usize, rows: usize) -> Self {
        Self { builder: RecordBuilder::with_capacity(bytes), ends: Vec::with_capacity(rows) }
    }

    /// Adds a value to the current row. Properties must ascend within a row. (Called
    /// once per cell by the transform workers of another crate: inlined there.)
    #[inline]
    pub fn push(&mut self, property: PropertyId, value: &str) {
        self.builder.push(property, value);
    }

    /// Ends the current row (which may be empty).
    #[inline]
    pub fn end_row(&mut self) {
        self.ends.push(self.builder.values().len() as u32);
        self.builder.restart_order();
    }

    /// Finished rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when no row was finished.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The values of row `r`.
    pub fn row(&self, r: usize) -> Values<'_> {
        let start = if r == 0 { 0 } else { self.ends[r - 1] as usize };
        Values { bytes: &self.builder.values()[start..self.ends[r] as usize] }
    }
}

/// The values of one row (see [`RowValues::row`]).
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    pub(crate) bytes: &'a [u8],
}

impl<'a> Values<'a> {
    /// `(property, value)` in ascending property order.
    pub fn iter(&self) -> impl Iterator<Item = (PropertyId, &'a str)> + use<'a> {
        RecordView::of_values(self.bytes).values()
    }

    /// The value of `property`, if the row has one.
    pub fn get(&self, property: PropertyId) -> Option<&'a str> {
        self.iter().find(|&(p, _)| p == property).map(|(_, v)| v)
    }

    /// True when the row has no value.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// A 128-bit hash of the values (xxh3-128): two rows with the same values
    /// have the same fingerprint, and two with different values another one
    /// (but for a chance of about 2^-128).
    pub fn fingerprint(&self) -> u128 {
        xxhash_rust::xxh3::xxh3_128(self.bytes)
    }
}

/// How an update merges a row into a stored record (SPEC 3). A blank cell never
/// overwrites (blank values are not in [`RowValues`]); a protected property
/// (`--no-overwrite`) is only set where the record has no value yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergePolicy {
    protect: Vec<bool>,
    all: bool,
    /// Properties whose value only moves forward through an ordered list (the
    /// lifecycle stage): a value earlier in the list than the stored one is held
    /// back. Values not in the list (`other`) move freely.
    forward_only: Vec<(PropertyId, Vec<String>)>,
    /// Properties the merge never protects: the engine applies `--no-overwrite` to
    /// them itself (a contact's secondary emails, which also change when its
    /// primary email does).
    unprotected: Vec<PropertyId>,
}

impl MergePolicy {
    /// Every value of the row overwrites (the default).
    pub fn overwrite() -> Self {
        Self::default()
    }

    /// These properties are protected.
    pub fn protecting(properties: impl IntoIterator<Item = PropertyId>) -> Self {
        let mut protect = Vec::new();
        for p in properties {
            let i = usize::from(p);
            if protect.len() <= i {
                protect.resize(i + 1, false);
            }
            protect[i] = true;
        }
        Self { protect, all: false, forward_only: Vec::new(), unprotected: Vec::new() }
    }

    /// Every property is protected (`--no-overwrite-all`).
    pub fn protecting_all() -> Self {
        Self { protect: Vec::new(), all: true, forward_only: Vec::new(), unprotected: Vec::new() }
    }

    /// `property` only moves forward through `order` (earliest first).
    #[must_use]
    pub fn moving_forward_only(mut self, property: PropertyId, order: Vec<String>) -> Self {
        self.forward_only.push((property, order));
        self
    }

    /// The merge never protects `property` (the caller applied the rule).
    #[must_use]
    pub fn never_protecting(mut self, property: PropertyId) -> Self {
        self.unprotected.push(property);
        self
    }

    /// Whether replacing `old` by `new` for `property` would move it backward.
    pub fn is_backward(&self, property: PropertyId, old: &[u8], new: &[u8]) -> bool {
        let Some((_, order)) = self.forward_only.iter().find(|(p, _)| *p == property) else {
            return false;
        };
        let rank = |v: &[u8]| order.iter().position(|o| o.as_bytes() == v);
        matches!((rank(old), rank(new)), (Some(o), Some(n)) if n < o)
    }

    /// Whether `property` is only set where the record has none.
    pub fn protects(&self, property: PropertyId) -> bool {
        self.asks_to_protect(property) && !self.unprotected.contains(&property)
    }

    /// Whether the import asked to protect `property` (`--no-overwrite`), whether
    /// or not the merge applies it ([`MergePolicy::never_protecting`]).
    pub fn asks_to_protect(&self, property: PropertyId) -> bool {
        self.all || self.protect.get(usize::from(property)).copied().unwrap_or(false)
    }
}

/// The values updates replaced, per record and property: `None` where the record
/// had no value. Kept in one arena (no allocation per value).
#[derive(Debug, Default, Clone)]
pub struct ReplacedValues {
    /// `(record, property, start, end, had a value)` into `text`.
    entries: Vec<(u64, PropertyId, u32, u32, bool)>,
    text: String,
}

impl ReplacedValues {
    pub(crate) fn push(&mut self, record: u64, property: PropertyId, old: Option<&[u8]>) {
        let start = self.text.len() as u32;
        if let Some(old) = old {
            // Stored values were written from text and pass their checksum; a
            // damaged one would be replaced here, not trusted.
            self.text.push_str(&String::from_utf8_lossy(old));
        }
        self.entries.push((record, property, start, self.text.len() as u32, old.is_some()));
    }

    /// `(record, property, the value before the update)`, in the order replaced.
    pub fn iter(&self) -> impl Iterator<Item = (u64, PropertyId, Option<&str>)> {
        self.entries.iter().map(|&(r, p, s, e, had)| (r, p, had.then(|| &self.text[s as usize..e as usize])))
    }

    /// Number of values replaced.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was replaced.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
