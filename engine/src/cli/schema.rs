//! `ingest schema`: show the schema, or change it (custom properties and objects,
//! schema files, deleting custom properties). The logic is in
//! [`crate::schema_edit`]; this is the argument glue and the text output.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow};

use crate::holder::Holder;
use crate::schema::{ObjectDef, PropertyDef};
use crate::schema_edit::{self, EditError, ObjectSpec, PropertySpec, kind_name};

use super::{Context, Usage, open_read, open_store, print_json};

/// Show the schema (objects; one object's properties and pipelines), or change it.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Show this object's properties and pipelines.
    object: Option<String>,
    /// Print the object definitions as JSON.
    #[arg(long)]
    json: bool,
    /// With --json: include the header spellings.
    #[arg(long, requires = "json")]
    headers: bool,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Add a custom property to an object.
    AddProperty(AddProperty),
    /// Create a custom object.
    AddObject(AddObject),
    /// Declare custom objects, custom properties and pipelines from a TOML or JSON
    /// file; applying it again changes nothing.
    Apply(Apply),
    /// Delete a custom property (records keep their values, unread; its ID is never reused).
    DeleteProperty(DeleteProperty),
    /// Add an association label to an object pair (`schema add-label contacts companies "Advisor"`).
    AddLabel(AddLabel),
    /// Limit how many records of TO one record of FROM may be associated with
    /// (`schema set-limit contacts companies 1`; `none` removes the limit).
    SetLimit(SetLimit),
}

#[derive(clap::Args)]
struct AddLabel {
    /// One object of the pair.
    object: String,
    /// The other object (the same one for same-object associations).
    object2: String,
    /// The label.
    label: String,
    /// Print the label as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct SetLimit {
    /// The object whose records are limited.
    from: String,
    /// The object they are associated with.
    to: String,
    /// The most associations a record of FROM may have with records of TO, or `none`.
    limit: String,
}

#[derive(clap::Args)]
#[allow(clippy::struct_excessive_bools)] // flags of a command line
struct AddProperty {
    /// The object (contacts, companies, deals, a custom object, ...).
    object: String,
    /// Internal name: lowercase letters, digits and _, starting with a letter.
    name: String,
    /// string, number, date, datetime, enumeration, bool, email, phone, domain or url.
    #[arg(long = "type", value_name = "TYPE")]
    ty: String,
    /// Label (default: the name made readable, `loyalty_tier` -> `Loyalty Tier`).
    #[arg(long)]
    label: Option<String>,
    /// Enumerations: "v1:Label 1,v2:Label 2" or "A,B,C".
    #[arg(long)]
    options: Option<String>,
    /// Several ;-separated values.
    #[arg(long)]
    multiple: bool,
    /// No two records share a value (usable as the identifier with --id OBJ=PROP).
    #[arg(long)]
    unique: bool,
    /// Numbers: whole numbers only.
    #[arg(long)]
    integer: bool,
    /// Print the new property as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct AddObject {
    /// Object name: lowercase letters, digits and _, starting with a letter.
    name: String,
    /// Label, plural (Pets).
    #[arg(long)]
    label: String,
    /// Label, singular (Pet; default: the label).
    #[arg(long)]
    singular: Option<String>,
    /// The primary property: a string, property 1.
    #[arg(long, value_name = "NAME")]
    primary_property: String,
    /// Another property, NAME:TYPE (repeatable); numbered from 2 in this order.
    #[arg(long = "property", value_name = "NAME:TYPE")]
    properties: Vec<String>,
    /// Properties a row needs, all of them, to create a record: the primary property
    /// or ones given with --property (default: the primary property).
    #[arg(long, value_name = "PROP,...", value_delimiter = ',')]
    required: Vec<String>,
    /// Print the new object as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct Apply {
    /// The schema file: TOML or JSON (by extension, else by content).
    file: PathBuf,
    /// Say what would change, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print {"changes": [...]} as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct DeleteProperty {
    /// The object.
    object: String,
    /// The custom property.
    name: String,
    /// Delete it even though records hold values for it.
    #[arg(long)]
    force: bool,
    /// Print what was deleted as JSON.
    #[arg(long)]
    json: bool,
}

