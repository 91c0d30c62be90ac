//! Every codeowners format `plumb gate --codeowners` reads (detected from the bytes): a clear error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_ingest::ingest(&[(
        plumb_ingest::Kind::Codeowners,
        "input".into(),
        data.to_vec(),
    )]);
});
