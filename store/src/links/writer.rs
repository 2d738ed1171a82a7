//! [`LinkWriter`]: the links of one write transaction, written for bulk loads.
//!
//! ## What it keeps in memory
//!
//! The link list ([`super::list`]) of every record it has touched, per table
//! (`link_lists/contacts/companies`, `link_lists/companies/contacts`, ...):
//! read from the table the first time, or known empty without a read for a
//! *fresh* record (one created in this transaction, whose ID is at or past its
//! object's record sequence and past every stored ID when the writer opened).
//! Fresh records' lists are a vector indexed by ID (records are created in ID
//! order), the others a hash map. A link is changed in the lists of both its
//! records; every question (is it there, a record's primary company, a record's
//! links, a pair's limit) is answered from the lists. A link's origin and labels
//! are interned, so an entry costs 16 bytes, and a list of one link is kept
//! inline.
//!
//! ## When it writes
//!
//! [`LinkWriter::finish`] writes every changed list, per table in ascending key
//! order, as blocks ([`super::block`]: the lists of 64 neighbouring records under
//! one key). A block of fresh records only (most of a first import's) is new and
//! appends at the table's end through one cursor, each leaf written once; a block
//! that may hold stored lists is read and merged. A block left without lists is
//! removed. Should the lists in memory pass [`SPILL_ENTRIES`], a
//! [`LinkWriter::flush`] writes them the same way and forgets them (memory stays
//! flat for any import); lists written so are read back from the table when
//! touched again.

use std::collections::BTreeMap;
use std::ops::Bound;

use ahash::AHashMap;
use redb::{ReadableTable, Table, WriteTransaction};
use smallvec::SmallVec;

use super::list::{self, Entry};
use super::{
    ChangeKind, DissociateOutcome, LinkChange, LinkOrigin, LinkOutcome, LinkRequest, LinkValue, RecordRef,
    block,
};
use crate::entry;
use crate::error::StoreError;
use crate::guard::guard;
use crate::schema::{COMPANIES, LabelId, Schema, primary_side};
use crate::session::WriteSession;
use crate::tables::{self, LINK_LOG_SEQUENCE, META, TableKind};

type ListTableW<'txn> = Table<'txn, u64, &'static [u8]>;

/// The entries of lists in memory past which [`LinkWriter::flush`] writes them
/// out (16 bytes each, plus the lists' own overhead).
pub const SPILL_ENTRIES: usize = 8 << 20;

/// How far past the end of a side's vector of fresh lists a record's list still
/// goes into it (the gap is filled with empty lists); further ones are kept in
/// a map.
const FRESH_GAP: u64 = 4096;

/// One link in a list in memory: the other record, the interned origin, and the
/// interned label set ([`Interned`]) shifted left by one over the primary flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    id: u64,
    origin: u32,
    meta: u32,
}

impl Slot {
    fn primary(self) -> bool {
        self.meta & 1 != 0
    }

    fn labels(self) -> usize {
        (self.meta >> 1) as usize
    }
}

/// A record's list in memory: slots by ID; `dirty` once changed.
#[derive(Debug, Default)]
struct List {
    slots: SmallVec<[Slot; 1]>,
    dirty: bool,
}

impl List {
    fn find(&self, id: u64) -> Result<usize, usize> {
        self.slots.binary_search_by_key(&id, |s| s.id)
    }
}

/// The origins and label sets of the links in memory, each stored once.
struct Interned {
    origins: Vec<LinkOrigin>,
    origin_ids: AHashMap<LinkOrigin, u32>,
    /// The origin interned last: most links of an import share it.
    last_origin: Option<(LinkOrigin, u32)>,
    /// Label sets, ascending; set 0 is the empty one.
    labels: Vec<Vec<LabelId>>,
    label_ids: AHashMap<Vec<LabelId>, u32>,
}

impl Interned {
    fn new() -> Self {
        Self {
            origins: Vec::new(),
            origin_ids: AHashMap::new(),
            last_origin: None,
            labels: vec![Vec::new()],
            label_ids: AHashMap::from_iter([(Vec::new(), 0)]),
        }
    }

    fn origin(&mut self, origin: LinkOrigin) -> u32 {
        if let Some((last, id)) = self.last_origin
            && last == origin
        {
            return id;
        }
        let id = *self.origin_ids.entry(origin).or_insert_with(|| {
            self.origins.push(origin);
            u32::try_from(self.origins.len() - 1).expect("fewer than 4G origins")
        });
        self.last_origin = Some((origin, id));
        id
    }

    fn labels(&mut self, labels: &[LabelId]) -> u32 {
        if labels.is_empty() {
            return 0;
        }
        if let Some(&id) = self.label_ids.get(labels) {
            return id;
        }
        self.labels.push(labels.to_vec());
        let id = u32::try_from(self.labels.len() - 1).ok().filter(|&id| id < 1 << 31);
        let id = id.expect("fewer than 2G label sets");
        self.label_ids.insert(labels.to_vec(), id);
        id
    }

