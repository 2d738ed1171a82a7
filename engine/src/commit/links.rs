//! The links of an import's rows: every pair of a multi-object row's records.
//!
//! After a piece's records are written, each row that imported records of several
//! objects (created, updated or unchanged) links every pair of them, in the
//! mapping's object order (contacts-companies before contacts-deals before
//! companies-deals), row by row in file order, so that the store's rules (a
//! record's first company is its primary) see the links in the order a
//! row-by-row import would make them. A part of a row that failed, was skipped or
//! is absent has no record, and no link is made to it.
//!
//! An activity linked with a contact, deal or ticket is also linked with that
//! record's primary company (as CRM timelines show it), at the moment of the link.

use store::{AssociationCounts, LinkOrigin, LinkOutcome, LinkRequest, LinkSource, LinkWriter, StoreError};

use crate::codes::ErrorCode;
use crate::commit::CommitConfig;
use crate::issue::Issue;
use crate::plan::Planned;

/// A link the pair's limit refused: the row, the object whose record was linked
/// from, and the message.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The row in the piece.
    pub row: u32,
    /// The import's object (index) of the row's record.
    pub object: u16,
    /// The other record, as `object ID`.
    pub value: String,
    /// Why.
    pub message: String,
}

/// Whether the rows of `piece` make links: rows of several objects, or links
/// to records named by association columns or domains.
pub fn has_links(cfgs: &[CommitConfig], piece: &Planned) -> bool {
    cfgs.len() >= 2 || !piece.links.extra.is_empty()
}

/// Links the records of each row of `piece` with each other; returns the links
/// that a pair's limit refused (`ASSOCIATION_LIMIT_EXCEEDED`, value errors).
pub fn link_rows(
    links: &mut LinkWriter<'_>,
    cfgs: &[CommitConfig],
    piece: &Planned,
    origin: LinkOrigin,
    replace_primary: bool,
    counts: &mut AssociationCounts,
) -> Result<Vec<Refused>, StoreError> {
    let mut refused = Vec::new();
    if !has_links(cfgs, piece) {
        return Ok(refused);
    }
    let index_of = |object: &str| cfgs.iter().position(|c| c.object.name == object).unwrap_or(0) as u16;
    let mut ends: Vec<(&str, u64)> = Vec::with_capacity(cfgs.len());
    let mut extra = piece.links.extra.iter().peekable();
    let activity: Vec<bool> =
        cfgs.iter().map(|c| c.object.kind == crate::schema::ObjectKind::Activity).collect();
    let is_activity = |object: &str| cfgs.iter().zip(&activity).any(|(c, &a)| a && c.object.name == object);
    let auto_origin = LinkOrigin { source: LinkSource::AutoDomain, ..origin };
    // With --replace-primary: the records of the current row whose first company
    // link has been made (it asked to be primary; later ones do not).
    let mut replaced: Vec<(String, u64)> = Vec::new();
    let mut link = |links: &mut LinkWriter<'_>,
                    replaced: &mut Vec<(String, u64)>,
                    row: u32,
                    a: (&str, u64),
                    b: (&str, u64),
                    labels: &[u16],
                    auto: bool| {
        let mut primary = false;
        if replace_primary && let Some(record_first) = store::schema::primary_side(a.0, b.0) {
            let record = if record_first { a } else { b };
            primary = !replaced.iter().any(|(o, id)| o == record.0 && *id == record.1);
            if primary {
                replaced.push((record.0.to_owned(), record.1));
            }
        }
        let request = LinkRequest { labels, primary, origin: if auto { auto_origin } else { origin } };
        match links.associate(a, b, &request)? {
            LinkOutcome::Created { .. } => counts.created += 1,
            LinkOutcome::Existing { .. } => counts.existing += 1,
            LinkOutcome::LimitExceeded { object, id, limit } => {
                let other = if object == a.0 && id == a.1 { b } else { a };
                refused.push(Refused {
                    row,
                    object: index_of(a.0),
                    value: format!("{} {}", other.0, other.1),
                    message: format!(
                        "{object} {id} already has {limit} associated {} records, the most the schema allows; \
                         it is not associated with {} {}",
                        other.0, other.0, other.1
                    ),
                });
                return Ok(());
            }
        }
        // An activity's link with a record brings the record's primary company.
        for (act, record) in [(a, b), (b, a)] {
            if is_activity(act.0)
                && let Some(company) = links.primary_company(record)?
            {
                let request = LinkRequest { labels: &[], primary: false, origin };
                match links.associate(act, (store::schema::COMPANIES, company), &request)? {
                    LinkOutcome::Created { .. } => counts.created += 1,
                    LinkOutcome::Existing { .. } => counts.existing += 1,
                    LinkOutcome::LimitExceeded { .. } => {}
                }
            }
        }
        Ok::<(), StoreError>(())
    };
    let auto_companies: std::collections::HashMap<u32, u64> =
        piece.links.extra.iter().filter(|e| e.auto).map(|e| (e.row, e.id)).collect();
    for r in 0..piece.rows.len() {
        ends.clear();
        replaced.clear();
        let row = r as u32;
        // A company made by a domain request is the contact's, not the row's.
        let auto_company = auto_companies.get(&row).copied();
        for (o, cfg) in cfgs.iter().enumerate() {
            if let Some(id) = piece.actions[o][r].record()
                && !(auto_company == Some(id) && cfg.object.name == store::schema::COMPANIES)
            {
                ends.push((cfg.object.name.as_str(), id));
            }
        }
        for i in 0..ends.len() {
            for j in i + 1..ends.len() {
                let labels = piece.links.labels_of(row, ends[i].0, ends[j].0);
                link(links, &mut replaced, row, ends[i], ends[j], &labels, false)?;
            }
        }
        while let Some(e) = extra.next_if(|e| e.row == row) {
            let Some(from_id) = piece.actions[e.from][r].record() else {
                continue;
            };
            let from = (cfgs[e.from].object.name.as_str(), from_id);
            let labels = piece.links.labels_of(row, from.0, &e.object);
            link(links, &mut replaced, row, from, (&e.object, e.id), &labels, e.auto)?;
        }
    }
    // One sorted run per table and direction for the piece.
    links.flush()?;
    Ok(refused)
}

/// Adds the refused links to the piece's issues, in their row's place.
pub fn report_refused(piece: &mut Planned, file: u32, refused: Vec<Refused>) {
    let offset = piece.rows.piece.offset as u64;
    for r in refused {
        let span = piece.rows.piece.rows[r.row as usize];
        let mut issue = Issue::at_row(r.row, r.object, u64::from(span.line), u64::from(span.start), None)
            .value_error(ErrorCode::AssociationLimitExceeded, r.value, r.message);
        issue.anchor(file, piece.first_line, offset);
        piece.issues.push(issue);
    }
    // Issues are reported in row order; a stable sort keeps each row's own order.
    piece.issues.sort_by_key(|i| (i.position.line, i.position.byte));
}

/// The origin of the links an import makes.
pub fn import_origin(import_id: u64) -> LinkOrigin {
    LinkOrigin {
        source: LinkSource::Import,
        import: Some(import_id),
        time_ms: crate::associate::change::now_ms(),
    }
}
