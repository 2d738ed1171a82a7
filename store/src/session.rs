//! Read and write sessions: the only code that opens redb tables.
//!
//! The commit stage holds one [`WriteSession`] per import. It opens a
//! [`RecordTable`] per object and an [`IndexTable`] per identifier index; the
//! tables borrow the transaction but are `Send`, so the commit stage fills them
//! from scoped threads in parallel inside the one transaction.
//!
//! Every record read here is verified ([`RecordView::parse`]): a damaged record is
//! a [`StoreError::CorruptRecord`], never data, and a redb panic on a damaged page
//! is a [`StoreError::Panicked`] ([`crate::guard`]).

use std::ops::Bound;

use redb::{
    Database, Durability, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, Table, TableError, WriteTransaction,
};

use crate::error::StoreError;
use crate::guard::{callback, guard};
use crate::imports::ImportEntry;
use crate::record::{RawRecord, RecordError, RecordView, encode_record, merge_into};
use crate::schema::{ObjectDef, PropertyId, Schema, stored};
use crate::tables::{self, IMPORTS, META};
use crate::values::{MergePolicy, ReplacedValues, Values};

fn corrupt(object: &str, id: u64) -> impl FnOnce(RecordError) -> StoreError + '_ {
    move |reason| StoreError::CorruptRecord { object: object.to_owned(), id, reason }
}

/// The one write transaction of an import.
pub struct WriteSession<'db> {
    db: &'db Database,
    txn: Option<WriteTransaction>,
    /// The objects whose records, indexes or definition the session opened for
    /// writing, and those whose replay memo it saved ([`crate::ReplayMemo`]).
    replays: std::sync::Mutex<Replays>,
    /// The before-images the session's [`RecordTable`]s kept, not written yet.
    images: std::sync::Mutex<HeldImages>,
}

/// Before-images held in memory until the session commits (or holds more than
/// [`HeldImages::LIMIT`] bytes), then written per object as one sorted run.
/// An import's keys, `(import, record)`, come in record order only within a
/// piece; inserted as they come, they land all over the table's newest range,
/// splitting pages; written sorted, above every older import's, they append.
#[derive(Default)]
struct HeldImages {
    by_object: std::collections::BTreeMap<String, ImageRun>,
    bytes: usize,
}

impl HeldImages {
    /// Bytes of images held before the largest object's are written (small in
    /// the store's own tests, so that they write runs that interleave).
    const LIMIT: usize = if cfg!(test) { 1 << 10 } else { 64 << 20 };
}

/// Before-images of one object: `(import, record, start, end)` into `bytes`.
#[derive(Default)]
struct ImageRun {
    keys: Vec<(u64, u64, usize, usize)>,
    bytes: Vec<u8>,
}

impl ImageRun {
    fn push(&mut self, import_id: u64, id: u64, image: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(image);
        self.keys.push((import_id, id, start, self.bytes.len()));
    }

    fn append(&mut self, other: &mut ImageRun) {
        let base = self.bytes.len();
        self.bytes.append(&mut other.bytes);
        self.keys.extend(other.keys.drain(..).map(|(i, id, s, e)| (i, id, s + base, e + base)));
    }

    /// Writes the run into `before/<object>` in key order: one cursor splices
    /// each stretch of keys that falls into one gap of the table.
    fn write(mut self, txn: &WriteTransaction, object: &str) -> Result<(), StoreError> {
        if self.keys.is_empty() {
            return Ok(());
        }
        self.keys.sort_unstable_by_key(|k| (k.0, k.1));
        let name = tables::before_name(object);
        guard(|| {
            let mut table = txn.open_table(tables::before(&name))?;
            let mut keys = self.keys.iter().peekable();
            while let Some(&&(i, id, _, _)) = keys.peek() {
                let mut cursor = table.lower_bound_mut(Bound::Included((i, id)))?;
                let mut placed = false;
                while let Some(&&(i, id, start, end)) = keys.peek() {
                    match cursor.insert_before((i, id), &self.bytes[start..end]) {
                        Ok(()) => {
                            placed = true;
                            keys.next();
                        }
                        Err(redb::CursorError::UnorderedKey) => break,
                        Err(e) => return Err(e.into()),
                    }
                }
                drop(cursor);
                if !placed {
                    let (i, id, start, end) = *keys.next().expect("peeked");
                    table.insert((i, id), &self.bytes[start..end])?;
                }
            }
            Ok(())
        })
    }
}

