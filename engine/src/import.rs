//! The import driver: runs the stages over every input file (SPEC 3, 4, 8).
//!
//! ```text
//! main thread:   for each window of chunks:
//!                  rayon: decode + transform each chunk      (parallel)
//!                  plan each piece in file order             (sequential)
//!                  send ──bounded channel──▶ writer thread: commit + report
//! ```
//!
//! Everything an import writes goes into one redb write transaction that is
//! committed durably at the end, together with the import's log entry: a crash or
//! an error at any point leaves the store as it was before the import, with the
//! import listed as `interrupted`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use store::{ImportEntry, ImportStatus, ObjectCounts, Store, StoreError, WriteSession};

use crate::commit::{CommitConfig, write_index, write_piece};
use crate::holder::Holder;
use crate::input::decode::{self, HeaderError};
use crate::input::dialect::{self, Prepared};
use crate::input::source::Source;
use crate::input::{pieces, split};
use crate::mapping::vocabulary::Vocabulary;
use crate::mapping::{self, Mapping, MappingError};
use crate::normalize::owners::OwnerIndex;
use crate::normalize::transform::{
    self, ColumnConventions, ColumnEvidence, Convention, ObjectSettings, TransformConfig, Transformed,
    UniqueSlot,
};
use crate::normalize::values::ValueOptions;
use crate::plan::{IndexDelta, ObjectPlanner, Planned, Planner};
use crate::progress::Progress;
use crate::report::Reporter;
use crate::report::output::{Clobber, Protected};
use crate::resolve::KeyIndex;
use crate::schema::{Object, PropertyId};
use crate::timing::{Stage, timed};

/// Pieces queued between the planner and the writer: enough to keep the writer
/// busy while the next window decodes, few enough to bound memory.
const QUEUE_PIECES: usize = 4;

pub use crate::spec::ImportSpec;

pub use store::AssociationCounts;

/// The `import --json` summary (SPEC 8).
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// Import ID.
    pub import_id: u64,
    /// `done`.
    pub status: &'static str,
    /// Data rows read.
    pub rows: u64,
    /// Rows with a row error.
    pub rows_failed: u64,
    /// Error lines.
    pub errors: u64,
    /// Wall time.
    pub elapsed_ms: u64,
    /// Counts per object.
    pub objects: BTreeMap<String, ObjectCounts>,
    /// Association counts.
    pub associations: AssociationCounts,
    /// The error file.
    pub error_file: String,
    /// The rejected-rows file (of the first input).
    pub rejected_file: String,
    /// The rejected-rows file of every input, in input order (one per input).
    pub rejected_files: Vec<String>,
    /// Input columns the import skipped (`--skip-unmapped`, `--map 'H=-'`), in order.
    pub skipped_columns: Vec<String>,
    /// Rows that created a record without any identifier (no record ID, no unique
    /// value): importing the same file again creates them again.
    pub created_without_identifier: u64,
    /// Rows that the last import of the same columns and options showed to change
    /// nothing, counted unchanged without being read again ([`crate::replay`]).
    pub unchanged_unread: u64,
    /// Set when every record ID of the import was unknown to the store: the advice
    /// for IDs that come from another system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id_advice: Option<String>,
    /// Custom properties the import created from its columns, in order
    /// (`--map 'H=+obj.name:type'`, `--create-properties`).
    pub created_properties: Vec<crate::column_properties::CreatedProperty>,
    /// The list it made (`--create-list`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<store::ListEntry>,
    /// Errors per column (`--dry-run` prints them; empty without errors).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_column: BTreeMap<String, u64>,
    /// Errors per code.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors_by_code: BTreeMap<String, u64>,
    /// How every input's columns were mapped, in input and header order (the dry
    /// run prints it; `history ID` keeps it too).
    #[serde(skip)]
    pub mapping: Vec<FileMapping>,
}

/// How the columns of one input were mapped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileMapping {
    /// The input, as given.
    pub file: String,
    /// Its columns, in the header's order.
    pub columns: Vec<ColumnMapping>,
}

/// How one column was mapped.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The column's header.
    pub column: String,
    /// What it maps to, as `--map` writes it (`contacts.email`, `-` when skipped).
    pub target: String,
    /// What chose the target: `--map`, `header` (its name), `--create-properties`
    /// (a property made from it) or `skipped` (`--skip-unmapped`, an unnamed column).
    pub matched: &'static str,
}

/// Why an import could not run (exit code 1).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// An input cannot be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: crate::input::source::OpenError,
    },
    /// An input's header is missing or broken.
    #[error("{path}")]
    Header {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: HeaderError,
    },
    /// Columns could not be mapped.
    #[error("{path}")]
    Mapping {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: MappingError,
    },
    /// An option is invalid.
    #[error("{0}")]
    Options(String),
    /// The store failed (before the final commit: nothing of the import is in it).
    #[error("{0}; nothing of the import was committed")]
    Store(#[from] StoreError),
    /// The report files could not be written.
    #[error("cannot write the import's report files: {0}")]
    Report(std::io::Error),
    /// Reading the store's snapshot failed during the import.
    #[error("reading the store failed during the import; nothing of it was committed: {0}")]
    StoreRead(String),
    /// An input changed on disk while it was imported.
    #[error(
        "input file {path} changed while it was being imported; the import was stopped and nothing of it was committed"
    )]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A date or number column reads differently in two conventions and no value
    /// tells which the file uses; nothing was written.
    #[error("{path}: {message}; nothing was committed")]
    Ambiguous {
        /// The file.
        path: PathBuf,
        /// Which column, its example values and the option to give.
        message: String,
    },
    /// The evidence of whole columns chose conventions other than those the rows
    /// were read with: the import runs again with them (never shown to a user).
    #[error("the import must be read again with the conventions its columns chose")]
    Reread(Vec<ColumnConventions>),
    /// An output path is the store or an input (exit code 2); nothing was touched.
    #[error(transparent)]
    Clobber(#[from] Clobber),
    /// SIGINT, SIGTERM or SIGHUP stopped the import before its commit.
    #[error("interrupted: nothing was committed, the store is as before")]
    Interrupted {
        /// The signal number.
        signal: i32,
    },
    /// The final durable commit failed: the store must be reopened to tell whether
    /// the import's data is in it ([`settle_failed_commit`]).
    #[error("the final commit of import {import_id} failed: {source}")]
    Commit {
        /// The import.
        import_id: u64,
        /// What the store reported.
        source: StoreError,
    },
}

