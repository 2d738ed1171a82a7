//! Two files with a common column (SPEC 6): `import contacts.csv companies.csv
//! --object contacts --object companies --common-column "Company Domain Name"
//! --key-of companies`.
//!
//! Files and objects pair in order: each file holds one object. The common column
//! is the unique key (record ID, email, domain or a custom unique property) of the
//! `--key-of` object: in that object's file it maps to the key like any column; in
//! every other file it becomes an association column (`assoc:OBJ.KEY`), so each row
//! is associated with the record holding its key. The key's file is imported first
//! within the one import, so that a key the other file names is found whether it
//! already existed or the same import creates it, whichever order the files are
//! given in.

use crate::mapping::vocabulary::Vocabulary;
use crate::mapping::{LinkColumn, Mapping, MappingError, MappingRequest, Target, map};
use crate::schema::{Object, RECORD_ID};
use crate::spec::ImportSpec;

/// Checks `--common-column` and `--key-of` and returns the spec with the key's
/// file and object first; `None` when the import has no common column.
pub fn ordered(opts: &ImportSpec) -> Result<Option<ImportSpec>, String> {
    let (Some(column), Some(key_of)) = (&opts.common_column, &opts.key_of) else {
        return match (&opts.common_column, &opts.key_of) {
            (None, None) => Ok(None),
            _ => Err("--common-column and --key-of go together".into()),
        };
    };
    if column.trim().is_empty() {
        return Err("--common-column needs a column name".into());
    }
    if opts.objects.len() < 2 || opts.files.len() != opts.objects.len() {
        return Err(format!(
            "--common-column pairs files and objects in order: give one --object per file ({} files, {} objects)",
            opts.files.len(),
            opts.objects.len()
        ));
    }
    let Some(k) = opts.objects.iter().position(|o| o == key_of) else {
        return Err(format!(
            "--key-of {key_of} is not one of the import's objects ({})",
            opts.objects.join(", ")
        ));
    };
    let mut out = opts.clone();
    let file = out.files.remove(k);
    let object = out.objects.remove(k);
    out.files.insert(0, file);
    out.objects.insert(0, object);
    Ok(Some(out))
}

/// The key property of `key_of` that the common column `header` names.
pub fn key_property(
    vocabulary: &Vocabulary,
    key_of: &Object,
    header: &str,
    lang: &str,
) -> Result<u16, String> {
    let property = key_of
        .property_named(header.trim())
        .map(|p| p.id)
        .or_else(|| vocabulary.lookup(&key_of.name, header, lang))
        .filter(|&id| id == RECORD_ID || key_of.property(id).is_some_and(|p| p.unique));
    property.ok_or_else(|| {
        let unique: Vec<&str> = key_of
            .properties
            .iter()
            .filter(|p| p.unique || p.id == RECORD_ID)
            .map(|p| p.label.as_str())
            .collect();
        format!("--common-column '{header}' must name a unique key of {}: {}", key_of.name, unique.join(", "))
    })
}

/// Maps file `i` of a common-column import (`opts` as [`ordered`] returns it): as
/// a file of its own object, then widened to all the import's objects, with the
/// common column of a file other than the key's an association column to the key.
pub fn map_input(
    header: &[String],
    opts: &ImportSpec,
    vocabulary: &Vocabulary,
    i: usize,
) -> Result<Mapping, MappingError> {
    let (column, key_of) =
        (opts.common_column.as_deref().unwrap_or(""), opts.key_of.as_deref().unwrap_or(""));
    let own = std::slice::from_ref(&opts.objects[i]);
    let req = MappingRequest { objects: own, ..opts.mapping_request(vocabulary) };
    let all: Vec<Object> = opts
        .objects
        .iter()
        .map(|o| vocabulary.object(o).cloned().expect("the objects were checked by the mapping"))
        .collect();
    let key_object = all.iter().find(|o| o.name == key_of).expect("checked by ordered").clone();
    let key = key_property(vocabulary, &key_object, column, opts.lang())
        .map_err(|reason| MappingError::BadMap { spec: format!("--common-column {column}"), reason })?;
    let normalized = crate::mapping::vocabulary::normalize_header(column);
    let Some(common) = header
        .iter()
        .position(|h| h == column || crate::mapping::vocabulary::normalize_header(h) == normalized)
    else {
        return Err(MappingError::BadMap {
            spec: format!("--common-column {column}"),
            reason: format!("{} has no column '{column}'", opts.files[i].display()),
        });
    };
    // The common column is the key in the key's file, a link in the others: it
    // must not stop the mapping as unmapped in the other files.
    let mut maps = opts.maps.clone();
    if i != 0 {
        maps.push(format!("{}=-", header[common]));
    }
    let req = MappingRequest { maps: &maps, ..req };
    let mut m = map(header, &req)?;
    widen(&mut m, &all, i);
    if i == 0 {
        if m.columns[common] != (Target::Property { object: 0, property: key }) {
            return Err(MappingError::BadMap {
                spec: format!("--common-column {column}"),
                reason: format!(
                    "in the {key_of} file the column maps to {}, not to the key",
                    m.target_text(common)
                ),
            });
        }
    } else {
        m.columns[common] = Target::Link(m.links.len() as u16);
        m.links.push((common, LinkColumn::Assoc { object: key_object, property: key, from: None }));
    }
    Ok(m)
}

/// Makes a one-object mapping of the import's object `own` a mapping over `all`.
fn widen(m: &mut Mapping, all: &[Object], own: usize) {
    for t in &mut m.columns {
        if let Target::Property { object, .. } = t {
            *object = own;
        }
    }
    for n in &mut m.create {
        n.object = own;
    }
    m.objects = all.to_vec();
    m.link_from = own;
}
