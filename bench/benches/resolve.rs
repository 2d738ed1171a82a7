//! The identifier index ([`engine::resolve::KeyIndex`]) of a store holding the
//! 200k contacts (25 MB of generated CSV, imported once by a real import).
//!
//! - `resolve/load`: loading the whole email index from the store into the
//!   sharded in-memory map (parallel over key ranges, rayon's global pool).
//!   Throughput is keys loaded per second.
//! - `resolve/get`: looking up every normalized email of the file in file order
//!   (`hits`), and the same keys with a prefix that no stored key has (`misses`);
//!   each lookup includes hashing the key ([`engine::resolve::hash_key`]).
//!   Throughput is lookups per second.

use std::hint::black_box;

use bench::{Input, STORE_ROWS, contacts_csv, contacts_store};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use engine::resolve::{KeyIndex, hash_key};
use store::Store;

/// The property the index is on.
const IDENTIFIER: u16 = 1; // contacts.email

fn load(c: &mut Criterion) {
    let store = Store::open(contacts_store(STORE_ROWS)).expect("bench store");
    let read = store.begin_read().expect("read session");
    let keys = KeyIndex::load(&read, "contacts", IDENTIFIER).expect("key index");
    let mut group = c.benchmark_group("resolve/load");
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.sample_size(20);
    group.bench_function(format!("{}_keys", keys.len()), |b| {
        b.iter_with_large_drop(|| KeyIndex::load(&read, "contacts", IDENTIFIER).expect("key index"));
    });
    group.finish();
}

/// Looks every key up, hashing it first as the transform stage does, and counts
/// the keys found (so that no lookup can be optimised away).
fn lookup_all(index: &KeyIndex, keys: &[Vec<u8>]) -> usize {
    keys.iter()
        .map(|k| black_box(k.as_slice()))
        .filter(|k| index.get(hash_key(k), k).is_ok_and(|e| e.is_some()))
        .count()
}

fn get(c: &mut Criterion) {
    let store = Store::open(contacts_store(STORE_ROWS)).expect("bench store");
    let read = store.begin_read().expect("read session");
    let index = KeyIndex::load(&read, "contacts", IDENTIFIER).expect("key index");

    // The valid emails of the file, normalized as the transform stage does.
    let input = Input::open(&contacts_csv(STORE_ROWS));
    let mut norm = String::new();
    let hits: Vec<Vec<u8>> = input
        .column("Email")
        .iter()
        .filter_map(|cell| {
            norm.clear();
            engine::normalize::values::email(cell, &mut norm).ok()?;
            Some(norm.as_bytes().to_vec())
        })
        .collect();
    let misses: Vec<Vec<u8>> = hits.iter().map(|k| [b"new.", &k[..]].concat()).collect();
    assert_eq!(lookup_all(&index, &hits), hits.len(), "every key should hit");
    assert_eq!(lookup_all(&index, &misses), 0, "no key should hit");

    let mut group = c.benchmark_group("resolve/get");
    group.throughput(Throughput::Elements(hits.len() as u64));
    group.bench_function("hits", |b| b.iter(|| lookup_all(&index, &hits)));
    group.bench_function("misses", |b| b.iter(|| lookup_all(&index, &misses)));
    group.finish();
}

criterion_group!(benches, load, get);
criterion_main!(benches);
