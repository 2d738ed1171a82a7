//! Nothing a user does destroys data: output paths that are the store or an input,
//! atomic outputs, the report folder tied to its store, `--threads` bounds,
//! signals, a busy store, and formula injection in the error file.

use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::Command;

use serde_json::Value;

use crate::support::{finish_import, ingest, ok_stdout, spawn_paused_import, spawn_paused_import_with};

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(ok_stdout(out).trim()).expect("JSON on stdout")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A store holding two contacts, and its input file.
fn small_store(dir: &Path) -> (PathBuf, PathBuf) {
    let store = dir.join("crm.redb");
    let input = write(dir, "c.csv", "Email,First Name\nada@example.com,Ada\nbob@example.com,Bob\n");
    json(&ingest(&store, &["import", input.to_str().unwrap(), "--json"]));
    (store, input)
}

#[test]
fn an_output_path_that_is_the_store_or_an_input_is_refused_and_nothing_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let (store, input) = small_store(dir.path());
    let store_bytes = std::fs::read(&store).unwrap();
    let input_bytes = std::fs::read(&input).unwrap();
    let link = dir.path().join("link.csv");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&store, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::hard_link(&store, &link).unwrap();
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&input, &hard).unwrap();
    let relative = dir.path().join(".").join("crm.redb");
    let i = input.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["import", i, "--results", store.to_str().unwrap()],
        vec!["import", i, "--results", i],
        vec!["import", i, "--results", link.to_str().unwrap()],
        vec!["import", i, "--results", hard.to_str().unwrap()],
        vec!["import", i, "--results", relative.to_str().unwrap()],
        vec!["export", "contacts", "--out", store.to_str().unwrap()],
        vec!["export", "contacts", "--format", "csv", "--out", link.to_str().unwrap()],
    ];
    for args in cases {
        let out = ingest(&store, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("refusing to write"), "{args:?}: {}", stderr(&out));
        assert!(std::fs::read(&store).unwrap() == store_bytes, "{args:?} changed the store");
        assert!(std::fs::read(&input).unwrap() == input_bytes, "{args:?} changed the input");
    }
    // Nothing was logged either: the refused imports never started.
    let h = json(&ingest(&store, &["history", "--json"]));
    assert_eq!(h.as_array().unwrap().len(), 1);
    let stats = json(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 2);
}

#[test]
fn a_failed_import_leaves_the_old_result_file_and_no_report_files() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = small_store(dir.path());
    let results = write(dir.path(), "results.csv", "a good old result file\n");
    // A file that changes during the import fails it after its reports were begun.
    let file = big_file(dir.path());
    let (child, err) = spawn_paused_import(
        &store,
        &file,
        1000,
        &["--chunk-bytes", "65536", "--results", results.to_str().unwrap()],
    );
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[30] = b'X';
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, &bytes).unwrap();
    let (code, rest) = finish_import(child, err);
    assert_eq!(code, Some(1), "{rest}");
    assert_eq!(std::fs::read_to_string(&results).unwrap(), "a good old result file\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let reports = dir.path().join("crm.redb.imports");
    assert!(reports.join("1").is_dir(), "the first import's reports stay");
    assert!(!reports.join("2").exists(), "the failed import's report folder is removed");
}

#[test]
fn the_report_folder_of_a_deleted_store_is_moved_aside_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let bad = write(dir.path(), "bad.csv", "Email\nnot-an-email\n");
    let first = json(&ingest(&store, &["import", bad.to_str().unwrap(), "--json"]));
    let old_errors = std::fs::read(first["error_file"].as_str().unwrap()).unwrap();
    std::fs::remove_file(&store).unwrap();
    let good = write(dir.path(), "good.csv", "Email\nada@example.com\n");
    let out = ingest(&store, &["import", good.to_str().unwrap(), "--json"]);
    let second = json(&out);
    assert_eq!(second["import_id"], 1);
    assert!(stderr(&out).contains("moved to"), "{}", stderr(&out));
    let aside = dir.path().join("crm.redb.imports.stale-1");
    assert!(std::fs::read(aside.join("1").join("errors.csv")).unwrap() == old_errors);
    // The new store's folder is its own and is kept by its next import.
    json(&ingest(&store, &["import", good.to_str().unwrap(), "--json"]));
    assert!(dir.path().join("crm.redb.imports").join("1").is_dir());
    assert!(!dir.path().join("crm.redb.imports.stale-2").exists());
}

