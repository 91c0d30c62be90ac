//! The five delivery measures, computed from the evidence for one selection (systems and a
//! period). Each is defined in docs/metrics.md exactly as computed here.
//!
//! - A **deployment** is a deployment record to production that shipped its change (status
//!   succeeded or rolled back), recorded in the period.
//! - A deployment **failed** when an incident is linked to it (any method), it was rolled
//!   back, or a later deployment names it as the one it remedies (rollback or fix-forward).
//! - It **recovered** at the earliest of: the resolution of an incident linked to it, the
//!   first later deployment that remedies it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use plumb_records::deployment::{ChangeKind, Status};
use serde::Serialize;

use crate::facts::{DeploymentFact, Evidence, IncidentFact};
use crate::levels::{self, Level};
use crate::period::Period;

/// Which deployments count: the systems (all when `None`) and the period.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Systems to include; `None` for all.
    pub systems: Option<BTreeSet<String>>,
    /// The period.
    pub period: Period,
}

impl Selection {
    fn includes(&self, d: &DeploymentFact) -> bool {
        d.counts()
            && self.period.contains(d.time)
            && self.systems.as_ref().is_none_or(|s| s.contains(&d.system))
    }
}

/// Deployment frequency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequency {
    /// Deployments in the period.
    pub deployments: usize,
    /// Distinct days (UTC) with at least one deployment.
    pub deployment_days: usize,
    /// Deployment days per week of the period.
    pub days_per_week: f64,
    /// Its performance level.
    pub level: Level,
}

/// Lead time for changes: from commit to production, over every commit with a known time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadTime {
    /// Commits measured.
    pub changes: usize,
    /// Median, in hours (`None` when no commit time is known).
    pub median_hours: Option<f64>,
    /// 90th percentile (nearest rank), in hours.
    pub p90_hours: Option<f64>,
    /// Deployments in the period whose records carry no commit time: not measured, and said so.
    pub deployments_without_commit_times: usize,
    /// Its performance level (by the median).
    pub level: Option<Level>,
}

/// Change failure rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeFailure {
    /// Deployments in the period that failed.
    pub failed: usize,
    /// Failed ÷ deployments (`None` without deployments).
    pub rate: Option<f64>,
    /// Its performance level.
    pub level: Option<Level>,
}

/// Failed deployment recovery time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovery {
    /// Failed deployments with a recovery in the evidence.
    pub recovered: usize,
    /// Failed deployments without one (still open, or rolled back with no record of when).
    pub without_recovery: usize,
    /// Median, in hours.
    pub median_hours: Option<f64>,
    /// Its performance level.
    pub level: Option<Level>,
}

/// Rework rate: the share of deployments that were unplanned (rollbacks and fix-forwards).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rework {
    /// Unplanned deployments in the period.
    pub unplanned: usize,
    /// Unplanned ÷ deployments.
    pub rate: Option<f64>,
}

/// One deployment behind the numbers (`--explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Behind {
    /// Its log index.
    pub entry: u64,
    /// System.
    pub system: String,
    /// When.
    pub time: String,
    /// Why it counts as failed (empty when it did not fail).
    pub failed_because: Vec<String>,
    /// Hours to recovery, when it failed and recovered.
    pub recovered_after_hours: Option<f64>,
    /// Lead times of its commits, in hours.
    pub lead_times_hours: Vec<f64>,
    /// Whether it was unplanned.
    pub unplanned: bool,
}

/// The measures for one selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measures {
    /// The period.
    pub period: Period,
    /// Deployment frequency.
    pub deployment_frequency: Frequency,
    /// Lead time for changes.
    pub lead_time: LeadTime,
    /// Change failure rate.
    pub change_failure: ChangeFailure,
    /// Failed deployment recovery time.
    pub recovery: Recovery,
    /// Rework rate (no benchmark level: the published ones are not yet verified).
    pub rework: Rework,
    /// The deployments behind the numbers, in log order.
    pub deployments: Vec<Behind>,
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

