//! Register of Information packages (`plumb register check|import`): a zip is read (bounded),
//! its structure and tables checked; a clear finding or refusal, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(c) = plumb_register::package::read_zip(data)
        && let Ok(r) = plumb_register::read::read(&c, Some("fuzz.zip"))
    {
        let _ = plumb_register::check::check(&r.tables);
        let _ = plumb_register::summary::summarise(
            &r.tables,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            90,
        );
    }
});
