//! Replay memos: what a re-run of an object's last import can skip.
//!
//! An import of one object may leave a memo ([`ReplayMemo`]) in the `replay`
//! table: a digest of everything that shaped its rows' outcome apart from the
//! store (the engine computes it: mapping, options, schema, header), and the
//! pieces of its input whose every row left its record holding exactly the
//! row's values, each record touched by that row alone. A later import with the
//! same digest finds such a piece by the digest of its bytes and knows, without
//! decoding it, that its rows change nothing, as long as nothing has changed
//! the object since.
//!
//! That last condition is kept here, not by the engine: every write session
//! notes the objects whose records, identifier indexes or definition it opens
//! for writing ([`WriteSession::touch`]), and its commit deletes their memos, so
//! a memo that exists is one that no write has made stale. The import that
//! saves a memo ([`WriteSession::save_replay`]) writes it after its own changes,
//! in the same transaction.
//!
//! Stored form: `u64 checksum (LE) | u32 version | u128 spec | u32 pieces`,
//! then per piece `u128 digest | u32 rows | u32 lines | u32 rows with a record
//! ID | u32 runs | runs`, a run being `u64 first record | u32 length` (the
//! piece's records, ascending), then `u64 rows` and per row `u128 digest | u64
//! record`. The checksum is xxh3-64 of the rest, seeded with xxh3-64 of the
//! object name.

use redb::ReadableTable;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::error::StoreError;
use crate::guard::guard;
use crate::session::{ReadSession, WriteSession};
use crate::tables::REPLAY;

/// The encoding's version.
const VERSION: u32 = 1;

/// A piece of an import's input that a re-run leaves as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayPiece {
    /// Digest of the piece's bytes (the engine's).
    pub digest: u128,
    /// Rows in the piece.
    pub rows: u32,
    /// Lines the piece spans.
    pub lines: u32,
    /// Rows that gave a record ID.
    pub with_record_id: u32,
    /// The records the rows imported, as ascending runs `(first, length)`.
    pub runs: Vec<(u64, u32)>,
}

impl ReplayPiece {
    /// The piece's records, ascending.
    pub fn records(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs.iter().flat_map(|&(first, len)| first..first + u64::from(len))
    }

    /// Sets the records from `ids` (any order, no repeats).
    pub fn set_records(&mut self, mut ids: Vec<u64>) {
        ids.sort_unstable();
        self.runs.clear();
        for id in ids {
            match self.runs.last_mut() {
                Some((first, len)) if *first + u64::from(*len) == id && *len < u32::MAX => *len += 1,
                _ => self.runs.push((id, 1)),
            }
        }
    }
}

/// The memo an import of one object leaves for its re-runs (see the module).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayMemo {
    /// Digest of the import's spec as the engine computes it.
    pub spec: u128,
    /// The pieces a re-run leaves as they are.
    pub pieces: Vec<ReplayPiece>,
    /// The rows a re-run leaves as they are, wherever they are in the input:
    /// `(digest of the row's bytes, its record)`, in the order of the input.
    pub rows: Vec<(u128, u64)>,
}

fn seed(object: &str) -> u64 {
    xxh3_64(object.as_bytes())
}

fn encode(object: &str, memo: &ReplayMemo) -> Vec<u8> {
    let mut out = vec![0; 8];
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&memo.spec.to_le_bytes());
    out.extend_from_slice(&(memo.pieces.len() as u32).to_le_bytes());
    for p in &memo.pieces {
        out.extend_from_slice(&p.digest.to_le_bytes());
        for n in [p.rows, p.lines, p.with_record_id, p.runs.len() as u32] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for &(first, len) in &p.runs {
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
        }
    }
    out.extend_from_slice(&(memo.rows.len() as u64).to_le_bytes());
    for &(digest, record) in &memo.rows {
        out.extend_from_slice(&digest.to_le_bytes());
        out.extend_from_slice(&record.to_le_bytes());
    }
    let sum = xxh3_64_with_seed(&out[8..], seed(object));
    out[..8].copy_from_slice(&sum.to_le_bytes());
    out
}