/// What a session's commit does to the replay memos: deletes those of `touched`
/// objects, except the `kept` ones the session saved itself.
#[derive(Debug, Default)]
struct Replays {
    touched: std::collections::BTreeSet<String>,
    kept: std::collections::BTreeSet<String>,
}

/// What an update did to its record; `held_back` when a value was not taken
/// because it would move a forward-only property backward
/// ([`MergePolicy::moving_forward_only`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// At least one value changed.
    Updated {
        /// A value was held back.
        held_back: bool,
    },
    /// Every value was already there (or held back): nothing written.
    Unchanged {
        /// A value was held back.
        held_back: bool,
    },
}

impl UpdateOutcome {
    /// Whether a value was held back.
    pub fn held_back(self) -> bool {
        match self {
            Self::Updated { held_back } | Self::Unchanged { held_back } => held_back,
        }
    }
}

impl<'db> WriteSession<'db> {
    pub(crate) fn begin(db: &'db Database) -> Result<Self, StoreError> {
        guard(|| {
            Ok(Self {
                db,
                txn: Some(db.begin_write()?),
                replays: std::sync::Mutex::default(),
                images: std::sync::Mutex::default(),
            })
        })
    }

    /// Takes over `run`, before-images of `object`; writes the largest object's
    /// held images when the session holds more than [`HeldImages::LIMIT`].
    fn hold_images(&self, object: &str, run: &mut ImageRun) -> Result<(), StoreError> {
        if run.keys.is_empty() {
            return Ok(());
        }
        let full = {
            let mut held = self.images.lock().expect("no panic while the lock is held");
            held.bytes += run.bytes.len();
            held.by_object.entry(object.to_owned()).or_default().append(run);
            if held.bytes <= HeldImages::LIMIT {
                return Ok(());
            }
            let largest = held
                .by_object
                .iter()
                .max_by_key(|(_, r)| r.bytes.len())
                .map(|(o, _)| o.clone())
                .expect("held");
            let full = held.by_object.remove(&largest).expect("held");
            held.bytes -= full.bytes.len();
            (largest, full)
        };
        full.1.write(self.txn(), &full.0)
    }

    /// Writes every before-image held.
    fn write_images(&self) -> Result<(), StoreError> {
        let held = std::mem::take(&mut *self.images.lock().expect("no panic while the lock is held"));
        for (object, run) in held.by_object {
            run.write(self.txn(), &object)?;
        }
        Ok(())
    }

    /// Notes that this session writes `object`'s records, indexes or definition:
    /// its replay memo is stale once the session commits.
    pub(crate) fn touch(&self, object: &str) {
        let mut r = self.replays.lock().expect("no panic while the lock is held");
        if !r.touched.contains(object) {
            r.touched.insert(object.to_owned());
        }
    }

    /// Notes that this session saved `object`'s replay memo itself.
    pub(crate) fn keep_replay(&self, object: &str) {
        let mut r = self.replays.lock().expect("no panic while the lock is held");
        r.kept.insert(object.to_owned());
    }

    /// Deletes the replay memos this session made stale (see [`Self::touch`]).
    fn settle_replays(&self) -> Result<(), StoreError> {
        let stale: Vec<String> = {
            let r = self.replays.lock().expect("no panic while the lock is held");
            r.touched.difference(&r.kept).cloned().collect()
        };
        self.drop_replays(&stale)
    }

    pub(crate) fn txn(&self) -> &WriteTransaction {
        self.txn.as_ref().expect("a write session always holds a transaction")
    }

    /// The next record ID of `object` (1 for an object never written).
    pub fn next_id(&self, object: &str) -> Result<u64, StoreError> {
        guard(|| {
            let meta = self.txn().open_table(META)?;
            Ok(meta.get(tables::sequence_key(object).as_str())?.map_or(1, |v| v.value()))
        })
    }

    /// Stores the next record ID of `object`.
    pub fn set_next_id(&self, object: &str, next: u64) -> Result<(), StoreError> {
        guard(|| {
            let mut meta = self.txn().open_table(META)?;
            meta.insert(tables::sequence_key(object).as_str(), next)?;
            Ok(())
        })
    }

