//! Shared set-up of the criterion benches of the import pipeline.
//!
//! The `bench` crate is the workspace member next to `engine` (the pipeline and
//! the `ingest` binary) and `store` (the redb store). It holds:
//!
//! - `benches/*.rs`: criterion benches of the pipeline's hot paths, one file per
//!   stage: `split`, `decode`, `normalize` (value normalizers and the transform
//!   stage), `resolve` (the identifier index) and `commit` (plan + commit, and
//!   whole imports into an empty and a populated store);
//! - `compare/`: the end-to-end peer comparison (Python, see `compare/run`);
//! - this library: the data and stores the benches share, built on first use.
//!
//! # Data
//!
//! Inputs are written by [`engine::datagen::generate`] with seed [`SEED`] into
//! `target/bench-data/` (or `$BENCH_DATA_DIR`), and stores are filled from them by
//! [`engine::import::run`]. Both are built once and reused by later runs; every
//! file appears under its final name only when complete, so an interrupted run
//! leaves nothing half-written behind. Delete the directory to rebuild them (after
//! a change of the generator or of the store format, for instance).
//! Temporary stores go to scratch directories inside it, on the same disk as
//! `target/`, not in a `/tmp` that may be memory-backed.
//!
//! # Running
//!
//! ```text
//! cargo bench -p bench --no-run                   # build every bench
//! cargo bench -p bench -- --quick                 # all benches, briefly
//! cargo bench -p bench --bench decode             # one bench file
//! cargo bench -p bench --bench commit -- import   # only ids matching "import"
//! cargo bench -p bench --bench split -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The first run of `normalize`, `resolve` and `commit` also generates the data
//! and imports it into the cached stores, which takes a few seconds.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow_array::{Array, StringArray};
use engine::commit::{CommitConfig, write_index, write_piece};
use engine::import::{ImportSpec, ImportSummary};
use engine::input::decode::{self, DecodedPiece, Header};
use engine::input::dialect::{self, Prepared};
use engine::input::source::Source;
use engine::mapping::vocabulary::Vocabulary;
use engine::mapping::{self, Mapping, MappingRequest};
use engine::normalize::transform::{ObjectSettings, TransformConfig, Transformed};
use engine::normalize::values::ValueOptions;
use engine::plan::{Mode, ObjectPlanner, Planner};
use engine::progress::Progress;
use engine::resolve::KeyIndex;
use engine::schema::Object;
use store::Store;
use tempfile::TempDir;

/// Seed of every generated file.
pub const SEED: u64 = 42;
/// Rows of the main contacts file: about 20 MB of CSV (125 bytes a row).
pub const FILE_ROWS: u64 = 160_000;
/// Contacts in the store of the resolve benches. Row `i` of a generated file
/// depends only on the seed and `i`, so this store also holds every contact of
/// the [`FILE_ROWS`] file.
pub const STORE_ROWS: u64 = 200_000;
/// Rows of the contacts file that the commit benches import (about 12.5 MB).
pub const COMMIT_ROWS: u64 = 100_000;
/// Rows of the companies file that supplies domain and number cells.
pub const COMPANY_ROWS: u64 = 20_000;
/// The import ID that benches transforming and committing outside
/// [`engine::import::run`] write under.
pub const BENCH_IMPORT_ID: u64 = 1;

/// The directory holding generated data and cached stores, created if missing:
/// `$BENCH_DATA_DIR`, else `target/bench-data` of the workspace.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("BENCH_DATA_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data"), PathBuf::from);
    fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create bench data dir {}: {e}", dir.display()));
    dir
}

/// A fresh scratch directory inside [`data_dir`], removed when dropped.
pub fn scratch_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix(".scratch-")
        .tempdir_in(data_dir())
        .expect("cannot create a scratch directory in the bench data dir")
}

/// The generated `object` file (`contacts` or `companies`) of `rows` rows,
/// written on first use.
pub fn generated_csv(object: &str, rows: u64) -> PathBuf {
    let path = data_dir().join(format!("{object}-{rows}-seed{SEED}.csv"));
    if path.exists() {
        return path;
    }
    let scratch = scratch_dir();
    let written = engine::datagen::generate(&[object.to_owned()], rows, SEED, scratch.path(), false)
        .unwrap_or_else(|e| panic!("cannot generate {object} bench data: {e}"));
    fs::rename(&written[0], &path)
        .unwrap_or_else(|e| panic!("cannot move generated data to {}: {e}", path.display()));
    path
}

/// The generated contacts file of `rows` rows (about 125 bytes a row).
pub fn contacts_csv(rows: u64) -> PathBuf {
    generated_csv("contacts", rows)
}

/// The generated companies file of `rows` rows.
pub fn companies_csv(rows: u64) -> PathBuf {
    generated_csv("companies", rows)
}

/// Size of a file in bytes.
pub fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap_or_else(|e| panic!("cannot stat {}: {e}", path.display())).len()
}

