//! HubSpot's export layout: object sections and association columns.
//!
//! An export with associated records puts each object in a section that starts
//! with its record ID column, `Record ID - Contact`, First Name, ...,
//! `Record ID - Company`, Company name, ...: every column belongs to the object of
//! its section, and header names repeat across sections. Columns named
//! `Associated <Object> <Property>` (`Associated Company Domain`, `Associated
//! Contact Email`, `Associated Deal IDs`, or `Associated Deal` alone for record
//! IDs) are association columns, in any file.

use super::vocabulary::Vocabulary;
use crate::schema::{Object, PropertyId, RECORD_ID};

/// The sections of a header: per column, the object of its section (by name),
/// none before the first section.
#[derive(Debug, Clone, Default)]
pub struct Sections {
    /// Per column.
    pub of_column: Vec<Option<String>>,
    /// The columns that start a section (the record ID columns).
    pub starts: Vec<usize>,
    /// The sections' objects, in order of first appearance.
    pub objects: Vec<String>,
}

/// The normalized prefix of a section's record ID column (`Record ID - Contact`).
const SECTION_PREFIX: &str = "recordid";

/// The normalized prefix of an association column.
const ASSOCIATED_PREFIX: &str = "associated";

/// What follows the object's name in an association column of record IDs.
const ID_SUFFIXES: [&str; 5] = ["", "id", "ids", "recordid", "recordids"];

impl Sections {
    /// The sections of a header given as normalized keys; `None` when no column
    /// starts a section.
    pub fn find(keys: &[Option<String>], vocabulary: &Vocabulary) -> Option<Self> {
        let mut out = Self::default();
        let mut current: Option<String> = None;
        for (c, key) in keys.iter().enumerate() {
            if let Some(object) = key.as_deref().and_then(|k| section_object(k, vocabulary)) {
                current = Some(object.name.clone());
                out.starts.push(c);
                if !out.objects.contains(&object.name) {
                    out.objects.push(object.name.clone());
                }
            }
            out.of_column.push(current.clone());
        }
        (!out.starts.is_empty()).then_some(out)
    }

    /// Whether column `c` is a section's record ID column.
    pub fn starts_at(&self, c: usize) -> bool {
        self.starts.binary_search(&c).is_ok()
    }
}

/// The object whose section a normalized header starts (`recordidcontact`).
fn section_object<'v>(key: &str, vocabulary: &'v Vocabulary) -> Option<&'v Object> {
    let rest = key.strip_prefix(SECTION_PREFIX).filter(|r| !r.is_empty())?;
    vocabulary.object_named(rest)
}

/// The object and unique property (or the record ID) an association column's
/// normalized header names: `associatedcompanydomain` -> companies `domain`,
/// `associateddealids` and `associateddeal` -> deals' record ID.
pub fn association_column<'v>(
    key: &str,
    vocabulary: &'v Vocabulary,
    lang: &str,
) -> Option<(&'v Object, PropertyId)> {
    let rest = key.strip_prefix(ASSOCIATED_PREFIX)?;
    vocabulary.objects_prefixing(rest).find_map(|(object, property)| {
        if ID_SUFFIXES.contains(&property) {
            return Some((object, RECORD_ID));
        }
        let id = vocabulary.lookup_key(&object.name, property, lang)?;
        let unique = object.property(id).is_some_and(|p| p.unique) || id == RECORD_ID;
        unique.then_some((object, id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<Option<String>> {
        names.iter().map(|n| Some(super::super::vocabulary::normalize_header(n))).collect()
    }

    #[test]
    fn sections_start_at_record_id_columns() {
        let v = Vocabulary::standard();
        let k = keys(&[
            "Record ID - Contact",
            "First Name",
            "Record ID - Company",
            "Company name",
            "Create Date",
        ]);
        let s = Sections::find(&k, &v).expect("sections");
        assert_eq!(s.objects, ["contacts", "companies"]);
        assert_eq!(s.starts, [0, 2]);
        let of: Vec<Option<&str>> = s.of_column.iter().map(Option::as_deref).collect();
        assert_eq!(
            of,
            [Some("contacts"), Some("contacts"), Some("companies"), Some("companies"), Some("companies")]
        );
        assert!(Sections::find(&keys(&["Record ID", "Email"]), &v).is_none(), "a plain record ID column");
    }

    #[test]
    fn association_columns_name_an_object_and_an_identifier() {
        let v = Vocabulary::standard();
        let of = |h: &str| {
            let k = super::super::vocabulary::normalize_header(h);
            association_column(&k, &v, "en")
                .map(|(o, p)| (o.name.clone(), crate::schema::property(o, p).name.clone()))
        };
        let pair = |o: &str, p: &str| Some((o.to_owned(), p.to_owned()));
        assert_eq!(of("Associated Company Domain"), pair("companies", "domain"));
        assert_eq!(of("Associated Contact Email"), pair("contacts", "email"));
        assert_eq!(of("Associated Deal IDs"), pair("deals", "hs_object_id"));
        assert_eq!(of("Associated Deal"), pair("deals", "hs_object_id"));
        assert_eq!(of("Associated Companies"), pair("companies", "hs_object_id"));
        assert_eq!(of("Associated Company Name"), None, "a name is not an identifier");
        assert_eq!(of("Company Domain"), None);
    }
}
