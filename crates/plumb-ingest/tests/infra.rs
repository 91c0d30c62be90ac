//! Infrastructure inputs (`--infra`) over the real plans and manifests in
//! `../shared/corpus/terraform-plan/` and `kubernetes/`, each with the outcome SOURCES.md gives
//! it, and hostile inputs: a clear error, never a panic, never an empty read taken for a pass.

use plumb_ingest::infra::{Infra, Resource, Workload};
use plumb_ingest::{Kind, ingest};

fn read(rel: &str) -> Option<Result<Infra, String>> {
    let root = plumb_testkit::corpus()?;
    let bytes = std::fs::read(root.join(rel)).expect("corpus file");
    Some(
        ingest(&[(Kind::Infra, rel.to_string(), bytes)])
            .map(|f| f.infra.expect("infra facts"))
            .map_err(|e| e.to_string()),
    )
}

fn of(bytes: &[u8]) -> Result<Infra, String> {
    ingest(&[(Kind::Infra, "input".to_string(), bytes.to_vec())])
        .map(|f| f.infra.expect("infra facts"))
        .map_err(|e| e.to_string())
}

fn res<'a>(i: &'a Infra, address: &str) -> &'a Resource {
    i.resources
        .iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| panic!("no {address} in {:#?}", i.resources))
}

fn wl<'a>(i: &'a Infra, name: &str) -> &'a Workload {
    i.workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name} in {:#?}", i.workloads))
}

