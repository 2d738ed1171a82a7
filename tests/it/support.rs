//! Helpers shared by the test modules: the `ingest` binary, temporary stores.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of the `ingest` binary built for these tests.
pub fn ingest_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ingest"))
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
