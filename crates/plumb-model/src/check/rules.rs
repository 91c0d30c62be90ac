//! The model checks, one rule each: its id, level, legal references, what it finds and a small
//! function that finds it. `plumb model rules` prints this table; docs/model.md explains it.

use std::collections::HashSet;

use super::{Ctx, Finding, Level, finding, is_infrastructure};
use crate::dora;
use crate::model::{Element, Model};
use crate::rules as archimate;
use crate::types::{ElementType, Layer, RelType};

/// One model check.
pub struct Rule {
    /// Stable id, as findings carry it.
    pub id: &'static str,
    /// Error (fails the check) or warning.
    pub level: Level,
    /// What it finds, in one line.
    pub title: &'static str,
    /// The law or standard it applies.
    pub refs: &'static [&'static str],
    /// What to do about a finding.
    pub fix: &'static str,
    /// Adds the rule's findings for the model in `cx`.
    pub run: fn(&Rule, &Ctx<'_>, &mut Vec<Finding>),
}

/// Every rule, in the order they run (the report sorts findings by level and id).
pub const RULES: &[Rule] = &[
    Rule {
        id: "ARCHIMATE-REL-001",
        level: Level::Error,
        title: "a relationship the ArchiMate 3.2 table does not allow",
        refs: &["ArchiMate 3.2 Appendix B"],
        fix: "use one of the relationship types the message lists, or correct the source or target",
        run: relationship_allowed,
    },
    Rule {
        id: "DORA-MODEL-001",
        level: Level::Error,
        title: "a critical or important function is served by no application",
        refs: &["DORA Art. 8"],
        fix: "model the application components that serve the function",
        run: function_served,
    },
    Rule {
        id: "DORA-MODEL-002",
        level: Level::Error,
        title: "an application neither runs on nor is realised by technology",
        refs: &["DORA Art. 8(4)"],
        fix: "model the node, system software or technology service it runs on",
        run: application_on_technology,
    },
    Rule {
        id: "DORA-MODEL-003",
        level: Level::Error,
        title: "an ICT provider is not linked to a contract",
        refs: &["DORA Art. 28(3)", "DORA Art. 30"],
        fix: "add a Contract element linked to the provider",
        run: provider_contract,
    },
    Rule {
        id: "DORA-MODEL-004",
        level: Level::Error,
        title: "an ICT provider has no LEI, or one that fails the ISO 17442 check digits",
        refs: &["DORA Art. 28(3)", "ITS 2024/2956"],
        fix: "set dora:lei to the provider's 20-character LEI (gleif.org)",
        run: provider_lei,
    },
    Rule {
        id: "DORA-MODEL-005",
        level: Level::Error,
        title: "a requirement is realised by nothing",
        refs: &["DORA Art. 6"],
        fix: "add a realization relationship from what fulfils it",
        run: requirement_realised,
    },
    Rule {
        id: "DORA-MODEL-006",
        level: Level::Warning,
        title: "a single point of failure: every supporting path of a function crosses one infrastructure element",
        refs: &["DORA Art. 8", "DORA Art. 10"],
        fix: "model (and build) a redundant path, or accept and document the risk",
        run: single_points_of_failure,
    },
    Rule {
        id: "DORA-MODEL-007",
        level: Level::Warning,
        title: "concentration: more than the threshold (default 50%) of the critical or important functions depend on one provider",
        refs: &["DORA Art. 29"],
        fix: "assess the concentration risk; plan an exit or a second provider",
        run: provider_concentration,
    },
    Rule {
        id: "DORA-MODEL-009",
        level: Level::Error,
        title: "dora:criticality is not critical, important or none",
        refs: &["DORA Art. 8"],
        fix: "use critical, important or none",
        run: criticality_value,
    },
    Rule {
        id: "DORA-MODEL-010",
        level: Level::Warning,
        title: "a critical or important function has no RTO or RPO",
        refs: &["DORA Art. 11", "DORA Art. 12"],
        fix: "set dora:rto and dora:rpo in hours",
        run: recovery_objectives_present,
    },
    Rule {
        id: "DORA-MODEL-011",
        level: Level::Error,
        title: "dora:rto or dora:rpo is not a number of hours",
        refs: &["DORA Art. 11"],
        fix: "write the objective in hours, e.g. 4 or 0.5",
        run: recovery_objectives_valid,
    },
    Rule {
        id: "DORA-MODEL-012",
        level: Level::Error,
        title: "dora:service-type is not an ICT service type S01 to S19",
        refs: &["ITS 2024/2956"],
        fix: "use the EBA taxonomy code of the ICT service (S01 to S19)",
        run: service_type_valid,
    },
    Rule {
        id: "DORA-MODEL-013",
        level: Level::Error,
        title: "dora:provider names no ICT provider in the model",
        refs: &["DORA Art. 28(3)"],
        fix: "name the id of a business actor marked as an ICT provider",
        run: provider_reference_valid,
    },
    Rule {
        id: "DORA-RES-001",
        level: Level::Error,
        title: "a critical or important function has no passed resilience test within the period (only with resilience evidence)",
        refs: &["DORA Art. 24", "DORA Art. 11"],
        fix: "run a failover drill or chaos experiment of a system it depends on and record it: plumb resilience record",
        run: resilience_tested,
    },
    Rule {
        id: "DORA-RES-002",
        level: Level::Error,
        title: "the latest passed resilience test of a function measured a recovery longer than its RTO (only with resilience evidence)",
        refs: &["DORA Art. 11", "DORA Art. 12"],
        fix: "make recovery faster (or the RTO realistic) and test again",
        run: resilience_within_rto,
    },
];