    /// Opens the records table of `object`.
    pub fn records(&self, object: &str) -> Result<RecordTable<'_>, StoreError> {
        self.touch(object);
        let name = tables::records_name(object);
        let table = guard(|| Ok(self.txn().open_table(tables::records(&name))?))?;
        Ok(RecordTable {
            session: self,
            table,
            images: ImageRun::default(),
            object: object.to_owned(),
            scratch: Vec::new(),
        })
    }

    /// Opens the identifier index of `object` on the property with ID `property`.
    pub fn index(&self, object: &str, property: PropertyId) -> Result<IndexTable<'_>, StoreError> {
        self.touch(object);
        let name = tables::index_name(object, property);
        let table = guard(|| Ok(self.txn().open_table(tables::index(&name))?))?;
        Ok(IndexTable { table })
    }

    /// The schema as this transaction sees it.
    pub fn schema(&self) -> Result<Schema, StoreError> {
        guard(|| {
            let table = self.txn().open_table(tables::SCHEMA)?;
            let mut objects = Vec::new();
            for item in table.iter()? {
                let (k, v) = item?;
                let name = k.value();
                objects.push(
                    stored::decode(name, v.value())
                        .map_err(|reason| StoreError::CorruptSchema { object: name.to_owned(), reason })?,
                );
            }
            Ok(stored::ordered(objects))
        })
    }

    /// Writes an object's definition (a new custom object, or an object with new,
    /// changed or deleted properties or pipelines). Refuses a definition that breaks
    /// the schema's rules ([`ObjectDef::validate`]) or changes a property's name or
    /// type under the same ID, and one that drops a property without keeping its ID
    /// as deleted ([`ObjectDef::deleted_properties`]) or forgets a deleted ID: IDs
    /// are never reused. Records are never rewritten.
    pub fn save_object(&self, object: &ObjectDef) -> Result<(), StoreError> {
        object.validate().map_err(StoreError::Schema)?;
        if let Some(old) = self.schema()?.object(&object.name) {
            for p in &old.properties {
                match object.property(p.id) {
                    Some(n) if n.name != p.name || n.ty != p.ty => {
                        return Err(StoreError::Schema(format!(
                            "{}: property {} ({}) cannot become {} ({})",
                            object.name,
                            p.name,
                            p.ty.name(),
                            n.name,
                            n.ty.name()
                        )));
                    }
                    None if !object.deleted_properties.contains(&p.id) => {
                        return Err(StoreError::Schema(format!(
                            "{}: property {} ({}) can only go as a deleted property ID",
                            object.name, p.name, p.id
                        )));
                    }
                    _ => {}
                }
            }
            if let Some(id) = old.deleted_properties.iter().find(|id| !object.deleted_properties.contains(id))
            {
                return Err(StoreError::Schema(format!(
                    "{}: property ID {id} was deleted and is never used again",
                    object.name
                )));
            }
        }
        self.touch(&object.name);
        guard(|| stored::save(self.txn(), object))
    }

    /// Builds the index of `object` on `property` again from the records, for a
    /// property whose values several records may share ([`PropertyDef::shared`]):
    /// each value is indexed as the record with the lowest ID holding it. Returns
    /// the number of entries.
    ///
    /// [`PropertyDef::shared`]: crate::schema::PropertyDef::shared
    pub fn rebuild_index(&self, object: &str, property: PropertyId) -> Result<u64, StoreError> {
        self.touch(object);
        let records_name = tables::records_name(object);
        let index_name = tables::index_name(object, property);
        guard(|| {
            let mut entries: Vec<(Box<[u8]>, u64)> = Vec::new();
            {
                let records = self.txn().open_table(tables::records(&records_name))?;
                for item in records.iter()? {
                    let (k, v) = item?;
                    let id = k.value();
                    let view = RecordView::parse(v.value(), id).map_err(corrupt(object, id))?;
                    if let Some(value) = view.get(property) {
                        entries.push((value.as_bytes().into(), id));
                    }
                }
            }
            // Stable: of the records sharing a value, the first (lowest ID) stays.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|later, first| later.0 == first.0);
            self.txn().delete_table(tables::index(&index_name))?;
            let mut table = self.txn().open_table(tables::index(&index_name))?;
            for (key, id) in &entries {
                table.insert(&key[..], id)?;
            }
            Ok(entries.len() as u64)
        })
    }

    /// Deletes the identifier index of `object` on `property` if there is one (the
    /// index of a deleted property). Returns whether it existed.
    pub fn delete_index(&self, object: &str, property: PropertyId) -> Result<bool, StoreError> {
        self.touch(object);
        let name = tables::index_name(object, property);
        guard(|| Ok(self.txn().delete_table(tables::index(&name))?))
    }

    /// Writes (or rewrites) an import log entry.
    pub fn save_import(&self, entry: &ImportEntry) -> Result<(), StoreError> {
        guard(|| {
            let mut table = self.txn().open_table(IMPORTS)?;
            table.insert(entry.id, entry.encode().as_slice())?;
            Ok(())
        })
    }

    /// Commits what was written so far and starts a new transaction.
    ///
    /// A checkpoint is not durable: it is written with `Durability::None` and becomes
    /// durable with the next [`WriteSession::commit`]. A crash rolls back to the last
    /// durable commit, so an import is all or nothing while it stays in one session.
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.write_images()?;
        self.settle_replays()?;
        let mut txn = self.txn.take().expect("a write session always holds a transaction");
        guard(|| {
            txn.set_durability(Durability::None)?;
            txn.commit()?;
            self.txn = Some(self.db.begin_write()?);
            Ok(())
        })
    }

    /// Commits; `durable` waits for the data to reach the disk (fsync).
    pub fn commit(mut self, durable: bool) -> Result<(), StoreError> {
        self.write_images()?;
        self.settle_replays()?;
        let mut txn = self.txn.take().expect("a write session always holds a transaction");
        guard(|| {
            if !durable {
                txn.set_durability(Durability::None)?;
            }
            txn.commit()?;
            Ok(())
        })
    }
}