impl ImportError {
    /// The process exit code for this error (SPEC 8): 2 for usage errors, 128 + the
    /// signal for interruptions, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            // A `--map` or `--object` that names nothing is a usage error; columns that
            // cannot be mapped are not (SPEC 8: exit 1).
            Self::Clobber(_)
            | Self::Options(_)
            | Self::Mapping {
                source: MappingError::UnknownObject { .. } | MappingError::BadMap { .. },
                ..
            } => 2,
            Self::Interrupted { signal } => crate::interrupt::exit_code(*signal),
            _ => 1,
        }
    }
}

/// The most worker threads an import takes: 4 per available core, at most 256.
/// More only costs memory and, past a few thousand, hangs thread creation.
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (cores * 4).min(256)
}

/// Fails if an output of the import (`--results`) is the store, its lock file or
/// an input. [`run`] checks it too; call it before opening the store to leave the
/// store file untouched (opening a store for writing updates its header).
pub fn check_outputs(store: &Path, opts: &ImportSpec) -> Result<(), Clobber> {
    let mut protected = Protected::with_store(store);
    for f in &opts.files {
        protected.add(f, "the input file");
    }
    match &opts.results {
        Some(results) => protected.check(results),
        None => Ok(()),
    }
}

/// Where an import whose final commit failed stands, read back from the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitState {
    /// Nothing of the import is in the store.
    NotCommitted,
    /// The import's data is in the store, but the disk reported an error while
    /// making it durable.
    CommittedNotDurable,
}

impl CommitState {
    /// What to tell the user.
    pub fn message(self, import_id: u64) -> String {
        match self {
            Self::NotCommitted => {
                format!("import {import_id} was not committed: the store is as before the import")
            }
            Self::CommittedNotDurable => format!(
                "import {import_id}'s data is in the store, but the disk reported an error while making it \
                 durable: check the disk, then run `ingest check`"
            ),
        }
    }
}

/// After a failed final commit: reads the import's entry from the store, reopened
/// by the caller after the failure, records what happened in the import log, and
/// says which state the store is in. The report folder of an import that was not
/// committed is removed.
pub fn settle_failed_commit(store: &Store, import_id: u64, cause: &str) -> Result<CommitState, StoreError> {
    let entry = store.begin_read()?.imports()?.into_iter().find(|e| e.id == import_id);
    let Some(mut entry) = entry else {
        return Ok(CommitState::NotCommitted);
    };
    let state = if entry.status == ImportStatus::Done {
        CommitState::CommittedNotDurable
    } else {
        CommitState::NotCommitted
    };
    let note = match state {
        CommitState::NotCommitted => {
            entry.status = ImportStatus::Interrupted;
            // Its report files describe an import that did not happen.
            let ours = crate::report::folder::import_folder(store.path(), import_id);
            for f in [entry.error_file.take(), entry.rejected_file.take()].into_iter().flatten() {
                let _ = std::fs::remove_file(&f);
                if let Some(folder) = Path::new(&f).parent() {
                    if folder == ours {
                        crate::report::folder::remove(folder); // every input's files
                    } else {
                        let _ = std::fs::remove_dir(folder); // only if empty
                    }
                }
            }
            format!("the final commit failed, nothing was committed: {cause}")
        }
        CommitState::CommittedNotDurable => {
            format!("the disk reported an error while this import was made durable: {cause}")
        }
    };
    entry.note = Some(note);
    let session = store.begin_write()?;
    session.save_import(&entry)?;
    session.commit(true)?;
    Ok(state)
}

/// One input, ready to run.
struct Input {
    prepared: Prepared,
    header: decode::Header,
    mapping: Mapping,
}

/// Resolved settings shared by every file of an import.
struct Settings {
    /// Per object of the mapping, in its order.
    objects: Vec<ObjectSettings>,
    values: ValueOptions,
    /// `--associate-by-domain`: the domains that never make a company.
    exclusions: Option<std::sync::Arc<crate::plan::domains::Exclusions>>,
}

/// The identifier each object is matched by: its default, or the unique property
/// `--id OBJ=PROP` names.
fn identifiers(opts: &ImportSpec, objects: &[Object]) -> Result<Vec<Option<PropertyId>>, ImportError> {
    let mut chosen: Vec<Option<PropertyId>> = objects.iter().map(|o| o.identifier_id()).collect();
    for id in &opts.ids {
        let (o, p) = (id.object.as_str(), id.property.as_str());
        let Some(oi) = objects.iter().position(|x| x.name == o) else {
            continue;
        };
        let object = &objects[oi];
        match object.property_named(p) {
            Some(prop) if prop.unique => chosen[oi] = Some(prop.id),
            _ => {
                let unique: Vec<&str> =
                    object.properties.iter().filter(|p| p.unique).map(|p| p.name.as_str()).collect();
                return Err(ImportError::Options(format!(
                    "--id {o}={p}: {p} is not a unique property of {o} (unique: {}; add one with \
                     `ingest schema add-property {o} NAME --type string --unique`)",
                    if unique.is_empty() { "none".to_owned() } else { unique.join(", ") }
                )));
            }
        }
    }
    Ok(chosen)
}