/// The median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => sorted.get(n / 2).copied(),
        _ => Some((sorted.get(n / 2 - 1)? + sorted.get(n / 2)?) / 2.0),
    }
}

/// The nearest-rank percentile `p` (0..100) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank - 1).copied()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// The evidence about failures, indexed by the deployment it concerns: incident links and
/// later remedies. Built once per computation, so each deployment is looked up, not searched.
struct FailureIndex<'e> {
    links: HashMap<u64, Vec<(&'e IncidentFact, &'e str)>>,
    remedies: HashMap<u64, Vec<&'e DeploymentFact>>,
}

impl<'e> FailureIndex<'e> {
    fn new(ev: &'e Evidence) -> Self {
        let mut links: HashMap<u64, Vec<(&IncidentFact, &str)>> = HashMap::new();
        for inc in &ev.incidents {
            for (entry, method) in &inc.deployments {
                links
                    .entry(*entry)
                    .or_default()
                    .push((inc, method.as_str()));
            }
        }
        let mut remedies: HashMap<u64, Vec<&DeploymentFact>> = HashMap::new();
        for d in ev.deployments.iter().filter(|d| d.counts()) {
            if let Some(target) = d.remedies {
                remedies.entry(target).or_default().push(d);
            }
        }
        FailureIndex { links, remedies }
    }

    /// Why `d` failed, and when it recovered, from all the evidence (not only the period's: an
    /// incident or a remedy recorded after the period still says the deployment failed).
    fn failure_of(&self, d: &DeploymentFact) -> (Vec<String>, Option<DateTime<Utc>>) {
        let mut why = Vec::new();
        let mut recovered: Option<DateTime<Utc>> = None;
        let mut earliest = |t: DateTime<Utc>| {
            recovered = Some(recovered.map_or(t, |r| r.min(t)));
        };
        if d.status == Status::RolledBack {
            why.push("rolled back".to_string());
        }
        let mut seen = BTreeSet::new();
        for (inc, method) in self.links.get(&d.entry).into_iter().flatten() {
            // One reason per incident, even if it links the deployment twice.
            if !seen.insert(inc.id.as_str()) {
                continue;
            }
            why.push(format!("incident {} ({method} link)", inc.id));
            if let Some(r) = inc.resolved_at {
                earliest(r);
            }
        }
        for later in self
            .remedies
            .get(&d.entry)
            .into_iter()
            .flatten()
            .filter(|x| x.time >= d.time)
        {
            why.push(format!(
                "remedied by deployment {} ({})",
                later.entry,
                match later.change {
                    ChangeKind::Rollback => "rollback",
                    _ => "fix-forward",
                }
            ));
            earliest(later.time);
        }
        // A recovery time is only ever set together with a reason.
        (why, recovered)
    }
}

/// Computes the measures for `sel` from `ev`.
pub fn measure(ev: &Evidence, sel: &Selection) -> Measures {
    measure_with(ev, &FailureIndex::new(ev), sel)
}

/// The measures of each of `systems` over `period`, indexing the evidence once.
pub fn measure_each(ev: &Evidence, systems: &[String], period: Period) -> Vec<(String, Measures)> {
    let failures = FailureIndex::new(ev);
    systems
        .iter()
        .map(|s| {
            let sel = Selection {
                systems: Some(BTreeSet::from([s.clone()])),
                period,
            };
            (s.clone(), measure_with(ev, &failures, &sel))
        })
        .collect()
}

