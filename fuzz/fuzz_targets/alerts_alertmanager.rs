//! Alertmanager webhook payloads (version 4).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_incident::alerts::alertmanager(data);
});
