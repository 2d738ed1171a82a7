//! Quote-safe splitting of an input into chunks that decode in parallel.
//!
//! A chunk boundary must fall between records, and a newline inside a quoted
//! field is not between records. Splitting counts the quote characters of every
//! segment in parallel; the running parity of those counts tells, at each nominal
//! boundary, whether the scan starts inside quotes, and each boundary is moved to
//! the first newline after it at even quote parity.
//!
//! Parity is exact for well-formed CSV. For malformed input (a stray quote in an
//! unquoted field) a boundary can land inside a record as the decoder sees it;
//! the decoder then reports the chunk as not ending cleanly and the pipeline
//! re-decodes from the last complete record across the boundary
//! ([`crate::decode`]), so the result always equals a sequential parse.

use std::ops::Range;

use rayon::prelude::*;

/// Smallest chunk in release builds: below this, per-chunk overhead dominates.
pub const MIN_CHUNK_BYTES: usize = 256 * 1024;
/// Largest chunk: bounds the memory a worker holds and keeps Arrow offsets small.
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// Chunks per thread, so that uneven chunks still balance.
pub const CHUNKS_PER_THREAD: usize = 8;

/// The chunk size for an input of `len` bytes on `threads` threads:
/// `len / (threads * 8)`, clamped to `[256 KiB, 8 MiB]`. Debug builds use chunks of
/// at most 64 KiB and as small as 64 bytes, so that tests cross chunk boundaries.
pub fn chunk_size(len: usize, threads: usize) -> usize {
    let target = len / (threads.max(1) * CHUNKS_PER_THREAD);
    if cfg!(debug_assertions) {
        target.clamp(64, 64 * 1024)
    } else {
        target.clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
    }
}

/// Splits `text` into ranges of about `target` bytes, each ending after a newline
/// at even quote parity (or at the end of the text).
pub fn split(text: &[u8], target: usize) -> Vec<Range<usize>> {
    let target = target.max(1);
    let len = text.len();
    if len <= target {
        return std::iter::once(0..len).collect();
    }
    let segments: Vec<Range<usize>> = (0..len).step_by(target).map(|s| s..(s + target).min(len)).collect();
    let quotes: Vec<usize> =
        segments.par_iter().map(|r| memchr::memchr_iter(b'"', &text[r.clone()]).count()).collect();
    let mut parity = Vec::with_capacity(segments.len());
    let mut total = 0usize;
    for q in &quotes {
        parity.push(total % 2 == 1);
        total += q;
    }
    let boundaries: Vec<Option<usize>> = segments
        .par_iter()
        .zip(parity.par_iter())
        .skip(1)
        .map(|(r, &inside)| first_boundary(text, r.start, inside, target))
        .collect();
    let mut ranges = Vec::with_capacity(segments.len());
    let mut start = 0;
    for b in boundaries.into_iter().flatten() {
        if b > start && b < len {
            ranges.push(start..b);
            start = b;
        }
    }
    ranges.push(start..len);
    ranges
}

/// The position after the first newline at or after `from` at even quote parity,
/// searched up to [`search_limit`] bytes; failing that (a stray quote upsets the
/// parity for the rest of the input), the first newline at all within that limit.
/// Any newline is a safe boundary: the decoder stitches across one that falls
/// inside a record. Bounding the search keeps splitting linear.
fn first_boundary(text: &[u8], from: usize, mut inside: bool, target: usize) -> Option<usize> {
    let end = text.len().min(from.saturating_add(search_limit(target)));
    let window = &text[from..end];
    let mut i = 0;
    while let Some(off) = memchr::memchr2(b'"', b'\n', &window[i..]) {
        let at = i + off;
        if window[at] == b'"' {
            inside = !inside;
        } else if !inside {
            return Some(from + at + 1);
        }
        i = at + 1;
    }
    memchr::memchr(b'\n', window).map(|at| from + at + 1)
}

/// How far a boundary is searched for: past the longest field a record can hold.
fn search_limit(target: usize) -> usize {
    target.max(crate::decode::MAX_FIELD_BYTES) * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_never_fall_inside_quotes() {
        let text = b"a,b\n\"x\ny\",1\n2,3\n\"p\n\nq\",4\n5,6\n";
        for target in 1..text.len() + 2 {
            let ranges = split(text, target);
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, text.len());
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            for r in &ranges[..ranges.len() - 1] {
                let prefix = &text[..r.end];
                assert_eq!(memchr::memchr_iter(b'"', prefix).count() % 2, 0, "target {target}");
                assert_eq!(prefix.last(), Some(&b'\n'));
            }
        }
    }

    #[test]
    fn a_stray_quote_does_not_stop_splitting() {
        let mut text = b"a\nx\"y\n".to_vec();
        for _ in 0..200_000 {
            text.extend_from_slice(b"1234567890123456789\n");
        }
        let ranges = split(&text, 1 << 20);
        assert!(ranges.len() >= 3, "{} chunks", ranges.len());
        for r in &ranges[..ranges.len() - 1] {
            assert_eq!(text[r.end - 1], b'\n');
        }
    }

    #[test]
    fn chunk_size_has_floor_and_cap() {
        assert!(chunk_size(0, 2) >= 64);
        assert!(chunk_size(usize::MAX / 4, 2) <= MAX_CHUNK_BYTES);
    }
}
