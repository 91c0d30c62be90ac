//! Register files (`plumb register build`): parsed, then the tables derived (without a model)
//! and checked; every gap an error, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = plumb_register::file::parse(text)
        && let Ok((_, t)) = plumb_register::derive::derive(&f, None)
    {
        let _ = plumb_register::check::check(&t);
    }
});
