//! Re-runs that skip what they would not change: the replay memo's engine side.
//!
//! Running the same nightly file twice should cost little the second time (SPEC 7).
//! An import of one object whose outcome depends only on its rows and the store
//! leaves a memo ([`store::ReplayMemo`]): a digest of its spec ([`spec_digest`])
//! and every piece of its input that a re-run would leave as it is. A piece
//! qualifies ([`Recorder`]) when each of its rows imported a record it matched or
//! created by an identifier, without an issue, a held-back value or a rewrite,
//! and no other row of the import touched that record: the record then holds the
//! row's values, and applying the row again changes nothing.
//!
//! The next import with the same spec digest looks each piece up by the digest
//! of its bytes ([`Replay::find`]) before decoding it. A piece found is not decoded,
//! normalized, looked up or merged: its rows count as unchanged. That is exact
//! while the records hold what the memo saw, which the store guarantees by
//! deleting an object's memo at every commit that writes the object's records,
//! indexes or definition. Within the re-run, an earlier row of the file that
//! changed one of the piece's records would make the piece's rows change it
//! back; the plan stage knows which records the import changed, and such a piece
//! is decoded and planned like any other ([`crate::plan::Planner::touched_any`]).
//! A later row changing the record is applied after the piece's rows, which
//! changed nothing, exactly as in file order.
//!
//! Most inputs have a few rows that change or fail in every run (a typo, two rows
//! of one record), so whole pieces seldom qualify. Single rows are kept too: the
//! digest of each qualifying row's bytes and its record. The decoder looks every
//! record up as it finds it ([`crate::input::decode::decode_known`]) and leaves a
//! known one out of the piece's columns; the rows left are imported as usual. A
//! row of the piece that may match a known row's record (by record ID or by its
//! identifier in the snapshot) makes the piece read again, all of it.
//!
//! What does not qualify, and is always imported row by row: several objects or
//! files, association and label columns, `--associate-by-domain`, create-only
//! mode, `--create-with-ids`, `--read-all`, converted inputs (spreadsheets,
//! Parquet), owner columns (their values depend on the owners table) and date or
//! number columns whose convention is inferred from the file (the inference reads
//! every row).

use std::collections::HashMap;

use store::{ReplayMemo, ReplayPiece, UpdateOutcome};
use xxhash_rust::xxh3::{Xxh3, xxh3_128_with_seed};

use crate::plan::{Action, Mode, Planned};
use crate::spec::ImportSpec;

/// Bumped when what a memo promises changes meaning (normalization, matching or
/// counting rules), so that a newer engine never trusts an older one's memo.
const ENGINE_RULES: u32 = 1;

/// Whether an import's options allow a memo (see the module for the rest).
pub fn options_allow(opts: &ImportSpec, files: usize, objects: usize) -> bool {
    files == 1
        && objects == 1
        && opts.mode != Mode::Create
        && opts.common_column.is_none()
        && !opts.associate_by_domain
        && !opts.create_with_ids
}

/// The digest of everything that shapes an import's rows apart from the store:
/// the engine's version, the options (less the files, the name, the thread
/// count, the chunk size, the list's name and the output paths, which change no
/// row), the
/// header line, the dialect, the mapping as applied and the object's
/// definition.
pub fn spec_digest(
    opts: &ImportSpec,
    header_line: &[u8],
    dialect: &str,
    mapping: &[String],
    object: &store::schema::ObjectDef,
) -> u128 {
    let mut spec = opts.clone();
    spec.files.clear();
    spec.name = None;
    spec.threads = None;
    spec.chunk_bytes = None;
    spec.report_dir = None;
    spec.results = None;
    spec.read_all = false;
    spec.create_list = None;
    let mut h = Xxh3::new();
    let mut part = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(&ENGINE_RULES.to_le_bytes());
    part(serde_json::to_string(&spec).expect("a spec serializes").as_bytes());
    part(header_line);
    part(dialect.as_bytes());
    for target in mapping {
        part(target.as_bytes());
    }
    part(serde_json::to_string(object).expect("a definition serializes").as_bytes());
    h.digest128()
}