/// Whether the stored record `bytes`, about to be overwritten by import
/// `import_id`, is its state before that import: the import neither created it
/// nor changed it already (then its image, or its absence, is kept). Bytes too
/// short for a header are kept too, for `check` to report.
fn needs_image(bytes: &[u8], import_id: u64) -> bool {
    crate::record::authors(bytes)
        .is_none_or(|(created_by, updated_by)| created_by != import_id && updated_by != import_id)
}

/// The records of one object inside a write session.
pub struct RecordTable<'txn> {
    session: &'txn WriteSession<'txn>,
    table: Table<'txn, u64, &'static [u8]>,
    /// Before-images kept by the call in progress, handed to the session at
    /// its end ([`WriteSession::hold_images`]).
    images: ImageRun,
    object: String,
    scratch: Vec<u8>,
}

impl RecordTable<'_> {
    /// Keeps `old`, the bytes of record `id` about to be overwritten by import
    /// `import_id`, as the record's before-image for that import (callers ask
    /// [`needs_image`] first). The session writes it when it commits.
    fn keep_before(&mut self, import_id: u64, id: u64, old: &[u8]) {
        self.images.push(import_id, id, old);
    }

    /// Writes new records, `(record ID, values)`, none of whose IDs is in the
    /// table. IDs from the sequence are ascending and above every ID in the table,
    /// and are appended through one cursor; an ID a row gave (`--create-with-ids`)
    /// below them is inserted where it belongs.
    pub fn append<'v>(
        &mut self,
        import_id: u64,
        records: impl IntoIterator<Item = (u64, Values<'v>)>,
    ) -> Result<(), StoreError> {
        let mut records = records.into_iter().peekable();
        guard(|| {
            while records.peek().is_some() {
                let mut cursor = self.table.upper_bound_mut(Bound::<u64>::Unbounded)?;
                let mut below = None;
                for (id, values) in records.by_ref() {
                    encode_record(id, import_id, import_id, values.bytes, &mut self.scratch);
                    match cursor.insert_before(id, self.scratch.as_slice()) {
                        Ok(()) => {}
                        Err(redb::CursorError::UnorderedKey) => {
                            below = Some(id);
                            break;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                drop(cursor);
                if let Some(id) = below
                    && self.table.insert(id, self.scratch.as_slice())?.is_some()
                {
                    return Err(StoreError::RecordExists { object: self.object.clone(), id });
                }
            }
            Ok(())
        })
    }

    /// Writes records merged against the snapshot ([`RecordReader::premerge`]),
    /// `(record ID, slot)`, overwriting those stored. Give IDs in ascending order
    /// for locality. The caller vouches that this import has not changed those
    /// records since the snapshot (the planner tracks it).
    pub fn write_merged(
        &mut self,
        import_id: u64,
        merged: &Premerged,
        writes: impl IntoIterator<Item = (u64, MergedSlot)>,
    ) -> Result<(), StoreError> {
        guard(|| {
            let mut old = Vec::new();
            for (id, slot) in writes {
                let bytes = merged.bytes(slot);
                debug_assert!(crate::record::is_valid(bytes, id), "record {id} written with a bad checksum");
                // Only the first change of a record by this import keeps its bytes.
                let keep = match self.table.insert(id, bytes)? {
                    Some(was) if needs_image(was.value(), import_id) => {
                        old.clear();
                        old.extend_from_slice(was.value());
                        true
                    }
                    _ => false,
                };
                if keep {
                    self.keep_before(import_id, id, &old);
                }
            }
            Ok(())
        })?;
        self.session.hold_images(&self.object, &mut self.images)
    }

    /// Applies updates in order, each merging its values into the stored record
    /// by `policy`, and pushes one outcome per update; with `replaced`, also the
    /// values the updates replaced (the before-images).
    ///
    /// Consecutive updates of one record are merged one after the other in memory
    /// and the record is written once: the same outcomes and the same record as
    /// writing after each, with one B-tree descent per run instead of per update.
    pub fn update<'v>(
        &mut self,
        import_id: u64,
        updates: impl IntoIterator<Item = (u64, Values<'v>)>,
        policy: &MergePolicy,
        outcomes: &mut Vec<UpdateOutcome>,
        mut replaced: Option<&mut ReplacedValues>,
    ) -> Result<(), StoreError> {
        guard(|| {
            let mut updates = updates.into_iter().peekable();
            let mut current = Vec::new();
            let mut original = Vec::new();
            while let Some((id, mut changes)) = updates.next() {
                // One descent per run of updates of one record.
                let redb::Entry::Occupied(mut entry) = self.table.entry(id)? else {
                    return Err(StoreError::MissingRecord { object: self.object.clone(), id });
                };
                current.clear();
                current.extend_from_slice(entry.get()?.value());
                let keep = needs_image(&current, import_id);
                if keep {
                    original.clone_from(&current);
                }
                let mut changed = false;
                loop {
                    let record = RawRecord::parse(&current, id).map_err(corrupt(&self.object, id))?;
                    let merged = merge_into(
                        &record,
                        changes.bytes,
                        policy,
                        import_id,
                        &mut self.scratch,
                        replaced.as_deref_mut(),
                    );
                    let held_back = merged.held_back;
                    if merged.changed {
                        std::mem::swap(&mut current, &mut self.scratch);
                        changed = true;
                        outcomes.push(UpdateOutcome::Updated { held_back });
                    } else {
                        outcomes.push(UpdateOutcome::Unchanged { held_back });
                    }
                    match updates.next_if(|&(next, _)| next == id) {
                        Some((_, next)) => changes = next,
                        None => break,
                    }
                }
                if changed {
                    entry.insert(current.as_slice())?;
                    if keep {
                        self.keep_before(import_id, id, &original);
                    }
                }
            }
            Ok(())
        })?;
        self.session.hold_images(&self.object, &mut self.images)
    }
}

/// The bit of an index entry that marks its key as a secondary value of the
/// record (a contact's additional email in the index of `email`): the entry is
/// the record ID, or the record ID with this bit set.
pub const SECONDARY: u64 = 1 << 63;

/// One identifier index inside a write session. Its entries map a normalized
/// value to the record holding it (see [`SECONDARY`]).
pub struct IndexTable<'txn> {
    table: Table<'txn, &'static [u8], u64>,
}

impl IndexTable<'_> {
    /// Inserts `(key, record ID)` entries given in strictly ascending key order.
    ///
    /// Keys are spliced in through a cursor: a run of keys that fall into the same
    /// gap of the B-tree costs one descent (appending to an empty or smaller index is
    /// one run). A key already present is overwritten through a plain insert.
    pub fn put_sorted<'k>(
        &mut self,
        entries: impl IntoIterator<Item = (&'k [u8], u64)>,
    ) -> Result<(), StoreError> {
        let mut entries = entries.into_iter().peekable();
        guard(|| {
            while let Some(&(first, _)) = entries.peek() {
                let mut cursor = self.table.lower_bound_mut(Bound::Included(first))?;
                let mut placed = false;
                while let Some(&(key, id)) = entries.peek() {
                    match cursor.insert_before(key, id) {
                        Ok(()) => {
                            placed = true;
                            entries.next();
                        }
                        Err(redb::CursorError::UnorderedKey) => break,
                        Err(e) => return Err(e.into()),
                    }
                }
                drop(cursor);
                if !placed {
                    // The first key of this run equals the entry after the gap: overwrite it.
                    let (key, id) = entries.next().expect("peeked");
                    self.table.insert(key, id)?;
                }
            }
            Ok(())
        })
    }

    /// Removes keys.
    pub fn remove<'k>(&mut self, keys: impl IntoIterator<Item = &'k [u8]>) -> Result<(), StoreError> {
        guard(|| {
            for key in keys {
                self.table.remove(key)?;
            }
            Ok(())
        })
    }
}

