//! `plumb drift`: the model against what the evidence ledger says was deployed and built.
//! Pure: the caller collects deployments and SBOM components from the ledger.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::check::{Finding, Level};
use crate::dora;
use crate::model::Model;
use crate::types::ElementType;

/// Vendors of well-known SDKs, recognised by package URL prefix (npm scopes are written `%40`).
pub const SDK_VENDORS: &[(&str, &str)] = &[
    ("pkg:pypi/boto3", "Amazon Web Services"),
    ("pkg:pypi/botocore", "Amazon Web Services"),
    ("pkg:npm/aws-sdk", "Amazon Web Services"),
    ("pkg:npm/%40aws-sdk/", "Amazon Web Services"),
    ("pkg:maven/software.amazon.awssdk/", "Amazon Web Services"),
    ("pkg:maven/com.amazonaws/", "Amazon Web Services"),
    ("pkg:pypi/azure-", "Microsoft Azure"),
    ("pkg:npm/%40azure/", "Microsoft Azure"),
    ("pkg:maven/com.azure/", "Microsoft Azure"),
    ("pkg:nuget/Azure.", "Microsoft Azure"),
    ("pkg:pypi/google-cloud-", "Google Cloud"),
    ("pkg:npm/%40google-cloud/", "Google Cloud"),
    ("pkg:maven/com.google.cloud/", "Google Cloud"),
    ("pkg:pypi/stripe", "Stripe"),
    ("pkg:npm/stripe", "Stripe"),
    ("pkg:maven/com.stripe/", "Stripe"),
    ("pkg:pypi/adyen", "Adyen"),
    ("pkg:npm/%40adyen/", "Adyen"),
    ("pkg:maven/com.adyen/", "Adyen"),
    ("pkg:pypi/twilio", "Twilio"),
    ("pkg:npm/twilio", "Twilio"),
    ("pkg:pypi/snowflake-connector-python", "Snowflake"),
    ("pkg:pypi/datadog", "Datadog"),
    ("pkg:npm/dd-trace", "Datadog"),
];

/// What the ledger says: deployed services and the components their SBOMs list.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observed {
    /// Service (system) name -> number of deployment records and the latest time.
    pub deployments: BTreeMap<String, (usize, String)>,
    /// (system, purl) of SBOM components recorded for each system.
    pub components: BTreeSet<(String, String)>,
}

/// The vendor of a package URL, if it is a known SDK.
pub fn vendor_of(purl: &str) -> Option<&'static str> {
    SDK_VENDORS
        .iter()
        .find(|(p, _)| purl.starts_with(p))
        .map(|(_, v)| *v)
}

/// Drift findings.
pub fn drift(m: &Model, seen: &Observed) -> Vec<Finding> {
    let apps: Vec<&crate::model::Element> = m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent)
        .collect();
    let modelled: BTreeSet<String> = apps.iter().map(|e| dora::service_name(e)).collect();
    let mut out = Vec::new();
    for (svc, (n, last)) in &seen.deployments {
        if !modelled.contains(svc) {
            out.push(Finding {
                id: "DRIFT-001".into(),
                level: Level::Error,
                message: format!("service {svc:?} was deployed {n} time(s) (last {last}) but no application component in the model has plumb:service {svc:?}"),
                elements: vec![],
                refs: vec!["DORA Art. 8".into(), "DORA Art. 8(4)".into()],
                line: None,
            });
        }
    }
    for e in &apps {
        let svc = dora::service_name(e);
        if !seen.deployments.contains_key(&svc) {
            out.push(Finding {
                id: "DRIFT-002".into(),
                level: Level::Warning,
                message: format!(
                    "application {} {:?} (service {svc:?}) has no deployment in the ledger",
                    e.id, e.name
                ),
                elements: vec![e.id.clone()],
                refs: vec!["DORA Art. 8".into()],
                line: e.line,
            });
        }
    }
    let providers: Vec<String> = m
        .elements
        .iter()
        .filter(|e| dora::is_provider(e))
        .map(|e| {
            format!(
                "{} {}",
                e.name,
                Model::prop(e, "plumb:vendor").unwrap_or("")
            )
            .to_lowercase()
        })
        .collect();
    let mut missing: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (system, purl) in &seen.components {
        if let Some(v) = vendor_of(purl) {
            let first = v.split_whitespace().next().unwrap_or(v).to_lowercase();
            if !providers
                .iter()
                .any(|p| p.contains(&v.to_lowercase()) || p.contains(&first))
            {
                missing
                    .entry(v)
                    .or_default()
                    .insert(format!("{system}: {purl}"));
            }
        }
    }
    for (vendor, uses) in missing {
        out.push(Finding {
            id: "DRIFT-003".into(),
            level: Level::Error,
            message: format!("recorded SBOMs use {vendor} SDKs ({}) but the model has no ICT provider for {vendor}", uses.into_iter().collect::<Vec<_>>().join(", ")),
            elements: vec![],
            refs: vec!["DORA Art. 28(3)".into(), "DORA Art. 8".into()],
            line: None,
        });
    }
    out
}
