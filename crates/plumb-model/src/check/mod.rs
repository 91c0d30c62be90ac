//! `plumb model check`: DORA traceability findings, each with the element ids, a message, the
//! legal reference and, where the format has lines, the line. Each check is one rule in
//! [`rules::RULES`] with its id, level, legal references and documentation (`plumb model
//! rules` lists them); this module prepares what they share and assembles the report.

pub mod rules;

use std::collections::{BTreeMap, HashSet};

use crate::dora;
use crate::graph::{Deps, deps};
use crate::model::{Element, Index, Model};
use crate::types::{ElementType, Layer};

pub use plumb_records::model_check::{Concentration, Finding, Level, ModelSize, Report};
pub use rules::{RULES, Rule};

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

/// Infrastructure an application can run on: technology and physical elements other than
/// artifacts and events.
pub(crate) fn is_infrastructure(t: ElementType) -> bool {
    matches!(t.layer(), Layer::Technology | Layer::Physical)
        && !matches!(t, ElementType::Artifact | ElementType::TechnologyEvent)
}

/// What every rule reads: the model, its index, its dependency graph, the critical or
/// important functions and the options.
pub struct Ctx<'m> {
    /// The model.
    pub model: &'m Model,
    /// Elements and relationships by id.
    pub idx: Index<'m>,
    /// Who depends on whom.
    pub deps: Deps<'m>,
    /// Elements with a criticality of critical or important.
    pub functions: Vec<&'m Element>,
    /// The options.
    pub opts: Options,
    /// Recorded resilience tests, when the check was given them (the DORA-RES rules run only
    /// then: the model alone cannot say whether a function was tested).
    pub resilience: Option<&'m crate::resilience::Evidence>,
}

impl<'m> Ctx<'m> {
    /// Prepares the shared views of `m`.
    pub fn new(m: &'m Model, opts: Options) -> Ctx<'m> {
        Ctx {
            model: m,
            idx: m.index(),
            deps: deps(m),
            functions: m
                .elements
                .iter()
                .filter(|e| dora::criticality(e).is_some())
                .collect(),
            opts,
            resilience: None,
        }
    }

    /// The element `id`, if the model has it.
    pub fn element(&self, id: &str) -> Option<&'m Element> {
        self.idx.elements.get(id).copied()
    }
}

/// A finding of `rule` about `elements`.
pub(crate) fn finding(
    rule: &Rule,
    message: String,
    elements: Vec<String>,
    line: Option<u64>,
) -> Finding {
    Finding {
        id: rule.id.into(),
        level: rule.level,
        message,
        elements,
        refs: rule.refs.iter().map(|r| r.to_string()).collect(),
        line,
    }
}

/// The share of critical or important functions that depend on each provider.
pub fn concentration(cx: &Ctx<'_>) -> Vec<Concentration> {
    let mut by_provider: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for func in &cx.functions {
        for x in cx.deps.closure(&func.id, None) {
            if cx.element(x).is_some_and(dora::is_provider) {
                by_provider.entry(x).or_default().insert(func.id.as_str());
            }
        }
    }
    by_provider
        .into_iter()
        .map(|(p, fs)| {
            let mut functions: Vec<String> = fs.iter().map(|x| x.to_string()).collect();
            functions.sort();
            Concentration {
                provider: p.into(),
                name: cx.element(p).map(|e| e.name.clone()).unwrap_or_default(),
                share: fs.len() as f64 / cx.functions.len().max(1) as f64,
                functions,
            }
        })
        .collect()
}

/// Runs every rule.
pub fn check(m: &Model, opts: Options) -> Report {
    check_with(m, opts, None)
}

/// Runs every rule, the resilience rules over `resilience` when given.
pub fn check_with(
    m: &Model,
    opts: Options,
    resilience: Option<&crate::resilience::Evidence>,
) -> Report {
    let mut cx = Ctx::new(m, opts);
    cx.resilience = resilience;
    let mut out = Vec::new();
    for rule in RULES {
        (rule.run)(rule, &cx, &mut out);
    }
    out.sort_by(|a, b| (a.level, &a.id, &a.elements).cmp(&(b.level, &b.id, &b.elements)));
    Report {
        model_digest: m.digest(),
        size: ModelSize {
            elements: m.elements.len(),
            relationships: m.relationships.len(),
        },
        functions: cx.functions.iter().map(|e| e.id.clone()).collect(),
        concentration: concentration(&cx),
        findings: out,
    }
}
