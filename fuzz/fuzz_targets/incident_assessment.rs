//! Incident assessments (JSON or YAML), the input of classification.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    use plumb_incident::classify::AssessmentRules;
    if let Ok(a) = plumb_incident::classify::parse_assessment(data, "assessment") {
        let _ = a.validate();
    }
});
