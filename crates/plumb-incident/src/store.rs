//! Incident events in the ledger: each event is an in-toto statement whose subject is the
//! incident (`sha256` of its id), so an incident's timeline is one subject query away and an
//! evidence pack for an incident carries every event.

use std::collections::BTreeMap;

use plumb_ledger::Ledger;
use plumb_ledger::entry::LogEntry;
use plumb_ledger::statement::{Statement, Subject};
use plumb_ledger::store::Query;

use crate::error::{Error, Result};
use crate::event::{Event, Incident, PREDICATE_TYPE, fold};
use crate::link::Deployment;

/// Predicate type of deployment records (written by pipelines and `plumb demo`).
pub const DEPLOYMENT: &str =
    <plumb_records::deployment::Deployment as plumb_records::Record>::PREDICATE_TYPE;

/// SHA-256 of an incident id, hex: the subject digest of its events.
pub fn digest(id: &str) -> String {
    plumb_base::sha256_hex(id.as_bytes())
}

/// The statement recording `ev`.
pub fn statement(ev: &Event) -> Statement {
    Statement::new(
        vec![Subject {
            name: format!("incident {}", ev.incident),
            digest: [("sha256".to_string(), digest(&ev.incident))].into(),
        }],
        PREDICATE_TYPE,
        plumb_records::Record::to_predicate(ev),
    )
}

/// A stored record that readers did not believe or could not read, and why. It stays in the
/// append-only log; readers skip it and report it, so one bad record never stops the list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Its index in the log (the first event, for an incident that does not fold).
    pub entry: u64,
    /// Why it was skipped.
    pub reason: String,
}

/// The incident event at `i`: `Ok(Err(reason))` when it is not signed by the store key or
/// does not decode; `Err` only when the store itself fails.
pub(crate) fn event_at(l: &mut Ledger, i: u64) -> Result<std::result::Result<Event, String>> {
    let e = match LogEntry::parse(&l.entry(i)?.bytes) {
        Ok(e) => e,
        Err(err) => return Ok(Err(format!("entry does not parse: {err}"))),
    };
    // Incident events are the server's own records: only the store key's signature counts,
    // whatever other keys the store trusts for pipeline evidence.
    if e.envelope.verify(&[l.public_key()]).is_err() {
        return Ok(Err("not signed by the store key".into()));
    }
    let st = match e.statement() {
        Ok(st) => st,
        Err(err) => return Ok(Err(format!("statement does not parse: {err}"))),
    };
    if st.predicate_type != PREDICATE_TYPE {
        return Ok(Err(format!(
            "predicate type {} is not an incident event",
            st.predicate_type
        )));
    }
    Ok(<Event as plumb_records::Record>::from_predicate(
        &st.predicate,
    ))
}

