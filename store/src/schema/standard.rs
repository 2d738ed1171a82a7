//! The standard model: the data files in `store/model/`, compiled into the binary
//! and read once.
//!
//! `model/objects/<object>.toml` defines an object and its properties (with their
//! stable IDs); `model/headers/<lang>.toml` lists, per object and property, the
//! header spellings of one language. The English vocabulary also gets every
//! property's internal name and label, so that an export (or a file headed with
//! internal names) maps itself.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::{ObjectDef, Schema};

/// The languages that have a header vocabulary.
pub const LANGUAGES: &[&str] = &["en", "nl", "da", "de", "fr", "es"];

/// The object files, in the model's order.
const OBJECT_FILES: &[(&str, &str)] = &[
    ("contacts", include_str!("../../model/objects/contacts.toml")),
    ("companies", include_str!("../../model/objects/companies.toml")),
];

/// The header vocabularies, one per entry of [`LANGUAGES`].
const HEADER_FILES: &[(&str, &str)] = &[
    ("en", include_str!("../../model/headers/en.toml")),
    ("nl", include_str!("../../model/headers/nl.toml")),
    ("da", include_str!("../../model/headers/da.toml")),
    ("de", include_str!("../../model/headers/de.toml")),
    ("fr", include_str!("../../model/headers/fr.toml")),
    ("es", include_str!("../../model/headers/es.toml")),
];

/// Turns a raw header into its lookup key: Unicode-lowercases it, then drops every
/// character that is not alphanumeric. Accents are kept: `"Prénom"` becomes
/// `"prénom"`, `"E-Mail-Adresse"` becomes `"emailadresse"`.
pub fn normalize_header(s: &str) -> String {
    s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Header spellings of one language: object -> property -> spellings.
type Vocabulary = BTreeMap<String, BTreeMap<String, Vec<String>>>;

static STANDARD: LazyLock<Schema> =
    LazyLock::new(|| load().unwrap_or_else(|e| panic!("the standard model: {e}")));

/// The standard model, as a new store is seeded with it.
pub fn standard() -> &'static Schema {
    &STANDARD
}

/// Parses and checks the model files. Fails with the file and the problem; a test
/// keeps the shipped files loadable.
pub(crate) fn load() -> Result<Schema, String> {
    let mut objects = Vec::new();
    for (name, text) in OBJECT_FILES {
        let object: ObjectDef = toml::from_str(text).map_err(|e| format!("objects/{name}.toml: {e}"))?;
        if object.name != *name {
            return Err(format!("objects/{name}.toml defines {}", object.name));
        }
        objects.push(object);
    }
    for (lang, text) in HEADER_FILES {
        let vocabulary: Vocabulary = toml::from_str(text).map_err(|e| format!("headers/{lang}.toml: {e}"))?;
        for (object_name, properties) in vocabulary {
            // TODO(model): strict once every object has its file.
            let Some(object) = objects.iter_mut().find(|o| o.name == object_name) else {
                continue;
            };
            for (property, spellings) in properties {
                let target = if property == "_object" {
                    &mut object.headers
                } else {
                    &mut object
                        .properties
                        .iter_mut()
                        .find(|p| p.name == property)
                        .ok_or_else(|| {
                            format!("headers/{lang}.toml: {object_name} has no property {property}")
                        })?
                        .headers
                };
                let list = target.entry((*lang).to_owned()).or_default();
                for s in spellings {
                    let key = normalize_header(&s);
                    if key.is_empty() {
                        return Err(format!(
                            "headers/{lang}.toml: {object_name}.{property}: empty spelling '{s}'"
                        ));
                    }
                    if !list.contains(&key) {
                        list.push(key);
                    }
                }
            }
        }
    }
    for object in &mut objects {
        for p in &mut object.properties {
            let en = p.headers.entry("en".to_owned()).or_default();
            for key in [normalize_header(&p.name), normalize_header(&p.label)] {
                if !en.contains(&key) {
                    en.insert(0, key);
                }
            }
        }
        object.validate()?;
    }
    Ok(Schema { objects })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{PropertyType, RECORD_ID};

    #[test]
    fn the_shipped_model_loads_and_is_valid() {
        let schema = load().unwrap();
        let contacts = schema.object("contacts").unwrap();
        assert_eq!(contacts.property(RECORD_ID).unwrap().ty, PropertyType::RecordId);
        assert_eq!(contacts.identifier_id(), contacts.property_id("email"));
        let firstname = contacts.property_named("firstname").unwrap();
        assert_eq!(firstname.label, "First Name");
        assert!(firstname.headers["nl"].contains(&"voornaam".to_owned()));
        assert!(firstname.headers["en"].contains(&"firstname".to_owned()));
    }
}
