//! Input kinds, format detection by content, and the one entry point [`ingest`].

use serde_json::Value;

use crate::coverage::{self, LineMap};
use crate::error::{IngestError, Result};
use crate::facts::{Facts, Input};
use crate::util::{json, xml_root};
use crate::{change, junit, sarif, sbom, secrets, vulns};

/// What an input is given as. The kind limits which formats are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Static analysis: SARIF 2.1.0.
    Sast,
    /// SBOM: CycloneDX 1.4-1.6 JSON, SPDX 2.2/2.3 JSON.
    Sbom,
    /// Vulnerability scan: Trivy JSON, Grype JSON, osv-scanner JSON, OSV record, SARIF, CycloneDX VEX.
    Vulns,
    /// Secrets: gitleaks JSON or SARIF, detect-secrets baseline.
    Secrets,
    /// Tests: JUnit XML.
    Tests,
    /// Coverage: LCOV or Cobertura XML.
    Coverage,
    /// Change metadata JSON.
    Change,
    /// Approvals JSON.
    Approvals,
    /// CODEOWNERS file.
    Codeowners,
    /// Infrastructure: Terraform/OpenTofu plan JSON or configuration (HCL), Kubernetes
    /// manifests.
    Infra,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 10] = [
        Kind::Sast,
        Kind::Sbom,
        Kind::Vulns,
        Kind::Secrets,
        Kind::Tests,
        Kind::Coverage,
        Kind::Change,
        Kind::Approvals,
        Kind::Codeowners,
        Kind::Infra,
    ];

    /// The kind with this name, as `name` gives it.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Its name in flags and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sast => "sast",
            Kind::Sbom => "sbom",
            Kind::Vulns => "vulns",
            Kind::Secrets => "secrets",
            Kind::Tests => "tests",
            Kind::Coverage => "coverage",
            Kind::Change => "change",
            Kind::Approvals => "approvals",
            Kind::Codeowners => "codeowners",
            Kind::Infra => "infra",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Sast => "SARIF 2.1.0",
            Kind::Sbom => "CycloneDX 1.4-1.6 JSON or SPDX 2.2/2.3 JSON",
            Kind::Vulns => {
                "Trivy JSON, Grype JSON, osv-scanner JSON, an OSV record, SARIF or CycloneDX with vulnerabilities"
            }
            Kind::Secrets => "a gitleaks JSON/SARIF report or a detect-secrets baseline",
            Kind::Tests => "JUnit XML",
            Kind::Coverage => "LCOV or Cobertura XML",
            Kind::Change => "change metadata JSON",
            Kind::Approvals => "approvals JSON",
            Kind::Codeowners => "a CODEOWNERS file",
            Kind::Infra => {
                "Terraform/OpenTofu plan JSON (terraform show -json), Terraform configuration (.tf) or Kubernetes manifests"
            }
        }
    }
}

/// Recognises a JSON document's format from its keys.
pub fn json_format(v: &Value) -> Option<&'static str> {
    let has = |k: &str| v.get(k).is_some();
    match v {
        Value::Array(items) if items.iter().all(|i| i.get("RuleID").is_some()) => Some("gitleaks"),
        Value::Object(_) if has("bomFormat") => Some("cyclonedx"),
        Value::Object(_) if has("spdxVersion") => Some("spdx"),
        Value::Object(_) if has("SchemaVersion") && (has("Results") || has("ArtifactName")) => {
            Some("trivy")
        }
        Value::Object(_) if has("matches") && (has("descriptor") || has("source")) => Some("grype"),
        Value::Object(_)
            if has("runs")
                || v.get("$schema")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.contains("sarif")) =>
        {
            Some("sarif")
        }
        Value::Object(_) if v.get("results").is_some_and(Value::is_array) => Some("osv-scanner"),
        Value::Object(_)
            if has("plugins_used")
                || (v.get("results").is_some_and(Value::is_object) && has("version")) =>
        {
            Some("detect-secrets")
        }
        Value::Object(_)
            if has("id") && (has("affected") || has("schema_version")) && has("modified") =>
        {
            Some("osv")
        }
        _ => None,
    }
}

fn allowed(kind: Kind, format: &str) -> bool {
    match kind {
        Kind::Sast => format == "sarif",
        Kind::Sbom => matches!(format, "cyclonedx" | "spdx"),
        Kind::Vulns => matches!(
            format,
            "trivy" | "grype" | "osv-scanner" | "osv" | "sarif" | "cyclonedx"
        ),
        Kind::Secrets => matches!(format, "gitleaks" | "sarif" | "detect-secrets"),
        Kind::Tests => format == "junit",
        Kind::Coverage => matches!(format, "lcov" | "cobertura"),
        Kind::Change | Kind::Approvals | Kind::Codeowners | Kind::Infra => true,
    }
}

/// Reads every input into one facts model. Change metadata is read first (CODEOWNERS needs its
/// paths); coverage is merged across all coverage inputs. The first unreadable input stops
/// everything: facts are never built from part of the inputs.
pub fn ingest(inputs: &[(Kind, String, Vec<u8>)]) -> Result<Facts> {
    let mut facts = Facts::default();
    let mut lines = LineMap::default();
    let mut have_coverage = false;
    let mut order: Vec<&(Kind, String, Vec<u8>)> =
        inputs.iter().filter(|i| i.0 == Kind::Change).collect();
    order.extend(inputs.iter().filter(|i| i.0 != Kind::Change));
    let mut records = Vec::new();
    for (kind, file, bytes) in order {
        let (kind, file) = (*kind, file.as_str());
        let format = read_one(kind, file, bytes, &mut facts, &mut lines)?;
        if facts.findings.len() > crate::util::MAX_FINDINGS {
            return Err(IngestError::new(
                file,
                format!(
                    "the inputs hold more than {} findings; the gate does not evaluate that many (split the scan, or fix or baseline the findings first)",
                    crate::util::MAX_FINDINGS
                ),
            ));
        }
        have_coverage |= kind == Kind::Coverage;
        let sha = plumb_base::sha256_hex(bytes);
        records.push((
            file.to_string(),
            Input {
                path: file.into(),
                kind: kind.name().into(),
                format: format.into(),
                sha256: sha,
            },
        ));
    }
    // Inputs are listed in the order given, whatever order they were read in.
    for (kind, file, _) in inputs {
        if let Some(pos) = records
            .iter()
            .position(|(f, i)| f == file && i.kind == kind.name())
        {
            facts.inputs.push(records.remove(pos).1);
        }
    }
    if have_coverage {
        coverage::finish(&lines, &mut facts);
    }
    Ok(facts)
}

