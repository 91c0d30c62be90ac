//! Evidence packs: export from a real store, verify with only the log's public key, and fail
//! on any change to any byte of the file.

mod common;

use common::{Kind, commit, now, record, store};
use plumb_ledger::keys::KeyPair;
use plumb_ledger::pack::verify_pack;
use plumb_ledger::store::Query;

/// Records a test report for payments with `report` attached.
fn record_report(l: &mut plumb_ledger::Ledger, report: std::path::PathBuf) {
    l.record(
        plumb_ledger::RecordRequest {
            subjects: vec![commit(7)],
            predicate_type: "https://plumbline.dev/attestation/tests/v1".into(),
            predicate: serde_json::json!({}),
            system: Some("payments".into()),
            run: None,
            attachments: vec![report],
        },
        now(),
    )
    .unwrap();
}

fn pack_with_blob() -> (tempfile::TempDir, Vec<u8>, plumb_ledger::keys::PublicKey) {
    let mut s = store(Kind::Sqlite);
    for n in 0..3 {
        record(
            &mut s.ledger,
            n,
            "payments",
            "https://in-toto.io/attestation/test-result/v0.1",
        );
    }
    let report = s.dir.path().join("junit.xml");
    std::fs::write(&report, "<testsuite tests=\"1\"/>").unwrap();
    record_report(&mut s.ledger, report);
    record(
        &mut s.ledger,
        9,
        "onboarding",
        "https://in-toto.io/attestation/test-result/v0.1",
    );
    let out = s.dir.path().join("pack.tar");
    let q = Query {
        system: Some("payments".into()),
        ..Default::default()
    };
    let summary = s.ledger.export(&q, &out, now()).unwrap();
    assert_eq!(
        (summary.entries, summary.blobs, summary.checkpoint_size),
        (4, 1, 5)
    );
    let key = s.ledger.public_key();
    let bytes = std::fs::read(&out).unwrap();
    let s_dir = s.dir;
    (s_dir, bytes, key)
}

#[test]
fn exported_pack_verifies_offline_with_the_log_key() {
    let (_d, bytes, key) = pack_with_blob();
    let rep = verify_pack(&bytes, std::slice::from_ref(&key)).unwrap();
    assert_eq!(rep.entries.len(), 4);
    assert_eq!(rep.checkpoint_size, 5);
    assert!(
        rep.entries
            .iter()
            .all(|e| e.system.as_deref() == Some("payments"))
    );
    assert!(
        rep.entries
            .iter()
            .all(|e| e.signers == vec!["test.local/log".to_string()])
    );
    assert_eq!(rep.blobs, 1);
    // The same selection exported twice at the same `now` gives the same bytes.
    let other = KeyPair::from_seed("test.local/log", [1; 32]).unwrap();
    let err = verify_pack(&bytes, &[other.public()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("trusted key"), "{err}");
}

#[test]
fn every_changed_byte_is_detected() {
    let (_d, bytes, key) = pack_with_blob();
    let keys = [key];
    let mut reasons = std::collections::BTreeSet::new();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        match verify_pack(&b, &keys) {
            Ok(_) => panic!("flipping byte {i} of {} was not detected", bytes.len()),
            Err(e) => {
                let msg = e.to_string();
                let reason: Vec<&str> = msg
                    .trim_start_matches("integrity: ")
                    .split_whitespace()
                    .take(3)
                    .collect();
                reasons.insert(reason.join(" "));
            }
        }
    }
    // The reasons name what changed, not only that something did.
    assert!(reasons.len() > 3, "{reasons:?}");
}

#[test]
fn truncated_extended_and_hostile_packs_are_refused() {
    let (_d, bytes, key) = pack_with_blob();
    let keys = [key];
    for cut in [
        0,
        100,
        512,
        bytes.len() / 2,
        bytes.len() - 1024,
        bytes.len() - 1,
    ] {
        assert!(
            verify_pack(&bytes[..cut], &keys).is_err(),
            "truncated at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0u8; 512]);
    assert!(verify_pack(&longer, &keys).is_err());
    assert!(verify_pack(b"not a tar file at all", &keys).is_err());

    // A member smuggled in after the signature.
    let mut smuggled = bytes[..bytes.len() - 1024].to_vec();
    let mut h = tar::Header::new_ustar();
    h.set_path("extra.txt").unwrap();
    h.set_size(3);
    h.set_cksum();
    smuggled.extend_from_slice(h.as_bytes());
    smuggled.extend_from_slice(b"abc");
    smuggled.resize(smuggled.len().div_ceil(512) * 512 + 1024, 0);
    let err = verify_pack(&smuggled, &keys).unwrap_err().to_string();
    assert!(err.contains("after SIGNATURE"), "{err}");

    // A path-traversal member name.
    let mut evil = Vec::new();
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"../escape");
    h.set_size(1);
    h.set_cksum();
    evil.extend_from_slice(h.as_bytes());
    evil.extend_from_slice(&[b'x'; 512]);
    evil.extend_from_slice(&[0u8; 1024]);
    let err = verify_pack(&evil, &keys).unwrap_err().to_string();
    assert!(err.contains("unsafe path"), "{err}");
}

#[test]
fn an_export_over_its_size_cap_stops_and_leaves_no_file() {
    let mut s = store(Kind::Sqlite);
    for n in 0..3 {
        record(
            &mut s.ledger,
            n,
            "payments",
            "https://in-toto.io/attestation/test-result/v0.1",
        );
    }
    let out = s.dir.path().join("pack.tar");
    let q = Query::default();
    let err = s.ledger.export_within(&q, &out, now(), 4096).unwrap_err();
    assert!(
        matches!(err, plumb_ledger::Error::TooLarge { limit: 4096, .. }),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("pack"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The same selection fits under the default cap.
    let summary = s.ledger.export(&q, &out, now()).unwrap();
    assert!(summary.bytes > 4096);
    assert_eq!(std::fs::metadata(&out).unwrap().len(), summary.bytes);
}

#[test]
fn a_blob_changed_in_the_store_fails_the_export_and_leaves_no_file() {
    let mut s = store(Kind::Sqlite);
    let report = s.dir.path().join("junit.xml");
    let original = "<testsuite tests=\"1\"/>";
    std::fs::write(&report, original).unwrap();
    record_report(&mut s.ledger, report);
    let digest = &plumb_ledger::hash::sha256_ref(&plumb_ledger::hash::sha256(original.as_bytes()));
    let stored = s.ledger.blobs().path_of(digest).unwrap();
    let out = s.dir.path().join("pack.tar");
    // Blobs are streamed into the pack, so each change is found while copying: same size
    // with other bytes, a longer file, a shorter one.
    let same_size = original.replace('1', "0");
    for changed in [same_size.as_str(), "<testsuite tests=\"1\"/><x/>", "<t/>"] {
        std::fs::write(&stored, changed).unwrap();
        let err = s.ledger.export(&Query::default(), &out, now()).unwrap_err();
        assert!(
            matches!(err, plumb_ledger::Error::Integrity(_)),
            "{changed}: {err}"
        );
        assert!(err.to_string().contains(digest.as_str()), "{err}");
        let left: Vec<_> = std::fs::read_dir(s.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("pack"))
            .collect();
        assert!(left.is_empty(), "{changed}: {left:?}");
    }
    std::fs::write(&stored, original).unwrap();
    let summary = s.ledger.export(&Query::default(), &out, now()).unwrap();
    let pack = std::fs::read(&out).unwrap();
    let rep = verify_pack(&pack, &[s.ledger.public_key()]).unwrap();
    assert_eq!((summary.blobs, rep.blobs), (1, 1));
}
