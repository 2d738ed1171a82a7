//! One problem type for every stage: a row or value issue, with its position.
//!
//! The transform and plan stages find issues in a piece before its place in the
//! file is known (pieces are transformed in parallel); their positions are
//! relative to the piece until the planner, which sees pieces in file order,
//! anchors them ([`Issue::anchor`]). What the reports write is then absolute:
//! the input file, its line, the byte offset of the row and the column.
//!
//! Decode finds the records that cannot be decoded at all (a wrong number of
//! fields, a quote that never closes, invalid UTF-8, ...): each gets one issue, a
//! row error with `row: None` ([`Issue::undecoded`]), positioned relative to its
//! piece like the others, and anchored where the pieces are seen in file order (the
//! reporter, `inspect`). The errors of a header are issues of the same shape.
//!
//! SPEC 4's rule that a row error hides the row's value errors, and that a
//! skipped row reports none, lives in one place: [`settle`]. A record that could
//! not be decoded has no values, so nothing of it is hidden.

use serde::Serialize;

use crate::codes::ErrorCode;

/// Where an issue is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// The input (0-based, in the import's order).
    pub file: u32,
    /// The line (1-based) the row starts on, or the problem is on.
    pub line: u64,
    /// Byte offset of the row in the input's text.
    pub byte: u64,
    /// The column (0-based) it concerns, where one does.
    pub column: Option<u32>,
}

/// A problem with a row or one of its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The row in its piece's batch (`None`: a record that could not be decoded).
    #[serde(skip)]
    pub row: Option<u32>,
    /// The object of the import it concerns (index into the mapping's objects);
    /// 0 for a record that could not be decoded, which fails every object.
    #[serde(skip)]
    pub object: u16,
    /// Where it is.
    #[serde(flatten)]
    pub position: Position,
    /// The error code.
    pub code: ErrorCode,
    /// The raw value (shortened).
    pub value: String,
    /// A readable message.
    pub message: String,
    /// A row error (nothing of the row's record is imported) or a value error
    /// (the record is imported without that value).
    pub row_error: bool,
}

impl Issue {
    /// An issue of batch row `row` of a piece, at the piece-relative `line` and `byte`.
    pub fn at_row(row: u32, object: u16, line: u64, byte: u64, column: Option<u32>) -> IssueBuilder {
        IssueBuilder { row: Some(row), object, position: Position { file: 0, line, byte, column } }
    }

    /// An issue of a record that could not be decoded into a batch row (`row:
    /// None`): the piece-relative `line` the problem is on, the `byte` the record
    /// starts at, and the column, where one is known.
    pub fn undecoded(line: u64, byte: u64, column: Option<u32>) -> IssueBuilder {
        IssueBuilder { row: None, object: 0, position: Position { file: 0, line, byte, column } }
    }

    /// Makes a piece-relative position absolute: `file`, the line of the piece's
    /// first byte (1-based) and the piece's byte offset.
    pub fn anchor(&mut self, file: u32, first_line: u64, offset: u64) {
        self.position.file = file;
        self.position.line += first_line;
        self.position.byte += offset;
    }
}

/// The position part of an issue, waiting for its code and message.
#[derive(Debug, Clone, Copy)]
pub struct IssueBuilder {
    row: Option<u32>,
    object: u16,
    position: Position,
}

impl IssueBuilder {
    /// A row error.
    pub fn row_error(self, code: ErrorCode, value: String, message: String) -> Issue {
        self.build(code, value, message, true)
    }

    /// A value error.
    pub fn value_error(self, code: ErrorCode, value: String, message: String) -> Issue {
        self.build(code, value, message, false)
    }

    fn build(self, code: ErrorCode, value: String, message: String, row_error: bool) -> Issue {
        Issue { row: self.row, object: self.object, position: self.position, code, value, message, row_error }
    }
}

/// The issues a piece reports (SPEC 4): every row error; a value error only if its
/// row's record is imported (`imported(row, object)`); a row error hides the
/// value errors of its row and object. In row, object, then column order.
pub fn settle(mut found: Vec<Issue>, imported: impl Fn(u32, u16) -> bool) -> Vec<Issue> {
    found.retain(|i| i.row_error || i.row.is_none_or(|r| imported(r, i.object)));
    found.sort_by_key(|i| (i.row, i.object, i.position.column.unwrap_or(u32::MAX)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(row: u32, object: u16, column: u32, row_error: bool) -> Issue {
        let b = Issue::at_row(row, object, u64::from(row), 0, Some(column));
        if row_error {
            b.row_error(ErrorCode::InvalidEmail, String::new(), String::new())
        } else {
            b.value_error(ErrorCode::CouldNotParseNumber, String::new(), String::new())
        }
    }

    #[test]
    fn row_errors_hide_value_errors_and_skipped_rows_report_none() {
        // Row 0 imported with a value error; row 1 failed (its value error hidden);
        // row 2 skipped; row 3's second object failed, its first imported.
        let found = vec![
            issue(1, 0, 5, false),
            issue(0, 0, 2, false),
            issue(1, 0, 1, true),
            issue(2, 0, 1, false),
            issue(3, 1, 1, false),
            issue(3, 0, 4, false),
            issue(3, 1, 0, true),
        ];
        let imported = |row: u32, object: u16| matches!((row, object), (0 | 3, 0));
        let kept: Vec<(Option<u32>, u16, Option<u32>, bool)> = settle(found, imported)
            .iter()
            .map(|i| (i.row, i.object, i.position.column, i.row_error))
            .collect();
        assert_eq!(
            kept,
            vec![
                (Some(0), 0, Some(2), false),
                (Some(1), 0, Some(1), true),
                (Some(3), 0, Some(4), false),
                (Some(3), 1, Some(0), true)
            ]
        );
    }

    #[test]
    fn anchoring_makes_positions_absolute() {
        let mut i = issue(0, 0, 3, true);
        i.position.line = 2;
        i.position.byte = 40;
        i.anchor(1, 100, 5000);
        assert_eq!(i.position, Position { file: 1, line: 102, byte: 5040, column: Some(3) });
    }
}
