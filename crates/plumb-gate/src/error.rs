//! Gate errors. All of them end in a deny: the gate fails closed.

/// Why the gate could not reach a policy decision.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// An input could not be read.
    #[error(transparent)]
    Input(#[from] plumb_ingest::IngestError),
    /// Bad configuration, waiver file or arguments.
    #[error("{0}")]
    Usage(String),
    /// A policy does not compile, calls a non-deterministic builtin, or produced a malformed result.
    #[error("policy: {0}")]
    Policy(String),
    /// Evaluation ran over its time limit.
    #[error("policy evaluation exceeded its time limit of {0} ms")]
    Timeout(u64),
    /// The process's heap grew past the ceiling while a policy was evaluated
    /// ([`crate::engine::POLICY_HEAP_LIMIT`]).
    #[error(
        "policy evaluation stopped: the process heap reached {usage} bytes, over the ceiling of {limit} bytes"
    )]
    MemoryLimit {
        /// Heap in use when the check stopped the evaluation.
        usage: u64,
        /// The ceiling.
        limit: u64,
    },
}
