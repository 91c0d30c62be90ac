//! `plumb model ...` and `plumb drift`.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use plumb_ledger::RecordRequest;
use plumb_model::check::{Finding, Level, Options, check};
use plumb_model::drift::Observed;

use crate::cli::{Format, ModelCmd};
use crate::evidence::open;
use crate::output::{Failure, emit, mark};
use crate::remote::Remote;

/// Predicate type of deployment records.
pub use plumb_incident::store::DEPLOYMENT;
pub use plumb_model::check::PREDICATE_TYPE as MODEL_CHECK;

fn load(path: &Path) -> Result<plumb_model::Model, Failure> {
    plumb_model::load(path).map_err(|e| Failure::usage(e.to_string()))
}

fn write(path: &Path, body: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, body).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

fn findings_text(findings: &[Finding], file: &str) -> String {
    let mut s = String::new();
    for f in findings {
        let lvl = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        s.push_str(&format!("  {lvl:<8}{:<18} {}\n", f.id, f.message));
        let at = f
            .line
            .map(|l| format!("   at {file}:{l}"))
            .unwrap_or_default();
        s.push_str(&format!("  {:<26} refs: {}{at}\n", "", f.refs.join("; ")));
    }
    s
}

fn sarif_out(path: Option<&Path>, findings: &[Finding], file: &str) -> Result<(), Failure> {
    if let Some(p) = path {
        let log = serde_json::to_string_pretty(&plumb_model::sarif::to_sarif(findings, file))
            .expect("JSON");
        if p.as_os_str() == "-" {
            println!("{log}");
        } else {
            write(p, log.as_bytes())?;
        }
    }
    Ok(())
}

fn record_check(
    store: &Path,
    model: &Path,
    rep: &plumb_model::check::Report,
    now: DateTime<Utc>,
) -> Result<u64, Failure> {
    let mut l = open(store)?;
    let (i, _) = l.record(
        RecordRequest {
            subjects: vec![rep.subject(&model.display().to_string())],
            predicate_type: MODEL_CHECK.into(),
            predicate: plumb_records::Record::to_predicate(rep),
            system: None,
            run: None,
            attachments: if model.is_file() {
                vec![model.to_path_buf()]
            } else {
                vec![]
            },
        },
        now,
    )?;
    Ok(i)
}

/// Sends the model file to the server's check; the answer is the same report.
fn check_remote(
    r: &Remote,
    model: &Path,
    threshold: f64,
    record: bool,
) -> Result<(String, plumb_model::check::Report, Option<u64>), Failure> {
    let ext = model
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let ct = match ext.as_str() {
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        _ => {
            return Err(Failure::usage(format!(
                "{}: --server takes one .xml (exchange) or .yaml file",
                model.display()
            ))
            .hint("convert an Archi CSV export first: plumb model convert DIR --to yaml --out model.yaml"));
        }
    };
    let body =
        std::fs::read(model).map_err(|e| Failure::usage(format!("{}: {e}", model.display())))?;
    let file = model
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = format!(
        "/v1/model/check{}",
        crate::remote::query(&[
            ("name", Some(file)),
            ("concentration_threshold", Some(threshold.to_string())),
            ("record", record.then(|| "true".to_string())),
        ])
    );
    let v = r.post(&path, ct, &body)?;
    let rep = serde_json::from_value(v["report"].clone())
        .map_err(|e| Failure::usage(format!("the server's report is not one plumb reads: {e}")))?;
    Ok((
        v["name"].as_str().unwrap_or_default().to_string(),
        rep,
        v["recorded_entry"].as_u64(),
    ))
}

