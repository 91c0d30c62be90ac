//! What a witness answers the log (status and body, from a party the log does not control):
//! never a panic, and never a stored cosignature unless it verifies with the witness's key
//! (which fuzzed bytes cannot). Also the `VKEY@URL` and witness-key parsers, and the
//! verifier's cosignature check on arbitrary notes.
#![no_main]
use std::sync::{Mutex, OnceLock};

use plumb_ledger::cosigners::{Cosigners, Reply, WitnessEndpoint, WitnessPolicy};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::witness::vkey;
use plumb_ledger::{InitOptions, Ledger};

static ANSWER: Mutex<Option<Reply>> = Mutex::new(None);

fn witness_key() -> String {
    match KeyPair::from_seed("fuzz.example/w", [9; 32]) {
        Ok(k) => vkey(&k.public()),
        Err(e) => panic!("{e}"),
    }
}

fn ledger() -> &'static Mutex<(Ledger, i64)> {
    static L: OnceLock<Mutex<(Ledger, i64)>> = OnceLock::new();
    L.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("plumb-fuzz-answer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut l = Ledger::init(&dir, InitOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let endpoint = WitnessEndpoint::parse(&format!("{}@http://w.invalid", witness_key()))
            .unwrap_or_else(|e| panic!("{e}"));
        let transport = Box::new(|_: &str, _: &str| {
            ANSWER
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .ok_or_else(|| "no answer".to_string())
        });
        l.set_witnesses(Cosigners::new(vec![endpoint], transport).unwrap_or_else(|e| panic!("{e}")));
        Mutex::new((l, 0))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = WitnessEndpoint::parse(&text);
    if let Ok(p) = WitnessPolicy::new(&[text.clone(), witness_key()], Some(1)) {
        assert!(p.check(&text).is_err());
    }
    let status = data.first().map_or(200, |b| [200, 409, 500, 404][usize::from(b % 4)]);
    *ANSWER.lock().unwrap_or_else(|p| p.into_inner()) = Some(Reply {
        status,
        body: text.get(1..).unwrap_or_default().to_string(),
    });
    let mut g = ledger().lock().unwrap_or_else(|p| p.into_inner());
    // Each run a minute later, so a witness that failed is asked again.
    g.1 += 60;
    let now = chrono::DateTime::from_timestamp(1_800_000_000 + g.1, 0).unwrap_or_default();
    let (l, _) = &mut *g;
    if let Ok((cp, _)) = l.checkpoint(now) {
        let stored = l.cosignatures(cp.size).unwrap_or_else(|e| panic!("{e}"));
        assert!(stored.is_empty(), "a fuzzed answer was stored: {stored:?}");
    }
    let _ = l.take_witness_report();
});
