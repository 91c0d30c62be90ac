//! Hostile and malformed inputs: each is refused with a clear error naming the file, never a
//! panic and never a partial read.

use plumb_ingest::util::MAX_INPUT_BYTES;
use plumb_ingest::{Kind, ingest};

fn err(kind: Kind, body: &[u8]) -> String {
    let e = ingest(&[(kind, "input.x".into(), body.to_vec())]).expect_err("must be refused");
    assert_eq!(e.file, "input.x");
    e.to_string()
}

#[test]
fn xml_entity_expansion_and_external_entities_are_refused() {
    let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuite><testcase name="&lol2;"/></testsuite>"#;
    assert!(err(Kind::Tests, laughs).contains("entity declarations are refused"));
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><coverage><x>&x;</x></coverage>"#;
    assert!(err(Kind::Coverage, xxe).contains("entity declarations are refused"));
    // An undeclared entity is an error, not an empty string.
    assert!(
        err(
            Kind::Tests,
            b"<testsuite><testcase name=\"&undefined;\"/></testsuite>"
        )
        .contains("XML")
    );
}

#[test]
fn deep_nesting_is_refused() {
    let deep_xml = format!(
        "<testsuites>{}{}</testsuites>",
        "<testsuite>".repeat(400),
        "</testsuite>".repeat(400)
    );
    assert!(err(Kind::Tests, deep_xml.as_bytes()).contains("nesting deeper"));
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(err(Kind::Sast, deep_json.as_bytes()).contains("nested too deeply"));
}

#[test]
fn huge_inputs_are_refused_before_parsing() {
    let huge = vec![b' '; MAX_INPUT_BYTES + 1];
    assert!(err(Kind::Sast, &huge).contains("over the"));
}

#[test]
fn truncated_and_malformed_inputs_name_the_line() {
    let e = ingest(&[(
        Kind::Sast,
        "r.sarif".into(),
        b"{\n\"version\": \"2.1.0\",\n\"runs\": [\n".to_vec(),
    )])
    .unwrap_err();
    assert_eq!(e.line, Some(4), "{e}");
    assert!(err(Kind::Tests, b"<testsuite><testcase name=\"a\">").contains("truncated"));
    assert!(
        err(Kind::Tests, b"<html><body/></html>")
            .contains("not a JUnit report: root element is <html>")
    );
    assert!(err(Kind::Coverage, b"TN:\nSF:a.c\nDA:1,1\n").contains("truncated"));
    assert!(err(Kind::Coverage, b"DA:1,1\nend_of_record\n").contains("DA outside a record"));
    assert!(
        err(Kind::Coverage, b"SF:a.c\nXYZ:1\nend_of_record\n").contains("unknown LCOV record type")
    );
    assert!(err(Kind::Coverage, b"SF:a.c\nDA:one,1\nend_of_record\n").contains("DA must be"));
    assert!(err(Kind::Coverage, b"").contains("no records"));
    assert!(err(Kind::Sast, b"\xff\xfe{\x00}\x00").contains("UTF-16"));
    assert!(
        err(
            Kind::Sast,
            b"{\"version\":\"2.1.0\",\"runs\":[{\"results\":[{\"kind\":\"fail\"}]}],\"x\":\xff}"
        )
        .contains("UTF-8")
    );
}

#[test]
fn unknown_versions_and_wrong_kinds_are_errors_never_guesses() {
    assert!(
        err(Kind::Sast, br#"{"version":"2.0.0","runs":[]}"#)
            .contains("SARIF version 2.0.0 is not supported")
    );
    assert!(err(Kind::Vulns, br#"{"SchemaVersion":1,"Results":[]}"#).contains("SchemaVersion"));
    assert!(
        err(
            Kind::Sbom,
            br#"{"bomFormat":"CycloneDX","specVersion":"1.3","components":[]}"#
        )
        .contains("unsupported CycloneDX specVersion 1.3")
    );
    assert!(
        err(
            Kind::Sbom,
            br#"{"spdxVersion":"SPDX-3.0","SPDXID":"x","name":"n"}"#
        )
        .contains("unsupported SPDX version")
    );
    assert!(
        err(Kind::Sbom, br#"{"version":"2.1.0","runs":[]}"#)
            .contains("is a sarif document, not a sbom input")
    );
    assert!(
        err(Kind::Secrets, b"| rule | file |\n|---|---|\n")
            .contains("not a recognised secrets input")
    );
    assert!(
        err(Kind::Secrets, br#"{"version":"0.9.1","results":{}}"#)
            .contains("unsupported detect-secrets baseline version")
    );
    assert!(err(Kind::Vulns, br#"{"hello":"world"}"#).contains("not a recognised vulns input"));
    assert!(err(Kind::Change, br#"{"author":"a","colour":"blue"}"#).contains("unknown field"));
    assert!(
        err(
            Kind::Approvals,
            br#"[{"by":"a","at":"yesterday","commit":"c"}]"#
        )
        .contains("RFC 3339")
    );
    assert!(err(Kind::Codeowners, b"* @team\n").contains("changed paths"));
}

#[test]
fn one_bad_input_means_no_facts_at_all() {
    let good = br#"{"version":"2.1.0","runs":[]}"#.to_vec();
    let bad = b"{".to_vec();
    let r = ingest(&[
        (Kind::Sast, "good.sarif".into(), good),
        (Kind::Sast, "bad.sarif".into(), bad),
    ]);
    assert_eq!(r.unwrap_err().file, "bad.sarif");
}
