//! Owners: the users of the CRM that records are assigned to (`hubspot_owner_id`).
//!
//! Table `owners`, keyed by owner ID (`u64`, from the sequence `seq/owners` in
//! `meta`, starting at 1). An entry is stored as `u64 checksum (LE) | JSON`, the
//! checksum being xxh3-64 of the JSON seeded with the owner ID, as for import
//! entries ([`crate::ImportEntry`]; both are `entry.rs`'s entries): a damaged entry,
//! or one under the wrong key, is [`StoreError::CorruptEntry`] of
//! [`EntryTable::Owners`], never a different owner.
//!
//! The store holds the email as the caller normalized it and keeps it unique: no
//! two owners share an email. Adding an email that is already there never creates
//! a second owner and never replaces a name: it fills in the first and last name
//! where the stored owner has none ([`OwnerOutcome::Updated`]), and otherwise
//! leaves the owner as it is ([`OwnerOutcome::Unchanged`]).

use std::collections::HashMap;

use redb::{ReadableTable, TableError};
use serde::{Deserialize, Serialize};

use crate::entry;
use crate::error::{EntryCorruption, EntryTable, StoreError};
use crate::guard::guard;
use crate::session::{ReadSession, WriteSession};
use crate::tables::{META, OWNER_SEQUENCE, OWNERS};

/// A user of the CRM that records are assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Owner ID, assigned by the store (from 1); records hold it as decimal text.
    pub id: u64,
    /// The owner's email, normalized by the caller; unique among owners.
    pub email: String,
    /// First name (may be empty).
    pub first_name: String,
    /// Last name (may be empty).
    pub last_name: String,
}

impl Owner {
    /// `First Last`, either part left out when empty (empty when both are).
    pub fn full_name(&self) -> String {
        match (self.first_name.is_empty(), self.last_name.is_empty()) {
            (false, false) => format!("{} {}", self.first_name, self.last_name),
            (false, true) => self.first_name.clone(),
            (true, _) => self.last_name.clone(),
        }
    }

    /// The stored form of the owner, under key `self.id`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        entry::encode(self.id, self)
    }

    /// Verifies and decodes the owner stored under key `id`, which it must name.
    pub(crate) fn decode(id: u64, bytes: &[u8]) -> Result<Self, EntryCorruption> {
        let owner: Self = entry::decode(id, bytes)?;
        if owner.id != id {
            return Err(EntryCorruption::WrongId { found: owner.id });
        }
        Ok(owner)
    }
}

/// What adding an owner did ([`WriteSession::add_owners`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerOutcome {
    /// A new owner with a new ID.
    Created,
    /// The email was there; an empty first or last name was filled in.
    Updated,
    /// The email was there and nothing changed (names are never replaced).
    Unchanged,
}

fn corrupt(id: u64) -> impl FnOnce(EntryCorruption) -> StoreError {
    entry::corrupt(EntryTable::Owners, id)
}

impl WriteSession<'_> {
    /// Adds the owner with `email` (normalized by the caller, not empty), or returns
    /// the owner that has it, with an empty first or last name filled in from the
    /// given ones (a stored name is never replaced). Never two owners with one email.
    pub fn add_owner(&self, email: &str, first_name: &str, last_name: &str) -> Result<Owner, StoreError> {
        let mut added = self.add_owners([(email, first_name, last_name)])?;
        Ok(added.pop().expect("one owner in, one out").0)
    }

    /// [`WriteSession::add_owner`] for many owners, in order, reading the owners
    /// table once: one `(owner as stored now, outcome)` per item. An email given
    /// twice is one owner (the second fills in names the first left empty).
    ///
    /// Refuses an empty email ([`StoreError::Owner`]) and writes nothing over a
    /// corrupt owners table ([`StoreError::CorruptEntry`]).
    pub fn add_owners<'a>(
        &self,
        owners: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Result<Vec<(Owner, OwnerOutcome)>, StoreError> {
        let owners: Vec<(&str, &str, &str)> =
            owners.into_iter().map(|(e, f, l)| (e.trim(), f.trim(), l.trim())).collect();
        if owners.iter().any(|(email, _, _)| email.is_empty()) {
            return Err(StoreError::Owner("an owner needs an email".into()));
        }
        guard(|| {
            let txn = self.txn();
            let mut table = txn.open_table(OWNERS)?;
            let mut meta = txn.open_table(META)?;
            let mut by_email: HashMap<String, Owner> = HashMap::new();
            let mut max_id = 0;
            for item in table.iter()? {
                let (k, v) = item?;
                let id = k.value();
                let owner = Owner::decode(id, v.value()).map_err(corrupt(id))?;
                max_id = max_id.max(id);
                by_email.insert(owner.email.clone(), owner);
            }
            // A damaged sequence must not hand out an ID in use.
            let mut next = meta.get(OWNER_SEQUENCE)?.map_or(1, |v| v.value()).max(max_id + 1);
            let mut out = Vec::with_capacity(owners.len());
            for (email, first_name, last_name) in owners {
                let outcome = match by_email.get_mut(email) {
                    Some(owner) => {
                        let mut changed = false;
                        for (stored, given) in
                            [(&mut owner.first_name, first_name), (&mut owner.last_name, last_name)]
                        {
                            if stored.is_empty() && !given.is_empty() {
                                given.clone_into(stored);
                                changed = true;
                            }
                        }
                        if changed {
                            table.insert(owner.id, owner.encode().as_slice())?;
                        }
                        out.push((
                            owner.clone(),
                            if changed { OwnerOutcome::Updated } else { OwnerOutcome::Unchanged },
                        ));
                        continue;
                    }
                    None => OwnerOutcome::Created,
                };
                let owner = Owner {
                    id: next,
                    email: email.to_owned(),
                    first_name: first_name.to_owned(),
                    last_name: last_name.to_owned(),
                };
                next += 1;
                table.insert(owner.id, owner.encode().as_slice())?;
                by_email.insert(owner.email.clone(), owner.clone());
                out.push((owner, outcome));
            }
            meta.insert(OWNER_SEQUENCE, next)?;
            Ok(out)
        })
    }
}