fn settings(
    opts: &ImportSpec,
    objects: &[Object],
    inputs: &[Input],
    read: &store::ReadSession,
) -> Result<Settings, ImportError> {
    let identifiers = identifiers(opts, objects)?;
    // `--no-overwrite obj.prop` names one object's property; a bare name the first
    // object's (the only one of a single-object import).
    let mut protected: Vec<Vec<PropertyId>> = vec![Vec::new(); objects.len()];
    for name in opts.no_overwrite.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        let (oi, prop) = match name.split_once('.') {
            Some((o, p)) => (objects.iter().position(|x| x.name == o).unwrap_or(0), p),
            None => (0, name),
        };
        let object = &objects[oi];
        protected[oi].push(object.property_id(prop).ok_or_else(|| {
            ImportError::Options(format!("--no-overwrite: {} has no property '{prop}'", object.name))
        })?);
    }
    let objects = objects
        .iter()
        .zip(protected)
        .zip(identifiers)
        .enumerate()
        .map(|(oi, ((object, protected), identifier))| {
            let mapped: Vec<PropertyId> = inputs.iter().flat_map(|i| i.mapping.properties_of(oi)).collect();
            let policy = if opts.no_overwrite_all {
                store::MergePolicy::protecting_all()
            } else {
                store::MergePolicy::protecting(protected)
            };
            // The lifecycle stage only moves forward (subscriber -> ... -> evangelist;
            // `other` anywhere) unless --allow-lifecycle-backward.
            let lifecycle = object.property_named("lifecyclestage").filter(|p| {
                p.ty == crate::schema::PropertyType::Enumeration && !opts.allow_lifecycle_backward
            });
            let (policy, forward_only) = match lifecycle {
                Some(p) => {
                    let order = p.options.iter().map(|o| o.value.clone()).filter(|v| v != "other").collect();
                    (policy.moving_forward_only(p.id, order), Some(p.id))
                }
                None => (policy, None),
            };
            let slots = UniqueSlot::of(object, identifier, &mapped);
            // The planner keeps secondary lists itself, `--no-overwrite` included.
            let policy =
                slots.iter().filter_map(|s| s.list).fold(policy, store::MergePolicy::never_protecting);
            ObjectSettings { object: object.clone(), identifier, policy, forward_only, slots }
        })
        .collect();
    Ok(Settings {
        objects,
        exclusions: None,
        values: ValueOptions {
            owners: std::sync::Arc::new(OwnerIndex::new(&read.owners()?)),
            ..opts.value_options()
        },
    })
}

fn open_input(
    (index, path): (Option<usize>, &Path),
    opts: &ImportSpec,
    vocabulary: &Vocabulary,
    spool_dir: &Path,
) -> Result<Input, ImportError> {
    let source = Source::open_input(path, opts.sheet.as_deref(), Some(spool_dir))
        .map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?;
    // A converted spreadsheet or Parquet file is UTF-8 CSV with commas.
    let converted = source.converted().is_some();
    let prepared = dialect::prepare(
        source,
        if converted { Some(b',') } else { opts.delimiter.map(|d| d.0) },
        if converted {
            Some(dialect::Encoding::Utf8)
        } else {
            opts.encoding.map(crate::spec::InputEncoding::encoding)
        },
    );
    let header = decode::header(prepared.text(), prepared.dialect.delimiter)
        .map_err(|source| ImportError::Header { path: path.to_path_buf(), source })?;
    let mapping = match index {
        Some(i) if opts.common_column.is_some() => {
            crate::common_column::map_input(&header.names, opts, vocabulary, i)
        }
        _ => mapping::map(&header.names, &opts.mapping_request(vocabulary)),
    }
    .map_err(|source| ImportError::Mapping { path: path.to_path_buf(), source })?;
    Ok(Input { prepared, header, mapping })
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

enum Msg<'a> {
    File {
        index: usize,
        label: String,
        header: &'a [String],
        header_line: &'a [u8],
        text: &'a [u8],
        lines: Option<crate::input::convert::LineMap>,
    },
    Piece(Box<Planned>),
    /// A piece the replay memo skips: its index there ([`crate::replay::Replay::piece`]).
    Replayed(usize),
    Finish {
        next_ids: Vec<u64>,
        deltas: Vec<Vec<IndexDelta>>,
    },
}

