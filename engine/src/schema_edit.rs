//! Editing the schema (`ingest schema ...`, SPEC 1): custom properties, custom
//! objects, schema files that declare them (`schema apply`), and deleting custom
//! properties.
//!
//! The functions here work on [`ObjectDef`]s as data and return the objects they
//! change; [`edit`] writes those in one write session through
//! [`WriteSession::save_object`] (which validates them and refuses a property's name
//! or type changing under its ID) and commits durably, or writes nothing when nothing
//! changed. Changing the schema never rewrites records: a deleted property's values
//! stay in the records under its ID, which the object keeps as a tombstone
//! ([`ObjectDef::deleted_properties`]) and never hands out again.
//!
//! Errors are [`EditError::Usage`] for what the arguments say (an unknown object, a
//! bad type or name, options for a number: exit 2) and [`EditError::Conflict`] for
//! what the store says (a name already used, a property of another type under the
//! same name, records holding values a deletion would hide: exit 1).
//!
//! Rules a user sees:
//! * a property or object name is lowercase ASCII letters, digits and `_`, starts
//!   with a letter, is at most 100 characters and does not start with `hs_` (the
//!   standard model's prefix);
//! * a custom property's label defaults to its name made readable
//!   (`loyalty_tier` -> `Loyalty Tier`); its English header spellings are its name
//!   and label ([`normalize_header`]), and neither may already be an English
//!   spelling of another property of the object (a column named like it must map
//!   to it);
//! * a custom object gets `hs_object_id` (ID 0) and its primary property (a string,
//!   ID 1), then its other properties from 2 up; its required properties (all needed
//!   to create a record, [`ObjectDef::required_all`]) default to the primary one and
//!   may only name properties it has by then.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use store::schema::{
    EnumOption, ObjectDef, ObjectKind, Pipeline, PropertyDef, PropertyId, PropertyType, RECORD_ID, Schema,
    Stage, normalize_header, standard,
};
use store::{ReadSession, Store, StoreError, WriteSession};

/// Why a schema change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The arguments are wrong: an unknown object or property, a bad type, name or
    /// option (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The change conflicts with the store: a name already used, a property of
    /// another type or with other flags under the same name, a property that
    /// records still use (exit code 1).
    #[error("{0}")]
    Conflict(String),
}

use EditError::{Conflict, Usage};

impl EditError {
    /// The same error with `context: ` in front of its message.
    #[must_use]
    pub fn within(self, context: &str) -> Self {
        match self {
            Usage(m) => Usage(format!("{context}: {m}")),
            Conflict(m) => Conflict(format!("{context}: {m}")),
        }
    }
}

/// The types a custom property can have.
pub const CUSTOM_TYPES: [PropertyType; 10] = [
    PropertyType::String,
    PropertyType::Number,
    PropertyType::Date,
    PropertyType::Datetime,
    PropertyType::Enumeration,
    PropertyType::Bool,
    PropertyType::Email,
    PropertyType::Phone,
    PropertyType::Domain,
    PropertyType::Url,
];

/// The types whose properties can be unique (an identifier).
const UNIQUE_TYPES: [PropertyType; 6] = [
    PropertyType::String,
    PropertyType::Number,
    PropertyType::Email,
    PropertyType::Phone,
    PropertyType::Domain,
    PropertyType::Url,
];

/// The longest property or object name.
pub const MAX_NAME_CHARS: usize = 100;

fn names(types: &[PropertyType]) -> String {
    types.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
}

/// The custom property type named `s` (`string`, `number`, ..., also `text`,
/// `enum`, `boolean`).
pub fn parse_type(s: &str) -> Result<PropertyType, EditError> {
    PropertyType::parse(&s.trim().to_ascii_lowercase())
        .filter(|t| CUSTOM_TYPES.contains(t))
        .ok_or_else(|| Usage(format!("unknown property type '{s}' (one of: {})", names(&CUSTOM_TYPES))))
}

/// One enumeration option, `value:Label` or `Label` (then the value is the label).
pub fn parse_option(s: &str) -> Result<EnumOption, EditError> {
    let s = s.trim();
    let (value, label) = s.split_once(':').map_or((s, s), |(v, l)| (v.trim(), l.trim()));
    option(value, Some(label))
}

/// One enumeration option from its value and label (the value when `None` or
/// blank), both trimmed: the value must not be blank, and neither may hold `;`.
pub fn option(value: &str, label: Option<&str>) -> Result<EnumOption, EditError> {
    let value = value.trim();
    let label = label.map(str::trim).filter(|l| !l.is_empty()).unwrap_or(value);
    if value.is_empty() {
        return Err(Usage(format!("option '{label}' has no value (write VALUE:Label or Label)")));
    }
    if value.contains(';') || label.contains(';') {
        return Err(Usage(format!(
            "option '{value}': ';' separates the values of a multiple property and cannot be part of an option"
        )));
    }
    Ok(EnumOption { value: value.to_owned(), label: label.to_owned() })
}

/// Enumeration options as `--options` gives them: comma-separated `value:Label`
/// or `Label` items (`"gold:Gold,silver:Silver"`, `"A,B,C"`).
pub fn parse_options(s: &str) -> Result<Vec<EnumOption>, EditError> {
    s.split(',').filter(|o| !o.trim().is_empty()).map(parse_option).collect()
}

/// Checks a property or object name (`what` says which, for the message).
pub fn check_name(what: &str, name: &str) -> Result<(), EditError> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= MAX_NAME_CHARS;
    if !ok {
        return Err(Usage(format!(
            "{what} name '{name}' must be lowercase letters, digits and _, starting with a letter \
             (at most {MAX_NAME_CHARS} characters)"
        )));
    }
    if name.starts_with("hs_") {
        return Err(Usage(format!(
            "{what} name '{name}': the prefix hs_ is reserved for the standard model"
        )));
    }
    Ok(())
}

/// A name made readable for a label: `loyalty_tier` -> `Loyalty Tier`.
pub fn readable(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// English header spellings of `texts`, normalized, without repeats.
fn english(texts: &[&str]) -> BTreeMap<String, Vec<String>> {
    let mut list: Vec<String> = Vec::new();
    for t in texts {
        let key = normalize_header(t);
        if !key.is_empty() && !list.contains(&key) {
            list.push(key);
        }
    }
    BTreeMap::from([("en".to_owned(), list)])
}

/// `a string`, `an email`: a type with its article, for messages.
pub(crate) fn a(ty: PropertyType) -> String {
    let name = ty.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {name}")
}

/// The kind of an object, as `schema` shows it.
pub fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Standard => "standard",
        ObjectKind::Activity => "activity",
        ObjectKind::Custom => "custom",
    }
}

