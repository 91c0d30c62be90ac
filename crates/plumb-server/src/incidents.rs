//! Incident routes: Alertmanager and generic alert webhooks, incidents and their operations,
//! report documents, and the reporting clocks as Prometheus metrics. The logic is
//! [`plumb_incident::ops`]; this module reads requests, serialises incident operations (one at a
//! time, so two webhooks for the same alert cannot open two incidents), and appends the events
//! with the store key.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use plumb_incident::clock::{Stage, State as DueState};
use plumb_incident::config::Config;
use plumb_incident::event::Event;
use plumb_incident::ops::{self, Ctx, Op, OpenRequest};
use plumb_incident::{alerts, store};
use serde_json::json;

use crate::api::{blocking, json_response, require_json};
use crate::problem::Problem;
use crate::scope::Scope;
use crate::state::{AppState, lock};
use crate::tokens::{Role, TokenRecord};

/// Incident handling, when the server was started with an incident configuration.
pub struct IncidentSetup {
    /// The configuration.
    pub config: Config,
    /// The architecture model it names.
    pub model: Option<plumb_model::Model>,
    /// Incident operations run one at a time.
    pub lock: Mutex<()>,
}

impl IncidentSetup {
    /// Loads the configuration file and its model.
    pub fn load(path: &Path) -> Result<IncidentSetup, String> {
        let config = Config::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let model = match &config.model {
            Some(m) => Some(plumb_model::load(m).map_err(|e| format!("{}: {e}", m.display()))?),
            None => None,
        };
        Ok(IncidentSetup {
            config,
            model,
            lock: Mutex::new(()),
        })
    }
}

/// Maps an incident error: bad input 422, wrong state 409, unknown incident 404.
pub fn problem(e: plumb_incident::Error) -> Problem {
    use plumb_incident::Error as E;
    match e {
        E::Parse { .. } | E::Invalid { .. } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-incident-input",
            e.to_string(),
        ),
        E::State(m) => Problem::new(StatusCode::CONFLICT, "incident-state", m),
        E::NotFound(_) => Problem::not_found(e.to_string()),
        E::Ledger(l) => Problem::from_ledger(l),
    }
}

fn setup(s: &AppState) -> Result<&IncidentSetup, Problem> {
    s.incidents.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "incidents-not-configured",
            "incident handling is not configured: start plumb serve with --incidents FILE (see docs/incidents.md)",
        )
    })
}

fn actor(who: &TokenRecord) -> String {
    format!("{} ({})", who.label, who.role.name())
}

/// Appends events with the store key; returns once all are durable.
fn append(s: &AppState, evs: &[Event]) -> Result<Vec<u64>, Problem> {
    s.append_signed(
        evs.iter()
            .map(|e| (store::statement(e), store::annotations(e))),
    )
    .map_err(Problem::from_ledger)
}

/// Runs the operation `f` with the incident lock, the second connection and a context at the server's
/// clock, and appends the events it produces before the lock is released: the next operation
/// sees them, so two identical webhooks arriving together open one incident, not two.
fn with_ctx<T>(
    s: &AppState,
    who: &TokenRecord,
    f: impl FnOnce(&mut plumb_ledger::Ledger, &Ctx) -> Result<(T, Vec<Event>), Problem>,
) -> Result<(T, Vec<Event>, Vec<u64>), Problem> {
    let setup = setup(s)?;
    let _one = lock(&setup.lock);
    let ctx = Ctx {
        config: &setup.config,
        model: setup.model.as_ref(),
        now: s.now(),
        actor: actor(who),
    };
    // Incident operations read every event of the incidents they touch (alerts: of all of
    // them): through the second connection, so queries and proofs do not wait for them.
    let (out, evs) = s
        .analyse(|l| f(l, &ctx))
        .map_err(|e| Problem::internal_logged(&e))??;
    let entries = append(s, &evs)?;
    Ok((out, evs, entries))
}

/// Opens the incident of a failed server-side watch (`crate::watches`), under the incident
/// lock like every other operation; `None` when incidents are not configured.
pub(crate) fn open_for_watch(
    s: &AppState,
    v: &plumb_records::verification::Verification,
    deployment: Option<&plumb_incident::store::DeploymentRecord>,
    actor: &str,
) -> Result<Option<String>, Problem> {
    let Ok(setup) = setup(s) else {
        return Ok(None);
    };
    let _one = lock(&setup.lock);
    let ctx = Ctx {
        config: &setup.config,
        model: setup.model.as_ref(),
        now: s.now(),
        actor: format!("plumb serve watch started by {actor}"),
    };
    let (id, evs) = s
        .analyse(|l| plumb_resilience::watch::evidence::incident(l, &ctx, v, deployment))
        .map_err(|e| Problem::internal_logged(&e))?
        .map_err(|e| Problem::internal_logged(&e))?;
    append(s, &evs)?;
    Ok(Some(id))
}

