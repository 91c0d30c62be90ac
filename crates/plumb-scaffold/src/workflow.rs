//! The onboarding workflow a model gives a component: a BusinessProcess marked
//! `plumb:workflow: onboarding`, served by the component, whose steps are the business processes
//! it composes and whose transitions are the Triggering relationships between those steps. The
//! step nobody triggers is the initial state; steps that trigger nothing are final.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;

use plumb_model::model::Index;
use plumb_model::{Element, ElementType, Model, RelType};

use crate::error::{Result, ScaffoldError};
use crate::names;

/// Marks the process that is a component's onboarding workflow.
pub const WORKFLOW: &str = "plumb:workflow";
/// Overrides the key derived from a step's or transition's name.
pub const KEY: &str = "plumb:key";
/// The transition key audit trails use for opening a case (no model transition may use it).
pub const START: &str = "start";

/// A state of the workflow (one step of the process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    /// Identifier used in code and in the database (`plumb:key`, else the name in snake_case).
    pub key: String,
    /// Display name.
    pub name: String,
    /// Model element id.
    pub element: String,
    /// The state a new case starts in.
    pub initial: bool,
    /// No transition leaves it.
    pub terminal: bool,
}

/// A transition (a Triggering relationship between two steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// Identifier posted by forms and written to the audit record.
    pub key: String,
    /// Display name (the relationship's name, else "to <target>").
    pub name: String,
    /// Source state key.
    pub from: String,
    /// Target state key.
    pub to: String,
    /// Model relationship id.
    pub relationship: String,
}

/// An onboarding workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workflow {
    /// The process element id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its documentation.
    pub documentation: String,
    /// The initial state's key.
    pub initial: String,
    /// States in model order, the initial one first.
    pub states: Vec<State>,
    /// Transitions in model order.
    pub transitions: Vec<Transition>,
}

fn err(process: &Element, message: String, hint: &str) -> ScaffoldError {
    ScaffoldError::model(
        format!(
            "onboarding process {} {:?}{}: {message}",
            process.id,
            process.name,
            process
                .line
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default()
        ),
        hint,
    )
}

/// The onboarding process served by `component`, if the model gives it one.
pub fn of_component(m: &Model, idx: &Index<'_>, component: &Element) -> Result<Option<Workflow>> {
    let mut found: Vec<&Element> = m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Serving && r.source == component.id)
        .filter_map(|r| idx.elements.get(r.target.as_str()).copied())
        .filter(|e| Model::prop(e, WORKFLOW).is_some_and(|v| v.eq_ignore_ascii_case("onboarding")))
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found.dedup_by(|a, b| a.id == b.id);
    match found.as_slice() {
        [] => Ok(None),
        [p] => read(m, idx, p).map(Some),
        many => Err(ScaffoldError::model(
            format!(
                "component {} {:?} serves {} onboarding processes ({}); a service has one",
                component.id,
                component.name,
                many.len(),
                many.iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "keep plumb:workflow: onboarding on one of them",
        )),
    }
}

fn key_of(props: &[(String, String)], name: &str) -> std::result::Result<String, String> {
    match props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(KEY))
        .map(|(_, v)| v.as_str())
    {
        Some(k) => names::check_key(k).map(|_| k.to_string()),
        None => names::key(name),
    }
}

fn read(m: &Model, idx: &Index<'_>, process: &Element) -> Result<Workflow> {
    if process.kind != ElementType::BusinessProcess {
        return Err(err(
            process,
            format!("is a {}, not a BusinessProcess", process.kind.name()),
            "mark a BusinessProcess with plumb:workflow: onboarding",
        ));
    }
    let (mut states, by_id) = steps(m, idx, process)?;
    let (transitions, targets) = transitions(m, idx, process, &by_id)?;
    let initial = initial_step(process, &states, &targets)?;
    check_reachable(process, &states, &transitions, &initial)?;
    for s in &mut states {
        s.initial = s.key == initial;
        s.terminal = !transitions.iter().any(|t| t.from == s.key);
    }
    states.sort_by_key(|s| !s.initial);
    Ok(Workflow {
        id: process.id.clone(),
        name: process.name.clone(),
        documentation: process.documentation.clone().unwrap_or_default(),
        initial,
        states,
        transitions,
    })
}

/// The steps: the business processes the onboarding process is composed of, each with a
/// unique key; also each step's key by element id.
fn steps<'m>(
    m: &'m Model,
    idx: &Index<'m>,
    process: &Element,
) -> Result<(Vec<State>, BTreeMap<&'m str, String>)> {
    let mut step_ids: Vec<&str> = Vec::new();
    for r in m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Composition && r.source == process.id)
    {
        if !step_ids.contains(&r.target.as_str()) {
            step_ids.push(r.target.as_str());
        }
    }
    let mut states = Vec::new();
    let mut by_id: BTreeMap<&str, String> = BTreeMap::new();
    let mut seen_keys = BTreeSet::new();
    for id in &step_ids {
        let Some(step) = idx.elements.get(id) else {
            continue;
        };
        if step.kind != ElementType::BusinessProcess {
            return Err(err(
                process,
                format!(
                    "step {} {:?} is a {}; steps are business processes the onboarding process is composed of",
                    step.id,
                    step.name,
                    step.kind.name()
                ),
                "model each step as a BusinessProcess in a Composition from the onboarding process",
            ));
        }
        let key = key_of(&step.properties, &step.name).map_err(|e| {
            err(
                process,
                format!("step {}: {e}", step.id),
                "give the step a plumb:key property (e.g. identity_check)",
            )
        })?;
        if !seen_keys.insert(key.clone()) {
            return Err(err(
                process,
                format!("two steps have the key {key:?}"),
                "rename one, or give it a distinct plumb:key property",
            ));
        }
        by_id.insert(step.id.as_str(), key.clone());
        states.push(State {
            key,
            name: step.name.clone(),
            element: step.id.clone(),
            initial: false,
            terminal: true,
        });
    }
    if states.len() < 2 {
        return Err(err(
            process,
            format!(
                "has {} step(s); a workflow needs at least two",
                states.len()
            ),
            "compose the process of its steps (Composition relationships from the process to BusinessProcess steps)",
        ));
    }
    Ok((states, by_id))
}

