//! What the fuzz targets share.

/// A fixed public key for targets that verify signatures (nothing fuzzed is signed by it, so
/// verification fails; what is exercised is the parsing and the failure path).
pub fn key() -> plumb_ledger::keys::PublicKey {
    plumb_ledger::keys::KeyPair::from_seed("fuzz", [7; 32])
        .map(|k| k.public())
        .unwrap_or_else(|_| unreachable!("a fixed valid key name"))
}
