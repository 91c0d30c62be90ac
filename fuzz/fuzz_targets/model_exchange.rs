//! ArchiMate exchange XML (3.x, or 2.1 converted): read, then checked, its own views listed
//! and drawn, and diffed against itself (no change).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = plumb_model::read_bytes("model.xml", "xml", data) {
        let _ = plumb_model::check::check(&m, plumb_model::check::Options::default());
        if let Ok(views) = plumb_model::diagram::views(&m) {
            for v in views.iter().take(8) {
                let _ = plumb_model::diagram::render(&m, v);
            }
        }
        let d = plumb_model::diff::diff(&m, &m, plumb_model::check::Options::default());
        assert!(d.is_empty(), "a model differs from itself");
    }
});
