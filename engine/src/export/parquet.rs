//! `ingest export OBJ --format parquet` (SPEC 8): every record of an object as one
//! Parquet file with typed Arrow columns, for `DuckDB`, Polars, Spark and pandas.
//!
//! # Columns
//!
//! One column per property of the schema, in schema order (ascending property ID,
//! the order of the CSV header), named by internal name; a record without a value
//! for a property has a null there. Values of deleted properties are not exported.
//!
//! | property                              | column                              |
//! |---------------------------------------|-------------------------------------|
//! | `hs_object_id`                        | `Int64`, never null                 |
//! | number with `integer`                 | `Int64`                             |
//! | number                                | `Float64`                           |
//! | bool                                  | `Boolean`                           |
//! | date                                  | `Date32` (Parquet `DATE`)           |
//! | datetime                              | `Timestamp(Microsecond, "UTC")`     |
//! | any property with `multiple`          | `List<Utf8>` (non-null items)       |
//! | string, email, phone, domain, url, enumeration, owner | `Utf8`              |
//!
//! Then the associations, named as the CSV export names its columns (names no
//! property can have: internal names are lowercase, digits and `_`):
//!
//! - `Associated <Objects>` (`Associated Companies`), one per object of the schema
//!   in schema order: `List<Int64>` (non-null items), never null, the linked
//!   records' IDs ascending, an empty list without links;
//! - `Primary Company`, for contacts, deals and tickets: `Int64`, null without one.
//!
//! Why these types:
//!
//! - **`hs_object_id` is `Int64`, not `UInt64`.** Spark has no unsigned integers (it
//!   reads a Parquet `UINT_64` column as `decimal(20,0)` since 3.2 and refuses it
//!   before), while `DuckDB` (`BIGINT`), Polars (`Int64`) and pandas (`int64`) read
//!   `Int64` natively; it is also the type other systems give their IDs, so joins need
//!   no cast. Record IDs count up from 1 and never come near 2^63; an ID that did
//!   would fail the export rather than wrap.
//! - **Numbers are `Float64`** (whole-number properties `Int64`): the type every
//!   reader computes with natively (`DuckDB` `DOUBLE`, Polars `Float64`, Spark
//!   `DoubleType`, pandas `float64`), and the one CRM APIs and their data connectors
//!   give number properties. `Decimal128` would need one scale for the whole column:
//!   taken from the data, a file's schema would change from one export to the next
//!   (appending to a dataset breaks); fixed, values beyond it would be refused all the
//!   same, and pandas reads decimals as slow Python objects. Exactness is kept by a
//!   check instead: a value is written only when the double's shortest decimal form
//!   is the stored value itself, so every reader shows exactly what the store holds
//!   (`1234.5`, `0.1`, `0.30000000000000004`, every whole number up to 2^53). A value
//!   with more significant digits than a double holds (`12345678901234567`) fails the
//!   export with an error naming the record and the property; it is never rounded
//!   silently (`--format csv` writes it as stored). Whole-number properties hold
//!   whole numbers exactly up to 2^63 - 1.
//! - **Dates are `Date32`** (days since 1970-01-01) and **datetimes
//!   `Timestamp(Microsecond, "UTC")`** (Parquet `TIMESTAMP(MICROS, isAdjustedToUTC)`):
//!   microseconds are Spark's `TimestampType` and `DuckDB`'s `TIMESTAMPTZ` unit, and
//!   Polars reads `Datetime("us", "UTC")`; the store keeps whole seconds, so nothing
//!   is lost.
//! - **Multi-valued properties are `List<Utf8>`** (multi-select enumerations by
//!   internal value, `hs_additional_emails`): readers test membership directly
//!   (`list_contains` in `DuckDB`, `.list.contains` in Polars, `array_contains` in
//!   Spark) instead of splitting a `;`-joined string. The list is written the
//!   three-level way the Parquet spec names (item field `element`), which Spark,
//!   Hive, `DuckDB` and Polars all read as an array of strings. The items are the
//!   stored values in their stored order, as text whatever the property's type.
//! - Everything else is `Utf8`, the normalized text the other formats write
//!   (enumerations by internal value, owners by owner ID).
//! - **Associations are `List<Int64>`, one column per object of the schema**
//!   (and one per object only links name, which a schema without it no longer
//!   lists), whether or not the records have links with it: the CSV export adds
//!   columns for the objects the records are linked with, but a Parquet file's
//!   schema should not change with the data (a dataset of exports appends; a query
//!   names its columns). The IDs are `Int64` like `hs_object_id`, for the same
//!   reasons, so that `list_contains("Associated Companies", hs_object_id)` and
//!   unnested joins need no cast. SPEC 8's JSON form holds the same lists
//!   (`"associations": {"companies": [...]}`) and `primary_company`.
//!
//! A stored value that does not read as its column's type (which the import's
//! normalization never writes, so only a damaged store holds one) fails the export
//! with [`ParquetExportError::Value`], naming the record and the property: a value is
//! never dropped or written as null.
//!
//! # Memory
//!
//! Records are read in ID order by [`ReadSession::for_each_record`] (their links
//! with them, through one [`store::LinkReader`]) into Arrow
//! builders of at most [`BATCH_ROWS`] rows (or [`BATCH_BYTES`] of text), each batch
//! handed to the Parquet writer, which closes a row group every [`ROW_GROUP_ROWS`]
//! rows, or sooner when its encoded size reaches [`ROW_GROUP_BYTES`]: memory is
//! bounded by one row group and one batch, whatever the number of records. Pages are
//! compressed with Snappy, the codec every reader has and `DuckDB`'s and Spark's default.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::Datelike;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use store::schema::{COMPANIES, PRIMARY_COMPANY_OBJECTS};
use store::{Link, LinkReader};
use store::{ReadSession, RecordView};

