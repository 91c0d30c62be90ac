//! One conformance suite, run unchanged against SQLite and PostgreSQL: appends, queries,
//! proofs, checkpoints, append-only enforcement, tamper detection and bad input.

mod common;

use common::{Kind, Raw, TestStore, commit, now, record, store};
use plumb_ledger::Error;
use plumb_ledger::entry::Annotations;
use plumb_ledger::keys::KeyPair;
use plumb_ledger::merkle::leaf_hash;
use plumb_ledger::statement::Statement;
use plumb_ledger::store::Query;
use plumb_ledger::verify::VerifyOptions;

const TEST: &str = "https://in-toto.io/attestation/test-result/v0.1";
const SCAN: &str = "https://plumbline.dev/attestation/scan/v1";

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(super::Kind::Sqlite) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(super::Kind::Postgres) } )* }
    };
}

on_both_backends!(
    appends_are_queryable_and_provable,
    batches_get_consecutive_indexes_and_one_checkpoint_covers_them,
    database_refuses_update_and_delete,
    verify_detects_a_flipped_byte,
    verify_detects_a_deleted_row,
    verify_detects_reordered_rows,
    verify_detects_an_inserted_row,
    verify_detects_a_swapped_blob,
    verify_detects_edited_index_columns,
    checkpoint_is_not_signed_over_a_rewritten_log,
    bad_input_is_rejected_and_nothing_is_written,
    verify_is_clean_while_the_log_grows,
    writers_racing_to_checkpoint_the_same_size_all_succeed,
    a_forged_checkpoint_row_is_neither_published_nor_sent_to_witnesses,
    verify_reads_a_hostile_tree_node_row_without_overflowing,
);

/// A tree node row whose entry range does not fit in 64 bits (`(index + 1) << level` wraps to
/// 0): verify passes over it as it does any node beyond the log, in checked arithmetic, and
/// stays clean about the rest (the test profile has overflow checks on).
fn verify_reads_a_hostile_tree_node_row_without_overflowing(kind: Kind) {
    let mut s = filled(kind);
    s.raw.privileged(
        "INSERT INTO tree_nodes (level, idx, hash) SELECT 1, 9223372036854775807, hash FROM tree_nodes LIMIT 1",
        &[],
    );
    s.reopen();
    let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
    assert!(rep.ok(), "{:?}", rep.first_bad_entry());
}

/// The store is hostile: a checkpoint row it adds is checked with the log's key wherever the
/// latest checkpoint is read (receipts, the API, what witnesses are asked about).
fn a_forged_checkpoint_row_is_neither_published_nor_sent_to_witnesses(kind: Kind) {
    use plumb_ledger::cosigners::CosignLog;
    let mut s = filled(kind);
    s.ledger.checkpoint(now()).unwrap();
    assert!(s.ledger.cosign_log().latest().unwrap().is_some());
    s.raw.privileged(
        "INSERT INTO checkpoints (size, note, time) VALUES (1000, 'api.test\n1000\nforged\n', '2026-11-30T12:00:00Z')",
        &[],
    );
    s.reopen();
    assert!(s.ledger.latest_checkpoint().is_err());
    let err = s.ledger.cosign_log().latest().unwrap_err();
    assert!(
        matches!(err, Error::Signature(_) | Error::Malformed(_)),
        "{err}"
    );
}

