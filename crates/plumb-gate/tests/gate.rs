//! Gate behaviour: a clean change passes; each baseline rule denies on its own; waivers,
//! break-glass, user policies, determinism, time limits and fail-closed inputs.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use plumb_gate::config::BASELINE_RULES;
use plumb_gate::engine::BASELINE;
use plumb_gate::samples::{COMMIT, approvals, change, junit, lcov, sarif, sbom};
use plumb_gate::{BreakGlassRequest, GateConfig, GateRequest, Outcome, PolicySource, evaluate};
use plumb_ingest::Kind;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap()
}

fn trivy_at(age_days: i64, severity: &str) -> String {
    plumb_gate::samples::trivy(now(), age_days, severity)
}

fn config() -> GateConfig {
    GateConfig {
        system: Some("payments".into()),
        criticality: "critical".into(),
        executives: vec!["cto-maria".into()],
        ..Default::default()
    }
}

/// A change that satisfies every baseline rule.
fn clean() -> GateRequest {
    GateRequest {
        config: config(),
        inputs: vec![
            (
                Kind::Sast,
                "bandit.sarif".into(),
                sarif("note", "B101").into_bytes(),
            ),
            (Kind::Tests, "junit.xml".into(), junit(0).into_bytes()),
            (
                Kind::Coverage,
                "lcov.info".into(),
                lcov(85, 100).into_bytes(),
            ),
            (Kind::Sbom, "sbom.json".into(), sbom().into_bytes()),
            (
                Kind::Vulns,
                "trivy.json".into(),
                trivy_at(1, "MEDIUM").into_bytes(),
            ),
            (Kind::Secrets, "gitleaks.json".into(), b"[]".to_vec()),
            (
                Kind::Change,
                "change.json".into(),
                change("production", true).into_bytes(),
            ),
            (
                Kind::Approvals,
                "approvals.json".into(),
                approvals(false).into_bytes(),
            ),
        ],
        waivers: vec![],
        policies: vec![],
        now: now(),
        break_glass: None,
        origin: None,
    }
}

fn replace(req: &mut GateRequest, name: &str, body: String) {
    let i = req.inputs.iter().position(|(_, n, _)| n == name).unwrap();
    req.inputs[i].2 = body.into_bytes();
}

fn denied_by(req: &GateRequest) -> Vec<String> {
    let d = evaluate(req);
    assert_eq!(d.error, None);
    let mut ids: Vec<String> = d.violations.iter().map(|v| v.id.clone()).collect();
    ids.dedup();
    ids
}

#[test]
fn a_clean_change_passes() {
    let d = evaluate(&clean());
    assert_eq!(d.error, None);
    assert!(d.violations.is_empty(), "{:#?}", d.violations);
    assert_eq!(d.result, Outcome::Pass);
    assert_eq!(d.commit.as_deref(), Some(COMMIT));
    assert_eq!(d.inputs.len(), 8);
    assert!(
        d.inputs
            .iter()
            .all(|i| i.sha256.len() == 64 && i.format != "unread")
    );
}

