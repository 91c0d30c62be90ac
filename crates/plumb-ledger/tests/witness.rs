//! A witness as C2SP tlog-witness specifies it: it cosigns a log's checkpoints only as the log
//! grows from what it last cosigned, so a forked log (another history under the same key) is
//! refused; cosignatures verify as tlog-cosignature says and unknown or altered ones count for
//! nothing; its memory survives a restart.

use plumb_ledger::checkpoint::Checkpoint;
use plumb_ledger::keys::KeyPair;
use plumb_ledger::merkle::{MemoryTree, consistency_proof, leaf_hash};
use plumb_ledger::witness::{Witness, cosigned_by, parse_vkey, request, vkey};

const ORIGIN: &str = "bank.example/evidence";

fn tree(leaves: &[&str]) -> MemoryTree {
    MemoryTree::from_leaves(leaves.iter().map(|l| leaf_hash(l.as_bytes())).collect())
}

fn note(t: &MemoryTree, key: &KeyPair) -> String {
    Checkpoint {
        origin: ORIGIN.into(),
        size: t.size(),
        root: t.root(),
    }
    .sign(key)
}

#[test]
fn a_witness_cosigns_growth_and_refuses_a_fork() {
    let d = tempfile::tempdir().unwrap();
    let state = d.path().join("witness.json");
    let log = KeyPair::from_seed(ORIGIN, [7; 32]).unwrap();
    let wkey = KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap();
    let w = Witness::open(
        KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap(),
        vec![log.public()],
        &state,
        true,
    )
    .unwrap();
    let trusted = [parse_vkey(&vkey(&wkey.public())).unwrap()];

    // First sight: from size 0, no proof.
    let t3 = tree(&["a", "b", "c"]);
    let n3 = note(&t3, &log);
    let a = w.add_checkpoint(request(0, &[], &n3).as_bytes(), 1_700_000_000);
    assert_eq!(a.status, 200, "{}", a.body);
    let cosigned = format!("{n3}{}", a.body);
    assert_eq!(
        cosigned_by(&cosigned, &trusted),
        [("witness.example/w1".to_string(), 1_700_000_000)]
    );

    // Growth with a consistency proof.
    let t5 = tree(&["a", "b", "c", "d", "e"]);
    let proof = consistency_proof(&t5, 3, 5).unwrap();
    let a = w.add_checkpoint(
        request(3, &proof, &note(&t5, &log)).as_bytes(),
        1_700_000_100,
    );
    assert_eq!(a.status, 200, "{}", a.body);

    // A stale old size: 409 with the size the witness knows.
    let a = w.add_checkpoint(
        request(3, &proof, &note(&t5, &log)).as_bytes(),
        1_700_000_200,
    );
    assert_eq!(
        (a.status, a.content_type, a.body.as_str()),
        (409, "text/x.tlog.size", "5\n")
    );

    // A fork: the same key signs another history. At the same size it is another root (409);
    // grown from it, the proof cannot connect to what the witness cosigned (422).
    let fork5 = tree(&["a", "b", "c", "X", "Y"]);
    let a = w.add_checkpoint(
        request(5, &[], &note(&fork5, &log)).as_bytes(),
        1_700_000_300,
    );
    assert_eq!(a.status, 409, "{}", a.body);
    let fork7 = tree(&["a", "b", "c", "X", "Y", "f", "g"]);
    let forged = consistency_proof(&fork7, 5, 7).unwrap();
    let a = w.add_checkpoint(
        request(5, &forged, &note(&fork7, &log)).as_bytes(),
        1_700_000_400,
    );
    assert_eq!(a.status, 422, "{}", a.body);
    // The honest continuation is still cosigned.
    let t7 = tree(&["a", "b", "c", "d", "e", "f", "g"]);
    let a = w.add_checkpoint(
        request(5, &consistency_proof(&t7, 5, 7).unwrap(), &note(&t7, &log)).as_bytes(),
        1_700_000_500,
    );
    assert_eq!(a.status, 200, "{}", a.body);

    // One process at a time on a memory; a missing memory is not silently a new one.
    let second = Witness::open(
        KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap(),
        vec![log.public()],
        &state,
        false,
    );
    assert!(
        second
            .unwrap_err()
            .to_string()
            .contains("another witness process")
    );
    assert!(
        Witness::open(
            KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap(),
            vec![log.public()],
            &d.path().join("typo.json"),
            false
        )
        .unwrap_err()
        .to_string()
        .contains("--init")
    );
    // Its memory survives a restart.
    drop(w);
    let w = Witness::open(
        KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap(),
        vec![log.public()],
        &state,
        false,
    )
    .unwrap();
    assert_eq!(w.seen(ORIGIN).unwrap().size, 7);
    let a = w.add_checkpoint(request(0, &[], &n3).as_bytes(), 1_700_000_600);
    assert_eq!((a.status, a.body.as_str()), (409, "7\n"));
}