/// The digest of a piece's bytes; `at_end` when the piece ends the input (its
/// last record may then lack a line end).
pub fn piece_digest(bytes: &[u8], at_end: bool) -> u128 {
    xxh3_128_with_seed(bytes, u64::from(at_end))
}

/// The digest of a row's bytes (its record's bytes, line end included).
pub fn row_digest(bytes: &[u8]) -> u128 {
    xxh3_128_with_seed(bytes, 2)
}

/// The memo an import found for its spec.
#[derive(Debug)]
pub struct Replay {
    pieces: Vec<ReplayPiece>,
    by_digest: HashMap<u128, usize, ahash::RandomState>,
    /// The memo's rows, in the order of the input they were found in.
    rows: Vec<(u128, u64)>,
    /// Where each row is in `rows`, by the low half of its digest (the whole
    /// digest is compared there; of two rows sharing a half, one is left out).
    row_at: HashMap<u64, u32, ahash::RandomState>,
    whole_pieces_off: bool,
}

impl Replay {
    /// The pieces and rows of `memo` if it was left by an import with spec digest
    /// `spec`.
    pub fn new(memo: Option<ReplayMemo>, spec: u128, rows_only: bool) -> Option<Self> {
        let memo = memo.filter(|m| m.spec == spec && !(m.pieces.is_empty() && m.rows.is_empty()))?;
        let by_digest = memo.pieces.iter().enumerate().map(|(i, p)| (p.digest, i)).collect();
        let mut row_at = HashMap::with_capacity_and_hasher(memo.rows.len(), ahash::RandomState::new());
        row_at.extend(memo.rows.iter().enumerate().map(|(i, &(d, _))| (d as u64, i as u32)));
        Some(Self { pieces: memo.pieces, by_digest, rows: memo.rows, row_at, whole_pieces_off: rows_only })
    }

    /// Number of single rows the memo knows.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Whether the memo knows single rows.
    pub fn knows_rows(&self) -> bool {
        !self.rows.is_empty()
    }

    /// A finder of the memo's rows in one piece of the input (see [`RowFinder`]).
    pub fn finder(&self) -> RowFinder<'_> {
        RowFinder { replay: self, next: usize::MAX }
    }

    /// The memo's piece with the bytes `bytes`, if there is one. Not with a
    /// result file, which has a line per row: its rows are then found one by one.
    pub fn find(&self, bytes: &[u8], at_end: bool) -> Option<usize> {
        // Without whole pieces in the memo, the chunk's bytes are not hashed.
        if self.whole_pieces_off || self.by_digest.is_empty() {
            return None;
        }
        let i = *self.by_digest.get(&piece_digest(bytes, at_end))?;
        (self.pieces[i].rows > 0).then_some(i)
    }

    /// Piece `i` (from [`Replay::find`]).
    pub fn piece(&self, i: usize) -> &ReplayPiece {
        &self.pieces[i]
    }
}

/// Finds the memo's rows among the records of one piece, in input order. Rows
/// mostly come in the order of the memo (the last import read the same file):
/// the finder compares each with the memo's next row, and looks a row up by its
/// digest only where that is not it, reading the memo as it lies in memory
/// rather than probing a large table at random.
#[derive(Debug)]
pub struct RowFinder<'r> {
    replay: &'r Replay,
    /// The memo row expected next (`usize::MAX`: none).
    next: usize,
}

impl RowFinder<'_> {
    /// The record of the row with the bytes `bytes` and its place in the memo,
    /// if the memo knows the row.
    pub fn find(&mut self, bytes: &[u8]) -> Option<(u64, u32)> {
        let rows = &self.replay.rows;
        if rows.is_empty() {
            return None;
        }
        let digest = row_digest(bytes);
        let at = match rows.get(self.next) {
            Some(&(d, _)) if d == digest => self.next,
            _ => *self.replay.row_at.get(&(digest as u64))? as usize,
        };
        if rows[at].0 != digest {
            return None;
        }
        self.next = at + 1;
        Some((rows[at].1, at as u32))
    }
}

