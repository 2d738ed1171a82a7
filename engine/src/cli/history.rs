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
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { id, json } = args;
    let store = open_read(&ctx.store, ctx.wait)?;
    let imports = store.imports()?;
    match id {
        Some(id) => {
            let e = imports.into_iter().find(|e| e.id == id).with_context(|| format!("no import {id}"))?;
            if json {
                print_json(&e)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&e)?);
            }
        }
        None if json => print_json(&imports)?,
        None => {
            println!(
                "{:>4}  {:<24}  {:<11}  {:>10}  {:>8}  name",
                "id", "started", "status", "rows", "failed"
            );
            for e in imports {
                let status = serde_json::to_value(e.status)?;
                println!(
                    "{:>4}  {:<24}  {:<11}  {:>10}  {:>8}  {}",
                    e.id,
                    e.started_at,
                    status.as_str().unwrap_or(""),
                    e.rows,
                    e.rows_failed,
                    e.name
                );
            }
        }
    }
    Ok(())
}
