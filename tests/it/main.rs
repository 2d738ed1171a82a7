//! Integration tests of the ingest engine: one test binary, one module per concern.

mod cli;
mod corpora;
mod differential;
mod model;
mod support;
