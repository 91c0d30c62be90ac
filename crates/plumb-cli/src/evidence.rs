//! Commands that create stores and write evidence: init, key, record, sign, append.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use plumb_ledger::commit::{BatchOptions, GroupCommit};
use plumb_ledger::entry::{Annotations, BlobRef};
use plumb_ledger::hash::{hex, sha256};
use plumb_ledger::keys::PublicKey;
use plumb_ledger::statement::{Statement, Subject, parse_digest_arg};
use plumb_ledger::{InitOptions, Ledger, RecordRequest};

use crate::cli::{AppendArgs, Format, Labels, RecordArgs, StatementArgs};
use crate::output::{Failure, emit};
use crate::progress::Progress;
use crate::remote::Remote;

/// Opens the store, explaining how to create one when it is missing.
pub fn open(store: &Path) -> Result<Ledger, Failure> {
    Ledger::open(store).map_err(|e| {
        let missing = matches!(e, plumb_ledger::Error::NotFound(_));
        let f = Failure::from(e);
        if missing {
            f.hint(format!(
                "run `plumb init --store {}` first, or pass --store",
                store.display()
            ))
        } else {
            f
        }
    })
}

pub fn init(
    store: &Path,
    format: Format,
    origin: &Option<String>,
    database: &Option<String>,
    grant_role: &Option<String>,
    blobs: &crate::cli::BlobArgs,
) -> Result<ExitCode, Failure> {
    use plumb_ledger::blobs::s3::{LockMode, Retention, S3Config};
    let blob_config = blobs.blobs.as_ref().map(|url| S3Config {
        url: url.clone(),
        endpoint: blobs.s3_endpoint.clone(),
        region: blobs.s3_region.clone(),
        retention: blobs.retention_days.map(|days| Retention {
            mode: if blobs.retention_mode == "governance" {
                LockMode::Governance
            } else {
                LockMode::Compliance
            },
            days,
        }),
    });
    let l = Ledger::init(
        store,
        InitOptions {
            origin: origin.clone(),
            database: database.clone(),
            grant_role: grant_role.clone(),
            blobs: blob_config,
        },
    )?;
    let pk = l.public_key().to_text();
    emit(
        format,
        || {
            format!(
                "created store {} (log {}, {} backend, blobs in {})\npublic key (give it to auditors): {pk}\nprivate key: {} (mode 0600)\n",
                store.display(),
                l.config().origin,
                l.backend_kind(),
                l.config()
                    .blobs
                    .as_ref()
                    .map_or("blobs/", |b| b.url.as_str()),
                store.join("keys/signing.key").display()
            )
        },
        json!({"store": store, "origin": l.config().origin, "backend": l.backend_kind(), "public_key": pk}),
    )
}

pub fn key_show(store: &Path, format: Format) -> Result<ExitCode, Failure> {
    let l = open(store)?;
    let pk = l.public_key();
    emit(
        format,
        || pk.to_text(),
        json!({"name": pk.name, "key": pk.to_text(), "dsse_keyid": pk.dsse_key_id()}),
    )
}

pub fn key_trust(store: &Path, format: Format, file: &Path) -> Result<ExitCode, Failure> {
    let mut l = open(store)?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let pk =
        PublicKey::parse(&text).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let saved = l.trust_key(pk.clone())?;
    emit(
        format,
        || {
            format!(
                "trusting {} (DSSE keyid {}), saved as {}",
                pk.name,
                pk.dsse_key_id(),
                saved.display()
            )
        },
        json!({"name": pk.name, "dsse_keyid": pk.dsse_key_id(), "file": saved}),
    )
}

pub fn key_list(store: &Path, format: Format) -> Result<ExitCode, Failure> {
    let l = open(store)?;
    let keys: Vec<_> = l
        .trusted_keys()
        .iter()
        .map(|k| json!({"name": k.name, "key": k.to_text(), "dsse_keyid": k.dsse_key_id()}))
        .collect();
    emit(
        format,
        || {
            l.trusted_keys()
                .iter()
                .map(|k| format!("{}  {}\n", k.dsse_key_id(), k.name))
                .collect()
        },
        json!(keys),
    )
}

/// A file as a statement subject: its name and SHA-256.
pub fn artifact_subject(f: &Path) -> Result<Subject, Failure> {
    let data =
        std::fs::read(f).map_err(|e| Failure::usage(format!("--artifact {}: {e}", f.display())))?;
    let name = f
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Subject {
        name,
        digest: [("sha256".to_string(), hex(&sha256(&data)))].into(),
    })
}

fn read_predicate(p: &Option<PathBuf>) -> Result<serde_json::Value, Failure> {
    let Some(p) = p else { return Ok(json!({})) };
    let raw = if p.as_os_str() == "-" {
        let mut s = Vec::new();
        std::io::stdin()
            .read_to_end(&mut s)
            .map_err(|e| Failure::usage(format!("standard input: {e}")))?;
        s
    } else {
        std::fs::read(p).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?
    };
    serde_json::from_slice(&raw)
        .map_err(|e| Failure::usage(format!("predicate {} is not JSON: {e}", p.display())))
}

