//! Terraform and OpenTofu plan JSON (`terraform show -json plan.out`, format 0.x and 1.x):
//! every managed resource change with its action and planned values, the region from the
//! resource or its provider block, and what the plan says about encryption, exposure,
//! versioning, backups and deletion protection. Companion resources that configure a bucket or
//! a security group from outside (`aws_s3_bucket_acl`, `aws_security_group_rule`, ...) are
//! linked to it through the plan's configuration references, as their targets are often
//! unknown until apply.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Infra, Resource};
use crate::error::{IngestError, Result};
use crate::util::s;

/// Resource types that hold data.
const DATA_STORES: &[&str] = &[
    "aws_s3_bucket",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_dynamodb_table",
    "aws_ebs_volume",
    "aws_efs_file_system",
    "aws_elasticache_replication_group",
    "aws_redshift_cluster",
    "aws_db_snapshot",
    "aws_docdb_cluster",
    "google_storage_bucket",
    "google_sql_database_instance",
    "google_bigquery_dataset",
    "azurerm_storage_account",
    "azurerm_mssql_database",
    "azurerm_postgresql_flexible_server",
    "azurerm_cosmosdb_account",
];

/// Whether `v` looks like a plan: a plan has `resource_changes` or `planned_values`; a state
/// rendering (`values` only) is refused by [`read`] with its own message.
pub fn is_plan(v: &Value) -> bool {
    v.get("format_version").is_some()
        && (v.get("resource_changes").is_some()
            || v.get("planned_values").is_some()
            || v.get("values").is_some())
}

fn action(actions: &[Value]) -> &'static str {
    let a: Vec<&str> = actions.iter().filter_map(Value::as_str).collect();
    match a.as_slice() {
        ["create"] => "create",
        ["delete"] => "delete",
        ["update"] => "update",
        ["read"] => "read",
        ["delete", "create"] | ["create", "delete"] => "replace",
        _ => "no-op",
    }
}

/// `aws` from `registry.terraform.io/hashicorp/aws` or `aws`.
fn provider(name: &str) -> String {
    name.rsplit('/').next().unwrap_or(name).to_string()
}

/// An address without instance keys (`module.a["x"].b.c[0]` -> `module.a.b.c`).
fn base(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    for ch in address.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(ch),
            _ => {}
        }
    }
    out
}

/// The module part of an address (`module.a.module.b` of `module.a.module.b.aws_x.y`).
fn module_of(address: &str) -> String {
    let b = base(address);
    let parts: Vec<&str> = b.split('.').collect();
    let mut m = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() && parts.get(i) == Some(&"module") {
        m.push(format!(
            "module.{}",
            parts.get(i + 1).copied().unwrap_or("")
        ));
        i += 2;
    }
    m.join(".")
}

fn truthy(v: Option<&Value>) -> Option<bool> {
    v.and_then(Value::as_bool)
}

fn non_empty(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

fn tags(after: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for key in ["tags_all", "tags", "labels"] {
        if let Some(Value::Object(m)) = after.get(key) {
            for (k, v) in m {
                if let Some(v) = v.as_str() {
                    out.insert(k.clone(), v.to_string());
                }
            }
        }
    }
    out
}

/// The configuration blocks of every module, by module path, with their references.
struct Config {
    /// (module path, resource address within it) -> references of each expression.
    refs: BTreeMap<(String, String), Vec<String>>,
    /// Provider name -> its configured region (root module).
    regions: BTreeMap<String, String>,
}

fn collect_config(module: &Value, path: &str, c: &mut Config, depth: usize) {
    if depth > 32 {
        return;
    }
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(addr) = s(r, "address") else {
            continue;
        };
        let mut refs = Vec::new();
        if let Some(Value::Object(ex)) = r.get("expressions") {
            for e in ex.values() {
                refs_of(e, &mut refs, 0);
            }
        }
        c.refs.insert((path.to_string(), addr.to_string()), refs);
    }
    if let Some(Value::Object(calls)) = module.get("module_calls") {
        for (name, call) in calls {
            let child = if path.is_empty() {
                format!("module.{name}")
            } else {
                format!("{path}.module.{name}")
            };
            if let Some(m) = call.get("module") {
                collect_config(m, &child, c, depth + 1);
            }
        }
    }
}

