//! A real Prometheus (Debian's `/usr/bin/prometheus`, installed by `scripts/test`) on a free
//! loopback port, scraping every second a small exporter whose gauge the test sets: the
//! ground truth `plumb watch` is tested against.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::KillOnDrop;

/// A `/metrics` endpoint with one gauge, `app_error_ratio`, that the test sets.
pub struct Exporter {
    /// Its port.
    pub port: u16,
    value: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Exporter {
    /// Starts serving `app_error_ratio` = `initial`.
    pub fn start(initial: f64) -> Exporter {
        let l = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = l.local_addr().expect("its address").port();
        let value = Arc::new(AtomicU64::new(initial.to_bits()));
        let stop = Arc::new(AtomicBool::new(false));
        let (v, s) = (value.clone(), stop.clone());
        l.set_nonblocking(true).expect("non-blocking");
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let Ok((mut c, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                let body = format!(
                    "# HELP app_error_ratio Share of failed requests.\n# TYPE app_error_ratio gauge\napp_error_ratio {}\n",
                    f64::from_bits(v.load(Ordering::Relaxed))
                );
                let _ = write!(
                    c,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Exporter { port, value, stop }
    }

    /// Sets the gauge.
    pub fn set(&self, v: f64) {
        self.value.store(v.to_bits(), Ordering::Relaxed);
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A Prometheus server scraping an exporter.
pub struct Prometheus {
    /// Its port.
    pub port: u16,
    /// The process.
    pub process: KillOnDrop,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus scraping `127.0.0.1:exporter` every second as job `app`, and waits
    /// until it has a sample of `app_error_ratio`. Panics with a clear message when the binary
    /// is missing (`scripts/test` installs Debian's prometheus).
    pub fn start(exporter: u16) -> Prometheus {
        Prometheus::scraping(exporter, "app", "app_error_ratio")
    }

    /// Starts Prometheus scraping `127.0.0.1:target/metrics` every second as `job`, and waits
    /// until `ready_query` has a sample.
    pub fn scraping(target: u16, job: &str, ready_query: &str) -> Prometheus {
        let bin =
            std::env::var("PLUMB_PROMETHEUS").unwrap_or_else(|_| "/usr/bin/prometheus".into());
        assert!(
            std::path::Path::new(&bin).exists(),
            "{bin} is missing: scripts/test installs Debian's prometheus (or set PLUMB_PROMETHEUS)"
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n  - job_name: {job}\n    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n"
            ),
        )
        .expect("the configuration");
        let port = crate::free_port();
        let child = crate::isolated(&bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            port,
            process: KillOnDrop(child),
            _dir: dir,
        };
        crate::wait_for_port("prometheus", port);
        crate::wait_until("a first scrape", Duration::from_secs(30), || {
            let r = crate::http(
                std::net::SocketAddr::from(([127, 0, 0, 1], port)),
                "GET",
                &format!("/api/v1/query?query={ready_query}"),
                &[],
                b"",
            );
            serde_json::from_slice::<serde_json::Value>(&r.body)
                .ok()
                .is_some_and(|v| {
                    v["data"]["result"]
                        .as_array()
                        .is_some_and(|r| !r.is_empty())
                })
        });
        p
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
