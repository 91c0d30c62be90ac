//! What the incident manager (and Alertmanager) can do, shared by the CLI and the server. Each
//! operation reads the incident from the ledger, builds its events, checks them against the
//! incident (so impossible ones are refused), and returns them for the caller to append: the
//! CLI through its local store, the server through its writer.

use chrono::{DateTime, Utc};
use plumb_ledger::Ledger;
use plumb_model::Model;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::alerts::Alert;
use crate::classify::{Assessment, AssessmentRules, ModelFacts, classify};
use crate::clock::{Deadline, Stage, deadlines};
use crate::config::Config;
use crate::error::{Error, Result, fmt_time, parse_time};
use crate::event::{Change, Event, Incident, not_future};
use crate::link::links;
use crate::store;

/// Who and when.
pub struct Ctx<'a> {
    /// Configuration.
    pub config: &'a Config,
    /// The architecture model, if configured.
    pub model: Option<&'a Model>,
    /// The operation's time.
    pub now: DateTime<Utc>,
    /// Who performs it.
    pub actor: String,
}

/// Opening an incident by hand.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// Title.
    pub title: String,
    /// Description (field 2.4); the title when empty.
    #[serde(default)]
    pub description: String,
    /// When the entity became aware (default: now).
    #[serde(default)]
    pub detected_at: Option<String>,
    /// Affected services (pipeline system names).
    #[serde(default)]
    pub services: Vec<String>,
    /// How it was discovered (field 2.7; default `staff`).
    #[serde(default)]
    pub discovery: Option<String>,
    /// Commits or deployment entries named as the cause.
    #[serde(default)]
    pub caused_by: Vec<String>,
}

/// An operation on an existing incident.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Classify under RTS 2024/1772.
    Classify {
        /// The assessment.
        assessment: Assessment,
    },
    /// Reclassify a major incident as non-major (it at no time met the criteria).
    Reclassify {
        /// Why.
        reason: String,
        /// The new assessment.
        assessment: Assessment,
    },
    /// Generate a report document.
    Report {
        /// Which report.
        stage: Stage,
        /// Fields by code that the ledger does not know.
        #[serde(default)]
        details: Map<String, Value>,
    },
    /// Record a submission to the competent authority.
    Submit {
        /// Which report.
        stage: Stage,
        /// When (default: now).
        #[serde(default)]
        submitted_at: Option<String>,
        /// The authority's reference code (field 3.1).
        #[serde(default)]
        authority_reference: Option<String>,
    },
    /// Record that the authority was told a deadline cannot be met.
    Notice {
        /// Which report.
        stage: Stage,
        /// Why.
        reason: String,
    },
    /// Regular activities recovered.
    Mitigate {
        /// When (default: now).
        #[serde(default)]
        at: Option<String>,
    },
    /// Resolved.
    Resolve {
        /// When (default: now).
        #[serde(default)]
        resolved_at: Option<String>,
    },
    /// Root cause addressed.
    RootCause {
        /// The root cause.
        root_cause: String,
        /// When (default: now).
        #[serde(default)]
        addressed_at: Option<String>,
    },
    /// Link deployments named explicitly.
    Link {
        /// Commits (7+ hex characters) or ledger entry numbers.
        caused_by: Vec<String>,
    },
}

fn past_time(field: &str, v: &Option<String>, now: DateTime<Utc>) -> Result<String> {
    match v {
        None => Ok(fmt_time(now)),
        Some(s) => {
            let t = parse_time(field, s)?;
            not_future(field, t, now)?;
            Ok(fmt_time(t))
        }
    }
}

