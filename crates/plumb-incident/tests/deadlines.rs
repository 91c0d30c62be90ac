//! The reporting-deadline case table (tests/cases/deadlines.yaml), states and bad input.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use plumb_incident::calendar::Holidays;
use plumb_incident::clock::{Deadline, Profile, Stage, State, Times, deadlines};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    cite: String,
    state: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    nis2: bool,
    #[serde(default)]
    disapplied: bool,
    #[serde(default)]
    holidays: Holidays,
    aware: String,
    classified: String,
    #[serde(default)]
    initial_submitted: Option<String>,
    #[serde(default)]
    intermediate_submitted: Option<String>,
    /// Later intermediate submissions (updates), in order.
    #[serde(default)]
    updates: Vec<String>,
    #[serde(default)]
    final_submitted: Option<String>,
    /// Regular activities recovered (field 3.3).
    #[serde(default)]
    recovered: Option<String>,
    /// Reclassified as non-major.
    #[serde(default)]
    reclassified: Option<String>,
    /// When the deadlines are judged (default: a minute after classification).
    #[serde(default)]
    now: Option<String>,
    /// Due times by report (`initial`, `intermediate`, `intermediate_update`, `final`).
    want: BTreeMap<String, String>,
    /// States by report, where the case is about them.
    #[serde(default)]
    states: BTreeMap<String, String>,
    /// A notice that a report cannot be met (Art. 5(3)), given at `now`.
    #[serde(default)]
    notice: Option<NoticeCase>,
    #[serde(default)]
    explain: Option<String>,
}

