//! Plumbline's architecture model: ArchiMate in the Open Group exchange format, Archi's CSV
//! and a concise YAML form; the ArchiMate 3.2 relationship rules; DORA traceability checks;
//! impact analysis; drift against the evidence ledger; SVG views.

pub mod check;
pub mod csv;
pub mod dora;
pub mod error;
pub mod exchange;
pub mod graph;
pub mod model;
pub mod rules;
pub mod types;
pub mod validate;
pub mod yaml;

pub use error::{ModelError, Result};
pub use model::{Element, Model, Relationship};
pub use types::{ElementType, Layer, RelType};
