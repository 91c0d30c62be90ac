//! Evidence packs, as `plumb verify-pack` reads them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_ledger::pack::verify_pack(data, &[plumb_fuzz::key()]);
});