#[test]
fn each_baseline_rule_denies_on_its_own() {
    type Mutation = Box<dyn Fn(&mut GateRequest)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "DORA-TEST-002",
            Box::new(|r| replace(r, "junit.xml", junit(2))),
        ),
        (
            "DORA-TEST-001",
            Box::new(|r| replace(r, "junit.xml", "<testsuite name=\"empty\"/>".into())),
        ),
        (
            "DORA-VULN-001",
            Box::new(|r| replace(r, "bandit.sarif", sarif("error", "B602"))),
        ),
        (
            "DORA-VULN-001",
            Box::new(|r| replace(r, "trivy.json", trivy_at(1, "CRITICAL"))),
        ),
        (
            "DORA-SECRET-001",
            Box::new(|r| {
                replace(r, "gitleaks.json", r#"[{"RuleID":"aws-access-key","File":"app/settings.py","StartLine":3,"Secret":"AKIA..."}]"#.into())
            }),
        ),
        (
            "DORA-COV-001",
            Box::new(|r| replace(r, "lcov.info", lcov(79, 100))),
        ),
        (
            "DORA-SOD-001",
            Box::new(|r| {
                replace(r, "approvals.json", json!([{"by": "sec-lina", "roles": ["security-reviewer"], "at": "2026-11-21T08:10:00Z", "commit": COMMIT}]).to_string())
            }),
        ),
        (
            "DORA-SOD-002",
            Box::new(|r| {
                replace(r, "approvals.json", json!([{"by": "akowalski", "roles": ["code-owner"], "at": "2026-11-21T08:00:00Z", "commit": COMMIT}]).to_string())
            }),
        ),
        (
            "DORA-CHG-001",
            Box::new(|r| replace(r, "change.json", change("production", false))),
        ),
        (
            "DORA-SBOM-001",
            Box::new(|r| r.inputs.retain(|(k, _, _)| *k != Kind::Sbom)),
        ),
        (
            "DORA-SCAN-002",
            Box::new(|r| replace(r, "trivy.json", trivy_at(8, "LOW"))),
        ),
        (
            "DORA-SCAN-002",
            Box::new(|r| r.inputs.retain(|(k, _, _)| *k != Kind::Vulns)),
        ),
        (
            "DORA-CHG-002",
            Box::new(|r| {
                r.inputs
                    .retain(|(k, _, _)| *k != Kind::Change && *k != Kind::Approvals)
            }),
        ),
    ];
    for (rule, mutate) in cases {
        let mut r = clean();
        mutate(&mut r);
        let ids = denied_by(&r);
        assert_eq!(ids, vec![rule.to_string()], "only {rule} should deny");
    }
    // Approvals by the author count for neither role.
    let mut r = clean();
    replace(&mut r, "approvals.json", approvals(true));
    let d = evaluate(&r);
    assert!(d.violations.iter().any(|v| v.id == "DORA-SOD-002"));
    assert!(d.warnings.iter().any(|w| w.id == "DORA-SOD-003"));
    // A stale scan is fine for a system without critical or important functions.
    let mut r = clean();
    r.config.criticality = "none".into();
    replace(&mut r, "trivy.json", trivy_at(30, "LOW"));
    assert!(denied_by(&r).is_empty());
    // Staging deployments need no runbook.
    let mut r = clean();
    replace(&mut r, "change.json", change("staging", false));
    assert!(denied_by(&r).is_empty());
}

#[test]
fn an_unsuccessful_scanner_run_is_never_a_clean_scan() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    let mut r = clean();
    let body = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/sarif/sarif-tutorials/ExceptionalConditions__Catastrophic-configuration-error.sarif")).unwrap();
    r.inputs
        .push((Kind::Sast, "catastrophic.sarif".into(), body));
    assert_eq!(denied_by(&r), vec!["DORA-SCAN-001".to_string()]);
}

fn waivers(expires: &str, approved: Option<&str>) -> String {
    let approved = approved
        .map(|a| format!("\n    approved_at: \"{a}\""))
        .unwrap_or_default();
    format!(
        "waivers:\n  - id: W-CVE-2024-35195\n    match:\n      vulnerability: CVE-2024-35195\n      purl: pkg:pypi/requests\n    justification: only used with verify=True; fixed in the next release\n    owner: payments-team\n    approver: ciso-office{approved}\n    expires_at: \"{expires}\"\n  - id: W-UNUSED\n    match:\n      rule: B999\n    justification: nothing matches this\n    owner: payments-team\n    approver: ciso-office\n    expires_at: \"2026-12-01T00:00:00+01:00\"\n"
    )
}

#[test]
fn waivers_apply_until_they_expire_and_are_all_reported() {
    let mut r = clean();
    replace(&mut r, "trivy.json", trivy_at(1, "HIGH"));
    assert_eq!(denied_by(&r), vec!["DORA-VULN-001".to_string()]);

    r.waivers = vec![(
        "waivers.yaml".into(),
        waivers(
            "2026-12-15T00:00:00+01:00",
            Some("2026-11-01T00:00:00+01:00"),
        ),
    )];
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Pass, "{:#?}", d.violations);
    assert_eq!(d.findings.waived, 1);
    let used = d
        .waivers
        .iter()
        .find(|w| w.id == "W-CVE-2024-35195")
        .unwrap();
    assert_eq!(used.covered.len(), 1);
    assert!(
        d.waivers
            .iter()
            .any(|w| w.id == "W-UNUSED" && w.covered.is_empty())
    );

    r.waivers = vec![(
        "waivers.yaml".into(),
        waivers("2026-11-20T00:00:00+01:00", None),
    )];
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Deny, "an expired waiver does not apply");
    assert!(
        serde_json::to_string(&d.waivers)
            .unwrap()
            .contains("\"state\":\"expired\"")
    );

    r.waivers = vec![(
        "waivers.yaml".into(),
        waivers(
            "2027-06-01T00:00:00+01:00",
            Some("2026-11-01T00:00:00+01:00"),
        ),
    )];
    let d = evaluate(&r);
    assert_eq!(
        d.result,
        Outcome::Deny,
        "a waiver longer than 90 days is invalid"
    );
    assert!(
        serde_json::to_string(&d.waivers)
            .unwrap()
            .contains("longer than the 90-day maximum")
    );

    r.waivers = vec![("waivers.yaml".into(), waivers("2026-12-15", None))];
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Error);
    assert!(d.error.unwrap().contains("RFC 3339 timestamp with offset"));
}

