//! Resilience tests in the ledger: written here and read here only. A test counts for the
//! critical or important functions depending on the systems it exercised; the record names
//! them as the model said when it was recorded, so the evidence stays readable without the
//! model of the day.

use chrono::{DateTime, Utc};

use plumb_ledger::statement::Subject;
use plumb_ledger::{Ledger, RecordRequest};
use plumb_model::Model;
use plumb_records::Record;

use crate::{Error, ResilienceTest, TestOutcome};

/// The critical or important functions depending on `systems` (pipeline service names), by
/// name, in model order.
pub fn functions_of(m: &Model, systems: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in m.elements.iter().filter(|e| {
        e.kind == plumb_model::types::ElementType::ApplicationComponent
            && systems.contains(&plumb_model::dora::service_name(e))
    }) {
        for i in plumb_model::graph::impact(m, &e.id) {
            if !out.contains(&i.name) {
                out.push(i.name);
            }
        }
    }
    out
}

/// Completes `t` from the model: refuses a test that names no system or a system the model
/// does not have, and sets the functions it exercised.
pub fn resolve(t: &mut ResilienceTest, model: Option<&Model>) -> Result<(), Error> {
    if t.systems.is_empty() {
        return Err(Error::Input(
            "the test names no system, so it cannot count for any function; say which it exercised (--system NAME)".into(),
        ));
    }
    if t.outcome != TestOutcome::Planned && t.started_at.is_none() && t.ended_at.is_none() {
        return Err(Error::Input(
            "the result says nothing of when the test ran, so it could not count for any period; give --ended-at TIME".into(),
        ));
    }
    if let Some(m) = model {
        let known = plumb_model::dora::system_profiles(m);
        if let Some(unknown) = t.systems.iter().find(|s| !known.contains_key(*s)) {
            return Err(Error::Input(format!(
                "system {unknown:?} is not an application component of the model (known: {})",
                known.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        t.functions = functions_of(m, &t.systems);
    }
    Ok(())
}

/// Records `t`, about the result file `name` with content `bytes` (kept as a blob when
/// `attachment` is given), signed by the store key. Returns the entry index.
pub fn record(
    l: &mut Ledger,
    t: &ResilienceTest,
    name: &str,
    bytes: &[u8],
    attachment: Option<std::path::PathBuf>,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let (index, _) = l.record(
        RecordRequest {
            subjects: vec![Subject {
                name: name.to_string(),
                digest: [("sha256".to_string(), plumb_base::sha256_hex(bytes))].into(),
            }],
            predicate_type: ResilienceTest::PREDICATE_TYPE.into(),
            predicate: t.to_predicate(),
            system: t.systems.first().cloned(),
            run: None,
            attachments: attachment.into_iter().collect(),
        },
        now,
    )?;
    Ok(index)
}

/// Every resilience test in the store signed by the store key, with its entry index. An
/// entry of the type that another key signed, or that does not decode, is passed over: the
/// store holds hostile data, and only what Plumbline itself recorded is evidence of a test.
pub fn recorded(l: &mut Ledger) -> Result<Vec<(u64, ResilienceTest)>, Error> {
    crate::store_signed::<ResilienceTest>(l)
}

/// The resilience state of each critical or important function `system` supports, at `now`:
/// what the gate's DORA-RES-003 judges (`plumb_model::resilience::status` over the functions
/// depending on the system).
pub fn states_of_system(
    m: &Model,
    tests: &[(u64, ResilienceTest)],
    system: &str,
    now: DateTime<Utc>,
    max_age_days: i64,
) -> Vec<plumb_model::resilience::FunctionStatus> {
    let supported = functions_of(m, &[system.to_string()]);
    plumb_model::resilience::status(m, tests, now, max_age_days)
        .into_iter()
        .filter(|f| supported.contains(&f.name))
        .collect()
}

/// Fills the gate configuration's resilience facts (DORA-RES-003) for its system from `m` and
/// `tests`, when it requires them and nobody filled them: the one place the CLI and the server
/// turn function states into gate facts.
pub fn fill_gate(
    c: &mut plumb_gate::GateConfig,
    m: &Model,
    tests: &[(u64, ResilienceTest)],
    now: DateTime<Utc>,
) {
    if !c.require_resilience_test || c.resilience.is_some() {
        return;
    }
    let Some(system) = c.system.clone() else {
        return;
    };
    let states = states_of_system(m, tests, &system, now, i64::from(c.resilience_max_age_days));
    c.resilience = Some(
        states
            .into_iter()
            .map(|f| plumb_gate::config::FunctionResilience {
                name: f.name,
                state: f.state.to_string(),
                explanation: f.explanation,
            })
            .collect(),
    );
}
