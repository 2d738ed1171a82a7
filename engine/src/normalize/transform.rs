//! The transform stage: mapped, validated, normalized rows, ready for planning.
//!
//! Runs on every decoded piece in parallel. For each row and each of the import's
//! objects it normalizes every mapped cell by its property's type
//! ([`crate::normalize::values`]), hands the row's valid values to the store's
//! [`RowValues`], extracts the identifier (record ID and/or unique property) and
//! looks both up in the snapshot of the store taken when the import started, and
//! merges a matched row into its stored record (the premerge). Everything that
//! needs file order (duplicates inside the file, ID assignment) is left to
//! [`crate::plan`]. A single-object import is the one-object case of the same code.

use store::{MergePolicy, MergedSlot, ReadSession, RecordReader, RowValues, Values};

use crate::codes::ErrorCode;
use crate::input::convert::TypedNumbers;
use crate::input::decode::DecodedPiece;
use crate::issue::Issue;
use crate::mapping::{Mapping, Target};
use crate::normalize::evidence::{DateEvidence, NumberEvidence};
use crate::normalize::memo::PremergeMemo;
use crate::normalize::pipelines::{self, PipelineProperties};
use crate::normalize::values::{self, ValueOptions};
use crate::resolve::{KeyIndex, hash_key};
use crate::schema::{Object, ObjectDef, PropertyDef, PropertyId, PropertyType, RECORD_ID};

/// How the rows of one object of the import are matched and merged.
#[derive(Debug, Clone)]
pub struct ObjectSettings {
    /// The object.
    pub object: Object,
    /// The unique identifier property rows are matched by (none: record ID only).
    pub identifier: Option<PropertyId>,
    /// How a row merges into its record (`--no-overwrite`, forward-only lifecycle).
    pub policy: MergePolicy,
    /// The property the policy keeps forward-only (the lifecycle stage), if any.
    pub forward_only: Option<PropertyId>,
    /// The unique indexes the import keeps (SPEC 2): the identifier's first when
    /// there is one, then every other unique property the import maps.
    pub slots: Vec<UniqueSlot>,
}

/// One unique index an import keeps: a unique property, and the property that
/// holds secondary values indexed with it, if the object has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueSlot {
    /// The unique property (the index's property).
    pub property: PropertyId,
    /// The list of secondary values indexed with it (`hs_additional_emails`).
    pub list: Option<PropertyId>,
    /// Several records may share a value ([`store::schema::PropertyDef::shared`]):
    /// nothing is refused, and the index is built again when the import ends.
    pub shared: bool,
}

impl UniqueSlot {
    /// The unique indexes an import of `object` keeps (SPEC 2): the identifier's,
    /// then every other unique property that `mapped` holds (or whose list of
    /// secondary values it holds).
    pub fn of(object: &ObjectDef, identifier: Option<PropertyId>, mapped: &[PropertyId]) -> Vec<Self> {
        let list_of = |p: &PropertyDef| {
            object
                .properties
                .iter()
                .find(|l| l.secondary_of.as_deref() == Some(p.name.as_str()))
                .map(|l| l.id)
        };
        let mut slots = Vec::new();
        if let Some(p) = identifier.and_then(|id| object.property(id)) {
            slots.push(Self { property: p.id, list: list_of(p), shared: p.shared });
        }
        for p in object.properties.iter().filter(|p| p.unique && Some(p.id) != identifier) {
            if mapped.contains(&p.id) || list_of(p).is_some_and(|l| mapped.contains(&l)) {
                // SPEC 2: when another property is the companies' identifier, `domain`
                // no longer needs to be unique (contacts' `email` always stays unique).
                let freed =
                    object.name == "companies" && object.identifier.as_deref() == Some(p.name.as_str());
                slots.push(Self { property: p.id, list: list_of(p), shared: p.shared || freed });
            }
        }
        slots
    }
}

impl ObjectSettings {
    /// Whether slot 0 is the identifier's.
    pub fn identifier_slot(&self) -> bool {
        self.identifier.is_some()
    }
}

/// How a date or number column is read when the user gave no `--date-format` or
/// `--number-locale`: the whole column decides ([`crate::normalize::evidence`]).
#[derive(Debug, Clone, Default)]
pub struct ColumnConventions {
    /// Observe date and datetime columns (no `--date-format`).
    pub observe_dates: bool,
    /// Observe number columns (no `--number-locale`).
    pub observe_numbers: bool,
    /// The order or locale decided for a column (input column index), overriding
    /// the import's options for that column.
    pub decided: std::collections::BTreeMap<usize, Convention>,
}

/// A column's decided convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// Dates in this order.
    Date(values::DateOrder),
    /// Numbers in this locale.
    Number(values::NumberLocale),
}

