//! Plumbline's policy gate: reads real scanner and CI outputs (through `plumb-ingest`), applies
//! waivers, evaluates the DORA baseline and the user's Rego policies, and returns a decision
//! with reasons and legal references. Evaluation is a pure function of its inputs, `now`
//! included; every failure to decide is a deny (fail closed).

pub mod ci_reports;
pub mod config;
pub mod decision;
pub mod engine;
pub mod error;
pub mod evidence;
pub mod held;
pub mod policytest;
pub mod raw;
pub mod record;
pub mod render;
pub mod samples;
pub mod schema;
pub mod waiver;
pub mod wire;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use plumb_ingest::Kind;
use plumb_ingest::facts::Input;
use plumb_ingest::severity::Severity;

pub use config::GateConfig;
pub use decision::{Decision, Outcome};
pub use engine::PolicySource;
pub use error::GateError;

/// A requested break-glass override.
#[derive(Debug, Clone)]
pub struct BreakGlassRequest {
    /// Why it is needed.
    pub justification: String,
    /// The approving executive.
    pub approver: String,
}

/// Everything a gate evaluation depends on.
#[derive(Debug, Clone)]
pub struct GateRequest {
    /// Configuration.
    pub config: GateConfig,
    /// Inputs: kind, name, bytes.
    pub inputs: Vec<(Kind, String, Vec<u8>)>,
    /// Waiver files: name, text.
    pub waivers: Vec<(String, String)>,
    /// The user's policies (the baseline is always added).
    pub policies: Vec<PolicySource>,
    /// The evaluation time.
    pub now: DateTime<Utc>,
    /// Break-glass, if requested.
    pub break_glass: Option<BreakGlassRequest>,
    /// Where the configuration came from, when a server applied its own
    /// ([`held::HeldConfig::request`]); `None` for the caller's own configuration.
    pub origin: Option<held::ConfigOrigin>,
}

use plumb_base::hex;

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The policy identity: every source and the configuration, digested together.
pub fn policy_info(policies: &[PolicySource], config: &Value) -> decision::PolicyInfo {
    let mut all = Sha256::new();
    let mut sources = Vec::new();
    for p in policies {
        let d = hex(&Sha256::digest(p.text.as_bytes()));
        all.update(p.name.as_bytes());
        all.update([0]);
        all.update(d.as_bytes());
        all.update([0]);
        sources.push((p.name.clone(), d));
    }
    all.update(config.to_string().as_bytes());
    decision::PolicyInfo {
        digest: hex(&all.finalize()),
        sources,
        engine: engine::ENGINE.into(),
        plumb: env!("CARGO_PKG_VERSION").into(),
    }
}

/// The configuration as policies see it (data.plumb.config).
pub fn policy_config(c: &GateConfig) -> Value {
    serde_json::json!({
        "coverage_threshold": c.coverage_threshold,
        "max_scan_age_days": c.max_scan_age_days,
        "require_sbom": c.require_sbom,
        "code_owner_roles": c.code_owner_roles,
        "security_reviewer_roles": c.security_reviewer_roles,
        "allowed_regions": c.allowed_regions,
        "personal_data": c.personal_data,
        "systems": c.systems,
        "require_resilience_test": c.require_resilience_test,
        "resilience_max_age_days": c.resilience_max_age_days,
        "resilience": c.resilience,
        "disabled": c.disabled(),
    })
}

/// Evaluates a gate request. Never fails: anything that prevents a decision yields an `error`
/// decision, which denies.
pub fn evaluate(req: &GateRequest) -> Decision {
    let cfg_value = policy_config(&req.config);
    let mut policies = vec![PolicySource {
        name: engine::BASELINE_NAME.into(),
        text: engine::BASELINE.into(),
    }];
    policies.extend(req.policies.iter().cloned());
    let policy = policy_info(&policies, &cfg_value);
    let now_s = req.now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut d = Decision {
        result: Outcome::Error,
        error: None,
        break_glass: None,
        system: req.config.system.clone(),
        criticality: req.config.criticality.clone(),
        environment: req.config.environment.clone(),
        commit: None,
        now: now_s.clone(),
        violations: vec![],
        warnings: vec![],
        disabled_rules: req.config.disabled(),
        waivers: vec![],
        findings: Default::default(),
        tests: None,
        coverage: None,
        inputs: req
            .inputs
            .iter()
            .map(|(k, n, b)| Input {
                path: n.clone(),
                kind: k.name().into(),
                format: "unread".into(),
                sha256: hex(&Sha256::digest(b)),
            })
            .collect(),
        policy,
        configuration: Some(req.origin.clone().unwrap_or_else(|| held::ConfigOrigin {
            held_by: "client".into(),
            source: "the caller's configuration".into(),
            digest: held::config_digest(&req.config, &req.policies, &req.waivers),
        })),
        violations_total: None,
        warnings_total: None,
        truncated: None,
    };
    match decide(req, &mut d, &policies, &cfg_value) {
        Ok(()) => d,
        Err(e) => {
            d.result = Outcome::Error;
            d.error = Some(e.to_string());
            d
        }
    }
}

