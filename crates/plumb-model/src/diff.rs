//! Model reviews: what changed between two versions of a model, and what the change does to
//! DORA. The graph changes (elements, relationships, properties added, removed and changed) are
//! listed by id; the DORA view compares, per critical or important function, its criticality,
//! RTO and RPO, the elements it depends on and the providers among them; provider
//! concentration; and the model-check findings each version has (fixed, introduced). Pure: the
//! same two models give the same diff.

mod markdown;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::check::{Finding, Level, Options, check};
use crate::dora;
use crate::graph::deps;
use crate::model::{Element, Model, Properties, Relationship};

/// A concept (element or relationship) as the diff names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Concept {
    /// Its id.
    pub id: String,
    /// Its ArchiMate type.
    pub kind: String,
    /// Its name (for a relationship: `source -> target` by name).
    pub name: String,
}

/// One changed field of a concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// `name`, `type`, `documentation`, `source`, `target`, or `property <key>`.
    pub field: String,
    /// Before (absent: `None`).
    pub old: Option<String>,
    /// After.
    pub new: Option<String>,
}

/// A concept present in both versions whose fields differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// The concept, as it is now.
    pub concept: Concept,
    /// What differs.
    pub changes: Vec<FieldChange>,
}

/// What changed for one critical or important function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FunctionChange {
    /// Its id.
    pub id: String,
    /// Its name (now, or before when it was removed).
    pub name: String,
    /// Criticality before and after (`None`: not critical or important, or absent).
    pub criticality: (Option<String>, Option<String>),
    /// RTO hours before and after, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rto_hours: Option<(Option<String>, Option<String>)>,
    /// RPO hours before and after, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpo_hours: Option<(Option<String>, Option<String>)>,
    /// Elements it now depends on that it did not (names).
    pub supported_by_added: Vec<String>,
    /// Elements it no longer depends on.
    pub supported_by_removed: Vec<String>,
    /// ICT providers it now depends on that it did not.
    pub providers_added: Vec<String>,
    /// ICT providers it no longer depends on.
    pub providers_removed: Vec<String>,
}

/// A provider whose share of the critical or important functions changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcentrationChange {
    /// Provider id.
    pub provider: String,
    /// Provider name.
    pub name: String,
    /// Share before and after (0 when absent).
    pub share: (f64, f64),
}

/// Everything that changed between two models.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelDiff {
    /// Elements only in the new model.
    pub elements_added: Vec<Concept>,
    /// Elements only in the old model.
    pub elements_removed: Vec<Concept>,
    /// Elements in both whose fields differ.
    pub elements_changed: Vec<Changed>,
    /// Relationships only in the new model.
    pub relationships_added: Vec<Concept>,
    /// Relationships only in the old model.
    pub relationships_removed: Vec<Concept>,
    /// Relationships in both whose fields differ.
    pub relationships_changed: Vec<Changed>,
    /// Critical or important functions (in either version) whose DORA view changed.
    pub functions: Vec<FunctionChange>,
    /// Providers whose concentration changed.
    pub concentration: Vec<ConcentrationChange>,
    /// Findings of the new model that the old one did not have.
    pub findings_introduced: Vec<Finding>,
    /// Findings of the old model that the new one no longer has.
    pub findings_fixed: Vec<Finding>,
}

impl ModelDiff {
    /// Whether nothing changed at all.
    pub fn is_empty(&self) -> bool {
        *self == ModelDiff::default()
    }

    /// The introduced findings at error level.
    pub fn new_errors(&self) -> usize {
        self.findings_introduced
            .iter()
            .filter(|f| f.level == Level::Error)
            .count()
    }
}

fn element_concept(e: &Element) -> Concept {
    Concept {
        id: e.id.clone(),
        kind: format!("{:?}", e.kind),
        name: e.name.clone(),
    }
}

fn relationship_concept(r: &Relationship, m: &Model) -> Concept {
    let idx = m.index();
    let name_of = |id: &str| {
        idx.elements
            .get(id)
            .map_or_else(|| id.to_string(), |e| e.name.clone())
    };
    Concept {
        id: r.id.clone(),
        kind: format!("{:?}", r.kind),
        name: format!("{} -> {}", name_of(&r.source), name_of(&r.target)),
    }
}

fn property_changes(old: &Properties, new: &Properties, out: &mut Vec<FieldChange>) {
    let map = |p: &Properties| -> BTreeMap<String, String> { p.iter().cloned().collect() };
    let (a, b) = (map(old), map(new));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        if a.get(k) != b.get(k) {
            out.push(FieldChange {
                field: format!("property {k}"),
                old: a.get(k).cloned(),
                new: b.get(k).cloned(),
            });
        }
    }
}

