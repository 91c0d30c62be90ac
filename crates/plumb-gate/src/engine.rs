//! The policy engine: Rego through regorus, behind this module so the engine can change.
//! Policies are conftest-style: each package may define `deny` and `warn` sets; members are
//! objects with `id`, `msg` and optionally `refs` and `fix` (plain strings are accepted too).

use std::num::NonZeroU32;
use std::time::Duration;

use serde_json::Value;

use crate::error::GateError;

/// The built-in DORA baseline, readable with `plumb gate policy show`.
pub const BASELINE: &str = include_str!("../policy/baseline.rego");
/// Name the baseline is loaded under.
pub const BASELINE_NAME: &str = "plumb/baseline.rego";
/// The engine, as recorded in decisions.
pub const ENGINE: &str = "regorus 0.14.1 (Rego v1)";

/// Ceiling on the process's heap while a policy is evaluated: 1 GiB.
///
/// regorus is built with `allocator-memory-limits`, which makes its mimalloc the global
/// allocator and counts live heap bytes; its evaluator checks the count as it goes (also inside
/// builtins such as `numbers.range`) and stops with an error past the ceiling. The count is the
/// whole process's, not the evaluation's own: in a busy server an evaluation can be stopped by
/// other work's memory, which ends in an error decision (the gate fails closed) rather than in a
/// process killed for lack of memory. Chosen over evaluating in a child process under rlimits,
/// which would cost a process start and a policy compilation per decision and lose the
/// server's prepared engines. See docs/security.md.
pub const POLICY_HEAP_LIMIT: u64 = 1 << 30;

/// Builtins whose result depends on something other than the inputs; policies using them are
/// refused so that a decision is a function of its inputs.
const NON_DETERMINISTIC: [&str; 10] = [
    "time.now_ns",
    "rand.intn",
    "uuid.rfc4122",
    "uuid.parse",
    "opa.runtime",
    "http.send",
    "net.lookup_ip_addr",
    "crypto.x509.parse_and_verify_certificates",
    "io.jwt.decode_verify",
    "trace",
];

/// A policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// File name (for messages and the decision record).
    pub name: String,
    /// Rego text.
    pub text: String,
}

pub use plumb_records::gate::Violation;

