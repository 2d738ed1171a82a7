//! `ingest inspect`: report a file's dialect, header, row count and structural errors.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::mapping::vocabulary::Vocabulary;

use crate::spec::{Delimiter, InputEncoding};

use super::{Context, open_read, print_json};

/// Report a file's dialect, header, row count and structural errors.
#[derive(clap::Args)]
pub struct Args {
    /// The file.
    file: PathBuf,
    /// Field delimiter (default: detected).
    #[arg(long)]
    delimiter: Option<Delimiter>,
    /// Encoding (default: detected).
    #[arg(long, value_enum, ignore_case = true)]
    encoding: Option<InputEncoding>,
    /// The sheet of an XLSX, XLS or ODS file (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { file, delimiter, encoding, sheet, json } = args;
    // The store's schema (custom properties) if the store exists, else the standard model.
    let vocabulary = if ctx.store.exists() {
        let store = open_read(&ctx.store, ctx.wait)?;
        Vocabulary::new(&store.begin_read()?.schema()?)
    } else {
        Vocabulary::standard()
    };
    let report = crate::inspect::inspect(
        &file,
        (delimiter.map(|d| d.0), encoding.map(InputEncoding::encoding), sheet.as_deref()),
        None,
        &vocabulary,
    )
    .with_context(|| format!("cannot read {}", file.display()))?;
    if json {
        print_json(&report)?;
    } else {
        if let Some(format) = &report.format {
            println!("format:      {format}");
        }
        println!("encoding:    {}{}", report.encoding, if report.bom { " (BOM)" } else { "" });
        println!("delimiter:   {:?}", report.delimiter);
        println!("line ending: {}", report.line_ending);
        println!("header:      {}", report.header.join(" | "));
        println!("rows:        {}", report.rows);
        if let Some(object) = report.object {
            println!("object:      {object} (as an import without --object would choose)");
        }
        for m in &report.mapping {
            let target = if m.target.is_empty() { "(no property)" } else { m.target.as_str() };
            println!("  {:<30} -> {target}", crate::mapping::shown_name(&m.column));
        }
        if let Some(e) = &report.mapping_error {
            println!("an import with default options would stop: {e}");
        }
        println!("errors:      {}", report.errors.len());
        for e in report.errors.iter().take(50) {
            println!("  line {}: {} {}", e.position.line, e.code, e.message);
        }
    }
    Ok(())
}
