//! `ingest delete OBJ ID...` and `ingest delete --import ID` (SPEC 7): removes
//! records, their identifiers, list memberships and associations
//! ([`store::WriteSession::delete_records`]) in one transaction, logged as an
//! entry of kind `delete` that `ingest undo` takes back.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use store::{DeleteReport, ImportEntry, ImportStatus, Store};

use super::{Context, Usage, open_store, print_json};
use crate::holder::Holder;

/// Delete records by ID, or the records an import created.
#[derive(clap::Args)]
pub struct Args {
    /// The object (contacts, companies, ...).
    #[arg(required_unless_present = "import", conflicts_with = "import")]
    object: Option<String>,
    /// Record IDs.
    #[arg(requires = "object")]
    ids: Vec<u64>,
    /// Delete the records import ID created (HubSpot's "delete imported records").
    #[arg(long, value_name = "ID")]
    import: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// What to delete: records of one object by ID, or the records an import created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// `delete OBJ ID...`.
    Records {
        /// The object.
        object: String,
        /// The record IDs.
        ids: Vec<u64>,
    },
    /// `delete --import ID`.
    Import(u64),
}

/// A deletion done: its log entry's ID and what it did per object.
#[derive(Debug, Clone)]
pub struct Deleted {
    /// The deletion's ID in the import log (`ingest undo ID` takes it back).
    pub delete_id: u64,
    /// Per object.
    pub objects: BTreeMap<String, DeleteReport>,
}

pub(super) fn run(args: &Args, ctx: &Context) -> anyhow::Result<()> {
    if !ctx.store.exists() {
        bail!("there is no store at {}", ctx.store.display());
    }
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "delete");
    let target = match (&args.object, args.import) {
        (Some(object), None) => DeleteTarget::Records { object: object.clone(), ids: args.ids.clone() },
        (None, Some(import)) => DeleteTarget::Import(import),
        _ => return Err(Usage("give OBJ ID... or --import ID".into()).into()),
    };
    let Deleted { delete_id: id, objects: reports } = delete(&store, &target)?;
    if args.json {
        print_json(&serde_json::json!({"delete_id": id, "objects": reports}))?;
    } else {
        for (object, r) in &reports {
            println!("{object}: {} deleted, {} associations removed", r.deleted, r.links_removed);
            if !r.missing.is_empty() {
                let shown: Vec<String> = r.missing.iter().take(20).map(u64::to_string).collect();
                println!(
                    "  no such record: {}{}",
                    shown.join(", "),
                    if r.missing.len() > 20 { ", ..." } else { "" }
                );
            }
        }
        println!("logged as {id}: `ingest undo {id}` restores them");
    }
    Ok(())
}

/// Deletes `target`'s records in one transaction, logged as an entry of kind
/// `delete` (see the module docs).
pub fn delete(store: &Store, target: &DeleteTarget) -> anyhow::Result<Deleted> {
    let read = store.begin_read()?;
    let schema = read.schema()?;
    // What to delete: (object, IDs), per object.
    let mut targets: Vec<(String, Vec<u64>)> = Vec::new();
    let name = match target {
        DeleteTarget::Records { object, ids } => {
            if schema.object(object).is_none() {
                return Err(Usage(format!("there is no object {object}")).into());
            }
            if ids.is_empty() {
                return Err(Usage("give the IDs of the records to delete".into()).into());
            }
            targets.push((object.clone(), ids.clone()));
            format!("delete {} {object}", ids.len())
        }
        &DeleteTarget::Import(import) => {
            let entry = store
                .imports()?
                .into_iter()
                .find(|e| e.id == import)
                .with_context(|| format!("no import {import}"))?;
            if entry.status != ImportStatus::Done {
                bail!("import {import} is not done (it is {:?}): it has no records to delete", entry.status);
            }
            for object in &entry.objects {
                let mut ids = Vec::new();
                read.for_each_record(object, |id, view| {
                    if view.created_by == import {
                        ids.push(id);
                    }
                    true
                })?;
                targets.push((object.clone(), ids));
            }
            format!("delete the records of import {import}")
        }
    };
    drop(read);
    let read = store.begin_read()?;
    let sequences: BTreeMap<String, [u64; 2]> = targets
        .iter()
        .map(|(o, _)| read.next_id(o).map(|n| (o.clone(), [n, n])))
        .collect::<Result<_, _>>()?;
    drop(read);
    let entry = ImportEntry {
        id: 0,
        name,
        started_at: crate::import::now(),
        finished_at: None,
        files: Vec::new(),
        inputs: Vec::new(),
        objects: targets.iter().map(|(o, _)| o.clone()).collect(),
        mode: "delete".into(),
        options: serde_json::json!({
            "delete": targets.iter().map(|(o, ids)| (o.clone(), ids.len())).collect::<BTreeMap<_, _>>(),
            "import": match target {
                DeleteTarget::Import(i) => Some(*i),
                DeleteTarget::Records { .. } => None,
            },
        }),
        status: ImportStatus::Running,
        rows: 0,
        rows_failed: 0,
        errors: 0,
        counts: BTreeMap::new(),
        associations: store::AssociationCounts::default(),
        elapsed_ms: 0,
        error_file: None,
        rejected_file: None,
        note: None,
        sequences,
        ids_kept: false,
        undone_at: None,
        kind: Some("delete".into()),
        undo: None,
    };
    let started = std::time::Instant::now();
    let id = store.start_import(entry.clone())?;
    let session = store.begin_write()?;
    let mut reports = BTreeMap::new();
    for (object, ids) in &targets {
        let r = session.delete_records(object, ids, id, crate::associate::change::now_ms())?;
        reports.insert(object.clone(), r);
    }
    let mut done = ImportEntry { id, ..entry };
    done.status = ImportStatus::Done;
    done.finished_at = Some(crate::import::now());
    done.rows = reports.values().map(|r| r.deleted).sum();
    done.elapsed_ms = started.elapsed().as_millis() as u64;
    done.options["deleted"] = serde_json::to_value(&reports)?;
    session.save_import(&done)?;
    session.commit(true)?;
    Ok(Deleted { delete_id: id, objects: reports })
}
