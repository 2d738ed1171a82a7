//! Mapping columns to properties (SPEC 5).
//!
//! Each header is matched, case- and punctuation-insensitively, against the
//! property vocabulary of the header language ([`vocabulary`], data of the
//! store's schema), then English, then the other languages. `--map` overrides any column, `--skip-unmapped` drops
//! the rest; otherwise an unmapped column stops the import before anything is
//! written, with the closest properties as suggestions.
//!
//! A column can also ask for a custom property that does not exist yet:
//! `--map 'HEADER=+object.name:type'` names it (the object and the type may be
//! left out), and with `--create-properties` every column that would be unmapped
//! becomes one, named from its header. [`map`] lists those in [`Mapping::create`]
//! (their columns are [`Target::Skip`] meanwhile); the import creates them
//! (`crate::column_properties`) and maps the file again, when the vocabulary
//! finds them. A `+` target naming a property that exists with the same type (or
//! without a type) maps to it, so that a re-run creates nothing.

pub mod sections;
pub mod vocabulary;

use std::collections::HashMap;

use self::sections::{Sections, association_column};
use self::vocabulary::{Vocabulary, normalize_header};
use crate::schema::{Object, PropertyId, PropertyType};

/// Unmapped columns listed in the error, with suggestions (the first ones, in
/// column order); the rest are counted ("... and 312 more").
pub const MAX_LISTED: usize = 20;

/// Longest normalized name (in characters) that suggestions are computed for.
/// Similarity costs the product of the two lengths, and a name much longer than
/// every header spelling (the longest has about 30 characters) is similar to none.
pub const MAX_SUGGEST_CHARS: usize = 64;

/// Longest normalized name (in characters) matched by normalization (`--map`
/// spelled differently from the header, the vocabulary); longer names are only
/// matched as written.
const MAX_KEY_CHARS: usize = 256;

/// Header names longer than this (in bytes) are shortened in messages.
const SHOWN_NAME_BYTES: usize = 100;

/// Where a column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// A property of one of the import's objects (index into [`Mapping::objects`]).
    Property {
        /// Index of the object in the mapping.
        object: usize,
        /// Property ID.
        property: PropertyId,
    },
    /// An association column or an association-label column (index into
    /// [`Mapping::links`]).
    Link(u16),
    /// Ignored.
    Skip,
}

/// What an association column (`assoc:OBJ.PROP`) or a label column
/// (`label:OBJ_A-OBJ_B`) of the mapping does.
#[derive(Debug, Clone)]
pub enum LinkColumn {
    /// Each `;`-separated value finds a record of `object` by `property` (a unique
    /// property, the record ID, or a name: [`crate::plan::names`]), which the row's
    /// record of the import's first object is associated with.
    Assoc {
        /// The object of the records the values name.
        object: Object,
        /// The property they are found by.
        property: PropertyId,
        /// The import's object (index) whose record is linked, when not
        /// [`Mapping::link_from`]: a line item's `hs_product_id` links the line item.
        from: Option<usize>,
    },
    /// Each `;`-separated value is a label of the pair's links that the row makes.
    Label {
        /// The pair, as written.
        pair: (String, String),
    },
}

/// The mapping of an input's columns.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The objects the file holds.
    pub objects: Vec<Object>,
    /// One target per column.
    pub columns: Vec<Target>,
    /// Trailing columns without a name (Excel leaves them) start here: they are
    /// skipped while they hold no values; a value in one makes it an unmapped
    /// column like any other, which stops the import.
    pub unnamed_from: usize,
    /// Columns whose custom property the import creates before it reads a row
    /// (their [`Mapping::columns`] entry is [`Target::Skip`] until then), in
    /// column order.
    pub create: Vec<NewProperty>,
    /// The association and label columns: `(input column, what it does)`, in the
    /// order of their [`Target::Link`] indexes.
    pub links: Vec<(usize, LinkColumn)>,
    /// The object (index into [`Mapping::objects`]) whose record an association
    /// column links: the first, or a common-column file's own object.
    pub link_from: usize,
    /// One entry per column: whether a `--map` chose its target (the dry run says
    /// how each column was matched).
    pub by_map: Vec<bool>,
}

impl Mapping {
    /// What column `column` maps to, as `--map` writes it: `companies.name`,
    /// `assoc:companies.domain`, `label:contacts-companies` or `-`.
    pub fn target_text(&self, column: usize) -> String {
        match self.columns[column] {
            Target::Property { object, property } => {
                let o = &self.objects[object];
                format!("{}.{}", o.name, crate::schema::property(o, property).name)
            }
            Target::Link(i) => match &self.links[usize::from(i)].1 {
                LinkColumn::Assoc { object, property, .. } => {
                    format!("assoc:{}.{}", object.name, crate::schema::property(object, *property).name)
                }
                LinkColumn::Label { pair } => format!("label:{}-{}", pair.0, pair.1),
            },
            Target::Skip => "-".to_owned(),
        }
    }

    /// The properties of object `object` (index into [`Mapping::objects`]) that
    /// columns map to, in column order.
    pub fn properties_of(&self, object: usize) -> Vec<crate::schema::PropertyId> {
        self.columns
            .iter()
            .filter_map(|t| match *t {
                Target::Property { object: o, property } if o == object => Some(property),
                _ => None,
            })
            .collect()
    }
}

