//! Archi's CSV export: elements and relations, split at the first NUL byte.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (elements, relations) = text.split_once('\0').unwrap_or((text, ""));
    let _ = plumb_model::csv::read(
        ("elements.csv", elements),
        ("relations.csv", relations),
        None,
    );
});