/// Critical or important functions that depend on `services`, and the systems those services
/// depend on (with why), from the model.
pub fn model_facts(
    model: Option<&Model>,
    services: &[String],
) -> (ModelFacts, Vec<(String, String)>) {
    let mut facts = ModelFacts::default();
    let mut affected: Vec<(String, String)> = services
        .iter()
        .map(|s| (s.clone(), "named by the alert".to_string()))
        .collect();
    let Some(m) = model else {
        return (facts, affected);
    };
    let by_service = |svc: &str| {
        m.elements
            .iter()
            .find(|e| plumb_model::dora::service_name(e) == svc || e.id == svc)
    };
    let deps = plumb_model::graph::deps(m);
    let idx = m.index();
    for svc in services {
        let Some(e) = by_service(svc) else {
            continue;
        };
        for imp in plumb_model::graph::impact(m, &e.id) {
            let path: Vec<&str> = imp.path.iter().map(|s| s.name.as_str()).collect();
            let f = format!(
                "{} ({}) via {}",
                imp.name,
                imp.criticality,
                path.join(" -> ")
            );
            if !facts.functions.contains(&f) {
                facts.functions.push(f);
            }
        }
        let mut below: Vec<&str> = deps.closure(e.id.as_str(), None).into_iter().collect();
        below.sort();
        for d in below {
            if let Some(de) = idx.elements.get(d)
                && de.kind == plumb_model::types::ElementType::ApplicationComponent
            {
                let name = plumb_model::dora::service_name(de);
                if !affected.iter().any(|(s, _)| s == &name) {
                    affected.push((
                        name,
                        format!("{svc} depends on it in the architecture model"),
                    ));
                }
            }
        }
    }
    (facts, affected)
}

fn check(inc: &Incident, events: &[Event]) -> Result<()> {
    let mut probe = inc.clone();
    for e in events {
        probe.apply(u64::MAX, e)?;
    }
    Ok(())
}

fn event(ctx: &Ctx, id: &str, change: Change) -> Event {
    Event {
        incident: id.into(),
        recorded_at: fmt_time(ctx.now),
        actor: ctx.actor.clone(),
        change,
    }
}

fn new_id(seed: &str) -> String {
    format!("INC-{}", &store::digest(seed)[..10].to_uppercase())
}

/// Opens an incident by hand. Returns its id and events.
pub fn open(l: &mut Ledger, ctx: &Ctx, req: &OpenRequest) -> Result<(String, Vec<Event>)> {
    if req.title.trim().is_empty() || req.title.len() > 500 {
        return Err(Error::invalid("title", "must be 1 to 500 characters"));
    }
    let detected = past_time("detected_at", &req.detected_at, ctx.now)?;
    let discovery = req.discovery.clone().unwrap_or_else(|| "staff".into());
    // Field 2.7 is an enumeration: refuse a bad value now, not at report time.
    crate::report::check_value("2.7", &Value::String(discovery.clone()))?;
    let id = new_id(&format!(
        "manual\0{}\0{detected}\0{}",
        req.title,
        fmt_time(ctx.now)
    ));
    if !store::events(l, &id)?.is_empty() {
        return Err(Error::State(format!("{id} exists already")));
    }
    let mut evs = vec![event(
        ctx,
        &id,
        Change::Opened {
            title: req.title.clone(),
            description: if req.description.is_empty() {
                req.title.clone()
            } else {
                req.description.clone()
            },
            detected_at: detected.clone(),
            services: req.services.clone(),
            discovery,
            alerts: vec![],
            recurring: None,
        },
    )];
    let inc = crate::event::fold(&[(0, evs[0].clone())])?;
    evs.extend(link_events(l, ctx, &inc, &req.caused_by)?);
    Ok((id, evs))
}

fn link_events(l: &mut Ledger, ctx: &Ctx, inc: &Incident, named: &[String]) -> Result<Vec<Event>> {
    let deps = store::deployments(l)?;
    let (_, affected) = model_facts(ctx.model, &inc.services);
    let mut named: Vec<String> = named.to_vec();
    for a in &inc.alerts {
        if let Some(c) = &a.alert.commit
            && !named.contains(c)
        {
            named.push(c.clone());
        }
    }
    let found = links(&deps, &inc.detected_at, &named, &affected);
    let new: Vec<_> = found
        .into_iter()
        .filter(|x| !inc.links.iter().any(|y| y.entry == x.entry))
        .collect();
    Ok(if new.is_empty() {
        vec![]
    } else {
        vec![event(ctx, &inc.id, Change::Linked { links: new })]
    })
}

