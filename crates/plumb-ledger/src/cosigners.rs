//! The log's side of witnessing: asking configured witnesses to cosign each new checkpoint
//! (C2SP tlog-witness `add-checkpoint`), keeping the cosignatures they return, and, for
//! verifiers, demanding a number of cosignatures from witnesses they trust.
//!
//! A witness that is down or refuses never stops the log: the checkpoint is signed and kept,
//! the problem is reported, and the witness is asked again for a later checkpoint. What a
//! witness refuses to cosign (a fork) stays without its cosignature, and verifiers that demand
//! it refuse the checkpoint.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result, first_line};
use crate::keys::PublicKey;
use crate::witness::{cosigned_by, parse_vkey, request, vkey};

/// How long a witness that failed is left alone before it is asked again.
const RETRY_AFTER_SECONDS: i64 = 30;

/// A witness the log asks for cosignatures: its verifier key and its URL (the
/// `add-checkpoint` endpoint is the URL with `/add-checkpoint` appended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// The witness's cosigning key.
    pub key: PublicKey,
    /// Its base URL.
    pub url: String,
}

impl WitnessEndpoint {
    /// Parses `VKEY@URL`: the witness's verifier key (as `plumb witness keygen` prints it),
    /// `@`, and its base URL (`http://` or `https://`).
    pub fn parse(text: &str) -> Result<Self> {
        let (key, url) = text.trim().split_once('@').ok_or_else(|| {
            Error::Malformed(format!(
                "witness {text:?}: expected VKEY@URL (the witness's verifier key, '@', its URL)"
            ))
        })?;
        let key = parse_vkey(key)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::Malformed(format!(
                "witness URL {url:?} must start with http:// or https://"
            )));
        }
        Ok(WitnessEndpoint {
            key,
            url: url.trim_end_matches('/').to_string(),
        })
    }

    /// The URL requests are posted to.
    pub fn add_checkpoint_url(&self) -> String {
        format!("{}/add-checkpoint", self.url)
    }
}

impl std::fmt::Display for WitnessEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", vkey(&self.key), self.url)
    }
}

/// What a witness answered: the HTTP status and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response body (bounded by the transport).
    pub body: String,
}

/// Posts an `add-checkpoint` body to a URL and returns the witness's reply, or why it could
/// not be reached. The ledger does no networking itself; the server and the CLI give it this.
pub type Transport = Box<dyn FnMut(&str, &str) -> std::result::Result<Reply, String> + Send>;

/// What happened when one witness was asked about one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It cosigned; the cosignature was verified and stored.
    Cosigned,
    /// It was not asked (it already cosigned this checkpoint, or it is being left alone after
    /// a failure).
    Skipped,
    /// It refused or failed, with the reason.
    Failed(String),
}

/// The witnesses a log asks, how to reach them, and what it learnt of each.
pub struct Cosigners {
    endpoints: Vec<WitnessEndpoint>,
    transport: Transport,
    /// Per witness: the size it said it last cosigned, learnt from a 409.
    known: BTreeMap<String, u64>,
    /// Per witness: not asked again before this time.
    quiet_until: BTreeMap<String, DateTime<Utc>>,
}

