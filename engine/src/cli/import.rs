//! `ingest import`: import CSV files.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use store::Store;

use crate::import::{self, ImportSpec};
use crate::plan::Mode;
use crate::progress::Progress;
use crate::spec::{DateFormat, Delimiter, IdChoice, InputEncoding, Language, NumberFormat, TimeZone};

use super::{Context, open_store, print_json};

/// Import CSV files.
#[allow(clippy::struct_excessive_bools)] // command-line flags
#[derive(clap::Args)]
pub struct Args {
    /// Input files (`-` for standard input).
    #[arg(required_unless_present = "spec")]
    files: Vec<PathBuf>,
    /// A job file (TOML) describing the whole import: every option below has its
    /// key (`files`, `objects`, `mode`, `map`, `date_format`, ...); options given on
    /// the command line override it. `ingest history ID --spec` writes one.
    #[arg(long, value_name = "FILE.toml")]
    spec: Option<PathBuf>,
    /// The object the file holds (contacts, companies); inferred from the headers if omitted.
    #[arg(long)]
    object: Vec<String>,
    /// upsert (default), create or update.
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Map a column: 'HEADER=object.property', 'HEADER=property' or 'HEADER=-' to skip;
    /// 'HEADER=+object.name:TYPE' creates the custom property (or maps to it if it exists).
    #[arg(long)]
    map: Vec<String>,
    /// Skip columns that match no property instead of failing.
    #[arg(long)]
    skip_unmapped: bool,
    /// Create a custom property (typed from the column's values) for every column that
    /// matches no property.
    #[arg(long)]
    create_properties: bool,
    /// The unique property to match OBJ by: OBJ=PROP.
    #[arg(long, value_name = "OBJ=PROP")]
    id: Vec<IdChoice>,
    /// Language of the headers (and of yes/no words).
    #[arg(long, value_enum, ignore_case = true)]
    header_lang: Option<Language>,
    /// Date format (ISO 8601 is always accepted; DD/MM/YYYY and DD.MM.YYYY are DD-MM-YYYY).
    #[arg(long, value_enum, ignore_case = true)]
    date_format: Option<DateFormat>,
    /// Number locale: en (1,234.56) or nl, de, da, fr, es (1.234,56).
    #[arg(long, value_enum, ignore_case = true)]
    number_locale: Option<NumberFormat>,
    /// Time zone (IANA name) of datetimes written without an offset (default UTC).
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<TimeZone>,
    /// Only set these properties where the record has no value yet.
    #[arg(long, value_delimiter = ',')]
    no_overwrite: Vec<String>,
    /// Only set properties where the record has no value yet.
    #[arg(long)]
    no_overwrite_all: bool,
    /// Let an import move a record's lifecycle stage backward (by default it only
    /// moves forward, and a backward value is a warning in the error file).
    #[arg(long)]
    allow_lifecycle_backward: bool,
    /// A name for the import.
    #[arg(long)]
    name: Option<String>,
    /// Field delimiter (default: detected among , ; tab |).
    #[arg(long)]
    delimiter: Option<Delimiter>,
    /// Encoding (default: detected).
    #[arg(long, value_enum, ignore_case = true)]
    encoding: Option<InputEncoding>,
    /// The sheet of an XLSX, XLS or ODS input (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Also write a result file: one line per row with its action and record ID.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Read the whole file and print what the import would do (the mapping, the
    /// first three rows as imported, counts, errors per column and code); the
    /// store file is not modified.
    #[arg(long)]
    dry_run: bool,
    /// Chunk size in bytes (for tests and benchmarks).
    #[arg(long, hide = true)]
    chunk_bytes: Option<usize>,
    /// Worker threads (default: all cores, or `RAYON_NUM_THREADS`).
    #[arg(long)]
    threads: Option<usize>,
    /// Two or more files, one --object each (in order), linked by this column: the
    /// unique key of the --key-of object, held by every file.
    #[arg(long, value_name = "HEADER", requires = "key_of")]
    common_column: Option<String>,
    /// The object whose unique key the --common-column holds.
    #[arg(long, value_name = "OBJ", requires = "common_column")]
    key_of: Option<String>,
    /// Associate each contact with the company whose domain is its email's domain,
    /// creating the company (named after the domain) where none has it; free-mail
    /// and ISP domains (gmail.com, outlook.com, ...) never make a company.
    #[arg(long)]
    associate_by_domain: bool,
    /// With --associate-by-domain: more domains that never make a company, one per line.
    #[arg(long, value_name = "FILE", requires = "associate_by_domain")]
    exclude_domains: Option<PathBuf>,
    /// The first company a row associates with a contact, deal or ticket becomes its
    /// primary company, also where it had one (the previous primary stays
    /// associated). Without it an import never replaces a primary company.
    #[arg(long)]
    replace_primary: bool,
    /// A row whose record ID does not exist creates the record with that ID (upsert
    /// and create modes), so that the store keeps another system's IDs; the ID
    /// sequence moves past the largest. Without it such a row is refused (`INVALID_RECORD_ID`).
    #[arg(long)]
    create_with_ids: bool,
    /// Store a static list of the records (contacts, or the import's object) this
    /// import created, updated or matched: `ingest list NAME`.
    #[arg(long, value_name = "NAME")]
    create_list: Option<String>,
    /// Read and match every row, also those that the last import of the same
    /// columns and options showed to change nothing (a re-run skips them).
    #[arg(long)]
    read_all: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let (json, dry_run) = (args.json, args.dry_run);
    let opts = spec_of_args(args)?;
    if dry_run {
        return super::dry_run::run(opts, json, ctx);
    }
    import_with(&opts, json, ctx)
}