fn subjects(a: &StatementArgs) -> Result<Vec<Subject>, Failure> {
    let mut out = Vec::new();
    for s in &a.subjects {
        let (name, digest) = match s.split_once('=') {
            Some((n, d)) => (n.to_string(), d),
            None => (String::new(), s.as_str()),
        };
        let (alg, value) =
            parse_digest_arg(digest).map_err(|e| Failure::usage(format!("--subject: {e}")))?;
        out.push(Subject {
            name,
            digest: [(alg, value)].into(),
        });
    }
    for f in &a.artifacts {
        out.push(artifact_subject(f)?);
    }
    if out.is_empty() {
        return Err(Failure::usage(
            "a statement needs at least one --subject or --artifact",
        ));
    }
    Ok(out)
}

pub fn record(
    store: &Path,
    format: Format,
    a: &RecordArgs,
    now: DateTime<Utc>,
    remote: Option<&Remote>,
) -> Result<ExitCode, Failure> {
    if let Some(r) = remote {
        let l = open(store).map_err(|f| {
            f.hint("with --server, record signs with the local store's key: run `plumb init`, then have the server trust it (plumb key show > ci.pub; on the server: plumb key trust ci.pub)")
        })?;
        let st = Statement::new(
            subjects(&a.statement)?,
            &a.statement.predicate_type,
            read_predicate(&a.statement.predicate)?,
        );
        let env = serde_json::to_vec(&l.sign_statement(&st)?).expect("JSON");
        return append_remote(r, format, &a.labels, &[("statement".into(), env)]);
    }
    let mut l = open(store)?;
    let req = RecordRequest {
        subjects: subjects(&a.statement)?,
        predicate_type: a.statement.predicate_type.clone(),
        predicate: read_predicate(&a.statement.predicate)?,
        system: a.labels.system.clone(),
        run: a.labels.run.clone(),
        attachments: a.labels.attach.clone(),
    };
    let (index, receipt) = l.record(req, now)?;
    let text = receipt.to_text();
    if let Some(p) = &a.receipt {
        std::fs::write(p, &text).map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
    }
    emit(
        format,
        || format!("recorded entry {index} in {}\n\n{text}", l.config().origin),
        json!({"index": index, "origin": l.config().origin, "receipt": text}),
    )
}

pub fn sign(store: &Path, a: &StatementArgs) -> Result<ExitCode, Failure> {
    let l = open(store)?;
    let st = Statement::new(
        subjects(a)?,
        &a.predicate_type,
        read_predicate(&a.predicate)?,
    );
    let env = l.sign_statement(&st)?;
    println!(
        "{}",
        serde_json::to_string(&env).expect("envelope serialises")
    );
    Ok(ExitCode::SUCCESS)
}

fn annotations(l: &Ledger, labels: &Labels) -> Result<Annotations, Failure> {
    let blobs = labels
        .attach
        .iter()
        .map(|p| l.attach(p))
        .collect::<Result<Vec<BlobRef>, _>>()?;
    Ok(Annotations {
        system: labels.system.clone(),
        run: labels.run.clone(),
        blobs,
    })
}

pub fn append(
    store: &Path,
    format: Format,
    a: &AppendArgs,
    now: DateTime<Utc>,
    remote: Option<&Remote>,
) -> Result<ExitCode, Failure> {
    if let Some(r) = remote {
        let mut envelopes = Vec::new();
        for f in &a.files {
            if f.as_os_str() == "-" {
                let mut raw = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut raw)
                    .map_err(|e| Failure::usage(format!("standard input: {e}")))?;
                for (n, line) in raw.split(|b| *b == b'\n').enumerate() {
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        envelopes.push((format!("line {}", n + 1), line.to_vec()));
                    }
                }
            } else {
                let raw = std::fs::read(f)
                    .map_err(|e| Failure::usage(format!("{}: {e}", f.display())))?;
                envelopes.push((f.display().to_string(), raw));
            }
        }
        return append_remote(r, format, &a.labels, &envelopes);
    }
    let mut l = open(store)?;
    if a.files.iter().any(|f| f.as_os_str() == "-") {
        if a.files.len() > 1 {
            return Err(Failure::usage(
                "`-` (standard input) cannot be combined with files",
            ));
        }
        return append_stream(l, format, &a.labels, a.progress, now);
    }
    // Validate everything before writing anything: a bad file means nothing is appended.
    let ann = annotations(&l, &a.labels)?;
    let mut batch = Vec::new();
    let bar = Progress::new(
        "append",
        "envelopes checked",
        a.progress,
        format == Format::Human,
    );
    let total = a.files.len() as u64;
    for (n, f) in a.files.iter().enumerate() {
        bar.update(n as u64, total);
        let raw = std::fs::read(f).map_err(|e| Failure::usage(format!("{}: {e}", f.display())))?;
        let e = l.prepare(&raw, ann.clone(), now).map_err(|e| {
            let mut fl = Failure::from(e);
            fl.message = format!("{}: {}", f.display(), fl.message);
            fl
        })?;
        batch.push(e);
    }
    bar.update(total, total);
    let start = l.append(&batch)?;
    l.checkpoint(now)?;
    let receipts: Vec<String> = (0..batch.len() as u64)
        .map(|i| l.prove(start + i).map(|r| r.to_text()))
        .collect::<Result<_, _>>()?;
    let indexes: Vec<u64> = (start..start + batch.len() as u64).collect();
    emit(
        format,
        || {
            let mut s = String::new();
            for (f, i) in a.files.iter().zip(&indexes) {
                s.push_str(&format!("appended {} as entry {i}\n", f.display()));
            }
            if let Some(r) = receipts.last() {
                s.push_str(&format!(
                    "\nreceipt for entry {}:\n{r}",
                    indexes.last().expect("non-empty")
                ));
            }
            s
        },
        json!({"indexes": indexes, "receipts": receipts}),
    )
}

