//! Custom properties an import creates from its columns: `--map
//! 'HEADER=+object.name:type'` and `--create-properties`.
//!
//! [`create`] runs in `import::run` once every input is mapped ([`Mapping::create`]
//! lists the columns) and before the import's log entry or any row is written:
//! 1. the columns are grouped: one property per `+object.name`, and with
//!    `--create-properties` one per object and header (headers compared as the
//!    vocabulary does, ignoring case and punctuation, so that the same column in
//!    several files is one property); two columns of one file asking for the same
//!    property are a usage error;
//! 2. the columns whose type is to be inferred, or whose enumeration options are
//!    their values, are read through the import's decode loop ([`infer::scan`]:
//!    only those columns are looked at, nothing of the rows is kept);
//! 3. the properties are created with `schema_edit` ([`add_property`], in one
//!    write transaction through [`edit`], committed durably);
//! 4. every input is mapped again over the new schema, where the `+` targets now
//!    name existing properties and the created columns' headers are their labels.
//!
//! The properties are committed before the import itself: an import that fails
//! later leaves them in place. They are harmless (no record holds a value), and a
//! re-run maps to them instead of creating them again. Every error here is a
//! usage error (exit code 2) raised before anything is written, except a failure
//! of the store itself.
//!
//! Naming with `--create-properties`: the header lowercased, every run of other
//! characters than ASCII letters and digits made one `_`, trimmed of `_`,
//! prefixed `x_` when it would start with a digit or `hs_`, at most 90
//! characters (`column_N` when nothing is left), then `_2`, `_3`... until no
//! property of the object has that name or spelling; the label is the header as
//! written, so that the same column maps to the property in the next import.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use store::{Store, StoreError};

use crate::import::{ImportError, ImportSpec};
use crate::input::decode::Header;
use crate::input::dialect::Prepared;
use crate::mapping::vocabulary::{Vocabulary, normalize_header};
use crate::mapping::{self, Mapping};
use crate::normalize::infer::{self, COUNT_CAP, ColumnStats, Distinct, MAX_OPTIONS};
use crate::schema::{EnumOption, ObjectDef, PropertyType};
use crate::schema_edit::{
    EditError, MAX_NAME_CHARS, PropertySpec, add_property, edit, find_object, option, spelling_owner,
};

/// One input of the import, as [`create`] needs it.
pub struct Input<'a> {
    /// The text.
    pub prepared: &'a Prepared,
    /// The header.
    pub header: &'a Header,
    /// The mapping: mapped again once the properties exist.
    pub mapping: &'a mut Mapping,
}

/// A custom property an import created (the summary's `created_properties`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedProperty {
    /// The object.
    pub object: String,
    /// The property's name.
    pub name: String,
    /// Its label.
    pub label: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: PropertyType,
}

/// The longest name made from a header, before a `_N` suffix.
const MAX_BASE_CHARS: usize = MAX_NAME_CHARS - 10;

/// A property name made from a header (see the module documentation); empty
/// when the header has no ASCII letters or digits.
pub fn name_from_header(header: &str) -> String {
    let mut name = String::with_capacity(header.len().min(MAX_BASE_CHARS + 2));
    for c in header.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
        if name.len() > MAX_BASE_CHARS {
            break;
        }
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) || name.starts_with("hs_") {
        name.insert_str(0, "x_");
    }
    name.truncate(MAX_BASE_CHARS);
    name.trim_end_matches('_').to_owned()
}

/// How a property to create is named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Naming {
    /// By `--map 'H=+obj.name'`.
    Given(String),
    /// From the header; the header's normalized form.
    Header(String),
}

/// One property to create, and the columns it comes from.
#[derive(Debug)]
struct Group {
    object: String,
    naming: Naming,
    /// The type given; `None`: inferred.
    ty: Option<PropertyType>,
    /// The header of its first column (its label).
    header: String,
    /// Its first column (0-based), for a `column_N` name.
    first_column: usize,
    /// (input, column) of each of its columns.
    columns: Vec<(usize, usize)>,
    /// What the scan found, for the groups that need one.
    stats: Option<ColumnStats>,
}

impl Group {
    /// Whether the column's values decide the type or the options.
    fn needs_scan(&self) -> bool {
        matches!(self.ty, None | Some(PropertyType::Enumeration))
    }

    /// The column as messages name it.
    fn shown(&self) -> String {
        format!("column '{}'", mapping::shown_name(&self.header))
    }
}

fn usage(message: String) -> ImportError {
    ImportError::Options(message)
}

