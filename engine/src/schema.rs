//! The CRM model as the engine sees it: the store's schema ([`store::schema`]),
//! read once per command, with the lookups the stages share.
//!
//! Every stage takes the object it works on as an [`Object`] (a shared
//! [`ObjectDef`] of the schema the import read when it started), so that a
//! custom property defined by the same import is seen by all of them.

use std::sync::Arc;

pub use store::schema::{
    EnumOption, ObjectDef, ObjectKind, Pipeline, PropertyDef, PropertyId, PropertyType, RECORD_ID, Schema,
    Stage,
};

/// An object of the schema, shared by the stages of one import.
pub type Object = Arc<ObjectDef>;

/// The objects of `schema`, as [`Object`]s, in the schema's order.
pub fn objects(schema: &Schema) -> Vec<Object> {
    schema.objects.iter().cloned().map(Arc::new).collect()
}

/// The property `id` of `object`; IDs handed around by the stages come from the
/// object's own schema, so a missing one is a bug.
pub fn property(object: &ObjectDef, id: PropertyId) -> &PropertyDef {
    object.property(id).unwrap_or_else(|| panic!("{} has no property {id}", object.name))
}

/// The names of the objects of `schema`, for messages (`contacts, companies, ...`).
pub fn object_names(schema: &Schema) -> String {
    schema.names().collect::<Vec<_>>().join(", ")
}