/// A column that creates a custom property: `--map 'HEADER=+object.name:type'`,
/// or an unmapped column with `--create-properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProperty {
    /// The column (0-based).
    pub column: usize,
    /// Index of the object in [`Mapping::objects`].
    pub object: usize,
    /// The name `--map` gives; `None` with `--create-properties`: named from the
    /// header.
    pub name: Option<String>,
    /// The type `--map` gives; `None`: inferred from the column's values.
    pub ty: Option<PropertyType>,
}

/// An unmapped column and what it might have meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// The column (0-based).
    pub column: usize,
    /// The header as written (empty: the column has no name).
    pub header: String,
    /// Up to three `object.property` suggestions, closest first.
    pub suggestions: Vec<String>,
}

/// Why a mapping cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// Columns match no property.
    #[error("{count} column(s) match no property (map them with --map 'HEADER=object.property' or 'HEADER=-', create them with --create-properties, or pass --skip-unmapped):\n{}", list_unmapped(listed, *count))]
    Unmapped {
        /// How many columns match no property.
        count: usize,
        /// The first [`MAX_LISTED`] of them, in column order.
        listed: Vec<Unmapped>,
    },
    /// An object the schema does not have.
    #[error("unknown object '{name}' (the store's objects: {known})")]
    UnknownObject {
        /// The name given.
        name: String,
        /// The schema's objects, for the message.
        known: String,
    },
    /// A `--map` that does not parse or names something unknown.
    #[error("--map '{spec}': {reason}")]
    BadMap {
        /// The argument.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// Two columns map to the same property.
    #[error("columns '{first}' and '{second}' both map to {target}")]
    Duplicate {
        /// First column (shortened if long).
        first: String,
        /// Second column (shortened if long).
        second: String,
        /// The property.
        target: String,
    },
    /// A header name appears more than once and not every occurrence was mapped
    /// explicitly: mapping the later ones by name would silently pick one of them.
    #[error("{}", list_repeated(repeated))]
    Repeated {
        /// Each repeated name with its columns (0-based), in column order.
        repeated: Vec<(String, Vec<usize>)>,
    },
    /// A trailing column without a name holds a value: it is an unmapped column.
    #[error(
        "column {} has no name in the header but holds values (the first on line {line}): give it a \
         name and map it, or pass --skip-unmapped to skip it; nothing was committed", .column + 1
    )]
    UnnamedValues {
        /// The column (0-based).
        column: usize,
        /// The line of its first value.
        line: u64,
    },
}

/// A header name as shown in messages: whole if short, else its start and length.
pub fn shown_name(name: &str) -> String {
    if name.len() <= SHOWN_NAME_BYTES {
        return name.to_owned();
    }
    let mut end = SHOWN_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &name[..end], name.len())
}

fn list_repeated(repeated: &[(String, Vec<usize>)]) -> String {
    let mut out = format!(
        "{} column name(s) appear more than once; map every occurrence explicitly, the second as \
         --map 'NAME#2=object.property' (or 'NAME#2=-' to skip it), the first as 'NAME' or 'NAME#1':",
        repeated.len()
    );
    let mut lines: Vec<String> = repeated
        .iter()
        .take(MAX_LISTED)
        .map(|(name, columns)| {
            let cols: Vec<String> = columns.iter().map(|c| (c + 1).to_string()).collect();
            format!("  '{}' in columns {}", shown_name(name), cols.join(", "))
        })
        .collect();
    if repeated.len() > MAX_LISTED {
        lines.push(format!("  ... and {} more", repeated.len() - MAX_LISTED));
    }
    out.push('\n');
    out.push_str(&lines.join("\n"));
    out
}

fn list_unmapped(cols: &[Unmapped], count: usize) -> String {
    let mut lines: Vec<String> = cols
        .iter()
        .map(|u| {
            if u.header.is_empty() {
                format!("  column {} has no name", u.column + 1)
            } else if u.suggestions.is_empty() {
                format!("  '{}'", shown_name(&u.header))
            } else {
                format!("  '{}' (closest: {})", shown_name(&u.header), u.suggestions.join(", "))
            }
        })
        .collect();
    if count > cols.len() {
        lines.push(format!("  ... and {} more", count - cols.len()));
    }
    lines.join("\n")
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct MappingRequest<'a> {
    /// The schema's objects and header spellings.
    pub vocabulary: &'a Vocabulary,
    /// `--object`, possibly empty (then inferred from the headers).
    pub objects: &'a [String],
    /// `--map HEADER=TARGET`.
    pub maps: &'a [String],
    /// `--skip-unmapped`.
    pub skip_unmapped: bool,
    /// `--header-lang`.
    pub lang: &'a str,
    /// `--create-properties`: a column that would be unmapped creates a custom
    /// property ([`Mapping::create`]) if its header can name one (not blank, and
    /// short enough to be matched by normalization).
    pub create_unmapped: bool,
}

impl<'a> MappingRequest<'a> {
    /// A request with no options: inferred object, English headers, unmapped
    /// columns an error.
    pub fn new(vocabulary: &'a Vocabulary) -> Self {
        Self { vocabulary, objects: &[], maps: &[], skip_unmapped: false, lang: "en", create_unmapped: false }
    }
}

