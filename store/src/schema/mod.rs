//! The CRM model as data (SPEC 1): objects, their properties, pipelines and stages.
//!
//! The schema lives in the store (table `schema`, one checksummed JSON value per
//! object), so that custom properties and objects are part of the store and a
//! property keeps its numeric ID for ever: records and identifier indexes refer
//! to properties by [`PropertyId`], never by name or label. A new store is seeded
//! with the standard model ([`standard`]), whose data files are in `store/model/`:
//! one file per object and one header vocabulary per language.
//!
//! IDs: property 0 of every object is `hs_object_id`, the record ID, never stored
//! as a value. Standard properties have the IDs written in the model files (below
//! [`FIRST_CUSTOM_PROPERTY`]); custom properties get IDs from
//! [`FIRST_CUSTOM_PROPERTY`] up, so a later build that adds standard properties
//! never collides with them. IDs are never reused: deleting a custom property
//! leaves its ID in [`ObjectDef::deleted_properties`] (a tombstone), and
//! [`ObjectDef::next_custom_id`] counts past it. Records keep the values they hold
//! under a deleted ID (the schema never rewrites records); nothing reads them.

mod associations;
mod standard;
pub(crate) mod stored;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

pub use associations::{
    AssociationLabel, AssociationType, COMPANIES, LabelId, PRIMARY_COMPANY_OBJECTS, pair_order, primary_side,
};
pub use standard::{LANGUAGES, normalize_header, standard};

/// A property's stable number within its object.
pub type PropertyId = u16;

/// The record ID's property number in every object.
pub const RECORD_ID: PropertyId = 0;

/// Custom properties are numbered from here; standard ones below.
pub const FIRST_CUSTOM_PROPERTY: PropertyId = 1000;

/// The type of a property: how its values are parsed, validated and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyType {
    /// The record ID (`hs_object_id`).
    RecordId,
    /// Free text.
    String,
    /// A decimal number ([`PropertyDef::integer`] for whole numbers only).
    Number,
    /// A calendar date, stored `YYYY-MM-DD`.
    Date,
    /// A point in time, stored RFC 3339 in UTC.
    Datetime,
    /// One of [`PropertyDef::options`] (several, `;`-separated, when
    /// [`PropertyDef::multiple`]).
    Enumeration,
    /// `true` or `false`.
    Bool,
    /// An email address (Unicode NFC, lowercase).
    Email,
    /// A phone number, kept as written.
    Phone,
    /// A company domain, normalized (`https://www.Acme.com/x` -> `acme.com`).
    Domain,
    /// A web address, kept as written.
    Url,
    /// A user of the CRM (`hubspot_owner_id`): matched by owner ID, email or full
    /// name against the store's owners, stored as the owner ID.
    Owner,
}

impl PropertyType {
    /// The name used in model files, `--map 'H=+obj.name:TYPE'` and `schema` output.
    pub fn name(self) -> &'static str {
        match self {
            Self::RecordId => "record_id",
            Self::String => "string",
            Self::Number => "number",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::Enumeration => "enumeration",
            Self::Bool => "bool",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Owner => "owner",
        }
    }

    /// The type named `name` (as [`PropertyType::name`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "record_id" => Self::RecordId,
            "string" | "text" => Self::String,
            "number" => Self::Number,
            "date" => Self::Date,
            "datetime" => Self::Datetime,
            "enumeration" | "enum" => Self::Enumeration,
            "bool" | "boolean" => Self::Bool,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "domain" => Self::Domain,
            "url" => Self::Url,
            "owner" => Self::Owner,
            _ => return None,
        })
    }
}

/// One option of an enumeration: the internal value and the label users see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumOption {
    /// Internal value, stored and exported.
    pub value: String,
    /// Label (English).
    pub label: String,
}

