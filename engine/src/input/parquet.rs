//! Parquet files as rows of typed cells, through the parquet crate's Arrow reader.
//!
//! [`read`] gives the column names, then calls back once per row with one
//! [`Cell`] per column. The file is read a batch at a time (row group by row
//! group), so memory is bounded by a row group, not the file. Typed columns keep
//! their type: integers, floats and decimals are numbers, booleans bools, `Date32`
//! and `Date64` dates, timestamps without a zone local datetimes (read in
//! `--time-zone`) and with one instants; dictionary-encoded columns are read as
//! their values, lists joined with `;` (a multi-select), nulls are empty cells, and
//! anything else is its text as Arrow displays it.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::input::cells::Cell;

/// Rows read per batch.
const BATCH_ROWS: usize = 8192;

/// Why a Parquet file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Parquet file cannot be read: {0}")]
pub struct ParquetError(pub String);

/// Reads the Parquet file at `path`: `row` gets the column names first (as text
/// cells, row 0), then each row's number (1-based) and cells; `row` returns false
/// to stop.
pub fn read(path: &Path, mut row: impl FnMut(u64, &[Cell<'_>]) -> bool) -> Result<(), ParquetError> {
    let fail = |e: &dyn std::fmt::Display| ParquetError(e.to_string());
    let file = File::open(path).map_err(|e| fail(&e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(&e))?;
    let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let header: Vec<Cell<'_>> = names.iter().map(|n| Cell::Text(n)).collect();
    if !row(0, &header) {
        return Ok(());
    }
    let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| fail(&e))?;
    // One thread decodes the file (pages, decompression, dictionaries) while this
    // one renders the previous batch's cells: the two halves of the work overlap.
    std::thread::scope(|scope| {
        let (tx, rx) =
            crossbeam::channel::bounded::<Result<(RecordBatch, Vec<ArrayRef>, Vec<Texts>), String>>(2);
        scope.spawn(move || {
            for batch in reader {
                let decoded = batch.map_err(|e| e.to_string()).and_then(|batch| {
                    let columns = typed_columns(&batch).map_err(|e| e.to_string())?;
                    // Columns shown as text are rendered once per batch.
                    let texts = columns.iter().map(text_of).collect();
                    Ok((batch, columns, texts))
                });
                let failed = decoded.is_err();
                if tx.send(decoded).is_err() || failed {
                    return;
                }
            }
        });
        let mut number = 0u64;
        for decoded in &rx {
            let (batch, columns, texts) = decoded.map_err(|e| fail(&e))?;
            let mut cells: Vec<Cell<'_>> = Vec::with_capacity(columns.len());
            for r in 0..batch.num_rows() {
                number += 1;
                cells.clear();
                for (c, column) in columns.iter().enumerate() {
                    cells.push(cell(column, texts[c].as_deref(), r));
                }
                if !row(number, &cells) {
                    // Dropping the receiver stops the decoding thread.
                    return Ok(());
                }
            }
        }
        Ok(())
    })
}

/// The texts of a column read as text ([`text_of`]).
type Texts = Option<Vec<String>>;

/// The batch's columns with dictionaries decoded to their values.
fn typed_columns(batch: &RecordBatch) -> Result<Vec<ArrayRef>, arrow_schema::ArrowError> {
    batch
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Dictionary(_, value) => arrow_cast::cast(c, value),
            _ => Ok(Arc::clone(c)),
        })
        .collect()
}

/// Whether a column's cells are read from its typed values (else from its text).
fn is_typed(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Boolean
            | DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(..)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
    )
}

