//! JUnit XML in its common shapes: root `<testsuites>` or `<testsuite>`, suites nested to any
//! depth, `<skipped>`, `status` attributes, several `<failure>`/`<error>` per case, Surefire and
//! Marathon `<flakyFailure>`/`<rerunFailure>`, and reruns written as repeated test cases.
//!
//! Counts come from `<testcase>` elements, never from the header attributes (which tools get
//! wrong). Reruns: a case that appears several times in one suite is one test; the last attempt
//! decides its outcome, and a final pass after a failure is a flaky pass. A case with a
//! `<failure>` is failed even if its `status` says disabled (failure wins).

use std::collections::BTreeMap;

use crate::error::{IngestError, Result};
use crate::facts::{Facts, Outcome, TestCase, Tests};
use crate::util::{XmlEvent, xml_events};

#[derive(Default)]
struct Case {
    suite: String,
    classname: String,
    name: String,
    failed: bool,
    errored: bool,
    skipped: bool,
    flaky: bool,
    message: Option<String>,
}

impl Case {
    fn outcome(&self) -> Outcome {
        if self.failed {
            Outcome::Failed
        } else if self.errored {
            Outcome::Error
        } else if self.skipped {
            Outcome::Skipped
        } else {
            Outcome::Passed
        }
    }
}

/// Reads one JUnit XML file and adds its cases to `facts.tests`.
pub fn read(file: &str, bytes: &[u8], facts: &mut Facts) -> Result<()> {
    let mut suites: Vec<String> = Vec::new();
    let mut root: Option<String> = None;
    let mut current: Option<Case> = None;
    let mut in_detail = 0usize;
    let mut attempts: BTreeMap<(String, String, String), Vec<Case>> = BTreeMap::new();
    xml_events(file, bytes, |ev| {
        match ev {
            XmlEvent::Start(e) => {
                if root.is_none() {
                    if e.name != "testsuites" && e.name != "testsuite" {
                        return Err(IngestError::new(
                            file,
                            format!(
                                "not a JUnit report: root element is <{}>, expected <testsuites> or <testsuite>",
                                e.name
                            ),
                        ));
                    }
                    root = Some(e.name.clone());
                }
                match e.name.as_str() {
                    "testsuite" => suites.push(e.attr("name").unwrap_or("").to_string()),
                    "testcase" => {
                        let status = e.attr("status").unwrap_or("").to_ascii_lowercase();
                        current = Some(Case {
                            suite: suites.join("/"),
                            classname: e.attr("classname").unwrap_or("").into(),
                            name: e.attr("name").unwrap_or("").into(),
                            failed: matches!(status.as_str(), "failed" | "failure" | "fail"),
                            errored: matches!(status.as_str(), "error" | "errored"),
                            skipped: matches!(
                                status.as_str(),
                                "disabled" | "skipped" | "notrun" | "ignored"
                            ),
                            ..Default::default()
                        });
                    }
                    "failure" | "error" | "skipped" | "flakyFailure" | "flakyError"
                    | "rerunFailure" | "rerunError" => {
                        if let Some(c) = current.as_mut() {
                            in_detail += 1;
                            match e.name.as_str() {
                                "failure" => c.failed = true,
                                "error" => c.errored = true,
                                "skipped" => c.skipped = true,
                                _ => c.flaky = true,
                            }
                            if c.message.is_none() && matches!(e.name.as_str(), "failure" | "error")
                            {
                                c.message =
                                    e.attr("message").map(|m| m.chars().take(500).collect());
                            }
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::Text(t) => {
                if in_detail > 0
                    && let Some(c) = current
                        .as_mut()
                        .filter(|c| c.message.is_none() && (c.failed || c.errored))
                {
                    c.message = Some(t.trim().chars().take(500).collect());
                }
            }

            XmlEvent::End(name) => match name.as_str() {
                "testsuite" => {
                    suites.pop();
                }
                "testcase" => {
                    if let Some(c) = current.take() {
                        attempts
                            .entry((c.suite.clone(), c.classname.clone(), c.name.clone()))
                            .or_default()
                            .push(c);
                    }
                }
                "failure" | "error" | "skipped" | "flakyFailure" | "flakyError"
                | "rerunFailure" | "rerunError" => in_detail = in_detail.saturating_sub(1),
                _ => {}
            },
        }
        Ok(())
    })?;
    let tests = facts.tests.get_or_insert_with(Tests::default);
    for (_, runs) in attempts {
        let earlier_failed = runs[..runs.len() - 1].iter().any(|r| r.failed || r.errored);
        let last = runs.into_iter().last().expect("at least one attempt");
        let outcome = last.outcome();
        let flaky = outcome == Outcome::Passed && (last.flaky || earlier_failed);
        tests.total += 1;
        match outcome {
            Outcome::Passed => tests.passed += 1,
            Outcome::Failed => tests.failed += 1,
            Outcome::Error => tests.errors += 1,
            Outcome::Skipped => tests.skipped += 1,
        }
        if flaky {
            tests.flaky += 1;
        }
        if outcome != Outcome::Passed || flaky {
            tests.cases.push(TestCase {
                suite: last.suite,
                classname: last.classname,
                name: last.name,
                outcome,
                flaky,
                message: last.message,
                input: file.into(),
            });
        }
    }
    Ok(())
}
