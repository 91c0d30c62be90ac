//! The rules an IR document must pass, enforced in code: the schema's own per-stage rules are
//! written with a keyword (`dependencies`) that JSON Schema 2020-12 dropped, so a strict
//! validator of the published file accepts nearly anything. Each rule here names the field and
//! says what is wrong; a report with any violation is refused for submission.
//!
//! The rules: the document's shape (every member known, of its JSON type, enumerations spelled
//! as the schema spells them, nothing empty), the base members every stage needs, what the
//! intermediate and the final report add, the per-criterion members, the "required if" rules
//! the schema states but does not enforce, and the entity rules. Where the schema is looser than
//! the ITS (it does not require `impactAssessment` in a final report), the ITS wins: a later
//! report contains everything an earlier one did (ITS 2025/302 Art. 1).

use serde::Serialize;
use serde_json::Value;

use super::Version;
use super::emit::{given, lei_shaped};
use super::layout::{Kind, PLACES, Place};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Field code of Annex I (`-` for members without one).
    pub field: String,
    /// Where in the document, as a dotted path.
    pub path: String,
    /// What is wrong.
    pub rule: String,
}

impl Violation {
    /// A violation of field `field` at `path`.
    pub fn new(field: &str, path: &str, rule: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            path: path.into(),
            rule: rule.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.path, self.rule)
    }
}

/// Report stages in the order they build on each other; reclassification needs only the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Reclassified,
    Initial,
    Intermediate,
    Final,
}

fn stage_of(doc: &Value) -> Option<Stage> {
    Some(match doc.get("incidentSubmission")?.as_str()? {
        "initial_notification" => Stage::Initial,
        "intermediate_report" => Stage::Intermediate,
        "final_report" => Stage::Final,
        "major_incident_reclassified_as_non-major" => Stage::Reclassified,
        _ => return None,
    })
}

/// The values at a dotted path; `name[]` steps into every item of an array.
fn at<'a>(v: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut cur = vec![v];
    for seg in path.split('.') {
        let mut next = Vec::new();
        for c in cur {
            match seg.strip_suffix("[]") {
                Some(k) => {
                    if let Some(Value::Array(a)) = c.get(k) {
                        next.extend(a.iter());
                    }
                }
                None => {
                    if let Some(x) = c.get(seg) {
                        next.push(x);
                    }
                }
            }
        }
        cur = next;
    }
    cur
}

pub(crate) fn present(doc: &Value, path: &str) -> bool {
    at(doc, path).into_iter().any(given)
}

fn contains(doc: &Value, path: &str, pred: impl Fn(&str) -> bool) -> bool {
    at(doc, path).into_iter().any(|v| match v {
        Value::String(s) => pred(s),
        Value::Array(a) => a.iter().any(|x| x.as_str().is_some_and(&pred)),
        _ => false,
    })
}

fn place_of(path: &str, places: &'static [Place]) -> Option<&'static Place> {
    places.iter().find(|p| p.path == path)
}

fn code_of(path: &str) -> &'static str {
    place_of(path, PLACES).map_or("-", |p| p.code)
}

/// Every rule, in order: shape, base, stage, per-criterion, conditional, entity.
pub fn check(doc: &Value, version: Version) -> Vec<Violation> {
    let mut out = Vec::new();
    if !doc.is_object() {
        out.push(Violation::new(
            "-",
            "",
            "the document must be a JSON object",
        ));
        return out;
    }
    shape(doc, "", PLACES, &mut out);
    let stage = stage_of(doc);
    required(doc, stage, &mut out);
    per_criterion(doc, stage, version, &mut out);
    conditional(doc, stage, &mut out);
    entities(doc, version, &mut out);
    out
}

