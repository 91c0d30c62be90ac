//! Plumbline's tamper-evident evidence ledger.
//!
//! Evidence is an in-toto Statement v1 inside a DSSE envelope signed with Ed25519. Each
//! accepted envelope becomes one entry of an append-only RFC 6962 Merkle log, stored in SQLite
//! or PostgreSQL; signed C2SP checkpoints commit to the log, and evidence packs carry entries,
//! blobs, proofs and keys for offline verification.

pub mod error;
pub mod hash;
pub mod merkle;

pub use error::{Error, Result};
pub mod blobs;
pub mod checkpoint;
pub mod dsse;
pub mod entry;
pub mod keys;
pub mod ledger;
pub mod note;
pub mod receipt;
pub mod statement;
pub mod store;

pub use ledger::{InitOptions, Ledger, RecordRequest};
pub mod commit;
pub mod cosigners;
pub mod pack;
pub mod verify;
pub mod witness;
