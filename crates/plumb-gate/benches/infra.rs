//! Infrastructure through the gate (reported, never asserted):
//!
//! ```sh
//! cargo bench -p plumb-gate --bench infra      # writes target/bench/plan-5000.json
//! scripts/bench-opa-infra                      # the same plan through real OPA, side by side
//! ```
//!
//! A generated 5,000-resource Terraform plan (about 50 MB of JSON: buckets, databases,
//! security groups with rules, instances, each with tags and the planned attributes a real plan
//! carries) through the whole gate: reading and normalising the plan, the DORA baseline's
//! infrastructure rules. Then the peak memory of the process.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use plumb_gate::{GateConfig, GateRequest, evaluate};
use plumb_ingest::Kind;

/// Planned attributes a real resource carries besides the ones the rules read: nested blocks,
/// timeouts, many tags. About 9 KB each.
fn filler(i: usize) -> Value {
    let tags: serde_json::Map<String, Value> = (0..40)
        .map(|t| {
            (
                format!("cost-centre-{t}"),
                json!(format!("cc-{}-{t:04}", i % 97)),
            )
        })
        .collect();
    let blocks: Vec<Value> = (0..25)
        .map(|b| json!({"name": format!("block-{b}"), "enabled": b % 2 == 0, "values": [format!("v{i}-{b}-a"), format!("v{i}-{b}-b"), format!("v{i}-{b}-c")], "timeouts": {"create": "30m", "delete": "45m"}}))
        .collect();
    json!({"extra_tags": tags, "lifecycle_rules": blocks, "description": "x".repeat(5000)})
}

fn plan(n: usize) -> Value {
    let mut changes = Vec::with_capacity(n);
    let mut config = Vec::with_capacity(n);
    for i in 0..n {
        let (ty, mut after) = match i % 5 {
            0 => (
                "aws_s3_bucket",
                json!({"bucket": format!("b-{i}"), "acl": if i % 50 == 0 { "public-read" } else { "private" },
                "server_side_encryption_configuration": if i % 7 == 0 { json!([]) } else { json!([{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}]}]}]) },
                "versioning": [{"enabled": i % 3 != 0}]}),
            ),
            1 => (
                "aws_db_instance",
                json!({"identifier": format!("db-{i}"), "storage_encrypted": i % 11 != 0, "publicly_accessible": false, "backup_retention_period": 7, "deletion_protection": true}),
            ),
            2 => (
                "aws_security_group",
                json!({"name": format!("sg-{i}"), "ingress": [{"cidr_blocks": [if i % 9 == 0 { "0.0.0.0/0" } else { "10.0.0.0/8" }], "from_port": 443, "to_port": 443, "protocol": "tcp"}]}),
            ),
            3 => (
                "aws_instance",
                json!({"ami": "ami-123", "instance_type": "m6i.large", "associate_public_ip_address": false}),
            ),
            _ => ("aws_ebs_volume", json!({"size": 100, "encrypted": true})),
        };
        if let (Some(a), Value::Object(f)) = (after.as_object_mut(), filler(i)) {
            a.extend(f);
            a.insert(
                "tags".into(),
                json!({"plumb:system": "payments", "plumb:data-classification": "confidential"}),
            );
        }
        let address = format!("module.m{}.{ty}.r{i}", i % 20);
        changes.push(json!({"address": address, "module_address": format!("module.m{}", i % 20), "mode": "managed", "type": ty, "name": format!("r{i}"),
            "provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {"id": true, "arn": true}}}));
        config.push(json!({"address": format!("{ty}.r{i}"), "mode": "managed", "type": ty, "name": format!("r{i}"), "provider_config_key": "aws",
            "expressions": {"name": {"constant_value": format!("r{i}")}}}));
    }
    json!({"format_version": "1.2", "terraform_version": "1.9.5", "planned_values": {"root_module": {}}, "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-central-1"}}}},
            "root_module": {"module_calls": (0..20).map(|m| (format!("m{m}"), json!({"module": {"resources": config.iter().skip(m).step_by(20).cloned().collect::<Vec<_>>()}}))).collect::<serde_json::Map<_, _>>()}}})
}

fn main() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let file = out.join("plan-5000.json");
    // The plan is generated in this process, then judged in a fresh one, so the peak memory
    // measured is the gate's own, not the generator's.
    if std::env::var_os("PLUMB_BENCH_JUDGE").is_none() {
        std::fs::create_dir_all(&out).expect("target/bench");
        std::fs::write(&file, serde_json::to_vec(&plan(5_000)).expect("JSON"))
            .expect("plan written");
        let status = std::process::Command::new(std::env::current_exe().expect("this bench"))
            .env("PLUMB_BENCH_JUDGE", "1")
            .status()
            .expect("the judging run");
        std::process::exit(status.code().unwrap_or(1));
    }
    let bytes = std::fs::read(&file).expect("the generated plan");
    let req = GateRequest {
        config: GateConfig {
            system: Some("payments".into()),
            criticality: "critical".into(),
            ..Default::default()
        },
        inputs: vec![(Kind::Infra, "plan-5000.json".into(), bytes.clone())],
        waivers: vec![],
        policies: vec![],
        now: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        break_glass: None,
        origin: None,
    };
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let d = evaluate(&req);
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(d);
    }
    let d = last.expect("three runs");
    assert!(d.error.is_none(), "{:?}", d.error);
    let t = Instant::now();
    let facts = plumb_ingest::ingest(&req.inputs).expect("the plan reads");
    let ingest = t.elapsed().as_secs_f64();
    println!("## 5,000-resource Terraform plan through the gate\n");
    println!(
        "plan: {:.1} MB of JSON, {} resources\n",
        bytes.len() as f64 / 1e6,
        facts.infra.map_or(0, |i| i.resources.len())
    );
    println!("| measure | value |\n|---|---|");
    println!("| end-to-end evaluation (read + normalise + baseline), best of 3 | {best:.3} s |");
    println!("| of which reading and normalising the plan | {ingest:.3} s |");
    println!(
        "| result | {:?}, {} violations |",
        d.result,
        d.violations.len()
    );
    println!(
        "| peak resident memory of the judging process (the plan's bytes held as the request) | {:.0} MB |",
        plumb_testkit::peak_rss_mb()
    );
}
