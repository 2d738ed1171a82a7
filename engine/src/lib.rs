//! The streaming CRM import pipeline, and the library behind the `ingest` binary.
//!
//! An import flows one way through stages that each live in one module:
//!
//! ```text
//! source -> dialect -> split -> decode -> transform -> plan -> commit
//! (mmap)   (encoding,  (quote-  (Arrow    (map, validate, (file order: (one redb
//!           delimiter)  safe     batches,  normalize,      match, create writer
//!                       chunks)  rayon)    look up keys)   or update)   thread)
//! ```
//!
//! Every stage reports a problem with a row or a value as one type, an
//! [`issue::Issue`] with its position (file, line, byte, column), code and value:
//! decode for the records it cannot decode, transform and plan for the rows, and
//! the reports and `inspect` write them.
//!
//! [`import::run`] drives the stages; the commands of the binary (`cli`) are thin
//! glue over [`import`], [`inspect`], [`export`] and [`datagen`]. The store itself
//! (tables, record encoding, durability) is the `store` crate.
//!
//! ```no_run
//! use engine::import::{ImportSpec, run};
//! let store = store::Store::open("crm.redb").unwrap();
//! let opts = ImportSpec { files: vec!["contacts.csv".into()], ..ImportSpec::default() };
//! let summary = run(&store, &opts, &engine::progress::Progress::hidden()).unwrap();
//! println!("{} rows, {} failed", summary.rows, summary.rows_failed);
//! ```

pub mod associate;
pub mod cli;
pub mod codes;
pub mod column_properties;
pub mod commit;
pub mod common_column;
pub mod datagen;
pub mod export;
pub mod holder;
pub mod import;
pub mod input;
pub mod inspect;
pub mod interrupt;
pub mod issue;
pub mod mapping;
pub mod normalize;
pub mod plan;
pub mod progress;
pub mod replay;
pub mod report;
pub mod resolve;
pub mod schema;
pub mod schema_edit;
pub mod spec;
pub mod timing;
