//! Reporting clocks of RTS 2025/301 Art. 5, computed from the incident's recorded times and the
//! entity's profile, with `now` as an input. Every deadline carries its explanation: the anchor,
//! the limit, the paragraph, and whether and why the weekend and bank-holiday rule moved it.

use chrono::{DateTime, Duration, LocalResult, Months, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use plumb_dora::incident as law;
use serde::{Deserialize, Serialize};

use crate::calendar::{Holidays, zone_of};
use crate::error::{Error, Result, fmt_time};

pub use plumb_records::incident::Stage;

/// Who the entity is, for the clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Member State (ISO 3166 alpha-2) whose weekends and bank holidays count.
    pub member_state: String,
    /// Zone for local times; the Member State's capital by default.
    pub time_zone: Tz,
    /// Type of financial entity (field 1.4 value).
    pub entity_type: String,
    /// Identified as essential or important entity under NIS2 Art. 3.
    pub nis2_entity: bool,
    /// The competent authority has disapplied the weekend rule (RTS 2025/301 Art. 5(6)).
    pub weekend_rule_disapplied: bool,
    /// Hours the entity gives itself for the updated intermediate report once regular
    /// activities are recovered: the law says "without undue delay" and sets no number, so
    /// this is house policy (default [`UPDATE_AFTER_RECOVERY_HOURS`]).
    pub update_hours: i64,
}

/// Default hours for the updated intermediate report after recovery (house policy).
pub const UPDATE_AFTER_RECOVERY_HOURS: i64 = 24;

impl Profile {
    /// A profile for `member_state` in its default zone.
    pub fn new(member_state: &str, entity_type: &str) -> Result<Profile> {
        let tz = zone_of(member_state).ok_or_else(|| {
            Error::invalid(
                "entity.member_state",
                format!("{member_state:?} is not an EU/EEA Member State code"),
            )
        })?;
        Ok(Profile {
            member_state: member_state.into(),
            time_zone: tz,
            entity_type: entity_type.into(),
            nis2_entity: false,
            weekend_rule_disapplied: false,
            update_hours: UPDATE_AFTER_RECOVERY_HOURS,
        })
    }

    /// Why the weekend rule does not apply to `stage`, if it does not.
    fn weekend_rule_off(&self, stage: Stage) -> Option<String> {
        if stage == Stage::Final {
            return None;
        }
        if law::WEEKEND_RULE_EXCLUDED_TYPES.contains(&self.entity_type.as_str()) {
            return Some(format!(
                "the weekend and bank-holiday rule does not apply to the {} of a {} ({})",
                stage.title(),
                self.entity_type.replace('_', " "),
                law::WEEKEND_EXCEPTION
            ));
        }
        if self.nis2_entity {
            return Some(format!(
                "the weekend and bank-holiday rule does not apply to the {} of an essential or important entity under NIS2 ({})",
                stage.title(),
                law::WEEKEND_EXCEPTION
            ));
        }
        if self.weekend_rule_disapplied {
            return Some(format!(
                "the competent authority has disapplied the weekend and bank-holiday rule for this entity ({})",
                law::WEEKEND_DISAPPLIED
            ));
        }
        None
    }
}

/// The recorded times the clocks run from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Times {
    /// When the entity became aware (detection, field 2.2).
    pub aware_at: Option<DateTime<Utc>>,
    /// When it was classified as major (field 2.3).
    pub classified_major_at: Option<DateTime<Utc>>,
    /// When the initial notification was submitted.
    pub initial_submitted_at: Option<DateTime<Utc>>,
    /// When each intermediate report (the first and its updates) was submitted, oldest
    /// first. The first one is judged against the intermediate deadline; the final report runs
    /// from the latest one sent while the final report was not yet overdue (RTS 2025/301 Art.
    /// 5(1)(b)-(c)).
    pub intermediate_submissions: Vec<DateTime<Utc>>,
    /// When the final report was submitted.
    pub final_submitted_at: Option<DateTime<Utc>>,
    /// When regular activities were recovered (field 3.3).
    pub recovered_at: Option<DateTime<Utc>>,
    /// Reclassified as non-major: no report is due any more.
    pub reclassified_at: Option<DateTime<Utc>>,
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Due in the future.
    Due,
    /// The deadline has passed without submission.
    Overdue,
    /// Submitted on time.
    Submitted,
    /// Submitted after the deadline.
    SubmittedLate,
    /// Not submitted, and no longer due: the incident was reclassified as non-major (ITS
    /// 2025/302 Art. 5). Kept so the history shows what was due, and whether it was already
    /// overdue then.
    Withdrawn,
}

