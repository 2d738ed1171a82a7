//! `ingest demo`: generate a data set, import it into the store and print the summary.

use std::path::PathBuf;

use crate::import::ImportSpec;
use crate::progress::Progress;

use super::import::{print_summary, run_import};
use super::{Context, open_store, print_json, shell_word};

/// Generate a data set, import it into the store and print the summary.
#[derive(Clone, Copy, clap::Args)]
pub struct Args {
    /// Contacts to generate.
    #[arg(long, default_value_t = 200_000)]
    rows: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { rows, json } = args;
    let dir = PathBuf::from("demo-data");
    eprintln!("generating {rows} contacts and {} companies in {}/ ...", rows / 10, dir.display());
    crate::datagen::generate(&["contacts".to_owned()], rows, 42, &dir, false)?;
    let companies_dir = dir.join("companies");
    crate::datagen::generate(&["companies".to_owned()], rows / 10, 42, &companies_dir, false)?;
    crate::interrupt::install();
    let mut store = open_store(&ctx.store, ctx.wait)?;
    for file in [dir.join("contacts.csv"), companies_dir.join("companies.csv")] {
        let total = std::fs::metadata(&file).map_or(0, |m| m.len());
        let progress = if json { Progress::hidden() } else { Progress::for_terminal(total, "importing") };
        let opts = ImportSpec { files: vec![file.clone()], ..ImportSpec::default() };
        let (kept, summary) = run_import(store, &ctx.store, &opts, &progress)?;
        store = kept;
        if json {
            print_json(&summary)?;
        } else {
            println!("\n{}", file.display());
            print_summary(&summary);
        }
    }
    if !json {
        let read = store.begin_read()?;
        println!(
            "\nstore {}: {} contacts, {} companies",
            ctx.store.display(),
            read.record_count("contacts")?,
            read.record_count("companies")?
        );
        // Commands that work when copied as printed: this binary, this store.
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("ingest"));
        let prefix = format!("{} --store {}", shell_word(&exe), shell_word(&ctx.store));
        println!("try:");
        for command in ["get contacts 1", "history", "export companies --format csv", "check"] {
            println!("  {prefix} {command}");
        }
    }
    Ok(())
}