/// Point reads of one identifier index in a snapshot (one table open for many
/// reads), for an import that looks up few keys.
pub struct IndexReader {
    table: Option<ReadOnlyTable<&'static [u8], u64>>,
}

impl IndexReader {
    /// The index entry of `key` (as [`ReadSession::lookup_entry`]).
    pub fn get(&self, key: &[u8]) -> Result<Option<u64>, StoreError> {
        let Some(table) = &self.table else {
            return Ok(None);
        };
        guard(|| Ok(table.get(key)?.map(|g| g.value())))
    }
}

impl std::fmt::Debug for IndexReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexReader").finish_non_exhaustive()
    }
}

/// Point reads of one object's records in a snapshot (one table open for many reads).
pub struct RecordReader {
    table: Option<ReadOnlyTable<u64, &'static [u8]>>,
    object: String,
}

impl RecordReader {
    /// A reader that finds nothing.
    pub fn empty() -> Self {
        Self { table: None, object: String::new() }
    }

    /// Merges each `(record ID, values)` (IDs ascending, repeats allowed) into the
    /// record as stored in this snapshot, by `policy`, as an update by `import_id`
    /// would: one outcome per item, and the merged records of those that change.
    /// Dense IDs are read with one range scan instead of one B-tree descent each;
    /// the first corrupt record stops with [`StoreError::CorruptRecord`].
    ///
    /// Pieces of an import premerge in parallel; the planner keeps a premerge only
    /// while the import has not changed that record ([`RecordTable::write_merged`]).
    pub fn premerge(
        &self,
        import_id: u64,
        items: &[(u64, Values<'_>)],
        policy: &MergePolicy,
    ) -> Result<Premerged, StoreError> {
        let mut out = Premerged {
            arena: Vec::new(),
            spans: Vec::new(),
            outcomes: Vec::with_capacity(items.len()),
            held_back: Vec::new(),
        };
        let mut scratch = Vec::new();
        self.with_sorted(items.iter().map(|(id, _)| *id), items.len(), |i, record| {
            let outcome = match record {
                None => Premerge::Missing,
                Some(record) => {
                    let merged = merge_into(&record, items[i].1.bytes, policy, import_id, &mut scratch, None);
                    if merged.held_back {
                        out.held_back.push(i);
                    }
                    if merged.changed {
                        let from = out.arena.len() as u32;
                        out.arena.extend_from_slice(&scratch);
                        out.spans.push((from, out.arena.len() as u32));
                        Premerge::Changed(MergedSlot(out.spans.len() as u32 - 1))
                    } else {
                        Premerge::Unchanged
                    }
                }
            };
            out.outcomes.push(outcome);
        })?;
        Ok(out)
    }

    /// Calls `f(i, record)` for the `i`-th of `n` ascending IDs with the stored
    /// record, if it exists, its checksum and structure verified.
    fn with_sorted(
        &self,
        ids: impl Iterator<Item = u64> + Clone,
        n: usize,
        mut f: impl FnMut(usize, Option<RawRecord<'_>>),
    ) -> Result<(), StoreError> {
        debug_assert!(ids.clone().is_sorted());
        let (Some(table), Some(first), Some(last)) = (&self.table, ids.clone().next(), ids.clone().last())
        else {
            (0..n).for_each(|i| f(i, None));
            return Ok(());
        };
        let object = self.object.as_str();
        guard(|| {
            if last - first < 4 * n as u64 {
                let mut range = table.range(first..=last)?;
                let mut current = range.next().transpose()?;
                for (i, id) in ids.enumerate() {
                    while current.as_ref().is_some_and(|(k, _)| k.value() < id) {
                        current = range.next().transpose()?;
                    }
                    match &current {
                        Some((k, v)) if k.value() == id => {
                            let record = RawRecord::parse(v.value(), id).map_err(corrupt(object, id))?;
                            callback(|| f(i, Some(record)));
                        }
                        _ => callback(|| f(i, None)),
                    }
                }
            } else {
                for (i, id) in ids.enumerate() {
                    match table.get(id)? {
                        Some(g) => {
                            let record = RawRecord::parse(g.value(), id).map_err(corrupt(object, id))?;
                            callback(|| f(i, Some(record)));
                        }
                        None => callback(|| f(i, None)),
                    }
                }
            }
            Ok(())
        })
    }
}

/// What merging a row into its stored record gives ([`RecordReader::premerge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Premerge {
    /// The record does not exist in the snapshot.
    Missing,
    /// The row changes nothing.
    Unchanged,
    /// The row changes the record into the merged record in this slot.
    Changed(MergedSlot),
}

/// A merged record held by a [`Premerged`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedSlot(u32);

/// The results of one [`RecordReader::premerge`]: an outcome per item and the
/// merged records.
#[derive(Debug, Default)]
pub struct Premerged {
    arena: Vec<u8>,
    spans: Vec<(u32, u32)>,
    /// One per item, in the items' order.
    pub outcomes: Vec<Premerge>,
    /// The items (indices) whose merge held a value back (a forward-only property).
    pub held_back: Vec<usize>,
}

impl Premerged {
    fn bytes(&self, slot: MergedSlot) -> &[u8] {
        let (start, end) = self.spans[slot.0 as usize];
        &self.arena[start as usize..end as usize]
    }
}

/// A record read out of a snapshot, verified.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    id: u64,
    bytes: Vec<u8>,
}

impl StoredRecord {
    /// The record's ID.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The decoded record.
    pub fn view(&self) -> RecordView<'_> {
        RecordView::parse(&self.bytes, self.id).expect("verified when read")
    }
}

