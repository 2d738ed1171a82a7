//! The schema in the store: the `schema` table, keeping it in step with the
//! standard model, and the upgrade of format-2 stores.
//!
//! Each object is one entry, `object name -> u64 checksum (LE) | JSON ObjectDef`;
//! the checksum is xxh3-64 of the JSON seeded with the xxh3-64 of the name, so a
//! damaged entry or an entry under the wrong name is [`StoreError::CorruptSchema`].
//!
//! The standard model is data of the build: when a store is opened for writing,
//! every standard object is brought up to this build's definition (new standard
//! properties added, labels and header spellings refreshed) while keeping the
//! store's own additions (custom properties, custom objects, pipelines added by a
//! user or a migration). Property IDs never change.

use redb::{ReadTransaction, ReadableTable, TableError, WriteTransaction};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{ObjectDef, Schema, standard};
use crate::error::StoreError;
use crate::tables::{self, SCHEMA};

fn seed(name: &str) -> u64 {
    xxh3_64_with_seed(name.as_bytes(), 0x5c4e_3a11)
}

/// Encodes one object for the `schema` table.
pub(crate) fn encode(object: &ObjectDef) -> Vec<u8> {
    let json = serde_json::to_vec(object).expect("a schema object serializes");
    let mut out = Vec::with_capacity(8 + json.len());
    out.extend_from_slice(&xxh3_64_with_seed(&json, seed(&object.name)).to_le_bytes());
    out.extend_from_slice(&json);
    out
}

/// Decodes and verifies one entry of the `schema` table.
pub(crate) fn decode(name: &str, bytes: &[u8]) -> Result<ObjectDef, String> {
    let (sum, json) = bytes.split_at_checked(8).ok_or("shorter than its checksum")?;
    let sum = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
    if xxh3_64_with_seed(json, seed(name)) != sum {
        return Err("checksum mismatch".into());
    }
    let object: ObjectDef = serde_json::from_slice(json).map_err(|e| format!("not a schema object: {e}"))?;
    if object.name != name {
        return Err(format!("stored under {name} but defines {}", object.name));
    }
    object.validate()?;
    Ok(object)
}

fn corrupt(name: &str) -> impl FnOnce(String) -> StoreError + '_ {
    move |reason| StoreError::CorruptSchema { object: name.to_owned(), reason }
}

/// The schema stored in a snapshot: the standard objects in the model's order,
/// then the custom ones by name. A store without a `schema` table (format 2, read
/// through an upgrade that was not written) has the standard model.
pub(crate) fn read(txn: &ReadTransaction) -> Result<Schema, StoreError> {
    let table = match txn.open_table(SCHEMA) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok(standard().clone()),
        Err(e) => return Err(e.into()),
    };
    let mut stored = Vec::new();
    for item in table.iter()? {
        let (k, v) = item?;
        let name = k.value();
        stored.push(decode(name, v.value()).map_err(corrupt(name))?);
    }
    Ok(ordered(stored))
}

/// Standard objects in the model's order, then the others by name.
pub(crate) fn ordered(mut objects: Vec<ObjectDef>) -> Schema {
    let rank = |o: &ObjectDef| standard().objects.iter().position(|s| s.name == o.name).unwrap_or(usize::MAX);
    objects.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name)));
    Schema { objects }
}

/// Writes one object's definition.
pub(crate) fn save(txn: &WriteTransaction, object: &ObjectDef) -> Result<(), StoreError> {
    object.validate().map_err(corrupt(&object.name))?;
    let mut table = txn.open_table(SCHEMA)?;
    table.insert(object.name.as_str(), encode(object).as_slice())?;
    Ok(())
}

