//! A log entry: the exact bytes that become one Merkle leaf. It holds the signed envelope and
//! what the log adds when it accepts it (system, pipeline run, integration time, attached
//! blobs), so every field that queries use is covered by the tree.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::keys::PublicKey;
use crate::merkle::leaf_hash;
use crate::statement::Statement;

/// Version of the entry encoding.
pub const ENTRY_VERSION: u32 = 1;
/// Default cap on one envelope, as submitted.
pub const DEFAULT_MAX_ENVELOPE: usize = 64 * 1024;

/// What the log records around an envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// Encoding version ([`ENTRY_VERSION`]).
    pub v: u32,
    /// The signed evidence.
    pub envelope: Envelope,
    /// The system (service, application) the evidence belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The pipeline run that produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// When the log accepted it (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// Raw artifacts stored in the blob store, by digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blobs: Vec<BlobRef>,
}

/// A reference from an entry to a stored blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobRef {
    /// File name it was attached under.
    pub name: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
}

/// Labels the submitter attaches to an envelope when appending it.
#[derive(Debug, Clone, Default)]
pub struct Annotations {
    /// System name.
    pub system: Option<String>,
    /// Pipeline run id.
    pub run: Option<String>,
    /// Blobs already stored.
    pub blobs: Vec<BlobRef>,
}

/// An entry ready for the store: its bytes plus the index fields derived from them.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Canonical entry bytes (the leaf data).
    pub bytes: Vec<u8>,
    /// RFC 6962 leaf hash of `bytes`.
    pub leaf_hash: Hash,
    /// Predicate type of the statement.
    pub predicate_type: String,
    /// System label.
    pub system: Option<String>,
    /// Run label.
    pub run: Option<String>,
    /// Integration time.
    pub time: String,
    /// Subject digests `(algorithm, value)`.
    pub subjects: Vec<(String, String)>,
}

/// Formats a time the way the log stores it; fixed width, so text order is time order.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 time with offset, or a date (midnight UTC), into the stored form.
pub fn parse_time(s: &str) -> Result<String> {
    if let Ok(t) = plumb_base::time::parse_rfc3339(s) {
        return Ok(format_time(t));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(format_time(
            d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
        ));
    }
    Err(Error::Malformed(format!(
        "time {s:?} is not RFC 3339 (e.g. 2026-11-21T09:30:00+01:00) or a date (2026-11-21)"
    )))
}

/// Checks a label such as a system name or run id.
pub fn check_label(what: &str, v: &str) -> Result<()> {
    if v.is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
        return Err(Error::Malformed(format!(
            "{what} {v:?} must be 1 to 200 characters with no control characters"
        )));
    }
    Ok(())
}

impl LogEntry {
    /// Parses stored entry bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let e: LogEntry = serde_json::from_slice(bytes)
            .map_err(|e| Error::Malformed(format!("log entry does not parse: {e}")))?;
        if e.v != ENTRY_VERSION {
            return Err(Error::Malformed(format!(
                "log entry version {} is not supported (expected {ENTRY_VERSION})",
                e.v
            )));
        }
        Ok(e)
    }

    /// The statement inside the envelope.
    pub fn statement(&self) -> Result<Statement> {
        Statement::parse(&self.envelope.payload_bytes()?)
    }

    /// The canonical bytes: serde's field order is fixed, so this is deterministic.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("log entry serialises")
    }
}

/// Validates an envelope and builds the entry for it.
///
/// Checks, in order: size cap, JSON shape, payload type, signatures against `trusted`, and the
/// statement inside. Nothing is written here; a failure leaves no trace.
pub fn prepare(
    envelope_json: &[u8],
    annotations: Annotations,
    trusted: &[PublicKey],
    max_envelope: usize,
    now: DateTime<Utc>,
) -> Result<NewEntry> {
    let envelope = Envelope::parse(envelope_json, max_envelope)?;
    prepare_envelope(envelope, annotations, trusted, now)
}

/// As [`prepare`], for an envelope already parsed (and size-checked) by the caller.
pub fn prepare_envelope(
    envelope: Envelope,
    annotations: Annotations,
    trusted: &[PublicKey],
    now: DateTime<Utc>,
) -> Result<NewEntry> {
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(Error::Malformed(format!(
            "payloadType is {:?}; the ledger accepts in-toto statements ({IN_TOTO_PAYLOAD_TYPE})",
            envelope.payload_type
        )));
    }
    envelope.verify(trusted)?;
    let statement = Statement::parse(&envelope.payload_bytes()?)?;
    if let Some(s) = &annotations.system {
        check_label("system", s)?;
    }
    if let Some(r) = &annotations.run {
        check_label("run", r)?;
    }
    let subjects = statement
        .subject
        .iter()
        .flat_map(|s| s.digest.iter().map(|(a, v)| (a.clone(), v.clone())))
        .collect();
    let entry = LogEntry {
        v: ENTRY_VERSION,
        envelope,
        system: annotations.system,
        run: annotations.run,
        time: format_time(now),
        blobs: annotations.blobs,
    };
    let bytes = entry.to_bytes();
    Ok(NewEntry {
        leaf_hash: leaf_hash(&bytes),
        bytes,
        predicate_type: statement.predicate_type,
        system: entry.system,
        run: entry.run,
        time: entry.time,
        subjects,
    })
}

impl NewEntry {
    /// Re-derives the index fields from stored bytes, as verification does.
    pub fn from_stored(bytes: Vec<u8>) -> Result<Self> {
        let e = LogEntry::parse(&bytes)?;
        let st = e.statement()?;
        Ok(NewEntry {
            leaf_hash: leaf_hash(&bytes),
            predicate_type: st.predicate_type,
            system: e.system,
            run: e.run,
            time: e.time,
            subjects: st
                .subject
                .iter()
                .flat_map(|s| s.digest.iter().map(|(a, v)| (a.clone(), v.clone())))
                .collect(),
            bytes,
        })
    }
}
