//! Commands that read and check evidence: log, show, prove, checkpoint, verify, export,
//! verify-pack.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use plumb_ledger::Ledger;
use plumb_ledger::checkpoint::Checkpoint;
use plumb_ledger::cosigners::{Cosigners, Outcome, WitnessEndpoint, WitnessPolicy};
use plumb_ledger::entry::{LogEntry, parse_time};
use plumb_ledger::hash::hex;
use plumb_ledger::keys::PublicKey;
use plumb_ledger::store::Query;
use plumb_ledger::verify::VerifyOptions;

use crate::cli::{Filter, Format, QueryArgs, WitnessDemand};
use crate::evidence::open;
use crate::output::{Failure, emit, mark};
use crate::progress::Progress;

fn query(f: &Filter) -> Result<Query, Failure> {
    let time = |s: &Option<String>, flag: &str| {
        s.as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| Failure::usage(format!("{flag}: {e}")))
    };
    Ok(Query {
        subject: f.subject.clone(),
        predicate_type: f.predicate_type.clone(),
        system: f.system.clone(),
        run: f.run.clone(),
        since: time(&f.since, "--since")?,
        until: time(&f.until, "--until")?,
        ..Default::default()
    })
}

/// An entry as JSON, with its parsed statement.
fn entry_json(l: &mut Ledger, index: u64) -> Result<(serde_json::Value, LogEntry), Failure> {
    let stored = l.entry(index)?;
    let e = LogEntry::parse(&stored.bytes)?;
    let st = e.statement()?;
    let signers: Vec<_> = e
        .envelope
        .signatures
        .iter()
        .map(|s| {
            let known = l
                .trusted_keys()
                .iter()
                .find(|k| k.dsse_key_id() == s.keyid)
                .map(|k| k.name.clone());
            json!({"keyid": s.keyid, "key_name": known})
        })
        .collect();
    let v = json!({
        "index": index,
        "time": e.time,
        "system": e.system,
        "run": e.run,
        "predicate_type": st.predicate_type,
        "subjects": st.subject,
        "predicate": st.predicate,
        "signatures": signers,
        "blobs": e.blobs,
        "leaf_hash": hex(&stored.leaf_hash),
    });
    Ok((v, e))
}

pub fn log(store: &Path, format: Format, a: &QueryArgs) -> Result<ExitCode, Failure> {
    let mut l = open(store)?;
    let mut q = query(&a.filter)?;
    q.limit = Some(a.limit);
    q.after = a.after;
    q.newest_first = a.newest_first;
    let indexes = l.query(&q)?;
    let mut rows = Vec::new();
    for i in &indexes {
        rows.push(entry_json(&mut l, *i)?.0);
    }
    emit(
        format,
        || {
            if rows.is_empty() {
                return "no entries match\n".into();
            }
            let mut s = format!(
                "{:>7}  {:<24}  {:<14}  {:<50}  subjects\n",
                "index", "time", "system", "predicate type"
            );
            for r in &rows {
                let subjects: Vec<String> = r["subjects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|s| {
                        s["digest"].as_object().into_iter().flatten().map(|(a, v)| {
                            // Characters, not bytes: a stored digest is the store's text.
                            let short: String = v.as_str().unwrap_or("").chars().take(12).collect();
                            format!("{a}:{short}")
                        })
                    })
                    .collect();
                s.push_str(&format!(
                    "{:>7}  {:<24}  {:<14}  {:<50}  {}\n",
                    r["index"].as_u64().unwrap_or_default(),
                    r["time"].as_str().unwrap_or(""),
                    r["system"].as_str().unwrap_or("-"),
                    r["predicate_type"].as_str().unwrap_or(""),
                    subjects.join(" ")
                ));
            }
            if rows.len() as u64 == a.limit {
                s.push_str(&format!(
                    "(more may follow: --after {})\n",
                    indexes.last().expect("non-empty")
                ));
            }
            s
        },
        json!(rows),
    )
}