/// Runs an import to the end.
pub fn run(store: &Store, opts: &ImportSpec, progress: &Progress) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let reordered = crate::common_column::ordered(opts).map_err(ImportError::Options)?;
    let opts = reordered.as_ref().unwrap_or(opts);
    if opts.files.is_empty() {
        return Err(ImportError::Options("no input file given".into()));
    }
    if let Some(n) = opts.threads {
        let max = max_threads();
        if n == 0 || n > max {
            return Err(ImportError::Options(format!(
                "--threads {n} is out of bounds: give 1 to {max} (4 per available core, at most 256)"
            )));
        }
    }
    check_outputs(store.path(), opts)?;
    // Everything that can fail on the inputs fails here, before anything is written.
    let vocabulary = Vocabulary::new(&store.begin_read()?.schema()?);
    // A spreadsheet or Parquet input is converted next to the store: on the disk the
    // user chose for the data, not in a temporary directory that may be memory.
    let spool_dir = match store.path().parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut inputs: Vec<Input> = opts
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| open_input((Some(i), f), opts, &vocabulary, &spool_dir))
        .collect::<Result<_, _>>()?;
    // Custom properties from columns (`--map 'H=+obj.name:type'`, `--create-properties`):
    // created in their own durable write transaction, then every input is mapped again.
    let created = crate::column_properties::create(
        store,
        opts,
        &mut inputs
            .iter_mut()
            .map(|i| crate::column_properties::Input {
                prepared: &i.prepared,
                header: &i.header,
                mapping: &mut i.mapping,
            })
            .collect::<Vec<_>>(),
    )?;
    let exclusions = if opts.associate_by_domain {
        let exclusions = crate::plan::domains::Exclusions::load(opts.exclude_domains.as_deref())
            .map_err(ImportError::Options)?;
        // The companies a domain request finds or creates are records of the import.
        for input in &mut inputs {
            let objects = &mut input.mapping.objects;
            if !objects.iter().any(|o| o.name == "contacts") {
                return Err(ImportError::Options(
                    "--associate-by-domain needs contacts among the objects".into(),
                ));
            }
            if !objects.iter().any(|o| o.name == "companies")
                && let Some(companies) = vocabulary.object("companies")
            {
                objects.push(companies.clone());
            }
        }
        if opts.ids.iter().any(|c| c.object == "companies") {
            return Err(ImportError::Options(
                "--associate-by-domain finds companies by domain: it cannot be used with --id companies=..."
                    .into(),
            ));
        }
        Some(std::sync::Arc::new(exclusions))
    } else {
        None
    };
    let objects = inputs[0].mapping.objects.clone();
    let names =
        |objects: &[Object]| objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(" and ");
    if let Some(other) = inputs.iter().find(|i| names(&i.mapping.objects) != names(&objects)) {
        return Err(ImportError::Options(format!(
            "all files of one import must hold the same object: {} holds {}, {} holds {}",
            opts.files[0].display(),
            names(&objects),
            other.prepared.source.path().display(),
            names(&other.mapping.objects)
        )));
    }
    let settings = Settings { exclusions, ..settings(opts, &objects, &inputs, &store.begin_read()?)? };
    if let Some(name) = &opts.create_list
        && store.begin_read()?.lists()?.iter().any(|l| &l.name == name)
    {
        return Err(ImportError::Options(format!("--create-list: a list named '{name}' exists already")));
    }
    let mapping = mapping_of(&inputs, &created);
    let entry = ImportEntry {
        associations: AssociationCounts::default(),
        id: 0,
        name: opts.name.clone().unwrap_or_else(|| {
            opts.files
                .iter()
                .map(|f| {
                    f.file_name()
                        .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into_owned())
                })
                .collect::<Vec<_>>()
                .join(", ")
        }),
        started_at: now(),
        finished_at: None,
        files: opts.files.iter().map(|f| f.display().to_string()).collect(),
        inputs: inputs
            .iter()
            .map(|i| {
                let source = &i.prepared.source;
                crate::input::fingerprint::of(source)
                    .map_err(|e| ImportError::Read { path: source.path().to_path_buf(), source: e.into() })
            })
            .collect::<Result<_, _>>()?,
        objects: objects.iter().map(|o| o.name.clone()).collect(),
        mode: opts.mode.name().to_owned(),
        options: crate::column_properties::with_created(options_json(opts, &inputs, &mapping), &created),
        status: ImportStatus::Running,
        rows: 0,
        rows_failed: 0,
        errors: 0,
        counts: BTreeMap::new(),
        elapsed_ms: 0,
        error_file: None,
        rejected_file: None,
        note: None,
        sequences: BTreeMap::new(),
        ids_kept: opts.create_with_ids,
        undone_at: None,
        kind: None,
        undo: None,
    };
    let import_id = store.start_import(entry.clone())?;
    // A dry run writes nothing next to the store: it holds the file only for reading.
    let _holder = (!store.is_dry_run()).then(|| {
        let mut holder = Holder::write(store.path(), "import");
        holder.set_import(import_id);
        holder
    });
    let entry = ImportEntry { id: import_id, ..entry };
    fault_injection_pause();
    let report_dir = match &opts.report_dir {
        Some(d) => std::fs::create_dir_all(d).map(|()| d.clone()),
        None => crate::report::folder::prepare(store.path(), &store.identity(), import_id),
    };
    let result = match report_dir {
        Ok(dir) => {
            let mut conventions: Vec<ColumnConventions> = inputs
                .iter()
                .map(|_| ColumnConventions {
                    observe_dates: opts.date_format.is_none(),
                    observe_numbers: opts.number_locale.is_none(),
                    decided: BTreeMap::new(),
                })
                .collect();
            // At most one more pass: the second reads every column as it decided.
            let mut result =
                run_started(store, opts, &inputs, &settings, &conventions, &entry, &dir, started, progress);
            if let Err(ImportError::Reread(decided)) = result {
                conventions = decided;
                result = run_started(
                    store,
                    opts,
                    &inputs,
                    &settings,
                    &conventions,
                    &entry,
                    &dir,
                    started,
                    progress,
                );
                if let Err(ImportError::Reread(_)) = result {
                    result = Err(ImportError::Options("the columns' conventions did not settle".into()));
                }
            }
            if result.is_err()
                && opts.report_dir.is_none()
                && !matches!(result, Err(ImportError::Commit { .. }))
            {
                crate::report::folder::remove(&dir);
            }
            result
        }
        Err(e) => Err(ImportError::Report(e)),
    };
    if result.is_err() && !matches!(result, Err(ImportError::Commit { .. })) {
        // Best effort: the entry would be marked interrupted at the next open anyway.
        if let Ok(session) = store.begin_write()
            && let Ok(Some(mut e)) = store
                .begin_read()
                .map(|r| r.imports().ok().and_then(|v| v.into_iter().find(|e| e.id == import_id)))
        {
            e.status = ImportStatus::Interrupted;
            e.finished_at = Some(now());
            let _ = session.save_import(&e).and_then(|()| session.commit(true));
        }
    }
    result.map(|summary| ImportSummary { created_properties: created, mapping, ..summary })
}

/// The mapping of every input as applied, in header order.
fn mapping_of(inputs: &[Input], created: &[crate::column_properties::CreatedProperty]) -> Vec<FileMapping> {
    inputs
        .iter()
        .map(|i| FileMapping {
            file: i.prepared.source.path().display().to_string(),
            columns: i
                .header
                .names
                .iter()
                .enumerate()
                .map(|(c, h)| {
                    let target = i.mapping.target_text(c);
                    let matched = if i.mapping.by_map.get(c).copied().unwrap_or(false) {
                        "--map"
                    } else if target == "-" {
                        "skipped"
                    } else if created.iter().any(|p| format!("{}.{}", p.object, p.name) == target) {
                        "--create-properties"
                    } else {
                        "header"
                    };
                    ColumnMapping { column: h.clone(), target, matched }
                })
                .collect(),
        })
        .collect()
}

/// Fault injection for the tests of inputs that change during an import: with
/// `INGEST_FAULT_PAUSE_MS=N` the import sleeps N ms after its inputs are mapped and
/// checked and before their rows are read, so that a test can truncate or rewrite
/// a file at that moment.
///
/// The pause ends early when a signal asks the import to stop, unless
/// `INGEST_FAULT_PAUSE_STUBBORN` is set too (to test that a second signal exits at
/// once while the import is busy).
fn fault_injection_pause() {
    if let Some(ms) = std::env::var("INGEST_FAULT_PAUSE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        eprintln!("fault injection: pausing {ms} ms");
        let stubborn = std::env::var_os("INGEST_FAULT_PAUSE_STUBBORN").is_some();
        let until = Instant::now() + std::time::Duration::from_millis(ms);
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if !stubborn && crate::interrupt::pending().is_some() {
                break;
            }
            std::thread::sleep(left.min(std::time::Duration::from_millis(20)));
        }
    }
}

/// Fails with [`ImportError::Interrupted`] if a signal asked the import to stop.
fn check_interrupt() -> Result<(), ImportError> {
    match crate::interrupt::pending() {
        Some(signal) => Err(ImportError::Interrupted { signal }),
        None => Ok(()),
    }
}