impl std::fmt::Debug for Cosigners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cosigners")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Cosigners {
    /// Witnesses to ask, reached through `transport`. Two endpoints with the same witness
    /// name are refused: cosignatures are kept per name.
    pub fn new(endpoints: Vec<WitnessEndpoint>, transport: Transport) -> Result<Self> {
        for (i, e) in endpoints.iter().enumerate() {
            if endpoints[..i].iter().any(|o| o.key.name == e.key.name) {
                return Err(Error::Malformed(format!(
                    "witness {:?} is configured twice",
                    e.key.name
                )));
            }
        }
        Ok(Cosigners {
            endpoints,
            transport,
            known: BTreeMap::new(),
            quiet_until: BTreeMap::new(),
        })
    }

    /// The configured witnesses.
    pub fn endpoints(&self) -> &[WitnessEndpoint] {
        &self.endpoints
    }

    /// Asks each witness that has not yet cosigned the log's latest checkpoint, through `log`,
    /// and returns what those that were asked answered (the others are left out).
    ///
    /// `log` is used for short reads and writes between the requests, never across one: a
    /// server gives an implementation that takes its store lock per call, so a witness that is
    /// slow to answer holds up no reader.
    pub fn cosign_latest(
        &mut self,
        now: DateTime<Utc>,
        log: &mut dyn CosignLog,
    ) -> Result<Vec<(String, Outcome)>> {
        let Some((size, note)) = log.latest()? else {
            return Ok(Vec::new());
        };
        Ok(self
            .collect(size, &note, now, log)
            .into_iter()
            .filter(|(_, o)| *o != Outcome::Skipped)
            .collect())
    }

    /// Asks each witness that has not cosigned the checkpoint `note` (of `size` entries, signed
    /// by the log only) yet, and hands each verified cosignature to `log` to keep.
    fn collect(
        &mut self,
        size: u64,
        note: &str,
        now: DateTime<Utc>,
        log: &mut dyn CosignLog,
    ) -> Vec<(String, Outcome)> {
        let mut out = Vec::new();
        for i in 0..self.endpoints.len() {
            let e = self.endpoints[i].clone();
            let name = e.key.name.clone();
            let outcome = match self.ask(&e, size, note, now, log) {
                Ok(o) => o,
                Err(why) => {
                    self.quiet_until
                        .insert(name.clone(), now + Duration::seconds(RETRY_AFTER_SECONDS));
                    Outcome::Failed(why)
                }
            };
            if outcome == Outcome::Cosigned {
                self.quiet_until.remove(&name);
            }
            out.push((name, outcome));
        }
        out
    }

    fn ask(
        &mut self,
        e: &WitnessEndpoint,
        size: u64,
        note: &str,
        now: DateTime<Utc>,
        log: &mut dyn CosignLog,
    ) -> std::result::Result<Outcome, String> {
        let name = &e.key.name;
        if log.has(size, name).map_err(|e| e.to_string())?
            || self.quiet_until.get(name).is_some_and(|t| now < *t)
        {
            return Ok(Outcome::Skipped);
        }
        let (mut size, mut note) = (size, note.to_string());
        let mut old = match self.known.get(name) {
            Some(&s) => s,
            None => log.last(name).map_err(|e| e.to_string())?.unwrap_or(0),
        };
        // A 409 tells the size the witness holds and the request is made again from there,
        // once; a second 409 means the witness and the log disagree. Each pass either returns
        // or uses up one of the two allowances, so there are at most three.
        let (mut conflicted, mut moved) = (false, false);
        loop {
            if old > size {
                // Several servers of one log each ask: another may have had a later checkpoint
                // cosigned since this one was read. The witness is then ahead of this
                // checkpoint, not of the log: it is asked about the log's latest (verified
                // with the log's key), and checks for itself that it is consistent with what
                // it cosigned. A log that stays behind the witness was rolled back or forked.
                match log.latest().map_err(|e| e.to_string())? {
                    Some((latest, latest_note)) if latest >= old && !moved => {
                        moved = true;
                        (size, note) = (latest, latest_note);
                        if log.has(size, name).map_err(|e| e.to_string())? {
                            return Ok(Outcome::Skipped);
                        }
                        continue;
                    }
                    _ => {
                        return Err(format!(
                            "the witness has cosigned a checkpoint of {old} entries, more than this log's {size}: the log was rolled back or forked"
                        ));
                    }
                }
            }
            let proof = log.proof(old, size).map_err(|e| e.to_string())?;
            let reply = (self.transport)(&e.add_checkpoint_url(), &request(old, &proof, &note))?;
            match reply.status {
                200 => {
                    let line = cosignature_line(&reply.body, &note, &e.key)?;
                    log.store(size, name, &line, now)
                        .map_err(|e| e.to_string())?;
                    self.known.insert(name.clone(), size);
                    return Ok(Outcome::Cosigned);
                }
                409 if !conflicted => {
                    conflicted = true;
                    let Some(s) = reply.body.trim().parse::<u64>().ok().filter(|s| *s != old)
                    else {
                        return Err(format!("refused (409): {}", reply.body.trim()));
                    };
                    old = s;
                    self.known.insert(name.clone(), s);
                }
                409 => {
                    return Err(format!(
                        "refused twice with a conflict (409): {}",
                        first_line(&reply.body)
                    ));
                }
                status => {
                    return Err(format!("refused ({status}): {}", first_line(&reply.body)));
                }
            }
        }
    }
}

