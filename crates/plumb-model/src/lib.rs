//! Plumbline's architecture model: ArchiMate in the Open Group exchange format, Archi's CSV
//! and a concise YAML form; the ArchiMate 3.2 relationship rules; DORA traceability checks;
//! impact analysis; drift against the evidence ledger; SVG views.

pub mod archimate2;
pub mod check;
pub mod coarchi;
pub mod csv;
pub mod diagram;
pub mod diff;
pub mod dora;
pub mod drift;
pub mod error;
pub mod exchange;
pub mod graph;
pub mod model;
pub mod native;
pub(crate) mod native_views;
pub mod native_write;
pub mod notation;
pub mod resilience;
pub mod rules;
pub mod sarif;
pub mod style;
pub mod svg;
pub mod types;
pub mod validate;
pub mod yaml;

pub use error::{ModelError, Result};
pub use model::{Element, Model, Relationship};
pub use types::{ElementType, Layer, RelType};

/// Reads a model from a path: `.xml` (exchange format), `.archimate` (Archi's own format),
/// `.yaml`/`.yml`, or Archi CSV (a
/// directory holding `elements.csv`, `relations.csv` and optionally `properties.csv`, or the
/// path of `elements.csv`, possibly with a prefix such as `bank-elements.csv`).
pub fn load(path: &std::path::Path) -> Result<Model> {
    load_with(path, true)
}

/// [`load`], converting ArchiMate 2.x models (`convert_archimate2`, what [`load`] does; the
/// conversions are in the model's notes) or refusing them.
pub fn load_with(path: &std::path::Path, convert_archimate2: bool) -> Result<Model> {
    let name = path.display().to_string();
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| ModelError::new(&p.display().to_string(), e.to_string()))
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    // A coArchi repository (Archi's collaboration plugin): one file per concept under model/,
    // or one model.archimate.
    if path.is_dir() && coarchi::layout(path).is_some() {
        return coarchi::read(path, convert_archimate2);
    }
    if path.is_dir() || ext == "csv" {
        let (dir, prefix) = if path.is_dir() {
            (path.to_path_buf(), String::new())
        } else {
            let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
            let prefix = file.strip_suffix("elements.csv").ok_or_else(|| {
                ModelError::new(
                    &name,
                    "give the elements.csv file (or its directory) of an Archi CSV export",
                )
            })?;
            (
                path.parent()
                    .unwrap_or(std::path::Path::new("."))
                    .to_path_buf(),
                prefix.to_string(),
            )
        };
        let part = |n: &str| dir.join(format!("{prefix}{n}.csv"));
        let text = |p: std::path::PathBuf| -> Result<(String, String)> {
            let b = read(&p)?;
            Ok((
                p.display().to_string(),
                plumb_base::input::text(&p.display().to_string(), &b)?.to_string(),
            ))
        };
        let e = text(part("elements"))?;
        let r = text(part("relations"))?;
        let p = if part("properties").exists() {
            Some(text(part("properties"))?)
        } else {
            None
        };
        return csv::read(
            (&e.0, &e.1),
            (&r.0, &r.1),
            p.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        );
    }
    let bytes = read(path)?;
    read_bytes_with(&name, &ext, &bytes, convert_archimate2)
}

/// Reads a model from bytes: `format` is `xml` (ArchiMate exchange), `archimate` (Archi's own
/// format, also recognised by its content) or `yaml`/`yml`. For models that arrive without a
/// file, such as an upload to the server.
pub fn read_bytes(name: &str, format: &str, bytes: &[u8]) -> Result<Model> {
    read_bytes_with(name, format, bytes, true)
}

/// [`read_bytes`], converting ArchiMate 2.x models or refusing them.
pub fn read_bytes_with(
    name: &str,
    format: &str,
    bytes: &[u8],
    convert_archimate2: bool,
) -> Result<Model> {
    // Archi's own format is told by its content, whatever the file is called.
    if format == "archimate" || native::looks_native(bytes) {
        return native::read_converting(name, bytes, convert_archimate2);
    }
    match format {
        "xml" => exchange::read_converting(name, bytes, convert_archimate2),
        "yaml" | "yml" => yaml::read(name, plumb_base::input::text(name, bytes)?),
        _ => Err(ModelError::new(
            name,
            "unknown model format: use .xml (ArchiMate exchange), .archimate (Archi), .yaml, or an Archi CSV export (elements.csv)",
        )),
    }
}
