//! `GET /v1/verifications/latest` and Flagger's webhooks: the verification of the latest
//! deployment of a system to an environment (production by default; of one commit's
//! deployment when asked), and only of that deployment: an older verdict never stands in for
//! a newer one. For progressive delivery controllers: Argo Rollouts calls it as a `web` metric (`jsonPath: "{$.verdict}"`, success `result == "successful"`, failure
//! `result == "failed"`; see examples/argo-rollouts/). Only verifications signed by the store
//! key count; none yet is `pending`, never successful. Readers and recorders of the system may
//! ask; a controller token (verdicts of its systems, nothing else) is what a controller holds.
//! Flagger cannot send headers, so its webhooks carry the token in `metadata.token` (taken by
//! [`crate::authz`] before the handler runs): `POST /v1/flagger/gate` answers 200 only for a
//! successful verification, `POST /v1/flagger/rollback` 200 only for a failed one (a 2xx from
//! a rollback hook makes Flagger abort the canary); every other answer is 412 with the reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
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

/// Checks the system, environment and commit a caller names.
fn check_query(q: &LatestQuery) -> Result<(), Problem> {
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
    Ok(())
}

/// The verdict for a query, as both endpoints answer it (`verdict` is `successful`,
/// `failed`, `inconclusive` or `pending`), after the caller's scope is checked.
async fn verdict(
    s: Arc<AppState>,
    who: &TokenRecord,
    method: &str,
    route: &str,
    q: LatestQuery,
) -> Result<serde_json::Value, Problem> {
    check_query(&q)?;
    if !Scope::of(who).allows(Some(&q.system)) {
        crate::authz::refuse(&s, who, method, route);
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
        Ok(match found {
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
        })
    })
    .await
}

/// `GET /v1/verifications/latest`.
pub async fn latest(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Query(q): Query<LatestQuery>,
) -> Result<Response, Problem> {
    let body = verdict(s, &who, "GET", "/v1/verifications/latest", q).await?;
    Ok(json_response(StatusCode::OK, body))
}

/// What Flagger posts to a webhook: the canary, its phase and the webhook's metadata
/// (strings only), where Plumbline reads `system`, optional `environment` and `commit`
/// (and the middleware has already taken `token`).
#[derive(Debug, Deserialize)]
struct FlaggerPayload {
    name: String,
    namespace: String,
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

/// Which question a Flagger webhook asks.
#[derive(Debug, Clone, Copy)]
pub enum FlaggerHook {
    /// `confirm-promotion` or `rollout`: may the canary go on? Yes only when verified
    /// successful; pending, inconclusive and failed hold it (a `rollout` hook counts a
    /// refusal as a failed check).
    Gate,
    /// `rollback`: should the canary be rolled back? Yes only when its verification failed.
    Rollback,
}

/// `POST /v1/flagger/gate` and `POST /v1/flagger/rollback`: 200 answers yes, 412 no; the
/// body says why in both cases.
pub async fn flagger(
    s: Arc<AppState>,
    who: TokenRecord,
    hook: FlaggerHook,
    body: Bytes,
) -> Result<Response, Problem> {
    let p: FlaggerPayload = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request(format!(
            "not a Flagger webhook payload ({{name, namespace, phase, metadata}}): {e}"
        ))
    })?;
    let Some(system) = p.metadata.get("system").cloned() else {
        return Err(Problem::bad_request(
            "the webhook's metadata must name the system: metadata: {system: payments, token: ...}",
        ));
    };
    let route = match hook {
        FlaggerHook::Gate => "/v1/flagger/gate",
        FlaggerHook::Rollback => "/v1/flagger/rollback",
    };
    let q = LatestQuery {
        system,
        commit: p.metadata.get("commit").cloned(),
        environment: p
            .metadata
            .get("environment")
            .cloned()
            .unwrap_or_else(production),
    };
    let mut body = verdict(s, &who, "POST", route, q).await?;
    let verdict = body["verdict"].as_str().unwrap_or("pending").to_string();
    let yes = match hook {
        FlaggerHook::Gate => verdict == "successful",
        FlaggerHook::Rollback => verdict == "failed",
    };
    body["canary"] = json!(format!("{}/{}", p.namespace, p.name));
    body["phase"] = json!(p.phase);
    body["answer"] = json!(match (hook, yes) {
        (FlaggerHook::Gate, true) => "proceed",
        (FlaggerHook::Gate, false) => "hold",
        (FlaggerHook::Rollback, true) => "roll back",
        (FlaggerHook::Rollback, false) => "keep",
    });
    let status = if yes {
        StatusCode::OK
    } else {
        StatusCode::PRECONDITION_FAILED
    };
    Ok(json_response(status, body))
}

/// `POST /v1/flagger/gate`.
pub async fn flagger_gate(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    body: Bytes,
) -> Result<Response, Problem> {
    flagger(s, who, FlaggerHook::Gate, body).await
}

/// `POST /v1/flagger/rollback`.
pub async fn flagger_rollback(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    body: Bytes,
) -> Result<Response, Problem> {
    flagger(s, who, FlaggerHook::Rollback, body).await
}