/// What one piece's cells of a date or number column say about its convention,
/// lines relative to the piece.
#[derive(Debug, Clone)]
pub enum ColumnEvidence {
    /// A date or datetime column.
    Date(DateEvidence),
    /// A number column.
    Number(NumberEvidence),
}

impl ColumnEvidence {
    /// Adds the evidence of the cells that follow these in the file.
    pub fn merge(&mut self, later: Self) {
        match (self, later) {
            (Self::Date(a), Self::Date(b)) => a.merge(b),
            (Self::Number(a), Self::Number(b)) => a.merge(b),
            _ => debug_assert!(false, "one column is one kind"),
        }
    }

    /// Makes the examples' lines absolute.
    pub fn shift_lines(&mut self, by: u64) {
        match self {
            Self::Date(e) => e.shift_lines(by),
            Self::Number(e) => e.shift_lines(by),
        }
    }
}

/// The import-wide settings the transform stage needs, for one input.
#[derive(Debug)]
pub struct TransformConfig {
    /// Per object of the mapping, in its order.
    objects: Vec<ObjectColumns>,
    /// Value parsing options.
    pub values: ValueOptions,
    /// Value options per column whose convention was decided (index from
    /// [`ColumnPlan::options`]).
    column_values: Vec<ValueOptions>,
    /// The import, recorded as the last writer of records it changes.
    pub import_id: u64,
    /// First trailing column without a name ([`Mapping::unnamed_from`]).
    pub unnamed_from: usize,
    /// For a converted spreadsheet or Parquet file: its cells that were numbers,
    /// read as plain decimals whatever the locale (and never observed).
    numbers: Option<std::sync::Arc<TypedNumbers>>,
    /// [`TransformConfig::values`] with the plain-decimal locale, for those cells.
    plain_numbers: ValueOptions,
    /// The input columns of the association and label columns
    /// ([`Mapping::links`]), in their order.
    link_columns: Vec<usize>,
    /// Premerges that changed nothing, per object, shared by the pieces.
    memo: PremergeMemo,
}

/// A non-blank cell of an association or label column, for the plan stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCell {
    /// The row in the piece.
    pub row: u32,
    /// The column's index in [`Mapping::links`].
    pub link: u16,
    /// The cell, trimmed.
    pub text: String,
}

/// The per-column work of one object.
#[derive(Debug)]
struct ObjectColumns {
    settings: ObjectSettings,
    /// The pipeline and stage properties, and the pipeline's input column, if the
    /// object has pipelines.
    pipelines: Option<(PipelineProperties, Option<usize>)>,
    /// The input columns of the record ID and of the identifier, if mapped.
    record_id_column: Option<u32>,
    identifier_column: Option<u32>,
    required_any: Vec<PropertyId>,
    required_all: Vec<PropertyId>,
    /// The object's mapped columns, ascending by property.
    columns: Vec<ColumnPlan>,
}

#[derive(Debug, Clone, Copy)]
struct ColumnPlan {
    column: usize,
    property: PropertyId,
    /// Index of the property in the object's list.
    index: usize,
    ty: PropertyType,
    /// The column's own value options in [`TransformConfig::column_values`]
    /// (decided by its evidence), if any.
    options: Option<usize>,
    /// Whether its cells are observed for the column's convention.
    observe: bool,
    /// The unique slot whose keys its values are, other than the identifier
    /// (slot, whether the values are the slot's secondary list).
    slot: Option<(u8, bool)>,
    /// Whether its property is one of the object's `required_any`, and one of its
    /// `required_all` (known per column, not looked up per cell).
    required: (bool, bool),
}

impl TransformConfig {
    /// Whether every row's outcome depends only on its own cells and the store's
    /// records: no association or label columns, no converted input, no owner
    /// column (owners are matched against their own table) and no column whose
    /// convention is being inferred from the whole file ([`crate::replay`]).
    pub fn replayable(&self) -> bool {
        self.link_columns.is_empty()
            && self.numbers.is_none()
            && !self.objects.iter().flat_map(|o| &o.columns).any(|c| c.observe || c.ty == PropertyType::Owner)
    }

