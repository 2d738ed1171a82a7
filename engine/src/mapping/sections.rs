//! HubSpot's export layout: object sections and association columns.
//!
//! An export with associated records puts each object in a section that starts
//! with its record ID column, `Record ID - Contact`, First Name, ...,
//! `Record ID - Company`, Company name, ...: every column belongs to the object of
//! its section, and header names repeat across sections. Columns named
//! `Associated <Object> <Property>` (`Associated Company Domain`, `Associated
//! Contact Email`, `Associated Deal IDs`, or `Associated Deal` alone for record
//! IDs) are association columns, in any file. HubSpot's contact export fills a
//! bare `Associated Company` with company *names*: that column, and `Associated
//! Company Name`, find companies by name ([`crate::plan::names`]).

use super::vocabulary::{Vocabulary, normalize_header};
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

/// The objects whose bare singular `Associated <Object>` column holds their
/// records' names, not IDs, and the property of the name: HubSpot's contact export
/// writes company names in `Associated Company` (its `Associated Deal` holds deal
/// IDs, and this engine's CSV export writes IDs under the plural `Associated
/// Companies`). `Associated Company Name` names the same property.
const NAMED_BY: [(&str, &str); 1] = [("companies", "name")];

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

/// The object and unique property (or the record ID, or a name) an association
/// column's normalized header names: `associatedcompanydomain` -> companies
/// `domain`, `associateddealids` and `associateddeal` -> deals' record ID,
/// `associatedcompany` and `associatedcompanyname` -> companies `name` (`NAMED_BY`),
/// and the exports' `primarycompany` -> companies' record ID.
pub fn association_column<'v>(
    key: &str,
    vocabulary: &'v Vocabulary,
    lang: &str,
) -> Option<(&'v Object, PropertyId)> {
    // The CSV and Parquet exports' `Primary Company`: one of the associated companies.
    if key == normalize_header(crate::associate::view::PRIMARY_COMPANY_COLUMN) {
        let companies = vocabulary.object(store::schema::COMPANIES)?;
        return Some((companies, RECORD_ID));
    }
    let rest = key.strip_prefix(ASSOCIATED_PREFIX)?;
    let named = |object: &Object| {
        NAMED_BY.iter().find(|(o, _)| *o == object.name).and_then(|(_, p)| object.property_id(p))
    };
    if let Some((object, name)) = vocabulary
        .objects()
        .iter()
        .find(|o| normalize_header(&o.singular) == rest)
        .and_then(|o| Some((o, named(o)?)))
    {
        return Some((object, name));
    }
    vocabulary.objects_prefixing(rest).find_map(|(object, property)| {
        if ID_SUFFIXES.contains(&property) {
            return Some((object, RECORD_ID));
        }
        let id = vocabulary.lookup_key(&object.name, property, lang)?;
        let unique = object.property(id).is_some_and(|p| p.unique) || id == RECORD_ID;
        (unique || named(object) == Some(id)).then_some((object, id))
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
        assert_eq!(of("Associated Company IDs"), pair("companies", "hs_object_id"));
        assert_eq!(of("Associated Company"), pair("companies", "name"), "HubSpot writes names there");
        assert_eq!(of("Associated Company Name"), pair("companies", "name"));
        assert_eq!(of("Associated Contact"), pair("contacts", "hs_object_id"));
        assert_eq!(of("Associated Deal Name"), None, "by name only where HubSpot writes names");
        assert_eq!(of("Primary Company"), pair("companies", "hs_object_id"), "as the exports write it");
        assert_eq!(of("Company Domain"), None);
    }
}
