//! Association columns that find records by a value several records may hold:
//! `--map 'Company=assoc:companies.name'`, `assoc:deals.dealname`, and HubSpot's
//! bare `Associated Company` column, which holds company names.
//!
//! A unique property has an index in the store; a name has none, so the import
//! keeps one of its own: per object and property that such a column names, a
//! `NameIndex` from each value's [`fold`]ed form (trimmed, runs of whitespace
//! one space, Unicode lowercase, NFC) to the records holding it. It is built once
//! per import, lazily (at the first row that looks a value up or sets one), from
//! a scan of the object's records in the import's snapshot, and kept as a
//! row-by-row import would see it: when the object is one of the import's, the
//! planner applies every row's creations and renames to it in file order
//! (`NameIndexes::advance`) before the row's association cells are looked up,
//! so a record an earlier row created or renamed is found under its new name, and
//! one a later row creates is not. A value that one record holds links it; none,
//! `ASSOCIATION_RECORD_NOT_FOUND`; several, `AMBIGUOUS_ASSOCIATION_RECORD`
//! (value errors in [`super::links`]).
//!
//! Memory: one entry per record of the object that has a value, about 190 bytes
//! with a 20-character name (measured at a million records: a hash map from the
//! value to its records, one from each record to its value, for renames, and the
//! value once), for as long as the import runs.

use std::collections::HashMap;
use std::sync::Arc;

use store::{ReadSession, StoreError, Values};
use unicode_normalization::UnicodeNormalization as _;

use super::{Action, Rewrites};
use crate::normalize::transform::Transformed;
use crate::schema::{Object, PropertyDef, PropertyId, PropertyType, RECORD_ID};

/// Whether an association column of `prop` finds records by value (a name)
/// rather than through a unique index: a single-valued text property (string,
/// email, phone, domain, url) that is not unique.
pub fn by_value(prop: &PropertyDef) -> bool {
    let text = matches!(
        prop.ty,
        PropertyType::String
            | PropertyType::Email
            | PropertyType::Phone
            | PropertyType::Domain
            | PropertyType::Url
    );
    text && !prop.unique && !prop.multiple && prop.id != RECORD_ID
}

/// The form values are compared in: `value` (already normalized for its
/// property) trimmed, each run of whitespace one space, in Unicode lowercase and
/// NFC, so `  Ærø   Fisk ApS ` and `ærø fisk aps` are one name.
pub fn fold(value: &str, out: &mut String) {
    out.clear();
    let lower = value.to_lowercase();
    for word in lower.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.nfc());
    }
}

/// What a value finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No record holds it.
    None,
    /// Exactly this record holds it.
    One(u64),
    /// This many records hold it.
    Several(usize),
}

/// The records holding one folded value.
#[derive(Debug, Clone)]
enum Holders {
    One(u64),
    /// Two or more, ascending.
    Many(Vec<u64>),
}

impl Holders {
    fn found(&self) -> Found {
        match self {
            Self::One(id) => Found::One(*id),
            Self::Many(ids) => Found::Several(ids.len()),
        }
    }

    fn add(&mut self, id: u64) {
        match self {
            Self::One(one) if *one == id => {}
            Self::One(one) => {
                let mut ids = vec![*one, id];
                ids.sort_unstable();
                *self = Self::Many(ids);
            }
            Self::Many(ids) => {
                if let Err(at) = ids.binary_search(&id) {
                    ids.insert(at, id);
                }
            }
        }
    }

    /// Removes `id`; `false` when none are left.
    fn remove(&mut self, id: u64) -> bool {
        match self {
            Self::One(one) => *one != id,
            Self::Many(ids) => {
                if let Ok(at) = ids.binary_search(&id) {
                    ids.remove(at);
                }
                if let [only] = ids[..] {
                    *self = Self::One(only);
                }
                true
            }
        }
    }
}

/// The values of one property of one object, as the import's rows so far left them.
#[derive(Debug)]
struct NameIndex {
    object: Object,
    property: PropertyId,
    /// The object's index among the import's objects, if it is one.
    in_import: Option<usize>,
    /// `--no-overwrite` protects the property: an update sets it only where the
    /// record has none.
    protected: bool,
    /// Whether the snapshot's records were read in.
    built: bool,
    holders: HashMap<Arc<str>, Holders, ahash::RandomState>,
    of_record: HashMap<u64, Arc<str>, ahash::RandomState>,
}

impl NameIndex {
    /// Reads the snapshot's values in, once.
    fn build(&mut self, read: &ReadSession) -> Result<(), StoreError> {
        if self.built {
            return Ok(());
        }
        self.built = true;
        let mut key = String::new();
        let property = self.property;
        read.for_each_record(&self.object.name, |id, view| {
            if let Some(v) = view.get(property) {
                fold(v, &mut key);
                if !key.is_empty() {
                    let key: Arc<str> = key.as_str().into();
                    self.holders
                        .entry(Arc::clone(&key))
                        .and_modify(|h| h.add(id))
                        .or_insert(Holders::One(id));
                    self.of_record.insert(id, key);
                }
            }
            true
        })
    }

    /// Record `id` now holds `key` (folded, not empty).
    fn set(&mut self, id: u64, key: &str) {
        if self.of_record.get(&id).is_some_and(|k| **k == *key) {
            return;
        }
        self.unset(id);
        let key: Arc<str> = match self.holders.get_key_value(key) {
            Some((k, _)) => Arc::clone(k),
            None => key.into(),
        };
        self.holders.entry(Arc::clone(&key)).and_modify(|h| h.add(id)).or_insert(Holders::One(id));
        self.of_record.insert(id, key);
    }

    fn unset(&mut self, id: u64) {
        if let Some(old) = self.of_record.remove(&id)
            && let Some(h) = self.holders.get_mut(&old)
            && !h.remove(id)
        {
            self.holders.remove(&old);
        }
    }

