//! Turning chunks into pieces: parallel work over a window of chunks, then a
//! sequential pass that stitches chunk boundaries the decoder did not accept.
//!
//! Chunks from [`crate::split`] are decoded in parallel, a window at a time, on a
//! decode-ahead thread. The sequential pass hands each result on in file order; when a piece did not end
//! cleanly (a quoted field crosses the boundary, see [`crate::decode`]), decoding
//! continues sequentially from the piece's last complete record up to the end of
//! the next chunk, and chunk results already covered are dropped. The pieces thus
//! always equal what one sequential decode of the whole input gives.

use std::ops::Range;

use rayon::prelude::*;

use crate::decode::{DecodedPiece, Header};
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
/// A decode-ahead thread runs `work` over one window of `window` chunks at a time
/// (in parallel, in `pool` if given) while the calling thread stitches and emits
/// the previous window, so the sequential stage overlaps the parallel one. At most
/// one finished window waits.
pub fn for_each_piece<T: Send + PieceEnd>(
    text_len: usize,
    ranges: &[Range<usize>],
    window: usize,
    pool: Option<&rayon::ThreadPool>,
    work: impl Fn(Range<usize>) -> T + Sync,
    mut emit: impl FnMut(T) -> bool,
) -> bool {
    let Some(first) = ranges.first() else { return true };
    let window = window.max(1);
    let work = &work;
    std::thread::scope(|s| {
        let (tx, rx) = crossbeam::channel::bounded::<Vec<T>>(1);
        s.spawn(move || {
            for batch in ranges.chunks(window) {
                let run = || batch.par_iter().map(|r| work(r.clone())).collect::<Vec<T>>();
                let done = match pool {
                    Some(p) => p.install(run),
                    None => run(),
                };
                if tx.send(done).is_err() {
                    break;
                }
            }
        });
        let mut resume = first.start;
        for (w, done) in rx.iter().enumerate() {
            let index = w * window;
            let batch = &ranges[index..(index + window).min(ranges.len())];
            for ((k, r), result) in batch.iter().enumerate().zip(done) {
                if r.end <= resume {
                    continue;
                }
                let mut piece = if r.start == resume { result } else { work(resume..r.end) };
                let mut next = index + k + 1;
                loop {
                    let (end, clean) = (piece.end(), piece.clean());
                    resume = end;
                    if !emit(piece) {
                        return false;
                    }
                    if clean {
                        break;
                    }
                    // The piece ended inside a quoted field: decode on across the boundary.
                    let until = ranges.get(next).map_or(text_len, |r| r.end);
                    next += 1;
                    piece = work(resume..until);
                }
            }
        }
        true
    })
}

/// Decodes the body of `text` (everything after `header`) in chunks of about
/// `chunk_bytes`, applies `then` to every decoded piece (in parallel, like the
/// decoding) and emits the results in file order: the shared loop of `import`,
/// `inspect`, the tests and the fuzz target.
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
    let body = header.len;
    let ranges: Vec<Range<usize>> =
        timed(Stage::Split, || crate::split::split(&text[body..], chunk_bytes.max(1)))
            .into_iter()
            .map(|r| r.start + body..r.end + body)
            .collect();
    let work = |range: Range<usize>| {
        let at_end = range.end == text.len();
        let piece =
            timed(Stage::Decode, || crate::decode::decode(text, range, &header.names, delimiter, at_end));
        then(piece)
    };
    for_each_piece(text.len(), &ranges, window, pool, work, emit)
}

impl PieceEnd for crate::decode::DecodedPiece {
    fn end(&self) -> usize {
        self.offset + self.consumed
    }
    fn clean(&self) -> bool {
        self.clean
    }
}

impl PieceEnd for crate::transform::Transformed {
    fn end(&self) -> usize {
        self.piece.end()
    }
    fn clean(&self) -> bool {
        self.piece.clean
    }
}
