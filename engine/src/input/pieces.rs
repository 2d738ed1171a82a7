//! Turning chunks into pieces: parallel work over a window of chunks, then a
//! sequential pass that stitches chunk boundaries the decoder did not accept.
//!
//! Chunks from [`crate::input::split`] are decoded in parallel, a window at a time, on a
//! decode-ahead thread. The sequential pass hands each result on in file order; when a piece did not end
//! cleanly (a quoted field crosses the boundary, see [`crate::input::decode`]), decoding
//! continues sequentially from the piece's last complete record up to the end of
//! the next chunk, and chunk results already covered are dropped. The pieces thus
//! always equal what one sequential decode of the whole input gives.

use std::ops::Range;

use rayon::prelude::*;

use crate::input::decode::{DecodedPiece, Header};
use crate::timing::{Stage, timed};

/// Where a piece ended: the offset after its last complete record, and whether it
/// ended at its range's end.
pub trait PieceEnd {
    /// Offset (in the text) after the last complete record.
    fn end(&self) -> usize;
    /// False if a record continues past the piece.
    fn clean(&self) -> bool;
}

/// Runs `work` over `ranges` and calls `emit` on every piece in file order. `emit`
/// returns false to stop; then so does this function.
///
/// A decode-ahead thread takes `window` ranges at a time from `ranges` (which may
/// compute them lazily, like [`crate::input::split::Splitter`]) and runs `work` over them
/// (in parallel, in `pool` if given) while the calling thread stitches and emits
/// the previous window, so the sequential stage overlaps the parallel one. At most
/// one finished window waits.
///
/// Stitching: a piece that did not end cleanly stopped at the last complete record
/// before a quoted field that crosses its range's end; the next range is then
/// decoded again from there (its parallel result is dropped). Every decode so ends
/// at a range end, and the pieces equal one sequential decode of the input.
pub fn for_each_piece<T: Send + PieceEnd>(
    ranges: impl Iterator<Item = Range<usize>> + Send,
    window: usize,
    pool: Option<&rayon::ThreadPool>,
    work: impl Fn(Range<usize>) -> T + Sync,
    mut emit: impl FnMut(T) -> bool,
) -> bool {
    let window = window.max(1);
    let work = &work;
    std::thread::scope(|s| {
        let (tx, rx) = crossbeam::channel::bounded::<Vec<(Range<usize>, T)>>(1);
        s.spawn(move || {
            let mut ranges = ranges;
            loop {
                let mut run = || {
                    let batch: Vec<Range<usize>> =
                        timed(Stage::Split, || ranges.by_ref().take(window).collect());
                    let results = batch.par_iter().map(|r| work(r.clone())).collect::<Vec<T>>();
                    batch.into_iter().zip(results).collect::<Vec<_>>()
                };
                let done = match pool {
                    Some(p) => p.install(run),
                    None => run(),
                };
                if done.is_empty() || tx.send(done).is_err() {
                    break;
                }
            }
        });
        let mut resume = None;
        for done in &rx {
            for (r, result) in done {
                let piece = match resume {
                    Some(at) if at != r.start => work(at..r.end),
                    _ => result,
                };
                resume = Some(piece.end());
                if !emit(piece) {
                    return false;
                }
            }
        }
        true
    })
}

/// Decodes the body of `text` (everything after `header`) in chunks of about
/// `chunk_bytes`, applies `then` to every decoded piece (in parallel, like the
/// decoding) and emits the results in file order: the shared loop of `import`,
/// `inspect`, the tests and the fuzz target. The body is split as it is decoded
/// ([`crate::input::split::Splitter`]), a window of `window` chunks at a time.
#[allow(clippy::too_many_arguments)]
pub fn for_each_body_piece<T: Send + PieceEnd>(
    text: &[u8],
    header: &Header,
    delimiter: u8,
    chunk_bytes: usize,
    window: usize,
    pool: Option<&rayon::ThreadPool>,
    then: impl Fn(DecodedPiece) -> T + Sync,
    emit: impl FnMut(T) -> bool,
) -> bool {
    let work = |range: Range<usize>| then(decode_range(text, header, delimiter, range));
    for_each_piece(body_ranges(text, header, chunk_bytes, window), window, pool, work, emit)
}

/// The chunks of the body of `text` (everything after `header`), of about
/// `chunk_bytes`, computed `window` at a time as they are consumed.
pub fn body_ranges<'t>(
    text: &'t [u8],
    header: &Header,
    chunk_bytes: usize,
    window: usize,
) -> impl Iterator<Item = Range<usize>> + Send + 't {
    let body = header.len;
    crate::input::split::Splitter::new(&text[body..], chunk_bytes.max(1), window.max(1))
        .map(move |r| r.start + body..r.end + body)
}

/// Decodes the records of `text` in `range` (timed as the decode stage).
pub fn decode_range(text: &[u8], header: &Header, delimiter: u8, range: Range<usize>) -> DecodedPiece {
    let at_end = range.end == text.len();
    timed(Stage::Decode, || crate::input::decode::decode(text, range, &header.names, delimiter, at_end))
}

impl PieceEnd for crate::input::decode::DecodedPiece {
    fn end(&self) -> usize {
        self.offset + self.consumed
    }
    fn clean(&self) -> bool {
        self.clean
    }
}

impl PieceEnd for crate::normalize::transform::Transformed {
    fn end(&self) -> usize {
        self.piece.end()
    }
    fn clean(&self) -> bool {
        self.piece.clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn ranges_are_taken_a_window_ahead_of_the_pieces_emitted() {
        let text: Vec<u8> = (0..2_000).flat_map(|i| format!("{i},\"a\nb\"\n").into_bytes()).collect();
        let header = Header { names: vec!["n".into(), "t".into()], len: 0, lines: 0 };
        for (chunk, window) in [(1, 1), (10, 3), (200, 2)] {
            // Every range the splitter hands out, counted as it is taken.
            let taken = AtomicUsize::new(0);
            let ranges = crate::input::split::Splitter::new(&text, chunk, window).inspect(|r| {
                taken.fetch_max(r.end, Ordering::SeqCst);
            });
            let mut emitted = 0;
            let mut rows = 0;
            let work = |r: Range<usize>| {
                let at_end = r.end == text.len();
                crate::input::decode::decode(&text, r, &header.names, b',', at_end)
            };
            let finished = for_each_piece(ranges, window, None, work, |p| {
                let end = p.end();
                // At most the window being emitted, the one waiting and the one decoding.
                let ahead = taken.load(Ordering::SeqCst).saturating_sub(end);
                assert!(ahead <= 3 * window * (chunk + 16), "chunk {chunk}: {ahead} bytes taken ahead");
                emitted = end;
                rows += p.rows.len();
                true
            });
            assert!(finished);
            assert_eq!((emitted, rows), (text.len(), 2_000), "chunk {chunk}");
        }
    }
}
