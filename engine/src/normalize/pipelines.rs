//! Pipelines and stages (deals, tickets): a row's pipeline and stage given by
//! internal value or label, checked against each other, and the defaults a new
//! record gets (SPEC 3: the default pipeline and its first stage).

use crate::schema::{ObjectDef, Pipeline, PropertyId, Stage};

/// The pipeline and stage properties of an object that has pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineProperties {
    /// The property holding the pipeline (`pipeline`, `hs_pipeline`).
    pub pipeline: PropertyId,
    /// The property holding the stage (`dealstage`, `hs_pipeline_stage`).
    pub stage: PropertyId,
}

impl PipelineProperties {
    /// The pipeline properties of `object`, if it has pipelines.
    pub fn of(object: &ObjectDef) -> Option<Self> {
        if object.pipelines.is_empty() {
            return None;
        }
        Some(Self {
            pipeline: object.property_id(object.pipeline_property.as_deref()?)?,
            stage: object.property_id(object.stage_property.as_deref()?)?,
        })
    }
}

/// `raw` names this pipeline or stage (case-insensitively; allocates only for
/// non-ASCII text, which ASCII case folding does not cover).
fn matches(raw: &str, id: &str, label: &str) -> bool {
    raw.eq_ignore_ascii_case(id)
        || raw.eq_ignore_ascii_case(label)
        || (!(raw.is_ascii() && label.is_ascii()) && raw.to_lowercase() == label.to_lowercase())
}

/// The pipeline `raw` names (internal value or label, case-insensitively), or
/// the message of the value error.
pub fn pipeline<'o>(object: &'o ObjectDef, raw: &str) -> Result<&'o Pipeline, String> {
    object.pipelines.iter().find(|p| matches(raw, &p.id, &p.label)).ok_or_else(|| {
        let known: Vec<String> = object.pipelines.iter().map(|p| format!("{} ({})", p.id, p.label)).collect();
        format!("'{raw}' is not a pipeline of {}; the pipelines are: {}", object.name, known.join(", "))
    })
}

/// The stage `raw` names: in `pipeline` when the row gives one, else in the
/// default pipeline, else in the one pipeline that has it. Returns the stage, or
/// the message of the value error.
pub fn stage<'o>(
    object: &'o ObjectDef,
    pipeline: Option<&'o Pipeline>,
    raw: &str,
) -> Result<&'o Stage, String> {
    let find = |p: &'o Pipeline| p.stages.iter().find(|s| matches(raw, &s.id, &s.label));
    if let Some(p) = pipeline {
        return find(p).ok_or_else(|| {
            let known: Vec<String> =
                p.stages.iter().take(10).map(|s| format!("{} ({})", s.id, s.label)).collect();
            format!(
                "'{raw}' is not a stage of pipeline '{}' ({}); its stages are: {}",
                p.label,
                p.id,
                known.join(", ")
            )
        });
    }
    let mut found = object.pipelines.iter().filter_map(find);
    match (found.next(), found.next()) {
        (Some(s), None) => Ok(s),
        // Several pipelines have it: the default pipeline's (first) wins, as a row
        // without a pipeline means the default one.
        (Some(s), Some(_)) => Ok(object.pipelines.first().and_then(find).unwrap_or(s)),
        (None, _) => Err(format!(
            "'{raw}' is not a stage of any pipeline of {} (give the pipeline in its column to see its stages)",
            object.name
        )),
    }
}

/// The values a new record of `object` gets when its row has no pipeline or no
/// stage: the default (first) pipeline, and the first stage of the record's
/// pipeline. `pipeline_value` and `stage_value` are the row's normalized values.
pub fn creation_defaults(
    object: &ObjectDef,
    props: PipelineProperties,
    pipeline_value: Option<&str>,
    stage_value: Option<&str>,
) -> Vec<(PropertyId, String)> {
    let mut out = Vec::new();
    let chosen = if let Some(v) = pipeline_value {
        object.pipelines.iter().find(|p| p.id == v)
    } else {
        let default = object.pipelines.first();
        if let Some(p) = default {
            out.push((props.pipeline, p.id.clone()));
        }
        default
    };
    if stage_value.is_none()
        && let Some(first) = chosen.and_then(|p| p.stages.first())
    {
        out.push((props.stage, first.id.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deals() -> ObjectDef {
        store::schema::standard().object("deals").unwrap().clone()
    }

    #[test]
    fn pipelines_and_stages_by_value_or_label() {
        let d = deals();
        let default = pipeline(&d, "Sales Pipeline").unwrap();
        assert_eq!(default.id, "default");
        assert_eq!(pipeline(&d, "DEFAULT").unwrap().id, "default");
        assert!(pipeline(&d, "Renewals").unwrap_err().contains("default (Sales Pipeline)"));
        assert_eq!(stage(&d, Some(default), "Closed Won").unwrap().id, "closedwon");
        assert_eq!(stage(&d, None, "contractsent").unwrap().id, "contractsent");
        let e = stage(&d, Some(default), "New").unwrap_err();
        assert!(e.contains("not a stage of pipeline 'Sales Pipeline'"), "{e}");
        assert!(stage(&d, None, "Nope").is_err());
    }

    #[test]
    fn new_records_get_the_default_pipeline_and_its_first_stage() {
        let d = deals();
        let props = PipelineProperties::of(&d).unwrap();
        let got = creation_defaults(&d, props, None, None);
        assert_eq!(
            got,
            vec![(props.pipeline, "default".to_owned()), (props.stage, "appointmentscheduled".to_owned())]
        );
        assert_eq!(
            creation_defaults(&d, props, None, Some("closedwon")),
            vec![(props.pipeline, "default".to_owned())]
        );
        assert!(creation_defaults(&d, props, Some("default"), Some("closedwon")).is_empty());
        let t = store::schema::standard().object("tickets").unwrap();
        let tp = PipelineProperties::of(t).unwrap();
        assert_eq!(creation_defaults(t, tp, Some("0"), None), vec![(tp.stage, "1".to_owned())]);
        assert!(PipelineProperties::of(store::schema::standard().object("contacts").unwrap()).is_none());
    }
}