#[test]
fn break_glass_needs_an_executive_and_is_recorded() {
    let mut r = clean();
    replace(&mut r, "junit.xml", junit(1));
    r.break_glass = Some(BreakGlassRequest {
        justification: "payments outage: hotfix must ship now".into(),
        approver: "cto-maria".into(),
    });
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Override);
    assert!(d.allowed());
    assert_eq!(
        d.break_glass.as_ref().unwrap().overridden,
        vec!["DORA-TEST-002".to_string()]
    );
    assert_eq!(d.violations.len(), 1, "the violations stay in the record");
    assert!(plumb_gate::render::human(&d, false).contains("BREAK-GLASS by cto-maria"));
    assert!(plumb_gate::render::markdown(&d).contains("Break-glass override"));

    r.break_glass = Some(BreakGlassRequest {
        justification: "I really want to ship this".into(),
        approver: "jmeyer".into(),
    });
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Error);
    assert!(d.error.unwrap().contains("jmeyer is not an executive"));
    r.break_glass = Some(BreakGlassRequest {
        justification: "now".into(),
        approver: "cto-maria".into(),
    });
    assert_eq!(evaluate(&r).result, Outcome::Error);
}

#[test]
fn same_inputs_same_bytes_and_now_is_an_input() {
    let a = evaluate(&clean()).to_json();
    let b = evaluate(&clean()).to_json();
    assert_eq!(a, b);
    let mut later = clean();
    later.now = now() + chrono::Duration::days(10);
    let d = evaluate(&later);
    assert!(
        d.violations.iter().any(|v| v.id == "DORA-SCAN-002"),
        "the same scan is stale ten days later"
    );
}

#[test]
fn user_policies_add_rules_and_nondeterminism_is_refused() {
    let mut r = clean();
    r.policies = vec![PolicySource {
        name: "bank.rego".into(),
        text: r#"package bank.rules
import rego.v1
deny contains {"id": "BANK-001", "msg": "change ticket must start with CHG-", "refs": ["DORA Art. 9(4)(e)"]} if {
    not startswith(input.change.change_id, "CHG-")
}
warn contains "payments changes on Fridays need a second pair of eyes" if input.system == "payments"
"#.into(),
    }];
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Pass);
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].policy, "data.bank.rules");
    replace(
        &mut r,
        "change.json",
        change("production", true).replace("CHG-4711", "4711"),
    );
    assert_eq!(denied_by(&r), vec!["BANK-001".to_string()]);

    for call in [
        "time.now_ns()",
        "rand.intn(\"x\", 10)",
        "uuid.rfc4122(\"x\")",
    ] {
        let mut r = clean();
        r.policies = vec![PolicySource {
            name: "clock.rego".into(),
            text: format!("package clock\nimport rego.v1\ndeny contains \"late\" if {call} > 0\n"),
        }];
        let d = evaluate(&r);
        assert_eq!(d.result, Outcome::Error, "{call}");
        assert!(
            d.error
                .unwrap()
                .contains("does not depend only on the inputs")
        );
    }
    // Mentioning a forbidden builtin in a comment or a string is fine.
    let mut r = clean();
    r.policies = vec![PolicySource { name: "ok.rego".into(), text: "package ok\nimport rego.v1\n# never call time.now_ns() here\nwarn contains \"time.now_ns() is banned\" if false\n".into() }];
    assert_eq!(evaluate(&r).result, Outcome::Pass);

    let mut r = clean();
    r.policies = vec![PolicySource {
        name: "broken.rego".into(),
        text: "package broken\ndeny contains x if {".into(),
    }];
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Error);
    assert!(d.error.unwrap().contains("broken.rego"));
}

