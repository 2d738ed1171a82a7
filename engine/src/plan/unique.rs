//! Unique values through an import, row by row (SPEC 2): the identifier, the other
//! unique properties an import maps, and secondary values indexed with them.
//!
//! Each unique index the import keeps is a [`SlotState`]: the import's changes to
//! the index (an overlay over the snapshot), and the values of the records whose
//! values in it the import changed. For a row about to create or update a record,
//! [`SlotState::prepare`] works out what the record holds in the slot after the row
//! (its property and its secondary list), refuses a value that another record
//! holds, and says whether the row's values must be rewritten to hold that (a
//! contact matched by a secondary email keeps its primary email; a new primary
//! email moves the old one to the secondary emails).
//!
//! The common rows never read a record: a row whose value the index already gives
//! to its record changes nothing, and a new record's values only need the index.

use std::collections::HashMap;

use store::{ReadSession, SECONDARY, StoreError};

use crate::normalize::transform::{ObjectRows, SlotKey, UniqueSlot};
use crate::resolve::{KeyTable, hash_key};

/// What a record holds in one unique slot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// The property's value.
    pub primary: Option<Box<[u8]>>,
    /// The secondary values, in order.
    pub list: Vec<Box<[u8]>>,
}

impl Held {
    fn holds(&self, key: &[u8]) -> bool {
        self.primary.as_deref() == Some(key) || self.list.iter().any(|v| &v[..] == key)
    }
}

/// A value held by another record: the row is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The value.
    pub key: Box<[u8]>,
    /// The record holding it.
    pub owner: u64,
    /// Whether it is a value of the slot's list (else of its property).
    pub list: bool,
}

/// What a row gives one slot.
#[derive(Debug, Clone, Copy, Default)]
pub struct Given<'a> {
    /// The property's value, with its hash and snapshot entry.
    pub primary: Option<(&'a [u8], u64, u64)>,
    /// Whether the row gave the list (its values are the list keys of `keys`).
    pub list: bool,
    /// The range of the row's keys in the slot's [`crate::normalize::transform::SlotKeys`].
    pub keys: (usize, usize),
    /// The row was matched through one of the record's secondary values (and
    /// carries no record ID): the record keeps its primary value.
    pub keep_primary: bool,
    /// The property and the list are protected (`--no-overwrite`): set only where empty.
    pub protect: (bool, bool),
}

/// One unique index through an import.
#[derive(Debug)]
pub struct SlotState {
    /// The slot.
    pub slot: UniqueSlot,
    /// Value -> index entry as this import changed it (0: removed).
    pub overlay: KeyTable,
    /// Records whose values in this slot the import changed or created: their values now.
    held: HashMap<u64, Held, ahash::RandomState>,
}

impl SlotState {
    /// A slot with no change yet.
    pub fn new(slot: UniqueSlot) -> Self {
        Self { slot, overlay: KeyTable::default(), held: HashMap::default() }
    }

    /// The index entry of `key` now (hash `hash`, snapshot entry `snapshot`).
    pub fn entry(&self, hash: u64, key: &[u8], snapshot: u64) -> u64 {
        self.overlay.get(hash, key).unwrap_or(snapshot)
    }

    /// The index entry of `key` now, looking the snapshot up in the store.
    fn entry_uncached(&self, read: &ReadSession, object: &str, key: &[u8]) -> Result<u64, StoreError> {
        if let Some(e) = self.overlay.get(hash_key(key), key) {
            return Ok(e);
        }
        Ok(read.lookup_entry(object, self.slot.property, key)?.unwrap_or(0))
    }

    /// What record `id` holds in the slot now; `created_here`: the record was
    /// created by this import.
    fn held(
        &self,
        read: &ReadSession,
        object: &str,
        id: u64,
        created_here: bool,
    ) -> Result<Held, StoreError> {
        if let Some(h) = self.held.get(&id) {
            return Ok(h.clone());
        }
        if created_here {
            // Created by this import without a list: its value is in the overlay.
            let primary = self.overlay.iter().find(|&(_, e)| e == id).map(|(k, _)| k.into());
            return Ok(Held { primary, list: Vec::new() });
        }
        let Some(record) = read.record(object, id)? else {
            return Ok(Held::default());
        };
        let view = record.view();
        Ok(Held {
            primary: view.get(self.slot.property).map(|v| v.as_bytes().into()),
            list: self
                .slot
                .list
                .and_then(|p| view.get(p))
                .map(|v| v.split(';').filter(|s| !s.is_empty()).map(|s| s.as_bytes().into()).collect())
                .unwrap_or_default(),
        })
    }