    fn slot(&mut self, id: u64, value: &LinkValue) -> Slot {
        Slot {
            id,
            origin: self.origin(value.created),
            meta: self.labels(&value.labels) << 1 | u32::from(value.primary),
        }
    }

    fn value(&self, slot: Slot) -> LinkValue {
        LinkValue {
            primary: slot.primary(),
            labels: self.labels[slot.labels()].clone(),
            created: self.origins[slot.origin as usize],
        }
    }
}

/// Lists in memory below which [`LinkWriter::write_lists`] writes its tables on
/// one thread.
const PARALLEL_LISTS: usize = 4096;

/// One table (`link_lists/<from>/<to>`) and the lists of it in memory.
struct Side<'txn> {
    from: String,
    to: String,
    /// [`block::names`] of the table.
    names: Vec<u8>,
    table: ListTableW<'txn>,
    /// The schema's limit of links per `from` record with `to` records.
    limit: Option<u32>,
    /// [`primary_side`] of `(from, to)`: whether `from` is the record end of a
    /// primary company link (`Some(true)`), the company end, or neither.
    primary: Option<bool>,
    /// The first fresh record ID of `from`: no record at or past it has a list
    /// in the table (raised past the lists a spill wrote).
    fresh_from: u64,
    /// The lists of records `fresh_from..`, by `ID - fresh_from`.
    fresh: Vec<List>,
    /// The lists of records below `fresh_from`, by block: a block is read whole
    /// (every stored list of it is here once it is), and its lists are kept by
    /// offset, so that lists of neighbouring records sit together in memory.
    old: AHashMap<u64, OldBlock>,
    /// The lists of fresh records too far past the end of `fresh`; moved into
    /// it when it grows over them.
    far: BTreeMap<u64, List>,
}

/// The lists in memory of one block of records below a side's first fresh record:
/// those stored and those made since, by offset in the block.
#[derive(Debug)]
struct OldBlock {
    lists: Vec<(u8, List)>,
    /// Where each offset's list is in `lists`, plus one (0: none): a lookup
    /// touches one cache line, not a search's path through `lists`.
    at: [u8; block::BLOCK as usize],
}

impl Default for OldBlock {
    fn default() -> Self {
        Self { lists: Vec::new(), at: [0; block::BLOCK as usize] }
    }
}

impl OldBlock {
    fn get(&self, offset: u8) -> Option<&List> {
        let k = self.at[usize::from(offset)];
        (k != 0).then(|| &self.lists[usize::from(k) - 1].1)
    }

    fn get_mut(&mut self, offset: u8) -> Option<&mut List> {
        let k = self.at[usize::from(offset)];
        (k != 0).then(|| &mut self.lists[usize::from(k) - 1].1)
    }

    /// Puts `list` at `offset`, keeping `lists` by offset.
    fn insert(&mut self, offset: u8, list: List) {
        if let Some(there) = self.get_mut(offset) {
            *there = list;
            return;
        }
        let i = self.lists.partition_point(|e| e.0 < offset);
        self.lists.insert(i, (offset, list));
        for (k, e) in self.lists.iter().enumerate().skip(i) {
            self.at[usize::from(e.0)] = (k + 1) as u8;
        }
    }
}

impl Side<'_> {
    /// Record `id`'s list, if it is in memory.
    fn get(&self, id: u64) -> Option<&List> {
        if id < self.fresh_from {
            let (b, offset) = block::of(id);
            return self.old.get(&b)?.get(offset);
        }
        let i = id - self.fresh_from;
        if i < self.fresh.len() as u64 { Some(&self.fresh[i as usize]) } else { self.far.get(&id) }
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut List> {
        if id < self.fresh_from {
            let (b, offset) = block::of(id);
            return self.old.get_mut(&b)?.get_mut(offset);
        }
        let i = id - self.fresh_from;
        if i < self.fresh.len() as u64 { Some(&mut self.fresh[i as usize]) } else { self.far.get_mut(&id) }
    }

    /// Puts a fresh record's (empty) list in memory.
    fn add_fresh(&mut self, id: u64) {
        let i = id - self.fresh_from;
        let len = self.fresh.len() as u64;
        if i < len || self.far.contains_key(&id) {
            return;
        }
        if i > len + FRESH_GAP {
            self.far.insert(id, List::default());
            return;
        }
        let end = self.fresh_from + i + 1;
        self.fresh.resize_with((i + 1) as usize, List::default);
        // Lists kept far that the vector now covers move into it.
        if !self.far.is_empty() {
            let covered: Vec<u64> = self.far.range(..end).map(|(&k, _)| k).collect();
            for k in covered {
                let list = self.far.remove(&k).expect("listed");
                self.fresh[(k - self.fresh_from) as usize] = list;
            }
        }
    }

    /// The lists in memory (the work of writing them out).
    fn lists(&self) -> usize {
        self.fresh.len() + self.far.len() + self.old.values().map(|o| o.lists.len()).sum::<usize>()
    }

    /// The changed lists, in ID order.
    fn dirty(&self) -> impl Iterator<Item = (u64, &List)> {
        let mut blocks: Vec<(u64, &OldBlock)> = self.old.iter().map(|(&b, o)| (b, o)).collect();
        blocks.sort_unstable_by_key(|e| e.0);
        let old = blocks.into_iter().flat_map(|(b, o)| {
            o.lists.iter().filter(|(_, l)| l.dirty).map(move |(offset, l)| (block::record(b, *offset), l))
        });
        let base = self.fresh_from;
        let fresh =
            self.fresh.iter().enumerate().filter(|(_, l)| l.dirty).map(move |(i, l)| (base + i as u64, l));
        let far = self.far.iter().filter(|(_, l)| l.dirty).map(|(&k, l)| (k, l));
        old.into_iter().chain(fresh).chain(far)
    }
}

