//! An incident's whole life against a real ledger: an Alertmanager webhook opens it, linked to
//! the deployment that caused it; it is classified, reported in three stages and resolved;
//! every event is in the ledger and the incident is rebuilt from it. Impossible operations are
//! refused without writing anything.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use plumb_incident::config::Config;
use plumb_incident::ops::{self, Ctx, Op};
use plumb_incident::{alerts, clock::Stage, report, store};
use plumb_ledger::statement::Subject;
use plumb_ledger::{InitOptions, Ledger, RecordRequest};
use serde_json::json;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn deploy(l: &mut Ledger, system: &str, commit: &str, at: &str) -> u64 {
    l.record(
        RecordRequest {
            subjects: vec![Subject {
                name: format!("commit {commit}"),
                digest: [("gitCommit".to_string(), format!("{commit:0<40}"))].into(),
            }],
            predicate_type: store::DEPLOYMENT.into(),
            predicate: json!({"environment": "production", "change_id": "CHG-1"}),
            system: Some(system.into()),
            run: None,
            attachments: vec![],
        },
        t(at),
    )
    .unwrap()
    .0
}

fn webhook(status: &str, ends: &str) -> String {
    format!(
        r#"{{"version":"4","groupKey":"{{}}:{{alertname=\"PaymentsErrors\"}}","status":"{status}","receiver":"plumb",
        "alerts":[{{"status":"{status}","labels":{{"alertname":"PaymentsErrors","service":"payments","severity":"critical","env":"production"}},
        "annotations":{{"summary":"Payments API returns 5xx for card payments"}},
        "startsAt":"2026-11-16T08:00:00Z","endsAt":"{ends}","fingerprint":"a1b2c3"}}]}}"#
    )
}

fn details(name: &str) -> serde_json::Map<String, serde_json::Value> {
    report::parse_details(&std::fs::read(repo().join("examples/incident").join(name)).unwrap())
        .unwrap()
}

struct World {
    l: Ledger,
    config: Config,
    model: plumb_model::Model,
    _dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::init(&dir.path().join("store"), InitOptions::default()).unwrap();
        let config = Config::load(&repo().join("examples/incident/incident.yaml")).unwrap();
        let model = plumb_model::load(config.model.as_deref().unwrap()).unwrap();
        World {
            l,
            config,
            model,
            _dir: dir,
        }
    }

    fn op(&mut self, id: &str, now: &str, op: Op) -> plumb_incident::Result<u64> {
        let ctx = Ctx {
            config: &self.config,
            model: Some(&self.model),
            now: t(now),
            actor: "dana".into(),
        };
        let evs = ops::apply(&mut self.l, &ctx, id, &op)?;
        store::append(&mut self.l, &evs, t(now))
    }
}

fn ctx<'a>(config: &'a Config, model: &'a plumb_model::Model, now: &str) -> Ctx<'a> {
    Ctx {
        config,
        model: Some(model),
        now: t(now),
        actor: "dana".into(),
    }
}

