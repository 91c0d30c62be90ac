//! Plumbline's own cross-checks, beyond what the EBA checks: things an authority's follow-up
//! or an auditor would ask about. Advice, never blocking.

use std::collections::BTreeSet;

use crate::finding::{Finding, Severity};
use crate::tables::Tables;

/// The EBA code for "yes" in B_06.01 c0050 (critical or important).
const YES: &str = "eba_BT:x28";

/// Cross-checks on the tables alone: every ICT service supporting a critical or important
/// function has a substitutability assessment in B_07.01 (DORA Art. 28(4), ITS Annex I).
pub fn on_tables(t: &Tables, out: &mut Vec<Finding>) {
    let critical: BTreeSet<&str> = t
        .of("B_06.01")
        .iter()
        .filter(|r| r.get("c0050").map(String::as_str) == Some(YES))
        .filter_map(|r| r.get("c0010").map(String::as_str))
        .collect();
    let assessed: BTreeSet<(&str, &str, &str)> = t
        .of("B_07.01")
        .iter()
        .filter(|r| r.get("c0050").is_some())
        .filter_map(|r| {
            Some((
                r.get("c0010")?.as_str(),
                r.get("c0020")?.as_str(),
                r.get("c0040")?.as_str(),
            ))
        })
        .collect();
    for (i, r) in t.of("B_02.02").iter().enumerate() {
        let (Some(contract), Some(provider), Some(function), Some(service)) = (
            r.get("c0010"),
            r.get("c0030"),
            r.get("c0050"),
            r.get("c0060"),
        ) else {
            continue;
        };
        if critical.contains(function.as_str())
            && !assessed.contains(&(contract.as_str(), provider.as_str(), service.as_str()))
        {
            out.push(
                Finding::new(
                    "PLUMB-ROI-002",
                    Severity::Advice,
                    "B_02.02",
                    format!(
                        "{service} of provider {provider} under {contract} supports critical or important function {function} and has no substitutability assessment"
                    ),
                    "add a B_07.01 row for the contract, provider and service type with its substitutability (c0050) and exit plan",
                )
                .at(i + 1, "c0060"),
            );
        }
    }
}

/// Cross-checks against the architecture model: a provider in the register that the model
/// does not know or that no element depends on (PLUMB-ROI-001), and a provider of the model
/// missing from the register (PLUMB-ROI-003).
pub fn with_model(t: &Tables, m: &plumb_model::model::Model, out: &mut Vec<Finding>) {
    use plumb_model::model::Model;
    let deps = plumb_model::graph::deps(m);
    let code_of = |e: &plumb_model::model::Element| {
        Model::prop(e, "dora:lei")
            .or_else(|| Model::prop(e, "dora:euid"))
            .map(str::to_string)
    };
    let providers: Vec<(&plumb_model::model::Element, Option<String>)> = m
        .elements
        .iter()
        .filter(|e| plumb_model::dora::is_provider(e))
        .map(|e| (e, code_of(e)))
        .collect();
    let listed: BTreeSet<&str> = t
        .of("B_05.01")
        .iter()
        .filter_map(|r| r.get("c0010").map(String::as_str))
        .collect();
    // Providers that sign or deliver: not subcontractors listed only for the supply chain.
    let direct: BTreeSet<&str> = t
        .of("B_03.02")
        .iter()
        .filter_map(|r| r.get("c0020").map(String::as_str))
        .collect();
    for (i, r) in t.of("B_05.01").iter().enumerate() {
        let Some(code) = r.get("c0010") else { continue };
        if !direct.contains(code.as_str()) {
            continue;
        }
        let found = providers
            .iter()
            .find(|(_, c)| c.as_deref() == Some(code.as_str()));
        let depended_on =
            found.is_some_and(|(e, _)| deps.up.get(e.id.as_str()).is_some_and(|v| !v.is_empty()));
        if !depended_on {
            let why = if found.is_some() {
                "no element of the model depends on it"
            } else {
                "the model has no provider with this code"
            };
            out.push(
                Finding::new(
                    "PLUMB-ROI-001",
                    Severity::Advice,
                    "B_05.01",
                    format!("provider {code}: {why}"),
                    "model what it delivers (dora:provider on the node, software or service) or end the contract",
                )
                .at(i + 1, "c0010"),
            );
        }
    }
    for (e, code) in &providers {
        let missing = code.as_deref().is_none_or(|c| !listed.contains(c));
        if missing {
            out.push(Finding::new(
                "PLUMB-ROI-003",
                Severity::Advice,
                "B_05.01",
                format!(
                    "provider {} ({}) of the model is not in the register",
                    e.id, e.name
                ),
                "give it dora:lei in the model and its contract in the register file",
            ));
        }
    }
}

/// Cross-checks against the evidence: a vendor SDK in a recorded SBOM whose vendor is not a
/// provider in the register (PLUMB-ROI-004), and a deployed system that depends, in the
/// model, on a provider the register does not list (PLUMB-ROI-005).
pub fn with_evidence(
    t: &Tables,
    m: &plumb_model::model::Model,
    seen: &plumb_model::drift::Observed,
    out: &mut Vec<Finding>,
) {
    use plumb_model::model::Model;
    let names: Vec<String> = t
        .of("B_05.01")
        .iter()
        .filter_map(|r| r.get("c0050").map(|n| n.to_lowercase()))
        .collect();
    let codes: BTreeSet<&str> = t
        .of("B_05.01")
        .iter()
        .filter_map(|r| r.get("c0010").map(String::as_str))
        .collect();
    let mut vendors: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for (system, purl) in &seen.components {
        if let Some(v) = plumb_model::drift::vendor_of(purl) {
            vendors.insert((v, system, purl));
        }
    }
    let mut said = BTreeSet::new();
    for (vendor, system, purl) in vendors {
        let v = vendor.to_lowercase();
        let listed = names
            .iter()
            .any(|n| n.contains(&v) || v.contains(n.as_str()));
        if !listed && said.insert(vendor) {
            out.push(Finding::new(
                "PLUMB-ROI-004",
                Severity::Advice,
                "B_05.01",
                format!("{system} ships {purl}, an SDK of {vendor}, which is not a provider in the register"),
                "if the bank has an arrangement with this provider, model it and add its contract; if not, say why in the model",
            ));
        }
    }
    let deps = plumb_model::graph::deps(m);
    let idx = m.index();
    for system in seen.deployments.keys() {
        let Some(app) = m.elements.iter().find(|e| {
            e.kind == plumb_model::types::ElementType::ApplicationComponent
                && plumb_model::dora::service_name(e) == *system
        }) else {
            continue;
        };
        for dep in deps.closure(app.id.as_str(), None) {
            let Some(p) = idx
                .elements
                .get(dep)
                .filter(|e| plumb_model::dora::is_provider(e))
            else {
                continue;
            };
            let code = Model::prop(p, "dora:lei").or_else(|| Model::prop(p, "dora:euid"));
            if code.is_none_or(|c| !codes.contains(c)) {
                out.push(Finding::new(
                    "PLUMB-ROI-005",
                    Severity::Advice,
                    "B_05.01",
                    format!("{system} is deployed and depends on provider {} ({}), which is not in the register", p.id, p.name),
                    "add the provider's contract to the register file",
                ));
            }
        }
    }
}
