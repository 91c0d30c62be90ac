//! The register read as a person reviews it (the UI's Third parties page): each provider with
//! its contracts, the services it delivers and the functions they support, its share of the
//! critical or important functions (concentration), contracts ending soon, and the supply
//! chains. Pure: the tables and today's date in, the summary out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::tables::Tables;

const YES: &str = "eba_BT:x28";

/// A function a provider's services support.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupportedFunction {
    /// Its identifier.
    pub id: String,
    /// Its name (B_06.01).
    pub name: String,
    /// Critical or important.
    pub critical: bool,
}

/// One provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderSummary {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its country code.
    pub country: String,
    /// Its total annual cost, as reported.
    pub annual_cost: String,
    /// Contract references.
    pub contracts: Vec<String>,
    /// ICT service types, by label.
    pub services: Vec<String>,
    /// Functions its services support.
    pub functions: Vec<SupportedFunction>,
    /// Share of all critical or important functions that depend on it (0 to 1).
    pub critical_share: f64,
}

/// A contract ending within the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ending {
    /// Contract reference.
    pub contract: String,
    /// Provider code.
    pub provider: String,
    /// End date.
    pub end: String,
    /// Days from today.
    pub days: i64,
}

/// One link of a chain: rank, provider code, provider name.
pub type Link = (u32, String, String);

/// A supply chain: a contract's service from the direct provider down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// Contract reference.
    pub contract: String,
    /// ICT service type label.
    pub service: String,
    /// (rank, provider code, provider name), by rank.
    pub links: Vec<Link>,
}

/// The whole summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Providers, the most concentrated first.
    pub providers: Vec<ProviderSummary>,
    /// Contracts ending within the horizon, soonest first.
    pub ending: Vec<Ending>,
    /// Supply chains with a subcontractor (rank 2 or more).
    pub chains: Vec<Chain>,
    /// Critical or important functions in the register.
    pub critical_functions: usize,
}

fn label(code: &str) -> String {
    crate::catalogue::catalogue()
        .ok()
        .and_then(|c| c.closed_lists.get("ICT_SERVICE_TYPE"))
        .and_then(|l| l.iter().find(|(c, _)| c == code))
        .map(|(c, l)| format!("{} {l}", c.rsplit(':').next().unwrap_or(c)))
        .unwrap_or_else(|| code.to_string())
}

fn get<'a>(r: &'a crate::tables::Row, c: &str) -> &'a str {
    r.get(c).map(String::as_str).unwrap_or("")
}

/// Summarises the register as of `today`; contracts ending within `horizon_days` are listed.
pub fn summarise(t: &Tables, today: NaiveDate, horizon_days: i64) -> Summary {
    let functions: BTreeMap<&str, (&str, bool)> = t
        .of("B_06.01")
        .iter()
        .map(|r| (get(r, "c0010"), (get(r, "c0030"), get(r, "c0050") == YES)))
        .collect();
    let critical_functions = functions.values().filter(|(_, c)| *c).count();
    let names: BTreeMap<&str, &str> = t
        .of("B_05.01")
        .iter()
        .map(|r| (get(r, "c0010"), get(r, "c0050")))
        .collect();
    // Each provider's lines and signed contracts, indexed once.
    let mut lines_of: BTreeMap<&str, Vec<&crate::tables::Row>> = BTreeMap::new();
    for l in t.of("B_02.02") {
        lines_of.entry(get(l, "c0030")).or_default().push(l);
    }
    let mut signed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in t.of("B_03.02") {
        signed
            .entry(get(l, "c0020"))
            .or_default()
            .push(get(l, "c0010"));
    }
    let mut providers = Vec::new();
    for r in t.of("B_05.01") {
        let code = get(r, "c0010");
        let lines: Vec<&crate::tables::Row> = lines_of.get(code).cloned().unwrap_or_default();
        let contracts: BTreeSet<String> = signed
            .get(code)
            .into_iter()
            .flatten()
            .map(|c| c.to_string())
            .chain(lines.iter().map(|l| get(l, "c0010").to_string()))
            .collect();
        let services: BTreeSet<String> = lines.iter().map(|l| label(get(l, "c0060"))).collect();
        let fids: BTreeSet<&str> = lines.iter().map(|l| get(l, "c0050")).collect();
        let supported: Vec<SupportedFunction> = fids
            .iter()
            .map(|id| {
                let (name, critical) = functions.get(id).copied().unwrap_or(("", false));
                SupportedFunction {
                    id: id.to_string(),
                    name: name.to_string(),
                    critical,
                }
            })
            .collect();
        let critical = supported.iter().filter(|f| f.critical).count();
        providers.push(ProviderSummary {
            code: code.to_string(),
            name: get(r, "c0050").to_string(),
            country: get(r, "c0080").rsplit(':').next().unwrap_or("").to_string(),
            annual_cost: get(r, "c0100").to_string(),
            contracts: contracts.into_iter().collect(),
            services: services.into_iter().collect(),
            functions: supported,
            critical_share: if critical_functions == 0 {
                0.0
            } else {
                critical as f64 / critical_functions as f64
            },
        });
    }
    providers.sort_by(|a, b| {
        b.critical_share
            .total_cmp(&a.critical_share)
            .then(a.name.cmp(&b.name))
    });
    let mut ending: BTreeMap<(i64, String), Ending> = BTreeMap::new();
    for l in t.of("B_02.02") {
        let Ok(end) = NaiveDate::parse_from_str(get(l, "c0080"), "%Y-%m-%d") else {
            continue;
        };
        let days = (end - today).num_days();
        if (0..=horizon_days).contains(&days) {
            let contract = get(l, "c0010").to_string();
            ending.entry((days, contract.clone())).or_insert(Ending {
                contract,
                provider: get(l, "c0030").to_string(),
                end: get(l, "c0080").to_string(),
                days,
            });
        }
    }
    let mut chains: BTreeMap<(String, String), Vec<Link>> = BTreeMap::new();
    for l in t.of("B_05.02") {
        let rank = get(l, "c0050").parse::<u32>().unwrap_or(0);
        let code = get(l, "c0030").to_string();
        let name = names.get(code.as_str()).copied().unwrap_or("").to_string();
        chains
            .entry((get(l, "c0010").to_string(), get(l, "c0020").to_string()))
            .or_default()
            .push((rank, code, name));
    }
    let chains = chains
        .into_iter()
        .filter(|(_, links)| links.iter().any(|(r, _, _)| *r > 1))
        .map(|((contract, service), mut links)| {
            links.sort();
            Chain {
                contract,
                service: label(&service),
                links,
            }
        })
        .collect();
    Summary {
        providers,
        ending: ending.into_values().collect(),
        chains,
        critical_functions,
    }
}