/// The facts, the waivers as applied, and the exact JSON every policy receives as `input`:
/// the inputs read and normalised, waivers applied to the findings, the request's time,
/// system, criticality and environment added, absent values left out. What `plumb gate facts`
/// prints.
pub fn policy_input(
    req: &GateRequest,
) -> Result<(plumb_ingest::Facts, Vec<waiver::WaiverUse>, Value), GateError> {
    let mut waivers = Vec::new();
    for (name, text) in &req.waivers {
        waivers.extend(waiver::load(name, text)?);
    }
    let mut facts = plumb_ingest::ingest(&req.inputs)?;
    let uses = waiver::apply(
        &waivers,
        &mut facts.findings,
        req.now,
        req.config.max_waiver_days,
    );
    let environment = req
        .config
        .environment
        .clone()
        .or(facts.change.as_ref().and_then(|c| c.environment.clone()));
    let mut input = serde_json::to_value(&facts).expect("facts serialise");
    if let Some(scans) = input.get_mut("scans").and_then(Value::as_array_mut) {
        for s in scans {
            let t = s
                .get("scanned_at")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp());
            s["scanned_at_unix"] = t.map_or(Value::Null, Value::from);
        }
    }
    input["now"] = Value::from(req.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    input["now_unix"] = Value::from(req.now.timestamp());
    input["system"] = req.config.system.clone().map_or(Value::Null, Value::from);
    input["criticality"] = Value::from(req.config.criticality.clone());
    input["environment"] = environment.map_or(Value::Null, Value::from);
    strip_nulls(&mut input);
    Ok((facts, uses, input))
}

fn decide(
    req: &GateRequest,
    d: &mut Decision,
    policies: &[PolicySource],
    cfg: &Value,
) -> Result<(), GateError> {
    req.config.validate()?;
    let (facts, waivers, input) = policy_input(req)?;
    d.inputs = facts.inputs.clone();
    d.waivers = waivers;
    let change = facts.change.clone().unwrap_or_default();
    d.commit = change.commit.clone();
    d.environment = req
        .config
        .environment
        .clone()
        .or(change.environment.clone());
    for f in &facts.findings {
        let c = &mut d.findings;
        match (f.suppressed.is_some(), f.waived_by.is_some(), f.severity) {
            (true, _, _) => c.suppressed += 1,
            (_, true, _) => c.waived += 1,
            (_, _, Severity::Critical) => c.critical += 1,
            (_, _, Severity::High) => c.high += 1,
            (_, _, Severity::Medium) => c.medium += 1,
            _ => c.other += 1,
        }
    }
    d.tests = facts.tests.as_ref().map(|t| decision::TestTotals {
        total: t.total,
        passed: t.passed,
        failed: t.failed,
        errors: t.errors,
        skipped: t.skipped,
    });
    d.coverage = facts.coverage.as_ref().map(|c| c.percent);

    let (raw_policies, facts_policies): (Vec<PolicySource>, Vec<PolicySource>) =
        policies.iter().cloned().partition(raw::is_raw);
    let (mut deny, mut warn) =
        engine::evaluate(&facts_policies, &input, cfg, req.config.policy_timeout_ms)?;
    let (raw_deny, raw_warn) = raw::evaluate(
        &raw_policies,
        &req.inputs,
        cfg,
        req.config.policy_timeout_ms,
    )?;
    deny.extend(raw_deny);
    deny.sort();
    deny.dedup();
    warn.extend(raw_warn);
    warn.extend(citation_warnings(&deny, &warn));
    warn.sort();
    warn.dedup();
    d.violations = deny;
    d.warnings = warn;
    d.result = if d.violations.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Deny
    };
    if let Some(bg) = &req.break_glass {
        if bg.justification.trim().len() < 10 {
            return Err(GateError::Usage(
                "break-glass needs a justification of at least 10 characters".into(),
            ));
        }
        if !req.config.executives.iter().any(|e| e == &bg.approver) {
            return Err(GateError::Usage(format!(
                "break-glass refused: {} is not an executive in the gate configuration (executives: {})",
                bg.approver,
                if req.config.executives.is_empty() {
                    "none configured".into()
                } else {
                    req.config.executives.join(", ")
                }
            )));
        }
        let mut ids: Vec<String> = d.violations.iter().map(|v| v.id.clone()).collect();
        ids.dedup();
        d.break_glass = Some(decision::BreakGlass {
            justification: bg.justification.clone(),
            approver: bg.approver.clone(),
            overridden: ids,
        });
        if d.result == Outcome::Deny {
            d.result = Outcome::Override;
        }
    }
    Ok(())
}

/// Warnings for rules (the bank's own policies) that cite an article known to be wrong for a
/// pipeline control (`plumb_dora::misuse`), naming the rule and the right reference. The
/// baseline cites only known articles (checked by a test), so this speaks to policy authors.
fn citation_warnings(
    deny: &[engine::Violation],
    warn: &[engine::Violation],
) -> Vec<engine::Violation> {
    deny.iter()
        .chain(warn)
        .flat_map(|v| {
            v.refs.iter().filter_map(move |r| {
                // A paragraph of the article is the same mistake (`DORA Art. 21(2)`).
                let article = r.split('(').next().unwrap_or(r).trim_end();
                plumb_dora::misuse(article).map(|why| engine::Violation {
                    id: "PLUMB-CITE-001".into(),
                    msg: format!("rule {} ({}) cites {r}: {why}", v.id, v.policy),
                    refs: vec![],
                    fix: Some(format!("change the refs of {} in {}", v.id, v.policy)),
                    fingerprint: None,
                    policy: "plumb".into(),
                    path: None,
                    line: None,
                    resource: None,
                })
            })
        })
        .collect()
}
