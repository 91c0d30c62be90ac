//! Resilience test results (`plumb resilience record`): Chaos Toolkit journals, LitmusChaos
//! results and engines, drill records. A result is read or refused, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_ingest::resilience::read("fuzz", data);
});
