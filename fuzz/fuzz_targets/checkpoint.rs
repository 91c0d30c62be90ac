//! Signed checkpoints (C2SP signed notes).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = plumb_ledger::checkpoint::Checkpoint::open(text, &[plumb_fuzz::key()]);
    }
});
