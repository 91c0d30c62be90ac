//! The log collecting cosignatures: every checkpoint it signs is sent to its witnesses, their
//! cosignatures are verified, stored and published with the checkpoint (receipts, packs); a
//! copy of the log that takes another history gets no cosignature, and a verifier that
//! demands them refuses its pack; a witness that is down never stops the log and is asked
//! again later.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use plumb_ledger::cosigners::{
    CosignLog, Cosigners, Outcome, Reply, WitnessEndpoint, WitnessPolicy,
};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::pack::{verify_pack, verify_pack_witnessed};
use plumb_ledger::store::Query;
use plumb_ledger::witness::{Witness, vkey};
use plumb_ledger::{InitOptions, Ledger, RecordRequest};

const ORIGIN: &str = "bank.example/evidence";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn record(l: &mut Ledger, what: &str, now: DateTime<Utc>) {
    l.record(
        RecordRequest {
            subjects: vec![plumb_ledger::statement::Subject {
                name: what.into(),
                digest: [(
                    "sha256".to_string(),
                    plumb_base::sha256_hex(what.as_bytes()),
                )]
                .into(),
            }],
            predicate_type: "https://plumbline.dev/test/v1".into(),
            predicate: serde_json::json!({"what": what}),
            ..Default::default()
        },
        now,
    )
    .unwrap();
}

struct Witnesses {
    names: Vec<String>,
    endpoints: Vec<WitnessEndpoint>,
    vkeys: Vec<String>,
    by_url: Arc<Vec<(String, Witness)>>,
    /// When set, every request fails as if the network were down.
    down: Arc<Mutex<bool>>,
}

/// Two in-process witnesses following the log with key `log`, reached through a transport
/// that calls them directly (the HTTP path is tested through the binary).
fn witnesses(dir: &std::path::Path, log: &Ledger) -> Witnesses {
    let mut list = Vec::new();
    let mut endpoints = Vec::new();
    let mut vkeys = Vec::new();
    let mut names = Vec::new();
    for (i, name) in ["witness.example/w1", "witness.example/w2"]
        .into_iter()
        .enumerate()
    {
        let key = KeyPair::from_seed(name, [i as u8 + 1; 32]).unwrap();
        let v = vkey(&key.public());
        let url = format!("http://w{i}.invalid");
        endpoints.push(WitnessEndpoint::parse(&format!("{v}@{url}/")).unwrap());
        let w = Witness::open(
            key,
            vec![log.public_key()],
            &dir.join(format!("w{i}.json")),
            true,
        )
        .unwrap();
        list.push((format!("{url}/add-checkpoint"), w));
        vkeys.push(v);
        names.push(name.to_string());
    }
    Witnesses {
        names,
        endpoints,
        vkeys,
        by_url: Arc::new(list),
        down: Arc::new(Mutex::new(false)),
    }
}

impl Witnesses {
    fn cosigners(&self) -> Cosigners {
        let by_url = self.by_url.clone();
        let down = self.down.clone();
        Cosigners::new(
            self.endpoints.clone(),
            Box::new(move |url: &str, body: &str| {
                if *down.lock().unwrap() {
                    return Err("connection refused".into());
                }
                let (_, w) = by_url.iter().find(|(u, _)| u == url).unwrap();
                let a = w.add_checkpoint(body.as_bytes(), 1_800_000_000);
                Ok(Reply {
                    status: a.status,
                    body: a.body,
                })
            }),
        )
        .unwrap()
    }
}

fn new_log(dir: &std::path::Path) -> Ledger {
    Ledger::init(
        dir,
        InitOptions {
            origin: Some(ORIGIN.into()),
            ..Default::default()
        },
    )
    .unwrap()
}

fn export(l: &mut Ledger, out: &std::path::Path, now: DateTime<Utc>) -> Vec<u8> {
    l.export(&Query::default(), out, now).unwrap();
    std::fs::read(out).unwrap()
}

