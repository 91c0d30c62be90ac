//! SBOMs: CycloneDX 1.4, 1.5 and 1.6 JSON (components, licences, dependency graph, embedded
//! vulnerabilities with VEX analysis) and SPDX 2.2 and 2.3 JSON.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::{IngestError, Result};
use crate::facts::{Component, Dependency, Facts, Finding, FindingKind, Sbom, Scan};
use crate::severity::Severity;
use crate::util::{arr, fingerprint, s};

const CDX_VERSIONS: [&str; 3] = ["1.4", "1.5", "1.6"];
const COMPONENT_TYPES: [&str; 13] = [
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];
/// VEX states under which a vulnerability does not apply.
const VEX_INACTIVE: [&str; 4] = [
    "not_affected",
    "false_positive",
    "resolved",
    "resolved_with_pedigree",
];

fn hash_len(alg: &str) -> Option<Option<usize>> {
    match alg {
        "MD5" => Some(Some(32)),
        "SHA-1" => Some(Some(40)),
        "SHA-256" | "SHA3-256" | "BLAKE2b-256" => Some(Some(64)),
        "SHA-384" | "SHA3-384" | "BLAKE2b-384" => Some(Some(96)),
        "SHA-512" | "SHA3-512" | "BLAKE2b-512" => Some(Some(128)),
        "BLAKE3" => Some(None),
        _ => None,
    }
}