/// The text of every cell of a column read as text (decimals, lists, times, ...);
/// `None` for a typed column.
fn text_of(column: &ArrayRef) -> Option<Vec<String>> {
    if is_typed(column.data_type()) {
        return None;
    }
    let list = |values: &ArrayRef, offsets: &[usize]| -> Vec<String> {
        let text = arrow_cast::cast(values, &DataType::Utf8)
            .ok()
            .map(|a| {
                a.as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_owned()).collect::<Vec<_>>()
            })
            .unwrap_or_default();
        offsets.windows(2).map(|w| text[w[0]..w[1]].join(";")).collect()
    };
    Some(match column.data_type() {
        DataType::List(_) => {
            let l = column.as_list::<i32>();
            let offsets: Vec<usize> = l.offsets().iter().map(|&o| usize::try_from(o).unwrap_or(0)).collect();
            list(l.values(), &offsets)
        }
        DataType::LargeList(_) => {
            let l = column.as_list::<i64>();
            let offsets: Vec<usize> = l.offsets().iter().map(|&o| usize::try_from(o).unwrap_or(0)).collect();
            list(l.values(), &offsets)
        }
        _ => {
            if let Ok(a) = arrow_cast::cast(column, &DataType::Utf8) {
                a.as_string::<i32>().iter().map(|v| v.unwrap_or_default().to_owned()).collect()
            } else {
                let options = arrow_cast::display::FormatOptions::default();
                match arrow_cast::display::ArrayFormatter::try_new(column.as_ref(), &options) {
                    Ok(f) => (0..column.len()).map(|r| f.value(r).to_string()).collect(),
                    Err(_) => vec![String::new(); column.len()],
                }
            }
        }
    })
}

/// Cell `r` of a column (`text`: the column's texts when it is read as text).
fn cell<'a>(column: &'a ArrayRef, text: Option<&'a [String]>, r: usize) -> Cell<'a> {
    if column.is_null(r) {
        return Cell::Empty;
    }
    if let Some(text) = text {
        return match column.data_type() {
            DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => Cell::Decimal(&text[r]),
            _ => Cell::Text(&text[r]),
        };
    }
    match column.data_type() {
        DataType::Int8 => Cell::Int(column.as_primitive::<Int8Type>().value(r).into()),
        DataType::Int16 => Cell::Int(column.as_primitive::<Int16Type>().value(r).into()),
        DataType::Int32 => Cell::Int(column.as_primitive::<Int32Type>().value(r).into()),
        DataType::Int64 => Cell::Int(column.as_primitive::<Int64Type>().value(r)),
        DataType::UInt8 => Cell::Int(column.as_primitive::<UInt8Type>().value(r).into()),
        DataType::UInt16 => Cell::Int(column.as_primitive::<UInt16Type>().value(r).into()),
        DataType::UInt32 => Cell::Int(column.as_primitive::<UInt32Type>().value(r).into()),
        DataType::UInt64 => {
            let v = column.as_primitive::<UInt64Type>().value(r);
            i64::try_from(v).map_or(Cell::Float(v as f64), Cell::Int)
        }
        DataType::Float16 => Cell::Float(column.as_primitive::<Float16Type>().value(r).to_f64()),
        DataType::Float32 => Cell::Float(f64::from(column.as_primitive::<Float32Type>().value(r))),
        DataType::Float64 => Cell::Float(column.as_primitive::<Float64Type>().value(r)),
        DataType::Boolean => Cell::Bool(column.as_boolean().value(r)),
        DataType::Date32 => {
            let days = column.as_primitive::<Date32Type>().value(r);
            date_of_days(i64::from(days))
        }
        DataType::Date64 => {
            let ms = column.as_primitive::<Date64Type>().value(r);
            date_of_days(ms.div_euclid(86_400_000))
        }
        DataType::Timestamp(unit, zone) => {
            let v = match unit {
                TimeUnit::Second => column.as_primitive::<arrow_array::types::TimestampSecondType>().value(r),
                TimeUnit::Millisecond => {
                    column.as_primitive::<arrow_array::types::TimestampMillisecondType>().value(r)
                }
                TimeUnit::Microsecond => {
                    column.as_primitive::<arrow_array::types::TimestampMicrosecondType>().value(r)
                }
                TimeUnit::Nanosecond => {
                    column.as_primitive::<arrow_array::types::TimestampNanosecondType>().value(r)
                }
            };
            let ms = match unit {
                TimeUnit::Second => v.saturating_mul(1000),
                TimeUnit::Millisecond => v,
                TimeUnit::Microsecond => v.div_euclid(1000),
                TimeUnit::Nanosecond => v.div_euclid(1_000_000),
            };
            if zone.is_some() { Cell::Instant(ms) } else { local_datetime(ms) }
        }
        DataType::Utf8 => Cell::Text(column.as_string::<i32>().value(r)),
        DataType::LargeUtf8 => Cell::Text(column.as_string::<i64>().value(r)),
        DataType::Utf8View => Cell::Text(column.as_string_view().value(r)),
        _ => Cell::Empty,
    }
}

