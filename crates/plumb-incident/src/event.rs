//! Incident events and the incident they add up to. Events are the only thing stored (as ledger
//! statements); the incident is always rebuilt by folding its events in log order, and every
//! new event is checked against the fold before it is appended, so an impossible event (a report
//! submitted before it was generated, a resolution before detection) is refused and never
//! recorded.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::alerts::Alert;
use crate::classify::{Assessment, Classification};
use crate::clock::{Stage, Times};
use crate::error::{Error, Result, fmt_time, parse_time};
use crate::link::Link;
pub use plumb_records::incident::RecurringOrigin;

pub use plumb_records::incident::{Change, Event};

/// Predicate type of incident events in the ledger.
pub const PREDICATE_TYPE: &str = <Event as plumb_records::Record>::PREDICATE_TYPE;

/// An alert and whether it has resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertState {
    /// The alert as received.
    pub alert: Alert,
    /// When it ended, once resolved.
    pub resolved_at: Option<String>,
}

/// A report's progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportState {
    /// Ledger index of the latest generated document.
    pub generated: Option<u64>,
    /// The latest document (fields by code).
    pub document: Option<Value>,
    /// The same in the ESAs' IR JSON structure.
    pub ir: Option<Value>,
    /// Required fields missing from it.
    pub missing: Vec<String>,
    /// Submission times (intermediate reports may be updated).
    pub submitted: Vec<String>,
    /// Deadline notices (Art. 5(3)).
    pub notices: Vec<String>,
}

/// An incident as its events make it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Awareness time.
    pub detected_at: String,
    /// Affected services.
    pub services: Vec<String>,
    /// Discovery (field 2.7).
    pub discovery: String,
    /// Alerts.
    pub alerts: Vec<AlertState>,
    /// Regular activities recovered.
    pub mitigated_at: Option<String>,
    /// Resolved.
    pub resolved_at: Option<String>,
    /// Root cause addressed.
    pub root_cause_addressed_at: Option<String>,
    /// The root cause.
    pub root_cause: Option<String>,
    /// Linked deployments.
    pub links: Vec<Link>,
    /// The latest assessment.
    pub assessment: Option<Assessment>,
    /// The latest classification.
    pub classification: Option<Classification>,
    /// When it was first classified as major (field 2.3).
    pub classified_major_at: Option<String>,
    /// Reclassified as non-major: when and why.
    pub reclassified: Option<(String, String)>,
    /// The reclassification notice for the authority.
    pub reclassification_notice: Option<Value>,
    /// The competent authority's reference code (field 3.1), once given.
    pub authority_reference: Option<String>,
    /// Reports by stage.
    pub reports: BTreeMap<Stage, ReportState>,
    /// For a recurring incident: the non-major incidents it aggregates.
    pub recurring: Option<RecurringOrigin>,
    /// Ledger indexes and events, in order.
    pub timeline: Vec<(u64, Event)>,
}