#[test]
fn what_a_witness_refuses_and_what_a_client_ignores() {
    let d = tempfile::tempdir().unwrap();
    let log = KeyPair::from_seed(ORIGIN, [7; 32]).unwrap();
    let other = KeyPair::from_seed(ORIGIN, [8; 32]).unwrap();
    let stranger = KeyPair::from_seed("elsewhere.example/log", [7; 32]).unwrap();
    let w = Witness::open(
        KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap(),
        vec![log.public()],
        &d.path().join("w.json"),
        true,
    )
    .unwrap();
    let t3 = tree(&["a", "b", "c"]);
    let status = |body: String| w.add_checkpoint(body.as_bytes(), 1).status;
    // A log it does not follow; a checkpoint signed by another key of the same name.
    let foreign = Checkpoint {
        origin: "elsewhere.example/log".into(),
        size: 3,
        root: t3.root(),
    }
    .sign(&stranger);
    assert_eq!(status(request(0, &[], &foreign)), 404);
    assert_eq!(status(request(0, &[], &note(&t3, &other))), 403);
    // Malformed requests.
    assert_eq!(
        status(request(4, &[], &note(&t3, &log))),
        400,
        "old above the size"
    );
    for body in [
        "",
        "old 01\n\n",
        "old x\n\n",
        "nothing",
        "old 0\nnot base64!\n\n",
    ] {
        assert_eq!(
            status(format!("{body}{}", note(&t3, &log))),
            400,
            "{body:?}"
        );
    }
    let many = vec![[0u8; 32]; 64];
    assert_eq!(status(request(1, &many, &note(&t3, &log))), 400);
    assert_eq!(w.add_checkpoint(&vec![b'a'; 70_000], 1).status, 400);
    // A client counts only cosignatures that verify, by witnesses it trusts, once each.
    let a = w.add_checkpoint(request(0, &[], &note(&t3, &log)).as_bytes(), 5);
    assert_eq!(a.status, 200);
    let wk = parse_vkey(&vkey(
        &KeyPair::from_seed("witness.example/w1", [9; 32])
            .unwrap()
            .public(),
    ))
    .unwrap();
    let n = note(&t3, &log);
    assert_eq!(
        cosigned_by(
            &format!("{n}{}{}", a.body, a.body),
            std::slice::from_ref(&wk)
        )
        .len(),
        1
    );
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (head, sig) = a.body.trim_end().rsplit_once(' ').unwrap();
    let mut raw = b64.decode(sig).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let tampered = format!("{head} {}\n", b64.encode(&raw));
    assert!(cosigned_by(&format!("{n}{tampered}"), std::slice::from_ref(&wk)).is_empty());
    // The time is signed too: the same signature with another time does not verify.
    let mut retimed = b64.decode(sig).unwrap();
    retimed[11] ^= 1;
    let retimed = format!("{head} {}\n", b64.encode(&retimed));
    assert!(cosigned_by(&format!("{n}{retimed}"), std::slice::from_ref(&wk)).is_empty());
    let unknown = KeyPair::from_seed("witness.example/w2", [3; 32])
        .unwrap()
        .public();
    assert!(
        cosigned_by(
            &format!("{n}{}", a.body),
            &[parse_vkey(&vkey(&unknown)).unwrap()]
        )
        .is_empty()
    );
    // Verifier keys: a log key is no cosigner key, and a wrong key id is refused.
    assert!(parse_vkey(&log.public().to_text()).is_err());
    let v = vkey(&wk);
    let wrong_id = format!("{}+00000000+{}", wk.name, v.rsplit('+').next().unwrap());
    assert!(parse_vkey(&wrong_id).is_err());
}