fn measure_with(ev: &Evidence, failures: &FailureIndex<'_>, sel: &Selection) -> Measures {
    let mut behind = Vec::new();
    let (mut lead, mut recovery) = (Vec::new(), Vec::new());
    let (mut failed, mut without_recovery, mut unplanned, mut without_times) = (0, 0, 0, 0);
    let mut days = BTreeSet::new();
    for d in ev.deployments.iter().filter(|d| sel.includes(d)) {
        days.insert(d.time.date_naive());
        let lt: Vec<f64> = d
            .commits
            .iter()
            .filter_map(|(_, t)| *t)
            .map(|t| hours(t, d.time))
            .filter(|h| *h >= 0.0)
            .collect();
        if lt.is_empty() {
            without_times += 1;
        }
        lead.extend(lt.iter().copied());
        let (why, recovered) = failures.failure_of(d);
        let after = recovered.map(|r| hours(d.time, r).max(0.0));
        if !why.is_empty() {
            failed += 1;
            match after {
                Some(h) => recovery.push(h),
                None => without_recovery += 1,
            }
        }
        if d.unplanned() {
            unplanned += 1;
        }
        behind.push(Behind {
            entry: d.entry,
            system: d.system.clone(),
            time: plumb_base::time::format_seconds(d.time),
            recovered_after_hours: after.filter(|_| !why.is_empty()),
            failed_because: why,
            lead_times_hours: lt,
            unplanned: d.unplanned(),
        });
    }
    let n = behind.len();
    let rate = |k: usize| (n > 0).then(|| k as f64 / n as f64);
    let weeks = sel.period.days() / 7.0;
    let days_per_week = if weeks > 0.0 {
        days.len() as f64 / weeks
    } else {
        0.0
    };
    let lead = sorted(lead);
    let recovery = sorted(recovery);
    let lead_median = median(&lead);
    let recovery_median = median(&recovery);
    Measures {
        period: sel.period,
        deployment_frequency: Frequency {
            deployments: n,
            deployment_days: days.len(),
            days_per_week,
            level: levels::deployment_frequency(days_per_week),
        },
        lead_time: LeadTime {
            changes: lead.len(),
            median_hours: lead_median,
            p90_hours: percentile(&lead, 90.0),
            deployments_without_commit_times: without_times,
            level: lead_median.map(levels::lead_time),
        },
        change_failure: ChangeFailure {
            failed,
            rate: rate(failed),
            level: rate(failed).map(levels::change_failure_rate),
        },
        recovery: Recovery {
            recovered: recovery.len(),
            without_recovery,
            median_hours: recovery_median,
            level: recovery_median.map(levels::recovery_time),
        },
        rework: Rework {
            unplanned,
            rate: rate(unplanned),
        },
        deployments: behind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn dep(entry: u64, day: u32, hour: u32) -> DeploymentFact {
        DeploymentFact {
            entry,
            system: "payments".into(),
            commit: None,
            time: at(day, hour),
            status: Status::Succeeded,
            production: true,
            commits: vec![],
            change: ChangeKind::Planned,
            remedies: None,
        }
    }

    fn november() -> Selection {
        Selection {
            systems: None,
            period: Period::parse("2026-11").unwrap(),
        }
    }

    #[test]
    fn no_deployments_means_no_rates_rather_than_zero() {
        let m = measure(&Evidence::default(), &november());
        assert_eq!(m.deployment_frequency.deployments, 0);
        assert_eq!(m.deployment_frequency.level, Level::Low);
        assert_eq!(m.change_failure.rate, None);
        assert_eq!(m.lead_time.median_hours, None);
        assert_eq!(m.recovery.median_hours, None);
        assert_eq!(m.rework.rate, None);
    }

    /// Hand-computed: four production deployments on two days of a 30-day month; one
    /// staging and one failed deployment that do not count; commits 2 h, 10 h and 30 h before
    /// their deployments; deployment 2 fails (an incident resolved 3 h later, linked to it and
    /// to deployment 3); deployment 3 is rolled back and remedied by deployment 4 five hours
    /// later.
    #[test]
    fn every_measure_matches_a_hand_computed_month() {
        let mut d1 = dep(1, 2, 10);
        d1.commits = vec![("a".into(), Some(at(2, 8))), ("b".into(), Some(at(2, 0)))];
        let d2 = dep(2, 9, 12);
        let mut d3 = dep(3, 9, 18);
        d3.status = Status::RolledBack;
        d3.commits = vec![("c".into(), Some(at(8, 12)))];
        let mut d4 = dep(4, 9, 23);
        d4.change = ChangeKind::Rollback;
        d4.remedies = Some(3);
        let mut staging = dep(5, 10, 9);
        staging.production = false;
        let mut failed_run = dep(6, 11, 9);
        failed_run.status = Status::Failed;
        let ev = Evidence {
            deployments: vec![d1, d2, d3, d4, staging, failed_run],
            incidents: vec![IncidentFact {
                id: "INC-1".into(),
                detected_at: at(9, 13),
                resolved_at: Some(at(9, 15)),
                deployments: vec![(2, "heuristic".into()), (3, "explicit".into())],
                major: Some(true),
            }],
            decisions: vec![],
        };
        let m = measure(&ev, &november());
        let f = &m.deployment_frequency;
        assert_eq!((f.deployments, f.deployment_days), (4, 2));
        assert!((f.days_per_week - 2.0 / (30.0 / 7.0)).abs() < 1e-9);
        assert_eq!(f.level, Level::Medium);
        // Lead times 2, 10 and 30 hours: median 10, p90 30; two deployments (2 and 4) without times.
        assert_eq!(m.lead_time.changes, 3);
        assert_eq!(m.lead_time.median_hours, Some(10.0));
        assert_eq!(m.lead_time.p90_hours, Some(30.0));
        assert_eq!(m.lead_time.deployments_without_commit_times, 2);
        assert_eq!(m.lead_time.level, Some(Level::Elite));
        // Deployments 2 and 3 failed: 2 of 4.
        assert_eq!(m.change_failure.failed, 2);
        assert_eq!(m.change_failure.rate, Some(0.5));
        assert_eq!(m.change_failure.level, Some(Level::Low));
        // 2 recovered when the incident was resolved (3 h); 3 at the earlier of the incident's
        // resolution (9th 15:00, before it was deployed: 0 h) and its rollback (5 h).
        assert_eq!(m.recovery.recovered, 2);
        assert_eq!(m.recovery.median_hours, Some(1.5));
        assert_eq!(m.rework.unplanned, 1);
        assert_eq!(m.rework.rate, Some(0.25));
        let why = &m.deployments[2].failed_because;
        assert!(why.iter().any(|w| w == "rolled back"), "{why:?}");
        assert!(
            why.iter()
                .any(|w| w.contains("incident INC-1 (explicit link)"))
        );
        assert!(
            why.iter()
                .any(|w| w.contains("remedied by deployment 4 (rollback)"))
        );
    }

    #[test]
    fn a_failure_without_recovery_evidence_is_counted_not_guessed() {
        let mut d = dep(1, 3, 10);
        d.status = Status::RolledBack;
        let ev = Evidence {
            deployments: vec![d],
            incidents: vec![],
            decisions: vec![],
        };
        let m = measure(&ev, &november());
        assert_eq!(m.change_failure.failed, 1);
        assert_eq!((m.recovery.recovered, m.recovery.without_recovery), (0, 1));
        assert_eq!(m.recovery.median_hours, None);
    }

    #[test]
    fn systems_and_the_period_select_deployments() {
        let mut other = dep(2, 5, 10);
        other.system = "identity".into();
        let ev = Evidence {
            deployments: vec![dep(1, 5, 10), other, dep(3, 30, 23), {
                let mut d = dep(4, 1, 0);
                d.time = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
                d
            }],
            incidents: vec![],
            decisions: vec![],
        };
        let sel = Selection {
            systems: Some(BTreeSet::from(["payments".to_string()])),
            ..november()
        };
        let m = measure(&ev, &sel);
        let entries: Vec<u64> = m.deployments.iter().map(|b| b.entry).collect();
        assert_eq!(
            entries,
            vec![1, 3],
            "other systems and the first instant after the period are out"
        );
    }

    #[test]
    fn medians_and_percentiles_follow_their_definitions() {
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(
            percentile(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90.0),
            Some(9.0)
        );
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 90.0), None);
    }
}