#[test]
fn evaluation_over_its_time_limit_fails_closed() {
    let mut r = clean();
    r.config.policy_timeout_ms = 50;
    r.policies = vec![PolicySource {
        name: "slow.rego".into(),
        text: "package slow\nimport rego.v1\ndeny contains \"too many\" if count([x | some x in numbers.range(1, 20000000); x % 7 == 0]) < 0\n".into(),
    }];
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Error, "{:?}", d.error);
    assert!(
        d.error.as_deref().unwrap_or("").contains("time limit"),
        "{:?}",
        d.error
    );
}

#[test]
fn unreadable_input_is_a_deny_that_names_the_file() {
    let mut r = clean();
    replace(
        &mut r,
        "junit.xml",
        "<testsuite><testcase name=\"x\">".into(),
    );
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Error);
    assert!(!d.allowed());
    assert!(
        d.error.as_deref().unwrap().starts_with("junit.xml"),
        "{:?}",
        d.error
    );
    assert!(plumb_gate::render::junit(&d).contains("<error message=\"junit.xml"));
}

#[test]
fn disabled_rules_are_skipped_and_reported() {
    let mut r = clean();
    r.inputs.retain(|(k, _, _)| *k != Kind::Coverage);
    r.config.rules.insert(
        "DORA-COV-001".into(),
        plumb_gate::config::RuleConfig { enabled: false },
    );
    let d = evaluate(&r);
    assert_eq!(d.result, Outcome::Pass);
    assert_eq!(d.disabled_rules, vec!["DORA-COV-001".to_string()]);
    assert!(plumb_gate::render::junit(&d).contains("switched off by configuration"));
}

#[test]
fn every_baseline_rule_is_listed_and_cites_known_law() {
    for (id, _) in BASELINE_RULES {
        assert!(
            BASELINE.contains(&format!("\"id\": \"{id}\"")),
            "{id} is listed but not in baseline.rego"
        );
    }
    let mut cited = 0;
    for part in BASELINE.split("\"refs\": [").skip(1) {
        let list = &part[..part.find(']').unwrap()];
        for r in list.split(',') {
            let r = r.trim().trim_matches('"');
            assert!(plumb_dora::is_known(r), "baseline cites unknown {r:?}");
            assert!(plumb_dora::misuse(r).is_none(), "{r}");
            cited += 1;
        }
    }
    assert!(cited >= BASELINE_RULES.len());
    // Every rule's citations can be listed (plumb gate policy show).
    for (id, _) in BASELINE_RULES {
        assert!(
            !plumb_gate::config::baseline_citations(id).is_empty(),
            "{id} cites nothing"
        );
    }
    assert!(plumb_gate::config::is_house_policy("DORA-COV-001"));
    assert!(!plumb_gate::config::is_house_policy("DORA-TEST-001"));
}

/// Absent values are left out of the policy input, as the gate does.
fn strip(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(strip);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
        _ => {}
    }
}

#[test]
fn the_schema_describes_every_field_of_the_input() {
    let schema: serde_json::Value = serde_json::from_str(plumb_gate::schema::INPUT_SCHEMA).unwrap();
    let mut r = clean();
    // With infrastructure, so resources and workloads are walked too.
    r.inputs.push((
        Kind::Infra,
        "plan.json".into(),
        br#"{"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket", "provider_name": "aws",
           "change": {"actions": ["create"], "after": {"acl": "public-read", "region": "eu-central-1", "tags": {"plumb:data-classification": "internal"}, "versioning": [{"enabled": true}]}}}]}"#.to_vec(),
    ));
    r.inputs.push((
        Kind::Infra,
        "pod.yaml".into(),
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {plumb.dev/system: payments}}\nspec:\n  hostNetwork: true\n  volumes: [{name: v, hostPath: {path: /}}]\n  containers: [{name: c, image: x:1, securityContext: {runAsUser: 0, allowPrivilegeEscalation: false}}]\n".to_vec(),
    ));
    let facts = plumb_ingest::ingest(&r.inputs).unwrap();
    let mut v = serde_json::to_value(&facts).unwrap();
    strip(&mut v);
    v["now"] = json!("x");
    fn walk(v: &serde_json::Value, s: &serde_json::Value, path: &str) {
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                let sub = s
                    .get("properties")
                    .and_then(|p| p.get(k))
                    .or_else(|| s.get("additionalProperties"))
                    .unwrap_or_else(|| panic!("schema lacks {path}.{k}"));
                walk(x, sub, &format!("{path}.{k}"));
            }
        } else if let Some(a) = v.as_array() {
            for x in a {
                walk(x, s.get("items").unwrap_or(&serde_json::Value::Null), path);
            }
        }
    }
    walk(&v, &schema, "input");
}

