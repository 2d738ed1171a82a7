//! A record's links as `get`, `export` and `ingest associations` write them.

use serde_json::{Map, Value, json};
use store::schema::{COMPANIES, PRIMARY_COMPANY_OBJECTS, Schema};
use store::{Link, LinkChange, LinkOrigin};

/// SPEC 8's form: `{"companies": [ids], "primary_company": id, "deals": [ids]}`,
/// objects by name, IDs ascending; `primary_company` where the record has one.
pub fn associations_json(links: &[Link]) -> Value {
    let mut out = Map::new();
    for link in links {
        let entry = out.entry(link.object.clone()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(ids) = entry {
            ids.push(link.id.into());
        }
    }
    if let Some(primary) = links.iter().find(|l| l.primary && l.object == COMPANIES) {
        out.insert("primary_company".into(), primary.id.into());
    }
    Value::Object(out)
}

/// A time in milliseconds since the epoch as RFC 3339 UTC (`2026-12-02T19:03:19.123Z`).
pub fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn origin_json(origin: &LinkOrigin) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("source".into(), origin.source.name().into());
    if let Some(import) = origin.import {
        m.insert("import".into(), import.into());
    }
    m.insert("time".into(), time_text(origin.time_ms).into());
    m
}

fn label_names(schema: &Schema, object: &str, other: &str, ids: &[u16]) -> Vec<String> {
    let t = schema.association(object, other);
    ids.iter()
        .map(|&id| t.and_then(|t| t.label(id)).map_or_else(|| format!("#{id}"), |l| l.name.clone()))
        .collect()
}

/// `ingest associations OBJ ID --json`: every link with its labels, primary flag
/// and origin, and with `history` every change, newest first.
pub fn links_json(
    schema: &Schema,
    object: &str,
    id: u64,
    links: &[Link],
    history: Option<&[LinkChange]>,
) -> Value {
    let items: Vec<Value> = links
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("object".into(), l.object.clone().into());
            m.insert("id".into(), l.id.into());
            m.insert("labels".into(), json!(label_names(schema, object, &l.object, &l.labels)));
            m.insert("primary".into(), l.primary.into());
            m.insert("created".into(), Value::Object(origin_json(&l.created)));
            Value::Object(m)
        })
        .collect();
    let mut out = json!({"object": object, "id": id, "associations": items});
    if let Some(history) = history {
        let changes: Vec<Value> = history
            .iter()
            .map(|c| {
                let mut m = origin_json(&c.origin);
                m.insert("change".into(), c.kind.name().into());
                m.insert("object".into(), c.object.clone().into());
                m.insert("id".into(), c.id.into());
                if !c.labels.is_empty() {
                    m.insert("labels".into(), json!(label_names(schema, object, &c.object, &c.labels)));
                }
                Value::Object(m)
            })
            .collect();
        out["history"] = Value::Array(changes);
    }
    out
}

/// The same as text lines.
pub fn links_text(
    schema: &Schema,
    object: &str,
    id: u64,
    links: &[Link],
    history: Option<&[LinkChange]>,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if links.is_empty() {
        let _ = writeln!(out, "{object} {id} has no associations");
    }
    for l in links {
        let labels = label_names(schema, object, &l.object, &l.labels);
        let _ = writeln!(
            out,
            "{:<10} {:>10}{}{}  ({} {})",
            l.object,
            l.id,
            if l.primary { "  primary" } else { "" },
            if labels.is_empty() { String::new() } else { format!("  [{}]", labels.join(", ")) },
            origin_words(&l.created),
            time_text(l.created.time_ms),
        );
    }
    if let Some(history) = history {
        let _ = writeln!(out, "history, newest first:");
        for c in history {
            let labels = label_names(schema, object, &c.object, &c.labels);
            let _ = writeln!(
                out,
                "  {}  {:<13} {} {}{}  ({})",
                time_text(c.origin.time_ms),
                c.kind.name(),
                c.object,
                c.id,
                if labels.is_empty() { String::new() } else { format!(" [{}]", labels.join(", ")) },
                origin_words(&c.origin),
            );
        }
    }
    out
}

fn origin_words(o: &LinkOrigin) -> String {
    match o.import {
        Some(i) => format!("{} {i}", o.source.name()),
        None => o.source.name().to_owned(),
    }
}

/// The header of the column of links with `other`'s records in the CSV and
/// Parquet exports: `Associated <Objects>` by the object's label (`Associated
/// Companies`), the name of an object the schema does not have.
pub fn column_name(schema: &Schema, other: &str) -> String {
    format!("Associated {}", schema.object(other).map_or(other, |d| d.label.as_str()))
}

/// The header of the primary company's column in the CSV and Parquet exports.
pub const PRIMARY_COMPANY_COLUMN: &str = "Primary Company";

/// The association columns `export --format csv` adds after the properties:
/// `Associated <Objects>` per object the records have links with (record IDs,
/// `;`-separated), and `Primary Company` for contacts, deals and tickets.
pub struct CsvColumns {
    objects: Vec<String>,
    primary: bool,
}

impl CsvColumns {
    /// The columns for records of `object` that have links with `linked` (object names).
    pub fn new<'a>(
        schema: &Schema,
        object: &str,
        linked: impl Iterator<Item = &'a str>,
    ) -> (Self, Vec<String>) {
        let mut objects: Vec<String> = linked.map(str::to_owned).collect();
        // In the schema's order, as the objects are listed everywhere else.
        objects.sort_by_key(|o| schema.objects.iter().position(|d| d.name == *o).unwrap_or(usize::MAX));
        let primary = PRIMARY_COMPANY_OBJECTS.contains(&object) && objects.iter().any(|o| o == COMPANIES);
        let mut headers: Vec<String> = objects.iter().map(|o| column_name(schema, o)).collect();
        if primary {
            headers.push(PRIMARY_COMPANY_COLUMN.into());
        }
        (Self { objects, primary }, headers)
    }

    /// How many columns.
    pub fn len(&self) -> usize {
        self.objects.len() + usize::from(self.primary)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `cells` (one per column) from a record's links.
    pub fn fill(&self, links: &[Link], cells: &mut [String]) {
        use std::fmt::Write as _;
        cells.iter_mut().for_each(String::clear);
        for l in links {
            if let Some(i) = self.objects.iter().position(|o| *o == l.object) {
                if !cells[i].is_empty() {
                    cells[i].push(';');
                }
                let _ = write!(cells[i], "{}", l.id);
            }
            if self.primary && l.primary && l.object == COMPANIES {
                let _ = write!(cells[self.objects.len()], "{}", l.id);
            }
        }
    }
}