/// The fuzz seed was signed by another implementation (Python's `cryptography`, by hand from
/// the note and checkpoint formats): the witness accepts it, so the formats are read as
/// written elsewhere, not only as this code writes them.
#[test]
fn a_checkpoint_signed_elsewhere_is_cosigned() {
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds/witness_request/first");
    let body = std::fs::read(seed).unwrap();
    let d = tempfile::tempdir().unwrap();
    let log = KeyPair::from_seed("fuzz.example/log", [7; 32]).unwrap();
    let w = Witness::open(
        KeyPair::from_seed("fuzz.example/w", [9; 32]).unwrap(),
        vec![log.public()],
        &d.path().join("w.json"),
        true,
    )
    .unwrap();
    let a = w.add_checkpoint(&body, 1);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(w.seen("fuzz.example/log").unwrap().size, 3);
}

/// The cases the review of the first version named: an empty tree with a made-up root, a proof
/// where none is due, a replay, a cosignature moved to another checkpoint.
#[test]
fn edge_cases_of_the_protocol() {
    let d = tempfile::tempdir().unwrap();
    let log = KeyPair::from_seed(ORIGIN, [7; 32]).unwrap();
    let wk = KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap();
    let w = Witness::open(
        KeyPair::from_seed("witness.example/w1", [9; 32]).unwrap(),
        vec![log.public()],
        &d.path().join("w.json"),
        true,
    )
    .unwrap();
    let empty = Checkpoint {
        origin: ORIGIN.into(),
        size: 0,
        root: [1; 32],
    }
    .sign(&log);
    assert_eq!(
        w.add_checkpoint(request(0, &[], &empty).as_bytes(), 1)
            .status,
        422
    );
    let t3 = tree(&["a", "b", "c"]);
    let n3 = note(&t3, &log);
    assert_eq!(
        w.add_checkpoint(request(0, &[], &n3).as_bytes(), 1).status,
        200
    );
    // The same checkpoint again: cosigned again (nothing changes); with a proof: refused.
    assert_eq!(
        w.add_checkpoint(request(3, &[], &n3).as_bytes(), 2).status,
        200
    );
    assert_eq!(
        w.add_checkpoint(request(3, &[[0; 32]], &n3).as_bytes(), 2)
            .status,
        422
    );
    // A fork's 409 is not a stale size's 409.
    let fork = note(&tree(&["a", "b", "X"]), &log);
    let a = w.add_checkpoint(request(3, &[], &fork).as_bytes(), 3);
    assert_eq!(
        (a.status, a.content_type),
        (409, "text/plain; charset=utf-8")
    );
    assert!(a.body.contains("forked"));
    // A cosignature is of one checkpoint: moved onto another, it counts for nothing.
    let a = w.add_checkpoint(request(3, &[], &n3).as_bytes(), 4);
    let trusted = [parse_vkey(&vkey(&wk.public())).unwrap()];
    assert_eq!(cosigned_by(&format!("{n3}{}", a.body), &trusted).len(), 1);
    let t4 = tree(&["a", "b", "c", "d"]);
    assert!(cosigned_by(&format!("{}{}", note(&t4, &log), a.body), &trusted).is_empty());
}
