//! `ingest check` (SPEC 8, 11): verifies the whole store.
//!
//! The store crate does the checking ([`store::Store::check`]) but does not know
//! the schema; this module names the identifier property of every object (as
//! [`IdentifierSpec`]s from [`crate::schema::OBJECTS`]) so that the identifier
//! indexes are verified against the records. The CLI only prints the report.

use std::path::Path;

use store::{CheckReport, IdentifierSpec, OpenError, Store};

use crate::schema::OBJECTS;

/// The identifier properties of the schema's objects, as the store check takes them.
pub fn identifier_specs() -> Vec<IdentifierSpec<'static>> {
    OBJECTS
        .iter()
        .filter_map(|o| {
            let property = o.identifier?;
            let number = o.property_number(property)?;
            Some(IdentifierSpec { object: o.name, property, number })
        })
        .collect()
}

/// Checks the store file at `path` without modifying it (works on read-only
/// stores and media). `Err` only when it cannot be checked at all (missing, no
/// permission, in use by an import, not a store); damage is listed in the report
/// ([`CheckReport::is_ok`] is false).
pub fn run(path: &Path) -> Result<CheckReport, OpenError> {
    Store::check(path, &identifier_specs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_with_an_identifier_is_checked() {
        let specs = identifier_specs();
        assert_eq!(specs.len(), OBJECTS.iter().filter(|o| o.identifier.is_some()).count());
        let contacts = specs.iter().find(|s| s.object == "contacts").expect("contacts");
        assert_eq!(contacts.property, "email");
        assert_eq!(crate::schema::CONTACTS.property(contacts.number).name, "email");
    }
}
