//! `ingest undo ID [--force] [--dry-run] [--json]` (SPEC 7): takes an import back
//! in one transaction ([`store::WriteSession::undo`]).

use anyhow::bail;
use store::UndoReport;

use super::{Context, open_dry_run, open_store, print_json};
use crate::holder::Holder;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The import to undo (see `ingest history`).
    id: u64,
    /// Undo even where later imports changed the same records or links: their
    /// changes are kept, and the rest restored.
    #[arg(long)]
    force: bool,
    /// Print what the undo would do, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &Args, ctx: &Context) -> anyhow::Result<()> {
    if !ctx.store.exists() {
        bail!("there is no store at {}", ctx.store.display());
    }
    let store =
        if args.dry_run { open_dry_run(&ctx.store, ctx.wait)? } else { open_store(&ctx.store, ctx.wait)? };
    let _holder = (!args.dry_run).then(|| Holder::write(store.path(), "undo"));
    let session = store.begin_write()?;
    let report =
        session.undo(args.id, args.force, crate::associate::change::now_ms(), &crate::import::now())?;
    if report.undone && !args.dry_run {
        session.commit(true)?;
    } else {
        drop(session); // rolls back: a dry run, or a refusal, writes nothing
    }
    if args.json {
        print_json(&serde_json::json!({ "dry_run": args.dry_run, "report": report }))?;
    } else {
        print!("{}", text(&report, args.dry_run));
    }
    if !report.undone {
        bail!(
            "import {} was not undone: {} later change(s) touch what it would restore; \
             `ingest undo {} --force` keeps those and restores the rest",
            report.import_id,
            report.conflict_count,
            report.import_id
        );
    }
    Ok(())
}

fn text(r: &UndoReport, dry_run: bool) -> String {
    let mut lines = Vec::new();
    if r.conflict_count > 0 {
        lines.push(format!(
            "{} conflict(s) with later changes, by {}:",
            r.conflict_count,
            r.conflicting.join(", ")
        ));
        for c in &r.conflicts {
            lines.push(format!("  {}: changed since by {}", c.what, c.by));
        }
        if r.conflict_count > r.conflicts.len() as u64 {
            lines.push(format!("  ... and {} more", r.conflict_count - r.conflicts.len() as u64));
        }
    }
    if r.undone {
        let (head, would) = if dry_run { ("dry run: import", "would be ") } else { ("import", "") };
        lines.push(format!("{head} {} {would}undone", r.import_id));
        let objects: std::collections::BTreeSet<&String> =
            r.counts.deleted.keys().chain(r.counts.restored.keys()).collect();
        for o in objects {
            let d = r.counts.deleted.get(o).copied().unwrap_or(0);
            let s = r.counts.restored.get(o).copied().unwrap_or(0);
            lines.push(format!("  {o}: {d} deleted, {s} restored"));
        }
        lines.push(format!(
            "  associations: {} removed, {} changes taken back",
            r.counts.links_removed, r.counts.link_changes_reversed
        ));
        if r.counts.kept > 0 {
            lines.push(format!("  kept (--force), changed since by later imports: {}", r.counts.kept));
            lines.extend(r.kept.iter().map(|k| format!("    {k}")));
        }
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
