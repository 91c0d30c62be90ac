//! Every page of the web UI is rendered here, from the templates in `templates/`, by MiniJinja
//! with HTML autoescaping on: a value from the log, a token label or a request reaches a page
//! only escaped. No page is assembled with `format!`. The two values marked `safe` in the
//! templates are built here or by a library that escapes (the proof data block, the model's
//! SVG), and say why where they are used.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use serde_json::{Value, json};

use crate::state::Session;

/// The templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("_badge.html", include_str!("../templates/_badge.html")),
    (
        "_decision.html",
        include_str!("../templates/_decision.html"),
    ),
    (
        "_countdown.html",
        include_str!("../templates/_countdown.html"),
    ),
    ("overview.html", include_str!("../templates/overview.html")),
    ("delivery.html", include_str!("../templates/delivery.html")),
    (
        "resilience.html",
        include_str!("../templates/resilience.html"),
    ),
    (
        "third_parties.html",
        include_str!("../templates/third_parties.html"),
    ),
    ("entries.html", include_str!("../templates/entries.html")),
    ("entry.html", include_str!("../templates/entry.html")),
    (
        "checkpoints.html",
        include_str!("../templates/checkpoints.html"),
    ),
    (
        "deployment.html",
        include_str!("../templates/deployment.html"),
    ),
    (
        "architecture.html",
        include_str!("../templates/architecture.html"),
    ),
    (
        "incidents.html",
        include_str!("../templates/incidents.html"),
    ),
    ("incident.html", include_str!("../templates/incident.html")),
];

/// The environment, built once; `Err` holds why a template did not compile (a build defect,
/// caught by the unit test below, answered with a 500 rather than a panic).
fn env() -> &'static Result<Environment<'static>, String> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut e = Environment::new();
        // Every template is HTML, whatever its name: escaping is never opted out by naming.
        e.set_auto_escape_callback(|_| AutoEscape::Html);
        e.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, text) in TEMPLATES {
            e.add_template(name, text)
                .map_err(|err| format!("template {name}: {err}"))?;
        }
        Ok(e)
    })
}

/// The signed-in user as the page header shows them.
fn user(sess: Option<&Session>) -> Value {
    match sess {
        Some(s) => json!({
            "label": s.token.label,
            "role": s.token.role.name(),
            "systems": s.token.systems,
            "csrf": s.csrf,
        }),
        None => Value::Null,
    }
}

/// Renders `name` with `ctx` (an object) plus the page title and the user.
fn render_to_string(
    name: &str,
    title: &str,
    sess: Option<&Session>,
    ctx: impl Serialize,
) -> Result<String, String> {
    let mut ctx = match serde_json::to_value(ctx) {
        Ok(Value::Object(m)) => m,
        _ => Default::default(),
    };
    ctx.insert("title".into(), json!(title));
    ctx.insert("user".into(), user(sess));
    match env() {
        Ok(e) => e
            .get_template(name)
            .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&ctx))))
            .map_err(|err| format!("{name}: {err:#}")),
        Err(err) => Err(err.clone()),
    }
}

/// Renders `name` with `ctx` (an object) plus the page title and the user; a rendering error
/// is logged and answered 500.
pub fn render(
    status: StatusCode,
    name: &str,
    title: &str,
    sess: Option<&Session>,
    ctx: impl Serialize,
) -> Response {
    match render_to_string(name, title, sess, ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            eprintln!(
                "{}",
                json!({"level": "error", "msg": "a page did not render", "error": err})
            );
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered; the error is logged",
            )
                .into_response()
        }
    }
}

/// A page with one message (text, escaped) and an optional link.
pub fn message(
    status: StatusCode,
    title: &str,
    sess: Option<&Session>,
    message: &str,
    link: Option<(&str, &str)>,
) -> Response {
    render(
        status,
        "message.html",
        title,
        sess,
        json!({"message": message, "link": link.map(|(href, text)| json!({"href": href, "text": text}))}),
    )
}

/// Percent-encodes a value for a query string (everything but RFC 3986's unreserved
/// characters), so a link built from stored text cannot add parameters.
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes() {
        assert!(env().is_ok(), "{:?}", env().as_ref().err());
        let html = render_to_string(
            "message.html",
            "<t>",
            None,
            json!({"message": "<script>alert(1)</script>", "link": {"href": "/x\" onclick=\"y", "text": "a&b"}}),
        )
        .unwrap();
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&#x2f;x&quot; onclick=&quot;y"), "{html}");
        assert!(
            html.contains("<title>&lt;t&gt; · Plumbline</title>"),
            "{html}"
        );
        assert!(html.contains("name=\"viewport\""), "{html}");
        for (name, _) in TEMPLATES {
            // Every page renders with an empty context (values absent, never a failure).
            if !name.starts_with('_') && *name != "base.html" {
                render_to_string(name, "t", None, json!({})).unwrap();
            }
        }
    }

    #[test]
    fn query_values_cannot_add_parameters() {
        assert_eq!(query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(query_value("sha256:ab-C_9.~"), "sha256%3Aab-C_9.~");
    }
}