/// A usage error of [`schema_edit`] becomes the command line's (exit 2); a
/// conflict stays an error (exit 1).
fn usage_as_usage(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<EditError>() {
        Ok(EditError::Usage(m)) => Usage(m).into(),
        Ok(other) => other.into(),
        Err(e) => e,
    }
}

fn usage(e: EditError) -> anyhow::Error {
    usage_as_usage(e.into())
}

pub(super) fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let Args { command, object, json, headers } = args;
    match command {
        None => show(ctx, object.as_deref(), json, headers),
        Some(Command::AddProperty(a)) => add_property(ctx, a),
        Some(Command::AddObject(a)) => add_object(ctx, a),
        Some(Command::Apply(a)) => apply(ctx, &a),
        Some(Command::DeleteProperty(a)) => delete_property(ctx, &a),
        Some(Command::AddLabel(a)) => add_label(ctx, &a),
        Some(Command::SetLimit(a)) => set_limit(ctx, &a),
    }
}

fn add_label(ctx: &Context, a: &AddLabel) -> anyhow::Result<()> {
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "schema add-label");
    let l = crate::associate::types::add_label_to(&store, &a.object, &a.object2, &a.label)
        .map_err(usage_as_usage)?;
    if a.json {
        print_json(&l)?;
    } else if l.added {
        println!("{}-{}: added label '{}' (ID {})", l.objects[0], l.objects[1], l.label, l.id);
    } else {
        println!(
            "{}-{}: has label '{}' already (ID {}), nothing changed",
            l.objects[0], l.objects[1], l.label, l.id
        );
    }
    Ok(())
}

fn set_limit(ctx: &Context, a: &SetLimit) -> anyhow::Result<()> {
    let limit =
        match a.limit.trim() {
            "none" | "NONE" | "None" => None,
            n => Some(n.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                Usage(format!("the limit is a number from 1 or `none`, not '{}'", a.limit))
            })?),
        };
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "schema set-limit");
    let changed =
        crate::associate::types::set_limit_to(&store, &a.from, &a.to, limit).map_err(usage_as_usage)?;
    let schema = store.begin_read()?.schema()?;
    let what = crate::associate::types::limit_words(&schema, &a.from, &a.to, limit);
    println!("{}-{}: {what}{}", a.from, a.to, if changed { "" } else { " (already so, nothing changed)" });
    Ok(())
}

fn add_property(ctx: &Context, a: AddProperty) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let ty = schema_edit::parse_type(&a.ty).map_err(usage)?;
    let options = a.options.as_deref().map(schema_edit::parse_options).transpose().map_err(usage)?;
    let spec = PropertySpec {
        name: a.name,
        label: a.label,
        ty,
        options: options.unwrap_or_default(),
        multiple: a.multiple,
        unique: a.unique,
        integer: a.integer,
    };
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "schema add-property");
    let p = schema_edit::add_property_to(&store, &a.object, &spec).map_err(usage_as_usage)?;
    if a.json {
        print_json(&without_spellings(p))?;
    } else {
        writeln!(
            out,
            "{}: added custom property {} ({}, ID {}, label '{}')",
            a.object,
            p.name,
            std::iter::once(p.ty.name())
                .chain(flags(&p).into_iter().filter(|f| *f != "custom"))
                .collect::<Vec<_>>()
                .join(", "),
            p.id,
            p.label
        )?;
    }
    Ok(())
}

