//! `plumb gate`: gather inputs from the configuration file and flags, evaluate, write the
//! reports, record the decision, and exit 0 (pass or override), 1 (deny) or 2 (no decision).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use plumb_gate::{BreakGlassRequest, Decision, GateConfig, GateRequest, Outcome, evaluate, render};
use plumb_ingest::Kind;
use plumb_ledger::RecordRequest;

use crate::cli::{Format, GateCmd, GateRun, GateSub, PolicyCmd};
use crate::evidence::open;
use crate::output::{Failure, emit};
use crate::remote::Remote;

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let fail = |e: String| {
        Failure::usage(format!("{}: {e}", path.display()))
            .hint("the gate fails closed: every named input must be readable")
    };
    // Refused before reading: a file over the limit is never loaded whole into memory.
    let len = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .len();
    let max = plumb_ingest::util::MAX_INPUT_BYTES as u64;
    if len > max {
        return Err(fail(format!(
            "input is {len} bytes, over the {max}-byte limit"
        )));
    }
    std::fs::read(path).map_err(|e| fail(e.to_string()))
}

/// An infrastructure directory's inputs: its `.tf` files as one Terraform configuration (as
/// Terraform reads a module), and each `.yaml`/`.yml`/`.json` file on its own. Not recursive:
/// a module's directory is an input of its own.
type NamedInput = (String, Vec<u8>, Vec<PathBuf>);
fn infra_directory(dir: &Path) -> Result<Vec<NamedInput>, Failure> {
    // Regular files only: a symbolic link committed beside the configuration could point
    // anywhere (a kubeconfig), and its content would be read and attached to the decision.
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
    {
        let meta = std::fs::symlink_metadata(&entry)
            .map_err(|e| Failure::usage(format!("{}: {e}", entry.display())))?;
        if meta.file_type().is_symlink() {
            return Err(Failure::usage(format!(
                "{}: a symbolic link in an --infra directory is refused",
                entry.display()
            ))
            .hint("give the file it points to as --infra of its own if it belongs to the review"));
        }
        // Files that change the configuration's values where it is applied: the configuration
        // alone no longer says what Terraform will create, so only its plan may be judged.
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.ends_with(".tfvars")
            || name.ends_with(".tfvars.json")
            || name == "override.tf"
            || name.ends_with("_override.tf")
        {
            return Err(Failure::usage(format!(
                "{}: variable values or overrides beside the configuration change what it creates",
                entry.display()
            ))
            .hint("judge the plan instead: terraform plan -out plan.out && terraform show -json plan.out > plan.json"));
        }
        if meta.file_type().is_file() {
            files.push(entry);
        }
    }
    files.sort();
    let ext = |f: &PathBuf| {
        f.extension()
            .and_then(|x| x.to_str())
            .unwrap_or("")
            .to_string()
    };
    let (tf, other): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .filter(|f| matches!(ext(f).as_str(), "tf" | "yaml" | "yml" | "json"))
        .partition(|f| ext(f) == "tf");
    let mut out = Vec::new();
    if !tf.is_empty() {
        let mut texts = Vec::new();
        for f in &tf {
            let text = String::from_utf8(read(f)?)
                .map_err(|_| Failure::usage(format!("{}: not UTF-8", f.display())))?;
            texts.push((f.display().to_string(), text));
        }
        let name = dir.display().to_string();
        let joined =
            plumb_ingest::infra::hcl::bundle(&texts).map_err(|e| Failure::usage(e.to_string()))?;
        out.push((name, joined.into_bytes(), tf));
    }
    for f in other {
        out.push((f.display().to_string(), read(&f)?, vec![f.clone()]));
    }
    if out.is_empty() {
        return Err(Failure::usage(format!(
            "{}: no .tf, .yaml, .yml or .json files in this directory",
            dir.display()
        ))
        .hint("--infra takes a plan's JSON, manifests, a .tf file or a directory holding them"));
    }
    Ok(out)
}

