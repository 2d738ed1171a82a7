//! Mapping columns to properties (SPEC 5).
//!
//! Each header is matched, case- and punctuation-insensitively, against the
//! property vocabulary of the header language ([`crate::headers`]), then English,
//! then the other languages. `--map` overrides any column, `--skip-unmapped` drops
//! the rest; otherwise an unmapped column stops the import before anything is
//! written, with the closest properties as suggestions.

use crate::headers::{self, normalize_header};
use crate::schema::{self, ObjectDef};

/// Where a column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A property of one of the import's objects (index into [`Mapping::objects`]).
    Property {
        /// Index of the object in the mapping.
        object: usize,
        /// Property number.
        property: u16,
    },
    /// Ignored.
    Skip,
}

/// The mapping of an input's columns.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The objects the file holds.
    pub objects: Vec<&'static ObjectDef>,
    /// One target per column.
    pub columns: Vec<Target>,
}

/// An unmapped column and what it might have meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// The header as written.
    pub header: String,
    /// Up to three `object.property` suggestions, closest first.
    pub suggestions: Vec<String>,
}

/// Why a mapping cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// Columns match no property.
    #[error("{} column(s) match no property (map them with --map 'HEADER=object.property' or 'HEADER=-', or pass --skip-unmapped):\n{}", .0.len(), list_unmapped(.0))]
    Unmapped(Vec<Unmapped>),
    /// An object this version cannot import.
    #[error("unknown or unsupported object '{0}' (importable: contacts, companies)")]
    UnknownObject(String),
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
        /// First column.
        first: String,
        /// Second column.
        second: String,
        /// The property.
        target: String,
    },
    /// More than one object: multi-object imports come later.
    #[error("importing several objects from one file is not supported yet; import one object per file")]
    MultiObject,
}

