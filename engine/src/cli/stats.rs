//! `ingest stats`: record counts per object.

use super::{Context, open_read, print_json};

/// Record counts per object.
#[derive(Clone, Copy, clap::Args)]
pub struct Args {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { json } = args;
    let store = open_read(&ctx.store, ctx.wait)?;
    let read = store.begin_read()?;
    let mut objects = serde_json::Map::new();
    for o in &read.schema()?.objects {
        objects.insert(o.name.clone(), read.record_count(&o.name)?.into());
    }
    let associations = read.link_count()?;
    let v = serde_json::json!({"objects": objects, "associations": associations});
    if json {
        print_json(&v)?;
    } else {
        for (k, n) in &objects {
            println!("{k:<12} {n}");
        }
        println!("{:<12} {associations}", "associations");
    }
    Ok(())
}
