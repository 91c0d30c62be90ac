//! The inputs of the measures, read from the ledger through the record types: deployments
//! (every status, with their commits and why they were made) and incidents with the
//! deployments they are linked to and how.

use chrono::{DateTime, Utc};
use plumb_incident::cache::IncidentCache;
use plumb_ledger::Ledger;
use plumb_records::deployment::{ChangeKind, Status};

/// A deployment as the measures see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentFact {
    /// Its log index (what `--explain` names).
    pub entry: u64,
    /// The system deployed.
    pub system: String,
    /// The commit deployed (the record's subject).
    pub commit: Option<String>,
    /// When it was recorded.
    pub time: DateTime<Utc>,
    /// How it ended.
    pub status: Status,
    /// Whether it went to production.
    pub production: bool,
    /// Commits shipped, with their commit times where known.
    pub commits: Vec<(String, Option<DateTime<Utc>>)>,
    /// Why it was made.
    pub change: ChangeKind,
    /// The failed deployment it undoes or repairs.
    pub remedies: Option<u64>,
}

impl DeploymentFact {
    /// A deployment in the sense of the measures: it reached production and shipped its change
    /// (succeeded, or was rolled back afterwards).
    pub fn counts(&self) -> bool {
        self.production && self.status != Status::Failed
    }

    /// Whether it was unplanned: a rollback or fix-forward, or it names a deployment it
    /// remedies.
    pub fn unplanned(&self) -> bool {
        self.change != ChangeKind::Planned || self.remedies.is_some()
    }
}

/// An incident as the measures see it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFact {
    /// Its id.
    pub id: String,
    /// When the entity became aware of it.
    pub detected_at: DateTime<Utc>,
    /// When it was resolved, if it is.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The deployments it is linked to, each with the link's method (`explicit`,
    /// `heuristic`).
    pub deployments: Vec<(u64, String)>,
    /// Whether it was classified major (`None`: not classified).
    pub major: Option<bool>,
}

/// A gate decision as the report sees it: store-signed decisions only.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionFact {
    /// Its log index.
    pub entry: u64,
    /// The system gated.
    pub system: String,
    /// The commit gated.
    pub commit: Option<String>,
    /// When it was recorded.
    pub time: DateTime<Utc>,
    /// `pass`, `deny`, `override` or `error`.
    pub result: &'static str,
    /// Active critical findings.
    pub critical: usize,
    /// Active high findings.
    pub high: usize,
}

/// Everything the measures read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    /// Every deployment record, in log order.
    pub deployments: Vec<DeploymentFact>,
    /// Every incident.
    pub incidents: Vec<IncidentFact>,
    /// Every gate decision signed by the store key, in log order.
    pub decisions: Vec<DecisionFact>,
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    plumb_base::time::parse_rfc3339(s).ok()
}

/// Reads the evidence from the ledger. Records that do not parse, or whose times do not, are
/// passed over (stored data is hostile; `plumb verify` reports them).
pub fn read(l: &mut Ledger) -> Result<Evidence, String> {
    FactsCache::default().read(l, &mut IncidentCache::default())
}

/// The evidence kept up to date incrementally, for a server that measures on every scrape:
/// each call reads only the deployment records and gate decisions appended since the last
/// one (incidents through an [`IncidentCache`]). [`read`] is one call on an empty cache, so the
/// answer is the same.
#[derive(Debug, Default)]
pub struct FactsCache {
    /// The last deployment record entry read.
    deployments_after: Option<u64>,
    /// The last gate decision entry read.
    decisions_after: Option<u64>,
    /// Deployments read so far, in log order.
    deployments: Vec<DeploymentFact>,
    /// Store-signed decisions read so far, in log order.
    decisions: Vec<DecisionFact>,
}

