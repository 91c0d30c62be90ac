//! Terraform configuration (`.tf`, HCL) read as the plan it would create.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut infra = plumb_ingest::infra::Infra::default();
        let _ = plumb_ingest::infra::hcl::read("fuzz", text, &mut infra);
        let _ = plumb_ingest::infra::hcl::raw_document(text);
    }
});
