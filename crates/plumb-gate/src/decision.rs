//! The gate's decision. The record type lives in `plumb_records::gate` (one place for every
//! evidence record); it is re-exported here under the names the gate has always used.

use plumb_records::Record;

pub use plumb_records::gate::{
    BreakGlass, Decision, FindingCounts, Outcome, PolicyInfo, TestTotals,
};

/// Predicate type of gate decisions.
pub const PREDICATE_TYPE: &str = Decision::PREDICATE_TYPE;
