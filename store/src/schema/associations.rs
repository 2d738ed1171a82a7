//! Association types: what the schema says about the links between two objects.
//!
//! Records of any two objects (an object and itself included) can be linked
//! without a definition; a definition holds the pair's labels and limits. It is
//! stored on the pair's first object by name ([`ObjectDef::associations`] of
//! `companies` holds the `companies`-`contacts` pair), so that a pair is defined
//! once and travels with the schema's checksummed object entries. Labels have
//! stable IDs within their pair, as properties do within their object: links store
//! label IDs, and an ID is never reused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ObjectDef, Schema};

/// A label's stable number within its object pair.
pub type LabelId = u16;

/// The objects whose records have a primary company among their associated
/// companies (SPEC 1).
pub const PRIMARY_COMPANY_OBJECTS: [&str; 3] = ["contacts", "deals", "tickets"];

/// The object a primary company belongs to.
pub const COMPANIES: &str = "companies";

/// Whether a link between a record of `a` and a record of `b` can be a primary
/// company association: the record's object is one of
/// [`PRIMARY_COMPANY_OBJECTS`] and the other is `companies`. Returns the record's
/// side (`true` when `a` is the record, `false` when `b` is), or `None`.
pub fn primary_side(a: &str, b: &str) -> Option<bool> {
    if b == COMPANIES && PRIMARY_COMPANY_OBJECTS.contains(&a) {
        Some(true)
    } else if a == COMPANIES && PRIMARY_COMPANY_OBJECTS.contains(&b) {
        Some(false)
    } else {
        None
    }
}

/// One label of an object pair (`Advisor`, `Billing contact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociationLabel {
    /// Stable ID within the pair, from 1.
    pub id: LabelId,
    /// The label as users write it.
    pub name: String,
}

/// The labels and limits of the links between two objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociationType {
    /// The other object of the pair (its name sorts after, or is, the name of the
    /// object this type is stored on).
    pub with: String,
    /// Labels, ascending by ID.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<AssociationLabel>,
    /// IDs of deleted labels, never reused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_labels: Vec<LabelId>,
    /// Per object of the pair: how many records of the other object one of its
    /// records may be linked with (`contacts: 1` = a contact has at most one
    /// company). No entry: no limit.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, u32>,
}

impl AssociationType {
    /// The label named `name`, compared case-insensitively and with surrounding
    /// spaces ignored.
    pub fn label_named(&self, name: &str) -> Option<&AssociationLabel> {
        let name = name.trim().to_lowercase();
        self.labels.iter().find(|l| l.name.to_lowercase() == name)
    }

    /// The label with ID `id`.
    pub fn label(&self, id: LabelId) -> Option<&AssociationLabel> {
        self.labels.iter().find(|l| l.id == id)
    }

    /// The next free label ID.
    pub fn next_label_id(&self) -> LabelId {
        self.labels.iter().map(|l| l.id).chain(self.deleted_labels.iter().copied()).max().map_or(1, |m| m + 1)
    }

    pub(super) fn validate(&self, object: &ObjectDef) -> Result<(), String> {
        let pair = format!("{}-{}", object.name, self.with);
        if self.with < object.name {
            return Err(format!("{pair}: the pair is stored on {}, the first by name", self.with));
        }
        for w in self.labels.windows(2) {
            if w[0].id >= w[1].id {
                return Err(format!("{pair}: label IDs must ascend ({} then {})", w[0].id, w[1].id));
            }
        }
        for (i, l) in self.labels.iter().enumerate() {
            if l.id == 0 || l.name.trim().is_empty() || l.name.contains(';') {
                return Err(format!("{pair}: label {:?} needs an ID from 1 and a name without ';'", l.name));
            }
            if self.labels[..i].iter().any(|o| o.name.to_lowercase() == l.name.to_lowercase()) {
                return Err(format!("{pair}: label {} is defined twice", l.name));
            }
            if self.deleted_labels.contains(&l.id) {
                return Err(format!("{pair}: label {} is deleted, its ID cannot be used again", l.id));
            }
        }
        if let Some(o) = self.limits.keys().find(|o| **o != object.name && **o != self.with) {
            return Err(format!("{pair}: a limit for {o}, which is not in the pair"));
        }
        if self.limits.values().any(|&n| n == 0) {
            return Err(format!("{pair}: a limit must be at least 1"));
        }
        Ok(())
    }
}

