//! The incidents pages of the UI: every incident with its next reporting deadline counting
//! down, and one incident with its classification explained, its deadlines explained, the
//! deployments linked to it (with their gate decision, approvers and change), its reports and
//! its timeline, which is read from the ledger.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use plumb_incident::clock::{Deadline, Stage, State as DueState};
use plumb_incident::ops::{self, View};
use plumb_incident::store;

use crate::state::AppState;
use crate::state::lock;
use crate::ui::{
    approvals_of, blocking, decision_before, esc, need_login, page, predicate, refusal,
    result_badge, session,
};

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

const SCRIPT: &str = "<script src=\"/ui/static/countdown.js\"></script>";

fn countdown(d: &Deadline) -> String {
    match d.state {
        DueState::Submitted => format!(
            "<span>submitted {}</span>",
            esc(d.submitted_at.as_deref().unwrap_or(""))
        ),
        DueState::SubmittedLate => format!(
            "<span class=\"bad\">submitted late, {}</span>",
            esc(d.submitted_at.as_deref().unwrap_or(""))
        ),
        DueState::Due => format!(
            "<span class=\"countdown due\" data-due=\"{}\">due in {} min</span>",
            esc(&d.due_at),
            d.seconds_left / 60
        ),
        DueState::Overdue => format!(
            "<span class=\"countdown overdue\" data-due=\"{}\">OVERDUE by {} min</span>",
            esc(&d.due_at),
            -d.seconds_left / 60
        ),
    }
}

fn views(s: &AppState) -> Result<Vec<View>, String> {
    let setup = s
        .incidents
        .as_ref()
        .ok_or("Incident handling is not configured: start plumb serve with --incidents FILE.")?;
    let all = store::all(&mut lock(&s.reader)).map_err(|e| e.to_string())?;
    let now = Utc::now();
    all.into_iter()
        .map(|i| ops::view(i, &setup.config, now).map_err(|e| e.to_string()))
        .collect()
}

async fn list(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let r = blocking(move || views(&s)).await;
    let vs = match r {
        Ok(v) => v,
        Err(e) => {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "Incidents",
                Some(&sess),
                &esc(&e),
            );
        }
    };
    let mut h = String::from(
        "<p>Every ICT-related incident, classified under RTS 2024/1772, with the reporting deadlines of RTS 2025/301 Art. 5 counting down.</p>",
    );
    if vs.is_empty() {
        h.push_str("<p>No incidents recorded.</p>");
    } else {
        h.push_str("<table><tr><th>incident</th><th>title</th><th>status</th><th>classification</th><th>next report</th></tr>");
        for v in &vs {
            let i = &v.incident;
            let class = match (&i.classification, v.major) {
                (None, _) => "unclassified".to_string(),
                (Some(_), true) => "<span class=\"major\">MAJOR</span>".into(),
                (Some(_), false) => "not major".into(),
            };
            let next = v
                .deadlines
                .iter()
                .find(|d| matches!(d.state, DueState::Due | DueState::Overdue))
                .map(|d| {
                    format!(
                        "{}: {} <br><small>{}</small>",
                        d.stage.title(),
                        countdown(d),
                        esc(&d.due_local)
                    )
                })
                .unwrap_or_else(|| "-".into());
            h.push_str(&format!(
                "<tr><td><a href=\"/ui/incidents/{}\">{}</a></td><td>{}</td><td>{}</td><td>{class}</td><td>{next}</td></tr>",
                esc(&i.id),
                esc(&i.id),
                esc(&i.title),
                v.status
            ));
        }
        h.push_str("</table>");
    }
    h.push_str(SCRIPT);
    page("Incidents", Some(&sess), &h).into_response()
}

/// The gate decision, approvers and change of a linked deployment.
fn deployment_card(l: &mut plumb_ledger::Ledger, link: &plumb_incident::link::Link) -> String {
    let mut h = format!(
        "<div class=\"card\"><p><a href=\"/ui/deployments/{}\">Deployment entry {}</a>: <strong>{}</strong>, commit <code>{}</code>, change {}, deployed {} — linked <strong>{}</strong>: {}</p>",
        link.entry,
        link.entry,
        esc(&link.system),
        esc(link.commit.as_deref().unwrap_or("-")),
        esc(link.change_id.as_deref().unwrap_or("-")),
        esc(&link.deployed_at),
        esc(&link.method),
        esc(&link.reason)
    );
    let decision = link
        .commit
        .as_deref()
        .and_then(|c| decision_before(l, &link.system, c, link.gate_decision, link.entry));
    match decision.and_then(|d| predicate(l, d).map(|x| (d, x))) {
        None => h.push_str("<p class=\"bad\">No gate decision was recorded for this commit.</p>"),
        Some((d, (e, p))) => {
            h.push_str(&format!(
                "<p>Gate decision {} (<a href=\"/ui/entries/{d}\">entry {d}</a>).</p>",
                result_badge(p["result"].as_str().unwrap_or(""))
            ));
            let approvals = approvals_of(l, &e).map(|x| x.1).unwrap_or_default();
            if approvals.is_empty() {
                h.push_str("<p class=\"bad\">No approvals were given to the gate.</p>");
            } else {
                let who: Vec<String> = approvals
                    .iter()
                    .map(|a| format!("{} ({})", esc(&a.by), esc(&a.roles.join(", "))))
                    .collect();
                h.push_str(&format!("<p>Approved by {}.</p>", who.join(", ")));
            }
        }
    }
    h.push_str("</div>");
    h
}