/// Performs `op` on incident `id`; returns the events to append (checked).
pub fn apply(l: &mut Ledger, ctx: &Ctx, id: &str, op: &Op) -> Result<Vec<Event>> {
    let inc = store::load(l, id)?;
    let now = ctx.now;
    let evs = match op {
        Op::Classify { assessment } | Op::Reclassify { assessment, .. } => {
            // Amounts settled for the reporting currency before anything is judged or recorded.
            let assessment = &assessment.in_currency(&ctx.config.entity.currency)?;
            let (facts, _) = model_facts(ctx.model, &inc.services);
            let detected = parse_time("detected_at", &inc.detected_at)?;
            let resolved = inc
                .resolved_at
                .as_deref()
                .map(|s| parse_time("resolved_at", s))
                .transpose()?;
            if let Some(at) = assessment.assessed_at.as_deref() {
                let at = past_time("assessed_at", &Some(at.to_string()), now)?;
                if parse_time("assessed_at", &at)? < detected {
                    return Err(Error::invalid(
                        "assessed_at",
                        format!(
                            "{at} is before the incident was detected ({})",
                            inc.detected_at
                        ),
                    ));
                }
            }
            let result = classify(assessment, &facts, detected, resolved, now)?;
            match op {
                Op::Reclassify { reason, .. } => {
                    if reason.trim().is_empty() {
                        return Err(Error::invalid(
                            "reason",
                            "say why the incident at no time met the criteria (ITS 2025/302 Art. 5)",
                        ));
                    }
                    let mut ev = event(
                        ctx,
                        id,
                        Change::Reclassified {
                            reason: reason.clone(),
                            assessment: assessment.clone(),
                            result,
                            notice: None,
                        },
                    );
                    // The notice is the template as it stands after reclassification.
                    let mut after = inc.clone();
                    after.apply(u64::MAX, &ev)?;
                    let details: Map<String, Value> =
                        [("2.10".to_string(), Value::String(reason.clone()))]
                            .into_iter()
                            .collect();
                    let r = crate::report::build_for(
                        Stage::Initial,
                        &after,
                        ctx.config,
                        &details,
                        &fmt_time(now),
                    )?;
                    if let Change::Reclassified { notice, .. } = &mut ev.change {
                        *notice = Some(
                            serde_json::json!({"document": r.document, "ir": r.ir, "missing": r.missing}),
                        );
                    }
                    vec![ev]
                }
                _ => vec![event(
                    ctx,
                    id,
                    Change::Classified {
                        assessment: assessment.clone(),
                        model: facts,
                        result,
                    },
                )],
            }
        }
        Op::Report { stage, details } => {
            // Check the stage first so the error says what is wrong, not what is missing.
            inc.require_stage_open(*stage)?;
            let r = crate::report::build_for(*stage, &inc, ctx.config, details, &fmt_time(now))?;
            vec![event(
                ctx,
                id,
                Change::ReportGenerated {
                    stage: *stage,
                    report: r.document,
                    missing: r.missing,
                    ir: Some(r.ir),
                    ir_version: Some(r.ir_version),
                },
            )]
        }
        Op::Submit {
            stage,
            submitted_at,
            authority_reference,
        } => vec![event(
            ctx,
            id,
            Change::ReportSubmitted {
                stage: *stage,
                submitted_at: past_time("submitted_at", submitted_at, now)?,
                authority_reference: authority_reference.clone(),
            },
        )],
        Op::Notice { stage, reason } => {
            if reason.trim().is_empty() {
                return Err(Error::invalid(
                    "reason",
                    "the authority must be told why (RTS 2025/301 Art. 5(3))",
                ));
            }
            // Art. 5(3): the authority is told that a deadline cannot be met before it passes;
            // afterwards the report is simply late.
            let ds = deadlines(
                &inc.times(),
                &ctx.config.profile()?,
                &ctx.config.holidays,
                now,
            )?;
            crate::clock::notice_allowed(&ds, *stage)?;
            vec![event(
                ctx,
                id,
                Change::DeadlineNotice {
                    stage: *stage,
                    reason: reason.clone(),
                },
            )]
        }
        Op::Mitigate { at } => vec![event(
            ctx,
            id,
            Change::Mitigated {
                at: past_time("at", at, now)?,
            },
        )],
        Op::Resolve { resolved_at } => vec![event(
            ctx,
            id,
            Change::Resolved {
                resolved_at: past_time("resolved_at", resolved_at, now)?,
            },
        )],
        Op::RootCause {
            root_cause,
            addressed_at,
        } => {
            if root_cause.trim().is_empty() {
                return Err(Error::invalid("root_cause", "must not be empty"));
            }
            vec![event(
                ctx,
                id,
                Change::RootCauseAddressed {
                    addressed_at: past_time("addressed_at", addressed_at, now)?,
                    root_cause: root_cause.clone(),
                },
            )]
        }
        Op::Link { caused_by } => {
            let evs = link_events(l, ctx, &inc, caused_by)?;
            if evs.is_empty() {
                return Err(Error::State(format!(
                    "no production deployment before {} matches {}",
                    inc.detected_at,
                    caused_by.join(", ")
                )));
            }
            evs
        }
    };
    check(&inc, &evs)?;
    Ok(evs)
}