impl Incident {
    /// Open (not resolved).
    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }

    /// Currently classified major (and not reclassified).
    pub fn is_major(&self) -> bool {
        self.reclassified.is_none() && self.classification.as_ref().is_some_and(|c| c.major)
    }

    /// The times the reporting clocks run from.
    pub fn times(&self) -> Times {
        let t = |s: &str| parse_time("time", s).ok();
        let sub = |st: Stage, last: bool| {
            self.reports.get(&st).and_then(|r| {
                if last {
                    r.submitted.last()
                } else {
                    r.submitted.first()
                }
                .and_then(|s| t(s))
            })
        };
        Times {
            aware_at: t(&self.detected_at),
            classified_major_at: self.classified_major_at.as_deref().and_then(t),
            initial_submitted_at: sub(Stage::Initial, false),
            intermediate_submissions: self
                .reports
                .get(&Stage::Intermediate)
                .map(|r| r.submitted.iter().filter_map(|s| t(s)).collect())
                .unwrap_or_default(),
            final_submitted_at: sub(Stage::Final, false),
            recovered_at: self.mitigated_at.as_deref().and_then(t),
            reclassified_at: self.reclassified.as_ref().and_then(|(a, _)| t(a)),
        }
    }

    /// Refuses a time of `field` before the incident was detected.
    fn not_before_detection(&self, field: &str, s: &str) -> Result<()> {
        let detected = parse_time("detected_at", &self.detected_at)?;
        let t = parse_time(field, s)?;
        if t < detected {
            return Err(Error::invalid(
                field,
                format!(
                    "{} is before the incident was detected ({})",
                    fmt_time(t),
                    self.detected_at
                ),
            ));
        }
        Ok(())
    }

    /// A classification: the first major one starts the reporting clocks.
    fn classified(
        &mut self,
        recorded_at: &str,
        assessment: &Assessment,
        result: &Classification,
    ) -> Result<()> {
        if self.reclassified.is_some() && result.major {
            // Reclassification said it never was major; a new major finding contradicts it.
            return Err(Error::State(format!(
                "{} was reclassified as non-major (it at no time met the criteria); open a new incident instead",
                self.id
            )));
        }
        if result.major && self.classified_major_at.is_none() {
            // The incident manager may say when the assessment was made (field 2.3); else it
            // is when it was recorded.
            self.classified_major_at = Some(
                assessment
                    .assessed_at
                    .clone()
                    .unwrap_or_else(|| recorded_at.to_string()),
            );
        }
        self.assessment = Some(assessment.clone());
        self.classification = Some(result.clone());
        Ok(())
    }

    /// A reclassification from major to non-major (ITS 2025/302 Art. 5).
    fn reclassify(
        &mut self,
        recorded_at: &str,
        reason: &str,
        assessment: &Assessment,
        result: &Classification,
    ) -> Result<()> {
        if self.classified_major_at.is_none() || self.reclassified.is_some() {
            return Err(Error::State(format!(
                "{} is not classified as major, so there is nothing to reclassify",
                self.id
            )));
        }
        if result.major {
            return Err(Error::State(
                "the new assessment is still major; reclassification needs one that at no time met the criteria".into(),
            ));
        }
        self.reclassified = Some((recorded_at.to_string(), reason.to_string()));
        self.assessment = Some(assessment.clone());
        self.classification = Some(result.clone());
        Ok(())
    }

    /// A report submitted to the authority: generated, complete, and (but for intermediate
    /// updates) not submitted before.
    fn report_submitted(&mut self, stage: Stage, submitted_at: &str) -> Result<()> {
        self.require_stage_open(stage)?;
        if stage == Stage::Intermediate
            && self
                .reports
                .get(&Stage::Final)
                .is_some_and(|r| !r.submitted.is_empty())
        {
            return Err(Error::State(
                "the final report was submitted: the intermediate report can no longer be updated"
                    .into(),
            ));
        }
        self.not_before_detection("submitted_at", submitted_at)?;
        let r = self.reports.entry(stage).or_default();
        if r.generated.is_none() {
            return Err(Error::State(format!(
                "the {} has not been generated; run plumb incident report first",
                stage.title()
            )));
        }
        if !r.missing.is_empty() {
            return Err(Error::State(format!(
                "the {} is incomplete ({} required field(s) missing: {}); complete it and generate it again",
                stage.title(),
                r.missing.len(),
                r.missing.join(", ")
            )));
        }
        if stage != Stage::Intermediate && !r.submitted.is_empty() {
            return Err(Error::State(format!(
                "the {} was already submitted",
                stage.title()
            )));
        }
        r.submitted.push(submitted_at.to_string());
        Ok(())
    }

    /// Checks `ev` against the incident and applies it. `index` is its ledger index.
    pub fn apply(&mut self, index: u64, ev: &Event) -> Result<()> {
        if ev.incident != self.id {
            return Err(Error::State(format!(
                "event for {} applied to {}",
                ev.incident, self.id
            )));
        }
        match &ev.change {
            Change::Opened { .. } => {
                return Err(Error::State(format!(
                    "incident {} is already open",
                    self.id
                )));
            }
            Change::AlertAttached { alert } => {
                if self.alerts.iter().any(|a| a.alert.key == alert.key) {
                    return Err(Error::State(format!(
                        "alert {} already attached",
                        alert.key
                    )));
                }
                self.alerts.push(AlertState {
                    alert: alert.clone(),
                    resolved_at: None,
                });
            }
            Change::AlertResolved { key, ends_at } => {
                let a = self
                    .alerts
                    .iter_mut()
                    .find(|a| &a.alert.key == key)
                    .ok_or_else(|| {
                        Error::State(format!("alert {key} is not part of {}", ev.incident))
                    })?;
                a.resolved_at = Some(ends_at.clone());
            }
            Change::Mitigated { at } => {
                self.not_before_detection("mitigated_at", at)?;
                self.mitigated_at = Some(at.clone());
            }
            Change::Linked { links } => {
                for l in links {
                    if !self.links.iter().any(|x| x.entry == l.entry) {
                        self.links.push(l.clone());
                    }
                }
            }
            Change::Classified {
                assessment, result, ..
            } => self.classified(&ev.recorded_at, assessment, result)?,
            Change::Reclassified {
                reason,
                assessment,
                result,
                notice,
            } => {
                self.reclassify(&ev.recorded_at, reason, assessment, result)?;
                self.reclassification_notice = notice.clone();
            }
            Change::ReportGenerated {
                stage,
                report,
                missing,
                ir,
                ..
            } => {
                self.require_stage_open(*stage)?;
                let r = self.reports.entry(*stage).or_default();
                r.generated = Some(index);
                r.document = Some(report.clone());
                r.ir = ir.clone();
                r.missing = missing.clone();
            }
            Change::ReportSubmitted {
                stage,
                submitted_at,
                authority_reference,
            } => {
                if authority_reference.is_some() {
                    self.authority_reference = authority_reference.clone();
                }
                self.report_submitted(*stage, submitted_at)?;
            }
            Change::DeadlineNotice { stage, .. } => {
                self.require_stage_open(*stage)?;
                let r = self.reports.entry(*stage).or_default();
                r.notices.push(ev.recorded_at.clone());
            }
            Change::Resolved { resolved_at } => {
                self.not_before_detection("resolved_at", resolved_at)?;
                if self.resolved_at.is_some() {
                    return Err(Error::State(format!("{} is already resolved", self.id)));
                }
                self.resolved_at = Some(resolved_at.clone());
                if self.mitigated_at.is_none() {
                    self.mitigated_at = Some(resolved_at.clone());
                }
            }
            Change::RootCauseAddressed {
                addressed_at,
                root_cause,
            } => {
                self.not_before_detection("addressed_at", addressed_at)?;
                self.root_cause_addressed_at = Some(addressed_at.clone());
                self.root_cause = Some(root_cause.clone());
            }
        }
        self.timeline.push((index, ev.clone()));
        Ok(())
    }

    /// A report of `stage` may be worked on: the incident is major and the previous stage was
    /// submitted.
    pub fn require_stage_open(&self, stage: Stage) -> Result<()> {
        if self.reclassified.is_some() {
            return Err(Error::State(format!(
                "{} was reclassified as non-major; no further reports are due",
                self.id
            )));
        }
        if self.classified_major_at.is_none() {
            return Err(Error::State(format!(
                "{} is not classified as major; reports are due only for major incidents (classify it first)",
                self.id
            )));
        }
        let prev = match stage {
            Stage::Initial => None,
            Stage::Intermediate => Some(Stage::Initial),
            Stage::Final => Some(Stage::Intermediate),
        };
        if let Some(p) = prev
            && self.reports.get(&p).is_none_or(|r| r.submitted.is_empty())
        {
            return Err(Error::State(format!(
                "the {} comes after the {}, which has not been submitted",
                stage.title(),
                p.title()
            )));
        }
        Ok(())
    }
}

