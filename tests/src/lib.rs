//! Integration tests of the workspace live in `it/` (one module per concern, see
//! `it/main.rs`); this library is empty. The package also builds the command line
//! under test, `ingest-under-test`, which is `engine::cli::main`.
