//! The links of an import's rows: every pair of a multi-object row's records.
//!
//! After a piece's records are written, each row that imported records of several
//! objects (created, updated or unchanged) links every pair of them, in the
//! mapping's object order (contacts-companies before contacts-deals before
//! companies-deals), row by row in file order, so that the store's rules (a
//! record's first company is its primary) see the links in the order a
//! row-by-row import would make them. A part of a row that failed, was skipped or
//! is absent has no record, and no link is made to it.

use store::{AssociationCounts, LinkOrigin, LinkOutcome, LinkRequest, LinkSource, LinkWriter, StoreError};

use crate::commit::CommitConfig;
use crate::plan::{Action, Planned};

/// The record a row's action for one object imports, if any.
pub fn record_of(action: Action) -> Option<u64> {
    match action {
        Action::Create(id) | Action::Update(id) | Action::Write(id, _) | Action::Unchanged(id) => Some(id),
        Action::Skip(_) | Action::Fail | Action::Absent => None,
    }
}

/// Links the records of each row of `piece` with each other.
pub fn link_rows(
    links: &mut LinkWriter<'_>,
    cfgs: &[CommitConfig],
    piece: &Planned,
    origin: LinkOrigin,
    counts: &mut AssociationCounts,
) -> Result<(), StoreError> {
    if cfgs.len() < 2 {
        return Ok(());
    }
    let request = LinkRequest { labels: &[], primary: false, origin };
    let mut ends: Vec<(&str, u64)> = Vec::with_capacity(cfgs.len());
    for r in 0..piece.rows.len() {
        ends.clear();
        for (o, cfg) in cfgs.iter().enumerate() {
            if let Some(id) = record_of(piece.actions[o][r]) {
                ends.push((cfg.object.name.as_str(), id));
            }
        }
        for i in 0..ends.len() {
            for j in i + 1..ends.len() {
                match links.associate(ends[i], ends[j], &request)? {
                    LinkOutcome::Created { .. } => counts.created += 1,
                    LinkOutcome::Existing { .. } => counts.existing += 1,
                    // Limits are reported by the plan stage once it checks them; until then a
                    // link past a limit is not made.
                    LinkOutcome::LimitExceeded { .. } => {}
                }
            }
        }
    }
    Ok(())
}

/// The origin of the links an import makes.
pub fn import_origin(import_id: u64) -> LinkOrigin {
    LinkOrigin {
        source: LinkSource::Import,
        import: Some(import_id),
        time_ms: crate::associate::change::now_ms(),
    }
}
