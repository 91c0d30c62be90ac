//! The overview page's figures, kept up to date incrementally: each request reads only the
//! entries appended since the previous one, through a store connection of the overview's own,
//! never under the reader lock (the first read after a start, which reads the whole log, is
//! begun when the server starts). What is
//! kept is small (one row per system and the latest model check per system); the page applies
//! the reader's scope when it shows them.

use plumb_records::Record;
use std::collections::BTreeMap;

use serde::Serialize;

use plumb_ledger::entry::LogEntry;

use crate::scope::Scope;

/// The system the server's own access summaries and security events are recorded under.
const SERVER_SYSTEM: &str = "plumb-server";

/// Entries read per step: the server's start reads the log in steps, letting go of the
/// overview between them.
pub const STEP: u64 = 10_000;

/// The last gate decision of a system.
#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    /// Its entry.
    pub index: u64,
    /// pass, deny, error or override.
    pub result: String,
    /// Its evaluation time.
    pub now: String,
    /// Ids of the rules that failed.
    pub failing: Vec<String>,
}

/// One system's row.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemRow {
    /// Time of its latest entry.
    pub latest: String,
    /// Its last gate decision signed by the store key.
    pub gate: Option<GateRow>,
}

/// The figures, as far as the log has been read.
#[derive(Debug, Default)]
pub struct Overview {
    /// Entries read so far.
    read: u64,
    /// Rows by system.
    systems: BTreeMap<String, SystemRow>,
    /// The latest model check by the system it was recorded for (none: unlabelled).
    model_checks: BTreeMap<Option<String>, u64>,
    /// The overview's own connection to the store, opened at the first read.
    ledger: Option<plumb_ledger::Ledger>,
}

impl Overview {
    /// Reads the entries appended since the last call from the store at `store`, in steps of
    /// [`STEP`] entries.
    pub fn catch_up(&mut self, store: &std::path::Path) {
        while !self.read_some(store, STEP) {}
    }

    /// Reads at most `max` of the entries appended since the last call; whether it has read up
    /// to the end of the log (or cannot read on: a store that does not open).
    pub fn read_some(&mut self, store: &std::path::Path, max: u64) -> bool {
        if self.ledger.is_none() {
            match plumb_ledger::Ledger::open(store) {
                Ok(l) => self.ledger = Some(l),
                Err(e) => {
                    eprintln!(
                        "{}",
                        serde_json::json!({"level": "error", "msg": "overview: the store did not open", "error": e.to_string()})
                    );
                    return true;
                }
            }
        }
        let Some(l) = self.ledger.as_mut() else {
            return true;
        };
        let end = l.size().unwrap_or(self.read);
        let size = end.min(self.read.saturating_add(max));
        let key = l.public_key();
        for i in self.read..size {
            // Stored data is hostile: an entry that does not parse is passed over.
            let Some(e) = l.entry(i).ok().and_then(|x| LogEntry::parse(&x.bytes).ok()) else {
                continue;
            };
            let Ok(st) = e.statement() else { continue };
            if st.predicate_type == plumb_model::check::PREDICATE_TYPE {
                self.model_checks.insert(e.system.clone(), i);
            }
            let Some(sys) = e.system.clone().filter(|s| s != SERVER_SYSTEM) else {
                continue;
            };
            let row = self.systems.entry(sys).or_default();
            row.latest = e.time.clone();
            if st.predicate_type == crate::ui::GATE
                && e.envelope.verify(std::slice::from_ref(&key)).is_ok()
                && let Ok(d) = plumb_gate::Decision::from_predicate(&st.predicate)
            {
                let mut failing: Vec<String> = d.violations.into_iter().map(|v| v.id).collect();
                failing.dedup();
                row.gate = Some(GateRow {
                    index: i,
                    result: d.result.name().to_string(),
                    now: d.now,
                    failing,
                });
            }
        }
        self.read = size;
        size >= end
    }

    /// The rows `scope` may see.
    pub fn systems<'a>(
        &'a self,
        scope: &'a Scope,
    ) -> impl Iterator<Item = (&'a String, &'a SystemRow)> + 'a {
        self.systems
            .iter()
            .filter(move |(k, _)| scope.allows(Some(k.as_str())))
    }

    /// The latest model check `scope` may see.
    pub fn model_check(&self, scope: &Scope) -> Option<u64> {
        self.model_checks
            .iter()
            .filter(|(k, _)| scope.allows(k.as_deref()))
            .map(|(_, i)| *i)
            .max()
    }

    /// Entries read so far (the log's size at the last call).
    pub fn size(&self) -> u64 {
        self.read
    }
}