/// A property of an object.
#[allow(clippy::struct_excessive_bools)] // flags of a data record
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyDef {
    /// Stable number (see the module documentation).
    pub id: PropertyId,
    /// Internal name (`firstname`).
    pub name: String,
    /// Label (English, `First Name`).
    pub label: String,
    /// Value type.
    #[serde(rename = "type")]
    pub ty: PropertyType,
    /// Enumerations: the options, in display order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<EnumOption>,
    /// Several values, `;`-separated: a multi-select enumeration, or a list of emails
    /// (`hs_additional_emails`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub multiple: bool,
    /// Numbers: whole numbers only (a fraction is `COULD_NOT_PARSE_NUMBER`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub integer: bool,
    /// No two records share a value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Defined by a user, not by the standard model.
    #[serde(default, skip_serializing_if = "is_false")]
    pub custom: bool,
    /// A list of secondary values of the unique property named here, indexed with
    /// it: `hs_additional_emails` holds a contact's secondary emails, and an email
    /// is unique across primary and secondary emails (SPEC 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_of: Option<String>,
    /// A unique property whose values several records may share since an import
    /// matched the object by another unique property (companies' `domain` when a
    /// custom property is the identifier, SPEC 2). Its index then holds, for each
    /// value, the record with the lowest ID holding it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub shared: bool,
    /// Header spellings per language, normalized with [`normalize_header`]
    /// (the English list also holds the internal name and the label).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Vec<String>>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

impl PropertyDef {
    /// The option whose value or label is `s` (case-insensitively).
    pub fn option(&self, s: &str) -> Option<&EnumOption> {
        self.options.iter().find(|o| o.value.eq_ignore_ascii_case(s) || o.label.eq_ignore_ascii_case(s))
    }
}

/// What kind of object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A standard CRM object (contacts, companies, deals, tickets, products, line items).
    #[default]
    Standard,
    /// An activity (calls, tasks, notes, meetings, emails): created by imports, matched by
    /// record ID only, and never updated unless [`ObjectDef::updatable`].
    Activity,
    /// Defined by a user.
    Custom,
}

/// A stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Internal value (`appointmentscheduled`).
    pub id: String,
    /// Label (`Appointment Scheduled`).
    pub label: String,
    /// A closed stage (won or lost, or a closed ticket).
    #[serde(default, skip_serializing_if = "is_false")]
    pub closed: bool,
}

/// A pipeline: an ordered list of stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Internal value (`default`).
    pub id: String,
    /// Label (`Sales Pipeline`).
    pub label: String,
    /// Stages in order.
    pub stages: Vec<Stage>,
}

/// An object type: its properties, identifier and creation rules, pipelines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectDef {
    /// Object name (`contacts`).
    pub name: String,
    /// Label, singular (`Contact`).
    pub singular: String,
    /// Label, plural (`Contacts`).
    pub label: String,
    /// Standard, activity or custom.
    #[serde(default)]
    pub kind: ObjectKind,
    /// Activities: an import may update a matched record (calls).
    #[serde(default, skip_serializing_if = "is_false")]
    pub updatable: bool,
    /// The unique property rows are matched by when no record ID is given
    /// (`email`, `domain`); `--id OBJ=PROP` picks another unique property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// A row must hold one of these to create a record (SPEC 3); empty when
    /// [`ObjectDef::required_all`] alone decides.
    #[serde(default)]
    pub required_any: Vec<String>,
    /// A row must hold every one of these to create a record (SPEC 3: activities
    /// `hs_timestamp`, notes also `hs_note_body`). Both rules apply when both are set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_all: Vec<String>,
    /// The property holding the pipeline and the one holding the stage, if the object
    /// has pipelines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_property: Option<String>,
    /// See [`ObjectDef::pipeline_property`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_property: Option<String>,
    /// Pipelines; the first is the default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pipelines: Vec<Pipeline>,
    /// Properties, ascending by ID.
    pub properties: Vec<PropertyDef>,
    /// IDs of deleted custom properties, ascending: never reused, and never a
    /// property again. Records may still hold values under them; export and every
    /// other reader ignore those (they look properties up in
    /// [`ObjectDef::properties`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_properties: Vec<PropertyId>,
    /// Header spellings of the object's name per language (`Company`, `Bedrijf`),
    /// used to tell which object a column of a multi-object file belongs to.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Vec<String>>,
    /// Association types (labels, limits) of the pairs whose first object by name
    /// is this one ([`AssociationType`]), ascending by the other object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<AssociationType>,
}

impl ObjectDef {
    /// The property with internal name `name`.
    pub fn property_named(&self, name: &str) -> Option<&PropertyDef> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The ID of the property named `name`.
    pub fn property_id(&self, name: &str) -> Option<PropertyId> {
        self.property_named(name).map(|p| p.id)
    }

