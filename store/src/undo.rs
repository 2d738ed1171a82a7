//! Undo of an import ([`WriteSession::undo`]), in one write transaction.
//!
//! * The records the import created are deleted, with their identifier index
//!   entries and their links.
//! * The records it changed get back their before-image: the bytes stored before
//!   the import first changed the record (`before/<object>`, key `(import,
//!   record)`), kept by [`crate::RecordTable`] in the import's own transaction.
//!   The identifier indexes follow: the values the import took away point to the
//!   record again, the ones it gave are removed.
//! * The links it made are removed, and the link changes it made (labels added,
//!   primary flags set and unset, in `link_log/<object>`) are taken back, newest
//!   first; every removal and reversal is logged with source `undo`.
//!
//! A later import (or a user's link change) that changed a record or a link the
//! undo would touch is a conflict: without `force` the undo changes nothing and
//! lists them. With `force`, a conflicting record gets its before-image back only
//! for the properties no later import changed (what a later import changed is
//! its before-image against the state after it: the next later import's
//! before-image, or the record as it is now), and a conflicting link change is
//! kept. The later imports' before-images of such a record are rewritten to the
//! state before each later import with this one taken back (see
//! `merge_forced`), so that undoing them afterwards does not bring this
//! import's values back. Record IDs are not handed out again: the sequences
//! stay where they are.

use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableTable, ReadableTableMetadata, TableError};
use serde::{Deserialize, Serialize};

use crate::entry;
use crate::error::{EntryTable, StoreError};
use crate::guard::guard;
use crate::imports::{ImportEntry, ImportStatus};
use crate::links::{ChangeKind, LinkChange, LinkOrigin, LinkSource, block, list};
use crate::record::{RecordBuilder, RecordView, authors, encode_record};
use crate::schema::{ObjectDef, PropertyId};
use crate::session::{SECONDARY, WriteSession};
use crate::tables::{self, IMPORTS, TableKind};

/// Conflicts and kept changes an [`UndoReport`] lists by name (the rest are counted).
pub const SHOWN: usize = 20;

/// What an undo did, kept in the undone import's log entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoCounts {
    /// Records deleted (the import had created them), per object.
    #[serde(default)]
    pub deleted: BTreeMap<String, u64>,
    /// Records given back their before-image, per object.
    #[serde(default)]
    pub restored: BTreeMap<String, u64>,
    /// Links removed.
    #[serde(default)]
    pub links_removed: u64,
    /// Link changes taken back (labels added, primary flags moved).
    #[serde(default)]
    pub link_changes_reversed: u64,
    /// Records and link changes kept, in whole or in part, because a later change
    /// touched them (`--force`).
    #[serde(default)]
    pub kept: u64,
    /// Lists the import made (`--create-list`), removed.
    #[serde(default)]
    pub lists_removed: u64,
}

/// A record or link the undo would touch that a later change touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoConflict {
    /// `contacts 12`, or `contacts 12 - companies 3` for a link.
    pub what: String,
    /// What changed it since: `import 9`, `user`, ...
    pub by: String,
}

/// What [`WriteSession::undo`] did, or would do.
#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    /// The import undone.
    pub import_id: u64,
    /// Whether it was undone (false: refused over conflicts; nothing written).
    pub undone: bool,
    /// What it did.
    pub counts: UndoCounts,
    /// The first [`SHOWN`] conflicts.
    pub conflicts: Vec<UndoConflict>,
    /// All conflicts.
    pub conflict_count: u64,
    /// Every change that conflicts, once, in order (`import 9`, `user`, ...): also
    /// those of conflicts past the first [`SHOWN`].
    pub conflicting: Vec<String>,
    /// The first [`SHOWN`] changes kept under `force`, described.
    pub kept: Vec<String>,
}

/// One record the undo touches.
struct RecordPlan {
    id: u64,
    /// Its before-image; `None` for a record the import created.
    base: Option<Vec<u8>>,
    /// The record now; `None` if it is gone.
    current: Option<Vec<u8>>,
    /// What changed it since the import, if anything did.
    conflict: Option<String>,
}

