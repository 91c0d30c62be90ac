//! The JSON Schema of the policy input (the normalised facts plus the gate's context), printed
//! by `plumb gate schema`. A test checks that every field the facts serialise is described.

/// JSON Schema (2020-12) of the policy `input`.
pub const INPUT_SCHEMA: &str = include_str!("../policy/input.schema.json");
