//! `ingest history`: list imports, or show one.

use anyhow::Context as _;

use super::{Context, open_read, print_json};

/// List imports, or show one.
#[derive(Clone, Copy, clap::Args)]
pub struct Args {
    /// An import ID.
    id: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Print the import's spec as a job file (TOML) for `ingest import --spec`.
    #[arg(long, requires = "id")]
    spec: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { id, json, spec } = args;
    let store = open_read(&ctx.store, ctx.wait)?;
    let mut imports = store.imports()?;
    imports.reverse(); // newest first
    match id {
        Some(id) => {
            let e = imports.into_iter().find(|e| e.id == id).with_context(|| format!("no import {id}"))?;
            if spec {
                print!("{}", spec_of(&e)?.to_job_file());
            } else if json {
                print_json(&e)?;
            } else {
                print!("{}", describe(&e));
            }
        }
        None if json => print_json(&imports)?,
        None => {
            println!(
                "{:>4}  {:<24}  {:<11}  {:>10}  {:>9}  {:>9}  {:>9}  {:>8}  name",
                "id", "started", "status", "rows", "created", "updated", "unchanged", "failed"
            );
            for e in imports {
                let status = serde_json::to_value(e.status)?;
                let sum = |f: fn(&store::ObjectCounts) -> u64| e.counts.values().map(f).sum::<u64>();
                println!(
                    "{:>4}  {:<24}  {:<11}  {:>10}  {:>9}  {:>9}  {:>9}  {:>8}  {}",
                    e.id,
                    e.started_at,
                    status.as_str().unwrap_or(""),
                    e.rows,
                    sum(|c| c.created),
                    sum(|c| c.updated),
                    sum(|c| c.unchanged),
                    e.rows_failed,
                    e.name
                );
            }
        }
    }
    Ok(())
}

/// The spec an import ran with, as its log entry keeps it.
pub(super) fn spec_of(e: &store::ImportEntry) -> anyhow::Result<crate::spec::ImportSpec> {
    let spec = e.options.get("spec").with_context(|| format!("import {} keeps no spec", e.id))?;
    serde_json::from_value(spec.clone())
        .with_context(|| format!("the spec of import {} cannot be read", e.id))
}

/// One import as `ingest history ID` prints it: what ran, on which files, what
/// it did, and the mapping as the engine applied it.
fn describe(e: &store::ImportEntry) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let status = serde_json::to_value(e.status).ok();
    let status = status.as_ref().and_then(serde_json::Value::as_str).unwrap_or("");
    let kind = e.kind.as_deref().map_or_else(String::new, |k| format!(" ({k})"));
    let _ = writeln!(out, "import {}{kind}: {}", e.id, e.name);
    let _ = writeln!(out, "  status     {status}");
    let _ = writeln!(out, "  started    {}", e.started_at);
    if let Some(at) = &e.finished_at {
        let _ = writeln!(out, "  finished   {at} ({} ms)", e.elapsed_ms);
    }
    if let Some(at) = &e.undone_at {
        let _ = writeln!(out, "  undone     {at}");
    }
    let _ = writeln!(out, "  mode       {}", e.mode);
    let _ = writeln!(out, "  objects    {}", e.objects.join(", "));
    for (i, file) in e.files.iter().enumerate() {
        let label = if i == 0 { "files" } else { "" };
        match e.inputs.get(i) {
            Some(f) => {
                let _ = writeln!(out, "  {label:<10} {file} ({} bytes, {})", f.size, f.hash);
            }
            None => {
                let _ = writeln!(out, "  {label:<10} {file}");
            }
        }
    }
    let _ = writeln!(out, "  rows       {} read, {} failed, {} errors", e.rows, e.rows_failed, e.errors);
    if !e.counts.is_empty() {
        let _ = writeln!(
            out,
            "  {:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "object", "created", "updated", "unchanged", "skipped", "failed"
        );
        for (object, c) in &e.counts {
            let _ = writeln!(
                out,
                "  {object:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
                c.created, c.updated, c.unchanged, c.skipped, c.failed
            );
        }
    }
    if e.associations.created + e.associations.existing > 0 {
        let a = e.associations;
        let _ = writeln!(out, "  associations {} created, {} existing", a.created, a.existing);
    }
    if let Some(u) = &e.undo {
        let per = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            out,
            "  undo       deleted [{}], restored [{}], {} links removed, {} link changes reversed, {} kept",
            per(&u.deleted),
            per(&u.restored),
            u.links_removed,
            u.link_changes_reversed,
            u.kept
        );
    }
    if let Some(path) = &e.error_file {
        let _ = writeln!(out, "  error file {path} (also from the store: ingest errors {})", e.id);
    }
    if let Some(path) = &e.rejected_file {
        let _ = writeln!(out, "  rejected   {path}");
    }
    if let Some(note) = &e.note {
        let _ = writeln!(out, "  note       {note}");
    }
    // In header order where the log has it (`applied`), else as older logs kept it.
    let applied = e.options.get("applied").filter(|a| a.is_array());
    for file in applied.unwrap_or(&e.options["mapping"]).as_array().into_iter().flatten() {
        let _ = writeln!(out, "  mapping of {}:", file["file"].as_str().unwrap_or(""));
        for (column, target) in mapping_columns(&file["columns"]) {
            let _ = writeln!(out, "    {column} -> {target}");
        }
    }
    out
}

/// The (column, target) pairs of one file's logged mapping: a list of
/// `{"column", "target", "matched"}` in header order, or (older logs) an object.
fn mapping_columns(columns: &serde_json::Value) -> Vec<(String, String)> {
    let text = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    match columns {
        serde_json::Value::Array(list) => list
            .iter()
            .map(|c| match c["matched"].as_str() {
                Some(how) => (text(&c["column"]), format!("{} ({how})", text(&c["target"]))),
                None => (text(&c["column"]), text(&c["target"])),
            })
            .collect(),
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        _ => Vec::new(),
    }
}
