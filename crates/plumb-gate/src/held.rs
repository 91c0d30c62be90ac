//! Gate configuration held by a server, per system. A pipeline that asks the server for a
//! decision sends only its inputs; what the gate demands of them (criticality, thresholds,
//! enabled rules, the bank's policies, waivers, the executives who may approve break-glass) is
//! the server's, so a pipeline cannot obtain a signed pass by switching rules off.
//!
//! The directory given to `plumb serve --gate-config DIR` holds one `SYSTEM.yaml` per system
//! (the format of `plumb gate --config`, without inputs) and optionally `default.yaml` for
//! systems without their own file. Without a directory, or without `default.yaml`, a system
//! gets the built-in default: every baseline rule on and criticality `critical`, the strictest
//! reading. Policy and waiver paths in a file are relative to it; everything is read and
//! validated once, when the server starts, so a broken file stops the start, never a pipeline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::GateConfig;
use crate::engine::PolicySource;
use crate::error::GateError;

/// Source name of the built-in default configuration.
pub const BUILTIN: &str = "built-in default";

/// Largest configuration, policy or waiver file read from the directory.
const MAX_FILE: u64 = 4 * 1024 * 1024;

pub use plumb_records::gate::ConfigOrigin;

/// One system's configuration with the files it names, already read.
#[derive(Debug, Clone)]
pub struct HeldConfig {
    /// The configuration (its file lists are the names of `policies` and `waivers`).
    pub config: GateConfig,
    /// The bank's own policies.
    pub policies: Vec<PolicySource>,
    /// Waiver files: name, text.
    pub waivers: Vec<(String, String)>,
    /// Where it came from and its digest.
    pub origin: ConfigOrigin,
}

impl HeldConfig {
    /// A configuration with its files, digested. `held_by` is `server` or `client`.
    pub fn new(
        held_by: &str,
        source: &str,
        config: GateConfig,
        policies: Vec<PolicySource>,
        waivers: Vec<(String, String)>,
    ) -> Self {
        let digest = config_digest(&config, &policies, &waivers);
        HeldConfig {
            config,
            policies,
            waivers,
            origin: ConfigOrigin {
                held_by: held_by.into(),
                source: source.into(),
                digest,
            },
        }
    }

    /// The request that evaluates `inputs` for `system` under this configuration; the
    /// environment is the caller's (or the change metadata's).
    pub fn request(
        &self,
        system: &str,
        environment: Option<String>,
        inputs: Vec<(plumb_ingest::Kind, String, Vec<u8>)>,
        break_glass: Option<crate::BreakGlassRequest>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::GateRequest {
        let mut config = self.config.clone();
        config.system = Some(system.to_string());
        config.environment = environment;
        crate::GateRequest {
            config,
            inputs,
            waivers: self.waivers.clone(),
            policies: self.policies.clone(),
            now,
            break_glass,
            origin: Some(self.origin.clone()),
        }
    }

    /// The built-in default: every baseline rule on, criticality `critical`.
    pub fn builtin() -> Self {
        let config = GateConfig {
            criticality: "critical".into(),
            ..GateConfig::default()
        };
        HeldConfig::new("server", BUILTIN, config, vec![], vec![])
    }
}

/// SHA-256 over a configuration and the texts of its policies and waivers. Names and texts are
/// length-prefixed, so no two different sets digest alike by moving a boundary.
pub fn config_digest(
    config: &GateConfig,
    policies: &[PolicySource],
    waivers: &[(String, String)],
) -> String {
    let mut h = Sha256::new();
    let mut part = |b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    part(b"plumb gate configuration v1");
    part(&serde_json::to_vec(config).unwrap_or_default());
    for p in policies {
        part(b"policy");
        part(p.name.as_bytes());
        part(p.text.as_bytes());
    }
    for (name, text) in waivers {
        part(b"waiver");
        part(name.as_bytes());
        part(text.as_bytes());
    }
    crate::hex(&h.finalize())
}

/// Every system's configuration, as the server holds it.
#[derive(Debug, Clone)]
pub struct HeldConfigs {
    systems: BTreeMap<String, HeldConfig>,
    default: HeldConfig,
}

impl Default for HeldConfigs {
    fn default() -> Self {
        HeldConfigs {
            systems: BTreeMap::new(),
            default: HeldConfig::builtin(),
        }
    }
}

impl HeldConfigs {
    /// Reads every `*.yaml` and `*.yml` file of `dir`: `default.yaml` for systems without their
    /// own, `SYSTEM.yaml` for each system. Fails on the first file that does not load.
    pub fn load(dir: &Path) -> Result<Self, GateError> {
        let mut out = HeldConfigs::default();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| GateError::Usage(format!("{}: {e}", dir.display())))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        files.sort();
        for path in files {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| GateError::Usage(format!("{}: not a UTF-8 name", path.display())))?
                .to_string();
            let held = load_one(&path, &stem)?;
            let previous = if stem == "default" {
                Some(std::mem::replace(&mut out.default, held))
                    .filter(|d| d.origin.source != BUILTIN)
            } else {
                out.systems.insert(stem.clone(), held)
            };
            if previous.is_some() {
                return Err(GateError::Usage(format!(
                    "{}: system {stem:?} is configured by two files",
                    dir.display()
                )));
            }
        }
        Ok(out)
    }

    /// The configuration that applies to `system`.
    pub fn for_system(&self, system: &str) -> &HeldConfig {
        self.systems.get(system).unwrap_or(&self.default)
    }

    /// The systems with their own file.
    pub fn systems(&self) -> impl Iterator<Item = (&str, &HeldConfig)> {
        self.systems.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The configuration of systems without their own file.
    pub fn fallback(&self) -> &HeldConfig {
        &self.default
    }
}

