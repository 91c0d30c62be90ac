//! The records of a watch, written and read here only: the post-deployment verification (signed
//! by the store key, the verified commit as subject), the rollback as a deployment marked
//! rollback that remedies the watched one, and the incident opened for a failed watch. Read
//! back, only verifications signed by the store key are believed.

use chrono::{DateTime, Utc};

use plumb_incident::ops::{Ctx, OpenRequest};
use plumb_incident::store::DeploymentRecord;

/// Entry `i` as a deployment record (parsed in one place, `plumb_incident::store`).
fn deployment_record(l: &mut Ledger, i: u64) -> Result<Option<DeploymentRecord>, Error> {
    plumb_incident::store::deployment_record(l, i)
        .map_err(|e| Error::Input(format!("reading deployment {i}: {e}")))
}
use plumb_ledger::statement::Subject;
use plumb_ledger::{Ledger, RecordRequest};
use plumb_records::Record;
use plumb_records::deployment::{ChangeKind, Deployment, Status};
use plumb_records::verification::Verification;

use super::rollback::RollbackRun;
use crate::Error;

/// The deployment to watch: entry `explicit`, which must be a deployment of `system` to
/// `environment` that shipped, or else the latest such deployment. Reads the system's
/// deployments newest first and stops at the first match. The refusal names nothing beyond
/// the question: whether an entry is another system's deployment is not told.
pub fn target(
    l: &mut Ledger,
    system: &str,
    environment: &str,
    explicit: Option<u64>,
) -> Result<Option<DeploymentRecord>, Error> {
    for i in l.query(&plumb_ledger::store::Query {
        predicate_type: Some(Deployment::PREDICATE_TYPE.into()),
        system: Some(system.to_string()),
        newest_first: true,
        ..Default::default()
    })? {
        if explicit.is_some_and(|n| i < n) {
            break;
        }
        if explicit.is_some_and(|n| i != n) {
            continue;
        }
        let Some(d) = deployment_record(l, i)? else {
            continue;
        };
        if d.system == system
            && d.record.shipped()
            && d.record.environment.eq_ignore_ascii_case(environment)
        {
            return Ok(Some(d));
        }
    }
    match explicit {
        Some(n) => Err(Error::Input(format!(
            "entry {n} is not a deployment of {system} to {environment} that shipped"
        ))),
        None => Ok(None),
    }
}

/// The deployment of the same system and environment that shipped before `d`: what a rollback
/// returns to.
pub fn previous(l: &mut Ledger, d: &DeploymentRecord) -> Result<Option<DeploymentRecord>, Error> {
    let all = plumb_incident::store::deployment_records(l)
        .map_err(|e| Error::Input(format!("reading deployments: {e}")))?;
    Ok(all
        .into_iter()
        .filter(|p| {
            p.entry < d.entry
                && p.system == d.system
                && p.record.shipped()
                && p.record.change != ChangeKind::Rollback
                && p.record.environment == d.record.environment
        })
        .max_by_key(|p| p.entry))
}

fn commit_subject(commit: Option<&str>, fallback: &str, content: &[u8]) -> Subject {
    match commit {
        Some(c) => Subject {
            name: fallback.to_string(),
            digest: [("gitCommit".to_string(), c.to_string())].into(),
        },
        None => Subject {
            name: fallback.to_string(),
            digest: [("sha256".to_string(), plumb_base::sha256_hex(content))].into(),
        },
    }
}

/// The verification as a record request: the verified commit as subject when known, the
/// system as label. Both the local store and the server write it through here.
pub fn verification_request(v: &Verification, commit: Option<&str>) -> RecordRequest {
    let predicate = v.to_predicate();
    let bytes = serde_json::to_vec(&predicate).unwrap_or_default();
    RecordRequest {
        subjects: vec![commit_subject(
            commit,
            &format!("watch of {}", v.system),
            &bytes,
        )],
        predicate_type: Verification::PREDICATE_TYPE.into(),
        predicate,
        system: Some(v.system.clone()),
        run: None,
        attachments: vec![],
    }
}

/// Records the verification in a local store.
pub fn record_verification(
    l: &mut Ledger,
    v: &Verification,
    commit: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let (index, _) = l.record(verification_request(v, commit), now)?;
    Ok(index)
}

/// The rollback of deployment entry `failed` of `system` as a deployment record request:
/// marked rollback, remedying it, back to `previous_commit` when known; with the command's
/// output (returned beside the request, to keep as a blob). A rollback command that did not
/// succeed is a failed deployment: the evidence says it was tried.
pub fn rollback_request(
    system: &str,
    environment: &str,
    failed: u64,
    previous_commit: Option<&str>,
    run: &RollbackRun,
) -> (RecordRequest, String) {
    let mut d = Deployment::new(environment);
    d.status = if run.succeeded() {
        Status::Succeeded
    } else {
        Status::Failed
    };
    d.change = ChangeKind::Rollback;
    d.remedies = Some(failed);
    d.rollback_plan = Some(run.command.join(" "));
    let output = format!(
        "$ {}\n{}\n{}\n",
        run.command.join(" "),
        run.output,
        run.error.as_deref().unwrap_or("exit 0")
    );
    let req = RecordRequest {
        subjects: vec![commit_subject(
            previous_commit,
            &format!("rollback of {system} (entry {failed})"),
            output.as_bytes(),
        )],
        predicate_type: Deployment::PREDICATE_TYPE.into(),
        predicate: d.to_predicate(),
        system: Some(system.to_string()),
        run: None,
        attachments: vec![],
    };
    (req, output)
}