use crate::schema::{ObjectDef, PropertyDef, PropertyType};

/// Rows per row group: large enough for good compression and few footer entries,
/// small enough that readers parallelize over row groups and memory stays modest.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// A row group is closed sooner when its encoded size reaches this (wide records
/// with long text).
pub const ROW_GROUP_BYTES: usize = 128 << 20;

/// Rows per Arrow batch handed to the writer.
pub const BATCH_ROWS: usize = 8_192;

/// A batch is handed to the writer sooner when its values reach this many bytes.
pub const BATCH_BYTES: usize = 16 << 20;

/// The name of a list column's item field (the Parquet spec's three-level `LIST`).
const LIST_ITEM: &str = "element";

/// The time zone of datetime columns.
const UTC: &str = "UTC";

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The longest stored value an error message quotes in full.
const QUOTED_CHARS: usize = 80;

/// Why a stored value cannot go into its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not a whole number in the range of the `Int64` column.
    #[error("which is not a whole number within the range of a 64-bit integer (the column is Int64)")]
    NotInteger,
    /// Not a decimal number.
    #[error("which is not a number")]
    NotNumber,
    /// A number that no double holds exactly.
    #[error(
        "which has more significant digits than a 64-bit float holds (the column is Float64); \
         it is not rounded silently: `--format csv` writes it as stored"
    )]
    Inexact,
    /// Neither `true` nor `false`.
    #[error("which is neither true nor false")]
    NotBool,
    /// Not a `YYYY-MM-DD` date.
    #[error("which is not a date (YYYY-MM-DD)")]
    NotDate,
    /// Not an RFC 3339 datetime.
    #[error("which is not an RFC 3339 datetime")]
    NotDatetime,
    /// A record ID above the `Int64` range.
    #[error("which does not fit the Int64 record ID column")]
    RecordId,
}

/// Why a Parquet export failed.
#[derive(Debug, thiserror::Error)]
pub enum ParquetExportError {
    /// A stored value does not read as its column's type.
    #[error("cannot export {object} record {id} as Parquet: {property} holds \"{value}\", {problem}")]
    Value {
        /// The object.
        object: String,
        /// The record ID.
        id: u64,
        /// The property's internal name.
        property: String,
        /// The stored value (its first characters when long).
        value: String,
        /// Why it does not fit.
        problem: Problem,
    },
    /// Building an Arrow batch failed.
    #[error("cannot build the Arrow columns")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Encoding or writing the file failed.
    #[error("cannot write the Parquet file")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// How a property's values become a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    RecordId,
    Integer,
    Float,
    Bool,
    Date,
    Datetime,
    List,
    Text,
}

impl Kind {
    fn of(prop: &PropertyDef) -> Self {
        if prop.multiple {
            return Self::List;
        }
        match prop.ty {
            PropertyType::RecordId => Self::RecordId,
            PropertyType::Number if prop.integer => Self::Integer,
            PropertyType::Number => Self::Float,
            PropertyType::Bool => Self::Bool,
            PropertyType::Date => Self::Date,
            PropertyType::Datetime => Self::Datetime,
            PropertyType::String
            | PropertyType::Enumeration
            | PropertyType::Email
            | PropertyType::Phone
            | PropertyType::Domain
            | PropertyType::Url
            | PropertyType::Owner => Self::Text,
        }
    }

