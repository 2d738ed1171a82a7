//! Reading records back out: `get` and `export` (SPEC 8).
//!
//! Values are written normalized, typed by the schema: numbers as JSON numbers,
//! bools as `true`/`false`, everything else as strings (dates `YYYY-MM-DD`,
//! datetimes RFC 3339 UTC, enumerations by internal value). Parquet has typed
//! columns instead ([`parquet`]).

pub mod parquet;
pub mod sections;

use std::io::Write;

use serde_json::{Map, Value};
use store::ReadSession;
use store::RecordView;

use crate::schema::{ObjectDef, PropertyId, PropertyType, RECORD_ID};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header of internal names.
    Csv,
    /// CSV whose values are neutralized against formula injection for spreadsheets
    /// ([`crate::report::output::excel_safe`]).
    CsvExcelSafe,
    /// A Parquet file with typed Arrow columns ([`parquet`]).
    Parquet,
}

/// The JSON form of a record: `{"id", "object", "properties", "associations"}`,
/// its links in SPEC 8's form ([`crate::associate::view::associations_json`]).
pub fn record_json(object: &ObjectDef, id: u64, view: &RecordView<'_>, links: &[store::Link]) -> Value {
    let mut props = Map::new();
    for (p, v) in view.values() {
        // A value of a property the schema no longer has is not exported.
        let Some(prop) = object.property(p) else {
            continue;
        };
        let value = match prop.ty {
            PropertyType::Number => serde_json::from_str::<serde_json::Number>(v)
                .map_or_else(|_| Value::String(v.to_owned()), Value::Number),
            PropertyType::Bool => Value::Bool(v == "true"),
            _ => Value::String(v.to_owned()),
        };
        props.insert(prop.name.clone(), value);
    }
    let associations = crate::associate::view::associations_json(links);
    serde_json::json!({"id": id, "object": object.name, "properties": props, "associations": associations})
}

/// Calls `f` for every record of `object` in ID order until it fails: stops with
/// the store's error or `f`'s first.
pub(crate) fn try_for_each_record<E: Into<anyhow::Error>>(
    read: &ReadSession,
    object: &str,
    mut f: impl FnMut(u64, RecordView<'_>) -> Result<(), E>,
) -> anyhow::Result<()> {
    let mut failure = None;
    read.for_each_record(object, |id, view| match f(id, view) {
        Ok(()) => true,
        Err(e) => {
            failure = Some(e);
            false
        }
    })?;
    failure.map_or(Ok(()), |e| Err(e.into()))
}

/// Writes every record of `object` in ID order.
pub fn export(
    read: &ReadSession,
    object: &ObjectDef,
    format: Format,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    export_some(read, object, format, None, out)
}

/// Writes the records of `object` in ID order, only those in `only` (IDs
/// ascending) when given: a list's members (`ingest list`).
pub fn export_some(
    read: &ReadSession,
    object: &ObjectDef,
    format: Format,
    only: Option<&[u64]>,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    let mut n = 0u64;
    let wanted = |id: u64| only.is_none_or(|ids| ids.binary_search(&id).is_ok());
    match format {
        Format::Parquet if only.is_some() => anyhow::bail!("a list is written as csv or jsonl"),
        Format::Parquet => return parquet::write(read, object, out),
        Format::Jsonl => {
            let links = read.link_reader(&object.name)?;
            try_for_each_record(read, &object.name, |id, view| -> anyhow::Result<()> {
                if !wanted(id) {
                    return Ok(());
                }
                let line = record_json(object, id, &view, &links.links(id)?);
                serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
                n += 1;
                Ok(())
            })?;
        }
        Format::Csv | Format::CsvExcelSafe => {
            let safe = format == Format::CsvExcelSafe;
            let mut w = csv::Writer::from_writer(&mut *out);
            let links = read.link_reader(&object.name)?;
            let schema = read.schema()?;
            let (assoc, assoc_headers) =
                crate::associate::view::CsvColumns::new(&schema, &object.name, links.objects());
            let mut names: Vec<&str> = object.properties.iter().map(|p| p.name.as_str()).collect();
            let properties = names.len();
            names.extend(assoc_headers.iter().map(String::as_str));
            w.write_record(&names)?;
            // Property IDs are sparse (custom ones start at 1000): the column of each.
            let column = |id: PropertyId| object.properties.binary_search_by_key(&id, |p| p.id).ok();
            let id_column = column(RECORD_ID).expect("every object has the record ID");
            let mut row: Vec<String> = vec![String::new(); names.len()];
            try_for_each_record(read, &object.name, |id, view| -> anyhow::Result<()> {
                if !wanted(id) {
                    return Ok(());
                }
                row.iter_mut().for_each(String::clear);
                row[id_column] = id.to_string();
                for (p, v) in view.values() {
                    if let Some(cell) = column(p).and_then(|c| row.get_mut(c)) {
                        cell.push_str(
                            if safe { crate::report::output::excel_safe(v) } else { v.into() }.as_ref(),
                        );
                    }
                }
                if !assoc.is_empty() {
                    assoc.fill(&links.links(id)?, &mut row[properties..]);
                }
                n += 1;
                w.write_record(&row)?;
                Ok(())
            })?;
            w.flush()?;
        }
    }
    Ok(n)
}