/// The import spec of the command line: the job file's (`--spec`), with every
/// option the command line gives put over it.
fn spec_of_args(args: Args) -> anyhow::Result<ImportSpec> {
    let Args {
        files,
        spec,
        object,
        mode,
        map,
        skip_unmapped,
        create_properties,
        id,
        header_lang,
        date_format,
        number_locale,
        time_zone,
        no_overwrite,
        no_overwrite_all,
        allow_lifecycle_backward,
        name,
        delimiter,
        encoding,
        sheet,
        results,
        json: _,
        dry_run: _,
        chunk_bytes,
        threads,
        common_column,
        key_of,
        associate_by_domain,
        exclude_domains,
        replace_primary,
        create_with_ids,
        create_list,
        read_all,
    } = args;
    let mut opts = match &spec {
        Some(path) => ImportSpec::from_job_file(path).map_err(|e| super::Usage(format!("--spec {e}")))?,
        None => ImportSpec::default(),
    };
    if opts.files.is_empty() && files.is_empty() {
        return Err(super::Usage("the job file names no files, and none are given".into()).into());
    }
    replace(&mut opts.files, files);
    replace(&mut opts.objects, object);
    replace(&mut opts.maps, map);
    replace(&mut opts.ids, id);
    replace(&mut opts.no_overwrite, no_overwrite);
    if let Some(mode) = mode {
        opts.mode = mode;
    }
    opts.skip_unmapped |= skip_unmapped;
    opts.create_properties |= create_properties;
    opts.no_overwrite_all |= no_overwrite_all;
    opts.allow_lifecycle_backward |= allow_lifecycle_backward;
    opts.associate_by_domain |= associate_by_domain;
    opts.replace_primary |= replace_primary;
    opts.create_with_ids |= create_with_ids;
    opts.read_all |= read_all;
    over(&mut opts.header_lang, header_lang);
    over(&mut opts.date_format, date_format);
    over(&mut opts.number_locale, number_locale);
    over(&mut opts.time_zone, time_zone);
    over(&mut opts.name, name);
    over(&mut opts.delimiter, delimiter);
    over(&mut opts.encoding, encoding);
    over(&mut opts.sheet, sheet);
    over(&mut opts.results, results);
    over(&mut opts.chunk_bytes, chunk_bytes);
    over(&mut opts.threads, threads);
    over(&mut opts.common_column, common_column);
    over(&mut opts.key_of, key_of);
    over(&mut opts.exclude_domains, exclude_domains);
    over(&mut opts.create_list, create_list);
    if opts.common_column.is_some() != opts.key_of.is_some() {
        return Err(super::Usage("--common-column and --key-of go together".into()).into());
    }
    Ok(opts)
}

/// A list the command line gives replaces the job file's.
fn replace<T>(to: &mut Vec<T>, from: Vec<T>) {
    if !from.is_empty() {
        *to = from;
    }
}

/// An option the command line gives replaces the job file's.
fn over<T>(to: &mut Option<T>, from: Option<T>) {
    if from.is_some() {
        *to = from;
    }
}

/// `ingest rerun ID [FILE...]`: repeats an import with the spec it ran with.
#[derive(clap::Args)]
pub struct RerunArgs {
    /// The import to repeat (see `ingest history`).
    id: u64,
    /// Files to import instead of the import's own.
    files: Vec<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Print what the rerun would do, as `import --dry-run` does; the store file is
    /// not modified.
    #[arg(long)]
    dry_run: bool,
}

pub(super) fn rerun(args: RerunArgs, ctx: &Context) -> anyhow::Result<()> {
    let entry = {
        let store = super::open_read(&ctx.store, ctx.wait)?;
        store
            .imports()?
            .into_iter()
            .find(|e| e.id == args.id)
            .with_context(|| format!("no import {}", args.id))?
    };
    let mut opts = super::history::spec_of(&entry)?;
    if !args.files.is_empty() {
        opts.files = args.files;
    }
    if args.dry_run {
        // Writes nothing: not even the results file the repeated import named.
        opts.results = None;
        return super::dry_run::run(opts, args.json, ctx);
    }
    import_with(&opts, args.json, ctx)
}

