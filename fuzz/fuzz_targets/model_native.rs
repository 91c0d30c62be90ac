//! Archi's own model files (`.archimate`): read or refused, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_model::native::read("fuzz.archimate", data);
});