/// A recorder (a monitoring system's token) may raise alerts only for its own systems: every
/// alert must name a service it is scoped to.
fn alerts_in_scope(who: &TokenRecord, list: &[alerts::Alert]) -> Result<(), Problem> {
    if who.role != Role::Recorder {
        return Ok(());
    }
    for a in list {
        match &a.service {
            Some(sys) if who.systems.iter().any(|x| x == sys) => {}
            Some(sys) => {
                return Err(Problem::forbidden(format!(
                    "this token may raise alerts for {:?}, not {sys:?} (alert {})",
                    who.systems, a.name
                )));
            }
            None => {
                return Err(Problem::forbidden(format!(
                    "alert {} names no service; a recorder token may raise alerts only for {:?} (label service, app or job)",
                    a.name, who.systems
                )));
            }
        }
    }
    Ok(())
}

async fn ingest(
    s: Arc<AppState>,
    who: TokenRecord,
    headers: HeaderMap,
    body: Bytes,
    parse: fn(&[u8]) -> plumb_incident::Result<Vec<alerts::Alert>>,
) -> Result<Response, Problem> {
    require_json(&headers)?;
    setup(&s)?;
    let list = parse(&body).map_err(problem)?;
    if let Err(p) = alerts_in_scope(&who, &list) {
        crate::authz::refuse(&s, &who, "POST", "/v1/alerts");
        return Err(p);
    }
    blocking(move || {
        let (out, _, entries) = with_ctx(&s, &who, |l, ctx| {
            // The incidents as the cache keeps them: a webhook reads only what was appended
            // since the last request, not every incident event.
            let incidents = lock(&s.incident_cache).all(l).map_err(problem)?;
            let (evs, out) = ops::alerts_among(l, ctx, &list, incidents).map_err(problem)?;
            Ok((out, evs))
        })?;
        Ok(json_response(
            StatusCode::OK,
            json!({"alerts": list.len(), "outcome": out, "entries": entries}),
        ))
    })
    .await
}

/// `POST /v1/alerts/alertmanager`: an Alertmanager webhook (payload version 4).
pub async fn alertmanager(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    ingest(s, who, headers, body, alerts::alertmanager).await
}

/// `POST /v1/alerts`: generic alerts.
pub async fn generic(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    ingest(s, who, headers, body, alerts::generic).await
}

fn view_json(
    setup: &IncidentSetup,
    inc: plumb_incident::event::Incident,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, Problem> {
    let v = ops::view(inc, &setup.config, now).map_err(problem)?;
    serde_json::to_value(&v).map_err(|_| Problem::internal())
}

/// Loads incident `id` if `who` may read it: a reader limited to systems sees an incident only
/// if one of its services is one of them; any other is "not found", like one that does not
/// exist.
pub(crate) fn load_in_scope(
    l: &mut plumb_ledger::Ledger,
    who: &TokenRecord,
    id: &str,
) -> Result<plumb_incident::event::Incident, Problem> {
    let inc = store::load(l, id).map_err(problem)?;
    if !Scope::of(who).allows_any(&inc.services) {
        return Err(Problem::not_found(format!("no incident {id}")));
    }
    Ok(inc)
}

/// `GET /v1/incidents`: every incident the token may read, with its status and deadlines
/// (timelines left out).
pub async fn list(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
) -> Result<Response, Problem> {
    setup(&s)?;
    blocking(move || {
        let setup = setup(&s)?;
        let (all, _) = s.incidents().map_err(|e| Problem::internal_logged(&e))?;
        let now = s.now();
        let scope = Scope::of(&who);
        let mut out = Vec::new();
        for inc in all.into_iter().filter(|i| scope.allows_any(&i.services)) {
            let mut v = view_json(setup, inc, now)?;
            if let Some(o) = v.as_object_mut() {
                o.remove("timeline");
                o.remove("reports");
            }
            out.push(v);
        }
        Ok(json_response(
            StatusCode::OK,
            json!({"now": plumb_incident::error::fmt_time(now), "incidents": out}),
        ))
    })
    .await
}

/// A JSON body of type `T` naming services: 422 when it is not one, 403 when a token limited to
/// systems names none or one outside them.
fn scoped_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    who: &TokenRecord,
    what: &str,
    services: impl Fn(&T) -> &Vec<String>,
) -> Result<T, Problem> {
    require_json(headers)?;
    let v: T = serde_json::from_slice(body).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-incident-input",
            format!("not {what}: {e}"),
        )
    })?;
    let named = services(&v);
    if let Scope::Systems(list) = Scope::of(who)
        && (named.is_empty() || !named.iter().all(|x| list.contains(x)))
    {
        return Err(Problem::forbidden(format!(
            "this token handles {list:?} only: name the affected services among them"
        )));
    }
    Ok(v)
}

