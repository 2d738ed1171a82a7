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
//! ([`crate::input::decode`]), so the result always equals a sequential parse.

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
/// at even quote parity (or at the end of the text). The same ranges as a
/// [`Splitter`] yields, computed all at once.
pub fn split(text: &[u8], target: usize) -> Vec<Range<usize>> {
    Splitter::new(text, target, usize::MAX).collect()
}

/// The ranges of [`split`], computed as they are consumed: a batch of segments at a
/// time, in parallel. Splitting reads every byte (it counts quotes); lazily, it
/// reads each part of the input just before that part is decoded, so a mapped
/// input is resident only where the pipeline is working (pages already decoded are
/// released by the caller), not from the start of the import to its end.
#[derive(Debug)]
pub struct Splitter<'a> {
    text: &'a [u8],
    target: usize,
    /// Segments examined per batch.
    batch: usize,
    /// Where the next boundary search starts (a multiple of `target`).
    next: usize,
    /// Quotes in `text[..next - target]`.
    quotes: usize,
    /// Start of the range being built.
    start: usize,
    /// Ranges found, not yet taken.
    ready: std::collections::VecDeque<Range<usize>>,
    done: bool,
}

impl<'a> Splitter<'a> {
    /// Splits `text` into ranges of about `target` bytes, examining `batch`
    /// segments of `target` bytes at a time.
    pub fn new(text: &'a [u8], target: usize, batch: usize) -> Self {
        let target = target.max(1);
        Self {
            text,
            target,
            batch: batch.max(1),
            next: target,
            quotes: 0,
            start: 0,
            ready: std::collections::VecDeque::new(),
            done: false,
        }
    }

    /// Bytes of the text examined so far: quotes are counted up to here, and
    /// boundaries are searched for at most [`search_limit`] bytes past it.
    pub fn examined(&self) -> usize {
        (self.next - self.target).min(self.text.len())
    }

    /// Finds the boundaries of the next `batch` segments.
    fn refill(&mut self) {
        let (text, target, len) = (self.text, self.target, self.text.len());
        let points: Vec<usize> = (self.next..len).step_by(target).take(self.batch).collect();
        let Some(&last) = points.last() else {
            self.ready.push_back(self.start..len);
            self.done = true;
            return;
        };
        // Quotes of the segment before each boundary, in parallel; then the parity
        // of the quotes before each boundary.
        let counts: Vec<usize> =
            points.par_iter().map(|&p| memchr::memchr_iter(b'"', &text[p - target..p]).count()).collect();
        let inside: Vec<bool> = counts
            .iter()
            .map(|c| {
                self.quotes += c;
                self.quotes % 2 == 1
            })
            .collect();
        let boundaries: Vec<Option<usize>> = points
            .par_iter()
            .zip(inside.par_iter())
            .map(|(&p, &inside)| first_boundary(text, p, inside, target))
            .collect();
        for b in boundaries.into_iter().flatten() {
            if b > self.start && b < len {
                self.ready.push_back(self.start..b);
                self.start = b;
            }
        }
        self.next = last + target;
    }
}

impl Iterator for Splitter<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        loop {
            if let Some(r) = self.ready.pop_front() {
                return Some(r);
            }
            if self.done {
                return None;
            }
            self.refill();
        }
    }
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
    target.max(crate::input::decode::MAX_FIELD_BYTES) * 2
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
    fn the_splitter_reads_the_input_as_its_ranges_are_taken() {
        let mut text = b"email,note\n".to_vec();
        for i in 0..3_000 {
            text.extend_from_slice(format!("a{i}@x.com,\"two\nlines, \"\"quoted\"\"\"\n").as_bytes());
        }
        for (target, batch) in [(1, 1), (7, 3), (100, 2), (4096, 4), (1 << 20, 2)] {
            let all = split(&text, target);
            let mut lazy = Splitter::new(&text, target, batch);
            let first: Vec<Range<usize>> = lazy.by_ref().take(3).collect();
            assert_eq!(first[..], all[..3.min(all.len())], "target {target}");
            if all.len() > 10 {
                // Three ranges taken: about three batches of segments examined, not the input.
                assert!(lazy.examined() <= first[2].end + batch * target, "target {target}");
            }
            let rest: Vec<Range<usize>> = lazy.collect();
            assert_eq!([first, rest].concat(), all, "target {target}, batch {batch}");
        }
    }

    #[test]
    fn chunk_size_has_floor_and_cap() {
        assert!(chunk_size(0, 2) >= 64);
        assert!(chunk_size(usize::MAX / 4, 2) <= MAX_CHUNK_BYTES);
    }
}