pub fn show(store: &Path, format: Format, index: u64) -> Result<ExitCode, Failure> {
    let mut l = open(store)?;
    let (v, _) = entry_json(&mut l, index)?;
    emit(
        format,
        || {
            let mut s = format!(
                "entry {index}\n  time:           {}\n  system:         {}\n  run:            {}\n  predicate type: {}\n  leaf hash:      {}\n",
                v["time"].as_str().unwrap_or(""),
                v["system"].as_str().unwrap_or("-"),
                v["run"].as_str().unwrap_or("-"),
                v["predicate_type"].as_str().unwrap_or(""),
                v["leaf_hash"].as_str().unwrap_or("")
            );
            s.push_str("  subjects:\n");
            for sub in v["subjects"].as_array().into_iter().flatten() {
                for (alg, d) in sub["digest"].as_object().into_iter().flatten() {
                    s.push_str(&format!(
                        "    {} {alg}:{}\n",
                        sub["name"].as_str().unwrap_or(""),
                        d.as_str().unwrap_or("")
                    ));
                }
            }
            s.push_str("  signatures:\n");
            for sig in v["signatures"].as_array().into_iter().flatten() {
                s.push_str(&format!(
                    "    {} ({})\n",
                    sig["keyid"].as_str().unwrap_or(""),
                    sig["key_name"].as_str().unwrap_or("unknown key")
                ));
            }
            if let Some(blobs) = v["blobs"].as_array().filter(|b| !b.is_empty()) {
                s.push_str("  blobs:\n");
                for b in blobs {
                    s.push_str(&format!(
                        "    {} {} ({} bytes)\n",
                        b["name"].as_str().unwrap_or(""),
                        b["digest"].as_str().unwrap_or(""),
                        b["size"]
                    ));
                }
            }
            s.push_str(&format!(
                "  predicate:\n{}\n",
                serde_json::to_string_pretty(&v["predicate"]).unwrap_or_default()
            ));
            s
        },
        v.clone(),
    )
}

/// The cosignatures a verifier demands (`--witness-key`, `--min-witnesses`); keys are given
/// as text or as files holding it.
fn witness_policy(d: &WitnessDemand) -> Result<WitnessPolicy, Failure> {
    let keys: Vec<String> = d
        .witness_key
        .iter()
        .map(|k| std::fs::read_to_string(k).unwrap_or_else(|_| k.clone()))
        .collect();
    WitnessPolicy::new(&keys, d.min_witnesses).map_err(|e| {
        Failure::usage(format!("--witness-key: {e}")).hint(
            "give each witness's key as `plumb witness keygen` prints it, or a file holding it",
        )
    })
}

pub fn prove(
    store: &Path,
    format: Format,
    index: u64,
    witnesses: &WitnessDemand,
) -> Result<ExitCode, Failure> {
    let policy = witness_policy(witnesses)?;
    let mut l = open(store)?;
    let r = l.prove(index).map_err(|e| {
        let state = matches!(e, plumb_ledger::Error::State(_));
        let f = Failure::from(e);
        if state {
            f.hint("run `plumb checkpoint` to sign a checkpoint that covers it")
        } else {
            f
        }
    })?;
    let (cp, _) = Checkpoint::open(&r.checkpoint, &[l.public_key()])?;
    let cosigned = policy.check(&r.checkpoint).map_err(|e| {
        Failure::check(format!("entry {index}: {e}"))
            .hint("the witnesses may not have been asked yet: `plumb checkpoint --witness VKEY@URL`, or the server's --witness")
    })?;
    emit(
        format,
        || r.to_text(),
        json!({
            "index": index,
            "tree_size": cp.size,
            "root_hash": hex(&cp.root),
            "proof": r.proof.iter().map(|h| hex(h)).collect::<Vec<_>>(),
            "checkpoint": r.checkpoint,
            "receipt": r.to_text(),
            "cosigned_by": cosigned.iter().map(|(n, t)| json!({"witness": n, "time": t})).collect::<Vec<_>>(),
        }),
    )
}

