//! ArchiMate exchange XML: read, then checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = plumb_model::read_bytes("model.xml", "xml", data) {
        let _ = plumb_model::check::check(&m, plumb_model::check::Options::default());
    }
});
