//! `plumb demo`: a small bank on a fresh embedded store. Eight changes across four systems go
//! through the real gate (passing, failing, a waiver, a break-glass override); every decision
//! and every deployment is signed into the ledger with its inputs as blobs; the bank's
//! architecture model is checked and compared with the deployments; an auditor's pack is
//! exported and verified offline; then the web UI is served with an auditor token.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use plumb_gate::samples::{COMMIT, approvals, change, junit, lcov, sarif, sbom, trivy};
use plumb_gate::{BreakGlassRequest, GateConfig, GateRequest, Outcome};
use plumb_ingest::Kind;
use plumb_ledger::statement::Subject;
use plumb_ledger::store::Query;
use plumb_ledger::verify::VerifyOptions;
use plumb_ledger::{InitOptions, Ledger, RecordRequest};

use crate::cli::Format;
use crate::model::DEPLOYMENT;
use crate::output::{Failure, emit, mark};

/// The demo bank's architecture, shipped in the binary (examples/model/bank.yaml).
const BANK_MODEL: &str = include_str!("../../../examples/model/bank.yaml");
const INCIDENT_CONFIG: &str = include_str!("../../../examples/incident/incident.yaml");
const ASSESSMENT: &str = include_str!("../../../examples/incident/assessment.yaml");
const INITIAL_DETAILS: &str = include_str!("../../../examples/incident/initial.yaml");

