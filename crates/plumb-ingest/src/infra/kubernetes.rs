//! Kubernetes manifests: one or more YAML (or JSON) documents, `List` kinds unwrapped, as
//! `kubectl apply`, `helm template` and `kustomize build` produce them. Workloads give their
//! containers (image, privileges, user, limits, probes) and host access; Services of type
//! LoadBalancer or NodePort are exposed resources. A document that is not a manifest (no
//! `apiVersion` or `kind`, a field of the wrong type) is refused naming the field.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Container, Infra, Resource, Workload};
use crate::error::{IngestError, Result};
use crate::util::s;

/// Most documents read from one input.
const MAX_DOCUMENTS: usize = 10_000;

/// Kinds whose pod template is at `spec.template.spec` (or `spec` for a Pod).
const WORKLOADS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

/// Whether `text` looks like Kubernetes manifests: some document has `apiVersion` and `kind`.
pub fn looks_like(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start().starts_with("apiVersion:"))
        && text.lines().any(|l| l.trim_start().starts_with("kind:"))
}

/// Reads every document of `text` into `infra`.
pub fn read(file: &str, text: &str, infra: &mut Infra) -> Result<()> {
    let mut docs = Vec::new();
    for (n, de) in yaml_serde::Deserializer::from_str(text).enumerate() {
        if n >= MAX_DOCUMENTS {
            return Err(IngestError::new(
                file,
                format!("more than {MAX_DOCUMENTS} documents"),
            ));
        }
        let v = Value::deserialize(de).map_err(|e| {
            IngestError::at(
                file,
                e.location().map_or(0, |l| l.line() as u64),
                format!("not valid YAML: {e}"),
            )
        })?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    if docs.is_empty() {
        return Err(IngestError::new(file, "no Kubernetes documents"));
    }
    for (i, d) in docs.iter().enumerate() {
        read_doc(file, d, i, infra, 0)?;
    }
    Ok(())
}

fn read_doc(file: &str, d: &Value, i: usize, infra: &mut Infra, depth: usize) -> Result<()> {
    let field = |f: &str| format!("document {} ({f})", i + 1);
    let (Some(_), Some(kind)) = (s(d, "apiVersion"), s(d, "kind")) else {
        return Err(IngestError::new(
            file,
            format!(
                "{} is not a Kubernetes manifest: missing `apiVersion` or `kind` (a dump from a client library? use kubectl get -o yaml)",
                field("apiVersion/kind")
            ),
        ));
    };
    if kind == "List" || kind.ends_with("List") {
        if depth > 4 {
            return Err(IngestError::new(file, field("List nested too deeply")));
        }
        let Some(items) = d.get("items").and_then(Value::as_array) else {
            return Err(IngestError::new(
                file,
                format!("{}: a List needs `items`", field("items")),
            ));
        };
        for it in items {
            read_doc(file, it, i, infra, depth + 1)?;
        }
        return Ok(());
    }
    let meta = d.get("metadata").unwrap_or(&Value::Null);
    let name = s(meta, "name").unwrap_or("").to_string();
    let namespace = s(meta, "namespace").unwrap_or("default").to_string();
    let labels = string_map(meta.get("labels"));
    let address = format!("{kind}/{namespace}/{name}");
    let mut r = Resource {
        input: file.into(),
        format: "kubernetes".into(),
        address: address.clone(),
        r#type: kind.to_string(),
        provider: "kubernetes".into(),
        action: "apply".into(),
        tags: labels.clone(),
        data_store: matches!(kind, "PersistentVolumeClaim" | "PersistentVolume"),
        ..Default::default()
    };
    if kind == "Service" {
        service(file, d, i, &mut r)?;
    }
    if kind == "Ingress" {
        // Served over TLS when the Ingress names certificates for its hosts.
        r.encrypted_in_transit = Some(
            d.pointer("/spec/tls")
                .and_then(Value::as_array)
                .is_some_and(|t| !t.is_empty()),
        );
        r.public = Some(true);
        r.public_reasons.push("Ingress".into());
    }
    r.read_tags();
    infra.resources.push(r);
    if WORKLOADS.contains(&kind) {
        let spec = match kind {
            "Pod" => d.get("spec"),
            "CronJob" => d.pointer("/spec/jobTemplate/spec/template/spec"),
            _ => d.pointer("/spec/template/spec"),
        };
        let Some(spec) = spec.filter(|s| s.is_object()) else {
            return Err(IngestError::new(
                file,
                format!("{}: {address} has no pod spec", field("spec")),
            ));
        };
        infra.workloads.push(workload(
            file, spec, &address, kind, &name, &namespace, &labels,
        )?);
    }
    Ok(())
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(m)) = v {
        for (k, v) in m {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            out.insert(k.clone(), v);
        }
    }
    out
}