/// The target of a column by its normalized header. In a multi-object file a
/// header that names one of the objects first (`Company Name`, `Deal Amount`)
/// belongs to that object's property; otherwise the first object (in `--object`
/// order) whose vocabulary has the header takes it.
fn lookup_column(key: &str, objects: &[Object], req: &MappingRequest<'_>) -> Option<Target> {
    let vocabulary = req.vocabulary;
    let target = |oi: usize, property| Target::Property { object: oi, property };
    if objects.len() > 1 {
        // `Company Name` -> `name` of companies; then a header the object's own
        // vocabulary has whole and that starts with its name (`Bedrijfsnaam`).
        let qualified = objects
            .iter()
            .enumerate()
            .find_map(|(oi, o)| vocabulary.lookup_qualified(&o.name, key, req.lang).map(|p| target(oi, p)));
        let named = || {
            objects.iter().enumerate().find_map(|(oi, o)| {
                vocabulary
                    .starts_with_name(&o.name, key)
                    .then(|| vocabulary.lookup_key(&o.name, key, req.lang).map(|p| target(oi, p)))
                    .flatten()
            })
        };
        if let Some(t) = qualified.or_else(named) {
            return Some(t);
        }
    }
    objects
        .iter()
        .enumerate()
        .find_map(|(oi, o)| vocabulary.lookup_key(&o.name, key, req.lang).map(|p| target(oi, p)))
}

/// The target of column `c` (normalized header `key`) without `--map`: in an
/// export's section, a property of the section's object (its record ID for the
/// section's first column; skipped when that object is not one of the import's);
/// elsewhere, as [`lookup_column`] finds it. Failing that, an association column
/// (`Associated Company Domain`) is added to `links` and the column numbered later.
fn auto_target(
    c: usize,
    key: &str,
    objects: &[Object],
    sections: Option<&Sections>,
    req: &MappingRequest<'_>,
    links: &mut Vec<(usize, LinkColumn)>,
) -> Option<Target> {
    let vocabulary = req.vocabulary;
    let section = sections.and_then(|s| s.of_column[c].as_deref());
    let from = if let Some(name) = section {
        let Some(oi) = objects.iter().position(|o| o.name == name) else {
            return Some(Target::Skip);
        };
        if sections.is_some_and(|s| s.starts_at(c)) {
            return Some(Target::Property { object: oi, property: crate::schema::RECORD_ID });
        }
        let found = vocabulary
            .lookup_key(name, key, req.lang)
            .or_else(|| vocabulary.lookup_qualified(name, key, req.lang));
        if let Some(property) = found {
            return Some(Target::Property { object: oi, property });
        }
        Some(oi)
    } else {
        if let Some(t) = lookup_column(key, objects, req) {
            return Some(t);
        }
        None
    };
    let (object, property) = association_column(key, vocabulary, req.lang)?;
    links.push((c, LinkColumn::Assoc { object: object.clone(), property, from }));
    Some(Target::Skip) // numbered with the other link columns
}

/// The normalized form of a header name, if it is short enough to be matched by
/// normalization at all (see [`MAX_KEY_CHARS`]).
fn match_key(name: &str) -> Option<String> {
    let key = normalize_header(name);
    (key.chars().count() <= MAX_KEY_CHARS).then_some(key)
}