/// A set of record IDs as a bitmap (IDs are dense, handed out in order).
#[derive(Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    /// Sets `id`; returns whether it was set before.
    fn set(&mut self, id: u64) -> bool {
        let (word, bit) = ((id / 64) as usize, id % 64);
        if word >= self.0.len() {
            self.0.resize((word + 1).next_power_of_two(), 0);
        }
        let was = self.0[word] >> bit & 1 == 1;
        self.0[word] |= 1 << bit;
        was
    }

    fn get(&self, id: u64) -> bool {
        self.0.get((id / 64) as usize).is_some_and(|w| w >> (id % 64) & 1 == 1)
    }
}

/// Record IDs above this make the import leave no memo (the bitmaps stay small).
const MAX_ID: u64 = 1 << 36;

/// Builds the memo of an import as its pieces are written, in file order.
#[derive(Debug, Default)]
pub struct Recorder<'r> {
    /// The memo the import used.
    replay: Option<&'r Replay>,
    /// Every piece that may qualify, with its records.
    candidates: Vec<ReplayPiece>,
    /// Without a memo used: every row that may qualify, `(digest, record)`.
    rows: Vec<(u128, u64)>,
    /// With a memo used: how many of its rows came in its order (the usual
    /// re-run: then nothing is copied).
    same: Option<usize>,
    /// With a memo used: rows that may qualify and are not the memo's next,
    /// each with the number of memo rows before it. Most are rows of records that a
    /// later row imports again (a file that gives one email twice), which do not
    /// qualify in the end: the memo stays the same without them.
    extra: Vec<(usize, (u128, u64))>,
    /// Records imported by some row; by more than one row.
    once: Bits,
    twice: Bits,
    /// Records of the pieces skipped by the memo (their memo rows stay).
    carried: Bits,
    /// A record ID too large for the bitmaps was seen.
    gave_up: bool,
}

/// What an import leaves for its re-runs.
#[derive(Debug)]
pub enum Finished {
    /// The memo it used, as it is.
    Same,
    /// Another memo, or none.
    New(Option<ReplayMemo>),
}

impl<'r> Recorder<'r> {
    /// A recorder for an import that used `replay`.
    pub fn new(replay: Option<&'r Replay>) -> Self {
        Self { replay, same: replay.map(|_| 0), ..Self::default() }
    }

    fn import(&mut self, id: u64) {
        if id > MAX_ID {
            self.gave_up = true;
        } else if self.once.set(id) {
            self.twice.set(id);
        }
    }

    fn row(&mut self, row: (u128, u64)) {
        if let (Some(n), Some(replay)) = (self.same, self.replay) {
            if replay.rows.get(n) == Some(&row) {
                self.same = Some(n + 1);
            } else {
                self.extra.push((n, row));
            }
            return;
        }
        self.rows.push(row);
    }

