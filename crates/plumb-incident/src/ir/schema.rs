//! Validation against a schema file the user's authority supplies (`--schema FILE`). No schema
//! is shipped: the ESAs' file is not openly licensed and authorities hand out their own
//! versions. The published IR files declare JSON Schema 2020-12 but write their per-stage rules
//! with draft-07's `dependencies`, which 2020-12 ignores; so the document is validated twice,
//! under 2020-12 and under draft 7, and the failures of both are reported. Formats (`date-time`,
//! `email`) are asserted, not just annotated. Remote references are never fetched.

use jsonschema::Draft;
use serde_json::Value;

use super::rules::Violation;
use crate::error::{Error, Result};

/// A path without its array indices (`affectedEntity.0.name` to `affectedEntity.name`).
fn strip_indices(path: &str) -> String {
    path.split('.')
        .filter(|s| s.parse::<usize>().is_err())
        .collect::<Vec<_>>()
        .join(".")
}

/// A schema file read and compiled under both drafts.
pub struct Schema {
    /// The schema's own `$id`, if it has one (e.g. `IR-1.2.1`).
    pub id: Option<String>,
    drafts: Vec<(Draft, &'static str, jsonschema::Validator)>,
}

/// The schema with its `$schema` set to `uri`: authorities' files spell 2020-12's URI with
/// `http` and a trailing `#`, which validators do not recognise, and the draft-7 pass must be
/// told it is draft 7.
fn as_draft(schema: &Value, uri: &str) -> Value {
    let mut s = schema.clone();
    if let Value::Object(m) = &mut s {
        m.insert("$schema".into(), Value::String(uri.into()));
    }
    s
}

impl Schema {
    /// Parses and compiles a schema file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Schema> {
        let schema: Value = serde_json::from_slice(bytes).map_err(|e| Error::Parse {
            what: "IR schema".into(),
            detail: e.to_string(),
        })?;
        if !schema.is_object() {
            return Err(Error::invalid(
                "IR schema",
                "a JSON Schema file is a JSON object",
            ));
        }
        let mut drafts = Vec::new();
        for (draft, name, uri) in [
            (
                Draft::Draft202012,
                "2020-12",
                "https://json-schema.org/draft/2020-12/schema",
            ),
            (
                Draft::Draft7,
                "draft-07",
                "http://json-schema.org/draft-07/schema#",
            ),
        ] {
            let v = jsonschema::options()
                .with_draft(draft)
                .should_validate_formats(true)
                .build(&as_draft(&schema, uri))
                .map_err(|e| {
                    Error::invalid(
                        "IR schema",
                        format!("does not compile as JSON Schema {name}: {e}"),
                    )
                })?;
            drafts.push((draft, name, v));
        }
        Ok(Schema {
            id: schema
                .get("$id")
                .and_then(Value::as_str)
                .map(str::to_string),
            drafts,
        })
    }

    /// Every failure of `doc` under either draft, without duplicates.
    pub fn check(&self, doc: &Value) -> Vec<Violation> {
        let mut out: Vec<Violation> = Vec::new();
        for (_, name, v) in &self.drafts {
            for e in v.iter_errors(doc) {
                let path = e.instance_path().to_string();
                let path = path.trim_start_matches('/').replace('/', ".");
                // Masked: the message without the instance, which may be the whole document.
                let msg = e.masked().to_string();
                let rule = format!("schema ({name}, at {}): {msg}", e.schema_path());
                let field = super::layout::PLACES
                    .iter()
                    .find(|p| p.path.replace("[]", "") == strip_indices(&path))
                    .map_or("-", |p| p.code);
                // Both drafts often find the same failure; report it once.
                if !out.iter().any(|x| x.path == path && x.rule.ends_with(&msg)) {
                    out.push(Violation::new(field, &path, rule));
                }
            }
        }
        out
    }
}