/// `stored` brought up to this build's standard definition `standard`: the
/// standard properties as the build defines them, plus the store's custom
/// properties, their tombstones and pipelines the build does not have.
fn refreshed(standard: &ObjectDef, stored: &ObjectDef) -> ObjectDef {
    let mut out = standard.clone();
    out.deleted_properties.clone_from(&stored.deleted_properties);
    out.associations.clone_from(&stored.associations);
    for p in &stored.properties {
        if out.property(p.id).is_none() && out.property_named(&p.name).is_none() {
            out.properties.push(p.clone());
        } else if p.shared
            && let Some(own) = out.properties.iter_mut().find(|o| o.id == p.id)
        {
            // What the store's records came to hold, not a definition of the build.
            own.shared = true;
        }
    }
    out.properties.sort_by_key(|p| p.id);
    for pipeline in &stored.pipelines {
        if !out.pipelines.iter().any(|p| p.id == pipeline.id) {
            out.pipelines.push(pipeline.clone());
        }
    }
    if stored.identifier != standard.identifier {
        out.identifier.clone_from(&stored.identifier);
    }
    out
}

/// Writes the standard model where the store's schema differs from it (a new
/// store, a store written by an older build). Returns whether anything changed.
pub(crate) fn sync_standard(txn: &WriteTransaction) -> Result<bool, StoreError> {
    let mut changed = false;
    for object in &standard().objects {
        let stored = {
            let table = txn.open_table(SCHEMA)?;
            let entry = table.get(object.name.as_str())?;
            entry.map(|v| decode(&object.name, v.value())).transpose().map_err(corrupt(&object.name))?
        };
        let want = match &stored {
            Some(stored) => refreshed(object, stored),
            None => object.clone(),
        };
        if stored.as_ref() != Some(&want) {
            save(txn, &want)?;
            changed = true;
        }
    }
    Ok(changed)
}

/// Upgrades a format-2 store: index tables named by property name are renamed to
/// property IDs (`index/contacts/email` -> `index/contacts/1`). Format 2 knew only
/// the standard contacts and companies, whose IDs are the same in the model.
pub(crate) fn upgrade_from_2(txn: &WriteTransaction) -> Result<(), StoreError> {
    use redb::TableHandle;
    let names: Vec<String> = txn.list_tables()?.map(|t| t.name().to_owned()).collect();
    for name in names {
        let Some((object, property)) = name.strip_prefix("index/").and_then(|r| r.split_once('/')) else {
            continue;
        };
        if property.parse::<u16>().is_ok() {
            continue;
        }
        let id = standard().object(object).and_then(|o| o.property_id(property)).ok_or_else(|| {
            StoreError::CorruptSchema {
                object: object.to_owned(),
                reason: format!("format-2 index table {name} names no standard property"),
            }
        })?;
        let new = tables::index_name(object, id);
        txn.rename_table(tables::index(&name), tables::index(&new))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let contacts = standard().object("contacts").unwrap();
        let bytes = encode(contacts);
        assert_eq!(&decode("contacts", &bytes).unwrap(), contacts);
        assert!(decode("companies", &bytes).is_err(), "under another name");
        let mut damaged = bytes.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert!(decode("contacts", &damaged).unwrap_err().contains("checksum"));
        assert!(decode("contacts", &bytes[..4]).is_err());
    }

    #[test]
    fn refreshing_keeps_custom_properties_and_takes_the_builds_labels() {
        let standard = standard().object("contacts").unwrap();
        let mut stored = standard.clone();
        stored.properties[2].label = "Old label".into();
        let mut custom = stored.properties[2].clone();
        custom.id = super::super::FIRST_CUSTOM_PROPERTY;
        custom.name = "favourite_colour".into();
        custom.custom = true;
        stored.properties.push(custom.clone());
        stored.deleted_properties = vec![custom.id + 1];
        let out = refreshed(standard, &stored);
        assert_eq!(out.properties[2].label, standard.properties[2].label);
        assert_eq!(out.property(custom.id), Some(&custom));
        assert_eq!(out.deleted_properties, [custom.id + 1], "tombstones are kept");
    }
}