#[test]
fn terraform_plans_from_the_corpus() {
    let Some(ok) =
        read("terraform-plan/terraform-compliance/test_s3_encryption_failure__plan.out.json")
    else {
        return;
    };
    let i = ok.unwrap();
    let b = res(&i, "aws_s3_bucket.fail");
    assert_eq!(
        (b.data_store, b.encrypted_at_rest, b.action.as_str()),
        (true, Some(false), "create")
    );
    // The same bucket with SSE aws:kms: judged by configuration, not by name.
    let i = read("terraform-plan/terraform-compliance/test_s3_encryption_success__plan.out.json")
        .unwrap()
        .unwrap();
    assert_eq!(res(&i, "aws_s3_bucket.fail").encrypted_at_rest, Some(true));

    // RDS: public and unencrypted; the master password never appears in the facts.
    let i = read("terraform-plan/terraform-compliance/test_issue_401__plan.out.json")
        .unwrap()
        .unwrap();
    let db = res(&i, "aws_db_instance.default");
    assert_eq!((db.public, db.encrypted_at_rest), (Some(true), Some(false)));
    assert_eq!(db.backups, None, "unknown until apply");
    assert!(!serde_json::to_string(&i).unwrap().contains("foobarbaz"));

    // Two groups open on port 80, one through a separate rule linked by reference.
    let i = read("terraform-plan/terraform-compliance/test_multiple_failures__plan.out.json")
        .unwrap()
        .unwrap();
    for g in [
        "aws_security_group.failure",
        "aws_security_group.another_failure",
    ] {
        let r = res(&i, g);
        assert_eq!(r.public, Some(true), "{g}: {r:#?}");
        assert!(
            r.public_reasons
                .iter()
                .any(|x| x.contains("0.0.0.0/0") && x.contains("80")),
            "{g}: {:?}",
            r.public_reasons
        );
        assert_eq!(r.region.as_deref(), Some("us-east-1"));
    }

    // Nested modules: the public ACL and open access block reach their bucket by reference;
    // no bucket is encrypted.
    let i = read("terraform-plan/checkov/plan_nested_child_modules_with_connections__tfplan.json")
        .unwrap()
        .unwrap();
    let buckets: Vec<&Resource> = i
        .resources
        .iter()
        .filter(|r| r.r#type == "aws_s3_bucket")
        .collect();
    assert_eq!(buckets.len(), 4, "{buckets:#?}");
    assert!(buckets.iter().all(|b| b.encrypted_at_rest == Some(false)));
    let public: Vec<&str> = buckets
        .iter()
        .filter(|b| b.public == Some(true))
        .map(|b| b.address.as_str())
        .collect();
    assert_eq!(public.len(), 1, "{public:?}");
    assert!(public[0].starts_with("module.s3_bucket."), "{public:?}");
    assert!(
        buckets
            .iter()
            .all(|b| b.region.as_deref() == Some("us-west-2"))
    );

    // for_each keys in addresses; three open security groups by their full addresses.
    let i = read("terraform-plan/checkov/plan_with_for_each_for_enrichment__tf_plan.json")
        .unwrap()
        .unwrap();
    let open: Vec<&str> = i
        .resources
        .iter()
        .filter(|r| r.public == Some(true))
        .map(|r| r.address.as_str())
        .collect();
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(
        open.iter()
            .any(|a| a.contains(r#"module.sg["awful_example"]"#)),
        "{open:?}"
    );
}

#[test]
fn what_is_not_a_plan_is_refused_clearly() {
    let Some(state) = read("terraform-plan/checkov/plan__corrupted-tfplan.json") else {
        return;
    };
    assert!(state.unwrap_err().contains("not a Terraform plan"));
    let utf16 = read("terraform-plan/checkov/plan_encodings__tfplan_win_utf16.json").unwrap();
    assert!(utf16.unwrap_err().contains("UTF-16"));
    let zip = read("terraform-plan/conftest/hcl1__gke-plan.tfplan").unwrap();
    assert!(zip.unwrap_err().contains("terraform show -json"));
}

#[test]
fn kubernetes_manifests_from_the_corpus() {
    let Some(ok) = read("kubernetes/kube-score/all-ok.yaml") else {
        return;
    };
    let i = ok.unwrap();
    let c = &wl(&i, "pod-test-1").containers[0];
    assert!(
        !c.privileged && c.runs_as_root == Some(false) && c.limits && c.probes,
        "{c:#?}"
    );
    assert_eq!(c.tag.as_deref(), Some("123"));

    let i = read("kubernetes/kube-score/list.yaml").unwrap().unwrap();
    assert!(!i.workloads.is_empty(), "a List is unwrapped");
    let c = &i.workloads[0].containers[0];
    assert_eq!((c.tag.as_deref(), c.limits), (Some("latest"), false));

    let i = read("kubernetes/kube-score/pod-security-context-low-user-id.yaml")
        .unwrap()
        .unwrap();
    assert_eq!(i.workloads[0].containers[0].runs_as_root, Some(true));
    let i = read("kubernetes/kube-score/pod-security-context-nosecuritycontext.yaml")
        .unwrap()
        .unwrap();
    assert_eq!(
        i.workloads[0].containers[0].runs_as_root, None,
        "may run as root"
    );
    let i = read("kubernetes/kube-score/pod-security-context-privileged.yaml")
        .unwrap()
        .unwrap();
    assert!(i.workloads[0].containers[0].privileged);

    let i = read("kubernetes/kube-score/service-target-deployment.yaml")
        .unwrap()
        .unwrap();
    assert_eq!(i.workloads.len(), 1);
    assert!(
        i.resources
            .iter()
            .any(|r| r.r#type == "Service" && r.public == Some(false))
    );

    let i = read("kubernetes/kubesec/score-0-daemonset-securitycontext-privileged.yml")
        .unwrap()
        .unwrap();
    let w = &i.workloads[0];
    assert!(w.host_network && w.host_pid && w.containers[0].privileged);
    assert!(
        w.host_paths.iter().any(|p| p == "/var/run/docker.sock"),
        "{:?}",
        w.host_paths
    );
    assert!(
        !serde_json::to_string(&i).unwrap().contains("SOME VALUE"),
        "env values are not facts"
    );
}

#[test]
fn what_is_not_a_manifest_is_refused_naming_the_field() {
    let Some(r) = read("kubernetes/kube-score/parser__invalid-yaml.yaml") else {
        return;
    };
    let e = r.unwrap_err();
    assert!(e.contains("spec.ports[0]") && e.contains("port"), "{e}");
    let e = read("kubernetes/kubesec/invalid-input-pod-dump.json")
        .unwrap()
        .unwrap_err();
    assert!(e.contains("apiVersion"), "{e}");
}

#[test]
fn hostile_and_edge_inputs() {
    // Truncated, wrong version, wrong shapes, empty: each a clear error.
    for (bytes, words) in [
        (
            &b"{\"format_version\": \"1.1\", \"resource_changes\": ["[..],
            "JSON",
        ),
        (
            br#"{"format_version": "7.0", "resource_changes": []}"#,
            "not supported",
        ),
        (
            br#"{"format_version": "1.0", "resource_changes": {}}"#,
            "must be an array",
        ),
        (
            br#"{"format_version": "1.0", "resource_changes": [{"change": {}}]}"#,
            "no address",
        ),
        (b"", "not a recognised infra input"),
        (
            b"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
            "no pod spec",
        ),
        (b"apiVersion: v1\nkind: List\n", "items"),
        (
            b"apiVersion: v1\nkind: Pod\nspec: {containers: 3}\n",
            "must be a list",
        ),
        (b"kind: Pod\napiVersion: [\n", "YAML"),
    ] {
        let e = of(bytes).unwrap_err();
        assert!(
            e.contains(words),
            "{:?}: {e}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Deeply nested Lists stop, and strange images do not panic.
    let mut deep = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for n in 1..8 {
        deep.push_str(&format!(
            "{}- apiVersion: v1\n{}  kind: List\n{}  items:\n",
            "  ".repeat(n),
            "  ".repeat(n),
            "  ".repeat(n)
        ));
    }
    assert!(of(deep.as_bytes()).is_err());
    let i = of(b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: 'reg:5000/x@sha256:abc'}\n  - {name: b, image: ':'}\n  - {name: c}\n").unwrap();
    let cs = &i.workloads[0].containers;
    assert!(cs[0].digest && cs[0].tag.is_none(), "{cs:#?}");
    assert_eq!(cs.len(), 3);
    // A plan with no changes reads as no resources, not as an error.
    let i =
        of(br#"{"format_version": "1.2", "planned_values": {}, "resource_changes": []}"#).unwrap();
    assert!(i.resources.is_empty());
}

#[test]
fn transit_encryption_and_owners_are_read_where_the_input_says() {
    let plan = br#"{"format_version": "1.2", "resource_changes": [
        {"address": "aws_lb_listener.http", "type": "aws_lb_listener", "provider_name": "aws", "change": {"actions": ["create"], "after": {"protocol": "HTTP", "port": 80}}},
        {"address": "aws_lb_listener.https", "type": "aws_lb_listener", "provider_name": "aws", "change": {"actions": ["create"], "after": {"protocol": "HTTPS", "port": 443, "tags": {"plumb:owner": "@bank/payments"}}}}]}"#;
    let i = of(plan).unwrap();
    assert_eq!(
        res(&i, "aws_lb_listener.http").encrypted_in_transit,
        Some(false)
    );
    let https = res(&i, "aws_lb_listener.https");
    assert_eq!(
        (https.encrypted_in_transit, https.owner.as_deref()),
        (Some(true), Some("@bank/payments"))
    );
    let i = of(b"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, labels: {owner: team-a}}\nspec: {rules: []}\n").unwrap();
    let ing = res(&i, "Ingress/default/web");
    assert_eq!(
        (ing.encrypted_in_transit, ing.public, ing.owner.as_deref()),
        (Some(false), Some(true), Some("team-a"))
    );
}

/// YAML aliases that expand exponentially (a "billion laughs") are refused, not expanded.
#[test]
fn alias_bombs_are_refused() {
    let mut y = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for (n, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        y.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    y = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: bomb}}\ndata:\n  {}",
        y.replace('\n', "\n  ")
    );
    let t = std::time::Instant::now();
    let r = of(y.as_bytes());
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
    assert!(r.is_err(), "expanded instead of refused");
}

/// A Terraform configuration (`.tf`, HCL) is read as the plan that would create it: the same
/// facts for the same resources, variables' defaults, locals and `merge` resolved, companions
/// linked by their references, the provider's region (an alias's where the resource names it).
#[test]
fn terraform_configurations_are_read_as_the_plan_that_creates_them() {
    let tf = br#"
# the payments database and its evidence bucket
variable "environment" { default = "production" }
variable "kms_key" {}   # no default: unknown until apply
locals {
  common = merge(local.base, { "plumb:environment" = var.environment })
  base   = { "plumb:system" = "payments", "plumb:owner" = "@smallbank/payments" }
}
provider "aws" { region = "eu-west-1" }
provider "aws" {
  alias  = "dr"
  region = "eu-central-1"
}
resource "aws_db_instance" "payments" {
  engine                  = "postgres"
  storage_encrypted       = true
  kms_key_id              = var.kms_key
  publicly_accessible     = false
  backup_retention_period = 35
  deletion_protection     = true
  tags = merge(local.common, { "plumb:data-classification" = "confidential" })
}
resource "aws_s3_bucket" "evidence" {
  provider = aws.dr
  bucket   = "smallbank-evidence"
  tags     = local.common
}
resource "aws_s3_bucket_versioning" "evidence" {
  bucket = aws_s3_bucket.evidence.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_acl" "evidence" {
  bucket = aws_s3_bucket.evidence.id
  acl    = "public-read"
}
resource "aws_security_group" "db" {
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_ebs_volume" "scratch" {
  count     = 0
  encrypted = false
}
"#;
    let i = of(tf).unwrap();
    let db = res(&i, "aws_db_instance.payments");
    assert_eq!(db.format, "terraform-config");
    assert_eq!(db.action, "create");
    assert_eq!(
        (db.data_store, db.encrypted_at_rest, db.public, db.backups),
        (true, Some(true), Some(false), Some(true))
    );
    assert_eq!(db.deletion_protection, Some(true));
    assert_eq!(db.region.as_deref(), Some("eu-west-1"));
    assert_eq!(db.system.as_deref(), Some("payments"));
    assert_eq!(db.environment.as_deref(), Some("production"));
    assert_eq!(db.classification.as_deref(), Some("confidential"));
    let b = res(&i, "aws_s3_bucket.evidence");
    assert_eq!(
        b.region.as_deref(),
        Some("eu-central-1"),
        "the alias's region"
    );
    assert_eq!(b.versioning, Some(true), "linked by reference");
    assert_eq!(b.public, Some(true));
    assert!(b.public_reasons.iter().any(|r| r.contains("public-read")));
    assert_eq!(b.owner.as_deref(), Some("@smallbank/payments"));
    let sg = res(&i, "aws_security_group.db");
    assert_eq!(sg.public, Some(true), "{sg:#?}");
    assert!(
        !i.resources.iter().any(|r| r.address.contains("scratch")),
        "count = 0 creates nothing"
    );

    // The same bucket as a plan gives the same facts.
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_db_instance.payments", "mode": "managed", "type": "aws_db_instance",
            "name": "payments", "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "after": {
                "engine": "postgres", "storage_encrypted": true, "publicly_accessible": false,
                "backup_retention_period": 35, "deletion_protection": true,
                "tags": {"plumb:system": "payments", "plumb:owner": "@smallbank/payments",
                         "plumb:environment": "production",
                         "plumb:data-classification": "confidential"}}}
        }],
        "configuration": {"provider_config": {"aws": {"name": "aws",
            "expressions": {"region": {"constant_value": "eu-west-1"}}}}}
    });
    let p = of(plan.to_string().as_bytes()).unwrap();
    let mut from_plan = res(&p, "aws_db_instance.payments").clone();
    from_plan.format = "terraform-config".into();
    assert_eq!(&from_plan, db);
}