fn refs_of(e: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    match e {
        Value::Object(m) => {
            if let Some(Value::Array(rs)) = m.get("references") {
                out.extend(rs.iter().filter_map(Value::as_str).map(str::to_string));
            }
            for v in m.values() {
                refs_of(v, out, depth + 1);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs_of(v, out, depth + 1)),
        _ => {}
    }
}

/// One managed resource change, as read.
struct Change<'a> {
    address: String,
    module: String,
    r#type: String,
    provider: String,
    action: &'static str,
    after: &'a Value,
}

/// Reads a plan into `infra`.
pub fn read(file: &str, v: &Value, infra: &mut Infra) -> Result<()> {
    let version = s(v, "format_version").unwrap_or("");
    let major = version.split('.').next().unwrap_or("");
    if major != "0" && major != "1" {
        return Err(IngestError::new(
            file,
            format!(
                "Terraform plan format {version:?} is not supported (0.x and 1.x are); run terraform show -json with Terraform 0.12 or later"
            ),
        ));
    }
    if v.get("resource_changes").is_none() && v.get("planned_values").is_none() {
        return Err(IngestError::new(
            file,
            "not a Terraform plan: no planned_values or resource_changes (a state rendering? run terraform show -json on the saved plan file)",
        ));
    }
    let changes_v = match v.get("resource_changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(IngestError::new(
                file,
                "`resource_changes` must be an array",
            ));
        }
    };
    let mut cfg = Config {
        refs: BTreeMap::new(),
        regions: BTreeMap::new(),
    };
    if let Some(conf) = v.get("configuration") {
        if let Some(m) = conf.get("root_module") {
            collect_config(m, "", &mut cfg, 0);
        }
        if let Some(Value::Object(ps)) = conf.get("provider_config") {
            for (key, p) in ps {
                let region = p
                    .pointer("/expressions/region/constant_value")
                    .and_then(Value::as_str);
                if let Some(r) = region {
                    let name = s(p, "name").unwrap_or(key);
                    cfg.regions.insert(name.to_string(), r.to_string());
                }
            }
        }
    }
    let mut changes = Vec::new();
    for (i, rc) in changes_v.iter().enumerate() {
        if s(rc, "mode") == Some("data") {
            continue;
        }
        let (Some(address), Some(ty)) = (s(rc, "address"), s(rc, "type")) else {
            return Err(IngestError::new(
                file,
                format!("resource_changes[{i}] has no address or type"),
            ));
        };
        let change = rc.get("change").unwrap_or(&Value::Null);
        let act = action(
            change
                .get("actions")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        // A deletion's planned values are null: judge what is being deleted.
        let after = match change.get("after") {
            Some(a) if a.is_object() => a,
            _ => change.get("before").unwrap_or(&Value::Null),
        };
        changes.push(Change {
            address: address.to_string(),
            module: s(rc, "module_address")
                .map(str::to_string)
                .unwrap_or_else(|| module_of(address)),
            r#type: ty.to_string(),
            provider: provider(s(rc, "provider_name").unwrap_or("")),
            action: act,
            after,
        });
    }
    let mut out: Vec<Resource> = changes.iter().map(|c| resource(file, c, &cfg)).collect();
    link(&changes, &mut out, &cfg);
    for r in &mut out {
        r.read_tags();
    }
    infra.resources.extend(out);
    Ok(())
}

