//! coArchi repositories read as one model: the example repository in coArchi 1's layout (one
//! file per concept under model/), the same model in coArchi 2's (one model.archimate), and
//! hostile or broken repositories refused with the file that is wrong.

use std::path::{Path, PathBuf};

use plumb_model::diagram::views;
use plumb_model::{ElementType, RelType};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/coarchi-payments")
}

/// A copy of the example to break.
fn copy() -> tempfile::TempDir {
    fn walk(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }
    let d = tempfile::tempdir().unwrap();
    walk(&example(), d.path());
    d
}

fn error(dir: &Path) -> String {
    plumb_model::load(dir).unwrap_err().to_string()
}

#[test]
fn a_coarchi_1_repository_is_read_as_one_model_with_its_view() {
    let m = plumb_model::load(&example()).unwrap();
    assert_eq!(m.name, "Payments (coArchi)");
    assert_eq!(
        m.documentation.as_deref(),
        Some("The payments slice of the bank, kept in a coArchi repository.")
    );
    assert!(
        m.properties
            .iter()
            .any(|(k, v)| k == "owner" && v == "Enterprise architecture")
    );
    assert_eq!((m.elements.len(), m.relationships.len()), (6, 6));
    let idx = m.index();
    let f = idx.elements.get("id-fn-payments").unwrap();
    assert_eq!(f.kind, ElementType::BusinessFunction);
    // Text kept in attributes, newlines included, and properties.
    assert_eq!(
        f.documentation.as_deref(),
        Some("Executes customer credit transfers.\nCritical under DORA.")
    );
    assert!(
        f.properties
            .iter()
            .any(|(k, v)| k == "dora:rto-hours" && v == "4")
    );
    // References resolved from the href fragments; access types as Archi writes them.
    let r = idx.relationships.get("id-r-serves").unwrap();
    assert_eq!(
        (r.kind, r.source.as_str(), r.target.as_str()),
        (RelType::Serving, "id-svc-transfer", "id-fn-payments")
    );
    let reads = idx.relationships.get("id-r-reads").unwrap();
    assert_eq!(reads.access_type.as_deref(), Some("Read"));
    let writes = idx.relationships.get("id-r-writes").unwrap();
    assert_eq!(writes.access_type.as_deref(), Some("Write"));
    // The folder tree, the user's own folder included.
    let text = format!("{:?}", m.organizations);
    assert!(
        text.contains("Critical functions") && text.contains("Relations"),
        "{text}"
    );
    // The view: nodes nested in the group at absolute bounds, the connection's bendpoint
    // made absolute, the note's text.
    let vs = views(&m).unwrap();
    assert_eq!(vs.len(), 1);
    let v = &vs[0];
    assert_eq!(
        (v.name.as_str(), v.nodes.len(), v.connections.len()),
        ("Payments overview", 5, 2)
    );
    let gateway = v.nodes.iter().find(|n| n.id == "id-d-gateway").unwrap();
    assert_eq!((gateway.x, gateway.y, gateway.depth), (48.0, 168.0, 1));
    assert_eq!(gateway.element.as_deref(), Some("id-app-gateway"));
    let note = v.nodes.iter().find(|n| n.id == "id-d-note").unwrap();
    assert!(note.label.contains("kept with coArchi"), "{note:?}");
    let serves = v
        .connections
        .iter()
        .find(|c| c.relationship.as_deref() == Some("id-r-serves"))
        .unwrap();
    // Bendpoint offset (0, -60) from the source's centre: gateway-sibling svc at
    // (264, 168, 140, 60) has its centre at (334, 198).
    assert_eq!(serves.bendpoints, vec![(334.0, 138.0)]);
    // Same repository, same model, byte for byte.
    assert_eq!(plumb_model::load(&example()).unwrap().digest(), m.digest());
    // And the checks run on it: the function is critical and fully described.
    let report = plumb_model::check::check(&m, Default::default());
    assert!(
        report
            .findings
            .iter()
            .all(|f| !f.message.contains("not allowed")),
        "{:?}",
        report.findings
    );
}