    /// Prepares the per-column work of a mapping; `settings` has one entry per
    /// object of the mapping, in its order.
    pub fn new(
        mapping: &Mapping,
        settings: &[ObjectSettings],
        values: ValueOptions,
        conventions: &ColumnConventions,
        import_id: u64,
    ) -> Self {
        debug_assert_eq!(mapping.objects.len(), settings.len());
        let mut column_values = Vec::new();
        let objects = settings
            .iter()
            .enumerate()
            .map(|(oi, settings)| {
                let object = &settings.object;
                let mut columns: Vec<ColumnPlan> = mapping
                    .columns
                    .iter()
                    .enumerate()
                    .filter_map(|(column, t)| match *t {
                        Target::Property { object: o, property } if o == oi => {
                            let index = object.properties.iter().position(|p| p.id == property)?;
                            let ty = object.properties[index].ty;
                            let observe = match ty {
                                PropertyType::Date | PropertyType::Datetime => conventions.observe_dates,
                                PropertyType::Number => conventions.observe_numbers,
                                _ => false,
                            };
                            let options = conventions.decided.get(&column).map(|c| {
                                let mut v = values.clone();
                                match *c {
                                    Convention::Date(order) => v.date_order = order,
                                    Convention::Number(locale) => v.number_locale = locale,
                                }
                                column_values.push(v);
                                column_values.len() - 1
                            });
                            let slot = settings.slots.iter().enumerate().find_map(|(i, s)| {
                                let list = s.list == Some(property);
                                let own = s.property == property && !(i == 0 && settings.identifier_slot());
                                (list || own).then_some((i as u8, list))
                            });
                            let name = &object.properties[index].name;
                            let required =
                                (object.required_any.contains(name), object.required_all.contains(name));
                            Some(ColumnPlan { column, property, index, ty, options, observe, slot, required })
                        }
                        _ => None,
                    })
                    .collect();
                columns.sort_by_key(|c| c.property);
                let column_of =
                    |property: u16| columns.iter().find(|c| c.property == property).map(|c| c.column as u32);
                let ids = |names: &[String]| -> Vec<PropertyId> {
                    names.iter().filter_map(|p| object.property_id(p)).collect()
                };
                ObjectColumns {
                    pipelines: PipelineProperties::of(object)
                        .map(|p| (p, columns.iter().find(|c| c.property == p.pipeline).map(|c| c.column))),
                    record_id_column: column_of(RECORD_ID),
                    identifier_column: settings.identifier.and_then(column_of),
                    required_any: ids(&object.required_any),
                    required_all: ids(&object.required_all),
                    settings: settings.clone(),
                    columns,
                }
            })
            .collect();
        let plain_numbers = ValueOptions { number_locale: values::NumberLocale::En, ..values.clone() };
        Self {
            objects,
            values,
            column_values,
            import_id,
            unnamed_from: mapping.unnamed_from,
            link_columns: mapping.links.iter().map(|(c, _)| *c).collect(),
            numbers: None,
            plain_numbers,
            memo: PremergeMemo::new(settings.len()),
        }
    }

    /// Reads the cells `numbers` marks as plain decimals (a converted input's
    /// typed numbers, [`crate::input::convert::TypedNumbers`]).
    #[must_use]
    pub fn with_numbers(mut self, numbers: Option<std::sync::Arc<TypedNumbers>>) -> Self {
        self.numbers = numbers.filter(|n| !n.is_empty());
        self
    }
}

/// What the snapshot knows about a row's identifiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    /// The record ID given in the row (0: none).
    pub record_id: u64,
    /// Whether that record existed when the import started.
    pub record_exists: bool,
    /// The record owning the row's unique identifier at import start (0: none).
    pub key_owner: u64,
    /// The record the row matched in the snapshot (0: none), and what merging the
    /// row into it gives.
    pub premerge_target: u64,
    /// The result of that merge.
    pub premerge: Premerge,
}

/// The merge of a row into the stored record it matched, computed in parallel
/// against the snapshot. Valid only while this import has not changed that record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Premerge {
    /// Not computed (no match in the snapshot).
    #[default]
    None,
    /// The row changes nothing.
    Unchanged,
    /// The row changes the record into this merged record of [`ObjectRows::merged`].
    Changed(MergedSlot),
}

/// The transformed rows of one piece.
#[derive(Debug)]
pub struct Transformed {
    /// The decoded piece (spans, structural errors, line counts), without its
    /// columns (see [`DecodedPiece::without_columns`]).
    pub piece: DecodedPiece,
    /// Per object of the import, in the mapping's order.
    pub objects: Vec<ObjectRows>,
    /// Row and value errors of every object, positions relative to the piece.
    pub issues: Vec<Issue>,
    /// Evidence of the observed date and number columns, by input column.
    pub evidence: Vec<(usize, ColumnEvidence)>,
    /// Reading the snapshot failed: the import must stop.
    pub store_error: Option<String>,
    /// The first `(row, column)` with a value in a trailing column without a name
    /// ([`Mapping::unnamed_from`]): such a column is unmapped, the import stops.
    pub unnamed_value: Option<(u32, u32)>,
    /// The association and label cells, by row then column.
    pub link_cells: Vec<LinkCell>,
    /// A row of the piece may match the record of one of its replayed rows
    /// ([`DecodedPiece::replayed`]): the piece must be read again without them.
    pub replay_conflict: bool,
}

