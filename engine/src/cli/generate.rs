//! `ingest gen`: generate realistic test data.

use std::path::PathBuf;

use super::Context;

/// Generate realistic test data.
#[derive(clap::Args)]
pub struct Args {
    /// Objects: contacts, companies.
    #[arg(required = true)]
    objects: Vec<String>,
    /// Rows per object.
    #[arg(long)]
    rows: u64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Also write `contacts_update.csv` (40% updates, 60% new) for the update benchmark.
    #[arg(long)]
    update_file: bool,
}

pub(super) fn run(args: Args, _ctx: &Context) -> anyhow::Result<()> {
    let Args { objects, rows, seed, out, update_file } = args;
    for path in crate::datagen::generate(&objects, rows, seed, &out, update_file)? {
        println!("{}", path.display());
    }
    Ok(())
}