    /// The property with ID `id`.
    pub fn property(&self, id: PropertyId) -> Option<&PropertyDef> {
        self.properties.binary_search_by_key(&id, |p| p.id).ok().map(|i| &self.properties[i])
    }

    /// The default identifier's property ID.
    pub fn identifier_id(&self) -> Option<PropertyId> {
        self.identifier.as_deref().and_then(|n| self.property_id(n))
    }

    /// True for activities that imports never update.
    pub fn create_only(&self) -> bool {
        self.kind == ObjectKind::Activity && !self.updatable
    }

    /// The next free custom property ID: above every property and every deleted
    /// property ([`ObjectDef::deleted_properties`]); for a standard or activity
    /// object at least [`FIRST_CUSTOM_PROPERTY`], for a custom object (whose
    /// properties are all the user's) the next number after its last.
    pub fn next_custom_id(&self) -> PropertyId {
        let next = self
            .properties
            .iter()
            .map(|p| p.id)
            .chain(self.deleted_properties.iter().copied())
            .max()
            .map_or(1, |id| id.saturating_add(1));
        if self.kind == ObjectKind::Custom { next } else { next.max(FIRST_CUSTOM_PROPERTY) }
    }

    /// Checks the rules every object satisfies: property 0 is the record ID, IDs
    /// ascend without repeats, names are unique, the identifier is a unique property,
    /// required properties exist, enumerations have options with distinct values, and
    /// an object with pipelines names its pipeline and stage properties and gives every
    /// pipeline at least one stage, pipeline IDs and stage IDs (per pipeline) unique,
    /// and deleted property IDs ascend and are no property's.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if self.properties.first().is_none_or(|p| p.id != RECORD_ID || p.ty != PropertyType::RecordId) {
            return Err(format!("{name}: property 0 must be hs_object_id of type record_id"));
        }
        for w in self.properties.windows(2) {
            if w[0].id >= w[1].id {
                return Err(format!("{name}: property IDs must ascend ({} then {})", w[0].id, w[1].id));
            }
        }
        if !self.deleted_properties.is_sorted_by(|a, b| a < b) {
            return Err(format!("{name}: deleted property IDs must ascend"));
        }
        if let Some(id) = self.deleted_properties.iter().find(|&&id| self.property(id).is_some()) {
            return Err(format!("{name}: property {id} is deleted, its ID cannot be used again"));
        }
        let mut names = HashSet::new();
        for p in &self.properties {
            if !names.insert(p.name.as_str()) {
                return Err(format!("{name}: property {} is defined twice", p.name));
            }
            if p.ty == PropertyType::Enumeration && p.options.is_empty() {
                return Err(format!("{name}.{}: an enumeration needs options", p.name));
            }
            let mut values = HashSet::new();
            if let Some(o) = p.options.iter().find(|o| !values.insert(o.value.as_str())) {
                return Err(format!("{name}.{}: option {} is listed twice", p.name, o.value));
            }
            if let Some(of) = &p.secondary_of
                && !(p.multiple && self.property_named(of).is_some_and(|u| u.unique && u.ty == p.ty))
            {
                return Err(format!(
                    "{name}.{}: secondary values of {of} need a unique {of} of the same type and a list",
                    p.name
                ));
            }
            if p.ty == PropertyType::RecordId && p.id != RECORD_ID {
                return Err(format!("{name}.{}: only property 0 is the record ID", p.name));
            }
        }
        if let Some(id) = &self.identifier
            && !self.property_named(id).is_some_and(|p| p.unique)
        {
            return Err(format!("{name}: identifier {id} is not a unique property"));
        }
        for r in self
            .required_any
            .iter()
            .chain(&self.required_all)
            .chain(&self.pipeline_property)
            .chain(&self.stage_property)
        {
            if self.property_named(r).is_none() {
                return Err(format!("{name}: {r} is not a property"));
            }
        }
        for t in &self.associations {
            t.validate(self)?;
        }
        if !self.associations.is_sorted_by(|a, b| a.with < b.with) {
            return Err(format!("{name}: association types must ascend by object, each once"));
        }
        self.validate_pipelines()
    }

    fn validate_pipelines(&self) -> Result<(), String> {
        let name = &self.name;
        if self.pipelines.is_empty() {
            return Ok(());
        }
        if self.pipeline_property.is_none() || self.stage_property.is_none() {
            return Err(format!(
                "{name}: an object with pipelines names its pipeline_property and stage_property"
            ));
        }
        let mut pipelines = HashSet::new();
        for p in &self.pipelines {
            if !pipelines.insert(p.id.as_str()) {
                return Err(format!("{name}: pipeline {} is defined twice", p.id));
            }
            if p.stages.is_empty() {
                return Err(format!("{name}: pipeline {} has no stages", p.id));
            }
            let mut stages = HashSet::new();
            if let Some(s) = p.stages.iter().find(|s| !stages.insert(s.id.as_str())) {
                return Err(format!("{name}: pipeline {} has stage {} twice", p.id, s.id));
            }
        }
        Ok(())
    }
}

