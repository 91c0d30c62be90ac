//! Views, drift, loading by path, and bad or hostile models.

use std::collections::HashSet;
use std::path::PathBuf;

use plumb_model::drift::{Observed, drift};

fn bank_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml")
}

#[test]
fn svg_views_show_the_layers_and_the_slice() {
    let m = plumb_model::load(&bank_path()).unwrap();
    let all = plumb_model::svg::render(&m, None, &HashSet::new());
    assert!(all.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!all.contains("<script"));
    for layer in ["Motivation", "Business", "Application", "Technology"] {
        assert!(all.contains(&format!(">{layer}</text>")), "{layer}");
    }
    let layers: HashSet<_> = m.elements.iter().map(|e| e.kind.layer()).collect();
    assert_eq!(
        all.matches("fill-opacity=\"0.25\"").count(),
        layers.len(),
        "one band per layer"
    );
    assert_eq!(
        all.matches(" data-shape=").count(),
        m.elements.len(),
        "one box per element, in its notation"
    );
    // Each element carries its type's icon (the demo bank has no junctions or groupings).
    for e in &m.elements {
        assert!(
            all.contains(&format!("data-icon=\"{}\"", e.kind.name())),
            "{}",
            e.kind.name()
        );
    }
    let flagged = HashSet::from(["node-mainframe".to_string()]);
    let slice = plumb_model::svg::render(&m, Some("fn-ledger"), &flagged);
    assert!(slice.contains("Core ledger") && slice.contains("On-premises mainframe"));
    assert!(
        !slice.contains("Card authorisation"),
        "the slice holds only what the function depends on"
    );
    assert!(slice.contains("#d00000"), "flagged elements are marked");
    // Well-formed XML, with nothing that needs a script.
    plumb_base::xml::xml_events("view.svg", slice.as_bytes(), |_| Ok(())).unwrap();
}

#[test]
fn drift_compares_the_model_with_what_was_deployed_and_built() {
    let m = plumb_model::load(&bank_path()).unwrap();
    let mut seen = Observed::default();
    for s in ["payments", "onboarding", "identity", "fraud-scoring"] {
        seen.deployments
            .insert(s.into(), (2, "2026-11-20T10:00:00Z".into()));
    }
    seen.components
        .insert(("payments".into(), "pkg:pypi/stripe@7.1.0".into()));
    seen.components
        .insert(("payments".into(), "pkg:pypi/requests@2.31.0".into()));
    let f = drift(&m, &seen);
    let ids: Vec<(&str, &str)> = f
        .iter()
        .map(|x| (x.id.as_str(), x.message.as_str()))
        .collect();
    assert!(
        ids.iter()
            .any(|(i, msg)| *i == "DRIFT-001" && msg.contains("fraud-scoring")),
        "{ids:?}"
    );
    assert!(
        ids.iter()
            .any(|(i, msg)| *i == "DRIFT-002" && msg.contains("core-ledger")),
        "{ids:?}"
    );
    assert!(
        ids.iter()
            .any(|(i, msg)| *i == "DRIFT-003" && msg.contains("Stripe")),
        "{ids:?}"
    );
    assert_eq!(f.len(), 3);
    assert_eq!(
        plumb_model::drift::vendor_of("pkg:npm/%40aws-sdk/client-s3@3.5.0"),
        Some("Amazon Web Services")
    );
}

#[test]
fn models_load_by_format_and_convert_without_loss() {
    let m = plumb_model::load(&bank_path()).unwrap();
    let d = tempfile::tempdir().unwrap();
    let xml = d.path().join("bank.xml");
    std::fs::write(&xml, plumb_model::exchange::write(&m)).unwrap();
    let (e, r, p) = plumb_model::csv::write(&m);
    std::fs::write(d.path().join("bank-elements.csv"), e).unwrap();
    std::fs::write(d.path().join("bank-relations.csv"), r).unwrap();
    std::fs::write(d.path().join("bank-properties.csv"), p).unwrap();
    assert_eq!(plumb_model::load(&xml).unwrap().canonical(), m.canonical());
    assert_eq!(
        plumb_model::load(&d.path().join("bank-elements.csv"))
            .unwrap()
            .canonical(),
        m.canonical()
    );
    assert!(plumb_model::load(&d.path().join("bank.json")).is_err());
}

