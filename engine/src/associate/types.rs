//! Association types in the schema: labels and limits per object pair.

use serde::{Deserialize, Serialize};
use store::Store;
use store::schema::{AssociationLabel, ObjectDef, Schema, pair_order};

use crate::schema_edit::{EditError, edit, find_object};

/// A label added (or found) by [`add_label_to`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelAdded {
    /// The pair, first object by name first.
    pub objects: [String; 2],
    /// The label's ID within the pair.
    pub id: u16,
    /// The label.
    pub label: String,
    /// False when the pair already had it (nothing changed).
    pub added: bool,
}

/// The first object of the pair `a`-`b` (by name) with the pair's label `name`
/// added, or `None` when it has it already; and the label.
pub fn add_label(
    schema: &Schema,
    a: &str,
    b: &str,
    name: &str,
) -> Result<(Option<ObjectDef>, LabelAdded), EditError> {
    find_object(schema, a)?;
    find_object(schema, b)?;
    let name = name.trim();
    if name.is_empty() || name.contains(';') {
        return Err(EditError::Usage(format!("a label needs a name without ';', not {name:?}")));
    }
    let (first, second) = pair_order(a, b);
    let objects = [first.to_owned(), second.to_owned()];
    if let Some(l) = schema.association(first, second).and_then(|t| t.label_named(name)) {
        return Ok((None, LabelAdded { objects, id: l.id, label: l.name.clone(), added: false }));
    }
    let mut object = find_object(schema, first)?.clone();
    let t = object.association_mut(second);
    let id = t.next_label_id();
    t.labels.push(AssociationLabel { id, name: name.to_owned() });
    object.validate().map_err(EditError::Conflict)?;
    Ok((Some(object), LabelAdded { objects, id, label: name.to_owned(), added: true }))
}

/// `schema add-label A B LABEL`.
pub fn add_label_to(store: &Store, a: &str, b: &str, name: &str) -> anyhow::Result<LabelAdded> {
    edit(store, |_, schema| {
        let (object, added) = add_label(schema, a, b, name)?;
        Ok((object.into_iter().collect(), added))
    })
}

/// The first object of the pair `from`-`to` with the limit of links a record of
/// `from` may have with records of `to` set (`None`: no limit), or `None` when it
/// is already so.
pub fn set_limit(
    schema: &Schema,
    from: &str,
    to: &str,
    limit: Option<u32>,
) -> Result<Option<ObjectDef>, EditError> {
    find_object(schema, from)?;
    find_object(schema, to)?;
    if limit == Some(0) {
        return Err(EditError::Usage("a limit must be at least 1 (or `none`)".into()));
    }
    if schema.association_limit(from, to) == limit {
        return Ok(None);
    }
    let (first, second) = pair_order(from, to);
    let mut object = find_object(schema, first)?.clone();
    let t = object.association_mut(second);
    match limit {
        Some(n) => {
            t.limits.insert(from.to_owned(), n);
        }
        None => {
            t.limits.remove(from);
        }
    }
    if t.labels.is_empty() && t.limits.is_empty() && t.deleted_labels.is_empty() {
        object.associations.retain(|t| t.with != second);
    }
    object.validate().map_err(EditError::Conflict)?;
    Ok(Some(object))
}

/// `schema set-limit FROM TO N|none`; returns whether anything changed.
pub fn set_limit_to(store: &Store, from: &str, to: &str, limit: Option<u32>) -> anyhow::Result<bool> {
    edit(store, |_, schema| {
        let object = set_limit(schema, from, to, limit)?;
        let changed = object.is_some();
        Ok((object.into_iter().collect(), changed))
    })
}

/// An `[[associations]]` entry of a schema file: a pair's labels and limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationDecl {
    /// The two objects (either order; the same object twice for same-object links).
    pub objects: [String; 2],
    /// Labels the pair has (added where missing; labels are never removed).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Per object of the pair: how many records of the other one of its records
    /// may be linked with.
    #[serde(default)]
    pub limits: std::collections::BTreeMap<String, u32>,
}

/// Applies `decls` to `schema` (already holding the other changes of the file):
/// the objects to save, and one line per change.
pub fn apply(
    schema: &mut Schema,
    decls: &[AssociationDecl],
    changes: &mut Vec<String>,
) -> Result<Vec<String>, EditError> {
    let mut touched = Vec::new();
    for d in decls {
        let [a, b] = &d.objects;
        for label in &d.labels {
            if let (Some(object), added) = add_label(schema, a, b, label)? {
                changes.push(format!(
                    "{}-{}: added label {} (ID {})",
                    added.objects[0], added.objects[1], added.label, added.id
                ));
                touched.push(object.name.clone());
                replace(schema, object);
            }
        }
        for (from, &n) in &d.limits {
            if from != a && from != b {
                return Err(EditError::Conflict(format!(
                    "{a}-{b}: a limit for {from}, which is not in the pair"
                )));
            }
            let to = if from == a { b } else { a };
            if let Some(object) = set_limit(schema, from, to, Some(n))? {
                changes.push(format!("{from}-{to}: {}", limit_words(schema, from, to, Some(n))));
                touched.push(object.name.clone());
                replace(schema, object);
            }
        }
    }
    touched.sort();
    touched.dedup();
    Ok(touched)
}

/// `a contact has at most 1 associated company` / `contacts have no limit of associated companies`.
pub fn limit_words(schema: &Schema, from: &str, to: &str, limit: Option<u32>) -> String {
    let word = |o: &str, plural: bool| {
        schema.object(o).map_or_else(
            || o.to_owned(),
            |d| if plural { d.label.to_lowercase() } else { d.singular.to_lowercase() },
        )
    };
    match limit {
        Some(n) => format!("a {} has at most {n} associated {}", word(from, false), word(to, n != 1)),
        None => format!("{} have no limit of associated {}", word(from, true), word(to, true)),
    }
}

fn replace(schema: &mut Schema, object: ObjectDef) {
    if let Some(o) = schema.objects.iter_mut().find(|o| o.name == object.name) {
        *o = object;
    }
}