/// Builds an incident from its events in log order. The first must be `opened`.
pub fn fold(events: &[(u64, Event)]) -> Result<Incident> {
    let Some((i0, first)) = events.first() else {
        return Err(Error::State("no events".into()));
    };
    let Change::Opened {
        title,
        description,
        detected_at,
        services,
        discovery,
        alerts,
        recurring,
    } = &first.change
    else {
        return Err(Error::State(format!(
            "the first event of {} is {}, not opened",
            first.incident,
            first.change.name()
        )));
    };
    let mut inc = Incident {
        id: first.incident.clone(),
        title: title.clone(),
        description: description.clone(),
        detected_at: detected_at.clone(),
        services: services.clone(),
        discovery: discovery.clone(),
        alerts: alerts
            .iter()
            .map(|a| AlertState {
                alert: a.clone(),
                resolved_at: a.ends_at.clone(),
            })
            .collect(),
        mitigated_at: None,
        resolved_at: None,
        root_cause_addressed_at: None,
        // A recurring incident's apparent root cause is the one its incidents share.
        root_cause: recurring.as_ref().map(|r| r.root_cause.clone()),
        recurring: recurring.clone(),
        links: Vec::new(),
        assessment: None,
        classification: None,
        classified_major_at: None,
        reclassified: None,
        reclassification_notice: None,
        authority_reference: None,
        reports: BTreeMap::new(),
        timeline: vec![(*i0, first.clone())],
    };
    for (i, e) in &events[1..] {
        inc.apply(*i, e)?;
    }
    Ok(inc)
}

/// Refuses a time in the future of `now` (an event cannot have happened yet).
pub fn not_future(field: &str, t: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    if t > now {
        return Err(Error::invalid(
            field,
            format!(
                "{} is in the future (now is {})",
                fmt_time(t),
                fmt_time(now)
            ),
        ));
    }
    Ok(())
}
