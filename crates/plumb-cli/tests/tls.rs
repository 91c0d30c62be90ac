//! `plumb serve` over TLS: HTTPS answers with HSTS and Secure cookies; plain HTTP on the TLS
//! port gets nothing. Uses the openssl and curl command-line tools.

use std::process::{Command, Stdio};

#[test]
fn serve_speaks_tls_with_a_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    // A private CA and a server certificate it signed, as a bank would have.
    let p = |n: &str| dir.path().join(n);
    let (cert, key, ca) = (p("cert.pem"), p("key.pem"), p("ca.pem"));
    std::fs::write(p("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    let openssl = |args: &[&str]| {
        let ok = Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .stderr(Stdio::null())
            .status()
            .expect("the openssl command-line tool is needed for this test");
        assert!(ok.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=Test Bank CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "req.csr",
            ],
        ]
        .concat(),
    );
    openssl(&[
        "x509",
        "-req",
        "-in",
        "req.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "cert.pem",
    ]);
    let store = dir.path().join("store");
    let plumb = env!("CARGO_BIN_EXE_plumb");
    assert!(
        Command::new(plumb)
            .arg("--store")
            .arg(&store)
            .arg("init")
            .output()
            .unwrap()
            .status
            .success()
    );
    // Certificate and key files that are not what they should be: a clear error, exit 2, no
    // server.
    let pem = std::fs::read_to_string(&cert).unwrap();
    std::fs::write(p("truncated.pem"), &pem[..pem.len() / 2]).unwrap();
    std::fs::write(p("garbage.pem"), b"\x00\xffnot pem at all").unwrap();
    for (c, k, says) in [
        (p("key.pem"), key.clone(), "no PEM certificate found"),
        (cert.clone(), cert.clone(), "no PEM private key found"),
        (p("truncated.pem"), key.clone(), "truncated.pem"),
        (p("garbage.pem"), key.clone(), "garbage.pem"),
        (cert.clone(), p("ca.key"), "do not form a usable pair"),
    ] {
        let out = Command::new(plumb)
            .arg("--store")
            .arg(&store)
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(&c)
            .arg("--tls-key")
            .arg(&k)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{c:?} {k:?}: {err}");
        assert!(err.contains(says), "{c:?} {k:?}: {err}");
    }
    let port = plumb_testkit::free_port();
    let server = Command::new(plumb)
        .arg("--store")
        .arg(&store)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
        ])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = plumb_testkit::KillOnDrop(server);
    plumb_testkit::wait_for_port("plumb serve over TLS", port);
    let curl = |args: &[&str]| {
        Command::new("curl")
            .args(["-s", "-m", "10", "-i", "--cacert"])
            .arg(&ca)
            .args(args)
            .output()
            .expect("curl is needed for this test")
    };
    let out = curl(&[&format!("https://127.0.0.1:{port}/healthz")]);
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(
        text.starts_with("http/1.1 200") && text.contains("strict-transport-security"),
        "{text}"
    );
    let login =
        String::from_utf8_lossy(&curl(&[&format!("https://127.0.0.1:{port}/ui/login")]).stdout)
            .to_string();
    assert!(
        login.lines().any(|l| l
            .to_ascii_lowercase()
            .starts_with("set-cookie: plumb_csrf=")
            && l.contains("; Secure")),
        "{login}"
    );
    let plain = Command::new("curl")
        .args([
            "-s",
            "-m",
            "5",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://127.0.0.1:{port}/healthz"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&plain.stdout),
        "000",
        "plain HTTP gets no answer on the TLS port"
    );
    // The CLI's --server trusts a private CA only when told to (--ca-cert).
    let token = String::from_utf8(
        Command::new(plumb)
            .arg("--store")
            .arg(&store)
            .args(["token", "create", "--role", "admin"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .next()
    .unwrap()
    .to_string();
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/model/bank.yaml"
    );
    let client = |ca: Option<&std::path::Path>| {
        let mut c = Command::new(plumb);
        c.args(["--server", &format!("https://127.0.0.1:{port}")])
            .env("PLUMB_TOKEN", &token)
            .env_remove("PLUMB_CA_CERT");
        if let Some(ca) = ca {
            c.arg("--ca-cert").arg(ca);
        }
        c.args(["model", "check", model]).output().unwrap()
    };
    let trusted = client(Some(&ca));
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    let untrusted = client(None);
    assert_eq!(untrusted.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&untrusted.stderr).contains("--ca-cert"));
    server.stop();
}