/// The rows of a piece as one object of the import sees them.
#[derive(Debug)]
pub struct ObjectRows {
    /// The object and how it matches and merges.
    pub settings: ObjectSettings,
    /// The valid values of every row, for the store.
    pub values: RowValues,
    /// Normalized identifier of every row, back to back (empty: none).
    pub keys: Vec<u8>,
    /// End of each row's identifier in `keys`.
    pub key_ends: Vec<u32>,
    /// [`hash_key`] of each row's identifier (0 when it has none).
    pub key_hashes: Vec<u64>,
    /// Snapshot lookups per row.
    pub known: Vec<Known>,
    /// Whether each row holds what creating a record needs.
    pub creatable: Vec<bool>,
    /// Whether each row already has a row error for this object.
    pub failed: Vec<bool>,
    /// Whether each row has any value (or a record ID) for this object; a row of a
    /// multi-object file without one is not a record of it.
    pub present: Vec<bool>,
    /// Merged records of rows whose premerge is `Changed`.
    pub merged: store::Premerged,
    /// Whether each row's premerge held its lifecycle stage back (it would have
    /// moved backward).
    pub held_back: Vec<bool>,
    /// The lifecycle stage property and its input column, if mapped and kept
    /// forward-only (for the warning of a value held back).
    pub lifecycle: Option<(PropertyId, u32)>,
    /// The input column of the record ID, if one is mapped (for the planner's errors).
    pub record_id_column: Option<u32>,
    /// The input column of the unique identifier, if one is mapped.
    pub identifier_column: Option<u32>,
    /// Per unique slot of the settings: the keys rows give it besides the
    /// identifier (empty when the import maps no column of the slot).
    pub slot_keys: Vec<SlotKeys>,
}

/// The keys the rows of a piece give one unique slot, besides the identifier: the
/// slot's own property (when it is not the identifier) and its secondary list.
#[derive(Debug, Default)]
pub struct SlotKeys {
    /// The keys, back to back.
    keys: Vec<u8>,
    /// Per key: end in `keys`, hash, the snapshot's index entry for it (0: none),
    /// and whether it is a value of the list.
    meta: Vec<(u32, u64, u64, bool)>,
    /// Per row: end of its keys in `meta`, and whether it gave the property and
    /// the list (a blank or invalid cell gives nothing).
    rows: Vec<(u32, bool, bool)>,
    /// The input columns of the property and of the list, if mapped.
    pub columns: (Option<u32>, Option<u32>),
}

/// One key a row gives a unique slot.
#[derive(Debug, Clone, Copy)]
pub struct SlotKey<'a> {
    /// The normalized value.
    pub key: &'a [u8],
    /// Its [`hash_key`].
    pub hash: u64,
    /// The snapshot's index entry (record ID, maybe [`store::SECONDARY`]; 0: none).
    pub entry: u64,
    /// A value of the secondary list (else of the property).
    pub list: bool,
}

impl SlotKeys {
    /// True when no column of the slot is mapped.
    pub fn is_unused(&self) -> bool {
        self.rows.is_empty()
    }

    /// What row `r` gives: whether it gave the property and the list, and the
    /// range of its keys (see [`SlotKeys::key`]).
    pub fn row(&self, r: usize) -> (bool, bool, std::ops::Range<usize>) {
        let Some(&(end, primary, list)) = self.rows.get(r) else {
            return (false, false, 0..0);
        };
        let start = if r == 0 { 0 } else { self.rows[r - 1].0 as usize };
        (primary, list, start..end as usize)
    }

    /// Key `i` of the piece.
    pub fn key(&self, i: usize) -> SlotKey<'_> {
        let (end, hash, entry, list) = self.meta[i];
        let start = if i == 0 { 0 } else { self.meta[i - 1].0 as usize };
        SlotKey { key: &self.keys[start..end as usize], hash, entry, list }
    }

    fn push_key(&mut self, key: &[u8], list: bool) {
        self.keys.extend_from_slice(key);
        self.meta.push((self.keys.len() as u32, 0, 0, list));
    }
}

impl ObjectRows {
    /// The valid values of row `r`.
    pub fn row_values(&self, r: usize) -> Values<'_> {
        self.values.row(r)
    }

    /// The normalized identifier of row `r` (empty: none).
    pub fn row_key(&self, r: usize) -> &[u8] {
        let start = if r == 0 { 0 } else { self.key_ends[r - 1] as usize };
        &self.keys[start..self.key_ends[r] as usize]
    }
}

impl Transformed {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.piece.rows.len()
    }

    /// True when the piece has no good row.
    pub fn is_empty(&self) -> bool {
        self.piece.rows.is_empty()
    }
}