#[test]
fn a_coarchi_2_repository_is_its_model_archimate() {
    let m = plumb_model::load(&example()).unwrap();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("model.archimate"),
        plumb_model::native_write::write(&m),
    )
    .unwrap();
    let two = plumb_model::load(d.path()).unwrap();
    assert_eq!(two.elements.len(), m.elements.len());
    assert_eq!(two.relationships.len(), m.relationships.len());
    assert_eq!(views(&two).unwrap()[0].nodes.len(), 5);
    // When both layouts are there (a repository being migrated), coArchi 1's files win:
    // they are what coArchi 1 still writes.
    assert_eq!(
        plumb_model::coarchi::layout(&example()),
        Some(plumb_model::coarchi::Layout::SplitFiles)
    );
}

#[test]
fn an_archi_3_repository_is_converted_with_its_renames_listed() {
    let d = copy();
    let model = d.path().join("model/folder.xml");
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(
        &model,
        text.replace("version=\"5.0.0\"", "version=\"3.1.1\""),
    )
    .unwrap();
    let rel = d
        .path()
        .join("model/relations/ServingRelationship_id-r-customer.xml");
    let text = std::fs::read_to_string(&rel).unwrap();
    std::fs::write(
        &rel,
        text.replace("ServingRelationship", "UsedByRelationship"),
    )
    .unwrap();
    let m = plumb_model::load(d.path()).unwrap();
    let r = m
        .index()
        .relationships
        .get("id-r-customer")
        .copied()
        .unwrap();
    assert_eq!(r.kind, RelType::Serving);
    assert!(
        m.notes.iter().any(|n| n.contains("UsedBy")),
        "{:?}",
        m.notes
    );
    // Refused when conversion is turned off.
    assert!(plumb_model::load_with(d.path(), false).is_err());
}

#[test]
fn broken_or_hostile_repositories_are_refused_naming_the_file() {
    // A relationship without its source.
    let d = copy();
    let rel = d
        .path()
        .join("model/relations/ServingRelationship_id-r-serves.xml");
    let text = std::fs::read_to_string(&rel).unwrap();
    let cut = text.replace("<source", "<origin");
    std::fs::write(&rel, cut).unwrap();
    let e = error(d.path());
    assert!(
        e.contains("ServingRelationship_id-r-serves.xml") && e.contains("no source reference"),
        "{e}"
    );

    // A truncated file: the XML error with its file and line.
    let d = copy();
    let el = d
        .path()
        .join("model/application/DataObject_id-data-payment.xml");
    std::fs::write(&el, "<archimate:DataObject\n    xmlns:archimate=\"http://www.archimatetool.com/archimate\"\n    name=\"Pay").unwrap();
    let e = error(d.path());
    assert!(e.contains("DataObject_id-data-payment.xml"), "{e}");

    // A reference to a concept that is not there.
    let d = copy();
    std::fs::remove_file(d.path().join("model/technology/Node_id-node-cluster.xml")).unwrap();
    let e = error(d.path());
    assert!(e.contains("id-node-cluster"), "{e}");

    // A file of another vocabulary, and a concept type nobody knows.
    let d = copy();
    let el = d
        .path()
        .join("model/application/ApplicationService_id-svc-transfer.xml");
    let text = std::fs::read_to_string(&el).unwrap();
    std::fs::write(
        &el,
        text.replace("http://www.archimatetool.com/archimate", "urn:other"),
    )
    .unwrap();
    assert!(error(d.path()).contains("not in Archi's namespace"));
    std::fs::write(&el, text.replace("ApplicationService", "QuantumService")).unwrap();
    assert!(error(d.path()).contains("QuantumService"));

    // The model file itself is something else.
    let d = copy();
    std::fs::write(
        d.path().join("model/folder.xml"),
        "<archimate:Folder xmlns:archimate=\"http://www.archimatetool.com/archimate\" name=\"x\" id=\"id-x\"/>",
    )
    .unwrap();
    assert!(error(d.path()).contains("not a coArchi model"));

    // A symbolic link could point anywhere: refused.
    let d = copy();
    std::os::unix::fs::symlink("/etc", d.path().join("model/business/elsewhere")).unwrap();
    assert!(error(d.path()).contains("symbolic link"));

    // An entity bomb in one concept file is refused by the XML reader, as everywhere.
    let d = copy();
    std::fs::write(
        d.path().join("model/business/BusinessActor_id-actor-customer.xml"),
        "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>\n<archimate:BusinessActor xmlns:archimate=\"http://www.archimatetool.com/archimate\" name=\"&b;\" id=\"id-actor-customer\"/>",
    )
    .unwrap();
    let e = error(d.path());
    assert!(e.contains("BusinessActor_id-actor-customer.xml"), "{e}");
}