    fn data_type(self) -> DataType {
        match self {
            Self::RecordId | Self::Integer => DataType::Int64,
            Self::Float => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::Date => DataType::Date32,
            Self::Datetime => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            Self::List => DataType::List(list_item()),
            Self::Text => DataType::Utf8,
        }
    }
}

/// The item field of list columns.
fn list_item() -> Arc<Field> {
    Arc::new(Field::new(LIST_ITEM, DataType::Utf8, false))
}

/// The item field of association columns.
fn link_item() -> Arc<Field> {
    Arc::new(Field::new(LIST_ITEM, DataType::Int64, false))
}

/// The association columns of an export (module docs): one per object, and the
/// primary company's for contacts, deals and tickets.
#[derive(Debug, Clone)]
pub struct LinkColumns {
    /// The objects with a column, in the columns' order.
    objects: Vec<String>,
    /// Their columns' names.
    names: Vec<String>,
    /// Whether the export has a `Primary Company` column.
    primary: bool,
}

impl LinkColumns {
    /// The columns of an export of `object`: every object of `schema`, in its
    /// order, then those of `linked` (the objects `object`'s records have links
    /// with) that `schema` does not have.
    pub fn new<'a>(
        schema: &crate::schema::Schema,
        object: &str,
        linked: impl Iterator<Item = &'a str>,
    ) -> Self {
        let mut objects: Vec<String> = schema.objects.iter().map(|o| o.name.clone()).collect();
        for o in linked {
            if !objects.iter().any(|known| known == o) {
                objects.push(o.to_owned());
            }
        }
        let names = objects.iter().map(|o| crate::associate::view::column_name(schema, o)).collect();
        Self { objects, names, primary: PRIMARY_COMPANY_OBJECTS.contains(&object) }
    }

    fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        let lists = self.names.iter().map(|n| Field::new(n, DataType::List(link_item()), false));
        let primary = self
            .primary
            .then(|| Field::new(crate::associate::view::PRIMARY_COMPANY_COLUMN, DataType::Int64, true));
        lists.chain(primary)
    }
}

/// The Arrow schema of `object`'s Parquet export: one field per property, in schema
/// order (only the record ID is not nullable), then the association columns.
pub fn arrow_schema(object: &ObjectDef, links: &LinkColumns) -> SchemaRef {
    let fields: Vec<Field> = object
        .properties
        .iter()
        .map(|p| {
            let kind = Kind::of(p);
            Field::new(&p.name, kind.data_type(), kind != Kind::RecordId)
        })
        .chain(links.fields())
        .collect();
    Arc::new(Schema::new(fields))
}

/// The builder of one column.
enum Column {
    RecordId(Int64Builder),
    Integer(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Datetime(TimestampMicrosecondBuilder),
    List(ListBuilder<StringBuilder>),
    Text(StringBuilder),
}

impl Column {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::RecordId => Self::RecordId(Int64Builder::new()),
            Kind::Integer => Self::Integer(Int64Builder::new()),
            Kind::Float => Self::Float(Float64Builder::new()),
            Kind::Bool => Self::Bool(BooleanBuilder::new()),
            Kind::Date => Self::Date(Date32Builder::new()),
            Kind::Datetime => Self::Datetime(TimestampMicrosecondBuilder::new().with_timezone(UTC)),
            Kind::List => Self::List(ListBuilder::new(StringBuilder::new()).with_field(list_item())),
            Kind::Text => Self::Text(StringBuilder::new()),
        }
    }

    /// Appends record `id`'s value (`None`: absent, a null).
    fn push(&mut self, id: u64, value: Option<&str>, scratch: &mut String) -> Result<(), Problem> {
        match (self, value) {
            (Self::RecordId(b), _) => b.append_value(i64::try_from(id).map_err(|_| Problem::RecordId)?),
            (column, None) => column.push_null(),
            (Self::Integer(b), Some(v)) => b.append_value(v.parse().map_err(|_| Problem::NotInteger)?),
            (Self::Float(b), Some(v)) => b.append_value(float(v, scratch)?),
            (Self::Bool(b), Some("true")) => b.append_value(true),
            (Self::Bool(b), Some("false")) => b.append_value(false),
            (Self::Bool(_), Some(_)) => return Err(Problem::NotBool),
            (Self::Date(b), Some(v)) => b.append_value(date(v).ok_or(Problem::NotDate)?),
            (Self::Datetime(b), Some(v)) => b.append_value(
                chrono::DateTime::parse_from_rfc3339(v).map_err(|_| Problem::NotDatetime)?.timestamp_micros(),
            ),
            (Self::List(b), Some(v)) => {
                for item in v.split(';').filter(|s| !s.is_empty()) {
                    b.values().append_value(item);
                }
                b.append(true);
            }
            (Self::Text(b), Some(v)) => b.append_value(v),
        }
        Ok(())
    }

    fn push_null(&mut self) {
        match self {
            Self::RecordId(b) | Self::Integer(b) => b.append_null(),
            Self::Float(b) => b.append_null(),
            Self::Bool(b) => b.append_null(),
            Self::Date(b) => b.append_null(),
            Self::Datetime(b) => b.append_null(),
            Self::List(b) => b.append_null(),
            Self::Text(b) => b.append_null(),
        }
    }

    /// The column so far; the builder starts again empty.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::RecordId(b) | Self::Integer(b) => Arc::new(b.finish()),
            Self::Float(b) => Arc::new(b.finish()),
            Self::Bool(b) => Arc::new(b.finish()),
            Self::Date(b) => Arc::new(b.finish()),
            Self::Datetime(b) => Arc::new(b.finish()),
            Self::List(b) => Arc::new(b.finish()),
            Self::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// A stored number as the double whose shortest decimal form is that number
