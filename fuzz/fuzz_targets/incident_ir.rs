//! IR JSON documents as `plumb incident validate` reads them: every rule under every version,
//! and the writer over the same bytes read as fields by code.
#![no_main]
use plumb_incident::ir::{self, Version};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for v in [Version::V1_2, Version::V1_2_1, Version::V1_3] {
        let _ = ir::rules::check(&doc, v);
    }
    if let Some(fields) = doc.as_object() {
        let _ = ir::document(fields, Version::V1_2_1);
    }
});
