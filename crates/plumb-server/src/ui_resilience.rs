//! The Resilience page of the UI: every critical or important function of the recorded model
//! with the state of its resilience tests (the last one that decides, its measured recovery
//! against the RTO, overdue ones marked), and the latest post-deployment watch of each system
//! it depends on. The same judgement as `plumb resilience status` (`plumb_model::resilience`),
//! over the tests and verifications the store key signed and the reader may see.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use crate::scope::Scope;
use crate::state::AppState;
use crate::templates::{message, render};
use crate::ui::{blocking, need_login, session};

/// How old a passed test may be by default (DORA Art. 24(6): at least yearly).
const DEFAULT_MAX_AGE_DAYS: i64 = 365;

/// The routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/ui/resilience", get(resilience))
}

fn context(s: &AppState, scope: &Scope, max_age_days: i64) -> Result<Value, String> {
    let (model_entry, model) = crate::ui::reference_model(s, scope)?;
    let profiles = plumb_model::dora::system_profiles(&model);
    // Every recorded test is read: through the second connection, not under the reader's lock.
    let (tests, latest_watch) = s.analyse(|l| -> Result<_, String> {
        let tests = plumb_resilience::tests::recorded(l).map_err(|e| e.to_string())?;
        // The latest watch of each system of the model the reader may see.
        let mut latest = HashMap::new();
        for sys in profiles.keys().filter(|x| scope.allows(Some(x))) {
            if let Some(w) = plumb_resilience::watch::evidence::latest_of_system(l, sys)
                .map_err(|e| e.to_string())?
            {
                latest.insert(sys.clone(), w);
            }
        }
        Ok((tests, latest))
    })??;
    // A scoped reader sees the tests of its systems only.
    let tests: Vec<_> = tests
        .into_iter()
        .filter(|(_, t)| t.systems.iter().any(|x| scope.allows(Some(x))))
        .collect();
    let by_entry: HashMap<u64, &plumb_records::resilience::ResilienceTest> =
        tests.iter().map(|(i, t)| (*i, t)).collect();
    let status = plumb_model::resilience::status(&model, &tests, s.now(), max_age_days);
    let mut rows = Vec::new();
    for f in &status {
        let test = f.test.and_then(|i| by_entry.get(&i).map(|t| (i, *t)));
        let systems: Vec<Value> = profiles
            .keys()
            .filter(|sys| {
                model.elements.iter().any(|e| {
                    e.kind == plumb_model::types::ElementType::ApplicationComponent
                        && &plumb_model::dora::service_name(e) == *sys
                        && plumb_model::graph::impact(&model, &e.id)
                            .iter()
                            .any(|x| x.function == f.function)
                })
            })
            .map(|sys| {
                let w = latest_watch.get(sys.as_str()).map(|(i, v)| (i, v));
                json!({
                    "system": sys,
                    "visible": scope.allows(Some(sys)),
                    "watch": w.map(|(i, v)| json!({"entry": i, "verdict": v.verdict, "ended_at": v.ended_at, "deployment": v.deployment})),
                })
            })
            .collect();
        let hidden = systems.iter().filter(|x| x["visible"] == false).count();
        rows.push(json!({
            "hidden": hidden,
            "name": f.name,
            "criticality": f.criticality,
            "rto": f.rto_hours.map(|h| format!("{h} h")),
            "state": f.state,
            "ok": f.state == "ok",
            "explanation": f.explanation,
            "test": test.map(|(i, t)| json!({
                "entry": i,
                "title": t.title,
                "source": t.source,
                "ended": t.ended_at.clone().or(t.started_at.clone()),
                "outcome": t.outcome,
                "recovery": t.recovery_minutes.map(|m| format!("{m:.0} min")),
            })),
            "systems": systems,
        }));
    }
    Ok(json!({
        "model_entry": model_entry,
        "max_age_days": max_age_days,
        "rows": rows,
        "overdue": status.iter().filter(|f| f.state != "ok").count(),
        "scoped": *scope != Scope::All,
    }))
}

async fn resilience(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    let max_age_days = match q.get("max_age_days").filter(|v| !v.is_empty()) {
        None => DEFAULT_MAX_AGE_DAYS,
        Some(v) => match v.parse::<i64>() {
            Ok(d) if (1..=3660).contains(&d) => d,
            _ => {
                return message(
                    StatusCode::BAD_REQUEST,
                    "Resilience",
                    Some(&sess),
                    "max_age_days must be a number of days from 1 to 3660.",
                    Some(("/ui/resilience", "a year")),
                );
            }
        },
    };
    let scope = Scope::of(&sess.token);
    match blocking(move || context(&s, &scope, max_age_days)).await {
        Ok(ctx) => render(
            StatusCode::OK,
            "resilience.html",
            "Resilience",
            Some(&sess),
            ctx,
        ),
        Err(e) => message(StatusCode::OK, "Resilience", Some(&sess), &e, None),
    }
}
