//! `plumb register build`: the register's tables derived from the architecture model and the
//! register file. The model gives the providers (`dora:ict-provider`, `dora:lei` or
//! `dora:euid`), their contracts (a Contract associated with the provider), the ICT services
//! they deliver (`dora:provider`, `dora:ict-service-type`), the functions those services
//! support (by the model's dependencies) with their criticality and RTO/RPO; the register
//! file gives the rest. Every gap is an error naming the element and the property to add;
//! nothing is guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use plumb_model::model::Model;
use plumb_model::types::{ElementType, RelType};

use crate::catalogue::Catalogue;
use crate::file::{Contract, RegisterFile};
use crate::tables::{Parameters, Row, Tables};

/// Open-ended dates (no end, not removed), as the EBA expects them.
pub const OPEN_END: &str = "9999-12-31";
const NOT_APPLICABLE_COUNTRY: &str = "eba_GA:qx2007";
const LEI: &str = "eba_qCO:qx2000";
const EUID: &str = "eba_qCO:qx2002";

struct Ctx<'a> {
    cat: &'a Catalogue,
    p: &'a Parameters,
    errors: Vec<String>,
    t: Tables,
}

impl Ctx<'_> {
    /// The EBA code of a value of `list`; an error (and the value as given) when none.
    fn code(&mut self, list: &str, value: &str, place: &str) -> String {
        match crate::codes::resolve(self.cat, list, value) {
            Ok(c) => c,
            Err(e) => {
                self.errors.push(format!("{place}: {e}"));
                value.to_string()
            }
        }
    }

    fn row(&mut self, template: &str, cells: &[(&str, String)]) {
        let row: Row = cells
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.t.push(template, row);
    }
}

/// A provider as the register identifies it.
#[derive(Debug, Clone)]
struct ProviderId {
    code: String,
    kind: String,
}

/// Derives the tables. Errors are every gap found, in the order met.
pub fn derive(
    f: &RegisterFile,
    model: Option<&Model>,
) -> Result<(Parameters, Tables), Vec<String>> {
    let cat = crate::catalogue::catalogue().map_err(|e| vec![e])?;
    let Some(p) = &f.parameters else {
        return Err(vec!["the register file has no parameters (entity, consolidation, reference_date, currency, country)".into()]);
    };
    if let Err(e) = crate::package::check_parameters(p) {
        return Err(vec![e]);
    }
    let mut c = Ctx {
        cat,
        p,
        errors: Vec::new(),
        t: Tables::default(),
    };
    entities(&mut c, f);
    let providers = match model {
        Some(m) => from_model(&mut c, f, m),
        None => BTreeMap::new(),
    };
    outside_providers(&mut c, f, &providers);
    definitions(&mut c, f);
    for (template, rows) in &f.tables {
        if cat.template(template).is_none() {
            c.errors.push(format!(
                "tables: {template} is not a template of the register"
            ));
            continue;
        }
        for r in rows {
            c.t.push(template, r.clone());
        }
    }
    if c.errors.is_empty() {
        Ok((p.clone(), c.t))
    } else {
        Err(c.errors)
    }
}