/// What a batch of alerts did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AlertOutcome {
    /// Incidents opened.
    pub opened: Vec<String>,
    /// Alerts attached to open incidents.
    pub attached: Vec<String>,
    /// Alerts already known (repeated notifications).
    pub duplicates: Vec<String>,
    /// Alerts resolved.
    pub resolved: Vec<String>,
    /// Incidents whose alerts have all resolved (mitigated).
    pub mitigated: Vec<String>,
    /// Resolved alerts for which no incident exists (nothing to do).
    pub ignored: Vec<String>,
}

/// Turns alerts into incident events: a new firing alert joins the open incident of its
/// notification group or opens one; a known alert is a duplicate; a resolved alert marks its
/// incident mitigated once all its alerts are resolved. Resolved alerts never open incidents.
pub fn alerts(l: &mut Ledger, ctx: &Ctx, list: &[Alert]) -> Result<(Vec<Event>, AlertOutcome)> {
    let incidents = store::all(l)?;
    alerts_among(l, ctx, list, incidents)
}

/// [`alerts`] against `incidents`, every incident as the log makes them now (a server keeps
/// them in an [`crate::cache::IncidentCache`] instead of reading every event per webhook).
pub fn alerts_among(
    l: &mut Ledger,
    ctx: &Ctx,
    list: &[Alert],
    mut incidents: Vec<Incident>,
) -> Result<(Vec<Event>, AlertOutcome)> {
    let mut out = AlertOutcome::default();
    let mut evs: Vec<Event> = Vec::new();
    // An alert is the same alert only with the same key and the same service: a sender scoped
    // to one service cannot resolve or join another service's incident by repeating its key.
    let find = |incs: &[Incident], a: &Alert| {
        incs.iter().position(|i| {
            i.alerts
                .iter()
                .any(|x| x.alert.key == a.key && x.alert.service == a.service)
        })
    };
    for a in list {
        match (find(&incidents, a), a.firing) {
            (Some(_), true) => out.duplicates.push(a.key.clone()),
            (Some(i), false) => {
                let inc = &mut incidents[i];
                let st = inc
                    .alerts
                    .iter()
                    .find(|x| x.alert.key == a.key && x.alert.service == a.service)
                    .expect("found");
                if st.resolved_at.is_some() {
                    out.duplicates.push(a.key.clone());
                    continue;
                }
                let ends = a.ends_at.clone().expect("resolved alerts carry an end");
                let e = event(
                    ctx,
                    &inc.id,
                    Change::AlertResolved {
                        key: a.key.clone(),
                        ends_at: ends,
                    },
                );
                inc.apply(u64::MAX, &e)?;
                evs.push(e);
                out.resolved.push(a.key.clone());
                if inc.mitigated_at.is_none() && inc.alerts.iter().all(|x| x.resolved_at.is_some())
                {
                    let at = inc
                        .alerts
                        .iter()
                        .filter_map(|x| x.resolved_at.clone())
                        .max()
                        .expect("resolved");
                    let at = if at < inc.detected_at {
                        inc.detected_at.clone()
                    } else {
                        at
                    };
                    let e = event(ctx, &inc.id, Change::Mitigated { at });
                    inc.apply(u64::MAX, &e)?;
                    evs.push(e);
                    out.mitigated.push(inc.id.clone());
                }
            }
            (None, false) => out.ignored.push(a.key.clone()),
            (None, true) => {
                let group = incidents.iter().position(|i| {
                    i.is_open()
                        && a.group.is_some()
                        && i.alerts
                            .iter()
                            .any(|x| x.alert.group == a.group && x.alert.service == a.service)
                });
                if let Some(gi) = group {
                    let inc = &mut incidents[gi];
                    let e = event(ctx, &inc.id, Change::AlertAttached { alert: a.clone() });
                    inc.apply(u64::MAX, &e)?;
                    evs.push(e);
                    out.attached.push(a.key.clone());
                    continue;
                }
                // The service is part of the seed: the same key from another service is another
                // incident, never a second opening of this one.
                let id = new_id(&format!(
                    "{}\u{0}{}",
                    a.service.as_deref().unwrap_or(""),
                    a.key
                ));
                let services: Vec<String> = a.service.iter().cloned().collect();
                let e = event(
                    ctx,
                    &id,
                    Change::Opened {
                        title: a.summary.clone(),
                        description: format!(
                            "{} alert {} ({}){}: {}",
                            a.source,
                            a.name,
                            a.severity.as_deref().unwrap_or("no severity"),
                            a.service
                                .as_deref()
                                .map(|s| format!(" on {s}"))
                                .unwrap_or_default(),
                            a.summary
                        ),
                        detected_at: a.starts_at.clone(),
                        services,
                        discovery: "monitoring_systems".into(),
                        alerts: vec![a.clone()],
                        recurring: None,
                    },
                );
                let inc = crate::event::fold(&[(u64::MAX, e.clone())])?;
                evs.push(e);
                evs.extend(link_events(l, ctx, &inc, &[])?);
                out.opened.push(id);
                incidents.push(inc);
            }
        }
    }
    Ok((evs, out))
}