fn xml_err(body: &str) -> plumb_model::ModelError {
    plumb_model::exchange::read("m.xml", body.as_bytes()).unwrap_err()
}

const HEAD: &str = r#"<?xml version="1.0"?><model xmlns="http://www.opengroup.org/xsd/archimate/3.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="id-m"><name>m</name>"#;

#[test]
fn hostile_and_broken_models_are_refused_with_the_line() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><model xmlns="http://www.opengroup.org/xsd/archimate/3.0/"><name>&b;</name></model>"#;
    assert!(
        xml_err(laughs)
            .message
            .contains("entity declarations are refused")
    );
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><model xmlns="http://www.opengroup.org/xsd/archimate/3.0/"><name>&x;</name></model>"#;
    assert!(
        xml_err(xxe)
            .message
            .contains("entity declarations are refused")
    );
    let deep = format!(
        "{HEAD}<documentation>{}{}</documentation></model>",
        "<x>".repeat(300),
        "</x>".repeat(300)
    );
    assert!(xml_err(&deep).message.contains("nesting deeper"));
    let huge = vec![b' '; plumb_base::input::MAX_INPUT_BYTES + 1];
    assert!(plumb_model::exchange::read("m.xml", &huge).is_err());

    let dangling = format!(
        "{HEAD}\n<elements><element identifier=\"id-a\" xsi:type=\"Node\"><name>a</name></element></elements>\n<relationships>\n<relationship identifier=\"id-r\" xsi:type=\"Serving\" source=\"id-a\" target=\"id-missing\"/></relationships></model>"
    );
    let e = xml_err(&dangling);
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.message.contains("id-missing"));
    let unknown = format!(
        "{HEAD}\n\n<elements><element identifier=\"id-a\" xsi:type=\"InfrastructureService\"><name>a</name></element></elements></model>"
    );
    let e = xml_err(&unknown);
    assert_eq!(e.line, Some(3));
    assert!(
        e.message.contains("unknown type \"InfrastructureService\"")
            && e.message.contains("TechnologyService"),
        "names what is allowed"
    );
    let bad_id = format!(
        "{HEAD}<elements><element identifier=\"1abc\" xsi:type=\"Node\"><name>a</name></element></elements></model>"
    );
    assert!(xml_err(&bad_id).message.contains("not a valid XML ID"));
    let undefined_prop = format!(
        "{HEAD}<elements><element identifier=\"id-a\" xsi:type=\"Node\"><name>a</name><properties><property propertyDefinitionRef=\"p9\"><value>x</value></property></properties></element></elements></model>"
    );
    assert!(
        xml_err(&undefined_prop)
            .message
            .contains("propertyDefinition \"p9\"")
    );
    assert!(
        xml_err(&format!("{HEAD}<elements>"))
            .message
            .contains("truncated")
    );
    assert!(
        xml_err("<model xmlns=\"urn:other\"/>")
            .message
            .contains("namespace")
    );
    assert!(xml_err("<archimate/>").message.contains("root element"));

    let e = plumb_model::csv::read(
        ("elements.csv", "\"ID\",\"Type\",\"Name\"\n"),
        ("relations.csv", ""),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("Archi's elements.csv header"), "{e}");
    let e = plumb_model::csv::read(
        (
            "elements.csv",
            "\"ID\",\"Type\",\"Name\",\"Documentation\",\"Specialization\"\n\"a\",\"Node\",\"x\n",
        ),
        ("relations.csv", ""),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("unterminated"));
    let e = plumb_model::yaml::read(
        "m.yaml",
        "id: m\nname: m\nelements:\n  - {id: a, type: Nodee, name: x}\n",
    )
    .unwrap_err();
    assert!(e.message.contains("unknown type \"Nodee\""));
    let e = plumb_model::yaml::read("m.yaml", "id: m\nname: m\ncolour: blue\n").unwrap_err();
    assert!(e.message.contains("colour") && e.line.is_some(), "{e}");
}