/// Records the rollback of `failed` in a local store (see [`rollback_request`]), back to
/// `previous`'s commit when known; the command's output is kept as a blob.
pub fn record_rollback(
    l: &mut Ledger,
    failed: &DeploymentRecord,
    previous: Option<&DeploymentRecord>,
    run: &RollbackRun,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let (mut req, output) = rollback_request(
        &failed.system,
        &failed.record.environment,
        failed.entry,
        previous.and_then(|p| p.commit.as_deref()),
        run,
    );
    // Written exclusively, readable by this user only: the output may hold what the command
    // printed about the cluster. The blob store keeps its own copy.
    let file = std::env::temp_dir().join(format!(
        "plumb-rollback-{}-{}.log",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or_default()
    ));
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .map_err(|e| Error::Input(format!("{}: {e}", file.display())))?;
        f.write_all(output.as_bytes())
            .map_err(|e| Error::Input(format!("{}: {e}", file.display())))?;
    }
    req.attachments = vec![file.clone()];
    let result = l.record(req, now);
    let _ = std::fs::remove_file(&file);
    Ok(result?.0)
}

/// Opens the incident of a failed watch, linked to the deployment; classified later like any
/// other. Returns its id and the incident events to append.
pub fn incident(
    l: &mut Ledger,
    ctx: &Ctx,
    v: &Verification,
    deployment: Option<&DeploymentRecord>,
) -> Result<(String, Vec<plumb_incident::event::Event>), Error> {
    let req = OpenRequest {
        title: format!("Post-deployment verification failed: {}", v.system),
        description: format!(
            "plumb watch found {} degraded after its deployment{}: {}",
            v.system,
            deployment.map_or(String::new(), |d| format!(" (entry {})", d.entry)),
            v.reason
        ),
        detected_at: Some(v.ended_at.clone()),
        services: vec![v.system.clone()],
        discovery: Some("monitoring_systems".into()),
        caused_by: deployment
            .and_then(|d| d.commit.clone())
            .into_iter()
            .collect(),
    };
    plumb_incident::ops::open(l, ctx, &req)
        .map_err(|e| Error::Input(format!("opening the incident: {e}")))
}

/// What a progressive delivery controller asks: the latest deployment of a system to an
/// environment (of one commit, when given) and its verification, if one is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    /// The deployment's entry.
    pub deployment: u64,
    /// Its commit.
    pub commit: Option<String>,
    /// The store-signed verification of exactly that deployment, with its entry.
    pub verification: Option<(u64, Verification)>,
}

/// The latest deployment of `system` to `environment` that shipped (of `commit`, by its full
/// id or a prefix of at least 7 characters, any case) and the latest store-signed verification
/// of that deployment. Reads newest first and stops at the first match: a controller polls it.
/// `None` when no such deployment is recorded.
pub fn latest(
    l: &mut Ledger,
    system: &str,
    environment: &str,
    commit: Option<&str>,
) -> Result<Option<Latest>, Error> {
    use plumb_ledger::store::Query;
    let want = commit.map(str::to_ascii_lowercase);
    let mut found = None;
    for i in l.query(&Query {
        predicate_type: Some(Deployment::PREDICATE_TYPE.into()),
        system: Some(system.to_string()),
        newest_first: true,
        ..Default::default()
    })? {
        let Some(rec) = deployment_record(l, i)? else {
            continue;
        };
        let d = &rec.record;
        if !d.shipped() || !d.environment.eq_ignore_ascii_case(environment) {
            continue;
        }
        let c = rec.commit.as_deref().map(str::to_ascii_lowercase);
        let matches = match (&want, &c) {
            (None, _) => true,
            (Some(w), Some(c)) => c == w || (w.len() >= 7 && c.starts_with(w.as_str())),
            (Some(_), None) => false,
        };
        if matches {
            found = Some((i, c));
            break;
        }
    }
    let Some((deployment, commit)) = found else {
        return Ok(None);
    };
    let verification = of_deployment(l, system, deployment)?;
    Ok(Some(Latest {
        deployment,
        commit,
        verification,
    }))
}

/// The newest store-signed verification of `system` satisfying `pick`, reading newest first
/// and stopping at the first match or below entry `floor`.
fn newest(
    l: &mut Ledger,
    system: &str,
    floor: u64,
    pick: impl Fn(&Verification) -> bool,
) -> Result<Option<(u64, Verification)>, Error> {
    for i in l.query(&plumb_ledger::store::Query {
        predicate_type: Some(Verification::PREDICATE_TYPE.into()),
        system: Some(system.to_string()),
        newest_first: true,
        ..Default::default()
    })? {
        if i < floor {
            break;
        }
        if let Some(v) = crate::signed_at::<Verification>(l, i)?
            && pick(&v)
        {
            return Ok(Some((i, v)));
        }
    }
    Ok(None)
}

/// The latest store-signed verification of deployment entry `deployment` of `system`.
pub fn of_deployment(
    l: &mut Ledger,
    system: &str,
    deployment: u64,
) -> Result<Option<(u64, Verification)>, Error> {
    newest(l, system, deployment, |v| v.deployment == Some(deployment))
}

/// The latest store-signed verification of `system`, whatever it verified.
pub fn latest_of_system(
    l: &mut Ledger,
    system: &str,
) -> Result<Option<(u64, Verification)>, Error> {
    newest(l, system, 0, |v| v.system == system)
}
