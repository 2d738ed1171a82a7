//! Quote-safe splitting ([`engine::input::split::split`]) of the ~20 MB contacts file
//! into chunks of 256 KiB, 1 MiB and 8 MiB (the pipeline's floor, a typical size
//! and its cap). Throughput is bytes of the file body per second.

use std::hint::black_box;

use bench::{FILE_ROWS, Input, contacts_csv, size_label};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use engine::input::split::{MAX_CHUNK_BYTES, MIN_CHUNK_BYTES};

fn split(c: &mut Criterion) {
    let input = Input::open(&contacts_csv(FILE_ROWS));
    let body = &input.text()[input.body()];
    let mut group = c.benchmark_group("split");
    group.throughput(Throughput::Bytes(body.len() as u64));
    for chunk in [MIN_CHUNK_BYTES, 1 << 20, MAX_CHUNK_BYTES] {
        group.bench_with_input(BenchmarkId::from_parameter(size_label(chunk)), &chunk, |b, &chunk| {
            b.iter(|| engine::input::split::split(black_box(body), chunk));
        });
    }
    group.finish();
}

criterion_group!(benches, split);
criterion_main!(benches);
