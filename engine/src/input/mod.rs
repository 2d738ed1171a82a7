//! The input stage: bytes of a file to decoded Arrow batches, in file order.
//!
//! [`source`] maps or reads the file, [`dialect`] finds its encoding and delimiter
//! (transcoding to UTF-8 where needed), [`split`] cuts it quote-safely into chunks,
//! [`decode`] turns a chunk into an Arrow `RecordBatch` of text columns with the
//! line of every row, and [`pieces`] decodes windows of chunks in parallel and
//! hands them on in file order. Spreadsheets are read through [`sheet`], their
//! typed cells turned into the same text by [`cells`].

pub mod cells;
pub mod convert;
pub mod decode;
pub mod dialect;
pub mod fingerprint;
pub mod parquet;
pub mod pieces;
pub mod sheet;
pub mod source;
pub mod split;
