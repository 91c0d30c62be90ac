//! The ledger on PostgreSQL over TLS, as a bank runs it with the database on another machine:
//! `sslmode=verify-full` with the bank's CA verifies the server's certificate and name; the
//! throwaway server refuses plain TCP, so a store that works spoke TLS; a certificate from
//! another CA, a name the certificate does not carry, and modes that verify nothing are
//! refused. Certificates are made with the openssl command-line tool.

use std::path::Path;
use std::process::Command;

use plumb_ledger::{InitOptions, Ledger};

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command-line tool is needed for this test");
    assert!(
        ok.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// A CA named `name` in `dir`: `name.pem` and `name.key`.
fn ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

#[test]
fn the_ledger_speaks_verified_tls_to_postgresql() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ca(dir, "bank-ca");
    ca(dir, "other-ca");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "bank-ca.pem",
            "-CAkey",
            "bank-ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.crt",
        ],
    );
    let pg = plumb_testkit::tls_server(&dir.join("server.crt"), &dir.join("server.key"));
    let ca_pem = dir.join("bank-ca.pem");
    let init = |url: String, store: &str| {
        Ledger::init(
            &dir.join(store),
            InitOptions {
                origin: Some("tls.test/log".into()),
                database: Some(url),
                grant_role: None,
                blobs: None,
            },
        )
    };

    // Verified: the store is created, written and read back over TLS.
    pg.new_database("verified");
    let mut l = init(pg.tls_url("localhost", "verified", &ca_pem), "s1")
        .expect("a verified TLS connection");
    let (i, _) = l
        .record(
            plumb_ledger::RecordRequest {
                subjects: vec![plumb_ledger::statement::Subject {
                    name: "x".into(),
                    digest: [("sha256".to_string(), "ab".repeat(32))].into(),
                }],
                predicate_type: "https://plumbline.dev/test/v1".into(),
                predicate: serde_json::json!({"ok": true}),
                system: None,
                run: None,
                attachments: vec![],
            },
            chrono::Utc::now(),
        )
        .unwrap();
    drop(l);
    let mut l = Ledger::open(&dir.join("s1")).unwrap();
    assert_eq!(l.size().unwrap(), i + 1);
    assert!(l.verify(Default::default()).unwrap().ok());

    // Refused: plain TCP (the server demands TLS), another CA, a name not in the certificate,
    // and the modes that would accept any certificate.
    for (n, url, says) in [
        (
            2,
            format!("postgres://postgres@localhost:{}/db2", pg.port),
            "no encryption",
        ),
        (
            3,
            pg.tls_url("localhost", "db3", &dir.join("other-ca.pem")),
            "UnknownIssuer",
        ),
        (
            4,
            pg.tls_url("127.0.0.1", "db4", &ca_pem),
            "not valid for name",
        ),
        (
            5,
            format!(
                "postgres://postgres@localhost:{}/db5?sslmode=require",
                pg.port
            ),
            "verify-full",
        ),
        (
            6,
            format!(
                "postgres://postgres@localhost:{}/db6?sslmode=verify-full",
                pg.port
            ),
            "sslrootcert",
        ),
    ] {
        pg.new_database(&format!("db{n}"));
        let e = init(url.clone(), &format!("s{n}"))
            .err()
            .unwrap_or_else(|| panic!("{url} was accepted"));
        assert!(e.to_string().contains(says), "{url}: {e}");
    }
}
