//! Architecture to code: `plumb scaffold` turns the application components of an ArchiMate
//! model into a service repository. Each component chooses a template set (`plumb:template`);
//! the repository set adds what surrounds the services (compose file, CI pipelines running the
//! DORA gate, runbooks, compliance mappings derived from the model, the ArchiMate blueprint).
//!
//! Generation is a pure function of the model, the options and the template sets
//! ([`generate`]); [`sync`] compares a generation with a repository on disk and its manifest,
//! applies it without overwriting the user's edits, and reports drift; [`verify`] runs the
//! generated project's own build and tests.

pub mod blueprint;
pub mod error;
pub mod manifest;
pub mod names;
pub mod resolve;
pub mod soc2;
pub mod spec;
pub mod sync;
pub mod template;
pub mod verify;
pub mod workflow;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use plumb_model::Model;

pub use error::{Result, ScaffoldError};
use manifest::{FileRef, Manifest, ModelRef, ServiceRef, TemplateRef};
use spec::{Selection, Service};
use template::{Catalog, Kind, PER_SERVICE, Set};

/// Lower-case hex.
pub(crate) use plumb_base::hex;

/// SHA-256 of bytes, hex.
pub fn sha256(bytes: &[u8]) -> String {
    plumb_base::sha256_hex(bytes)
}

/// What to generate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which components, and the fallback template.
    pub selection: Selection,
    /// Repository name (default: the model's name as a service-style name).
    pub repository: Option<String>,
    /// The model's path as the user gave it (recorded in the manifest).
    pub model_source: String,
    /// The directory of the bank's own template sets, as given (recorded in the manifest).
    pub templates_dir: Option<String>,
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenFile {
    /// Contents.
    pub body: Vec<u8>,
    /// Producing template set.
    pub template: String,
    /// Must stay as generated.
    pub managed: bool,
    /// Executable bit.
    pub executable: bool,
}

/// A generation: every file, and the manifest describing it.
#[derive(Debug, Clone)]
pub struct Generation {
    /// Files by path.
    pub files: BTreeMap<String, GenFile>,
    /// The manifest (file digests are of the generated contents).
    pub manifest: Manifest,
    /// The services, as templates saw them.
    pub services: Vec<Service>,
}

fn set_meta(set: &Set) -> Value {
    json!({
        "name": set.meta.name,
        "version": set.meta.version,
        "description": set.meta.description,
        "language": set.meta.language,
        "controls": set.meta.controls,
    })
}

/// The controls that apply to one service: the repository's and its template's, without those
/// for an onboarding workflow it does not have, with `__service__` resolved in their files.
fn service_controls(used: &[&Set], s: &Service) -> Vec<Value> {
    used.iter()
        .filter(|set| set.meta.kind == Kind::Repository || set.meta.name == s.template)
        .flat_map(|set| &set.meta.controls)
        .filter(|c| !c.onboarding || s.onboarding.is_some())
        .map(|c| {
            let mut files: Vec<String> = c.files.clone();
            if s.onboarding.is_some() {
                files.extend(c.onboarding_files.iter().cloned());
            }
            files.dedup();
            json!({
                "id": c.id, "title": c.title, "description": c.description,
                "files": files.iter().map(|f| f.replace(PER_SERVICE, &s.slug)).collect::<Vec<_>>(),
                "dora": c.dora, "soc2": c.soc2,
            })
        })
        .collect()
}

/// The SOC 2 criteria a service's controls cite, in the table's order, each with its controls.
fn soc2_rows(controls: &[Value]) -> Vec<Value> {
    soc2::CRITERIA
        .iter()
        .filter_map(|(id, title)| {
            let cs: Vec<&Value> = controls
                .iter()
                .filter(|c| {
                    c["soc2"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == id))
                })
                .collect();
            (!cs.is_empty()).then(|| json!({"id": id, "title": title, "controls": cs}))
        })
        .collect()
}

