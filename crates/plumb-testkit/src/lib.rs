//! Test support shared by Plumbline's crates.
//!
//! A throwaway PostgreSQL server from the local binaries (`/usr/lib/postgresql/*/bin`), one per
//! test process, listening only on a Unix socket in a temporary directory. A watchdog shell
//! stops it when the test process exits, so no server outlives the tests.

pub mod prometheus;
pub mod s3;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// Polls `f` until it is true or the deadline passes.
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a command, panicking with its output on failure; returns standard output.
/// A loopback port that was free a moment ago, for a server the test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until something listens on loopback `port` (a server the test started).
pub fn wait_for_port(what: &str, port: u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    wait_until(what, Duration::from_secs(30), || {
        std::net::TcpStream::connect(addr).is_ok()
    });
}

/// A child process (a server under test) that is killed when dropped, so a failing test
/// does not leave it running and holding the test harness's output pipe open.
pub struct KillOnDrop(pub std::process::Child);

impl KillOnDrop {
    /// Asks the process to stop (SIGTERM, for a graceful shutdown) and waits for it.
    pub fn stop(mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        self.0.wait().ok()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs a command that must succeed and returns its standard output.
pub fn sh(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running server.
pub struct PgServer {
    /// Directory holding the Unix socket.
    pub socket_dir: PathBuf,
    /// Port number (names the socket file).
    pub port: u16,
    _dir: tempfile::TempDir,
    _watchdog: std::process::Child,
}

fn bin_dir() -> PathBuf {
    if let Ok(d) = std::env::var("PLUMB_PG_BIN") {
        return PathBuf::from(d);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("postgres").exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop().expect(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them (apt-get install postgresql) or set PLUMB_PG_BIN",
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn as_pg_user(program: PathBuf) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The test process's server, started on first use.
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> PgServer {
    start_with(None)
}

/// A second throwaway server that speaks TLS on 127.0.0.1 with `cert` and `key` (PEM; copied
/// into the server's directory, owned by and readable only for its user, as PostgreSQL
/// demands). Stopped when the test process ends, like [`server`].
pub fn tls_server(cert: &std::path::Path, key: &std::path::Path) -> PgServer {
    start_with(Some((cert, key)))
}

fn start_with(tls: Option<(&std::path::Path, &std::path::Path)>) -> PgServer {
    let bin = bin_dir();
    let dir = tempfile::Builder::new()
        .prefix("plumb-pg-")
        .tempdir()
        .unwrap();
    let data = dir.path().join("data");
    let sock = dir.path().join("sock");
    std::fs::create_dir_all(&sock).unwrap();
    if is_root() {
        sh(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path()));
    }
    sh(as_pg_user(bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data));
    let (port, extra) = match tls {
        None => (
            20000 + (std::process::id() % 30000) as u16,
            "-c listen_addresses=''".to_string(),
        ),
        Some((cert, key)) => {
            let (c, k) = (dir.path().join("server.crt"), dir.path().join("server.key"));
            std::fs::copy(cert, &c).unwrap();
            std::fs::copy(key, &k).unwrap();
            sh(Command::new("chmod").arg("600").arg(&k));
            // TCP clients must use TLS: a plain connection is refused, so a test that
            // connects proves it spoke TLS.
            let hba = data.join("pg_hba.conf");
            let rules = std::fs::read_to_string(&hba).unwrap_or_default();
            std::fs::write(&hba, format!("hostnossl all all 0.0.0.0/0 reject\n{rules}")).unwrap();
            if is_root() {
                sh(Command::new("chown")
                    .args(["postgres:postgres"])
                    .arg(&c)
                    .arg(&k));
            }
            (
                free_port(),
                format!(
                    "-c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                    c.display(),
                    k.display()
                ),
            )
        }
    };
    let script = format!(
        "{postgres} -D {data} -k {sock} -p {port} {extra} -c max_connections=200 >{log} 2>&1 & pg=$!; \
         while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 0.5; done; kill -INT $pg 2>/dev/null; wait $pg; \
         rm -rf {dir}",
        postgres = bin.join("postgres").display(),
        data = data.display(),
        sock = sock.display(),
        log = dir.path().join("server.log").display(),
        parent = std::process::id(),
        dir = dir.path().display(),
    );
    let mut watchdog = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", &script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &script]);
        c
    };
    // The watchdog stops the server once this process is gone and then removes its directory:
    // the server lives in a static, which Rust never drops, so the directory's own clean-up
    // would never run (every test process left 220 MB behind in /tmp).
    let watchdog = watchdog
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = PgServer {
        socket_dir: sock,
        port,
        _dir: dir,
        _watchdog: watchdog,
    };
    let url = server.url("postgres");
    wait_until(
        "PostgreSQL to accept connections",
        Duration::from_secs(60),
        || postgres::Client::connect(&url, postgres::NoTls).is_ok(),
    );
    server
}

impl PgServer {
    /// A TCP connection URL for `db` on `host` verifying the server against `ca` (PEM), for a
    /// [`tls_server`].
    pub fn tls_url(&self, host: &str, db: &str, ca: &std::path::Path) -> String {
        format!(
            "postgres://postgres@{host}:{}/{db}?sslmode=verify-full&sslrootcert={}",
            self.port,
            ca.display()
        )
    }

    /// A connection URL for `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        self.url_as(db, "postgres")
    }

    /// A connection URL for `db` as `user`.
    pub fn url_as(&self, db: &str, user: &str) -> String {
        format!(
            "postgres://{user}@localhost:{}/{db}?host={}",
            self.port,
            self.socket_dir.display()
        )
    }

    /// Creates an empty database and returns its superuser URL.
    pub fn new_database(&self, name: &str) -> String {
        let mut c = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        self.url(name)
    }
}

/// Peak resident memory of this process so far, in MB (Linux `VmHWM`; 0 elsewhere). For benchmarks.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A response from [`http`].
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Raw header block.
    pub headers: String,
    /// Body (de-chunked).
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Values of a header (case-insensitive name).
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
}

/// A minimal HTTP/1.1 client for tests against servers on loopback: one request per
/// connection, `Connection: close`, chunked bodies decoded.
pub fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    // Read the head, then exactly the body: some servers keep the connection open anyway.
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the response headers ended");
        raw.extend_from_slice(&buf[..n]);
    };
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = headers[9..12].parse().unwrap();
    let lower = headers.to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = lower.contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(n) => body.len() >= n,
            None if chunked => body.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if done || method == "HEAD" || status == 204 || status == 304 {
            break;
        }
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if let Some(n) = length {
        body.truncate(n);
    }
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// A headless Chromium driven through ChromeDriver (W3C WebDriver), for browser tests.
pub struct Browser {
    driver: std::process::Child,
    addr: std::net::SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Starts ChromeDriver and a headless Chromium (Debian's `chromium` and `chromium-driver`).
    pub fn start() -> Browser {
        for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            assert!(
                std::path::Path::new(bin).exists(),
                "{bin} is missing: install Debian's chromium and chromium-driver (scripts/test does)"
            );
        }
        let port = free_port();
        let driver = isolated("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port("chromedriver", port);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let profile = tempfile::tempdir().unwrap();
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1400,1000", format!("--user-data-dir={}", profile.path().display())]}}}});
        let r = http(
            addr,
            "POST",
            "/session",
            &[("Content-Type", "application/json")],
            caps.to_string().as_bytes(),
        )
        .json();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        Browser {
            driver,
            addr,
            session,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("/session/{}{path}", self.session);
        let r = if body.is_null() {
            http(self.addr, method, &url, &[], b"")
        } else {
            http(
                self.addr,
                method,
                &url,
                &[("Content-Type", "application/json")],
                body.to_string().as_bytes(),
            )
        };
        let v = r.json();
        assert!(r.status < 400, "WebDriver {method} {path}: {v}");
        v["value"].clone()
    }

    /// Opens a URL.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", serde_json::json!({"url": url}));
    }

    /// The first element matching a CSS selector, waiting up to 10 s for it.
    pub fn find(&self, css: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let r = http(
                self.addr,
                "POST",
                &format!("/session/{}/element", self.session),
                &[("Content-Type", "application/json")],
                serde_json::json!({"using": "css selector", "value": css})
                    .to_string()
                    .as_bytes(),
            );
            if r.status < 400 {
                let v = r.json();
                return v["value"][ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("unexpected WebDriver answer for {css}: {v}"))
                    .to_string();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no element {css}: {}",
                r.text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types into an element.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            serde_json::json!({"text": text}),
        );
    }

    /// Clicks an element.
    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/click"),
            serde_json::json!({}),
        );
    }

