//! The CRM model (SPEC 1): objects, their standard properties and property types.
//!
//! A property's *number* is its position in its object's list. Numbers are stored
//! in every record ([`store::record`]), so lists are append-only: never reorder or
//! remove an entry. Property 0 of every object is `hs_object_id`, the record ID,
//! which is never stored as a value.

/// The type of a property: how its values are parsed, validated and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    /// The record ID (`hs_object_id`).
    RecordId,
    /// Free text.
    String,
    /// A decimal number (`--number-locale`).
    Number,
    /// A calendar date (`--date-format`), written `YYYY-MM-DD`.
    Date,
    /// A point in time, written RFC 3339 in UTC.
    Datetime,
    /// One of a fixed list of options.
    Enumeration(&'static [EnumOption]),
    /// `true` or `false`.
    Bool,
    /// An email address, lowercased.
    Email,
    /// A phone number, kept as written.
    Phone,
    /// A company domain, normalized (`https://www.Acme.com/x` -> `acme.com`).
    Domain,
    /// A web address, kept as written.
    Url,
}

/// One option of an enumeration: the internal value and the label users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumOption {
    /// Internal value, stored and exported.
    pub value: &'static str,
    /// Label.
    pub label: &'static str,
}

/// A property of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property {
    /// Internal name (`firstname`).
    pub name: &'static str,
    /// Value type.
    pub ty: PropertyType,
}

/// An object type and its standard properties.
#[derive(Debug)]
pub struct ObjectDef {
    /// Object name (`contacts`).
    pub name: &'static str,
    /// Properties by number.
    pub properties: &'static [Property],
    /// The unique property rows are matched by when no record ID is given.
    pub identifier: Option<&'static str>,
    /// A row must hold one of these to create a record (SPEC 3).
    pub required_any: &'static [&'static str],
}

impl ObjectDef {
    /// The number of a property by internal name.
    pub fn property_number(&self, name: &str) -> Option<u16> {
        self.properties.iter().position(|p| p.name == name).map(|i| i as u16)
    }

    /// The property with a given number.
    pub fn property(&self, number: u16) -> &'static Property {
        &self.properties[usize::from(number)]
    }

    /// The English label of a property (falls back to the internal name).
    pub fn label(&self, number: u16) -> &'static str {
        let name = self.property(number).name;
        crate::mapping::headers::PROPERTY_LABELS
            .iter()
            .find(|(o, p, _)| *o == self.name && *p == name)
            .map_or(name, |(_, _, l)| l)
    }
}

/// `HubSpot`'s lifecycle stages.
pub const LIFECYCLE_STAGES: &[EnumOption] = &[
    EnumOption { value: "subscriber", label: "Subscriber" },
    EnumOption { value: "lead", label: "Lead" },
    EnumOption { value: "marketingqualifiedlead", label: "Marketing Qualified Lead" },
    EnumOption { value: "salesqualifiedlead", label: "Sales Qualified Lead" },
    EnumOption { value: "opportunity", label: "Opportunity" },
    EnumOption { value: "customer", label: "Customer" },
    EnumOption { value: "evangelist", label: "Evangelist" },
    EnumOption { value: "other", label: "Other" },
];

const fn p(name: &'static str, ty: PropertyType) -> Property {
    Property { name, ty }
}

use PropertyType as T;

/// Contacts.
pub static CONTACTS: ObjectDef = ObjectDef {
    name: "contacts",
    properties: &[
        p("hs_object_id", T::RecordId),
        p("email", T::Email),
        p("firstname", T::String),
        p("lastname", T::String),
        p("phone", T::Phone),
        p("mobilephone", T::Phone),
        p("company", T::String),
        p("website", T::Url),
        p("jobtitle", T::String),
        p("address", T::String),
        p("city", T::String),
        p("state", T::String),
        p("zip", T::String),
        p("country", T::String),
        p("lifecyclestage", T::Enumeration(LIFECYCLE_STAGES)),
        p("date_of_birth", T::Date),
        p("hs_email_optout", T::Bool),
    ],
    identifier: Some("email"),
    required_any: &["email", "firstname", "lastname"],
};

/// Companies.
pub static COMPANIES: ObjectDef = ObjectDef {
    name: "companies",
    properties: &[
        p("hs_object_id", T::RecordId),
        p("name", T::String),
        p("domain", T::Domain),
        p("industry", T::String),
        p("numberofemployees", T::Number),
        p("annualrevenue", T::Number),
        p("phone", T::Phone),
        p("address", T::String),
        p("city", T::String),
        p("state", T::String),
        p("zip", T::String),
        p("country", T::String),
        p("website", T::Url),
        p("description", T::String),
        p("founded_year", T::Number),
        p("lifecyclestage", T::Enumeration(LIFECYCLE_STAGES)),
        p("is_public", T::Bool),
    ],
    identifier: Some("domain"),
    required_any: &["name", "domain"],
};

/// The objects this version imports.
pub static OBJECTS: &[&ObjectDef] = &[&CONTACTS, &COMPANIES];

/// Objects of the model that imports do not handle yet.
pub const NOT_YET_IMPORTABLE: &[&str] =
    &["deals", "tickets", "products", "line_items", "calls", "tasks", "notes", "meetings", "emails"];

/// Looks an object up by name.
pub fn object(name: &str) -> Option<&'static ObjectDef> {
    OBJECTS.iter().copied().find(|o| o.name == name)
}

/// Property number of the record ID in every object.
pub const RECORD_ID: u16 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_starts_with_the_record_id_and_names_real_properties() {
        for o in OBJECTS {
            assert_eq!(o.properties[0].ty, PropertyType::RecordId);
            let id = o.identifier.unwrap();
            assert!(o.property_number(id).is_some());
            for r in o.required_any {
                assert!(o.property_number(r).is_some(), "{r}");
            }
        }
    }

    #[test]
    fn labels_come_from_the_vocabulary() {
        assert_eq!(CONTACTS.label(CONTACTS.property_number("firstname").unwrap()), "First Name");
    }
}