fn list_unmapped(cols: &[Unmapped]) -> String {
    cols.iter()
        .map(|u| {
            if u.suggestions.is_empty() {
                format!("  '{}'", u.header)
            } else {
                format!("  '{}' (closest: {})", u.header, u.suggestions.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct MappingRequest<'a> {
    /// `--object`, possibly empty (then inferred from the headers).
    pub objects: &'a [String],
    /// `--map HEADER=TARGET`.
    pub maps: &'a [String],
    /// `--skip-unmapped`.
    pub skip_unmapped: bool,
    /// `--header-lang`.
    pub lang: &'a str,
}

/// Finds the property a header names for `object`: header language, English, then
/// the others.
pub fn lookup(object: &ObjectDef, header: &str, lang: &str) -> Option<u16> {
    let norm = normalize_header(header);
    let order = std::iter::once(lang)
        .chain(std::iter::once("en"))
        .chain(headers::LANGUAGES.iter().copied().filter(|l| *l != lang && *l != "en"));
    for l in order {
        if let Some(v) = headers::variants(l).iter().find(|v| v.object == object.name && v.header == norm) {
            return object.property_number(v.property);
        }
    }
    None
}

/// Builds the mapping of `header` for a request.
pub fn map(header: &[String], req: &MappingRequest<'_>) -> Result<Mapping, MappingError> {
    let objects = choose_objects(header, req)?;
    let mut columns: Vec<Option<Target>> = vec![None; header.len()];
    for spec in req.maps {
        let (col_name, target) = spec.rsplit_once('=').ok_or_else(|| bad(spec, "expected HEADER=TARGET"))?;
        let col = find_column(header, col_name).ok_or_else(|| {
            bad(spec, &format!("no column named '{col_name}' (columns: {})", header.join(", ")))
        })?;
        columns[col] = Some(parse_target(spec, target.trim(), &objects)?);
    }
    for (i, name) in header.iter().enumerate() {
        if columns[i].is_none() {
            columns[i] = objects.iter().enumerate().find_map(|(oi, o)| {
                lookup(o, name, req.lang).map(|property| Target::Property { object: oi, property })
            });
        }
    }
    let unmapped: Vec<Unmapped> = header
        .iter()
        .zip(&columns)
        .filter(|(_, t)| t.is_none())
        .map(|(h, _)| Unmapped { header: h.clone(), suggestions: suggest(h, &objects) })
        .collect();
    if !unmapped.is_empty() && !req.skip_unmapped {
        return Err(MappingError::Unmapped(unmapped));
    }
    let columns: Vec<Target> = columns.into_iter().map(|t| t.unwrap_or(Target::Skip)).collect();
    for (i, t) in columns.iter().enumerate() {
        if let Target::Property { object, property } = t
            && let Some(j) = columns[..i].iter().position(|u| u == t)
        {
            return Err(MappingError::Duplicate {
                first: header[j].clone(),
                second: header[i].clone(),
                target: format!("{}.{}", objects[*object].name, objects[*object].property(*property).name),
            });
        }
    }
    Ok(Mapping { objects, columns })
}

fn bad(spec: &str, reason: &str) -> MappingError {
    MappingError::BadMap { spec: spec.to_owned(), reason: reason.to_owned() }
}

fn find_column(header: &[String], name: &str) -> Option<usize> {
    let name = name.trim();
    header.iter().position(|h| h == name).or_else(|| {
        let norm = normalize_header(name);
        header.iter().position(|h| normalize_header(h) == norm)
    })
}

fn parse_target(spec: &str, target: &str, objects: &[&'static ObjectDef]) -> Result<Target, MappingError> {
    if target == "-" {
        return Ok(Target::Skip);
    }
    if target.starts_with('+') {
        return Err(bad(spec, "creating custom properties from a column is not supported yet"));
    }
    if target.starts_with("assoc:") {
        return Err(bad(spec, "association columns are not supported yet"));
    }
    let (object, prop) = match target.split_once('.') {
        Some((o, p)) => {
            let oi = objects
                .iter()
                .position(|d| d.name == o)
                .ok_or_else(|| bad(spec, &format!("object '{o}' is not one of this import's objects")))?;
            (oi, p)
        }
        None => (0, target),
    };
    let def = objects[object];
    let property = def.property_number(prop).or_else(|| lookup(def, prop, "en")).ok_or_else(|| {
        let names: Vec<&str> = def.properties.iter().map(|p| p.name).collect();
        bad(spec, &format!("{} has no property '{prop}' (properties: {})", def.name, names.join(", ")))
    })?;
    Ok(Target::Property { object, property })
}

fn choose_objects(
    header: &[String],
    req: &MappingRequest<'_>,
) -> Result<Vec<&'static ObjectDef>, MappingError> {
    if !req.objects.is_empty() {
        let objects = req
            .objects
            .iter()
            .map(|o| schema::object(o).ok_or_else(|| MappingError::UnknownObject(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        if objects.len() > 1 {
            return Err(MappingError::MultiObject);
        }
        return Ok(objects);
    }
    // Infer: the object whose vocabulary matches most columns; contacts on a tie.
    let best = schema::OBJECTS
        .iter()
        .copied()
        .max_by_key(|o| {
            let hits = header.iter().filter(|h| lookup(o, h, req.lang).is_some()).count();
            // max_by_key keeps the last maximum: rank earlier objects higher on ties.
            (hits, std::cmp::Reverse(schema::OBJECTS.iter().position(|x| x.name == o.name)))
        })
        .expect("there is at least one object");
    Ok(vec![best])
}

fn suggest(header: &str, objects: &[&'static ObjectDef]) -> Vec<String> {
    let norm = normalize_header(header);
    let mut scored: Vec<(f64, String)> = Vec::new();
    for lang in headers::LANGUAGES {
        for v in headers::variants(lang) {
            if objects.iter().any(|o| o.name == v.object) {
                let score = strsim::jaro_winkler(&norm, v.header);
                scored.push((score, format!("{}.{}", v.object, v.property)));
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<String> = Vec::new();
    for (score, name) in scored {
        if score < 0.6 || out.len() == 3 {
            break;
        }
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

    fn req<'a>(objects: &'a [String], maps: &'a [String], lang: &'a str) -> MappingRequest<'a> {
        MappingRequest { objects, maps, skip_unmapped: false, lang }
    }

    #[test]
    fn headers_in_several_languages() {
        let m = map(&h(&["Voornaam", "Achternaam", "E-mailadres"]), &req(&[], &[], "nl")).unwrap();
        assert_eq!(m.objects[0].name, "contacts");
        let props: Vec<_> = m
            .columns
            .iter()
            .map(|t| match t {
                Target::Property { property, .. } => m.objects[0].property(*property).name,
                Target::Skip => "-",
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
        let MappingError::Unmapped(cols) = err else { panic!() };
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
    fn skip_unmapped_drops_unknown_columns() {
        let objs = vec!["contacts".to_owned()];
        let r = MappingRequest { objects: &objs, maps: &[], skip_unmapped: true, lang: "en" };
        let m = map(&h(&["Email", "Shoe size"]), &r).unwrap();
        assert_eq!(m.columns[1], Target::Skip);
    }
}