fn is_uuid_urn(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = u.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn licences(file: &str, at: &str, c: &Value) -> Result<Vec<String>> {
    let list = arr(file, c, "licenses")?;
    let mut out = Vec::new();
    for l in list {
        match (l.get("license"), s(l, "expression")) {
            (Some(_), Some(_)) => {
                return Err(IngestError::new(
                    file,
                    format!("{at}: a `licenses` entry has both `license` and `expression`"),
                ));
            }
            (None, Some(e)) => {
                if list.len() > 1 {
                    return Err(IngestError::new(
                        file,
                        format!(
                            "{at}: a licence `expression` must be the only entry of `licenses`"
                        ),
                    ));
                }
                out.push(e.to_string());
            }
            (Some(lic), None) => match s(lic, "id").or_else(|| s(lic, "name")) {
                Some(x) => out.push(x.to_string()),
                None => {
                    return Err(IngestError::new(
                        file,
                        format!("{at}: `license` has neither `id` nor `name`"),
                    ));
                }
            },
            (None, None) => {
                return Err(IngestError::new(
                    file,
                    format!("{at}: `licenses` entry has neither `license` nor `expression`"),
                ));
            }
        }
    }
    Ok(out)
}

fn cdx_component(
    file: &str,
    at: &str,
    c: &Value,
    out: &mut Vec<Component>,
    refs: &mut HashMap<String, usize>,
) -> Result<()> {
    let ty = s(c, "type")
        .ok_or_else(|| IngestError::new(file, format!("{at}: component has no `type`")))?;
    if !COMPONENT_TYPES.contains(&ty) {
        return Err(IngestError::new(
            file,
            format!("{at}: unknown component `type` {ty:?}"),
        ));
    }
    let name = s(c, "name")
        .ok_or_else(|| IngestError::new(file, format!("{at}: component has no `name`")))?;
    if let Some(r) = c.get("bom-ref") {
        match r.as_str() {
            Some(r) if !r.is_empty() => {
                refs.insert(r.to_string(), out.len());
            }
            _ => {
                return Err(IngestError::new(
                    file,
                    format!("{at} ({name}): `bom-ref` must be a non-empty string"),
                ));
            }
        }
    }
    if let Some(scope) = s(c, "scope")
        && !["required", "optional", "excluded"].contains(&scope)
    {
        return Err(IngestError::new(
            file,
            format!("{at} ({name}): unknown `scope` {scope:?}"),
        ));
    }
    for h in arr(file, c, "hashes")? {
        let alg = s(h, "alg").unwrap_or_default();
        let content = s(h, "content").unwrap_or_default();
        let Some(len) = hash_len(alg) else {
            return Err(IngestError::new(
                file,
                format!("{at} ({name}): unknown hash algorithm {alg:?}"),
            ));
        };
        let hex_ok = content.bytes().all(|b| b.is_ascii_hexdigit())
            && [32, 40, 64, 96, 128].contains(&content.len());
        if !hex_ok || len.is_some_and(|n| n != content.len()) {
            return Err(IngestError::new(
                file,
                format!(
                    "{at} ({name}): {alg} hash content {content:?} is not a valid {alg} digest"
                ),
            ));
        }
    }
    out.push(Component {
        name: name.to_string(),
        version: s(c, "version").map(str::to_string),
        purl: s(c, "purl").map(str::to_string),
        kind: ty.to_string(),
        licenses: licences(file, at, c)?,
        input: file.to_string(),
    });
    for (i, sub) in arr(file, c, "components")?.iter().enumerate() {
        cdx_component(file, &format!("{at}.components[{i}]"), sub, out, refs)?;
    }
    Ok(())
}

/// Reads a CycloneDX JSON document.
pub fn read_cyclonedx(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let (spec, created) = cdx_header(file, v)?;
    let meta = v.get("metadata");
    if let Some(m) = meta {
        licences(file, "metadata", m)?;
    }
    let mut comps = Vec::new();
    let mut refs = HashMap::new();
    let subject = match meta.and_then(|m| m.get("component")) {
        Some(c) => {
            // Checked like any component, but not one of the SBOM's own.
            cdx_component(
                file,
                "metadata.component",
                c,
                &mut Vec::new(),
                &mut HashMap::new(),
            )?;
            s(c, "name").map(|n| match s(c, "version") {
                Some(ver) => format!("{n}@{ver}"),
                None => n.to_string(),
            })
        }
        None => None,
    };
    for (i, c) in arr(file, v, "components")?.iter().enumerate() {
        cdx_component(file, &format!("components[{i}]"), c, &mut comps, &mut refs)?;
    }
    let by_ref = |r: &str| refs.get(r).and_then(|&i| comps.get(i));
    let edges = cdx_dependencies(file, v, &by_ref, facts)?;
    let tool = cdx_tool(meta);
    let vulns = arr(file, v, "vulnerabilities")?;
    let found = cdx_vulnerabilities(file, vulns, &tool, &by_ref, facts)?;
    if !vulns.is_empty() {
        facts.scans.push(Scan {
            input: file.into(),
            tool,
            format: format!("cyclonedx-{spec}"),
            kind: FindingKind::Dependency,
            completed: true,
            problems: vec![],
            scanned_at: created.clone(),
            findings: found,
        });
    }
    facts.sboms.push(Sbom {
        input: file.into(),
        format: "cyclonedx".into(),
        spec_version: spec.into(),
        subject,
        components: comps.len(),
        dependencies: edges,
        created,
    });
    facts.components.extend(comps);
    Ok(())
}

/// The document's format, version, serial number and creation time, checked.
fn cdx_header<'v>(file: &str, v: &'v Value) -> Result<(&'v str, Option<String>)> {
    match s(v, "bomFormat") {
        Some("CycloneDX") => {}
        other => {
            return Err(IngestError::new(
                file,
                format!(
                    "not a CycloneDX document: `bomFormat` is {other:?}, expected \"CycloneDX\""
                ),
            ));
        }
    }
    let spec = s(v, "specVersion")
        .ok_or_else(|| IngestError::new(file, "CycloneDX document has no `specVersion`"))?;
    if !CDX_VERSIONS.contains(&spec) {
        return Err(IngestError::new(
            file,
            format!(
                "unsupported CycloneDX specVersion {spec} (supported: {})",
                CDX_VERSIONS.join(", ")
            ),
        ));
    }
    if let Some(sn) = v.get("serialNumber")
        && !sn.as_str().is_some_and(is_uuid_urn)
    {
        return Err(IngestError::new(
            file,
            format!("invalid `serialNumber` {sn}: expected urn:uuid:<RFC 4122 UUID>"),
        ));
    }
    let created = match v.get("metadata").and_then(|m| m.get("timestamp")) {
        None => None,
        Some(t) => {
            let t = t.as_str().unwrap_or_default();
            chrono::DateTime::parse_from_rfc3339(t).map_err(|_| {
                IngestError::new(
                    file,
                    format!("invalid `metadata.timestamp` {t:?}: expected an RFC 3339 date-time"),
                )
            })?;
            Some(t.to_string())
        }
    };
    Ok((spec, created))
}