/// One unique property of an object, with the property holding its secondary
/// values, as the index keeps them.
pub(crate) struct Unique {
    pub(crate) property: PropertyId,
    secondary: Option<PropertyId>,
    pub(crate) shared: bool,
}

pub(crate) fn uniques(def: &ObjectDef) -> Vec<Unique> {
    def.properties
        .iter()
        .filter(|p| p.unique)
        .map(|p| Unique {
            property: p.id,
            secondary: def
                .properties
                .iter()
                .find(|s| s.secondary_of.as_deref() == Some(p.name.as_str()))
                .map(|s| s.id),
            shared: p.shared,
        })
        .collect()
}

/// The index entries record `view` has for `u`: `(key, entry)`.
pub(crate) fn index_keys(view: Option<&RecordView<'_>>, u: &Unique) -> BTreeMap<Vec<u8>, u64> {
    let mut out = BTreeMap::new();
    let Some(view) = view else {
        return out;
    };
    let primary = view.get(u.property);
    if let Some(p) = primary {
        out.insert(p.as_bytes().to_vec(), view.id);
    }
    if let Some(held) = u.secondary.and_then(|s| view.get(s)) {
        for v in held.split(';').filter(|v| !v.is_empty() && Some(*v) != primary) {
            out.entry(v.as_bytes().to_vec()).or_insert(view.id | SECONDARY);
        }
    }
    out
}

/// Who a record's or link's later change is by.
fn by(import: Option<u64>, source: LinkSource) -> String {
    match import {
        Some(i) if source == LinkSource::Undo => format!("the undo of import {i}"),
        Some(i) => format!("import {i}"),
        None => source.name().to_owned(),
    }
}

/// A link by its two ends, smaller end first.
type Pair = ((String, u64), (String, u64));

fn pair(a: (&str, u64), b: (&str, u64)) -> Pair {
    let (a, b) = ((a.0.to_owned(), a.1), (b.0.to_owned(), b.1));
    if a <= b { (a, b) } else { (b, a) }
}

fn pair_text(p: &Pair) -> String {
    format!("{} {} - {} {}", p.0.0, p.0.1, p.1.0, p.1.1)
}

/// A logged link change, once (it is logged on both records).
struct Logged {
    seq: u64,
    kind: ChangeKind,
    labels: Vec<crate::schema::LabelId>,
    origin: LinkOrigin,
    /// For a removal: the link's creation and primary flag.
    created: Option<LinkOrigin>,
    primary: bool,
}