    /// The visible text of an element.
    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.call(
            "GET",
            &format!("/element/{el}/text"),
            serde_json::Value::Null,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The visible text of an element, or None if the page replaced it meanwhile (a navigation
    /// between finding the element and reading it makes the reference stale).
    fn try_text(&self, css: &str) -> Option<String> {
        let el = self.find(css);
        let r = http(
            self.addr,
            "GET",
            &format!("/session/{}/element/{el}/text", self.session),
            &[],
            b"",
        );
        (r.status < 400).then(|| r.json()["value"].as_str().unwrap_or_default().to_string())
    }

    /// Waits until an element's text contains `want`; returns the text. Survives navigations
    /// in progress.
    pub fn wait_text(&self, css: &str, want: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            let t = self.try_text(css).unwrap_or_default();
            if t.contains(want) {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{css} says {t:?}, expected {want:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The current URL.
    pub fn url(&self) -> String {
        self.call("GET", "/url", serde_json::Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a PNG screenshot.
    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let b64 = self.call("GET", "/screenshot", serde_json::Value::Null);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            base64::engine::general_purpose::STANDARD
                .decode(b64.as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(
            self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            &[],
            b"",
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A command whose process tree sees only standard input, output and error: descriptors the
/// test inherited from whatever runs it (a CI runner's or a shell's channels) are closed
/// before the program starts, so nothing a test starts (browsers, databases, nested builds,
/// generated services) can read or write them. A test run through the generated repository
/// killed the shell that ran it without this.
pub fn isolated(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new("bash");
    c.args([
        "-c",
        "for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ \"$n\" -gt 2 ] 2>/dev/null; then eval \"exec $n>&-\" 2>/dev/null; fi; done; exec \"$@\"",
        "isolated",
    ])
    .arg(program);
    c
}

/// The shared conformance corpus (`../shared/corpus` beside the repository). When it is
/// absent the test is skipped with a notice, so a fresh clone passes its tests; with
/// `PLUMB_REQUIRE_CORPUS=1` (set by `.ci/run`) its absence fails the test instead.
pub fn corpus() -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.join("SOURCES.md").exists() {
        return Some(p);
    }
    assert!(
        std::env::var("PLUMB_REQUIRE_CORPUS").as_deref() != Ok("1"),
        "the conformance corpus is required (PLUMB_REQUIRE_CORPUS=1) but {} is absent",
        p.display()
    );
    eprintln!(
        "notice: {} is absent (no ../shared beside the repository); corpus test skipped",
        p.display()
    );
    None
}

/// Logs in to a `plumb serve` web UI with `token` through its login form (CSRF cookie and
/// field) and returns the session cookie (`plumb_session=...`) and the page's CSRF value.
pub fn ui_login(addr: std::net::SocketAddr, token: &str) -> (String, String) {
    let cookie_of = |r: &Resp, name: &str| {
        r.header_values("set-cookie")
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {}", r.headers))
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let form = http(addr, "GET", "/ui/login", &[], b"");
    let pre = cookie_of(&form, "plumb_csrf");
    let html = form.text();
    let at = html
        .find("name=\"csrf\" value=\"")
        .map(|i| i + 19)
        .expect("a CSRF field on the login form");
    let csrf = html.get(at..at + 32).expect("a 32-character CSRF value");
    let r = http(
        addr,
        "POST",
        "/ui/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &pre),
        ],
        format!("token={token}&csrf={csrf}").as_bytes(),
    );
    assert_eq!(r.status, 303, "login refused: {}", r.text());
    let session = cookie_of(&r, "plumb_session");
    let page = http(addr, "GET", "/ui", &[("Cookie", &session)], b"").text();
    let csrf = page
        .find("name=\"csrf\" value=\"")
        .and_then(|i| page.get(i + 19..i + 51))
        .unwrap_or_default()
        .to_string();
    (session, csrf)
}

/// Starts `plumb serve` (the binary `bin`) over `store` on a free loopback port, with `extra`
/// arguments; the server is killed when the handle drops.
pub fn plumb_serve(
    bin: &str,
    store: &std::path::Path,
    extra: &[&str],
) -> (KillOnDrop, std::net::SocketAddr) {
    let port = free_port();
    let server = isolated(bin)
        .arg("--store")
        .arg(store)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(KillOnDrop)
        .expect("plumb serve starts");
    wait_for_port("plumb serve", port);
    (server, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Creates a token with `plumb token create ARGS` (the binary `bin`) and returns its secret.
pub fn plumb_token(bin: &str, store: &std::path::Path, args: &[&str]) -> String {
    let o = Command::new(bin)
        .arg("--store")
        .arg(store)
        .args(["token", "create"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("plumb runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The Chaos Toolkit command (`PLUMB_CHAOS`, else `chaos` on the PATH); panics with what to
/// install when it is missing (`scripts/test` installs chaostoolkit from PyPI).
pub fn chaos() -> String {
    let c = std::env::var("PLUMB_CHAOS").unwrap_or_else(|_| "chaos".into());
    let found = Command::new(&c)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{c} is missing: scripts/test installs chaostoolkit from PyPI (or set PLUMB_CHAOS)"
    );
    c
}

/// A service for recovery tests: `command` (a shell command line) run in `dir` under a loop
/// that restarts it half a second after it dies when `supervised`, once otherwise. The pid of
/// the running process is kept in `pidfile`, for an experiment to kill. Waits for `port`.
pub struct Supervised {
    supervisor: Option<KillOnDrop>,
    pidfile: std::path::PathBuf,
}

impl Supervised {
    /// Starts it.
    pub fn start(
        dir: &std::path::Path,
        command: &str,
        port: u16,
        pidfile: &std::path::Path,
        supervised: bool,
    ) -> Supervised {
        let run = format!(
            "{command} >/dev/null 2>&1 & echo $! > '{p}'; wait",
            p = pidfile.display()
        );
        let script = if supervised {
            format!("while true; do {run}; sleep 0.5; done")
        } else {
            run
        };
        let child = isolated("bash")
            .args(["-c", &script])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bash starts");
        wait_for_port("the supervised service", port);
        Supervised {
            supervisor: Some(KillOnDrop(child)),
            pidfile: pidfile.to_path_buf(),
        }
    }
}

impl Drop for Supervised {
    /// Stops the supervisor, then the process it started last.
    fn drop(&mut self) {
        drop(self.supervisor.take());
        let _ = Command::new("sh")
            .args([
                "-c",
                &format!("kill $(cat '{}') 2>/dev/null", self.pidfile.display()),
            ])
            .status();
    }
}
