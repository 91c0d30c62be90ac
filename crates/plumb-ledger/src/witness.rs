//! Witnesses, as C2SP specifies them (tlog-witness, tlog-cosignature with Ed25519,
//! `cosignature/v1`): a witness keeps, per log it follows, the latest checkpoint it cosigned,
//! and cosigns a new checkpoint only when the log's key signed it and a consistency proof shows
//! it extends that one. A log that shows one history to one party and another to another (a
//! fork) cannot get both cosigned by the same witness, so clients that demand cosignatures from
//! witnesses they trust are safe from such split views.
//!
//! A cosignature is a note signature line `— <witness name> base64(key id || timestamp ||
//! Ed25519 signature)`: the key id is the first four bytes of SHA-256(name || "\n" || 0x04 ||
//! public key), the timestamp a big-endian u64 of POSIX seconds, and the signed message
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint's body.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::hash::{Hash, hex, sha256};
use crate::keys::{KeyPair, PublicKey, check_key_name};

/// The key type byte of Ed25519 cosignatures in key ids and verifier keys.
const COSIGNATURE_TYPE: u8 = 0x04;
/// The most consistency proof lines a request may carry (the protocol's limit).
const MAX_PROOF_LINES: usize = 63;
/// The most signature lines of a note looked at.
const MAX_SIGNATURE_LINES: usize = 100;
/// The largest request body accepted.
pub const MAX_REQUEST: usize = 64 * 1024;

/// A cosigner's 4-byte key id.
pub fn key_id(pk: &PublicKey) -> [u8; 4] {
    let mut data = Vec::with_capacity(pk.name.len() + 34);
    data.extend_from_slice(pk.name.as_bytes());
    data.push(b'\n');
    data.push(COSIGNATURE_TYPE);
    data.extend_from_slice(pk.key.as_bytes());
    let h = sha256(&data);
    [h[0], h[1], h[2], h[3]]
}

/// A witness's verifier key: `<name>+<hex key id>+<base64(0x04 || public key)>`.
pub fn vkey(pk: &PublicKey) -> String {
    let mut raw = vec![COSIGNATURE_TYPE];
    raw.extend_from_slice(pk.key.as_bytes());
    format!("{}+{}+{}", pk.name, hex(&key_id(pk)), B64.encode(raw))
}

/// Parses a witness's verifier key, checking its key id.
pub fn parse_vkey(text: &str) -> Result<PublicKey> {
    let text = text.trim();
    let bad = |why: &str| {
        Error::Malformed(format!(
            "witness key {text:?} is not a cosigner verifier key ({why}); expected <name>+<keyid>+<base64(0x04 || key)>"
        ))
    };
    let parts: Vec<&str> = text.splitn(3, '+').collect();
    let [name, id, key] = parts[..] else {
        return Err(bad("wrong number of '+'-separated fields"));
    };
    check_key_name(name)?;
    let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
    let (Some(&COSIGNATURE_TYPE), Some(bytes)) = (raw.first(), raw.get(1..)) else {
        return Err(bad("not an Ed25519 cosigner key (type 0x04)"));
    };
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad("not 32 key bytes"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| bad("not a valid Ed25519 point"))?;
    let pk = PublicKey {
        name: name.to_string(),
        key,
    };
    if hex(&key_id(&pk)) != id.to_ascii_lowercase() {
        return Err(bad("key id does not match the name and key"));
    }
    Ok(pk)
}

fn message(time: u64, body: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{body}").into_bytes()
}

/// The cosignature line of `key` on a checkpoint `body` at `time` (POSIX seconds).
pub fn cosign(key: &KeyPair, body: &str, time: u64) -> String {
    let mut blob = key_id(&key.public()).to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&key.sign(&message(time, body)));
    format!("\u{2014} {} {}\n", key.name(), B64.encode(blob))
}

