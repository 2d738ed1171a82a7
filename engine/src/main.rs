//! `ingest`: the command-line front of the engine (SPEC 8). Thin glue: parse
//! arguments, open the store, call the library, print.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use engine::dialect::Encoding;
use engine::export::{self, Format};
use engine::import::{self, ImportOptions};
use engine::plan::Mode;
use engine::progress::Progress;
use engine::schema;
use store::Store;

#[derive(Parser)]
#[command(name = "ingest", version, about = "Fast, exact CRM imports into a local store")]
struct Cli {
    /// The store file.
    #[arg(long, global = true, env = "INGEST_STORE", default_value = "crm.redb")]
    store: PathBuf,
    /// If another process holds the store, wait up to SECONDS for it instead of failing.
    #[arg(long, global = true, value_name = "SECONDS")]
    wait: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Upsert,
    Create,
    Update,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Jsonl,
    Csv,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    /// Import CSV files.
    Import {
        /// Input files (`-` for standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The object the file holds (contacts, companies); inferred from the headers if omitted.
        #[arg(long)]
        object: Vec<String>,
        /// upsert (default), create or update.
        #[arg(long, value_enum, default_value = "upsert")]
        mode: ModeArg,
        /// Map a column: 'HEADER=object.property', 'HEADER=property' or 'HEADER=-' to skip.
        #[arg(long)]
        map: Vec<String>,
        /// Skip columns that match no property instead of failing.
        #[arg(long)]
        skip_unmapped: bool,
        /// The unique property to match OBJ by: OBJ=PROP.
        #[arg(long)]
        id: Vec<String>,
        /// Language of the headers: en, nl, da, de, fr, es.
        #[arg(long)]
        header_lang: Option<String>,
        /// Date format: YYYY-MM-DD, DD-MM-YYYY, MM/DD/YYYY, DD.MM.YYYY (ISO is always accepted).
        #[arg(long)]
        date_format: Option<String>,
        /// Number locale: en (1,234.56) or nl, de, da, fr, es (1.234,56).
        #[arg(long)]
        number_locale: Option<String>,
        /// Only set these properties where the record has no value yet.
        #[arg(long, value_delimiter = ',')]
        no_overwrite: Vec<String>,
        /// Only set properties where the record has no value yet.
        #[arg(long)]
        no_overwrite_all: bool,
        /// A name for the import.
        #[arg(long)]
        name: Option<String>,
        /// Field delimiter (default: detected among , ; tab |).
        #[arg(long)]
        delimiter: Option<String>,
        /// Encoding (default: detected): utf-8, utf-16le, utf-16be, windows-1252.
        #[arg(long)]
        encoding: Option<String>,
        /// Also write a result file: one line per row with its action and record ID.
        #[arg(long)]
        results: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Chunk size in bytes (for tests and benchmarks).
        #[arg(long, hide = true)]
        chunk_bytes: Option<usize>,
        /// Worker threads (default: all cores, or `RAYON_NUM_THREADS`).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Report a file's dialect, header, row count and structural errors.
    Inspect {
        /// The file.
        file: PathBuf,
        /// Field delimiter (default: detected).
        #[arg(long)]
        delimiter: Option<String>,
        /// Encoding (default: detected).
        #[arg(long)]
        encoding: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List imports, or show one.
    History {
        /// An import ID.
        id: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one record by ID or by a unique property.
    Get {
        /// contacts or companies.
        object: String,
        /// Record ID.
        id: Option<u64>,
        /// Look up by PROP=VALUE (email or domain).
        #[arg(long)]
        by: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every record of an object, in ID order.
    Export {
        /// contacts or companies.
        object: String,
        /// jsonl (default) or csv.
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
    },
    /// Verify the whole store: redb's integrity, every record's checksum, the
    /// identifier indexes against the records, the ID sequences and the import log.
    /// Exits with 1 if anything is wrong. Never changes the store.
    Check {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record counts per object.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate realistic test data.
    Gen {
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
    },
    /// Generate a data set, import it into the store and print the summary.
    Demo {
        /// Contacts to generate.
        #[arg(long, default_value_t = 200_000)]
        rows: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The first panic of the process: its message and location, kept by the panic
/// hook so that the command boundary can report it once, in its own words.
static PANIC: std::sync::Mutex<Option<(String, String)>> = std::sync::Mutex::new(None);

fn main() -> ExitCode {
    let cli = Cli::parse();
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let mut first = PANIC.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if first.is_none() {
            *first = Some((message, location));
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            if let Some(i @ import::ImportError::Interrupted { .. }) = e.downcast_ref::<import::ImportError>()
            {
                eprintln!("{i}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::from(exit_code(&e))
        }
        Err(_) => {
            let (message, location) =
                PANIC.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone().unwrap_or_default();
            if location.contains("redb") {
                // redb trusts its pages; a damaged page can make it index out of range.
                eprintln!(
                    "error: the store is corrupt: reading it failed inside redb ({message} at {location}); \
                     run `ingest check` for details"
                );
                ExitCode::from(1)
            } else {
                eprintln!("error: internal error (a bug in ingest): {message} at {location}");
                ExitCode::from(101)
            }
        }
    }
}

/// Usage errors exit with 2, an interrupted import with 128 + its signal, the rest
/// with 1 (SPEC 8).
fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(i) = cause.downcast_ref::<import::ImportError>() {
            return i.exit_code();
        }
        if cause.downcast_ref::<engine::output::Clobber>().is_some()
            || cause.downcast_ref::<Usage>().is_some()
        {
            return 2;
        }
    }
    1
}

/// `ingest check` found problems (exit code 1, the report is already printed).
#[derive(Debug, thiserror::Error)]
#[error("the store has {0} problem(s); see the report above")]
struct CheckFailed(u64);

/// A usage error found by the command line glue (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn wait_arg(cli_wait: Option<u64>) -> Option<std::time::Duration> {
    cli_wait.map(std::time::Duration::from_secs)
}

/// Opens the store for writing (creating it if missing).
fn open_store(path: &Path, wait: Option<u64>) -> anyhow::Result<Store> {
    engine::holder::open_waiting(path, wait_arg(wait), |p| Store::open(p))
}

/// Opens the store for a read-only command: never creates or changes it.
fn open_read(path: &Path, wait: Option<u64>) -> anyhow::Result<Store> {
    engine::holder::open_waiting(path, wait_arg(wait), |p| Store::open_read_only(p))
}

/// Runs an import; after a failed final commit, reopens the store to tell the user
/// which state it is in.
fn run_import(
    store: Store,
    path: &Path,
    opts: &ImportOptions,
    progress: &Progress,
) -> anyhow::Result<(Store, import::ImportSummary)> {
    match import::run(&store, opts, progress) {
        Ok(summary) => {
            if let Some(sig) = engine::interrupt::received_during_commit() {
                eprintln!(
                    "{} arrived during the final commit: the import was completed",
                    engine::interrupt::name(sig)
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

fn byte_arg(name: &str, s: Option<&str>) -> anyhow::Result<Option<u8>> {
    Ok(match s {
        None => None,
        Some("\\t" | "tab" | "\t") => Some(b'\t'),
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(s) => bail!("--{name} must be one character, got '{s}'"),
    })
}

fn encoding_arg(s: Option<&str>) -> anyhow::Result<Option<Encoding>> {
    s.map(|e| {
        Encoding::parse(e)
            .with_context(|| format!("unknown --encoding '{e}' (utf-8, utf-16le, utf-16be, windows-1252)"))
    })
    .transpose()
}

fn object_arg(name: &str) -> anyhow::Result<&'static schema::ObjectDef> {
    schema::object(name).ok_or_else(|| Usage(format!("unknown object '{name}' (contacts, companies)")).into())
}

/// `path` as one shell word: quoted when it holds anything but `[A-Za-z0-9_./+-]`.
fn shell_word(path: &Path) -> String {
    let s = path.display().to_string();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_./+-".contains(c)) {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Import {
            files,
            object,
            mode,
            map,
            skip_unmapped,
            id,
            header_lang,
            date_format,
            number_locale,
            no_overwrite,
            no_overwrite_all,
            name,
            delimiter,
            encoding,
            results,
            json,
            chunk_bytes,
            threads,
        } => {
            let opts = ImportOptions {
                files,
                objects: object,
                mode: match mode {
                    ModeArg::Upsert => Mode::Upsert,
                    ModeArg::Create => Mode::Create,
                    ModeArg::Update => Mode::Update,
                },
                maps: map,
                skip_unmapped,
                ids: id,
                header_lang,
                date_format,
                number_locale,
                no_overwrite,
                no_overwrite_all,
                name,
                delimiter: byte_arg("delimiter", delimiter.as_deref())?,
                encoding: encoding_arg(encoding.as_deref())?,
                results,
                report_dir: None,
                chunk_bytes,
                threads,
            };
            engine::interrupt::install();
            import::check_outputs(&cli.store, &opts)?;
            let store = open_store(&cli.store, cli.wait)?;
            let total: u64 =
                opts.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
            let progress = if json { Progress::hidden() } else { Progress::for_terminal(total, "importing") };
            let (_store, summary) = run_import(store, &cli.store, &opts, &progress)?;
            if json {
                print_json(&summary)?;
            } else {
                print_summary(&summary);
            }
        }
        Command::Inspect { file, delimiter, encoding, json } => {
            let report = engine::inspect::inspect(
                &file,
                byte_arg("delimiter", delimiter.as_deref())?,
                encoding_arg(encoding.as_deref())?,
                None,
            )
            .with_context(|| format!("cannot read {}", file.display()))?;
            if json {
                print_json(&report)?;
            } else {
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
                    println!("  {:<30} -> {target}", engine::mapping::shown_name(&m.column));
                }
                if let Some(e) = &report.mapping_error {
                    println!("an import with default options would stop: {e}");
                }
                println!("errors:      {}", report.errors.len());
                for e in report.errors.iter().take(50) {
                    println!("  line {}: {} {}", e.line, e.code, e.message);
                }
            }
        }
        Command::History { id, json } => {
            let store = open_read(&cli.store, cli.wait)?;
            let imports = store.imports()?;
            match id {
                Some(id) => {
                    let e = imports
                        .into_iter()
                        .find(|e| e.id == id)
                        .with_context(|| format!("no import {id}"))?;
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
        }
        Command::Get { object, id, by, json } => {
            let def = object_arg(&object)?;
            if id.is_some() == by.is_some() {
                return Err(Usage("give a record ID or --by PROP=VALUE".into()).into());
            }
            let store = open_read(&cli.store, cli.wait)?;
            let read = store.begin_read()?;
            let id = match (id, by) {
                (Some(id), None) => id,
                (None, Some(by)) => {
                    let (prop, value) =
                        by.split_once('=').ok_or_else(|| Usage("--by takes PROP=VALUE".into()))?;
                    let number = def
                        .property_number(prop)
                        .ok_or_else(|| Usage(format!("{object} has no property '{prop}'")))?;
                    if Some(prop) != def.identifier {
                        return Err(Usage(format!(
                            "--by needs a unique property of {object}: {}",
                            def.identifier.unwrap_or("-")
                        ))
                        .into());
                    }
                    let mut norm = String::new();
                    engine::values::normalize(
                        def.property(number).ty,
                        value.trim(),
                        &engine::values::ValueOptions::default(),
                        &mut norm,
                    )
                    .map_err(|code| Usage(format!("'{value}' is not a valid {prop}: {code}")))?;
                    read.lookup(def.name, prop, norm.as_bytes())?
                        .with_context(|| format!("no {object} record with {prop} {norm}"))?
                }
                _ => unreachable!("checked above: exactly one of an ID and --by"),
            };
            let record = read.record(def.name, id)?.with_context(|| format!("no {object} record {id}"))?;
            let value = export::record_json(def, id, &record.view());
            if json {
                print_json(&value)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
        }
        Command::Export { object, format, out, excel_safe } => {
            let def = object_arg(&object)?;
            if excel_safe && !matches!(format, FormatArg::Csv) {
                return Err(Usage("--excel-safe applies to --format csv only".into()).into());
            }
            if let Some(path) = &out {
                engine::output::Protected::with_store(&cli.store).check(path)?;
            }
            let store = open_read(&cli.store, cli.wait)?;
            let read = store.begin_read()?;
            let format = match format {
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Csv if excel_safe => Format::CsvExcelSafe,
                FormatArg::Csv => Format::Csv,
            };
            if let Some(path) = out {
                let mut w = engine::output::AtomicFile::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                export::export(&read, def, format, &mut w)?;
                w.commit().with_context(|| format!("cannot write {}", path.display()))?;
            } else {
                let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                export::export(&read, def, format, &mut w)?;
                w.flush()?;
            }
        }
        Command::Check { json } => {
            let report = engine::holder::open_waiting(&cli.store, wait_arg(cli.wait), engine::check::run)?;
            if json {
                print_json(&report)?;
            } else {
                println!("store:    {}", report.path);
                println!(
                    "checked:  {} tables, {} records, {} index entries, {} imports, redb integrity {}",
                    report.checked.tables,
                    report.checked.records,
                    report.checked.index_entries,
                    report.checked.imports,
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
        }
        Command::Stats { json } => {
            let store = open_read(&cli.store, cli.wait)?;
            let read = store.begin_read()?;
            let mut objects = serde_json::Map::new();
            for o in schema::OBJECTS {
                objects.insert(o.name.to_owned(), read.record_count(o.name)?.into());
            }
            let v = serde_json::json!({"objects": objects, "associations": 0});
            if json {
                print_json(&v)?;
            } else {
                for (k, n) in &objects {
                    println!("{k:<12} {n}");
                }
                println!("{:<12} 0", "associations");
            }
        }
        Command::Gen { objects, rows, seed, out, update_file } => {
            for path in engine::datagen::generate(&objects, rows, seed, &out, update_file)? {
                println!("{}", path.display());
            }
        }
        Command::Demo { rows, json } => {
            let dir = PathBuf::from("demo-data");
            eprintln!("generating {rows} contacts and {} companies in {}/ ...", rows / 10, dir.display());
            engine::datagen::generate(&["contacts".to_owned()], rows, 42, &dir, false)?;
            let companies_dir = dir.join("companies");
            engine::datagen::generate(&["companies".to_owned()], rows / 10, 42, &companies_dir, false)?;
            engine::interrupt::install();
            let mut store = open_store(&cli.store, cli.wait)?;
            for file in [dir.join("contacts.csv"), companies_dir.join("companies.csv")] {
                let total = std::fs::metadata(&file).map_or(0, |m| m.len());
                let progress =
                    if json { Progress::hidden() } else { Progress::for_terminal(total, "importing") };
                let opts = ImportOptions { files: vec![file.clone()], ..ImportOptions::default() };
                let (kept, summary) = run_import(store, &cli.store, &opts, &progress)?;
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
                    cli.store.display(),
                    read.record_count("contacts")?,
                    read.record_count("companies")?
                );
                // Commands that work when copied as printed: this binary, this store.
                let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("ingest"));
                let prefix = format!("{} --store {}", shell_word(&exe), shell_word(&cli.store));
                println!("try:");
                for command in ["get contacts 1", "history", "export companies --format csv", "check"] {
                    println!("  {prefix} {command}");
                }
            }
        }
    }
    Ok(())
}

fn print_summary(s: &import::ImportSummary) {
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
    if !s.skipped_columns.is_empty() {
        let shown: Vec<String> = s
            .skipped_columns
            .iter()
            .take(20)
            .map(|c| format!("'{}'", engine::mapping::shown_name(c)))
            .collect();
        let more = s.skipped_columns.len().saturating_sub(20);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        println!("  skipped columns: {}{more}", shown.join(", "));
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