fn entities(c: &mut Ctx, f: &RegisterFile) {
    let p = c.p;
    if let Some(e) = &f.entity {
        let country = c.code("COUNTRY", &e.country, "entity.country");
        let kind = c.code("ENTITY_TYPE", &e.kind, "entity.type");
        let date = e
            .reporting_date
            .clone()
            .unwrap_or_else(|| p.reference_date.clone());
        c.row(
            "B_01.01",
            &[
                ("c0010", p.entity.clone()),
                ("c0020", e.name.clone()),
                ("c0030", country.clone()),
                ("c0040", kind.clone()),
                ("c0050", e.authority.clone()),
                ("c0060", date),
            ],
        );
        if f.entities.is_empty() {
            let kind = c.code("ENTITY_TYPE_B0102", &e.kind, "entity.type");
            let top = c.code("HIERARCHY", "Ultimate parent", "entity");
            let currency = c.code("CURRENCY", &p.currency, "parameters.currency");
            c.row(
                "B_01.02",
                &[
                    ("c0010", p.entity.clone()),
                    ("c0020", e.name.clone()),
                    ("c0030", country),
                    ("c0040", kind),
                    ("c0050", top),
                    ("c0060", p.entity.clone()),
                    ("c0070", p.reference_date.clone()),
                    (
                        "c0080",
                        e.added.clone().unwrap_or_else(|| p.reference_date.clone()),
                    ),
                    ("c0090", OPEN_END.into()),
                    ("c0100", currency),
                    ("c0110", e.total_assets.clone().unwrap_or_default()),
                ],
            );
        }
    } else if f.tables.get("B_01.01").is_none_or(Vec::is_empty) {
        c.errors.push(
            "the register file has no entity (B_01.01: name, country, type, authority)".into(),
        );
    }
    for (i, e) in f.entities.iter().enumerate() {
        let at = format!("entities[{i}]");
        let country = c.code("COUNTRY", &e.country, &format!("{at}.country"));
        let kind = c.code("ENTITY_TYPE_B0102", &e.kind, &format!("{at}.type"));
        let h = c.code("HIERARCHY", &e.hierarchy, &format!("{at}.hierarchy"));
        let currency = c.code("CURRENCY", &p.currency, "parameters.currency");
        c.row(
            "B_01.02",
            &[
                ("c0010", e.lei.clone()),
                ("c0020", e.name.clone()),
                ("c0030", country),
                ("c0040", kind),
                ("c0050", h),
                ("c0060", e.parent.clone()),
                ("c0070", e.updated.clone()),
                ("c0080", e.added.clone()),
                (
                    "c0090",
                    e.removed.clone().unwrap_or_else(|| OPEN_END.into()),
                ),
                (
                    "c0100",
                    if e.total_assets.is_some() {
                        currency
                    } else {
                        String::new()
                    },
                ),
                ("c0110", e.total_assets.clone().unwrap_or_default()),
            ],
        );
    }
    for (i, b) in f.branches.iter().enumerate() {
        let country = c.code("COUNTRY", &b.country, &format!("branches[{i}].country"));
        c.row(
            "B_01.03",
            &[
                ("c0010", b.code.clone()),
                ("c0020", b.head_office.clone()),
                ("c0030", b.name.clone()),
                ("c0040", country),
            ],
        );
    }
}

/// Functions that depend, directly or not, on `start` (through the model's dependencies).
fn functions_served(
    deps: &plumb_model::graph::Deps,
    functions: &HashSet<&str>,
    start: &str,
) -> BTreeSet<String> {
    let mut seen = HashSet::from([start.to_string()]);
    let mut queue = VecDeque::from([start.to_string()]);
    let mut out = BTreeSet::new();
    while let Some(x) = queue.pop_front() {
        for (y, _) in deps.up.get(x.as_str()).into_iter().flatten() {
            if seen.insert(y.to_string()) {
                if functions.contains(y) {
                    out.insert(y.to_string());
                }
                queue.push_back(y.to_string());
            }
        }
    }
    out
}

/// What the derivation asks of the model, looked up once: each contract's provider, each
/// provider's ICT services (id, type), and the functions each service supports.
struct View<'m> {
    contract_provider: HashMap<&'m str, Vec<&'m str>>,
    services: HashMap<&'m str, Vec<(&'m str, &'m str)>>,
    served: HashMap<&'m str, BTreeSet<String>>,
}