/// One report's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Which report.
    pub stage: Stage,
    /// When it is due (UTC, RFC 3339).
    pub due_at: String,
    /// The same in the Member State's local time.
    pub due_local: String,
    /// The deadline before the weekend rule, when the rule moved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unadjusted: Option<String>,
    /// Where it stands at `now`.
    pub state: State,
    /// Seconds from `now` to the deadline (negative when past).
    pub seconds_left: i64,
    /// When it was submitted, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// How the deadline was computed, sentence by sentence, with citations.
    pub explanation: Vec<String>,
    /// The updated intermediate report due once regular activities are recovered after the
    /// last intermediate report (RTS 2025/301 Art. 5(1)(b)), not the first one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub update: bool,
}

impl Deadline {
    /// A name unique among an incident's deadlines, for metric labels and links:
    /// `initial`, `intermediate`, `intermediate_update`, `final`.
    pub fn label(&self) -> &'static str {
        if self.update {
            "intermediate_update"
        } else {
            self.stage.name()
        }
    }

    /// The report, in words.
    pub fn title(&self) -> &'static str {
        if self.update {
            "updated intermediate report (regular activities recovered)"
        } else {
            self.stage.title()
        }
    }
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The UTC instant of local `dt` in `tz`; in a spring-forward gap the first valid local time
/// after it, in a fall-back overlap the earlier (stricter) one.
fn at_local(tz: Tz, dt: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&dt) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => at_local(tz, dt + Duration::minutes(30)),
    }
}

/// Applies Art. 5(4): a deadline on a weekend day or bank holiday in the Member State moves to
/// noon of the next working day there, unless the rule is off for this stage and entity.
fn roll(
    stage: Stage,
    due: DateTime<Utc>,
    p: &Profile,
    holidays: &Holidays,
    ex: &mut Vec<String>,
) -> DateTime<Utc> {
    let day = due.with_timezone(&p.time_zone).date_naive();
    let Some(why) = holidays.non_working(&p.member_state, day) else {
        ex.push(format!(
            "{} is a working day in {}, so the deadline stands ({}).",
            day.format("%a %Y-%m-%d"),
            p.member_state,
            law::WEEKEND_RULE
        ));
        return due;
    };
    if let Some(off) = p.weekend_rule_off(stage) {
        ex.push(format!(
            "{} is {why} in {}, but {off}; the deadline stands.",
            day.format("%a %Y-%m-%d"),
            p.member_state
        ));
        return due;
    }
    let next = holidays.next_working_day(&p.member_state, day);
    let noon = NaiveTime::from_hms_opt(law::NEXT_WORKING_DAY_HOUR, 0, 0).expect("valid hour");
    let moved = at_local(p.time_zone, next.and_time(noon));
    ex.push(format!(
        "{} is {why} in {}, so the deadline moves to noon of the next working day, {} ({}).",
        day.format("%a %Y-%m-%d"),
        p.member_state,
        local(moved, p.time_zone),
        law::WEEKEND_RULE
    ));
    moved
}

fn deadline(
    stage: Stage,
    base: DateTime<Utc>,
    mut ex: Vec<String>,
    submitted: Option<DateTime<Utc>>,
    p: &Profile,
    holidays: &Holidays,
    now: DateTime<Utc>,
) -> Deadline {
    if !holidays.configured(&p.member_state) {
        ex.push(format!(
            "No bank holidays are configured for {}: only weekends are taken into account.",
            p.member_state
        ));
    }
    let due = roll(stage, base, p, holidays, &mut ex);
    let state = match submitted {
        Some(s) if s <= due => State::Submitted,
        Some(_) => State::SubmittedLate,
        None if now > due => State::Overdue,
        None => State::Due,
    };
    Deadline {
        stage,
        due_at: fmt_time(due),
        due_local: local(due, p.time_zone),
        unadjusted: (due != base).then(|| fmt_time(base)),
        state,
        seconds_left: (due - now).num_seconds(),
        submitted_at: submitted.map(fmt_time),
        explanation: ex,
        update: false,
    }
}