#[derive(Deserialize)]
struct NoticeCase {
    stage: String,
    allowed: bool,
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn deadline_cases_from_the_legal_text() {
    let cases: Vec<Case> =
        yaml_serde::from_str(include_str!("cases/deadlines.yaml")).expect("case table");
    let mut failures = Vec::new();
    for c in &cases {
        let mut p = Profile::new(&c.state, &c.kind).unwrap();
        p.nis2_entity = c.nis2;
        p.weekend_rule_disapplied = c.disapplied;
        c.holidays.validate().unwrap();
        let times = Times {
            aware_at: Some(t(&c.aware)),
            classified_major_at: Some(t(&c.classified)),
            initial_submitted_at: c.initial_submitted.as_deref().map(t),
            intermediate_submissions: c
                .intermediate_submitted
                .iter()
                .chain(&c.updates)
                .map(|s| t(s))
                .collect(),
            final_submitted_at: c.final_submitted.as_deref().map(t),
            recovered_at: c.recovered.as_deref().map(t),
            reclassified_at: c.reclassified.as_deref().map(t),
        };
        let now = c
            .now
            .as_deref()
            .map_or(t(&c.classified) + Duration::minutes(1), t);
        let d = deadlines(&times, &p, &c.holidays, now).unwrap();
        let got: BTreeMap<String, String> = d
            .iter()
            .map(|x| (x.label().to_string(), x.due_at.clone()))
            .collect();
        let states: BTreeMap<String, String> = d
            .iter()
            .filter(|x| c.states.contains_key(x.label()))
            .map(|x| {
                let s = serde_json::to_value(x.state).unwrap();
                (x.label().to_string(), s.as_str().unwrap_or("").to_string())
            })
            .collect();
        if states != c.states {
            failures.push(format!(
                "{} ({}): states {states:?}, want {:?}",
                c.name, c.cite, c.states
            ));
        }
        if let Some(n) = &c.notice {
            let stage = Stage::from_name(&n.stage).expect("a stage");
            let got = plumb_incident::clock::notice_allowed(&d, stage);
            if got.is_ok() != n.allowed {
                failures.push(format!(
                    "{} ({}): notice for {} gave {got:?}, want allowed = {}",
                    c.name, c.cite, n.stage, n.allowed
                ));
            }
        }
        let text: String = d
            .iter()
            .flat_map(|x| x.explanation.clone())
            .collect::<Vec<_>>()
            .join("\n");
        if got != c.want {
            failures.push(format!(
                "{} ({}): got {got:?}, want {:?}\n{text}",
                c.name, c.cite, c.want
            ));
        }
        if let Some(w) = &c.explain
            && !text.contains(w.as_str())
        {
            failures.push(format!("{}: explanation lacks {w:?}:\n{text}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn states_follow_now_and_submissions() {
    let p = Profile::new("DE", "payment_institution").unwrap();
    let h = Holidays::default();
    let mut times = Times {
        aware_at: Some(t("2026-11-16T08:00:00Z")),
        classified_major_at: Some(t("2026-11-16T09:00:00Z")),
        ..Default::default()
    };
    let at = |times: &Times, now: &str| deadlines(times, &p, &h, t(now)).unwrap();
    let d = at(&times, "2026-11-16T12:00:00Z");
    assert_eq!(
        (d.len(), d[0].state, d[0].seconds_left),
        (1, State::Due, 3600)
    );
    assert!(d[0].due_local.contains("14:00 CET"), "{}", d[0].due_local);
    let d = at(&times, "2026-11-16T13:00:01Z");
    assert_eq!((d[0].state, d[0].seconds_left), (State::Overdue, -1));
    times.initial_submitted_at = Some(t("2026-11-16T13:30:00Z"));
    let d = at(&times, "2026-11-16T14:00:00Z");
    assert_eq!(d[0].state, State::SubmittedLate);
    assert_eq!(d[1].stage, Stage::Intermediate);
    assert_eq!(d[1].due_at, "2026-11-19T13:30:00Z");
    times.initial_submitted_at = Some(t("2026-11-16T12:59:00Z"));
    assert_eq!(
        at(&times, "2026-11-16T14:00:00Z")[0].state,
        State::Submitted
    );
    // Reclassified as non-major: nothing is due any more; the initial notification submitted
    // on time stays in the history, the intermediate report is withdrawn.
    times.reclassified_at = Some(t("2026-11-16T15:00:00Z"));
    let d = at(&times, "2026-11-16T16:00:00Z");
    assert_eq!(
        d.iter().map(|x| x.state).collect::<Vec<_>>(),
        vec![State::Submitted, State::Withdrawn]
    );
    // Not classified as major: no clock runs.
    let none = Times {
        aware_at: Some(t("2026-11-16T08:00:00Z")),
        ..Default::default()
    };
    assert!(at(&none, "2026-11-20T00:00:00Z").is_empty());
}

#[test]
fn impossible_times_and_unknown_states_are_refused() {
    let p = Profile::new("DE", "payment_institution").unwrap();
    let times = Times {
        aware_at: Some(t("2026-11-16T08:00:00Z")),
        classified_major_at: Some(t("2026-11-16T07:00:00Z")),
        ..Default::default()
    };
    let e = deadlines(&times, &p, &Holidays::default(), t("2026-11-16T09:00:00Z"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("before detection"), "{e}");
    assert!(Profile::new("XX", "credit_institution").is_err());
    assert!(
        Profile::new("UK", "credit_institution").is_err(),
        "not a Member State"
    );
    let h: Holidays = yaml_serde::from_str("{XX: [2026-01-01]}").unwrap();
    assert!(h.validate().is_err());
    assert!(yaml_serde::from_str::<Holidays>("{DE: [2026-02-30]}").is_err());
}

/// RTS 2025/301 Art. 5(1)(b)-(c): timeliness is judged on the first intermediate report, and the
/// final report runs from the latest one; an update sent after the final report was due does not
/// make it due again.
#[test]
fn intermediate_updates_neither_make_it_late_nor_revive_an_overdue_final_report() {
    let p = Profile::new("DE", "credit_institution").unwrap();
    let h = Holidays::default();
    let classified = t("2026-03-02T09:00:00Z");
    let initial = t("2026-03-02T10:00:00Z");
    let first = t("2026-03-04T09:00:00Z"); // within 72 h of the initial notification
    let update = t("2026-03-10T09:00:00Z"); // a week later: an update
    let times = Times {
        aware_at: Some(classified),
        classified_major_at: Some(classified),
        initial_submitted_at: Some(initial),
        intermediate_submissions: vec![first, update],
        ..Default::default()
    };
    let now = t("2026-03-20T12:00:00Z");
    let d = deadlines(&times, &p, &h, now).unwrap();
    let by = |s: Stage| d.iter().find(|x| x.stage == s).unwrap();
    assert_eq!(
        by(Stage::Intermediate).state,
        State::Submitted,
        "on time, whatever the update"
    );
    let fin = by(Stage::Final);
    assert!(
        fin.due_at.starts_with("2026-04-10"),
        "a month after the update: {}",
        fin.due_at
    );
    assert_eq!(fin.state, State::Due);

    // An update sent after the final report was due: it stays overdue.
    let late_update = t("2026-05-01T09:00:00Z");
    let times = Times {
        intermediate_submissions: vec![first, late_update],
        ..times
    };
    let now = t("2026-05-02T12:00:00Z");
    let d = deadlines(&times, &p, &h, now).unwrap();
    let fin = d.iter().find(|x| x.stage == Stage::Final).unwrap();
    assert!(
        fin.due_at.starts_with("2026-04-0"),
        "anchored on the first: {}",
        fin.due_at
    );
    assert_eq!(fin.state, State::Overdue);
    assert!(
        fin.explanation
            .iter()
            .any(|e| e.contains("do not move its deadline")),
        "{:?}",
        fin.explanation
    );
}

/// RTS 2025/301 Art. 5(1)(b): regular activities recovered after the last intermediate report
/// call for an updated one "without undue delay"; it gets its own clock (the entity's hours,
/// said to be policy), met by the next intermediate report or by the final report.
#[test]
fn recovery_after_the_intermediate_report_prompts_an_update_with_its_own_clock() {
    let mut p = Profile::new("DE", "credit_institution").unwrap();
    let h = Holidays::default();
    let classified = t("2026-03-02T09:00:00Z");
    let first = t("2026-03-04T09:00:00Z");
    let recovered = t("2026-03-05T08:00:00Z");
    let times = Times {
        aware_at: Some(classified),
        classified_major_at: Some(classified),
        initial_submitted_at: Some(t("2026-03-02T10:00:00Z")),
        intermediate_submissions: vec![first],
        recovered_at: Some(recovered),
        ..Default::default()
    };
    let update = |d: &[Deadline]| d.iter().find(|x| x.update).cloned();
    // Due 24 h after recovery by default; overdue after that.
    let d = deadlines(&times, &p, &h, t("2026-03-05T09:00:00Z")).unwrap();
    let u = update(&d).expect("an update is due");
    assert_eq!(
        (u.state, u.due_at.as_str()),
        (State::Due, "2026-03-06T08:00:00Z")
    );
    assert_eq!(u.label(), "intermediate_update");
    assert!(
        u.explanation.iter().any(|e| e.contains("policy")),
        "{:?}",
        u.explanation
    );
    // The first intermediate report keeps its own state; the final report still runs from it.
    let inter = d
        .iter()
        .find(|x| x.stage == Stage::Intermediate && !x.update)
        .unwrap();
    assert_eq!(inter.state, State::Submitted);
    assert_eq!(
        update(&deadlines(&times, &p, &h, t("2026-03-06T09:00:00Z")).unwrap())
            .unwrap()
            .state,
        State::Overdue
    );
    // The entity's own hours.
    p.update_hours = 4;
    let u = update(&deadlines(&times, &p, &h, t("2026-03-05T09:00:00Z")).unwrap()).unwrap();
    assert_eq!(u.due_at, "2026-03-05T12:00:00Z");
    p.update_hours = 24;
    // An update sent after recovery meets it (late if after the hours).
    let sent = Times {
        intermediate_submissions: vec![first, t("2026-03-05T20:00:00Z")],
        ..times.clone()
    };
    let u = update(&deadlines(&sent, &p, &h, t("2026-03-07T09:00:00Z")).unwrap()).unwrap();
    assert_eq!(u.state, State::Submitted);
    let late = Times {
        intermediate_submissions: vec![first, t("2026-03-06T20:00:00Z")],
        ..times.clone()
    };
    let u = update(&deadlines(&late, &p, &h, t("2026-03-07T09:00:00Z")).unwrap()).unwrap();
    assert_eq!(u.state, State::SubmittedLate);
    // The final report, sent first, covers it.
    let fin = Times {
        final_submitted_at: Some(t("2026-03-05T10:00:00Z")),
        ..times.clone()
    };
    let u = update(&deadlines(&fin, &p, &h, t("2026-03-07T09:00:00Z")).unwrap()).unwrap();
    assert_eq!(u.state, State::Submitted);
    // Recovery before the intermediate report: the report already says so; nothing more due.
    let before = Times {
        recovered_at: Some(t("2026-03-03T08:00:00Z")),
        ..times.clone()
    };
    assert!(update(&deadlines(&before, &p, &h, t("2026-03-05T09:00:00Z")).unwrap()).is_none());
    // Not recovered yet: nothing.
    let open = Times {
        recovered_at: None,
        ..times
    };
    assert!(update(&deadlines(&open, &p, &h, t("2026-03-05T09:00:00Z")).unwrap()).is_none());
}

/// ITS 2025/302 Art. 5: after reclassification as non-major nothing is due, but the history
/// stays: a report submitted late is still late, and one overdue then says so.
#[test]
fn reclassification_keeps_the_deadlines_as_history() {
    let p = Profile::new("DE", "credit_institution").unwrap();
    let h = Holidays::default();
    let classified = t("2026-03-02T09:00:00Z");
    let late_initial = t("2026-03-02T15:00:00Z"); // due 13:00
    let times = Times {
        aware_at: Some(classified),
        classified_major_at: Some(classified),
        initial_submitted_at: Some(late_initial),
        // The intermediate report (due 72 h after the initial) was never sent.
        reclassified_at: Some(t("2026-03-06T09:00:00Z")),
        ..Default::default()
    };
    let d = deadlines(&times, &p, &h, t("2026-03-20T12:00:00Z")).unwrap();
    let by = |s: Stage| d.iter().find(|x| x.stage == s).unwrap();
    assert_eq!(by(Stage::Initial).state, State::SubmittedLate);
    let inter = by(Stage::Intermediate);
    assert_eq!(inter.state, State::Withdrawn);
    assert!(
        inter
            .explanation
            .iter()
            .any(|e| e.contains("already overdue")),
        "{:?}",
        inter.explanation
    );
    assert!(
        d.iter()
            .all(|x| !matches!(x.state, State::Due | State::Overdue))
    );
}