fn view<'m>(m: &'m Model, ids: &BTreeMap<String, ProviderId>) -> View<'m> {
    let deps = plumb_model::graph::deps(m);
    let functions: HashSet<&str> = m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::BusinessFunction)
        .map(|e| e.id.as_str())
        .collect();
    let contracts: HashSet<&str> = m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::Contract)
        .map(|e| e.id.as_str())
        .collect();
    let mut contract_provider = HashMap::new();
    for r in m
        .relationships
        .iter()
        .filter(|r| r.kind == RelType::Association)
    {
        for (c, p) in [(&r.source, &r.target), (&r.target, &r.source)] {
            if contracts.contains(c.as_str()) && ids.contains_key(p) {
                let list: &mut Vec<&str> = contract_provider.entry(c.as_str()).or_default();
                if !list.contains(&p.as_str()) {
                    list.push(p.as_str());
                }
            }
        }
    }
    let mut services: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    let mut served = HashMap::new();
    for e in &m.elements {
        if let (Some(p), Some(t)) = (
            Model::prop(e, plumb_model::dora::PROVIDER),
            Model::prop(e, plumb_model::dora::SERVICE_TYPE),
        ) {
            services.entry(p).or_default().push((e.id.as_str(), t));
            served.insert(e.id.as_str(), functions_served(&deps, &functions, &e.id));
        }
    }
    View {
        contract_provider,
        services,
        served,
    }
}

/// A model provider's code: `dora:lei`, else `dora:euid`, else (for individuals and others
/// with neither) the register file's `code` and `code_type` for it.
fn provider_id(
    c: &mut Ctx,
    f: &RegisterFile,
    e: &plumb_model::model::Element,
) -> Option<ProviderId> {
    if let Some(lei) = Model::prop(e, "dora:lei") {
        return Some(ProviderId {
            code: lei.to_string(),
            kind: LEI.into(),
        });
    }
    if let Some(euid) = Model::prop(e, "dora:euid") {
        return Some(ProviderId {
            code: euid.to_string(),
            kind: EUID.into(),
        });
    }
    if let Some((code, kind)) = f
        .providers
        .get(&e.id)
        .and_then(|p| Some((p.code.clone()?, p.code_type.clone()?)))
    {
        let kind = c.code(
            "ID_CODE_TYPE",
            &kind,
            &format!("providers.{}.code_type", e.id),
        );
        return Some(ProviderId { code, kind });
    }
    c.errors.push(format!(
        "provider {} ({}): give its dora:lei (or dora:euid) in the model, or, for an individual, its code and code_type under providers: in the register file",
        e.id, e.name
    ));
    None
}