/// Builds the mapping of `header` for a request.
///
/// Linear in the size of the header: every name is normalized once, looked up in
/// hash tables, and suggestions are computed for the listed columns only.
pub fn map(header: &[String], req: &MappingRequest<'_>) -> Result<Mapping, MappingError> {
    let keys: Vec<Option<String>> = header.iter().map(|h| match_key(h)).collect();
    let sections = Sections::find(&keys, req.vocabulary);
    let objects = choose_objects(&keys, sections.as_ref(), req)?;
    let mut columns: Vec<Option<Target>> = vec![None; header.len()];
    // With --skip-unmapped they are skipped like any unmapped column, values or not.
    let unnamed_from = if req.skip_unmapped {
        header.len()
    } else {
        header.iter().rposition(|h| !h.trim().is_empty()).map_or(0, |i| i + 1)
    };
    for column in &mut columns[unnamed_from..] {
        *column = Some(Target::Skip);
    }
    // (With --skip-unmapped, unnamed_from is the header's length: nothing to check.)
    let mut explicit = vec![false; header.len()];
    let mut create: Vec<NewProperty> = Vec::new();
    let mut links: Vec<(usize, LinkColumn)> = Vec::new();
    let finder = ColumnFinder::new(header, &keys);
    for spec in req.maps {
        let (col_name, target) = spec.rsplit_once('=').ok_or_else(|| bad(spec, "expected HEADER=TARGET"))?;
        let col = finder.find(col_name).ok_or_else(|| {
            bad(spec, &format!("no column named '{col_name}' (columns: {})", list_names(header)))
        })?;
        create.retain(|n| n.column != col); // a later --map of the same column wins
        links.retain(|(c, _)| *c != col);
        columns[col] = Some(match parse_target(spec, target.trim(), &objects, req.vocabulary)? {
            Parsed::Map(t) => t,
            Parsed::Link(link) => {
                links.push((col, link));
                Target::Skip // numbered below, once every --map is read
            }
            Parsed::Create { object, name, ty } => {
                create.push(NewProperty { column: col, object, name: Some(name), ty });
                Target::Skip
            }
        });
        explicit[col] = true;
    }
    // A name may repeat across the sections of an export, not within one.
    let section_of = |c: usize| sections.as_ref().and_then(|s| s.of_column[c].as_deref());
    let repeated: Vec<(String, Vec<usize>)> = finder
        .repeated()
        .filter(|cols| cols.iter().any(|&c| !explicit[c]))
        .filter(|cols| {
            cols.iter()
                .enumerate()
                .any(|(i, &a)| cols[i + 1..].iter().any(|&b| section_of(a) == section_of(b)))
        })
        .map(|cols| (header[cols[0]].clone(), cols.clone()))
        .collect();
    if !repeated.is_empty() {
        return Err(MappingError::Repeated { repeated });
    }
    for (c, (column, key)) in columns.iter_mut().zip(&keys).enumerate() {
        if column.is_none()
            && let Some(key) = key
        {
            *column = auto_target(c, key, &objects, sections.as_ref(), req, &mut links);
        }
    }
    if req.create_unmapped {
        for (column, target) in columns.iter_mut().enumerate() {
            if target.is_none() && keys[column].as_deref().is_some_and(|k| !k.is_empty()) {
                create.push(NewProperty { column, object: 0, name: None, ty: None });
                *target = Some(Target::Skip);
            }
        }
    }
    create.sort_by_key(|n| n.column);
    let count = columns.iter().filter(|t| t.is_none()).count();
    if count > 0 && !req.skip_unmapped {
        let listed = columns
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_none())
            .take(MAX_LISTED)
            .map(|(column, _)| Unmapped {
                column,
                header: header[column].clone(),
                suggestions: suggest(keys[column].as_deref(), &objects, req.vocabulary),
            })
            .collect();
        return Err(MappingError::Unmapped { count, listed });
    }
    let mut columns: Vec<Target> = columns.into_iter().map(|t| t.unwrap_or(Target::Skip)).collect();
    links.sort_by_key(|(c, _)| *c);
    if links.len() > usize::from(u16::MAX) {
        return Err(bad(&req.maps[0], "too many association columns"));
    }
    for (i, (c, _)) in links.iter().enumerate() {
        columns[*c] = Target::Link(i as u16);
    }
    let mut first: HashMap<Target, usize> = HashMap::new();
    for (i, t) in columns.iter().enumerate() {
        if let Target::Property { object, property } = *t {
            if let Some(&j) = first.get(t) {
                return Err(MappingError::Duplicate {
                    first: shown_name(&header[j]),
                    second: shown_name(&header[i]),
                    target: format!(
                        "{}.{}",
                        objects[object].name,
                        crate::schema::property(&objects[object], property).name
                    ),
                });
            }
            first.insert(*t, i);
        }
    }
    // A line item's product ID also links it with that product (SPEC 6).
    if let Some(products) = req.vocabulary.object("products") {
        for (c, t) in columns.iter().enumerate() {
            if let Target::Property { object, property } = *t
                && objects[object].name == "line_items"
                && objects[object].property(property).is_some_and(|p| p.name == "hs_product_id")
            {
                let link = LinkColumn::Assoc {
                    object: products.clone(),
                    property: crate::schema::RECORD_ID,
                    from: Some(object),
                };
                links.push((c, link));
            }
        }
    }
    Ok(Mapping { objects, columns, unnamed_from, create, links, link_from: 0, by_map: explicit })
}

fn names_of(objects: &[Object]) -> String {
    objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn bad(spec: &str, reason: &str) -> MappingError {
    MappingError::BadMap { spec: spec.to_owned(), reason: reason.to_owned() }
}

/// The first [`MAX_LISTED`] names of a header, for messages.
fn list_names(header: &[String]) -> String {
    let mut names: Vec<String> = header.iter().take(MAX_LISTED).map(|h| shown_name(h)).collect();
    if header.len() > MAX_LISTED {
        names.push(format!("... and {} more", header.len() - MAX_LISTED));
    }
    names.join(", ")
}

/// Finds the column a `--map` names: as written, else by normalized name; the
/// first such column, or with `NAME#N` the N-th column of that name.
struct ColumnFinder<'h> {
    exact: HashMap<&'h str, Vec<usize>>,
    normalized: HashMap<&'h str, Vec<usize>>,
    /// Columns by case-folded name, for repeated names (blank names excluded).
    folded: HashMap<String, Vec<usize>>,
}

impl<'h> ColumnFinder<'h> {
    fn new(header: &'h [String], keys: &'h [Option<String>]) -> Self {
        let mut exact: HashMap<&str, Vec<usize>> = HashMap::with_capacity(header.len());
        let mut normalized: HashMap<&str, Vec<usize>> = HashMap::with_capacity(header.len());
        let mut folded: HashMap<String, Vec<usize>> = HashMap::with_capacity(header.len());
        for (i, (h, k)) in header.iter().zip(keys).enumerate() {
            exact.entry(h.as_str()).or_default().push(i);
            if let Some(k) = k {
                normalized.entry(k.as_str()).or_default().push(i);
            }
            if !h.trim().is_empty() {
                folded.entry(h.trim().to_lowercase()).or_default().push(i);
            }
        }
        Self { exact, normalized, folded }
    }