/// `POST /v1/incidents`: opens an incident by hand.
pub async fn open(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let req: OpenRequest = scoped_body(&headers, &body, &who, "an incident", |r: &OpenRequest| {
        &r.services
    })?;
    blocking(move || {
        let (id, _, entries) =
            with_ctx(&s, &who, |l, ctx| ops::open(l, ctx, &req).map_err(problem))?;
        Ok(json_response(
            StatusCode::CREATED,
            json!({"id": id, "entries": entries}),
        ))
    })
    .await
}

/// Whether `who` may see and act on incident `i` whole: every service it names is in the
/// token's scope. A recurring group is shown and opened only when all its incidents are.
fn whole(who: &TokenRecord, i: &plumb_incident::event::Incident) -> bool {
    match Scope::of(who) {
        Scope::All => true,
        Scope::Systems(list) => {
            !i.services.is_empty() && i.services.iter().all(|s| list.contains(s))
        }
    }
}

/// Threats listed at most, newest first.
const MAX_THREATS_LISTED: usize = 500;

/// `GET /v1/threats`: recorded cyber threats the token may read, newest first (at most 500).
pub async fn threats(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
) -> Result<Response, Problem> {
    setup(&s)?;
    blocking(move || {
        let scope = Scope::of(&who);
        let list = store::threats(&mut lock(&s.reader), MAX_THREATS_LISTED, |t| {
            scope.allows_any(&t.details.services)
        })
        .map_err(problem)?;
        let items: Vec<serde_json::Value> = list
            .into_iter()
            .map(|(i, t)| {
                let mut v = json!(t);
                v["entry"] = json!(i);
                v
            })
            .collect();
        Ok(json_response(StatusCode::OK, json!({"threats": items})))
    })
    .await
}

/// `POST /v1/threats`: records a cyber threat and, for a significant one, its notification.
/// Recorded under the incident lock, once: the same threat recorded again in the same second
/// (its id is derived from detection, description and time) is refused with 409.
pub async fn record_threat(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let d = scoped_body(
        &headers,
        &body,
        &who,
        "a cyber threat",
        |d: &plumb_incident::threat::ThreatDetails| &d.services,
    )?;
    blocking(move || {
        let setup = setup(&s)?;
        let _one = lock(&setup.lock);
        let ctx = Ctx {
            config: &setup.config,
            model: setup.model.as_ref(),
            now: s.now(),
            actor: actor(&who),
        };
        let rec = ops::record_threat(&ctx, &d).map_err(problem)?;
        if store::threat_exists(&mut lock(&s.reader), &rec.id).map_err(problem)? {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "threat-exists",
                format!("{} is recorded already", rec.id),
            ));
        }
        let entries = s
            .append_signed([(
                store::threat_statement(&rec),
                store::threat_annotations(&rec),
            )])
            .map_err(Problem::from_ledger)?;
        let mut v = json!(rec);
        v["entry"] = json!(entries.first());
        Ok(json_response(StatusCode::CREATED, v))
    })
    .await
}

/// `GET /v1/recurring`: the recurring-incident assessment over the incidents the token reads.
pub async fn recurring(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
) -> Result<Response, Problem> {
    setup(&s)?;
    blocking(move || {
        let setup = setup(&s)?;
        let (all, _) = s.incidents().map_err(|e| Problem::internal_logged(&e))?;
        let ctx = Ctx {
            config: &setup.config,
            model: setup.model.as_ref(),
            now: s.now(),
            actor: actor(&who),
        };
        let v = ops::recurring(&ctx, &all, |i| whole(&who, i)).map_err(problem)?;
        Ok(json_response(StatusCode::OK, json!(v)))
    })
    .await
}

/// `POST /v1/recurring`: opens a major incident for each recurring group not yet opened.
pub async fn open_recurring(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
) -> Result<Response, Problem> {
    setup(&s)?;
    blocking(move || {
        let (ids, _, entries) = with_ctx(&s, &who, |l, ctx| {
            let all = store::all(l).map_err(problem)?;
            ops::open_recurring(ctx, &all, |i| whole(&who, i)).map_err(problem)
        })?;
        let status = if ids.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok(json_response(
            status,
            json!({"opened": ids, "entries": entries}),
        ))
    })
    .await
}

