//! `ingest errors ID [--out PATH]` (SPEC 7): an import's error file written again
//! from the store, byte for byte the `errors.csv` the import wrote, also after its
//! report folder is deleted and after an undo; unknown and unfinished imports
//! refused; dry runs store nothing.

use std::path::{Path, PathBuf};

use crate::support::{ingest, json, ok_stdout, stderr, write};

/// Imports `file` with `args`; returns the import ID and the error file it wrote.
fn import(store: &Path, file: &Path, args: &[&str]) -> (String, PathBuf) {
    let mut all = vec!["import", file.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let summary = json(&ingest(store, &all));
    let id = summary["import_id"].as_u64().unwrap().to_string();
    (id, PathBuf::from(summary["error_file"].as_str().unwrap()))
}

/// `ingest errors ID` on standard output, as bytes.
fn errors(store: &Path, id: &str) -> Vec<u8> {
    let out = ingest(store, &["errors", id]);
    ok_stdout(&out); // asserts success
    out.stdout
}

fn check(store: &Path) -> serde_json::Value {
    json(&ingest(store, &["check", "--json"]))
}

/// Rows whose errors hold non-ASCII values, and values the error file neutralizes
/// for spreadsheets (`=`, `-`).
const BAD: &str = "Email,First Name,Number of Employees,Date of Birth\n\
    josé.müller@exämple,José,3,\n\
    bo@ærø.dk,Bo,=ærø.dk,\n\
    ana@example.com,Ana,-5x,31.02.ærø\n\
    zoë@exämple.de,\"Zoë, \"\"Z\"\"\",1-5,\n";

#[test]
fn the_error_file_is_written_again_byte_for_byte_also_after_its_folder_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "bad.csv", BAD);
    let (id, error_file) = import(&store, &file, &[]);
    let written = std::fs::read(&error_file).unwrap();
    let text = String::from_utf8(written.clone()).unwrap();
    assert!(text.contains("josé.müller@exämple"), "{text}");
    assert!(text.contains("'=ærø.dk"), "{text}");
    assert!(text.lines().count() >= 4, "{text}");
    assert_eq!(errors(&store, &id), written);

    // The report folder deleted: the store still has it.
    std::fs::remove_dir_all(dir.path().join("crm.redb.imports")).unwrap();
    assert_eq!(errors(&store, &id), written);

    // --out: written whole, and where is said.
    let out_path = dir.path().join("again.csv");
    let out = ingest(&store, &["errors", &id, "--out", out_path.to_str().unwrap()]);
    let said = ok_stdout(&out);
    assert!(said.contains(out_path.to_str().unwrap()), "{said}");
    assert_eq!(std::fs::read(&out_path).unwrap(), written);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An output path that is the store is refused before anything is opened.
    let clobber = ingest(&store, &["errors", &id, "--out", store.to_str().unwrap()]);
    assert_eq!(clobber.status.code(), Some(2), "{}", stderr(&clobber));

    let report = check(&store);
    assert_eq!(report["problems"], serde_json::json!([]));
    assert_eq!(report["checked"]["error_chunks"], 1);
}

#[test]
fn an_import_without_errors_keeps_its_header_and_several_files_their_file_column() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let good = write(dir.path(), "good.csv", "Email,First Name\nana@example.com,Ana\nbo@ærø.dk,Bø\n");
    let (id, error_file) = import(&store, &good, &[]);
    let written = std::fs::read(&error_file).unwrap();
    assert_eq!(written, b"line,column,value,code,message\n");
    assert_eq!(errors(&store, &id), written);

    // Two files: the `file` column first, each error under its input.
    let other = write(dir.path(), "other.csv", "Email,First Name\nnot-an-email,Cé\n");
    let bad = write(dir.path(), "bad.csv", BAD);
    let (id, error_file) = import(&store, &other, &[bad.to_str().unwrap()]);
    let written = std::fs::read(&error_file).unwrap();
    assert!(written.starts_with(b"file,line,column"), "{}", String::from_utf8_lossy(&written));
    assert_eq!(errors(&store, &id), written);
}

#[test]
fn an_error_file_of_several_chunks_comes_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    // About 2.6 MiB of errors: 9,000 invalid emails of 200 bytes, each quoted back
    // in its message.
    let mut text = String::from("Email,First Name\n");
    for i in 0..9_000 {
        text.push_str(&format!("josé.müller.{i:05}.{}@@exämple,Zoë\n", "ærø".repeat(30)));
    }
    let file = write(dir.path(), "many.csv", &text);
    let (id, error_file) = import(&store, &file, &[]);
    let written = std::fs::read(&error_file).unwrap();
    assert!(written.len() > 2 * (1 << 20), "{} bytes", written.len());
    std::fs::remove_dir_all(dir.path().join("crm.redb.imports")).unwrap();
    let again = errors(&store, &id);
    assert!(again == written, "{} bytes written again, {} by the import", again.len(), written.len());
    let report = check(&store);
    assert_eq!(report["problems"], serde_json::json!([]));
    assert_eq!(report["checked"]["error_chunks"].as_u64().unwrap(), written.len().div_ceil(1 << 20) as u64);
}

#[test]
fn unknown_unfinished_and_non_imports_are_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    // No store at all: nothing is created.
    let out = ingest(&store, &["errors", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!store.exists());

    let file = write(dir.path(), "bad.csv", BAD);
    let (id, _) = import(&store, &file, &[]);
    let out = ingest(&store, &["errors", "99"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no import 99"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let out_path = dir.path().join("none.csv");
    let out = ingest(&store, &["errors", "99", "--out", out_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_path.exists());

    // A deletion is an entry of the log, not an import.
    let deleted = json(&ingest(&store, &["delete", "--import", &id, "--json"]));
    let delete_id = deleted["delete_id"].as_u64().unwrap().to_string();
    let out = ingest(&store, &["errors", &delete_id]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("not an import"), "{}", stderr(&out));
    // Deleting the import's records left its error file.
    assert_eq!(
        errors(&store, &id),
        std::fs::read(dir.path().join("crm.redb.imports").join(&id).join("errors.csv")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn an_interrupted_import_has_no_error_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "bad.csv", BAD);
    let (child, err) = crate::support::spawn_paused_import(&store, &file, 30_000, &[]);
    let status =
        std::process::Command::new("kill").args(["-s", "INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let (code, _) = crate::support::finish_import(child, err);
    assert_eq!(code, Some(130));
    let out = ingest(&store, &["errors", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("did not finish"), "{}", stderr(&out));
    assert_eq!(check(&store)["checked"]["error_chunks"], 0);
}

#[test]
fn an_undone_import_keeps_its_error_file_and_a_dry_run_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "bad.csv", BAD);
    let (id, error_file) = import(&store, &file, &[]);
    let written = std::fs::read(&error_file).unwrap();
    ok_stdout(&ingest(&store, &["undo", &id]));
    assert_eq!(errors(&store, &id), written, "the history stays inspectable");
    assert_eq!(check(&store)["problems"], serde_json::json!([]));

    // A dry run, errors included, leaves the file as it was.
    let before = std::fs::read(&store).unwrap();
    let dry = json(&ingest(&store, &["import", file.to_str().unwrap(), "--dry-run", "--json"]));
    assert!(dry["errors"]["total"].as_u64().unwrap() > 0, "{dry}");
    assert!(std::fs::read(&store).unwrap() == before, "the store file is not modified");
    // The dry run's import (the next ID) is in no log.
    let next = (id.parse::<u64>().unwrap() + 1).to_string();
    assert_eq!(ingest(&store, &["errors", &next]).status.code(), Some(1));
}