pub fn run(
    store: &Path,
    format: Format,
    cmd: &ModelCmd,
    now: DateTime<Utc>,
    remote: Option<&Remote>,
) -> Result<ExitCode, Failure> {
    match cmd {
        ModelCmd::Check {
            model,
            concentration_threshold,
            sarif_out: sarif,
            record,
            refuse_archimate2,
            resilience,
            max_test_age_days,
        } => {
            let file = model.display().to_string();
            let mut notes: Vec<String> = Vec::new();
            let options = Options::new(*concentration_threshold).map_err(Failure::usage)?;
            let (name, rep, recorded) = match remote {
                Some(_) if *resilience => {
                    return Err(Failure::usage(
                        "--resilience reads the resilience tests of a local store; leave out --server",
                    ));
                }
                Some(r) => check_remote(r, model, options.concentration_threshold, *record)?,
                None => {
                    let m = plumb_model::load_with(model, !*refuse_archimate2)
                        .map_err(|e| Failure::usage(e.to_string()))?;
                    notes.clone_from(&m.notes);
                    let evidence = if *resilience {
                        let mut l = crate::evidence::open(store)?;
                        let tests = plumb_resilience::tests::recorded(&mut l)
                            .map_err(|e| Failure::usage(e.to_string()))?;
                        Some(plumb_model::resilience::Evidence {
                            tests,
                            now,
                            max_age_days: *max_test_age_days,
                        })
                    } else {
                        None
                    };
                    let rep = plumb_model::check::check_with(&m, options, evidence.as_ref());
                    let recorded = if *record {
                        Some(record_check(store, model, &rep, now)?)
                    } else {
                        None
                    };
                    (m.name, rep, recorded)
                }
            };
            sarif_out(sarif.as_deref(), &rep.findings, &file)?;
            let ok = rep.ok();
            let code = emit(
                format,
                || {
                    let errors = rep
                        .findings
                        .iter()
                        .filter(|f| f.level == Level::Error)
                        .count();
                    let mut s = format!(
                        "plumb model check: {}  {} ({} elements, {} relationships; {} critical or important functions)\n",
                        mark(ok),
                        name,
                        rep.size.elements,
                        rep.size.relationships,
                        rep.functions.len()
                    );
                    for n in &notes {
                        s.push_str(&format!("  note: {n}\n"));
                    }
                    s.push_str(&findings_text(&rep.findings, &file));
                    for c in &rep.concentration {
                        s.push_str(&format!("  concentration: {} carries {} of {} critical or important functions ({:.0}%)\n", c.name, c.functions.len(), rep.functions.len(), c.share * 100.0));
                    }
                    s.push_str(&format!(
                        "  {errors} errors, {} warnings; model digest sha256:{}\n",
                        rep.findings.len() - errors,
                        rep.model_digest
                    ));
                    if let Some(i) = recorded {
                        s.push_str(&format!("  recorded as entry {i}\n"));
                    }
                    s
                },
                json!({"ok": ok, "report": rep, "recorded_entry": recorded, "notes": notes}),
            )?;
            Ok(if ok { code } else { ExitCode::from(1) })
        }
        ModelCmd::Rules => rules(format),
        ModelCmd::Diff(a) => crate::model_diff::run(format, a),
        ModelCmd::Impact { model, element } => {
            let m = load(model)?;
            if !m.elements.iter().any(|e| &e.id == element)
                && !m.relationships.iter().any(|r| &r.id == element)
            {
                return Err(Failure::usage(format!(
                    "{element:?} is not an element of {}",
                    model.display()
                ))
                .hint("use an element id, e.g. from `plumb model convert --to yaml`"));
            }
            let hits = plumb_model::graph::impact(&m, element);
            emit(
                format,
                || {
                    if hits.is_empty() {
                        return format!("no critical or important function depends on {element}\n");
                    }
                    let mut s = format!(
                        "if {element} fails, {} critical or important functions are affected:\n",
                        hits.len()
                    );
                    for h in &hits {
                        s.push_str(&format!(
                            "  {} {:?} ({})\n",
                            h.function, h.name, h.criticality
                        ));
                        for step in &h.path {
                            s.push_str(&format!(
                                "    {} {} {:?}{}\n",
                                if step.via.is_some() { "<-" } else { "  " },
                                step.id,
                                step.name,
                                step.via
                                    .as_ref()
                                    .map(|v| format!("  via {v}"))
                                    .unwrap_or_default()
                            ));
                        }
                    }
                    s
                },
                json!({"element": element, "affected": hits}),
            )
        }
        ModelCmd::View {
            model,
            function,
            view,
            impact,
            drift,
            list,
            out,
        } => {
            let m = load(model)?;
            if *list || view.is_some() {
                let drifted = if *drift {
                    let seen = observed(store)?;
                    Some(
                        plumb_model::drift::drift(&m, &seen)
                            .into_iter()
                            .flat_map(|f| f.elements)
                            .collect(),
                    )
                } else {
                    None
                };
                let target = OwnView {
                    which: view.as_deref(),
                    impact: impact.as_deref(),
                    drift: drifted,
                    out: out.as_deref(),
                };
                return own_view(format, &m, model, target);
            }
            let Some(out) = out else {
                return Err(Failure::usage("give --out FILE"));
            };
            if let Some(f) = function
                && !m.elements.iter().any(|e| &e.id == f)
            {
                return Err(Failure::usage(format!(
                    "{f:?} is not an element of {}",
                    model.display()
                )));
            }
            let flagged = error_concepts(&m);
            write(
                out,
                plumb_model::svg::render(&m, function.as_deref(), &flagged).as_bytes(),
            )?;
            emit(
                format,
                || format!("wrote {}\n", out.display()),
                json!({"svg": out}),
            )
        }
        ModelCmd::Convert { model, to, out } => {
            let m = load(model)?;
            match to.as_str() {
                "xml" => write(out, plumb_model::exchange::write(&m).as_bytes())?,
                "archimate" => write(out, plumb_model::native_write::write(&m).as_bytes())?,
                "yaml" => write(out, plumb_model::yaml::write(&m).as_bytes())?,
                _ => {
                    std::fs::create_dir_all(out)
                        .map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
                    let (e, r, p) = plumb_model::csv::write(&m);
                    write(&out.join("elements.csv"), e.as_bytes())?;
                    write(&out.join("relations.csv"), r.as_bytes())?;
                    write(&out.join("properties.csv"), p.as_bytes())?;
                }
            }
            let lost = if to != "xml" && to != "archimate" && m.raw_views.is_some() {
                " (views are kept only in the exchange and Archi formats)"
            } else {
                ""
            };
            emit(
                format,
                || {
                    let mut s = format!("wrote {} ({to}){lost}\n", out.display());
                    for n in &m.notes {
                        s.push_str(&format!("  note: {n}\n"));
                    }
                    s
                },
                json!({"out": out, "format": to, "notes": m.notes}),
            )
        }
    }
}