/// A scan age looser than the weekly scans the law asks for critical systems is allowed, but
/// every decision says so.
#[test]
fn a_scan_age_above_a_week_is_warned_for_critical_systems() {
    let mut r = clean();
    r.config.max_scan_age_days = 10;
    let d = evaluate(&r);
    assert!(d.allowed(), "{:?}", d.violations);
    let w = d
        .warnings
        .iter()
        .find(|w| w.id == "DORA-SCAN-002")
        .expect("a warning about the configured scan age");
    assert!(w.msg.contains("max_scan_age_days is 10"), "{}", w.msg);
    r.config.max_scan_age_days = 7;
    assert!(
        !evaluate(&r)
            .warnings
            .iter()
            .any(|w| w.id == "DORA-SCAN-002")
    );
    r.config.max_scan_age_days = 10;
    r.config.criticality = "none".into();
    assert!(
        !evaluate(&r)
            .warnings
            .iter()
            .any(|w| w.id == "DORA-SCAN-002"),
        "only for critical or important systems"
    );
}

/// A bank's rule citing DORA Art. 21 (centralised incident reporting) for a pipeline control
/// gets a warning naming the rule and the article to cite instead.
#[test]
fn a_policy_citing_the_wrong_article_is_warned() {
    let mut r = clean();
    r.policies = vec![PolicySource {
        name: "bank.rego".into(),
        text: r#"package bank.access
import rego.v1
warn contains {"id": "BANK-ACC-1", "msg": "two approvers for payments", "refs": ["DORA Art. 21(2)"]} if input.system == "payments"
"#
        .into(),
    }];
    let d = evaluate(&r);
    let w = d
        .warnings
        .iter()
        .find(|w| w.id == "PLUMB-CITE-001")
        .expect("a citation warning");
    assert!(
        w.msg.contains("BANK-ACC-1") && w.msg.contains("Art. 9(4)(e)"),
        "{}",
        w.msg
    );
    assert!(
        !evaluate(&clean())
            .warnings
            .iter()
            .any(|w| w.id == "PLUMB-CITE-001"),
        "the baseline cites nothing wrong"
    );
}

#[test]
fn resilience_tests_are_required_only_when_configured() {
    use plumb_gate::config::FunctionResilience;
    let state = |s: &str| FunctionResilience {
        name: "Payments".into(),
        state: s.into(),
        explanation: format!("explained {s}"),
    };
    // Off by default: no evidence, no finding.
    assert!(!denied_by(&clean()).contains(&"DORA-RES-003".to_string()));
    // Required with no evidence given: deny, saying so.
    let mut r = clean();
    r.config.require_resilience_test = true;
    let d = evaluate(&r);
    assert_eq!(d.error, None);
    let v: Vec<_> = d
        .violations
        .iter()
        .filter(|v| v.id == "DORA-RES-003")
        .collect();
    assert_eq!(v.len(), 1, "{:#?}", d.violations);
    assert!(v[0].msg.contains("no resilience evidence"), "{}", v[0].msg);
    // A function over its RTO or without a test denies; all ok passes.
    for bad in ["over_rto", "no_test", "stale", "failed"] {
        r.config.resilience = Some(vec![state("ok"), state(bad)]);
        let d = evaluate(&r);
        let v: Vec<_> = d
            .violations
            .iter()
            .filter(|v| v.id == "DORA-RES-003")
            .collect();
        assert_eq!(v.len(), 1, "{bad}");
        assert!(
            v[0].msg.contains(&format!("explained {bad}")),
            "{}",
            v[0].msg
        );
    }
    r.config.resilience = Some(vec![state("ok")]);
    assert_eq!(evaluate(&r).result, Outcome::Pass);
    // A model naming no function of a system configured as critical proves nothing.
    r.config.resilience = Some(vec![]);
    assert!(denied_by(&r).contains(&"DORA-RES-003".to_string()));
    // A system supporting no critical function is not asked.
    r.config.resilience = None;
    r.config.criticality = "none".into();
    assert!(!denied_by(&r).contains(&"DORA-RES-003".to_string()));
}
