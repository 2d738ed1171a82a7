//! Remembered premerges: which stored records a row's values were already
//! merged into without changing them, so that the same values for the same
//! record (a company repeated on every row of its contacts) are not read and
//! merged again in a later piece.
//!
//! A premerge's outcome depends only on the stored record in the import's
//! snapshot, the row's values, the object's merge policy and the import, all
//! fixed for the whole import: an outcome remembered in one piece holds in every
//! other. The memo changes how fast an outcome is found, never the outcome.
//!
//! Its cost is a 128-bit fingerprint per matched row and an entry per record.
//! Most files name each record once (a contacts file), and then every entry is
//! wasted memory: an object whose first [`TRIAL`] remembered records were
//! matched again fewer than once per [`WORTH`] records stops remembering, and
//! its entries are freed.

use std::sync::Mutex;

use ahash::AHashMap;

/// Records remembered before the memo judges whether it pays.
const TRIAL: u64 = 1 << 16;

/// The memo of an object goes on while at least one of every `WORTH` records it
/// remembered was found again.
const WORTH: u64 = 8;

/// The premerges remembered per object of a mapping (shared by the transform
/// threads; one lock per object, taken twice per piece).
#[derive(Debug, Default)]
pub struct PremergeMemo {
    objects: Vec<Mutex<Memo>>,
}

#[derive(Debug, Default)]
struct Memo {
    /// Record ID → fingerprint of the values that left it unchanged.
    unchanged: AHashMap<u64, u128>,
    remembered: u64,
    found: u64,
    off: bool,
}

impl Memo {
    fn judge(&mut self) {
        if self.remembered >= TRIAL && self.found * WORTH < self.remembered {
            self.off = true;
            self.unchanged = AHashMap::new();
        }
    }
}

impl PremergeMemo {
    /// An empty memo for `objects` objects.
    pub fn new(objects: usize) -> Self {
        Self { objects: (0..objects).map(|_| Mutex::default()).collect() }
    }

    /// Whether object `object` still remembers (fingerprints are worth computing).
    pub fn on(&self, object: usize) -> bool {
        self.objects.get(object).is_some_and(|m| !m.lock().expect("no panic holds it").off)
    }

    /// For each `(record, fingerprint)`, whether those values were merged into
    /// the record before without changing it.
    pub fn unchanged(&self, object: usize, rows: &[(u64, u128)]) -> Vec<bool> {
        let Some(memo) = self.objects.get(object) else {
            return vec![false; rows.len()];
        };
        let mut memo = memo.lock().expect("no panic holds it");
        let found: Vec<bool> = rows.iter().map(|(id, fp)| memo.unchanged.get(id) == Some(fp)).collect();
        memo.found += found.iter().filter(|&&f| f).count() as u64;
        found
    }

    /// Remembers that each `(record, fingerprint)` left its record unchanged.
    pub fn remember(&self, object: usize, rows: impl Iterator<Item = (u64, u128)>) {
        let Some(memo) = self.objects.get(object) else {
            return;
        };
        let mut memo = memo.lock().expect("no panic holds it");
        if memo.off {
            return;
        }
        for (id, fp) in rows {
            if memo.unchanged.insert(id, fp).is_none() {
                memo.remembered += 1;
            }
        }
        memo.judge();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_values_are_found_and_other_values_are_not() {
        let memo = PremergeMemo::new(1);
        memo.remember(0, [(7, 1), (9, 2)].into_iter());
        assert_eq!(memo.unchanged(0, &[(7, 1), (7, 3), (9, 2), (8, 1)]), [true, false, true, false]);
        // An object out of range remembers nothing.
        memo.remember(3, [(7, 1)].into_iter());
        assert_eq!(memo.unchanged(3, &[(7, 1)]), [false]);
        assert!(!memo.on(3));
    }

    #[test]
    fn an_object_whose_records_do_not_repeat_stops_remembering() {
        let memo = PremergeMemo::new(2);
        memo.remember(0, (0..=TRIAL).map(|id| (id, 0)));
        assert!(!memo.on(0));
        assert_eq!(memo.unchanged(0, &[(1, 0)]), [false]);
        // Records found again often enough keep it on.
        memo.remember(1, (0..TRIAL / 2).map(|id| (id, 0)));
        let again: Vec<(u64, u128)> = (0..TRIAL / 2).map(|id| (id, 0)).collect();
        assert!(memo.unchanged(1, &again).iter().all(|&f| f));
        memo.remember(1, ((TRIAL / 2)..=TRIAL).map(|id| (id, 0)));
        assert!(memo.on(1));
    }
}