/// Reads fixed-size little-endian fields off the front of a byte slice.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        if self.0.len() < N {
            return Err(format!("cut short: {} bytes left where {N} were expected", self.0.len()));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("N bytes"))
    }
    fn u32(&mut self) -> Result<u32, String> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, String> {
        self.take().map(u64::from_le_bytes)
    }
    fn u128(&mut self) -> Result<u128, String> {
        self.take().map(u128::from_le_bytes)
    }
}

fn decode(object: &str, stored: &[u8]) -> Result<ReplayMemo, String> {
    if stored.len() < 8 {
        return Err(format!("{} bytes, shorter than its checksum", stored.len()));
    }
    let (sum, rest) = stored.split_at(8);
    let stored_sum = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
    let computed = xxh3_64_with_seed(rest, seed(object));
    if stored_sum != computed {
        return Err(format!("checksum mismatch (stored {stored_sum:016x}, computed {computed:016x})"));
    }
    let mut f = Fields(rest);
    let version = f.u32()?;
    if version != VERSION {
        return Err(format!("unknown version {version}"));
    }
    let spec = f.u128()?;
    let count = f.u32()?;
    let mut pieces = Vec::new();
    for _ in 0..count {
        let digest = f.u128()?;
        let (rows, lines, with_record_id, runs) = (f.u32()?, f.u32()?, f.u32()?, f.u32()?);
        let mut piece = ReplayPiece { digest, rows, lines, with_record_id, runs: Vec::new() };
        for _ in 0..runs {
            piece.runs.push((f.u64()?, f.u32()?));
        }
        pieces.push(piece);
    }
    let count = f.u64()?;
    if count > (f.0.len() / 24) as u64 {
        return Err(format!("{count} rows in {} bytes", f.0.len()));
    }
    let mut rows = Vec::with_capacity(count as usize);
    for _ in 0..count {
        rows.push((f.u128()?, f.u64()?));
    }
    if !f.0.is_empty() {
        return Err(format!("{} bytes past the last row", f.0.len()));
    }
    Ok(ReplayMemo { spec, pieces, rows })
}

impl WriteSession<'_> {
    /// Keeps `object`'s memo as it is: the import found it still true, so that
    /// its commit does not delete it.
    pub fn retain_replay(&self, object: &str) {
        self.keep_replay(object);
    }

    /// Saves `object`'s memo (or, with `None`, deletes it): the import's own,
    /// written with its changes, so that its commit keeps it.
    pub fn save_replay(&self, object: &str, memo: Option<&ReplayMemo>) -> Result<(), StoreError> {
        guard(|| {
            let mut table = self.txn().open_table(REPLAY)?;
            match memo {
                Some(m) => {
                    table.insert(object, encode(object, m).as_slice())?;
                }
                None => {
                    table.remove(object)?;
                }
            }
            Ok(())
        })?;
        self.keep_replay(object);
        Ok(())
    }

    /// Deletes the memos of the objects `stale` (every object this session
    /// touched, less those whose memo it saved), before a commit.
    pub(crate) fn drop_replays(&self, stale: &[String]) -> Result<(), StoreError> {
        if stale.is_empty() {
            return Ok(());
        }
        guard(|| {
            // A store that never kept a memo does not get the table.
            let name = redb::TableHandle::name(&REPLAY).to_owned();
            if !self.txn().list_tables()?.any(|t| redb::TableHandle::name(&t) == name) {
                return Ok(());
            }
            let mut table = self.txn().open_table(REPLAY)?;
            for object in stale {
                table.remove(object.as_str())?;
            }
            Ok(())
        })
    }
}

impl ReadSession {
    /// `object`'s memo, if one is kept (see the module).
    pub fn replay(&self, object: &str) -> Result<Option<ReplayMemo>, StoreError> {
        guard(|| {
            let table = match self.txn().open_table(REPLAY) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let Some(stored) = table.get(object)? else {
                return Ok(None);
            };
            decode(object, stored.value())
                .map(Some)
                .map_err(|reason| StoreError::CorruptReplay { object: object.to_owned(), reason })
        })
    }
}

