//! Incident events in the ledger: each event is an in-toto statement whose subject is the
//! incident (`sha256` of its id), so an incident's timeline is one subject query away and an
//! evidence pack for an incident carries every event.

use std::collections::BTreeMap;

use plumb_ledger::Ledger;
use plumb_ledger::entry::LogEntry;
use plumb_ledger::statement::{Statement, Subject};
use plumb_ledger::store::Query;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::event::{Event, Incident, PREDICATE_TYPE, fold};
use crate::link::Deployment;

/// Predicate type of deployment records (written by pipelines and `plumb demo`).
pub const DEPLOYMENT: &str = "https://plumbline.dev/attestation/deployment/v1";

/// SHA-256 of an incident id, hex: the subject digest of its events.
pub fn digest(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The statement recording `ev`.
pub fn statement(ev: &Event) -> Statement {
    Statement::new(
        vec![Subject {
            name: format!("incident {}", ev.incident),
            digest: [("sha256".to_string(), digest(&ev.incident))].into(),
        }],
        PREDICATE_TYPE,
        serde_json::to_value(ev).expect("event JSON"),
    )
}

fn event_at(l: &mut Ledger, i: u64) -> Result<Option<Event>> {
    let e = LogEntry::parse(&l.entry(i)?.bytes)?;
    let st = e.statement()?;
    if st.predicate_type != PREDICATE_TYPE {
        return Ok(None);
    }
    serde_json::from_value(st.predicate)
        .map(Some)
        .map_err(|e| Error::State(format!("entry {i}: not an incident event ({e})")))
}

/// The events of incident `id`, in log order.
pub fn events(l: &mut Ledger, id: &str) -> Result<Vec<(u64, Event)>> {
    let mut out = Vec::new();
    for i in l.query(&Query {
        subject: Some(format!("sha256:{}", digest(id))),
        predicate_type: Some(PREDICATE_TYPE.into()),
        ..Default::default()
    })? {
        if let Some(ev) = event_at(l, i)?
            && ev.incident == id
        {
            out.push((i, ev));
        }
    }
    Ok(out)
}

/// Incident `id` rebuilt from the ledger.
pub fn load(l: &mut Ledger, id: &str) -> Result<Incident> {
    let evs = events(l, id)?;
    if evs.is_empty() {
        return Err(Error::NotFound(id.into()));
    }
    fold(&evs)
}

/// Every incident, rebuilt from the ledger, newest first.
pub fn all(l: &mut Ledger) -> Result<Vec<Incident>> {
    let mut by: BTreeMap<String, Vec<(u64, Event)>> = BTreeMap::new();
    for i in l.query(&Query {
        predicate_type: Some(PREDICATE_TYPE.into()),
        ..Default::default()
    })? {
        if let Some(ev) = event_at(l, i)? {
            by.entry(ev.incident.clone()).or_default().push((i, ev));
        }
    }
    let mut out = by
        .values()
        .map(|evs| fold(evs))
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| b.timeline[0].0.cmp(&a.timeline[0].0));
    Ok(out)
}

/// Production and other deployments recorded in the ledger.
pub fn deployments(l: &mut Ledger) -> Result<Vec<Deployment>> {
    let mut out = Vec::new();
    for i in l.query(&Query {
        predicate_type: Some(DEPLOYMENT.into()),
        ..Default::default()
    })? {
        let stored = l.entry(i)?;
        let e = LogEntry::parse(&stored.bytes)?;
        let st = e.statement()?;
        let p = &st.predicate;
        // Failed deployments do not ship changes; records without a status are successful.
        if p["status"]
            .as_str()
            .is_some_and(|s| s != "success" && s != "succeeded")
        {
            continue;
        }
        out.push(Deployment {
            entry: i,
            system: e.system.clone().unwrap_or_default(),
            commit: st
                .subject
                .iter()
                .find_map(|s| s.digest.get("gitCommit").cloned()),
            time: e.time.clone(),
            environment: p["environment"].as_str().unwrap_or("").to_string(),
            change_id: p["change_id"].as_str().map(str::to_string),
            gate_decision: p["gate_decision"].as_u64(),
        });
    }
    Ok(out)
}

/// Ledger labels of an incident event: its run is the incident id, so an incident's events
/// can also be selected by run (`plumb query --run INC-...`).
pub fn annotations(ev: &Event) -> plumb_ledger::entry::Annotations {
    plumb_ledger::entry::Annotations {
        run: Some(ev.incident.clone()),
        ..Default::default()
    }
}

/// Signs `evs` with the store's key and appends them as one batch (all or nothing). Returns
/// the index of the first.
pub fn append(l: &mut Ledger, evs: &[Event], now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    let mut batch = Vec::with_capacity(evs.len());
    for ev in evs {
        let env = l.sign_statement(&statement(ev))?;
        let json = serde_json::to_vec(&env).expect("envelope serialises");
        batch.push(l.prepare(&json, annotations(ev), now)?);
    }
    let first = l.append(&batch)?;
    l.checkpoint(now)?;
    Ok(first)
}
