//! Past deployments for `plumb metrics import` (CSV), read and planned without git.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = plumb_metrics::import::parse_csv("deployments.csv", data) {
        let _ = plumb_metrics::import::plan(rows, "fuzz", |_, _| Ok(Vec::new()));
    }
});