/// Options of a default upsert of contacts from `csv`, with the report files
/// written to `report_dir`.
pub fn contacts_import_options(csv: &Path, report_dir: &Path) -> ImportSpec {
    ImportSpec {
        files: vec![csv.to_path_buf()],
        objects: vec!["contacts".to_owned()],
        report_dir: Some(report_dir.to_path_buf()),
        ..ImportSpec::default()
    }
}

/// Imports the contacts of `csv` into `store` (reports into `report_dir`);
/// panics if the import fails.
pub fn import_contacts(store: &Store, csv: &Path, report_dir: &Path) -> ImportSummary {
    let opts = contacts_import_options(csv, report_dir);
    engine::import::run(store, &opts, &Progress::hidden())
        .unwrap_or_else(|e| panic!("import of {} failed: {e}", csv.display()))
}

/// The store file holding the contacts of [`contacts_csv`]`(rows)`, imported
/// once into an empty store and reused afterwards. Open it with [`Store::open`]
/// (one process at a time), or copy it with [`store_copy`] to change it.
pub fn contacts_store(rows: u64) -> PathBuf {
    let path = data_dir().join(format!("contacts-{rows}-seed{SEED}.redb"));
    if path.exists() {
        return path;
    }
    let csv = contacts_csv(rows);
    let scratch = scratch_dir();
    let built = scratch.path().join("store.redb");
    {
        let store = Store::open(&built).expect("cannot create the bench store");
        import_contacts(&store, &csv, &scratch.path().join("reports"));
    }
    fs::rename(&built, &path)
        .unwrap_or_else(|e| panic!("cannot move the bench store to {}: {e}", path.display()));
    path
}

/// An empty store in a fresh scratch directory (dropped with the directory).
pub fn fresh_store() -> (TempDir, Store) {
    let scratch = scratch_dir();
    let store = Store::open(scratch.path().join("store.redb")).expect("cannot create a store");
    (scratch, store)
}

/// A private copy of the store file `template` in a fresh scratch directory,
/// opened: benches that write can start from the same state every iteration.
pub fn store_copy(template: &Path) -> (TempDir, Store) {
    let scratch = scratch_dir();
    let path = scratch.path().join("store.redb");
    fs::copy(template, &path).unwrap_or_else(|e| panic!("cannot copy store {}: {e}", template.display()));
    let store = Store::open(&path).expect("cannot open the copied store");
    (scratch, store)
}

/// The standard contacts object.
pub fn contacts() -> Object {
    std::sync::Arc::new(store::schema::standard().object("contacts").expect("the model has contacts").clone())
}

/// ID of the contacts' identifier property (`email`).
pub fn contacts_identifier() -> u16 {
    contacts().property_id("email").expect("contacts have an email property")
}

/// An input file prepared the way the import prepares it: dialect detected, header
/// parsed and columns mapped (object inferred from the header).
#[derive(Debug)]
pub struct Input {
    /// The bytes and dialect.
    pub prepared: Prepared,
    /// The header row.
    pub header: Header,
    /// The columns' mapping.
    pub mapping: Mapping,
}

impl Input {
    /// Opens (memory-maps) and prepares `path`; panics on any error.
    pub fn open(path: &Path) -> Self {
        let source = Source::open(path).unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let prepared = dialect::prepare(source, None, None);
        let header = decode::header(prepared.text(), prepared.dialect.delimiter)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let vocabulary = Vocabulary::standard();
        let req = MappingRequest::new(&vocabulary);
        let mapping = mapping::map(&header.names, &req).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self { prepared, header, mapping }
    }

    /// The UTF-8 text, header included.
    pub fn text(&self) -> &[u8] {
        self.prepared.text()
    }

    /// The field delimiter.
    pub fn delimiter(&self) -> u8 {
        self.prepared.dialect.delimiter
    }

    /// The records after the header, as a range of [`Input::text`].
    pub fn body(&self) -> Range<usize> {
        self.header.len..self.text().len()
    }

    /// Bytes of the records after the header.
    pub fn body_len(&self) -> u64 {
        self.body().len() as u64
    }

    /// Absolute line number (1-based) of the first record, as the planner wants it.
    pub fn first_line(&self) -> u64 {
        u64::from(self.header.lines) + 1
    }

    /// The body split into chunks of about `chunk_bytes`, as ranges of the text.
    pub fn ranges(&self, chunk_bytes: usize) -> Vec<Range<usize>> {
        let body = self.body();
        engine::input::split::split(&self.text()[body.clone()], chunk_bytes)
            .into_iter()
            .map(|r| r.start + body.start..r.end + body.start)
            .collect()
    }

    /// Decodes `range` of the text, exactly as the import's workers do.
    pub fn decode(&self, range: Range<usize>) -> DecodedPiece {
        let at_end = range.end == self.text().len();
        decode::decode(self.text(), range, &self.header.names, self.delimiter(), at_end)
    }

    /// Decodes the whole body in chunks of about `chunk_bytes` (on rayon's global
    /// pool) into pieces in file order.
    pub fn decode_pieces(&self, chunk_bytes: usize) -> Vec<DecodedPiece> {
        let ranges = self.ranges(chunk_bytes);
        let mut pieces = Vec::with_capacity(ranges.len());
        engine::input::pieces::for_each_piece(
            ranges.into_iter(),
            4,
            None,
            |r| self.decode(r),
            |p| {
                pieces.push(p);
                true
            },
        );
        pieces
    }

