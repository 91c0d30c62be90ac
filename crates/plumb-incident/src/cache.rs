//! Incidents kept up to date incrementally, for a server that lists them on every request: each
//! call reads only the incident events appended since the previous one (reading an event and
//! checking its store signature is what costs) and refolds only the incidents they belong to.
//! The answer is exactly [`crate::store::scan`]'s.

use std::collections::{BTreeMap, BTreeSet};

use plumb_ledger::Ledger;
use plumb_ledger::store::Query;

use crate::error::Result;
use crate::event::{Event, Incident, PREDICATE_TYPE, fold};
use crate::store::{Skipped, event_at};

/// The incident events read so far and the incidents they fold into.
#[derive(Debug, Default)]
pub struct IncidentCache {
    /// The last incident event entry read.
    last: Option<u64>,
    /// Events by incident, in log order.
    events: BTreeMap<String, Vec<(u64, Event)>>,
    /// Event entries that were not believed or did not decode.
    skipped: Vec<Skipped>,
    /// Each incident folded, or why it does not fold.
    folded: BTreeMap<String, std::result::Result<Incident, Skipped>>,
    /// Incidents with events read but not folded yet: kept here, not in a local, so a store
    /// failure half way through a read leaves them to be folded by the next call.
    dirty: BTreeSet<String>,
}

impl IncidentCache {
    /// Every incident, newest first, and the records skipped on the way, as
    /// [`crate::store::scan`] gives them, reading only what was appended since the last call.
    pub fn scan(&mut self, l: &mut Ledger) -> Result<(Vec<Incident>, Vec<Skipped>)> {
        for i in l.query(&Query {
            predicate_type: Some(PREDICATE_TYPE.into()),
            after: self.last,
            ..Default::default()
        })? {
            match event_at(l, i)? {
                Ok(ev) => {
                    self.dirty.insert(ev.incident.clone());
                    self.events
                        .entry(ev.incident.clone())
                        .or_default()
                        .push((i, ev));
                }
                Err(reason) => self.skipped.push(Skipped { entry: i, reason }),
            }
            // Kept as it goes: a store failure half way leaves what was read counted once.
            self.last = Some(self.last.map_or(i, |l| l.max(i)));
        }
        for id in std::mem::take(&mut self.dirty) {
            if let Some(evs) = self.events.get(&id) {
                let folded = fold(evs).map_err(|e| Skipped {
                    entry: evs.first().map_or(0, |x| x.0),
                    reason: format!("incident does not fold: {e}"),
                });
                self.folded.insert(id, folded);
            }
        }
        let mut out = Vec::new();
        let mut skipped = self.skipped.clone();
        for f in self.folded.values() {
            match f {
                Ok(inc) => out.push(inc.clone()),
                Err(s) => skipped.push(s.clone()),
            }
        }
        out.sort_by_key(|inc| std::cmp::Reverse(inc.timeline.first().map_or(0, |t| t.0)));
        skipped.sort_by_key(|s| s.entry);
        Ok((out, skipped))
    }

    /// Every incident, newest first ([`crate::store::all`]'s answer).
    pub fn all(&mut self, l: &mut Ledger) -> Result<Vec<Incident>> {
        self.scan(l).map(|(incidents, _)| incidents)
    }
}