/// What the log keeps of an import's options: the whole spec, and the mapping
/// as the engine applied it to each input.
fn options_json(opts: &ImportSpec, inputs: &[Input], applied: &[FileMapping]) -> serde_json::Value {
    let mappings: Vec<serde_json::Value> = inputs
        .iter()
        .map(|i| {
            let cols: serde_json::Map<String, serde_json::Value> = i
                .header
                .names
                .iter()
                .enumerate()
                .map(|(c, h)| (h.clone(), serde_json::Value::String(i.mapping.target_text(c))))
                .collect();
            serde_json::json!({
                "file": i.prepared.source.path().display().to_string(),
                "encoding": i.prepared.dialect.encoding.name(),
                "delimiter": (i.prepared.dialect.delimiter as char).to_string(),
                "columns": cols,
            })
        })
        .collect();
    // Paths as absolute ones, so that `rerun` and `history ID --spec` work from
    // any folder.
    let mut spec = opts.clone();
    spec.absolutize();
    serde_json::json!({
        "spec": spec,
        "mapping": mappings,
        // The same in header order, repeated headers included, with what chose
        // each target (`history ID` prints it).
        "applied": applied,
    })
}

#[allow(clippy::too_many_arguments)]
fn run_started(
    store: &Store,
    opts: &ImportSpec,
    inputs: &[Input],
    settings: &Settings,
    conventions: &[ColumnConventions],
    entry: &ImportEntry,
    report_dir: &Path,
    started: Instant,
    progress: &Progress,
) -> Result<ImportSummary, ImportError> {
    check_interrupt()?;
    let read = store.begin_read()?;
    let schema = read.schema()?;
    let cfgs: Vec<TransformConfig> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            TransformConfig::new(
                &input.mapping,
                &settings.objects,
                settings.values.clone(),
                &conventions[index],
                entry.id,
            )
            .with_numbers(input.prepared.source.converted().map(|c| std::sync::Arc::clone(&c.numbers)))
        })
        .collect();
    // A re-run of the same input skips the pieces its last import left unchanged.
    let replay_spec = (crate::replay::options_allow(opts, inputs.len(), settings.objects.len())
        && cfgs[0].replayable())
    .then(|| {
        let input = &inputs[0];
        let targets: Vec<String> =
            (0..input.header.names.len()).map(|c| input.mapping.target_text(c)).collect();
        crate::replay::spec_digest(
            opts,
            &input.prepared.text()[..input.header.len],
            &format!("{:?}", input.prepared.dialect),
            &targets,
            &settings.objects[0].object,
        )
    });
    let replay = match replay_spec {
        Some(spec) if !opts.read_all => crate::replay::Replay::new(
            read.replay(&settings.objects[0].object.name)?,
            spec,
            opts.results.is_some(),
        ),
        _ => None,
    };
    let replay = replay.as_ref();
    // Rows the memo knows are not looked up: with most of the object's records
    // among them, the few rows left read the stored index key by key.
    let known_rows = replay.map_or(0, crate::replay::Replay::row_count) as u64;
    let mut keys = Vec::with_capacity(settings.objects.len());
    let mut planners = Vec::with_capacity(settings.objects.len());
    let mut commit_cfgs = Vec::with_capacity(settings.objects.len());
    let mut sequence_starts = Vec::with_capacity(settings.objects.len());
    for o in &settings.objects {
        let name = &o.object.name;
        let mut slot_keys = Vec::with_capacity(o.slots.len());
        for slot in &o.slots {
            let stored = known_rows > 0
                && o.object.name == settings.objects[0].object.name
                && known_rows * 10 >= read.index_len(name, slot.property)? * 9;
            slot_keys.push(if stored {
                KeyIndex::stored(&read, name, slot.property)?
            } else {
                timed(Stage::LoadIndex, || KeyIndex::load(&read, name, slot.property))?
            });
        }
        keys.push(slot_keys);
        let next_id = read.next_id(name)?;
        sequence_starts.push(next_id);
        planners.push(ObjectPlanner::new(o, opts.mode, &read, next_id).with_ids_kept(opts.create_with_ids));
        commit_cfgs.push(CommitConfig {
            object: o.object.clone(),
            slots: o.slots.clone(),
            import_id: entry.id,
            policy: o.policy.clone(),
        });
    }
    let object_names: Vec<String> = settings.objects.iter().map(|o| o.object.name.clone()).collect();
    let mut reporter = Reporter::create(report_dir, &object_names, opts.results.as_deref(), &opts.files)
        .map_err(ImportError::Report)?;
    let domains = match &settings.exclusions {
        Some(e) => {
            let objects: Vec<Object> = settings.objects.iter().map(|o| o.object.clone()).collect();
            crate::plan::domains::DomainLinks::new(&objects, std::sync::Arc::clone(e), &read)?
        }
        None => None,
    };
    let mut planner = Planner::new(planners).with_domains(domains).with_names(name_indexes(inputs, settings));

    let pool = opts.thread_pool().map_err(ImportError::Options)?;
    let threads =
        pool.as_ref().map_or_else(rayon::current_num_threads, rayon::ThreadPool::current_num_threads);

    // `--create-list`: the object whose records it lists, and their IDs.
    let list_object = opts
        .create_list
        .as_ref()
        .map(|_| commit_cfgs.iter().position(|c| c.object.name == "contacts").unwrap_or(0));
    let (tx, rx) = crossbeam::channel::bounded::<Msg<'_>>(QUEUE_PIECES);
    let entry_for_writer = entry.clone();
    let replace_primary = opts.replace_primary;
    let outcome = std::thread::scope(|s| {
        let writer =
            s.spawn(|| -> Result<(Reporter, AssociationCounts, Option<store::ListEntry>), ImportError> {
                let rx = rx;
                let session = store.begin_write()?;
                let mut links = session.links()?;
                let origin = crate::commit::links::import_origin(entry_for_writer.id);
                let mut association_counts = store::AssociationCounts::default();
                let mut text: &[u8] = &[];
                let mut file_index = 0u32;
                let mut outcomes = vec![Vec::new(); commit_cfgs.len()];
                let mut list_members: Vec<u64> = Vec::new();
                let mut list_made = None;
                let mut recorder = replay_spec.map(|_| crate::replay::Recorder::new(replay));
                for msg in &rx {
                    match msg {
                        Msg::File { index, label, header, header_line, text: t, lines } => {
                            file_index = index as u32;
                            reporter.begin_file(index, &label, (header, header_line), lines);
                            text = t;
                        }
                        Msg::Piece(mut piece) => {
                            let mut link = || {
                                timed(Stage::Links, || {
                                    crate::commit::links::link_rows(
                                        &mut links,
                                        &commit_cfgs,
                                        &piece,
                                        origin,
                                        replace_primary,
                                        &mut association_counts,
                                    )
                                })
                            };
                            // The links (in memory, in their own tables) are made on a
                            // second thread while the records are written.
                            let refused = if crate::commit::links::has_links(&commit_cfgs, &piece) {
                                let (written, refused) = std::thread::scope(|s| {
                                    let linker = s.spawn(link);
                                    let written = write_piece(&session, &commit_cfgs, &piece, &mut outcomes);
                                    (written, linker.join().expect("the link thread does not panic"))
                                });
                                written?;
                                refused?
                            } else {
                                write_piece(&session, &commit_cfgs, &piece, &mut outcomes)?;
                                link()?
                            };
                            if !refused.is_empty() {
                                crate::commit::links::report_refused(&mut piece, file_index, refused);
                            }
                            if let Some(o) = list_object {
                                list_members.extend(piece.actions[o].iter().filter_map(|a| a.record()));
                                list_members.extend(piece.rows.piece.replayed.iter().map(|&(_, id, _)| id));
                            }
                            if let Some(r) = &mut recorder {
                                r.planned(&piece, &outcomes, text);
                            }
                            timed(Stage::Report, || reporter.piece(&piece, &outcomes, text))
                                .map_err(ImportError::Report)?;
                        }
                        Msg::Replayed(i) => {
                            let p = replay.expect("a replayed piece comes from the memo").piece(i);
                            reporter.replayed(p);
                            if list_object.is_some() {
                                list_members.extend(p.records());
                            }
                            if let Some(r) = &mut recorder {
                                r.replayed(p);
                            }
                        }
                        Msg::Finish { next_ids, deltas } => {
                            let sequences: BTreeMap<String, [u64; 2]> = commit_cfgs
                                .iter()
                                .zip(&sequence_starts)
                                .zip(&next_ids)
                                .map(|((cfg, &from), &to)| (cfg.object.name.clone(), [from, to]))
                                .collect();
                            // The link lists and the indexes are written side by side.
                            let (indexes, lists) = std::thread::scope(|s| {
                                let lists = s.spawn(|| timed(Stage::LinkLists, || links.finish()));
                                let indexes = (|| -> Result<(), ImportError> {
                                    for ((cfg, delta), next_id) in
                                        commit_cfgs.iter().zip(&deltas).zip(next_ids)
                                    {
                                        write_index(&session, cfg, delta)?;
                                        session.set_next_id(&cfg.object.name, next_id)?;
                                    }
                                    Ok(())
                                })();
                                (indexes, lists.join().expect("the link thread does not panic"))
                            });
                            indexes?;
                            lists?;
                            if let (Some(name), Some(o)) = (&opts.create_list, list_object) {
                                list_members.sort_unstable();
                                list_members.dedup();
                                let made = session.create_list(
                                    name,
                                    &commit_cfgs[o].object.name,
                                    Some(entry_for_writer.id),
                                    &now(),
                                    &list_members,
                                )?;
                                list_made = Some(made);
                            }
                            reporter.finish().map_err(ImportError::Report)?;
                            timed(Stage::Report, || {
                                keep_error_file(&session, entry_for_writer.id, &reporter)
                            })?;
                            if let (Some(r), Some(spec)) = (recorder.take(), replay_spec) {
                                let object = &commit_cfgs[0].object.name;
                                match r.finish(spec) {
                                    crate::replay::Finished::Same => session.retain_replay(object),
                                    crate::replay::Finished::New(memo) => {
                                        session.save_replay(object, memo.as_ref())?;
                                    }
                                }
                            }
                            let mut e = entry_for_writer.clone();
                            e.status = ImportStatus::Done;
                            e.finished_at = Some(now());
                            e.rows = reporter.rows;
                            e.rows_failed = reporter.rows_failed;
                            e.errors = reporter.errors_written;
                            e.counts = reporter.counts_by_object();
                            e.associations = association_counts;
                            e.sequences = sequences;
                            e.elapsed_ms = started.elapsed().as_millis() as u64;
                            e.error_file = Some(reporter.error_file.display().to_string());
                            e.rejected_file = Some(reporter.rejected_file.display().to_string());
                            session.save_import(&e)?;
                            check_interrupt()?;
                            crate::interrupt::begin_commit();
                            reporter.publish_reports().map_err(ImportError::Report)?;
                            let committed = timed(Stage::Commit, || session.commit(true));
                            crate::interrupt::end_commit();
                            committed.map_err(|source| ImportError::Commit { import_id: e.id, source })?;
                            // Committed: a failure to put the result file in place is
                            // reported, but the import stands.
                            if let Err(err) = reporter.publish_results() {
                                eprintln!("warning: the result file could not be written: {err}");
                            }
                            return Ok((reporter, association_counts, list_made));
                        }
                    }
                }
                // The producer stopped without finishing: dropping the session rolls back.
                Err(ImportError::Options("import stopped before it finished".into()))
            });

        let mut produce = || -> Result<(), ImportError> {
            let mut reread = false;
            let mut decided_all = conventions.to_vec();
            for (index, input) in inputs.iter().enumerate() {
                let cfg = &cfgs[index];
                let mut evidence = BTreeMap::new();
                let text = input.prepared.text();
                let sent = tx.send(Msg::File {
                    index,
                    label: input.prepared.source.path().display().to_string(),
                    header: &input.header.names,
                    header_line: &text[..input.header.len],
                    text,
                    lines: input.prepared.source.converted().map(|c| c.lines.clone()),
                });
                if sent.is_err() {
                    return Ok(()); // the writer failed; its error is reported
                }
                planner.begin_file(crate::plan::links::LinkColumns::new(
                    &input.mapping.links,
                    input.mapping.link_from,
                    &input.mapping.objects,
                    &schema,
                ));
                let mut failure = None;
                let ok = pipeline_file(
                    index as u32,
                    input,
                    (cfg, replay),
                    &keys,
                    &read,
                    &mut planner,
                    &tx,
                    threads,
                    opts.chunk_bytes,
                    pool.as_ref(),
                    progress,
                    (&mut failure, &mut evidence),
                );
                if let Some(e) = failure {
                    return Err(e);
                }
                if !ok {
                    return Ok(());
                }
                reread |=
                    decide(input, &settings.values, &conventions[index], evidence, &mut decided_all[index])?;
            }
            if reread {
                return Err(ImportError::Reread(decided_all));
            }
            check_interrupt()?;
            for input in inputs {
                if !input.prepared.source.unchanged_on_disk() {
                    return Err(ImportError::Changed { path: input.prepared.source.path().to_path_buf() });
                }
            }
            let next_ids = planner.sequence_ends();
            let deltas = timed(Stage::Plan, || planner.finish());
            let _ = tx.send(Msg::Finish { next_ids, deltas });
            Ok(())
        };
        let produced = produce();
        drop(tx);
        let written = writer.join().expect("the writer thread panicked");
        match (produced, written) {
            (Err(e), _) | (Ok(()), Err(e)) => Err(e),
            (Ok(()), Ok(done)) => Ok(done),
        }
    });
    progress.finish();
    crate::timing::report();
    let (reporter, associations, list) = outcome?;
    Ok(ImportSummary {
        import_id: entry.id,
        status: "done",
        rows: reporter.rows,
        rows_failed: reporter.rows_failed,
        errors: reporter.errors_written,
        elapsed_ms: started.elapsed().as_millis() as u64,
        objects: reporter.counts_by_object(),
        associations,
        error_file: reporter.error_file.display().to_string(),
        rejected_file: reporter.rejected_file.display().to_string(),
        rejected_files: reporter.rejected_files.iter().map(|p| p.display().to_string()).collect(),
        skipped_columns: skipped_columns(inputs),
        created_without_identifier: reporter.created_without_identifier,
        unchanged_unread: reporter.replayed,
        record_id_advice: record_id_advice(&reporter),
        created_properties: Vec::new(), // set by `run`
        list,
        errors_by_column: reporter.errors_by_column.clone(),
        errors_by_code: reporter.errors_by_code.clone(),
        mapping: Vec::new(), // set by `run`
    })
}

