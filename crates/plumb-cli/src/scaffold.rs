//! `plumb scaffold`: generate, update, check and verify a service repository from the model.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use plumb_scaffold::manifest::{self, Manifest};
use plumb_scaffold::sync::{self, Action};
use plumb_scaffold::template::Catalog;
use plumb_scaffold::{ScaffoldError, verify};

use crate::cli::{Format, ScaffoldArgs};
use crate::output::{Failure, emit, mark};

impl From<ScaffoldError> for Failure {
    fn from(e: ScaffoldError) -> Self {
        let f = Failure::usage(e.to_string());
        match e.hint() {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

fn catalog(dir: Option<&Path>) -> Result<Catalog, Failure> {
    Ok(match dir {
        Some(d) => Catalog::with_dir(d)?,
        None => Catalog::embedded(),
    })
}

fn list(format: Format, cat: &Catalog) -> Result<ExitCode, Failure> {
    let sets: Vec<_> = cat
        .sets
        .values()
        .map(|s| {
            json!({
                "name": s.meta.name, "version": s.meta.version, "kind": s.meta.kind,
                "description": s.meta.description, "language": s.meta.language,
                "source": s.source, "digest": s.digest, "files": s.files.len(),
                "controls": s.meta.controls,
            })
        })
        .collect();
    emit(
        format,
        || {
            let mut t = String::new();
            for s in cat.sets.values() {
                t.push_str(&format!(
                    "{:<16} {:<8} {:<10} {}\n",
                    s.meta.name,
                    s.meta.version,
                    format!("{:?}", s.meta.kind).to_lowercase(),
                    s.meta.description
                ));
                for c in &s.meta.controls {
                    t.push_str(&format!(
                        "    {:<10} {}  [{}]\n",
                        c.id,
                        c.title,
                        c.dora.join("; ")
                    ));
                }
            }
            t.push_str("\nA component chooses one with its plumb:template property; see docs/scaffold.md.\n");
            t
        },
        json!({ "templates": sets }),
    )
}

/// The first 12 characters of a digest (all of a shorter or non-ASCII one from a tampered
/// manifest).
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Unchanged => "same",
        Action::KeepEdited => "kept",
        Action::KeepDeleted => "deleted",
        Action::Conflict => "CONFLICT",
        Action::Remove => "remove",
        Action::Orphan => "orphan",
        Action::Overwrite => "overwrite",
    }
}

/// Runs `plumb scaffold`.
pub fn run(format: Format, a: &ScaffoldArgs) -> Result<ExitCode, Failure> {
    if a.list_templates {
        return list(format, &catalog(a.templates.as_deref())?);
    }
    let out = a.out.as_deref().ok_or_else(|| {
        Failure::usage("give the repository directory with --out DIR")
            .hint("e.g. plumb scaffold --model examples/model/bank.yaml --out bank-services")
    })?;
    // `--out .` works like any other directory.
    let out_abs =
        std::path::absolute(out).map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
    let out = out_abs.as_path();
    let previous = if out.is_dir() {
        Manifest::read(out)?
    } else {
        None
    };
    if a.verify && a.model.is_none() {
        return run_verify(format, out);
    }
    let resolved = plumb_scaffold::resolve::resolve(
        out,
        &plumb_scaffold::resolve::Requested {
            model: a.model.clone(),
            templates: a.templates.clone(),
            components: a.components.clone(),
            default_template: a.default_template.clone(),
            name: a.name.clone(),
        },
        previous.as_ref(),
    )?;
    if format == Format::Human && resolved.from_manifest {
        // Say where the manifest led: the model and templates decide what counts as drift.
        eprintln!(
            "using model {}{} (from {})",
            resolved.model_path.display(),
            resolved
                .templates_dir
                .as_ref()
                .map(|d| format!(" and templates in {}", d.display()))
                .unwrap_or_default(),
            out.join(manifest::PATH).display()
        );
    }
    let model =
        plumb_model::load(&resolved.model_path).map_err(|e| Failure::usage(e.to_string()))?;
    let cat = catalog(resolved.templates_dir.as_deref())?;
    let generation = plumb_scaffold::generate(&model, &resolved.options, &cat)?;
    let services: Vec<_> = generation
        .services
        .iter()
        .map(|s| json!({"name": s.slug, "component": s.id, "template": s.template, "criticality": s.criticality, "onboarding": s.onboarding.as_ref().map(|w| &w.name)}))
        .collect();

    if a.check {
        return check(format, out, &generation);
    }

    let plan = sync::plan_with(out, &generation, previous.as_ref(), a.force, &a.resolved)?;
    if !a.dry_run {
        sync::apply(out, &generation, &plan)?;
    }
    let conflicts = plan.count(Action::Conflict);
    let verified = if a.verify && conflicts == 0 {
        Some(verify_repo(format, out)?)
    } else {
        None
    };
    let value = json!({
        "verified": verified,
        "repository": out.display().to_string(),
        "name": generation.manifest.repository,
        "model": generation.manifest.model,
        "services": services,
        "dry_run": a.dry_run,
        "entries": plan.entries.iter().filter(|e| e.action != Action::Unchanged).collect::<Vec<_>>(),
        "counts": {
            "create": plan.count(Action::Create), "update": plan.count(Action::Update),
            "unchanged": plan.count(Action::Unchanged), "kept": plan.count(Action::KeepEdited) + plan.count(Action::KeepDeleted),
            "conflict": conflicts, "remove": plan.count(Action::Remove), "orphan": plan.count(Action::Orphan),
            "overwrite": plan.count(Action::Overwrite),
        },
    });
    emit(
        format,
        || {
            let mut t = format!(
                "{} {} from model {:?} (sha256 {})\n",
                if a.dry_run {
                    "would generate"
                } else {
                    "generated"
                },
                out.display(),
                model.name,
                short(&generation.manifest.model.digest)
            );
            for s in &generation.services {
                t.push_str(&format!(
                    "  service {:<14} {:<15} {}{}\n",
                    s.slug,
                    s.template,
                    s.criticality,
                    s.onboarding
                        .as_ref()
                        .map(|w| format!(", onboarding: {} ({} states)", w.name, w.states.len()))
                        .unwrap_or_default()
                ));
            }
            for e in &plan.entries {
                // A fresh repository would list every file; say only what is not routine.
                let routine =
                    e.action == Action::Unchanged || (plan.fresh && e.action == Action::Create);
                let show = !routine;
                if show {
                    t.push_str(&format!(
                        "  {:<9} {}{}\n",
                        action_word(e.action),
                        e.path,
                        e.note
                            .as_ref()
                            .map(|n| format!("  ({n})"))
                            .unwrap_or_default()
                    ));
                }
            }
            t.push_str(&format!(
                "{} created, {} updated, {} unchanged, {} kept as you left them, {} removed, {} conflicts\n",
                plan.count(Action::Create) + plan.count(Action::Overwrite),
                plan.count(Action::Update),
                plan.count(Action::Unchanged),
                plan.count(Action::KeepEdited) + plan.count(Action::KeepDeleted) + plan.count(Action::Orphan),
                plan.count(Action::Remove),
                conflicts
            ));
            if conflicts > 0 {
                t.push_str(&format!(
                    "merge the versions in {}/{}/, then run again with --resolved PATH for each\n",
                    out.display(),
                    manifest::PENDING
                ));
            } else if let Some(ok) = verified {
                t.push_str(&verified_line(ok, out));
                t.push('\n');
            } else if !a.dry_run {
                t.push_str(&format!(
                    "next: plumb scaffold --out {} --verify   (builds and tests every service against PostgreSQL)\n",
                    out.display()
                ));
            }
            t
        },
        value,
    )?;
    if conflicts > 0 {
        return Ok(ExitCode::from(1));
    }
    if verified == Some(false) {
        return Err(verify_failed(out));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--check`: what regenerating would change, without writing; exit 1 on drift.
fn check(
    format: Format,
    out: &Path,
    generation: &plumb_scaffold::Generation,
) -> Result<ExitCode, Failure> {
    let drift = sync::check(out, generation)?;
    let code = if drift.drift { 1 } else { 0 };
    let value = json!({
        "repository": out.display().to_string(), "drift": drift.drift,
        "generated_from": drift.generated_from, "model": drift.model,
        "templates_changed": drift.templates_changed, "entries": drift.entries,
    });
    emit(
        format,
        || {
            let mut t = String::new();
            if drift.generated_from != drift.model {
                t.push_str(&format!(
                    "the model changed since generation (sha256 {} then, {} now)\n",
                    short(&drift.generated_from),
                    short(&drift.model)
                ));
            }
            for (name, then, now) in &drift.templates_changed {
                t.push_str(&format!(
                    "template {name} changed ({then} then, {now} now)\n"
                ));
            }
            for e in &drift.entries {
                let counts = e.is_drift();
                let what = match e.action {
                    Action::Create => "missing or new: regenerating would create it".into(),
                    Action::Update => {
                        "the model or templates change it: regenerating would update it".into()
                    }
                    Action::Remove => "no longer generated: regenerating would remove it".into(),
                    _ => e.note.clone().unwrap_or_default(),
                };
                t.push_str(&format!(
                    "  {:<6} {}  {}{}\n",
                    if counts { "drift" } else { "note" },
                    e.path,
                    what,
                    if e.managed && matches!(e.action, Action::KeepEdited) {
                        " (managed: must stay as generated)"
                    } else {
                        ""
                    }
                ));
            }
            t.push_str(&format!(
                "{}: {} and its model {}\n",
                mark(!drift.drift),
                out.display(),
                if drift.drift {
                    "have drifted apart"
                } else {
                    "agree"
                }
            ));
            t
        },
        value,
    )?;
    Ok(ExitCode::from(code))
}

fn verify_failed(out: &Path) -> Failure {
    Failure::check(format!("the build or tests of {} failed", out.display()))
        .hint("read the output above; scripts/verify in the repository runs the same checks")
}

/// Runs the repository's `scripts/verify` (its output goes to standard error).
fn verify_repo(format: Format, out: &Path) -> Result<bool, Failure> {
    if format == Format::Human {
        eprintln!("verifying {}: scripts/verify", out.display());
    }
    Ok(verify::run(out)?)
}

fn verified_line(ok: bool, out: &Path) -> String {
    format!(
        "{}: {} builds and passes its tests",
        mark(ok),
        out.display()
    )
}

fn run_verify(format: Format, out: &Path) -> Result<ExitCode, Failure> {
    let ok = verify_repo(format, out)?;
    if format == Format::Json {
        crate::output::json(&json!({"repository": out.display().to_string(), "verified": ok}))?;
    } else {
        println!("{}", verified_line(ok, out));
    }
    if ok {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(verify_failed(out))
    }
}