/// An incident with its clocks at `now`, as `show` and `list` present it.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// The incident.
    #[serde(flatten)]
    pub incident: Incident,
    /// `open`, `mitigated` or `resolved`.
    pub status: &'static str,
    /// Major now.
    pub major: bool,
    /// Reporting deadlines.
    pub deadlines: Vec<Deadline>,
}

/// The view of `inc` at `now`.
pub fn view(inc: Incident, config: &Config, now: DateTime<Utc>) -> Result<View> {
    let d = deadlines(&inc.times(), &config.profile()?, &config.holidays, now)?;
    Ok(View {
        status: if inc.resolved_at.is_some() {
            "resolved"
        } else if inc.mitigated_at.is_some() {
            "mitigated"
        } else {
            "open"
        },
        major: inc.is_major(),
        deadlines: d,
        incident: inc,
    })
}

/// The monthly recurring-incident assessment (RTS 2024/1772 Art. 8(2)) at `ctx.now`, as one
/// reader may see it.
#[derive(Debug, Clone, Serialize)]
pub struct RecurringView {
    /// Whether the rule applies to the entity (not to microenterprises nor the other entities
    /// of DORA Art. 16(1)).
    pub applies: bool,
    /// Start of the six-month window.
    pub since: String,
    /// Groups that are major together and not yet reported.
    pub groups: Vec<crate::recurring::Recurring>,
    /// The recurring incidents already opened, with the incidents each aggregates.
    pub opened: Vec<OpenedRecurring>,
    /// Groups that could not be assessed, with the reason.
    pub unassessed: Vec<crate::recurring::Unassessed>,
    /// Groups involving incidents the reader may not see whole (counted, not shown).
    pub hidden: usize,
    /// Non-major incidents left out because no apparent root cause is recorded.
    pub without_root_cause: Vec<String>,
}

