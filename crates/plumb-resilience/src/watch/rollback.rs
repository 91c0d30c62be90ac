//! Running the rollback command: argv as configured (no shell, so nothing in it is
//! interpreted), its output kept (the last 64 KiB of each stream), killed at its timeout.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Most output kept per stream.
const KEEP: usize = 64 << 10;

/// How the rollback ran.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackRun {
    /// The command.
    pub command: Vec<String>,
    /// Its exit code; `None` when it could not start, was killed or ended by a signal.
    pub exit_code: Option<i32>,
    /// Standard output and error, the end of each.
    pub output: String,
    /// Why it did not succeed, when it did not.
    pub error: Option<String>,
}

impl RollbackRun {
    /// Whether it ran and exited 0.
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// Reads a stream to its end in a thread, keeping its last bytes; the answer comes on a channel
/// so a stream a stray grandchild keeps open cannot hold the watch.
fn tail(mut r: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut kept: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            kept.extend_from_slice(buf.get(..n).unwrap_or_default());
            if kept.len() > 2 * KEEP {
                kept.drain(..kept.len() - KEEP);
            }
        }
        if kept.len() > KEEP {
            kept.drain(..kept.len() - KEEP);
        }
        let _ = tx.send(kept);
    });
    rx
}

/// Runs `command` with the given extra environment, waiting at most `timeout`.
pub fn run(command: &[String], env: &[(&str, String)], timeout: Duration) -> RollbackRun {
    let mut out = RollbackRun {
        command: command.to_vec(),
        exit_code: None,
        output: String::new(),
        error: None,
    };
    let Some((program, args)) = command.split_first() else {
        out.error = Some("no rollback command configured".into());
        return out;
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Its own process group, so a timeout stops what it started too (kubectl under a script).
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            out.error = Some(format!("{program}: could not start: {e}"));
            return out;
        }
    };
    let so = child.stdout.take().map(tail);
    let se = child.stderr.take().map(tail);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= timeout => {
                // The whole group: `kill -KILL -PGID` (the group id is the child's pid).
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                out.error = Some(format!("killed after {} s", timeout.as_secs()));
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                out.error = Some(format!("waiting for it: {e}"));
                break None;
            }
        }
    };
    let text = |h: Option<std::sync::mpsc::Receiver<Vec<u8>>>| {
        h.and_then(|h| h.recv_timeout(Duration::from_secs(2)).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    out.output = format!("{}{}", text(so), text(se));
    if let Some(s) = status {
        out.exit_code = s.code();
        if !s.success() {
            out.error = Some(match s.code() {
                Some(c) => format!("exited with {c}"),
                None => "ended by a signal".into(),
            });
        }
    }
    out
}
