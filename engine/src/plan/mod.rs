//! The plan stage: decides, in file order, what every row does.
//!
//! Rows arrive transformed and with their identifiers already looked up in the
//! snapshot of the store ([`crate::normalize::transform`]). The planner applies SPEC 3 one
//! row at a time: it matches the row to a record through the import's own
//! changes (an overlay of identifiers created or moved by earlier rows) or the
//! snapshot, chooses create, update, skip or fail by mode, and hands out record
//! IDs in the order of the creating rows. Whether an update changes anything is
//! only known when the record is read, so the commit stage settles `updated`
//! versus `unchanged`.

use std::collections::{HashMap, HashSet};

use rayon::slice::ParallelSliceMut;

use store::{ReadSession, StoreError};

use crate::codes::{ErrorCode, SkipReason};
use crate::issue::Issue;
use crate::normalize::transform::{Known, Premerge, Transformed};
use crate::resolve::{KeyTable, hash_key};
use crate::schema::{Object, PropertyId};

/// Import mode (SPEC 3).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Create what matches nothing, update what matches.
    #[default]
    Upsert,
    /// Only create.
    Create,
    /// Only update.
    Update,
}

impl Mode {
    /// The mode's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Create => "create",
            Self::Update => "update",
        }
    }
}

/// What a row does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Creates the record with this ID.
    Create(u64),
    /// Merges into the record with this ID at commit (updated or unchanged).
    Update(u64),
    /// Writes the row's premerged record (see [`Premerge`]): updated.
    Write(u64, store::MergedSlot),
    /// The row's premerge changed nothing: unchanged, nothing written.
    Unchanged(u64),
    /// Skipped by the mode.
    Skip(SkipReason),
    /// Has a row error.
    Fail,
    /// The row holds nothing for this object (a multi-object file): no record.
    Absent,
}

impl Action {
    /// True when the row's record is imported (created, updated or unchanged).
    pub fn imports(self) -> bool {
        matches!(self, Self::Create(_) | Self::Update(_) | Self::Write(..) | Self::Unchanged(_))
    }
}

/// A planned piece: the transformed rows and what each does to each object.
#[derive(Debug)]
pub struct Planned {
    /// The rows.
    pub rows: Transformed,
    /// Absolute line number (1-based) of the piece's first byte.
    pub first_line: u64,
    /// Per object of the import (the mapping's order), one action per row.
    pub actions: Vec<Vec<Action>>,
    /// Row and value errors of the rows as reported (SPEC 4, [`crate::issue::settle`]),
    /// in row order, positions absolute.
    pub issues: Vec<Issue>,
}

/// The import's changes to an identifier index, sorted by key; ID 0 removes.
#[derive(Debug, Default)]
pub struct IndexDelta {
    /// The keys, in the overlay's arena.
    arena: Vec<u8>,
    /// `(key prefix, key offset, key length, record ID or 0)`, ascending by key.
    entries: Vec<(u64, usize, u32, u64)>,
}

impl IndexDelta {
    /// `(key, record ID or 0)`, strictly ascending by key.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.entries.iter().map(|&(_, offset, len, id)| (&self.arena[offset..offset + len as usize], id))
    }

    /// True when the import changed no identifier.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The sequential planner of an import: one [`ObjectPlanner`] per object.
pub struct Planner<'a> {
    objects: Vec<ObjectPlanner<'a>>,
}

impl<'a> Planner<'a> {
    /// A planner over one planner per object, in the mapping's order.
    pub fn new(objects: Vec<ObjectPlanner<'a>>) -> Self {
        Self { objects }
    }

    /// The next record ID of each object.
    pub fn next_ids(&self) -> Vec<u64> {
        self.objects.iter().map(ObjectPlanner::next_id).collect()
    }

    /// Plans one piece of input `file` whose first byte is on `first_line` at byte
    /// `offset` of the input: every object's actions, then the issues as reported,
    /// anchored. Fails when the store cannot be read (the import must stop).
    pub fn plan(&mut self, rows: Transformed, file: u32, first_line: u64) -> Result<Planned, StoreError> {
        let multi = self.objects.len() > 1;
        let mut rows = rows;
        let mut found = std::mem::take(&mut rows.issues);
        let mut actions = Vec::with_capacity(self.objects.len());
        for (oi, planner) in self.objects.iter_mut().enumerate() {
            actions.push(planner.plan(&rows, oi as u16, multi, &mut found)?);
        }
        let mut issues = crate::issue::settle(found, |r, o| actions[usize::from(o)][r as usize].imports());
        let offset = rows.piece.offset as u64;
        for i in &mut issues {
            i.anchor(file, first_line, offset);
        }
        Ok(Planned { rows, first_line, actions, issues })
    }

