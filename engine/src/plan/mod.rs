//! The plan stage: decides, in file order, what every row does.
//!
//! Rows arrive transformed and with their identifiers already looked up in the
//! snapshot of the store ([`crate::normalize::transform`]). The planner applies SPEC 3 one
//! row at a time: it matches the row to a record through the import's own
//! changes (an overlay of identifiers created or moved by earlier rows) or the
//! snapshot, chooses create, update, skip or fail by mode, and hands out record
//! IDs in the order of the creating rows. Whether an update changes anything is
//! only known when the record is read, so the commit stage settles `updated`
//! versus `unchanged`. [`links`] resolves a piece's association and label columns
//! after its actions are planned, with [`names`] for columns that find records by
//! a name; [`domains`] serves `--associate-by-domain` from the companies planner,
//! in the same row order.

pub mod domains;
pub mod links;
pub mod names;
#[cfg(test)]
mod tests;
mod unique;

use std::collections::HashSet;

use rayon::slice::ParallelSliceMut;

use store::{ReadSession, RowValues, SECONDARY, StoreError, Values};

use crate::codes::{ErrorCode, SkipReason};
use crate::issue::Issue;
use crate::normalize::transform::{Known, ObjectRows, ObjectSettings, Premerge, Transformed, UniqueSlot};
use crate::resolve::KeyTable;
use crate::schema::{Object, PropertyId};

pub use unique::{Conflict, Given, Held, Prepared, SlotState};

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

    /// The record the row imports (created, updated or unchanged), if any.
    pub fn record(self) -> Option<u64> {
        record_of(self)
    }
}

fn record_of(action: Action) -> Option<u64> {
    match action {
        Action::Create(id) | Action::Update(id) | Action::Write(id, _) | Action::Unchanged(id) => Some(id),
        Action::Skip(_) | Action::Fail | Action::Absent => None,
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
    /// Per object: rows whose values the planner rewrote (see [`Rewrites`]).
    pub rewrites: Vec<Rewrites>,
    /// The links and labels of the input's association and label columns.
    pub links: links::PlannedLinks,
}

impl Planned {
    /// The values row `r` writes to object `o`: the transformed ones, or the
    /// planner's rewrite of them.
    pub fn values(&self, o: usize, r: usize) -> Values<'_> {
        self.rewrites[o].get(r).unwrap_or_else(|| self.rows.objects[o].row_values(r))
    }
}

/// Rows of one object whose values the planner rewrote: a contact matched by a
/// secondary email keeps its primary email, and a new primary email moves the
/// old one to the secondary emails ([`unique`]).
#[derive(Debug, Default)]
pub struct Rewrites {
    values: RowValues,
    /// The rows, ascending; row `rows[i]` has values `values.row(i)`.
    rows: Vec<u32>,
}

impl Rewrites {
    /// The rewritten values of row `r`, if it was rewritten.
    pub fn get(&self, r: usize) -> Option<Values<'_>> {
        if self.rows.is_empty() {
            return None;
        }
        self.rows.binary_search(&(r as u32)).ok().map(|i| self.values.row(i))
    }

    /// Adds row `r` (after every row added so far): `values` with, for each slot
    /// change, the slot's property and list set to what the record will hold.
    fn push(&mut self, r: usize, values: Values<'_>, changes: &[(UniqueSlot, Held, bool)]) {
        let mut all: Vec<(PropertyId, String)> = values.iter().map(|(p, v)| (p, v.to_owned())).collect();
        for (slot, held, had_list) in changes {
            let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
            all.retain(|(p, _)| *p != slot.property && Some(*p) != slot.list);
            if let Some(v) = &held.primary {
                all.push((slot.property, text(v)));
            }
            if let Some(list) = slot.list
                && (!held.list.is_empty() || *had_list)
            {
                let joined: Vec<String> = held.list.iter().map(|v| text(v)).collect();
                all.push((list, joined.join(";")));
            }
        }
        all.sort_by_key(|(p, _)| *p);
        for (p, v) in &all {
            self.values.push(*p, v);
        }
        self.values.end_row();
        self.rows.push(r as u32);
    }
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
    /// The current input's association and label columns.
    links: links::LinkColumns,
    /// `--associate-by-domain`.
    domains: Option<domains::DomainLinks>,
    /// The values association columns find records by ([`names`]).
    names: names::NameIndexes,
}