/// Transforms one decoded piece; `keys` holds the snapshot of every unique index
/// of each object (in the mapping's order; per object, one per unique slot of its
/// settings).
pub fn transform(
    piece: DecodedPiece,
    cfg: &TransformConfig,
    keys: &[Vec<KeyIndex>],
    read: &ReadSession,
) -> Transformed {
    let n = piece.batch.num_rows();
    let arrays = piece.columns();
    let mut out = Transformed {
        objects: Vec::with_capacity(cfg.objects.len()),
        issues: Vec::new(),
        evidence: Vec::new(),
        store_error: None,
        unnamed_value: None,
        link_cells: Vec::new(),
        piece: DecodedPiece::empty(),
        replay_conflict: false,
    };
    if !cfg.link_columns.is_empty() {
        for r in 0..n {
            for (link, &column) in cfg.link_columns.iter().enumerate() {
                let cell = trim(arrays[column].value(r));
                if !is_blank(cell) {
                    out.link_cells.push(LinkCell { row: r as u32, link: link as u16, text: cell.to_owned() });
                }
            }
        }
    }
    // Trailing unnamed columns are usually empty (Excel leaves them); one value in
    // them makes the column unmapped.
    for (column, array) in arrays.iter().enumerate().skip(cfg.unnamed_from) {
        if let Some(r) = (0..n).find(|&r| !trim(array.value(r)).is_empty())
            && out.unnamed_value.is_none_or(|(row, _)| (r as u32) < row)
        {
            out.unnamed_value = Some((r as u32, column as u32));
        }
    }
    let bytes_per_object = piece.batch.get_array_memory_size() / cfg.objects.len().max(1);
    for (oi, oc) in cfg.objects.iter().enumerate() {
        let rows = transform_object(
            &piece,
            &arrays,
            oi as u16,
            oc,
            cfg,
            (&keys[oi][..], read),
            bytes_per_object,
            (&mut out.issues, &mut out.evidence),
        );
        let rows = match rows {
            Ok(Some(rows)) => rows,
            Ok(None) => {
                drop(arrays);
                out.replay_conflict = true;
                return Transformed { piece: piece.without_columns(), ..out };
            }
            Err(e) => {
                out.store_error = Some(e);
                return Transformed { piece: piece.without_columns(), ..out };
            }
        };
        out.objects.push(rows);
    }
    drop(arrays);
    // The rows are in the objects' values now; later stages need the piece's spans
    // and structural errors, not its columns, which are freed here rather than when
    // the piece has been committed.
    out.piece = piece.without_columns();
    out
}

