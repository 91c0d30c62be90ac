//! Stored log entries, as readers parse them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(e) = plumb_ledger::entry::LogEntry::parse(data) {
        let _ = e.statement();
    }
});
