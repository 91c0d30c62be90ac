//! Inclusion receipts (tlog-proof).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = plumb_ledger::receipt::Receipt::parse(text) {
        let _ = r.verify(&[0u8; 32], &[plumb_fuzz::key()]);
    }
});
