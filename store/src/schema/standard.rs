//! The standard model: the data files in `store/model/`, compiled into the binary
//! and read once.
//!
//! `model/objects/<object>.toml` defines an object and its properties (with their
//! stable IDs); `model/headers/<lang>.toml` lists, per object and property, the
//! header spellings of one language. The English vocabulary also gets every
//! property's internal name and label, so that an export (or a file headed with
//! internal names) maps itself.
//!
//! Loading is strict: a header file naming an object or a property that the model
//! lacks, or a spelling that names two properties of one object in one language,
//! fails the load, and the tests below keep the shipped files loadable.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use super::{ObjectDef, Schema};

/// The languages that have a header vocabulary.
pub const LANGUAGES: &[&str] = &["en", "nl", "da", "de", "fr", "es"];

/// The object files, in the model's order.
const OBJECT_FILES: &[(&str, &str)] = &[
    ("contacts", include_str!("../../model/objects/contacts.toml")),
    ("companies", include_str!("../../model/objects/companies.toml")),
    ("deals", include_str!("../../model/objects/deals.toml")),
    ("tickets", include_str!("../../model/objects/tickets.toml")),
    ("products", include_str!("../../model/objects/products.toml")),
    ("line_items", include_str!("../../model/objects/line_items.toml")),
    ("calls", include_str!("../../model/objects/calls.toml")),
    ("tasks", include_str!("../../model/objects/tasks.toml")),
    ("notes", include_str!("../../model/objects/notes.toml")),
    ("meetings", include_str!("../../model/objects/meetings.toml")),
    ("emails", include_str!("../../model/objects/emails.toml")),
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
    load_from(OBJECT_FILES, HEADER_FILES)
}

