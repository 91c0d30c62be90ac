//! `plumb incident`: the incident operations of plumb-incident against the local store (with
//! --config) or a server (--server). Both answer with the same incident view, printed by one
//! renderer.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use plumb_incident::clock::Stage;
use plumb_incident::config::Config;
use plumb_incident::ops::{self, Ctx, Op, OpenRequest};
use plumb_incident::{alerts, report, store};
use serde_json::{Value, json};

use crate::cli::{Format, IncidentArgs, IncidentCmd, StageArg};
use crate::output::{Failure, emit};
use crate::remote::Remote;

impl From<StageArg> for Stage {
    fn from(s: StageArg) -> Stage {
        match s {
            StageArg::Initial => Stage::Initial,
            StageArg::Intermediate => Stage::Intermediate,
            StageArg::Final => Stage::Final,
        }
    }
}

fn fail(e: plumb_incident::Error) -> Failure {
    let hint = match &e {
        plumb_incident::Error::NotFound(_) => Some("plumb incident list shows the incidents"),
        plumb_incident::Error::State(_) => {
            Some("plumb incident show ID explains where the incident stands")
        }
        _ => None,
    };
    let f = Failure::usage(e.to_string());
    match hint {
        Some(h) => f.hint(h),
        None => f,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

fn assessment(path: &Path) -> Result<plumb_incident::classify::Assessment, Failure> {
    plumb_incident::classify::parse_assessment(&read(path)?, &path.display().to_string()).map_err(
        |e| {
            Failure::usage(e.to_string())
                .hint("see examples/incident/assessment.yaml for the fields")
        },
    )
}

/// The operation a subcommand performs on an existing incident, if it is one.
fn op_of(cmd: &IncidentCmd) -> Result<Option<(String, Op)>, Failure> {
    Ok(Some(match cmd {
        IncidentCmd::Classify { id, assessment: a } => (
            id.clone(),
            Op::Classify {
                assessment: assessment(a)?,
            },
        ),
        IncidentCmd::Reclassify {
            id,
            assessment: a,
            reason,
        } => (
            id.clone(),
            Op::Reclassify {
                reason: reason.clone(),
                assessment: assessment(a)?,
            },
        ),
        IncidentCmd::Report {
            id, stage, details, ..
        } => (
            id.clone(),
            Op::Report {
                stage: (*stage).into(),
                details: match details {
                    Some(p) => report::parse_details(&read(p)?)
                        .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?,
                    None => Default::default(),
                },
            },
        ),
        IncidentCmd::Submit {
            id,
            stage,
            at,
            authority_reference,
        } => (
            id.clone(),
            Op::Submit {
                stage: (*stage).into(),
                submitted_at: at.clone(),
                authority_reference: authority_reference.clone(),
            },
        ),
        IncidentCmd::Notice { id, stage, reason } => (
            id.clone(),
            Op::Notice {
                stage: (*stage).into(),
                reason: reason.clone(),
            },
        ),
        IncidentCmd::Mitigate { id, at } => (id.clone(), Op::Mitigate { at: at.clone() }),
        IncidentCmd::Resolve { id, at } => (
            id.clone(),
            Op::Resolve {
                resolved_at: at.clone(),
            },
        ),
        IncidentCmd::RootCause { id, cause, at } => (
            id.clone(),
            Op::RootCause {
                root_cause: cause.clone(),
                addressed_at: at.clone(),
            },
        ),
        IncidentCmd::Link { id, caused_by } => (
            id.clone(),
            Op::Link {
                caused_by: caused_by.clone(),
            },
        ),
        _ => return Ok(None),
    }))
}

/// What `open` asks for, sent as is to the server or applied locally.
fn open_request(cmd: &IncidentCmd) -> Option<OpenRequest> {
    match cmd {
        IncidentCmd::Open {
            title,
            description,
            services,
            detected_at,
            discovery,
            caused_by,
        } => Some(OpenRequest {
            title: title.clone(),
            description: description.clone(),
            detected_at: detected_at.clone(),
            services: services.clone(),
            discovery: discovery.clone(),
            caused_by: caused_by.clone(),
        }),
        _ => None,
    }
}

/// The local store, configuration and model.
struct Local {
    l: plumb_ledger::Ledger,
    config: Config,
    model: Option<plumb_model::Model>,
    now: DateTime<Utc>,
}

impl Local {
    fn open(store: &Path, config: Option<&Path>, now: DateTime<Utc>) -> Result<Local, Failure> {
        let path = config.ok_or_else(|| {
            Failure::usage(
                "plumb incident needs --config FILE (or PLUMB_INCIDENT_CONFIG) without --server",
            )
            .hint("start from examples/incident/incident.yaml")
        })?;
        let config = Config::load(path).map_err(|e| Failure::usage(e.to_string()))?;
        let model = match &config.model {
            Some(m) => Some(
                plumb_model::load(m)
                    .map_err(|e| Failure::usage(format!("{}: {e}", m.display())))?,
            ),
            None => None,
        };
        let l = crate::evidence::open(store)?;
        Ok(Local {
            l,
            config,
            model,
            now,
        })
    }

    /// The ledger and a context, borrowed apart.
    /// Applies `--schema` and `--ir-version` of `plumb incident report` over the configuration.
    fn ir_overrides(
        &mut self,
        schema: Option<&Path>,
        version: Option<&str>,
    ) -> Result<(), Failure> {
        if let Some(s) = schema {
            self.config.ir.schema = Some(s.to_path_buf());
            self.config
                .ir
                .schema()
                .map_err(|e| Failure::usage(e.to_string()))?;
        }
        if let Some(v) = version {
            self.config.ir.version = Some(v.to_string());
            self.config
                .ir
                .version()
                .map_err(|e| Failure::usage(e.to_string()))?;
        }
        Ok(())
    }

    fn parts(&mut self) -> (&mut plumb_ledger::Ledger, Ctx<'_>) {
        (
            &mut self.l,
            Ctx {
                config: &self.config,
                model: self.model.as_ref(),
                now: self.now,
                actor: std::env::var("USER").unwrap_or_else(|_| "cli".into()),
            },
        )
    }

    fn append(&mut self, evs: &[plumb_incident::event::Event]) -> Result<Vec<u64>, Failure> {
        if evs.is_empty() {
            return Ok(vec![]);
        }
        let first = store::append(&mut self.l, evs, self.now).map_err(fail)?;
        Ok((first..first + evs.len() as u64).collect())
    }

    fn view(&mut self, id: &str) -> Result<Value, Failure> {
        let inc = store::load(&mut self.l, id).map_err(fail)?;
        let v = ops::view(inc, &self.config, self.now).map_err(fail)?;
        Ok(serde_json::to_value(&v).expect("view JSON"))
    }
}

pub fn run(
    store: &Path,
    format: Format,
    a: &IncidentArgs,
    now: DateTime<Utc>,
    server: Option<&Remote>,
) -> Result<ExitCode, Failure> {
    if let IncidentCmd::Validate {
        file,
        schema,
        ir_version,
    } = &a.cmd
    {
        return validate(format, file, schema.as_deref(), ir_version);
    }
    let (value, human): Answer = match server {
        Some(r) => {
            if let IncidentCmd::Report {
                schema, ir_version, ..
            } = &a.cmd
                && (schema.is_some() || ir_version.is_some())
            {
                return Err(Failure::usage(
                    "--schema and --ir-version apply to local reports; with --server the server's incident configuration (ir.version, ir.schema) decides",
                ));
            }
            remote(r, &a.cmd)?
        }
        None => {
            let mut loc = Local::open(store, a.config.as_deref(), now)?;
            if let IncidentCmd::Report {
                schema, ir_version, ..
            } = &a.cmd
            {
                loc.ir_overrides(schema.as_deref(), ir_version.as_deref())?;
            }
            local(&mut loc, &a.cmd)?
        }
    };
    if let IncidentCmd::Threat { out: Some(p), .. } = &a.cmd {
        let doc = &value["notification"];
        if doc.is_null() {
            return Err(Failure::usage(format!(
                "not a significant cyber threat (RTS 2024/1772 Art. 10), so no notification was written to {}; the threat is recorded as {}",
                p.display(),
                s(&value["id"])
            )));
        }
        std::fs::write(p, serde_json::to_vec_pretty(doc).expect("JSON"))
            .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
    }
    if let IncidentCmd::Report {
        out,
        fields_out,
        html,
        ..
    } = &a.cmd
    {
        let doc = &value["reports"][stage_name(&a.cmd)];
        for (p, v) in [(out, &doc["ir"]), (fields_out, &doc["document"])] {
            if let Some(p) = p {
                std::fs::write(p, serde_json::to_vec_pretty(v).expect("JSON"))
                    .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
            }
        }
        if let Some(p) = html {
            let missing: Vec<String> =
                serde_json::from_value(doc["missing"].clone()).unwrap_or_default();
            let page = report::html(&doc["document"], &missing, None)
                .map_err(|e| Failure::usage(e.to_string()))?;
            std::fs::write(p, page).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
        }
    }
    emit(format, || human(&value), value.clone())
}

/// `plumb incident validate`: every rule, then the authority's schema, over one document.
fn validate(
    format: Format,
    file: &Path,
    schema: Option<&Path>,
    version: &str,
) -> Result<ExitCode, Failure> {
    use plumb_incident::ir;
    let version = ir::Version::parse(version).map_err(|e| Failure::usage(e.to_string()))?;
    let bytes = read(file)?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::usage(format!("{}: not JSON: {e}", file.display())))?;
    let mut violations = ir::rules::check(&doc, version);
    let mut schema_id = None;
    if let Some(p) = schema {
        let s = ir::schema::Schema::parse(&read(p)?)
            .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
        violations.extend(s.check(&doc));
        schema_id = s.id;
    }
    let value = serde_json::json!({
        "file": file.display().to_string(),
        "ir_version": version.name(),
        "schema": schema_id,
        "valid": violations.is_empty(),
        "violations": violations,
    });
    let code = if violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    emit(
        format,
        || {
            let v = &value;
            let list = v["violations"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                format!(
                    "{}: valid IR {} document: every per-stage and conditional rule holds{}",
                    file.display(),
                    version.name(),
                    if schema.is_some() {
                        ", and the schema accepts it"
                    } else {
                        ""
                    }
                )
            } else {
                let mut s = format!("{}: {} rule(s) broken\n", file.display(), list.len());
                for x in list {
                    s.push_str(&format!(
                        "  {} ({}): {}\n",
                        x["field"].as_str().unwrap_or("-"),
                        x["path"].as_str().unwrap_or(""),
                        x["rule"].as_str().unwrap_or("")
                    ));
                }
                s
            }
        },
        value.clone(),
    )?;
    Ok(code)
}

fn stage_name(cmd: &IncidentCmd) -> &'static str {
    match cmd {
        IncidentCmd::Report { stage, .. } => Stage::from(*stage).name(),
        _ => "",
    }
}