/// An infrastructure input, by content: a plan's JSON, a configuration, else manifests.
fn read_infra(file: &str, bytes: &[u8], facts: &mut Facts) -> Result<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(IngestError::new(
            file,
            "a binary Terraform plan (terraform plan -out); give its JSON: terraform show -json plan.out > plan.json",
        ));
    }
    let text = plumb_base::input::text_up_to(file, bytes, crate::infra::MAX_INFRA_BYTES)?;
    let infra = facts.infra.get_or_insert_with(Default::default);
    if text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| IngestError::at(file, e.line() as u64, format!("not valid JSON: {e}")))?;
        if crate::infra::terraform::is_plan(&v) {
            crate::infra::terraform::read(file, &v, infra)?;
            return Ok("terraform-plan");
        }
    }
    if crate::infra::hcl::looks_like(text) {
        crate::infra::hcl::read(file, text, infra)?;
        return Ok(crate::infra::hcl::FORMAT);
    }
    if !crate::infra::kubernetes::looks_like(text) && !text.trim_start().starts_with('{') {
        return Err(IngestError::new(
            file,
            format!(
                "not a recognised infra input: expected {}",
                Kind::Infra.expected()
            ),
        ));
    }
    crate::infra::kubernetes::read(file, text, infra)?;
    Ok("kubernetes")
}

fn read_one(
    kind: Kind,
    file: &str,
    bytes: &[u8],
    facts: &mut Facts,
    lines: &mut LineMap,
) -> Result<&'static str> {
    let unrecognised = || {
        IngestError::new(
            file,
            format!(
                "not a recognised {} input: expected {}",
                kind.name(),
                kind.expected()
            ),
        )
    };
    match kind {
        Kind::Change => return change::read_change(file, bytes, facts).map(|_| "change-json"),
        Kind::Approvals => {
            return change::read_approvals(file, bytes, facts).map(|_| "approvals-json");
        }
        Kind::Codeowners => {
            return change::read_codeowners(file, bytes, facts).map(|_| "codeowners");
        }
        Kind::Infra => return read_infra(file, bytes, facts),
        Kind::Tests => {
            return match xml_root(bytes).as_deref() {
                Some(_) => junit::read(file, bytes, facts).map(|_| "junit"),
                None => {
                    // Not even an XML root: let the XML reader produce the precise error.
                    junit::read(file, bytes, facts).and(Err(unrecognised()))
                }
            };
        }
        Kind::Coverage => {
            let head = bytes
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .take(1)
                .copied()
                .collect::<Vec<_>>();
            return if head == b"<" {
                coverage::read_cobertura(file, bytes, lines).map(|_| "cobertura")
            } else {
                coverage::read_lcov(file, bytes, lines).map(|_| "lcov")
            };
        }
        _ => {}
    }
    crate::util::text(file, bytes)?;
    let v = json(file, bytes).map_err(|e| {
        if bytes
            .first()
            .is_some_and(|b| !matches!(b, b'{' | b'[' | b' ' | b'\n' | b'\r' | b'\t' | 0xef))
        {
            unrecognised()
        } else {
            e
        }
    })?;
    let format = json_format(&v).ok_or_else(unrecognised)?;
    if !allowed(kind, format) {
        return Err(IngestError::new(
            file,
            format!(
                "is a {format} document, not a {} input (expected {})",
                kind.name(),
                kind.expected()
            ),
        ));
    }
    match format {
        "sarif" => sarif::read(file, &v, facts)?,
        "cyclonedx" => {
            sbom::read_cyclonedx(file, &v, facts)?;
            // Given as a vulnerability report, a CycloneDX document is a scan even when it
            // lists no vulnerabilities: a clean result, dated by its metadata timestamp.
            if kind == Kind::Vulns && !facts.scans.iter().any(|s| s.input == file) {
                let created = facts.sboms.last().and_then(|s| s.created.clone());
                facts.scans.push(crate::facts::Scan {
                    input: file.into(),
                    tool: "CycloneDX vulnerability report".into(),
                    format: "cyclonedx".into(),
                    kind: crate::facts::FindingKind::Dependency,
                    completed: true,
                    problems: vec![],
                    scanned_at: created,
                    findings: 0,
                });
            }
        }
        "spdx" => sbom::read_spdx(file, &v, facts)?,
        "trivy" => vulns::read_trivy(file, &v, facts)?,
        "grype" => vulns::read_grype(file, &v, facts)?,
        "osv-scanner" => vulns::read_osv_scanner(file, &v, facts)?,
        "osv" => vulns::read_osv_record(file, &v, facts)?,
        "gitleaks" => secrets::read_gitleaks(file, &v, facts)?,
        "detect-secrets" => secrets::read_detect_secrets(file, &v, facts)?,
        _ => unreachable!("json_format returns only the formats above"),
    }
    Ok(format)
}
