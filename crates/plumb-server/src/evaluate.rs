//! `POST /v1/gate` and `POST /v1/model/check`: the same evaluations the CLI runs locally,
//! on content sent in the request, optionally recorded in the server's ledger signed by the
//! store key. The server's clock is `now`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use plumb_gate::wire::WireGateRequest;
use plumb_ledger::entry::{Annotations, BlobRef};
use plumb_ledger::statement::Statement;

use crate::api::{blocking, in_scope, json_response, require_json};
use crate::problem::Problem;
use crate::state::AppState;
use crate::tokens::TokenRecord;

/// The last path component of a client-given name: attachment names never carry paths.
pub(crate) fn base_name(name: &str) -> String {
    let n = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if n.is_empty() || n == ".." || n == "." {
        "input".into()
    } else {
        n.to_string()
    }
}

/// Stores `parts` as blobs, then signs and appends `st`; returns the index once durable.
fn record(
    s: &AppState,
    st: Statement,
    system: Option<String>,
    run: Option<String>,
    parts: Vec<(String, Vec<u8>)>,
) -> Result<u64, Problem> {
    let mut blobs = Vec::new();
    for (name, bytes) in parts {
        let (digest, size) = s.blobs.put(&bytes[..]).map_err(Problem::from_ledger)?;
        blobs.push(BlobRef {
            name: base_name(&name),
            digest,
            size,
        });
    }
    let ann = Annotations { system, run, blobs };
    let i = s.append_signed([(st, ann)]).map_err(Problem::from_ledger)?;
    Ok(i[0])
}

/// Evaluates a gate request; records the decision with its inputs when asked.
pub async fn gate(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    require_json(&headers)?;
    let wire: WireGateRequest = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("not a gate request: {e}")))?;
    in_scope(&who, wire.system.as_deref())?;
    let (want, run) = (wire.record, wire.run.clone());
    let mut req = wire
        .into_request(&s.gate_configs, s.now())
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    let v = blocking(move || {
        fill_resilience(&s, &mut req);
        let d = plumb_gate::evaluate(&req);
        let mut v: serde_json::Value =
            serde_json::from_slice(&d.to_json()).map_err(|e| Problem::internal_logged(&e))?;
        if want {
            let rec = plumb_gate::record::decision_record(&d, vec![]);
            // The inputs, and the configuration that judged them with its policies and
            // waivers: enough for an auditor to evaluate the decision again.
            let mut parts: Vec<(String, Vec<u8>)> =
                req.inputs.into_iter().map(|(_, n, b)| (n, b)).collect();
            parts.push((
                plumb_gate::record::CONFIG_NAME.into(),
                serde_json::to_vec_pretty(&req.config).map_err(|e| Problem::internal_logged(&e))?,
            ));
            parts.extend(
                req.policies
                    .into_iter()
                    .map(|p| (p.name, p.text.into_bytes())),
            );
            parts.extend(req.waivers.into_iter().map(|(n, t)| (n, t.into_bytes())));
            if let Some(full) = rec.full {
                parts.push((plumb_gate::record::FULL_DECISION_NAME.into(), full));
            }
            let st = Statement::new(
                rec.subjects,
                plumb_gate::decision::PREDICATE_TYPE,
                plumb_records::Record::to_predicate(&rec.predicate),
            );
            v["recorded_entry"] = json!(record(&s, st, d.system.clone(), run, parts)?);
            v["signer"] = json!(s.key.public().dsse_key_id());
        }
        Ok(v)
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}

/// Query of `POST /v1/model/check`.
#[derive(Debug, Deserialize)]
pub struct ModelCheckQuery {
    /// File name, for findings and the record.
    name: Option<String>,
    /// Concentration threshold (share of critical functions on one provider).
    concentration_threshold: Option<f64>,
    /// Record the check.
    #[serde(default)]
    record: bool,
    /// System the record belongs to (required of recorder tokens that record).
    system: Option<String>,
}

/// With `require_resilience_test` in the server's configuration, the state of each function
/// the gated system supports, from the server's own store (store-signed tests only) and the
/// reference model (`ui::reference_model`: the server's own, else the latest recorded). Without a recorded model nothing is filled and
/// DORA-RES-003 denies: the gate cannot tell which functions the system supports.
fn fill_resilience(s: &AppState, req: &mut plumb_gate::GateRequest) {
    if !req.config.require_resilience_test || req.config.resilience.is_some() {
        return;
    }
    let Ok((_, model)) = crate::ui::reference_model(s, &crate::scope::Scope::All) else {
        return;
    };
    let Ok(Ok(tests)) = s.analyse(plumb_resilience::tests::recorded) else {
        return;
    };
    plumb_resilience::tests::fill_gate(&mut req.config, &model, &tests, req.now);
}

/// Checks an uploaded model (ArchiMate exchange XML or YAML, told by Content-Type).
pub async fn model_check(
    State(s): State<Arc<AppState>>,
    Extension(who): Extension<TokenRecord>,
    Query(q): Query<ModelCheckQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    let format = match ct {
        "application/xml" | "text/xml" => "xml",
        "application/yaml" | "application/x-yaml" | "text/yaml" => "yaml",
        _ => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                format!(
                    "send the model as application/xml (ArchiMate exchange) or application/yaml, not {ct:?}"
                ),
            ));
        }
    };
    if q.record {
        in_scope(&who, q.system.as_deref())?;
    }
    let name = q.name.clone().unwrap_or_else(|| format!("model.{format}"));
    let options = plumb_model::check::Options::new(q.concentration_threshold)
        .map_err(|e| Problem::bad_request(format!("concentration_threshold: {e}")))?;
    let v = blocking(move || {
        let m = plumb_model::read_bytes(&name, format, &body)
            .map_err(|e| Problem::bad_request(e.to_string()))?;
        let rep = plumb_model::check::check(&m, options);
        let mut recorded = None;
        if q.record {
            let st = Statement::new(
                vec![rep.subject(&name)],
                plumb_model::check::PREDICATE_TYPE,
                plumb_records::Record::to_predicate(&rep),
            );
            recorded = Some(record(
                &s,
                st,
                q.system.clone(),
                None,
                vec![(name, body.to_vec())],
            )?);
        }
        Ok(json!({"ok": rep.ok(), "name": m.name, "report": rep, "recorded_entry": recorded}))
    })
    .await?;
    Ok(json_response(StatusCode::OK, v))
}