/// A custom property to create (`schema add-property`, a property of a schema file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertySpec {
    /// Internal name.
    pub name: String,
    /// Label; the name made readable when `None` ([`readable`]).
    pub label: Option<String>,
    /// Type, one of [`CUSTOM_TYPES`].
    pub ty: PropertyType,
    /// Enumerations: the options (required for them, refused for other types).
    pub options: Vec<EnumOption>,
    /// Several `;`-separated values.
    pub multiple: bool,
    /// No two records share a value (usable as the identifier).
    pub unique: bool,
    /// Numbers: whole numbers only.
    pub integer: bool,
}

impl PropertySpec {
    /// A property named `name` of type `ty`, without options or flags.
    pub fn new(name: &str, ty: PropertyType) -> Self {
        Self {
            name: name.to_owned(),
            label: None,
            ty,
            options: Vec::new(),
            multiple: false,
            unique: false,
            integer: false,
        }
    }

    /// The label: as given, or the name made readable.
    pub fn label(&self) -> String {
        self.label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map_or_else(|| readable(&self.name), str::to_owned)
    }

    /// Checks the type, options and flags against each other; `name` is the
    /// property as messages name it (`contacts.loyalty_tier`).
    fn check(&self, name: &str) -> Result<(), EditError> {
        let ty = self.ty.name();
        let a_ty = a(self.ty);
        if !CUSTOM_TYPES.contains(&self.ty) {
            return Err(Usage(format!("{name}: a custom property cannot be of type {ty}")));
        }
        let enumeration = self.ty == PropertyType::Enumeration;
        if enumeration && self.options.is_empty() {
            return Err(Usage(format!("{name}: an enumeration needs options (--options 'value:Label,...')")));
        }
        if !enumeration && !self.options.is_empty() {
            return Err(Usage(format!("{name}: options are for enumerations, not for {a_ty} property")));
        }
        if self.integer && self.ty != PropertyType::Number {
            return Err(Usage(format!("{name}: integer is for numbers, not for {a_ty} property")));
        }
        if self.unique && !UNIQUE_TYPES.contains(&self.ty) {
            return Err(Usage(format!(
                "{name}: {a_ty} property cannot be unique (these can: {})",
                names(&UNIQUE_TYPES)
            )));
        }
        if self.unique && self.multiple {
            return Err(Usage(format!("{name}: a unique property holds one value, it cannot be multiple")));
        }
        for (i, o) in self.options.iter().enumerate() {
            let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
            if let Some(p) = self.options[..i].iter().find(|p| {
                same(&p.value, &o.value)
                    || same(&p.label, &o.label)
                    || same(&p.value, &o.label)
                    || same(&p.label, &o.value)
            }) {
                return Err(Usage(format!(
                    "{name}: options '{}' and '{}' would match the same cells (values and labels match \
                     case-insensitively)",
                    p.value, o.value
                )));
            }
        }
        Ok(())
    }
}

/// The property of `object` other than `except` whose English spellings hold
/// the normalized header `key`.
fn english_owner<'o>(
    object: &'o ObjectDef,
    key: &str,
    except: Option<PropertyId>,
) -> Option<&'o PropertyDef> {
    object.properties.iter().filter(|p| Some(p.id) != except).find(|p| {
        p.headers.get("en").is_some_and(|l| l.iter().any(|s| s == key))
            || (p.custom && (normalize_header(&p.name) == key || normalize_header(&p.label) == key))
    })
}

/// The property of `object` that a column named `text` maps to in English (one
/// of its English header spellings, or a custom property's name or label), if any:
/// a new custom property may be named or labelled `text` only if there is none.
pub fn spelling_owner<'o>(object: &'o ObjectDef, text: &str) -> Option<&'o PropertyDef> {
    english_owner(object, &normalize_header(text), None)
}

/// A column named like `name` or `label` must map to the property they name.
fn check_spellings(
    object: &ObjectDef,
    name: &str,
    label: &str,
    except: Option<PropertyId>,
) -> Result<(), EditError> {
    if normalize_header(label).is_empty() {
        return Err(Usage(format!("{name}: label '{label}' has no letters or digits")));
    }
    for (what, text) in [("name", name), ("label", label)] {
        if let Some(p) = english_owner(object, &normalize_header(text), except) {
            return Err(Conflict(format!(
                "{}: a column named '{text}' already maps to {}.{}; give {name} another {what}",
                object.name, object.name, p.name
            )));
        }
    }
    Ok(())
}

/// The definition of a new custom property of `object` (not yet added to it): the
/// next free custom ID, `custom: true`, English spellings from name and label.
pub fn new_property(object: &ObjectDef, spec: &PropertySpec) -> Result<PropertyDef, EditError> {
    check_name("property", &spec.name)?;
    spec.check(&format!("{}.{}", object.name, spec.name))?;
    if let Some(p) = object.property_named(&spec.name) {
        return Err(Conflict(format!(
            "{}.{} already exists (a {} {} property, ID {})",
            object.name,
            p.name,
            if p.custom { "custom" } else { "standard" },
            p.ty.name(),
            p.id
        )));
    }
    let label = spec.label();
    check_spellings(object, &spec.name, &label, None)?;
    let id = object.next_custom_id();
    if object.property(id).is_some() || object.deleted_properties.contains(&id) {
        return Err(Conflict(format!("{} has no property IDs left", object.name)));
    }
    Ok(PropertyDef {
        id,
        name: spec.name.clone(),
        headers: english(&[&spec.name, &label]),
        label,
        ty: spec.ty,
        options: spec.options.clone(),
        multiple: spec.multiple,
        integer: spec.integer,
        unique: spec.unique,
        custom: true,
        secondary_of: None,
        shared: false,
    })
}

/// `object` with the custom property `spec` added, and that property.
pub fn add_property(object: &ObjectDef, spec: &PropertySpec) -> Result<(ObjectDef, PropertyDef), EditError> {
    let property = new_property(object, spec)?;
    let mut out = object.clone();
    // The new ID is above every other: the properties stay in ID order.
    out.properties.push(property.clone());
    Ok((out, property))
}

/// A custom object to create (`schema add-object`, a new object of a schema file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectSpec {
    /// Object name (`pets`).
    pub name: String,
    /// Label, plural (`Pets`).
    pub label: String,
    /// Label, singular (`Pet`); the label when `None`.
    pub singular: Option<String>,
    /// The primary property's name: a string, property 1.
    pub primary: String,
    /// The primary property's label; its name made readable when `None`.
    pub primary_label: Option<String>,
    /// Properties needed to create a record, all of them; the primary property
    /// when empty. Each must be the primary property or one of `properties`.
    pub required: Vec<String>,
    /// More custom properties, numbered from 2 in this order.
    pub properties: Vec<PropertySpec>,
}