    /// Rows in the file that decode cleanly.
    pub fn row_count(&self) -> u64 {
        self.decode_pieces(engine::input::split::MAX_CHUNK_BYTES)
            .iter()
            .map(|p| p.batch.num_rows() as u64)
            .sum()
    }

    /// The trimmed, non-blank cells of the column `name`, in file order: what the
    /// transform stage hands to the value normalizers.
    pub fn column(&self, name: &str) -> Vec<String> {
        let c = self
            .header
            .names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column '{name}' in {:?}", self.header.names));
        let mut cells = Vec::new();
        for piece in self.decode_pieces(engine::input::split::MAX_CHUNK_BYTES) {
            let array = piece
                .batch
                .column(c)
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("decode builds Utf8 columns");
            cells.extend(array.iter().flatten().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
        }
        cells
    }

    /// How a default contacts import of this file matches and merges.
    pub fn settings(&self) -> ObjectSettings {
        let identifier = Some(contacts_identifier());
        let mapped = self.mapping.properties_of(0);
        ObjectSettings {
            object: contacts(),
            identifier,
            policy: store::MergePolicy::overwrite(),
            forward_only: None,
            slots: engine::normalize::transform::UniqueSlot::of(&contacts(), identifier, &mapped),
        }
    }

    /// The transform settings of a default contacts import of this file, writing
    /// as import [`BENCH_IMPORT_ID`].
    pub fn transform_config(&self) -> TransformConfig {
        let settings = self.settings();
        let conventions = engine::normalize::transform::ColumnConventions::default();
        TransformConfig::new(
            &self.mapping,
            &[settings],
            ValueOptions::default(),
            &conventions,
            BENCH_IMPORT_ID,
        )
    }

    /// Decodes and transforms the whole body against the current contents of
    /// `store` (identifier index loaded from it), as the import's workers do at
    /// its start; pieces in file order.
    pub fn transform_pieces(&self, store: &Store) -> Vec<Transformed> {
        let cfg = self.transform_config();
        let read = store.begin_read().expect("read session");
        let keys: Vec<Vec<KeyIndex>> = vec![
            cfg_slots(&self.settings())
                .map(|p| KeyIndex::load(&read, "contacts", p).expect("key index"))
                .collect(),
        ];
        let chunk = engine::input::split::chunk_size(self.body().len(), 2);
        self.decode_pieces(chunk)
            .into_iter()
            .map(|p| engine::normalize::transform::transform(p, &cfg, &keys, &read))
            .collect()
    }

    /// Plans `pieces` (this file's, transformed by [`Input::transform_pieces`]
    /// against `store`) in file order and writes them, then the identifier index,
    /// into `store` in one durable transaction: what the import's planner and
    /// writer thread do, without reports or the import log. Returns the next free
    /// record ID.
    pub fn plan_and_commit(&self, store: &Store, pieces: Vec<Transformed>) -> u64 {
        let settings = self.settings();
        let read = store.begin_read().expect("read session");
        let next_id = read.next_id("contacts").expect("next id");
        let mut planner = Planner::new(vec![ObjectPlanner::new(&settings, Mode::Upsert, &read, next_id)]);
        let cfg = [CommitConfig {
            object: contacts(),
            slots: settings.slots.clone(),
            import_id: BENCH_IMPORT_ID,
            policy: store::MergePolicy::overwrite(),
        }];
        let session = store.begin_write().expect("write session");
        let mut outcomes = vec![Vec::new()];
        let mut line = self.first_line();
        for piece in pieces {
            let lines = u64::from(piece.piece.lines);
            let planned = planner.plan(piece, 0, line).expect("plan");
            line += lines;
            write_piece(&session, &cfg, &planned, &mut outcomes).expect("write piece");
        }
        let next_id = planner.next_ids()[0];
        write_index(&session, &cfg[0], &planner.finish()[0]).expect("write index");
        session.set_next_id("contacts", next_id).expect("set next id");
        session.commit(true).expect("commit");
        next_id
    }
}

/// The index properties of an import's unique slots.
fn cfg_slots(settings: &ObjectSettings) -> impl Iterator<Item = u16> + '_ {
    settings.slots.iter().map(|s| s.property)
}

/// A copy of a decoded piece (the Arrow columns are shared, not copied).
pub fn clone_piece(p: &DecodedPiece) -> DecodedPiece {
    DecodedPiece {
        offset: p.offset,
        batch: p.batch.clone(),
        rows: p.rows.clone(),
        bad: p.bad.clone(),
        broken: p.broken.clone(),
        consumed: p.consumed,
        lines: p.lines,
        clean: p.clean,
        replayed: p.replayed.clone(),
    }
}

/// Formats a byte count as a short label: `256KiB`, `1MiB`.
pub fn size_label(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{}MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{}KiB", bytes >> 10)
    } else {
        format!("{bytes}B")
    }
}