#[test]
fn threads_beyond_the_bound_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (store, input) = small_store(dir.path());
    for n in ["0", "257", "10000", "100000"] {
        let out = ingest(&store, &["import", input.to_str().unwrap(), "--threads", n]);
        assert_eq!(out.status.code(), Some(2), "--threads {n}: {}", stderr(&out));
        assert!(stderr(&out).contains("give 1 to"), "{}", stderr(&out));
    }
    let h = json(&ingest(&store, &["history", "--json"]));
    assert_eq!(h.as_array().unwrap().len(), 1, "no import was started");
    json(&ingest(&store, &["import", input.to_str().unwrap(), "--threads", "2", "--json"]));
}

#[test]
fn the_error_file_neutralizes_formulas_and_the_rejected_file_stays_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let text = "Email,=Birthday\n\
                =HYPERLINK(\"http://evil\"),1990-01-01\n\
                ada@example.com,@SUM(1+1)\n\
                bob@example.com,-1+2\n";
    let file = write(dir.path(), "c.csv", text);
    let s = json(&ingest(
        &store,
        &["import", file.to_str().unwrap(), "--map", "=Birthday=date_of_birth", "--json"],
    ));
    let errors = std::fs::read_to_string(s["error_file"].as_str().unwrap()).unwrap();
    for line in errors.lines().skip(1) {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        for cell in [&rec[1], &rec[2]] {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "unsafe cell {cell:?} in {line}");
        }
    }
    assert!(errors.contains("'=HYPERLINK"), "{errors}");
    assert!(
        errors.contains("'@SUM(1+1)") && errors.contains("'-1+2") && errors.contains("'=Birthday"),
        "{errors}"
    );
    assert_eq!(errors.lines().count(), 4, "{errors}");
    let rejected = std::fs::read_to_string(s["rejected_file"].as_str().unwrap()).unwrap();
    assert_eq!(rejected, "Email,=Birthday\n=HYPERLINK(\"http://evil\"),1990-01-01\n");
}

#[test]
fn export_csv_is_excel_safe_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crm.redb");
    let file = write(dir.path(), "c.csv", "Email,First Name,Last Name\nada@example.com,=1+2,-Smith\n");
    json(&ingest(&store, &["import", file.to_str().unwrap(), "--json"]));
    let plain = ok_stdout(&ingest(&store, &["export", "contacts", "--format", "csv"]));
    assert!(plain.contains(",=1+2,") && plain.contains(",-Smith"), "{plain}");
    let out = dir.path().join("safe.csv");
    ok_stdout(&ingest(
        &store,
        &["export", "contacts", "--format", "csv", "--excel-safe", "--out", out.to_str().unwrap()],
    ));
    let safe = std::fs::read_to_string(&out).unwrap();
    assert!(safe.contains(",'=1+2,") && safe.contains(",'-Smith"), "{safe}");
    let jsonl = ingest(&store, &["export", "contacts", "--excel-safe"]);
    assert_eq!(jsonl.status.code(), Some(2));
}

/// A contacts file big enough to be mapped and split into several pieces.
fn big_file(dir: &Path) -> PathBuf {
    let mut text = String::from("Email,First Name\n");
    for i in 0..20_000 {
        text.push_str(&format!("user{i}@example.com,Name{i}\n"));
    }
    write(dir, "big.csv", &text)
}

fn paused_import(
    store: &Path,
    file: &Path,
    pause_ms: u64,
) -> (std::process::Child, std::io::BufReader<std::process::ChildStderr>) {
    spawn_paused_import(store, file, pause_ms, &["--chunk-bytes", "65536"])
}

#[cfg(unix)]
fn send(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill").args(["-s", signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn a_signal_stops_the_import_with_its_exit_code_and_nothing_committed() {
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = small_store(dir.path());
        let before = ok_stdout(&ingest(&store, &["export", "contacts"]));
        let file = big_file(dir.path());
        // A long pause that the signal cuts short: no race with a loaded machine.
        let (child, err) = paused_import(&store, &file, 600_000);
        send(&child, signal);
        let (status, rest) = finish_import(child, err);
        assert_eq!(status, Some(code), "SIG{signal}: {rest}");
        let lines: Vec<&str> = rest.lines().collect();
        let first = format!(
            "SIG{signal}: stopping after the rows in flight; nothing will be committed (interrupt again to exit at once)"
        );
        assert_eq!(
            lines,
            [first.as_str(), "interrupted: nothing was committed, the store is as before"],
            "SIG{signal}"
        );
        assert_eq!(ok_stdout(&ingest(&store, &["export", "contacts"])), before);
        let h = json(&ingest(&store, &["history", "--json"]));
        assert_eq!(h[0]["status"], "interrupted", "newest first");
        assert!(!dir.path().join("crm.redb.imports").join("2").exists());
        assert!(!dir.path().join("crm.redb.lock").exists());
    }
}