fn resource(file: &str, c: &Change<'_>, cfg: &Config) -> Resource {
    let a = c.after;
    let mut r = Resource {
        input: file.into(),
        format: "terraform-plan".into(),
        address: c.address.clone(),
        r#type: c.r#type.clone(),
        provider: c.provider.clone(),
        action: c.action.into(),
        region: s(a, "region")
            .or_else(|| s(a, "location"))
            .map(str::to_string)
            .or_else(|| cfg.regions.get(&c.provider).cloned()),
        data_store: DATA_STORES.contains(&c.r#type.as_str()),
        tags: tags(a),
        ..Default::default()
    };
    // Created from another store's data: a snapshot, a replica, a point-in-time restore.
    r.copy_of = [
        "/snapshot_identifier",
        "/replicate_source_db",
        "/source_db_instance_identifier",
        "/source_snapshot_identifier",
        "/restore_to_point_in_time/0/source_db_instance_identifier",
        "/restore_to_point_in_time/0/source_db_cluster_identifier",
        "/snapshot_id",
    ]
    .iter()
    .find_map(|p| a.pointer(p).and_then(Value::as_str))
    .filter(|v| !v.is_empty())
    .map(str::to_string);
    match c.r#type.as_str() {
        "aws_s3_bucket" => {
            r.encrypted_at_rest = Some(non_empty(a.get("server_side_encryption_configuration")));
            if let Some(acl) = s(a, "acl") {
                r.public = Some(acl.starts_with("public"));
                if acl.starts_with("public") {
                    r.public_reasons.push(format!("ACL {acl}"));
                }
            }
            if let Some(v) = a.pointer("/versioning/0/enabled").and_then(Value::as_bool) {
                r.versioning = Some(v);
            }
        }
        "aws_db_instance" | "aws_rds_cluster" | "aws_docdb_cluster" => {
            r.encrypted_at_rest = Some(truthy(a.get("storage_encrypted")).unwrap_or(false));
            if truthy(a.get("publicly_accessible")) == Some(true) {
                r.public = Some(true);
                r.public_reasons.push("publicly_accessible".into());
            } else if truthy(a.get("publicly_accessible")) == Some(false) {
                r.public = Some(false);
            }
            r.backups = a
                .get("backup_retention_period")
                .and_then(Value::as_i64)
                .map(|d| d > 0);
            r.deletion_protection = truthy(a.get("deletion_protection"));
        }
        "aws_ebs_volume" | "aws_efs_file_system" => {
            r.encrypted_at_rest = Some(truthy(a.get("encrypted")).unwrap_or(false));
        }
        "aws_dynamodb_table" => {
            // Encrypted by default with an AWS-owned key; `server_side_encryption` chooses KMS.
            r.encrypted_at_rest = Some(true);
            r.backups = a
                .pointer("/point_in_time_recovery/0/enabled")
                .and_then(Value::as_bool);
            r.deletion_protection = truthy(a.get("deletion_protection_enabled"));
        }
        "google_storage_bucket" | "azurerm_storage_account" => {
            // Always encrypted at rest by the provider.
            r.encrypted_at_rest = Some(true);
            r.versioning = a.pointer("/versioning/0/enabled").and_then(Value::as_bool);
            if c.r#type == "azurerm_storage_account" {
                r.encrypted_in_transit = truthy(a.get("enable_https_traffic_only"))
                    .or_else(|| truthy(a.get("https_traffic_only_enabled")));
                if truthy(a.get("allow_nested_items_to_be_public")) == Some(true) {
                    r.public = Some(true);
                    r.public_reasons
                        .push("allow_nested_items_to_be_public".into());
                }
            }
        }
        "aws_security_group" => {
            for rule in a
                .get("ingress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(why) = open_ingress(rule) {
                    r.public = Some(true);
                    r.public_reasons.push(why);
                }
            }
        }
        "aws_lb_listener" | "aws_alb_listener" => {
            if let Some(p) = s(a, "protocol") {
                r.encrypted_in_transit = Some(matches!(p, "HTTPS" | "TLS"));
            }
        }
        "aws_instance" if truthy(a.get("associate_public_ip_address")) == Some(true) => {
            r.public = Some(true);
            r.public_reasons.push("public IP address".into());
        }
        "aws_lb" | "aws_alb" | "aws_elb" if truthy(a.get("internal")) == Some(false) => {
            r.public = Some(true);
            r.public_reasons
                .push("internet-facing load balancer".into());
        }
        _ => {}
    }
    r
}