/// Parses and checks model files given as `(object, text)` and `(language, text)`:
/// every object of a header file must have an object file, every property it names
/// must exist, and within one language no spelling may name two properties of one
/// object.
fn load_from(object_files: &[(&str, &str)], header_files: &[(&str, &str)]) -> Result<Schema, String> {
    let mut objects = Vec::new();
    for (name, text) in object_files {
        let object: ObjectDef = toml::from_str(text).map_err(|e| format!("objects/{name}.toml: {e}"))?;
        if object.name != *name {
            return Err(format!("objects/{name}.toml defines {}", object.name));
        }
        objects.push(object);
    }
    for (lang, text) in header_files {
        let vocabulary: Vocabulary = toml::from_str(text).map_err(|e| format!("headers/{lang}.toml: {e}"))?;
        for (object_name, properties) in vocabulary {
            let object = objects
                .iter_mut()
                .find(|o| o.name == object_name)
                .ok_or_else(|| format!("headers/{lang}.toml: {object_name} is not an object of the model"))?;
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
        check_spellings(object)?;
        object.validate()?;
    }
    Ok(Schema { objects })
}

/// Within one language, a spelling names at most one property of `object` (the
/// English list includes the names and labels added by [`load_from`]).
fn check_spellings(object: &ObjectDef) -> Result<(), String> {
    let mut owners: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for p in &object.properties {
        for (lang, spellings) in &p.headers {
            for s in spellings {
                if let Some(other) = owners.insert((lang.as_str(), s.as_str()), p.name.as_str())
                    && other != p.name
                {
                    return Err(format!(
                        "headers/{lang}.toml: {}: '{s}' names both {other} and {}",
                        object.name, p.name
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;
    use crate::schema::{FIRST_CUSTOM_PROPERTY, ObjectKind, PropertyId, PropertyType, RECORD_ID};

    /// A list of names.
    type Names = &'static [&'static str];

    /// SPEC 1's objects, in the model's order.
    const OBJECTS: &[&str] = &[
        "contacts",
        "companies",
        "deals",
        "tickets",
        "products",
        "line_items",
        "calls",
        "tasks",
        "notes",
        "meetings",
        "emails",
    ];

    fn schema() -> Schema {
        load().unwrap()
    }

    /// The spellings of property `property` of `object` in `lang`.
    fn spellings<'a>(schema: &'a Schema, object: &str, property: &str, lang: &str) -> &'a [String] {
        let p = schema
            .object(object)
            .unwrap()
            .property_named(property)
            .unwrap_or_else(|| panic!("{object}.{property}"));
        p.headers.get(lang).map_or(&[], Vec::as_slice)
    }

    /// The property of `object` that header `raw` names in `lang`, if any.
    fn named_by<'a>(schema: &'a Schema, object: &str, lang: &str, raw: &str) -> Option<&'a str> {
        let key = normalize_header(raw);
        schema
            .object(object)
            .unwrap()
            .properties
            .iter()
            .find(|p| p.headers.get(lang).is_some_and(|l| l.contains(&key)))
            .map(|p| p.name.as_str())
    }

    #[test]
    fn the_shipped_model_loads_and_is_valid() {
        let schema = schema();
        assert_eq!(schema.names().collect::<Vec<_>>(), OBJECTS);
        assert_eq!(OBJECT_FILES.iter().map(|(n, _)| *n).collect::<Vec<_>>(), OBJECTS);
        for o in &schema.objects {
            o.validate().unwrap();
            assert!(o.properties.iter().all(|p| p.id < FIRST_CUSTOM_PROPERTY && !p.custom), "{}", o.name);
            assert_eq!(o.next_custom_id(), FIRST_CUSTOM_PROPERTY, "{}", o.name);
        }
        let contacts = schema.object("contacts").unwrap();
        assert_eq!(contacts.property(RECORD_ID).unwrap().ty, PropertyType::RecordId);
        assert_eq!(contacts.identifier_id(), contacts.property_id("email"));
        let firstname = contacts.property_named("firstname").unwrap();
        assert_eq!(firstname.label, "First Name");
        assert!(firstname.headers["nl"].contains(&"voornaam".to_owned()));
        assert!(firstname.headers["en"].contains(&"firstname".to_owned()));
    }

    #[test]
    fn kinds_identifiers_and_creation_rules_are_spec_3s() {
        let schema = schema();
        let rules: &[(&str, ObjectKind, Option<&str>, Names, Names)] = &[
            ("contacts", ObjectKind::Standard, Some("email"), &["email", "firstname", "lastname"], &[]),
            ("companies", ObjectKind::Standard, Some("domain"), &["name", "domain"], &[]),
            ("deals", ObjectKind::Standard, None, &["dealname"], &[]),
            ("tickets", ObjectKind::Standard, None, &["subject"], &[]),
            ("products", ObjectKind::Standard, None, &["name"], &[]),
            ("line_items", ObjectKind::Standard, None, &["name", "hs_product_id"], &[]),
            ("calls", ObjectKind::Activity, None, &[], &["hs_timestamp"]),
            ("tasks", ObjectKind::Activity, None, &[], &["hs_timestamp"]),
            ("notes", ObjectKind::Activity, None, &[], &["hs_timestamp", "hs_note_body"]),
            ("meetings", ObjectKind::Activity, None, &[], &["hs_timestamp"]),
            ("emails", ObjectKind::Activity, None, &[], &["hs_timestamp"]),
        ];
        for &(name, kind, identifier, any, all) in rules {
            let o = schema.object(name).unwrap();
            assert_eq!(o.kind, kind, "{name}");
            assert_eq!(o.identifier.as_deref(), identifier, "{name}");
            assert_eq!(o.required_any, any, "{name}");
            assert_eq!(o.required_all, all, "{name}");
            assert_eq!(o.updatable, name == "calls", "{name}");
            assert_eq!(o.create_only(), kind == ObjectKind::Activity && name != "calls", "{name}");
            if kind == ObjectKind::Activity {
                assert_eq!(o.property_named("hs_timestamp").unwrap().ty, PropertyType::Datetime, "{name}");
            }
        }
        let line_items = schema.object("line_items").unwrap();
        assert!(line_items.property_named("quantity").unwrap().integer);
        let sku = schema.object("products").unwrap().property_named("hs_sku").unwrap();
        assert!(!sku.unique);
    }

    #[test]
    fn the_must_have_properties_of_spec_1_exist() {
        let schema = schema();
        let must: &[(&str, &[&str])] = &[
            (
                "contacts",
                &[
                    "email",
                    "firstname",
                    "lastname",
                    "phone",
                    "company",
                    "website",
                    "city",
                    "country",
                    "jobtitle",
                    "lifecyclestage",
                    "hubspot_owner_id",
                    "hs_additional_emails",
                ],
            ),
            (
                "companies",
                &["name", "domain", "industry", "numberofemployees", "annualrevenue", "hubspot_owner_id"],
            ),
            ("deals", &["dealname", "amount", "dealstage", "pipeline", "closedate"]),
            ("tickets", &["subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"]),
            ("products", &["name", "price", "hs_sku"]),
            ("line_items", &["name", "quantity", "price", "hs_product_id"]),
            (
                "calls",
                &["hs_timestamp", "hs_call_title", "hs_call_body", "hs_call_duration", "hs_call_direction"],
            ),
            ("tasks", &["hs_timestamp", "hs_task_subject", "hs_task_status", "hs_task_priority"]),
            ("notes", &["hs_timestamp", "hs_note_body"]),
            (
                "meetings",
                &[
                    "hs_timestamp",
                    "hs_meeting_title",
                    "hs_meeting_body",
                    "hs_meeting_start_time",
                    "hs_meeting_end_time",
                ],
            ),
            ("emails", &["hs_timestamp", "hs_email_subject", "hs_email_text", "hs_email_direction"]),
        ];
        for (object, names) in must {
            let o = schema.object(object).unwrap();
            for n in *names {
                assert!(o.property_named(n).is_some(), "{object}.{n}");
            }
        }
        let contacts = schema.object("contacts").unwrap();
        let extra = contacts.property_named("hs_additional_emails").unwrap();
        assert!(extra.multiple && extra.ty == PropertyType::Email);
        for o in &schema.objects {
            if let Some(owner) = o.property_named("hubspot_owner_id") {
                assert_eq!(owner.ty, PropertyType::Owner, "{}", o.name);
            }
        }
    }

    #[test]
    fn standard_property_ids_of_contacts_and_companies_never_move() {
        let schema = schema();
        let pinned: &[(&str, &[&str])] = &[
            (
                "contacts",
                &[
                    "hs_object_id",
                    "email",
                    "firstname",
                    "lastname",
                    "phone",
                    "mobilephone",
                    "company",
                    "website",
                    "jobtitle",
                    "address",
                    "city",
                    "state",
                    "zip",
                    "country",
                    "lifecyclestage",
                    "date_of_birth",
                    "hs_email_optout",
                ],
            ),
            (
                "companies",
                &[
                    "hs_object_id",
                    "name",
                    "domain",
                    "industry",
                    "numberofemployees",
                    "annualrevenue",
                    "phone",
                    "address",
                    "city",
                    "state",
                    "zip",
                    "country",
                    "website",
                    "description",
                    "founded_year",
                    "lifecyclestage",
                    "is_public",
                ],
            ),
        ];
        for (object, names) in pinned {
            let o = schema.object(object).unwrap();
            for (id, name) in names.iter().enumerate() {
                let id = PropertyId::try_from(id).unwrap();
                assert_eq!(o.property(id).map(|p| p.name.as_str()), Some(*name), "{object} property {id}");
            }
            assert!(o.properties.len() > names.len(), "{object}: HubSpot's default properties follow");
        }
    }

    #[test]
    fn every_property_has_a_spelling_in_every_language() {
        let schema = schema();
        for o in &schema.objects {
            for p in &o.properties {
                for lang in LANGUAGES {
                    assert!(
                        !spellings(&schema, &o.name, &p.name, lang).is_empty(),
                        "{lang}: {}.{} has no spelling",
                        o.name,
                        p.name
                    );
                }
            }
            for lang in LANGUAGES {
                assert!(
                    o.headers.get(*lang).is_some_and(|l| !l.is_empty()),
                    "{lang}: {} has no _object spelling",
                    o.name
                );
            }
        }
    }

    #[test]
    fn no_spelling_names_two_properties_of_one_object_in_one_language() {
        let schema = schema();
        for o in &schema.objects {
            for lang in LANGUAGES {
                let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
                for p in &o.properties {
                    for s in spellings(&schema, &o.name, &p.name, lang) {
                        assert_eq!(
                            normalize_header(s),
                            *s,
                            "{lang}: {}.{}: {s} is not normalized",
                            o.name,
                            p.name
                        );
                        if let Some(other) = seen.insert(s, &p.name) {
                            assert_eq!(other, p.name, "{lang}: {}: {s} names {other} and {}", o.name, p.name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn no_object_spelling_names_two_objects_in_one_language() {
        let schema = schema();
        for lang in LANGUAGES {
            let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
            for o in &schema.objects {
                for s in &o.headers[*lang] {
                    if let Some(other) = seen.insert(s, &o.name) {
                        assert_eq!(
                            other, o.name,
                            "{lang}: _object spelling {s} names {other} and {}",
                            o.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_object_of_the_header_files_exists() {
        let schema = schema();
        for (lang, text) in HEADER_FILES {
            let vocabulary: Vocabulary = toml::from_str(text).unwrap();
            for object in vocabulary.keys() {
                assert!(schema.object(object).is_some(), "headers/{lang}.toml: {object} is not an object");
            }
            for object in schema.names() {
                assert!(vocabulary.contains_key(object), "headers/{lang}.toml lacks {object}");
            }
        }
    }

    #[test]
    fn enumerations_have_options_with_distinct_values_and_labels() {
        let schema = schema();
        for o in &schema.objects {
            for p in &o.properties {
                assert_eq!(p.ty == PropertyType::Enumeration, !p.options.is_empty(), "{}.{}", o.name, p.name);
                let values: HashSet<_> = p.options.iter().map(|o| o.value.to_lowercase()).collect();
                let labels: HashSet<_> = p.options.iter().map(|o| o.label.to_lowercase()).collect();
                assert_eq!(values.len(), p.options.len(), "{}.{}: option values repeat", o.name, p.name);
                assert_eq!(labels.len(), p.options.len(), "{}.{}: option labels repeat", o.name, p.name);
            }
        }
        let lead_status = schema.object("contacts").unwrap().property_named("hs_lead_status").unwrap();
        assert_eq!(lead_status.option("attempted to contact").unwrap().value, "ATTEMPTED_TO_CONTACT");
        let kind = schema.object("companies").unwrap().property_named("type").unwrap();
        assert_eq!(
            kind.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(),
            ["PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER"]
        );
    }

    #[test]
    fn deals_and_tickets_have_hubspots_default_pipelines() {
        let schema = schema();
        let cases: &[(&str, [&str; 4], Names, Names)] = &[
            (
                "deals",
                ["pipeline", "dealstage", "default", "Sales Pipeline"],
                &[
                    "appointmentscheduled",
                    "qualifiedtobuy",
                    "presentationscheduled",
                    "decisionmakerboughtin",
                    "contractsent",
                    "closedwon",
                    "closedlost",
                ],
                &["closedwon", "closedlost"],
            ),
            (
                "tickets",
                ["hs_pipeline", "hs_pipeline_stage", "0", "Support Pipeline"],
                &["1", "2", "3", "4"],
                &["4"],
            ),
        ];
        for &(object, [pipeline_property, stage_property, id, label], stages, closed) in cases {
            let o = schema.object(object).unwrap();
            assert_eq!(o.pipeline_property.as_deref(), Some(pipeline_property));
            assert_eq!(o.stage_property.as_deref(), Some(stage_property));
            for property in [pipeline_property, stage_property] {
                let p = o.property_named(property).unwrap();
                assert_eq!(p.ty, PropertyType::String, "{object}.{property}");
                assert!(p.options.is_empty());
            }
            let pipeline = &o.pipelines[0];
            assert_eq!((pipeline.id.as_str(), pipeline.label.as_str()), (id, label));
            assert_eq!(pipeline.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), stages);
            assert_eq!(
                pipeline.stages.iter().filter(|s| s.closed).map(|s| s.id.as_str()).collect::<Vec<_>>(),
                closed
            );
            let ids: HashSet<_> = pipeline.stages.iter().map(|s| &s.id).collect();
            assert_eq!(ids.len(), pipeline.stages.len());
        }
        for o in &schema.objects {
            assert_eq!(
                o.pipelines.is_empty(),
                !["deals", "tickets"].contains(&o.name.as_str()),
                "{}",
                o.name
            );
        }
    }

    #[test]
    fn a_header_in_each_language_finds_its_property() {
        let schema = schema();
        let cases = [
            ("en", "contacts", "First Name", "firstname"),
            ("en", "contacts", "Contact owner", "hubspot_owner_id"),
            ("en", "contacts", "Lead Status", "hs_lead_status"),
            ("en", "deals", "Deal Stage", "dealstage"),
            ("en", "meetings", "Start Time", "hs_meeting_start_time"),
            ("nl", "deals", "Dealnaam", "dealname"),
            ("nl", "contacts", "E-mailadres", "email"),
            ("nl", "companies", "Aanmaakdatum", "createdate"),
            ("da", "contacts", "Fornavn", "firstname"),
            ("da", "tickets", "Prioritet", "hs_ticket_priority"),
            ("de", "contacts", "Vorname", "firstname"),
            ("de", "line_items", "Menge", "quantity"),
            ("fr", "contacts", "Prénom", "firstname"),
            ("fr", "tasks", "Date d'échéance", "hs_timestamp"),
            ("es", "contacts", "Nombre", "firstname"),
            ("es", "calls", "Duración de la llamada", "hs_call_duration"),
        ];
        for (lang, object, header, property) in cases {
            assert_eq!(named_by(&schema, object, lang, header), Some(property), "{lang}: {object} {header}");
        }
        assert!(schema.object("companies").unwrap().headers["nl"].contains(&"bedrijf".to_owned()));
        assert!(schema.object("contacts").unwrap().headers["en"].contains(&"people".to_owned()));
    }

    #[test]
    fn object_definitions_round_trip_through_json() {
        for o in &schema().objects {
            let json = serde_json::to_string(o).unwrap();
            assert_eq!(&serde_json::from_str::<ObjectDef>(&json).unwrap(), o);
        }
    }

    const TINY: &str = r#"
name = "contacts"
singular = "Contact"
label = "Contacts"
[[properties]]
id = 0
name = "hs_object_id"
label = "Record ID"
type = "record_id"
[[properties]]
id = 1
name = "firstname"
label = "First Name"
type = "string"
[[properties]]
id = 2
name = "lastname"
label = "Last Name"
type = "string"
"#;

    fn load_tiny(headers: &str) -> Result<Schema, String> {
        load_from(&[("contacts", TINY)], &[("nl", headers)])
    }

    #[test]
    fn the_loader_rejects_broken_vocabularies() {
        assert!(load_tiny("[contacts]\nfirstname = [\"Voornaam\"]\nlastname = [\"Achternaam\"]\n").is_ok());
        let unknown_object =
            load_tiny("[contacts]\nfirstname = [\"Voornaam\"]\n[deals]\ndealname = [\"Dealnaam\"]\n");
        assert!(unknown_object.unwrap_err().contains("deals is not an object"));
        let unknown_property = load_tiny("[contacts]\nvoornaam = [\"Voornaam\"]\n");
        assert!(unknown_property.unwrap_err().contains("no property voornaam"));
        let twice = load_tiny("[contacts]\nfirstname = [\"Naam\"]\nlastname = [\"naam\"]\n");
        assert!(twice.unwrap_err().contains("'naam' names both firstname and lastname"));
        let empty = load_tiny("[contacts]\nfirstname = [\"--\"]\n");
        assert!(empty.unwrap_err().contains("empty spelling"));
        // English also holds every name and label: a spelling that is another property's label collides.
        let label = load_from(&[("contacts", TINY)], &[("en", "[contacts]\nfirstname = [\"Last Name\"]\n")]);
        assert!(label.unwrap_err().contains("names both"));
    }

    #[test]
    fn the_loader_rejects_broken_objects() {
        let renamed = TINY.replacen("name = \"contacts\"", "name = \"people\"", 1);
        assert!(load_from(&[("contacts", &renamed)], &[]).unwrap_err().contains("defines people"));
        let no_rule =
            TINY.replacen("label = \"Contacts\"", "label = \"Contacts\"\nrequired_all = [\"birthday\"]", 1);
        assert!(
            load_from(&[("contacts", &no_rule)], &[]).unwrap_err().contains("birthday is not a property")
        );
    }
}