/// Paths that are objects (or arrays of objects) holding places.
fn is_container(path: &str, places: &[Place]) -> bool {
    places.iter().any(|p| {
        p.path
            .strip_prefix(path)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Every member of `v` known to `places` and of its type, recursively.
pub(crate) fn shape(v: &Value, prefix: &str, places: &'static [Place], out: &mut Vec<Violation>) {
    let Value::Object(m) = v else { return };
    for (k, x) in m {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if let Some(p) = place_of(&path, places) {
            kind(p, &path, x, out);
        } else if is_container(&path, places) {
            if x.is_object() {
                shape(x, &path, places, out);
            } else {
                out.push(Violation::new("-", &path, "must be an object"));
            }
        } else if is_container(&format!("{path}[]"), places) {
            match x {
                Value::Array(a) if !a.is_empty() => {
                    for item in a {
                        if item.is_object() {
                            shape(item, &format!("{path}[]"), places, out);
                        } else {
                            out.push(Violation::new("-", &path, "items must be objects"));
                        }
                    }
                }
                _ => out.push(Violation::new(
                    "-",
                    &path,
                    "must be a non-empty array of objects",
                )),
            }
        } else {
            out.push(Violation::new(
                "-",
                &path,
                "is not a member of the document (the schema allows no other members)",
            ));
        }
    }
}

const MAX_TEXT: usize = 32_767;

/// The value of one place against its kind.
fn kind(p: &Place, path: &str, v: &Value, out: &mut Vec<Violation>) {
    let bad = |rule: String| Violation::new(p.code, path, rule);
    let enum_msg = |s: &Value, allowed: &[&str]| {
        format!(
            "{s} is not a value the schema allows; allowed: {}",
            allowed.join(", ")
        )
    };
    let problem: Option<String> = match (p.kind, v) {
        (_, Value::String(s)) if s.trim().is_empty() => {
            Some("is empty: leave it out instead (IR 1.3 refuses empty strings)".into())
        }
        (Kind::Text, Value::String(s)) if s.chars().count() > MAX_TEXT => {
            Some(format!("is longer than {MAX_TEXT} characters"))
        }
        (Kind::Text | Kind::LongText, Value::String(_)) => None,
        (Kind::Enum(allowed), Value::String(s)) if allowed.contains(&s.as_str()) => None,
        (Kind::Enum(allowed), x) => Some(enum_msg(x, allowed)),
        (Kind::EnumList(_), Value::Array(a)) if a.is_empty() => {
            Some("is an empty list: leave it out instead".into())
        }
        (Kind::EnumList(allowed), Value::Array(a)) => a
            .iter()
            .find(|x| !x.as_str().is_some_and(|s| allowed.contains(&s)))
            .map(|x| enum_msg(x, allowed))
            .or_else(|| {
                let mut seen: Vec<&Value> = Vec::new();
                a.iter().find_map(|x| {
                    if seen.contains(&x) {
                        Some(format!("lists {x} twice"))
                    } else {
                        seen.push(x);
                        None
                    }
                })
            }),
        (Kind::Bool, Value::Bool(_)) => None,
        (Kind::Int, Value::Number(n)) if n.as_u64().is_some() => None,
        (Kind::Int, _) => Some(format!("{v} must be a whole number, not negative")),
        (Kind::Number, Value::Number(n)) if n.as_f64().is_some_and(|x| x >= 0.0) => None,
        (Kind::Number, _) => Some(format!("{v} must be a number (an amount, not negative)")),
        (Kind::Percent, Value::Number(n))
            if n.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x)) =>
        {
            None
        }
        (Kind::Percent, _) => Some(format!("{v} must be a number from 0 to 100")),
        (Kind::DateTime, Value::String(s)) if utc_time(s) => None,
        (Kind::DateTime, _) => Some(format!(
            "{v} must be an RFC 3339 date-time in UTC, e.g. 2026-03-02T09:15:00Z"
        )),
        (Kind::Duration, Value::String(s)) if duration(s) => None,
        (Kind::Duration, _) => Some(format!(
            "{v} must be days, hours and minutes as DDD:HH:MM, e.g. 001:06:30"
        )),
        (Kind::Lei, Value::String(s)) if lei_shaped(s) => None,
        (Kind::Lei, _) => Some(format!(
            "{v} is not an LEI (18 capital letters or digits, then 2 digits)"
        )),
        (Kind::Phone, Value::String(s)) if phone(s) => None,
        (Kind::Phone, _) => Some(format!(
            "{v} is not a telephone number (digits, optionally +country code, spaces, dots or dashes)"
        )),
        (Kind::Email, Value::String(s)) if email(s) => None,
        (Kind::Email, _) => Some(format!("{v} is not an e-mail address")),
        (Kind::Bool, _) => Some(format!("{v} must be true or false")),
        (Kind::EnumList(_), _) => Some(format!("{v} must be a list")),
        (Kind::Text | Kind::LongText, _) => Some(format!("{v} must be text")),
    };
    if let Some(rule) = problem {
        out.push(bad(rule));
    }
}

fn utc_time(s: &str) -> bool {
    s.ends_with('Z')
        && s.len() >= 20
        && s.as_bytes().get(10) == Some(&b'T')
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn duration(s: &str) -> bool {
    let mut parts = s.split(':');
    let (Some(d), Some(h), Some(m), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let digits = |x: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&x.len()) && x.bytes().all(|b| b.is_ascii_digit())
    };
    digits(d, 1, 3)
        && digits(h, 2, 2)
        && digits(m, 2, 2)
        && h.parse::<u32>().is_ok_and(|h| h < 24)
        && m.parse::<u32>().is_ok_and(|m| m < 60)
}

/// The schema's telephone pattern: a leading run of at least two digits not starting with 0,
/// after an optional `+`; an optional area code in brackets; then digit groups, each after at
/// most one space, dot or dash.
fn phone(s: &str) -> bool {
    let b = s.strip_prefix('+').unwrap_or(s).as_bytes();
    let run = |i: usize| b.iter().skip(i).take_while(|c| c.is_ascii_digit()).count();
    let lead = run(0);
    if lead < 2 || b.first() == Some(&b'0') {
        return false;
    }
    let mut i = lead;
    let space_then_bracket =
        b.get(i).is_some_and(u8::is_ascii_whitespace) && b.get(i + 1) == Some(&b'(');
    if b.get(i) == Some(&b'(') || space_then_bracket {
        i += usize::from(space_then_bracket) + 1;
        let n = run(i);
        if n == 0 || b.get(i + n) != Some(&b')') {
            return false;
        }
        i += n + 1;
    }
    while i < b.len() {
        if matches!(b.get(i), Some(c) if *c == b'-' || *c == b'.' || c.is_ascii_whitespace()) {
            i += 1;
        }
        let n = run(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    true
}

fn email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// Members every stage needs, and what the intermediate and final reports add.
fn required(doc: &Value, stage: Option<Stage>, out: &mut Vec<Violation>) {
    let Some(stage) = stage else {
        if !present(doc, "incidentSubmission") {
            out.push(Violation::new(
                "1.1",
                "incidentSubmission",
                "is required in every report",
            ));
        }
        return;
    };
    let base = [
        "submittingEntity.name",
        "affectedEntity[].affectedEntityType",
        "primaryContact.email",
        "incident.incidentDescription",
        "incident.classificationTypes[].classificationCriterion",
    ];
    let intermediate = [
        "incident.financialEntityCode",
        "incident.incidentType.incidentClassification",
        "impactAssessment.criticalServicesAffected",
        "impactAssessment.affectedAssets",
        "impactAssessment.isAffectedInfrastructureComponents",
        "impactAssessment.serviceImpact",
    ];
    let fin = [
        "incident.rootCauseHLClassification",
        "incident.incidentResolutionSummary",
        "incident.incidentResolutionDateTime",
        "incident.incidentResolutionVsPlannedImplementation",
        "incident.financialRecoveriesAmount",
    ];
    let mut need = |paths: &[&str], when: &str| {
        for path in paths {
            if !present(doc, path) {
                out.push(Violation::new(
                    code_of(path),
                    path,
                    format!("is required in {when}"),
                ));
            }
        }
    };
    need(&base, "every report");
    if stage >= Stage::Intermediate {
        need(&intermediate, "intermediate and final reports");
    }
    if stage >= Stage::Final {
        need(&fin, "the final report");
    }
    // Each affected entity needs its type, not just one of them.
    for (i, e) in at(doc, "affectedEntity[]").into_iter().enumerate() {
        if !e.get("affectedEntityType").is_some_and(given) {
            out.push(Violation::new(
                "1.4",
                &format!("affectedEntity[{i}].affectedEntityType"),
                "is required for every affected entity",
            ));
        }
    }
}

/// Members required inside the item of a criterion met.
fn per_criterion(doc: &Value, stage: Option<Stage>, version: Version, out: &mut Vec<Violation>) {
    let Some(stage) = stage else { return };
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in at(doc, "incident.classificationTypes[]")
        .into_iter()
        .enumerate()
    {
        let Some(c) = item.get("classificationCriterion").and_then(Value::as_str) else {
            continue;
        };
        let path = format!("incident.classificationTypes[{i}]");
        if seen.contains(&c) {
            out.push(Violation::new("2.5", &path, format!("{c} is listed twice")));
        }
        seen.push(c);
        let economic_from = if version == Version::V1_3 {
            Stage::Initial
        } else {
            Stage::Final
        };
        let wanted: &[(&str, &str, Stage)] = match c {
            "geographical_spread" => &[
                ("2.6", "countryCodeMaterialityThresholds", Stage::Initial),
                ("3.18", "memberStatesImpactType", Stage::Intermediate),
                (
                    "3.19",
                    "memberStatesImpactTypeDescription",
                    Stage::Intermediate,
                ),
            ],
            "data_losses" => &[
                (
                    "3.20",
                    "dataLosseMaterialityThresholds",
                    Stage::Intermediate,
                ),
                ("3.21", "dataLossesDescription", Stage::Intermediate),
            ],
            "reputational_impact" => &[
                ("3.13", "reputationalImpactType", Stage::Intermediate),
                ("3.14", "reputationalImpactDescription", Stage::Intermediate),
            ],
            "economic_impact" => &[("4.12", "economicImpactMaterialityThreshold", economic_from)],
            _ => &[],
        };
        for (code, key, from) in wanted {
            if stage >= *from && !item.get(*key).is_some_and(given) {
                out.push(Violation::new(
                    code,
                    &format!("{path}.{key}"),
                    format!("is required in the {c} item"),
                ));
            }
        }
    }
}

/// The "required if" rules: a member required because another holds a value.
/// Each applies from the stage whose section holds the member (sections 3 and 4 of Annex I).
fn conditional(doc: &Value, stage: Option<Stage>, out: &mut Vec<Violation>) {
    let Some(stage) = stage else { return };
    let is = |v: &'static str| move |s: &str| s == v;
    use Stage::{Final as F, Intermediate as M};
    let rules: [(&str, bool, &str, Stage); 10] = [
        (
            "incident.incidentType.otherIncidentClassification",
            contains(
                doc,
                "incident.incidentType.incidentClassification",
                is("other"),
            ),
            "3.23 lists other",
            M,
        ),
        (
            "incident.incidentType.threatTechniques",
            contains(
                doc,
                "incident.incidentType.incidentClassification",
                is("cybersecurity-related"),
            ),
            "the incident is cybersecurity-related (3.23)",
            M,
        ),
        (
            "incident.incidentType.indicatorsOfCompromise",
            contains(
                doc,
                "incident.incidentType.incidentClassification",
                is("cybersecurity-related"),
            ),
            "the incident is cybersecurity-related (3.23)",
            M,
        ),
        (
            "incident.incidentType.otherThreatTechniques",
            contains(doc, "incident.incidentType.threatTechniques", is("other")),
            "3.25 lists other",
            M,
        ),
        (
            "reportingToOtherAuthoritiesOther",
            contains(doc, "reportingToOtherAuthorities", is("other")),
            "3.31 lists other",
            M,
        ),
        (
            "incident.rootCausesOther",
            contains(doc, "incident.rootCausesDetailedClassification", |s| {
                s.ends_with("_other")
            }),
            "4.2 lists an other root cause",
            F,
        ),
        (
            "impactAssessment.serviceImpact.descriptionOfTemporaryActionsMeasuresForRecovery",
            at(
                doc,
                "impactAssessment.serviceImpact.isTemporaryActionsMeasuresForRecovery",
            )
            .contains(&&Value::Bool(true)),
            "3.33 says temporary actions were taken",
            M,
        ),
        (
            "impactAssessment.serviceImpact.serviceRestorationDateTime",
            present(doc, "impactAssessment.serviceImpact.serviceDowntime"),
            "a service downtime is given (3.16)",
            M,
        ),
        (
            "informationDurationServiceDowntimeActualOrEstimate",
            present(doc, "impactAssessment.serviceImpact.serviceDowntime"),
            "a service downtime is given (3.16)",
            M,
        ),
        (
            "incident.recurringIncidentDate",
            present(doc, "incident.recurringNonMajorIncidentsDescription"),
            "recurring incidents are described (4.15)",
            F,
        ),
    ];
    for (path, triggered, because, from) in rules {
        if stage < from {
            continue;
        }
        if triggered && !present(doc, path) {
            out.push(Violation::new(
                code_of(path),
                path,
                format!("is required because {because}"),
            ));
        }
    }
}

/// The entity rules: each entity of its own type; the submitting entity named and identified.
fn entities(doc: &Value, version: Version, out: &mut Vec<Violation>) {
    for (path, want) in [
        ("submittingEntity.entityType", "SUBMITTING_ENTITY"),
        ("affectedEntity[].entityType", "AFFECTED_ENTITY"),
        (
            "ultimateParentUndertaking.entityType",
            "ULTIMATE_PARENT_UNDERTAKING_ENTITY",
        ),
    ] {
        let owner = path.rsplit_once('.').map_or(path, |x| x.0);
        let owners = at(doc, owner.trim_end_matches("[]"));
        let objects: Vec<&Value> = if owner.ends_with("[]") {
            owners
                .into_iter()
                .filter_map(Value::as_array)
                .flatten()
                .collect()
        } else {
            owners
        };
        for o in objects {
            if o.get("entityType").and_then(Value::as_str) != Some(want) {
                out.push(Violation::new(
                    "-",
                    path,
                    format!("must be {want}: the schema's entity rules only apply to an entity that says what it is"),
                ));
            }
        }
    }
    let Some(sub) = doc.get("submittingEntity") else {
        out.push(Violation::new(
            "1.2",
            "submittingEntity",
            "is required in every report",
        ));
        return;
    };
    let lei = sub.get("LEI").is_some_and(given);
    let code = sub.get("code").is_some_and(given);
    if !lei && !code {
        out.push(Violation::new(
            "1.3",
            "submittingEntity",
            "needs an identification code: its LEI (1.3a) or another code (1.3b)",
        ));
    }
    if lei && code && version == Version::V1_2 {
        out.push(Violation::new(
            "1.3",
            "submittingEntity",
            "IR 1.2 takes the LEI or another code, not both",
        ));
    }
    if sub
        .get("code")
        .and_then(Value::as_str)
        .is_some_and(lei_shaped)
    {
        out.push(Violation::new(
            "1.3b",
            "submittingEntity.code",
            "holds an LEI: LEIs go in 1.3a (submittingEntity.LEI)",
        ));
    }
}

#[cfg(test)]
mod tests;
