//! Resilience evidence (DORA Arts. 24-25). `tests`: resilience test results recorded as signed
//! records with the functions they exercised, and read back believing only what the store key
//! signed. The rule that judges each critical or important function against them is
//! `plumb_model::resilience::status`; the readers of result files are
//! `plumb_ingest::resilience`.

pub mod tests;

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
