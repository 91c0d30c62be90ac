//! Turning results and errors into output and exit codes.

use std::process::ExitCode;

use plumb_ledger::Error;

use crate::cli::Format;

/// A failed command: exit code, message, and what to do about it.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    /// Usage or input error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
            hint: None,
        }
    }

    /// A check that failed (exit 1).
    pub fn check(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let hint = match &e {
            Error::StoreVersion { .. } => Some("this store was made by another plumb version".to_string()),
            Error::TooLarge { what, .. } if what == "envelope" => {
                Some("keep statements small: attach large reports with --attach, which stores them as blobs".into())
            }
            _ => None,
        };
        Failure {
            code: if e.is_input() { 2 } else { 1 },
            message: e.to_string(),
            hint,
        }
    }
}

/// Prints a JSON value on standard output.
pub fn json(v: &serde_json::Value) -> Result<ExitCode, Failure> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("JSON value serialises")
    );
    Ok(ExitCode::SUCCESS)
}

/// Prints either the human text or the JSON value.
pub fn emit(
    format: Format,
    human: impl FnOnce() -> String,
    value: serde_json::Value,
) -> Result<ExitCode, Failure> {
    match format {
        Format::Json => json(&value),
        Format::Human => {
            let text = human();
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// "ok"/"FAILED" markers, coloured unless NO_COLOR is set or output is not a terminal.
pub fn mark(ok: bool) -> String {
    use std::io::IsTerminal;
    let color = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    match (ok, color) {
        (true, true) => "\x1b[32mok\x1b[0m".into(),
        (false, true) => "\x1b[31mFAILED\x1b[0m".into(),
        (true, false) => "ok".into(),
        (false, false) => "FAILED".into(),
    }
}

/// Writes a file whole or not at all: into a new temporary file beside it (created, never
/// followed through an existing name), flushed to disk, then renamed over the target, so an
/// interrupted write never leaves half a package or report.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::usage(format!("{}: {e}", path.display()))
    })
}