/// The required properties `names` of `object`, checked: properties of the
/// object other than the record ID, without repeats.
fn required_list(object: &ObjectDef, names: &[String]) -> Result<Vec<String>, EditError> {
    let mut out: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match object.property_named(name) {
            None => {
                return Err(Usage(format!(
                    "required property {name} is not a property of {} (required properties are the primary \
                     property and the properties created with the object)",
                    object.name
                )));
            }
            Some(p) if p.id == RECORD_ID => {
                return Err(Usage(format!(
                    "{name} is the record ID, assigned by the store: it cannot be required"
                )));
            }
            Some(_) if out.iter().any(|n| n == name) => {}
            Some(_) => out.push(name.to_owned()),
        }
    }
    Ok(out)
}

fn object_headers(name: &str, label: &str, singular: &str) -> BTreeMap<String, Vec<String>> {
    english(&[name, label, singular])
}

/// The definition of a new custom object.
pub fn new_object(schema: &Schema, spec: &ObjectSpec) -> Result<ObjectDef, EditError> {
    let name = &spec.name;
    check_name("object", name)?;
    if let Some(o) = schema.object(name) {
        return Err(Conflict(format!("object {name} already exists (a {} object)", kind_name(o.kind))));
    }
    let label = spec.label.trim();
    if label.is_empty() {
        return Err(Usage(format!("object {name}: the label must not be blank")));
    }
    let singular = spec.singular.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(label);
    let record_id = PropertyDef {
        id: RECORD_ID,
        name: "hs_object_id".to_owned(),
        label: "Record ID".to_owned(),
        ty: PropertyType::RecordId,
        options: Vec::new(),
        multiple: false,
        integer: false,
        unique: false,
        custom: false,
        secondary_of: None,
        shared: false,
        headers: english(&["hs_object_id", "Record ID", &format!("{singular} ID"), "ID", "Object ID"]),
    };
    let mut object = ObjectDef {
        name: name.clone(),
        singular: singular.to_owned(),
        label: label.to_owned(),
        kind: ObjectKind::Custom,
        updatable: false,
        identifier: None,
        required_any: Vec::new(),
        required_all: Vec::new(),
        pipeline_property: None,
        stage_property: None,
        pipelines: Vec::new(),
        properties: vec![record_id],
        deleted_properties: Vec::new(),
        associations: Vec::new(),
        headers: object_headers(name, label, singular),
    };
    let primary = PropertySpec {
        label: spec.primary_label.clone(),
        ..PropertySpec::new(&spec.primary, PropertyType::String)
    };
    for p in std::iter::once(&primary).chain(&spec.properties) {
        object = add_property(&object, p)?.0;
    }
    let required =
        if spec.required.is_empty() { std::slice::from_ref(&spec.primary) } else { spec.required.as_slice() };
    object.required_all = required_list(&object, required)?;
    object.validate().map_err(Usage)?;
    Ok(object)
}

/// `object` without its custom property `name` (its ID kept as deleted), and that
/// property. Refuses standard properties, the identifier, a custom object's primary
/// property and properties the object requires to create a record.
pub fn delete_property(object: &ObjectDef, name: &str) -> Result<(ObjectDef, PropertyDef), EditError> {
    let o = &object.name;
    let p = object.property_named(name).ok_or_else(|| Usage(format!("{o} has no property '{name}'")))?;
    if !p.custom {
        return Err(Usage(format!(
            "{o}.{name} is a standard property: only custom properties can be deleted"
        )));
    }
    if object.kind == ObjectKind::Custom && p.id == 1 {
        return Err(Conflict(format!("{o}.{name} is the primary property of {o}: it cannot be deleted")));
    }
    if object.identifier.as_deref() == Some(name) {
        return Err(Conflict(format!("{o}.{name} is the identifier of {o}: it cannot be deleted")));
    }
    if object.required_any.iter().chain(&object.required_all).any(|r| r == name) {
        return Err(Conflict(format!("{o} requires {name} to create a record: it cannot be deleted")));
    }
    let mut out = object.clone();
    out.properties.retain(|q| q.id != p.id);
    out.deleted_properties.push(p.id);
    out.deleted_properties.sort_unstable();
    Ok((out, p.clone()))
}

/// Number of records of `object` holding a value for property `id`.
pub fn records_with_values(read: &ReadSession, object: &str, id: PropertyId) -> Result<u64, StoreError> {
    let mut n = 0u64;
    read.for_each_record(object, |_, view| {
        n += u64::from(view.get(id).is_some());
        true
    })?;
    Ok(n)
}

/// A schema file (`ingest schema apply FILE`): the custom objects, custom
/// properties and deal and ticket pipelines a store should have. Applying it adds
/// what the store lacks; applying it again changes nothing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaFile {
    /// Per object name.
    #[serde(default)]
    pub objects: BTreeMap<String, ObjectDecl>,
    /// Association labels and limits per object pair.
    #[serde(default)]
    pub associations: Vec<crate::associate::types::AssociationDecl>,
}

/// An object of a schema file: an existing object (its new properties and
/// pipelines), or a custom object (created when it does not exist yet).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectDecl {
    /// Custom objects: the label (plural); required to create one.
    pub label: Option<String>,
    /// Custom objects: the singular label (the label if not given).
    pub singular: Option<String>,
    /// Custom objects: the primary property (a string, property 1); required to
    /// create one, and never changes.
    pub primary_property: Option<String>,
    /// Custom objects: the properties needed to create a record (default: the
    /// primary property).
    pub required: Option<Vec<String>>,
    /// Custom properties.
    #[serde(default)]
    pub properties: Vec<PropertyDecl>,
    /// Pipelines (deals, tickets).
    #[serde(default)]
    pub pipelines: Vec<PipelineDecl>,
}

/// A custom property of a schema file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyDecl {
    /// Internal name.
    pub name: String,
    /// Label (the name made readable if not given).
    pub label: Option<String>,
    /// Type name (see [`CUSTOM_TYPES`]).
    #[serde(rename = "type")]
    pub ty: String,
    /// Enumerations: the options.
    #[serde(default)]
    pub options: Vec<OptionDecl>,
    /// Several values.
    #[serde(default)]
    pub multiple: bool,
    /// Unique.
    #[serde(default)]
    pub unique: bool,
    /// Whole numbers only.
    #[serde(default)]
    pub integer: bool,
}