#[cfg(unix)]
#[test]
fn a_second_interrupt_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = small_store(dir.path());
    let file = big_file(dir.path());
    // A stubborn pause does not look at signals: only the second one can end it early.
    let (child, mut err) = spawn_paused_import_with(
        &store,
        &file,
        600_000,
        &["--chunk-bytes", "65536"],
        &[("INGEST_FAULT_PAUSE_STUBBORN", "1")],
    );
    send(&child, "INT");
    // Two signals sent back to back can merge into one; the second is sent once
    // the first has been received.
    crate::support::wait_for_line(&mut err, "interrupt again to exit at once");
    send(&child, "INT");
    let (status, rest) = finish_import(child, err);
    assert_eq!(status, Some(130), "{rest}");
    assert!(rest.contains("interrupted again: exiting now"), "{rest}");
    let stats = json(&ingest(&store, &["stats", "--json"]));
    assert_eq!(stats["objects"]["contacts"], 2);
    let h = json(&ingest(&store, &["history", "--json"]));
    assert_eq!(h[0]["status"], "interrupted", "newest first");
}

#[test]
fn a_busy_store_names_the_import_that_holds_it_and_wait_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = small_store(dir.path());
    let file = big_file(dir.path());
    // Long enough that `stats` surely runs while the import holds the store.
    let (child, err) = paused_import(&store, &file, 10_000);
    let out = ingest(&store, &["stats", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is in use: import 2"), "{}", stderr(&out));
    // A second import fails the same way, and imports nothing.
    let second = write(dir.path(), "second.csv", "Email\nzoë@ærø.dk\n");
    let out = ingest(&store, &["import", second.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is in use: import 2"), "{}", stderr(&out));
    // --wait outlasts the import (a generous bound, not a deadline).
    let waited = json(&ingest(&store, &["stats", "--json", "--wait", "300"]));
    let (code, rest) = finish_import(child, err);
    assert_eq!(code, Some(0), "{rest}");
    assert_eq!(waited["objects"]["contacts"], 20_002);
}

#[test]
fn open_errors_name_their_cause_once_and_read_only_commands_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(d, "c.csv", "Email\nada@example.com\n");
    std::fs::write(d.join("empty.redb"), b"").unwrap();
    std::fs::write(d.join("text.redb"), b"Email\nnot a store\n").unwrap();
    let cases = [
        (d.join("no-such-dir").join("s.redb"), "does not exist"),
        (d.join("missing.redb"), "does not exist"),
        (d.join("empty.redb"), "empty file"),
        (d.join("text.redb"), "not a redb database"),
    ];
    for (store, cause) in &cases {
        for args in
            [&["stats"][..], &["history"], &["export", "contacts"], &["get", "contacts", "1"], &["check"]]
        {
            let out = ingest(store, args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?} on {}: {err}", store.display());
            assert_eq!(err.matches(cause).count(), 1, "{args:?}: the cause once: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        assert!(!d.join("missing.redb").exists(), "a read-only command created the store");
    }
    // Writing commands refuse the empty file and the text file too, and leave them as they were.
    for name in ["empty.redb", "text.redb"] {
        let before = std::fs::read(d.join(name)).unwrap();
        let out = ingest(&d.join(name), &["import", input.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(std::fs::read(d.join(name)).unwrap() == before);
    }
}

/// Starts `ingest --store STORE ARGS...` with its output discarded, to be killed.
fn spawn_quiet(store: &Path, args: &[&str]) -> std::process::Child {
    Command::new(crate::support::ingest_bin())
        .arg("--store")
        .arg(store)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// `kill -9` of a running import at many moments (from before its first row to
/// its commit): each time the store is exactly as before the import or, if it
/// finished first, as after it; it passes `check`; and running the same command
/// again gives the store an uninterrupted import gives (one copy of every record).
#[test]
fn an_import_killed_at_any_moment_leaves_the_store_before_or_after_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("Email,First Name,City\n");
    for i in 0..20_000 {
        text.push_str(&format!("jos\u{e9}{i}@ex\u{e4}mple.de,Jos\u{e9} {i},K\u{f8}benhavn\n"));
    }
    let file = dir.path().join("big.csv");
    std::fs::write(&file, text).unwrap();
    let seed = dir.path().join("seed.csv");
    std::fs::write(&seed, "Email,First Name\njos\u{e9}7@ex\u{e4}mple.de,Old\nana@example.com,Ana\n").unwrap();
    let base = dir.path().join("base.redb");
    ok_stdout(&ingest(&base, &["import", seed.to_str().unwrap()]));
    let before = ok_stdout(&ingest(&base, &["export", "contacts"]));
    let clean = dir.path().join("clean.redb");
    std::fs::copy(&base, &clean).unwrap();
    ok_stdout(&ingest(&clean, &["import", file.to_str().unwrap()]));
    let after = ok_stdout(&ingest(&clean, &["export", "contacts"]));
    let mut outcomes = (0, 0);
    for step in 0..12u64 {
        let store = dir.path().join(format!("k{step}.redb"));
        std::fs::copy(&base, &store).unwrap();
        // Not through `support::ingest`: this import is killed part way, so it has no
        // counts to hold its dry run to (the re-run below is checked).
        let mut child = spawn_quiet(&store, &["import", file.to_str().unwrap()]);
        std::thread::sleep(std::time::Duration::from_millis(step * step * 15));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let got = ok_stdout(&ingest(&store, &["export", "contacts"]));
        if got == before {
            outcomes.0 += 1;
        } else {
            assert!(got == after, "kill {step}: the store is neither before nor after the import");
            outcomes.1 += 1;
        }
        let check = ingest(&store, &["check"]);
        assert!(check.status.success(), "kill {step}: {}", String::from_utf8_lossy(&check.stdout));
        // The re-run of the first kills (early, on a store left needing recovery) is
        // checked against its dry run; the later ones are not, to keep the time down.
        let rerun = if step < 4 { ingest } else { crate::support::ingest_unchecked };
        ok_stdout(&rerun(&store, &["import", file.to_str().unwrap()]));
        assert!(
            ok_stdout(&ingest(&store, &["export", "contacts"])) == after,
            "kill {step}: the re-run differs"
        );
    }
    eprintln!("killed before the commit: {}, after: {}", outcomes.0, outcomes.1);
}

/// `kill -9` of a running `undo` at many moments: each time the store is exactly
/// as before the undo or as after it, passes `check`, and running the undo again
/// (if it had not finished) gives the store an uninterrupted undo gives.
#[test]
fn an_undo_killed_at_any_moment_leaves_the_store_before_or_after_and_a_rerun_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let seed = write(
        dir.path(),
        "seed.csv",
        "Email,First Name\njos\u{e9}7@ex\u{e4}mple.de,Old\nana@example.com,Ana\n",
    );
    let mut text = String::from("Email,First Name,City\n");
    for i in 0..8_000 {
        text.push_str(&format!("jos\u{e9}{i}@ex\u{e4}mple.de,Jos\u{e9} {i},K\u{f8}benhavn\n"));
    }
    let file = write(dir.path(), "big.csv", &text);
    let base = dir.path().join("base.redb");
    ok_stdout(&ingest(&base, &["import", seed.to_str().unwrap()]));
    let undone = ok_stdout(&ingest(&base, &["export", "contacts"]));
    ok_stdout(&ingest(&base, &["import", file.to_str().unwrap()]));
    let imported = ok_stdout(&ingest(&base, &["export", "contacts"]));
    // How long an undo takes here, so that the kills spread over its whole run
    // (process start, reading, the commit) on a fast machine and on a loaded one.
    let clean = dir.path().join("clean.redb");
    std::fs::copy(&base, &clean).unwrap();
    let started = std::time::Instant::now();
    ok_stdout(&ingest(&clean, &["undo", "2"]));
    let span = started.elapsed();
    let mut outcomes = (0, 0);
    for step in 0..12u32 {
        let store = dir.path().join(format!("u{step}.redb"));
        std::fs::copy(&base, &store).unwrap();
        let mut child = spawn_quiet(&store, &["undo", "2"]);
        std::thread::sleep(span * step / 10);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let got = ok_stdout(&ingest(&store, &["export", "contacts"]));
        let check = ingest(&store, &["check"]);
        assert!(check.status.success(), "kill {step}: {}", String::from_utf8_lossy(&check.stdout));
        if got == imported {
            outcomes.0 += 1;
            ok_stdout(&ingest(&store, &["undo", "2"]));
        } else {
            assert!(got == undone, "kill {step}: the store is neither before nor after the undo");
            outcomes.1 += 1;
        }
        assert!(
            ok_stdout(&ingest(&store, &["export", "contacts"])) == undone,
            "kill {step}: the re-run differs"
        );
        let history = json(&ingest(&store, &["history", "2", "--json"]));
        assert_eq!(history["status"], "undone", "kill {step}");
    }
    eprintln!("undo killed before its commit: {}, after: {}", outcomes.0, outcomes.1);
}
