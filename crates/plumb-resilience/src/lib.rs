//! Resilience evidence (DORA Arts. 24-25). `tests`: resilience test results recorded as signed
//! records with the functions they exercised, and read back believing only what the store key
//! signed. The rule that judges each critical or important function against them is
//! `plumb_model::resilience::status`; the readers of result files are
//! `plumb_ingest::resilience`. `watch`: `plumb watch`, the post-deployment verification
//! against Prometheus with its rollback and incident.

pub mod tests;
pub mod watch;

pub use plumb_records::resilience::{ResilienceTest, TestOutcome};

/// Why resilience evidence could not be recorded or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is unusable (a file that is no result, a system the model does not know).
    #[error("{0}")]
    Input(String),
    /// The store failed.
    #[error(transparent)]
    Ledger(#[from] plumb_ledger::Error),
}

/// The record of type `R` at entry `i` when the store key signed it and it decodes; `None`
/// otherwise (the store holds hostile data: only what Plumbline itself recorded is evidence).
pub(crate) fn signed_at<R: plumb_records::Record>(
    l: &mut plumb_ledger::Ledger,
    i: u64,
) -> Result<Option<R>, Error> {
    Ok(l.store_signed_predicate(i, R::PREDICATE_TYPE)?
        .and_then(|p| R::from_predicate(&p).ok()))
}

/// Every record of type `R` in the store signed by the store key, with its entry index, in log
/// order (see [`signed_at`]).
pub(crate) fn store_signed<R: plumb_records::Record>(
    l: &mut plumb_ledger::Ledger,
) -> Result<Vec<(u64, R)>, Error> {
    let mut out = Vec::new();
    for i in l.query(&plumb_ledger::store::Query {
        predicate_type: Some(R::PREDICATE_TYPE.into()),
        ..Default::default()
    })? {
        if let Some(r) = signed_at::<R>(l, i)? {
            out.push((i, r));
        }
    }
    Ok(out)
}
