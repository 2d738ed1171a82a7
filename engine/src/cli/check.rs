//! `ingest check`: exits with 1 if anything is wrong. Never changes the store.

use super::{CheckFailed, Context, print_json, wait_arg};

/// Exits with 1 if anything is wrong. Never changes the store.
#[derive(Clone, Copy, clap::Args)]
pub struct Args {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { json } = args;
    let report = crate::holder::open_waiting(&ctx.store, wait_arg(ctx.wait), |p| store::Store::check(p))?;
    if json {
        print_json(&report)?;
    } else {
        println!("store:    {}", report.path);
        println!(
            "checked:  {} tables, {} records, {} index entries, {} associations, {} imports, {} owners, {} error-file chunks, redb integrity {}",
            report.checked.tables,
            report.checked.records,
            report.checked.index_entries,
            report.checked.links / 2,
            report.checked.imports,
            report.checked.owners,
            report.checked.error_chunks,
            if report.redb_integrity { "ok" } else { "FAILED" }
        );
        for p in &report.problems {
            println!("  {} [{}]: {}", p.table, p.key, p.problem);
        }
        if report.problems_omitted > 0 {
            println!("  ... and {} more problems", report.problems_omitted);
        }
        println!("{}", if report.is_ok() { "ok" } else { "PROBLEMS FOUND" });
    }
    if !report.is_ok() {
        return Err(CheckFailed(report.problems.len() as u64 + report.problems_omitted).into());
    }
    Ok(())
}