/// Writes links inside a write session, keeping the tables it touched open.
pub struct LinkWriter<'txn> {
    txn: &'txn WriteTransaction,
    schema: Schema,
    /// The tables used so far (a handful: found by a scan).
    sides: Vec<Side<'txn>>,
    /// Per object: the first record ID of this transaction (the record sequence
    /// when the writer was opened, past every stored ID).
    fresh_from: AHashMap<String, u64>,
    interned: Interned,
    /// Entries of the lists in memory.
    entries: usize,
    /// [`SPILL_ENTRIES`] unless set ([`LinkWriter::spill_at`]).
    spill: usize,
    logs: AHashMap<String, ListLogW<'txn>>,
    next_seq: u64,
    seq_changed: bool,
}

type ListLogW<'txn> = Table<'txn, (u64, u64), &'static [u8]>;

impl WriteSession<'_> {
    /// Opens the links for writing. Call [`LinkWriter::finish`] before committing.
    pub fn links(&self) -> Result<LinkWriter<'_>, StoreError> {
        let schema = self.schema()?;
        let mut fresh_from = AHashMap::new();
        for object in schema.names() {
            fresh_from.insert(object.to_owned(), self.next_id(object)?);
        }
        guard(|| {
            let txn = self.txn();
            // Past every stored record, whatever the sequence says.
            for t in txn.list_tables()? {
                if let Some(TableKind::Records(object)) = tables::table_kind(redb::TableHandle::name(&t)) {
                    let last = txn
                        .open_table(tables::records(redb::TableHandle::name(&t)))?
                        .last()?
                        .map(|(k, _)| k.value());
                    if let Some(last) = last {
                        let from = fresh_from.entry(object.to_owned()).or_insert(1);
                        *from = (*from).max(last + 1);
                    }
                }
            }
            let next_seq = txn.open_table(META)?.get(LINK_LOG_SEQUENCE)?.map_or(1, |v| v.value());
            Ok(LinkWriter {
                txn,
                schema,
                sides: Vec::new(),
                fresh_from,
                interned: Interned::new(),
                entries: 0,
                spill: SPILL_ENTRIES,
                logs: AHashMap::new(),
                next_seq,
                seq_changed: false,
            })
        })
    }

    /// Whether record `id` of `object` exists.
    pub fn record_exists(&self, object: &str, id: u64) -> Result<bool, StoreError> {
        guard(|| {
            let name = tables::records_name(object);
            match self.txn().open_table(tables::records(&name)) {
                Ok(t) => Ok(t.get(id)?.is_some()),
                Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }
}

impl LinkWriter<'_> {
    /// The index of table `<from>/<to>`, opened on first use.
    fn side(&mut self, from: &str, to: &str) -> Result<usize, StoreError> {
        if let Some(i) = self.sides.iter().position(|s| s.from == from && s.to == to) {
            return Ok(i);
        }
        let table = self.txn.open_table(tables::links(&tables::links_name(from, to)))?;
        self.sides.push(Side {
            from: from.to_owned(),
            to: to.to_owned(),
            names: block::names(from, to),
            table,
            limit: self.schema.association_limit(from, to),
            primary: primary_side(from, to),
            fresh_from: self.fresh_from.get(from).copied().unwrap_or(1),
            fresh: Vec::new(),
            old: AHashMap::new(),
            far: BTreeMap::new(),
        });
        Ok(self.sides.len() - 1)
    }

    /// Record `x`'s list of links with `to`, loaded into memory: the side's index.
    fn load(&mut self, x: RecordRef<'_>, to: &str) -> Result<usize, StoreError> {
        let s = self.side(x.0, to)?;
        self.load_in(s, x)?;
        Ok(s)
    }

    /// Loads record `x`'s list of side `s` into memory.
    fn load_in(&mut self, s: usize, x: RecordRef<'_>) -> Result<(), StoreError> {
        let Self { sides, interned, entries, .. } = self;
        let side = &mut sides[s];
        if x.1 >= side.fresh_from {
            side.add_fresh(x.1);
            return Ok(());
        }
        let (b, at) = block::of(x.1);
        if let Some(old) = side.old.get_mut(&b) {
            // A record of a loaded block without a list has none.
            if old.get(at).is_none() {
                old.insert(at, List::default());
            }
            return Ok(());
        }
        // The whole block is read: its other records' lists are loaded too (a
        // re-import touches records in ID order).
        let mut old = OldBlock::default();
        if let Some(value) = side.table.get(b)? {
            let corrupt = |reason| StoreError::CorruptLink {
                link: format!(
                    "links of {} {}..={} with {}",
                    x.0,
                    block::record(b, 0),
                    block::last_record(b),
                    side.to
                ),
                reason,
            };
            let lists = block::decode(value.value(), block::seed(&side.names, b)).map_err(corrupt)?;
            old.lists.reserve(lists.len() + 1);
            for (offset, bytes) in lists {
                if block::record(b, offset) >= side.fresh_from {
                    continue;
                }
                let mut loaded = List::default();
                list::decode(bytes, |e: Entry| {
                    let value = LinkValue { primary: e.primary, labels: e.labels, created: e.created };
                    loaded.slots.push(interned.slot(e.id, &value));
                })
                .map_err(corrupt)?;
                *entries += loaded.slots.len();
                old.insert(offset, loaded);
            }
        }
        if old.get(at).is_none() {
            old.insert(at, List::default());
        }
        side.old.insert(b, old);
        Ok(())
    }

    fn list(&self, s: usize, id: u64) -> &List {
        self.sides[s].get(id).expect("loaded")
    }

    fn get(&mut self, a: RecordRef<'_>, b: RecordRef<'_>) -> Result<Option<LinkValue>, StoreError> {
        let s = self.load(a, b.0)?;
        let list = self.list(s, a.1);
        Ok(list.find(b.1).ok().map(|i| self.interned.value(list.slots[i])))
    }

    /// Sets (or with `None` removes) the link of `a` and `b` in both records' lists.
    fn set(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        value: Option<&LinkValue>,
    ) -> Result<(), StoreError> {
        // The value's interned origin and labels, the same in both lists.
        let interned = value.map(|v| self.interned.slot(0, v));
        for (x, y) in [(a, b), (b, a)] {
            let s = self.load(x, y.0)?;
            let slot = interned.map(|slot| Slot { id: y.1, ..slot });
            let list = self.sides[s].get_mut(x.1).expect("loaded");
            match (list.find(y.1), slot) {
                (Ok(i), Some(slot)) => list.slots[i] = slot,
                (Ok(i), None) => {
                    list.slots.remove(i);
                    self.entries -= 1;
                }
                (Err(i), Some(slot)) => {
                    list.slots.insert(i, slot);
                    self.entries += 1;
                }
                (Err(_), None) => continue,
            }
            list.dirty = true;
        }
        Ok(())
    }

    /// `x`'s links with records of `to`: `(their ID, value)` in ID order.
    fn links_of(&mut self, x: RecordRef<'_>, to: &str) -> Result<Vec<(u64, LinkValue)>, StoreError> {
        let s = self.load(x, to)?;
        let list = self.list(s, x.1);
        Ok(list.slots.iter().map(|&slot| (slot.id, self.interned.value(slot))).collect())
    }

    /// The primary company of `record` (a record of a primary-company object), 0
    /// for none.
    fn primary_of(&mut self, record: RecordRef<'_>) -> Result<u64, StoreError> {
        let s = self.load(record, COMPANIES)?;
        Ok(self.list(s, record.1).slots.iter().find(|slot| slot.primary()).map_or(0, |slot| slot.id))
    }

    /// Makes [`LinkWriter::flush`] write the lists out past `entries` entries in
    /// memory instead of [`SPILL_ENTRIES`] (tests; 0 writes at every flush).
    pub fn spill_at(&mut self, entries: usize) {
        self.spill = entries;
    }

    /// Writes the lists in memory out if they hold more than [`SPILL_ENTRIES`]
    /// entries, and forgets them (the commit stage calls it after every piece).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.entries <= self.spill {
            return Ok(());
        }
        self.write_lists()?;
        for side in &mut self.sides {
            // Every list in memory is in the table now: records past them are
            // still fresh.
            let past_old = side
                .old
                .iter()
                .filter_map(|(&b, o)| o.lists.last().map(|&(offset, _)| block::record(b, offset) + 1))
                .max()
                .unwrap_or(0);
            let past_far = side.far.keys().next_back().map_or(0, |&k| k + 1);
            let past_fresh = side.fresh_from + side.fresh.len() as u64;
            side.fresh_from = past_fresh.max(past_old).max(past_far);
            side.fresh = Vec::new();
            side.old = AHashMap::new();
            side.far.clear();
        }
        self.entries = 0;
        Ok(())
    }

    /// Writes every changed list, per table in key order (see the module docs).
    ///
    /// The tables are shared out between two threads (each table written by one),
    /// the largest first to the less loaded one: at the end of an import this is
    /// the last work before the commit.
    fn write_lists(&mut self) -> Result<(), StoreError> {
        let Self { sides, interned, .. } = self;
        let interned = &*interned;
        let mut sides: Vec<(usize, &mut Side<'_>)> = sides.iter_mut().map(|s| (s.lists(), s)).collect();
        sides.sort_by_key(|e| std::cmp::Reverse(e.0));
        let (mut mine, mut other) = (Vec::new(), Vec::new());
        let (mut load, mut other_load) = (0, 0);
        for (lists, side) in sides {
            if load <= other_load {
                load += lists;
                mine.push(side);
            } else {
                other_load += lists;
                other.push(side);
            }
        }
        let write = |group: Vec<&mut Side<'_>>| {
            guard(|| {
                for side in group {
                    let (order, bytes) = encode_side(side, interned)?;
                    write_run(&mut side.table, &order, &bytes)?;
                    let old = side.old.values_mut().flat_map(|o| o.lists.iter_mut().map(|(_, l)| l));
                    for list in side.fresh.iter_mut().chain(old).chain(side.far.values_mut()) {
                        list.dirty = false;
                    }
                }
                Ok(())
            })
        };
        if other_load < PARALLEL_LISTS {
            mine.append(&mut other);
            return write(mine);
        }
        std::thread::scope(|s| {
            let theirs = s.spawn(|| write(other));
            let ours = write(mine);
            ours.and(
                theirs.join().unwrap_or_else(|_| Err(StoreError::Panicked { message: "link lists".into() })),
            )
        })
    }

    /// Logs a change of the link `a`-`b` on both records; a removal gives the
    /// removed link's value (its creation and primary flag go into the log).
    fn log(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        kind: ChangeKind,
        labels: &[LabelId],
        origin: LinkOrigin,
        removed: Option<&LinkValue>,
    ) -> Result<(), StoreError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq_changed = true;
        let (created, primary) = removed.map_or((None, false), |v| (Some(v.created), v.primary));
        for (x, y) in [(a, b), (b, a)] {
            let change = LinkChange {
                seq,
                object: y.0.to_owned(),
                id: y.1,
                kind,
                labels: labels.to_vec(),
                origin,
                created,
                primary,
            };
            let name = tables::link_log_name(x.0);
            if !self.logs.contains_key(&name) {
                let table = self.txn.open_table(tables::link_log(&name))?;
                self.logs.insert(name.clone(), table);
            }
            let log = self.logs.get_mut(&name).expect("just opened");
            log.insert((x.1, seq), entry::encode(seq, &change).as_slice())?;
        }
        Ok(())
    }

    /// The record and company ends of a primary-capable link, or `None`.
    fn primary_ends<'r>(a: RecordRef<'r>, b: RecordRef<'r>) -> Option<(RecordRef<'r>, RecordRef<'r>)> {
        if primary_side(a.0, b.0)? { Some((a, b)) } else { Some((b, a)) }
    }

    /// Unsets the primary flag of `record`'s current primary company link, if any
    /// other than `except`.
    fn unset_primary(
        &mut self,
        record: RecordRef<'_>,
        except: u64,
        origin: LinkOrigin,
    ) -> Result<(), StoreError> {
        let current = self.primary_of(record)?;
        if current == 0 || current == except {
            return Ok(());
        }
        let company = (COMPANIES, current);
        let mut value = self.get(record, company)?.ok_or_else(|| {
            StoreError::Association(format!(
                "the primary company {current} of {} {} is not linked",
                record.0, record.1
            ))
        })?;
        value.primary = false;
        self.set(record, company, Some(&value))?;
        self.log(record, company, ChangeKind::PrimaryUnset, &[], origin, None)
    }

    /// Links `a` and `b` (both must exist; the caller checks), adding `req`'s labels
    /// to an existing link. See the module docs of [`crate::links`] for the primary
    /// and limit rules.
    pub fn associate(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        req: &LinkRequest<'_>,
    ) -> Result<LinkOutcome, StoreError> {
        if a == b {
            return Err(StoreError::Association(format!("{} {} cannot be associated with itself", a.0, a.1)));
        }
        guard(|| {
            let (sa, sb) = (self.side(a.0, b.0)?, self.side(b.0, a.0)?);
            let ends = match self.sides[sa].primary {
                Some(true) => Some((a, b)),
                Some(false) => Some((b, a)),
                None => None,
            };
            self.load_in(sa, a)?;
            let list = self.list(sa, a.1);
            let found = list.find(b.1).ok().map(|i| self.interned.value(list.slots[i]));
            if let Some(mut value) = found {
                let mut labels_added: Vec<LabelId> =
                    req.labels.iter().copied().filter(|l| !value.labels.contains(l)).collect();
                labels_added.sort_unstable();
                labels_added.dedup();
                value.labels.extend(&labels_added);
                value.labels.sort_unstable();
                let primary_set = req.primary && ends.is_some() && !value.primary;
                if primary_set && let Some((record, company)) = ends {
                    self.unset_primary(record, company.1, req.origin)?;
                }
                value.primary |= primary_set;
                if !labels_added.is_empty() || primary_set {
                    self.set(a, b, Some(&value))?;
                }
                if !labels_added.is_empty() {
                    self.log(a, b, ChangeKind::LabelsAdded, &labels_added, req.origin, None)?;
                }
                if primary_set {
                    self.log(a, b, ChangeKind::PrimarySet, &[], req.origin, None)?;
                }
                return Ok(LinkOutcome::Existing { labels_added, primary_set });
            }
            // A new link.
            self.load_in(sb, b)?;
            for (s, x) in [(sa, a), (sb, b)] {
                if let Some(limit) = self.sides[s].limit
                    && self.list(s, x.1).slots.len() as u64 >= u64::from(limit)
                {
                    return Ok(LinkOutcome::LimitExceeded { object: x.0.to_owned(), id: x.1, limit });
                }
            }
            let mut primary = false;
            if let Some((record, company)) = ends {
                let side = if record == a { sa } else { sb };
                // A record with a company has a primary one.
                if !self.list(side, record.1).slots.iter().any(|slot| slot.primary()) {
                    primary = true;
                } else if req.primary {
                    self.unset_primary(record, company.1, req.origin)?;
                    primary = true;
                }
            }
            let slot = if req.labels.is_empty() {
                let origin = self.interned.origin(req.origin);
                Slot { id: 0, origin, meta: u32::from(primary) }
            } else {
                let mut labels = req.labels.to_vec();
                labels.sort_unstable();
                labels.dedup();
                self.interned.slot(0, &LinkValue { primary, labels, created: req.origin })
            };
            for (s, x, y) in [(sa, a, b), (sb, b, a)] {
                let list = self.sides[s].get_mut(x.1).expect("loaded");
                match list.find(y.1) {
                    // Only in a store whose lists disagree (`check` reports it).
                    Ok(i) => list.slots[i] = Slot { id: y.1, ..slot },
                    Err(i) => {
                        list.slots.insert(i, Slot { id: y.1, ..slot });
                        self.entries += 1;
                    }
                }
                list.dirty = true;
            }
            Ok(LinkOutcome::Created { primary })
        })
    }

    /// Removes the link of `a` and `b`. Removing a record's primary company link
    /// makes its only other company primary; with several others, `new_primary`
    /// (one of them) must say which (otherwise [`StoreError::Association`]). A
    /// `new_primary` given for a link that is not primary makes that company primary.
    pub fn dissociate(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        new_primary: Option<u64>,
        origin: LinkOrigin,
    ) -> Result<DissociateOutcome, StoreError> {
        guard(|| {
            let Some(value) = self.get(a, b)? else {
                return Ok(DissociateOutcome::NotLinked);
            };
            let mut promote = None;
            if let Some((record, company)) = Self::primary_ends(a, b) {
                let others: Vec<u64> = self
                    .links_of(record, COMPANIES)?
                    .into_iter()
                    .map(|(c, _)| c)
                    .filter(|&c| c != company.1)
                    .collect();
                match new_primary {
                    Some(p) if !others.contains(&p) => {
                        return Err(StoreError::Association(format!(
                            "company {p} is not associated with {} {}, so it cannot become its primary company",
                            record.0, record.1
                        )));
                    }
                    Some(p) => promote = Some(p),
                    None if value.primary && others.len() == 1 => promote = Some(others[0]),
                    None if value.primary && others.len() > 1 => {
                        let shown: Vec<String> = others.iter().take(20).map(u64::to_string).collect();
                        return Err(StoreError::Association(format!(
                            "company {} is the primary company of {} {}, which has {} other companies: say which becomes primary with --new-primary ID (one of {})",
                            company.1,
                            record.0,
                            record.1,
                            others.len(),
                            shown.join(", ")
                        )));
                    }
                    None => {}
                }
                self.set(a, b, None)?;
                self.log(a, b, ChangeKind::Removed, &value.labels, origin, Some(&value))?;
                if let Some(p) = promote {
                    self.unset_primary(record, p, origin)?;
                    let c = (COMPANIES, p);
                    let mut v = self.get(record, c)?.expect("listed above");
                    if !v.primary {
                        v.primary = true;
                        self.set(record, c, Some(&v))?;
                        self.log(record, c, ChangeKind::PrimarySet, &[], origin, None)?;
                    }
                }
            } else {
                if new_primary.is_some() {
                    return Err(StoreError::Association(format!(
                        "{} and {} records have no primary company link",
                        a.0, b.0
                    )));
                }
                self.set(a, b, None)?;
                self.log(a, b, ChangeKind::Removed, &value.labels, origin, Some(&value))?;
            }
            Ok(DissociateOutcome::Removed { new_primary: promote })
        })
    }

    /// The primary company of `record` (a contact, deal or ticket), if it has one.
    pub fn primary_company(&mut self, record: RecordRef<'_>) -> Result<Option<u64>, StoreError> {
        if primary_side(record.0, COMPANIES) != Some(true) {
            return Ok(None);
        }
        guard(|| Ok(Some(self.primary_of(record)?).filter(|&c| c != 0)))
    }

    /// Removes the link of `a` and `b` as an undo or a record's deletion does:
    /// without the primary rules (the state being restored had them), logged on
    /// both records as a removal by `origin`. Returns whether there was a link.
    pub(crate) fn remove_raw(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        origin: LinkOrigin,
    ) -> Result<bool, StoreError> {
        guard(|| {
            let Some(value) = self.get(a, b)? else {
                return Ok(false);
            };
            self.set(a, b, None)?;
            self.log(a, b, ChangeKind::Removed, &value.labels, origin, Some(&value))?;
            Ok(true)
        })
    }

    /// Takes back a change `kind` (labels added, primary set or unset) of the link
    /// of `a` and `b`, logged as its opposite by `origin`. Returns whether the link
    /// was there to change.
    pub(crate) fn reverse_raw(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        kind: ChangeKind,
        labels: &[LabelId],
        origin: LinkOrigin,
    ) -> Result<bool, StoreError> {
        guard(|| {
            let Some(mut value) = self.get(a, b)? else {
                return Ok(false);
            };
            let (opposite, logged): (ChangeKind, Vec<LabelId>) = match kind {
                ChangeKind::LabelsAdded => {
                    let removed: Vec<LabelId> =
                        value.labels.iter().copied().filter(|l| labels.contains(l)).collect();
                    value.labels.retain(|l| !labels.contains(l));
                    (ChangeKind::LabelsRemoved, removed)
                }
                ChangeKind::PrimarySet => {
                    value.primary = false;
                    (ChangeKind::PrimaryUnset, Vec::new())
                }
                ChangeKind::PrimaryUnset => {
                    value.primary = true;
                    (ChangeKind::PrimarySet, Vec::new())
                }
                ChangeKind::Created | ChangeKind::Removed | ChangeKind::LabelsRemoved => return Ok(false),
            };
            self.set(a, b, Some(&value))?;
            self.log(a, b, opposite, &logged, origin, None)?;
            Ok(true)
        })
    }

    /// The records of `to` that record `x` is linked with.
    pub(crate) fn linked(&mut self, x: RecordRef<'_>, to: &str) -> Result<Vec<u64>, StoreError> {
        guard(|| Ok(self.links_of(x, to)?.into_iter().map(|(id, _)| id).collect()))
    }

    /// Puts back a link a deletion removed (`created`, `labels`, `primary` as its
    /// removal logged them), logged as made again by `origin`. Returns whether it
    /// was missing.
    pub(crate) fn restore_raw(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        (created, labels, primary): (LinkOrigin, &[LabelId], bool),
        origin: LinkOrigin,
    ) -> Result<bool, StoreError> {
        guard(|| {
            if self.get(a, b)?.is_some() {
                return Ok(false);
            }
            // The record may have a primary company again since (a link made after
            // the removal): it keeps that one, and this link comes back without
            // the flag.
            let primary = match Self::primary_ends(a, b) {
                Some((record, _)) if primary => self.primary_of(record)? == 0,
                _ => primary,
            };
            let value = LinkValue { primary, labels: labels.to_vec(), created };
            self.set(a, b, Some(&value))?;
            self.log(a, b, ChangeKind::Created, labels, origin, None)?;
            Ok(true)
        })
    }

    /// Writes every changed list and the change sequence, and closes the tables.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.write_lists()?;
        let Self { txn, sides, logs, next_seq, seq_changed, .. } = self;
        drop(sides);
        drop(logs);
        if seq_changed {
            guard(|| {
                txn.open_table(META)?.insert(LINK_LOG_SEQUENCE, next_seq)?;
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// Blocks to write, in key order: `(block, value start, value end)` into a
/// buffer of values.
type Run = Vec<(u64, usize, usize)>;

/// The changed blocks of `side`, in key order: `(block, value start, value
/// end)` into the returned bytes (an empty range removes the block). A block
/// that may hold stored lists (below the side's first fresh record) is read and
/// merged with the lists in memory.
fn encode_side(side: &Side<'_>, interned: &Interned) -> Result<(Run, Vec<u8>), StoreError> {
    let mut order: Run = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    // The lists of the current block: offset, and the range of its encoding in
    // `lists` (empty: the list is now empty).
    let mut current: Option<u64> = None;
    let mut members: Vec<(u8, usize, usize)> = Vec::with_capacity(block::BLOCK as usize);
    let mut lists: Vec<u8> = Vec::new();
    let mut merged: Vec<(u8, usize, usize)> = Vec::with_capacity(block::BLOCK as usize);
    let mut stored: Vec<u8> = Vec::new();
    let mut finish_block = |b: u64,
                            members: &mut Vec<(u8, usize, usize)>,
                            lists: &mut Vec<u8>,
                            bytes: &mut Vec<u8>|
     -> Result<(), StoreError> {
        let seed = block::seed(&side.names, b);
        let start = bytes.len();
        if block::record(b, 0) < side.fresh_from
            && let Some(value) = side.table.get(b)?
        {
            // Merge: the stored lists not in memory, and the ones in memory.
            stored.clear();
            stored.extend_from_slice(value.value());
            drop(value);
            let old = block::decode(&stored, seed)
                .map_err(|reason| StoreError::CorruptLink { link: format!("link block {b}"), reason })?;
            merged.clear();
            let (mut i, mut j) = (0, 0);
            while i < old.len() || j < members.len() {
                let take_old = j == members.len() || (i < old.len() && old[i].0 < members[j].0);
                if take_old {
                    let at = lists.len();
                    lists.extend_from_slice(old[i].1);
                    merged.push((old[i].0, at, lists.len()));
                    i += 1;
                } else {
                    if i < old.len() && old[i].0 == members[j].0 {
                        i += 1;
                    }
                    merged.push(members[j]);
                    j += 1;
                }
            }
            let kept: Vec<(u8, &[u8])> =
                merged.iter().filter(|m| m.1 != m.2).map(|&(o, s, e)| (o, &lists[s..e])).collect();
            if !kept.is_empty() {
                block::encode(kept.into_iter(), seed, bytes);
            }
        } else {
            let kept: Vec<(u8, &[u8])> =
                members.iter().filter(|m| m.1 != m.2).map(|&(o, s, e)| (o, &lists[s..e])).collect();
            if !kept.is_empty() {
                block::encode(kept.into_iter(), seed, bytes);
            }
        }
        order.push((b, start, bytes.len()));
        members.clear();
        lists.clear();
        Ok(())
    };
    for (id, list) in side.dirty() {
        let (b, offset) = block::of(id);
        if current.is_some_and(|c| c != b) {
            finish_block(current.expect("some"), &mut members, &mut lists, &mut bytes)?;
        }
        current = Some(b);
        let start = lists.len();
        if !list.slots.is_empty() {
            let slots = &list.slots;
            list::encode(
                slots.len(),
                |i| {
                    let s = slots[i];
                    (
                        s.id,
                        s.primary(),
                        interned.labels[s.labels()].as_slice(),
                        interned.origins[s.origin as usize],
                    )
                },
                &mut lists,
            );
        }
        members.push((offset, start, lists.len()));
    }
    if let Some(b) = current {
        finish_block(b, &mut members, &mut lists, &mut bytes)?;
    }
    Ok((order, bytes))
}

/// Writes one sorted run of `(block, value start, value end)` into `table` (an
/// empty range removes the block).
///
/// Keys past the table's last key (the blocks of fresh records) are appended
/// through one cursor, each leaf written once; the others are plain inserts and
/// removals, in key order.
fn write_run(
    table: &mut ListTableW<'_>,
    order: &[(u64, usize, usize)],
    bytes: &[u8],
) -> Result<(), StoreError> {
    let last = table.last()?.map(|(k, _)| k.value());
    let tail = last.map_or(0, |last| order.partition_point(|e| e.0 <= last));
    for &(key, start, end) in &order[..tail] {
        if start == end {
            table.remove(key)?;
        } else {
            table.insert(key, &bytes[start..end])?;
        }
    }
    let mut cursor = table.upper_bound_mut(Bound::<u64>::Unbounded)?;
    // Nothing past the last key can be removed.
    for &(key, start, end) in order[tail..].iter().filter(|e| e.1 != e.2) {
        cursor.insert_before(key, &bytes[start..end])?;
    }
    Ok(())
}