/// Two servers (or a server and `plumb append`) on one store both sign a checkpoint for the
/// size they just reached. Found in CI: the second insert hit the primary key and the command
/// failed although the checkpoint it wanted existed. Deterministic signatures make both notes
/// identical, so every writer must succeed and one checkpoint per size is stored.
fn writers_racing_to_checkpoint_the_same_size_all_succeed(kind: Kind) {
    let mut s = store(kind);
    let dir = s.store_dir();
    for round in 0..15u32 {
        // Appended without a checkpoint (`record` would sign one itself).
        let l = &mut s.ledger;
        let st = Statement::new(vec![commit(round)], TEST, serde_json::json!({"n": round}));
        let env = serde_json::to_vec(&l.sign_statement(&st).unwrap()).unwrap();
        let entry = l.prepare(&env, Annotations::default(), now()).unwrap();
        let size = l.append(&[entry]).unwrap() + 1;
        let start = std::sync::Arc::new(std::sync::Barrier::new(4));
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (dir, start) = (dir.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut l = plumb_ledger::Ledger::open(&dir).unwrap();
                    start.wait();
                    l.checkpoint(now()).map(|(cp, _)| cp.size)
                })
            })
            .collect();
        for w in writers {
            assert_eq!(w.join().unwrap().unwrap(), size, "round {round}");
        }
    }
    let sizes: Vec<u64> = s
        .ledger
        .checkpoints()
        .unwrap()
        .iter()
        .map(|c| c.size)
        .collect();
    assert_eq!(sizes, (1..=15).collect::<Vec<u64>>());
    // The latest ones without reading them all: the same rows, the same order.
    let all = s.ledger.checkpoints().unwrap();
    for n in [0u64, 1, 3, 15, 40] {
        let recent = s.ledger.recent_checkpoints(n).unwrap();
        let tail = &all[all.len().saturating_sub(n as usize)..];
        assert_eq!(recent, tail, "the {n} latest");
    }
    let (latest, cp) = s.ledger.latest_checkpoint().unwrap().unwrap();
    assert_eq!((latest.size, cp.size), (15, 15));
    assert_clean(&mut s);
}

/// A running server appends while an operator verifies: the verification checks the entries
/// it read and is never confused by rows written meanwhile (found by an attack test, where a
/// live server's audit record made `plumb verify` report an edited subject index).
fn verify_is_clean_while_the_log_grows(kind: Kind) {
    let mut s = filled(kind);
    s.ledger.checkpoint(now()).unwrap();
    let dir = s.store_dir();
    let writer = std::thread::spawn(move || {
        let mut l = plumb_ledger::Ledger::open(&dir).unwrap();
        for n in 100..300 {
            record(&mut l, n, "payments", TEST);
            if n % 20 == 0 {
                l.checkpoint(now() + chrono::Duration::minutes(n as i64))
                    .unwrap();
            }
        }
    });
    let mut runs = 0;
    while !writer.is_finished() || runs == 0 {
        let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
        assert!(rep.ok(), "run {runs}: {:?}", rep.problems);
        runs += 1;
    }
    writer.join().unwrap();
    assert_clean(&mut s);
}

fn filled(kind: Kind) -> TestStore {
    let mut s = store(kind);
    for n in 0..8 {
        let system = if n % 2 == 0 { "payments" } else { "onboarding" };
        let pt = if n < 5 { TEST } else { SCAN };
        assert_eq!(record(&mut s.ledger, n, system, pt), n as u64);
    }
    s
}

fn assert_clean(s: &mut TestStore) {
    let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
    assert!(rep.ok(), "expected a clean log, got {:?}", rep.problems);
}

fn first_bad(s: &mut TestStore) -> (Option<u64>, String) {
    s.reopen();
    let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
    assert!(!rep.ok(), "tampering was not detected");
    let p = rep.first_bad_entry().unwrap();
    (p.index, p.message.clone())
}

