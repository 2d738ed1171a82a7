//! `ingest get`: show one record by ID or by a unique property.

use anyhow::Context as _;

use crate::export;

use super::{Context, Usage, object_arg, open_read, print_json};

/// Show one record by ID or by a unique property.
#[derive(clap::Args)]
pub struct Args {
    /// The object (contacts, companies, deals, ...).
    object: String,
    /// Record ID.
    id: Option<u64>,
    /// Look up by PROP=VALUE (email or domain).
    #[arg(long)]
    by: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { object, id, by, json } = args;
    if id.is_some() == by.is_some() {
        return Err(Usage("give a record ID or --by PROP=VALUE".into()).into());
    }
    let store = open_read(&ctx.store, ctx.wait)?;
    let read = store.begin_read()?;
    let schema = read.schema()?;
    let def = object_arg(&schema, &object)?;
    let id = match (id, by) {
        (Some(id), None) => id,
        (None, Some(by)) => {
            let (prop, value) = by.split_once('=').ok_or_else(|| Usage("--by takes PROP=VALUE".into()))?;
            let property = def
                .property_named(prop)
                .ok_or_else(|| Usage(format!("{object} has no property '{prop}'")))?;
            if !property.unique {
                let unique: Vec<&str> =
                    def.properties.iter().filter(|p| p.unique).map(|p| p.name.as_str()).collect();
                return Err(Usage(format!(
                    "--by needs a unique property of {object}: {}",
                    if unique.is_empty() { "-".to_owned() } else { unique.join(", ") }
                ))
                .into());
            }
            let mut norm = String::new();
            crate::normalize::values::normalize(
                property,
                value.trim(),
                &crate::normalize::values::ValueOptions::default(),
                &mut norm,
            )
            .map_err(|code| Usage(format!("'{value}' is not a valid {prop}: {code}")))?;
            read.lookup(&def.name, property.id, norm.as_bytes())?
                .with_context(|| format!("no {object} record with {prop} {norm}"))?
        }
        _ => unreachable!("checked above: exactly one of an ID and --by"),
    };
    let record = read.record(&def.name, id)?.with_context(|| format!("no {object} record {id}"))?;
    let links = read.links(&def.name, id)?;
    let value = export::record_json(def, id, &record.view(), &links);
    if json {
        print_json(&value)?;
    } else {
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    Ok(())
}
