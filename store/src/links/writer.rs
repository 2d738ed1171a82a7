//! [`LinkWriter`]: the links of one write transaction, written for bulk loads.
//!
//! ## What it keeps in memory
//!
//! Per object pair (one [`Pair`] for `contacts`-`companies`, another for
//! `companies`-`deals`, ...), in canonical order (`first <= second` by name):
//!
//! - the writes since the last [`LinkWriter::flush`], one entry per link whatever
//!   its direction, keyed `(first's record, second's record)` (for a pair of one
//!   object, `(lower ID, higher ID)`). A flush sorts them and writes each table in
//!   one ascending run: `links/<first>/<second>` by that key, `links/<second>/<first>`
//!   by the swapped key, each value encoded once for both;
//! - the links this writer made that have a *fresh* end: a record created in this
//!   transaction, whose ID is at or past the object's record sequence when the
//!   writer was opened. Such a record had no link before, so whether it is linked
//!   is answered from this set, without reading the table;
//! - for a record-company pair (contacts, deals, tickets with companies), the
//!   primary company of every record whose companies were asked about: fresh
//!   records in a vector by ID (every company link of theirs is this writer's),
//!   others in a map filled from the table the first time.
//!
//! Questions only the table can answer (all links of a record, a pair's limit)
//! flush first and then read it, so the table always has every write.

use std::ops::Bound;

use ahash::{AHashMap, AHashSet};
use redb::{ReadableTable, Table, TableHandle, WriteTransaction};

use super::{
    ChangeKind, DissociateOutcome, LinkChange, LinkOrigin, LinkOutcome, LinkRequest, LinkValue, RecordRef,
    corrupt_link, seed_names, seed_with,
};
use crate::entry;
use crate::error::StoreError;
use crate::guard::guard;
use crate::schema::{COMPANIES, LabelId, Schema, pair_order, primary_side};
use crate::session::WriteSession;
use crate::tables::{self, LINK_LOG_SEQUENCE, META, TableKind};

type LinkTableW<'txn> = Table<'txn, (u64, u64), &'static [u8]>;

/// A link's key in its [`Pair`]: `(first's record, second's record)`.
type Key = (u64, u64);

/// How far past the fresh records seen so far a fresh ID may be to be kept in
/// [`Primaries::fresh`].
const DENSE_GAP: u64 = 1 << 16;

/// The primary companies of one record-company pair's records (see the module docs).
#[derive(Default)]
struct Primaries {
    /// The record end is the pair's first object.
    record_first: bool,
    /// Fresh records (ID - the fresh start): their primary company, 0 for none.
    fresh: Vec<u64>,
    /// Other records asked about: their primary company, 0 for none.
    known: AHashMap<u64, u64>,
}

impl Primaries {
    /// The primary company of `record`, if known (always for a fresh record).
    fn slot(&mut self, record: u64, fresh_from: u64) -> Option<&mut u64> {
        if record < fresh_from || self.known.contains_key(&record) {
            return self.known.get_mut(&record);
        }
        let i = record - fresh_from;
        // Fresh IDs are dense (from the sequence); one given by the file
        // (`--create-with-ids`) far past them goes in the map.
        if i >= self.fresh.len() as u64 + DENSE_GAP {
            return Some(self.known.entry(record).or_insert(0));
        }
        let i = i as usize;
        if i >= self.fresh.len() {
            self.fresh.resize(i + 1, 0);
        }
        Some(&mut self.fresh[i])
    }
}

/// One object pair's tables and what the writer keeps of it.
struct Pair<'txn> {
    first: String,
    second: String,
    /// [`seed_names`] of the pair.
    names: Vec<u8>,
    /// `links/<first>/<second>`.
    forward: LinkTableW<'txn>,
    /// `links/<second>/<first>` (none for a pair of one object: both directions
    /// are in `forward`).
    backward: Option<LinkTableW<'txn>>,
    /// The first fresh record ID of `first` and of `second`.
    fresh_from: (u64, u64),
    /// Writes since the last flush: the new value, or `None` for a removal.
    pending: AHashMap<Key, Option<LinkValue>>,
    /// Present links with a fresh end that this writer made.
    made: AHashSet<Key>,
    /// For a record-company pair.
    primaries: Option<Primaries>,
}

