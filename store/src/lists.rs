//! Static lists of records (`import --create-list NAME`, SPEC 7): a named set of
//! record IDs of one object, made by an import.
//!
//! Table `lists`, keyed by list ID (`u64`, sequence `seq/lists` in `meta`, from
//! 1): `u64 checksum | JSON` [`ListEntry`], as the import log stores its entries
//! (`entry.rs`). Table `list_members`, keyed by `(list ID, record ID)`, value
//! empty: a list's members are one range, in ID order. Names are unique. The undo
//! of the import that made a list removes it; deleting a record removes it from
//! every list.

use redb::{ReadableTable, TableDefinition, TableError};
use serde::{Deserialize, Serialize};

use crate::entry;
use crate::error::{EntryTable, StoreError};
use crate::guard::guard;
use crate::session::{ReadSession, WriteSession};
use crate::tables::META;

/// The lists.
pub(crate) const LISTS: TableDefinition<u64, &[u8]> = TableDefinition::new("lists");
/// Their members.
pub(crate) const LIST_MEMBERS: TableDefinition<(u64, u64), ()> = TableDefinition::new("list_members");
/// Key of the list-ID sequence in [`META`].
pub(crate) const LIST_SEQUENCE: &str = "seq/lists";

/// A static list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// List ID, assigned by the store.
    pub id: u64,
    /// Its name, unique among lists.
    pub name: String,
    /// The object of its records.
    pub object: String,
    /// The import that made it.
    pub import: Option<u64>,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// Its members when it was made.
    pub size: u64,
}

fn decode(id: u64, bytes: &[u8]) -> Result<ListEntry, StoreError> {
    entry::decode(id, bytes).map_err(entry::corrupt(EntryTable::Lists, id))
}

fn all(table: &impl ReadableTable<u64, &'static [u8]>) -> Result<Vec<ListEntry>, StoreError> {
    let mut out = Vec::new();
    for item in table.iter()? {
        let (k, v) = item?;
        out.push(decode(k.value(), v.value())?);
    }
    Ok(out)
}

impl WriteSession<'_> {
    /// Makes list `name` of `object` records `members` (ascending, no repeats).
    /// Fails with [`StoreError::List`] if a list of that name exists.
    pub fn create_list(
        &self,
        name: &str,
        object: &str,
        import: Option<u64>,
        created_at: &str,
        members: &[u64],
    ) -> Result<ListEntry, StoreError> {
        guard(|| {
            let mut lists = self.txn().open_table(LISTS)?;
            if all(&lists)?.iter().any(|l| l.name == name) {
                return Err(StoreError::List(format!("a list named '{name}' exists already")));
            }
            let mut meta = self.txn().open_table(META)?;
            let id = meta.get(LIST_SEQUENCE)?.map_or(1, |v| v.value());
            meta.insert(LIST_SEQUENCE, id + 1)?;
            let entry = ListEntry {
                id,
                name: name.to_owned(),
                object: object.to_owned(),
                import,
                created_at: created_at.to_owned(),
                size: members.len() as u64,
            };
            lists.insert(id, entry::encode(id, &entry).as_slice())?;
            let mut table = self.txn().open_table(LIST_MEMBERS)?;
            for &m in members {
                table.insert((id, m), ())?;
            }
            Ok(entry)
        })
    }

    /// Removes the lists import `import` made; returns how many.
    pub(crate) fn remove_lists_of(&self, import: u64) -> Result<u64, StoreError> {
        guard(|| {
            let mut lists = self.txn().open_table(LISTS)?;
            let gone: Vec<u64> =
                all(&lists)?.into_iter().filter(|l| l.import == Some(import)).map(|l| l.id).collect();
            let mut members = self.txn().open_table(LIST_MEMBERS)?;
            for &id in &gone {
                lists.remove(id)?;
                members.retain_in((id, 0)..=(id, u64::MAX), |_, ()| false)?;
            }
            Ok(gone.len() as u64)
        })
    }
}

impl ReadSession {
    /// Every list, by ID.
    pub fn lists(&self) -> Result<Vec<ListEntry>, StoreError> {
        guard(|| match self.txn().open_table(LISTS) {
            Ok(t) => all(&t),
            Err(TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        })
    }

    /// List `name` and its members in ID order, if there is one.
    pub fn list(&self, name: &str) -> Result<Option<(ListEntry, Vec<u64>)>, StoreError> {
        let Some(entry) = self.lists()?.into_iter().find(|l| l.name == name) else {
            return Ok(None);
        };
        guard(|| {
            let table = self.txn().open_table(LIST_MEMBERS)?;
            let mut members = Vec::new();
            for item in table.range((entry.id, 0)..=(entry.id, u64::MAX))? {
                members.push(item?.0.value().1);
            }
            Ok(Some((entry, members)))
        })
    }
}