fn import_with(opts: &ImportSpec, json: bool, ctx: &Context) -> anyhow::Result<()> {
    crate::interrupt::install();
    import::check_outputs(&ctx.store, opts)?;
    let store = open_store(&ctx.store, ctx.wait)?;
    let total: u64 = opts.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let progress = if json { Progress::hidden() } else { Progress::for_terminal(total, "importing") };
    let (_store, summary) = run_import(store, &ctx.store, opts, &progress)?;
    if json {
        print_json(&summary)?;
    } else {
        print_summary(&summary);
    }
    Ok(())
}

/// Runs an import; after a failed final commit, reopens the store to tell the user
/// which state it is in.
pub(super) fn run_import(
    store: Store,
    path: &Path,
    opts: &ImportSpec,
    progress: &Progress,
) -> anyhow::Result<(Store, import::ImportSummary)> {
    match import::run(&store, opts, progress) {
        Ok(summary) => {
            if let Some(sig) = crate::interrupt::received_during_commit() {
                eprintln!(
                    "{} arrived during the final commit: the import was completed",
                    crate::interrupt::name(sig)
                );
            }
            Ok((store, summary))
        }
        Err(import::ImportError::Commit { import_id, source }) => {
            let cause = source.to_string();
            drop(store);
            let store = Store::open(path).with_context(|| {
                format!(
                    "the final commit of import {import_id} failed ({cause}) and the store cannot be reopened"
                )
            })?;
            let state = import::settle_failed_commit(&store, import_id, &cause)
                .with_context(|| format!("the final commit of import {import_id} failed ({cause})"))?;
            bail!("the final commit failed ({cause}); {}", state.message(import_id))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn print_summary(s: &import::ImportSummary) {
    let secs = s.elapsed_ms as f64 / 1000.0;
    let rate = if secs > 0.0 { s.rows as f64 / secs } else { 0.0 };
    println!(
        "import {}: {} rows in {secs:.2} s ({rate:.0} rows/s), {} failed, {} errors",
        s.import_id, s.rows, s.rows_failed, s.errors
    );
    for (object, c) in &s.objects {
        println!(
            "  {object}: {} created, {} updated, {} unchanged, {} skipped, {} failed",
            c.created, c.updated, c.unchanged, c.skipped, c.failed
        );
    }
    if let Some(list) = &s.list {
        println!("  list '{}': {} {}", list.name, list.size, list.object);
    }
    for p in &s.created_properties {
        println!(
            "  created property {}.{} ({}, label '{}')",
            p.object,
            p.name,
            p.ty.name(),
            crate::mapping::shown_name(&p.label)
        );
    }
    if !s.skipped_columns.is_empty() {
        let shown: Vec<String> = s
            .skipped_columns
            .iter()
            .take(20)
            .map(|c| format!("'{}'", crate::mapping::shown_name(c)))
            .collect();
        let more = s.skipped_columns.len().saturating_sub(20);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        println!("  skipped columns: {}{more}", shown.join(", "));
    }
    if s.unchanged_unread > 0 {
        println!(
            "  {} unchanged rows were known from the last import of this file and not read again \
             (--read-all reads them)",
            s.unchanged_unread
        );
    }
    if s.created_without_identifier > 0 {
        println!(
            "  {} rows created a record without an identifier (no record ID, no unique value): \
             importing the same rows again creates them again",
            s.created_without_identifier
        );
    }
    if let Some(advice) = &s.record_id_advice {
        println!("  {advice}");
    }
    if s.errors > 0 {
        println!("  errors:   {}", s.error_file);
    }
    if s.rows_failed > 0 {
        println!("  rejected: {}", s.rejected_file);
    }
}

#[cfg(test)]
mod tests {
    use clap::{Args as _, Command};

    use super::*;

    /// SPEC 7: every option of `ingest import` has its key in a job file, named as
    /// the option with `_` for `-` (`--object` is `objects`, `--id` is `ids`).
    #[test]
    fn every_import_option_has_its_job_file_key() {
        let command = Args::augment_args(Command::new("import"));
        let mut keys = 0;
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            // What the command does with the spec, not part of it.
            if ["spec", "json", "dry_run", "help"].contains(&id) {
                continue;
            }
            let key = match id {
                "object" => "objects",
                "id" => "ids",
                other => other,
            };
            // A known key with a value of the wrong type is a type error; an
            // unknown key is named as unknown.
            let error =
                toml::from_str::<ImportSpec>(&format!("{key} = {{ x = 1 }}")).unwrap_err().to_string();
            assert!(!error.contains("unknown field"), "--{id}: no job file key {key}: {error}");
            keys += 1;
        }
        assert!(keys >= 28, "only {keys} options seen");
        // And a key that is no option is refused.
        let error = toml::from_str::<ImportSpec>("colour = 1").unwrap_err().to_string();
        assert!(error.contains("unknown field"), "{error}");
    }
}
