//! The `ingest` command line (SPEC 8): one module per command, each a clap
//! `Args` struct and a `run` function; this module holds what they share (the
//! store options, exit codes, the panic boundary).

mod associations;
mod check;
mod delete;
mod demo;
mod dry_run;
mod errors;
mod export;
mod generate;
mod get;
mod history;
mod import;
mod inspect;
mod lists;
mod owners;
mod schema;
mod stats;
mod undo;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use store::Store;

pub use delete::{DeleteTarget, Deleted, delete};

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

/// What every command gets: the store it works on and how long to wait for it.
pub(crate) struct Context {
    /// The store file.
    pub store: PathBuf,
    /// `--wait SECONDS`.
    pub wait: Option<u64>,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    /// Import CSV files.
    Import(import::Args),
    /// Report a file's dialect, header, row count and structural errors.
    Inspect(inspect::Args),
    /// List imports, or show one.
    History(history::Args),
    /// Write an import's error file again (its errors.csv, byte for byte, kept in the
    /// store): to standard output, or to --out PATH.
    Errors(errors::Args),
    /// Show one record by ID or by a unique property.
    Get(get::Args),
    /// Write every record of an object, in ID order.
    Export(export::Args),
    /// Verify the whole store: redb's integrity, every record's checksum, the
    /// identifier indexes against the records, the ID sequences and the import log.
    /// Exits with 1 if anything is wrong. Never changes the store.
    Check(check::Args),
    /// Record counts per object.
    Stats(stats::Args),
    /// List the owners records are assigned to (`hubspot_owner_id`), or add them:
    /// `owners add EMAIL [--name "First Last"]`, `owners import FILE`.
    Owners(owners::Args),
    /// Show the schema: objects, or one object's properties and pipelines; change it
    /// with add-property, add-object, apply and delete-property.
    Schema(schema::Args),
    /// Show a record's associations (labels, primary company); --history adds every change.
    Associations(associations::ShowArgs),
    /// Associate two records: `associate contacts 1 companies 2 [--label L] [--primary]`.
    Associate(associations::AssociateArgs),
    /// Remove the association of two records: `dissociate contacts 1 companies 2 [--new-primary ID]`.
    Dissociate(associations::DissociateArgs),
    /// Undo an import: delete the records it created, restore the values it
    /// changed, remove the associations it made; refuses where later imports
    /// changed the same records unless --force.
    Undo(undo::Args),
    /// Delete records: `delete OBJ ID...`, or `delete --import ID` for the records an
    /// import created; logged, and undone by `undo`.
    Delete(delete::Args),
    /// List the static lists imports made (`--create-list NAME`).
    Lists(lists::ListsArgs),
    /// Write the records of a static list: `list NAME [--format jsonl|csv]`.
    List(lists::ListArgs),
    /// Repeat an import with the same mapping and options, on the same or new files.
    Rerun(import::RerunArgs),
    /// Generate realistic test data.
    Gen(generate::Args),
    /// Generate a data set, import it into the store and print the summary.
    Demo(demo::Args),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context { store: cli.store, wait: cli.wait };
    match cli.command {
        Command::Import(args) => import::run(args, &ctx),
        Command::Inspect(args) => inspect::run(args, &ctx),
        Command::History(args) => history::run(args, &ctx),
        Command::Errors(args) => errors::run(&args, &ctx),
        Command::Get(args) => get::run(args, &ctx),
        Command::Export(args) => export::run(args, &ctx),
        Command::Check(args) => check::run(args, &ctx),
        Command::Stats(args) => stats::run(args, &ctx),
        Command::Owners(args) => owners::run(args, &ctx),
        Command::Schema(args) => schema::run(args, &ctx),
        Command::Associations(args) => associations::show(&args, &ctx),
        Command::Associate(args) => associations::associate(args, &ctx),
        Command::Dissociate(args) => associations::dissociate(args, &ctx),
        Command::Undo(args) => undo::run(&args, &ctx),
        Command::Rerun(args) => import::rerun(args, &ctx),
        Command::Delete(args) => delete::run(&args, &ctx),
        Command::Lists(args) => lists::lists(args, &ctx),
        Command::List(args) => lists::list(&args, &ctx),
        Command::Gen(args) => generate::run(args, &ctx),
        Command::Demo(args) => demo::run(args, &ctx),
    }
}

/// The first panic of the process: its message and location, kept by the panic
/// hook so that the command boundary can report it once, in its own words.
static PANIC: std::sync::Mutex<Option<(String, String)>> = std::sync::Mutex::new(None);

/// Runs the command line: parses the arguments, runs the command, reports its
/// error and turns it into the exit code (SPEC 8).
pub fn main() -> ExitCode {
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
            if let Some(i @ crate::import::ImportError::Interrupted { .. }) =
                e.downcast_ref::<crate::import::ImportError>()
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
        if let Some(i) = cause.downcast_ref::<crate::import::ImportError>() {
            return i.exit_code();
        }
        if cause.downcast_ref::<crate::report::output::Clobber>().is_some()
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
pub(crate) struct CheckFailed(u64);

/// A usage error found by the command line glue (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Usage(String);

fn wait_arg(cli_wait: Option<u64>) -> Option<std::time::Duration> {
    cli_wait.map(std::time::Duration::from_secs)
}

/// Opens the store for writing (creating it if missing).
pub(crate) fn open_store(path: &Path, wait: Option<u64>) -> anyhow::Result<Store> {
    crate::holder::open_waiting(path, wait_arg(wait), |p| Store::open(p))
}

/// Opens the store for a dry run: written in memory only, the file never changed
/// (and not created when missing).
pub(crate) fn open_dry_run(path: &Path, wait: Option<u64>) -> anyhow::Result<Store> {
    crate::holder::open_waiting(path, wait_arg(wait), |p| Store::open_dry_run(p))
}

/// Opens the store for a read-only command: never creates or changes it.
pub(crate) fn open_read(path: &Path, wait: Option<u64>) -> anyhow::Result<Store> {
    crate::holder::open_waiting(path, wait_arg(wait), |p| Store::open_read_only(p))
}

/// The object named `name` in `schema`; a usage error naming the objects if none.
pub(crate) fn object_arg<'s>(
    schema: &'s crate::schema::Schema,
    name: &str,
) -> anyhow::Result<&'s crate::schema::ObjectDef> {
    schema.object(name).ok_or_else(|| {
        Usage(format!("unknown object '{name}' ({})", crate::schema::object_names(schema))).into()
    })
}

/// `path` as one shell word: quoted when it holds anything but `[A-Za-z0-9_./+-]`.
pub(crate) fn shell_word(path: &Path) -> String {
    let s = path.display().to_string();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_./+-".contains(c)) {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

pub(crate) fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    // An I/O error (a closed pipe: `ingest ... --json | head`) stays an I/O error.
    serde_json::to_writer(&mut out, v).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
