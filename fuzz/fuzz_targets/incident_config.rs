//! The incident configuration (entity, Member State, holidays).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_incident::config::Config::parse(data, "incident.yaml");
});