impl Pair<'_> {
    /// The key of the link between `a` and `b` (records of this pair's objects).
    fn key(&self, a: RecordRef<'_>, b: RecordRef<'_>) -> Key {
        if self.first == self.second {
            (a.1.min(b.1), a.1.max(b.1))
        } else if a.0 == self.first {
            (a.1, b.1)
        } else {
            (b.1, a.1)
        }
    }

    fn is_fresh(&self, key: Key) -> bool {
        key.0 >= self.fresh_from.0 || key.1 >= self.fresh_from.1
    }

    /// The record and company IDs of a key of a record-company pair, with the
    /// record's fresh start.
    fn record_company(&self, key: Key) -> (u64, u64, u64) {
        let record_first = self.primaries.as_ref().is_some_and(|p| p.record_first);
        if record_first { (key.0, key.1, self.fresh_from.0) } else { (key.1, key.0, self.fresh_from.1) }
    }

    /// The first fresh record ID of `object`, one of the pair's.
    fn fresh_start(&self, object: &str) -> u64 {
        if object == self.first { self.fresh_from.0 } else { self.fresh_from.1 }
    }

    fn decode(&self, key: Key, bytes: &[u8]) -> Result<LinkValue, StoreError> {
        LinkValue::decode_seeded(bytes, seed_with(&self.names, key))
            .map_err(corrupt_link((&self.first, key.0), (&self.second, key.1)))
    }

    /// Records a write (see [`Pair::pending`]), keeping `made` and the primaries current.
    fn write(&mut self, key: Key, value: Option<LinkValue>) {
        if self.is_fresh(key) {
            if value.is_some() {
                self.made.insert(key);
            } else {
                self.made.remove(&key);
            }
        }
        let (record, company, fresh_from) = self.record_company(key);
        if let Some(primaries) = &mut self.primaries {
            let primary = value.as_ref().is_some_and(|v| v.primary);
            if let Some(slot) = primaries.slot(record, fresh_from) {
                if primary {
                    *slot = company;
                } else if *slot == company {
                    *slot = 0;
                }
            }
        }
        self.pending.insert(key, value);
    }
}

/// Writes links inside a write session, keeping the tables it touched open.
pub struct LinkWriter<'txn> {
    txn: &'txn WriteTransaction,
    schema: Schema,
    /// The object pairs written so far (a handful: found by a scan).
    pairs: Vec<Pair<'txn>>,
    /// Per object: the first record ID of this transaction (the record sequence
    /// when the writer was opened).
    fresh_from: AHashMap<String, u64>,
    logs: AHashMap<String, LinkTableW<'txn>>,
    next_seq: u64,
    seq_changed: bool,
    /// Flush buffers, reused.
    order: Vec<(Key, u32, u32)>,
    bytes: Vec<u8>,
}

