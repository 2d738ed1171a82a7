//! Writing to the store: the plan and commit stages, and whole imports, for the
//! 100k-row (~12.5 MB) contacts file.
//!
//! - `commit/*`: [`bench::Input::plan_and_commit`]: planning and writing every
//!   piece, then the identifier index and the durable commit, as the import's
//!   planner and writer thread do, over pieces decoded and transformed
//!   beforehand. Into an empty store (every row creates a record) and into a copy
//!   of a store that already holds the file (every row matches: the update path).
//! - `import/*`: [`engine::import::run`] end to end (read, split, decode,
//!   transform, plan, commit, report files) into the same two kinds of store.
//!
//! Every iteration gets its own store in a fresh scratch directory (a copy of the
//! cached populated store for the update path) and its own transformed pieces,
//! all made outside the timing. Throughput is rows and bytes (of the file) per
//! second.

use std::path::Path;

use bench::{COMMIT_ROWS, Input, contacts_csv, contacts_store, file_len};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use store::Store;
use tempfile::TempDir;

/// A store for one iteration: empty, or a private copy of `template`.
fn store_for(template: Option<&Path>) -> (TempDir, Store) {
    template.map_or_else(bench::fresh_store, bench::store_copy)
}

fn commit(c: &mut Criterion) {
    let input = Input::open(&contacts_csv(COMMIT_ROWS));
    let template = contacts_store(COMMIT_ROWS);
    let rows = input.row_count();
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::ElementsAndBytes { elements: rows, bytes: input.body_len() });
    group.sample_size(10);
    for (name, template) in [("empty_store", None), ("populated_store", Some(&*template))] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    let (dir, store) = store_for(template);
                    let pieces = input.transform_pieces(&store);
                    (dir, store, pieces)
                },
                |(_dir, store, pieces)| input.plan_and_commit(store, std::mem::take(pieces)),
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

fn import(c: &mut Criterion) {
    let csv = contacts_csv(COMMIT_ROWS);
    let template = contacts_store(COMMIT_ROWS);
    let mut group = c.benchmark_group("import");
    group.throughput(Throughput::ElementsAndBytes { elements: COMMIT_ROWS, bytes: file_len(&csv) });
    group.sample_size(10);
    for (name, template) in [("empty_store", None), ("populated_store", Some(&*template))] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || store_for(template),
                |(dir, store)| {
                    let summary = bench::import_contacts(store, &csv, &dir.path().join("reports"));
                    assert_eq!(summary.rows, COMMIT_ROWS);
                    summary
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, commit, import);
criterion_main!(benches);