#[test]
fn checkpoints_are_cosigned_and_a_fork_is_not() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("log");
    let mut l = new_log(&store);
    let w = witnesses(d.path(), &l);
    l.set_witnesses(w.cosigners());
    let policy = WitnessPolicy::new(&w.vkeys, None).unwrap();

    // Each checkpoint the log signs is cosigned by both, from size 0 and then as it grows.
    for (i, what) in ["a", "b", "c"].iter().enumerate() {
        record(&mut l, what, t0() + Duration::seconds(i as i64));
        let report = l.take_witness_report();
        assert_eq!(
            report,
            w.names
                .iter()
                .map(|n| (n.clone(), Outcome::Cosigned))
                .collect::<Vec<_>>(),
            "checkpoint {i}"
        );
        let (stored, cp) = l.latest_checkpoint().unwrap().unwrap();
        assert_eq!(cp.size, i as u64 + 1);
        let got = policy.check(&stored.note).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(l.cosignatures(cp.size).unwrap().len(), 2);
    }
    // Receipts carry the cosigned note.
    let receipt = l.prove(1).unwrap();
    assert_eq!(policy.check(&receipt.checkpoint).unwrap().len(), 2);
    // Nothing new to sign: the witnesses are not asked again.
    let (_, grew) = l.checkpoint(t0() + Duration::seconds(10)).unwrap();
    assert!(!grew);
    assert!(l.take_witness_report().is_empty());

    // A fork: a copy of the store takes another history from size 3, while the real log
    // goes on. The witnesses cosigned the real size 4 first; the copy's size 4 is refused.
    let copy = d.path().join("copy");
    copy_dir(&store, &copy);
    record(&mut l, "d", t0() + Duration::seconds(20));
    assert!(
        l.take_witness_report()
            .iter()
            .all(|(_, o)| *o == Outcome::Cosigned)
    );
    let mut fork = Ledger::open(&copy).unwrap();
    fork.set_witnesses(w.cosigners());
    record(&mut fork, "d-but-different", t0() + Duration::seconds(21));
    let report = fork.take_witness_report();
    assert_eq!(report.len(), 2);
    for (name, o) in &report {
        let Outcome::Failed(why) = o else {
            panic!("{name} cosigned the fork: {o:?}")
        };
        assert!(why.contains("409"), "{name}: {why}");
    }
    let (fork_cp, _) = fork.latest_checkpoint().unwrap().unwrap();
    assert!(fork.cosignatures(fork_cp.size).unwrap().is_empty());

    // The packs: both verify with the log key alone (the fork is signed by the same key),
    // only the real one verifies when the witnesses' cosignatures are demanded.
    let real = export(
        &mut l,
        &d.path().join("real.tar"),
        t0() + Duration::seconds(30),
    );
    let forked = export(
        &mut fork,
        &d.path().join("fork.tar"),
        t0() + Duration::seconds(30),
    );
    let log_key = [l.public_key()];
    assert!(verify_pack(&forked, &log_key).is_ok());
    let rep = verify_pack_witnessed(std::io::Cursor::new(&real), &log_key, &policy).unwrap();
    assert_eq!(rep.cosigned_by.len(), 2);
    assert_eq!(rep.checkpoint_size, 4);
    let err = verify_pack_witnessed(std::io::Cursor::new(&forked), &log_key, &policy)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cosigned by 0 of the trusted witnesses"),
        "{err}"
    );
    // One of two is enough when the verifier says so, but the fork has none.
    let one = WitnessPolicy::new(&w.vkeys, Some(1)).unwrap();
    assert!(verify_pack_witnessed(std::io::Cursor::new(&forked), &log_key, &one).is_err());
    assert!(verify_pack_witnessed(std::io::Cursor::new(&real), &log_key, &one).is_ok());
}

#[test]
fn a_witness_that_is_down_never_stops_the_log_and_is_asked_again() {
    let d = tempfile::tempdir().unwrap();
    let mut l = new_log(&d.path().join("log"));
    let w = witnesses(d.path(), &l);
    l.set_witnesses(w.cosigners());
    *w.down.lock().unwrap() = true;
    record(&mut l, "a", t0());
    let report = l.take_witness_report();
    assert!(
        report
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Failed(w) if w.contains("connection refused"))),
        "{report:?}"
    );
    let (stored, cp) = l.latest_checkpoint().unwrap().unwrap();
    assert_eq!(cp.size, 1);
    assert!(l.cosignatures(1).unwrap().is_empty());
    assert!(
        WitnessPolicy::new(&w.vkeys, None)
            .unwrap()
            .check(&stored.note)
            .is_err()
    );

    // Back up: left alone for a while, then asked again for the same checkpoint.
    *w.down.lock().unwrap() = false;
    l.checkpoint(t0() + Duration::seconds(5)).unwrap();
    assert!(l.take_witness_report().is_empty(), "asked again too soon");
    let (stored, _) = l.checkpoint(t0() + Duration::seconds(31)).unwrap();
    assert_eq!(l.take_witness_report().len(), 2);
    assert_eq!(
        WitnessPolicy::new(&w.vkeys, None)
            .unwrap()
            .check(&stored.note)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn what_a_witness_answers_is_verified_before_it_is_kept() {
    let d = tempfile::tempdir().unwrap();
    let mut l = new_log(&d.path().join("log"));
    let w = witnesses(d.path(), &l);
    let impostor = KeyPair::from_seed("witness.example/w1", [99; 32]).unwrap();
    let answers: Vec<Reply> = vec![
        Reply {
            status: 200,
            body: "not a cosignature\n".into(),
        },
        Reply {
            status: 200,
            // Signed by another key under the witness's name.
            body: plumb_ledger::witness::cosign(&impostor, "bank.example/evidence\n1\nAAAA\n", 1),
        },
        Reply {
            status: 409,
            body: "garbage\n".into(),
        },
        Reply {
            status: 500,
            body: "x".repeat(10_000),
        },
    ];
    for answer in answers {
        let a = answer.clone();
        l.set_witnesses(
            Cosigners::new(
                w.endpoints.clone(),
                Box::new(move |_: &str, _: &str| Ok(a.clone())),
            )
            .unwrap(),
        );
        let n = l.size().unwrap();
        record(&mut l, &format!("e{n}"), t0() + Duration::seconds(n as i64));
        let report = l.take_witness_report();
        assert_eq!(report.len(), 2, "{answer:?}");
        for (_, o) in &report {
            let Outcome::Failed(why) = o else {
                panic!("kept {answer:?}")
            };
            assert!(why.len() < 400, "the reason is bounded: {why}");
        }
        assert!(l.cosignatures(n + 1).unwrap().is_empty(), "{answer:?}");
    }
    // The same witness twice is a configuration error.
    let twice = vec![w.endpoints[0].clone(), w.endpoints[0].clone()];
    assert!(Cosigners::new(twice, Box::new(|_: &str, _: &str| Err("x".into()))).is_err());
    // Endpoint syntax.
    for bad in [
        "no-at-sign",
        "witness+00000000+AAAA@http://x",
        &format!("{}@ftp://x", w.vkeys[0]),
    ] {
        assert!(WitnessEndpoint::parse(bad).is_err(), "{bad}");
    }
    assert!(WitnessPolicy::new(&w.vkeys, Some(3)).is_err());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn a_store_made_before_witnesses_gets_its_cosignatures_table() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("log");
    let l = new_log(&store);
    let w = witnesses(d.path(), &l);
    drop(l);
    rusqlite::Connection::open(store.join("ledger.db"))
        .unwrap()
        .execute_batch("DROP TABLE cosignatures")
        .unwrap();
    let mut l = Ledger::open(&store).unwrap();
    l.set_witnesses(w.cosigners());
    record(&mut l, "a", t0());
    assert_eq!(l.cosignatures(1).unwrap().len(), 2);
    // And the new table is append-only like the others.
    let err = rusqlite::Connection::open(store.join("ledger.db"))
        .unwrap()
        .execute_batch("DELETE FROM cosignatures")
        .unwrap_err()
        .to_string();
    assert!(err.contains("append-only"), "{err}");
}

/// The store as one of several servers saw it a moment ago: its first answer to "latest" is
/// the checkpoint it had read, the rest is the store as it is.
struct StaleLatest<'a> {
    log: plumb_ledger::ledger::LedgerCosignLog<'a>,
    first: Option<(u64, String)>,
}