fn field(out: &mut Vec<FieldChange>, name: &str, old: Option<String>, new: Option<String>) {
    if old != new {
        out.push(FieldChange {
            field: name.into(),
            old,
            new,
        });
    }
}

/// The fields elements and relationships share: type, name, documentation, properties.
/// Types are compared by their ArchiMate names.
struct Shared<'a> {
    kind: String,
    name: &'a str,
    documentation: &'a Option<String>,
    properties: &'a Properties,
}

fn shared_changes(a: Shared<'_>, b: Shared<'_>, out: &mut Vec<FieldChange>) {
    field(out, "type", Some(a.kind), Some(b.kind));
    field(out, "name", Some(a.name.into()), Some(b.name.into()));
    field(
        out,
        "documentation",
        a.documentation.clone(),
        b.documentation.clone(),
    );
    property_changes(a.properties, b.properties, out);
}

fn element_changes(a: &Element, b: &Element) -> Vec<FieldChange> {
    fn shared(e: &Element) -> Shared<'_> {
        Shared {
            kind: format!("{:?}", e.kind),
            name: &e.name,
            documentation: &e.documentation,
            properties: &e.properties,
        }
    }
    let mut out = Vec::new();
    shared_changes(shared(a), shared(b), &mut out);
    out
}

fn relationship_changes(a: &Relationship, b: &Relationship) -> Vec<FieldChange> {
    fn shared(r: &Relationship) -> Shared<'_> {
        Shared {
            kind: format!("{:?}", r.kind),
            name: &r.name,
            documentation: &r.documentation,
            properties: &r.properties,
        }
    }
    let mut out = Vec::new();
    field(
        &mut out,
        "source",
        Some(a.source.clone()),
        Some(b.source.clone()),
    );
    field(
        &mut out,
        "target",
        Some(a.target.clone()),
        Some(b.target.clone()),
    );
    field(
        &mut out,
        "access type",
        a.access_type.clone(),
        b.access_type.clone(),
    );
    field(
        &mut out,
        "influence strength",
        a.modifier.clone(),
        b.modifier.clone(),
    );
    shared_changes(shared(a), shared(b), &mut out);
    out
}

/// The DORA view of one model: per critical or important function, its criticality, RTO,
/// RPO, supporting elements and providers (names).
struct DoraView {
    functions: BTreeMap<String, FunctionView>,
}

struct FunctionView {
    name: String,
    criticality: Option<String>,
    rto: Option<String>,
    rpo: Option<String>,
    supported_by: BTreeSet<String>,
    providers: BTreeSet<String>,
}

fn dora_view(m: &Model) -> DoraView {
    let d = deps(m);
    let idx = m.index();
    let mut functions = BTreeMap::new();
    for e in &m.elements {
        let Some(c) = dora::criticality(e) else {
            continue;
        };
        let reached = d.closure(&e.id, None);
        let mut supported_by = BTreeSet::new();
        let mut providers = BTreeSet::new();
        for id in reached {
            if let Some(x) = idx.elements.get(id) {
                if dora::is_provider(x) {
                    providers.insert(x.name.clone());
                } else {
                    supported_by.insert(x.name.clone());
                }
            }
        }
        functions.insert(
            e.id.clone(),
            FunctionView {
                name: e.name.clone(),
                criticality: Some(c.to_string()),
                rto: Model::prop(e, dora::RTO).map(str::to_string),
                rpo: Model::prop(e, dora::RPO).map(str::to_string),
                supported_by,
                providers,
            },
        );
    }
    DoraView { functions }
}

