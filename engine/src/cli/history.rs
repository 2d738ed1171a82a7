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
                println!("{}", serde_json::to_string_pretty(&e)?);
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
