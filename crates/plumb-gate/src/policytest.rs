//! `plumb gate test`: unit tests for policies, as `opa test` runs them. Every rule whose name
//! starts with `test_` in a `*_test.rego` file is evaluated with the policies under test, the
//! DORA baseline and `data.plumb.config` loaded; it passes when it is `true`, fails when it is
//! false or undefined, and errors when evaluation fails. `todo_test_` rules are skipped.

use serde::Serialize;
use serde_json::Value;

use crate::engine::{BASELINE, BASELINE_NAME, PolicyEngine, PolicySource, code_only};
use crate::error::GateError;

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It evaluated to true.
    Pass,
    /// It was false or undefined.
    Fail,
    /// Evaluation failed.
    Error,
    /// A `todo_test_` rule.
    Skip,
}

/// One test's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// `data.pkg.test_name`.
    pub test: String,
    /// The file it is in.
    pub file: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What it evaluated to, or the error.
    pub detail: Option<String>,
}

/// The test rules of a file: names starting with `test_` (or `todo_test_`) at the start of a
/// line, once each (a test may have several bodies).
fn test_rules(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in code_only(text).lines() {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if (name.starts_with("test_") || name.starts_with("todo_test_")) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Runs every test of `tests` against `policies` (the baseline is always loaded).
pub fn run(
    policies: &[PolicySource],
    tests: &[PolicySource],
    config: &Value,
    timeout_ms: u64,
) -> Result<Vec<TestResult>, GateError> {
    let mut all = vec![PolicySource {
        name: BASELINE_NAME.into(),
        text: BASELINE.into(),
    }];
    all.extend(policies.iter().cloned());
    all.extend(tests.iter().cloned());
    let mut engine = PolicyEngine::new(&all, config, timeout_ms)?;
    engine.set_input(&Value::Object(Default::default()))?;
    let packages = engine.packages().to_vec();
    let mut out = Vec::new();
    for t in tests {
        // A file's package is the one it was loaded as; files sharing a package share it.
        let Some((pkg, _)) = packages.iter().find(|(_, f)| *f == t.name).or_else(|| {
            let declared = package_of(&t.text)?;
            packages
                .iter()
                .find(|(p, _)| *p == format!("data.{declared}"))
        }) else {
            continue;
        };
        for name in test_rules(&t.text) {
            let test = format!("{pkg}.{name}");
            if name.starts_with("todo_") {
                out.push(TestResult {
                    test,
                    file: t.name.clone(),
                    outcome: Outcome::Skip,
                    detail: None,
                });
                continue;
            }
            let (outcome, detail) = match engine.eval_rule(&test, &t.name) {
                Ok(Some(Value::Bool(true))) => (Outcome::Pass, None),
                Ok(Some(v)) => (Outcome::Fail, Some(format!("evaluated to {v}"))),
                Ok(None) => (Outcome::Fail, Some("undefined".into())),
                Err(e) => (Outcome::Error, Some(e.to_string())),
            };
            out.push(TestResult {
                test,
                file: t.name.clone(),
                outcome,
                detail,
            });
        }
    }
    Ok(out)
}

/// The package a policy declares (`bank.change` of `package bank.change`).
fn package_of(text: &str) -> Option<String> {
    code_only(text).lines().find_map(|l| {
        l.trim()
            .strip_prefix("package ")
            .map(|p| p.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(name: &str, text: &str) -> PolicySource {
        PolicySource {
            name: name.into(),
            text: text.into(),
        }
    }

    const POLICY: &str = "package bank.t\nimport rego.v1\ndeny contains \"no ticket\" if not input.change.change_id\n";

    #[test]
    fn tests_pass_fail_error_and_skip_as_opa_test_does() {
        let tests = src(
            "bank_test.rego",
            "package bank.t\nimport rego.v1\n\
             test_denies_without_ticket if { \"no ticket\" in deny with input as {} }\n\
             test_passes_with_ticket if { count(deny) == 0 with input as {\"change\": {\"change_id\": \"CHG-1\"}} }\n\
             test_wrong if { count(deny) == 5 with input as {} }\n\
             test_baseline_is_loaded if { data.plumb.config.coverage_threshold == 80 }\n\
             todo_test_later if { false }\n\
             # test_commented_out if { false }\n",
        );
        let cfg = serde_json::json!({"coverage_threshold": 80, "disabled": []});
        let r = run(&[src("bank.rego", POLICY)], &[tests], &cfg, 2000).unwrap();
        let got: Vec<(&str, Outcome)> = r
            .iter()
            .map(|t| (t.test.rsplit('.').next().unwrap_or(""), t.outcome))
            .collect();
        assert_eq!(
            got,
            vec![
                ("test_denies_without_ticket", Outcome::Pass),
                ("test_passes_with_ticket", Outcome::Pass),
                ("test_wrong", Outcome::Fail),
                ("test_baseline_is_loaded", Outcome::Pass),
                ("todo_test_later", Outcome::Skip),
            ]
        );
    }

    #[test]
    fn a_broken_test_file_is_an_error_not_a_pass() {
        let bad = src("x_test.rego", "package x\ntest_a if {");
        assert!(run(&[], &[bad], &serde_json::json!({}), 2000).is_err());
    }
}
