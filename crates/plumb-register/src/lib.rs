//! The DORA Register of Information (ITS (EU) 2024/2956; EBA reporting framework 4.0, DORA
//! module).
//!
//! - `catalogue`, `rules`: the 15 templates, their columns, keys, closed lists and foreign
//!   keys, and the EBA's DPM validation rules, as data (`data/`).
//! - `tables`: the register as the package holds it, the form every step reads and writes.
//! - `package`, `read`: the xBRL-CSV report package written (deterministic zip) and read back
//!   with its structure checked.
//! - `check`, `advice`, `finding`: the register judged as the EBA judges it, plus Plumbline's
//!   cross-checks.

pub mod advice;
pub mod catalogue;
pub mod check;
pub mod codes;
pub mod derive;
pub mod diff;
pub mod evidence;
pub mod file;
pub mod finding;
pub mod package;
pub mod read;
pub mod rules;
pub mod summary;
pub mod tables;