fn add_object(ctx: &Context, a: AddObject) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut properties = Vec::new();
    for p in &a.properties {
        let (name, ty) =
            p.split_once(':').ok_or_else(|| Usage(format!("--property '{p}': expected NAME:TYPE")))?;
        let ty = schema_edit::parse_type(ty).map_err(|e| usage(e.within(&format!("--property {p}"))))?;
        properties.push(PropertySpec::new(name.trim(), ty));
    }
    let spec = ObjectSpec {
        name: a.name,
        label: a.label,
        singular: a.singular,
        primary: a.primary_property,
        primary_label: None,
        required: a.required,
        properties,
    };
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "schema add-object");
    let o = schema_edit::add_object_to(&store, &spec).map_err(usage_as_usage)?;
    if a.json {
        print_json(&without_headers(o))?;
    } else {
        let props: Vec<String> =
            o.properties.iter().map(|p| format!("{} ({}, ID {})", p.name, p.ty.name(), p.id)).collect();
        writeln!(
            out,
            "created custom object {} ({} / {}): {}",
            o.name,
            o.singular,
            o.label,
            props.join(", ")
        )?;
        writeln!(out, "  required to create a record: {}", o.required_all.join(", "))?;
    }
    Ok(())
}

fn apply(ctx: &Context, a: &Apply) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let path = a.file.display().to_string();
    let text = std::fs::read_to_string(&a.file).with_context(|| format!("cannot read {path}"))?;
    let file = schema_edit::parse_schema_file(&a.file, &text).map_err(|e| anyhow!("{path}: {e}"))?;
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "schema apply");
    // Everything wrong with the file, a conflict with the store included, exits with 1.
    let changes = schema_edit::apply_to(&store, &file, a.dry_run).map_err(|e| anyhow!("{path}: {e:#}"))?;
    if a.json {
        print_json(&serde_json::json!({ "changes": changes, "dry_run": a.dry_run }))?;
    } else if changes.is_empty() {
        writeln!(out, "no changes")?;
    } else {
        for c in &changes {
            writeln!(out, "{c}")?;
        }
        let n = changes.len();
        let s = if n == 1 { "" } else { "s" };
        if a.dry_run {
            writeln!(out, "dry run: {n} change{s}, nothing written")?;
        } else {
            writeln!(out, "applied {n} change{s}")?;
        }
    }
    Ok(())
}

fn delete_property(ctx: &Context, a: &DeleteProperty) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let store = open_store(&ctx.store, ctx.wait)?;
    let _holder = Holder::write(store.path(), "schema delete-property");
    let d = schema_edit::delete_property_from(&store, &a.object, &a.name, a.force).map_err(usage_as_usage)?;
    if a.json {
        print_json(&d)?;
    } else {
        writeln!(
            out,
            "{}: deleted custom property {} (ID {}, never used again)",
            d.object, d.property, d.id
        )?;
        match d.records_with_values {
            0 => {}
            1 => writeln!(out, "  1 record keeps its value for it, under ID {}; nothing reads it", d.id)?,
            n => writeln!(
                out,
                "  {n} records keep their values for it, under ID {}; nothing reads them",
                d.id
            )?,
        }
    }
    Ok(())
}

/// An object without its header spellings (nor its properties').
fn without_headers(mut o: ObjectDef) -> ObjectDef {
    o.headers.clear();
    for p in &mut o.properties {
        p.headers.clear();
    }
    o
}

fn without_spellings(mut p: PropertyDef) -> PropertyDef {
    p.headers.clear();
    p
}

fn flags(p: &PropertyDef) -> Vec<&'static str> {
    [(p.unique, "unique"), (p.integer, "integer"), (p.multiple, "multiple"), (p.custom, "custom")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
}

/// What a row needs to create a record, in words.
fn required(o: &ObjectDef) -> String {
    let mut parts = Vec::new();
    if !o.required_all.is_empty() {
        parts.push(o.required_all.join(" and "));
    }
    match o.required_any.as_slice() {
        [] => {}
        [one] => parts.push(one.clone()),
        any => parts.push(format!("one of {}", any.join(", "))),
    }
    if parts.is_empty() { "-".to_owned() } else { parts.join("; ") }
}

