//! `plumb serve` over TLS: HTTPS answers with HSTS and Secure cookies; plain HTTP on the TLS
//! port gets nothing. Uses the openssl and curl command-line tools.

use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn serve_speaks_tls_with_a_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let generated = Command::new("openssl")
        .args([
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
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("the openssl command-line tool is needed for this test");
    assert!(generated.success());
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(plumb)
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
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    plumb_testkit::wait_until("plumb serve over TLS", Duration::from_secs(30), || {
        std::net::TcpStream::connect(addr).is_ok()
    });
    let curl = |args: &[&str]| {
        Command::new("curl")
            .args(["-s", "-m", "10", "-i", "--cacert"])
            .arg(&cert)
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
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
}