impl ReadSession {
    /// Every owner, by ID, verified: the first corrupt entry is
    /// [`StoreError::CorruptEntry`] of [`EntryTable::Owners`].
    pub fn owners(&self) -> Result<Vec<Owner>, StoreError> {
        guard(|| {
            let table = match self.txn().open_table(OWNERS) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut out = Vec::new();
            for item in table.iter()? {
                let (k, v) = item?;
                let id = k.value();
                out.push(Owner::decode(id, v.value()).map_err(corrupt(id))?);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use redb::Database;

    use super::*;
    use crate::Store;

    fn owner(id: u64) -> Owner {
        Owner { id, email: "ada@example.com".into(), first_name: "Ada".into(), last_name: "Lovelace".into() }
    }

    fn store() -> (tempfile::TempDir, std::path::PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.redb");
        let store = Store::open(&path).unwrap();
        (dir, path, store)
    }

    fn add(store: &Store, email: &str, first: &str, last: &str) -> Owner {
        let session = store.begin_write().unwrap();
        let owner = session.add_owner(email, first, last).unwrap();
        session.commit(true).unwrap();
        owner
    }

    #[test]
    fn owners_round_trip_and_every_flipped_bit_is_detected() {
        let o = owner(3);
        let bytes = o.encode();
        assert_eq!(Owner::decode(3, &bytes).unwrap(), o);
        assert!(matches!(Owner::decode(4, &bytes), Err(EntryCorruption::Checksum { .. })));
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                assert!(Owner::decode(3, &bad).is_err(), "byte {i} bit {bit}");
            }
        }
        assert!(matches!(Owner::decode(3, &bytes[..5]), Err(EntryCorruption::TooShort { len: 5 })));
        assert!(Owner::decode(3, &serde_json::to_vec(&o).unwrap()).is_err(), "plain JSON");
        // A valid checksum over an owner that names another ID.
        let moved = entry::encode(3, &owner(9));
        assert!(matches!(Owner::decode(3, &moved), Err(EntryCorruption::WrongId { found: 9 })));
    }

    #[test]
    fn full_names_leave_out_empty_parts() {
        let mut o = owner(1);
        assert_eq!(o.full_name(), "Ada Lovelace");
        o.last_name.clear();
        assert_eq!(o.full_name(), "Ada");
        o.first_name.clear();
        o.last_name = "Lovelace".into();
        assert_eq!(o.full_name(), "Lovelace");
    }

    #[test]
    fn owners_get_ids_from_1_and_one_email_is_one_owner_whose_names_are_filled_in_never_replaced() {
        let (_dir, path, store) = store();
        assert_eq!(store.begin_read().unwrap().owners().unwrap(), []);
        let ada = add(&store, "ada@example.com", "", "Lovelace");
        assert_eq!(ada.id, 1);
        let bob = add(&store, "bob@example.com", "Bob", "Stone");
        assert_eq!(bob.id, 2);
        // Same email: the same owner, the empty first name filled in, the last kept.
        let again = add(&store, "ada@example.com", " Augusta ", "King");
        assert_eq!(
            again,
            Owner {
                id: 1,
                email: "ada@example.com".into(),
                first_name: "Augusta".into(),
                last_name: "Lovelace".into()
            }
        );
        let read = store.begin_read().unwrap();
        assert_eq!(read.owners().unwrap(), [again.clone(), bob.clone()]);
        drop(read);
        // A batch: outcomes per item, a repeated email is one owner.
        let session = store.begin_write().unwrap();
        let added = session
            .add_owners([
                ("cy@example.com", "Cy", ""),
                ("bob@example.com", "Robert", "Stone"),
                ("cy@example.com", "", "Young"),
                ("ada@example.com", "", ""),
            ])
            .unwrap();
        session.commit(true).unwrap();
        let outcomes: Vec<(u64, OwnerOutcome)> = added.iter().map(|(o, w)| (o.id, *w)).collect();
        assert_eq!(
            outcomes,
            [
                (3, OwnerOutcome::Created),
                (2, OwnerOutcome::Unchanged),
                (3, OwnerOutcome::Updated),
                (1, OwnerOutcome::Unchanged)
            ]
        );
        let owners = store.begin_read().unwrap().owners().unwrap();
        assert_eq!(owners.len(), 3);
        assert_eq!(owners[1], bob, "a stored name is never replaced");
        assert_eq!(owners[2].full_name(), "Cy Young");
        // An empty email is refused, and nothing is written.
        let session = store.begin_write().unwrap();
        let e = session.add_owners([("dee@example.com", "Dee", ""), (" ", "No", "Email")]).unwrap_err();
        assert!(matches!(e, StoreError::Owner(_)), "{e}");
        drop(session);
        assert_eq!(store.begin_read().unwrap().owners().unwrap().len(), 3);
        // A dropped session adds nothing; the sequence goes on where it was.
        let session = store.begin_write().unwrap();
        session.add_owner("dee@example.com", "Dee", "").unwrap();
        drop(session);
        assert_eq!(add(&store, "eve@example.com", "Eve", "").id, 4);
        drop(store);
        let report = Store::check(&path).unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!(report.checked.owners, 4);
    }

    #[test]
    fn a_corrupt_owner_is_an_error_for_reads_and_adds_and_check_reports_owner_damage() {
        let (_dir, path, store) = store();
        for (email, first) in [("a@x.com", "A"), ("b@x.com", "B"), ("c@x.com", "C")] {
            add(&store, email, first, "");
        }
        drop(store);
        {
            let db = Database::open(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut t = txn.open_table(OWNERS).unwrap();
                let mut bytes = t.get(2).unwrap().unwrap().value().to_vec();
                let n = bytes.len();
                bytes[n - 3] ^= 1;
                t.insert(2, bytes.as_slice()).unwrap();
                // Owner 3 under key 7: valid for 3, not for 7.
                let three = t.get(3).unwrap().unwrap().value().to_vec();
                t.insert(7, three.as_slice()).unwrap();
                // Owner 8 sharing owner 1's email (a valid entry).
                let twin = Owner {
                    id: 8,
                    email: "a@x.com".into(),
                    first_name: String::new(),
                    last_name: String::new(),
                };
                t.insert(8, twin.encode().as_slice()).unwrap();
                let nine =
                    Owner { id: 9, email: String::new(), first_name: "N".into(), last_name: String::new() };
                t.insert(9, nine.encode().as_slice()).unwrap();
                // The sequence, not above owner 9.
                txn.open_table(META).unwrap().insert(OWNER_SEQUENCE, 4).unwrap();
            }
            txn.commit().unwrap();
        }
        let report = Store::check(&path).unwrap();
        let found: Vec<String> =
            report.problems.iter().map(|p| format!("{} [{}] {}", p.table, p.key, p.problem)).collect();
        let has = |table: &str, key: &str, text: &str| {
            assert!(
                report.problems.iter().any(|p| p.table == table && p.key == key && p.problem.contains(text)),
                "no problem {table} [{key}] ~ {text:?} in:\n{}",
                found.join("\n")
            );
        };
        has("owners", "2", "corrupt: checksum mismatch");
        has("owners", "7", "corrupt: checksum mismatch");
        has("owners", "8", "email 'a@x.com' is also owner 1's");
        has("owners", "9", "has no email");
        has("meta", "seq/owners", "next owner ID is 4, not above the highest owner ID 9");
        assert_eq!(report.problems.len(), 5, "{}", found.join("\n"));
        assert_eq!(report.checked.owners, 6);
        let store = Store::open(&path).unwrap();
        let e = store.begin_read().unwrap().owners().unwrap_err();
        assert!(matches!(e, StoreError::CorruptEntry { table: EntryTable::Owners, id: 2, .. }), "{e}");
        assert!(e.is_corruption());
        assert!(e.to_string().starts_with("owner 2 is corrupt: checksum mismatch"), "{e}");
        let session = store.begin_write().unwrap();
        let e = session.add_owner("z@x.com", "Z", "").unwrap_err();
        assert!(matches!(e, StoreError::CorruptEntry { table: EntryTable::Owners, id: 2, .. }), "{e}");
    }

    #[test]
    fn a_damaged_sequence_never_hands_out_an_id_in_use() {
        let (_dir, path, store) = store();
        add(&store, "a@x.com", "A", "");
        add(&store, "b@x.com", "B", "");
        drop(store);
        {
            let db = Database::open(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META).unwrap().remove(OWNER_SEQUENCE).unwrap();
            txn.commit().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(add(&store, "c@x.com", "C", "").id, 3);
        assert_eq!(store.begin_read().unwrap().owners().unwrap().len(), 3);
    }
}