impl FactsCache {
    /// The evidence as it is now, reading only what was appended since the last call.
    pub fn read(
        &mut self,
        l: &mut Ledger,
        incidents: &mut IncidentCache,
    ) -> Result<Evidence, String> {
        let deployment_type =
            <plumb_records::deployment::Deployment as plumb_records::Record>::PREDICATE_TYPE;
        for i in appended(l, deployment_type, self.deployments_after)? {
            let record =
                plumb_incident::store::deployment_record(l, i).map_err(|e| e.to_string())?;
            self.deployments.extend(record.and_then(deployment_fact));
            self.deployments_after = Some(i);
        }
        for i in appended(
            l,
            plumb_gate::decision::PREDICATE_TYPE,
            self.decisions_after,
        )? {
            // A store failure stops here: the decision is not passed over for good.
            let read =
                plumb_gate::evidence::read_decision_or_fail(l, i).map_err(|e| e.to_string())?;
            self.decisions.extend(read.and_then(decision_fact));
            self.decisions_after = Some(i);
        }
        let mut incidents: Vec<IncidentFact> = incidents
            .all(l)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter_map(incident_fact)
            .collect();
        // In id order, as from a pack: the explanation lists reasons in this order.
        incidents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Evidence {
            deployments: self.deployments.clone(),
            incidents,
            decisions: self.decisions.clone(),
        })
    }
}

/// Entries of `predicate_type` after `after`, in log order.
fn appended(l: &mut Ledger, predicate_type: &str, after: Option<u64>) -> Result<Vec<u64>, String> {
    l.query(&plumb_ledger::store::Query {
        predicate_type: Some(predicate_type.into()),
        after,
        ..Default::default()
    })
    .map_err(|e| e.to_string())
}

/// A deployment record as the measures see it; `None` when its times do not parse.
fn deployment_fact(d: plumb_incident::store::DeploymentRecord) -> Option<DeploymentFact> {
    Some(DeploymentFact {
        entry: d.entry,
        // Imported history says when it was deployed; a pipeline's record is made then.
        time: match d.record.deployed_at.as_deref() {
            Some(t) => time(t)?,
            None => time(&d.time)?,
        },
        production: d.record.is_production(),
        status: d.record.status,
        commits: d
            .record
            .commits
            .iter()
            .map(|c| (c.sha.clone(), c.time.as_deref().and_then(time)))
            .collect(),
        change: d.record.change,
        remedies: d.record.remedies,
        system: d.system,
        commit: d.commit,
    })
}

/// An incident as the measures see it; `None` when its detection time does not parse.
fn incident_fact(inc: plumb_incident::event::Incident) -> Option<IncidentFact> {
    Some(IncidentFact {
        detected_at: time(&inc.detected_at)?,
        resolved_at: inc.resolved_at.as_deref().and_then(time),
        deployments: inc
            .links
            .iter()
            .map(|l| (l.entry, l.method.clone()))
            .collect(),
        major: inc.classification.as_ref().map(|c| c.major),
        id: inc.id,
    })
}

/// A gate decision as the measures believe it: signed by the store key (pipelines cannot write
/// them through the server; others are not believed).
fn decision_fact(r: plumb_gate::evidence::RecordedDecision) -> Option<DecisionFact> {
    if !r.store_signed {
        return None;
    }
    Some(DecisionFact {
        entry: r.index,
        system: r.entry.system.clone().unwrap_or_default(),
        commit: r.decision.commit.clone(),
        time: time(&r.entry.time)?,
        result: r.decision.result.name(),
        critical: r.decision.findings.critical,
        high: r.decision.findings.high,
    })
}