/// A consistent snapshot of the store.
pub struct ReadSession {
    txn: ReadTransaction,
}

fn missing_is_empty<T>(r: Result<T, TableError>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl ReadSession {
    pub(crate) fn begin(db: &impl ReadableDatabase) -> Result<Self, StoreError> {
        guard(|| Ok(Self { txn: db.begin_read()? }))
    }

    pub(crate) fn txn(&self) -> &ReadTransaction {
        &self.txn
    }

    fn records_table(&self, object: &str) -> Result<Option<ReadOnlyTable<u64, &'static [u8]>>, StoreError> {
        let name = tables::records_name(object);
        missing_is_empty(self.txn.open_table(tables::records(&name)))
    }

    fn index_table(
        &self,
        object: &str,
        property: PropertyId,
    ) -> Result<Option<ReadOnlyTable<&'static [u8], u64>>, StoreError> {
        let name = tables::index_name(object, property);
        missing_is_empty(self.txn.open_table(tables::index(&name)))
    }

    /// Number of records of `object`.
    pub fn record_count(&self, object: &str) -> Result<u64, StoreError> {
        guard(|| {
            Ok(match self.records_table(object)? {
                Some(t) => t.len()?,
                None => 0,
            })
        })
    }

    /// One record, verified.
    pub fn record(&self, object: &str, id: u64) -> Result<Option<StoredRecord>, StoreError> {
        guard(|| {
            let Some(table) = self.records_table(object)? else {
                return Ok(None);
            };
            let Some(stored) = table.get(id)? else {
                return Ok(None);
            };
            let bytes = stored.value();
            RecordView::parse(bytes, id).map_err(corrupt(object, id))?;
            Ok(Some(StoredRecord { id, bytes: bytes.to_vec() }))
        })
    }

    /// Opens the records of `object` for many point reads.
    pub fn record_reader(&self, object: &str) -> Result<RecordReader, StoreError> {
        guard(|| Ok(RecordReader { table: self.records_table(object)?, object: object.to_owned() }))
    }

    /// Calls `f` for every record of `object` in ID order; `f` returns false to stop.
    /// The first corrupt record stops the scan with [`StoreError::CorruptRecord`].
    pub fn for_each_record(
        &self,
        object: &str,
        mut f: impl FnMut(u64, RecordView<'_>) -> bool,
    ) -> Result<(), StoreError> {
        guard(|| {
            let Some(table) = self.records_table(object)? else {
                return Ok(());
            };
            for item in table.iter()? {
                let (k, v) = item?;
                let id = k.value();
                let view = RecordView::parse(v.value(), id).map_err(corrupt(object, id))?;
                if !callback(|| f(id, view)) {
                    break;
                }
            }
            Ok(())
        })
    }

    /// The schema of this snapshot.
    pub fn schema(&self) -> Result<Schema, StoreError> {
        guard(|| stored::read(&self.txn))
    }

    /// The record holding a normalized identifier, as the index of `object` on
    /// `property` says (as its primary value or as a secondary one).
    pub fn lookup(&self, object: &str, property: PropertyId, key: &[u8]) -> Result<Option<u64>, StoreError> {
        Ok(self.lookup_entry(object, property, key)?.map(|entry| entry & !SECONDARY))
    }

    /// The index entry of a normalized identifier: the record ID, with
    /// [`SECONDARY`] set when the key is one of the record's secondary values.
    pub fn lookup_entry(
        &self,
        object: &str,
        property: PropertyId,
        key: &[u8],
    ) -> Result<Option<u64>, StoreError> {
        guard(|| {
            let Some(table) = self.index_table(object, property)? else {
                return Ok(None);
            };
            Ok(table.get(key)?.map(|g| g.value()))
        })
    }

    /// Opens an identifier index for point reads.
    pub fn index_reader(&self, object: &str, property: PropertyId) -> Result<IndexReader, StoreError> {
        guard(|| Ok(IndexReader { table: self.index_table(object, property)? }))
    }

    /// Number of entries of an identifier index.
    pub fn index_len(&self, object: &str, property: PropertyId) -> Result<u64, StoreError> {
        guard(|| {
            Ok(match self.index_table(object, property)? {
                Some(t) => t.len()?,
                None => 0,
            })
        })
    }

    /// Calls `f` for every `(key, entry)` of an index whose key is in `range`, in
    /// key order (an entry is a record ID, with [`SECONDARY`] set for a secondary
    /// value). Disjoint ranges can be read from several threads at once.
    pub fn for_each_index_entry(
        &self,
        object: &str,
        property: PropertyId,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        mut f: impl FnMut(&[u8], u64),
    ) -> Result<(), StoreError> {
        guard(|| {
            let Some(table) = self.index_table(object, property)? else {
                return Ok(());
            };
            for item in table.range::<&[u8]>(range)? {
                let (k, v) = item?;
                callback(|| f(k.value(), v.value()));
            }
            Ok(())
        })
    }

    /// The next record ID of `object`.
    pub fn next_id(&self, object: &str) -> Result<u64, StoreError> {
        guard(|| {
            let Some(meta) = missing_is_empty(self.txn.open_table(META))? else {
                return Ok(1);
            };
            Ok(meta.get(tables::sequence_key(object).as_str())?.map_or(1, |v| v.value()))
        })
    }

    /// Every import in the log, oldest first, verified.
    pub fn imports(&self) -> Result<Vec<ImportEntry>, StoreError> {
        guard(|| {
            let Some(table) = missing_is_empty(self.txn.open_table(IMPORTS))? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for item in table.iter()? {
                let (k, v) = item?;
                let id = k.value();
                let entry = ImportEntry::decode(id, v.value())
                    .map_err(crate::entry::corrupt(crate::EntryTable::Imports, id))?;
                out.push(entry);
            }
            Ok(out)
        })
    }
}