fn request(a: &GateRun, now: DateTime<Utc>) -> Result<(GateRequest, Vec<PathBuf>, bool), Failure> {
    let mut config = match &a.config {
        Some(p) => GateConfig::load(p).map_err(|e| Failure::usage(e.to_string()))?,
        None => GateConfig::default(),
    };
    if let Some(s) = &a.system {
        config.system = Some(s.clone());
    }
    if let Some(c) = &a.criticality {
        config.criticality = c.clone();
    }
    if let Some(e) = &a.environment {
        config.environment = Some(e.clone());
    }
    if let Some(t) = a.coverage_threshold {
        config.coverage_threshold = t;
    }
    if let Some(m) = &a.model {
        let model =
            plumb_model::load(m).map_err(|e| Failure::usage(format!("{}: {e}", m.display())))?;
        for (name, p) in plumb_model::dora::system_profiles(&model) {
            // What the configuration says by hand wins over the model.
            config
                .systems
                .entry(name)
                .or_insert(plumb_gate::config::SystemFacts {
                    criticality: p.criticality,
                    personal_data: p.personal_data,
                });
        }
    }
    config
        .validate()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let ci = config.inputs.clone();
    let mut files: Vec<(Kind, PathBuf)> = Vec::new();
    for (kind, cfg, flags) in [
        (Kind::Sast, &ci.sast, &a.sast),
        (Kind::Sbom, &ci.sbom, &a.sbom),
        (Kind::Vulns, &ci.vulns, &a.vulns),
        (Kind::Secrets, &ci.secrets, &a.secrets),
        (Kind::Tests, &ci.tests, &a.tests),
        (Kind::Coverage, &ci.coverage, &a.coverage),
        (Kind::Infra, &ci.infra, &a.infra),
    ] {
        files.extend(cfg.iter().chain(flags.iter()).map(|p| (kind, p.clone())));
    }
    for (kind, flag, cfg) in [
        (Kind::Approvals, &a.approvals, &ci.approvals),
        (Kind::Codeowners, &a.codeowners, &ci.codeowners),
    ] {
        if let Some(p) = flag.as_ref().or(cfg.as_ref()) {
            files.push((kind, p.clone()));
        }
    }
    let mut inputs: Vec<(Kind, String, Vec<u8>)> = Vec::new();
    let mut attach = Vec::new();
    // Change metadata: the file, with any flags laid over it.
    let change_file = a.change.as_ref().or(ci.change.as_ref());
    let overrides = [
        ("author", &a.author),
        ("commit", &a.commit),
        ("runbook", &a.runbook),
        ("rollback_plan", &a.rollback_plan),
        ("change_id", &a.change_id),
    ];
    if change_file.is_some() || overrides.iter().any(|(_, v)| v.is_some()) {
        let (name, mut value) = match change_file {
            Some(p) => {
                let v: serde_json::Value = serde_json::from_slice(&read(p)?)
                    .map_err(|e| Failure::usage(format!("{}: not JSON: {e}", p.display())))?;
                attach.push(p.clone());
                (p.display().to_string(), v)
            }
            None => ("change (flags)".to_string(), json!({})),
        };
        for (k, v) in overrides {
            if let Some(v) = v {
                let Some(fields) = value.as_object_mut() else {
                    return Err(Failure::usage(format!(
                        "{name}: a change record is a JSON object, so --{} cannot be set in it",
                        k.replace('_', "-")
                    )));
                };
                fields.insert(k.to_string(), json!(v));
            }
        }
        inputs.push((
            Kind::Change,
            name,
            serde_json::to_vec(&value).expect("JSON"),
        ));
    }
    for (kind, p) in files {
        if kind == Kind::Infra && p.is_dir() {
            for (name, bytes, parts) in infra_directory(&p)? {
                inputs.push((kind, name, bytes));
                attach.extend(parts);
            }
            continue;
        }
        inputs.push((kind, p.display().to_string(), read(&p)?));
        attach.push(p);
    }
    let mut waivers = Vec::new();
    for p in config.waivers.iter().chain(a.waivers.iter()) {
        waivers.push((
            p.display().to_string(),
            String::from_utf8_lossy(&read(p)?).into_owned(),
        ));
        attach.push(p.clone());
    }
    let mut policy_paths = config.policies.clone();
    policy_paths.extend(a.policy.iter().cloned());
    let policies = plumb_gate::held::read_policies(&policy_paths).map_err(|e| {
        Failure::usage(e.to_string())
            .hint("the gate fails closed: every named policy must be readable")
    })?;
    let break_glass = a
        .break_glass
        .as_ref()
        .zip(a.break_glass_approver.as_ref())
        .map(|(j, w)| BreakGlassRequest {
            justification: j.clone(),
            approver: w.clone(),
        });
    let record = a.record || config.record;
    // A local decision names the configuration it was made under: the file, or the flags.
    let origin = plumb_gate::held::ConfigOrigin {
        held_by: "client".into(),
        source: a.config.as_ref().map_or_else(
            || "flags and defaults".to_string(),
            |p| p.display().to_string(),
        ),
        digest: plumb_gate::held::config_digest(&config, &policies, &waivers),
    };
    Ok((
        GateRequest {
            config,
            inputs,
            waivers,
            policies,
            now,
            break_glass,
            origin: Some(origin),
        },
        attach,
        record,
    ))
}