/// (module docs: exact or refused).
fn float(v: &str, scratch: &mut String) -> Result<f64, Problem> {
    if !is_decimal(v) {
        return Err(Problem::NotNumber);
    }
    let f: f64 = v.parse().map_err(|_| Problem::NotNumber)?;
    scratch.clear();
    write!(scratch, "{f}").expect("writing to a String");
    if f.is_finite() && canonical(v) == canonical(scratch) { Ok(f) } else { Err(Problem::Inexact) }
}

/// True for a plain decimal: `-?DIGITS(.DIGITS)?`.
fn is_decimal(v: &str) -> bool {
    let unsigned = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = unsigned.split_once('.').map_or((unsigned, None), |(i, f)| (i, Some(f)));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// A plain decimal without what does not change its value: negative, integer digits
/// without leading zeros, fraction digits without trailing zeros (`-0` is `0`).
fn canonical(v: &str) -> (bool, &str, &str) {
    let (negative, unsigned) = v.strip_prefix('-').map_or((false, v), |u| (true, u));
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
    (negative && !(int.is_empty() && frac.is_empty()), int, frac)
}

/// A stored `YYYY-MM-DD` date as days since 1970-01-01.
fn date(v: &str) -> Option<i32> {
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let date =
        chrono::NaiveDate::from_ymd_opt(v[..4].parse().ok()?, v[5..7].parse().ok()?, v[8..].parse().ok()?)?;
    Some(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
}

/// The first characters of a long value, for an error message.
fn quoted(v: &str) -> String {
    match v.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}...", &v[..end]),
        None => v.to_owned(),
    }
}

/// How rows are cut into batches and row groups (constants in the build; small in
/// tests).
#[derive(Debug, Clone, Copy)]
struct Limits {
    batch_rows: usize,
    batch_bytes: usize,
    row_group_rows: usize,
    row_group_bytes: usize,
}

impl Limits {
    const BUILD: Self = Self {
        batch_rows: BATCH_ROWS,
        batch_bytes: BATCH_BYTES,
        row_group_rows: ROW_GROUP_ROWS,
        row_group_bytes: ROW_GROUP_BYTES,
    };
}

/// The builders of the association columns.
struct LinkBuilders<'l> {
    layout: &'l LinkColumns,
    lists: Vec<ListBuilder<Int64Builder>>,
    primary: Int64Builder,
}

impl<'l> LinkBuilders<'l> {
    fn new(layout: &'l LinkColumns) -> Self {
        let lists = layout
            .objects
            .iter()
            .map(|_| ListBuilder::new(Int64Builder::new()).with_field(link_item()))
            .collect();
        Self { layout, lists, primary: Int64Builder::new() }
    }