/// `GET /v1/incidents/{id}`: one incident with its timeline, reports and deadlines.
pub async fn show(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, Problem> {
    setup(&s)?;
    blocking(move || {
        let inc = load_in_scope(&mut lock(&s.reader), &who, &id)?;
        Ok(json_response(
            StatusCode::OK,
            view_json(setup(&s)?, inc, s.now())?,
        ))
    })
    .await
}

/// `POST /v1/incidents/{id}`: an operation (`{"op": "classify", ...}`).
pub async fn operate(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    require_json(&headers)?;
    let op: Op = serde_json::from_slice(&body).map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-incident-input",
            format!("not an incident operation: {e}"),
        )
    })?;
    blocking(move || {
        let ((), _, entries) = with_ctx(&s, &who, |l, ctx| {
            // Checked under the incident lock, on the incident as the operation will see it.
            load_in_scope(l, &who, &id)?;
            Ok(((), ops::apply(l, ctx, &id, &op).map_err(problem)?))
        })?;
        let inc = store::load(&mut lock(&s.reader), &id).map_err(problem)?;
        let mut v = view_json(setup(&s)?, inc, s.now())?;
        v["entries"] = json!(entries);
        Ok(json_response(StatusCode::OK, v))
    })
    .await
}

/// `GET /v1/incidents/{id}/reports/{stage}`: the latest generated document, as JSON or (with
/// `?format=html`) as a readable page.
pub async fn report(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    UrlPath((id, stage)): UrlPath<(String, String)>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Problem> {
    let st = Stage::from_name(&stage)
        .ok_or_else(|| Problem::not_found("stage must be initial, intermediate or final"))?;
    blocking(move || {
        let inc = load_in_scope(&mut lock(&s.reader), &who, &id)?;
        let r = inc
            .reports
            .get(&st)
            .and_then(|r| {
                r.document
                    .clone()
                    .map(|d| (d, r.missing.clone(), r.ir.clone()))
            })
            .ok_or_else(|| {
                Problem::not_found(format!("no {} has been generated for {id}", st.title()))
            })?;
        Ok(match q.get("format").map(String::as_str) {
            Some("html") => (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                plumb_incident::report::html(&r.0, &r.1, Some(crate::ui::REPORT_CSS))
                    .map_err(problem)?,
            )
                .into_response(),
            // The authority's document alone, as it is submitted.
            Some("ir") => match r.2 {
                Some(ir) => json_response(StatusCode::OK, ir),
                None => {
                    return Err(Problem::not_found(format!(
                        "the {} of {id} was generated before Plumbline wrote IR documents; generate it again",
                        st.title()
                    )));
                }
            },
            _ => json_response(
                StatusCode::OK,
                json!({"document": r.0, "ir": r.2, "missing": r.1}),
            ),
        })
    })
    .await
}

/// The reporting clocks as Prometheus metrics: seconds to each report not yet submitted
/// (negative when overdue), and counts of due and overdue reports, so alerting can page.
pub fn metrics(s: &AppState) -> String {
    let Some(setup) = s.incidents.as_ref() else {
        return String::new();
    };
    let Ok((all, skipped)) = s.incidents() else {
        return String::new();
    };
    let now = s.now();
    let (mut open, mut due, mut overdue) = (0, 0, 0);
    let mut lines = String::new();
    for inc in all {
        if inc.is_open() {
            open += 1;
        }
        let Ok(v) = ops::view(inc, &setup.config, now) else {
            continue;
        };
        for d in v.deadlines {
            match d.state {
                DueState::Due => due += 1,
                DueState::Overdue => overdue += 1,
                _ => continue,
            }
            lines.push_str(&format!(
                "plumb_incident_report_due_seconds{{incident=\"{}\",stage=\"{}\"}} {}\n",
                v.incident.id,
                d.label(),
                d.seconds_left
            ));
        }
    }
    format!(
        "# HELP plumb_incidents_open Incidents not resolved.\n# TYPE plumb_incidents_open gauge\nplumb_incidents_open {open}\n\
         # HELP plumb_incident_reports_due Regulatory reports due and not yet submitted.\n# TYPE plumb_incident_reports_due gauge\nplumb_incident_reports_due {due}\n\
         # HELP plumb_incident_reports_overdue Regulatory reports past their deadline and not submitted.\n# TYPE plumb_incident_reports_overdue gauge\nplumb_incident_reports_overdue {overdue}\n\
         # HELP plumb_incident_records_skipped Incident records readers pass over (not signed by the store key, undecodable, or not folding); plumb verify lists them.\n# TYPE plumb_incident_records_skipped gauge\nplumb_incident_records_skipped {}\n\
         # HELP plumb_incident_report_due_seconds Seconds until a report is due (negative: overdue).\n# TYPE plumb_incident_report_due_seconds gauge\n{lines}",
        skipped.len()
    )
}