/// The updated intermediate report Art. 5(1)(b) asks for "without undue delay" once regular
/// activities are recovered, when they recovered after the last intermediate report: due
/// `update_hours` after recovery (house policy, said so), met by the first intermediate report
/// sent after recovery, or by the final report if that came first. None when recovery came
/// before every intermediate report (the report already says so) or nothing was sent yet.
fn update_on_recovery(t: &Times, p: &Profile, now: DateTime<Utc>) -> Option<Deadline> {
    let recovered = t.recovered_at?;
    // Only when an intermediate report went out before recovery: one sent after it says so.
    if !t.intermediate_submissions.iter().any(|s| *s < recovered) {
        return None;
    }
    let after = t
        .intermediate_submissions
        .iter()
        .filter(|s| **s >= recovered)
        .min()
        .copied();
    let base = recovered + Duration::hours(p.update_hours);
    let mut ex = vec![
        format!(
            "Regular activities recovered {} ({}), after the last intermediate report: an updated intermediate report is due without undue delay ({}).",
            fmt_time(recovered),
            local(recovered, p.time_zone),
            law::INTERMEDIATE_AFTER_INITIAL.reference
        ),
        format!(
            "The law sets no hours for \"without undue delay\"; this entity's policy is {} h (entity.intermediate_update_hours), so it is expected by {}.",
            p.update_hours,
            local(base, p.time_zone)
        ),
    ];
    let submitted = match (after, t.final_submitted_at) {
        (Some(a), Some(f)) if f < a => {
            ex.push("The final report, sent first, covers the recovery.".into());
            Some(f)
        }
        (Some(a), _) => Some(a),
        (None, Some(f)) => {
            ex.push("The final report, sent since, covers the recovery.".into());
            Some(f)
        }
        (None, None) => None,
    };
    let state = match submitted {
        Some(s) if s <= base => State::Submitted,
        Some(_) => State::SubmittedLate,
        None if now > base => State::Overdue,
        None => State::Due,
    };
    Some(Deadline {
        stage: Stage::Intermediate,
        due_at: fmt_time(base),
        due_local: local(base, p.time_zone),
        unadjusted: None,
        state,
        seconds_left: (base - now).num_seconds(),
        submitted_at: submitted.map(fmt_time),
        explanation: ex,
        update: true,
    })
}

fn hours(limit: law::TimeLimit) -> Duration {
    Duration::hours(limit.hours.expect("an hour limit"))
}

