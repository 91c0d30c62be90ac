//! in-toto Statement v1: what an evidence record says, about which artifacts.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// An in-toto Statement v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// The artifacts (commits, images, files) the statement is about.
    pub subject: Vec<Subject>,
    /// URI naming the kind of predicate.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The claim itself.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub predicate: serde_json::Value,
}

/// A subject: a name and its digests by algorithm (the type is `plumb_records::Subject`).
pub use plumb_records::Subject;

/// Expected hex length of well-known digest algorithms.
fn hex_len(alg: &str) -> Option<usize> {
    match alg {
        "sha256" | "sha3_256" => Some(64),
        "sha512" | "sha3_512" => Some(128),
        "sha384" | "sha3_384" => Some(96),
        "sha1" => Some(40),
        "gitCommit" | "gitTree" | "gitBlob" | "gitTag" => None, // SHA-1 (40) or SHA-256 (64)
        _ => None,
    }
}

impl Statement {
    /// Builds a statement.
    pub fn new(subject: Vec<Subject>, predicate_type: &str, predicate: serde_json::Value) -> Self {
        Statement {
            statement_type: STATEMENT_TYPE.into(),
            subject,
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// Parses and validates a statement from an envelope payload.
    pub fn parse(payload: &[u8]) -> Result<Self> {
        let s: Statement = serde_json::from_slice(payload)
            .map_err(|e| Error::Malformed(format!("payload is not an in-toto Statement: {e}")))?;
        s.validate()?;
        Ok(s)
    }

    /// Checks the fields the specification requires.
    pub fn validate(&self) -> Result<()> {
        if self.statement_type != STATEMENT_TYPE {
            return Err(Error::Malformed(format!(
                "statement _type is {:?}; only in-toto Statement v1 ({STATEMENT_TYPE}) is accepted",
                self.statement_type
            )));
        }
        if self.subject.is_empty() {
            return Err(Error::Malformed("statement has no subject".into()));
        }
        if self.predicate_type.is_empty() || self.predicate_type.chars().any(char::is_whitespace) {
            return Err(Error::Malformed(
                "statement predicateType must be a URI".into(),
            ));
        }
        for (i, s) in self.subject.iter().enumerate() {
            if s.digest.is_empty() {
                return Err(Error::Malformed(format!("subject {i} has no digest")));
            }
            for (alg, v) in &s.digest {
                validate_digest(alg, v)
                    .map_err(|e| Error::Malformed(format!("subject {i}: {e}")))?;
            }
        }
        Ok(())
    }
}

/// Checks one digest value: lowercase hex of the right length for known algorithms.
pub fn validate_digest(alg: &str, value: &str) -> Result<()> {
    if alg.is_empty() || value.is_empty() {
        return Err(Error::Malformed("empty digest algorithm or value".into()));
    }
    let is_hex = value
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let known_hex = hex_len(alg).is_some() || alg.starts_with("git");
    if known_hex && !is_hex {
        return Err(Error::Malformed(format!(
            "{alg} digest {value:?} is not lowercase hex"
        )));
    }
    if let Some(n) = hex_len(alg)
        && value.len() != n
    {
        return Err(Error::Malformed(format!(
            "{alg} digest has {} hex digits, expected {n}",
            value.len()
        )));
    }
    if alg.starts_with("git") && value.len() != 40 && value.len() != 64 {
        return Err(Error::Malformed(format!(
            "{alg} digest must have 40 or 64 hex digits"
        )));
    }
    Ok(())
}

/// Parses `alg:value` (e.g. `sha256:ab12...`, `gitCommit:3f2a...`) into a digest pair.
pub fn parse_digest_arg(arg: &str) -> Result<(String, String)> {
    let (alg, value) = arg.split_once(':').ok_or_else(|| {
        Error::Malformed(format!(
            "digest {arg:?} must be written as ALGORITHM:VALUE, e.g. sha256:<64 hex>"
        ))
    })?;
    validate_digest(alg, value)?;
    Ok((alg.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_validated() {
        let ok = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}],"predicateType":"https://plumbline.dev/test/v1","predicate":{}}"#;
        let s = Statement::parse(ok).unwrap();
        assert_eq!(s.subject[0].name, "app");

        let v01 = String::from_utf8_lossy(ok).replace("Statement/v1", "Statement/v0.1");
        assert!(
            Statement::parse(v01.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("only in-toto")
        );
        let no_subject =
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x"}"#;
        assert!(Statement::parse(no_subject).is_err());
        let short = String::from_utf8_lossy(ok).replace("ba7816", "");
        assert!(Statement::parse(short.as_bytes()).is_err());
        assert!(Statement::parse(b"not json").is_err());
        assert!(parse_digest_arg("gitCommit:0123456789abcdef0123456789abcdef01234567").is_ok());
        assert!(parse_digest_arg("sha256").is_err());
        assert!(parse_digest_arg("sha256:XYZ").is_err());
    }
}