/// An enumeration option of a schema file.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "an option: \"value:Label\", \"Label\" or a table with value and label (and nothing else)"
)]
pub enum OptionDecl {
    /// `"value:Label"` or `"Label"`.
    Text(String),
    /// `{ value = "gold", label = "Gold" }`.
    Table(OptionTable),
}

/// An option written as a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionTable {
    /// Internal value.
    pub value: String,
    /// Label (the value if not given).
    pub label: Option<String>,
}

/// A pipeline of a schema file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineDecl {
    /// Internal value.
    pub id: String,
    /// Label (the ID made readable if not given).
    pub label: Option<String>,
    /// Stages, in order.
    pub stages: Vec<StageDecl>,
}

/// A stage of a pipeline of a schema file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDecl {
    /// Internal value.
    pub id: String,
    /// Label (the ID made readable if not given).
    pub label: Option<String>,
    /// A closed stage (won, lost, closed).
    #[serde(default)]
    pub closed: bool,
}

/// Parses a schema file: JSON for a `.json` file, TOML for a `.toml` one, and
/// otherwise JSON when the text starts with `{`, else TOML.
pub fn parse_schema_file(path: &Path, text: &str) -> Result<SchemaFile, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let json = match ext.as_deref() {
        Some("json") => true,
        Some("toml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    if json {
        serde_json::from_str(text).map_err(|e| format!("not a schema file (JSON): {e}"))
    } else {
        toml::from_str(text).map_err(|e| format!("not a schema file (TOML): {}", e.to_string().trim_end()))
    }
}

/// What applying a schema file changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The objects that change, as they are to be saved.
    pub objects: Vec<ObjectDef>,
    /// One line per change, for the user; empty when nothing changes.
    pub changes: Vec<String>,
}

/// What applying `file` to a store with `schema` changes.
///
/// An object that exists gets the properties and pipelines it lacks; one that does
/// not is created as a custom object (it needs `label` and `primary_property`). A
/// property that exists must be a custom one with the same type and flags (else a
/// [`EditError::Conflict`] naming it); its label follows the file when the file
/// gives one, and an enumeration's options become the file's, which must list
/// every option the store has (options are never removed). Pipelines likewise:
/// new ones are added, one the file already added follows the file but keeps every
/// stage, and the standard pipelines cannot be declared.
pub fn plan_apply(schema: &Schema, file: &SchemaFile) -> Result<Applied, EditError> {
    let mut out = Applied::default();
    for (name, decl) in &file.objects {
        let stored = schema.object(name);
        let object = apply_object(schema, name, decl, &mut out.changes)?;
        if stored != Some(&object) {
            out.objects.push(object);
        }
    }
    if !file.associations.is_empty() {
        // Labels and limits go on top of the file's other changes (a custom object
        // the file creates can have association types too).
        let mut working = schema.clone();
        for o in &out.objects {
            match working.objects.iter_mut().find(|w| w.name == o.name) {
                Some(w) => w.clone_from(o),
                None => working.objects.push(o.clone()),
            }
        }
        for name in crate::associate::types::apply(&mut working, &file.associations, &mut out.changes)? {
            let o = working.object(&name).expect("touched objects exist").clone();
            match out.objects.iter_mut().find(|w| w.name == name) {
                Some(w) => *w = o,
                None => out.objects.push(o),
            }
        }
    }
    Ok(out)
}

fn apply_object(
    schema: &Schema,
    name: &str,
    decl: &ObjectDecl,
    changes: &mut Vec<String>,
) -> Result<ObjectDef, EditError> {
    let created = schema.object(name).is_none();
    let mut object = match schema.object(name) {
        Some(o) if o.kind == ObjectKind::Custom => update_custom_object(o, decl, changes)?,
        Some(o) => {
            if decl.label.is_some()
                || decl.singular.is_some()
                || decl.primary_property.is_some()
                || decl.required.is_some()
            {
                return Err(Conflict(format!(
                    "{name} is a {} object: label, singular, primary_property and required describe custom \
                     objects only",
                    kind_name(o.kind)
                )));
            }
            o.clone()
        }
        None => {
            let (Some(label), Some(primary)) = (&decl.label, &decl.primary_property) else {
                return Err(Conflict(format!(
                    "{name} is not an object of the store; to create it as a custom object, give its label \
                     and primary_property"
                )));
            };
            let primary_label =
                decl.properties.iter().find(|p| &p.name == primary).and_then(|p| p.label.clone());
            let spec = ObjectSpec {
                name: name.to_owned(),
                label: label.clone(),
                singular: decl.singular.clone(),
                primary: primary.clone(),
                primary_label,
                required: Vec::new(),
                properties: Vec::new(),
            };
            let o = new_object(schema, &spec).map_err(|e| e.within(name))?;
            changes.push(format!("{name}: created custom object {} (primary property {primary})", o.label));
            o
        }
    };
    for p in &decl.properties {
        apply_property(&mut object, p, changes)?;
    }
    for p in &decl.pipelines {
        apply_pipeline(&mut object, p, changes)?;
    }
    if let Some(required) = &decl.required {
        let required = required_list(&object, required).map_err(|e| e.within(name))?;
        if required.is_empty() {
            return Err(Conflict(format!("{name}: required must name at least one property")));
        }
        if required != object.required_all {
            if !created {
                changes.push(format!("{name}: required to create a record: {}", required.join(", ")));
            }
            object.required_all = required;
        }
    }
    object.validate().map_err(Conflict)?;
    Ok(object)
}

fn update_custom_object(
    stored: &ObjectDef,
    decl: &ObjectDecl,
    changes: &mut Vec<String>,
) -> Result<ObjectDef, EditError> {
    let name = &stored.name;
    let mut object = stored.clone();
    if let Some(primary) = &decl.primary_property {
        let current = stored.property(1).map_or("", |p| p.name.as_str());
        if primary != current {
            return Err(Conflict(format!(
                "{name}: the primary property is {current} in the store, {primary} in the file; it never changes"
            )));
        }
    }
    if let Some(label) = decl.label.as_deref().map(str::trim).filter(|l| !l.is_empty())
        && label != object.label
    {
        changes.push(format!("{name}: label '{}' -> '{label}'", object.label));
        label.clone_into(&mut object.label);
    }
    if let Some(singular) = decl.singular.as_deref().map(str::trim).filter(|l| !l.is_empty())
        && singular != object.singular
    {
        changes.push(format!("{name}: singular label '{}' -> '{singular}'", object.singular));
        singular.clone_into(&mut object.singular);
    }
    if object.label != stored.label || object.singular != stored.singular {
        object.headers = object_headers(name, &object.label, &object.singular);
    }
    Ok(object)
}

