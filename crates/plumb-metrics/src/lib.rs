//! Delivery measures from the evidence itself: deployment frequency, lead time for changes,
//! change failure rate, failed deployment recovery time and rework rate, with the performance
//! level each falls in. The inputs are the signed records in the ledger, read through their
//! types ([`facts`]); the computation is a pure function of them and of the period
//! ([`measures`]); the benchmark is data ([`levels`]). So an auditor who holds the evidence
//! computes the same numbers, and `--explain` names the entries behind each one.

pub mod chart;
pub mod facts;
pub mod import;
pub mod levels;
pub mod measures;
pub mod period;
pub mod report;

pub use facts::{DecisionFact, DeploymentFact, Evidence, IncidentFact};
pub use measures::{Measures, Selection, measure, measure_each};
pub use period::{Granularity, Period};
