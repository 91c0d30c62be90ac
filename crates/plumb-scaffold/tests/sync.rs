//! Applying a generation to a directory: fresh generation, regeneration after model changes,
//! the user's edits kept, conflicts, removals, drift.

use std::path::{Path, PathBuf};

use plumb_model::Model;
use plumb_scaffold::manifest::{Manifest, PENDING};
use plumb_scaffold::sync::{Action, apply, check, plan};
use plumb_scaffold::template::Catalog;
use plumb_scaffold::{Generation, Options, generate};

fn bank() -> Model {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/model/bank.yaml");
    plumb_model::load(&p).unwrap()
}

fn gen_of(m: &Model) -> Generation {
    generate(
        m,
        &Options {
            model_source: "bank.yaml".into(),
            ..Default::default()
        },
        &Catalog::embedded(),
    )
    .unwrap()
}

fn run(dir: &Path, g: &Generation, resolved: &[String]) -> plumb_scaffold::sync::Plan {
    let p = plan(dir, g, false, resolved).unwrap();
    apply(dir, g, &p).unwrap();
    p
}

fn action(p: &plumb_scaffold::sync::Plan, path: &str) -> Option<Action> {
    p.entries.iter().find(|e| e.path == path).map(|e| e.action)
}

fn set_rto(m: &mut Model, hours: &str) {
    let f = m
        .elements
        .iter_mut()
        .find(|e| e.id == "fn-payments")
        .unwrap();
    f.properties.retain(|(k, _)| k != "dora:rto-hours");
    f.properties.push(("dora:rto-hours".into(), hours.into()));
}

#[test]
fn fresh_generation_writes_everything_and_the_manifest() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("repo");
    let g = gen_of(&bank());
    let p = run(&out, &g, &[]);
    assert!(p.fresh);
    assert_eq!(p.count(Action::Create), g.files.len());
    for (path, f) in &g.files {
        assert_eq!(std::fs::read(out.join(path)).unwrap(), f.body, "{path}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out.join("scripts/verify"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "scripts are executable");
    }
    let m = Manifest::read(&out).unwrap().unwrap();
    assert_eq!(m, p.manifest);
    assert!(
        !d.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("staging")),
        "no staging left"
    );
    // Again with nothing changed: nothing to do, and no drift.
    let again = run(&out, &g, &[]);
    assert_eq!(again.count(Action::Unchanged), g.files.len());
    assert!(!check(&out, &g).unwrap().drift);
}

#[test]
fn regeneration_updates_generated_files_and_keeps_edits() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("repo");
    let mut m = bank();
    run(&out, &gen_of(&m), &[]);

    // The team edits service code (theirs) and the runbook (managed).
    let auth = out.join("services/payments/src/auth.rs");
    let mut code = std::fs::read_to_string(&auth).unwrap();
    code.push_str("\n// our own addition\n");
    std::fs::write(&auth, &code).unwrap();
    let runbook = out.join("runbooks/payments.md");
    let mut rb = std::fs::read_to_string(&runbook).unwrap();
    rb.push_str("\nCall Ana first.\n");
    std::fs::write(&runbook, &rb).unwrap();
    let readme = out.join("services/identity/README.md");
    std::fs::remove_file(&readme).unwrap();

    // The model changes the RTO of payments.
    set_rto(&mut m, "1");
    let g = gen_of(&m);
    let drift = check(&out, &g).unwrap();
    assert!(drift.drift);
    assert_ne!(drift.generated_from, drift.model);
    let d_action = |p: &str| drift.entries.iter().find(|e| e.path == p).map(|e| e.action);
    assert_eq!(
        d_action("compliance/payments/dora.md"),
        Some(Action::Update)
    );
    assert_eq!(
        d_action("services/payments/src/auth.rs"),
        Some(Action::KeepEdited)
    );
    assert_eq!(d_action("runbooks/payments.md"), Some(Action::Conflict));

    let p = run(&out, &g, &[]);
    assert_eq!(
        action(&p, "compliance/payments/dora.md"),
        Some(Action::Update)
    );
    assert!(
        std::fs::read_to_string(out.join("compliance/payments/dora.md"))
            .unwrap()
            .contains("| critical | 1 | 0.25 |")
    );
    assert_eq!(
        action(&p, "services/payments/src/auth.rs"),
        Some(Action::KeepEdited)
    );
    assert_eq!(
        std::fs::read_to_string(&auth).unwrap(),
        code,
        "the edit survives"
    );
    assert_eq!(
        action(&p, "services/identity/README.md"),
        Some(Action::KeepDeleted)
    );
    assert!(!readme.exists(), "a file the user deleted stays deleted");
    // Edited by the user and changed by the model: kept, the new version waits.
    assert_eq!(action(&p, "runbooks/payments.md"), Some(Action::Conflict));
    assert_eq!(std::fs::read_to_string(&runbook).unwrap(), rb);
    let pending = out.join(PENDING).join("runbooks/payments.md");
    assert!(
        std::fs::read_to_string(&pending)
            .unwrap()
            .contains("| recovery time objective (RTO) | 1 hours |")
    );
    // Still a conflict on the next run, until resolved.
    let p = run(&out, &g, &[]);
    assert_eq!(action(&p, "runbooks/payments.md"), Some(Action::Conflict));
    // The user merges and says so.
    let merged = std::fs::read_to_string(&pending).unwrap() + "\nCall Ana first.\n";
    std::fs::write(&runbook, &merged).unwrap();
    let p = run(&out, &g, &["runbooks/payments.md".into()]);
    assert_eq!(action(&p, "runbooks/payments.md"), Some(Action::KeepEdited));
    assert!(!pending.exists(), "the pending copy is gone once resolved");
    assert_eq!(std::fs::read_to_string(&runbook).unwrap(), merged);
    // A managed file edited by hand is still drift; the team's code is not.
    let drift = check(&out, &g).unwrap();
    let counted: Vec<&str> = drift
        .entries
        .iter()
        .filter(|e| e.managed || !matches!(e.action, Action::KeepEdited))
        .map(|e| e.path.as_str())
        .collect();
    assert!(counted.contains(&"runbooks/payments.md"), "{counted:?}");
    assert!(drift.drift);
}

