//! `ingest`: the command-line front of the engine (SPEC 8). Thin glue: parse
//! arguments, open the store, call the library, print.

use std::io::Write;
use std::path::PathBuf;
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
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn open_store(path: &PathBuf) -> anyhow::Result<Store> {
    Ok(Store::open(path)?)
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
    schema::object(name).with_context(|| format!("unknown object '{name}' (contacts, companies)"))
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
            let store = open_store(&cli.store)?;
            let total: u64 =
                opts.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
            let progress = if json { Progress::hidden() } else { Progress::for_terminal(total, "importing") };
            let summary = import::run(&store, &opts, &progress)?;
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
                println!("errors:      {}", report.errors.len());
                for e in report.errors.iter().take(50) {
                    println!("  line {}: {} {}", e.line, e.code, e.message);
                }
            }
        }
        Command::History { id, json } => {
            let store = open_store(&cli.store)?;
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
            let store = open_store(&cli.store)?;
            let read = store.begin_read()?;
            let id = match (id, by) {
                (Some(id), None) => id,
                (None, Some(by)) => {
                    let (prop, value) = by.split_once('=').context("--by takes PROP=VALUE")?;
                    let number = def
                        .property_number(prop)
                        .with_context(|| format!("{object} has no property '{prop}'"))?;
                    if Some(prop) != def.identifier {
                        bail!("--by needs a unique property of {object}: {}", def.identifier.unwrap_or("-"));
                    }
                    let mut norm = String::new();
                    engine::values::normalize(
                        def.property(number).ty,
                        value.trim(),
                        &engine::values::ValueOptions::default(),
                        &mut norm,
                    )
                    .map_err(|code| anyhow::anyhow!("'{value}' is not a valid {prop}: {code}"))?;
                    read.lookup(def.name, prop, norm.as_bytes())?
                        .with_context(|| format!("no {object} record with {prop} {norm}"))?
                }
                _ => bail!("give a record ID or --by PROP=VALUE"),
            };
            let record = read.record(def.name, id)?.with_context(|| format!("no {object} record {id}"))?;
            let value = export::record_json(def, id, &record.view());
            if json {
                print_json(&value)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
        }
        Command::Export { object, format, out } => {
            let def = object_arg(&object)?;
            let store = open_store(&cli.store)?;
            let read = store.begin_read()?;
            let format = match format {
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Csv => Format::Csv,
            };
            if let Some(path) = out {
                let mut w = std::io::BufWriter::new(
                    std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?,
                );
                export::export(&read, def, format, &mut w)?;
                w.flush()?;
            } else {
                let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                export::export(&read, def, format, &mut w)?;
                w.flush()?;
            }
        }
        Command::Stats { json } => {
            let store = open_store(&cli.store)?;
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
            let store = open_store(&cli.store)?;
            for file in [dir.join("contacts.csv"), companies_dir.join("companies.csv")] {
                let total = std::fs::metadata(&file).map_or(0, |m| m.len());
                let progress =
                    if json { Progress::hidden() } else { Progress::for_terminal(total, "importing") };
                let opts = ImportOptions { files: vec![file.clone()], ..ImportOptions::default() };
                let summary = import::run(&store, &opts, &progress)?;
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
                println!(
                    "try: ingest get contacts 1 | ingest history | ingest export companies --format csv"
                );
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
    if s.errors > 0 {
        println!("  errors:   {}", s.error_file);
        println!("  rejected: {}", s.rejected_file);
    }
}
