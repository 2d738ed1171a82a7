//! `ingest lists [--json]` and `ingest list NAME [--format jsonl|csv]` (SPEC 7):
//! the static lists imports made with `--create-list`.

use anyhow::Context as _;

use super::{Context, open_read, print_json};
use crate::export::{self, Format};

/// List the static lists.
#[derive(Clone, Copy, clap::Args)]
pub struct ListsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

/// Write a list's records.
#[derive(clap::Args)]
pub struct ListArgs {
    /// The list's name.
    name: String,
    /// jsonl (default) or csv, as `ingest export` writes records.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
}

pub(super) fn lists(args: ListsArgs, ctx: &Context) -> anyhow::Result<()> {
    let store = open_read(&ctx.store, ctx.wait)?;
    let lists = store.begin_read()?.lists()?;
    if args.json {
        return print_json(&lists);
    }
    println!("{:>4}  {:<24}  {:<12}  {:>10}  {:>6}  name", "id", "created", "object", "records", "import");
    for l in &lists {
        let import = l.import.map_or_else(|| "-".to_owned(), |i| i.to_string());
        println!(
            "{:>4}  {:<24}  {:<12}  {:>10}  {:>6}  {}",
            l.id, l.created_at, l.object, l.size, import, l.name
        );
    }
    Ok(())
}

pub(super) fn list(args: &ListArgs, ctx: &Context) -> anyhow::Result<()> {
    let store = open_read(&ctx.store, ctx.wait)?;
    let read = store.begin_read()?;
    let (entry, members) =
        read.list(&args.name)?.with_context(|| format!("there is no list named '{}'", args.name))?;
    let schema = read.schema()?;
    let object = schema
        .object(&entry.object)
        .with_context(|| format!("the list's object {} is gone", entry.object))?;
    let format = match args.format {
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv => Format::Csv,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout());
    export::export_some(&read, object, format, Some(&members), &mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}