/// A piece as the parallel stage hands it on: decoded and transformed, or found
/// in the replay memo (not decoded; it ends at `end`).
enum Work {
    Decoded(Box<Transformed>),
    Replayed { end: usize, piece: usize },
}

impl pieces::PieceEnd for Work {
    fn end(&self) -> usize {
        match self {
            Self::Decoded(t) => t.end(),
            Self::Replayed { end, .. } => *end,
        }
    }
    fn clean(&self) -> bool {
        match self {
            Self::Decoded(t) => t.clean(),
            Self::Replayed { .. } => true,
        }
    }
}

/// Keeps the error file the import wrote in the store, in the import's own
/// transaction, byte for byte (`ingest errors ID`, SPEC 7).
fn keep_error_file(session: &WriteSession<'_>, import: u64, reporter: &Reporter) -> Result<(), ImportError> {
    use std::io::Read as _;
    let mut kept = session.error_file(import)?;
    let mut file = reporter.read_error_file().map_err(ImportError::Report)?;
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(ImportError::Report)?;
        if n == 0 {
            break;
        }
        kept.push(&buffer[..n])?;
    }
    kept.finish()?;
    Ok(())
}

/// The name indexes of the association columns of every input that find records
/// by value ([`crate::plan::names`]).
fn name_indexes(inputs: &[Input], settings: &Settings) -> crate::plan::names::NameIndexes {
    let columns = inputs.iter().flat_map(|i| &i.mapping.links).filter_map(|(_, link)| match link {
        mapping::LinkColumn::Assoc { object, property, .. }
            if object.property(*property).is_some_and(crate::plan::names::by_value) =>
        {
            let in_import = settings.objects.iter().position(|o| o.object.name == object.name);
            Some(crate::plan::names::NameColumn {
                object: object.clone(),
                property: *property,
                in_import,
                protected: in_import.is_some_and(|t| settings.objects[t].policy.protects(*property)),
            })
        }
        _ => None,
    });
    crate::plan::names::NameIndexes::new(columns)
}