type Answer = (Value, Box<dyn Fn(&Value) -> String>);

fn local(loc: &mut Local, cmd: &IncidentCmd) -> Result<Answer, Failure> {
    if let Some((id, op)) = op_of(cmd)? {
        let (l, ctx) = loc.parts();
        let evs = ops::apply(l, &ctx, &id, &op).map_err(fail)?;
        let entries = loc.append(&evs)?;
        let mut v = loc.view(&id)?;
        v["entries"] = json!(entries);
        return Ok((v, Box::new(show_text)));
    }
    Ok(match cmd {
        IncidentCmd::List => {
            let all = store::all(&mut loc.l).map_err(fail)?;
            let mut list = Vec::new();
            for inc in all {
                list.push(
                    serde_json::to_value(ops::view(inc, &loc.config, loc.now).map_err(fail)?)
                        .expect("JSON"),
                );
            }
            (
                json!({"now": plumb_incident::error::fmt_time(loc.now), "incidents": list}),
                Box::new(list_text),
            )
        }
        IncidentCmd::Show { id } => (loc.view(id)?, Box::new(show_text)),
        IncidentCmd::Threat { details, .. } => {
            let d = plumb_incident::threat::parse_details(
                &read(details)?,
                &details.display().to_string(),
            )
            .map_err(fail)?;
            let (l, ctx) = loc.parts();
            let rec = ops::record_threat(&ctx, &d).map_err(fail)?;
            if store::threat_exists(l, &rec.id).map_err(fail)? {
                return Err(Failure::usage(format!("{} is recorded already", rec.id)));
            }
            let entry = store::append_threat(l, &rec, ctx.now).map_err(fail)?;
            let mut v = serde_json::to_value(&rec).expect("JSON");
            v["entry"] = json!(entry);
            (v, Box::new(threat_text))
        }
        IncidentCmd::Threats => {
            let list = store::threats(&mut loc.l, usize::MAX, |_| true).map_err(fail)?;
            let items: Vec<Value> = list
                .into_iter()
                .map(|(i, t)| {
                    let mut v = serde_json::to_value(t).expect("JSON");
                    v["entry"] = json!(i);
                    v
                })
                .collect();
            (json!({"threats": items}), Box::new(threats_text))
        }
        IncidentCmd::Recurring { open } => {
            let (l, ctx) = loc.parts();
            let all = store::all(l).map_err(fail)?;
            let mut v = json!({"opened": [], "entries": []});
            if *open {
                let (ids, evs) = ops::open_recurring(&ctx, &all, |_| true).map_err(fail)?;
                let entries = loc.append(&evs)?;
                v = json!({"opened": ids, "entries": entries});
            }
            let (l, ctx) = loc.parts();
            let all = store::all(l).map_err(fail)?;
            let view = ops::recurring(&ctx, &all, |_| true).map_err(fail)?;
            v["assessment"] = serde_json::to_value(view).expect("JSON");
            (v, Box::new(recurring_text))
        }
        IncidentCmd::Open { .. } => {
            let req = open_request(cmd).expect("an open command");
            let (l, ctx) = loc.parts();
            let (id, evs) = ops::open(l, &ctx, &req).map_err(fail)?;
            loc.append(&evs)?;
            (loc.view(&id)?, Box::new(show_text))
        }
        IncidentCmd::Alert { file, kind } => {
            let body = read(file)?;
            let list = parse_alerts(kind, &body)?;
            let (l, ctx) = loc.parts();
            let (evs, out) = ops::alerts(l, &ctx, &list).map_err(fail)?;
            let entries = loc.append(&evs)?;
            (
                json!({"alerts": list.len(), "outcome": out, "entries": entries}),
                Box::new(alert_text),
            )
        }
        _ => unreachable!("operations are handled above"),
    })
}

