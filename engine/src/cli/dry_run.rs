//! `ingest import ... --dry-run` (SPEC 5): the whole import runs, through the same
//! pipeline, against a copy-on-write view of the store ([`store::Store::open_dry_run`]:
//! every write stays in memory, the file is never modified, not even its log),
//! and what it did is printed instead of committed: the mapping, the first three
//! rows as they were imported, counts per object and the errors per column and
//! per code. Its counts are those of the real import on the same store because it
//! is the real import, only never written to the file.

use std::path::Path;

use anyhow::Context as _;
use serde_json::{Value, json};
use store::Store;

use super::{Context, print_json};
use crate::import::{self, ImportSpec, ImportSummary};
use crate::progress::Progress;

/// Rows shown as they would be imported.
const PREVIEW_ROWS: usize = 3;

pub(super) fn run(mut opts: ImportSpec, json_out: bool, ctx: &Context) -> anyhow::Result<()> {
    import::check_outputs(&ctx.store, &opts)?;
    let scratch = tempfile::tempdir().context("a folder for the dry run's reports")?;
    opts.report_dir = Some(scratch.path().to_path_buf());
    let plan = opts.results.clone().unwrap_or_else(|| scratch.path().join("plan.csv"));
    opts.results = Some(plan.clone());
    let store = super::open_dry_run(&ctx.store, ctx.wait)?;
    let progress = if json_out { Progress::hidden() } else { Progress::for_terminal(0, "dry run") };
    let (store, summary) = super::import::run_import(store, &ctx.store, &opts, &progress)?;
    let report = report(&store, &summary, &plan)?;
    if json_out {
        print_json(&report)?;
    } else {
        print!("{}", text(&report));
    }
    Ok(())
}

/// The dry run's report: `{"dry_run": true, "mapping": [...], "preview": [...],
/// "rows", "rows_failed", "objects", "associations", "errors": {"total",
/// "by_column", "by_code"}}`.
fn report(store: &Store, s: &ImportSummary, plan: &Path) -> anyhow::Result<Value> {
    let read = store.begin_read()?;
    let mapping: Vec<Value> = s
        .mapping
        .iter()
        .flat_map(|f| {
            f.columns.iter().map(
                |c| json!({"file": f.file, "column": c.column, "target": c.target, "matched": c.matched}),
            )
        })
        .collect();
    let schema = read.schema()?;
    let mut preview = Vec::new();
    let mut plan_rows =
        csv::Reader::from_path(plan).with_context(|| format!("reading {}", plan.display()))?;
    let header = plan_rows.headers()?.clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(at_line), Some(at_object), Some(at_action), Some(at_id)) =
        (at("line"), at("object"), at("action"), at("record_id"))
    else {
        anyhow::bail!(
            "the dry run's plan has an unexpected header: {}",
            header.iter().collect::<Vec<_>>().join(",")
        );
    };
    // A row is a line of a file (the plan of several files names the file first).
    let at_file = at("file");
    let mut shown: Vec<(String, String)> = Vec::new();
    for row in plan_rows.records() {
        let row = row.with_context(|| format!("reading {}", plan.display()))?;
        let field = |k: usize| row.get(k).unwrap_or("");
        let line = field(at_line).to_owned();
        let key = (at_file.map_or("", field).to_owned(), line.clone());
        if !shown.contains(&key) {
            if shown.len() == PREVIEW_ROWS {
                break;
            }
            shown.push(key);
        }
        let (object, id) = (field(at_object), field(at_id).parse::<u64>().ok());
        let record = match (id, schema.object(object)) {
            (Some(id), Some(def)) => read
                .record(object, id)?
                .map(|r| crate::export::record_json(def, id, &r.view(), &[])["properties"].clone()),
            _ => None,
        };
        let mut shown_row = json!({
            "line": line, "object": object, "action": field(at_action), "record_id": id, "properties": record,
        });
        if let Some(k) = at_file {
            shown_row["file"] = json!(field(k));
        }
        preview.push(shown_row);
    }
    Ok(json!({
        "dry_run": true,
        "rows": s.rows,
        "rows_failed": s.rows_failed,
        "mapping": mapping,
        "preview": preview,
        "objects": s.objects,
        "associations": s.associations,
        "errors": {"total": s.errors, "by_column": s.errors_by_column, "by_code": s.errors_by_code},
        "skipped_columns": s.skipped_columns,
        "created_properties": s.created_properties,
        "created_without_identifier": s.created_without_identifier,
        "unchanged_unread": s.unchanged_unread,
        "list": s.list,
    }))
}

