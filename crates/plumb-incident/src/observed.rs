//! What the ledger shows actually ran: the deployments that shipped, per system, and the
//! components of every SBOM recorded. `plumb drift` compares it with the architecture model
//! (`plumb_model::drift`); it lives here, beside the deployment reader it shares with incident
//! linking, so drift and linking agree on what was deployed.

use plumb_ledger::Ledger;
use plumb_ledger::entry::LogEntry;
use plumb_model::drift::Observed;

use crate::error::Result;

/// Counts `deployments` into `seen`, per system: how many, and the latest time. Deployments
/// without a system are passed over.
pub fn tally(seen: &mut Observed, deployments: impl IntoIterator<Item = crate::link::Deployment>) {
    for d in deployments.into_iter().filter(|d| !d.system.is_empty()) {
        let slot = seen
            .deployments
            .entry(d.system)
            .or_insert((0, String::new()));
        slot.0 += 1;
        slot.1 = slot.1.clone().max(d.time);
    }
}

/// Reads deployments and SBOM components out of the ledger. Entries and blobs that do not
/// parse are passed over (stored data is hostile; `plumb verify` reports them).
pub fn observed_in(l: &mut Ledger) -> Result<Observed> {
    let mut seen = Observed::default();
    // The deployments that shipped, read as the incident linker reads them (one rule).
    tally(&mut seen, crate::store::deployments(l)?);
    for i in 0..l.size()? {
        let Ok(e) = LogEntry::parse(&l.entry(i)?.bytes) else {
            continue;
        };
        let system = e.system.clone().unwrap_or_default();
        for b in &e.blobs {
            let Ok(data) = l.blobs().get(&b.digest) else {
                continue;
            };
            if let Ok(facts) =
                plumb_ingest::ingest(&[(plumb_ingest::Kind::Sbom, b.name.clone(), data)])
            {
                for c in facts.components {
                    if let Some(p) = c.purl {
                        seen.components.insert((system.clone(), p));
                    }
                }
            }
        }
    }
    Ok(seen)
}