    fn lookup(&self, name: &str) -> Option<&Vec<usize>> {
        self.exact.get(name).or_else(|| self.normalized.get(normalize_header(name).as_str()))
    }

    fn find(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        if let Some(cols) = self.lookup(name) {
            return cols.first().copied();
        }
        // `NAME#N`: the N-th occurrence (1-based) of a repeated name.
        let (base, n) = name.rsplit_once('#')?;
        let n: usize = n.trim().parse().ok().filter(|&n| n >= 1)?;
        let base = base.trim();
        self.folded
            .get(&base.to_lowercase())
            .or_else(|| self.lookup(base))
            .and_then(|cols| cols.get(n - 1))
            .copied()
    }

    /// The columns of every name that appears more than once (case-insensitively).
    fn repeated(&self) -> impl Iterator<Item = &Vec<usize>> {
        let mut groups: Vec<&Vec<usize>> = self.folded.values().filter(|c| c.len() > 1).collect();
        groups.sort_by_key(|c| c[0]);
        groups.into_iter()
    }
}

/// What a `--map` target asks for.
#[derive(Debug, Clone)]
enum Parsed {
    /// Map the column there.
    Map(Target),
    /// An association or label column.
    Link(LinkColumn),
    /// Create the custom property `name` of object `object` (index), of type `ty`
    /// (`None`: inferred), and map the column to it.
    Create { object: usize, name: String, ty: Option<PropertyType> },
}

/// The index of the import's object named `o`.
fn object_index(spec: &str, objects: &[Object], o: &str) -> Result<usize, MappingError> {
    objects
        .iter()
        .position(|d| d.name == o)
        .ok_or_else(|| bad(spec, &format!("object '{o}' is not one of this import's objects")))
}

fn parse_target(
    spec: &str,
    target: &str,
    objects: &[Object],
    vocabulary: &Vocabulary,
) -> Result<Parsed, MappingError> {
    if target == "-" {
        return Ok(Parsed::Map(Target::Skip));
    }
    if let Some(new) = target.strip_prefix('+') {
        return parse_new_property(spec, new, objects);
    }
    if let Some(assoc) = target.strip_prefix("assoc:") {
        return parse_assoc(spec, assoc.trim(), vocabulary);
    }
    if let Some(pair) = target.strip_prefix("label:") {
        return parse_label(spec, pair.trim(), vocabulary);
    }
    let (object, prop) = match target.split_once('.') {
        Some((o, p)) => (object_index(spec, objects, o)?, p),
        None => (0, target),
    };
    let def = &objects[object];
    let property =
        def.property_id(prop).or_else(|| vocabulary.lookup(&def.name, prop, "en")).ok_or_else(|| {
            let names: Vec<&str> = def.properties.iter().map(|p| p.name.as_str()).collect();
            bad(spec, &format!("{} has no property '{prop}' (properties: {})", def.name, names.join(", ")))
        })?;
    Ok(Parsed::Map(Target::Property { object, property }))
}

/// `OBJ.PROP` of `assoc:OBJ.PROP`: any object of the schema, by a unique property,
/// the record ID, or the value of a text property that is not unique (a name,
/// [`crate::plan::names::by_value`]).
fn parse_assoc(spec: &str, assoc: &str, vocabulary: &Vocabulary) -> Result<Parsed, MappingError> {
    let (o, p) = assoc.split_once('.').ok_or_else(|| {
        bad(spec, "an association column is assoc:OBJECT.PROPERTY (e.g. assoc:companies.domain)")
    })?;
    let object = vocabulary
        .object(o.trim())
        .cloned()
        .ok_or_else(|| bad(spec, &format!("unknown object '{o}' ({})", names_of(vocabulary.objects()))))?;
    let unique: Vec<&str> = object
        .properties
        .iter()
        .filter(|p| p.unique || p.id == crate::schema::RECORD_ID)
        .map(|p| p.name.as_str())
        .collect();
    let found = object.property_named(p.trim());
    let property = found
        .filter(|d| d.unique || d.id == crate::schema::RECORD_ID || crate::plan::names::by_value(d))
        .map(|d| d.id)
        .ok_or_else(|| {
            let what = match found {
                Some(d) if d.multiple => format!("{}.{} holds several values", object.name, d.name),
                Some(d) => format!("{}.{} is of type {}", object.name, d.name, d.ty.name()),
                None => format!("{} has no property '{}'", object.name, p.trim()),
            };
            bad(
                spec,
                &format!(
                    "{what}: {} records are found by a unique property ({}) or by the value of a \
                     single-valued text property (string, email, phone, domain or url, such as a name)",
                    object.name,
                    unique.join(", ")
                ),
            )
        })?;
    Ok(Parsed::Link(LinkColumn::Assoc { object, property, from: None }))
}

