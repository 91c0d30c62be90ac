//! Connection limits against a real server: the connection cap closes connections past it and
//! counts them, a client that does not finish its headers (or idles on a keep-alive
//! connection) is dropped after the header timeout, and a request whose body trickles is
//! answered 408 at the request timeout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use plumb_server::listen::Limits;
use plumb_server::tokens::Role;
use plumb_testkit::http;

mod common;

use common::Server;

/// Reads until the server closes the connection (or `within` passes); returns what it sent
/// and whether it closed.
fn read_until_closed(s: &mut TcpStream, within: Duration) -> (String, bool) {
    s.set_read_timeout(Some(within)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&out).into_owned(), true);
            }
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

#[test]
fn connections_past_the_cap_are_closed_and_idle_ones_time_out() {
    let srv = Server::start_with(|c| {
        c.limits = Limits {
            max_connections: 2,
            header_read_timeout: Duration::from_secs(1),
            ..Limits::default()
        };
    });
    let (scraper, _) = srv.token(Role::Metrics, &[]);
    // Two connections that send nothing take both slots; a third is closed on arrival.
    let mut idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(srv.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(srv.addr).unwrap();
    let _ = third.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    let (said, closed) = read_until_closed(&mut third, Duration::from_secs(5));
    assert!(closed && said.is_empty(), "past the cap: {said:?}");
    // The idle ones are dropped after the header timeout, which frees their slots.
    for s in &mut idle {
        let (_, closed) = read_until_closed(s, Duration::from_secs(10));
        assert!(closed, "an idle connection is closed by the server");
    }
    // A client that starts its headers and never finishes them is dropped too.
    let mut slow = TcpStream::connect(srv.addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let (said, closed) = read_until_closed(&mut slow, Duration::from_secs(10));
    assert!(closed, "unfinished headers: {said:?}");
    // The server still answers, and counted the refusal.
    let auth = format!("Bearer {scraper}");
    let m = http(
        srv.addr,
        "GET",
        "/metrics",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(m.status, 200, "{}", m.text());
    assert!(
        m.text().contains("plumb_connections_refused_total 1"),
        "{}",
        m.text()
    );
    srv.stop();
}

#[test]
fn a_trickling_body_is_answered_408_at_the_request_timeout() {
    let srv = Server::start_with(|c| c.request_timeout = Duration::from_secs(1));
    let (admin, _) = srv.token(Role::Admin, &[]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let head = format!(
        "POST /v1/entries?system=payments HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"payload"
    );
    s.write_all(head.as_bytes()).unwrap();
    let (said, _) = read_until_closed(&mut s, Duration::from_secs(10));
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    assert!(said.contains("request-timeout"), "{said}");
    srv.stop();
}

/// A Flagger webhook's body is read before its token is known (the token is in it): an
/// anonymous client trickling it is cut off at the request timeout like anyone else.
#[test]
fn an_anonymous_trickling_webhook_body_is_answered_408() {
    let srv = Server::start_with(|c| c.request_timeout = Duration::from_secs(1));
    let mut s = TcpStream::connect(srv.addr).unwrap();
    let head = "POST /v1/flagger/gate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 16000\r\n\r\n{\"metadata";
    s.write_all(head.as_bytes()).unwrap();
    let (said, _) = read_until_closed(&mut s, Duration::from_secs(10));
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    srv.stop();
}

/// Wrong tokens in webhook bodies count against the client like wrong bearer tokens; a wrong
/// bearer header is not rescued by a right token in the body.
#[test]
fn wrong_webhook_tokens_are_limited_and_a_bad_header_is_not_rescued() {
    let srv = Server::start_with(|c| c.max_auth_failures = 3);
    let (controller, _) = srv.token(Role::Controller, &["payments"]);
    let body = |t: &str| {
        format!(
            r#"{{"name":"p","namespace":"n","metadata":{{"system":"payments","token":"{t}"}}}}"#
        )
    };
    let post = |auth: Option<&str>, b: &str| {
        let a = auth.map(|t| format!("Bearer {t}"));
        let mut h = vec![("Content-Type", "application/json")];
        if let Some(a) = &a {
            h.push(("Authorization", a.as_str()));
        }
        plumb_testkit::http(srv.addr, "POST", "/v1/flagger/rollback", &h, b.as_bytes()).status
    };
    assert_eq!(post(Some("plumb_wrong"), &body(&controller)), 401);
    assert_eq!(post(None, &body("plumb_wrong")), 401);
    assert_eq!(post(None, &body("plumb_wrong")), 401);
    assert_eq!(post(None, &body("plumb_wrong")), 429);
    // A valid token is never held back by the limiter.
    assert_eq!(post(None, &body(&controller)), 412);
    srv.stop();
}

/// A witness that takes the server's request and never answers holds up no reader: while the
/// request is outstanding (the server gives up on it only after `ASK_TIMEOUT`), the latest
/// checkpoint is served. Asked under the reader's lock, the read would wait for the timeout.
#[test]
fn a_silent_witness_holds_up_no_reader() {
    use std::sync::mpsc;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let witness_at = silent.local_addr().unwrap();
    let (asked_tx, asked) = mpsc::channel();
    let (checked_tx, checked) = mpsc::channel::<()>();
    let (open_tx, still_open) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut conn, _) = silent.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
        asked_tx.send(()).unwrap();
        let _ = checked.recv();
        // Still open (nothing to read, no end of stream): the server is still waiting.
        conn.set_nonblocking(true).unwrap();
        let open = loop {
            match conn.read(&mut buf) {
                Ok(0) => break false,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
                Err(_) => break false,
            }
        };
        let _ = open_tx.send(open);
    });
    let witness = plumb_ledger::cosigners::WitnessEndpoint {
        key: plumb_ledger::keys::KeyPair::from_seed("witness.test/w1", [7; 32])
            .unwrap()
            .public(),
        url: format!("http://{witness_at}"),
    };
    let srv = Server::start_with(|c| c.witnesses = vec![witness]);
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (auditor, _) = srv.token(Role::Auditor, &[]);
    let r = common::record_payment(&srv, &rec, 1);
    assert_eq!(r.status, 201, "{}", r.text());
    asked
        .recv_timeout(Duration::from_secs(20))
        .expect("the server asks its witness");
    let r = http(
        srv.addr,
        "GET",
        "/v1/checkpoint",
        &[("Authorization", &format!("Bearer {auditor}"))],
        b"",
    );
    checked_tx.send(()).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    // The entry, and the server's own access records.
    assert!(
        r.json()["size"].as_u64().is_some_and(|s| s >= 1),
        "{}",
        r.text()
    );
    assert!(
        still_open.recv_timeout(Duration::from_secs(20)).unwrap(),
        "the checkpoint was served only after the witness request had timed out"
    );
    srv.stop();
}

/// A download selects at most `--max-pack-entries` entries: past it the answer is 413 with
/// how to narrow it, before any pack is written.
#[test]
fn a_download_selecting_too_many_entries_is_refused() {
    let srv = Server::start_with(|c| c.max_pack_entries = 3);
    let (rec, _) = srv.token(Role::Recorder, &["payments"]);
    let (auditor, _) = srv.token(Role::Auditor, &[]);
    let download = || {
        http(
            srv.addr,
            "GET",
            "/v1/export?system=payments",
            &[("Authorization", &format!("Bearer {auditor}"))],
            b"",
        )
    };
    for n in 0..3 {
        assert_eq!(common::record_payment(&srv, &rec, n).status, 201);
    }
    let r = download();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(common::record_payment(&srv, &rec, 3).status, 201);
    let r = download();
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("more than 3 entries"), "{}", r.text());
    srv.stop();
}
