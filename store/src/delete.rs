//! Deleting records (`ingest delete`, SPEC 7): a deletion is an entry of the
//! import log (kind `delete`), written in one transaction, and undone like an
//! import ([`crate::undo`]).
//!
//! Each deleted record's bytes go to `before/<object>` under `(deletion, record)`
//! (so that its undo puts them back), its identifier index entries are removed,
//! it leaves every list, and each of its links is removed through the links
//! writer and logged with source `record-deleted`, its labels, creation and
//! primary flag kept in the log entry for the undo.

use std::collections::BTreeSet;

use redb::{ReadableTable, TableError};
use serde::Serialize;

use crate::error::StoreError;
use crate::guard::guard;
use crate::links::{ChangeKind, LinkOrigin, LinkSource, LinkWriter};
use crate::lists::LIST_MEMBERS;
use crate::record::RecordView;
use crate::schema::{COMPANIES, primary_side};
use crate::session::{SECONDARY, WriteSession};
use crate::tables::{self, TableKind};
use crate::undo::{index_keys, uniques};

/// What a deletion did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeleteReport {
    /// Records deleted.
    pub deleted: u64,
    /// IDs asked for that no record has.
    pub missing: Vec<u64>,
    /// Links removed with them.
    pub links_removed: u64,
}

impl WriteSession<'_> {
    /// Deletes records `ids` of `object` as log entry `deletion` (see the module
    /// docs); `time_ms` stamps the link removals.
    pub fn delete_records(
        &self,
        object: &str,
        ids: &[u64],
        deletion: u64,
        time_ms: i64,
    ) -> Result<DeleteReport, StoreError> {
        self.touch(object);
        let schema = self.schema()?;
        let def =
            schema.object(object).ok_or_else(|| StoreError::Undo(format!("there is no object {object}")))?;
        let uniques = uniques(def);
        let mut report = DeleteReport::default();
        let mut gone: BTreeSet<u64> = BTreeSet::new();
        guard(|| {
            let name = tables::records_name(object);
            let mut records = self.txn().open_table(tables::records(&name))?;
            let before_name = tables::before_name(object);
            let mut before = self.txn().open_table(tables::before(&before_name))?;
            let mut keys: Vec<(usize, Vec<u8>, u64)> = Vec::new();
            for &id in ids {
                if gone.contains(&id) {
                    continue;
                }
                let Some(bytes) = records.remove(id)?.map(|v| v.value().to_vec()) else {
                    report.missing.push(id);
                    continue;
                };
                let view = RecordView::parse(&bytes, id).map_err(|reason| StoreError::CorruptRecord {
                    object: object.to_owned(),
                    id,
                    reason,
                })?;
                for (u, unique) in uniques.iter().enumerate().filter(|(_, u)| !u.shared) {
                    keys.extend(index_keys(Some(&view), unique).into_keys().map(|k| (u, k, id)));
                }
                before.insert((deletion, id), bytes.as_slice())?;
                gone.insert(id);
            }
            drop((records, before));
            for (u, unique) in uniques.iter().enumerate() {
                if unique.shared {
                    continue;
                }
                let index_name = tables::index_name(object, unique.property);
                let mut index = self.txn().open_table(tables::index(&index_name))?;
                for (_, key, id) in keys.iter().filter(|k| k.0 == u) {
                    if index.get(key.as_slice())?.is_some_and(|v| v.value() & !SECONDARY == *id) {
                        index.remove(key.as_slice())?;
                    }
                }
            }
            match self.txn().open_table(LIST_MEMBERS) {
                Ok(mut members) => members.retain(|(_, record), ()| !gone.contains(&record))?,
                Err(TableError::TableDoesNotExist(_)) => {}
                Err(e) => return Err(e.into()),
            }
            Ok(())
        })?;
        for unique in uniques.iter().filter(|u| u.shared) {
            self.rebuild_index(object, unique.property)?;
        }
        // Their links.
        let others: Vec<String> = guard(|| {
            let mut out = Vec::new();
            for t in self.txn().list_tables()? {
                if let Some(TableKind::Links(from, to)) = tables::table_kind(redb::TableHandle::name(&t))
                    && from == object
                {
                    out.push(to.to_owned());
                }
            }
            Ok(out)
        })?;
        let origin = LinkOrigin { source: LinkSource::RecordDeleted, import: Some(deletion), time_ms };
        let mut links = self.links()?;
        // Records that lost a company: one left with companies and no primary gets
        // one ([`settle_primaries`]), logged as the deletion's change.
        let mut lost_company: BTreeSet<(String, u64)> = BTreeSet::new();
        for &id in &gone {
            for to in &others {
                for other in links.linked((object, id), to)? {
                    if links.remove_raw((object, id), (to, other), origin)? {
                        report.links_removed += 1;
                        if object == COMPANIES && primary_side(to, COMPANIES) == Some(true) {
                            lost_company.insert((to.clone(), other));
                        }
                    }
                }
            }
        }
        settle_primaries(&mut links, &lost_company, origin)?;
        links.finish()?;
        report.deleted = gone.len() as u64;
        Ok(report)
    }
}

/// Gives each of `records` (contacts, deals, tickets) that has companies but no
/// primary company one: the company with the lowest ID (so one left with one
/// company has it as primary, SPEC 6), logged as a `primary-set` by `origin`. A
/// deletion or an undo that removes a record's primary company link calls it: a
/// record with companies always has exactly one primary.
pub(crate) fn settle_primaries(
    links: &mut LinkWriter<'_>,
    records: &BTreeSet<(String, u64)>,
    origin: LinkOrigin,
) -> Result<(), StoreError> {
    for (object, record) in records {
        if primary_side(object, COMPANIES) != Some(true) {
            continue;
        }
        let companies = links.linked((object, *record), COMPANIES)?;
        if let Some(&first) = companies.first()
            && links.primary_company((object, *record))?.is_none()
        {
            links.reverse_raw(
                (object, *record),
                (COMPANIES, first),
                ChangeKind::PrimaryUnset,
                &[],
                origin,
            )?;
        }
    }
    Ok(())
}