/// The rows of one object: values, identifiers, snapshot lookups and premerges;
/// issues go to `issues`. `Err` when the snapshot cannot be read; `Ok(None)`
/// when a row may match the record of a replayed row ([`DecodedPiece::replayed`]).
#[allow(clippy::too_many_arguments)]
fn transform_object(
    piece: &DecodedPiece,
    arrays: &[&arrow_array::StringArray],
    oi: u16,
    oc: &ObjectColumns,
    cfg: &TransformConfig,
    (keys, read): (&[KeyIndex], &ReadSession),
    bytes: usize,
    (issues, evidence): (&mut Vec<Issue>, &mut Vec<(usize, ColumnEvidence)>),
) -> Result<Option<ObjectRows>, String> {
    let mut observed: Vec<(usize, ColumnEvidence)> = oc
        .columns
        .iter()
        .filter(|c| c.observe)
        .map(|c| {
            let e = if c.ty == PropertyType::Number {
                let p = &oc.settings.object.properties[c.index];
                ColumnEvidence::Number(if p.integer {
                    NumberEvidence::integer()
                } else {
                    NumberEvidence::decimal()
                })
            } else {
                ColumnEvidence::Date(DateEvidence::default())
            };
            (c.column, e)
        })
        .collect();
    let n = piece.batch.num_rows();
    let object = &oc.settings.object;
    let identifier = oc.settings.identifier;
    let mut out = ObjectRows {
        settings: oc.settings.clone(),
        values: RowValues::with_capacity(bytes, n),
        keys: Vec::new(),
        key_ends: Vec::with_capacity(n),
        key_hashes: Vec::with_capacity(n),
        known: Vec::with_capacity(n),
        creatable: Vec::with_capacity(n),
        failed: Vec::with_capacity(n),
        present: Vec::with_capacity(n),
        merged: store::Premerged::default(),
        held_back: vec![false; n],
        lifecycle: oc
            .settings
            .forward_only
            .and_then(|p| oc.columns.iter().find(|c| c.property == p).map(|c| (p, c.column as u32))),
        record_id_column: oc.record_id_column,
        identifier_column: oc.identifier_column,
        slot_keys: oc
            .settings
            .slots
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let column = |list: bool| {
                    oc.columns.iter().find(|c| c.slot == Some((i as u8, list))).map(|c| c.column as u32)
                };
                SlotKeys { columns: (column(false), column(true)), ..SlotKeys::default() }
            })
            .collect(),
    };
    let used_slots: Vec<usize> =
        (0..out.slot_keys.len()).filter(|&i| out.slot_keys[i].columns != (None, None)).collect();
    let mut slot_given = vec![(false, false); out.slot_keys.len()];
    // The import cannot go on without the stored records.
    let records = read.record_reader(&object.name).map_err(|e| e.to_string())?;
    let mut matched: Vec<(u64, u32)> = Vec::new();
    let mut norm = String::new();
    for r in 0..n {
        let span = piece.rows[r];
        let mut known = Known::default();
        let mut any = oc.required_any.is_empty();
        let mut all = 0usize;
        let mut failed = false;
        let mut present = false;
        let key_start = out.keys.len();
        // The row's record in a converted input, for its typed numbers.
        let record =
            cfg.numbers.as_ref().and_then(|n| n.record_at((piece.offset + span.start as usize) as u64));
        // The row's pipeline, which its stage must belong to.
        let row_pipeline = oc.pipelines.and_then(|(_, column)| {
            let cell = trim(arrays[column?].value(r));
            (!is_blank(cell)).then(|| pipelines::pipeline(object, cell).ok()).flatten()
        });
        for c in &oc.columns {
            let raw = arrays[c.column].value(r);
            let cell = trim(raw);
            if is_blank(cell) {
                continue;
            }
            present = true;
            // Built only when the cell has a problem.
            let at = || {
                Issue::at_row(
                    r as u32,
                    oi,
                    u64::from(span.line),
                    u64::from(span.start),
                    Some(c.column as u32),
                )
            };
            if c.property == RECORD_ID {
                match values::record_id(cell) {
                    Ok(id) => known.record_id = id,
                    Err(code) => {
                        failed = true;
                        issues.push(at().row_error(
                            code,
                            shorten(raw),
                            format!("'{}' is not a record ID", shorten(cell)),
                        ));
                    }
                }
                continue;
            }
            // Text kept as written needs no normalized copy.
            let verbatim = matches!(c.ty, PropertyType::String | PropertyType::Phone | PropertyType::Url)
                && cell.len() <= values::MAX_VALUE_CHARS;
            let prop = &object.properties[c.index];
            if let Some((p, _)) =
                oc.pipelines.filter(|(p, _)| c.property == p.pipeline || c.property == p.stage)
            {
                let resolved = if c.property == p.pipeline {
                    pipelines::pipeline(object, cell).map(|p| p.id.as_str())
                } else {
                    pipelines::stage(object, row_pipeline, cell).map(|s| s.id.as_str())
                };
                match resolved {
                    Ok(value) => out.values.push(c.property, value),
                    Err(message) => issues.push(at().value_error(
                        ErrorCode::InvalidEnumerationOption,
                        shorten(raw),
                        message,
                    )),
                }
                continue;
            }
            let typed_number = c.ty == PropertyType::Number
                && record.is_some_and(|rec| cfg.numbers.as_ref().is_some_and(|n| n.is_number(rec, c.column)));
            if c.observe
                && !typed_number
                && let Some((_, e)) = observed.iter_mut().find(|(col, _)| *col == c.column)
            {
                match e {
                    ColumnEvidence::Date(e) => e.observe_line(cell, u64::from(span.line)),
                    ColumnEvidence::Number(e) => e.observe_line(cell, u64::from(span.line)),
                }
            }
            let opts = if typed_number {
                &cfg.plain_numbers
            } else {
                c.options.map_or(&cfg.values, |i| &cfg.column_values[i])
            };
            let normalized = if verbatim && !prop.multiple {
                Ok(cell)
            } else {
                values::normalize(prop, cell, opts, &mut norm).map(|()| norm.as_str())
            };
            let is_identifier = Some(c.property) == identifier;
            match normalized {
                Ok(value) => {
                    if is_identifier {
                        out.keys.extend_from_slice(value.as_bytes());
                    }
                    if let Some((slot, list)) = c.slot {
                        let (keys, given) =
                            (&mut out.slot_keys[usize::from(slot)], &mut slot_given[usize::from(slot)]);
                        if list {
                            given.1 = true;
                            for v in value.split(';') {
                                keys.push_key(v.as_bytes(), true);
                            }
                        } else {
                            given.0 = true;
                            keys.push_key(value.as_bytes(), false);
                        }
                    }
                    any |= c.required.0;
                    all += usize::from(c.required.1);
                    out.values.push(c.property, value);
                }
                Err(code) => {
                    failed |= is_identifier;
                    let message = value_message(code, prop, cell, &cfg.values);
                    issues.push(if is_identifier {
                        at().row_error(code, shorten(raw), message)
                    } else {
                        at().value_error(code, shorten(raw), message)
                    });
                }
            }
        }
        let mut hash = 0;
        if failed {
            out.keys.truncate(key_start);
        } else if out.keys.len() > key_start {
            hash = hash_key(&out.keys[key_start..]);
        }
        for &i in &used_slots {
            let slot = &mut out.slot_keys[i];
            let start = slot.rows.last().map_or(0, |r| r.0 as usize);
            for k in start..slot.meta.len() {
                let begin = if k == 0 { 0 } else { slot.meta[k - 1].0 as usize };
                slot.meta[k].1 = hash_key(&slot.keys[begin..slot.meta[k].0 as usize]);
            }
            let (primary, list) = std::mem::take(&mut slot_given[i]);
            slot.rows.push((slot.meta.len() as u32, primary, list));
        }
        out.values.end_row();
        out.key_ends.push(out.keys.len() as u32);
        out.key_hashes.push(hash);
        out.known.push(known);
        out.creatable.push(any && all == oc.required_all.len());
        out.failed.push(failed);
        out.present.push(present);
    }
    evidence.append(&mut observed);
    look_up(&mut out, keys, &used_slots, &mut matched).map_err(|e| e.to_string())?;
    if oi == 0 && !piece.replayed.is_empty() && !matched.is_empty() {
        // The memo's rows come mostly in ID order: sorting them is cheap.
        let mut replayed: Vec<u64> = piece.replayed.iter().map(|&(_, id, _)| id).collect();
        replayed.sort_unstable();
        if matched.iter().any(|(id, _)| replayed.binary_search(id).is_ok()) {
            return Ok(None);
        }
    }
    premerge(&mut out, matched, (cfg.import_id, usize::from(oi), &cfg.memo), &records)?;
    Ok(Some(out))
}