/// Text without comments and string literals, for scanning identifiers.
pub(crate) fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        for c in line.chars() {
            match c {
                '"' if prev != '\\' => in_str = !in_str,
                '#' if !in_str => break,
                _ if !in_str => out.push(c),
                _ => {}
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Refuses a policy that calls a non-deterministic builtin.
pub fn check_deterministic(p: &PolicySource) -> Result<(), GateError> {
    let code = code_only(&p.text);
    for b in NON_DETERMINISTIC {
        let found = code.match_indices(b).any(|(i, _)| {
            let before = code[..i].chars().next_back();
            let after = code[i + b.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && after.is_some_and(|c| c == '(' || c.is_whitespace())
        });
        if found {
            return Err(GateError::Policy(format!(
                "{} calls {b}, whose result does not depend only on the inputs; use input.now / input.now_unix instead of clocks and randomness",
                p.name
            )));
        }
    }
    Ok(())
}

fn violation(pkg: &str, v: &Value, policy: &str) -> Result<Violation, GateError> {
    let bad = || {
        GateError::Policy(format!(
            "{policy}: deny/warn entries must be objects with string `id` and `msg` (got {v})"
        ))
    };
    match v {
        Value::String(s) => Ok(Violation {
            id: pkg.trim_start_matches("data.").into(),
            msg: s.clone(),
            refs: vec![],
            fix: None,
            fingerprint: None,
            policy: pkg.into(),
            path: None,
            line: None,
            resource: None,
        }),
        Value::Object(o) => Ok(Violation {
            id: o.get("id").and_then(Value::as_str).ok_or_else(bad)?.into(),
            msg: o.get("msg").and_then(Value::as_str).ok_or_else(bad)?.into(),
            refs: match o.get("refs") {
                None => vec![],
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|r| r.as_str().map(str::to_string).ok_or_else(bad))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(bad()),
            },
            fix: o.get("fix").and_then(Value::as_str).map(str::to_string),
            fingerprint: o
                .get("fingerprint")
                .and_then(Value::as_str)
                .map(str::to_string),
            policy: pkg.into(),
            path: o.get("path").and_then(Value::as_str).map(str::to_string),
            line: o.get("line").and_then(Value::as_u64),
            resource: o
                .get("resource")
                .and_then(Value::as_str)
                .map(str::to_string),
        }),
        _ => Err(bad()),
    }
}

/// A prepared engine: policies compiled and configuration loaded, ready for inputs.
pub struct PolicyEngine {
    engine: regorus::Engine,
    packages: Vec<(String, String)>,
    timeout_ms: u64,
}

impl PolicyEngine {
    /// Loads the policies (refusing non-deterministic ones) and `data.plumb.config`.
    pub fn new(
        policies: &[PolicySource],
        config: &Value,
        timeout_ms: u64,
    ) -> Result<Self, GateError> {
        // Capped here too, so no caller (a server request, a library user) can lift it.
        let timeout_ms = timeout_ms.min(crate::config::MAX_POLICY_TIMEOUT_MS);
        // Process-wide and idempotent: every engine applies the same ceiling.
        regorus::set_global_memory_limit(Some(POLICY_HEAP_LIMIT));
        let mut engine = regorus::Engine::new();
        engine.set_strict_builtin_errors(true);
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: Duration::from_millis(timeout_ms),
            check_interval: NonZeroU32::new(64).expect("non-zero"),
        });
        let mut packages: Vec<(String, String)> = Vec::new();
        for p in policies {
            check_deterministic(p)?;
            let pkg = engine
                .add_policy(p.name.clone(), p.text.clone())
                .map_err(|e| GateError::Policy(format!("{}: {e}", p.name)))?;
            if !packages.iter().any(|(k, _)| *k == pkg) {
                packages.push((pkg, p.name.clone()));
            }
        }
        let data = regorus::Value::from_json_str(
            &serde_json::json!({"plumb": {"config": config}}).to_string(),
        )
        .map_err(|e| GateError::Policy(e.to_string()))?;
        engine
            .add_data(data)
            .map_err(|e| GateError::Policy(e.to_string()))?;
        Ok(PolicyEngine {
            engine,
            packages,
            timeout_ms,
        })
    }

    /// The package each policy file was loaded as, with the file.
    pub fn packages(&self) -> &[(String, String)] {
        &self.packages
    }

    /// Evaluates one rule (`data.pkg.rule`) against the input set last; `None` when it is
    /// undefined.
    pub fn eval_rule(&mut self, path: &str, file: &str) -> Result<Option<Value>, GateError> {
        let timeout_ms = self.timeout_ms;
        let results = self
            .engine
            .eval_query(path.to_string(), false)
            .map_err(|e| limit_error(e.as_ref(), timeout_ms, file, path))?;
        let Some(ex) = results
            .result
            .into_iter()
            .next()
            .and_then(|r| r.expressions.into_iter().next())
        else {
            return Ok(None);
        };
        let text = ex
            .value
            .to_json_str()
            .map_err(|e| GateError::Policy(e.to_string()))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| GateError::Policy(e.to_string()))
    }

    /// Sets the input (parsing its JSON text is faster than converting a value tree).
    pub fn set_input(&mut self, input: &Value) -> Result<(), GateError> {
        let v = regorus::Value::from_json_str(&input.to_string())
            .map_err(|e| GateError::Policy(e.to_string()))?;
        self.engine.set_input(v);
        Ok(())
    }

    /// Evaluates every package's `deny` and `warn` against the input set last.
    pub fn eval(&mut self) -> Result<(Vec<Violation>, Vec<Violation>), GateError> {
        let (mut deny, mut warn) = (Vec::new(), Vec::new());
        let timeout_ms = self.timeout_ms;
        for (pkg, file) in &self.packages {
            for (rule, out) in [("deny", &mut deny), ("warn", &mut warn)] {
                let results = self
                    .engine
                    .eval_query(format!("{pkg}.{rule}"), false)
                    .map_err(|e| limit_error(e.as_ref(), timeout_ms, file, rule))?;
                for r in results.result {
                    for ex in r.expressions {
                        let json: Value = serde_json::from_str(
                            &ex.value
                                .to_json_str()
                                .map_err(|e| GateError::Policy(e.to_string()))?,
                        )
                        .map_err(|e| GateError::Policy(e.to_string()))?;
                        match json {
                            Value::Array(items) => {
                                for i in &items {
                                    out.push(violation(pkg, i, file)?);
                                }
                            }
                            Value::Bool(_) | Value::Null => {}
                            other => {
                                return Err(GateError::Policy(format!(
                                    "{file}: {rule} must be a set, got {other}"
                                )));
                            }
                        }
                    }
                }
            }
        }
        deny.sort();
        deny.dedup();
        warn.sort();
        warn.dedup();
        Ok((deny, warn))
    }
}

/// Names an evaluation error: a time or memory limit by its type, anything else as a policy
/// error naming the file and rule.
fn limit_error(
    e: &(dyn std::error::Error + Send + Sync + 'static),
    timeout_ms: u64,
    file: &str,
    rule: &str,
) -> GateError {
    match e.downcast_ref::<regorus::LimitError>() {
        Some(regorus::LimitError::MemoryLimitExceeded { usage, limit }) => GateError::MemoryLimit {
            usage: *usage,
            limit: *limit,
        },
        Some(regorus::LimitError::TimeLimitExceeded { .. }) => GateError::Timeout(timeout_ms),
        _ => {
            let m = e.to_string();
            // Limits raised inside builtins may arrive as text only.
            if m.contains("time limit") || m.contains("execution time") {
                GateError::Timeout(timeout_ms)
            } else {
                GateError::Policy(format!("{file}: evaluating {rule}: {m}"))
            }
        }
    }
}

/// Evaluates every policy's `deny` and `warn` against `input`, with `data.plumb.config` set.
pub fn evaluate(
    policies: &[PolicySource],
    input: &Value,
    config: &Value,
    timeout_ms: u64,
) -> Result<(Vec<Violation>, Vec<Violation>), GateError> {
    let mut e = PolicyEngine::new(policies, config, timeout_ms)?;
    e.set_input(input)?;
    e.eval()
}