/// The elements and relationships with error-level findings, marked on drawn views.
fn error_concepts(m: &plumb_model::Model) -> HashSet<String> {
    check(m, Options::default())
        .findings
        .into_iter()
        .filter(|f| f.level == Level::Error)
        .flat_map(|f| f.elements)
        .collect()
}

fn impact_json(o: &plumb_model::diagram::ImpactOverlay) -> serde_json::Value {
    let mut on_paths: Vec<&String> = o.elements.iter().collect();
    on_paths.sort();
    json!({"element": o.failed, "functions": o.functions, "elements_on_paths": on_paths})
}

/// Which view to draw (none: list them), with what over it, and where.
struct OwnView<'a> {
    which: Option<&'a str>,
    impact: Option<&'a str>,
    /// Elements with drift findings, when asked for.
    drift: Option<std::collections::HashSet<String>>,
    out: Option<&'a Path>,
}

/// `plumb model view --list` and `--view`: the model's own views.
fn own_view(
    format: Format,
    m: &plumb_model::Model,
    model: &Path,
    target: OwnView<'_>,
) -> Result<ExitCode, Failure> {
    let OwnView {
        which,
        impact,
        drift,
        out,
    } = target;
    let views = plumb_model::diagram::views(m).map_err(|e| Failure::usage(e.to_string()))?;
    let Some(which) = which else {
        return emit(
            format,
            || {
                if views.is_empty() {
                    return format!(
                        "{} has no views of its own (exchange, Archi and YAML models can carry them)\n",
                        model.display()
                    );
                }
                views
                    .iter()
                    .map(|v| {
                        format!(
                            "{}  {}  ({} nodes, {} connections)\n",
                            v.id,
                            v.name,
                            v.nodes.len(),
                            v.connections.len()
                        )
                    })
                    .collect()
            },
            json!(views
                .iter()
                .map(|v| json!({"id": v.id, "name": v.name, "nodes": v.nodes.len(), "connections": v.connections.len()}))
                .collect::<Vec<_>>()),
        );
    };
    let v = plumb_model::diagram::find(&views, which).ok_or_else(|| {
        Failure::usage(format!("{} has no view {which:?}", model.display()))
            .hint("list them with plumb model view MODEL --list")
    })?;
    let Some(out) = out else {
        return Err(Failure::usage("give --out FILE"));
    };
    // The error findings marked on the view, as on the generated one, and every finding in
    // its element's tooltip.
    let flagged = error_concepts(m);
    let findings =
        plumb_model::diagram::findings_by_element(&check(m, Options::default()).findings);
    let overlay = match impact {
        None => None,
        Some(e) => {
            if !m.elements.iter().any(|x| x.id == e) {
                return Err(
                    Failure::usage(format!("{} has no element {e:?}", model.display()))
                        .hint("give an element id, as plumb model impact takes it"),
                );
            }
            Some(plumb_model::diagram::ImpactOverlay::of(m, e))
        }
    };
    let overlays = plumb_model::diagram::Overlays {
        flagged: Some(&flagged),
        impact: overlay.as_ref(),
        drift: drift.as_ref(),
        findings: Some(&findings),
        link: None,
        view_link: None,
    };
    write(
        out,
        plumb_model::diagram::render_with(m, v, &overlays).as_bytes(),
    )?;
    let impact_text = overlay.as_ref().map_or(String::new(), |o| {
        format!(
            "; impact of {}: {} critical or important function(s)",
            o.failed, o.functions
        )
    });
    emit(
        format,
        || format!("wrote {} (view {:?}{impact_text})\n", out.display(), v.name),
        json!({"svg": out, "view": v.id, "impact": overlay.as_ref().map(impact_json), "drift": drift.as_ref().map(|d| {
            let mut e: Vec<&String> = d.iter().collect();
            e.sort();
            e
        })}),
    )
}