impl<'a> Planner<'a> {
    /// A planner over one planner per object, in the mapping's order.
    pub fn new(objects: Vec<ObjectPlanner<'a>>) -> Self {
        Self {
            objects,
            links: links::LinkColumns::default(),
            domains: None,
            names: names::NameIndexes::default(),
        }
    }

    /// Keeps the name indexes that the import's association columns by value need
    /// (of every input, so that an earlier input's rows are applied to them).
    #[must_use]
    pub fn with_names(mut self, names: names::NameIndexes) -> Self {
        self.names = names;
        self
    }

    /// Associates contacts with the companies of their email domains.
    #[must_use]
    pub fn with_domains(mut self, domains: Option<domains::DomainLinks>) -> Self {
        self.domains = domains;
        self
    }

    /// Starts an input whose association and label columns are `links`.
    pub fn begin_file(&mut self, links: links::LinkColumns) {
        self.links = links;
    }

    /// The next record ID of each object.
    pub fn next_ids(&self) -> Vec<u64> {
        self.objects.iter().map(ObjectPlanner::next_id).collect()
    }

    /// Each object's record sequence after the import ([`ObjectPlanner::sequence_end`]).
    pub fn sequence_ends(&self) -> Vec<u64> {
        self.objects.iter().map(ObjectPlanner::sequence_end).collect()
    }

    /// Plans one piece of input `file` whose first byte is on `first_line` at byte
    /// `offset` of the input: every object's actions, then the issues as reported,
    /// anchored. Fails when the store cannot be read (the import must stop).
    pub fn plan(&mut self, rows: Transformed, file: u32, first_line: u64) -> Result<Planned, StoreError> {
        let multi = self.objects.len() > 1;
        let mut rows = rows;
        let mut found = std::mem::take(&mut rows.issues);
        let mut actions = Vec::with_capacity(self.objects.len());
        let mut rewrites: Vec<Rewrites> = self.objects.iter().map(|_| Rewrites::default()).collect();
        let objects: Vec<Object> = self.objects.iter().map(|p| p.object.clone()).collect();
        links::require(&self.links, &mut rows, &objects, &mut found);
        // With domain requests, contacts are planned before companies.
        let mut order: Vec<usize> = (0..self.objects.len()).collect();
        if let Some(d) = &self.domains {
            order.retain(|&o| o != d.contacts);
            order.insert(0, d.contacts);
        }
        let mut planned: Vec<Option<Vec<Action>>> = vec![None; self.objects.len()];
        let mut auto = Vec::new();
        for oi in order {
            let requests = match &self.domains {
                Some(d) if oi == d.companies => {
                    let contacts = planned[d.contacts].as_deref().expect("contacts are planned first");
                    Some(domain_requests(d, &rows, contacts, &rewrites[d.contacts]))
                }
                _ => None,
            };
            let domains = requests.as_ref().zip(self.domains.as_ref());
            let planner = &mut self.objects[oi];
            let a =
                planner.plan(&rows, oi as u16, multi, &mut found, &mut rewrites[oi], domains, &mut auto)?;
            planned[oi] = Some(a);
        }
        actions.extend(planned.into_iter().map(|a| a.expect("every object is planned")));
        let read = self.objects[0].read;
        self.names.begin_piece();
        let mut links = if self.links.is_empty() {
            links::PlannedLinks::default()
        } else {
            links::resolve(
                &self.links,
                &rows,
                &actions,
                &rewrites,
                &self.objects,
                &mut self.names,
                read,
                &mut found,
            )?
        };
        if !self.names.is_empty() {
            self.names.advance(rows.len(), &rows, &actions, &rewrites, read)?;
        }
        if let Some(d) = &self.domains {
            for (row, id) in auto {
                links.extra.push(links::ExtraLink {
                    row,
                    from: d.contacts,
                    object: "companies".into(),
                    id,
                    auto: true,
                });
            }
            links.extra.sort_by_key(|e| e.row);
        }
        let mut issues = crate::issue::settle(found, |r, o| actions[usize::from(o)][r as usize].imports());
        let offset = rows.piece.offset as u64;
        for i in &mut issues {
            i.anchor(file, first_line, offset);
        }
        Ok(Planned { rows, first_line, actions, issues, rewrites, links })
    }

