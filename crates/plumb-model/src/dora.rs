//! The properties that mark what DORA needs in an ArchiMate model. Archi users set them as
//! ordinary properties (or, for the two roles below, Archi's Specialization).
//!
//! | property | on | values |
//! |---|---|---|
//! | `dora:criticality` | BusinessFunction, BusinessProcess, BusinessService, Capability | `critical`, `important`, `none` (Specialization `Critical or Important Function` = critical) |
//! | `dora:rto-hours`, `dora:rpo-hours` | critical or important functions | hours (number) |
//! | `dora:ict-provider` | BusinessActor | `true` marks an ICT third-party service provider (Specialization `ICT Third-Party Service Provider` too) |
//! | `dora:lei` | provider | ISO 17442 Legal Entity Identifier |
//! | `dora:provider` | Node, Device, SystemSoftware, TechnologyService, ApplicationService, ApplicationComponent | id of the provider actor operating it |
//! | `dora:ict-service-type` | provider-operated services | S01 to S19 (ITS 2024/2956 taxonomy) |
//! | `dora:data-sensitivity` | DataObject, BusinessObject | free text (e.g. `personal`, `confidential`) |
//! | `plumb:service` | ApplicationComponent | the service name pipelines and deployments use (the ledger's system) |

use crate::model::{Element, Model};
use crate::types::ElementType;

/// Criticality property.
pub const CRITICALITY: &str = "dora:criticality";
/// Recovery time objective property.
pub const RTO: &str = "dora:rto-hours";
/// Recovery point objective property.
pub const RPO: &str = "dora:rpo-hours";
/// Marks a provider actor.
pub const ICT_PROVIDER: &str = "dora:ict-provider";
/// A provider's LEI.
pub const LEI: &str = "dora:lei";
/// The provider operating an element.
pub const PROVIDER: &str = "dora:provider";
/// ICT service type.
pub const SERVICE_TYPE: &str = "dora:ict-service-type";
/// Data sensitivity.
pub const DATA_SENSITIVITY: &str = "dora:data-sensitivity";
/// Service name used by pipelines.
pub const SERVICE: &str = "plumb:service";

/// The criticality of a function, if it is critical or important.
pub fn criticality(e: &Element) -> Option<&'static str> {
    if !matches!(
        e.kind,
        ElementType::BusinessFunction
            | ElementType::BusinessProcess
            | ElementType::BusinessService
            | ElementType::Capability
    ) {
        return None;
    }
    match Model::prop(e, CRITICALITY).map(str::parse::<plumb_base::Criticality>) {
        Some(Ok(c)) if c.is_critical_or_important() => Some(c.name()),
        _ if Model::prop(e, "Specialization") == Some("Critical or Important Function") => {
            Some("critical")
        }
        _ => None,
    }
}

/// Whether an element is an ICT third-party service provider.
pub fn is_provider(e: &Element) -> bool {
    e.kind == ElementType::BusinessActor
        && (Model::prop(e, ICT_PROVIDER).is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || Model::prop(e, "Specialization") == Some("ICT Third-Party Service Provider"))
}

/// The pipeline service name of an application component: `plumb:service`, else its name.
pub fn service_name(e: &Element) -> String {
    Model::prop(e, SERVICE)
        .map(str::to_string)
        .unwrap_or_else(|| e.name.clone())
}

/// Validates an ISO 17442 LEI: 20 characters, digits and upper-case letters, the last two
/// check digits such that the number (letters as 10..35) is 1 modulo 97 (ISO 7064 MOD 97-10).
pub fn lei_is_valid(lei: &str) -> bool {
    if lei.len() != 20
        || !lei
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        || !lei[18..].bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for b in lei.bytes() {
        let v = if b.is_ascii_digit() {
            (b - b'0') as u32
        } else {
            (b - b'A') as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lei_check_digits() {
        // Published LEIs: GLEIF's own and a bank's.
        assert!(lei_is_valid("506700GE1G29325QX363"));
        assert!(lei_is_valid("7LTWFZYICNSX8D621K86"));
        assert!(!lei_is_valid("506700GE1G29325QX364"), "wrong check digits");
        assert!(!lei_is_valid("506700GE1G29325QX36"), "too short");
        assert!(!lei_is_valid("506700ge1g29325qx363"), "lower case");
    }
}

/// What the model says about one system (a pipeline service), for the gate's infrastructure
/// rules: the highest criticality of the functions that depend on it, and whether it accesses
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SystemProfile {
    /// `critical`, `important` or `none`.
    pub criticality: String,
    /// It accesses a data object whose `dora:data-sensitivity` says personal.
    pub personal_data: bool,
}

/// The profile of every application component, by its pipeline service name.
pub fn system_profiles(m: &Model) -> std::collections::BTreeMap<String, SystemProfile> {
    let personal: std::collections::HashSet<&str> = m
        .elements
        .iter()
        .filter(|e| {
            Model::prop(e, DATA_SENSITIVITY)
                .is_some_and(|s| s.to_ascii_lowercase().contains("personal"))
        })
        .map(|e| e.id.as_str())
        .collect();
    let mut out = std::collections::BTreeMap::new();
    for e in m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent)
    {
        let rank = |c: &str| match c {
            "critical" => 2,
            "important" => 1,
            _ => 0,
        };
        let criticality = crate::graph::impact(m, &e.id)
            .into_iter()
            .map(|i| i.criticality)
            .max_by_key(|c| rank(c))
            .unwrap_or_else(|| "none".to_string());
        let personal_data = m.relationships.iter().any(|r| {
            r.kind == crate::types::RelType::Access
                && ((r.source == e.id && personal.contains(r.target.as_str()))
                    || (r.target == e.id && personal.contains(r.source.as_str())))
        });
        out.insert(
            service_name(e),
            SystemProfile {
                criticality,
                personal_data,
            },
        );
    }
    out
}