pub fn checkpoint(
    store: &Path,
    format: Format,
    list: bool,
    witnesses: &[String],
    now: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    let endpoints = witnesses
        .iter()
        .map(|w| WitnessEndpoint::parse(w))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(format!("--witness: {e}")))?;
    let mut l = open(store)?;
    if !endpoints.is_empty() {
        l.set_witnesses(
            Cosigners::new(
                endpoints,
                plumb_server::witness::http_transport(plumb_server::witness::ASK_TIMEOUT),
            )
            .map_err(|e| Failure::usage(format!("--witness: {e}")))?,
        );
    }
    if list {
        let cps = l.checkpoints()?;
        return emit(
            format,
            || {
                if cps.is_empty() {
                    return "no checkpoints yet\n".into();
                }
                cps.iter()
                    .map(|c| format!("{:>9}  {}\n", c.size, c.time))
                    .collect()
            },
            json!(
                cps.iter()
                    .map(|c| json!({"size": c.size, "time": c.time, "note": c.note}))
                    .collect::<Vec<_>>()
            ),
        );
    }
    let (cp, created) = l.checkpoint(now)?;
    let report = l.take_witness_report();
    let failed: Vec<String> = report
        .iter()
        .filter_map(|(n, o)| match o {
            Outcome::Failed(why) => Some(format!("{n}: {why}")),
            _ => None,
        })
        .collect();
    let code = emit(
        format,
        || {
            let mut s = format!(
                "{}{}",
                if created {
                    ""
                } else {
                    "(no new entries; latest checkpoint)\n"
                },
                cp.note
            );
            for (n, o) in &report {
                if *o == Outcome::Cosigned {
                    s.push_str(&format!("cosigned by {n}\n"));
                }
            }
            s
        },
        json!({"ok": failed.is_empty(), "size": cp.size, "time": cp.time, "note": cp.note, "created": created,
               "witnesses": report.iter().map(|(n, o)| match o {
                   Outcome::Failed(why) => json!({"witness": n, "cosigned": false, "error": why}),
                   _ => json!({"witness": n, "cosigned": true}),
               }).collect::<Vec<_>>()}),
    )?;
    if failed.is_empty() {
        return Ok(code);
    }
    if format != Format::Json {
        eprintln!(
            "error: the checkpoint is signed, but not every witness cosigned it: {}",
            failed.join("; ")
        );
    }
    Ok(ExitCode::from(1))
}

/// What `plumb verify` checks.
pub struct VerifyWhat<'a> {
    /// Envelope signatures.
    pub signatures: bool,
    /// Blobs re-hashed.
    pub blobs: bool,
    /// Progress shown off a terminal too.
    pub progress: bool,
    /// Witnesses whose stored cosignatures are checked.
    pub witnesses: &'a WitnessDemand,
}

/// The stored cosignatures by the trusted witnesses that do not verify, and the latest
/// checkpoint's standing against the policy (who cosigned it, or why it falls short).
fn check_cosignatures(
    l: &mut plumb_ledger::Ledger,
    policy: &WitnessPolicy,
) -> Result<(Vec<String>, serde_json::Value), Failure> {
    let mut problems = Vec::new();
    let names: Vec<&str> = policy.keys.iter().map(|k| k.name.as_str()).collect();
    let checkpoints = l.checkpoints().map_err(Failure::from)?;
    for cp in &checkpoints {
        for c in l.cosignatures(cp.size).map_err(Failure::from)? {
            if !names.contains(&c.witness.as_str()) {
                continue;
            }
            let note = format!("{}{}", cp.note, c.line);
            let ok = plumb_ledger::witness::cosigned_by(&note, &policy.keys)
                .iter()
                .any(|(w, _)| *w == c.witness);
            if !ok {
                problems.push(format!(
                    "the stored cosignature of the checkpoint at size {} by {} does not verify with its key",
                    cp.size, c.witness
                ));
            }
        }
    }
    let latest = l.latest_checkpoint().map_err(Failure::from)?;
    let standing = match &latest {
        None => {
            problems.push("the log has no checkpoint for the witnesses to have cosigned".into());
            json!({"size": null, "cosigned_by": []})
        }
        Some((stored, _)) => match policy.check(&stored.note) {
            Ok(got) => {
                json!({"size": stored.size, "cosigned_by": got.iter().map(|(w, _)| w).collect::<Vec<_>>(), "required": policy.min})
            }
            Err(e) => {
                problems.push(format!("latest checkpoint (size {}): {e}", stored.size));
                json!({"size": stored.size, "cosigned_by": plumb_ledger::witness::cosigned_by(&stored.note, &policy.keys).iter().map(|(w, _)| w.clone()).collect::<Vec<_>>(), "required": policy.min})
            }
        },
    };
    Ok((problems, standing))
}