/// Why an ingress rule opens a port to the internet, if it does.
fn open_ingress(rule: &Value) -> Option<String> {
    let cidrs: Vec<&str> = ["cidr_blocks", "ipv6_cidr_blocks"]
        .iter()
        .filter_map(|k| rule.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let open = cidrs.iter().find(|c| **c == "0.0.0.0/0" || **c == "::/0")?;
    let (from, to) = (
        rule.get("from_port").and_then(Value::as_i64).unwrap_or(0),
        rule.get("to_port").and_then(Value::as_i64).unwrap_or(65535),
    );
    let proto = rule.get("protocol").and_then(Value::as_str).unwrap_or("-1");
    let ports = if proto == "-1" || (from == 0 && to >= 65535) {
        "all ports".to_string()
    } else if from == to {
        format!("port {from}/{proto}")
    } else {
        format!("ports {from}-{to}/{proto}")
    };
    Some(format!("ingress from {open} on {ports}"))
}

/// Companion resources and what they say about their target.
fn companion(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "aws_s3_bucket_acl" => "acl",
        "aws_s3_bucket_public_access_block" => "access_block",
        "aws_s3_bucket_server_side_encryption_configuration" => "encryption",
        "aws_s3_bucket_versioning" => "versioning",
        "aws_security_group_rule" | "aws_vpc_security_group_ingress_rule" => "sg_rule",
        _ => return None,
    })
}

/// The targets of companion `c`: resources it references in the configuration (in its
/// module), else those whose bucket name it names.
fn targets(c: &Change<'_>, changes: &[Change<'_>], cfg: &Config) -> Vec<usize> {
    let local = base(&c.address);
    let local = local
        .strip_prefix(&format!("{}.", c.module))
        .unwrap_or(&local)
        .to_string();
    let refs = cfg
        .refs
        .get(&(c.module.clone(), local))
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    for (j, t) in changes.iter().enumerate() {
        let tb = base(&t.address);
        let hit = refs.iter().any(|r| {
            let full = if c.module.is_empty() {
                base(r)
            } else {
                format!("{}.{}", c.module, base(r))
            };
            full == tb || full.starts_with(&format!("{tb}."))
        });
        let by_name = s(c.after, "bucket").is_some_and(|b| s(t.after, "bucket") == Some(b));
        if (hit || by_name) && companion(&t.r#type).is_none() {
            out.push(j);
        }
    }
    out
}

fn link(changes: &[Change<'_>], out: &mut [Resource], cfg: &Config) {
    for c in changes {
        let Some(kind) = companion(&c.r#type) else {
            continue;
        };
        let a = c.after;
        let hits = targets(c, changes, cfg);
        let apply = |r: &mut Resource| match kind {
            "acl" => {
                if let Some(acl) = s(a, "acl")
                    && acl.starts_with("public")
                {
                    r.public = Some(true);
                    r.public_reasons.push(format!("ACL {acl} ({})", c.address));
                }
            }
            "access_block" => {
                let open: Vec<&str> = [
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                ]
                .into_iter()
                .filter(|k| a.get(*k).and_then(Value::as_bool) == Some(false))
                .collect();
                if !open.is_empty() {
                    r.public_reasons.push(format!(
                        "public access not blocked: {} false ({})",
                        open.join(", "),
                        c.address
                    ));
                } else if r.public.is_none() {
                    r.public = Some(false);
                }
            }
            "encryption" => r.encrypted_at_rest = Some(true),
            "versioning" => {
                if let Some(st) = a
                    .pointer("/versioning_configuration/0/status")
                    .and_then(Value::as_str)
                {
                    r.versioning = Some(st == "Enabled");
                }
            }
            "sg_rule" => {
                let ingress = s(a, "type").is_none_or(|t| t == "ingress");
                let rule = if a.get("cidr_ipv4").is_some() {
                    serde_json::json!({"cidr_blocks": [a.get("cidr_ipv4")], "from_port": a.get("from_port"), "to_port": a.get("to_port"), "protocol": a.get("ip_protocol")})
                } else {
                    a.clone()
                };
                if ingress && let Some(why) = open_ingress(&rule) {
                    r.public = Some(true);
                    r.public_reasons.push(format!("{why} ({})", c.address));
                }
            }
            _ => {}
        };
        if hits.is_empty() {
            // No target found: judge the companion itself, so nothing is lost.
            if let Some(own) = changes.iter().position(|x| x.address == c.address)
                && let Some(r) = out.get_mut(own)
            {
                apply(r);
            }
            continue;
        }
        for j in hits {
            if let Some(r) = out.get_mut(j) {
                apply(r);
            }
        }
    }
}
