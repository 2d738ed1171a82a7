//! `ingest export`: write every record of an object, in ID order.

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::export::{self, Format};

use super::{Context, Usage, object_arg, open_read};

/// Write every record of an object, in ID order.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
    Parquet,
}

#[derive(clap::Args)]
pub struct Args {
    /// contacts or companies.
    object: String,
    /// jsonl (default), csv, or parquet (typed columns; needs --out FILE, or standard
    /// output redirected to a file or a pipe).
    #[arg(long, value_enum, default_value = "jsonl")]
    format: FormatArg,
    /// Output file (default: standard output). Written under a temporary name and
    /// renamed into place when complete; it can be neither the store nor its lock file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// CSV only: prefix values that start with =, +, -, @, tab or carriage return with
    /// a quote ('), so that a spreadsheet shows them as text instead of running them as
    /// formulas (CSV formula injection, as OWASP describes it). Off by default, because
    /// it changes values such as negative numbers for every other reader of the file.
    #[arg(long)]
    excel_safe: bool,
    /// CSV only: HubSpot's export layout with associated records, one section per
    /// object (`Record ID - Contact`, ..., `Record ID - Company`, ...) and one row per
    /// associated record of these objects (repeat, or comma-separate). Importing the
    /// file into this store changes nothing.
    #[arg(long = "with", value_delimiter = ',')]
    with: Vec<String>,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { object, format, out, excel_safe, with } = args;
    if !with.is_empty() && !matches!(format, FormatArg::Csv) {
        return Err(Usage("--with applies to --format csv only".into()).into());
    }
    if excel_safe && !matches!(format, FormatArg::Csv) {
        return Err(Usage("--excel-safe applies to --format csv only".into()).into());
    }
    if matches!(format, FormatArg::Parquet) && out.is_none() && std::io::stdout().is_terminal() {
        return Err(Usage(
            "--format parquet writes a binary file: give --out FILE (or redirect standard output)".into(),
        )
        .into());
    }
    if let Some(path) = &out {
        crate::report::output::Protected::with_store(&ctx.store).check(path)?;
    }
    let store = open_read(&ctx.store, ctx.wait)?;
    let read = store.begin_read()?;
    let schema = read.schema()?;
    let def = object_arg(&schema, &object)?;
    let format = match format {
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Csv if excel_safe => Format::CsvExcelSafe,
        FormatArg::Csv => Format::Csv,
        FormatArg::Parquet => Format::Parquet,
    };
    let with: Vec<&crate::schema::ObjectDef> =
        with.iter().map(|o| object_arg(&schema, o.trim())).collect::<Result<_, _>>()?;
    if let Some(w) = with.iter().find(|w| w.name == def.name) {
        return Err(Usage(format!("--with {} names the exported object itself", w.name)).into());
    }
    let write = |out: &mut (dyn Write + Send)| -> anyhow::Result<()> {
        if with.is_empty() {
            export::export(&read, def, format, out)?;
        } else {
            export::sections::export_with(&read, def, &with, format == Format::CsvExcelSafe, out)?;
        }
        Ok(())
    };
    if let Some(path) = out {
        let mut w = crate::report::output::AtomicFile::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        write(&mut w)?;
        w.commit().with_context(|| format!("cannot write {}", path.display()))?;
    } else {
        // Not the locked handle: the Parquet writer needs a `Send` writer.
        let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
        write(&mut w)?;
        w.flush()?;
    }
    Ok(())
}
