//! Gate evidence in the ledger: reading recorded decisions through their type, the decision
//! that released a deployment, and the approvals a decision read. Used by the server's pages
//! and by the incident linker; the shells only show what these return.

use plumb_ledger::Ledger;
use plumb_ledger::entry::{BlobRef, LogEntry};
use plumb_ledger::store::Query;
use plumb_records::Record;

use crate::Decision;

/// A gate decision read from the log.
#[derive(Debug, Clone)]
pub struct RecordedDecision {
    /// Its log index.
    pub index: u64,
    /// The entry (envelope, system, time, blobs).
    pub entry: LogEntry,
    /// The decision.
    pub decision: Decision,
    /// Whether the store's own key signed it (pipelines cannot write decisions through the
    /// server; a decision not signed by the store key is shown, never believed).
    pub store_signed: bool,
}

/// Reads entry `index` as a gate decision; `None` when it is not one or does not fit the type
/// (stored data is hostile: a record that does not parse is passed over), or when the store
/// cannot be read ([`read_decision_or_fail`] tells that apart).
pub fn read_decision(l: &mut Ledger, index: u64) -> Option<RecordedDecision> {
    read_decision_or_fail(l, index).ok().flatten()
}

/// [`read_decision`], with a store failure as an error rather than "not a decision": for a
/// reader that keeps what it has read and must not pass a decision over for good.
pub fn read_decision_or_fail(
    l: &mut Ledger,
    index: u64,
) -> plumb_ledger::Result<Option<RecordedDecision>> {
    let stored = l.entry(index)?;
    Ok(decision_of(l, index, &stored.bytes))
}

/// The stored entry `bytes` at `index` as a gate decision, if it is one.
fn decision_of(l: &Ledger, index: u64, bytes: &[u8]) -> Option<RecordedDecision> {
    let entry = LogEntry::parse(bytes).ok()?;
    let st = entry.statement().ok()?;
    if st.predicate_type != Decision::PREDICATE_TYPE {
        return None;
    }
    let decision = Decision::from_predicate(&st.predicate).ok()?;
    let store_signed = entry.envelope.verify(&[l.public_key()]).is_ok();
    Some(RecordedDecision {
        index,
        entry,
        decision,
        store_signed,
    })
}

/// Whether entry `i` is a gate decision the server believes for `system` and `commit`: signed
/// by the store key, of the same system, naming the same commit.
fn is_decision_for(l: &mut Ledger, i: u64, system: &str, commit: &str) -> bool {
    let Some(r) = read_decision(l, i) else {
        return false;
    };
    let names_commit = r.entry.statement().is_ok_and(|st| {
        st.subject
            .iter()
            .any(|x| x.digest.get("gitCommit").map(String::as_str) == Some(commit))
    });
    r.store_signed && r.entry.system.as_deref() == Some(system) && names_commit
}

/// The gate decision for a deployment of `system` at `commit` recorded before entry `before`:
/// the one the deployment names if it really is a decision for that system and commit, else
/// the latest such decision. Matching by commit alone would let one system's pipeline place
/// the decision shown for another's deployment.
pub fn decision_before(
    l: &mut Ledger,
    system: &str,
    commit: &str,
    named: Option<u64>,
    before: u64,
) -> Option<u64> {
    if let Some(d) = named.filter(|d| *d < before)
        && is_decision_for(l, d, system, commit)
    {
        return Some(d);
    }
    let ids = l
        .query(&Query {
            subject: Some(format!("gitCommit:{commit}")),
            predicate_type: Some(Decision::PREDICATE_TYPE.into()),
            system: Some(system.to_string()),
            newest_first: true,
            ..Default::default()
        })
        .ok()?;
    ids.into_iter()
        .filter(|d| *d < before)
        .find(|d| is_decision_for(l, *d, system, commit))
}

/// The approvals file a gate decision read (kept as a blob), and the approvals in it.
pub fn approvals_of(
    l: &Ledger,
    decision: &LogEntry,
) -> Option<(BlobRef, Vec<plumb_ingest::facts::Approval>)> {
    let b = decision
        .blobs
        .iter()
        .find(|b| b.name.contains("approval"))?;
    let data = l.blobs().get(&b.digest).ok()?;
    let facts =
        plumb_ingest::ingest(&[(plumb_ingest::Kind::Approvals, b.name.clone(), data)]).ok()?;
    Some((b.clone(), facts.approvals))
}