/// The deadlines as they stood when the incident was reclassified as non-major: reports
/// submitted keep their state (on time or late); the others are withdrawn, with a sentence
/// saying whether they were already overdue. Nothing is due any more.
fn history_at_reclassification(
    t: &Times,
    p: &Profile,
    holidays: &Holidays,
    reclassified: DateTime<Utc>,
) -> Result<Vec<Deadline>> {
    let before = Times {
        reclassified_at: None,
        ..t.clone()
    };
    let mut out = deadlines(&before, p, holidays, reclassified)?;
    for d in &mut out {
        let was = d.state;
        if matches!(was, State::Due | State::Overdue) {
            d.state = State::Withdrawn;
            d.seconds_left = 0;
            d.explanation.push(format!(
                "Reclassified as non-major on {} ({}): no longer due{}.",
                fmt_time(reclassified),
                law::RECLASSIFICATION,
                if was == State::Overdue {
                    ", though it was already overdue then"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(out)
}

/// One calendar month after `inter` in local time (31 Jan -> 28/29 Feb: the month's last day).
fn month_after(inter: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>> {
    let months = law::FINAL_AFTER_INTERMEDIATE.months.unwrap_or(1);
    inter
        .with_timezone(&tz)
        .naive_local()
        .checked_add_months(Months::new(months))
        .map(|d| at_local(tz, d))
        .ok_or_else(|| Error::invalid("intermediate submitted_at", "date out of range"))
}

/// The intermediate submission the final report runs from, its unadjusted deadline, and how
/// many later updates were passed over.
type Anchor = (DateTime<Utc>, DateTime<Utc>, usize);

/// The intermediate submission the final report runs from: the latest one sent before the final
/// report, as the earlier ones set it, was due (an update after that cannot turn an overdue
/// final report back into a due one).
fn final_anchor(
    submissions: &[DateTime<Utc>],
    tz: Tz,
    p: &Profile,
    holidays: &Holidays,
) -> Result<Option<Anchor>> {
    let mut sorted = submissions.to_vec();
    sorted.sort();
    let Some(&first) = sorted.first() else {
        return Ok(None);
    };
    let (mut anchor, mut base) = (first, month_after(first, tz)?);
    let mut ignored = 0;
    for &s in sorted.iter().skip(1) {
        let due = roll(Stage::Final, base, p, holidays, &mut Vec::new());
        if s <= due {
            anchor = s;
            base = month_after(s, tz)?;
        } else {
            ignored += 1;
        }
    }
    Ok(Some((anchor, base, ignored)))
}

/// The deadlines that apply at `now`: the initial notification once the incident is classified
/// major, the intermediate report once the initial notification is submitted, the final report
/// once an intermediate report is submitted. None after reclassification as non-major.
pub fn deadlines(
    t: &Times,
    p: &Profile,
    holidays: &Holidays,
    now: DateTime<Utc>,
) -> Result<Vec<Deadline>> {
    if let Some(r) = t.reclassified_at {
        return history_at_reclassification(t, p, holidays, r);
    }
    let mut out = Vec::new();
    let (Some(aware), Some(classified)) = (t.aware_at, t.classified_major_at) else {
        return Ok(out);
    };
    if classified < aware {
        return Err(Error::invalid(
            "classified_at",
            format!(
                "classification {} is before detection {}",
                fmt_time(classified),
                fmt_time(aware)
            ),
        ));
    }
    let tz = p.time_zone;
    let by_class = classified + hours(law::INITIAL_AFTER_CLASSIFICATION);
    let by_aware = aware + hours(law::INITIAL_AFTER_AWARENESS);
    let mut ex = vec![format!(
        "Became aware {} ({}); classified as major {} ({}).",
        fmt_time(aware),
        local(aware, tz),
        fmt_time(classified),
        local(classified, tz)
    )];
    let base = if classified <= by_aware {
        ex.push(format!(
            "Due within {} h of classification ({}) and no later than {} h after becoming aware ({}): the earlier, {} ({}).",
            law::INITIAL_AFTER_CLASSIFICATION.hours.unwrap_or_default(),
            fmt_time(by_class),
            law::INITIAL_AFTER_AWARENESS.hours.unwrap_or_default(),
            fmt_time(by_aware),
            fmt_time(by_class.min(by_aware)),
            law::INITIAL_AFTER_CLASSIFICATION.reference
        ));
        by_class.min(by_aware)
    } else {
        ex.push(format!(
            "Classified as major more than {} h after becoming aware, so due {} h after classification: {} ({}).",
            law::INITIAL_AFTER_AWARENESS.hours.unwrap_or_default(),
            law::INITIAL_LATE_CLASSIFICATION.hours.unwrap_or_default(),
            fmt_time(by_class),
            law::INITIAL_LATE_CLASSIFICATION.reference
        ));
        by_class
    };
    out.push(deadline(
        Stage::Initial,
        base,
        ex,
        t.initial_submitted_at,
        p,
        holidays,
        now,
    ));

    let Some(initial) = t.initial_submitted_at else {
        return Ok(out);
    };
    let base = initial + hours(law::INTERMEDIATE_AFTER_INITIAL);
    let ex = vec![
        format!(
            "Initial notification submitted {}; the intermediate report is due {} h later: {} ({}).",
            fmt_time(initial),
            law::INTERMEDIATE_AFTER_INITIAL.hours.unwrap_or_default(),
            fmt_time(base),
            law::INTERMEDIATE_AFTER_INITIAL.reference
        ),
        "It is due even if nothing has changed; update it without undue delay when regular activities are recovered.".into(),
    ];
    // Timeliness is judged on the first intermediate report; updates sent later do not make
    // an on-time report late.
    out.push(deadline(
        Stage::Intermediate,
        base,
        ex,
        t.intermediate_submissions.first().copied(),
        p,
        holidays,
        now,
    ));

    out.extend(update_on_recovery(t, p, now));

    let Some((inter, base, ignored)) = final_anchor(&t.intermediate_submissions, tz, p, holidays)?
    else {
        return Ok(out);
    };
    let mut ex = vec![format!(
        "Latest intermediate report submitted {} ({}); the final report is due one month later, {} ({}).",
        fmt_time(inter),
        local(inter, tz),
        local(base, tz),
        law::FINAL_AFTER_INTERMEDIATE.reference
    )];
    if ignored > 0 {
        ex.push(format!(
            "{ignored} update(s) of the intermediate report sent after the final report was due do not move its deadline."
        ));
    }
    out.push(deadline(
        Stage::Final,
        base,
        ex,
        t.final_submitted_at,
        p,
        holidays,
        now,
    ));
    Ok(out)
}

/// Art. 5(3): a notice that `stage`'s report cannot be submitted on time must reach the
/// authority before its deadline. Refused once that deadline has passed (the report is then
/// simply late) and for a report already submitted; the pending deadline of the stage is the one
/// judged (for the intermediate report, the update due on recovery once the first was sent).
pub fn notice_allowed(ds: &[Deadline], stage: Stage) -> Result<()> {
    let of_stage: Vec<&Deadline> = ds.iter().filter(|d| d.stage == stage).collect();
    let pending = of_stage
        .iter()
        .find(|d| matches!(d.state, State::Due | State::Overdue));
    match pending {
        Some(d) if d.seconds_left < 0 => Err(Error::State(format!(
            "the {} was due {} ({}): a notice that it cannot be met must come before the deadline ({}); submit the report late instead",
            d.title(),
            d.due_local,
            d.due_at,
            law::CANNOT_MEET_DEADLINE
        ))),
        Some(_) => Ok(()),
        None if !of_stage.is_empty() => Err(Error::State(format!(
            "the {} is not pending (submitted, or no longer due): there is no deadline to give notice of",
            stage.title()
        ))),
        None => Ok(()),
    }
}
