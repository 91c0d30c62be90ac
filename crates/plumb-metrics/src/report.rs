//! The before-and-after report for the board: two periods side by side (a baseline and the
//! period since), each with the delivery measures, the gate's decisions, the critical and high
//! vulnerabilities present when changes reached production, the incidents and their time to
//! restore, and how long an evidence pack of the period took to produce. Rendered as one
//! self-contained HTML page (inline SVG charts, no script, prints to PDF) or as Markdown.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::facts::{DecisionFact, DeploymentFact, Evidence};
use crate::measures::{Measures, Selection, measure};
use crate::period::{Granularity, Period};

/// Gate decisions recorded in a period, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GateCounts {
    /// Passed.
    pub pass: usize,
    /// Denied.
    pub deny: usize,
    /// Overridden by an executive (break-glass).
    pub r#override: usize,
    /// No decision reached (fails closed).
    pub error: usize,
}

/// Vulnerabilities present when changes reached production: each deployment's gate decision
/// (the last one recorded for its system and commit before it).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AtDeployment {
    /// Deployments with a gate decision found.
    pub with_decision: usize,
    /// Of those, deployments that carried at least one active critical or high finding.
    pub with_critical_or_high: usize,
    /// Active critical findings, summed over the deployments.
    pub critical: usize,
    /// Active high findings, summed over the deployments.
    pub high: usize,
}

/// Incidents detected in a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IncidentCounts {
    /// All of them.
    pub total: usize,
    /// Classified major.
    pub major: usize,
    /// Classified not major.
    pub not_major: usize,
    /// Not classified.
    pub unclassified: usize,
    /// Resolved.
    pub resolved: usize,
    /// Median time from detection to resolution, in hours.
    pub restore_median_hours: Option<f64>,
}

/// One period of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// A name for it (`baseline`, `period`) and the period as given.
    pub name: String,
    /// The period as given (e.g. `2026-Q3`).
    pub label: String,
    /// The delivery measures (without the deployments behind them).
    pub measures: Measures,
    /// Gate decisions by outcome.
    pub gate: GateCounts,
    /// Vulnerabilities at production deployment.
    pub at_deployment: AtDeployment,
    /// Incidents.
    pub incidents: IncidentCounts,
    /// Deployments per week, for the chart.
    pub weekly: Vec<(String, usize)>,
    /// Seconds an evidence pack of the period took to write, when measured.
    pub pack_seconds: Option<f64>,
}

fn in_scope(systems: &Option<BTreeSet<String>>, s: &str) -> bool {
    systems.as_ref().is_none_or(|set| set.contains(s))
}

/// The decision a deployment was released by: the last store-signed one for its system and
/// commit recorded before it.
fn decision_for<'e>(
    d: &DeploymentFact,
    commit: Option<&str>,
    ev: &'e Evidence,
) -> Option<&'e DecisionFact> {
    let commit = commit?;
    ev.decisions
        .iter()
        .filter(|x| x.system == d.system && x.commit.as_deref() == Some(commit) && x.time <= d.time)
        .max_by_key(|x| (x.time, x.entry))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some((v.get(n / 2 - 1)? + v.get(n / 2)?) / 2.0),
    }
}

/// Computes one section.
pub fn section(
    ev: &Evidence,
    name: &str,
    label: &str,
    period: Period,
    systems: &Option<BTreeSet<String>>,
) -> Section {
    let mut measures = measure(
        ev,
        &Selection {
            systems: systems.clone(),
            period,
        },
    );
    let mut gate = GateCounts::default();
    for d in ev
        .decisions
        .iter()
        .filter(|d| period.contains(d.time) && in_scope(systems, &d.system))
    {
        match d.result {
            "pass" => gate.pass += 1,
            "deny" => gate.deny += 1,
            "override" => gate.r#override += 1,
            _ => gate.error += 1,
        }
    }
    let mut at = AtDeployment::default();
    for d in ev
        .deployments
        .iter()
        .filter(|d| d.counts() && period.contains(d.time) && in_scope(systems, &d.system))
    {
        if let Some(x) = decision_for(d, d.commit.as_deref(), ev) {
            at.with_decision += 1;
            at.critical += x.critical;
            at.high += x.high;
            if x.critical + x.high > 0 {
                at.with_critical_or_high += 1;
            }
        }
    }
    let mut incidents = IncidentCounts::default();
    let mut restore = Vec::new();
    // Incidents are not tied to a system here: a selection by system keeps those linked to one
    // of its deployments.
    let selected: BTreeSet<u64> = ev
        .deployments
        .iter()
        .filter(|d| in_scope(systems, &d.system))
        .map(|d| d.entry)
        .collect();
    for inc in ev
        .incidents
        .iter()
        .filter(|i| period.contains(i.detected_at))
    {
        if systems.is_some() && !inc.deployments.iter().any(|(e, _)| selected.contains(e)) {
            continue;
        }
        incidents.total += 1;
        match inc.major {
            Some(true) => incidents.major += 1,
            Some(false) => incidents.not_major += 1,
            None => incidents.unclassified += 1,
        }
        if let Some(r) = inc.resolved_at {
            incidents.resolved += 1;
            restore.push((r - inc.detected_at).num_seconds().max(0) as f64 / 3600.0);
        }
    }
    incidents.restore_median_hours = median(restore);
    let weekly = Granularity::Week
        .buckets(period)
        .into_iter()
        .map(|(label, p)| {
            let n = ev
                .deployments
                .iter()
                .filter(|d| d.counts() && p.contains(d.time) && in_scope(systems, &d.system))
                .count();
            (label, n)
        })
        .collect();
    measures.deployments.clear();
    Section {
        name: name.into(),
        label: label.into(),
        measures,
        gate,
        at_deployment: at,
        incidents,
        weekly,
        pack_seconds: None,
    }
}