/// The transitions: Triggering relationships between steps, each with a key unique per step;
/// also the keys of the steps something leads to.
fn transitions(
    m: &Model,
    idx: &Index<'_>,
    process: &Element,
    by_id: &BTreeMap<&str, String>,
) -> Result<(Vec<Transition>, BTreeSet<String>)> {
    let mut transitions: Vec<Transition> = Vec::new();
    let mut targets = BTreeSet::new();
    for r in m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Triggering)
    {
        let (Some(from), Some(to)) = (by_id.get(r.source.as_str()), by_id.get(r.target.as_str()))
        else {
            continue;
        };
        let target_name = idx
            .elements
            .get(r.target.as_str())
            .map(|e| e.name.as_str())
            .unwrap_or(to);
        let name = if r.name.trim().is_empty() {
            format!("to {target_name}")
        } else {
            r.name.clone()
        };
        let key = key_of(&r.properties, &name).map_err(|e| {
            err(
                process,
                format!("transition {}: {e}", r.id),
                "give the Triggering relationship a plumb:key property (e.g. approve)",
            )
        })?;
        if key == START {
            return Err(err(
                process,
                format!(
                    "transition {}: the key {START:?} is what the audit trail calls opening a case",
                    r.id
                ),
                "rename the Triggering relationship, or give it another plumb:key",
            ));
        }
        if transitions.iter().any(|t| t.from == *from && t.key == key) {
            return Err(err(
                process,
                format!("two transitions leave step {from:?} with the key {key:?}"),
                "name the Triggering relationships differently, or give them distinct plumb:key properties",
            ));
        }
        targets.insert(to.clone());
        transitions.push(Transition {
            key,
            name,
            from: from.clone(),
            to: to.clone(),
            relationship: r.id.clone(),
        });
    }
    Ok((transitions, targets))
}

/// The one step nothing leads to.
fn initial_step(process: &Element, states: &[State], targets: &BTreeSet<String>) -> Result<String> {
    let initial: Vec<&State> = states
        .iter()
        .filter(|s| !targets.contains(&s.key))
        .collect();
    Ok(match initial.as_slice() {
        [one] => one.key.clone(),
        [] => {
            return Err(err(
                process,
                "every step is triggered by another, so there is no initial step".into(),
                "remove the Triggering relationship into the first step",
            ));
        }
        many => {
            return Err(err(
                process,
                format!(
                    "{} steps are triggered by no other step ({}); exactly one may be the start",
                    many.len(),
                    many.iter()
                        .map(|s| s.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "connect the steps with Triggering relationships from the first step onwards",
            ));
        }
    })
}

/// Every step is reachable from the start, and from every step a final one.
fn check_reachable(
    process: &Element,
    states: &[State],
    transitions: &[Transition],
    initial: &str,
) -> Result<()> {
    // Every step must be reachable from the start, or cases could never get there.
    let mut reached = BTreeSet::from([initial.to_string()]);
    let mut queue = VecDeque::from([initial.to_string()]);
    while let Some(s) = queue.pop_front() {
        for t in transitions.iter().filter(|t| t.from == s) {
            if reached.insert(t.to.clone()) {
                queue.push_back(t.to.clone());
            }
        }
    }
    // And from every step a final one must be reachable, or cases could get stuck.
    let mut finishing: BTreeSet<String> = states
        .iter()
        .filter(|s| !transitions.iter().any(|t| t.from == s.key))
        .map(|s| s.key.clone())
        .collect();
    if finishing.is_empty() {
        return Err(err(
            process,
            "has no final step (every step triggers another), so no case could ever finish".into(),
            "let the last steps trigger nothing",
        ));
    }
    loop {
        let before = finishing.len();
        for t in transitions {
            if finishing.contains(&t.to) {
                finishing.insert(t.from.clone());
            }
        }
        if finishing.len() == before {
            break;
        }
    }
    if let Some(stuck) = states.iter().find(|s| !finishing.contains(&s.key)) {
        return Err(err(
            process,
            format!("from step {:?} no final step can be reached", stuck.key),
            "add a Triggering relationship that leads out of the loop towards a final step",
        ));
    }
    if let Some(lost) = states.iter().find(|s| !reached.contains(&s.key)) {
        return Err(err(
            process,
            format!(
                "step {:?} cannot be reached from the initial step {initial:?}",
                lost.key
            ),
            "add a Triggering relationship that leads to it",
        ));
    }
    Ok(())
}
