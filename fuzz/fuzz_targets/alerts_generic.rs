//! The generic alert payload.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_incident::alerts::generic(data);
});