fn service(file: &str, d: &Value, i: usize, r: &mut Resource) -> Result<()> {
    let spec = d.get("spec").unwrap_or(&Value::Null);
    for (j, p) in spec
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        for key in ["port", "nodePort"] {
            if let Some(v) = p.get(key)
                && !v.is_u64()
            {
                return Err(IngestError::new(
                    file,
                    format!(
                        "document {} (spec.ports[{j}].{key}): {v} is not a port number (an unrendered template?)",
                        i + 1
                    ),
                ));
            }
        }
    }
    let ty = s(spec, "type").unwrap_or("ClusterIP");
    if matches!(ty, "LoadBalancer" | "NodePort") {
        r.public = Some(true);
        r.public_reasons.push(format!("Service of type {ty}"));
    } else {
        r.public = Some(false);
    }
    Ok(())
}

fn flag(v: &Value, path: &str) -> Option<bool> {
    match v.pointer(path) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn workload(
    file: &str,
    spec: &Value,
    address: &str,
    kind: &str,
    name: &str,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Result<Workload> {
    let pod_root = flag(spec, "/securityContext/runAsNonRoot");
    let pod_user = spec
        .pointer("/securityContext/runAsUser")
        .and_then(Value::as_i64);
    let mut w = Workload {
        input: file.into(),
        address: address.into(),
        kind: kind.into(),
        namespace: namespace.into(),
        name: name.into(),
        system: super::tag(labels, super::SYSTEM_TAGS),
        host_network: flag(spec, "/hostNetwork") == Some(true),
        host_pid: flag(spec, "/hostPID") == Some(true),
        host_ipc: flag(spec, "/hostIPC") == Some(true),
        ..Default::default()
    };
    for v in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(p) = v.pointer("/hostPath/path").and_then(Value::as_str) {
            w.host_paths.push(p.to_string());
        }
    }
    for key in ["initContainers", "containers"] {
        let list = match spec.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(IngestError::new(
                    file,
                    format!("{address}: `{key}` must be a list"),
                ));
            }
        };
        for c in list {
            w.containers.push(container(c, pod_root, pod_user));
        }
    }
    Ok(w)
}

fn container(c: &Value, pod_non_root: Option<bool>, pod_user: Option<i64>) -> Container {
    let image = s(c, "image").unwrap_or("").to_string();
    let digest = image.contains("@sha256:");
    // The tag follows the last `:` after the last `/` (a registry port has a `/` after it).
    let last = image.rsplit('/').next().unwrap_or(&image);
    let without_digest = last.split('@').next().unwrap_or(last);
    let tag = match without_digest.split_once(':') {
        Some((_, t)) => Some(t.to_string()),
        None if digest => None,
        None => Some("latest".to_string()),
    };
    let user = c
        .pointer("/securityContext/runAsUser")
        .and_then(Value::as_i64)
        .or(pod_user);
    let non_root = flag(c, "/securityContext/runAsNonRoot").or(pod_non_root);
    let runs_as_root = match (user, non_root) {
        (Some(0), _) => Some(true),
        (Some(_), _) => Some(false),
        (None, Some(true)) => Some(false),
        _ => None,
    };
    let has = |p: &str| c.pointer(p).is_some_and(|v| !v.is_null());
    Container {
        name: s(c, "name").unwrap_or("").to_string(),
        image,
        digest,
        tag,
        privileged: flag(c, "/securityContext/privileged") == Some(true),
        runs_as_root,
        allow_privilege_escalation: flag(c, "/securityContext/allowPrivilegeEscalation"),
        limits: has("/resources/limits/cpu") && has("/resources/limits/memory"),
        probes: has("/readinessProbe") && has("/livenessProbe"),
    }
}