/// The whole model of a store.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Schema {
    /// Objects, standard ones first in the model's order, then custom ones.
    pub objects: Vec<ObjectDef>,
}

impl Schema {
    /// The object named `name`.
    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The object names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.objects.iter().map(|o| o.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> ObjectDef {
        standard().object("deals").unwrap().clone()
    }

    #[test]
    fn validate_accepts_the_standard_deals() {
        object().validate().unwrap();
    }

    #[test]
    fn validate_checks_required_all() {
        let mut o = object();
        o.required_all = vec!["dealname".to_owned(), "nope".to_owned()];
        assert_eq!(o.validate().unwrap_err(), "deals: nope is not a property");
    }

    #[test]
    fn validate_checks_enumeration_values() {
        let mut o = object();
        let p = o.properties.iter_mut().find(|p| p.name == "dealtype").unwrap();
        p.options.push(EnumOption { value: "newbusiness".to_owned(), label: "Again".to_owned() });
        assert_eq!(o.validate().unwrap_err(), "deals.dealtype: option newbusiness is listed twice");
    }

    #[test]
    fn validate_checks_pipelines() {
        let mut o = object();
        o.stage_property = None;
        assert!(o.validate().unwrap_err().contains("names its pipeline_property and stage_property"));

        let mut o = object();
        o.pipelines[0].stages.clear();
        assert_eq!(o.validate().unwrap_err(), "deals: pipeline default has no stages");

        let mut o = object();
        let again = o.pipelines[0].stages[0].clone();
        o.pipelines[0].stages.push(again);
        assert_eq!(o.validate().unwrap_err(), "deals: pipeline default has stage appointmentscheduled twice");

        let mut o = object();
        let again = o.pipelines[0].clone();
        o.pipelines.push(again);
        assert_eq!(o.validate().unwrap_err(), "deals: pipeline default is defined twice");

        let mut o = object();
        o.pipeline_property = Some("nope".to_owned());
        assert_eq!(o.validate().unwrap_err(), "deals: nope is not a property");
    }

    #[test]
    fn deleted_property_ids_are_never_reused() {
        let mut o = object();
        assert_eq!(o.next_custom_id(), FIRST_CUSTOM_PROPERTY);
        o.deleted_properties = vec![FIRST_CUSTOM_PROPERTY, FIRST_CUSTOM_PROPERTY + 1];
        o.validate().unwrap();
        assert_eq!(o.next_custom_id(), FIRST_CUSTOM_PROPERTY + 2);

        let mut custom = o.clone();
        custom.kind = ObjectKind::Custom;
        custom.properties.truncate(2);
        custom.deleted_properties = vec![5];
        assert_eq!(custom.next_custom_id(), 6, "a custom object counts from its own properties up");
        custom.deleted_properties.clear();
        assert_eq!(custom.next_custom_id(), 2);

        let mut again = o.clone();
        let mut p = again.properties[1].clone();
        p.id = FIRST_CUSTOM_PROPERTY + 1;
        p.name = "again".to_owned();
        again.properties.push(p);
        assert_eq!(
            again.validate().unwrap_err(),
            "deals: property 1001 is deleted, its ID cannot be used again"
        );
        o.deleted_properties.reverse();
        assert_eq!(o.validate().unwrap_err(), "deals: deleted property IDs must ascend");
    }
}