fn appends_are_queryable_and_provable(kind: Kind) {
    let mut s = filled(kind);
    let l = &mut s.ledger;
    assert_eq!(l.size().unwrap(), 8);
    let q = |l: &mut plumb_ledger::Ledger, q: Query| l.query(&q).unwrap();
    assert_eq!(
        q(
            l,
            Query {
                system: Some("payments".into()),
                ..Default::default()
            }
        ),
        vec![0, 2, 4, 6]
    );
    // A reader's scope: entries of the listed systems only; an empty scope sees nothing.
    assert_eq!(
        q(
            l,
            Query {
                systems_in: Some(vec!["payments".into(), "nowhere".into()]),
                ..Default::default()
            }
        ),
        vec![0, 2, 4, 6]
    );
    assert_eq!(
        q(
            l,
            Query {
                systems_in: Some(vec![]),
                ..Default::default()
            }
        ),
        Vec::<u64>::new()
    );
    assert_eq!(
        q(
            l,
            Query {
                systems_in: Some(vec!["payments".into()]),
                run: Some("run-1".into()),
                ..Default::default()
            }
        ),
        vec![4]
    );
    assert_eq!(
        q(
            l,
            Query {
                predicate_type: Some(SCAN.into()),
                ..Default::default()
            }
        ),
        vec![5, 6, 7]
    );
    assert_eq!(
        q(
            l,
            Query {
                run: Some("run-1".into()),
                ..Default::default()
            }
        ),
        vec![1, 4, 7]
    );
    let c3 = commit(3).digest["gitCommit"].clone();
    assert_eq!(
        q(
            l,
            Query {
                subject: Some(c3.clone()),
                ..Default::default()
            }
        ),
        vec![3]
    );
    assert_eq!(
        q(
            l,
            Query {
                subject: Some(format!("gitCommit:{c3}")),
                ..Default::default()
            }
        ),
        vec![3]
    );
    assert!(
        q(
            l,
            Query {
                subject: Some(format!("sha256:{c3}")),
                ..Default::default()
            }
        )
        .is_empty()
    );
    let t = |m: i64| plumb_ledger::entry::format_time(now() + chrono::Duration::minutes(m));
    assert_eq!(
        q(
            l,
            Query {
                since: Some(t(2)),
                until: Some(t(5)),
                ..Default::default()
            }
        ),
        vec![2, 3, 4]
    );
    assert_eq!(
        q(
            l,
            Query {
                system: Some("onboarding".into()),
                newest_first: true,
                limit: Some(2),
                ..Default::default()
            }
        ),
        vec![7, 5]
    );
    assert_eq!(
        q(
            l,
            Query {
                after: Some(5),
                ..Default::default()
            }
        ),
        vec![6, 7]
    );
    assert_eq!(l.subjects(3).unwrap(), vec![("gitCommit".to_string(), c3)]);

    let key = l.public_key();
    for i in 0..8 {
        let receipt = l.prove(i).unwrap();
        let entry = l.entry(i).unwrap();
        let cp = receipt
            .verify(&leaf_hash(&entry.bytes), std::slice::from_ref(&key))
            .unwrap();
        assert_eq!(cp.size, 8);
        let parsed = plumb_ledger::receipt::Receipt::parse(&receipt.to_text()).unwrap();
        assert_eq!(parsed, receipt);
        assert!(
            receipt
                .verify(&leaf_hash(b"other"), std::slice::from_ref(&key))
                .is_err()
        );
    }
    // Every checkpoint is consistent with every later one.
    let cps = l.checkpoints().unwrap();
    assert_eq!(cps.len(), 8);
    assert!(matches!(l.prove(8), Err(Error::NotFound(_))));
    assert_clean(&mut s);
}

