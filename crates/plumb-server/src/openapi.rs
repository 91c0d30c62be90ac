//! The OpenAPI 3.1 document served at `/v1/openapi.json`, generated from the route table so it
//! cannot drift from the real routes.

use serde_json::{Map, Value, json};

use crate::routes::{Access, ROUTES};

/// The document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for (method, path, access, summary) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": summary,
            "operationId": format!("{}{}", method.to_lowercase(), path.replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": {
                "200": {"description": "success"},
                "400": {"$ref": "#/components/responses/Problem"},
                "401": {"$ref": "#/components/responses/Problem"},
                "403": {"$ref": "#/components/responses/Problem"},
                "404": {"$ref": "#/components/responses/Problem"},
            },
        });
        match access {
            Access::Public => op["security"] = json!([]),
            Access::Roles(roles) => {
                op["security"] = json!([{"bearer": []}]);
                op["x-roles"] = json!(roles.iter().map(|r| r.name()).collect::<Vec<_>>());
            }
            Access::Hook(roles) => {
                // Not `{}` (anonymous): the token is required, only its place differs.
                op["security"] = json!([{"bearer": []}]);
                op["x-token-in-body"] = json!("metadata.token");
                op["x-roles"] = json!(roles.iter().map(|r| r.name()).collect::<Vec<_>>());
            }
            // Web UI pages are not part of the API document.
            Access::Session(_) => continue,
        }
        paths.entry(path.to_string()).or_insert_with(|| json!({}))[method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Plumbline evidence API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Tamper-evident DORA evidence: append signed in-toto statements, query them, prove inclusion, export packs. Errors are RFC 9457 problem details."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "plumb_ API token"}},
            "responses": {"Problem": {"description": "RFC 9457 problem details", "content": {"application/problem+json": {"schema": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}}}}}},
        },
    })
}
