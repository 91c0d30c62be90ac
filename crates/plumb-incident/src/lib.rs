//! ICT-related incidents under DORA, from alert to regulatory report.
//!
//! - [`alerts`]: Alertmanager (payload version 4) and generic JSON alerts, normalised and keyed
//!   for deduplication;
//! - [`classify`]: RTS 2024/1772 classification with every threshold explained; [`recurring`]
//!   (Art. 8(2)) and [`threat`] (Art. 10);
//! - [`clock`] and [`calendar`]: RTS 2025/301 Art. 5 deadlines in the Member State's time zone,
//!   with the weekend and bank-holiday rule and its exceptions;
//! - [`report`]: ITS 2025/302 Annex I documents with per-stage required-field checks, as JSON
//!   and HTML;
//! - [`event`] and [`store`]: incidents are events in the ledger, folded into state;
//! - [`link`]: which deployments may have caused an incident, and by which method;
//! - [`ops`]: the operations the CLI and the server share.
//!
//! Everything but [`store`] and [`ops`] is pure, with `now` an input.

pub mod alerts;
pub mod cache;
pub mod calendar;
pub mod classify;
pub mod clock;
pub mod config;
pub mod error;
pub mod event;
pub mod ir;
pub mod link;
pub mod observed;
pub mod ops;
pub mod recurring;
pub mod report;
pub mod store;
pub mod threat;
pub mod thresholds;

pub use error::{Error, Result};