/// Regression (issue 13): an `</item>` closing an item outside `<organizations>` panicked the
/// reader ("root level"), and the server parses recorded models for the architecture page.
#[test]
fn items_outside_organizations_do_not_panic() {
    for body in [
        format!("{HEAD}<item></item></model>"),
        format!("{HEAD}<elements><item/></elements></model>"),
        format!(
            "{HEAD}<organizations><item><label>a</label><x><item/></x></item></organizations></model>"
        ),
        format!("{HEAD}<organizations></item></organizations></model>"),
    ] {
        let r = std::panic::catch_unwind(|| plumb_model::exchange::read("m.xml", body.as_bytes()));
        assert!(r.is_ok(), "panicked on {body}");
    }
    let ok = plumb_model::exchange::read(
        "m.xml",
        format!(
            "{HEAD}<organizations><item><label>L</label><item/></item></organizations></model>"
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(ok.organizations.len(), 1);
}

/// A closing `</metadata>` or `</views>` before the opening tag (here in a comment) once made
/// the reader slice the text backwards and panic; it is read like any other comment.
#[test]
fn closing_tags_before_the_opening_ones_do_not_break_the_reader() {
    let xml = format!(
        "<?xml version=\"1.0\"?><!-- </metadata> </views> --><model xmlns=\"{}\" identifier=\"m\"><name>M</name><metadata><x/></metadata><elements/><views><diagrams/></views></model>",
        plumb_model::exchange::NAMESPACE
    );
    let m = plumb_model::read_bytes("m.xml", "xml", xml.as_bytes()).expect("reads");
    assert_eq!(m.raw_metadata.as_deref(), Some("<metadata><x/></metadata>"));
    assert_eq!(m.raw_views.as_deref(), Some("<views><diagrams/></views>"));
}

/// A node's label, style and view reference belong to that node wherever they stand in it:
/// after one of its child nodes too (a hostile or unusual file), not to the child.
#[test]
fn what_follows_a_child_node_belongs_to_its_parent() {
    let xml = format!(
        r#"<?xml version="1.0"?><model xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="m"><name>M</name><elements/><views><diagrams>
<view identifier="v1" xsi:type="Diagram"><name>One</name>
  <node identifier="outer" xsi:type="Label" x="0" y="0" w="300" h="200">
    <node identifier="inner" xsi:type="Label" x="10" y="10" w="50" h="50"><label>inner</label></node>
    <label>outer</label>
    <style><fillColor r="1" g="2" b="3"/><font name="Arial" size="10"/></style>
    <viewRef ref="v2"/>
  </node>
</view>
<view identifier="v2" xsi:type="Diagram"><name>Two</name></view>
</diagrams></views></model>"#,
        ns = plumb_model::exchange::NAMESPACE
    );
    let m = plumb_model::read_bytes("m.xml", "xml", xml.as_bytes()).expect("reads");
    let vs = plumb_model::diagram::views(&m).unwrap();
    let nodes = &vs[0].nodes;
    let (outer, inner) = (&nodes[0], &nodes[1]);
    assert_eq!(
        (outer.label.as_str(), inner.label.as_str()),
        ("outer", "inner")
    );
    assert_eq!(outer.view_ref.as_deref(), Some("v2"));
    assert_eq!(inner.view_ref, None);
    assert_eq!(outer.style.fill, Some((1, 2, 3)));
    assert!(outer.style.typeface.is_some() && inner.style.typeface.is_none());
}
