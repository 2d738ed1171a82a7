//! The commit stage: applies planned pieces to the store, in order, from the one
//! writer thread.
//!
//! Each piece is written inside the import's single write transaction, object by
//! object: new records are appended through a cursor (their IDs ascend past every
//! stored ID), and updates are merged into the stored record (settling `updated`
//! versus `unchanged`). Each identifier index is written once, at the end, from
//! the planner's sorted [`IndexDelta`]: one cursor run per gap of the B-tree
//! instead of a random insert per row. After a piece's records, [`links`] links
//! each row's records with each other and with the records its association
//! columns named.

pub mod links;

use store::{RowValues, StoreError, UpdateOutcome, WriteSession};

use crate::normalize::pipelines::{PipelineProperties, creation_defaults};
use crate::normalize::transform::{ObjectRows, UniqueSlot};
use crate::plan::{Action, IndexDelta, Planned, Rewrites};
use crate::schema::{Object, PropertyId};

/// What the writer needs to know about one object of the import.
#[derive(Debug)]
pub struct CommitConfig {
    /// The object.
    pub object: Object,
    /// The unique indexes the import keeps (see [`crate::normalize::transform::ObjectSettings::slots`]).
    pub slots: Vec<UniqueSlot>,
    /// The import writing.
    pub import_id: u64,
    /// How rows merge into their records (`--no-overwrite`).
    pub policy: store::MergePolicy,
}

/// Writes one planned piece, object by object (`cfgs` in the mapping's order);
/// `outcomes[o]` gets one outcome per `Update` action of object `o`, in row order.
pub fn write_piece(
    session: &WriteSession<'_>,
    cfgs: &[CommitConfig],
    piece: &Planned,
    outcomes: &mut [Vec<UpdateOutcome>],
) -> Result<(), StoreError> {
    for (o, cfg) in cfgs.iter().enumerate() {
        outcomes[o].clear();
        write_object(
            session,
            cfg,
            (&piece.rows.objects[o], &piece.rewrites[o]),
            &piece.actions[o],
            &mut outcomes[o],
        )?;
    }
    Ok(())
}

/// Writes one object's part of a piece.
///
/// Updates are applied in record-ID order (stable, so that several updates of one
/// record keep their file order), which keeps the B-tree walk local; outcomes are
/// put back in file order.
fn write_object(
    session: &WriteSession<'_>,
    cfg: &CommitConfig,
    (rows, rewrites): (&ObjectRows, &Rewrites),
    actions: &[Action],
    outcomes: &mut Vec<UpdateOutcome>,
) -> Result<(), StoreError> {
    let mut records = session.records(&cfg.object.name)?;
    let values_of = |r: usize| rewrites.get(r).unwrap_or_else(|| rows.row_values(r));
    let (defaulted, defaulted_rows) = pipeline_defaults(cfg, &values_of, actions);
    let creates = actions.iter().enumerate().filter_map(|(r, a)| match a {
        Action::Create(id) => {
            let values = match defaulted_rows.binary_search_by_key(&r, |d| d.0) {
                Ok(i) => defaulted.row(defaulted_rows[i].1),
                Err(_) => values_of(r),
            };
            Some((*id, values))
        }
        _ => None,
    });
    crate::timing::timed(crate::timing::Stage::Records, || -> Result<(), StoreError> {
        records.append(cfg.import_id, creates)?;
        let mut writes: Vec<(u64, store::MergedSlot)> = actions
            .iter()
            .filter_map(|a| match *a {
                Action::Write(id, slot) => Some((id, slot)),
                _ => None,
            })
            .collect();
        writes.sort_unstable_by_key(|w| w.0);
        records.write_merged(cfg.import_id, &rows.merged, writes)?;
        let updates: Vec<(u64, usize)> = actions
            .iter()
            .enumerate()
            .filter_map(|(r, a)| match a {
                Action::Update(id) => Some((*id, r)),
                _ => None,
            })
            .collect();
        if updates.is_empty() {
            return Ok(());
        }
        let mut order: Vec<u32> = (0..updates.len() as u32).collect();
        order.sort_by_key(|&i| updates[i as usize].0);
        let sorted = order.iter().map(|&i| {
            let (id, r) = updates[i as usize];
            (id, values_of(r))
        });
        let mut sorted_outcomes = Vec::with_capacity(updates.len());
        records.update(cfg.import_id, sorted, &cfg.policy, &mut sorted_outcomes, None)?;
        outcomes.resize(updates.len(), UpdateOutcome::Unchanged { held_back: false });
        for (&i, o) in order.iter().zip(sorted_outcomes) {
            outcomes[i as usize] = o;
        }
        Ok(())
    })
}

/// The rows of new deals or tickets without pipeline or stage, with the defaults
/// added (SPEC 3), and `(row, index in the returned values)` for each.
fn pipeline_defaults<'v>(
    cfg: &CommitConfig,
    values_of: &impl Fn(usize) -> store::Values<'v>,
    actions: &[Action],
) -> (RowValues, Vec<(usize, usize)>) {
    let mut defaulted = RowValues::default();
    let mut defaulted_rows: Vec<(usize, usize)> = Vec::new();
    let Some(props) = PipelineProperties::of(&cfg.object) else {
        return (defaulted, defaulted_rows);
    };
    for (r, a) in actions.iter().enumerate() {
        if !matches!(a, Action::Create(_)) {
            continue;
        }
        let values = values_of(r);
        let defaults =
            creation_defaults(&cfg.object, props, values.get(props.pipeline), values.get(props.stage));
        if defaults.is_empty() {
            continue;
        }
        let mut all: Vec<(PropertyId, &str)> = values.iter().collect();
        all.extend(defaults.iter().map(|(p, v)| (*p, v.as_str())));
        all.sort_by_key(|(p, _)| *p);
        for (p, v) in all {
            defaulted.push(p, v);
        }
        defaulted.end_row();
        defaulted_rows.push((r, defaulted.len() - 1));
    }
    (defaulted, defaulted_rows)
}

/// Writes one object's unique index changes: each slot's sorted delta, or, for a
/// slot whose values records may share, the index built again from the records
/// (and the property marked shared in the schema, the first time).
pub fn write_index(
    session: &WriteSession<'_>,
    cfg: &CommitConfig,
    deltas: &[IndexDelta],
) -> Result<(), StoreError> {
    crate::timing::timed(crate::timing::Stage::Index, || {
        for (slot, delta) in cfg.slots.iter().zip(deltas) {
            if slot.shared {
                session.rebuild_index(&cfg.object.name, slot.property)?;
                if let Some(p) = cfg.object.property(slot.property).filter(|p| !p.shared) {
                    let mut def = (*cfg.object).clone();
                    let id = p.id;
                    if let Some(p) = def.properties.iter_mut().find(|p| p.id == id) {
                        p.shared = true;
                    }
                    session.save_object(&def)?;
                }
                continue;
            }
            if delta.is_empty() {
                continue;
            }
            let mut index = session.index(&cfg.object.name, slot.property)?;
            index.remove(delta.iter().filter(|e| e.1 == 0).map(|e| e.0))?;
            index.put_sorted(delta.iter().filter(|e| e.1 != 0))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests;