    /// Whether this import has so far changed any of `records` of object `object`
    /// (a record it created is not a stored one and never among them).
    pub fn touched_any(&self, object: usize, mut records: impl Iterator<Item = u64>) -> bool {
        let touched = &self.objects[object].touched;
        !touched.is_empty() && records.any(|id| touched.contains(&id))
    }

    /// Ends planning: each object's changes to its unique indexes (per slot).
    pub fn finish(&mut self) -> Vec<Vec<IndexDelta>> {
        self.objects.iter_mut().map(ObjectPlanner::finish).collect()
    }
}

/// The sequential planner of one object of an import.
pub struct ObjectPlanner<'a> {
    object: Object,
    /// The unique identifier rows are matched by (none: record ID only); when
    /// there is one, it is slot 0.
    identifier: Option<PropertyId>,
    mode: Mode,
    read: &'a ReadSession,
    first_id: u64,
    next_id: u64,
    /// The unique indexes the import keeps, as [`ObjectSettings::slots`].
    slots: Vec<SlotState>,
    /// Per slot: whether `--no-overwrite` protects its property and its list.
    protect: Vec<(bool, bool)>,
    /// Stored records this import has changed (their snapshot is stale).
    touched: HashSet<u64, ahash::RandomState>,
    /// `--create-with-ids`: a row whose record ID does not exist creates it.
    create_with_ids: bool,
    /// The records created with the ID their row gave (`--create-with-ids`); the
    /// sequence skips them, so `first_id..next_id` holds no ID that was not created.
    explicit: HashSet<u64, ahash::RandomState>,
    /// Per record of the sequence this import created (`ID - first_id`): the
    /// [`fingerprint`](store::Values::fingerprint) of the values it was created
    /// with, while no other row has changed it (0: unknown). A later row with the
    /// same values changes nothing, and is planned unchanged without a read.
    created_with: Vec<u128>,
}

/// What a row's unique values come to ([`ObjectPlanner::settle`]).
enum Settle {
    /// Nothing to rewrite.
    Kept,
    /// The row's values must be rewritten (the slot changes to write).
    Rewrite(Vec<(UniqueSlot, Held, bool)>),
    /// Refused: slot, conflict.
    Refused(usize, Conflict),
}

impl<'a> ObjectPlanner<'a> {
    /// A planner for one object with `settings`, handing out IDs from `next_id`.
    pub fn new(settings: &ObjectSettings, mode: Mode, read: &'a ReadSession, next_id: u64) -> Self {
        Self {
            object: settings.object.clone(),
            identifier: settings.identifier,
            mode,
            read,
            first_id: next_id,
            next_id,
            slots: settings.slots.iter().map(|&s| SlotState::new(s)).collect(),
            protect: settings
                .slots
                .iter()
                .map(|s| {
                    let asks = |p| settings.policy.asks_to_protect(p);
                    (asks(s.property), s.list.is_some_and(asks))
                })
                .collect(),
            touched: HashSet::default(),
            create_with_ids: false,
            explicit: HashSet::default(),
            created_with: Vec::new(),
        }
    }

