//! Plumbline's evidence records as types. Every predicate Plumbline writes or reads is a struct
//! here with named fields, its predicate URI and a JSON Schema generated from the type, so a
//! record is written in one place and read in one place, and the documented schema is the
//! code's (`docs/schemas/`, checked by a test). This crate sits at the bottom: it knows nothing
//! of the ledger, only of the records' content.

pub mod audit;
pub mod deployment;
pub mod gate;
pub mod incident;
pub mod model_check;
pub mod register;
pub mod resilience;
pub mod threat;
pub mod verification;

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The subject of an in-toto statement: a name and its digests by algorithm. Defined here so
/// a record can say what it is about; the ledger validates and signs statements over it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize, schemars::JsonSchema)]
pub struct Subject {
    /// Optional name (path, image reference).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Digests keyed by algorithm (`sha256`, `sha512`, `gitCommit`, ...).
    pub digest: BTreeMap<String, String>,
}

/// A predicate Plumbline records.
pub trait Record: Serialize + DeserializeOwned + schemars::JsonSchema {
    /// The in-toto predicate type URI (its version is part of it).
    const PREDICATE_TYPE: &'static str;
    /// Short name, for schema files and routes.
    const NAME: &'static str;

    /// The JSON Schema of the predicate.
    fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Self)).unwrap_or_default()
    }

    /// Reads a stored predicate; a record that does not fit the type is an error that names
    /// the record kind and the field.
    fn from_predicate(v: &serde_json::Value) -> Result<Self, String> {
        Self::deserialize(v).map_err(|e| format!("not a {} record: {e}", Self::NAME))
    }

    /// The predicate to sign.
    fn to_predicate(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The schemas of every record type, by name (for the API and the docs).
pub fn schemas() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    fn entry<R: Record>() -> (&'static str, &'static str, serde_json::Value) {
        (R::NAME, R::PREDICATE_TYPE, R::schema())
    }
    vec![
        entry::<audit::AuditEvent>(),
        entry::<deployment::Deployment>(),
        entry::<gate::Decision>(),
        entry::<incident::Event>(),
        entry::<model_check::Report>(),
        entry::<register::RegisterPackage>(),
        entry::<threat::ThreatRecord>(),
        entry::<resilience::ResilienceTest>(),
        entry::<verification::Verification>(),
    ]
}