impl CosignLog for StaleLatest<'_> {
    fn latest(&mut self) -> plumb_ledger::Result<Option<(u64, String)>> {
        match self.first.take() {
            Some(read_before) => Ok(Some(read_before)),
            None => self.log.latest(),
        }
    }
    fn has(&mut self, size: u64, witness: &str) -> plumb_ledger::Result<bool> {
        self.log.has(size, witness)
    }
    fn last(&mut self, witness: &str) -> plumb_ledger::Result<Option<u64>> {
        self.log.last(witness)
    }
    fn proof(&mut self, old: u64, new: u64) -> plumb_ledger::Result<Vec<plumb_ledger::hash::Hash>> {
        self.log.proof(old, new)
    }
    fn store(
        &mut self,
        size: u64,
        witness: &str,
        line: &str,
        now: DateTime<Utc>,
    ) -> plumb_ledger::Result<()> {
        self.log.store(size, witness, line, now)
    }
}

/// Two servers of one log: one signs a checkpoint, the other signs a later one and has it
/// cosigned before the first asks about its own. The witnesses are ahead of the first
/// server's checkpoint, not of the log: that is no fork, nothing fails and nobody is left
/// alone for the back-off time.
#[test]
fn a_witness_ahead_because_another_server_asked_first_is_no_fork() {
    let d = tempfile::tempdir().unwrap();
    let mut l = new_log(&d.path().join("log"));
    let w = witnesses(d.path(), &l);
    record(&mut l, "a", t0());
    let read_before = l.recent_checkpoints(1).unwrap().pop().unwrap();
    assert_eq!(read_before.size, 1);
    // A copy of the log as it is now, for later.
    let copy = d.path().join("copy");
    copy_dir(&d.path().join("log"), &copy);
    l.set_witnesses(w.cosigners());
    record(&mut l, "b", t0() + Duration::seconds(1));
    assert_eq!(
        l.cosignatures(2).unwrap().len(),
        2,
        "the other server's checkpoint"
    );

    let mut first_server = w.cosigners();
    let report = first_server
        .cosign_latest(
            t0() + Duration::seconds(2),
            &mut StaleLatest {
                log: l.cosign_log(),
                first: Some((read_before.size, read_before.note.clone())),
            },
        )
        .unwrap();
    assert!(report.is_empty(), "{report:?}");
    // A log really older than what the witnesses cosigned is still refused: the copy, served
    // as if it were the log, was rolled back.
    let mut older = Ledger::open(&copy).unwrap();
    let report = w
        .cosigners()
        .cosign_latest(t0() + Duration::seconds(3), &mut older.cosign_log())
        .unwrap();
    assert_eq!(report.len(), 2, "{report:?}");
    for (name, o) in &report {
        let Outcome::Failed(why) = o else {
            panic!("{name}: {o:?}")
        };
        assert!(why.contains("rolled back or forked"), "{name}: {why}");
    }
}
