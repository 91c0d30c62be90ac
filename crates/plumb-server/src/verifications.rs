//! `GET /v1/verifications/latest`: the verification of the latest deployment of a system to an
//! environment (production by default; of one commit's deployment when asked), and only of
//! that deployment: an older verdict never stands in for a newer deployment, for progressive delivery controllers: Argo Rollouts calls it
//! as a `web` metric (`jsonPath: "{$.verdict}"`, success `result == "successful"`, failure
//! `result == "failed"`; see examples/argo-rollouts/). Only verifications signed by the store
//! key count; none yet is `pending`, never successful. Readers and recorders of the system may
//! ask (a recorder token is what a controller of that system holds).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::api::{blocking, json_response};
use crate::problem::Problem;
use crate::scope::Scope;
use crate::state::{AppState, lock};
use crate::tokens::TokenRecord;

/// The query.
#[derive(Debug, Deserialize)]
pub struct LatestQuery {
    system: String,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default = "production")]
    environment: String,
}

fn production() -> String {
    "production".into()
}

/// The handler.
pub async fn latest(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Query(q): Query<LatestQuery>,
) -> Result<Response, Problem> {
    if q.system.is_empty() || q.system.len() > 128 {
        return Err(Problem::bad_request("system: 1 to 128 characters"));
    }
    if q.environment.is_empty() || q.environment.len() > 64 {
        return Err(Problem::bad_request("environment: 1 to 64 characters"));
    }
    if let Some(c) = &q.commit
        && !(c.len() >= 7 && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Problem::bad_request(
            "commit: 7 to 64 hexadecimal characters (a commit id or its prefix)",
        ));
    }
    if !Scope::of(&who).allows(Some(&q.system)) {
        crate::authz::refuse(&s, &who, "GET", "/v1/verifications/latest");
        return Err(Problem::forbidden(format!(
            "this token may not read {:?}",
            q.system
        )));
    }
    blocking(move || {
        let found = plumb_resilience::watch::evidence::latest(
            &mut lock(&s.reader),
            &q.system,
            &q.environment,
            q.commit.as_deref(),
        )
        .map_err(|e| Problem::internal_logged(&e))?;
        let body = match found {
            Some(plumb_resilience::watch::evidence::Latest {
                deployment,
                commit,
                verification: Some((entry, v)),
            }) => json!({
                "system": q.system, "environment": q.environment, "commit": commit,
                "verdict": v.verdict, "entry": entry, "deployment": deployment,
                "reason": v.reason, "ended_at": v.ended_at,
            }),
            Some(l) => json!({
                "system": q.system, "environment": q.environment, "commit": l.commit,
                "verdict": "pending", "deployment": l.deployment,
                "reason": format!("deployment {} is not verified yet", l.deployment),
            }),
            None => json!({
                "system": q.system, "environment": q.environment, "commit": q.commit,
                "verdict": "pending",
                "reason": "no such deployment is recorded yet",
            }),
        };
        Ok(json_response(StatusCode::OK, body))
    })
    .await
}
