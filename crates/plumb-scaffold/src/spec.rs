//! What the model says about each application component to be generated: the template it
//! chooses, the critical or important functions it supports with their recovery objectives, the
//! ICT third-party providers it depends on, the requirements it realises, the data it accesses,
//! the services it calls and its onboarding workflow. Templates see exactly this.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use plumb_model::graph::{self, deps};
use plumb_model::model::Index;
use plumb_model::{Element, ElementType, Layer, Model, RelType, dora};

use crate::error::{Result, ScaffoldError};
use crate::names;
use crate::workflow::{self, Workflow};

/// The property by which a component chooses its template.
pub const TEMPLATE: &str = "plumb:template";
/// The team or people owning a component (CODEOWNERS syntax, e.g. `@bank/payments-team`).
pub const OWNER: &str = "plumb:owner";
/// Property on technology elements: the cloud region they are in (`eu-west-1`).
pub const REGION: &str = "plumb:region";
/// GDPR properties read from data objects for the records of processing.
pub const GDPR_PURPOSE: &str = "gdpr:purpose";
/// Categories of data subjects.
pub const GDPR_SUBJECTS: &str = "gdpr:data-subjects";
/// Retention period.
pub const GDPR_RETENTION: &str = "gdpr:retention";
/// Legal basis (GDPR Art. 6(1)).
pub const GDPR_LEGAL_BASIS: &str = "gdpr:legal-basis";

/// A critical or important function the service supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    /// Element id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `critical` or `important`.
    pub criticality: String,
    /// Recovery time objective in hours, as the model gives it.
    pub rto_hours: Option<String>,
    /// Recovery point objective in hours.
    pub rpo_hours: Option<String>,
    /// How the function depends on the service (element names from the function down).
    pub path: Vec<String>,
}

/// An ICT third-party provider the service depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// Element id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Legal Entity Identifier, if the model has it.
    pub lei: Option<String>,
    /// Contracts associated with the provider.
    pub contracts: Vec<String>,
    /// What the provider operates for the service: (element name, ICT service type).
    pub services: Vec<ProvidedService>,
}

/// One provider-operated element the service depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvidedService {
    /// Element id.
    pub id: String,
    /// Element name.
    pub name: String,
    /// Element type.
    pub kind: String,
    /// ICT service type (ITS 2024/2956 S01..S19), if given.
    pub service_type: Option<String>,
}

/// A requirement the service realises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Element id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The element realising it: the component itself or something it serves.
    pub via: String,
}

/// A data object the service accesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Data {
    /// Element id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Documentation (describes the categories of data).
    pub documentation: String,
    /// `dora:data-sensitivity`.
    pub sensitivity: Option<String>,
    /// Whether it holds personal data (sensitivity `personal` or a `gdpr:` property).
    pub personal: bool,
    /// Access type (Read, Write, ReadWrite, Access).
    pub access: String,
    /// `gdpr:purpose`.
    pub purpose: Option<String>,
    /// `gdpr:data-subjects`.
    pub subjects: Option<String>,
    /// `gdpr:retention`.
    pub retention: Option<String>,
    /// `gdpr:legal-basis`.
    pub legal_basis: Option<String>,
}

/// An element in the service's dependency closure (technology, other applications).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// Element id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Element type.
    pub kind: String,
    /// Service name, for application components.
    pub service: Option<String>,
    /// Operating provider, if any.
    pub provider: Option<String>,
    /// Its region (`plumb:region`, e.g. `eu-west-1`), for technology.
    pub region: Option<String>,
    /// For application components: `service` as a valid service name (itself when it is one,
    /// else the name suggested from it), for identifiers and variables in generated code.
    pub slug: Option<String>,
}

