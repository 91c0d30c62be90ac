//! The Third parties page of the UI: the latest Register of Information package the store key
//! recorded (`plumb register build --record`), read back from its attached zip (hostile like
//! any stored data: bounded and checked by `plumb_register::package`), summarised as a
//! reviewer reads it (`plumb_register::summary`), with its check result and a download. The
//! register covers every system, so only readers of every system see it.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::scope::Scope;
use crate::state::{AppState, lock};
use crate::templates::{message, render};
use crate::ui::{blocking, need_login, session};

/// Contracts ending within this many days are listed.
const HORIZON_DAYS: i64 = 90;

/// The routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ui/third-parties", get(page))
        .route("/ui/third-parties/package", get(download))
}

/// The latest recorded package: its entry, record, and zip.
fn latest(
    s: &AppState,
) -> Result<(u64, plumb_records::register::RegisterPackage, Vec<u8>), String> {
    let mut l = lock(&s.reader);
    let (i, r) = plumb_register::evidence::latest(&mut l)
        .map_err(|e| e.to_string())?
        .ok_or("no register package recorded yet: plumb register build REGISTER --model MODEL --record")?;
    let (e, _) = crate::ui::predicate(&mut l, i).ok_or("the package's entry does not parse")?;
    let blob = e
        .blobs
        .iter()
        .find(|b| b.digest == format!("sha256:{}", r.sha256))
        .ok_or("the package's zip is not attached to its record")?;
    let zip = l.blobs().get(&blob.digest).map_err(|e| e.to_string())?;
    Ok((i, r, zip))
}

fn context(s: &AppState) -> Result<Value, String> {
    let (entry, record, zip) = latest(s)?;
    let contents = plumb_register::package::read_zip(&zip)?;
    let read = plumb_register::read::read(&contents, Some(&record.file_name))?;
    let summary =
        plumb_register::summary::summarise(&read.tables, s.now().date_naive(), HORIZON_DAYS);
    Ok(json!({
        "entry": entry,
        "package": record,
        "summary": summary,
        "horizon": HORIZON_DAYS,
        "shares": summary.providers.iter().map(|p| format!("{:.0} %", p.critical_share * 100.0)).collect::<Vec<_>>(),
    }))
}

fn unscoped(scope: &Scope) -> bool {
    *scope == Scope::All
}

async fn page(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    if !unscoped(&Scope::of(&sess.token)) {
        return message(
            StatusCode::OK,
            "Third parties",
            Some(&sess),
            "The register of information covers every system; your token reads only some of them.",
            None,
        );
    }
    match blocking(move || context(&s)).await {
        Ok(ctx) => render(
            StatusCode::OK,
            "third_parties.html",
            "Third parties",
            Some(&sess),
            ctx,
        ),
        Err(e) => message(StatusCode::OK, "Third parties", Some(&sess), &e, None),
    }
}

/// A file name as the package record gives it, when it is only letters, digits, '.', '_' and
/// '-' (it goes into a header).
fn safe_name(name: &str) -> Option<&str> {
    (!name.is_empty()
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
    .then_some(name)
}

async fn download(State(s): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(sess) = session(&s, &headers) else {
        return need_login();
    };
    if !unscoped(&Scope::of(&sess.token)) {
        return message(
            StatusCode::NOT_FOUND,
            "Third parties",
            Some(&sess),
            "No package you may read.",
            None,
        );
    }
    match blocking(move || latest(&s)).await {
        Ok((_, record, zip)) => {
            let name = safe_name(&record.file_name).unwrap_or("register.zip");
            let mut r = ([(header::CONTENT_TYPE, "application/zip")], zip).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => message(
            StatusCode::NOT_FOUND,
            "Third parties",
            Some(&sess),
            &e,
            None,
        ),
    }
}