/// The events of incident `id`, in log order; records that are not believable incident events
/// are skipped.
pub fn events(l: &mut Ledger, id: &str) -> Result<Vec<(u64, Event)>> {
    let mut out = Vec::new();
    for i in l.query(&Query {
        subject: Some(format!("sha256:{}", digest(id))),
        predicate_type: Some(PREDICATE_TYPE.into()),
        ..Default::default()
    })? {
        if let Ok(ev) = event_at(l, i)?
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
    scan(l).map(|(incidents, _)| incidents)
}

/// Every incident, newest first, and the records skipped on the way: events that are not
/// signed by the store key or do not decode, and incidents whose events do not fold.
pub fn scan(l: &mut Ledger) -> Result<(Vec<Incident>, Vec<Skipped>)> {
    let mut by: BTreeMap<String, Vec<(u64, Event)>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for i in l.query(&Query {
        predicate_type: Some(PREDICATE_TYPE.into()),
        ..Default::default()
    })? {
        match event_at(l, i)? {
            Ok(ev) => by.entry(ev.incident.clone()).or_default().push((i, ev)),
            Err(reason) => skipped.push(Skipped { entry: i, reason }),
        }
    }
    let mut out = Vec::new();
    for evs in by.values() {
        match fold(evs) {
            Ok(inc) => out.push(inc),
            Err(e) => skipped.push(Skipped {
                entry: evs.first().map_or(0, |x| x.0),
                reason: format!("incident does not fold: {e}"),
            }),
        }
    }
    out.sort_by_key(|inc| std::cmp::Reverse(inc.timeline.first().map_or(0, |t| t.0)));
    skipped.sort_by_key(|s| s.entry);
    Ok((out, skipped))
}

/// A deployment record as stored: its entry, system, time, commit and the typed record.
#[derive(Debug, Clone)]
pub struct DeploymentRecord {
    /// Ledger index.
    pub entry: u64,
    /// System (service) deployed.
    pub system: String,
    /// When it was recorded (RFC 3339): the deployment's time.
    pub time: String,
    /// The commit deployed (the statement's `gitCommit` subject).
    pub commit: Option<String>,
    /// The record.
    pub record: plumb_records::deployment::Deployment,
}

/// Every deployment record that fits the type, failed ones included, in log order. Records
/// that do not parse or fit are passed over (stored data is hostile).
pub fn deployment_records(l: &mut Ledger) -> Result<Vec<DeploymentRecord>> {
    deployment_records_in(l, Query::default())
}

/// [`deployment_records`] among the entries `within` selects (a reader's scope: its systems),
/// so only those are parsed; its predicate type is set here.
pub fn deployment_records_in(l: &mut Ledger, within: Query) -> Result<Vec<DeploymentRecord>> {
    let mut out = Vec::new();
    for i in l.query(&Query {
        predicate_type: Some(DEPLOYMENT.into()),
        ..within
    })? {
        out.extend(deployment_record(l, i)?);
    }
    Ok(out)
}

/// Entry `i` as a deployment record, `None` when it is not one or does not fit (the one place
/// a deployment record is parsed; `deployment_records` and the watch's look-ups use it).
pub fn deployment_record(l: &mut Ledger, i: u64) -> Result<Option<DeploymentRecord>> {
    use plumb_records::Record;
    use plumb_records::deployment::Deployment as Record_;
    let stored = l.entry(i)?;
    let Ok(e) = LogEntry::parse(&stored.bytes) else {
        return Ok(None);
    };
    let Ok(st) = e.statement() else {
        return Ok(None);
    };
    if st.predicate_type != DEPLOYMENT {
        return Ok(None);
    }
    let Ok(record) = Record_::from_predicate(&st.predicate) else {
        return Ok(None);
    };
    Ok(Some(DeploymentRecord {
        entry: i,
        system: e.system.clone().unwrap_or_default(),
        time: e.time.clone(),
        commit: st
            .subject
            .iter()
            .find_map(|s| s.digest.get("gitCommit").cloned()),
        record,
    }))
}

/// The deployments that shipped their change (failed ones left out: the one place that rule
/// is applied), as incident linking and drift read them.
pub fn deployments(l: &mut Ledger) -> Result<Vec<Deployment>> {
    deployments_in(l, Query::default())
}

/// [`deployments`] among the entries `within` selects (see [`deployment_records_in`]).
pub fn deployments_in(l: &mut Ledger, within: Query) -> Result<Vec<Deployment>> {
    Ok(deployment_records_in(l, within)?
        .into_iter()
        .filter(|d| d.record.shipped())
        .map(|d| Deployment {
            entry: d.entry,
            production: d.record.is_production(),
            system: d.system,
            commit: d.commit,
            time: d.time,
            environment: d.record.environment,
            change_id: d.record.change_id,
            gate_decision: d.record.gate_decision,
        })
        .collect())
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

/// Predicate type of recorded cyber threats.
pub const THREAT: &str =
    <plumb_records::threat::ThreatRecord as plumb_records::Record>::PREDICATE_TYPE;

/// The statement recording threat `t`: its subject is the threat's id, as an incident's is.
pub fn threat_statement(t: &plumb_records::threat::ThreatRecord) -> Statement {
    Statement::new(
        vec![Subject {
            name: format!("cyber threat {}", t.id),
            digest: [("sha256".to_string(), digest(&t.id))].into(),
        }],
        THREAT,
        plumb_records::Record::to_predicate(t),
    )
}

/// Ledger labels of a threat record: its run is its id.
pub fn threat_annotations(
    t: &plumb_records::threat::ThreatRecord,
) -> plumb_ledger::entry::Annotations {
    plumb_ledger::entry::Annotations {
        run: Some(t.id.clone()),
        ..Default::default()
    }
}

/// Signs and appends threat `t`; returns its index.
pub fn append_threat(
    l: &mut Ledger,
    t: &plumb_records::threat::ThreatRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<u64> {
    let env = l.sign_statement(&threat_statement(t))?;
    let json = serde_json::to_vec(&env).expect("envelope serialises");
    let entry = l.prepare(&json, threat_annotations(t), now)?;
    let first = l.append(&[entry])?;
    l.checkpoint(now)?;
    Ok(first)
}

/// The recorded threat at `i`, if it is one the store key signed and it fits the type.
fn threat_at(l: &mut Ledger, i: u64) -> Result<Option<plumb_records::threat::ThreatRecord>> {
    Ok(l.store_signed_predicate(i, THREAT)?.and_then(|p| {
        <plumb_records::threat::ThreatRecord as plumb_records::Record>::from_predicate(&p).ok()
    }))
}

/// Recorded threats the store key signed that `keep` accepts, newest first, at most `limit`,
/// each with its ledger index; other records are skipped.
pub fn threats(
    l: &mut Ledger,
    limit: usize,
    keep: impl Fn(&plumb_records::threat::ThreatRecord) -> bool,
) -> Result<Vec<(u64, plumb_records::threat::ThreatRecord)>> {
    let mut found = l.query(&Query {
        predicate_type: Some(THREAT.into()),
        ..Default::default()
    })?;
    found.reverse();
    let mut out = Vec::new();
    for i in found {
        if out.len() >= limit {
            break;
        }
        if let Some(t) = threat_at(l, i)?
            && keep(&t)
        {
            out.push((i, t));
        }
    }
    Ok(out)
}

/// Whether a threat with this id is recorded (signed by the store key).
pub fn threat_exists(l: &mut Ledger, id: &str) -> Result<bool> {
    for i in l.query(&Query {
        subject: Some(format!("sha256:{}", digest(id))),
        predicate_type: Some(THREAT.into()),
        ..Default::default()
    })? {
        if threat_at(l, i)?.is_some_and(|t| t.id == id) {
            return Ok(true);
        }
    }
    Ok(false)
}