    /// Notes a planned piece of `text` after its writes (`outcomes` as the commit
    /// stage left them for it).
    pub fn planned(&mut self, piece: &Planned, outcomes: &[Vec<UpdateOutcome>], text: &[u8]) {
        let decoded = &piece.rows.piece;
        let rows = &piece.rows.objects[0];
        let mut with_issue = vec![false; decoded.rows.len()];
        for i in &piece.issues {
            if let Some(r) = i.row {
                with_issue[r as usize] = true;
            }
        }
        let mut qualifies = decoded.clean
            && piece.issues.is_empty()
            && decoded.bad.is_empty()
            && piece.links.extra.is_empty()
            && piece.links.labels.is_empty()
            && !(decoded.rows.is_empty() && decoded.replayed.is_empty());
        let mut outcomes = outcomes[0].iter();
        let mut ids = Vec::with_capacity(decoded.rows.len() + decoded.replayed.len());
        let mut with_record_id = 0;
        // The piece's memo rows, by position: `(start, digest, record)`.
        let mut known = Vec::with_capacity(decoded.rows.len() + decoded.replayed.len());
        for (r, &action) in piece.actions[0].iter().enumerate() {
            let held_back = match action {
                Action::Update(_) => outcomes.next().is_some_and(|o| o.held_back()),
                _ => rows.held_back[r],
            };
            let by_identifier = match action {
                Action::Create(_) => !rows.row_key(r).is_empty(),
                _ => true,
            };
            if let Some(id) = action.record() {
                self.import(id);
                ids.push(id);
            }
            with_record_id += u32::from(rows.known[r].record_id != 0);
            let row_qualifies = action.record().is_some()
                && by_identifier
                && rows.present[r]
                && !held_back
                && piece.rewrites[0].get(r).is_none();
            qualifies &= row_qualifies;
            // A row that gave a record ID is counted as one; a memo row is not read.
            if let Some(id) = action.record()
                && row_qualifies
                && !with_issue[r]
                && rows.known[r].record_id == 0
            {
                let span = decoded.rows[r];
                let at = decoded.offset;
                known.push((
                    span.start,
                    row_digest(&text[at + span.start as usize..at + span.end as usize]),
                    id,
                ));
            }
        }
        // The rows the memo knew qualify again.
        let memo_rows = self.replay.map_or(&[][..], |r| &r.rows[..]);
        for &(span, id, at) in &decoded.replayed {
            self.import(id);
            ids.push(id);
            known.push((span.start, memo_rows[at as usize].0, id));
        }
        known.sort_unstable_by_key(|k| k.0);
        for (_, d, id) in known {
            self.row((d, id));
        }
        if qualifies {
            let end = decoded.offset + decoded.consumed;
            let mut p = ReplayPiece {
                digest: piece_digest(&text[decoded.offset..end], end == text.len()),
                rows: (decoded.rows.len() + decoded.replayed.len()) as u32,
                lines: decoded.lines,
                with_record_id,
                runs: Vec::new(),
            };
            p.set_records(ids);
            self.candidates.push(p);
        }
    }

    /// Notes a piece the import skipped by its memo: it qualifies again.
    pub fn replayed(&mut self, piece: &ReplayPiece) {
        for id in piece.records() {
            self.import(id);
            if id <= MAX_ID {
                self.carried.set(id);
            }
        }
        self.candidates.push(piece.clone());
    }