/// Creates the custom properties the mappings of `inputs` ask for and maps every
/// input again; returns them in the order they were created (none, and nothing
/// done, when no column asks for one).
pub fn create(
    store: &Store,
    opts: &ImportSpec,
    inputs: &mut [Input<'_>],
) -> Result<Vec<CreatedProperty>, ImportError> {
    if inputs.iter().all(|i| i.mapping.create.is_empty()) {
        return Ok(Vec::new());
    }
    // Files of different objects fail the import (`import::run`): create nothing for it.
    if inputs.iter().any(|i| i.mapping.objects[0].name != inputs[0].mapping.objects[0].name) {
        return Ok(Vec::new());
    }
    let mut groups = group(inputs)?;
    scan(opts, inputs, &mut groups)?;
    let specs = groups.iter().map(spec_of).collect::<Result<Vec<_>, _>>()?;
    let created = edit(store, |_, schema| {
        let mut objects: BTreeMap<String, ObjectDef> = BTreeMap::new();
        // Header keys of the columns named from their headers: no generated name
        // may be spelled like one of them (that column would map to it).
        let reserved: HashSet<(&str, &str)> = groups
            .iter()
            .filter_map(|g| match &g.naming {
                Naming::Header(key) => Some((g.object.as_str(), key.as_str())),
                Naming::Given(_) => None,
            })
            .collect();
        let mut created = Vec::new();
        // Given names first: generated ones avoid them.
        let order = (0..groups.len())
            .filter(|&i| matches!(groups[i].naming, Naming::Given(_)))
            .chain((0..groups.len()).filter(|&i| matches!(groups[i].naming, Naming::Header(_))));
        for i in order {
            let (g, spec) = (&groups[i], &specs[i]);
            let object = match objects.remove(&g.object) {
                Some(o) => o,
                None => find_object(schema, &g.object)?.clone(),
            };
            let spec = match &g.naming {
                Naming::Given(name) => {
                    // The header as the label, unless a column named like it maps elsewhere.
                    let label = (!normalize_header(&g.header).is_empty()
                        && spelling_owner(&object, &g.header).is_none())
                    .then(|| g.header.clone());
                    PropertySpec { name: name.clone(), label, ..spec.clone() }
                }
                Naming::Header(key) => {
                    if let Some(p) = spelling_owner(&object, &g.header) {
                        return Err(usage(format!(
                            "{}: a column named like it maps to {}.{} (created by this import from another \
                             column): map one of them with --map",
                            g.shown(),
                            object.name,
                            p.name
                        ))
                        .into());
                    }
                    let name = unique_name(&object, g, key, &reserved);
                    PropertySpec { name, label: Some(g.header.clone()), ..spec.clone() }
                }
            };
            let (object, p) = add_property(&object, &spec).map_err(|e| e.within(&g.shown()))?;
            created.push(CreatedProperty {
                object: object.name.clone(),
                name: p.name,
                label: p.label,
                ty: p.ty,
            });
            objects.insert(object.name.clone(), object);
        }
        Ok((objects.into_values().collect(), created))
    })
    .map_err(import_error)?;
    remap(store, opts, inputs)?;
    Ok(created)
}

/// The error of the schema transaction as an import error.
fn import_error(e: anyhow::Error) -> ImportError {
    let e = match e.downcast::<ImportError>() {
        Ok(e) => return e,
        Err(e) => e,
    };
    let e = match e.downcast::<EditError>() {
        Ok(e) => return usage(e.to_string()),
        Err(e) => e,
    };
    match e.downcast::<StoreError>() {
        Ok(e) => ImportError::Store(e),
        Err(e) => usage(format!("{e:#}")),
    }
}

/// The name of a property created from `g`'s header: [`name_from_header`], then
/// with `_2`, `_3`... until no property of `object` has the name or is spelled
/// like it, and no other column named from its header is.
fn unique_name(object: &ObjectDef, g: &Group, key: &str, reserved: &HashSet<(&str, &str)>) -> String {
    let mut base = name_from_header(&g.header);
    if base.is_empty() {
        base = format!("column_{}", g.first_column + 1);
    }
    // An object has fewer than 65,536 properties: one of this many names is free.
    (1..=usize::from(u16::MAX) + 1)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}_{n}") })
        .find(|name| {
            let spelled = normalize_header(name);
            object.property_named(name).is_none()
                && spelling_owner(object, name).is_none()
                && (spelled == key || !reserved.contains(&(object.name.as_str(), spelled.as_str())))
        })
        .expect("fewer properties than candidate names")
}