fn read_text(path: &Path) -> Result<String, GateError> {
    let usage = |e: String| GateError::Usage(format!("{}: {e}", path.display()));
    let len = std::fs::metadata(path)
        .map_err(|e| usage(e.to_string()))?
        .len();
    if len > MAX_FILE {
        return Err(usage(format!("larger than {MAX_FILE} bytes")));
    }
    let bytes = std::fs::read(path).map_err(|e| usage(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| usage("not UTF-8".into()))
}

/// Loads one system's file with its policies and waivers; `stem` is the system it configures.
fn load_one(path: &Path, stem: &str) -> Result<HeldConfig, GateError> {
    let usage = |e: String| GateError::Usage(format!("{}: {e}", path.display()));
    read_text(path)?;
    let mut config = GateConfig::load(path)?;
    let i = &config.inputs;
    let names_inputs = [
        &i.sast,
        &i.sbom,
        &i.vulns,
        &i.secrets,
        &i.tests,
        &i.coverage,
    ]
    .iter()
    .any(|v| !v.is_empty())
        || i.change.is_some()
        || i.approvals.is_some()
        || i.codeowners.is_some();
    if names_inputs {
        return Err(usage(
            "names inputs: a server's gate configuration holds rules, the pipeline sends the inputs"
                .into(),
        ));
    }
    match (&config.system, stem) {
        (Some(s), "default") => {
            return Err(usage(format!(
                "default.yaml applies to every system without its own file; remove `system: {s}`"
            )));
        }
        (Some(s), _) if s != stem => {
            return Err(usage(format!(
                "says system {s:?} but the file configures {stem:?} (its name)"
            )));
        }
        _ => {}
    }
    config.system = None;
    config.record = false;
    config.environment = None;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut policies = read_policies(&config.policies)?;
    for p in &mut policies {
        // Recorded and shown by their place in the directory, never by a server-local path.
        p.name = Path::new(&p.name)
            .strip_prefix(base)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| file_name(Path::new(&p.name)));
    }
    // Compiled now (with the baseline, as at evaluation), so a policy that does not compile or
    // calls a non-deterministic builtin stops the start instead of denying every gate.
    let mut all = vec![PolicySource {
        name: crate::engine::BASELINE_NAME.into(),
        text: crate::engine::BASELINE.into(),
    }];
    all.extend(policies.iter().cloned());
    crate::engine::PolicyEngine::new(
        &all,
        &crate::policy_config(&config),
        config.policy_timeout_ms,
    )
    .map_err(|e| usage(e.to_string()))?;
    let mut waivers = Vec::new();
    for p in &config.waivers {
        let text = read_text(p)?;
        // Checked now, so a broken waiver file stops the start instead of denying every gate.
        crate::waiver::load(&p.display().to_string(), &text)?;
        waivers.push((file_name(p), text));
    }
    let source = file_name(path);
    // Paths are server-local: keep only the names in what is recorded and shown.
    config.policies = policies.iter().map(|p| PathBuf::from(&p.name)).collect();
    config.waivers = waivers.iter().map(|(n, _)| PathBuf::from(n)).collect();
    Ok(HeldConfig::new(
        "server", &source, config, policies, waivers,
    ))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Reads policy files and directories (every `*.rego` in a directory, sorted, tests excluded).
pub fn read_policies(paths: &[PathBuf]) -> Result<Vec<PolicySource>, GateError> {
    let mut out = Vec::new();
    for p in paths {
        let files: Vec<PathBuf> = if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| GateError::Usage(format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().is_some_and(|x| x == "rego")
                        && !f.to_string_lossy().ends_with("_test.rego")
                })
                .collect();
            v.sort();
            v
        } else {
            vec![p.clone()]
        };
        for f in files {
            out.push(PolicySource {
                name: f.display().to_string(),
                text: read_text(&f)?,
            });
        }
    }
    Ok(out)
}