/// Generates the repository for `model` in memory. Nothing is read from or written to disk.
pub fn generate(model: &Model, opts: &Options, catalog: &Catalog) -> Result<Generation> {
    let services = spec::services(model, &opts.selection, &catalog.reserved_names())?;
    let repo_name = match &opts.repository {
        Some(n) => n.clone(),
        None => names::suggest_service(&model.name),
    };
    names::check_service(&repo_name).map_err(|why| {
        ScaffoldError::usage(
            format!("repository name {repo_name:?} {why}"),
            "pass --name with a lower-case name such as small-bank-services",
        )
    })?;
    let used = used_sets(catalog, &services);
    // The canonical form of a large model takes a while to build: once per run.
    let model_digest = model.digest();
    // The regions the services run in, primary regions first: the infrastructure's region is
    // the first, its standby (disaster recovery) region the first other one.
    let mut regions: Vec<&str> = Vec::new();
    for r in services
        .iter()
        .filter_map(|s| s.regions.first())
        .chain(services.iter().flat_map(|s| s.regions.iter()))
    {
        if !regions.contains(&r.as_str()) {
            regions.push(r);
        }
    }
    let repo = json!({
        "name": repo_name,
        "regions": regions,
        "title": model.name,
        "model": {"id": model.id, "name": model.name, "digest": model_digest, "source": opts.model_source},
    });
    let mut files = render(&used, &services, &repo)?;
    if let Some(f) = files.get(blueprint::PATH) {
        return Err(ScaffoldError::Template {
            template: f.template.clone(),
            file: blueprint::PATH.into(),
            line: None,
            message: "the blueprint is written by plumb itself; no template may write it".into(),
        });
    }
    let version_of = |t: &str| {
        catalog
            .sets
            .get(t)
            .map(|s| s.meta.version.clone())
            .unwrap_or_default()
    };
    let bp = blueprint::build(model, &model_digest, &services, &repo_name, &version_of)?;
    files.insert(
        blueprint::PATH.into(),
        GenFile {
            body: plumb_model::exchange::write(&bp).into_bytes(),
            template: template::REPOSITORY.into(),
            managed: true,
            executable: false,
        },
    );
    let manifest = manifest_of(
        model,
        opts,
        repo_name,
        model_digest,
        &used,
        &services,
        &files,
    );
    Ok(Generation {
        files,
        manifest,
        services,
    })
}

/// The template sets a run uses: the repository set, then each service's, once each.
fn used_sets<'c>(catalog: &'c Catalog, services: &[Service]) -> Vec<&'c Set> {
    let mut used: Vec<&Set> = vec![catalog.repository()];
    for s in services {
        // Services name only sets of the catalog (checked when they were read).
        let Some(set) = catalog.sets.get(&s.template) else {
            continue;
        };
        if !used.iter().any(|u| u.meta.name == set.meta.name) {
            used.push(set);
        }
    }
    used
}

/// The titles of everything the used templates cite (DORA references and SOC 2 criteria), for
/// the compliance documents.
fn cited_titles(
    used: &[&Set],
) -> (
    serde_json::Map<String, Value>,
    serde_json::Map<String, Value>,
) {
    let mut references = serde_json::Map::new();
    let mut soc2_titles = serde_json::Map::new();
    for c in used.iter().flat_map(|s| &s.meta.controls) {
        for r in &c.dora {
            if let Some(x) = plumb_dora::lookup(r) {
                references.insert(r.clone(), json!({"title": x.title, "summary": x.summary}));
            }
        }
        for r in &c.soc2 {
            if let Some(t) = soc2::title(r) {
                soc2_titles.insert(r.clone(), json!(t));
            }
        }
    }
    (references, soc2_titles)
}

fn to_value(v: &Value) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

/// Renders every file of every used set, per service where the path says so.
fn render(used: &[&Set], services: &[Service], repo: &Value) -> Result<BTreeMap<String, GenFile>> {
    let templates: serde_json::Map<String, Value> = used
        .iter()
        .map(|s| (s.meta.name.clone(), set_meta(s)))
        .collect();
    let (references, soc2_titles) = cited_titles(used);
    // What every file of a run sees, converted once (contexts are shared, not copied, per file:
    // a repository of hundreds of services renders thousands of files).
    let common = to_value(&json!({
        "plumb": {"version": env!("CARGO_PKG_VERSION")},
        "repo": repo,
        "services": serde_json::to_value(services).unwrap_or_default(),
        "templates": templates,
        "references": references,
        "soc2": soc2_titles,
    }));
    // What each service's files see of it.
    let service_ctx: BTreeMap<&str, (minijinja::Value, minijinja::Value, minijinja::Value)> =
        services
            .iter()
            .map(|s| {
                let controls = service_controls(used, s);
                let rows = soc2_rows(&controls);
                (
                    s.slug.as_str(),
                    (
                        to_value(&serde_json::to_value(s).unwrap_or_default()),
                        to_value(&Value::from(controls)),
                        to_value(&Value::from(rows)),
                    ),
                )
            })
            .collect();
    let mut files: BTreeMap<String, GenFile> = BTreeMap::new();
    for set in used {
        let own: Vec<&Service> = services
            .iter()
            .filter(|s| set.meta.kind == Kind::Repository || s.template == set.meta.name)
            .collect();
        let set_ctx = minijinja::context! {
            own_services => to_value(&serde_json::to_value(&own).unwrap_or_default()),
            template => to_value(&set_meta(set)),
            ..common.clone()
        };
        render_set(set, &own, &set_ctx, &service_ctx, &mut files)?;
    }
    Ok(files)
}