/// `OBJ_A-OBJ_B` of `label:OBJ_A-OBJ_B`.
fn parse_label(spec: &str, pair: &str, vocabulary: &Vocabulary) -> Result<Parsed, MappingError> {
    let names: Vec<&str> = vocabulary.objects().iter().map(|o| o.name.as_str()).collect();
    // Object names hold no '-', so the pair splits at the one '-' between two of them.
    let (a, b) = pair
        .split_once('-')
        .filter(|(a, b)| names.contains(&a.trim()) && names.contains(&b.trim()))
        .ok_or_else(|| {
            bad(spec, &format!("a label column is label:OBJECT-OBJECT, of: {}", names.join(", ")))
        })?;
    Ok(Parsed::Link(LinkColumn::Label { pair: (a.trim().to_owned(), b.trim().to_owned()) }))
}

/// `+object.name:type` (after the `+`; `object.` and `:type` may be left out): a
/// property that exists with that name and type (or without a type given) is
/// mapped to; one of another type is an error; else it is to be created.
fn parse_new_property(spec: &str, new: &str, objects: &[Object]) -> Result<Parsed, MappingError> {
    use crate::schema_edit::{check_name, parse_type};
    let (path, ty) = match new.split_once(':') {
        Some((p, t)) => (p.trim(), Some(parse_type(t).map_err(|e| bad(spec, &e.to_string()))?)),
        None => (new.trim(), None),
    };
    let (object, name) = match path.split_once('.') {
        Some((o, n)) => (object_index(spec, objects, o.trim())?, n.trim()),
        None => (0, path),
    };
    let def = &objects[object];
    if let Some(p) = def.property_named(name) {
        return match ty {
            Some(ty) if ty != p.ty => {
                let header = spec.rsplit_once('=').map_or(spec, |(h, _)| h);
                Err(bad(
                    spec,
                    &format!(
                        "{}.{name} exists already as {} property; it cannot be created as {} (map the column \
                         to it with --map '{header}={}.{name}', or choose another name)",
                        def.name,
                        crate::schema_edit::a(p.ty),
                        ty.name(),
                        def.name
                    ),
                ))
            }
            _ => Ok(Parsed::Map(Target::Property { object, property: p.id })),
        };
    }
    check_name("property", name).map_err(|e| bad(spec, &e.to_string()))?;
    Ok(Parsed::Create { object, name: name.to_owned(), ty })
}

