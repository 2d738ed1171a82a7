//! Helpers shared by the test modules: the `ingest` binary, temporary stores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the `ingest` binary built for these tests.
pub fn ingest_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ingest-under-test"))
}

/// Runs `ingest` with `args` against `store`.
pub fn ingest(store: &Path, args: &[&str]) -> Output {
    Command::new(ingest_bin()).arg("--store").arg(store).args(args).output().expect("run ingest")
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