#[test]
fn files_no_longer_generated_are_removed_unless_edited() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("repo");
    let mut m = bank();
    run(&out, &gen_of(&m), &[]);
    let edited = out.join("services/identity/src/web.rs");
    std::fs::write(&edited, "// ours now\n").unwrap();
    // Identity no longer chooses a template.
    let e = m
        .elements
        .iter_mut()
        .find(|e| e.id == "app-identity")
        .unwrap();
    e.properties.retain(|(k, _)| k != "plumb:template");
    let p = run(&out, &gen_of(&m), &[]);
    assert_eq!(
        action(&p, "services/identity/src/auth.rs"),
        Some(Action::Remove)
    );
    assert!(!out.join("services/identity/src/auth.rs").exists());
    assert_eq!(
        action(&p, "services/identity/src/web.rs"),
        Some(Action::Orphan)
    );
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "// ours now\n");
    let m2 = Manifest::read(&out).unwrap().unwrap();
    assert!(
        m2.file("services/identity/src/web.rs").is_none(),
        "no longer tracked"
    );
}

#[test]
fn a_directory_not_made_by_plumb_is_left_alone_without_force() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("README.md"), "mine").unwrap();
    let g = gen_of(&bank());
    let e = plan(d.path(), &g, false, &[]).unwrap_err();
    assert!(
        e.to_string()
            .contains("is not empty and holds no generation manifest"),
        "{e}"
    );
    assert!(e.hint().unwrap().contains("--force"));
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        1,
        "nothing written"
    );
    // With --force, files in the way are overwritten and the rest created.
    let p = plan(d.path(), &g, true, &[]).unwrap();
    assert_eq!(action(&p, "README.md"), Some(Action::Overwrite));
    apply(d.path(), &g, &p).unwrap();
    assert_ne!(
        std::fs::read_to_string(d.path().join("README.md")).unwrap(),
        "mine"
    );
    // A file where a directory should be.
    let f = d.path().join("file");
    std::fs::write(&f, "x").unwrap();
    assert!(
        plan(&f, &g, false, &[])
            .unwrap_err()
            .to_string()
            .contains("is a file")
    );
}

#[test]
fn resolving_what_is_not_pending_and_broken_manifests_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("repo");
    let g = gen_of(&bank());
    run(&out, &g, &[]);
    let e = plan(&out, &g, false, &["README.md".into()]).unwrap_err();
    assert!(
        e.to_string()
            .contains("no generated version of it is waiting"),
        "{e}"
    );
    let manifest = out.join(".plumb/scaffold.json");
    std::fs::write(&manifest, "{\"format\": \"plumb-scaffold/v9\"").unwrap();
    assert!(
        plan(&out, &g, false, &[])
            .unwrap_err()
            .to_string()
            .contains("not a generation manifest")
    );
    let mut m: serde_json::Value = serde_json::from_slice(&g.manifest.to_bytes()).unwrap();
    m["format"] = "plumb-scaffold/v9".into();
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    assert!(
        plan(&out, &g, false, &[])
            .unwrap_err()
            .to_string()
            .contains("this plumb reads")
    );
    m["format"] = "plumb-scaffold/v1".into();
    m["files"][0]["path"] = "../../etc/passwd".into();
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    assert!(
        plan(&out, &g, false, &[])
            .unwrap_err()
            .to_string()
            .contains(". or .. segment")
    );
}

#[cfg(unix)]
#[test]
fn links_and_directories_in_the_way_are_refused_before_anything_is_written() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("repo");
    let g = gen_of(&bank());
    run(&out, &g, &[]);
    let outside = d.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // A directory of generated files replaced by a link out of the repository.
    let src = out.join("services/payments/src");
    std::fs::remove_dir_all(&src).unwrap();
    std::os::unix::fs::symlink(&outside, &src).unwrap();
    let e = plan(&out, &g, false, &[]).unwrap_err();
    assert!(e.to_string().contains("is a symbolic link"), "{e}");
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written through it"
    );
    std::fs::remove_file(&src).unwrap();
    // A directory where a generated file belongs.
    std::fs::remove_file(out.join("README.md")).unwrap();
    std::fs::create_dir_all(out.join("README.md")).unwrap();
    let e = plan(&out, &g, false, &[]).unwrap_err();
    assert!(
        e.to_string()
            .contains("is a directory, where the generator writes a file"),
        "{e}"
    );
}

#[test]
fn a_new_executable_bit_is_applied() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("repo");
    let g = gen_of(&bank());
    run(&out, &g, &[]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let verify = out.join("scripts/verify");
        std::fs::set_permissions(&verify, std::fs::Permissions::from_mode(0o644)).unwrap();
        let p = run(&out, &g, &[]);
        assert_eq!(action(&p, "scripts/verify"), Some(Action::Update));
        let mode = std::fs::metadata(&verify).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}

#[test]
fn an_empty_directory_given_as_dot_is_generated_into() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("empty");
    std::fs::create_dir_all(&out).unwrap();
    let g = gen_of(&bank());
    // `out/.` has no file name of its own.
    let dot = out.join(".");
    run(&dot, &g, &[]);
    assert!(out.join("scripts/verify").is_file());
    assert!(
        !d.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("staging"))
    );
}