/// Providers, contracts, services and functions from the model; returns the providers'
/// identifiers by element id.
fn from_model(c: &mut Ctx, f: &RegisterFile, m: &Model) -> BTreeMap<String, ProviderId> {
    let mut ids = BTreeMap::new();
    for e in m
        .elements
        .iter()
        .filter(|e| plumb_model::dora::is_provider(e))
    {
        if let Some(id) = provider_id(c, f, e) {
            ids.insert(e.id.clone(), id);
        }
    }
    let v = view(m, &ids);
    let known: HashSet<&str> = m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::Contract)
        .map(|e| e.id.as_str())
        .collect();
    for k in f.contracts.keys() {
        if !known.contains(k.as_str()) {
            c.errors.push(format!(
                "contracts.{k}: no Contract element {k} in the model"
            ));
        }
    }
    let mut used_functions = BTreeSet::new();
    let mut cost: BTreeMap<String, i128> = BTreeMap::new();
    for (provider, services) in &v.services {
        if !ids.contains_key(*provider) {
            for (sid, _) in services {
                c.errors.push(format!("{sid}: dora:provider names {provider:?}, which is no ICT provider of the model (a BusinessActor with dora:ict-provider: \"true\")"));
            }
        }
    }
    for ctr in m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::Contract)
    {
        let provider = match v.contract_provider.get(ctr.id.as_str()).map(Vec::as_slice) {
            Some([one]) => *one,
            Some(many) if many.len() > 1 => {
                c.errors.push(format!("contract {}: associated with providers {many:?}; a contract has one provider (model the others as subcontractors in the register file)", ctr.id));
                continue;
            }
            _ if f.contracts.contains_key(&ctr.id) => {
                c.errors.push(format!("contract {}: no ICT provider is associated with it in the model (an Association between the provider and the contract)", ctr.id));
                continue;
            }
            _ => continue,
        };
        let Some(entry) = f.contracts.get(&ctr.id) else {
            c.errors.push(format!("contract {} ({}): add it under contracts: in the register file (dates, notice periods, governing law, locations, reliance)", ctr.id, ctr.name));
            continue;
        };
        let Some(services) = v.services.get(provider).filter(|s| !s.is_empty()) else {
            c.errors.push(format!("contract {}: provider {provider} delivers no ICT service in the model (an element with dora:provider: {provider} and dora:ict-service-type: S01..S19)", ctr.id));
            continue;
        };
        let Some(pid) = ids.get(provider).cloned() else {
            continue;
        };
        let reference = entry.reference.clone().unwrap_or_else(|| ctr.id.clone());
        let total = cost.entry(provider.to_string()).or_default();
        match cents(&entry.annual_cost).and_then(|v| total.checked_add(v)) {
            Some(sum) => *total = sum,
            None => c.errors.push(format!(
                "contracts.{}.annual_cost: {:?} is not an amount (digits, '.' for decimals)",
                ctr.id, entry.annual_cost
            )),
        }
        let mut lines = BTreeSet::new();
        for (sid, stype) in services {
            let code = c.code(
                "ICT_SERVICE_TYPE",
                stype,
                &format!("{sid} dora:ict-service-type"),
            );
            for func in v.served.get(sid).into_iter().flatten() {
                lines.insert((code.clone(), func.clone()));
            }
        }
        if lines.is_empty() {
            c.errors.push(format!("contract {}: none of {provider}'s services supports a business function in the model", ctr.id));
        }
        let types: BTreeSet<String> = lines.iter().map(|(t, _)| t.clone()).collect();
        used_functions.extend(lines.iter().map(|(_, f)| f.clone()));
        contract_rows(c, &ctr.id, &reference, entry, &pid, &lines, &types, f, &ids);
    }
    for e in m
        .elements
        .iter()
        .filter(|e| plumb_model::dora::is_provider(e))
    {
        let Some(id) = ids.get(&e.id).cloned() else {
            continue;
        };
        let total = cost.get(&e.id).copied().unwrap_or(0);
        provider_row(c, f, &e.id, &e.name, &id, total);
    }
    for func in m
        .elements
        .iter()
        .filter(|e| e.kind == ElementType::BusinessFunction)
    {
        if used_functions.contains(&func.id) || plumb_model::dora::criticality(func).is_some() {
            function_row(c, f, func);
        }
    }
    ids
}

