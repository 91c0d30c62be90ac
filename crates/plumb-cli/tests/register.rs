//! `plumb register` through the binary: the templates, one template's columns, a closed
//! list's EBA codes, and clear refusals.

use std::process::{Command, Output, Stdio};

fn plumb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_catalogue_answers_and_refuses_clearly() {
    let o = plumb(&["--format", "json", "register", "templates"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["templates"].as_array().unwrap().len(), 15);
    assert_eq!(v["templates"][1]["file"], "b_01.02.csv");
    let o = plumb(&["register", "templates", "b_02.02"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.contains("c0010*") && text.contains("refers to"),
        "{text}"
    );
    let o = plumb(&["--format", "json", "register", "codes", "ICT_SERVICE_TYPE"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["codes"].as_array().unwrap().len(), 19);
    for (args, words) in [
        (&["register", "templates", "B_42.01"][..], "B_99.01"),
        (&["register", "codes", "NOPE"], "ICT_SERVICE_TYPE"),
    ] {
        let o = plumb(args);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(words));
    }
}