/// Sends envelopes to the server one by one; stops at the first refusal (those before it
/// stay appended, as the message says).
fn append_remote(
    r: &Remote,
    format: Format,
    labels: &Labels,
    envelopes: &[(String, Vec<u8>)],
) -> Result<ExitCode, Failure> {
    // Attachments go up first, so the entry can name them; a blob nobody references is harmless.
    let mut params = vec![
        ("system", labels.system.clone()),
        ("run", labels.run.clone()),
    ];
    for f in &labels.attach {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        params.push(("blob", Some(format!("{name}@{}", r.upload(f)?))));
    }
    let path = format!("/v1/entries{}", crate::remote::query(&params));
    let mut done = Vec::new();
    for (name, body) in envelopes {
        let v = r.post(&path, "application/json", body).map_err(|mut f| {
            f.message = format!("{name}: {}", f.message);
            if !done.is_empty() {
                f.hint = Some(format!("{} entries before it were appended", done.len()));
            }
            f
        })?;
        let index = v["index"]
            .as_u64()
            .ok_or_else(|| Failure::usage("the server's answer has no entry index"))?;
        done.push((name.clone(), index));
    }
    emit(
        format,
        || {
            let mut s = String::new();
            for (n, i) in &done {
                s.push_str(&format!("appended {n} as entry {i} on {}\n", r.base()));
            }
            s.push_str("its inclusion proof follows the server's next checkpoint: GET /v1/entries/N/proof\n");
            s
        },
        json!({"server": r.base(), "indexes": done.iter().map(|d| d.1).collect::<Vec<_>>()}),
    )
}

/// Appends JSON lines from standard input through the group committer, printing each index as
/// soon as its batch is durable. A bad line stops the stream; lines before it stay appended.
fn append_stream(
    l: Ledger,
    format: Format,
    labels: &Labels,
    progress: bool,
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    // Progress in bytes of standard input, when it is a file whose size is known (a redirect:
    // `plumb append - < envelopes.jsonl`); a pipe has no size, so nothing is shown for it.
    let stdin_size = std::fs::metadata("/dev/stdin")
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let bar = Progress::new(
        "append",
        "bytes read",
        progress && stdin_size.is_some(),
        format == Format::Human && stdin_size.is_some(),
    );
    let mut read = 0u64;
    let ann = annotations(&l, labels)?;
    let trusted = l.trusted_keys().to_vec();
    let max = l.config().max_envelope_bytes;
    let gc = GroupCommit::start(l, BatchOptions::default());
    let (ack_tx, ack_rx) = std::sync::mpsc::channel::<plumb_ledger::commit::Ticket>();
    let printer = std::thread::spawn(move || -> Result<u64, plumb_ledger::Error> {
        let mut out = std::io::stdout().lock();
        let mut n = 0;
        for t in ack_rx {
            let i = t.wait()?;
            n += 1;
            let line = if format == Format::Json {
                json!({"index": i}).to_string()
            } else {
                format!("appended entry {i}")
            };
            let _ = writeln!(out, "{line}").and_then(|_| out.flush());
        }
        Ok(n)
    });
    let mut failure = None;
    for (lineno, line) in std::io::stdin().lock().lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                failure = Some(Failure::usage(format!("standard input: {e}")));
                break;
            }
        };
        read += line.len() as u64 + 1;
        if let Some(total) = stdin_size {
            bar.update(read.min(total), total);
        }
        if line.trim().is_empty() {
            continue;
        }
        match plumb_ledger::entry::prepare(line.as_bytes(), ann.clone(), &trusted, max, now) {
            Ok(e) => {
                let _ = ack_tx.send(gc.submit(e));
            }
            Err(e) => {
                let mut f = Failure::from(e);
                f.message = format!("line {}: {}", lineno + 1, f.message);
                failure = Some(f.hint(
                    "entries before this line were appended; fix the line and resend the rest",
                ));
                break;
            }
        }
    }
    if let (None, Some(total)) = (&failure, stdin_size) {
        bar.update(total, total);
    }
    drop(ack_tx);
    let printed = printer.join().expect("printer thread");
    let (mut l, _) = gc.finish();
    let n = printed?;
    if n > 0 {
        l.checkpoint(now)?;
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(ExitCode::SUCCESS),
    }
}