/// Looks the piece's identifiers up in the snapshot's indexes, in a pass of its
/// own: a probe of a large index waits on memory, and probes with nothing else
/// between them overlap in the processor. Rows whose record is known (by record
/// ID or identifier) go to `matched`. `Err` when a stored index cannot be read.
fn look_up(
    out: &mut ObjectRows,
    keys: &[KeyIndex],
    used_slots: &[usize],
    matched: &mut Vec<(u64, u32)>,
) -> Result<(), store::StoreError> {
    let mut start = 0;
    for r in 0..out.known.len() {
        let end = out.key_ends[r] as usize;
        if out.failed[r] {
            start = end;
            continue;
        }
        let known = &mut out.known[r];
        if end > start {
            known.key_owner = keys[0].get(out.key_hashes[r], &out.keys[start..end])?.unwrap_or(0);
        }
        start = end;
        let target = if known.record_id != 0 { known.record_id } else { known.key_owner & !store::SECONDARY };
        if target != 0 {
            matched.push((target, r as u32));
        }
    }
    for &i in used_slots {
        let slot = &mut out.slot_keys[i];
        let mut begin = 0;
        for meta in &mut slot.meta {
            let end = meta.0 as usize;
            meta.2 = keys[i].get(meta.1, &slot.keys[begin..end])?.unwrap_or(0);
            begin = end;
        }
    }
    Ok(())
}

/// Merges every matched row into its stored record in the snapshot (the store
/// reads the records in ID order, so that rows sharing a B-tree page read it once).
/// `Err` when a record cannot be read: the import cannot go on without knowing
/// which records exist and what they hold (a corrupt stored record is reported
/// here, never merged into).
///
/// Rows whose values left their record unchanged in an earlier piece (the
/// [`PremergeMemo`]) are not read again.
fn premerge(
    out: &mut ObjectRows,
    mut matched: Vec<(u64, u32)>,
    (import_id, object, memo): (u64, usize, &PremergeMemo),
    records: &RecordReader,
) -> Result<(), String> {
    matched.sort_unstable();
    let fingerprints: Vec<u128> = if memo.on(object) {
        matched.iter().map(|&(_, r)| out.values.row(r as usize).fingerprint()).collect()
    } else {
        Vec::new()
    };
    let known = if fingerprints.is_empty() {
        vec![false; matched.len()]
    } else {
        let rows: Vec<(u64, u128)> =
            matched.iter().zip(&fingerprints).map(|(&(id, _), &fp)| (id, fp)).collect();
        memo.unchanged(object, &rows)
    };
    // The matched rows read and merged: indices into `matched`.
    let read: Vec<usize> = (0..matched.len()).filter(|&i| !known[i]).collect();
    let items: Vec<(u64, Values<'_>)> =
        read.iter().map(|&i| (matched[i].0, out.values.row(matched[i].1 as usize))).collect();
    let merged = records.premerge(import_id, &items, &out.settings.policy).map_err(|e| e.to_string())?;
    drop(items);
    let mut held = vec![false; read.len()];
    for &k in &merged.held_back {
        held[k] = true;
        out.held_back[matched[read[k]].1 as usize] = true;
    }
    if !fingerprints.is_empty() {
        let unchanged = read
            .iter()
            .zip(&merged.outcomes)
            .zip(&held)
            .filter(|&((_, outcome), &held)| *outcome == store::Premerge::Unchanged && !held)
            .map(|((&i, _), _)| (matched[i].0, fingerprints[i]));
        memo.remember(object, unchanged);
    }
    let mut outcomes = merged.outcomes.iter();
    for (i, &(target, r)) in matched.iter().enumerate() {
        let outcome = if known[i] {
            &store::Premerge::Unchanged
        } else {
            outcomes.next().expect("an outcome per row read")
        };
        let known = &mut out.known[r as usize];
        known.record_exists = *outcome != store::Premerge::Missing;
        let premerge = match *outcome {
            store::Premerge::Missing => continue,
            store::Premerge::Unchanged => Premerge::Unchanged,
            store::Premerge::Changed(slot) => Premerge::Changed(slot),
        };
        known.premerge_target = target;
        known.premerge = premerge;
    }
    out.merged = merged;
    Ok(())
}

/// Trims whitespace like `str::trim`, with a fast path for the common case of
/// cells that start and end with a visible ASCII character.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&b)) if a > b' ' && a < 0x80 && b > b' ' && b < 0x80 => s,
        _ => s.trim(),
    }
}