    /// Works out what record `id` (`creating`: a new record) holds in the slot
    /// after the row giving `given` (its list keys in `rows`' slot `slot`), without
    /// changing anything: [`Prepared::Conflict`] when another record holds one of
    /// those values. [`SlotState::apply`] then makes it so.
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &self,
        read: &ReadSession,
        object: &str,
        rows: &ObjectRows,
        slot: usize,
        given: Given<'_>,
        id: u64,
        created_here: bool,
        creating: bool,
    ) -> Result<Prepared, StoreError> {
        // The row changes nothing when the index already gives its value to the
        // record and it gives no list: no read.
        if !given.list {
            match given.primary {
                None => return Ok(Prepared::Nothing),
                Some((key, hash, snapshot)) if !creating => {
                    let e = self.entry(hash, key, snapshot);
                    if e == id && !given.keep_primary {
                        return Ok(Prepared::Nothing);
                    }
                }
                Some(_) => {}
            }
        }
        let keys = &rows.slot_keys[slot];
        let given_list: Vec<SlotKey<'_>> =
            (given.keys.0..given.keys.1).map(|i| keys.key(i)).filter(|k| k.list).collect();
        let current = if creating { Held::default() } else { self.held(read, object, id, created_here)? };
        let mut next = current.clone();
        if let Some((key, _, _)) = given.primary
            && !given.keep_primary
            && !(given.protect.0 && current.primary.is_some())
        {
            next.primary = Some(key.into());
        }
        if given.list && (!given.protect.1 || current.list.is_empty()) {
            next.list = given_list.iter().map(|k| k.key.into()).collect();
        }
        if self.slot.list.is_some()
            && let Some(old) = &current.primary
            && next.primary.as_ref() != Some(old)
            && !next.list.contains(old)
        {
            // The old primary value stays the record's, as a secondary one.
            next.list.push(old.clone());
        }
        // The list holds each value once, and never the primary one.
        let mut list = Vec::with_capacity(next.list.len());
        for v in std::mem::take(&mut next.list) {
            if next.primary.as_ref() != Some(&v) && !list.contains(&v) {
                list.push(v);
            }
        }
        next.list = list;
        if !self.slot.shared {
            let values = next.primary.iter().map(|v| (v, false)).chain(next.list.iter().map(|v| (v, true)));
            for (v, list) in values {
                if current.holds(v) {
                    continue;
                }
                let e = self.entry_uncached(read, object, v)? & !SECONDARY;
                if e != 0 && e != id {
                    return Ok(Prepared::Conflict(Conflict { key: v.clone(), owner: e, list }));
                }
            }
        }
        let row_primary = given.primary.map(|p| p.0);
        let rewrite = row_primary.is_some_and(|p| next.primary.as_deref() != Some(p))
            || (given.list && !next.list.iter().map(|v| &v[..]).eq(given_list.iter().map(|k| k.key)))
            || (!given.list && next.list != current.list);
        Ok(Prepared::Change { current, next, rewrite })
    }

    /// Makes a prepared change for record `id`: the index follows (values the
    /// record left, then the ones it holds), and the slot remembers the record's values.
    pub fn apply(
        &mut self,
        read: &ReadSession,
        object: &str,
        id: u64,
        current: &Held,
        next: Held,
    ) -> Result<(), StoreError> {
        if !self.slot.shared {
            for v in current.primary.iter().chain(&current.list) {
                if !next.holds(v) && self.entry_uncached(read, object, v)? & !SECONDARY == id {
                    self.overlay.set(hash_key(v), v, 0);
                }
            }
            if let Some(v) = &next.primary {
                self.set(read, object, v, id)?;
            }
            for v in &next.list {
                self.set(read, object, v, id | SECONDARY)?;
            }
        }
        self.held.insert(id, next);
        Ok(())
    }

    /// Sets the entry of `v` unless the index has it already.
    fn set(&mut self, read: &ReadSession, object: &str, v: &[u8], entry: u64) -> Result<(), StoreError> {
        if self.entry_uncached(read, object, v)? != entry {
            self.overlay.set(hash_key(v), v, entry);
        }
        Ok(())
    }
}

/// What a row does to a record's values in one slot ([`SlotState::prepare`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// Nothing changes.
    Nothing,
    /// Another record holds a value: the row is refused.
    Conflict(Conflict),
    /// The record's values go from `current` to `next`; `rewrite` when the row's own
    /// values differ from `next` (the row must be written with `next` instead).
    Change {
        /// Before the row.
        current: Held,
        /// After the row.
        next: Held,
        /// The row's values must be rewritten.
        rewrite: bool,
    },
}