fn parse_alerts(kind: &str, body: &[u8]) -> Result<Vec<alerts::Alert>, Failure> {
    match kind {
        "alertmanager" => alerts::alertmanager(body),
        "generic" => alerts::generic(body),
        other => {
            return Err(Failure::usage(format!(
                "--kind {other:?}: alertmanager or generic"
            )));
        }
    }
    .map_err(fail)
}

fn remote(r: &Remote, cmd: &IncidentCmd) -> Result<Answer, Failure> {
    let post = |path: &str, v: &Value| {
        r.post(
            path,
            "application/json",
            &serde_json::to_vec(v).expect("JSON"),
        )
    };
    if let Some((id, op)) = op_of(cmd)? {
        let v = post(
            &format!("/v1/incidents/{}", crate::remote::q(&id)),
            &serde_json::to_value(&op).expect("JSON"),
        )?;
        return Ok((v, Box::new(show_text)));
    }
    Ok(match cmd {
        IncidentCmd::List => (r.get("/v1/incidents")?, Box::new(list_text)),
        IncidentCmd::Threat { details, .. } => {
            let d = plumb_incident::threat::parse_details(
                &read(details)?,
                &details.display().to_string(),
            )
            .map_err(fail)?;
            (
                post("/v1/threats", &serde_json::to_value(&d).expect("JSON"))?,
                Box::new(threat_text),
            )
        }
        IncidentCmd::Threats => (r.get("/v1/threats")?, Box::new(threats_text)),
        IncidentCmd::Recurring { open } => {
            let mut v = json!({"opened": [], "entries": []});
            if *open {
                v = post("/v1/recurring", &json!({}))?;
            }
            if !v.is_object() {
                return Err(Failure::check(
                    "the server's answer to POST /v1/recurring is not a JSON object",
                ));
            }
            v["assessment"] = r.get("/v1/recurring")?;
            (v, Box::new(recurring_text))
        }
        IncidentCmd::Show { id } => (
            r.get(&format!("/v1/incidents/{}", crate::remote::q(id)))?,
            Box::new(show_text),
        ),
        IncidentCmd::Open { .. } => {
            let req = open_request(cmd).expect("an open command");
            let v = post("/v1/incidents", &serde_json::to_value(&req).expect("JSON"))?;
            let id = v["id"].as_str().unwrap_or_default().to_string();
            (
                r.get(&format!("/v1/incidents/{}", crate::remote::q(&id)))?,
                Box::new(show_text),
            )
        }
        IncidentCmd::Alert { file, kind } => {
            let body = read(file)?;
            parse_alerts(kind, &body)?; // refuse locally what the server would refuse
            let path = if kind == "alertmanager" {
                "/v1/alerts/alertmanager"
            } else {
                "/v1/alerts"
            };
            (
                r.post(path, "application/json", &body)?,
                Box::new(alert_text),
            )
        }
        _ => unreachable!("operations are handled above"),
    })
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

/// One recorded threat in words.
fn threat_text(v: &Value) -> String {
    let mut o = format!(
        "{} recorded (entry {}): {}\n",
        s(&v["id"]),
        v["entry"],
        if v["significant"] == true {
            "a significant cyber threat; the voluntary notification is ready (--out FILE)"
        } else {
            "not a significant cyber threat; no notification"
        }
    );
    for e in v["explanation"].as_array().into_iter().flatten() {
        o.push_str(&format!("  {}\n", s(e)));
    }
    o
}

/// Recorded threats in words.
fn threats_text(v: &Value) -> String {
    let list = v["threats"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return "No cyber threats recorded.\n".into();
    }
    let mut o = String::new();
    for t in &list {
        o.push_str(&format!(
            "{}  detected {}  {:<8}  {}  {}\n",
            s(&t["id"]),
            s(&t["details"]["detected_at"]),
            s(&t["details"]["status"]),
            if t["significant"] == true {
                "significant"
            } else {
                "not significant"
            },
            s(&t["details"]["description"])
        ));
    }
    o
}

/// The recurring-incident assessment in words.
fn recurring_text(v: &Value) -> String {
    let a = &v["assessment"];
    let mut o = String::new();
    if a["applies"] == false {
        o.push_str("The recurring-incident rule (RTS 2024/1772 Art. 8(2)) does not apply to this entity (a microenterprise or under the simplified framework of DORA Art. 16(1)).\n");
        return o;
    }
    let ids = |x: &Value| {
        x.as_array()
            .map(|x| x.iter().map(s).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let groups = a["groups"].as_array().cloned().unwrap_or_default();
    o.push_str(&format!(
        "Recurring incidents since {} (RTS 2024/1772 Art. 8(2)): {} new group(s) major together\n",
        s(&a["since"]),
        groups.len()
    ));
    for g in &groups {
        o.push_str(&format!(
            "  {}: {} (last detected {}; not opened: run with --open)\n",
            s(&g["root_cause"]),
            ids(&g["incidents"]),
            s(&g["last_detected_at"]),
        ));
        for e in g["classification"]["explanation"]
            .as_array()
            .into_iter()
            .flatten()
        {
            o.push_str(&format!("      {}\n", s(e)));
        }
    }
    for r in a["opened"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "  reported as {}: {} ({})\n",
            s(&r["id"]),
            ids(&r["incidents"]),
            s(&r["root_cause"])
        ));
    }
    for u in a["unassessed"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "  not assessed: {}: {}\n",
            ids(&u["incidents"]),
            s(&u["reason"])
        ));
    }
    if a["hidden"].as_u64().unwrap_or(0) > 0 {
        o.push_str(&format!(
            "  {} group(s) involve incidents of systems outside this token's scope\n",
            a["hidden"]
        ));
    }
    for id in v["opened"].as_array().into_iter().flatten() {
        o.push_str(&format!("opened {}\n", s(id)));
    }
    let without = a["without_root_cause"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !without.is_empty() {
        o.push_str(&format!(
            "{} non-major incident(s) have no apparent root cause recorded and were not compared: {} (plumb incident root-cause ID --cause ...)\n",
            without.len(),
            without.iter().map(s).collect::<Vec<_>>().join(", ")
        ));
    }
    o
}

