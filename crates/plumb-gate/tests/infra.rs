//! The baseline's infrastructure rules, one by one: a compliant plan and manifest pass; each
//! change below breaks the rule it names and no other infrastructure rule. Then the corpus
//! plans and manifests through the whole gate, with the outcomes SOURCES.md gives them.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use plumb_gate::samples::{approvals, change, junit, lcov, sarif, sbom, trivy};
use plumb_gate::{Decision, GateConfig, GateRequest, Outcome, evaluate};
use plumb_ingest::Kind;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 30, 0).unwrap()
}

/// Infrastructure inputs by name.
type Infra = Vec<(String, Vec<u8>)>;

fn request(config: GateConfig, infra: Infra, approved: bool) -> GateRequest {
    let mut inputs = vec![
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
            trivy(now(), 1, "MEDIUM").into_bytes(),
        ),
        (Kind::Secrets, "gitleaks.json".into(), b"[]".to_vec()),
        (
            Kind::Change,
            "change.json".into(),
            change("production", true).into_bytes(),
        ),
    ];
    if approved {
        inputs.push((
            Kind::Approvals,
            "approvals.json".into(),
            approvals(false).into_bytes(),
        ));
    }
    inputs.extend(infra.into_iter().map(|(n, b)| (Kind::Infra, n, b)));
    GateRequest {
        config,
        inputs,
        waivers: vec![],
        policies: vec![],
        now: now(),
        break_glass: None,
        origin: None,
    }
}

fn critical() -> GateConfig {
    GateConfig {
        system: Some("payments".into()),
        criticality: "critical".into(),
        allowed_regions: vec!["eu-central-1".into()],
        personal_data: true,
        ..Default::default()
    }
}

/// A plan with one resource change of `ty` whose planned values are `after`.
fn plan(ty: &str, action: &str, after: Value) -> (String, Vec<u8>) {
    let actions = match action {
        "replace" => json!(["delete", "create"]),
        a => json!([a]),
    };
    let (after, before) = if action == "delete" {
        (Value::Null, after)
    } else {
        (after, Value::Null)
    };
    let doc = json!({"format_version": "1.2", "terraform_version": "1.9.5",
        "resource_changes": [{"address": format!("{ty}.main"), "mode": "managed", "type": ty, "name": "main",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions, "before": before, "after": after}}]});
    ("plan.json".into(), doc.to_string().into_bytes())
}

fn good_bucket() -> Value {
    json!({"bucket": "payments-data", "acl": "private", "region": "eu-central-1",
        "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]}],
        "versioning": [{"enabled": true}],
        "tags": {"plumb:system": "payments", "plumb:data-classification": "confidential"}})
}

const GOOD_POD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: payments}\nspec:\n  template:\n    spec:\n      securityContext: {runAsNonRoot: true, runAsUser: 10001}\n      containers:\n      - name: api\n        image: registry.bank.example/payments@sha256:0123456789abcdef\n        resources: {limits: {cpu: 500m, memory: 256Mi}}\n        readinessProbe: {httpGet: {path: /readyz, port: 8080}}\n        livenessProbe: {httpGet: {path: /healthz, port: 8080}}\n";

fn infra_ids(d: &Decision) -> (Vec<String>, Vec<String>) {
    let pick = |vs: &[plumb_gate::engine::Violation]| {
        let mut ids: Vec<String> = vs
            .iter()
            .map(|v| v.id.clone())
            .filter(|id| id.starts_with("DORA-INFRA") || id.starts_with("DORA-K8S"))
            .collect();
        ids.dedup();
        ids
    };
    (pick(&d.violations), pick(&d.warnings))
}

fn denies(config: GateConfig, infra: Infra) -> Vec<String> {
    let d = evaluate(&request(config, infra, true));
    assert!(d.error.is_none(), "{:?}", d.error);
    infra_ids(&d).0
}

#[test]
fn a_compliant_plan_and_deployment_pass() {
    let d = evaluate(&request(
        critical(),
        vec![
            plan("aws_s3_bucket", "create", good_bucket()),
            ("deploy.yaml".into(), GOOD_POD.as_bytes().to_vec()),
        ],
        true,
    ));
    assert_eq!(d.result, Outcome::Pass, "{:#?}", d.violations);
    assert_eq!(infra_ids(&d), (vec![], vec![]));
}