#[allow(clippy::too_many_arguments)]
fn contract_rows(
    c: &mut Ctx,
    id: &str,
    reference: &str,
    e: &Contract,
    pid: &ProviderId,
    lines: &BTreeSet<(String, String)>,
    types: &BTreeSet<String>,
    f: &RegisterFile,
    ids: &BTreeMap<String, ProviderId>,
) {
    let p = c.p;
    let at = format!("contracts.{id}");
    let kind = c.code(
        "ARRANGEMENT_TYPE",
        e.kind.as_deref().unwrap_or("Standalone arrangement"),
        &format!("{at}.type"),
    );
    let currency = c.code("CURRENCY", &p.currency, "parameters.currency");
    c.row(
        "B_02.01",
        &[
            ("c0010", reference.into()),
            ("c0020", kind),
            ("c0030", e.overarching.clone().unwrap_or_default()),
            ("c0040", currency),
            ("c0050", e.annual_cost.clone()),
        ],
    );
    let law = c.code("COUNTRY", &e.governing_law, &format!("{at}.governing_law"));
    let service_country = c.code(
        "COUNTRY_OR_NA",
        &e.service_country,
        &format!("{at}.service_country"),
    );
    let stores = c.code("YES_NO", &e.stores_data, &format!("{at}.stores_data"));
    let storage = match &e.storage_country {
        Some(s) => c.code("COUNTRY_OR_NA", s, &format!("{at}.storage_country")),
        None => NOT_APPLICABLE_COUNTRY.into(),
    };
    let processing = match &e.processing_country {
        Some(s) => c.code("COUNTRY_OR_NA", s, &format!("{at}.processing_country")),
        None => service_country.clone(),
    };
    let sensitivity = match &e.sensitivity {
        Some(s) => c.code("SENSITIVENESS", s, &format!("{at}.sensitivity")),
        None => String::new(),
    };
    let reliance = c.code("RELIANCE", &e.reliance, &format!("{at}.reliance"));
    let reason = match &e.termination_reason {
        Some(s) => c.code("TERMINATION_REASON", s, &format!("{at}.termination_reason")),
        None => String::new(),
    };
    for (stype, func) in lines {
        c.row(
            "B_02.02",
            &[
                ("c0010", reference.into()),
                ("c0020", p.entity.clone()),
                ("c0030", pid.code.clone()),
                ("c0040", pid.kind.clone()),
                ("c0050", func.clone()),
                ("c0060", stype.clone()),
                ("c0070", e.start.clone()),
                ("c0080", e.end.clone().unwrap_or_else(|| OPEN_END.into())),
                ("c0090", reason.clone()),
                ("c0100", e.notice_entity.clone()),
                ("c0110", e.notice_provider.clone()),
                ("c0120", law.clone()),
                ("c0130", service_country.clone()),
                ("c0140", stores.clone()),
                ("c0150", storage.clone()),
                ("c0160", processing.clone()),
                ("c0170", sensitivity.clone()),
                ("c0180", reliance.clone()),
            ],
        );
    }
    c.row(
        "B_03.01",
        &[
            ("c0010", reference.into()),
            ("c0020", p.entity.clone()),
            ("c0030", "true".into()),
        ],
    );
    c.row(
        "B_03.02",
        &[
            ("c0010", reference.into()),
            ("c0020", pid.code.clone()),
            ("c0030", pid.kind.clone()),
        ],
    );
    let not_branch = c.code("NATURE_OF_ENTITY", "not a branch", &at);
    c.row(
        "B_04.01",
        &[
            ("c0010", reference.into()),
            ("c0020", p.entity.clone()),
            ("c0030", not_branch),
            ("c0040", "Not Applicable".into()),
        ],
    );
    for t in types {
        // Rank 1: the direct provider, its own recipient (the only value both 805 and R21 allow).
        c.row(
            "B_05.02",
            &[
                ("c0010", reference.into()),
                ("c0020", t.clone()),
                ("c0030", pid.code.clone()),
                ("c0040", pid.kind.clone()),
                ("c0050", "1".into()),
                ("c0060", pid.code.clone()),
                ("c0070", pid.kind.clone()),
            ],
        );
        for (i, s) in e.subcontractors.iter().enumerate() {
            let sat = format!("{at}.subcontractors[{i}]");
            if let Some(st) = &s.service {
                let code = c.code("ICT_SERVICE_TYPE", st, &format!("{sat}.service"));
                if !types.contains(&code) {
                    c.errors.push(format!(
                        "{sat}.service: {st} is not a service of this contract ({types:?})"
                    ));
                    continue;
                }
                if &code != t {
                    continue;
                }
            }
            let (Some(sub), Some(rec)) = (
                lookup(c, f, ids, &s.provider, &sat),
                lookup(c, f, ids, s.recipient.as_deref().unwrap_or(""), &sat)
                    .or_else(|| s.recipient.is_none().then(|| pid.clone())),
            ) else {
                continue;
            };
            c.row(
                "B_05.02",
                &[
                    ("c0010", reference.into()),
                    ("c0020", t.clone()),
                    ("c0030", sub.code),
                    ("c0040", sub.kind),
                    ("c0050", s.rank.to_string()),
                    ("c0060", rec.code),
                    ("c0070", rec.kind),
                ],
            );
        }
        if let Some(a) = &e.assessment {
            let aat = format!("{at}.assessment");
            let cells = [
                (
                    "c0050",
                    c.code("SUBSTITUTABILITY", &a.substitutability, &aat),
                ),
                (
                    "c0060",
                    a.reason
                        .as_ref()
                        .map(|r| c.code("NON_SUBSTITUTABILITY_REASON", r, &aat))
                        .unwrap_or_default(),
                ),
                ("c0070", a.last_audit.clone()),
                ("c0080", c.code("YES_NO", &a.exit_plan, &aat)),
                ("c0090", c.code("REINTEGRATION", &a.reintegration, &aat)),
                ("c0100", c.code("IMPACT_LEVEL", &a.impact, &aat)),
                (
                    "c0110",
                    c.code("YES_NO_NOT_ASSESSED", &a.alternatives, &aat),
                ),
                ("c0120", a.alternative_providers.clone().unwrap_or_default()),
            ];
            let mut row = vec![
                ("c0010", reference.to_string()),
                ("c0020", pid.code.clone()),
                ("c0030", pid.kind.clone()),
                ("c0040", t.clone()),
            ];
            row.extend(cells);
            c.row("B_07.01", &row);
        }
    }
}

