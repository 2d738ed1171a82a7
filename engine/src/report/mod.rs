//! Reports of an import: the error file, the rejected-rows file, the result file
//! and the counts of the summary (SPEC 4 and 8).
//!
//! The writer thread hands every committed piece here, in file order, so the files
//! come out in input order without sorting.
//!
//! Every file is written under a temporary name ([`AtomicFile`]) and appears only
//! when the import publishes it: the error and rejected-rows files just before the
//! durable commit, the result file just after it. An import that fails leaves none
//! of them behind. The error file is meant to be opened in a spreadsheet, so its
//! values and column names are neutralized against formula injection
//! ([`excel_safe`]); the rejected-rows file stays byte-identical to the input.

pub mod folder;
pub mod output;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use store::{ObjectCounts, UpdateOutcome};

use crate::codes::ErrorCode;
use crate::input::decode::RowSpan;
use crate::issue::Issue;
use crate::plan::{Action, Planned};
use crate::report::output::{AtomicFile, excel_safe};

/// Writes the reports of one import.
pub struct Reporter {
    /// The import's objects, in the mapping's order.
    objects: Vec<String>,
    /// Per object, the row's first row error (reused for every row).
    reasons: Vec<&'static str>,
    header: Vec<String>,
    header_line: Vec<u8>,
    /// The row numbers of a converted input's lines (a spreadsheet's rows).
    lines: Option<crate::input::convert::LineMap>,
    /// `None` once published.
    errors: Option<csv::Writer<AtomicFile>>,
    /// One rejected-rows file per input; empty once published.
    rejected: Vec<AtomicFile>,
    rejected_header_written: bool,
    /// Several inputs: the error and result files get a `file` column.
    multi: bool,
    /// The input whose rows are being reported (index, and its path as shown).
    file: (usize, String),
    results: Option<csv::Writer<AtomicFile>>,
    /// Paths written.
    pub error_file: PathBuf,
    /// Path of the (first input's) rejected-rows file.
    pub rejected_file: PathBuf,
    /// The rejected-rows file of every input, in input order.
    pub rejected_files: Vec<PathBuf>,
    /// Row counts per object (the mapping's order).
    pub counts: Vec<ObjectCounts>,
    /// Data rows read.
    pub rows: u64,
    /// Rows with a row error.
    pub rows_failed: u64,
    /// Error lines written.
    pub errors_written: u64,
    /// Errors written per column name (`(file)` for a row-level one).
    pub errors_by_column: BTreeMap<String, u64>,
    /// Errors written per code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Rows that created a record without any identifier.
    pub created_without_identifier: u64,
    /// Rows the replay memo knew to change nothing: not read ([`crate::replay`]).
    pub replayed: u64,
    /// Rows that carried a record ID.
    pub rows_with_record_id: u64,
    /// Rows that failed because their record ID does not exist.
    pub record_ids_not_found: u64,
    /// The column of the first record ID not found.
    pub record_id_column: Option<String>,
}