/// How a service calls the services it depends on: every call has a deadline, is retried a
/// bounded number of times with jittered exponential backoff, and goes through a circuit
/// breaker per upstream, so a dead upstream costs the caller a fast error instead of its
/// threads. Derived from the service's RTO (docs/scaffold.md):
///
/// - attempt timeout: RTO / 1800, between 1 s and 5 s (RTO 1 h: 2 s); 5 s without an RTO;
/// - two retries (three attempts) of idempotent calls, backoff from 100 ms doubling to at most
///   1 s, full jitter;
/// - the breaker opens after 5 consecutive failures and stays open RTO / 120, between 5 s and
///   60 s (RTO 1 h: 30 s), then lets one trial call through: a recovered upstream is used again
///   within a small fraction of the time the function may be down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientPolicy {
    /// Deadline of one attempt, in milliseconds.
    pub attempt_timeout_ms: u64,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff, in milliseconds (doubled each retry).
    pub backoff_base_ms: u64,
    /// Largest backoff, in milliseconds.
    pub backoff_cap_ms: u64,
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long the breaker stays open before a trial call, in milliseconds.
    pub open_ms: u64,
}

impl ClientPolicy {
    /// The policy for a service whose tightest RTO is `rto_seconds`.
    pub fn for_rto(rto_seconds: Option<u64>) -> ClientPolicy {
        let clamp = |v: u64, lo: u64, hi: u64| v.clamp(lo, hi);
        let (attempt, open) = match rto_seconds {
            Some(rto) => (
                clamp(rto * 1000 / 1800, 1_000, 5_000),
                clamp(rto * 1000 / 120, 5_000, 60_000),
            ),
            None => (5_000, 60_000),
        };
        ClientPolicy {
            attempt_timeout_ms: attempt,
            retries: 2,
            backoff_base_ms: 100,
            backoff_cap_ms: 1_000,
            failure_threshold: 5,
            open_ms: open,
        }
    }
}

/// Everything a template knows about one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// The component's element id.
    pub id: String,
    /// The component's name.
    pub name: String,
    /// Documentation.
    pub documentation: String,
    /// Service name (`plumb:service`): the directory, crate or package, container, database
    /// and ledger system name.
    pub slug: String,
    /// The service name as an identifier (hyphens as underscores).
    pub ident: String,
    /// Template name.
    pub template: String,
    /// Owners (`plumb:owner`, CODEOWNERS syntax), if the model names them.
    pub owner: Option<String>,
    /// The port the service is published on by docker compose (8081 upwards, in order).
    pub port: u16,
    /// Highest criticality of the functions it supports: `critical`, `important` or `none`.
    pub criticality: String,
    /// Tightest RTO over those functions, in hours.
    pub rto_hours: Option<String>,
    /// Tightest RPO, in hours.
    pub rpo_hours: Option<String>,
    /// Critical or important functions depending on it.
    pub functions: Vec<Function>,
    /// Providers it depends on.
    pub providers: Vec<Provider>,
    /// Requirements it realises.
    pub requirements: Vec<Requirement>,
    /// Data it accesses.
    pub data: Vec<Data>,
    /// Whether any of it is personal.
    pub personal_data: bool,
    /// Technology it runs on or uses.
    pub technology: Vec<Dependency>,
    /// Other application components it depends on.
    pub depends_on: Vec<Dependency>,
    /// Application components that depend on it.
    pub used_by: Vec<Dependency>,
    /// The application components that serve it directly (Serving relationships to it): the
    /// services it calls, and the only ones its network policy lets it reach.
    pub upstreams: Vec<Dependency>,
    /// The application components it serves directly: the only ones its network policy lets
    /// in (besides the ingress when it serves people, and the metrics scraper).
    pub callers: Vec<Dependency>,
    /// It serves a business-layer element directly (people reach it through the ingress).
    pub entry_point: bool,
    /// `rto_hours` in seconds (what recovery tests and timeouts are derived from).
    pub rto_seconds: Option<u64>,
    /// `rpo_hours` in seconds.
    pub rpo_seconds: Option<u64>,
    /// The classification of its database, from the data it accesses: `restricted` (special
    /// categories or data marked restricted or secret), `confidential` (personal or
    /// confidential data), else `internal`. Tagged `plumb:data-classification` on the store.
    pub data_classification: String,
    /// How it calls its upstreams (timeouts, retries, circuit breaker), derived from its RTO.
    pub client: ClientPolicy,
    /// The regions of the technology it runs on (`plumb:region`), in model order: the first
    /// is where it runs, any other is a standby (disaster recovery) region.
    pub regions: Vec<String>,
    /// Its onboarding workflow, if the model gives one.
    pub onboarding: Option<Workflow>,
}

