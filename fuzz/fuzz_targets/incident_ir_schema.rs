//! An authority's IR schema file (`--schema`, `ir.schema`): compiled under both drafts, then
//! applied to a small document.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = plumb_incident::ir::schema::Schema::parse(data) {
        let _ = s.check(&serde_json::json!({"incidentSubmission": "initial_notification"}));
    }
});
