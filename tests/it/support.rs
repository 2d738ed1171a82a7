//! Helpers shared by the test modules: the `ingest` binary, temporary stores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the `ingest` binary built for these tests.
pub fn ingest_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ingest-under-test"))
}

/// Runs `ingest` with `args` against `store`.
///
/// An `import` or a `rerun` (not itself a dry run) is checked against its dry run
/// (SPEC 5: the dry run's counts are the real import's on the same input): the
/// same command with `--dry-run --json` runs first, on the same store, and must
/// leave the store file byte for byte as it was (and write nothing next to it);
/// then the real command runs, and it must exit as the dry run did and, where
/// both succeed, have the dry run's counts. See [`check_against_dry_run`].
pub fn ingest(store: &Path, args: &[&str]) -> Output {
    let checked = matches!(args.first(), Some(&("import" | "rerun")))
        && !args.iter().any(|a| matches!(*a, "--dry-run" | "--help" | "-h"));
    if checked { check_against_dry_run(store, args) } else { ingest_unchecked(store, args) }
}

/// Runs `ingest` with `args` against `store`, without the dry-run check of [`ingest`].
pub fn ingest_unchecked(store: &Path, args: &[&str]) -> Output {
    Command::new(ingest_bin()).arg("--store").arg(store).args(args).output().expect("run ingest")
}

/// What a dry run must leave as it found it: the store file's bytes and the names
/// of the files next to it that belong to the store (its lock file, its import
/// folders).
#[derive(Debug, PartialEq, Eq)]
struct StoreFiles {
    bytes: Option<Vec<u8>>,
    names: Vec<String>,
}

impl StoreFiles {
    fn of(store: &Path) -> Self {
        let own = store.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = store.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.starts_with(&own) && *n != own)
            .collect();
        let imports = crate::support::imports_folder(store);
        names.extend(
            std::fs::read_dir(&imports)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| format!("imports/{}", e.file_name().to_string_lossy()))),
        );
        names.sort();
        Self { bytes: std::fs::read(store).ok(), names }
    }

    /// Panics unless the files of `store` are still as they were.
    fn assert_unchanged(&self, store: &Path, what: &str) {
        let now = Self::of(store);
        assert!(self.bytes == now.bytes, "the dry run ({what}) changed the store file");
        assert_eq!(self.names, now.names, "the dry run ({what}) changed the files next to the store");
    }
}

/// The folder of a store's import reports (`<store>.imports`).
fn imports_folder(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".imports");
    PathBuf::from(p)
}

/// Runs `ingest import|rerun ARGS` after its dry run, and checks the two agree
/// (see [`ingest`]); returns the real command's output.
pub fn check_against_dry_run(store: &Path, args: &[&str]) -> Output {
    let results =
        args.iter().position(|a| *a == "--results").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let asked_json = args.contains(&"--json");
    if !asked_json {
        dry_args.push("--json");
    }
    let before = StoreFiles::of(store);
    let dry = ingest_unchecked(store, &dry_args);
    let shown = args.join(" ");
    before.assert_unchanged(store, &shown);
    let dry_plan = results.as_ref().and_then(|p| std::fs::read(p).ok());
    let real = ingest_unchecked(store, args);
    assert_eq!(
        dry.status.code(),
        real.status.code(),
        "`ingest {shown}` exits otherwise than its dry run; dry run's stderr: {}\nreal stderr: {}",
        stderr(&dry),
        stderr(&real)
    );
    if !real.status.success() {
        return real;
    }
    let dry_json: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap_or_else(|e| {
        panic!("the dry run of `ingest {shown}` printed no JSON ({e}): {}", stderr(&dry))
    });
    let real_counts = if asked_json {
        serde_json::from_slice(&real.stdout).expect("the import's JSON summary")
    } else {
        // The summary's first line: `import ID: ...`.
        let text = String::from_utf8_lossy(&real.stdout);
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("import ")?.split_once(':').map(|(id, _)| id.to_owned()))
            .unwrap_or_else(|| panic!("no import ID in the summary of `ingest {shown}`: {text}"));
        let entry = json(&ingest_unchecked(store, &["history", &id, "--json"]));
        serde_json::json!({
            "rows": entry["rows"],
            "rows_failed": entry["rows_failed"],
            "errors": entry["errors"],
            "objects": entry["counts"],
            "associations": entry["associations"],
        })
    };
    assert_same_counts(&dry_json, &real_counts, asked_json, &shown);
    if let (Some(dry_plan), Some(path)) = (dry_plan, &results) {
        let real_plan = std::fs::read(path).expect("the import's results file");
        assert!(
            dry_plan == real_plan,
            "`ingest {shown}`: the dry run's results file differs from the import's"
        );
    }
    real
}