/// Monitoring fires on payments 90 minutes before `now`; the incident is opened from the
/// Alertmanager webhook (linked to the deployments before it), classified with the example
/// assessment an hour before `now`, and its initial notification generated but not yet
/// submitted, so its clock is running when the UI opens. Returns the incident's view.
fn run_incident(
    l: &mut Ledger,
    dir: &Path,
    model: &plumb_model::Model,
    now: DateTime<Utc>,
) -> Result<(std::path::PathBuf, plumb_incident::ops::View), Failure> {
    use plumb_incident::ops::{self, Ctx, Op};
    let fail = |e: plumb_incident::Error| Failure::usage(e.to_string());
    let cfg_path = dir.join("incident.yaml");
    std::fs::write(
        &cfg_path,
        INCIDENT_CONFIG.replace("model: ../model/bank.yaml", "model: bank.yaml"),
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    let config = plumb_incident::config::Config::load(&cfg_path).map_err(fail)?;
    let fired = now - Duration::minutes(90);
    let webhook = json!({"version": "4", "groupKey": "{}:{alertname=\"PaymentsErrorRate\"}", "status": "firing", "receiver": "plumbline",
        "alerts": [{"status": "firing", "labels": {"alertname": "PaymentsErrorRate", "service": "payments", "severity": "critical", "env": "production"},
        "annotations": {"summary": "Payments API: 38 % of card payments fail with 5xx"}, "startsAt": plumb_incident::error::fmt_time(fired),
        "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "7d1e3c55aa10b2f4"}]});
    let alerts =
        plumb_incident::alerts::alertmanager(webhook.to_string().as_bytes()).map_err(fail)?;
    let ctx = |at: DateTime<Utc>, who: &str| Ctx {
        config: &config,
        model: Some(model),
        now: at,
        actor: who.into(),
    };
    let at = fired + Duration::minutes(1);
    let (evs, out) = ops::alerts(l, &ctx(at, "alertmanager (recorder)"), &alerts).map_err(fail)?;
    plumb_incident::store::append(l, &evs, at).map_err(fail)?;
    let id = out
        .opened
        .first()
        .cloned()
        .ok_or_else(|| Failure::usage("the demo alert opened no incident"))?;
    let assessment =
        plumb_incident::classify::parse_assessment(ASSESSMENT.as_bytes(), "assessment.yaml")
            .map_err(fail)?;
    let details =
        plumb_incident::report::parse_details(INITIAL_DETAILS.as_bytes()).map_err(fail)?;
    for (at, op) in [
        (now - Duration::minutes(60), Op::Classify { assessment }),
        (
            now - Duration::minutes(30),
            Op::Report {
                stage: plumb_incident::clock::Stage::Initial,
                details,
            },
        ),
    ] {
        let evs = ops::apply(l, &ctx(at, "dana (incident-manager)"), &id, &op).map_err(fail)?;
        plumb_incident::store::append(l, &evs, at).map_err(fail)?;
    }
    let inc = plumb_incident::store::load(l, &id).map_err(fail)?;
    // The initial notification as the authority takes it: the demo's document must pass every
    // IR rule, or the demo itself fails.
    let ir = inc
        .reports
        .get(&plumb_incident::clock::Stage::Initial)
        .and_then(|r| r.ir.clone())
        .ok_or_else(|| Failure::usage("the demo's initial notification has no IR document"))?;
    let broken = plumb_incident::ir::rules::check(&ir, Default::default());
    if let Some(v) = broken.first() {
        return Err(Failure::usage(format!(
            "the demo's initial notification breaks an IR rule: {v}"
        )));
    }
    std::fs::write(
        dir.join("initial-notification.json"),
        serde_json::to_vec_pretty(&ir).map_err(|e| Failure::usage(e.to_string()))?,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    Ok((cfg_path, ops::view(inc, &config, now).map_err(fail)?))
}

/// Marks a directory as made by `plumb demo`, so a later demo may replace it.
const MARKER: &str = ".plumb-demo";

/// Empties `dir` if an earlier demo made it; refuses to touch any other non-empty directory.
fn prepare_dir(dir: &Path) -> Result<(), Failure> {
    let non_empty = std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if non_empty {
        if !dir.join(MARKER).exists() {
            return Err(Failure::usage(format!(
                "{} exists and was not made by plumb demo",
                dir.display()
            ))
            .hint("choose another --dir"));
        }
        std::fs::remove_dir_all(dir)
            .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
    std::fs::write(
        dir.join(MARKER),
        "made by plumb demo; the next demo run replaces this directory\n",
    )
    .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))
}

/// One change going through the pipeline.
struct Change {
    system: &'static str,
    criticality: &'static str,
    story: &'static str,
    sarif_level: &'static str,
    failures: u32,
    covered: u32,
    scan_age_days: i64,
    waiver: bool,
    break_glass: bool,
}

const CHANGES: [Change; 8] = [
    Change {
        system: "payments",
        criticality: "critical",
        story: "high SAST finding: denied",
        sarif_level: "error",
        failures: 0,
        covered: 86,
        scan_age_days: 1,
        waiver: false,
        break_glass: false,
    },
    Change {
        system: "payments",
        criticality: "critical",
        story: "same finding, waived by security: passes",
        sarif_level: "error",
        failures: 0,
        covered: 86,
        scan_age_days: 1,
        waiver: true,
        break_glass: false,
    },
    Change {
        system: "onboarding",
        criticality: "important",
        story: "clean: passes",
        sarif_level: "note",
        failures: 0,
        covered: 91,
        scan_age_days: 2,
        waiver: false,
        break_glass: false,
    },
    Change {
        system: "onboarding",
        criticality: "important",
        story: "a failing test: denied",
        sarif_level: "note",
        failures: 1,
        covered: 90,
        scan_age_days: 2,
        waiver: false,
        break_glass: false,
    },
    Change {
        system: "identity",
        criticality: "critical",
        story: "clean: passes",
        sarif_level: "warning",
        failures: 0,
        covered: 88,
        scan_age_days: 1,
        waiver: false,
        break_glass: false,
    },
    Change {
        system: "identity",
        criticality: "critical",
        story: "coverage 70% during an outage: break-glass override",
        sarif_level: "warning",
        failures: 0,
        covered: 70,
        scan_age_days: 1,
        waiver: false,
        break_glass: true,
    },
    Change {
        system: "core-ledger",
        criticality: "critical",
        story: "vulnerability scan 10 days old: denied",
        sarif_level: "note",
        failures: 0,
        covered: 84,
        scan_age_days: 10,
        waiver: false,
        break_glass: false,
    },
    Change {
        system: "core-ledger",
        criticality: "critical",
        story: "rescanned: passes",
        sarif_level: "note",
        failures: 0,
        covered: 84,
        scan_age_days: 0,
        waiver: false,
        break_glass: false,
    },
];

fn run_change(
    l: &mut Ledger,
    dir: &Path,
    n: usize,
    c: &Change,
    when: DateTime<Utc>,
) -> Result<(u64, Outcome), Failure> {
    let commit = plumb_ledger::hash::hex(&plumb_ledger::hash::sha256(
        format!("{}-{n}", c.system).as_bytes(),
    ))[..40]
        .to_string();
    let for_commit = |s: String| s.replace(COMMIT, &commit);
    let inputs: Vec<(Kind, &str, String)> = vec![
        (Kind::Sast, "bandit.sarif", sarif(c.sarif_level, "B602")),
        (Kind::Tests, "junit.xml", junit(c.failures)),
        (Kind::Coverage, "coverage.lcov", lcov(c.covered, 100)),
        (Kind::Sbom, "sbom.cdx.json", sbom()),
        (
            Kind::Vulns,
            "trivy.json",
            trivy(when, c.scan_age_days, "MEDIUM"),
        ),
        (Kind::Secrets, "gitleaks.json", "[]".into()),
        (
            Kind::Change,
            "change.json",
            for_commit(change("production", true)),
        ),
        (
            Kind::Approvals,
            "approvals.json",
            for_commit(approvals(false)),
        ),
    ];
    let reports = dir.join("reports").join(format!("{}-{n}", c.system));
    std::fs::create_dir_all(&reports).map_err(|e| Failure::usage(e.to_string()))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for (_, name, body) in &inputs {
        let p = reports.join(name);
        std::fs::write(&p, body).map_err(|e| Failure::usage(e.to_string()))?;
        files.push(p);
    }
    let waivers = if c.waiver {
        let w = format!(
            "waivers:\n  - id: W-{n:03}\n    match: {{tool: bandit, rule: B602, path: app/payments.py}}\n    justification: the command is a fixed string; input never reaches the shell\n    owner: payments-team\n    approver: sec-lina\n    approved_at: \"{}\"\n    expires_at: \"{}\"\n",
            (when - Duration::days(2)).to_rfc3339(),
            (when + Duration::days(30)).to_rfc3339()
        );
        let p = reports.join("waivers.yaml");
        std::fs::write(&p, &w).map_err(|e| Failure::usage(e.to_string()))?;
        files.push(p);
        vec![("waivers.yaml".to_string(), w)]
    } else {
        vec![]
    };
    let config = GateConfig {
        system: Some(c.system.into()),
        criticality: c.criticality.into(),
        executives: vec!["cto-maria".into()],
        ..Default::default()
    };
    let req = GateRequest {
        config,
        inputs: inputs
            .iter()
            .map(|(k, name, body)| (*k, name.to_string(), body.clone().into_bytes()))
            .collect(),
        waivers,
        policies: vec![],
        now: when,
        break_glass: c.break_glass.then(|| BreakGlassRequest {
            justification: "INC-2211 identity outage: hotfix must ship now".into(),
            approver: "cto-maria".into(),
        }),
        origin: None,
    };
    let d = plumb_gate::evaluate(&req);
    let subject = |c: &str| Subject {
        name: format!("commit {c}"),
        digest: [("gitCommit".to_string(), c.to_string())].into(),
    };
    let run = format!("{}-pipeline-{}", c.system, 100 + n);
    let index = record_decision(l, &d, c.system, &run, files, when)?;
    if d.allowed() {
        l.record(
            RecordRequest {
                subjects: vec![subject(&commit)],
                predicate_type: DEPLOYMENT.into(),
                predicate: plumb_records::Record::to_predicate(
                    &plumb_records::deployment::Deployment {
                        change_id: Some(format!("CHG-{}", 4700 + n)),
                        gate_decision: Some(index),
                        rollback_plan: Some("https://wiki.bank.example/runbooks/rollback".into()),
                        ..plumb_records::deployment::Deployment::new("production")
                    },
                ),
                system: Some(c.system.into()),
                run: Some(format!("{}-pipeline-{}", c.system, 100 + n)),
                attachments: vec![],
            },
            when + Duration::minutes(4),
        )?;
    }
    Ok((index, d.result))
}

/// Records a decision as `plumb gate --record` and the server do (one builder for all three).
fn record_decision(
    l: &mut plumb_ledger::Ledger,
    d: &plumb_gate::Decision,
    system: &str,
    run: &str,
    files: Vec<PathBuf>,
    when: DateTime<Utc>,
) -> Result<u64, Failure> {
    let rec = plumb_gate::record::decision_record(d, vec![]);
    let (index, _) = l.record(
        RecordRequest {
            subjects: rec.subjects,
            predicate_type: plumb_gate::decision::PREDICATE_TYPE.into(),
            predicate: plumb_records::Record::to_predicate(&rec.predicate),
            system: Some(system.into()),
            run: Some(run.into()),
            attachments: files,
        },
        when,
    )?;
    Ok(index)
}

/// The payments team's infrastructure pipeline: the example plan, denied for an unencrypted
/// bucket holding personal data outside the allowed regions, and its fix, which passes.
const INFRA_PLANS: [(&str, &str, &str); 2] = [
    (
        "plan-denied.json",
        include_str!("../../../examples/infra/plan-denied.json"),
        "infra plan: unencrypted bucket, personal data in us-east-1",
    ),
    (
        "plan-fixed.json",
        include_str!("../../../examples/infra/plan-fixed.json"),
        "infra plan fixed: encrypted, in eu-central-1",
    ),
];

/// Gates and records one infrastructure plan of the payments system.
fn run_infra(
    l: &mut plumb_ledger::Ledger,
    dir: &Path,
    k: usize,
    when: DateTime<Utc>,
) -> Result<(u64, Outcome), Failure> {
    let (name, plan, _) = INFRA_PLANS[k % INFRA_PLANS.len()];
    let config = GateConfig::parse(
        "examples/infra/plumb-gate.yaml",
        include_str!("../../../examples/infra/plumb-gate.yaml"),
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    let reports = dir.join("reports").join("payments-infra");
    std::fs::create_dir_all(&reports).map_err(|e| Failure::usage(e.to_string()))?;
    let path = reports.join(name);
    std::fs::write(&path, plan).map_err(|e| Failure::usage(e.to_string()))?;
    let req = GateRequest {
        config,
        inputs: vec![(Kind::Infra, name.to_string(), plan.as_bytes().to_vec())],
        waivers: vec![],
        policies: vec![],
        now: when,
        break_glass: None,
        origin: None,
    };
    let d = plumb_gate::evaluate(&req);
    let index = record_decision(
        l,
        &d,
        "payments",
        &format!("payments-infra-{}", 300 + k),
        vec![path],
        when,
    )?;
    Ok((index, d.result))
}

pub fn run(
    dir: &Path,
    format: Format,
    now: DateTime<Utc>,
    serve: Option<std::net::SocketAddr>,
) -> Result<ExitCode, Failure> {
    prepare_dir(dir)?;
    let store = dir.join("store");
    let mut l = Ledger::init(
        &store,
        InitOptions {
            origin: Some("demo.plumbline.local/bank".into()),
            ..Default::default()
        },
    )
    .map_err(|e| {
        Failure::from(e).hint(format!("choose another --dir, or remove {}", dir.display()))
    })?;

    // Eight weeks of delivery before the day shown, for `plumb metrics`.
    let history = crate::demo_history::record(&mut l, now - Duration::hours(9))?;
    let mut outcomes = Vec::new();
    for (n, c) in CHANGES.iter().enumerate() {
        let when = now - Duration::hours(8) + Duration::minutes(45 * n as i64);
        let (i, r) = run_change(&mut l, dir, n, c, when)?;
        outcomes.push((c.system, c.story, i, r));
    }
    for (k, (_, _, story)) in INFRA_PLANS.iter().enumerate() {
        let when = now - Duration::hours(1) + Duration::minutes(20 * k as i64);
        let (i, r) = run_infra(&mut l, dir, k, when)?;
        outcomes.push(("payments", story, i, r));
    }

    let model_path = dir.join("bank.yaml");
    std::fs::write(&model_path, BANK_MODEL).map_err(|e| Failure::usage(e.to_string()))?;
    let model = plumb_model::load(&model_path).map_err(|e| Failure::usage(e.to_string()))?;
    let model_report = plumb_model::check::check(&model, plumb_model::check::Options::default());
    let (model_entry, _) = l.record(
        RecordRequest {
            subjects: vec![model_report.subject("bank.yaml")],
            predicate_type: crate::model::MODEL_CHECK.into(),
            predicate: plumb_records::Record::to_predicate(&model_report),
            system: None,
            run: None,
            attachments: vec![model_path.clone()],
        },
        now,
    )?;
    let drift = plumb_model::drift::drift(
        &model,
        &plumb_incident::observed::observed_in(&mut l)
            .map_err(|e| Failure::usage(e.to_string()))?,
    );
    // Architecture to code: the services the model marks for generation.
    let services_dir = dir.join("bank-services");
    let generation = plumb_scaffold::generate(
        &model,
        &plumb_scaffold::Options {
            // Recorded relative to the generated repository, as `plumb scaffold` records it, so
            // `plumb scaffold --out DIR --check` agrees from any working directory.
            model_source: plumb_scaffold::manifest::portable(&services_dir, &model_path),
            ..Default::default()
        },
        &plumb_scaffold::template::Catalog::embedded(),
    )?;
    let plan = plumb_scaffold::sync::plan(&services_dir, &generation, false, &[])?;
    plumb_scaffold::sync::apply(&services_dir, &generation, &plan)?;
    let scaffolded: Vec<String> = generation
        .services
        .iter()
        .map(|s| format!("{} ({})", s.slug, s.template))
        .collect();
    let (incident_cfg, incident) = run_incident(&mut l, dir, &model, now)?;
    let (drill_entry, watch_entry, watched) =
        crate::demo_resilience::record(&mut l, dir, &model, now)?;
    let register = crate::demo_register::record(&mut l, dir, &model_path, now)?;
    let (cp, _) = l.checkpoint(now)?;
    let pack = dir.join("payments-evidence.tar");
    let summary = l.export(
        &Query {
            system: Some("payments".into()),
            ..Default::default()
        },
        &pack,
        now,
    )?;
    let pubkey = dir.join("signing.pub");
    std::fs::write(&pubkey, format!("{}\n", l.public_key().to_text()))
        .map_err(|e| Failure::usage(e.to_string()))?;
    let file = std::fs::File::open(&pack).map_err(|e| Failure::usage(e.to_string()))?;
    let pack_ok =
        plumb_ledger::pack::verify_pack_from(std::io::BufReader::new(file), &[l.public_key()])
            .is_ok();
    let rep = l.verify(VerifyOptions::default())?;
    let size = l.size()?;
    drop(l);
    let store_s = store.display().to_string();
    let token = match serve {
        Some(_) => {
            let mut t = plumb_server::tokens::Tokens::load(&store).map_err(Failure::usage)?;
            Some(
                t.create(
                    plumb_server::tokens::Role::Auditor,
                    vec![],
                    "demo auditor",
                    None,
                    now,
                )
                .map_err(Failure::usage)?
                .0,
            )
        }
        None => None,
    };
    let ok = pack_ok && rep.ok() && model_report.ok() && register.blocking == 0;
    emit(
        format,
        || {
            let mut s = String::from("Plumbline demo: a small bank's changes, proven\n\n");
            for (sys, story, i, r) in &outcomes {
                s.push_str(&format!(
                    "  {sys:<12} {:<9} entry {i:<3} {story}\n",
                    format!("{r:?}").to_uppercase()
                ));
            }
            s.push_str(&format!(
                "\nstore        {store_s} (embedded SQLite, log demo.plumbline.local/bank)\n\
                 evidence     {size} signed statements; checkpoint at tree size {}\n\
                 pack         {} ({} entries, {} blobs) for system payments; verify-pack {}\n\
                 verify       {} ({} entries, {} signatures)\n\
                 model        {} ({} critical or important functions, {} findings; check recorded as entry {model_entry})\n\
                 history      {history} deployments over the eight weeks before (commit times, a failed run, a rollback, a fix-forward)\n\
                 drift        {} finding(s) between the model and the recorded deployments\n\
                 scaffold     {} generated from the model into {} ({} files)\n\
                 incident     {} {} ({}), linked to {} deployment(s); initial notification due {}\n\
                 report       {} (IR 1.2.1 JSON for the authority; every rule holds)\n\
                 resilience   failover drill recorded as entry {drill_entry}; watch of payments deployment {} successful (entry {watch_entry}, replayed samples)\n\
                 register     {} ({} rows; {} blocking finding(s); recorded as entry {})\n\n\
                 Try:\n\
                 \x20 plumb --store {store_s} log --system payments\n\
                 \x20 plumb --store {store_s} metrics --granularity week\n\
                 \x20 plumb --store {store_s} show {}\n\
                 \x20 plumb model impact {} prov-cloudco\n\
                 \x20 plumb --store {store_s} incident --config {} show {}\n\
                 \x20 plumb --store {store_s} resilience status --model {}\n\
                 \x20 plumb incident validate {}\n\
                 \x20 plumb register check {} --model {}\n\
                 \x20 plumb verify-pack {} --trusted-key {}\n\
                 \x20 plumb scaffold --out {} --verify\n",
                cp.size, pack.display(), summary.entries, summary.blobs, mark(pack_ok), mark(rep.ok()), rep.entries, rep.signatures_checked,
                mark(model_report.ok()), model_report.functions.len(), model_report.findings.len(), drift.len(),
                scaffolded.join(", "), services_dir.display(), generation.files.len(),
                incident.incident.id, if incident.major { "MAJOR" } else { "not major" }, incident.incident.title, incident.incident.links.len(),
                incident.deadlines.first().map(|d| d.due_local.clone()).unwrap_or_default(),
                dir.join("initial-notification.json").display(),
                watched.map_or("-".to_string(), |w| w.to_string()),
                register.package.display(), register.rows, register.blocking, register.entry,
                outcomes[0].2, model_path.display(), incident_cfg.display(), incident.incident.id,
                model_path.display(),
                dir.join("initial-notification.json").display(), register.package.display(), model_path.display(), pack.display(), pubkey.display(),
                services_dir.display()
            ));
            if let (Some(addr), Some(t)) = (serve, &token) {
                s.push_str(&format!("\nweb UI       http://{addr}/ui   (log in with the auditor token below; Ctrl-C stops)\nauditor token {t}\n"));
            }
            s
        },
        json!({"store": store, "entries": size, "decisions": outcomes.iter().map(|(s, story, i, r)| json!({"system": s, "story": story, "entry": i, "result": r})).collect::<Vec<_>>(),
               "checkpoint_size": cp.size, "pack": pack, "pack_summary": summary, "pack_verified": pack_ok, "verify_ok": rep.ok(), "model_ok": model_report.ok(), "drift": drift, "incident": incident, "history_deployments": history, "resilience": {"drill": drill_entry, "watch": watch_entry, "watched_deployment": watched},
               "register": {"package": register.package, "file": register.file, "entry": register.entry, "rows": register.rows, "blocking": register.blocking},
               "scaffold": {"dir": services_dir, "services": scaffolded, "files": generation.files.len()},
               "ui": serve.map(|a| format!("http://{a}/ui")), "auditor_token": token}),
    )?;
    if !ok {
        return Ok(ExitCode::from(1));
    }
    if let Some(addr) = serve {
        crate::serve::serve(plumb_server::ServerConfig {
            incidents: Some(incident_cfg),
            ..plumb_server::ServerConfig::new(store.clone(), addr)
        })?;
    }
    Ok(ExitCode::SUCCESS)
}
