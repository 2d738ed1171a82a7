//! `ingest inspect`: the dialect, header, row count and structural errors of a
//! file, without a mapping or a store (SPEC 8).
//!
//! Structural errors are the [`Issue`]s decode gives broken records (and the
//! header's error), anchored to the file; the JSON report shows each one's line,
//! code and message.

use std::path::Path;

use serde::{Serialize, Serializer};

use crate::input::decode;
use crate::input::dialect::{self, Encoding};
use crate::input::pieces;
use crate::input::source::Source;
use crate::input::split;
use crate::issue::Issue;
use crate::mapping::vocabulary::Vocabulary;

/// How the report shows a structural error: its line (1-based), code and message.
fn structural_errors<S: Serializer>(errors: &[Issue], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Shown<'a> {
        line: u64,
        code: crate::codes::ErrorCode,
        message: &'a str,
    }
    s.collect_seq(errors.iter().map(|e| Shown { line: e.position.line, code: e.code, message: &e.message }))
}

/// What `inspect` reports.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// Detected (or given) encoding.
    pub encoding: &'static str,
    /// Whether a byte-order mark was present.
    pub bom: bool,
    /// The delimiter.
    pub delimiter: String,
    /// `lf`, `crlf` or `cr`.
    pub line_ending: &'static str,
    /// Data rows (good and broken; blank lines excluded).
    pub rows: u64,
    /// Header names.
    pub header: Vec<String>,
    /// Structural errors, in file order, positions absolute (row errors without a
    /// batch row: see [`Issue::undecoded`]).
    #[serde(serialize_with = "structural_errors")]
    pub errors: Vec<Issue>,
    /// The object an import of this file would choose (without `--object`).
    pub object: Option<String>,
    /// What each column would be imported as (`object.property`, empty when it
    /// matches no property), as an import with default options would map it.
    pub mapping: Vec<ColumnMapping>,
    /// Why an import with default options would stop before writing (unmapped or
    /// repeated columns, ...), if it would.
    pub mapping_error: Option<String>,
    /// For a spreadsheet or Parquet file, what was read (`XLSX sheet 'Contacts'`);
    /// its cells were converted to CSV text, which the other fields describe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// One column of [`InspectReport::mapping`].
#[derive(Debug, Clone, Serialize)]
pub struct ColumnMapping {
    /// The header name.
    pub column: String,
    /// `object.property`, or empty when it matches no property.
    pub target: String,
}

/// The mapping an import with default options would choose for `names`.
fn default_mapping(names: &[String], vocabulary: &Vocabulary, report: &mut InspectReport) {
    let req = crate::mapping::MappingRequest {
        skip_unmapped: true,
        ..crate::mapping::MappingRequest::new(vocabulary)
    };
    let strict = crate::mapping::MappingRequest { skip_unmapped: false, ..req };
    if let Err(e) = crate::mapping::map(names, &strict) {
        report.mapping_error = Some(e.to_string());
    }
    match crate::mapping::map(names, &req) {
        Ok(m) => {
            report.object = m.objects.first().map(|o| o.name.clone());
            report.mapping = names
                .iter()
                .enumerate()
                .map(|(c, name)| ColumnMapping {
                    column: name.clone(),
                    target: match m.columns[c] {
                        crate::mapping::Target::Skip => String::new(),
                        _ => m.target_text(c),
                    },
                })
                .collect();
        }
        Err(e) => {
            report.mapping_error.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Inspects a file.
pub fn inspect(
    path: &Path,
    (delimiter, encoding, sheet): (Option<u8>, Option<Encoding>, Option<&str>),
    chunk_bytes: Option<usize>,
    vocabulary: &Vocabulary,
) -> Result<InspectReport, crate::input::source::OpenError> {
    let source = Source::open_input(path, sheet, None)?;
    let format = source.converted().map(|c| c.what.clone());
    let prepared = if format.is_some() {
        dialect::prepare(source, Some(b','), Some(dialect::Encoding::Utf8))
    } else {
        dialect::prepare(source, delimiter, encoding)
    };
    let d = prepared.dialect;
    let text = prepared.text();
    let mut report = InspectReport {
        encoding: d.encoding.name(),
        bom: d.bom,
        delimiter: (d.delimiter as char).to_string(),
        line_ending: d.line_ending.name(),
        rows: 0,
        header: Vec::new(),
        errors: Vec::new(),
        object: None,
        mapping: Vec::new(),
        mapping_error: None,
        format,
    };
    let header = match decode::header(text, d.delimiter) {
        Ok(h) => h,
        Err(e) => {
            // Without a header there are no rows to count; the error says why.
            report.errors.push(e.issue());
            return Ok(report);
        }
    };
    let threads = rayon::current_num_threads();
    let chunk = chunk_bytes.unwrap_or_else(|| split::chunk_size(text.len() - header.len, threads));
    let mut lines_before = u64::from(header.lines);
    report.header.clone_from(&header.names);
    default_mapping(&header.names, vocabulary, &mut report);
    let delimiter = d.delimiter;
    let mut resume = header.len;
    pieces::for_each_body_piece(
        text,
        &header,
        delimiter,
        chunk,
        threads * 2,
        None,
        |p| p,
        |piece| {
            report.rows += (piece.rows.len() + piece.bad.len()) as u64;
            let (first_line, offset) = (lines_before + 1, piece.offset as u64);
            report.errors.extend(piece.bad.into_iter().map(|mut issue| {
                issue.anchor(0, first_line, offset);
                issue
            }));
            lines_before += u64::from(piece.lines);
            // Pages read are not needed again: resident memory stays flat.
            let end = piece.offset + piece.consumed;
            prepared.source.release(prepared.start + resume..prepared.start + end);
            resume = end;
            true
        },
    );
    Ok(report)
}