/// The rule with `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// `<id> "<name>"`, the way findings name an element.
fn named(e: &Element) -> String {
    format!("{} {:?}", e.id, e.name)
}

fn about(rule: &Rule, e: &Element, message: String) -> Finding {
    finding(rule, message, vec![e.id.clone()], e.line)
}

/// The resilience state of each function, when the check was given the evidence.
fn resilience_findings(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>, states: &[&str]) {
    let Some(ev) = cx.resilience else { return };
    for s in crate::resilience::status(cx.model, &ev.tests, ev.now, ev.max_age_days) {
        if !states.contains(&s.state) {
            continue;
        }
        if let Some(func) = cx.element(&s.function) {
            out.push(about(
                rule,
                func,
                format!(
                    "{} function {}: {}",
                    s.criticality,
                    named(func),
                    s.explanation
                ),
            ));
        }
    }
}

fn resilience_tested(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    resilience_findings(rule, cx, out, &["no_test", "stale", "failed"]);
}

fn resilience_within_rto(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    resilience_findings(rule, cx, out, &["over_rto"]);
}

fn relationship_allowed(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let name_of = |id: &str| {
        cx.element(id)
            .map(|e| e.kind.rule_name())
            .unwrap_or(archimate::RELATIONSHIP)
    };
    for r in &cx.model.relationships {
        let (s, t) = (name_of(&r.source), name_of(&r.target));
        if archimate::allowed_between(s, r.kind, t) {
            continue;
        }
        let allowed: Vec<&str> = archimate::allowed_types(s, t)
            .iter()
            .map(|x| x.name())
            .collect();
        let allowed = if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed.join(", ")
        };
        out.push(finding(
            rule,
            format!(
                "{} from {s} {} to {t} {} is not allowed by ArchiMate 3.2; allowed: {allowed}",
                r.kind.name(),
                r.source,
                r.target
            ),
            vec![r.id.clone()],
            r.line,
        ));
    }
}

/// Application components a function depends on, directly or not.
fn serving_applications<'m>(cx: &Ctx<'m>, func: &'m Element) -> Vec<&'m str> {
    cx.deps
        .closure(&func.id, None)
        .into_iter()
        .filter(|x| {
            cx.element(x)
                .is_some_and(|e| e.kind.layer() == Layer::Application)
        })
        .collect()
}

fn function_served(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for func in &cx.functions {
        if serving_applications(cx, func).is_empty() {
            out.push(about(
                rule,
                func,
                format!(
                    "{} function {} is not served by any application",
                    dora::criticality(func).unwrap_or(""),
                    named(func)
                ),
            ));
        }
    }
}

