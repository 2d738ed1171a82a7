//! Turning chunks into pieces: parallel work over a window of chunks, then a
//! sequential pass that stitches chunk boundaries the decoder did not accept.
//!
//! Chunks from [`crate::split`] are decoded in parallel, a window at a time. The
//! sequential pass hands each result on in file order; when a piece did not end
//! cleanly (a quoted field crosses the boundary, see [`crate::decode`]), decoding
//! continues sequentially from the piece's last complete record up to the end of
//! the next chunk, and chunk results already covered are dropped. The pieces thus
//! always equal what one sequential decode of the whole input gives.

use std::ops::Range;

use rayon::prelude::*;

/// Where a piece ended: the offset after its last complete record, and whether it
/// ended at its range's end.
pub trait PieceEnd {
    /// Offset (in the text) after the last complete record.
    fn end(&self) -> usize;
    /// False if a record continues past the piece.
    fn clean(&self) -> bool;
}

/// Runs `work` over `ranges` (parallel, in windows of `window` chunks, in `pool`
/// if given) and calls `emit` on every piece in file order. `emit` returns false
/// to stop; then so does this function.
pub fn for_each_piece<T: Send + PieceEnd>(
    text_len: usize,
    ranges: &[Range<usize>],
    window: usize,
    pool: Option<&rayon::ThreadPool>,
    work: impl Fn(Range<usize>) -> T + Sync,
    mut emit: impl FnMut(T) -> bool,
) -> bool {
    let Some(first) = ranges.first() else {
        return true;
    };
    let mut resume = first.start;
    let mut index = 0;
    while index < ranges.len() {
        let batch = &ranges[index..(index + window.max(1)).min(ranges.len())];
        let skip_before = resume;
        let run = || -> Vec<Option<T>> {
            batch.par_iter().map(|r| (r.start >= skip_before).then(|| work(r.clone()))).collect()
        };
        let mut done = match pool {
            Some(p) => p.install(run),
            None => run(),
        };
        for (k, r) in batch.iter().enumerate() {
            if r.end <= resume {
                continue;
            }
            let mut piece = match done[k].take() {
                Some(t) if r.start == resume => t,
                _ => work(resume..r.end),
            };
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
                let until = ranges.get(next).map_or(text_len, |r| r.end);
                next += 1;
                piece = work(resume..until);
            }
        }
        index += batch.len();
    }
    true
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