fn batches_get_consecutive_indexes_and_one_checkpoint_covers_them(kind: Kind) {
    let mut s = store(kind);
    let l = &mut s.ledger;
    let entries: Vec<_> = (0..300u32)
        .map(|n| {
            let st = Statement::new(vec![commit(n)], TEST, serde_json::json!({"n": n}));
            let env = serde_json::to_vec(&l.sign_statement(&st).unwrap()).unwrap();
            l.prepare(
                &env,
                Annotations {
                    system: Some("core-ledger".into()),
                    ..Default::default()
                },
                now(),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(l.append(&entries[..1]).unwrap(), 0);
    assert_eq!(l.append(&entries[1..65]).unwrap(), 1);
    assert_eq!(l.append(&entries[65..]).unwrap(), 65);
    assert_eq!(l.size().unwrap(), 300);
    assert!(
        matches!(l.prove(0), Err(Error::State(_))),
        "no checkpoint yet"
    );
    let (cp, created) = l.checkpoint(now()).unwrap();
    assert!(created);
    assert_eq!(cp.size, 300);
    let (_, again) = l.checkpoint(now()).unwrap();
    assert!(!again, "no new checkpoint without new entries");
    let r = l.prove(299).unwrap();
    assert_eq!(
        r.proof.len(),
        5,
        "300 = 256 + 32 + 8 + 4: five siblings on the path of the last leaf"
    );
    assert_clean(&mut s);
}

fn database_refuses_update_and_delete(kind: Kind) {
    let mut s = filled(kind);
    for sql in [
        "UPDATE entries SET system = 'x' WHERE idx = 1",
        "DELETE FROM entries WHERE idx = 7",
        "UPDATE tree_nodes SET level = 9",
        "DELETE FROM checkpoints",
        "DELETE FROM subjects",
        "UPDATE meta SET value = '2' WHERE key = 'store_version'",
    ] {
        let err = s.raw.plain(sql).expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if let Raw::Postgres(_) = s.raw {
        let err = s.raw.plain("TRUNCATE entries CASCADE").unwrap_err();
        assert!(err.contains("append-only"), "{err}");
    }
    assert_clean(&mut s);
}

fn flip_byte(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    // Change a character inside the base64 payload, keeping the JSON valid.
    let pos = b.windows(10).position(|w| w == b"\"payload\":").unwrap() + 20;
    b[pos] = if b[pos] == b'A' { b'B' } else { b'A' };
    b
}

fn verify_detects_a_flipped_byte(kind: Kind) {
    let mut s = filled(kind);
    let e = s.ledger.entry(4).unwrap();
    s.raw.privileged(
        "UPDATE entries SET entry = $1 WHERE idx = 4",
        &[flip_byte(&e.bytes)],
    );
    let (idx, msg) = first_bad(&mut s);
    assert_eq!(idx, Some(4), "{msg}");
    assert!(msg.contains("do not match the stored leaf hash"), "{msg}");
}

fn verify_detects_a_deleted_row(kind: Kind) {
    let mut s = filled(kind);
    s.raw.privileged("DELETE FROM entries WHERE idx = 3", &[]);
    let (idx, msg) = first_bad(&mut s);
    assert_eq!(idx, Some(3), "{msg}");
    assert!(msg.contains("entry 3 is missing"), "{msg}");
}

fn verify_detects_reordered_rows(kind: Kind) {
    let mut s = filled(kind);
    s.raw.privileged(
        "UPDATE entries SET idx = 1000 WHERE idx = 2; UPDATE entries SET idx = 2 WHERE idx = 3; UPDATE entries SET idx = 3 WHERE idx = 1000;
         UPDATE subjects SET idx = 1000 WHERE idx = 2; UPDATE subjects SET idx = 2 WHERE idx = 3; UPDATE subjects SET idx = 3 WHERE idx = 1000;",
        &[],
    );
    let (idx, msg) = first_bad(&mut s);
    assert_eq!(idx, Some(2), "{msg}");
    assert!(msg.contains("entries 2..3"), "{msg}");
}

fn verify_detects_an_inserted_row(kind: Kind) {
    let mut s = filled(kind);
    // Make room at 3 by moving rows 3..7 up one, then insert a copy of a genuine, signed entry.
    let mut sql = String::new();
    for i in (3..8).rev() {
        sql.push_str(&format!("UPDATE entries SET idx = {} WHERE idx = {i}; UPDATE subjects SET idx = {} WHERE idx = {i};", i + 1, i + 1));
    }
    s.raw.privileged(&sql, &[]);
    let donor = s.ledger.entry(0).unwrap();
    s.raw.privileged(
        "INSERT INTO entries (idx, leaf_hash, entry, predicate_type, system, run, time) SELECT 3, leaf_hash, entry, predicate_type, system, run, time FROM entries WHERE idx = 0",
        &[],
    );
    let _ = donor;
    let (idx, msg) = first_bad(&mut s);
    assert!(matches!(idx, Some(2) | Some(3)), "{idx:?} {msg}");
    let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| p.message.contains("checkpoint at size 8 does not match")),
        "{:?}",
        rep.problems
    );
}

fn verify_detects_a_swapped_blob(kind: Kind) {
    let mut s = filled(kind);
    let report = s.dir.path().join("bandit.sarif");
    std::fs::write(&report, br#"{"version":"2.1.0","runs":[]}"#).unwrap();
    let (i, _) = s
        .ledger
        .record(
            plumb_ledger::RecordRequest {
                subjects: vec![commit(99)],
                predicate_type: SCAN.into(),
                predicate: serde_json::json!({}),
                system: Some("payments".into()),
                run: None,
                attachments: vec![report],
            },
            now(),
        )
        .unwrap();
    assert_clean(&mut s);
    let entry = plumb_ledger::entry::LogEntry::parse(&s.ledger.entry(i).unwrap().bytes).unwrap();
    let path = s.ledger.blobs().path_of(&entry.blobs[0].digest).unwrap();
    std::fs::write(path, br#"{"version":"2.1.0","runs":[{}]}"#).unwrap();
    let (idx, msg) = first_bad(&mut s);
    assert_eq!(idx, Some(i), "{msg}");
    assert!(
        msg.contains("bandit.sarif") && msg.contains("does not match its digest"),
        "{msg}"
    );
}

fn verify_detects_edited_index_columns(kind: Kind) {
    let mut s = filled(kind);
    s.raw
        .privileged("UPDATE entries SET system = 'payments' WHERE idx = 5", &[]);
    let (idx, msg) = first_bad(&mut s);
    assert_eq!(idx, Some(5), "{msg}");
    assert!(msg.contains("index column system"), "{msg}");

    let mut s = filled(kind);
    s.raw.privileged(
        "UPDATE subjects SET value = 'ffffffffffffffffffffffffffffffffffffffff' WHERE idx = 6",
        &[],
    );
    let (idx, msg) = first_bad(&mut s);
    assert_eq!(idx, Some(6), "{msg}");
    assert!(msg.contains("subject index"), "{msg}");
}

fn checkpoint_is_not_signed_over_a_rewritten_log(kind: Kind) {
    let mut s = filled(kind);
    // A privileged user rewrites entry 1 and recomputes everything the store keeps about it.
    let e = s.ledger.entry(1).unwrap();
    let bytes = flip_byte(&e.bytes);
    let lh = leaf_hash(&bytes).to_vec();
    s.raw
        .privileged("UPDATE entries SET entry = $1 WHERE idx = 1", &[bytes]);
    s.raw
        .privileged("UPDATE entries SET leaf_hash = $1 WHERE idx = 1", &[lh]);
    s.raw.privileged("DELETE FROM tree_nodes", &[]);
    s.reopen();
    // Refill the tree nodes honestly from the rewritten leaves: only the checkpoint can tell.
    // A new entry then asks for a checkpoint, which must refuse.
    let err = s.ledger.checkpoint(now());
    assert!(
        err.is_ok(),
        "no new entries: the latest checkpoint is returned unchanged"
    );
    let st = Statement::new(vec![commit(50)], TEST, serde_json::json!({}));
    let env = serde_json::to_vec(&s.ledger.sign_statement(&st).unwrap()).unwrap();
    let e = s
        .ledger
        .prepare(&env, Annotations::default(), now())
        .unwrap();
    let appended = s.ledger.append(&[e]);
    match appended {
        // The writer needs the right edge of the tree, which is gone: it refuses to append.
        Err(Error::Integrity(m)) => assert!(m.contains("missing"), "{m}"),
        Ok(_) => {
            let err = s.ledger.checkpoint(now()).unwrap_err();
            assert!(matches!(err, Error::Integrity(_)), "{err}");
        }
        Err(other) => panic!("unexpected error {other}"),
    }
    let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
    assert!(
        rep.problems
            .iter()
            .any(|p| p.message.contains("checkpoint at size 8 does not match")),
        "{:?}",
        rep.problems
    );
}

fn bad_input_is_rejected_and_nothing_is_written(kind: Kind) {
    let mut s = filled(kind);
    let l = &mut s.ledger;
    let st = Statement::new(vec![commit(1)], TEST, serde_json::json!({}));
    let good = serde_json::to_vec(&l.sign_statement(&st).unwrap()).unwrap();
    let ann = Annotations::default;

    assert!(matches!(
        l.prepare(b"{not json", ann(), now()),
        Err(Error::Malformed(_))
    ));
    assert!(matches!(
        l.prepare(&good[..good.len() / 2], ann(), now()),
        Err(Error::Malformed(_))
    ));
    let wrong_type = String::from_utf8(good.clone())
        .unwrap()
        .replace("application/vnd.in-toto+json", "text/plain");
    assert!(matches!(
        l.prepare(wrong_type.as_bytes(), ann(), now()),
        Err(Error::Malformed(_))
    ));
    let stranger = KeyPair::from_seed("stranger", [9; 32]).unwrap();
    let foreign = plumb_ledger::dsse::Envelope::sign(
        plumb_ledger::dsse::IN_TOTO_PAYLOAD_TYPE,
        &serde_json::to_vec(&st).unwrap(),
        &stranger,
    );
    let err = l
        .prepare(&serde_json::to_vec(&foreign).unwrap(), ann(), now())
        .unwrap_err();
    assert!(
        matches!(err, Error::Signature(_)) && err.to_string().contains("plumb key trust"),
        "{err}"
    );
    let mut bad_sig: serde_json::Value = serde_json::from_slice(&good).unwrap();
    bad_sig["signatures"][0]["sig"] = serde_json::Value::String("AAAA".repeat(22));
    assert!(matches!(
        l.prepare(&serde_json::to_vec(&bad_sig).unwrap(), ann(), now()),
        Err(Error::Signature(_))
    ));
    let big = Statement::new(
        vec![commit(1)],
        TEST,
        serde_json::json!({"pad": "x".repeat(70_000)}),
    );
    let big = serde_json::to_vec(&l.sign_statement(&big).unwrap()).unwrap();
    assert!(matches!(
        l.prepare(&big, ann(), now()),
        Err(Error::TooLarge { .. })
    ));
    let bad_label = Annotations {
        system: Some("a\nb".into()),
        ..Default::default()
    };
    assert!(l.prepare(&good, bad_label, now()).is_err());

    // Trusting the stranger's key makes its envelope acceptable.
    l.trust_key(stranger.public()).unwrap();
    s.reopen();
    assert!(
        s.ledger
            .prepare(
                &serde_json::to_vec(&foreign).unwrap(),
                Annotations::default(),
                now()
            )
            .is_ok()
    );
    assert_eq!(s.ledger.size().unwrap(), 8, "rejected input wrote nothing");
    assert_clean(&mut s);
}

mod group_commit {
    use super::*;
    use plumb_ledger::commit::{BatchOptions, GroupCommit};
    use std::time::Duration;

    fn concurrent_producers_share_batches(kind: Kind) {
        let s = store(kind);
        let TestStore { dir, ledger, raw } = s;
        let trusted = ledger.trusted_keys().to_vec();
        let envelopes: Vec<Vec<u8>> = (0..400u32)
            .map(|n| {
                let st = Statement::new(vec![commit(n)], TEST, serde_json::json!({"n": n}));
                serde_json::to_vec(&ledger.sign_statement(&st).unwrap()).unwrap()
            })
            .collect();
        let gc = GroupCommit::start(
            ledger,
            BatchOptions {
                max_batch: 64,
                max_wait: Duration::from_millis(20),
                queue: 1024,
            },
        );
        let mut indexes: Vec<u64> = std::thread::scope(|sc| {
            let handles: Vec<_> = envelopes
                .chunks(100)
                .map(|chunk| {
                    let (gc, trusted) = (&gc, &trusted);
                    sc.spawn(move || {
                        let tickets: Vec<_> = chunk
                            .iter()
                            .map(|e| {
                                let entry = plumb_ledger::entry::prepare(
                                    e,
                                    Annotations::default(),
                                    trusted,
                                    65536,
                                    now(),
                                )
                                .unwrap();
                                gc.submit(entry)
                            })
                            .collect();
                        tickets
                            .into_iter()
                            .map(|t| t.wait().unwrap())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let (ledger, stats) = gc.finish();
        indexes.sort();
        assert_eq!(
            indexes,
            (0..400).collect::<Vec<u64>>(),
            "every entry acknowledged once, no gaps"
        );
        assert_eq!(stats.entries, 400);
        assert!(stats.batches < 400, "entries were grouped: {stats:?}");
        assert!(stats.largest > 1);
        let mut s = TestStore { dir, ledger, raw };
        s.ledger.checkpoint(now()).unwrap();
        assert_clean(&mut s);
    }

    /// With the writer stuck (another connection holds SQLite's write lock) and the queue full,
    /// `try_submit` refuses at once with `Busy` instead of blocking the caller, a pair submitted
    /// together is refused whole; once the lock goes, what was queued is written.
    #[test]
    fn a_full_queue_refuses_without_blocking() {
        let s = store(Kind::Sqlite);
        let TestStore { dir, ledger, raw } = s;
        let Raw::Sqlite(db) = &raw else {
            unreachable!("a SQLite store")
        };
        let trusted = ledger.trusted_keys().to_vec();
        let entry = |n: u32| {
            let st = Statement::new(vec![commit(n)], TEST, serde_json::json!({"n": n}));
            let e = serde_json::to_vec(&ledger.sign_statement(&st).unwrap()).unwrap();
            plumb_ledger::entry::prepare(&e, Annotations::default(), &trusted, 65536, now())
                .unwrap()
        };
        let entries: Vec<_> = (0..4).map(entry).collect();
        let blocker = rusqlite::Connection::open(db).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let gc = GroupCommit::start(
            ledger,
            BatchOptions {
                max_batch: 1,
                max_wait: Duration::from_millis(1),
                queue: 1,
            },
        );
        let mut entries = entries.into_iter();
        // The writer takes the first and waits for the lock; the second fills the queue.
        let first = gc.try_submit(entries.next().unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let second = gc.try_submit(entries.next().unwrap()).unwrap();
        // Were this to block, the test would hang: the lock is released only below. Two
        // entries submitted together are refused together.
        let third = gc.try_submit_all(entries.by_ref().take(2).collect());
        assert!(
            matches!(third, Err(plumb_ledger::Error::Busy)),
            "{:?}",
            third.map(|_| ())
        );
        blocker.execute_batch("ROLLBACK").unwrap();
        assert_eq!(first.wait().unwrap(), 0);
        assert_eq!(second.wait().unwrap(), 1);
        let (ledger, _) = gc.finish();
        let mut s = TestStore { dir, ledger, raw };
        assert_eq!(
            s.ledger.size().unwrap(),
            2,
            "the refused entry was not written"
        );
        s.ledger.checkpoint(now()).unwrap();
        assert_clean(&mut s);
    }

    #[test]
    fn sqlite_concurrent_producers_share_batches() {
        concurrent_producers_share_batches(Kind::Sqlite)
    }

    #[test]
    fn postgres_concurrent_producers_share_batches() {
        concurrent_producers_share_batches(Kind::Postgres)
    }
}

/// The database is hostile too: an owner who changes a column's type gets errors from every
/// read of it, never a panicking reader.
#[test]
fn postgres_columns_of_another_type_are_an_error_not_a_panic() {
    let mut s = filled(Kind::Postgres);
    s.ledger.checkpoint(now()).unwrap();
    s.raw.privileged(
        "ALTER TABLE checkpoints ALTER COLUMN time TYPE integer USING 0; ALTER TABLE subjects ALTER COLUMN value TYPE integer USING 0",
        &[],
    );
    s.reopen();
    assert!(s.ledger.latest_checkpoint().is_err());
    assert!(s.ledger.checkpoints().is_err());
    assert!(s.ledger.subjects(0).is_err());
}

/// In PostgreSQL the application role can read and append, and nothing else: UPDATE, DELETE
/// and TRUNCATE are refused by privileges before any trigger runs.
#[test]
fn postgres_application_role_may_only_select_and_insert() {
    let pg = plumb_testkit::server();
    let db = format!("priv_{}", std::process::id());
    let url = pg.new_database(&db);
    let role = format!("plumb_app_{}", std::process::id());
    let mut su = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    su.batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut l = plumb_ledger::Ledger::init(
        &dir.path().join("s"),
        plumb_ledger::InitOptions {
            origin: Some("priv.test".into()),
            database: Some(url),
            grant_role: Some(role.clone()),
            blobs: None,
        },
    )
    .unwrap();
    record(&mut l, 1, "payments", TEST);

    let mut app = ::postgres::Client::connect(&pg.url_as(&db, &role), ::postgres::NoTls).unwrap();
    let n: i64 = app
        .query_one("SELECT count(*) FROM entries", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    for sql in [
        "UPDATE entries SET system = 'x'",
        "DELETE FROM entries",
        "TRUNCATE entries",
        "DELETE FROM checkpoints",
        "DELETE FROM cosignatures",
    ] {
        let err = app.batch_execute(sql).unwrap_err();
        assert_eq!(
            err.code(),
            Some(&::postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }
    // Appending is what the role is for.
    app.batch_execute("INSERT INTO meta VALUES ('note', 'inserted by the application role')")
        .unwrap();

    // A log made before witnesses had no cosignatures table: the application role cannot add
    // it and is told who can; the owner's first open adds it, with the role's privileges.
    su.batch_execute("DROP TABLE cosignatures").unwrap();
    use plumb_ledger::store::postgres::PostgresBackend;
    let err = PostgresBackend::open(&pg.url_as(&db, &role))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("as the tables' owner"), "{err}");
    PostgresBackend::open(&pg.url(&db)).unwrap();
    app.batch_execute("INSERT INTO cosignatures VALUES (1, 'w', 'line', 't')")
        .unwrap();
    let err = app.batch_execute("DELETE FROM cosignatures").unwrap_err();
    assert_eq!(
        err.code(),
        Some(&::postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    assert!(matches!(
        plumb_ledger::Ledger::init(
            &dir.path().join("t"),
            plumb_ledger::InitOptions {
                database: Some("mysql://x".into()),
                ..Default::default()
            }
        ),
        Err(Error::Malformed(_))
    ));
}

/// A checkpoint signed while the log was still empty (a server's first tick before any append)
/// is of the empty tree; verification accepts it rather than reporting removed entries.
#[test]
fn a_checkpoint_of_the_empty_log_verifies() {
    let mut s = store(Kind::Sqlite);
    let (cp, signed) = s.ledger.checkpoint(now()).unwrap();
    assert!(signed && cp.size == 0);
    for n in 0..3 {
        record(
            &mut s.ledger,
            n,
            "payments",
            "https://in-toto.io/attestation/test-result/v0.1",
        );
    }
    let rep = s.ledger.verify(VerifyOptions::default()).unwrap();
    assert!(rep.ok(), "{:?}", rep.problems);
    assert!(rep.checkpoints >= 2);
}
