//! Associations in the engine (SPEC 6): the links between records that the store
//! keeps ([`store::Link`]), as the commands see them.
//!
//! [`types`] edits the schema's association types (labels, limits: `schema
//! add-label`, `schema set-limit`, the `[[associations]]` of a schema file);
//! [`change`] makes and removes single links (`ingest associate`, `ingest
//! dissociate`); [`view`] writes a record's links for `get`, `export` and
//! `ingest associations`. The rules themselves (both directions, labels only
//! added, one primary company, limits) are the store's ([`store::LinkWriter`]).

pub mod change;
pub mod types;
pub mod view;