/// The two objects of a pair in the order types are stored: the first by name.
pub fn pair_order<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Schema {
    /// The association type of objects `a` and `b` (either order), if defined.
    pub fn association(&self, a: &str, b: &str) -> Option<&AssociationType> {
        let (first, second) = pair_order(a, b);
        self.object(first)?.associations.iter().find(|t| t.with == second)
    }

    /// How many records of `to` a record of `from` may be linked with.
    pub fn association_limit(&self, from: &str, to: &str) -> Option<u32> {
        self.association(from, to)?.limits.get(from).copied()
    }

    /// Every association type, as `(first object, type)`.
    pub fn associations(&self) -> impl Iterator<Item = (&str, &AssociationType)> {
        self.objects.iter().flat_map(|o| o.associations.iter().map(move |t| (o.name.as_str(), t)))
    }
}

impl ObjectDef {
    /// The association type with `other`, stored on this object (which must be
    /// the pair's first by name), created empty if missing.
    pub fn association_mut(&mut self, other: &str) -> &mut AssociationType {
        debug_assert!(self.name.as_str() <= other, "a pair is stored on its first object by name");
        if let Some(i) = self.associations.iter().position(|t| t.with == other) {
            return &mut self.associations[i];
        }
        self.associations.push(AssociationType {
            with: other.to_owned(),
            labels: Vec::new(),
            deleted_labels: Vec::new(),
            limits: BTreeMap::new(),
        });
        self.associations.sort_by(|a, b| a.with.cmp(&b.with));
        let i = self.associations.iter().position(|t| t.with == other).expect("just added");
        &mut self.associations[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::standard;

    #[test]
    fn a_pair_is_found_in_either_order_and_labels_get_stable_ids() {
        let mut schema = standard().clone();
        let companies = schema.objects.iter_mut().find(|o| o.name == "companies").unwrap();
        let t = companies.association_mut("contacts");
        let id = t.next_label_id();
        t.labels.push(AssociationLabel { id, name: "Advisor".into() });
        t.limits.insert("contacts".into(), 2);
        companies.validate().unwrap();
        assert_eq!(
            schema.association("contacts", "companies").unwrap().label_named(" advisor ").unwrap().id,
            1
        );
        assert_eq!(schema.association_limit("contacts", "companies"), Some(2));
        assert_eq!(schema.association_limit("companies", "contacts"), None);
        assert!(schema.association("contacts", "deals").is_none());
    }

    #[test]
    fn validate_refuses_repeated_labels_reused_ids_and_foreign_limits() {
        let mut o = standard().object("companies").unwrap().clone();
        let t = o.association_mut("contacts");
        t.labels.push(AssociationLabel { id: 1, name: "Advisor".into() });
        t.labels.push(AssociationLabel { id: 2, name: "ADVISOR".into() });
        assert_eq!(o.validate().unwrap_err(), "companies-contacts: label ADVISOR is defined twice");
        let t = o.association_mut("contacts");
        t.labels.pop();
        t.deleted_labels.push(1);
        assert!(o.validate().unwrap_err().contains("is deleted"));
        let t = o.association_mut("contacts");
        t.deleted_labels.clear();
        t.limits.insert("deals".into(), 1);
        assert_eq!(
            o.validate().unwrap_err(),
            "companies-contacts: a limit for deals, which is not in the pair"
        );
        assert_eq!(primary_side("contacts", "companies"), Some(true));
        assert_eq!(primary_side("companies", "tickets"), Some(false));
        assert_eq!(primary_side("contacts", "deals"), None);
    }
}
