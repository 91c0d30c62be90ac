//! The inputs of the measures, read from the ledger through the record types: deployments
//! (every status, with their commits and why they were made) and incidents with the
//! deployments they are linked to and how.

use chrono::{DateTime, Utc};
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
    let deployments = plumb_incident::store::deployment_records(l)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|d| {
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
        })
        .collect();
    let incidents = plumb_incident::store::all(l)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|inc| {
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
        })
        .collect();
    let decisions = decisions(l)?;
    // In id order, as from a pack: the explanation lists reasons in this order.
    let mut incidents: Vec<IncidentFact> = incidents;
    incidents.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Evidence {
        deployments,
        incidents,
        decisions,
    })
}

/// The store-signed gate decisions (pipelines cannot write them through the server; others are
/// not believed).
fn decisions(l: &mut Ledger) -> Result<Vec<DecisionFact>, String> {
    let ids = l
        .query(&plumb_ledger::store::Query {
            predicate_type: Some(plumb_gate::decision::PREDICATE_TYPE.into()),
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
    Ok(ids
        .into_iter()
        .filter_map(|i| plumb_gate::evidence::read_decision(l, i))
        .filter(|r| r.store_signed)
        .filter_map(|r| {
            Some(DecisionFact {
                entry: r.index,
                system: r.entry.system.clone().unwrap_or_default(),
                commit: r.decision.commit.clone(),
                time: time(&r.entry.time)?,
                result: r.decision.result.name(),
                critical: r.decision.findings.critical,
                high: r.decision.findings.high,
            })
        })
        .collect())
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
        let Some(detected_at) = time(&inc.detected_at) else {
            continue;
        };
        ev.incidents.push(IncidentFact {
            detected_at,
            resolved_at: inc.resolved_at.as_deref().and_then(time),
            deployments: inc
                .links
                .iter()
                .map(|l| (l.entry, l.method.clone()))
                .collect(),
            major: inc.classification.as_ref().map(|c| c.major),
            id: inc.id,
        });
    }
    ev
}