fn choose_objects(
    keys: &[Option<String>],
    sections: Option<&Sections>,
    req: &MappingRequest<'_>,
) -> Result<Vec<Object>, MappingError> {
    let vocabulary = req.vocabulary;
    // An export's sections name its objects.
    if req.objects.is_empty()
        && let Some(sections) = sections
    {
        return Ok(sections.objects.iter().filter_map(|o| vocabulary.object(o).cloned()).collect());
    }
    if !req.objects.is_empty() {
        let objects = req
            .objects
            .iter()
            .map(|o| {
                vocabulary.object(o).cloned().ok_or_else(|| MappingError::UnknownObject {
                    name: o.clone(),
                    known: vocabulary
                        .objects()
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(objects);
    }
    // Infer: the object whose vocabulary matches most columns; the earlier object
    // of the schema on a tie (contacts first).
    let all = vocabulary.objects();
    let best = all
        .iter()
        .enumerate()
        .max_by_key(|(i, o)| {
            let hits = keys
                .iter()
                .flatten()
                .filter(|k| vocabulary.lookup_key(&o.name, k, req.lang).is_some())
                .count();
            // max_by_key keeps the last maximum: rank earlier objects higher on ties.
            (hits, std::cmp::Reverse(*i))
        })
        .map(|(_, o)| o.clone())
        .expect("the schema has at least one object");
    Ok(vec![best])
}

/// The closest properties to a normalized name (none for a name too long to be
/// similar to any, see [`MAX_SUGGEST_CHARS`]).
fn suggest(key: Option<&str>, objects: &[Object], vocabulary: &Vocabulary) -> Vec<String> {
    let Some(norm) = key.filter(|k| !k.is_empty() && k.chars().count() <= MAX_SUGGEST_CHARS) else {
        return Vec::new();
    };
    let mut scored: Vec<(f64, &str, PropertyId)> = Vec::new();
    for o in objects {
        for (spelling, property) in vocabulary.spellings(&o.name) {
            scored.push((strsim::jaro_winkler(norm, spelling), &o.name, property));
        }
    }
    // Ties in a stable order (the spellings come from hash tables).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)).then_with(|| a.2.cmp(&b.2)));
    let mut out: Vec<String> = Vec::new();
    for (score, object, property) in scored {
        if score < 0.6 || out.len() == 3 {
            break;
        }
        let def = objects.iter().find(|o| o.name == object).expect("scored from these objects");
        let name = format!("{object}.{}", crate::schema::property(def, property).name);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    static VOCABULARY: std::sync::LazyLock<Vocabulary> = std::sync::LazyLock::new(Vocabulary::standard);

    fn req<'a>(objects: &'a [String], maps: &'a [String], lang: &'a str) -> MappingRequest<'a> {
        MappingRequest {
            vocabulary: &VOCABULARY,
            objects,
            maps,
            skip_unmapped: false,
            lang,
            create_unmapped: false,
        }
    }

    #[test]
    fn a_multi_object_header_belongs_to_the_object_it_names_first() {
        let m = map(
            &h(&["Email", "Company Name", "Company Domain Name", "Deal Name", "Deal Stage"]),
            &req(&h(&["contacts", "companies", "deals"]), &[], "nl"),
        )
        .unwrap();
        let targets: Vec<String> = (0..m.columns.len()).map(|c| m.target_text(c)).collect();
        assert_eq!(
            targets,
            ["contacts.email", "companies.name", "companies.domain", "deals.dealname", "deals.dealstage"]
                .map(String::from)
        );
        let m = map(&h(&["E-mailadres", "Bedrijfsnaam"]), &req(&h(&["contacts", "companies"]), &[], "nl"))
            .unwrap();
        assert_eq!(m.target_text(1), "companies.name", "a Dutch compound that starts with the object's name");
        // One object: `Company Name` is the contact's company, as before.
        let m = map(&h(&["Email", "Company Name"]), &req(&h(&["contacts"]), &[], "en")).unwrap();
        assert_eq!(m.target_text(1), "contacts.company");
    }

    #[test]
    fn association_and_label_targets() {
        let m = map(
            &h(&["Email", "Manager", "Role"]),
            &req(
                &h(&["contacts"]),
                &h(&["Manager=assoc:contacts.email", "Role=label:contacts-companies"]),
                "en",
            ),
        )
        .unwrap();
        assert_eq!(m.target_text(1), "assoc:contacts.email");
        assert_eq!(m.target_text(2), "label:contacts-companies");
        assert_eq!(m.links.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [1, 2]);
        let by_name = map(
            &h(&["Email", "Manager", "Role"]),
            &req(&h(&["contacts"]), &h(&["Manager=assoc:contacts.firstname"]), "en"),
        )
        .unwrap();
        assert_eq!(by_name.target_text(1), "assoc:contacts.firstname", "found by value");
        for bad in [
            "Manager=assoc:contacts.num_notes",
            "Manager=assoc:contacts.hs_additional_emails",
            "Manager=assoc:contacts.nope",
            "Manager=assoc:nope.email",
            "Role=label:contacts",
            "Manager=assoc:contacts",
        ] {
            let e = map(&h(&["Email", "Manager", "Role"]), &req(&h(&["contacts"]), &h(&[bad]), "en"))
                .unwrap_err();
            assert!(matches!(e, MappingError::BadMap { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn headers_in_several_languages() {
        let m = map(&h(&["Voornaam", "Achternaam", "E-mailadres"]), &req(&[], &[], "nl")).unwrap();
        assert_eq!(m.objects[0].name, "contacts");
        let props: Vec<_> = m
            .columns
            .iter()
            .map(|t| match t {
                Target::Property { property, .. } => {
                    crate::schema::property(&m.objects[0], *property).name.as_str()
                }
                Target::Skip | Target::Link(_) => "-",
            })
            .collect();
        assert_eq!(props, vec!["firstname", "lastname", "email"]);
        // Danish header, English fallback for "Email".
        let m = map(&h(&["Fornavn", "Email"]), &req(&[], &[], "da")).unwrap();
        assert!(m.columns.iter().all(|t| matches!(t, Target::Property { .. })));
    }

    #[test]
    fn companies_are_inferred_and_unmapped_columns_are_listed() {
        let m = map(&h(&["Company name", "Company Domain Name", "Industry"]), &req(&[], &[], "en")).unwrap();
        assert_eq!(m.objects[0].name, "companies");
        let objs = vec!["contacts".to_owned()];
        let err = map(&h(&["Email", "Frist Name", "Shoe size"]), &req(&objs, &[], "en")).unwrap_err();
        let MappingError::Unmapped { listed: cols, .. } = err else { panic!() };
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[0].suggestions.first().map(String::as_str), Some("contacts.firstname"));
    }

    #[test]
    fn overrides_skips_and_duplicates() {
        let objs = vec!["contacts".to_owned()];
        let maps = vec!["Shoe size=-".to_owned(), "Mail=contacts.email".to_owned()];
        let m = map(&h(&["Mail", "Shoe size"]), &req(&objs, &maps, "en")).unwrap();
        assert_eq!(m.columns[1], Target::Skip);
        assert_eq!(m.columns[0], Target::Property { object: 0, property: 1 });
        let err = map(&h(&["Email", "E-mail"]), &req(&objs, &[], "en")).unwrap_err();
        assert!(matches!(err, MappingError::Duplicate { .. }));
        let maps = vec!["Email=contacts.shoe".to_owned()];
        assert!(matches!(map(&h(&["Email"]), &req(&objs, &maps, "en")), Err(MappingError::BadMap { .. })));
    }

    #[test]
    fn unmapped_columns_are_counted_and_the_first_ones_listed() {
        let objs = vec!["contacts".to_owned()];
        let header: Vec<String> = (0..16_384).map(|i| format!("col{i}")).collect();
        let err = map(&header, &req(&objs, &[], "en")).unwrap_err();
        let MappingError::Unmapped { count, listed } = &err else { panic!("{err}") };
        assert_eq!((*count, listed.len()), (16_384, MAX_LISTED));
        assert_eq!(listed.iter().map(|u| u.column).collect::<Vec<_>>(), (0..MAX_LISTED).collect::<Vec<_>>());
        assert!(err.to_string().ends_with("\n  ... and 16364 more"), "{err}");
        // Blank names are named by their column; long names are shortened and
        // suggest nothing.
        let long = format!("Email{}", "x".repeat(MAX_SUGGEST_CHARS));
        let err = map(&h(&["Email", "", &long]), &req(&objs, &[], "en")).unwrap_err();
        let MappingError::Unmapped { count: 2, listed } = &err else { panic!("{err}") };
        assert_eq!((listed[0].column, listed[0].header.as_str()), (1, ""));
        assert!(listed[1].suggestions.is_empty());
        let text = err.to_string();
        assert!(text.contains("\n  column 2 has no name\n"), "{text}");
        let long = "x".repeat(10_000);
        let err = map(&h(&["Email", &long]), &req(&objs, &[], "en")).unwrap_err();
        assert!(err.to_string().ends_with(&format!("'{}… (10000 bytes)'", "x".repeat(100))), "{err}");
    }

    #[test]
    fn every_header_spelling_is_short_enough_to_be_matched_and_suggested() {
        for o in VOCABULARY.objects() {
            for (spelling, _) in VOCABULARY.spellings(&o.name) {
                assert!(spelling.chars().count() <= MAX_SUGGEST_CHARS, "{spelling}");
            }
        }
    }

    #[test]
    fn plus_targets_create_properties_or_map_to_existing_ones() {
        let objs = vec!["contacts".to_owned()];
        let maps = vec!["Shoe size=+contacts.shoe_size:number".to_owned(), "Tier=+tier".to_owned()];
        let m = map(&h(&["Email", "Shoe size", "Tier"]), &req(&objs, &maps, "en")).unwrap();
        assert_eq!(m.columns[1..], [Target::Skip, Target::Skip], "until the properties exist");
        assert_eq!(
            m.create,
            [
                NewProperty {
                    column: 1,
                    object: 0,
                    name: Some("shoe_size".into()),
                    ty: Some(PropertyType::Number)
                },
                NewProperty { column: 2, object: 0, name: Some("tier".into()), ty: None },
            ]
        );
        // A property of that name and type, or without a type: mapped to, nothing to create.
        let email = VOCABULARY.object("contacts").unwrap().property_id("email").unwrap();
        for target in ["Mail=+contacts.email:email", "Mail=+email", "Mail=+ email : Email"] {
            let maps = vec![target.to_owned()];
            let m = map(&h(&["Mail"]), &req(&objs, &maps, "en")).unwrap();
            assert_eq!(
                (m.columns[0], m.create.len()),
                (Target::Property { object: 0, property: email }, 0),
                "{target}"
            );
        }
        // Another type, a bad name or type, another object: usage errors naming the problem.
        for (target, message) in [
            ("Mail=+contacts.email:number", "contacts.email exists already as an email property"),
            ("Mail=+x:owner", "unknown property type 'owner'"),
            ("Mail=+Shoe Size:number", "must be lowercase letters"),
            ("Mail=+hs_shoe:number", "reserved for the standard model"),
            ("Mail=+deals.x:number", "object 'deals' is not one of this import's objects"),
        ] {
            let maps = vec![target.to_owned()];
            let err = map(&h(&["Mail"]), &req(&objs, &maps, "en")).unwrap_err();
            assert!(
                matches!(&err, MappingError::BadMap { reason, .. } if reason.contains(message)),
                "{target}: {err}"
            );
        }
        // A later --map of the same column wins.
        let maps = vec!["Mail=+x:number".to_owned(), "Mail=-".to_owned()];
        assert!(map(&h(&["Mail"]), &req(&objs, &maps, "en")).unwrap().create.is_empty());
    }

    #[test]
    fn create_unmapped_turns_unmapped_named_columns_into_new_properties() {
        let objs = vec!["contacts".to_owned()];
        let maps = vec!["Notes=-".to_owned()];
        let r = MappingRequest { create_unmapped: true, ..req(&objs, &maps, "en") };
        let m = map(&h(&["Email", "Shoe size", "Notes", "Size (EU)"]), &r).unwrap();
        assert_eq!(m.columns[1..], [Target::Skip, Target::Skip, Target::Skip]);
        assert_eq!(
            m.create,
            [
                NewProperty { column: 1, object: 0, name: None, ty: None },
                NewProperty { column: 3, object: 0, name: None, ty: None },
            ],
            "not the mapped or skipped ones"
        );
        // A column without a name cannot name a property: it stays unmapped.
        let r = MappingRequest { maps: &[], ..r };
        let err = map(&h(&["Email", "", "Shoe size"]), &r).unwrap_err();
        assert!(matches!(err, MappingError::Unmapped { count: 1, .. }), "{err}");
        assert!(err.to_string().contains("create them with --create-properties"), "{err}");
        // Trailing columns without a name are skipped as before.
        let m = map(&h(&["Email", "Shoe size", ""]), &r).unwrap();
        assert_eq!((m.create.len(), m.unnamed_from), (1, 2));
    }

    #[test]
    fn skip_unmapped_drops_unknown_columns() {
        let objs = vec!["contacts".to_owned()];
        let r = MappingRequest { skip_unmapped: true, ..req(&objs, &[], "en") };
        let m = map(&h(&["Email", "Shoe size"]), &r).unwrap();
        assert_eq!(m.columns[1], Target::Skip);
    }
}
