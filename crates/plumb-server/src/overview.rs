//! The overview page's figures, kept up to date incrementally: each request reads only the
//! entries appended since the previous one, never the whole log under the reader lock. What is
//! kept is small (one row per system and the latest model check per system); the page applies
//! the reader's scope when it shows them.

use plumb_records::Record;
use std::collections::BTreeMap;

use serde::Serialize;

use plumb_ledger::entry::LogEntry;

use crate::scope::Scope;

/// The system the server's own access summaries and security events are recorded under.
const SERVER_SYSTEM: &str = "plumb-server";

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
}

impl Overview {
    /// Reads the entries appended since the last call.
    pub fn catch_up(&mut self, l: &mut plumb_ledger::Ledger) {
        let size = l.size().unwrap_or(self.read);
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
