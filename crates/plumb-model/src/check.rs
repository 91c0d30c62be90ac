//! `plumb model check`: DORA traceability findings, each with the element ids, a message, the
//! legal reference and, where the format has lines, the line.

use std::collections::{BTreeMap, HashSet};

use crate::dora;
use crate::graph::deps;
use crate::model::Model;
use crate::rules;
use crate::types::{ElementType, Layer};

pub use plumb_records::model_check::{Concentration, Finding, Level, ModelSize, Report};

/// Predicate type of recorded model checks.
pub const PREDICATE_TYPE: &str = <Report as plumb_records::Record>::PREDICATE_TYPE;

/// Check options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Share of critical or important functions on one provider above which it is a finding.
    pub concentration_threshold: f64,
}

/// The concentration threshold when none is given: half of the critical or important
/// functions on one provider.
pub const DEFAULT_CONCENTRATION_THRESHOLD: f64 = 0.5;

impl Default for Options {
    fn default() -> Self {
        Options {
            concentration_threshold: DEFAULT_CONCENTRATION_THRESHOLD,
        }
    }
}

impl Options {
    /// Options with the given threshold, or the default; a threshold outside (0, 1] is refused
    /// (the CLI and the server both check through here).
    pub fn new(concentration_threshold: Option<f64>) -> Result<Options, String> {
        let t = concentration_threshold.unwrap_or(DEFAULT_CONCENTRATION_THRESHOLD);
        if t > 0.0 && t <= 1.0 {
            Ok(Options {
                concentration_threshold: t,
            })
        } else {
            Err(format!(
                "the concentration threshold must be above 0 and at most 1, got {t}"
            ))
        }
    }
}

fn f(
    id: &str,
    level: Level,
    message: String,
    elements: Vec<String>,
    refs: &[&str],
    line: Option<u64>,
) -> Finding {
    Finding {
        id: id.into(),
        level,
        message,
        elements,
        refs: refs.iter().map(|r| r.to_string()).collect(),
        line,
    }
}

fn is_infrastructure(t: ElementType) -> bool {
    matches!(t.layer(), Layer::Technology | Layer::Physical)
        && !matches!(t, ElementType::Artifact | ElementType::TechnologyEvent)
}