pub fn verify(store: &Path, format: Format, what: VerifyWhat<'_>) -> Result<ExitCode, Failure> {
    let VerifyWhat {
        signatures,
        blobs,
        progress,
        witnesses,
    } = what;
    let policy = if witnesses.witness_key.is_empty() {
        None
    } else {
        Some(witness_policy(witnesses)?)
    };
    let mut l = open(store)?;
    let total = l.size().map_err(Failure::from)?;
    let bar = Progress::new(
        "verify",
        "entries",
        progress,
        matches!(format, Format::Human),
    );
    let rep = l.verify_with_progress(VerifyOptions { signatures, blobs }, &mut |n| {
        bar.update(n, total)
    })?;
    let (witness_problems, witness_standing) = match &policy {
        Some(p) => {
            let (problems, standing) = check_cosignatures(&mut l, p)?;
            (problems, Some(standing))
        }
        None => (Vec::new(), None),
    };
    let ok = rep.ok() && witness_problems.is_empty();
    // Records that are intact but that readers pass over (an incident event not signed by the
    // store key, undecodable, or an incident that does not fold): not an integrity failure,
    // but something to look at.
    let skipped = plumb_incident::store::scan(&mut l)
        .map(|(_, s)| s)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let code = emit(
        format,
        || {
            let mut s = format!(
                "{} entries, {} checkpoints, {} signatures, {} blobs, {} tree nodes checked in {:.2}s (hashing {:.2}s, parsing and signatures {:.2}s)\n",
                rep.entries,
                rep.checkpoints,
                rep.signatures_checked,
                rep.blobs_checked,
                rep.nodes_checked,
                rep.total.as_secs_f64(),
                rep.hashing.as_secs_f64(),
                rep.signatures.as_secs_f64()
            );
            for k in skipped.iter().take(20) {
                s.push_str(&format!(
                    "note: entry {} is passed over by incident readers: {}\n",
                    k.entry, k.reason
                ));
            }
            if skipped.len() > 20 {
                s.push_str(&format!(
                    "note: ... and {} more records passed over (use --format json)\n",
                    skipped.len() - 20
                ));
            }
            if let Some(w) = &witness_standing {
                s.push_str(&format!(
                    "witnesses: the latest checkpoint (size {}) is cosigned by {} of them ({} required)\n",
                    w["size"],
                    w["cosigned_by"].as_array().map_or(0, Vec::len),
                    w["required"]
                ));
            }
            for p in &witness_problems {
                s.push_str(&format!("witness problem: {p}\n"));
            }
            if ok {
                s.push_str(&format!("verify: {}\n", mark(true)));
            } else if rep.ok() {
                s.push_str(&format!("verify: {} (cosignatures)\n", mark(false)));
            } else {
                let first = rep.first_bad_entry().expect("problems exist");
                s.push_str(&format!(
                    "verify: {} ({} problems)\n",
                    mark(false),
                    rep.problems.len()
                ));
                if let Some(i) = first.index {
                    s.push_str(&format!("first bad entry: {i}\n"));
                }
                for p in rep.problems.iter().take(20) {
                    s.push_str(&format!("  - {}\n", p.message));
                }
                if rep.problems.len() > 20 {
                    s.push_str(&format!(
                        "  ... and {} more (use --format json)\n",
                        rep.problems.len() - 20
                    ));
                }
            }
            s
        },
        json!({"ok": ok, "first_bad_entry": rep.first_bad_entry().and_then(|p| p.index), "report": rep, "skipped_records": skipped, "witnesses": witness_standing.clone().map(|mut w| {
            w["problems"] = json!(witness_problems);
            w
        })}),
    )?;
    Ok(if ok { code } else { ExitCode::from(1) })
}