    /// Ends planning: each object's changes to its identifier index.
    pub fn finish(&mut self) -> Vec<IndexDelta> {
        self.objects.iter_mut().map(ObjectPlanner::finish).collect()
    }
}

/// The sequential planner of one object of an import.
pub struct ObjectPlanner<'a> {
    object: Object,
    /// The unique identifier rows are matched by (none: record ID only).
    identifier: Option<PropertyId>,
    mode: Mode,
    protect_identifier: bool,
    read: &'a ReadSession,
    first_id: u64,
    next_id: u64,
    /// Identifier -> record ID as changed by this import (0: removed).
    overlay: KeyTable,
    /// Stored records this import has changed (their snapshot is stale).
    touched: HashSet<u64, ahash::RandomState>,
    /// Identifiers of records whose identifier an ID-matched row changed.
    moved: HashMap<u64, Box<[u8]>, ahash::RandomState>,
}

impl<'a> ObjectPlanner<'a> {
    /// A planner handing out IDs from `next_id`.
    pub fn new(
        object: Object,
        identifier: Option<PropertyId>,
        mode: Mode,
        protect_identifier: bool,
        read: &'a ReadSession,
        next_id: u64,
    ) -> Self {
        Self {
            object,
            identifier,
            mode,
            protect_identifier,
            read,
            first_id: next_id,
            next_id,
            overlay: KeyTable::default(),
            moved: HashMap::default(),
            touched: HashSet::default(),
        }
    }

    /// The next record ID to hand out.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The record owning `key` now: this import's changes first, then the snapshot.
    fn owner(&self, hash: u64, key: &[u8], snapshot_owner: u64) -> u64 {
        self.overlay.get(hash, key).unwrap_or(snapshot_owner)
    }

    fn owner_uncached(&self, key: &[u8]) -> Result<u64, StoreError> {
        if let Some(id) = self.overlay.get(hash_key(key), key) {
            return Ok(id);
        }
        let Some(identifier) = self.identifier else {
            return Ok(0);
        };
        Ok(self.read.lookup(&self.object.name, identifier, key)?.unwrap_or(0))
    }

    /// The identifier record `id` holds now. A stored record that cannot be read
    /// (corrupt) is an error, not a record without identifier.
    fn current_key(&self, id: u64) -> Result<Option<Box<[u8]>>, StoreError> {
        if let Some(k) = self.moved.get(&id) {
            return Ok(Some(k.clone()));
        }
        if id >= self.first_id {
            // Created by this import: its key is in the overlay (rare path: an ID
            // given in the file for a record the same file created).
            return Ok(self.overlay.iter().find(|&(_, v)| v == id).map(|(k, _)| k.into()));
        }
        let (Some(identifier), Some(record)) = (self.identifier, self.read.record(&self.object.name, id)?)
        else {
            return Ok(None);
        };
        Ok(record.view().get(identifier).map(|v| v.as_bytes().into()))
    }

    /// The actions of one piece's rows for this object (`oi` in the mapping); row
    /// errors go to `issues`. In a multi-object import a row without values for
    /// the object is [`Action::Absent`]. Fails when the store cannot be read.
    fn plan(
        &mut self,
        piece: &Transformed,
        oi: u16,
        multi: bool,
        issues: &mut Vec<Issue>,
    ) -> Result<Vec<Action>, StoreError> {
        let rows = &piece.objects[usize::from(oi)];
        let mut actions = Vec::with_capacity(piece.len());
        let object = self.object.clone();
        let id_name =
            self.identifier.map_or("record ID", |id| crate::schema::property(&object, id).name.as_str());
        for (r, &span) in piece.piece.rows.iter().enumerate() {
            if rows.failed[r] {
                actions.push(Action::Fail);
                continue;
            }
            if multi && !rows.present[r] {
                actions.push(Action::Absent);
                continue;
            }
            let key = rows.row_key(r);
            let known = rows.known[r];
            let mut fail = |code: ErrorCode, column: Option<u32>, value: String, message: String| {
                let at = Issue::at_row(r as u32, oi, u64::from(span.line), u64::from(span.start), column);
                issues.push(at.row_error(code, value, message));
                Action::Fail
            };
            let target = if known.record_id != 0 {
                let exists = known.record_exists
                    || (known.record_id >= self.first_id && known.record_id < self.next_id);
                if !exists {
                    let id = known.record_id;
                    actions.push(fail(
                        ErrorCode::InvalidRecordId,
                        rows.record_id_column,
                        id.to_string(),
                        format!("{} record {id} does not exist", self.object.name),
                    ));
                    continue;
                }
                Some(known.record_id)
            } else if key.is_empty() {
                None
            } else {
                Some(self.owner(rows.key_hashes[r], key, known.key_owner)).filter(|&id| id != 0)
            };
            let action = match (target, self.mode) {
                (Some(_), Mode::Create) => Action::Skip(SkipReason::CreateOnlyImport),
                (Some(_), _) if self.object.create_only() => Action::Skip(SkipReason::ActivityNotUpdatable),
                (Some(id), _) => {
                    if known.record_id != 0 && !key.is_empty() {
                        match self.move_key(id, key)? {
                            Ok(()) => self.update(id, known),
                            Err(owner) => fail(
                                ErrorCode::DuplicateUniquePropertyValue,
                                rows.identifier_column,
                                String::from_utf8_lossy(key).into_owned(),
                                format!(
                                    "{id_name} '{}' already belongs to {} record {owner}",
                                    String::from_utf8_lossy(key),
                                    self.object.name
                                ),
                            ),
                        }
                    } else {
                        self.update(id, known)
                    }
                }
                (None, Mode::Update) if known.record_id == 0 && key.is_empty() => fail(
                    ErrorCode::MissingIdentifier,
                    rows.identifier_column,
                    String::new(),
                    if self.identifier.is_some() {
                        format!("an update needs a record ID or {id_name}")
                    } else {
                        "an update needs a record ID".to_owned()
                    },
                ),
                (None, Mode::Update) => Action::Skip(SkipReason::UpdateOnlyImport),
                (None, _) if !rows.creatable[r] => fail(
                    ErrorCode::MissingRequiredProperty,
                    None,
                    String::new(),
                    required_message(&self.object),
                ),
                (None, _) => {
                    let id = self.next_id;
                    self.next_id += 1;
                    if !key.is_empty() {
                        self.overlay.set(rows.key_hashes[r], key, id);
                    }
                    Action::Create(id)
                }
            };
            actions.push(action);
        }
        Ok(actions)
    }