/// Runs every check.
pub fn check(m: &Model, opts: Options) -> Report {
    let idx = m.index();
    let d = deps(m);
    let mut out = Vec::new();

    // Relationships must be allowed by the ArchiMate 3.2 table.
    for r in &m.relationships {
        let name_of = |id: &str| {
            idx.elements
                .get(id)
                .map(|e| e.kind.rule_name())
                .unwrap_or(rules::RELATIONSHIP)
        };
        let (s, t) = (name_of(&r.source), name_of(&r.target));
        if !rules::allowed_between(s, r.kind, t) {
            let allowed: Vec<&str> = rules::allowed_types(s, t)
                .iter()
                .map(|x| x.name())
                .collect();
            out.push(f(
                "ARCHIMATE-REL-001",
                Level::Error,
                format!(
                    "{} from {s} {} to {t} {} is not allowed by ArchiMate 3.2; allowed: {}",
                    r.kind.name(),
                    r.source,
                    r.target,
                    if allowed.is_empty() {
                        "none".into()
                    } else {
                        allowed.join(", ")
                    }
                ),
                vec![r.id.clone()],
                &["ArchiMate 3.2 Appendix B"],
                r.line,
            ));
        }
    }

    let functions: Vec<&crate::model::Element> = m
        .elements
        .iter()
        .filter(|e| dora::criticality(e).is_some())
        .collect();
    for e in &m.elements {
        let bad = |check: &str, msg: String, refs: &[&str]| {
            f(
                check,
                Level::Error,
                format!("{} {:?}: {msg}", e.id, e.name),
                vec![e.id.clone()],
                refs,
                e.line,
            )
        };
        if let Some(v) = Model::prop(e, dora::CRITICALITY)
            && !["critical", "important", "none"].contains(&v.to_ascii_lowercase().as_str())
        {
            out.push(bad(
                "DORA-MODEL-009",
                format!(
                    "{} is {v:?}; use critical, important or none",
                    dora::CRITICALITY
                ),
                &["DORA Art. 8"],
            ));
        }
        for key in [dora::RTO, dora::RPO] {
            if let Some(v) = Model::prop(e, key)
                && v.parse::<f64>().map_or(true, |x| x < 0.0)
            {
                out.push(bad(
                    "DORA-MODEL-009",
                    format!("{key} is {v:?}, not a number of hours"),
                    &["DORA Art. 11"],
                ));
            }
        }
        if let Some(v) = Model::prop(e, dora::SERVICE_TYPE)
            && !(v.len() == 3
                && v.starts_with('S')
                && v[1..].parse::<u8>().is_ok_and(|n| (1..=19).contains(&n)))
        {
            out.push(bad(
                "DORA-MODEL-009",
                format!("ICT service type {v:?} is not S01 to S19"),
                &["ITS 2024/2956"],
            ));
        }
        if let Some(p) = Model::prop(e, dora::PROVIDER)
            && !idx.elements.get(p).is_some_and(|x| dora::is_provider(x))
        {
            out.push(bad(
                "DORA-MODEL-009",
                format!("dora:provider {p:?} is not an ICT provider actor in the model"),
                &["DORA Art. 28(3)"],
            ));
        }
    }

    for func in &functions {
        let closure = d.closure(&func.id, None);
        let apps: Vec<&str> = closure
            .iter()
            .copied()
            .filter(|x| {
                idx.elements
                    .get(x)
                    .is_some_and(|e| e.kind.layer() == Layer::Application)
            })
            .collect();
        if apps.is_empty() {
            out.push(f(
                "DORA-MODEL-001",
                Level::Error,
                format!(
                    "{} function {} {:?} is not served by any application",
                    dora::criticality(func).unwrap_or(""),
                    func.id,
                    func.name
                ),
                vec![func.id.clone()],
                &["DORA Art. 8"],
                func.line,
            ));
        }
        for key in [dora::RTO, dora::RPO] {
            if Model::prop(func, key).is_none() {
                out.push(f(
                    "DORA-MODEL-010",
                    Level::Warning,
                    format!(
                        "{} function {} {:?} has no {key}",
                        dora::criticality(func).unwrap_or(""),
                        func.id,
                        func.name
                    ),
                    vec![func.id.clone()],
                    &["DORA Art. 11", "DORA Art. 12"],
                    func.line,
                ));
            }
        }
        // Single points of failure: an infrastructure element that every supporting path of the
        // function crosses, i.e. without it the function reaches no infrastructure at all.
        let supported = |removed: Option<&str>| {
            d.closure(&func.id, removed).iter().any(|t| {
                idx.elements
                    .get(t)
                    .is_some_and(|e| is_infrastructure(e.kind))
            })
        };
        if !apps.is_empty() && supported(None) {
            let mut spofs: Vec<&str> = closure
                .iter()
                .copied()
                .filter(|x| {
                    idx.elements
                        .get(x)
                        .is_some_and(|e| is_infrastructure(e.kind))
                        && !supported(Some(x))
                })
                .collect();
            spofs.sort();
            for s in spofs {
                let se = idx.elements[s];
                out.push(f("DORA-MODEL-006", Level::Warning, format!("{} {:?} is a single point of failure for {} function {:?}: every supporting path crosses it", s, se.name, dora::criticality(func).unwrap_or(""), func.name), vec![func.id.clone(), s.into()], &["DORA Art. 8", "DORA Art. 10"], se.line));
            }
        }
    }

    for e in m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent)
    {
        let on_tech = d.closure(&e.id, None).iter().any(|t| {
            idx.elements
                .get(t)
                .is_some_and(|x| matches!(x.kind.layer(), Layer::Technology | Layer::Physical))
        });
        if !on_tech {
            out.push(f(
                "DORA-MODEL-002",
                Level::Error,
                format!(
                    "application {} {:?} neither runs on nor is realised by any technology",
                    e.id, e.name
                ),
                vec![e.id.clone()],
                &["DORA Art. 8(4)"],
                e.line,
            ));
        }
    }

    for p in m.elements.iter().filter(|e| dora::is_provider(e)) {
        let linked_contract = m.relationships.iter().any(|r| {
            let other = if r.source == p.id {
                Some(&r.target)
            } else if r.target == p.id {
                Some(&r.source)
            } else {
                None
            };
            other
                .and_then(|o| idx.elements.get(o.as_str()))
                .is_some_and(|o| o.kind == ElementType::Contract)
        });
        if !linked_contract {
            out.push(f(
                "DORA-MODEL-003",
                Level::Error,
                format!(
                    "ICT provider {} {:?} is not linked to a contract",
                    p.id, p.name
                ),
                vec![p.id.clone()],
                &["DORA Art. 28(3)", "DORA Art. 30"],
                p.line,
            ));
        }
        match Model::prop(p, dora::LEI) {
            None => out.push(f(
                "DORA-MODEL-004",
                Level::Error,
                format!("ICT provider {} {:?} has no LEI (dora:lei)", p.id, p.name),
                vec![p.id.clone()],
                &["DORA Art. 28(3)", "ITS 2024/2956"],
                p.line,
            )),
            Some(l) if !dora::lei_is_valid(l) => out.push(f(
                "DORA-MODEL-004",
                Level::Error,
                format!(
                    "ICT provider {} {:?} has LEI {l:?}, which fails the ISO 17442 check digits",
                    p.id, p.name
                ),
                vec![p.id.clone()],
                &["DORA Art. 28(3)", "ITS 2024/2956"],
                p.line,
            )),
            Some(_) => {}
        }
    }

    let realised: HashSet<&str> = m
        .relationships
        .iter()
        .filter(|r| r.kind == crate::types::RelType::Realization)
        .map(|r| r.target.as_str())
        .collect();
    for req in m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::Requirement)
    {
        if !realised.contains(req.id.as_str()) {
            out.push(f(
                "DORA-MODEL-005",
                Level::Error,
                format!(
                    "requirement {} {:?} is not realised by anything",
                    req.id, req.name
                ),
                vec![req.id.clone()],
                &["DORA Art. 6"],
                req.line,
            ));
        }
    }

    // Concentration: the share of critical or important functions that depend on each provider.
    let mut by_provider: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for func in &functions {
        for x in d.closure(&func.id, None) {
            if idx.elements.get(x).is_some_and(|e| dora::is_provider(e)) {
                by_provider.entry(x).or_default().insert(func.id.as_str());
            }
        }
    }
    let mut concentration = Vec::new();
    for (p, fs) in by_provider {
        let share = fs.len() as f64 / functions.len().max(1) as f64;
        let mut names: Vec<String> = fs.iter().map(|x| x.to_string()).collect();
        names.sort();
        if share > opts.concentration_threshold && fs.len() > 1 {
            out.push(f(
                "DORA-MODEL-007",
                Level::Warning,
                format!("{} of {} critical or important functions ({:.0}%) depend on ICT provider {p} {:?}", fs.len(), functions.len(), share * 100.0, idx.elements[p].name),
                std::iter::once(p.to_string()).chain(names.iter().cloned()).collect(),
                &["DORA Art. 29"],
                idx.elements[p].line,
            ));
        }
        concentration.push(Concentration {
            provider: p.into(),
            name: idx.elements[p].name.clone(),
            functions: names,
            share,
        });
    }
    out.sort_by(|a, b| (a.level, &a.id, &a.elements).cmp(&(b.level, &b.id, &b.elements)));
    Report {
        model_digest: m.digest(),
        size: ModelSize {
            elements: m.elements.len(),
            relationships: m.relationships.len(),
        },
        functions: functions.iter().map(|e| e.id.clone()).collect(),
        concentration,
        findings: out,
    }
}