/// `plumb model rules`: the registry of model checks.
fn rules(format: Format) -> Result<ExitCode, Failure> {
    let rules = plumb_model::check::RULES;
    emit(
        format,
        || {
            let mut s = String::new();
            for r in rules {
                s.push_str(&format!(
                    "{:<18} {:<8} {}\n{:<27} refs: {}\n{:<27} fix: {}\n",
                    r.id,
                    r.level.name(),
                    r.title,
                    "",
                    r.refs.join("; "),
                    "",
                    r.fix
                ));
            }
            s
        },
        json!({"rules": rules.iter().map(|r| json!({
            "id": r.id, "level": r.level, "title": r.title, "refs": r.refs, "fix": r.fix,
        })).collect::<Vec<_>>()}),
    )
}

/// Reads deployments and SBOM components out of the ledger.
fn observed(store: &Path) -> Result<Observed, Failure> {
    plumb_incident::observed::observed_in(&mut open(store)?)
        .map_err(|e| Failure::usage(e.to_string()))
}

pub fn drift(
    store: &Path,
    format: Format,
    model: &Path,
    sarif: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let m = load(model)?;
    let seen = observed(store)?;
    let findings = plumb_model::drift::drift(&m, &seen);
    let file = model.display().to_string();
    sarif_out(sarif, &findings, &file)?;
    let ok = !findings.iter().any(|f| f.level == Level::Error);
    let code = emit(
        format,
        || {
            let mut s = format!(
                "plumb drift: {}  {} against {} deployed services and {} recorded SBOM components\n",
                mark(ok),
                m.name,
                seen.deployments.len(),
                seen.components.len()
            );
            s.push_str(&findings_text(&findings, &file));
            s
        },
        json!({"ok": ok, "findings": findings, "observed": seen}),
    )?;
    Ok(if ok { code } else { ExitCode::from(1) })
}
