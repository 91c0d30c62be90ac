//! Dependencies in the model, and impact analysis.
//!
//! "A depends on B" (if B fails, A is affected) is read from relationships as follows:
//!
//! | relationship B -> A | meaning |
//! |---|---|
//! | Serving, Realization, Assignment | the target depends on the source |
//! | Access (A accesses B), Composition and Aggregation (whole A, part B) | the source depends on the target |
//! | Triggering, Flow, Influence, Association, Specialization | no dependency |
//!
//! An element with `dora:provider = P` depends on the provider actor P.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;

use crate::dora;
use crate::model::Model;
use crate::types::RelType;

/// Dependency edges: for each element, what it depends on (with the relationship id, or
/// `dora:provider`), and the reverse.
pub struct Deps<'m> {
    /// element -> [(depends on, via)]
    pub down: HashMap<&'m str, Vec<(&'m str, &'m str)>>,
    /// element -> [(depended on by, via)]
    pub up: HashMap<&'m str, Vec<(&'m str, &'m str)>>,
}

/// Builds the dependency edges of a model.
pub fn deps(m: &Model) -> Deps<'_> {
    let mut d = Deps {
        down: HashMap::new(),
        up: HashMap::new(),
    };
    for r in &m.relationships {
        let (a, b) = match r.kind {
            RelType::Serving | RelType::Realization | RelType::Assignment => {
                (r.target.as_str(), r.source.as_str())
            }
            RelType::Access | RelType::Composition | RelType::Aggregation => {
                (r.source.as_str(), r.target.as_str())
            }
            _ => continue,
        };
        d.down.entry(a).or_default().push((b, r.id.as_str()));
        d.up.entry(b).or_default().push((a, r.id.as_str()));
    }
    let idx = m.index();
    for e in &m.elements {
        if let Some(p) = Model::prop(e, dora::PROVIDER)
            && let Some(pe) = idx.elements.get(p)
        {
            d.down
                .entry(e.id.as_str())
                .or_default()
                .push((pe.id.as_str(), dora::PROVIDER));
            d.up.entry(pe.id.as_str())
                .or_default()
                .push((e.id.as_str(), dora::PROVIDER));
        }
    }
    d
}

impl<'m> Deps<'m> {
    /// Everything `start` depends on, directly or not (not including `start`), avoiding `removed`.
    pub fn closure(&self, start: &'m str, removed: Option<&str>) -> HashSet<&'m str> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([start]);
        while let Some(x) = queue.pop_front() {
            for (y, _) in self.down.get(x).into_iter().flatten() {
                if Some(*y) != removed && seen.insert(*y) {
                    queue.push_back(*y);
                }
            }
        }
        seen.remove(start);
        seen
    }
}

/// One step on an impact path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Element id.
    pub id: String,
    /// Element name.
    pub name: String,
    /// Element type.
    pub kind: String,
    /// How the previous step depends on this one (relationship id and type), for all but the first step.
    pub via: Option<String>,
    /// The id of that relationship, for all but the first step.
    pub relationship: Option<String>,
}

/// A critical or important function reached by an impact analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// The function.
    pub function: String,
    /// Its name.
    pub name: String,
    /// critical or important.
    pub criticality: String,
    /// From the function down to the failed element.
    pub path: Vec<Step>,
}

/// What fails if `element` fails: every critical or important function that depends on it,
/// each with the shortest dependency path.
pub fn impact(m: &Model, element: &str) -> Vec<Impact> {
    let d = deps(m);
    let idx = m.index();
    let mut parent: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut queue = VecDeque::from([element]);
    let mut seen = HashSet::from([element]);
    while let Some(x) = queue.pop_front() {
        for (y, via) in d.up.get(x).into_iter().flatten() {
            if seen.insert(*y) {
                parent.insert(*y, (x, *via));
                queue.push_back(*y);
            }
        }
    }
    let rel_kind = |via: &str| {
        idx.relationships
            .get(via)
            .map(|r| format!("{} ({})", via, r.kind.name()))
            .unwrap_or_else(|| via.to_string())
    };
    let mut out = Vec::new();
    for e in &m.elements {
        let Some(crit) = dora::criticality(e) else {
            continue;
        };
        if !seen.contains(e.id.as_str()) {
            continue;
        }
        let mut path = Vec::new();
        let mut cur = e.id.as_str();
        let mut via: Option<String> = None;
        let mut relationship: Option<String> = None;
        loop {
            let el = idx.elements.get(cur);
            path.push(Step {
                id: cur.into(),
                name: el.map(|x| x.name.clone()).unwrap_or_default(),
                kind: el
                    .map(|x| x.kind.name().to_string())
                    .unwrap_or_else(|| "Relationship".into()),
                via: via.take(),
                relationship: relationship.take(),
            });
            match parent.get(cur) {
                Some((next, v)) => {
                    via = Some(rel_kind(v));
                    relationship = Some(v.to_string());
                    cur = next;
                }
                None => break,
            }
        }
        out.push(Impact {
            function: e.id.clone(),
            name: e.name.clone(),
            criticality: crit.into(),
            path,
        });
    }
    out
}