/// The counts of a dry run's report equal those of the real import's summary
/// (`full`: its `--json` summary; otherwise what its log entry keeps).
fn assert_same_counts(dry: &serde_json::Value, real: &serde_json::Value, full: bool, shown: &str) {
    use serde_json::Value;
    let zero_if_missing = |v: &Value| if v.is_null() { serde_json::json!({}) } else { v.clone() };
    let no_zeros = |v: &Value| -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, v)| v.as_u64() != Some(0))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            Value::Null => Value::Object(serde_json::Map::new()),
            other => other.clone(),
        }
    };
    let mut pairs = vec![
        ("rows", dry["rows"].clone(), real["rows"].clone()),
        ("rows_failed", dry["rows_failed"].clone(), real["rows_failed"].clone()),
        ("errors", dry["errors"]["total"].clone(), real["errors"].clone()),
        ("objects", dry["objects"].clone(), real["objects"].clone()),
        ("associations", no_zeros(&dry["associations"]), no_zeros(&real["associations"])),
    ];
    if full {
        pairs.extend([
            (
                "errors by column",
                dry["errors"]["by_column"].clone(),
                zero_if_missing(&real["errors_by_column"]),
            ),
            ("errors by code", dry["errors"]["by_code"].clone(), zero_if_missing(&real["errors_by_code"])),
            ("skipped columns", dry["skipped_columns"].clone(), real["skipped_columns"].clone()),
            ("created properties", dry["created_properties"].clone(), real["created_properties"].clone()),
            (
                "rows without identifier",
                dry["created_without_identifier"].clone(),
                real["created_without_identifier"].clone(),
            ),
            ("list", list_of(&dry["list"]), list_of(&real["list"])),
        ]);
    }
    for (what, dry, real) in pairs {
        assert_eq!(dry, real, "`ingest {shown}`: the dry run's {what} differ from the import's");
    }
}

/// A list's name, object and size (not its ID or time).
fn list_of(list: &serde_json::Value) -> serde_json::Value {
    serde_json::json!([list["name"], list["object"], list["size"]])
}

/// Stdout of a successful run, as text.
pub fn ok_stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ingest failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

/// The shared corpora directory (`../shared/corpora` from the workspace root).
pub fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora")
}

/// Starts `ingest import FILE ARGS...` with the fault-injection pause
/// (`INGEST_FAULT_PAUSE_MS`: after the inputs are mapped, before their rows are
/// read) and returns once the import has reached it, with the rest of its stderr.
///
/// Without the dry-run check of [`ingest`]: these imports are interrupted, killed
/// or raced against changes of their inputs, so there are no counts to compare.
pub fn spawn_paused_import(
    store: &Path,
    file: &Path,
    pause_ms: u64,
    args: &[&str],
) -> (std::process::Child, std::io::BufReader<std::process::ChildStderr>) {
    spawn_paused_import_with(store, file, pause_ms, args, &[])
}