fn application_on_technology(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let apps = cx
        .model
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent);
    for e in apps {
        let on_tech = cx.deps.closure(&e.id, None).iter().any(|t| {
            cx.element(t)
                .is_some_and(|x| matches!(x.kind.layer(), Layer::Technology | Layer::Physical))
        });
        if !on_tech {
            out.push(about(
                rule,
                e,
                format!(
                    "application {} neither runs on nor is realised by any technology",
                    named(e)
                ),
            ));
        }
    }
}

fn providers<'m>(cx: &Ctx<'m>) -> impl Iterator<Item = &'m Element> + use<'m> {
    cx.model.elements.iter().filter(|e| dora::is_provider(e))
}

fn provider_contract(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for p in providers(cx) {
        let linked_contract = cx.model.relationships.iter().any(|r| {
            let other = if r.source == p.id {
                Some(&r.target)
            } else if r.target == p.id {
                Some(&r.source)
            } else {
                None
            };
            other
                .and_then(|o| cx.element(o))
                .is_some_and(|o| o.kind == ElementType::Contract)
        });
        if !linked_contract {
            out.push(about(
                rule,
                p,
                format!("ICT provider {} is not linked to a contract", named(p)),
            ));
        }
    }
}

fn provider_lei(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for p in providers(cx) {
        match Model::prop(p, dora::LEI) {
            None => out.push(about(
                rule,
                p,
                format!("ICT provider {} has no LEI (dora:lei)", named(p)),
            )),
            Some(l) if !dora::lei_is_valid(l) => out.push(about(
                rule,
                p,
                format!(
                    "ICT provider {} has LEI {l:?}, which fails the ISO 17442 check digits",
                    named(p)
                ),
            )),
            Some(_) => {}
        }
    }
}

fn requirement_realised(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let realised: HashSet<&str> = cx
        .model
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Realization)
        .map(|r| r.target.as_str())
        .collect();
    let requirements = cx
        .model
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::Requirement);
    for req in requirements {
        if !realised.contains(req.id.as_str()) {
            out.push(about(
                rule,
                req,
                format!("requirement {} is not realised by anything", named(req)),
            ));
        }
    }
}

/// Infrastructure elements without which `func` reaches no infrastructure at all.
fn spofs_of<'m>(cx: &Ctx<'m>, func: &'m Element) -> Vec<&'m str> {
    let supported = |removed: Option<&str>| {
        cx.deps
            .closure(&func.id, removed)
            .iter()
            .any(|t| cx.element(t).is_some_and(|e| is_infrastructure(e.kind)))
    };
    if serving_applications(cx, func).is_empty() || !supported(None) {
        return Vec::new();
    }
    let mut spofs: Vec<&str> = cx
        .deps
        .closure(&func.id, None)
        .into_iter()
        .filter(|x| cx.element(x).is_some_and(|e| is_infrastructure(e.kind)) && !supported(Some(x)))
        .collect();
    spofs.sort();
    spofs
}

fn single_points_of_failure(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for func in &cx.functions {
        for s in spofs_of(cx, func) {
            let Some(se) = cx.element(s) else { continue };
            out.push(finding(
                rule,
                format!(
                    "{} is a single point of failure for {} function {:?}: every supporting path crosses it",
                    named(se),
                    dora::criticality(func).unwrap_or(""),
                    func.name
                ),
                vec![func.id.clone(), s.into()],
                se.line,
            ));
        }
    }
}

fn provider_concentration(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for c in super::concentration(cx) {
        if c.share > cx.opts.concentration_threshold && c.functions.len() > 1 {
            out.push(finding(
                rule,
                format!(
                    "{} of {} critical or important functions ({:.0}%) depend on ICT provider {} {:?}",
                    c.functions.len(),
                    cx.functions.len(),
                    c.share * 100.0,
                    c.provider,
                    c.name
                ),
                std::iter::once(c.provider.clone())
                    .chain(c.functions.iter().cloned())
                    .collect(),
                cx.element(&c.provider).and_then(|e| e.line),
            ));
        }
    }
}

