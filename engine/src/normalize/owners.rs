//! Owner cells (property type `owner`, `hubspot_owner_id`): matched against the
//! store's owners, stored as the owner ID in decimal.
//!
//! A cell names an owner by its owner ID (digits), its email (case-insensitive, in
//! the normal form of [`values::email`]) or its full name (`First Last`,
//! case-insensitive, whitespace collapsed). The import loads the owners once, when
//! it starts, into an [`OwnerIndex`]; the transform stage reaches it through
//! [`crate::normalize::values::ValueOptions::owners`].

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use store::Owner;

use crate::codes::ErrorCode;
use crate::normalize::values;

/// The owners of a store, by ID, email and full name.
#[derive(Default)]
pub struct OwnerIndex {
    ids: HashSet<u64>,
    emails: HashMap<String, u64>,
    /// Normalized full name -> the owner with it, `None` when several share it.
    names: HashMap<String, Option<u64>>,
}

impl std::fmt::Debug for OwnerIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerIndex").field("owners", &self.ids.len()).finish_non_exhaustive()
    }
}

/// The key a full name is matched by: lowercase, runs of whitespace as one space,
/// no leading or trailing space.
pub fn name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// The key an email is matched by: its normal form, or (for an owner whose email
/// does not parse) its lowercase form.
fn email_key(email: &str) -> String {
    let mut key = String::new();
    if values::email(email.trim(), &mut key).is_err() {
        key = email.trim().to_lowercase();
    }
    key
}

impl OwnerIndex {
    /// Indexes `owners` (as [`store::ReadSession::owners`] lists them).
    pub fn new(owners: &[Owner]) -> Self {
        let mut index = Self::default();
        for o in owners {
            index.ids.insert(o.id);
            index.emails.insert(email_key(&o.email), o.id);
            let name = name_key(&o.full_name());
            if !name.is_empty() {
                index.names.entry(name).and_modify(|id| *id = None).or_insert(Some(o.id));
            }
        }
        index
    }

    /// Number of owners.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the store has no owners.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The owner `raw` (trimmed, not blank) names: by owner ID when it is all
    /// digits, by email when it holds `@`, by full name otherwise.
    /// [`ErrorCode::CouldNotFindOwner`] when none does, and
    /// [`ErrorCode::AmbiguousOwner`] for a full name that two owners share.
    pub fn find(&self, raw: &str) -> Result<u64, ErrorCode> {
        if raw.bytes().all(|b| b.is_ascii_digit()) {
            return raw
                .parse::<u64>()
                .ok()
                .filter(|id| self.ids.contains(id))
                .ok_or(ErrorCode::CouldNotFindOwner);
        }
        if raw.contains('@') {
            let mut email = String::new();
            return match values::email(raw, &mut email) {
                Ok(()) => self.emails.get(&email).copied().ok_or(ErrorCode::CouldNotFindOwner),
                Err(_) => Err(ErrorCode::CouldNotFindOwner),
            };
        }
        match self.names.get(&name_key(raw)) {
            Some(Some(id)) => Ok(*id),
            Some(None) => Err(ErrorCode::AmbiguousOwner),
            None => Err(ErrorCode::CouldNotFindOwner),
        }
    }

    /// Writes the owner ID that `raw` names, in decimal ([`OwnerIndex::find`]).
    pub fn normalize(&self, raw: &str, out: &mut String) -> Result<(), ErrorCode> {
        let id = self.find(raw)?;
        write!(out, "{id}").expect("writing to a String");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: u64, email: &str, first: &str, last: &str) -> Owner {
        Owner { id, email: email.into(), first_name: first.into(), last_name: last.into() }
    }

    fn index() -> OwnerIndex {
        OwnerIndex::new(&[
            owner(1, "ada@example.com", "Ada", "Lovelace"),
            owner(2, "josé@müller.de", "José", "Müller"),
            owner(3, "sam1@example.com", "Sam", "Lee"),
            owner(4, "sam2@example.com", "sam", "LEE"),
            owner(17, "noname@example.com", "", ""),
        ])
    }

    #[test]
    fn owners_are_found_by_id_email_and_full_name() {
        let idx = index();
        assert_eq!(idx.len(), 5);
        for (raw, want) in [
            ("1", 1),
            ("017", 17),
            ("ADA@Example.com", 1),
            ("jose@xn--mller-kva.de", 0),
            ("josé@MÜLLER.de", 2),
            ("ada lovelace", 1),
            ("  Ada \t  LOVELACE ", 1),
            ("JOSÉ MÜLLER", 2),
        ] {
            if want == 0 {
                assert_eq!(idx.find(raw), Err(ErrorCode::CouldNotFindOwner), "{raw}");
            } else {
                assert_eq!(idx.find(raw), Ok(want), "{raw}");
            }
        }
        let mut out = String::new();
        idx.normalize("Ada Lovelace", &mut out).unwrap();
        assert_eq!(out, "1");
    }

    #[test]
    fn unknown_and_shared_names_are_errors() {
        let idx = index();
        for raw in [
            "5",
            "99999999999999999999999",
            "nobody@example.com",
            "Ada",
            "Lovelace",
            "not@an@email",
            "Grace Hopper",
        ] {
            assert_eq!(idx.find(raw), Err(ErrorCode::CouldNotFindOwner), "{raw}");
        }
        assert_eq!(idx.find("Sam Lee"), Err(ErrorCode::AmbiguousOwner));
        // Each of them is still found by email and ID.
        assert_eq!(idx.find("sam2@example.com"), Ok(4));
        assert_eq!(idx.find("3"), Ok(3));
        assert!(OwnerIndex::default().is_empty());
        assert_eq!(OwnerIndex::default().find("1"), Err(ErrorCode::CouldNotFindOwner));
        assert_eq!(name_key("  Anne-Marie   van  der BERG "), "anne-marie van der berg");
    }

    #[test]
    fn owner_cells_normalize_to_the_owner_id_through_the_value_options() {
        let prop =
            store::schema::standard().object("deals").unwrap().property_named("hubspot_owner_id").unwrap();
        let with = values::ValueOptions { owners: std::sync::Arc::new(index()), ..Default::default() };
        let mut out = String::new();
        values::normalize(prop, "José Müller", &with, &mut out).unwrap();
        assert_eq!(out, "2");
        values::normalize(prop, "ada@EXAMPLE.com", &with, &mut out).unwrap();
        assert_eq!(out, "1");
        assert_eq!(values::normalize(prop, "Sam Lee", &with, &mut out), Err(ErrorCode::AmbiguousOwner));
        let none = values::ValueOptions::default();
        assert_eq!(values::normalize(prop, "1", &none, &mut out), Err(ErrorCode::CouldNotFindOwner));
    }
}