/// The properties the mappings of `inputs` ask for, in order of first appearance.
fn group(inputs: &[Input<'_>]) -> Result<Vec<Group>, ImportError> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(String, Naming), usize> = HashMap::new();
    for (i, input) in inputs.iter().enumerate() {
        for new in &input.mapping.create {
            let object = input.mapping.objects[new.object].name.clone();
            let header = input.header.names[new.column].clone();
            let naming = match &new.name {
                Some(name) => Naming::Given(name.clone()),
                None => Naming::Header(normalize_header(&header)),
            };
            let g = *index.entry((object.clone(), naming.clone())).or_insert_with(|| {
                groups.push(Group {
                    object,
                    naming,
                    ty: new.ty,
                    header: header.clone(),
                    first_column: new.column,
                    columns: Vec::new(),
                    stats: None,
                });
                groups.len() - 1
            });
            let g = &mut groups[g];
            if let Some(&(_, other)) = g.columns.iter().find(|(j, _)| *j == i) {
                let what = match &g.naming {
                    Naming::Given(name) => format!("both create {}.{name}", g.object),
                    Naming::Header(_) => {
                        "would both create the same property (their headers differ only in case and \
                         punctuation): map one of them with --map"
                            .to_owned()
                    }
                };
                return Err(usage(format!(
                    "columns '{}' and '{}' of {} {what}",
                    mapping::shown_name(&input.header.names[other]),
                    mapping::shown_name(&header),
                    input.prepared.source.path().display()
                )));
            }
            if g.ty.is_none() {
                g.ty = new.ty;
            }
            g.columns.push((i, new.column));
        }
    }
    Ok(groups)
}

/// Reads the columns of the groups that need it, every input in turn.
fn scan(opts: &ImportSpec, inputs: &[Input<'_>], groups: &mut [Group]) -> Result<(), ImportError> {
    if !groups.iter().any(Group::needs_scan) {
        return Ok(());
    }
    let pool = opts.thread_pool().map_err(ImportError::Options)?;
    let values = opts.value_options();
    for (i, input) in inputs.iter().enumerate() {
        // (column, its empty statistics) and the group of each.
        let mut columns: Vec<(usize, ColumnStats)> = Vec::new();
        let mut of: Vec<usize> = Vec::new();
        for (g, group) in groups.iter().enumerate().filter(|(_, g)| g.needs_scan()) {
            for &(_, column) in group.columns.iter().filter(|(j, _)| *j == i) {
                let cap = if group.ty == Some(PropertyType::Enumeration) { COUNT_CAP } else { 0 };
                columns.push((column, ColumnStats::new(cap)));
                of.push(g);
            }
        }
        if columns.is_empty() {
            continue;
        }
        let stats = infer::scan(
            input.prepared,
            input.header,
            &columns,
            &values,
            opts.chunk_bytes,
            pool.as_ref(),
            || crate::interrupt::pending().is_none(),
        )
        .ok_or_else(|| ImportError::Interrupted {
            signal: crate::interrupt::pending().unwrap_or(libc::SIGINT),
        })?;
        for (s, g) in stats.into_iter().zip(of) {
            match &mut groups[g].stats {
                Some(total) => total.merge(s),
                slot @ None => *slot = Some(s),
            }
        }
    }
    Ok(())
}

/// The property `g` creates, but its name and label: the type given or inferred,
/// an enumeration's options from the column's values.
fn spec_of(g: &Group) -> Result<PropertySpec, ImportError> {
    let stats = g.stats.as_ref();
    let ty = g.ty.or_else(|| stats.map(ColumnStats::infer)).unwrap_or(PropertyType::String);
    let mut spec = PropertySpec::new("", ty);
    if ty == PropertyType::Enumeration {
        let stats = stats.expect("enumerations are scanned");
        let at = g.shown();
        match stats.distinct() {
            Distinct::Exactly(0) => {
                return Err(usage(format!(
                    "{at} has no values to make the options of an enumeration of (create it with `ingest schema \
                     add-property ... --options`, or give it another type)"
                )));
            }
            Distinct::Exactly(n) if n > MAX_OPTIONS => {
                return Err(usage(format!(
                    "{at} has {n} distinct values; an enumeration made from a column takes at most {MAX_OPTIONS} \
                     (give it another type, or create it with `ingest schema add-property ... --options`)"
                )));
            }
            Distinct::MoreThan(n) => {
                return Err(usage(format!(
                    "{at} has more than {n} distinct values; an enumeration made from a column takes at most \
                     {MAX_OPTIONS} (give it another type)"
                )));
            }
            Distinct::Exactly(_) => {}
        }
        spec.options = stats
            .values()
            .iter()
            .map(|v| option(v, None))
            .collect::<Result<Vec<EnumOption>, _>>()
            .map_err(|e| usage(e.within(&at).to_string()))?;
    }
    Ok(spec)
}

/// Maps every input again over the store's schema, which now has the properties.
fn remap(store: &Store, opts: &ImportSpec, inputs: &mut [Input<'_>]) -> Result<(), ImportError> {
    let vocabulary = Vocabulary::new(&store.begin_read()?.schema()?);
    for input in inputs {
        let path = input.prepared.source.path().to_path_buf();
        let mapping = mapping::map(&input.header.names, &opts.mapping_request(&vocabulary))
            .map_err(|source| ImportError::Mapping { path: path.clone(), source })?;
        if let Some(new) = mapping.create.first() {
            // The created properties are named and labelled so that this cannot happen.
            return Err(usage(format!(
                "{}: column '{}' does not map to the property created for it",
                path.display(),
                mapping::shown_name(&input.header.names[new.column])
            )));
        }
        *input.mapping = mapping;
    }
    Ok(())
}

/// The import log's `options` with the created properties added
/// (`"created_properties"`, possibly empty).
pub fn with_created(mut options: serde_json::Value, created: &[CreatedProperty]) -> serde_json::Value {
    if let Some(map) = options.as_object_mut() {
        map.insert("created_properties".to_owned(), serde_json::json!(created));
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_headers() {
        for (header, name) in [
            ("Shoe size", "shoe_size"),
            ("  Shoe -- Size (EU) ", "shoe_size_eu"),
            ("NPS Score%", "nps_score"),
            ("2nd phone", "x_2nd_phone"),
            ("HS Lead Score", "x_hs_lead_score"),
            ("hs", "hs"),
            ("Größe", "gr_e"),
            ("日本", ""),
            ("___", ""),
        ] {
            assert_eq!(name_from_header(header), name, "{header}");
        }
        let long = name_from_header(&"Ab ".repeat(100));
        assert!(long.len() <= MAX_BASE_CHARS && !long.ends_with('_'), "{long}");
        for header in ["Shoe size", "2nd phone", "HS Lead Score", &"x".repeat(500)] {
            crate::schema_edit::check_name("property", &name_from_header(header)).unwrap();
        }
    }

    fn group_of(header: &str, naming: Naming) -> Group {
        Group {
            object: "contacts".into(),
            naming,
            ty: None,
            header: header.into(),
            first_column: 4,
            columns: vec![(0, 4)],
            stats: None,
        }
    }

    #[test]
    fn generated_names_avoid_existing_names_spellings_and_other_headers() {
        let contacts = store::schema::standard().object("contacts").unwrap().clone();
        let key = |h: &str| normalize_header(h);
        let none = HashSet::new();
        let g = group_of("Shoe size", Naming::Header(key("Shoe size")));
        assert_eq!(unique_name(&contacts, &g, &key("Shoe size"), &none), "shoe_size");
        // `city` is a property; `first_name` is spelled like one (`firstname`).
        let g = group_of("City!", Naming::Header("city!".into()));
        assert_eq!(unique_name(&contacts, &g, "city!", &none), "city_2");
        let g = group_of("First name", Naming::Header("first name".into()));
        assert_eq!(unique_name(&contacts, &g, "first name", &none), "first_name_2");
        // `1st` would be spelled like another column's header `X1st`.
        let reserved = HashSet::from([("contacts", "x1st"), ("contacts", "1st")]);
        let g = group_of("1st", Naming::Header("1st".into()));
        assert_eq!(unique_name(&contacts, &g, "1st", &reserved), "x_1st_2");
        let g = group_of("日本", Naming::Header("日本".into()));
        assert_eq!(unique_name(&contacts, &g, "日本", &none), "column_5");
    }

    #[test]
    fn enumerations_from_columns_need_values_and_at_most_fifty() {
        let opts = crate::normalize::values::ValueOptions::default();
        let mut g = group_of("Tier", Naming::Given("tier".into()));
        g.ty = Some(PropertyType::Enumeration);
        g.stats = Some(ColumnStats::new(COUNT_CAP));
        assert!(matches!(spec_of(&g), Err(ImportError::Options(m)) if m.contains("no values")));
        for v in ["Gold", "gold", "Silver"] {
            g.stats.as_mut().unwrap().add(v, &opts);
        }
        let spec = spec_of(&g).unwrap();
        assert_eq!(
            spec.options.iter().map(|o| (o.value.as_str(), o.label.as_str())).collect::<Vec<_>>(),
            [("Gold", "Gold"), ("Silver", "Silver")]
        );
        for i in 0..60 {
            g.stats.as_mut().unwrap().add(&format!("v{i}"), &opts);
        }
        let Err(ImportError::Options(m)) = spec_of(&g) else { panic!() };
        assert!(m.contains("column 'Tier' has 62 distinct values") && m.contains("at most 50"), "{m}");
        // Inferred: the type of the values.
        let mut g = group_of("Size", Naming::Header("size".into()));
        g.stats = Some(ColumnStats::default());
        g.stats.as_mut().unwrap().add("42", &opts);
        assert_eq!(spec_of(&g).unwrap().ty, PropertyType::Number);
    }
}