impl Reporter {
    /// Starts the report files of an import of `inputs` in the folder `dir` (which
    /// must exist). One input: `errors.csv` and `rejected.csv`. Several: the error and
    /// result files get a `file` column first, and each input gets its own
    /// rejected-rows file, `rejected-<n>-<file name>.csv`, with its own header.
    pub fn create(
        dir: &Path,
        objects: &[String],
        results: Option<&Path>,
        inputs: &[PathBuf],
    ) -> std::io::Result<Self> {
        let multi = inputs.len() > 1;
        let error_file = dir.join("errors.csv");
        let mut errors = csv::Writer::from_writer(AtomicFile::create(&error_file)?);
        let file_column: &[&str] = if multi { &["file"] } else { &[] };
        errors.write_record(file_column.iter().chain(&["line", "column", "value", "code", "message"]))?;
        let rejected_files: Vec<PathBuf> = if multi {
            inputs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let name = p.file_stem().map_or_else(|| "stdin".into(), |n| n.to_string_lossy());
                    let name: String = name
                        .chars()
                        .map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' })
                        .collect();
                    dir.join(format!("rejected-{}-{name}.csv", i + 1))
                })
                .collect()
        } else {
            vec![dir.join("rejected.csv")]
        };
        let rejected = rejected_files.iter().map(|p| AtomicFile::create(p)).collect::<Result<Vec<_>, _>>()?;
        let results = match results {
            Some(p) => {
                let mut w = csv::Writer::from_writer(AtomicFile::create(p)?);
                w.write_record(file_column.iter().chain(&[
                    "line",
                    "object",
                    "action",
                    "record_id",
                    "reason",
                ]))?;
                Some(w)
            }
            None => None,
        };
        Ok(Self {
            objects: objects.to_vec(),
            reasons: Vec::with_capacity(objects.len()),
            header: Vec::new(),
            header_line: Vec::new(),
            lines: None,
            errors: Some(errors),
            rejected,
            rejected_header_written: false,
            multi,
            file: (0, String::new()),
            results,
            error_file,
            rejected_file: rejected_files[0].clone(),
            rejected_files,
            counts: vec![ObjectCounts::default(); objects.len()],
            rows: 0,
            rows_failed: 0,
            errors_written: 0,
            errors_by_column: BTreeMap::new(),
            errors_by_code: BTreeMap::new(),
            created_without_identifier: 0,
            replayed: 0,
            rows_with_record_id: 0,
            record_ids_not_found: 0,
            record_id_column: None,
        })
    }

    /// Starts the rows of input `index` (shown as `label`): its header names and raw
    /// header line.
    pub fn begin_file(
        &mut self,
        index: usize,
        label: &str,
        (header, header_line): (&[String], &[u8]),
        lines: Option<crate::input::convert::LineMap>,
    ) {
        self.lines = lines;
        self.file = (index, label.to_owned());
        self.header = header.to_vec();
        self.header_line = header_line.to_vec();
        if !self.header_line.ends_with(b"\n") && !self.header_line.ends_with(b"\r") {
            self.header_line.push(b'\n');
        }
        self.rejected_header_written = false;
    }

    fn column_name(&self, column: Option<u32>) -> &str {
        column.and_then(|c| self.header.get(c as usize)).map_or("", String::as_str)
    }

    fn reject(&mut self, raw: &[u8]) -> std::io::Result<()> {
        let index = if self.multi { self.file.0 } else { 0 };
        let rejected = self.rejected.get_mut(index).ok_or_else(published)?;
        if !self.rejected_header_written {
            rejected.write_all(&self.header_line)?;
            self.rejected_header_written = true;
        }
        rejected.write_all(raw)?;
        if !raw.ends_with(b"\n") && !raw.ends_with(b"\r") {
            rejected.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The counts per object, by name.
    pub fn counts_by_object(&self) -> std::collections::BTreeMap<String, ObjectCounts> {
        self.objects.iter().cloned().zip(self.counts.iter().copied()).collect()
    }

    fn result(
        &mut self,
        line: u64,
        object: usize,
        action: &str,
        id: u64,
        reason: &str,
    ) -> std::io::Result<()> {
        let line = self.lines.as_ref().map_or(line, |m| m.row(line));
        if let Some(w) = &mut self.results {
            let id = if id == 0 { String::new() } else { id.to_string() };
            let line = line.to_string();
            let fields = [line.as_str(), &self.objects[object], action, &id, reason];
            if self.multi {
                w.write_record(std::iter::once(self.file.1.as_str()).chain(fields))?;
            } else {
                w.write_record(fields)?;
            }
        }
        Ok(())
    }

    /// Writes one line of the error file for `issue`, its position absolute.
    fn error(&mut self, issue: &Issue) -> std::io::Result<()> {
        let mut col = excel_safe(self.column_name(issue.position.column)).into_owned();
        if let (Some(c), Some(lines)) = (issue.position.column, &self.lines)
            && lines.letters
        {
            col = format!("{col} ({})", crate::input::cells::column_letters(c));
        }
        let errors = self.errors.as_mut().ok_or_else(published)?;
        let line =
            self.lines.as_ref().map_or(issue.position.line, |m| m.row(issue.position.line)).to_string();
        let value = excel_safe(&issue.value);
        let fields = [line.as_str(), &col, &value, issue.code.as_str(), &issue.message];
        if self.multi {
            errors.write_record(std::iter::once(excel_safe(&self.file.1).as_ref()).chain(fields))?;
        } else {
            errors.write_record(fields)?;
        }
        self.errors_written += 1;
        *self.errors_by_column.entry(col).or_default() += 1;
        *self.errors_by_code.entry(issue.code.as_str().to_owned()).or_default() += 1;
        Ok(())
    }

    /// Reports one committed piece; `outcomes[o]` holds one entry per `Update`
    /// action of object `o`. Per row: its issues, then one result per object; a row
    /// any of whose records failed goes to the rejected-rows file as it was.
    pub fn piece(
        &mut self,
        piece: &Planned,
        outcomes: &[Vec<UpdateOutcome>],
        text: &[u8],
    ) -> std::io::Result<()> {
        let decoded = &piece.rows.piece;
        let base = decoded.offset;
        let mut outcomes: Vec<_> = outcomes.iter().map(|o| o.iter()).collect();
        let mut issues = piece.issues.iter().peekable();
        let mut bad = decoded.broken_records().peekable();
        // Rows the replay memo knew: unchanged, nothing to report but their result.
        let mut replayed = decoded.replayed.iter().peekable();
        let mut before = |this: &mut Self, at: u32| -> std::io::Result<()> {
            loop {
                let next_bad = bad.peek().map(|(_, b)| b.start).filter(|&s| s < at);
                let next_replayed = replayed.peek().map(|(r, ..)| r.start).filter(|&s| s < at);
                match (next_bad, next_replayed) {
                    (Some(b), r) if r.is_none_or(|r| b < r) => {
                        let (issue, broken) = bad.next().expect("peeked");
                        this.bad_row(issue, broken, piece, text)?;
                    }
                    (_, Some(_)) => {
                        let &(span, id, _) = replayed.next().expect("peeked");
                        this.rows += 1;
                        this.replayed += 1;
                        this.counts[0].unchanged += 1;
                        this.result(piece.first_line + u64::from(span.line), 0, "unchanged", id, "")?;
                    }
                    _ => return Ok(()),
                }
            }
        };
        for (r, span) in decoded.rows.iter().enumerate() {
            before(self, span.start)?;
            self.rows += 1;
            let line = piece.first_line + u64::from(span.line);
            // Each object's first row error is its reason in the result file (a
            // buffer kept across rows: this loop runs once per row on the writer thread).
            let mut reasons = std::mem::take(&mut self.reasons);
            reasons.clear();
            reasons.resize(self.objects.len(), "");
            while let Some(i) = issues.next_if(|i| i.row == Some(r as u32)) {
                self.error(i)?;
                let reason = &mut reasons[usize::from(i.object)];
                if i.row_error && reason.is_empty() {
                    *reason = i.code.as_str();
                }
                if i.code == crate::codes::ErrorCode::InvalidRecordId {
                    self.record_ids_not_found += 1;
                    if self.record_id_column.is_none() {
                        self.record_id_column = Some(self.column_name(i.position.column).to_owned());
                    }
                }
            }
            let mut rejected = false;
            for (o, actions) in piece.actions.iter().enumerate() {
                let rows = &piece.rows.objects[o];
                if rows.known[r].record_id != 0 {
                    self.rows_with_record_id += 1;
                }
                let counts = &mut self.counts[o];
                let mut held_back = false;
                let (action, id, reason) = match actions[r] {
                    Action::Create(id) => {
                        counts.created += 1;
                        // A company a domain request made has its domain (no row values).
                        if rows.row_key(r).is_empty() && rows.present[r] {
                            self.created_without_identifier += 1;
                        }
                        ("created", id, "")
                    }
                    Action::Write(id, _) => {
                        counts.updated += 1;
                        held_back = rows.held_back[r];
                        ("updated", id, "")
                    }
                    Action::Unchanged(id) => {
                        counts.unchanged += 1;
                        held_back = rows.held_back[r];
                        ("unchanged", id, "")
                    }
                    Action::Update(id) => {
                        let outcome = outcomes[o].next().copied();
                        held_back = outcome.is_some_and(UpdateOutcome::held_back);
                        if let Some(UpdateOutcome::Updated { .. }) = outcome {
                            counts.updated += 1;
                            ("updated", id, "")
                        } else {
                            counts.unchanged += 1;
                            ("unchanged", id, "")
                        }
                    }
                    Action::Skip(reason) => {
                        counts.skipped += 1;
                        ("skipped", 0, reason.as_str())
                    }
                    Action::Fail => {
                        counts.failed += 1;
                        rejected = true;
                        ("failed", 0, reasons[o])
                    }
                    Action::Absent => continue,
                };
                if held_back && let Some((property, column)) = rows.lifecycle {
                    let value = rows.row_values(r).get(property).unwrap_or_default().to_owned();
                    let message = format!(
                        "the lifecycle stage stays as it was: '{value}' comes before the record's stage, and an \
                         import only moves it forward (subscriber, lead, ..., customer, evangelist; other \
                         anywhere); pass --allow-lifecycle-backward to set it"
                    );
                    let at = Issue::at_row(
                        r as u32,
                        o as u16,
                        u64::from(span.line),
                        u64::from(span.start),
                        Some(column),
                    );
                    let mut warning = at.value_error(ErrorCode::LifecycleStageBackward, value, message);
                    warning.anchor(self.file.0 as u32, piece.first_line, base as u64);
                    self.error(&warning)?;
                }
                self.result(line, o, action, id, reason)?;
            }
            self.reasons = reasons;
            if rejected {
                self.rows_failed += 1;
                self.reject(&text[base + span.start as usize..base + span.end as usize])?;
            }
        }
        before(self, u32::MAX)
    }

    /// Counts a piece the replay memo skipped ([`crate::replay`]): every row of
    /// it imported its record unchanged, with nothing to report.
    pub fn replayed(&mut self, piece: &store::ReplayPiece) {
        self.rows += u64::from(piece.rows);
        self.replayed += u64::from(piece.rows);
        self.counts[0].unchanged += u64::from(piece.rows);
        self.rows_with_record_id += u64::from(piece.with_record_id);
    }

    /// Reports a record of `piece` that could not be decoded: its issue (relative
    /// to the piece), a failed result per object, its bytes (at `span`) rejected.
    fn bad_row(&mut self, issue: &Issue, span: RowSpan, piece: &Planned, text: &[u8]) -> std::io::Result<()> {
        let base = piece.rows.piece.offset;
        let mut issue = issue.clone();
        issue.anchor(self.file.0 as u32, piece.first_line, base as u64);
        let line = issue.position.line;
        self.rows += 1;
        self.rows_failed += 1;
        self.error(&issue)?;
        for o in 0..self.objects.len() {
            self.counts[o].failed += 1;
            self.result(line, o, "failed", 0, issue.code.as_str())?;
        }
        self.reject(&text[base + span.start as usize..base + span.end as usize])
    }

    /// Flushes every file.
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(w) = &mut self.errors {
            w.flush()?;
        }
        for w in &mut self.rejected {
            w.flush()?;
        }
        if let Some(w) = &mut self.results {
            w.flush()?;
        }
        Ok(())
    }

    /// The error file as written so far, read back from its temporary file (after
    /// [`Reporter::finish`]), so that the import keeps it in the store.
    pub fn read_error_file(&self) -> std::io::Result<output::ReadBack> {
        self.errors.as_ref().ok_or_else(published)?.get_ref().read_back()
    }

    /// Puts the error and rejected-rows files in place (before the commit).
    pub fn publish_reports(&mut self) -> std::io::Result<()> {
        if let Some(w) = self.errors.take() {
            w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?.commit()?;
        }
        for w in std::mem::take(&mut self.rejected) {
            w.commit()?;
        }
        Ok(())
    }

    /// Puts the result file in place (after the commit).
    pub fn publish_results(&mut self) -> std::io::Result<()> {
        match self.results.take() {
            Some(w) => w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?.commit(),
            None => Ok(()),
        }
    }
}

fn published() -> std::io::Error {
    std::io::Error::other("a report file was written after it was published")
}