/// The witnesses among `trusted` whose valid cosignature `note` (a signed checkpoint with
/// any number of signature lines) carries, each once, with its time. Lines of unknown keys
/// and lines that do not verify count for nothing.
pub fn cosigned_by(note: &str, trusted: &[PublicKey]) -> Vec<(String, u64)> {
    // As `note::open` reads notes: bounded, signatures after the last blank line.
    if note.len() > MAX_REQUEST {
        return Vec::new();
    }
    let Some(split) = note.rfind("\n\n") else {
        return Vec::new();
    };
    let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
    let mut out: Vec<(String, u64)> = Vec::new();
    for line in sigs.split('\n').take(MAX_SIGNATURE_LINES) {
        let Some((name, b64)) = line
            .strip_prefix("\u{2014} ")
            .and_then(|r| r.split_once(' '))
        else {
            continue;
        };
        let Ok(blob) = B64.decode(b64) else { continue };
        let (Some(id), Some(time), Some(sig)) = (blob.get(..4), blob.get(4..12), blob.get(12..))
        else {
            continue;
        };
        let Ok(time) = <[u8; 8]>::try_from(time).map(u64::from_be_bytes) else {
            continue;
        };
        if out.iter().any(|(n, _)| n == name) {
            continue;
        }
        for w in trusted.iter().filter(|w| w.name == name && key_id(w) == id) {
            if w.verify(&message(time, body), sig) && !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), time));
            }
        }
    }
    out
}

/// What a witness remembers of one log: the latest checkpoint it cosigned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    /// Tree size.
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
}

/// The answer to `add-checkpoint`: the HTTP status, its content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// 200 with cosignature lines; 400, 403, 404, 409 (with the size it knows, as
    /// `text/x.tlog.size`), 422 as the protocol says.
    pub status: u16,
    /// The body's content type.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Answer {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
        }
    }
}

/// A witness: its key, the logs it follows (origin → the keys that sign their checkpoints),
/// and its memory, persisted in a file before any cosignature leaves it.
pub struct Witness {
    key: KeyPair,
    logs: BTreeMap<String, Vec<PublicKey>>,
    state_path: PathBuf,
    state: Mutex<BTreeMap<String, Seen>>,
    /// Held for the witness's life: a second process on the same memory would each cosign a
    /// different fork and roll back the other's record.
    _lock: std::fs::File,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Witness")
            .field("name", &self.key.name())
            .field("logs", &self.logs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// A witness with `key` following the logs whose checkpoint keys are `logs` (each key's
    /// name is its log's origin), remembering in `state_path`. A missing memory is an error
    /// unless `create` says to start one: a mistyped path must not turn a witness into one
    /// that trusts whatever it sees first. Refused while another process holds the memory.
    pub fn open(
        key: KeyPair,
        logs: Vec<PublicKey>,
        state_path: &Path,
        create: bool,
    ) -> Result<Self> {
        let lock_path = sibling(state_path, "lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::Io {
                path: lock_path.clone(),
                source: e,
            })?;
        if lock.try_lock().is_err() {
            return Err(Error::State(format!(
                "another witness process holds {}",
                state_path.display()
            )));
        }
        let state = match std::fs::read(state_path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                Error::Malformed(format!("witness state {}: {e}", state_path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => BTreeMap::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::State(format!(
                    "no witness memory at {}: give the right path, or start a new witness with --init",
                    state_path.display()
                )));
            }
            Err(e) => {
                return Err(Error::Io {
                    path: state_path.to_path_buf(),
                    source: e,
                });
            }
        };
        let mut by_origin: BTreeMap<String, Vec<PublicKey>> = BTreeMap::new();
        for k in logs {
            by_origin.entry(k.name.clone()).or_default().push(k);
        }
        Ok(Witness {
            key,
            logs: by_origin,
            state_path: state_path.to_path_buf(),
            state: Mutex::new(state),
            _lock: lock,
        })
    }

    /// The witness's public key.
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// What it remembers of a log.
    pub fn seen(&self, origin: &str) -> Option<Seen> {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(origin)
            .cloned()
    }

