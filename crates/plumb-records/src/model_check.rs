//! The model-check record: what `plumb model check` found in an architecture model (DORA
//! traceability findings, critical or important functions, provider concentration). Written by
//! `plumb model check --record` and `POST /v1/model/check?record=true`; read by the overview
//! and the architecture page. The subject is the model file by its SHA-256.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::{Record, Subject};

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Fails the check.
    Error,
    /// Reported, does not fail.
    Warning,
}

impl Level {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Check id.
    pub id: String,
    /// Severity.
    pub level: Level,
    /// What is wrong.
    pub message: String,
    /// The elements or relationships concerned.
    pub elements: Vec<String>,
    /// Legal references (or the standard, for relationship rules).
    pub refs: Vec<String>,
    /// Line in the source file, where known.
    pub line: Option<u64>,
}

/// Concentration of critical or important functions on one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Concentration {
    /// Provider id.
    pub provider: String,
    /// Provider name.
    pub name: String,
    /// Functions depending on it.
    pub functions: Vec<String>,
    /// Share of all critical or important functions (0..1).
    pub share: f64,
}

/// How big the model is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ModelSize {
    /// Elements.
    pub elements: usize,
    /// Relationships.
    pub relationships: usize,
}

impl<'de> Deserialize<'de> for ModelSize {
    /// Reads the named form and the pair `[elements, relationships]` recorded before it.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Named {
            elements: usize,
            relationships: usize,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Named(Named),
            Pair(usize, usize),
        }
        Ok(match Either::deserialize(d)? {
            Either::Named(n) => ModelSize {
                elements: n.elements,
                relationships: n.relationships,
            },
            Either::Pair(elements, relationships) => ModelSize {
                elements,
                relationships,
            },
        })
    }
}

/// The result of a model check: the predicate of the recorded statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// SHA-256 of the model file (hex; the subject when recorded).
    pub model_digest: String,
    /// Number of elements and relationships.
    pub size: ModelSize,
    /// Critical or important functions.
    pub functions: Vec<String>,
    /// Provider concentration.
    pub concentration: Vec<Concentration>,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
}

impl Record for Report {
    const PREDICATE_TYPE: &'static str = "https://plumbline.dev/attestation/model-check/v1";
    const NAME: &'static str = "model-check";
}

impl Report {
    /// Whether the model passes (no error-level finding).
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(|f| f.level == Level::Error)
    }

    /// Error-level findings.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count()
    }

    /// The subject a recorded check names: the model file `name` by its digest. The CLI and
    /// the server record checks with it.
    pub fn subject(&self, name: &str) -> Subject {
        Subject {
            name: name.to_string(),
            digest: [("sha256".to_string(), self.model_digest.clone())].into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Report {
        Report {
            model_digest: "ab".repeat(32),
            size: ModelSize {
                elements: 12,
                relationships: 20,
            },
            functions: vec!["f-pay".into()],
            concentration: vec![Concentration {
                provider: "p-cloud".into(),
                name: "Cloud".into(),
                functions: vec!["f-pay".into()],
                share: 1.0,
            }],
            findings: vec![Finding {
                id: "DORA-MODEL-001".into(),
                level: Level::Error,
                message: "m".into(),
                elements: vec!["f-pay".into()],
                refs: vec!["DORA Art. 8(1)".into()],
                line: Some(3),
            }],
        }
    }

    #[test]
    fn reports_round_trip_and_old_shapes_still_read() {
        let r = report();
        let v = r.to_predicate();
        assert_eq!(Report::from_predicate(&v).unwrap(), r);
        assert_eq!(v["size"]["elements"], 12);
        let mut old = v.clone();
        old["size"] = json!([12, 20]);
        assert_eq!(Report::from_predicate(&old).unwrap().size, r.size);
        assert!(!r.ok());
        assert_eq!(r.errors(), 1);
        assert_eq!(r.subject("m.xml").digest["sha256"], r.model_digest);
    }

    #[test]
    fn reports_that_do_not_fit_are_refused_with_the_field() {
        let mut v = report().to_predicate();
        v["findings"][0]["level"] = json!("fatal");
        let e = Report::from_predicate(&v).unwrap_err();
        assert!(e.contains("model-check") && e.contains("fatal"), "{e}");
        let mut v = report().to_predicate();
        v["size"] = json!([1]);
        assert!(Report::from_predicate(&v).is_err());
    }
}