/// Lines of a table: `header` and `rows`, columns padded to their widest cell
/// (the last one not padded); columns in `right` are right-aligned.
fn table(header: &[&str], rows: &[Vec<String>], right: &[usize]) -> Vec<String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let n = cells.len();
        let mut out = String::new();
        for (i, (c, w)) in cells.into_iter().zip(&widths).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            if right.contains(&i) {
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            } else {
                out.push_str(c);
                if i + 1 < n {
                    out.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < n {
                out.push_str("  ");
            }
        }
        out.trim_end().to_owned()
    };
    std::iter::once(line(header.to_vec()))
        .chain(rows.iter().map(|r| line(r.iter().map(String::as_str).collect())))
        .collect()
}

fn show(ctx: &Context, object: Option<&str>, json: bool, headers: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let store = open_read(&ctx.store, ctx.wait)?;
    let read = store.begin_read()?;
    let schema = read.schema()?;
    let shown = |o: &ObjectDef| if headers { o.clone() } else { without_headers(o.clone()) };
    let Some(name) = object else {
        if json {
            return print_json(&schema.objects.iter().map(shown).collect::<Vec<_>>());
        }
        let mut rows = Vec::new();
        for o in &schema.objects {
            rows.push(vec![
                o.name.clone(),
                o.label.clone(),
                kind_name(o.kind).to_owned(),
                o.identifier.clone().unwrap_or_else(|| "-".to_owned()),
                read.record_count(&o.name)?.to_string(),
                required(o),
            ]);
        }
        for line in
            table(&["object", "label", "kind", "identifier", "records", "required to create"], &rows, &[4])
        {
            writeln!(out, "{line}")?;
        }
        return Ok(());
    };
    let o = schema_edit::find_object(&schema, name).map_err(usage)?;
    if json {
        return print_json(&shown(o));
    }
    let records = read.record_count(&o.name)?;
    writeln!(
        out,
        "{}: {} ({}), {} object, {records} record{}",
        o.name,
        o.label,
        o.singular,
        kind_name(o.kind),
        if records == 1 { "" } else { "s" }
    )?;
    writeln!(out, "  identifier:         {}", o.identifier.as_deref().unwrap_or("- (record ID only)"))?;
    writeln!(out, "  required to create: {}", required(o))?;
    if o.kind == crate::schema::ObjectKind::Custom
        && let Some(p) = o.property(1)
    {
        writeln!(out, "  primary property:   {}", p.name)?;
    }
    if o.create_only() {
        writeln!(out, "  imports create records, never update them")?;
    }
    if !o.deleted_properties.is_empty() {
        let ids: Vec<String> = o.deleted_properties.iter().map(ToString::to_string).collect();
        writeln!(out, "  deleted property IDs (never reused): {}", ids.join(", "))?;
    }
    writeln!(out)?;
    let rows: Vec<Vec<String>> = o
        .properties
        .iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.name.clone(),
                p.label.clone(),
                p.ty.name().to_owned(),
                flags(p).join(", "),
            ]
        })
        .collect();
    let lines = table(&["id", "name", "label", "type", "flags"], &rows, &[0]);
    writeln!(out, "  {}", lines[0])?;
    for (p, line) in o.properties.iter().zip(&lines[1..]) {
        writeln!(out, "  {line}")?;
        if !p.options.is_empty() {
            let options: Vec<String> =
                p.options.iter().map(|x| format!("{} ({})", x.value, x.label)).collect();
            let indent = " ".repeat(lines[0].find("name").unwrap_or(0));
            writeln!(out, "  {indent}options: {}", options.join(", "))?;
        }
    }
    if !o.pipelines.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "  pipelines (property {}, stage property {}; the first is the default):",
            o.pipeline_property.as_deref().unwrap_or("-"),
            o.stage_property.as_deref().unwrap_or("-")
        )?;
        for p in &o.pipelines {
            writeln!(out, "    {}  {}", p.id, p.label)?;
            let rows: Vec<Vec<String>> = p
                .stages
                .iter()
                .map(|s| {
                    vec![
                        s.id.clone(),
                        s.label.clone(),
                        if s.closed { "closed".into() } else { String::new() },
                    ]
                })
                .collect();
            for line in table(&["stage", "label", ""], &rows, &[]).iter().skip(1) {
                writeln!(out, "      {line}")?;
            }
        }
    }
    Ok(())
}
