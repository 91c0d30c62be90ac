//! DSSE envelopes as appended: parsed, verified, their statement read.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(env) = plumb_ledger::dsse::Envelope::parse(data, 65_536) else {
        return;
    };
    let _ = env.verify(&[plumb_fuzz::key()]);
    if let Ok(payload) = env.payload_bytes() {
        let _ = plumb_ledger::statement::Statement::parse(&payload);
    }
});
