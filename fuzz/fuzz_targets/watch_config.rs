//! The watch configuration (`plumb watch --config`): read and validated, or refused; never a
//! panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_resilience::watch::config::WatchConfig::parse(data);
});
