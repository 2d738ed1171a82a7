//! `ingest errors ID [--out PATH]` (SPEC 7): writes an import's error file again,
//! byte for byte as the import wrote its `errors.csv`, from the copy the import
//! kept in the store ([`store::ReadSession::read_error_file`]), so it works after
//! the import's report folder was deleted, and after an undo.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use store::ImportStatus;

use super::{Context, open_read};
use crate::report::output::{AtomicFile, Protected};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The import (see `ingest history`).
    id: u64,
    /// Write the error file to PATH (under a temporary name, renamed into place when
    /// complete) instead of standard output; it can be neither the store nor its lock
    /// file.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

pub(super) fn run(args: &Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { id, out } = args;
    let id = *id;
    if let Some(path) = out {
        Protected::with_store(&ctx.store).check(path)?;
    }
    let store = open_read(&ctx.store, ctx.wait)?;
    let Some(entry) = store.imports()?.into_iter().find(|e| e.id == id) else {
        bail!("no import {id} in the store (see `ingest history`)");
    };
    if let Some(kind) = &entry.kind {
        bail!("entry {id} is a {kind}, not an import: it has no error file");
    }
    let read = store.begin_read()?;
    let missing = || match entry.status {
        ImportStatus::Running | ImportStatus::Interrupted => {
            anyhow::anyhow!("import {id} did not finish (it was interrupted): it has no error file")
        }
        _ => anyhow::anyhow!(
            "import {id} has no error file in the store: it was made by a version of ingest that did not keep \
             them{}",
            entry.error_file.as_ref().map(|f| format!(" (it wrote {f})")).unwrap_or_default()
        ),
    };
    if let Some(path) = out {
        let len = to_file(&read, id, path)?.ok_or_else(missing)?;
        println!(
            "wrote the error file of import {id} ({} errors, {len} bytes) to {}",
            entry.errors,
            path.display()
        );
    } else {
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        // An I/O error (a closed pipe: `ingest errors 7 | head`) stays an I/O error.
        let written = read.read_error_file(id, |bytes| -> anyhow::Result<()> {
            stdout.write_all(bytes)?;
            Ok(())
        })?;
        if written.is_none() {
            return Err(missing());
        }
        stdout.flush()?;
    }
    Ok(())
}

/// Writes import `id`'s error file to `path`, whole or not at all; its size, or
/// `None` (nothing written) when the store keeps none.
fn to_file(read: &store::ReadSession, id: u64, path: &Path) -> anyhow::Result<Option<u64>> {
    let mut file = AtomicFile::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let len = read.read_error_file(id, |bytes| -> anyhow::Result<()> {
        file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))
    })?;
    if len.is_some() {
        file.commit().with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(len)
}