/// The folder tree is written back: the coArchi example's own folder, as Archi's native file and
/// read again, holds the same function (and Archi's top folders hold the rest).
#[test]
fn the_folder_tree_survives_writing_archis_file() {
    fn paths(
        items: &[plumb_model::model::OrgItem],
        at: &mut Vec<String>,
        out: &mut Vec<(String, String)>,
    ) {
        for i in items {
            if let Some(r) = &i.reference {
                out.push((at.join("/"), r.clone()));
            }
            if let Some(l) = &i.label {
                at.push(l.clone());
            }
            paths(&i.items, at, out);
            if i.label.is_some() {
                at.pop();
            }
        }
    }
    let m = plumb_model::load(&example()).unwrap();
    let back = plumb_model::native::read(
        "back.archimate",
        plumb_model::native_write::write(&m).as_bytes(),
    )
    .unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    paths(&m.organizations, &mut Vec::new(), &mut a);
    paths(&back.organizations, &mut Vec::new(), &mut b);
    a.sort();
    b.sort();
    assert!(
        a.contains(&(
            "Business/Critical functions".to_string(),
            "id-fn-payments".to_string()
        )),
        "{a:?}"
    );
    assert_eq!(a, b);
}

#[test]
fn links_special_files_and_forged_names_are_refused() {
    // A top folder linked to another checkout's model: refused, not read through.
    let d = copy();
    let elsewhere = tempfile::tempdir().unwrap();
    let business = d.path().join("model/business");
    std::fs::rename(&business, elsewhere.path().join("business")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("business"), &business).unwrap();
    assert!(
        error(d.path()).contains("symbolic link"),
        "{}",
        error(d.path())
    );

    // A folder.xml that is a link.
    let d = copy();
    let meta = d.path().join("model/application/folder.xml");
    std::fs::remove_file(&meta).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", &meta).unwrap();
    assert!(error(d.path()).contains("symbolic link"));

    // model/ itself a link.
    let d = copy();
    let inner = tempfile::tempdir().unwrap();
    std::fs::rename(d.path().join("model"), inner.path().join("model")).unwrap();
    std::os::unix::fs::symlink(inner.path().join("model"), d.path().join("model")).unwrap();
    assert!(error(d.path()).contains("symbolic link"));

    // A pipe named like a concept file would block the read: refused at once.
    let d = copy();
    let fifo = d.path().join("model/business/BusinessActor_id-pipe.xml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    assert!(error(d.path()).contains("special file"));

    // A root element name carrying quotes (forged attributes, a processing instruction that
    // would swallow the files after it): refused naming the file, never assembled.
    let d = copy();
    let forged = d.path().join("model/business/BusinessActor_id-forged.xml");
    std::fs::write(
        &forged,
        "<archimate:BusinessActor\"id=\"x\"name=\"Forged\"><?x\" xmlns:archimate=\"http://www.archimatetool.com/archimate\" id=\"a\"/>",
    )
    .unwrap();
    let e = error(d.path());
    assert!(e.contains("BusinessActor_id-forged.xml"), "{e}");
    // Two concepts in one file.
    std::fs::write(
        &forged,
        "<archimate:BusinessActor xmlns:archimate=\"http://www.archimatetool.com/archimate\" name=\"A\" id=\"id-a1\"/>\n<archimate:BusinessActor xmlns:archimate=\"http://www.archimatetool.com/archimate\" name=\"B\" id=\"id-a2\"/>",
    )
    .unwrap();
    let e = error(d.path());
    assert!(e.contains("BusinessActor_id-forged.xml"), "{e}");
}