    /// Applies what row `r` does to the object's record: a new record's value, or
    /// an update's (where `--no-overwrite` lets it).
    fn apply(
        &mut self,
        action: Action,
        values: Values<'_>,
        key: &mut String,
        read: &ReadSession,
    ) -> Result<(), StoreError> {
        let (id, update) = match action {
            Action::Create(id) => (id, false),
            Action::Update(id) | Action::Write(id, _) => (id, true),
            Action::Unchanged(_) | Action::Skip(_) | Action::Fail | Action::Absent => return Ok(()),
        };
        let Some(value) = values.get(self.property) else {
            return Ok(()); // a blank cell changes nothing
        };
        fold(value, key);
        if key.is_empty() {
            return Ok(());
        }
        self.build(read)?;
        if update && self.protected && self.of_record.contains_key(&id) {
            return Ok(());
        }
        let folded = std::mem::take(key);
        self.set(id, &folded);
        *key = folded;
        Ok(())
    }
}

/// The name indexes of an import (one per object and property its association
/// columns find by value), and how far the current piece's rows are applied.
#[derive(Debug, Default)]
pub struct NameIndexes {
    indexes: Vec<NameIndex>,
    /// Rows of the current piece applied so far.
    applied: usize,
    key: String,
}

/// One object and property an import's association columns find records by value.
#[derive(Debug, Clone)]
pub struct NameColumn {
    /// The object of the records.
    pub object: Object,
    /// The property.
    pub property: PropertyId,
    /// The object's index among the import's objects, if it is one.
    pub in_import: Option<usize>,
    /// Whether `--no-overwrite` protects the property in this import.
    pub protected: bool,
}

impl NameIndexes {
    /// The indexes for `columns` (repeats are one index); nothing is read yet.
    pub fn new(columns: impl IntoIterator<Item = NameColumn>) -> Self {
        let mut indexes: Vec<NameIndex> = Vec::new();
        for c in columns {
            if indexes.iter().any(|i| i.object.name == c.object.name && i.property == c.property) {
                continue;
            }
            indexes.push(NameIndex {
                object: c.object,
                property: c.property,
                in_import: c.in_import,
                protected: c.protected,
                built: false,
                holders: HashMap::default(),
                of_record: HashMap::default(),
            });
        }
        Self { indexes, applied: 0, key: String::new() }
    }

    /// True when the import has no such column.
    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    /// Starts a piece: none of its rows is applied yet.
    pub(super) fn begin_piece(&mut self) {
        self.applied = 0;
    }

    /// Applies the piece's rows up to `end` (exclusive) that are not applied yet:
    /// the values they give the records of the indexes' objects.
    pub(super) fn advance(
        &mut self,
        end: usize,
        rows: &Transformed,
        actions: &[Vec<Action>],
        rewrites: &[Rewrites],
        read: &ReadSession,
    ) -> Result<(), StoreError> {
        let start = self.applied;
        if end <= start {
            return Ok(());
        }
        self.applied = end;
        let key = &mut self.key;
        for index in &mut self.indexes {
            let Some(t) = index.in_import else {
                continue; // not written by this import: the snapshot's values
            };
            for (r, &action) in actions[t].iter().enumerate().take(end).skip(start) {
                let values = rewrites[t].get(r).unwrap_or_else(|| rows.objects[t].row_values(r));
                index.apply(action, values, key, read)?;
            }
        }
        Ok(())
    }

    /// The records of `object` whose `property` holds `value` (normalized for the
    /// property) now.
    pub(super) fn find(
        &mut self,
        object: &str,
        property: PropertyId,
        value: &str,
        read: &ReadSession,
    ) -> Result<Found, StoreError> {
        let Some(index) = self.indexes.iter_mut().find(|i| i.object.name == object && i.property == property)
        else {
            return Ok(Found::None);
        };
        index.build(read)?;
        fold(value, &mut self.key);
        Ok(index.holders.get(self.key.as_str()).map_or(Found::None, Holders::found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fold_to_trimmed_single_spaced_lowercase() {
        let mut out = String::new();
        for (value, want) in [
            ("  Ærø   Fisk\tApS ", "ærø fisk aps"),
            ("ærø fisk aps", "ærø fisk aps"),
            ("ACME\u{a0}Inc", "acme inc"),
            ("Ae\u{301}ro", "aéro"),
            ("ÉLAN", "élan"),
            ("   ", ""),
        ] {
            fold(value, &mut out);
            assert_eq!(out, want, "{value:?}");
        }
    }

    #[test]
    fn holders_count_and_shrink_back_to_one() {
        let mut h = Holders::One(5);
        h.add(5);
        assert_eq!(h.found(), Found::One(5));
        h.add(2);
        h.add(9);
        assert_eq!(h.found(), Found::Several(3));
        assert!(h.remove(5));
        assert!(h.remove(9));
        assert_eq!(h.found(), Found::One(2));
        assert!(!h.remove(2));
    }

    #[test]
    fn only_single_valued_text_properties_that_are_not_unique_link_by_value() {
        let schema = store::schema::standard();
        let prop = |o: &str, p: &str| schema.object(o).unwrap().property_named(p).unwrap().clone();
        assert!(by_value(&prop("companies", "name")));
        assert!(by_value(&prop("deals", "dealname")));
        assert!(!by_value(&prop("companies", "domain")), "unique: found through its index");
        assert!(!by_value(&prop("companies", "hs_object_id")));
        assert!(!by_value(&prop("companies", "numberofemployees")));
        assert!(!by_value(&prop("contacts", "hs_additional_emails")), "several values");
        assert!(!by_value(&prop("deals", "dealtype")), "an enumeration");
    }
}
