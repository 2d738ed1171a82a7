//! `ingest export OBJ --with OBJ2 --format csv`: HubSpot's export layout with
//! associated records (the layout [`crate::mapping::sections`] imports).
//!
//! Each object is a section that starts with its record ID column (`Record ID -
//! Contact`), followed by its properties by internal name. A record linked with
//! records of the `--with` objects has one row per linked record, with that
//! record's section filled and the other `--with` sections empty; a record with
//! none has one row of its own section. Importing the file into the store it came
//! from therefore finds every record and every link as they are: each row is
//! `unchanged` and each link existing, and no link is made that the store does
//! not have (two linked records of different `--with` objects never share a row).

use std::io::Write;

use store::{ReadSession, RecordView};

use crate::schema::{ObjectDef, PropertyId, RECORD_ID};

/// One section's columns.
struct Section<'a> {
    object: &'a ObjectDef,
    /// The first column of the section in the row.
    offset: usize,
    /// `(property, column within the section)`, by property ID.
    columns: Vec<(PropertyId, usize)>,
}

impl<'a> Section<'a> {
    fn new(object: &'a ObjectDef, offset: usize) -> Self {
        let mut columns: Vec<(PropertyId, usize)> = object
            .properties
            .iter()
            .filter(|p| p.id != RECORD_ID)
            .enumerate()
            .map(|(i, p)| (p.id, i + 1))
            .collect();
        columns.sort_unstable();
        Self { object, offset, columns }
    }
}

impl Section<'_> {
    /// The section's header: `Record ID - Contact`, then every other property.
    fn header(&self) -> Vec<String> {
        let mut out = vec![format!("Record ID - {}", self.object.singular)];
        out.extend(self.object.properties.iter().filter(|p| p.id != RECORD_ID).map(|p| p.name.clone()));
        out
    }

    fn width(&self) -> usize {
        self.object.properties.len()
    }

    /// Writes a record into its cells of `row`.
    fn fill(&self, id: u64, view: &RecordView<'_>, safe: bool, row: &mut [String]) {
        let cells = &mut row[self.offset..self.offset + self.width()];
        cells[0] = id.to_string();
        for (p, v) in view.values() {
            if let Ok(i) = self.columns.binary_search_by_key(&p, |&(id, _)| id) {
                let c = self.columns[i].1;
                cells[c]
                    .push_str(if safe { crate::report::output::excel_safe(v) } else { v.into() }.as_ref());
            }
        }
    }
}

/// Writes `object`'s records with their links to records of `with`, as the
/// module docs say; returns the number of rows.
pub fn export_with(
    read: &ReadSession,
    object: &ObjectDef,
    with: &[&ObjectDef],
    safe: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    let mut sections = vec![Section::new(object, 0)];
    for w in with {
        let offset = sections.last().map_or(0, |s| s.offset + s.width());
        sections.push(Section::new(w, offset));
    }
    let width = sections.last().map_or(0, |s| s.offset + s.width());
    let mut w = csv::Writer::from_writer(&mut *out);
    w.write_record(sections.iter().flat_map(Section::header))?;
    let links = read.link_reader(&object.name)?;
    let mut row = vec![String::new(); width];
    let mut rows = 0u64;
    super::try_for_each_record(read, &object.name, |id, view| -> anyhow::Result<()> {
        let record_links = links.links(id)?;
        let mut wrote = false;
        for section in &sections[1..] {
            for link in record_links.iter().filter(|l| l.object == section.object.name) {
                let Some(other) = read.record(&link.object, link.id)? else {
                    anyhow::bail!(
                        "{} {id} is linked with {} {}, which does not exist",
                        object.name,
                        link.object,
                        link.id
                    );
                };
                row.iter_mut().for_each(String::clear);
                sections[0].fill(id, &view, safe, &mut row);
                section.fill(link.id, &other.view(), safe, &mut row);
                w.write_record(&row)?;
                rows += 1;
                wrote = true;
            }
        }
        if !wrote {
            row.iter_mut().for_each(String::clear);
            sections[0].fill(id, &view, safe, &mut row);
            w.write_record(&row)?;
            rows += 1;
        }
        Ok(())
    })?;
    w.flush()?;
    Ok(rows)
}
