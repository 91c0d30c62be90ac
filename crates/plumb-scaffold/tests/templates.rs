//! Template sets: the shipped ones load and cite known law; a bank's own set is read from a
//! directory; broken or hostile sets are refused with the file and line.

use std::path::Path;

use plumb_scaffold::template::{Catalog, Kind, Set, environment};

#[test]
fn shipped_sets_load_and_cite_known_references() {
    let cat = Catalog::embedded();
    let names: Vec<&str> = cat.sets.keys().map(String::as_str).collect();
    assert_eq!(names, ["python-fastapi", "repository", "rust-axum"]);
    assert_eq!(cat.repository().meta.kind, Kind::Repository);
    for set in cat.sets.values() {
        assert!(
            !set.meta.controls.is_empty(),
            "{} documents its controls",
            set.meta.name
        );
        for c in &set.meta.controls {
            for r in &c.dora {
                assert!(plumb_dora::is_known(r), "{}: {r}", c.id);
                assert!(plumb_dora::misuse(r).is_none(), "{}: {r} misused", c.id);
            }
            assert!(!c.soc2.is_empty(), "{} maps to SOC 2", c.id);
        }
    }
}

#[test]
fn delimiters_leave_ci_and_jinja_syntax_alone() {
    let env = environment();
    let out = env
        .render_str(
            "${{ github.sha }} {{ page }} {% if x %} [= name =] [% if on %]yes[% endif %] format!(\"{}\") [# gone #]",
            minijinja::context! { name => "payments", on => true },
        )
        .unwrap();
    assert_eq!(
        out,
        "${{ github.sha }} {{ page }} {% if x %} payments yes format!(\"{}\") "
    );
    // Values meant for code are escaped for the language.
    let out = env
        .render_str(
            "[= v|rust_str =] [= v|json =] [= v|md =] [= v|html =]",
            minijinja::context! { v => "a\"b|<c>" },
        )
        .unwrap();
    assert_eq!(
        out,
        r#""a\"b|<c>" "a\"b|<c>" a"b\|&lt;c> a&quot;b|&lt;c&gt;"#
    );
    // An undefined value is an error, never an empty string.
    assert!(
        env.render_str("[= missing =]", minijinja::context! {})
            .is_err()
    );
}

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

const META: &str = "name: bank-java\nversion: 0.1.0\nkind: service\ndescription: the bank's own\ncontrols:\n  - {id: J-1, title: t, description: d, dora: [DORA Art. 9], soc2: [CC8.1]}\n";

#[test]
fn a_banks_own_set_is_read_from_a_directory() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bank-java/template.yaml", META);
    write(
        d.path(),
        "bank-java/files/services/__service__/pom.xml.j2",
        "<artifactId>[= service.slug =]</artifactId>\n",
    );
    let cat = Catalog::with_dir(d.path()).unwrap();
    assert!(cat.service_templates().contains(&"bank-java".to_string()));
    assert!(
        cat.service_templates().contains(&"rust-axum".to_string()),
        "shipped sets stay"
    );
    assert_eq!(cat.sets["bank-java"].source, d.path().display().to_string());
}

fn refused(files: &[(&str, &str)], expect: &str) {
    let d = tempfile::tempdir().unwrap();
    for (p, b) in files {
        write(d.path(), p, b);
    }
    let e = Catalog::with_dir(d.path()).expect_err(expect);
    assert!(e.to_string().contains(expect), "{expect}: got {e}");
}

#[test]
fn broken_and_hostile_sets_are_refused() {
    let ok_file = ("bank-java/files/README.md", "x");
    refused(
        &[("bank-java/files/a.txt", "x")],
        "template.yaml: is missing",
    );
    refused(
        &[("bank-java/template.yaml", "name: [unclosed"), ok_file],
        "template.yaml",
    );
    refused(
        &[
            (
                "bank-java/template.yaml",
                &META.replace("kind: service", "kind: service\nsurprise: 1"),
            ),
            ok_file,
        ],
        "unknown field",
    );
    refused(
        &[
            (
                "bank-java/template.yaml",
                &META.replace("DORA Art. 9]", "DORA Art. 99]"),
            ),
            ok_file,
        ],
        "cites \"DORA Art. 99\", which plumb-dora does not know",
    );
    refused(
        &[
            ("bank-java/template.yaml", &META.replace("CC8.1", "CC99.9")),
            ok_file,
        ],
        "SOC 2 criterion \"CC99.9\"",
    );
    refused(
        &[
            (
                "bank-java/template.yaml",
                &META.replace("name: bank-java", "name: other"),
            ),
            ok_file,
        ],
        "but its directory is \"bank-java\"",
    );
    refused(
        &[
            (
                "bank-java/template.yaml",
                &META.replace("kind: service", "kind: repository"),
            ),
            ok_file,
        ],
        "only the set named \"repository\"",
    );
    refused(&[("bank-java/template.yaml", META)], "the set has no files");
    // Broken template syntax names the file and the line.
    refused(
        &[
            ("bank-java/template.yaml", META),
            ("bank-java/files/x.txt.j2", "line one\n[% if %]\n"),
        ],
        "x.txt.j2:2",
    );
    // Paths that would escape the repository or touch the manifest.
    refused(
        &[
            ("bank-java/template.yaml", META),
            ("bank-java/files/.plumb/scaffold.json", "{}"),
        ],
        "under .plumb/",
    );
    // Oversized files.
    refused(
        &[
            ("bank-java/template.yaml", META),
            ("bank-java/files/big.bin", &"x".repeat((1 << 20) + 1)),
        ],
        "larger than",
    );
}

#[cfg(unix)]
#[test]
fn links_out_of_the_set_are_refused() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bank-java/template.yaml", META);
    std::fs::create_dir_all(d.path().join("bank-java/files")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.path().join("bank-java/files/passwd")).unwrap();
    let e = Catalog::with_dir(d.path()).unwrap_err();
    assert!(e.to_string().contains("is a symbolic link"), "{e}");
}

#[test]
fn a_set_with_a_dotdot_path_is_refused() {
    let e = Set::new(
        "x".into(),
        META.as_bytes(),
        vec![plumb_scaffold::template::File {
            path: "../escape.txt".into(),
            body: b"x".to_vec(),
        }],
    )
    .unwrap_err();
    assert!(e.to_string().contains(". or .. segment"), "{e}");
}

#[test]
fn rendering_errors_name_the_template_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bank-java/template.yaml", META);
    write(
        d.path(),
        "bank-java/files/services/__service__/App.java.j2",
        "class App {\n  // [= service.no_such_field =]\n}\n",
    );
    let cat = Catalog::with_dir(d.path()).unwrap();
    let p =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    let model = plumb_model::load(&p).unwrap();
    let opts = plumb_scaffold::Options {
        selection: plumb_scaffold::spec::Selection {
            components: vec!["payments".into()],
            default_template: None,
        },
        ..Default::default()
    };
    let mut m = model.clone();
    for e in &mut m.elements {
        if e.id == "app-payments" {
            e.properties.retain(|(k, _)| k != "plumb:template");
            e.properties
                .push(("plumb:template".into(), "bank-java".into()));
        }
    }
    let e = plumb_scaffold::generate(&m, &opts, &cat).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("template bank-java") && s.contains("App.java.j2:2"),
        "{s}"
    );
}
