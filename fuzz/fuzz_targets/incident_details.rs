//! Report details (field codes and values).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_incident::report::parse_details(data);
});
