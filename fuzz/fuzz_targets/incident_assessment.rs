//! Incident assessments (JSON or YAML), the input of classification.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_incident::classify::Assessment::parse(data, "assessment");
});