/// A recurring incident already opened.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedRecurring {
    /// Its id.
    pub id: String,
    /// The shared root cause.
    pub root_cause: String,
    /// The incidents it aggregates.
    pub incidents: Vec<String>,
}

/// Assesses recurrence over every incident at `ctx.now`. Incidents already aggregated in an
/// opened recurring incident are not counted again, so none is reported twice. `whole` says
/// whether the reader may see (and act on) an incident whole: a group is shown only when all of
/// its incidents are, so a reader limited to some systems neither sees nor opens a group that
/// reaches into others.
pub fn recurring(
    ctx: &Ctx,
    incidents: &[Incident],
    whole: impl Fn(&Incident) -> bool,
) -> Result<RecurringView> {
    let aggregated: Vec<&str> = incidents
        .iter()
        .filter_map(|i| i.recurring.as_ref())
        .flat_map(|r| r.incidents.iter().map(String::as_str))
        .collect();
    let pending: Vec<Incident> = incidents
        .iter()
        .filter(|i| !aggregated.contains(&i.id.as_str()))
        .cloned()
        .collect();
    let (cands, without_root_cause) =
        crate::recurring::candidates(&pending, |services| model_facts(ctx.model, services).0);
    let applies = ctx.config.entity.recurring_rule_applies();
    let (all_groups, unassessed) = crate::recurring::assess(&cands, ctx.now, applies)?;
    let is_whole = |id: &str| incidents.iter().any(|i| i.id == id && whole(i));
    let (groups, hidden): (Vec<_>, Vec<_>) = all_groups
        .into_iter()
        .partition(|g| g.incidents.iter().all(|id| is_whole(id)));
    let opened = incidents
        .iter()
        .filter(|i| whole(i))
        .filter_map(|i| {
            i.recurring.as_ref().map(|r| OpenedRecurring {
                id: i.id.clone(),
                root_cause: r.root_cause.clone(),
                incidents: r.incidents.clone(),
            })
        })
        .collect();
    let since = ctx
        .now
        .checked_sub_months(chrono::Months::new(
            plumb_dora::incident::RECURRING_WINDOW_MONTHS,
        ))
        .unwrap_or(ctx.now);
    Ok(RecurringView {
        applies,
        since: fmt_time(since),
        groups,
        opened,
        unassessed: unassessed
            .into_iter()
            .filter(|u| u.incidents.iter().all(|id| is_whole(id)))
            .collect(),
        hidden: hidden.len(),
        without_root_cause: without_root_cause
            .into_iter()
            .filter(|id| is_whole(id))
            .collect(),
    })
}

/// Opens one major incident for each group not yet opened: detected when the last of its
/// incidents was (field 2.2, ITS 2025/302 Art. 3), classified with the group's assessment at
/// `ctx.now` (which starts the reporting clocks), its root cause the shared one. Returns the
/// new ids and their events (checked).
pub fn open_recurring(
    ctx: &Ctx,
    incidents: &[Incident],
    whole: impl Fn(&Incident) -> bool,
) -> Result<(Vec<String>, Vec<Event>)> {
    let view = recurring(ctx, incidents, whole)?;
    let mut ids = Vec::new();
    let mut evs = Vec::new();
    for g in view.groups {
        let id = new_id(&format!("recurring\0{}", g.incidents.join("\0")));
        if incidents.iter().any(|i| i.id == id) {
            // Opened already (by another process): never open an incident twice.
            continue;
        }
        let mut assessment = g.assessment.clone();
        assessment.assessed_at = Some(fmt_time(ctx.now));
        let opened = event(
            ctx,
            &id,
            Change::Opened {
                title: format!("Recurring incidents: {}", g.root_cause),
                description: format!(
                    "{} non-major incidents with the same apparent root cause ({}) within six months, major together (RTS 2024/1772 Art. 8(2)): {}",
                    g.incidents.len(),
                    g.root_cause,
                    g.incidents.join(", ")
                ),
                detected_at: g.last_detected_at.clone(),
                services: g.services.clone(),
                discovery: g.discovery.clone(),
                alerts: vec![],
                recurring: Some(crate::event::RecurringOrigin {
                    incidents: g.incidents.clone(),
                    root_cause: g.root_cause.clone(),
                    occurrences: g.occurrences.clone(),
                }),
            },
        );
        let classified = event(
            ctx,
            &id,
            Change::Classified {
                assessment,
                model: g.model.clone(),
                result: g.classification.clone(),
            },
        );
        let pair = vec![opened, classified];
        let indexed: Vec<(u64, Event)> = pair.iter().cloned().map(|e| (u64::MAX, e)).collect();
        crate::event::fold(&indexed)?;
        ids.push(id);
        evs.extend(pair);
    }
    Ok((ids, evs))
}

