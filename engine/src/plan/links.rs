//! The links a piece's rows ask for through association and label columns
//! (`--map 'H=assoc:companies.domain'`, `--map 'H=label:contacts-companies'`).
//!
//! Resolved after the piece's actions are planned, row by row: a value of an
//! association column finds its record among the records that exist when the
//! row is applied in file order (the snapshot, and what earlier rows of this
//! import created or moved: a record a later row creates is not found, whatever
//! the chunking); a value that finds none is `ASSOCIATION_RECORD_NOT_FOUND`, a
//! label the pair does not have `ASSOCIATION_LABEL_NOT_FOUND`: value errors, the
//! row's record is imported without that link or label. A column of a property
//! that is not unique (a company's name) finds records by value through the
//! import's [`super::names`] index; a value several records hold is
//! `AMBIGUOUS_ASSOCIATION_RECORD`, a value error too.

use std::collections::HashMap;

use store::schema::{LabelId, Schema};
use store::{ReadSession, SECONDARY, StoreError};

use super::names::{Found, NameIndexes};
use super::{Action, ObjectPlanner, Rewrites};
use crate::codes::ErrorCode;
use crate::issue::Issue;
use crate::mapping::LinkColumn;
use crate::normalize::transform::Transformed;
use crate::normalize::values::{ValueOptions, normalize};
use crate::schema::{Object, RECORD_ID};

/// A column of the current input, ready to resolve.
#[derive(Debug, Clone)]
enum Column {
    Assoc {
        object: Object,
        property: store::schema::PropertyId,
        /// The object's index among the import's objects, if it is one.
        in_import: Option<usize>,
        /// The import's object whose record is linked, when not [`LinkColumns::from`].
        from: Option<usize>,
        /// Found by value (a name, [`super::names`]), not through a unique index.
        by_value: bool,
    },
    Label {
        pair: (String, String),
        /// The pair's labels, by lowercase name.
        labels: HashMap<String, LabelId>,
    },
}

/// The link columns of the input being planned.
#[derive(Debug, Clone, Default)]
pub struct LinkColumns {
    columns: Vec<(u32, Column)>,
    /// The object whose record association columns link ([`crate::mapping::Mapping::link_from`]).
    from: usize,
}

impl LinkColumns {
    /// The link columns of a mapping, with `objects` the import's objects (in the
    /// mapping's order) and `schema` for the labels.
    pub fn new(links: &[(usize, LinkColumn)], from: usize, objects: &[Object], schema: &Schema) -> Self {
        let columns = links
            .iter()
            .map(|(c, link)| {
                let column = match link {
                    LinkColumn::Assoc { object, property, from } => Column::Assoc {
                        object: object.clone(),
                        property: *property,
                        from: *from,
                        in_import: objects.iter().position(|o| o.name == object.name),
                        by_value: object.property(*property).is_some_and(super::names::by_value),
                    },
                    LinkColumn::Label { pair } => Column::Label {
                        pair: pair.clone(),
                        labels: schema
                            .association(&pair.0, &pair.1)
                            .map(|t| t.labels.iter().map(|l| (l.name.to_lowercase(), l.id)).collect())
                            .unwrap_or_default(),
                    },
                };
                (*c as u32, column)
            })
            .collect();
        Self { columns, from }
    }

    /// Whether the input has none.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

/// A link a row asks for beyond its own records' pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraLink {
    /// The row.
    pub row: u32,
    /// The row's record: the import's object of this index.
    pub from: usize,
    /// The other record's object.
    pub object: String,
    /// The other record.
    pub id: u64,
    /// Made by `--associate-by-domain` (history source `auto-domain`).
    pub auto: bool,
}

/// Labels a row gives the links between records of two objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLabels {
    /// The row.
    pub row: u32,
    /// The pair.
    pub pair: (String, String),
    /// Label IDs, ascending.
    pub labels: Vec<LabelId>,
}

/// The links and labels of a piece's link columns.
#[derive(Debug, Default)]
pub struct PlannedLinks {
    /// By row.
    pub extra: Vec<ExtraLink>,
    /// By row.
    pub labels: Vec<RowLabels>,
}

