//! Witness requests (`POST /add-checkpoint`, anyone may send one): parsed and judged against a
//! witness that follows one log; an answer with a status, never a panic.
#![no_main]
use std::sync::OnceLock;

use plumb_ledger::keys::KeyPair;
use plumb_ledger::witness::Witness;

fn witness() -> &'static Witness {
    static W: OnceLock<Witness> = OnceLock::new();
    W.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("plumb-fuzz-witness-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let log = KeyPair::from_seed("fuzz.example/log", [7; 32]).map(|k| k.public());
        let key = KeyPair::from_seed("fuzz.example/w", [9; 32]);
        match (key, log) {
            (Ok(key), Ok(log)) => Witness::open(key, vec![log], &dir.join("state.json"), true).unwrap_or_else(|e| panic!("{e}")),
            _ => panic!("keys"),
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let a = witness().add_checkpoint(data, 1);
    assert!(matches!(a.status, 200 | 400 | 403 | 404 | 409 | 422 | 500));
});