/// When every row that carried a record ID failed because the ID does not exist,
/// the IDs most likely come from another system: say so once, and how to ignore them.
fn record_id_advice(r: &Reporter) -> Option<String> {
    if r.rows_with_record_id == 0 || r.record_ids_not_found < r.rows_with_record_id {
        return None;
    }
    let column = r.record_id_column.as_deref().unwrap_or("Record ID");
    Some(format!(
        "none of the {} record IDs in column '{column}' exists in this store: they probably come from \
         another system. To match rows by their unique property instead, skip the column with \
         --map '{column}=-'",
        r.rows_with_record_id
    ))
}

/// The names of the skipped columns of every input, each once, in order.
fn skipped_columns(inputs: &[Input]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for input in inputs {
        let names = &input.header.names;
        // Trailing columns without a name (Excel's) are not worth listing.
        let named_end = names.iter().rposition(|h| !h.trim().is_empty()).map_or(0, |i| i + 1);
        for (i, (name, target)) in names.iter().zip(&input.mapping.columns).enumerate().take(named_end) {
            let name =
                if name.trim().is_empty() { format!("column {} (no name)", i + 1) } else { name.clone() };
            if matches!(target, mapping::Target::Skip) && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Reads the evidence of one input's date and number columns (SPEC 4): a column
/// that reads differently in two conventions with nothing to tell them apart
/// stops the import; a column its convention in force does not read, but another
/// does, is decided (`decided`), and the import reads the file again. Returns
/// whether it must.
fn decide(
    input: &Input,
    values: &ValueOptions,
    used: &ColumnConventions,
    evidence: BTreeMap<usize, ColumnEvidence>,
    decided: &mut ColumnConventions,
) -> Result<bool, ImportError> {
    use crate::normalize::evidence::{date_message, number_message};
    let mut reread = false;
    for (column, e) in evidence {
        let name = crate::mapping::shown_name(&input.header.names[column]);
        let stop = |message: Option<String>| ImportError::Ambiguous {
            path: input.prepared.source.path().to_path_buf(),
            message: message.unwrap_or_default(),
        };
        let convention = match &e {
            ColumnEvidence::Date(e) => {
                let in_force = match used.decided.get(&column) {
                    Some(Convention::Date(order)) => *order,
                    _ => values.date_order,
                };
                let verdict = e.verdict();
                if verdict.stops() {
                    return Err(stop(date_message(&name, &verdict)));
                }
                let chosen = verdict.convention(in_force);
                (!e.fits(in_force) && e.fits(chosen)).then_some(Convention::Date(chosen))
            }
            ColumnEvidence::Number(e) => {
                let in_force = match used.decided.get(&column) {
                    Some(Convention::Number(locale)) => *locale,
                    _ => values.number_locale,
                };
                let verdict = e.verdict();
                if verdict.stops() {
                    return Err(stop(number_message(&name, &verdict)));
                }
                let chosen = verdict.convention(in_force);
                (!e.fits(in_force) && e.fits(chosen)).then_some(Convention::Number(chosen))
            }
        };
        if let Some(c) = convention {
            decided.decided.insert(column, c);
            reread = true;
        }
    }
    Ok(reread)
}

/// Runs one file through split, decode, transform and plan, sending planned
/// pieces to the writer. Returns false if the writer hung up or, with `failure`
/// set, if the store could not be read.
#[allow(clippy::too_many_arguments)]
fn pipeline_file<'a>(
    file: u32,
    input: &'a Input,
    (cfg, replay): (&TransformConfig, Option<&crate::replay::Replay>),
    keys: &[Vec<KeyIndex>],
    read: &store::ReadSession,
    planner: &mut Planner<'_>,
    tx: &crossbeam::channel::Sender<Msg<'a>>,
    threads: usize,
    chunk_bytes: Option<usize>,
    pool: Option<&rayon::ThreadPool>,
    progress: &Progress,
    (failure, evidence): (&mut Option<ImportError>, &mut BTreeMap<usize, ColumnEvidence>),
) -> bool {
    let text = input.prepared.text();
    let body = input.header.len;
    let chunk = chunk_bytes.unwrap_or_else(|| split::chunk_size(text.len() - body, threads));
    let mut resume = body;
    let mut lines_before = u64::from(input.header.lines);
    let delimiter = input.prepared.dialect.delimiter;
    // With the replay memo, rows it knows are not read (see `crate::replay`).
    let decode = |range: std::ops::Range<usize>, memo: bool| {
        let at_end = range.end == text.len();
        let mut finder = replay.filter(|r| memo && r.knows_rows()).map(crate::replay::Replay::finder);
        let on = finder.is_some();
        let mut find = |bytes: &[u8]| finder.as_mut().and_then(|f| f.find(bytes));
        let known = on.then_some(&mut find);
        let piece = timed(Stage::Decode, || {
            crate::input::decode::decode_known(text, range, &input.header.names, delimiter, at_end, known)
        });
        timed(Stage::Transform, || transform::transform(piece, cfg, keys, read))
    };
    // A piece of the replay memo is not decoded at all.
    let work = |range: std::ops::Range<usize>| match replay
        .and_then(|r| r.find(&text[range.clone()], range.end == text.len()))
    {
        Some(piece) => Work::Replayed { end: range.end, piece },
        None => Work::Decoded(Box::new(decode(range, true))),
    };
    pieces::for_each_piece(
        pieces::body_ranges(text, &input.header, chunk, threads),
        threads,
        pool,
        work,
        |w: Work| {
            let t = match w {
                // Rows of the memo whose record an earlier row changed would change
                // it back: the piece is read again, every row.
                Work::Decoded(t)
                    if t.replay_conflict
                        || (!t.piece.replayed.is_empty()
                            && planner.touched_any(0, t.piece.replayed.iter().map(|&(_, id, _)| id))) =>
                {
                    decode(t.piece.offset..t.piece.offset + t.piece.consumed, false)
                }
                Work::Decoded(t) => *t,
                Work::Replayed { end, piece } => {
                    let memo = replay.expect("a replayed piece comes from the memo").piece(piece);
                    // Unless an earlier row changed one of its records, the piece
                    // changes nothing; else it is imported like any other.
                    if planner.touched_any(0, memo.records()) {
                        decode(resume..end, false)
                    } else {
                        if let Err(e) = check_interrupt() {
                            *failure = Some(e);
                            return false;
                        }
                        lines_before += u64::from(memo.lines);
                        progress.advance((end - resume) as u64);
                        input
                            .prepared
                            .source
                            .release(input.prepared.start + resume..input.prepared.start + end);
                        resume = end;
                        return timed(Stage::QueueWait, || tx.send(Msg::Replayed(piece)).is_ok());
                    }
                }
            };
            if let Some(e) = &t.store_error {
                *failure = Some(ImportError::StoreRead(e.clone()));
                return false;
            }
            if let Err(e) = check_interrupt() {
                *failure = Some(e);
                return false;
            }
            if let Some((row, column)) = t.unnamed_value {
                let line = lines_before + 1 + u64::from(t.piece.rows[row as usize].line);
                *failure = Some(ImportError::Mapping {
                    path: input.prepared.source.path().to_path_buf(),
                    source: MappingError::UnnamedValues { column: column as usize, line },
                });
                return false;
            }
            let end = t.piece.offset + t.piece.consumed;
            let lines = u64::from(t.piece.lines);
            let mut t = t;
            for (column, mut e) in std::mem::take(&mut t.evidence) {
                e.shift_lines(lines_before + 1);
                match evidence.entry(column) {
                    std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(e),
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(e);
                    }
                }
            }
            let planned = match timed(Stage::Plan, || planner.plan(t, file, lines_before + 1)) {
                Ok(planned) => planned,
                Err(e) => {
                    *failure = Some(ImportError::StoreRead(e.to_string()));
                    return false;
                }
            };
            lines_before += lines;
            progress.advance((end - resume) as u64);
            input.prepared.source.release(input.prepared.start + resume..input.prepared.start + end);
            resume = end;
            timed(Stage::QueueWait, || tx.send(Msg::Piece(Box::new(planned))).is_ok())
        },
    )
}