fn criticality_value(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in &cx.model.elements {
        if let Some(v) = Model::prop(e, dora::CRITICALITY)
            && v.parse::<plumb_base::Criticality>().is_err()
        {
            out.push(about(
                rule,
                e,
                format!(
                    "{}: {} is {v:?}; use critical, important or none",
                    named(e),
                    dora::CRITICALITY
                ),
            ));
        }
    }
}

fn recovery_objectives_present(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for func in &cx.functions {
        for key in [dora::RTO, dora::RPO] {
            if Model::prop(func, key).is_none() {
                out.push(about(
                    rule,
                    func,
                    format!(
                        "{} function {} has no {key}",
                        dora::criticality(func).unwrap_or(""),
                        named(func)
                    ),
                ));
            }
        }
    }
}

fn recovery_objectives_valid(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in &cx.model.elements {
        for key in [dora::RTO, dora::RPO] {
            if let Some(v) = Model::prop(e, key)
                && v.parse::<f64>()
                    .map_or(true, |x| !(x >= 0.0 && x.is_finite()))
            {
                out.push(about(
                    rule,
                    e,
                    format!("{}: {key} is {v:?}, not a number of hours", named(e)),
                ));
            }
        }
    }
}

/// Whether `v` is an ICT service type of the EBA taxonomy: `S01` to `S19`.
fn is_service_type(v: &str) -> bool {
    v.strip_prefix('S')
        .filter(|n| n.len() == 2)
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=19).contains(&n))
}

fn service_type_valid(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in &cx.model.elements {
        if let Some(v) = Model::prop(e, dora::SERVICE_TYPE)
            && !is_service_type(v)
        {
            out.push(about(
                rule,
                e,
                format!("{}: ICT service type {v:?} is not S01 to S19", named(e)),
            ));
        }
    }
}

fn provider_reference_valid(rule: &Rule, cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in &cx.model.elements {
        if let Some(p) = Model::prop(e, dora::PROVIDER)
            && !cx.element(p).is_some_and(dora::is_provider)
        {
            out.push(about(
                rule,
                e,
                format!(
                    "{}: dora:provider {p:?} is not an ICT provider actor in the model",
                    named(e)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Options, check};

    fn model(yaml: &str) -> Model {
        crate::read_bytes("t.yaml", "yaml", yaml.as_bytes()).expect("test model parses")
    }

    fn ids(m: &Model) -> Vec<String> {
        check(m, Options::default())
            .findings
            .into_iter()
            .map(|f| f.id)
            .collect()
    }

    #[test]
    fn rules_are_unique_and_documented() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            assert!(
                !r.refs.is_empty() && !r.title.is_empty() && !r.fix.is_empty(),
                "{}",
                r.id
            );
        }
        assert!(rule("DORA-MODEL-012").is_some() && rule("DORA-MODEL-999").is_none());
    }

    #[test]
    fn service_types_are_s01_to_s19() {
        for ok in ["S01", "S09", "S19"] {
            assert!(is_service_type(ok), "{ok}");
        }
        for bad in ["S00", "S20", "S1", "S001", "s01", "X01", "S€1", ""] {
            assert!(!is_service_type(bad), "{bad}");
        }
    }

    #[test]
    fn each_invalid_property_has_its_own_rule() {
        let m = model(&format!(
            "id: m\nname: t\nelements:\n  - {{id: f1, type: BusinessFunction, name: Pay, properties: {{{}: vital, {}: soon, {}: S42, {}: nobody}}}}\n",
            dora::CRITICALITY,
            dora::RTO,
            dora::SERVICE_TYPE,
            dora::PROVIDER
        ));
        let found = ids(&m);
        for id in [
            "DORA-MODEL-009",
            "DORA-MODEL-011",
            "DORA-MODEL-012",
            "DORA-MODEL-013",
        ] {
            assert!(found.iter().any(|f| f == id), "{id} missing from {found:?}");
        }
    }
}
