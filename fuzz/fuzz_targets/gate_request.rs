//! The body of `POST /v1/gate`: parsed, turned into a request under the built-in
//! configuration and evaluated (any failure must be a decision, never a panic).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(wire) = serde_json::from_slice::<plumb_gate::wire::WireGateRequest>(data) else {
        return;
    };
    let held = plumb_gate::held::HeldConfigs::default();
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
    if let Ok(req) = wire.into_request(&held, now) {
        let _ = plumb_gate::evaluate(&req);
    }
});