fn minus(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

fn function_changes(old: &DoraView, new: &DoraView) -> Vec<FunctionChange> {
    let empty = BTreeSet::new();
    let ids: BTreeSet<&String> = old.functions.keys().chain(new.functions.keys()).collect();
    let mut out = Vec::new();
    for id in ids {
        let (a, b) = (old.functions.get(id), new.functions.get(id));
        let pair = |f: fn(&FunctionView) -> Option<String>| (a.and_then(f), b.and_then(f));
        let set = |v: Option<&FunctionView>, f: fn(&FunctionView) -> &BTreeSet<String>| {
            v.map_or(&empty, f).clone()
        };
        let (sa, sb) = (set(a, |v| &v.supported_by), set(b, |v| &v.supported_by));
        let (pa, pb) = (set(a, |v| &v.providers), set(b, |v| &v.providers));
        let rto = pair(|v| v.rto.clone());
        let rpo = pair(|v| v.rpo.clone());
        let c = FunctionChange {
            id: id.clone(),
            name: b.or(a).map(|v| v.name.clone()).unwrap_or_default(),
            criticality: pair(|v| v.criticality.clone()),
            rto_hours: (rto.0 != rto.1).then_some(rto),
            rpo_hours: (rpo.0 != rpo.1).then_some(rpo),
            supported_by_added: minus(&sb, &sa),
            supported_by_removed: minus(&sa, &sb),
            providers_added: minus(&pb, &pa),
            providers_removed: minus(&pa, &pb),
        };
        let changed = c.criticality.0 != c.criticality.1
            || c.rto_hours.is_some()
            || c.rpo_hours.is_some()
            || !c.supported_by_added.is_empty()
            || !c.supported_by_removed.is_empty()
            || !c.providers_added.is_empty()
            || !c.providers_removed.is_empty();
        if changed {
            out.push(c);
        }
    }
    out
}

/// A finding's identity across versions: its rule and the elements it is about (the message
/// may carry names that changed).
fn finding_key(f: &Finding) -> (String, Vec<String>) {
    let mut e = f.elements.clone();
    e.sort();
    (f.id.clone(), e)
}

fn findings_delta(old: &[Finding], new: &[Finding]) -> (Vec<Finding>, Vec<Finding>) {
    let ko: BTreeSet<_> = old.iter().map(finding_key).collect();
    let kn: BTreeSet<_> = new.iter().map(finding_key).collect();
    let introduced = new
        .iter()
        .filter(|f| !ko.contains(&finding_key(f)))
        .cloned()
        .collect();
    let fixed = old
        .iter()
        .filter(|f| !kn.contains(&finding_key(f)))
        .cloned()
        .collect();
    (introduced, fixed)
}

/// What changed from `old` to `new`, checked with `opts` (the concentration threshold).
pub fn diff(old: &Model, new: &Model, opts: Options) -> ModelDiff {
    let mut out = ModelDiff::default();
    let (io, inew) = (old.index(), new.index());
    for e in &new.elements {
        match io.elements.get(e.id.as_str()) {
            None => out.elements_added.push(element_concept(e)),
            Some(a) => {
                let changes = element_changes(a, e);
                if !changes.is_empty() {
                    out.elements_changed.push(Changed {
                        concept: element_concept(e),
                        changes,
                    });
                }
            }
        }
    }
    out.elements_removed = old
        .elements
        .iter()
        .filter(|e| !inew.elements.contains_key(e.id.as_str()))
        .map(element_concept)
        .collect();
    for r in &new.relationships {
        match io.relationships.get(r.id.as_str()) {
            None => out.relationships_added.push(relationship_concept(r, new)),
            Some(a) => {
                let changes = relationship_changes(a, r);
                if !changes.is_empty() {
                    out.relationships_changed.push(Changed {
                        concept: relationship_concept(r, new),
                        changes,
                    });
                }
            }
        }
    }
    out.relationships_removed = old
        .relationships
        .iter()
        .filter(|r| !inew.relationships.contains_key(r.id.as_str()))
        .map(|r| relationship_concept(r, old))
        .collect();
    out.functions = function_changes(&dora_view(old), &dora_view(new));
    let (ro, rn) = (check(old, opts), check(new, opts));
    let shares = |r: &crate::check::Report| -> BTreeMap<String, (String, f64)> {
        r.concentration
            .iter()
            .map(|c| (c.provider.clone(), (c.name.clone(), c.share)))
            .collect()
    };
    let (so, sn) = (shares(&ro), shares(&rn));
    let providers: BTreeSet<&String> = so.keys().chain(sn.keys()).collect();
    for p in providers {
        let (a, b) = (so.get(p), sn.get(p));
        let (va, vb) = (a.map_or(0.0, |x| x.1), b.map_or(0.0, |x| x.1));
        if (va - vb).abs() > 1e-9 {
            out.concentration.push(ConcentrationChange {
                provider: p.clone(),
                name: b.or(a).map(|x| x.0.clone()).unwrap_or_default(),
                share: (va, vb),
            });
        }
    }
    let (introduced, fixed) = findings_delta(&ro.findings, &rn.findings);
    out.findings_introduced = introduced;
    out.findings_fixed = fixed;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> Model {
        crate::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/model/bank.yaml"
        )))
        .unwrap()
    }

    #[test]
    fn a_model_against_itself_is_no_change_and_a_removal_is_the_reverse_of_an_addition() {
        let m = bank();
        let same = diff(&m, &m, Options::default());
        assert!(same.is_empty());
        assert!(same.to_markdown().contains("No change."));
        let mut smaller = m.clone();
        let gone = smaller.relationships.pop().unwrap();
        let forward = diff(&m, &smaller, Options::default());
        let back = diff(&smaller, &m, Options::default());
        assert_eq!(forward.relationships_removed[0].id, gone.id);
        assert_eq!(back.relationships_added, forward.relationships_removed);
        assert_eq!(back.findings_fixed, forward.findings_introduced);
        assert_eq!(
            diff(&m, &smaller, Options::default()),
            forward,
            "deterministic"
        );
    }
}
