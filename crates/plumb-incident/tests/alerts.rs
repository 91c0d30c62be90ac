//! Alert payloads: the real Alertmanager samples of the shared corpus, and hostile input.

use std::path::PathBuf;

use plumb_incident::alerts::{alertmanager, generic};

fn corpus(rel: &str) -> Option<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/alertmanager")
        .join(rel);
    std::fs::read(&p).ok()
}

#[test]
fn corpus_payloads_read_as_sources_md_says() {
    let Some(_corpus) = plumb_testkit::corpus() else {
        return;
    };
    // (file, alerts, firing, has group key)
    for (f, n, firing) in [
        ("prom2teams/all_ok.json", 1, false),
        ("prom2teams/all_ok_multiple.json", 2, false),
        ("prom2teams/with_common_items.json", 1, false),
        ("prom2teams/without_fingerprint.json", 1, false),
        ("prometheus-msteams/large_prom_post_request.json", 19, true),
        ("prometheus-msteams/prom_post_request.json", 1, true),
        (
            "prometheus-msteams/prom_post_request_2_alerts.json",
            2,
            true,
        ),
        (
            "prometheus-msteams/prom_post_request_without_common_summary.json",
            1,
            true,
        ),
    ] {
        let a = alertmanager(&corpus(f).unwrap()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(a.len(), n, "{f}");
        assert!(a.iter().all(|x| x.firing == firing), "{f}");
        assert!(
            a.iter().all(|x| !x.key.is_empty() && x.key.contains('@')),
            "{f}"
        );
        if !firing {
            assert!(a.iter().all(|x| x.ends_at.is_some()), "{f}");
        }
    }
    // Older payloads without fingerprints: the key comes from the labels, distinct per alert.
    let a = alertmanager(&corpus("prometheus-msteams/prom_post_request_2_alerts.json").unwrap())
        .unwrap();
    assert_ne!(a[0].key, a[1].key);
    // Start times with offsets are normalised to UTC.
    let a = alertmanager(&corpus("prometheus-msteams/prom_post_request.json").unwrap()).unwrap();
    assert_eq!(a[0].starts_at, "2018-03-07T11:33:21Z");
    assert_eq!(a[0].summary, "Server High Memory usage");
    // No status anywhere: refused, naming it.
    let e = alertmanager(&corpus("prom2teams/without_mandatory_field.json").unwrap()).unwrap_err();
    assert!(e.to_string().contains("missing status"), "{e}");
}

const OK: &str = r#"{"version":"4","groupKey":"g","status":"firing","receiver":"plumb","alerts":[
 {"status":"firing","labels":{"alertname":"PaymentsErrors","service":"payments","severity":"critical"},
  "annotations":{"summary":"5xx on payments"},"startsAt":"2026-11-16T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"abc"}]}"#;

#[test]
fn a_v4_webhook_is_normalised() {
    let a = alertmanager(OK.as_bytes()).unwrap();
    assert_eq!(a[0].key, "abc@2026-11-16T08:00:00Z");
    assert_eq!(a[0].service.as_deref(), Some("payments"));
    assert_eq!(a[0].group.as_deref(), Some("g"));
    assert!(a[0].firing && a[0].ends_at.is_none());
}

#[test]
fn bad_webhooks_are_refused_with_the_field() {
    let cases: Vec<(String, &str)> = vec![
        (
            OK.replace("\"version\":\"4\"", "\"version\":\"3\""),
            "version",
        ),
        (OK.replace("\"version\":\"4\",", ""), "version"),
        (OK[..OK.len() / 2].to_string(), "Alertmanager webhook"),
        ("[]".into(), "body"),
        (
            OK.replace(
                "\"status\":\"firing\",\"labels\"",
                "\"status\":\"burning\",\"labels\"",
            ),
            "alerts[0].status",
        ),
        (
            OK.replace("2026-11-16T08:00:00Z", "yesterday"),
            "alerts[0].startsAt",
        ),
        (
            OK.replace(
                "\"startsAt\":\"2026-11-16T08:00:00Z\"",
                "\"startsAt\":\"2026-11-16T08:00:00\"",
            ),
            "alerts[0].startsAt",
        ),
        (
            OK.replace(
                "\"status\":\"firing\",\"labels\"",
                "\"status\":\"resolved\",\"labels\"",
            ),
            "alerts[0].endsAt",
        ),
        (
            OK.replace(
                "\"status\":\"firing\",\"labels\"",
                "\"status\":\"resolved\",\"labels\"",
            )
            .replace("0001-01-01T00:00:00Z", "2026-11-16T07:00:00Z"),
            "alerts[0].endsAt",
        ),
        (
            OK.replace("\"severity\":\"critical\"", "\"severity\":5"),
            "alerts[0].labels.severity",
        ),
        (
            OK.replace("\"fingerprint\":\"abc\"", "\"fingerprint\":7"),
            "alerts[0].fingerprint",
        ),
        (
            r#"{"version":"4","status":"firing","alerts":[]}"#.into(),
            "alerts",
        ),
    ];
    for (body, field) in cases {
        let e = alertmanager(body.as_bytes()).expect_err(&body).to_string();
        assert!(e.starts_with(field), "{field}: {e}");
    }
    // Deep nesting and huge inputs: refused, not a stack overflow or a hang.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(alertmanager(deep.as_bytes()).is_err());
    let many = format!(
        r#"{{"version":"4","status":"firing","alerts":[{}]}}"#,
        vec![r#"{"labels":{},"startsAt":"2026-11-16T08:00:00Z"}"#; 1001].join(",")
    );
    let e = alertmanager(many.as_bytes()).unwrap_err().to_string();
    assert!(e.contains("at most 1000"), "{e}");
}

#[test]
fn generic_alerts() {
    let one = r#"{"id":"chk-17","status":"firing","title":"Card authorisations failing","started_at":"2026-11-16T09:00:00+01:00","service":"payments","commit":"4f2a9c1"}"#;
    let a = generic(one.as_bytes()).unwrap();
    assert_eq!(a[0].key, "chk-17@2026-11-16T08:00:00Z");
    assert_eq!(a[0].commit.as_deref(), Some("4f2a9c1"));
    let many = format!(r#"{{"alerts":[{one},{one}]}}"#);
    assert_eq!(generic(many.as_bytes()).unwrap().len(), 2);
    for (body, want) in [
        (one.replace("\"service\"", "\"servce\""), "unknown field"),
        (one.replace("firing", "resolved"), "alerts[0].ended_at"),
        (
            one.replace(
                "\"status\":\"firing\"",
                "\"status\":\"resolved\",\"ended_at\":\"2026-11-16T07:00:00Z\"",
            ),
            "before it started",
        ),
        (one.replace("\"chk-17\"", "\"\""), "alerts[0].id"),
        (r#"{"alerts":[]}"#.to_string(), "empty"),
        ("nonsense".to_string(), "generic alert"),
    ] {
        let e = generic(body.as_bytes()).expect_err(&body).to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
}