async fn show(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let r = blocking(move || -> Result<String, (StatusCode, String)> {
        let setup = s.incidents.as_ref().ok_or((StatusCode::SERVICE_UNAVAILABLE, "Incident handling is not configured.".to_string()))?;
        let mut l = lock(&s.reader);
        let inc = store::load(&mut l, &id).map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))?;
        let v = ops::view(inc, &setup.config, Utc::now()).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let i = &v.incident;
        let mut h = format!(
            "<div class=\"card\"><p><strong>{}</strong> — {}</p><p>Status <strong>{}</strong>; detected {}; services {}; discovered by {}.</p>{}</div>",
            esc(&i.id),
            esc(&i.title),
            v.status,
            esc(&i.detected_at),
            esc(&i.services.join(", ")),
            esc(&i.discovery),
            esc(&i.description)
        );
        h.push_str("<h2>Classification (RTS 2024/1772)</h2>");
        match &i.classification {
            None => h.push_str("<p>Not classified yet.</p>"),
            Some(c) => {
                h.push_str(&format!("<p>{}</p><ul class=\"explain\">", if v.major { "<span class=\"major\">MAJOR</span>" } else { "Not major" }));
                for line in &c.explanation {
                    h.push_str(&format!("<li>{}</li>", esc(line)));
                }
                h.push_str("</ul>");
            }
        }
        if let Some((at, why)) = &i.reclassified {
            h.push_str(&format!("<p>Reclassified as non-major at {}: {} (ITS 2025/302 Art. 5).</p>", esc(at), esc(why)));
            if let Some(n) = &i.reclassification_notice {
                h.push_str(&format!("<details><summary>Notice to the authority (type of submission: major incident reclassified as non-major)</summary><pre>{}</pre></details>", esc(&serde_json::to_string_pretty(&n["document"]).unwrap_or_default())));
            }
        }
        h.push_str("<h2>Reports (RTS 2025/301 Art. 5)</h2>");
        if v.deadlines.is_empty() {
            h.push_str("<p>No report is due: the incident is not (or no longer) classified as major.</p>");
        } else {
            h.push_str("<table><tr><th>report</th><th>due</th><th>state</th><th>why</th><th>document</th></tr>");
            for d in &v.deadlines {
                let doc = i.reports.get(&d.stage).filter(|r| r.generated.is_some()).map(|r| {
                    format!(
                        "<a href=\"/ui/incidents/{}/reports/{}\">view</a>{}",
                        esc(&i.id),
                        d.stage.name(),
                        if r.missing.is_empty() { String::new() } else { format!(" <span class=\"bad\">{} field(s) missing</span>", r.missing.len()) }
                    )
                });
                let notices = i.reports.get(&d.stage).map_or(0, |r| r.notices.len());
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}{}</td><td><ul class=\"explain\">{}</ul></td><td>{}</td></tr>",
                    d.stage.title(),
                    esc(&d.due_local),
                    esc(&d.due_at),
                    countdown(d),
                    if notices > 0 { "<br><small>authority told the deadline cannot be met</small>" } else { "" },
                    d.explanation.iter().map(|x| format!("<li>{}</li>", esc(x))).collect::<String>(),
                    doc.unwrap_or_else(|| "not generated".into())
                ));
            }
            h.push_str("</table>");
        }
        h.push_str("<h2>Deployments that may have caused it</h2>");
        if i.links.is_empty() {
            h.push_str("<p>No production deployment linked.</p>");
        }
        for link in &i.links {
            h.push_str(&deployment_card(&mut l, link));
        }
        h.push_str("<h2>Timeline (from the ledger)</h2><table><tr><th>entry</th><th>recorded</th><th>event</th><th>by</th></tr>");
        for (idx, e) in &i.timeline {
            h.push_str(&format!(
                "<tr><td><a href=\"/ui/entries/{idx}\">{idx}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.recorded_at),
                esc(e.change.name()),
                esc(&e.actor)
            ));
        }
        h.push_str("</table>");
        h.push_str(SCRIPT);
        Ok(h)
    })
    .await;
    match r {
        Ok(b) => page("Incident", Some(&sess), &b).into_response(),
        Err((code, e)) => refusal(code, "Incident", Some(&sess), &esc(&e)),
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
        return refusal(
            StatusCode::NOT_FOUND,
            "Report",
            Some(&sess),
            "The stage is initial, intermediate or final.",
        );
    };
    let r = blocking(move || {
        let inc = store::load(&mut lock(&s.reader), &id).map_err(|e| e.to_string())?;
        inc.reports
            .get(&st)
            .and_then(|r| {
                r.document
                    .as_ref()
                    .map(|d| plumb_incident::report::html(d, &r.missing))
            })
            .ok_or_else(|| format!("No {} has been generated for {id}.", st.title()))
    })
    .await;
    match r {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => refusal(StatusCode::NOT_FOUND, "Report", Some(&sess), &esc(&e)),
    }
}