fn record(
    store: &Path,
    d: &Decision,
    a: &GateRun,
    attach: Vec<PathBuf>,
    now: DateTime<Utc>,
) -> Result<u64, Failure> {
    let mut l = open(store)?;
    let artifacts = a
        .artifact
        .iter()
        .map(|p| crate::evidence::artifact_subject(p))
        .collect::<Result<Vec<_>, _>>()?;
    let rec = plumb_gate::record::decision_record(d, artifacts);
    let mut attachments = attach;
    if let Some(full) = &rec.full {
        let dir = l.dir().join("tmp");
        std::fs::create_dir_all(&dir).map_err(|e| Failure::usage(e.to_string()))?;
        let path = dir.join(plumb_gate::record::FULL_DECISION_NAME);
        std::fs::write(&path, full).map_err(|e| Failure::usage(e.to_string()))?;
        attachments.push(path);
    }
    let (index, _) = l.record(
        RecordRequest {
            subjects: rec.subjects,
            predicate_type: plumb_gate::decision::PREDICATE_TYPE.into(),
            predicate: plumb_records::Record::to_predicate(&rec.predicate),
            system: d.system.clone(),
            run: a.run.clone(),
            attachments,
        },
        now,
    )?;
    Ok(index)
}

/// Sends the request (inputs inline) to the server, which evaluates it at its own time and
/// records it when asked; the answer is the same decision a local run gives.
fn evaluate_remote(
    r: &Remote,
    req: &GateRequest,
    a: &GateRun,
    want_record: bool,
) -> Result<(Decision, Option<u64>), Failure> {
    if want_record && !a.artifact.is_empty() {
        return Err(Failure::usage(
            "--artifact is not sent to a server yet: record the artifact's digest with `plumb record --server` instead",
        ));
    }
    if req.config.system.is_none() {
        return Err(Failure::usage(
            "a server gates a named system: give --system (or system: in the configuration)",
        ));
    }
    // Rules only: what names the system, the environment and the inputs is sent.
    let rules = GateConfig {
        system: None,
        environment: None,
        inputs: Default::default(),
        record: false,
        ..req.config.clone()
    };
    let digest = plumb_gate::held::config_digest;
    if digest(&rules, &req.policies, &req.waivers) != digest(&GateConfig::default(), &[], &[]) {
        eprintln!(
            "note: the server applies its own gate configuration for {}; the local criticality, thresholds, rules, policies and waivers are not sent",
            req.config.system.as_deref().unwrap_or_default()
        );
    }
    let wire = plumb_gate::wire::WireGateRequest::from_request(req, want_record, a.run.clone());
    let mut v = r.post(
        "/v1/gate",
        "application/json",
        &serde_json::to_vec(&wire).expect("JSON"),
    )?;
    let recorded = v["recorded_entry"].as_u64();
    if let Some(o) = v.as_object_mut() {
        o.remove("recorded_entry");
        o.remove("signer");
    }
    let d = serde_json::from_value(v).map_err(|e| {
        Failure::usage(format!("the server's decision is not one plumb reads: {e}"))
    })?;
    Ok((d, recorded))
}