#[test]
fn each_data_store_rule_denies_what_it_names() {
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = good_bucket();
        f(&mut b);
        vec![plan("aws_s3_bucket", "create", b)]
    };
    let cases: Vec<(&str, Infra)> = vec![
        (
            "DORA-INFRA-001",
            with(&|b| b["server_side_encryption_configuration"] = json!([])),
        ),
        ("DORA-INFRA-002", with(&|b| b["acl"] = json!("public-read"))),
        (
            "DORA-INFRA-004",
            with(&|b| b["versioning"] = json!([{"enabled": false}])),
        ),
        (
            "DORA-INFRA-005",
            with(&|b| b["region"] = json!("us-east-1")),
        ),
        (
            "DORA-INFRA-006",
            with(&|b| {
                b["tags"]
                    .as_object_mut()
                    .map(|t| t.remove("plumb:data-classification"));
            }),
        ),
        (
            "DORA-INFRA-002",
            vec![plan(
                "aws_security_group",
                "create",
                json!({"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "from_port": 0, "to_port": 0, "protocol": "-1"}]}),
            )],
        ),
    ];
    for (id, infra) in cases {
        assert_eq!(denies(critical(), infra), vec![id.to_string()], "{id}");
    }
    // Versioning is required of critical systems only; regions only when configured.
    let relaxed = GateConfig {
        criticality: "none".into(),
        allowed_regions: vec![],
        ..critical()
    };
    let loose = with(&|b| {
        b["versioning"] = json!([{"enabled": false}]);
        b["region"] = json!("us-east-1");
    });
    assert_eq!(denies(relaxed, loose), Vec::<String>::new());
}

#[test]
fn production_data_stays_in_production_unless_masked() {
    let copy = |masked: bool| {
        let mut b = good_bucket();
        b["tags"]["plumb:source-environment"] = json!("production");
        if masked {
            b["tags"]["plumb:masked"] = json!("true");
        }
        vec![plan("aws_s3_bucket", "create", b)]
    };
    let staging = |c: GateConfig| GateConfig {
        environment: Some("staging".into()),
        ..c
    };
    assert_eq!(
        denies(staging(critical()), copy(false)),
        vec!["DORA-INFRA-007".to_string()]
    );
    assert_eq!(
        denies(staging(critical()), copy(true)),
        Vec::<String>::new()
    );
    // In production itself a production copy is fine.
    let prod = GateConfig {
        environment: Some("production".into()),
        ..critical()
    };
    assert_eq!(denies(prod, copy(false)), Vec::<String>::new());
}

#[test]
fn deleting_a_critical_data_store_needs_the_approvals_of_a_code_change() {
    let deletion = vec![plan("aws_s3_bucket", "delete", good_bucket())];
    let d = evaluate(&request(critical(), deletion.clone(), false));
    let (deny, _) = infra_ids(&d);
    assert_eq!(deny, vec!["DORA-INFRA-008".to_string()]);
    assert!(
        d.violations
            .iter()
            .any(|v| v.msg.contains("code owner and a security reviewer"))
    );
    let d = evaluate(&request(critical(), deletion, true));
    assert_eq!(infra_ids(&d).0, Vec::<String>::new());
}

#[test]
fn each_workload_rule_denies_what_it_names() {
    let pod = |from: &str, to: &str| {
        vec![(
            "deploy.yaml".to_string(),
            GOOD_POD.replace(from, to).into_bytes(),
        )]
    };
    let cases = [
        (
            "DORA-K8S-001",
            pod(
                "      containers:",
                "      hostPID: true\n      containers:",
            ),
        ),
        (
            "DORA-K8S-001",
            pod(
                "        resources:",
                "        securityContext: {privileged: true}\n        resources:",
            ),
        ),
        ("DORA-K8S-002", pod("runAsUser: 10001", "runAsUser: 0")),
        ("DORA-K8S-003", pod("@sha256:0123456789abcdef", ":1.4.2")),
        (
            "DORA-K8S-004",
            pod(
                "resources: {limits: {cpu: 500m, memory: 256Mi}}",
                "resources: {}",
            ),
        ),
    ];
    for (id, infra) in cases {
        assert_eq!(denies(critical(), infra), vec![id.to_string()], "{id}");
    }
    // A tag is fine for a system that supports no critical function; latest is warned.
    let none = GateConfig {
        criticality: "none".into(),
        ..critical()
    };
    let d = evaluate(&request(
        none,
        pod("@sha256:0123456789abcdef", ":latest"),
        true,
    ));
    assert_eq!(infra_ids(&d), (vec![], vec!["DORA-K8S-003".to_string()]));
}

/// The corpus files through the whole gate: what SOURCES.md says is wrong is denied, under
/// its address, and the compliant manifest passes the workload rules.
#[test]
fn corpus_plans_and_manifests_get_their_outcomes() {
    let Some(root) = plumb_testkit::corpus() else {
        return;
    };
    let run = |rel: &str| {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let d = evaluate(&request(critical(), vec![(rel.to_string(), bytes)], true));
        assert!(d.error.is_none(), "{rel}: {:?}", d.error);
        d
    };
    let msgs = |d: &Decision, id: &str| -> Vec<String> {
        d.violations
            .iter()
            .filter(|v| v.id == id)
            .map(|v| v.msg.clone())
            .collect()
    };
    let d = run("terraform-plan/terraform-compliance/test_s3_encryption_failure__plan.out.json");
    assert!(
        msgs(&d, "DORA-INFRA-001")
            .iter()
            .any(|m| m.contains("aws_s3_bucket.fail"))
    );
    let d = run("terraform-plan/terraform-compliance/test_s3_encryption_success__plan.out.json");
    assert!(msgs(&d, "DORA-INFRA-001").is_empty());
    let d = run("terraform-plan/terraform-compliance/test_issue_401__plan.out.json");
    assert_eq!(msgs(&d, "DORA-INFRA-001").len(), 1);
    assert_eq!(msgs(&d, "DORA-INFRA-002").len(), 1);
    let d = run("terraform-plan/checkov/plan_nested_child_modules_with_connections__tfplan.json");
    assert_eq!(msgs(&d, "DORA-INFRA-001").len(), 4);
    assert!(
        msgs(&d, "DORA-INFRA-002")
            .iter()
            .any(|m| m.contains("public-read-write"))
    );
    let d = run("terraform-plan/checkov/plan_with_for_each_for_enrichment__tf_plan.json");
    assert_eq!(msgs(&d, "DORA-INFRA-002").len(), 3, "{:#?}", d.violations);
    // Port 80 open to the internet is a warning (a web entry point may be meant), not a denial.
    let d = run("terraform-plan/terraform-compliance/test_multiple_failures__plan.out.json");
    assert!(msgs(&d, "DORA-INFRA-002").is_empty());
    assert_eq!(
        d.warnings
            .iter()
            .filter(|w| w.id == "DORA-INFRA-003")
            .count(),
        2
    );

    let d = run("kubernetes/kube-score/all-ok.yaml");
    let (deny, _) = infra_ids(&d);
    assert_eq!(
        deny,
        vec!["DORA-K8S-003".to_string()],
        "by tag, on a critical system"
    );
    let d = run("kubernetes/kubesec/score-0-daemonset-securitycontext-privileged.yml");
    let m = msgs(&d, "DORA-K8S-001").join("\n");
    assert!(
        m.contains("privileged") && m.contains("/var/run/docker.sock") && m.contains("host_pid"),
        "{m}"
    );
    let d = run("kubernetes/kube-score/pod-security-context-low-user-id.yaml");
    assert_eq!(msgs(&d, "DORA-K8S-002").len(), 1);
}

/// A conftest-style policy over the raw plan JSON, with only its package line changed to
/// `plumb.raw...`: evaluated once per raw document, its violations naming the input.
#[test]
fn conftest_style_policies_read_the_raw_documents() {
    let policy = plumb_gate::PolicySource {
        name: "raw.rego".into(),
        text: r#"package plumb.raw.terraform
import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_security_group_rule"
	rc.change.after.type == "ingress"
	"0.0.0.0/0" in rc.change.after.cidr_blocks
	msg := sprintf("%s allows ingress from anywhere", [rc.address])
}

warn contains msg if {
	input.kind == "Deployment"
	msg := sprintf("deployment %s", [input.metadata.name])
}
"#
        .into(),
    };
    let rule = json!({"format_version": "1.2", "resource_changes": [{"address": "aws_security_group_rule.web", "type": "aws_security_group_rule",
        "provider_name": "aws", "change": {"actions": ["create"], "after": {"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "from_port": 443, "to_port": 443, "protocol": "tcp"}}}]});
    let mut req = request(
        critical(),
        vec![
            ("sg.json".into(), rule.to_string().into_bytes()),
            (
                "two.yaml".into(),
                format!("{GOOD_POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n")
                    .into_bytes(),
            ),
        ],
        true,
    );
    req.policies = vec![policy];
    let d = evaluate(&req);
    assert!(d.error.is_none(), "{:?}", d.error);
    let raw: Vec<&str> = d
        .violations
        .iter()
        .filter(|v| v.policy == "plumb.raw.terraform" || v.msg.contains("(in sg.json)"))
        .map(|v| v.msg.as_str())
        .collect();
    assert_eq!(
        raw,
        ["aws_security_group_rule.web allows ingress from anywhere (in sg.json)"],
        "{:#?}",
        d.violations
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.msg == "deployment api (in two.yaml, document 1)"),
        "{:#?}",
        d.warnings
    );
}

/// A resource tagged with a system the model knows is judged by that system's facts, not the
/// gated system's: here a reporting bucket in a critical, personal-data pipeline, and a
/// payments bucket in a pipeline of a system that supports nothing critical.
#[test]
fn tagged_resources_are_judged_by_their_own_systems_facts() {
    let systems = |c: GateConfig| GateConfig {
        systems: [
            (
                "reporting".to_string(),
                plumb_gate::config::SystemFacts {
                    criticality: "none".into(),
                    personal_data: false,
                },
            ),
            (
                "payments".to_string(),
                plumb_gate::config::SystemFacts {
                    criticality: "critical".into(),
                    personal_data: true,
                },
            ),
        ]
        .into(),
        ..c
    };
    let bucket = |system: &str| {
        let mut b = good_bucket();
        b["tags"]["plumb:system"] = json!(system);
        b["versioning"] = json!([{"enabled": false}]);
        b["region"] = json!("us-east-1");
        vec![plan("aws_s3_bucket", "create", b)]
    };
    // Untagged facts (the gated system: critical, personal data) would deny both rules.
    assert_eq!(
        denies(critical(), bucket("reporting")),
        vec!["DORA-INFRA-004".to_string(), "DORA-INFRA-005".to_string()]
    );
    assert_eq!(
        denies(systems(critical()), bucket("reporting")),
        Vec::<String>::new()
    );
    let minor = GateConfig {
        criticality: "none".into(),
        personal_data: false,
        ..critical()
    };
    assert_eq!(
        denies(minor.clone(), bucket("payments")),
        Vec::<String>::new()
    );
    assert_eq!(
        denies(systems(minor), bucket("payments")),
        vec!["DORA-INFRA-004".to_string(), "DORA-INFRA-005".to_string()]
    );
}

/// Outside production, a database restored from a snapshot must say where the data comes from;
/// from production, it must also be masked.
#[test]
fn copies_outside_production_declare_their_source() {
    let staging = GateConfig {
        environment: Some("staging".into()),
        ..critical()
    };
    let restore = |tags: Value| {
        vec![plan(
            "aws_db_instance",
            "create",
            json!({"identifier": "payments-staging", "snapshot_identifier": "payments-prod-2026-11-29", "storage_encrypted": true,
                   "publicly_accessible": false, "backup_retention_period": 7, "region": "eu-central-1", "tags": tags}),
        )]
    };
    let base = json!({"plumb:data-classification": "confidential"});
    let d = denies(staging.clone(), restore(base.clone()));
    assert_eq!(d, vec!["DORA-INFRA-007".to_string()]);
    let mut from_prod = base.clone();
    from_prod["plumb:source-environment"] = json!("production");
    assert_eq!(
        denies(staging.clone(), restore(from_prod.clone())),
        vec!["DORA-INFRA-007".to_string()]
    );
    from_prod["plumb:masked"] = json!("true");
    assert_eq!(
        denies(staging.clone(), restore(from_prod)),
        Vec::<String>::new()
    );
    let mut from_test = base;
    from_test["plumb:source-environment"] = json!("test");
    assert_eq!(denies(staging, restore(from_test)), Vec::<String>::new());
}