/// The dependency graph: each edge named by purl (else component name, else the raw ref).
fn cdx_dependencies<'c>(
    file: &str,
    v: &Value,
    by_ref: &impl Fn(&str) -> Option<&'c Component>,
    facts: &mut Facts,
) -> Result<usize> {
    let name_of = |r: &str| {
        by_ref(r)
            .map(|c| c.purl.clone().unwrap_or_else(|| c.name.clone()))
            .unwrap_or_else(|| r.to_string())
    };
    let mut edges = 0;
    for (i, d) in arr(file, v, "dependencies")?.iter().enumerate() {
        let from = match s(d, "ref") {
            Some(r) if !r.is_empty() => r,
            _ => {
                return Err(IngestError::new(
                    file,
                    format!("dependencies[{i}]: dependency without a `ref`"),
                ));
            }
        };
        for to in arr(file, d, "dependsOn")? {
            let to = to.as_str().ok_or_else(|| {
                IngestError::new(
                    file,
                    format!("dependencies[{i}].dependsOn must hold strings"),
                )
            })?;
            facts.dependencies.push(Dependency {
                from: name_of(from),
                to: name_of(to),
                input: file.into(),
            });
            edges += 1;
        }
    }
    Ok(edges)
}

/// The producing tool's name, from either form of `metadata.tools`.
fn cdx_tool(meta: Option<&Value>) -> String {
    meta.and_then(|m| m.get("tools"))
        .and_then(|t| {
            t.as_array()
                .and_then(|a| a.first())
                .or_else(|| t.get("components").and_then(|c| c.as_array()?.first()))
        })
        .and_then(|t| s(t, "name"))
        .unwrap_or("CycloneDX producer")
        .to_string()
}

/// The highest of a vulnerability's ratings (by word, else by CVSS score), with its source.
fn cdx_rating(file: &str, vul: &Value) -> Result<(Severity, String)> {
    let mut best: Option<(Severity, String)> = None;
    for r in arr(file, vul, "ratings")? {
        let (sev, raw) = match (s(r, "severity"), r.get("score").and_then(Value::as_f64)) {
            (Some(w), _) => (Severity::from_word(w), w.to_string()),
            (None, Some(sc)) => (Severity::from_cvss(sc), sc.to_string()),
            _ => continue,
        };
        let src = r
            .get("source")
            .and_then(|x| s(x, "name"))
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        if best.as_ref().is_none_or(|(b, _)| sev < *b) {
            best = Some((sev, format!("{raw}{src}")));
        }
    }
    Ok(best.unwrap_or((Severity::Unknown, String::new())))
}

/// The VEX reason a vulnerability is inactive, if its analysis says so.
fn cdx_vex(vul: &Value) -> Option<String> {
    let analysis = vul.get("analysis");
    let state = analysis.and_then(|a| s(a, "state"))?;
    VEX_INACTIVE.contains(&state).then(|| {
        format!(
            "VEX {state}{}",
            analysis
                .and_then(|a| s(a, "justification"))
                .map(|j| format!(" ({j})"))
                .unwrap_or_default()
        )
    })
}