/// A provider named in the register by model id or register key.
fn lookup(
    c: &mut Ctx,
    f: &RegisterFile,
    ids: &BTreeMap<String, ProviderId>,
    key: &str,
    at: &str,
) -> Option<ProviderId> {
    if key.is_empty() {
        return None;
    }
    if let Some(id) = ids.get(key) {
        return Some(id.clone());
    }
    match f.providers.get(key).and_then(|p| p.code.clone()) {
        Some(code) => {
            let kind = f
                .providers
                .get(key)
                .and_then(|p| p.code_type.clone())
                .unwrap_or_else(|| "LEI".into());
            let kind = c.code("ID_CODE_TYPE", &kind, at);
            Some(ProviderId { code, kind })
        }
        None => {
            c.errors.push(format!(
                "{at}: provider {key:?} is neither in the model nor under providers: with a code"
            ));
            None
        }
    }
}

/// An amount in hundredths, for summing without floating point: `1234.5` is 123450.
fn cents(v: &str) -> Option<i128> {
    let (int, frac) = v.trim().split_once('.').unwrap_or((v.trim(), ""));
    if int.is_empty()
        || frac.len() > 2
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac = format!("{frac:0<2}");
    // Checked: 37 digits and more do not fit, and are no amount.
    int.parse::<i128>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac.parse::<i128>().ok()?)
}