    /// Appends record `id`'s links (by object, then ID, as the store reads them).
    fn push(&mut self, object: &str, id: u64, links: &[Link]) -> Result<(), ParquetExportError> {
        let mut primary = None;
        let mut at = 0;
        for link in links {
            // The columns are in schema order, the links by object name: look the
            // object up when it changes.
            if self.layout.objects.get(at).is_none_or(|o| *o != link.object) {
                at = self.layout.objects.iter().position(|o| *o == link.object).unwrap_or(usize::MAX);
            }
            let Some(list) = self.lists.get_mut(at) else {
                continue; // not reached: every object links name has a column
            };
            let other = i64::try_from(link.id).map_err(|_| ParquetExportError::Value {
                object: object.to_owned(),
                id,
                property: self.layout.names[at].clone(),
                value: link.id.to_string(),
                problem: Problem::RecordId,
            })?;
            list.values().append_value(other);
            if link.primary && link.object == COMPANIES {
                primary = Some(other);
            }
        }
        for list in &mut self.lists {
            list.append(true);
        }
        if self.layout.primary {
            self.primary.append_option(primary);
        }
        Ok(())
    }

    /// The columns so far; the builders start again empty.
    fn finish(&mut self, arrays: &mut Vec<ArrayRef>) {
        arrays.extend(self.lists.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        if self.layout.primary {
            arrays.push(Arc::new(self.primary.finish()));
        }
    }
}

/// The rows being gathered for the next batch.
struct Batch<'o> {
    object: &'o ObjectDef,
    schema: SchemaRef,
    columns: Vec<Column>,
    links: LinkBuilders<'o>,
    rows: usize,
    bytes: usize,
    scratch: String,
}

impl<'o> Batch<'o> {
    fn new(object: &'o ObjectDef, links: &'o LinkColumns, schema: SchemaRef) -> Self {
        let columns = object.properties.iter().map(|p| Column::new(Kind::of(p))).collect();
        let links = LinkBuilders::new(links);
        Self { object, schema, columns, links, rows: 0, bytes: 0, scratch: String::new() }
    }

    /// Appends one record with its links: its values and the properties' IDs both
    /// ascend, so one walk pairs them.
    fn push(&mut self, id: u64, view: &RecordView<'_>, links: &[Link]) -> Result<(), ParquetExportError> {
        let mut values = view.values().peekable();
        for (column, prop) in self.columns.iter_mut().zip(&self.object.properties) {
            // Values of deleted properties (IDs no property has) are skipped.
            while values.next_if(|&(p, _)| p < prop.id).is_some() {}
            let value = values.next_if(|&(p, _)| p == prop.id).map(|(_, v)| v);
            self.bytes += value.map_or(0, str::len);
            column.push(id, value, &mut self.scratch).map_err(|problem| ParquetExportError::Value {
                object: self.object.name.clone(),
                id,
                property: prop.name.clone(),
                value: value.map_or_else(|| id.to_string(), quoted),
                problem,
            })?;
        }
        self.links.push(&self.object.name, id, links)?;
        self.bytes += links.len() * size_of::<i64>();
        self.rows += 1;
        Ok(())
    }

    /// The rows so far as a record batch; the batch starts again empty.
    fn finish(&mut self) -> Result<RecordBatch, ParquetExportError> {
        let mut arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        self.links.finish(&mut arrays);
        self.rows = 0;
        self.bytes = 0;
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }
}

/// Writes every record of `object`, in ID order, as a Parquet file with its
/// associations (module docs); returns the number of records.
pub fn write(read: &ReadSession, object: &ObjectDef, out: &mut (dyn Write + Send)) -> anyhow::Result<u64> {
    write_with(read, object, out, Limits::BUILD)
}

/// The association columns of an export of `object` from `read`, and the reader
/// of its links.
fn link_columns(
    read: &ReadSession,
    object: &ObjectDef,
) -> Result<(LinkColumns, LinkReader), store::StoreError> {
    let links = read.link_reader(&object.name)?;
    let columns = LinkColumns::new(&read.schema()?, &object.name, links.objects());
    Ok((columns, links))
}