    /// The memo: the candidates whose records no other row imported, with the
    /// rows of the memo the import used in the pieces it skipped whole.
    pub fn finish(self, spec: u128) -> Finished {
        if self.gave_up {
            return Finished::New(None);
        }
        let twice = &self.twice;
        let mut pieces: Vec<ReplayPiece> =
            self.candidates.into_iter().filter(|p| p.records().all(|id| !twice.get(id))).collect();
        // A piece that occurs twice in the input is one entry.
        pieces.sort_by_key(|p| p.digest);
        pieces.dedup_by_key(|p| p.digest);
        let used: &[(u128, u64)] = self.replay.map_or(&[], |r| &r.rows);
        let mut rows = match self.same {
            Some(n) => {
                let mut extra = self.extra;
                extra.retain(|&(_, (_, id))| !twice.get(id));
                let unchanged = n == used.len()
                    && extra.is_empty()
                    && self.replay.is_some_and(|r| r.pieces == pieces)
                    && used.iter().all(|&(_, id)| !twice.get(id) && !self.carried.get(id));
                if unchanged {
                    return Finished::Same;
                }
                // The memo's first `n` rows with the others where they came.
                let mut rows = Vec::with_capacity(n + extra.len());
                let mut from = 0;
                for (at, row) in extra {
                    rows.extend_from_slice(&used[from..at]);
                    from = at;
                    rows.push(row);
                }
                rows.extend_from_slice(&used[from..n]);
                rows
            }
            None => self.rows,
        };
        // In input order (see `RowFinder`); the rows of the pieces skipped whole
        // come after the others.
        rows.extend(used.iter().filter(|&&(_, id)| self.carried.get(id)));
        rows.retain(|&(_, id)| !twice.get(id));
        Finished::New((!pieces.is_empty() || !rows.is_empty()).then_some(ReplayMemo { spec, pieces, rows }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_grow_and_tell_what_was_set() {
        let mut b = Bits::default();
        assert!(!b.set(0) && !b.set(64) && !b.set(1_000_003));
        assert!(b.set(64) && b.get(1_000_003) && !b.get(1_000_002) && !b.get(5_000_000));
    }

    #[test]
    fn a_digest_tells_the_end_of_the_input_apart() {
        assert_ne!(piece_digest(b"a,b\n", true), piece_digest(b"a,b\n", false));
        assert_eq!(piece_digest(b"a,b\n", true), piece_digest(b"a,b\n", true));
    }

    #[test]
    fn a_memo_is_only_taken_for_its_own_spec() {
        let piece = ReplayPiece { digest: piece_digest(b"x\n", false), rows: 1, ..ReplayPiece::default() };
        let memo = ReplayMemo { spec: 5, pieces: vec![piece], rows: Vec::new() };
        assert!(Replay::new(Some(memo.clone()), 6, false).is_none());
        let replay = Replay::new(Some(memo), 5, false).unwrap();
        assert_eq!(replay.find(b"x\n", false), Some(0));
        assert_eq!(replay.find(b"x\n", true), None);
    }

    #[test]
    fn a_record_imported_twice_disqualifies_both_pieces() {
        let piece = |digest, ids: &[u64]| {
            let mut p = ReplayPiece { digest, rows: ids.len() as u32, ..ReplayPiece::default() };
            p.set_records(ids.to_vec());
            p
        };
        let mut r = Recorder::default();
        for p in [piece(1, &[1, 2]), piece(2, &[3]), piece(3, &[2, 9])] {
            r.replayed(&p);
        }
        let Finished::New(Some(memo)) = r.finish(0) else { panic!("a memo") };
        assert_eq!(memo.pieces.iter().map(|p| p.digest).collect::<Vec<_>>(), vec![2]);
        let mut r = Recorder::default();
        r.replayed(&piece(1, &[MAX_ID + 1]));
        assert!(matches!(r.finish(0), Finished::New(None)));
    }

    /// Rows of a record that a later row imports again (one email twice in the
    /// file) do not qualify: the memo stays the same without them, and a row
    /// the memo did not have goes where it came.
    #[test]
    fn rows_of_a_record_imported_twice_leave_the_memo_as_it_was() {
        let memo = ReplayMemo { spec: 5, pieces: Vec::new(), rows: vec![(10, 1), (30, 3)] };
        let replay = Replay::new(Some(memo), 5, false).unwrap();
        let run = |rows: &[(u128, u64)]| {
            let mut r = Recorder::new(Some(&replay));
            for &(d, id) in rows {
                r.import(id);
                r.row((d, id));
            }
            r.finish(5)
        };
        assert!(matches!(run(&[(10, 1), (20, 2), (30, 3), (21, 2)]), Finished::Same));
        assert!(matches!(run(&[(10, 1), (30, 3)]), Finished::Same));
        let Finished::New(Some(memo)) = run(&[(10, 1), (20, 2), (30, 3)]) else { panic!("a new memo") };
        assert_eq!(memo.rows, vec![(10, 1), (20, 2), (30, 3)]);
        let Finished::New(Some(memo)) = run(&[(5, 5), (10, 1), (30, 3), (40, 4)]) else {
            panic!("a new memo")
        };
        assert_eq!(memo.rows, vec![(5, 5), (10, 1), (30, 3), (40, 4)]);
        let Finished::New(Some(memo)) = run(&[(30, 3), (10, 1)]) else { panic!("a new memo") };
        assert_eq!(memo.rows, vec![(30, 3), (10, 1)]);
    }
}