/// Hundredths as an amount: whole units without decimals.
fn amount(cents: i128) -> String {
    if cents % 100 == 0 {
        format!("{}", cents / 100)
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

fn provider_row(
    c: &mut Ctx,
    f: &RegisterFile,
    key: &str,
    name: &str,
    id: &ProviderId,
    total: i128,
) {
    let at = format!("providers.{key}");
    let Some(e) = f.providers.get(key) else {
        c.errors.push(format!("provider {key} ({name}): add it under providers: in the register file (country at least)"));
        return;
    };
    let person = c.code(
        "PERSON_TYPE",
        e.person
            .as_deref()
            .unwrap_or("Legal person, excluding individual acting in a business capacity"),
        &format!("{at}.person"),
    );
    let country = c.code("COUNTRY", &e.country, &format!("{at}.country"));
    let currency = c.code("CURRENCY", &c.p.currency.clone(), "parameters.currency");
    let parent_type = c.code(
        "ID_CODE_TYPE",
        e.parent_type.as_deref().unwrap_or("LEI"),
        &format!("{at}.parent_type"),
    );
    let name = e.name.clone().unwrap_or_else(|| name.to_string());
    let cost = e.annual_cost.clone().unwrap_or_else(|| amount(total));
    c.row(
        "B_05.01",
        &[
            ("c0010", id.code.clone()),
            ("c0020", id.kind.clone()),
            ("c0050", name.clone()),
            ("c0060", e.latin_name.clone().unwrap_or(name)),
            ("c0070", person),
            ("c0080", country),
            ("c0090", currency),
            ("c0100", cost),
            ("c0110", e.parent.clone().unwrap_or_else(|| id.code.clone())),
            (
                "c0120",
                if e.parent.is_some() {
                    parent_type
                } else {
                    id.kind.clone()
                },
            ),
        ],
    );
}

/// Providers the register lists with a code that the model does not hold (subcontractors).
fn outside_providers(c: &mut Ctx, f: &RegisterFile, in_model: &BTreeMap<String, ProviderId>) {
    for (key, p) in &f.providers {
        if in_model.contains_key(key) {
            continue;
        }
        let Some(code) = &p.code else {
            c.errors.push(format!("providers.{key}: not a provider in the model; give its code (and code_type, name) to list it"));
            continue;
        };
        let kind = c.code(
            "ID_CODE_TYPE",
            p.code_type.as_deref().unwrap_or("LEI"),
            &format!("providers.{key}.code_type"),
        );
        let name = p.name.clone().unwrap_or_else(|| key.to_string());
        provider_row(
            c,
            f,
            key,
            &name,
            &ProviderId {
                code: code.clone(),
                kind,
            },
            0,
        );
    }
}

fn hours(v: Option<&str>) -> String {
    v.and_then(|h| h.parse::<f64>().ok())
        .map(|h| format!("{}", h.ceil() as i64))
        .unwrap_or_default()
}

fn function_row(c: &mut Ctx, f: &RegisterFile, func: &plumb_model::model::Element) {
    let at = format!("functions.{}", func.id);
    let Some(e) = f.functions.get(&func.id) else {
        c.errors.push(format!("function {} ({}): add it under functions: in the register file (licensed_activity, assessed, impact)", func.id, func.name));
        return;
    };
    let critical = c.code(
        "YES_NO_NOT_ASSESSED",
        if plumb_model::dora::criticality(func).is_some() {
            "Yes"
        } else {
            "No"
        },
        &at,
    );
    let activity = c.code(
        "LICENSED_ACTIVITY",
        &e.licensed_activity,
        &format!("{at}.licensed_activity"),
    );
    let impact = c.code("IMPACT_LEVEL", &e.impact, &format!("{at}.impact"));
    let entity = c.p.entity.clone();
    c.row(
        "B_06.01",
        &[
            ("c0010", func.id.clone()),
            ("c0020", activity),
            ("c0030", func.name.clone()),
            ("c0040", entity),
            ("c0050", critical),
            ("c0060", e.reasons.clone().unwrap_or_default()),
            ("c0070", e.assessed.clone()),
            ("c0080", hours(Model::prop(func, "dora:rto-hours"))),
            ("c0090", hours(Model::prop(func, "dora:rpo-hours"))),
            ("c0100", impact),
        ],
    );
}

fn definitions(c: &mut Ctx, f: &RegisterFile) {
    if f.definitions.is_empty() {
        return;
    }
    let Some(t) = c.cat.template("B_99.01") else {
        return;
    };
    let mut row = Row::new();
    for (k, v) in &f.definitions {
        if t.columns.iter().any(|col| &col.code == k) {
            row.insert(k.clone(), v.clone());
        } else {
            c.errors.push(format!(
                "definitions.{k}: not a column of B_99.01 (c0010 .. c0190)"
            ));
        }
    }
    c.t.push("B_99.01", row);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_too_large_for_hundredths_are_no_amount() {
        assert_eq!(cents("1234.5"), Some(123_450));
        assert_eq!(cents("0.07"), Some(7));
        let nines: i128 = "9".repeat(36).parse().unwrap();
        assert_eq!(cents(&"9".repeat(36)), Some(nines * 100));
        // 37 digits and more overflow hundredths: refused, never a panic or a wrapped sum.
        assert_eq!(cents(&"9".repeat(37)), None);
        assert_eq!(cents(&"9".repeat(39)), None);
        for bad in ["", ".5", "1.234", "1,5", "-3", "1e3"] {
            assert_eq!(cents(bad), None, "{bad}");
        }
    }
}