/// Verifies every memo of `table`: the number of memos, and `(object, problem)`
/// for each that cannot be read (for `check`).
pub(crate) fn verify(
    table: &redb::ReadOnlyTable<&'static str, &'static [u8]>,
) -> Result<(u64, Vec<(String, String)>), StoreError> {
    guard(|| {
        let mut count = 0;
        let mut problems = Vec::new();
        for item in table.iter()? {
            let (k, v) = item?;
            count += 1;
            if let Err(reason) = decode(k.value(), v.value()) {
                problems.push((k.value().to_owned(), reason));
            }
        }
        Ok((count, problems))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo() -> ReplayMemo {
        let mut piece =
            ReplayPiece { digest: 7 << 100 | 3, rows: 5, lines: 6, with_record_id: 1, runs: Vec::new() };
        piece.set_records(vec![9, 3, 4, 5, 20, 10]);
        ReplayMemo {
            spec: u128::MAX - 1,
            pieces: vec![piece, ReplayPiece::default()],
            rows: vec![(1, 2), (3, 4)],
        }
    }

    #[test]
    fn records_are_kept_as_runs_and_read_back_in_order() {
        let m = memo();
        assert_eq!(m.pieces[0].runs, vec![(3, 3), (9, 2), (20, 1)]);
        assert_eq!(m.pieces[0].records().collect::<Vec<_>>(), vec![3, 4, 5, 9, 10, 20]);
    }

    #[test]
    fn a_memo_lasts_until_a_write_touches_its_object() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(dir.path().join("crm.redb")).unwrap();
        let saved = |object: &str| store.begin_read().unwrap().replay(object).unwrap();
        let save = |object: &str| {
            let session = store.begin_write().unwrap();
            // The import writes its records, then its memo: the commit keeps it.
            drop(session.records(object).unwrap());
            session.save_replay(object, Some(&memo())).unwrap();
            session.commit(true).unwrap();
        };
        save("contacts");
        save("companies");
        assert_eq!(saved("contacts"), Some(memo()));
        // A session that writes nothing keeps every memo.
        store.begin_write().unwrap().commit(true).unwrap();
        assert_eq!(saved("contacts"), Some(memo()));
        // Records of another object: only that object's memo goes.
        let session = store.begin_write().unwrap();
        drop(session.records("companies").unwrap());
        session.commit(true).unwrap();
        assert_eq!((saved("contacts"), saved("companies")), (Some(memo()), None));
        // An index, a definition, and a rolled-back write.
        for touch in 0..4 {
            save("contacts");
            let session = store.begin_write().unwrap();
            let def = session.schema().unwrap().object("contacts").unwrap().clone();
            match touch {
                0 => drop(session.index("contacts", def.property_id("email").unwrap()).unwrap()),
                1 => session.save_object(&def).unwrap(),
                2 => drop(session.delete_index("contacts", 999).unwrap()),
                _ => {
                    drop(session.records("contacts").unwrap());
                    drop(session);
                    assert_eq!(saved("contacts"), Some(memo()), "a rolled-back session changes nothing");
                    continue;
                }
            }
            session.commit(true).unwrap();
            assert_eq!(saved("contacts"), None, "touch {touch}");
        }
        // Saving `None` deletes; the check counts what is kept.
        save("contacts");
        let session = store.begin_write().unwrap();
        session.save_replay("contacts", None).unwrap();
        session.commit(true).unwrap();
        assert_eq!(saved("contacts"), None);
        save("deals");
        drop(store);
        let report = crate::Store::check(dir.path().join("crm.redb")).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.checked.replay_memos, 1);
    }

    #[test]
    fn a_memo_reads_back_and_every_damage_is_found() {
        let m = memo();
        let bytes = encode("contacts", &m);
        assert_eq!(decode("contacts", &bytes).unwrap(), m);
        // Under another object's name the checksum does not hold.
        assert!(decode("companies", &bytes).unwrap_err().contains("checksum"));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(decode("contacts", &bad).is_err(), "a flipped bit at byte {i} went unnoticed");
        }
        for len in 0..bytes.len() {
            assert!(decode("contacts", &bytes[..len]).is_err(), "cut at {len}");
        }
    }
}
