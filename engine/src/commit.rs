//! The commit stage: applies planned pieces to the store, in order, from the one
//! writer thread.
//!
//! Each piece is written inside the import's single write transaction: new
//! records are appended through a cursor (their IDs ascend past every stored ID),
//! updates are merged into the stored record (settling `updated` versus
//! `unchanged`), and the identifier index is written, sorted, by a second scoped
//! thread at the same time, since redb tables of one transaction can be filled in
//! parallel.

use store::{StoreError, UpdateOutcome, WriteSession};

use crate::plan::{Action, Planned};
use crate::schema::ObjectDef;

/// What the writer needs to know about the import.
#[derive(Debug)]
pub struct CommitConfig {
    /// The object.
    pub object: &'static ObjectDef,
    /// Name of the identifier property (the index written).
    pub identifier: &'static str,
    /// The import writing.
    pub import_id: u64,
    /// Per property number: set only where the record has no value yet.
    pub protect: Vec<bool>,
}

/// Writes one planned piece; pushes one outcome per `Update` action, in order.
pub fn write_piece(
    session: &WriteSession<'_>,
    cfg: &CommitConfig,
    piece: &Planned,
    outcomes: &mut Vec<UpdateOutcome>,
) -> Result<(), StoreError> {
    let rows = &piece.rows;
    let mut records = session.records(cfg.object.name)?;
    let needs_index = !piece.index_puts.is_empty() || !piece.index_removes.is_empty();
    let mut index = if needs_index {
        Some(session.index(cfg.object.name, cfg.identifier)?)
    } else {
        None
    };
    std::thread::scope(|s| {
        let index_job = index.as_mut().map(|index| {
            s.spawn(move || -> Result<(), StoreError> {
                index.remove(piece.index_removes.iter().map(AsRef::as_ref))?;
                let mut puts: Vec<(&[u8], u64)> = piece
                    .index_puts
                    .iter()
                    .map(|&(r, id)| (rows.row_key(r as usize), id))
                    .collect();
                puts.sort_unstable_by(|a, b| a.0.cmp(b.0));
                index.put_sorted(puts)
            })
        });
        let creates = piece
            .actions
            .iter()
            .enumerate()
            .filter_map(|(r, a)| match a {
                Action::Create(id) => Some((*id, rows.row_values(r))),
                _ => None,
            });
        let written = records.append(cfg.import_id, creates).and_then(|()| {
            let updates = piece
                .actions
                .iter()
                .enumerate()
                .filter_map(|(r, a)| match a {
                    Action::Update(id) => Some((*id, rows.row_values(r))),
                    _ => None,
                });
            let protect = |p: u16| cfg.protect.get(usize::from(p)).copied().unwrap_or(false);
            records.update(cfg.import_id, updates, &protect, outcomes)
        });
        let indexed = index_job.map_or(Ok(()), |j| j.join().expect("index writer panicked"));
        written.and(indexed)
    })
}
