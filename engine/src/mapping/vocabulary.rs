//! The header vocabulary of a schema: which property a header names.
//!
//! The spellings are data of the schema (`store/model/headers/<lang>.toml` for the
//! standard model, the label and internal name of a custom property), already
//! normalized with [`normalize_header`]. This module indexes them per object and
//! language for lookups in constant time; a header is looked up in the header
//! language, then English, then the other languages.

use std::collections::HashMap;

pub use store::schema::{LANGUAGES, normalize_header};

use crate::schema::{Object, PropertyId, Schema, objects};

/// The objects of a schema and their header spellings.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    objects: Vec<Object>,
    /// Per object (index into `objects`), per language (index into [`LANGUAGES`]):
    /// normalized spelling -> property.
    tables: Vec<Vec<HashMap<String, PropertyId>>>,
    /// Per object: the normalized spellings of its own name in every language
    /// (`company`, `bedrijf`), longest first.
    names: Vec<Vec<String>>,
}

impl Vocabulary {
    /// Indexes the spellings of every object of `schema`.
    pub fn new(schema: &Schema) -> Self {
        let objects = objects(schema);
        let tables = objects
            .iter()
            .map(|o| {
                let mut by_lang: Vec<HashMap<String, PropertyId>> = vec![HashMap::new(); LANGUAGES.len()];
                for p in &o.properties {
                    for (lang, spellings) in &p.headers {
                        let Some(l) = LANGUAGES.iter().position(|x| x == lang) else {
                            continue;
                        };
                        for s in spellings {
                            by_lang[l].entry(s.clone()).or_insert(p.id);
                        }
                    }
                    // A custom property is found by its name and label in every language.
                    if p.custom {
                        for key in [normalize_header(&p.name), normalize_header(&p.label)] {
                            by_lang[0].entry(key).or_insert(p.id);
                        }
                    }
                }
                by_lang
            })
            .collect();
        let names = objects
            .iter()
            .map(|o| {
                let mut names: Vec<String> = o.headers.values().flatten().cloned().collect();
                names.push(normalize_header(&o.name));
                names.push(normalize_header(&o.singular));
                names.push(normalize_header(&o.label));
                names.retain(|n| !n.is_empty());
                names.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
                names.dedup();
                names
            })
            .collect();
        Self { objects, tables, names }
    }

    /// The vocabulary of the standard model (tests, tools without a store).
    pub fn standard() -> Self {
        Self::new(store::schema::standard())
    }

    /// The schema's objects, in order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }

    /// The object named `name`.
    pub fn object(&self, name: &str) -> Option<&Object> {
        self.objects.iter().find(|o| o.name == name)
    }

