//! `ingest associations`, `ingest associate` and `ingest dissociate`: a record's
//! links (and their history), and single changes by the user (SPEC 6, 8).

use std::io::Write as _;

use crate::associate::change::{self, ChangeError, End};
use crate::associate::view;
use crate::holder::Holder;

use super::{Context, Usage, object_arg, open_read, open_store, print_json};

/// Show a record's associations (labels, primary company), and their history.
#[derive(clap::Args)]
pub struct ShowArgs {
    /// The record's object.
    object: String,
    /// The record's ID.
    id: u64,
    /// Also every change of its associations, newest first.
    #[arg(long)]
    history: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Associate two records (in both directions).
#[derive(clap::Args)]
pub struct AssociateArgs {
    /// The first record's object.
    object: String,
    /// The first record's ID.
    id: u64,
    /// The second record's object (the same object for same-object links).
    object2: String,
    /// The second record's ID.
    id2: u64,
    /// A label of the object pair to add (repeatable); labels already there stay.
    #[arg(long = "label", value_name = "LABEL")]
    labels: Vec<String>,
    /// Make the company the record's primary company (the previous one stays
    /// associated, no longer primary).
    #[arg(long)]
    primary: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Remove the association of two records.
#[derive(clap::Args)]
pub struct DissociateArgs {
    /// The first record's object.
    object: String,
    /// The first record's ID.
    id: u64,
    /// The second record's object.
    object2: String,
    /// The second record's ID.
    id2: u64,
    /// When removing a record's primary company while it has several others: the
    /// company (one of them) that becomes primary.
    #[arg(long, value_name = "ID")]
    new_primary: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn change_error(e: ChangeError) -> anyhow::Error {
    match e {
        ChangeError::Usage(m) => Usage(m).into(),
        other => other.into(),
    }
}

pub(super) fn show(args: &ShowArgs, ctx: &Context) -> anyhow::Result<()> {
    let store = open_read(&ctx.store, ctx.wait)?;
    let read = store.begin_read()?;
    let schema = read.schema()?;
    let def = object_arg(&schema, &args.object)?;
    if read.record(&def.name, args.id)?.is_none() {
        anyhow::bail!("no {} record {}", def.name, args.id);
    }
    let links = read.links(&def.name, args.id)?;
    let history = if args.history { Some(read.link_history(&def.name, args.id)?) } else { None };
    if args.json {
        print_json(&view::links_json(&schema, &def.name, args.id, &links, history.as_deref()))?;
    } else {
        write!(
            std::io::stdout().lock(),
            "{}",
            view::links_text(&schema, &def.name, args.id, &links, history.as_deref())
        )?;
    }
    Ok(())
}

pub(super) fn associate(args: AssociateArgs, ctx: &Context) -> anyhow::Result<()> {
    let a = End { object: args.object, id: args.id };
    let b = End { object: args.object2, id: args.id2 };
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "associate");
    let done = change::associate(&store, &a, &b, &args.labels, args.primary).map_err(change_error)?;
    if args.json {
        print_json(&done)?;
    } else {
        let mut line = format!(
            "{} {} - {} {}: {}",
            a.object,
            a.id,
            b.object,
            b.id,
            if done.outcome == "created" { "associated" } else { "already associated" }
        );
        if !done.labels_added.is_empty() {
            line.push_str(", labels added: ");
            line.push_str(&done.labels_added.join(", "));
        }
        if done.primary {
            line.push_str(", primary company");
        }
        println!("{line}");
    }
    Ok(())
}

pub(super) fn dissociate(args: DissociateArgs, ctx: &Context) -> anyhow::Result<()> {
    let a = End { object: args.object, id: args.id };
    let b = End { object: args.object2, id: args.id2 };
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "dissociate");
    let done = change::dissociate(&store, &a, &b, args.new_primary).map_err(change_error)?;
    if args.json {
        print_json(&done)?;
    } else {
        match (done.outcome, done.new_primary) {
            ("removed", Some(p)) => {
                println!(
                    "{} {} - {} {}: association removed; company {p} is now primary",
                    a.object, a.id, b.object, b.id
                );
            }
            ("removed", None) => {
                println!("{} {} - {} {}: association removed", a.object, a.id, b.object, b.id);
            }
            _ => println!("{} {} - {} {}: not associated, nothing changed", a.object, a.id, b.object, b.id),
        }
    }
    Ok(())
}