/// Renders one set's files into `files`, refusing a path another set already wrote.
fn render_set(
    set: &Set,
    own: &[&Service],
    set_ctx: &minijinja::Value,
    service_ctx: &BTreeMap<&str, (minijinja::Value, minijinja::Value, minijinja::Value)>,
    files: &mut BTreeMap<String, GenFile>,
) -> Result<()> {
    let env = set.environment();
    for f in &set.files {
        let target = f.target();
        let targets: Vec<(String, Option<&Service>)> = if target.contains(PER_SERVICE) {
            own.iter()
                .map(|s| (target.replace(PER_SERVICE, &s.slug), Some(*s)))
                .collect()
        } else {
            vec![(target.to_string(), None)]
        };
        for (path, service) in targets {
            let body = if f.rendered() {
                let none = minijinja::Value::from(());
                let (svc, controls, rows) = service
                    .and_then(|s| service_ctx.get(s.slug.as_str()).cloned())
                    .unwrap_or_else(|| (none.clone(), none.clone(), none));
                let ctx = minijinja::context! {
                    service => svc,
                    controls => controls,
                    soc2_rows => rows,
                    ..set_ctx.clone()
                };
                let text = env
                    .get_template(&f.path)
                    .and_then(|t| t.render(ctx))
                    .map_err(|e| template::template_error(&set.meta.name, &f.path, &e))?;
                if text.trim().is_empty() {
                    continue;
                }
                text.into_bytes()
            } else {
                f.body.clone()
            };
            if let Some(prev) = files.get(&path) {
                return Err(ScaffoldError::Template {
                    template: set.meta.name.clone(),
                    file: f.path.clone(),
                    line: None,
                    message: format!("writes {path}, which template {} writes too", prev.template),
                });
            }
            files.insert(
                path.clone(),
                GenFile {
                    body,
                    template: set.meta.name.clone(),
                    managed: set.is_managed(&path),
                    executable: set.is_executable(&path),
                },
            );
        }
    }
    Ok(())
}

/// The manifest of a generation: model, templates, services and every file's digest.
fn manifest_of(
    model: &Model,
    opts: &Options,
    repository: String,
    model_digest: String,
    used: &[&Set],
    services: &[Service],
    files: &BTreeMap<String, GenFile>,
) -> Manifest {
    Manifest {
        format: manifest::FORMAT.into(),
        generator: format!("plumb {}", env!("CARGO_PKG_VERSION")),
        repository,
        model: ModelRef {
            id: model.id.clone(),
            name: model.name.clone(),
            digest: model_digest,
            source: opts.model_source.clone(),
        },
        components: opts.selection.components.clone(),
        default_template: opts.selection.default_template.clone(),
        templates_dir: opts.templates_dir.clone(),
        templates: used
            .iter()
            .map(|s| TemplateRef {
                name: s.meta.name.clone(),
                version: s.meta.version.clone(),
                digest: s.digest.clone(),
                source: s.source.clone(),
            })
            .collect(),
        services: services
            .iter()
            .map(|s| ServiceRef {
                name: s.slug.clone(),
                component: s.id.clone(),
                template: s.template.clone(),
            })
            .collect(),
        files: files
            .iter()
            .map(|(p, f)| FileRef {
                path: p.clone(),
                sha256: sha256(&f.body),
                template: f.template.clone(),
                managed: f.managed,
                executable: f.executable,
                pending: None,
            })
            .collect(),
    }
}