/// A deadline's report: its stage, or `intermediate_update` for the update due on recovery.
fn report_of(d: &Value) -> &str {
    if d["update"] == true {
        "intermediate_update"
    } else {
        s(&d["stage"])
    }
}

fn next_deadline(v: &Value) -> String {
    v["deadlines"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["state"] == "due" || d["state"] == "overdue")
        .map(|d| {
            format!(
                "{} {} {} ({})",
                report_of(d),
                s(&d["state"]),
                s(&d["due_at"]),
                s(&d["due_local"])
            )
        })
        .unwrap_or_else(|| "-".into())
}

fn list_text(v: &Value) -> String {
    let list = v["incidents"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return "no incidents\n".into();
    }
    let mut out = String::new();
    for i in &list {
        out.push_str(&format!(
            "{}  {:<9} {:<9} {}\n    next report: {}\n",
            s(&i["id"]),
            s(&i["status"]),
            if i["major"] == true {
                "MAJOR"
            } else if i["classification"].is_null() {
                "unclassified"
            } else {
                "not major"
            },
            s(&i["title"]),
            next_deadline(i)
        ));
    }
    out
}

fn alert_text(v: &Value) -> String {
    let o = &v["outcome"];
    let n = |k: &str| o[k].as_array().map_or(0, Vec::len);
    let mut out = format!(
        "{} alert(s): {} incident(s) opened, {} attached, {} duplicate(s), {} resolved, {} incident(s) mitigated, {} ignored\n",
        v["alerts"],
        n("opened"),
        n("attached"),
        n("duplicates"),
        n("resolved"),
        n("mitigated"),
        n("ignored")
    );
    for id in o["opened"].as_array().into_iter().flatten() {
        out.push_str(&format!("  opened {}\n", s(id)));
    }
    out
}