/// [`spawn_paused_import`] with extra environment variables.
pub fn spawn_paused_import_with(
    store: &Path,
    file: &Path,
    pause_ms: u64,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, std::io::BufReader<std::process::ChildStderr>) {
    use std::io::BufRead;
    let mut child = Command::new(ingest_bin())
        .envs(env.iter().copied())
        .arg("--store")
        .arg(store)
        .arg("import")
        .arg(file)
        .args(args)
        .env("INGEST_FAULT_PAUSE_MS", pause_ms.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run ingest");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("read stderr") > 0 && !line.contains("fault injection: pausing")
    {
        line.clear();
    }
    assert!(line.contains("pausing"), "the import did not reach its pause");
    (child, stderr)
}

/// Reads the child's stderr up to a line containing `text` (which must come).
pub fn wait_for_line(stderr: &mut std::io::BufReader<std::process::ChildStderr>, text: &str) -> String {
    use std::io::BufRead;
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("read stderr") > 0 {
        seen.push_str(&line);
        if line.contains(text) {
            return seen;
        }
        line.clear();
    }
    panic!("stderr ended without '{text}': {seen}");
}

/// Waits for a child started by [`spawn_paused_import`]: its exit code and the rest
/// of its stderr.
pub fn finish_import(
    mut child: std::process::Child,
    mut stderr: std::io::BufReader<std::process::ChildStderr>,
) -> (Option<i32>, String) {
    let mut err = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut err).expect("read stderr");
    (child.wait().expect("wait for ingest").code(), err)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The JSON a successful command printed.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(ok_stdout(out).trim()).expect("JSON on stdout")
}

/// A command's standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the import `opts` on `store` in process, after its dry run, and checks the
/// two agree as [`ingest`] does for the command line: the store is closed, the
/// dry run ([`store::Store::open_dry_run`], the same [`engine::import::run`]) runs
/// on its file and must leave it byte for byte as it was, then the store is
/// reopened and the import runs. Its summary must be the dry run's (counts,
/// errors per column and code, created properties, ...), and its results file,
/// error file and rejected-rows files must be the dry run's, byte for byte.
/// Returns the reopened store and the import's summary.
pub fn run_checked(
    store: store::Store,
    opts: &engine::import::ImportSpec,
) -> (store::Store, engine::import::ImportSummary) {
    use engine::import::{ImportSpec, run};
    use engine::progress::Progress;
    let path = store.path().to_path_buf();
    drop(store);
    let scratch = tempfile::tempdir().unwrap();
    let dry_opts = ImportSpec {
        report_dir: Some(scratch.path().join("dry")),
        results: Some(scratch.path().join("dry-results.csv")),
        ..opts.clone()
    };
    let before = StoreFiles::of(&path);
    let dry = {
        let dry_store = store::Store::open_dry_run(&path).expect("open the dry run");
        run(&dry_store, &dry_opts, &Progress::hidden()).expect("the dry run")
    };
    before.assert_unchanged(&path, "in process");
    let store = store::Store::open(&path).expect("reopen the store");
    let real_results = opts.results.clone().unwrap_or_else(|| scratch.path().join("results.csv"));
    let real_opts = ImportSpec { results: Some(real_results.clone()), ..opts.clone() };
    let real = run(&store, &real_opts, &Progress::hidden()).expect("the import");
    let fields = |s: &engine::import::ImportSummary| {
        let list = s.list.as_ref().map(|l| (l.name.clone(), l.object.clone(), l.size));
        let v = serde_json::to_value(s).unwrap();
        let keep = [
            "rows",
            "rows_failed",
            "errors",
            "objects",
            "associations",
            "errors_by_column",
            "errors_by_code",
        ];
        let kept: Vec<_> = keep.iter().map(|k| v[*k].clone()).collect();
        let more = (&s.skipped_columns, &s.created_properties, s.created_without_identifier, &s.mapping);
        (format!("{kept:?}"), format!("{more:?}"), list, s.import_id)
    };
    assert_eq!(fields(&dry), fields(&real), "the dry run's summary differs from the import's");
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let files = |s: &engine::import::ImportSummary, results: &Path| {
        let mut paths = vec![PathBuf::from(&s.error_file), results.to_path_buf()];
        paths.extend(s.rejected_files.iter().map(PathBuf::from));
        paths.iter().map(|p| if p.exists() { Some(read(p)) } else { None }).collect::<Vec<_>>()
    };
    assert!(
        files(&dry, &scratch.path().join("dry-results.csv")) == files(&real, &real_results),
        "the dry run's results, error or rejected-rows file differs from the import's"
    );
    (store, real)
}
