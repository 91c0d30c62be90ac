//! Evidence files in S3 under Object Lock, through the binary, against a real S3-compatible
//! server (SeaweedFS, started here): a store whose blobs live in a locked bucket records,
//! verifies and exports with them; the locked version cannot be deleted; a blob replaced in
//! the bucket, or hidden by a delete marker, is reported by `plumb verify` while reads still
//! find the locked original among the versions; buckets without versioning, or without Object Lock when
//! retention is asked for, and missing credentials are refused before a store is made.

use std::path::Path;
use std::process::{Command, Stdio};

use plumb_testkit::s3::S3Server;

fn plumb(s3: &S3Server, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .envs(s3.env())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn init(s3: &S3Server, store: &Path, blobs: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--store",
        store.to_str().unwrap(),
        "init",
        "--blobs",
        blobs,
        "--s3-endpoint",
        &s3.endpoint,
    ];
    args.extend_from_slice(extra);
    plumb(s3, &args)
}

#[test]
fn blobs_in_a_locked_bucket() {
    let Some(s3) = S3Server::start_if_installed() else {
        return;
    };
    s3.locked_bucket("evidence");
    s3.plain_bucket("unversioned");
    let d = tempfile::tempdir().unwrap();

    // Refusals, before anything is written.
    let store = d.path().join("refused");
    let o = init(&s3, &store, "s3://unversioned/plumb", &[]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("versioning is not enabled"));
    assert!(!store.exists());
    let o = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "--store",
            store.to_str().unwrap(),
            "init",
            "--blobs",
            "s3://evidence/p",
        ])
        .args(["--s3-endpoint", &s3.endpoint])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("AWS_ACCESS_KEY_ID"));
    assert!(!store.exists());
    for bad in ["s3://Evidence/p", "evidence/p", "s3://evidence/../x"] {
        let o = init(&s3, &store, bad, &[]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }

    // A store with its blobs in the locked bucket, kept for a day in compliance mode.
    let store = d.path().join("store");
    let out = ok(&init(
        &s3,
        &store,
        "s3://evidence/bank-a",
        &["--retention-days", "1"],
    ));
    assert!(out.contains("blobs in s3://evidence/bank-a"), "{out}");
    let report = d.path().join("report.json");
    std::fs::write(&report, br#"{"findings": []}"#).unwrap();
    let digest = plumb_base::sha256_hex(br#"{"findings": []}"#);
    let s = store.to_str().unwrap();
    ok(&plumb(
        &s3,
        &[
            "--store",
            s,
            "record",
            "--subject",
            &format!("gitCommit:{:040x}", 1),
            "--predicate-type",
            "https://plumbline.dev/test/v1",
            "--attach",
            report.to_str().unwrap(),
        ],
    ));
    assert!(
        !store.join("blobs/sha256").exists(),
        "nothing kept on local disk"
    );
    let key = format!("bank-a/sha256/{digest}");
    let listed = s3.python(&format!(
        "h = s.head_object(Bucket='evidence', Key='{key}')\n\
         print(h['ContentLength'], h.get('ObjectLockMode'), h['VersionId'])"
    ));
    let fields: Vec<&str> = listed.split_whitespace().collect();
    assert_eq!(fields[..2], ["16", "COMPLIANCE"], "{listed}");
    let version = fields[2].to_string();
    ok(&plumb(&s3, &["--store", s, "verify"]));
    let pack = d.path().join("pack.tar");
    ok(&plumb(
        &s3,
        &["--store", s, "export", "--out", pack.to_str().unwrap()],
    ));
    let public = d.path().join("log.pub");
    std::fs::write(&public, ok(&plumb(&s3, &["--store", s, "key", "show"]))).unwrap();
    let v = ok(&plumb(
        &s3,
        &[
            "verify-pack",
            pack.to_str().unwrap(),
            "--trusted-key",
            public.to_str().unwrap(),
        ],
    ));
    assert!(v.contains("1 blobs intact"), "{v}");

    // The locked version cannot be deleted, even by the credentials that wrote it.
    let err = s3
        .python_result(&format!(
            "s.delete_object(Bucket='evidence', Key='{key}', VersionId='{version}')"
        ))
        .unwrap_err();
    assert!(
        err.contains("AccessDenied") || err.contains("locked"),
        "{err}"
    );
    // A different content put under the same key becomes a new version: the locked one is
    // still there, and plumb, which re-hashes what it reads, reports the substitution.
    s3.python(&format!(
        "s.put_object(Bucket='evidence', Key='{key}', Body=b'swapped content!')"
    ));
    let o = plumb(&s3, &["--store", s, "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("does not match its digest"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let original = s3.python(&format!(
        "print(s.get_object(Bucket='evidence', Key='{key}', VersionId='{version}')['Body'].read().decode())"
    ));
    assert_eq!(original.trim(), r#"{"findings": []}"#);
    // Reads still find the blob among the locked versions: a pack exported now carries the
    // original and verifies. Then a delete marker on top: verify says the latest is gone,
    // and reads still find the locked version.
    let again = d.path().join("again.tar");
    let verify_pack = |pack: &Path| {
        ok(&plumb(
            &s3,
            &[
                "verify-pack",
                pack.to_str().unwrap(),
                "--trusted-key",
                public.to_str().unwrap(),
            ],
        ))
    };
    ok(&plumb(
        &s3,
        &["--store", s, "export", "--out", again.to_str().unwrap()],
    ));
    assert!(verify_pack(&again).contains("1 blobs intact"));
    s3.python(&format!("s.delete_object(Bucket='evidence', Key='{key}')"));
    let o = plumb(&s3, &["--store", s, "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("latest version in S3 is missing"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let third = d.path().join("third.tar");
    ok(&plumb(
        &s3,
        &["--store", s, "export", "--out", third.to_str().unwrap()],
    ));
    assert!(verify_pack(&third).contains("1 blobs intact"));

    // Retention asked of a bucket without Object Lock: refused.
    s3.python("s.create_bucket(Bucket='versioned')\ns.put_bucket_versioning(Bucket='versioned', VersioningConfiguration={'Status': 'Enabled'})");
    let o = init(
        &s3,
        &d.path().join("nolock"),
        "s3://versioned/x",
        &["--retention-days", "30"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Object Lock is not enabled"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Without retention a versioned bucket is enough.
    ok(&init(
        &s3,
        &d.path().join("versioned"),
        "s3://versioned/x",
        &[],
    ));

    // Credentials from a shared-credentials file, readable by its owner only.
    let creds = d.path().join("credentials");
    std::fs::write(
        &creds,
        format!(
            "[other]\naws_access_key_id = wrong\n[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            plumb_testkit::s3::ACCESS_KEY,
            plumb_testkit::s3::SECRET_KEY
        ),
    )
    .unwrap();
    let with_file = |store: &Path| {
        Command::new(env!("CARGO_BIN_EXE_plumb"))
            .args([
                "--store",
                store.to_str().unwrap(),
                "init",
                "--blobs",
                "s3://versioned/y",
            ])
            .args(["--s3-endpoint", &s3.endpoint])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
            .output()
            .unwrap()
    };
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = with_file(&d.path().join("open-file"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("readable by others"));
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(&with_file(&d.path().join("from-file")));
}
