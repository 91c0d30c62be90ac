//! `plumb scaffold` through the real binary: generate the demo bank's services, check drift,
//! regenerate after a model change without losing edits, refuse bad input.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plumb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const BANK: &str = "examples/model/bank.yaml";

#[test]
fn generate_check_and_regenerate_after_a_model_change() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    let o = plumb(&["scaffold", "--model", BANK, "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("service payments       rust-axum       critical, onboarding: Merchant onboarding (4 states)"), "{text}");
    assert!(
        text.contains("service onboarding     python-fastapi"),
        "{text}"
    );
    assert!(text.contains("0 conflicts"));
    assert!(repo.join("services/payments/src/workflow.rs").is_file());
    assert!(repo.join(".plumb/scaffold.json").is_file());

    // Model and repository agree; the manifest remembers the model.
    let o = plumb(&["scaffold", "--out", s(&repo), "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("agree"));

    // The architect shortens the payments RTO.
    let model = d.path().join("bank.yaml");
    let yaml = std::fs::read_to_string(root().join(BANK)).unwrap();
    let changed = yaml.replace(
        "name: Payments, properties: {dora:criticality: critical, dora:rto-hours: \"2\"",
        "name: Payments, properties: {dora:criticality: critical, dora:rto-hours: \"1\"",
    );
    assert_ne!(yaml, changed);
    std::fs::write(&model, changed).unwrap();
    let o = plumb(&[
        "--format",
        "json",
        "scaffold",
        "--model",
        s(&model),
        "--out",
        s(&repo),
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1), "drift: {}", out(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["drift"], true);
    let paths: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"compliance/payments/dora.md"), "{paths:?}");
    assert!(paths.contains(&"runbooks/payments.md"));
    assert!(
        !paths.contains(&"compliance/onboarding/dora.md"),
        "unaffected"
    );

    // Meanwhile the team changed their service code.
    let main = repo.join("services/payments/src/health.rs");
    let mine = std::fs::read_to_string(&main).unwrap() + "\n// tuned by the payments team\n";
    std::fs::write(&main, &mine).unwrap();
    let o = plumb(&["scaffold", "--model", s(&model), "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("update    compliance/payments/dora.md"),
        "{text}"
    );
    assert!(
        text.contains("kept      services/payments/src/health.rs"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&main).unwrap(),
        mine,
        "the team's edit survives"
    );
    let dora = std::fs::read_to_string(repo.join("compliance/payments/dora.md")).unwrap();
    assert!(
        dora.contains("| Payments (`fn-payments`) | critical | 1 | 0.25 |"),
        "{dora}"
    );
    // Back in agreement (the edited service code is the team's, not drift).
    let o = plumb(&["scaffold", "--out", s(&repo), "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    // A managed document edited by hand, then changed by the model: a conflict.
    let rb = repo.join("runbooks/payments.md");
    std::fs::write(
        &rb,
        std::fs::read_to_string(&rb).unwrap() + "\nPage Ana first.\n",
    )
    .unwrap();
    let o = plumb(&["scaffold", "--out", s(&repo), "--check"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "an edited managed file is drift: {}",
        out(&o)
    );
    std::fs::write(
        &model,
        std::fs::read_to_string(&model)
            .unwrap()
            .replace("dora:rto-hours: \"1\"", "dora:rto-hours: \"3\""),
    )
    .unwrap();
    let o = plumb(&["scaffold", "--model", s(&model), "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("CONFLICT  runbooks/payments.md"),
        "{}",
        out(&o)
    );
    assert!(
        std::fs::read_to_string(&rb)
            .unwrap()
            .contains("Page Ana first.")
    );
    let pending = repo.join(".plumb/pending/runbooks/payments.md");
    let merged = std::fs::read_to_string(&pending).unwrap() + "\nPage Ana first.\n";
    std::fs::write(&rb, merged).unwrap();
    let o = plumb(&[
        "scaffold",
        "--out",
        s(&repo),
        "--resolved",
        "runbooks/payments.md",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!pending.exists());
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("x");
    let o = plumb(&["scaffold", "--model", BANK]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("--out"));
    let o = plumb(&["scaffold", "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("--model"));

    let model = d.path().join("m.yaml");
    let yaml = std::fs::read_to_string(root().join(BANK)).unwrap();
    std::fs::write(
        &model,
        yaml.replace("plumb:template: rust-axum", "plumb:template: cobol"),
    )
    .unwrap();
    let o = plumb(&["scaffold", "--model", s(&model), "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        out(&o).contains("names template \"cobol\", which does not exist"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("hint: available templates"));
    assert!(!repo.exists(), "nothing written");

    std::fs::write(
        &model,
        yaml.replace("plumb:service: payments,", "plumb:service: Payments API,"),
    )
    .unwrap();
    let o = plumb(&["scaffold", "--model", s(&model), "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        out(&o).contains("service name \"Payments API\""),
        "{}",
        out(&o)
    );
    assert!(!repo.exists());

    std::fs::write(
        &model,
        "id: m\nname: Empty\nelements:\n  - {id: r, type: Requirement, name: R}\n",
    )
    .unwrap();
    let o = plumb(&["scaffold", "--model", s(&model), "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        out(&o).contains("has no application components"),
        "{}",
        out(&o)
    );

    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("notes.txt"), "mine").unwrap();
    let o = plumb(&["scaffold", "--model", BANK, "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("is not empty"), "{}", out(&o));
    assert_eq!(std::fs::read_dir(&repo).unwrap().count(), 1);

    let o = plumb(&["scaffold", "--out", s(&repo), "--check", "--model", BANK]);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("holds no generation manifest"));
}

#[test]
fn templates_are_listed_and_generation_can_be_previewed() {
    let o = plumb(&["--format", "json", "scaffold", "--list-templates"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["python-fastapi", "repository", "rust-axum"]);
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("r");
    let o = plumb(&[
        "--format",
        "json",
        "scaffold",
        "--model",
        BANK,
        "--out",
        s(&repo),
        "--dry-run",
        "--component",
        "identity",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["services"].as_array().unwrap().len(), 1);
    assert!(v["counts"]["create"].as_u64().unwrap() > 20);
    assert!(!repo.exists(), "a dry run writes nothing");
}

#[test]
fn the_generated_change_step_counts_only_current_approvals_of_the_gated_commit() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("r");
    let o = plumb(&[
        "scaffold",
        "--model",
        BANK,
        "--out",
        s(&repo),
        "--component",
        "identity",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    std::fs::write(
        repo.join("ci/security-reviewers.txt"),
        "# security\nsec-lina\n",
    )
    .unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("GIT_AUTHOR_NAME", "Bo")
            .env("GIT_AUTHOR_EMAIL", "bo@bank.example")
            .env("GIT_COMMITTER_NAME", "Bo")
            .env("GIT_COMMITTER_EMAIL", "bo@bank.example")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "generated"]);
    std::fs::write(repo.join("services/identity/src/extra.rs"), "// more\n").unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "change"]);
    let head = git(&["rev-parse", "HEAD"]);
    let old = git(&["rev-parse", "HEAD^"]);
    // GitHub's review list: ana approved the head; bo approved, then asked for changes; cy
    // approved an older commit; lina (a security reviewer) approved the head.
    let review = |who: &str, state: &str, commit: &str, at: &str| serde_json::json!({"user": {"login": who}, "state": state, "commit_id": commit, "submitted_at": at});
    let reviews = serde_json::json!([
        review("ana", "APPROVED", &head, "2026-11-29T09:00:00Z"),
        review("ana", "COMMENTED", &head, "2026-11-29T10:00:00Z"),
        review("bo", "APPROVED", &head, "2026-11-29T09:00:00Z"),
        review("bo", "CHANGES_REQUESTED", &head, "2026-11-29T11:00:00Z"),
        review("cy", "APPROVED", &old, "2026-11-29T08:00:00Z"),
        review("sec-lina", "APPROVED", &head, "2026-11-29T09:30:00Z"),
    ]);
    let file = d.path().join("reviews.json");
    std::fs::write(&file, reviews.to_string()).unwrap();
    let o = Command::new("bash")
        .arg("ci/change.sh")
        .current_dir(&repo)
        .env("GITHUB_SHA", "0000000000000000000000000000000000000001") // the test merge commit
        .env("PR_HEAD_SHA", &head)
        .env("PR_NUMBER", "12")
        .env("PR_AUTHOR", "dev-bo")
        .env("GITHUB_BASE_REF", "main")
        .env("BASE", &old)
        .env("REVIEWS_FILE", &file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let approvals: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join("reports/approvals.json")).unwrap())
            .unwrap();
    let who: Vec<(&str, Vec<&str>)> = approvals
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["by"].as_str().unwrap(),
                a["roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("ana", vec!["reviewer"]),
            ("sec-lina", vec!["reviewer", "security-reviewer"])
        ]
    );
    let change: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join("reports/change.json")).unwrap()).unwrap();
    assert_eq!(
        change["commit"],
        head.as_str(),
        "the reviewed head, not the test merge"
    );
    assert_eq!(change["author"], "dev-bo");
    assert_eq!(
        change["changed_paths"],
        serde_json::json!(["services/identity/src/extra.rs"])
    );
}

/// The generated pipeline's deployment step writes exactly Plumbline's deployment record: what
/// `ci/record-deployment.sh` records reads back through the type, as drift and incident
/// linking read it.
#[test]
fn the_generated_deployment_step_writes_the_documented_record() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    let o = plumb(&["scaffold", "--model", BANK, "--out", s(&repo)]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let store = d.path().join("store");
    assert!(plumb(&["--store", s(&store), "init"]).status.success());
    // A history of two commits; the deployment ships the second.
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args([
                "-c",
                "user.name=ci",
                "-c",
                "user.email=ci@bank.example",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(&repo)
            .env("GIT_COMMITTER_DATE", "2026-11-29T16:02:11Z")
            .env("GIT_AUTHOR_DATE", "2026-11-29T16:02:11Z")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", out(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "generated"]);
    let previous = git(&["rev-parse", "HEAD"]);
    git(&["commit", "-q", "--allow-empty", "-m", "the change"]);
    let commit = git(&["rev-parse", "HEAD"]);
    let commit = commit.as_str();
    std::fs::create_dir_all(repo.join("reports")).unwrap();
    std::fs::write(
        repo.join("reports/change.json"),
        format!("{{\"commit\": \"{commit}\"}}"),
    )
    .unwrap();
    let o = Command::new("bash")
        .args(["ci/record-deployment.sh", "production"])
        .current_dir(&repo)
        .env("PLUMB", env!("CARGO_BIN_EXE_plumb"))
        .env("PLUMB_STORE", &store)
        .env_remove("GITHUB_RUN_ID")
        .env_remove("CI_PIPELINE_ID")
        .env_remove("CI_COMMIT_BEFORE_SHA")
        .env("DEPLOY_PREVIOUS_COMMIT", &previous)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let mut l = plumb_ledger::Ledger::open(&store).unwrap();
    let ids = l
        .query(&plumb_ledger::store::Query {
            predicate_type: Some(
                <plumb_records::deployment::Deployment as plumb_records::Record>::PREDICATE_TYPE
                    .into(),
            ),
            ..Default::default()
        })
        .unwrap();
    assert!(ids.len() >= 2, "one record per service: {ids:?}");
    for i in ids {
        let e = plumb_ledger::entry::LogEntry::parse(&l.entry(i).unwrap().bytes).unwrap();
        let st = e.statement().unwrap();
        // Every field the script writes is one the type knows: the record fits exactly.
        let dep = <plumb_records::deployment::Deployment as plumb_records::Record>::from_predicate(
            &st.predicate,
        )
        .unwrap();
        assert_eq!(plumb_records::Record::to_predicate(&dep), st.predicate);
        assert!(dep.is_production() && dep.shipped());
        assert!(
            dep.runbook
                .as_deref()
                .is_some_and(|r| r.starts_with("runbooks/"))
        );
        assert_eq!(
            st.subject[0].digest.get("gitCommit").map(String::as_str),
            Some(commit)
        );
        // The commits shipped since the previous deployment, with their commit times.
        assert_eq!(dep.commits.len(), 1, "{:?}", dep.commits);
        assert_eq!(dep.commits[0].sha, commit);
        let time = dep.commits[0].time.as_deref().unwrap_or_default();
        assert_eq!(
            chrono::DateTime::parse_from_rfc3339(time).map(|t| t.timestamp()),
            Ok(1_795_968_131),
            "{time}"
        );
    }
    let deployed = plumb_incident::store::deployments(&mut l).unwrap();
    assert!(deployed.iter().all(|x| x.production), "{deployed:?}");
}

// The infrastructure generated from the model's technology layer: Kubernetes manifests and a
// Terraform skeleton that pass the gate's infrastructure baseline by construction, network
// policies allowing exactly the model's Serving relationships, and model changes that change
// exactly the files depending on them.

fn generate(model: &str, repo: &Path) {
    let o = plumb(&["scaffold", "--model", model, "--out", s(repo)]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// `plumb gate` over the repository's infrastructure with its generated configuration.
fn infra_gate(repo: &Path) -> (Option<i32>, serde_json::Value, String) {
    let o = plumb(&[
        "gate",
        "--config",
        s(&repo.join("infrastructure/plumb-gate.yaml")),
        "--format",
        "json",
    ]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), v, out(&o))
}

fn rule_ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn generated_infrastructure_passes_the_gate_and_a_regression_is_denied() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    generate(BANK, &repo);
    for f in [
        "infrastructure/kubernetes/namespace.yaml",
        "infrastructure/kubernetes/kustomization.yaml",
        "infrastructure/kubernetes/payments.yaml",
        "infrastructure/terraform/main.tf",
        "infrastructure/terraform/variables.tf",
        "infrastructure/terraform/payments.tf",
        "ci/infra-gate.sh",
    ] {
        assert!(repo.join(f).is_file(), "{f}");
    }
    let (code, v, text) = infra_gate(&repo);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(v["result"], "pass", "{text}");
    assert!(rule_ids(&v, "warnings").is_empty(), "no warnings: {text}");

    // What the gate judged: every service's database and deployment, by its own system.
    let o = plumb(&[
        "gate",
        "facts",
        "--config",
        s(&repo.join("infrastructure/plumb-gate.yaml")),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let facts: Value = serde_json::from_slice(&o.stdout).unwrap();
    let resources = facts["infra"]["resources"].as_array().unwrap();
    for svc in ["payments", "onboarding", "identity"] {
        let db = resources
            .iter()
            .find(|r| r["address"] == format!("aws_db_instance.{svc}"))
            .unwrap_or_else(|| panic!("no database for {svc}: {resources:#?}"));
        assert_eq!(db["format"], "terraform-config");
        assert_eq!(db["encrypted_at_rest"], true);
        assert_eq!(db["public"], false);
        assert_eq!(db["backups"], true);
        assert_eq!(db["system"], svc);
        assert_eq!(db["region"], "eu-west-1", "from the model's plumb:region");
        let w = facts["infra"]["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == svc)
            .unwrap();
        let c = &w["containers"][0];
        assert_eq!(
            (&c["digest"], &c["runs_as_root"], &c["limits"], &c["probes"]),
            (
                &Value::Bool(true),
                &Value::Bool(false),
                &Value::Bool(true),
                &Value::Bool(true)
            ),
            "{w:#?}"
        );
    }
    // Personal data (onboarding's customer records) is classified accordingly.
    let onb = resources
        .iter()
        .find(|r| r["address"] == "aws_db_instance.onboarding")
        .unwrap();
    assert_eq!(onb["classification"], "confidential", "{onb:#?}");

    // The same gate denies what a hand edit breaks: an image by tag for a critical service,
    // and an unencrypted database.
    let k8s = repo.join("infrastructure/kubernetes/payments.yaml");
    let text = std::fs::read_to_string(&k8s).unwrap();
    let by_tag = text.replace(
        "@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ":1.0",
    );
    assert_ne!(text, by_tag);
    std::fs::write(&k8s, by_tag).unwrap();
    let tf = repo.join("infrastructure/terraform/identity.tf");
    let t = std::fs::read_to_string(&tf).unwrap();
    std::fs::write(
        &tf,
        t.replace(
            "storage_encrypted     = true",
            "storage_encrypted     = false",
        ),
    )
    .unwrap();
    let (code, v, text) = infra_gate(&repo);
    assert_eq!(code, Some(1), "{text}");
    let denied = rule_ids(&v, "violations");
    assert!(denied.contains(&"DORA-K8S-003".to_string()), "{text}");
    assert!(denied.contains(&"DORA-INFRA-001".to_string()), "{text}");
}

/// The paths `plumb scaffold --check` reports as drifted from `model` (it must find drift).
fn drifted(model: &Path, repo: &Path) -> BTreeSet<String> {
    let o = plumb(&[
        "--format",
        "json",
        "scaffold",
        "--model",
        s(model),
        "--out",
        s(repo),
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str().map(str::to_string))
        .collect()
}

/// The network policy's peers, by direction: the `app.kubernetes.io/name` of pod selectors.
fn peers(doc: &Value, direction: &str) -> BTreeSet<String> {
    let side = if direction == "ingress" { "from" } else { "to" };
    doc["spec"][direction]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule[side].as_array().cloned().unwrap_or_default())
        .filter_map(|peer| {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

fn policy(repo: &Path, svc: &str) -> Value {
    let text = std::fs::read_to_string(repo.join(format!("infrastructure/kubernetes/{svc}.yaml")))
        .unwrap();
    yaml_serde::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .find(|v: &Value| v["kind"] == "NetworkPolicy")
        .unwrap()
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn network_policies_allow_exactly_the_serving_relationships() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    generate(BANK, &repo);
    // identity serves payments and onboarding; payments is also served by the core ledger,
    // which is not generated here (so nothing is allowed to it) and by a provider's service.
    let identity = policy(&repo, "identity");
    assert_eq!(
        peers(&identity, "ingress"),
        names(&["onboarding", "payments"])
    );
    assert_eq!(peers(&identity, "egress"), names(&[]));
    let payments = policy(&repo, "payments");
    assert_eq!(peers(&payments, "ingress"), names(&[]));
    assert_eq!(peers(&payments, "egress"), names(&["identity"]));
    let onboarding = policy(&repo, "onboarding");
    assert_eq!(peers(&onboarding, "egress"), names(&["identity"]));

    // The architect removes "identity serves onboarding": exactly the two policies change
    // among the manifests, and the compose file (onboarding no longer gets IDENTITY_URL);
    // onboarding may no longer reach identity.
    let model = d.path().join("bank.yaml");
    let yaml = std::fs::read_to_string(root().join(BANK)).unwrap();
    let line =
        "  - {id: rel-id-onb, type: Serving, source: app-identity, target: app-onboarding}\n";
    assert!(yaml.contains(line));
    std::fs::write(&model, yaml.replace(line, "")).unwrap();
    let changed: BTreeSet<String> = drifted(&model, &repo)
        .into_iter()
        .filter(|p| p.starts_with("infrastructure/"))
        .collect();
    assert_eq!(
        changed,
        names(&[
            "infrastructure/docker-compose.yml",
            "infrastructure/kubernetes/identity.yaml",
            "infrastructure/kubernetes/onboarding.yaml"
        ])
    );
    generate(s(&model), &repo);
    assert_eq!(peers(&policy(&repo, "onboarding"), "egress"), names(&[]));
    assert_eq!(
        peers(&policy(&repo, "identity"), "ingress"),
        names(&["payments"])
    );
}

/// The clients generated for each upstream (a Serving relationship from another component)
/// carry values derived from the service's RTO, and their circuit breakers open against a dead
/// upstream: the Python client's tests and the Rust breaker's tests run here as generated
/// (standard library only; the Rust client itself is built by `plumb scaffold --verify`).
#[test]
fn generated_clients_open_their_breaker_against_a_dead_upstream() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    generate(BANK, &repo);
    // payments supports Payments (RTO 2 h): 4 s attempts, breaker open for 60 s; identity
    // supports Identity (RTO 1 h): 2 s and 30 s.
    let payments = std::fs::read_to_string(repo.join("services/payments/src/upstream.rs")).unwrap();
    assert!(
        payments.contains("Duration::from_millis(4000)"),
        "{payments}"
    );
    assert!(payments.contains("pub r#identity: Option<Upstream>"));
    assert!(payments.contains("pub r#core_ledger: Option<Upstream>"));
    let identity = std::fs::read_to_string(repo.join("services/identity/src/upstream.rs")).unwrap();
    assert!(identity.contains("OPEN_FOR: Duration = Duration::from_millis(30000)"));
    let k8s =
        std::fs::read_to_string(repo.join("infrastructure/kubernetes/payments.yaml")).unwrap();
    assert!(
        k8s.contains("- {name: IDENTITY_URL, value: \"http://identity\"}"),
        "{k8s}"
    );
    assert!(
        !k8s.contains("CORE_LEDGER_URL"),
        "not generated here: no address to give"
    );

    let o = Command::new("python3")
        .current_dir(repo.join("services/onboarding"))
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "tests",
            "-p",
            "test_upstream.py",
            "-v",
        ])
        .output()
        .expect("python3");
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.lines().any(
            |l| l.starts_with("test_the_breaker_opens_against_a_dead_upstream")
                && l.ends_with("... ok")
        ),
        "{text}"
    );

    let bin = d.path().join("breaker-tests");
    let o = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--edition", "2024", "--test"])
        .arg(repo.join("services/payments/src/breaker.rs"))
        .arg("-o")
        .arg(&bin)
        .output()
        .expect("rustc");
    assert!(o.status.success(), "{}", out(&o));
    let o = Command::new(&bin).output().unwrap();
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("opens_against_a_dead_upstream_and_stops_calling_it ... ok"),
        "{text}"
    );
}

/// A function's RTO changes exactly the files derived from it: those of the services that
/// support the function (payments directly, identity through serving it) that state it
/// (compliance, runbooks, READMEs, the blueprint), and the values derived from payments' own
/// tightest RTO (its client policy, its experiment's recovery limit, its manifests' and
/// Terraform's comments, the watch); nothing of onboarding, nothing identity derives from its
/// own tighter RTO.
#[test]
fn an_rto_change_regenerates_exactly_the_files_derived_from_it() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("bank-services");
    generate(BANK, &repo);
    // The infrastructure and recovery files are managed: a hand edit is drift.
    let manifest = repo.join("infrastructure/kubernetes/payments.yaml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, original.replace("replicas: 3", "replicas: 1")).unwrap();
    let o = plumb(&["scaffold", "--out", s(&repo), "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("infrastructure/kubernetes/payments.yaml"),
        "{}",
        out(&o)
    );
    std::fs::write(&manifest, original).unwrap();
    let model = d.path().join("bank.yaml");
    let yaml = std::fs::read_to_string(root().join(BANK)).unwrap();
    let changed = yaml.replace(
        "name: Payments, properties: {dora:criticality: critical, dora:rto-hours: \"2\"",
        "name: Payments, properties: {dora:criticality: critical, dora:rto-hours: \"1.5\"",
    );
    assert_ne!(yaml, changed);
    std::fs::write(&model, changed).unwrap();
    let paths = drifted(&model, &repo);
    assert_eq!(
        paths,
        names(&[
            "README.md",
            "architecture/blueprint.xml",
            "compliance/identity/dora.md",
            "compliance/payments/dora.md",
            "infrastructure/kubernetes/payments.yaml",
            "infrastructure/terraform/payments.tf",
            "resilience/payments/experiment.json",
            "resilience/watch.yaml",
            "runbooks/identity.md",
            "runbooks/payments.md",
            "services/payments/README.md",
            "services/payments/src/lib.rs",
            "services/payments/src/upstream.rs",
        ])
    );
    // Regenerated, the derived values follow: 1.5 h is 5400 s (the experiment's limit), the
    // attempt deadline 3 s (5400 / 1800), the breaker 45 s (5400 / 120).
    generate(s(&model), &repo);
    let exp = std::fs::read_to_string(repo.join("resilience/payments/experiment.json")).unwrap();
    assert!(exp.contains("\"default\": \"5400\""), "{exp}");
    let up = std::fs::read_to_string(repo.join("services/payments/src/upstream.rs")).unwrap();
    assert!(up.contains("ATTEMPT_TIMEOUT: Duration = Duration::from_millis(3000)"));
    assert!(up.contains("OPEN_FOR: Duration = Duration::from_millis(45000)"));
}