fn show_text(v: &Value) -> String {
    let mut o = format!(
        "{}  {}\n  status {}; detected {}; services {}\n",
        s(&v["id"]),
        s(&v["title"]),
        s(&v["status"]),
        s(&v["detected_at"]),
        v["services"]
            .as_array()
            .map(|a| a
                .iter()
                .map(|x| s(x).to_string())
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default()
    );
    match v["classification"].as_object() {
        None => o.push_str("\nNot classified yet: plumb incident classify ID --assessment FILE\n"),
        Some(c) => {
            o.push_str(&format!(
                "\nClassification: {}\n",
                if v["major"] == true {
                    "MAJOR"
                } else {
                    "not major"
                }
            ));
            for l in c["explanation"].as_array().into_iter().flatten() {
                o.push_str(&format!("  {}\n", s(l)));
            }
        }
    }
    if let Some(r) = v["reclassified"].as_array() {
        o.push_str(&format!(
            "  Reclassified as non-major at {}: {}\n",
            s(&r[0]),
            s(&r[1])
        ));
    }
    let deadlines = v["deadlines"].as_array().cloned().unwrap_or_default();
    if !deadlines.is_empty() {
        o.push_str("\nReports (RTS 2025/301 Art. 5):\n");
        for d in &deadlines {
            o.push_str(&format!(
                "  {:<19} {:<14} due {} ({}){}\n",
                report_of(d),
                s(&d["state"]),
                s(&d["due_at"]),
                s(&d["due_local"]),
                d["submitted_at"]
                    .as_str()
                    .map(|x| format!(", submitted {x}"))
                    .unwrap_or_default()
            ));
            for l in d["explanation"].as_array().into_iter().flatten() {
                o.push_str(&format!("      {}\n", s(l)));
            }
        }
    }
    for (stage, r) in v["reports"].as_object().into_iter().flatten() {
        let missing = r["missing"].as_array().cloned().unwrap_or_default();
        if !missing.is_empty() {
            o.push_str(&format!(
                "\nThe {stage} report is missing {} required field(s):\n",
                missing.len()
            ));
            for m in missing {
                o.push_str(&format!("  {}\n", s(&m)));
            }
        }
    }
    let links = v["links"].as_array().cloned().unwrap_or_default();
    if !links.is_empty() {
        o.push_str("\nLinked deployments:\n");
        for l in &links {
            o.push_str(&format!(
                "  entry {} {} {} at {} ({}): {}\n",
                l["entry"],
                s(&l["system"]),
                s(&l["commit"]),
                s(&l["deployed_at"]),
                s(&l["method"]),
                s(&l["reason"])
            ));
        }
    }
    o.push_str("\nTimeline (from the ledger):\n");
    for e in v["timeline"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "  {:>6}  {}  {:<22} {}\n",
            e[0],
            s(&e[1]["recorded_at"]),
            s(&e[1]["event"]),
            s(&e[1]["actor"])
        ));
    }
    o
}