/// `plumb gate test`: the policies' unit tests.
fn policy_tests(
    format: Format,
    paths: &[PathBuf],
    config: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let config = match config {
        Some(p) => GateConfig::load(p).map_err(|e| Failure::usage(e.to_string()))?,
        None => GateConfig::default(),
    };
    let mut policies = Vec::new();
    let mut tests = Vec::new();
    for p in paths {
        let files: Vec<PathBuf> = if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "rego"))
                .collect();
            v.sort();
            v
        } else {
            vec![p.clone()]
        };
        for f in files {
            let text = String::from_utf8(read(&f)?)
                .map_err(|_| Failure::usage(format!("{}: not UTF-8", f.display())))?;
            let src = plumb_gate::PolicySource {
                name: f.display().to_string(),
                text,
            };
            if f.to_string_lossy().ends_with("_test.rego") {
                tests.push(src);
            } else {
                policies.push(src);
            }
        }
    }
    if tests.is_empty() {
        return Err(Failure::usage("no *_test.rego files under the given paths"));
    }
    let results = plumb_gate::policytest::run(
        &policies,
        &tests,
        &plumb_gate::policy_config(&config),
        config.policy_timeout_ms,
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    use plumb_gate::policytest::Outcome as T;
    let count = |o: T| results.iter().filter(|r| r.outcome == o).count();
    let failed = count(T::Fail) + count(T::Error);
    emit(
        format,
        || {
            let mut s = String::new();
            for r in &results {
                let mark = match r.outcome {
                    T::Pass => "PASS ",
                    T::Fail => "FAIL ",
                    T::Error => "ERROR",
                    T::Skip => "SKIP ",
                };
                s.push_str(&format!("{mark} {} ({})", r.test, r.file));
                if let Some(d) = &r.detail {
                    s.push_str(&format!(": {d}"));
                }
                s.push('\n');
            }
            s.push_str(&format!(
                "{} passed, {} failed, {} errors, {} skipped\n",
                count(T::Pass),
                count(T::Fail),
                count(T::Error),
                count(T::Skip)
            ));
            s
        },
        json!({"results": results, "passed": count(T::Pass), "failed": count(T::Fail), "errors": count(T::Error), "skipped": count(T::Skip)}),
    )?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// With `require_resilience_test`, the state of each function the system supports, from the
/// store's resilience tests and `--model`; without the model nothing is filled, and the rule
/// denies (it cannot tell which functions the system supports).
fn fill_resilience(
    store: &Path,
    a: &GateRun,
    req: &mut GateRequest,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let c = &mut req.config;
    if !c.require_resilience_test || c.resilience.is_some() {
        return Ok(());
    }
    let (Some(m), true) = (&a.model, c.system.is_some()) else {
        return Ok(());
    };
    let model =
        plumb_model::load(m).map_err(|e| Failure::usage(format!("{}: {e}", m.display())))?;
    let mut l = open(store)?;
    let tests =
        plumb_resilience::tests::recorded(&mut l).map_err(|e| Failure::usage(e.to_string()))?;
    plumb_resilience::tests::fill_gate(c, &model, &tests, now);
    Ok(())
}

pub fn run(
    store: &Path,
    format: Format,
    cmd: &GateCmd,
    now: DateTime<Utc>,
    remote: Option<&Remote>,
) -> Result<ExitCode, Failure> {
    match &cmd.sub {
        Some(GateSub::Schema) => {
            println!("{}", plumb_gate::schema::INPUT_SCHEMA.trim_end());
            return Ok(ExitCode::SUCCESS);
        }
        Some(GateSub::Test { paths, config }) => {
            return policy_tests(format, paths, config.as_deref());
        }
        Some(GateSub::Facts(a)) => {
            let (req, _, _) = request(a, now)?;
            let (_, _, input) =
                plumb_gate::policy_input(&req).map_err(|e| Failure::usage(e.to_string()))?;
            println!("{}", serde_json::to_string_pretty(&input).expect("JSON"));
            return Ok(ExitCode::SUCCESS);
        }
        Some(GateSub::Policy(PolicyCmd::Show)) => {
            use plumb_gate::config::{baseline_citations, is_house_policy};
            let rules: Vec<_> = plumb_gate::config::BASELINE_RULES
                .iter()
                .map(|(id, what)| json!({"id": id, "checks": what, "refs": baseline_citations(id), "house_policy": is_house_policy(id)}))
                .collect();
            return emit(
                format,
                || {
                    let mut s = String::from(
                        "# Baseline rules (switch one off with `rules: {ID: {enabled: false}}` in the gate configuration)\n",
                    );
                    for (id, what) in plumb_gate::config::BASELINE_RULES {
                        s.push_str(&format!(
                            "#   {id:<16} {what}\n#   {:<16} cites {}\n",
                            "",
                            baseline_citations(id).join("; ")
                        ));
                    }
                    s.push('\n');
                    s.push_str(plumb_gate::engine::BASELINE);
                    s
                },
                json!({"rules": rules, "rego": plumb_gate::engine::BASELINE}),
            );
        }
        None => {}
    }
    let a = &cmd.run;
    let (mut req, attach, want_record) = request(a, now)?;
    let (d, recorded) = match remote {
        Some(r) => evaluate_remote(r, &req, a, want_record)?,
        None => {
            fill_resilience(store, a, &mut req, now)?;
            let d = evaluate(&req);
            let recorded = if want_record {
                Some(record(store, &d, a, attach, now)?)
            } else {
                None
            };
            (d, recorded)
        }
    };
    let config_path = a
        .config
        .as_ref()
        .map_or("plumb-gate.yaml".to_string(), |p| p.display().to_string());
    for (path, body) in [
        (&a.junit_out, render::junit(&d).into_bytes()),
        (&a.markdown_out, render::markdown(&d).into_bytes()),
        (&a.json_out, d.to_json()),
        (&a.sarif_out, plumb_gate::ci_reports::sarif(&d).into_bytes()),
        (
            &a.codequality_out,
            plumb_gate::ci_reports::gitlab_codequality(&d, &config_path).into_bytes(),
        ),
    ] {
        if let Some(p) = path {
            std::fs::write(p, body).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
        }
    }
    match format {
        Format::Json => {
            let mut v: serde_json::Value =
                serde_json::from_slice(&d.to_json()).expect("decision JSON");
            if let Some(i) = recorded {
                v["recorded_entry"] = json!(i);
            }
            println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
        }
        Format::Human => {
            let color = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
            print!("{}", render::human(&d, color));
            if a.github_annotations {
                print!("{}", plumb_gate::ci_reports::github_annotations(&d));
            }
            if let Some(i) = recorded {
                match remote {
                    Some(r) => println!("  decision recorded as entry {i} on {}", r.base()),
                    None => println!(
                        "  decision recorded as entry {i} (plumb --store {} show {i})",
                        store.display()
                    ),
                }
            }
        }
    }
    Ok(match d.result {
        Outcome::Pass | Outcome::Override => ExitCode::SUCCESS,
        Outcome::Deny => ExitCode::from(1),
        Outcome::Error => ExitCode::from(2),
    })
}
