//! Infrastructure inputs (`--infra`): Terraform/OpenTofu plan JSON or configuration (`.tf`)
//! and Kubernetes manifests,
//! read into normalised facts that the baseline and the bank's policies judge: resources
//! (data stores, network exposure, encryption, backups, classification tags) and workloads
//! (images, privileges, host access, limits). A value the input does not settle is left out
//! (unknown), never guessed as safe.

pub mod hcl;
pub mod kubernetes;
pub mod terraform;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Largest infrastructure input read (128 MiB): a 5,000-resource plan is about 50 MB, and a
/// plan's tree stays within a few times its text (measured in docs/benchmarks.md).
pub const MAX_INFRA_BYTES: usize = 128 * 1024 * 1024;

/// Everything read from the infrastructure inputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Infra {
    /// Cloud and cluster resources (workloads are also listed under `workloads`).
    pub resources: Vec<Resource>,
    /// Kubernetes workloads with their containers.
    pub workloads: Vec<Workload>,
}

/// One resource a plan or manifest creates, changes, deletes or keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// The input file.
    pub input: String,
    /// `terraform-plan`, `terraform-config` or `kubernetes`.
    pub format: String,
    /// Terraform address (`module.db.aws_db_instance.main[0]`) or `Kind/namespace/name`.
    pub address: String,
    /// Resource type (`aws_s3_bucket`, `Service`).
    pub r#type: String,
    /// Provider (`aws`, `google`, `azurerm`, `kubernetes`).
    pub provider: String,
    /// `create`, `update`, `replace`, `delete`, `no-op`, `read`, or `apply` for a manifest.
    pub action: String,
    /// Region or location, when the input says.
    pub region: Option<String>,
    /// It stores data (bucket, database, volume, table, cache, file system).
    pub data_store: bool,
    /// Encrypted at rest: true, false, or absent when the input does not settle it.
    pub encrypted_at_rest: Option<bool>,
    /// Encrypted in transit (TLS enforced), when the input says.
    pub encrypted_in_transit: Option<bool>,
    /// Reachable from the internet, when the input says.
    pub public: Option<bool>,
    /// Why it is public (a public ACL, an ingress from 0.0.0.0/0 on a port, a public IP).
    pub public_reasons: Vec<String>,
    /// Object versioning enabled, when the input says.
    pub versioning: Option<bool>,
    /// Backups (retention, point-in-time recovery) enabled, when the input says.
    pub backups: Option<bool>,
    /// Deletion protection, when the input says.
    pub deletion_protection: Option<bool>,
    /// Tags or labels.
    pub tags: BTreeMap<String, String>,
    /// The `plumb:system` tag (or label `plumb.dev/system`): the system it belongs to.
    pub system: Option<String>,
    /// The `plumb:environment` tag: the environment it serves.
    pub environment: Option<String>,
    /// The `plumb:owner` tag (else `owner`): the team that owns it.
    pub owner: Option<String>,
    /// The `plumb:data-classification` tag (public, internal, confidential, restricted, or
    /// `production` for a copy of production data).
    pub classification: Option<String>,
    /// The `plumb:source-environment` tag: for a copy (snapshot, replica, restore), the
    /// environment whose data it holds.
    pub source_environment: Option<String>,
    /// The `plumb:masked` tag: a non-production copy declared masked (anonymised).
    pub masked: Option<bool>,
    /// What it is a copy of, when the plan says: the snapshot, replication source or
    /// restore source it is created from.
    pub copy_of: Option<String>,
}

/// One Kubernetes workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// The input file.
    pub input: String,
    /// `Kind/namespace/name`.
    pub address: String,
    /// Kind.
    pub kind: String,
    /// Namespace (`default` when not given).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The `plumb.dev/system` label, when set.
    pub system: Option<String>,
    /// Uses the node's network namespace.
    pub host_network: bool,
    /// Uses the node's process namespace.
    pub host_pid: bool,
    /// Uses the node's IPC namespace.
    pub host_ipc: bool,
    /// Host paths mounted.
    pub host_paths: Vec<String>,
    /// Containers, init containers included.
    pub containers: Vec<Container>,
}

/// One container of a workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Container {
    /// Name.
    pub name: String,
    /// Image reference as written.
    pub image: String,
    /// Pinned by digest (`@sha256:...`).
    pub digest: bool,
    /// Tag, when given (`latest` when neither tag nor digest is).
    pub tag: Option<String>,
    /// Privileged.
    pub privileged: bool,
    /// Runs as root: true when it says uid 0, false when it says non-root or a non-zero uid,
    /// absent when it does not say (the image decides, so it may).
    pub runs_as_root: Option<bool>,
    /// May gain privileges (absent: the default, which allows it).
    pub allow_privilege_escalation: Option<bool>,
    /// CPU and memory limits both set.
    pub limits: bool,
    /// Readiness and liveness probes both set.
    pub probes: bool,
}

/// The tag conventions Plumbline reads, on cloud resources (`plumb:system`) and as Kubernetes
/// labels (`plumb.dev/system`).
pub const SYSTEM_TAGS: &[&str] = &["plumb:system", "plumb.dev/system"];

/// The value of the first of `keys` among `tags`.
fn tag(tags: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| tags.get(*k).cloned())
}

impl Resource {
    /// Fills the fields read from Plumbline's tag conventions.
    fn read_tags(&mut self) {
        let t = &self.tags;
        self.system = tag(t, SYSTEM_TAGS);
        self.environment = tag(t, &["plumb:environment", "plumb.dev/environment"]);
        self.owner = tag(t, &["plumb:owner", "plumb.dev/owner", "owner"]);
        self.classification = tag(
            t,
            &["plumb:data-classification", "plumb.dev/data-classification"],
        );
        self.source_environment = tag(
            t,
            &["plumb:source-environment", "plumb.dev/source-environment"],
        );
        self.masked = tag(t, &["plumb:masked", "plumb.dev/masked"]).map(|v| v == "true");
    }
}