fn property_spec(object: &str, decl: &PropertyDecl) -> Result<PropertySpec, EditError> {
    let at = format!("{object}.{}", decl.name);
    let ty = parse_type(&decl.ty).map_err(|e| e.within(&at))?;
    let options = decl
        .options
        .iter()
        .map(|o| match o {
            OptionDecl::Text(s) => parse_option(s),
            OptionDecl::Table(t) => option(&t.value, t.label.as_deref()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.within(&at))?;
    Ok(PropertySpec {
        name: decl.name.clone(),
        label: decl.label.clone(),
        ty,
        options,
        multiple: decl.multiple,
        unique: decl.unique,
        integer: decl.integer,
    })
}

fn apply_property(
    object: &mut ObjectDef,
    decl: &PropertyDecl,
    changes: &mut Vec<String>,
) -> Result<(), EditError> {
    let spec = property_spec(&object.name, decl)?;
    let at = format!("{}.{}", object.name, spec.name);
    let Some(stored) = object.property_named(&spec.name).cloned() else {
        let (o, p) = add_property(object, &spec)?;
        changes.push(format!("{}: added property {} ({}, ID {})", object.name, p.name, p.ty.name(), p.id));
        *object = o;
        return Ok(());
    };
    if stored.ty != spec.ty {
        return Err(Conflict(format!(
            "{at} is {} property in the store; the file declares it {}",
            a(stored.ty),
            spec.ty.name()
        )));
    }
    if !stored.custom {
        return Err(Conflict(format!(
            "{at} is a standard property; a schema file declares custom properties only"
        )));
    }
    spec.check(&at)?;
    for (flag, in_store, in_file) in [
        ("unique", stored.unique, spec.unique),
        ("integer", stored.integer, spec.integer),
        ("multiple", stored.multiple, spec.multiple),
    ] {
        if in_store != in_file {
            return Err(Conflict(format!(
                "{at} has {flag} = {in_store} in the store, {flag} = {in_file} in the file; a property's type \
                 and flags never change"
            )));
        }
    }
    let mut new = stored.clone();
    if spec.label.as_deref().is_some_and(|l| !l.trim().is_empty()) {
        let label = spec.label();
        if label != stored.label {
            check_spellings(object, &stored.name, &label, Some(stored.id))?;
            changes.push(format!("{at}: label '{}' -> '{label}'", stored.label));
            new.headers = english(&[&stored.name, &label]);
            new.label = label;
        }
    }
    if let Some(o) = stored.options.iter().find(|o| !spec.options.iter().any(|n| n.value == o.value)) {
        return Err(Conflict(format!(
            "{at}: option {} is in the store but not in the file; options are never removed",
            o.value
        )));
    }
    if spec.options != stored.options {
        let list: Vec<String> = spec.options.iter().map(|o| format!("{} ({})", o.value, o.label)).collect();
        changes.push(format!("{at}: options {}", list.join(", ")));
        new.options = spec.options;
    }
    if new != stored {
        let i = object.properties.iter().position(|p| p.id == stored.id).expect("found by name");
        object.properties[i] = new;
    }
    Ok(())
}

fn apply_pipeline(
    object: &mut ObjectDef,
    decl: &PipelineDecl,
    changes: &mut Vec<String>,
) -> Result<(), EditError> {
    let name = &object.name;
    let id = decl.id.trim();
    if object.pipeline_property.is_none() {
        return Err(Conflict(format!("{name} has no pipelines (deals and tickets have)")));
    }
    if id.is_empty() {
        return Err(Conflict(format!("{name}: a pipeline needs an id")));
    }
    if standard().object(name).is_some_and(|s| s.pipelines.iter().any(|p| p.id == id)) {
        return Err(Conflict(format!(
            "{name} pipeline {id} is a standard pipeline; a schema file adds pipelines, it does not change the \
             standard ones"
        )));
    }
    let label_of = |id: &str, label: Option<&str>| {
        label.map(str::trim).filter(|l| !l.is_empty()).map_or_else(|| readable(id), str::to_owned)
    };
    let mut stages = Vec::with_capacity(decl.stages.len());
    for s in &decl.stages {
        let stage = s.id.trim();
        if stage.is_empty() {
            return Err(Conflict(format!("{name} pipeline {id}: a stage needs an id")));
        }
        stages.push(Stage {
            id: stage.to_owned(),
            label: label_of(stage, s.label.as_deref()),
            closed: s.closed,
        });
    }
    let pipeline = Pipeline { id: id.to_owned(), label: label_of(id, decl.label.as_deref()), stages };
    match object.pipelines.iter().position(|p| p.id == id) {
        None => {
            changes.push(format!("{name}: added pipeline {id} ({} stages)", pipeline.stages.len()));
            object.pipelines.push(pipeline);
        }
        Some(i) => {
            let old = &object.pipelines[i];
            if let Some(s) = old.stages.iter().find(|s| !pipeline.stages.iter().any(|n| n.id == s.id)) {
                return Err(Conflict(format!(
                    "{name} pipeline {id}: stage {} is in the store but not in the file; stages are never removed",
                    s.id
                )));
            }
            if *old != pipeline {
                changes.push(format!("{name}: updated pipeline {id} ({} stages)", pipeline.stages.len()));
                object.pipelines[i] = pipeline;
            }
        }
    }
    Ok(())
}

/// Runs one schema change in one write session: `change` gets the session and the
/// schema it sees, and returns the objects to save and its result. The objects are
/// saved through [`WriteSession::save_object`] and committed durably; when there are
/// none, nothing is written.
pub fn edit<T>(
    store: &Store,
    change: impl FnOnce(&WriteSession<'_>, &Schema) -> anyhow::Result<(Vec<ObjectDef>, T)>,
) -> anyhow::Result<T> {
    let session = store.begin_write()?;
    let schema = session.schema()?;
    let (objects, out) = change(&session, &schema)?;
    if !objects.is_empty() {
        for o in &objects {
            session.save_object(o)?;
        }
        session.commit(true)?;
    }
    Ok(out)
}

/// The object named `name`; a usage error naming the objects if none.
pub fn find_object<'s>(schema: &'s Schema, name: &str) -> Result<&'s ObjectDef, EditError> {
    schema
        .object(name)
        .ok_or_else(|| Usage(format!("unknown object '{name}' ({})", crate::schema::object_names(schema))))
}

/// `schema add-property`: adds the custom property `spec` to `object`.
pub fn add_property_to(store: &Store, object_name: &str, spec: &PropertySpec) -> anyhow::Result<PropertyDef> {
    edit(store, |_, schema| {
        let (o, p) = add_property(find_object(schema, object_name)?, spec)?;
        Ok((vec![o], p))
    })
}

/// `schema add-object`: creates the custom object `spec`.
pub fn add_object_to(store: &Store, spec: &ObjectSpec) -> anyhow::Result<ObjectDef> {
    edit(store, |_, schema| {
        let o = new_object(schema, spec)?;
        Ok((vec![o.clone()], o))
    })
}

/// `schema apply`: applies a schema file; with `dry_run`, only says what it would
/// change. Returns the changes (empty: the store already has it all).
pub fn apply_to(store: &Store, file: &SchemaFile, dry_run: bool) -> anyhow::Result<Vec<String>> {
    edit(store, |_, schema| {
        let applied = plan_apply(schema, file)?;
        let objects = if dry_run { Vec::new() } else { applied.objects };
        Ok((objects, applied.changes))
    })
}

/// What `schema delete-property` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deleted {
    /// The object.
    pub object: String,
    /// The deleted property's name.
    pub property: String,
    /// Its ID, now a tombstone.
    pub id: PropertyId,
    /// Records that hold a value for it (kept in the records, read by nothing).
    pub records_with_values: u64,
}