    /// The update of record `id`: the premerge computed against the snapshot if
    /// this import has not changed the record yet, else a merge at commit time.
    fn update(&mut self, id: u64, known: Known) -> Action {
        let untouched = id < self.first_id && !self.touched.contains(&id);
        match known.premerge {
            Premerge::Unchanged if untouched && known.premerge_target == id => Action::Unchanged(id),
            Premerge::Changed(slot) if untouched && known.premerge_target == id => {
                self.touched.insert(id);
                Action::Write(id, slot)
            }
            _ => {
                self.touched.insert(id);
                Action::Update(id)
            }
        }
    }

    /// Gives record `id` the identifier `key`, as an ID-matched row asks;
    /// `Ok(Err(owner))` if another record owns `key`.
    fn move_key(&mut self, id: u64, key: &[u8]) -> Result<Result<(), u64>, StoreError> {
        let owner = self.owner_uncached(key)?;
        if owner == id {
            return Ok(Ok(()));
        }
        let old = self.current_key(id)?;
        if self.protect_identifier && old.is_some() {
            return Ok(Ok(()));
        }
        if owner != 0 {
            return Ok(Err(owner));
        }
        self.overlay.set(hash_key(key), key, id);
        self.moved.insert(id, key.into());
        if let Some(old) = old {
            self.overlay.set(hash_key(&old), &old, 0);
        }
        Ok(Ok(()))
    }

    /// Ends planning: the changes to the identifier index, sorted by key, as
    /// `(key, Some(id))` to set and `(key, None)` to remove. The overlay holds the
    /// final owner of every identifier the import touched, so the index is written
    /// once, in key order, at the end.
    pub fn finish(&mut self) -> IndexDelta {
        // The keys stay where the overlay put them; only the order is computed, by
        // the first 8 bytes as an integer and then the whole key, so that most
        // comparisons never touch the key bytes.
        let (arena, spans) = std::mem::take(&mut self.overlay).into_parts();
        let mut entries: Vec<(u64, usize, u32, u64)> =
            spans.into_iter().map(|(o, l, id)| (prefix(&arena[o..o + l as usize]), o, l, id)).collect();
        let key = |e: &(u64, usize, u32, u64)| &arena[e.1..e.1 + e.2 as usize];
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key(a).cmp(key(b))));
        IndexDelta { arena, entries }
    }
}

/// What a row needs to create a record of `object` (SPEC 3).
fn required_message(object: &crate::schema::ObjectDef) -> String {
    let mut needs = Vec::new();
    if !object.required_all.is_empty() {
        needs.push(object.required_all.join(" and "));
    }
    if !object.required_any.is_empty() {
        needs.push(format!("one of {}", object.required_any.join(", ")));
    }
    format!("a new {} record needs {}", object.name, needs.join(", and "))
}

/// The first 8 bytes of a key as a big-endian integer (zero-padded): ordering by it
/// agrees with ordering by the key bytes.
fn prefix(key: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = key.len().min(8);
    buf[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(buf)
}