pub fn export(
    store: &Path,
    format: Format,
    out: &Path,
    f: &Filter,
    progress: bool,
    now: DateTime<Utc>,
    remote: Option<&crate::remote::Remote>,
) -> Result<ExitCode, Failure> {
    if let Some(r) = remote {
        let path = format!(
            "/v1/export{}",
            crate::remote::query(&[
                ("subject", f.subject.clone()),
                ("system", f.system.clone()),
                ("predicate_type", f.predicate_type.clone()),
                ("run", f.run.clone()),
                ("since", f.since.clone()),
                ("until", f.until.clone()),
            ])
        );
        let bytes = r.download(&path, out)?;
        return emit(
            format,
            || {
                format!(
                    "wrote {} ({bytes} bytes) from the server\n\
                     verify it anywhere with: plumb verify-pack {} --trusted-key signing.pub\n\
                     (signing.pub is the server store's public key, from its operator)\n",
                    out.display(),
                    out.display()
                )
            },
            json!({"pack": out, "bytes": bytes}),
        );
    }
    let mut l = open(store)?;
    let bar = Progress::new("export", "steps", progress, matches!(format, Format::Human));
    let sum = l.export_with_progress(
        &query(f)?,
        out,
        now,
        plumb_ledger::pack::MAX_PACK_BYTES,
        &mut |done, total| bar.update(done, total),
    )?;
    emit(
        format,
        || {
            format!(
                "wrote {} ({} bytes): {} entries, {} blobs, proven to the checkpoint at {} entries\n\
                 verify it anywhere with: plumb verify-pack {} --trusted-key signing.pub\n\
                 (signing.pub is this store's public key: plumb key show > signing.pub)\n",
                out.display(),
                sum.bytes,
                sum.entries,
                sum.blobs,
                sum.checkpoint_size,
                out.display()
            )
        },
        json!({"pack": out, "summary": sum}),
    )
}

pub fn verify_pack(
    format: Format,
    pack: &Path,
    keys: &[PathBuf],
    witnesses: &WitnessDemand,
    progress: bool,
) -> Result<ExitCode, Failure> {
    let policy = witness_policy(witnesses)?;
    let mut trusted = Vec::new();
    for k in keys {
        let text = std::fs::read_to_string(k)
            .map_err(|e| Failure::usage(format!("{}: {e}", k.display())))?;
        trusted.push(
            PublicKey::parse(&text).map_err(|e| Failure::usage(format!("{}: {e}", k.display())))?,
        );
    }
    let meta =
        std::fs::metadata(pack).map_err(|e| Failure::usage(format!("{}: {e}", pack.display())))?;
    if meta.len() > plumb_ledger::pack::MAX_PACK_BYTES {
        return Err(Failure::usage(format!(
            "{} is larger than any pack plumb writes",
            pack.display()
        )));
    }
    // Read from the file as the checks need it, never whole into memory.
    let file = std::io::BufReader::new(
        std::fs::File::open(pack)
            .map_err(|e| Failure::usage(format!("{}: {e}", pack.display())))?,
    );
    let bar = Progress::new(
        "verify-pack",
        "entries",
        progress,
        matches!(format, Format::Human),
    );
    let verified = plumb_ledger::pack::verify_pack_with_progress(
        file,
        &trusted,
        &policy,
        &mut |done, total| bar.update(done, total),
    );
    drop(bar);
    match verified {
        Ok(rep) => emit(
            format,
            || {
                let mut s = format!(
                    "pack {}: {}\nlog {} at tree size {} (root {})\ncreated {}\n{} entries proven, {} blobs intact:\n",
                    pack.display(),
                    mark(true),
                    rep.origin,
                    rep.checkpoint_size,
                    rep.root_hash,
                    rep.created,
                    rep.entries.len(),
                    rep.blobs
                );
                if !rep.cosigned_by.is_empty() {
                    let names: Vec<&str> =
                        rep.cosigned_by.iter().map(|c| c.witness.as_str()).collect();
                    s.push_str(&format!("checkpoint cosigned by {}\n", names.join(", ")));
                }
                for e in &rep.entries {
                    s.push_str(&format!(
                        "  {:>6}  {}  {:<14} {}  signed by {}\n",
                        e.index,
                        e.time,
                        e.system.as_deref().unwrap_or("-"),
                        e.predicate_type,
                        e.signers.join(", ")
                    ));
                }
                s
            },
            json!({"ok": true, "report": rep}),
        ),
        Err(e) => {
            // One document on stdout under --format json: the verdict, with its reason.
            if format == Format::Json {
                println!("{}", json!({"ok": false, "reason": e.to_string()}));
                return Ok(ExitCode::from(1));
            }
            Err(Failure::check(format!(
                "pack {} does not verify: {}",
                pack.display(),
                e.to_string().trim_start_matches("integrity: ")
            )))
        }
    }
}