/// `schema delete-property`: deletes the custom property `name` of `object_name`.
/// Refuses (a [`EditError::Conflict`] saying how many) while records hold values for
/// it, unless `force`. Removes its identifier index if it has one; the records are
/// not rewritten.
pub fn delete_property_from(
    store: &Store,
    object_name: &str,
    name: &str,
    force: bool,
) -> anyhow::Result<Deleted> {
    edit(store, |session, schema| {
        let (o, p) = delete_property(find_object(schema, object_name)?, name)?;
        let n = records_with_values(&store.begin_read()?, object_name, p.id)?;
        if n > 0 && !force {
            let (records, hold) =
                if n == 1 { ("record", "holds a value") } else { ("records", "hold values") };
            return Err(Conflict(format!(
                "{n} {records} of {object_name} {hold} for {name}: deleting the property hides those values \
                 for good (they stay in the records under property ID {}, and nothing reads them); add --force \
                 to delete it anyway",
                p.id
            ))
            .into());
        }
        session.delete_index(object_name, p.id)?;
        let deleted =
            Deleted { object: object_name.to_owned(), property: p.name, id: p.id, records_with_values: n };
        Ok((vec![o], deleted))
    })
}

#[cfg(test)]
mod tests {
    use store::RowValues;
    use store::schema::FIRST_CUSTOM_PROPERTY;

    use super::*;

    fn contacts() -> ObjectDef {
        standard().object("contacts").unwrap().clone()
    }

    fn tier() -> PropertySpec {
        PropertySpec {
            options: parse_options("gold:Gold,silver:Silver").unwrap(),
            ..PropertySpec::new("loyalty_tier", PropertyType::Enumeration)
        }
    }

    fn toml_file(text: &str) -> SchemaFile {
        parse_schema_file(Path::new("schema.toml"), text).unwrap()
    }

    /// `schema` with the changes of `applied` saved.
    fn saved(schema: &Schema, applied: &Applied) -> Schema {
        let mut out = schema.clone();
        for o in &applied.objects {
            match out.objects.iter_mut().find(|s| s.name == o.name) {
                Some(s) => *s = o.clone(),
                None => out.objects.push(o.clone()),
            }
        }
        out
    }

    #[test]
    fn types_options_names_and_labels() {
        assert_eq!(parse_type("Enum"), Ok(PropertyType::Enumeration));
        assert_eq!(parse_type("text"), Ok(PropertyType::String));
        assert!(matches!(parse_type("owner"), Err(Usage(m)) if m.contains("one of: string, number")));
        assert!(parse_type("record_id").is_err() && parse_type("money").is_err());
        assert_eq!(
            parse_options("v1:Label 1, v2 : Label 2").unwrap(),
            [
                EnumOption { value: "v1".into(), label: "Label 1".into() },
                EnumOption { value: "v2".into(), label: "Label 2".into() }
            ]
        );
        assert_eq!(parse_options("A,B,").unwrap()[1], EnumOption { value: "B".into(), label: "B".into() });
        assert!(parse_options(":Gold").is_err());
        assert!(parse_options("a;b").is_err());
        for ok in ["loyalty_tier", "x", "a1_b2"] {
            check_name("property", ok).unwrap();
        }
        for bad in ["Loyalty", "1st", "_x", "tier-2", "", "hs_score", "été", &"a".repeat(101)] {
            assert!(matches!(check_name("property", bad), Err(Usage(_))), "{bad}");
        }
        assert_eq!(readable("loyalty_tier"), "Loyalty Tier");
        assert_eq!(readable("nps__score2"), "Nps Score2");
    }

    #[test]
    fn a_custom_property_gets_the_next_custom_id_and_its_spellings() {
        let (o, p) = add_property(&contacts(), &tier()).unwrap();
        assert_eq!(p.id, FIRST_CUSTOM_PROPERTY);
        assert!(p.custom && !p.unique);
        assert_eq!(p.label, "Loyalty Tier");
        assert_eq!(p.headers["en"], ["loyaltytier"]);
        assert_eq!(o.properties.last(), Some(&p));
        o.validate().unwrap();
        let (o, member) = add_property(
            &o,
            &PropertySpec {
                label: Some("Member No.".into()),
                unique: true,
                ..PropertySpec::new("member_code", PropertyType::String)
            },
        )
        .unwrap();
        assert_eq!(member.id, FIRST_CUSTOM_PROPERTY + 1);
        assert_eq!(member.headers["en"], ["membercode", "memberno"]);
        // The vocabulary of the import finds both by name and label.
        let schema = Schema { objects: vec![o.clone()] };
        let vocabulary = crate::mapping::vocabulary::Vocabulary::new(&schema);
        assert_eq!(vocabulary.lookup("contacts", "Loyalty Tier", "nl"), Some(p.id));
        assert_eq!(vocabulary.lookup("contacts", "member_code", "en"), Some(member.id));

        assert!(matches!(add_property(&o, &tier()), Err(Conflict(m)) if m.contains("already exists")));
        let email = PropertySpec::new("email", PropertyType::String);
        assert!(matches!(add_property(&o, &email), Err(Conflict(_))));
        let clash =
            PropertySpec { label: Some("E-mail".into()), ..PropertySpec::new("mail2", PropertyType::Email) };
        assert!(
            matches!(add_property(&o, &clash), Err(Conflict(m)) if m.contains("already maps to contacts.email")),
            "a label that is another property's spelling"
        );
    }