/// What collecting cosignatures needs from the log: [`crate::Ledger::cosign_log`] gives it for
/// an open ledger; a server wraps that to lock its ledger for each call.
pub trait CosignLog {
    /// The latest checkpoint's size and note as the log signed it (no cosignatures), the note
    /// verified with the log's key: the store is not trusted to hand over a checkpoint.
    fn latest(&mut self) -> Result<Option<(u64, String)>>;
    /// Whether `witness`'s cosignature of the checkpoint at `size` is stored.
    fn has(&mut self, size: u64, witness: &str) -> Result<bool>;
    /// The largest size `witness` is recorded to have cosigned.
    fn last(&mut self, witness: &str) -> Result<Option<u64>>;
    /// The consistency proof from `old` to `new`.
    fn proof(&mut self, old: u64, new: u64) -> Result<Vec<crate::hash::Hash>>;
    /// Keeps a verified cosignature line.
    fn store(&mut self, size: u64, witness: &str, line: &str, now: DateTime<Utc>) -> Result<()>;
}

/// The witness's cosignature line in a reply, verified against the checkpoint: a reply may
/// carry several lines (one per key); only one by `key` that verifies is taken.
fn cosignature_line(
    body: &str,
    note: &str,
    key: &PublicKey,
) -> std::result::Result<String, String> {
    for line in body.split('\n').filter(|l| !l.is_empty()).take(16) {
        let line = format!("{line}\n");
        let mut with = note.to_string();
        with.push_str(&line);
        if !cosigned_by(&with, std::slice::from_ref(key)).is_empty() {
            return Ok(line);
        }
    }
    Err("answered 200 without a valid cosignature by its key".into())
}

/// A verifier's demand: cosignatures by at least `min` of `keys`.
#[derive(Debug, Clone, Default)]
pub struct WitnessPolicy {
    /// Witness keys the verifier trusts.
    pub keys: Vec<PublicKey>,
    /// How many of them must have cosigned.
    pub min: usize,
}

impl WitnessPolicy {
    /// A policy from verifier keys (`plumb witness keygen` output, each a line of text) and a
    /// minimum; without a minimum every key given must have cosigned.
    pub fn new(vkeys: &[String], min: Option<usize>) -> Result<Self> {
        let keys = vkeys
            .iter()
            .map(|k| parse_vkey(k))
            .collect::<Result<Vec<_>>>()?;
        let min = min.unwrap_or(keys.len());
        if min > keys.len() {
            return Err(Error::Malformed(format!(
                "--min-witnesses {min} is more than the {} witness keys given",
                keys.len()
            )));
        }
        Ok(WitnessPolicy { keys, min })
    }

    /// Every one of `keys` must have cosigned (the witnesses a log asks, known by their keys).
    pub fn all_of(keys: Vec<PublicKey>) -> Self {
        WitnessPolicy {
            min: keys.len(),
            keys,
        }
    }

    /// Whether the policy asks for anything.
    pub fn is_empty(&self) -> bool {
        self.min == 0
    }

    /// The trusted witnesses that cosigned the signed checkpoint `note`, with when; an error
    /// when fewer than `min` did.
    pub fn check(&self, note: &str) -> Result<Vec<(String, u64)>> {
        let got = cosigned_by(note, &self.keys);
        if got.len() < self.min {
            let missing: Vec<&str> = self
                .keys
                .iter()
                .map(|k| k.name.as_str())
                .filter(|n| !got.iter().any(|(g, _)| g == n))
                .collect();
            return Err(Error::Signature(format!(
                "the checkpoint is cosigned by {} of the trusted witnesses, {} required (no valid cosignature by {}): a checkpoint the witnesses did not see may be a fork shown only to you",
                got.len(),
                self.min,
                missing.join(", ")
            )));
        }
        Ok(got)
    }
}