/// Which components to generate and how.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Component ids or service names; empty means every component that chooses a template.
    pub components: Vec<String>,
    /// Template for components without `plumb:template`.
    pub default_template: Option<String>,
}

fn opt(e: &Element, key: &str) -> Option<String> {
    Model::prop(e, key)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn at(e: &Element) -> String {
    e.line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

/// Sensitivities that mean personal data (GDPR Art. 4(1), and special categories of Art. 9).
pub const PERSONAL: &[&str] = &[
    "personal",
    "personal-data",
    "special-category",
    "sensitive-personal",
];

fn is_personal(sensitivity: &str) -> bool {
    PERSONAL.contains(&sensitivity.trim().to_ascii_lowercase().as_str())
}

/// A number of hours from a property, written back as the number it is (`2`, `0.25`): the value
/// goes into code, comments and configuration of the generated services, so nothing but a
/// finite, non-negative number of it ever does (the model check reports the rest).
fn hours_prop(e: &Element, key: &str) -> Option<String> {
    let h = opt(e, key)?.trim().parse::<f64>().ok()?;
    (h.is_finite() && (0.0..1e6).contains(&h)).then(|| format!("{h}"))
}

/// Hours as whole seconds (rounded up: an objective is never loosened by rounding).
fn seconds(v: &Option<String>) -> Option<u64> {
    let h = v.as_deref()?.trim().parse::<f64>().ok()?;
    (0.0..1e6).contains(&h).then(|| (h * 3600.0).ceil() as u64)
}

/// The classification of a store holding `data` (see [`Service::data_classification`]).
fn classification(data: &[Data]) -> &'static str {
    let sens = |d: &Data| {
        d.sensitivity
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    if data.iter().any(|d| {
        matches!(
            sens(d).as_str(),
            "special-category" | "sensitive-personal" | "restricted" | "secret"
        )
    }) {
        "restricted"
    } else if data.iter().any(|d| d.personal || sens(d) == "confidential") {
        "confidential"
    } else {
        "internal"
    }
}

fn hours(v: &Option<String>) -> f64 {
    v.as_deref()
        .and_then(|h| h.parse::<f64>().ok())
        .unwrap_or(f64::INFINITY)
}

/// The services to generate, in model order. `available` maps each template name to the
/// service names it cannot generate.
pub fn services(
    m: &Model,
    sel: &Selection,
    available: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<Service>> {
    let templates: Vec<String> = available.keys().cloned().collect();
    let idx = m.index();
    let components: Vec<&Element> = m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent)
        .collect();
    if components.is_empty() {
        return Err(ScaffoldError::model(
            format!(
                "model {:?} has no application components, so there is nothing to generate",
                m.name
            ),
            "add ApplicationComponent elements with plumb:service and plumb:template properties",
        ));
    }
    let mut chosen: Vec<(&Element, String)> = Vec::new();
    if sel.components.is_empty() {
        for c in &components {
            if let Some(t) = opt(c, TEMPLATE).or_else(|| sel.default_template.clone()) {
                chosen.push((c, t));
            }
        }
        if chosen.is_empty() {
            return Err(ScaffoldError::model(
                format!(
                    "none of the {} application components chooses a template",
                    components.len()
                ),
                format!(
                    "set plumb:template ({}) on the components to generate, or pass --default-template",
                    templates.join(" or ")
                ),
            ));
        }
    } else {
        for wanted in &sel.components {
            let c = components
                .iter()
                .find(|c| c.id == *wanted || dora::service_name(c) == *wanted)
                .ok_or_else(|| {
                    ScaffoldError::usage(
                        format!("no application component has the id or service name {wanted:?}"),
                        format!(
                            "components in the model: {}",
                            components
                                .iter()
                                .map(|c| format!("{} ({})", c.id, dora::service_name(c)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            let t = opt(c, TEMPLATE)
                .or_else(|| sel.default_template.clone())
                .ok_or_else(|| {
                    ScaffoldError::model(
                        format!(
                            "component {} {:?}{} chooses no template",
                            c.id,
                            c.name,
                            at(c)
                        ),
                        format!(
                            "set its plumb:template property ({}) or pass --default-template",
                            templates.join(" or ")
                        ),
                    )
                })?;
            if !chosen.iter().any(|(x, _)| x.id == c.id) {
                chosen.push((c, t));
            }
        }
        chosen.sort_by_key(|(c, _)| components.iter().position(|x| x.id == c.id));
    }

    let d = deps(m);
    let mut out: Vec<Service> = Vec::new();
    for (i, (c, template)) in chosen.into_iter().enumerate() {
        let Some(reserved) = available.get(&template) else {
            return Err(ScaffoldError::model(
                format!(
                    "component {} {:?}{} names template {template:?}, which does not exist",
                    c.id,
                    c.name,
                    at(c)
                ),
                format!(
                    "available templates: {} (a bank's own templates come with --templates DIR)",
                    templates.join(", ")
                ),
            ));
        };
        let slug = match opt(c, dora::SERVICE) {
            Some(s) => s,
            None => c.name.clone(),
        };
        if let Err(why) = names::check_service(&slug) {
            return Err(ScaffoldError::model(
                format!(
                    "component {} {:?}{}: service name {slug:?} {why}",
                    c.id,
                    c.name,
                    at(c)
                ),
                format!(
                    "set its plumb:service property to an identifier such as {:?}",
                    names::suggest_service(&c.name)
                ),
            ));
        }
        if reserved.contains(&slug) {
            return Err(ScaffoldError::model(
                format!(
                    "component {} {:?}{}: service name {slug:?} is reserved by template {template} (a keyword of its language or a package it uses)",
                    c.id,
                    c.name,
                    at(c)
                ),
                format!(
                    "set its plumb:service property to another name, such as {:?}",
                    format!("{slug}-service")
                ),
            ));
        }
        if let Some(other) = out.iter().find(|s| s.slug == slug) {
            return Err(ScaffoldError::model(
                format!(
                    "components {} and {} both have the service name {slug:?}",
                    other.id, c.id
                ),
                "give each component its own plumb:service",
            ));
        }
        out.push(service(m, &idx, &d, c, slug, template, 8081 + i as u16)?);
    }
    Ok(out)
}

fn service(
    m: &Model,
    idx: &Index<'_>,
    d: &graph::Deps<'_>,
    c: &Element,
    slug: String,
    template: String,
    port: u16,
) -> Result<Service> {
    let functions = functions_of(m, idx, c);
    let tightest = |get: fn(&Function) -> &Option<String>| {
        functions
            .iter()
            .map(get)
            .filter(|v| v.is_some())
            .min_by(|a, b| hours(a).total_cmp(&hours(b)))
            .cloned()
            .flatten()
    };
    let rto_hours = tightest(|f| &f.rto_hours);
    let rpo_hours = tightest(|f| &f.rpo_hours);
    let closure = d.closure(&c.id, None);
    let mut in_order: Vec<&Element> = m
        .elements
        .iter()
        .filter(|e| closure.contains(e.id.as_str()))
        .collect();
    in_order.sort_by(|a, b| a.id.cmp(&b.id));
    let technology = in_order
        .iter()
        .filter(|e| matches!(e.kind.layer(), Layer::Technology | Layer::Physical))
        .map(|e| dependency(e))
        .collect();
    let mut regions: Vec<String> = Vec::new();
    for e in in_order
        .iter()
        .filter(|e| matches!(e.kind.layer(), Layer::Technology | Layer::Physical))
    {
        let Some(r) = opt(e, REGION) else {
            continue;
        };
        // It is written into Terraform and manifests: only what a cloud region name holds.
        let valid = !r.is_empty()
            && r.len() <= 40
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(ScaffoldError::model(
                format!(
                    "{} {:?} has {REGION} {r:?}, which is not a region name",
                    e.id, e.name
                ),
                "use the cloud's region name, lower-case letters, digits and hyphens (eu-west-1, europe-west3)",
            ));
        }
        if !regions.contains(&r) {
            regions.push(r);
        }
    }
    let depends_on = in_order
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent)
        .map(|e| dependency(e))
        .collect();
    let mut users: Vec<&Element> = m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::ApplicationComponent && e.id != c.id)
        .filter(|e| d.closure(&e.id, None).contains(c.id.as_str()))
        .collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let data = data_of(m, idx, c);
    let (rto_seconds, rpo_seconds) = (seconds(&rto_hours), seconds(&rpo_hours));
    let data_classification = classification(&data).to_string();
    Ok(Service {
        id: c.id.clone(),
        name: c.name.clone(),
        documentation: c.documentation.clone().unwrap_or_default(),
        ident: names::ident(&slug),
        slug,
        template,
        owner: opt(c, OWNER),
        port,
        criticality: criticality_of(&functions).name().into(),
        rto_hours,
        rpo_hours,
        functions,
        providers: providers_of(m, idx, &in_order),
        requirements: requirements_of(m, idx, d, c),
        personal_data: data.iter().any(|x| x.personal),
        data,
        technology,
        depends_on,
        used_by: users.into_iter().map(dependency).collect(),
        rto_seconds,
        rpo_seconds,
        data_classification,
        client: ClientPolicy::for_rto(rto_seconds),
        upstreams: served(m, idx, c, true),
        callers: served(m, idx, c, false),
        entry_point: serves_users(m, idx, c),
        regions,
        onboarding: workflow::of_component(m, idx, c)?,
    })
}

/// The critical or important functions the component supports, with their recovery
/// objectives and the path by which they depend on it.
fn functions_of(m: &Model, idx: &Index<'_>, c: &Element) -> Vec<Function> {
    let mut functions: Vec<Function> = graph::impact(m, &c.id)
        .into_iter()
        .map(|imp| {
            let f = idx.elements.get(imp.function.as_str());
            Function {
                rto_hours: f.and_then(|f| hours_prop(f, dora::RTO)),
                rpo_hours: f.and_then(|f| hours_prop(f, dora::RPO)),
                id: imp.function,
                name: imp.name,
                criticality: imp.criticality,
                path: imp.path.into_iter().map(|s| s.name).collect(),
            }
        })
        .collect();
    functions.sort_by(|a, b| a.id.cmp(&b.id));
    functions
}

/// A service is as critical as the most critical function it supports: critical if any is,
/// important if it supports any other, none if it supports none.
fn criticality_of(functions: &[Function]) -> plumb_base::Criticality {
    use plumb_base::Criticality;
    if functions.is_empty() {
        Criticality::None
    } else if functions
        .iter()
        .any(|f| Criticality::from_name(&f.criticality) == Some(Criticality::Critical))
    {
        Criticality::Critical
    } else {
        Criticality::Important
    }
}

fn dependency(e: &Element) -> Dependency {
    Dependency {
        id: e.id.clone(),
        name: e.name.clone(),
        kind: e.kind.name().into(),
        service: (e.kind == ElementType::ApplicationComponent).then(|| dora::service_name(e)),
        provider: opt(e, dora::PROVIDER),
        region: opt(e, REGION),
        slug: (e.kind == ElementType::ApplicationComponent)
            .then(|| {
                let s = dora::service_name(e);
                if names::check_service(&s).is_ok() {
                    s
                } else {
                    names::suggest_service(&s)
                }
            })
            .filter(|s| !s.is_empty()),
    }
}

/// The application components that serve `c` directly (`upstream`: it calls them), or that
/// `c` serves directly (its callers): the model's Serving relationships, nothing transitive,
/// which is what a network policy allows.
fn served(m: &Model, idx: &Index<'_>, c: &Element, upstream: bool) -> Vec<Dependency> {
    let mut out: Vec<Dependency> = m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Serving)
        .filter_map(|r| {
            let (me, other) = if upstream {
                (&r.target, &r.source)
            } else {
                (&r.source, &r.target)
            };
            (me == &c.id)
                .then(|| idx.elements.get(other.as_str()).copied())
                .flatten()
        })
        .filter(|e| e.kind == ElementType::ApplicationComponent && e.id != c.id)
        .map(dependency)
        .filter(|d| d.slug.is_some())
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// Whether `c` serves people directly: a Serving relationship to a business-layer element
/// (a process, function, actor or role), so it is an entry point reached through the ingress.
fn serves_users(m: &Model, idx: &Index<'_>, c: &Element) -> bool {
    m.relationships.iter().any(|r| {
        r.kind == RelType::Serving
            && r.source == c.id
            && idx
                .elements
                .get(r.target.as_str())
                .is_some_and(|t| t.kind.layer() == Layer::Business)
    })
}

/// The ICT providers among what the component depends on, with their contracts and the
/// services they provide.
fn providers_of(m: &Model, idx: &Index<'_>, in_order: &[&Element]) -> Vec<Provider> {
    let mut providers = Vec::new();
    for p in in_order.iter().filter(|e| dora::is_provider(e)) {
        let contracts = m
            .relationships
            .iter()
            .filter(|r| r.source == p.id || r.target == p.id)
            .filter_map(|r| {
                let other = if r.source == p.id {
                    &r.target
                } else {
                    &r.source
                };
                idx.elements.get(other.as_str())
            })
            .filter(|e| e.kind == ElementType::Contract)
            .map(|e| e.name.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let services = in_order
            .iter()
            .filter(|e| Model::prop(e, dora::PROVIDER) == Some(p.id.as_str()))
            .map(|e| ProvidedService {
                id: e.id.clone(),
                name: e.name.clone(),
                kind: e.kind.name().into(),
                service_type: opt(e, dora::SERVICE_TYPE),
            })
            .collect();
        providers.push(Provider {
            id: p.id.clone(),
            name: p.name.clone(),
            lei: opt(p, dora::LEI),
            contracts,
            services,
        });
    }
    providers
}

/// Requirements realised by the component or by what depends on it (the functions and
/// processes it serves).
fn requirements_of(
    m: &Model,
    idx: &Index<'_>,
    d: &graph::Deps<'_>,
    c: &Element,
) -> Vec<Requirement> {
    let mut realisers: BTreeSet<&str> = BTreeSet::from([c.id.as_str()]);
    let mut frontier = vec![c.id.as_str()];
    while let Some(x) = frontier.pop() {
        for (y, _) in d.up.get(x).into_iter().flatten() {
            if realisers.insert(*y) {
                frontier.push(*y);
            }
        }
    }
    let mut requirements: BTreeMap<String, Requirement> = BTreeMap::new();
    let realisations = m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Realization && realisers.contains(r.source.as_str()));
    for r in realisations {
        let Some(req) = idx.elements.get(r.target.as_str()) else {
            continue;
        };
        if req.kind != ElementType::Requirement {
            continue;
        }
        requirements.entry(req.id.clone()).or_insert(Requirement {
            id: req.id.clone(),
            name: req.name.clone(),
            via: idx
                .elements
                .get(r.source.as_str())
                .map(|e| e.name.clone())
                .unwrap_or_default(),
        });
    }
    requirements.into_values().collect()
}

/// The data the component accesses, with its sensitivity and GDPR record.
fn data_of(m: &Model, idx: &Index<'_>, c: &Element) -> Vec<Data> {
    let mut data = Vec::new();
    for r in m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Access && r.source == c.id)
    {
        let Some(o) = idx.elements.get(r.target.as_str()) else {
            continue;
        };
        if !matches!(
            o.kind,
            ElementType::DataObject | ElementType::BusinessObject
        ) {
            continue;
        }
        let sensitivity = opt(o, dora::DATA_SENSITIVITY);
        let gdpr = [
            GDPR_PURPOSE,
            GDPR_SUBJECTS,
            GDPR_RETENTION,
            GDPR_LEGAL_BASIS,
        ];
        let personal = sensitivity.as_deref().is_some_and(is_personal)
            || gdpr.iter().any(|k| opt(o, k).is_some());
        data.push(Data {
            id: o.id.clone(),
            name: o.name.clone(),
            documentation: o.documentation.clone().unwrap_or_default(),
            sensitivity,
            personal,
            access: r.access_type.clone().unwrap_or_else(|| "Access".into()),
            purpose: opt(o, GDPR_PURPOSE),
            subjects: opt(o, GDPR_SUBJECTS),
            retention: opt(o, GDPR_RETENTION),
            legal_basis: opt(o, GDPR_LEGAL_BASIS),
        });
    }
    data.sort_by(|a, b| a.id.cmp(&b.id));
    data
}