#[test]
fn from_webhook_to_final_report() {
    let mut w = World::new();
    let _old = deploy(&mut w.l, "payments", "1111111aaaa", "2026-11-15T10:00:00Z");
    let cause = deploy(&mut w.l, "payments", "2222222bbbb", "2026-11-16T07:40:00Z");
    let ident = deploy(&mut w.l, "identity", "3333333cccc", "2026-11-16T06:00:00Z");
    let _after = deploy(&mut w.l, "payments", "4444444dddd", "2026-11-16T09:00:00Z");

    // The webhook opens one incident, linked by the heuristic to the payments release before
    // detection and, through the model, to identity (payments depends on it).
    let list = alerts::alertmanager(webhook("firing", "0001-01-01T00:00:00Z").as_bytes()).unwrap();
    let (evs, out) = ops::alerts(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T08:01:00Z"),
        &list,
    )
    .unwrap();
    assert_eq!(out.opened.len(), 1);
    store::append(&mut w.l, &evs, t("2026-11-16T08:01:00Z")).unwrap();
    let id = out.opened[0].clone();
    let inc = store::load(&mut w.l, &id).unwrap();
    assert_eq!(inc.detected_at, "2026-11-16T08:00:00Z");
    assert_eq!(inc.discovery, "monitoring_systems");
    let entries: Vec<(u64, &str)> = inc
        .links
        .iter()
        .map(|l| (l.entry, l.method.as_str()))
        .collect();
    assert_eq!(
        entries,
        [(cause, "heuristic"), (ident, "heuristic")],
        "{:#?}",
        inc.links
    );
    assert!(inc.links[1].reason.contains("payments depends on it"));

    // Alertmanager repeats the notification: nothing new.
    let (evs, out) = ops::alerts(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T08:05:00Z"),
        &list,
    )
    .unwrap();
    assert!(evs.is_empty() && out.duplicates.len() == 1 && out.opened.is_empty());

    // Reports before classification are refused; nothing is written.
    let size = w.l.size().unwrap();
    let e = w
        .op(
            &id,
            "2026-11-16T08:30:00Z",
            Op::Report {
                stage: Stage::Initial,
                details: Default::default(),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("not classified as major"), "{e}");
    assert_eq!(w.l.size().unwrap(), size);

    // Classified major at 09:00 with the example assessment; the model supplies criticality.
    let a: plumb_incident::classify::Assessment = yaml_serde::from_slice(
        &std::fs::read(repo().join("examples/incident/assessment.yaml")).unwrap(),
    )
    .unwrap();
    w.op(&id, "2026-11-16T09:00:00Z", Op::Classify { assessment: a })
        .unwrap();
    let v = ops::view(
        store::load(&mut w.l, &id).unwrap(),
        &w.config,
        t("2026-11-16T09:00:00Z"),
    )
    .unwrap();
    assert!(v.major);
    let c = v.incident.classification.as_ref().unwrap();
    assert!(
        c.critical_services_detail.contains("Payments (critical)"),
        "{}",
        c.critical_services_detail
    );
    assert_eq!(
        c.other_thresholds_met,
        ["Art. 9(1)", "Art. 9(2)", "Art. 9(3)"]
    );
    assert_eq!(v.deadlines.len(), 1);
    assert_eq!(v.deadlines[0].due_at, "2026-11-16T13:00:00Z");

    // Initial notification: complete with the example details; submitted on time.
    w.op(
        &id,
        "2026-11-16T10:00:00Z",
        Op::Report {
            stage: Stage::Initial,
            details: details("initial.yaml"),
        },
    )
    .unwrap();
    let inc = store::load(&mut w.l, &id).unwrap();
    let r = &inc.reports[&Stage::Initial];
    assert!(r.missing.is_empty(), "{:?}", r.missing);
    let f = &r.document.as_ref().unwrap()["fields"];
    assert_eq!(f["1.1"], "initial_notification");
    assert_eq!(f["1.6"], "5299000SMALLBANK0E92");
    assert_eq!(f["2.2"], "2026-11-16T08:00:00Z");
    assert_eq!(f["2.3"], "2026-11-16T09:00:00Z");
    assert_eq!(f["2.7"], "monitoring_systems");
    w.op(
        &id,
        "2026-11-16T10:30:00Z",
        Op::Submit {
            stage: Stage::Initial,
            submitted_at: None,
            authority_reference: Some("BAFIN-2026-0042".into()),
        },
    )
    .unwrap();

    // Intermediate report without its details: generated but incomplete, and cannot be submitted.
    w.op(
        &id,
        "2026-11-17T10:00:00Z",
        Op::Report {
            stage: Stage::Intermediate,
            details: Default::default(),
        },
    )
    .unwrap();
    let inc = store::load(&mut w.l, &id).unwrap();
    let missing = &inc.reports[&Stage::Intermediate].missing;
    for code in ["3.14 ", "3.23 ", "3.27 ", "3.33 "] {
        assert!(
            missing.iter().any(|m| m.starts_with(code)),
            "{code} in {missing:?}"
        );
    }
    let size = w.l.size().unwrap();
    let e = w
        .op(
            &id,
            "2026-11-17T10:05:00Z",
            Op::Submit {
                stage: Stage::Intermediate,
                submitted_at: None,
                authority_reference: None,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("incomplete"), "{e}");
    assert_eq!(w.l.size().unwrap(), size);
    w.op(
        &id,
        "2026-11-17T11:00:00Z",
        Op::Report {
            stage: Stage::Intermediate,
            details: details("intermediate.yaml"),
        },
    )
    .unwrap();
    w.op(
        &id,
        "2026-11-17T11:10:00Z",
        Op::Submit {
            stage: Stage::Intermediate,
            submitted_at: None,
            authority_reference: None,
        },
    )
    .unwrap();

    // The alert resolves: mitigated at its end time.
    let list =
        alerts::alertmanager(webhook("resolved", "2026-11-16T11:10:00Z").as_bytes()).unwrap();
    let (evs, out) = ops::alerts(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-17T11:20:00Z"),
        &list,
    )
    .unwrap();
    assert_eq!(out.mitigated, std::slice::from_ref(&id));
    store::append(&mut w.l, &evs, t("2026-11-17T11:20:00Z")).unwrap();

    // Resolution before detection is impossible; in the future too.
    for at in ["2026-11-16T07:00:00Z", "2027-01-01T00:00:00Z"] {
        let e = w
            .op(
                &id,
                "2026-11-18T09:00:00Z",
                Op::Resolve {
                    resolved_at: Some(at.into()),
                },
            )
            .unwrap_err();
        assert!(e.to_string().starts_with("resolved_at"), "{e}");
    }
    w.op(
        &id,
        "2026-11-18T09:00:00Z",
        Op::Resolve {
            resolved_at: Some("2026-11-16T11:30:00Z".into()),
        },
    )
    .unwrap();
    w.op(
        &id,
        "2026-11-20T09:00:00Z",
        Op::RootCause {
            root_cause: "Connection pool limit lowered by release 2222222".into(),
            addressed_at: None,
        },
    )
    .unwrap();
    w.op(
        &id,
        "2026-11-24T09:00:00Z",
        Op::Report {
            stage: Stage::Final,
            details: details("final.yaml"),
        },
    )
    .unwrap();
    let inc = store::load(&mut w.l, &id).unwrap();
    let r = &inc.reports[&Stage::Final];
    assert!(r.missing.is_empty(), "{:?}", r.missing);
    let f = &r.document.as_ref().unwrap()["fields"];
    assert_eq!(f["3.1"], "BAFIN-2026-0042");
    assert_eq!(f["3.3"], "2026-11-16T11:10:00Z");
    assert_eq!(f["4.8"], "2026-11-16T11:30:00Z");
    assert_eq!(f["4.13"], 40000);
    // 4.12 is text, given only with the economic-impact criterion (EUR 40,000 is below it).
    assert!(f.get("4.12").is_none());
    // The authority's document: the same facts at their IR places, and no rule broken.
    let ir = r.ir.as_ref().unwrap();
    assert_eq!(ir["incidentSubmission"], "final_report");
    assert_eq!(ir["incident"]["financialEntityCode"], id.as_str());
    assert_eq!(ir["incident"]["competentAuthorityCode"], "BAFIN-2026-0042");
    assert_eq!(
        ir["impactAssessment"]["serviceImpact"]["serviceRestorationDateTime"],
        "2026-11-16T11:10:00Z"
    );
    assert_eq!(ir["incident"]["grossAmountIndirectDirectCosts"], 40000);
    assert_eq!(
        ir["incident"]["rootCausesAdditionalClassification"][0],
        "change_management"
    );
    assert_eq!(
        plumb_incident::ir::rules::check(ir, Default::default()),
        vec![]
    );
    w.op(
        &id,
        "2026-11-24T10:00:00Z",
        Op::Submit {
            stage: Stage::Final,
            submitted_at: None,
            authority_reference: None,
        },
    )
    .unwrap();
    // Once the final report is submitted, the intermediate report is no longer updated.
    let e = w
        .op(
            &id,
            "2026-11-24T11:00:00Z",
            Op::Submit {
                stage: Stage::Intermediate,
                submitted_at: None,
                authority_reference: None,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("can no longer be updated"), "{e}");

    let v = ops::view(
        store::load(&mut w.l, &id).unwrap(),
        &w.config,
        t("2026-11-24T10:00:00Z"),
    )
    .unwrap();
    let states: Vec<_> = v
        .deadlines
        .iter()
        .map(|d| format!("{:?}", d.state))
        .collect();
    assert_eq!(states, ["Submitted", "Submitted", "Submitted"]);
    // The final report is due a month after the intermediate: 2026-12-17 11:10 UTC, a Thursday.
    assert_eq!(v.deadlines[2].due_at, "2026-12-17T11:10:00Z");
    let names: Vec<&str> = v
        .incident
        .timeline
        .iter()
        .map(|(_, e)| e.change.name())
        .collect();
    assert_eq!(
        names,
        [
            "opened",
            "linked",
            "classified",
            "report_generated",
            "report_submitted",
            "report_generated",
            "report_generated",
            "report_submitted",
            "alert_resolved",
            "mitigated",
            "resolved",
            "root_cause_addressed",
            "report_generated",
            "report_submitted"
        ]
    );
    // The ledger verifies with all of it.
    let report = w.l.verify(Default::default()).unwrap();
    assert!(report.ok(), "{report:?}");
}

#[test]
fn reclassification_and_deadline_notice() {
    let mut w = World::new();
    let (id, evs) = ops::open(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T09:00:00Z"),
        &ops::OpenRequest {
            title: "Suspicious logins on the identity service".into(),
            services: vec!["identity".into()],
            detected_at: Some("2026-11-16T08:00:00Z".into()),
            discovery: Some("it_security".into()),
            ..Default::default()
        },
    )
    .unwrap();
    store::append(&mut w.l, &evs, t("2026-11-16T09:00:00Z")).unwrap();
    // Unknown discovery values are refused at opening.
    let bad = ops::open(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T09:00:00Z"),
        &ops::OpenRequest {
            title: "x".into(),
            discovery: Some("psychic".into()),
            ..Default::default()
        },
    );
    assert!(bad.unwrap_err().to_string().contains("2.7"));

    let a: plumb_incident::classify::Assessment =
        yaml_serde::from_str("{malicious_access: true}").unwrap();
    w.op(&id, "2026-11-16T10:00:00Z", Op::Classify { assessment: a })
        .unwrap();
    assert!(store::load(&mut w.l, &id).unwrap().is_major());
    let e = w
        .op(
            &id,
            "2026-11-16T10:05:00Z",
            Op::Notice {
                stage: Stage::Initial,
                reason: " ".into(),
            },
        )
        .unwrap_err();
    assert!(e.to_string().starts_with("reason"));
    w.op(
        &id,
        "2026-11-16T10:05:00Z",
        Op::Notice {
            stage: Stage::Initial,
            reason: "Forensics still running".into(),
        },
    )
    .unwrap();
    // After the deadline (4 h after classification) a notice is refused: the report is late.
    let e = w
        .op(
            &id,
            "2026-11-16T14:30:00Z",
            Op::Notice {
                stage: Stage::Initial,
                reason: "Forensics still running".into(),
            },
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("must come before the deadline"),
        "{e}"
    );
    // Still major: reclassification is refused.
    let still: plumb_incident::classify::Assessment =
        yaml_serde::from_str("{malicious_access: true}").unwrap();
    let e = w
        .op(
            &id,
            "2026-11-16T11:00:00Z",
            Op::Reclassify {
                reason: "x".into(),
                assessment: still,
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("still major"), "{e}");
    let none: plumb_incident::classify::Assessment =
        yaml_serde::from_str("{supports_critical_functions: false}").unwrap();
    w.op(
        &id,
        "2026-11-16T11:00:00Z",
        Op::Reclassify {
            reason: "The logins were an authorised penetration test".into(),
            assessment: none,
        },
    )
    .unwrap();
    let v = ops::view(
        store::load(&mut w.l, &id).unwrap(),
        &w.config,
        t("2026-11-16T12:00:00Z"),
    )
    .unwrap();
    assert!(!v.major);
    // The initial notification was due when it was reclassified: kept, no longer due.
    assert_eq!(v.deadlines.len(), 1);
    assert_eq!(
        v.deadlines[0].state,
        plumb_incident::clock::State::Withdrawn
    );
    let notice = v
        .incident
        .reclassification_notice
        .as_ref()
        .expect("reclassification notice");
    assert_eq!(
        notice["document"]["fields"]["1.1"],
        "major_incident_reclassified_as_non-major"
    );
    assert_eq!(
        notice["document"]["fields"]["2.10"],
        "The logins were an authorised penetration test"
    );
    let e = w
        .op(
            &id,
            "2026-11-16T12:00:00Z",
            Op::Report {
                stage: Stage::Initial,
                details: Default::default(),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("reclassified"), "{e}");
}

#[test]
fn a_named_commit_is_linked_explicitly() {
    let mut w = World::new();
    let _ = deploy(&mut w.l, "payments", "2222222bbbb", "2026-11-16T07:40:00Z");
    let onb = deploy(
        &mut w.l,
        "onboarding",
        "5555555eeee",
        "2026-11-16T07:50:00Z",
    );
    let body = r#"{"id":"synthetic-7","status":"firing","title":"Onboarding stuck","started_at":"2026-11-16T08:00:00Z","service":"payments","commit":"5555555"}"#;
    let list = alerts::generic(body.as_bytes()).unwrap();
    let (evs, out) = ops::alerts(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T08:01:00Z"),
        &list,
    )
    .unwrap();
    store::append(&mut w.l, &evs, t("2026-11-16T08:01:00Z")).unwrap();
    let inc = store::load(&mut w.l, &out.opened[0]).unwrap();
    assert_eq!(
        inc.links.len(),
        1,
        "explicit links replace the heuristic: {:#?}",
        inc.links
    );
    assert_eq!(
        (inc.links[0].entry, inc.links[0].method.as_str()),
        (onb, "explicit")
    );
    // Naming a commit nobody deployed is an error, and nothing is written.
    let size = w.l.size().unwrap();
    let e = w
        .op(
            &inc.id,
            "2026-11-16T09:00:00Z",
            Op::Link {
                caused_by: vec!["9999999".into()],
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("no production deployment"), "{e}");
    assert_eq!(w.l.size().unwrap(), size);
}

/// Field 2.6 names Member States as the schema takes them: ISO 3166, so Greece is GR even when
/// the assessment says EL (the EU's own code, accepted on input).
#[test]
fn greece_is_written_as_gr() {
    let mut w = World::new();
    let (id, evs) = ops::open(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T09:00:00Z"),
        &ops::OpenRequest {
            title: "Card payments fail in two countries".into(),
            services: vec!["payments".into()],
            detected_at: Some("2026-11-16T08:00:00Z".into()),
            discovery: Some("monitoring_systems".into()),
            ..Default::default()
        },
    )
    .unwrap();
    store::append(&mut w.l, &evs, t("2026-11-16T09:00:00Z")).unwrap();
    let a: plumb_incident::classify::Assessment =
        yaml_serde::from_str("{member_states: [DE, EL], malicious_access: true}").unwrap();
    w.op(&id, "2026-11-16T09:10:00Z", Op::Classify { assessment: a })
        .unwrap();
    w.op(
        &id,
        "2026-11-16T09:20:00Z",
        Op::Report {
            stage: Stage::Initial,
            details: details("initial.yaml"),
        },
    )
    .unwrap();
    let inc = store::load(&mut w.l, &id).unwrap();
    let doc = inc.reports[&Stage::Initial].document.as_ref().unwrap();
    assert_eq!(
        doc["fields"]["2.6"],
        serde_json::json!(["DE", "GR"]),
        "{doc}"
    );
}

/// Field 2.3 and the 4 h clock run from when the incident manager assessed the incident, which
/// the assessment may state (not in the future, not before detection).
#[test]
fn the_classification_time_can_be_given() {
    let mut w = World::new();
    let (id, evs) = ops::open(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T09:00:00Z"),
        &ops::OpenRequest {
            title: "Card payments fail".into(),
            services: vec!["payments".into()],
            detected_at: Some("2026-11-16T08:00:00Z".into()),
            discovery: Some("monitoring_systems".into()),
            ..Default::default()
        },
    )
    .unwrap();
    store::append(&mut w.l, &evs, t("2026-11-16T09:00:00Z")).unwrap();
    let assessed = |at: &str| -> plumb_incident::classify::Assessment {
        yaml_serde::from_str(&format!(
            "{{malicious_access: true, assessed_at: \"{at}\"}}"
        ))
        .unwrap()
    };
    for (at, says) in [
        ("2026-11-16T07:00:00Z", "before the incident was detected"),
        ("2026-11-16T12:00:00Z", "future"),
    ] {
        let e = w
            .op(
                &id,
                "2026-11-16T11:00:00Z",
                Op::Classify {
                    assessment: assessed(at),
                },
            )
            .unwrap_err();
        assert!(e.to_string().contains(says), "{at}: {e}");
    }
    w.op(
        &id,
        "2026-11-16T11:00:00Z",
        Op::Classify {
            assessment: assessed("2026-11-16T08:30:00Z"),
        },
    )
    .unwrap();
    let v = ops::view(
        store::load(&mut w.l, &id).unwrap(),
        &w.config,
        t("2026-11-16T11:00:00Z"),
    )
    .unwrap();
    assert_eq!(
        v.incident.classified_major_at.as_deref(),
        Some("2026-11-16T08:30:00Z")
    );
    assert_eq!(
        v.deadlines[0].due_at, "2026-11-16T12:30:00Z",
        "4 h after the assessment"
    );
}

/// Recorded cyber threats are the server's own records: one signed by the store key is listed;
/// the same record signed by another key the store trusts (a pipeline's) is passed over.
#[test]
fn only_store_signed_threats_are_believed() {
    let mut w = World::new();
    let details = plumb_incident::threat::parse_details(
        &std::fs::read(repo().join("examples/incident/threat.yaml")).unwrap(),
        "threat.yaml",
    )
    .unwrap();
    let now = "2026-11-30T12:00:00Z";
    let rec = ops::record_threat(&ctx(&w.config, &w.model, now), &details).unwrap();
    let mine = store::append_threat(&mut w.l, &rec, t(now)).unwrap();
    // A pipeline key the store trusts signs the very same statement.
    let pipeline = plumb_ledger::keys::KeyPair::from_seed("ci.bank.example", [9; 32]).unwrap();
    w.l.trust_key(pipeline.public()).unwrap();
    let st = store::threat_statement(&rec);
    let env = plumb_ledger::dsse::Envelope::sign(
        plumb_ledger::dsse::IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&st).unwrap(),
        &pipeline,
    );
    let entry =
        w.l.prepare(
            &serde_json::to_vec(&env).unwrap(),
            Default::default(),
            t(now),
        )
        .unwrap();
    let forged = w.l.append(&[entry]).unwrap();
    assert!(forged > mine);
    let listed = store::threats(&mut w.l, 10, |_| true).unwrap();
    assert_eq!(
        listed.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![mine]
    );
}

/// The server's incremental incident cache gives exactly what a full scan gives, step by step
/// as the log grows: incidents opened and changed by webhooks, other records in between, and
/// an incident event signed by a key that is not the store's (skipped by both).
#[test]
fn the_cache_gives_what_a_full_scan_gives_as_the_log_grows() {
    use plumb_incident::cache::IncidentCache;
    let mut w = World::new();
    let mut cache = IncidentCache::default();
    let same = |w: &mut World, cache: &mut IncidentCache, step: &str| {
        let full = store::scan(&mut w.l).unwrap();
        assert_eq!(cache.scan(&mut w.l).unwrap(), full, "{step}");
        full
    };
    same(&mut w, &mut cache, "an empty log");
    deploy(&mut w.l, "payments", "2222222bbbb", "2026-11-16T07:40:00Z");
    let list = alerts::alertmanager(webhook("firing", "0001-01-01T00:00:00Z").as_bytes()).unwrap();
    let (opened, _) = ops::alerts(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T08:01:00Z"),
        &list,
    )
    .unwrap();
    store::append(&mut w.l, &opened, t("2026-11-16T08:01:00Z")).unwrap();
    let (incidents, _) = same(&mut w, &mut cache, "opened");
    assert_eq!(incidents.len(), 1);
    deploy(&mut w.l, "identity", "3333333cccc", "2026-11-16T08:30:00Z");
    let list =
        alerts::alertmanager(webhook("resolved", "2026-11-16T09:00:00Z").as_bytes()).unwrap();
    let (evs, _) = ops::alerts(
        &mut w.l,
        &ctx(&w.config, &w.model, "2026-11-16T09:01:00Z"),
        &list,
    )
    .unwrap();
    store::append(&mut w.l, &evs, t("2026-11-16T09:01:00Z")).unwrap();
    same(&mut w, &mut cache, "resolved");
    // A pipeline key the store trusts signs an incident event: not believed, by either.
    let pipeline = plumb_ledger::keys::KeyPair::from_seed("ci.bank.example", [9; 32]).unwrap();
    w.l.trust_key(pipeline.public()).unwrap();
    let env = plumb_ledger::dsse::Envelope::sign(
        plumb_ledger::dsse::IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&store::statement(&opened[0])).unwrap(),
        &pipeline,
    );
    let entry =
        w.l.prepare(
            &serde_json::to_vec(&env).unwrap(),
            Default::default(),
            t("2026-11-16T09:02:00Z"),
        )
        .unwrap();
    w.l.append(&[entry]).unwrap();
    let (_, skipped) = same(&mut w, &mut cache, "a forged event");
    assert_eq!(skipped.len(), 1);
    // Nothing new: the same answer again.
    same(&mut w, &mut cache, "unchanged");
}