/// Records a cyber threat: its details checked, the Art. 10 test applied and, when the threat
/// is significant, the voluntary notification written in the CYB structure and checked (a
/// notification that breaks a rule is refused, naming it). Returns the record to append.
pub fn record_threat(
    ctx: &Ctx,
    d: &plumb_records::threat::ThreatDetails,
) -> Result<plumb_records::threat::ThreatRecord> {
    let detected = past_time("detected_at", &Some(d.detected_at.clone()), ctx.now)?;
    for (field, v) in [
        ("description", &d.description),
        ("potential_impact", &d.potential_impact),
        ("actions_taken", &d.actions_taken),
    ] {
        if v.trim().is_empty() {
            return Err(Error::invalid(
                field,
                "is required (fields 13, 14 and 17 of the notification)",
            ));
        }
    }
    if d.criteria.is_empty() {
        return Err(Error::invalid(
            "criteria",
            "name the classification criteria it could have met had it materialised (field 15)",
        ));
    }
    // The notification's text fields are at most 32,767 characters (the template's limit);
    // the record keeps to it whether or not a notification is written.
    for (field, v) in [
        ("description", Some(&d.description)),
        ("potential_impact", Some(&d.potential_impact)),
        ("actions_taken", Some(&d.actions_taken)),
        ("stakeholders_notified", d.stakeholders_notified.as_ref()),
        (
            "indicators_of_compromise",
            d.indicators_of_compromise.as_ref(),
        ),
        ("other_information", d.other_information.as_ref()),
    ] {
        if v.is_some_and(|v| v.chars().count() > 32_767) {
            return Err(Error::invalid(field, "is longer than 32,767 characters"));
        }
    }
    if d.criteria.len() > 7 || d.services.len() > 50 || d.services.iter().any(|s| s.len() > 200) {
        return Err(Error::invalid(
            "criteria/services",
            "at most the 7 criteria, and at most 50 services of at most 200 characters",
        ));
    }
    crate::report::check_value("2.5", &serde_json::json!(d.criteria))
        .map_err(|e| Error::invalid("criteria", e.to_string()))?;
    let result = crate::threat::assess(&d.test);
    let mut details = d.clone();
    details.detected_at = detected.clone();
    let notification = if result.significant {
        let doc = crate::ir::cyb::document(&details, &ctx.config.entity);
        let broken = crate::ir::cyb::check(&doc);
        if !broken.is_empty() {
            return Err(Error::invalid(
                "notification",
                broken
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        Some(doc)
    } else {
        None
    };
    Ok(plumb_records::threat::ThreatRecord {
        id: format!(
            "CYB-{}",
            &store::digest(&format!(
                "{detected}\0{}\0{}",
                d.description,
                fmt_time(ctx.now)
            ))[..10]
                .to_uppercase()
        ),
        recorded_at: fmt_time(ctx.now),
        actor: ctx.actor.clone(),
        details,
        significant: result.significant,
        explanation: result.explanation,
        notification,
    })
}