/// The weekly deployments of both sections as one inline SVG bar chart (baseline grey, period
/// blue).
pub fn weekly_chart(baseline: &Section, period: &Section) -> String {
    let bars: Vec<crate::chart::Bar<'_>> = baseline
        .weekly
        .iter()
        .map(|(l, n)| crate::chart::Bar {
            label: l,
            value: *n as f64,
            class: "before",
        })
        .chain(period.weekly.iter().map(|(l, n)| crate::chart::Bar {
            label: l,
            value: *n as f64,
            class: "now",
        }))
        .collect();
    crate::chart::bars("deployments per week", &bars)
}

fn hours(v: Option<f64>) -> String {
    v.map(|h| format!("{h:.1} h")).unwrap_or_else(|| "-".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|r| format!("{:.1} %", r * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The rows both renderings show: what, before, after.
pub fn rows(b: &Section, p: &Section) -> Vec<(String, String, String)> {
    let row = |what: &str, f: &dyn Fn(&Section) -> String| (what.to_string(), f(b), f(p));
    let level = |l: Option<crate::levels::Level>| {
        l.map(|l| format!(" ({l:?})").to_lowercase())
            .unwrap_or_default()
    };
    vec![
        row("deployments", &|s| {
            s.measures.deployment_frequency.deployments.to_string()
        }),
        row("deployment days a week", &|s| {
            format!(
                "{:.2}{}",
                s.measures.deployment_frequency.days_per_week,
                level(Some(s.measures.deployment_frequency.level))
            )
        }),
        row("lead time for changes (median)", &|s| {
            format!(
                "{}{}",
                hours(s.measures.lead_time.median_hours),
                level(s.measures.lead_time.level)
            )
        }),
        row("lead time for changes (p90)", &|s| {
            hours(s.measures.lead_time.p90_hours)
        }),
        row("change failure rate", &|s| {
            format!(
                "{}{}",
                pct(s.measures.change_failure.rate),
                level(s.measures.change_failure.level)
            )
        }),
        row("failed deployment recovery time (median)", &|s| {
            format!(
                "{}{}",
                hours(s.measures.recovery.median_hours),
                level(s.measures.recovery.level)
            )
        }),
        row("rework rate", &|s| pct(s.measures.rework.rate)),
        row("gate decisions: pass / deny / override / error", &|s| {
            format!(
                "{} / {} / {} / {}",
                s.gate.pass, s.gate.deny, s.gate.r#override, s.gate.error
            )
        }),
        row(
            "deployments with critical or high vulnerabilities at release",
            &|s| {
                format!(
                    "{} of {} ({} critical, {} high)",
                    s.at_deployment.with_critical_or_high,
                    s.at_deployment.with_decision,
                    s.at_deployment.critical,
                    s.at_deployment.high
                )
            },
        ),
        row("incidents: major / not major / unclassified", &|s| {
            format!(
                "{} / {} / {}",
                s.incidents.major, s.incidents.not_major, s.incidents.unclassified
            )
        }),
        row("time to restore after incidents (median)", &|s| {
            hours(s.incidents.restore_median_hours)
        }),
        row("time to produce the period's evidence pack", &|s| {
            s.pack_seconds
                .map(|t| format!("{t:.2} s"))
                .unwrap_or_else(|| "-".into())
        }),
    ]
}

/// The report as Markdown (for pull requests and wikis).
pub fn markdown(b: &Section, p: &Section, scope: &str, made: DateTime<Utc>) -> String {
    let mut s = format!(
        "# Delivery and control: {} against {}\n\n{scope}; computed from the evidence ledger on {}. Levels: {}.\n\n| measure | {} (baseline) | {} |\n|---|---|---|\n",
        plumb_base::escape::markdown_cell(&p.label),
        plumb_base::escape::markdown_cell(&b.label),
        plumb_base::time::format_seconds(made),
        crate::levels::BENCHMARK,
        plumb_base::escape::markdown_cell(&b.label),
        plumb_base::escape::markdown_cell(&p.label),
    );
    for (what, before, after) in rows(b, p) {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            plumb_base::escape::markdown_cell(&what),
            plumb_base::escape::markdown_cell(&before),
            plumb_base::escape::markdown_cell(&after)
        ));
    }
    s.push_str("\nDefinitions: docs/metrics.md. Every number can be checked with `plumb metrics --explain` against the evidence.\n");
    s
}

const TEMPLATE: &str = include_str!("../templates/report.html");

/// The report as one self-contained HTML page.
pub fn html(b: &Section, p: &Section, scope: &str, made: DateTime<Utc>) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| e.to_string())?;
    let t = env.get_template("report.html").map_err(|e| e.to_string())?;
    t.render(minijinja::context! {
        baseline => minijinja::Value::from(minijinja::value::Serde(b)),
        period => minijinja::Value::from(minijinja::value::Serde(p)),
        scope => scope,
        made => plumb_base::time::format_seconds(made),
        benchmark => crate::levels::BENCHMARK,
        rows => minijinja::Value::from(minijinja::value::Serde(rows(b, p))),
        chart => minijinja::Value::from_safe_string(weekly_chart(b, p)),
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::IncidentFact;
    use chrono::TimeZone;
    use plumb_records::deployment::{ChangeKind, Status};

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0).unwrap()
    }

    fn evidence() -> Evidence {
        let dep = |entry: u64, month, day| DeploymentFact {
            entry,
            system: "payments".into(),
            commit: Some(format!("c{}", entry - 1)),
            time: at(month, day),
            status: Status::Succeeded,
            production: true,
            commits: vec![],
            change: ChangeKind::Planned,
            remedies: None,
        };
        let decision = |entry, month, day, result, critical| DecisionFact {
            entry,
            system: "payments".into(),
            commit: Some(format!("c{entry}")),
            time: at(month, day),
            result,
            critical,
            high: 1,
        };
        Evidence {
            // Deployment 11 ships the commit of decision 10, 21 that of decision 20.
            deployments: vec![dep(11, 7, 2), dep(21, 10, 5), dep(31, 10, 20)],
            incidents: vec![IncidentFact {
                id: "INC-1".into(),
                detected_at: at(10, 6),
                resolved_at: Some(at(10, 6) + chrono::Duration::hours(3)),
                deployments: vec![(21, "heuristic".into())],
                major: Some(true),
            }],
            decisions: vec![
                decision(10, 7, 1, "pass", 0),
                decision(20, 10, 4, "override", 2),
                decision(30, 10, 19, "deny", 0),
            ],
        }
    }

    #[test]
    fn sections_count_what_each_period_holds() {
        let ev = evidence();
        let q3 = section(
            &ev,
            "baseline",
            "2026-Q3",
            Period::parse("2026-Q3").unwrap(),
            &None,
        );
        let q4 = section(
            &ev,
            "period",
            "2026-Q4",
            Period::parse("2026-Q4").unwrap(),
            &None,
        );
        assert_eq!(
            q3.gate,
            GateCounts {
                pass: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            q4.gate,
            GateCounts {
                deny: 1,
                r#override: 1,
                ..Default::default()
            }
        );
        // Q4: deployment 21 was released by the override (2 critical, 1 high); 31's commit c30
        // was denied, so it has a decision too (0 critical, 1 high).
        assert_eq!(
            q4.at_deployment,
            AtDeployment {
                with_decision: 2,
                with_critical_or_high: 2,
                critical: 2,
                high: 2
            }
        );
        assert_eq!(q4.incidents.major, 1);
        assert_eq!(q4.incidents.restore_median_hours, Some(3.0));
        assert_eq!(q3.incidents.total, 0);
        assert_eq!(q4.measures.change_failure.failed, 1);
        assert!(
            q4.measures.deployments.is_empty(),
            "the report carries no explanation lists"
        );
        assert_eq!(q4.weekly.iter().map(|(_, n)| n).sum::<usize>(), 2);
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_what_it_shows() {
        let ev = evidence();
        let b = section(
            &ev,
            "baseline",
            "2026-Q3",
            Period::parse("2026-Q3").unwrap(),
            &None,
        );
        let mut p = section(
            &ev,
            "period",
            "2026-Q4",
            Period::parse("2026-Q4").unwrap(),
            &None,
        );
        p.pack_seconds = Some(0.25);
        let page = html(&b, &p, "systems <script>", at(12, 1)).unwrap();
        assert!(page.starts_with("<!doctype html>"));
        assert!(page.contains("<svg") && page.contains("0.25 s"));
        assert!(!page.contains("<script"), "no script, and none injected");
        assert!(page.contains("systems &lt;script&gt;"));
        assert!(
            !page.contains("http://") || page.contains("http://www.w3.org/2000/svg"),
            "nothing fetched from elsewhere"
        );
        let md = markdown(&b, &p, "all systems", at(12, 1));
        assert!(
            md.contains("| change failure rate | 0.0 % (elite) | 50.0 % (low) |"),
            "{md}"
        );
    }
}
