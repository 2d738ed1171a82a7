//! Decoding CSV to Arrow ([`engine::input::decode::decode`]).
//!
//! - `decode/chunk`: one 1 MiB chunk of the contacts file, on one thread.
//! - `decode/file`: the whole ~20 MB file as the import decodes it: split with the
//!   pipeline's chunk size for the thread count, then decoded in parallel windows
//!   by [`engine::input::pieces::for_each_piece`] in a rayon pool of 1 and of 2 threads.
//!
//! Throughput is rows and bytes (of the records, header excluded) per second.

use std::hint::black_box;

use bench::{FILE_ROWS, Input, contacts_csv};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Size of the chunk decoded by `decode/chunk`.
const CHUNK_BYTES: usize = 1 << 20;

fn chunk(c: &mut Criterion) {
    let input = Input::open(&contacts_csv(FILE_ROWS));
    let range = input.ranges(CHUNK_BYTES)[0].clone();
    let rows = input.decode(range.clone()).batch.num_rows() as u64;
    let mut group = c.benchmark_group("decode/chunk");
    group.throughput(Throughput::ElementsAndBytes { elements: rows, bytes: range.len() as u64 });
    group.bench_function("1MiB", |b| {
        b.iter(|| input.decode(black_box(range.clone())));
    });
    group.finish();
}

fn file(c: &mut Criterion) {
    let input = Input::open(&contacts_csv(FILE_ROWS));
    let body = input.body();
    let rows = input.row_count();
    let mut group = c.benchmark_group("decode/file");
    group.throughput(Throughput::ElementsAndBytes { elements: rows, bytes: input.body_len() });
    group.sample_size(20);
    for threads in [1, 2] {
        let pool =
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("cannot build a rayon pool");
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &t| {
            b.iter(|| {
                // As the import does: chunk size by thread count, windows of 2 chunks
                // per thread, splitting inside the same pool.
                let chunk = engine::input::split::chunk_size(body.len(), t);
                let ranges = pool.install(|| input.ranges(chunk));
                let mut decoded = 0usize;
                engine::input::pieces::for_each_piece(
                    ranges.iter().cloned(),
                    t * 2,
                    Some(&pool),
                    |r| input.decode(r),
                    |piece| {
                        decoded += piece.batch.num_rows();
                        true
                    },
                );
                assert_eq!(decoded as u64, rows);
                decoded
            });
        });
    }
    group.finish();
}

criterion_group!(benches, chunk, file);
criterion_main!(benches);