/// A removal in [`LinkWriter::order`].
const REMOVED: u32 = u32::MAX;

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
                if let Some(TableKind::Records(object)) = tables::table_kind(t.name()) {
                    let last = txn.open_table(tables::records(t.name()))?.last()?.map(|(k, _)| k.value());
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
                pairs: Vec::new(),
                fresh_from,
                logs: AHashMap::new(),
                next_seq,
                seq_changed: false,
                order: Vec::new(),
                bytes: Vec::new(),
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
    /// The index of the pair of objects `a` and `b` (either order), opened on first use.
    fn pair(&mut self, a: &str, b: &str) -> Result<usize, StoreError> {
        let (first, second) = pair_order(a, b);
        if let Some(i) = self.pairs.iter().position(|p| p.first == first && p.second == second) {
            return Ok(i);
        }
        let forward = self.txn.open_table(tables::links(&tables::links_name(first, second)))?;
        let backward = if first == second {
            None
        } else {
            Some(self.txn.open_table(tables::links(&tables::links_name(second, first)))?)
        };
        let fresh = |o: &str| self.fresh_from.get(o).copied().unwrap_or(1);
        let primaries =
            primary_side(first, second).map(|record_first| Primaries { record_first, ..Default::default() });
        self.pairs.push(Pair {
            first: first.to_owned(),
            second: second.to_owned(),
            names: seed_names(first, second),
            forward,
            backward,
            fresh_from: (fresh(first), fresh(second)),
            pending: AHashMap::new(),
            made: AHashSet::new(),
            primaries,
        });
        Ok(self.pairs.len() - 1)
    }

    fn get(&mut self, a: RecordRef<'_>, b: RecordRef<'_>) -> Result<Option<LinkValue>, StoreError> {
        let p = self.pair(a.0, b.0)?;
        let pair = &self.pairs[p];
        let key = pair.key(a, b);
        if let Some(write) = pair.pending.get(&key) {
            return Ok(write.clone());
        }
        if pair.is_fresh(key) && !pair.made.contains(&key) {
            return Ok(None);
        }
        let Some(v) = pair.forward.get(key)? else {
            return Ok(None);
        };
        pair.decode(key, v.value()).map(Some)
    }

    fn put(&mut self, a: RecordRef<'_>, b: RecordRef<'_>, value: &LinkValue) -> Result<(), StoreError> {
        let p = self.pair(a.0, b.0)?;
        let key = self.pairs[p].key(a, b);
        self.pairs[p].write(key, Some(value.clone()));
        Ok(())
    }

    fn remove(&mut self, a: RecordRef<'_>, b: RecordRef<'_>) -> Result<(), StoreError> {
        let p = self.pair(a.0, b.0)?;
        let key = self.pairs[p].key(a, b);
        self.pairs[p].write(key, None);
        Ok(())
    }

    /// `x`'s links with records of `to`: `(their ID, value)` in ID order.
    fn links_of(&mut self, x: RecordRef<'_>, to: &str) -> Result<Vec<(u64, LinkValue)>, StoreError> {
        self.flush()?;
        let p = self.pair(x.0, to)?;
        let pair = &self.pairs[p];
        let table =
            if x.0 == pair.first { &pair.forward } else { pair.backward.as_ref().expect("two objects") };
        let mut out = Vec::new();
        for item in table.range((x.1, 0)..=(x.1, u64::MAX))? {
            let (key, value) = item?;
            let other = key.value().1;
            out.push((other, pair.decode(pair.key(x, (to, other)), value.value())?));
        }
        Ok(out)
    }

    fn count_of(&mut self, x: RecordRef<'_>, to: &str) -> Result<u64, StoreError> {
        Ok(self.links_of(x, to)?.len() as u64)
    }

    /// The primary company of `record` (a record of a primary-company object), 0
    /// for none; read from the table the first time for a record that is not fresh.
    fn primary_of(&mut self, record: RecordRef<'_>) -> Result<u64, StoreError> {
        let p = self.pair(record.0, COMPANIES)?;
        let fresh_from = self.pairs[p].fresh_start(record.0);
        let primaries = self.pairs[p].primaries.as_mut().expect("a record-company pair");
        if let Some(&mut company) = primaries.slot(record.1, fresh_from) {
            return Ok(company);
        }
        let company =
            self.links_of(record, COMPANIES)?.into_iter().find(|(_, v)| v.primary).map_or(0, |(c, _)| c);
        self.pairs[p].primaries.as_mut().expect("checked").known.insert(record.1, company);
        Ok(company)
    }

    /// Writes the pending links: per table, in key order, so that each table is
    /// written in one ascending run (links of new records append at its end).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let Self { pairs, order, bytes, .. } = self;
        guard(|| {
            for pair in pairs.iter_mut().filter(|p| !p.pending.is_empty()) {
                order.clear();
                bytes.clear();
                for (key, value) in pair.pending.drain() {
                    match value {
                        Some(v) => {
                            let start = u32::try_from(bytes.len()).expect("a piece's links fit 4 GiB");
                            v.encode_into(seed_with(&pair.names, key), bytes);
                            order.push((key, start, u32::try_from(bytes.len()).expect("fits")));
                        }
                        None => order.push((key, REMOVED, 0)),
                    }
                }
                let same = pair.backward.is_none();
                if same {
                    // Both directions in one table.
                    let mirrored: Vec<_> = order.iter().map(|&((x, y), s, e)| ((y, x), s, e)).collect();
                    order.extend(mirrored);
                }
                order.sort_unstable_by_key(|&(k, ..)| k);
                write_run(&mut pair.forward, order, bytes)?;
                if let Some(backward) = &mut pair.backward {
                    for entry in order.iter_mut() {
                        entry.0 = (entry.0.1, entry.0.0);
                    }
                    order.sort_unstable_by_key(|&(k, ..)| k);
                    write_run(backward, order, bytes)?;
                }
            }
            Ok(())
        })
    }

    /// Logs a change of the link `a`-`b` on both records.
    fn log(
        &mut self,
        a: RecordRef<'_>,
        b: RecordRef<'_>,
        kind: ChangeKind,
        labels: &[LabelId],
        origin: LinkOrigin,
        created: Option<LinkOrigin>,
    ) -> Result<(), StoreError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.seq_changed = true;
        for (x, y) in [(a, b), (b, a)] {
            let change = LinkChange {
                seq,
                object: y.0.to_owned(),
                id: y.1,
                kind,
                labels: labels.to_vec(),
                origin,
                created,
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
        self.put(record, company, &value)?;
        self.log(record, company, ChangeKind::PrimaryUnset, &[], origin, None)
    }

    /// Links `a` and `b` (both must exist; the caller checks), adding `req`'s labels
    /// to an existing link. See the module docs for the primary and limit rules.
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
            let ends = Self::primary_ends(a, b);
            if let Some(mut value) = self.get(a, b)? {
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
                    self.put(a, b, &value)?;
                }
                if !labels_added.is_empty() {
                    self.log(a, b, ChangeKind::LabelsAdded, &labels_added, req.origin, None)?;
                }
                if primary_set {
                    self.log(a, b, ChangeKind::PrimarySet, &[], req.origin, None)?;
                }
                return Ok(LinkOutcome::Existing { labels_added, primary_set });
            }
            for (x, y) in [(a, b), (b, a)] {
                if let Some(limit) = self.schema.association_limit(x.0, y.0)
                    && self.count_of(x, y.0)? >= u64::from(limit)
                {
                    return Ok(LinkOutcome::LimitExceeded { object: x.0.to_owned(), id: x.1, limit });
                }
            }
            let mut primary = false;
            if let Some((record, company)) = ends {
                // A record with a company has a primary one.
                if self.primary_of(record)? == 0 {
                    primary = true;
                } else if req.primary {
                    self.unset_primary(record, company.1, req.origin)?;
                    primary = true;
                }
            }
            let mut labels = req.labels.to_vec();
            labels.sort_unstable();
            labels.dedup();
            self.put(a, b, &LinkValue { primary, labels, created: req.origin })?;
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
                self.remove(a, b)?;
                self.log(a, b, ChangeKind::Removed, &value.labels, origin, Some(value.created))?;
                if let Some(p) = promote {
                    self.unset_primary(record, p, origin)?;
                    let c = (COMPANIES, p);
                    let mut v = self.get(record, c)?.expect("listed above");
                    if !v.primary {
                        v.primary = true;
                        self.put(record, c, &v)?;
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
                self.remove(a, b)?;
                self.log(a, b, ChangeKind::Removed, &value.labels, origin, Some(value.created))?;
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

    /// Writes what is pending and the change sequence, and closes the tables.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.flush()?;
        let Self { txn, pairs, logs, next_seq, seq_changed, .. } = self;
        drop(pairs);
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

/// Writes one sorted run of `(key, value start, value end)` entries into `table`.
///
/// Keys past the table's last key (the links of fresh records, in the table
/// whose key starts with them) are appended through one cursor, each leaf
/// written once; the others are plain inserts and removals, in key order.
fn write_run(table: &mut LinkTableW<'_>, order: &[(Key, u32, u32)], bytes: &[u8]) -> Result<(), StoreError> {
    let value = |&(_, start, end): &(Key, u32, u32)| &bytes[start as usize..end as usize];
    let last = table.last()?.map(|(k, _)| k.value());
    let tail = last.map_or(0, |last| order.partition_point(|e| e.0 <= last));
    for entry in &order[..tail] {
        if entry.1 == REMOVED {
            table.remove(entry.0)?;
        } else {
            table.insert(entry.0, value(entry))?;
        }
    }
    let mut cursor = table.upper_bound_mut(Bound::<Key>::Unbounded)?;
    // Nothing past the last key can be removed.
    for entry in order[tail..].iter().filter(|e| e.1 != REMOVED) {
        cursor.insert_before(entry.0, value(entry))?;
    }
    Ok(())
}