fn text(r: &Value) -> String {
    let mut lines = vec![format!(
        "dry run: {} rows read, {} would fail; nothing was written",
        r["rows"], r["rows_failed"]
    )];
    let mapping = r["mapping"].as_array().map_or(&[][..], Vec::as_slice);
    // With several inputs, each one's mapping under its name, and each preview row
    // with the file it comes from.
    let several = mapping.iter().any(|m| m["file"] != mapping[0]["file"]);
    if !several {
        lines.push("mapping:".into());
    }
    for (i, m) in mapping.iter().enumerate() {
        if several && (i == 0 || m["file"] != mapping[i - 1]["file"]) {
            lines.push(format!("mapping of {}:", m["file"].as_str().unwrap_or("")));
        }
        lines.push(format!(
            "  {} -> {} ({})",
            m["column"].as_str().unwrap_or(""),
            m["target"].as_str().unwrap_or(""),
            m["matched"].as_str().unwrap_or("")
        ));
    }
    lines.push(format!("first {PREVIEW_ROWS} rows as they would be imported:"));
    for p in r["preview"].as_array().into_iter().flatten() {
        let props = p["properties"].as_object().map_or_else(String::new, |o| {
            o.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let file = match p["file"].as_str() {
            Some(f) if several => format!("{f} "),
            _ => String::new(),
        };
        lines.push(format!(
            "  {file}line {}: {} {} {}: {props}",
            p["line"].as_str().unwrap_or(""),
            p["object"].as_str().unwrap_or(""),
            p["action"].as_str().unwrap_or(""),
            p["record_id"].as_u64().map_or_else(|| "-".to_owned(), |id| format!("#{id}"))
        ));
    }
    lines.push("would be:".into());
    for (object, c) in r["objects"].as_object().into_iter().flatten() {
        lines.push(format!(
            "  {object}: {} created, {} updated, {} unchanged, {} skipped, {} failed",
            c["created"], c["updated"], c["unchanged"], c["skipped"], c["failed"]
        ));
    }
    let a = &r["associations"];
    if a["created"].as_u64().unwrap_or(0) + a["existing"].as_u64().unwrap_or(0) > 0 {
        lines.push(format!("  associations: {} created, {} existing", a["created"], a["existing"]));
    }
    for p in r["created_properties"].as_array().into_iter().flatten() {
        lines.push(format!(
            "  property {}.{} ({}) created",
            p["object"].as_str().unwrap_or(""),
            p["name"].as_str().unwrap_or(""),
            p["type"].as_str().unwrap_or("")
        ));
    }
    if let Some(list) = r["list"].as_object() {
        lines.push(format!(
            "  list '{}': {} {}",
            list.get("name").and_then(Value::as_str).unwrap_or(""),
            list.get("size").unwrap_or(&Value::Null),
            list.get("object").and_then(Value::as_str).unwrap_or("")
        ));
    }
    let e = &r["errors"];
    lines.push(format!("errors: {}", e["total"]));
    for (what, key) in [("per column", "by_column"), ("per code", "by_code")] {
        if let Some(m) = e[key].as_object().filter(|m| !m.is_empty()) {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
            lines.push(format!("  {what}: {}", parts.join(", ")));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}