/// The date `days` days after 1970-01-01.
fn date_of_days(days: i64) -> Cell<'static> {
    use chrono::Datelike as _;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a real date");
    match epoch.checked_add_signed(chrono::TimeDelta::days(days)) {
        Some(d) => Cell::Date { year: d.year(), month: d.month(), day: d.day() },
        None => Cell::Error("a date out of range"),
    }
}

/// A timestamp without a zone: the wall-clock time it names.
fn local_datetime(ms: i64) -> Cell<'static> {
    use chrono::{Datelike as _, Timelike as _};
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => {
            let t = t.naive_utc();
            let millis = t.num_seconds_from_midnight() * 1000 + t.nanosecond() / 1_000_000;
            Cell::DateTime { year: t.year(), month: t.month(), day: t.day(), millis }
        }
        None => Cell::Error("a timestamp out of range"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
    use proptest::prelude::*;

    use super::*;
    use crate::input::cells::render;

    type Row = (Option<String>, Option<i64>, Option<f64>, Option<bool>, Option<i32>);

    fn text(cell: Cell<'_>) -> String {
        let mut s = String::new();
        render(cell, &mut s);
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Random typed columns written by the parquet crate read back as their values'
        /// text, row by row, in several batches and row groups.
        #[test]
        fn random_typed_columns_read_back_as_their_values(
            rows in proptest::collection::vec(
                (
                    proptest::option::of("[a-zA-Zéø ,;\"\n0-9-]{0,10}"),
                    proptest::option::of(any::<i64>()),
                    proptest::option::of(-1e15f64..1e15),
                    proptest::option::of(any::<bool>()),
                    proptest::option::of(-200_000i32..200_000),
                ),
                1..40,
            ),
        ) {
            let rows: Vec<Row> = rows;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("random.parquet");
            let batch = RecordBatch::try_from_iter([
                ("s", Arc::new(rows.iter().map(|r| r.0.clone()).collect::<StringArray>()) as ArrayRef),
                ("i", Arc::new(rows.iter().map(|r| r.1).collect::<Int64Array>()) as ArrayRef),
                ("f", Arc::new(rows.iter().map(|r| r.2).collect::<Float64Array>()) as ArrayRef),
                ("b", Arc::new(rows.iter().map(|r| r.3).collect::<BooleanArray>()) as ArrayRef),
                ("d", Arc::new(rows.iter().map(|r| r.4).collect::<Date32Array>()) as ArrayRef),
            ])
            .unwrap();
            let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(7)).build();
            let mut writer =
                parquet::arrow::ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), Some(props)).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
            let mut got: Vec<(u64, Vec<String>)> = Vec::new();
            read(&path, |n, cells| {
                got.push((n, cells.iter().map(|c| text(*c)).collect()));
                true
            })
            .unwrap();
            prop_assert_eq!(&got[0].1, &["s", "i", "f", "b", "d"].map(str::to_owned).to_vec());
            prop_assert_eq!(got.len(), rows.len() + 1);
            for (k, row) in rows.iter().enumerate() {
                let want = vec![
                    row.0.clone().unwrap_or_default(),
                    row.1.map(|v| text(Cell::Int(v))).unwrap_or_default(),
                    row.2.map(|v| text(Cell::Float(v))).unwrap_or_default(),
                    row.3.map(|v| text(Cell::Bool(v))).unwrap_or_default(),
                    row.4.map(|v| text(date_of_days(i64::from(v)))).unwrap_or_default(),
                ];
                prop_assert_eq!(got[k + 1].0, k as u64 + 1);
                prop_assert_eq!(&got[k + 1].1, &want);
            }
        }
    }
}
