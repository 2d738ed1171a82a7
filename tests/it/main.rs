//! Integration tests of the ingest engine: one test binary, one module per concern.

// Test data is built with `push_str(&format!(..))` for readability.
#![allow(clippy::format_push_string)]

mod association_names;
mod associations;
mod cli;
mod corpora;
mod corruption;
mod create_properties;
mod delete;
mod differential;
mod errors;
mod export_parquet;
mod faults;
mod formats;
mod hubspot_layout;
mod identifiers;
mod input_errors;
mod jobs;
mod limits;
mod model;
mod model_history;
mod model_links;
mod model_objects;
mod objects;
mod owners;
mod replay;
mod safety;
mod schema;
mod support;
mod undo;
mod value_types;
mod values;