fn write_with<W: Write + Send>(
    read: &ReadSession,
    object: &ObjectDef,
    out: W,
    limits: Limits,
) -> anyhow::Result<u64> {
    let (layout, links) = link_columns(read, object)?;
    let schema = arrow_schema(object, &layout);
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(limits.row_group_rows))
        .set_max_row_group_bytes(Some(limits.row_group_bytes))
        .build();
    let mut writer =
        ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(ParquetExportError::from)?;
    let mut batch = Batch::new(object, &layout, schema);
    let mut n = 0u64;
    super::try_for_each_record(read, &object.name, |id, view| -> anyhow::Result<()> {
        batch.push(id, &view, &links.links(id)?)?;
        if batch.rows >= limits.batch_rows || batch.bytes >= limits.batch_bytes {
            writer.write(&batch.finish()?).map_err(ParquetExportError::from)?;
        }
        n += 1;
        Ok(())
    })?;
    if batch.rows > 0 {
        writer.write(&batch.finish()?).map_err(ParquetExportError::from)?;
    }
    writer.close().map_err(ParquetExportError::from)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_array::{Array, ListArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use store::{RowValues, Store};

    use super::*;
    use crate::schema::EnumOption;

    /// A store whose contacts have a custom multi-select enumeration (`tags`) and
    /// the records `rows` (property name, stored value), IDs from 1.
    fn store_with(dir: &std::path::Path, rows: &[&[(&str, &str)]]) -> (Store, ObjectDef) {
        let store = Store::open(dir.join("s.redb")).unwrap();
        let session = store.begin_write().unwrap();
        let mut contacts = session.schema().unwrap().object("contacts").unwrap().clone();
        let mut tags = contacts.property_named("lifecyclestage").unwrap().clone();
        tags.id = contacts.next_custom_id();
        tags.name = "tags".into();
        tags.label = "Tags".into();
        tags.multiple = true;
        tags.custom = true;
        tags.options = ["vip", "b2b", "ærø"]
            .map(|v| EnumOption { value: v.to_owned(), label: v.to_uppercase() })
            .to_vec();
        tags.headers = [("en".to_owned(), vec!["tags".to_owned()])].into();
        contacts.properties.push(tags);
        session.save_object(&contacts).unwrap();
        let mut values = RowValues::default();
        for row in rows {
            let mut cells: Vec<_> = row.iter().map(|&(p, v)| (contacts.property_id(p).unwrap(), v)).collect();
            cells.sort_unstable();
            for (p, v) in cells {
                values.push(p, v);
            }
            values.end_row();
        }
        {
            let mut records = session.records("contacts").unwrap();
            records.append(1, (0..rows.len()).map(|r| (r as u64 + 1, values.row(r)))).unwrap();
        }
        session.commit(true).unwrap();
        (store, contacts)
    }

    fn export(store: &Store, object: &ObjectDef, limits: Limits) -> anyhow::Result<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        let n = write_with(&store.begin_read().unwrap(), object, &mut out, limits)?;
        Ok((n, out))
    }

    /// The schema of an export of `object` from `store`.
    fn schema_of(store: &Store, object: &ObjectDef) -> SchemaRef {
        let (layout, _) = link_columns(&store.begin_read().unwrap(), object).unwrap();
        arrow_schema(object, &layout)
    }

    fn reader(bytes: &[u8]) -> ParquetRecordBatchReaderBuilder<std::fs::File> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file).unwrap()
    }

    fn read_back(bytes: &[u8]) -> (usize, Vec<RecordBatch>) {
        let reader = reader(bytes);
        let groups = reader.metadata().num_row_groups();
        (groups, reader.build().unwrap().map(Result::unwrap).collect())
    }

    #[test]
    fn the_schema_types_every_property_and_only_the_record_id_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let (store, contacts) = store_with(dir.path(), &[]);
        let schema = schema_of(&store, &contacts);
        let objects = store.begin_read().unwrap().schema().unwrap().objects.len();
        assert_eq!(schema.fields().len(), contacts.properties.len() + objects + 1);
        let field = |n: &str| schema.field_with_name(n).unwrap().clone();
        assert_eq!(schema.field(0).name(), "hs_object_id");
        assert_eq!(
            (field("hs_object_id").data_type(), field("hs_object_id").is_nullable()),
            (&DataType::Int64, false)
        );
        for (name, ty) in [
            ("email", DataType::Utf8),
            ("firstname", DataType::Utf8),
            ("website", DataType::Utf8),
            ("lifecyclestage", DataType::Utf8),
            ("hubspot_owner_id", DataType::Utf8),
            ("num_notes", DataType::Int64),
            ("total_revenue", DataType::Float64),
            ("hs_email_optout", DataType::Boolean),
            ("date_of_birth", DataType::Date32),
            ("createdate", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
            ("hs_additional_emails", DataType::List(list_item())),
            ("tags", DataType::List(list_item())),
        ] {
            assert_eq!(field(name).data_type(), &ty, "{name}");
            assert!(field(name).is_nullable(), "{name}");
        }
        let links = DataType::List(link_item());
        for name in ["Associated Contacts", "Associated Companies", "Associated Deals", "Associated Emails"] {
            assert_eq!((field(name).data_type(), field(name).is_nullable()), (&links, false), "{name}");
        }
        assert_eq!(field("Primary Company"), Field::new("Primary Company", DataType::Int64, true));
        assert_eq!(schema.fields().last().unwrap().name(), "Primary Company");
    }

    #[test]
    fn values_round_trip_typed_and_absent_ones_are_null() {
        let dir = tempfile::tempdir().unwrap();
        let (store, contacts) = store_with(
            dir.path(),
            &[
                &[
                    ("email", "josé@ærø.dk"),
                    ("firstname", "José Müller"),
                    ("total_revenue", "1234.5"),
                    ("num_notes", "9007199254740993"),
                    ("hs_email_optout", "true"),
                    ("date_of_birth", "1969-12-31"),
                    ("createdate", "2024-05-07T10:26:00Z"),
                    ("hs_additional_emails", "a@x.com;b@ærø.dk"),
                    ("tags", "vip;ærø"),
                ],
                &[("email", "b@x.com"), ("total_revenue", "0.1"), ("hs_email_optout", "false")],
                &[("total_revenue", "-0.30000000000000004"), ("num_notes", "-9223372036854775808")],
            ],
        );
        let (n, bytes) = export(&store, &contacts, Limits::BUILD).unwrap();
        assert_eq!(n, 3);
        let (groups, batches) = read_back(&bytes);
        assert_eq!((groups, batches.len()), (1, 1));
        let b = &batches[0];
        assert_eq!(b.schema(), schema_of(&store, &contacts));
        let col = |n: &str| b.column_by_name(n).unwrap().clone();
        assert_eq!(col("hs_object_id").as_primitive::<Int64Type>().values().to_vec(), [1, 2, 3]);
        let email = col("email");
        let email = email.as_string::<i32>();
        assert_eq!((email.value(0), email.value(1), email.is_null(2)), ("josé@ærø.dk", "b@x.com", true));
        let first = col("firstname");
        assert_eq!(first.as_string::<i32>().value(0), "José Müller");
        assert_eq!(first.null_count(), 2);
        let revenue = col("total_revenue");
        let revenue = revenue.as_primitive::<Float64Type>();
        assert_eq!(revenue.values().to_vec(), [1234.5, 0.1, -0.300_000_000_000_000_04]);
        let notes = col("num_notes");
        let notes = notes.as_primitive::<Int64Type>();
        assert_eq!(
            (notes.value(0), notes.is_null(1), notes.value(2)),
            (9_007_199_254_740_993, true, i64::MIN)
        );
        let optout = col("hs_email_optout");
        let optout = optout.as_boolean();
        assert_eq!((optout.value(0), optout.value(1), optout.is_null(2)), (true, false, true));
        let born = col("date_of_birth");
        assert_eq!(born.as_primitive::<Date32Type>().value(0), -1);
        assert_eq!(born.null_count(), 2);
        let created = col("createdate");
        assert_eq!(created.as_primitive::<TimestampMicrosecondType>().value(0), 1_715_077_560_000_000);
        let list = |n: &str, row: usize| -> Option<Vec<String>> {
            let c = col(n);
            let l: &ListArray = c.as_list();
            (!l.is_null(row)).then(|| {
                let items = l.value(row);
                items.as_string::<i32>().iter().map(|s| s.unwrap().to_owned()).collect()
            })
        };
        assert_eq!(list("hs_additional_emails", 0), Some(vec!["a@x.com".into(), "b@ærø.dk".into()]));
        assert_eq!(list("tags", 0), Some(vec!["vip".into(), "ærø".into()]));
        assert_eq!(list("tags", 1), None);
    }

    #[test]
    fn an_empty_object_is_a_valid_file_with_the_schema_and_no_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (store, contacts) = store_with(dir.path(), &[]);
        let (n, bytes) = export(&store, &contacts, Limits::BUILD).unwrap();
        assert_eq!(n, 0);
        let reader = reader(&bytes);
        assert_eq!(reader.schema(), &schema_of(&store, &contacts));
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
        assert_eq!(reader.build().unwrap().count(), 0);
    }

    #[test]
    fn rows_are_cut_into_batches_and_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let emails: Vec<String> = (1..=10).map(|i| format!("c{i}@x.com")).collect();
        let rows: Vec<Vec<(&str, &str)>> = emails.iter().map(|e| vec![("email", e.as_str())]).collect();
        let rows: Vec<&[(&str, &str)]> = rows.iter().map(Vec::as_slice).collect();
        let (store, contacts) = store_with(dir.path(), &rows);
        let emails_of = |batches: &[RecordBatch]| -> Vec<String> {
            let column = |b: &RecordBatch| b.column_by_name("email").unwrap().as_string::<i32>().clone();
            batches
                .iter()
                .flat_map(|b| column(b).iter().map(|s| s.unwrap().to_owned()).collect::<Vec<_>>())
                .collect()
        };
        let small =
            Limits { batch_rows: 3, batch_bytes: usize::MAX, row_group_rows: 4, row_group_bytes: usize::MAX };
        // Batches of 3 rows, of 2 rows (each email is 9 or 10 bytes); row groups of 4
        // rows (4 + 4 + 2), of every row, or of one batch each when any encoded byte
        // reaches their byte limit (3 + 3 + 3 + 1).
        for (limits, row_groups) in [
            (small, 3),
            (Limits { batch_bytes: 15, ..small }, 3),
            (Limits { row_group_rows: 100, ..small }, 1),
            (Limits { row_group_rows: 100, row_group_bytes: 1, ..small }, 4),
        ] {
            let (n, bytes) = export(&store, &contacts, limits).unwrap();
            assert_eq!(n, 10);
            let (groups, batches) = read_back(&bytes);
            assert_eq!(groups, row_groups, "{limits:?}");
            assert_eq!(emails_of(&batches), emails, "{limits:?}");
        }
    }

    #[test]
    fn a_value_that_does_not_fit_its_column_fails_the_export_naming_record_and_property() {
        for (property, value, problem) in [
            ("total_revenue", "12345678901234567", Problem::Inexact),
            ("total_revenue", "0.12345678901234567", Problem::Inexact),
            ("total_revenue", "1e5", Problem::NotNumber),
            ("total_revenue", "NaN", Problem::NotNumber),
            ("num_notes", "9223372036854775808", Problem::NotInteger),
            ("num_notes", "1.5", Problem::NotInteger),
            ("hs_email_optout", "yes", Problem::NotBool),
            ("date_of_birth", "07-05-2024", Problem::NotDate),
            ("date_of_birth", "2024-02-30", Problem::NotDate),
            ("createdate", "2024-05-07", Problem::NotDatetime),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let (store, contacts) = store_with(dir.path(), &[&[("email", "a@x.com")], &[(property, value)]]);
            let e = export(&store, &contacts, Limits::BUILD).unwrap_err();
            let e = e.downcast_ref::<ParquetExportError>().unwrap();
            assert!(
                matches!(e, ParquetExportError::Value { id: 2, property: p, value: v, problem: got, .. }
                    if p == property && v == value && *got == problem),
                "{e}"
            );
            assert!(
                e.to_string().starts_with(&format!(
                    "cannot export contacts record 2 as Parquet: {property} holds \"{value}\""
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn numbers_are_written_only_when_a_double_holds_them_exactly() {
        let mut s = String::new();
        for (stored, want) in [
            ("0", 0.0),
            ("0.1", 0.1),
            ("1234.5", 1234.5),
            ("-1234.5", -1234.5),
            ("9007199254740992", 9_007_199_254_740_992.0),
            ("0.30000000000000004", 0.300_000_000_000_000_04),
            ("0.000001", 0.000_001),
            ("007.50", 7.5),
            ("-0", 0.0),
        ] {
            assert_eq!(float(stored, &mut s), Ok(want), "{stored}");
        }
        for inexact in [
            "9007199254740993",
            "12345678901234567890",
            "0.1000000000000000055511151231257827",
            &"9".repeat(400),
        ] {
            assert_eq!(float(inexact, &mut s), Err(Problem::Inexact), "{inexact}");
        }
        for bad in ["", "-", ".5", "5.", "1,5", "inf", "+1", " 1", "1e3"] {
            assert_eq!(float(bad, &mut s), Err(Problem::NotNumber), "{bad:?}");
        }
    }

    #[test]
    fn dates_count_days_from_1970_and_long_values_are_quoted_short() {
        assert_eq!(date("1970-01-01"), Some(0));
        assert_eq!(date("2024-05-07"), Some(19_850));
        assert_eq!(date("0001-01-01"), Some(-UNIX_EPOCH_DAYS_FROM_CE + 1));
        assert_eq!(date("2024-5-7"), None);
        assert_eq!(date("+024-05-07"), None);
        assert_eq!(quoted("short"), "short");
        assert_eq!(quoted(&"é".repeat(100)), format!("{}...", "é".repeat(QUOTED_CHARS)));
    }
}