impl PlannedLinks {
    /// The labels row `row` gives links of `a` and `b` (either order).
    pub fn labels_of(&self, row: u32, a: &str, b: &str) -> Vec<LabelId> {
        // By row: the row's entries are one slice.
        let start = self.labels.partition_point(|l| l.row < row);
        let end = start + self.labels[start..].partition_point(|l| l.row == row);
        let mut out: Vec<LabelId> = self.labels[start..end]
            .iter()
            .filter(|l| (l.pair.0 == a && l.pair.1 == b) || (l.pair.0 == b && l.pair.1 == a))
            .flat_map(|l| l.labels.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The records an object's rows of the piece create: `(record ID, row)` by ID
/// (IDs are handed out in row order, except those rows give with
/// `--create-with-ids`, hence a search and not a count).
struct Created(Vec<(u64, u32)>);

impl Created {
    fn of(actions: &[Action]) -> Self {
        let mut created: Vec<(u64, u32)> = actions
            .iter()
            .enumerate()
            .filter_map(|(r, a)| match a {
                Action::Create(id) => Some((*id, r as u32)),
                _ => None,
            })
            .collect();
        created.sort_unstable();
        Self(created)
    }

    /// Whether record `id` exists when row `r` is applied, as far as this piece
    /// knows: `false` when a later row of the piece creates it.
    fn exists_at(&self, id: u64, r: usize) -> bool {
        match self.0.binary_search_by_key(&id, |c| c.0) {
            Ok(i) => self.0[i].1 as usize <= r,
            Err(_) => true,
        }
    }
}

/// Resolves the link cells of a planned piece. A value found by name sees the
/// piece's rows up to its own applied to `names` first (the caller applies the
/// rest after).
#[allow(clippy::too_many_arguments)]
pub(super) fn resolve(
    columns: &LinkColumns,
    rows: &Transformed,
    actions: &[Vec<Action>],
    rewrites: &[Rewrites],
    planners: &[ObjectPlanner<'_>],
    names: &mut NameIndexes,
    read: &ReadSession,
    issues: &mut Vec<Issue>,
) -> Result<PlannedLinks, StoreError> {
    let mut out = PlannedLinks::default();
    let created: Vec<Created> = actions.iter().map(|a| Created::of(a)).collect();
    let mut norm = String::new();
    let options = ValueOptions::default();
    for cell in &rows.link_cells {
        let r = cell.row as usize;
        let (column, link) = &columns.columns[usize::from(cell.link)];
        let from = match link {
            Column::Assoc { from: Some(f), .. } => *f,
            _ => columns.from,
        };
        let Some(from_id) = super::record_of(actions[from][r]) else {
            continue; // the row's record failed or was skipped: no links
        };
        let span = rows.piece.rows[r];
        let at = || {
            Issue::at_row(cell.row, from as u16, u64::from(span.line), u64::from(span.start), Some(*column))
        };
        match link {
            Column::Label { pair, labels } => {
                let mut ids = Vec::new();
                for name in cell.text.split(';').map(str::trim).filter(|n| !n.is_empty()) {
                    match labels.get(&name.to_lowercase()) {
                        Some(&id) => ids.push(id),
                        None => issues.push(at().value_error(
                            ErrorCode::AssociationLabelNotFound,
                            name.to_owned(),
                            format!(
                                "{}-{} has no label '{name}'; the association is made without it (add it with `ingest schema add-label {} {} '{name}'`)",
                                pair.0, pair.1, pair.0, pair.1
                            ),
                        )),
                    }
                }
                ids.sort_unstable();
                ids.dedup();
                if !ids.is_empty() {
                    out.labels.push(RowLabels { row: cell.row, pair: pair.clone(), labels: ids });
                }
            }
            Column::Assoc { object, property, in_import, by_value, .. } => {
                let def = crate::schema::property(object, *property);
                for value in cell.text.split(';').map(str::trim).filter(|v| !v.is_empty()) {
                    let not_found = |why: String| {
                        at().value_error(ErrorCode::AssociationRecordNotFound, value.to_owned(), why)
                    };
                    let found = if *property == RECORD_ID {
                        match value.parse::<u64>() {
                            Ok(id) if id > 0 => exists(object, id, *in_import, planners, read)?.then_some(id),
                            _ => {
                                issues
                                    .push(not_found(format!("'{value}' is not a {} record ID", object.name)));
                                continue;
                            }
                        }
                    } else {
                        if let Err(code) = normalize(def, value, &options, &mut norm) {
                            issues.push(not_found(format!(
                                "'{value}' is not a valid {} ({code}), so it names no {} record",
                                def.name, object.name
                            )));
                            continue;
                        }
                        if *by_value {
                            names.advance(r + 1, rows, actions, rewrites, read)?;
                            match names.find(&object.name, *property, &norm, read)? {
                                Found::One(id) => Some(id),
                                Found::None => None,
                                Found::Several(n) => {
                                    issues.push(at().value_error(
                                        ErrorCode::AmbiguousAssociationRecord,
                                        value.to_owned(),
                                        ambiguous_message(object, def, &norm, n),
                                    ));
                                    continue;
                                }
                            }
                        } else {
                            lookup(object, *property, norm.as_bytes(), *in_import, planners, read)?
                        }
                    };
                    // A record this piece creates exists from its creating row on.
                    let found = found.filter(|&id| match in_import {
                        Some(t) => created[*t].exists_at(id, r),
                        None => true,
                    });
                    let Some(id) = found else {
                        issues.push(not_found(format!(
                            "no {} record has {} '{}'; the record is imported without this association",
                            object.name,
                            def.name,
                            if *property == RECORD_ID { value } else { norm.as_str() }
                        )));
                        continue;
                    };
                    let from_object = &planners[from].object.name;
                    if *from_object == object.name && id == from_id {
                        issues.push(not_found(format!("{} {id} is the row's own record", object.name)));
                        continue;
                    }
                    out.extra.push(ExtraLink {
                        row: cell.row,
                        from,
                        object: object.name.clone(),
                        id,
                        auto: false,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Why a value several records hold links none of them, and what names one.
fn ambiguous_message(object: &Object, def: &crate::schema::PropertyDef, value: &str, n: usize) -> String {
    let unique = object
        .identifier_id()
        .or_else(|| object.properties.iter().find(|p| p.unique && p.id != RECORD_ID).map(|p| p.id))
        .unwrap_or(RECORD_ID);
    let unique = &crate::schema::property(object, unique).name;
    format!(
        "{n} {} records have {} '{value}', so it names none of them; the record is imported without \
         this association (a column of a unique property names one record, such as {unique}: \
         assoc:{}.{unique})",
        object.name, def.name, object.name
    )
}

/// Whether record `id` of `object` exists now: created by this import so far, or
/// in the snapshot.
fn exists(
    object: &Object,
    id: u64,
    in_import: Option<usize>,
    planners: &[ObjectPlanner<'_>],
    read: &ReadSession,
) -> Result<bool, StoreError> {
    if let Some(t) = in_import
        && planners[t].created(id)
    {
        return Ok(true);
    }
    Ok(read.record(&object.name, id)?.is_some())
}

/// The record holding the normalized unique value `key` of `property` now: by
/// this import's changes where the import keeps that index, else the snapshot's.
fn lookup(
    object: &Object,
    property: store::schema::PropertyId,
    key: &[u8],
    in_import: Option<usize>,
    planners: &[ObjectPlanner<'_>],
    read: &ReadSession,
) -> Result<Option<u64>, StoreError> {
    let snapshot = read.lookup_entry(&object.name, property, key)?.unwrap_or(0);
    let entry = match in_import.map(|t| &planners[t]) {
        Some(p) if p.identifier == Some(property) => p.owner(crate::resolve::hash_key(key), key, snapshot),
        _ => snapshot,
    };
    Ok(Some(entry & !SECONDARY).filter(|&id| id != 0))
}

/// Fails the records a row cannot create without a link it does not ask for
/// (`MISSING_REQUIRED_ASSOCIATION`, a row error of that object): a line item needs
/// a deal (the row's deal, or an association column of deals), and in an import of
/// several objects an activity needs another record of the row or an association
/// column. Decided from the row's values, before planning, so that no record ID
/// is handed out to a record that is not created.
pub(super) fn require(
    columns: &LinkColumns,
    rows: &mut Transformed,
    objects: &[Object],
    issues: &mut Vec<Issue>,
) {
    let multi = objects.len() > 1;
    let deals = objects.iter().position(|o| o.name == "deals");
    // Per row: (an association column names a record, one names a deal).
    let mut asks = vec![(false, false); rows.len()];
    for c in &rows.link_cells {
        if let Column::Assoc { object, .. } = &columns.columns[usize::from(c.link)].1 {
            let a = &mut asks[c.row as usize];
            a.0 = true;
            a.1 |= object.name == "deals";
        }
    }
    for (oi, object) in objects.iter().enumerate() {
        let line_item = object.name == "line_items";
        let activity = multi && object.kind == crate::schema::ObjectKind::Activity;
        if !line_item && !activity {
            continue;
        }
        for (r, &(any_assoc, deal_assoc)) in asks.iter().enumerate() {
            let part = &rows.objects[oi];
            if part.failed[r] || (multi && !part.present[r]) || part.known[r].record_id != 0 {
                continue; // only a record the row creates needs its link
            }
            let has = |o: usize| o != oi && rows.objects[o].present[r] && !rows.objects[o].failed[r];
            let row = r as u32;
            let (ok, needs) = if line_item {
                (deals.is_some_and(has) || deal_assoc, "a deal")
            } else {
                ((0..objects.len()).any(has) || any_assoc, "another record of the row")
            };
            if ok {
                continue;
            }
            rows.objects[oi].failed[r] = true;
            let span = rows.piece.rows[r];
            issues.push(
                Issue::at_row(row, oi as u16, u64::from(span.line), u64::from(span.start), None).row_error(
                    ErrorCode::MissingRequiredAssociation,
                    String::new(),
                    format!("a new {} record must be associated with {needs}", object.name),
                ),
            );
        }
    }
}
