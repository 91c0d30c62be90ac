//! Cyber-threat details (`plumb incident threat --details`, `POST /v1/threats`), then the
//! notification written from them and checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(d) = plumb_incident::threat::parse_details(data, "fuzz") {
        let _ = plumb_incident::threat::assess(&d.test);
        if let Ok(c) = plumb_incident::config::Config::parse(
            include_bytes!("../../examples/incident/incident.yaml"),
            "incident.yaml",
        ) {
            let doc = plumb_incident::ir::cyb::document(&d, &c.entity);
            let _ = plumb_incident::ir::cyb::check(&doc);
        }
    }
});