    /// `POST add-checkpoint`: checks, remembers and cosigns, or says why not. The check of
    /// the old size and the update of the memory happen under one lock, so two requests can
    /// never roll the memory back.
    pub fn add_checkpoint(&self, request: &[u8], now: u64) -> Answer {
        let req = match parse_request(request) {
            Ok(r) => r,
            Err(e) => return Answer::text(400, format!("{e}\n")),
        };
        let origin = req.note.lines().next().unwrap_or("").to_string();
        let Some(keys) = self.logs.get(&origin) else {
            return Answer::text(404, format!("this witness does not follow {origin:?}\n"));
        };
        let cp = match Checkpoint::open(&req.note, keys) {
            Ok((cp, _)) => cp,
            Err(e) => return Answer::text(403, format!("{e}\n")),
        };
        if req.old > cp.size {
            return Answer::text(
                400,
                format!(
                    "old size {} is above the checkpoint's {}\n",
                    req.old, cp.size
                ),
            );
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let known = state.get(&origin).cloned();
        let known_size = known.as_ref().map_or(0, |s| s.size);
        if req.old != known_size {
            return Answer {
                status: 409,
                content_type: "text/x.tlog.size",
                body: format!("{known_size}\n"),
            };
        }
        let root = B64.encode(cp.root);
        if cp.size == 0 && cp.root != crate::hash::sha256(b"") {
            return Answer::text(422, "an empty tree has the root of no leaves\n");
        }
        match &known {
            Some(k) if k.size == cp.size && k.root != root => {
                return Answer::text(409, "same size, another root: the log forked\n");
            }
            Some(k) => {
                let old_root = match B64
                    .decode(&k.root)
                    .ok()
                    .and_then(|r| Hash::try_from(r).ok())
                {
                    Some(r) => r,
                    None => return Answer::text(500, "the witness's memory is damaged\n"),
                };
                if crate::merkle::verify_consistency(
                    k.size, cp.size, &old_root, &cp.root, &req.proof,
                )
                .is_err()
                {
                    return Answer::text(
                        422,
                        "the consistency proof does not verify: the log forked or the proof is wrong\n",
                    );
                }
            }
            None if !req.proof.is_empty() => {
                return Answer::text(422, "no proof is due from size 0\n");
            }
            None => {}
        }
        let unchanged = known
            .as_ref()
            .is_some_and(|k| k.size == cp.size && k.root == root);
        if !unchanged {
            state.insert(
                origin,
                Seen {
                    size: cp.size,
                    root,
                },
            );
            if let Err(e) = persist(&self.state_path, &state) {
                return Answer::text(500, format!("the witness could not remember: {e}\n"));
            }
        }
        Answer {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: cosign(&self.key, &cp.body(), now),
        }
    }
}

/// `path` with `.suffix` added to its file name (`w.json` → `w.json.tmp`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

/// Writes the memory whole or not at all: a new file beside it, synced, renamed over it, and
/// the directory synced, so a cosignature never leaves before its record is durable.
fn persist(path: &Path, state: &BTreeMap<String, Seen>) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = sibling(path, "tmp");
    let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)?.sync_all()
}

struct Request {
    old: u64,
    proof: Vec<Hash>,
    note: String,
}

fn parse_request(body: &[u8]) -> Result<Request> {
    let bad = |why: &str| Error::Malformed(format!("add-checkpoint: {why}"));
    if body.len() > MAX_REQUEST {
        return Err(bad("request too large"));
    }
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8"))?;
    let (head, note) = text
        .split_once("\n\n")
        .ok_or_else(|| bad("no empty line before the checkpoint"))?;
    let mut lines = head.split('\n');
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .filter(|n| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n.len() == 1 || !n.starts_with('0'))
        })
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| bad("the first line must be `old <size>`"))?;
    let mut proof = Vec::new();
    for l in lines {
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let h = B64
            .decode(l)
            .ok()
            .and_then(|h| Hash::try_from(h).ok())
            .ok_or_else(|| bad("a proof line is not a base64 hash"))?;
        proof.push(h);
    }
    if old == 0 && !proof.is_empty() {
        return Err(bad("a proof from size 0 must be empty"));
    }
    Ok(Request {
        old,
        proof,
        note: note.to_string(),
    })
}

/// The `add-checkpoint` request body a log sends: the old size, the proof, the checkpoint.
pub fn request(old: u64, proof: &[Hash], note: &str) -> String {
    let mut s = format!("old {old}\n");
    for h in proof {
        s.push_str(&B64.encode(h));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(note);
    s
}