    #[test]
    fn types_and_flags_must_fit() {
        let c = contacts();
        let usage = |spec: PropertySpec| matches!(add_property(&c, &spec), Err(Usage(_)));
        assert!(usage(PropertySpec::new("tier", PropertyType::Enumeration)), "an enumeration needs options");
        assert!(usage(PropertySpec {
            options: tier().options,
            ..PropertySpec::new("n", PropertyType::Number)
        }));
        assert!(usage(PropertySpec { integer: true, ..PropertySpec::new("s", PropertyType::String) }));
        assert!(usage(PropertySpec { unique: true, ..PropertySpec::new("b", PropertyType::Bool) }));
        assert!(usage(PropertySpec {
            unique: true,
            multiple: true,
            ..PropertySpec::new("s", PropertyType::String)
        }));
        assert!(
            usage(PropertySpec { options: parse_options("a:A,A").unwrap(), ..tier() }),
            "ambiguous options"
        );
        assert!(usage(PropertySpec::new("owner2", PropertyType::Owner)));
        let n = PropertySpec {
            integer: true,
            unique: true,
            ..PropertySpec::new("shoe_size", PropertyType::Number)
        };
        assert!(add_property(&c, &n).is_ok());
    }

    #[test]
    fn a_custom_object_numbers_its_properties_from_one() {
        let spec = ObjectSpec {
            name: "pets".into(),
            label: "Pets".into(),
            singular: Some("Pet".into()),
            primary: "name".into(),
            required: vec!["name".into(), "species".into()],
            properties: vec![PropertySpec::new("species", PropertyType::String)],
            ..ObjectSpec::default()
        };
        let o = new_object(standard(), &spec).unwrap();
        assert_eq!(o.kind, ObjectKind::Custom);
        let ids: Vec<(PropertyId, &str, PropertyType)> =
            o.properties.iter().map(|p| (p.id, p.name.as_str(), p.ty)).collect();
        assert_eq!(
            ids,
            [
                (0, "hs_object_id", PropertyType::RecordId),
                (1, "name", PropertyType::String),
                (2, "species", PropertyType::String)
            ]
        );
        assert!(!o.properties[0].custom && o.properties[1].custom);
        assert_eq!(o.required_all, ["name", "species"]);
        assert_eq!(o.identifier, None);
        assert!(o.properties[0].headers["en"].contains(&"petid".to_owned()));
        assert_eq!(o.next_custom_id(), 3);

        let mut defaults = spec.clone();
        defaults.required.clear();
        defaults.singular = None;
        let d = new_object(standard(), &defaults).unwrap();
        assert_eq!((d.required_all.as_slice(), d.singular.as_str()), (&["name".to_owned()][..], "Pets"));

        let mut bad = spec.clone();
        bad.required = vec!["colour".into()];
        assert!(matches!(new_object(standard(), &bad), Err(Usage(m)) if m.contains("colour")));
        assert!(matches!(
            new_object(standard(), &ObjectSpec { name: "contacts".into(), ..spec.clone() }),
            Err(Conflict(_))
        ));
        assert!(matches!(new_object(standard(), &ObjectSpec { name: "Pets".into(), ..spec }), Err(Usage(_))));
    }

    #[test]
    fn deleting_keeps_a_tombstone_so_the_id_is_never_reused() {
        let (o, p) = add_property(&contacts(), &tier()).unwrap();
        let (o, gone) = delete_property(&o, "loyalty_tier").unwrap();
        assert_eq!(gone, p);
        assert_eq!(o.property_named("loyalty_tier"), None);
        assert_eq!(o.deleted_properties, [p.id]);
        o.validate().unwrap();
        let (_, again) = add_property(&o, &tier()).unwrap();
        assert_eq!(again.id, p.id + 1);
        assert!(matches!(delete_property(&o, "email"), Err(Usage(m)) if m.contains("standard property")));
        assert!(matches!(delete_property(&o, "nope"), Err(Usage(_))));
        let pets = new_object(
            standard(),
            &ObjectSpec {
                name: "pets".into(),
                label: "Pets".into(),
                primary: "name".into(),
                ..ObjectSpec::default()
            },
        )
        .unwrap();
        assert!(matches!(delete_property(&pets, "name"), Err(Conflict(m)) if m.contains("primary")));
    }

    const FILE: &str = r#"
        [[objects.contacts.properties]]
        name = "loyalty_tier"
        type = "enumeration"
        options = ["gold:Gold", { value = "silver", label = "Silver" }]

        [[objects.contacts.properties]]
        name = "member_code"
        type = "string"
        unique = true

        [objects.pets]
        label = "Pets"
        singular = "Pet"
        primary_property = "name"
        required = ["name", "species"]

        [[objects.pets.properties]]
        name = "name"
        label = "Pet Name"
        type = "string"

        [[objects.pets.properties]]
        name = "species"
        type = "enum"
        options = ["Cat", "Dog"]

        [[objects.deals.pipelines]]
        id = "partners"
        label = "Partner Pipeline"
        stages = [{ id = "new", label = "New" }, { id = "won", label = "Won", closed = true }]
    "#;