/// The same evidence from entries already verified elsewhere (an evidence pack, offline):
/// deployment records as they are, incident events and gate decisions only when `store_key`
/// signed them (the server's own records), folded and read as [`read`] reads them from a store.
pub fn from_entries(
    entries: &[(u64, plumb_ledger::entry::LogEntry)],
    store_key: &plumb_ledger::keys::PublicKey,
) -> Evidence {
    use plumb_records::Record;
    use plumb_records::deployment::Deployment;
    let key = std::slice::from_ref(store_key);
    let mut ev = Evidence::default();
    let mut events: std::collections::BTreeMap<String, Vec<(u64, plumb_incident::event::Event)>> =
        std::collections::BTreeMap::new();
    for (i, e) in entries {
        let Ok(st) = e.statement() else { continue };
        let store_signed = || e.envelope.verify(key).is_ok();
        if st.predicate_type == Deployment::PREDICATE_TYPE {
            let Ok(record) = Deployment::from_predicate(&st.predicate) else {
                continue;
            };
            let when = record.deployed_at.as_deref().unwrap_or(&e.time);
            let Some(t) = time(when) else { continue };
            ev.deployments.push(DeploymentFact {
                entry: *i,
                system: e.system.clone().unwrap_or_default(),
                commit: st
                    .subject
                    .iter()
                    .find_map(|s| s.digest.get("gitCommit").cloned()),
                time: t,
                status: record.status,
                production: record.is_production(),
                commits: record
                    .commits
                    .iter()
                    .map(|c| (c.sha.clone(), c.time.as_deref().and_then(time)))
                    .collect(),
                change: record.change,
                remedies: record.remedies,
            });
        } else if st.predicate_type == plumb_incident::event::PREDICATE_TYPE && store_signed() {
            if let Ok(event) = plumb_incident::event::Event::from_predicate(&st.predicate) {
                events
                    .entry(event.incident.clone())
                    .or_default()
                    .push((*i, event));
            }
        } else if st.predicate_type == plumb_gate::decision::PREDICATE_TYPE && store_signed() {
            let Ok(d) = plumb_gate::Decision::from_predicate(&st.predicate) else {
                continue;
            };
            let Some(t) = time(&e.time) else { continue };
            ev.decisions.push(DecisionFact {
                entry: *i,
                system: e.system.clone().unwrap_or_default(),
                commit: d.commit.clone(),
                time: t,
                result: d.result.name(),
                critical: d.findings.critical,
                high: d.findings.high,
            });
        }
    }
    for (_, evs) in events {
        let Ok(inc) = plumb_incident::event::fold(&evs) else {
            continue;
        };
        ev.incidents.extend(incident_fact(inc));
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use plumb_ledger::{InitOptions, RecordRequest};

    fn deploy(l: &mut Ledger, system: &str, predicate: serde_json::Value, at: &str) {
        l.record(
            RecordRequest {
                subjects: vec![plumb_ledger::statement::Subject {
                    name: format!("{system} {at}"),
                    digest: [("sha256".to_string(), plumb_base::sha256_hex(at.as_bytes()))].into(),
                }],
                predicate_type:
                    <plumb_records::deployment::Deployment as plumb_records::Record>::PREDICATE_TYPE
                        .into(),
                predicate,
                system: Some(system.into()),
                ..Default::default()
            },
            at.parse().unwrap(),
        )
        .unwrap();
    }

    /// The server's incremental read gives what a fresh read gives at every step: records
    /// appended between calls, one that does not parse, others that are no deployment.
    #[test]
    fn the_cache_reads_what_a_fresh_read_reads_as_the_log_grows() {
        let d = tempfile::tempdir().unwrap();
        let mut l = Ledger::init(&d.path().join("s"), InitOptions::default()).unwrap();
        let mut cache = FactsCache::default();
        let mut incidents = IncidentCache::default();
        let mut same = |l: &mut Ledger, step: &str| {
            let fresh = read(l).unwrap();
            assert_eq!(cache.read(l, &mut incidents).unwrap(), fresh, "{step}");
            fresh
        };
        assert!(same(&mut l, "empty").deployments.is_empty());
        let ok = serde_json::json!({"environment": "production"});
        deploy(&mut l, "payments", ok.clone(), "2026-11-01T10:00:00Z");
        same(&mut l, "one");
        deploy(
            &mut l,
            "payments",
            serde_json::json!({"environment": 7}),
            "2026-11-02T10:00:00Z",
        );
        deploy(&mut l, "identity", ok.clone(), "2026-11-03T10:00:00Z");
        same(&mut l, "a record that does not parse, then another");
        deploy(&mut l, "identity", ok, "2026-11-04T10:00:00Z");
        let ev = same(&mut l, "three");
        assert_eq!(ev.deployments.len(), 3);
        same(&mut l, "unchanged");
    }
}