impl WriteSession<'_> {
    /// Undoes import `import_id` (see the module docs); `time_ms` and `now` stamp
    /// the link changes and the log entry. With conflicts and without `force`,
    /// returns a report with `undone: false` and writes nothing. The caller
    /// commits (or, for a dry run, drops the session).
    pub fn undo(
        &self,
        import_id: u64,
        force: bool,
        time_ms: i64,
        now: &str,
    ) -> Result<UndoReport, StoreError> {
        let (mut entry, later) = self.undo_target(import_id)?;
        let schema = self.schema()?;
        let mut report = UndoReport {
            import_id,
            undone: false,
            counts: UndoCounts::default(),
            conflicts: Vec::new(),
            conflict_count: 0,
            conflicting: Vec::new(),
            kept: Vec::new(),
        };
        let conflict = |report: &mut UndoReport, what: String, by: String| {
            report.conflict_count += 1;
            if !report.conflicting.contains(&by) {
                report.conflicting.push(by.clone());
            }
            if report.conflicts.len() < SHOWN {
                report.conflicts.push(UndoConflict { what, by });
            }
        };
        // The records it touched, per object.
        let mut plans: Vec<(String, Vec<RecordPlan>)> = Vec::new();
        let mut deleted: BTreeSet<(String, u64)> = BTreeSet::new();
        for object in &entry.objects {
            let range = entry.sequences.get(object).copied().filter(|_| !entry.ids_kept);
            let mut records = self.touched_records(object, import_id, range)?;
            if entry.kind.as_deref() == Some("delete") {
                // A deleted record is gone, as the deletion left it: no conflict.
                for r in &mut records {
                    if r.current.is_none() {
                        r.conflict = None;
                    }
                }
            }
            for r in &records {
                if let Some(c) = &r.conflict {
                    conflict(&mut report, format!("{object} {}", r.id), c.clone());
                }
                if r.base.is_none() && (r.conflict.is_none() || force) {
                    deleted.insert((object.clone(), r.id));
                }
            }
            plans.push((object.clone(), records));
        }
        // The links it made, and the link changes it logged.
        let made = self.links_made(import_id, &deleted)?;
        let logs = self.link_logs()?;
        let mine = |l: &Logged| l.origin.import == Some(import_id) && l.origin.source != LinkSource::Undo;
        let later_than = |l: &Logged, since: &LinkOrigin| match l.origin.import {
            Some(i) => i > import_id && later.contains(&i),
            None => l.origin.time_ms >= since.time_ms,
        };
        let mut removals: Vec<(Pair, LinkSource)> = Vec::new();
        for (p, created) in &made.created {
            let changed =
                logs.get(p).and_then(|changes| changes.iter().find(|l| !mine(l) && later_than(l, created)));
            if let Some(l) = changed {
                conflict(&mut report, pair_text(p), by(l.origin.import, l.origin.source));
                if force && !deleted.contains(&p.0) && !deleted.contains(&p.1) {
                    report.counts.kept += 1;
                    push_kept(
                        &mut report,
                        format!(
                            "link {}: changed since by {}",
                            pair_text(p),
                            by(l.origin.import, l.origin.source)
                        ),
                    );
                    continue;
                }
            }
            removals.push((p.clone(), LinkSource::Undo));
        }
        for (p, l) in &made.others_on_deleted {
            conflict(&mut report, pair_text(p), by(l.import, l.source));
            removals.push((p.clone(), LinkSource::RecordDeleted));
        }
        let mut reversals: Vec<(u64, Pair, &Logged)> = Vec::new();
        for (p, changes) in &logs {
            for l in changes.iter().filter(|l| mine(l)) {
                if let Some(after) =
                    changes.iter().find(|a| a.seq > l.seq && !mine(a) && a.origin.source != LinkSource::Undo)
                {
                    conflict(&mut report, pair_text(p), by(after.origin.import, after.origin.source));
                    if force {
                        report.counts.kept += 1;
                        push_kept(&mut report, format!("link {}: {} kept", pair_text(p), l.kind.name()));
                    }
                    continue;
                }
                reversals.push((l.seq, p.clone(), l));
            }
        }
        if report.conflict_count > 0 && !force {
            return Ok(report);
        }
        for (object, records) in &plans {
            if let Some(def) = schema.object(object) {
                self.check_identifiers_free(object, records, &uniques(def))?;
            }
        }
        // Records and their index entries.
        for (object, records) in &plans {
            let def = schema.object(object).cloned();
            let uniques = def.as_ref().map(uniques).unwrap_or_default();
            self.restore_records(import_id, object, records, &uniques, &later, &mut report)?;
        }
        // Links.
        let origin = LinkOrigin { source: LinkSource::Undo, import: Some(import_id), time_ms };
        let mut links = self.links()?;
        reversals.sort_by_key(|r| std::cmp::Reverse(r.0));
        for (_, p, l) in &reversals {
            let (a, b) = ((p.0.0.as_str(), p.0.1), (p.1.0.as_str(), p.1.1));
            let done = match (l.kind, l.created) {
                // A link removed with a deleted record comes back as it was, if its
                // other record is still there (the undo of the import that made
                // that one may have deleted it since).
                (ChangeKind::Removed, Some(_))
                    if !(self.record_exists(a.0, a.1)? && self.record_exists(b.0, b.1)?) =>
                {
                    report.counts.kept += 1;
                    push_kept(
                        &mut report,
                        format!("link {}: a record of it is gone, left out", pair_text(p)),
                    );
                    false
                }
                (ChangeKind::Removed, Some(created)) => {
                    links.restore_raw(a, b, (created, &l.labels, l.primary), origin)?
                }
                (kind, _) => links.reverse_raw(a, b, kind, &l.labels, origin)?,
            };
            if done {
                report.counts.link_changes_reversed += 1;
            }
        }
        for (p, source) in &removals {
            let origin = LinkOrigin { source: *source, ..origin };
            if links.remove_raw((&p.0.0, p.0.1), (&p.1.0, p.1.1), origin)? {
                report.counts.links_removed += 1;
            }
        }
        // A record that lost its primary company link but kept other companies
        // gets one of them as primary: a record with companies has one primary.
        let ends: BTreeSet<(String, u64)> = reversals
            .iter()
            .map(|r| &r.1)
            .chain(removals.iter().map(|r| &r.0))
            .flat_map(|p| [p.0.clone(), p.1.clone()])
            .filter(|(object, id)| !deleted.contains(&(object.clone(), *id)))
            .collect();
        crate::delete::settle_primaries(&mut links, &ends, origin)?;
        links.finish()?;
        report.counts.lists_removed = self.remove_lists_of(import_id)?;
        entry.status = ImportStatus::Undone;
        entry.undone_at = Some(now.to_owned());
        entry.undo = Some(report.counts.clone());
        self.save_import(&entry)?;
        report.undone = true;
        Ok(report)
    }

    /// The import to undo, checked, and the later imports still standing.
    fn undo_target(&self, import_id: u64) -> Result<(ImportEntry, BTreeSet<u64>), StoreError> {
        guard(|| {
            let table = self.txn().open_table(IMPORTS)?;
            let Some(bytes) = table.get(import_id)? else {
                return Err(StoreError::Undo(format!("there is no import {import_id}")));
            };
            let entry = ImportEntry::decode(import_id, bytes.value())
                .map_err(entry::corrupt(EntryTable::Imports, import_id))?;
            match entry.status {
                ImportStatus::Done => {}
                ImportStatus::Undone => {
                    return Err(StoreError::Undo(format!("import {import_id} is undone already")));
                }
                _ => {
                    return Err(StoreError::Undo(format!(
                        "import {import_id} did not finish: it committed nothing, so there is nothing to undo"
                    )));
                }
            }
            let mut later = BTreeSet::new();
            for item in table.range(import_id + 1..)? {
                let (k, v) = item?;
                let e = ImportEntry::decode(k.value(), v.value())
                    .map_err(entry::corrupt(EntryTable::Imports, k.value()))?;
                if e.status == ImportStatus::Done {
                    later.insert(e.id);
                }
            }
            Ok((entry, later))
        })
    }

    /// The records of `object` that import `import_id` created (IDs in `range`,
    /// or anywhere without it) or changed (those with a before-image), each with
    /// what changed it since.
    fn touched_records(
        &self,
        object: &str,
        import_id: u64,
        range: Option<[u64; 2]>,
    ) -> Result<Vec<RecordPlan>, StoreError> {
        guard(|| {
            let mut out = Vec::new();
            let name = tables::records_name(object);
            let records = match self.txn().open_table(tables::records(&name)) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(out),
                Err(e) => return Err(e.into()),
            };
            let conflict_of = |current: Option<&[u8]>| match current {
                None => Some("a later change (the record is gone)".to_owned()),
                Some(bytes) => match authors(bytes) {
                    Some((_, u)) if u == import_id => None,
                    Some((_, 0)) | None => Some("another change".to_owned()),
                    Some((_, u)) => Some(format!("import {u}")),
                },
            };
            let scan = match range {
                Some([from, to]) => records.range(from..to.max(from))?,
                None => records.range(0..)?,
            };
            for item in scan {
                let (k, v) = item?;
                if authors(v.value()).is_some_and(|(c, _)| c == import_id) {
                    let current = v.value().to_vec();
                    let conflict = conflict_of(Some(&current));
                    out.push(RecordPlan { id: k.value(), base: None, current: Some(current), conflict });
                }
            }
            let before_name = tables::before_name(object);
            match self.txn().open_table(tables::before(&before_name)) {
                Ok(before) => {
                    let mut undone: Option<BTreeSet<u64>> = None;
                    for item in before.range((import_id, 0)..=(import_id, u64::MAX))? {
                        let (k, v) = item?;
                        let id = k.value().1;
                        let current = records.get(id)?.map(|c| c.value().to_vec());
                        let conflict = conflict_of(current.as_deref());
                        let image = v.value();
                        let base = match RecordView::parse(image, id) {
                            // An image a forced undo left of a record that, with
                            // the undone import taken back, did not exist yet.
                            Ok(view) if view.values().next().is_none() => {
                                let undone = match &mut undone {
                                    Some(u) => u,
                                    None => undone.insert(self.undone_imports()?),
                                };
                                (!undone.contains(&view.created_by)).then(|| image.to_vec())
                            }
                            _ => Some(image.to_vec()),
                        };
                        out.push(RecordPlan { id, base, current, conflict });
                    }
                }
                Err(TableError::TableDoesNotExist(_)) => {}
                Err(e) => return Err(e.into()),
            }
            out.sort_by_key(|r| r.id);
            Ok(out)
        })
    }

    /// Writes each record's state after the undo, and fixes the identifier
    /// indexes to match.
    #[allow(clippy::too_many_arguments)]
    fn restore_records(
        &self,
        import_id: u64,
        object: &str,
        records: &[RecordPlan],
        uniques: &[Unique],
        later: &BTreeSet<u64>,
        report: &mut UndoReport,
    ) -> Result<(), StoreError> {
        let corrupt =
            |id: u64| move |reason| StoreError::CorruptRecord { object: object.to_owned(), id, reason };
        self.touch(object);
        let mut index_changes: Vec<(usize, Vec<u8>, Option<u64>)> = Vec::new();
        let mut touched_shared = false;
        guard(|| {
            let name = tables::records_name(object);
            let mut table = self.txn().open_table(tables::records(&name))?;
            let before_name = tables::before_name(object);
            for r in records {
                let after: Option<Vec<u8>> = match (&r.conflict, &r.current) {
                    (None, _) => r.base.clone(),
                    (Some(_), None) => {
                        report.counts.kept += 1;
                        push_kept(report, format!("{object} {}: gone since, left out", r.id));
                        continue;
                    }
                    (Some(_), Some(current)) => {
                        let chain = self.later_images(&before_name, r.id, later)?;
                        let images: Vec<&[u8]> = chain.iter().map(|(_, image)| image.as_slice()).collect();
                        let ForcedMerge { after, kept, images } =
                            merge_forced(r.id, import_id, r.base.as_deref(), &images, current)
                                .map_err(corrupt(r.id))?;
                        // The later imports' images held this import's values:
                        // they now hold the state before each later import with
                        // this one taken back, so that undoing a later import
                        // does not bring this one's values again.
                        let mut before = self.txn().open_table(tables::before(&before_name))?;
                        for ((j, _), image) in chain.iter().zip(images) {
                            before.insert((*j, r.id), image.as_slice())?;
                        }
                        report.counts.kept += 1;
                        push_kept(
                            report,
                            format!(
                                "{object} {}: kept {} as later imports set them",
                                r.id,
                                kept.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                            ),
                        );
                        after
                    }
                };
                let current = r
                    .current
                    .as_deref()
                    .map(|c| RecordView::parse(c, r.id))
                    .transpose()
                    .map_err(corrupt(r.id))?;
                let restored = after
                    .as_deref()
                    .map(|a| RecordView::parse(a, r.id))
                    .transpose()
                    .map_err(corrupt(r.id))?;
                for (u, unique) in uniques.iter().enumerate() {
                    if unique.shared {
                        touched_shared = true;
                        continue;
                    }
                    let old = index_keys(current.as_ref(), unique);
                    let new = index_keys(restored.as_ref(), unique);
                    for key in old.keys().filter(|k| !new.contains_key(*k)) {
                        index_changes.push((u, key.clone(), None));
                    }
                    for (key, e) in new.iter().filter(|(k, e)| old.get(*k) != Some(e)) {
                        index_changes.push((u, key.clone(), Some(*e)));
                    }
                }
                if let Some(bytes) = &after {
                    table.insert(r.id, bytes.as_slice())?;
                    *report.counts.restored.entry(object.to_owned()).or_default() += 1;
                } else {
                    table.remove(r.id)?;
                    *report.counts.deleted.entry(object.to_owned()).or_default() += 1;
                }
            }
            drop(table);
            // Removals first: a value the undo moves from one record to another
            // is taken off the first before it is given to the second.
            index_changes.sort_by_key(|c| (c.0, c.2.is_some()));
            let ids: BTreeSet<u64> = records.iter().map(|r| r.id).collect();
            for (u, unique) in uniques.iter().enumerate() {
                let changes: Vec<&(usize, Vec<u8>, Option<u64>)> =
                    index_changes.iter().filter(|c| c.0 == u).collect();
                if changes.is_empty() {
                    continue;
                }
                let index_name = tables::index_name(object, unique.property);
                let mut index = self.txn().open_table(tables::index(&index_name))?;
                for (_, key, entry) in changes {
                    match entry {
                        None => {
                            let points_here = index
                                .get(key.as_slice())?
                                .is_some_and(|v| ids.contains(&(v.value() & !SECONDARY)));
                            if points_here {
                                index.remove(key.as_slice())?;
                            }
                        }
                        Some(e) => {
                            index.insert(key.as_slice(), *e)?;
                        }
                    }
                }
            }
            Ok(())
        })?;
        if touched_shared {
            for unique in uniques.iter().filter(|u| u.shared) {
                self.rebuild_index(object, unique.property)?;
            }
        }
        Ok(())
    }

    /// Refuses an undo that would give a record back a unique value another record
    /// holds now (a record deleted, then its email imported again): two records
    /// cannot share it, and `--force` cannot choose between them.
    fn check_identifiers_free(
        &self,
        object: &str,
        records: &[RecordPlan],
        uniques: &[Unique],
    ) -> Result<(), StoreError> {
        let touched: BTreeSet<u64> = records.iter().map(|r| r.id).collect();
        guard(|| {
            for unique in uniques.iter().filter(|u| !u.shared) {
                let index_name = tables::index_name(object, unique.property);
                let index = match self.txn().open_table(tables::index(&index_name)) {
                    Ok(t) => t,
                    Err(TableError::TableDoesNotExist(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                for r in records.iter().filter(|r| r.conflict.is_none()) {
                    let Some(base) = &r.base else { continue };
                    let view = RecordView::parse(base, r.id).map_err(|reason| StoreError::CorruptRecord {
                        object: object.to_owned(),
                        id: r.id,
                        reason,
                    })?;
                    for key in index_keys(Some(&view), unique).into_keys() {
                        let holder = index.get(key.as_slice())?.map(|v| v.value() & !SECONDARY);
                        if let Some(h) = holder.filter(|h| *h != r.id && !touched.contains(h)) {
                            return Err(StoreError::Undo(format!(
                                "{object} {} would get back '{}', which {object} {h} holds now: \
                                 delete or change {object} {h} first",
                                r.id,
                                String::from_utf8_lossy(&key)
                            )));
                        }
                    }
                }
            }
            Ok(())
        })
    }

    /// The before-images of record `id` kept by the `later` imports, oldest
    /// first, each with its import.
    fn later_images(
        &self,
        before_name: &str,
        id: u64,
        later: &BTreeSet<u64>,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let before = self.txn().open_table(tables::before(before_name))?;
        let mut out = Vec::new();
        for &j in later {
            if let Some(v) = before.get((j, id))? {
                out.push((j, v.value().to_vec()));
            }
        }
        Ok(out)
    }

    /// The imports undone so far.
    fn undone_imports(&self) -> Result<BTreeSet<u64>, StoreError> {
        let table = self.txn().open_table(IMPORTS)?;
        let mut out = BTreeSet::new();
        for item in table.iter()? {
            let (k, v) = item?;
            let e = ImportEntry::decode(k.value(), v.value())
                .map_err(entry::corrupt(EntryTable::Imports, k.value()))?;
            if e.status == ImportStatus::Undone {
                out.insert(e.id);
            }
        }
        Ok(out)
    }

    /// The links import `import_id` made (by their ends, with their origin), and
    /// the links others made with the records in `deleted`.
    fn links_made(&self, import_id: u64, deleted: &BTreeSet<(String, u64)>) -> Result<MadeLinks, StoreError> {
        guard(|| {
            let mut made = MadeLinks::default();
            let names: Vec<String> =
                self.txn().list_tables()?.map(|t| redb::TableHandle::name(&t).to_owned()).collect();
            for name in &names {
                let Some(TableKind::Links(from, to)) = tables::table_kind(name) else {
                    continue;
                };
                let table = self.txn().open_table(tables::links(name))?;
                if table.len()? == 0 {
                    continue;
                }
                let seed_names = block::names(from, to);
                for item in table.iter()? {
                    let (key, value) = item?;
                    let b = key.value();
                    let corrupt =
                        |reason| StoreError::CorruptLink { link: format!("block {b} of {name}"), reason };
                    let lists = block::decode(value.value(), block::seed(&seed_names, b)).map_err(corrupt)?;
                    for (offset, bytes) in lists {
                        let x = block::record(b, offset);
                        list::decode(bytes, |e| {
                            // Each link is in two lists: taken from the smaller end's.
                            if (from, x) > (to, e.id) {
                                return;
                            }
                            let p = pair((from, x), (to, e.id));
                            let ours = e.created.import == Some(import_id)
                                && !matches!(e.created.source, LinkSource::Undo | LinkSource::RecordDeleted);
                            if ours {
                                made.created.push((p, e.created));
                            } else if deleted.contains(&p.0) || deleted.contains(&p.1) {
                                made.others_on_deleted.push((p, e.created));
                            }
                        })
                        .map_err(corrupt)?;
                    }
                }
            }
            Ok(made)
        })
    }

    /// Every logged link change, by link, in sequence order.
    fn link_logs(&self) -> Result<BTreeMap<Pair, Vec<Logged>>, StoreError> {
        guard(|| {
            let mut out: BTreeMap<Pair, Vec<Logged>> = BTreeMap::new();
            let names: Vec<String> =
                self.txn().list_tables()?.map(|t| redb::TableHandle::name(&t).to_owned()).collect();
            for name in &names {
                let Some(TableKind::LinkLog(object)) = tables::table_kind(name) else {
                    continue;
                };
                let table = self.txn().open_table(tables::link_log(name))?;
                for item in table.iter()? {
                    let (k, v) = item?;
                    let (x, seq) = k.value();
                    let change: LinkChange =
                        entry::decode(seq, v.value()).map_err(|reason| StoreError::CorruptLink {
                            link: format!("change {seq} of {name}"),
                            reason: reason.to_string(),
                        })?;
                    // Each change is logged on both records: kept from the smaller end's.
                    if (object, x) > (change.object.as_str(), change.id) {
                        continue;
                    }
                    let p = pair((object, x), (&change.object, change.id));
                    out.entry(p).or_default().push(Logged {
                        seq,
                        kind: change.kind,
                        labels: change.labels,
                        origin: change.origin,
                        created: change.created,
                        primary: change.primary,
                    });
                }
            }
            for changes in out.values_mut() {
                changes.sort_by_key(|l| l.seq);
            }
            Ok(out)
        })
    }
}

#[derive(Default)]
struct MadeLinks {
    created: Vec<(Pair, LinkOrigin)>,
    others_on_deleted: Vec<(Pair, LinkOrigin)>,
}

fn push_kept(report: &mut UndoReport, what: String) {
    if report.kept.len() < SHOWN {
        report.kept.push(what);
    }
}

/// Record `id` after a forced undo of import `undone`: its before-image `base`
/// (`None`: it did not exist) for every property that no later import changed,
/// the record `current` for the others. `chain` holds the later imports'
/// before-images, oldest first; each is given back as the state before that
/// import with `undone` taken back: a property no import between the first
/// later one and that one changed takes its `base` value. An image of a record
/// that then did not exist has no values and `undone` as its creator.
fn merge_forced(
    id: u64,
    undone: u64,
    base: Option<&[u8]>,
    chain: &[&[u8]],
    current: &[u8],
) -> Result<ForcedMerge, crate::record::RecordError> {
    let base = base.map(|b| RecordView::parse(b, id)).transpose()?;
    let current_view = RecordView::parse(current, id)?;
    let mut states = Vec::with_capacity(chain.len() + 1);
    for c in chain {
        states.push(RecordView::parse(c, id)?);
    }
    states.push(current_view);
    // `changed_by[k]`: the properties changed between `states[0]` and `states[k]`.
    let mut changed: BTreeSet<PropertyId> = BTreeSet::new();
    let mut changed_by = vec![changed.clone()];
    for w in states.windows(2) {
        let props: BTreeSet<PropertyId> = w[0].values().chain(w[1].values()).map(|(p, _)| p).collect();
        changed.extend(props.into_iter().filter(|&p| w[0].get(p) != w[1].get(p)));
        changed_by.push(changed.clone());
    }
    let take = |state: &RecordView<'_>, changed: &BTreeSet<PropertyId>| {
        let mut all: BTreeSet<PropertyId> = state.values().map(|(p, _)| p).collect();
        all.extend(base.iter().flat_map(|b| b.values().map(|(p, _)| p)));
        let mut builder = RecordBuilder::default();
        let mut kept = Vec::new();
        for p in all {
            let value = if changed.contains(&p) {
                kept.push(p);
                state.get(p)
            } else {
                base.as_ref().and_then(|b| b.get(p))
            };
            if let Some(v) = value {
                builder.push(p, v);
            }
        }
        (builder, kept)
    };
    let encode = |state: &RecordView<'_>, builder: &RecordBuilder, kept: &[PropertyId]| {
        let (created_by, updated_by) = match &base {
            Some(b) if kept.is_empty() => (b.created_by, b.updated_by),
            Some(b) => (b.created_by, state.updated_by),
            None => (state.created_by, if kept.is_empty() { undone } else { state.updated_by }),
        };
        let mut out = Vec::new();
        encode_record(id, created_by, updated_by, builder.values(), &mut out);
        out
    };
    let mut images = Vec::with_capacity(chain.len());
    for (state, changed) in states[..chain.len()].iter().zip(&changed_by) {
        let (builder, kept) = take(state, changed);
        images.push(encode(state, &builder, &kept));
    }
    let (builder, kept) = take(&current_view, &changed);
    let after = if base.is_none() && builder.values().is_empty() {
        None
    } else {
        let created_by = base.as_ref().map_or(current_view.created_by, |b| b.created_by);
        let mut out = Vec::new();
        encode_record(id, created_by, current_view.updated_by, builder.values(), &mut out);
        Some(out)
    };
    Ok(ForcedMerge { after, kept, images })
}

/// What a forced undo gives a record.
struct ForcedMerge {
    /// Its state after the undo (`None`: nothing is left of it).
    after: Option<Vec<u8>>,
    /// The properties it kept as later imports set them.
    kept: Vec<PropertyId>,
    /// The later imports' before-images, rewritten (see [`merge_forced`]).
    images: Vec<Vec<u8>>,
}