/// A blank cell: empty, or one of the placeholders that `HubSpot` exports write for "no
/// value" (`null`, `[not provided]`), so that an export re-imports without turning
/// them into values (SPEC 3: a blank cell changes nothing).
pub(crate) fn is_blank(cell: &str) -> bool {
    cell.is_empty() || cell.eq_ignore_ascii_case("null") || cell.eq_ignore_ascii_case("[not provided]")
}

/// Cuts a value to at most 200 characters for error reports.
pub fn shorten(v: &str) -> String {
    if v.len() <= 200 {
        return v.to_owned();
    }
    let mut end = 200;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &v[..end])
}

fn value_message(code: ErrorCode, prop: &PropertyDef, cell: &str, opts: &ValueOptions) -> String {
    let v = shorten(cell);
    let property = &prop.name;
    match code {
        ErrorCode::InvalidEmail => format!("'{v}' is not a valid email address"),
        ErrorCode::InvalidDomain => format!("'{v}' is not a valid domain"),
        ErrorCode::CouldNotParseNumber => {
            format!("'{v}' is not a number in the import's number locale ({property})")
        }
        ErrorCode::CouldNotParseDate => {
            let zone = (prop.ty == PropertyType::Datetime).then_some(opts.time_zone);
            match values::date_problem(cell, opts.date_order, zone) {
                values::DateProblem::SkippedTime => {
                    return format!(
                        "'{v}' does not exist in {}: the clocks skip that local time (daylight saving \
                         time) ({property}); give the time with its offset, e.g. +01:00",
                        opts.time_zone.name()
                    );
                }
                values::DateProblem::NoSuchDay => {
                    return format!("'{v}' is not a day of the calendar ({property})");
                }
                values::DateProblem::Unreadable => {}
            }
            let format = match opts.date_order {
                values::DateOrder::Ymd => "YYYY-MM-DD (ISO 8601)",
                values::DateOrder::Dmy => "DD-MM-YYYY (or ISO 8601)",
                values::DateOrder::Mdy => "MM/DD/YYYY (or ISO 8601)",
            };
            format!(
                "'{v}' is not a date in the format in force, {format} ({property}); \
                 give the file's format with --date-format, e.g. --date-format DD-MM-YYYY"
            )
        }
        ErrorCode::InvalidBoolean => format!("'{v}' is not true/false, yes/no or 1/0 ({property})"),
        ErrorCode::InvalidEnumerationOption => {
            let options = &prop.options;
            let mut listed: Vec<String> =
                options.iter().take(10).map(|o| format!("{} ({})", o.value, o.label)).collect();
            if options.len() > 10 {
                listed.push(format!("... and {} more", options.len() - 10));
            }
            format!("'{v}' is not an option of {property}; the options are: {}", listed.join(", "))
        }
        ErrorCode::AmbiguousEnumerationOption => {
            format!("'{v}' matches more than one option of {property}")
        }
        ErrorCode::CouldNotFindOwner if opts.owners.is_empty() => format!(
            "'{v}' is not an owner ({property}): the store has no owners; add them with \
             `ingest owners add EMAIL` or `ingest owners import FILE`"
        ),
        ErrorCode::CouldNotFindOwner => format!(
            "'{v}' is not an owner ({property}): give an owner ID, email or full name \
             as `ingest owners` lists them"
        ),
        ErrorCode::AmbiguousOwner => {
            format!("'{v}' matches more than one owner ({property}); give the owner's email or ID")
        }
        ErrorCode::ColumnTooLarge => {
            format!("value of {property} is longer than {} characters", values::MAX_VALUE_CHARS)
        }
        other => format!("{other} in {property}"),
    }
}
