//! The normalize stage: mapped cells to typed, validated, normalized values.
//!
//! [`values`] parses one cell by its property's type; [`transform`] runs it over
//! every mapped column of a decoded piece (in parallel across pieces), packs each
//! row's values for the store and looks the row's identifiers up in the snapshot.
//! [`owners`] matches owner cells against the store's owners. [`infer`] reads whole
//! columns before an import to type the custom properties it creates from them.

pub mod infer;
pub mod owners;
pub mod pipelines;
pub mod transform;
pub mod values;
