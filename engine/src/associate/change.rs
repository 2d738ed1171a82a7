//! Single association changes: `ingest associate` and `ingest dissociate`
//! (history source `user`), each one durable transaction.

use serde::Serialize;
use store::schema::{LabelId, Schema, primary_side};
use store::{DissociateOutcome, LinkOrigin, LinkOutcome, LinkRequest, LinkSource, Store};

use crate::codes::ErrorCode;
use crate::schema_edit::{EditError, find_object};

/// One end of a link as the user names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct End {
    /// Object name.
    pub object: String,
    /// Record ID.
    pub id: u64,
}

/// Why a single change was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Wrong arguments: an unknown object, label, or `--primary` where no primary exists (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The change cannot be made: a missing record, a limit, a primary company that
    /// needs a successor (exit 1).
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<EditError> for ChangeError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Usage(m) => Self::Usage(m),
            EditError::Conflict(m) => Self::Refused(m),
        }
    }
}

/// What `associate` did.
#[derive(Debug, Clone, Serialize)]
pub struct Associated {
    /// The two records.
    pub records: [End; 2],
    /// `created` or `existing`.
    pub outcome: &'static str,
    /// Labels now added (all of them for a new link).
    pub labels_added: Vec<String>,
    /// Whether the link is now the primary company link because of this change.
    pub primary: bool,
}

/// What `dissociate` did.
#[derive(Debug, Clone, Serialize)]
pub struct Dissociated {
    /// The two records.
    pub records: [End; 2],
    /// `removed` or `not-associated`.
    pub outcome: &'static str,
    /// The company that became primary instead of the removed one.
    pub new_primary: Option<u64>,
}

pub(crate) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

fn check_records(
    session: &store::WriteSession<'_>,
    schema: &Schema,
    ends: &[&End; 2],
) -> Result<(), ChangeError> {
    for end in ends {
        find_object(schema, &end.object)?;
    }
    for end in ends {
        if !session.record_exists(&end.object, end.id)? {
            return Err(ChangeError::Refused(format!("no {} record {}", end.object, end.id)));
        }
    }
    Ok(())
}

/// The IDs of the labels `names` of the pair `a`-`b`; an unknown one is a usage
/// error listing the pair's labels.
pub fn label_ids(schema: &Schema, a: &str, b: &str, names: &[String]) -> Result<Vec<LabelId>, ChangeError> {
    let t = schema.association(a, b);
    names
        .iter()
        .map(|name| {
            t.and_then(|t| t.label_named(name)).map(|l| l.id).ok_or_else(|| {
                let known: Vec<&str> = t.map(|t| t.labels.iter().map(|l| l.name.as_str()).collect()).unwrap_or_default();
                ChangeError::Usage(format!(
                    "{}: {a}-{b} has no label '{name}' ({}); add it with `ingest schema add-label {a} {b} '{name}'`",
                    ErrorCode::AssociationLabelNotFound.as_str(),
                    if known.is_empty() { "it has none".to_owned() } else { format!("its labels: {}", known.join(", ")) }
                ))
            })
        })
        .collect()
}

fn label_names(schema: &Schema, a: &str, b: &str, ids: &[LabelId]) -> Vec<String> {
    let t = schema.association(a, b);
    ids.iter()
        .map(|&id| t.and_then(|t| t.label(id)).map_or_else(|| id.to_string(), |l| l.name.clone()))
        .collect()
}

/// `ingest associate A ID B ID2 [--label L]... [--primary]`.
pub fn associate(
    store: &Store,
    a: &End,
    b: &End,
    labels: &[String],
    primary: bool,
) -> Result<Associated, ChangeError> {
    let session = store.begin_write()?;
    let schema = session.schema()?;
    check_records(&session, &schema, &[a, b])?;
    if primary && primary_side(&a.object, &b.object).is_none() {
        return Err(ChangeError::Usage(format!(
            "--primary: a primary association is a contact's, deal's or ticket's with a company, not {}-{}",
            a.object, b.object
        )));
    }
    let ids = label_ids(&schema, &a.object, &b.object, labels)?;
    let origin = LinkOrigin { source: LinkSource::User, import: None, time_ms: now_ms() };
    let mut links = session.links()?;
    let outcome = links.associate(
        (&a.object, a.id),
        (&b.object, b.id),
        &LinkRequest { labels: &ids, primary, origin },
    )?;
    links.finish()?;
    let (outcome, added, primary) = match outcome {
        LinkOutcome::Created { primary } => ("created", ids, primary),
        LinkOutcome::Existing { labels_added, primary_set } => ("existing", labels_added, primary_set),
        LinkOutcome::LimitExceeded { object, id, limit } => {
            let to = if object == a.object { &b.object } else { &a.object };
            return Err(ChangeError::Refused(format!(
                "{}: {object} {id} is at its limit: {}",
                ErrorCode::AssociationLimitExceeded.as_str(),
                crate::associate::types::limit_words(&schema, &object, to, Some(limit))
            )));
        }
    };
    session.commit(true)?;
    let labels_added = label_names(&schema, &a.object, &b.object, &added);
    Ok(Associated { records: [a.clone(), b.clone()], outcome, labels_added, primary })
}

/// `ingest dissociate A ID B ID2 [--new-primary ID]`.
pub fn dissociate(
    store: &Store,
    a: &End,
    b: &End,
    new_primary: Option<u64>,
) -> Result<Dissociated, ChangeError> {
    let session = store.begin_write()?;
    let schema = session.schema()?;
    for end in [a, b] {
        find_object(&schema, &end.object)?;
    }
    if new_primary.is_some() && primary_side(&a.object, &b.object).is_none() {
        return Err(ChangeError::Usage(format!(
            "--new-primary: {}-{} associations have no primary company",
            a.object, b.object
        )));
    }
    let origin = LinkOrigin { source: LinkSource::User, import: None, time_ms: now_ms() };
    let mut links = session.links()?;
    let outcome = match links.dissociate((&a.object, a.id), (&b.object, b.id), new_primary, origin) {
        Ok(o) => o,
        Err(store::StoreError::Association(m)) => return Err(ChangeError::Refused(m)),
        Err(e) => return Err(e.into()),
    };
    links.finish()?;
    session.commit(true)?;
    let (outcome, new_primary) = match outcome {
        DissociateOutcome::Removed { new_primary } => ("removed", new_primary),
        DissociateOutcome::NotLinked => ("not-associated", None),
    };
    Ok(Dissociated { records: [a.clone(), b.clone()], outcome, new_primary })
}