/// One finding per vulnerability and affected component; returns how many.
fn cdx_vulnerabilities<'c>(
    file: &str,
    vulns: &[Value],
    tool: &str,
    by_ref: &impl Fn(&str) -> Option<&'c Component>,
    facts: &mut Facts,
) -> Result<usize> {
    let mut found = 0;
    for (i, vul) in vulns.iter().enumerate() {
        let id = s(vul, "id")
            .ok_or_else(|| IngestError::new(file, format!("vulnerabilities[{i}] has no `id`")))?;
        let (severity, raw) = cdx_rating(file, vul)?;
        let suppressed = cdx_vex(vul);
        let affects = arr(file, vul, "affects")?;
        let targets: Vec<Option<&Component>> = if affects.is_empty() {
            vec![None]
        } else {
            affects
                .iter()
                .map(|a| s(a, "ref").and_then(by_ref))
                .collect()
        };
        let aliases: Vec<String> = arr(file, vul, "references")?
            .iter()
            .filter_map(|r| s(r, "id").map(str::to_string))
            .collect();
        for comp in targets {
            found += 1;
            facts.findings.push(Finding {
                kind: FindingKind::Dependency,
                tool: tool.to_string(),
                rule: None,
                vulnerability: Some(id.to_string()),
                aliases: aliases.clone(),
                title: s(vul, "description")
                    .or_else(|| s(vul, "detail"))
                    .unwrap_or(id)
                    .chars()
                    .take(200)
                    .collect(),
                severity,
                raw_severity: raw.clone(),
                severity_source: "cyclonedx ratings (highest)".into(),
                path: None,
                line: None,
                package: comp.map(|c| c.name.clone()),
                version: comp.and_then(|c| c.version.clone()),
                purl: comp.and_then(|c| c.purl.clone()),
                fixed_versions: vec![],
                fingerprint: fingerprint(&[
                    "cyclonedx",
                    id,
                    comp.and_then(|c| c.purl.as_deref()).unwrap_or(""),
                ]),
                suppressed: suppressed.clone(),
                waived_by: None,
                input: file.to_string(),
            });
        }
    }
    Ok(found)
}

/// Reads an SPDX 2.2 or 2.3 JSON document.
pub fn read_spdx(file: &str, v: &Value, facts: &mut Facts) -> Result<()> {
    let ver = s(v, "spdxVersion")
        .ok_or_else(|| IngestError::new(file, "not an SPDX document: no `spdxVersion`"))?;
    if !["SPDX-2.2", "SPDX-2.3"].contains(&ver) {
        return Err(IngestError::new(
            file,
            format!("unsupported SPDX version {ver} (supported: SPDX-2.2, SPDX-2.3 JSON)"),
        ));
    }
    for key in ["SPDXID", "name"] {
        if s(v, key).is_none() {
            return Err(IngestError::new(
                file,
                format!("SPDX document has no `{key}`"),
            ));
        }
    }
    let created = v
        .get("creationInfo")
        .and_then(|c| s(c, "created"))
        .map(str::to_string);
    let mut comps = Vec::new();
    for (i, p) in arr(file, v, "packages")?.iter().enumerate() {
        let name = s(p, "name")
            .ok_or_else(|| IngestError::new(file, format!("packages[{i}] has no `name`")))?;
        if s(p, "SPDXID").is_none() {
            return Err(IngestError::new(
                file,
                format!("packages[{i}] ({name}) has no `SPDXID`"),
            ));
        }
        if s(p, "downloadLocation").is_none() {
            return Err(IngestError::new(
                file,
                format!(
                    "packages[{i}] ({name}) has no `downloadLocation`, which SPDX 2.x requires"
                ),
            ));
        }
        let purl = arr(file, p, "externalRefs")?
            .iter()
            .find(|r| s(r, "referenceType") == Some("purl"))
            .and_then(|r| s(r, "referenceLocator"))
            .map(str::to_string);
        let licenses = ["licenseConcluded", "licenseDeclared"]
            .iter()
            .filter_map(|k| s(p, k))
            .filter(|l| !["NOASSERTION", "NONE"].contains(l))
            .map(str::to_string)
            .collect();
        comps.push(Component {
            name: name.into(),
            version: s(p, "versionInfo").map(str::to_string),
            purl,
            kind: "package".into(),
            licenses,
            input: file.into(),
        });
    }
    let edges = arr(file, v, "relationships")?
        .iter()
        .filter(|r| {
            matches!(
                s(r, "relationshipType"),
                Some("DEPENDS_ON" | "DEPENDENCY_OF" | "CONTAINS")
            )
        })
        .count();
    facts.sboms.push(Sbom {
        input: file.into(),
        format: "spdx".into(),
        spec_version: ver.into(),
        subject: s(v, "name").map(str::to_string),
        components: comps.len(),
        dependencies: edges,
        created,
    });
    facts.components.extend(comps);
    Ok(())
}