    fn index(&self, object: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.name == object)
    }

    /// The property a normalized header names for `object`: in `lang`, English,
    /// then the other languages.
    pub fn lookup_key(&self, object: &str, key: &str, lang: &str) -> Option<PropertyId> {
        let tables = &self.tables[self.index(object)?];
        let first = LANGUAGES.iter().position(|l| *l == lang);
        first
            .into_iter()
            .chain(std::iter::once(0))
            .chain((1..LANGUAGES.len()).filter(|&l| Some(l) != first))
            .find_map(|l| tables[l].get(key).copied())
    }

    /// The property a normalized header names when it starts with a spelling of
    /// `object`'s name and the rest names one of its properties (`Company Name` ->
    /// companies `name`, `Deal Stage` -> deals `dealstage`): how the columns of a
    /// multi-object file say which object they belong to.
    pub fn lookup_qualified(&self, object: &str, key: &str, lang: &str) -> Option<PropertyId> {
        let i = self.index(object)?;
        self.names[i].iter().find_map(|name| {
            let rest = key.strip_prefix(name.as_str()).filter(|r| !r.is_empty())?;
            self.lookup_key(object, rest, lang)
        })
    }

    /// Whether a normalized header starts with a spelling of `object`'s name
    /// (`bedrijfsnaam` with `bedrijf`).
    pub fn starts_with_name(&self, object: &str, key: &str) -> bool {
        self.index(object).is_some_and(|i| self.names[i].iter().any(|n| key.starts_with(n.as_str())))
    }

    /// The object whose name (in any language) is `key` exactly.
    pub fn object_named(&self, key: &str) -> Option<&Object> {
        let i = self.names.iter().position(|names| names.iter().any(|n| n == key))?;
        Some(&self.objects[i])
    }

    /// The objects whose name (in any language) `key` starts with, longest
    /// spelling first per object, with the rest of `key` after that name.
    pub fn objects_prefixing<'k>(&self, key: &'k str) -> impl Iterator<Item = (&Object, &'k str)> {
        self.objects.iter().zip(&self.names).filter_map(move |(o, names)| {
            names.iter().find_map(|n| key.strip_prefix(n.as_str())).map(|rest| (o, rest))
        })
    }

    /// The property a header names for `object` (see [`Vocabulary::lookup_key`]).
    pub fn lookup(&self, object: &str, header: &str, lang: &str) -> Option<PropertyId> {
        self.lookup_key(object, &normalize_header(header), lang)
    }

    /// The property a header names in exactly one language (tests of the data).
    pub fn lookup_in(&self, object: &str, header: &str, lang: &str) -> Option<PropertyId> {
        let l = LANGUAGES.iter().position(|x| *x == lang)?;
        self.tables[self.index(object)?][l].get(&normalize_header(header)).copied()
    }

    /// Every spelling of `object`'s properties in every language, for suggestions.
    pub fn spellings(&self, object: &str) -> impl Iterator<Item = (&str, PropertyId)> {
        self.index(object)
            .into_iter()
            .flat_map(|i| self.tables[i].iter())
            .flat_map(|t| t.iter().map(|(k, &p)| (k.as_str(), p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_maps(v: &Vocabulary, lang: &str, object: &str, property: &str, raws: &[&str]) {
        let o = v.object(object).unwrap_or_else(|| panic!("no object {object}"));
        let want = o.property_id(property).unwrap_or_else(|| panic!("no property {object}.{property}"));
        for raw in raws {
            assert_eq!(v.lookup_in(object, raw, lang), Some(want), "{lang}: {raw:?} -> {object}.{property}");
        }
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_header("E-mailadres"), "emailadres");
        assert_eq!(normalize_header("Prénom"), "prénom");
        assert_eq!(normalize_header("Número de teléfono"), "númerodeteléfono");
        assert_eq!(normalize_header("  STRASSE / Nr. "), "strassenr");
        assert_eq!(normalize_header("Nom de l’entreprise"), "nomdelentreprise");
        assert_eq!(normalize_header("ÉTAT"), "état");
        assert_eq!(normalize_header("-/ "), "");
    }

    #[test]
    fn english_knows_internal_names_and_labels() {
        let v = Vocabulary::standard();
        for o in v.objects() {
            for p in &o.properties {
                assert_eq!(v.lookup_in(&o.name, &p.name, "en"), Some(p.id), "{}.{}", o.name, p.name);
                assert_eq!(
                    v.lookup_in(&o.name, &p.label, "en"),
                    Some(p.id),
                    "{}.{} '{}'",
                    o.name,
                    p.name,
                    p.label
                );
            }
        }
    }

    #[test]
    fn the_same_word_differs_by_object_and_language_falls_back_to_english() {
        let v = Vocabulary::standard();
        assert_maps(&v, "en", "contacts", "company", &["Company", "Account Name", "Organization"]);
        assert_maps(&v, "en", "companies", "name", &["Company", "Account Name", "Name", "Organisation"]);
        assert_maps(&v, "nl", "contacts", "company", &["Bedrijf"]);
        assert_maps(&v, "nl", "companies", "name", &["Bedrijf", "Naam"]);
        assert_maps(&v, "fr", "contacts", "lastname", &["Nom"]);
        assert_maps(&v, "fr", "companies", "name", &["Nom"]);
        assert_maps(&v, "es", "contacts", "state", &["Estado"]);
        assert_eq!(v.lookup_in("contacts", "Name", "en"), None);
        let email = v.object("contacts").unwrap().property_id("email");
        assert_eq!(v.lookup("contacts", "Email Address", "nl"), email, "English is the fallback");
        assert_eq!(v.lookup("contacts", "E-mailadres", "en"), email, "then every other language");
    }

    #[test]
    fn spellings_in_every_language() {
        let v = Vocabulary::standard();
        let c = "contacts";
        assert_maps(&v, "en", c, "email", &["E-mail", "Email Address", "E-mail Address"]);
        assert_maps(&v, "en", c, "firstname", &["Given Name", "First", "first_name"]);
        assert_maps(&v, "en", c, "zip", &["Zip", "Postcode", "ZIP Code"]);
        assert_maps(&v, "en", c, "hs_object_id", &["Contact ID", "ID"]);
        assert_maps(&v, "en", "companies", "numberofemployees", &["Employees"]);
        assert_maps(&v, "nl", c, "firstname", &["Voornaam"]);
        assert_maps(&v, "nl", c, "email", &["E-mailadres", "E-mail adres"]);
        assert_maps(&v, "nl", c, "lifecyclestage", &["Levenscyclusfase"]);
        assert_maps(&v, "da", c, "firstname", &["Fornavn"]);
        assert_maps(&v, "da", c, "company", &["Virksomhed", "Firma", "Firmanavn"]);
        assert_maps(&v, "da", c, "zip", &["Postnummer"]);
        assert_maps(&v, "de", c, "lastname", &["Nachname", "Familienname"]);
        assert_maps(&v, "de", c, "zip", &["PLZ", "Postleitzahl"]);
        assert_maps(&v, "de", c, "address", &["Straße", "Strasse", "Adresse"]);
        assert_maps(&v, "fr", c, "firstname", &["Prénom", "Prenom"]);
        assert_maps(&v, "fr", c, "company", &["Entreprise", "Société", "Nom de l'entreprise"]);
        assert_maps(&v, "es", c, "email", &["Correo electrónico", "Correo", "Email"]);
        assert_maps(&v, "es", c, "mobilephone", &["Móvil", "Celular"]);
        assert_maps(&v, "es", c, "lifecyclestage", &["Etapa del ciclo de vida"]);
    }
}
