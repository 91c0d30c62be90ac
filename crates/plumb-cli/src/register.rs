//! `plumb register`: the catalogue of the Register of Information (`plumb_register::catalogue`)
//! as text or JSON; build, check, import and diff are in `register_package`. Output only.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::{Format, RegisterCmd};
use crate::output::{Failure, emit};

/// Runs `plumb register`.
pub fn run(
    store: &std::path::Path,
    format: Format,
    cmd: &RegisterCmd,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExitCode, Failure> {
    use crate::register_package as rp;
    let c = plumb_register::catalogue::catalogue().map_err(Failure::usage)?;
    match cmd {
        RegisterCmd::Build {
            file,
            model,
            country,
            out,
            created,
            record,
            sarif_out,
        } => rp::build(
            format,
            store,
            file,
            model.as_deref(),
            country.as_deref(),
            out,
            created.as_deref(),
            *record,
            sarif_out.as_ref(),
            now,
        ),
        RegisterCmd::Check {
            input,
            model,
            evidence,
            sarif_out,
        } => rp::check(
            format,
            input,
            model.as_deref(),
            evidence.then_some(store.as_ref()),
            sarif_out.as_ref(),
        ),
        RegisterCmd::Import {
            package,
            out,
            country,
        } => rp::import(format, package, out, country.as_deref()),
        RegisterCmd::Diff { a, b, model } => rp::diff(format, a, b, model.as_deref()),
        RegisterCmd::Templates { code: None } => {
            let list: Vec<_> = c
                .templates
                .iter()
                .map(|t| {
                    json!({"code": t.code, "file": t.file_name(), "columns": t.columns.len(),
                           "key": t.key().iter().map(|k| k.code.clone()).collect::<Vec<_>>()})
                })
                .collect();
            emit(
                format,
                || {
                    let mut o = String::from("template  file          columns  key\n");
                    for t in &c.templates {
                        let key: Vec<&str> = t.key().iter().map(|k| k.code.as_str()).collect();
                        o.push_str(&format!(
                            "{:<9} {:<13} {:>7}  {}\n",
                            t.code,
                            t.file_name(),
                            t.columns.len(),
                            key.join("+")
                        ));
                    }
                    o
                },
                json!({"templates": list}),
            )
        }
        RegisterCmd::Templates { code: Some(code) } => {
            let t = c.template(&code.to_ascii_uppercase()).ok_or_else(|| {
                Failure::usage(format!(
                    "no template {code:?}; the templates are {}",
                    c.templates
                        .iter()
                        .map(|t| t.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let cols: Vec<_> = t
                .columns
                .iter()
                .map(|x| {
                    json!({"code": x.code, "meaning": x.meaning, "type": format!("{:?}", x.kind).to_lowercase(),
                           "key": x.key, "closed_list": x.closed_list, "foreign_key": x.foreign_key})
                })
                .collect();
            emit(
                format,
                || {
                    let mut o = format!("{} ({})\n", t.code, t.file_name());
                    for x in &t.columns {
                        o.push_str(&format!(
                            "  {}{} {}  [{:?}{}{}]\n",
                            x.code,
                            if x.key { "*" } else { " " },
                            x.meaning,
                            x.kind,
                            x.closed_list
                                .as_deref()
                                .map(|l| format!(", codes {l}"))
                                .unwrap_or_default(),
                            x.foreign_key
                                .as_deref()
                                .map(|f| format!(", refers to {f}"))
                                .unwrap_or_default()
                        ));
                    }
                    o.push_str("(* part of the key)\n");
                    o
                },
                json!({"template": t.code, "file": t.file_name(), "columns": cols}),
            )
        }
        RegisterCmd::Codes { list: None } => emit(
            format,
            || {
                c.closed_lists
                    .iter()
                    .map(|(k, v)| format!("{k:<28} {} codes\n", v.len()))
                    .collect()
            },
            json!({"closed_lists": c.closed_lists.iter().map(|(k, v)| json!({"name": k, "codes": v.len()})).collect::<Vec<_>>()}),
        ),
        RegisterCmd::Codes { list: Some(name) } => {
            let l = c.closed_lists.get(name.as_str()).ok_or_else(|| {
                Failure::usage(format!(
                    "no closed list {name:?}; the lists are {}",
                    c.closed_lists
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            emit(
                format,
                || {
                    l.iter()
                        .map(|(code, label)| format!("{code:<24} {label}\n"))
                        .collect()
                },
                json!({"list": name, "codes": l.iter().map(|(code, label)| json!({"code": code, "label": label})).collect::<Vec<_>>()}),
            )
        }
    }
}