    #[test]
    fn applying_a_file_twice_changes_nothing_the_second_time() {
        let file = toml_file(FILE);
        let first = plan_apply(standard(), &file).unwrap();
        assert_eq!(
            first.objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            ["contacts", "deals", "pets"]
        );
        assert_eq!(first.changes.len(), 5, "{:#?}", first.changes);
        let schema = saved(standard(), &first);
        let contacts = schema.object("contacts").unwrap();
        assert_eq!(contacts.property_named("loyalty_tier").unwrap().id, FIRST_CUSTOM_PROPERTY);
        assert_eq!(contacts.property_named("loyalty_tier").unwrap().options[1].label, "Silver");
        assert!(contacts.property_named("member_code").unwrap().unique);
        let pets = schema.object("pets").unwrap();
        assert_eq!(pets.property(1).unwrap().label, "Pet Name");
        assert_eq!(pets.required_all, ["name", "species"]);
        let deals = schema.object("deals").unwrap();
        assert!(deals.pipelines.iter().find(|p| p.id == "partners").unwrap().stages[1].closed);
        let second = plan_apply(&schema, &file).unwrap();
        assert_eq!(second, Applied::default());

        // The same file in JSON, recognized by its content.
        let json = r#"{"objects": {"contacts": {"properties": [{"name": "loyalty_tier", "type": "enumeration",
            "options": ["gold:Gold", "silver:Silver"]}]}}}"#;
        let from_json = parse_schema_file(Path::new("schema.conf"), json).unwrap();
        assert_eq!(plan_apply(&schema, &from_json).unwrap(), Applied::default());

        // A new option and a new label are changes; a removed option is a conflict.
        let more = toml_file(
            r#"[[objects.contacts.properties]]
            name = "loyalty_tier"
            label = "Tier"
            type = "enumeration"
            options = ["gold:Gold", "silver:Silver", "bronze:Bronze"]"#,
        );
        let applied = plan_apply(&schema, &more).unwrap();
        assert_eq!(applied.changes.len(), 2, "{:?}", applied.changes);
        let p = applied.objects[0].property_named("loyalty_tier").unwrap();
        assert_eq!((p.label.as_str(), p.options.len(), p.id), ("Tier", 3, FIRST_CUSTOM_PROPERTY));
        assert_eq!(p.headers["en"], ["loyaltytier", "tier"]);
        let fewer = toml_file(
            r#"[[objects.contacts.properties]]
            name = "loyalty_tier"
            type = "enumeration"
            options = ["gold:Gold"]"#,
        );
        assert!(matches!(plan_apply(&schema, &fewer), Err(Conflict(m)) if m.contains("option silver")));
    }

    #[test]
    fn conflicts_name_the_property() {
        let schema = saved(standard(), &plan_apply(standard(), &toml_file(FILE)).unwrap());
        let conflict = |text: &str| plan_apply(&schema, &toml_file(text)).unwrap_err().to_string();
        let m = conflict("[[objects.contacts.properties]]\nname = \"loyalty_tier\"\ntype = \"number\"");
        assert_eq!(
            m,
            "contacts.loyalty_tier is an enumeration property in the store; the file declares it number"
        );
        let m = conflict("[[objects.contacts.properties]]\nname = \"member_code\"\ntype = \"string\"");
        assert!(m.contains("member_code has unique = true in the store"), "{m}");
        let m = conflict("[[objects.contacts.properties]]\nname = \"email\"\ntype = \"string\"");
        assert!(m.contains("contacts.email is an email property"), "{m}");
        let m = conflict("[[objects.contacts.properties]]\nname = \"email\"\ntype = \"email\"");
        assert!(m.contains("standard property"), "{m}");
        let m = conflict("[objects.pets]\nprimary_property = \"nickname\"");
        assert!(m.contains("primary property is name"), "{m}");
        let m = conflict("[objects.contacts]\nlabel = \"People\"");
        assert!(m.contains("custom objects only"), "{m}");
        let m = conflict("[objects.robots]");
        assert!(m.contains("robots is not an object"), "{m}");
        let m = conflict("[[objects.deals.pipelines]]\nid = \"default\"\nstages = [{ id = \"x\" }]");
        assert!(m.contains("standard pipeline"), "{m}");
        let m = conflict("[[objects.deals.pipelines]]\nid = \"partners\"\nstages = [{ id = \"new\" }]");
        assert!(m.contains("stage won is in the store"), "{m}");
        let m = conflict("[[objects.contacts.pipelines]]\nid = \"p\"\nstages = [{ id = \"x\" }]");
        assert!(m.contains("contacts has no pipelines"), "{m}");
        let m = conflict("[objects.pets]\nrequired = [\"colour\"]");
        assert!(m.contains("colour"), "{m}");
    }

    #[test]
    fn unknown_keys_and_bad_syntax_are_errors() {
        let err = |path: &str, text: &str| parse_schema_file(Path::new(path), text).unwrap_err();
        let e = err("s.toml", "[[objects.contacts.properties]]\nname = \"x\"\ntype = \"string\"\ncolour = 1");
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = err("s.toml", "[objects.contacts]\nlabels = \"x\"");
        assert!(e.contains("unknown field `labels`"), "{e}");
        let e = err("s.json", r#"{"object": {}}"#);
        assert!(e.contains("unknown field `object`"), "{e}");
        let e = err(
            "s.toml",
            "[[objects.contacts.properties]]\nname = \"x\"\ntype = \"enumeration\"\noptions = [{ value = \"a\", colour = 1 }]",
        );
        assert!(e.contains("an option"), "{e}");
        assert!(err("s.toml", "objects = 3").contains("TOML"));
        assert!(parse_schema_file(Path::new("s.toml"), "").unwrap().objects.is_empty());
    }

    #[test]
    fn the_store_keeps_what_edit_saves_and_delete_counts_the_records_using_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("crm.redb")).unwrap();
        let p = add_property_to(&store, "contacts", &tier()).unwrap();
        assert!(matches!(
            add_property_to(&store, "robots", &tier()).unwrap_err().downcast_ref::<EditError>(),
            Some(Usage(m)) if m.contains("unknown object 'robots'")
        ));
        // One record holds a value for it.
        let mut rows = RowValues::default();
        rows.push(p.id, "gold");
        rows.end_row();
        let session = store.begin_write().unwrap();
        {
            let mut records = session.records("contacts").unwrap();
            records.append(1, [(1, rows.row(0))]).unwrap();
        }
        session.commit(true).unwrap();

        let refused = delete_property_from(&store, "contacts", "loyalty_tier", false).unwrap_err();
        assert!(
            matches!(refused.downcast_ref::<EditError>(), Some(Conflict(m)) if m.starts_with("1 record of contacts holds a value")),
            "{refused}"
        );
        assert!(
            store
                .begin_read()
                .unwrap()
                .schema()
                .unwrap()
                .object("contacts")
                .unwrap()
                .property(p.id)
                .is_some()
        );
        let deleted = delete_property_from(&store, "contacts", "loyalty_tier", true).unwrap();
        assert_eq!(deleted.records_with_values, 1);
        let read = store.begin_read().unwrap();
        let contacts = read.schema().unwrap().object("contacts").unwrap().clone();
        assert_eq!(contacts.deleted_properties, [p.id]);
        assert_eq!(
            read.record("contacts", 1).unwrap().unwrap().view().get(p.id),
            Some("gold"),
            "not rewritten"
        );
        drop(read);
        assert_eq!(add_property_to(&store, "contacts", &tier()).unwrap().id, p.id + 1);

        // Applying writes only when something changes.
        let file = toml_file(FILE);
        // loyalty_tier is there already, as the file declares it.
        assert_eq!(apply_to(&store, &file, true).unwrap().len(), 4, "a dry run says what it would do");
        assert!(store.begin_read().unwrap().schema().unwrap().object("pets").is_none(), "and writes nothing");
        assert_eq!(apply_to(&store, &file, false).unwrap().len(), 4);
        let before = store.begin_read().unwrap().schema().unwrap();
        assert_eq!(apply_to(&store, &file, false).unwrap(), Vec::<String>::new());
        assert_eq!(store.begin_read().unwrap().schema().unwrap(), before);
    }
}