#[test]
fn terraform_configurations_that_do_not_parse_are_refused_with_their_line() {
    for (tf, words) in [
        (
            &b"terraform {\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \n"[..],
            "input:4: not a valid Terraform configuration (HCL) at column 12",
        ),
        (b"resource \"aws_s3_bucket\" \"b\" {", "HCL"),
        (b"resource \"aws_s3_bucket\" {\n}\n", "type and a name"),
        (b"provider \"aws\" { region = \"eu\"\n", "HCL"),
    ] {
        let e = of(tf).unwrap_err();
        assert!(e.contains(words), "{:?}: {e}", String::from_utf8_lossy(tf));
    }
    // Nesting deep enough to exhaust a recursive parser stops before parsing.
    let deep = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(
        of(deep.as_bytes())
            .unwrap_err()
            .contains("nested more than")
    );
    // An empty configuration creates nothing; it is not an error.
    assert!(of(b"terraform {\n}\n").unwrap().resources.is_empty());

    // Found by review: a zero divisor (the evaluator would panic), locals doubling a string
    // from one to the next (memory), a count from a variable (may be set otherwise at apply):
    // unknown or judged, never a crash, never a resource skipped.
    let i = of(b"variable \"d\" { default = 1 % 0 }\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = 7 / 0\n}\n").unwrap();
    assert_eq!(i.resources.len(), 1);
    let mut doubling = String::from("locals {\n  a0 = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n");
    for n in 1..60 {
        doubling.push_str(&format!(
            "  a{n} = \"${{local.a{}}}${{local.a{}}}\"\n",
            n - 1,
            n - 1
        ));
    }
    doubling.push_str("}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.a59\n}\n");
    let started = std::time::Instant::now();
    let i = of(doubling.as_bytes()).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(i.resources.len(), 1);
    let i = of(b"variable \"on\" { default = 0 }\nresource \"aws_s3_bucket\" \"b\" {\n  count = var.on\n  acl = \"public-read\"\n}\n").unwrap();
    assert_eq!(
        i.resources.len(),
        1,
        "only a literal count = 0 leaves a resource out"
    );
    assert_eq!(i.resources[0].public, Some(true));
}
