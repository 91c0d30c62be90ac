//! The incidents pages of the UI: every incident with its next reporting deadline counting
//! down, and one incident with its classification explained, its deadlines explained, the
//! deployments linked to it (with their gate decision, approvers and change), its reports and
//! its timeline, which is read from the ledger. A reader limited to systems sees the incidents
//! of those systems only.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use plumb_incident::clock::{Stage, State as DueState};
use plumb_incident::ops::{self, View};
use plumb_incident::store;

use crate::scope::Scope;
use crate::state::{AppState, lock};
use crate::templates::{message, render};
use crate::tokens::TokenRecord;
use crate::ui::{REPORT_CSS, blocking, decision_before, decision_view, need_login, session};

/// The routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ui/incidents", get(list))
        .route("/ui/incidents/{id}", get(show))
        .route("/ui/incidents/{id}/reports/{stage}", get(report))
        .route(
            "/ui/static/countdown.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript")],
                    include_str!("../static/countdown.js"),
                )
            }),
        )
}

const NOT_CONFIGURED: &str =
    "Incident handling is not configured: start plumb serve with --incidents FILE.";

/// Every incident the reader may see, with its clocks now, and the recurring-incident
/// assessment over them.
fn views(
    s: &AppState,
    scope: &Scope,
    who: &TokenRecord,
) -> Result<(Vec<View>, Value, Vec<Value>), String> {
    let setup = s.incidents.as_ref().ok_or(NOT_CONFIGURED)?;
    let (all, _) = s.incidents()?;
    let threats = s.analyse(|l| {
        store::threats(l, THREATS_SHOWN, |t| scope.allows_any(&t.details.services))
            .map_err(|e| e.to_string())
    })??;
    let threats: Vec<Value> = threats
        .into_iter()
        .map(|(_, mut t)| {
            // The list shows the start of each description; the record holds it all.
            t.details.description = crate::ui::prefix(&t.details.description, 300).to_string();
            json!(t)
        })
        .collect();
    let now = s.now();
    let whole = |i: &plumb_incident::event::Incident| match scope {
        Scope::All => true,
        Scope::Systems(list) => {
            !i.services.is_empty() && i.services.iter().all(|s| list.contains(s))
        }
    };
    let ctx = ops::Ctx {
        config: &setup.config,
        model: setup.model.as_ref(),
        now,
        actor: who.label.clone(),
    };
    // One bad record must not take the incident list with it: the assessment's error is shown
    // in its own section.
    let recurring = ops::recurring(&ctx, &all, whole)
        .map(|v| json!(v))
        .unwrap_or_else(|e| json!({"error": e.to_string()}));
    let views = all
        .into_iter()
        .filter(|i| scope.allows_any(&i.services))
        .map(|i| ops::view(i, &setup.config, now).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((views, recurring, threats))
}

/// Threats shown on the incidents page, newest first.
const THREATS_SHOWN: usize = 50;

/// Incidents on one page of the list.
const PAGE_SIZE: usize = 50;

async fn list(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let scope = Scope::of(&sess.token);
    let scoped = scope != Scope::All;
    let who = sess.token.clone();
    let (vs, recurring, threats) = match blocking(move || views(&s, &scope, &who)).await {
        Ok(v) => v,
        Err(e) => {
            return message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Incidents",
                Some(&sess),
                &e,
                None,
            );
        }
    };
    // Newest first (the store's order); the page's slice only.
    let total = vs.len();
    let incidents: Vec<Value> = vs
        .iter()
        .skip((page - 1).saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .map(|v| {
            let next = v
                .deadlines
                .iter()
                .find(|d| matches!(d.state, DueState::Due | DueState::Overdue))
                .map(|d| {
                    let mut x = json!(d);
                    x["title"] = json!(d.title());
                    x
                });
            json!({
                "id": v.incident.id,
                "title": v.incident.title,
                "status": v.status,
                "classified": v.incident.classification.is_some(),
                "major": v.major,
                "next": next,
            })
        })
        .collect();
    render(
        StatusCode::OK,
        "incidents.html",
        "Incidents",
        Some(&sess),
        json!({
            "incidents": incidents,
            "recurring": recurring,
            "threats": threats,
            "scoped": scoped,
            "total": total,
            "page": page,
            "previous": (page > 1).then(|| page - 1),
            "next": (page * PAGE_SIZE < total).then(|| page + 1),
        }),
    )
}

/// The incident page's values; `Err` carries the status to answer with.
fn incident_context(
    s: &AppState,
    who: &TokenRecord,
    id: &str,
) -> Result<Value, (StatusCode, String)> {
    let setup = s
        .incidents
        .as_ref()
        .ok_or((StatusCode::SERVICE_UNAVAILABLE, NOT_CONFIGURED.to_string()))?;
    let mut l = lock(&s.reader);
    let inc = crate::incidents::load_in_scope(&mut l, who, id)
        .map_err(|p| (StatusCode::NOT_FOUND, p.detail))?;
    let v = ops::view(inc, &setup.config, s.now())
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let i = &v.incident;
    let deadlines: Vec<Value> = v
        .deadlines
        .iter()
        .map(|d| {
            let r = i.reports.get(&d.stage);
            let mut x = json!(d);
            x["title"] = json!(d.title());
            x["stage"] = json!(d.stage.name());
            x["generated"] = json!(r.is_some_and(|r| r.generated.is_some()));
            x["missing"] = json!(r.map_or(0, |r| r.missing.len()));
            x["notices"] = json!(r.map_or(0, |r| r.notices.len()));
            x
        })
        .collect();
    // Deployments of systems outside the reader's scope are not shown, only counted.
    let scope = Scope::of(who);
    let mut links = Vec::new();
    for link in i.links.iter().filter(|k| scope.allows(Some(&k.system))) {
        let decision = link
            .commit
            .as_deref()
            .and_then(|c| decision_before(&mut l, &link.system, c, link.gate_decision, link.entry))
            .and_then(|d| decision_view(&mut l, d));
        let mut x = json!(link);
        x["decision"] = json!(decision);
        links.push(x);
    }
    let timeline: Vec<Value> = i
        .timeline
        .iter()
        .map(|(idx, e)| json!({"index": idx, "recorded_at": e.recorded_at, "event": e.change.name(), "actor": e.actor}))
        .collect();
    let reclassified = i.reclassified.as_ref().map(|(at, why)| {
        json!({
            "at": at,
            "why": why,
            // The authority's IR document, or the fields of a notice recorded before it existed.
            "notice": i.reclassification_notice.as_ref().map(|n| serde_json::to_string_pretty(n.get("ir").unwrap_or(&n["document"])).unwrap_or_default()),
        })
    });
    Ok(json!({
        "i": i,
        "status": v.status,
        "major": v.major,
        "classification": i.classification,
        "reclassified": reclassified,
        "deadlines": deadlines,
        "links": links,
        "timeline": timeline,
    }))
}

async fn show(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let who = sess.token.clone();
    match blocking(move || incident_context(&s, &who, &id)).await {
        Ok(ctx) => render(
            StatusCode::OK,
            "incident.html",
            "Incident",
            Some(&sess),
            ctx,
        ),
        Err((code, e)) => message(code, "Incident", Some(&sess), &e, None),
    }
}

async fn report(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, stage)): Path<(String, String)>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let Some(st) = Stage::from_name(&stage) else {
        return message(
            StatusCode::NOT_FOUND,
            "Report",
            Some(&sess),
            "The stage is initial, intermediate or final.",
            None,
        );
    };
    let who = sess.token.clone();
    let r = blocking(move || {
        let inc = crate::incidents::load_in_scope(&mut lock(&s.reader), &who, &id)
            .map_err(|p| p.detail)?;
        let r = inc
            .reports
            .get(&st)
            .and_then(|r| r.document.as_ref().map(|d| (d.clone(), r.missing.clone())))
            .ok_or_else(|| format!("No {} has been generated for {id}.", st.title()))?;
        plumb_incident::report::html(&r.0, &r.1, Some(REPORT_CSS)).map_err(|e| e.to_string())
    })
    .await;
    match r {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => message(StatusCode::NOT_FOUND, "Report", Some(&sess), &e, None),
    }
}
