//! What a run of the scaffold works from: the options given on this run, and for those left
//! out, what the repository's manifest recorded when it was generated. So `plumb scaffold --out
//! DIR --check` needs nothing else, and a regeneration keeps the model, templates, components
//! and name it was made with unless told otherwise.

use std::path::{Path, PathBuf};

use crate::Options;
use crate::error::ScaffoldError;
use crate::manifest::{self, Manifest};
use crate::spec::Selection;

/// The options given on this run; `None` or empty means "as recorded".
#[derive(Debug, Clone, Default)]
pub struct Requested {
    /// The architecture model.
    pub model: Option<PathBuf>,
    /// A directory of the bank's own template sets.
    pub templates: Option<PathBuf>,
    /// The components to generate (all, when empty and none recorded).
    pub components: Vec<String>,
    /// The template for components that name none.
    pub default_template: Option<String>,
    /// The repository's name.
    pub name: Option<String>,
}

/// The options the run uses, and where they came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The model file to read.
    pub model_path: PathBuf,
    /// The template directory to read, if any.
    pub templates_dir: Option<PathBuf>,
    /// Whether the model or templates came from the manifest rather than this run's options
    /// (the CLI then says so: they decide what counts as drift).
    pub from_manifest: bool,
    /// The generation options, with paths recorded relative to the repository.
    pub options: Options,
}

/// Resolves `req` against `previous`, the manifest of the repository at `out` (absolute).
pub fn resolve(
    out: &Path,
    req: &Requested,
    previous: Option<&Manifest>,
) -> Result<Resolved, ScaffoldError> {
    let model_path = match (&req.model, previous) {
        (Some(m), _) => m.clone(),
        (None, Some(p)) => manifest::resolve(out, &p.model.source),
        (None, None) => {
            return Err(ScaffoldError::usage(
                "give the architecture model with --model FILE",
                "e.g. --model examples/model/bank.yaml (exchange .xml, .yaml or Archi CSV)",
            ));
        }
    };
    let recorded_templates = previous
        .and_then(|p| p.templates_dir.as_deref())
        .map(|d| manifest::resolve(out, d));
    let templates_dir = req.templates.clone().or(recorded_templates);
    let from_manifest = req.model.is_none() || (req.templates.is_none() && templates_dir.is_some());
    let components = if req.components.is_empty() {
        previous.map(|p| p.components.clone()).unwrap_or_default()
    } else {
        req.components.clone()
    };
    let default_template = req
        .default_template
        .clone()
        .or_else(|| previous.and_then(|p| p.default_template.clone()));
    let repository = req
        .name
        .clone()
        .or_else(|| previous.map(|p| p.repository.clone()));
    let options = Options {
        selection: Selection {
            components,
            default_template,
        },
        repository,
        model_source: manifest::portable(out, &model_path),
        templates_dir: templates_dir.as_ref().map(|d| manifest::portable(out, d)),
    };
    Ok(Resolved {
        model_path,
        templates_dir,
        from_manifest,
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_model_or_a_manifest_the_run_is_refused_with_a_hint() {
        let e = resolve(Path::new("/srv/repo"), &Requested::default(), None).unwrap_err();
        assert!(e.to_string().contains("--model"), "{e}");
        assert!(e.hint().is_some_and(|h| h.contains("bank.yaml")));
    }

    #[test]
    fn given_options_are_used_and_paths_recorded_relative_to_the_repository() {
        let req = Requested {
            model: Some(PathBuf::from("/srv/models/bank.yaml")),
            components: vec!["payments".into()],
            name: Some("bank-services".into()),
            ..Default::default()
        };
        let r = resolve(Path::new("/srv/repo"), &req, None).unwrap();
        assert!(!r.from_manifest);
        assert_eq!(r.model_path, PathBuf::from("/srv/models/bank.yaml"));
        assert_eq!(r.options.model_source, "../models/bank.yaml");
        assert_eq!(r.options.selection.components, vec!["payments".to_string()]);
        assert_eq!(r.options.repository.as_deref(), Some("bank-services"));
        assert!(r.templates_dir.is_none());
    }
}