    /// `--create-with-ids`: a row whose record ID does not exist creates the record
    /// with that ID (upsert and create modes).
    #[must_use]
    pub fn with_ids_kept(mut self, on: bool) -> Self {
        self.create_with_ids = on;
        self
    }

    /// The next record ID to hand out.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The record sequence after the import: past every ID it created, also those
    /// the rows gave.
    pub fn sequence_end(&self) -> u64 {
        self.explicit.iter().map(|&id| id + 1).fold(self.next_id, u64::max)
    }

    /// Whether record `id` was created by this import (so far).
    pub fn created(&self, id: u64) -> bool {
        (self.first_id..self.next_id).contains(&id) || self.explicit.contains(&id)
    }

    /// Notes that record `id` was created with `values` (see `created_with`).
    fn created_with(&mut self, id: u64, values: store::Values<'_>) {
        let Some(i) = id.checked_sub(self.first_id).and_then(|i| usize::try_from(i).ok()) else {
            return;
        };
        if i >= self.created_with.len() {
            self.created_with.resize(i + 1, 0);
        }
        self.created_with[i] = values.fingerprint();
    }

    /// Forgets what record `id` was created with: a row changes it.
    fn forget_created(&mut self, id: u64) {
        if let Some(slot) = id
            .checked_sub(self.first_id)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.created_with.get_mut(i))
        {
            *slot = 0;
        }
    }

    /// Whether record `id`, created by this import and not changed since, was
    /// created with exactly `values`; otherwise forgets what it was created with
    /// (the row is about to change it).
    fn same_as_created(&mut self, id: u64, values: store::Values<'_>) -> bool {
        let Some(slot) = id
            .checked_sub(self.first_id)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.created_with.get_mut(i))
        else {
            return false;
        };
        if *slot != 0 && *slot == values.fingerprint() {
            return true;
        }
        // The row changes the record (or may: a merge at commit decides).
        *slot = 0;
        false
    }

    /// Hands out the next ID of the sequence, past the IDs rows gave.
    fn take_id(&mut self) -> u64 {
        while self.explicit.contains(&self.next_id) {
            self.next_id += 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The index entry of the row's identifier `key` now: this import's changes
    /// first, then the snapshot's entry.
    fn owner(&self, hash: u64, key: &[u8], snapshot_owner: u64) -> u64 {
        self.slots[0].entry(hash, key, snapshot_owner)
    }

    /// What row `r` gives slot `i`.
    fn given<'r>(&self, rows: &'r ObjectRows, r: usize, i: usize, keep_primary: bool) -> Given<'r> {
        let keys = &rows.slot_keys[i];
        let (primary_given, list, range) = keys.row(r);
        let primary = if i == 0 && self.identifier.is_some() {
            let key = rows.row_key(r);
            (!key.is_empty()).then(|| (key, rows.key_hashes[r], rows.known[r].key_owner))
        } else if primary_given {
            range.clone().map(|k| keys.key(k)).find(|k| !k.list).map(|k| (k.key, k.hash, k.entry))
        } else {
            None
        };
        Given {
            primary,
            list,
            keys: (range.start, range.end),
            keep_primary: keep_primary && i == 0,
            protect: self.protect[i],
        }
    }

    /// Settles row `r`'s unique values for record `id` (`creating`: new) in every
    /// slot: all or nothing. `via_secondary`: the row matched the record through
    /// one of its secondary values and carries no record ID.
    fn settle(
        &mut self,
        rows: &ObjectRows,
        r: usize,
        id: u64,
        creating: bool,
        via_secondary: bool,
    ) -> Result<Settle, StoreError> {
        let object = self.object.clone();
        let name = object.name.as_str();
        let mut prepared = Vec::new();
        let mut new_identifier = None;
        for i in 0..self.slots.len() {
            let given = self.given(rows, r, i, via_secondary);
            if given.primary.is_none() && !given.list && !(i == 0 && via_secondary) {
                continue;
            }
            if creating && i == 0 && self.identifier.is_some() && !given.list {
                // A new record's identifier: free, or the row would have matched.
                new_identifier = given.primary;
                continue;
            }
            let created_here = self.created(id);
            match self.slots[i].prepare(self.read, name, rows, i, given, id, created_here, creating)? {
                Prepared::Nothing => {}
                Prepared::Conflict(c) => return Ok(Settle::Refused(i, c)),
                Prepared::Change { current, next, rewrite } => prepared.push((i, current, next, rewrite)),
            }
        }
        if let Some((key, hash, _)) = new_identifier {
            self.slots[0].overlay.set(hash, key, id);
        }
        let mut rewrites = Vec::new();
        for (i, current, next, rewrite) in prepared {
            if rewrite {
                rewrites.push((self.slots[i].slot, next.clone(), !current.list.is_empty()));
            }
            self.slots[i].apply(self.read, name, id, &current, next)?;
        }
        Ok(if rewrites.is_empty() { Settle::Kept } else { Settle::Rewrite(rewrites) })
    }

    /// The actions of one piece's rows for this object (`oi` in the mapping); row
    /// errors go to `issues`, rewritten rows to `rewrites`. In a multi-object
    /// import a row without values for the object is [`Action::Absent`]. Fails
    /// when the store cannot be read. For companies, `domains` holds each row's
    /// domain request ([`domains`]); what they find or create goes to `auto`.
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        piece: &Transformed,
        oi: u16,
        multi: bool,
        issues: &mut Vec<Issue>,
        rewrites: &mut Rewrites,
        domains: Option<(&Vec<Option<String>>, &domains::DomainLinks)>,
        auto: &mut Vec<(u32, u64)>,
    ) -> Result<Vec<Action>, StoreError> {
        let rows = &piece.objects[usize::from(oi)];
        let mut actions = Vec::with_capacity(piece.len());
        let object = self.object.clone();
        // Rows that need the general path: the import keeps more than the identifier.
        let simple = self.slots.len() <= 1
            && rows.slot_keys.iter().all(crate::normalize::transform::SlotKeys::is_unused);
        for (r, &span) in piece.piece.rows.iter().enumerate() {
            if rows.failed[r] {
                actions.push(Action::Fail);
                continue;
            }
            if multi && !rows.present[r] {
                let request =
                    domains.and_then(|(requests, d)| requests[r].as_deref().map(|domain| (domain, d)));
                let action = match request {
                    Some((domain, d)) => self.domain_request(domain, d, r, span, rewrites, issues, auto)?,
                    None => Action::Absent,
                };
                actions.push(action);
                continue;
            }
            let key = rows.row_key(r);
            let known = rows.known[r];
            let mut fail = |code: ErrorCode, column: Option<u32>, value: String, message: String| {
                let at = Issue::at_row(r as u32, oi, u64::from(span.line), u64::from(span.start), column);
                issues.push(at.row_error(code, value, message));
                Action::Fail
            };
            let mut via_secondary = false;
            // A record ID that does not exist, which --create-with-ids creates.
            let mut given_id = None;
            let target = if known.record_id != 0 {
                let exists = known.record_exists || self.created(known.record_id);
                if exists {
                    Some(known.record_id)
                } else if self.create_with_ids && self.mode != Mode::Update {
                    given_id = Some(known.record_id);
                    None
                } else {
                    let id = known.record_id;
                    actions.push(fail(
                        ErrorCode::InvalidRecordId,
                        rows.record_id_column,
                        id.to_string(),
                        format!("{} record {id} does not exist", self.object.name),
                    ));
                    continue;
                }
            } else if key.is_empty() {
                None
            } else {
                let entry = self.owner(rows.key_hashes[r], key, known.key_owner);
                via_secondary = entry & SECONDARY != 0;
                Some(entry & !SECONDARY).filter(|&id| id != 0)
            };
            let action = match (target, self.mode) {
                (Some(_), Mode::Create) => Action::Skip(SkipReason::CreateOnlyImport),
                (Some(_), _) if self.object.create_only() => Action::Skip(SkipReason::ActivityNotUpdatable),
                (Some(id), _) if simple && known.record_id == 0 && !via_secondary => {
                    if self.same_as_created(id, rows.row_values(r)) {
                        Action::Unchanged(id)
                    } else {
                        self.update(id, known)
                    }
                }
                (Some(id), _) => match self.settle(rows, r, id, false, via_secondary)? {
                    Settle::Kept => {
                        self.forget_created(id);
                        self.update(id, known)
                    }
                    Settle::Rewrite(changes) => {
                        rewrites.push(r, rows.row_values(r), &changes);
                        self.forget_created(id);
                        self.touched.insert(id);
                        Action::Update(id)
                    }
                    Settle::Refused(slot, c) => {
                        let (column, value, message) = self.conflict_report(rows, slot, &c);
                        fail(ErrorCode::DuplicateUniquePropertyValue, column, value, message)
                    }
                },
                (None, Mode::Update) if known.record_id == 0 && key.is_empty() => fail(
                    ErrorCode::MissingIdentifier,
                    rows.identifier_column,
                    String::new(),
                    if let Some(id) = self.identifier {
                        format!(
                            "an update needs a record ID or {}",
                            crate::schema::property(&object, id).name
                        )
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
                (None, _) if simple && given_id.is_none() => {
                    let id = self.take_id();
                    if !key.is_empty() {
                        self.slots[0].overlay.set(rows.key_hashes[r], key, id);
                    }
                    self.created_with(id, rows.row_values(r));
                    Action::Create(id)
                }
                (None, _) => {
                    // The sequence's next ID is taken once the row is known to create it.
                    while given_id.is_none() && self.explicit.contains(&self.next_id) {
                        self.next_id += 1;
                    }
                    let id = given_id.unwrap_or(self.next_id);
                    // A row's own record ID did not match by its identifier, which
                    // may belong to another record: settled as for an update.
                    match self.settle(rows, r, id, given_id.is_none(), false)? {
                        Settle::Refused(slot, c) => {
                            let (column, value, message) = self.conflict_report(rows, slot, &c);
                            fail(ErrorCode::DuplicateUniquePropertyValue, column, value, message)
                        }
                        settled => {
                            if let Settle::Rewrite(changes) = settled {
                                rewrites.push(r, rows.row_values(r), &changes);
                            }
                            if given_id.is_some() {
                                self.explicit.insert(id);
                                self.touched.insert(id);
                            } else {
                                self.next_id += 1;
                            }
                            Action::Create(id)
                        }
                    }
                }
            };
            actions.push(action);
        }
        Ok(actions)
    }

    /// Row `r`'s request for the company of `domain` (this is the companies planner):
    /// found, it is linked (the row has no company values: `Absent`); missing, it is
    /// created (unless the import only updates).
    #[allow(clippy::too_many_arguments)]
    fn domain_request(
        &mut self,
        domain: &str,
        d: &domains::DomainLinks,
        r: usize,
        span: crate::input::decode::RowSpan,
        rewrites: &mut Rewrites,
        issues: &mut Vec<Issue>,
        auto: &mut Vec<(u32, u64)>,
    ) -> Result<Action, StoreError> {
        if let Some(shared) = &d.shared
            && shared.get(domain).copied().unwrap_or(0) > 1
        {
            let at =
                Issue::at_row(r as u32, d.contacts as u16, u64::from(span.line), u64::from(span.start), None);
            issues.push(at.value_error(
                ErrorCode::MultipleCompaniesWithThisDomain,
                domain.to_owned(),
                format!(
                    "several companies have domain {domain}: the contact is associated with none of them"
                ),
            ));
            return Ok(Action::Absent);
        }
        let key = domain.as_bytes();
        let hash = crate::resolve::hash_key(key);
        let snapshot = self.read.lookup_entry(&self.object.name, d.domain, key)?.unwrap_or(0);
        let entry =
            if self.identifier == Some(d.domain) { self.owner(hash, key, snapshot) } else { snapshot };
        let found = entry & !SECONDARY;
        if found != 0 {
            auto.push((r as u32, found));
            return Ok(Action::Absent);
        }
        if self.mode == Mode::Update {
            return Ok(Action::Absent);
        }
        let id = self.take_id();
        if self.identifier == Some(d.domain) {
            self.slots[0].overlay.set(hash, key, id);
        }
        let mut values = RowValues::default();
        let mut pairs = [(d.domain, domain), (d.name, domain)];
        pairs.sort_by_key(|p| p.0);
        for (p, v) in pairs {
            values.push(p, v);
        }
        values.end_row();
        rewrites.push(r, values.row(0), &[]);
        auto.push((r as u32, id));
        Ok(Action::Create(id))
    }

    /// The column, value and message of a row refused for a value another record holds.
    fn conflict_report(&self, rows: &ObjectRows, slot: usize, c: &Conflict) -> (Option<u32>, String, String) {
        let s = self.slots[slot].slot;
        let (property, column) = if c.list {
            (s.list.unwrap_or(s.property), rows.slot_keys[slot].columns.1)
        } else if slot == 0 && self.identifier.is_some() {
            (s.property, rows.identifier_column)
        } else {
            (s.property, rows.slot_keys[slot].columns.0)
        };
        let value = String::from_utf8_lossy(&c.key).into_owned();
        let name = &crate::schema::property(&self.object, property).name;
        let message = format!(
            "{name} '{value}' already belongs to {} record {}{}",
            self.object.name,
            c.owner,
            if self.slots[slot].slot.list.is_some() {
                " (emails are unique across primary and secondary emails)"
            } else {
                ""
            }
        );
        (column, value, message)
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

    /// Ends planning: per unique slot, the changes to its index, sorted by key, as
    /// `(key, entry)` to set and `(key, 0)` to remove. The overlays hold the final
    /// entry of every value the import touched, so each index is written once, in
    /// key order, at the end.
    pub fn finish(&mut self) -> Vec<IndexDelta> {
        self.slots.iter_mut().map(|s| sorted_delta(std::mem::take(&mut s.overlay))).collect()
    }
}

/// Per row: the normalized domain whose company the row's contact asks for, where
/// the row imports a contact with an email and has no company values.
fn domain_requests(
    d: &domains::DomainLinks,
    rows: &Transformed,
    contacts: &[Action],
    rewritten: &Rewrites,
) -> Vec<Option<String>> {
    let companies = &rows.objects[d.companies];
    (0..rows.len())
        .map(|r| {
            if !contacts[r].imports() || companies.present[r] || companies.failed[r] {
                return None;
            }
            let values = rewritten.get(r).unwrap_or_else(|| rows.objects[d.contacts].row_values(r));
            let email = values.iter().find(|(p, _)| *p == d.email)?.1;
            d.domain_of(email)
        })
        .collect()
}

/// An overlay's entries sorted by key.
fn sorted_delta(overlay: KeyTable) -> IndexDelta {
    // The keys stay where the overlay put them; only the order is computed, by
    // the first 8 bytes as an integer and then the whole key, so that most
    // comparisons never touch the key bytes.
    let (arena, spans) = overlay.into_parts();
    let mut entries: Vec<(u64, usize, u32, u64)> =
        spans.into_iter().map(|(o, l, id)| (prefix(&arena[o..o + l as usize]), o, l, id)).collect();
    let key = |e: &(u64, usize, u32, u64)| &arena[e.1..e.1 + e.2 as usize];
    entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key(a).cmp(key(b))));
    IndexDelta { arena, entries }
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
