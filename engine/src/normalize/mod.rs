//! The normalize stage: mapped cells to typed, validated, normalized values.
//!
//! [`values`] parses one cell by its property's type; [`transform`] runs it over
//! every mapped column of a decoded piece (in parallel across pieces), packs each
//! row's values for the store and looks the row's identifiers up in the snapshot.
//! [`owners`] matches owner cells against the store's owners; [`pipelines`]
//! checks stages against their pipeline; [`evidence`] reads a whole date or
//! number column to choose its date order or number locale when the user gave
//! none; [`infer`] reads whole columns before an import to type the custom
//! properties it creates from them.

pub mod evidence;
pub mod infer;
pub mod memo;
pub mod owners;
pub mod pipelines;
pub mod transform;
pub mod values;
